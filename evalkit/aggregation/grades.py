"""Ranks within category and grades (等次) with per-category quotas (比例限额).

One grading rule, :func:`grade_matrix`, vectorised over replications × units: the nominal
evaluation (:func:`assign_grades`) is the one-replication case, the Monte Carlo of
:mod:`evalkit.analysis.uncertainty` the many-replication case.

Examples
--------
>>> import numpy as np
>>> T = np.array([[95.0, 90.0, 90.0, 70.0, 40.0]])          # one replication, one category
>>> mins, quotas = np.array([80.0, 60.0, np.nan]), np.array([0.4, np.nan, np.nan])
>>> grade_matrix(T, np.zeros(5, int), mins, quotas, ties="demote").tolist()
[[0, 1, 1, 1, 2]]
>>> grade_matrix(T, np.zeros(5, int), mins, quotas, ties="admit").tolist()
[[0, 0, 0, 1, 2]]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

#: quota × n → a count of units
QUOTA_ROUNDING: dict[str, Callable[[Any], Any]] = {"floor": np.floor, "ceil": np.ceil,
                                                    "round": np.round}


#: pandas' rank methods (the spec's ``ranking.ties``) as :func:`scipy.stats.rankdata`'s
_RANKDATA = {"min": "min", "max": "max", "dense": "dense", "first": "ordinal"}


def _ranks(v: np.ndarray, code: np.ndarray, ties: str, index: pd.Index) -> pd.Series:
    """Ranks of ``v`` (ascending, 1 = smallest) within each group ``code`` (−1: none), by
    :func:`scipy.stats.rankdata`; NA where the value or the group is missing."""
    ok = (code >= 0) & ~np.isnan(v)
    out = np.zeros(len(v), dtype=np.int64)
    for g in np.unique(code[ok]):
        m = ok & (code == g)
        out[m] = stats.rankdata(v[m], method=_RANKDATA[ties])
    return pd.Series(pd.arrays.IntegerArray(out, ~ok), index=index)


def _rank_keys(total: pd.Series, category: pd.Series, decimals: int | None
               ) -> tuple[np.ndarray, np.ndarray]:
    """The totals as ranked (rounded to ``decimals``; None: unrounded) and the category
    codes (−1: no category)."""
    r = total if decimals is None else total.round(decimals)
    return r.to_numpy(dtype=float, na_value=np.nan), pd.factorize(category)[0]


def rank_in_category(total: pd.Series, category: pd.Series, decimals: int | None, ties: str
                     ) -> pd.Series:
    """Rank (1 = best) within category on totals rounded to ``decimals`` (None: unrounded);
    ``ties`` is pandas' rank method (``min``: 1, 2, 2, 4; ``dense``: 1, 2, 2, 3; ``first``:
    1, 2, 3, 4 in row order). A unit without a total or a category has no rank."""
    v, code = _rank_keys(total, category, decimals)
    return _ranks(-v, code, ties, total.index)


def rank_within(total: pd.Series, category: pd.Series, decimals: int | None, ties: str
                ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Rank (1 = best) within category on totals rounded to ``decimals`` (None: unrounded).

    Returns (rank, n_in_category, rank_from_bottom): the rank of :func:`rank_in_category`;
    rank_from_bottom is 1 for the last unit (ties share the smallest value, so all units
    tied for last are 'last').
    """
    v, code = _rank_keys(total, category, decimals)
    rank, rfb = _ranks(-v, code, ties, total.index), _ranks(v, code, "min", total.index)
    size = np.append(np.bincount(code[code >= 0]), 0)[code]
    n = pd.Series(pd.arrays.IntegerArray(size.astype(np.int64), code < 0), index=total.index)
    return rank, n, rfb


def _admit(inside: np.ndarray, ok: np.ndarray, at_edge: np.ndarray) -> np.ndarray:
    """Units tied with the last admitted one are admitted too (the quota may be exceeded)."""
    return inside | (ok & at_edge)


def _demote(inside: np.ndarray, ok: np.ndarray, at_edge: np.ndarray) -> np.ndarray:
    """Units tied with the first one left out are all demoted (the quota is never exceeded)."""
    del ok
    return inside & ~at_edge


#: what happens to units tied at a quota boundary: (admitted, candidates, tied at the edge)
QUOTA_TIES = {"admit": _admit, "demote": _demote}


def _within_quota(ok: np.ndarray, ts: np.ndarray, cap: int, tie_rule: Callable[..., Any]
                  ) -> np.ndarray:
    """The first ``cap`` candidates ``ok`` of each row (``ts`` sorted best first); in rows
    where the first candidate left out ties with the last admitted, ``tie_rule`` decides."""
    c = np.cumsum(ok, axis=1, dtype=np.int32)
    inside = ok & (c <= cap)
    if cap == 0:
        return inside
    over = c[:, -1] > cap
    if not over.any():
        return inside
    at = np.arange(len(c))
    edge = ts[at, np.argmax(c >= cap, axis=1)]
    rows = np.flatnonzero(over & (ts[at, np.argmax(c > cap, axis=1)] == edge))
    if len(rows):
        inside[rows] = tie_rule(inside[rows], ok[rows], ts[rows] == edge[rows, None])
    return inside


def _grade_sorted(ts: np.ndarray, vs: np.ndarray | None, min_score: np.ndarray,
                  quota: np.ndarray, rnd: Callable[[Any], Any], tie_rule: Callable[..., Any],
                  vmax: int) -> np.ndarray:
    """Grades of one category whose totals ``ts`` (replications × units) are sorted best
    first; ``vs`` the veto flags in the same order."""
    R, m = ts.shape
    G = len(min_score)
    free = np.ones((R, m), dtype=bool)
    out = np.full((R, m), G - 1, dtype=np.int16)
    for k in range(G - 1):
        ok = free & (ts >= (min_score[k] if np.isfinite(min_score[k]) else -np.inf))
        if vs is not None and k < vmax:
            ok &= ~vs
        if np.isfinite(quota[k]):
            ok = _within_quota(ok, ts, int(rnd(quota[k] * m + 1e-9)), tie_rule)
        out[ok] = k
        free &= ~ok
    return out


def grade_matrix(T: np.ndarray, codes: np.ndarray, min_score: np.ndarray, quota: np.ndarray,
                 rounding: str = "floor", ties: str = "demote",
                 veto: np.ndarray | None = None, veto_max: int | None = None,
                 orders: Mapping[int, np.ndarray] | None = None) -> np.ndarray:
    """Grade index (0 = best) of each unit in each replication: replications × units.

    Grades are taken best first. In each replication and category (``codes``; −1: no
    category, lowest grade), units are taken in order of total; a unit gets the best grade
    whose ``min_score`` it reaches (NaN: none) and whose quota is not full: at most
    ``rounding(quota × n + 1e−9)`` units of the ``n`` in its category (NaN quota: no
    limit). Units tied at a quota boundary are all demoted (``ties='demote'``: the quota
    is never exceeded) or all admitted (``'admit'``). A vetoed unit (一票否决) gets no grade
    better than ``veto_max`` (default: the lowest) and uses no better grade's quota.

    Parameters
    ----------
    T : array (replications × units)
        Totals as graded (round them first to grade published totals).
    codes : array of int (units,)
        Category code of each unit.
    min_score, quota : arrays (grades,)
        Per grade, best first.
    orders : dict, optional
        Per category code, each replication's order of the category's units best first
        (``argsort``, e.g. from the ranking), to avoid sorting again.

    Returns
    -------
    ndarray of int16 (replications × units).
    """
    T = np.atleast_2d(np.asarray(T))
    if not np.issubdtype(T.dtype, np.floating):
        T = T.astype(float)
    R, n = T.shape
    G = len(min_score)
    out = np.full((R, n), G - 1, dtype=np.int16)
    vmax = G - 1 if veto_max is None else int(veto_max)
    vetoed = np.zeros(n, dtype=bool) if veto is None else np.asarray(veto, dtype=bool)
    mins, quotas = np.asarray(min_score, dtype=float), np.asarray(quota, dtype=float)
    rnd, tie_rule = QUOTA_ROUNDING[rounding], QUOTA_TIES[ties]
    for c in np.unique(codes[codes >= 0]):
        cols = np.flatnonzero(codes == c)
        order = orders[int(c)] if orders is not None and int(c) in orders else \
            np.argsort(-T[:, cols], axis=1, kind="stable")
        ts = np.take_along_axis(T[:, cols], order, axis=1)
        vs = vetoed[cols][order] if vetoed[cols].any() else None
        g = _grade_sorted(ts, vs, mins, quotas, rnd, tie_rule, vmax)
        back = np.empty_like(g)
        np.put_along_axis(back, order, g, axis=1)
        out[:, cols] = back
    out[:, vetoed] = np.maximum(out[:, vetoed], vmax)
    return out


def level_arrays(levels: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """``(min_score, quota)`` arrays of grade levels (objects with ``min_score`` and
    ``quota``, None for none → NaN)."""
    def num(v: Any) -> float:
        return np.nan if v is None else float(v)

    return (np.array([num(lv.min_score) for lv in levels], dtype=float),
            np.array([num(getattr(lv, "quota", None)) for lv in levels], dtype=float))


def assign_grades(total: pd.Series, category: pd.Series, veto: pd.Series, levels: list[Any],
                  rounding: str, ties: str, veto_max: int, decimals: int | None) -> pd.Series:
    """Grades best-first with a minimum score and a per-category quota.

    The nominal case of :func:`grade_matrix` (one replication) on totals rounded to
    ``decimals``: a unit gets the best grade whose ``min_score`` it reaches and whose quota
    (``quota × n`` units of its category, rounded by ``rounding``) is not full, taking units
    in order of total. Units tied at a quota boundary are all demoted (``ties='demote'``:
    the quota is never exceeded) or all admitted (``'admit'``). A vetoed unit can get no
    grade better than level ``veto_max`` and does not use a better grade's quota.
    """
    r = total if decimals is None else total.round(decimals)
    codes, _ = pd.factorize(category)
    mins, quotas = level_arrays(levels)
    v = veto.reindex(total.index).fillna(False).to_numpy(dtype=bool)
    g = grade_matrix(r.to_numpy(dtype=float)[None, :], codes, mins, quotas, rounding, ties,
                     v, veto_max)[0]
    return pd.Series(g.astype("int64"), index=total.index)
