"""The ``survey`` source (民评): a 0–100 score per unit from satisfaction surveys.

Registered in :data:`evalkit.sources.base.SOURCES`; ``evaluate`` combines it with the other sources
by ``sources.survey.weight``. The score is the units' combined mean points (``score: points``,
default), satisfaction rate × 100 (``rate``) or the empirical-Bayes shrunk rate × 100
(``rate_shrunk``); suppressed units get NaN, so their weight moves to their other sources.
Detail tables are saved as ``survey_by_unit``, ``survey_by_group`` (rates by group with
intervals and effective weights), ``survey_by_item``, ``survey_audit`` (excluded ballots with
reasons), ``survey_boxes``, ``survey_reliability``, ``survey_ranking`` and ``survey_flags``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, TableError
from evalkit.sources.base import SourceOutput, register_source
from evalkit.sources.survey.analysis import analyse, validate_config
from evalkit.sources.survey.responses import check_survey_tables


def _validate(config: dict[str, Any], where: str) -> list[EvalkitError]:
    return validate_config(config, where)


@register_source("survey", validate=_validate, requires=("survey_responses",),
                 check_tables=check_survey_tables)
def survey_source(config: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                  units: pd.DataFrame, period: Any) -> SourceOutput:
    """Satisfaction surveys (民评): see :mod:`evalkit.sources.survey`.

    Reads the responses table (``sources.survey.responses``, default ``survey_responses``) and,
    when present, the issued-ballots table (``issued``, default ``survey_issued``).
    """
    key = str(config.get("responses", "survey_responses"))
    if key not in tables:
        raise TableError(f"no table {key!r} among the data ({sorted(tables)}); declare it under "
                         "data: or set sources.survey.responses", "sources.survey.responses")
    ikey = str(config.get("issued", "survey_issued"))
    if "issued" in config and ikey not in tables:
        raise TableError(f"no table {ikey!r} among the data ({sorted(tables)})",
                         "sources.survey.issued")
    df = tables[key]
    df = df.assign(_row=np.arange(len(df)) + 2)
    issued = tables.get(ikey)
    res = analyse(df, config, units=units, issued=issued, period=period, table=key,
                  issued_table=ikey)
    score = res.score.reindex(units.index.astype(str))
    score.index = units.index
    return SourceOutput(score.rename("survey"), res.tables())
