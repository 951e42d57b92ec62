"""Outlier treatment (COINr's ``Treat``), as the registry :data:`OUTLIERS`.

Signature: ``OUTLIERS[key](X, *, where, **params) -> (X_treated, log)`` with ``log``
columns :data:`LOG_COLUMNS` (one row per indicator: what was done and the skewness and
kurtosis before and after).

Every step works on all columns at once: :func:`skew_kurt` computes the sample skewness and
excess kurtosis of every column of a matrix with NaN-aware moments (no per-column call), and
:func:`winsorise_columns` runs COINr's winsorisation loop on every failing column together,
each iteration one vectorised step over the columns still failing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

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

_EPS = float(np.finfo(float).eps)


def skew_kurt(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample skewness and excess kurtosis of every column of ``A`` (NaN omitted).

    With ``n`` the observed values of a column, ``m_k = Σ (x − x̄)^k / n`` its central
    moments::

        skew = √(n (n − 1)) / (n − 2) · m_3 / m_2^{3/2}
        kurt = ((n² − 1) m_4 / m_2² − 3 (n − 1)²) / ((n − 2)(n − 3))

    Excel's ``SKEW`` / ``KURT``, COINr's ``skew()`` / ``kurt()`` (e1071 type 2) and
    ``scipy.stats.skew(bias=False)`` / ``scipy.stats.kurtosis(bias=False)``, computed for
    all columns at once from NaN-masked moments. NaN for fewer than 3 (skew) or 4 (kurt)
    values, no spread, or a variance below scipy's precision floor
    ``m_2 ≤ (ε · x̄)²``.

    Parameters
    ----------
    A : array (rows × columns) or (rows,)
        Values, NaN = missing.

    Returns
    -------
    skew, kurt : arrays (columns,)

    Examples
    --------
    >>> s, k = skew_kurt(np.array([[1.0, 1.0], [2, 5], [3, 2], [10, np.nan], [4, 8]]))
    >>> s.round(4).tolist(), k.round(4).tolist()
    ([1.6971, 0.6325], [3.152, -1.7])
    """
    A = np.asarray(A, dtype=float)
    if A.ndim == 1:
        A = A[:, None]
    ok = ~np.isnan(A)
    n = ok.sum(axis=0)
    nf = n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, A, 0.0).sum(axis=0) / nf
        d = np.where(ok, A - mean, 0.0)
        d2 = d * d
        m2, m3, m4 = d2.sum(axis=0) / nf, (d2 * d).sum(axis=0) / nf, (d2 * d2).sum(axis=0) / nf
        spread = np.where(ok, A, -np.inf).max(axis=0, initial=-np.inf) > \
            np.where(ok, A, np.inf).min(axis=0, initial=np.inf)
        fine = spread & ~(m2 <= (_EPS * mean) ** 2)
        skew = np.sqrt((nf - 1.0) * nf) / (nf - 2.0) * m3 / m2 ** 1.5
        kurt = 1.0 / (nf - 2) / (nf - 3) * ((nf ** 2 - 1.0) * m4 / m2 ** 2.0
                                              - 3 * (nf - 1) ** 2.0) + 3.0 - 3
    return (np.where(fine & (n >= 3), skew, np.nan), np.where(fine & (n >= 4), kurt, np.nan))


def excel_skew(x: np.ndarray | pd.Series) -> float:
    """Sample skewness as Excel's ``SKEW`` (NaN omitted): :func:`skew_kurt` of one column.

    ``n / ((n-1)(n-2)) * sum(((x - m) / s)^3)`` with ``s`` the sample standard deviation
    (``ddof=1``); identical to ``scipy.stats.skew(bias=False)`` and to COINr's ``skew()``
    (e1071 type 2). NaN for fewer than 3 values or zero variance.

    Examples
    --------
    >>> round(excel_skew(np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100])), 6)
    3.063241
    """
    return float(skew_kurt(np.asarray(x, dtype=float).ravel())[0][0])


def excel_kurt(x: np.ndarray | pd.Series) -> float:
    """Sample excess kurtosis as Excel's ``KURT`` (NaN omitted): :func:`skew_kurt` of one
    column.

    ``n(n+1)/((n-1)(n-2)(n-3)) * sum(((x-m)/s)^4) - 3(n-1)^2/((n-2)(n-3))``; identical to
    ``scipy.stats.kurtosis(fisher=True, bias=False)`` and COINr's ``kurt()``. NaN for fewer
    than 4 values or zero variance.

    Examples
    --------
    >>> round(excel_kurt(np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100])), 6)
    9.741391
    """
    return float(skew_kurt(np.asarray(x, dtype=float).ravel())[1][0])


def passes_skew_kurt(skew: Any, kurt: Any, skew_max: float = 2.0,
                     kurt_max: float = 3.5) -> Any:
    """COINr's ``check_SkewKurt``: pass when ``|skew| < skew_max`` OR ``kurt < kurt_max``
    (a bool for numbers, an array of bools for arrays)."""
    out = (np.abs(skew) < skew_max) | (np.asarray(kurt) < kurt_max)
    return bool(out) if np.ndim(out) == 0 else out


def _log_frame(columns: list[Any], action: np.ndarray, n_points: np.ndarray,
               before: tuple[np.ndarray, np.ndarray], after: tuple[np.ndarray, np.ndarray],
               passes: np.ndarray, note: list[str]) -> pd.DataFrame:
    """The treatment log, one row per column, built from per-column arrays."""
    if not columns:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            LOG_COLUMNS, ["str", "str", "int64", "float", "float", "float", "float", "bool",
                          "str"], strict=True)})
    return pd.DataFrame({
        "indicator_id": list(columns),
        "action": [str(a) for a in action],
        "n_points": np.asarray(n_points, dtype=np.int64),
        "skew_before": np.asarray(before[0], dtype=float),
        "kurt_before": np.asarray(before[1], dtype=float),
        "skew_after": np.asarray(after[0], dtype=float),
        "kurt_after": np.asarray(after[1], dtype=float),
        "passes_after": np.asarray(passes, dtype=bool),
        "note": list(note)})                    # the order of LOG_COLUMNS


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
    s, k = skew_kurt(X.to_numpy(dtype=float).reshape(len(X), X.shape[1]))
    ok = np.isnan(s) | passes_skew_kurt(s, k)
    m = X.shape[1]
    log = _log_frame(list(X.columns), np.full(m, "none"), np.zeros(m), (s, k), (s, k), ok,
                     [""] * m)
    return X.copy(), log


def winsorise_columns(A: np.ndarray, winmax: int = 5, skew_max: float = 2.0,
                      kurt_max: float = 3.5, start: tuple[np.ndarray, np.ndarray] | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                 tuple[np.ndarray, np.ndarray]]:
    """COINr's ``winsorise()`` on every column of ``A`` at once (NaN ignored).

    For each column, while it fails the skew/kurtosis rule (:func:`passes_skew_kurt`) and
    fewer than ``winmax`` points have been changed: if its current skew is ≥ 0 every point
    equal to its current maximum is set to the largest remaining value (otherwise every point
    equal to the minimum to the smallest remaining value); then the rule is checked again.
    Tied extreme points move together, so more than ``winmax`` points may end up changed (as
    in COINr, where ``nwin`` is the number of distinct points changed). A column stops failed
    when no other value remains or its moments become undefined.

    Each iteration is one vectorised step over the columns still failing (the low side is
    the high side of ``−x``, exactly), with :func:`skew_kurt` of those columns.

    Parameters
    ----------
    A : array (rows × columns)
        Values, NaN = missing.
    winmax, skew_max, kurt_max : int, float, float
        COINr's ``winmax``, ``skew_thresh``, ``kurt_thresh`` (defaults 5, 2, 3.5).
    start : (skew, kurt), optional
        :func:`skew_kurt` of ``A`` when the caller has it.

    Returns
    -------
    A_w : ndarray
        Winsorised copy.
    changed : ndarray of bool
        Cells whose value was changed.
    passed : ndarray of bool (columns,)
        Whether each column of ``A_w`` passes the rule.
    after : (skew, kurt)
        :func:`skew_kurt` of ``A_w``.

    References
    ----------
    W. Becker, COINr 1.1, ``R/treat.R`` (``winsorise``, ``check_SkewKurt``).
    """
    xw = np.array(A, dtype=float, copy=True)
    s, k = skew_kurt(xw) if start is None else (start[0].copy(), start[1].copy())
    passed = passes_skew_kurt(s, k, skew_max, kurt_max)
    changed = np.zeros(xw.shape, dtype=bool)
    alive = np.ones(xw.shape[1], dtype=bool)
    while True:
        cols = np.flatnonzero(~passed & alive & (changed.sum(axis=0) < winmax))
        if not len(cols):
            return xw, changed, passed, (s, k)
        sign = np.where(s[cols] >= 0, 1.0, -1.0)
        Y = xw[:, cols] * sign                      # the side to move is Y's maximum
        ok = ~np.isnan(Y)
        at = ok & (Y == np.where(ok, Y, -np.inf).max(axis=0, initial=-np.inf))
        rest = np.where(ok & ~at, Y, -np.inf).max(axis=0, initial=-np.inf)
        alive[cols[rest == -np.inf]] = False        # every value tied: nothing to move to
        move = rest > -np.inf
        cols, at, sign, rest = cols[move], at[:, move], sign[move], rest[move]
        xw[:, cols] = np.where(at, rest * sign, xw[:, cols])
        changed[:, cols] |= at
        s[cols], k[cols] = skew_kurt(xw[:, cols])
        alive[cols[np.isnan(s[cols])]] = False
        passed[cols] = passes_skew_kurt(s[cols], k[cols], skew_max, kurt_max)


def winsorise_coinr(
    x: np.ndarray, winmax: int = 5, skew_max: float = 2.0, kurt_max: float = 3.5
) -> tuple[np.ndarray, np.ndarray, bool]:
    """COINr's ``winsorise()`` on one indicator (NaN ignored): :func:`winsorise_columns`
    of one column.

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
    xw, changed, passed, _ = winsorise_columns(np.asarray(x, dtype=float).reshape(-1, 1),
                                               winmax, skew_max, kurt_max)
    return xw[:, 0], changed[:, 0], bool(passed[0])


def log_coinr(x: np.ndarray, mirror: Any = False) -> np.ndarray:
    """COINr's ``log_CT``: ``log(x - min + 0.01 (max - min))`` (NaN kept), column-wise.

    With ``mirror=True`` (for a negatively skewed indicator) the mirrored transform
    ``-log(max - x + 0.01 (max - min))`` is used instead: it keeps the order of the units
    (higher ``x`` still scores higher) and pulls in the long *low* tail, which the plain
    transform would stretch further. COINr 1.1 applies the plain transform whatever the sign
    of the skew. ``x`` may be a matrix (each column by its own min and max; ``mirror`` then
    one bool per column).

    Examples
    --------
    >>> np.round(log_coinr(np.array([0.0, 1.0])), 4).tolist()
    [-4.6052, 0.01]
    """
    v = np.asarray(x, dtype=float)
    ok = ~np.isnan(v)
    lo = np.where(ok, v, np.inf).min(axis=0, initial=np.inf)
    hi = np.where(ok, v, -np.inf).max(axis=0, initial=-np.inf)
    a = 0.01 * (hi - lo)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mirror, -np.log(hi - v + a), np.log(v - lo + a))


def _check_coinr_params(winmax: Any, skew_max: Any, kurt_max: Any, where: str) -> None:
    if isinstance(winmax, bool) or not isinstance(winmax, (int, np.integer)) or winmax < 0:
        raise SpecError(f"winmax must be a whole number >= 0, got {winmax!r}", f"{where}.winmax")
    for name, val in (("skew_max", skew_max), ("kurt_max", kurt_max)):
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not np.isfinite(val):
            raise SpecError(f"{name} must be a number, got {val!r}", f"{where}.{name}")


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

    All indicators are treated together: one :func:`skew_kurt` of the matrix, one
    :func:`winsorise_columns` of the failing columns, one :func:`log_coinr` of those that
    still fail.

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
    _check_coinr_params(winmax, skew_max, kurt_max, where)
    A = X.to_numpy(dtype=float).reshape(len(X), X.shape[1])
    sb, kb = skew_kurt(A)
    assessed = ~(np.isnan(sb) | np.isnan(kb))
    fails = assessed & ~passes_skew_kurt(sb, kb, skew_max, kurt_max)
    cols = np.flatnonzero(fails)
    xw, changed, ok, (sw, kw) = winsorise_columns(A[:, cols], int(winmax), skew_max, kurt_max,
                                                  (sb[cols], kb[cols]))
    logged = cols[~ok]
    mirror = bool(mirror_negative) & (sb[logged] < 0)
    xl = log_coinr(A[:, logged], mirror)
    out_arr = A.copy()
    out_arr[:, cols[ok]] = xw[:, ok]
    out_arr[:, logged] = xl
    sa, ka = sb.copy(), kb.copy()
    sa[cols[ok]], ka[cols[ok]] = sw[ok], kw[ok]
    sa[logged], ka[logged] = skew_kurt(xl)
    n_changed = changed.sum(axis=0)
    action = np.where(fails, "winsorised", "none").astype(object)
    action[logged] = "log"
    n_points = np.zeros(A.shape[1], dtype=np.int64)
    n_points[cols[ok]] = n_changed[ok]
    n_points[logged] = (~np.isnan(A[:, logged])).sum(axis=0)
    passes = np.ones(A.shape[1], dtype=bool)
    passes[logged] = passes_skew_kurt(sa[logged], ka[logged], skew_max, kurt_max)
    note = np.where(assessed, "", "fewer than 4 values or no variance: not assessed").astype(object)
    note[logged] = [f"winsorising {int(c)} points did not pass" + ("; negative skew: mirrored "
                    "log" if m else "") for c, m in zip(n_changed[~ok], mirror, strict=True)]
    out = pd.DataFrame(out_arr, index=X.index, columns=X.columns)
    return out, _log_frame(list(X.columns), action, n_points, (sb, kb), (sa, ka), passes,
                           list(note))


def treat_outliers(
    X: pd.DataFrame, method: str = "none", *, where: str = "treatment.outliers", **params: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the outlier method ``method`` (a key of :data:`OUTLIERS`) with ``params``."""
    func = OUTLIERS.get(method, f"{where}.method")
    try:
        return func(X, where=where, **params)
    except TypeError as exc:  # wrong parameter names in the spec
        raise SpecError(f"outlier treatment {method!r}: {exc}", where) from None
