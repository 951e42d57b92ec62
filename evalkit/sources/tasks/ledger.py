"""Task ledger (预安销号): tasks planned, closed, rolled over and escalated; the ``tasks`` source.

Each month a unit's tasks are planned (预安), checked at month end and closed (销号);
unfinished ones roll over to the next month; a task one month late costs points, two months
late brings an admonition talk (诫勉谈话), three months a disciplinary review; highlighted
work (亮点工作) earns a bonus; the closure of tasks counts 30 points of the annual score
(seed 002, 湘潭高新区: 2,790 tasks planned, 2,647 closed, 95%).

The ledger has one row per task::

    period, unit_id, task_id, planned_month, due_month, closed_month, rolled_over, highlight

``planned_month``/``due_month``/``closed_month`` are either the month number within the period
(1–12) or a calendar month (``"2025-03"``, a date); ``closed_month`` is blank while the task is
open; ``rolled_over`` (optional) is checked against the months the task was carried over;
``highlight`` (optional, bool) marks highlighted work. ``period`` may be omitted when the
months are calendar months (the period is then the year of ``planned_month``).

Conventions
-----------
- A task due in month *d* is *closed on time* if closed in a month ≤ *d*; closed in month
  *c* > *d* it is *closed late* by ``c − d`` months; still open at the as-of month *a* (the
  last month of the period unless ``as_of`` says otherwise) it is overdue by ``a − d + 1``
  months (it was not closed in month *a* either). Tasks due after *a* are not yet counted.
- The escalation of a task is the highest level whose ``months`` threshold its months
  overdue reach; a task closed late keeps the escalation it triggered while it was open.
- Monthly rows are cohorts by due month: ``planned = closed_on_time + closed_late + open``.

The source ``tasks`` scores a unit by

.. math::

    P_u = \\operatorname{clip}\\Big(S\\,\\frac{n^{\\text{on time}}_u + c\\,n^{\\text{late}}_u}
          {n^{\\text{planned}}_u} - \\sum_{t \\in u} p_{\\ell(t)}
          + \\min(B, b\\,n^{\\text{highlight}}_u),\\ 0,\\ S\\Big),
    \\qquad \\text{score}_u = 100\\,P_u / S

with scale ``S`` (30 points in seed 002), late credit ``c``, escalation penalty ``p_ℓ`` of the
highest level reached by task *t*, highlight bonus ``b`` per closed highlighted task capped at
``B``. Units with no task due get NaN (their weight moves to their other sources).

The optional ``progress`` subsection adds schedule-progress records (red flags, yellow cards)
from :mod:`evalkit.sources.tasks.progress` to the source's ``points`` table.

References
----------
湘潭高新区督查室, "'预安销号'提升执行力" (seed 002); 目标督查业务工作交流会材料汇编 (seed 004).

Examples
--------
>>> import pandas as pd
>>> ledger = pd.DataFrame({"period": 2025, "unit_id": ["T01", "T01"], "task_id": ["a", "b"],
...                        "planned_month": [1, 1], "due_month": [1, 1],
...                        "closed_month": [1, None]})
>>> led = summarise_ledger(ledger, {"as_of": 2})
>>> led.yearly[["planned", "closed_on_time", "open"]].to_numpy().tolist()
[[2, 1, 1]]
>>> int(led.tasks["months_overdue"].max())
2
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, SpecError, TableError, raise_all
from evalkit.demo.registry import register_demo_tables
from evalkit.sources.base import SourceOutput, register_source

#: Defaults of the ``sources.tasks`` section (seed 002: 30 points; 1/2/3 months late).
DEFAULTS: dict[str, Any] = {
    "ledger": "tasks_ledger",
    "scale": 30.0,
    "months": 12,
    "as_of": None,
    "late_credit": 0.5,
    "escalation": [
        {"id": "deduction", "months": 1, "points": 0.2},
        {"id": "admonition", "months": 2, "points": 0.5},
        {"id": "disciplinary", "months": 3, "points": 1.0},
    ],
    "highlight": {"points": 0.2, "cap": 2.0},
}
_KEYS = {*DEFAULTS, "progress"}
_MONTH_COLS = ("planned_month", "due_month", "closed_month")
#: Most rows quoted per kind of problem before "and N more".
MAX_ROWS_QUOTED = 10


@dataclass(frozen=True)
class Ledger:
    """A summarised ledger.

    Attributes
    ----------
    tasks : DataFrame
        One row per task: period, unit_id, task_id, planned, due, closed (month numbers
        within the period, closed NaN when open), status (``on_time``, ``late``, ``open``,
        ``not_due``), months_overdue, escalation (level id or ""), highlight.
    monthly : DataFrame
        Per period, unit and due month: planned, closed_on_time, closed_late, open,
        rolled_over (not closed by the end of that month), backlog (every task due by that
        month and not closed by its end), closure_rate, on_time_rate.
    yearly : DataFrame
        Per period and unit: planned, closed_on_time, closed_late, closed, open,
        closure_rate, on_time_rate, highlights, ``n_<level>`` (tasks that reached that
        escalation level), base, penalty, bonus, task_points, score (0–100).
    """

    tasks: pd.DataFrame
    monthly: pd.DataFrame
    yearly: pd.DataFrame


# --------------------------------------------------------------------------- config
def validate_tasks(config: Mapping[str, Any], where: str = "sources.tasks") -> list[EvalkitError]:
    """Problems in a ``sources.tasks`` section, each naming its YAML path."""
    problems: list[EvalkitError] = []
    for k in sorted(set(config) - _KEYS - {"weight"}):
        problems.append(SpecError(f"unknown key {k!r}; expected one of {sorted(_KEYS)}",
                                  f"{where}.{k}"))

    def number(key: str, value: Any, lo: float, hi: float | None = None) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or value < lo or (hi is not None and value > hi):
            rng = f"between {lo} and {hi}" if hi is not None else f"≥ {lo}"
            problems.append(SpecError(f"expected a number {rng}, got {value!r}", key))

    if "scale" in config:
        number(f"{where}.scale", config["scale"], 1e-9)
    if "late_credit" in config:
        number(f"{where}.late_credit", config["late_credit"], 0, 1)
    months = config.get("months", DEFAULTS["months"])
    if "months" in config and (not isinstance(months, int) or isinstance(months, bool)
                               or months < 1):
        problems.append(SpecError(f"expected a whole number of months ≥ 1, got {months!r}",
                                  f"{where}.months"))
        months = DEFAULTS["months"]
    if config.get("as_of") is not None:
        number(f"{where}.as_of", config["as_of"], 1, months)
    if "ledger" in config and not isinstance(config["ledger"], str):
        problems.append(SpecError(f"expected a data key (text), got {config['ledger']!r}",
                                  f"{where}.ledger"))
    esc = config.get("escalation", DEFAULTS["escalation"])
    if not isinstance(esc, list):
        problems.append(SpecError("expected a list of {id, months, points}",
                                  f"{where}.escalation"))
    else:
        prev = 0
        seen: set[str] = set()
        for i, lvl in enumerate(esc):
            w = f"{where}.escalation[{i}]"
            if not isinstance(lvl, Mapping) or set(lvl) != {"id", "months", "points"}:
                problems.append(SpecError("expected a mapping with keys id, months, points", w))
                continue
            lid = lvl.get("id")
            if not isinstance(lid, str) or not lid.isidentifier() or lid in seen:
                problems.append(SpecError(f"expected a unique identifier, got {lid!r}", f"{w}.id"))
            seen.add(str(lid))
            m = lvl.get("months")
            if not isinstance(m, int) or isinstance(m, bool) or m <= prev:
                problems.append(SpecError(f"expected a whole number of months > {prev} "
                                          f"(levels in increasing order), got {m!r}",
                                          f"{w}.months"))
            else:
                prev = m
            number(f"{w}.points", lvl.get("points"), 0)
    hl = config.get("highlight", DEFAULTS["highlight"])
    if not isinstance(hl, Mapping) or set(hl) - {"points", "cap"}:
        problems.append(SpecError("expected a mapping with keys points, cap",
                                  f"{where}.highlight"))
    else:
        for k in ("points", "cap"):
            if k in hl:
                number(f"{where}.highlight.{k}", hl[k], 0)
    if config.get("progress") is not None:
        from evalkit.sources.tasks.progress import validate_progress

        problems += validate_progress(config["progress"], f"{where}.progress")
    return problems


def _settings(config: Mapping[str, Any], where: str) -> dict[str, Any]:
    raise_all(validate_tasks(config, where), "problems in the tasks section")
    cfg = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None or k == "as_of"}}
    cfg["highlight"] = {**DEFAULTS["highlight"], **(config.get("highlight") or {})}
    return cfg


# --------------------------------------------------------------------------- months
def month_numbers(values: pd.Series, period: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Month numbers within the period (1-based) and a mask of unparseable non-blank values.

    Integers are taken as month numbers; calendar months (``"2025-03"``, dates) become
    ``12 (year − period) + month`` when the period is a year.
    """
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    is_int = np.isfinite(num) & (num == np.round(num)) & (num >= 1) & (num < 1000)
    out = np.where(is_int, num, np.nan)
    rest = values.notna().to_numpy() & ~np.isfinite(num)  # text: calendar months
    if rest.any():
        dates = pd.to_datetime(values[rest].astype(str), errors="coerce", format="mixed")
        per = pd.to_numeric(period[rest], errors="coerce").to_numpy(dtype=float)
        year = dates.dt.year.to_numpy(dtype=float)
        out[rest] = 12 * (year - per) + dates.dt.month.to_numpy(dtype=float)
    bad = values.notna().to_numpy() & ~np.isfinite(out)
    return out, bad


def quote_rows(df: pd.DataFrame, mask: np.ndarray, name: str, column: str, what: str,
               problems: list[EvalkitError], ids: tuple[str, ...] = ("unit_id", "task_id")
               ) -> None:
    """Append one TableError per row where ``mask`` holds (at most MAX_ROWS_QUOTED, then a count).

    The location reads ``<name>, row <n> (unit_id U, task_id T), column '<column>'`` with
    ``n`` the 1-based data row (the first row after the header is row 1); ``what`` is
    formatted with the row's values (``{due_month}``).
    """
    rows = np.flatnonzero(mask)
    for pos in rows[:MAX_ROWS_QUOTED]:
        r = df.iloc[pos]
        label = ", ".join(f"{c} {r[c]}" for c in ids if c in df.columns)
        problems.append(TableError(
            what.format(**{c: r[c] for c in df.columns if "{" + c + "}" in what}),
            f"{name}, row {pos + 1} ({label}), column {column!r}"))
    if len(rows) > MAX_ROWS_QUOTED:
        problems.append(TableError(f"{len(rows) - MAX_ROWS_QUOTED} more rows with the same "
                                   f"problem", f"{name}, column {column!r}"))


def read_ledger(ledger: pd.DataFrame, *, months: int = 12,
                units: pd.DataFrame | None = None, name: str = "tasks ledger") -> pd.DataFrame:
    """Check a ledger and return it with month numbers within the period.

    Parameters
    ----------
    ledger : DataFrame
        The raw ledger (see the module docstring for its columns).
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
        rolled_over (if given), highlight (bool).

    Raises
    ------
    TableError, ProblemList
        Missing columns; months that cannot be read or lie outside the period; a task due or
        closed before it was planned; a duplicated task; a unit unknown in that period; a
        ``rolled_over`` mark that contradicts the months. Every problem names its row.
    """
    required = ("unit_id", "task_id", "planned_month", "due_month", "closed_month")
    missing = [c for c in required if c not in ledger.columns]
    if missing:
        raise TableError(f"missing column(s) {missing}; expected {list(required)} and optional "
                         "period, rolled_over, highlight", name)
    df = ledger.reset_index(drop=True)
    problems: list[EvalkitError] = []
    if "period" in df.columns:
        period = df["period"]
    else:
        first = pd.to_datetime(df["planned_month"].astype(str), errors="coerce", format="mixed")
        if first.isna().any():
            raise TableError("no period column and planned_month is not a calendar month "
                             "(e.g. 2025-03); add a period column", name)
        period = pd.Series(first.dt.year.to_numpy(), index=df.index, name="period")
    nums = {}
    for col in _MONTH_COLS:
        m, bad = month_numbers(df[col], period)
        quote_rows(df, bad, name, col, f"cannot read {{{col}}} as a month; expected a month "
               f"number 1–{months} or a calendar month like 2025-03", problems)
        if col != "closed_month":
            blank = df[col].isna().to_numpy()
            quote_rows(df, blank, name, col, "blank; every task needs this month", problems)
        outside = np.isfinite(m) & ((m < 1) | (m > months))
        quote_rows(df, outside, name, col, f"month {{{col}}} lies outside period "
               f"{{period}}" if "period" in df.columns else
               f"month {{{col}}} lies outside the period", problems)
        m = np.where(outside | bad, np.nan, m)
        nums[col] = m
    planned, due, closed = (nums[c] for c in _MONTH_COLS)
    quote_rows(df, due < planned, name, "due_month",
           "due in {due_month} before it was planned in {planned_month}; expected "
           "due_month ≥ planned_month", problems)
    quote_rows(df, closed < planned, name, "closed_month",
           "closed in {closed_month} before it was planned in {planned_month}; expected "
           "closed_month ≥ planned_month", problems)
    key = pd.DataFrame({"period": period.astype(str), "unit_id": df["unit_id"].astype(str),
                        "task_id": df["task_id"].astype(str)})
    quote_rows(df, key.duplicated(keep="first").to_numpy(), name, "task_id",
           "task {task_id} appears twice for this unit and period; expected one row per task",
           problems)
    if units is not None:
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
    highlight = (df["highlight"].fillna(False).astype(bool) if "highlight" in df.columns
                 else pd.Series(False, index=df.index))
    out = pd.DataFrame({"period": period.to_numpy(), "unit_id": df["unit_id"].to_numpy(),
                        "task_id": df["task_id"].to_numpy(), "planned": planned, "due": due,
                        "closed": closed, "highlight": highlight.to_numpy()})
    if "rolled_over" in df.columns:
        ro = pd.to_numeric(df["rolled_over"].replace({True: 1, False: 0}), errors="coerce")
        out["rolled_over"] = ro.to_numpy()
        carried = np.where(np.isnan(closed), np.nan, np.maximum(closed - due, 0))
        contradiction = np.isfinite(carried) & ro.notna().to_numpy() & (
            (ro.to_numpy() > 0) != (carried > 0))
        quote_rows(df, contradiction, name, "rolled_over",
               "rolled_over={rolled_over} contradicts due_month {due_month} and closed_month "
               "{closed_month}; expected rolled over exactly when closed after the due month",
               problems)
    raise_all(problems, "problems in the tasks ledger")
    return out


# --------------------------------------------------------------------------- arithmetic
def summarise_ledger(ledger: pd.DataFrame, config: Mapping[str, Any] | None = None, *,
                     units: pd.DataFrame | None = None, name: str = "tasks ledger",
                     where: str = "sources.tasks") -> Ledger:
    """Per-task status, per unit × month and per unit × period tallies and the task score.

    Parameters
    ----------
    ledger : DataFrame
        The raw ledger; checked by :func:`read_ledger`.
    config : mapping, optional
        The ``sources.tasks`` section (defaults: :data:`DEFAULTS`).
    units, name
        Passed to :func:`read_ledger`.
    where : str
        YAML path of the section, for configuration errors.

    Returns
    -------
    Ledger
        ``tasks``, ``monthly`` and ``yearly`` tables (see :class:`Ledger`); the formula of
        the score is in the module docstring.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": 2025, "unit_id": "T01", "task_id": ["a", "b"],
    ...                   "planned_month": 3, "due_month": 3, "closed_month": [3, 5]})
    >>> y = summarise_ledger(t).yearly
    >>> y[["closed_on_time", "closed_late", "n_admonition"]].to_numpy().tolist()
    [[1, 1, 1]]
    """
    cfg = _settings(config or {}, where)
    months = int(cfg["months"])
    tasks = read_ledger(ledger, months=months, units=units, name=name)
    as_of = float(cfg["as_of"] or months)
    due, closed = tasks["due"].to_numpy(), tasks["closed"].to_numpy()
    closed_by = np.isfinite(closed) & (closed <= as_of)
    counted = due <= as_of
    on_time = counted & closed_by & (closed <= due)
    late = counted & closed_by & (closed > due)
    still_open = counted & ~closed_by
    overdue = np.select([late, still_open], [closed - due, as_of - due + 1], 0.0)
    status = np.select([on_time, late, still_open], ["on_time", "late", "open"], "not_due")
    levels = cfg["escalation"]
    thresholds = np.array([lvl["months"] for lvl in levels], dtype=float)
    reached = np.searchsorted(thresholds, overdue, side="right")  # number of levels reached
    ids = np.array([""] + [lvl["id"] for lvl in levels], dtype=object)
    penalties = np.array([0.0] + [float(lvl["points"]) for lvl in levels])
    tasks = tasks.assign(status=status, months_overdue=overdue.astype(int),
                         escalation=ids[reached], penalty=penalties[reached],
                         highlight=tasks["highlight"].to_numpy() & (on_time | late))

    flags = pd.DataFrame({"period": tasks["period"], "unit_id": tasks["unit_id"],
                          "month": due.astype(int), "planned": counted.astype(int),
                          "closed_on_time": on_time.astype(int), "closed_late": late.astype(int),
                          "open": still_open.astype(int),
                          "rolled_over": (counted & ~(np.isfinite(closed) & (closed <= due))
                                          ).astype(int)})
    monthly = _monthly(flags, tasks, months, as_of)
    yearly = _yearly(flags, tasks, cfg, reached)
    return Ledger(tasks, monthly, yearly)


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    planned = df["planned"].where(df["planned"] > 0)
    return df.assign(closure_rate=(df["closed_on_time"] + df["closed_late"]) / planned,
                     on_time_rate=df["closed_on_time"] / planned)


def _monthly(flags: pd.DataFrame, tasks: pd.DataFrame, months: int, as_of: float
             ) -> pd.DataFrame:
    keys = ["period", "unit_id", "month"]
    g = flags[flags["month"] <= as_of].groupby(keys, sort=True)[
        ["planned", "closed_on_time", "closed_late", "open", "rolled_over"]].sum()
    # complete grid of months 1..as_of for every (period, unit) in the ledger
    pu = flags[["period", "unit_id"]].drop_duplicates()
    grid = pu.merge(pd.DataFrame({"month": np.arange(1, int(as_of) + 1)}), how="cross")
    g = grid.merge(g.reset_index(), on=keys, how="left").fillna(0)
    g = g.astype({c: int for c in g.columns if c not in ("period", "unit_id")})
    # backlog at the end of month m: tasks due ≤ m not closed by m, as running sums of
    # events: +1 in a carried task's due month, −1 in the month it is closed
    due, closed = tasks["due"].to_numpy(), tasks["closed"].to_numpy()
    carried = ~(np.isfinite(closed) & (closed <= due)) & (due <= as_of)
    start = due[carried]
    stop = np.where(np.isfinite(closed[carried]), closed[carried], months + 1)
    ev = pd.concat([
        pd.DataFrame({"period": tasks["period"][carried].to_numpy(),
                      "unit_id": tasks["unit_id"][carried].to_numpy(), "month": start,
                      "d": 1}),
        pd.DataFrame({"period": tasks["period"][carried].to_numpy(),
                      "unit_id": tasks["unit_id"][carried].to_numpy(), "month": stop,
                      "d": -1})])
    ev = ev.groupby(keys)["d"].sum().reset_index()
    ev["month"] = ev["month"].astype(int)
    g = g.merge(ev, on=keys, how="left").fillna({"d": 0})
    g["backlog"] = g.groupby(["period", "unit_id"])["d"].cumsum().astype(int)
    return _rates(g.drop(columns="d"))


def _yearly(flags: pd.DataFrame, tasks: pd.DataFrame, cfg: Mapping[str, Any],
            reached: np.ndarray) -> pd.DataFrame:
    keys = ["period", "unit_id"]
    levels = cfg["escalation"]
    extra = {f"n_{lvl['id']}": (reached > i).astype(int) for i, lvl in enumerate(levels)}
    per_task = flags.drop(columns=["month", "rolled_over"]).assign(
        highlights=tasks["highlight"].astype(int).to_numpy(),
        penalty=tasks["penalty"].to_numpy(), **extra)
    y = _rates(per_task.groupby(keys, sort=True).sum().reset_index())
    y.insert(y.columns.get_loc("open"), "closed", y["closed_on_time"] + y["closed_late"])
    scale = float(cfg["scale"])
    credit = float(cfg["late_credit"])
    hl = cfg["highlight"]
    base = scale * (y["closed_on_time"] + credit * y["closed_late"]) / y["planned"].where(
        y["planned"] > 0)
    bonus = np.minimum(float(hl["cap"]), float(hl["points"]) * y["highlights"])
    points = (base - y["penalty"] + bonus).clip(0, scale)
    return y.assign(base=base, bonus=bonus, task_points=points, score=100 * points / scale)


def zone_summary(yearly: pd.DataFrame) -> pd.DataFrame:
    """Totals over all units per period: planned, closed, open and the closure rate.

    ``closure_rate = Σ closed / Σ planned`` (seed 002: 2,647 / 2,790 = 95%).
    """
    cols = ["planned", "closed_on_time", "closed_late", "closed", "open"]
    z = yearly.groupby("period")[cols].sum().reset_index()
    return _rates(z)


# --------------------------------------------------------------------------- source
@register_source("tasks", validate=validate_tasks, requires=("tasks_ledger",))
def tasks_source(config: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                 units: pd.DataFrame, period: Any) -> SourceOutput:
    """Task ledger (预安销号): score 0–100 = task points / scale × 100.

    Reads the ledger (data key ``ledger``, default ``tasks_ledger``) for ``period``; unknown
    units, months outside the period and tasks closed before they were planned raise a
    :class:`~evalkit.core.errors.TableError` naming the row. Detail tables: ``yearly``,
    ``monthly``, ``ledger`` (one row per task); with a ``progress`` subsection also
    ``progress`` (project status by month) and ``points`` (red flags and yellow cards, in the
    points-table schema).
    """
    key = config.get("ledger") or DEFAULTS["ledger"]
    if key not in tables:
        raise TableError(f"no data table {key!r}; expected a data entry {key}: {{file: ...}}",
                         "sources.tasks.ledger")
    raw = tables[key]
    if "period" in raw.columns:
        raw = raw[raw["period"].astype(str) == str(period)]
    unit_index = units.index if "unit_id" not in units.columns else units["unit_id"]
    known = pd.DataFrame({"unit_id": np.asarray(unit_index, dtype=object)})
    led = summarise_ledger(raw, config, units=known, name=key)
    score = (led.yearly.set_index("unit_id")["score"]
             .reindex(pd.Index(unit_index, name="unit_id")).rename("tasks"))
    detail = {"yearly": led.yearly, "monthly": led.monthly, "ledger": led.tasks}
    if config.get("progress") is not None:
        from evalkit.sources.tasks.progress import progress_records

        status, points = progress_records(tables, config["progress"], units, period,
                                          where="sources.tasks.progress")
        detail |= {"progress": status, "points": points}
    # the period as evaluate gives it (a table's own period column may be read as a number)
    return SourceOutput(score, {k: t.assign(period=period) for k, t in detail.items()})


# --------------------------------------------------------------------------- demo
def demo_ledger(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
                rng: np.random.Generator, tasks_per_year: float = 2790.0) -> pd.DataFrame:
    """A synthetic ledger: about ``tasks_per_year`` tasks a year over all units, ~95% closed.

    Tasks per unit and month ~ Poisson(tasks_per_year / (12 n_units)) (seed 002: 2,790
    planned, 78 a month, 2,647 closed); 80% are due the month they are planned, the rest one or
    two months later; a task is closed on time with probability
    ``logistic(2.0 + 0.9 q)`` for the unit's latent quality ``q`` of the period, otherwise it
    rolls over for 1 + Geometric(0.5) months and stays open if that passes December or, with
    probability ``0.2 logistic(−q)``, for good;
    closed-on-time work is highlighted with probability ``0.04 e^{0.5 q}``.
    """
    uid = units.index.to_numpy()
    n_u = len(uid)
    lam = tasks_per_year / (12 * n_u)
    frames = []
    for p in periods:
        q_col = quality[p] if p in quality.columns else quality[str(p)]
        q = q_col.reindex(uid).fillna(0).to_numpy(dtype=float)
        counts = rng.poisson(lam, size=(n_u, 12))
        u_idx = np.repeat(np.repeat(np.arange(n_u), 12), counts.ravel())
        month = np.repeat(np.tile(np.arange(1, 13), n_u), counts.ravel())
        n = len(u_idx)
        qq = q[u_idx]
        due = np.minimum(12, month + rng.choice([0, 1, 2], size=n, p=[0.8, 0.13, 0.07]))
        on_time = rng.random(n) < 1 / (1 + np.exp(-(2.0 + 0.9 * qq)))
        early = month + np.floor(rng.random(n) * (due - month + 1)).astype(int)
        closed = np.where(on_time, early, due + rng.geometric(0.5, size=n)).astype(float)
        stuck = rng.random(n) < 0.2 / (1 + np.exp(qq))
        closed[(closed > 12) | (stuck & ~on_time)] = np.nan
        highlight = on_time & (rng.random(n) < 0.04 * np.exp(0.5 * qq))
        order = np.lexsort((month, u_idx))
        seq = pd.Series(u_idx[order]).groupby(u_idx[order]).cumcount().to_numpy() + 1
        unit = uid[u_idx[order]]

        def cal(m: np.ndarray, p: Any = p) -> list[Any]:
            return [None if np.isnan(x) else f"{p}-{int(x):02d}" for x in m]

        frames.append(pd.DataFrame({
            "period": p, "unit_id": unit,
            "task_id": [f"{u}-{p}-{s:03d}" for u, s in zip(unit, seq, strict=True)],
            "planned_month": cal(month[order].astype(float)),
            "due_month": cal(due[order].astype(float)),
            "closed_month": cal(closed[order]),
            "rolled_over": (~on_time[order]).astype(int),
            "highlight": highlight[order]}))
    return pd.concat(frames, ignore_index=True)


#: What the demo spec gets from the ledger (merged by :func:`evalkit.demo.city.demo_spec`).
DEMO_SPEC: dict[str, Any] = {
    "data": {"tasks_ledger": {"file": "tasks_ledger.csv"},
             "project_progress": {"file": "project_progress.csv"}},
    "sources": {"tasks": {"weight": 0.1, "ledger": "tasks_ledger", "scale": 30,
                          "progress": {"table": "project_progress"}}},
}


@register_demo_tables("tasks", spec=DEMO_SPEC)
def _demo(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
          rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The demo city's ledger and key-project progress (see :func:`demo_ledger`)."""
    from evalkit.sources.tasks.progress import demo_progress

    return {"tasks_ledger.csv": demo_ledger(units, periods, quality, rng),
            "project_progress.csv": demo_progress(units, periods, quality, rng)}


# --------------------------------------------------------------------------- report
#: Labels of the report section, key -> (Chinese, English).
_LABELS: dict[str, tuple[str, str]] = {
    "period": ("考核期", "Period"),
    "planned": ("计划任务", "Planned"),
    "closed_on_time": ("按期销号", "Closed on time"),
    "closed_late": ("逾期销号", "Closed late"),
    "open": ("未销号", "Open"),
    "closure_rate": ("销号率", "Closure rate"),
    "highlights": ("亮点工作", "Highlights"),
    "task_points": ("任务得分（满分 {scale}）", "Task points (of {scale})"),
    "score": ("折算得分（百分制）", "Score (0–100)"),
    "level": ("督办级别", "Escalation"),
    "months": ("逾期月数 ≥", "Months overdue ≥"),
    "n_tasks": ("任务数", "Tasks"),
    "penalty": ("每项扣分", "Points per task"),
    "deduction": ("逾期扣分", "Deduction"),
    "admonition": ("诫勉谈话", "Admonition talk"),
    "disciplinary": ("纪律审查", "Disciplinary review"),
    "project": ("重点项目", "Key project"),
    "project_id": ("项目编号", "Project ID"),
    "month": ("月份", "Month"),
    "planned_pct": ("计划进度 %", "Planned %"),
    "actual_pct": ("实际进度 %", "Actual %"),
    "lag": ("滞后（百分点）", "Lag (points)"),
    "status": ("状态", "Status"),
    "green": ("绿灯", "green"),
    "yellow": ("黄灯", "yellow"),
    "red": ("红灯", "red"),
    "monthly": ("按到期月份的任务销号", "Tasks by due month"),
    "count": ("任务数", "Tasks"),
}
#: Row class of a project's status in the report table (the report stylesheet's colours).
_STATUS_CLASS = {"green": "ek-good", "yellow": "ek-fair", "red": "ek-poor"}


def _lab(key: str, lang: str, **fmt: Any) -> str:
    zh, en = _LABELS.get(key, (key, key))
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


def _percent(x: Any) -> str:
    """``0.8387 -> '83.9%'`` ("–" when missing)."""
    return "–" if x is None or pd.isna(x) else f"{100 * float(x):.1f}%"


class TasksSection(NamedTuple):
    """A unit's task-ledger section: yearly tallies, escalations, key projects and a chart.

    Renders (``_repr_html_``) as escaped HTML tables and an inline SVG chart; project rows are
    coloured by their traffic light.
    """

    table: pd.DataFrame
    escalations: pd.DataFrame
    projects: pd.DataFrame
    figure: Any
    project_status: tuple[str, ...] = ()

    def _repr_html_(self) -> str:
        from evalkit.core.figures import html_table, to_svg

        parts = [str(html_table(self.table)), str(html_table(self.escalations))]
        if len(self.projects):
            parts.append(str(html_table(self.projects, [_STATUS_CLASS.get(s, "")
                                                        for s in self.project_status], 1)))
        if self.figure is not None:
            parts.append(to_svg(self.figure, tight=False)._repr_html_())
        return "".join(parts)


def _unit_rows(tabs: Mapping[str, pd.DataFrame], name: str, unit_id: str, period: Any
               ) -> pd.DataFrame:
    df = tabs.get(name)
    if df is None or df.empty:
        return pd.DataFrame()
    return df[(df["unit_id"].astype(str) == str(unit_id))
              & (df["period"].astype(str) == str(period))]


def latest_progress(progress: pd.DataFrame) -> pd.DataFrame:
    """The last reported month of each project (rows of ``tasks_progress``), most behind first.

    Examples
    --------
    >>> p = pd.DataFrame({"project_id": ["A", "A", "B"], "month": [1, 2, 1],
    ...                   "lag": [1.0, 4.0, 20.0]})
    >>> latest_progress(p)[["project_id", "month"]].to_numpy().tolist()
    [['B', 1], ['A', 2]]
    """
    if progress.empty:
        return progress
    last = progress.sort_values(["project_id", "month"], kind="stable") \
        .drop_duplicates("project_id", keep="last")
    return last.sort_values(["lag", "project_id"], ascending=[False, True], kind="stable") \
        .reset_index(drop=True)


def monthly_chart(monthly: pd.DataFrame, lang: str = "zh") -> Any:
    """Stacked bars per due month: tasks closed on time, closed late, still open.

    ``monthly`` is a unit's rows of ``tasks_monthly`` (cohorts by due month, so the three
    parts add up to the tasks planned for that month). Returns a matplotlib Figure (no pyplot
    state).
    """
    from matplotlib.figure import Figure

    from evalkit.core.figures import setup_matplotlib

    setup_matplotlib()
    m = monthly.sort_values("month")
    x = m["month"].to_numpy(dtype=int)
    fig = Figure(figsize=(6.4, 2.6))
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.2, top=0.8)
    ax = fig.subplots()
    bottom = np.zeros(len(m))
    for col, colour in (("closed_on_time", "#009E73"), ("closed_late", "#E69F00"),
                        ("open", "#D55E00")):
        v = m[col].to_numpy(dtype=float)
        ax.bar(x, v, bottom=bottom, color=colour, width=0.7, label=_lab(col, lang))
        bottom += v
    ax.set_xticks(x)
    ax.set_xlabel(_lab("month", lang))
    ax.set_ylabel(_lab("count", lang))
    ax.set_title(_lab("monthly", lang), fontsize=10, loc="left", pad=22)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, frameon=False, fontsize=8)
    return fig


def report_section(results: Any, unit_id: str, lang: str = "zh", period: Any = None
                   ) -> TasksSection | None:
    """The task-ledger (预安销号) section of a unit report.

    Parameters
    ----------
    results : Results or mapping of tables
        Reads ``tasks_yearly`` (the unit's tallies and task score), ``tasks_monthly`` (the
        chart) and ``tasks_progress`` (key projects), and ``spec.sources.tasks`` for the
        escalation levels and the scale (defaults: :data:`DEFAULTS`).
    unit_id : str
    lang : {'zh', 'en'}
    period : optional
        Default ``results.current_period`` (else the last period of ``tasks_yearly``).

    Returns
    -------
    TasksSection or None
        ``table``: the yearly row (planned, closed on time / late, open, closure rate
        ``= closed / planned``, highlights, task points of ``scale``, score 0–100);
        ``escalations``: per level, its threshold in months overdue, the number of tasks that
        reached it (``n_<level>``) and its penalty; ``projects``: the last reported month
        of each key project (planned %, actual %, lag ``= planned − actual`` in percentage
        points, red / yellow / green light), most behind first; ``figure``: monthly closure.
        None when the unit has no ledger or project rows in the period.

    Examples
    --------
    >>> tabs = {"tasks_yearly": summarise_ledger(pd.DataFrame({
    ...     "period": 2025, "unit_id": "T01", "task_id": ["a", "b"], "planned_month": 3,
    ...     "due_month": 3, "closed_month": [3, 5]})).yearly}
    >>> sec = report_section(tabs, "T01", "en", period=2025)
    >>> int(sec.table.loc[0, "Planned"]), sec.table.loc[0, "Closure rate"]
    (2, '100.0%')
    >>> report_section(tabs, "X99", "en", period=2025) is None
    True
    """
    tabs: Mapping[str, pd.DataFrame] = getattr(results, "tables", results)
    if period is None:
        period = getattr(results, "current_period", None)
    if period is None and "tasks_yearly" in tabs:
        period = tabs["tasks_yearly"]["period"].astype(str).max()
    yearly = _unit_rows(tabs, "tasks_yearly", unit_id, period)
    progress = _unit_rows(tabs, "tasks_progress", unit_id, period)
    if yearly.empty and progress.empty:
        return None
    spec = getattr(results, "spec", None) or {}
    cfg = ((spec.get("sources") or {}).get("tasks") or {}) if isinstance(spec, Mapping) else {}
    scale = cfg.get("scale", DEFAULTS["scale"])
    levels = cfg.get("escalation") or DEFAULTS["escalation"]

    y = yearly.iloc[0] if len(yearly) else pd.Series(dtype=object)
    table = pd.DataFrame({
        _lab("period", lang): [str(period)],
        **{_lab(c, lang): [y.get(c)] for c in ("planned", "closed_on_time", "closed_late",
                                               "open")},
        _lab("closure_rate", lang): [_percent(y.get("closure_rate"))],
        _lab("highlights", lang): [y.get("highlights")],
        _lab("task_points", lang, scale=f"{float(scale):g}"): [y.get("task_points")],
        _lab("score", lang): [y.get("score")],
    }, dtype=object)
    escalations = pd.DataFrame({
        _lab("level", lang): [_lab(str(lvl["id"]), lang) for lvl in levels],
        _lab("months", lang): [int(lvl["months"]) for lvl in levels],
        _lab("n_tasks", lang): [y.get(f"n_{lvl['id']}") for lvl in levels],
        _lab("penalty", lang): [float(lvl["points"]) for lvl in levels],
    }, dtype=object)
    last = latest_progress(progress)
    name = (last["project_name"].astype("string").fillna(last["project_id"].astype(str))
            if "project_name" in last.columns else last.get("project_id", pd.Series()))
    projects = pd.DataFrame({
        _lab("project_id", lang): last.get("project_id", pd.Series(dtype=object)),
        _lab("project", lang): name,
        _lab("month", lang): last.get("month", pd.Series(dtype=object)),
        _lab("planned_pct", lang): last.get("planned_pct", pd.Series(dtype=object)),
        _lab("actual_pct", lang): last.get("actual_pct", pd.Series(dtype=object)),
        _lab("lag", lang): last.get("lag", pd.Series(dtype=object)),
        _lab("status", lang): [_lab(str(s), lang) for s in last.get("status", [])],
    }, dtype=object)
    monthly = _unit_rows(tabs, "tasks_monthly", unit_id, period)
    figure = monthly_chart(monthly, lang) if len(monthly) else None
    return TasksSection(table, escalations, projects, figure,
                        tuple(str(s) for s in last.get("status", [])))
