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

``check_tables(config, tables, units, periods) -> list[EvalkitError]`` names every problem
``compute`` would meet in the source's tables, for every evaluated period at once (file,
row as Excel shows it, column); :func:`evalkit.validate.validate` runs it for every
configured source, so ``evalkit validate`` lists them before ``run`` meets them. A source
attaches its check in one way only: ``register_source(name, check_tables=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry
from evalkit.inputs.tables import positions


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


#: ``check_tables(config, tables, units, periods) -> problems``.
CheckTables = Callable[[dict[str, Any], Mapping[str, pd.DataFrame], pd.DataFrame, list[str]],
                       list[EvalkitError]]


@dataclass(frozen=True)
class Source:
    """A registered source: how to compute it, how to validate its spec section and its
    tables."""

    compute: Callable[..., SourceOutput]
    validate: Callable[[dict[str, Any], str], list[EvalkitError]] | None = None
    requires: tuple[str, ...] = ()
    check_tables: CheckTables | None = None


SOURCES = Registry("source")


def register_source(
    name: str,
    *,
    validate: Callable[[dict[str, Any], str], list[EvalkitError]] | None = None,
    requires: tuple[str, ...] = (),
    check_tables: CheckTables | None = None,
) -> Callable[[Callable[..., SourceOutput]], Callable[..., SourceOutput]]:
    """Register ``compute`` as the source ``name``; ``requires`` lists the data keys it reads,
    ``check_tables`` checks them (see the module docstring)."""

    def deco(compute: Callable[..., SourceOutput]) -> Callable[..., SourceOutput]:
        src = Source(compute, validate, requires, check_tables)
        object.__setattr__(src, "__doc__", compute.__doc__)  # listings show the method's doc
        SOURCES.register(name)(src)
        return compute

    return deco


def tables_check_of(name: str, registry: Registry = SOURCES) -> CheckTables | None:
    """The table check of source ``name`` (``register_source(..., check_tables=...)``), or
    None when the source registered none."""
    return getattr(registry.get(name), "check_tables", None)


def period_rows(df: pd.DataFrame, period: Any) -> pd.DataFrame:
    """Rows of ``df`` for ``period`` (all rows when the table has no ``period`` column or
    ``period`` is None; see :func:`split_periods`)."""
    return df if period is None else split_periods(df, [period])[0]


def split_periods(df: pd.DataFrame, periods: Sequence[Any]) -> list[pd.DataFrame]:
    """The rows of ``df`` of each period: ``df[df["period"].astype(str) == str(period)]``
    (all of ``df`` without a ``period`` column).

    When a period's rows are one run (a table sorted by period) they are taken as a slice,
    without copying every column; the rows, values and index are the same.

    Examples
    --------
    >>> df = pd.DataFrame({"period": ["2024", "2024", "2025", "2024"], "v": [1, 2, 3, 4]})
    >>> [f["v"].tolist() for f in split_periods(df, ["2024", 2025, "2026"])]
    [[1, 2, 4], [3], []]
    """
    if "period" not in df.columns:
        return [df for _ in periods]
    text = df["period"].astype(str)
    out = []
    for period in periods:
        mask = text == str(period)
        pos = np.flatnonzero(mask.to_numpy()) if mask.dtype == bool else np.array([])
        one_run = len(pos) > 0 and pos[-1] - pos[0] + 1 == len(pos)
        out.append(df.iloc[pos[0]:pos[-1] + 1] if one_run else df[mask])
    return out


def isin_text(values: pd.Series | pd.Index, known: Iterable[Any]) -> np.ndarray:
    """``values.isin(list(known))`` as a bool array.

    When every known value is text, each distinct value of ``values`` is looked up once, by
    :func:`evalkit.inputs.tables.positions` (pandas makes an Arrow scalar of every known
    value: slow for thousands of units).

    Examples
    --------
    >>> isin_text(pd.Series(["T1", None, "T2", "T1"], dtype="str"), {"T1"}).tolist()
    [True, False, False, True]
    """
    wanted = list(known)
    if not all(isinstance(k, str) for k in wanted):
        return np.asarray(values.isin(wanted), dtype=bool)
    return positions(pd.Index(list(dict.fromkeys(wanted)), dtype="str"), values) >= 0


#: Keys of a source's section (at any depth) that name a data table it reads.
TABLE_KEYS = ("table", "ledger", "responses", "issued")


def source_keys(name: str, config: Mapping[str, Any], data: Collection[str],
                registry: Registry = SOURCES) -> list[str]:
    """The data keys (among ``data``) a source reads: its ``requires`` and every table named
    in its section (``table``, ``ledger``, ``responses``, ``issued``, at any depth).

    Examples
    --------
    >>> source_keys("tasks", {"progress": {"table": "pp"}}, ["tasks_ledger", "pp", "units"])
    ['tasks_ledger', 'pp']
    """
    keys = list(registry.get(name).requires) if name in registry else []
    stack: list[Mapping[str, Any]] = [config]
    while stack:
        section = stack.pop()
        for k, v in section.items():
            if isinstance(v, Mapping):
                stack.append(v)
            elif k in TABLE_KEYS and isinstance(v, str):
                keys.append(v)
    return [k for k in dict.fromkeys(keys) if k in data]
