"""Survey quality: reliability (Cronbach's α with Feldt's interval), careless-response flags,
and ACSI-style 0–100 rescaling of multi-item indices.

Cronbach's α (Cronbach 1951) over k items and n complete cases::

    α = k / (k − 1) · (1 − Σ var(item) / var(total))

Feldt's interval (Feldt 1965; Feldt, Woodruff & Salih 1987), with df1 = n − 1 and
df2 = (n − 1)(k − 1)::

    [1 − (1 − α) · F⁻¹(1 − a/2; df1, df2),  1 − (1 − α) · F⁻¹(a/2; df1, df2)]

For a survey, a *case* is one respondent's ratings of one unit on one questionnaire; its items
are the questionnaire's items, scored in points; cases with a blank or don't-know item are
dropped (listwise deletion).

Careless responding (Meade & Craig 2012; Curran 2016) is flagged per ballot by
:func:`evalkit.sources.survey.ballots.ballot_features`: ``flag_straight_lining`` (the same answer on
every item, at least ``identical_min_items``), ``flag_duplicate_respondent`` (a second ballot
of one respondent), ``flag_duplicate_content`` (the same varied answers as another ballot),
``flag_too_fast`` (fewer than ``min_seconds_per_item`` seconds per item).

ACSI-style rescaling (Fornell et al. 1996): a mean x̄ on a scale lo..hi becomes
(x̄ − lo) / (hi − lo) × 100, and a multi-item index is the weighted mean of its rescaled items.

Examples
--------
>>> import numpy as np
>>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]], float)
>>> round(float(cronbach_alpha(x)["alpha"]), 4)
0.9333
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core.errors import MethodError
from evalkit.sources.survey.responses import SUBSTANTIVE, Encoded

FLAG_COLUMNS = ("flag_straight_lining", "flag_duplicate_respondent", "flag_duplicate_content",
                "flag_too_fast")


def cronbach_alpha(data: np.ndarray | pd.DataFrame, level: float = 0.95) -> dict[str, float]:
    """Cronbach's α of a cases × items matrix with Feldt's interval (listwise deletion).

    Returns a dict with ``alpha``, ``alpha_lo``, ``alpha_hi``, ``n`` (complete cases) and
    ``k`` (items); α is NaN with fewer than 2 items or 2 complete cases, or zero total variance.
    """
    x = np.asarray(data, dtype=float)
    if x.ndim != 2:
        raise MethodError(f"expected a cases × items matrix, got {x.ndim} dimension(s)")
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    out = {"alpha": np.nan, "alpha_lo": np.nan, "alpha_hi": np.nan, "n": n, "k": k}
    if k < 2 or n < 2:
        return out
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        return out
    a = k / (k - 1) * (1 - item_var / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    out.update(alpha=a, alpha_lo=1 - (1 - a) * stats.f.isf(tail, df1, df2),
               alpha_hi=1 - (1 - a) * stats.f.isf(1 - tail, df1, df2))
    return out


def reliability(enc: Encoded, keep: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Cronbach's α per questionnaire over the kept ballots (cases = respondent × unit)."""
    rows = []
    use = keep[enc.ballot] & (enc.unit >= 0)
    nu = max(len(enc.units), 1)
    qi_quest = enc.questionnaires.get_indexer(enc.qitems["questionnaire"])
    for q_code, q in enumerate(enc.questionnaires):
        items = np.flatnonzero(qi_quest == q_code)
        m = use & (enc.questionnaire == q_code)
        case, _ = pd.factorize(enc.ballot[m].astype(np.int64) * nu + enc.unit[m])
        col = np.searchsorted(items, enc.qitem[m])
        mat = np.full((case.max() + 1 if len(case) else 0, len(items)), np.nan)
        vals = np.where(enc.kind[m] == SUBSTANTIVE, enc.points[m], np.nan)
        mat[case, col] = vals
        res = cronbach_alpha(mat, level)
        rows.append({"questionnaire": q, "k_items": res["k"], "n_cases": res["n"],
                     "alpha": res["alpha"], "alpha_lo": res["alpha_lo"],
                     "alpha_hi": res["alpha_hi"]})
    return pd.DataFrame(rows, columns=["questionnaire", "k_items", "n_cases", "alpha",
                                       "alpha_lo", "alpha_hi"])


def careless_flags(ballots: pd.DataFrame) -> pd.DataFrame:
    """The ballots with at least one careless-response flag (see the module docstring)."""
    flags = [c for c in FLAG_COLUMNS if c in ballots.columns]
    hit = ballots[flags].any(axis=1)
    keep_cols = [c for c in ("ballot_id", "respondent_id", "questionnaire", "group", "row",
                             "n_answers", "seconds_per_item", *flags, "status", "reason")
                 if c in ballots.columns]
    return ballots.loc[hit, keep_cols].reset_index(drop=True)


def acsi_rescale(x: Any, lo: float, hi: float) -> Any:
    """(x − lo) / (hi − lo) × 100: a mean on the scale lo..hi as 0–100.

    >>> round(acsi_rescale(7.0, 1, 10), 2)
    66.67
    """
    if not hi > lo:
        raise MethodError(f"expected hi > lo, got lo={lo}, hi={hi}")
    return (np.asarray(x, dtype=float) - lo) / (hi - lo) * 100.0 if np.ndim(x) else \
        (float(x) - lo) / (hi - lo) * 100.0


def acsi_index(by_item: pd.DataFrame, weights: Mapping[str, float] | None = None,
               value: str = "mean_points", by: tuple[str, ...] = ("unit_id",)) -> pd.Series:
    """A multi-item 0–100 index per unit: the weighted mean of its items' 0–100 means.

    ``by_item`` is the unit × group × item table (``mean_points`` are already rescaled to
    0–100); cells are first pooled over groups by their ``n_eff``. ``weights`` maps item ids to
    weights (default equal); items a unit lacks are left out and the weights renormalised.
    """
    df = by_item.dropna(subset=[value])
    if df.empty:
        return pd.Series(dtype=float, name="acsi")
    keys = [*by, "item"]
    pooled = (df.assign(_wx=df[value] * df["n_eff"]).groupby(keys, sort=False)[["_wx", "n_eff"]]
              .sum())
    item_mean = pooled["_wx"] / pooled["n_eff"]
    items = item_mean.index.get_level_values("item")
    w = pd.Series(1.0, index=item_mean.index) if weights is None else \
        pd.Series(items.map(lambda i: float(weights.get(i, 0.0))), index=item_mean.index)
    num = (item_mean * w).groupby(level=list(by)).sum()
    den = w.groupby(level=list(by)).sum()
    return (num / den.where(den > 0)).rename("acsi")
