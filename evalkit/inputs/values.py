"""Checks of the indicator values and the points records.

Values arrive long (one row per unit × indicator) or wide (one column per indicator); either
way every cell is named by the row Excel shows and its column, and what is returned is long:
``period, unit_id, indicator_id, value, _row`` (``_row``: the row in the file).

Examples
--------
>>> import pandas as pd
>>> from evalkit.spec.parse import from_dict
>>> spec = from_dict({"evaluation": {"id": "t", "periods": [2025]},
...     "data": {"units": {"file": "u.csv"}, "values": {"file": "v.csv"}},
...     "perspectives": [{"id": "p"}], "indicators": [{"id": "a", "perspective": "p"}]})
>>> units = pd.DataFrame({"category": ["all"]}, index=pd.Index(["T1"], name="unit_id"))
>>> v = pd.DataFrame({"unit_id": ["T1"], "indicator_id": ["a"], "value": ["95%"]})
>>> problems = []
>>> _ = check_values(v, spec, units, problems)
>>> print(problems[0])                                   # doctest: +NORMALIZE_WHITESPACE
table, row 2, column 'value': '95%' has a percent sign; write the number alone (95 for 95%),
or declare the column's format 'percent'
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, TableError
from evalkit.inputs.catalogue import catalogue_points, check_points_against
from evalkit.inputs.checks import KIND_NAMES, note, numbers, require_columns, rows, unknown_ids
from evalkit.inputs.read import header, where
from evalkit.inputs.vocabulary import excel_rows, period_text
from evalkit.spec.schema import POINT_KINDS, Spec

LONG_COLUMNS = ["period", "unit_id", "indicator_id", "value", "_row"]
#: A header ending in a unit in brackets (full-width brackets are half-width once read).
_SUFFIX = re.compile(r"(.*\S)\s*\(([^()]+)\)")


def spec_periods(spec: Spec) -> list[str] | None:
    """The spec's ``evaluation.periods`` as text (None: every period in the values)."""
    if not spec.evaluation.periods:
        return None
    out = []
    for p in spec.evaluation.periods:
        try:
            out.append(period_text(p))
        except ValueError:
            out.append(str(p))
    return out


def _unit_suffix(head: str) -> tuple[str, str | None]:
    """``'群众满意率(%)'`` → ``('群众满意率', '%')``; a header without one → ``(head, None)``."""
    m = _SUFFIX.fullmatch(head)
    return (m.group(1).strip(), m.group(2).strip()) if m else (head, None)


def indicator_columns(columns: list[str], spec: Spec, src: str,
                      problems: list[EvalkitError]) -> dict[str, str]:
    """Which column of a wide sheet holds which indicator: ``{indicator id: header}``.

    A header names an indicator by its id (``gdp``), its name (``地区生产总值增速``) or
    either with a unit suffix in brackets, half- or full-width (``群众满意率（%）``; headers
    are NFKC-normalised when read). A suffix other than the indicator's declared ``unit``
    is a problem naming both; so is an indicator two columns claim. Other columns
    (``单位名称``) are not read.

    Examples
    --------
    >>> from evalkit.spec.parse import from_dict
    >>> spec = from_dict({"evaluation": {"id": "t"}, "perspectives": [{"id": "p"}],
    ...     "data": {"units": {"file": "u.csv"}, "values": {"file": "v.csv"}},
    ...     "indicators": [{"id": "sat", "name": "群众满意率", "unit": "%", "perspective": "p"},
    ...                    {"id": "rev", "name": "收入", "unit": "万元", "perspective": "p"}]})
    >>> problems = []
    >>> indicator_columns(["单位名称", "群众满意率(%)", "收入(亿元)"], spec, "v.xlsx", problems)
    {'sat': '群众满意率(%)'}
    >>> print(problems[0])                                   # doctest: +NORMALIZE_WHITESPACE
    v.xlsx, column '收入(亿元)': the column reads as indicator 'rev' (收入) in 亿元, but the
    spec declares its unit 万元; correct the header or the indicator's unit
    """
    by_id = {header(i.id): i.id for i in spec.indicators}
    by_key: dict[str, str] = dict(by_id)                                   # ids first
    named = [header(i.name) for i in spec.indicators if i.name]
    shared = {n for n in named if named.count(n) > 1}
    for ind in spec.indicators:
        if ind.name:
            by_key.setdefault(header(ind.name), ind.id)
    units = {i.id: i.unit for i in spec.indicators}
    names = {i.id: i.name for i in spec.indicators}
    out: dict[str, str] = {}
    for head in map(str, columns):
        base, unit = _unit_suffix(head)
        iid = by_key.get(head) or (by_key.get(base) if unit is not None else None)
        if iid is None:
            continue
        if head not in by_id and (same := {head, base} & shared):
            ids = [i.id for i in spec.indicators if i.name and header(i.name) in same]
            problems.append(TableError(f"indicators {ids} share this name; head the column "
                                       "by the indicator's id", f"{src}, column {head!r}"))
            continue
        declared = units[iid]
        if head not in by_key and declared and header(declared) != unit:
            problems.append(TableError(
                f"the column reads as indicator {iid!r} ({names[iid] or iid}) in {unit}, but "
                f"the spec declares its unit {declared}; correct the header or the "
                "indicator's unit", f"{src}, column {head!r}"))
            out.setdefault(iid, "")
        elif iid in out:
            problems.append(TableError(
                f"columns {out[iid]!r} and {head!r} both read as indicator {iid!r}; keep one",
                src))
        else:
            out[iid] = head
    return {i: h for i, h in out.items() if h}


def _wide(df: pd.DataFrame, spec: Spec, problems: list[EvalkitError]) -> pd.DataFrame | None:
    problems += require_columns(df, ["unit_id"], "values")
    if "unit_id" not in df.columns:
        return None
    src = df.attrs.get("source", "values")
    cols = [c for c in df.columns if c not in ("unit_id", "period", "_row", "_sheet")]
    n = len(problems)
    heads = indicator_columns(cols, spec, src, problems)
    absent = [f"{i.id} ({i.name})" if i.name else i.id for i in spec.indicators
              if i.id not in heads]
    if absent and len(problems) == n:
        problems.append(TableError(
            f"no column for indicator(s) {absent}; head a column by the indicator's id, its "
            f"name or name(unit) (the sheet has {cols})", src))
    fmts = spec.data["values"].formats
    num = pd.DataFrame({i: numbers(df, h, problems, fmts.get(i, fmts.get("value", [])))
                        for i, h in heads.items()}, index=df.index)
    keys = [c for c in ("unit_id", "period") if c in df.columns]
    num = pd.concat([df[keys], num], axis=1).assign(_row=excel_rows(df))
    long = num.melt(id_vars=[*keys, "_row"], var_name="indicator_id", value_name="value")
    long.attrs["headers"] = heads
    return long


def _long(df: pd.DataFrame, spec: Spec, problems: list[EvalkitError]) -> pd.DataFrame | None:
    problems += require_columns(df, ["unit_id", "indicator_id", "value"], "values")
    if {"unit_id", "indicator_id", "value"} - set(df.columns):
        return None
    fmts = spec.data["values"].formats.get("value", [])
    long = df.assign(_row=excel_rows(df), value=numbers(df, "value", problems, fmts))
    ind_ids = spec.indicator_ids()
    unknown = ~long["indicator_id"].isin(ind_ids)
    if unknown.any():
        found = sorted(set(long.loc[unknown, "indicator_id"].fillna("")))[:10]
        problems.append(TableError(
            f"unknown indicator id(s) {found} in "
            f"{rows(unknown.to_numpy(), long['_row'].to_numpy())}; the spec declares "
            f"{len(ind_ids)} indicators", f"{df.attrs.get('source', 'values')}, column "
            "'indicator_id'"))
        long = long[~unknown]
    return long


def _ranges(long: pd.DataFrame, spec: Spec, heads: dict[str, str] | None, src: str,
            attrs: pd.DataFrame, problems: list[EvalkitError]) -> None:
    """Values outside an indicator's plausible range: errors, or recorded warnings
    (``heads``: a wide sheet's header of each indicator)."""
    for ind in spec.indicators:
        rng = ind.plausible_range()
        if rng is None:
            continue
        lo, hi = rng
        v = long["value"].where(long["indicator_id"] == ind.id).to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ((v < lo) if lo is not None else False) | ((v > hi) if hi is not None
                                                               else False)
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            continue
        what = "declared range" if ind.range is not None else "range as a rate (unit %)"
        msg = (f"value(s) of indicator {ind.id!r} outside its {what} [{lo}, {hi}]: "
               f"{v[bad][:5].tolist()} in rows {long['_row'].to_numpy()[bad][:5].tolist()}")
        column = heads.get(ind.id, ind.id) if heads is not None else "value"
        hit = long["_row"].to_numpy()[bad]
        at = f"{src}, row {int(hit[0])}, column {column!r}" if len(hit) == 1 else \
            f"{src}, column {column!r}"
        if (ind.range_policy or spec.defaults.range_policy) == "error":
            problems.append(TableError(f"{msg}; correct them, or declare range_policy: warn",
                                       at))
        else:
            note(attrs, "values", "value outside its plausible range, kept", int(bad.sum()),
                 "range_policy: warn", where=f"indicator {ind.id}", warn=f"{src}: {msg}")


def _coverage(long: pd.DataFrame, spec: Spec, units: pd.DataFrame, src: str,
              attrs: pd.DataFrame, problems: list[EvalkitError]) -> None:
    """Periods not evaluated (recorded), evaluated periods without values and units without
    any value in a period (errors unless ``defaults.missing_unit`` says otherwise)."""
    periods = spec_periods(spec)
    if periods is not None:
        other = ~long["period"].isin(periods) & long["period"].notna()
        if other.any():
            found = sorted(set(long.loc[other, "period"]))
            note(attrs, "values", "rows of a period not evaluated, ignored", int(other.sum()),
                 "evaluation.periods", where=f"periods {found}",
                 warn=f"{src}: {int(other.sum())} rows of period(s) {found} are not evaluated "
                      f"(evaluation.periods is {periods}); they are ignored")
    for p in periods or sorted(long["period"].dropna().unique()):
        if p in attrs.attrs.get("periods_without_sheet", ()):
            continue                                    # its missing sheet is the problem
        here = long[(long["period"] == p) & long["value"].notna()]
        if here.empty:
            listed = " (listed in evaluation.periods)" if periods else ""
            problems.append(TableError(f"no indicator value for period {p}{listed}", src))
            continue
        problems += _empty_indicators(here, spec, units, p, src, attrs)
        absent = units.index[~units.index.isin(here["unit_id"].unique())]  # each id once
        if len(absent) and spec.defaults.missing_unit == "error":
            problems.append(TableError(
                f"period {p}: unit(s) {absent.tolist()[:10]} have no indicator value at all; "
                "add their values, or declare defaults.missing_unit: apply_policy to score "
                "them by the missing-value policy", src))
        else:
            note(attrs, "values", "unit without any value in the period, scored by the "
                 "missing-value policy", len(absent), "defaults.missing_unit: apply_policy",
                 period=p)


def _empty_indicators(here: pd.DataFrame, spec: Spec, units: pd.DataFrame, period: str,
                      src: str, attrs: pd.DataFrame) -> list[EvalkitError]:
    """Indicators without any value in a category they apply to: an error under
    ``category_mean`` (no mean to give: the indicator would silently vanish for the
    category), else a warning (every unit of it scores by the policy: a column left empty)."""
    cat = units["category"].astype("string")
    pairs = pd.DataFrame({"i": here["indicator_id"], "c": here["unit_id"].map(cat)})
    seen = set(pairs.drop_duplicates().itertuples(index=False, name=None))
    present = set(cat.dropna().unique())
    gaps = [(f"{i.id} ({c})", i.missing or spec.defaults.missing) for i in spec.indicators
            for c in spec.category_ids()
            if (i.categories is None or c in i.categories) and c in present
            and (i.id, c) not in seen]
    warn = [g for g, policy in gaps if policy != "category_mean"]
    policies = sorted({policy for _, policy in gaps if policy != "category_mean"})
    note(attrs, "values", "indicator without any value in a category, scored by the "
         "missing-value policy", len(warn), f"missing: {', '.join(policies)}", period=period,
         where=", ".join(warn[:10]),
         warn=f"{src}: period {period}: no value at all for indicator(s) {warn[:10]} in a "
              "category they apply to; every unit there scores by the missing-value policy "
              "(check the column was filled)")
    gaps_mean = [g for g, policy in gaps if policy == "category_mean"]
    if not gaps_mean:
        return []
    return [TableError(f"period {period}: no value at all for indicator(s) {gaps_mean[:10]} "
                       "in a category they apply to, so no category mean to fill with; add "
                       "the values, restrict the indicator's categories, or declare its "
                       "missing policy reweight", src)]


def _checked(df: pd.DataFrame, spec: Spec, units: pd.DataFrame, attrs: pd.DataFrame,
             problems: list[EvalkitError]) -> pd.DataFrame | None:
    """One sheet's values, long and checked (all but the coverage of the periods)."""
    src = df.attrs.get("source", "values")
    wide = spec.data["values"].layout == "wide"
    long = _wide(df, spec, problems) if wide else _long(df, spec, problems)
    if long is None:
        return None
    heads = long.attrs.get("headers") if wide else None
    if "period" not in long.columns:
        periods = spec_periods(spec) or []
        if len(periods) > 1:
            problems.append(TableError(f"no period column, and the evaluation has periods "
                                       f"{periods}; add a period column, or keep one sheet "
                                       'per period (sheet: "{period}年指标")', src))
        long["period"] = periods[-1] if periods else "0"
    excel = long["_row"].to_numpy()
    if long["unit_id"].isna().any():
        problems.append(TableError(f"empty unit_id in {rows(long['unit_id'].isna(), excel)}",
                                   f"{src}, column 'unit_id'"))
    problems += unknown_ids(long["unit_id"], units.index, excel, src, "unit_id", "unit id(s)")
    dup = long.duplicated(["period", "unit_id", "indicator_id"], keep=False).to_numpy()
    if dup.any():
        problems.append(TableError("duplicate period × unit × indicator: "
                                   f"{rows(np.isin(excel, np.unique(excel[dup])) & dup, excel)}",
                                   src))
    _ranges(long, spec, heads, src, attrs, problems)
    return long


def check_values(df: pd.DataFrame, spec: Spec, units: pd.DataFrame,
                 problems: list[EvalkitError]) -> pd.DataFrame:
    """Check indicator values and return them long: period, unit_id, indicator_id, value.

    Checks: required columns, numbers by the vocabulary, unknown unit and indicator ids
    (wide: which column is which indicator, :func:`indicator_columns`), duplicate unit ×
    indicator × period rows, values outside an indicator's plausible range, a period column
    when several periods are evaluated, periods and units without values. Values read from
    one sheet per period (a ``_sheet`` column) are checked sheet by sheet, each named.
    """
    if "_sheet" in df.columns:
        sheets = []
        for sheet, part in df.groupby("_sheet", sort=False):
            part = part.drop(columns="_sheet")
            part.attrs = {**df.attrs, "source": where(df.attrs.get("path", "values"), sheet)}
            sheets.append(part)
    else:
        sheets = [df]
    longs = [x for x in (_checked(p, spec, units, df, problems) for p in sheets)
             if x is not None]
    if not longs:
        return df
    long = pd.concat(longs, ignore_index=True)
    _coverage(long, spec, units, df.attrs.get("source", "values"), df, problems)
    out = long[LONG_COLUMNS]
    out.attrs = df.attrs
    return out


def _points_column(out: pd.DataFrame, formats: list[str], problems: list[EvalkitError],
                   fill: pd.Series | None = None, columns: dict[str, str] | None = None
                   ) -> pd.Series:
    """The records' points as numbers (``fill``: the catalogue's points of each record)."""
    src = out.attrs.get("source", "points")
    excel = excel_rows(out)
    if "points" not in out.columns and fill is not None:
        out["points"] = pd.NA
    if "points" not in out.columns:
        if (out["kind"] != "veto").any():
            problems.append(TableError("no points column; every record but a veto needs its "
                                       "points", src))
        return pd.Series(0.0, index=out.index)
    pts = numbers(out, "points", problems, formats)
    if fill is not None:
        pts = check_points_against(out, pts, fill, columns or {}, problems)
    blank = (pts.isna() & out["kind"].ne("veto").fillna(True)).to_numpy(dtype=bool)
    if blank.any():
        problems.append(TableError(f"blank points in {rows(blank, excel)}; every record but a "
                                   "veto needs its points", f"{src}, column 'points'"))
    neg = (pts < 0).to_numpy(dtype=bool)
    if neg.any():
        problems.append(TableError(f"negative points in {rows(neg, excel)}; give deductions "
                                   "as positive numbers with kind 'deduction'",
                                   f"{src}, column 'points'"))
    return pts.fillna(0.0)


def check_points(df: pd.DataFrame, units: pd.DataFrame, problems: list[EvalkitError],
                 periods: list[str] | None = None, formats: list[str] | None = None,
                 spec: Spec | None = None) -> pd.DataFrame:
    """Check bonus / deduction / yellow-card / veto records (kinds also in Chinese: 加分,
    扣分, 黄牌警告, 一票否决); ``periods``: the evaluated periods. With the ``spec``'s
    ``points.catalogue``, records naming an ``item`` take its points
    (:func:`evalkit.inputs.catalogue.catalogue_points`; a locked catalogue rejects others)."""
    src = df.attrs.get("source", "points")
    problems += require_columns(df, ["unit_id", "kind"], "points")
    if {"unit_id", "kind"} - set(df.columns):
        return df
    excel = excel_rows(df)
    out = df.assign(kind=df["kind"].astype("string").str.strip().replace(KIND_NAMES))
    if "reason" not in out.columns:
        out["reason"] = ""
    columns = dict(spec.data["points"].columns) if spec is not None and \
        "points" in spec.data else {}
    fill = catalogue_points(out, spec.points, columns, problems, df) if spec is not None \
        else None
    bad_kind = ~out["kind"].isin(POINT_KINDS)
    if bad_kind.any():
        found = sorted(set(out.loc[bad_kind, "kind"].fillna("")))
        problems.append(TableError(f"unknown kind {found} in "
                                   f"{rows(bad_kind.to_numpy(), excel)}; expected one of "
                                   f"{list(POINT_KINDS)} (or 加分, 扣分, 黄牌警告, 一票否决)",
                                   f"{src}, column 'kind'"))
    out["points"] = _points_column(out, list(formats or []), problems, fill, columns)
    problems += unknown_ids(out["unit_id"], units.index, excel, src, "unit_id", "unit id(s)")
    _points_periods(out, periods, src, df, problems)
    out.attrs = df.attrs
    return out


def _points_periods(out: pd.DataFrame, periods: list[str] | None, src: str, attrs: Any,
                    problems: list[EvalkitError]) -> None:
    if "period" not in out.columns:
        if periods and len(periods) > 1:
            problems.append(TableError(f"no period column, and the evaluation has periods "
                                       f"{periods}; add a period column (a record would "
                                       "count in every period)", src))
        return
    other = ~out["period"].isin(periods or []) & out["period"].notna()
    if periods and other.any():
        found = sorted(set(out.loc[other, "period"]))
        note(attrs, "points", "records of a period not evaluated, ignored", int(other.sum()),
             "evaluation.periods", where=f"periods {found}",
             warn=f"{src}: {int(other.sum())} records of period(s) {found} are not evaluated")
