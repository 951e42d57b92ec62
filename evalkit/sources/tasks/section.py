"""The task ledger's section of a unit report: yearly tallies, escalations, key projects, chart.

Reads the Results tables the ``tasks`` source writes (``tasks_yearly``, ``tasks_monthly``,
``tasks_progress``); every fixed string comes from :data:`evalkit.core.labels.LABELS`
(keys ``tasks_*``), so the section reads in Chinese or English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from evalkit.core.figures import html_table, setup_matplotlib, to_svg
from evalkit.core.labels import label_or, t
from evalkit.sources.tasks.config import TASKS_DEFAULTS

#: Row class of a project's status in the report table (the report stylesheet's colours).
STATUS_CLASS = {"green": "ek-good", "yellow": "ek-fair", "red": "ek-poor"}
#: Bars of the monthly chart, bottom to top: column of ``tasks_monthly`` and colour.
CHART_BARS = (("closed_on_time", "#009E73"), ("closed_late", "#E69F00"), ("open", "#D55E00"))


def _percent(x: Any) -> str:
    """``0.8387 -> '83.9%'`` ("–" when missing)."""
    return "–" if x is None or pd.isna(x) else f"{100 * float(x):.1f}%"


class TasksSection(NamedTuple):
    """A unit's task-ledger section: yearly tallies, escalations, key projects and a chart.

    Renders (``_repr_html_``) as escaped HTML tables and an inline SVG chart; project rows are
    coloured by their traffic light.
    """

    table: pd.DataFrame
    escalations: pd.DataFrame
    projects: pd.DataFrame
    figure: Any
    project_status: tuple[str, ...] = ()

    def _repr_html_(self) -> str:
        parts = [str(html_table(self.table)), str(html_table(self.escalations))]
        if len(self.projects):
            parts.append(str(html_table(self.projects, [STATUS_CLASS.get(s, "")
                                                        for s in self.project_status], 1)))
        if self.figure is not None:
            parts.append(to_svg(self.figure, tight=False)._repr_html_())
        return "".join(parts)


def _unit_rows(tabs: Mapping[str, pd.DataFrame], name: str, unit_id: str, period: Any
               ) -> pd.DataFrame:
    """Rows of table ``name`` for one unit and period (empty if the table is absent)."""
    df = tabs.get(name)
    if df is None or df.empty:
        return pd.DataFrame()
    return df[(df["unit_id"].astype(str) == str(unit_id))
              & (df["period"].astype(str) == str(period))]


def latest_progress(progress: pd.DataFrame) -> pd.DataFrame:
    """The last reported month of each project (rows of ``tasks_progress``), most behind first.

    Parameters
    ----------
    progress : DataFrame
        Rows of ``tasks_progress`` (project_id, month, lag, …).

    Returns
    -------
    DataFrame
        One row per project, sorted by lag (largest first), then project id.

    Examples
    --------
    >>> p = pd.DataFrame({"project_id": ["A", "A", "B"], "month": [1, 2, 1],
    ...                   "lag": [1.0, 4.0, 20.0]})
    >>> latest_progress(p)[["project_id", "month"]].to_numpy().tolist()
    [['B', 1], ['A', 2]]
    """
    if progress.empty:
        return progress
    last = progress.sort_values(["project_id", "month"], kind="stable") \
        .drop_duplicates("project_id", keep="last")
    return last.sort_values(["lag", "project_id"], ascending=[False, True], kind="stable") \
        .reset_index(drop=True)


def monthly_chart(monthly: pd.DataFrame, lang: str = "zh") -> Any:
    """Stacked bars per due month: tasks closed on time, closed late, still open.

    Parameters
    ----------
    monthly : DataFrame
        A unit's rows of ``tasks_monthly`` (cohorts by due month, so the three parts add up
        to the tasks planned for that month).
    lang : {'zh', 'en'}

    Returns
    -------
    matplotlib.figure.Figure
        A figure without pyplot state.
    """
    from matplotlib.figure import Figure

    setup_matplotlib()
    m = monthly.sort_values("month")
    x = m["month"].to_numpy(dtype=int)
    fig = Figure(figsize=(6.4, 2.6))
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.2, top=0.8)
    ax = fig.subplots()
    bottom = np.zeros(len(m))
    for col, colour in CHART_BARS:
        v = m[col].to_numpy(dtype=float)
        ax.bar(x, v, bottom=bottom, color=colour, width=0.7, label=t(f"tasks_{col}", lang))
        bottom += v
    ax.set_xticks(x)
    ax.set_xlabel(t("tasks_month", lang))
    ax.set_ylabel(t("tasks_count", lang))
    ax.set_title(t("tasks_monthly", lang), fontsize=10, loc="left", pad=22)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, frameon=False, fontsize=8)
    return fig


def _yearly_table(y: pd.Series, period: Any, scale: float, lang: str) -> pd.DataFrame:
    """The unit's yearly row: tallies, closure rate, highlights, task points and score."""
    return pd.DataFrame({
        t("period", lang): [str(period)],
        **{t(f"tasks_{c}", lang): [y.get(c)] for c in ("planned", "closed_on_time",
                                                       "closed_late", "open")},
        t("tasks_closure_rate", lang): [_percent(y.get("closure_rate"))],
        t("tasks_highlights", lang): [y.get("highlights")],
        t("tasks_points", lang, scale=f"{float(scale):g}"): [y.get("task_points")],
        t("tasks_score", lang): [y.get("score")],
    }, dtype=object)


def _escalation_table(y: pd.Series, levels: list[Mapping[str, Any]], lang: str
                      ) -> pd.DataFrame:
    """Per escalation level: its threshold, the tasks that reached it, its penalty."""
    return pd.DataFrame({
        t("tasks_level", lang): [label_or(f"tasks_level_{lvl['id']}", lang, str(lvl["id"]))
                                 for lvl in levels],
        t("tasks_months_overdue", lang): [int(lvl["months"]) for lvl in levels],
        t("tasks_count", lang): [y.get(f"n_{lvl['id']}") for lvl in levels],
        t("tasks_penalty", lang): [float(lvl["points"]) for lvl in levels],
    }, dtype=object)


def _project_table(last: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The last reported month of each key project with its traffic light."""
    def col(c: str) -> Any:
        return last.get(c, pd.Series(dtype=object))

    name = (last["project_name"].astype("string").fillna(last["project_id"].astype(str))
            if "project_name" in last.columns else last.get("project_id", pd.Series()))
    return pd.DataFrame({
        t("tasks_project_id", lang): col("project_id"),
        t("tasks_project", lang): name,
        t("tasks_month", lang): col("month"),
        t("tasks_planned_pct", lang): col("planned_pct"),
        t("tasks_actual_pct", lang): col("actual_pct"),
        t("tasks_lag", lang): col("lag"),
        t("status", lang): [label_or(f"tasks_light_{s}", lang, str(s))
                            for s in last.get("status", [])],
    }, dtype=object)


def _section_period(results: Any, tabs: Mapping[str, pd.DataFrame]) -> Any:
    """``results.current_period``, else the last period of ``tasks_yearly`` (or None)."""
    period = getattr(results, "current_period", None)
    if period is None and "tasks_yearly" in tabs:
        period = tabs["tasks_yearly"]["period"].astype(str).max()
    return period


def report_section(results: Any, unit_id: str, lang: str = "zh", period: Any = None
                   ) -> TasksSection | None:
    """The task-ledger (预安销号) section of a unit report.

    Parameters
    ----------
    results : Results or mapping of tables
        Reads ``tasks_yearly`` (the unit's tallies and task score), ``tasks_monthly`` (the
        chart) and ``tasks_progress`` (key projects), and ``spec.sources.tasks`` for the
        escalation levels and the scale (defaults:
        :data:`~evalkit.sources.tasks.config.TASKS_DEFAULTS`).
    unit_id : str
    lang : {'zh', 'en'}
    period : optional
        Default ``results.current_period`` (else the last period of ``tasks_yearly``).

    Returns
    -------
    TasksSection or None
        ``table``: the yearly row (planned, closed on time / late, open, closure rate
        ``= closed / planned``, highlights, task points of ``scale``, score 0–100);
        ``escalations``: per level, its threshold in months overdue, the number of tasks that
        reached it (``n_<level>``) and its penalty; ``projects``: the last reported month
        of each key project (planned %, actual %, lag ``= planned − actual`` in percentage
        points, red / yellow / green light), most behind first; ``figure``: monthly closure.
        None when the unit has no ledger or project rows in the period.

    Examples
    --------
    >>> from evalkit.sources.tasks.ledger import summarise_ledger
    >>> tabs = {"tasks_yearly": summarise_ledger(pd.DataFrame({
    ...     "period": 2025, "unit_id": "T01", "task_id": ["a", "b"], "planned_month": 3,
    ...     "due_month": 3, "closed_month": [3, 5]})).yearly}
    >>> sec = report_section(tabs, "T01", "en", period=2025)
    >>> int(sec.table.loc[0, "Planned"]), sec.table.loc[0, "Closure rate"]
    (2, '100.0%')
    >>> report_section(tabs, "X99", "en", period=2025) is None
    True
    """
    tabs: Mapping[str, pd.DataFrame] = getattr(results, "tables", results)
    period = _section_period(results, tabs) if period is None else period
    yearly = _unit_rows(tabs, "tasks_yearly", unit_id, period)
    progress = _unit_rows(tabs, "tasks_progress", unit_id, period)
    if yearly.empty and progress.empty:
        return None
    spec = getattr(results, "spec", None) or {}
    cfg = ((spec.get("sources") or {}).get("tasks") or {}) if isinstance(spec, Mapping) else {}
    y = yearly.iloc[0] if len(yearly) else pd.Series(dtype=object)
    last = latest_progress(progress)
    monthly = _unit_rows(tabs, "tasks_monthly", unit_id, period)
    return TasksSection(
        _yearly_table(y, period, cfg.get("scale", TASKS_DEFAULTS["scale"]), lang),
        _escalation_table(y, cfg.get("escalation") or TASKS_DEFAULTS["escalation"], lang),
        _project_table(last, lang),
        monthly_chart(monthly, lang) if len(monthly) else None,
        tuple(str(s) for s in last.get("status", [])))
