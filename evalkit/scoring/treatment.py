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

The imputation methods live in :mod:`evalkit.scoring.impute`, the outlier treatments in
:mod:`evalkit.scoring.outliers`; this module denominates and runs the whole step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, SpecError, TableError, raise_all, unknown_keys
from evalkit.scoring.impute import IMPUTE, impute
from evalkit.scoring.moments import excel_kurt, excel_skew
from evalkit.scoring.outliers import LOG_COLUMNS, OUTLIERS, treat_outliers

__all__ = ["IMPUTE", "LOG_COLUMNS", "OUTLIERS", "TreatmentResult", "apply_treatment",
           "denominate", "excel_kurt", "excel_skew", "impute", "treat_outliers",
           "validate_treatment"]


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
    if not denominators:
        return X.copy()
    out = X.to_numpy(dtype=float, copy=True)
    problems: list[EvalkitError] = []
    missing_units = X.index.difference(units.index)
    if len(missing_units):
        raise TableError(
            f"units {list(missing_units)[:10]} have indicator values but no row in the units "
            "table (needed for their denominators)",
            where,
        )
    by_column: dict[str, list[str]] = {}
    for ind, col in denominators.items():
        if ind not in X.columns:
            problems.append(EvalkitError(f"indicator {ind!r} is not in the data", f"{where}.{ind}"))
        elif col not in units.columns:
            problems.append(
                TableError(
                    f"denominator column {col!r} (for indicator {ind!r}) is not in the units "
                    f"table; expected one of {list(units.columns)}",
                    f"{where}.{ind}",
                )
            )
        else:
            by_column.setdefault(col, []).append(ind)
    at = units.index.get_indexer(X.index)      # every unit is there (checked above)
    position = {c: j for j, c in enumerate(X.columns)}
    for col, inds in by_column.items():   # one division per denominator, all its indicators
        raw = units[col]
        numeric = pd.api.types.is_numeric_dtype(raw)
        d = raw if numeric else pd.to_numeric(raw, errors="coerce")
        dv = d.to_numpy(dtype=float, na_value=np.nan)[at][:, None]
        bad_type = np.zeros(len(at), dtype=bool) if numeric else \
            np.isnan(dv[:, 0]) & raw.notna().to_numpy()[at]
        if bad_type.any():
            problems += [TableError(f"denominator column {col!r} has non-numeric values for "
                                    f"units {list(X.index[bad_type])[:10]}", f"{where}.{ind}")
                         for ind in inds]
            continue
        pos = np.array([position[i] for i in inds])
        V = out[:, pos]
        zero = ~np.isnan(V) & (dv == 0)
        for j in np.flatnonzero(zero.any(axis=0)):
            problems.append(TableError(
                f"denominator column {col!r} is zero for units "
                f"{list(X.index[zero[:, j]])[:10]} (indicator {inds[j]!r}); expected a "
                "non-zero number", f"{where}.{inds[j]}"))
        ok = ~zero.any(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            R = np.where(dv != 0, V / dv, np.nan)
        out[:, pos[ok]] = R[:, ok]
    _raise(problems, "denomination problems")
    return pd.DataFrame(out, index=X.index, columns=X.columns)



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
#: Arguments every treatment method gets from the pipeline (not spec parameters).
_FIXED = frozenset({"X", "units", "where"})


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
    problems += unknown_keys(config, _SECTION_KEYS, where)
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
        problems += registry.check_params(method, {k: v for k, v in sec.items()
                                                   if k != "method"}, path, _FIXED)
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
