"""Weighting schemes: published worked examples, oracle libraries, properties, bad input."""

from __future__ import annotations

import json
from itertools import combinations

import ahpy
import numpy as np
import pandas as pd
import pytest
from pymcdm import weights as pmw
from pymcdm.weights.subjective import AHP as PymcdmAHP
from scipy import stats

from evalkit.core.errors import EvalkitError, MethodError
from evalkit.weights import WEIGHTING, WeightSet, compute_weights
from evalkit.weights.ahp import RI_TABLES

ITEMS4 = ["a", "b", "c", "d"]


def _random_data(seed: int = 0, n: int = 40, k: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    x = np.exp(0.4 * f + rng.normal(size=(n, k)) * np.linspace(0.2, 1.0, k))
    return pd.DataFrame(x * np.array([1, 10, 100, 3, 0.5])[:k],
                        columns=[f"i{j}" for j in range(k)],
                        index=[f"U{u:02d}" for u in range(n)])


def _consistent(w: np.ndarray) -> list[list[float]]:
    return np.outer(w, 1.0 / w).tolist()


# -- parameters that make every registered scheme run, for the property checks ----------
DATA = _random_data()
COLS = list(DATA.columns)
SAMPLE_PARAMS: dict[str, dict] = {
    "equal": {},
    "direct": {"points": [{"i0": 5, "i1": 3, "i2": 2, "i3": 1, "i4": 1},
                          {"i0": 50, "i1": 10, "i2": 20, "i3": 10, "i4": 10}]},
    "points": {"budget": 100, "points": {"i0": 40, "i1": 30, "i2": 10, "i3": 10, "i4": 10}},
    "roc": {"ranks": {"i0": 1, "i1": 2, "i2": 2, "i3": 4, "i4": 5}},
    "rank_sum": {"ranks": {"i0": 1, "i1": 2, "i2": 3, "i3": 3, "i4": 5}},
    "reciprocal_rank": {"ranks": {"i0": 3, "i1": 1, "i2": 2, "i3": 4, "i4": 5}},
    "swing": {"points": {"i0": 100, "i1": 80, "i2": 50, "i3": 20, "i4": 0}},
    "smart": {"points": {"i0": 10, "i1": 20, "i2": 40, "i3": 30, "i4": 10}},
    "ahp": {"matrix": [[1, 3, 5, 7, 9], [1 / 3, 1, 3, 5, 7], [1 / 5, 1 / 3, 1, 3, 5],
                       [1 / 7, 1 / 5, 1 / 3, 1, 3], [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1]],
            "on_inconsistent": "flag"},
    "ahp_group": {"matrices": [_consistent(np.array([5, 4, 3, 2, 1.0])),
                               _consistent(np.array([1, 2, 3, 4, 5.0]))]},
    "ahp_incomplete": {"comparisons": [["i0", "i1", 2], ["i1", "i2", 3], ["i2", "i3", 1],
                                       ["i3", "i4", "1/2"], ["i0", "i4", 4]],
                       "on_inconsistent": "flag"},
    "bwm": {"best": "i0", "worst": "i4",
            "best_to_others": {"i0": 1, "i1": 2, "i2": 4, "i3": 3, "i4": 8},
            "others_to_worst": {"i0": 8, "i1": 5, "i2": 3, "i3": 2, "i4": 1}},
    "entropy": {},
    "critic": {"directions": {"i3": "cost"}},
    "sd": {},
    "cv": {},
    "pca": {},
    "bod": {"share_bounds": {"lower": 0.05}},
}


def test_every_registered_scheme_has_sample_params() -> None:
    assert set(WEIGHTING) == set(SAMPLE_PARAMS)


@pytest.mark.parametrize("method", sorted(SAMPLE_PARAMS))
def test_properties_nonnegative_sum_one_provenance(method: str) -> None:
    ws = compute_weights(method, COLS, DATA, where="w", **SAMPLE_PARAMS[method])
    assert isinstance(ws, WeightSet)
    assert list(ws.weights.index) == COLS
    assert (ws.weights >= 0).all()
    assert ws.weights.sum() == pytest.approx(1.0, abs=1e-12)
    prov = json.loads(json.dumps(ws.provenance, allow_nan=False))
    assert prov["method"] == method and len(prov["inputs_sha256"]) == 64
    # the hash identifies the inputs: different data or parameters change it
    other = DATA * 1.5 if method in {"entropy", "critic", "sd", "cv", "pca", "bod"} else DATA
    ws2 = compute_weights(method, COLS, other, where="w", **SAMPLE_PARAMS[method])
    if other is DATA:
        assert ws2.inputs_sha256 == ws.inputs_sha256
    else:
        assert ws2.inputs_sha256 != ws.inputs_sha256


# -- subjective ----------------------------------------------------------------------------
def test_rank_based_published_values() -> None:
    # Barron & Barrett 1996 (Management Science 42(11), Table 1): ROC, n = 4
    ranks = {"a": 1, "b": 2, "c": 3, "d": 4}
    roc = compute_weights("roc", ITEMS4, ranks=ranks).weights
    np.testing.assert_allclose(roc, [0.5208, 0.2708, 0.1458, 0.0625], atol=5e-5)
    # Stillwell, Seaver & Edwards 1981: rank-sum 2(n+1-k)/(n(n+1)) -> 4/10, 3/10, 2/10, 1/10
    rs = compute_weights("rank_sum", ITEMS4, ranks=ranks).weights
    np.testing.assert_allclose(rs, [0.4, 0.3, 0.2, 0.1])
    # reciprocal rank, n = 4: (1/k)/(25/12) -> 12/25, 6/25, 4/25, 3/25
    rr = compute_weights("reciprocal_rank", ITEMS4, ranks=ranks).weights
    np.testing.assert_allclose(rr, [0.48, 0.24, 0.16, 0.12])


@pytest.mark.parametrize("method", ["roc", "rank_sum", "reciprocal_rank"])
def test_rank_ties_share_positions(method: str) -> None:
    untied = compute_weights(method, ITEMS4, ranks={"a": 1, "b": 2, "c": 3, "d": 4}).weights
    tied = compute_weights(method, ITEMS4, ranks={"a": 1, "b": 2, "c": 2, "d": 4}).weights
    assert tied["b"] == pytest.approx(tied["c"])
    assert tied["b"] == pytest.approx((untied["b"] + untied["c"]) / 2)
    assert tied["a"] == pytest.approx(untied["a"]) and tied["d"] == pytest.approx(untied["d"])
    # ranks given in another order permute the weights
    perm = compute_weights(method, ITEMS4, ranks={"a": 4, "b": 3, "c": 2, "d": 1}).weights
    np.testing.assert_allclose(perm.to_numpy(), untied.to_numpy()[::-1])


def test_direct_points_swing_smart_arithmetic() -> None:
    # two experts: (3,1) -> (.75,.25) and (1,1) -> (.5,.5); mean (.625, .375)
    ws = compute_weights("direct", ["a", "b"], points=[{"a": 3, "b": 1}, {"a": 10, "b": 10}])
    np.testing.assert_allclose(ws.weights, [0.625, 0.375])
    ws = compute_weights("points", ["a", "b", "c"], budget=10,
                         points=[{"a": 5, "b": 3, "c": 2}, {"a": 7, "b": 3, "c": 0}])
    np.testing.assert_allclose(ws.weights, [0.6, 0.3, 0.1])
    # von Winterfeldt & Edwards 1986: swings 100, 60, 40 -> 0.5, 0.3, 0.2
    ws = compute_weights("swing", ["a", "b", "c"], points={"a": 100, "b": 60, "c": 40})
    np.testing.assert_allclose(ws.weights, [0.5, 0.3, 0.2])
    ws = compute_weights("smart", ["a", "b", "c"], points={"a": 10, "b": 20, "c": 20})
    np.testing.assert_allclose(ws.weights, [0.2, 0.4, 0.4])


@pytest.mark.parametrize(("method", "params", "where"), [
    ("points", {"budget": 100, "points": {"a": 50, "b": 40}}, "w.points"),
    ("direct", {"points": {"a": -1, "b": 2}}, "w.points.a"),
    ("direct", {"points": {"a": 1}}, "w.points"),
    ("swing", {"points": {"a": 90, "b": 40}}, "w.points"),
    ("smart", {"points": {"a": 5, "b": 40}}, "w.points.a"),
    ("roc", {"ranks": {"a": 0, "b": 1}}, "w.ranks.a"),
    ("equal", {"bogus": 1}, "w.bogus"),
])
def test_subjective_bad_input(method: str, params: dict, where: str) -> None:
    with pytest.raises(MethodError) as e:
        compute_weights(method, ["a", "b"], where="w", **params)
    assert e.value.where == where


def test_unknown_method_lists_known_keys() -> None:
    with pytest.raises(EvalkitError, match="ahp_group"):
        compute_weights("nope", ["a"], where="perspectives[0].weighting")


# -- AHP -----------------------------------------------------------------------------------
SAATY_INCONSISTENT = [[1, 3, 5, 7, 9], [1 / 3, 1, 3, 5, 7], [1 / 5, 1 / 3, 1, 3, 5],
                      [1 / 7, 1 / 5, 1 / 3, 1, 3], [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1]]
INTRANSITIVE = [[1, 3, 1 / 3, 1], [1 / 3, 1, 3, 1], [3, 1 / 3, 1, 1], [1, 1, 1, 1]]
MILD = [[1, 2, 5, 4], [1 / 2, 1, 3, 3], [1 / 5, 1 / 3, 1, 1 / 2], [1 / 4, 1 / 3, 2, 1]]


@pytest.mark.parametrize("matrix", [MILD, SAATY_INCONSISTENT, INTRANSITIVE])
def test_ahp_eigenvector_and_cr_match_pymcdm(matrix: list) -> None:
    items = [f"x{i}" for i in range(len(matrix))]
    ws = compute_weights("ahp", items, matrix=matrix, ri_table="tummala_ling_1998",
                         on_inconsistent="flag")
    oracle = PymcdmAHP(matrix=np.array(matrix, dtype=float))
    np.testing.assert_allclose(ws.weights, oracle(), atol=1e-10)
    assert ws.diagnostics["CR"] == pytest.approx(oracle.get_cr(), abs=1e-10)
    # the Saaty 1980 table gives CR = CI / RI_n with its own RI
    saaty = compute_weights("ahp", items, matrix=matrix, on_inconsistent="flag")
    n = len(matrix)
    assert saaty.diagnostics["CR"] == pytest.approx(
        oracle.get_cr() * RI_TABLES["tummala_ling_1998"][n - 1] / RI_TABLES["saaty_1980"][n - 1])


@pytest.mark.parametrize(("ours", "theirs"), [("donegan_dodd_1991", "dd"),
                                               ("saaty_2005", "saaty")])
def test_ahp_consistency_ratio_matches_ahpy(ours: str, theirs: str) -> None:
    # Oracle: AHPy (Griffith, MIT licence), whose random indexes are Donegan & Dodd (1991),
    # Math. Comput. Modelling 15(10) 135-137 ("dd", AHPy's default) and Saaty (2005), Theory
    # and Applications of the ANP, p. 31 ("saaty"); CR = CI / RI_n on random Saaty-scale
    # matrices of every size each table covers.
    rng = np.random.default_rng(16)
    scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    for n in range(3, len(RI_TABLES[ours]) + 1):
        items = [f"x{i:02d}" for i in range(n)]
        iu = np.triu_indices(n, 1)
        a = np.ones((n, n))
        a[iu] = rng.choice(scale, size=len(iu[0]))
        a[iu[1], iu[0]] = 1 / a[iu]
        ws = compute_weights("ahp", items, matrix=a.tolist(), ri_table=ours,
                             on_inconsistent="flag")
        pairs = {(items[i], items[j]): a[i, j] for i, j in zip(*iu, strict=True)}
        oracle = ahpy.Compare("c", pairs, precision=12, random_index=theirs)
        assert ws.diagnostics["CR"] == pytest.approx(oracle.consistency_ratio, abs=1e-10), n
        assert ws.conventions["ri_table"] == ours
    # a matrix larger than the table is refused, not extrapolated
    big = len(RI_TABLES[ours]) + 1
    with pytest.raises(MethodError, match=f"covers n ≤ {big - 1}"):
        compute_weights("ahp", [f"x{i}" for i in range(big)], matrix=np.ones((big, big)).tolist(),
                        ri_table=ours)


def test_ahp_saaty_2008_drinks_worked_example() -> None:
    # Saaty, T. L. (2008). Decision making with the analytic hierarchy process. Int. J.
    # Services Sciences 1(1), 83-98, Table 3: relative consumption of drinks in the USA
    # (coffee, wine, tea, beer, sodas, milk, water); derived priorities and CR = 0.022
    f = 1.0
    drinks = [[1, 9, 5, 2, 1, 1, f / 2],
              [f / 9, 1, f / 3, f / 9, f / 9, f / 9, f / 9],
              [f / 5, 3, 1, f / 3, f / 4, f / 3, f / 9],
              [f / 2, 9, 3, 1, f / 2, 1, f / 3],
              [1, 9, 4, 2, 1, 2, f / 2],
              [1, 9, 3, 1, f / 2, 1, f / 3],
              [2, 9, 9, 3, 2, 3, 1]]
    items = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
    ws = compute_weights("ahp", items, matrix=drinks)
    np.testing.assert_allclose(ws.weights, [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327],
                               atol=5e-4)
    assert round(ws.diagnostics["CR"], 3) == 0.022


def test_random_index_tables_as_published() -> None:
    # Saaty 1980, The Analytic Hierarchy Process, p. 21 (n = 1..10)
    assert RI_TABLES["saaty_1980"][:10] == (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41,
                                            1.45, 1.49)
    # Tummala & Ling 1998, as used by pymcdm
    np.testing.assert_allclose(RI_TABLES["tummala_ling_1998"], PymcdmAHP.RI_M)
    # Alonso & Lamata 2006, Table 2 (n = 3..6)
    assert RI_TABLES["alonso_lamata_2006"][2:6] == (0.5245, 0.8815, 1.1086, 1.2479)


def test_saaty_2005_random_index_table_as_published() -> None:
    # Saaty 2005, Theory and Applications of the Analytic Network Process, p. 31 (n = 1..15)
    assert RI_TABLES["saaty_2005"] == (0.0, 0.0, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45,
                                       1.49, 1.52, 1.54, 1.56, 1.58, 1.59)
    # every table starts 0, 0 (n ≤ 2 is always consistent) and covers at least n = 15
    assert all(v[:2] == (0.0, 0.0) and len(v) >= 15 for v in RI_TABLES.values())
    # the table is a convention: CR = CI / RI_n with the named table, recorded in the set
    m = [[1, 3, 5, 7], [1 / 3, 1, 3, 5], [1 / 5, 1 / 3, 1, 3], [1 / 7, 1 / 5, 1 / 3, 1]]
    a = compute_weights("ahp", ITEMS4, matrix=m)
    b = compute_weights("ahp", ITEMS4, matrix=m, ri_table="saaty_2005")
    assert b.conventions["ri_table"] == "saaty_2005" and b.diagnostics["RI"] == 0.89
    assert b.diagnostics["CI"] == pytest.approx(a.diagnostics["CI"])
    assert b.diagnostics["CR"] == pytest.approx(a.diagnostics["CI"] / 0.89)
    assert b.diagnostics["CR"] == pytest.approx(a.diagnostics["CR"] * 0.90 / 0.89)


@pytest.mark.parametrize("method", sorted(SAMPLE_PARAMS))
def test_data_driven_schemes_say_their_weights_depend_on_the_data(method: str) -> None:
    ws = compute_weights(method, COLS, DATA, where="w", **SAMPLE_PARAMS[method])
    objective = WEIGHTING.trait(method, "objective")
    assert ws.data_dependent is bool(objective)
    assert ws.conventions["data_dependent"] is bool(objective)
    prov = json.loads(json.dumps(ws.provenance))
    assert prov["conventions"]["data_dependent"] is bool(objective)
    assert ("data_dependent_note" in prov["conventions"]) is bool(objective)
    if objective:
        from evalkit.core.labels import t
        key = prov["conventions"]["data_dependent_note"]
        assert t(key, "zh") and t(key, "en")


def test_ahp_geometric_mean_matches_scipy_gmean() -> None:
    ws = compute_weights("ahp", ITEMS4, matrix=MILD, prioritisation="geometric_mean")
    g = stats.gmean(np.array(MILD), axis=1)
    np.testing.assert_allclose(ws.weights, g / g.sum())


def test_ahp_three_by_three_methods_coincide() -> None:
    # for n = 3 the eigenvector and row geometric mean coincide (Crawford & Williams 1985)
    m = [[1, 2, 7], [1 / 2, 1, 3], [1 / 7, 1 / 3, 1]]
    ev = compute_weights("ahp", ["a", "b", "c"], matrix=m).weights
    gm = compute_weights("ahp", ["a", "b", "c"], matrix=m, prioritisation="geometric_mean")
    np.testing.assert_allclose(ev, gm.weights, atol=1e-12)


@pytest.mark.parametrize("prio", ["eigenvector", "geometric_mean"])
def test_ahp_consistent_matrix_returns_generating_weights(prio: str) -> None:
    w = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    items = list("abcde")
    ws = compute_weights("ahp", items, matrix=_consistent(w), prioritisation=prio)
    np.testing.assert_allclose(ws.weights, w, atol=1e-12)
    assert ws.diagnostics["CR"] == pytest.approx(0.0, abs=1e-12)
    assert ws.flags == []


def test_ahp_refuses_or_flags_inconsistency() -> None:
    with pytest.raises(MethodError, match=r"CR = \d\.\d+ > 0\.1") as e:
        compute_weights("ahp", ITEMS4, matrix=INTRANSITIVE, where="p.weighting")
    assert e.value.where == "p.weighting"
    ws = compute_weights("ahp", ITEMS4, matrix=INTRANSITIVE, on_inconsistent="flag")
    assert ws.diagnostics["CR"] > 0.1 and "CR" in ws.flags[0]


@pytest.mark.parametrize(("matrix", "where", "match"), [
    ([[1, 2, 3], [0.5, 1, 2], [1 / 3, 0.4, 1]], "w.matrix[1][2]", "not reciprocal"),
    ([[1, -2, 3], [-0.5, 1, 2], [1 / 3, 0.5, 1]], "w.matrix[0][1]", "positive"),
    ([[1, 0, 3], [0, 1, 2], [1 / 3, 0.5, 1]], "w.matrix[0][1]", "positive"),
    ([[2, 2, 3], [0.5, 1, 2], [1 / 3, 0.5, 1]], "w.matrix[0][0]", "diagonal"),
    ([[1, 2], [0.5, 1]], "w.matrix", "3 rows"),
    ([[1, 2, None], [0.5, 1, 2], [None, 0.5, 1]], "w.matrix[0][2]", "ahp_incomplete"),
])
def test_ahp_bad_matrices(matrix: list, where: str, match: str) -> None:
    with pytest.raises(MethodError, match=match) as e:
        compute_weights("ahp", ["a", "b", "c"], where="w", matrix=matrix)
    assert e.value.where == where


def test_ahp_comparisons_form_and_fractions() -> None:
    ws = compute_weights("ahp", ["a", "b", "c"],
                         comparisons=[["a", "b", 2], ["b", "c", "2"], ["a", "c", 4]])
    np.testing.assert_allclose(ws.weights, [4 / 7, 2 / 7, 1 / 7])
    ws2 = compute_weights("ahp", ["a", "b", "c"],
                          matrix=[[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]])
    np.testing.assert_allclose(ws.weights, ws2.weights)


def test_ahp_unknown_ri_table() -> None:
    with pytest.raises(MethodError, match="saaty_1980") as e:
        compute_weights("ahp", ["a", "b", "c"], where="w", matrix=MILD[:3], ri_table="x")
    assert e.value.where == "w.ri_table"


def test_group_ahp_aij_is_weighted_geometric_mean_and_equals_aip_with_gm() -> None:
    rng = np.random.default_rng(3)
    mats = []
    for _ in range(3):
        w = rng.dirichlet(np.ones(4) * 5)
        noise = np.exp(np.triu(rng.normal(scale=0.1, size=(4, 4)), 1))
        m = np.outer(w, 1 / w) * noise
        m = np.triu(m, 1) + np.tril(1 / m.T, -1) + np.eye(4)
        mats.append(m.tolist())
    lam = [0.5, 0.3, 0.2]
    aij = compute_weights("ahp_group", ITEMS4, matrices=mats, expert_weights=lam,
                          prioritisation="geometric_mean")
    g = stats.gmean(np.array(mats), axis=0, weights=np.array(lam)[:, None, None]
                    * np.ones((3, 4, 4)))
    expect = stats.gmean(g, axis=1)
    np.testing.assert_allclose(aij.weights, expect / expect.sum())
    # Forman & Peniwati 1998 / Escobar et al. 2004: with the row geometric mean, AIJ and
    # geometric AIP give the same priorities
    aip = compute_weights("ahp_group", ITEMS4, matrices=mats, expert_weights=lam,
                          prioritisation="geometric_mean", aggregation="aip")
    np.testing.assert_allclose(aij.weights, aip.weights, atol=1e-12)
    assert aij.diagnostics["consensus_GCI"] > 0


def test_group_ahp_identical_consistent_experts_full_consensus() -> None:
    w = np.array([0.1, 0.2, 0.3, 0.4])
    ws = compute_weights("ahp_group", ITEMS4, matrices=[_consistent(w)] * 3)
    np.testing.assert_allclose(ws.weights, w, atol=1e-12)
    assert ws.diagnostics["consensus_GCI"] == pytest.approx(0.0, abs=1e-20)


def test_group_ahp_bad_expert_matrix_is_located() -> None:
    bad = [[1, 2, 3, 4], [0.5, 1, 2, 3], [1 / 3, 0.5, 1, 2], [0.25, 1 / 3, 0.6, 1]]
    with pytest.raises(MethodError, match="not reciprocal") as e:
        compute_weights("ahp_group", ITEMS4, where="w", matrices=[MILD, bad])
    assert e.value.where == "w.matrices[1][2][3]"


@pytest.mark.parametrize("completion", ["llsm", "harker"])
def test_incomplete_consistent_returns_generating_weights(completion: str) -> None:
    w = np.array([0.4, 0.3, 0.2, 0.1])
    full = np.outer(w, 1 / w)
    m = full.tolist()
    for i, j in [(0, 2), (1, 3)]:
        m[i][j] = m[j][i] = None
    ws = compute_weights("ahp_incomplete", ITEMS4, matrix=m, completion=completion)
    np.testing.assert_allclose(ws.weights, w, atol=1e-10)
    assert ws.diagnostics["CR"] == pytest.approx(0.0, abs=1e-10)
    assert ws.diagnostics["n_missing_pairs"] == 2


def test_incomplete_on_complete_matrix_matches_complete_methods() -> None:
    llsm = compute_weights("ahp_incomplete", ITEMS4, matrix=MILD).weights
    g = stats.gmean(np.array(MILD), axis=1)
    np.testing.assert_allclose(llsm, g / g.sum())
    harker = compute_weights("ahp_incomplete", ITEMS4, matrix=MILD, completion="harker").weights
    np.testing.assert_allclose(harker, PymcdmAHP(matrix=np.array(MILD, dtype=float))(),
                               atol=1e-10)


def test_incomplete_disconnected_is_refused() -> None:
    comps = [["a", "b", 2], ["c", "d", 3]]
    with pytest.raises(MethodError, match="not connected") as e:
        compute_weights("ahp_incomplete", ITEMS4, where="w", comparisons=comps)
    assert e.value.where == "w.comparisons"
    assert "['a', 'b']" in str(e.value) and "['c', 'd']" in str(e.value)


def test_incomplete_one_sided_entry_is_refused() -> None:
    m = [[1, 2, 3], [0.5, 1, None], [1 / 3, 2, 1]]
    with pytest.raises(MethodError, match="a_ji is not"):
        compute_weights("ahp_incomplete", ["a", "b", "c"], matrix=m)


# -- BWM -----------------------------------------------------------------------------------
def test_bwm_consistent_comparisons_zero_xi() -> None:
    w = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
    items = list("abcde")
    bo = dict(zip(items, (w[0] / w).tolist(), strict=True))
    ow = dict(zip(items, (w / w[4]).tolist(), strict=True))
    bo["e"] = ow["a"]
    ws = compute_weights("bwm", items, best="a", worst="e", best_to_others=bo,
                         others_to_worst=ow)
    # best = a, worst = e (d ties with e; a_BW = 8)
    np.testing.assert_allclose(ws.weights, w, atol=1e-9)
    assert ws.diagnostics["xi"] == pytest.approx(0.0, abs=1e-9)


def test_bwm_xi_matches_brute_force_minimax() -> None:
    # Rezaei 2016's linear model: min max deviation; oracle = fine grid over the simplex
    bo = np.array([1.0, 3.0, 8.0])
    ow = np.array([8.0, 4.0, 1.0])  # inconsistent: 3 * 4 != 8
    ws = compute_weights("bwm", ["a", "b", "c"], best="a", worst="c",
                         best_to_others=bo.tolist(), others_to_worst=ow.tolist())
    step = 1 / 1500
    g = np.arange(0, 1 + step, step)
    w0, w1 = np.meshgrid(g, g)
    ok = w0 + w1 <= 1
    w = np.stack([w0[ok], w1[ok], 1 - w0[ok] - w1[ok]])
    dev = np.max(np.abs(np.vstack([w[0] - bo[:, None] * w, w - ow[:, None] * w[2]])), axis=0)
    assert ws.diagnostics["xi"] == pytest.approx(dev.min(), abs=2e-3)
    assert ws.diagnostics["xi"] <= dev.min() + 1e-12
    assert ws.diagnostics["xi"] > 0


@pytest.mark.parametrize(("params", "where"), [
    ({"best": "a", "worst": "a"}, "w.worst"),
    ({"best": "z", "worst": "a"}, "w.best"),
    ({"best": "a", "worst": "c", "best_to_others": {"a": 1, "b": 0.5, "c": 4},
      "others_to_worst": {"a": 4, "b": 2, "c": 1}}, "w.best_to_others.b"),
    ({"best": "a", "worst": "c", "best_to_others": {"a": 1, "b": 2, "c": 4},
      "others_to_worst": {"a": 5, "b": 2, "c": 1}}, "w.others_to_worst.a"),
])
def test_bwm_bad_input(params: dict, where: str) -> None:
    with pytest.raises(MethodError) as e:
        compute_weights("bwm", ["a", "b", "c"], where="w", **params)
    assert e.value.where == where


# -- objective -----------------------------------------------------------------------------
def test_entropy_raw_matches_pymcdm() -> None:
    ws = compute_weights("entropy", COLS, DATA, normalisation="raw")
    np.testing.assert_allclose(ws.weights, pmw.entropy_weights(DATA.to_numpy()), atol=1e-12)


def test_entropy_minmax_matches_scipy_entropy() -> None:
    ws = compute_weights("entropy", COLS, DATA, directions={"i1": "cost"})
    z = (DATA - DATA.min()) / (DATA.max() - DATA.min())
    z["i1"] = 1 - z["i1"]
    e = stats.entropy(z.to_numpy(), axis=0) / np.log(len(DATA))
    np.testing.assert_allclose(ws.weights, (1 - e) / (1 - e).sum(), atol=1e-12)


def test_critic_and_sd_raw_match_pymcdm() -> None:
    np.testing.assert_allclose(compute_weights("critic", COLS, DATA).weights,
                               pmw.critic_weights(DATA.to_numpy()), atol=1e-12)
    np.testing.assert_allclose(compute_weights("sd", COLS, DATA, normalisation="raw").weights,
                               pmw.standard_deviation_weights(DATA.to_numpy()), atol=1e-12)


def test_cost_direction_equals_mirrored_benefit() -> None:
    mirrored = DATA.assign(i2=-DATA["i2"])
    for m in ("critic", "sd", "entropy"):
        a = compute_weights(m, COLS, DATA, directions={"i2": "cost"}).weights
        b = compute_weights(m, COLS, mirrored).weights
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_cv_matches_scipy_variation() -> None:
    cv = stats.variation(DATA.to_numpy(), axis=0, ddof=1)
    np.testing.assert_allclose(compute_weights("cv", COLS, DATA).weights, cv / cv.sum())


@pytest.mark.parametrize(("method", "shift_ok"), [
    ("entropy", True), ("critic", True), ("sd", True), ("pca", True), ("cv", False),
    ("bod", False)])
def test_unit_of_measure_invariance(method: str, shift_ok: bool) -> None:
    base = compute_weights(method, COLS, DATA).weights
    scaled = DATA * np.array([1000, 0.01, 1, 7, 1e-4])  # yuan -> li, 10k yuan, ...
    w = compute_weights(method, COLS, scaled).weights
    if method == "bod":  # BoD scores are unit-invariant; weights rescale inversely
        s0 = compute_weights(method, COLS, DATA).diagnostics["score"]
        s1 = compute_weights(method, COLS, scaled).diagnostics["score"]
        np.testing.assert_allclose(s0, s1, atol=1e-7)
        return
    np.testing.assert_allclose(w, base, atol=1e-9)
    if shift_ok:
        np.testing.assert_allclose(compute_weights(method, COLS, DATA + 50).weights, base,
                                   atol=1e-9)


def test_sd_raw_is_not_unit_invariant() -> None:
    a = compute_weights("sd", COLS, DATA, normalisation="raw").weights
    b = compute_weights("sd", COLS, DATA.assign(i0=DATA["i0"] * 1000),
                        normalisation="raw").weights
    assert b["i0"] > a["i0"] + 0.3


def test_pca_first_component_matches_sklearn() -> None:
    from sklearn.decomposition import PCA

    z = (DATA - DATA.mean()) / DATA.std(ddof=1)
    comp = PCA(n_components=1).fit(z.to_numpy()).components_[0]
    comp = comp * np.sign(comp.sum())
    ws = compute_weights("pca", COLS, DATA, variant="first_component")
    expect = np.clip(comp, 0, None)
    np.testing.assert_allclose(ws.weights, expect / expect.sum(), atol=1e-8)


def test_pca_handbook_two_blocks() -> None:
    # two independent factors, each measured by two indicators: each indicator is assigned to
    # its own factor and the two blocks get weight in proportion to the variance explained
    rng = np.random.default_rng(11)
    f, g = rng.normal(size=(2, 400))
    d = pd.DataFrame({"a": f + 0.2 * rng.normal(size=400), "b": f + 0.2 * rng.normal(size=400),
                      "c": g + 0.2 * rng.normal(size=400), "d": g + 0.2 * rng.normal(size=400)})
    ws = compute_weights("pca", list("abcd"), d)
    fac = ws.diagnostics["factor_of_item"]
    assert ws.diagnostics["n_components"] == 2
    assert fac["a"] == fac["b"] != fac["c"] == fac["d"]
    np.testing.assert_allclose(ws.weights, 0.25, atol=0.03)


def _bod_vertex_oracle(y: np.ndarray) -> np.ndarray:
    """BoD scores for 2 indicators by enumerating the vertices of {w ≥ 0 : Y w ≤ 1}."""
    lines = [(row, 1.0) for row in y] + [(np.array([1.0, 0.0]), 0.0),
                                         (np.array([0.0, 1.0]), 0.0)]
    verts = []
    for (a1, b1), (a2, b2) in combinations(lines, 2):
        m = np.vstack([a1, a2])
        if abs(np.linalg.det(m)) < 1e-12:
            continue
        v = np.linalg.solve(m, [b1, b2])
        if np.all(v >= -1e-12) and np.all(y @ v <= 1 + 1e-9):
            verts.append(v)
    return (y @ np.array(verts).T).max(axis=1)


def test_bod_matches_vertex_enumeration() -> None:
    rng = np.random.default_rng(5)
    y = rng.uniform(0.1, 1.0, size=(12, 2))
    d = pd.DataFrame(y, columns=["a", "b"])
    ws = compute_weights("bod", ["a", "b"], d)
    np.testing.assert_allclose(ws.diagnostics["score"], _bod_vertex_oracle(y), atol=1e-8)
    assert ws.diagnostics["score"].max() == pytest.approx(1.0)


def test_bod_share_bounds_hold() -> None:
    ws = compute_weights("bod", COLS, DATA, share_bounds={"lower": 0.1, "upper": 0.4})
    pu = ws.diagnostics["per_unit"]
    w_raw = pu.to_numpy()
    shares = w_raw * DATA.loc[pu.index].to_numpy()
    shares = shares / shares.sum(axis=1, keepdims=True)
    assert shares.min() >= 0.1 - 1e-7 and shares.max() <= 0.4 + 1e-7
    unbounded = compute_weights("bod", COLS, DATA).diagnostics["score"]
    assert (ws.diagnostics["score"] <= unbounded + 1e-9).all()


@pytest.mark.parametrize("method", ["entropy", "critic", "sd", "cv", "pca", "bod"])
def test_constant_column_is_refused(method: str) -> None:
    d = DATA.assign(i2=3.0)
    with pytest.raises(MethodError, match="constant") as e:
        compute_weights(method, COLS, d, where="perspectives[1].weighting")
    assert e.value.where == "perspectives[1].weighting.data.i2"


@pytest.mark.parametrize(("method", "params"), [
    ("entropy", {"normalisation": "raw"}), ("cv", {}), ("bod", {})])
def test_negative_values_refused_where_positives_needed(method: str, params: dict) -> None:
    d = DATA.copy()
    d.loc["U03", "i1"] = -2.0
    with pytest.raises(MethodError, match="U03") as e:
        compute_weights(method, COLS, d, where="w", **params)
    assert e.value.where == "w.data.i1"


def test_objective_needs_data_and_known_columns() -> None:
    with pytest.raises(MethodError, match="needs the units"):
        compute_weights("entropy", COLS, None)
    with pytest.raises(MethodError, match="no data for items"):
        compute_weights("entropy", [*COLS, "zz"], DATA)
    with pytest.raises(MethodError) as e:
        compute_weights("sd", COLS, DATA, where="w", normalisation="zscore")
    assert e.value.where == "w.normalisation"
