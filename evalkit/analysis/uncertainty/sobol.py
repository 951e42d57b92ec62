"""First-order and total Sobol indices of each uncertain input (SALib), as COINr reads them.

Factors: the weights (one factor per weight, or — as COINr's ``get_sensitivity`` does with
a list of noisy weight sets — the weights of each level as ONE grouped factor), and one
discrete factor per other input with more than one choice: the weighting scheme, each score
factor (treatment limit, normalisation, missing policy; or the score options as one
``normalisation`` factor) and the aggregation. Output: the mean absolute rank shift from the
nominal ranking (COINr's target, Saisana et al. 2005's R̄_S) and chosen units' totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analysis.uncertainty.batch import NOMINAL, ranks_within, totals_local
from evalkit.analysis.uncertainty.montecarlo import check_aggregations
from evalkit.analysis.uncertainty.problem import UncertaintyProblem
from evalkit.analysis.uncertainty.sampling import (
    Level,
    Spread,
    item_levels,
    local_shares,
    perturbed_levels,
    spread_at,
)
from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry

#: how a factor's uniform value U moves a share w0 (replications × factors)
SOBOL_FACTOR = Registry("Sobol weight factor")


@SOBOL_FACTOR.register("percent")
def _percent_factor(share: np.ndarray, U: np.ndarray, percent: float = 0.2,
                    **_: Any) -> np.ndarray:
    """``w0 · (1 − p + 2 p U)``: a multiplier uniform on ``[1 − p, 1 + p]`` (COINr's noise)."""
    return share * (1 - percent + 2 * percent * U)


@SOBOL_FACTOR.register("dirichlet")
def _gamma_factor(share: np.ndarray, U: np.ndarray, concentration: float = 100.0,
                  **_: Any) -> np.ndarray:
    """The U-quantile of ``Γ(c · w0)``: independent factors whose normalised values are
    ``Dir(c · w0)``."""
    from scipy.stats import gamma

    Uc = np.clip(U, 1e-12, 1 - 1e-12)
    return np.where(share > 0, gamma.ppf(Uc, np.maximum(concentration * share, 1e-12)), 0.0)


def _weight_items(p: UncertaintyProblem, level: Level, grouped: bool
                  ) -> tuple[list[str], list[str], np.ndarray]:
    """Variable names, their factor (group) names and the items they move (indices into
    indicators then nodes). A child without siblings is no factor (its share is 1)."""
    t = p.tree
    parent = pd.Series(np.concatenate([t.ind_parent, t.node_parent]))
    sizes = parent.map(parent.value_counts()).to_numpy()
    names = [*t.indicators, *t.nodes]
    lev = item_levels(t)
    items = np.flatnonzero((sizes > 1) & np.isin(lev, perturbed_levels(t, level)))
    var = [f"w[{names[i]}]" for i in items]
    return var, [f"weights[level {lev[i]}]" if grouped else v for v, i in
                 zip(var, items, strict=True)], items


def _run(p: UncertaintyProblem, X: np.ndarray, nw: int, items: np.ndarray,
         discrete: list[tuple[str, int]], weights: dict[str, Any],
         aggregations: list[str]) -> np.ndarray:
    """Totals (runs × units) of the Saltelli sample ``X`` (weight variables first)."""
    R = len(X)
    choice = {label: np.minimum((X[:, nw + k] * n).astype(int), n - 1)
              for k, (label, n) in enumerate(discrete)}
    zero = np.zeros(R, dtype=int)
    iw, nwt = local_shares(p, choice.get("weighting", zero))
    shares = np.concatenate([iw, nwt], axis=1)
    lev = item_levels(p.tree)[items]
    factor = SOBOL_FACTOR.get(weights["perturb"], "perturb")
    for L in np.unique(lev):
        on = lev == L
        cols = items[on]
        shares[:, cols] = factor(shares[:, cols], X[:, :nw][:, on],
                                 percent=spread_at(weights["percent"], int(L), "percent"),
                                 concentration=spread_at(weights["concentration"], int(L),
                                                         "concentration"))
    k = len(p.tree.indicators)
    sizes = p.score_factor_sizes()
    s_idx = p.score_index({f: choice.get(f, zero) for f in sizes})
    return totals_local(p, shares[:, :k], shares[:, k:], s_idx,
                        choice.get("aggregation", zero), aggregations)


def sobol_indices(p: UncertaintyProblem, n_base: int = 512, *, level: Level = "group",
                  perturb: str = "percent", percent: Spread = 0.2,
                  concentration: Spread = 100.0, aggregations: Sequence[str] = (NOMINAL,),
                  units: Sequence[str] = (), seed: int = 0, num_resamples: int = 100,
                  weight_factors: str = "each") -> pd.DataFrame:
    """First-order and total Sobol indices of each uncertain input (SALib).

    Weight factors: the weights at ``level`` (``group``: each node's weight within its
    parent; ``indicator``: each indicator's within its node; ``both``, or COINr level
    numbers; children without siblings are no factor), each a uniform multiplier on
    ``[1 − percent, 1 + percent]`` (``perturb: percent``, COINr's noise) or the uniform
    quantile of a gamma variate ``Γ(c · w0)`` (``perturb: dirichlet``: the normalised
    gammas are then exactly ``Dir(c · w0)``, so the factors are independent as Sobol
    requires). ``weight_factors``: ``each`` — one factor per weight (``w[<id>]``); ``level``
    — the weights of a level form ONE grouped factor (``weights[level L]``), as COINr's
    ``get_sensitivity`` treats its list of noisy weight sets. Discrete factors, when there
    is more than one choice: ``weighting`` (``p.weight_options``), each score factor
    (``p.score_factors``; else ``normalisation`` over ``p.score_options``) and
    ``aggregation``. Saltelli sampling (:func:`SALib.sample.sobol.sample`, ``N = n_base``,
    ``N (G + 2)`` model runs for G factors, evaluated in batches over the tree) and
    :func:`SALib.analyze.sobol.analyze` (Saltelli et al. 2010, Computer Physics
    Communications 181; grouped factors: Jacques, Lavergne & Devictor 2006, Reliability
    Engineering & System Safety 91).

    Outputs analysed: ``rank_shift``, the mean absolute shift of ranks from the nominal
    ranking (Saisana et al. 2005, R̄_S; COINr's ``get_sensitivity`` target), and the total
    of each unit in ``units``. The problem is put in canonical order first, so the indices
    do not depend on the order of its rows.

    Returns
    -------
    DataFrame with columns ``output``, ``factor``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    check_aggregations(aggregations)
    if weight_factors not in ("each", "level"):
        raise EvalkitError(f"weight_factors must be each or level, got {weight_factors!r}",
                           "weight_factors")
    q = p.canonical()[0]
    var, groups, items = _weight_items(q, level, weight_factors == "level")
    sizes = {"weighting": len(q.weight_arrays()[0]), **q.score_factor_sizes(),
             "aggregation": len(aggregations)}
    discrete = [(label, k) for label, k in sizes.items() if k > 1]
    names = var + [label for label, _ in discrete]
    problem: dict[str, Any] = {"num_vars": len(names), "names": names,
                               "bounds": [[0.0, 1.0]] * len(names)}
    if weight_factors == "level":
        problem["groups"] = groups + [label for label, _ in discrete]
    factors = list(dict.fromkeys(problem.get("groups", names)))
    X = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    weights = {"perturb": perturb, "percent": percent, "concentration": concentration}
    T = _run(q, X, len(var), items, discrete, weights, list(aggregations))
    codes = q.category_codes()
    _, iw0, nw0 = q.weight_arrays()
    r0 = ranks_within(totals_local(q, iw0[:1], nw0[:1], aggregations=list(aggregations)),
                      codes)[0]
    outputs = {"rank_shift": np.abs(ranks_within(T, codes) - r0[None, :]).mean(axis=1)}
    uid = list(q.scores.index.astype(str))
    for u in map(str, units):
        if u not in uid:
            raise EvalkitError(f"unknown unit {u!r}", "units")
        outputs[f"total[{u}]"] = T[:, uid.index(u)]
    rows = []
    for out_name, y in outputs.items():
        # SALib draws its bootstrap from the global state when ``seed`` is falsy (0): a
        # SeedSequence keeps the confidence intervals reproducible for every seed
        res = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                    num_resamples=num_resamples,
                                    seed=np.random.SeedSequence(seed))
        rows += [{"output": out_name, "factor": f, "S1": res["S1"][k],
                  "S1_conf": res["S1_conf"][k], "ST": res["ST"][k], "ST_conf": res["ST_conf"][k]}
                 for k, f in enumerate(factors)]
    return pd.DataFrame(rows)
