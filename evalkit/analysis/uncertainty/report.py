"""What a unit report shows about the robustness of a unit's rank, and where the weights
come from: HTML built with the :mod:`evalkit.core.figures` primitives (this layer never
imports :mod:`evalkit.report`, which calls :func:`report_section` as its hook)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.figures import HTMLBlock, html_table

_HEAD = {"zh": ("节点", "方法", "约定", "诊断", "提示"),
         "en": ("node", "method", "conventions", "diagnostics", "flags")}
_TITLE = {"zh": "权重来源", "en": "Where the weights come from"}


def _texts(r: pd.Series) -> tuple[str, str]:
    """The English and Chinese sentences of a unit's rank (simultaneous set when the table
    has one, and the marginal interval)."""
    lo, hi, nom, n = int(r["rank_p05"]), int(r["rank_p95"]), int(r["nominal_rank"]), \
        int(r["n_in_category"])
    if "rank_lo_joint" not in r.index or pd.isna(r["rank_lo_joint"]):
        return ((f"Rank {nom} of {n}; with plausible weights between {lo} and {hi} "
                 "(90% of replications)."),
                (f"类内排名第{nom}名（共{n}个）；在合理的权重变动下，"
                 f"90%的模拟排名位于第{lo}至第{hi}名之间。"))
    jlo, jhi = int(r["rank_lo_joint"]), int(r["rank_hi_joint"])
    cov = float(r["coverage"]) if "coverage" in r.index and pd.notna(r["coverage"]) else 0.9
    pct = f"{cov:.0%}"
    span_en = f"{jlo}–{jhi}" if jhi > jlo else f"{jlo}"
    span_zh = f"第{jlo}–{jhi}名" if jhi > jlo else f"第{jlo}名"
    return ((f"Rank {nom}, plausibly {span_en} (of {n}; the ranges of all units hold "
             f"together in {pct} of replications with plausible weights; this unit alone: "
             f"{lo}–{hi} in 90%)."),
            (f"类内排名第{nom}名，合理范围{span_zh}（共{n}个；在合理的权重变动下，各单位的范围在{pct}"
             f"的模拟中同时成立；仅看本单位，90%的模拟排名位于第{lo}至第{hi}名之间）。"))


def unit_rank_interval(table: pd.DataFrame, unit_id: str,
                       weight_provenance: Mapping[str, Any] | None = None,
                       period: Any = None) -> dict[str, Any]:
    """What a unit report shows about the robustness of the unit's rank.

    ``table`` is :meth:`MonteCarloResult.table` (stored in the Results as ``uncertainty``);
    returns ``{"unit_id", "category", "nominal_rank", "rank_median", "rank_p05",
    "rank_p95", "rank_lo_joint", "rank_hi_joint", "n_in_category", "p_top_k"...,
    "p_grade_*"..., "text_zh", "text_en", "weights": weight_provenance}``; ``None``-valued
    figures when the unit is absent (no Monte Carlo was run for it).

    The sentence ("rank 3, plausibly 2–6" / "类内排名第3名，合理范围第2–6名") gives the simultaneous
    rank set (``rank_lo_joint`` – ``rank_hi_joint``, :func:`~evalkit.analysis.uncertainty.
    ranksets.joint_rank_sets`): the ranges of all units hold together, so the unit may be
    compared with any other; the marginal 90 % interval (for the unit alone) follows. A
    table without simultaneous sets gives the marginal interval only.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"unit_id": ["T01"], "category": ["township"], "nominal_rank": [3],
    ...                   "rank_median": [3.0], "rank_p05": [2.0], "rank_p95": [5.0],
    ...                   "n_in_category": [20]})
    >>> unit_rank_interval(t, "T01")["text_en"]
    'Rank 3 of 20; with plausible weights between 2 and 5 (90% of replications).'
    >>> t = t.assign(rank_lo_joint=[2], rank_hi_joint=[6])
    >>> unit_rank_interval(t, "T01")["text_en"].split(" (")[0]
    'Rank 3, plausibly 2–6'
    >>> unit_rank_interval(t, "T01")["text_zh"].split("（")[0]
    '类内排名第3名，合理范围第2–6名'
    """
    t = table
    if period is not None and "period" in t.columns:
        t = t[t["period"].astype(str) == str(period)]
    row = t[t["unit_id"].astype(str) == str(unit_id)]
    out: dict[str, Any] = {"unit_id": unit_id, "weights": dict(weight_provenance or {})}
    if row.empty:
        out.update({"nominal_rank": None, "rank_p05": None, "rank_p95": None,
                    "rank_lo_joint": None, "rank_hi_joint": None, "text_zh": "",
                    "text_en": ""})
        return out
    r = row.iloc[-1]
    for k, v in r.items():
        if k != "period":
            out[str(k)] = v.item() if isinstance(v, np.generic) else v
    out["text_en"], out["text_zh"] = _texts(r)
    return out


def weights_of_period(weights: Mapping[str, Any], period: Any = None) -> Mapping[str, Any]:
    """``results.provenance["weights"]`` (``{period: {category: provenance}}``) of ``period``
    (None: the last period); ``{}`` when the period has no scheme-made weights."""
    if not weights:
        return {}
    key = list(weights)[-1] if period is None else str(period)
    return weights.get(key) or {}


def _scheme_rows(by_cat: Mapping[str, Any], category: str | None) -> list[list[str]]:
    """One row per weighted node of the category (default: the first): node, method,
    conventions, numeric diagnostics, flags."""
    cats = [category] if category in by_cat else list(by_cat)[:1]
    rows = []
    for c in cats:
        for node, s in ((by_cat[c] or {}).get("schemes") or {}).items():
            diag = {k: v for k, v in (s.get("diagnostics") or {}).items()
                    if isinstance(v, int | float) and not isinstance(v, bool)}
            rows.append([str(node), str(s.get("method", "")),
                         "; ".join(f"{k}: {v}" for k, v in (s.get("conventions") or {}).items()),
                         "; ".join(f"{k} = {v:.4g}" for k, v in diag.items()),
                         "; ".join(s.get("flags") or [])])
    return rows


def report_section(results: Any, unit_id: str, lang: str = "zh") -> HTMLBlock | None:
    """HTML for a unit report: the unit's rank interval and the weights' provenance.

    Reads the Results table ``uncertainty`` (:meth:`MonteCarloResult.table`, if the
    evaluation stored one) and ``results.provenance["weights"]`` — per period, per category,
    each node's scheme with its method, conventions, consistency figures and flags
    (:func:`evalkit.weights.hierarchy.tree_weights`) — of the period of the unit's row in the
    uncertainty table (else the last period). Returns None when neither is present, so the
    report skips the section. This is the ``report_section(results, unit_id, lang)`` hook of
    :mod:`evalkit.report.sections`.
    """
    tables = getattr(results, "tables", {}) or {}
    prov = (getattr(results, "provenance", {}) or {}).get("weights") or {}
    parts: list[str] = []
    t = tables.get("uncertainty")
    period = category = None
    if t is not None and len(t):
        mine = t[t["unit_id"].astype(str) == str(unit_id)]
        if "period" in t.columns:
            period = (mine if len(mine) else t)["period"].iloc[-1]
        info = unit_rank_interval(t, unit_id, period=period)
        category = None if info.get("category") is None else str(info["category"])
        if info.get("nominal_rank") is not None:
            text = info["text_zh" if lang == "zh" else "text_en"]
            parts.append(f"<p>{html.escape(text)}</p>")
    rows = _scheme_rows(weights_of_period(prov, period), category)
    if rows:
        key = "zh" if lang == "zh" else "en"
        parts.append(f"<p><b>{html.escape(_TITLE[key])}</b></p>"
                     + html_table(pd.DataFrame(rows, columns=list(_HEAD[key]))))
    return HTMLBlock("".join(parts)) if parts else None
