"""Uncertainty: batched Monte Carlo against the pipeline, ranks, grades, Sobol, main effects."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.analysis.uncertainty import (
    UncertaintyProblem,
    composite_batch,
    grades_batch,
    main_effects,
    monte_carlo,
    nominal_composite,
    optimise_weights,
    problems_from_pipeline,
    ranks_within,
    sample_weights,
    sobol_indices,
    unit_rank_interval,
)
from evalkit.core.errors import EvalkitError
from evalkit.evaluate import evaluate

SHARED = Path(__file__).resolve().parents[2] / "shared"
ASEM = SHARED / "reference" / "asem"


def _random_problem(seed: int = 0, n: int = 60, k: int = 9, missing: float = 0.0
                    ) -> UncertaintyProblem:
    rng = np.random.default_rng(seed)
    s = pd.DataFrame(rng.uniform(0, 100, (n, k)), columns=[f"i{j}" for j in range(k)],
                     index=[f"U{u:03d}" for u in range(n)])
    if missing:
        s = s.mask(rng.uniform(size=s.shape) < missing)
    groups = pd.Series({c: f"g{j % 3}" for j, c in enumerate(s.columns)})
    w = pd.Series(rng.uniform(0.5, 2.0, k), index=s.columns)
    cat = pd.Series(np.where(np.arange(n) % 2 == 0, "A", "B"), index=s.index)
    return UncertaintyProblem.from_weights(s, w, groups, {"g0": 0.5, "g1": 0.3, "g2": 0.2},
                                           category=cat)


# -- the batched engine against straightforward computations ---------------------------------
@pytest.mark.parametrize("missing", [0.0, 0.1])
def test_composite_batch_matches_per_replication_weighted_mean(missing: float) -> None:
    p = _random_problem(missing=missing)
    W = sample_weights(p, 7, np.random.default_rng(1))
    C = composite_batch(p.scores.to_numpy(), W, pd.Index(p.group_weights.index)
                        .get_indexer(p.groups))
    S = p.scores
    for r in range(W.shape[1]):
        w = pd.Series(W[:, r], index=S.columns)
        # oracle: per group, weighted mean of present indicators (np.ma.average); then the
        # weighted mean of the groups a unit has
        parts, gws = [], []
        for g, cols in p.groups.groupby(p.groups).groups.items():
            del g
            sub = np.ma.masked_invalid(S[list(cols)].to_numpy())
            parts.append(np.ma.average(sub, axis=1, weights=w[list(cols)].to_numpy()))
            gws.append(w[list(cols)].sum())
        parts = np.ma.column_stack(parts)
        expect = np.ma.average(parts, axis=1, weights=np.array(gws))
        np.testing.assert_allclose(C[r], expect.filled(np.nan), rtol=1e-12)


def test_geometric_aggregation_matches_scipy_gmean() -> None:
    rng = np.random.default_rng(2)
    S = rng.uniform(1, 100, (10, 4))
    W = rng.dirichlet(np.ones(4), 3).T
    C = composite_batch(S, W, aggregation="geometric")
    for r in range(3):
        np.testing.assert_allclose(C[r], stats.gmean(S, axis=1, weights=np.tile(W[:, r],
                                                                             (10, 1))))
    S[0, 1] = 0.0
    assert composite_batch(S, W, aggregation="geometric")[:, 0].tolist() == [0.0] * 3


def test_ranks_within_categories_match_pandas_rank() -> None:
    rng = np.random.default_rng(3)
    C = rng.normal(size=(5, 40))
    cat = np.repeat([0, 1, 2, 1], 10)
    R = ranks_within(C, cat)
    for r in range(5):
        expect = pd.Series(C[r]).groupby(cat).rank(ascending=False, method="first")
        np.testing.assert_array_equal(R[r], expect.to_numpy().astype(int))


def test_grades_batch_matches_pipeline_assign_grades() -> None:
    from evalkit.aggregation.grades import assign_grades

    rng = np.random.default_rng(4)
    n = 60
    cat = np.where(np.arange(n) < 25, "A", "B")
    T = rng.uniform(30, 100, (6, n))
    veto = np.zeros(n, dtype=bool)
    veto[[3, 40]] = True
    levels = [SimpleNamespace(id="ex", min_score=80.0, quota=0.2),
              SimpleNamespace(id="good", min_score=65.0, quota=0.5),
              SimpleNamespace(id="pass", min_score=50.0, quota=None),
              SimpleNamespace(id="fail", min_score=None, quota=None)]
    grades = pd.DataFrame({"grade": [lv.id for lv in levels],
                           "min_score": [80.0, 65.0, 50.0, np.nan],
                           "quota": [0.2, 0.5, np.nan, np.nan]})
    codes = pd.Categorical(cat).codes
    G = grades_batch(T, ranks_within(T, codes), codes, grades, "floor", veto, 2)
    idx = pd.Index([f"u{i}" for i in range(n)])
    for r in range(len(T)):
        expect = assign_grades(pd.Series(T[r], index=idx), pd.Series(cat, index=idx),
                               pd.Series(veto, index=idx), levels, "floor", "demote", 2, 8)
        np.testing.assert_array_equal(G[r], expect.to_numpy())


# -- sampling -------------------------------------------------------------------------------
def test_dirichlet_mean_and_variance() -> None:
    s = pd.DataFrame(np.eye(4) * 100, columns=list("abcd"))
    w0 = pd.Series({"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1})
    p = UncertaintyProblem.from_weights(s, w0)
    c = 50.0
    W = sample_weights(p, 40000, np.random.default_rng(5), concentration=c, level="indicator")
    np.testing.assert_allclose(W.sum(axis=0), 1.0)
    np.testing.assert_allclose(W.mean(axis=1), w0, atol=0.003)
    np.testing.assert_allclose(W.var(axis=1), w0 * (1 - w0) / (c + 1), rtol=0.05)


def test_percent_perturbation_bounds_and_levels() -> None:
    p = _random_problem()
    W = sample_weights(p, 500, np.random.default_rng(6), perturb="percent", percent=0.1,
                       level="group")
    # within-group ratios unchanged; group totals within ±10 % before renormalisation
    gw = pd.DataFrame(W, index=p.groups.index).groupby(p.groups).sum()
    ratio = (W / W.sum(axis=0)) / p.global_weights.to_numpy()[:, None]
    assert np.allclose(W.sum(axis=0), 1.0)
    assert ratio.min() >= 0.9 / 1.1 - 1e-12 and ratio.max() <= 1.1 / 0.9 + 1e-12
    within = W / gw.reindex(p.groups).to_numpy()
    np.testing.assert_allclose(within, np.repeat(p.within.to_numpy()[:, None], 500, 1))


# -- Monte Carlo ----------------------------------------------------------------------------
def test_monte_carlo_identities() -> None:
    p = _random_problem()
    mc = monte_carlo(p, 400, concentration=30, top_k=3, bottom_k=2)
    s = mc.summary
    # each replication puts exactly k units of each category in its top k / bottom k
    np.testing.assert_allclose(s.groupby("category")["p_top_3"].sum(), 3.0)
    np.testing.assert_allclose(s.groupby("category")["p_bottom_2"].sum(), 2.0)
    assert (s.rank_p05 <= s.rank_median).all() and (s.rank_median <= s.rank_p95).all()
    assert (s.rank_p95 <= s.n_in_category).all()
    # the histogram-based summary equals numpy's quantiles and means of the rank matrix
    q = np.quantile(mc.ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf")
    np.testing.assert_array_equal(s[["rank_p05", "rank_median", "rank_p95"]].to_numpy().T, q)
    np.testing.assert_allclose(s.rank_mean, mc.ranks.mean(axis=0))
    np.testing.assert_allclose(s.p_top_3, (mc.ranks <= 3).mean(axis=0))
    # nominal = from_weights' composite and ranks
    np.testing.assert_allclose(s.nominal_total, nominal_composite(p))
    exp_rank = nominal_composite(p).groupby(p.category).rank(ascending=False)
    np.testing.assert_array_equal(s.nominal_rank, exp_rank.to_numpy().astype(int))


def test_no_perturbation_gives_degenerate_interval() -> None:
    p = _random_problem()
    mc = monte_carlo(p, 50, perturb="percent", percent=0.0)
    s = mc.summary
    assert (s.rank_p05 == s.nominal_rank).all() and (s.rank_p95 == s.nominal_rank).all()


def test_switching_schemes_normalisations_and_aggregations() -> None:
    p = _random_problem()
    other = p.scores.rank(pct=True) * 100          # another "normalisation"
    p.score_options = {"rank": other}
    alt_w = pd.Series(1.0, index=p.scores.columns)
    p.weight_options = {"equal": (alt_w / 3, pd.Series(1 / 3, index=p.group_weights.index))}
    mc = monte_carlo(p, 600, aggregations=("arithmetic", "geometric"), perturb="none",
                     keep_totals=True)
    ch = mc.choices
    assert set(ch["weights"]) == {"nominal", "equal"} and set(ch["scores"]) == {"nominal",
                                                                                 "rank"}
    assert set(ch["aggregation"]) == {"arithmetic", "geometric"}
    # with perturb none, a replication equals the straight evaluation of its choice
    r = int(np.flatnonzero((ch["weights"] == "equal") & (ch["scores"] == "rank")
                           & (ch["aggregation"] == "geometric"))[0])
    expect = stats.gmean(other.to_numpy(), axis=1)
    np.testing.assert_allclose(mc.totals[r], expect)


def test_grade_probabilities_sum_to_one() -> None:
    p = _random_problem()
    p.grades = pd.DataFrame({"grade": ["ex", "ok", "no"], "min_score": [60.0, 45.0, np.nan],
                             "quota": [0.2, np.nan, np.nan]})
    s = monte_carlo(p, 300, concentration=20).summary
    probs = s[["p_grade_ex", "p_grade_ok", "p_grade_no"]].sum(axis=1)
    np.testing.assert_allclose(probs, 1.0)
    n_cat = s.groupby("category").size()
    assert (s.groupby("category")["p_grade_ex"].sum() <= np.floor(0.2 * n_cat) + 1e-12).all()
    assert s["p_grade_change"].between(0, 1).all()


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"aggregations": ("mode",)}, "aggregations"), ({"level": "x"}, "level"),
    ({"perturb": "x"}, "perturb"), ({"concentration": 0}, "concentration"),
    ({"perturb": "percent", "percent": 1.5}, "percent"), ({"n": 0}, "n")])
def test_monte_carlo_bad_settings(kwargs: dict, where: str) -> None:
    with pytest.raises(EvalkitError) as e:
        monte_carlo(_random_problem(), **{"n": 10, **kwargs})
    assert e.value.where == where


def test_geometric_refuses_negative_scores() -> None:
    with pytest.raises(EvalkitError, match="≥ 0"):
        composite_batch(np.array([[-1.0, 2.0]]), np.array([[0.5], [0.5]]), aggregation="geometric")


# -- Sobol ----------------------------------------------------------------------------------
def test_sobol_weight_of_constant_group_does_not_move_ranks() -> None:
    # total = (wA sA + wB sB + wC · 50) / Σw: wC shrinks differences but never reorders units,
    # so its total index on the rank shift is 0, while it matters for a unit's total
    rng = np.random.default_rng(7)
    s = pd.DataFrame({"a": rng.uniform(0, 100, 80), "b": rng.uniform(0, 100, 80),
                      "c": 50.0})
    p = UncertaintyProblem.from_weights(s, None, {"a": "A", "b": "B", "c": "C"})
    p.score_options = {"same": s.copy()}
    si = sobol_indices(p, 256, percent=0.4, units=[s.index[0]], num_resamples=20)
    rs = si[si.output == "rank_shift"].set_index("factor")
    assert rs.loc["w[C]", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert rs.loc["normalisation", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert rs.loc["w[A]", "ST"] > 0.2 and rs.loc["w[B]", "ST"] > 0.2
    tu = si[si.output == f"total[{s.index[0]}]"].set_index("factor")
    assert tu.loc["w[C]", "ST"] > 0.01


# -- main effects and the optimiser -----------------------------------------------------------
def test_main_effects_linear_independent_indicators() -> None:
    # for y = Σ w_i x_i with independent x_i: S_i = w_i² σ_i² / Σ_j w_j² σ_j²
    # (Paruolo, Saisana & Saltelli 2013, §3)
    rng = np.random.default_rng(8)
    sd = np.array([10.0, 20.0, 5.0])
    s = pd.DataFrame(rng.normal(50, sd, (20000, 3)), columns=list("abc"))
    w = pd.Series([0.5, 0.3, 0.2], index=list("abc"))
    expect = (w * sd) ** 2 / ((w * sd) ** 2).sum()
    for method, tol in (("linear", 0.01), ("lowess", 0.02)):
        sub = s if method == "linear" else s.iloc[:2000]
        me = main_effects(sub, w, method=method)
        np.testing.assert_allclose(me["main_effect"], expect, atol=tol)
        assert me["effective_weight"].sum() == pytest.approx(1.0)


def test_optimise_weights_reaches_equal_importance() -> None:
    # equal importance needs w_i ∝ 1/σ_i (from S_i ∝ w_i² σ_i²)
    rng = np.random.default_rng(9)
    sd = np.array([10.0, 20.0, 5.0, 8.0])
    s = pd.DataFrame(rng.normal(50, sd, (3000, 4)), columns=list("abcd"))
    ws = optimise_weights(s, method="linear")
    inv = (1 / sd) / (1 / sd).sum()
    np.testing.assert_allclose(ws.weights, inv, atol=0.02)
    np.testing.assert_allclose(list(ws.diagnostics["achieved"].values()), 0.25, atol=0.01)
    assert ws.weights.sum() == pytest.approx(1.0)


# -- the pipeline -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    from evalkit.demo.city import make_demo
    from evalkit.inputs.tables import load_tables
    from evalkit.validate import load_spec

    out = tmp_path_factory.mktemp("demo")
    make_demo(out / "data", spec_path=out / "demo.yaml")
    spec = load_spec(out / "demo.yaml")
    return spec, load_tables(spec)


def test_pipeline_problems_reproduce_totals_ranks_grades(demo: tuple) -> None:

    spec, tables = demo
    res = evaluate(spec, tables)
    tot = res.tables["totals"]
    tot = tot[tot["period"].astype(str) == str(tot["period"].iloc[-1])].set_index("unit_id")
    probs = problems_from_pipeline(spec, tables, results=evaluate(spec, tables))
    assert set(probs) == set(tot["category"])
    for p in probs.values():
        mc = monte_carlo(p, 20, perturb="none").summary.set_index("unit_id")
        t = tot.loc[mc.index]
        np.testing.assert_allclose(mc["nominal_total"], t["total"], atol=1e-9)
        np.testing.assert_array_equal(mc["nominal_rank"], t["rank"].astype(int))
        assert (mc["nominal_grade"] == t["grade"]).all()


def test_pipeline_replications_match_full_evaluation(demo: tuple) -> None:
    # a replication with perturbed within-perspective weights = aggregate_office with them
    from evalkit.aggregation.scorecard import aggregate_office
    from evalkit.scoring.prepare import prepare
    from evalkit.spec.tree import Tree

    spec, tables = demo
    tree = Tree.from_spec(spec)
    sc = list(prepare(spec, tables).values())[-1]
    p = problems_from_pipeline(spec, tables, results=evaluate(spec, tables))["gov_dept"]
    W = sample_weights(p, 3, np.random.default_rng(10), level="indicator", concentration=20)
    C = composite_batch(p.scores.to_numpy(), W,
                        pd.Index(p.group_weights.index).get_indexer(p.groups))
    c = tree.categories.index("gov_dept")
    rows = np.flatnonzero(sc.cat == c)
    cols = [tree.indicators.index(i) for i in p.scores.columns]
    for r in range(3):
        ind_w = tree.ind_w.copy()
        ind_w[c, cols] = W[:, r]
        off = aggregate_office(sc.scores, sc.keep, sc.cat, tree, ind_w=ind_w)["office"]
        np.testing.assert_allclose(C[r], off[rows], atol=1e-9)


@pytest.mark.skipif(not ASEM.exists(), reason=f"ASEM reference data not found at {ASEM}")
def test_asem_nominal_matches_pipeline_and_interval_helper() -> None:
    from evalkit.inputs.tables import load_tables
    from evalkit.validate import load_spec

    spec = load_spec(Path(__file__).resolve().parents[1] / "params" / "asem_simple.yaml")
    tables = load_tables(spec)
    (p,) = problems_from_pipeline(spec, tables, results=evaluate(spec, tables)).values()
    assert p.scores.shape == (51, 49) and p.scores.isna().any().any()
    tot = evaluate(spec, tables).tables["totals"].set_index("unit_id")
    mc = monte_carlo(p, 1000, concentration=50)
    s = mc.summary.set_index("unit_id")
    np.testing.assert_allclose(s["nominal_total"], tot.loc[s.index, "total"], atol=1e-9)
    info = unit_rank_interval(mc.table(2018), "AUT", {"method": "equal"})
    assert info["rank_p05"] <= info["nominal_rank"] <= info["rank_p95"]
    assert "AUT" == info["unit_id"] and info["weights"]["method"] == "equal"
    assert str(info["rank_p05"]) in info["text_zh"]
    assert unit_rank_interval(mc.table(2018), "nope")["nominal_rank"] is None


def test_rank_intervals_table_and_normalisation_options(demo: tuple) -> None:
    from evalkit.analysis.uncertainty import normalisation_options, rank_intervals

    spec, tables = demo
    t = rank_intervals(spec, tables, results=evaluate(spec, tables), n=100, concentration=50)
    assert set(t["category"]) == {"township", "party_dept", "gov_dept"}
    assert (t["period"] == t["period"].iloc[0]).all() and len(t) == t["unit_id"].nunique()
    with pytest.raises(EvalkitError) as e:
        rank_intervals(spec, tables, results=evaluate(spec, tables), n=10, bogus=1)
    assert e.value.where == "uncertainty.bogus"
    # other scoring methods as score options: percentile scores are 0-100 ranks
    opts = normalisation_options(spec, tables, ["percentile"])
    probs = problems_from_pipeline(spec, tables, results=evaluate(spec, tables))
    p = probs["township"]
    perc = opts["township"]["percentile"]
    assert perc.shape == p.scores.shape
    # percentile scores lie in [0, 100] and order the units much as the spec's scoring does
    assert perc.min().min() >= 0 and perc.max().max() <= 100
    rho = [stats.spearmanr(perc[c], p.scores[c]).statistic for c in p.scores.columns]
    assert np.median(rho) > 0.9
    p.score_options = {"percentile": perc}
    mc = monte_carlo(p, 200, perturb="none")
    assert set(mc.choices["scores"]) == {"nominal", "percentile"}


def test_a_score_option_the_aggregation_cannot_take_is_named_before_the_replications() -> None:
    # z-scores are negative below the mean; a geometric mean needs scores ≥ 0. Only the pairs
    # that can fail are tried first, and the failing one is named.
    rng = np.random.default_rng(0)
    s = pd.DataFrame(rng.uniform(10, 100, (20, 4)), columns=list("abcd"))
    p = UncertaintyProblem.from_weights(s)
    p.score_options = {"z": (s - s.mean()) / s.std()}
    with pytest.raises(EvalkitError, match="score option 'z' with aggregation 'geometric'"):
        monte_carlo(p, n=50, aggregations=["arithmetic", "geometric"])
    # negative scores under an arithmetic mean, positive ones under a geometric: no error
    assert len(monte_carlo(p, n=50, aggregations=["arithmetic"]).summary) == 20
    p.score_options = {"shifted": s + 1.0}
    assert len(monte_carlo(p, n=50, aggregations=["arithmetic", "geometric"]).summary) == 20
