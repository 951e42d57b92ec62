"""Weights down the scorecard tree: a scheme per node, global weight = product down the tree.

The spec names the scheme of each perspective's children (its indicators and
sub-perspectives)::

    perspectives:
      - id: duties
        weight: 0.45                      # its own weight within its parent
        weighting:                        # how the weights of ITS CHILDREN are made
          method: ahp                     # a key of evalkit.weights.WEIGHTING
          matrix: [[1, 3, 5], [1/3, 1, 2], [1/5, 1/2, 1]]
          by_category:                    # optional: another scheme for a category
            township: {method: entropy}

Without ``weighting`` a node's children keep the ``weight`` written on them (normalised).
The children of a node, in order, are its indicators (in spec order) that apply to the
category, then its child perspectives (in spec order): subjective parameters given as lists
follow that order, mappings name the children by id. Objective schemes (entropy, CRITIC,
…) run on the scores of the category's units; a child perspective's scores for them are the
weighted arithmetic mean of its own children's scores with the weights already resolved
(bottom-up). The top perspectives keep their ``weight`` unless ``root`` (a weighting mapping)
is given.

The global weight of an indicator is the product of the normalised weights on the path from
the root (OECD/JRC Handbook 2008, §6; COINr's "effective weights").

Weights from an objective scheme are recomputed from each period's data, so a unit's total
is not monotone in its own indicators there (see :mod:`evalkit.weights`); the provenance of
a category lists those nodes under ``data_dependent``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, MethodError, raise_all
from evalkit.spec.tree import Tree
from evalkit.weights import WEIGHTING, WeightSet, compute_weights


@dataclass
class CategoryWeights:
    """Resolved weights of one category.

    Attributes
    ----------
    indicator_local : Series
        Weight of each applicable indicator within its perspective (sums to 1 per perspective).
    node_local : Series
        Weight of each perspective within its parent (top perspectives: within the root).
    indicator_global : Series
        Product of normalised weights from the root to each indicator (sums to 1).
    node_global : Series
        Product down the tree to each perspective.
    weight_sets : dict of str to WeightSet
        The weight set of every node whose children were weighted by a scheme (key: the node
        id; ``"<root>"`` for the top level).
    """

    indicator_local: pd.Series
    node_local: pd.Series
    indicator_global: pd.Series
    node_global: pd.Series
    weight_sets: dict[str, WeightSet] = field(default_factory=dict)

    @property
    def data_dependent(self) -> list[str]:
        """The nodes whose children's weights were computed from the units' data (objective
        schemes): there a unit's total is not monotone in its own indicators
        (:mod:`evalkit.weights`, "Data-dependent weights")."""
        return [k for k, ws in self.weight_sets.items() if ws.data_dependent]

    @property
    def provenance(self) -> dict[str, Any]:
        """JSON-serialisable: each scheme's provenance, the global weights and the nodes whose
        weights depend on the data (``data_dependent``, [] when none)."""
        return {"schemes": {k: v.provenance for k, v in self.weight_sets.items()},
                "data_dependent": self.data_dependent,
                "indicator_global": {str(k): float(v) for k, v in
                                     self.indicator_global.items()},
                "node_global": {str(k): float(v) for k, v in self.node_global.items()}}


def _nominal(w: Any, cat: str) -> float:
    return float(w.get(cat, 0.0)) if isinstance(w, Mapping) else float(w)


def _scheme(weighting: Any, cat: str, where: str) -> tuple[str, dict[str, Any], str]:
    """(method, params, where) of a node's weighting for ``cat`` (``by_category`` applied)."""
    if isinstance(weighting, Mapping):
        method, params = weighting.get("method"), {k: v for k, v in weighting.items()
                                                   if k != "method"}
    else:  # the spec's pydantic Weighting
        method, params = weighting.method, dict(weighting.params)
    by_cat = params.pop("by_category", None) or {}
    if not isinstance(by_cat, Mapping):
        raise MethodError("by_category must map category -> {method: ..., ...}",
                          f"{where}.by_category")
    if cat in by_cat:
        sub = dict(by_cat[cat])
        where = f"{where}.by_category.{cat}"
        method = sub.pop("method", None)
        params = sub
    if not isinstance(method, str):
        raise MethodError(f"expected a method name, one of {sorted(WEIGHTING)}",
                          f"{where}.method")
    return method, params, where


def resolve_weights(spec: Any, scores_by_category: Mapping[str, pd.DataFrame] | None = None,
                    *, root: Mapping[str, Any] | None = None) -> dict[str, CategoryWeights]:
    """Resolve every node's weights for every category: the function ``evaluate`` calls.

    Parameters
    ----------
    spec : evalkit.spec.schema.Spec
        The validated spec (perspectives with ``weight`` and optional ``weighting``,
        indicators with ``weight``).
    scores_by_category : dict of str to DataFrame, optional
        Per category, the units × indicator scores of its units (columns: indicator ids).
        Needed only when a node uses an objective scheme.
    root : mapping, optional
        A weighting for the top perspectives (``{method: ..., ...}``).

    Returns
    -------
    dict of category id to :class:`CategoryWeights`.

    Examples
    --------
    >>> from evalkit.spec import from_dict
    >>> spec = from_dict({"evaluation": {"id": "t"},
    ...     "data": {"units": {"file": "u.csv"}, "values": {"file": "v.csv"}},
    ...     "perspectives": [{"id": "p", "weighting": {"method": "rank_sum",
    ...                                                 "ranks": {"x": 1, "y": 2}}}],
    ...     "indicators": [{"id": "x", "perspective": "p"}, {"id": "y", "perspective": "p"}]})
    >>> resolve_weights(spec)["all"].indicator_global.round(4).tolist()
    [0.6667, 0.3333]
    """
    tree = Tree.from_spec(spec)
    out: dict[str, CategoryWeights] = {}
    problems: list[EvalkitError] = []
    for c, cat in enumerate(tree.categories):
        try:
            out[cat] = _resolve_category(spec, tree, c, (scores_by_category or {}).get(cat),
                                         root)
        except EvalkitError as err:
            problems.append(err if cat == "all" else type(err)(
                f"category {cat}: {err.message}", err.where))
    raise_all(problems, "weighting problems")
    return out


@dataclass
class _Weigher:
    """Weights the children of one node after another, for one category (bottom-up)."""

    cat: str
    scores: pd.DataFrame | None
    sets: dict[str, WeightSet] = field(default_factory=dict)
    node_scores: dict[str, pd.Series] = field(default_factory=dict)

    def data(self, ids: list[str]) -> pd.DataFrame | None:
        """The children's scores (indicators' or already weighted nodes'), if all are known."""
        if self.scores is None:
            return None
        cols = {c: self.node_scores[c] if c in self.node_scores else self.scores[c]
                for c in ids if c in self.node_scores or c in self.scores.columns}
        return pd.DataFrame(cols) if len(cols) == len(ids) else None

    def weigh(self, node_id: str, children: list[str], nominal: np.ndarray, weighting: Any,
              where: str) -> np.ndarray:
        """The children's weights: the nominal ones normalised, or the node's scheme's."""
        if weighting is None:
            s = nominal.sum()
            return nominal / s if s > 0 else nominal
        method, params, loc = _scheme(weighting, self.cat, where)
        data = self.data(children)
        if WEIGHTING.trait(method, "objective") and data is None:
            raise MethodError(f"{method} needs the scores of the category's units for "
                              f"{children}; pass scores_by_category", loc)
        ws = compute_weights(method, children, data, where=loc, **params)
        self.sets[node_id] = ws
        return ws.weights.reindex(children).to_numpy(dtype=float)

    def score_node(self, node_id: str, children: list[str], w: np.ndarray) -> None:
        """The node's score per unit (weighted mean of its children present), for schemes
        above it that weigh from data."""
        data = self.data(children)
        if data is not None:
            x = data.to_numpy(dtype=float)
            ok = np.isfinite(x)
            with np.errstate(invalid="ignore", divide="ignore"):
                s = np.where(ok, x, 0.0) @ w / (ok @ w)
            self.node_scores[node_id] = pd.Series(s, index=data.index)


def _resolve_category(spec: Any, tree: Tree, c: int, scores: pd.DataFrame | None,
                      root: Mapping[str, Any] | None) -> CategoryWeights:
    wg = _Weigher(tree.categories[c], scores)
    ind_local = np.zeros(len(tree.indicators))
    node_local = np.zeros(len(tree.nodes))
    present = np.zeros(len(tree.nodes), dtype=bool)
    for k in tree.order:                                        # bottom-up
        ci = np.flatnonzero((tree.ind_parent == k) & (tree.ind_w[c] > 0))
        cn = np.flatnonzero((tree.node_parent == k) & present)
        if not len(ci) + len(cn):
            continue
        p = spec.perspectives[k]
        kids = [tree.indicators[j] for j in ci] + [tree.nodes[m] for m in cn]
        w = wg.weigh(p.id, kids, np.concatenate([tree.ind_w[c, ci], tree.node_w[c, cn]]),
                     p.weighting, f"perspectives[{k}] ({p.id}).weighting")
        ind_local[ci], node_local[cn] = w[: len(ci)], w[len(ci):]
        wg.score_node(p.id, kids, w)
        present[k] = True
    roots = np.flatnonzero((tree.node_parent < 0) & present)
    node_local[roots] = wg.weigh("<root>", [tree.nodes[m] for m in roots],
                                 tree.node_w[c, roots], root, "root.weighting")
    node_global, ind_global = tree.global_weights(node_local[None], ind_local[None])
    applies = tree.ind_w[c] > 0
    inds, nodes = np.array(tree.indicators)[applies], np.array(tree.nodes)[present]
    return CategoryWeights(pd.Series(ind_local[applies], index=inds, name="weight"),
                           pd.Series(node_local[present], index=nodes, name="weight"),
                           pd.Series(ind_global[0, applies], index=inds, name="weight"),
                           pd.Series(node_global[0, present], index=nodes, name="weight"),
                           wg.sets)


def tree_weights(spec: Any, scored: Any, tree: Any = None,
                 root: Mapping[str, Any] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Resolved weights as the arrays of :class:`evalkit.evaluate.Tree`.

    ``scored`` is one period's :class:`evalkit.evaluate.Scored` (its ``scores``, ``cat``,
    ``keep``, ``units``). Returns ``(ind_w, node_w, provenance)``: categories × indicators
    and categories × nodes local weights (0 where an indicator does not apply) to put in
    place of ``tree.ind_w`` / ``tree.node_w``, and ``{category: CategoryWeights.provenance}``.
    """
    tree = Tree.from_spec(spec) if tree is None else tree
    by_cat = {}
    for c, cat in enumerate(tree.categories):
        rows = np.flatnonzero(np.asarray(scored.cat) == c)
        S = np.where(scored.keep[rows], scored.scores[rows], np.nan)
        by_cat[cat] = pd.DataFrame(S, index=scored.units.index[rows], columns=tree.indicators)
    res = resolve_weights(spec, by_cat, root=root)
    ind_w = np.zeros_like(tree.ind_w, dtype=float)
    node_w = np.zeros_like(tree.node_w, dtype=float)
    for c, cat in enumerate(tree.categories):
        cw = res[cat]
        ind_w[c] = cw.indicator_local.reindex(tree.indicators).fillna(0.0).to_numpy()
        node_w[c] = cw.node_local.reindex(tree.nodes).fillna(0.0).to_numpy()
    return ind_w, node_w, {cat: cw.provenance for cat, cw in res.items()}


def check_weighting(spec: Any) -> list[EvalkitError]:
    """Validate every ``weighting`` of the spec without data (for ``evalkit validate``).

    Unknown methods are reported with their YAML path; subjective schemes are run (their
    parameters checked in full); objective schemes are checked when data arrive.
    """
    problems: list[EvalkitError] = []
    for cat in spec.category_ids():
        for k, p in enumerate(spec.perspectives):
            if p.weighting is None:
                continue
            where = f"perspectives[{k}] ({p.id}).weighting"
            try:
                method, params, loc = _scheme(p.weighting, cat, where)
                WEIGHTING.get(method, f"{loc}.method")
                if WEIGHTING.trait(method, "objective"):
                    continue
                kids = [i.id for i in spec.indicators if i.perspective == p.id and
                        (i.categories is None or cat in i.categories)
                        and _nominal(i.weight, cat) > 0] + \
                       [q.id for q in spec.perspectives if q.parent == p.id]
                compute_weights(method, kids, None, where=loc, **params)
            except EvalkitError as err:
                if str(err) not in {str(x) for x in problems}:
                    problems.append(err)
    return problems


def resolve_source_weights(weighting: Mapping[str, Any], sources: list[str],
                           scores_by_category: Mapping[str, pd.DataFrame] | None = None,
                           categories: list[str] | None = None,
                           where: str = "sources.weighting") -> dict[str, WeightSet]:
    """Weights of the sources of judgement (官评 / 民评 / 互评 / 领导评价) by a scheme.

    ``weighting`` is ``{method: ..., ...params, by_category: {...}}`` as for perspectives;
    ``sources`` the source names (its items, in order); ``scores_by_category`` per category
    the units × sources scores (for objective schemes). Returns one WeightSet per category
    (``categories``, default ``["all"]``) to use in place of the fixed
    ``sources.<name>.weight``.

    Examples
    --------
    >>> ws = resolve_source_weights({"method": "points", "budget": 100,
    ...                              "points": {"office": 60, "survey": 40}},
    ...                             ["office", "survey"])
    >>> ws["all"].weights.tolist()
    [0.6, 0.4]
    """
    out: dict[str, WeightSet] = {}
    problems: list[EvalkitError] = []
    for cat in categories or ["all"]:
        try:
            method, params, loc = _scheme(weighting, cat, where)
            data = (scores_by_category or {}).get(cat)
            if WEIGHTING.trait(method, "objective") and data is None:
                raise MethodError(f"{method} needs the units × sources scores of category "
                                  f"{cat!r}", loc)
            out[cat] = compute_weights(method, sources, data, where=loc, **params)
        except EvalkitError as err:
            problems.append(err)
    raise_all(problems, "source weighting problems")
    return out


def resolve_tree(spec: Any, scored: Any, tree: Tree) -> tuple[Tree, dict[str, Any]]:
    """The tree with the weights of the spec's weighting schemes for one period.

    Perspectives with a ``weighting`` get their children's weights from the scheme
    (objective schemes from this period's scores, within category); others keep the spec's
    weights. Returns the tree to aggregate with and the weights' provenance ({} if none).
    """
    if not any(p.weighting is not None for p in spec.perspectives):
        return tree, {}
    ind_w, node_w, prov = tree_weights(spec, scored, tree)
    return dataclasses.replace(tree, ind_w=ind_w, node_w=node_w), prov
