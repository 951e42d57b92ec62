"""Peer-rating schemes: properties every scheme must satisfy, and oracles from other libraries."""

from __future__ import annotations

import choix
import numpy as np
import pytest
from scipy import stats
from scipy.stats.mstats import winsorize

from evalkit.core.errors import EvalkitError, MethodError
from evalkit.sources.peer.config import validate_config
from evalkit.sources.peer.schemes import (
    SCHEMES,
    Design,
    additive_fit,
    bt_newton,
    check_design,
    pairwise_wins,
)

RNG = np.random.default_rng(20260522)
ALL = sorted(SCHEMES)


def _square(n: int, rng: np.random.Generator, missing: float = 0.0) -> np.ndarray:
    R = rng.normal(70, 10, (n, n))
    R[rng.random((n, n)) < missing] = np.nan
    np.fill_diagonal(R, np.nan)
    return R


def _design(n: int) -> Design:
    g = np.where(np.arange(n) < n // 2, "township", "dept")
    return Design(rater_group=g, ratee_group=g, rater_unit=np.arange(n))


def test_registry_has_the_twelve_schemes_with_metadata():
    expected = {"mean", "median", "trimmed_mean", "winsorized_mean", "zscore",
                "group_weighted", "borda", "additive", "pg1", "vancouver", "peerrank",
                "bradley_terry"}
    assert expected <= set(SCHEMES)
    for key in SCHEMES:
        f = SCHEMES[key]
        assert f.requires in {"any", "connected", "complete"}
        assert f.output in {"rating", "share"}
        assert "Reference" in f.__doc__ and "Examples" in f.__doc__


@pytest.mark.parametrize("key", ALL)
def test_noiseless_unbiased_complete_matrix_recovers_truth(key):
    # every rater reports the truth exactly (self excluded): rating-scale schemes must
    # return the truth, share-scale schemes its exact order
    n = 9
    truth = np.linspace(55, 95, n)[RNG.permutation(n)]
    R = np.tile(truth, (n, 1))
    np.fill_diagonal(R, np.nan)
    f = SCHEMES[key]
    # PG1's N(0, σ_s²) prior on scores shrinks them to the mean by design: with a flat prior
    # (σ_s = ∞) it must recover the truth exactly like the others
    params = {"prior_score_sd": np.inf} if key == "pg1" else {}
    s = f(R, _design(n), **params)
    if key == "zscore":
        # per-rater standardisation: each ballot omits a different ratee (itself), so the
        # per-rater means differ and only the order is exact; on a design where every rater
        # rates every ratee the truth itself comes back
        assert stats.kendalltau(s, truth).statistic == pytest.approx(1.0)
        np.testing.assert_allclose(f(np.tile(truth, (4, 1))), truth, atol=1e-9)
    elif f.output == "rating":
        np.testing.assert_allclose(s, truth, atol=1e-6)
    else:
        assert stats.kendalltau(s, truth).statistic == pytest.approx(1.0)


@pytest.mark.parametrize("key", ALL)
def test_batched_call_equals_one_matrix_at_a_time(key):
    n = 7
    Rb = np.stack([_square(n, np.random.default_rng(s)) for s in range(4)])
    f = SCHEMES[key]
    sb = f(Rb, _design(n))
    assert sb.shape == (4, n)
    # iterative schemes stop when the whole batch has converged (tolerance ~1e-6 SD), so a
    # batch may run a few more iterations than a single matrix: agree to 1e-4 points
    for b in range(4):
        np.testing.assert_allclose(sb[b], f(Rb[b], _design(n)), rtol=0, atol=1e-4)


@pytest.mark.parametrize("key", [k for k in ALL if SCHEMES[k].requires != "complete"])
def test_unrated_ratee_gets_nan_not_a_number_from_nowhere(key):
    R = _square(6, np.random.default_rng(1))
    R[:, 5] = np.nan
    s = SCHEMES[key](R, _design(6))
    assert np.isnan(s[5]) and np.isfinite(s[:5]).all()


def test_mean_median_against_numpy_on_complete_columns():
    R = RNG.normal(size=(8, 5))
    np.testing.assert_allclose(SCHEMES["mean"](R), R.mean(0))
    np.testing.assert_allclose(SCHEMES["median"](R), np.median(R, 0))


def test_trimmed_mean_matches_scipy_and_falls_back_below_min_raters():
    R = RNG.normal(70, 10, (9, 6))
    R[5:, 4:] = np.nan  # columns 4, 5 have 5 raters; others 9
    s = SCHEMES["trimmed_mean"](R, k=2, min_raters=7)
    for j in range(4):  # 9 raters >= 7: drop 2 highest and 2 lowest
        assert s[j] == pytest.approx(stats.trim_mean(R[:, j], 2 / 9))
    for j in (4, 5):  # 5 raters < 7: plain mean (stated fallback)
        assert s[j] == pytest.approx(np.nanmean(R[:, j]))


def test_winsorized_mean_matches_scipy_mstats():
    R = RNG.normal(70, 10, (10, 4))
    s = SCHEMES["winsorized_mean"](R, k=2)
    for j in range(4):
        assert s[j] == pytest.approx(winsorize(R[:, j], limits=(0.2, 0.2)).mean())


def test_trimmed_mean_rejects_bad_k():
    with pytest.raises(MethodError, match=r"k must be a non-negative integer"):
        SCHEMES["trimmed_mean"](np.ones((5, 2)), k=-1)
    with pytest.raises(MethodError, match=r"min_raters must be at least"):
        SCHEMES["trimmed_mean"](np.ones((5, 2)), k=2, min_raters=3)


def test_zscore_ignores_rater_leniency_and_scale():
    # per-rater affine transforms x -> a_r x + c_r (a_r > 0) leave the standardised mean
    # unchanged up to one common affine map, hence the same order
    n = 8
    R = RNG.normal(size=(n, n))
    a = RNG.uniform(0.5, 2, (n, 1))
    c = RNG.normal(0, 5, (n, 1))
    s1 = SCHEMES["zscore"](R)
    s2 = SCHEMES["zscore"](a * R + c)
    assert stats.pearsonr(s1, s2).statistic == pytest.approx(1.0)


def test_borda_points_by_hand():
    R = np.array([[1.0, 2.0, 3.0, np.nan], [4.0, 4.0, 1.0, 9.0]])
    # ballot 1: points 0, .5, 1; ballot 2: ranks 2.5, 2.5, 1, 4 -> .5, .5, 0, 1
    np.testing.assert_allclose(SCHEMES["borda"](R), [0.25, 0.5, 0.5, 1.0])


def test_group_weighted_against_pandas_groupby():
    import pandas as pd

    R = RNG.normal(70, 10, (9, 5))
    R[RNG.random(R.shape) < 0.2] = np.nan
    g = np.array(list("aaabbbbcc"))
    w = {"a": 0.5, "b": 0.3, "c": 0.2}
    s = SCHEMES["group_weighted"](R, Design(rater_group=g), weights=w)
    long = pd.DataFrame(R).assign(g=g).melt(id_vars="g").dropna()
    gm = long.groupby(["variable", "g"])["value"].mean().unstack()
    wv = pd.Series(w)
    expect = (gm * wv).sum(axis=1) / gm.notna().mul(wv).sum(axis=1)
    np.testing.assert_allclose(s, expect.to_numpy())


def test_group_weighted_names_a_group_without_weight():
    with pytest.raises(MethodError, match=r"no weight for rater group\(s\) \['c'\]"):
        SCHEMES["group_weighted"](np.ones((3, 2)), Design(rater_group=np.array(list("abc"))),
                                  weights={"a": 1, "b": 1})


def test_additive_model_recovers_planted_rater_biases_on_a_sparse_design():
    n, m = 12, 15
    q = RNG.normal(70, 8, n)
    b = RNG.normal(0, 5, m)
    b -= b.mean()
    R = q[None, :] + b[:, None]
    R[RNG.random((m, n)) < 0.4] = np.nan
    check_design(R, "additive")  # connected
    fit = additive_fit(R)
    np.testing.assert_allclose(fit["quality"], q, atol=1e-8)
    np.testing.assert_allclose(fit["bias"], b, atol=1e-8)


def test_additive_model_recovers_planted_ingroup_favour():
    n = 10
    d = _design(n)
    q = RNG.normal(70, 8, n)
    b = RNG.normal(0, 4, n)
    b -= b.mean()
    same = d.rater_group[:, None] == d.ratee_group[None, :]
    R = q[None, :] + b[:, None] + 6.0 * same
    np.fill_diagonal(R, np.nan)
    fit = additive_fit(R, d, ingroup=True)
    assert fit["ingroup"] == pytest.approx(6.0)
    np.testing.assert_allclose(fit["bias"], b, atol=1e-8)
    np.testing.assert_allclose(fit["quality"], q, atol=1e-8)
    # without the term, the in-group favour leaks into the scores of the smaller group
    assert not np.allclose(additive_fit(R, d)["quality"], q, atol=0.5)


@pytest.mark.parametrize("key", ["pg1", "vancouver"])
def test_reliability_weighting_beats_the_mean_with_one_erratic_rater(key):
    # 300 replications: 8 careful raters (noise sd 2) and 2 erratic ones (sd 25)
    B, m, n = 300, 10, 8
    rng = np.random.default_rng(7)
    q = rng.normal(70, 8, (B, 1, n))
    sd = np.array([2.0] * 8 + [25.0] * 2)[None, :, None]
    R = q + rng.normal(size=(B, m, n)) * sd
    err = {k: np.sqrt(((SCHEMES[k](R) - q[:, 0]) ** 2).mean()) for k in ("mean", key)}
    assert err[key] < 0.6 * err["mean"]


def test_pairwise_wins_against_a_direct_count():
    R = np.array([[1.0, 2.0, 2.0], [3.0, np.nan, 1.0], [np.nan, 5.0, 4.0]])
    C = pairwise_wins(R)
    expect = np.zeros((3, 3))
    for r in range(3):
        for i in range(3):
            for j in range(3):
                if i != j and not np.isnan(R[r, i]) and not np.isnan(R[r, j]):
                    expect[i, j] += 1.0 if R[r, i] > R[r, j] else 0.5 * (R[r, i] == R[r, j])
    np.testing.assert_allclose(C, expect)


def test_bradley_terry_fit_matches_choix():
    # oracle: choix's ILSR maximum-likelihood estimate on the same (regularised) win counts
    R = _square(10, np.random.default_rng(3), missing=0.3)
    C = pairwise_wins(R) + 0.1 * (1 - np.eye(10))
    ours = bt_newton(C)
    theirs = choix.ilsr_pairwise_dense(C, alpha=0.0, max_iter=1000, tol=1e-12)
    np.testing.assert_allclose(ours - ours.mean(), theirs - theirs.mean(), atol=1e-5)


def test_peerrank_weights_raters_by_their_own_grade():
    # Walsh (2014): a unit graded low by everyone has little say. Units 0-2 agree that
    # 3 is poor; 3 praises 0 alone. PeerRank moves 0 less than the mean does.
    R = np.array([[np.nan, .8, .8, .1], [.6, np.nan, .8, .1], [.6, .8, np.nan, .1],
                  [1.0, .2, .2, np.nan]])
    pr = SCHEMES["peerrank"](R, scale=(0, 1))
    mn = SCHEMES["mean"](R)
    assert pr[0] < mn[0]


def test_complete_design_scheme_refuses_a_sparse_matrix():
    R = _square(6, np.random.default_rng(2))
    R[0, 3] = np.nan
    with pytest.raises(MethodError, match=r"'peerrank' needs a complete design: 1 rating"):
        check_design(R, "peerrank", "sources.peer.scheme")


def test_connected_design_scheme_refuses_two_islands():
    # raters 0-2 rate ratees 0-1 only, raters 3-5 rate ratees 2-3 only
    R = np.full((6, 4), np.nan)
    R[:3, :2] = 70.0
    R[3:, 2:] = 80.0
    with pytest.raises(MethodError, match=r"2 disconnected parts"):
        check_design(R, "additive")
    check_design(R, "mean")  # any design: no error


def test_unknown_scheme_lists_known_ones():
    with pytest.raises(EvalkitError, match=r"unknown peer scheme method 'avg'.*trimmed_mean"):
        SCHEMES.get("avg", "sources.peer.scheme")


@pytest.mark.parametrize(("scheme", "params", "path"), [
    ("trimmed_mean", {"k": -1}, "sources.peer.params.k"),
    ("winsorized_mean", {"k": 2, "min_raters": 4}, "sources.peer.params.min_raters"),
    ("trimmed_mean", {"k": "x"}, "sources.peer.params.k"),
    ("peerrank", {"alpha": 0.7, "beta": 0.5}, "sources.peer.params.beta"),
    ("mean", {"k": 1}, "sources.peer.params.k"),
])
def test_peer_config_checks_scheme_params(scheme: str, params: dict, path: str) -> None:
    """The section's check finds what the scheme would raise, named by its YAML path."""
    found = [e.where for e in validate_config({"scheme": scheme, "params": params},
                                              "sources.peer")]
    assert found == [path]
    assert validate_config({"scheme": scheme, "params": {}}, "sources.peer") == []
