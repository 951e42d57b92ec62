"""Analytic hierarchy process (层次分析法): single expert, group, incomplete matrices.

Registered keys: ``ahp``, ``ahp_group``, ``ahp_incomplete``.

A pairwise matrix is given as ``matrix`` (a list of rows in the order of the items; ``null``
marks a missing judgement in ``ahp_incomplete``) or as ``comparisons``, a list of
``[i, j, a_ij]`` triples meaning "i is a_ij times as important as j" (the reciprocal is
filled in). ``prioritisation``: ``eigenvector`` (Saaty 1980, principal right eigenvector) or
``geometric_mean`` (row geometric mean, Crawford & Williams 1985). The consistency ratio is
``CR = CI / RI_n`` with ``CI = (λ_max − n) / (n − 1)`` and ``RI_n`` from the named
random-index table ``ri_table`` (:data:`RI_TABLES`: ``saaty_1980``, the default,
``saaty_2005``, ``alonso_lamata_2006``, ``tummala_ling_1998``, ``donegan_dodd_1991``). The
tables differ by a few hundredths (RI_3 is 0.58 in Saaty 1980, 0.52 in Saaty 2005, 0.4914 in
Donegan & Dodd 1991), enough to move a CR across 0.1, so the weight set's conventions name
the table used. Libraries differ in their default: pymcdm uses Tummala & Ling, AHPy
Donegan & Dodd, evalkit ``saaty_1980``. Every table
covers n ≤ 15 (Donegan & Dodd n ≤ 20); a larger matrix is refused, never extrapolated.
``on_inconsistent``: ``error`` (default; refuse CR > ``cr_threshold``, 0.1) or ``flag``
(accept and put a flag in the weight set).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import MethodError
from evalkit.core.registry import Registry
from evalkit.weights import WEIGHTING, WeightSet, check_params, make_weightset

#: Random-index tables RI_n for n = 1, 2, ... (index 0 is n = 1).
RI_TABLES: dict[str, tuple[float, ...]] = {
    # Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill, p. 21 (n = 1..15).
    "saaty_1980": (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48,
                   1.56, 1.57, 1.59),
    # Alonso, J. A. & Lamata, M. T. (2006). Consistency in the analytic hierarchy process: a
    # new approach. Int. J. Uncertainty, Fuzziness and Knowledge-Based Systems 14(4), Table 2.
    "alonso_lamata_2006": (0.0, 0.0, 0.5245, 0.8815, 1.1086, 1.2479, 1.3417, 1.4056, 1.4499,
                           1.4854, 1.5141, 1.5365, 1.5551, 1.5713, 1.5838),
    # Tummala, V. M. R. & Ling, H. (1998). A note on the computation of the mean random
    # consistency index of the AHP. Theory and Decision 44(3).
    "tummala_ling_1998": (0.0, 0.0, 0.5799, 0.8921, 1.1159, 1.2358, 1.3322, 1.3952, 1.4537,
                          1.4882, 1.5117, 1.5356, 1.5571, 1.5714, 1.5831),
    # Saaty, T. L. (2005). Theory and Applications of the Analytic Network Process. RWS
    # Publications, Pittsburgh, p. 31 (n = 1..15): Saaty's later table, from more simulated
    # matrices than the 1980 one.
    "saaty_2005": (0.0, 0.0, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49, 1.52, 1.54, 1.56,
                   1.58, 1.59),
    # Donegan, H. A. & Dodd, F. J. (1991). A note on Saaty's random indexes. Mathematical and
    # Computer Modelling 15(10), 135-137, doi:10.1016/0895-7177(91)90098-R, as carried by
    # AHPy (its default table; checked against it in the tests). Only n = 1..20, where the
    # values are consecutive and increasing: the coarser entries n = 25, 30, ..., 100 of
    # that table are not monotone (n = 90 below n = 80), so they are not offered.
    "donegan_dodd_1991": (0.0, 0.0, 0.4914, 0.8286, 1.0591, 1.1797, 1.2519, 1.3171, 1.3733,
                          1.4055, 1.4213, 1.4497, 1.4643, 1.4822, 1.4969, 1.5078, 1.5153,
                          1.5262, 1.5313, 1.5371),
}

#: Prioritisation methods: reciprocal matrix -> weights summing to 1.
PRIORITISATION = Registry("AHP prioritisation")

COMMON_PARAMS = ["matrix", "comparisons", "prioritisation", "ri_table", "cr_threshold",
           "on_inconsistent"]


@PRIORITISATION.register("eigenvector")
def eigenvector(a: np.ndarray) -> np.ndarray:
    """Principal right eigenvector ``A w = λ_max w`` (Saaty 1980), normalised to sum 1."""
    vals, vecs = np.linalg.eig(a)
    v = np.abs(vecs[:, np.argmax(vals.real)].real)
    return v / v.sum()


@PRIORITISATION.register("geometric_mean")
def geometric_mean(a: np.ndarray) -> np.ndarray:
    """Row geometric mean ``w_i ∝ (Π_j a_ij)^(1/n)`` (Crawford & Williams 1985, J. Math.
    Psychology 29), the log-least-squares solution of a complete matrix."""
    g = np.exp(np.log(a).mean(axis=1))
    return g / g.sum()


def lambda_max(a: np.ndarray) -> float:
    """Largest real eigenvalue of ``a``."""
    return float(np.max(np.linalg.eigvals(a).real))


def consistency(a: np.ndarray, ri_table: str = "saaty_1980",
                where: str = "weighting") -> dict[str, float]:
    """Consistency of a reciprocal matrix: λ_max, ``CI = (λ_max − n)/(n − 1)``, ``CR = CI/RI_n``.

    For n ≤ 2 every reciprocal matrix is consistent and CR = 0.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([0.5, 0.3, 0.2])
    >>> round(consistency(np.outer(w, 1 / w))["CR"], 12)
    0.0
    """
    table = RI_TABLES.get(ri_table)
    if table is None:
        raise MethodError(f"unknown ri_table {ri_table!r}; expected one of {sorted(RI_TABLES)}",
                          f"{where}.ri_table")
    n = a.shape[0]
    if n <= 2:
        return {"lambda_max": float(n), "CI": 0.0, "CR": 0.0, "RI": 0.0}
    if n > len(table):
        raise MethodError(f"ri_table {ri_table!r} covers n ≤ {len(table)}, the matrix has n = "
                          f"{n}; split the items into groups", f"{where}.ri_table")
    lm = lambda_max(a)
    ci = max((lm - n) / (n - 1), 0.0)
    return {"lambda_max": lm, "CI": ci, "CR": ci / table[n - 1], "RI": table[n - 1]}


def gci(a: np.ndarray, w: np.ndarray) -> float:
    """Geometric consistency (compatibility) index of matrix ``a`` with priorities ``w``.

    ``GCI = 2 / ((n−1)(n−2)) Σ_{i<j} log²(a_ij w_j / w_i)`` over the known entries
    (Aguarón & Moreno-Jiménez 2003, EJOR 147; Crawford & Williams 1985). Thresholds 0.31
    (n = 3), 0.35 (n = 4), 0.37 (n > 4).
    """
    n = a.shape[0]
    if n <= 2:
        return 0.0
    iu = np.triu_indices(n, 1)
    e = np.log(a[iu] * w[iu[1]] / w[iu[0]])
    e = e[np.isfinite(e)]
    return float(2.0 * np.sum(e**2) / ((n - 1) * (n - 2)))


def pairwise_matrix(params: Mapping[str, Any], items: Sequence[str], where: str,
                    allow_missing: bool = False) -> np.ndarray:
    """Read a pairwise matrix from ``matrix`` or ``comparisons``; NaN marks a missing entry.

    Checks: square n × n, positive, unit diagonal, reciprocal (``a_ij a_ji = 1`` within 1e-6,
    so 1/3 may be written 0.333333), and complete unless ``allow_missing``.
    """
    n = len(items)
    if ("matrix" in params) == ("comparisons" in params):
        raise MethodError("give exactly one of 'matrix' (rows in item order) or 'comparisons' "
                          "([i, j, a_ij] triples)", where)
    if "matrix" in params:
        a = _read_matrix(params["matrix"], n, f"{where}.matrix")
        loc = f"{where}.matrix"
    else:
        a = _read_comparisons(params["comparisons"], items, f"{where}.comparisons")
        loc = f"{where}.comparisons"
    check_reciprocal(a, items, loc, allow_missing=allow_missing)
    return a


def _read_matrix(rows: Any, n: int, where: str) -> np.ndarray:
    if not isinstance(rows, Sequence) or len(rows) != n:
        raise MethodError(f"expected {n} rows (one per item)", where)
    a = np.full((n, n), np.nan)
    for i, row in enumerate(rows):
        if not isinstance(row, Sequence) or len(row) != n:
            raise MethodError(f"expected {n} numbers", f"{where}[{i}]")
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                v = _parse_fraction(v, f"{where}[{i}][{j}]")
            if isinstance(v, bool) or not isinstance(v, int | float | np.number):
                raise MethodError(f"expected a number or null, got {v!r}", f"{where}[{i}][{j}]")
            a[i, j] = float(v)
    return a


def _parse_fraction(s: str, where: str) -> float:
    try:
        if "/" in s:
            num, den = s.split("/")
            return float(num) / float(den)
        return float(s)
    except (ValueError, ZeroDivisionError):
        raise MethodError(f"expected a number such as 3 or 1/3, got {s!r}", where) from None


def _read_comparisons(triples: Any, items: Sequence[str], where: str) -> np.ndarray:
    n = len(items)
    pos = {it: k for k, it in enumerate(items)}
    a = np.full((n, n), np.nan)
    np.fill_diagonal(a, 1.0)
    if not isinstance(triples, Sequence):
        raise MethodError("expected a list of [i, j, a_ij] triples", where)
    for k, t in enumerate(triples):
        if not isinstance(t, Sequence) or len(t) != 3:
            raise MethodError(f"expected [i, j, a_ij], got {t!r}", f"{where}[{k}]")
        i, j, v = t
        for x in (i, j):
            if x not in pos:
                raise MethodError(f"unknown item {x!r}; expected one of {list(items)}",
                                  f"{where}[{k}]")
        if isinstance(v, str):
            v = _parse_fraction(v, f"{where}[{k}]")
        if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
            raise MethodError(f"a_ij must be a positive number, got {v!r}", f"{where}[{k}]")
        if i == j:
            raise MethodError("an item compared with itself", f"{where}[{k}]")
        a[pos[i], pos[j]] = float(v)
        a[pos[j], pos[i]] = 1.0 / float(v)
    return a


def check_reciprocal(a: np.ndarray, items: Sequence[str], where: str,
                     allow_missing: bool = False) -> None:
    """Raise if ``a`` is not a positive reciprocal matrix with unit diagonal."""
    n = len(items)
    if a.shape != (n, n):
        raise MethodError(f"expected an {n} × {n} matrix, got {a.shape}", where)
    known = np.isfinite(a)
    bad = np.argwhere(known & (a <= 0))
    if len(bad):
        i, j = bad[0]
        raise MethodError(f"pairwise judgements must be positive, got {a[i, j]:g} "
                          f"({items[i]} vs {items[j]})", f"{where}[{i}][{j}]")
    if not np.all(np.isfinite(np.diag(a))) or not np.allclose(np.diag(a), 1.0):
        i = int(np.flatnonzero(~np.isclose(np.nan_to_num(np.diag(a)), 1.0))[0])
        raise MethodError(f"the diagonal must be 1, got {a[i, i]:g}", f"{where}[{i}][{i}]")
    miss = np.argwhere(~known)
    if len(miss) and not allow_missing:
        i, j = miss[0]
        raise MethodError(f"missing judgement {items[i]} vs {items[j]}; give every pair, or "
                          "use method ahp_incomplete", f"{where}[{i}][{j}]")
    if np.any(known != known.T):
        i, j = np.argwhere(known != known.T)[0]
        raise MethodError(f"a_ij is given but a_ji is not ({items[i]} vs {items[j]}); give "
                          "both or neither", f"{where}[{j}][{i}]")
    prod = np.where(known, a * a.T, 1.0)
    bad = np.argwhere(np.abs(prod - 1.0) > 1e-6 * np.maximum(1.0, prod))
    if len(bad):
        i, j = bad[0]
        raise MethodError(f"not reciprocal: a[{i}][{j}] × a[{j}][{i}] = {a[i, j]:g} × "
                          f"{a[j, i]:g} = {prod[i, j]:g}; expected 1 ({items[i]} vs {items[j]})",
                          f"{where}[{i}][{j}]")


Prioritiser = Callable[[np.ndarray], np.ndarray]


def ahp_settings(params: Mapping[str, Any], where: str) -> tuple[Prioritiser, str, float, str]:
    prio = str(params.get("prioritisation", "eigenvector"))
    fn = PRIORITISATION.get(prio, f"{where}.prioritisation")
    ri = str(params.get("ri_table", "saaty_1980"))
    if ri not in RI_TABLES:
        raise MethodError(f"unknown ri_table {ri!r}; expected one of {sorted(RI_TABLES)}",
                          f"{where}.ri_table")
    thr = float(params.get("cr_threshold", 0.1))
    on = str(params.get("on_inconsistent", "error"))
    if on not in ("error", "flag"):
        raise MethodError(f"on_inconsistent must be 'error' or 'flag', got {on!r}",
                          f"{where}.on_inconsistent")
    return fn, prio, thr, on


def cr_flags(cr: float, thr: float, on: str, where: str, who: str = "") -> list[str]:
    if cr <= thr + 1e-12:
        return []
    msg = f"{who}consistency ratio CR = {cr:.3f} > {thr:g}"
    if on == "error":
        raise MethodError(msg + "; revise the judgements, or set on_inconsistent: flag to "
                          "accept them with a flag", where)
    return [msg]


@WEIGHTING.register("ahp")
def ahp(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
        where: str) -> WeightSet:
    """AHP weights of one expert's complete pairwise matrix, with the consistency ratio.

    ``w = principal eigenvector of A`` (``prioritisation: eigenvector``, Saaty 1980) or the
    row geometric mean (``geometric_mean``). ``CR = ((λ_max − n)/(n − 1)) / RI_n``; CR >
    ``cr_threshold`` (0.1, Saaty's rule) is refused unless ``on_inconsistent: flag``.
    On a consistent matrix ``a_ij = w_i / w_j`` both methods return ``w`` and CR = 0.

    Examples
    --------
    >>> ws = ahp(["a", "b", "c"], None, {"matrix": [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]]},
    ...          "w")
    >>> ws.weights.round(4).tolist(), round(ws.diagnostics["CR"], 6)
    ([0.5714, 0.2857, 0.1429], 0.0)
    """
    check_params(params, COMMON_PARAMS, "ahp", where)
    fn, prio, thr, on = ahp_settings(params, where)
    a = pairwise_matrix(params, items, where)
    w = fn(a)
    cons = consistency(a, str(params.get("ri_table", "saaty_1980")), where)
    flags = cr_flags(cons["CR"], thr, on, where)
    diag = dict(cons, GCI=gci(a, w), matrix=a.tolist())
    return make_weightset(w, items, "ahp", params, where,
                          conventions={"prioritisation": prio,
                                       "ri_table": params.get("ri_table", "saaty_1980"),
                                       "cr_threshold": thr},
                          diagnostics=diag, flags=flags)


@WEIGHTING.register("ahp_group")
def ahp_group(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
              where: str) -> WeightSet:
    """Group AHP over several experts' matrices, with a consensus measure.

    ``aggregation``:

    - ``aij`` (aggregation of individual judgements, default): the group matrix is the
      weighted geometric mean ``a^G_ij = Π_k a_ijk^{λ_k}`` (the only mean that keeps the
      matrix reciprocal), then prioritised;
    - ``aip`` (aggregation of individual priorities): each expert's priorities ``w_k`` are
      combined by the normalised weighted geometric mean ``w^G_i ∝ Π_k w_ik^{λ_k}``
      (``aip_mean: geometric``, default) or arithmetic mean (``aip_mean: arithmetic``).

    Forman & Peniwati 1998, "Aggregating individual judgments and priorities with the AHP",
    EJOR 108. ``expert_weights`` λ (default equal) are normalised to sum 1. With the row
    geometric mean, AIJ and geometric AIP give identical weights.

    Consensus: each expert's geometric compatibility index with the group priorities,
    ``GCI_k = 2/((n−1)(n−2)) Σ_{i<j} log²(a_ijk w^G_j / w^G_i)`` (Aguarón &
    Moreno-Jiménez 2003; Escobar, Aguarón & Moreno-Jiménez 2004, "A note on AHP group
    consistency for the row geometric mean priorization procedure", EJOR 153), reported per
    expert and as their λ-weighted mean; 0 means every expert agrees with the group
    exactly. Each expert's CR is checked as in ``ahp``.

    Examples
    --------
    >>> m1 = [[1, 2], [0.5, 1]]; m2 = [[1, 8], [0.125, 1]]
    >>> ahp_group(["a", "b"], None, {"matrices": [m1, m2]}, "w").weights.round(4).tolist()
    [0.8, 0.2]
    """
    check_params(params, [*COMMON_PARAMS, "matrices", "expert_weights", "aggregation", "aip_mean"],
                 "ahp_group", where)
    fn, prio, thr, on = ahp_settings(params, where)
    mats = params.get("matrices")
    if not isinstance(mats, Sequence) or len(mats) < 1:
        raise MethodError("ahp_group needs 'matrices': a list of pairwise matrices, one per "
                          "expert", f"{where}.matrices")
    ri = str(params.get("ri_table", "saaty_1980"))
    a = np.stack([_read_matrix(m, len(items), f"{where}.matrices[{k}]")
                  for k, m in enumerate(mats)])
    for k in range(len(a)):
        check_reciprocal(a[k], items, f"{where}.matrices[{k}]")
    lam = params.get("expert_weights")
    lam = np.full(len(a), 1.0 / len(a)) if lam is None else np.asarray(lam, dtype=float)
    if lam.shape != (len(a),) or np.any(lam < 0) or lam.sum() <= 0:
        raise MethodError(f"expert_weights must be {len(a)} numbers ≥ 0 with a positive sum",
                          f"{where}.expert_weights")
    lam = lam / lam.sum()
    flags: list[str] = []
    crs = []
    for k in range(len(a)):
        c = consistency(a[k], ri, where)["CR"]
        crs.append(c)
        flags += cr_flags(c, thr, on, f"{where}.matrices[{k}]", who=f"expert {k}: ")
    agg = str(params.get("aggregation", "aij"))
    if agg == "aij":
        g = np.exp(np.tensordot(lam, np.log(a), axes=1))
        w = fn(g)
        group_cr = consistency(g, ri, where)["CR"]
    elif agg == "aip":
        ind = np.stack([fn(m) for m in a])
        mean = str(params.get("aip_mean", "geometric"))
        if mean == "geometric":
            w = np.exp(lam @ np.log(ind))
        elif mean == "arithmetic":
            w = lam @ ind
        else:
            raise MethodError(f"aip_mean must be 'geometric' or 'arithmetic', got {mean!r}",
                              f"{where}.aip_mean")
        w = w / w.sum()
        group_cr = float("nan")
    else:
        raise MethodError(f"aggregation must be 'aij' (judgements) or 'aip' (priorities), got "
                          f"{agg!r}", f"{where}.aggregation")
    gcis = [gci(m, w / w.sum()) for m in a]
    return make_weightset(
        w, items, "ahp_group", params, where,
        conventions={"aggregation": agg, "prioritisation": prio, "ri_table": ri,
                     "consensus": "GCI of each expert with the group priorities"},
        diagnostics={"expert_CR": crs, "group_CR": group_cr, "expert_GCI": gcis,
                     "consensus_GCI": float(lam @ np.array(gcis)), "expert_weights": lam},
        flags=flags)
