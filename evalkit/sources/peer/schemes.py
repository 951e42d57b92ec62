"""Peer-rating schemes (互评计分方法) as a registry.

Every scheme has one signature::

    scheme(R, design=None, **params) -> scores

- ``R``: ratings, shape ``(..., m, n)`` — ``m`` ballots (raters) × ``n`` ratees, NaN where a
  rater did not rate a ratee (self-ratings, "不了解", sparse designs). Leading axes are
  *replications*: every scheme is vectorised over them, so the bench scores 300 simulated
  matrices in one call.
- ``design``: a :class:`Design` with the raters' groups, the ratees' groups and the unit each
  rater belongs to (for in-group terms, group weights and PeerRank).
- returns ``(..., n)``: one score per ratee (NaN for a ratee nobody rated).

Each scheme carries three attributes read by :func:`check_design` and by the source:
``requires`` (``"any"``, ``"connected"``: the rater–ratee graph must be connected,
``"complete"``: every rater rates every ratee but itself), ``output`` (``"rating"``: on the
input scale; ``"share"``: in [0, 1]) and ``deterministic``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.stats import rankdata

from evalkit.core.errors import MethodError
from evalkit.core.registry import Registry

SCHEMES = Registry("peer scheme")


@dataclass(frozen=True)
class Design:
    """Who the raters and ratees are.

    Attributes
    ----------
    rater_group : ndarray, shape (m,), optional
        Group label of each ballot (e.g. ``township`` / ``dept``).
    ratee_group : ndarray, shape (n,), optional
        Group label of each ratee.
    rater_unit : ndarray of int, shape (m,), optional
        Column index of the ratee that the rater belongs to, ``-1`` for raters outside the
        rated units (leaders, representatives). Default for a square ``R``: ``arange(n)``.
    """

    rater_group: np.ndarray | None = None
    ratee_group: np.ndarray | None = None
    rater_unit: np.ndarray | None = None


def scheme(key: str, *, requires: str = "any", output: str = "rating",
           deterministic: bool = True) -> Callable[[Callable[..., np.ndarray]],
                                                   Callable[..., np.ndarray]]:
    """Register a peer scheme under ``key`` with its design requirement and output scale."""

    def deco(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        func.requires = requires  # type: ignore[attr-defined]
        func.output = output  # type: ignore[attr-defined]
        func.deterministic = deterministic  # type: ignore[attr-defined]
        SCHEMES.register(key)(func)
        return func

    return deco


# ---------------------------------------------------------------------------- helpers
def _batch(R: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """``R`` as float array of shape (B, m, n) plus the leading batch shape."""
    A = np.asarray(R, dtype=float)
    if A.ndim < 2:
        raise MethodError(f"ratings must be a matrix raters × ratees; got shape {A.shape}")
    lead = A.shape[:-2]
    return A.reshape((-1, *A.shape[-2:])), lead


def _unbatch(x: np.ndarray, lead: tuple[int, ...]) -> np.ndarray:
    return x.reshape((*lead, x.shape[-1]))


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _colmean(A: np.ndarray, W: np.ndarray | None = None) -> np.ndarray:
    """NaN-aware mean over raters (axis 1) of (B, m, n)."""
    obs = ~np.isnan(A)
    w = obs.astype(float) if W is None else np.where(obs, W, 0.0)
    return _safe_div((np.where(obs, A, 0.0) * w).sum(1), w.sum(1))


def _standardise(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-replication z-scores of all ratings: (Z, mu, sd) with mu, sd of shape (B, 1, 1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mu = np.nanmean(A, axis=(1, 2), keepdims=True)
        sd = np.nanstd(A, axis=(1, 2), keepdims=True)
    sd = np.where((sd > 0) & np.isfinite(sd), sd, 1.0)
    return (A - mu) / sd, mu, sd


def _rater_unit(design: Design | None, m: int, n: int, key: str) -> np.ndarray:
    if design is not None and design.rater_unit is not None:
        ru = np.asarray(design.rater_unit, dtype=int)
        if ru.shape != (m,):
            raise MethodError(f"design.rater_unit has shape {ru.shape}; expected ({m},)", key)
        return ru
    if m == n:
        return np.arange(n)
    raise MethodError(f"scheme {key!r} needs design.rater_unit (the unit of each rater) when "
                      f"raters ({m}) are not the ratees ({n})", key)


# ---------------------------------------------------------------------------- simple schemes
@scheme("mean")
def mean(R: Any, design: Design | None = None) -> np.ndarray:
    """Arithmetic mean of the ratings each ratee received.

    ``s_j = (1/|R_j|) Σ_{r ∈ R_j} x_rj`` over the raters ``R_j`` who rated ``j``.
    Any design; deterministic; the office default (算术平均).
    Reference: any statistics text, e.g. Wilcox (2012), *Introduction to Robust
    Estimation*, §3.1 (its lack of robustness is the point of comparison).

    Examples
    --------
    >>> mean([[np.nan, 80.0], [90.0, np.nan], [70.0, 60.0]]).tolist()
    [80.0, 70.0]
    """
    A, lead = _batch(R)
    return _unbatch(_colmean(A), lead)


@scheme("median")
def median(R: Any, design: Design | None = None) -> np.ndarray:
    """Median of the ratings each ratee received.

    ``s_j = median_{r ∈ R_j} x_rj``. Any design; deterministic; breakdown point 50 %.
    Reference: Huber & Ronchetti (2009), *Robust Statistics*, §3.2.

    Examples
    --------
    >>> median([[1.0, 5.0], [2.0, 5.0], [9.0, np.nan]]).tolist()
    [2.0, 5.0]
    """
    A, lead = _batch(R)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _unbatch(np.nanmedian(A, axis=1), lead)


def _sorted_counts(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    S = np.sort(A, axis=1)  # NaN last
    c = (~np.isnan(A)).sum(1, keepdims=True)  # (B, 1, n)
    pos = np.arange(A.shape[1])[None, :, None]
    return S, c, pos


def _check_k(k: int, min_raters: int | None, key: str) -> int:
    if int(k) != k or k < 0:
        raise MethodError(f"k must be a non-negative integer; got {k!r}", f"{key}.k")
    mr = 2 * int(k) + 3 if min_raters is None else int(min_raters)
    if mr < 2 * k + 1:
        raise MethodError(f"min_raters must be at least 2k+1 = {2 * k + 1}; got {mr}",
                          f"{key}.min_raters")
    return mr


@scheme("trimmed_mean")
def trimmed_mean(R: Any, design: Design | None = None, k: int = 1,
                 min_raters: int | None = None) -> np.ndarray:
    """Mean after dropping the ``k`` highest and ``k`` lowest ratings (去掉最高分和最低分).

    ``s_j = (1/(c_j − 2k)) Σ_{i=k+1}^{c_j−k} x_(i)j`` where ``x_(i)j`` are the ``c_j``
    ratings of ``j`` in order — applied only when ``c_j ≥ min_raters`` (default ``2k+3``);
    below that the plain mean is used (stated fallback, as offices do).
    Any design; deterministic. Reference: Tukey & McLaughlin (1963), *Sankhyā A* 25.

    Examples
    --------
    >>> trimmed_mean([[1.0], [2.0], [3.0], [4.0], [100.0]], k=1).tolist()
    [3.0]
    """
    mr = _check_k(k, min_raters, "trimmed_mean")
    A, lead = _batch(R)
    S, c, pos = _sorted_counts(A)
    apply = c >= mr
    lo = np.where(apply, k, 0)
    hi = np.where(apply, c - k, c)
    keep = (pos >= lo) & (pos < hi)
    out = _safe_div(np.where(keep, S, 0.0).sum(1), (hi - lo)[:, 0, :].astype(float))
    return _unbatch(out, lead)


@scheme("winsorized_mean")
def winsorized_mean(R: Any, design: Design | None = None, k: int = 1,
                    min_raters: int | None = None) -> np.ndarray:
    """Mean after pulling the ``k`` most extreme ratings on each side in to their neighbours.

    ``s_j = (1/c_j) Σ_i clip(x_ij, x_(k+1)j, x_(c_j−k)j)``, applied when ``c_j ≥ min_raters``
    (default ``2k+3``), plain mean below. Any design; deterministic.
    Reference: Dixon (1960), *Ann. Math. Stat.* 31, 385–391.

    Examples
    --------
    >>> winsorized_mean([[1.0], [2.0], [3.0], [4.0], [100.0]], k=1).tolist()
    [3.0]
    """
    mr = _check_k(k, min_raters, "winsorized_mean")
    A, lead = _batch(R)
    S, c, _ = _sorted_counts(A)
    apply = c >= mr
    lo_i = np.minimum(k, np.maximum(c - 1, 0))
    hi_i = np.maximum(c - 1 - k, 0)
    lo = np.take_along_axis(S, lo_i, axis=1)
    hi = np.take_along_axis(S, hi_i, axis=1)
    C = np.where(apply, np.clip(A, lo, hi), A)
    return _unbatch(_colmean(C), lead)


@scheme("zscore")
def zscore(R: Any, design: Design | None = None) -> np.ndarray:
    """Mean of per-rater standardised ratings, put back on the rating scale.

    ``z_rj = (x_rj − x̄_r) / sd_r`` over the ratees rater ``r`` rated; ``s_j = μ + σ̄ · mean_r
    z_rj`` with ``μ`` the grand mean and ``σ̄`` the mean rater SD. A ballot with ``sd_r = 0``
    (every ratee the same score) carries no ranking information and is ignored. Any design
    (unbiased only when raters rate comparable sets); deterministic.
    Reference: Wind & Peterson (2018), *Educational Assessment* 23(1).

    Examples
    --------
    >>> s = zscore([[60.0, 70.0, 80.0], [85.0, 90.0, 95.0]])
    >>> bool(s[0] < s[1] < s[2])
    True
    """
    A, lead = _batch(R)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mr = np.nanmean(A, axis=2, keepdims=True)
        sr = np.nanstd(A, axis=2, keepdims=True)
        mu = np.nanmean(A, axis=(1, 2))
        ok = sr > 0
        sbar = np.nanmean(np.where(ok, sr, np.nan), axis=(1, 2))
    Z = np.where(ok, (A - mr) / np.where(ok, sr, 1.0), np.nan)
    out = mu[:, None] + np.nan_to_num(sbar, nan=0.0)[:, None] * _colmean(Z)
    return _unbatch(out, lead)


@scheme("group_weighted")
def group_weighted(R: Any, design: Design | None = None,
                   weights: Mapping[str, float] | None = None) -> np.ndarray:
    """Weighted average of the mean ratings from each rater group.

    ``s_j = Σ_g w_g m_gj / Σ_{g: m_gj defined} w_g`` with ``m_gj`` the mean rating of ``j`` by
    raters of group ``g`` (e.g. townships 50 %, departments 30 %, leaders 20 %); weights are
    renormalised over the groups that rated ``j``. Default: equal weights. Needs
    ``design.rater_group``; any design; deterministic. Reference: the weighted
    multi-source assessment of seed 004 (民评 groups with set weights); Kish (1965),
    *Survey Sampling*, §11 (stratified means).

    Examples
    --------
    >>> d = Design(rater_group=np.array(["a", "a", "b"]))
    >>> group_weighted([[80.0], [90.0], [50.0]], d, weights={"a": 3, "b": 1}).tolist()
    [76.25]
    """
    A, lead = _batch(R)
    if design is None or design.rater_group is None:
        raise MethodError("scheme 'group_weighted' needs design.rater_group", "group_weighted")
    g = np.asarray(design.rater_group).astype(str)
    if g.shape != (A.shape[1],):
        raise MethodError(f"design.rater_group has shape {g.shape}; expected ({A.shape[1]},)",
                          "group_weighted")
    groups = sorted(set(g.tolist()))
    w = {k: 1.0 for k in groups} if weights is None else {str(k): float(v)
                                                           for k, v in weights.items()}
    missing = [k for k in groups if k not in w]
    if missing:
        raise MethodError(f"no weight for rater group(s) {missing}; expected weights for "
                          f"{groups}", "group_weighted.weights")
    M = np.stack([_colmean(A[:, g == k, :]) for k in groups], axis=0)  # (G, B, n)
    wv = np.array([w[k] for k in groups])[:, None, None]
    has = ~np.isnan(M)
    out = _safe_div((np.where(has, M, 0.0) * wv).sum(0), (has * wv).sum(0))
    return _unbatch(out, lead)


@scheme("borda", output="share")
def borda(R: Any, design: Design | None = None) -> np.ndarray:
    """Rank points (Borda count) normalised per ballot.

    Each rater's ratings become ``p_rj = (rank_rj − 1) / (c_r − 1)`` in [0, 1] (average ranks
    for ties, ``c_r`` ratees on the ballot); ``s_j = mean_r p_rj``. Uses only the order within
    each ballot, so a lenient or harsh rater weighs the same. Any design; deterministic.
    Reference: de Borda (1781); Saari (2000), *Economic Theory* 15.

    Examples
    --------
    >>> borda([[1.0, 2.0, 3.0], [10.0, 30.0, 20.0]]).tolist()
    [0.0, 0.75, 0.75]
    """
    A, lead = _batch(R)
    rk = rankdata(A, axis=2, nan_policy="omit")
    c = (~np.isnan(A)).sum(2, keepdims=True).astype(float)
    P = np.where(c > 1, (rk - 1.0) / np.where(c > 1, c - 1.0, 1.0), np.nan)
    return _unbatch(_colmean(P), lead)


# ---------------------------------------------------------------------------- model-based
def additive_fit(R: Any, design: Design | None = None,
                 ingroup: bool = False) -> dict[str, np.ndarray]:
    """Least-squares fit of ``x_rj = q_j + b_r (+ γ·[group(r) = group(j)]) + e_rj``.

    Identification: ``Σ_r b_r = 0`` (a rater's bias is relative to the average rater).
    Solved exactly by the batched normal equations with a Lagrange row; a singular system
    (a disconnected design) falls back to the minimum-norm solution (pseudo-inverse).

    Returns
    -------
    dict
        ``quality`` (..., n), ``bias`` (..., m), ``ingroup`` (...,) (NaN when not fitted).

    Examples
    --------
    >>> R = np.array([[62.0, 72.0, np.nan], [np.nan, 68.0, 78.0], [60.0, np.nan, 80.0]])
    >>> fit = additive_fit(R)
    >>> np.round(fit["bias"], 6).tolist(), np.round(fit["quality"], 6).tolist()
    ([2.0, -2.0, 0.0], [60.0, 70.0, 80.0])
    """
    A, lead = _batch(R)
    B, m, n = A.shape
    W = (~np.isnan(A)).astype(float)
    Y = np.where(W > 0, A, 0.0)
    k = n + m + 1 + int(ingroup)
    M = np.zeros((B, k, k))
    rhs = np.zeros((B, k))
    iq, ib, il = slice(0, n), slice(n, n + m), n + m
    M[:, iq, iq] = W.sum(1)[:, :, None] * np.eye(n)
    M[:, ib, ib] = W.sum(2)[:, :, None] * np.eye(m)
    M[:, iq, ib] = W.transpose(0, 2, 1)
    M[:, ib, iq] = W
    M[:, il, ib] = 1.0
    M[:, ib, il] = 1.0
    rhs[:, iq] = (W * Y).sum(1)
    rhs[:, ib] = (W * Y).sum(2)
    if ingroup:
        if design is None or design.rater_group is None or design.ratee_group is None:
            raise MethodError("an in-group term needs design.rater_group and "
                              "design.ratee_group", "additive.ingroup")
        same = (np.asarray(design.rater_group).astype(str)[:, None]
                == np.asarray(design.ratee_group).astype(str)[None, :]).astype(float)
        S = W * same
        ig = k - 1
        M[:, iq, ig] = M[:, ig, iq] = S.sum(1)
        M[:, ib, ig] = M[:, ig, ib] = S.sum(2)
        M[:, ig, ig] = S.sum((1, 2))
        rhs[:, ig] = (S * Y).sum((1, 2))
    try:
        theta = np.linalg.solve(M, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        theta = (np.linalg.pinv(M) @ rhs[..., None])[..., 0]
    q = np.where(W.sum(1) > 0, theta[:, iq], np.nan)
    gamma = theta[:, k - 1] if ingroup else np.full(B, np.nan)
    return {"quality": _unbatch(q, lead), "bias": _unbatch(theta[:, ib], lead),
            "ingroup": gamma.reshape(lead)}


@scheme("additive", requires="connected")
def additive(R: Any, design: Design | None = None, ingroup: bool = False) -> np.ndarray:
    """Additive rater-bias model fitted by least squares (rater leniency removed).

    ``x_rj = q_j + b_r (+ γ·[group(r) = group(j)]) + e_rj``, ``Σ_r b_r = 0``; ``s_j = q_j``,
    the rating an average rater would give. ``ingroup=True`` also removes a common in-group
    favour ``γ`` (townships rating townships). Needs a connected rater–ratee graph;
    deterministic. Identification caveat: with two groups only the *sum* of both groups'
    in-group favour is identified (favour of townships for townships is the same data as
    better townships plus a symmetric favour), and in a complete design with groups of equal
    size the term shifts every ratee alike; it changes ranks only in unbalanced or sparse
    designs. Reference: Wind & Engelhard; the two-way "rater effects" model of
    Linacre (1989), and Piech et al. (2013) model PG1 without the reliability term.

    Examples
    --------
    >>> R = np.array([[np.nan, 72.0, 82.0], [63.0, np.nan, 83.0], [55.0, 65.0, np.nan]])
    >>> np.round(additive(R), 6).tolist()
    [60.0, 70.0, 80.0]
    """
    return additive_fit(R, design, ingroup)["quality"]


@scheme("pg1", requires="connected")
def pg1(R: Any, design: Design | None = None, prior_score_sd: float = 1.0,
        prior_bias_sd: float = 0.5, alpha0: float = 2.0, beta0: float = 1.0,
        n_iter: int = 200, tol: float = 1e-6) -> np.ndarray:
    """Piech et al. (2013) model PG1: true score, rater bias and rater reliability.

    ``x_rj ~ N(s_j + b_r, 1/τ_r)``, ``s_j ~ N(0, σ_s²)``, ``b_r ~ N(0, σ_b²)``,
    ``τ_r ~ Gamma(α0, β0)`` on the per-replication standardised ratings; fitted by
    deterministic coordinate ascent to the posterior mode (instead of the paper's Gibbs
    sampler), so it is reproducible: ``b_r = τ_r Σ_j (x_rj − s_j) / (1/σ_b² + τ_r c_r)``,
    ``s_j = Σ_r τ_r (x_rj − b_r) / (1/σ_s² + Σ_r τ_r)``, ``τ_r = (α0 − 1 + c_r/2) /
    (β0 + ½ Σ_j e_rj²)``. Unreliable raters get small ``τ_r`` and little weight. Scores are
    returned on the rating scale. Needs a connected design.
    Reference: Piech, Huang, Chen, Do, Ng & Koller (2013), "Tuned models of peer assessment
    in MOOCs", *EDM 2013*.

    Examples
    --------
    >>> R = np.array([[60.0, 70.0, 80.0], [62.0, 71.0, 79.0], [90.0, 40.0, 60.0]])
    >>> s = pg1(R)
    >>> bool(s[0] < s[1] < s[2])
    True
    """
    A, lead = _batch(R)
    Z, mu, sd = _standardise(A)
    W = (~np.isnan(Z)).astype(float)
    X = np.where(W > 0, Z, 0.0)
    cr = W.sum(2)
    ps, pb = 1.0 / prior_score_sd**2, 1.0 / prior_bias_sd**2
    # sums over a rater's ratings as batched matrix-vector products (B, m, n) @ (B, n)
    Xr, X2r = X.sum(2), (X**2).sum(2)
    s = np.nan_to_num(_colmean(Z))
    b = np.zeros(cr.shape)
    tau = np.ones(cr.shape)
    for _ in range(int(n_iter)):
        s_old = s
        Ws = np.einsum("brj,bj->br", W, s)
        b = tau * (Xr - Ws) / (pb + tau * cr)
        tb = tau * b
        s = (np.einsum("br,brj->bj", tau, X) - np.einsum("br,brj->bj", tb, W)) / (
            ps + np.einsum("br,brj->bj", tau, W))
        Ws = np.einsum("brj,bj->br", W, s)
        # Σ_j (x_rj − s_j − b_r)² over the ratees r rated, expanded
        sse = (X2r + np.einsum("brj,bj->br", W, s**2) + cr * b**2
               - 2 * np.einsum("brj,bj->br", X, s) - 2 * b * Xr + 2 * b * Ws)
        tau = (alpha0 - 1.0 + cr / 2.0) / (beta0 + 0.5 * np.maximum(sse, 0.0))
        if np.max(np.abs(s - s_old)) < tol:
            break
    s = np.where(W.sum(1) > 0, s, np.nan)
    return _unbatch(mu[:, 0] + sd[:, 0] * s, lead)


@scheme("vancouver", requires="connected")
def vancouver(R: Any, design: Design | None = None, n_iter: int = 20,
              min_var: float = 0.01) -> np.ndarray:
    """The Vancouver algorithm (CrowdGrader): precision-weighted consensus.

    Iterate message passing on the rater–ratee graph (de Alfaro & Shavlovsky 2014, Alg. 1):
    the ratee-to-rater message is the precision-weighted mean of ratee ``j``'s other ratings,
    ``g_{j∖r} = Σ_{r'≠r} x_r'j / v_r'j / Σ_{r'≠r} 1/v_r'j``; the rater-to-ratee message is the
    rater's variance estimated on its *other* ratees,
    ``v_{rj} = mean_{j'≠j} (x_rj' − g_{j'∖r})²`` (floored at ``min_var``). Final score:
    ``s_j = Σ_r x_rj / v_r / Σ_r 1/v_r``. Works on standardised ratings, returned on the
    rating scale. Needs a connected design and two ratings per ratee; deterministic.
    Reference: de Alfaro & Shavlovsky (2014), "CrowdGrader: a tool for crowdsourcing the
    evaluation of homework assignments", *SIGCSE '14*; UCSC-SOE-13-11.

    Examples
    --------
    >>> R = np.array([[60.0, 70.0, 80.0], [61.0, 69.0, 81.0], [90.0, 20.0, 50.0],
    ...               [59.0, 71.0, 80.0]])
    >>> s = vancouver(R)
    >>> bool(s[0] < s[1] < s[2])
    True
    """
    A, lead = _batch(R)
    Z, mu, sd = _standardise(A)
    W = (~np.isnan(Z)).astype(float)
    X = np.where(W > 0, Z, 0.0)
    V = np.ones_like(X)  # v_{r -> j}
    # an edge (r, j) has a message from j only if j has another rater
    has = (W > 0) & (W.sum(1, keepdims=True) > 1)
    nr = has.sum(2, keepdims=True)
    others = np.maximum(nr - has, 1)
    for _ in range(int(n_iter)):
        P = W / V
        PX = P * X
        denom = P.sum(1, keepdims=True) - P
        G = (PX.sum(1, keepdims=True) - PX) / np.where(has, denom, 1.0)  # g_{j \ r}
        E = np.where(has, (X - G) ** 2, 0.0)
        Er = E.sum(2, keepdims=True)
        V = np.maximum(np.where(nr - has > 0, (Er - E) / others, 1.0), min_var)
    vr = np.where(nr > 0, np.maximum(Er / np.maximum(nr, 1), min_var), 1.0)
    s = _colmean(Z, np.broadcast_to(1.0 / vr, Z.shape))
    return _unbatch(mu[:, 0] + sd[:, 0] * s, lead)


@scheme("peerrank", requires="complete", output="share")
def peerrank(R: Any, design: Design | None = None, alpha: float = 0.5, beta: float = 0.0,
             scale: tuple[float, float] | None = None, n_iter: int = 200,
             tol: float = 1e-8) -> np.ndarray:
    """PeerRank (Walsh 2014): a rater's ratings weigh as much as its own grade.

    Ratings are mapped to [0, 1] by ``scale = (lo, hi)`` (default: the smallest and largest
    rating). ``X⁰_j = mean_r A_rj``; ``X^{t+1}_j = (1−α−β) X^t_j + α Σ_r X^t_{u(r)} A_rj /
    Σ_r X^t_{u(r)} + β (1 − mean_i |A_{r(j) i} − X^t_i|)`` where ``u(r)`` is the unit of rater
    ``r`` (``design.rater_unit``; outside raters weigh the mean grade) and the β term rewards
    accurate grading. Needs a complete design (every unit rates every other, as in the
    paper); deterministic fixed point; returns grades in [0, 1].
    Reference: Walsh (2014), "The PeerRank method for peer assessment", *ECAI 2014*.

    Examples
    --------
    >>> R = np.array([[np.nan, 0.6, 0.9], [0.2, np.nan, 0.8], [0.3, 0.5, np.nan]])
    >>> s = peerrank(R, scale=(0, 1))
    >>> bool(s[0] < s[1] < s[2])
    True
    """
    A, lead = _batch(R)
    _, m, n = A.shape
    if not (0 <= alpha and 0 <= beta and alpha + beta <= 1):
        raise MethodError(f"need 0 ≤ α, 0 ≤ β, α+β ≤ 1; got α={alpha}, β={beta}", "peerrank")
    ru = _rater_unit(design, m, n, "peerrank")
    if scale is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo = np.nanmin(A, axis=(1, 2), keepdims=True)
            hi = np.nanmax(A, axis=(1, 2), keepdims=True)
    else:
        lo, hi = float(scale[0]), float(scale[1])
    span = np.where(np.asarray(hi - lo) > 0, hi - lo, 1.0)
    G = (A - lo) / span
    W = (~np.isnan(G)).astype(float)
    Gz = np.where(W > 0, G, 0.0)
    U = np.zeros((m, n))
    inside = ru >= 0
    U[np.flatnonzero(inside), ru[inside]] = 1.0
    X = _colmean(G)
    Xf = np.nan_to_num(X, nan=0.5)
    has_ballot = U.sum(0) > 0
    for _ in range(int(n_iter)):
        w = np.where(inside[None, :], Xf @ U.T, Xf.mean(1, keepdims=True))  # (B, m)
        cons = _safe_div(np.einsum("br,brj->bj", w, Gz), np.einsum("br,brj->bj", w, W))
        new = (1 - alpha - beta) * Xf + alpha * np.where(np.isnan(cons), Xf, cons)
        if beta > 0:
            acc_r = 1.0 - _safe_div((W * np.abs(Gz - Xf[:, None, :])).sum(2), W.sum(2))
            acc_u = _safe_div(np.nan_to_num(acc_r) @ U, np.ones_like(acc_r) @ U)
            new = new + beta * np.where(has_ballot[None, :], acc_u, Xf)
        done = np.max(np.abs(new - Xf)) < tol
        Xf = new
        if done:
            break
    return _unbatch(np.where(np.isnan(X), np.nan, Xf), lead)


def pairwise_wins(R: Any) -> np.ndarray:
    """Rank-breaking: ``C[..., i, j]`` = number of ballots rating ``i`` above ``j`` (+½ tie).

    Examples
    --------
    >>> pairwise_wins([[1.0, 2.0, 2.0]]).tolist()
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.5], [1.0, 0.5, 0.0]]
    """
    A, lead = _batch(R)
    gt = (A[:, :, :, None] > A[:, :, None, :]).sum(1, dtype=np.int32)
    eq = (A[:, :, :, None] == A[:, :, None, :]).sum(1, dtype=np.int32)
    C = gt + 0.5 * eq
    idx = np.arange(A.shape[2])
    C[:, idx, idx] = 0.0
    return C.reshape((*lead, A.shape[2], A.shape[2]))


def bt_newton(C: np.ndarray, n_iter: int = 50, tol: float = 1e-8) -> np.ndarray:
    """Bradley–Terry ML log-strengths from win counts ``C`` (..., n, n), batched Newton.

    Log-likelihood ``ℓ(θ) = Σ_ij C_ij log σ(θ_i − θ_j)``; gradient ``g_i = W_i − Σ_j N_ij
    σ(θ_i − θ_j)`` (``W_i = Σ_j C_ij``, ``N = C + Cᵀ``), Hessian ``−L`` with ``L`` the
    Laplacian of ``N_ij σ_ij (1 − σ_ij)``; the step solves ``(L + 11ᵀ) Δ = g`` (the ``11ᵀ``
    term fixes the free location; ``Σ θ = 0``). ``ℓ`` is concave, and the step is halved
    until ``ℓ`` does not decrease. Reference: Hunter (2004), *Ann. Statist.* 32(1), 384–406
    (the model and its ML estimate).

    Examples
    --------
    >>> th = bt_newton(np.array([[0.0, 3.0], [1.0, 0.0]]))
    >>> round(float(th[0] - th[1]), 6) == round(float(np.log(3.0)), 6)
    True
    """
    C = np.asarray(C, dtype=float)
    lead = C.shape[:-2]
    n = C.shape[-1]
    C = C.reshape(-1, n, n)
    N = C + C.transpose(0, 2, 1)
    Wn = C.sum(-1)
    theta = np.zeros(Wn.shape)
    ones = np.ones((n, n))

    def loglik(t: np.ndarray) -> np.ndarray:
        d = t[:, :, None] - t[:, None, :]
        return -(C * np.logaddexp(0.0, -d)).sum((1, 2))

    ll = loglik(theta)
    for _ in range(int(n_iter)):
        d = theta[:, :, None] - theta[:, None, :]
        sig = 1.0 / (1.0 + np.exp(-d))
        g = Wn - (N * sig).sum(-1)
        H = N * sig * (1.0 - sig)
        L = np.eye(n)[None] * H.sum(-1)[:, :, None] - H
        step = np.linalg.solve(L + ones[None], g[..., None])[..., 0]
        t_new, ll_new = theta + step, loglik(theta + step)
        for _h in range(20):  # step halving (rarely needed)
            worse = ll_new < ll - 1e-10 * (1.0 + np.abs(ll))  # beyond rounding
            if not worse.any():
                break
            step = np.where(worse[:, None], step / 2, step)
            t_new = theta + step
            ll_new = loglik(t_new)
        done = np.max(np.abs(t_new - theta)) < tol
        theta, ll = t_new - t_new.mean(1, keepdims=True), ll_new
        if done:
            break
    return theta.reshape((*lead, n))


@scheme("bradley_terry", requires="connected", output="share")
def bradley_terry(R: Any, design: Design | None = None, alpha: float = 0.1) -> np.ndarray:
    """Bradley–Terry model on rank-broken pairs; score = mean win probability.

    Every ballot is broken into its pairwise preferences (``i`` above ``j``: one win; ties:
    half a win each); ``α`` pseudo-wins per ordered pair regularise the fit (the model has no
    finite ML estimate when a unit never loses). ``P(i ≻ j) = 1 / (1 + exp(θ_j − θ_i))``;
    ``θ`` by maximum likelihood (batched Newton, :func:`bt_newton`; checked against
    ``choix`` in the tests); ``s_i = mean_{j≠i} P(i ≻ j)`` in [0, 1]. Needs a connected
    design; deterministic.
    Reference: Bradley & Terry (1952), *Biometrika* 39; Hunter (2004).

    Examples
    --------
    >>> s = bradley_terry([[1.0, 2.0, 3.0], [1.0, 3.0, 2.0], [2.0, 1.0, 3.0]])
    >>> bool(s[2] > s[1] > s[0])
    True
    """
    A, lead = _batch(R)
    n = A.shape[2]
    C = pairwise_wins(A) + alpha * (1.0 - np.eye(n))
    theta = bt_newton(C)
    P = 1.0 / (1.0 + np.exp(theta[:, None, :] - theta[:, :, None]))
    s = (P.sum(-1) - 0.5) / max(n - 1, 1)
    s = np.where((~np.isnan(A)).sum(1) > 0, s, np.nan)
    return _unbatch(s, lead)


# ---------------------------------------------------------------------------- design checks
def components(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected parts of the rater–ratee graph: a label per rater and per ratee (-1: none).

    Raters and ratees are the nodes, ratings the edges; scores from a model with rater
    effects are comparable only within one part.

    Examples
    --------
    >>> R = np.array([[1.0, np.nan], [np.nan, 2.0]])
    >>> [x.tolist() for x in components(R)]
    [[0, 1], [0, 1]]
    """
    obs = ~np.isnan(np.asarray(R, dtype=float))
    m, n = obs.shape
    rr, cc = np.nonzero(obs)
    g = coo_matrix((np.ones(rr.size), (rr, m + cc)), shape=(m + n, m + n))
    _, lab = connected_components(g, directed=False)
    used = np.concatenate([obs.any(1), obs.any(0)])
    _, lab = np.unique(np.where(used, lab, -1), return_inverse=True)
    lab = lab - (0 if used.all() else 1)
    return lab[:m], lab[m:]


def design_problems(R: np.ndarray, requires: str,
                    rater_unit: np.ndarray | None = None) -> list[str]:
    """What in a single rating matrix violates a scheme's design requirement (empty if fine).

    ``rater_unit`` (column of each ballot's own unit, ``-1`` for outsiders; default the
    diagonal of a square ``R``) marks the cells a complete design may leave empty.

    Examples
    --------
    >>> R = np.array([[np.nan, 1.0, 2.0], [3.0, np.nan, np.nan], [4.0, 5.0, np.nan]])
    >>> design_problems(R, "complete")
    ['1 rating(s) missing in a design that must be complete (ballots [1] …)']
    """
    A = np.asarray(R, dtype=float)
    obs = ~np.isnan(A)
    m, n = A.shape
    out: list[str] = []
    unrated = np.flatnonzero(obs.sum(0) == 0)
    if unrated.size and requires != "any":
        out.append(f"{unrated.size} ratee(s) have no rating (columns {unrated[:5].tolist()})")
    if requires == "complete":
        expect = np.ones((m, n), bool)
        ru = (np.arange(n) if m == n else np.full(m, -1)) if rater_unit is None \
            else np.asarray(rater_unit)
        own = ru >= 0
        expect[np.flatnonzero(own), ru[own]] = False
        gaps = expect & ~obs
        if gaps.any():
            r = np.flatnonzero(gaps.any(1))
            out.append(f"{int(gaps.sum())} rating(s) missing in a design that must be "
                       f"complete (ballots {r[:5].tolist()} …)")
    if requires == "connected":
        rl, cl = components(A)
        k_used = np.unique(np.concatenate([rl, cl])[np.concatenate([rl, cl]) >= 0]).size
        if k_used > 1:
            out.append(f"the rater–ratee graph falls into {k_used} disconnected parts, so "
                       "scores in different parts are not comparable")
    return out


def check_design(R: np.ndarray, key: str, where: str | None = None,
                 rater_unit: np.ndarray | None = None) -> None:
    """Raise :class:`MethodError` when ``R`` does not meet scheme ``key``'s requirement.

    Examples
    --------
    >>> R = np.array([[np.nan, 1.0, 2.0], [3.0, np.nan, np.nan], [4.0, 5.0, np.nan]])
    >>> check_design(R, "peerrank")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evalkit.core.errors.MethodError: scheme 'peerrank' needs a complete design: 1 rating(s) ...
    """
    func = SCHEMES.get(key, where)
    probs = design_problems(R, func.requires, rater_unit)
    if probs:
        raise MethodError(f"scheme {key!r} needs a {func.requires} design: " + "; ".join(probs)
                          + "; expected a fuller design or a scheme for any design (e.g. "
                          "'mean', 'trimmed_mean')", where)
