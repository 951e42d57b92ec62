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

from evalkit.core.errors import EvalkitError, SpecError, TableError, raise_all
from evalkit.sources.tasks.ledger import month_numbers, quote_rows

DEFAULTS: dict[str, Any] = {
    "table": "project_progress",
    "months": 12,
    "status": {"yellow": 5.0, "red": 15.0},
    "red_flag": {"points": 1.0, "ahead_by": 0.0,
                 "groups": {"township": ["township"], "department": ["party_dept", "gov_dept"]}},
    "yellow_card": {"points": 1.0, "status": "red", "months": None},
}
STATUSES = ("green", "yellow", "red")
POINTS_COLUMNS = ["period", "unit_id", "kind", "points", "reason"]


def validate_progress(config: Mapping[str, Any], where: str = "sources.tasks.progress"
                      ) -> list[EvalkitError]:
    """Problems in a ``progress`` section, each naming its YAML path."""
    if not isinstance(config, Mapping):
        return [SpecError("expected a mapping (table, status, red_flag, yellow_card)", where)]
    problems: list[EvalkitError] = []
    allowed = {"table": None, "months": None, "status": {"yellow", "red"},
               "red_flag": {"points", "ahead_by", "groups"},
               "yellow_card": {"points", "status", "months"}}
    for k, v in config.items():
        if k not in allowed:
            problems.append(SpecError(f"unknown key {k!r}; expected one of {sorted(allowed)}",
                                      f"{where}.{k}"))
        elif allowed[k] is not None:
            if not isinstance(v, Mapping):
                problems.append(SpecError(f"expected a mapping with keys {sorted(allowed[k])}",
                                          f"{where}.{k}"))
                continue
            problems += [SpecError(f"unknown key {kk!r}; expected one of {sorted(allowed[k])}",
                                   f"{where}.{k}.{kk}") for kk in sorted(set(v) - allowed[k])]

    def num(path: str, value: Any, lo: float | None = 0.0) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                lo is not None and value < lo):
            problems.append(SpecError(f"expected a number{'' if lo is None else f' ≥ {lo}'}, "
                                      f"got {value!r}", path))
            return False
        return True

    st = config.get("status") if isinstance(config.get("status"), Mapping) else {}
    ok_y = num(f"{where}.status.yellow", st["yellow"]) if "yellow" in st else True
    ok_r = num(f"{where}.status.red", st["red"]) if "red" in st else True
    if ok_y and ok_r:
        y = st.get("yellow", DEFAULTS["status"]["yellow"])
        r = st.get("red", DEFAULTS["status"]["red"])
        if y > r:
            problems.append(SpecError(f"yellow threshold {y} exceeds red threshold {r}; "
                                      "expected yellow ≤ red (lags in percentage points)",
                                      f"{where}.status"))
    rf = config.get("red_flag") if isinstance(config.get("red_flag"), Mapping) else {}
    if "points" in rf:
        num(f"{where}.red_flag.points", rf["points"])
    if "ahead_by" in rf:
        num(f"{where}.red_flag.ahead_by", rf["ahead_by"], None)
    if "groups" in rf:
        g = rf["groups"]
        if not isinstance(g, Mapping) or not g or not all(
                isinstance(v, list) and v and all(isinstance(c, str) for c in v)
                for v in g.values()):
            problems.append(SpecError("expected a mapping group name -> list of categories",
                                      f"{where}.red_flag.groups"))
        else:
            cats = [c for v in g.values() for c in v]
            dup = sorted({c for c in cats if cats.count(c) > 1})
            if dup:
                problems.append(SpecError(f"categories {dup} are in several groups; expected "
                                          "each category in one group",
                                          f"{where}.red_flag.groups"))
    yc = config.get("yellow_card") if isinstance(config.get("yellow_card"), Mapping) else {}
    if "points" in yc:
        num(f"{where}.yellow_card.points", yc["points"])
    if "status" in yc and yc["status"] not in ("yellow", "red"):
        problems.append(SpecError(f"expected yellow or red, got {yc['status']!r}",
                                  f"{where}.yellow_card.status"))
    months = config.get("months", DEFAULTS["months"])
    if yc.get("months") is not None:
        ms = yc["months"]
        if not isinstance(ms, list) or not all(
                isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= months for m in ms):
            problems.append(SpecError(f"expected a list of month numbers 1–{months}",
                                      f"{where}.yellow_card.months"))
    return problems


def _settings(config: Mapping[str, Any], where: str) -> dict[str, Any]:
    raise_all(validate_progress(config, where), "problems in the progress section")
    cfg = {**DEFAULTS, **config}
    for k in ("status", "red_flag", "yellow_card"):
        cfg[k] = {**DEFAULTS[k], **(config.get(k) or {})}
    return cfg


def read_progress(progress: pd.DataFrame, *, months: int = 12,
                  units: pd.DataFrame | None = None, name: str = "project_progress"
                  ) -> pd.DataFrame:
    """Check a project-progress table; return it with month numbers within the period.

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
    quote_rows(df, key.duplicated().to_numpy() & np.isfinite(m), name, "month",
               "project reported twice for month {month}; expected one row per project and "
               "month", problems, ids)
    if units is not None:
        known = units.reset_index() if "unit_id" not in units.columns else units
        ok = df["unit_id"].astype(str).isin(set(known["unit_id"].astype(str))).to_numpy()
        quote_rows(df, ~ok, name, "unit_id", "unit {unit_id} is not a unit of period {period}",
                   problems, ids)
    raise_all(problems, "problems in the project progress table")
    out = df.assign(month=m.astype(int),
                    planned_pct=pd.to_numeric(df["planned_pct"]),
                    actual_pct=pd.to_numeric(df["actual_pct"]))
    return out


def schedule_status(progress: pd.DataFrame, config: Mapping[str, Any] | None = None, *,
                    units: pd.DataFrame | None = None, name: str = "project_progress",
                    where: str = "sources.tasks.progress") -> pd.DataFrame:
    """Traffic light per project and month.

    ``lag = planned_pct − actual_pct``; green if ``lag < status.yellow``, red if
    ``lag ≥ status.red``, yellow in between.

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
    cfg = _settings(config or {}, where)
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
    """
    cfg = _settings(config or {}, where)
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
    """
    cfg = _settings(config or {}, where)
    yc = cfg["yellow_card"]
    worst = STATUSES.index(yc["status"])
    rank = status["status"].map({s: i for i, s in enumerate(STATUSES)})
    hit = status[rank >= worst]
    if yc["months"] is not None:
        hit = hit[hit["month"].isin(yc["months"])]
    g = (hit.assign(project_id=hit["project_id"].astype(str))
         .groupby(["period", "unit_id", "month"], sort=True)["project_id"].agg(", ".join)
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

    Returns ``(status, points)``; ``points`` has columns period, unit_id, kind, points,
    reason (red flags first, then yellow cards).
    """
    cfg = _settings(config, where)
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


def demo_progress(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
                  rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic key projects and their monthly schedule progress.

    Townships run 2–3 key projects, departments 0–2 (seed 004 publishes 170 projects for a
    county). Planned cumulative progress follows a smooth S-curve from the start month
    (1–3) to 100% at the end month (10–12); actual progress is the plan times a project
    factor ``clip(1 + 0.07 q + N(0, 0.05), 0.6, 1.15)`` for the unit's quality ``q``, plus
    monthly noise, kept non-decreasing and within 0–100.
    """
    uid = units.index.to_numpy()
    town = (units["category"].astype(str) == "township").to_numpy()
    frames = []
    for p in periods:
        q_col = quality[p] if p in quality.columns else quality[str(p)]
        q = q_col.reindex(uid).fillna(0).to_numpy(dtype=float)
        n_proj = np.where(town, rng.integers(2, 4, len(uid)), rng.integers(0, 3, len(uid)))
        u = np.repeat(np.arange(len(uid)), n_proj)
        k = len(u)
        start = rng.integers(1, 4, k)
        end = rng.integers(10, 13, k)
        m = np.arange(1, 13)
        x = np.clip((m[None, :] - start[:, None] + 1) / (end - start + 1)[:, None], 0, 1)
        planned = 100 * x * x * (3 - 2 * x)
        factor = np.clip(1 + 0.07 * q[u] + rng.normal(0, 0.05, k), 0.6, 1.15)
        actual = planned * factor[:, None] + rng.normal(0, 1.5, (k, 12))
        actual = np.maximum.accumulate(np.clip(actual, 0, 100), axis=1)
        seq = pd.Series(u).groupby(u).cumcount().to_numpy() + 1
        pid = np.array([f"{uid[i]}-P{s}" for i, s in zip(u, seq, strict=True)])
        names = (units["unit_name"].to_numpy()[u] if "unit_name" in units else uid[u])
        frames.append(pd.DataFrame({
            "period": p, "project_id": np.repeat(pid, 12),
            "project_name": np.repeat([f"{nm}重点项目{s}" for nm, s in
                                       zip(names, seq, strict=True)], 12),
            "unit_id": np.repeat(uid[u], 12), "month": np.tile([f"{p}-{i:02d}" for i in m], k),
            "planned_pct": planned.ravel().round(1), "actual_pct": actual.ravel().round(1)}))
    return pd.concat(frames, ignore_index=True)
