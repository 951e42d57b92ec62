"""The office scorecard (官评): indicator scores aggregated up the tree, and decomposed.

Each node aggregates its children (indicators and nodes) with its method from
:data:`evalkit.aggregation.means.AGGREGATION`; the office score is the top nodes' aggregate.
Every unit's office score decomposes exactly into indicator contributions: a node's
contribution is its share (the method's ``shares``) of its parent's contribution.

Examples
--------
>>> import numpy as np
>>> from evalkit.spec import Tree
>>> tree = Tree(["all"], ["a", "b"], ["p"], np.array([0, 0]), np.array([-1]),
...             np.array([[3.0, 1.0]]), np.array([[1.0]]), ["arithmetic"], "arithmetic",
...             [0], np.array([2]))
>>> out = aggregate_office(np.array([[80.0, 40.0]]), np.ones((1, 2), bool),
...                        np.array([0]), tree)
>>> out["office"].tolist(), out["ind_contrib"].round(2).tolist()
([70.0], [[60.0, 10.0]])
"""

from __future__ import annotations

import numpy as np

from evalkit.aggregation.means import AGGREGATION
from evalkit.spec.tree import Tree


def aggregate_office(S: np.ndarray, keep: np.ndarray, cat: np.ndarray, tree: Tree,
                     ind_w: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Aggregate indicator scores up the scorecard; decompose the office score.

    Parameters
    ----------
    S, keep : arrays (units × indicators)
        Scores and the cells that enter (missing cells dropped under ``reweight``).
    cat : array (units,)
        Category index of each unit.
    tree : Tree
    ind_w : array (categories × indicators), optional
        Indicator weights replacing the tree's (a weight variant).

    Returns
    -------
    dict with ``office`` (units,), ``node_scores`` (units × nodes), ``ind_contrib``
    (units × indicators, summing to ``office``), ``node_contrib``, ``ind_weight`` (each
    indicator's effective global weight) and ``node_weight``.
    """
    n, k = len(cat), len(tree.nodes)
    Wi = (tree.ind_w if ind_w is None else ind_w)[cat] * keep
    Wn = tree.node_w[cat]
    NS = np.full((n, k), np.nan)
    shares_ind = np.zeros_like(S)
    node_share = np.zeros((n, k))
    node_ok = np.zeros((n, k), dtype=bool)
    for node in tree.order:
        ci = np.flatnonzero(tree.ind_parent == node)
        cn = np.flatnonzero(tree.node_parent == node)
        X = np.concatenate([S[:, ci], NS[:, cn]], axis=1)
        W = np.concatenate([Wi[:, ci], Wn[:, cn] * node_ok[:, cn]], axis=1)
        NS[:, node], sh = AGGREGATION.get(tree.methods[node])(X, W)
        node_ok[:, node] = W.sum(axis=1) > 0
        shares_ind[:, ci] = sh[:, : len(ci)]
        node_share[:, cn] = sh[:, len(ci):]
    roots = np.flatnonzero(tree.node_parent < 0)
    office, node_share[:, roots] = AGGREGATION.get(tree.root_method)(
        NS[:, roots], Wn[:, roots] * node_ok[:, roots])
    # top-down: contribution of a node = its share of its parent's contribution
    NC = np.zeros((n, k))
    for node in reversed(tree.order):
        p = tree.node_parent[node]
        NC[:, node] = (np.nan_to_num(office) if p < 0 else NC[:, p]) * node_share[:, node]
    GN, GI = tree.global_weights(node_w=Wn * node_ok, ind_w=Wi)
    return {"office": office, "node_scores": NS, "ind_contrib": NC[:, tree.ind_parent] * shares_ind,
            "node_contrib": NC, "ind_weight": GI, "node_weight": GN}
