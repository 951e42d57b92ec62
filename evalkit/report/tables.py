"""HTML blocks of a unit report: header, sources, indicators, points, change.

Each function takes a :class:`~evalkit.report.data.UnitView` and returns an :class:`HTMLBlock`
(a string with ``_repr_html_``), so a notebook cell is one call and the executed notebook
carries plain HTML. Every value taken from the data (unit names, reasons, flags, labels) is
escaped with :func:`html.escape`; nothing is recomputed: each figure is a Results row, and
each row of the indicator table shows every factor of its contribution
(``score × global weight × office weight``, the global weight being the perspective's weight
× the weight within it), so a reader can check it with a calculator.

Indicator status (the colour of a row) is the ``status`` column of the ``indicators``
table: the traffic light against the target with the spec's thresholds, or by the score
without a target (:mod:`evalkit.scoring.status`, the one implementation); the report states
the spec's default thresholds, and names a row's warning / advanced flag beside its status.

Examples
--------
>>> import pandas as pd
>>> ind = pd.DataFrame({"raw": [7.0, 1.0], "score": [90.0, 20.0], "missing": [False, False],
...                     "target": [6.0, None], "direction": ["benefit", "benefit"]})
>>> stored_status(ind).map(STATUS_CLASS).tolist()
['good', 'poor']
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from evalkit.analysis.history.section import rank_change_text
from evalkit.core.figures import HTMLBlock, fmt, html_table, section
from evalkit.core.labels import label_or, t
from evalkit.report.data import UnitView, indicator_frame, table
from evalkit.report.names import (
    direction_text,
    flag_words,
    grade_name,
    imputation_text,
    method_text,
    names,
    pct,
    policy_note,
    reason_text,
    scheme_text,
    unit_name,
)
from evalkit.results import Results, sort_periods
from evalkit.scoring.status import spec_thresholds, stored_status
from evalkit.spec.parse import from_dict
from evalkit.spec.points import points_categories

#: Row class (the stylesheet's colour) of each status.
STATUS_CLASS = {"green": "good", "yellow": "fair", "red": "poor", "missing": "missing"}
#: Footnote marks of the indicator table.
MARKS = "¹²³⁴⁵⁶⁷⁸⁹"


def _p(text: str, cls: str = "ek-note") -> str:
    """An escaped paragraph."""
    return f'<p class="{cls}">{escape(text)}</p>'


def colon(lang: str) -> str:
    """The colon after a label in running text."""
    return "：" if lang == "zh" else ": "


def grade_rules(res: Results, lang: str) -> str:
    """The grades with their lowest totals and quotas, as one line (from ``meta_grades``)."""
    g = table(res, "meta_grades")
    if g is None or g.empty:
        return ""
    gnames = names(res, "meta_grades", "grade", lang)
    parts, last_min = [], None
    for r in g.itertuples(index=False):
        name = str(gnames.get(str(r.grade), r.grade))
        if pd.notna(getattr(r, "min_score", np.nan)):
            last_min = fmt(float(r.min_score), 0)
            text = t("grade_rule_min", lang, grade=name, min=last_min)
        else:
            text = t("grade_rule_rest", lang, grade=name, min=last_min or "–")
        quota = getattr(r, "quota", np.nan)
        quota_text = (" " if lang == "en" else "") + t("grade_quota", lang, q=pct(quota))
        parts.append(text + (quota_text if pd.notna(quota) else ""))
    return t("grade_standard", lang) + colon(lang) + t("list_sep", lang).join(parts)


def header(view: UnitView) -> HTMLBlock:
    """Report header: unit, category, period, total, rank x of n, grade, flags; how the total
    is made up, and the grades' thresholds."""
    r, lang = view.row, view.lang
    cats = names(view.res, "meta_categories", "category", lang)
    grade = grade_name(view.res, r, lang)
    items = [
        (t("unit_id", lang), str(r["unit_id"])),
        (t("category", lang), str(cats.get(str(r["category"]), r["category"]))),
        (t("period", lang), str(view.period)),
        (t("total", lang), fmt(r["total"])),
        (t("rank", lang), t("rank_of", lang, rank=fmt(r["rank"]), n=fmt(r["n_in_category"]))),
        (t("grade", lang), fmt(grade)),
        (t("flags", lang), flag_words(view.res, r.get("flags"), lang)),
    ]
    dl = "".join(f'<div><dt>{escape(k)}</dt><dd data-field="{escape(k)}">{escape(v)}</dd></div>'
                 for k, v in items)
    title = f"{unit_name(r, lang)} · {t('report_title', lang)} ({view.period})"
    formula = t("total_formula", lang, total=fmt(r["total"]), ws=fmt(r["weighted_score"]),
                bonus=fmt(r["bonus"]), ded=fmt(r["deductions"]))
    veto = _p(t("veto_note", lang, grade=grade), "ek-note ek-veto") if bool(r.get("veto")) \
        else ""
    return HTMLBlock(f'<header class="ek-header"><h1>{escape(title)}</h1>'
                     f'<dl class="ek-facts">{dl}</dl>{_p(formula, "ek-formula")}{veto}'
                     f'{_p(grade_rules(view.res, lang))}</header>')


def status_text(status: str, flags: object, lang: str) -> str:
    """A row's status in words, with its flags: ``达标 · 先进``."""
    words = [t(f"status_{status}", lang)]
    if isinstance(flags, str):
        words += [label_or(f"flag_{f}", lang, f) for f in flags.split(";") if f]
    return " · ".join(words)


def _target_text(target: object, direction: object) -> str:
    """The target with its comparison: ``≥ 6.50`` (benefit), ``≤ 2.00`` (cost), ``= 100.00``."""
    if target is None or pd.isna(target):
        return "–"
    sign = {"benefit": "≥", "cost": "≤"}.get(str(direction), "=")
    return f"{sign} {fmt(float(target))}"


def _values_and_notes(view: UnitView, ind: pd.DataFrame, inames: pd.Series
                      ) -> tuple[list[str], list[str]]:
    """The value column (with the unit of measure; a missing or imputed value marked with a
    footnote) and the footnotes explaining how such values were scored."""
    lang, values, notes = view.lang, [], []
    unit = ind["unit"].fillna("").astype(str) if "unit" in ind else pd.Series("", index=ind.index)
    for i, r in ind.iterrows():
        text = f"{fmt(r['raw'])} {unit[i]}".strip()
        if bool(r.get("missing")) or bool(r.get("imputed")):
            mark = MARKS[len(notes) % len(MARKS)]
            name = str(inames.get(str(r["indicator_id"]), r["indicator_id"]))
            if bool(r.get("imputed")):
                text = f"{text} {t('mark_imputed', lang)}{mark}"
                why = t("note_imputed", lang, method=imputation_text(view.res, lang))
            else:
                text = f"{t('mark_missing', lang)}{mark}"
                why = policy_note(str(r.get("policy", "")), lang)
            notes.append(f"{mark} {name}{colon(lang)}{why}")
        values.append(text)
    return values, notes


def _as_points(view: UnitView) -> bool:
    """True when the unit's category states its weights as points (分值, ``weights:
    points``): the global weight is then shown as points of 100."""
    return str(view.row["category"]) in points_categories(from_dict(view.res.spec or {}))


def indicator_table(view: UnitView) -> HTMLBlock:
    """Indicator table: per perspective, each indicator's value, target, score, weights and
    contribution (= score × global weight × office weight) and status, with the rules."""
    lang, ind = view.lang, indicator_frame(view)
    status = stored_status(ind)
    flags = ind["flags"] if "flags" in ind else pd.Series("", index=ind.index)
    inames = names(view.res, "meta_indicators", "indicator_id", lang)
    pnames = names(view.res, "meta_nodes", "node_id", lang)
    values, notes = _values_and_notes(view, ind, inames)
    out = pd.DataFrame({
        t("indicator", lang): ind["indicator_id"].map(inames).fillna(ind["indicator_id"]),
        t("value", lang): values,
        t("target", lang): [_target_text(a, b) for a, b in
                            zip(ind.get("target", pd.Series(np.nan, index=ind.index)),
                                ind.get("direction", pd.Series("", index=ind.index)),
                                strict=True)],
        t("score", lang): ind["score"],
        t("w_within", lang): ind["w_within"].map(pct),
        **({t("w_points", lang): (100 * ind["weight"]).map(fmt)} if _as_points(view) else
           {t("w_global", lang): ind["weight"].map(pct)}),
        t("w_office", lang): ind["w_source"].map(pct),
        t("contribution", lang): ind["contribution"],
        t("status", lang): [status_text(s, f, lang)
                            for s, f in zip(status, flags, strict=True)],
    })
    nodes = view.rows("nodes")
    nscore = nodes.set_index("node_id")["score"] if nodes is not None else pd.Series(dtype=float)
    groups = {}
    for pos, (p, w) in enumerate(zip(ind["perspective_id"], ind["w_perspective"], strict=True)):
        if pos == 0 or p != ind["perspective_id"].iloc[pos - 1]:
            groups[pos] = t("persp_row", lang, name=str(pnames.get(str(p), p)), w=pct(w),
                            score=fmt(nscore.get(p, np.nan)))
    formula = t("ind_formula_points" if _as_points(view) else "ind_formula", lang,
                sum=fmt(float(ind["contribution"].sum())))
    th = spec_thresholds(view.res.spec)
    rules = t("status_rule_target", lang, green=pct(th.green), yellow=pct(th.yellow)) + \
        ("" if lang == "zh" else " ") + \
        t("status_rule_score", lang, good=fmt(th.score_green, 0), fair=fmt(th.score_yellow, 0))
    foot = "".join(f"<li>{escape(n)}</li>" for n in notes)
    foot = f'<ul class="ek-notes" aria-label="{escape(t("notes", lang))}">{foot}</ul>' \
        if notes else ""
    return section(t("indicators", lang), _p(formula, "ek-formula"),
                   html_table(out, [f"ek-{STATUS_CLASS.get(s, s)}" for s in status],
                              groups=groups),
                   foot, _p(rules))


def sources_table(view: UnitView) -> HTMLBlock:
    """Sources and how they combine: score × effective weight = contribution, + points."""
    lang, r = view.lang, view.row
    src = view.rows("sources")
    label = src["source"].map(lambda s: label_or(f"src_{s}", lang, s))
    out = pd.DataFrame({
        t("source", lang): label,
        t("score", lang): src["score"],
        t("src_weight_nominal", lang): src["weight"].map(pct),
        t("effective_weight", lang): src["effective_weight"].map(pct),
        t("contribution", lang): src["contribution"],
    })
    tail = pd.DataFrame({
        t("source", lang): [t("weighted_score", lang), t("bonus", lang), t("deduction", lang),
                            t("total", lang)],
        t("contribution", lang): [r["weighted_score"], r["bonus"], -r["deductions"], r["total"]],
    })
    out = pd.concat([out.astype(object), tail.astype(object)], ignore_index=True).fillna("")
    classes = [""] * len(src) + ["ek-sum", "", "", "ek-sum"]
    gaps = [_p(t("sources_missing", lang, source=lab)) for lab, s in
            zip(label, src["score"], strict=True) if pd.isna(s)]
    return section(t("sources", lang), html_table(out, classes), *gaps,
                   _p(t("sources_note", lang)))


def points_table(view: UnitView) -> HTMLBlock:
    """Bonus, deductions, yellow cards and veto of the period, with the recorded reasons."""
    lang = view.lang
    pts = view.rows("points")
    if pts is None or pts.empty:
        return section(t("points", lang), _p(t("no_points", lang), ""))
    out = pd.DataFrame({
        t("kind", lang): pts["kind"].map(lambda k: label_or(k, lang, k)),
        t("points_col", lang): pts["points"],
        t("applied", lang): pts["applied"],
        t("reason", lang): pts["reason"].map(lambda x: reason_text(x, lang)),
    })
    return section(t("points", lang), html_table(out, [f"ek-kind-{k}" for k in pts["kind"]]))


def previous_period(view: UnitView) -> str | None:
    """The period before the current one in which the unit appears (as text), or None."""
    totals = view.res.tables["totals"]
    periods = sort_periods(totals.loc[totals["unit_id"] == view.unit_id, "period"])
    earlier = periods[:periods.index(view.period)] if view.period in periods else []
    return earlier[-1] if earlier else None


def change_table(view: UnitView) -> HTMLBlock:
    """Change since the previous period: total, rank, grade and each perspective score."""
    lang = view.lang
    prev = previous_period(view)
    if prev is None:
        return section(t("change", lang), _p(t("no_history", lang), ""))
    before = view.rows("totals", prev).iloc[0]
    now = view.row
    rows = [(t("total", lang), before["total"], now["total"]),
            (t("rank", lang), before["rank"], now["rank"])]
    nodes_now, nodes_before = view.rows("nodes"), view.rows("nodes", prev)
    pnames = names(view.res, "meta_nodes", "node_id", lang)
    if nodes_now is not None and nodes_before is not None:
        both = nodes_now.merge(nodes_before, on="node_id", suffixes=("", "_prev"))
        rows += [(str(pnames.get(str(n), n)), b, a)
                 for n, b, a in zip(both["node_id"], both["score_prev"], both["score"],
                                    strict=True)]
    df = pd.DataFrame(rows, columns=["k", "b", "a"], dtype=object)
    out = pd.DataFrame({
        "": df["k"],
        f"{t('previous', lang)} ({prev})": df["b"],
        f"{t('current', lang)} ({view.period})": df["a"],
        t("delta", lang): [a - b for a, b in zip(df["a"], df["b"], strict=True)],
    }, dtype=object)
    out.iloc[1, 3] = rank_change_text(before["rank"] - now["rank"])  # ↑3: moved up 3 places
    grade = f"{grade_name(view.res, before, lang)} → {grade_name(view.res, now, lang)}"
    return section(t("change", lang), html_table(out),
                   _p(f"{t('grade', lang)}{colon(lang)}{grade}", ""))


# -- the methods and provenance appendix ---------------------------------------------------------
def _li(items: list[str]) -> str:
    """An escaped list."""
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items if i) + "</ul>"


def _weights_lines(view: UnitView, ind: pd.DataFrame) -> list[str]:
    """Perspective weights, the schemes that made weights within perspectives, aggregation."""
    lang, sep = view.lang, t("list_sep", view.lang)
    pnames = names(view.res, "meta_nodes", "node_id", lang)
    persp = ind.drop_duplicates("perspective_id")
    lines = [t("ap_persp_weights", lang, list=sep.join(
        f"{pnames.get(str(p), p)} {pct(w)}" for p, w in
        zip(persp["perspective_id"], persp["w_perspective"], strict=True)))]
    prov = (view.res.provenance or {}).get("weights") or {}
    by_cat = (prov.get(view.period) or {}).get(str(view.row["category"])) or {}
    for node, s in ((by_cat.get("schemes") or {}) if isinstance(by_cat, dict) else {}).items():
        lines.append(t("ap_scheme", lang, node=str(pnames.get(str(node), node)),
                       method=scheme_text(s.get("method"), lang)))
        if (s.get("conventions") or {}).get("data_dependent"):
            lines.append(t("weights_data_dependent", lang))
    meta = table(view.res, "meta_nodes")
    if meta is not None and "aggregation" in meta.columns:
        aggs = [label_or(f"agg_{a}", lang, str(a)) for a in dict.fromkeys(meta["aggregation"])]
        lines.append(t("ap_aggregation", lang, method=sep.join(aggs)))
    return lines


def _rules_lines(view: UnitView, ind: pd.DataFrame) -> list[str]:
    """Missing values, the sources' weights, and the bonus, yellow-card and veto rules."""
    lang, sep = view.lang, t("list_sep", view.lang)
    pols = [p.rsplit(":", 1)[-1].strip() for p in dict.fromkeys(ind["policy"]) if p]
    lines = [t("ap_missing", lang, policy=sep.join(label_or(f"pol_{p}", lang, p) for p in pols))
             ] if pols else []
    src = view.rows("sources")
    lines.append(t("ap_sources", lang, list=sep.join(
        f"{label_or(f'src_{s}', lang, s)} {pct(w)}" for s, w in
        zip(src["source"], src["weight"], strict=True))))
    spec = view.res.spec if isinstance(view.res.spec, dict) else {}
    pts = spec.get("points") or {}
    rules = []
    if pts.get("bonus_cap") is not None:
        rules.append(t("ap_bonus_cap", lang, cap=fmt(float(pts["bonus_cap"]), 0)))
    if pts.get("yellow_card_multiplier") is not None:
        rules.append(t("ap_yellow", lang, k=fmt(float(pts["yellow_card_multiplier"]), 0)))
    veto = (pts.get("veto") or {}).get("max_grade")
    if veto:
        gnames = names(view.res, "meta_grades", "grade", lang)
        rules.append(t("ap_veto", lang, grade=str(gnames.get(str(veto), veto))))
    if rules:
        lines.append(t("points", lang) + colon(lang) + sep.join(rules))
    return lines


def _inputs_table(view: UnitView) -> str:
    """The input files (name without folders) and the first 12 hex digits of their SHA-256,
    the seed and the code's version; never a server path or a time."""
    lang, prov = view.lang, view.res.provenance or {}
    rows = []
    for name, rec in (prov.get("inputs") or {}).items():
        if isinstance(rec, dict):
            file = str(rec.get("file") or rec.get("path") or "").replace("\\", "/")
            rows.append(f"<tr><td><code>{escape(str(name))}</code></td><td><code>"
                        f"{escape(file.rsplit('/', 1)[-1])}</code></td><td><code>"
                        f"{escape(str(rec.get('sha256', ''))[:12])}</code></td></tr>")
    code = prov.get("code") if isinstance(prov.get("code"), dict) else {}
    version = str(code.get("version") or (prov.get("versions") or {}).get("evalkit", ""))
    commit = str(code.get("commit") or "")[:8]
    soft = f"evalkit {version}" + (f" ({commit})" if commit else "")
    head = "".join(f"<th>{escape(h)}</th>" for h in ("", t("ap_file", lang),
                                                      t("ap_checksum", lang)))
    table_html = (f'<table class="ek-table ek-inputs"><thead><tr>{head}</tr></thead>'
                  f"<tbody>{''.join(rows)}</tbody></table>") if rows else ""
    seed = prov.get("seed")
    facts = [f"{t('ap_software', lang)}{colon(lang)}<code>{escape(soft)}</code>"]
    if seed is not None:
        facts.append(f"{t('ap_seed', lang)}{colon(lang)}<code>{escape(str(seed))}</code>")
    return (f"<h3>{escape(t('ap_inputs', lang))}</h3>{table_html}"
            f'<p class="ek-note">{" · ".join(facts)}</p>')


def methods_appendix(view: UnitView) -> HTMLBlock:
    """Methods and provenance, collapsed: how each of the unit's indicators is scored (in
    words), the weights and where they come from, the rules for missing values, sources and
    points, and the input files with short checksums."""
    lang, res = view.lang, view.res
    ind = indicator_frame(view)
    inames = names(res, "meta_indicators", "indicator_id", lang)
    methods = pd.DataFrame({
        t("indicator", lang): ind["indicator_id"].map(inames).fillna(ind["indicator_id"]),
        t("direction", lang): ind.get("direction", pd.Series("", index=ind.index)).map(
            lambda d: direction_text(d, lang)),
        t("scoring_method", lang): [method_text(res, str(i), str(m), lang) for i, m in
                                    zip(ind["indicator_id"], ind.get("method", ""),
                                        strict=False)],
    })
    body = (f"<h3>{escape(t('ap_scoring', lang))}</h3>{html_table(methods)}"
            f"<h3>{escape(t('weight', lang))}</h3>{_li(_weights_lines(view, ind))}"
            f"<h3>{escape(t('ap_rules', lang))}</h3>{_li(_rules_lines(view, ind))}"
            f"{_inputs_table(view)}")
    return HTMLBlock(f'<section class="ek-section ek-appendix"><details><summary><h2>'
                     f"{escape(t('ap_title', lang))}</h2></summary>{body}</details></section>")
