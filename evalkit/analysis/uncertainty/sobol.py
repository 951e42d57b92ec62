"""First-order and total Sobol indices of each uncertain choice (SALib)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analysis.uncertainty.batch import NOMINAL, ranks_within, totals_local
from evalkit.analysis.uncertainty.montecarlo import check_aggregations
from evalkit.analysis.uncertainty.problem import UncertaintyProblem
from evalkit.analysis.uncertainty.sampling import local_shares
from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry


def _weight_factors(p: UncertaintyProblem, level: str) -> tuple[list[str], np.ndarray, bool]:
    """Factor names, the items they perturb (indices into indicators or nodes) and whether
    the items are indicators. A child without siblings is no factor (its share is 1)."""
    t = p.tree
    if level not in ("group", "indicator"):
        raise EvalkitError(f"level must be group or indicator for Sobol, got {level!r}",
                           "level")
    is_ind = level == "indicator"
    names, parent = (t.indicators, t.ind_parent) if is_ind else (t.nodes, t.node_parent)
    sizes = pd.Series(parent).map(pd.Series(parent).value_counts()).to_numpy()
    items = np.flatnonzero(sizes > 1)
    return [f"w[{names[i]}]" for i in items], items, is_ind


#: how a factor's uniform value U moves a share w0 (replications × factors)
SOBOL_FACTOR = Registry("Sobol weight factor")


@SOBOL_FACTOR.register("percent")
def _percent_factor(share: np.ndarray, U: np.ndarray, percent: float = 0.2,
                    **_: Any) -> np.ndarray:
    """``w0 · (1 − p + 2 p U)``: a multiplier uniform on ``[1 − p, 1 + p]``."""
    return share * (1 - percent + 2 * percent * U)


@SOBOL_FACTOR.register("dirichlet")
def _gamma_factor(share: np.ndarray, U: np.ndarray, concentration: float = 100.0,
                  **_: Any) -> np.ndarray:
    """The U-quantile of ``Γ(c · w0)``: independent factors whose normalised values are
    ``Dir(c · w0)``."""
    from scipy.stats import gamma

    Uc = np.clip(U, 1e-12, 1 - 1e-12)
    return np.where(share > 0, gamma.ppf(Uc, np.maximum(concentration * share, 1e-12)), 0.0)


def _discrete(sizes: dict[str, int]) -> list[tuple[str, int]]:
    return [(label, k) for label, k in sizes.items() if k > 1]


def sobol_indices(p: UncertaintyProblem, n_base: int = 512, *, level: str = "group",
                  perturb: str = "percent", percent: float = 0.2,
                  concentration: float = 100.0, aggregations: Sequence[str] = (NOMINAL,),
                  units: Sequence[str] = (), seed: int = 0,
                  num_resamples: int = 100) -> pd.DataFrame:
    """First-order and total Sobol indices of each uncertain choice (SALib).

    Factors: one per weight at ``level`` (``group``: each node's weight within its parent;
    ``indicator``: each indicator's weight within its node; children without siblings are
    no factor), uniform on ``[1 − percent, 1 + percent]`` as a multiplier (``perturb:
    percent``), or the uniform quantile of a gamma variate ``Γ(c · w0)`` (``perturb:
    dirichlet``: the normalised gammas are then exactly ``Dir(c · w0)``, so the factors are
    independent as Sobol requires); plus one discrete factor each for the weighting scheme
    (``p.weight_options``), the normalisation (``p.score_options``) and the aggregation,
    when there is more than one choice. Saltelli sampling (:func:`SALib.sample.sobol.sample`,
    ``N = n_base``, ``N (D + 2)`` model runs, evaluated in batches over the tree) and
    :func:`SALib.analyze.sobol.analyze` (Saltelli et al. 2010, Computer Physics
    Communications 181).

    Outputs analysed: ``rank_shift``, the mean absolute shift of ranks from the nominal
    ranking (Saisana et al. 2005, R̄_S), and the total of each unit in ``units``.

    Returns
    -------
    DataFrame with columns ``output``, ``factor``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    check_aggregations(aggregations)
    factor = SOBOL_FACTOR.get(perturb, "perturb")
    wfactors, items, is_ind = _weight_factors(p, level)
    discrete = _discrete({"weighting": len(p.weight_arrays()[0]),
                          "normalisation": len(p.score_arrays()[0]),
                          "aggregation": len(aggregations)})
    names = wfactors + [label for label, _ in discrete]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    X = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    R = len(X)
    choice = {label: np.minimum((X[:, names.index(label)] * k).astype(int), k - 1)
              for label, k in discrete}
    zero = np.zeros(R, dtype=int)
    iw, nw = local_shares(p, choice.get("weighting", zero))
    moved = iw if is_ind else nw
    moved[:, items] = factor(moved[:, items], X[:, : len(items)], percent=percent,
                             concentration=concentration)
    s_idx, a_idx = choice.get("normalisation", zero), choice.get("aggregation", zero)
    T = totals_local(p, iw, nw, s_idx, a_idx, list(aggregations))
    codes = p.category_codes()
    ranks = ranks_within(T, codes)
    _, iw0, nw0 = p.weight_arrays()
    r0 = ranks_within(totals_local(p, iw0[:1], nw0[:1], aggregations=list(aggregations)),
                      codes)[0]
    outputs = {"rank_shift": np.abs(ranks - r0[None, :]).mean(axis=1)}
    uid = list(p.scores.index.astype(str))
    for u in map(str, units):
        if u not in uid:
            raise EvalkitError(f"unknown unit {u!r}", "units")
        outputs[f"total[{u}]"] = T[:, uid.index(u)]
    rows = []
    for out_name, y in outputs.items():
        res = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                    num_resamples=num_resamples, seed=seed)
        rows += [{"output": out_name, "factor": f, "S1": res["S1"][k],
                  "S1_conf": res["S1_conf"][k], "ST": res["ST"][k], "ST_conf": res["ST_conf"][k]}
                 for k, f in enumerate(names)]
    return pd.DataFrame(rows)
