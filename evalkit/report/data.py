"""Read Results for reports: a per-process cache and the slice one unit's report needs.

Reports never recompute: every figure a report prints is a row of the Results tables
(``totals``, ``indicators``, ``nodes``, ``sources``, ``points`` and the ``meta_*`` tables,
documented in :mod:`evalkit.results.schema`). A warm kernel renders many units from the same
Results, so :func:`load_results` keeps the loaded Results in memory keyed by the folder and a
fingerprint of its files (size and modification time): a changed folder is read again. The
current period is :attr:`Results.current_period <evalkit.results.store.Results.current_period>`
(the only definition); rows of a period are matched on the period as text.

Examples
--------
>>> from evalkit.report.data import unit_view          # doctest: +SKIP
>>> view = unit_view("results/demo", "T01", "zh")      # doctest: +SKIP
>>> view.row["total"], view.row["rank"]                # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.core.errors import EvalkitError
from evalkit.core.labels import check_lang
from evalkit.results import Results
from evalkit.results.schema import missing_tables

#: The tables a unit report reads (the ``meta_*`` tables are used when present).
REPORT_TABLES = ("totals", "indicators", "nodes", "sources", "points")

_CACHE: dict[tuple[str, str], Results] = {}


def folder_fingerprint(folder: str | Path) -> str:
    """A cheap fingerprint of a folder's files: names, sizes and modification times."""
    h = hashlib.sha256()
    for p in sorted(Path(folder).iterdir()):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def load_results(folder: str | Path) -> Results:
    """``Results.load(folder)``, cached per process while the folder is unchanged.

    Raises
    ------
    EvalkitError
        When ``folder`` is not a Results folder (no ``totals.parquet``), or lacks a table
        (or a key column) of :data:`REPORT_TABLES`.
    """
    folder = Path(folder).resolve()
    if not (folder / "totals.parquet").is_file():
        raise EvalkitError("not a Results folder: expected totals.parquet written by "
                           "Results.save (run `evalkit run SPEC` first)", str(folder))
    key = (str(folder), folder_fingerprint(folder))
    if key not in _CACHE:
        res = Results.load(folder)
        problems = missing_tables(res.tables, REPORT_TABLES)
        if problems:
            raise EvalkitError("; ".join(problems) + " (expected the tables of "
                               "evalkit.results.schema: run `evalkit run SPEC` again)",
                               str(folder))
        _CACHE.clear()
        _CACHE[key] = res
    return _CACHE[key]


def table(res: Results, name: str) -> pd.DataFrame | None:
    """The Results table ``name``, or None when the Results do not have it."""
    return res.tables.get(name)


def in_period(df: pd.DataFrame, period: Any) -> pd.DataFrame:
    """The rows of ``df`` in ``period`` (compared as text, as Results periods are)."""
    return df.loc[df["period"].astype(str) == str(period)]


def current_totals(res: Results) -> pd.DataFrame:
    """The ``totals`` rows of the current period (:attr:`Results.current_period`)."""
    return in_period(res.tables["totals"], res.current_period)


@dataclass
class UnitView:
    """What one unit's report reads: the Results, the unit's ``totals`` row, the period.

    Attributes
    ----------
    res : Results
        The whole Results (shared, cached; never modified).
    unit_id, lang, period :
        The unit, the language of the report (``zh``/``en``) and the current period (text).
    row : pandas.Series
        The unit's row of ``totals`` in the current period.
    peers : pandas.DataFrame
        ``totals`` rows of the unit's category in the current period.
    """

    res: Results
    unit_id: str
    lang: str
    period: str
    row: pd.Series
    peers: pd.DataFrame

    def rows(self, name: str, period: Any = None, unit: bool = True) -> pd.DataFrame | None:
        """Rows of table ``name`` for this unit (``unit=True``) in ``period`` (default current)."""
        df = table(self.res, name)
        if df is None:
            return None
        df = in_period(df, self.period if period is None else period)
        return df.loc[df["unit_id"] == self.unit_id] if unit else df


def unit_view(results_dir: str | Path, unit_id: str, lang: str = "zh") -> UnitView:
    """Load (cached) Results and select ``unit_id`` in the current period.

    Raises
    ------
    EvalkitError
        When the unit is not in ``totals`` for the current period, or ``lang`` is unknown.
    """
    check_lang(lang)
    res = load_results(results_dir)
    period = str(res.current_period)
    cur = current_totals(res)
    hit = cur.loc[cur["unit_id"] == unit_id]
    if hit.empty:
        raise EvalkitError(f"unit {unit_id!r} not found in totals for period {period}; "
                           "expected one of the unit_id values there", f"{results_dir}/totals")
    row = hit.iloc[0]
    peers = cur.loc[cur["category"] == row["category"]]
    return UnitView(res, unit_id, lang, period, row, peers)
