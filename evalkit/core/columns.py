"""Table columns built by position: a column of few distinct texts (ids, periods, statuses)
taken from them rather than inferred row by row, which is what building a large table of
repeated labels costs in pandas.

Examples
--------
>>> list(taken_text(["a", "b"], np.array([1, 0, 1])))
['b', 'a', 'b']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def taken_text(values: Sequence[str], at: np.ndarray | Sequence[int]
               ) -> pd.api.extensions.ExtensionArray:
    """``values[at]`` as a text column (pandas' ``str`` dtype, as inferred from Python
    strings), taken by position from the distinct ``values``."""
    return pd.array(list(values), dtype="str").take(np.asarray(at, dtype=np.intp))


def repeated_text(value: str, n: int) -> pd.api.extensions.ExtensionArray:
    """``value`` ``n`` times as a text column (a period beside every row)."""
    return taken_text([value], np.zeros(n, dtype=np.intp))
