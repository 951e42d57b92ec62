"""The (score option, aggregation) pairs of a Monte Carlo that cannot be computed, named
before the replications start (a geometric mean of negative z-scores).
"""

from __future__ import annotations

import numpy as np

from evalkit.aggregation.means import AGGREGATION
from evalkit.analysis.uncertainty.batch import NOMINAL, totals_local
from evalkit.analysis.uncertainty.problem import UncertaintyProblem
from evalkit.core.errors import EvalkitError


def can_fail(p: UncertaintyProblem, scores: np.ndarray, aggregation: str) -> bool:
    """Whether ``aggregation`` over ``scores`` can meet a domain error: only a mean that
    needs scores ≥ 0 (trait ``nonnegative``) can, and only when a score is negative (every
    mean of scores ≥ 0 with weights ≥ 0 is ≥ 0, so no node value is negative either)."""
    methods = [*p.tree.methods, p.tree.root_method] if aggregation == NOMINAL else \
        [aggregation]
    return any(AGGREGATION.trait(m, "nonnegative") for m in methods) and \
        bool((scores < 0).any())


def check_variants(p: UncertaintyProblem, aggregations: list[str], switch_scores: bool,
                    mats: list[np.ndarray]) -> np.ndarray:
    """Every (score option, aggregation) pair that can fail (:func:`can_fail`) once with the
    nominal weights, so that a pair the aggregation cannot take (a geometric mean of
    negative z-scores) is named before the replications start; returns the nominal totals
    (nominal scores, first aggregation)."""
    names = p.score_names()
    if not switch_scores:
        names, mats = ["nominal"], mats[:1]
    _, iw0, nw0 = p.weight_arrays()
    pairs = [(0, 0)] + [(s, a) for s in range(len(names)) for a in range(len(aggregations))
                        if (s, a) != (0, 0) and can_fail(p, mats[s], aggregations[a])]
    s_idx, a_idx = (np.array([pair[i] for pair in pairs]) for i in (0, 1))
    try:                        # every pair at once; one by one only to name a failing pair
        return totals_local(p, np.repeat(iw0[:1], len(pairs), axis=0),
                            np.repeat(nw0[:1], len(pairs), axis=0), s_idx, a_idx,
                            aggregations, mats)[0]
    except EvalkitError:
        pass
    zero = np.zeros(1, dtype=int)
    out = None
    for s, a in pairs:
        try:
            t = totals_local(p, iw0[:1], nw0[:1], zero + s, zero + a, aggregations, mats)[0]
        except EvalkitError as err:
            raise EvalkitError(f"score option {names[s]!r} with aggregation "
                               f"{aggregations[a]!r}: {err}", "aggregations") from None
        out = t if out is None else out
    assert out is not None
    return out
