"""The office scorecard as arrays: nodes (perspectives, pillars, …) above indicators.

One place computes what every layer needs of the tree's shape: each node's depth, the
bottom-up order, the levels, and global weights (the product of normalised weights down the
tree), so that scoring, weighting schemes, aggregation and the Monte Carlo agree.

Examples
--------
>>> import numpy as np
>>> parent = np.array([-1, 0, 0])                 # a root with two children
>>> global_node_weights(np.array([[1.0, 3.0, 1.0]]), parent).round(2).tolist()
[[1.0, 0.75, 0.25]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.spec.schema import Spec


def sibling_shares(W: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Weights normalised among siblings: ``W[:, i] / Σ_{j: parent_j = parent_i} W[:, j]``.

    ``W`` is rows × items (rows: units, categories or replications), ``parent`` the parent
    index of each item (−1 for a root; roots are siblings of each other). Items whose
    siblings all weigh 0 get 0.
    """
    key = np.where(parent < 0, parent.max(initial=-1) + 1, parent)
    onehot = np.zeros((len(key), int(key.max(initial=-1)) + 1))
    onehot[np.arange(len(key)), key] = 1.0
    den = (W @ onehot)[:, key]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, W / den, 0.0)


def global_node_weights(node_w: np.ndarray, parent: np.ndarray,
                        local: np.ndarray | None = None) -> np.ndarray:
    """Global weight of each node: the product of its sibling shares from the root down.

    ``node_w`` is rows × nodes (nominal weights; 0 for a node that does not apply),
    ``parent`` the parent index of each node (−1 for a root). Global weights of the roots
    sum to 1 in each row that has any weight. ``local`` gives the nodes' shares within their
    parents when they are not shares among nodes alone (a node whose children include
    indicators: see :meth:`Tree.global_weights`).
    """
    local = sibling_shares(node_w, parent) if local is None else local
    gw = local.copy()
    depth = node_depth(parent)
    for node in np.argsort(depth, kind="stable"):          # parents before children
        if parent[node] >= 0:
            gw[:, node] = gw[:, parent[node]] * local[:, node]
    return gw


def node_depth(parent: np.ndarray) -> np.ndarray:
    """Depth of each node (0 for a root) from the parent indices."""
    depth = np.zeros(len(parent), dtype=int)
    for k in range(len(parent)):
        cur = k
        while parent[cur] >= 0:
            cur = parent[cur]
            depth[k] += 1
    return depth


def _per_category(weight: float | dict[str, float], cat: str) -> float:
    return weight.get(cat, 0.0) if isinstance(weight, dict) else weight


@dataclass
class Tree:
    """The office scorecard as arrays.

    ``ind_w[c, j]`` / ``node_w[c, k]`` are the nominal weights of indicator j / node k in
    category c (0 where an indicator does not apply); ``order`` lists nodes bottom-up;
    ``levels`` counts up from 1 just above the indicators.
    """

    categories: list[str]
    indicators: list[str]
    nodes: list[str]
    ind_parent: np.ndarray          # node index of each indicator
    node_parent: np.ndarray         # node index of each node's parent, -1 for a root
    ind_w: np.ndarray               # categories × indicators
    node_w: np.ndarray              # categories × nodes
    methods: list[str]              # aggregation per node
    root_method: str
    order: list[int]
    levels: np.ndarray

    @classmethod
    def from_spec(cls, spec: Spec) -> Tree:
        """The tree of ``spec``'s perspectives and indicators, with nominal weights."""
        cats = spec.category_ids()
        nodes = [p.id for p in spec.perspectives]
        nidx = {n: k for k, n in enumerate(nodes)}
        inds = spec.indicators
        ind_w = np.array([[_per_category(i.weight, c) if i.categories is None
                           or c in i.categories else 0.0 for i in inds] for c in cats],
                         dtype=float).reshape(len(cats), len(inds))
        node_w = np.array([[_per_category(p.weight, c) for p in spec.perspectives]
                           for c in cats], dtype=float).reshape(len(cats), len(nodes))
        parent = np.array([nidx[p.parent] if p.parent else -1 for p in spec.perspectives],
                          dtype=int)
        depth = node_depth(parent)
        order = sorted(range(len(nodes)), key=lambda k: -depth[k])
        levels = depth.max() - depth + 2 if len(nodes) else depth
        return cls(cats, [i.id for i in inds], nodes,
                   np.array([nidx[i.perspective] for i in inds], dtype=int), parent, ind_w,
                   node_w, [p.aggregation or spec.defaults.aggregation
                            for p in spec.perspectives],
                   spec.defaults.aggregation, order, levels)

    @property
    def depth(self) -> np.ndarray:
        """Depth of each node (0 for a top node)."""
        return node_depth(self.node_parent)

    def global_weights(self, node_w: np.ndarray | None = None,
                       ind_w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Global weights of nodes and indicators: rows × nodes and rows × indicators.

        Defaults to the nominal weights per category. A child's share is its weight over the
        weights of all its parent's children, indicators and sub-nodes together (as the
        parent's aggregate weighs them); an indicator's global weight is its node's global
        weight times its share.
        """
        nw = self.node_w if node_w is None else node_w
        iw = self.ind_w if ind_w is None else ind_w
        n_ind = iw.shape[1]
        shares = sibling_shares(np.concatenate([iw, nw], axis=1),
                                np.concatenate([self.ind_parent, self.node_parent]))
        gn = global_node_weights(nw, self.node_parent, local=shares[:, n_ind:])
        return gn, gn[:, self.ind_parent] * shares[:, :n_ind]
