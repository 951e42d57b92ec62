"""Sources of judgement (官评 / 民评 / 互评 / 领导评价) as a registry.

A *source* turns the input tables of one period into a score per unit on the evaluation's
point scale (0–100 by default). ``evaluate`` combines the sources by the weights the spec
gives them (``sources.<name>.weight``); the office's own assessment (``office``) is the
balanced scorecard computed by :mod:`evalkit.aggregation.scorecard`; every other
source is registered here.

Contract of a source
--------------------
``compute(config, tables, units, period) -> SourceOutput``

- ``config``: the source's section of the spec without ``weight`` (a plain ``dict``),
  already checked by ``validate``;
- ``tables``: ``{data key: DataFrame}`` with the spec's column renames applied, all periods;
- ``units``: the units of the period (index ``unit_id``; columns ``unit_name``,
  ``category``, ...);
- ``period``: the period being evaluated (a table's ``period`` column may be absent: then
  every row belongs to every period).

``validate(config, where) -> list[EvalkitError]`` names every problem with its YAML path
(``where`` is the path of the section, e.g. ``sources.survey``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry


@dataclass
class SourceOutput:
    """What a source returns for one period.

    Attributes
    ----------
    score : pandas.Series
        Score per unit (index ``unit_id``) on the point scale; NaN where the unit has no data
        from this source (its weight is then shared among the unit's other sources).
    tables : dict of str to DataFrame
        Tidy detail tables, saved in the Results as ``<source>_<name>`` (e.g. the survey's
        rates by group with intervals, the audit of excluded ballots).
    """

    score: pd.Series
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """A registered source: how to compute it, how to validate its spec section."""

    compute: Callable[..., SourceOutput]
    validate: Callable[[dict[str, Any], str], list[EvalkitError]] | None = None
    requires: tuple[str, ...] = ()


SOURCES = Registry("source")


def register_source(
    name: str,
    *,
    validate: Callable[[dict[str, Any], str], list[EvalkitError]] | None = None,
    requires: tuple[str, ...] = (),
) -> Callable[[Callable[..., SourceOutput]], Callable[..., SourceOutput]]:
    """Register ``compute`` as the source ``name``; ``requires`` lists the data keys it reads."""

    def deco(compute: Callable[..., SourceOutput]) -> Callable[..., SourceOutput]:
        src = Source(compute, validate, requires)
        object.__setattr__(src, "__doc__", compute.__doc__)  # listings show the method's doc
        SOURCES.register(name)(src)
        return compute

    return deco


def period_rows(df: pd.DataFrame, period: Any) -> pd.DataFrame:
    """Rows of ``df`` for ``period`` (all rows when the table has no ``period`` column)."""
    if "period" not in df.columns or period is None:
        return df
    return df[df["period"].astype(str) == str(period)]
