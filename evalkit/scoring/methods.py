"""Indicator scoring (normalisation) to a common scale, as a registry of methods.

Every method has one signature::

    method(x, *, direction, target, **params) -> scores

where ``x`` holds the raw values of the units in scope (the unit's category by default:
分类考核), NaN for missing values, which stay NaN. ``direction`` is ``benefit`` (more is
better), ``cost`` (less is better) or ``target`` (closer to ``target`` is better).

Direction convention (COINr's, Becker et al. 2022): for the distribution-based methods
(``minmax``, ``zscore``, ``rank``, ``percentile``) a cost indicator is scored on ``-x`` and a
target indicator on ``-|x - target|``, so a higher score is always better. The
target-based methods (``goalposts``, ``target_ratio``, ``target_distance``, ``bands``) state
their own treatment of each direction.

Examples
--------
>>> import numpy as np
>>> SCORING["minmax"](np.array([1.0, 2.0, 3.0]), direction="cost", target=None)
array([100.,  50.,   0.])
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
from scipy import stats

from evalkit.core.errors import EvalkitError, SpecError
from evalkit.core.registry import Registry
from evalkit.spec.schema import Indicator

SCORING = Registry("scoring")
#: How tied units share ranks in ``rank`` scoring (scipy.stats.rankdata methods).
RANK_TIES = ("average", "min", "max", "dense")


def oriented(x: np.ndarray, direction: str, target: float | None) -> np.ndarray:
    """``x`` turned so that more is better: ``x``, ``-x`` or ``-|x - target|``."""
    if direction == "cost":
        return -x
    if direction == "target":
        if target is None:
            raise EvalkitError("direction 'target' needs a target value")
        return -np.abs(x - target)
    return x


@SCORING.register("minmax", rowwise=True)
def minmax(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
           lower: float = 0.0, upper: float = 100.0, constant: float | None = None
           ) -> np.ndarray:
    """Min-max: ``l + (y - min y) / (max y - min y) · (u - l)`` with ``y`` oriented.

    Parameters: ``lower`` ``l`` (0), ``upper`` ``u`` (100). A constant column (no spread)
    scores ``constant`` (default ``upper``: nobody is behind). ``x`` may also be 2-D: each
    row is scored on its own (how :func:`score_matrix` scores many indicators at once).
    Reference: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §5.2; COINr
    ``n_minmax``.
    """
    y = oriented(x, direction, target)
    some = np.isfinite(y).any(axis=-1, keepdims=True)
    lo = np.where(some, np.fmin.reduce(y, axis=-1, keepdims=True), np.nan)   # NaN ignored
    hi = np.where(some, np.fmax.reduce(y, axis=-1, keepdims=True), np.nan)
    flat = ~np.isfinite(lo) | (hi == lo)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = lower + (y - lo) / (hi - lo) * (upper - lower)
    return np.where(flat, np.where(np.isnan(y), np.nan, upper if constant is None else constant),
                    s)


@SCORING.register("goalposts")
def goalposts(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
              lower: float, upper: float, scale: float = 100.0, truncate: bool = True
              ) -> np.ndarray:
    """Goalposts: ``scale · (x - lower) / (upper - lower)``, fixed bounds, truncated to [0, scale].

    A cost indicator scores ``scale · (upper - x) / (upper - lower)``; a target indicator
    scores ``scale`` at the target, falling linearly to 0 at the goalpost on that side.
    Fixed goalposts make scores comparable across periods. Reference: UNDP Human Development
    Report technical notes (dimension index); OECD/JRC (2008) §5.2.
    """
    if upper <= lower:
        raise EvalkitError(f"goalposts need lower < upper (got {lower}, {upper})")
    if direction == "cost":
        s = (upper - x) / (upper - lower)
    elif direction == "target":
        t = float(target)  # type: ignore[arg-type]
        below = (x - lower) / max(t - lower, 1e-12)
        above = (upper - x) / max(upper - t, 1e-12)
        s = np.where(x <= t, below, above)
    else:
        s = (x - lower) / (upper - lower)
    s = scale * s
    return np.clip(s, 0.0, scale) if truncate else s


@SCORING.register("target_ratio", needs_target=True)
def target_ratio(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
                 cap: float = 1.0, scale: float = 100.0) -> np.ndarray:
    """Ratio to target, capped: ``scale · min(x / target, cap)`` (完成率).

    Cost: ``scale · min(target / x, cap)`` (x = 0 meets any target). Target direction:
    ``scale · max(0, 1 - |x - target| / |target|)``. ``cap`` > 1 rewards over-achievement
    (e.g. 1.2 → at most 120% of the points). Values below 0 score 0. Reference: the
    target-completion scoring of government target management (目标考核完成率).
    """
    if target is None or target == 0:
        raise EvalkitError("target_ratio needs a non-zero target")
    with np.errstate(divide="ignore", invalid="ignore"):
        if direction == "cost":
            r = np.where(x <= 0, cap, target / x)
        elif direction == "target":
            r = 1.0 - np.abs(x - target) / abs(target)
        else:
            r = x / target
    r = np.where(np.isnan(x), np.nan, np.clip(r, 0.0, cap))
    return scale * r


@SCORING.register("target_distance", needs_target=True)
def target_distance(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
                    scale: float = 100.0, cap: bool = True) -> np.ndarray:
    """Distance to target: ``scale · (x - min x) / (target - min x)``.

    Cost: ``scale · (max x - x) / (max x - target)``. The worst unit in scope scores 0.
    ``cap: true`` (the default here) gives a unit at or beyond the target ``scale``;
    ``cap: false`` lets it score above ``scale`` in proportion, as COINr's ``n_dist2targ``
    does by default (``cap_max = FALSE``). Target direction: ``scale · (1 - |x - target| /
    max |x - target|)``, never above ``scale``. Reference: COINr ``n_dist2targ``; OECD/JRC
    (2008) §5.2 (distance to a reference).
    """
    if target is None:
        raise EvalkitError("target_distance needs a target")
    if direction == "cost":
        ref = np.nanmax(x)
        s = (ref - x) / (ref - target) if ref != target else np.ones_like(x)
    elif direction == "target":
        d = np.abs(x - target)
        worst = np.nanmax(d)
        s = 1.0 - d / worst if worst > 0 else np.ones_like(x)
    else:
        ref = np.nanmin(x)
        s = (x - ref) / (target - ref) if ref != target else np.ones_like(x)
    s = np.clip(s, 0.0, 1.0 if cap else None)
    return scale * np.where(np.isnan(x), np.nan, s)


@SCORING.register("zscore", rowwise=True)
def zscore(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
           center: float = 0.0, spread: float = 1.0) -> np.ndarray:
    """Standardisation: ``center + spread · (y - mean y) / sd y`` (sample sd, ddof = 1).

    Defaults (0, 1) are COINr's ``n_zscore``; ``center: 50, spread: 10`` gives T-scores. A
    constant column (or one with fewer than two values) scores ``center``. ``x`` may also
    be 2-D: each row is scored on its own. Reference: OECD/JRC (2008) §5.2.
    """
    y = oriented(x, direction, target)
    enough = np.isfinite(y).sum(axis=-1, keepdims=True) > 1
    with warnings.catch_warnings():         # rows without two values: no sd, no mean
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.where(enough, np.nanstd(y, ddof=1, axis=-1, keepdims=True), 0.0)
        mean = np.nanmean(y, axis=-1, keepdims=True)
    ok = sd > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        s = center + spread * (y - mean) / sd
    return np.where(ok, s, np.where(np.isnan(y), np.nan, center))


@SCORING.register("rank")
def rank(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
         ties: Literal["average", "min", "max", "dense"] = "average") -> np.ndarray:
    """Rank: 1 for the worst unit up to n for the best.

    ``ties`` says what tied units share (:func:`scipy.stats.rankdata`'s ``method``):
    ``average`` (the default here: the mean of the positions they occupy, so ranks sum to
    n(n+1)/2), ``min`` (the lowest of them: COINr ``n_rank``'s default ``ties.method =
    "min"``, which the ASEM preset uses), ``max``, or ``dense`` (consecutive ranks, no gaps).
    For [1, 2, 2, 3]: average 1, 2.5, 2.5, 4; min 1, 2, 2, 4; max 1, 3, 3, 4; dense 1, 2, 2, 3.
    Reference: COINr ``n_rank``; OECD/JRC (2008) §5.2 (ranking).
    """
    if ties not in RANK_TIES:
        raise EvalkitError(f"ties must be one of {list(RANK_TIES)} (got {ties!r})")
    y = oriented(x, direction, target)
    out = np.full_like(y, np.nan, dtype=float)
    ok = ~np.isnan(y)
    out[ok] = stats.rankdata(y[ok], method=ties)
    return out


@SCORING.register("percentile")
def percentile(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
               scale: float = 100.0) -> np.ndarray:
    """Percentile rank: ``scale · (r - 1) / (n - 1)`` with ``r`` the minimum rank of ties.

    The worst unit scores 0 and the best ``scale`` (dplyr's ``percent_rank``, used by COINr
    ``n_prank``). A single unit scores ``scale``.
    """
    y = oriented(x, direction, target)
    out = np.full_like(y, np.nan, dtype=float)
    ok = ~np.isnan(y)
    n = int(ok.sum())
    if n == 1:
        out[ok] = scale
    elif n > 1:
        out[ok] = scale * (stats.rankdata(y[ok], method="min") - 1) / (n - 1)
    return out


@SCORING.register("bands")
def bands(x: np.ndarray, *, direction: str = "benefit", target: float | None = None,
          thresholds: list[float], scores: list[float]) -> np.ndarray:
    """Threshold bands (分档计分): ``scores[k]`` where ``k`` thresholds are reached.

    ``thresholds`` ascending ``t_1 < … < t_K``, ``scores`` of length ``K + 1``. Benefit: a
    value ``x ≥ t_k`` reaches band ``k``. Cost: a value ``x ≤ t_k`` reaches band ``K + 1 - k``
    counted from the top, i.e. ``scores`` are read for values falling below the thresholds.
    Target: bands on ``|x - target|`` read as cost. Example: thresholds [60, 80, 90], scores
    [0, 60, 80, 100] gives 80 for a value of 85.
    """
    t = np.asarray(thresholds, dtype=float)
    sc = np.asarray(scores, dtype=float)
    if len(sc) != len(t) + 1 or np.any(np.diff(t) <= 0):
        raise EvalkitError("bands need ascending thresholds and one more score than "
                           f"thresholds (got {len(t)} thresholds, {len(sc)} scores)")
    if direction == "benefit":
        k = np.searchsorted(t, x, side="right")
    else:
        y = x if direction == "cost" else np.abs(x - float(target))  # type: ignore[arg-type]
        k = len(t) - np.searchsorted(t, y, side="left")
    out = sc[np.clip(k, 0, len(t))]
    return np.where(np.isnan(x), np.nan, out)


_FIXED = {"x", "direction", "target"}


def check_params(method: str, params: dict[str, Any], ind: Indicator, where: str
                 ) -> list[EvalkitError]:
    """Problems with a scoring section: unknown or missing parameters, a target needed."""
    out: list[EvalkitError] = list(SCORING.check_params(method, params, where, _FIXED))
    if SCORING.trait(method, "needs_target") and ind.target is None:
        out.append(SpecError(f"scoring method {method!r} needs the indicator's target",
                             where.rsplit(".", 1)[0] + ".target"))
    return out


def score_matrix(raw: np.ndarray, groups: np.ndarray, specs: list[tuple[str, str,
                 float | None, str, dict[str, Any]]]) -> np.ndarray:
    """Score every column of ``raw`` (units × indicators) by its own method.

    ``specs[j] = (method, direction, target, scope, params)``; ``scope == "category"``
    scores within each value of ``groups`` (the units' categories), ``"all"`` across all
    units. Methods registered ``rowwise`` (they score each row of a 2-D array on its own)
    score all the columns that share method, scope and parameters in one call on the
    oriented values (:func:`oriented`), per category; the others loop over indicators and
    categories, each call vectorised over units. A column with no value in a scope stays
    NaN there.
    """
    out = np.full(raw.shape, np.nan)
    cats = np.unique(groups)
    every = [np.ones(len(groups), dtype=bool)]
    batches: dict[tuple[str, str, str], list[int]] = {}
    for j, (method, direction, target, scope, params) in enumerate(specs):
        if SCORING.trait(method, "rowwise"):
            batches.setdefault((method, scope, repr(sorted(params.items()))), []).append(j)
            continue
        func = SCORING.get(method)
        col = raw[:, j]
        for m in every if scope == "all" else [groups == c for c in cats]:
            x = col[m]
            if np.isnan(x).all():
                continue
            with np.errstate(invalid="ignore", divide="ignore"):
                out[m, j] = func(x, direction=direction, target=target, **params)
    for (method, scope, _), cols in batches.items():
        func, params = SCORING.get(method), specs[cols[0]][4]
        with np.errstate(invalid="ignore"):
            Y = np.stack([oriented(raw[:, j], specs[j][1], specs[j][2]) for j in cols])
        for m in every if scope == "all" else [groups == c for c in cats]:
            out[np.ix_(m, cols)] = func(np.ascontiguousarray(Y[:, m]), **params).T
    return out
