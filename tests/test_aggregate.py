"""Aggregation methods against scipy/statsmodels oracles; points, ranks, grades, quotas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.weightstats import DescrStatsW

from evalkit.aggregation.grades import assign_grades, grade_matrix, level_arrays, rank_within
from evalkit.aggregation.means import (
    AGGREGATION,
    quasi_mean_finish,
    to_generator_space,
)
from evalkit.aggregation.points import points_totals
from evalkit.spec.schema import Grade

rng = np.random.default_rng(0)
XS = rng.uniform(1, 100, (20, 5))
WS = rng.uniform(0.1, 3, (20, 5))


def test_arithmetic_geometric_harmonic_against_scipy() -> None:
    a, _ = AGGREGATION["arithmetic"](XS, WS)
    g, _ = AGGREGATION["geometric"](XS, WS)
    h, _ = AGGREGATION["harmonic"](XS, WS)
    for i in range(len(XS)):
        assert a[i] == pytest.approx(np.average(XS[i], weights=WS[i]))
        assert g[i] == pytest.approx(stats.gmean(XS[i], weights=WS[i]))
        assert h[i] == pytest.approx(stats.hmean(XS[i], weights=WS[i]))


def test_weighted_median_against_statsmodels() -> None:
    m, _ = AGGREGATION["median"](XS, WS)
    for i in range(len(XS)):
        oracle = DescrStatsW(XS[i], weights=WS[i]).quantile([0.5], return_pandas=False)[0]
        assert m[i] == pytest.approx(oracle)


@pytest.mark.parametrize("method", sorted(AGGREGATION))
def test_shares_sum_to_one_and_weights_renormalise(method: str) -> None:
    agg, sh = AGGREGATION[method](XS, WS)
    np.testing.assert_allclose(sh.sum(axis=1), 1.0)
    agg2, _ = AGGREGATION[method](XS, 7.5 * WS)           # scaling weights changes nothing
    np.testing.assert_allclose(agg, agg2)
    W0 = WS.copy()
    W0[:, 0] = 0.0                                          # a dropped child is ignored
    X0 = XS.copy()
    X0[:, 0] = np.nan
    agg3, _ = AGGREGATION[method](X0, W0)
    agg4, _ = AGGREGATION[method](XS[:, 1:], WS[:, 1:])
    np.testing.assert_allclose(agg3, agg4)
    lo, hi = XS.min(axis=1), XS.max(axis=1)
    assert np.all((agg >= lo - 1e-9) & (agg <= hi + 1e-9))  # a mean lies between its parts


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 100.0), min_size=2, max_size=6))
def test_mean_ordering_harmonic_le_geometric_le_arithmetic(x: list[float]) -> None:
    X = np.array([x])
    W = np.ones_like(X)
    a = AGGREGATION["arithmetic"](X, W)[0][0]
    g = AGGREGATION["geometric"](X, W)[0][0]
    h = AGGREGATION["harmonic"](X, W)[0][0]
    assert h <= g + 1e-9 <= a + 2e-9
    if min(x) == 0:
        assert g == 0 and h == 0                         # stated zero convention


def test_points_rules() -> None:
    units = pd.Index(["A", "B", "C"])
    rec = pd.DataFrame({"unit_id": ["A", "A", "B", "B", "C"],
                        "kind": ["bonus", "bonus", "deduction", "yellow_card", "veto"],
                        "points": [4.0, 3.0, 1.0, 1.5, 0.0], "reason": [""] * 5})
    per, applied = points_totals(rec, units, bonus_cap=5, deduction_cap=None,
                                 yellow_multiplier=2)
    assert per.loc["A", "bonus"] == 5                    # min(4 + 3, 5)
    assert per.loc["B", "deductions"] == 1 + 2 * 1.5     # yellow card counts double
    assert per["veto"].tolist() == [False, False, True]
    sums = applied.groupby(["unit_id", "kind"])["applied"].sum()
    assert sums["A"].sum() == pytest.approx(5)           # capped records still add up


def test_rank_ties_and_bottom() -> None:
    total = pd.Series([90.004, 90.001, 80, 70, 70], index=list("abcde"))
    cat = pd.Series(["x"] * 5, index=total.index)
    rank, n, rfb = rank_within(total, cat, decimals=2, ties="min")
    assert rank.tolist() == [1, 1, 3, 4, 4]              # equal after rounding: shared rank
    assert n.tolist() == [5] * 5
    assert rfb.tolist() == [4, 4, 3, 1, 1]               # both last units are last


def _levels() -> list[Grade]:
    return [Grade(id="A", min_score=80, quota=0.2), Grade(id="B", min_score=60),
            Grade(id="C")]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(40, 100), min_size=1, max_size=40),
       st.lists(st.booleans(), min_size=40, max_size=40))
def test_quota_never_exceeded_and_veto_respected(scores: list[int], veto: list[bool]) -> None:
    total = pd.Series(scores, dtype=float)
    cat = pd.Series(["x"] * len(scores))
    v = pd.Series(veto[: len(scores)])
    g = assign_grades(total, cat, v, _levels(), "floor", "demote", veto_max=1, decimals=2)
    assert (g == 0).sum() <= int(np.floor(0.2 * len(scores)))   # quota
    assert not ((g == 0) & v).any()                              # veto: never the top grade
    # a unit with a grade better than another never has a lower score, among non-vetoed units
    ok = ~v
    for i in np.flatnonzero(ok):
        for j in np.flatnonzero(ok):
            if g[i] < g[j]:
                assert total[i] >= total[j]
    assert ((g < 2) <= (total >= 60)).all()                      # min scores respected


def test_quota_ties_demote_or_admit() -> None:
    total = pd.Series([95, 90, 90, 70, 65, 60, 55, 50, 45, 40], dtype=float)
    cat = pd.Series(["x"] * 10)
    v = pd.Series([False] * 10)
    demote = assign_grades(total, cat, v, _levels(), "floor", "demote", 2, 2)
    admit = assign_grades(total, cat, v, _levels(), "floor", "admit", 2, 2)
    assert (demote == 0).tolist()[:3] == [True, False, False]   # quota 2, tie at the edge
    assert (admit == 0).tolist()[:3] == [True, True, True]


def _grades_oracle(total: pd.Series, category: pd.Series, veto: pd.Series, levels: list,
                   rounding: str, ties: str, veto_max: int) -> np.ndarray:
    """The rule written out unit by unit (pandas, loops): an oracle for grade_matrix."""
    rnd = {"floor": np.floor, "ceil": np.ceil, "round": np.round}[rounding]
    grade = pd.Series(len(levels) - 1, index=total.index)
    for _, idx in category.groupby(category).groups.items():
        sub = total.loc[idx].sort_values(ascending=False, kind="stable")
        free = pd.Series(True, index=sub.index)
        for k, lvl in enumerate(levels[:-1]):
            ok = free & sub.ge(lvl.min_score if lvl.min_score is not None else -np.inf)
            if k < veto_max:
                ok &= ~veto.loc[sub.index]
            cand = sub[ok]
            cap = len(cand) if lvl.quota is None else int(rnd(lvl.quota * len(sub) + 1e-9))
            if len(cand) > cap:
                edge = cand.iloc[cap - 1] if cap else np.inf
                tied = cap > 0 and cand.iloc[cap] == edge
                if ties == "admit" and cap:
                    cand = cand[cand >= edge]
                else:
                    cand = cand.iloc[:cap]
                    cand = cand[cand > edge] if tied else cand
            grade.loc[cand.index] = k
            free.loc[cand.index] = False
    return np.where(veto, np.maximum(grade, veto_max), grade)


@pytest.mark.parametrize("ties", ["demote", "admit"])
@pytest.mark.parametrize("rounding", ["floor", "round", "ceil"])
def test_grade_matrix_equals_the_rule_unit_by_unit(ties: str, rounding: str) -> None:
    # integer totals: many ties, also at the quota boundaries; two categories and vetoes
    r = np.random.default_rng(11)
    n = 37
    T = r.integers(55, 100, (25, n)).astype(float)
    cat = pd.Series(np.where(r.uniform(size=n) < 0.4, "x", "y"))
    veto = pd.Series(r.uniform(size=n) < 0.1)
    levels = [Grade(id="A", min_score=85, quota=0.15), Grade(id="B", min_score=70, quota=0.4),
              Grade(id="C", min_score=60), Grade(id="D")]
    mins, quotas = level_arrays(levels)
    G = grade_matrix(T, pd.factorize(cat)[0], mins, quotas, rounding, ties, veto.to_numpy(), 1)
    for k in range(len(T)):
        expect = _grades_oracle(pd.Series(T[k]), cat, veto, levels, rounding, ties, 1)
        np.testing.assert_array_equal(G[k], expect)
        nominal = assign_grades(pd.Series(T[k]), cat, veto, levels, rounding, ties, 1, 2)
        np.testing.assert_array_equal(nominal.to_numpy(), expect)


def test_every_method_has_a_batched_form() -> None:
    for m in AGGREGATION:
        assert AGGREGATION.trait(m, "generator", None) or AGGREGATION.trait(m, "value", None)


@pytest.mark.parametrize("method", AGGREGATION.having("generator"))
def test_generator_products_equal_the_registry_for_many_weight_vectors(method: str) -> None:
    # Σ_i w_ri f(x_ui) as ONE matrix product (replications × children) @ (children × units)
    # gives, through the registry's own finish, the registry method unit by unit
    r = np.random.default_rng(12)
    X = r.uniform(0, 100, (15, 6))
    X[2, 1] = 0.0                                        # absorbs geometric / harmonic
    K = r.uniform(size=X.shape) > 0.2                    # missing cells: weight 0
    Wr = r.uniform(0.1, 2, (4, 6))
    gen = AGGREGATION.trait(method, "generator")
    F, A = to_generator_space(np.where(K, X, 1.0), gen)
    assert (A is not None) == (method != "arithmetic")   # only f(0) = ±∞ absorbs
    absorbed = None if A is None else Wr @ np.where(K, A, 0.0).T
    batch = quasi_mean_finish(Wr @ np.where(K, F, 0.0).T, Wr @ K.T.astype(float), absorbed, gen)
    for k in range(len(Wr)):
        agg, _ = AGGREGATION[method](X, Wr[k] * K)
        np.testing.assert_allclose(batch[k], agg, rtol=1e-12)


def test_global_weights_of_a_node_with_indicators_and_sub_nodes() -> None:
    # root "p" has an indicator a (weight 1) and a sub-node "q" (weight 3) holding b and c:
    # a weighs 1/4, b and c share 3/4 by their own weights 1:2; for an arithmetic tree the
    # office score is then Σ global weight × score, and the global weights sum to 1
    from evalkit.aggregation.scorecard import aggregate_office
    from evalkit.spec.tree import Tree

    tree = Tree(["all"], ["a", "b", "c"], ["p", "q"], np.array([0, 1, 1]), np.array([-1, 0]),
                np.array([[1.0, 1.0, 2.0]]), np.array([[1.0, 3.0]]),
                ["arithmetic", "arithmetic"], "arithmetic", [1, 0], np.array([3, 2]))
    S = np.array([[40.0, 70.0, 100.0]])
    out = aggregate_office(S, np.ones_like(S, bool), np.array([0]), tree)
    np.testing.assert_allclose(out["ind_weight"], [[0.25, 0.25, 0.5]])
    np.testing.assert_allclose(out["office"], out["ind_weight"] @ S[0])
    np.testing.assert_allclose(out["ind_contrib"].sum(), out["office"])


@pytest.mark.parametrize("ties", ["min", "dense", "first"])
def test_ranks_within_category_match_pandas_groupby_rank(ties: str) -> None:
    # Oracle: pandas' groupby rank (the spec's `ranking.ties` are its method names), on
    # totals with many ties, missing totals and a unit without a category.
    rng = np.random.default_rng(7)
    total = pd.Series(rng.integers(0, 6, 60).astype(float) * 10)
    total[[3, 17, 40]] = np.nan
    category = pd.Series(rng.choice(["a", "b", "c"], 60), dtype="string")
    category[[5, 41]] = pd.NA
    rank, n, rfb = rank_within(total, category, 2, ties)
    g = total.round(2).groupby(category)
    pd.testing.assert_series_equal(
        rank, g.rank(ascending=False, method=ties).astype("Int64"), check_names=False)
    pd.testing.assert_series_equal(
        rfb, g.rank(ascending=True, method="min").astype("Int64"), check_names=False)
    pd.testing.assert_series_equal(n, g.transform("size").astype("Int64"), check_names=False)
