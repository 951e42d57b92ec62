"""Results: tidy, self-describing tables plus provenance; saved as Parquet and Excel.

The tables, their keys and the meaning of every column are documented in
:mod:`evalkit.results.schema` (:meth:`Results.check` compares the tables with it). A results
folder holds one ``<table>.parquet`` per table (the exact data, read back by
:meth:`Results.load`), one formatted workbook ``results.xlsx`` for people (one sheet per
table in the schema's order, sheet names and headers from the label table
:mod:`evalkit.core.labels` in Chinese with ``headers="zh"``, text cells starting with ``=``,
``+``, ``-``, ``@`` made inert), ``provenance.json`` (spec, input hashes, package versions,
seed, time) and ``spec.yaml``. Every file is written to a temporary name and moved into
place, so a crash never leaves a half-written file.

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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from evalkit.core.atomic import atomic_path
from evalkit.core.errors import EvalkitError
from evalkit.core.labels import check_lang, column_label, sheet_label
from evalkit.results.schema import check, sheet_order

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """Make a text cell that a spreadsheet would run as a formula inert (prefix ``'``).

    Numbers are left alone: ``-3.5`` stays a number. Reference: OWASP, *CSV Injection*.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def sort_periods(periods: Iterable[Any]) -> list[str]:
    """Distinct periods as text in time order: as numbers when every one is a number, else as
    text.

    Examples
    --------
    >>> sort_periods([2025, "9", 10, "2025"])
    ['9', '10', '2025']
    """
    texts = list(dict.fromkeys(str(p) for p in periods))
    try:
        return sorted(texts, key=float)
    except ValueError:
        return sorted(texts)


def _excel_frame(df: pd.DataFrame, headers: str) -> pd.DataFrame:
    """``df`` for the workbook: text cells made inert, headers labelled in ``headers``."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].astype(object).map(inert)
    if headers != "id":
        out = out.rename(columns=lambda c: column_label(str(c), headers))
    return out


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
        """Write the tables (Parquet), the workbook, provenance and spec; return the folder.

        ``headers`` is the workbook's language (see :meth:`to_excel`).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, df in self.tables.items():
            with atomic_path(folder / f"{name}.parquet") as tmp:
                df.to_parquet(tmp, index=False)
        if excel:
            self.to_excel(folder / "results.xlsx", headers=headers)
        with atomic_path(folder / "provenance.json") as tmp:
            tmp.write_text(json.dumps({**self.provenance, "tables": sorted(self.tables)},
                                      ensure_ascii=False, indent=2, default=str),
                           encoding="utf-8")
        with atomic_path(folder / "spec.yaml") as tmp:
            tmp.write_text(yaml.safe_dump(self.spec, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
        return folder

    def to_excel(self, path: str | Path, headers: str = "zh") -> Path:
        """One formatted workbook: a sheet per table, bold frozen header row, sized columns.

        Sheets follow the schema's order (:func:`~evalkit.results.schema.sheet_order`);
        sheet names and headers are labels in ``headers`` (``zh`` or ``en``, from
        :func:`~evalkit.core.labels.sheet_label` and
        :func:`~evalkit.core.labels.column_label`), or the table and column names with
        ``headers="id"``. Written with openpyxl's streaming (write-only) workbook: rows go
        straight to the file, so large results do not build a workbook of cell objects in
        memory. openpyxl is imported here, where it is used: loading Results never needs it.
        """
        if headers != "id":
            check_lang(headers, "headers")
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter

        path = Path(path)
        wb = Workbook(write_only=True)
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        used: set[str] = set()
        for name in sheet_order(self.tables):
            df = self.tables[name]
            sheet = (name if headers == "id" else sheet_label(name, headers))[:31]
            while sheet in used:
                sheet = sheet[:29] + "_" + str(len(used))
            used.add(sheet)
            ws = wb.create_sheet(sheet)
            ws.freeze_panes = "A2"
            frame = _excel_frame(df, headers)
            for k, col in enumerate(frame.columns, start=1):
                ws.column_dimensions[get_column_letter(k)].width = min(max(len(str(col)) * 2,
                                                                           10), 40)
            head = []
            for col in frame.columns:
                cell = WriteOnlyCell(ws, value=str(col))
                cell.font, cell.fill = bold, fill
                head.append(cell)
            ws.append(head)
            # missing values as empty cells; numpy scalars as Python values
            values = frame.astype(object).where(frame.notna(), None).to_numpy()
            for row in values.tolist():
                ws.append(row)
        with atomic_path(path) as tmp:
            wb.save(tmp)
        return path

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read a results folder written by :meth:`save`."""
        folder = Path(folder)
        prov_file = folder / "provenance.json"
        if not prov_file.is_file():
            raise EvalkitError("not a results folder (no provenance.json); run "
                               "'evalkit run SPEC' first", str(folder))
        prov = json.loads(prov_file.read_text(encoding="utf-8"))
        names = prov.pop("tables", None) or sorted(p.stem for p in folder.glob("*.parquet"))
        tables = {}
        for name in names:
            f = folder / f"{name}.parquet"
            if not f.is_file():
                raise EvalkitError(f"table {name!r} listed in provenance.json is missing",
                                   str(f))
            tables[name] = pd.read_parquet(f)
        spec_file = folder / "spec.yaml"
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8")) if spec_file.is_file() \
            else {}
        return cls(tables, provenance=prov, spec=spec or {})
