"""The weights lab: scheme comparison helpers and the notebook run headless by papermill."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.analysis.uncertainty import UncertaintyProblem, report_section
from evalkit.core.errors import EvalkitError
from evalkit.labs import weights as lab
from evalkit.weights import compute_weights

ROOT = Path(__file__).resolve().parents[1]


def _problem() -> UncertaintyProblem:
    rng = np.random.default_rng(0)
    s = pd.DataFrame(rng.uniform(0, 100, (40, 6)), columns=list("abcdef"),
                     index=[f"U{u:02d}" for u in range(40)])
    p = UncertaintyProblem.from_weights(s, None, {"a": "x", "b": "x", "c": "x", "d": "y",
                                                  "e": "y", "f": "z"},
                                        {"x": 0.5, "y": 0.3, "z": 0.2})
    p.grades = pd.DataFrame({"grade": ["ex", "ok", "no"], "min_score": [55.0, 45.0, np.nan],
                             "quota": [0.2, np.nan, np.nan]})
    return p


def test_scheme_options_weigh_within_each_perspective() -> None:
    p = _problem()
    opts = lab.scheme_options(p, {"sd": {"method": "sd"}})
    within, gw = opts["sd"]
    expect = compute_weights("sd", ["a", "b", "c"], p.scores).weights
    np.testing.assert_allclose(within[["a", "b", "c"]], expect)
    assert within["f"] == 1.0
    pd.testing.assert_series_equal(gw, p.group_weights)
    with pytest.raises(EvalkitError) as e:
        lab.scheme_options(p, {"bad": {"method": "sd", "normalisation": "zz"}})
    assert e.value.where == "schemes.bad[x].normalisation"


def test_compare_schemes_tau_ranks_and_grade_changes() -> None:
    p = _problem()
    p.weight_options = lab.scheme_options(p, {"entropy": {"method": "entropy"},
                                              "critic": {"method": "critic"}})
    cmp = lab.compare_schemes(p)
    assert list(cmp.weights.columns) == ["nominal", "entropy", "critic"]
    np.testing.assert_allclose(cmp.weights.sum(), 1.0)
    # totals are the weighted means of the scores; ranks their order; τ from scipy
    np.testing.assert_allclose(cmp.totals["entropy"],
                               p.scores.to_numpy() @ cmp.weights["entropy"].to_numpy())
    np.testing.assert_array_equal(cmp.ranks["critic"],
                                  cmp.totals["critic"].rank(ascending=False).astype(int))
    tau = stats.kendalltau(cmp.totals["nominal"], cmp.totals["entropy"]).statistic
    assert cmp.kendall.loc["nominal", "entropy"] == pytest.approx(tau)
    ch = cmp.grade_changes
    for _, r in ch.iterrows():
        assert cmp.grades.loc[r.unit_id, r.scheme] == r.grade != r.grade_first
    n_changed = (cmp.grades["entropy"] != cmp.grades["nominal"]).sum()
    assert (ch["scheme"] == "entropy").sum() == n_changed


def test_ranking_for_moves_with_perspective_weights() -> None:
    p = _problem()
    same = lab.ranking_for(p)
    assert (same["rank_change"] == 0).all()
    only_z = lab.ranking_for(p, {"x": 0.0, "y": 0.0, "z": 1.0})
    np.testing.assert_array_equal(only_z.index, p.scores["f"].sort_values(ascending=False).index)
    with pytest.raises(EvalkitError):
        lab.ranking_for(p, {"x": 0.0, "y": 0.0, "z": 0.0})
    box = lab.weight_sliders(p)
    assert len(box.children) == 4


def test_report_section_shows_interval_and_provenance() -> None:
    from evalkit.analysis.uncertainty import monte_carlo
    from evalkit.results import Results

    p = _problem()
    mc = monte_carlo(p, 200)
    ws = compute_weights("ahp", ["x", "y", "z"], matrix=[[1, 2, 2], [0.5, 1, 1], [0.5, 1, 1]])
    res = Results({"uncertainty": mc.table("2025")},
                  provenance={"weights": {"2025": {"all": {"schemes": {"<root>": ws.provenance}}}}})
    html = report_section(res, "U03", "zh")
    assert "类内排名第" in html
    assert "ahp" in html and "90%" in html
    assert report_section(Results({}, provenance={}), "U03", "en") is None


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_notebook_runs_headless(tmp_path: Path) -> None:
    papermill = pytest.importorskip("papermill")
    from evalkit.demo.city import make_demo

    make_demo(tmp_path / "data", spec_path=tmp_path / "demo.yaml", extensions=False)
    out = tmp_path / "lab.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "weights_lab.ipynb"), str(out),
                               parameters={"spec_path": str(tmp_path / "demo.yaml"),
                                           "category": "township", "n_reps": 200,
                                           "n_sobol": 32},
                               cwd=str(ROOT), progress_bar=False, kernel_name="python3")
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
               for o in outputs)
