"""Ranks within category and grades (等次) with per-category quotas (比例限额)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


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
