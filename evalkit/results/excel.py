"""The workbook for people, ``results.xlsx``: every Results table as a sheet ready to use.

One sheet per table in the schema's order (:func:`~evalkit.results.schema.sheet_order`), named
and headed in the workbook's language (``zh``, ``en``; ``id``: the table and column names);
names beside codes (units, categories, indicators, perspectives, sources, kinds; in ``totals``
the category is written by name); vocabularies and yes/no in words; shares as ``0.00%``,
counts and ranks as ``0``, other figures as ``0.00``; formula-like text made inert (``'=…``);
the current period's rows (``totals``: every period; all periods are in the Parquet files)
sorted by category and rank; bold header, autofilter, header and id/name columns frozen,
widths fitted to the text (a CJK character counts two). Written by XlsxWriter in
constant-memory mode with a fixed creation time (the same Results give the same bytes);
:func:`write_sheets` also writes the publication workbook
(:func:`evalkit.report.overview.write_publication`).

Examples
--------
>>> from evalkit.results.excel import display_width
>>> display_width("乡镇abc")
7
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xlsxwriter

from evalkit.core.atomic import atomic_path
from evalkit.core.labels import (
    check_lang,
    column_label,
    label_or,
    name_column,
    sheet_label,
    t,
)
from evalkit.results.provenance import fixed_time
from evalkit.results.schema import sheet_order
from evalkit.results.workbook_labels import SHEETS  # noqa: F401  (registers the labels)

if TYPE_CHECKING:
    from evalkit.results.store import Results


NUM2, PCT, INT = "0.00", "0.00%", "0"
#: Rows of a sheet at most (a longer table's sheet says where its rows are: its Parquet file).
ROW_LIMIT = 10_000
#: Shares (0–1) written as percentages.
PERCENT = re.compile(r"^(weight|effective_weight|rate(_lo|_hi)?|closure_rate|on_time_rate|"
                     r"return_rate|quota|coverage|p_.+)$")
#: Counts, ranks and months written without decimals.
INTEGER = re.compile(r"^(rank|nominal_rank|n|n_.+|month|due|planned|closed|open|closed_on_time|"
                     r"closed_late|rolled_over|backlog|highlights|round|row|k_items|issued|"
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
_CJK = re.compile(r"[\u2e80-\uffff]")


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: a CJK character 2, another character 1."""
    return len(text) + len(_CJK.findall(text))


def each_value(s: pd.Series, f: Callable[[Any], Any], as_object: bool = False) -> pd.Series:
    """``s.map(f)`` (``s.astype(object).map(f)`` with ``as_object``), calling ``f`` once per
    distinct value of a text column (a column of codes or names repeats a few values)."""
    if not isinstance(s.dtype, pd.StringDtype):
        return (s.astype(object) if as_object else s).map(f)
    codes, uniq = pd.factorize(s, use_na_sentinel=False)      # missing: a value too
    mapped = (pd.Series(uniq).astype(object) if as_object else pd.Series(uniq)).map(f)
    return pd.Series(mapped.array.take(codes), index=s.index, name=s.name)


@dataclass
class Sheet:
    """A sheet: name, frame (final headers), formats (``""``: text), frozen columns, title."""

    name: str
    frame: pd.DataFrame
    formats: list[str]
    freeze: int = 0
    title: str = ""


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
    """The sheet of the Results table ``name`` (see the module doc): the wide score sheet for
    ``indicators``, a note for a table longer than :data:`ROW_LIMIT` rows (``cur``, ``units``:
    :func:`current_totals`, :func:`unit_names` in ``lang`` or Chinese, when at hand)."""
    title = name if lang == "id" else sheet_label(name, lang)
    cur = current_totals(res) if cur is None else cur
    wide = {"category", "rank", "total"} <= set(cur.columns) and \
        {"period", "unit_id", "indicator_id", "score"} <= set(res.tables[name].columns)
    if name == "indicators" and wide:
        return wide_scores(res, "zh" if lang == "id" else lang, title, used, ids=lang == "id",
                           cur=cur, units=units)
    df = res.tables[name]
    if name != "totals" and "period" in df.columns and res.current_period is not None:
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


def wide_scores(res: Results, lang: str, title: str, used: set[str], ids: bool = False,
                cur: pd.DataFrame | None = None, units: pd.Series | None = None) -> Sheet:
    """Units × indicators: the current period's scores, one row per unit (category, rank,
    unit, total, then each indicator, its name beside its code; empty where it does not
    apply), sorted by category and rank (``cur``, ``units``: as :func:`table_sheet`)."""
    cur = current_totals(res) if cur is None else cur
    units = unit_names(res, lang) if units is None else units
    ind = res.tables["indicators"]
    ind = ind.loc[ind["period"].astype(str) == str(res.current_period)]
    wide = ind.pivot_table(index="unit_id", columns="indicator_id", values="score",
                           aggfunc="first")
    names = meta_names(res, "meta_indicators", "indicator_id", lang)
    cols = [c for c in names if c in wide.columns] + [c for c in wide.columns if c not in names]
    head = sort_rows(res, cur[["category", "rank", "total"]].reset_index(), cur)
    uid = head["unit_id"].astype(str)
    out = pd.DataFrame({"category_name": names_of(res, "category", head["category"], lang),
                        "rank": head["rank"], "unit_id": uid,
                        "unit_name": uid.map(units), "total": head["total"]})
    out = pd.concat([out.reset_index(drop=True),
                     wide.reindex(uid)[cols].reset_index(drop=True)], axis=1)
    labels = list(out.columns[:5]) + cols if ids else \
        [header(res, c, lang) for c in out.columns[:5]] + \
        [f"{names.get(c, c)}（{c}）" if lang == "zh" else f"{names.get(c, c)} ({c})" for c in cols]
    return Sheet(sheet_name(title, used), out.set_axis(labels, axis=1),
                 ["", INT, "", "", NUM2] + [NUM2] * len(cols), 4)


def sheet_name(text: str, used: set[str]) -> str:
    """A valid sheet name not in ``used`` (≤ 31 characters, none of ``[]:*?/\\``); added."""
    base = re.sub(r"[\[\]:*?/\\]", "_", text)[:31] or "_"
    out, k = base, 1
    while out in used:
        out, k = f"{base[:31 - len(str(k)) - 1]}_{k}", k + 1
    used.add(out)
    return out


# -- writing -----------------------------------------------------------------------------------
def _values(s: pd.Series, fmt: str) -> list[Any]:
    """A column as the writer's values: floats (NaN: empty) or text (None: empty)."""
    if fmt:
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan).tolist()
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v == ""
            else str(v) for v in s.tolist()]


def column_widths(sheet: Sheet) -> list[float]:
    """Widths fitted to the header and the values (a CJK character counts two), 6 to 60."""
    out = []
    for j, (c, fmt) in enumerate(zip(sheet.frame.columns, sheet.formats, strict=True)):
        s = sheet.frame.iloc[:, j].dropna()
        if fmt:
            v = pd.to_numeric(s, errors="coerce").abs().max() if len(s) else 0.0
            body = len(f"{v:.2f}") + (2 if fmt == PCT else 0) if pd.notna(v) else 4
        else:
            u = pd.Series(s.astype(str).unique()[:20000], dtype=str)
            body = int((u.str.len() + u.str.count(_CJK.pattern)).max()) if len(u) else 4
        out.append(float(min(max(body + 1, display_width(str(c)) + 3, 6), 60)))
    return out


def _write_sheet(wb: Any, sheet: Sheet, styles: Mapping[str, Any]) -> None:
    """One sheet: title, bold header with an autofilter, frozen panes, formatted rows."""
    ws = wb.add_worksheet(sheet.name)
    top = 1 if sheet.title else 0
    for j, w in enumerate(column_widths(sheet)):
        ws.set_column(j, j, w)
    if sheet.title:
        ws.write_string(0, 0, sheet.title, styles["title"])
    ws.write_row(top, 0, [str(c) for c in sheet.frame.columns], styles["head"])
    ws.freeze_panes(top + 1, sheet.freeze)
    ws.autofilter(top, 0, top + max(len(sheet.frame), 1), len(sheet.frame.columns) - 1)
    cols = [_values(sheet.frame.iloc[:, j], f) for j, f in enumerate(sheet.formats)]
    fmts = [styles.get(f) for f in sheet.formats]
    write_number, write_string = ws.write_number, ws.write_string
    for i, row in enumerate(zip(*cols, strict=True), start=top + 1):
        for j, v in enumerate(row):
            if v is None or v != v:
                continue
            if fmts[j] is not None:
                write_number(i, j, v, fmts[j])
            else:
                write_string(i, j, v)


def write_sheets(sheets: Sequence[Sheet], path: str | Path, title: str) -> Path:
    """Write ``sheets`` to the workbook ``path`` atomically (XlsxWriter, constant memory,
    a fixed creation time); return ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_urls": False,
                                            "strings_to_formulas": False})
        wb.set_properties({"title": title, "author": "evalkit", "created": fixed_time()})
        styles = {"head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
                  "title": wb.add_format({"bold": True, "font_size": 14}),
                  **{f: wb.add_format({"num_format": f}) for f in (NUM2, PCT, INT)}}
        for sheet in sheets:
            _write_sheet(wb, sheet, styles)
        wb.close()
    return path


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
