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

Examples
--------
>>> from evalkit.report.sections import SECTIONS
>>> list(SECTIONS)
['survey', 'peer', 'tasks', 'history', 'uncertainty']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evalkit.analysis.history import report_section as history_section
from evalkit.analysis.uncertainty import report_section as uncertainty_section
from evalkit.core.figures import HTMLBlock, section
from evalkit.core.labels import t
from evalkit.core.registry import Registry
from evalkit.report.data import UnitView
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


@SECTIONS.register("survey")
def _survey(view: UnitView) -> str | None:
    """Satisfaction survey (``evalkit.sources.survey.report_section``; tables ``survey_*``)."""
    return render(survey_section, "survey_section", view) if has_details(view, "survey") \
        else None


@SECTIONS.register("peer")
def _peer(view: UnitView) -> str | None:
    """Peer rating (``evalkit.sources.peer.report_section``; tables ``peer_*``)."""
    return render(peer_section, "peer_section", view) if has_details(view, "peer") else None


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
    """Rank interval and weights' provenance (``evalkit.analysis.uncertainty.report_section``;
    table ``uncertainty`` or ``provenance['weights']``)."""
    applies = "uncertainty" in view.res.tables or (view.res.provenance or {}).get("weights")
    return render(uncertainty_section, "uncertainty_section", view) if applies else None


def extra_sections(view: UnitView) -> HTMLBlock:
    """All optional sections that apply to this report, concatenated (may be empty)."""
    parts = [SECTIONS[k](view) for k in SECTIONS]
    return HTMLBlock("".join(p for p in parts if p))
