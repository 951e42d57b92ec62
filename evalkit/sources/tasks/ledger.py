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
from :mod:`evalkit.sources.tasks.progress` to the source's ``points`` table. The section is
checked by :mod:`~evalkit.sources.tasks.config`, the ledger read by
:func:`~evalkit.sources.tasks.read.read_ledger`, and the unit report's section drawn by
:mod:`~evalkit.sources.tasks.section`.

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
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import TableError
from evalkit.sources.base import SourceOutput, register_source
from evalkit.sources.tasks.config import TASKS_DEFAULTS as DEFAULTS
from evalkit.sources.tasks.config import tasks_settings, validate_tasks
from evalkit.sources.tasks.progress import progress_records
from evalkit.sources.tasks.read import check_tasks_tables, read_ledger

# ``evalkit.report.sections`` and the notebooks look the section up here, next to the source
from evalkit.sources.tasks.section import report_section

__all__ = ["DEFAULTS", "Ledger", "read_ledger", "report_section", "summarise_ledger",
           "tasks_source", "validate_tasks", "zone_summary"]


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
    cfg = tasks_settings(config or {}, where)
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

    Parameters
    ----------
    yearly : DataFrame
        :attr:`Ledger.yearly` (per period and unit).

    Returns
    -------
    DataFrame
        Per period: planned, closed_on_time, closed_late, closed, open, closure_rate,
        on_time_rate.
    """
    cols = ["planned", "closed_on_time", "closed_late", "closed", "open"]
    z = yearly.groupby("period")[cols].sum().reset_index()
    return _rates(z)


# --------------------------------------------------------------------------- source
@register_source("tasks", validate=validate_tasks, requires=("tasks_ledger",),
                 check_tables=check_tasks_tables)
def tasks_source(config: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                 units: pd.DataFrame, period: Any) -> SourceOutput:
    """Task ledger (预安销号): score 0–100 = task points / scale × 100.

    Reads the ledger (data key ``ledger``, default ``tasks_ledger``) for ``period``; unknown
    units, months outside the period and tasks closed before they were planned raise a
    :class:`~evalkit.core.errors.TableError` naming the row. Detail tables: ``yearly``,
    ``monthly``, ``ledger`` (one row per task); with a ``progress`` subsection also
    ``progress`` (project status by month) and ``points`` (red flags and yellow cards, in the
    points-table schema).

    Parameters
    ----------
    config : mapping
        The ``sources.tasks`` section (see :mod:`evalkit.sources.tasks.config`).
    tables : mapping of str to DataFrame
        The data tables of the evaluation.
    units : DataFrame
        Units of the period (index ``unit_id`` or a ``unit_id`` column; ``category`` for the
        red flags).
    period
        The period evaluated.

    Returns
    -------
    SourceOutput
        The score per unit (NaN for units with no task due) and the detail tables, each
        with the ``period`` as ``evaluate`` gives it.
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
        status, points = progress_records(tables, config["progress"], units, period,
                                          where="sources.tasks.progress")
        detail |= {"progress": status, "points": points}
    # the period as evaluate gives it (a table's own period column may be read as a number)
    return SourceOutput(score, {k: t.assign(period=period) for k, t in detail.items()})
