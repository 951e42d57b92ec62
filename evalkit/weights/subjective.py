"""Subjective weighting schemes from expert statements: points, ranks, swings.

Registered keys: ``equal``, ``direct``, ``points``, ``roc``, ``rank_sum``,
``reciprocal_rank``, ``swing``, ``smart``. AHP is in :mod:`evalkit.weights.ahp`, BWM in
:mod:`evalkit.weights.bwm`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import MethodError
from evalkit.weights import (
    WEIGHTING,
    WeightSet,
    check_params,
    item_vector,
    make_weightset,
    require,
)


@WEIGHTING.register("equal")
def equal(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
          where: str) -> WeightSet:
    """Equal weights: ``w_j = 1 / n``.

    The baseline of the composite-indicator literature (OECD/JRC Handbook on Constructing
    Composite Indicators, 2008, §6).

    Examples
    --------
    >>> equal(["a", "b"], None, {}, "w").weights.tolist()
    [0.5, 0.5]
    """
    check_params(params, [], "equal", where)
    return make_weightset(np.ones(len(items)), items, "equal", params, where)


def _expert_points(params: Mapping[str, Any], items: Sequence[str], where: str,
                   method: str) -> np.ndarray:
    """Points per expert as an (experts × items) array (one row when a single mapping)."""
    pts = require(params, "points", method, where)
    rows = pts if isinstance(pts, list) and pts and isinstance(pts[0], Mapping | list) else [pts]
    out = np.vstack([item_vector(r, items, f"points[{k}]" if len(rows) > 1 else "points", where)
                     for k, r in enumerate(rows)])
    neg = np.argwhere(out < 0)
    if len(neg):
        e, j = neg[0]
        raise MethodError(f"points must be ≥ 0, got {out[e, j]}", f"{where}.points.{items[j]}")
    zero = np.flatnonzero(out.sum(axis=1) <= 0)
    if len(zero):
        raise MethodError("an expert's points are all 0; give at least one positive value",
                          f"{where}.points[{zero[0]}]")
    return out


@WEIGHTING.register("direct")
def direct(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
           where: str) -> WeightSet:
    """Direct rating: expert points normalised, ``w_j = p_j / Σ_k p_k``.

    ``points`` is one mapping item -> points or a list of them (one per expert); with several
    experts each expert's points are normalised first and the weights are their mean
    (optionally weighted by ``expert_weights``), so an expert who uses bigger numbers does not
    count more (Bottomley & Doyle 2001, "A comparison of three weight elicitation methods",
    Omega 29).

    Examples
    --------
    >>> direct(["a", "b"], None, {"points": {"a": 3, "b": 1}}, "w").weights.tolist()
    [0.75, 0.25]
    """
    check_params(params, ["points", "expert_weights"], "direct", where)
    p = _expert_points(params, items, where, "direct")
    p = p / p.sum(axis=1, keepdims=True)
    lam = _expert_weights(params, p.shape[0], where)
    return make_weightset(lam @ p, items, "direct", params, where,
                          conventions={"experts": "mean of each expert's normalised points"},
                          diagnostics={"n_experts": p.shape[0]})


def _expert_weights(params: Mapping[str, Any], n: int, where: str) -> np.ndarray:
    lam = params.get("expert_weights")
    if lam is None:
        return np.full(n, 1.0 / n)
    lam = np.asarray(lam, dtype=float)
    if lam.shape != (n,) or np.any(lam < 0) or lam.sum() <= 0:
        raise MethodError(f"expert_weights must be {n} numbers ≥ 0 with a positive sum, got "
                          f"{params.get('expert_weights')!r}", f"{where}.expert_weights")
    return lam / lam.sum()


@WEIGHTING.register("points")
def point_allocation(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
                     where: str) -> WeightSet:
    """Point allocation: each expert distributes a ``budget`` (default 100) over the items.

    ``w_j = mean_e(p_ej) / budget``. Every expert's points must add up to the budget
    (tolerance ``1e-6 × budget``), otherwise the input is refused: an allocation that misses
    its budget is a transcription error, not a preference (Bottomley, Doyle & Green 2000,
    "Testing the reliability of weight elicitation methods: direct rating versus point
    allocation", J. Marketing Research 37).

    Examples
    --------
    >>> point_allocation(["a", "b"], None, {"budget": 10, "points": {"a": 7, "b": 3}},
    ...                  "w").weights.tolist()
    [0.7, 0.3]
    """
    check_params(params, ["points", "budget", "expert_weights"], "points", where)
    budget = float(params.get("budget", 100))
    if budget <= 0:
        raise MethodError(f"budget must be > 0, got {budget}", f"{where}.budget")
    p = _expert_points(params, items, where, "points")
    sums = p.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - budget) > 1e-6 * budget)
    if len(bad):
        e = bad[0]
        loc = f"{where}.points[{e}]" if p.shape[0] > 1 else f"{where}.points"
        raise MethodError(f"points add up to {sums[e]:g}; expected the budget {budget:g}", loc)
    lam = _expert_weights(params, p.shape[0], where)
    return make_weightset(lam @ (p / budget), items, "points", params, where,
                          conventions={"budget": budget}, diagnostics={"n_experts": p.shape[0]})


# -- rank-based ---------------------------------------------------------------------------
def _roc(n: int) -> np.ndarray:
    return np.array([np.sum(1.0 / np.arange(k, n + 1)) / n for k in range(1, n + 1)])


def _rank_sum(n: int) -> np.ndarray:
    k = np.arange(1, n + 1)
    return 2.0 * (n + 1 - k) / (n * (n + 1))


def _reciprocal(n: int) -> np.ndarray:
    r = 1.0 / np.arange(1, n + 1)
    return r / r.sum()


def _rank_weights(items: Sequence[str], params: dict[str, Any], where: str, method: str,
                  position_weights: Callable[[int], np.ndarray]) -> WeightSet:
    check_params(params, ["ranks"], method, where)
    ranks = item_vector(require(params, "ranks", method, where), items, "ranks", where)
    if np.any(ranks < 1):
        j = int(np.argmin(ranks))
        raise MethodError(f"ranks start at 1 (most important); got {ranks[j]:g}",
                          f"{where}.ranks.{items[j]}")
    n = len(items)
    pos = position_weights(n)
    # tied items occupy consecutive positions and share the mean of their position weights
    r = pd.Series(ranks)
    first = r.rank(method="min").to_numpy().astype(int)
    last = r.rank(method="max").to_numpy().astype(int)
    cum = np.concatenate([[0.0], np.cumsum(pos)])
    w = (cum[last] - cum[first - 1]) / (last - first + 1)
    return make_weightset(w, items, method, params, where,
                          conventions={"ties": "tied items share the mean weight of the "
                                               "positions they occupy",
                                       "rank 1": "most important"})


@WEIGHTING.register("roc")
def rank_order_centroid(items: Sequence[str], data: pd.DataFrame | None,
                        params: dict[str, Any], where: str) -> WeightSet:
    """Rank-order centroid: ``w_k = (1/n) Σ_{i=k..n} 1/i`` for the item ranked k.

    The centroid of the simplex region allowed by the ranking (Barron & Barrett 1996,
    "Decision quality using ranked attribute weights", Management Science 42(11)). Ties share
    the mean weight of the positions they occupy. ``ranks``: item -> rank (1 = most important).

    Examples
    --------
    >>> rank_order_centroid(["a", "b"], None, {"ranks": {"a": 1, "b": 2}},
    ...                     "w").weights.round(4).tolist()
    [0.75, 0.25]
    """
    return _rank_weights(items, params, where, "roc", _roc)


@WEIGHTING.register("rank_sum")
def rank_sum(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
             where: str) -> WeightSet:
    """Rank-sum: ``w_k = 2 (n + 1 − k) / (n (n + 1))`` for the item ranked k.

    Stillwell, Seaver & Edwards 1981, "A comparison of weight approximation techniques in
    multiattribute utility decision making", OBHP 28. Ties share the mean position weight.

    Examples
    --------
    >>> rank_sum(["a", "b"], None, {"ranks": {"a": 1, "b": 2}}, "w").weights.round(4).tolist()
    [0.6667, 0.3333]
    """
    return _rank_weights(items, params, where, "rank_sum", _rank_sum)


@WEIGHTING.register("reciprocal_rank")
def reciprocal_rank(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
                    where: str) -> WeightSet:
    """Reciprocal (inverse) rank: ``w_k = (1/k) / Σ_{i=1..n} 1/i``.

    Stillwell, Seaver & Edwards 1981. Ties share the mean position weight.

    Examples
    --------
    >>> reciprocal_rank(["a", "b"], None, {"ranks": {"a": 1, "b": 2}},
    ...                 "w").weights.round(4).tolist()
    [0.6667, 0.3333]
    """
    return _rank_weights(items, params, where, "reciprocal_rank", _reciprocal)


# -- swing / SMART ---------------------------------------------------------------------------
@WEIGHTING.register("swing")
def swing(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
          where: str) -> WeightSet:
    """SWING weights: the most important swing (worst to best level) gets 100 points and every
    other swing 0–100 relative to it; ``w_j = p_j / Σ p``.

    von Winterfeldt & Edwards 1986, *Decision Analysis and Behavioral Research*, ch. 8.
    ``points``: item -> 0..100, with exactly the reference value (``reference``, default 100)
    as the maximum.

    Examples
    --------
    >>> swing(["a", "b"], None, {"points": {"a": 100, "b": 50}}, "w").weights.round(4).tolist()
    [0.6667, 0.3333]
    """
    check_params(params, ["points", "reference"], "swing", where)
    ref = float(params.get("reference", 100))
    p = item_vector(require(params, "points", "swing", where), items, "points", where)
    bad = np.flatnonzero((p < 0) | (p > ref))
    if len(bad):
        raise MethodError(f"swing points must lie in [0, {ref:g}], got {p[bad[0]]:g}",
                          f"{where}.points.{items[bad[0]]}")
    if p.max() != ref:
        raise MethodError(f"the most important swing must get {ref:g} points (the reference); "
                          f"the largest given is {p.max():g}", f"{where}.points")
    return make_weightset(p, items, "swing", params, where, conventions={"reference": ref})


@WEIGHTING.register("smart")
def smart(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
          where: str) -> WeightSet:
    """SMART weights: the least important item gets ``reference`` points (default 10) and the
    others points relative to it (ratio judgements); ``w_j = p_j / Σ p``.

    Edwards 1977, "How to use multiattribute utility measurement for social decision
    making", IEEE SMC 7(5).

    Examples
    --------
    >>> smart(["a", "b"], None, {"points": {"a": 30, "b": 10}}, "w").weights.tolist()
    [0.75, 0.25]
    """
    check_params(params, ["points", "reference"], "smart", where)
    ref = float(params.get("reference", 10))
    p = item_vector(require(params, "points", "smart", where), items, "points", where)
    if p.min() != ref:
        j = int(np.argmin(p))
        raise MethodError(f"the least important item must get the reference {ref:g} points and "
                          f"the others at least as many; the smallest given is {p[j]:g}",
                          f"{where}.points.{items[j]}")
    return make_weightset(p, items, "smart", params, where, conventions={"reference": ref})
