"""Treat and score every period's indicators: what aggregation (and the Monte Carlo) starts from.

Used by :func:`evalkit.evaluate.evaluate` and by analyses that re-aggregate the same scores.
:func:`prepare_variants` scores one period under several treatment limits, normalisations
and missing-value policies at once — the denomination and imputation once, each treatment
once, each (treatment, normalisation) pair scored once — for the uncertainty analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError
from evalkit.inputs.tables import as_matrix, periods_of, positions
from evalkit.scoring.methods import score_matrix
from evalkit.scoring.missing import apply_missing
from evalkit.scoring.outliers import OUTLIERS, treat_outliers
from evalkit.scoring.treatment import apply_treatment
from evalkit.spec.schema import Spec
from evalkit.spec.tree import Tree


@dataclass
class Scored:
    """One period after treatment and scoring: what aggregation (and Monte Carlo) starts from."""

    period: str
    units: pd.DataFrame                    # index unit_id
    cat: np.ndarray                        # category index of each unit
    raw: np.ndarray                        # units × indicators, as read
    treated: np.ndarray                    # after denominators, imputation, outliers
    scores: np.ndarray                     # after the missing-value policy
    keep: np.ndarray                       # cells that enter aggregation
    applies: np.ndarray                    # cells whose indicator applies to the unit
    missing: np.ndarray                    # applicable cells with no value
    imputed: np.ndarray
    log: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass
class Plan:
    """What scoring needs of the spec, for every period: the units, the tree, each unit's
    category, each indicator's scoring ``(method, direction, target, scope, params)`` and
    missing-value policy, and which cells apply."""

    units: pd.DataFrame
    tree: Tree
    cat: np.ndarray
    specs: list[tuple[str, str, float | None, str, dict[str, Any]]]
    policies: list[str]
    applies: np.ndarray


def plan(spec: Spec, tables: dict[str, pd.DataFrame]) -> Plan:
    """The :class:`Plan` of ``spec`` for its ``units`` table."""
    units = tables["units"]
    tree = Tree.from_spec(spec)
    cat = positions(pd.Index(tree.categories), units["category"])   # -1: none of them
    specs = [(i.scoring.method, i.direction, i.target, i.scoring.scope,  # type: ignore[union-attr]
              i.scoring.params) for i in spec.indicators]  # type: ignore[union-attr]
    policies = [i.missing or spec.defaults.missing for i in spec.indicators]
    return Plan(units, tree, cat, specs, policies, tree.ind_w[cat] > 0)


def treat(spec: Spec, X: pd.DataFrame, units: pd.DataFrame
          ) -> tuple[pd.DataFrame, np.ndarray, dict[str, pd.DataFrame]]:
    """The spec's ``treatment`` section applied to one period's values (wide, units × indicators).

    Returns the treated values, the mask of imputed cells and the logs to keep in the
    Results (``treatment``: the outlier log, when outliers are treated). One orchestrator:
    :func:`evalkit.scoring.treatment.apply_treatment`.
    """
    t = spec.treatment
    if not (t.denominate or t.impute or t.outliers):
        return X, np.zeros(X.shape, dtype=bool), {}
    dens = {i.id: i.denominator for i in spec.indicators if i.denominator}
    res = apply_treatment(X, units, t.model_dump(exclude_none=True), dens)
    logs = {"treatment": res.outliers} if t.outliers else {}
    return res.data, res.imputed.to_numpy(dtype=bool), logs


def _scored(pl: Plan, period: str, raw: np.ndarray, T: np.ndarray, imputed: np.ndarray,
            logs: dict[str, pd.DataFrame], specs: list[Any] | None = None,
            policies: list[str] | None = None) -> Scored:
    """Score treated values ``T`` (each indicator by its method), then the missing-value
    policy; cells of indicators that do not apply to a unit's category are NaN."""
    treated = np.where(pl.applies, T, np.nan)
    try:
        S = score_matrix(treated, pl.cat, pl.specs if specs is None else specs)
    except EvalkitError as err:
        raise EvalkitError(f"period {period}: {err}") from None
    missing = pl.applies & np.isnan(raw) & ~imputed
    S2, keep = apply_missing(S, pl.applies, pl.cat, pl.policies if policies is None else policies)
    return Scored(period, pl.units, pl.cat, raw, treated, S2, keep, pl.applies, missing,
                  imputed, logs)


def prepare(spec: Spec, tables: dict[str, pd.DataFrame]) -> dict[str, Scored]:
    """Treat and score every period's indicators (no aggregation).

    Per period: the raw unit × indicator matrix, the treatment, scoring within category
    (each indicator by its method), then the missing-value policy. Cells of indicators that
    do not apply to a unit's category are NaN and never enter aggregation.
    """
    pl = plan(spec, tables)
    out = {}
    for period in periods_of(tables["values"], spec):
        X = as_matrix(tables["values"], period, pl.units.index, pl.tree.indicators)
        T, imputed, logs = treat(spec, X, pl.units)
        out[period] = _scored(pl, period, X.to_numpy(dtype=float), T.to_numpy(dtype=float),
                              imputed, logs)
    return out


#: a normalisation alternative: (scoring method, its parameters); None: the spec's own
Scoring = tuple[str, dict[str, Any]] | None


def _outlier_config(spec: Spec, winmax: int | None) -> dict[str, Any] | None:
    """The spec's outlier section, or COINr's winsorisation with the limit ``winmax`` (the
    spec's parameters kept when it winsorises already)."""
    own = spec.treatment.outliers
    if winmax is None:
        return None if own is None else dict(own)
    base = dict(own) if own and own.get("method") == "coinr_winsorise" else \
        {"method": "coinr_winsorise"}
    return {**base, "winmax": int(winmax)}


def prepare_variants(spec: Spec, tables: dict[str, pd.DataFrame], period: str, *,
                     winmax: Sequence[int | None] = (None,),
                     scorings: Sequence[Scoring] = (None,),
                     missing: Sequence[str | None] = (None,)
                     ) -> dict[tuple[int, int, int], Scored]:
    """One period scored under every combination of treatment limit, normalisation and
    missing-value policy: ``{(i_treatment, i_scoring, i_missing): Scored}``.

    Denomination and imputation run once; each ``winmax`` (COINr's winsorisation limit,
    :func:`evalkit.scoring.outliers.outliers_coinr`; None: the spec's own treatment) treats
    the imputed values once, vectorised over the indicators; each (treatment, scoring) pair
    is scored once (``scorings[k] = (method, params)`` replaces every indicator's scoring
    method and parameters, keeping its direction, target and scope; None: the spec's); each
    ``missing`` policy (None: the spec's) is applied to those scores. A treatment whose
    method registers ``arrays`` (COINr's) runs on the array and keeps no log in the variant.
    """
    pl = plan(spec, tables)
    X = as_matrix(tables["values"], period, pl.units.index, pl.tree.indicators)
    t = spec.treatment
    base, imputed = X, np.zeros(X.shape, dtype=bool)
    if t.denominate or t.impute:
        dens = {i.id: i.denominator for i in spec.indicators if i.denominator}
        cfg = {k: v for k, v in t.model_dump(exclude_none=True).items() if k != "outliers"}
        res = apply_treatment(X, pl.units, cfg, dens)
        base, imputed = res.data, res.imputed.to_numpy(dtype=bool)
    raw, base_arr = X.to_numpy(dtype=float), base.to_numpy(dtype=float)
    out: dict[tuple[int, int, int], Scored] = {}
    for i, w in enumerate(winmax):
        cfg_o = _outlier_config(spec, w)
        T, logs = base_arr, {}
        if cfg_o is not None:
            method = cfg_o.pop("method", "none")
            arrays = OUTLIERS.trait(method, "arrays", None)   # no log needed: the arrays
            if arrays is not None:
                T = arrays(base_arr, **cfg_o)
            else:
                treated, log = treat_outliers(base, method, **cfg_o)
                T, logs = treated.to_numpy(dtype=float), {"treatment": log}
        for j, sc in enumerate(scorings):
            specs = None if sc is None else [(sc[0], d, tgt, scope, dict(sc[1]))
                                             for _, d, tgt, scope, _ in pl.specs]
            for k, m in enumerate(missing):
                out[(i, j, k)] = _scored(pl, period, raw, T, imputed, logs, specs,
                                         None if m is None else [m] * len(pl.specs))
    return out
