"""Treat and score every period's indicators: what aggregation (and the Monte Carlo) starts from.

Used by :func:`evalkit.evaluate.evaluate` and by analyses that re-aggregate the same scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError
from evalkit.inputs.tables import as_matrix, periods_of
from evalkit.scoring.methods import score_matrix
from evalkit.scoring.missing import apply_missing
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


def prepare(spec: Spec, tables: dict[str, pd.DataFrame]) -> dict[str, Scored]:
    """Treat and score every period's indicators (no aggregation).

    Per period: the raw unit × indicator matrix, the treatment, scoring within category
    (each indicator by its method), then the missing-value policy. Cells of indicators that
    do not apply to a unit's category are NaN and never enter aggregation.
    """
    units = tables["units"]
    tree = Tree.from_spec(spec)
    cat = pd.Categorical(units["category"], categories=tree.categories).codes.astype(int)
    specs = [(i.scoring.method, i.direction, i.target, i.scoring.scope,  # type: ignore[union-attr]
              i.scoring.params) for i in spec.indicators]  # type: ignore[union-attr]
    policies = [i.missing or spec.defaults.missing for i in spec.indicators]
    applies = tree.ind_w[cat] > 0
    out = {}
    for period in periods_of(tables["values"], spec):
        X = as_matrix(tables["values"], period, units.index, tree.indicators)
        raw = X.to_numpy(dtype=float)
        T, imputed, logs = treat(spec, X, units)
        treated = np.where(applies, T.to_numpy(dtype=float), np.nan)
        try:
            S = score_matrix(treated, cat, specs)
        except EvalkitError as err:
            raise EvalkitError(f"period {period}: {err}") from None
        missing = applies & np.isnan(raw) & ~imputed
        S2, keep = apply_missing(S, applies, cat, policies)
        out[period] = Scored(period, units, cat, raw, treated, S2, keep, applies, missing,
                             imputed, logs)
    return out
