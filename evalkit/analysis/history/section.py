"""The history section of a unit report: total and rank per period, rule flags, a chart.

Every fixed string comes from :data:`evalkit.core.labels.LABELS` (keys ``period``,
``category``, ``total``, ``grade`` and ``history_*``); the names of categories and grades come
from the Results' metadata tables, the names of rules from the spec (:func:`rule_label`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analysis.history.flags import unit_trend
from evalkit.analysis.history.rules import HistoryRule, parse_rules, rule_label
from evalkit.core.figures import TableFigure, setup_matplotlib
from evalkit.core.labels import t

HistorySection = TableFigure  # the shared (table, figure) report section


def plot_unit_trend(trend: pd.DataFrame, ax: Any = None, lang: str = "zh") -> Any:
    """Line chart of a unit's total (left axis) and rank (right axis, 1 at the top).

    Parameters
    ----------
    trend : DataFrame
        :func:`~evalkit.analysis.history.flags.unit_trend`'s output; periods where a history
        rule fired (non-empty ``history``) are marked with a red triangle.
    ax : matplotlib Axes, optional
        Where to draw (default: a new pyplot figure of 5 × 2.6 inches).
    lang : {'zh', 'en'}

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    setup_matplotlib()
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 2.6))
    else:
        fig = ax.figure
    x = trend["period"].astype(str).to_numpy()
    if "total" in trend:
        ax.plot(x, trend["total"], marker="o", color="#1f77b4", label=t("total", lang))
        ax.set_ylabel(t("total", lang))
    ax2 = ax.twinx()
    ax2.plot(x, trend["rank"], marker="s", ls="--", color="#ff7f0e",
             label=t("history_rank_axis", lang))
    ax2.set_ylabel(t("history_rank_axis", lang))
    top = float(np.nanmax(trend.get("n_in_category", trend["rank"])))
    ax2.set_ylim(top + 0.5, 0.5)
    if "history" in trend:
        hit = trend["history"].to_numpy() != ""
        ax2.scatter(x[hit], trend["rank"].to_numpy()[hit], marker="^", s=80, color="#d62728",
                    zorder=3)
    ax.set_xlabel(t("period", lang))
    fig.tight_layout()
    return fig


def rank_change_text(x: Any) -> str:
    """``3 -> '↑3'`` (moved up), ``-2 -> '↓2'``, ``0 -> '0'``, NaN -> "–"."""
    if x is None or pd.isna(x):
        return "–"
    v = int(x)
    return f"↑{v}" if v > 0 else f"↓{-v}" if v < 0 else "0"


def _meta_names(results: Any, meta: str, key: str, lang: str) -> dict[str, str]:
    """Names of the ids in a Results metadata table (``name_en`` in English, else ``name``)."""
    df = results.tables.get(meta)
    if df is None or df.empty or "name" not in df.columns:
        return {}
    name = df["name"].astype("string")
    if lang == "en" and "name_en" in df.columns:
        en = df["name_en"].astype("string")
        name = en.where(en.notna() & (en != ""), name)
    return dict(zip(df[key].astype(str), name.fillna(df[key].astype(str)).astype(str),
                    strict=True))


def _category_column(results: Any, trend: pd.DataFrame, lang: str) -> pd.Series:
    """Category names per period, marked where the unit changed category."""
    cat_names = _meta_names(results, "meta_categories", "category", lang)
    category = trend["category"].astype(str).map(lambda c: cat_names.get(c, c))
    if "category_changed" in trend:
        category = category + np.where(trend["category_changed"].to_numpy(dtype=bool),
                                       t("history_category_changed", lang), "")
    return category


def _rank_column(trend: pd.DataFrame) -> list[str]:
    """``rank / n`` in the category (the rank alone without ``n_in_category``; "–" if none)."""
    n = trend["n_in_category"] if "n_in_category" in trend else pd.Series(pd.NA,
                                                                          index=trend.index)
    return [f"{int(r)} / {int(k)}" if pd.notna(k) else str(int(r)) if pd.notna(r) else "–"
            for r, k in zip(trend["rank"], n, strict=True)]


def _rules_column(trend: pd.DataFrame, rules: list[HistoryRule], lang: str) -> pd.Series:
    """The names of the rules that fire in each period, in the report's language."""
    shown = {r.label: rule_label(r, lang) for r in rules}
    sep = t("history_rules_sep", lang)
    history = trend["history"] if "history" in trend else pd.Series("", index=trend.index)
    return history.map(lambda s: sep.join(shown.get(x, x) for x in str(s).split(";") if x))


def _grade_column(results: Any, trend: pd.DataFrame, lang: str) -> pd.Series:
    """Grade names per period (empty where the unit has no grade)."""
    grade_names = _meta_names(results, "meta_grades", "grade", lang)
    grade = (trend["grade"].astype(str).map(lambda g: grade_names.get(g, g))
             if "grade" in trend else pd.Series("", index=trend.index))
    return grade.fillna("").astype(str)


def report_section(results: Any, unit_id: str, lang: str = "zh") -> HistorySection | None:
    """The history section of a unit report: total and rank per period, with rule flags.

    Parameters
    ----------
    results : Results (or anything with ``tables['totals']`` and an optional ``spec``)
        ``totals`` of every period; the rules are ``spec['history']`` (none: no flags).
    unit_id : str
    lang : {'zh', 'en'}

    Returns
    -------
    HistorySection or None
        ``table``: one row per period (time order) from
        :func:`~evalkit.analysis.history.flags.unit_trend`: period, category (names from
        ``meta_categories``), total, change in total, rank as ``rank / n`` in the category,
        rank change (``↑k``: moved up ``k`` places = previous rank − rank; "–" in a first
        period, after a gap or a change of category), grade, and the labels of the history
        rules that fire in the period (the rule's ``label`` in Chinese, its ``flag`` in
        English); ``figure``: :func:`plot_unit_trend`. None when the unit is in no period.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> tot = pd.DataFrame({"period": [2024, 2024, 2025, 2025], "unit_id": ["A", "B"] * 2,
    ...                     "category": "c", "total": [90.0, 80.0, 85.0, 70.0],
    ...                     "rank": [1, 2] * 2})
    >>> res = SimpleNamespace(tables={"totals": tot}, spec={"history": {"rules": [
    ...     {"id": "last_twice", "when": "rank_from_bottom <= 1", "periods": 2,
    ...      "flag": "last_two_periods", "label": "连续两年排名最后一位"}]}})
    >>> report_section(res, "B", "en").table.iloc[:, -1].tolist()
    ['', 'last two periods']
    >>> report_section(res, "Z") is None
    True
    """
    totals = results.tables["totals"]
    if not (totals["unit_id"].astype(str) == str(unit_id)).any():
        return None
    spec = getattr(results, "spec", None) or {}
    rules = parse_rules(spec.get("history") if isinstance(spec, Mapping) else None)
    trend = unit_trend(totals, unit_id, rules or None)
    missing = pd.Series(np.nan, index=trend.index)
    table = pd.DataFrame({
        t("period", lang): trend["period"].astype(str),
        t("category", lang): _category_column(results, trend, lang),
        t("total", lang): trend.get("total", missing),
        t("history_total_change", lang): trend.get("total_change", missing),
        t("history_rank", lang): _rank_column(trend),
        t("history_rank_change", lang): trend["rank_change"].map(rank_change_text),
        t("grade", lang): _grade_column(results, trend, lang),
        t("history_rules", lang): _rules_column(trend, rules, lang),
    }, dtype=object)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0, 2.6))
    plot_unit_trend(trend, ax=fig.subplots(), lang=lang)
    return HistorySection(table, fig)
