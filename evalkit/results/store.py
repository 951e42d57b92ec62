"""Results: tidy, self-describing tables plus provenance; saved as Parquet and Excel.

The tables, their keys and the meaning of every column are documented in
:mod:`evalkit.results.schema` (:meth:`Results.check` compares the tables with it). A results
folder holds one ``<table>.parquet`` per table (the exact data, read back by
:meth:`Results.load`), one formatted workbook ``results.xlsx`` for people (one sheet per
table in the schema's order, sheet names and headers from the label table
:mod:`evalkit.core.labels` in Chinese with ``headers="zh"``, text cells starting with ``=``,
``+``, ``-``, ``@`` made inert), ``provenance.json`` (spec, input hashes, package versions,
seed, time), ``spec.yaml`` and ``manifest.json`` (every file's size and SHA-256, every table's
row count; :mod:`evalkit.results.manifest`).

A folder is written whole or not at all: :meth:`Results.save` writes every file into a
temporary sibling folder, the manifest last, and swaps it in
(:func:`~evalkit.core.atomic.atomic_folder`); on any failure the old folder stays as it was
and no temporary file or folder is left. :meth:`Results.load` refuses a folder that does not
match its manifest and names what is wrong. The bytes depend only on the tables: each table
is put in its canonical row order (:func:`canonical_order`: by period and the ids that come
from the input tables, so the row order of the inputs does not show), Parquet is written
with pinned options and without ``DataFrame.attrs`` (:data:`PARQUET_OPTIONS`), and the
workbook carries a fixed time (:func:`~evalkit.results.provenance.fixed_time`); the
creation time is only in ``provenance.json``.

Examples
--------
>>> import pandas as pd, tempfile
>>> res = Results({"totals": pd.DataFrame({"unit_id": ["T01"], "total": [88.5]})})
>>> folder = res.save(tempfile.mkdtemp())
>>> Results.load(folder).totals.equals(res.totals)
True
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from evalkit.core.atomic import atomic_folder
from evalkit.core.errors import EvalkitError
from evalkit.core.labels import check_lang
from evalkit.results.excel import write_workbook
from evalkit.results.manifest import verify, write_manifest
from evalkit.results.provenance import PROVENANCE, WORKBOOK
from evalkit.results.schema import TABLES, check, sort_periods

#: pyarrow writer options, pinned so the same table gives the same bytes.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "snappy", "version": "2.6", "data_page_version": "1.0",
    "use_dictionary": True, "write_statistics": True, "store_schema": True,
    "write_page_index": False, "write_page_checksum": False}
#: Key columns whose values come from input tables: saved rows are sorted by them.
INPUT_KEYS = ("unit_id", "unit_a", "unit_b", "task_id", "ballot_id", "rater_id",
              "project_id", "box", "month")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """Make a text cell that a spreadsheet would run as a formula inert (prefix ``'``).

    Numbers are left alone: ``-3.5`` stays a number. Reference: OWASP, *CSV Injection*.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _is_text(col: pd.Series) -> bool:
    """Whether every cell of ``col`` is text or missing (its sort key is then itself)."""
    return pd.api.types.is_string_dtype(col.dtype) and (
        not pd.api.types.is_object_dtype(col.dtype)
        or pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"))


def _sort_frame(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``df[keys]`` made sortable: periods by time, other text and mixed columns as text.

    Text columns are taken as they are (missing: ``None``) and periods ranked once per
    distinct value (missing: NaN, last); only mixed columns are turned into text cell by cell.
    """
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for k in keys:
        col = df[k].reset_index(drop=True)
        if k == "period":                                   # ranked once per period
            codes, uniq = pd.factorize(col)                 # missing: code -1
            rank = {p: i for i, p in enumerate(sort_periods(uniq))}
            ranks = np.array([rank[str(v)] for v in uniq] + [np.nan], dtype=float)
            out[k] = ranks[np.where(codes < 0, len(uniq), codes)]
        elif pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            out[k] = col
        elif _is_text(col):
            out[k] = col.to_numpy(dtype=object, na_value=None)
        else:
            out[k] = col.map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
    return out


def _key_arrays(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A sort key column as comparable values and its missing cells (values there: a filler)."""
    na = col.isna().to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        dtype = np.dtype(getattr(col.dtype, "numpy_dtype", col.dtype))
        return col.to_numpy(dtype=dtype, na_value=dtype.type(0)), na
    return col.to_numpy(dtype=object, na_value=""), na


def in_sorted_order(keys: pd.DataFrame) -> bool:
    """Whether ``keys.sort_values(list(keys), kind="stable", na_position="last")`` would leave
    the rows where they are: each row is not after the next, compared column by column
    (missing last), in one pass over the rows.

    ``keys`` holds the sort keys of :func:`_sort_frame`: numbers, booleans, or text and
    ``None``.

    Examples
    --------
    >>> in_sorted_order(pd.DataFrame({"p": [1, 1, 2], "u": ["B", None, "A"]}))
    True
    >>> in_sorted_order(pd.DataFrame({"p": [1, 1], "u": [None, "A"]}))
    False
    """
    tied = np.ones(max(len(keys) - 1, 0), dtype=bool)   # rows i, i + 1 equal so far
    for k in keys.columns:
        x, na = _key_arrays(keys[k])
        na_a, na_b = na[:-1], na[1:]
        both = ~na_a & ~na_b
        try:
            after, same = x[:-1] > x[1:], x[:-1] == x[1:]
        except TypeError:           # values that do not compare: let the sort decide
            return False
        if (tied & ((both & after) | (na_a & ~na_b))).any():
            return False
        tied &= (both & same) | (na_a & na_b)
        if not tied.any():
            break
    return True


def canonical_order(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` in the canonical row order of the table ``name``.

    Rows are sorted (stably) by period (in time order) and the key columns whose values come
    from input tables (:data:`INPUT_KEYS`, e.g. ``unit_id``); the order evalkit gives to rows
    within them (indicators and nodes in spec order, sources as the spec lists them) is kept.
    Tables of records (several rows may share the keys, e.g. ``points``) are sorted by every
    column, so their order never depends on the inputs'. Tables outside the schema, and the
    ``meta_*`` tables (in spec order), are returned as given.

    Examples
    --------
    >>> df = pd.DataFrame({"period": ["2025", "2024"], "unit_id": ["B", "A"], "total": [1, 2]})
    >>> canonical_order("totals", df)["unit_id"].tolist()
    ['A', 'B']
    """
    ts = TABLES.get(name)
    if ts is None or len(df) < 2:
        return df
    keys = [k for k in ts.present_keys(df.columns)
            if k in df.columns and (k == "period" or k in INPUT_KEYS)]
    if not ts.unique:
        keys += [str(c) for c in df.columns if c not in keys]
    if not keys:
        return df
    frame = _sort_frame(df, keys)
    if in_sorted_order(frame):
        return df
    order = frame.sort_values(keys, kind="stable", na_position="last").index.to_numpy()
    if np.array_equal(order, np.arange(len(df))):
        return df
    return df.iloc[order].reset_index(drop=True)


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` to Parquet with :data:`PARQUET_OPTIONS`, without index or ``attrs``."""
    bare = df.copy(deep=False)
    bare.attrs = {}
    pq.write_table(pa.Table.from_pandas(bare, preserve_index=False), str(path),
                   **PARQUET_OPTIONS)


class Results:
    """Named tidy tables with provenance. Tables are also attributes: ``res.totals``."""

    def __init__(self, tables: dict[str, pd.DataFrame], provenance: dict[str, Any] | None = None,
                 spec: dict[str, Any] | None = None) -> None:
        self.tables = dict(tables)
        self.provenance = provenance or {}
        self.spec = spec or {}

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"no table {name!r}; tables: {sorted(tables)}")

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{v.shape}" for k, v in self.tables.items())
        return f"Results({shapes})"

    @property
    def periods(self) -> list[str]:
        """The periods of ``totals`` as text, in time order (see :func:`sort_periods`)."""
        totals = self.tables.get("totals")
        if totals is None or "period" not in totals.columns:
            return []
        return sort_periods(totals["period"].dropna())

    @property
    def current_period(self) -> str | None:
        """THE current period of these Results, as text: the provenance's ``current_period``
        (recorded by :func:`~evalkit.evaluate.evaluate`), else the last of :attr:`periods`.

        Every reader (reports, command line, sections) asks this property.
        """
        p = self.provenance.get("current_period")
        if p is not None:
            return str(p)
        periods = self.periods
        return periods[-1] if periods else None

    def check(self) -> list[str]:
        """How the tables differ from :mod:`evalkit.results.schema` (empty: they match)."""
        return check(self.tables)

    def unit(self, unit_id: str, period: str | None = None) -> dict[str, pd.DataFrame]:
        """Every table's rows for one unit (current period by default)."""
        period = period or self.current_period
        out = {}
        for name, df in self.tables.items():
            if "unit_id" in df.columns:
                m = df["unit_id"] == unit_id
                if "period" in df.columns and period is not None:
                    m &= df["period"].astype(str) == str(period)
                out[name] = df[m]
        return out

    # -- persistence -------------------------------------------------------------------
    def save(self, folder: str | Path, excel: bool = True, headers: str = "zh") -> Path:
        """Write the tables (Parquet), the workbook, provenance, spec and manifest; return the
        folder.

        The folder is written whole or not at all (see the module doc); the tables are first
        put in their canonical row order (:func:`canonical_order`), here and in memory, so
        the Results equal what :meth:`load` reads back. ``headers`` is the workbook's
        language (see :meth:`to_excel`).

        Raises
        ------
        WriteError
            (an :class:`~evalkit.core.errors.EvalkitError`) when the folder cannot be
            written: read-only, no permission, disk full. The old folder is left as it was.
        """
        folder = Path(folder)
        self.tables = {name: canonical_order(name, df) for name, df in self.tables.items()}
        with atomic_folder(folder) as tmp, ThreadPoolExecutor(1) as pool:
            # Parquet is written by Arrow's C++ code, mostly without the GIL: beside the
            # workbook (Python), in one thread; waited for (and its error raised) below.
            parquet = pool.submit(lambda: [write_parquet(df, tmp / f"{name}.parquet")
                                           for name, df in self.tables.items()])
            if excel:
                self.to_excel(tmp / WORKBOOK, headers=headers)
            parquet.result()
            (tmp / PROVENANCE).write_text(
                json.dumps({**self.provenance, "tables": sorted(self.tables)},
                           ensure_ascii=False, indent=2, default=str), encoding="utf-8")
            (tmp / "spec.yaml").write_text(
                yaml.safe_dump(self.spec, allow_unicode=True, sort_keys=False),
                encoding="utf-8")
            write_manifest(tmp, {name: len(df) for name, df in self.tables.items()})
        return folder

    def to_excel(self, path: str | Path, headers: str = "zh") -> Path:
        """The workbook for people (``results.xlsx``): a sheet per table in the schema's order,
        in ``headers``' language (``zh``, ``en``; ``id``: table and column names), written by
        :func:`evalkit.results.excel.write_workbook` (see there). Written atomically, with a
        fixed time: the same tables give the same bytes."""
        if headers != "id":
            check_lang(headers, "headers")
        return write_workbook(self, path, headers)

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read a results folder written by :meth:`save`.

        Raises
        ------
        EvalkitError
            When the folder is not a Results folder, or does not match its manifest (a file
            missing or changed, a stray temporary file: see
            :func:`evalkit.results.manifest.verify`), naming what is wrong.
        """
        folder = Path(folder)
        prov_file = folder / PROVENANCE
        if not prov_file.is_file():
            raise EvalkitError("not a results folder (no provenance.json); run "
                               "'evalkit run SPEC' first", str(folder))
        manifest = verify(folder)
        prov = json.loads(prov_file.read_text(encoding="utf-8"))
        prov.pop("tables", None)
        tables = {}
        for name, entry in manifest["tables"].items():
            f = folder / entry["file"]
            tables[name] = pd.read_parquet(f)
            if len(tables[name]) != entry.get("rows"):
                raise EvalkitError(f"table {name!r} has {len(tables[name])} rows, its manifest "
                                   f"says {entry.get('rows')}; run `evalkit run SPEC` again",
                                   str(f))
        spec_file = folder / "spec.yaml"
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8")) if spec_file.is_file() \
            else {}
        return cls(tables, provenance=prov, spec=spec or {})
