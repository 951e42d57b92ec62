"""Moments of indicator columns: sample skewness and excess kurtosis of every column at once
(Excel's ``SKEW`` / ``KURT``, as COINr checks them before treating outliers).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

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
