"""Weights down the scorecard tree: schemes per node and category, global = product."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from evalkit.core.errors import EvalkitError, ProblemList
from evalkit.spec.schema import Spec, Weighting
from evalkit.validate import spec_from_dict
from evalkit.weights import compute_weights
from evalkit.weights.hierarchy import (
    check_weighting,
    resolve_source_weights,
    resolve_weights,
    tree_weights,
)

BASE = {
    "evaluation": {"id": "toy"},
    "data": {"units": {"file": "u.csv"}, "values": {"file": "v.csv"}},
    "categories": [{"id": "town"}, {"id": "dept"}],
    "perspectives": [
        {"id": "top", "weight": 1},
        {"id": "duty", "parent": "top", "weight": {"town": 3, "dept": 1}},
        {"id": "serve", "parent": "top", "weight": 1},
        {"id": "learn", "weight": 1},
    ],
    "indicators": [
        {"id": "a", "perspective": "duty", "weight": 2},
        {"id": "b", "perspective": "duty", "weight": 1},
        {"id": "c", "perspective": "duty", "weight": 1, "categories": ["town"]},
        {"id": "d", "perspective": "serve"},
        {"id": "e", "perspective": "serve"},
        {"id": "f", "perspective": "learn"},
    ],
}


def _spec(**changes: dict) -> Spec:
    raw = copy.deepcopy(BASE)
    for pid, weighting in changes.items():
        for p in raw["perspectives"]:
            if p["id"] == pid:
                p["weighting"] = weighting
    return spec_from_dict(raw)


def _scores(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    return {c: pd.DataFrame(rng.uniform(0, 100, (30, 6)), columns=list("abcdef"),
                            index=[f"{c}{u}" for u in range(30)]) for c in ("town", "dept")}


def test_nominal_weights_product_down_the_tree() -> None:
    res = resolve_weights(_spec())
    town = res["town"]
    # by hand: root {top: .5, learn: .5}; top {duty: .75, serve: .25} in town;
    # duty {a: .5, b: .25, c: .25}; serve {d: .5, e: .5}
    expect = {"a": .5 * .75 * .5, "b": .5 * .75 * .25, "c": .5 * .75 * .25,
              "d": .5 * .25 * .5, "e": .5 * .25 * .5, "f": .5}
    pd.testing.assert_series_equal(town.indicator_global.sort_index(),
                                   pd.Series(expect, name="weight").sort_index())
    dept = res["dept"]
    assert "c" not in dept.indicator_global.index
    assert dept.indicator_local["a"] == pytest.approx(2 / 3)
    assert dept.node_local["duty"] == pytest.approx(0.5)
    for cw in res.values():
        assert cw.indicator_global.sum() == pytest.approx(1.0)


def test_scheme_per_node_and_category() -> None:
    ahp = {"method": "ahp", "matrix": [[1, 3], [1 / 3, 1]],
           "by_category": {"dept": {"method": "entropy"}}}
    spec = _spec(top=ahp, duty={"method": "roc", "ranks": {"a": 1, "b": 2, "c": 3},
                                "by_category": {"dept": {"method": "equal"}}})
    scores = _scores()
    res = resolve_weights(spec, scores)
    town, dept = res["town"], res["dept"]
    assert town.node_local["duty"] == pytest.approx(0.75)
    roc = compute_weights("roc", ["a", "b", "c"], ranks={"a": 1, "b": 2, "c": 3}).weights
    np.testing.assert_allclose(town.indicator_local[["a", "b", "c"]], roc)
    np.testing.assert_allclose(dept.indicator_local[["a", "b"]], [0.5, 0.5])
    # the objective scheme of 'top' in dept runs on the children's scores: duty and serve
    # are weighted means of their indicators with the weights already resolved
    s = scores["dept"]
    duty = s[["a", "b"]].mean(axis=1)
    serve = s[["d", "e"]].mean(axis=1)
    ent = compute_weights("entropy", ["duty", "serve"],
                          pd.DataFrame({"duty": duty, "serve": serve})).weights
    np.testing.assert_allclose(dept.node_local[["duty", "serve"]], ent)
    assert dept.weight_sets["top"].method == "entropy"
    assert set(town.provenance["schemes"]) == {"top", "duty"}


def test_objective_scheme_without_scores_is_an_error_with_its_path() -> None:
    spec = _spec(serve={"method": "critic"})
    with pytest.raises(EvalkitError) as e:
        resolve_weights(spec)
    assert "perspectives[2] (serve).weighting" in str(e.value)
    assert "scores_by_category" in str(e.value)


def test_check_weighting_reports_yaml_paths() -> None:
    bad = {"method": "ahp", "matrix": [[1, 2, 3], [0.5, 1, 2], [1 / 3, 0.4, 1]],
           "by_category": {"dept": {"method": "nope"}}}
    with pytest.raises(ProblemList) as exc:        # loading the spec already reports them
        _spec(duty=bad)
    assert str(exc.value).count("perspectives[1] (duty).weighting") == 2
    spec = _spec()
    spec.perspectives[1].weighting = Weighting.model_validate(bad)
    msgs = [str(p) for p in check_weighting(spec)]
    assert any("perspectives[1] (duty).weighting.matrix[1][2]" in m and "not reciprocal" in m
               for m in msgs)
    assert any("perspectives[1] (duty).weighting.by_category.dept.method" in m for m in msgs)
    assert check_weighting(_spec(top={"method": "entropy"})) == []


def test_root_weighting() -> None:
    res = resolve_weights(_spec(), root={"method": "direct", "points": {"top": 3, "learn": 1}})
    assert res["town"].node_local["top"] == pytest.approx(0.75)
    assert res["town"].indicator_global["f"] == pytest.approx(0.25)


def test_tree_weights_agree_with_pipeline_effective_weights(tmp_path: pytest.TempPathFactory
                                                           ) -> None:
    from evalkit.aggregation.scorecard import aggregate_office
    from evalkit.demo.city import make_demo
    from evalkit.inputs.tables import load_tables
    from evalkit.scoring.prepare import prepare
    from evalkit.spec.tree import Tree
    from evalkit.validate import load_spec

    make_demo(tmp_path / "data", spec_path=tmp_path / "demo.yaml")
    spec = load_spec(tmp_path / "demo.yaml")
    raw0 = copy.deepcopy(spec.raw)
    for p in raw0["perspectives"]:
        p.pop("weighting", None)          # the demo weighs one perspective by CRITIC
    spec = spec_from_dict(raw0, base_dir=spec.base_dir)
    tables = load_tables(spec)
    tree = Tree.from_spec(spec)
    sc = list(prepare(spec, tables).values())[-1]
    # no weighting: the resolved global weights are the pipeline's effective weights
    ind_w, _node_w, prov = tree_weights(spec, sc, tree)
    off = aggregate_office(sc.scores, sc.keep, sc.cat, tree)
    for c, cat in enumerate(tree.categories):
        u = int(np.flatnonzero((sc.cat == c) & sc.keep[:, tree.ind_w[c] > 0].all(axis=1))[0])
        g = pd.Series(prov[cat]["indicator_global"]).reindex(tree.indicators).fillna(0.0)
        np.testing.assert_allclose(g.to_numpy(), off["ind_weight"][u], atol=1e-12)
    # with a scheme on a perspective, the office score uses it
    raw = copy.deepcopy(spec.raw)
    raw["perspectives"][0]["weighting"] = {"method": "entropy"}
    spec2 = spec_from_dict(raw, base_dir=spec.base_dir)
    ind_w2, node_w2, prov2 = tree_weights(spec2, sc, tree)
    assert prov2["township"]["schemes"]["duties"]["method"] == "entropy"
    tree2 = copy.copy(tree)
    tree2.ind_w, tree2.node_w = ind_w2, node_w2
    off2 = aggregate_office(sc.scores, sc.keep, sc.cat, tree2)
    c = tree.categories.index("township")
    rows = np.flatnonzero(sc.cat == c)
    g2 = pd.Series(prov2["township"]["indicator_global"]).reindex(tree.indicators).fillna(0.0)
    expect = np.nan_to_num(sc.scores[rows]) @ g2.to_numpy()
    np.testing.assert_allclose(off2["office"][rows], expect, atol=1e-9)
    assert not np.allclose(ind_w2, ind_w)


def test_source_weights_by_scheme_and_category() -> None:
    rng = np.random.default_rng(1)
    scores = {"dept": pd.DataFrame(rng.uniform(50, 100, (20, 3)),
                                   columns=["office", "survey", "peer"])}
    w = {"method": "points", "budget": 10, "points": {"office": 5, "survey": 3, "peer": 2},
         "by_category": {"dept": {"method": "critic"}}}
    res = resolve_source_weights(w, ["office", "survey", "peer"], scores,
                                 categories=["town", "dept"])
    np.testing.assert_allclose(res["town"].weights, [0.5, 0.3, 0.2])
    np.testing.assert_allclose(res["dept"].weights,
                               compute_weights("critic", ["office", "survey", "peer"],
                                               scores["dept"]).weights)
    with pytest.raises(EvalkitError) as e:
        resolve_source_weights({"method": "critic"}, ["office", "survey"])
    assert e.value.where == "sources.weighting"


def test_weight_provenance_is_kept_for_every_period(demo_dir) -> None:
    # the demo weighs one perspective by CRITIC, from each period's own scores: each period's
    # weights are recorded (before, only the last period's survived), and they differ
    from evalkit.inputs.tables import load_tables
    from evalkit.results import Results
    from evalkit.scoring.prepare import prepare
    from evalkit.spec.tree import Tree
    from evalkit.validate import load_spec

    res = Results.load(demo_dir / "results")
    prov = res.provenance["weights"]
    assert sorted(prov) == sorted(res.provenance["periods"]) == ["2024", "2025"]
    spec = load_spec(demo_dir / "demo.yaml")
    scored = prepare(spec, load_tables(spec))
    for period, sc in scored.items():
        _, _, expect = tree_weights(spec, sc, Tree.from_spec(spec))
        for cat, p in expect.items():
            assert prov[period][cat]["indicator_global"] == pytest.approx(
                p["indicator_global"], abs=1e-12)
    g24 = pd.Series(prov["2024"]["township"]["indicator_global"])
    g25 = pd.Series(prov["2025"]["township"]["indicator_global"])
    assert not np.allclose(g24, g25.reindex(g24.index))
