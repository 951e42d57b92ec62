"""Per-unit evaluation reports in batch, from parameterized notebooks.

The notebooks ``notebooks/unit_report.ipynb`` and ``notebooks/overview.ipynb`` hold no logic:
each cell calls one helper from here. :func:`run_reports` executes them for every unit in
warm kernels (local worker processes, or a Dask cluster), writes HTML without code cells,
an ``index.html`` and keeps the executed notebooks; :func:`cli_main` is ``evalkit report``.

Examples
--------
>>> import evalkit.report as rp                                   # doctest: +SKIP
>>> view = rp.unit_view("results/demo", "T01", "zh")              # doctest: +SKIP
>>> rp.header(view); rp.perspective_chart(view)                   # doctest: +SKIP
"""

from __future__ import annotations

from evalkit.report.data import UnitView, load_results, unit_view
from evalkit.report.html import ranking_html, report_links
from evalkit.report.plots import grade_counts, perspective_chart, totals_by_category
from evalkit.report.sections import extra_sections
from evalkit.report.tables import (
    HTMLBlock,
    change_table,
    header,
    indicator_table,
    methods_appendix,
    points_table,
    section,
    sources_table,
)

__all__ = [
    "HTMLBlock", "UnitView", "change_table", "cli_main", "extra_sections", "grade_counts",
    "header", "history_flagged", "indicator_table", "load_results", "methods_appendix",
    "overview_header",
    "perspective_chart", "points_table", "ranking", "run_reports", "sources_table",
    "totals_by_category", "unit_view", "warm_up",
]


def warm_up() -> None:
    """Import and exercise what a report needs, once per kernel (fonts, SVG backend)."""
    from evalkit.report.plots import bar_markers

    bar_markers(["预热"], [1.0], {"m": [1.0]}, "x")


def overview_header(results_dir: str, lang: str = "zh") -> HTMLBlock:
    """Title of the overview page: evaluation name and current period."""
    from html import escape

    from evalkit.core.labels import t
    from evalkit.report.data import current_period

    res = load_results(results_dir)
    ev = (res.spec or {}).get("evaluation", {}) if isinstance(res.spec, dict) else {}
    name = ev.get("name_en" if lang == "en" else "name") or ev.get("name") or ev.get("id", "")
    return HTMLBlock(f"<header class='ek-header'><h1>{escape(t('overview_title', lang))}"
                     f"</h1><p>{escape(str(name))} · {escape(t('period', lang))} "
                     f"{escape(str(current_period(res)))}</p></header>")


def ranking(results_dir: str, lang: str = "zh", link_reports: bool = True) -> HTMLBlock:
    """The published ranking by category; unit names link to ``<unit>.html`` reports."""
    from evalkit.core.labels import t

    res = load_results(results_dir)
    links = report_links(res.tables["totals"]["unit_id"].astype(str).unique().tolist()) \
        if link_reports else None
    return section(t("ranking", lang), ranking_html(res, lang, links))


def history_flagged(results_dir: str, lang: str = "zh") -> HTMLBlock:
    """Units that the spec's consecutive-period rules (``history.rules``) flag this period.

    One row per (rule, unit) from :func:`evalkit.analysis.history.flagged_units`: rule, unit,
    category, total, rank and the length of the streak. Empty when the spec has no history rules.
    """
    from html import escape

    import pandas as pd

    from evalkit.analysis.history import flagged_units, parse_rules, rule_label
    from evalkit.core.labels import t
    from evalkit.report.data import current_period
    from evalkit.report.tables import html_table, names, unit_names

    res = load_results(results_dir)
    spec = res.spec if isinstance(res.spec, dict) else {}
    rules = parse_rules(spec.get("history"))
    if not rules:
        return HTMLBlock("")
    title = t("history_flagged", lang)
    fl = flagged_units(res.tables["totals"], rules, current_period(res))
    if fl.empty:
        return section(title, f"<p>{escape(t('no_history_flags', lang))}</p>")
    shown = {r.id: rule_label(r, lang) for r in rules}
    cats = names(res, "meta_categories", "category", lang)
    out = pd.DataFrame({
        t("rule", lang): fl["rule"].map(shown),
        t("unit_id", lang): fl["unit_id"].astype(str),
        t("unit", lang): unit_names(fl, lang).to_numpy(),
        t("category", lang): fl["category"].astype(str).map(lambda c: cats.get(c, c)),
        t("total", lang): fl["total"],
        t("rank", lang): fl["rank"],
        t("streak", lang): fl["streak"],
    })
    return section(title, html_table(out))
