"""Benefit of the doubt (BoD): each unit's most favourable weights, by linear programming."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from evalkit.core.errors import MethodError
from evalkit.weights import WEIGHTING, WeightSet, check_params, make_weightset
from evalkit.weights.objective import BASE_PARAMS, data_matrix, normalise_data, require_positive


@WEIGHTING.register("bod", objective=True)
def benefit_of_the_doubt(items: Sequence[str], data: pd.DataFrame | None,
                         params: dict[str, Any], where: str) -> WeightSet:
    """Benefit-of-the-doubt weights: each unit's most favourable weights (a per-unit LP).

    For unit u: ``max_w Σ_j w_j y_uj`` subject to ``Σ_j w_j y_vj ≤ 1`` for every unit v,
    ``w ≥ 0`` and, optionally, pie-share bounds ``L_j ≤ w_j y_uj / Σ_k w_k y_uk ≤ U_j``
    (``share_bounds: {lower: .., upper: ..}``, numbers or item -> number). The optimum
    ``CI_u ∈ (0, 1]`` is the unit's BoD score. Melyn & Moesen 1991; Cherchye, Moesen,
    Rogge & Van Puyenbroeck 2007, "An introduction to 'benefit of the doubt' composite
    indicators", Social Indicators Research 82. Solved by
    :func:`scipy.optimize.linprog` (HiGHS), one LP per unit.

    ``y`` are the values as given (``normalisation: raw``, default; must be ≥ 0 — evalkit
    scores qualify) or min-max oriented (``minmax``). BoD weights are unit-specific:
    ``diagnostics["per_unit"]`` holds each unit's weights normalised to sum 1 (units ×
    items) and ``diagnostics["score"]`` CI_u; ``weights`` is their mean over units, a
    summary for display, NOT the method's result for any one unit.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1.0, 0.5, 0.2], "b": [0.2, 0.5, 1.0]}, index=["u1", "u2", "u3"])
    >>> ws = benefit_of_the_doubt(["a", "b"], d, {}, "w")
    >>> ws.diagnostics["score"].round(3).tolist()
    [1.0, 0.833, 1.0]
    """
    check_params(params, [*BASE_PARAMS, "share_bounds"], "bod", where)
    params = {"normalisation": "raw", **params}
    x = data_matrix(items, data, "bod", where)
    x, norm = normalise_data(x, params, items, where)
    full = x.dropna()
    require_positive(full, "bod", where, strict=False)
    y = full.to_numpy()
    n_u, n_i = y.shape
    lo, hi = _share_bounds(params.get("share_bounds"), items, where)
    per_unit = np.zeros((n_u, n_i))
    score = np.zeros(n_u)
    eye = np.eye(n_i)
    for u in range(n_u):  # one LP per unit is the method itself (Cherchye et al. 2007)
        yu = y[u]
        a_ub = [y]
        # L_j Σ_k w_k y_uk − w_j y_uj ≤ 0  and  w_j y_uj − U_j Σ_k w_k y_uk ≤ 0
        share = eye * yu
        if np.any(lo > 0):
            a_ub.append((lo[:, None] * yu[None, :] - share)[lo > 0])
        if np.any(hi < 1):
            a_ub.append((share - hi[:, None] * yu[None, :])[hi < 1])
        a = np.vstack(a_ub)
        b = np.concatenate([np.ones(n_u), np.zeros(len(a) - n_u)])
        res = linprog(-yu, A_ub=a, b_ub=b, bounds=[(0, None)] * n_i, method="highs")
        if not res.success:
            raise MethodError(f"bod: the LP of unit {full.index[u]!r} has no solution "
                              f"({res.message}); loosen share_bounds", f"{where}.share_bounds")
        score[u] = -res.fun
        wu = res.x
        per_unit[u] = wu / wu.sum() if wu.sum() > 0 else np.full(n_i, 1.0 / n_i)
    pu = pd.DataFrame(per_unit, index=full.index, columns=list(items))
    return make_weightset(per_unit.mean(axis=0), items, "bod", params, where, data=data,
                          conventions={"normalisation": norm, "solver": "HiGHS",
                                       "summary": "weights = mean of per-unit weights"},
                          diagnostics={"per_unit": pu,
                                       "score": pd.Series(score, index=full.index, name="bod"),
                                       "n_dropped": len(x) - len(full)})


def _share_bounds(b: Any, items: Sequence[str], where: str) -> tuple[np.ndarray, np.ndarray]:
    n = len(items)
    lo, hi = np.zeros(n), np.ones(n)
    if b is None:
        return lo, hi
    if not isinstance(b, Mapping) or set(b) - {"lower", "upper"}:
        raise MethodError("share_bounds must be {lower: ..., upper: ...}", f"{where}.share_bounds")
    for key, arr in (("lower", lo), ("upper", hi)):
        v = b.get(key)
        if v is None:
            continue
        if isinstance(v, Mapping):
            for k, x in v.items():
                if k not in items:
                    raise MethodError(f"unknown item {k!r}", f"{where}.share_bounds.{key}.{k}")
                arr[list(items).index(k)] = float(x)
        else:
            arr[:] = float(v)
    if np.any(lo < 0) or np.any(hi > 1) or np.any(lo > hi) or lo.sum() > 1 or hi.sum() < 1:
        raise MethodError(f"share bounds must satisfy 0 ≤ lower ≤ upper ≤ 1, Σ lower ≤ 1 ≤ "
                          f"Σ upper; got lower {lo.tolist()}, upper {hi.tolist()}",
                          f"{where}.share_bounds")
    return lo, hi
