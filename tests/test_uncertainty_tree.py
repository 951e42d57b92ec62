"""The Monte Carlo aggregates over the real tree with the evaluation's own registry and rules.

- every replication equals :func:`aggregate_office` with that replication's weights, for
  random trees mixing the four means, with missing cells and zero scores;
- on ASEM (COINr's example coin) with every node's method set to each of the four means,
  the nominal replication reproduces ``evaluate``'s totals and ranks (it did not when the
  Monte Carlo flattened the tree to two arithmetic levels);
- on the demo city (three categories, other sources, points, quotas, vetoes), nominal
  totals, ranks and grades equal the evaluation's;
- sampling stays on the simplex in a deep tree; global weights are the tree's;
- the report section reads the weights' provenance of the uncertainty table's period.
"""

from __future__ import annotations

import copy
import dataclasses
import doctest
import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from evalkit.aggregation.means import AGGREGATION
from evalkit.aggregation.scorecard import aggregate_office
from evalkit.analysis.uncertainty import (
    UncertaintyProblem,
    aggregate_batch,
    attach_score_variants,
    design_from_settings,
    monte_carlo,
    problems_from_pipeline,
    rank_intervals,
    report_section,
    sample_local_weights,
    sample_weights,
    sensitivity,
)
from evalkit.analysis.uncertainty.batch import _TreeBatch
from evalkit.analysis.uncertainty.problem import make_tree
from evalkit.core.errors import EvalkitError
from evalkit.demo.city import make_demo
from evalkit.evaluate import evaluate
from evalkit.inputs.tables import load_tables
from evalkit.results import Results
from evalkit.spec.tree import Tree, global_node_weights, sibling_shares
from evalkit.validate import spec_from_dict

ROOT = Path(__file__).resolve().parents[1]
ASEM = ROOT.parent / "shared" / "reference" / "asem"
HAVE_ASEM = (ASEM / "ASEM_iData.csv").is_file() and (ASEM / "ASEM_iMeta.csv").is_file()
needs_asem = pytest.mark.skipif(
    not HAVE_ASEM, reason=f"ASEM reference data not found at {ASEM} (the shared folder beside "
    "the project is absent); these tests rebuild params/asem.yaml with other aggregations")
METHODS = sorted(AGGREGATION)


def _random_tree(rng: np.random.Generator, methods: list[str]) -> Tree:
    """Three levels: 12 indicators -> 5 nodes -> 2 nodes -> root (methods drawn)."""
    ind_parent = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4])
    node_parent = np.array([5, 5, 5, 6, 6, -1, -1])
    pick = rng.choice(methods, size=7)
    return make_tree([f"i{j}" for j in range(12)], [f"n{k}" for k in range(7)], ind_parent,
                     node_parent, rng.uniform(0.2, 2, 12), rng.uniform(0.2, 2, 7), list(pick),
                     str(rng.choice(methods)))


def _oracle(S: np.ndarray, tree: Tree, iw: np.ndarray, nw: np.ndarray) -> np.ndarray:
    t = dataclasses.replace(tree, ind_w=iw[None, :], node_w=nw[None, :])
    return aggregate_office(np.nan_to_num(S), np.isfinite(S), np.zeros(len(S), dtype=int),
                            t)["office"]


# -- the batched tree against aggregate_office, replication by replication ----------------------
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("missing", [0.0, 0.15])
def test_aggregate_batch_equals_aggregate_office_per_replication(seed: int,
                                                                 missing: float) -> None:
    rng = np.random.default_rng(seed)
    methods = METHODS if seed < 4 else [METHODS[seed % len(METHODS)]]
    tree = _random_tree(rng, methods)
    S = rng.uniform(0, 100, (40, 12))
    S[rng.uniform(size=S.shape) < 0.05] = 0.0          # zeros absorb geometric / harmonic
    S[rng.uniform(size=S.shape) < missing] = np.nan
    S[0, 3:5] = np.nan                                  # a whole node missing for unit 0
    p = UncertaintyProblem(pd.DataFrame(S, columns=tree.indicators), tree,
                           pd.Series("all", index=range(40)), pd.Series(0.0, index=range(40)),
                           pd.Series(1.0, index=range(40)))
    IW, NW = sample_local_weights(p, 9, rng, concentration=5)
    for chunk in (None, 4):                             # chunks of replications agree
        T = aggregate_batch(S, tree, IW, NW, chunk=chunk)
        for r in range(len(IW)):
            np.testing.assert_allclose(T[r], _oracle(S, tree, IW[r], NW[r]), rtol=1e-10,
                                       atol=1e-10, err_msg=f"{tree.methods} {tree.root_method}")


def test_complete_quasi_arithmetic_subtrees_collapse_to_one_product() -> None:
    rng = np.random.default_rng(1)
    tree = dataclasses.replace(_random_tree(rng, ["geometric"]), root_method="arithmetic")
    S = rng.uniform(1, 100, (30, 12))
    IW, NW = rng.uniform(0.1, 1, (5, 12)), rng.uniform(0.1, 1, (5, 7))
    batch = _TreeBatch(S, tree, IW, NW)
    # the geometric nodes collapse into the two top nodes' coefficients; the arithmetic
    # root has another generator, so it aggregates the two materialised top nodes
    assert [batch.linear[k] for k in range(8)] == [True] * 7 + [False]
    np.testing.assert_allclose(batch.coef(5)[0].sum(axis=1), 1.0)
    arith = dataclasses.replace(tree, methods=["arithmetic"] * 7)
    assert all(_TreeBatch(S, arith, IW, NW).linear.values())    # ONE product at the root
    S[2, 0] = np.nan                                    # a missing cell: its node is dense
    assert not _TreeBatch(S, tree, IW, NW).linear[0]


# -- ASEM: the nominal replication is the evaluation, for every mean -----------------------------
@pytest.fixture(scope="module")
def asem_raw() -> dict:
    return yaml.safe_load((ROOT / "params" / "asem.yaml").read_text(encoding="utf-8"))


def _asem(raw: dict, aggregation: str) -> tuple:
    raw = copy.deepcopy(raw)
    raw["defaults"]["aggregation"] = aggregation
    spec = spec_from_dict(raw, base_dir=ROOT / "params")
    tables = load_tables(spec)
    return spec, tables, evaluate(spec, tables)


@needs_asem
@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric", "harmonic", "median"])
def test_asem_uncertainty_nominal_equals_evaluate(asem_raw: dict, aggregation: str) -> None:
    spec, tables, res = _asem(asem_raw, aggregation)
    assert set(Tree.from_spec(spec).methods) == {aggregation}
    table = rank_intervals(spec, tables, results=res, n=200, seed=3).set_index("unit_id")
    tot = res.tables["totals"].set_index("unit_id").loc[table.index]
    assert len(table) == 51
    np.testing.assert_allclose(table["nominal_total"], tot["total"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(table["nominal_rank"], tot["rank"].astype(int))


@needs_asem
def test_asem_problem_global_weights_are_the_trees(asem_raw: dict) -> None:
    spec, tables, res = _asem(asem_raw, "arithmetic")
    (p,) = problems_from_pipeline(spec, tables, results=res).values()
    tree = Tree.from_spec(spec)
    assert p.tree.nodes == tree.nodes and len(set(p.tree.levels.tolist())) == 3
    _, gi = tree.global_weights()
    np.testing.assert_allclose(p.global_weights, gi[0, [tree.indicators.index(i)
                                                        for i in p.scores.columns]])
    # node weights are shares among siblings; their products down the tree are global
    np.testing.assert_allclose(p.group_weights, sibling_shares(tree.node_w, tree.node_parent)[0])
    gn, _ = p.tree.global_weights()
    np.testing.assert_allclose(gn[0], global_node_weights(tree.node_w, tree.node_parent)[0])
    assert p.global_weights.sum() == pytest.approx(1.0)


# -- the demo city: totals, ranks and grades of the evaluation, for every mean --------------------
@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("demo_tree")
    make_demo(out / "data", spec_path=out / "demo.yaml")
    return yaml.safe_load((out / "demo.yaml").read_text(encoding="utf-8")), out


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric", "harmonic", "median"])
def test_demo_nominal_totals_ranks_grades_equal_evaluate(demo_raw: tuple,
                                                         aggregation: str) -> None:
    raw, base = demo_raw
    raw = copy.deepcopy(raw)
    raw["defaults"]["aggregation"] = aggregation
    spec = spec_from_dict(raw, base_dir=base)
    tables = load_tables(spec)
    res = evaluate(spec, tables)
    tot = res.tables["totals"]
    tot = tot[tot["period"].astype(str) == str(tot["period"].iloc[-1])].set_index("unit_id")
    probs = problems_from_pipeline(spec, tables, results=res)
    assert len(probs) == 3
    for p in probs.values():
        s = monte_carlo(p, 30, concentration=50).summary.set_index("unit_id")
        t = tot.loc[s.index]
        np.testing.assert_allclose(s["nominal_total"], t["total"], rtol=0, atol=1e-9)
        np.testing.assert_array_equal(s["nominal_rank"], t["rank"].astype(int))
        assert (s["nominal_grade"] == t["grade"]).all()


# -- sampling on a deep tree ------------------------------------------------------------------
def test_sampling_stays_on_the_simplex_of_each_sibling_set() -> None:
    rng = np.random.default_rng(5)
    tree = _random_tree(rng, ["arithmetic"])
    p = UncertaintyProblem(pd.DataFrame(rng.uniform(0, 100, (5, 12)), columns=tree.indicators),
                           tree, pd.Series("a", index=range(5)), pd.Series(0.0, index=range(5)),
                           pd.Series(1.0, index=range(5)))
    W = sample_weights(p, 20000, rng, concentration=40, level="both")
    np.testing.assert_allclose(W.sum(axis=0), 1.0)
    np.testing.assert_allclose(W.mean(axis=1), p.global_weights, rtol=0.03)
    # nodes only: the indicators' shares within their node do not move
    IW, NW = sample_local_weights(p, 50, rng, level="group")
    np.testing.assert_allclose(IW, np.tile(p.within.to_numpy(), (50, 1)))
    # Dirichlet among the two top nodes: mean and variance of Dir(c · w0)
    _, NW = sample_local_weights(p, 20000, rng, level="group", concentration=40)
    share = NW[:, 5] / NW[:, 5:].sum(axis=1)
    w0 = p.group_weights.iloc[5]
    assert share.mean() == pytest.approx(w0, abs=0.003)
    assert share.var() == pytest.approx(w0 * (1 - w0) / 41, rel=0.05)


# -- the report section reads the period of the uncertainty table --------------------------------
def test_report_section_reads_weights_of_the_table_period() -> None:
    rng = np.random.default_rng(0)
    s = pd.DataFrame(rng.uniform(0, 100, (10, 2)), columns=["a", "b"],
                     index=[f"U{u}" for u in range(10)])
    table = monte_carlo(UncertaintyProblem.from_weights(s), 50).table("2024")
    prov = {"2024": {"all": {"schemes": {"<root>": {"method": "entropy"}}}},
            "2025": {"all": {"schemes": {"<root>": {"method": "critic"}}}}}
    html = report_section(Results({"uncertainty": table}, provenance={"weights": prov}),
                          "U1", "en")
    assert "entropy" in html and "critic" not in html and "Rank" in html
    # without an uncertainty table: the last period
    html = report_section(Results({}, provenance={"weights": prov}), "U1", "en")
    assert "critic" in html and "entropy" not in html
    # a table of a period whose weights were not made by a scheme: no weights shown
    html = report_section(Results({"uncertainty": table.assign(period=2023)},
                                  provenance={"weights": prov}), "U1", "en")
    assert "Rank" in html and "entropy" not in html and "critic" not in html


# -- every docstring example of the package runs --------------------------------------------
@pytest.mark.parametrize("module", ["problem", "sampling", "batch", "montecarlo", "sobol",
                                    "effects", "pipeline", "report", "ranksets", "design"])
def test_submodule_docstring_examples(module: str) -> None:
    mod = importlib.import_module(f"evalkit.analysis.uncertainty.{module}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0


# -- the COINr design: treatment limit × normalisation × weights × aggregation --------------------
COINR_DESIGN = {"winmax": [1, 5],
                "normalisation": ["minmax", {"method": "zscore", "center": 10, "spread": 2}],
                "aggregations": ["arithmetic", "geometric"]}


def _asem_variant(raw: dict, winmax: int, normalisation: str, aggregation: str) -> tuple:
    """ASEM rebuilt as a spec with one choice of each input (COINr's regenerated coin)."""
    raw = copy.deepcopy(raw)
    raw["treatment"]["outliers"]["winmax"] = winmax
    if normalisation != "minmax":
        raw["hierarchy"]["scoring"] = {"method": "zscore", "scope": "all", "center": 10,
                                       "spread": 2}
    raw["defaults"]["aggregation"] = aggregation
    spec = spec_from_dict(raw, base_dir=ROOT / "params")
    tables = load_tables(spec)
    return spec, tables, evaluate(spec, tables)


@needs_asem
def test_asem_coinr_design_replications_equal_rebuilt_evaluations(asem_raw: dict) -> None:
    # every variant is scored once (prepare_variants); a replication with nominal weights
    # equals evaluate() of the spec edited to its choices, as COINr's Regen of an edited coin
    spec, tables, res = _asem(asem_raw, "arithmetic")
    (p,) = problems_from_pipeline(spec, tables, results=res).values()
    attach_score_variants({"all": p}, spec, tables, design_from_settings(COINR_DESIGN))
    assert p.score_factors == {"winmax": ["1", "5"],
                               "normalisation": ["minmax", "zscore(center=10, spread=2)"]}
    mc = monte_carlo(p, 64, perturb="none", aggregations=COINR_DESIGN["aggregations"],
                     keep_totals=True, seed=2)
    ch = mc.choices
    assert ch.groupby(["winmax", "normalisation", "aggregation"]).ngroups == 8
    for (w, m, a), rows in ch.groupby(["winmax", "normalisation", "aggregation"]).groups.items():
        _, _, ref = _asem_variant(asem_raw, int(w), m.split("(")[0], a)
        tot = ref.tables["totals"].set_index("unit_id")["total"].reindex(p.scores.index)
        for r in rows[:2]:
            np.testing.assert_allclose(mc.totals[r], tot.to_numpy(), rtol=0, atol=1e-9,
                                       err_msg=f"{w} {m} {a}")


@needs_asem
def test_asem_coinr_design_table_and_sensitivity_read_like_coinr(asem_raw: dict) -> None:
    spec, tables, res = _asem(asem_raw, "arithmetic")
    design = {**COINR_DESIGN, "level": [2, 3], "perturb": "percent",
              "percent": {2: 0.25, 3: 0.25}}
    t = rank_intervals(spec, tables, results=res, n=400, seed=1, **design)
    assert len(t) == 51 and list(t["unit_id"]) == sorted(t["unit_id"])
    assert (t.rank_lo_joint <= t.rank_p05).all() and (t.rank_p95 <= t.rank_hi_joint).all()
    assert set(t.band) <= {"above", "median", "below"}
    # one factor per input, the weights of a level grouped; minmax on [0, 100] or on
    # [1, 100] is an affine change of every score, so it cannot move a rank: ST = 0
    same = {**design, "normalisation": ["minmax", {"method": "minmax", "lower": 1}],
            "aggregations": ["arithmetic"], "winmax": [1, 2, 3, 4, 5]}
    si = sensitivity(spec, tables, results=res, n_base=64, num_resamples=10, **same)
    rs = si[si.output == "rank_shift"].set_index("factor")
    assert list(rs.index) == ["weights[level 2]", "weights[level 3]", "winmax",
                              "normalisation"]
    assert rs.loc["normalisation", "ST"] == pytest.approx(0.0, abs=1e-12)
    assert rs.loc["winmax", "ST"] > 0.01 and rs.loc["weights[level 2]", "ST"] > 0.01


@pytest.mark.parametrize(("settings", "where"), [
    ({"winmax": [-1]}, "uncertainty.winmax[0]"), ({"winmax": 3}, "uncertainty.winmax"),
    ({"normalisation": [{"method": "nope"}]}, "uncertainty.normalisation[0].method"),
    ({"normalisation": [{"method": "minmax", "lowest": 1}]},
     "uncertainty.normalisation[0].lowest"),
    ({"missing": ["drop"]}, "uncertainty.missing[0]"), ({"level": [9]}, "uncertainty.level"),
    ({"coverage": 1.5}, "uncertainty.coverage")])
def test_design_errors_name_their_yaml_path(demo_raw: tuple, settings: dict,
                                            where: str) -> None:
    raw, base = demo_raw
    spec = spec_from_dict(copy.deepcopy(raw), base_dir=base)
    tables = load_tables(spec)
    with pytest.raises(EvalkitError) as e:
        rank_intervals(spec, tables, results=evaluate(spec, tables), n=10, **settings)
    assert e.value.where == where


def test_demo_missing_policy_variants_equal_rebuilt_evaluations(demo_raw: tuple) -> None:
    raw, base = demo_raw
    spec = spec_from_dict(copy.deepcopy(raw), base_dir=base)
    tables = load_tables(spec)
    probs = problems_from_pipeline(spec, tables, results=evaluate(spec, tables))
    attach_score_variants(probs, spec, tables,
                          design_from_settings({"missing": ["reweight", "zero"]}))
    assert any(not p.score_options["missing=zero"].equals(p.score_options["missing=reweight"])
               for p in probs.values())                  # the demo has missing values
    for policy in ("reweight", "zero"):
        raw2 = copy.deepcopy(raw)
        raw2["defaults"]["missing"] = policy
        spec2 = spec_from_dict(raw2, base_dir=base)
        res2 = evaluate(spec2, load_tables(spec2))
        ref = problems_from_pipeline(spec2, load_tables(spec2), results=res2)
        for cat, p in probs.items():
            got = p.score_options[f"missing={policy}"]
            pd.testing.assert_frame_equal(got, ref[cat].scores, check_exact=True)


@needs_asem
def test_asem_shuffled_input_rows_give_the_same_uncertainty_table(asem_raw: dict,
                                                                  tmp_path: Path) -> None:
    # every input table's rows shuffled — the data (units and values) and the hierarchy
    # (so the tree's indicators and nodes come in another order): the same table, bit for bit
    shuffled = copy.deepcopy(asem_raw)
    for name, key in (("ASEM_iMeta.csv", ("hierarchy",)), ("ASEM_iData.csv", ("data", "units")),
                      ("ASEM_iData.csv", ("data", "values"))):
        out = tmp_path / f"shuffled_{name}"
        pd.read_csv(ASEM / name).sample(frac=1, random_state=len(key)).to_csv(out, index=False)
        sec = shuffled
        for k in key:
            sec = sec[k]
        sec["file"] = str(out)
    design = {**COINR_DESIGN, "level": [2, 3], "perturb": "percent", "percent": 0.25,
              "n": 300, "seed": 5}
    tables_out = []
    for raw in (asem_raw, shuffled):
        spec = spec_from_dict(copy.deepcopy(raw), base_dir=ROOT / "params")
        tables = load_tables(spec)
        tables_out.append(rank_intervals(spec, tables, results=evaluate(spec, tables),
                                         **design))
    spec2 = spec_from_dict(copy.deepcopy(shuffled), base_dir=ROOT / "params")
    assert [i.id for i in spec2.indicators][:3] != ["LPI", "Flights", "Ship"]
    pd.testing.assert_frame_equal(tables_out[0], tables_out[1], check_exact=True)
