"""The source registry: one way to attach a source's table check (``register_source``)."""

from __future__ import annotations

import pandas as pd
import pytest

import evalkit.sources.base as base
from evalkit.core.errors import EvalkitError, TableError
from evalkit.core.registry import Registry
from evalkit.sources import SOURCES, SourceOutput, register_source
from evalkit.sources.base import tables_check_of


def test_every_source_registers_its_table_check() -> None:
    assert set(SOURCES) == {"leaders", "peer", "survey", "tasks"}
    for name in SOURCES:
        check = SOURCES.get(name).check_tables
        assert callable(check), name
        assert tables_check_of(name) is check
    assert not hasattr(base, "table_check")      # no second way to attach one


def test_register_source_attaches_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def check(config: dict, tables: dict, units: pd.DataFrame, periods: list[str]
              ) -> list[EvalkitError]:
        return [TableError(f"{len(periods)} periods", "t.csv")]

    def compute(config: dict, tables: dict, units: pd.DataFrame, period: object
                ) -> SourceOutput:
        return SourceOutput(pd.Series(dtype=float))

    reg = Registry("source")
    monkeypatch.setattr(base, "SOURCES", reg)
    register_source("toy", check_tables=check)(compute)
    register_source("plain")(compute)
    hook = tables_check_of("toy", reg)
    assert hook is check
    assert [str(e) for e in hook({}, {}, pd.DataFrame(), ["2024", "2025"])] == \
        ["t.csv: 2 periods"]
    assert tables_check_of("plain", reg) is None
