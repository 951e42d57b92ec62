"""The uncertain inputs a spec's ``uncertainty:`` section names, beside the weights.

COINr's ``get_sensitivity`` varies any step of the build; the design evalkit reproduces
(Becker et al. 2022, COINr vignette "Sensitivity analysis"; Saisana, Saltelli & Tarantola
2005) is::

    uncertainty:
      n: 1000
      winmax: [1, 2, 3, 4, 5]                # treatment limit (COINr winsorisation)
      normalisation:                         # each indicator's scoring method, replaced
        - {method: minmax, lower: 1, upper: 100}
        - {method: zscore, center: 10, spread: 2}
      missing: [reweight, zero]              # missing-value policy
      level: [2, 3]                          # weights perturbed at these COINr levels
      perturb: percent                       # COINr's noise ±25 %: get_noisy_weights
      percent: {2: 0.25, 3: 0.25}
      aggregations: [arithmetic, geometric]
      coverage: 0.9                          # simultaneous rank sets

Every named input is one factor: a replication draws each factor's choice independently and
uniformly (COINr's discrete distributions), and Sobol indices treat each as one factor (the
weights of a level as one group). The score factors (``winmax``, ``normalisation``,
``missing``) are computed once per combination
(:func:`evalkit.scoring.prepare.prepare_variants`), then weights × aggregation are batched.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.core.errors import EvalkitError, SpecError, raise_all
from evalkit.scoring.methods import SCORING
from evalkit.scoring.prepare import Scoring
from evalkit.spec.schema import MissingPolicy

#: the keys of an ``uncertainty`` section naming score factors
DESIGN_KEYS = ("winmax", "normalisation", "missing")
_FIXED = frozenset({"x", "direction", "target"})


@dataclass
class Design:
    """The score factors of an uncertainty analysis: each factor's labels and choices."""

    winmax: list[int] = field(default_factory=list)
    scorings: list[tuple[str, Scoring]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.winmax or self.scorings or self.missing)

    def factors(self) -> dict[str, list[str]]:
        """Factor name → labels of its choices, for the factors the section names."""
        out: dict[str, list[str]] = {}
        if self.winmax:
            out["winmax"] = [str(w) for w in self.winmax]
        if self.scorings:
            out["normalisation"] = [label for label, _ in self.scorings]
        if self.missing:
            out["missing"] = list(self.missing)
        return out

    def choices(self) -> tuple[list[int | None], list[Scoring], list[str | None]]:
        """The arguments of :func:`~evalkit.scoring.prepare.prepare_variants` (None: the
        spec's own step, for a factor the section does not name)."""
        return ((list(self.winmax) or [None]), [s for _, s in self.scorings] or [None],
                (list(self.missing) or [None]))


def _list(value: Any, where: str) -> list[Any]:
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence) or not value:
        raise SpecError(f"expected a non-empty list of alternatives (got {value!r})", where)
    return list(value)


def _winmax(value: Any, where: str) -> list[int]:
    out = _list(value, where)
    for k, w in enumerate(out):
        if isinstance(w, bool) or not isinstance(w, int) or w < 0:
            raise SpecError(f"expected a whole number ≥ 0 (got {w!r})", f"{where}[{k}]")
    return [int(w) for w in out]


def _scoring(entry: Any, where: str) -> tuple[str, Scoring]:
    """``method`` or ``{method: m, param: value ...}`` → (label, (method, params))."""
    cfg = {"method": entry} if isinstance(entry, str) else entry
    if not isinstance(cfg, Mapping) or not isinstance(cfg.get("method"), str):
        raise SpecError(f"expected a scoring method or a mapping with 'method' (got {entry!r})",
                        where)
    method = cfg["method"]
    SCORING.get(method, f"{where}.method")
    params = {k: v for k, v in cfg.items() if k != "method"}
    raise_all(list(SCORING.check_params(method, params, where, _FIXED)), "scoring problems")
    label = method if not params else \
        f"{method}(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"
    return label, (method, params)


def _missing(value: Any, where: str) -> list[str]:
    allowed = typing.get_args(MissingPolicy)
    out = _list(value, where)
    for k, m in enumerate(out):
        if m not in allowed:
            raise SpecError(f"expected one of {list(allowed)} (got {m!r})", f"{where}[{k}]")
    return [str(m) for m in out]


def design_from_settings(settings: Mapping[str, Any], where: str = "uncertainty") -> Design:
    """The :class:`Design` of an ``uncertainty`` section's ``winmax``, ``normalisation`` and
    ``missing`` keys (each a list of alternatives; absent: not varied), checked with their
    YAML paths.

    Examples
    --------
    >>> d = design_from_settings({"winmax": [1, 5], "normalisation": [
    ...     "minmax", {"method": "zscore", "center": 10, "spread": 2}]})
    >>> d.factors()
    {'winmax': ['1', '5'], 'normalisation': ['minmax', 'zscore(center=10, spread=2)']}
    """
    d = Design()
    if "winmax" in settings:
        d.winmax = _winmax(settings["winmax"], f"{where}.winmax")
    if "normalisation" in settings:
        entries = _list(settings["normalisation"], f"{where}.normalisation")
        d.scorings = [_scoring(e, f"{where}.normalisation[{k}]") for k, e in enumerate(entries)]
        labels = [label for label, _ in d.scorings]
        if len(set(labels)) < len(labels):
            raise EvalkitError(f"normalisation alternatives repeat: {labels}",
                               f"{where}.normalisation")
    if "missing" in settings:
        d.missing = _missing(settings["missing"], f"{where}.missing")
    for name, labels in d.factors().items():
        if len(set(labels)) < len(labels):
            raise EvalkitError(f"{name} alternatives repeat: {labels}", f"{where}.{name}")
    return d
