"""Rank statements from the Monte Carlo draws: streamed rank histograms, marginal intervals,
simultaneous rank sets (Besag et al. 1995) and the bands a grading can honestly draw.

Everything here reads the draws block by block and keeps only per-unit counts, so memory is
flat in the number of draws:

- :class:`RankCounts` — per unit, how often each rank occurred (units × (max rank + 1));
- :class:`TotalQuantiles` — the 5 % and 95 % quantiles of the totals: exact (the totals of
  every draw kept) up to :data:`EXACT_CELLS` draws × units, else from a histogram of
  :data:`TOTAL_BINS` bins per unit spanning the first block's range widened by half of it
  on each side (error at most half a bin);
- :func:`joint_rank_sets` — intervals that hold for all units at once.

Simultaneous rank sets (Besag, Green, Higdon & Mengersen 1995, "Bayesian computation and
stochastic systems", Statistical Science 10(1), §4.3, the max-based construction). With R
draws and, for unit u, ``C_u(r)`` the number of draws ranking u at r or better and
``D_u(r) = R − C_u(r − 1)`` at r or worse, the set of tail count ``τ`` is

    A_u(τ) = {r : C_u(r) ≥ τ and D_u(r) ≥ τ} = [lo_u(τ), hi_u(τ)],

i.e. u's interval between its τ-th smallest and τ-th largest sampled rank. A draw d with
ranks ``r_u`` lies inside every unit's set iff ``e_d = min_u min(C_u(r_u), D_u(r_u)) ≥ τ``,
so the fraction of draws covered jointly is ``#{d : e_d ≥ τ} / R``, and the narrowest sets
covering at least ``coverage`` of the draws jointly take ``τ* = e_(⌊(1 − coverage) R⌋)`` (the
order statistic of the e_d). The e_d are counted on the sorted distinct values of
``min(C, D)`` — at most 2 × units × ranks of them — so this second reading of the draws
keeps no draw either (a streamed Monte Carlo reads the first :data:`JOINT_DRAWS` again).
Marginal 90 % intervals hold for each unit alone with probability 0.9; the simultaneous
sets hold for all units together, which is what a sentence comparing a unit with the
others needs.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: draws × units up to which the totals (and ranks) of every draw are kept
EXACT_CELLS = 1 << 24
#: histogram bins per unit for the totals' quantiles beyond :data:`EXACT_CELLS`
TOTAL_BINS = 4096
#: replications read again (streamed mode) to choose the simultaneous sets' tail: the
#: joint coverage of all replications is then known within ±0.1 % (binomial s.d. 0.0006)
JOINT_DRAWS = 1 << 18


def column_counts(X: np.ndarray, m: int) -> np.ndarray:
    """Counts of the values 0..m-1 in each column of X (replications × units): units × m,
    by one ``bincount`` (no sort)."""
    n = X.shape[1]
    flat = (np.arange(n, dtype=np.int64)[None, :] * m + X).ravel()
    return np.bincount(flat, minlength=n * m).reshape(n, m)


class RankCounts:
    """Per-unit rank histogram accumulated block by block: ``counts[u, r]`` draws ranked u
    at r (r = 1..m; column 0 stays 0)."""

    def __init__(self, n_units: int, max_rank: int) -> None:
        self.counts = np.zeros((n_units, max_rank + 1), dtype=np.int64)
        self.R = 0

    def add(self, ranks: np.ndarray) -> None:
        """Count a block of ranks (draws × units)."""
        self.counts += column_counts(ranks, self.counts.shape[1])
        self.R += len(ranks)

    def distribution(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rank quantiles (5 %, 50 %, 95 %: the smallest rank whose CDF reaches q), mean rank,
        and the CDF ``P(rank ≤ k)`` for k = 0..m (units × (m + 1))."""
        cdf = np.cumsum(self.counts, axis=1) / self.R
        q = np.stack([(cdf < lvl - 1e-12).sum(axis=1) for lvl in (0.05, 0.5, 0.95)])
        mean = self.counts @ np.arange(self.counts.shape[1]) / self.R
        return q.astype(np.int32), mean, cdf


class TotalQuantiles:
    """The 5 % and 95 % quantiles of each unit's total over the draws, block by block."""

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        self.blocks: list[np.ndarray] = []
        self.hist: np.ndarray | None = None
        self.lo = self.width = np.zeros(0)

    def add(self, T: np.ndarray) -> None:
        """Add a block of totals (draws × units, float32)."""
        if self.exact:
            self.blocks.append(T)
            return
        if self.hist is None:
            lo, hi = np.nanmin(T, axis=0), np.nanmax(T, axis=0)
            pad = np.maximum((hi - lo) * 0.5, 1e-6)
            self.lo, self.width = lo - pad, (hi - lo + 2 * pad) / TOTAL_BINS
            self.hist = np.zeros((T.shape[1], TOTAL_BINS), dtype=np.int64)
            self._scale = (1.0 / self.width).astype(np.float32)
            self._lo32 = self.lo.astype(np.float32)
            self._base = np.arange(T.shape[1], dtype=np.int32)[None, :] * TOTAL_BINS
        x = (T - self._lo32) * self._scale
        np.clip(x, 0, TOTAL_BINS - 1, out=x)
        with np.errstate(invalid="ignore"):                 # NaN cells are dropped below
            flat = x.astype(np.int32) + self._base
        if np.isnan(T).any():
            flat = flat[~np.isnan(T)]
        self.hist += np.bincount(flat.ravel(), minlength=self.hist.size).reshape(
            self.hist.shape)

    def quantiles(self) -> np.ndarray:
        """``(2, units)``: the 5 % and 95 % quantiles (linear interpolation; within a bin
        for the histogram)."""
        if self.exact:
            T = np.concatenate(self.blocks).T
            if np.isfinite(T).all():
                return np.quantile(T, [0.05, 0.95], axis=1)
            return np.nanquantile(T, [0.05, 0.95], axis=1)
        assert self.hist is not None
        cum = np.cumsum(self.hist, axis=1)
        out = np.empty((2, len(cum)))
        for k, q in enumerate((0.05, 0.95)):
            target = q * cum[:, -1]
            j = (cum < target[:, None]).sum(axis=1).clip(0, TOTAL_BINS - 1)
            rows = np.arange(len(cum))
            before = np.where(j > 0, cum[rows, j - 1], 0)
            inside = np.maximum(self.hist[rows, j], 1)
            out[k] = self.lo + self.width * (j + (target - before) / inside)
        return out


def _tail_tables(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``C[u, r]`` (draws at rank ≤ r) and ``D[u, r]`` (draws at rank ≥ r), r = 0..m."""
    C = np.cumsum(counts, axis=1)
    R = C[:, -1:]
    D = R - np.concatenate([np.zeros_like(C[:, :1]), C[:, :-1]], axis=1)
    return C, D


def joint_rank_sets(counts: np.ndarray, rank_blocks: Iterable[np.ndarray],
                    coverage: float = 0.9) -> tuple[np.ndarray, np.ndarray, float]:
    """Simultaneous rank sets (Besag et al. 1995): per unit ``[lo, hi]`` such that at least
    ``coverage`` of the draws have every unit's rank inside its set.

    Parameters
    ----------
    counts : array (units × (m + 1))
        The rank histogram of all draws (:class:`RankCounts`).
    rank_blocks : iterable of arrays (draws × units)
        The same draws' ranks again, block by block (kept, or drawn again from their seeds).
    coverage : float
        The joint level ``1 − α``.

    Returns
    -------
    lo, hi : arrays (units,)
        The sets (ranks, 1 = best).
    achieved : float
        Fraction of the draws inside every set at once (≥ ``coverage``).

    Examples
    --------
    >>> ranks = np.array([[1, 2, 3], [2, 1, 3], [1, 3, 2], [1, 2, 3]])
    >>> counts = column_counts(ranks, 4)
    >>> lo, hi, got = joint_rank_sets(counts, [ranks], 0.7)
    >>> lo.tolist(), hi.tolist(), got
    ([1, 1, 2], [2, 3, 3], 1.0)
    """
    C, D = _tail_tables(counts)
    G = np.minimum(C, D)
    G[:, 0] = 0
    levels = np.unique(G[:, 1:])
    Gi = np.searchsorted(levels, G)
    hist = np.zeros(len(levels), dtype=np.int64)
    rows = None
    for ranks in rank_blocks:
        if rows is None or rows.shape[1] != ranks.shape[1]:
            rows = np.arange(ranks.shape[1])[None, :]
        hist += np.bincount(Gi[rows, ranks].min(axis=1), minlength=len(levels))
    R = int(hist.sum())
    need = int(np.ceil(coverage * R - 1e-9))
    tail = np.cumsum(hist[::-1])[::-1]                 # tail[j] = #{d : e_d ≥ levels[j]}
    j = int(np.flatnonzero(tail >= need).max(initial=0))
    tau = levels[j]
    r = np.arange(counts.shape[1])
    ok = (C >= tau) & (D >= tau) & (r[None, :] >= 1)
    lo = np.where(ok, r[None, :], counts.shape[1]).min(axis=1)
    hi = np.where(ok, r[None, :], 0).max(axis=1)
    return lo.astype(np.int32), hi.astype(np.int32), float(tail[j] / R)


def joint_coverage(lo: np.ndarray, hi: np.ndarray, ranks: np.ndarray) -> float:
    """Fraction of draws (rows of ``ranks``) whose every rank lies inside ``[lo, hi]``."""
    return float(((ranks >= lo[None, :]) & (ranks <= hi[None, :])).all(axis=1).mean())


def median_bands(lo: np.ndarray, hi: np.ndarray, n_in_category: np.ndarray,
                 codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each unit stands against its category's median with its rank set.

    The median's rank is ``(n + 1) / 2`` (n units in the category); a unit whose set holds
    it cannot be told apart from the median (``median``), one whose set lies wholly better
    is ``above``, wholly worse ``below``. Returns the band of each unit and, for each unit,
    how many units of its category are in the ``median`` band — what a grading that claims
    to separate them would have to ignore.

    Examples
    --------
    >>> b, k = median_bands(np.array([1, 1, 2, 4]), np.array([1, 3, 4, 4]), np.full(4, 4),
    ...                     np.zeros(4, dtype=int))
    >>> b.tolist(), k.tolist()
    (['above', 'median', 'median', 'below'], [2, 2, 2, 2])
    """
    mid = (n_in_category + 1) / 2
    band = np.where(hi < mid, "above", np.where(lo > mid, "below", "median")).astype(object)
    like = band == "median"
    per_cat = np.bincount(codes, weights=like.astype(float),
                          minlength=int(codes.max(initial=0)) + 1)
    return band, per_cat[codes].astype(np.int64)
