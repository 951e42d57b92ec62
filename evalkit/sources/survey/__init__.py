"""Satisfaction surveys (民评): from ballots to a defensible score.

One pipeline, one module per step (:func:`analyse` runs them in this order):

1. :mod:`~evalkit.sources.survey.codebook` — the spec's scales
   (:mod:`~evalkit.sources.survey.scales`), questionnaires and respondent groups;
2. :func:`~evalkit.sources.survey.responses.encode` — tidy responses checked against the
   codebook and encoded as integer arrays;
3. :func:`~evalkit.sources.survey.ballots.apply_rules` — valid ballots, and an audit of the
   excluded ones with reason codes;
4. :func:`~evalkit.sources.survey.aggregate.aggregate` — rates and mean points per unit ×
   group × item, per unit × group and per unit (the estimator of
   :mod:`~evalkit.sources.survey.cells`, the intervals of
   :mod:`~evalkit.sources.survey.intervals`);
5. :mod:`~evalkit.sources.survey.ranking` (shrinkage, rank intervals, pairwise tests, funnel)
   and :mod:`~evalkit.sources.survey.quality` (α, careless flags, ACSI rescaling).

The ``survey`` source (:mod:`~evalkit.sources.survey.source`) feeds :func:`analyse` into
``evaluate``; :mod:`~evalkit.sources.survey.plots` draws the funnel plot, the group breakdown
and the unit report's survey section (:func:`report_section`). The spec section's keys are
checked by :func:`validate_config` (:mod:`~evalkit.spec.sections`).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"respondent_id": ["r1", "r2", "r3"], "questionnaire": "q",
...                    "group": "public", "unit_id": "U1", "item": "overall",
...                    "answer": ["满意", "基本满意", "不了解"]})
>>> res = analyse(df, {"min_n": 1})
>>> res.by_unit[["unit_id", "n", "rate", "mean_points"]].to_dict("records")
[{'unit_id': 'U1', 'n': 2, 'rate': 1.0, 'mean_points': 80.0}]
"""

from evalkit.sources.survey import source as _source  # noqa: F401  (registers the source)
from evalkit.sources.survey.aggregate import aggregate
from evalkit.sources.survey.analysis import SurveyResult, analyse, audit_summary, validate_config
from evalkit.sources.survey.ballots import DEFAULT_RULES, REASONS, apply_rules
from evalkit.sources.survey.cells import cell_stats
from evalkit.sources.survey.codebook import Codebook
from evalkit.sources.survey.intervals import MEAN_INTERVALS, RATE_INTERVALS
from evalkit.sources.survey.plots import (
    funnel_plot,
    group_breakdown_plot,
    reliability_plot,
    report_section,
    survey_tables,
)
from evalkit.sources.survey.quality import acsi_index, acsi_rescale, cronbach_alpha, reliability
from evalkit.sources.survey.ranking import eb_beta_binomial, funnel_limits, pairwise, rank_table
from evalkit.sources.survey.responses import encode
from evalkit.sources.survey.scales import builtin_scales

__all__ = [
    "DEFAULT_RULES",
    "MEAN_INTERVALS",
    "RATE_INTERVALS",
    "REASONS",
    "Codebook",
    "SurveyResult",
    "acsi_index",
    "acsi_rescale",
    "aggregate",
    "analyse",
    "apply_rules",
    "audit_summary",
    "builtin_scales",
    "cell_stats",
    "cronbach_alpha",
    "eb_beta_binomial",
    "encode",
    "funnel_limits",
    "funnel_plot",
    "group_breakdown_plot",
    "pairwise",
    "rank_table",
    "reliability",
    "reliability_plot",
    "report_section",
    "survey_tables",
    "validate_config",
]
