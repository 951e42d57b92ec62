"""Results: tidy, self-describing tables plus provenance; saved as Parquet and Excel.

A results folder holds one ``<table>.parquet`` per table (the exact data, read back by
:meth:`Results.load`), one formatted workbook ``results.xlsx`` for people (one sheet per
table, Chinese headers with ``headers="zh"``, text cells starting with ``=``, ``+``, ``-``,
``@`` made inert), ``provenance.json`` (spec, input hashes, package versions, seed, time) and
``spec.yaml``. Every file is written to a temporary name and moved into place, so a crash
never leaves a half-written file.

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
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from evalkit.core.atomic import atomic_path
from evalkit.core.errors import EvalkitError

#: Chinese headers for the workbook (``headers="zh"``).
HEADERS_ZH = {
    "period": "考核期", "unit_id": "单位代码", "unit_name": "单位名称", "unit_name_en": "英文名称",
    "category": "类别", "office": "官评", "survey": "民评", "peer": "互评", "leaders": "领导评价",
    "tasks": "预安销号", "weighted_score": "加权得分", "bonus": "加分", "deductions": "扣分",
    "veto": "一票否决", "total": "总分", "rank": "类别排名", "n_in_category": "类别单位数",
    "grade": "等次代码", "grade_name": "等次", "bottom_n": "末位", "flags": "标记",
    "indicator_id": "指标代码", "perspective_id": "维度", "raw": "原始值", "value": "处理后值",
    "score": "得分", "weight": "权重", "contribution": "贡献分", "missing": "缺失",
    "imputed": "插补", "node_id": "层级代码", "level": "层级", "parent_id": "上级",
    "source": "评价来源", "effective_weight": "实际权重", "kind": "类型", "points": "分值",
    "applied": "计入分值", "reason": "事由", "name": "名称", "name_en": "英文名称",
    "direction": "方向", "target": "目标值", "method": "计分方法", "unit": "计量单位",
}
SHEETS_ZH = {"totals": "总分排名", "indicators": "指标得分", "nodes": "维度得分",
             "sources": "评价来源", "points": "加扣分"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """Make a text cell that a spreadsheet would run as a formula inert (prefix ``'``).

    Numbers are left alone: ``-3.5`` stays a number. Reference: OWASP, *CSV Injection*.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _excel_frame(df: pd.DataFrame, headers: str) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].astype(object).map(inert)
    if headers == "zh":
        out = out.rename(columns=lambda c: HEADERS_ZH.get(c, c))
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
    def current_period(self) -> str | None:
        """The last period evaluated."""
        p = self.provenance.get("current_period")
        if p is None and "totals" in self.tables and "period" in self.totals:
            p = str(self.totals["period"].astype(str).max())
        return p

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
        """Write the tables (Parquet), the workbook, provenance and spec; return the folder."""
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

        Written with openpyxl's streaming (write-only) workbook: rows go straight to the
        file, so large results do not build a workbook of cell objects in memory.
        """
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter

        path = Path(path)
        wb = Workbook(write_only=True)
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        used: set[str] = set()
        for name, df in self.tables.items():
            sheet = (SHEETS_ZH.get(name, name) if headers == "zh" else name)[:31]
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
