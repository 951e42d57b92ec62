"""Sources of judgement (官评 / 民评 / 互评 / 领导评价 / 预安销号) as a registry.

The office scorecard (``office``) is computed by :mod:`evalkit.aggregation`; every other
source registers itself in :data:`~evalkit.sources.base.SOURCES` when its module is imported.
This package imports each of them explicitly, so importing :mod:`evalkit.sources` is all it
takes to have every source registered.
"""

from evalkit.sources import leaders as _leaders  # noqa: F401  (registers ``leaders``)
from evalkit.sources import peer as _peer  # noqa: F401  (registers ``peer``)
from evalkit.sources import survey as _survey  # noqa: F401  (registers ``survey``)
from evalkit.sources.base import SOURCES, Source, SourceOutput, period_rows, register_source
from evalkit.sources.tasks import ledger as _ledger  # noqa: F401  (registers ``tasks``)

__all__ = ["SOURCES", "Source", "SourceOutput", "period_rows", "register_source"]
