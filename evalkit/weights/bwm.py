"""Best-worst method (BWM) by its linear model, solved as a linear programme.

Registered key: ``bwm``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from evalkit.core.errors import MethodError
from evalkit.weights import WEIGHTING, WeightSet, check_params, item_vector, make_weightset, require


def bwm_linear(best_to_others: np.ndarray, others_to_worst: np.ndarray, best: int,
               worst: int) -> tuple[np.ndarray, float]:
    """Solve the linear BWM: ``min ξ`` subject to ``|w_B − a_Bj w_j| ≤ ξ``,
    ``|w_j − a_jW w_W| ≤ ξ`` for every j, ``Σ w_j = 1``, ``w ≥ 0``.

    Returns the weights and ``ξ^L``. Rezaei 2016, "Best-worst multi-criteria decision-making
    method: Some properties and a linear model", Omega 64, 126–130.
    """
    n = len(best_to_others)
    # variables: w_0..w_{n-1}, xi
    rows = []
    for j in range(n):
        r = np.zeros(n + 1)
        r[best] += 1.0
        r[j] -= best_to_others[j]
        rows += [np.append(r[:n], -1.0), np.append(-r[:n], -1.0)]
        r = np.zeros(n + 1)
        r[j] += 1.0
        r[worst] -= others_to_worst[j]
        rows += [np.append(r[:n], -1.0), np.append(-r[:n], -1.0)]
    a_ub = np.array(rows)
    b_ub = np.zeros(len(rows))
    a_eq = np.append(np.ones(n), 0.0)[None, :]
    c = np.zeros(n + 1)
    c[-1] = 1.0
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0],
                  bounds=[(0, None)] * (n + 1), method="highs")
    if not res.success:  # pragma: no cover - the LP is always feasible (w equal, ξ large)
        raise MethodError(f"BWM linear programme failed: {res.message}")
    return res.x[:n], float(res.x[-1])


@WEIGHTING.register("bwm")
def bwm(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
        where: str) -> WeightSet:
    """Best-worst method, linear model (Rezaei 2016, Omega 64), solved with
    :func:`scipy.optimize.linprog` (HiGHS).

    The expert names the ``best`` and the ``worst`` item, then gives ``best_to_others``
    (a_Bj ≥ 1: how much more important the best item is than j) and ``others_to_worst``
    (a_jW ≥ 1: how much more important j is than the worst), each item -> number with
    ``a_BB = a_WW = 1`` and the same ``a_BW`` in both vectors. The weights minimise the
    largest deviation ξ:

        min ξ  s.t.  |w_B − a_Bj w_j| ≤ ξ,  |w_j − a_jW w_W| ≤ ξ,  Σ w = 1,  w ≥ 0.

    ``ξ^L`` is the consistency measure (0 for fully consistent comparisons,
    ``a_Bj a_jW = a_BW`` for all j; smaller is better) and is in ``diagnostics["xi"]``.

    Examples
    --------
    >>> ws = bwm(["a", "b", "c"], None, {"best": "a", "worst": "c",
    ...          "best_to_others": {"a": 1, "b": 2, "c": 4},
    ...          "others_to_worst": {"a": 4, "b": 2, "c": 1}}, "w")
    >>> ws.weights.round(4).tolist(), round(ws.diagnostics["xi"], 9)
    ([0.5714, 0.2857, 0.1429], 0.0)
    """
    check_params(params, ["best", "worst", "best_to_others", "others_to_worst"], "bwm", where)
    best = require(params, "best", "bwm", where)
    worst = require(params, "worst", "bwm", where)
    for key, v in (("best", best), ("worst", worst)):
        if v not in items:
            raise MethodError(f"unknown item {v!r}; expected one of {list(items)}",
                              f"{where}.{key}")
    if best == worst:
        raise MethodError("best and worst must be different items", f"{where}.worst")
    b, w = list(items).index(best), list(items).index(worst)
    bo = item_vector(require(params, "best_to_others", "bwm", where), items,
                     "best_to_others", where)
    ow = item_vector(require(params, "others_to_worst", "bwm", where), items,
                     "others_to_worst", where)
    for name, vec, self_idx in (("best_to_others", bo, b), ("others_to_worst", ow, w)):
        bad = np.flatnonzero(vec < 1)
        if len(bad):
            raise MethodError(f"comparisons must be ≥ 1 (the BWM scale is 1–9), got "
                              f"{vec[bad[0]]:g}", f"{where}.{name}.{items[bad[0]]}")
        if vec[self_idx] != 1:
            raise MethodError(f"an item compared with itself must be 1, got {vec[self_idx]:g}",
                              f"{where}.{name}.{items[self_idx]}")
    if bo[w] != ow[b]:
        raise MethodError(f"best_to_others[{worst}] = {bo[w]:g} and others_to_worst[{best}] = "
                          f"{ow[b]:g} state the same comparison; they must be equal",
                          f"{where}.others_to_worst.{best}")
    weights, xi = bwm_linear(bo, ow, b, w)
    return make_weightset(weights, items, "bwm", params, where,
                          conventions={"model": "linear (Rezaei 2016)", "solver": "HiGHS"},
                          diagnostics={"xi": xi})
