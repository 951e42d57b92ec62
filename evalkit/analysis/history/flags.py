"""Consecutive-period rules applied: events, flags for ``totals.flags``, per-unit views.

:func:`history_events` is the long form (one row per period, unit and rule whose streak is
complete); :func:`history_flags` joins a unit's flags of a period for ``totals.flags``
(:func:`merge_flags` appends them); :func:`unit_trend` and :func:`flagged_units` are the views
the unit report and the overview print.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.analysis.history.expr import as_bool, eval_condition
from evalkit.analysis.history.rules import HistoryRule, parse_rules
from evalkit.analysis.history.timeline import period_positions, trends
from evalkit.core.errors import EvalkitError, SpecError


def rule_streaks(rule: HistoryRule, df: pd.DataFrame) -> np.ndarray:
    r"""Length of the streak of ``rule`` at each row of :func:`trends` (0 where it fails).

    With ``c`` the condition per row (rows sorted by unit and period), ``k`` whether the row
    continues the unit's previous one (for ``category_change: break`` also: same category),

    .. math:: s_i = c_i\,(1 + s_{i-1}\,k_i),

    computed at once for all units as run lengths: ``start = c ∧ ¬(c_prev ∧ k)`` opens a run,
    runs are numbered by ``cumsum(start ∨ ¬c)`` and the streak is the position in the run.

    Parameters
    ----------
    rule : HistoryRule
        A parsed rule (:func:`~evalkit.analysis.history.rules.parse_rules`).
    df : DataFrame
        :func:`~evalkit.analysis.history.timeline.trends` of the totals (with ``_continues``).

    Returns
    -------
    ndarray of int
        The streak length per row of ``df``.

    Raises
    ------
    SpecError
        The condition reads a column the totals do not have (naming the rule's ``when``).
    """
    unknown = [n for n in rule.names if n not in df.columns]
    if unknown:
        cols = sorted(c for c in df.columns if not c.startswith("_") and c != "pos")
        raise SpecError(f"unknown column(s) {unknown} in the condition; expected columns "
                        f"of the totals: {', '.join(cols)}", f"{rule.where}.when")
    c = as_bool(eval_condition(rule.tree, df), df).to_numpy()
    cont = df["_continues"].to_numpy()
    if rule.category_change == "break":
        cont = cont & ~df["category_changed"].to_numpy()
    prev_c = np.concatenate([[False], c[:-1]])
    start = c & ~(prev_c & cont)
    run = np.cumsum(start | ~c)
    return np.where(c, pd.Series(run).groupby(run).cumcount().to_numpy() + 1, 0)


def history_events(totals: pd.DataFrame, rules: Any, where: str = "history") -> pd.DataFrame:
    """Every (period, unit, rule) where a rule's streak is complete.

    Parameters
    ----------
    totals : DataFrame
        ``totals`` of several periods (or :func:`trends` of them).
    rules : mapping, list of mappings or list of HistoryRule
        The ``history`` section (``{rules: [...]}``), its list of rules, or parsed rules.

    Returns
    -------
    DataFrame
        period, unit_id, rule, flag, label, streak (length of the streak so far), sorted by
        period, unit and rule order.

    Notes
    -----
    Streaks are run lengths computed at once for all units (:func:`rule_streaks`).
    """
    parsed = parse_rules(rules, where)
    df = totals if "_continues" in totals.columns else trends(totals)
    frames = []
    for rule in parsed:
        streak = rule_streaks(rule, df)
        hit = streak >= rule.periods
        frames.append(pd.DataFrame({"period": df["period"].to_numpy()[hit],
                                    "unit_id": df["unit_id"].to_numpy()[hit],
                                    "rule": rule.id, "flag": rule.flag, "label": rule.label,
                                    "streak": streak[hit], "_pos": df["pos"].to_numpy()[hit]}))
    cols = ["period", "unit_id", "rule", "flag", "label", "streak"]
    if not frames:
        return pd.DataFrame(columns=cols)
    ev = pd.concat(frames, ignore_index=True)
    return ev.sort_values(["_pos", "unit_id"], kind="stable")[cols].reset_index(drop=True)


def history_flags(totals: pd.DataFrame, rules: Any, where: str = "history") -> pd.DataFrame:
    """Flags from consecutive-period rules, one row per flagged unit and period.

    Parameters
    ----------
    totals : DataFrame
        ``totals`` of several periods.
    rules : mapping, list of mappings or list of HistoryRule
        As for :func:`history_events`.
    where : str
        YAML path of the ``history`` section, for errors.

    Returns
    -------
    DataFrame
        ``period, unit_id, flags`` with ``flags`` the rules' flags joined by ``;`` in the
        order of the rules; ready to be appended to ``totals.flags`` (:func:`merge_flags`).
        See :func:`history_events` for the long form and :mod:`evalkit.analysis.history` for
        the rule format and conventions.

    Examples
    --------
    >>> import pandas as pd
    >>> tot = pd.DataFrame({"period": [1, 2, 3] * 2, "unit_id": list("AAABBB"),
    ...                     "category": "c", "rank": [2, 2, 2, 1, 1, 1]})
    >>> history_flags(tot, [{"id": "bottom", "when": "rank_from_bottom == 1", "periods": 3}])
       period unit_id   flags
    0       3       A  bottom
    """
    ev = history_events(totals, rules, where)
    cols = ["period", "unit_id", "flags"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    keys = ev["period"].astype(str) + "\x1f" + ev["unit_id"].astype(str)
    out = ev.groupby(keys, sort=False).agg(period=("period", "first"),
                                           unit_id=("unit_id", "first"),
                                           flags=("flag", ";".join))
    return out.reset_index(drop=True)[cols]


def merge_flags(totals: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """``totals`` with ``flags`` (from :func:`history_flags`) appended to its ``flags`` column.

    Parameters
    ----------
    totals : DataFrame
        ``totals`` with ``period``, ``unit_id`` and an optional ``flags`` column.
    flags : DataFrame
        ``period, unit_id, flags`` (:func:`history_flags`).

    Returns
    -------
    DataFrame
        ``totals`` whose ``flags`` are the old ones and the new ones joined by ``;`` (blank
        flags are not joined).

    Examples
    --------
    >>> tot = pd.DataFrame({"period": 2025, "unit_id": ["A", "B"], "flags": ["veto", ""]})
    >>> fl = pd.DataFrame({"period": [2025], "unit_id": ["A"], "flags": ["last_twice"]})
    >>> merge_flags(tot, fl)["flags"].tolist()
    ['veto;last_twice', '']
    """
    key = ["period", "unit_id"]
    extra = totals[key].merge(flags, on=key, how="left")["flags"].fillna("").astype(str)
    old = (totals["flags"].fillna("").astype(str) if "flags" in totals.columns
           else pd.Series("", index=totals.index))
    extra.index = old.index
    sep = pd.Series(np.where((old != "") & (extra != ""), ";", ""), index=old.index)
    return totals.assign(flags=old + sep + extra)


def unit_trend(totals: pd.DataFrame, unit_id: str, rules: Any = None) -> pd.DataFrame:
    """One unit's history, for the unit report: a row per period in time order.

    Parameters
    ----------
    totals : DataFrame
        ``totals`` of several periods.
    unit_id : str
    rules : optional
        The ``history`` section or its rules (as for :func:`history_events`).

    Returns
    -------
    DataFrame
        Columns (those present): period, category, total, rank, n_in_category,
        rank_from_bottom, grade, grade_name, rank_change, total_change, category_changed,
        flags, and ``history`` — the labels of the rules (if given) that fire in that period,
        joined by ``;``.

    Raises
    ------
    EvalkitError
        The unit is in no period.
    """
    t = trends(totals)
    t = t[t["unit_id"].astype(str) == str(unit_id)]
    if t.empty:
        raise EvalkitError(f"unit {unit_id!r} is not in any period of the results", "unit_id")
    cols = [c for c in ("period", "category", "total", "rank", "n_in_category",
                        "rank_from_bottom", "grade", "grade_name", "rank_change",
                        "total_change", "category_changed", "flags") if c in t.columns]
    out = t[cols].reset_index(drop=True)
    if rules is not None:
        ev = history_events(t, rules)
        lab = ev.groupby(ev["period"].astype(str))["label"].agg(";".join)
        out["history"] = [lab.get(p, "") for p in out["period"].astype(str)]  # a few periods
    return out


def flagged_units(totals: pd.DataFrame, rules: Any, period: Any = None) -> pd.DataFrame:
    """Units a rule flags in ``period`` (default: the last), for the overview.

    Parameters
    ----------
    totals, rules
        As for :func:`history_flags`.
    period : optional
        The period shown (default: the last in time order).

    Returns
    -------
    DataFrame
        period, unit_id, unit_name, unit_name_en, category, total, rank, rule, flag, label,
        streak (those present), sorted by rule order then category and rank.
    """
    ev = history_events(totals, rules)
    _, ordered = period_positions(totals["period"])
    period = ordered[-1] if period is None else period
    ev = ev[ev["period"].astype(str) == str(period)]
    info = [c for c in ("unit_name", "unit_name_en", "category", "total", "rank")
            if c in totals.columns]
    cur = totals[totals["period"].astype(str) == str(period)][["unit_id", *info]]
    out = ev.merge(cur, on="unit_id", how="left")
    order = {r.id: i for i, r in enumerate(parse_rules(rules))}
    out = out.assign(_o=out["rule"].map(order)).sort_values(
        ["_o", *[c for c in ("category", "rank") if c in out], "unit_id"], kind="stable")
    return out[["period", "unit_id", *info, "rule", "flag", "label", "streak"]].reset_index(
        drop=True)
