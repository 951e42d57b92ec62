"""Weighting schemes (权重方法) as a registry, each returning a :class:`WeightSet`.

Every scheme has ONE signature::

    scheme(items, data, params, where) -> WeightSet

- ``items``: the ids of the things weighted (indicators of a perspective, perspectives,
  sources), in order;
- ``data``: for objective schemes, the units × items matrix of the category's units
  (scores or raw values, columns = ``items``); ``None`` for subjective schemes;
- ``params``: the scheme's parameters, exactly as written in the spec
  (``weighting: {method: ahp, matrix: [...], ...}`` without ``method``);
- ``where``: the YAML path of the section, used in every error message.

Data-dependent weights
----------------------
An objective (data-driven) scheme — entropy, CRITIC, SD, CV, PCA, BoD, any scheme registered
``objective=True`` or given a data matrix — recomputes its weights from the units' data, so a
unit's total is no longer monotone in its own indicators: a unit that raises a benefit
indicator changes the indicator's dispersion and correlations, the weights move, and its
total can fall (in the demo city, unit P011 raising M01 from 90.59 to 95.59 in 2025 lowers
its total from 81.69 to 81.63 under CRITIC; with the weights frozen at the values CRITIC gave
on the original data the same change raises it). This is a property of the methods, not an
error. The weight set of such a scheme records it: ``conventions["data_dependent"]`` is True
and ``conventions["data_dependent_note"]`` names the label (:data:`DATA_DEPENDENT_NOTE`, zh and
en in :mod:`evalkit.core.labels`) that reports print beside the weights.

Use :func:`compute_weights` (or ``WEIGHTING.get(key)``) to run one. Subjective schemes
live in :mod:`evalkit.weights.subjective`, :mod:`evalkit.weights.ahp` and
:mod:`evalkit.weights.bwm`; objective ones in :mod:`evalkit.weights.objective`; the
scorecard tree (a scheme per level, global weight = product down the tree) in
:mod:`evalkit.weights.hierarchy`; the weights lab's helpers (scheme comparison, sliders,
charts) in :mod:`evalkit.labs.weights`.

Examples
--------
>>> from evalkit.weights import compute_weights
>>> ws = compute_weights("rank_sum", ["a", "b", "c"], ranks={"a": 1, "b": 2, "c": 3})
>>> ws.weights.round(4).tolist()
[0.5, 0.3333, 0.1667]
>>> ws.method
'rank_sum'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, MethodError, raise_all, unknown_keys
from evalkit.core.registry import Registry

#: The registry of weighting schemes (key -> ``scheme(items, data, params, where)``).
WEIGHTING = Registry("weighting")

#: Label key of the note on data-dependent weights (see the module docstring).
DATA_DEPENDENT_NOTE = "weights_data_dependent"


@dataclass
class WeightSet:
    """Weights of a set of items with their provenance.

    Attributes
    ----------
    weights : pandas.Series
        Weight per item id (index), non-negative, summing to 1.
    method : str
        Key of the scheme in :data:`WEIGHTING`.
    params : dict
        The parameters the scheme was given (JSON-serialisable).
    conventions : dict
        Conventions the scheme applied (normalisation, sign convention, RI table, ...);
        ``data_dependent: True`` (and ``data_dependent_note``, a label key) for schemes whose
        weights are computed from the units' data (see the module docstring).
    inputs_sha256 : str
        SHA-256 of the canonical JSON of ``params`` and of the data matrix, so a weight set
        can be traced to its exact inputs.
    diagnostics : dict
        Method-specific figures: consistency ratio, ξ, consensus, per-unit weights, ...
    flags : list of str
        Warnings a reader must see (e.g. ``"CR 0.14 > 0.1"``).
    """

    weights: pd.Series
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    conventions: dict[str, Any] = field(default_factory=dict)
    inputs_sha256: str = ""
    diagnostics: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    @property
    def provenance(self) -> dict[str, Any]:
        """A JSON-serialisable record: method, parameters, conventions, hash, diagnostics."""
        return {
            "method": self.method,
            "params": _jsonable(self.params),
            "conventions": _jsonable(self.conventions),
            "inputs_sha256": self.inputs_sha256,
            "diagnostics": _jsonable({k: v for k, v in self.diagnostics.items()
                                      if not isinstance(v, pd.DataFrame | np.ndarray)}),
            "flags": list(self.flags),
            "weights": {str(k): float(v) for k, v in self.weights.items()},
        }

    @property
    def data_dependent(self) -> bool:
        """True when the weights were computed from the units' data (objective schemes): a
        unit's total is then not monotone in its own indicators (module docstring)."""
        return bool(self.conventions.get("data_dependent", False))

    def __repr__(self) -> str:  # pragma: no cover - display only
        w = ", ".join(f"{k}={v:.4f}" for k, v in self.weights.items())
        return f"WeightSet({self.method}: {w})"


def _jsonable(obj: Any) -> Any:
    """Turn numpy / pandas objects into plain JSON types (recursively)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.Series):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return obj.to_dict(orient="split")
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None  # strict JSON has no NaN / inf
    return obj


def inputs_hash(params: Mapping[str, Any], data: pd.DataFrame | None = None) -> str:
    """SHA-256 of the canonical JSON of ``params`` plus the bytes of ``data`` (if any)."""
    h = hashlib.sha256()
    h.update(json.dumps(_jsonable(params), sort_keys=True, default=str).encode())
    if data is not None:
        h.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
        h.update(json.dumps([str(c) for c in data.columns]).encode())
    return h.hexdigest()


def make_weightset(raw: Sequence[float] | np.ndarray, items: Sequence[str], method: str,
                   params: Mapping[str, Any], where: str, *, data: pd.DataFrame | None = None,
                   conventions: Mapping[str, Any] | None = None,
                   diagnostics: Mapping[str, Any] | None = None,
                   flags: Sequence[str] = ()) -> WeightSet:
    """Normalise ``raw`` (non-negative, not all zero) to sum 1 and wrap it in a WeightSet.

    A scheme registered ``objective=True``, or given ``data``, is data-dependent: the
    conventions get ``data_dependent: True`` and ``data_dependent_note``
    (:data:`DATA_DEPENDENT_NOTE`); other schemes get ``data_dependent: False``.
    """
    w = np.asarray(raw, dtype=float)
    if w.shape != (len(items),):
        raise MethodError(f"{method}: expected {len(items)} weights, got shape {w.shape}", where)
    w = np.where(np.abs(w) < 1e-13, 0.0, w)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise MethodError(f"{method}: weights must be finite and ≥ 0, got {w.tolist()}", where)
    total = w.sum()
    if total <= 0:
        raise MethodError(f"{method}: all weights are 0; at least one must be positive", where)
    s = pd.Series(w / total, index=pd.Index(list(items), name="item"), name="weight")
    conv = dict(conventions or {})
    conv["data_dependent"] = bool(data is not None or WEIGHTING.trait(method, "objective"))
    if conv["data_dependent"]:
        conv["data_dependent_note"] = DATA_DEPENDENT_NOTE
    return WeightSet(s, method, dict(params), conv,
                     inputs_hash(params, data), dict(diagnostics or {}), list(flags))


def item_vector(values: Any, items: Sequence[str], name: str, where: str) -> np.ndarray:
    """Read per-item numbers given as ``{item: value}`` or a list aligned with ``items``."""
    if isinstance(values, Mapping):
        missing = [i for i in items if i not in values]
        extra = [k for k in values if k not in items]
        if missing or extra:
            raise MethodError(
                f"{name} must give one value per item; missing {missing}, unknown {extra}; "
                f"expected keys {list(items)}", f"{where}.{name}")
        vals = [values[i] for i in items]
    elif isinstance(values, Sequence) and not isinstance(values, str):
        if len(values) != len(items):
            raise MethodError(f"{name} has {len(values)} values; expected {len(items)} "
                              f"(one per item {list(items)})", f"{where}.{name}")
        vals = list(values)
    else:
        raise MethodError(f"{name} must be a mapping item -> number or a list; got "
                          f"{type(values).__name__}", f"{where}.{name}")
    out = np.empty(len(vals))
    for k, (item, v) in enumerate(zip(items, vals, strict=True)):
        if isinstance(v, bool) or not isinstance(v, int | float | np.number) or not np.isfinite(v):
            raise MethodError(f"expected a finite number, got {v!r}", f"{where}.{name}.{item}")
        out[k] = float(v)
    return out


def require(params: Mapping[str, Any], key: str, method: str, where: str) -> Any:
    """``params[key]`` or an error naming the missing key."""
    if key not in params:
        raise MethodError(f"{method} needs {key!r}", f"{where}.{key}")
    return params[key]


def check_params(params: Mapping[str, Any], allowed: Sequence[str], method: str,
                 where: str) -> None:
    """Unknown parameter keys are errors, never ignored."""
    raise_all([MethodError(p.message, p.where) for p in
               unknown_keys(params, allowed, where, "parameter", f" for {method}")])


def compute_weights(method: str, items: Sequence[str], data: pd.DataFrame | None = None,
                    where: str = "weighting", **params: Any) -> WeightSet:
    """Run the weighting scheme ``method`` on ``items``.

    Parameters
    ----------
    method : str
        A key of :data:`WEIGHTING` (``evalkit.weights.WEIGHTING.describe()`` lists them).
    items : sequence of str
        Ids of the items weighted.
    data : DataFrame, optional
        Units × items matrix for objective schemes.
    where : str
        YAML path used in error messages.
    **params
        The scheme's parameters.

    Returns
    -------
    WeightSet
    """
    items = [str(i) for i in items]
    if len(set(items)) != len(items):
        raise EvalkitError(f"duplicate item ids {items}", where)
    if not items:
        raise EvalkitError("no items to weight", where)
    fn = WEIGHTING.get(method, f"{where}.method")
    return fn(items, data, dict(params), where)


# register the schemes (import for side effects, at the end to avoid cycles)
from evalkit.weights import (  # noqa: E402, F401  (each module registers its schemes)
    ahp,
    ahp_incomplete,
    bod,
    bwm,
    objective,
    subjective,
)

__all__ = ["DATA_DEPENDENT_NOTE", "WEIGHTING", "WeightSet", "ahp", "bwm", "compute_weights",
           "inputs_hash", "make_weightset", "objective", "subjective"]
