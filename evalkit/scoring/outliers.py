"""Outlier treatment (COINr's ``Treat``), as the registry :data:`OUTLIERS`.

Signature: ``OUTLIERS[key](X, *, where, **params) -> (X_treated, log)`` with ``log``
columns :data:`LOG_COLUMNS` (one row per indicator: what was done and the skewness and
kurtosis before and after).

Every step works on all columns at once: :func:`~evalkit.scoring.moments.skew_kurt` computes
the sample skewness and excess kurtosis of every column of a matrix with NaN-aware moments (no
per-column call), and :func:`winsorise_columns` runs COINr's winsorisation loop on every
failing column together, each iteration one vectorised step over the columns still failing.
A method may also register ``arrays``: the same treatment of a units × indicators array
without the log (:func:`coinr_arrays`), which the uncertainty design uses for its variants.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import SpecError
from evalkit.core.registry import Registry
from evalkit.scoring.moments import passes_skew_kurt, skew_kurt

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


def _coinr(A: np.ndarray, winmax: int, skew_max: float, kurt_max: float,
           mirror_negative: bool) -> tuple[np.ndarray, dict[str, Any]]:
    """COINr's treatment of the columns of ``A`` (:func:`outliers_coinr`): the treated
    values and what the log needs (skew and kurtosis before, the failing, winsorised and
    logged columns)."""
    sb, kb = skew_kurt(A)
    assessed = ~(np.isnan(sb) | np.isnan(kb))
    fails = assessed & ~passes_skew_kurt(sb, kb, skew_max, kurt_max)
    cols = np.flatnonzero(fails)
    xw, changed, ok, (sw, kw) = winsorise_columns(A[:, cols], int(winmax), skew_max, kurt_max,
                                                  (sb[cols], kb[cols]))
    logged = cols[~ok]
    mirror = bool(mirror_negative) & (sb[logged] < 0)
    xl = log_coinr(A[:, logged], mirror)
    out = A.copy()
    out[:, cols[ok]] = xw[:, ok]
    out[:, logged] = xl
    return out, {"sb": sb, "kb": kb, "assessed": assessed, "fails": fails, "cols": cols,
                 "ok": ok, "changed": changed, "sw": sw, "kw": kw, "logged": logged,
                 "mirror": mirror, "xl": xl}


def coinr_arrays(A: np.ndarray, *, winmax: int = 5, skew_max: float = 2.0,
                 kurt_max: float = 3.5, mirror_negative: bool = True,
                 where: str = "treatment.outliers") -> np.ndarray:
    """:func:`outliers_coinr` on a units × indicators array, without its log (how the
    uncertainty design treats its variants)."""
    _check_coinr_params(winmax, skew_max, kurt_max, where)
    return _coinr(np.asarray(A, dtype=float), winmax, skew_max, kurt_max, mirror_negative)[0]


@OUTLIERS.register("coinr_winsorise", arrays=coinr_arrays)
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
       see :mod:`evalkit.scoring.moments`); a passing indicator is left alone;
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
    out_arr, g = _coinr(A, winmax, skew_max, kurt_max, mirror_negative)
    sb, kb, cols, ok, logged = g["sb"], g["kb"], g["cols"], g["ok"], g["logged"]
    sa, ka = sb.copy(), kb.copy()
    sa[cols[ok]], ka[cols[ok]] = g["sw"][ok], g["kw"][ok]
    sa[logged], ka[logged] = skew_kurt(g["xl"])
    n_changed = g["changed"].sum(axis=0)
    action = np.where(g["fails"], "winsorised", "none").astype(object)
    action[logged] = "log"
    n_points = np.zeros(A.shape[1], dtype=np.int64)
    n_points[cols[ok]] = n_changed[ok]
    n_points[logged] = (~np.isnan(A[:, logged])).sum(axis=0)
    passes = np.ones(A.shape[1], dtype=bool)
    passes[logged] = passes_skew_kurt(sa[logged], ka[logged], skew_max, kurt_max)
    note = np.where(g["assessed"], "", "fewer than 4 values or no variance: not assessed"
                    ).astype(object)
    note[logged] = [f"winsorising {int(c)} points did not pass" + ("; negative skew: mirrored "
                    "log" if m else "") for c, m in zip(n_changed[~ok], g["mirror"], strict=True)]
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
