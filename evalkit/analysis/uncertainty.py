"""Uncertainty and sensitivity of rankings to weights, schemes, normalisation, aggregation.

Researchers ask whether a ranking survives another defensible choice of weights. This
module answers with a Monte Carlo over the uncertain choices, vectorised so that a
weights-only run is ONE batched matrix product (units × indicators scores times an
indicators × replications weight matrix) followed by vectorised ranks, and with Sobol
indices (SALib) of each choice.

The model (Saisana, Saltelli & Tarantola 2005, "Uncertainty and sensitivity analysis
techniques as tools for the quality assessment of composite indicators", JRSS A 168(2);
OECD/JRC Handbook on Constructing Composite Indicators 2008, §7)::

    composite_u(r) = agg_{i}(S_ui ; w_i(r))        (arithmetic: Σ_i w_i S_ui / Σ_i w_i)
    total_u(r)     = offset_u + scale_u · composite_u(r)

``w(r)`` is drawn around the nominal weights: ``dirichlet`` (``w ~ Dir(c · w0)``: mean
``w0``, variance ``w0 (1 − w0) / (c + 1)``) or ``percent`` (``w_i = w0_i · U(1 − p, 1 + p)``,
renormalised), at the level of the indicators within their perspective, of the
perspectives, or both (global weight = perspective weight × indicator weight within it).
``offset`` and ``scale`` carry the rest of the evaluation (other sources' contributions,
bonus − deductions; the office source's effective weight), so ranks and grades are those of
the published total.

Entry points
------------
- :class:`UncertaintyProblem` — the scored matrix and nominal weights (build it with
  :meth:`UncertaintyProblem.from_weights` or from an evaluation with
  :func:`problems_from_pipeline`);
- :func:`monte_carlo` → :class:`MonteCarloResult` (rank distribution per unit, grade,
  top-k and bottom-k probabilities; ``.table()`` for the Results);
- :func:`sobol_indices` — first-order and total Sobol indices of each uncertain choice;
- :func:`main_effects` — effective weights (correlation ratio of each indicator on the
  composite) beside nominal weights; :func:`optimise_weights` — weights for target
  importances;
- :func:`unit_rank_interval` — what a unit report shows (rank interval + provenance).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError
from evalkit.scoring.prepare import prepare
from evalkit.spec.tree import Tree
from evalkit.weights import WeightSet, make_weightset
from evalkit.weights.hierarchy import resolve_tree

AGGREGATIONS = ("arithmetic", "geometric")


# ---------------------------------------------------------------------------------------
@dataclass
class UncertaintyProblem:
    """What the Monte Carlo perturbs: scores, a two-level weight tree, and the rest of the total.

    Attributes
    ----------
    scores : DataFrame
        Units × indicators scores (0–100); NaN = missing (its weight is shared among the
        indicators of the same perspective present for the unit, as ``missing: reweight``).
    groups : Series
        Perspective (group) id of each indicator (index: indicator ids, in ``scores`` order).
    within : Series
        Nominal weight of each indicator within its group (sums to 1 per group).
    group_weights : Series
        Nominal weight of each group (sums to 1).
    category : Series
        Category of each unit (ranks are within category).
    offset, scale : Series
        ``total = offset + scale · composite`` per unit (defaults 0 and 1).
    grades : DataFrame, optional
        Grade levels best first: ``grade``, ``min_score`` (NaN: none), ``quota`` (share of the
        category, NaN: none) — as ``meta_grades`` in the Results.
    quota_rounding : str
        ``floor``, ``round`` or ``ceil`` (quota × n → count).
    veto : Series of bool, optional
        Units under a one-vote veto (一票否决): never graded better than ``veto_max``.
    veto_max : int, optional
        Index of the best grade a vetoed unit may get (default: the lowest grade).
    decimals : int, optional
        The nominal rank is computed as published: totals rounded to ``decimals``, ties
        sharing the best rank (``min``); replications rank unrounded totals.
    score_options : dict of str to DataFrame
        Alternative score matrices (other normalisations); the first is ``scores``.
    weight_options : dict of str to (within, group_weights)
        Alternative nominal weights (other schemes); the first is the nominal one.
    provenance : dict
        Where the problem came from (spec, period, weight sets' provenance).
    """

    scores: pd.DataFrame
    groups: pd.Series
    within: pd.Series
    group_weights: pd.Series
    category: pd.Series
    offset: pd.Series
    scale: pd.Series
    grades: pd.DataFrame | None = None
    quota_rounding: str = "floor"
    veto: pd.Series | None = None
    veto_max: int | None = None
    decimals: int | None = None
    score_options: dict[str, pd.DataFrame] = field(default_factory=dict)
    weight_options: dict[str, tuple[pd.Series, pd.Series]] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_weights(cls, scores: pd.DataFrame, weights: pd.Series | WeightSet | None = None,
                     groups: pd.Series | Mapping[str, str] | None = None,
                     group_weights: pd.Series | Mapping[str, float] | None = None,
                     category: pd.Series | None = None, offset: pd.Series | None = None,
                     scale: pd.Series | None = None, grades: pd.DataFrame | None = None,
                     ) -> UncertaintyProblem:
        """Build a problem from scores and weights.

        ``weights`` are indicator weights (global if ``group_weights`` is None, then the
        group weights are their sums; within-group otherwise); default equal. ``groups``
        maps indicator -> perspective (default: all in one group ``"all"``).

        Examples
        --------
        >>> import pandas as pd
        >>> s = pd.DataFrame({"a": [10., 80.], "b": [90., 20.]}, index=["u1", "u2"])
        >>> p = UncertaintyProblem.from_weights(s, pd.Series({"a": .75, "b": .25}))
        >>> nominal_composite(p).round(2).tolist()
        [30.0, 65.0]
        """
        inds = [str(c) for c in scores.columns]
        scores = scores.set_axis(inds, axis=1).astype(float)
        if isinstance(weights, WeightSet):
            weights = weights.weights
        w = pd.Series(1.0, index=inds) if weights is None else \
            pd.Series(weights, dtype=float).reindex(inds)
        if w.isna().any() or (w < 0).any() or w.sum() <= 0:
            raise EvalkitError(f"weights must be ≥ 0, one per indicator {inds}", "weights")
        g = pd.Series("all", index=inds) if groups is None else \
            pd.Series(groups).reindex(inds)
        if g.isna().any():
            raise EvalkitError(f"no group for indicators {g[g.isna()].index.tolist()}",
                               "groups")
        g = g.astype(str)
        if group_weights is None:
            gw = w.groupby(g, sort=False).sum()
        else:
            gw = pd.Series(group_weights, dtype=float)
            if set(gw.index) != set(g.unique()):
                raise EvalkitError(f"group_weights must give every group {sorted(set(g))}",
                                   "group_weights")
        gw = gw / gw.sum()
        within = w / w.groupby(g).transform("sum").replace(0.0, np.nan)
        within = within.fillna(0.0)
        units = scores.index
        cat = pd.Series("all", index=units) if category is None else \
            category.reindex(units).astype(str)
        return cls(scores, g, within, gw.reindex(g.unique()), cat,
                   pd.Series(0.0, index=units) if offset is None else offset.reindex(units),
                   pd.Series(1.0, index=units) if scale is None else scale.reindex(units),
                   grades)

    @property
    def global_weights(self) -> pd.Series:
        """Nominal global indicator weights: group weight × weight within the group."""
        return self.within * self.group_weights.reindex(self.groups).to_numpy()


# ---------------------------------------------------------------------------------------
def _group_matrix(p: UncertaintyProblem) -> tuple[np.ndarray, list[str]]:
    names = list(p.group_weights.index)
    idx = pd.Index(names).get_indexer(p.groups)
    return idx, names


def _nominal_arrays(p: UncertaintyProblem) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Names and nominal (within, group) matrices of every weight option (option on axis 1)."""
    opts = {"nominal": (p.within, p.group_weights), **p.weight_options}
    names = list(opts)
    inds = list(p.scores.columns)
    gnames = list(p.group_weights.index)
    wi = np.column_stack([pd.Series(o[0], dtype=float).reindex(inds).fillna(0.0).to_numpy()
                          for o in opts.values()])
    gw = np.column_stack([pd.Series(o[1], dtype=float).reindex(gnames).fillna(0.0).to_numpy()
                          for o in opts.values()])
    return names, wi, gw


def sample_weights(p: UncertaintyProblem, n: int, rng: np.random.Generator, *,
                   perturb: str = "dirichlet", concentration: float = 100.0,
                   percent: float = 0.2, level: str = "both",
                   option: np.ndarray | None = None) -> np.ndarray:
    """Draw ``n`` global weight vectors around the nominal weights (indicators × n).

    ``perturb``: ``dirichlet`` (``Dir(c · w0)`` within each group and/or across groups,
    drawn as normalised gamma variates) or ``percent`` (``w0 · U(1 − p, 1 + p)``,
    renormalised) or ``none``; ``level``: ``indicator`` (within groups), ``group``, ``both``.
    ``option[r]`` selects the nominal weights of replication r among
    ``p.weight_options`` (0 = nominal).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> s = pd.DataFrame(np.eye(3) * 100, columns=list("abc"))
    >>> p = UncertaintyProblem.from_weights(s, pd.Series({"a": .5, "b": .3, "c": .2}))
    >>> W = sample_weights(p, 5000, np.random.default_rng(0), concentration=200)
    >>> W.shape, np.allclose(W.sum(axis=0), 1), W.mean(axis=1).round(2).tolist()
    ((3, 5000), True, [0.5, 0.3, 0.2])
    """
    if level not in ("indicator", "group", "both"):
        raise EvalkitError(f"level must be indicator, group or both, got {level!r}", "level")
    if perturb not in ("dirichlet", "percent", "none"):
        raise EvalkitError(f"perturb must be dirichlet, percent or none, got {perturb!r}",
                           "perturb")
    gidx, gnames = _group_matrix(p)
    _, wi0, gw0 = _nominal_arrays(p)
    opt = np.zeros(n, dtype=int) if option is None else option
    within = wi0[:, opt]                      # indicators × n
    gw = gw0[:, opt]                          # groups × n
    if perturb == "dirichlet":
        if concentration <= 0:
            raise EvalkitError(f"concentration must be > 0, got {concentration}",
                               "concentration")
        if level in ("indicator", "both"):
            within = _gamma(rng, concentration * within)
        if level in ("group", "both"):
            gw = _gamma(rng, concentration * gw)
    elif perturb == "percent":
        if not 0 <= percent < 1:
            raise EvalkitError(f"percent must be in [0, 1), got {percent}", "percent")
        if level in ("indicator", "both"):
            within = within * rng.uniform(1 - percent, 1 + percent, size=within.shape)
        if level in ("group", "both"):
            gw = gw * rng.uniform(1 - percent, 1 + percent, size=gw.shape)
    return _combine(within, gw, gidx, len(gnames))


def _gamma(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    out = np.zeros_like(alpha)
    pos = alpha > 0
    out[pos] = rng.standard_gamma(alpha[pos])
    return out


def _combine(within: np.ndarray, gw: np.ndarray, gidx: np.ndarray, n_groups: int
             ) -> np.ndarray:
    """Global weights = group weight × within-group weight (each renormalised)."""
    onehot = np.zeros((n_groups, len(gidx)))
    onehot[gidx, np.arange(len(gidx))] = 1.0
    gsum = onehot @ within                     # groups × n
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.where(gsum[gidx] > 0, within / gsum[gidx], 0.0)
    gw = gw / gw.sum(axis=0, keepdims=True)
    return within * gw[gidx]


# ---------------------------------------------------------------------------------------
def composite_batch(S: np.ndarray, W: np.ndarray, gidx: np.ndarray | None = None,
                    aggregation: str = "arithmetic") -> np.ndarray:
    """Composite scores of every unit under every weight vector: replications × units.

    ``S``: units × indicators (NaN = missing); ``W``: indicators × replications (global
    weights). Without missing values this is one matrix product ``(S @ W).T`` (arithmetic)
    or ``exp(log S @ W)`` (geometric; a zero score with positive weight gives 0). With
    missing values, each group's weights are renormalised over the unit's present
    indicators (``missing: reweight``), one product per group: ``Σ_g (S0_g @ W_g) /
    (K_g @ W_g) · w_g`` over groups with data, divided by their weight.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[10., 90.], [80., 20.]])
    >>> composite_batch(S, np.array([[0.75, 0.5], [0.25, 0.5]])).tolist()
    [[30.0, 65.0], [50.0, 50.0]]
    """
    if aggregation not in AGGREGATIONS:
        raise EvalkitError(f"aggregation must be one of {list(AGGREGATIONS)}, got "
                           f"{aggregation!r}", "aggregation")
    K = np.isfinite(S)
    geo = aggregation == "geometric"
    if geo and np.any(S[K] < 0):
        raise EvalkitError("geometric aggregation needs scores ≥ 0", "aggregation")
    with np.errstate(divide="ignore"):
        X = np.where(K, np.log(np.where(K & (S > 0), S, 1.0)) if geo else S, 0.0)
    if K.all():
        out = W.T @ X.T
        if geo:
            out = np.exp(out / W.sum(axis=0)[:, None])
    else:
        g = np.zeros(S.shape[1], dtype=int) if gidx is None else gidx
        num = np.zeros((W.shape[1], S.shape[0]))
        den = np.zeros_like(num)
        Kf = K.astype(float)
        for grp in np.unique(g):
            cols = np.flatnonzero(g == grp)
            Wg = W[cols]
            n_g = Wg.T @ X[:, cols].T             # reps × units
            d_g = Wg.T @ Kf[:, cols].T
            wg = Wg.sum(axis=0)[:, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                part = np.where(d_g > 0, n_g / d_g, 0.0)
            num += wg * part
            den += np.where(d_g > 0, wg, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = num / den
        if geo:
            out = np.exp(out)
    if geo:
        zero = (K & (S == 0)).astype(float)
        if zero.any():
            out = np.where((W > 0).astype(float).T @ zero.T > 0, 0.0, out)
    return out


def ranks_within(C: np.ndarray, category_codes: np.ndarray, *, stable: bool = False,
                 orders: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """Ranks (1 = best) of each row's units within their category: replications × units.

    One ``argsort`` per category over the replications matrix; exact ties (measure zero
    under continuous weights) are broken arbitrarily unless ``stable`` (unit order). When
    ``orders`` is a dict, it receives each category's argsort (best first) for re-use.

    Examples
    --------
    >>> import numpy as np
    >>> ranks_within(np.array([[3., 1., 2., 9.]]), np.array([0, 0, 0, 1])).tolist()
    [[1, 3, 2, 1]]
    """
    R, n = C.shape
    ranks = np.empty((R, n), dtype=np.int32)
    for c in np.unique(category_codes):
        cols = np.flatnonzero(category_codes == c)
        sub = C[:, cols] if len(cols) < n else C        # a copy only when sub-selecting
        nan = np.isnan(sub)
        if nan.any():
            sub = np.where(nan, -np.inf, sub)            # no score ranks last
        if stable:
            order = np.argsort(-sub, axis=1, kind="stable")
        else:
            order = np.argsort(sub, axis=1)[:, ::-1]
        r = np.empty_like(order, dtype=np.int32)
        np.put_along_axis(r, order, np.arange(1, len(cols) + 1, dtype=np.int32)[None, :],
                          axis=1)
        ranks[:, cols] = r
        if orders is not None:
            orders[int(c)] = order
    return ranks


def grades_batch(T: np.ndarray, ranks: np.ndarray, category_codes: np.ndarray,
                 grades: pd.DataFrame, rounding: str = "floor",
                 veto: np.ndarray | None = None, veto_max: int | None = None,
                 orders: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """Grade index (0 = best) of each unit in each replication, as
    :func:`evalkit.aggregation.means.assign_grades` assigns them (best grade whose ``min_score`` the
    unit reaches and whose per-category quota is not yet full, in order of total; ties at
    the quota edge are measure-zero in a Monte Carlo and not treated specially). A unit
    with ``veto`` gets no grade better than ``veto_max`` (default the lowest) and uses no
    better grade's quota.
    """
    rnd = {"floor": np.floor, "ceil": np.ceil, "round": np.round}[rounding]
    R, n = T.shape
    G = len(grades)
    out = np.full((R, n), G - 1, dtype=np.int16)
    vmax = G - 1 if veto_max is None else int(veto_max)
    vetoed = np.zeros(n, dtype=bool) if veto is None else np.asarray(veto, dtype=bool)
    mins = grades["min_score"].astype(float).to_numpy()
    quotas = grades["quota"].astype(float).to_numpy() if "quota" in grades else np.full(G, np.nan)
    for c in np.unique(category_codes):
        cols = np.flatnonzero(category_codes == c)
        order = orders[int(c)] if orders is not None and int(c) in orders else \
            np.argsort(ranks[:, cols], axis=1)                # best first
        ts = np.take_along_axis(T[:, cols], order, axis=1)
        free = np.ones_like(ts, dtype=bool)
        any_veto = bool(vetoed[cols].any())
        vs = vetoed[cols][order] if any_veto else None
        g_sorted = np.full(ts.shape, G - 1, dtype=np.int16)
        for k in range(G - 1):
            ok = free & (ts >= (mins[k] if np.isfinite(mins[k]) else -np.inf))
            if any_veto and k < vmax:
                ok &= ~vs
            if np.isfinite(quotas[k]):
                cap = int(rnd(quotas[k] * len(cols) + 1e-9))
                ok &= np.cumsum(ok, axis=1) <= cap
            g_sorted[ok] = k
            free &= ~ok
        if any_veto:
            g_sorted = np.where(vs, np.maximum(g_sorted, vmax), g_sorted).astype(np.int16)
        back = np.empty_like(g_sorted)
        np.put_along_axis(back, order, g_sorted, axis=1)
        out[:, cols] = back
    return out


# ---------------------------------------------------------------------------------------
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


def _options(p: UncertaintyProblem) -> tuple[list[str], list[np.ndarray]]:
    opts = {"nominal": p.scores, **p.score_options}
    inds = list(p.scores.columns)
    mats = []
    for name, df in opts.items():
        if list(df.columns) != inds or not df.index.equals(p.scores.index):
            df = df.reindex(index=p.scores.index, columns=inds)
            if df.isna().all(axis=0).any():
                raise EvalkitError(f"score option {name!r} lacks indicators of the problem",
                                   "score_options")
        mats.append(df.to_numpy(dtype=float))
    return list(opts), mats


def _run(p: UncertaintyProblem, W: np.ndarray, s_idx: np.ndarray, a_idx: np.ndarray,
         aggregations: Sequence[str]) -> np.ndarray:
    """Totals (replications × units) for weight columns W and option indices per replication."""
    _, mats = _options(p)
    gidx, _ = _group_matrix(p)
    R = W.shape[1]
    combos = np.unique(np.column_stack([s_idx, a_idx]), axis=0)
    if len(combos) == 1:                      # weights only: ONE batched product
        s, a = combos[0]
        C = composite_batch(mats[s], W, gidx, aggregations[a])
    else:
        C = np.empty((R, p.scores.shape[0]))
        for s, a in combos:
            sel = np.flatnonzero((s_idx == s) & (a_idx == a))
            C[sel] = composite_batch(mats[s], W[:, sel], gidx, aggregations[a])
    scale, offset = p.scale.to_numpy(dtype=float), p.offset.to_numpy(dtype=float)
    if not np.all(scale == 1.0):
        C *= scale[None, :]
    if np.any(offset != 0.0):
        C += offset[None, :]
    return C


def totals_batch(p: UncertaintyProblem, W: np.ndarray, aggregation: str = "arithmetic",
                 score_option: int = 0) -> np.ndarray:
    """Totals (columns of ``W`` × units) of ``p`` under the global weight columns ``W``
    (indicators × k), one batched product: ``offset + scale · composite``."""
    k = np.zeros(W.shape[1], dtype=int)
    return _run(p, W, k + score_option, k, (aggregation,))


def nominal_composite(p: UncertaintyProblem) -> pd.Series:
    """Composite (before offset/scale) under the nominal weights, arithmetic."""
    W = p.global_weights.to_numpy()[:, None]
    gidx, _ = _group_matrix(p)
    c = composite_batch(p.scores.to_numpy(dtype=float), W, gidx)[0]
    return pd.Series(c, index=p.scores.index, name="composite")


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


def monte_carlo(p: UncertaintyProblem, n: int = 1000, *, perturb: str = "dirichlet",
                concentration: float = 100.0, percent: float = 0.2, level: str = "both",
                switch_weights: bool = True, switch_scores: bool = True,
                aggregations: Sequence[str] = ("arithmetic",), top_k: int = 3,
                bottom_k: int = 3, seed: int = 0, keep_totals: bool = False
                ) -> MonteCarloResult:
    """Monte Carlo over weights (and, when given, schemes, normalisations, aggregations).

    Each replication r draws a weight option (``p.weight_options``, uniformly, when
    ``switch_weights``), a score option (``p.score_options``, when ``switch_scores``) and an
    aggregation from ``aggregations`` (uniformly), then perturbs the chosen nominal weights
    (:func:`sample_weights`). Totals are computed in ONE batched product per distinct
    (score option, aggregation) pair — a single product for a weights-only run — and ranked
    within category by one vectorised argsort.

    Reported per unit: rank median and 5–95 % interval, mean rank, the probability of being
    in the top ``top_k`` / bottom ``bottom_k`` of its category, of each grade, and the
    5–95 % interval of the total. Reference: Saisana, Saltelli & Tarantola 2005.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s = pd.DataFrame(rng.uniform(0, 100, (30, 5)), columns=list("abcde"))
    >>> mc = monte_carlo(UncertaintyProblem.from_weights(s), n=200)
    >>> bool((mc.summary.rank_p05 <= mc.summary.rank_median).all())
    True
    """
    if n < 1:
        raise EvalkitError(f"n must be ≥ 1, got {n}", "n")
    for a in aggregations:
        if a not in AGGREGATIONS:
            raise EvalkitError(f"aggregation must be one of {list(AGGREGATIONS)}, got {a!r}",
                               "aggregations")
    rng = np.random.default_rng(seed)
    wnames, _, _ = _nominal_arrays(p)
    snames, _ = _options(p)
    w_opt = rng.integers(0, len(wnames), n) if switch_weights and len(wnames) > 1 \
        else np.zeros(n, dtype=int)
    s_idx = rng.integers(0, len(snames), n) if switch_scores and len(snames) > 1 \
        else np.zeros(n, dtype=int)
    a_idx = rng.integers(0, len(aggregations), n) if len(aggregations) > 1 \
        else np.zeros(n, dtype=int)
    W = sample_weights(p, n, rng, perturb=perturb, concentration=concentration,
                       percent=percent, level=level, option=w_opt)
    T = _run(p, W, s_idx, a_idx, aggregations)
    # replications are ranked in float32: a resolution of ~1e-5 points, far below the
    # published 0.01, for half the memory traffic of the sorts
    T32 = T.astype(np.float32)
    codes = pd.Categorical(p.category).codes
    orders: dict[int, np.ndarray] = {}
    ranks = ranks_within(T32, codes, orders=orders)
    # nominal
    W0 = p.global_weights.to_numpy()[:, None]
    T0 = _run(p, W0, np.zeros(1, dtype=int), np.zeros(1, dtype=int), aggregations)
    t0 = pd.Series(T0[0] if p.decimals is None else np.round(T0[0], p.decimals))
    r0 = t0.groupby(codes).rank(ascending=False, method="min").to_numpy().astype(np.int32)
    n_cat = p.category.map(p.category.value_counts()).to_numpy()
    q, mean_rank, cdf = _rank_distribution(ranks)
    tq = np.quantile(T32.T, [0.05, 0.95], axis=1) if np.isfinite(T32).all() else \
        np.nanquantile(T32.T, [0.05, 0.95], axis=1)
    summary = pd.DataFrame({
        "unit_id": p.scores.index.astype(str), "category": p.category.to_numpy(),
        "nominal_total": T0[0], "nominal_rank": r0, "n_in_category": n_cat,
        "rank_median": q[1], "rank_p05": q[0], "rank_p95": q[2],
        "rank_mean": mean_rank,
        f"p_top_{top_k}": cdf[:, min(top_k, cdf.shape[1] - 1)],
        f"p_bottom_{bottom_k}": 1.0 - cdf[np.arange(len(n_cat)),
                                          np.clip(n_cat - bottom_k, 0, cdf.shape[1] - 1)],
        "total_p05": tq[0], "total_p95": tq[1],
    })
    if p.grades is not None and len(p.grades):
        veto = None if p.veto is None else p.veto.reindex(p.scores.index).fillna(False)
        G = grades_batch(T32, ranks, codes, p.grades, p.quota_rounding, veto, p.veto_max,
                         orders)
        g0 = grades_batch(T0, r0[None, :], codes, p.grades, p.quota_rounding, veto,
                          p.veto_max)[0]
        gids = p.grades["grade"].astype(str).tolist()
        summary["nominal_grade"] = np.array(gids)[g0]
        counts = _column_counts(G, len(gids))
        for k, gid in enumerate(gids):
            summary[f"p_grade_{gid}"] = counts[:, k] / len(G)
        summary["p_grade_change"] = (G != g0[None, :]).mean(axis=0)
    choices = pd.DataFrame({"weights": np.array(wnames)[w_opt],
                            "scores": np.array(snames)[s_idx],
                            "aggregation": np.array(list(aggregations))[a_idx]})
    settings = {"n": n, "perturb": perturb, "concentration": concentration,
                "percent": percent, "level": level, "aggregations": list(aggregations),
                "weight_options": wnames if switch_weights else wnames[:1],
                "score_options": snames if switch_scores else snames[:1],
                "top_k": top_k, "bottom_k": bottom_k, "seed": seed}
    del T32
    return MonteCarloResult(summary, ranks, W, choices, T if keep_totals else None, settings)


# ---------------------------------------------------------------------------------------
def sobol_indices(p: UncertaintyProblem, n_base: int = 512, *, level: str = "group",
                  perturb: str = "percent", percent: float = 0.2,
                  concentration: float = 100.0, aggregations: Sequence[str] = ("arithmetic",),
                  units: Sequence[str] = (), seed: int = 0,
                  num_resamples: int = 100) -> pd.DataFrame:
    """First-order and total Sobol indices of each uncertain choice (SALib).

    Factors: one per weight at ``level`` (``group``: each perspective's weight;
    ``indicator``: each indicator's weight within its perspective), uniform on
    ``[1 − percent, 1 + percent]`` as a multiplier (``perturb: percent``), or the uniform
    quantile of a gamma variate ``Γ(c · w0)`` (``perturb: dirichlet``: the normalised
    gammas are then exactly ``Dir(c · w0)``, so the factors are independent as Sobol
    requires); plus one discrete factor each for the weighting scheme
    (``p.weight_options``), the normalisation (``p.score_options``) and the aggregation,
    when there is more than one choice. Saltelli sampling (:func:`SALib.sample.sobol.sample`,
    ``N = n_base``, ``N (D + 2)`` model runs, all evaluated in batched products) and
    :func:`SALib.analyze.sobol.analyze`.

    Outputs analysed: ``rank_shift``, the mean absolute shift of ranks from the nominal
    ranking (Saisana et al. 2005, R̄_S), and the total of each unit in ``units``.

    Returns
    -------
    DataFrame with columns ``output``, ``factor``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample
    from scipy.stats import gamma

    if level not in ("group", "indicator"):
        raise EvalkitError(f"level must be group or indicator for Sobol, got {level!r}",
                           "level")
    gidx, gnames = _group_matrix(p)
    wnames, wi0, gw0 = _nominal_arrays(p)
    snames, _ = _options(p)
    inds = list(p.scores.columns)
    if level == "group":
        wfactors = [f"w[{g}]" for g in gnames]
    else:
        wfactors = [f"w[{i}]" for i in inds]
    names = list(wfactors)
    bounds = [[0.0, 1.0]] * len(wfactors)
    discrete = []
    for label, k in (("weighting", len(wnames)), ("normalisation", len(snames)),
                     ("aggregation", len(aggregations))):
        if k > 1:
            names.append(label)
            bounds.append([0.0, 1.0])
            discrete.append((label, k))
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    X = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    R = len(X)
    choice = {label: np.minimum((X[:, names.index(label)] * k).astype(int), k - 1)
              for label, k in discrete}
    w_opt = choice.get("weighting", np.zeros(R, dtype=int))
    s_idx = choice.get("normalisation", np.zeros(R, dtype=int))
    a_idx = choice.get("aggregation", np.zeros(R, dtype=int))
    within, gw = wi0[:, w_opt], gw0[:, w_opt]
    U = X[:, : len(wfactors)].T
    if perturb == "percent":
        M = 1 - percent + 2 * percent * U
        within, gw = (within * M, gw) if level == "indicator" else (within, gw * M)
    elif perturb == "dirichlet":
        Uc = np.clip(U, 1e-12, 1 - 1e-12)
        if level == "indicator":
            within = np.where(within > 0, gamma.ppf(Uc, np.maximum(concentration * within,
                                                                   1e-12)), 0.0)
        else:
            gw = np.where(gw > 0, gamma.ppf(Uc, np.maximum(concentration * gw, 1e-12)), 0.0)
    else:
        raise EvalkitError(f"perturb must be percent or dirichlet, got {perturb!r}", "perturb")
    W = _combine(within, gw, gidx, len(gnames))
    T = _run(p, W, s_idx, a_idx, aggregations)
    codes = pd.Categorical(p.category).codes
    ranks = ranks_within(T, codes)
    T0 = _run(p, p.global_weights.to_numpy()[:, None], np.zeros(1, dtype=int),
              np.zeros(1, dtype=int), aggregations)
    r0 = ranks_within(T0, codes)[0]
    outputs = {"rank_shift": np.abs(ranks - r0[None, :]).mean(axis=1)}
    uid = p.scores.index.astype(str)
    for u in map(str, units):
        if u not in uid:
            raise EvalkitError(f"unknown unit {u!r}", "units")
        outputs[f"total[{u}]"] = T[:, list(uid).index(u)]
    rows = []
    for out_name, y in outputs.items():
        res = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                    num_resamples=num_resamples, seed=seed)
        for k, f in enumerate(names):
            rows.append({"output": out_name, "factor": f, "S1": res["S1"][k],
                         "S1_conf": res["S1_conf"][k], "ST": res["ST"][k],
                         "ST_conf": res["ST_conf"][k]})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
def _main_effect(x: np.ndarray, y: np.ndarray, method: str, frac: float) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    vy = y.var()
    if vy <= 0 or len(x) < 3 or x.var() <= 0:
        return 0.0
    if method == "linear":
        return float(np.corrcoef(x, y)[0, 1] ** 2)
    if method == "lowess":
        from statsmodels.nonparametric.smoothers_lowess import lowess

        fit = lowess(y, x, frac=frac, it=0, return_sorted=False)
        return float(np.clip(np.var(fit) / vy, 0.0, 1.0))
    raise EvalkitError(f"method must be lowess or linear, got {method!r}", "method")


def main_effects(scores: pd.DataFrame, weights: pd.Series | None = None,
                 composite: pd.Series | None = None, *, method: str = "lowess",
                 frac: float = 0.6) -> pd.DataFrame:
    """Effective weights: each indicator's main effect on the composite beside its weight.

    ``S_i = V(E[y | x_i]) / V(y)``, the first-order sensitivity index or correlation ratio
    η² of indicator x_i on the composite y (Paruolo, Saisana & Saltelli 2013, "Ratings and
    rankings: voodoo or science?", JRSS A 176(3)). ``E[y | x_i]`` is estimated by LOWESS
    (``method: lowess``, local-linear, :func:`statsmodels.nonparametric.smoothers_lowess.
    lowess`, span ``frac``) or linearly (``linear``: S_i = Pearson r²). The composite is
    ``composite`` or the weighted mean of ``scores`` with ``weights``.

    Returns a DataFrame indexed by indicator: ``nominal_weight`` (normalised), ``main_effect``
    (S_i), ``effective_weight`` (S_i normalised to sum 1 — comparable with the nominal
    weights; an indicator whose effective weight is far below its nominal weight does not
    drive the ranking as much as its weight says), ``ratio`` (effective / nominal).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> s = pd.DataFrame(rng.uniform(0, 100, (200, 2)), columns=["a", "b"])
    >>> me = main_effects(s, pd.Series({"a": .8, "b": .2}), method="linear")
    >>> bool(me.loc["a", "effective_weight"] > 0.8)
    True
    """
    inds = list(scores.columns)
    w = pd.Series(1.0, index=inds) if weights is None else \
        pd.Series(weights, dtype=float).reindex(inds).fillna(0.0)
    w = w / w.sum()
    if composite is None:
        X = scores.to_numpy(dtype=float)
        K = np.isfinite(X)
        num = np.where(K, X, 0.0) @ w.to_numpy()
        den = K.astype(float) @ w.to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            y = num / den
    else:
        y = composite.reindex(scores.index).to_numpy(dtype=float)
    s = np.array([_main_effect(scores[c].to_numpy(dtype=float), y, method, frac)
                  for c in inds])
    eff = s / s.sum() if s.sum() > 0 else s
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(w > 0, eff / w.to_numpy(), np.nan)
    return pd.DataFrame({"nominal_weight": w.to_numpy(), "main_effect": s,
                         "effective_weight": eff, "ratio": ratio},
                        index=pd.Index(inds, name="indicator"))


def optimise_weights(scores: pd.DataFrame, target: pd.Series | Mapping[str, float] | None = None,
                     *, method: str = "linear", frac: float = 0.6, min_weight: float = 0.0,
                     maxiter: int = 500) -> WeightSet:
    """Weights whose normalised main effects match target importances.

    Minimises ``Σ_i (S̃_i(w) − t_i)²`` where ``S̃_i`` are the normalised main effects of
    :func:`main_effects` and ``t`` the target importances (default equal), over weights on
    the simplex (softmax parameterisation, :func:`scipy.optimize.minimize`, L-BFGS-B),
    starting from ``t``. Becker, Saisana, Paruolo & Vandecasteele 2017, "Weights and
    importance in composite indicators: Closing the gap", Ecological Indicators 80.
    ``diagnostics`` carry the achieved importances and the residual.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s = pd.DataFrame(rng.normal(50, [5, 20], (2000, 2)), columns=["a", "b"])
    >>> optimise_weights(s).weights.round(1).tolist()   # equal importance: w ∝ 1/σ
    [0.8, 0.2]
    """
    from scipy.optimize import minimize

    inds = list(scores.columns)
    t = pd.Series(1.0, index=inds) if target is None else \
        pd.Series(target, dtype=float).reindex(inds)
    if t.isna().any() or (t < 0).any() or t.sum() <= 0:
        raise EvalkitError(f"target must give a value ≥ 0 for every indicator {inds}", "target")
    t = t / t.sum()
    if not 0 <= min_weight < 1 / len(inds):
        raise EvalkitError(f"min_weight must be in [0, 1/{len(inds)})", "min_weight")

    def weights_of(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max())
        return min_weight + (1 - min_weight * len(z)) * e / e.sum()

    def loss(z: np.ndarray) -> float:
        me = main_effects(scores, pd.Series(weights_of(z), index=inds), method=method,
                          frac=frac)["effective_weight"].to_numpy()
        return float(np.sum((me - t.to_numpy()) ** 2))

    z0 = np.log(np.maximum(t.to_numpy(), 1e-6))
    res = minimize(loss, z0, method="L-BFGS-B", options={"maxiter": maxiter})
    w = weights_of(res.x)
    achieved = main_effects(scores, pd.Series(w, index=inds), method=method, frac=frac)
    params = {"target": t.to_dict(), "estimator": method, "min_weight": min_weight}
    return make_weightset(w, inds, "optimised_importance", params, "optimise_weights",
                          data=scores,
                          conventions={"importance": f"normalised main effect ({method})",
                                       "reference": "Becker et al. 2017"},
                          diagnostics={"achieved": achieved["effective_weight"].to_dict(),
                                       "loss": float(res.fun), "converged": bool(res.success)})


# ---------------------------------------------------------------------------------------
def problems_from_pipeline(spec: Any, tables: Mapping[str, pd.DataFrame],
                           period: Any = None, *, scored: Mapping[str, Any] | None = None,
                           results: Any = None) -> dict[str, UncertaintyProblem]:
    """One :class:`UncertaintyProblem` per category from an evaluation spec and its tables.

    Runs :func:`evalkit.evaluate.prepare` (treatment and scoring) and
    :func:`evalkit.evaluate.evaluate` once for the nominal totals, then takes, for the
    period (default: the current one) and each category: the indicator scores (cells that
    do not enter aggregation as NaN), indicators grouped by their perspective (their parent
    node), weights within the perspective, and the perspectives' global weights (product of
    normalised weights down the tree), and ``offset`` / ``scale`` so that
    ``offset + scale · composite`` reproduces the published total (other sources, bonus,
    deductions). A deeper tree is flattened to these two levels (exact for arithmetic
    aggregation without missing values). ``scored`` (from ``prepare``) and ``results`` (the
    nominal Results) may be passed by a caller that has them, to avoid computing them again.
    """
    if results is None:
        raise EvalkitError("the nominal Results are needed: pass results=evaluate(spec, tables)",
                           "results")
    scored = prepare(spec, dict(tables)) if scored is None else scored
    per = list(scored)[-1] if period is None else str(period)
    if per not in scored:
        raise EvalkitError(f"unknown period {period!r}; expected one of {list(scored)}",
                           "period")
    sc = scored[per]
    tree, _ = resolve_tree(spec, sc, Tree.from_spec(spec))   # weighting schemes applied
    res = results
    tot = res.tables["totals"]
    tot = tot[tot["period"].astype(str) == per].set_index("unit_id")
    src = res.tables["sources"]
    src = src[(src["period"].astype(str) == per) & (src["source"] == "office")]
    eff = src.set_index("unit_id")["effective_weight"] if len(src) else None
    grades = res.tables.get("meta_grades")
    k = len(tree.nodes)
    # global weight of each node: product of normalised weights down the tree (per category)
    out: dict[str, UncertaintyProblem] = {}
    for c, cat in enumerate(tree.categories):
        rows = np.flatnonzero(sc.cat == c)
        if not len(rows):
            continue
        cols = np.flatnonzero(tree.ind_w[c] > 0)
        S = np.where(sc.keep[np.ix_(rows, cols)], sc.scores[np.ix_(rows, cols)], np.nan)
        uid = sc.units.index[rows]
        scores = pd.DataFrame(S, index=uid, columns=[tree.indicators[j] for j in cols])
        nw = tree.node_w[c].astype(float)
        parent = tree.node_parent
        local = np.zeros(k)
        for node in range(k):
            sib = np.flatnonzero(parent == parent[node])
            s = nw[sib].sum()
            local[node] = nw[node] / s if s > 0 else 0.0
        gw = local.copy()
        for node in reversed(tree.order):
            if parent[node] >= 0:
                gw[node] = gw[parent[node]] * local[node]
        groups = pd.Series([tree.nodes[tree.ind_parent[j]] for j in cols],
                           index=scores.columns)
        iw = pd.Series(tree.ind_w[c, cols], index=scores.columns)
        gws = pd.Series({tree.nodes[g]: gw[g] for g in np.unique(tree.ind_parent[cols])})
        office = tot.loc[uid, "office"] if "office" in tot.columns else None
        if eff is not None and office is not None:
            scale = eff.reindex(uid).fillna(0.0)
            offset = tot.loc[uid, "total"] - scale * office
        else:  # pragma: no cover - an evaluation without the office source
            scale, offset = pd.Series(0.0, index=uid), tot.loc[uid, "total"]
        p = UncertaintyProblem.from_weights(
            scores, iw, groups, gws, category=pd.Series(cat, index=uid),
            offset=offset.astype(float), scale=scale.astype(float),
            grades=grades if grades is not None and len(grades) else None)
        if spec.grades is not None:
            p.quota_rounding = spec.grades.quota_rounding
            gids = [g.id for g in spec.grades.levels]
            mg = spec.points.veto.max_grade
            p.veto_max = gids.index(mg) if mg in gids else len(gids) - 1
        p.decimals = spec.ranking.decimals
        p.veto = tot.loc[uid, "veto"].astype(bool)
        p.provenance = {"evaluation": spec.evaluation.id, "period": per, "category": cat,
                        "spec_file": str(spec.path) if spec.path else None}
        out[cat] = p
    return out


MC_SETTINGS = ("n", "perturb", "concentration", "percent", "level", "aggregations",
               "top_k", "bottom_k", "seed")


def rank_intervals(spec: Any, tables: Mapping[str, pd.DataFrame], period: Any = None,
                   where: str = "uncertainty", *, scored: Mapping[str, Any] | None = None,
                   results: Any = None, **settings: Any) -> pd.DataFrame:
    """The ``uncertainty`` table of an evaluation: a weights Monte Carlo per category.

    ``settings`` are :func:`monte_carlo`'s keyword arguments (``n`` default 1000,
    ``concentration``, ``level``, ``perturb``, ``percent``, ``aggregations``, ``top_k``,
    ``bottom_k``, ``seed`` — default the spec's ``evaluation.seed``), e.g. from a spec
    section ``uncertainty: {n: 1000, concentration: 100}``; unknown keys are errors naming
    ``where``. Returns the rows of :meth:`MonteCarloResult.table` for every category, with
    ``period``, ready to store as ``results.tables["uncertainty"]`` for the unit reports.
    """
    extra = sorted(set(settings) - set(MC_SETTINGS))
    if extra:
        raise EvalkitError(f"unknown key {extra[0]!r}; expected one of {list(MC_SETTINGS)}",
                           f"{where}.{extra[0]}")
    settings = {"seed": getattr(spec.evaluation, "seed", 0), **settings}
    frames = []
    for p in problems_from_pipeline(spec, tables, period, scored=scored,
                                    results=results).values():
        frames.append(monte_carlo(p, **settings).table(p.provenance.get("period")))
    return pd.concat(frames, ignore_index=True)


def normalisation_options(spec: Any, tables: Mapping[str, pd.DataFrame],
                          methods: Sequence[str], period: Any = None
                          ) -> dict[str, dict[str, pd.DataFrame]]:
    """Score matrices of the same evaluation under other scoring methods, per category.

    The spec is data: each option is the spec with every indicator's ``scoring.method``
    replaced by ``method`` (and its parameters dropped), scored by
    :func:`evalkit.evaluate.prepare`. Returns ``{category: {method: scores}}``, ready for
    ``UncertaintyProblem.score_options``.
    """
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for m in methods:
        s2 = copy.deepcopy(spec)
        for ind in s2.indicators:
            if ind.scoring is not None:
                ind.scoring = type(ind.scoring)(method=m, scope=ind.scoring.scope)
        tree = Tree.from_spec(s2)
        scored = prepare(s2, dict(tables))
        per = list(scored)[-1] if period is None else str(period)
        sc = scored[per]
        for c, cat in enumerate(tree.categories):
            rows = np.flatnonzero(sc.cat == c)
            cols = np.flatnonzero(tree.ind_w[c] > 0)
            if not len(rows):
                continue
            S = np.where(sc.keep[np.ix_(rows, cols)], sc.scores[np.ix_(rows, cols)], np.nan)
            out.setdefault(cat, {})[m] = pd.DataFrame(
                S, index=sc.units.index[rows], columns=[tree.indicators[j] for j in cols])
    return out


# ---------------------------------------------------------------------------------------
def unit_rank_interval(table: pd.DataFrame, unit_id: str,
                       weight_provenance: Mapping[str, Any] | None = None,
                       period: Any = None) -> dict[str, Any]:
    """What a unit report shows about the robustness of the unit's rank.

    ``table`` is :meth:`MonteCarloResult.table` (stored in the Results as ``uncertainty``);
    returns ``{"unit_id", "category", "nominal_rank", "rank_median", "rank_p05",
    "rank_p95", "n_in_category", "p_top_k"..., "p_grade_*"..., "text_zh", "text_en",
    "weights": weight_provenance}``; ``None``-valued figures when the unit is absent (no
    Monte Carlo was run for it).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"unit_id": ["T01"], "category": ["township"], "nominal_rank": [3],
    ...                   "rank_median": [3.0], "rank_p05": [2.0], "rank_p95": [5.0],
    ...                   "n_in_category": [20]})
    >>> unit_rank_interval(t, "T01")["text_en"]
    'Rank 3 of 20; with plausible weights between 2 and 5 (90% of replications).'
    """
    t = table
    if period is not None and "period" in t.columns:
        t = t[t["period"].astype(str) == str(period)]
    row = t[t["unit_id"].astype(str) == str(unit_id)]
    out: dict[str, Any] = {"unit_id": unit_id, "weights": dict(weight_provenance or {})}
    if row.empty:
        out.update({"nominal_rank": None, "rank_p05": None, "rank_p95": None,
                    "text_zh": "", "text_en": ""})
        return out
    r = row.iloc[-1]
    for k, v in r.items():
        if k != "period":
            out[str(k)] = v.item() if isinstance(v, np.generic) else v
    lo, hi, nom, n = int(r["rank_p05"]), int(r["rank_p95"]), int(r["nominal_rank"]), \
        int(r["n_in_category"])
    out["text_en"] = (f"Rank {nom} of {n}; with plausible weights between {lo} and {hi} "
                      "(90% of replications).")
    out["text_zh"] = (f"类内排名第{nom}名（共{n}个）；在合理的权重变动下，"
                      f"90%的模拟排名位于第{lo}至第{hi}名之间。")
    return out


def report_section(results: Any, unit_id: str, lang: str = "zh") -> str | None:
    """HTML for a unit report: the unit's rank interval and the weights' provenance.

    Reads the Results table ``uncertainty`` (:meth:`MonteCarloResult.table`, if the
    evaluation stored one) and ``results.provenance["weights"]`` (the output of
    :func:`evalkit.weights.hierarchy.tree_weights`: per category, each node's scheme with
    its method, conventions, consistency figures and flags). Returns None when neither is
    present, so the report skips the section. This is the ``report_section(results,
    unit_id, lang)`` hook of :mod:`evalkit.report.sections`.
    """
    import html

    tables = getattr(results, "tables", {}) or {}
    prov = (getattr(results, "provenance", {}) or {}).get("weights")
    parts: list[str] = []
    t = tables.get("uncertainty")
    if t is not None and len(t):
        period = t["period"].iloc[-1] if "period" in t.columns else None
        info = unit_rank_interval(t, unit_id, period=period)
        if info.get("nominal_rank") is not None:
            parts.append(f"<p>{html.escape(info['text_zh' if lang == 'zh' else 'text_en'])}</p>")
    if prov:
        cat = None
        if t is not None and len(t) and "category" in t.columns:
            row = t[t["unit_id"].astype(str) == str(unit_id)]
            cat = str(row["category"].iloc[-1]) if len(row) else None
        cats = [cat] if cat in prov else list(prov)[:1]
        head = ("节点", "方法", "约定", "诊断", "提示") if lang == "zh" else \
            ("node", "method", "conventions", "diagnostics", "flags")
        rows = []
        for c in cats:
            for node, s in (prov[c].get("schemes") or {}).items():
                diag = {k: v for k, v in (s.get("diagnostics") or {}).items()
                        if isinstance(v, int | float) and not isinstance(v, bool)}
                cells = [node, s.get("method", ""),
                         "; ".join(f"{k}: {v}" for k, v in (s.get("conventions") or {}).items()),
                         "; ".join(f"{k} = {v:.4g}" for k, v in diag.items()),
                         "; ".join(s.get("flags") or [])]
                rows.append("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in cells)
                            + "</tr>")
        if rows:
            title = "权重来源" if lang == "zh" else "Where the weights come from"
            parts.append(f"<p><b>{title}</b></p><table><tr>"
                         + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
                         + "".join(rows) + "</table>")
    return "".join(parts) or None
