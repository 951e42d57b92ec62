"""Results: the tidy tables of an evaluation, their schema, and how they are saved.

:class:`Results` holds the tables (:mod:`evalkit.results.store`); :mod:`evalkit.results.schema`
lists every table, its keys and the meaning of each column.
"""

from evalkit.results.schema import TABLES, TableSchema, sort_periods
from evalkit.results.store import Results

__all__ = ["TABLES", "Results", "TableSchema", "sort_periods"]
