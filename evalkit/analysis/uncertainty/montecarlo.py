"""The Monte Carlo over weights (and schemes, normalisations, aggregations): rank intervals.

Each replication draws its choices, perturbs the chosen nominal weights on the simplex
(:mod:`~evalkit.analysis.uncertainty.sampling`), aggregates the scores over the real tree
(:func:`~evalkit.analysis.uncertainty.batch.aggregate_batch`), ranks within category by one
vectorised argsort and grades by the evaluation's own rule
(:func:`evalkit.aggregation.grades.grade_matrix`). Reference: Saisana, Saltelli & Tarantola
2005, "Uncertainty and sensitivity analysis techniques as tools for the quality assessment
of composite indicators", JRSS A 168(2); OECD/JRC 2008, *Handbook on Constructing Composite
Indicators*, §7.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.aggregation.grades import grade_matrix, rank_in_category
from evalkit.aggregation.means import AGGREGATION
from evalkit.analysis.uncertainty.batch import NOMINAL, ranks_within, totals_local
from evalkit.analysis.uncertainty.problem import UncertaintyProblem
from evalkit.analysis.uncertainty.sampling import sample_local_weights
from evalkit.core.errors import EvalkitError


@dataclass
class MonteCarloResult:
    """Outcome of :func:`monte_carlo`.

    Attributes
    ----------
    summary : DataFrame
        One row per unit: ``unit_id``, ``category``, ``nominal_total``, ``nominal_rank``,
        ``rank_median``, ``rank_p05``, ``rank_p95``, ``rank_mean``, ``p_top_k``,
        ``p_bottom_k``, ``p_grade_<grade>`` (when grades are given), ``total_p05``,
        ``total_p95``.
    ranks : ndarray
        Replications × units ranks (int32).
    weights : ndarray
        Indicators × replications global weights.
    choices : DataFrame
        Per replication: ``weights`` option, ``scores`` option, ``aggregation``.
    totals : ndarray or None
        Replications × units totals (kept when ``keep_totals``).
    settings : dict
        The Monte Carlo's settings (for provenance).
    """

    summary: pd.DataFrame
    ranks: np.ndarray
    weights: np.ndarray
    choices: pd.DataFrame
    totals: np.ndarray | None
    settings: dict[str, Any]

    def table(self, period: Any = None) -> pd.DataFrame:
        """The tidy table a Results can store (``uncertainty``), with a ``period`` column."""
        t = self.summary.copy()
        t.insert(0, "period", period)
        return t


def grade_arrays(grades: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(min_score, quota)`` of a ``meta_grades``-like table (NaN: none)."""
    mins = grades["min_score"].astype(float).to_numpy()
    quotas = grades["quota"].astype(float).to_numpy() if "quota" in grades else \
        np.full(len(grades), np.nan)
    return mins, quotas


def grades_batch(T: np.ndarray, ranks: np.ndarray, category_codes: np.ndarray,
                 grades: pd.DataFrame, rounding: str = "floor",
                 veto: np.ndarray | None = None, veto_max: int | None = None,
                 orders: dict[int, np.ndarray] | None = None, ties: str = "demote"
                 ) -> np.ndarray:
    """Grade index (0 = best) of each unit in each replication by the evaluation's rule,
    :func:`evalkit.aggregation.grades.grade_matrix`, units taken in the order of ``ranks``
    (or ``orders``, per category, from :func:`ranks_within`)."""
    if orders is None:
        orders = {int(c): np.argsort(ranks[:, category_codes == c], axis=1, kind="stable")
                  for c in np.unique(category_codes)}
    mins, quotas = grade_arrays(grades)
    return grade_matrix(T, category_codes, mins, quotas, rounding, ties, veto, veto_max,
                        orders)


def _column_counts(X: np.ndarray, m: int) -> np.ndarray:
    """Counts of the values 0..m-1 in each column of X (replications × units): units × m,
    by one ``bincount`` (no sort)."""
    n = X.shape[1]
    flat = (np.arange(n, dtype=np.int64)[None, :] * m + X).ravel()
    return np.bincount(flat, minlength=n * m).reshape(n, m)


def _rank_distribution(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit: rank quantiles (5 %, 50 %, 95 %; the smallest rank whose CDF reaches q),
    mean rank, and the CDF ``P(rank ≤ k)`` for k = 0..max rank (units × (max + 1))."""
    R = ranks.shape[0]
    m = int(ranks.max()) + 1
    counts = _column_counts(ranks, m)
    cdf = np.cumsum(counts, axis=1) / R
    q = np.stack([(cdf < lvl - 1e-12).sum(axis=1) for lvl in (0.05, 0.5, 0.95)])
    mean = counts @ np.arange(m) / R
    return q.astype(np.int32), mean, cdf


def check_aggregations(aggregations: Sequence[str]) -> None:
    """Each must be :data:`~evalkit.analysis.uncertainty.batch.NOMINAL` (every node its own
    method) or a key of :data:`evalkit.aggregation.means.AGGREGATION`."""
    known = [NOMINAL, *AGGREGATION]
    for a in aggregations:
        if a not in known:
            raise EvalkitError(f"aggregation must be one of {known}, got {a!r}", "aggregations")


def _veto(p: UncertaintyProblem) -> np.ndarray | None:
    return None if p.veto is None else \
        p.veto.reindex(p.scores.index).fillna(False).to_numpy(dtype=bool)


def _nominal(p: UncertaintyProblem, t0: np.ndarray, codes: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """Nominal ranks and grades as published: on totals rounded to ``p.decimals``, by the
    evaluation's rules."""
    shown = pd.Series(t0 if p.decimals is None else np.round(t0, p.decimals),
                      index=p.scores.index)
    r0 = rank_in_category(shown, p.category, None, p.ties).fillna(0).to_numpy(dtype=np.int32)
    g0 = None
    if p.grades is not None and len(p.grades):
        mins, quotas = grade_arrays(p.grades)
        g0 = grade_matrix(shown.to_numpy()[None, :], codes, mins, quotas, p.quota_rounding,
                          p.grade_ties, _veto(p), p.veto_max)[0]
    return r0, g0


def _summary(p: UncertaintyProblem, T32: np.ndarray, ranks: np.ndarray, t0: np.ndarray,
             r0: np.ndarray, top_k: int, bottom_k: int) -> pd.DataFrame:
    n_cat = p.category.map(p.category.value_counts()).to_numpy()
    q, mean_rank, cdf = _rank_distribution(ranks)
    tq = np.quantile(T32.T, [0.05, 0.95], axis=1) if np.isfinite(T32).all() else \
        np.nanquantile(T32.T, [0.05, 0.95], axis=1)
    return pd.DataFrame({
        "unit_id": p.scores.index.astype(str), "category": p.category.to_numpy(),
        "nominal_total": t0, "nominal_rank": r0, "n_in_category": n_cat,
        "rank_median": q[1], "rank_p05": q[0], "rank_p95": q[2], "rank_mean": mean_rank,
        f"p_top_{top_k}": cdf[:, min(top_k, cdf.shape[1] - 1)],
        f"p_bottom_{bottom_k}": 1.0 - cdf[np.arange(len(n_cat)),
                                          np.clip(n_cat - bottom_k, 0, cdf.shape[1] - 1)],
        "total_p05": tq[0], "total_p95": tq[1]})


def _grade_columns(p: UncertaintyProblem, summary: pd.DataFrame, T32: np.ndarray,
                   codes: np.ndarray, orders: dict[int, np.ndarray], g0: np.ndarray) -> None:
    mins, quotas = grade_arrays(p.grades)
    G = grade_matrix(T32, codes, mins, quotas, p.quota_rounding, p.grade_ties, _veto(p),
                     p.veto_max, orders)
    gids = p.grades["grade"].astype(str).tolist()
    summary["nominal_grade"] = np.array(gids)[g0]
    counts = _column_counts(G, len(gids))
    for k, gid in enumerate(gids):
        summary[f"p_grade_{gid}"] = counts[:, k] / len(G)
    summary["p_grade_change"] = (G != g0[None, :]).mean(axis=0)


def _choices(rng: np.random.Generator, n: int, sizes: Sequence[int]) -> list[np.ndarray]:
    return [rng.integers(0, k, n) if k > 1 else np.zeros(n, dtype=int) for k in sizes]


def monte_carlo(p: UncertaintyProblem, n: int = 1000, *, perturb: str = "dirichlet",
                concentration: float = 100.0, percent: float = 0.2, level: str = "both",
                switch_weights: bool = True, switch_scores: bool = True,
                aggregations: Sequence[str] = (NOMINAL,), top_k: int = 3,
                bottom_k: int = 3, seed: int = 0, keep_totals: bool = False
                ) -> MonteCarloResult:
    """Monte Carlo over weights (and, when given, schemes, normalisations, aggregations).

    Each replication r draws a weight option (``p.weight_options``, uniformly, when
    ``switch_weights``), a score option (``p.score_options``, when ``switch_scores``) and an
    aggregation from ``aggregations`` (uniformly; ``nominal``: every node its own method,
    a key of the aggregation registry: every node by that method), then perturbs the chosen
    nominal weights (:func:`~evalkit.analysis.uncertainty.sampling.sample_local_weights`).
    Totals ``offset + scale · office`` aggregate over the real tree, batched per distinct
    (score option, aggregation) pair; ranks within category by one vectorised argsort.

    Reported per unit: the nominal total, rank and grade (nominal weights, first
    aggregation; rounded to ``p.decimals`` as published), rank median and 5–95 % interval,
    mean rank, the probability of being in the top ``top_k`` / bottom ``bottom_k`` of its
    category, of each grade, and the 5–95 % interval of the total. Reference: Saisana,
    Saltelli & Tarantola 2005.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.analysis.uncertainty import UncertaintyProblem
    >>> rng = np.random.default_rng(0)
    >>> s = pd.DataFrame(rng.uniform(0, 100, (30, 5)), columns=list("abcde"))
    >>> mc = monte_carlo(UncertaintyProblem.from_weights(s), n=200)
    >>> bool((mc.summary.rank_p05 <= mc.summary.rank_median).all())
    True
    """
    if n < 1:
        raise EvalkitError(f"n must be ≥ 1, got {n}", "n")
    check_aggregations(aggregations)
    rng = np.random.default_rng(seed)
    wnames, snames = p.weight_arrays()[0], p.score_arrays()[0]
    w_opt, s_idx, a_idx = _choices(rng, n, [len(wnames) if switch_weights else 1,
                                            len(snames) if switch_scores else 1,
                                            len(aggregations)])
    IW, NW = sample_local_weights(p, n, rng, perturb=perturb, concentration=concentration,
                                  percent=percent, level=level, option=w_opt)
    # the nominal replication (nominal weights, scores and first aggregation) is row n
    _, iw0, nw0 = p.weight_arrays()
    T_all = totals_local(p, np.vstack([IW, iw0[:1]]), np.vstack([NW, nw0[:1]]),
                         np.append(s_idx, 0), np.append(a_idx, 0), list(aggregations))
    T, t0 = T_all[:n], T_all[n]
    # replications are ranked in float32: a resolution of ~1e-5 points, far below the
    # published 0.01, for half the memory traffic of the sorts
    T32 = T.astype(np.float32)
    codes = p.category_codes()
    orders: dict[int, np.ndarray] = {}
    ranks = ranks_within(T32, codes, orders=orders)
    r0, g0 = _nominal(p, t0, codes)
    summary = _summary(p, T32, ranks, t0, r0, top_k, bottom_k)
    if g0 is not None:
        _grade_columns(p, summary, T32, codes, orders, g0)
    choices = pd.DataFrame({"weights": np.array(wnames)[w_opt],
                            "scores": np.array(snames)[s_idx],
                            "aggregation": np.array(list(aggregations))[a_idx]})
    settings = {"n": n, "perturb": perturb, "concentration": concentration,
                "percent": percent, "level": level, "aggregations": list(aggregations),
                "weight_options": wnames if switch_weights else wnames[:1],
                "score_options": snames if switch_scores else snames[:1],
                "top_k": top_k, "bottom_k": bottom_k, "seed": seed}
    W = p.tree.global_weights(NW, IW)[1].T
    return MonteCarloResult(summary, ranks, W, choices, T if keep_totals else None, settings)
