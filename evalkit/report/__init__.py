"""Per-unit evaluation reports in batch, from parameterized notebooks.

The notebooks ``unit_report.ipynb`` and ``overview.ipynb`` (shipped in the package as
``evalkit/notebooks``, the repository's ``notebooks/`` folder) hold no logic: each cell calls
one helper from here. :func:`evalkit.report.runner.run_reports` executes them for every unit
in warm kernels (local worker processes, or a Dask cluster), writes self-contained HTML
without code cells (CSS inlined, readable on a phone, print rules) and an ``index.html``;
:mod:`~evalkit.report.pdf` prints them to PDF (one per unit, a booklet per category) and
:func:`~evalkit.report.overview.write_publication` writes the 公示 workbook; ``evalkit report``
is the command line. A unit report can be checked line by line: every indicator row shows
the factors of its contribution, statuses state their thresholds, missing values say how they
were scored, methods are described in words, and every string is in the report's language.

Modules, bottom to top (each imports only those before it): :mod:`~evalkit.report.paths`,
:mod:`~evalkit.report.data`, :mod:`~evalkit.report.names`, :mod:`~evalkit.report.tables`,
:mod:`~evalkit.report.plots`, :mod:`~evalkit.report.sections`, :mod:`~evalkit.report.html`,
:mod:`~evalkit.report.overview`, :mod:`~evalkit.report.pdf`, :mod:`~evalkit.report.kernel`,
:mod:`~evalkit.report.jobs`, :mod:`~evalkit.report.executors`, :mod:`~evalkit.report.runner`.
This package imports the helpers the notebooks call, not the batch runner.

Examples
--------
>>> import evalkit.report as rp                                   # doctest: +SKIP
>>> view = rp.unit_view("results/demo", "T001", "zh")             # doctest: +SKIP
>>> rp.header(view); rp.perspectives(view)                        # doctest: +SKIP
"""

from __future__ import annotations

from evalkit.core.figures import HTMLBlock, section
from evalkit.report.data import UnitView, load_results, project_path, unit_view
from evalkit.report.html import navigation
from evalkit.report.overview import history_flagged, overview_header, ranking
from evalkit.report.plots import (
    bar_markers,
    grade_counts,
    overview_charts,
    perspective_chart,
    perspectives,
    totals_by_category,
)
from evalkit.report.sections import extra_sections
from evalkit.report.tables import (
    change_table,
    header,
    indicator_table,
    methods_appendix,
    points_table,
    sources_table,
)

__all__ = [
    "HTMLBlock", "UnitView", "change_table", "extra_sections", "grade_counts", "header",
    "history_flagged", "indicator_table", "load_results", "methods_appendix", "navigation",
    "overview_charts", "overview_header", "perspective_chart", "perspectives", "points_table",
    "project_path", "ranking", "section", "sources_table", "totals_by_category", "unit_view",
    "warm_up",
]


def warm_up() -> None:
    """Exercise what a report needs, once per kernel (fonts, the SVG backend)."""
    bar_markers(["预热"], [1.0], {"m": [1.0]}, "x")
