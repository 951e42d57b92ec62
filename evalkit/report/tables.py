"""HTML blocks of a unit report: header, indicator table, sources, points, change, methods.

Each function takes a :class:`~evalkit.report.data.UnitView` and returns an :class:`HTMLBlock`
(a string with ``_repr_html_``), so a notebook cell is one call and the executed notebook
carries plain HTML. Every value taken from the data (unit names, reasons, flags, labels) is
escaped with :func:`html.escape`; nothing is recomputed: each figure is a Results row.

Indicator status (the colour of a row) compares the raw value with the target when the
spec gives one (``benefit``: value ≥ target; ``cost``: value ≤ target; ``target``: the
score is the full scale) and otherwise reads the score: ``good`` ≥ 85, ``fair`` ≥ 60,
``poor`` below, ``missing`` when the value was missing.

Examples
--------
>>> from evalkit.report.tables import indicator_status
>>> import pandas as pd
>>> ind = pd.DataFrame({"raw": [7.0, 1.0], "score": [90.0, 20.0], "missing": [False, False],
...                     "target": [6.0, None], "direction": ["benefit", "benefit"]})
>>> indicator_status(ind).tolist()
['good', 'poor']
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.figures import HTMLBlock, fmt, html_table, section
from evalkit.core.labels import label_or, t
from evalkit.report.data import UnitView, table
from evalkit.report.names import flag_labels, grade_name, names, unit_name
from evalkit.results import sort_periods

#: Score thresholds of the status colours when no target applies (points on a 0–100 scale).
STATUS_GOOD, STATUS_FAIR = 85.0, 60.0


def header(view: UnitView) -> HTMLBlock:
    """Report header: unit, category, period, total, rank x of n, grade, flags."""
    r, lang = view.row, view.lang
    cats = names(view.res, "meta_categories", "category", lang)
    cat = cats.get(str(r["category"]), str(r["category"]))
    grade = grade_name(view.res, r, lang)
    flags = flag_labels(r.get("flags"), lang) or [t("none", lang)]
    items = [
        (t("unit_id", lang), str(r["unit_id"])),
        (t("category", lang), str(cat)),
        (t("period", lang), str(view.period)),
        (t("total", lang), fmt(r["total"])),
        (t("rank", lang), t("rank_of", lang, rank=fmt(r["rank"]), n=fmt(r["n_in_category"]))),
        (t("grade", lang), fmt(grade)),
        (t("flags", lang), t("list_sep", lang).join(flags)),
    ]
    dl = "".join(f'<div><dt>{escape(k)}</dt><dd data-field="{escape(k)}">{escape(v)}</dd></div>'
                 for k, v in items)
    title = f"{unit_name(r, lang)} · {t('report_title', lang)} ({view.period})"
    return HTMLBlock(f'<header class="ek-header"><h1>{escape(title)}</h1>'
                     f'<dl class="ek-facts">{dl}</dl></header>')


def indicator_status(ind: pd.DataFrame) -> pd.Series:
    """Status per indicator row: ``good`` / ``fair`` / ``poor`` / ``missing`` (see module doc).

    ``ind`` needs ``raw``, ``score``, ``missing`` and (optionally) ``target``, ``direction``.
    """
    score = ind["score"].astype(float).to_numpy()
    raw = ind["raw"].astype(float).to_numpy()
    target = (ind["target"] if "target" in ind else pd.Series(np.nan, index=ind.index))
    target = pd.to_numeric(target, errors="coerce").to_numpy(dtype=float)
    direction = (ind["direction"] if "direction" in ind else pd.Series("", index=ind.index))
    direction = direction.astype(str).to_numpy()
    has_target = ~np.isnan(target)
    met = np.select([direction == "benefit", direction == "cost"],
                    [raw >= target, raw <= target], default=score >= 100.0 - 1e-9)
    by_score = np.select([score >= STATUS_GOOD, score >= STATUS_FAIR], ["good", "fair"], "poor")
    by_target = np.where(met, "good", np.where(score >= STATUS_FAIR, "fair", "poor"))
    status = np.where(has_target, by_target, by_score)
    missing = ind["missing"].fillna(False).astype(bool).to_numpy() | np.isnan(score)
    return pd.Series(np.where(missing, "missing", status), index=ind.index)


def indicator_frame(view: UnitView) -> pd.DataFrame:
    """The unit's indicator rows joined with their metadata, in metadata order."""
    ind = view.rows("indicators")
    meta = table(view.res, "meta_indicators")
    if meta is not None:
        keep = [c for c in ("indicator_id", "direction", "target", "unit", "method")
                if c in meta.columns]
        ind = ind.merge(meta[keep], on="indicator_id", how="left")
        order = {k: i for i, k in enumerate(meta["indicator_id"])}
        ind = ind.assign(_o=ind["indicator_id"].map(order)).sort_values("_o", kind="stable")
    return ind.reset_index(drop=True)


def indicator_table(view: UnitView) -> HTMLBlock:
    """Indicator table: name, perspective, value, target, score, weight, contribution, status."""
    lang, ind = view.lang, indicator_frame(view)
    status = indicator_status(ind)
    inames = names(view.res, "meta_indicators", "indicator_id", lang)
    pnames = names(view.res, "meta_nodes", "node_id", lang)
    unit = ind["unit"].fillna("").astype(str) if "unit" in ind else ""
    out = pd.DataFrame({
        t("indicator", lang): ind["indicator_id"].map(inames).fillna(ind["indicator_id"]),
        t("perspective", lang): ind["perspective_id"].map(pnames).fillna(ind["perspective_id"]),
        t("value", lang): ind["raw"].map(fmt) + " " + unit,
        t("target", lang): (ind["target"] if "target" in ind else pd.Series(np.nan)).map(fmt),
        t("score", lang): ind["score"],
        t("weight", lang): (ind["weight"] * 100).map(lambda w: f"{fmt(w, 1)}%"),
        t("contribution", lang): ind["contribution"],
        t("status", lang): status.map(lambda s: t(f"status_{s}", lang)),
    })
    return section(t("indicators", lang),
                   html_table(out, [f"ek-{s}" for s in status]))


def sources_table(view: UnitView) -> HTMLBlock:
    """Sources and how they combine: score × effective weight = contribution, + points."""
    lang, r = view.lang, view.row
    src = view.rows("sources")
    label = src["source"].map(lambda s: label_or(f"src_{s}", lang, s))
    out = pd.DataFrame({
        t("source", lang): label,
        t("score", lang): src["score"],
        t("weight", lang): src["weight"],
        t("effective_weight", lang): src["effective_weight"],
        t("contribution", lang): src["contribution"],
    })
    tail = pd.DataFrame({
        t("source", lang): [t("weighted_score", lang), t("bonus", lang), t("deduction", lang),
                            t("total", lang)],
        t("contribution", lang): [r["weighted_score"], r["bonus"], -r["deductions"], r["total"]],
    })
    out = pd.concat([out, tail], ignore_index=True)
    classes = [""] * len(src) + ["ek-sum", "", "", "ek-sum"]
    return section(t("sources", lang), html_table(out, classes),
                   f'<p class="ek-note">{escape(t("sources_note", lang))}</p>')


def points_table(view: UnitView) -> HTMLBlock:
    """Bonus, deductions, yellow cards and veto of the period, with the recorded reasons."""
    lang = view.lang
    pts = view.rows("points")
    if pts is None or pts.empty:
        return section(t("points", lang), f"<p>{escape(t('no_points', lang))}</p>")
    out = pd.DataFrame({
        t("kind", lang): pts["kind"].map(lambda k: label_or(k, lang, k)),
        t("points_col", lang): pts["points"],
        t("applied", lang): pts["applied"],
        t("reason", lang): pts["reason"].fillna(""),
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
        return section(t("change", lang), f"<p>{escape(t('no_history', lang))}</p>")
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
    grade = f"{grade_name(view.res, before, lang)} → {grade_name(view.res, now, lang)}"
    return section(t("change", lang), html_table(out),
                   f"<p>{escape(t('grade', lang))}: {escape(grade)}</p>")


def _flatten(d: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested mappings as ``(dotted.key, text)`` pairs (lists as JSON)."""
    if isinstance(d, dict):
        out: list[tuple[str, str]] = []
        for k, v in d.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    text = json.dumps(d, ensure_ascii=False, default=str) if isinstance(d, list) else str(d)
    return [(prefix, text)]


def methods_appendix(view: UnitView) -> HTMLBlock:
    """Methods appendix: scoring method and direction per indicator, weights, provenance.

    The weights section of the spec (how the weights were made) and the provenance record
    (input hashes, versions, seed, time) are printed as recorded, key by key.
    """
    lang, res = view.lang, view.res
    parts: list[str] = []
    meta = table(res, "meta_indicators")
    if meta is not None:
        inames = names(res, "meta_indicators", "indicator_id", lang)
        direction = meta["direction"].map(
            lambda d: label_or("target_dir" if d == "target" else str(d), lang, str(d)))
        parts.append(html_table(pd.DataFrame({
            t("indicator", lang): meta["indicator_id"].astype(str).map(inames),
            t("direction", lang): direction,
            t("scoring_method", lang): meta["method"] if "method" in meta else "",
        })))
    spec = getattr(res, "spec", {}) or {}
    weights = spec.get("weights") if isinstance(spec, dict) else None
    if weights:
        items = "".join(f"<li><code>{escape(k)}</code>: {escape(v)}</li>"
                        for k, v in _flatten(weights, "weights"))
        parts.append(f"<h3>{escape(t('weight', lang))}</h3><ul>{items}</ul>")
    prov = {k: v for k, v in (getattr(res, "provenance", {}) or {}).items() if k != "spec"}
    if prov:
        items = "".join(f"<li><code>{escape(k)}</code>: {escape(v)}</li>"
                        for k, v in _flatten(prov))
        parts.append(f"<h3>{escape(t('provenance', lang))}</h3><ul class='ek-prov'>{items}</ul>")
    return section(t("methods", lang), *parts)
