"""AHP with incomplete pairwise comparisons: completion (LLSM, Harker) and connectivity.

A decision maker may leave comparisons out; the missing entries are completed by the
logarithmic least-squares method (Bozóki, Fülöp & Rónyai 2010) or Harker's (1987) method,
after checking that the comparison graph is connected (otherwise the weights are not
determined).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from evalkit.core.errors import MethodError
from evalkit.core.registry import Registry
from evalkit.weights import WEIGHTING, WeightSet, check_params, make_weightset
from evalkit.weights.ahp import (
    COMMON_PARAMS,
    ahp_settings,
    consistency,
    cr_flags,
    eigenvector,
    pairwise_matrix,
)

# -- incomplete matrices ----------------------------------------------------------------------
COMPLETION = Registry("AHP completion")


@COMPLETION.register("llsm")
def llsm(a: np.ndarray) -> np.ndarray:
    """Logarithmic least squares over the known entries (Kwiesielewicz 1996; Bozóki, Fülöp &
    Rónyai 2010, "On optimal completion of incomplete pairwise comparison matrices", Math.
    Comput. Modelling 52): ``min Σ_{(i,j) known} (log a_ij − log w_i + log w_j)²``; unique
    iff the comparison graph is connected. Solved by least squares on the incidence matrix.
    """
    n = a.shape[0]
    iu = np.argwhere(np.triu(np.isfinite(a), 1))
    inc = np.zeros((len(iu) + 1, n))
    inc[np.arange(len(iu)), iu[:, 0]] = 1.0
    inc[np.arange(len(iu)), iu[:, 1]] = -1.0
    inc[-1, :] = 1.0  # fix the scale: Σ log w = 0
    rhs = np.append(np.log(a[iu[:, 0], iu[:, 1]]), 0.0)
    y = np.linalg.lstsq(inc, rhs, rcond=None)[0]
    w = np.exp(y)
    return w / w.sum()


@COMPLETION.register("harker")
def harker(a: np.ndarray) -> np.ndarray:
    """Harker's method (Harker 1987, "Incomplete pairwise comparisons in the AHP", Math.
    Modelling 9): set missing ``a_ij`` to 0 and ``a_ii = 1 + m_i`` (``m_i`` missing entries
    in row i), then take the principal eigenvector."""
    c = np.where(np.isfinite(a), a, 0.0)
    np.fill_diagonal(c, 1.0 + (~np.isfinite(a)).sum(axis=1))
    return eigenvector(c)


def check_connected(a: np.ndarray, items: Sequence[str], where: str) -> None:
    """Raise if the graph of known comparisons is not connected (weights not identified)."""
    known = np.isfinite(a).astype(int)
    np.fill_diagonal(known, 0)
    n_comp, labels = connected_components(known, directed=False)
    if n_comp > 1:
        groups = [[items[i] for i in np.flatnonzero(labels == g)] for g in range(n_comp)]
        raise MethodError(f"the comparisons are not connected: {n_comp} separate groups "
                          f"{groups}; add a comparison linking them (weights across groups "
                          "are not determined)", where)


@WEIGHTING.register("ahp_incomplete")
def ahp_incomplete(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
                   where: str) -> WeightSet:
    """AHP from an incomplete pairwise matrix (some pairs not compared).

    ``completion``: ``llsm`` (default; logarithmic least squares on the known entries,
    Bozóki, Fülöp & Rónyai 2010) or ``harker`` (Harker 1987). The comparison graph must be
    connected (checked; otherwise the weights are not determined). The missing entries are
    then completed as ``a_ij = w_i / w_j`` and CR is computed on the completed matrix.
    On a complete matrix ``llsm`` equals the row geometric mean and ``harker`` the
    eigenvector method.

    Examples
    --------
    >>> m = [[1, 2, None], [0.5, 1, 2], [None, 0.5, 1]]
    >>> ahp_incomplete(["a", "b", "c"], None, {"matrix": m}, "w").weights.round(4).tolist()
    [0.5714, 0.2857, 0.1429]
    """
    check_params(params, [*COMMON_PARAMS, "completion"], "ahp_incomplete", where)
    _, _, thr, on = ahp_settings(params, where)
    a = pairwise_matrix(params, items, where, allow_missing=True)
    loc = f"{where}.matrix" if "matrix" in params else f"{where}.comparisons"
    check_connected(a, items, loc)
    comp = str(params.get("completion", "llsm"))
    w = COMPLETION.get(comp, f"{where}.completion")(a)
    full = np.where(np.isfinite(a), a, np.outer(w, 1.0 / w))
    ri = str(params.get("ri_table", "saaty_1980"))
    cons = consistency(full, ri, where)
    flags = cr_flags(cons["CR"], thr, on, where)
    return make_weightset(w, items, "ahp_incomplete", params, where,
                          conventions={"completion": comp, "ri_table": ri},
                          diagnostics=dict(cons, n_missing_pairs=int((~np.isfinite(a)).sum() // 2),
                                           completed=full.tolist()),
                          flags=flags)
