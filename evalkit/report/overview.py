"""Blocks of the overview page (``notebooks/overview.ipynb``): title, ranking, flagged units.

Each function takes the Results folder and the language and returns an
:class:`~evalkit.core.figures.HTMLBlock`; the charts of the page are
:func:`evalkit.report.plots.totals_by_category` and :func:`evalkit.report.plots.grade_counts`.

Examples
--------
>>> import evalkit.report as rp                                   # doctest: +SKIP
>>> rp.ranking("results/demo", "en")                              # doctest: +SKIP
"""

from __future__ import annotations

from html import escape

import pandas as pd

from evalkit.analysis.history import flagged_units, parse_rules, rule_label
from evalkit.core.figures import HTMLBlock, html_table, section
from evalkit.core.labels import t
from evalkit.report.data import load_results
from evalkit.report.html import ranking_html, report_links
from evalkit.report.names import names, unit_names


def overview_header(results_dir: str, lang: str = "zh") -> HTMLBlock:
    """Title of the overview page: evaluation name and current period."""
    res = load_results(results_dir)
    ev = (res.spec or {}).get("evaluation", {}) if isinstance(res.spec, dict) else {}
    name = ev.get("name_en" if lang == "en" else "name") or ev.get("name") or ev.get("id", "")
    return HTMLBlock(f"<header class='ek-header'><h1>{escape(t('overview_title', lang))}"
                     f"</h1><p>{escape(str(name))} · {escape(t('period', lang))} "
                     f"{escape(str(res.current_period))}</p></header>")


def ranking(results_dir: str, lang: str = "zh", link_reports: bool = True) -> HTMLBlock:
    """The published ranking by category; unit names link to ``<unit>.html`` reports."""
    res = load_results(results_dir)
    links = report_links(res.tables["totals"]["unit_id"].astype(str).unique().tolist()) \
        if link_reports else None
    return section(t("ranking", lang), ranking_html(res, lang, links))


def history_flagged(results_dir: str, lang: str = "zh") -> HTMLBlock:
    """Units that the spec's consecutive-period rules (``history.rules``) flag this period.

    One row per (rule, unit) from :func:`evalkit.analysis.history.flagged_units`: rule, unit,
    category, total, rank and the length of the streak. Empty when the spec has no history rules.
    """
    res = load_results(results_dir)
    spec = res.spec if isinstance(res.spec, dict) else {}
    rules = parse_rules(spec.get("history"))
    if not rules:
        return HTMLBlock("")
    title = t("history_flagged", lang)
    fl = flagged_units(res.tables["totals"], rules, res.current_period)
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
