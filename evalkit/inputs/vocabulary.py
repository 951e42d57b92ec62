"""The one vocabulary of input cells: ids, periods, numbers, booleans and text.

Every table evalkit reads (units, values, points and every source's tables) goes through
these rules, so a cell means the same in every file:

- **ids** (``unit_id``, ``rater_id``, ``task_id``, ...) are text: surrounding spaces are
  stripped and full-width characters become half-width (Unicode NFKC), so ``' Ｔ００１ '`` is
  ``'T001'``; ``001`` stays ``001`` (id columns are read as text); a whole number read as a
  number (``12``, ``12.0``) is ``'12'``. Case is kept (``t001`` is not ``T001``).
- **periods** are years: ``2025``, ``2025.0``, ``2025年`` and ``2025年度`` are all ``'2025'``;
  anything else is an error naming the cell.
- **numbers** are finite and at most :data:`MAX_MAGNITUDE` in size; ``inf``, ``nan`` and
  Excel errors (``#DIV/0!``) are errors. ``95%``, ``1,234`` and full-width digits (``１２``)
  are errors unless the column declares the format (``percent``, ``thousands``,
  ``fullwidth``); a blank cell is missing (what that means is the caller's policy).
- **booleans** are ``是/否``, ``有/无``, ``true/false`` (any case) and ``1/0``, nothing else;
  a blank cell is missing.
- **text** may not hold control characters (ESC, vertical tab, ...): Excel cannot store them.

Each parser takes a :class:`pandas.Series` and returns a :class:`Parsed`: the values, a
mask of the cells that broke the rule and why. :func:`cell_problems` turns that mask into
:class:`~evalkit.core.errors.TableError` s naming the file, sheet, row (as Excel shows it: the
header is row 1) and column.

Examples
--------
>>> import pandas as pd
>>> parse_ids(pd.Series([" T001", "Ｔ００２", 3, "001", None])).values.tolist()
['T001', 'T002', '3', '001', <NA>]
>>> parse_periods(pd.Series([2025, "2025.0", "2025年度", "二〇二五"])).bad.tolist()
[False, False, False, True]
>>> p = parse_numbers(pd.Series(["1.5", "95%", "inf", ""]))
>>> p.values.tolist()[:1], p.bad.tolist()
([1.5], [False, True, True, False])
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Collection, Hashable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.core.errors import TableError

#: The largest magnitude a number may have (beyond it float sums lose whole units).
MAX_MAGNITUDE = 1e15
#: Formats a number column may declare (``formats: {value: [percent]}`` on a table).
NUMBER_FORMATS = ("percent", "thousands", "fullwidth")
#: Text encodings a CSV table may declare (``encoding: gbk`` on a table).
ENCODINGS = ("utf-8", "gbk", "gb18030")
#: Most cells quoted per column and rule before "and N more".
MAX_QUOTED = 5

_TRUE = {"是", "有", "true", "1", "1.0"}
_FALSE = {"否", "无", "false", "0", "0.0"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_PERIOD = re.compile(r"(\d{4})(\.0+)?(年度?)?")
_NOT_FINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "-nan",
               "+nan"}


class Parsed(NamedTuple):
    """A parsed column: ``values`` (same index), ``bad`` (bool array), ``why`` (the reason of
    each bad cell, ``''`` elsewhere) and ``changed`` (cells whose text the rule rewrote)."""

    values: pd.Series
    bad: np.ndarray
    why: np.ndarray
    changed: np.ndarray | None = None


def _blank(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or (
        isinstance(v, str) and not v.strip()) or v is pd.NaT


def _plain_ascii(found: Any) -> bool:
    """Whether every distinct value is plain ASCII text, which the id rule keeps as it is:
    not blank, no character below a space (nor DEL), no space at either end (NFKC leaves
    ASCII alone). Answered at once for Arrow-backed text; ``False`` for other columns."""
    if not isinstance(getattr(found, "dtype", None), pd.StringDtype) or \
            found.dtype.storage != "pyarrow" or len(found) == 0:
        return False
    arr = pa.array(found)
    odd = pc.or_(pc.invert(pc.string_is_ascii(arr)),
                 pc.or_(pc.equal(pc.utf8_length(arr), 0),
                        pc.match_substring_regex(arr, r"[\x00-\x1f\x7f]|^ | $")))
    return not pc.any(odd).as_py()


def _as_they_are(s: pd.Series, dtype: str) -> Parsed:
    """``s`` parsed by a rule that kept every cell: none bad, none changed."""
    n = len(s)
    return Parsed(s.astype(dtype), np.zeros(n, dtype=bool), np.full(n, "", dtype=object),
                  np.zeros(n, dtype=bool))


def _by_unique(s: pd.Series, one: Callable[[Any], tuple[Any, str]], dtype: str,
               kept: Callable[[Any], bool] | None = None) -> Parsed:
    """Apply ``one`` (value → (parsed, reason)) once per distinct value of ``s``.

    When ``one`` keeps every distinct text as it is (the usual id and period column; known
    at once when ``kept(distinct values)`` says so), the values are ``s`` as ``dtype``
    rather than gathered again cell by cell.
    """
    codes, found = pd.factorize(s, use_na_sentinel=True)    # blanks (NA) get code -1
    if dtype == "string" and kept is not None and kept(found):
        return _as_they_are(s, dtype)
    uniq = np.asarray(found, dtype=object).tolist()          # Python scalars
    res = [one(v) for v in uniq]
    new = [r[0] for r in res]
    if dtype == "string" and all(type(v) is str and type(p) is str and p == v and not r[1]
                                 for v, p, r in zip(uniq, new, res, strict=True)):
        return _as_they_are(s, dtype)
    take = np.where(codes < 0, len(res), codes)
    why_u = np.array([r[1] for r in res] + [""], dtype=object)
    bad_u = np.array([bool(r[1]) for r in res] + [False], dtype=bool)
    changed_u = np.array([isinstance(p, str) and isinstance(v, str) and p != v
                          for p, v in zip(new, uniq, strict=True)] + [False], dtype=bool)
    if dtype == "float":
        arr = np.array([np.nan if v is None else v for v in new] + [np.nan], dtype=float)
        values = pd.Series(arr[take], index=s.index, name=s.name)
    else:
        uniq_arr = pd.array([pd.NA if v is None else v for v in new] + [pd.NA], dtype=dtype) \
            if dtype != "object" else np.array([*new, None], dtype=object)
        values = pd.Series(uniq_arr[take], index=s.index, name=s.name)
    return Parsed(values, bad_u[take], why_u[take], changed_u[take])


def _text_of(v: Any) -> str | None:
    """A cell as text for an id (None when it is not text-like)."""
    if isinstance(v, bool | np.bool_):
        return None
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return str(int(v)) if math.isfinite(v) and v == int(v) else None
    return str(v) if isinstance(v, str) else None


def _one_id(v: Any) -> tuple[Any, str]:
    if _blank(v):
        return None, ""
    text = _text_of(v)
    if text is None:
        return None, f"{v!r} is not an id (expected text such as T001)"
    if _CONTROL.search(text):
        return None, f"{text!r} holds a control character; remove it"
    out = unicodedata.normalize("NFKC", text).strip()
    return (out or None), ""


def parse_ids(s: pd.Series) -> Parsed:
    """Ids as text: stripped, NFKC-normalised (full-width → half-width), case kept.

    Examples
    --------
    >>> parse_ids(pd.Series(["ｄ０１ ", 7.0, "007"])).values.tolist()
    ['d01', '7', '007']
    >>> parse_ids(pd.Series([1.5, "a\\x1bb", True])).bad.tolist()
    [True, True, True]
    """
    return _by_unique(s, _one_id, "string", kept=_plain_ascii)


def _one_period(v: Any) -> tuple[Any, str]:
    if _blank(v):
        return None, ""
    if isinstance(v, bool | np.bool_):
        return None, f"{v!r} is not a period"
    if isinstance(v, int | np.integer | float | np.floating):
        ok = math.isfinite(v) and v == int(v) and 1000 <= v <= 9999
        return (str(int(v)), "") if ok else (None, f"{v!r} is not a year")
    text = unicodedata.normalize("NFKC", str(v)).strip()
    m = _PERIOD.fullmatch(text)
    if m is None:
        return None, (f"{str(v)!r} is not a period; expected a year such as 2025 "
                      "(2025年 and 2025年度 are read as 2025)")
    return m.group(1), ""


def parse_periods(s: pd.Series) -> Parsed:
    """Periods as a year's text: ``2025``, ``2025.0``, ``2025年``, ``2025年度`` → ``'2025'``.

    Examples
    --------
    >>> parse_periods(pd.Series(["2025年", 2024.0, "２０２３"])).values.tolist()
    ['2025', '2024', '2023']
    """
    return _by_unique(s, _one_period, "string")


def period_text(v: Any) -> str:
    """One period as text (the spec's ``evaluation.periods``); raises ``ValueError``.

    Examples
    --------
    >>> period_text("2025年度"), period_text(2024)
    ('2025', '2024')
    """
    out, why = _one_period(v)
    if why or out is None:
        raise ValueError(why or "a period is needed")
    return str(out)


def _number_text(text: str, formats: Collection[str]) -> tuple[Any, str]:
    raw = text
    half = unicodedata.normalize("NFKC", text).strip()
    if half != text.strip() and "fullwidth" not in formats:
        return None, (f"{raw!r} is written with full-width characters; type it with "
                      "half-width digits, or declare the column's format 'fullwidth'")
    text = half.replace(" ", "")
    if text.lower() in _NOT_FINITE:
        return None, f"{raw!r} is not a finite number"
    if text.startswith("#"):
        return None, f"{raw!r} is an Excel error value; fix the formula or type the number"
    if text.endswith("%"):
        if "percent" not in formats:
            return None, (f"{raw!r} has a percent sign; write the number alone (95 for 95%), "
                          "or declare the column's format 'percent'")
        text = text[:-1]
    if _THOUSANDS.fullmatch(text):
        if "thousands" not in formats:
            return None, (f"{raw!r} has thousands separators; write {text.replace(',', '')}, "
                          "or declare the column's format 'thousands'")
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        return None, f"{raw!r} is not a number; expected a number or an empty cell"
    return float(text), ""


def _one_number(v: Any, formats: Collection[str]) -> tuple[Any, str]:
    if _blank(v):
        return None, ""
    if isinstance(v, bool | np.bool_):
        return None, f"{v!r} is not a number"
    if isinstance(v, int | np.integer | float | np.floating):
        x = float(v)
    elif isinstance(v, str):
        x, why = _number_text(v, formats)
        if why:
            return None, why
    else:
        return None, f"{v!r} is not a number (a {type(v).__name__})"
    if not math.isfinite(x):
        return None, f"{v!r} is not a finite number"
    if abs(x) > MAX_MAGNITUDE:
        return None, f"{v!r} is implausibly large (more than {MAX_MAGNITUDE:g} in size)"
    return x, ""


def parse_numbers(s: pd.Series, formats: Collection[str] = ()) -> Parsed:
    """Numbers as float (NaN for a blank cell): finite, at most :data:`MAX_MAGNITUDE`.

    ``formats`` may hold ``percent`` (``95%`` → 95), ``thousands`` (``1,234`` → 1234) and
    ``fullwidth`` (``１２`` → 12); without them such cells are errors saying how to fix them.

    Examples
    --------
    >>> parse_numbers(pd.Series(["95%", "1,234", "１２"]), ["percent", "thousands",
    ...                                                   "fullwidth"]).values.tolist()
    [95.0, 1234.0, 12.0]
    >>> parse_numbers(pd.Series([1e300, "缺报"])).bad.tolist()
    [True, True]
    """
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        bad = np.isinf(x) | (np.abs(np.nan_to_num(x, posinf=0, neginf=0)) > MAX_MAGNITUDE)
        why = np.full(len(x), "", dtype=object)
        for i in np.flatnonzero(bad):
            why[i] = _one_number(float(x[i]), ())[1]
        return Parsed(pd.Series(np.where(bad, np.nan, x), index=s.index, name=s.name),
                      bad, why)
    fmts = frozenset(formats)
    return _by_unique(s, lambda v: _one_number(v, fmts), "float")


def _one_bool(v: Any) -> tuple[Any, str]:
    if _blank(v):
        return None, ""
    if isinstance(v, bool | np.bool_):
        return bool(v), ""
    text = unicodedata.normalize("NFKC", str(v)).strip().lower()
    if text in _TRUE:
        return True, ""
    if text in _FALSE:
        return False, ""
    return None, f"{v!r} is not yes or no; expected 是/否, 有/无, true/false or 1/0"


def parse_booleans(s: pd.Series) -> Parsed:
    """Booleans: 是/否, 有/无, true/false (any case), 1/0; blank is missing.

    Examples
    --------
    >>> parse_booleans(pd.Series(["是", "否", 1, "TRUE", None])).values.tolist()
    [True, False, True, True, <NA>]
    >>> parse_booleans(pd.Series(["maybe", "Y", "√"])).bad.tolist()
    [True, True, True]
    """
    return _by_unique(s, _one_bool, "boolean")


def _one_text(v: Any) -> tuple[Any, str]:
    if isinstance(v, str) and _CONTROL.search(v):
        return v, f"{v!r} holds a control character (Excel cannot store it); remove it"
    return v, ""


def check_text(s: pd.Series) -> Parsed:
    """Text cells without control characters (values unchanged).

    Examples
    --------
    >>> check_text(pd.Series(["城关镇", "a\\x0bb"])).bad.tolist()
    [False, True]
    """
    if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
        return Parsed(s, np.zeros(len(s), dtype=bool), np.full(len(s), "", dtype=object))
    has = s.astype("string").str.contains(_CONTROL, na=False).to_numpy(dtype=bool)
    if not has.any():
        return Parsed(s, has, np.full(len(s), "", dtype=object))
    return _by_unique(s, _one_text, "object")._replace(values=s)


def excel_rows(df: pd.DataFrame) -> np.ndarray:
    """The row each record has in its file as Excel shows it (the header is row 1).

    A ``_row`` column wins; else an integer index (a table as read, or rows selected from
    it) is taken as the position in the file; else the positions.
    """
    if "_row" in df.columns:
        return df["_row"].to_numpy(dtype=np.int64)
    if pd.api.types.is_integer_dtype(df.index.dtype):
        return df.index.to_numpy(dtype=np.int64) + 2
    return np.arange(len(df), dtype=np.int64) + 2


def cell_problems(parsed: Parsed, source: str, column: Hashable, rows: np.ndarray,
                  limit: int = MAX_QUOTED) -> list[TableError]:
    """One :class:`TableError` per bad cell of ``parsed`` (``limit`` of them, then a count).

    ``source`` names the file and sheet (``data/x.xlsx, sheet '指标'``), ``rows`` the Excel
    row of every cell (:func:`excel_rows`).

    Examples
    --------
    >>> p = parse_numbers(pd.Series(["1", "x"]))
    >>> [str(e) for e in cell_problems(p, "v.csv", "value", np.array([2, 3]))]
    ["v.csv, row 3, column 'value': 'x' is not a number; expected a number or an empty cell"]
    """
    idx = np.flatnonzero(parsed.bad)
    out = [TableError(str(parsed.why[i]), f"{source}, row {int(rows[i])}, column {column!r}")
           for i in idx[:limit]]
    if len(idx) > limit:
        out.append(TableError(f"… and {len(idx) - limit} more such cells in column {column!r}",
                              source))
    return out
