"""Helpers shared by the task ledger and the schedule progress: months and row-level errors.

Both tables give months either as month numbers within the period (1–12) or as calendar
months (``"2025-03"``, a date); :func:`month_numbers` turns both into month numbers.
:func:`quote_rows` turns a boolean mask of bad rows into errors that name each row as Excel
shows it (the header is row 1, the first data row is row 2), for both tables.

Examples
--------
>>> import pandas as pd
>>> m, bad = month_numbers(pd.Series([3, "2025-04", "2026-01", "soon", None]),
...                        pd.Series([2025] * 5))
>>> m.tolist(), bad.tolist()
([3.0, 4.0, 13.0, nan, nan], [False, False, False, True, False])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, TableError
from evalkit.inputs.vocabulary import excel_rows

#: Most rows quoted per kind of problem before "and N more".
MAX_ROWS_QUOTED = 10


def month_numbers(values: pd.Series, period: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Month numbers within the period (1-based) and a mask of unparseable non-blank values.

    Integers 1–999 are taken as month numbers; a calendar month of year *y* and month *m*
    (``"2025-03"``, a date) becomes

    .. math:: 12\\,(y - p) + m

    for the row's period *p* (a year), so a month of the next year counts from 13.

    Parameters
    ----------
    values : Series
        Month numbers or calendar months; blanks stay NaN and are not reported as bad.
    period : Series
        The period of each row (same index as ``values``).

    Returns
    -------
    months : ndarray of float
        Month numbers (NaN for blanks and unreadable values).
    bad : ndarray of bool
        Non-blank values that are neither month numbers nor calendar months.

    Notes
    -----
    Worked out once per distinct (value, period) pair (a ledger repeats a few months over
    many rows) by :func:`_month_numbers`, then spread back to the rows.
    """
    cv, _ = pd.factorize(values)                                # blanks: -1
    cp, up = pd.factorize(period)
    pair = (cv.astype(np.int64) + 1) * (len(up) + 1) + cp + 1
    _, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    m, bad = _month_numbers(values.iloc[first], period.iloc[first])
    return m[inverse], bad[inverse]


def _month_numbers(values: pd.Series, period: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`month_numbers` row by row."""
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    is_int = np.isfinite(num) & (num == np.round(num)) & (num >= 1) & (num < 1000)
    out = np.where(is_int, num, np.nan)
    rest = values.notna().to_numpy() & ~np.isfinite(num)  # text: calendar months
    if rest.any():
        codes, uniq = pd.factorize(values[rest].astype(str))   # a few distinct months
        dates = pd.to_datetime(pd.Series(uniq, dtype=object), errors="coerce", format="mixed")
        per = pd.to_numeric(period[rest], errors="coerce").to_numpy(dtype=float)
        year = dates.dt.year.to_numpy(dtype=float)[codes]
        out[rest] = 12 * (year - per) + dates.dt.month.to_numpy(dtype=float)[codes]
    bad = values.notna().to_numpy() & ~np.isfinite(out)
    return out, bad


def quote_rows(df: pd.DataFrame, mask: np.ndarray, name: str, column: str, what: str,
               problems: list[EvalkitError], ids: tuple[str, ...] = ("unit_id", "task_id")
               ) -> None:
    """Append one TableError per row where ``mask`` holds (at most MAX_ROWS_QUOTED, then a count).

    Parameters
    ----------
    df : DataFrame
        The table; its rows as Excel shows them are ``df.attrs['rows']`` when set (a table
        whose index was reset), else :func:`~evalkit.inputs.vocabulary.excel_rows`.
    mask : ndarray of bool
        Rows with the problem.
    name : str
        How the table is named in errors (file name or data key).
    column : str
        The column at fault.
    what : str
        The message, formatted with the row's values (``"due in {due_month}"``).
    problems : list of EvalkitError
        Appended to in place.
    ids : tuple of str
        Columns that identify a row in the message.

    Notes
    -----
    The location reads ``<name>, row <n> (unit_id U, task_id T), column '<column>'`` with
    ``n`` the row as Excel shows it: the header is row 1, the first data row is row 2.

    Examples
    --------
    >>> df = pd.DataFrame({"unit_id": ["A", "B"], "task_id": ["t1", "t2"], "due_month": [0, 3]})
    >>> problems = []
    >>> quote_rows(df, df["due_month"].to_numpy() < 1, "ledger.csv", "due_month",
    ...            "month {due_month} lies outside the period", problems)
    >>> str(problems[0])  # doctest: +ELLIPSIS
    "...ledger.csv, row 2 (unit_id A, task_id t1), column 'due_month'..."
    """
    excel = df.attrs.get("rows")
    excel = excel_rows(df) if excel is None or len(excel) != len(df) else excel
    rows = np.flatnonzero(mask)
    for pos in rows[:MAX_ROWS_QUOTED]:
        r = df.iloc[pos]
        label = ", ".join(f"{c} {r[c]}" for c in ids if c in df.columns)
        problems.append(TableError(
            what.format(**{c: r[c] for c in df.columns if "{" + c + "}" in what}),
            f"{name}, row {int(excel[pos])} ({label}), column {column!r}"))
    if len(rows) > MAX_ROWS_QUOTED:
        problems.append(TableError(f"{len(rows) - MAX_ROWS_QUOTED} more rows with the same "
                                   f"problem", f"{name}, column {column!r}"))
