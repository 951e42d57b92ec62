"""An office's indicator catalogue (指标体系) read as the spec's indicators, perspectives,
categories and weights.

Offices keep their indicators in a sheet such as::

    编码 | 名称           | 所属维度 | 指标属性 | 分值 | 适用类别 | 目标值 | 计分方法 | 计量单位
    E01  | 地区生产总值增速 | 经济发展 | 正向     | 30   | 乡镇     | 6.5    | 完成率   | %
    S02  | 安全生产事故起数 | 社会治理 | 逆向     | 20   | 乡镇     |        | 极差法   | 起

:func:`read_catalogue` finds the header row (a title row above it is skipped), matches the
headers in Chinese or English (:data:`HEADERS`), fills a 所属维度 left blank by merged cells
from the row above, and turns each row into an indicator of the spec:

- 指标属性 正向 / 逆向 / 适度 → ``direction`` benefit / cost / target;
- 分值 (points, summing to 100 per category) → ``weights: points``; 权重 as fractions or
  percentages → weights as written; per-category columns ``分值（乡镇）`` give a category
  its own points (the indicator applies where a value is given);
- 适用类别 (``乡镇、部门``; blank or 全部 = every category) → ``categories``, ids from
  :data:`CATEGORY_IDS` or ``cat1``, ``cat2``, …;
- 计分方法 in the office's words (:data:`METHOD_NAMES`: 比例计分, 极差法, 功效系数法,
  完成率, 名次计分, …) or a key of :data:`evalkit.scoring.methods.SCORING`; a blank method
  with a 目标值 is a completion rate (``target_ratio``), else the spec's default.

Every problem names its row as Excel shows it, and all are raised together.

Examples
--------
>>> import pandas as pd
>>> sheet = pd.DataFrame([["编码", "名称", "所属维度", "指标属性", "分值", "计分方法"],
...                       ["A1", "增速", "经济", "正向", 60, "比例计分"],
...                       ["A2", "事故", None, "逆向", 40, "极差法"]])
>>> cat = catalogue_from_frame(sheet, "指标体系")
>>> [(i["id"], i["perspective"], i["direction"], i["weight"]) for i in cat.indicators]
[('A1', 'P1', 'benefit', 60.0), ('A2', 'P1', 'cost', 40.0)]
>>> cat.points, cat.indicators[0]["scoring"]
(True, {'method': 'best_ratio'})
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from evalkit.authoring.words import CATEGORY_IDS, DIRECTIONS, HEADERS, METHOD_NAMES
from evalkit.core.errors import EvalkitError, TableError, raise_all
from evalkit.scoring.methods import SCORING

_ALL = {"", "全部", "所有", "全体", "all"}
_TOTAL_ROWS = {"合计", "小计", "总计", "总分", "合计分值"}
_SPLIT = re.compile(r"[、,，;；/|\s]+")
_PER_CATEGORY = re.compile(r"^(分值|权重|points|weight)\((.+)\)$")
_CAP = re.compile(r"封顶\s*(\d+(?:\.\d+)?)\s*%")


@dataclass
class Catalogue:
    """The spec's pieces read from a catalogue sheet.

    Attributes
    ----------
    indicators, perspectives, categories : list of dict
        Spec entries (``id``, ``name``, ... as the YAML has them), in the sheet's order.
    points : bool
        The weights are points (分值) summing to 100 per category (``weights: points``).
    source : str
        Where the catalogue was read (file and sheet).
    title : str
        The sheet's title row above the header, when it has one (e.g. 某县2025年度综合考核
        指标体系), for the evaluation's name.
    notes : list of str
        What a user should check (points that do not sum to 100, methods needing parameters).
    """

    indicators: list[dict[str, Any]]
    perspectives: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    points: bool
    source: str
    notes: list[str] = field(default_factory=list)
    title: str = ""

    def totals(self) -> dict[str, float]:
        """Sum of the weights per category id (``all`` when there are no categories)."""
        cats = [c["id"] for c in self.categories] or ["all"]
        out = dict.fromkeys(cats, 0.0)
        for ind in self.indicators:
            w = ind["weight"]
            for c in ind.get("categories") or cats:
                out[c] += float(w.get(c, 0.0) if isinstance(w, dict) else w)
        return out


def _norm(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).strip()


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or _norm(v) in ("", "nan")


def _text(v: Any) -> str:
    """A cell as text: a whole number read as a float (``1.0``) is ``'1'``."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return unicodedata.normalize("NFKC", str(v)).strip()


def _field_of(header: Any) -> str | tuple[str, str] | None:
    h = _norm(header)
    for name, words in HEADERS.items():
        if h in words or h.lower() in words:
            return name
    m = _PER_CATEGORY.match(h)
    if m:
        return ("points" if m.group(1) in ("分值", "points") else "weight", m.group(2))
    return None


def _header_row(raw: pd.DataFrame, where: str) -> int:
    for r in range(min(len(raw), 10)):
        found = {_field_of(v) for v in raw.iloc[r] if not _blank(v)}
        if {"name"} <= found and len(found - {None}) >= 3:
            return r
    raise TableError("no header row with the catalogue's columns in the first 10 rows; "
                     f"expected headers such as {', '.join(h[0] for h in HEADERS.values())}",
                     where)


def _number(v: Any, row: int, col: str, where: str, problems: list[EvalkitError]
            ) -> float | None:
    if _blank(v):
        return None
    text = _norm(v).replace(",", "")
    scale = 0.01 if text.endswith("%") else 1.0
    try:
        out = float(text.rstrip("%")) * scale
    except ValueError:
        problems.append(TableError(f"not a number: {_text(v)!r}", f"{where}, row {row}, "
                                   f"column {col!r}"))
        return None
    if not math.isfinite(out):
        problems.append(TableError(f"not a finite number: {_text(v)!r}",
                                   f"{where}, row {row}, column {col!r}"))
        return None
    return out


def _scoring(text: str, target: float | None, red_flag: float | None, loc: str,
             problems: list[EvalkitError]) -> dict[str, Any] | None:
    """The scoring mapping of a 计分方法 cell (None: the spec's default)."""
    if not text:
        return {"method": "target_ratio"} if target is not None else None
    key = _CAP.sub("", text).strip("，,；; ") or text
    found = METHOD_NAMES.get(key) or next((v for k, v in METHOD_NAMES.items() if k in key),
                                          None)
    if found is None and text in SCORING:
        found = {"method": text}
    if found is None:
        problems.append(TableError(
            f"unknown scoring method {text!r}; write one of {sorted(METHOD_NAMES)} or a "
            f"method of `evalkit methods` ({', '.join(sorted(SCORING))})", loc))
        return None
    out = dict(found)
    cap = _CAP.search(text)
    if cap and out["method"] == "target_ratio":
        out["cap"] = float(cap.group(1)) / 100
    if out["method"] == "goal_redflag" and red_flag is not None:
        out["red_flag"] = red_flag
    return out


def _category_id(name: str, taken: dict[str, str]) -> str:
    if name not in taken:
        base = CATEGORY_IDS.get(name.replace("（", "(").replace("）", ")"))
        cid = base if base and base not in taken.values() else f"cat{len(taken) + 1}"
        taken[name] = cid
    return taken[name]


@dataclass
class _Reader:
    """The state of one pass over the catalogue's rows."""

    where: str
    columns: dict[Any, Any]
    problems: list[EvalkitError] = field(default_factory=list)
    cat_ids: dict[str, str] = field(default_factory=dict)
    persp: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def get(self, row: pd.Series, name: Any) -> Any:
        col = next((c for c, f in self.columns.items() if f == name), None)
        return None if col is None else row[col]

    def categories(self, row: pd.Series) -> list[str] | None:
        text = "" if _blank(v := self.get(row, "categories")) else _text(v)
        names = [n for n in _SPLIT.split(text) if n]
        if not names or set(names) & _ALL:
            return None
        return [_category_id(n, self.cat_ids) for n in names]

    def weight(self, row: pd.Series, r: int, applies: list[str] | None
               ) -> tuple[float | dict[str, float] | None, list[str] | None]:
        per = {f[1]: (c, f[0]) for c, f in self.columns.items() if isinstance(f, tuple)}
        if per:
            got = {_category_id(name, self.cat_ids): _number(row[c], r, str(c), self.where,
                                                             self.problems)
                   for name, (c, _) in per.items()}
            got = {k: v for k, v in got.items() if v is not None}
            keep = [c for c in got if applies is None or c in applies]
            return {c: got[c] for c in keep}, keep
        kind = "points" if "points" in self.columns.values() else "weight"
        col = next((c for c, f in self.columns.items() if f == kind), None)
        value = None if col is None else _number(row[col], r, str(col), self.where,
                                                 self.problems)
        return value, applies

    def indicator(self, row: pd.Series, r: int) -> dict[str, Any] | None:
        loc = f"{self.where}, row {r}"
        name = self.get(row, "name")
        if _blank(name) or _norm(name) in _TOTAL_ROWS:
            return None
        ind: dict[str, Any] = {"id": "" if _blank(v := self.get(row, "id")) else _text(v),
                               "name": _text(name)}
        persp = self.get(row, "perspective")
        pname = "考核指标" if _blank(persp) else _text(persp)
        ind["perspective"] = self.persp.setdefault(pname, f"P{len(self.persp) + 1}")
        d = self.get(row, "direction")
        ind["direction"] = "benefit" if _blank(d) else DIRECTIONS.get(_norm(d), "")
        if not ind["direction"]:
            self.problems.append(TableError(f"unknown 指标属性 {_text(d)!r}; expected 正向, "
                                            "逆向 or 适度", f"{loc}, column 指标属性"))
        unit = self.get(row, "unit")
        ind["unit"] = "" if _blank(unit) else _text(unit)
        target = _number(self.get(row, "target"), r, "目标值", self.where, self.problems)
        red = _number(self.get(row, "red_flag"), r, "红线值", self.where, self.problems)
        if target is not None:
            ind["target"] = target
        w, applies = self.weight(row, r, self.categories(row))
        ind["weight"] = 1.0 if w is None else w
        if applies is not None:
            ind["categories"] = applies
        m = self.get(row, "method")
        scoring = _scoring("" if _blank(m) else _text(m), target, red, f"{loc}, column 计分方法",
                           self.problems)
        if scoring is not None:
            ind["scoring"] = scoring
        return ind


def _check_ids(inds: list[dict[str, Any]], rows: list[int], where: str
               ) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    seen: dict[str, int] = {}
    for k, (ind, r) in enumerate(zip(inds, rows, strict=True)):
        if not ind["id"]:
            ind["id"] = f"I{k + 1:02d}"
        if ind["id"] in seen:
            problems.append(TableError(f"indicator code {ind['id']!r} also on row "
                                       f"{seen[ind['id']]}; codes must be unique",
                                       f"{where}, row {r}"))
        seen.setdefault(ind["id"], r)
    return problems


def catalogue_from_frame(raw: pd.DataFrame, where: str) -> Catalogue:
    """A :class:`Catalogue` from a sheet read without a header (``header=None``).

    Raises
    ------
    ProblemList
        Every problem of the sheet, each naming its row as Excel shows it.
    """
    head = _header_row(raw, where)
    columns = {c: f for c in raw.columns if (f := _field_of(raw.iloc[head][c])) is not None}
    body = raw.iloc[head + 1:].copy()
    rd = _Reader(where, columns)
    pcol = next((c for c, f in columns.items() if f == "perspective"), None)
    if pcol is not None:                  # 所属维度 merged over several rows reads as blanks
        body[pcol] = body[pcol].where(~body[pcol].map(_blank)).ffill()
    inds, rows = [], []
    for pos, (_, row) in enumerate(body.iterrows()):
        ind = rd.indicator(row, head + pos + 2)
        if ind is not None:
            inds.append(ind)
            rows.append(head + pos + 2)
    rd.problems += _check_ids(inds, rows, where)
    if not inds:
        rd.problems.append(TableError("no indicator rows under the header", where))
    raise_all(rd.problems, "problems in the indicator catalogue")
    cat = Catalogue(inds, [{"id": pid, "name": name} for name, pid in rd.persp.items()],
                    [{"id": cid, "name": name} for name, cid in rd.cat_ids.items()],
                    points="points" in {f if isinstance(f, str) else f[0]
                                        for f in columns.values()}, source=where)
    above = [str(v).strip() for v in raw.iloc[:head].to_numpy().ravel() if not _blank(v)]
    cat.title = above[0] if above else ""
    return _settle_weights(cat)


def _settle_weights(cat: Catalogue) -> Catalogue:
    """Decide points vs shares from the sums, and note what the user should check."""
    totals = cat.totals()
    if not cat.points and all(abs(t - 100) < 1e-6 for t in totals.values()):
        cat.points = True                  # 权重 written as percentages of 100
    for c, t in totals.items():
        want = 100.0 if cat.points else 1.0
        if abs(t - want) > 1e-6:
            cat.notes.append(f"the {'points' if cat.points else 'weights'} of category {c!r} "
                             f"sum to {t:g}, not {want:g}; correct them in the spec")
    for ind in cat.indicators:
        sc = ind.get("scoring") or {}
        if sc.get("method") == "goal_redflag" and "red_flag" not in sc:
            cat.notes.append(f"indicator {ind['id']}: 目标红线 needs its red flag value "
                             "(scoring.red_flag)")
        if sc.get("method") in ("target_ratio", "goal_redflag") and "target" not in ind:
            cat.notes.append(f"indicator {ind['id']}: {sc['method']} needs a 目标值 (target)")
    return cat


def catalogue_sheet(path: Path) -> str | None:
    """The sheet of a workbook holding the catalogue: 指标体系 if present, else None
    (the first sheet whose header matches is taken)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        names = wb.sheetnames
    finally:
        wb.close()
    return next((n for n in names if _norm(n) in ("指标体系", "指标目录", "考核指标")), None)


def read_catalogue(path: str | Path, sheet: str | None = None) -> Catalogue:
    """Read an office's indicator catalogue from an Excel sheet or a CSV file.

    Parameters
    ----------
    path : path-like
        ``.xlsx`` (the sheet ``sheet``, else 指标体系, else the first sheet with the
        catalogue's headers) or ``.csv`` (UTF-8, or GBK / GB18030 as older systems save).
    sheet : str, optional
        The sheet's name.

    Raises
    ------
    TableError, ProblemList
        The file or sheet is missing, no header row is found, or rows are wrong (each named).
    """
    path = Path(path)
    if not path.is_file():
        raise TableError("file not found", str(path))
    if path.suffix.lower() in (".csv", ".txt"):
        for enc in ("utf-8-sig", "gb18030"):
            try:
                raw = pd.read_csv(path, header=None, dtype=object, encoding=enc)
                break
            except UnicodeDecodeError:
                continue
        return catalogue_from_frame(raw, str(path))
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise TableError(f"unknown file type {path.suffix!r}; expected .xlsx or .csv",
                         str(path))
    sheets = [sheet] if sheet else [catalogue_sheet(path)]
    if sheets == [None]:
        sheets = pd.ExcelFile(path, engine="openpyxl").sheet_names
    last: EvalkitError | None = None
    for name in sheets:
        try:
            raw = pd.read_excel(path, sheet_name=name, header=None, dtype=object,
                                engine="openpyxl")
        except ValueError as err:
            raise TableError(f"no sheet named {name!r} ({err})", str(path)) from None
        try:
            return catalogue_from_frame(raw, f"{path}, sheet {name!r}")
        except TableError as err:
            last = err                      # not this sheet: try the next
    assert last is not None
    raise last
