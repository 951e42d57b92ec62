"""Hierarchical aggregation, points rules, grades with quotas and ranks within category.

Aggregation methods form a registry with one signature::

    method(X, W) -> (agg, shares)

``X`` (units × children) holds the children's scores, ``W`` their weights for each unit
(0 where a child does not apply or is dropped as missing; rows need not sum to 1). ``agg``
is the parent's score per unit, ``shares`` (units × children, rows summing to 1 or all 0)
say how the parent's score is allotted to its children for the decomposition into
contributions.

Decomposition convention: the parent's score is allotted *pro rata* to the children's
weighted scores, ``share_i = w_i x_i / Σ_j w_j x_j``. For the arithmetic mean this is exact
in the usual sense (contribution ``= w_i x_i / Σ w``); for the other means it is a stated
convention under which contributions still add up to the score.

Examples
--------
>>> import numpy as np
>>> agg, shares = AGGREGATION["arithmetic"](np.array([[80.0, 40.0]]), np.array([[3.0, 1.0]]))
>>> agg, shares
(array([70.]), array([[0.85714286, 0.14285714]]))
"""

from __future__ import annotations

import numpy as np

from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry

AGGREGATION = Registry("aggregation")


def _prorata(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    wx = np.where(W > 0, W * np.nan_to_num(X), 0.0)
    tot = wx.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot != 0, wx / tot, 0.0)


def _wsum(W: np.ndarray) -> np.ndarray:
    s = W.sum(axis=1)
    return np.where(s > 0, s, np.nan)


@AGGREGATION.register("arithmetic")
def arithmetic(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted arithmetic mean ``Σ w_i x_i / Σ w_i`` (fully compensatory).

    Reference: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §6.1.
    """
    agg = np.where(W > 0, W * np.nan_to_num(X), 0.0).sum(axis=1) / _wsum(W)
    return agg, _prorata(X, W)


@AGGREGATION.register("geometric")
def geometric(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted geometric mean ``exp(Σ w_i ln x_i / Σ w_i)`` (partly compensatory).

    Zeros: a child scoring 0 with positive weight makes the parent 0 (the geometric mean's
    own limit: no compensation for a zero). Negative scores are an error (use a positive
    scoring such as min-max). Reference: OECD/JRC (2008) §6.2.
    """
    if np.any((W > 0) & (X < 0)):
        raise EvalkitError("geometric aggregation needs scores ≥ 0; a scoring such as z-score "
                           "gives negatives (use minmax or goalposts)")
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(W > 0, W * np.log(np.nan_to_num(X)), 0.0)
        agg = np.exp(logs.sum(axis=1) / _wsum(W))
    return agg, _prorata(X, W)


@AGGREGATION.register("harmonic")
def harmonic(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted harmonic mean ``Σ w_i / Σ (w_i / x_i)``; a zero child makes the parent 0.

    Reference: COINr ``a_hmean``; Becker et al. (2017) on non-compensatory means.
    """
    if np.any((W > 0) & (X < 0)):
        raise EvalkitError("harmonic aggregation needs scores ≥ 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(W > 0, W / np.nan_to_num(X), 0.0)
        agg = _wsum(W) / inv.sum(axis=1)
    agg = np.where(np.isinf(inv).any(axis=1), 0.0, agg)
    return agg, _prorata(X, W)


@AGGREGATION.register("median")
def median(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted median: the smallest child score whose cumulative weight reaches half.

    With equal weights and an even count this is the lower median (stated). Reference:
    COINr ``a_wmedian`` (weighted median).
    """
    Xf = np.where(W > 0, np.nan_to_num(X), np.inf)
    order = np.argsort(Xf, axis=1)
    xs = np.take_along_axis(Xf, order, axis=1)
    ws = np.take_along_axis(np.where(W > 0, W, 0.0), order, axis=1)
    cum = ws.cumsum(axis=1)
    half = 0.5 * cum[:, -1:]
    idx = (cum < half - 1e-12).sum(axis=1)
    idx = np.minimum(idx, X.shape[1] - 1)
    agg = xs[np.arange(len(xs)), idx]
    agg = np.where(np.isfinite(agg) & (cum[:, -1] > 0), agg, np.nan)
    return agg, _prorata(X, W)
