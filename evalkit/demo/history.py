"""Demo rules of the history analysis: the consecutive-period rules of seed 004.

History reads the Results of several periods, so the demo city gets no table from it; this
module only adds :data:`DEMO_RULES` to the demo spec (section ``history``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.demo.registry import register_demo_tables

#: The consecutive-period rules of seed 004, as the demo spec declares them ("连续两年排名最后
#: 一位的…", "连续三年排在后三位的…", "连续3年考核排位前10位的…").
DEMO_RULES: dict[str, Any] = {"rules": [
    {"id": "last_twice", "when": "rank_from_bottom <= 1", "periods": 2,
     "flag": "last_two_periods", "label": "连续两年排名最后一位"},
    {"id": "bottom_three_thrice", "when": "rank_from_bottom <= 3", "periods": 3,
     "flag": "bottom_three_three_periods", "label": "连续三年排在后三位"},
    {"id": "top_ten_thrice", "when": "rank <= 10", "periods": 3,
     "flag": "top_ten_three_periods", "label": "连续3年考核排位前10位"},
]}


@register_demo_tables("history", spec={"history": DEMO_RULES})
def demo_tables(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
                rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """No tables: history reads the Results; the hook only adds the rules to the demo spec."""
    return {}
