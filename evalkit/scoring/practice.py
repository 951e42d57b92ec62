"""Scoring rules of Chinese assessment practice (考核计分办法), registered in ``SCORING``.

Offices' written rules score an indicator against the best unit of the category, by rank
position, or against a goal and a red-flag value. Each method follows the signature of
:mod:`evalkit.scoring.methods`: ``method(x, *, direction, target, **params) -> scores``
with ``x`` the raw values of the units in scope (the category by default), NaN kept NaN.

Range scoring (极差法, ``base + (x - min) / (max - min) · (full - base)``) is ``minmax`` with
``lower: base`` and ``upper: full``; completion against target (完成率) is ``target_ratio``;
its traffic lights (红黄绿灯) and warning / advanced values (预警值 / 先进值) are
:mod:`evalkit.scoring.status`.

Examples
--------
>>> import numpy as np
>>> SCORING["best_ratio"](np.array([50.0, 80.0, 100.0]), direction="benefit", target=None)
array([ 50.,  80., 100.])
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from evalkit.core.errors import EvalkitError
from evalkit.scoring.methods import SCORING, oriented


@SCORING.register("best_ratio")
def best_ratio(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
               scale: float = 100.0) -> np.ndarray:
    """Ratio to the best unit (比例计分: 第一名得满分，其余按比例得分).

    Benefit: ``scale · x / max x``. Cost: ``scale · min x / x`` (the lowest value is best).
    Defined for values ≥ 0 (a negative value, or a cost value of 0 beside positive ones, has
    no ratio: an error). Target direction is not defined for ratios (use ``target_ratio``).

    Examples
    --------
    >>> best_ratio(np.array([2.0, 4.0, np.nan]), direction="cost")
    array([100.,  50.,  nan])
    """
    if direction == "target":
        raise EvalkitError("best_ratio has no target direction; use target_ratio")
    ok = ~np.isnan(x)
    if np.any(x[ok] < 0):
        raise EvalkitError("best_ratio needs values ≥ 0 (a ratio to the best is undefined for "
                           "negative values; use minmax)")
    if not ok.any():
        return np.full_like(x, np.nan, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if direction == "cost":
            lo = np.nanmin(x)
            if lo == 0 and np.any(x[ok] > 0):
                raise EvalkitError("best_ratio (cost) is undefined when the best value is 0; "
                                   "use minmax")
            r = np.where(x > 0, lo / x, 1.0)
        else:
            hi = np.nanmax(x)
            r = x / hi if hi > 0 else np.ones_like(x)
    return np.where(ok, scale * r, np.nan)


@SCORING.register("rank_points")
def rank_points(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
                top: float = 100.0, step: float = 0.0, floor: float = 0.0,
                table: list[float] | None = None) -> np.ndarray:
    """Points by rank position (名次计分): first place ``top``, each place below ``step`` less.

    ``points(r) = max(top − (r − 1) · step, floor)`` for rank ``r`` (1 = best, ties share the
    best of their places, as a league table does), or ``table[r − 1]`` when a table of
    points by rank is given (e.g. ``[60, 57, 54, 51, 48]``; ranks beyond it get ``floor``).
    Direction as in :func:`evalkit.scoring.methods.oriented` (a cost is ranked on −x).

    Examples
    --------
    >>> rank_points(np.array([9.0, 7.0, 7.0, 1.0]), top=6, step=0.5)
    array([6. , 5.5, 5.5, 4.5])
    >>> rank_points(np.array([9.0, 7.0, 1.0]), table=[60, 57], floor=40)
    array([60., 57., 40.])
    """
    y = oriented(x, direction, target)
    ok = ~np.isnan(y)
    r = np.full(len(y), np.nan)
    r[ok] = stats.rankdata(-y[ok], method="min")
    if table is not None:
        t = np.asarray(table, dtype=float)
        idx = np.nan_to_num(r, nan=1).astype(int) - 1
        pts = np.where(idx < len(t), t[np.minimum(idx, len(t) - 1)], floor)
    else:
        pts = np.maximum(top - (r - 1) * step, floor)
    return np.where(ok, pts, np.nan)


@SCORING.register("goal_redflag", needs_target=True)
def goal_redflag(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
                 red_flag: float, scale: float = 100.0) -> np.ndarray:
    """Linear between a goal (``target``) and a red-flag value, as scorecard software does.

    With ``d = |goal − red_flag|``, a benefit indicator scores ``scale`` at ``goal + d`` and 0
    at ``red_flag − d``, linearly between and truncated: ``scale · (x − (red − d)) / (3d)``;
    so the goal itself scores two thirds and the red flag one third of ``scale``. A cost
    indicator mirrors it (its red flag lies above its goal). Target direction is not defined.

    Examples
    --------
    >>> goal_redflag(np.array([70.0, 80.0, 90.0, 100.0]), target=90.0, red_flag=80.0).round(2)
    array([  0.  ,  33.33,  66.67, 100.  ])
    """
    if target is None:
        raise EvalkitError("goal_redflag needs the indicator's target (the goal)")
    d = abs(target - red_flag)
    if d == 0:
        raise EvalkitError("goal_redflag needs a red flag different from the goal")
    if direction == "target":
        raise EvalkitError("goal_redflag has no target direction; use benefit or cost")
    y = x if direction == "benefit" else -x
    lo = (red_flag - d) if direction == "benefit" else -(red_flag + d)
    s = np.clip((y - lo) / (3 * d), 0.0, 1.0)
    return np.where(np.isnan(x), np.nan, scale * s)
