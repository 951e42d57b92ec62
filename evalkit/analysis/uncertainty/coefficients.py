"""Global coefficients of a tree's nodes under many replications of its local weights.

A node aggregated with all its descendants by one quasi-arithmetic mean (arithmetic,
geometric, harmonic) applies to ``f(scores)`` one weighted mean whose coefficients are the
products of the local weights along the paths, renormalised (:class:`Coefficients`);
:mod:`evalkit.analysis.uncertainty.batch` uses them to collapse such a subtree into one
matrix product.
"""

from __future__ import annotations

import functools

import numpy as np

from evalkit.spec.tree import Tree


@functools.lru_cache(maxsize=64)
def _structure(ind_parent: bytes, node_parent: bytes, k: int
               ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Each node's parent (the root is node ``k``; −1 above it), indicator children and node
    children, from the tree's parent arrays (as bytes, so that trees that differ only in
    their methods or weights share it)."""
    ip, npar = np.frombuffer(ind_parent, dtype=np.int64), np.frombuffer(node_parent, np.int64)
    parent = np.append(np.where(npar < 0, k, npar), -1)
    return (parent, [np.flatnonzero(ip == j) for j in range(k + 1)],
            [np.flatnonzero(parent == j) for j in range(k + 1)])


def structure(tree: Tree) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """:func:`_structure` of ``tree``: parents, indicator children, node children."""
    return _structure(np.asarray(tree.ind_parent, dtype=np.int64).tobytes(),
                      np.asarray(tree.node_parent, dtype=np.int64).tobytes(), len(tree.nodes))


class Coefficients:
    """Global coefficients of nodes for every replication of the local weights ``IW``,
    ``NW``: node ``j``'s are its indicators' weights in its subtree (replications ×
    indicators, rows summing to 1) and whether it has weight at all (replications,).

    For a node aggregated with its descendants by one quasi-arithmetic mean (a *linear*
    node), they are what the node applies to ``f(scores)``. They depend on the weights
    only, so one object serves every score option and aggregation of a block of
    replications; each node's are computed once, when first asked for. ``rows`` selects the
    replications a batch evaluates.
    """

    def __init__(self, tree: Tree, IW: np.ndarray, NW: np.ndarray) -> None:
        self.IW, self.NW = IW, NW
        _, self.ci, self.cn = structure(tree)
        self._memo: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, j: int, rows: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        if j not in self._memo:
            C = np.zeros_like(self.IW)
            C[:, self.ci[j]] = self.IW[:, self.ci[j]]
            for c in self.cn[j]:
                Cc, ok = self(c)
                C += (self.NW[:, c] * ok)[:, None] * Cc
            tot = C.sum(axis=1)
            C /= np.where(tot > 0, tot, 1.0)[:, None]
            self._memo[j] = (C, tot > 0)
        C, ok = self._memo[j]
        return (C, ok) if rows is None else (C[rows], ok[rows])
