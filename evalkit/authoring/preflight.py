"""The pre-flight summary: what an evaluation would publish, seen before it is published.

``evalkit validate`` prints it after its checks and ``evalkit run`` at the top of its output:
per category, the units and indicators, the weight table (each indicator's share of the
office score, as points out of 100, the way offices write 分值), and on the last period the
distribution of totals against the grade thresholds. A scheme set wrong shows itself here —
min-max scoring (the category's worst unit scores 0 on every indicator) read against
absolute grade thresholds puts most units in the lowest grade — so a warning says so:
``乡镇: 14 of 20 units would be 不合格 — check min_score or the scoring method``.

Examples
--------
>>> import pandas as pd
>>> totals = pd.DataFrame({"period": "2025", "unit_id": list("abcd"), "category": "t",
...                        "total": [40.0, 50.0, 70.0, 95.0],
...                        "grade_name": ["不合格", "不合格", "合格", "优秀"]})
>>> w = grade_warnings(totals, {"t": "乡镇"}, "不合格", 60.0)
>>> print(w[0])  # doctest: +NORMALIZE_WHITESPACE
乡镇: 2 of 4 units would be 不合格 (total below 60; totals 40–95) — check min_score or the
scoring method
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from evalkit.results import Results

#: Share of a category's units in the lowest grade above which the summary warns.
LOWEST_GRADE_SHARE = 0.2
#: Scoring methods that give the category's worst unit the bottom of the scale.
RELATIVE_METHODS = ("minmax", "zscore", "rank", "percentile", "target_distance")


@dataclass
class Preflight:
    """The summary's parts: ``lines`` to print and ``warnings`` (also in ``lines``)."""

    period: str
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The summary as printed."""
        return "\n".join(self.lines)


def _names(res: Results, table: str, key: str) -> dict[str, str]:
    df = res.tables.get(table)
    if df is None or df.empty:
        return {}
    return {str(k): (f"{n} ({k})" if str(n) != str(k) else str(k))
            for k, n in zip(df[key], df["name"], strict=True)}


def weight_table(res: Results, period: str) -> pd.DataFrame:
    """Per category × indicator of ``period``: the indicator's share of the office score as
    points out of 100 (its global weight × 100; the median over the category's units when
    missing values moved some weight), and the number of units scored on it."""
    ind = res.tables["indicators"]
    tot = res.tables["totals"]
    ind = ind[ind["period"] == period].merge(
        tot.loc[tot["period"] == period, ["unit_id", "category"]], on="unit_id")
    out = ind.groupby(["category", "indicator_id"], sort=False).agg(
        points=("weight", "median"), units=("unit_id", "size")).reset_index()
    out["points"] = 100 * out["points"]
    return out


def grade_warnings(totals: pd.DataFrame, cat_names: Mapping[str, str], lowest: str,
                   threshold: float | None, share: float = LOWEST_GRADE_SHARE) -> list[str]:
    """A warning per category where more than ``share`` of the units get the ``lowest``
    grade (its name), with the ``threshold`` they miss and the range of totals."""
    out = []
    for cat, g in totals.groupby("category", sort=False):
        n_low = int((g["grade_name"] == lowest).sum())
        if len(g) and n_low / len(g) > share:
            below = f"total below {threshold:g}; " if threshold is not None else ""
            out.append(f"{cat_names.get(str(cat), cat)}: {n_low} of {len(g)} units would be "
                       f"{lowest} ({below}totals {g['total'].min():.4g}–{g['total'].max():.4g})"
                       " — check min_score or the scoring method")
    return out


def _category_lines(res: Results, period: str) -> list[str]:
    cats = _names(res, "meta_categories", "category")
    inames = _names(res, "meta_indicators", "indicator_id")
    tot = res.tables["totals"]
    tot = tot[tot["period"] == period]
    wt = weight_table(res, period)
    lines = []
    for cat, g in tot.groupby("category", sort=False):
        w = wt[wt["category"] == cat]
        lines.append(f"  {cats.get(str(cat), cat)}: {len(g)} units, {len(w)} indicators; "
                     "their weights in the office score as points of 100 (分值):")
        lines += [f"    {r.points:6.2f}  {inames.get(str(r.indicator_id), r.indicator_id)}"
                  for r in w.itertuples()]
    return lines


def _grade_lines(res: Results, period: str) -> tuple[list[str], list[str]]:
    grades = res.tables.get("meta_grades")
    if grades is None or grades.empty:
        return [], []
    tot = res.tables["totals"]
    tot = tot[tot["period"] == period]
    cats = _names(res, "meta_categories", "category")
    names = [str(n) for n in grades["name"]]
    mins = [None if pd.isna(m) else float(m) for m in grades["min_score"]]
    lines = [f"  totals against the grades, period {period} ("
             + ", ".join(f"{n} ≥ {m:g}" for n, m in zip(names, mins, strict=True)
                         if m is not None) + "):"]
    for cat, g in tot.groupby("category", sort=False):
        counts = g["grade_name"].value_counts()
        lines.append(f"    {cats.get(str(cat), cat)}: "
                     + ", ".join(f"{n} {int(counts.get(n, 0))}" for n in names)
                     + f"   (totals {g['total'].min():.4g} / {g['total'].median():.4g} / "
                       f"{g['total'].max():.4g}: min / median / max)")
    warns = grade_warnings(tot, cats, names[-1], mins[-2] if len(mins) > 1 else None)
    meta = res.tables.get("meta_indicators")
    used = set() if meta is None else set(meta["method"].astype(str))
    methods = sorted(used & set(RELATIVE_METHODS))
    if warns and methods:
        warns = [w + f" ({', '.join(methods)} score a category's worst unit at the bottom of "
                 "the scale on each indicator)" for w in warns]
    return lines, warns


def preflight(res: Results) -> Preflight:
    """The pre-flight summary of the Results ``res`` on their last period."""
    period = str(res.current_period)
    pf = Preflight(period)
    pf.lines.append(f"pre-flight, period {period}:")
    pf.lines += _category_lines(res, period)
    grade_lines, pf.warnings = _grade_lines(res, period)
    pf.lines += grade_lines
    pf.lines += [f"warning: {w}" for w in pf.warnings]
    return pf
