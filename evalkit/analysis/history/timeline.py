"""Trends: the ``totals`` of several periods with positions and changes per unit.

:func:`trends` adds to each (unit, period) row the quantities consecutive-period rules speak
of — the rank counted from the bottom, the rank as a share of the category, the change of
rank and total since the unit's previous period — and whether the row continues the unit's
previous one (no gap, see :func:`period_positions`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import TableError


def period_positions(periods: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Position of each row's period on the time axis and the distinct periods in time order.

    When every period is a whole number (years) the position is the number itself, so a
    missing year leaves a gap; otherwise periods are ordered as text and numbered 0, 1, ….

    Examples
    --------
    >>> pos, ordered = period_positions(pd.Series([2025, 2023, 2025]))
    >>> pos.tolist(), ordered
    ([2025, 2023, 2025], [2023, 2025])
    """
    uniq = pd.Index(pd.unique(periods)).tolist()
    num = pd.to_numeric(pd.Series(uniq), errors="coerce")
    whole = num.notna().all() and bool((num == num.round()).all())
    if whole:
        order = np.argsort(num.to_numpy(), kind="stable")
        pos_of = dict(zip(uniq, num.to_numpy(dtype=np.int64), strict=True))
    else:
        order = np.argsort(np.array([str(p) for p in uniq]), kind="stable")
        pos_of = {uniq[j]: k for k, j in enumerate(order)}
    ordered = [uniq[j] for j in order]
    return periods.map(pos_of).to_numpy(dtype=np.int64), ordered


def trends(totals: pd.DataFrame, name: str = "totals") -> pd.DataFrame:
    """The ``totals`` of several periods with positions and changes per unit.

    Adds ``pos`` (the period's place on the time axis), ``n_in_category`` (if absent),
    ``rank_from_bottom = 1 + #{units of the category and period with a larger rank}``,
    ``rank_pct = rank / n_in_category``, ``rank_change = previous rank − rank`` (positive =
    moved up; NaN in a unit's first period, after a gap or a change of category),
    ``total_change``, ``category_changed``, ``first_period`` and ``_continues`` (the row
    follows the unit's previous one with no gap). Sorted by unit and period.

    Parameters
    ----------
    totals : DataFrame
        ``totals`` of several periods: at least period, unit_id, category, rank (1 = best of
        the category in the period).
    name : str
        How errors name the table.

    Returns
    -------
    DataFrame
        The rows of ``totals`` with the columns above.

    Raises
    ------
    TableError
        A required column is missing or a unit appears twice in one period.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": [2024, 2024, 2024, 2025, 2025, 2025],
    ...                   "unit_id": list("ABCABC"), "category": "c",
    ...                   "total": [9, 8, 8, 7, 9, 8], "rank": [1, 2, 2, 3, 1, 2]})
    >>> tr = trends(t)
    >>> tr["rank_from_bottom"].tolist()   # A 2024, A 2025, B 2024, ...; B, C tie last in 2024
    [3.0, 1.0, 1.0, 3.0, 1.0, 2.0]
    >>> tr["rank_change"].tolist()
    [nan, -2.0, nan, 1.0, nan, 0.0]
    """
    need = ["period", "unit_id", "category", "rank"]
    missing = [c for c in need if c not in totals.columns]
    if missing:
        raise TableError(f"missing column(s) {missing}; expected at least {need}", name)
    dup = totals.duplicated(["period", "unit_id"]).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        r = totals.iloc[i]
        raise TableError(f"unit {r['unit_id']} appears more than once in period {r['period']}; "
                         "expected one row per unit and period", f"{name}, row {i + 1}")
    pos, _ = period_positions(totals["period"])
    df = totals.assign(pos=pos)
    rank = pd.to_numeric(df["rank"], errors="coerce")
    grp = [df["pos"], df["category"]]
    if "n_in_category" not in df.columns:
        df["n_in_category"] = rank.groupby(grp).transform("size")
    df["rank_from_bottom"] = rank.groupby(grp).rank(method="min", ascending=False)
    df["rank_pct"] = rank / df["n_in_category"]
    df = df.sort_values(["unit_id", "pos"], kind="stable").reset_index(drop=True)
    same = (df["unit_id"] == df["unit_id"].shift()) & (df["pos"] == df["pos"].shift() + 1)
    changed = same & (df["category"] != df["category"].shift())
    comparable = same & ~changed
    df["rank_change"] = (df["rank"].shift() - df["rank"]).where(comparable)
    if "total" in df.columns:
        df["total_change"] = (df["total"] - df["total"].shift()).where(same)
    else:
        df["total_change"] = np.nan
    df["category_changed"] = changed.to_numpy()
    df["first_period"] = (df["unit_id"] != df["unit_id"].shift()).to_numpy()
    df["_continues"] = same.to_numpy()
    return df
