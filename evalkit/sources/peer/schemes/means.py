"""Means and robust means (算术平均, 去掉最高分和最低分, …): one number per ratee from the
ratings it received.

The office default (the mean) and its robust variants — median, trimmed and winsorized means
(dropping or pulling in the most extreme ratings) — plus per-rater standardisation (z-scores),
a weighted average over rater groups, and the Borda count (the mean of each ballot's rank
points). All take any design and are deterministic.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.stats import rankdata

from evalkit.core.errors import MethodError
from evalkit.sources.peer.schemes.base import (
    Design,
    as_batch,
    colmean,
    safe_div,
    scheme,
    unbatch,
)


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
    A, lead = as_batch(R)
    return unbatch(colmean(A), lead)


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
    A, lead = as_batch(R)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return unbatch(np.nanmedian(A, axis=1), lead)


def _sorted_counts(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    S = np.sort(A, axis=1)  # NaN last
    c = (~np.isnan(A)).sum(1, keepdims=True)  # (B, 1, n)
    pos = np.arange(A.shape[1])[None, :, None]
    return S, c, pos


def k_problems(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``k ≥ 0`` an integer and ``min_raters ≥ 2k + 1`` (trimmed and winsorised means).

    >>> k_problems({"k": -1})
    [('k', 'k must be a non-negative integer; got -1')]
    """
    k, mr = params.get("k", 1), params.get("min_raters")
    if isinstance(k, bool) or not isinstance(k, int | float) or int(k) != k or k < 0:
        return [("k", f"k must be a non-negative integer; got {k!r}")]
    if isinstance(mr, int | float) and not isinstance(mr, bool) and mr < 2 * k + 1:
        return [("min_raters", f"min_raters must be at least 2k+1 = {2 * int(k) + 1}; "
                               f"got {mr}")]
    return []


def _check_k(k: int, min_raters: int | None, key: str) -> int:
    for param, msg in k_problems({"k": k, "min_raters": min_raters}):
        raise MethodError(msg, f"{key}.{param}")
    return 2 * int(k) + 3 if min_raters is None else int(min_raters)


@scheme("trimmed_mean", value_problems=k_problems)
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
    A, lead = as_batch(R)
    S, c, pos = _sorted_counts(A)
    apply = c >= mr
    lo = np.where(apply, k, 0)
    hi = np.where(apply, c - k, c)
    keep = (pos >= lo) & (pos < hi)
    out = safe_div(np.where(keep, S, 0.0).sum(1), (hi - lo)[:, 0, :].astype(float))
    return unbatch(out, lead)


@scheme("winsorized_mean", value_problems=k_problems)
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
    A, lead = as_batch(R)
    S, c, _ = _sorted_counts(A)
    apply = c >= mr
    lo_i = np.minimum(k, np.maximum(c - 1, 0))
    hi_i = np.maximum(c - 1 - k, 0)
    lo = np.take_along_axis(S, lo_i, axis=1)
    hi = np.take_along_axis(S, hi_i, axis=1)
    C = np.where(apply, np.clip(A, lo, hi), A)
    return unbatch(colmean(C), lead)


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
    A, lead = as_batch(R)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mr = np.nanmean(A, axis=2, keepdims=True)
        sr = np.nanstd(A, axis=2, keepdims=True)
        mu = np.nanmean(A, axis=(1, 2))
        ok = sr > 0
        sbar = np.nanmean(np.where(ok, sr, np.nan), axis=(1, 2))
    Z = np.where(ok, (A - mr) / np.where(ok, sr, 1.0), np.nan)
    out = mu[:, None] + np.nan_to_num(sbar, nan=0.0)[:, None] * colmean(Z)
    return unbatch(out, lead)


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
    A, lead = as_batch(R)
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
    M = np.stack([colmean(A[:, g == k, :]) for k in groups], axis=0)  # (G, B, n)
    wv = np.array([w[k] for k in groups])[:, None, None]
    has = ~np.isnan(M)
    out = safe_div((np.where(has, M, 0.0) * wv).sum(0), (has * wv).sum(0))
    return unbatch(out, lead)


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
    A, lead = as_batch(R)
    rk = rankdata(A, axis=2, nan_policy="omit")
    c = (~np.isnan(A)).sum(2, keepdims=True).astype(float)
    P = np.where(c > 1, (rk - 1.0) / np.where(c > 1, c - 1.0, 1.0), np.nan)
    return unbatch(colmean(P), lead)
