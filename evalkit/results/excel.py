"""The workbook for people, ``results.xlsx``: every Results table as a sheet ready to use.

One sheet per table in the schema's order (:func:`~evalkit.results.schema.sheet_order`), named
and headed in the workbook's language (``zh``, ``en``; ``id``: the table and column names);
names beside codes (units, categories, indicators, perspectives, sources, kinds; in ``totals``
the category is written by name); vocabularies and yes/no in words; shares as ``0.00%``,
counts and ranks as ``0``, other figures as ``0.00``; formula-like text made inert (``'=…``);
the current period's rows (all periods are in the Parquet files; ``totals`` adds the previous
period's total and rank beside each unit's) sorted by category and rank. The scores by
indicator, perspective and source are written wide (:data:`WIDE`): one row per unit, a
column per indicator (per perspective, per source and figure), as an office reads them.
Written by :func:`evalkit.results.xlsx.write_sheets` (bold header, autofilter, header and
id/name columns frozen, widths fitted to the text, a fixed creation time: the same Results
give the same bytes).

Examples
--------
>>> from evalkit.results.excel import WIDE
>>> WIDE["sources"]
('source', ('score', 'weight', 'effective_weight', 'contribution'))
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evalkit.core.labels import (
    check_lang,
    column_label,
    label_or,
    name_column,
    sheet_label,
    t,
)
from evalkit.inputs.tables import as_matrix
from evalkit.results.schema import sheet_order, sort_periods
from evalkit.results.workbook_labels import SHEETS  # noqa: F401  (registers the labels)
from evalkit.results.xlsx import INT, NUM2, PCT, Sheet, write_sheets

if TYPE_CHECKING:
    from evalkit.results.store import Results


#: Rows of a sheet at most (a longer table's sheet says where its rows are: its Parquet file).
ROW_LIMIT = 10_000
#: Shares (0–1) written as percentages.
PERCENT = re.compile(r"^(weight|effective_weight|rate(_lo|_hi)?|closure_rate|on_time_rate|"
                     r"return_rate|quota|coverage|p_.+)$")
#: Counts, ranks and months written without decimals.
INTEGER = re.compile(r"^(rank|prev_rank|nominal_rank|n|n_.+|month|due|planned|closed|open|"
                     r"closed_on_time|closed_late|rolled_over|backlog|highlights|round|row|k_items|issued|"
                     r"returned|valid|unmarked|excluded|months_overdue|level)$")
#: Columns holding words of a fixed vocabulary: (table or "*", column) -> label prefix.
VOCABULARY: dict[tuple[str, str], str] = {
    ("*", "method"): "wb.m.", ("*", "aggregation"): "wb.agg.", ("*", "policy"): "wb.pol.",
    ("*", "escalation"): "tasks_level_", ("*", "group"): "survey_group_",
    ("tasks_progress", "status"): "tasks_light_", ("survey_by_group", "status"): "wb.st.",
    ("survey_flags", "status"): "wb.st.", ("peer_audit", "action"): "wb.st.",
    ("survey_audit", "reason"): "survey_reason_", ("*", "direction"): "",
    ("tasks_ledger", "status"): "tasks_", ("uncertainty", "band"): "wb.band.",
    ("indicators", "status"): "status_", ("indicators", "flags"): "flag_",
    ("input_audit", "what"): "audit.", ("input_audit", "table"): "audit_table."}
_RENAME = {"target": "target_dir", "late": "closed_late", "on_time": "closed_on_time"}
#: Id columns followed by their names: id -> (metadata table or "", key or label prefix, name).
NAMED = {"category": ("meta_categories", "category", "category_name"),
         "indicator_id": ("meta_indicators", "indicator_id", "indicator_name"),
         "perspective_id": ("meta_nodes", "node_id", "perspective_name"),
         "node_id": ("meta_nodes", "node_id", "node_name"),
         "source": ("", "src_", "source_name"), "kind": ("", "", "kind_name"),
         "rater_group": ("", "peer_group_", "rater_group_name")}
_NAMES, _FORMULA_START = ("unit_name", "name", "indicator_name", "group_label",
                          "project_name"), ("=", "+", "-", "@", "\t", "\r")
#: Long tables written wide, one row per unit: table -> (key column, its figures), in order.
WIDE = {"indicators": ("indicator_id", ("score",)),
        "nodes": ("node_id", ("score", "weight", "contribution")),
        "sources": ("source", ("score", "weight", "effective_weight", "contribution"))}


def each_value(s: pd.Series, f: Callable[[Any], Any], as_object: bool = False) -> pd.Series:
    """``s.map(f)`` (``s.astype(object).map(f)`` with ``as_object``), calling ``f`` once per
    distinct value of a text column (a column of codes or names repeats a few values)."""
    if not isinstance(s.dtype, pd.StringDtype):
        return (s.astype(object) if as_object else s).map(f)
    codes, uniq = pd.factorize(s, use_na_sentinel=False)      # missing: a value too
    mapped = (pd.Series(uniq).astype(object) if as_object else pd.Series(uniq)).map(f)
    return pd.Series(mapped.array.take(codes), index=s.index, name=s.name)


def meta_names(res: Results, table: str, key: str, lang: str) -> dict[str, str]:
    """id -> name in ``lang`` from a metadata table (English falls back to Chinese, then id)."""
    df = res.tables.get(table)
    if df is None or df.empty or "name" not in df.columns:
        return {}
    name = df[name_column("name", lang)] if name_column("name", lang) in df else df["name"]
    name = name.where(name.notna() & (name.astype(str) != ""), df["name"]).fillna(df[key])
    return dict(zip(df[key].astype(str), name.astype(str), strict=True))


def unit_names(res: Results, lang: str) -> pd.Series:
    """unit_id -> the unit's name in ``lang`` (its latest row of ``totals``)."""
    tot = res.tables.get("totals", pd.DataFrame())
    if not {"unit_id", "unit_name"} <= set(tot.columns):
        return pd.Series(dtype=str)
    col = name_column("unit_name", lang)
    names = tot[col] if col in tot.columns else tot["unit_name"]
    names = names.where(names.notna() & (names.astype(str) != ""), tot["unit_name"])
    return pd.Series(names.astype(str).to_numpy(), index=tot["unit_id"].astype(str)) \
        .groupby(level=0).last()


def names_of(res: Results, col: str, values: pd.Series, lang: str) -> pd.Series:
    """The names of the ids in ``values`` (an id column of :data:`NAMED`)."""
    table, key, _ = NAMED[col]
    v = values.astype(str)
    if table:
        names = meta_names(res, table, key, lang)
        return each_value(v, lambda x: names.get(x, x))
    return each_value(v, lambda x: label_or(key + x, lang, x))


def current_totals(res: Results) -> pd.DataFrame:
    """The current period's ``totals``, one row per unit (index ``unit_id``); may be empty."""
    tot = res.tables.get("totals")
    if tot is None or "unit_id" not in tot.columns:
        return pd.DataFrame()
    if "period" in tot.columns and res.current_period is not None:
        tot = tot.loc[tot["period"].astype(str) == str(res.current_period)]
    return tot.drop_duplicates("unit_id").set_index("unit_id")


def sort_rows(res: Results, df: pd.DataFrame, cur: pd.DataFrame | None = None
              ) -> pd.DataFrame:
    """Rows by period (newest first), category (the spec's order), rank and unit, stably;
    a table without its own category and rank takes them from ``totals`` (``cur``)."""
    keys = pd.DataFrame(index=df.index)
    if "period" in df.columns:
        keys["p"] = -pd.to_numeric(df["period"].astype(str), errors="coerce").fillna(0)
    if "unit_id" in df.columns:
        cur, uid = current_totals(res) if cur is None else cur, df["unit_id"]
        for key, col in (("c", "category"), ("r", "rank")):
            if col in df.columns or col in cur.columns:
                keys[key] = df[col] if col in df.columns else uid.map(cur[col])
        if "c" in keys:
            cats = list(meta_names(res, "meta_categories", "category", "zh"))
            keys["c"] = keys["c"].astype(str).map({c: i for i, c in enumerate(cats)})
        keys["u"] = uid.astype(str)
    if not len(keys.columns):
        return df
    return df.loc[keys.sort_values(list(keys.columns), kind="stable").index]


def with_names(res: Results, name: str, df: pd.DataFrame, lang: str,
               units: pd.Series | None = None) -> pd.DataFrame:
    """Names beside codes (``totals`` keeps its columns: its category is written by name)."""
    if name == "totals":
        return df.assign(category=names_of(res, "category", df["category"], lang)) \
            if "category" in df.columns else df
    units = unit_names(res, lang) if units is None else units
    cols: list[tuple[str, pd.Series]] = []
    for c in map(str, df.columns):
        cols.append((c, df[c]))
        if c == "unit_id" and "unit_name" not in df.columns:
            cols.append(("unit_name", df[c].astype(str).map(units)))
        elif (c in NAMED and (not name.startswith("meta_") or name == "meta_weights")) \
                or c == "perspective_id":
            cols.append((NAMED[c][2], names_of(res, c, df[c], lang)))
    return pd.DataFrame(dict(cols), index=df.index)


#: Words of the input audit's locations (``input_audit.where``) in Chinese; ids stay as they are.
WHERE_ZH = ((re.compile(r"\bindicators? "), "指标 "), (re.compile(r"\brule "), "规则 "),
            (re.compile(r", category "), "，类别 "), (re.compile(r"\bsource "), "来源 "),
            (re.compile(r"\bperiods? "), "年度 "), (re.compile(r"\bcolumn "), "列 "),
            (re.compile(r"^units$"), "单位"), (re.compile(r"^sources$"), "评价来源"))


def where_zh(text: str) -> str:
    """An audit location in Chinese words: ``indicator D04`` → ``指标 D04``.

    >>> where_zh("perspectives[0] (duties), category township")
    'perspectives[0] (duties)，类别 township'
    """
    for pattern, word in WHERE_ZH:
        text = pattern.sub(word, text)
    return text


def in_words(name: str, df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Fixed vocabularies in words, booleans as 是/否, text made inert."""
    out = {}
    for c in map(str, df.columns):
        s = df[c]
        prefix = VOCABULARY.get((name, c), VOCABULARY.get(("*", c)))
        if pd.api.types.is_bool_dtype(s):
            s = s.map({True: t("yes", lang), False: t("no", lang)})
        elif prefix is not None and not pd.api.types.is_numeric_dtype(s):
            s = each_value(s, lambda v, p=prefix: label_or(p + _RENAME.get(v, v), lang, v)
                           if isinstance(v, str) and v else v)
        if name == "input_audit" and c == "where" and lang == "zh":
            s = each_value(s, lambda v: where_zh(v) if isinstance(v, str) else v, True)
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            s = each_value(s, lambda v: "'" + v if isinstance(v, str) and
                           v.startswith(_FORMULA_START) else v, True)
        out[c] = s
    return pd.DataFrame(out, index=df.index)


def header(res: Results, column: str, lang: str) -> str:
    """A column's header in ``lang`` (``p_top_3``: 前 3 名的概率; ``p_grade_<id>`` by name;
    ``lang="id"``: the column's name)."""
    if lang == "id":
        return column
    m = re.fullmatch(r"p_(top|bottom)_(\d+)|p_grade_(?!change$)(.+)", column)
    if m and m.group(3):
        grade = meta_names(res, "meta_grades", "grade", lang).get(m.group(3), m.group(3))
        return t("col.p_grade", lang, grade=grade)
    return t(f"col.p_{m.group(1)}", lang, k=m.group(2)) if m else column_label(column, lang)


def number_format(column: str, s: pd.Series) -> str:
    """A column's format: ``0.00%`` (shares), ``0`` (counts, ranks), ``0.00``, ``""`` (text)."""
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return ""
    integer = INTEGER.match(column) or pd.api.types.is_integer_dtype(s)
    return PCT if PERCENT.match(column) else INT if integer else NUM2


def table_sheet(res: Results, name: str, lang: str, used: set[str],
                cur: pd.DataFrame | None = None, units: pd.Series | None = None) -> Sheet:
    """The sheet of the Results table ``name`` (see the module doc): a wide sheet for the
    tables of :data:`WIDE`, a note for a table longer than :data:`ROW_LIMIT` rows (``cur``,
    ``units``: :func:`current_totals`, :func:`unit_names` in ``lang`` or Chinese, when at
    hand)."""
    title = name if lang == "id" else sheet_label(name, lang)
    cur = current_totals(res) if cur is None else cur
    if name in WIDE and {"category", "rank", "total"} <= set(cur.columns) and \
            {"period", "unit_id", WIDE[name][0], *WIDE[name][1]} <= set(res.tables[name]):
        return wide_sheet(res, name, "zh" if lang == "id" else lang, title, used,
                          ids=lang == "id", cur=cur, units=units)
    df = res.tables[name]
    if name == "totals":
        df = with_previous(df, res.current_period)
    elif "period" in df.columns and res.current_period is not None:
        now = df.loc[df["period"].astype(str).isin([str(res.current_period), "all"])]
        df = now if len(now) else df
    if name != "totals" and len(df) > ROW_LIMIT:
        note = t("wb.too_long", "zh" if lang == "id" else lang, rows=len(df), limit=ROW_LIMIT,
                 file=f"{name}.parquet")
        return Sheet(sheet_name(title, used), pd.DataFrame({header(res, "note", lang): [note]}),
                     [""])
    df = sort_rows(res, df, cur)
    if lang != "id":
        df = in_words(name, with_names(res, name, df, lang, units), lang)
    cols = [str(c) for c in df.columns]
    formats = [number_format(c, df[c]) for c in cols]
    freeze = next((i + 1 for i, c in enumerate(cols[:6]) if c in _NAMES), 0)
    if lang != "id":
        df = df.set_axis([header(res, c, lang) for c in cols], axis=1)
    return Sheet(sheet_name(title, used), df, formats, freeze)


def with_previous(tot: pd.DataFrame, current: Any) -> pd.DataFrame:
    """The current period's ``totals`` with each unit's total and rank of its latest earlier
    period beside (``prev_total``, ``prev_rank``; empty for a unit new this period: the
    unit report's change table takes the same period); ``tot`` as it is without a current
    period in it. Periods in time order by :func:`~evalkit.results.schema.sort_periods`.

    >>> tot = pd.DataFrame({"period": ["2023", "2024", "2025", "2025", "2025"],
    ...                     "unit_id": ["C", "A", "A", "B", "C"],
    ...                     "total": [60.0, 80.0, 90.0, 70.0, 75.0], "rank": [3, 1, 1, 2, 3]})
    >>> with_previous(tot, "2025")[["unit_id", "prev_total", "prev_rank"]].values.tolist()
    [['A', 80.0, 1.0], ['B', nan, nan], ['C', 60.0, 3.0]]
    """
    if current is None or not {"period", "unit_id", "total", "rank"} <= set(tot.columns):
        return tot
    p = tot["period"].astype(str)
    now = tot.loc[p == str(current)]
    order = {q: i for i, q in enumerate(sort_periods(tot["period"].dropna()))}
    rank = p.map(order)
    before = tot.loc[rank < order.get(str(current), -1)]
    if now.empty or before.empty:
        return now if len(now) else tot
    prev = before.iloc[np.argsort(rank[before.index].to_numpy(), kind="stable")] \
        .drop_duplicates("unit_id", keep="last").set_index("unit_id")
    at = now.columns.get_loc("rank") + 1
    cols = {"prev_total": now["unit_id"].map(prev["total"]).astype(float),
            "prev_rank": now["unit_id"].map(prev["rank"]).astype(float)}
    return pd.concat([now.iloc[:, :at], pd.DataFrame(cols, index=now.index), now.iloc[:, at:]],
                     axis=1)


def key_names(res: Results, key: str, ids: pd.Series, lang: str) -> dict[str, str]:
    """The ids of the column ``key`` (one of :data:`NAMED`) in their order → their names:
    the metadata table's order, then any other id in the order of ``ids``."""
    table, meta_key, _ = NAMED[key]
    names = meta_names(res, table, meta_key, lang) if table else {}
    seen = pd.unique(ids.astype(str).to_numpy())
    known = [k for k in names if k in set(seen)] + [k for k in seen if k not in names]
    return {k: names.get(k, k) if table else label_or(meta_key + k, lang, k) for k in known}


def wide_sheet(res: Results, name: str, lang: str, title: str, used: set[str],
               ids: bool = False, cur: pd.DataFrame | None = None,
               units: pd.Series | None = None) -> Sheet:
    """A long table of :data:`WIDE` written one row per unit: the current period's rows,
    category, rank, unit, total, then for each indicator (perspective, source) its figures,
    headed by its name beside its code (``地区生产总值增速（D01）``; with several figures
    ``官评（office）·得分``); empty where it does not apply; sorted by category and rank
    (``cur``, ``units``: as :func:`table_sheet`; ``ids``: column names as headers)."""
    key, figures = WIDE[name]
    cur = current_totals(res) if cur is None else cur
    units = unit_names(res, lang) if units is None else units
    df = res.tables[name]
    df = df.loc[df["period"].astype(str) == str(res.current_period)]
    names = key_names(res, key, df[key], lang)
    head = sort_rows(res, cur[["category", "rank", "total"]].reset_index(), cur)
    uid = head["unit_id"].astype(str)
    out = {"category_name": names_of(res, "category", head["category"], lang).to_numpy(),
           "rank": head["rank"].to_numpy(), "unit_id": uid.to_numpy(),
           "unit_name": uid.map(units).to_numpy(), "total": head["total"].to_numpy()}
    labels = [*out] if ids else [header(res, k, lang) for k in out]
    formats = ["", INT, "", "", NUM2]
    long = df.rename(columns={key: "indicator_id"})           # as_matrix's names
    grids = {f: as_matrix(long.assign(value=long[f]), res.current_period, pd.Index(uid),
                          list(names)).to_numpy() for f in figures}
    for j, (k, kname) in enumerate(names.items()):
        for f in figures:
            code = f"{k}.{f}" if len(figures) > 1 else k
            shown = f"{kname}（{k}）" if lang == "zh" else f"{kname} ({k})"
            out[code] = grids[f][:, j]
            labels.append(code if ids else shown if len(figures) == 1
                          else f"{shown}·{header(res, f, lang)}")
            formats.append(PCT if PERCENT.match(f) else NUM2)
    return Sheet(sheet_name(title, used), pd.DataFrame(out).set_axis(labels, axis=1),
                 formats, 4)


def wide_scores(res: Results, lang: str, title: str, used: set[str]) -> Sheet:
    """Units × indicators: the current period's scores (:func:`wide_sheet` of ``indicators``)."""
    return wide_sheet(res, "indicators", lang, title, used)


def sheet_name(text: str, used: set[str]) -> str:
    """A valid sheet name not in ``used`` (≤ 31 characters, none of ``[]:*?/\\``); added."""
    base = re.sub(r"[\[\]:*?/\\]", "_", text)[:31] or "_"
    out, k = base, 1
    while out in used:
        out, k = f"{base[:31 - len(str(k)) - 1]}_{k}", k + 1
    used.add(out)
    return out


def evaluation_name(res: Results, lang: str) -> str:
    """The evaluation's name in ``lang`` (its id, else "evalkit")."""
    ev = (res.spec or {}).get("evaluation") or {}
    return str(ev.get(name_column("name", lang)) or ev.get("name") or ev.get("id") or "evalkit")


def write_workbook(res: Results, path: str | Path, lang: str = "zh") -> Path:
    """Write ``results.xlsx``: one sheet per table (see the module doc); return ``path``.

    ``lang`` is ``zh``, ``en`` or ``id`` (table and column names, values as stored).
    """
    if lang != "id":
        check_lang(lang, "headers")
    used: set[str] = set()
    cur, units = current_totals(res), unit_names(res, "zh" if lang == "id" else lang)
    sheets = [table_sheet(res, name, lang, used, cur, units) for name in sheet_order(res.tables)]
    return write_sheets(sheets, path, evaluation_name(res, "zh" if lang == "id" else lang))
