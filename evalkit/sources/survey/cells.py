"""Per-cell ratio estimates with respondent clustering: the kernel of the survey aggregates.

A *cell* is any set of answers estimated together (unit × group × item, unit × group, unit).
:func:`cell_stats` computes, for every cell at once, the weighted satisfaction rate and mean
points, Kish's effective n and the respondent-clustered standard error of the mean; the
interval methods of :mod:`evalkit.sources.survey.intervals` read the :class:`CellStats` it
returns, and :mod:`evalkit.sources.survey.aggregate` applies it at the three levels.

Examples
--------
>>> import numpy as np
>>> s = cell_stats(cell=np.array([0, 0, 0, 1]), ballot=np.array([0, 1, 2, 3]),
...                w=np.ones(4), sat=np.array([1.0, 1.0, 0.0, 1.0]),
...                pts=np.array([100.0, 60.0, 0.0, 100.0]), n_cells=2)
>>> s.n.tolist(), np.round(s.rate, 3).tolist(), s.mean.tolist(), s.n_eff.tolist()
([3.0, 1.0], [0.667, 1.0], [53.333333333333336, 100.0], [3.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Clusters:
    """Per respondent-in-cell sums, for the bootstrap: cell, Σ w·points, Σ w (= w·M)."""

    cell: np.ndarray
    wy: np.ndarray
    wm: np.ndarray


@dataclass
class CellStats:
    """Per-cell estimates (arrays of one length, the number of cells)."""

    n: np.ndarray
    n_answers: np.ndarray
    n_eff: np.ndarray
    rate: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    clusters: Clusters | None = None


def cell_stats(cell: np.ndarray, ballot: np.ndarray, w: np.ndarray, sat: np.ndarray,
               pts: np.ndarray, n_cells: int, one_per_ballot: bool = False) -> CellStats:
    """Ratio estimates with respondent clustering, vectorised over cells.

    Parameters
    ----------
    cell, ballot : int arrays, one entry per valid answer
    w : float array
        Weight of the answer's respondent in this cell (constant within cell × ballot).
    sat, pts : float arrays
        1.0 if satisfied, else 0.0; points (0–100).
    n_cells : int
        The number of cells (cells without answers get n = 0 and NaN estimates).
    one_per_ballot : bool
        The caller guarantees one answer per cell × ballot (skips the clustering step).

    Returns
    -------
    CellStats
        ``rate`` and ``mean`` are ratio estimators Σ w·y / Σ w; ``n`` counts respondents,
        ``n_eff`` is Kish's (Σ u)² / Σ u² with u = w × the respondent's answers in the cell;
        ``se`` of the mean is the linearised, respondent-clustered standard error
        √( n/(n−1) · Σ_k (w_k (Y_k − mean·M_k))² ) / Σ_k w_k M_k, which for one answer per
        respondent and no weights is s/√n (Kish 1965, §6.6; Wolter 2007, ch. 6).
    """
    if one_per_ballot:
        kc, m, ys, yp, wk = cell, np.ones(len(cell)), sat, pts, w
    else:
        nb = int(ballot.max()) + 1 if len(ballot) else 1
        k, uniq = pd.factorize(cell.astype(np.int64) * nb + ballot, sort=False)
        kc = (uniq // nb).astype(np.int64)
        nk = len(uniq)
        m = np.bincount(k, minlength=nk).astype(float)
        ys = np.bincount(k, weights=sat, minlength=nk)
        yp = np.bincount(k, weights=pts, minlength=nk)
        wk = np.zeros(nk)
        wk[k] = w  # constant within cluster
    u = wk * m
    su = np.bincount(kc, weights=u, minlength=n_cells)
    su2 = np.bincount(kc, weights=u * u, minlength=n_cells)
    n = np.bincount(kc, minlength=n_cells).astype(float)
    n_ans = np.bincount(kc, weights=m, minlength=n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(su2 > 0, su * su / su2, 0.0)
        rate = np.bincount(kc, weights=wk * ys, minlength=n_cells) / su
        mean = np.bincount(kc, weights=wk * yp, minlength=n_cells) / su
        z = wk * yp - mean[kc] * u
        var = n / (n - 1) * np.bincount(kc, weights=z * z, minlength=n_cells) / (su * su)
    se = np.sqrt(np.where(n > 1, var, np.nan))
    return CellStats(n, n_ans, n_eff, rate, mean, se, Clusters(kc, wk * yp, u))
