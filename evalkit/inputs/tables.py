"""Input tables: read CSV, Excel (a named sheet) and Parquet; check columns, types and ids.

Every error names the file, the sheet, the row and the column. Row numbers are those a user
sees in Excel or a text editor: the header is row 1, the first data row is row 2.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"单位代码": ["T01"], "名称": ["城关镇"]}).to_csv(d / "u.csv", index=False)
>>> read_table(d / "u.csv", columns={"unit_id": "单位代码"}).columns.tolist()
['unit_id', '名称']
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, TableError, raise_all
from evalkit.spec.schema import POINT_KINDS, Spec

READERS = {
    ".csv": lambda p, sheet: pd.read_csv(p, dtype_backend="numpy_nullable", encoding="utf-8-sig"),
    ".txt": lambda p, sheet: pd.read_csv(p, dtype_backend="numpy_nullable", encoding="utf-8-sig"),
    ".xlsx": lambda p, sheet: pd.read_excel(p, sheet_name=sheet or 0, engine="openpyxl"),
    ".xlsm": lambda p, sheet: pd.read_excel(p, sheet_name=sheet or 0, engine="openpyxl"),
    ".parquet": lambda p, sheet: pd.read_parquet(p),
}


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (for provenance and up-to-date checks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def where(file: str | Path, sheet: str | None = None, row: int | None = None,
          column: str | None = None) -> str:
    """Format a table location: ``data/x.xlsx, sheet '指标', row 12, column 'value'``."""
    parts = [str(file)]
    if sheet:
        parts.append(f"sheet {sheet!r}")
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def read_table(path: str | Path, sheet: str | None = None,
               columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read one table and rename its columns to evalkit's names.

    Parameters
    ----------
    path : path-like
        A ``.csv`` (UTF-8, with or without BOM), ``.xlsx`` or ``.parquet`` file.
    sheet : str, optional
        The Excel sheet (default: the first).
    columns : mapping, optional
        evalkit name → header in the file, e.g. ``{"unit_id": "单位代码"}``.

    Raises
    ------
    TableError
        The file is missing, of an unknown type, unreadable, or lacks a mapped column.
    """
    path = Path(path)
    if not path.is_file():
        raise TableError("file not found", str(path))
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise TableError(f"unknown file type {path.suffix!r}; expected one of "
                         f"{sorted(READERS)}", str(path))
    try:
        df = reader(path, sheet)
    except ValueError as err:
        if sheet and "not found" in str(err).lower():
            raise TableError(f"no sheet named {sheet!r} ({err})", str(path)) from None
        raise TableError(f"cannot read the file: {err}", where(path, sheet)) from None
    except Exception as err:
        raise TableError(f"cannot read the file: {err}", where(path, sheet)) from None
    df.columns = [str(c).strip() for c in df.columns]
    if columns:
        absent = [src for src in columns.values() if src not in df.columns]
        if absent:
            raise TableError(f"column(s) {absent} not found; the file has {list(df.columns)}",
                             where(path, sheet))
        df = df.rename(columns={src: dst for dst, src in columns.items()})
    df.attrs["source"] = where(path, sheet)
    df.attrs["path"] = str(path)
    df.attrs["sheet"] = sheet
    df.attrs["sha256"] = file_sha256(path)
    return df


def require_columns(df: pd.DataFrame, needed: list[str], what: str) -> list[EvalkitError]:
    """Problems for every column of ``needed`` that ``df`` lacks."""
    src = df.attrs.get("source", what)
    return [TableError(f"missing column {c!r} in the {what} table; it has {list(df.columns)} "
                       f"(map other headers with data.{what}.columns)", src)
            for c in needed if c not in df.columns]


def numeric_column(df: pd.DataFrame, column: str, problems: list[EvalkitError],
                   max_report: int = 5) -> pd.Series:
    """``df[column]`` as float; each non-numeric cell is a problem naming its row."""
    s = df[column]
    num = pd.to_numeric(s.astype("object").where(s.notna(), None), errors="coerce")
    bad = num.isna() & s.notna() & (s.astype("string").str.strip() != "")
    if bad.any():
        src = df.attrs.get("source", "table")
        for i in np.flatnonzero(bad.to_numpy())[:max_report]:
            problems.append(TableError(f"not a number: {s.iloc[i]!r}; expected a number or "
                                       "an empty cell", f"{src}, row {i + 2}, column {column!r}"))
        if bad.sum() > max_report:
            problems.append(TableError(f"… and {int(bad.sum()) - max_report} more non-numeric "
                                       f"cells in column {column!r}", src))
    return num.astype(float)


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i + 2) for i in idx[:limit])
    more = f" (+{len(idx) - limit} more)" if len(idx) > limit else ""
    return ("row " if len(idx) == 1 else "rows ") + shown + more


def load_tables(spec: Spec) -> dict[str, pd.DataFrame]:
    """Read every table under ``data:`` and check the ones evaluate relies on.

    Returns ``{data key: DataFrame}`` with evalkit column names. The ``units`` table is
    indexed by ``unit_id``; ``values`` becomes long (``period``, ``unit_id``,
    ``indicator_id``, ``value``) whatever its layout. Every problem found across all tables is
    raised together.
    """
    problems: list[EvalkitError] = []
    tables: dict[str, pd.DataFrame] = {}
    for key, ref in spec.data.items():
        try:
            tables[key] = read_table(spec.resolve(ref.file), ref.sheet, ref.columns)
        except EvalkitError as err:
            problems.append(err)
    raise_all(problems, "problems in the input tables")
    tables["units"] = check_units(tables["units"], spec, problems)
    tables["values"] = check_values(tables["values"], spec, tables["units"], problems)
    if "points" in tables:
        tables["points"] = check_points(tables["points"], tables["units"], problems)
    raise_all(problems, "problems in the input tables")
    return tables


def check_units(df: pd.DataFrame, spec: Spec, problems: list[EvalkitError]) -> pd.DataFrame:
    """Check the units table: ids present and unique, categories known."""
    src = df.attrs.get("source", "units")
    problems += require_columns(df, ["unit_id"], "units")
    if "unit_id" not in df.columns:
        return df
    ids = df["unit_id"].astype("string").str.strip()
    if ids.isna().any():
        problems.append(TableError(f"empty unit_id in {_rows(ids.isna().to_numpy())}",
                                   f"{src}, column 'unit_id'"))
    dup = ids.duplicated(keep=False) & ids.notna()
    if dup.any():
        problems.append(TableError(f"duplicate unit_id {sorted(set(ids[dup]))} in rows "
                                   f"{_rows(dup.to_numpy())}", f"{src}, column 'unit_id'"))
    out = df.assign(unit_id=ids)
    if "unit_name" not in out.columns:
        out["unit_name"] = out["unit_id"]
    if "unit_name_en" not in out.columns:
        out["unit_name_en"] = out["unit_name"]
    cats = spec.category_ids()
    if spec.categories:
        if "category" not in out.columns:
            problems.append(TableError("missing column 'category' (the spec declares "
                                       f"categories {cats})", src))
        else:
            cat = out["category"].astype("string").str.strip()
            bad = ~cat.isin(cats)
            if bad.any():
                problems.append(TableError(
                    f"unknown category {sorted(set(cat[bad].fillna('<empty>')))} in rows "
                    f"{_rows(bad.to_numpy())}; expected one of {cats}",
                    f"{src}, column 'category'"))
            out["category"] = cat
    else:
        out["category"] = "all"
    out = out.dropna(subset=["unit_id"]).drop_duplicates("unit_id").set_index("unit_id")
    out.attrs = df.attrs
    return out


def check_values(df: pd.DataFrame, spec: Spec, units: pd.DataFrame,
                 problems: list[EvalkitError]) -> pd.DataFrame:
    """Check indicator values and return them long: period, unit_id, indicator_id, value.

    Checks: required columns, unknown unit and indicator ids, duplicate unit × indicator ×
    period rows, non-numeric values, values outside an indicator's declared ``range``.
    """
    ref = spec.data["values"]
    src = df.attrs.get("source", "values")
    ind_ids = spec.indicator_ids()
    if ref.layout == "wide":
        problems += require_columns(df, ["unit_id"], "values")
        if "unit_id" not in df.columns:
            return df
        absent = [i for i in ind_ids if i not in df.columns]
        if absent:
            problems.append(TableError(f"no column for indicator(s) {absent}", src))
        present = [i for i in ind_ids if i in df.columns]
        for col in present:
            df[col] = numeric_column(df, col, problems)
        keep = ["unit_id", *present] + (["period"] if "period" in df.columns else [])
        df = df[keep].assign(_row=np.arange(len(df)) + 2)
        long = df.melt(id_vars=[c for c in ("unit_id", "period", "_row") if c in df.columns],
                       var_name="indicator_id", value_name="value")
    else:
        problems += require_columns(df, ["unit_id", "indicator_id", "value"], "values")
        if {"unit_id", "indicator_id", "value"} - set(df.columns):
            return df
        long = df.assign(_row=np.arange(len(df)) + 2, value=numeric_column(df, "value",
                                                                            problems))
        unknown = ~long["indicator_id"].astype("string").isin(ind_ids)
        if unknown.any():
            problems.append(TableError(
                f"unknown indicator id(s) {sorted(set(long.loc[unknown, 'indicator_id']))[:10]}"
                f" in {_rows(unknown.to_numpy())}; the spec declares {len(ind_ids)} "
                "indicators", f"{src}, column 'indicator_id'"))
            long = long[~unknown]
    if "period" not in long.columns:
        long["period"] = spec.evaluation.periods[-1] if spec.evaluation.periods else 0
    long["unit_id"] = long["unit_id"].astype("string").str.strip()
    long["indicator_id"] = long["indicator_id"].astype("string")
    long["period"] = long["period"].astype("string").str.replace(r"\.0$", "", regex=True)
    unknown_u = ~long["unit_id"].isin(units.index)
    if unknown_u.any():
        problems.append(TableError(
            f"unknown unit id(s) {sorted(set(long.loc[unknown_u, 'unit_id'].fillna('?')))[:10]}"
            f" in {_rows(unknown_u.to_numpy())}; not in the units table",
            f"{src}, column 'unit_id'"))
    dup = long.duplicated(["period", "unit_id", "indicator_id"], keep=False)
    if dup.any():
        problems.append(TableError(f"duplicate period × unit × indicator: "
                                   f"{_rows(dup.to_numpy())}", src))
    for ind in spec.indicators:
        if ind.range is None:
            continue
        lo, hi = ind.range
        v = long["value"].where(long["indicator_id"] == ind.id)
        bad = ((v < lo) if lo is not None else False) | ((v > hi) if hi is not None else False)
        bad = np.asarray(bad, dtype=bool)
        if bad.any():
            rows = long["_row"].to_numpy()[bad][:5].tolist()
            problems.append(TableError(
                f"value(s) of indicator {ind.id!r} outside its declared range [{lo}, {hi}]: "
                f"{long['value'].to_numpy()[bad][:5].tolist()} in rows {rows}",
                f"{src}, column 'value'"))
    return long[["period", "unit_id", "indicator_id", "value", "_row"]]


def check_points(df: pd.DataFrame, units: pd.DataFrame, problems: list[EvalkitError]
                 ) -> pd.DataFrame:
    """Check bonus / deduction / yellow-card / veto records."""
    src = df.attrs.get("source", "points")
    problems += require_columns(df, ["unit_id", "kind"], "points")
    if {"unit_id", "kind"} - set(df.columns):
        return df
    out = df.assign(unit_id=df["unit_id"].astype("string").str.strip(),
                    kind=df["kind"].astype("string").str.strip())
    if "points" not in out.columns:
        out["points"] = 0.0
    out["points"] = numeric_column(out, "points", problems).fillna(0.0)
    if "reason" not in out.columns:
        out["reason"] = ""
    bad_kind = ~out["kind"].isin(POINT_KINDS)
    if bad_kind.any():
        problems.append(TableError(f"unknown kind {sorted(set(out.loc[bad_kind, 'kind']))} in "
                                   f"{_rows(bad_kind.to_numpy())}; expected one of "
                                   f"{list(POINT_KINDS)}", f"{src}, column 'kind'"))
    neg = (out["points"] < 0).to_numpy()
    if neg.any():
        problems.append(TableError(f"negative points in {_rows(neg)}; give deductions as "
                                   "positive numbers with kind 'deduction'",
                                   f"{src}, column 'points'"))
    unknown = ~out["unit_id"].isin(units.index)
    if unknown.any():
        problems.append(TableError(f"unknown unit id(s) {sorted(set(out.loc[unknown, 'unit_id']))}"
                                   f" in {_rows(unknown.to_numpy())}",
                                   f"{src}, column 'unit_id'"))
    if "period" in out.columns:
        out["period"] = out["period"].astype("string").str.replace(r"\.0$", "", regex=True)
    return out


def as_matrix(values: pd.DataFrame, period: Any, units: pd.Index, indicators: list[str]
              ) -> pd.DataFrame:
    """The raw unit × indicator matrix of one period (NaN where no value)."""
    rows = values[values["period"] == str(period)]
    wide = rows.pivot(index="unit_id", columns="indicator_id", values="value")
    return wide.reindex(index=units, columns=indicators).astype(float)


def periods_of(values: pd.DataFrame, spec: Spec) -> list[str]:
    """The periods to evaluate: the spec's list, else every period in the values, sorted."""
    if spec.evaluation.periods:
        return [str(p) for p in spec.evaluation.periods]
    return sorted(values["period"].dropna().unique().tolist())


def describe_source(df: pd.DataFrame) -> dict[str, Any]:
    """Provenance of a table: its file and the SHA-256 taken when it was read."""
    return {"file": df.attrs.get("path"), "sheet": df.attrs.get("sheet"),
            "sha256": df.attrs.get("sha256")}
