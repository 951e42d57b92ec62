"""The peer-scheme bench: metric oracles, simulation properties, the grid and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evalkit.sources.peer.bench import cli_main, kendall_tau_b, ranks, run_bench
from evalkit.sources.peer.simulate import SCALES, SCENARIOS, make_world


def test_batched_kendall_tau_b_matches_scipy_with_ties():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, (50, 12)).astype(float)  # many ties
    y = rng.normal(size=(50, 12)) + x
    ours = kendall_tau_b(x, y)
    for b in range(50):
        assert ours[b] == pytest.approx(stats.kendalltau(x[b], y[b]).statistic)


def test_ranks_are_a_permutation_with_ties_broken_by_jitter():
    s = np.array([[3.0, 1.0, 3.0, np.nan]])
    r = ranks(s, np.array([[0.9, 0.5, 0.1, 0.2]]))
    assert r.tolist() == [[2, 3, 1, 4]]


def test_world_design_and_scales():
    w = make_world(20, 30, "sparse", np.random.default_rng(2))
    rated = (~np.isnan(w.Z)).sum(2)
    assert (rated == 6).all()  # ceil(0.3 · 19) = 6 ratees per rater
    assert np.isnan(w.Z[:, np.arange(20), np.arange(20)]).all()  # no self-rating
    for sc in SCALES.values():
        R = sc.map(w.Z)
        ok = ~np.isnan(R)
        assert R[ok].min() >= sc.lo and R[ok].max() <= sc.hi
        # monotone: a higher latent rating never maps to fewer points
        z, r = w.Z[ok], R[ok]
        o = np.argsort(z)
        assert (np.diff(r[o]) >= 0).all()


def test_scenarios_touch_only_what_they_say():
    w = make_world(10, 5, "full", np.random.default_rng(3))
    sc = SCALES["100"]
    honest, _ = SCENARIOS["honest"](w, sc)
    R, bloc = SCENARIOS["collude"](w, sc)
    cell = bloc[:, None] & bloc[None, :]
    assert np.all((R == sc.hi) | np.isnan(R) | ~cell[None])
    np.testing.assert_array_equal(R[:, ~cell], honest[:, ~cell])
    R, _ = SCENARIOS["all_push_top"](w, sc)
    assert ((R == sc.lo).sum(2) >= w.k).all()


@pytest.fixture(scope="module")
def small():
    return run_bench(n_list=[10], reps=200, schemes=["mean", "median", "additive", "borda"],
                     seed=4)


def test_bench_table_is_tidy_with_paired_differences(small):
    assert {"n", "design", "scale", "scenario", "scheme", "metric", "value", "se", "diff",
            "se_diff", "reps"} <= set(small.columns)
    mean_rows = small[small["scheme"] == "mean"].dropna(subset=["diff"])
    assert (mean_rows["diff"] == 0).all()  # the baseline against itself, same draws
    assert (small.loc[small["metric"] != "bloc_gain", "value"].notna()).all()
    honest_gain = small[(small["scenario"] == "honest") & (small["metric"] == "bloc_gain")]
    assert honest_gain["value"].isna().all()


def test_bench_finds_what_must_hold(small):
    v = small.set_index(["scenario", "scheme", "metric"])["value"]
    se = small.set_index(["scenario", "scheme", "metric"])["se"]
    # a colluding bloc gains places under the mean (the manipulation pays)
    assert v["collude", "mean", "bloc_gain"] > 3 * se["collude", "mean", "bloc_gain"]
    # the impartial mechanisms are never moved by a unit's own ballot; plain top-k by mean is
    assert v["push_down", "sel:partition", "impartiality"] == 0
    assert v["push_down", "sel:dollar_partition", "impartiality"] == 0
    assert v["honest", "mean", "impartiality"] > 0
    # honest raters: every scheme ranks far better than chance
    assert (small[(small["scenario"] == "honest") & (small["metric"] == "tau")
                  & ~small["scheme"].str.startswith("sel:")]["value"] > 0.5).all()


def test_complete_design_scheme_is_skipped_on_sparse_designs():
    tab = run_bench(n_list=[10], reps=20, schemes=["mean", "peerrank"], scenarios=["honest"],
                    designs=["sparse"], mechanisms=(), seed=5)
    assert set(tab["scheme"]) == {"mean"}


def test_bad_grid_names_are_clear_errors():
    from evalkit.core.errors import EvalkitError

    with pytest.raises(EvalkitError, match=r"unknown scheme 'avg'"):
        run_bench(n_list=[10], reps=5, schemes=["avg"])
    with pytest.raises(EvalkitError, match=r"unknown peer bench scenario method 'bribe'"):
        run_bench(n_list=[10], reps=5, scenarios=["bribe"])


def test_cli_writes_table_and_charts(tmp_path, capsys):
    rc = cli_main(["--", "--n", "10", "--reps", "20", "--schemes", "mean", "pg1",
                   "--scenarios", "honest", "collude", "--workers", "1", "--out",
                   str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "peer-bench:" in out and "best_tau" in out
    assert (tmp_path / "peer_bench.csv").exists()
    svg = (tmp_path / "peer_bench_tau.svg").read_text()
    assert "<svg" in svg and "pg1" in svg
