"""Results of several periods side by side, to query from a notebook.

:class:`ResultsStore` concatenates the tables of several Results (folders written by
``Results.save`` or objects in memory) and answers the questions of the history analysis:
trends, one unit's trajectory, the biggest climbs, the units a rule flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.analysis.history.flags import flagged_units, history_events, unit_trend
from evalkit.analysis.history.timeline import period_positions, trends
from evalkit.core.errors import TableError


@dataclass
class ResultsStore:
    """Results of several periods side by side, to query from a notebook.

    Build with :meth:`load` (Results folders), :meth:`from_results` (Results objects) or
    directly from a multi-period ``totals`` table. ``tables`` holds every loaded table
    concatenated over the folders (``totals``, and e.g. ``sources``, ``points`` if asked).

    Examples
    --------
    >>> import pandas as pd
    >>> tot = pd.DataFrame({"period": [2024, 2025], "unit_id": "T01", "category": "township",
    ...                     "total": [80.0, 84.5], "rank": [5, 2], "flags": ""})
    >>> store = ResultsStore({"totals": tot})
    >>> store.periods
    [2024, 2025]
    >>> store.unit_trend("T01")["rank_change"].tolist()
    [nan, 3.0]
    """

    tables: dict[str, pd.DataFrame]
    origins: dict[Any, str] = field(default_factory=dict)

    @classmethod
    def load(cls, folders: Iterable[str | Path], tables: Sequence[str] = ("totals",)
             ) -> ResultsStore:
        """Read ``<table>.parquet`` of each Results folder (``Results.save`` layout).

        Raises
        ------
        TableError
            A folder lacks a table, or one period is found in two folders.
        """
        parts: dict[str, list[pd.DataFrame]] = {t: [] for t in tables}
        origins: dict[Any, str] = {}
        for folder in map(Path, folders):
            for t in tables:
                f = folder / f"{t}.parquet"
                if not f.is_file():
                    raise TableError(f"no {t}.parquet; expected a folder written by "
                                     "Results.save", str(folder))
                parts[t].append(pd.read_parquet(f))
            for p in pd.unique(parts[tables[0]][-1]["period"]):
                if p in origins:
                    raise TableError(f"period {p} is also in {origins[p]}; expected each "
                                     "period in one folder", str(folder))
                origins[p] = str(folder)
        return cls({t: pd.concat(v, ignore_index=True) for t, v in parts.items()}, origins)

    @classmethod
    def from_results(cls, results: Iterable[Any], tables: Sequence[str] = ("totals",)
                     ) -> ResultsStore:
        """Combine Results objects (anything with a ``tables`` mapping)."""
        res = list(results)
        return cls({t: pd.concat([r.tables[t] for r in res], ignore_index=True)
                    for t in tables})

    @property
    def totals(self) -> pd.DataFrame:
        """The ``totals`` of every period."""
        return self.tables["totals"]

    @property
    def periods(self) -> list[Any]:
        """Distinct periods in time order."""
        return period_positions(self.totals["period"])[1]

    def trends(self) -> pd.DataFrame:
        """:func:`trends` of the stored totals (without the internal columns)."""
        return trends(self.totals).drop(columns=["_continues"])

    def wide(self, value: str = "rank") -> pd.DataFrame:
        """One row per unit, one column per period, holding ``value`` (e.g. rank, total)."""
        w = self.totals.pivot(index="unit_id", columns="period", values=value)
        return w[[p for p in self.periods if p in w.columns]]

    def unit_trend(self, unit_id: str, rules: Any = None) -> pd.DataFrame:
        """:func:`unit_trend` of one unit."""
        return unit_trend(self.totals, unit_id, rules)

    def rank_changes(self, period: Any = None) -> pd.DataFrame:
        """Units of ``period`` (default the last) sorted by rank change, biggest climb first."""
        period = self.periods[-1] if period is None else period
        t = self.trends()
        t = t[t["period"].astype(str) == str(period)]
        cols = [c for c in ("period", "unit_id", "unit_name", "category", "total", "rank",
                            "rank_change", "total_change", "category_changed") if c in t]
        return t.sort_values(["rank_change", "unit_id"], ascending=[False, True])[cols]

    def events(self, rules: Any) -> pd.DataFrame:
        """:func:`history_events` of the stored totals."""
        return history_events(self.totals, rules)

    def flagged(self, rules: Any, period: Any = None) -> pd.DataFrame:
        """:func:`flagged_units` of the stored totals."""
        return flagged_units(self.totals, rules, period)

    def describe(self) -> pd.DataFrame:
        """One row per period in time order: number of units and the folder it came from."""
        counts = self.totals.groupby("period")["unit_id"].nunique()
        return pd.DataFrame({"period": self.periods,
                             "units": [int(counts[p]) for p in self.periods],
                             "folder": [self.origins.get(p, "") for p in self.periods]})
