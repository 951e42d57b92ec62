"""Arrays of one evaluated period → the tidy long tables of the Results.

Every table is keyed by ids (``period``, ``unit_id``, ``indicator_id`` / ``node_id`` /
``source``), as :mod:`evalkit.results.schema` lists them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.core.columns import repeated_text, taken_text
from evalkit.scoring.prepare import Scored
from evalkit.scoring.status import indicator_rules, status_columns
from evalkit.spec.schema import Spec
from evalkit.spec.tree import Tree


def long_frame(units: pd.Index, items: list[str], colname: str,
               arrays: dict[str, np.ndarray], keep: np.ndarray | None = None,
               per_item: dict[str, np.ndarray] | None = None, period: str | None = None
               ) -> pd.DataFrame:
    """Units × items arrays as one long table, unit by unit and the items in order.

    Columns ``period`` (when given), ``unit_id``, ``colname`` (the item), the ``per_item``
    columns (one value per item) and one per array; ``keep`` (units × items booleans)
    selects the cells kept. Built from the arrays directly (no index alignment).

    Examples
    --------
    >>> t = long_frame(pd.Index(["A", "B"]), ["x", "y"], "item",
    ...                {"v": np.array([[1.0, 2.0], [3.0, 4.0]])},
    ...                keep=np.array([[True, False], [True, True]]))
    >>> t.values.tolist()
    [['A', 'x', 1.0], ['B', 'x', 3.0], ['B', 'y', 4.0]]
    """
    n, k = len(units), len(items)
    take = np.arange(n * k) if keep is None else np.flatnonzero(np.asarray(keep).ravel())
    item = take % k
    data: dict[str, object] = {} if period is None else {   # repeated strings: taken
        "period": repeated_text(period, len(take))}
    data |= {"unit_id": units.array.take(take // k), colname: taken_text(items, item)}
    for name, col in (per_item or {}).items():
        col = np.asarray(col)
        text = col.dtype.kind == "U" or (col.dtype == object and
                                         all(type(v) is str for v in col))
        data[name] = taken_text(col, item) if text else col[item]
    for name, arr in arrays.items():
        data[name] = np.broadcast_to(arr, (n, k)).reshape(n * k)[take]
    return pd.DataFrame(data)


def indicator_table(sc: Scored, tree: Tree, office: dict[str, np.ndarray],
                    w_office: np.ndarray, spec: Spec | None = None) -> pd.DataFrame:
    """``indicators``: raw, treated value, score, global weight and contribution per cell,
    and the traffic light and flags (:mod:`evalkit.scoring.status`).

    ``contribution = office contribution × the office source's effective weight``, so the
    contributions of a unit add up to its office part of the total. ``status`` and
    ``flags`` follow the spec's targets, thresholds and warning / advanced values (without
    ``spec``: the default score thresholds, no flags).
    """
    k = len(tree.indicators)
    take = np.flatnonzero(np.asarray(sc.applies).ravel())      # the rows of the table
    rules = indicator_rules(spec) if spec is not None else None
    at = (np.full(k, -1) if rules is None else rules.index.get_indexer(tree.indicators))
    status, flags = status_columns(sc.treated.ravel()[take], sc.scores.ravel()[take],
                                   sc.missing.ravel()[take], rules, at[take % k])
    ind = long_frame(sc.units.index, tree.indicators, "indicator_id", {
        "raw": sc.raw, "value": sc.treated, "score": sc.scores,
        "weight": office["ind_weight"],
        "contribution": office["ind_contrib"] * w_office[:, None],
        "missing": sc.missing, "imputed": sc.imputed}, keep=sc.applies,
        per_item={"perspective_id": np.array(tree.nodes, dtype=object)[tree.ind_parent]},
        period=sc.period)
    ind["status"], ind["flags"] = status, flags
    return ind


def node_table(sc: Scored, tree: Tree, office: dict[str, np.ndarray],
               w_office: np.ndarray) -> pd.DataFrame:
    """``nodes``: score, global weight and contribution of every perspective / pillar."""
    pid = np.array([tree.nodes[p] if p >= 0 else "" for p in tree.node_parent], dtype=object)
    n, k = len(sc.units), len(tree.nodes)
    return long_frame(sc.units.index, tree.nodes, "node_id", {
        "score": office["node_scores"], "weight": office["node_weight"],
        "contribution": office["node_contrib"] * w_office[:, None],
        "level": np.broadcast_to(tree.levels, (n, k)),
        "parent_id": np.broadcast_to(pid, (n, k))}, period=sc.period)


def source_table(period: str, uid: pd.Index, names: list[str], M: np.ndarray,
                 w_nominal: np.ndarray, w_effective: np.ndarray, contrib: np.ndarray
                 ) -> pd.DataFrame:
    """``sources``: each source's score, nominal and effective weight, contribution."""
    return long_frame(uid, names, "source", {
        "score": M, "weight": w_nominal, "effective_weight": w_effective,
        "contribution": contrib}, period=period)


def missing_report(spec: Spec, sc: Scored, tree: Tree) -> pd.DataFrame:
    """How many applicable values were missing per indicator and category, and the policy."""
    C, k = len(tree.categories), len(tree.indicators)
    member = (np.asarray(sc.cat)[None, :] == np.arange(C)[:, None]).astype(np.int64)
    n_app = member @ sc.applies.astype(np.int64)              # categories × indicators
    keep = (n_app > 0).ravel()
    policy = [i.missing or spec.defaults.missing for i in spec.indicators]
    cat, ind = np.repeat(np.arange(C), k)[keep], np.tile(np.arange(k), C)[keep]
    return pd.DataFrame({
        "period": repeated_text(sc.period, len(cat)),
        "category": taken_text(tree.categories, cat),
        "indicator_id": taken_text(tree.indicators, ind),
        "n_applicable": n_app.ravel()[keep],
        "n_missing": (member @ sc.missing.astype(np.int64)).ravel()[keep],
        "n_imputed": (member @ (sc.imputed & sc.applies).astype(np.int64)).ravel()[keep],
        "policy": taken_text(policy, ind)})


def meta_tables(spec: Spec, tree: Tree) -> dict[str, pd.DataFrame]:
    """Names and settings of indicators, nodes, categories and grades (``meta_*`` tables)."""
    inds = spec.indicators
    mi = pd.DataFrame({
        "indicator_id": [i.id for i in inds], "name": [i.name or i.id for i in inds],
        "name_en": [i.name_en or i.name or i.id for i in inds],
        "perspective_id": [i.perspective for i in inds],
        "direction": [i.direction for i in inds],
        "target": np.array([np.nan if i.target is None else i.target for i in inds],
                           dtype=float),
        "method": [i.scoring.method if i.scoring else "" for i in inds],
        "unit": [i.unit for i in inds],
        "categories": [";".join(i.categories) if i.categories else "" for i in inds]})
    mn = pd.DataFrame({
        "node_id": tree.nodes,
        "name": [p.name or p.id for p in spec.perspectives],
        "name_en": [p.name_en or p.name or p.id for p in spec.perspectives],
        "parent_id": [p.parent or "" for p in spec.perspectives],
        "level": tree.levels.astype(int) if len(tree.nodes) else [],
        "aggregation": tree.methods,
    })
    cats = spec.categories
    mc = pd.DataFrame({"category": [c.id for c in cats], "name": [c.name or c.id for c in cats],
                       "name_en": [c.name_en or c.name or c.id for c in cats]} if cats else
                      {"category": ["all"], "name": ["全部"], "name_en": ["All"]})
    mg = pd.DataFrame([{"grade": g.id, "name": g.name or g.id, "name_en": g.name_en or g.id,
                        "min_score": g.min_score, "quota": g.quota}
                       for g in (spec.grades.levels if spec.grades else [])],
                      columns=["grade", "name", "name_en", "min_score", "quota"])
    return {"meta_indicators": mi, "meta_nodes": mn, "meta_categories": mc, "meta_grades": mg}
