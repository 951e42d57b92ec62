"""Sources of judgement (官评 / 民评 / 互评 / 领导评价) as a registry.

A *source* turns the input tables of one period into a score per unit on the evaluation's
point scale (0–100 by default). ``evaluate`` combines the sources by the weights the spec
gives them (``sources.<name>.weight``); the office's own assessment (``office``) is the
balanced scorecard computed by :mod:`evalkit.aggregate`, every other source is registered here.

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

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError, TableError
from evalkit.registry import Registry

#: Modules that register sources when imported (kept lazy to avoid import cycles).
SOURCE_MODULES: list[str] = ["evalkit.tasks", "evalkit.history", "evalkit.survey",
                             "evalkit.peer"]


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


def load_sources() -> Registry:
    """Import the modules that register sources, then return :data:`SOURCES`."""
    for mod in SOURCE_MODULES:
        importlib.import_module(mod)
    return SOURCES


def period_rows(df: pd.DataFrame, period: Any) -> pd.DataFrame:
    """Rows of ``df`` for ``period`` (all rows when the table has no ``period`` column)."""
    if "period" not in df.columns or period is None:
        return df
    return df[df["period"].astype(str) == str(period)]


def _validate_leaders(config: dict[str, Any], where: str) -> list[EvalkitError]:
    extra = set(config) - {"table", "min_raters"}
    return [EvalkitError(f"unknown key {k!r}; expected table, min_raters", f"{where}.{k}")
            for k in sorted(extra)]


@register_source("leaders", validate=_validate_leaders, requires=("leaders",))
def leaders_source(config: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                   units: pd.DataFrame, period: Any) -> SourceOutput:
    """Leaders' overall evaluation (领导综合评价): the mean of the leaders' scores.

    ``score_u = mean_r score_{r,u}`` over the leaders r who rated unit u (table columns
    ``unit_id``, ``rater_id``, ``score``; optional ``period``). Units rated by fewer than
    ``min_raters`` leaders (default 1) get NaN, and their weight moves to their other sources.
    """
    key = config.get("table", "leaders")
    df = period_rows(tables[key], period)
    for col in ("unit_id", "score"):
        if col not in df.columns:
            raise TableError(f"missing column {col!r}; expected unit_id, rater_id, score", key)
    g = df.groupby("unit_id")["score"].agg(["mean", "count", "std"])
    g = g.reindex(units.index)
    score = g["mean"].where(g["count"] >= int(config.get("min_raters", 1)), np.nan)
    detail = g.rename(columns={"mean": "score", "count": "n_raters", "std": "sd"})
    detail = detail.rename_axis("unit_id").reset_index()
    return SourceOutput(score.rename("leaders"), {"detail": detail})
