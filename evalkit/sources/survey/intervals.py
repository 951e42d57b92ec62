"""Interval methods for satisfaction rates and mean points, as registries.

Rates (``RATE_INTERVALS``): ``f(count, nobs, level) -> (low, high)``, vectorised over arrays;
``count`` and ``nobs`` may be fractional (an effective n). All four wrap statsmodels'
``proportion_confint``:

- ``wilson`` (default) — Wilson score interval (Wilson 1927); good coverage at small n and
  near 0 or 1, never outside [0, 1].
- ``jeffreys`` — equal-tailed Bayesian interval with the Jeffreys Beta(½, ½) prior, with
  Brown, Cai & DasGupta's (2001, §4.1.2) modification at the ends: lower = 0 when x = 0 and
  upper = 1 when x = n (unmodified, 0 of n would lie outside its own interval).
- ``agresti_coull`` — the "add z²/2 successes and z²/2 failures" interval (Agresti & Coull
  1998): p̃ ± z·√(p̃(1−p̃)/ñ) with ñ = n + z², p̃ = (x + z²/2)/ñ. It can pass 0 or 1 (always
  at x = 0 and x = n); like statsmodels, evalkit clips it to [0, 1], and the aggregates flag
  every clipped interval ``degenerate``.
- ``beta`` (alias ``clopper_pearson``) — the exact Clopper–Pearson interval (1934),
  conservative.

Every rate interval is clipped to [0, 1]; for Wilson, Jeffreys and Clopper–Pearson this only
removes floating-point noise (they lie in [0, 1] mathematically), for Agresti–Coull it is a
real clipping (:func:`rate_clipped` says where).

The Wald interval (p ± z·√(p(1−p)/n)) is deliberately not offered: at p = 1 it has zero width
whatever n, which is exactly how 8 of 8 satisfied would look more certain than 95 of 100.

Means (``MEAN_INTERVALS``): ``f(stats, level, **options) -> (low, high)`` where ``stats`` is a
:class:`evalkit.sources.survey.cells.CellStats`, *unclipped*:

- ``t`` (default) — mean ± t(df)·se with the ratio-linearised (respondent-clustered) standard
  error and df = effective n − 1; for one answer per respondent and no weights this is the
  textbook one-sample t interval. NaN below an effective n of 2.
- ``bootstrap`` — percentile interval of a Poisson bootstrap over respondents (each
  respondent's answers resampled together; Hanley & MacGibbon 2006), ``reps`` replicates
  (default 999), seeded. NaN below an effective n of 2.

What is published for the points (:func:`points_interval`) is that interval with two stated
conventions, each flagged ``degenerate`` in the tables:

- *zero width* (every valid answer of the cell carries the same points, so se = 0 and every
  bootstrap replicate is equal — 8 of 8 满意 gives 100–100): the interval is replaced by the
  bounded-mean Wilson interval :func:`bounded_mean_interval`, which has positive width for
  every n > 0;
- *clipping*: points live on [0, 100], so the interval is clipped to [0, 100] (a t interval can
  pass the bounds near them: 6 满意 + 2 基本满意 gives t = [74.52, 105.48], published
  [74.52, 100]).

Examples
--------
>>> import numpy as np
>>> lo, hi = RATE_INTERVALS["wilson"](np.array([8.0, 95.0]), np.array([8.0, 100.0]), 0.95)
>>> np.round(lo, 3).tolist(), np.round(hi, 3).tolist()
([0.676, 0.888], [1.0, 0.978])
>>> lo, hi = bounded_mean_interval(np.array([100.0, 0.0]), np.array([8.0, 10.0]), 0.95)
>>> np.round(lo, 2).tolist(), np.round(hi, 2).tolist()
([67.56, 0.0], [100.0, 27.75])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from evalkit.core.errors import MethodError
from evalkit.core.registry import Registry
from evalkit.sources.survey.cells import CellStats

RATE_INTERVALS = Registry("rate interval")
MEAN_INTERVALS = Registry("mean interval")

#: Names users may try for the Wald interval, refused with an explanation.
WALD_NAMES = frozenset({"wald", "normal", "asymptotic"})

#: The points scale: every answer's points, hence every mean, lie in [0, 100].
POINTS_SCALE = (0.0, 100.0)

#: Widths at or below this (on the points scale; ÷100 for rates) count as zero.
ZERO_WIDTH = 1e-9


def _proportion(count: np.ndarray, nobs: np.ndarray, level: float, method: str
                ) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.stats.proportion import proportion_confint

    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    ok = nobs > 0
    lo = np.full(count.shape, np.nan)
    hi = np.full(count.shape, np.nan)
    if ok.any():
        c = np.clip(count[ok], 0.0, nobs[ok])
        low, high = proportion_confint(c, nobs[ok], alpha=1 - level, method=method)
        lo[ok] = np.clip(low, 0.0, 1.0)
        hi[ok] = np.clip(high, 0.0, 1.0)
    return lo, hi


@RATE_INTERVALS.register("wilson")
def wilson(count: np.ndarray, nobs: np.ndarray, level: float = 0.95
           ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (statsmodels ``method='wilson'``)."""
    return _proportion(count, nobs, level, "wilson")


@RATE_INTERVALS.register("jeffreys")
def jeffreys(count: np.ndarray, nobs: np.ndarray, level: float = 0.95
             ) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys interval: Beta(x + ½, n − x + ½) quantiles (statsmodels ``'jeffreys'``),
    lower = 0 at x = 0 and upper = 1 at x = n (Brown, Cai & DasGupta 2001)."""
    lo, hi = _proportion(count, nobs, level, "jeffreys")
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    lo = np.where((count <= 0) & (nobs > 0), 0.0, lo)
    hi = np.where((count >= nobs) & (nobs > 0), 1.0, hi)
    return lo, hi


def agresti_coull_unclipped(count: np.ndarray, nobs: np.ndarray, level: float = 0.95
                            ) -> tuple[np.ndarray, np.ndarray]:
    """The Agresti–Coull interval before clipping: p̃ ± z·√(p̃(1 − p̃)/ñ), ñ = n + z²,
    p̃ = (x + z²/2)/ñ, z the standard normal (1 + level)/2 quantile (Agresti & Coull 1998,
    The American Statistician 52(2)); NaN where n = 0."""
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    z = stats.norm.isf((1 - level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_t = np.where(nobs > 0, nobs + z * z, np.nan)
        p_t = (np.clip(count, 0.0, nobs) + z * z / 2) / n_t
        half = z * np.sqrt(p_t * (1 - p_t) / n_t)
    return p_t - half, p_t + half


@RATE_INTERVALS.register("agresti_coull", unclipped=agresti_coull_unclipped)
def agresti_coull(count: np.ndarray, nobs: np.ndarray, level: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Agresti–Coull interval (statsmodels ``method='agresti_coull'``), clipped to [0, 1] as
    statsmodels does; :func:`rate_clipped` tells where the clipping bit."""
    return _proportion(count, nobs, level, "agresti_coull")


def clopper_pearson(count: np.ndarray, nobs: np.ndarray, level: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson exact interval (statsmodels ``method='beta'``)."""
    return _proportion(count, nobs, level, "beta")


RATE_INTERVALS.register("beta")(clopper_pearson)
RATE_INTERVALS.register("clopper_pearson")(clopper_pearson)


def rate_interval(method: str, where: str | None = None) -> Any:
    """The rate interval ``method``; a clear error for Wald or an unknown name."""
    if str(method).lower() in WALD_NAMES:
        raise MethodError(f"the Wald interval ({method!r}) is not offered: it has zero width at "
                          "0% or 100% whatever n; use wilson (default), jeffreys, "
                          "agresti_coull or beta", where)
    return RATE_INTERVALS.get(method, where)


def rate_clipped(method: str, count: np.ndarray, nobs: np.ndarray, level: float = 0.95
                 ) -> np.ndarray:
    """True where the rate interval ``method`` had to be clipped to [0, 1].

    Only methods registered with an ``unclipped`` trait can pass the bounds (Agresti–Coull);
    for the others the answer is False everywhere.

    >>> rate_clipped("agresti_coull", np.array([8.0, 4.0]), np.array([8.0, 8.0])).tolist()
    [True, False]
    """
    raw: Callable[..., tuple[np.ndarray, np.ndarray]] | None = \
        RATE_INTERVALS.trait(method, "unclipped", None)
    shape = np.shape(np.asarray(count))
    if raw is None:
        return np.zeros(shape, dtype=bool)
    lo, hi = raw(count, nobs, level)
    tol = ZERO_WIDTH / 100
    return np.asarray((lo < -tol) | (hi > 1 + tol))


def bounded_mean_interval(mean: np.ndarray, n_eff: np.ndarray, level: float = 0.95
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for the mean of a score bounded in [0, 100].

    With y = points / 100 in [0, 1] and mean m, Var(y) ≤ m(1 − m) (Bhatia & Davis 2000, "A
    better bound on the variance", Amer. Math. Monthly 107(4)), with equality for answers at
    0 and 100 only. The score interval {m : |ȳ − m| ≤ z·√(m(1 − m)/n)} built with that bound is
    therefore at least as wide as the one with the true variance, and it is the Wilson
    interval at count = n·ȳ, nobs = n: ``100 × wilson(n_eff · mean / 100, n_eff)``. It lies in
    [0, 100] and has positive width for every n > 0 (8 of 8 at 100 points: [67.56, 100];
    0 of 10: [0, 27.75]); for a scale of 0 and 100 only it is the rate's Wilson interval.
    Conservative for scales with middle answers (their variance is below the bound).

    Parameters
    ----------
    mean : array
        Mean points (0–100).
    n_eff : array
        Effective n (Kish); NaN where 0.
    level : float
        Confidence level.
    """
    mean = np.asarray(mean, dtype=float)
    n_eff = np.asarray(n_eff, dtype=float)
    lo, hi = wilson(np.nan_to_num(n_eff * mean / 100.0), n_eff, level)
    return 100.0 * lo, 100.0 * hi


@dataclass
class PointsInterval:
    """The published points interval and why it differs from the method's own."""

    lo: np.ndarray
    hi: np.ndarray
    zero_width: np.ndarray  # the method's interval had zero width: bounded-mean Wilson used
    clipped: np.ndarray  # the interval passed 0 or 100 and was clipped to [0, 100]


def points_interval(s: CellStats, method: str = "t", level: float = 0.95, **options: Any
                    ) -> PointsInterval:
    """The points interval of every cell, as published (see the module docstring).

    The ``method`` interval (:data:`MEAN_INTERVALS`); where it has zero width
    (≤ :data:`ZERO_WIDTH`) :func:`bounded_mean_interval` instead; then clipped to
    :data:`POINTS_SCALE`. NaN where the method gives none (effective n below 2).
    """
    lo, hi = MEAN_INTERVALS.get(method)(s, level, **options)
    finite = np.isfinite(lo) & np.isfinite(hi)
    zero = finite & (hi - lo <= ZERO_WIDTH)
    if zero.any():
        blo, bhi = bounded_mean_interval(s.mean, s.n_eff, level)
        lo, hi = np.where(zero, blo, lo), np.where(zero, bhi, hi)
    a, b = POINTS_SCALE
    clipped = finite & ((lo < a - ZERO_WIDTH) | (hi > b + ZERO_WIDTH))
    return PointsInterval(np.clip(lo, a, b), np.clip(hi, a, b), zero, clipped)


@MEAN_INTERVALS.register("t")
def t_interval(s: CellStats, level: float = 0.95, **_: Any) -> tuple[np.ndarray, np.ndarray]:
    """mean ± t_{df}·se, se respondent-clustered (ratio linearisation), df = n_eff − 1."""
    df = np.maximum(s.n_eff - 1.0, 1.0)
    with np.errstate(invalid="ignore"):
        q = stats.t.ppf(0.5 + level / 2, df)
    half = q * s.se
    ok = s.n_eff >= 2
    return (np.where(ok, s.mean - half, np.nan), np.where(ok, s.mean + half, np.nan))


@MEAN_INTERVALS.register("bootstrap")
def bootstrap_interval(s: CellStats, level: float = 0.95, reps: int = 999, seed: int = 0,
                       **_: Any) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of a Poisson bootstrap over respondents (clusters), seeded."""
    rng = np.random.default_rng(seed)
    k = s.clusters
    n_cells = len(s.mean)
    lo = np.full(n_cells, np.nan)
    hi = np.full(n_cells, np.nan)
    if k is None or len(k.cell) == 0:
        return lo, hi
    # process cells in chunks so that reps x clusters stays around 20 million numbers
    order = np.argsort(k.cell, kind="stable")
    cell_sorted = k.cell[order]
    bounds = np.searchsorted(cell_sorted, np.arange(n_cells + 1))
    budget = max(1, 20_000_000 // max(reps, 1))
    start = 0
    while start < n_cells:
        stop = int(np.searchsorted(bounds, bounds[start] + budget, side="right")) - 1
        stop = min(max(stop, start + 1), n_cells)
        sl = order[bounds[start]:bounds[stop]]
        cells = k.cell[sl] - start
        m = stop - start
        v = rng.poisson(1.0, size=(reps, len(sl))).astype(float)
        idx = (np.arange(reps)[:, None] * m + cells[None, :]).ravel()
        num = np.bincount(idx, weights=(v * k.wy[sl]).ravel(), minlength=reps * m)
        den = np.bincount(idx, weights=(v * k.wm[sl]).ravel(), minlength=reps * m)
        with np.errstate(invalid="ignore", divide="ignore"):
            rep = (num / den).reshape(reps, m)
        q = np.nanquantile(rep, [0.5 - level / 2, 0.5 + level / 2], axis=0)
        lo[start:stop], hi[start:stop] = q[0], q[1]
        start = stop
    ok = s.n_eff >= 2
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)
