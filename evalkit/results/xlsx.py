"""Writing sheets to an ``.xlsx`` file: XlsxWriter in constant-memory mode, formatted cells.

A :class:`Sheet` is a frame with its final headers, a number format per column (``0.00``,
``0.00%``, ``0``; ``""``: text) and the columns to freeze. :func:`write_sheets` writes them
atomically with a bold header, an autofilter, frozen panes and widths fitted to the text (a
CJK character counts two), with a fixed creation time so that the same sheets give the same
bytes. Used by the Results workbook (:mod:`evalkit.results.excel`) and the publication
workbook (:func:`evalkit.report.overview.write_publication`).

Examples
--------
>>> display_width("乡镇abc")
7
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from evalkit.core.atomic import atomic_path
from evalkit.results.provenance import fixed_time

NUM2, PCT, INT = "0.00", "0.00%", "0"
#: A header wider than this (display columns) wraps instead of widening its column.
HEADER_WIDTH = 18
_CJK = re.compile(r"[\u2e80-\uffff]")


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: a CJK character 2, another character 1."""
    return len(text) + len(_CJK.findall(text))


@dataclass
class Sheet:
    """A sheet: name, frame (final headers), formats (``""``: text), frozen columns, title."""

    name: str
    frame: pd.DataFrame
    formats: list[str]
    freeze: int = 0
    title: str = ""


def _values(s: pd.Series, fmt: str) -> list[Any]:
    """A column as the writer's values: floats (NaN: empty) or text (None: empty)."""
    if fmt:
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan).tolist()
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v == ""
            else str(v) for v in s.tolist()]


def column_widths(sheet: Sheet) -> list[float]:
    """Widths fitted to the values and the header (a CJK character counts two), 6 to 60; a
    header wider than :data:`HEADER_WIDTH` wraps (``官评（绩效办考核）（office）·实际权重``
    over a column of numbers) rather than widening its column."""
    out = []
    for j, (c, fmt) in enumerate(zip(sheet.frame.columns, sheet.formats, strict=True)):
        s = sheet.frame.iloc[:, j].dropna()
        if fmt:
            v = pd.to_numeric(s, errors="coerce").abs().max() if len(s) else 0.0
            body = len(f"{v:.2f}") + (2 if fmt == PCT else 0) if pd.notna(v) else 4
        else:
            u = pd.Series(s.astype(str).unique()[:20000], dtype=str)
            body = int((u.str.len() + u.str.count(_CJK.pattern)).max()) if len(u) else 4
        head = min(display_width(str(c)), HEADER_WIDTH) + 3       # + the filter's arrow
        out.append(float(min(max(body + 1, head, 6), 60)))
    return out


def header_lines(sheet: Sheet, widths: Sequence[float]) -> int:
    """The lines the tallest wrapped header takes in columns of ``widths``.

    >>> header_lines(Sheet("s", pd.DataFrame(columns=["总分", "a" * 30]), ["", ""]), [8, 21])
    2
    """
    return max([1] + [math.ceil(display_width(str(c)) / max(w - 3, 1))
                      for c, w in zip(sheet.frame.columns, widths, strict=True)])


def _write_sheet(wb: Any, sheet: Sheet, styles: Mapping[str, Any]) -> None:
    """One sheet: title, bold header with an autofilter, frozen panes, formatted rows."""
    ws = wb.add_worksheet(sheet.name)
    top = 1 if sheet.title else 0
    widths = column_widths(sheet)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    if (lines := header_lines(sheet, widths)) > 1:     # a height set: every reader shows it
        ws.set_row(top, 15 * lines + 3)
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
        styles = {"head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                         "text_wrap": True, "valign": "top"}),
                  "title": wb.add_format({"bold": True, "font_size": 14}),
                  **{f: wb.add_format({"num_format": f}) for f in (NUM2, PCT, INT)}}
        for sheet in sheets:
            _write_sheet(wb, sheet, styles)
        wb.close()
    return path
