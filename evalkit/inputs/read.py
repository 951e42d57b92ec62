"""Reading one table: CSV (UTF-8, or a declared GBK / GB18030), Excel (a named sheet), Parquet.

What the file says is kept as it is written where it matters: id and period columns are
read as text (``001`` stays ``001``), headers are stripped and NFKC-normalised (``（%）`` is
``(%)``), trailing blank lines are dropped but blank rows inside the table are kept (so row
numbers stay those Excel shows: the header is row 1); only an empty cell is missing (``NA``,
``nan`` or ``#N/A`` are text the vocabulary rejects where a number is expected). A CSV that
is not UTF-8 is an error
saying how to fix it; an Excel formula without a saved result (read as an empty cell) is an
error naming the cell.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "u.csv").write_text("单位代码,名称\\n001,城关镇\\n", encoding="utf-8")
>>> read_table(d / "u.csv", columns={"unit_id": "单位代码"})["unit_id"].tolist()
['001']
>>> _ = (d / "g.csv").write_bytes("单位代码\\n城关镇\\n".encode("gbk"))
>>> read_table(d / "g.csv")         # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
evalkit.core.errors.TableError: ...g.csv: not UTF-8 text (byte ...); re-save the file as UTF-8, or
declare its encoding (encoding: gbk)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from evalkit.core.errors import TableError
from evalkit.core.hashing import file_sha256
from evalkit.inputs.vocabulary import period_text

#: Columns read as text whatever they look like: ids, codes and periods.
TEXT_COLUMNS = ("unit_id", "rater_id", "ratee_id", "rater_unit", "task_id", "project_id",
                "ballot_id", "respondent_id", "indicator_id", "period", "category", "kind",
                "questionnaire", "group", "item", "box", "rater_group")
_CSV = (".csv", ".txt")
_EXCEL = (".xlsx", ".xlsm")
SUFFIXES = (*_CSV, *_EXCEL, ".parquet")
#: The placeholder of a per-period sheet name: ``sheet: "{period}年指标"``.
PERIOD_FIELD = "{period}"


def where(file: str | Path, sheet: str | None = None, row: int | None = None,
          column: str | None = None) -> str:
    """Format a table location: ``data/x.xlsx, sheet '指标', row 12, column 'value'``."""
    parts = [str(file)]
    if sheet:
        parts.append(f"sheet {sheet!r}")
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def header(text: Any) -> str:
    """A header as evalkit compares it: stripped, NFKC-normalised (full-width → half-width)."""
    return unicodedata.normalize("NFKC", str(text)).strip()


def _read_csv(path: Path, encoding: str | None, text: dict[str, Any]) -> pd.DataFrame:
    head = path.read_bytes()[:4]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise TableError("UTF-16 text (Excel's 'Unicode text'); re-save the file as CSV "
                         "UTF-8", str(path))
    enc = "utf-8-sig" if encoding in (None, "utf-8") else encoding
    try:
        return pd.read_csv(path, dtype=text, dtype_backend="numpy_nullable", encoding=enc,
                           skip_blank_lines=False, keep_default_na=False, na_values=[""])
    except UnicodeDecodeError as err:
        what = "UTF-8" if enc == "utf-8-sig" else enc
        hint = ("declare its encoding (encoding: gbk)" if enc == "utf-8-sig"
                else "declare the encoding it is in (utf-8, gbk or gb18030)")
        raise TableError(f"not {what} text (byte {err.start}); re-save the file as UTF-8, or "
                         f"{hint}", str(path)) from None


def uncached_formulas(path: Path, sheet: str | None, limit: int = 5) -> list[str]:
    """Cells of an Excel sheet holding a formula whose result was never saved (``C5``).

    A workbook written by a program other than Excel (or saved without recalculation) keeps
    the formula but no value; read, such a cell is empty. Returns at most ``limit`` cells.
    """
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
        formulas = [(c.row, c.column, c.coordinate) for row in ws.iter_rows() for c in row
                    if isinstance(c.value, str) and c.value.startswith("=")]
    finally:
        wb.close()
    if not formulas:
        return []
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
        out = [ref for r, c, ref in formulas
               if ws.cell(row=r, column=c).value is None][:limit]
    finally:
        wb.close()
    return out


def _read_excel(path: Path, sheet: str | None, text: dict[str, Any]) -> pd.DataFrame:
    try:
        df = pd.read_excel(path, sheet_name=sheet or 0, engine="openpyxl", dtype=text,
                           keep_default_na=False, na_values=[""])
    except ValueError as err:
        if sheet and "not found" in str(err).lower():
            raise TableError(f"no sheet named {sheet!r} ({err})", str(path)) from None
        raise
    cells = uncached_formulas(path, sheet)
    if cells:
        raise TableError(f"cell(s) {cells} hold a formula whose result was not saved (they "
                         "read as empty); open the file in Excel and save it, or paste the "
                         "values", where(path, sheet))
    return df


def sheet_names(path: str | Path) -> list[str]:
    """The sheet names of an Excel workbook, in order."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def is_period_pattern(sheet: str | None) -> bool:
    """Whether ``sheet`` names one sheet per period (holds :data:`PERIOD_FIELD`)."""
    return bool(sheet) and PERIOD_FIELD in str(sheet)


def period_sheets(path: str | Path, pattern: str, periods: Sequence[str] | None
                  ) -> tuple[list[tuple[str, str]], list[TableError]]:
    """The sheets of a per-period pattern (``{period}年指标``): ``(period, sheet)`` pairs.

    With ``periods`` (the evaluated periods as text), one sheet each: ``2025`` reads
    ``2025年指标``, and a period without its sheet is a problem naming the workbook and the
    sheet expected. Without, every sheet the pattern matches whose ``{period}`` part is a
    period (``2025``, ``2025年度``), in the workbook's order.

    Examples
    --------
    >>> import openpyxl, tempfile, pathlib
    >>> wb = openpyxl.Workbook(); wb.active.title = "2024年指标"
    >>> _ = wb.create_sheet("2025年指标"); _ = wb.create_sheet("说明")
    >>> book = pathlib.Path(tempfile.mkdtemp()) / "b.xlsx"; wb.save(book)
    >>> period_sheets(book, "{period}年指标", None)[0]
    [('2024', '2024年指标'), ('2025', '2025年指标')]
    >>> print(period_sheets(book, "{period}年指标", ["2023"])[1][0])  # doctest: +ELLIPSIS
    /...b.xlsx: no sheet '2023年指标' for period 2023 (sheet: '{period}年指标'); the workbook ...
    """
    path = Path(path)
    if path.suffix.lower() not in _EXCEL:
        return [], [TableError(f"sheet: {pattern!r} reads one sheet per period of an Excel "
                               "workbook (.xlsx); this file is not one", str(path))]
    names = sheet_names(path)
    if periods is not None:
        found = [(p, pattern.replace(PERIOD_FIELD, p)) for p in periods]
        missing = [TableError(f"no sheet {s!r} for period {p} (sheet: {pattern!r}); the "
                              f"workbook has sheets {names}", str(path))
                   for p, s in found if s not in names]
        return [(p, s) for p, s in found if s in names], missing
    head, _, tail = pattern.partition(PERIOD_FIELD)
    rx = re.compile(re.escape(head) + "(.+)" + re.escape(tail))
    out = []
    for name in names:
        m = rx.fullmatch(name)
        if m and (p := _period_of(m.group(1))) is not None:
            out.append((p, name))
    if not out:
        return [], [TableError(f"no sheet matches {pattern!r} (one sheet per period, e.g. "
                               f"{pattern.replace(PERIOD_FIELD, '2025')!r}); the workbook has "
                               f"sheets {names}", str(path))]
    return out, []


def _period_of(text: str) -> str | None:
    try:
        return period_text(text)
    except ValueError:
        return None


def _drop_trailing_blank(df: pd.DataFrame) -> pd.DataFrame:
    filled = df.notna().any(axis=1).to_numpy()
    last = int(filled.nonzero()[0].max()) + 1 if filled.any() else 0
    return df.iloc[:last]


def _rename(df: pd.DataFrame, columns: Mapping[str, str], src: str) -> pd.DataFrame:
    wanted = {header(h): name for name, h in columns.items()}
    absent = [h for h in wanted if h not in df.columns]
    flipped = [(n, h) for n, h in columns.items() if header(n) in df.columns
               and header(h) not in df.columns]
    if flipped:                             # written file header → evalkit name
        head, name = flipped[0]
        raise TableError(f"columns maps evalkit's names to the file's headers: '{head}: "
                         f"{name}' is the wrong way round; write it as {name}: {head}", src)
    if absent:
        raise TableError(f"column(s) {absent} not found; the file has {list(df.columns)}", src)
    return df.rename(columns=wanted)


def read_table(path: str | Path, sheet: str | None = None,
               columns: Mapping[str, str] | None = None, encoding: str | None = None,
               text_columns: Collection[str] = TEXT_COLUMNS) -> pd.DataFrame:
    """Read one table and rename its columns to evalkit's names.

    Parameters
    ----------
    path : path-like
        A ``.csv`` (UTF-8 with or without BOM, or ``encoding``), ``.xlsx`` or ``.parquet``.
    sheet : str, optional
        The Excel sheet (default: the first).
    columns : mapping, optional
        evalkit name → header in the file, e.g. ``{"unit_id": "单位代码"}``.
    encoding : {'utf-8', 'gbk', 'gb18030'}, optional
        The text encoding of a CSV file (default UTF-8).
    text_columns : collection of str
        evalkit names of the columns read as text (ids, codes, periods).

    Raises
    ------
    TableError
        The file is missing, of an unknown type, unreadable, not in its encoding, has an
        Excel formula without a saved result, or lacks a mapped column.
    """
    path = Path(path)
    if not path.is_file():
        raise TableError("file not found", str(path))
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TableError(f"unknown file type {path.suffix!r}; expected one of "
                         f"{sorted(SUFFIXES)}", str(path))
    cols = dict(columns or {})
    text = {cols.get(c, c): "str" for c in text_columns}
    text |= {header(h): "str" for h in list(text)}
    try:
        if suffix in _CSV:
            df = _read_csv(path, encoding, text)
        elif suffix in _EXCEL:
            df = _read_excel(path, sheet, text)
        else:
            df = pd.read_parquet(path)
    except TableError:
        raise
    except Exception as err:
        raise TableError(f"cannot read the file: {err}", where(path, sheet)) from None
    df = _drop_trailing_blank(df)
    df.columns = [header(c) for c in df.columns]
    if cols:
        df = _rename(df, cols, where(path, sheet))
    df.attrs.update(source=where(path, sheet), path=str(path), sheet=sheet,
                    sha256=file_sha256(path))
    return df
