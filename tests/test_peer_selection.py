"""Selection mechanisms: impartiality as a property over random ratings, exact-k draws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.sources.peer.selection import (
    SELECTIONS,
    default_clusters,
    dollar_partition,
    draw_dollar_partition,
    impartiality_violations,
    partition,
)


def _random_ratings(seed: int, B: int, n: int, missing: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    R = np.round(rng.uniform(0, 100, (B, n, n)))
    R[rng.random((B, n, n)) < missing] = np.nan
    R[:, np.arange(n), np.arange(n)] = np.nan
    return R


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(4, 16), k=st.integers(1, 4),
       missing=st.sampled_from([0.0, 0.3]), n_clusters=st.integers(2, 4))
def test_impartial_mechanisms_ignore_a_units_own_ballot(seed, n, k, missing, n_clusters):
    # property (Holzman & Moulin 2013): whatever a unit writes on its own ballot, its own
    # selection probability does not move; 64 random profiles and deviations per example
    B = 64
    R = _random_ratings(seed, B, n, missing)
    rng = np.random.default_rng(seed + 1)
    who = rng.integers(0, n, B)
    ballots = np.round(rng.uniform(0, 100, (B, n)))
    cl = default_clusters(n, n_clusters)
    for mech in ("partition", "dollar_partition"):
        assert SELECTIONS[mech].impartial
        v = impartiality_violations(R, k, mech, who, ballots, clusters=cl)
        assert not v.any(), mech


def test_plain_top_k_is_not_impartial():
    # the same check catches plain top-k: a unit just outside the top k that rates every
    # rival at 0 gets in (the check is not vacuous)
    B, n, k = 200, 10, 3
    R = _random_ratings(5, B, n, 0.0)
    s = np.nanmean(R, axis=1)
    who = np.argsort(-s, axis=1)[:, k]  # ranked k+1
    v = impartiality_violations(R, k, "top_k", who, np.zeros((B, n)))
    assert v.mean() > 0.2
    assert not SELECTIONS["top_k"].impartial


def test_partition_selects_exactly_k_split_by_cluster_size():
    R = _random_ratings(6, 50, 12, 0.2)
    p = partition(R, 5, clusters=np.repeat([0, 1, 2], [6, 3, 3]))
    assert (p.sum(1) == 5).all()
    # largest remainder of 5 seats over sizes 6, 3, 3 -> 3, 1, 1
    np.testing.assert_array_equal(p[:, :6].sum(1), 3)


def test_dollar_partition_probabilities_sum_to_k_and_draws_are_exact():
    R = _random_ratings(7, 40, 12, 0.0)
    cl = default_clusters(12, 3)
    p = dollar_partition(R, 4, clusters=cl)
    np.testing.assert_allclose(p.sum(1), 4.0, atol=1e-9)
    rng = np.random.default_rng(8)
    draws = np.stack([draw_dollar_partition(R, 4, rng, clusters=cl) for _ in range(2000)])
    assert (draws.sum(2) == 4).all()  # exactly k seats every time
    # each unit's selection frequency matches its probability (binomial 4-sigma band)
    freq = draws.mean(0)
    se = np.sqrt(p * (1 - p) / 2000) + 1e-9
    assert (np.abs(freq - p) <= 4 * se + 1e-9).all()


def test_dollar_partition_favours_the_cluster_outsiders_rate_highly():
    n = 8
    cl = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    R = np.full((n, n), 10.0)
    R[4:, :4] = 90.0  # cluster 1 rates cluster 0 highly; cluster 0 rates cluster 1 flat
    np.fill_diagonal(R, np.nan)
    p = dollar_partition(R, 4, clusters=cl)
    assert p[:4].sum() == pytest.approx(2.0)  # flat ballots split evenly: 2 seats each
    R[:4, 4:] = np.array([90.0, 10.0, 10.0, 10.0])  # now cluster 0 concentrates on unit 4
    p = dollar_partition(R, 4, clusters=cl)
    assert p[4] == 1.0
