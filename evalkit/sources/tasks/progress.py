"""Schedule progress (时序进度) of key projects: traffic lights, red flags, yellow cards.

Each key project has, per month, a planned cumulative progress and the actual one (both in
percent). The office publishes a red / yellow / green light per project every month (红黄绿牌,
"一月一公示、红灯就警示", seed 002), awards the monthly red flag (流动红旗) to the best township
and the best department ("每月评选出2个红旗单位(原则上1个县级部门、1个乡镇)…奖综合考核得分1分",
seed 004), and gives yellow cards for projects behind schedule ("对未完成时序进度的发黄牌警告,
年度考核予以扣分", seed 004). Red flags and yellow cards are returned as records of the points
table (period, unit_id, kind, points, reason) so the points rules consume them.

Table ``project_progress``: ``period, project_id, unit_id, month, planned_pct, actual_pct``
(optional ``project_name``); ``month`` as in the task ledger (1–12 or ``"2025-03"``).

Conventions
-----------
- lag ``g = planned_pct − actual_pct`` in percentage points; status green if ``g < yellow``,
  yellow if ``yellow ≤ g < red``, red if ``g ≥ red`` (defaults 5 and 15 points).
- A unit's monthly lead is ``−mean(g)`` over its projects reported that month; in each group
  of categories the units with the highest lead, if it exceeds ``ahead_by`` (default 0:
  strictly ahead of schedule, 超时序进度), receive that month's red flag (ties all receive it).
- A unit receives one yellow card per checkpoint month (default every month) in which at
  least one of its projects is at the ``yellow_card.status`` light (default red).

Examples
--------
>>> import pandas as pd
>>> p = pd.DataFrame({"period": 2025, "project_id": ["P1", "P2"], "unit_id": ["T01", "D01"],
...                   "month": 3, "planned_pct": [30, 30], "actual_pct": [35, 10]})
>>> units = pd.DataFrame({"category": ["township", "gov_dept"]},
...                      index=pd.Index(["T01", "D01"], name="unit_id"))
>>> status, points = progress_records({"project_progress": p}, {}, units, 2025)
>>> status["status"].tolist()
['green', 'red']
>>> points[["unit_id", "kind"]].to_numpy().tolist()
[['T01', 'bonus'], ['D01', 'yellow_card']]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, TableError, raise_all
from evalkit.inputs.vocabulary import excel_rows
from evalkit.sources.tasks.config import PROGRESS_DEFAULTS as DEFAULTS
from evalkit.sources.tasks.config import progress_settings, validate_progress
from evalkit.sources.tasks.months import month_numbers, quote_rows

__all__ = ["DEFAULTS", "POINTS_COLUMNS", "STATUSES", "progress_records", "read_progress",
           "red_flags", "schedule_status", "validate_progress", "yellow_cards"]

#: Traffic lights, best first.
STATUSES = ("green", "yellow", "red")
#: Columns of the points records (the schema of the ``points`` table).
POINTS_COLUMNS = ["period", "unit_id", "kind", "points", "reason"]


def read_progress(progress: pd.DataFrame, *, months: int = 12,
                  units: pd.DataFrame | None = None, name: str = "project_progress"
                  ) -> pd.DataFrame:
    """Check a project-progress table; return it with month numbers within the period.

    Parameters
    ----------
    progress : DataFrame
        ``period, project_id, unit_id, month, planned_pct, actual_pct`` (optional
        ``project_name``); months as in :func:`~evalkit.sources.tasks.months.month_numbers`.
    months : int
        Months in a period (12 for a year).
    units : DataFrame, optional
        Known units (index ``unit_id`` or a ``unit_id`` column).
    name : str
        How errors name the table (file name or data key).

    Returns
    -------
    DataFrame
        The table with ``month`` as an int month number and numeric percentages.

    Raises
    ------
    TableError, ProblemList
        Missing columns, unreadable or out-of-period months, percentages outside 0–100,
        a project reported twice in a month, a unit unknown in that period — naming the row.
    """
    required = ("period", "project_id", "unit_id", "month", "planned_pct", "actual_pct")
    missing = [c for c in required if c not in progress.columns]
    if missing:
        raise TableError(f"missing column(s) {missing}; expected {list(required)}", name)
    df = progress.reset_index(drop=True)
    df.attrs = {**progress.attrs, "rows": excel_rows(progress)}  # as Excel shows them
    ids = ("unit_id", "project_id")
    problems: list[EvalkitError] = []
    m, bad = month_numbers(df["month"], df["period"])
    quote_rows(df, bad | df["month"].isna().to_numpy(), name, "month",
               f"cannot read {{month}} as a month; expected 1–{months} or e.g. 2025-03",
               problems, ids)
    outside = np.isfinite(m) & ((m < 1) | (m > months))
    quote_rows(df, outside, name, "month", "month {month} lies outside period {period}",
               problems, ids)
    for col in ("planned_pct", "actual_pct"):
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        quote_rows(df, ~((v >= 0) & (v <= 100)), name, col,
                   f"{{{col}}} is not a percentage; expected a number from 0 to 100",
                   problems, ids)
    key = pd.DataFrame({"p": df["period"].astype(str), "j": df["project_id"].astype(str),
                        "m": m})
    quote_rows(df, key.duplicated(keep=False).to_numpy() & np.isfinite(m), name, "month",
               "project reported more than once for month {month} (every such row is "
               "named); expected one row per project and month", problems, ids)
    if units is not None:
        known = units.reset_index() if "unit_id" not in units.columns else units
        ok = df["unit_id"].astype(str).isin(set(known["unit_id"].astype(str))).to_numpy()
        quote_rows(df, ~ok, name, "unit_id", "unit {unit_id} is not a unit of period {period}",
                   problems, ids)
    raise_all(problems, "problems in the project progress table")
    out = df.assign(month=m.astype(int),
                    planned_pct=pd.to_numeric(df["planned_pct"]),
                    actual_pct=pd.to_numeric(df["actual_pct"]))
    out.attrs.pop("rows", None)        # they number these rows only
    return out


def schedule_status(progress: pd.DataFrame, config: Mapping[str, Any] | None = None, *,
                    units: pd.DataFrame | None = None, name: str = "project_progress",
                    where: str = "sources.tasks.progress") -> pd.DataFrame:
    """Traffic light per project and month.

    ``lag = planned_pct − actual_pct``; green if ``lag < status.yellow``, red if
    ``lag ≥ status.red``, yellow in between.

    Parameters
    ----------
    progress : DataFrame
        The raw progress table (checked by :func:`read_progress`).
    config : mapping, optional
        The ``progress`` section (defaults :data:`DEFAULTS`).
    units, name
        Passed to :func:`read_progress`.
    where : str
        YAML path of the section, for configuration errors.

    Returns
    -------
    DataFrame
        The checked table with columns ``lag`` and ``status`` (green / yellow / red).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"period": 2025, "project_id": ["P1", "P2", "P3"], "unit_id": "T01",
    ...                   "month": 6, "planned_pct": 50, "actual_pct": [48, 40, 30]})
    >>> schedule_status(p)["status"].tolist()
    ['green', 'yellow', 'red']
    """
    cfg = progress_settings(config or {}, where)
    df = read_progress(progress, months=int(cfg["months"]), units=units, name=name)
    lag = (df["planned_pct"] - df["actual_pct"]).to_numpy(dtype=float)
    st = cfg["status"]
    level = (lag >= float(st["yellow"])).astype(int) + (lag >= float(st["red"])).astype(int)
    return df.assign(lag=lag, status=np.asarray(STATUSES, dtype=object)[level])


def red_flags(status: pd.DataFrame, units: pd.DataFrame, config: Mapping[str, Any] | None = None,
              where: str = "sources.tasks.progress") -> pd.DataFrame:
    """Monthly red flags (流动红旗) as points records (kind ``bonus``).

    For each period, month and group of categories, the units whose mean lead
    ``−mean(lag)`` over their projects is the highest of the group and exceeds
    ``red_flag.ahead_by`` receive ``red_flag.points``; tied units all receive it.

    Parameters
    ----------
    status : DataFrame
        :func:`schedule_status` output (period, month, unit_id, lag).
    units : DataFrame
        Units with a ``category`` (index ``unit_id`` or a ``unit_id`` column).
    config : mapping, optional
        The ``progress`` section (defaults :data:`DEFAULTS`).
    where : str
        YAML path of the section, for configuration errors.

    Returns
    -------
    DataFrame
        Points records (:data:`POINTS_COLUMNS`), kind ``bonus``.
    """
    cfg = progress_settings(config or {}, where)
    rf = cfg["red_flag"]
    group_of = {c: g for g, cats in rf["groups"].items() for c in cats}
    cat = units["category"] if "unit_id" not in units.columns else units.set_index(
        "unit_id")["category"]
    lead = (-status.groupby(["period", "month", "unit_id"])["lag"].mean()).rename("lead")
    lead = lead.reset_index()
    lead["group"] = lead["unit_id"].map(cat).map(group_of)
    lead = lead.dropna(subset=["group"])
    best = lead.groupby(["period", "month", "group"])["lead"].transform("max")
    win = lead[(lead["lead"] == best) & (lead["lead"] > float(rf["ahead_by"]))]
    reason = ("red flag (流动红旗) month " + win["month"].astype(str) + ", best " +
              win["group"].astype(str) + ": " + win["lead"].round(1).astype(str) +
              " points ahead of schedule")
    return pd.DataFrame({"period": win["period"].to_numpy(), "unit_id": win["unit_id"].to_numpy(),
                         "kind": "bonus", "points": float(rf["points"]),
                         "reason": reason.to_numpy()}, columns=POINTS_COLUMNS)


def yellow_cards(status: pd.DataFrame, config: Mapping[str, Any] | None = None,
                 where: str = "sources.tasks.progress") -> pd.DataFrame:
    """Yellow cards (黄牌警告) as points records (kind ``yellow_card``).

    One card per unit and checkpoint month in which any of its projects is at the
    ``yellow_card.status`` light or worse; the reason lists those projects.

    Parameters
    ----------
    status : DataFrame
        :func:`schedule_status` output (period, month, unit_id, project_id, status).
    config : mapping, optional
        The ``progress`` section (defaults :data:`DEFAULTS`); ``yellow_card.months`` limits
        the checkpoint months (None: every month).
    where : str
        YAML path of the section, for configuration errors.

    Returns
    -------
    DataFrame
        Points records (:data:`POINTS_COLUMNS`), kind ``yellow_card``.
    """
    cfg = progress_settings(config or {}, where)
    yc = cfg["yellow_card"]
    worst = STATUSES.index(yc["status"])
    rank = status["status"].map({s: i for i, s in enumerate(STATUSES)})
    hit = status[rank >= worst]
    if yc["months"] is not None:
        hit = hit[hit["month"].isin(yc["months"])]
    g = (hit.assign(project_id=hit["project_id"].astype(str))
         .groupby(["period", "unit_id", "month"], sort=True)["project_id"]
         .agg(lambda s: ", ".join(sorted(s)))
         .reset_index())
    reason = ("yellow card (黄牌警告) month " + g["month"].astype(str) +
              ": behind schedule (时序进度) on " + g["project_id"])
    return pd.DataFrame({"period": g["period"].to_numpy(), "unit_id": g["unit_id"].to_numpy(),
                         "kind": "yellow_card", "points": float(yc["points"]),
                         "reason": reason.to_numpy()}, columns=POINTS_COLUMNS)


def progress_records(tables: Mapping[str, pd.DataFrame], config: Mapping[str, Any],
                     units: pd.DataFrame, period: Any, where: str = "sources.tasks.progress"
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Status per project and month, and the points records, for one period.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The data tables; the progress table is ``tables[config.table]``.
    config : mapping
        The ``sources.tasks.progress`` section.
    units : DataFrame
        Units of the period with a ``category``.
    period
        The period evaluated (rows of other periods are ignored).
    where : str
        YAML path of the section, for errors.

    Returns
    -------
    status : DataFrame
        :func:`schedule_status` of the period's rows.
    points : DataFrame
        Points records (period, unit_id, kind, points, reason): red flags first, then yellow
        cards.
    """
    cfg = progress_settings(config, where)
    key = cfg["table"]
    if key not in tables:
        raise TableError(f"no data table {key!r}; expected a data entry {key}: {{file: ...}}",
                         f"{where}.table")
    raw = tables[key]
    raw = raw[raw["period"].astype(str) == str(period)] if "period" in raw.columns else raw
    status = schedule_status(raw, cfg, units=units, name=key, where=where)
    points = pd.concat([red_flags(status, units, cfg, where), yellow_cards(status, cfg, where)],
                       ignore_index=True)
    return status, points
