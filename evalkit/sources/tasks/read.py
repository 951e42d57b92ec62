"""Reading the task ledger: columns, months within the period, and every row-level problem.

:func:`read_ledger` is the only way into the ledger arithmetic
(:func:`~evalkit.sources.tasks.ledger.summarise_ledger`); it reports all the problems of a
table at once, each naming its row (``tasks_ledger.csv, row 7 (unit_id T01, task_id a),
column 'due_month'``).

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({"unit_id": "T01", "task_id": ["a", "b"],
...                     "planned_month": ["2025-01", "2025-02"], "due_month": ["2025-01", 3],
...                     "closed_month": ["2025-02", None]})
>>> led = read_ledger(raw)
>>> led["period"].tolist(), led[["planned", "due", "closed"]].to_numpy().tolist()
([2025, 2025], [[1.0, 1.0, 2.0], [2.0, 3.0, nan]])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, ProblemList, TableError, raise_all
from evalkit.inputs.vocabulary import excel_rows, parse_booleans, parse_ids, parse_numbers
from evalkit.sources.base import split_periods
from evalkit.sources.tasks.config import PROGRESS_DEFAULTS, TASKS_DEFAULTS
from evalkit.sources.tasks.months import month_numbers, quote_rows
from evalkit.sources.tasks.progress import read_progress

#: Columns every ledger has; ``period``, ``rolled_over`` and ``highlight`` are optional.
REQUIRED = ("unit_id", "task_id", "planned_month", "due_month", "closed_month")
MONTH_COLUMNS = ("planned_month", "due_month", "closed_month")


def _ledger_period(df: pd.DataFrame, name: str) -> pd.Series:
    """The ``period`` column, or the year of ``planned_month`` when the ledger has none."""
    if "period" in df.columns:
        return df["period"]
    first = pd.to_datetime(df["planned_month"].astype(str), errors="coerce", format="mixed")
    if first.isna().any():
        raise TableError("no period column and planned_month is not a calendar month "
                         "(e.g. 2025-03); add a period column", name)
    return pd.Series(first.dt.year.to_numpy(), index=df.index, name="period")


def _read_months(df: pd.DataFrame, period: pd.Series, months: int, name: str,
                 problems: list[EvalkitError]) -> dict[str, np.ndarray]:
    """Month numbers of the three month columns (NaN where unreadable or outside the period)."""
    nums = {}
    outside_what = ("month {{{col}}} lies outside period {{period}}" if "period" in df.columns
                    else "month {{{col}}} lies outside the period")
    for col in MONTH_COLUMNS:
        m, bad = month_numbers(df[col], period)
        quote_rows(df, bad, name, col, f"cannot read {{{col}}} as a month; expected a month "
                   f"number 1–{months} or a calendar month like 2025-03", problems)
        if col != "closed_month":
            blank = df[col].isna().to_numpy()
            quote_rows(df, blank, name, col, "blank; every task needs this month", problems)
        outside = np.isfinite(m) & ((m < 1) | (m > months))
        quote_rows(df, outside, name, col, outside_what.format(col=col), problems)
        nums[col] = np.where(outside | bad, np.nan, m)
    return nums


def _check_order(df: pd.DataFrame, planned: np.ndarray, due: np.ndarray, closed: np.ndarray,
                 name: str, problems: list[EvalkitError]) -> None:
    """A task is due and closed no earlier than the month it was planned."""
    quote_rows(df, due < planned, name, "due_month",
               "due in {due_month} before it was planned in {planned_month}; expected "
               "due_month ≥ planned_month", problems)
    quote_rows(df, closed < planned, name, "closed_month",
               "closed in {closed_month} before it was planned in {planned_month}; expected "
               "closed_month ≥ planned_month", problems)


def _check_keys(df: pd.DataFrame, period: pd.Series, units: pd.DataFrame | None, name: str,
                problems: list[EvalkitError]) -> None:
    """One row per (period, unit, task); the unit known in that period (if ``units`` given)."""
    key = pd.DataFrame({"period": period.astype(str), "unit_id": df["unit_id"].astype(str),
                        "task_id": df["task_id"].astype(str)})
    quote_rows(df, key.duplicated(keep=False).to_numpy(), name, "task_id",
               "task {task_id} appears more than once for this unit and period (every such "
               "row is named); expected one row per task", problems)
    if units is None:
        return
    known = units.reset_index() if "unit_id" not in units.columns else units
    if "period" in known.columns:
        pairs = pd.MultiIndex.from_arrays([known["period"].astype(str),
                                           known["unit_id"].astype(str)])
        ok = pd.MultiIndex.from_arrays([key["period"], key["unit_id"]]).isin(pairs)
    else:
        ok = key["unit_id"].isin(set(known["unit_id"].astype(str))).to_numpy()
    quote_rows(df, ~np.asarray(ok), name, "unit_id",
               "unit {unit_id} is not a unit of period {period}" if "period" in df.columns
               else "unit {unit_id} is not a known unit", problems)


def _rolled_over(df: pd.DataFrame, due: np.ndarray, closed: np.ndarray, name: str,
                 problems: list[EvalkitError]) -> np.ndarray:
    """The ``rolled_over`` marks as numbers, checked against the months: a closed task rolled
    over exactly when it was closed after its due month."""
    flags = parse_booleans(df["rolled_over"])
    counts = parse_numbers(df["rolled_over"])
    ok_count = counts.values.ge(0).to_numpy(dtype=bool) & ~counts.bad
    bad = flags.bad & ~ok_count
    quote_rows(df, bad, name, "rolled_over", "rolled_over {rolled_over} is neither yes/no "
               "nor a number of months ≥ 0", problems)
    ro = pd.Series(np.where(flags.bad, counts.values.where(ok_count),
                            flags.values.astype("Float64").to_numpy(dtype=float,
                                                                     na_value=np.nan)),
                   index=df.index)
    carried = np.where(np.isnan(closed), np.nan, np.maximum(closed - due, 0))
    contradiction = np.isfinite(carried) & ro.notna().to_numpy() & (
        (ro.to_numpy() > 0) != (carried > 0))
    quote_rows(df, contradiction, name, "rolled_over",
               "rolled_over={rolled_over} contradicts due_month {due_month} and closed_month "
               "{closed_month}; expected rolled over exactly when closed after the due month",
               problems)
    return ro.to_numpy()


def _highlight(df: pd.DataFrame, name: str, problems: list[EvalkitError]) -> pd.Series:
    """The ``highlight`` marks (是/否, 有/无, true/false, 1/0; blank is 否)."""
    if "highlight" not in df.columns:
        return pd.Series(False, index=df.index)
    parsed = parse_booleans(df["highlight"])
    quote_rows(df, parsed.bad, name, "highlight", "highlight {highlight} is not yes or no; "
               "expected 是/否, 有/无, true/false or 1/0", problems)
    return parsed.values.fillna(False).astype(bool)


def read_ledger(ledger: pd.DataFrame, *, months: int = 12,
                units: pd.DataFrame | None = None, name: str = "tasks ledger") -> pd.DataFrame:
    """Check a ledger and return it with month numbers within the period.

    Parameters
    ----------
    ledger : DataFrame
        The raw ledger, one row per task: ``period, unit_id, task_id, planned_month,
        due_month, closed_month`` and optional ``rolled_over``, ``highlight`` (see
        :mod:`evalkit.sources.tasks.ledger`); ``period`` may be omitted when
        ``planned_month`` is a calendar month (the period is then its year).
    months : int
        Months in a period (12 for a year).
    units : DataFrame, optional
        Known units: index ``unit_id``, or a ``unit_id`` column, with an optional ``period``
        column (a unit is known in a period only if listed for it).
    name : str
        How errors name the table (file name or data key).

    Returns
    -------
    DataFrame
        period, unit_id, task_id, planned, due, closed (float month numbers, NaN = open),
        highlight (bool), rolled_over (if given).

    Raises
    ------
    TableError, ProblemList
        Missing columns; months that cannot be read or lie outside the period; a task due or
        closed before it was planned; a duplicated task; a unit unknown in that period; a
        ``rolled_over`` mark that contradicts the months. Every problem names its row.
    """
    name = ledger.attrs.get("source") or name
    missing = [c for c in REQUIRED if c not in ledger.columns]
    if missing:
        raise TableError(f"missing column(s) {missing}; expected {list(REQUIRED)} and optional "
                         "period, rolled_over, highlight", name)
    df = ledger.reset_index(drop=True)
    df.attrs = {**ledger.attrs, "rows": excel_rows(ledger)}  # as Excel shows them
    df = df.assign(unit_id=parse_ids(df["unit_id"]).values,
                   task_id=parse_ids(df["task_id"]).values)
    problems: list[EvalkitError] = []
    period = _ledger_period(df, name)
    nums = _read_months(df, period, months, name, problems)
    planned, due, closed = (nums[c] for c in MONTH_COLUMNS)
    _check_order(df, planned, due, closed, name, problems)
    _check_keys(df, period, units, name, problems)
    highlight = _highlight(df, name, problems)
    out = pd.DataFrame({"period": period.to_numpy(), "unit_id": df["unit_id"].to_numpy(),
                        "task_id": df["task_id"].to_numpy(), "planned": planned, "due": due,
                        "closed": closed, "highlight": highlight.to_numpy()})
    if "rolled_over" in df.columns:
        out["rolled_over"] = _rolled_over(df, due, closed, name, problems)
    raise_all(problems, "problems in the tasks ledger")
    return out


def _collect(problems: list[EvalkitError], call: Any, *args: Any, **kwargs: Any) -> None:
    try:
        call(*args, **kwargs)
    except ProblemList as err:
        problems.extend(err.problems)
    except EvalkitError as err:
        problems.append(err)


def check_tasks_tables(config: dict[str, Any], tables: Mapping[str, pd.DataFrame],
                       units: pd.DataFrame, periods: list[str]) -> list[EvalkitError]:
    """Every problem of the task ledger (and the project progress table), for every period.

    The checks of :func:`read_ledger` and
    :func:`~evalkit.sources.tasks.progress.read_progress`, period by period, as the ``tasks``
    source meets them; all problems are returned at once.
    """
    problems: list[EvalkitError] = []
    key = config.get("ledger") or TASKS_DEFAULTS["ledger"]
    known = pd.DataFrame({"unit_id": np.asarray(units.index, dtype=object)})
    months = int(config.get("months", TASKS_DEFAULTS["months"]))
    prog = config.get("progress")
    pkey = (prog or {}).get("table", PROGRESS_DEFAULTS["table"])
    if key in tables and "period" not in tables[key].columns and \
            "planned_month" in tables[key].columns:
        try:
            years = sorted(set(_ledger_period(tables[key], key).astype(str)))
        except EvalkitError as err:
            return [err]
        if len(periods) > 1 or len(years) > 1:
            return [TableError(f"no period column, and the evaluation has periods {periods} "
                               f"while the planned months fall in {years}; add a period "
                               "column", tables[key].attrs.get("source") or key)]
    ledgers = split_periods(tables[key], periods) if key in tables else []
    progress = split_periods(tables[pkey], periods) if prog is not None and pkey in tables \
        else []
    for i in range(len(periods)):
        if ledgers:
            _collect(problems, read_ledger, ledgers[i], months=months, units=known, name=key)
        if progress:
            _collect(problems, read_progress, progress[i], units=known,
                     name=tables[pkey].attrs.get("source") or pkey,
                     months=int(prog.get("months", PROGRESS_DEFAULTS["months"])))
    return list({str(e): e for e in problems}.values())
