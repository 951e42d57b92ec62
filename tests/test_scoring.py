"""Scoring methods: hand-computed and published values, oracles, and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evalkit.core.errors import EvalkitError
from evalkit.scoring.methods import SCORING, score_matrix

X = np.array([2.0, 4.0, 10.0, np.nan, 6.0])


def test_minmax_hand_values() -> None:
    # (x - 2) / (10 - 2) * 100
    np.testing.assert_allclose(SCORING["minmax"](X, direction="benefit"),
                               [0, 25, 100, np.nan, 50])
    np.testing.assert_allclose(SCORING["minmax"](X, direction="cost"),
                               [100, 75, 0, np.nan, 50])
    # target 6: distances 4, 2, 4, -, 0 → oriented -d: min -4, max 0
    np.testing.assert_allclose(SCORING["minmax"](X, direction="target", target=6.0),
                               [0, 50, 0, np.nan, 100])


def test_goalposts_hdi_life_expectancy() -> None:
    """UNDP HDR technical notes: health index = (LE − 20) / (85 − 20), goalposts 20 and 85."""
    le = np.array([20.0, 85.0, 72.6, 90.0, 10.0])
    got = SCORING["goalposts"](le, direction="benefit", lower=20, upper=85, scale=1.0)
    np.testing.assert_allclose(got, [0, 1, (72.6 - 20) / 65, 1, 0])  # truncated at both ends
    raw = SCORING["goalposts"](le, direction="benefit", lower=20, upper=85, scale=1.0,
                               truncate=False)
    assert raw[3] > 1 and raw[4] < 0


def test_target_ratio_and_cap() -> None:
    x = np.array([50.0, 100.0, 130.0])
    np.testing.assert_allclose(SCORING["target_ratio"](x, direction="benefit", target=100),
                               [50, 100, 100])
    np.testing.assert_allclose(SCORING["target_ratio"](x, direction="benefit", target=100,
                                                       cap=1.2), [50, 100, 120])
    np.testing.assert_allclose(SCORING["target_ratio"](x, direction="cost", target=100),
                               [100, 100, 100 * 100 / 130])


def test_zscore_against_scipy() -> None:
    x = np.array([3.0, 7.0, 1.0, 9.0, 5.0])
    np.testing.assert_allclose(SCORING["zscore"](x, direction="benefit"),
                               stats.zscore(x, ddof=1))
    np.testing.assert_allclose(SCORING["zscore"](x, direction="benefit", center=50, spread=10),
                               50 + 10 * stats.zscore(x, ddof=1))


def test_percentile_is_percent_rank() -> None:
    # dplyr::percent_rank(c(1, 2, 2, 5)) = 0, 1/3, 1/3, 1
    np.testing.assert_allclose(SCORING["percentile"](np.array([1.0, 2, 2, 5]),
                                                     direction="benefit"),
                               [0, 100 / 3, 100 / 3, 100])


def test_bands() -> None:
    f = SCORING["bands"]
    x = np.array([50.0, 60.0, 85.0, 95.0, np.nan])
    np.testing.assert_allclose(f(x, direction="benefit", thresholds=[60, 80, 90],
                                 scores=[0, 60, 80, 100]), [0, 60, 80, 100, np.nan])
    # cost: accidents ≤ 0 → 100, ≤ 2 → 80, ≤ 5 → 50, more → 0
    acc = np.array([0.0, 2.0, 3.0, 9.0])
    np.testing.assert_allclose(f(acc, direction="cost", thresholds=[0, 2, 5],
                                 scores=[0, 50, 80, 100]), [100, 80, 50, 0])
    with pytest.raises(EvalkitError, match="one more score"):
        f(x, direction="benefit", thresholds=[1, 2], scores=[1, 2])


def test_target_distance() -> None:
    x = np.array([80.0, 90.0, 100.0, 110.0])
    np.testing.assert_allclose(SCORING["target_distance"](x, direction="benefit", target=100),
                               [0, 50, 100, 100])


@pytest.mark.parametrize("method", ["minmax", "zscore", "rank", "percentile"])
@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-1000, 1000), min_size=3, max_size=30, unique=True),
       st.floats(0.01, 1e3), st.floats(-1e3, 1e3))
def test_distribution_methods_invariant_to_unit_of_measure(method: str, x: list[int],
                                                           a: float, b: float) -> None:
    """Changing the unit (x → a·x + b, a > 0) changes no score; cost reverses the order."""
    x = np.array(x, dtype=float) / 7.0
    f = SCORING[method]
    np.testing.assert_allclose(f(a * x + b, direction="benefit"), f(x, direction="benefit"),
                               rtol=1e-6, atol=1e-6)
    s, c = f(x, direction="benefit"), f(x, direction="cost")
    assert np.all(np.sign(np.subtract.outer(s, s)) == -np.sign(np.subtract.outer(c, c)))


@pytest.mark.parametrize("method", sorted(SCORING))
def test_every_method_cost_score_falls_as_value_rises(method: str) -> None:
    x = np.linspace(1, 100, 12)
    params = {"goalposts": {"lower": 0, "upper": 120},
              "bands": {"thresholds": [20, 50, 80], "scores": [0, 40, 70, 100]},
              "goal_redflag": {"red_flag": 60.0}, "rank_points": {"step": 5.0}}.get(method, {})
    s = SCORING[method](x, direction="cost", target=30.0, **params)
    assert np.all(np.diff(s) <= 1e-12), s
    assert s[0] > s[-1]
    b = SCORING[method](x, direction="benefit", target=130.0, **params)
    assert np.all(np.diff(b) >= -1e-12)
    assert np.isnan(SCORING[method](np.array([1.0, np.nan, 3.0]), direction="benefit",
                                    target=2.0, **params)[1])


def test_score_matrix_scores_within_category() -> None:
    raw = np.array([[1.0], [3.0], [100.0], [300.0]])
    groups = np.array([0, 0, 1, 1])
    s = score_matrix(raw, groups, [("minmax", "benefit", None, "category", {})])
    np.testing.assert_allclose(s[:, 0], [0, 100, 0, 100])
    s = score_matrix(raw, groups, [("minmax", "benefit", None, "all", {})])
    np.testing.assert_allclose(s[:, 0], 100 * (raw[:, 0] - 1) / 299)


# -- conventions made explicit (ties of rank scoring, the target-distance cap) ---------------
@pytest.mark.parametrize(("ties", "expect"), [
    ("average", [1, 2.5, 2.5, 4]), ("min", [1, 2, 2, 4]), ("max", [1, 3, 3, 4]),
    ("dense", [1, 2, 2, 3])])
def test_rank_ties_by_hand(ties: str, expect: list[float]) -> None:
    x = np.array([1.0, 2.0, 2.0, 3.0])
    np.testing.assert_array_equal(SCORING["rank"](x, ties=ties), expect)
    # a cost indicator ranks the reversed order with the same tie rule
    np.testing.assert_array_equal(SCORING["rank"](-x, direction="cost", ties=ties), expect)


def test_rank_default_is_average_and_bad_ties_are_refused() -> None:
    x = np.array([5.0, 5.0, 1.0])
    np.testing.assert_array_equal(SCORING["rank"](x), [2.5, 2.5, 1])
    with pytest.raises(EvalkitError, match="ties"):
        SCORING["rank"](x, ties="first")


def test_target_distance_cap_by_hand() -> None:
    # min 2, target 6: (x - 2) / 4 · 100 → 0, 50, 200 (capped 100), -, 100
    x = np.array([2.0, 4.0, 10.0, np.nan, 6.0])
    np.testing.assert_allclose(SCORING["target_distance"](x, target=6.0),
                               [0, 50, 100, np.nan, 100])
    np.testing.assert_allclose(SCORING["target_distance"](x, target=6.0, cap=False),
                               [0, 50, 200, np.nan, 100])


@pytest.mark.parametrize(("method", "params", "where"), [
    ("target_ratio", {"cap": "x"}, "s.cap"),
    ("bands", {"thresholds": "70,85", "scores": [0, 50, 100]}, "s.thresholds"),
    ("rank", {"ties": "first"}, "s.ties"),
    ("goalposts", {"lower": float("nan"), "upper": 100}, "s.lower"),
    ("target_distance", {"cap": "no"}, "s.cap"),
])
def test_parameter_values_are_checked_against_the_signature(method: str, params: dict,
                                                            where: str) -> None:
    problems = SCORING.check_params(method, params, "s", {"x", "direction", "target"})
    assert [p.where for p in problems] == [where]


# -- the scoring rules of Chinese practice (domain.md: county and city assessment methods) ----
def test_best_ratio_by_hand() -> None:
    # 第一名得满分，其余按比例得分: 6 points to the first, the others in proportion
    x = np.array([3.0, 6.0, 4.5, np.nan])
    np.testing.assert_allclose(SCORING["best_ratio"](x, scale=6.0), [3.0, 6.0, 4.5, np.nan])
    # cost: the lowest value is best, 100 · min / x
    np.testing.assert_allclose(SCORING["best_ratio"](np.array([2.0, 5.0]), direction="cost"),
                               [100.0, 40.0])
    with pytest.raises(EvalkitError, match="≥ 0"):
        SCORING["best_ratio"](np.array([-1.0, 2.0]))


def test_rank_points_city_table_and_steps() -> None:
    # ranks 1–5 in the city get 60 / 57 / 54 / 51 / 48 points (a table, or 60 minus 3 a place)
    x = np.array([95.0, 80.0, 90.0, 70.0, 85.0])
    expect = [60.0, 51.0, 57.0, 48.0, 54.0]
    np.testing.assert_allclose(SCORING["rank_points"](x, table=[60, 57, 54, 51, 48]), expect)
    np.testing.assert_allclose(SCORING["rank_points"](x, top=60, step=3), expect)
    # tied units share the better place; below the floor nobody falls
    np.testing.assert_allclose(SCORING["rank_points"](np.array([5.0, 5.0, 1.0]), top=10,
                                                      step=6, floor=1), [10.0, 10.0, 1.0])


def test_goal_redflag_by_hand() -> None:
    # goal 90, red flag 80: d = 10; 0 at 70, 100 at 100, the goal 2/3, the red flag 1/3
    x = np.array([60.0, 70.0, 80.0, 90.0, 100.0, 110.0])
    np.testing.assert_allclose(SCORING["goal_redflag"](x, target=90.0, red_flag=80.0),
                               [0, 0, 100 / 3, 200 / 3, 100, 100])
    # a cost indicator: goal 10 accidents, red flag 20 → 100 at 0, 0 at 30
    np.testing.assert_allclose(
        SCORING["goal_redflag"](np.array([0.0, 10.0, 20.0, 30.0]), direction="cost",
                                target=10.0, red_flag=20.0), [100, 200 / 3, 100 / 3, 0])
