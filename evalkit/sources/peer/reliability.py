"""Reliability and diagnostics of a peer-rating matrix.

All functions take ``R`` (raters × ratees, NaN where not rated), as the schemes do.
"""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pandas as pd

from evalkit.core.errors import MethodError


def icc_oneway(R: np.ndarray) -> dict[str, float]:
    """ICC(1) and ICC(1,k) of a one-way random-effects design, balanced or not.

    Each ratee ``j`` receives ``k_j ≥ 1`` ratings from its own set of raters (the one-way
    model: rater effects are part of the error). With ``N = Σ k_j`` ratings on ``n`` ratees,
    ``MSB = Σ_j k_j (x̄_j − x̄)² / (n − 1)``, ``MSW = Σ_j Σ_r (x_rj − x̄_j)² / (N − n)`` and the
    effective group size ``k₀ = (N − Σ k_j² / N) / (n − 1)`` (Snedecor & Cochran 1989,
    §13.7; ``k₀ = k`` when balanced):

    ``ICC(1) = (MSB − MSW) / (MSB + (k₀ − 1) MSW)`` — reliability of one rating;
    ``ICC(1,k) = (MSB − MSW) / MSB`` — reliability of the mean of ``k₀`` ratings.

    Reference: Shrout & Fleiss (1979), *Psychological Bulletin* 86(2), 420–428, Table 2.

    Returns
    -------
    dict
        ``icc1``, ``icc1k``, ``msb``, ``msw``, ``k0``, ``n_ratees``, ``n_ratings``.

    Examples
    --------
    >>> R = np.array([[9, 6, 8, 7, 10, 6], [2, 1, 4, 1, 5, 2], [5, 3, 6, 2, 6, 4],
    ...               [8, 2, 8, 6, 9, 7]], dtype=float)
    >>> round(icc_oneway(R)["icc1"], 2)
    0.17
    """
    A = np.asarray(R, dtype=float)
    obs = ~np.isnan(A)
    kj = obs.sum(0)
    keep = kj > 0
    A, obs, kj = A[:, keep], obs[:, keep], kj[keep]
    n, N = int(keep.sum()), int(kj.sum())
    if n < 2 or N - n < 1:
        raise MethodError(f"ICC needs at least 2 rated ratees and one repeated rating; got "
                          f"{n} ratees and {N} ratings")
    xj = np.where(obs, A, 0.0).sum(0) / kj
    xbar = np.where(obs, A, 0.0).sum() / N
    msb = float((kj * (xj - xbar) ** 2).sum() / (n - 1))
    msw = float((np.where(obs, A - xj, 0.0) ** 2).sum() / (N - n))
    k0 = float((N - (kj**2).sum() / N) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msb - msw) / (msb + (k0 - 1) * msw)
        icc1k = (msb - msw) / msb
    return {"icc1": float(icc1), "icc1k": float(icc1k), "msb": msb, "msw": msw, "k0": k0,
            "n_ratees": n, "n_ratings": N}


def kripp_alpha(R: np.ndarray, level: str = "interval") -> float:
    """Krippendorff's α for the ratings (raters as coders, ratees as units).

    ``α = 1 − D_o / D_e`` (observed over expected disagreement) with the metric of ``level``
    (``interval``: squared difference; ``ordinal``: cumulative-frequency distance).
    Missing ratings are allowed. Computed by the ``krippendorff`` package.
    Reference: Krippendorff (2011), "Computing Krippendorff's alpha-reliability".

    Examples
    --------
    >>> round(kripp_alpha(np.array([[1, 2, 3, 4.0], [1, 2, 3, 4.0]])), 3)
    1.0
    """
    if level not in {"interval", "ordinal", "nominal", "ratio"}:
        raise MethodError(f"unknown level {level!r}; expected interval, ordinal, nominal or "
                          "ratio", "kripp_alpha.level")
    A = np.asarray(R, dtype=float)
    paired = (~np.isnan(A)).sum(0) >= 2
    if paired.sum() < 1:
        raise MethodError("Krippendorff's α needs a ratee rated at least twice")
    return float(krippendorff.alpha(reliability_data=A[:, paired], level_of_measurement=level))


def _loo_consensus(A: np.ndarray) -> np.ndarray:
    """Mean of the *other* raters' ratings of each cell (NaN where none)."""
    obs = ~np.isnan(A)
    tot = np.where(obs, A, 0.0).sum(0, keepdims=True)
    cnt = obs.sum(0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        other = np.where(obs, (tot - np.where(obs, A, 0.0)) / (cnt - 1), tot / cnt)
    return np.where(np.where(obs, cnt - 1, cnt) > 0, other, np.nan)


def rater_diagnostics(R: np.ndarray, rater_ids: list | None = None) -> pd.DataFrame:
    """Per-rater leniency and consistency against the leave-one-out consensus.

    For rater ``r`` and ratee ``j``, ``c_{−r,j}`` is the mean of the other raters' ratings of
    ``j``. ``leniency_r = mean_j (x_rj − c_{−r,j})`` (positive: lenient);
    ``consistency_r = corr_j(x_rj, c_{−r,j})`` (Pearson; NaN for a constant ballot);
    ``resid_sd_r`` the SD of ``x_rj − c_{−r,j}``; ``constant`` flags a ballot giving every
    ratee the same score. Reference: Myford & Wolfe (2003), *J. Applied Measurement* 4(4).

    Examples
    --------
    >>> d = rater_diagnostics(np.array([[1.0, 2, 3], [3.0, 4, 5], [2.0, 3, 4]]))
    >>> d["leniency"].round(2).tolist()
    [-1.5, 1.5, 0.0]
    """
    A = np.asarray(R, dtype=float)
    C = _loo_consensus(A)
    ok = ~np.isnan(A) & ~np.isnan(C)
    # masked sums instead of nan-functions: one pass each over the (sparse) dense matrix
    n_ok = ok.sum(axis=1)
    A0, C0 = np.where(ok, A, 0.0), np.where(ok, C, 0.0)
    D0 = A0 - C0
    with np.errstate(invalid="ignore", divide="ignore"):
        len_ = D0.sum(axis=1) / n_ok
        rsd = np.sqrt(np.maximum((D0**2).sum(axis=1) - n_ok * len_**2, 0.0) / (n_ok - 1))
        rsd = np.where(n_ok > 1, rsd, np.nan)
        da = np.where(ok, A0 - (A0.sum(axis=1) / n_ok)[:, None], 0.0)
        dc = np.where(ok, C0 - (C0.sum(axis=1) / n_ok)[:, None], 0.0)
        num = (da * dc).sum(axis=1)
        den = np.sqrt((da**2).sum(axis=1) * (dc**2).sum(axis=1))
        cons = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        seen = ~np.isnan(A)
        n_seen = seen.sum(axis=1)
        Aseen = np.where(seen, A, 0.0)
        m_own = Aseen.sum(axis=1) / n_seen
        sd_own = np.sqrt(np.maximum((np.where(seen, A - m_own[:, None], 0.0) ** 2
                                     ).sum(axis=1) / n_seen, 0.0))
    ids = list(range(A.shape[0])) if rater_ids is None else list(rater_ids)
    return pd.DataFrame({"rater_id": ids, "n_rated": n_seen, "leniency": len_,
                         "consistency": cons, "resid_sd": rsd,
                         "constant": (sd_own == 0) & (n_seen > 1)})


def reciprocity(R: np.ndarray, unit_ids: list | None = None,
                threshold: float = 1.5) -> tuple[float, pd.DataFrame]:
    """Reciprocity between pairs of units who rate each other (a collusion signal).

    For a square ``R`` (unit ``i``'s ballot in row ``i``), ``d_ij = x_ij − c_{−i,j}`` is how far
    ``i`` rated ``j`` above the others' consensus. The dyadic reciprocity is the correlation
    over unordered pairs of ``d_ij`` and ``d_ji`` (double-entry intraclass correlation:
    each pair entered in both orders), as in the social relations model (Kenny & La Voie
    1984, *Advances in Experimental Social Psychology* 18). Pairs where both ``d`` exceed
    ``threshold`` SDs of all ``d`` are flagged as mutual favour.

    Returns
    -------
    r : float
        The reciprocity correlation (near 0 for honest raters; high under mutual favour).
    pairs : DataFrame
        ``unit_a, unit_b, d_ab, d_ba, mutual`` (z-units), sorted by ``min(d_ab, d_ba)``.

    Examples
    --------
    >>> R = np.array([[np.nan, 90, 50, 50], [90, np.nan, 50, 50],
    ...               [60, 60, np.nan, 60], [60, 60, 60, np.nan]], dtype=float)
    >>> r, p = reciprocity(R)
    >>> (p.iloc[0]["unit_a"], p.iloc[0]["unit_b"])
    (0, 1)
    """
    A = np.asarray(R, dtype=float)
    m, n = A.shape
    if m != n:
        raise MethodError(f"reciprocity needs units rating each other (square matrix); got "
                          f"{m} raters × {n} ratees")
    D = A - _loo_consensus(A)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(D)
    Dz = D / (sd if sd > 0 else 1.0)
    iu, ju = np.triu_indices(n, 1)
    a, b = Dz[iu, ju], Dz[ju, iu]
    both = ~np.isnan(a) & ~np.isnan(b)
    x = np.concatenate([a[both], b[both]])
    y = np.concatenate([b[both], a[both]])
    r = float(np.corrcoef(x, y)[0, 1]) if both.sum() >= 3 and x.std() > 0 else float("nan")
    ids = np.asarray(list(range(n)) if unit_ids is None else list(unit_ids), dtype=object)
    pairs = pd.DataFrame({"unit_a": ids[iu[both]], "unit_b": ids[ju[both]],
                          "d_ab": a[both], "d_ba": b[both]})
    pairs["mutual"] = (pairs["d_ab"] > threshold) & (pairs["d_ba"] > threshold)
    key = np.minimum(pairs["d_ab"], pairs["d_ba"])
    pairs = pairs.iloc[np.argsort(-key.to_numpy(), kind="stable")].reset_index(drop=True)
    return r, pairs
