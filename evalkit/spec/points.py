"""Weights as points (分值制): each indicator carries points, summing to 100 in a category.

Chinese assessment schemes give every indicator points (分值) rather than a share: in a
category the points of the indicators that apply add up to 100, and a unit's base score is
the points-weighted mean of its indicator scores. ``weights: points`` at the top of a spec
(or on one category: ``categories: [{id: township, weights: points}]``) says an indicator's
``weight`` is its points. Then

- a perspective's weight in that category is the sum of its indicators' points (written by
  :func:`apply_points`; a weight written on the perspective must equal it), so every
  indicator's global weight is its points / 100 exactly;
- the points of a category must sum to 100 (:func:`points_problems`), and no node may make
  its children's weights with a ``weighting`` scheme;
- :func:`points_table` keeps the points per category and indicator, for the Results'
  ``meta_weights`` table (the report and Excel show 分值 from it).

Fractional weights that do not sum to 1 stay an error unless declared (``defaults.weights:
relative``, :mod:`evalkit.spec.weights`): points are declared, never guessed.

Examples
--------
>>> from evalkit.spec.parse import from_dict
>>> spec = from_dict({"evaluation": {"id": "t"}, "weights": "points",
...     "data": {"units": {"file": "u.csv"}, "values": {"file": "v.csv"}},
...     "perspectives": [{"id": "econ"}, {"id": "gov"}],
...     "indicators": [{"id": "a", "perspective": "econ", "weight": 30},
...                    {"id": "b", "perspective": "econ", "weight": 20},
...                    {"id": "c", "perspective": "gov", "weight": 50}]})
>>> [p.weight for p in spec.perspectives]
[{'all': 50.0}, {'all': 50.0}]
>>> points_table(spec)[["indicator_id", "points", "weight"]].values.tolist()
[['a', 30.0, 0.3], ['b', 20.0, 0.2], ['c', 50.0, 0.5]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, SpecError
from evalkit.spec.schema import CategoryWeight, Spec
from evalkit.spec.tree import Tree

#: What the points of a category sum to.
TOTAL_POINTS = 100.0
#: How far a sum of points may be from :data:`TOTAL_POINTS` (rounding in a workbook).
TOLERANCE = 1e-6


def _w(weight: CategoryWeight, cat: str) -> float:
    return float(weight.get(cat, 0.0)) if isinstance(weight, dict) else float(weight)


def points_categories(spec: Spec) -> list[str]:
    """The categories whose indicator weights are points (``weights: points`` at the top:
    every category; else those that declare it)."""
    if spec.weights == "points":
        return spec.category_ids()
    return [c.id for c in spec.categories if c.weights == "points"]


def _applies(spec: Spec, cat: str) -> list[int]:
    return [k for k, i in enumerate(spec.indicators)
            if i.categories is None or cat in i.categories]


def node_points(spec: Spec, cat: str) -> dict[str, float]:
    """Each perspective's points in ``cat``: the sum of the points of the indicators under it
    (at any depth) that apply to the category."""
    parent = {p.id: p.parent for p in spec.perspectives}
    out = dict.fromkeys(parent, 0.0)
    for k in _applies(spec, cat):
        ind = spec.indicators[k]
        node, seen = ind.perspective, set()
        while node in out and node not in seen:
            out[node] += _w(ind.weight, cat)
            seen.add(node)
            node = parent.get(node)
    return out


def _written(spec: Spec, pid: str) -> CategoryWeight | None:
    """The weight the spec's YAML writes on perspective ``pid`` (None: none written)."""
    raw = spec.raw.get("perspectives")
    for p in raw if isinstance(raw, list) else []:
        if isinstance(p, dict) and p.get("id") == pid and "weight" in p:
            w = p["weight"]
            return {str(c): float(v) for c, v in w.items()} if isinstance(w, dict) \
                else float(w)
    return None


def points_problems(spec: Spec) -> list[EvalkitError]:
    """Problems of a points scheme: sums other than 100, perspective weights that disagree
    with their indicators' points, weighting schemes; named by YAML path and category."""
    problems: list[EvalkitError] = []
    for cat in points_categories(spec):
        total = sum(_w(spec.indicators[k].weight, cat) for k in _applies(spec, cat))
        if abs(total - TOTAL_POINTS) > TOLERANCE:
            problems.append(SpecError(
                f"the points (分值) of the indicators of category {cat!r} sum to {total:g}, "
                f"not {TOTAL_POINTS:g} (weights: points); correct them, or write weights as "
                "shares without weights: points", "indicators"))
        derived = node_points(spec, cat)
        for k, p in enumerate(spec.perspectives):
            w = f"perspectives[{k}] ({p.id})"
            if p.weighting is not None:
                problems.append(SpecError("weights: points gives the indicators' weights; "
                                          "remove this weighting scheme", f"{w}.weighting"))
            elif (given := _written(spec, p.id)) is not None and \
                    abs(_w(given, cat) - derived[p.id]) > TOLERANCE:
                problems.append(SpecError(
                    f"under weights: points a perspective weighs the sum of its indicators' "
                    f"points ({derived[p.id]:g} in category {cat!r}, got {_w(given, cat):g}); "
                    "remove its weight", f"{w}.weight"))
    return problems


def apply_points(spec: Spec) -> Spec:
    """Write each perspective's weight in every points category as the sum of its
    indicators' points (other categories keep the weight written); returns ``spec``."""
    cats = points_categories(spec)
    if not cats:
        return spec
    derived = {c: node_points(spec, c) for c in cats}
    for p in spec.perspectives:
        weight = {c: (derived[c][p.id] if c in cats else _w(p.weight, c))
                  for c in spec.category_ids()}
        p.weight = weight
    return spec


def points_table(spec: Spec) -> pd.DataFrame:
    """The weight table per category: ``category``, ``indicator_id``, ``perspective_id``,
    ``weight`` (the nominal global weight, a share of 1: before weighting schemes and
    missing values) and ``points`` (分值 as written in a points category, else NaN)."""
    tree = Tree.from_spec(spec)
    _, gw = tree.global_weights()
    pts = set(points_categories(spec))
    columns = ["category", "indicator_id", "perspective_id", "weight", "points"]
    rows: list[tuple[Any, ...]] = []
    for c, cat in enumerate(tree.categories):
        for k in _applies(spec, cat):
            ind = spec.indicators[k]
            rows.append((cat, ind.id, ind.perspective, float(gw[c, k]),
                         _w(ind.weight, cat) if cat in pts else np.nan))
    if not rows:
        return pd.DataFrame(rows, columns=columns)
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True)))
