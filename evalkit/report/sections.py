"""Optional report sections from other capabilities (survey, peer, tasks, history, uncertainty).

A section appears only when its module is importable, defines
``report_section(results, unit_id, lang)`` and the Results hold its tables (a table named
``<source>_...``, e.g. ``survey_rates``; for history, more than one period). Its return value
is HTML: an object with ``_repr_html_`` (e.g. an escaped DataFrame or an
:class:`~evalkit.report.tables.HTMLBlock`), a string of HTML, or None to skip. The sections
are a :class:`~evalkit.core.registry.Registry` so that a capability can also register its own.

Examples
--------
>>> from evalkit.report.sections import SECTIONS
>>> sorted(SECTIONS)
['history', 'peer', 'survey', 'tasks', 'uncertainty']
"""

from __future__ import annotations

import importlib
from typing import Any

from evalkit.core.labels import t
from evalkit.core.registry import Registry
from evalkit.report.data import UnitView
from evalkit.report.tables import HTMLBlock, section

SECTIONS = Registry("report section")


def _module_section(module: str, prefix: str | None, label: str, view: UnitView) -> str | None:
    """Call ``<module>.report_section`` when the Results have a table named ``<prefix>...``
    (``prefix=None``: always) and the module is importable; wrap its HTML in a section."""
    if prefix is not None and not any(n.startswith(prefix) for n in view.res.tables):
        return None
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    fn = getattr(mod, "report_section", None)
    if fn is None:
        return None
    out: Any = fn(view.res, view.unit_id, view.lang)
    if out is None:
        return None
    body = out._repr_html_() if hasattr(out, "_repr_html_") else str(out)
    return section(t(label, view.lang), body)


@SECTIONS.register("survey")
def _survey(view: UnitView) -> str | None:
    """Satisfaction survey (``evalkit.sources.survey.report_section``; tables ``survey_*``)."""
    return _module_section("evalkit.sources.survey", "survey_", "survey_section", view)


@SECTIONS.register("peer")
def _peer(view: UnitView) -> str | None:
    """Peer rating (``evalkit.sources.peer.report_section``; tables ``peer_*``)."""
    return _module_section("evalkit.sources.peer", "peer_", "peer_section", view)


@SECTIONS.register("tasks")
def _tasks(view: UnitView) -> str | None:
    """Task ledger (``evalkit.sources.tasks.ledger.report_section``; tables ``tasks_*``)."""
    return _module_section("evalkit.sources.tasks.ledger", "tasks_", "tasks_section", view)


@SECTIONS.register("history")
def _history(view: UnitView) -> str | None:
    """Multi-period rules and trends (``evalkit.analysis.history.report_section``; ≥ 2 periods)."""
    if view.res.tables["totals"]["period"].nunique() < 2:
        return None
    return _module_section("evalkit.analysis.history", None, "history_section", view)


@SECTIONS.register("uncertainty")
def _uncertainty(view: UnitView) -> str | None:
    """Rank interval and weights' provenance (``evalkit.analysis.uncertainty.report_section``; table
    ``uncertainty`` or ``provenance['weights']``)."""
    if "uncertainty" not in view.res.tables and not (view.res.provenance or {}).get("weights"):
        return None
    return _module_section("evalkit.analysis.uncertainty", None, "uncertainty_section", view)


def extra_sections(view: UnitView) -> HTMLBlock:
    """All optional sections that apply to this report, concatenated (may be empty)."""
    parts = [SECTIONS[k](view) for k in SECTIONS]
    return HTMLBlock("".join(p for p in parts if p))
