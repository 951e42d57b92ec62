"""The published ranking: blocks of the overview page (``notebooks/overview.ipynb``) and the
publication workbook.

Each block takes the Results folder and the language and returns an
:class:`~evalkit.core.figures.HTMLBlock`; the charts of the page are
:func:`evalkit.report.plots.totals_by_category` and :func:`evalkit.report.plots.grade_counts`.
:func:`write_publication` writes the workbook an office publishes (公示): a sheet per category
with rank, unit, unit id, total, grade and flags in words (the same rows as the index's
ranking), the wide unit × indicator score sheet (:func:`evalkit.results.excel.wide_scores`)
and the indicator catalogue as offices keep it (编码, 名称, 所属维度, 方向, 目标值, 计分方法,
计量单位, 适用类别).

Examples
--------
>>> import evalkit.report as rp                                   # doctest: +SKIP
>>> rp.ranking("results/demo", "en")                              # doctest: +SKIP
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from evalkit.analysis.history import flagged_units, parse_rules, rule_label
from evalkit.core.figures import HTMLBlock, html_table, section
from evalkit.core.labels import t
from evalkit.report.data import load_results
from evalkit.report.html import ranking_frame, ranking_html, report_links
from evalkit.report.names import names, unit_names
from evalkit.results import Results
from evalkit.results.excel import (
    evaluation_name,
    header,
    in_words,
    names_of,
    sheet_name,
    wide_scores,
)
from evalkit.results.xlsx import INT, NUM2, Sheet, write_sheets

#: The file name of the publication workbook in a reports folder.
PUBLICATION = "published.xlsx"


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


# -- the publication workbook ------------------------------------------------------------------
def public_sheets(res: Results, lang: str, used: set[str]) -> list[Sheet]:
    """One 公示 sheet per category: rank, unit, unit id, total, grade, flags in words, under a
    title row (evaluation, period, category)."""
    df = ranking_frame(res, lang)
    out = []
    for cat, g in df.groupby("category", sort=False):
        frame = pd.DataFrame({t(k, lang): g[k].to_numpy() for k in
                              ("rank", "unit", "unit_id", "total", "grade", "flags")})
        title = t("pub_title", lang, title=evaluation_name(res, lang),
                  period=res.current_period, category=cat)
        out.append(Sheet(sheet_name(t("pub_sheet", lang, category=cat), used),
                         in_words("", frame, lang), [INT, "", "", NUM2, "", ""], 2, title))
    return out


def catalogue_sheet(res: Results, lang: str, used: set[str]) -> Sheet:
    """The indicator catalogue: id, name, perspective, direction, target, scoring method,
    unit of measure, the categories it applies to (by name; all when none is named)."""
    meta = res.tables["meta_indicators"]
    cats = names(res, "meta_categories", "category", lang)
    applies = meta.get("categories", pd.Series("", index=meta.index)).fillna("").astype(str)
    df = pd.DataFrame({
        "indicator_id": meta["indicator_id"].astype(str),
        "name": names_of(res, "indicator_id", meta["indicator_id"], lang),
        "perspective_name": names_of(res, "perspective_id", meta["perspective_id"], lang),
        "direction": meta["direction"], "target": meta["target"], "method": meta["method"],
        "unit": meta.get("unit", pd.Series("", index=meta.index)),
        "categories": applies.map(lambda s: t("list_sep", lang).join(
            str(cats.get(c, c)) for c in s.split(";") if c) or t("pub_all", lang))})
    df = in_words("meta_indicators", df, lang)
    return Sheet(sheet_name(t("pub_catalogue", lang), used),
                 df.set_axis([header(res, c, lang) for c in df.columns], axis=1),
                 ["", "", "", "", NUM2, "", "", ""], 2)


def write_publication(res: Results | str | Path, path: str | Path, lang: str = "zh") -> Path:
    """Write the publication workbook to ``path`` (see the module doc); return ``path``.

    ``res`` is a Results or a Results folder.
    """
    res = res if isinstance(res, Results) else load_results(res)
    used: set[str] = set()
    sheets = [*public_sheets(res, lang, used),
              wide_scores(res, lang, t("pub_wide", lang), used),
              catalogue_sheet(res, lang, used)]
    return write_sheets(sheets, path, evaluation_name(res, lang))
