"""The data template workbook ``evalkit init`` writes: the sheets the spec reads, headed as
offices head them.

One layout (:data:`UNITS`, :data:`VALUES`, :data:`POINTS`, :data:`SOURCE_TABLES`) gives both
the workbook's sheets and headers and the spec's ``data:`` section (``sheet:`` and
``columns:``), so the two always agree. Sheets:

- 说明: what each sheet holds (Chinese and English);
- 单位名单: 单位代码, 单位名称, 类别 (a category's name or id, from a drop-down list);
- 指标体系: the indicator catalogue as the spec has it (for the record: edit the spec);
- ``{period}年指标`` (2024年指标, 2025年指标): one row per unit, one column per indicator
  headed ``名称(计量单位)`` (:func:`indicator_header`);
- 加减分: 考核年度, 单位代码, 类型 (加分 / 扣分 / 黄牌警告 / 一票否决, drop-down), 分值, 事由;
- one sheet per source asked for (领导评价, 互评, 满意度测评, 预安销号).

Examples
--------
>>> indicator_header({"id": "E01", "name": "地区生产总值增速", "unit": "%"})
'地区生产总值增速(%)'
>>> VALUES.sheet.format(period=2025)
'2025年指标'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from evalkit.authoring.catalogue import Catalogue
from evalkit.authoring.words import DIRECTION_ZH, METHOD_NAMES
from evalkit.core.atomic import atomic_path


@dataclass(frozen=True)
class Layout:
    """A sheet of the template: data key, sheet name (``{period}`` for one sheet per period),
    evalkit's columns → headers, extra columns shown but not read, and what the sheet holds."""

    key: str
    sheet: str
    columns: dict[str, str]
    extra: tuple[str, ...] = ()
    about: str = ""
    layout: str = "long"


UNITS = Layout("units", "单位名单", {"unit_id": "单位代码", "unit_name": "单位名称",
                                    "category": "类别"},
               about="每个被考核单位一行；类别写名称或代码 | one row per unit; category by "
                     "name or id")
VALUES = Layout("values", "{period}年指标", {"unit_id": "单位代码"}, ("单位名称",),
                about="每年一张表，每个指标一列（表头：指标名称(计量单位)）；不适用的指标留空"
                      " | one sheet per year, one column per indicator; leave non-applicable "
                      "cells empty",
                layout="wide")
POINTS = Layout("points", "加减分", {"period": "考核年度", "unit_id": "单位代码", "kind": "类型",
                                  "points": "分值", "reason": "事由"}, ("单位名称",),
                about="加分、扣分、黄牌警告、一票否决，分值写正数 | bonus, deduction, yellow card, "
                      "veto; points as positive numbers")
#: The sheets of the sources ``init --sources`` can add, by source name.
SOURCE_TABLES: dict[str, Layout] = {
    "leaders": Layout("leaders", "领导评价", {"period": "考核年度", "unit_id": "单位代码",
                                            "rater_id": "评价人", "score": "得分"},
                      about="每位领导对每个单位的评分（0–100） | each leader's score of each unit"),
    "peer": Layout("peer", "互评", {"period": "考核年度", "rater_id": "评价人",
                                   "rater_unit": "评价人单位", "ratee_id": "被评单位代码",
                                   "grade": "评价等次"},
                   about="评价等次：优秀、良好、一般、较差 | grades: 优秀, 良好, 一般, 较差"),
    "survey": Layout("survey_responses", "满意度测评",
                     {"period": "考核年度", "respondent_id": "答卷编号",
                      "questionnaire": "问卷", "group": "评议群体", "unit_id": "单位代码",
                      "item": "测评项目", "answer": "评价"},
                     about="每张答卷每个项目一行；评价：满意、基本满意、不满意、不了解"
                           " | one row per answer: 满意, 基本满意, 不满意, 不了解"),
    "tasks": Layout("tasks_ledger", "预安销号",
                    {"period": "考核年度", "unit_id": "单位代码", "task_id": "任务编号",
                     "planned_month": "计划月份", "due_month": "完成时限",
                     "closed_month": "销号月份"},
                    about="月份写 2025-03；未销号留空 | months as 2025-03; blank when open"),
}
#: Point kinds as the 加减分 sheet's drop-down offers them.
KINDS_ZH = ("加分", "扣分", "黄牌警告", "一票否决")
#: Headers of the 指标体系 sheet, in order.
CATALOGUE_HEADERS = ("编码", "名称", "所属维度", "指标属性", "分值", "适用类别", "目标值",
                     "计分方法", "计量单位")
_HEAD = PatternFill("solid", fgColor="DDEBF7")


def indicator_header(ind: dict[str, Any]) -> str:
    """The column header of an indicator in the per-period sheets: ``名称(计量单位)``."""
    name = ind.get("name") or ind["id"]
    return f"{name}({ind['unit']})" if ind.get("unit") else str(name)


def indicator_headers(inds: Sequence[dict[str, Any]]) -> list[str]:
    """Headers of the indicators, in order; an indicator whose name another shares is headed
    by its code (a header must name one indicator)."""
    names = [i.get("name") or i["id"] for i in inds]
    return [indicator_header(i) if names.count(n) == 1 else str(i["id"])
            for i, n in zip(inds, names, strict=True)]


def _method_zh(scoring: dict[str, Any] | None) -> str:
    if not scoring:
        return ""
    for name, spec in METHOD_NAMES.items():
        if spec == {k: v for k, v in scoring.items() if k in spec}:
            return name
    return str(scoring.get("method", ""))


def catalogue_rows(cat: Catalogue) -> list[list[Any]]:
    """The 指标体系 sheet's rows (without the header) from a :class:`Catalogue`."""
    pname = {p["id"]: p["name"] for p in cat.perspectives}
    cname = {c["id"]: c["name"] for c in cat.categories}
    rows = []
    for ind in cat.indicators:
        w = ind["weight"]
        weight = "；".join(f"{cname.get(c, c)}:{v:g}" for c, v in w.items()) \
            if isinstance(w, dict) else w
        cats = "、".join(cname.get(c, c) for c in ind.get("categories") or []) or "全部"
        rows.append([ind["id"], ind["name"], pname.get(ind["perspective"], ""),
                     DIRECTION_ZH[ind["direction"]], weight, cats, ind.get("target"),
                     _method_zh(ind.get("scoring")), ind.get("unit", "")])
    return rows


def _sheet(wb: openpyxl.Workbook, title: str, headers: Sequence[str],
           rows: Sequence[Sequence[Any]] = ()) -> Any:
    ws = wb.create_sheet(title)
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), _HEAD
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        ws.append(list(row))
    for k, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(k)].width = max(10, 2.2 * len(str(h)) + 2)
    ws.freeze_panes = "A2"
    return ws


def _choices(ws: Any, column: int, values: Sequence[str], rows: int = 2000) -> None:
    """A drop-down list of ``values`` on ``column`` (1-based) of ``ws``'s data rows."""
    if not values:
        return
    dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    col = get_column_letter(column)
    dv.add(f"{col}2:{col}{rows}")
    ws.add_data_validation(dv)


def _readme(wb: openpyxl.Workbook, spec_name: str, layouts: Sequence[tuple[str, str]]) -> None:
    ws = wb.active
    ws.title = "说明"
    ws.append(["本工作簿是考评数据模板，由 evalkit init 生成；方案见 "
               f"params/{spec_name}.yaml。 This workbook is the data template evalkit init "
               f"wrote for params/{spec_name}.yaml."])
    ws.append(["不要改工作表名称和表头（或在方案的 data: 中改 sheet: 与 columns:）。 Keep the "
               "sheet names and headers (or change sheet: and columns: under data: in the spec)."])
    ws.append([])
    ws.append(["工作表 Sheet", "内容 What it holds"])
    for title, about in layouts:
        ws.append([title, about])
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 18, 110
    ws["A4"].font = ws["B4"].font = Font(bold=True)


def write_template(path: str | Path, cat: Catalogue, periods: Sequence[int | str],
                   sources: Sequence[str] = (), spec_name: str = "") -> Path:
    """Write the template workbook for ``cat`` and ``periods`` (atomically) and return its path.

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` to write.
    cat : Catalogue
        Indicators, perspectives and categories (from :func:`read_catalogue` or the example).
    periods : sequence of int or str
        The periods: one ``{period}年指标`` sheet each.
    sources : sequence of str
        Keys of :data:`SOURCE_TABLES` to add a sheet for.
    spec_name : str
        The spec's name, quoted on the 说明 sheet.
    """
    wb = openpyxl.Workbook()
    about = [(UNITS.sheet, UNITS.about), ("指标体系", "指标目录（记录用；改方案请改 YAML） | the "
                                          "indicator catalogue, for the record (edit the spec)")]
    about += [(VALUES.sheet.format(period=p), VALUES.about) for p in periods]
    about += [(POINTS.sheet, POINTS.about)]
    about += [(SOURCE_TABLES[s].sheet, SOURCE_TABLES[s].about) for s in sources]
    _readme(wb, spec_name, about)
    ws = _sheet(wb, UNITS.sheet, list(UNITS.columns.values()))
    _choices(ws, 3, [c["name"] for c in cat.categories])
    _sheet(wb, "指标体系", CATALOGUE_HEADERS if cat.points else
           [h if h != "分值" else "权重" for h in CATALOGUE_HEADERS], catalogue_rows(cat))
    heads = [*VALUES.columns.values(), *VALUES.extra, *indicator_headers(cat.indicators)]
    for p in periods:
        _sheet(wb, VALUES.sheet.format(period=p), heads)
    ws = _sheet(wb, POINTS.sheet, [*list(POINTS.columns.values())[:2], *POINTS.extra,
                                   *list(POINTS.columns.values())[2:]])
    _choices(ws, 4, KINDS_ZH)
    for s in sources:
        _sheet(wb, SOURCE_TABLES[s].sheet, list(SOURCE_TABLES[s].columns.values()))
    path = Path(path)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
