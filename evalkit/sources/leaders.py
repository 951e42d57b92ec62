"""The leaders' overall evaluation (领导综合评价) as the ``leaders`` source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, TableError, unknown_keys
from evalkit.sources.base import SourceOutput, period_rows, register_source


def _validate_leaders(config: dict[str, Any], where: str) -> list[EvalkitError]:
    return list(unknown_keys(config, ["table", "min_raters"], where))


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
