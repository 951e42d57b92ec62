"""Imputation of missing raw values (COINr's ``Impute``), as the registry :data:`IMPUTE`.

Signature: ``IMPUTE[key](X, units, *, where, **params) -> (X_imputed, imputed_mask)`` with
``X`` wide (index ``unit_id``, one float column per indicator, NaN = missing).

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

from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import MethodError, SpecError, TableError
from evalkit.core.registry import Registry

#: Imputation methods: ``f(X, units, *, where, **params) -> (X_imputed, imputed_mask)``.
IMPUTE = Registry("imputation")


def _check_all_missing(X: pd.DataFrame, where: str) -> None:
    empty = X.columns[np.isnan(X.to_numpy(dtype=float)).all(axis=0)].tolist()
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
    """``X`` with its missing cells taken from ``fill`` (a value per column or per cell), and
    the mask of the cells filled."""
    V = X.to_numpy(dtype=float)
    F = np.broadcast_to(fill.to_numpy(dtype=float), V.shape)
    mask = np.isnan(V)
    out = np.where(mask, F, V)
    return (pd.DataFrame(out, index=X.index, columns=X.columns),
            pd.DataFrame(mask & ~np.isnan(out), index=X.index, columns=X.columns))


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
    at = units.index.get_indexer(X.index)
    if (at < 0).any():
        raise TableError(
            f"units {list(X.index[at < 0])[:10]} have no row in the units table, so no "
            f"{group!r} group",
            f"{where}.group",
        )
    _check_all_missing(X, where)
    # sums taken over the units in id order: the means do not depend on the rows' order
    order = np.argsort(X.index.to_numpy(dtype=str), kind="stable")
    codes, _ = pd.factorize(units[group].array.take(at[order]))   # -1: no group label
    V = X.to_numpy(dtype=float)[order]
    seen = ~np.isnan(V)
    V0 = np.where(seen, V, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        overall = V0.sum(axis=0) / seen.sum(axis=0)
        means = np.array([V0[codes == g].sum(axis=0) / seen[codes == g].sum(axis=0)
                          for g in range(codes.max() + 1)]).reshape(-1, V.shape[1])
    fill = means[np.maximum(codes, 0)] if len(means) else np.full_like(V, np.nan)
    fill = np.where((codes[:, None] >= 0) & ~np.isnan(fill), fill, overall)
    fill[order] = fill.copy()                                       # back to the rows' order
    return _fill(X, pd.DataFrame(fill, index=X.index, columns=X.columns))


def _standardised(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X - mean) / sd`` per column (sd 1 for a constant column), with the mean and sd."""
    mu = X.mean().to_numpy()
    sd = X.std(ddof=0).to_numpy()
    sd = np.where(sd > 0, sd, 1.0)
    return (X.to_numpy(dtype=float) - mu) / sd, mu, sd


@IMPUTE.register("knn")
def impute_knn(
    X: pd.DataFrame,
    units: pd.DataFrame,
    *,
    n_neighbors: int = 5,
    where: str = "treatment.impute",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """k-nearest-neighbour imputation (scikit-learn's :class:`~sklearn.impute.KNNImputer`).

    A missing ``x_ij`` becomes the mean of ``x_kj`` over the ``n_neighbors`` units ``k``
    nearest to ``i`` that observe ``j``, distance being the NaN-aware Euclidean distance on
    the indicators both observe (Troyanskaya et al. 2001, *Bioinformatics* 17(6)).

    Convention (stated): indicators are standardised (z-scores) before distances are taken
    and the imputed values are transformed back, so the result does not depend on the units
    of measure (an indicator in yuan would otherwise outweigh one in percent).

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 1.1, 9.0, 1.05], "b": [10.0, 12.0, 90.0, np.nan]},
    ...                  index=list("pqrs"))
    >>> Xi, mask = impute_knn(X, pd.DataFrame(index=X.index), n_neighbors=2)
    >>> float(Xi.loc["s", "b"]), int(mask.to_numpy().sum())
    (11.0, 1)
    """
    from sklearn.impute import KNNImputer

    _check_all_missing(X, where)
    if not isinstance(n_neighbors, int) or isinstance(n_neighbors, bool) or n_neighbors < 1:
        raise SpecError(f"n_neighbors must be a whole number ≥ 1 (got {n_neighbors!r})",
                        f"{where}.n_neighbors")
    Z, mu, sd = _standardised(X)
    filled = KNNImputer(n_neighbors=n_neighbors, keep_empty_features=True).fit_transform(Z)
    return _fill(X, pd.DataFrame(filled * sd + mu, index=X.index, columns=X.columns))


@IMPUTE.register("iterative")
def impute_iterative(
    X: pd.DataFrame,
    units: pd.DataFrame,
    *,
    max_iter: int = 10,
    seed: int = 0,
    where: str = "treatment.impute",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Multivariate imputation by chained equations (scikit-learn's ``IterativeImputer``).

    Each indicator with missing values is regressed (Bayesian ridge) on the others, round
    robin, for up to ``max_iter`` rounds; missing cells take the fitted values (van Buuren &
    Groothuis-Oudshoorn 2011, *J. Stat. Softw.* 45(3)). Deterministic for a given ``seed``.
    Indicators are standardised first and transformed back (stated), as for ``knn``.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [2.0, 4.0, 6.0, 8.0, np.nan]})
    >>> round(float(impute_iterative(X, pd.DataFrame(index=X.index))[0].iloc[4, 1]), 1)
    10.0
    """
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    _check_all_missing(X, where)
    for name, value, lo in (("max_iter", max_iter, 1), ("seed", seed, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < lo:
            raise SpecError(f"{name} must be a whole number ≥ {lo} (got {value!r})",
                            f"{where}.{name}")
    Z, mu, sd = _standardised(X)
    filled = IterativeImputer(max_iter=max_iter, random_state=seed,
                              keep_empty_features=True).fit_transform(Z)
    return _fill(X, pd.DataFrame(filled * sd + mu, index=X.index, columns=X.columns))


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


