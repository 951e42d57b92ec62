"""Demo peer ratings: townships rate departments, departments rate townships.

Each unit casts one ballot per period (``rater_id`` ``<unit>-P``) grading every unit of the
other side 优秀 / 良好 / 一般 / 较差, or 不了解 (≈8 % of cells, "don't know the unit").
A grade follows the ratee's latent quality plus the rater's leniency and noise. Two
departures from honesty are planted so the diagnostics have something to find: a small
colluding bloc (2 townships and 2 departments grading each other 优秀) and one department
grading everyone 优秀 (voided by the ``same_score`` rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.demo.registry import register_demo_tables

GRADES = {"优秀": 95, "良好": 85, "一般": 75, "较差": 60}
DEMO_SPEC = {
    "sources": {"peer": {"weight": 0.15, "table": "peer", "scheme": "trimmed_mean",
                         "params": {"k": 1}, "grades": GRADES, "missing_labels": ["不了解"],
                         "self_rating": "exclude",
                         "validity": {"same_score": True, "min_items": 3},
                         "min_raters": 3}},
    "data": {"peer": {"file": "peer_ratings.csv"}},
}


def demo_ratings(units: pd.DataFrame, periods: list[int], quality: pd.DataFrame,
                 rng: np.random.Generator, max_ratees: int = 80) -> pd.DataFrame:
    """The long rating table of the demo (see the module docstring).

    Each rater rates every unit on the other side, or ``max_ratees`` of them drawn at random
    when the other side is larger (a large city samples its questionnaires: 2,000 units would
    otherwise give 2.6 million ratings a period).

    Examples
    --------
    >>> units = pd.DataFrame({"category": ["township"] * 3 + ["gov_dept"] * 3},
    ...                      index=pd.Index(["T1", "T2", "T3", "G1", "G2", "G3"], name="unit_id"))
    >>> q = pd.DataFrame({2025: np.zeros(6)}, index=units.index)
    >>> df = demo_ratings(units, [2025], q, np.random.default_rng(0))
    >>> len(df), bool((df["rater_unit"] != df["ratee_id"]).all())
    (18, True)
    """
    ids = units.index.astype(str).to_numpy()
    town = (units["category"].astype(str) == "township").to_numpy()
    group = np.where(town, "township", "dept")
    n = len(ids)
    labels = np.array([*GRADES, "不了解"], dtype=object)
    bloc = np.concatenate([np.flatnonzero(town)[:2], np.flatnonzero(~town)[:2]])
    constant = np.flatnonzero(~town)[-1] if (~town).sum() > 2 else -1
    frames = []
    for period in periods:  # a handful of periods, not units
        q = quality[period].reindex(units.index).to_numpy(dtype=float)
        lenient = rng.normal(0.3, 0.4, (n, 1))
        z = q[None, :] + lenient + rng.normal(0, 0.7, (n, n))
        g = np.select([z > 1.0, z > -0.2, z > -1.2], [0, 1, 2], 3)
        g[rng.random((n, n)) < 0.08] = 4
        inb = np.isin(np.arange(n), bloc)
        g[np.ix_(inb, inb)] = 0
        if constant >= 0:
            g[constant, :] = 0
        rated = group[:, None] != group[None, :]  # the other side only (self excluded)
        if (rated.sum(axis=1) > max_ratees).any():
            keys = np.where(rated, rng.random((n, n)), np.inf)
            cut = np.partition(keys, max_ratees - 1, axis=1)[:, max_ratees - 1]
            rated &= keys <= cut[:, None]
        r, c = np.nonzero(rated)
        frames.append(pd.DataFrame({"period": period, "round": 1,
                                    "rater_id": [f"{u}-P" for u in ids[r]],
                                    "rater_unit": ids[r], "rater_group": group[r],
                                    "ratee_id": ids[c], "grade": labels[g[r, c]]}))
    return pd.concat(frames, ignore_index=True)


@register_demo_tables("peer", spec=DEMO_SPEC)
def _demo(units: pd.DataFrame, periods: list[int], quality: pd.DataFrame,
          rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    return {"peer_ratings.csv": demo_ratings(units, periods, quality, rng)}
