"""HTML output: notebook export without code cells, a shared stylesheet, the index page.

An executed report notebook becomes HTML through nbconvert's ``basic`` template with
``exclude_input=True`` (no code, no prompts), wrapped in a small page that links one shared
stylesheet (``report.css``) instead of inlining ~270 KB of CSS per file as the ``lab``
template does. Every file is written atomically (a temporary file in the same folder, then
:func:`os.replace`), so a crash never leaves a half-written page. Unit names and labels are
escaped with :func:`html.escape`.

Examples
--------
>>> from evalkit.report.html import page
>>> "<title>&lt;script&gt;</title>" in page("<script>", "<p>x</p>", "en")
True
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.core.atomic import atomic_write
from evalkit.core.figures import CSS_FONT_STACK, fmt
from evalkit.core.labels import t
from evalkit.report.data import current_totals
from evalkit.report.names import flag_labels, names, unit_names
from evalkit.report.paths import safe_stem
from evalkit.results import Results

STYLESHEET_NAME = "report.css"

STYLESHEET = f"""
body {{ font-family: {CSS_FONT_STACK}; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }}
h1 {{ font-size: 1.5rem; }} h2 {{ font-size: 1.2rem; border-bottom: 1px solid #ccc; }}
.ek-facts {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
            gap: .4rem 1rem; }}
.ek-facts dt {{ color: #666; font-size: .85rem; }} .ek-facts dd {{ margin: 0; font-weight: 600; }}
table.ek-table {{ border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }}
.ek-table th, .ek-table td {{ border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; }}
.ek-table th {{ background: #f3f3f3; }}
tr.ek-good td:last-child {{ background: #d9f2e3; }}
tr.ek-fair td:last-child {{ background: #fff1c9; }}
tr.ek-poor td:last-child {{ background: #f8d3cf; }}
tr.ek-missing td:last-child {{ background: #e5e5e5; }}
tr.ek-sum td {{ font-weight: 600; }} tr.ek-failed td {{ background: #f8d3cf; }}
tr.ek-kind-veto td, tr.ek-kind-yellow_card td {{ background: #fff1c9; }}
.ek-note {{ color: #555; font-size: .85rem; }}
svg {{ max-width: 100%; height: auto; }}
"""


def page(title: str, body: str, lang: str, css: str = STYLESHEET_NAME) -> str:
    """A complete HTML page: escaped ``title``, ``body`` (HTML already), shared stylesheet."""
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>{escape(title)}</title>"
            f'<link rel="stylesheet" href="{escape(css)}"></head>\n'
            f"<body>\n{body}\n</body></html>\n")


def write_stylesheet(out_dir: Path) -> Path:
    """Write the shared stylesheet into ``out_dir`` (atomically) and return its path."""
    path = out_dir / STYLESHEET_NAME
    if not path.is_file() or path.read_text("utf-8") != STYLESHEET:
        atomic_write(path, STYLESHEET)
    return path


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
    """An executed notebook as a complete page (see :func:`page`)."""
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
    return pd.DataFrame({
        "category": cur["category"].astype(str).map(lambda c: str(cats.get(c, c))),
        "rank": cur["rank"],
        "unit_id": cur["unit_id"].astype(str),
        "unit": unit_names(cur, lang),
        "total": cur["total"],
        "grade": grade,
        "flags": cur["flags"].map(lambda f: t("list_sep", lang).join(flag_labels(f, lang))),
    }).reset_index(drop=True)


def ranking_html(res: Results, lang: str, links: Mapping[str, str] | None = None,
                 failed: Sequence[str] = ()) -> str:
    """Ranking tables by category; unit names link to ``links[unit_id]`` when given."""
    df = ranking_frame(res, lang)
    failed = set(failed)
    cols = [t("rank", lang), t("unit_id", lang), t("unit", lang), t("total", lang),
            t("grade", lang), t("flags", lang)]
    parts = []
    for cat, g in df.groupby("category", sort=False):
        rows = []
        for r in g.itertuples(index=False):
            name = escape(r.unit)
            if links and r.unit_id in links:
                name = f'<a href="{escape(links[r.unit_id])}">{name}</a>'
            cls = ' class="ek-failed"' if r.unit_id in failed else ""
            note = f" ({escape(t('failed', lang))})" if r.unit_id in failed else ""
            rows.append(f"<tr{cls}><td>{escape(fmt(r.rank))}</td><td>{escape(r.unit_id)}</td>"
                        f"<td>{name}{note}</td><td>{escape(fmt(r.total))}</td>"
                        f"<td>{escape(fmt(r.grade))}</td><td>{escape(r.flags)}</td></tr>")
        head = "".join(f"<th>{escape(c)}</th>" for c in cols)
        parts.append(f"<h2>{escape(str(cat))}</h2><table class='ek-table'><thead><tr>{head}"
                     f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return "".join(parts)


def index_page(res: Results, lang: str, reports: Mapping[str, str],
               failures: Mapping[str, str], overview: str | None, title: str) -> str:
    """The index: link to the overview, failures (if any), ranking linking every report.

    Parameters
    ----------
    reports : unit_id -> relative file name of its HTML report (only written reports).
    failures : unit_id -> error message of units whose report failed.
    overview : relative file name of the overview page, or None.
    """
    parts = [f"<h1>{escape(title)}</h1>",
             f"<p>{escape(t('period', lang))}: {escape(str(res.current_period))}</p>"]
    if overview:
        parts.append(f'<p><a href="{escape(overview)}">{escape(t("overview_link", lang))}</a></p>')
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
