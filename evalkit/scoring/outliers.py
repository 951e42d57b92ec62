"""Outlier treatment (COINr's ``Treat``), as the registry :data:`OUTLIERS`.

Signature: ``OUTLIERS[key](X, *, where, **params) -> (X_treated, log)`` with ``log``
columns :data:`LOG_COLUMNS` (one row per indicator: what was done and the skewness and
kurtosis before and after).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core.errors import SpecError
from evalkit.core.registry import Registry

#: Outlier-treatment methods: ``f(X, *, where, **params) -> (X_treated, log)``.
OUTLIERS = Registry("outlier treatment")

#: Columns of the outlier-treatment log (one row per indicator).
LOG_COLUMNS = [
    "indicator_id",
    "action",
    "n_points",
    "skew_before",
    "kurt_before",
    "skew_after",
    "kurt_after",
    "passes_after",
    "note",
]


def _spread(x: np.ndarray | pd.Series, min_n: int) -> np.ndarray | None:
    """The non-missing values of ``x`` when there are at least ``min_n`` and they vary."""
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    return v if v.size >= min_n and np.ptp(v) > 0 else None


def excel_skew(x: np.ndarray | pd.Series) -> float:
    """Sample skewness as Excel's ``SKEW`` (NaN omitted).

    ``n / ((n-1)(n-2)) * sum(((x - m) / s)^3)`` with ``s`` the sample standard deviation
    (``ddof=1``); identical to ``scipy.stats.skew(bias=False)`` and to COINr's ``skew()``
    (e1071 type 2). NaN for fewer than 3 values or zero variance.

    Examples
    --------
    >>> round(excel_skew(np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100])), 6)
    3.063241
    """
    v = _spread(x, 3)
    return float("nan") if v is None else float(stats.skew(v, bias=False))


def excel_kurt(x: np.ndarray | pd.Series) -> float:
    """Sample excess kurtosis as Excel's ``KURT`` (NaN omitted).

    ``n(n+1)/((n-1)(n-2)(n-3)) * sum(((x-m)/s)^4) - 3(n-1)^2/((n-2)(n-3))``; identical to
    ``scipy.stats.kurtosis(fisher=True, bias=False)`` and COINr's ``kurt()``. NaN for fewer
    than 4 values or zero variance.

    Examples
    --------
    >>> round(excel_kurt(np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100])), 6)
    9.741391
    """
    v = _spread(x, 4)
    return float("nan") if v is None else float(stats.kurtosis(v, fisher=True, bias=False))


def passes_skew_kurt(skew: float, kurt: float, skew_max: float = 2.0,
                     kurt_max: float = 3.5) -> bool:
    """COINr's ``check_SkewKurt``: pass when ``|skew| < skew_max`` OR ``kurt < kurt_max``."""
    return bool(abs(skew) < skew_max or kurt < kurt_max)


# ----------------------------------------------------------------------------- outliers


def _log_row(ind: str, action: str, n: int, sb: float, kb: float, sa: float, ka: float,
             ok: bool, note: str) -> dict[str, Any]:
    return dict(zip(LOG_COLUMNS, [ind, action, n, sb, kb, sa, ka, ok, note], strict=True))


def _empty_log() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        LOG_COLUMNS, ["str", "str", "int64", "float", "float", "float", "float", "bool", "str"],
        strict=True)})


@OUTLIERS.register("none")
def outliers_none(X: pd.DataFrame, *, where: str = "treatment.outliers"
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """No outlier treatment; the log records each indicator's skew and kurtosis.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 10.0]})
    >>> outliers_none(X)[1]["action"].tolist()
    ['none']
    """
    rows = []
    for ind in X.columns:
        s, k = excel_skew(X[ind]), excel_kurt(X[ind])
        rows.append(_log_row(ind, "none", 0, s, k, s, k, bool(np.isnan(s) or
                                                               passes_skew_kurt(s, k)), ""))
    log = pd.DataFrame(rows, columns=LOG_COLUMNS) if rows else _empty_log()
    return X.copy(), log


def winsorise_coinr(
    x: np.ndarray, winmax: int = 5, skew_max: float = 2.0, kurt_max: float = 3.5
) -> tuple[np.ndarray, np.ndarray, bool]:
    """COINr's ``winsorise()`` on one indicator (NaN ignored).

    While the indicator fails the skew/kurtosis rule and fewer than ``winmax`` points have been
    changed: if the current skew is >= 0 every point equal to the current maximum is set to
    the largest remaining value (otherwise every point equal to the minimum is set to the
    smallest remaining value); then the rule is checked again. Tied extreme points move
    together, so more than ``winmax`` points may end up changed (as in COINr, where
    ``nwin`` is the number of distinct points changed).

    Returns
    -------
    x_w : ndarray
        Winsorised copy.
    changed : ndarray of bool
        Points whose value was changed.
    passed : bool
        Whether ``x_w`` passes the rule.

    Examples
    --------
    >>> xw, changed, ok = winsorise_coinr(np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100]))
    >>> float(xw[-1]), int(changed.sum()), ok
    (10.0, 1, True)
    """
    xw = np.asarray(x, dtype=float).copy()
    obs = ~np.isnan(xw)
    changed = np.zeros(xw.shape, dtype=bool)
    s = excel_skew(xw)
    passed = passes_skew_kurt(s, excel_kurt(xw), skew_max, kurt_max)
    while not passed and changed.sum() < winmax:
        v = xw[obs]
        hi = s >= 0
        extreme = v.max() if hi else v.min()
        at = obs & (xw == extreme)
        rest = xw[obs & ~at]
        if rest.size == 0:  # every value tied: nothing left to move towards
            break
        xw[at] = rest.max() if hi else rest.min()
        changed |= at
        s, k = excel_skew(xw), excel_kurt(xw)
        if np.isnan(s):
            break
        passed = passes_skew_kurt(s, k, skew_max, kurt_max)
    return xw, changed, passed


def log_coinr(x: np.ndarray, mirror: bool = False) -> np.ndarray:
    """COINr's ``log_CT``: ``log(x - min + 0.01 (max - min))`` (NaN kept).

    With ``mirror=True`` (for a negatively skewed indicator) the mirrored transform
    ``-log(max - x + 0.01 (max - min))`` is used instead: it keeps the order of the units
    (higher ``x`` still scores higher) and pulls in the long *low* tail, which the plain
    transform would stretch further. COINr 1.1 applies the plain transform whatever the sign
    of the skew.

    Examples
    --------
    >>> np.round(log_coinr(np.array([0.0, 1.0])), 4).tolist()
    [-4.6052, 0.01]
    """
    v = np.asarray(x, dtype=float)
    lo, hi = np.nanmin(v), np.nanmax(v)
    a = 0.01 * (hi - lo)
    if mirror:
        return -np.log(hi - v + a)
    return np.log(v - lo + a)


@OUTLIERS.register("coinr_winsorise")
def outliers_coinr(
    X: pd.DataFrame,
    *,
    winmax: int = 5,
    skew_max: float = 2.0,
    kurt_max: float = 3.5,
    mirror_negative: bool = True,
    where: str = "treatment.outliers",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """COINr 1.1's default ``Treat()``: winsorise up to ``winmax`` points, else log.

    For each indicator (NaN omitted):

    1. it *passes* when ``|SKEW| < skew_max`` OR ``KURT < kurt_max`` (Excel's SKEW and KURT,
       see :func:`excel_skew`, :func:`excel_kurt`); a passing indicator is left alone;
    2. otherwise it is winsorised on the side of the skew, re-checking after each step,
       until it passes or ``winmax`` points have been changed (:func:`winsorise_coinr`);
    3. if it still fails, the winsorisation is discarded and the ORIGINAL values are
       log-transformed, ``log(x - min + 0.01 (max - min))`` (:func:`log_coinr`).

    Deviations from COINr, stated: an indicator whose original skew is negative gets the
    mirrored log ``-log(max - x + 0.01 (max - min))`` (``mirror_negative=True``, the default;
    ``False`` reproduces COINr exactly); an indicator with fewer than 4 observed values or no
    variance is left alone (COINr stops with an error) and noted in the log.

    Parameters
    ----------
    X : DataFrame
        Values, index ``unit_id``, one column per indicator.
    winmax : int
        Maximum number of points to winsorise (COINr default 5); 0 goes straight to the log.
    skew_max, kurt_max : float
        Thresholds of the pass rule (COINr defaults 2 and 3.5).
    mirror_negative : bool
        Mirror the log transform for negatively skewed indicators.
    where : str
        YAML path named in errors.

    Returns
    -------
    X_treated : DataFrame
        Treated values (same shape; NaN kept).
    log : DataFrame
        One row per indicator: ``indicator_id``, ``action`` (``none`` | ``winsorised`` |
        ``log``), ``n_points`` (points changed: winsorised points, or every observed point for
        ``log``), ``skew_before``, ``kurt_before``, ``skew_after``, ``kurt_after``,
        ``passes_after`` and ``note``.

    References
    ----------
    W. Becker, COINr 1.1, ``R/treat.R`` (``Treat.numeric``, ``winsorise``, ``log_CT``,
    ``check_SkewKurt``), https://github.com/bluefoxr/COINr.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100]})
    >>> Xt, log = outliers_coinr(X)
    >>> float(Xt["a"].max()), log.loc[0, "action"], int(log.loc[0, "n_points"])
    (10.0, 'winsorised', 1)
    """
    if isinstance(winmax, bool) or not isinstance(winmax, (int, np.integer)) or winmax < 0:
        raise SpecError(f"winmax must be a whole number >= 0, got {winmax!r}", f"{where}.winmax")
    for name, val in (("skew_max", skew_max), ("kurt_max", kurt_max)):
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not np.isfinite(val):
            raise SpecError(f"{name} must be a number, got {val!r}", f"{where}.{name}")
    out = X.copy()
    rows = []
    for ind in X.columns:
        x = X[ind].to_numpy(dtype=float)
        sb, kb = excel_skew(x), excel_kurt(x)
        if np.isnan(sb) or np.isnan(kb):
            rows.append(_log_row(ind, "none", 0, sb, kb, sb, kb, True,
                                 "fewer than 4 values or no variance: not assessed"))
            continue
        if passes_skew_kurt(sb, kb, skew_max, kurt_max):
            rows.append(_log_row(ind, "none", 0, sb, kb, sb, kb, True, ""))
            continue
        xw, changed, ok = winsorise_coinr(x, winmax, skew_max, kurt_max)
        if ok:
            out[ind] = xw
            rows.append(_log_row(ind, "winsorised", int(changed.sum()), sb, kb,
                                 excel_skew(xw), excel_kurt(xw), True, ""))
            continue
        mirror = bool(mirror_negative and sb < 0)
        xl = log_coinr(x, mirror=mirror)
        out[ind] = xl
        sa, ka = excel_skew(xl), excel_kurt(xl)
        note = f"winsorising {int(changed.sum())} points did not pass"
        if mirror:
            note += "; negative skew: mirrored log"
        rows.append(_log_row(ind, "log", int((~np.isnan(x)).sum()), sb, kb, sa, ka,
                             passes_skew_kurt(sa, ka, skew_max, kurt_max), note))
    log = pd.DataFrame(rows, columns=LOG_COLUMNS) if rows else _empty_log()
    return out, log


def treat_outliers(
    X: pd.DataFrame, method: str = "none", *, where: str = "treatment.outliers", **params: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the outlier method ``method`` (a key of :data:`OUTLIERS`) with ``params``."""
    func = OUTLIERS.get(method, f"{where}.method")
    try:
        return func(X, where=where, **params)
    except TypeError as exc:  # wrong parameter names in the spec
        raise SpecError(f"outlier treatment {method!r}: {exc}", where) from None


