"""Input tables: read every table of the spec, apply the one vocabulary, check what evaluate reads.

Every table under ``data:`` is read (:func:`~evalkit.inputs.read.read_table`) and its key
columns pass the vocabulary (:mod:`evalkit.inputs.vocabulary`): ``period`` cells become a
year's text, id columns (``unit_id``, ``rater_id``, ``task_id``, ...) stripped NFKC text,
other text is checked for control characters. Fully blank rows are skipped (and counted);
the rows kept keep their place in the file as their index, so every error names the row as
Excel shows it (the header is row 1). The units, values and points tables are then checked
(:mod:`evalkit.inputs.checks`, :mod:`evalkit.inputs.values`); the sources check their own
tables (``Source.check_tables``, run by :func:`evalkit.validate.validate`).

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"单位代码": ["T01"], "名称": ["城关镇"]}).to_csv(d / "u.csv", index=False)
>>> read_table(d / "u.csv", columns={"unit_id": "单位代码"}).columns.tolist()
['unit_id', '名称']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.core.errors import EvalkitError, ProblemList, TableError, raise_all
from evalkit.core.hashing import file_sha256
from evalkit.inputs.checks import check_units, note, require_columns, rows
from evalkit.inputs.read import (
    TEXT_COLUMNS,
    is_period_pattern,
    period_sheets,
    read_table,
    where,
)
from evalkit.inputs.values import check_points, check_values, spec_periods
from evalkit.inputs.vocabulary import (
    cell_problems,
    check_text,
    excel_rows,
    parse_booleans,
    parse_ids,
    parse_numbers,
    parse_periods,
)
from evalkit.spec.schema import Spec, TableRef

__all__ = ["ID_COLUMNS", "as_matrix", "check_points", "check_tables", "check_units",
           "check_values", "describe_source", "file_sha256", "load_tables", "located",
           "normalise_table", "periods_of", "read_table", "require_columns", "where"]

#: Columns holding ids or codes: read as text, stripped and NFKC-normalised in every table.
ID_COLUMNS = tuple(c for c in TEXT_COLUMNS if c != "period")
#: Id columns that may not be blank in a record (units and values check their own).
REQUIRED_IDS = ("unit_id", "rater_id", "ratee_id", "task_id", "project_id", "indicator_id",
                "kind")
#: Columns with one meaning wherever they appear: ``count`` (a whole number ≥ the bound),
#: ``percent`` (a number from 0 to 100, required) or ``boolean``, parsed by the vocabulary in
#: every table.
COLUMN_RULES: dict[str, tuple[str, int]] = {
    "issued": ("count", 0), "round": ("count", 1), "planned_pct": ("percent", 0),
    "actual_pct": ("percent", 0), "highlight": ("boolean", 0)}


def _ids(df: pd.DataFrame, col: str, problems: list[EvalkitError], excel: np.ndarray
         ) -> pd.Series:
    parsed = parse_ids(df[col])
    src = df.attrs.get("source", "table")
    problems += cell_problems(parsed, src, col, excel)
    df.attrs.setdefault("_bad", {})[col] = parsed.bad
    changed = parsed.changed[~parsed.bad].sum() if parsed.changed is not None else 0
    note(df, df.attrs.get("key", ""), "ids normalised (spaces, full-width characters)",
         int(changed), "ids: strip, NFKC", where=f"column {col}")
    return parsed.values


def _periods(df: pd.DataFrame, problems: list[EvalkitError], excel: np.ndarray
             ) -> pd.Series:
    parsed = parse_periods(df["period"])
    src = df.attrs.get("source", "table")
    problems += cell_problems(parsed, src, "period", excel)
    blank = (parsed.values.isna() & ~parsed.bad).to_numpy(dtype=bool)
    if blank.any():
        problems.append(TableError(f"empty period in {rows(blank, excel)}; every row needs "
                                   "its period (a year such as 2025)", f"{src}, column "
                                   "'period'"))
    return parsed.values


def _ruled(df: pd.DataFrame, col: str, problems: list[EvalkitError], excel: np.ndarray
           ) -> pd.Series:
    """A column of :data:`COLUMN_RULES` parsed by the vocabulary (bad cells named)."""
    kind, lo = COLUMN_RULES[col]
    src = df.attrs.get("source", "table")
    parsed = parse_booleans(df[col]) if kind == "boolean" else parse_numbers(df[col])
    problems += cell_problems(parsed, src, col, excel)
    if kind == "boolean":
        return parsed.values
    v = parsed.values
    off = (v < lo) | (v != v.round()) if kind == "count" else (v < 0) | (v > 100)
    bad = (~parsed.bad & (v.isna() | off)).to_numpy(dtype=bool)
    expected = f"a whole number ≥ {lo}" if kind == "count" else "a percentage from 0 to 100"
    for i in np.flatnonzero(bad)[:5]:
        cell = df[col].iloc[i]
        shown = "a blank cell" if pd.isna(cell) else repr(cell)
        problems.append(TableError(f"{shown} is not {expected}",
                                   f"{src}, row {int(excel[i])}, column {col!r}"))
    return v.where(~bad & ~parsed.bad).astype("Int64" if kind == "count" else float)


def _blank_ids(df: pd.DataFrame, col: str, problems: list[EvalkitError], excel: np.ndarray
               ) -> None:
    blank = df[col].isna().to_numpy(dtype=bool) & ~df.attrs.get("_bad", {}).get(col, False)
    if blank.any():
        problems.append(TableError(f"empty {col} in {rows(blank, excel)}; every "
                                   "record needs it", f"{df.attrs.get('source', 'table')}, "
                                   f"column {col!r}"))


def normalise_table(df: pd.DataFrame, key: str, problems: list[EvalkitError]) -> pd.DataFrame:
    """Apply the vocabulary to a table as read: skip blank rows, periods, ids, text.

    The rows kept keep their position in the file as their index (row = index + 2).

    Examples
    --------
    >>> df = pd.DataFrame({"period": ["2025年", None], "unit_id": [" T01", None]})
    >>> normalise_table(df, "leaders", [])[["period", "unit_id"]].values.tolist()
    [['2025', 'T01']]
    """
    attrs = dict(df.attrs)
    blank = ~df.notna().any(axis=1).to_numpy()
    out = df[~blank].copy()
    out.attrs = {**attrs, "key": key}
    note(out, key, "blank rows skipped", int(blank.sum()), "blank rows are not records")
    excel = excel_rows(out)
    for col in out.columns:
        if col == "period":
            out[col] = _periods(out, problems, excel)
        elif col in ID_COLUMNS:
            out[col] = _ids(out, col, problems, excel)
            if col in REQUIRED_IDS and key not in ("units", "values"):
                _blank_ids(out, col, problems, excel)
        elif col in COLUMN_RULES:
            out[col] = _ruled(out, col, problems, excel)
        elif pd.api.types.is_object_dtype(out[col].dtype) or \
                pd.api.types.is_string_dtype(out[col].dtype):
            problems += cell_problems(check_text(out[col]), attrs.get("source", key), col,
                                      excel)
    out.attrs.pop("_bad", None)
    return out


def _coded(df: pd.DataFrame, ref: TableRef) -> pd.DataFrame:
    """The office's codes of ``ref.values`` read as evalkit's (``奖`` → ``bonus``)."""
    for col, codes in ref.values.items():
        if col in df.columns:
            text = df[col].astype("string").str.strip()
            df[col] = text.where(~text.isin(list(codes)), text.map(codes))
    return df


def _read_periods(spec: Spec, key: str, ref: TableRef, problems: list[EvalkitError]
                  ) -> pd.DataFrame | None:
    """A table kept as one sheet per period (``sheet: "{period}年指标"``), read sheet by sheet.

    Each sheet is read and normalised on its own (its errors name it); a sheet without a
    period column gets the period its name says. The rows are stacked with ``_row`` (the
    row in its sheet) and, for the values, ``_sheet`` (checked sheet by sheet)."""
    path = spec.resolve(ref.file)
    pattern = str(ref.sheet)
    found, missing = period_sheets(path, pattern, spec_periods(spec)) if path.is_file() \
        else ([], [TableError("file not found", str(path))])
    problems += missing
    parts = []
    for period, sheet in found:
        try:
            df = read_table(path, sheet, ref.columns, ref.encoding)
        except EvalkitError as err:
            problems.append(err)
            continue
        part = normalise_table(_coded(df, ref), key, problems)
        if "period" not in part.columns:                # after: blank rows stay blank
            part.insert(0, "period", period)
        parts.append(part.assign(_row=excel_rows(part), _sheet=sheet))
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True)
    if key != "values":
        out = out.drop(columns="_sheet")
    out.attrs = {**parts[0].attrs, "source": where(path, pattern), "sheet": pattern,
                 "periods_without_sheet": [p for p in spec_periods(spec) or []
                                           if p not in {q for q, _ in found}],
                 "audit": [a for p in parts for a in p.attrs.get("audit", [])],
                 "warnings": [w for p in parts for w in p.attrs.get("warnings", [])]}
    return out


def _read_all(spec: Spec, problems: list[EvalkitError]) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    for key, ref in spec.data.items():
        if is_period_pattern(ref.sheet):
            if (df := _read_periods(spec, key, ref, problems)) is not None:
                tables[key] = df
            continue
        try:
            df = read_table(spec.resolve(ref.file), ref.sheet, ref.columns, ref.encoding)
        except EvalkitError as err:
            problems.append(err)
            continue
        tables[key] = normalise_table(_coded(df, ref), key, problems)
    return tables


def load_tables(spec: Spec) -> dict[str, pd.DataFrame]:
    """Read every table under ``data:``, apply the vocabulary and check what evaluate reads.

    Returns ``{data key: DataFrame}`` with evalkit column names. The ``units`` table is
    indexed by ``unit_id``; ``values`` becomes long (``period``, ``unit_id``,
    ``indicator_id``, ``value``, ``_row``) whatever its layout. Every problem found across
    all tables is raised together; what a policy did is in each table's ``attrs['audit']``
    and what is legal but suspicious in ``attrs['warnings']``.
    """
    tables, problems = check_tables(spec)
    raise_all(problems, "problems in the input tables")
    return tables


def check_tables(spec: Spec) -> tuple[dict[str, pd.DataFrame], list[EvalkitError]]:
    """:func:`load_tables` without raising: the tables as far as they could be read and
    checked, and every problem found."""
    problems: list[EvalkitError] = []
    tables = _read_all(spec, problems)
    if "units" in tables:
        n = len(problems)
        tables["units"] = check_units(tables["units"], spec, problems)
        if len(problems) > n:                   # no units to check the other tables against
            return tables, problems
        if "values" in tables:
            tables["values"] = check_values(tables["values"], spec, tables["units"],
                                            problems)
        if "points" in tables:
            periods = spec_periods(spec)
            if periods is None and "period" in tables["values"].columns:
                periods = sorted(tables["values"]["period"].dropna().unique().tolist())
            tables["points"] = check_points(tables["points"], tables["units"], problems,
                                            periods, _formats(spec.data["points"], "points"),
                                            spec=spec)
    return tables, problems


def sorted_inputs(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every table in one row order whatever the order of the file: units by ``unit_id``,
    every other table stably by all its columns but the row numbers (``_row``, kept for
    messages). Results then do not depend on the input's row order, float sums included.

    >>> t = sorted_inputs({"x": pd.DataFrame({"a": [2, 1], "_row": [2, 3]})})["x"]
    >>> t["_row"].tolist()
    [3, 2]
    """
    out: dict[str, pd.DataFrame] = {}
    for key, df in tables.items():
        if key == "units" and df.index.name == "unit_id":
            out[key] = df.sort_index(kind="stable")
            continue
        cols = [c for c in df.columns if c != "_row"]
        try:
            out[key] = df.sort_values(cols, kind="stable", ignore_index=True) if cols else df
        except TypeError:           # mixed types in a free-text column: keep the file's order
            out[key] = df
    return out


def _formats(ref: TableRef, column: str) -> list[str]:
    return list(ref.formats.get(column, []))


def positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """The position in ``index`` of each value (−1: absent or missing), looked up once per
    distinct value.

    Examples
    --------
    >>> positions(pd.Index(["a", "b"]), pd.Series(["b", "x", None, "b"])).tolist()
    [1, -1, -1, 1]
    """
    if _arrow_text(values) and _arrow_text(index) and index.is_unique:
        at = pc.index_in(pa.array(values.array), value_set=pa.array(index.array))
        return at.fill_null(-1).to_numpy().astype(np.int64)   # looked up in C by hash
    codes, uniq = pd.factorize(values)                  # missing: −1
    return np.where(codes >= 0, index.get_indexer(uniq)[codes], -1)


def _arrow_text(x: pd.Series | pd.Index) -> bool:
    return isinstance(x.dtype, pd.StringDtype) and x.dtype.storage == "pyarrow"


def as_matrix(values: pd.DataFrame, period: Any, units: pd.Index, indicators: list[str]
              ) -> pd.DataFrame:
    """The raw unit × indicator matrix of one period (NaN where no value; the values are
    checked unique per unit and indicator when read)."""
    here = (values["period"] == str(period)).to_numpy(dtype=bool, na_value=False)
    rows_p = values if here.all() else values[here]
    cols = pd.Index(indicators, name="indicator_id")
    r, c = positions(units, rows_p["unit_id"]), positions(cols, rows_p["indicator_id"])
    ok = (r >= 0) & (c >= 0)
    M = np.full((len(units), len(cols)), np.nan)
    M[r[ok], c[ok]] = rows_p["value"].to_numpy(dtype=float, na_value=np.nan)[ok]
    return pd.DataFrame(M, index=units, columns=cols)


def periods_of(values: pd.DataFrame, spec: Spec) -> list[str]:
    """The periods to evaluate: the spec's list, else every period in the values, sorted."""
    return spec_periods(spec) or sorted(values["period"].dropna().unique().tolist())


def describe_source(df: pd.DataFrame) -> dict[str, Any]:
    """Provenance of a table: its file and the SHA-256 taken when it was read."""
    return {"file": df.attrs.get("path"), "sheet": df.attrs.get("sheet"),
            "sha256": df.attrs.get("sha256")}


def located(err: EvalkitError, tables: Mapping[str, pd.DataFrame]) -> EvalkitError:
    """``err`` with a location that starts with a data key (``survey_issued, column 'x'``)
    naming the table's file instead (``data/survey_issued.csv, column 'x'``)."""
    if isinstance(err, ProblemList):
        return ProblemList([located(p, tables) for p in err.problems], "problems")
    head, _, rest = (err.where or "").partition(",")
    df = tables.get(head)
    if df is None or "source" not in df.attrs:
        return err
    return type(err)(err.message, df.attrs["source"] + ("," + rest if rest else ""))


def table_notes(tables: Mapping[str, pd.DataFrame]) -> tuple[list[dict[str, Any]], list[str]]:
    """The audit rows and warnings recorded while ``tables`` were read and checked."""
    audit: list[dict[str, Any]] = []
    warnings: list[str] = []
    for df in tables.values():
        if isinstance(df, pd.DataFrame):
            audit += df.attrs.get("audit", [])
            warnings += df.attrs.get("warnings", [])
    return audit, warnings

