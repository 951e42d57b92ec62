"""Data treatment before scoring: denomination, imputation, outlier treatment.

Three steps, in COINr's order (Becker et al., COINr 1.1, ``build_example_coin``):

1. :func:`denominate` divides indicators by a unit attribute (GDP, population, area ...);
2. an :data:`IMPUTE` method fills missing values and returns which cells it filled;
3. an :data:`OUTLIERS` method treats skewed indicators and returns a tidy log of what it did.

All three operate on a raw *wide* table ``X`` (index ``unit_id``, one float column per
indicator, NaN = missing) and the units table ``units`` (index ``unit_id``; extra columns such
as groups and denominators). :func:`apply_treatment` runs them from the spec's ``treatment``
section and :func:`validate_treatment` checks that section, naming YAML paths.

Registry signatures
-------------------
- ``IMPUTE[key](X, units, *, where, **params) -> (X_imputed, imputed_mask)``
- ``OUTLIERS[key](X, *, where, **params) -> (X_treated, log)`` with ``log`` columns
  :data:`LOG_COLUMNS`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> X = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0]}, index=["u1", "u2", "u3", "u4"])
>>> units = pd.DataFrame({"g": ["x", "x", "x", "y"]}, index=X.index)
>>> Xi, mask = IMPUTE["group_mean"](X, units, group="g")
>>> float(Xi.loc["u3", "a"]), bool(mask.loc["u3", "a"])
(1.5, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core.errors import EvalkitError, MethodError, SpecError, TableError, raise_all
from evalkit.core.registry import Registry

#: Outlier-treatment methods: ``f(X, *, where, **params) -> (X_treated, log)``.
OUTLIERS = Registry("outlier treatment")
#: Imputation methods: ``f(X, units, *, where, **params) -> (X_imputed, imputed_mask)``.
IMPUTE = Registry("imputation")

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


# ----------------------------------------------------------------------------- denominate


def denominate(
    X: pd.DataFrame,
    denominators: Mapping[str, str],
    units: pd.DataFrame,
    *,
    where: str = "treatment.denominate",
) -> pd.DataFrame:
    """Divide indicators by unit attributes: ``x_ij / d_i`` for each mapped indicator ``j``.

    Parameters
    ----------
    X : DataFrame
        Raw values, index ``unit_id``, one column per indicator.
    denominators : mapping of str to str
        ``{indicator_id: column of units}``; indicators not listed are left unchanged.
    units : DataFrame
        Index ``unit_id``; holds the denominator columns (numeric, non-zero).
    where : str
        Location named in error messages (the spec's YAML path).

    Returns
    -------
    DataFrame
        A copy of ``X`` with the mapped indicators divided by their denominators.

    Raises
    ------
    EvalkitError
        An indicator absent from ``X``, a denominator column absent from ``units`` or not
        numeric, a unit of ``X`` absent from ``units``, or a denominator that is zero where the
        indicator has a value (the message names the column and the units).

    Notes
    -----
    Convention of COINr's ``Denominate()`` (and the ASEM ``Denominator`` column of iMeta):
    ``x / d`` with no rescaling. A zero denominator is an error rather than a silent ``inf``.
    A *missing* denominator makes the ratio missing, as in COINr (ASEM: Lao PDR has no
    ``Energy``, so its ``Elec`` and ``Gas`` ratios are missing and then imputed); the
    imputation mask then reports it.

    Examples
    --------
    >>> X = pd.DataFrame({"gdp_trade": [10.0, 30.0]}, index=["A", "B"])
    >>> units = pd.DataFrame({"GDP": [2.0, 3.0]}, index=["A", "B"])
    >>> denominate(X, {"gdp_trade": "GDP"}, units)["gdp_trade"].tolist()
    [5.0, 10.0]
    """
    out = X.copy()
    if not denominators:
        return out
    problems: list[EvalkitError] = []
    missing_units = X.index.difference(units.index)
    if len(missing_units):
        raise TableError(
            f"units {list(missing_units)[:10]} have indicator values but no row in the units "
            "table (needed for their denominators)",
            where,
        )
    for ind, col in denominators.items():
        if ind not in X.columns:
            problems.append(EvalkitError(f"indicator {ind!r} is not in the data", f"{where}.{ind}"))
            continue
        if col not in units.columns:
            problems.append(
                TableError(
                    f"denominator column {col!r} (for indicator {ind!r}) is not in the units "
                    f"table; expected one of {list(units.columns)}",
                    f"{where}.{ind}",
                )
            )
            continue
        d = pd.to_numeric(units[col].reindex(X.index), errors="coerce")
        raw = units[col].reindex(X.index)
        bad_type = d.isna() & raw.notna()
        if bad_type.any():
            problems.append(
                TableError(
                    f"denominator column {col!r} has non-numeric values for units "
                    f"{list(d.index[bad_type])[:10]}",
                    f"{where}.{ind}",
                )
            )
            continue
        has_value = X[ind].notna()
        bad = has_value & (d == 0)
        if bad.any():
            problems.append(
                TableError(
                    f"denominator column {col!r} is zero for units "
                    f"{list(d.index[bad])[:10]} (indicator {ind!r}); expected a non-zero number",
                    f"{where}.{ind}",
                )
            )
            continue
        out[ind] = X[ind] / d.where(has_value & (d != 0), np.nan)
    _raise(problems, "denomination problems")
    return out


# ----------------------------------------------------------------------------- imputation


def _check_all_missing(X: pd.DataFrame, where: str) -> None:
    empty = [c for c in X.columns if X[c].isna().all()]
    if empty:
        raise MethodError(
            f"indicators {empty} have no value for any unit; nothing to impute from "
            "(drop them or supply data)",
            where,
        )


@IMPUTE.register("none")
def impute_none(
    X: pd.DataFrame, units: pd.DataFrame | None = None, *, where: str = "treatment.impute"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """No imputation: missing values stay missing (the scoring step's policy applies).

    Returns ``X`` unchanged and an all-False mask.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, np.nan]})
    >>> impute_none(X)[1]["a"].tolist()
    [False, False]
    """
    return X.copy(), pd.DataFrame(False, index=X.index, columns=X.columns)


def _fill(X: pd.DataFrame, fill: pd.DataFrame | pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    mask = X.isna()
    if isinstance(fill, pd.Series):
        out = X.fillna(fill)
    else:
        out = X.where(~mask, fill)
    return out, mask & out.notna()


@IMPUTE.register("mean")
def impute_mean(
    X: pd.DataFrame, units: pd.DataFrame | None = None, *, where: str = "treatment.impute"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace a missing ``x_ij`` by the mean of indicator ``j`` over the units that report it.

    ``x_ij <- mean_{k: x_kj observed} x_kj`` (COINr ``i_mean``).

    Raises
    ------
    MethodError
        An indicator with no observed value at all.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 3.0, np.nan]})
    >>> impute_mean(X)[0]["a"].tolist()
    [1.0, 3.0, 2.0]
    """
    _check_all_missing(X, where)
    return _fill(X, X.mean())


@IMPUTE.register("median")
def impute_median(
    X: pd.DataFrame, units: pd.DataFrame | None = None, *, where: str = "treatment.impute"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace a missing ``x_ij`` by the median of indicator ``j`` over the reporting units.

    COINr ``i_median``. Raises :class:`MethodError` for an indicator with no observed value.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 10.0, np.nan]})
    >>> impute_median(X)[0]["a"].tolist()
    [1.0, 2.0, 10.0, 2.0]
    """
    _check_all_missing(X, where)
    return _fill(X, X.median())


@IMPUTE.register("group_mean")
def impute_group_mean(
    X: pd.DataFrame,
    units: pd.DataFrame,
    *,
    group: str,
    where: str = "treatment.impute",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace a missing ``x_ij`` by the mean of indicator ``j`` in unit ``i``'s group.

    ``x_ij <- mean_{k in g(i), x_kj observed} x_kj`` where ``g(i)`` is the value of column
    ``group`` of ``units`` (COINr ``i_mean_grp``, used by the ASEM example with
    ``EurAsia_group``).

    Convention (stated): when a whole group lacks indicator ``j``, or the unit's group label is
    missing, the overall mean of ``j`` is used instead (COINr would leave the value missing).

    Parameters
    ----------
    X : DataFrame
        Values, index ``unit_id``.
    units : DataFrame
        Index ``unit_id``, with the column ``group``.
    group : str
        Column of ``units`` holding each unit's group.
    where : str
        YAML path of the imputation spec, named in errors.

    Raises
    ------
    EvalkitError
        ``group`` not a column of ``units`` (named, with the available columns), a unit of ``X``
        absent from ``units``, or an indicator with no observed value at all.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2.0, np.nan, 5.0]}, index=list("pqrs"))
    >>> units = pd.DataFrame({"g": ["x", "x", "x", "y"]}, index=list("pqrs"))
    >>> impute_group_mean(X, units, group="g")[0]["a"].tolist()
    [1.0, 2.0, 1.5, 5.0]
    """
    if group not in units.columns:
        raise TableError(
            f"group column {group!r} is not in the units table; expected one of "
            f"{list(units.columns)}",
            f"{where}.group",
        )
    missing_units = X.index.difference(units.index)
    if len(missing_units):
        raise TableError(
            f"units {list(missing_units)[:10]} have no row in the units table, so no "
            f"{group!r} group",
            f"{where}.group",
        )
    _check_all_missing(X, where)
    labels = units[group].reindex(X.index)
    group_means = X.groupby(labels, dropna=True).transform("mean")
    # units whose label is missing get no group mean from transform: NaN rows
    group_means = group_means.reindex(X.index)
    fill = group_means.fillna(X.mean())
    return _fill(X, fill)


def impute(
    X: pd.DataFrame,
    units: pd.DataFrame,
    method: str = "none",
    *,
    where: str = "treatment.impute",
    **params: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the imputation method ``method`` (a key of :data:`IMPUTE`) with ``params``."""
    func = IMPUTE.get(method, f"{where}.method")
    try:
        return func(X, units, where=where, **params)
    except TypeError as exc:  # wrong parameter names in the spec
        raise SpecError(f"imputation {method!r}: {exc}", where) from None


# ----------------------------------------------------------------------------- skew / kurtosis


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
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    if v.size < 3 or np.ptp(v) == 0:
        return float("nan")
    return float(stats.skew(v, bias=False))


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
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    if v.size < 4 or np.ptp(v) == 0:
        return float("nan")
    return float(stats.kurtosis(v, fisher=True, bias=False))


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


# ----------------------------------------------------------------------------- the whole step


@dataclass
class TreatmentResult:
    """Output of :func:`apply_treatment`.

    Attributes
    ----------
    data : DataFrame
        Treated wide values (index ``unit_id``, one column per indicator).
    imputed : DataFrame of bool
        Cells filled by imputation.
    outliers : DataFrame
        The outlier-treatment log (columns :data:`LOG_COLUMNS`).
    """

    data: pd.DataFrame
    imputed: pd.DataFrame
    outliers: pd.DataFrame


_SECTION_KEYS = {"denominate", "impute", "outliers"}
_METHOD_PARAMS = {
    "impute": {"none": set(), "mean": set(), "median": set(), "group_mean": {"group"}},
    "outliers": {
        "none": set(),
        "coinr_winsorise": {"winmax", "skew_max", "kurt_max", "mirror_negative"},
    },
}


def validate_treatment(config: Mapping[str, Any] | None, where: str = "treatment"
                       ) -> list[EvalkitError]:
    """Check a spec's ``treatment`` section; return every problem with its YAML path.

    Format::

        treatment:
          denominate: true            # divide by the Denominator column of the hierarchy
          impute: {method: group_mean, group: EurAsia_group}   # none | mean | median | group_mean
          outliers: {method: coinr_winsorise, winmax: 5, skew_max: 2, kurt_max: 3.5}

    Examples
    --------
    >>> [str(p) for p in validate_treatment({"impute": {"method": "mode"}})][0][:40]
    'treatment.impute.method: unknown imputat'
    """
    problems: list[EvalkitError] = []
    if config is None:
        return problems
    if not isinstance(config, Mapping):
        return [SpecError("expected a mapping with keys denominate, impute, outliers", where)]
    for key in config:
        if key not in _SECTION_KEYS:
            problems.append(SpecError(
                f"unknown key {key!r}; expected one of {sorted(_SECTION_KEYS)}", f"{where}.{key}"))
    if "denominate" in config and not isinstance(config["denominate"], bool):
        problems.append(SpecError("expected true or false", f"{where}.denominate"))
    for step, registry in (("impute", IMPUTE), ("outliers", OUTLIERS)):
        if step not in config:
            continue
        sec = config[step]
        path = f"{where}.{step}"
        if isinstance(sec, str):
            sec = {"method": sec}
        if not isinstance(sec, Mapping):
            problems.append(SpecError("expected a mapping with a 'method' key", path))
            continue
        method = sec.get("method", "none")
        if method not in registry:
            problems.append(EvalkitError(
                f"unknown {registry.family} method {method!r}; expected one of: "
                f"{', '.join(sorted(registry))}", f"{path}.method"))
            continue
        allowed = _METHOD_PARAMS[step].get(method)
        if allowed is None:  # a method registered elsewhere: its own signature checks
            continue
        for key in sec:
            if key != "method" and key not in allowed:
                problems.append(SpecError(
                    f"unknown key {key!r} for {step} method {method!r}; expected "
                    f"{sorted(allowed) or 'no parameters'}", f"{path}.{key}"))
        for req in allowed & {"group"}:
            if req not in sec:
                problems.append(SpecError(f"{method} needs '{req}': the units-table column "
                                          "holding each unit's group", f"{path}.{req}"))
    return problems


def apply_treatment(
    X: pd.DataFrame,
    units: pd.DataFrame,
    config: Mapping[str, Any] | None,
    denominators: Mapping[str, str] | None = None,
    *,
    where: str = "treatment",
) -> TreatmentResult:
    """Denominate, impute and treat outliers as the spec's ``treatment`` section says.

    Order (COINr's): denominate -> impute -> outliers. ``denominators`` maps indicator ids to
    units-table columns (from the hierarchy's ``Denominator`` column); it is used only when
    ``denominate: true``.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0]}, index=list("pqrs"))
    >>> units = pd.DataFrame({"g": list("xxyy")}, index=X.index)
    >>> res = apply_treatment(X, units, {"impute": {"method": "group_mean", "group": "g"}})
    >>> res.data["a"].tolist(), int(res.imputed.sum().sum())
    ([1.0, 1.0, 3.0, 4.0], 1)
    """
    _raise(validate_treatment(config, where), "treatment problems")
    config = dict(config or {})
    data = X.copy()
    if config.get("denominate", False):
        data = denominate(data, denominators or {}, units, where=f"{where}.denominate")
    imp = config.get("impute", {"method": "none"})
    imp = {"method": imp} if isinstance(imp, str) else dict(imp)
    data, mask = impute(data, units, imp.pop("method", "none"), where=f"{where}.impute", **imp)
    out = config.get("outliers", {"method": "none"})
    out = {"method": out} if isinstance(out, str) else dict(out)
    data, log = treat_outliers(data, out.pop("method", "none"), where=f"{where}.outliers", **out)
    return TreatmentResult(data, mask, log)


def _raise(problems: list[EvalkitError], what: str) -> None:
    raise_all(problems, what)
