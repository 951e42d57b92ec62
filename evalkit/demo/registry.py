"""Hooks through which each capability adds its raw tables to the demo city.

A capability's demo module (``evalkit/demo/<capability>.py``) registers a generator::

    @register_demo_tables("survey", spec={"sources": {"survey": {"weight": 0.2}}})
    def _demo(units, periods, quality, rng) -> dict[str, pd.DataFrame]:
        return {"survey_responses.parquet": df}

and :mod:`evalkit.demo` imports every such module explicitly, in a fixed order, so the demo
city is the same file for file whatever was imported before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from evalkit.core.registry import Registry

DEMO_TABLES = Registry("demo table generator")
DEMO_SPECS: dict[str, dict[str, Any]] = {}


def register_demo_tables(name: str, spec: dict[str, Any] | None = None
                         ) -> Callable[[Callable[..., dict[str, pd.DataFrame]]],
                                       Callable[..., dict[str, pd.DataFrame]]]:
    """Register a generator of extra demo tables (see the module docstring)."""

    def deco(func: Callable[..., dict[str, pd.DataFrame]]) -> Callable[..., dict[str,
                                                                                   pd.DataFrame]]:
        DEMO_TABLES.register(name)(func)
        if spec:
            DEMO_SPECS[name] = spec
        return func

    return deco
