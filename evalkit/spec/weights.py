"""Sets of sibling weights in the scorecard: what must hold of them, and where they are.

Weights within a node are *relative* (renormalised to sum to 1) or *shares* that must already
sum to 1; ``defaults.weights`` says which (:class:`~evalkit.spec.schema.Defaults`). All-zero
weights in a node are always an error: the node would vanish. A perspective that holds no
indicator for a category shares its weight among its siblings (recorded in the input audit,
:func:`evalkit.inputs.audit.weights_audit`).

Examples
--------
>>> shares_problem([0.5, 0.6], "auto"), shares_problem([2, 1], "auto")
('they sum to 1.1, not 1', None)
"""

from __future__ import annotations

from evalkit.core.errors import EvalkitError, SpecError
from evalkit.spec.schema import CategoryWeight, Spec


def _per_category(w: CategoryWeight, cat: str) -> float:
    return float(w.get(cat, 0.0)) if isinstance(w, dict) else float(w)


def weight_groups(spec: Spec) -> list[tuple[str, str, str, list[float]]]:
    """Every set of sibling weights of the scorecard, per category:
    ``(what, where, category, weights)``; a node whose children's weights a ``weighting``
    scheme makes is left out, and so are indicators that do not apply to the category."""
    out = []
    persp = spec.perspectives
    for c in spec.category_ids():
        out.append(("top-level perspectives", "perspectives", c,
                    [_per_category(p.weight, c) for p in persp if p.parent is None]))
        for k, p in enumerate(persp):
            if p.weighting is not None or _per_category(p.weight, c) == 0:
                continue
            w = f"perspectives[{k}] ({p.id})"
            out.append((f"perspectives under {p.id!r}", w, c,
                        [_per_category(q.weight, c) for q in persp if q.parent == p.id]))
            out.append((f"indicators of {p.id!r}", w, c,
                        [_per_category(i.weight, c) for i in spec.indicators
                         if i.perspective == p.id and (i.categories is None
                                                       or c in i.categories)]))
    return [g for g in out if g[3]]


def empty_nodes(spec: Spec) -> list[tuple[str, str]]:
    """``(perspective id, category)`` where a perspective weighs more than 0 but holds no
    indicator that applies to the category: its weight is shared among its siblings."""
    out = []
    for c in spec.category_ids():
        live = {i.perspective for i in spec.indicators
                if i.categories is None or c in i.categories}
        for _ in spec.perspectives:            # a parent is live when a child is
            live |= {p.parent for p in spec.perspectives if p.id in live and p.parent}
        out += [(p.id, c) for p in spec.perspectives
                if p.id not in live and _per_category(p.weight, c) > 0]
    return out


def shares_problem(weights: list[float], policy: str) -> str | None:
    """Why ``weights`` (one set of siblings) are wrong under the weights ``policy``, or None.

    All zero is wrong; under ``auto``, weights that differ and are all ≤ 1 are shares that
    must sum to 1 (±1e-6); equal weights and larger ones (points, 2 : 1) are relative.

    Examples
    --------
    >>> shares_problem([0.5, 0.6], "auto"), shares_problem([2, 1], "auto")
    ('they sum to 1.1, not 1', None)
    """
    total = sum(weights)
    if total <= 0:
        return "they are all 0"
    if policy == "auto" and len(set(weights)) > 1 and max(weights) <= 1 and \
            abs(total - 1) > 1e-6:
        return f"they sum to {total:.6g}, not 1"
    return None


def weight_sum_problems(spec: Spec) -> list[EvalkitError]:
    """Sets of sibling weights that are all 0, or shares that do not sum to 1 (under
    ``defaults.weights: auto``), named by the node's YAML path and the category."""
    problems: list[EvalkitError] = []
    for what, where, cat, weights in weight_groups(spec):
        why = shares_problem(weights, spec.defaults.weights)
        if why is not None:
            hint = ("give at least one a positive weight (or give the node itself weight 0)"
                    if "all 0" in why else "make them sum to 1, or declare "
                    "defaults.weights: relative to have them renormalised")
            problems.append(SpecError(f"weights of the {what} for category {cat!r}: {why}; "
                                      f"{hint}", where))
    return problems
