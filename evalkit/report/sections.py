"""Optional report sections from other capabilities (survey, peer, tasks, history, uncertainty).

Each capability keeps its ``report_section(results, unit_id, lang)``; this module imports
each one explicitly and registers one entry per section in :data:`SECTIONS` (a
:class:`~evalkit.core.registry.Registry`, listed by ``evalkit methods``), in report order. An
entry decides whether its section applies to the Results — the source's detail tables
(``<source>_<name>``, :func:`evalkit.results.schema.detail_tables`) are present; for history,
more than one period; for uncertainty, the ``uncertainty`` table or the weights' provenance —
and wraps the capability's output in a titled section. That output is HTML: an object with
``_repr_html_`` (e.g. a :class:`~evalkit.core.figures.TableFigure`), a string of HTML, or None
to skip. A capability that fails to import fails loudly, at import, here.

Two entries present their capability's figures in the report's own words: ``peer`` states the
peer score and its scheme in a sentence (the scheme named in words, e.g. 截尾平均, not by its id)
above the table of the ratings received by rater group; ``uncertainty`` shows the unit's rank
interval (:func:`evalkit.analysis.uncertainty.unit_rank_interval`), the weights' provenance
being described in words in the methods appendix (:func:`evalkit.report.tables.methods_appendix`).
Charts get a legend when they lack one (:func:`evalkit.core.figures.ensure_legend`).

Examples
--------
>>> from evalkit.report.sections import SECTIONS
>>> list(SECTIONS)
['survey', 'peer', 'tasks', 'history', 'uncertainty']
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import pandas as pd

from evalkit.analysis.history import report_section as history_section
from evalkit.analysis.uncertainty import unit_rank_interval
from evalkit.core.figures import HTMLBlock, TableFigure, fmt, section
from evalkit.core.labels import t
from evalkit.core.registry import Registry
from evalkit.report.data import UnitView, in_period
from evalkit.results.schema import detail_tables
from evalkit.sources.peer import report_section as peer_section
from evalkit.sources.survey import report_section as survey_section
from evalkit.sources.tasks.ledger import report_section as tasks_section

#: Report sections, in report order: key -> ``f(view) -> HTML or None``.
SECTIONS = Registry("report section")

Capability = Callable[[Any, str, str], Any]


def render(capability: Capability, label: str, view: UnitView) -> str | None:
    """``capability(results, unit_id, lang)`` as a section titled ``t(label)``; None if none."""
    out: Any = capability(view.res, view.unit_id, view.lang)
    if out is None:
        return None
    body = out._repr_html_() if hasattr(out, "_repr_html_") else str(out)
    return section(t(label, view.lang), body)


def has_details(view: UnitView, source: str) -> bool:
    """True when the Results hold detail tables of ``source`` (``<source>_<name>``)."""
    return bool(detail_tables(view.res.tables, source))


def name_series(figure: Any, point: str, interval: str) -> None:
    """Name the unlabelled markers (``point``) and interval lines (``interval``) of a chart of
    estimates with intervals, so that its legend says what they are."""
    for ax in getattr(figure, "axes", []):
        for coll in ax.collections:
            if not coll.get_label() or coll.get_label().startswith("_"):
                kind = type(coll).__name__
                coll.set_label(interval if kind == "LineCollection" else
                               point if kind == "PathCollection" else coll.get_label())


@SECTIONS.register("survey")
def _survey(view: UnitView) -> str | None:
    """Satisfaction survey (``evalkit.sources.survey.report_section``; tables ``survey_*``);
    the chart's rates and intervals named in its legend."""
    if not has_details(view, "survey"):
        return None
    out = survey_section(view.res, view.unit_id, view.lang)
    if out is None:
        return None
    if isinstance(out, TableFigure) and out.figure is not None:
        name_series(out.figure, t("lg_rate", view.lang), t("lg_interval", view.lang))
    body = out._repr_html_() if hasattr(out, "_repr_html_") else str(out)
    return section(t("survey_section", view.lang), body)


def scheme_words(view: UnitView, scheme: str) -> str:
    """The peer-rating scheme in words, with the spec's parameters (``sources.peer.params``)."""
    spec = view.res.spec if isinstance(view.res.spec, dict) else {}
    params = {"k": 1, **(((spec.get("sources") or {}).get("peer") or {}).get("params") or {})}
    key = f"ps_{scheme}"
    try:
        return t(key, view.lang, **params) if key in _LABELLED else scheme
    except (KeyError, IndexError):
        return scheme


_LABELLED = {"ps_mean", "ps_median", "ps_trimmed_mean", "ps_winsorized_mean", "ps_zscore",
             "ps_group_weighted", "ps_borda", "ps_additive", "ps_pg1", "ps_vancouver",
             "ps_peerrank", "ps_bradley_terry"}


@SECTIONS.register("peer")
def _peer(view: UnitView) -> str | None:
    """Peer rating (``evalkit.sources.peer.report_section``; tables ``peer_*``): the score and
    its scheme in a sentence, the ratings received by rater group, the box plot."""
    if not has_details(view, "peer"):
        return None
    out = peer_section(view.res, view.unit_id, view.lang)
    units = view.res.tables.get("peer_units")
    if out is None or units is None:
        return None
    me = in_period(units, view.period)
    me = me.loc[me["unit_id"].astype(str) == view.unit_id]
    if me.empty:
        return render(peer_section, "peer_section", view)
    r = me.iloc[0]
    line = t("peer_line", view.lang, score=fmt(r["score"]), n=fmt(r["n_raters"]),
             scheme=scheme_words(view, str(r["scheme"])))
    drop = [c for c in (t("peer_scheme", view.lang), t("peer_score", view.lang))
            if c in out.table.columns]
    body = TableFigure(out.table.drop(columns=drop), out.figure)._repr_html_()
    return section(t("peer_section", view.lang), f"<p>{escape(line)}</p>", body)


@SECTIONS.register("tasks")
def _tasks(view: UnitView) -> str | None:
    """Task ledger (``evalkit.sources.tasks.ledger.report_section``; tables ``tasks_*``)."""
    return render(tasks_section, "tasks_section", view) if has_details(view, "tasks") \
        else None


@SECTIONS.register("history")
def _history(view: UnitView) -> str | None:
    """Multi-period rules and trends (``evalkit.analysis.history.report_section``; ≥ 2 periods)."""
    return render(history_section, "history_section", view) if len(view.res.periods) > 1 \
        else None


@SECTIONS.register("uncertainty")
def _uncertainty(view: UnitView) -> str | None:
    """Rank robustness (``evalkit.analysis.uncertainty.unit_rank_interval``; table
    ``uncertainty``): the unit's rank and its simultaneous rank set ("rank 3, plausibly
    2–6": all units' sets hold together), or the range of 90 % of its simulated ranks for
    Results saved without the sets."""
    table = view.res.tables.get("uncertainty")
    if table is None or table.empty:
        return None
    mine = table.loc[table["unit_id"].astype(str) == view.unit_id]
    if mine.empty:
        return None
    period = mine["period"].iloc[-1] if "period" in mine.columns else None
    info = unit_rank_interval(table, view.unit_id, period=period)
    text = info.get("text_zh" if view.lang == "zh" else "text_en") or ""
    if not text:
        return None
    extra = ""
    if pd.notna(info.get("p_grade_change", float("nan"))):
        p = f"{fmt(100 * float(info['p_grade_change']), 0)}%"
        extra = f' <span class="ek-note">{escape(t("unc_grade_change", view.lang, p=p))}</span>'
    return section(t("unc_title", view.lang), f"<p>{escape(text)}{extra}</p>")


def extra_sections(view: UnitView) -> HTMLBlock:
    """All optional sections that apply to this report, concatenated (may be empty)."""
    parts = [SECTIONS[k](view) for k in SECTIONS]
    return HTMLBlock("".join(p for p in parts if p))
