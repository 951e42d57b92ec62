"""What the Monte Carlo perturbs: scores, the scorecard tree with its nominal weights, and the
rest of the total.

The tree is a :class:`evalkit.spec.tree.Tree` with one row of weights (the problem's
nominal weights): every node keeps its own aggregation method, so a replication is the
evaluation's own aggregation with other weights. Global weights come from the tree
(:meth:`~evalkit.spec.tree.Tree.global_weights`), the one implementation.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError
from evalkit.spec.tree import Tree, node_depth, sibling_shares
from evalkit.weights import WeightSet


def make_tree(indicators: Sequence[str], nodes: Sequence[str], ind_parent: np.ndarray,
              node_parent: np.ndarray, ind_w: np.ndarray, node_w: np.ndarray,
              methods: Sequence[str], root_method: str, category: str = "all") -> Tree:
    """A one-row :class:`~evalkit.spec.tree.Tree` (weights of one problem), bottom-up order
    and levels as :meth:`Tree.from_spec` derives them."""
    parent = np.asarray(node_parent, dtype=int)
    depth = node_depth(parent)
    order = sorted(range(len(nodes)), key=lambda k: -depth[k])
    levels = depth.max() - depth + 2 if len(nodes) else depth
    return Tree([category], list(indicators), list(nodes), np.asarray(ind_parent, dtype=int),
                parent, np.asarray(ind_w, dtype=float).reshape(1, -1),
                np.asarray(node_w, dtype=float).reshape(1, -1), list(methods), root_method,
                order, levels)


def ancestor_matrix(tree: Tree) -> np.ndarray:
    """Indicators × nodes: 1 where the node is the indicator's parent or an ancestor of it."""
    A = np.zeros((len(tree.indicators), len(tree.nodes)))
    for i, k in enumerate(tree.ind_parent):
        while k >= 0:
            A[i, k] = 1.0
            k = tree.node_parent[k]
    return A


def local_from_global(tree: Tree, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local weights (``IW``: columns × indicators, ``NW``: columns × nodes) reproducing the
    global indicator weights ``W`` (indicators × columns): an indicator keeps its weight
    (only ratios among siblings matter), a node weighs the sum of its indicators' weights.
    The inverse of :meth:`Tree.global_weights` (exact when no node has both indicators and
    nodes as children)."""
    return W.T.copy(), W.T @ ancestor_matrix(tree)


@dataclass
class UncertaintyProblem:
    """Scores, the scorecard tree with nominal weights, and the rest of the total.

    ``total = offset + scale · office``, where ``office`` aggregates ``scores`` up ``tree``
    (every node with its own method, missing cells dropped and their siblings reweighted,
    as :func:`evalkit.aggregation.scorecard.aggregate_office` does).

    Attributes
    ----------
    scores : DataFrame
        Units × indicators scores (0–100); NaN = missing (not entering aggregation).
    tree : Tree
        Nodes above the indicators (``tree.indicators`` = ``scores.columns``), their
        aggregation methods and one row of nominal weights.
    category : Series
        Category of each unit (ranks and quotas are within category).
    offset, scale : Series
        ``total = offset + scale · office`` per unit (defaults 0 and 1).
    grades : DataFrame, optional
        Grade levels best first: ``grade``, ``min_score`` (NaN: none), ``quota`` (share of the
        category, NaN: none) — as ``meta_grades`` in the Results.
    quota_rounding, grade_ties : str
        ``floor``/``round``/``ceil`` (quota × n → count); ``demote``/``admit`` at a quota
        boundary (:func:`evalkit.aggregation.grades.grade_matrix`).
    veto : Series of bool, optional
        Units under a one-vote veto (一票否决): never graded better than ``veto_max``.
    veto_max : int, optional
        Index of the best grade a vetoed unit may get (default: the lowest grade).
    decimals : int, optional
        The nominal rank and grade are computed as published: totals rounded to
        ``decimals``, ranks by pandas' method ``ties``; replications use unrounded totals.
    ties : str
        Rank method for ties in the nominal ranking (``min``, ``dense``, ``first``).
    score_options : dict of str to DataFrame
        Alternative score matrices (other normalisations); ``scores`` is the nominal one.
    score_factors : dict of str to list of str
        When the score options are a grid of independent choices (treatment limit ×
        normalisation × missing policy, as COINr's ``get_sensitivity`` varies them), each
        factor's labels; ``score_options`` then holds one matrix per combination, keyed by
        :func:`variant_key`. Empty: the options form one factor (``normalisation``).
    weight_options : dict of str to (within, group_weights)
        Alternative weights (other schemes): indicator weights within their node and node
        weights within their parent (nodes not given keep their nominal weight).
    provenance : dict
        Where the problem came from (spec, period, category).
    """

    scores: pd.DataFrame
    tree: Tree
    category: pd.Series
    offset: pd.Series
    scale: pd.Series
    grades: pd.DataFrame | None = None
    quota_rounding: str = "floor"
    grade_ties: str = "demote"
    veto: pd.Series | None = None
    veto_max: int | None = None
    decimals: int | None = None
    ties: str = "min"
    score_options: dict[str, pd.DataFrame] = field(default_factory=dict)
    weight_options: dict[str, tuple[pd.Series, pd.Series]] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    score_factors: dict[str, list[str]] = field(default_factory=dict)

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_weights(cls, scores: pd.DataFrame, weights: pd.Series | WeightSet | None = None,
                     groups: pd.Series | Mapping[str, str] | None = None,
                     group_weights: pd.Series | Mapping[str, float] | None = None,
                     category: pd.Series | None = None, offset: pd.Series | None = None,
                     scale: pd.Series | None = None, grades: pd.DataFrame | None = None,
                     aggregation: str = "arithmetic") -> UncertaintyProblem:
        """A two-level problem: indicators in groups (perspectives), groups under the root.

        ``weights`` are indicator weights (global if ``group_weights`` is None, then the
        group weights are their sums; within-group otherwise); default equal. ``groups``
        maps indicator -> perspective (default: all in one group ``"all"``). Every node
        aggregates with ``aggregation``.

        Examples
        --------
        >>> import pandas as pd
        >>> from evalkit.analysis.uncertainty import nominal_composite
        >>> s = pd.DataFrame({"a": [10., 80.], "b": [90., 20.]}, index=["u1", "u2"])
        >>> p = UncertaintyProblem.from_weights(s, pd.Series({"a": .75, "b": .25}))
        >>> nominal_composite(p).round(2).tolist()
        [30.0, 65.0]
        """
        inds = [str(c) for c in scores.columns]
        scores = scores.set_axis(inds, axis=1).astype(float)
        if isinstance(weights, WeightSet):
            weights = weights.weights
        w = pd.Series(1.0, index=inds) if weights is None else \
            pd.Series(weights, dtype=float).reindex(inds)
        if w.isna().any() or (w < 0).any() or w.sum() <= 0:
            raise EvalkitError(f"weights must be ≥ 0, one per indicator {inds}", "weights")
        g = pd.Series("all", index=inds) if groups is None else \
            pd.Series(groups).reindex(inds)
        if g.isna().any():
            raise EvalkitError(f"no group for indicators {g[g.isna()].index.tolist()}",
                               "groups")
        g = g.astype(str)
        names = list(g.unique())
        if group_weights is None:
            gw = w.groupby(g, sort=False).sum()
        else:
            gw = pd.Series(group_weights, dtype=float)
            if set(gw.index) != set(names):
                raise EvalkitError(f"group_weights must give every group {sorted(names)}",
                                   "group_weights")
        gw = (gw / gw.sum()).reindex(names)
        tree = make_tree(inds, names, pd.Index(names).get_indexer(g), np.full(len(names), -1),
                         w.to_numpy(), gw.to_numpy(), [aggregation] * len(names), aggregation)
        units = scores.index
        cat = pd.Series("all", index=units) if category is None else \
            category.reindex(units).astype(str)
        return cls(scores, tree, cat,
                   pd.Series(0.0, index=units) if offset is None else offset.reindex(units),
                   pd.Series(1.0, index=units) if scale is None else scale.reindex(units),
                   grades)

    # -- the nominal weights, as the tree gives them --------------------------------------
    @property
    def groups(self) -> pd.Series:
        """The node (perspective) of each indicator."""
        t = self.tree
        return pd.Series(np.array(t.nodes, dtype=object)[t.ind_parent], index=t.indicators)

    @property
    def within(self) -> pd.Series:
        """Nominal weight of each indicator within its node (sums to 1 per node)."""
        t = self.tree
        return pd.Series(sibling_shares(t.ind_w, t.ind_parent)[0], index=t.indicators)

    @property
    def group_weights(self) -> pd.Series:
        """Nominal weight of each node within its parent (top nodes: sums to 1)."""
        t = self.tree
        return pd.Series(sibling_shares(t.node_w, t.node_parent)[0], index=t.nodes)

    @property
    def global_weights(self) -> pd.Series:
        """Nominal global indicator weights (:meth:`Tree.global_weights`)."""
        return pd.Series(self.tree.global_weights()[1][0], index=self.tree.indicators)

    def global_weights_for(self, within: pd.Series, group_weights: pd.Series) -> pd.Series:
        """Global indicator weights of other local weights (a weight option)."""
        iw, nw = self.option_arrays(within, group_weights)
        return pd.Series(self.tree.global_weights(nw[None, :], iw[None, :])[1][0],
                         index=self.tree.indicators)

    def option_arrays(self, within: pd.Series, group_weights: pd.Series
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Local weight arrays (indicators, nodes) of an option; nodes it does not give keep
        their nominal weight within their parent."""
        t = self.tree
        iw = pd.Series(within, dtype=float).reindex(t.indicators).fillna(0.0).to_numpy()
        nw = pd.Series(group_weights, dtype=float).reindex(t.nodes) \
            .fillna(self.group_weights).to_numpy()
        return iw, nw

    def weight_arrays(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Names and local weights of every weight option (options × indicators, options ×
        nodes); the first, ``nominal``, is the tree's own."""
        rows = [(self.tree.ind_w[0], self.tree.node_w[0])]
        rows += [self.option_arrays(*o) for o in self.weight_options.values()]
        return (["nominal", *self.weight_options], np.array([r[0] for r in rows]),
                np.array([r[1] for r in rows]))

    def score_names(self) -> list[str]:
        """Names of the score options, as :meth:`score_arrays` orders them (first: nominal)."""
        return ["nominal", *self.score_options]

    def score_arrays(self) -> tuple[list[str], list[np.ndarray]]:
        """Names and units × indicators matrices of every score option (first: nominal)."""
        opts = {"nominal": self.scores, **self.score_options}
        inds = list(self.scores.columns)
        mats = []
        for name, df in opts.items():
            if list(df.columns) != inds or not df.index.equals(self.scores.index):
                df = df.reindex(index=self.scores.index, columns=inds)
                if df.isna().all(axis=0).any():
                    raise EvalkitError(f"score option {name!r} lacks indicators of the "
                                       "problem", "score_options")
            mats.append(df.to_numpy(dtype=float))
        return list(opts), mats

    def category_codes(self) -> np.ndarray:
        """Integer code of each unit's category (for the batched ranks and grades)."""
        return np.asarray(pd.Categorical(self.category.reindex(self.scores.index)).codes)

    def score_factor_sizes(self) -> dict[str, int]:
        """The discrete score factors and their numbers of choices: ``score_factors``, or one
        factor ``normalisation`` over ``[nominal, *score_options]``."""
        if self.score_factors:
            return {f: len(v) for f, v in self.score_factors.items()}
        return {"normalisation": 1 + len(self.score_options)}

    def score_index(self, choice: Mapping[str, np.ndarray]) -> np.ndarray:
        """Index into :meth:`score_arrays` of each replication's score factors' choices."""
        if not self.score_factors:
            return np.asarray(choice["normalisation"])
        names = self.score_names()
        grid = list(itertools.product(*self.score_factors.values()))
        pos = np.array([names.index(variant_key(dict(zip(self.score_factors, combo,
                                                              strict=True))))
                        for combo in grid])
        flat = np.ravel_multi_index([np.asarray(choice[f]) for f in self.score_factors],
                                    [len(v) for v in self.score_factors.values()])
        return pos[flat]

    # -- canonical order: results do not depend on the order of the rows --------------------
    def canonical(self) -> tuple[UncertaintyProblem, np.ndarray, np.ndarray]:
        """The same problem with units, indicators and nodes sorted by id, and the positions
        of this problem's units and indicators in it.

        The Monte Carlo draws in this order (a set of siblings' weights, a unit's rank ties),
        so its results are keyed by ids, not by the order of the input rows: any permutation
        of the units, indicators or nodes gives the same canonical problem, bit for bit.
        """
        t = self.tree
        ui = np.argsort(self.scores.index.astype(str).to_numpy(), kind="stable")
        ii = np.argsort(np.array(t.indicators, dtype=str), kind="stable")
        ni = np.argsort(np.array(t.nodes, dtype=str), kind="stable")
        new_node = np.empty(len(ni), dtype=int)
        new_node[ni] = np.arange(len(ni))
        parent = t.node_parent[ni]
        tree = make_tree([t.indicators[i] for i in ii], [t.nodes[k] for k in ni],
                         new_node[t.ind_parent[ii]],
                         np.where(parent >= 0, new_node[np.maximum(parent, 0)], -1),
                         t.ind_w[0, ii], t.node_w[0, ni], [t.methods[k] for k in ni],
                         t.root_method, t.categories[0])
        units = self.scores.index[ui]
        inds = [self.scores.columns[i] for i in ii]
        opts = {}
        for name, df in self.score_options.items():
            have = set(df.columns)
            lack = [i for i in inds if i not in have]
            if lack:
                raise EvalkitError(f"score option {name!r} lacks indicators {lack[:5]} of the "
                                   "problem", "score_options")
            if df.index.equals(self.scores.index) and df.columns.equals(self.scores.columns):
                # the problem's own labels (as attached): reordered by position
                opts[name] = pd.DataFrame(df.to_numpy()[np.ix_(ui, ii)], index=units,
                                          columns=df.columns[ii])
            else:
                opts[name] = df.reindex(index=units, columns=inds)
        q = dataclasses.replace(
            self, scores=self.scores.iloc[ui][inds], tree=tree,
            category=self.category.reindex(units), offset=self.offset.reindex(units),
            scale=self.scale.reindex(units),
            veto=None if self.veto is None else self.veto.reindex(units),
            score_options=opts, provenance=dict(self.provenance))
        return q, np.argsort(ui, kind="stable"), np.argsort(ii, kind="stable")


def variant_key(choice: Mapping[str, Any]) -> str:
    """The ``score_options`` key of one combination of score factors.

    Examples
    --------
    >>> variant_key({"winmax": 3, "normalisation": "zscore"})
    'winmax=3|normalisation=zscore'
    """
    return "|".join(f"{k}={v}" for k, v in choice.items())
