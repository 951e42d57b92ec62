"""Interval methods for satisfaction rates and mean points, as registries.

Rates (``RATE_INTERVALS``): ``f(count, nobs, level) -> (low, high)``, vectorised over arrays;
``count`` and ``nobs`` may be fractional (an effective n). All three wrap statsmodels'
``proportion_confint``:

- ``wilson`` (default) — Wilson score interval (Wilson 1927); good coverage at small n and
  near 0 or 1, never outside [0, 1].
- ``jeffreys`` — equal-tailed Bayesian interval with the Jeffreys Beta(½, ½) prior, with
  Brown, Cai & DasGupta's (2001, §4.1.2) modification at the ends: lower = 0 when x = 0 and
  upper = 1 when x = n (unmodified, 0 of n would lie outside its own interval).
- ``beta`` (alias ``clopper_pearson``) — the exact Clopper–Pearson interval (1934),
  conservative.

The Wald interval (p ± z·√(p(1−p)/n)) is deliberately not offered: at p = 1 it has zero width
whatever n, which is exactly how 8 of 8 satisfied would look more certain than 95 of 100.

Means (``MEAN_INTERVALS``): ``f(stats, level, **options) -> (low, high)`` where ``stats`` is a
:class:`evalkit.sources.survey.cells.CellStats`:

- ``t`` (default) — mean ± t(df)·se with the ratio-linearised (respondent-clustered) standard
  error and df = effective n − 1; for one answer per respondent and no weights this is the
  textbook one-sample t interval.
- ``bootstrap`` — percentile interval of a Poisson bootstrap over respondents (each
  respondent's answers resampled together; Hanley & MacGibbon 2006), ``reps`` replicates
  (default 999), seeded.

Examples
--------
>>> import numpy as np
>>> lo, hi = RATE_INTERVALS["wilson"](np.array([8.0, 95.0]), np.array([8.0, 100.0]), 0.95)
>>> np.round(lo, 3).tolist(), np.round(hi, 3).tolist()
([0.676, 0.888], [1.0, 0.978])
"""

from __future__ import annotations

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
                          "0% or 100% whatever n; use wilson (default), jeffreys or beta", where)
    return RATE_INTERVALS.get(method, where)


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
