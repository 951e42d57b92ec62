"""Checks of the tables evaluate reads itself: units, indicator values, points.

Each check appends every problem it finds to ``problems`` (an
:class:`~evalkit.core.errors.EvalkitError` naming the file, sheet, row as Excel shows it and
column) and records what a declared policy did in the table's ``attrs['audit']`` and
``attrs['warnings']``; :func:`evalkit.inputs.tables.load_tables` raises the problems together.

Examples
--------
>>> import pandas as pd
>>> rows(np.array([True, False, True]), np.array([2, 3, 4]))
'rows 2, 4'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, TableError
from evalkit.inputs.vocabulary import Parsed, cell_problems, excel_rows, parse_numbers
from evalkit.spec.practice import POINT_KIND_NAMES
from evalkit.spec.schema import Spec

#: Chinese names of point kinds (加扣分标准) read as the kinds.
#: Point kinds as offices write them → evalkit's kinds (one table, in the spec layer).
KIND_NAMES = POINT_KIND_NAMES


def rows(mask: np.ndarray, excel: np.ndarray, limit: int = 5) -> str:
    """``'row 7'`` or ``'rows 7, 9 (+3 more)'``: the Excel rows where ``mask`` holds."""
    r = excel[np.asarray(mask, dtype=bool)]
    shown = ", ".join(str(int(i)) for i in r[:limit])
    more = f" (+{len(r) - limit} more)" if len(r) > limit else ""
    return ("row " if len(r) == 1 else "rows ") + shown + more


#: Everything the input audit may record (``input_audit.what``), in English and Chinese: a row
#: with another phrase is a programming error (:func:`audit_row`), so the workbook can always
#: write it in the report's language.
AUDIT_WHAT = {
    "value outside its plausible range, kept": "数值超出合理范围，按规定保留",
    "rows of a period not evaluated, ignored": "非考核年度的数据行，未计入",
    "records of a period not evaluated, ignored": "非考核年度的加减分记录，未计入",
    "unit without any value in the period, scored by the missing-value policy":
        "单位本期无任何指标数据，按缺失值规则计分",
    "indicator without any value in a category, scored by the missing-value policy":
        "指标在某类别无任何数据，按缺失值规则计分",
    "unit without a score from the source; its weight shared among the unit's other sources":
        "单位缺少该评价来源得分，其权重按比例分给其余来源",
    "excluded by a validity rule": "按有效性规则剔除",
    "bonus over the cap, capped": "加分超过上限，按上限计",
    "deductions over the cap, capped": "扣分超过上限，按上限计",
    "indicator weights renormalised to sum to 1": "指标权重按比例归一（合计为 1）",
    "perspective weights renormalised to sum to 1": "维度权重按比例归一（合计为 1）",
    "perspective without an indicator for the category; its weight shared among its siblings":
        "该类别在此维度下无适用指标，维度权重分给同级维度",
    "source weights renormalised to sum to 1": "评价来源权重按比例归一（合计为 1）",
    "imputed value": "插补值",
    "missing value scored 0": "缺失值计 0 分",
    "missing value given the category's mean score": "缺失值按本类别平均得分计",
    "missing value left out, its siblings' weights renormalised":
        "缺失值不计入，同级指标权重按比例归一",
    "ids normalised (spaces, full-width characters)": "代码已规范（去空格、全角转半角）",
    "blank rows skipped": "空行已跳过",
    "cells read with a declared number format": "按声明的数字格式读取的单元格",
    "records naming no catalogue item, own kind and points kept":
        "未列入加减分目录的记录，按其自身类型和分值计",
}
#: The tables the audit names, in Chinese (others are written as they are).
AUDIT_TABLES = {"spec": "考评方案", "values": "指标数据", "units": "单位名单",
                "points": "加减分", "sources": "评价来源", "leaders": "领导评价",
                "survey": "满意度测评", "peer": "互评", "tasks": "预安销号",
                "tasks_ledger": "预安销号台账", "project_progress": "重点项目进度"}


def audit_row(table: str, what: str, n: int, policy: str, period: Any = "all",
              where: str = "") -> dict[str, Any]:
    """One row of the input audit: ``policy`` did ``what`` (a phrase of :data:`AUDIT_WHAT`)
    to ``n`` cells, rows or units of ``table``."""
    if what not in AUDIT_WHAT:
        raise ValueError(f"input audit: {what!r} is not in AUDIT_WHAT (add it with its Chinese)")
    return {"period": str(period), "table": table, "what": what, "where": where, "n": int(n),
            "policy": policy}


def note(df: pd.DataFrame, table: str, what: str, n: int, policy: str, *,
         period: Any = "all", where: str = "", warn: str | None = None) -> None:
    """Record in ``df.attrs`` that ``policy`` did ``what`` to ``n`` cells (and a warning)."""
    if n <= 0:
        return
    df.attrs.setdefault("audit", []).append(audit_row(table, what, n, policy, period, where))
    if warn:
        df.attrs.setdefault("warnings", []).append(warn)


def require_columns(df: pd.DataFrame, needed: list[str], what: str) -> list[EvalkitError]:
    """Problems for every column of ``needed`` that ``df`` lacks."""
    src = df.attrs.get("source", what)
    return [TableError(f"missing column {c!r} in the {what} table; it has {list(df.columns)} "
                       f"(map other headers with data.{what}.columns)", src)
            for c in needed if c not in df.columns]


def numbers(df: pd.DataFrame, column: str, problems: list[EvalkitError],
            formats: Collection[str] = ()) -> pd.Series:
    """``df[column]`` as float by the vocabulary; each bad cell is a problem naming it."""
    parsed: Parsed = parse_numbers(df[column], formats)
    problems += cell_problems(parsed, df.attrs.get("source", "table"), column, excel_rows(df))
    if formats:
        text = df[column].astype("string").str.strip()
        declared = text.str.contains(r"[%,]|[０-９]", na=False).to_numpy() & ~parsed.bad
        note(df, df.attrs.get("key", ""), "cells read with a declared number format",
             int(declared.sum()), f"formats: {sorted(formats)}", where=f"column {column}")
    return parsed.values


def unknown_ids(ids: pd.Series, known: pd.Index, excel: np.ndarray, src: str, column: str,
                what: str) -> list[EvalkitError]:
    """A problem listing the ids of ``ids`` not in ``known`` (with a hint for case slips)."""
    bad = (~ids.isin(known) & ids.notna()).to_numpy(dtype=bool)
    if not bad.any():
        return []
    found = sorted(set(ids[bad]))
    lower = {str(k).lower(): str(k) for k in known}
    hints = [f"{v!r} (did you mean {lower[v.lower()]!r}? ids are case-sensitive)"
             for v in found if v.lower() in lower]
    return [TableError(f"unknown {what} {found[:10]} in {rows(bad, excel)}; not in the units "
                       f"table{'; ' + ', '.join(hints[:3]) if hints else ''}",
                       f"{src}, column {column!r}")]


def check_units(df: pd.DataFrame, spec: Spec, problems: list[EvalkitError]) -> pd.DataFrame:
    """Check the units table: ids present and unique, categories known (id or name)."""
    src = df.attrs.get("source", "units")
    problems += require_columns(df, ["unit_id"], "units")
    if "unit_id" not in df.columns:
        return df
    excel, ids = excel_rows(df), df["unit_id"]
    if df.empty:
        problems.append(TableError("no units; expected one row per evaluated unit", src))
    if ids.isna().any():
        problems.append(TableError(f"empty unit_id in {rows(ids.isna().to_numpy(), excel)}",
                                   f"{src}, column 'unit_id'"))
    dup = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if dup.any():
        problems.append(TableError(f"duplicate unit_id {sorted(set(ids[dup]))} in "
                                   f"{rows(dup, excel)}", f"{src}, column 'unit_id'"))
    out = df.copy()
    if "unit_name" not in out.columns:
        out["unit_name"] = out["unit_id"]
    if "unit_name_en" not in out.columns:
        out["unit_name_en"] = out["unit_name"]
    out["category"] = _categories(out, spec, excel, src, problems)
    out = out.dropna(subset=["unit_id"]).drop_duplicates("unit_id").set_index("unit_id")
    out.attrs = df.attrs
    return out


def _categories(df: pd.DataFrame, spec: Spec, excel: np.ndarray, src: str,
                problems: list[EvalkitError]) -> pd.Series:
    cats = spec.category_ids()
    if not spec.categories:
        return pd.Series("all", index=df.index, dtype="string")
    if "category" not in df.columns:
        problems.append(TableError("missing column 'category' (the spec declares "
                                   f"categories {cats})", src))
        return pd.Series(pd.NA, index=df.index, dtype="string")
    names = {unicodedata.normalize("NFKC", c.name).strip(): c.id for c in spec.categories
             if c.name and c.name not in cats}
    cat = df["category"].astype("string").str.strip().replace(names)
    bad = ~cat.isin(cats)
    if bad.any():
        problems.append(TableError(
            f"unknown category {sorted(set(cat[bad].fillna('<empty>')))} in "
            f"{rows(bad.to_numpy(), excel)}; expected one of {cats} (or a category's name)",
            f"{src}, column 'category'"))
    return cat
