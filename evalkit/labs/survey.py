"""The survey lab: the survey of a whole evaluation spec, analysed for the notebook.

Helpers for ``notebooks/survey_lab.ipynb`` that need a layer above the ``survey`` source (the
spec's checks in :mod:`evalkit.validate`); every table and chart the notebook shows comes from
:mod:`evalkit.sources.survey`. Without a spec, the notebook analyses demo-like responses
(:func:`evalkit.demo.survey.simulated_result`).
"""

from __future__ import annotations

from typing import Any

from evalkit.core.errors import SpecError
from evalkit.inputs.tables import load_tables
from evalkit.sources.survey import SurveyResult, analyse
from evalkit.validate import load_spec


def from_spec(spec_path: str, period: Any = None) -> SurveyResult:
    """:func:`~evalkit.sources.survey.analyse` the survey of an evaluation spec.

    Reads the spec's ``sources.survey`` section and its tables (responses, issued ballots,
    units) for ``period`` (default: the spec's last period, else the last in the responses).

    Raises
    ------
    SpecError
        The spec has no survey source, or no responses table under ``data:``.
    """
    spec = load_spec(spec_path)
    if "survey" not in spec.sources:
        raise SpecError("the spec has no survey source; add sources.survey", "sources")
    cfg = spec.source_config("survey")
    tables = load_tables(spec)
    key = str(cfg.get("responses", "survey_responses"))
    if key not in tables:
        raise SpecError(f"no table {key!r} under data:", "sources.survey.responses")
    responses = tables[key]
    if period is None:
        periods = spec.evaluation.periods or (
            sorted(responses["period"].astype(str).unique()) if "period" in responses else [])
        period = periods[-1] if periods else None
    return analyse(responses, cfg, units=tables["units"],
                   issued=tables.get(str(cfg.get("issued", "survey_issued"))), period=period,
                   table=key)
