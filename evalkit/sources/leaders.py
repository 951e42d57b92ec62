"""The leaders' overall evaluation (领导综合评价) as the ``leaders`` source.

The table (data key ``leaders``, or ``sources.leaders.table``) has one row per leader and
unit: ``period`` (optional when one period is evaluated), ``unit_id``, ``rater_id``,
``score`` on ``sources.leaders.scale`` (default [0, 100]). Cells follow the one vocabulary
(:mod:`evalkit.inputs.vocabulary`): ``95%`` or ``缺报`` are errors naming the cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, SpecError, TableError, raise_all, unknown_keys
from evalkit.inputs.checks import rows, unknown_ids
from evalkit.inputs.vocabulary import cell_problems, excel_rows, parse_ids, parse_numbers
from evalkit.sources.base import SourceOutput, period_rows, register_source

_KEYS = ["table", "min_raters", "scale"]


def _validate_leaders(config: dict[str, Any], where: str) -> list[EvalkitError]:
    problems: list[EvalkitError] = list(unknown_keys(config, _KEYS, where))
    mr = config.get("min_raters", 1)
    if not isinstance(mr, int) or isinstance(mr, bool) or mr < 1:
        problems.append(SpecError(f"expected a whole number ≥ 1, got {mr!r}",
                                  f"{where}.min_raters"))
    sc = config.get("scale", [0, 100])
    if not (isinstance(sc, list) and len(sc) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)
            for v in sc) and sc[0] < sc[1]):
        problems.append(SpecError(f"expected [lowest, highest] finite numbers, got {sc!r}",
                                  f"{where}.scale"))
    if not isinstance(config.get("table", "leaders"), str):
        problems.append(SpecError("expected a data key (text)", f"{where}.table"))
    return problems


def read_leaders(df: pd.DataFrame, config: Mapping[str, Any], units: pd.Index, key: str
                 ) -> tuple[pd.DataFrame, list[EvalkitError]]:
    """The leaders' ratings checked by the vocabulary: ``(unit_id, rater_id, score)``.

    Problems: missing columns, empty or unknown unit ids, scores that are not numbers or lie
    outside ``scale``, a leader rating a unit twice in a period. Each names its cell.
    """
    src = df.attrs.get("source", key)
    missing = [c for c in ("unit_id", "rater_id", "score") if c not in df.columns]
    if missing:
        return df, [TableError(f"missing column(s) {missing}; expected period, unit_id, "
                               "rater_id, score", src)]
    excel = excel_rows(df)
    ids = parse_ids(df["unit_id"])
    score = parse_numbers(df["score"])
    problems: list[EvalkitError] = cell_problems(ids, src, "unit_id", excel)
    problems += cell_problems(score, src, "score", excel)
    blank = ids.values.isna().to_numpy() & ~ids.bad
    if blank.any():
        problems.append(TableError(f"empty unit_id in {rows(blank, excel)}",
                                   f"{src}, column 'unit_id'"))
    problems += unknown_ids(ids.values, units, excel, src, "unit_id", "unit id(s)")
    lo, hi = (float(v) for v in config.get("scale", [0, 100]))
    out = ((score.values < lo) | (score.values > hi)).to_numpy(dtype=bool)
    if out.any():
        problems.append(TableError(f"score(s) {score.values[out].tolist()[:5]} outside the "
                                   f"scale [{lo:g}, {hi:g}] in {rows(out, excel)}",
                                   f"{src}, column 'score'"))
    rater = parse_ids(df["rater_id"])
    problems += cell_problems(rater, src, "rater_id", excel)
    keys = pd.DataFrame({"p": df.get("period", ""), "u": ids.values, "r": rater.values})
    dup = (keys.duplicated(keep=False) & rater.values.notna()).to_numpy()
    if dup.any():
        problems.append(TableError(f"a leader rates a unit twice in {rows(dup, excel)}; "
                                   "expected one score per leader, unit and period",
                                   f"{src}, column 'rater_id'"))
    return pd.DataFrame({"unit_id": ids.values, "score": score.values}), problems


def check_leaders_tables(config: dict[str, Any], tables: Mapping[str, pd.DataFrame],
                         units: pd.DataFrame, periods: list[str]) -> list[EvalkitError]:
    """Every problem of the leaders' table, over all evaluated periods at once."""
    key = config.get("table", "leaders")
    df = tables[key]
    problems = read_leaders(df, config, pd.Index(units.index.astype(str)), key)[1]
    if "period" not in df.columns and len(periods) > 1:
        problems.append(TableError(f"no period column, and the evaluation has periods "
                                   f"{periods}; add a period column (a score would count in "
                                   "every period)", df.attrs.get("source", key)))
    return problems


@register_source("leaders", validate=_validate_leaders, requires=("leaders",),
                 check_tables=check_leaders_tables)
def leaders_source(config: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                   units: pd.DataFrame, period: Any) -> SourceOutput:
    """Leaders' overall evaluation (领导综合评价): the mean of the leaders' scores.

    ``score_u = mean_r score_{r,u}`` over the leaders r who rated unit u (table columns
    ``unit_id``, ``rater_id``, ``score``; optional ``period``). Units rated by fewer than
    ``min_raters`` leaders (default 1) get NaN, and the spec's ``sources.leaders.missing``
    policy decides what that means.
    """
    key = config.get("table", "leaders")
    df, problems = read_leaders(period_rows(tables[key], period), config,
                                pd.Index(units.index.astype(str)), key)
    raise_all(problems, "problems in the leaders' table")
    g = df.groupby("unit_id")["score"].agg(["mean", "count", "std"])
    g = g.reindex(units.index)
    score = g["mean"].where(g["count"] >= int(config.get("min_raters", 1)), np.nan)
    detail = g.rename(columns={"mean": "score", "count": "n_raters", "std": "sd"})
    detail = detail.rename_axis("unit_id").reset_index()
    return SourceOutput(score.rename("leaders"), {"detail": detail})
