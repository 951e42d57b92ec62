"""Point records against the bonus/deduction catalogue (加扣分标准) of the spec.

Offices choose bonus and deduction items from a published list, each with fixed points, and
keep a ledger (台账) of the records (as offices publish their 加扣分标准).
With ``points.catalogue`` in the spec a record names its ``item``; the catalogue gives its
kind and points. A record's kind must be the catalogue's, and its own points, when given,
must equal the catalogue's; a blank points cell is filled from it, and a blank reason
becomes the item's name.
``points.locked: true``: every record must name an item of the catalogue; otherwise a record
naming another item (or none) keeps its own kind and points (recorded in the audit).

Every problem names the file, sheet, row as Excel shows it, and the column (the file's
header, as mapped by ``data.points.columns``).

Examples
--------
>>> from evalkit.spec.schema import Points
>>> pts = Points(catalogue=[{"item": "省级表彰", "kind": "加分", "points": 3}], locked=True)
>>> rec = pd.DataFrame({"unit_id": ["T1", "T2"], "item": ["省级表彰", "市级表彰"],
...                     "kind": ["bonus", "bonus"], "reason": ["", ""]})
>>> rec.attrs["source"] = "data/points.xlsx, sheet '加减分'"
>>> problems = []
>>> catalogue_points(rec, pts, {"item": "加减分项目"}, problems).tolist()
[3.0, nan]
>>> rec["reason"].tolist()
['省级表彰', '']
>>> print(problems[0])                                   # doctest: +NORMALIZE_WHITESPACE
data/points.xlsx, sheet '加减分', row 3, column '加减分项目': item '市级表彰' is not in the
locked catalogue (points.catalogue: ['省级表彰']); choose an item of the catalogue, or add
it to the spec's catalogue
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, TableError
from evalkit.inputs.checks import note, rows
from evalkit.inputs.read import header
from evalkit.inputs.vocabulary import excel_rows
from evalkit.spec.schema import Points


def _at(src: str, hit: np.ndarray, excel: np.ndarray, column: str) -> tuple[str, str]:
    """(where, which rows): the row in the location when one, else the rows in the text."""
    if int(hit.sum()) == 1:
        return f"{src}, row {int(excel[hit][0])}, column {column!r}", ""
    return f"{src}, column {column!r}", f" ({rows(hit, excel)})"


def _unknown(out: pd.DataFrame, known: np.ndarray, locked: bool, src: str, col: str,
             items: list[str], problems: list[EvalkitError], log: pd.DataFrame) -> None:
    """Records whose item is not in the catalogue: errors when locked, else recorded in
    ``log.attrs`` (the table as read)."""
    excel = excel_rows(out)
    text = out["item"].astype("string").str.strip().fillna("")
    if not locked:
        note(log, "points", "records naming no catalogue item, own kind and points kept",
             int((~known).sum()), "points.catalogue (not locked)")
        return
    for name in sorted(set(text[~known])):
        hit = ~known & (text == name).to_numpy(dtype=bool)
        where, more = _at(src, hit, excel, col)
        what = f"item {name!r} is not in the locked catalogue" if name else \
            "no item given, and the catalogue is locked"
        problems.append(TableError(f"{what} (points.catalogue: {items}){more}; choose an item "
                                   "of the catalogue, or add it to the spec's catalogue", where))


def _mismatch(out: pd.DataFrame, column: str, own: pd.Series, given: pd.Series,
              src: str, col: str, problems: list[EvalkitError]) -> None:
    """Records whose own ``column`` (kind or points) differs from the catalogue's."""
    excel = excel_rows(out)
    both = (given.notna() & own.notna()).to_numpy(dtype=bool)
    if column == "points":
        a, b = own.to_numpy(dtype=float), given.to_numpy(dtype=float)
        bad = both & ~np.isclose(np.nan_to_num(a), np.nan_to_num(b))
    else:
        bad = both & (given.fillna("") != own.fillna("")).to_numpy(dtype=bool)
    for item in sorted(set(out.loc[bad, "item"].astype(str).str.strip())):
        hit = bad & (out["item"].astype("string").str.strip() == item).to_numpy(dtype=bool)
        where, more = _at(src, hit, excel, col)
        problems.append(TableError(
            f"item {item!r} has {column} {given[hit].iloc[0]!r} in the catalogue, the record "
            f"says {own[hit].iloc[0]!r}{more}; leave the cell blank or write the catalogue's "
            f"{column}", where))


def catalogue_points(out: pd.DataFrame, points: Points, columns: Mapping[str, str],
                     problems: list[EvalkitError], log: pd.DataFrame | None = None
                     ) -> pd.Series | None:
    """Check point records against ``points.catalogue``; fill blank reasons.

    ``out`` holds the records (``item``; ``kind`` read as evalkit's kinds; ``reason``),
    changed in place; ``columns`` is ``data.points.columns`` (evalkit's name →
    the file's header), for the messages; ``log``: the frame whose ``attrs`` record the
    audit (default ``out``). Returns the catalogue's points of each record
    (NaN: a record naming no catalogue item), or None without a catalogue or item column.

    The record's points must equal the returned ones where both are given
    (:func:`check_points_against`); a locked catalogue without an ``item`` column is an
    error.
    """
    if not points.catalogue:
        return None
    src = out.attrs.get("source", "points")
    if "item" not in out.columns:
        if points.locked:
            problems.append(TableError(
                f"no item column, and the catalogue is locked; add a column naming each "
                f"record's item (map its header with data.points.columns: item: <header>); "
                f"it has {list(out.columns)}", src))
        return None
    cat = {header(c.item): c for c in points.catalogue}
    keys = out["item"].astype("string").map(lambda v: header(v) if pd.notna(v) else "")
    known = keys.isin(list(cat)).to_numpy(dtype=bool)
    if not known.all():
        _unknown(out, known, points.locked, src, columns.get("item", "item"),
                 [c.item for c in points.catalogue], problems, out if log is None else log)
    kind = keys.map(lambda k: cat[k].kind if k in cat else pd.NA).astype("string")
    _mismatch(out, "kind", out["kind"].astype("string"), kind, src,
              columns.get("kind", "kind"), problems)
    blank = out["reason"].isna() | (out["reason"].astype("string").str.strip() == "")
    out["reason"] = out["reason"].astype("string").mask(
        blank.to_numpy() & known, out["item"].astype("string").str.strip())
    return keys.map(lambda k: cat[k].points if k in cat else np.nan).astype(float)


def check_points_against(out: pd.DataFrame, own: pd.Series, fill: pd.Series,
                         columns: Mapping[str, str], problems: list[EvalkitError]
                         ) -> pd.Series:
    """The records' points: their own (parsed) points, which must equal the catalogue's
    ``fill`` where both are given, blanks filled from ``fill``."""
    _mismatch(out, "points", own.astype(float), fill, out.attrs.get("source", "points"),
              columns.get("points", "points"), problems)
    return own.astype(float).fillna(fill)
