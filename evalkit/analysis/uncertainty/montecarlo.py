"""The Monte Carlo over weights (and schemes, score variants, aggregations): rank statements.

Each replication draws its choices, perturbs the chosen nominal weights on the simplex
(:mod:`~evalkit.analysis.uncertainty.sampling`), aggregates the scores over the real tree
(:func:`~evalkit.analysis.uncertainty.batch.aggregate_batch`), ranks within category by one
vectorised argsort and grades by the evaluation's own rule
(:func:`evalkit.aggregation.grades.grade_matrix`). Replications run in blocks
(:data:`~evalkit.analysis.uncertainty.sampling.BLOCK`, each its own random stream) and are
summarised by counts (:mod:`~evalkit.analysis.uncertainty.ranksets`), so memory is flat in
the number of replications; the problem is put in canonical order first
(:meth:`UncertaintyProblem.canonical`), so results do not depend on the order of the rows.
Reference: Saisana, Saltelli & Tarantola 2005, "Uncertainty and sensitivity analysis
techniques as tools for the quality assessment of composite indicators", JRSS A 168(2);
OECD/JRC 2008, *Handbook on Constructing Composite Indicators*, §7.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.aggregation.grades import grade_matrix, rank_in_category
from evalkit.aggregation.means import AGGREGATION
from evalkit.analysis.uncertainty.batch import NOMINAL, ranks_within, totals_local
from evalkit.analysis.uncertainty.problem import UncertaintyProblem
from evalkit.analysis.uncertainty.ranksets import (
    EXACT_CELLS,
    JOINT_DRAWS,
    RankCounts,
    TotalQuantiles,
    column_counts,
    joint_rank_sets,
    median_bands,
)
from evalkit.analysis.uncertainty.sampling import (
    BLOCK,
    Level,
    Spread,
    block_rng,
    perturbed_levels,
    sample_local_weights,
)
from evalkit.analysis.uncertainty.variants import check_variants
from evalkit.core.errors import EvalkitError


@dataclass
class MonteCarloResult:
    """Outcome of :func:`monte_carlo`.

    Attributes
    ----------
    summary : DataFrame
        One row per unit: ``unit_id``, ``category``, ``nominal_total``, ``nominal_rank``,
        ``n_in_category``, ``rank_median``, ``rank_p05``, ``rank_p95`` (marginal: each holds
        for its unit alone), ``rank_lo_joint``, ``rank_hi_joint`` (simultaneous: all hold
        together in ``coverage`` of the replications), ``coverage``, ``band`` (``above`` /
        ``median`` / ``below`` the category median by the simultaneous set),
        ``n_like_median`` (units of
        the category that cannot be told apart from its median), ``rank_mean``,
        ``p_top_k``, ``p_bottom_k``, ``total_p05``, ``total_p95``, and when grades are given
        ``nominal_grade``, ``p_grade_<grade>``, ``p_grade_change``.
    ranks : ndarray or None
        Replications × units ranks (int32); None when streamed.
    weights : ndarray or None
        Indicators × replications global weights; None when streamed.
    choices : DataFrame or None
        Per replication: ``weights`` option, ``scores`` option, ``aggregation`` (and each
        score factor); None when streamed.
    totals : ndarray or None
        Replications × units totals (kept when ``keep_totals``).
    settings : dict
        The Monte Carlo's settings (for provenance), with the achieved joint coverage.
    """

    summary: pd.DataFrame
    ranks: np.ndarray | None
    weights: np.ndarray | None
    choices: pd.DataFrame | None
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


@dataclass
class Block:
    """One block of replications: totals (replications × units), local weights, choices."""

    T: np.ndarray
    IW: np.ndarray
    NW: np.ndarray
    choice: dict[str, np.ndarray]
    s_idx: np.ndarray


@dataclass
class Replicator:
    """Draws and evaluates block ``b`` of the replications of a (canonical) problem: the
    same block from the same seed, bit for bit, however often it is asked for."""

    p: UncertaintyProblem
    n: int
    seed: int
    factors: dict[str, int]
    aggregations: list[str]
    weights: dict[str, Any] = field(default_factory=dict)
    switch_scores: bool = True
    mats: list[np.ndarray] = field(init=False, repr=False)   # score options, read once

    def __post_init__(self) -> None:
        self.mats = self.p.score_arrays()[1]

    @property
    def blocks(self) -> int:
        return -(-self.n // BLOCK)

    def block(self, b: int) -> Block:
        rng = block_rng(self.seed, b)
        size = min(BLOCK, self.n - b * BLOCK)
        choice = {f: rng.integers(0, k, size) if k > 1 else np.zeros(size, dtype=int)
                  for f, k in self.factors.items()}
        IW, NW = sample_local_weights(self.p, size, rng, option=choice["weighting"],
                                      **self.weights)
        s_idx = self.p.score_index(choice) if self.switch_scores else \
            np.zeros(size, dtype=int)
        T = totals_local(self.p, IW, NW, s_idx, choice["aggregation"], self.aggregations,
                         self.mats)
        return Block(T, IW, NW, choice, s_idx)

    def rank_blocks(self, codes: np.ndarray, draws: int) -> Iterator[np.ndarray]:
        """The first blocks' ranks again, at least ``draws`` replications (the second
        reading of a streamed Monte Carlo)."""
        for b in range(min(self.blocks, -(-draws // BLOCK))):
            yield ranks_within(self.block(b).T.astype(np.float32), codes)


class _Tally:
    """What the summary needs of the replications, accumulated block by block."""

    def __init__(self, p: UncertaintyProblem, exact: bool, keep_totals: bool,
                 g0: np.ndarray | None) -> None:
        self.p, self.exact, self.keep_totals, self.g0 = p, exact, keep_totals, g0
        self.codes = p.category_codes()
        n_cat = p.category.map(p.category.value_counts()).to_numpy()
        self.ranks = RankCounts(len(self.codes), int(n_cat.max(initial=1)))
        self.totals = TotalQuantiles(exact)
        ng = 0 if g0 is None else len(p.grades)  # type: ignore[arg-type]
        self.grades = np.zeros((len(self.codes), ng), dtype=np.int64)
        self.changed = np.zeros(len(self.codes), dtype=np.int64)
        self.kept: dict[str, list[Any]] = {"ranks": [], "T": [], "W": [], "choice": []}

    def add(self, blk: Block) -> None:
        T32 = blk.T.astype(np.float32)   # ranks at ~1e-5 points resolution: far below 0.01
        orders: dict[int, np.ndarray] = {}
        ranks = ranks_within(T32, self.codes, orders=orders)
        self.ranks.add(ranks)
        self.totals.add(T32)
        if self.g0 is not None:
            p = self.p
            G = grades_batch(T32, ranks, self.codes, p.grades, p.quota_rounding,  # type: ignore[arg-type]
                             _veto(p), p.veto_max, orders, p.grade_ties)
            self.grades += column_counts(G, self.grades.shape[1])
            self.changed += (G != self.g0[None, :]).sum(axis=0)
        if self.exact:
            self.kept["ranks"].append(ranks)
            self.kept["W"].append(self.p.tree.global_weights(blk.NW, blk.IW)[1].T)
            self.kept["choice"].append((blk.choice, blk.s_idx))
            if self.keep_totals:
                self.kept["T"].append(blk.T)


def _summary(p: UncertaintyProblem, tally: _Tally, t0: np.ndarray, r0: np.ndarray,
             joint: tuple[np.ndarray, np.ndarray, float], top_k: int, bottom_k: int
             ) -> pd.DataFrame:
    n_cat = p.category.map(p.category.value_counts()).to_numpy()
    q, mean_rank, cdf = tally.ranks.distribution()
    tq = tally.totals.quantiles()
    band, like = median_bands(joint[0], joint[1], n_cat, tally.codes)
    s = pd.DataFrame({
        "unit_id": p.scores.index.astype(str), "category": p.category.to_numpy(),
        "nominal_total": t0, "nominal_rank": r0, "n_in_category": n_cat,
        "rank_median": q[1], "rank_p05": q[0], "rank_p95": q[2],
        "rank_lo_joint": joint[0], "rank_hi_joint": joint[1], "coverage": joint[2],
        "band": band,
        "n_like_median": like, "rank_mean": mean_rank,
        f"p_top_{top_k}": cdf[:, min(top_k, cdf.shape[1] - 1)],
        f"p_bottom_{bottom_k}": 1.0 - cdf[np.arange(len(n_cat)),
                                          np.clip(n_cat - bottom_k, 0, cdf.shape[1] - 1)],
        "total_p05": tq[0], "total_p95": tq[1]})
    if tally.g0 is not None:
        gids = p.grades["grade"].astype(str).tolist()  # type: ignore[index]
        s["nominal_grade"] = np.array(gids)[tally.g0]
        for k, gid in enumerate(gids):
            s[f"p_grade_{gid}"] = tally.grades[:, k] / tally.ranks.R
        s["p_grade_change"] = tally.changed / tally.ranks.R
    return s


def _choices(rep: Replicator, kept: list[Any]) -> pd.DataFrame:
    wnames, snames = rep.p.weight_arrays()[0], rep.p.score_names()
    choice = {f: np.concatenate([c[f] for c, _ in kept]) for f in rep.factors}
    s_idx = np.concatenate([s for _, s in kept])
    out = {"weights": np.array(wnames)[choice["weighting"]], "scores": np.array(snames)[s_idx],
           "aggregation": np.array(rep.aggregations)[choice["aggregation"]]}
    for f, labels in rep.p.score_factors.items():
        out[f] = np.array(labels, dtype=object)[choice[f]]
    return pd.DataFrame(out)


def monte_carlo(p: UncertaintyProblem, n: int = 1000, *, perturb: str = "dirichlet",
                concentration: Spread = 100.0, percent: Spread = 0.2, level: Level = "both",
                switch_weights: bool = True, switch_scores: bool = True,
                aggregations: Sequence[str] = (NOMINAL,), top_k: int = 3,
                bottom_k: int = 3, seed: int = 0, keep_totals: bool = False,
                coverage: float = 0.9, stream: bool | None = None) -> MonteCarloResult:
    """Monte Carlo over weights (and, when given, schemes, score variants, aggregations).

    Each replication r draws a weight option (``p.weight_options``, uniformly, when
    ``switch_weights``), the score factors (when ``switch_scores``: each of
    ``p.score_factors`` — treatment limit, normalisation, missing policy — independently and
    uniformly, as COINr's ``get_sensitivity`` samples its inputs; or one of
    ``p.score_options``) and an aggregation from ``aggregations`` (``nominal``: every node
    its own method; a key of the aggregation registry: every node by that method), then
    perturbs the chosen nominal weights at ``level``
    (:func:`~evalkit.analysis.uncertainty.sampling.sample_local_weights`). Totals ``offset
    + scale · office`` aggregate over the real tree, batched per distinct (score option,
    aggregation) pair; ranks within category by one vectorised argsort.

    Reported per unit: the nominal total, rank and grade (nominal weights and scores, first
    aggregation; rounded to ``p.decimals`` as published), the rank median and marginal
    5–95 % interval, the simultaneous rank set at ``coverage``
    (:func:`~evalkit.analysis.uncertainty.ranksets.joint_rank_sets`, Besag et al. 1995) and
    the median band it implies, the mean rank, the probability of being in the top
    ``top_k`` / bottom ``bottom_k`` of its category and of each grade, and the 5–95 %
    interval of the total.

    ``stream`` (default: when ``n`` × units exceeds
    :data:`~evalkit.analysis.uncertainty.ranksets.EXACT_CELLS`) keeps no replication: the
    ranks, weights and choices are not returned, the totals' quantiles come from histograms,
    and the simultaneous sets' tail is chosen on the first
    :data:`~evalkit.analysis.uncertainty.ranksets.JOINT_DRAWS` replications, drawn again
    from their seeds (the sets themselves use every replication's counts; the joint
    coverage is then exact on that sample, within ±0.1 % on all). Results do not depend on
    the order of the problem's units, indicators or nodes.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.analysis.uncertainty import UncertaintyProblem
    >>> rng = np.random.default_rng(0)
    >>> s = pd.DataFrame(rng.uniform(0, 100, (30, 5)), columns=list("abcde"))
    >>> mc = monte_carlo(UncertaintyProblem.from_weights(s), n=200)
    >>> bool((mc.summary.rank_p05 <= mc.summary.rank_median).all())
    True
    >>> bool((mc.summary.rank_lo_joint <= mc.summary.rank_p05).all())
    True
    """
    if n < 1:
        raise EvalkitError(f"n must be ≥ 1, got {n}", "n")
    if not 0 < coverage < 1:
        raise EvalkitError(f"coverage must be in (0, 1), got {coverage}", "coverage")
    check_aggregations(aggregations)
    perturbed_levels(p.tree, level)
    q, units, inds = p.canonical()
    factors = {"weighting": len(q.weight_arrays()[0]) if switch_weights else 1,
               **(q.score_factor_sizes() if switch_scores else
                  dict.fromkeys(q.score_factor_sizes(), 1)),
               "aggregation": len(aggregations)}
    rep = Replicator(q, n, seed, factors, list(aggregations),
                     {"perturb": perturb, "concentration": concentration, "percent": percent,
                      "level": level}, switch_scores)
    codes = q.category_codes()
    t0 = check_variants(q, list(aggregations), switch_scores, rep.mats)
    r0, g0 = _nominal(q, t0, codes)
    exact = (n * len(codes) <= EXACT_CELLS) if stream is None else not stream
    if keep_totals and not exact:
        raise EvalkitError("keep_totals needs the replications in memory (stream: false)",
                           "keep_totals")
    tally = _Tally(q, exact, keep_totals, g0)
    for b in range(rep.blocks):
        tally.add(rep.block(b))
    kept = tally.kept
    lo, hi, achieved = joint_rank_sets(tally.ranks.counts,
                                       kept["ranks"] if exact else
                                       rep.rank_blocks(codes, JOINT_DRAWS),
                                       coverage)
    summary = _summary(q, tally, t0, r0, (lo, hi, coverage), top_k, bottom_k)
    summary = summary.iloc[units].reset_index(drop=True)
    settings = {"n": n, "perturb": perturb, "concentration": concentration,
                "percent": percent, "level": level, "aggregations": list(aggregations),
                "weight_options": q.weight_arrays()[0][:factors["weighting"]],
                "score_options": q.score_names() if switch_scores else ["nominal"],
                "score_factors": dict(q.score_factors), "top_k": top_k, "bottom_k": bottom_k,
                "seed": seed, "coverage": coverage, "coverage_achieved": achieved,
                "streamed": not exact}
    if not exact:
        return MonteCarloResult(summary, None, None, None, None, settings)
    ranks = np.concatenate(kept["ranks"])[:, units]
    W = np.concatenate(kept["W"], axis=1)[inds]
    T = np.concatenate(kept["T"])[:, units] if keep_totals else None
    return MonteCarloResult(summary, ranks, W, _choices(rep, kept["choice"]), T, settings)
