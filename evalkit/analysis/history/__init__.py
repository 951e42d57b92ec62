"""Evaluation history: several periods side by side, trends, rank changes, consecutive rules.

Offices act on streaks: "连续两年排名最后一位的, 单位'一把手'进行组织调整; 连续三年排在后三位的,
单位党政主要负责人引咎辭职", "连续3年考核排位前10位的单位领导给予提拔重用" (seed 004). This
module keeps the ``totals`` of several periods in one :class:`ResultsStore`, derives per unit
and period the positions those rules speak of, and evaluates rules declared in the spec::

    history:
      rules:
        - id: last_twice              # a name (identifier), unique
          when: "rank_from_bottom <= 1"
          periods: 2                  # consecutive periods in which `when` holds
          flag: last_two_periods      # text added to totals.flags (default: the id)
          label: 连续两年排名最后一位   # shown in reports (default: the flag)
          category_change: keep       # keep (default) or break the streak on a category change
        - {id: bottom_three_thrice, when: "rank_from_bottom <= 3", periods: 3}
        - {id: top_grade_three_years, when: "grade == 'excellent'", periods: 3}

``when`` is a small boolean expression over columns of :func:`trends` (any ``totals``
column, e.g. ``total``, ``rank``, ``grade``, ``category``, ``veto``, ``office``, plus
``rank_from_bottom``, ``rank_pct``, ``rank_change``, ``total_change``, ``category_changed``,
``first_period``): comparisons (``<, <=, ==, !=, >=, >``, chained), ``in``/``not in`` a list,
``and``, ``or``, ``not`` and literals. Nothing else is evaluated (it is parsed with
:mod:`ast`, never ``eval``-ed).

Conventions
-----------
- ``rank`` is 1 for the best unit of its category in a period. Ties share the better place
  counted from either end: ``rank_from_bottom = 1 + #{units of the category ranked below}``,
  so two units tied for last both have ``rank_from_bottom = 1``.
- Periods run in sorted order. When every period is a whole number (years) a missing year
  breaks a streak; otherwise periods are consecutive in the order the store holds them. A
  unit absent from a period (it appeared mid-way, or left) has no streak across that period.
- ``category_change: keep`` carries a streak across a change of category (the rule is about
  the unit's rank in whatever category it was ranked in); ``break`` restarts it.
- A rule fires in every period that completes a streak of at least ``periods`` periods.

Modules, each importing only those before it: :mod:`~evalkit.analysis.history.expr` (the
condition language), :mod:`~evalkit.analysis.history.rules` (the ``history`` section),
:mod:`~evalkit.analysis.history.timeline` (positions and changes per unit),
:mod:`~evalkit.analysis.history.flags` (streaks, events, flags and the report's views),
:mod:`~evalkit.analysis.history.store` (:class:`ResultsStore`) and
:mod:`~evalkit.analysis.history.section` (the unit report's section). The demo spec's rules are
in :mod:`evalkit.demo.history`.

Examples
--------
>>> import pandas as pd
>>> tot = pd.DataFrame({"period": [2023, 2023, 2024, 2024], "unit_id": ["A", "B"] * 2,
...                     "category": "township", "total": [90, 80, 85, 70], "rank": [1, 2] * 2})
>>> history_flags(tot, {"rules": [{"id": "last_twice", "when": "rank_from_bottom <= 1",
...                                "periods": 2}]}).to_numpy().tolist()
[[2024, 'B', 'last_twice']]
"""


from evalkit.analysis.history.expr import check_condition, eval_condition
from evalkit.analysis.history.flags import (
    flagged_units,
    history_events,
    history_flags,
    merge_flags,
    rule_streaks,
    unit_trend,
)
from evalkit.analysis.history.rules import (
    CATEGORY_CHANGE,
    RULE_KEYS,
    HistoryRule,
    parse_rules,
    rule_label,
    validate_history,
)
from evalkit.analysis.history.section import HistorySection, plot_unit_trend, report_section
from evalkit.analysis.history.store import ResultsStore
from evalkit.analysis.history.timeline import period_positions, trends

__all__ = [
    "CATEGORY_CHANGE", "RULE_KEYS", "HistoryRule", "HistorySection", "ResultsStore",
    "check_condition", "eval_condition", "flagged_units", "history_events", "history_flags",
    "merge_flags", "parse_rules", "period_positions", "plot_unit_trend", "report_section",
    "rule_label", "rule_streaks", "trends", "unit_trend", "validate_history",
]
