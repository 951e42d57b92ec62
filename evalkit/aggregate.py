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

from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.registry import Registry

AGGREGATION = Registry("aggregation")
POINT_KINDS = ("bonus", "deduction", "yellow_card", "veto")


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


# ---------------------------------------------------------------------------------------
def apply_missing(S: np.ndarray, applies: np.ndarray, groups: np.ndarray,
                  policies: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Apply the missing-value policy per indicator; return (scores, kept mask).

    ``zero``: a missing score is 0. ``category_mean``: the mean score of the unit's category
    (falls back to dropping when the whole category is missing). ``reweight``: dropped, the
    siblings' weights renormalise. ``applies`` marks the unit × indicator cells that apply.
    """
    S = S.copy()
    miss = np.isnan(S) & applies
    keep = applies & ~np.isnan(S)
    for j, pol in enumerate(policies):
        m = miss[:, j]
        if not m.any() or pol == "reweight":
            continue
        if pol == "zero":
            S[m, j] = 0.0
            keep[m, j] = True
        elif pol == "category_mean":
            for c in np.unique(groups[m]):
                inc = (groups == c) & applies[:, j]
                vals = S[inc & ~miss[:, j], j]
                if vals.size:
                    fill = m & (groups == c)
                    S[fill, j] = vals.mean()
                    keep[fill, j] = True
    return S, keep


def points_totals(points: pd.DataFrame, units: pd.Index, bonus_cap: float | None,
                  deduction_cap: float | None, yellow_multiplier: float
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum a period's point records per unit and apply the rules.

    ``bonus = min(Σ bonus, bonus_cap)``; ``deductions = min(Σ deduction + m · Σ yellow_card,
    deduction_cap)``; ``veto`` is true when the unit has any veto record. Returns the per-unit
    table and the records with the points each one actually applied (after multiplier; a
    capped bonus is scaled down pro rata across its records, so they still add up).
    """
    rec = points.copy()
    kind = rec["kind"].to_numpy()
    pts = rec["points"].to_numpy(dtype=float)
    rec["applied"] = np.where(kind == "yellow_card", pts * yellow_multiplier,
                              np.where(kind == "veto", 0.0, pts))
    per = rec.pivot_table(index="unit_id", columns="kind", values="applied", aggfunc="sum",
                          fill_value=0.0).reindex(units, fill_value=0.0)
    for k in POINT_KINDS:
        if k not in per.columns:
            per[k] = 0.0
    raw_bonus = per["bonus"].to_numpy()
    bonus = raw_bonus if bonus_cap is None else np.minimum(raw_bonus, bonus_cap)
    raw_ded = per["deduction"].to_numpy() + per["yellow_card"].to_numpy()
    ded = raw_ded if deduction_cap is None else np.minimum(raw_ded, deduction_cap)
    vetoed = rec.loc[rec["kind"] == "veto", "unit_id"].unique()
    out = pd.DataFrame({"bonus": bonus, "deductions": ded,
                        "veto": np.isin(units, vetoed)}, index=units)
    # scale capped records so that the applied points add up to the unit totals
    with np.errstate(invalid="ignore", divide="ignore"):
        bscale = pd.Series(np.where(raw_bonus > 0, bonus / raw_bonus, 1.0), index=units)
        dscale = pd.Series(np.where(raw_ded > 0, ded / raw_ded, 1.0), index=units)
    u = rec["unit_id"]
    rec["applied"] = np.where(kind == "bonus", rec["applied"] * u.map(bscale).to_numpy(),
                              np.where(np.isin(kind, ["deduction", "yellow_card"]),
                                       rec["applied"] * u.map(dscale).to_numpy(),
                                       rec["applied"]))
    return out, rec


def rank_within(total: pd.Series, category: pd.Series, decimals: int, ties: str
                ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Rank (1 = best) within category on totals rounded to ``decimals``.

    Returns (rank, n_in_category, rank_from_bottom) where rank_from_bottom is 1 for the
    last unit (ties share the smallest value, so all units tied for last are 'last').
    """
    r = total.round(decimals)
    g = r.groupby(category)
    rank = g.rank(ascending=False, method=ties).astype("Int64")
    rfb = g.rank(ascending=True, method="min").astype("Int64")
    n = category.map(category.value_counts()).astype("Int64")
    return rank, n, rfb


def assign_grades(total: pd.Series, category: pd.Series, veto: pd.Series, levels: list[Any],
                  rounding: str, ties: str, veto_max: int, decimals: int) -> pd.Series:
    """Grades best-first with a minimum score and a per-category quota.

    A unit gets the best grade whose ``min_score`` it reaches and whose quota
    (``quota × n`` units of its category, rounded by ``rounding``) is not full, taking units
    in order of total. Units tied at a quota boundary are all demoted (``ties='demote'``:
    the quota is never exceeded) or all admitted (``'admit'``). A vetoed unit can get no
    grade better than level ``veto_max`` and does not use a better grade's quota.
    """
    rnd = {"floor": np.floor, "ceil": np.ceil, "round": np.round}[rounding]
    r = total.round(decimals)
    grade = pd.Series(len(levels) - 1, index=total.index, dtype="int64")
    for cat, idx in category.groupby(category).groups.items():
        sub = r.loc[idx].sort_values(ascending=False, kind="stable")
        n = len(sub)
        free = pd.Series(True, index=sub.index)
        for k, lvl in enumerate(levels[:-1]):
            ok = free & sub.ge(lvl.min_score if lvl.min_score is not None else -np.inf)
            if k < veto_max:
                ok &= ~veto.loc[sub.index]
            cand = sub[ok]
            if lvl.quota is not None:
                cap = int(rnd(lvl.quota * n + 1e-9))
                if len(cand) > cap:
                    if cap == 0:
                        cand = cand.iloc[:0]
                    else:
                        edge = cand.iloc[cap - 1]
                        if ties == "admit":
                            cand = cand[cand >= edge]
                        else:
                            inside = cand.iloc[:cap]
                            tied_out = cand.iloc[cap] == edge
                            cand = inside[inside > edge] if tied_out else inside
            grade.loc[cand.index] = k
            free.loc[cand.index] = False
        del cat
    # vetoed units never better than veto_max
    grade = grade.where(~veto, np.maximum(grade, veto_max))
    return grade
