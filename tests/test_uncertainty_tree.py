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
    monte_carlo,
    problems_from_pipeline,
    rank_intervals,
    report_section,
    sample_local_weights,
    sample_weights,
)
from evalkit.analysis.uncertainty.batch import _TreeBatch
from evalkit.analysis.uncertainty.problem import make_tree
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
    np.testing.assert_allclose(batch.coef[5][0].sum(axis=1), 1.0)
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
                                    "effects", "pipeline", "report"])
def test_submodule_docstring_examples(module: str) -> None:
    mod = importlib.import_module(f"evalkit.analysis.uncertainty.{module}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0
