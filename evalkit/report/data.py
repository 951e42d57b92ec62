"""Read Results for reports: a per-process cache and the slice one unit's report needs.

Reports never recompute: every figure a report prints is a row of the Results tables
(``totals``, ``indicators``, ``nodes``, ``sources``, ``points`` and the ``meta_*`` tables,
documented in :mod:`evalkit.results.schema`). A warm kernel renders many units from the same
Results, so :func:`load_results` keeps the loaded Results in memory keyed by the folder and a
fingerprint of its files (size and modification time): a changed folder is read again. The
current period is :attr:`Results.current_period <evalkit.results.store.Results.current_period>`
(the only definition); rows of a period are matched on the period as text.

:func:`indicator_frame` is the explainable indicator table of a unit: each row carries the
factors of its contribution (``score × weight × source weight``, with ``weight`` = the
perspective's weight × the weight within it), the missing-value policy that scored a missing
value, and the metadata (direction, target, unit, method). :func:`neighbours` gives the units
before and after a unit in its category's ranking (the report's navigation).
:func:`project_path` finds a relative path from the project root or any folder below it, so
a notebook opened in ``notebooks/`` finds ``results/demo`` as one opened at the root does.

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


def project_path(path: str | Path, levels: int = 3) -> Path:
    """``path`` when it exists as given (absolute, or from the working directory); else the
    first existing ``parent / path`` among the working directory's ``levels`` parents (a
    notebook run in ``notebooks/`` finds the project's ``results/demo``); else ``path``."""
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p
    for parent in list(Path.cwd().parents)[:levels]:
        if (parent / p).exists():
            return parent / p
    return p


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
    folder = project_path(folder).resolve()
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


def neighbours(view: UnitView) -> tuple[pd.Series | None, pd.Series | None]:
    """The ``totals`` rows of the units ranked just before and just after this unit in its
    category (by rank, then id), or None at either end."""
    order = view.peers.sort_values(["rank", "unit_id"], kind="stable").reset_index(drop=True)
    pos = order.index[order["unit_id"] == view.unit_id]
    if not len(pos):
        return None, None
    i = int(pos[0])
    return (order.iloc[i - 1] if i > 0 else None,
            order.iloc[i + 1] if i + 1 < len(order) else None)


def _meta(res: Results, name: str, cols: tuple[str, ...]) -> pd.DataFrame | None:
    """The columns ``cols`` (those present) of the metadata table ``name``, or None."""
    meta = table(res, name)
    return None if meta is None else meta[[c for c in cols if c in meta.columns]]


def indicator_frame(view: UnitView) -> pd.DataFrame:
    """The unit's applicable indicators with every factor of their contribution.

    Columns of ``indicators`` plus: ``direction``, ``target``, ``unit``, ``method`` (from
    ``meta_indicators``); ``w_perspective`` (the perspective's global weight, ``nodes``),
    ``w_within`` (``weight / w_perspective``: the weight within the perspective);
    ``w_source`` (the office source's effective weight, ``sources``), so that
    ``contribution = score × weight × w_source``; ``policy`` (the missing-value policy of the
    unit's category, ``missing_report``). Rows in metadata order.
    """
    ind = view.rows("indicators").reset_index(drop=True)
    meta = _meta(view.res, "meta_indicators", ("indicator_id", "direction", "target", "unit",
                                               "method"))
    if meta is not None:
        ind = ind.merge(meta, on="indicator_id", how="left")
        order = {k: i for i, k in enumerate(meta["indicator_id"])}
        ind = ind.assign(_o=ind["indicator_id"].map(order)).sort_values("_o", kind="stable") \
            .drop(columns="_o")
    nodes = view.rows("nodes")
    pw = nodes.set_index("node_id")["weight"] if nodes is not None else pd.Series(dtype=float)
    ind["w_perspective"] = ind["perspective_id"].map(pw).astype(float)
    ind["w_within"] = (ind["weight"] / ind["w_perspective"]).where(ind["w_perspective"] > 0)
    src = view.rows("sources")
    office = src.loc[src["source"] == "office", "effective_weight"] if src is not None else []
    ind["w_source"] = float(office.iloc[0]) if len(office) else 1.0
    ind["policy"] = ind["indicator_id"].map(_policies(view)).fillna("")
    return ind.reset_index(drop=True)


def _policies(view: UnitView) -> pd.Series:
    """indicator_id -> missing-value policy for the unit's category in the current period."""
    mr = table(view.res, "missing_report")
    if mr is None or "policy" not in mr.columns:
        return pd.Series(dtype=object)
    mr = in_period(mr, view.period)
    mr = mr.loc[mr["category"].astype(str) == str(view.row["category"])]
    return pd.Series(mr["policy"].astype(str).to_numpy(), index=mr["indicator_id"].astype(str))
