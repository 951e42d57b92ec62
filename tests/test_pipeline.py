"""The pipeline end to end: a hand-computed toy city, then properties on the demo city."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import TOY_SPEC, TOY_UNITS, TOY_VALUES, write_toy

from evalkit.cli import main
from evalkit.evaluate import evaluate
from evalkit.inputs.tables import file_sha256, load_tables
from evalkit.results import Results
from evalkit.run import run_spec
from evalkit.validate import load_spec


def _run(path: Path) -> Results:
    spec = load_spec(path)
    return evaluate(spec, load_tables(spec))


def test_toy_totals_by_hand(toy: Path) -> None:
    """Worked by hand (see comments): min-max within category, goalposts to a target,
    0.6 / 0.4 perspective weights, indicator a weighted 2 : 1, bonus cap 5, yellow card × 2."""
    t = _run(toy).totals.set_index("unit_id")
    # townships: a → 0, 50, 100; b (cost) → 0, 50, 100; c (target 50) → 100, 80, 60
    # office = 0.6 · (2a + b) / 3 + 0.4 · c
    office = {"T1": 0.4 * 100, "T2": 0.6 * 50 + 0.4 * 80, "T3": 0.6 * 100 + 0.4 * 60,
              # depts: a → 0, 50, 100; b → 100, 50, 0; c → 100, 40, 20
              "D1": 0.6 * 100 / 3 + 0.4 * 100, "D2": 0.6 * 50 + 0.4 * 40,
              "D3": 0.6 * 200 / 3 + 0.4 * 20}
    for u, v in office.items():
        assert t.loc[u, "office"] == pytest.approx(v)
    assert t.loc["T1", "total"] == pytest.approx(40 + 5)          # bonus 4 + 3 capped at 5
    assert t.loc["T2", "total"] == pytest.approx(62 - 2 * 1.5)    # yellow card counts double
    assert t.loc[["T3", "T2", "T1"], "rank"].tolist() == [1, 2, 3]
    assert t.loc[["D1", "D3", "D2"], "rank"].tolist() == [1, 2, 3]
    assert t.loc["T3", "grade"] == "excellent"                    # quota floor(0.34·3) = 1
    assert t.loc["T2", "grade"] == "pass"
    assert t.loc["D1", "grade"] == "excellent"
    assert bool(t.loc["D3", "veto"]) and t.loc["D3", "grade"] == "pass"
    assert "veto" in t.loc["D3", "flags"]
    assert t.loc["T1", "flags"] == "bottom_1"
    assert t.loc["T1", "n_in_category"] == 3


@pytest.mark.parametrize(("policy", "expected_duty"), [
    ("reweight", 100.0),          # only b (cost, best in category) remains: 100
    ("zero", 100 / 3),            # a scores 0 with weight 2: (2·0 + 100) / 3
    ("category_mean", 200 / 3),   # a takes the township mean of the others' scores
])
def test_missing_value_policies(tmp_path: Path, policy: str, expected_duty: float) -> None:
    spec = copy.deepcopy(TOY_SPEC)
    spec["defaults"]["missing"] = policy
    vals = TOY_VALUES[~((TOY_VALUES["unit_id"] == "T3") & (TOY_VALUES["indicator_id"] == "a"))]
    res = _run(write_toy(tmp_path, spec, {"values.csv": vals}))
    nodes = res.nodes.set_index(["unit_id", "node_id"])
    # with T3's a missing, a among T1, T2 scores 0 and 100: the category mean is 50
    if policy == "category_mean":
        expected_duty = (2 * 50 + 100) / 3
    assert nodes.loc[("T3", "duty"), "score"] == pytest.approx(expected_duty)
    ind = res.indicators.set_index(["unit_id", "indicator_id"])
    assert bool(ind.loc[("T3", "a"), "missing"])
    rep = res.missing_report.set_index(["category", "indicator_id"])
    assert rep.loc[("township", "a"), "n_missing"] == 1
    assert rep.loc[("township", "a"), "policy"] == policy
    w = ind.loc["T3", "weight"]
    assert w.sum() == pytest.approx(1.0)
    if policy == "reweight":
        assert ind.loc[("T3", "a"), "weight"] == 0


def test_contributions_sum_to_totals(demo_dir: Path) -> None:
    res = Results.load(demo_dir / "results")
    key = ["period", "unit_id"]
    ind = res.indicators.groupby(key)["contribution"].sum()
    src = res.sources[res.sources["source"] != "office"].groupby(key)["contribution"].sum()
    t = res.totals.set_index(key)
    recomposed = ind.add(src, fill_value=0) + t["bonus"] - t["deductions"]
    np.testing.assert_allclose(recomposed.reindex(t.index), t["total"], atol=1e-9)
    # office contributions are the office score times its effective weight
    off = res.sources[res.sources["source"] == "office"].set_index(key)
    np.testing.assert_allclose(ind.reindex(off.index), off["contribution"], atol=1e-9)
    # indicator weights within the office renormalise to 1 for every unit
    np.testing.assert_allclose(res.indicators.groupby(key)["weight"].sum(), 1.0)


def test_demo_grades_quota_and_veto(demo_dir: Path) -> None:
    res = Results.load(demo_dir / "results")
    t = res.totals
    for (_, cat), g in t.groupby(["period", "category"]):
        assert (g["grade"] == "excellent").sum() <= np.floor(0.2 * len(g)), cat
        assert sorted(g["rank"].tolist())[0] == 1
    assert not ((t["veto"]) & t["grade"].isin(["excellent", "good"])).any()
    assert t["veto"].any(), "the demo should exercise the veto"


def test_cost_indicator_monotone_through_pipeline(tmp_path: Path) -> None:
    """Raising a unit's value on a cost indicator never raises its total."""
    base = _run(write_toy(tmp_path / "a")).totals.set_index("unit_id")["total"]
    vals = TOY_VALUES.astype({"value": float})
    vals.loc[(vals["unit_id"] == "T2") & (vals["indicator_id"] == "b"), "value"] = 4.9
    worse = _run(write_toy(tmp_path / "b", tables={"values.csv": vals}))
    assert worse.totals.set_index("unit_id").loc["T2", "total"] < base["T2"]


def test_results_roundtrip_excel_and_provenance(toy: Path, tmp_path: Path) -> None:
    units = TOY_UNITS.copy()
    units.loc[0, "unit_name"] = "=HYPERLINK(\"http://x\")"
    path = write_toy(tmp_path / "e", tables={"units.csv": units})
    res = run_spec(path, tmp_path / "out")
    back = Results.load(tmp_path / "out")
    assert set(back.tables) == set(res.tables)
    for name, df in res.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], df, check_dtype=False)
    wb = openpyxl.load_workbook(tmp_path / "out" / "results.xlsx")
    ws = wb["总分排名"]
    header = [c.value for c in ws[1]]
    assert "单位名称" in header and "总分" in header
    names = [r[header.index("单位名称")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\")" in names                   # made inert
    assert all(not str(n).startswith("=") for n in names)
    umask = os.umask(0)
    os.umask(umask)
    for f in (tmp_path / "out").iterdir():      # atomic writes keep the usual permissions
        assert f.stat().st_mode & 0o777 == 0o666 & ~umask, f.name
    prov = back.provenance
    assert prov["inputs"]["values"]["sha256"] == file_sha256(tmp_path / "e" / "values.csv")
    assert prov["versions"]["pandas"].startswith("3")
    assert prov["current_period"] == "2025"


def test_cli_run_and_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path / "d"), "--units", "30",
                 "--spec", str(tmp_path / "d.yaml")]) == 0
    assert main(["run", str(tmp_path / "d.yaml"), "--out", str(tmp_path / "r")]) == 0
    t = Results.load(tmp_path / "r").totals
    assert t["unit_id"].nunique() == 30
    assert "evaluated 30 units" in capsys.readouterr().out


def test_demo_is_deterministic(tmp_path: Path) -> None:
    from evalkit.demo.city import make_demo

    a = make_demo(tmp_path / "a", n_units=25, seed=7)
    b = make_demo(tmp_path / "b", n_units=25, seed=7)
    for f in sorted(a.iterdir()):
        if f.suffix == ".csv":
            assert f.read_bytes() == (b / f.name).read_bytes(), f.name
    units = pd.read_csv(a / "units.csv")
    assert units["category"].value_counts().to_dict().keys() == {"township", "party_dept",
                                                                 "gov_dept"}


def test_cli_delegates_options_to_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    """Options right after a delegated command reach its own parser (not argparse's REMAINDER)."""
    with pytest.raises(SystemExit) as exc:
        main(["peer-bench", "--help"])
    assert exc.value.code == 0
    assert "--reps" in capsys.readouterr().out


def test_sources_computed_concurrently_equal_serial(demo_dir: Path) -> None:
    """Threads change nothing: every source's scores and tables match a serial run."""
    from evalkit.evaluate import compute_sources
    from evalkit.scoring.prepare import prepare
    from evalkit.sources import SOURCES

    spec = load_spec(demo_dir / "demo.yaml")
    tables = load_tables(spec)
    scored = prepare(spec, tables)
    serial = compute_sources(spec, tables, scored, SOURCES, workers=1)
    threads = compute_sources(spec, tables, scored, SOURCES, workers=2)
    assert serial.keys() == threads.keys() and len(serial) >= 8   # 4 sources × 2 periods
    for key, out in serial.items():
        pd.testing.assert_series_equal(out.score, threads[key].score)
        for name, df in out.tables.items():
            pd.testing.assert_frame_equal(df, threads[key].tables[name])
