"""Totals under many weight vectors at once, aggregated over the real tree; batched ranks.

:func:`aggregate_batch` is :func:`evalkit.aggregation.scorecard.aggregate_office` for R
replications of the local weights: every node aggregates its children bottom-up
(``tree.order``) with its own method from :data:`evalkit.aggregation.means.AGGREGATION`,
missing cells are dropped and their siblings reweighted. It reuses the registry:

- a method with a ``generator`` ``(f, f⁻¹)`` (arithmetic, geometric, harmonic) is a
  weighted quasi-arithmetic mean, linear in the weights on ``f(scores)``: a node's
  numerator and denominator are matrix products (replications × children) @ (children ×
  units), finished by :func:`~evalkit.aggregation.means.quasi_mean_finish`. A subtree in
  which no unit misses a cell and every node shares the generator collapses to global
  coefficients (nested quasi-arithmetic means with one generator are one such mean with the
  products of the weights), so a complete arithmetic tree is ONE matrix product; units
  without a missing cell are evaluated apart from the others for this;
- other methods (the weighted median) run their ``value`` function on a broadcast
  replications × units × children, in chunks of replications so that memory stays bounded
  (a ``presorted`` method over indicators only sorts each unit's scores once).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from evalkit.aggregation.means import (
    AGGREGATION,
    Generator,
    check_domain,
    quasi_mean_finish,
    to_generator_space,
)
from evalkit.analysis.uncertainty.coefficients import Coefficients, structure
from evalkit.analysis.uncertainty.problem import (
    UncertaintyProblem,
    local_from_global,
    make_tree,
)
from evalkit.spec.tree import Tree

#: the aggregation option that keeps every node's own method
NOMINAL = "nominal"
#: memory a chunk of replications may use for the dense node values (bytes)
CHUNK_BYTES = 1 << 28
#: elements per step of the batched ranking (rows × units)
RANK_STEP = 1 << 17


def _value_function(method: str) -> Any:
    fn = AGGREGATION.trait(method, "value", None)
    if fn is not None:
        return fn
    agg = AGGREGATION.get(method)

    def value(X: np.ndarray, W: np.ndarray) -> np.ndarray:
        m = X.shape[-1]
        return agg(X.reshape(-1, m), W.reshape(-1, m))[0].reshape(X.shape[:-1])

    return value


class _TreeBatch:
    """One evaluation of a tree for replications × (indicator, node) weights.

    ``coefficients`` (with ``rows``, the replications of it that ``IW``, ``NW`` are) lets
    batches of the same replications share the linear nodes' coefficients."""

    def __init__(self, S: np.ndarray, tree: Tree, IW: np.ndarray, NW: np.ndarray,
                 coefficients: Coefficients | None = None, rows: np.ndarray | None = None
                 ) -> None:
        k = len(tree.nodes)
        self.S, self.K, self.IW, self.NW = S, np.isfinite(S), IW, NW
        self.Kf = self.K.astype(float)
        self.parent, self.ci, self.cn = structure(tree)
        self.methods = [*tree.methods, tree.root_method]
        self.order = [*tree.order, k]
        self.gen: list[Generator | None] = [AGGREGATION.trait(m, "generator", None)
                                            for m in self.methods]
        self._fspace: dict[Generator, tuple[np.ndarray, np.ndarray | None]] = {}
        self.linear = self._plan()
        self._coefficients = Coefficients(tree, IW, NW) if coefficients is None else \
            coefficients
        self._rows = rows
        self._coef: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    # -- planning: which nodes collapse to global coefficients -----------------------------
    def _plan(self) -> dict[int, bool]:
        active = self.IW.max(axis=0, initial=0.0) > 0
        complete = self.K.all(axis=0) | ~active      # every unit has the indicator's score
        linear: dict[int, bool] = {}
        for j in self.order:
            AGGREGATION.get(self.methods[j], "aggregation")
            ci = self.ci[j]
            check_domain(self.methods[j], self.S[:, ci], self.K[:, ci])
            g = self.gen[j]
            linear[j] = (g is not None and bool(complete[ci].all())
                         and all(linear[c] and self.gen[c] is g for c in self.cn[j]))
        return linear

    def coef(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Global coefficients of linear node ``j`` for this batch's replications
        (:class:`Coefficients`)."""
        if j not in self._coef:
            self._coef[j] = self._coefficients(j, self._rows)
        return self._coef[j]

    def fspace(self, j: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``f(S)`` (0 where missing or infinite) and the signs of infinite ``f`` (None when
        there are none) for node ``j``'s generator (cached per generator)."""
        g = self.gen[j]
        assert g is not None
        if g not in self._fspace:
            F, A = to_generator_space(np.where(self.K, self.S, 1.0), g)
            self._fspace[g] = (np.where(self.K, F, 0.0),
                               None if A is None else np.where(self.K, A, 0.0))
        return self._fspace[g]

    # -- evaluation of a chunk of replications --------------------------------------------
    def _materialise(self, j: int, sl: slice) -> tuple[np.ndarray, np.ndarray]:
        C, ok = self.coef(j)
        C, ok = C[sl], ok[sl]
        F, A = self.fspace(j)
        absorbed = None if A is None else (C > 0).astype(float) @ A.T
        V = quasi_mean_finish(C @ F.T, C.sum(axis=1)[:, None], absorbed, self.gen[j])
        return V, np.broadcast_to(ok[:, None], V.shape)

    def _dense_quasi(self, j: int, sl: slice, vals: dict[int, Any]
                     ) -> tuple[np.ndarray, np.ndarray]:
        g, ci = self.gen[j], self.ci[j]
        assert g is not None
        w = self.IW[sl][:, ci]
        F, A = self.fspace(j)
        num, den = w @ F[:, ci].T, w @ self.Kf[:, ci].T
        absorbed = None if A is None else (w > 0).astype(float) @ A[:, ci].T
        for c in self.cn[j]:
            V, ok = vals.pop(c)
            check_domain(self.methods[j], V, ok)
            Fv, Av = to_generator_space(np.where(ok, V, 1.0), g)
            wc = self.NW[sl, c][:, None] * ok
            num += wc * Fv
            den += wc
            if Av is not None:
                absorbed = np.where(wc > 0, Av, 0.0) + (0.0 if absorbed is None else absorbed)
        return quasi_mean_finish(num, den, absorbed, g), den > 0

    def _dense_value(self, j: int, sl: slice, vals: dict[int, Any]
                     ) -> tuple[np.ndarray, np.ndarray]:
        ci, n = self.ci[j], self.S.shape[0]
        R = len(self.IW[sl])
        ws = [self.IW[sl][:, None, ci] * self.K[None, :, ci]]
        fn = _value_function(self.methods[j])
        if not len(self.cn[j]) and AGGREGATION.trait(self.methods[j], "presorted"):
            # the scores are the same in every replication: sorted once per unit
            X = np.nan_to_num(self.S[:, ci])
            W = ws[0]
            return fn(X, W, order=np.argsort(X, axis=-1)), W.sum(axis=-1) > 0
        xs = [np.broadcast_to(self.S[None, :, ci], (R, n, len(ci)))]
        for c in self.cn[j]:
            V, ok = vals.pop(c)
            check_domain(self.methods[j], V, ok)
            xs.append(V[..., None])
            ws.append((self.NW[sl, c][:, None] * ok)[..., None])
        X, W = np.concatenate(xs, axis=-1), np.concatenate(ws, axis=-1)
        return fn(X, W), W.sum(axis=-1) > 0

    def run(self, sl: slice) -> np.ndarray:
        """Office scores of the replications ``sl``: replications × units."""
        vals: dict[int, Any] = {}
        for j in self.order:
            p = self.parent[j]
            if self.linear[j] and p >= 0 and self.linear[p]:
                continue
            if self.linear[j]:
                vals[j] = self._materialise(j, sl)
            elif self.gen[j] is not None:
                vals[j] = self._dense_quasi(j, sl, vals)
            else:
                vals[j] = self._dense_value(j, sl, vals)
        return vals[self.order[-1]][0]

    def chunk(self) -> int:
        """Replications per chunk so that the dense values stay within :data:`CHUNK_BYTES`."""
        widths = [len(self.ci[j]) + len(self.cn[j]) for j in self.order
                  if not self.linear[j] and self.gen[j] is None]
        cells = self.S.shape[0] * (len(self.order) + 4 + 6 * max(widths, default=0))
        return max(1, CHUNK_BYTES // (8 * cells))


def aggregate_batch(S: np.ndarray, tree: Tree, IW: np.ndarray, NW: np.ndarray,
                    chunk: int | None = None, *, coefficients: Coefficients | None = None,
                    rows: np.ndarray | None = None) -> np.ndarray:
    """Office scores of every unit under every replication's weights: replications × units.

    Parameters
    ----------
    S : array (units × indicators)
        Scores; NaN = missing (dropped, its siblings reweighted, as ``missing: reweight``).
    tree : Tree
        Structure and aggregation methods (its weights are not used).
    IW, NW : arrays (replications × indicators), (replications × nodes)
        Local weights: an indicator's weight among its node's children, a node's among its
        parent's (any scale: each mean divides by the sum of its weights).
    chunk : int, optional
        Replications per chunk (default: from :data:`CHUNK_BYTES`).
    coefficients, rows : Coefficients, array of int, optional
        The linear nodes' coefficients of a larger set of replications, of which ``IW``,
        ``NW`` are the ``rows`` (to share them between calls; default: computed here).

    Returns
    -------
    ndarray (replications × units), equal for each replication to
    ``aggregate_office(S, keep, cat, tree with those weights)["office"]``.
    """
    S, IW, NW = (np.asarray(a, dtype=float) for a in (S, IW, NW))
    if coefficients is None:
        coefficients, rows = Coefficients(tree, IW, NW), None
    active = IW.max(axis=0, initial=0.0) > 0
    complete = np.isfinite(S[:, active]).all(axis=1)
    if complete.all() or not complete.any():
        return _run_chunks(_TreeBatch(S, tree, IW, NW, coefficients, rows), chunk)
    # units without a missing cell collapse further (one product for a one-generator tree)
    out = np.empty((len(IW), S.shape[0]))
    for part in (complete, ~complete):
        out[:, part] = _run_chunks(_TreeBatch(S[part], tree, IW, NW, coefficients, rows),
                                   chunk)
    return out


def _run_chunks(batch: _TreeBatch, chunk: int | None) -> np.ndarray:
    R = len(batch.IW)
    step = chunk or batch.chunk()
    if step >= R:
        return batch.run(slice(0, R))
    out = np.empty((R, batch.S.shape[0]))
    for start in range(0, R, step):
        out[start:start + step] = batch.run(slice(start, start + step))
    return out


def with_method(tree: Tree, aggregation: str) -> Tree:
    """The tree with every node aggregated by ``aggregation`` (:data:`NOMINAL`: unchanged)."""
    if aggregation == NOMINAL:
        return tree
    AGGREGATION.get(aggregation, "aggregation")
    return dataclasses.replace(tree, methods=[aggregation] * len(tree.nodes),
                               root_method=aggregation)


def totals_local(p: UncertaintyProblem, IW: np.ndarray, NW: np.ndarray,
                 s_idx: np.ndarray | None = None, a_idx: np.ndarray | None = None,
                 aggregations: tuple[str, ...] | list[str] = (NOMINAL,),
                 mats: list[np.ndarray] | None = None) -> np.ndarray:
    """Totals ``offset + scale · office`` (replications × units) for local weights, with
    replication r on score option ``s_idx[r]`` and aggregation ``aggregations[a_idx[r]]``:
    one :func:`aggregate_batch` per distinct (score option, aggregation) pair. ``mats``:
    ``p.score_arrays()[1]`` when the caller has it."""
    R = len(IW)
    s_idx = np.zeros(R, dtype=int) if s_idx is None else s_idx
    a_idx = np.zeros(R, dtype=int) if a_idx is None else a_idx
    mats = p.score_arrays()[1] if mats is None else mats
    key = np.asarray(s_idx, dtype=np.int64) * len(aggregations) + np.asarray(a_idx)
    combos = np.flatnonzero(np.bincount(key))
    if len(combos) == 1:
        s, a = divmod(int(combos[0]), len(aggregations))
        C = aggregate_batch(mats[s], with_method(p.tree, aggregations[a]), IW, NW)
    else:
        C = np.empty((R, p.scores.shape[0]))
        coefficients = Coefficients(p.tree, IW, NW)    # shared: they depend on weights only
        for combo in combos:
            s, a = divmod(int(combo), len(aggregations))
            sel = np.flatnonzero(key == combo)
            C[sel] = aggregate_batch(mats[s], with_method(p.tree, aggregations[a]), IW[sel],
                                     NW[sel], coefficients=coefficients, rows=sel)
    scale, offset = p.scale.to_numpy(dtype=float), p.offset.to_numpy(dtype=float)
    if not np.all(scale == 1.0):
        C *= scale[None, :]
    if np.any(offset != 0.0):
        C += offset[None, :]
    return C


def totals_batch(p: UncertaintyProblem, W: np.ndarray, aggregation: str = NOMINAL,
                 score_option: int = 0) -> np.ndarray:
    """Totals (columns of ``W`` × units) of ``p`` under global indicator weights ``W``
    (indicators × k): ``offset + scale · office``, the local weights recovered by
    :func:`~evalkit.analysis.uncertainty.problem.local_from_global`."""
    IW, NW = local_from_global(p.tree, W)
    k = np.zeros(W.shape[1], dtype=int)
    return totals_local(p, IW, NW, k + score_option, k, (aggregation,))


def composite_batch(S: np.ndarray, W: np.ndarray, gidx: np.ndarray | None = None,
                    aggregation: str = "arithmetic") -> np.ndarray:
    """Composites of a two-level tree (indicators in groups ``gidx``, groups under the root,
    every node aggregated by ``aggregation``) under global weights ``W`` (indicators ×
    replications): replications × units. Missing cells (NaN) are dropped and their group
    reweighted; a group without data is dropped at the root.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.array([[10., 90.], [80., 20.]])
    >>> composite_batch(S, np.array([[0.75, 0.5], [0.25, 0.5]])).tolist()
    [[30.0, 65.0], [50.0, 50.0]]
    """
    AGGREGATION.get(aggregation, "aggregation")
    g = np.zeros(S.shape[1], dtype=int) if gidx is None else np.asarray(gidx)
    names, inv = np.unique(g, return_inverse=True)
    tree = make_tree([str(i) for i in range(S.shape[1])], [str(x) for x in names], inv,
                     np.full(len(names), -1), W[:, 0], np.ones(len(names)),
                     [aggregation] * len(names), aggregation)
    IW, NW = local_from_global(tree, W)
    return aggregate_batch(S, tree, IW, NW)


def nominal_composite(p: UncertaintyProblem) -> pd.Series:
    """Office score (before offset/scale) under the nominal weights and methods."""
    c = aggregate_batch(p.scores.to_numpy(dtype=float), p.tree, p.tree.ind_w, p.tree.node_w)
    return pd.Series(c[0], index=p.scores.index, name="composite")


def ranks_within(C: np.ndarray, category_codes: np.ndarray, *, stable: bool = False,
                 orders: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """Ranks (1 = best) of each row's units within their category: replications × units.

    One ``argsort`` per category over the replications matrix; exact ties (measure zero
    under continuous weights) are broken arbitrarily unless ``stable`` (unit order); no
    score (NaN) ranks last. When ``orders`` is a dict, it receives each category's argsort
    (best first) for re-use by :func:`evalkit.aggregation.grades.grade_matrix`.

    Examples
    --------
    >>> import numpy as np
    >>> ranks_within(np.array([[3., 1., 2., 9.]]), np.array([0, 0, 0, 1])).tolist()
    [[1, 3, 2, 1]]
    """
    R, n = C.shape
    ranks = np.empty((R, n), dtype=np.int32)
    for c in np.unique(category_codes):
        cols = np.flatnonzero(category_codes == c)
        sub = C[:, cols] if len(cols) < n else C        # a copy only when sub-selecting
        m = len(cols)
        r = np.empty((R, m), dtype=np.int32)
        order = np.empty((R, m), dtype=np.intp) if orders is not None else None
        # rows in steps that stay in cache (~1 MB of indices): twice as fast as one sort
        step = max(1, RANK_STEP // m)
        base = (np.arange(step, dtype=np.intp) * m)[:, None]
        ones = np.tile(np.arange(1, m + 1, dtype=np.int32), step)
        for s0 in range(0, R, step):
            rows = slice(s0, min(s0 + step, R))
            # descending order of -sub: NaN (no score) sorts last, as numpy sorts NaN last
            o = np.argsort(-sub[rows], axis=1, kind="stable" if stable else None)
            k = len(o)
            r[rows].ravel()[(o + base[:k]).ravel()] = ones[: k * m]
            if order is not None:
                order[rows] = o
        ranks[:, cols] = r
        if orders is not None:
            orders[int(c)] = order
    return ranks
