"""Read Results for reports: a per-process cache and the slice one unit's report needs.

Reports never recompute: every figure a report prints is a row of the Results tables
(``totals``, ``indicators``, ``nodes``, ``sources``, ``points`` and the ``meta_*`` tables).
A warm kernel renders many units from the same Results, so :func:`load_results` keeps the
loaded Results in memory keyed by the folder and a fingerprint of its files (size and
modification time): a changed folder is read again.

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

_CACHE: dict[tuple[str, str], Any] = {}


def folder_fingerprint(folder: str | Path) -> str:
    """A cheap fingerprint of a folder's files: names, sizes and modification times."""
    h = hashlib.sha256()
    for p in sorted(Path(folder).iterdir()):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def load_results(folder: str | Path) -> Any:
    """``evalkit.results.Results.load(folder)``, cached per process while the folder is unchanged.

    Raises
    ------
    EvalkitError
        When ``folder`` is not a Results folder (no ``totals.parquet``).
    """
    folder = Path(folder).resolve()
    if not (folder / "totals.parquet").is_file():
        raise EvalkitError("not a Results folder: expected totals.parquet written by "
                           "Results.save (run `evalkit run SPEC` first)", str(folder))
    key = (str(folder), folder_fingerprint(folder))
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _load(folder)
    return _CACHE[key]


def _load(folder: Path) -> Any:
    from evalkit.results import Results

    return Results.load(folder)


def table(res: Any, name: str) -> pd.DataFrame | None:
    """The Results table ``name``, or None when the Results do not have it."""
    return res.tables.get(name)


def current_period(res: Any) -> Any:
    """The current period: the last one in ``totals`` (periods sort as numbers or strings)."""
    return sorted(res.tables["totals"]["period"].unique())[-1]


@dataclass
class UnitView:
    """What one unit's report reads: the Results, the unit's ``totals`` row, the period.

    Attributes
    ----------
    res : Results
        The whole Results (shared, cached; never modified).
    unit_id, lang, period :
        The unit, the language of the report (``zh``/``en``) and the current period.
    row : pandas.Series
        The unit's row of ``totals`` in the current period.
    peers : pandas.DataFrame
        ``totals`` rows of the unit's category in the current period.
    """

    res: Any
    unit_id: str
    lang: str
    period: Any
    row: pd.Series
    peers: pd.DataFrame

    def rows(self, name: str, period: Any = None, unit: bool = True) -> pd.DataFrame | None:
        """Rows of table ``name`` for this unit (``unit=True``) in ``period`` (default current)."""
        df = table(self.res, name)
        if df is None:
            return None
        mask = df["period"] == (self.period if period is None else period)
        if unit:
            mask &= df["unit_id"] == self.unit_id
        return df.loc[mask]


def unit_view(results_dir: str | Path, unit_id: str, lang: str = "zh") -> UnitView:
    """Load (cached) Results and select ``unit_id`` in the current period.

    Raises
    ------
    EvalkitError
        When the unit is not in ``totals`` for the current period, or ``lang`` is unknown.
    """
    check_lang(lang)
    res = load_results(results_dir)
    totals = res.tables["totals"]
    period = current_period(res)
    cur = totals.loc[totals["period"] == period]
    hit = cur.loc[cur["unit_id"] == unit_id]
    if hit.empty:
        raise EvalkitError(f"unit {unit_id!r} not found in totals for period {period}; "
                           "expected one of the unit_id values there", f"{results_dir}/totals")
    row = hit.iloc[0]
    peers = cur.loc[cur["category"] == row["category"]]
    return UnitView(res, unit_id, lang, period, row, peers)
