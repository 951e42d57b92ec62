"""HTML output: self-contained pages (CSS inlined), navigation, notebook export, the index.

An executed report notebook becomes HTML through nbconvert's ``basic`` template with
``exclude_input=True`` (no code, no prompts), wrapped in a small page that carries its own
stylesheet (:data:`STYLESHEET`, ~4 KB, inlined in every page: a report emailed alone keeps its
borders and status colours; the ``lab`` template's ~270 KB of CSS is not used). The
stylesheet lays tables out as cards of labelled lines below 40 rem (a 390 px phone shows
every column without scrolling sideways) and has print rules (A4, no navigation, no rows
split across pages) that the PDF output uses. Every file is written atomically (a temporary
file in the same folder, then :func:`os.replace`), so a crash never leaves a half-written
page. Unit names and labels are escaped with :func:`html.escape`.

Examples
--------
>>> from evalkit.report.html import page
>>> html = page("<script>", "<p>x</p>", "en")
>>> "<title>&lt;script&gt;</title>" in html and "<style>" in html
True
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from functools import cache
from html import escape
from typing import Any

import pandas as pd

from evalkit.core.figures import CSS_FONT_STACK, HTMLBlock, fmt
from evalkit.core.labels import t
from evalkit.report.data import UnitView, current_totals, neighbours
from evalkit.report.names import flag_labels, names, rule_flags, unit_name, unit_names
from evalkit.report.paths import safe_stem
from evalkit.report.tables import grade_rules
from evalkit.results import Results

STYLESHEET = f"""
:root{{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--head:#f3f5f7;--accent:#0b5cad;
--good:#d9f2e3;--fair:#fff1c9;--poor:#f8d3cf;--miss:#e5e5e5}}
*{{box-sizing:border-box}}
body{{font-family:{CSS_FONT_STACK};max-width:64rem;margin:0 auto;padding:1rem;color:var(--ink);
line-height:1.5;font-size:15px;-webkit-text-size-adjust:100%;overflow-wrap:break-word}}
h1{{font-size:1.45rem;margin:.6rem 0}}
h2{{font-size:1.15rem;border-bottom:2px solid var(--line);padding-bottom:.2rem;margin-top:1.6rem}}
h3{{font-size:1rem;margin:1rem 0 .3rem}} a{{color:var(--accent)}}
.ek-nav{{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;font-size:.9rem;padding:.4rem 0;
border-bottom:1px solid var(--line)}} .ek-nav .ek-next{{margin-left:auto}}
.ek-facts{{display:grid;grid-template-columns:repeat(auto-fill,minmax(9rem,1fr));gap:.4rem 1rem;
margin:.6rem 0}} .ek-facts dt{{color:var(--muted);font-size:.8rem}}
.ek-facts dd{{margin:0;font-weight:600}} .ek-formula{{font-weight:600}}
.ek-note,.ek-notes{{color:var(--muted);font-size:.85rem}} .ek-notes{{padding-left:1.2rem}}
table.ek-table{{border-collapse:collapse;margin:.5rem 0;font-size:.88rem}}
.ek-table th,.ek-table td{{border:1px solid var(--line);padding:.25rem .45rem;text-align:left;
vertical-align:top}} .ek-table thead th{{background:var(--head)}}
.ek-table td.n{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}
tr.ek-group th{{background:#eaf1fb}}
tr.ek-good td:last-child{{background:var(--good)}}
tr.ek-fair td:last-child{{background:var(--fair)}}
tr.ek-poor td:last-child{{background:var(--poor)}}
tr.ek-missing td:last-child{{background:var(--miss)}}
tr.ek-sum td{{font-weight:600}} tr.ek-failed td{{background:var(--poor)}}
tr.ek-kind-veto td,tr.ek-kind-yellow_card td{{background:var(--fair)}}
figure{{margin:.5rem 0}} svg{{max-width:100%;height:auto}}
details>summary{{cursor:pointer}} details>summary h2{{display:inline;border:0}}
.ek-appendix code{{font-size:.8rem;overflow-wrap:anywhere}}
@media (max-width:40rem){{
body{{padding:.6rem;font-size:14px}} .ek-table{{width:100%}}
.ek-table td,.ek-table th{{padding:.2rem .3rem}} .ek-wide thead{{display:none}}
.ek-wide,.ek-wide tbody{{display:block}}
.ek-wide tr.ek-group,.ek-wide tr.ek-group th{{display:block}}
.ek-wide tr{{display:grid;grid-template-columns:1fr 1fr;border:1px solid var(--line);
margin:.45rem 0}}
.ek-wide td,.ek-wide td.n{{display:block;border:0;border-top:1px solid #eee;text-align:left}}
.ek-wide td::before{{content:attr(data-label);display:block;color:var(--muted);font-size:.75rem}}
.ek-wide td:first-child{{grid-column:1/-1;font-weight:600;border-top:0}}
.ek-wide td:first-child::before{{display:none}} .ek-wide td:empty{{display:none}}}}
@media print{{
@page{{size:A4;margin:14mm 12mm}}
body{{max-width:none;padding:0;font-size:10pt}} .ek-nav{{display:none}}
.ek-table{{font-size:8.5pt}} .ek-table td:last-child{{white-space:nowrap}}
h1,h2,h3{{break-after:avoid}} tr,figure,.ek-facts{{break-inside:avoid}}
a{{color:inherit;text-decoration:none}}
*{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}}}
"""


def page(title: str, body: str, lang: str) -> str:
    """A complete, self-contained HTML page: escaped ``title``, ``body`` (HTML already) and
    the inlined :data:`STYLESHEET`."""
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLESHEET}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def navigation(view: UnitView) -> HTMLBlock:
    """Links to the index and to the reports of the units ranked just before and after this
    one in its category (report files are named by :func:`report_links`)."""
    lang = view.lang
    prev, nxt = neighbours(view)
    links = [f'<a class="ek-index" href="index.html">← {escape(t("nav_index", lang))}</a>']
    for row, cls, key, arrow in ((prev, "ek-prev", "nav_prev", "‹"),
                                 (nxt, "ek-next", "nav_next", "›")):
        if row is not None:
            text = (f"{t(key, lang)}{'：' if lang == 'zh' else ': '}{unit_name(row, lang)}"
                    f"{t('nav_rank', lang, rank=fmt(row['rank']))}")
            text = f"{arrow} {text}" if arrow == "‹" else f"{text} {arrow}"
            links.append(f'<a class="{cls}" rel="{key[4:]}" '
                         f'href="{escape(safe_stem(str(row["unit_id"])))}.html">'
                         f"{escape(text)}</a>")
    return HTMLBlock(f'<nav class="ek-nav" aria-label="{escape(t("nav_aria", lang))}">'
                     f'{"".join(links)}</nav>')


@cache
def _exporter() -> Any:
    """nbconvert's HTML exporter (``basic`` template, no code, no prompts), made once."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


def notebook_body(nb: Any) -> str:
    """The HTML of an executed notebook's outputs (no code, no stderr, no prompts)."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"  # papermill's injected cell has a random id: keep pages reproducible
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream"
                                       and o.get("name") == "stderr")]
    body, _ = _exporter().from_notebook_node(nb)
    return body


def notebook_page(nb: Any, title: str, lang: str) -> str:
    """An executed notebook as a complete, self-contained page (see :func:`page`)."""
    return page(title, notebook_body(nb), lang)


def ranking_frame(res: Results, lang: str) -> pd.DataFrame:
    """The published ranking of the current period: category, rank, unit, total, grade, flags."""
    cur = current_totals(res)
    cats = names(res, "meta_categories", "category", lang)
    order = {c: i for i, c in enumerate(dict.fromkeys(cats.index.tolist()
                                                      + cur["category"].astype(str).tolist()))}
    cur = cur.assign(_c=cur["category"].astype(str).map(order)).sort_values(
        ["_c", "rank", "unit_id"], kind="stable")
    gnames = names(res, "meta_grades", "grade", lang)
    grade = cur["grade"].astype(str).map(gnames).fillna(cur["grade_name"])
    rules = rule_flags(res, lang)
    return pd.DataFrame({
        "category": cur["category"].astype(str).map(lambda c: str(cats.get(c, c))),
        "rank": cur["rank"],
        "unit_id": cur["unit_id"].astype(str),
        "unit": unit_names(cur, lang),
        "total": cur["total"],
        "grade": grade,
        "flags": cur["flags"].map(lambda f: t("list_sep", lang).join(
            flag_labels(f, lang, rules))),
    }).reset_index(drop=True)


def ranking_html(res: Results, lang: str, links: Mapping[str, str] | None = None,
                 failed: Sequence[str] = ()) -> str:
    """Ranking tables by category; unit names link to ``links[unit_id]`` when given. The flags
    column is shown for a category when one of its units has a flag."""
    df = ranking_frame(res, lang)
    failed = set(failed)
    parts = []
    for cat, g in df.groupby("category", sort=False):
        flags = bool((g["flags"] != "").any())
        cols = [t("rank", lang), t("unit_id", lang), t("unit", lang), t("total", lang),
                t("grade", lang)] + [t("flags", lang)] * flags
        rows = []
        for r in g.itertuples(index=False):
            name = escape(r.unit)
            if links and r.unit_id in links:
                name = f'<a href="{escape(links[r.unit_id])}">{name}</a>'
            cls = ' class="ek-failed"' if r.unit_id in failed else ""
            note = f" ({escape(t('failed', lang))})" if r.unit_id in failed else ""
            cells = [(cols[0], escape(fmt(r.rank)), " class=\"n\""),
                     (cols[1], escape(r.unit_id), ""), (cols[2], f"{name}{note}", ""),
                     (cols[3], escape(fmt(r.total)), " class=\"n\""),
                     (cols[4], escape(fmt(r.grade)), "")] + \
                [(cols[5], escape(r.flags), "")] * flags
            rows.append(f"<tr{cls}>" + "".join(f'<td data-label="{escape(c)}"{a}>{v}</td>'
                                               for c, v, a in cells) + "</tr>")
        head = "".join(f"<th>{escape(c)}</th>" for c in cols)
        parts.append(f"<h2>{escape(str(cat))}</h2><table class='ek-table'><thead><tr>{head}"
                     f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return "".join(parts)


def _period_line(res: Results, lang: str) -> str:
    """``考核期：2025（数据年度：2024、2025）``: the current period and every period of the data."""
    periods = sorted({str(p) for p in res.tables["totals"]["period"].dropna()})
    if len(periods) <= 1:
        return f"{t('period', lang)}{'：' if lang == 'zh' else ': '}{res.current_period}"
    return t("index_periods", lang, period=res.current_period,
             periods=t("list_sep", lang).join(periods))


def _file_links(res: Results, lang: str, files: Sequence[str]) -> str:
    """A line of links to the publication workbook and the PDF booklets (``pdf/booklet-*``)."""
    cats = names(res, "meta_categories", "category", lang)
    booklets = {f"pdf/booklet-{safe_stem(str(c))}.pdf": str(n) for c, n in cats.items()}
    order = {f: i for i, f in enumerate(booklets)}  # booklets in the categories' order
    links = []
    for f in sorted(files, key=lambda f: (f in order, order.get(f, 0))):
        text = (t("file_booklet", lang, category=booklets[f]) if f in booklets
                else t("file_publication", lang) if f.endswith(".xlsx") else f)
        links.append(f'<a href="{escape(f)}">{escape(text)}</a>')
    return (f'<p class="ek-files">{escape(t("index_files", lang))}'
            f'{"：" if lang == "zh" else ": "}{" · ".join(links)}</p>') if links else ""


def index_page(res: Results, lang: str, reports: Mapping[str, str],
               failures: Mapping[str, str], overview: str | None, title: str,
               files: Sequence[str] = ()) -> str:
    """The index: evaluation, periods, date and method note; links to the overview and the
    downloads; failures (if any); the ranking linking every report, flags in words.

    Parameters
    ----------
    reports : unit_id -> relative file name of its HTML report (only written reports).
    failures : unit_id -> error message of units whose report failed.
    overview : relative file name of the overview page, or None.
    files : relative paths of the downloads: ``published.xlsx``, ``pdf/booklet-*.pdf``.
    """
    created = str((res.provenance or {}).get("created") or "")[:10]
    note = t("index_note", lang) + (" " + t("index_date", lang, date=created) if created else "")
    parts = [f"<h1>{escape(title)}</h1>",
             f"<p>{escape(_period_line(res, lang))}</p>",
             f'<p class="ek-note">{escape(note)}</p>',
             f'<p class="ek-note">{escape(grade_rules(res, lang))}</p>']
    if overview:
        parts.append(f'<p><a href="{escape(overview)}">{escape(t("overview_link", lang))}</a></p>')
    parts.append(_file_links(res, lang, files))
    if failures:
        items = "".join(f"<li><code>{escape(str(u))}</code>: {escape(str(m))}</li>"
                        for u, m in failures.items())
        parts.append(f"<h2>{escape(t('failures', lang))}</h2><ul class='ek-failures'>{items}</ul>")
    parts.append(f"<h2>{escape(t('ranking', lang))}</h2>")
    parts.append(ranking_html(res, lang, reports, list(failures)))
    return page(title, "\n".join(parts), lang)


def report_links(unit_ids: Sequence[str]) -> dict[str, str]:
    """unit_id -> report file name (``<safe stem>.html``) for the given units."""
    return {u: f"{safe_stem(u)}.html" for u in unit_ids}
