"""Rank statements from the Monte Carlo: simultaneous rank sets, bands, streamed histograms.

- the simultaneous sets (Besag, Green, Higdon & Mengersen 1995, the max-based construction)
  equal a brute-force search over the tail count, and cover the TRUE ranks of simulated
  evaluations — whose true weights are drawn from the distribution the Monte Carlo samples —
  jointly at least at the nominal level (within Monte Carlo error), while the marginal
  intervals' joint coverage falls visibly below it;
- bands against the category median follow from the sets;
- a streamed Monte Carlo (no replication kept) gives the in-memory one's rank figures
  exactly, keeps memory flat in the number of replications, and draws block by block from
  seeds keyed by the replication's index;
- results do not depend on the order of the units, indicators or nodes (to the bit);
- the unit sentence reads the simultaneous set.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.uncertainty import (
    UncertaintyProblem,
    joint_coverage,
    joint_rank_sets,
    median_bands,
    monte_carlo,
    ranks_within,
    sample_local_weights,
    sobol_indices,
    totals_local,
    unit_rank_interval,
)
from evalkit.analysis.uncertainty.ranksets import column_counts
from evalkit.analysis.uncertainty.sampling import BLOCK, block_rng


def _problem(seed: int, n: int = 25, k: int = 8, spread: float = 12.0) -> UncertaintyProblem:
    """Units close enough in score that weights reorder them: a latent quality plus noise."""
    rng = np.random.default_rng(seed)
    quality = np.sort(rng.normal(50, spread, n))
    s = pd.DataFrame(np.clip(quality[:, None] + rng.normal(0, 15, (n, k)), 0, 100),
                     columns=[f"i{j}" for j in range(k)], index=[f"U{u:02d}" for u in range(n)])
    groups = {c: f"g{j % 3}" for j, c in enumerate(s.columns)}
    w = pd.Series(rng.uniform(0.5, 2.0, k), index=s.columns)
    return UncertaintyProblem.from_weights(s, w, groups, {"g0": 0.5, "g1": 0.3, "g2": 0.2})


# -- the construction ----------------------------------------------------------------------------
def _brute_force(ranks: np.ndarray, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """Largest tail count τ whose sets [τ-th smallest, τ-th largest rank] hold jointly in
    at least ``coverage`` of the draws (Besag et al. 1995), by trying every τ."""
    R = len(ranks)
    srt = np.sort(ranks, axis=0)
    best = None
    for tau in range(1, R // 2 + 2):
        lo, hi = srt[tau - 1], srt[R - tau]
        if lo.max(initial=0) > 0 and (lo <= hi).all() and \
                joint_coverage(lo, hi, ranks) >= coverage - 1e-12:
            best = (lo, hi)
    assert best is not None
    return best


@pytest.mark.parametrize("seed", range(6))
def test_joint_sets_equal_brute_force_search(seed: int) -> None:
    rng = np.random.default_rng(seed)
    R, n = 300, 7
    base = rng.normal(size=n) * rng.uniform(0.2, 2.0)
    ranks = ranks_within(base[None, :] + rng.normal(size=(R, n)), np.zeros(n, dtype=int))
    for coverage in (0.5, 0.8, 0.9, 0.95):
        lo, hi, got = joint_rank_sets(column_counts(ranks, n + 1), [ranks[:100], ranks[100:]],
                                      coverage)
        blo, bhi = _brute_force(ranks, coverage)
        np.testing.assert_array_equal(lo, blo)
        np.testing.assert_array_equal(hi, bhi)
        assert got == joint_coverage(lo, hi, ranks) >= coverage


def test_joint_sets_cover_the_true_ranks_of_simulated_evaluations() -> None:
    # The true weights of each simulated evaluation are a draw from the distribution the Monte
    # Carlo samples (Dirichlet around the nominal weights), so its true ranks are known and
    # exchangeable with the replications: sets that hold jointly in 90 % of replications must
    # hold for the true ranks in ≥ 90 % of evaluations, up to Monte Carlo error.
    datasets, n_rep, c = 300, 2000, 30.0
    joint = marginal = unit_marginal = 0.0
    for d in range(datasets):
        p = _problem(d)
        IW, NW = sample_local_weights(p, 1, np.random.default_rng(10_000 + d), concentration=c)
        truth = ranks_within(totals_local(p, IW, NW), p.category_codes())[0]
        s = monte_carlo(p, n_rep, concentration=c, seed=d, coverage=0.9).summary
        joint += bool(((s.rank_lo_joint <= truth) & (truth <= s.rank_hi_joint)).all())
        inside = (s.rank_p05 <= truth) & (truth <= s.rank_p95)
        marginal += bool(inside.all())
        unit_marginal += inside.mean()
    joint, marginal, unit_marginal = (x / datasets for x in (joint, marginal, unit_marginal))
    se = np.sqrt(0.9 * 0.1 / datasets)
    assert joint >= 0.9 - 3 * se, joint                  # nominal, within Monte Carlo error
    assert unit_marginal >= 0.9 - 0.03, unit_marginal     # each marginal interval: ~90 %
    assert marginal <= joint - 0.25, (marginal, joint)    # jointly, the marginal ones fail


def test_sets_contain_marginal_intervals_and_the_nominal_case_is_a_point() -> None:
    p = _problem(3)
    s = monte_carlo(p, 2000, concentration=30, seed=1).summary
    assert (s.rank_lo_joint <= s.rank_p05).all() and (s.rank_p95 <= s.rank_hi_joint).all()
    fixed = monte_carlo(p, 50, perturb="none").summary
    assert (fixed.rank_lo_joint == fixed.nominal_rank).all()
    assert (fixed.rank_hi_joint == fixed.nominal_rank).all()


def test_in_memory_coverage_is_the_fraction_of_replications_inside_every_set() -> None:
    mc = monte_carlo(_problem(4), 3000, concentration=20, seed=2, coverage=0.8)
    s = mc.summary
    got = joint_coverage(s.rank_lo_joint.to_numpy(), s.rank_hi_joint.to_numpy(), mc.ranks)
    assert got == mc.settings["coverage_achieved"] >= 0.8


# -- bands ---------------------------------------------------------------------------------------
def test_median_bands_count_units_that_cannot_be_told_from_the_median() -> None:
    lo, hi = np.array([1, 1, 2, 5, 1, 2, 1]), np.array([2, 4, 5, 5, 1, 3, 3])
    codes = np.array([0, 0, 0, 0, 1, 1, 1])
    n_cat = np.array([5, 5, 5, 5, 3, 3, 3])
    band, like = median_bands(lo, hi, n_cat, codes)
    # category 0: median rank 3 -> [1, 2] above, [1, 4] and [2, 5] median, [5, 5] below
    assert band.tolist() == ["above", "median", "median", "below", "above", "median", "median"]
    assert like.tolist() == [2, 2, 2, 2, 2, 2, 2]
    p = _problem(5)
    p.category = pd.Series(np.where(np.arange(25) % 2 == 0, "A", "B"), index=p.scores.index)
    s = monte_carlo(p, 1000, concentration=30).summary
    for _, g in s.groupby("category"):
        assert (g.n_like_median == (g.band == "median").sum()).all()
        mid = (len(g) + 1) / 2
        assert ((g.band == "median") == ((g.rank_lo_joint <= mid) & (mid <= g.rank_hi_joint))
                ).all()


# -- streaming ------------------------------------------------------------------------------------
def test_streamed_monte_carlo_equals_in_memory() -> None:
    p = _problem(6)
    p.grades = pd.DataFrame({"grade": ["A", "B", "C"], "min_score": [60.0, 45.0, np.nan],
                             "quota": [0.2, np.nan, np.nan]})
    n = 2 * BLOCK + 500
    mem = monte_carlo(p, n, concentration=25, seed=3, stream=False)
    st = monte_carlo(p, n, concentration=25, seed=3, stream=True)
    assert st.ranks is None and st.weights is None and st.settings["streamed"]
    a, b = mem.summary, st.summary
    exact = [c for c in a.columns if not c.startswith("total_")]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_exact=True)
    # totals' quantiles from histograms of 4096 bins per unit: within a fraction of a point
    np.testing.assert_allclose(a[["total_p05", "total_p95"]], b[["total_p05", "total_p95"]],
                               atol=0.05)


def test_replications_are_keyed_by_their_index_not_by_the_chunking() -> None:
    p = _problem(7, n=12, k=6)
    one = monte_carlo(p, BLOCK + 10, seed=9)
    two = monte_carlo(p, 2 * BLOCK + 10, seed=9)
    np.testing.assert_array_equal(one.weights[:, :BLOCK], two.weights[:, :BLOCK])
    np.testing.assert_array_equal(one.ranks[:BLOCK], two.ranks[:BLOCK])
    g = block_rng(9, 1).standard_normal(3)
    assert not np.array_equal(g, block_rng(9, 0).standard_normal(3))


def _peak_mib(p: UncertaintyProblem, n: int) -> float:
    tracemalloc.start()
    monte_carlo(p, n, concentration=30, seed=1, stream=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def test_streamed_memory_is_flat_in_the_number_of_replications() -> None:
    p = _problem(8, n=40, k=6)
    small, large = _peak_mib(p, 2 * BLOCK), _peak_mib(p, 10 * BLOCK)
    # five times the replications; draws × units in float64 alone would be 5 × 5 MiB more
    assert large < small * 1.3 + 1, (small, large)


# -- order of the rows --------------------------------------------------------------------------
def _rich_problem(order: np.random.Generator | None) -> UncertaintyProblem:
    rng = np.random.default_rng(11)
    n, k = 30, 9
    s = pd.DataFrame(rng.uniform(0, 100, (n, k)), columns=[f"i{j}" for j in range(k)],
                     index=[f"U{u:02d}" for u in range(n)])
    s.iloc[3, 2] = np.nan
    rows, cols = np.arange(n), np.arange(k)
    if order is not None:
        rows, cols = order.permutation(n), order.permutation(k)
    sub = s.iloc[rows, cols]
    groups = {c: f"g{int(c[1:]) % 3}" for c in s.columns}
    w = pd.Series(np.linspace(0.5, 2.0, k), index=s.columns)
    cat = pd.Series(np.where(np.arange(n) % 3 == 0, "A", "B"), index=s.index)
    p = UncertaintyProblem.from_weights(sub, w, groups, {"g0": 0.5, "g1": 0.3, "g2": 0.2},
                                        category=cat.iloc[rows])
    p.score_options = {f"winmax={a}|normalisation={b}": (s * (1 + 0.1 * a) + b)
                       .iloc[rows[::-1], cols[::-1]] for a in (1, 2) for b in (0, 5)}
    p.score_factors = {"winmax": ["1", "2"], "normalisation": ["0", "5"]}
    p.grades = pd.DataFrame({"grade": ["A", "B", "C"], "min_score": [60.0, 45.0, np.nan],
                             "quota": [0.3, np.nan, np.nan]})
    p.veto = pd.Series(s.index == "U07", index=s.index)
    return p


def test_shuffled_rows_give_the_same_table_to_the_bit() -> None:
    kw = {"concentration": 20, "aggregations": ("arithmetic", "geometric"), "seed": 4,
          "keep_totals": True}
    base = monte_carlo(_rich_problem(None), 1500, **kw)
    t0 = base.summary.set_index("unit_id").sort_index()
    for k in range(3):
        p = _rich_problem(np.random.default_rng(k))
        assert list(p.scores.index) != sorted(p.scores.index)
        mc = monte_carlo(p, 1500, **kw)
        t = mc.summary.set_index("unit_id").sort_index()
        pd.testing.assert_frame_equal(t, t0, check_exact=True)
        assert list(mc.summary.unit_id) == list(p.scores.index)   # rows in the input order
        W = pd.DataFrame(mc.weights, index=p.tree.indicators).sort_index()
        W0 = pd.DataFrame(base.weights, index=_rich_problem(None).tree.indicators).sort_index()
        np.testing.assert_array_equal(W.to_numpy(), W0.to_numpy())
        pd.testing.assert_frame_equal(mc.choices, base.choices)
        si = sobol_indices(p, 64, percent=0.3, num_resamples=10, weight_factors="level")
        si0 = sobol_indices(_rich_problem(None), 64, percent=0.3, num_resamples=10,
                            weight_factors="level")
        pd.testing.assert_frame_equal(si, si0, check_exact=True)


# -- the unit sentence ----------------------------------------------------------------------------
def test_unit_sentence_reads_the_simultaneous_set() -> None:
    s = monte_carlo(_problem(9), 2000, concentration=20, seed=5).table("2025")
    row = s.iloc[10]
    info = unit_rank_interval(s, row["unit_id"])
    lo, hi, nom = int(row.rank_lo_joint), int(row.rank_hi_joint), int(row.nominal_rank)
    span = f"{lo}–{hi}" if hi > lo else f"{lo}"
    assert info["text_en"].startswith(f"Rank {nom}, plausibly {span} (of 25;")
    zspan = f"第{lo}–{hi}名" if hi > lo else f"第{lo}名"
    assert info["text_zh"].startswith(f"类内排名第{nom}名，合理范围{zspan}（共25个；")
    assert f"第{int(row.rank_p05)}至第{int(row.rank_p95)}名" in info["text_zh"]
