"""Demo tables of the task ledger: a year of planned and closed tasks, and key projects.

:func:`demo_ledger` writes ``tasks_ledger.csv`` (about 2,790 tasks a year, ~95% closed, as
in seed 002), :func:`demo_progress` ``project_progress.csv`` (2–3 key projects a township,
0–2 a department, as in seed 004); :data:`DEMO_SPEC` is the ``sources.tasks`` section the
demo spec gets. Both follow each unit's latent quality, so better units close more tasks on
time and run ahead of schedule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.demo.registry import register_demo_tables


def demo_ledger(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
                rng: np.random.Generator, tasks_per_year: float | None = None) -> pd.DataFrame:
    """A synthetic ledger: about ``tasks_per_year`` tasks a year over all units, ~95% closed.

    Tasks per unit and month ~ Poisson(tasks_per_year / (12 n_units)) (seed 002: 2,790
    planned, 78 a month, 2,647 closed); 80% are due the month they are planned, the rest one or
    two months later; a task is closed on time with probability
    ``logistic(2.0 + 0.9 q)`` for the unit's latent quality ``q`` of the period, otherwise it
    rolls over for 1 + Geometric(0.5) months and stays open if that passes December or, with
    probability ``0.2 logistic(−q)``, for good;
    closed-on-time work is highlighted with probability ``0.04 e^{0.5 q}``.

    Parameters
    ----------
    units : DataFrame
        Demo units (index ``unit_id``).
    periods : list
        Years of the ledger.
    quality : DataFrame
        Latent quality per unit (rows) and period (columns).
    rng : numpy.random.Generator
    tasks_per_year : float, optional
        Expected tasks a year over all units; by default 2,790 for the 97 units of the demo
        city and as many per unit for any other size (so every unit has tasks in a year).

    Returns
    -------
    DataFrame
        The raw ledger with calendar months (``"2025-03"``), as an office would send it.
    """
    uid = units.index.to_numpy()
    n_u = len(uid)
    if tasks_per_year is None:
        tasks_per_year = 2790.0 * n_u / 97
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


def demo_progress(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
                  rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic key projects and their monthly schedule progress.

    Townships run 2–3 key projects, departments 0–2 (seed 004 publishes 170 projects for a
    county). Planned cumulative progress follows a smooth S-curve from the start month
    (1–3) to 100% at the end month (10–12); actual progress is the plan times a project
    factor ``clip(1 + 0.07 q + N(0, 0.05), 0.6, 1.15)`` for the unit's quality ``q``, plus
    monthly noise, kept non-decreasing and within 0–100.

    Parameters
    ----------
    units : DataFrame
        Demo units (index ``unit_id``; ``category``, optional ``unit_name``).
    periods : list
        Years of the table.
    quality : DataFrame
        Latent quality per unit (rows) and period (columns).
    rng : numpy.random.Generator

    Returns
    -------
    DataFrame
        ``period, project_id, project_name, unit_id, month, planned_pct, actual_pct``, one
        row per project and month (calendar months).
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


#: What the demo spec gets from the ledger (merged by :func:`evalkit.demo.city.demo_spec`).
DEMO_SPEC: dict[str, Any] = {
    "data": {"tasks_ledger": {"file": "tasks_ledger.csv"},
             "project_progress": {"file": "project_progress.csv"}},
    "sources": {"tasks": {"weight": 0.1, "ledger": "tasks_ledger", "scale": 30,
                          "progress": {"table": "project_progress"}}},
}


@register_demo_tables("tasks", spec=DEMO_SPEC)
def demo_tables(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
                rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The demo city's ledger and key-project progress (see :func:`demo_ledger`)."""
    return {"tasks_ledger.csv": demo_ledger(units, periods, quality, rng),
            "project_progress.csv": demo_progress(units, periods, quality, rng)}
