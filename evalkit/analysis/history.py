"""Evaluation history: several periods side by side, trends, rank changes, consecutive rules.

Offices act on streaks: "连续两年排名最后一位的, 单位'一把手'进行组织调整; 连续三年排在后三位的,
单位党政主要负责人引咎辭职", "连续3年考核排位前10位的单位领导给予提拔重用" (seed 004). This
module keeps the ``totals`` of several periods in one :class:`ResultsStore`, derives per unit
and period the positions those rules speak of, and evaluates rules declared in the spec::

    history:
      rules:
        - id: last_twice              # a name (identifier), unique
          when: "rank_from_bottom <= 1"
          periods: 2                  # consecutive periods in which `when` holds
          flag: last_two_periods      # text added to totals.flags (default: the id)
          label: 连续两年排名最后一位   # shown in reports (default: the flag)
          category_change: keep       # keep (default) or break the streak on a category change
        - {id: bottom_three_thrice, when: "rank_from_bottom <= 3", periods: 3}
        - {id: top_grade_three_years, when: "grade == 'excellent'", periods: 3}

``when`` is a small boolean expression over columns of :func:`trends` (any ``totals``
column, e.g. ``total``, ``rank``, ``grade``, ``category``, ``veto``, ``office``, plus
``rank_from_bottom``, ``rank_pct``, ``rank_change``, ``total_change``, ``category_changed``,
``first_period``): comparisons (``<, <=, ==, !=, >=, >``, chained), ``in``/``not in`` a list,
``and``, ``or``, ``not`` and literals. Nothing else is evaluated (it is parsed with
:mod:`ast`, never ``eval``-ed).

Conventions
-----------
- ``rank`` is 1 for the best unit of its category in a period. Ties share the better place
  counted from either end: ``rank_from_bottom = 1 + #{units of the category ranked below}``,
  so two units tied for last both have ``rank_from_bottom = 1``.
- Periods run in sorted order. When every period is a whole number (years) a missing year
  breaks a streak; otherwise periods are consecutive in the order the store holds them. A
  unit absent from a period (it appeared mid-way, or left) has no streak across that period.
- ``category_change: keep`` carries a streak across a change of category (the rule is about
  the unit's rank in whatever category it was ranked in); ``break`` restarts it.
- A rule fires in every period that completes a streak of at least ``periods`` periods.

Examples
--------
>>> import pandas as pd
>>> tot = pd.DataFrame({"period": [2023, 2023, 2024, 2024], "unit_id": ["A", "B"] * 2,
...                     "category": "township", "total": [90, 80, 85, 70], "rank": [1, 2] * 2})
>>> history_flags(tot, {"rules": [{"id": "last_twice", "when": "rank_from_bottom <= 1",
...                                "periods": 2}]}).to_numpy().tolist()
[[2024, 'B', 'last_twice']]
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, SpecError, TableError, raise_all
from evalkit.core.figures import TableFigure
from evalkit.demo.registry import register_demo_tables

RULE_KEYS = {"id", "when", "periods", "flag", "label", "category_change"}
CATEGORY_CHANGE = ("keep", "break")

_CMP = {ast.Lt: "__lt__", ast.LtE: "__le__", ast.Gt: "__gt__", ast.GtE: "__ge__",
        ast.Eq: "__eq__", ast.NotEq: "__ne__"}


# --------------------------------------------------------------------------- expressions
def _check_expr(node: ast.AST, where: str) -> list[str]:
    """Column names used by ``node``; raise SpecError on any construct not allowed."""
    if isinstance(node, ast.Expression):
        return _check_expr(node.body, where)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And | ast.Or):
        return [n for v in node.values for n in _check_expr(v, where)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _check_expr(node.operand, where)
    if isinstance(node, ast.Compare):
        names = _check_expr(node.left, where)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, ast.List | ast.Tuple) or not all(
                        isinstance(e, ast.Constant) for e in right.elts):
                    raise SpecError("'in' needs a list of literals, e.g. grade in ['A', 'B']",
                                    where)
            elif type(op) not in _CMP:
                raise SpecError(f"comparison {type(op).__name__} not allowed; expected "
                                "<, <=, ==, !=, >=, >, in, not in", where)
            else:
                names += _check_expr(right, where)
        return names
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
        return []
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(
            node.operand, ast.Constant):
        return []
    raise SpecError(f"{ast.unparse(node)!r} is not allowed; expected comparisons of columns "
                    "with literals joined by and / or / not", where)


def _eval(node: ast.AST, df: pd.DataFrame) -> Any:
    """Evaluate a checked expression on the columns of ``df`` (vectorised)."""
    if isinstance(node, ast.Expression):
        return _eval(node.body, df)
    if isinstance(node, ast.BoolOp):
        vals = [_as_bool(_eval(v, df), df) for v in node.values]
        out = vals[0]
        for v in vals[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_as_bool(_eval(node.operand, df), df)
    if isinstance(node, ast.UnaryOp):  # unary minus of a literal
        return -_eval(node.operand, df)
    if isinstance(node, ast.Compare):
        out = pd.Series(True, index=df.index)
        left = _eval(node.left, df)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                vals = [e.value for e in right_node.elts]  # type: ignore[attr-defined]
                hit = pd.Series(left, index=df.index).isin(vals)
                res = ~hit if isinstance(op, ast.NotIn) else hit
                right = None
            else:
                right = _eval(right_node, df)
                res = getattr(pd.Series(left, index=df.index), _CMP[type(op)])(right)
            out = out & _as_bool(res, df)
            left = right
        return out
    if isinstance(node, ast.Name):
        return df[node.id]
    return node.value  # type: ignore[attr-defined]


def _as_bool(x: Any, df: pd.DataFrame) -> pd.Series:
    s = x if isinstance(x, pd.Series) else pd.Series(x, index=df.index)
    return s.fillna(False).astype(bool)


# --------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class HistoryRule:
    """One consecutive-period rule (see the module docstring for the YAML form)."""

    id: str
    when: str
    periods: int
    flag: str
    label: str
    category_change: str = "keep"
    where: str = "history.rules[0]"
    tree: ast.Expression = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    names: tuple[str, ...] = ()


def _parse_rule(raw: Any, where: str, problems: list[EvalkitError]) -> HistoryRule | None:
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a mapping with keys id, when, periods "
                                  "(and optional flag, label, category_change)", where))
        return None
    n0 = len(problems)
    for k in sorted(set(raw) - RULE_KEYS):
        problems.append(SpecError(f"unknown key {k!r}; expected one of {sorted(RULE_KEYS)}",
                                  f"{where}.{k}"))
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid.isidentifier():
        problems.append(SpecError(f"expected a name made of letters, digits and _, got {rid!r}",
                                  f"{where}.id"))
    periods = raw.get("periods")
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
        problems.append(SpecError(f"expected a whole number of periods ≥ 1, got {periods!r}",
                                  f"{where}.periods"))
    cc = raw.get("category_change", "keep")
    if cc not in CATEGORY_CHANGE:
        problems.append(SpecError(f"expected keep or break, got {cc!r}",
                                  f"{where}.category_change"))
    for k in ("flag", "label"):
        v = raw.get(k)
        if v is not None and (not isinstance(v, str) or not v or ";" in v):
            problems.append(SpecError(f"expected non-empty text without ';', got {v!r}",
                                      f"{where}.{k}"))
    when = raw.get("when")
    tree, names = None, []
    if not isinstance(when, str) or not when.strip():
        problems.append(SpecError("expected a condition such as \"rank_from_bottom <= 1\"",
                                  f"{where}.when"))
    else:
        try:
            tree = ast.parse(when.strip(), mode="eval")
            names = _check_expr(tree, f"{where}.when")
        except SyntaxError as err:
            problems.append(SpecError(f"cannot read the condition {when!r}: {err.msg}",
                                      f"{where}.when"))
        except SpecError as err:
            problems.append(err)
    if len(problems) > n0:
        return None
    flag = raw.get("flag") or rid
    return HistoryRule(id=rid, when=when, periods=periods, flag=flag,
                       label=raw.get("label") or flag, category_change=cc, where=where,
                       tree=tree, names=tuple(dict.fromkeys(names)))


def _rules_list(config: Any, where: str) -> tuple[Any, str, list[EvalkitError]]:
    if isinstance(config, Mapping):
        extra = sorted(set(config) - {"rules"})
        problems: list[EvalkitError] = [
            SpecError(f"unknown key {k!r}; expected rules", f"{where}.{k}") for k in extra]
        return config.get("rules", []), f"{where}.rules", problems
    return config, f"{where}.rules", []


def validate_history(config: Any, where: str = "history") -> list[EvalkitError]:
    """Problems in a ``history`` section (``{rules: [...]}``), each naming its YAML path."""
    try:
        parse_rules(config, where)
    except EvalkitError as err:
        return list(getattr(err, "problems", [err]))
    return []


def parse_rules(config: Any, where: str = "history") -> list[HistoryRule]:
    """Parse and check the rules of a ``history`` section (or a list of rule mappings).

    Raises
    ------
    SpecError, ProblemList
        Every problem, with its YAML path (``history.rules[1].when``).
    """
    if config is None:
        return []
    if isinstance(config, Sequence) and config and all(isinstance(r, HistoryRule)
                                                       for r in config):
        return list(config)
    rules_raw, path, problems = _rules_list(config, where)
    if not isinstance(rules_raw, list):
        problems.append(SpecError("expected a list of rules", path))
        rules_raw = []
    rules = [_parse_rule(r, f"{path}[{i}]", problems) for i, r in enumerate(rules_raw)]
    seen: dict[str, int] = {}
    for i, r in enumerate(rules):
        if r is not None and r.id in seen:
            problems.append(SpecError(f"rule id {r.id!r} already used by {path}[{seen[r.id]}]; "
                                      "expected unique ids", f"{path}[{i}].id"))
        elif r is not None:
            seen[r.id] = i
    raise_all(problems, "problems in the history rules")
    return [r for r in rules if r is not None]


# --------------------------------------------------------------------------- trends
def _period_positions(periods: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Position of each row's period on the time axis and the ordered distinct periods."""
    uniq = pd.Index(pd.unique(periods)).tolist()
    num = pd.to_numeric(pd.Series(uniq), errors="coerce")
    whole = num.notna().all() and bool((num == num.round()).all())
    if whole:
        order = np.argsort(num.to_numpy(), kind="stable")
        pos_of = dict(zip(uniq, num.to_numpy(dtype=np.int64), strict=True))
    else:
        order = np.argsort(np.array([str(p) for p in uniq]), kind="stable")
        pos_of = {uniq[j]: k for k, j in enumerate(order)}
    ordered = [uniq[j] for j in order]
    return periods.map(pos_of).to_numpy(dtype=np.int64), ordered


def trends(totals: pd.DataFrame, name: str = "totals") -> pd.DataFrame:
    """The ``totals`` of several periods with positions and changes per unit.

    Adds ``pos`` (the period's place on the time axis), ``n_in_category`` (if absent),
    ``rank_from_bottom = 1 + #{units of the category and period with a larger rank}``,
    ``rank_pct = rank / n_in_category``, ``rank_change = previous rank − rank`` (positive =
    moved up; NaN in a unit's first period, after a gap or a change of category),
    ``total_change``, ``category_changed`` and ``first_period``. Sorted by unit and period.

    Raises
    ------
    TableError
        A required column is missing or a unit appears twice in one period.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": [2024, 2024, 2024, 2025, 2025, 2025],
    ...                   "unit_id": list("ABCABC"), "category": "c",
    ...                   "total": [9, 8, 8, 7, 9, 8], "rank": [1, 2, 2, 3, 1, 2]})
    >>> tr = trends(t)
    >>> tr["rank_from_bottom"].tolist()   # A 2024, A 2025, B 2024, ...; B, C tie last in 2024
    [3.0, 1.0, 1.0, 3.0, 1.0, 2.0]
    >>> tr["rank_change"].tolist()
    [nan, -2.0, nan, 1.0, nan, 0.0]
    """
    need = ["period", "unit_id", "category", "rank"]
    missing = [c for c in need if c not in totals.columns]
    if missing:
        raise TableError(f"missing column(s) {missing}; expected at least {need}", name)
    dup = totals.duplicated(["period", "unit_id"]).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        r = totals.iloc[i]
        raise TableError(f"unit {r['unit_id']} appears more than once in period {r['period']}; "
                         "expected one row per unit and period", f"{name}, row {i + 1}")
    pos, _ = _period_positions(totals["period"])
    df = totals.assign(pos=pos)
    rank = pd.to_numeric(df["rank"], errors="coerce")
    grp = [df["pos"], df["category"]]
    if "n_in_category" not in df.columns:
        df["n_in_category"] = rank.groupby(grp).transform("size")
    df["rank_from_bottom"] = rank.groupby(grp).rank(method="min", ascending=False)
    df["rank_pct"] = rank / df["n_in_category"]
    df = df.sort_values(["unit_id", "pos"], kind="stable").reset_index(drop=True)
    same = (df["unit_id"] == df["unit_id"].shift()) & (df["pos"] == df["pos"].shift() + 1)
    changed = same & (df["category"] != df["category"].shift())
    comparable = same & ~changed
    df["rank_change"] = (df["rank"].shift() - df["rank"]).where(comparable)
    if "total" in df.columns:
        df["total_change"] = (df["total"] - df["total"].shift()).where(same)
    else:
        df["total_change"] = np.nan
    df["category_changed"] = changed.to_numpy()
    df["first_period"] = (df["unit_id"] != df["unit_id"].shift()).to_numpy()
    df["_continues"] = same.to_numpy()
    return df


# --------------------------------------------------------------------------- flags
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
    Streaks are run lengths computed at once for all units: with ``c`` the condition per
    row (sorted by unit and period) and ``start = c ∧ ¬(c_prev ∧ continues)``, the streak is
    the position within runs numbered by ``cumsum(start ∨ ¬c)``.
    """
    parsed = parse_rules(rules, where)
    df = totals if "_continues" in totals.columns else trends(totals)
    frames = []
    for rule in parsed:
        unknown = [n for n in rule.names if n not in df.columns]
        if unknown:
            cols = sorted(c for c in df.columns if not c.startswith("_") and c != "pos")
            raise SpecError(f"unknown column(s) {unknown} in the condition; expected columns "
                            f"of the totals: {', '.join(cols)}", f"{rule.where}.when")
        c = _as_bool(_eval(rule.tree, df), df).to_numpy()
        cont = df["_continues"].to_numpy()
        if rule.category_change == "break":
            cont = cont & ~df["category_changed"].to_numpy()
        prev_c = np.concatenate([[False], c[:-1]])
        start = c & ~(prev_c & cont)
        run = np.cumsum(start | ~c)
        streak = np.where(c, pd.Series(run).groupby(run).cumcount().to_numpy() + 1, 0)
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

    Returns ``period, unit_id, flags`` with ``flags`` the rules' flags joined by ``;`` in the
    order of the rules; ready to be appended to ``totals.flags``. See :func:`history_events`
    for the long form and the module docstring for the rule format and conventions.

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
    """``totals`` with ``flags`` (from :func:`history_flags`) appended to its ``flags`` column."""
    key = ["period", "unit_id"]
    extra = totals[key].merge(flags, on=key, how="left")["flags"].fillna("").astype(str)
    old = (totals["flags"].fillna("").astype(str) if "flags" in totals.columns
           else pd.Series("", index=totals.index))
    extra.index = old.index
    sep = pd.Series(np.where((old != "") & (extra != ""), ";", ""), index=old.index)
    return totals.assign(flags=old + sep + extra)


# --------------------------------------------------------------------------- store
@dataclass
class ResultsStore:
    """Results of several periods side by side, to query from a notebook.

    Build with :meth:`load` (Results folders), :meth:`from_results` (Results objects) or
    directly from a multi-period ``totals`` table. ``tables`` holds every loaded table
    concatenated over the folders (``totals``, and e.g. ``sources``, ``points`` if asked).

    Examples
    --------
    >>> import pandas as pd
    >>> tot = pd.DataFrame({"period": [2024, 2025], "unit_id": "T01", "category": "township",
    ...                     "total": [80.0, 84.5], "rank": [5, 2], "flags": ""})
    >>> store = ResultsStore({"totals": tot})
    >>> store.periods
    [2024, 2025]
    >>> store.unit_trend("T01")["rank_change"].tolist()
    [nan, 3.0]
    """

    tables: dict[str, pd.DataFrame]
    origins: dict[Any, str] = field(default_factory=dict)

    @classmethod
    def load(cls, folders: Iterable[str | Path], tables: Sequence[str] = ("totals",)
             ) -> ResultsStore:
        """Read ``<table>.parquet`` of each Results folder (``Results.save`` layout).

        Raises
        ------
        TableError
            A folder lacks a table, or one period is found in two folders.
        """
        parts: dict[str, list[pd.DataFrame]] = {t: [] for t in tables}
        origins: dict[Any, str] = {}
        for folder in map(Path, folders):
            for t in tables:
                f = folder / f"{t}.parquet"
                if not f.is_file():
                    raise TableError(f"no {t}.parquet; expected a folder written by "
                                     "Results.save", str(folder))
                parts[t].append(pd.read_parquet(f))
            for p in pd.unique(parts[tables[0]][-1]["period"]):
                if p in origins:
                    raise TableError(f"period {p} is also in {origins[p]}; expected each "
                                     "period in one folder", str(folder))
                origins[p] = str(folder)
        return cls({t: pd.concat(v, ignore_index=True) for t, v in parts.items()}, origins)

    @classmethod
    def from_results(cls, results: Iterable[Any], tables: Sequence[str] = ("totals",)
                     ) -> ResultsStore:
        """Combine Results objects (anything with a ``tables`` mapping)."""
        res = list(results)
        return cls({t: pd.concat([r.tables[t] for r in res], ignore_index=True)
                    for t in tables})

    @property
    def totals(self) -> pd.DataFrame:
        """The ``totals`` of every period."""
        return self.tables["totals"]

    @property
    def periods(self) -> list[Any]:
        """Distinct periods in time order."""
        return _period_positions(self.totals["period"])[1]

    def trends(self) -> pd.DataFrame:
        """:func:`trends` of the stored totals (without the internal columns)."""
        return trends(self.totals).drop(columns=["_continues"])

    def wide(self, value: str = "rank") -> pd.DataFrame:
        """One row per unit, one column per period, holding ``value`` (e.g. rank, total)."""
        w = self.totals.pivot(index="unit_id", columns="period", values=value)
        return w[[p for p in self.periods if p in w.columns]]

    def unit_trend(self, unit_id: str, rules: Any = None) -> pd.DataFrame:
        """:func:`unit_trend` of one unit."""
        return unit_trend(self.totals, unit_id, rules)

    def rank_changes(self, period: Any = None) -> pd.DataFrame:
        """Units of ``period`` (default the last) sorted by rank change, biggest climb first."""
        period = self.periods[-1] if period is None else period
        t = self.trends()
        t = t[t["period"].astype(str) == str(period)]
        cols = [c for c in ("period", "unit_id", "unit_name", "category", "total", "rank",
                            "rank_change", "total_change", "category_changed") if c in t]
        return t.sort_values(["rank_change", "unit_id"], ascending=[False, True])[cols]

    def events(self, rules: Any) -> pd.DataFrame:
        """:func:`history_events` of the stored totals."""
        return history_events(self.totals, rules)

    def flagged(self, rules: Any, period: Any = None) -> pd.DataFrame:
        """:func:`flagged_units` of the stored totals."""
        return flagged_units(self.totals, rules, period)

    def describe(self) -> pd.DataFrame:
        """One row per period in time order: number of units and the folder it came from."""
        counts = self.totals.groupby("period")["unit_id"].nunique()
        return pd.DataFrame({"period": self.periods,
                             "units": [int(counts[p]) for p in self.periods],
                             "folder": [self.origins.get(p, "") for p in self.periods]})


# --------------------------------------------------------------------------- report helpers
def unit_trend(totals: pd.DataFrame, unit_id: str, rules: Any = None) -> pd.DataFrame:
    """One unit's history, for the unit report: a row per period in time order.

    Columns (those present): period, category, total, rank, n_in_category,
    rank_from_bottom, grade, grade_name, rank_change, total_change, category_changed, flags,
    and ``history`` — the labels of the rules (if given) that fire in that period.
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

    Columns: period, unit_id, unit_name, unit_name_en, category, total, rank, rule, flag,
    label, streak (those present), sorted by rule order then category and rank.
    """
    ev = history_events(totals, rules)
    _, ordered = _period_positions(totals["period"])
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


_LABELS = {"zh": {"total": "总分", "rank": "名次", "period": "考核期"},
           "en": {"total": "Total", "rank": "Rank", "period": "Period"}}


def plot_unit_trend(trend: pd.DataFrame, ax: Any = None, lang: str = "zh") -> Any:
    """Line chart of a unit's total (left axis) and rank (right axis, 1 at the top).

    ``trend`` is :func:`unit_trend`'s output; periods where a history rule fired are marked
    with a red triangle. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from evalkit.core.figures import setup_matplotlib

    setup_matplotlib()
    lab = _LABELS.get(lang, _LABELS["en"])
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 2.6))
    else:
        fig = ax.figure
    x = trend["period"].astype(str).to_numpy()
    if "total" in trend:
        ax.plot(x, trend["total"], marker="o", color="#1f77b4", label=lab["total"])
        ax.set_ylabel(lab["total"])
    ax2 = ax.twinx()
    ax2.plot(x, trend["rank"], marker="s", ls="--", color="#ff7f0e", label=lab["rank"])
    ax2.set_ylabel(lab["rank"])
    top = float(np.nanmax(trend.get("n_in_category", trend["rank"])))
    ax2.set_ylim(top + 0.5, 0.5)
    if "history" in trend:
        hit = trend["history"].to_numpy() != ""
        ax2.scatter(x[hit], trend["rank"].to_numpy()[hit], marker="^", s=80, color="#d62728",
                    zorder=3)
    ax.set_xlabel(lab["period"])
    fig.tight_layout()
    return fig


#: The consecutive-period rules of seed 004, as the demo spec declares them.
DEMO_RULES: dict[str, Any] = {"rules": [
    {"id": "last_twice", "when": "rank_from_bottom <= 1", "periods": 2,
     "flag": "last_two_periods", "label": "连续两年排名最后一位"},
    {"id": "bottom_three_thrice", "when": "rank_from_bottom <= 3", "periods": 3,
     "flag": "bottom_three_three_periods", "label": "连续三年排在后三位"},
    {"id": "top_ten_thrice", "when": "rank <= 10", "periods": 3,
     "flag": "top_ten_three_periods", "label": "连续3年考核排位前10位"},
]}


@register_demo_tables("history", spec={"history": DEMO_RULES})
def _demo(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
          rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """No tables: history reads the Results; the hook only adds the rules to the demo spec."""
    return {}


# --------------------------------------------------------------------------- report section
#: Labels of the report section, key -> (Chinese, English).
_SECTION_LABELS: dict[str, tuple[str, str]] = {
    "period": ("考核期", "Period"),
    "category": ("类别", "Category"),
    "total": ("总分", "Total"),
    "total_change": ("总分变化", "Change in total"),
    "rank": ("类别内名次", "Rank in category"),
    "rank_change": ("名次变化", "Rank change"),
    "grade": ("等次", "Grade"),
    "history": ("连续期规则", "Consecutive-period rules"),
    "category_changed": ("（类别调整）", " (category changed)"),
}


def _section_label(key: str, lang: str) -> str:
    zh, en = _SECTION_LABELS[key]
    return en if lang == "en" else zh


def _rank_change_text(x: Any) -> str:
    """``3 -> '↑3'`` (moved up), ``-2 -> '↓2'``, ``0 -> '0'``, NaN -> "–"."""
    if x is None or pd.isna(x):
        return "–"
    v = int(x)
    return f"↑{v}" if v > 0 else f"↓{-v}" if v < 0 else "0"


HistorySection = TableFigure  # the shared (table, figure) report section


def rule_label(rule: HistoryRule, lang: str = "zh") -> str:
    """How a report names a rule: its ``label`` in Chinese, its ``flag`` (``_`` → space) in
    English (the spec's labels are Chinese text)."""
    return rule.flag.replace("_", " ") if lang == "en" else rule.label


def _meta_names(results: Any, meta: str, key: str, lang: str) -> dict[str, str]:
    """Names of the ids in a Results metadata table (``name_en`` in English, else ``name``)."""
    df = results.tables.get(meta)
    if df is None or df.empty or "name" not in df.columns:
        return {}
    name = df["name"].astype("string")
    if lang == "en" and "name_en" in df.columns:
        en = df["name_en"].astype("string")
        name = en.where(en.notna() & (en != ""), name)
    return dict(zip(df[key].astype(str), name.fillna(df[key].astype(str)).astype(str),
                    strict=True))


def report_section(results: Any, unit_id: str, lang: str = "zh") -> HistorySection | None:
    """The history section of a unit report: total and rank per period, with rule flags.

    Parameters
    ----------
    results : Results (or anything with ``tables['totals']`` and an optional ``spec``)
        ``totals`` of every period; the rules are ``spec['history']`` (none: no flags).
    unit_id : str
    lang : {'zh', 'en'}

    Returns
    -------
    HistorySection or None
        ``table``: one row per period (time order) from :func:`unit_trend`: period, category
        (names from ``meta_categories``), total, change in total, rank as ``rank / n`` in the
        category, rank change (``↑k``: moved up ``k`` places = previous rank − rank; "–" in
        a first period, after a gap or a change of category), grade, and the labels of the
        history rules that fire in the period (the rule's ``label`` in Chinese, its ``flag``
        in English); ``figure``: :func:`plot_unit_trend`. None when the unit is in no period.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> tot = pd.DataFrame({"period": [2024, 2024, 2025, 2025], "unit_id": ["A", "B"] * 2,
    ...                     "category": "c", "total": [90.0, 80.0, 85.0, 70.0],
    ...                     "rank": [1, 2] * 2})
    >>> res = SimpleNamespace(tables={"totals": tot}, spec={"history": {"rules": [
    ...     {"id": "last_twice", "when": "rank_from_bottom <= 1", "periods": 2,
    ...      "flag": "last_two_periods", "label": "连续两年排名最后一位"}]}})
    >>> report_section(res, "B", "en").table.iloc[:, -1].tolist()
    ['', 'last two periods']
    >>> report_section(res, "Z") is None
    True
    """
    totals = results.tables["totals"]
    if not (totals["unit_id"].astype(str) == str(unit_id)).any():
        return None
    spec = getattr(results, "spec", None) or {}
    rules = parse_rules(spec.get("history") if isinstance(spec, Mapping) else None)
    trend = unit_trend(totals, unit_id, rules or None)
    cat_names = _meta_names(results, "meta_categories", "category", lang)
    category = trend["category"].astype(str).map(lambda c: cat_names.get(c, c))
    if "category_changed" in trend:
        category = category + np.where(trend["category_changed"].to_numpy(dtype=bool),
                                       _section_label("category_changed", lang), "")
    n = trend["n_in_category"] if "n_in_category" in trend else pd.Series(pd.NA,
                                                                          index=trend.index)
    rank = [f"{int(r)} / {int(k)}" if pd.notna(k) else str(int(r)) if pd.notna(r) else "–"
            for r, k in zip(trend["rank"], n, strict=True)]
    shown = {r.label: rule_label(r, lang) for r in rules}
    history = trend["history"] if "history" in trend else pd.Series("", index=trend.index)
    history = history.map(lambda s: ("; " if lang == "en" else "；").join(
        shown.get(x, x) for x in str(s).split(";") if x))
    grade_names = _meta_names(results, "meta_grades", "grade", lang)
    grade = (trend["grade"].astype(str).map(lambda g: grade_names.get(g, g))
             if "grade" in trend else pd.Series("", index=trend.index))
    table = pd.DataFrame({
        _section_label("period", lang): trend["period"].astype(str),
        _section_label("category", lang): category,
        _section_label("total", lang): trend.get("total", pd.Series(np.nan, index=trend.index)),
        _section_label("total_change", lang): trend.get("total_change",
                                                        pd.Series(np.nan, index=trend.index)),
        _section_label("rank", lang): rank,
        _section_label("rank_change", lang): trend["rank_change"].map(_rank_change_text),
        _section_label("grade", lang): grade.fillna("").astype(str),
        _section_label("history", lang): history,
    }, dtype=object)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0, 2.6))
    plot_unit_trend(trend, ax=fig.subplots(), lang=lang)
    return HistorySection(table, fig)
