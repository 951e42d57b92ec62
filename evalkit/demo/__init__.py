"""The demo city: a seeded synthetic city for the demo, the tests and the benchmarks.

:func:`make_demo` writes the city's tables and spec. Each capability's demo tables come from
its module here, imported explicitly and in this order (the order of the spec's sections,
so the written spec is the same file whatever was imported before).
"""
# ruff: noqa: I001, F401  (the import order below is the registration order)

from evalkit.demo import city
from evalkit.demo import tasks as _tasks  # registers the task ledger's tables
from evalkit.demo import history as _history  # registers the history rules
from evalkit.demo import survey as _survey  # registers the survey responses
from evalkit.demo import peer as _peer  # registers the peer ratings

make_demo = city.make_demo

__all__ = ["make_demo"]
