"""Tests of evalkit.scoring.treatment: denomination, imputation, COINr outlier treatment.

Independent references used here:
- Excel's SKEW and KURT formulas, written out below (Microsoft Excel function reference).
- COINr's "Outlier Treatment" vignette (bluefoxr/COINr, vignettes/treat.Rmd, rendered in
  docs/articles/treat.html): for x = c(1:10, 30, 100), skew(x) = 3.063241, kurt(x) = 9.741391;
  after Treat(x, f1 = "winsorise", f1_para = list(winmax = 2)) one point is winsorised and the
  result has skew 1.712038, kurtosis 1.815781.
- COINr's tests/testthat/test-treat.R: c(1:10, 100) winsorised -> the 100 becomes 10;
  c(1:20, 100, 200) with winmax = 1 does not pass and falls to the second function.
- Hand-worked vectors (the expected treated vector is written out from the rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.core.errors import EvalkitError
from evalkit.scoring.treatment import (
    IMPUTE,
    LOG_COLUMNS,
    OUTLIERS,
    apply_treatment,
    denominate,
    excel_kurt,
    excel_skew,
    impute,
    treat_outliers,
    validate_treatment,
)


# --------------------------------------------------------------------------- Excel formulas
def _excel_skew(x: np.ndarray) -> float:
    """Excel SKEW: n / ((n-1)(n-2)) * sum(((x - m) / s)^3), s with n-1."""
    x = x[~np.isnan(x)]
    n = len(x)
    m = sum(x) / n
    s = (sum((xi - m) ** 2 for xi in x) / (n - 1)) ** 0.5
    return n / ((n - 1) * (n - 2)) * sum(((xi - m) / s) ** 3 for xi in x)


def _excel_kurt(x: np.ndarray) -> float:
    """Excel KURT: n(n+1)/((n-1)(n-2)(n-3)) sum(((x-m)/s)^4) - 3(n-1)^2/((n-2)(n-3))."""
    x = x[~np.isnan(x)]
    n = len(x)
    m = sum(x) / n
    s = (sum((xi - m) ** 2 for xi in x) / (n - 1)) ** 0.5
    return (n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * sum(((xi - m) / s) ** 4 for xi in x)
            - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))


def _passes(x: np.ndarray) -> bool:
    return abs(_excel_skew(x)) < 2 or _excel_kurt(x) < 3.5


@pytest.mark.parametrize("seed", range(5))
def test_skew_kurt_match_excel_formulas(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(size=15 + seed)
    x[[2, 7]] = np.nan  # NaN omitted
    assert excel_skew(x) == pytest.approx(_excel_skew(x), rel=1e-10)
    assert excel_kurt(x) == pytest.approx(_excel_kurt(x), rel=1e-10)


def test_skew_kurt_published_coinr_vignette() -> None:
    x = np.r_[1:11, 30, 100].astype(float)
    assert excel_skew(x) == pytest.approx(3.063241, abs=1e-6)
    assert excel_kurt(x) == pytest.approx(9.741391, abs=1e-6)


def test_skew_kurt_undefined_cases() -> None:
    assert np.isnan(excel_skew(np.array([1.0, 2.0])))
    assert np.isnan(excel_kurt(np.array([1.0, 2.0, 3.0])))
    assert np.isnan(excel_skew(np.full(6, 3.0)))


# --------------------------------------------------------------------------- winsorisation
def _treat(x, **kw):
    X = pd.DataFrame({"a": np.asarray(x, dtype=float)})
    Xt, log = OUTLIERS["coinr_winsorise"](X, **kw)
    return Xt["a"].to_numpy(), log.iloc[0]


def test_passing_indicator_untouched() -> None:
    x = np.arange(1.0, 21.0)
    xt, row = _treat(x)
    np.testing.assert_array_equal(xt, x)
    assert row["action"] == "none" and row["n_points"] == 0


def test_single_outlier_coinr_test_suite() -> None:
    # COINr test-treat.R: c(1:10, 100) -> the 100 becomes 10, the rest unchanged
    x = np.r_[1:11, 100.0]
    xt, row = _treat(x, winmax=5)
    np.testing.assert_array_equal(xt, np.r_[1:11, 10.0])
    assert (row["action"], row["n_points"]) == ("winsorised", 1)
    assert _passes(xt) and row["passes_after"]


def test_published_vignette_winsorised_vector() -> None:
    xt, row = _treat(np.r_[1:11, 30, 100.0], winmax=2)
    np.testing.assert_array_equal(xt, np.r_[1:11, 30, 30.0])
    assert row["n_points"] == 1
    assert row["skew_after"] == pytest.approx(1.712038, abs=1e-6)
    assert row["kurt_after"] == pytest.approx(1.815781, abs=1e-6)


def test_two_steps_hand_worked() -> None:
    # c(1:20, 100, 200): step 1 moves 200 -> 100 (still fails), step 2 moves both 100s -> 20
    x = np.r_[1:21, 100, 200.0]
    assert not _passes(np.r_[1:21, 100, 100.0])
    xt, row = _treat(x, winmax=5)
    np.testing.assert_array_equal(xt, np.r_[1:21, 20, 20.0])
    assert row["n_points"] == 2  # distinct points changed, as COINr's nwin


def test_multi_step_geometric_hand_worked() -> None:
    x = 2.0 ** np.arange(30)
    xt, row = _treat(x, winmax=5)
    # 2^29 -> 2^28; both -> 2^27; the three -> 2^26, which passes
    expected = np.r_[2.0 ** np.arange(27), [2.0**26] * 3]
    assert not _passes(np.r_[2.0 ** np.arange(28), [2.0**27] * 2])
    assert _passes(expected)
    np.testing.assert_array_equal(xt, expected)
    assert row["n_points"] == 3


def test_ties_move_together() -> None:
    # two tied maxima move in one step even with winmax = 1: both count
    x = np.r_[1:31, 100, 100.0]
    xt, row = _treat(x, winmax=1)
    np.testing.assert_array_equal(xt, np.r_[1:31, 30, 30.0])
    assert (row["action"], row["n_points"]) == ("winsorised", 2)


def test_ties_join_the_next_value() -> None:
    # c(1:20, 60, 100, 100): the tied 100s go to 60, leaving three points at 60
    xt, row = _treat(np.r_[1:21, 60, 100, 100.0], winmax=1)
    np.testing.assert_array_equal(xt, np.r_[1:21, 60, 60, 60.0])
    assert row["n_points"] == 2


def test_tied_pairs_can_exceed_winmax() -> None:
    # pairs at 400 and 300: step 1 moves 2 points (400s -> 300), step 2 moves 4 (-> 200)
    x = np.r_[1:41, 200, 200, 300, 300, 400, 400.0]
    xt, row = _treat(x, winmax=3)
    np.testing.assert_array_equal(xt, np.r_[1:41, [200.0] * 6])
    assert row["n_points"] == 4


def test_log_fallback_on_original_values() -> None:
    # COINr test-treat.R: c(1:20, 100, 200) with winmax = 1 does not pass -> second function
    x = np.r_[1:21, 100, 200.0]
    xt, row = _treat(x, winmax=1)
    a = 0.01 * (200 - 1)
    np.testing.assert_allclose(xt, np.log(x - 1 + a))
    assert row["action"] == "log" and row["n_points"] == len(x)
    assert row["skew_after"] == pytest.approx(_excel_skew(np.log(x - 1 + a)))


def test_log_fallback_geometric_winmax_exhausted() -> None:
    x = 2.0 ** np.arange(30)
    xt, row = _treat(x, winmax=2)  # needs 3 points: falls back to log of the original
    np.testing.assert_allclose(xt, np.log(x - 1 + 0.01 * (2.0**29 - 1)))
    assert row["action"] == "log"


def test_winmax_zero_goes_straight_to_log() -> None:
    x = np.r_[1:11, 100.0]
    xt, row = _treat(x, winmax=0)
    np.testing.assert_allclose(xt, np.log(x - 1 + 0.01 * 99))
    assert row["action"] == "log"


def test_negative_skew_is_mirrored() -> None:
    x = np.r_[1:21, 100, 200.0]
    # winsorisation on the low side mirrors the high side exactly
    xt, row = _treat(-x, winmax=5)
    np.testing.assert_array_equal(xt, -np.r_[1:21, 20, 20.0])
    assert row["skew_before"] < 0
    # log fallback: -log(max - x + a) keeps the order and mirrors log(x - min + a)
    xt, row = _treat(-x, winmax=1)
    np.testing.assert_allclose(xt, -np.log(x - 1 + 0.01 * 199))
    assert np.all(np.diff(xt[np.argsort(-x)]) >= 0)  # order of units kept
    assert "mirrored" in row["note"]
    # COINr exact (no mirroring): plain log of the original
    xt, _ = _treat(-x, winmax=1, mirror_negative=False)
    np.testing.assert_allclose(xt, np.log(-x + 200 + 0.01 * 199))


def test_nan_kept_and_ignored() -> None:
    x = np.r_[1:11, np.nan, 100.0]
    xt, row = _treat(x)
    assert np.isnan(xt[10])
    np.testing.assert_array_equal(np.delete(xt, 10), np.r_[1:11, 10.0])
    assert row["skew_before"] == pytest.approx(_excel_skew(x))


def test_too_few_values_left_alone() -> None:
    xt, row = _treat([1.0, np.nan, 5.0])
    np.testing.assert_array_equal(xt[[0, 2]], [1.0, 5.0])
    assert row["action"] == "none" and "not assessed" in row["note"]


def test_log_table_shape_and_none_method() -> None:
    X = pd.DataFrame({"a": np.r_[1:11, 100.0], "b": np.arange(11.0)})
    Xt, log = OUTLIERS["none"](X)
    pd.testing.assert_frame_equal(Xt, X)
    assert list(log.columns) == LOG_COLUMNS
    assert log["indicator_id"].tolist() == ["a", "b"]
    passes_a = log.set_index("indicator_id").loc["a", "passes_after"]
    assert passes_a == bool(_passes(X["a"].to_numpy()))


@pytest.mark.parametrize(
    ("params", "path"),
    [({"winmax": -1}, "winmax"), ({"winmax": 2.5}, "winmax"), ({"skew_max": "two"}, "skew_max")],
)
def test_outlier_parameter_errors(params, path) -> None:
    X = pd.DataFrame({"a": np.arange(6.0)})
    with pytest.raises(EvalkitError, match=rf"treatment\.outliers\.{path}"):
        treat_outliers(X, "coinr_winsorise", **params)


def test_unknown_methods_list_known_keys() -> None:
    X = pd.DataFrame({"a": np.arange(6.0)})
    with pytest.raises(EvalkitError, match=r"treatment\.outliers\.method.*coinr_winsorise"):
        treat_outliers(X, "trim")
    with pytest.raises(EvalkitError, match=r"treatment\.impute\.method.*group_mean"):
        impute(X, pd.DataFrame(index=X.index), "hot_deck")
    with pytest.raises(EvalkitError, match=r"treatment\.outliers.*unexpected keyword"):
        treat_outliers(X, "coinr_winsorise", win_max=3)


# --------------------------------------------------------------------------- imputation
@pytest.fixture
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = pd.Index(["u1", "u2", "u3", "u4", "u5", "u6"], name="unit_id")
    X = pd.DataFrame(
        {
            "a": [1.0, 3.0, np.nan, 10.0, np.nan, 20.0],
            "b": [2.0, np.nan, 4.0, np.nan, np.nan, np.nan],
        },
        index=idx,
    )
    units = pd.DataFrame({"grp": ["E", "E", "E", "A", "A", "A"]}, index=idx)
    return X, units


def test_group_mean_hand_computation(small) -> None:
    X, units = small
    Xi, mask = IMPUTE["group_mean"](X, units, group="grp")
    # a: group E mean (1+3)/2 = 2 -> u3; group A mean (10+20)/2 = 15 -> u5
    assert Xi.loc["u3", "a"] == 2.0 and Xi.loc["u5", "a"] == 15.0
    # b: group E mean (2+4)/2 = 3 -> u2; group A has no b at all -> overall mean (2+4)/2 = 3
    assert Xi.loc["u2", "b"] == 3.0
    assert Xi.loc[["u4", "u5", "u6"], "b"].tolist() == [3.0, 3.0, 3.0]
    pd.testing.assert_frame_equal(mask, X.isna())
    # observed values untouched
    pd.testing.assert_frame_equal(Xi.where(X.notna()), X)


def test_group_mean_fallback_uses_overall_mean() -> None:
    X = pd.DataFrame({"a": [1.0, 5.0, np.nan, np.nan]}, index=list("pqrs"))
    units = pd.DataFrame({"g": ["x", "x", "y", None]}, index=list("pqrs"))
    Xi, _ = IMPUTE["group_mean"](X, units, group="g")
    assert Xi["a"].tolist() == [1.0, 5.0, 3.0, 3.0]  # group y empty, s has no group


def test_mean_median_none(small) -> None:
    X, units = small
    Xm, mm = IMPUTE["mean"](X, units)
    assert Xm.loc["u3", "a"] == pytest.approx((1 + 3 + 10 + 20) / 4)
    Xd, _ = IMPUTE["median"](X, units)
    assert Xd.loc["u3", "a"] == pytest.approx((3 + 10) / 2)
    Xn, mn = IMPUTE["none"](X, units)
    pd.testing.assert_frame_equal(Xn, X)
    assert not mn.to_numpy().any()
    assert int(mm.sum().sum()) == int(X.isna().sum().sum())


def test_unknown_group_column_named(small) -> None:
    X, units = small
    with pytest.raises(EvalkitError, match=r"treatment\.impute\.group.*'Region'"):
        IMPUTE["group_mean"](X, units, group="Region")


def test_impute_all_missing_indicator_is_error(small) -> None:
    X, units = small
    X = X.assign(c=np.nan)
    with pytest.raises(EvalkitError, match=r"\['c'\]"):
        IMPUTE["mean"](X, units)


def test_impute_unit_without_group_row(small) -> None:
    X, units = small
    with pytest.raises(EvalkitError, match="u6"):
        IMPUTE["group_mean"](X, units.drop(index="u6"), group="grp")


# --------------------------------------------------------------------------- denomination
def test_denominate_hand_computation() -> None:
    X = pd.DataFrame({"trade": [10.0, np.nan, 9.0], "score": [1.0, 2.0, 3.0]},
                     index=["A", "B", "C"])
    units = pd.DataFrame({"GDP": [2.0, 0.0, 3.0]}, index=["A", "B", "C"])
    out = denominate(X, {"trade": "GDP"}, units)
    # B has no trade value, so its zero GDP is harmless
    assert out["trade"].iloc[[0, 2]].tolist() == [5.0, 3.0] and np.isnan(out.loc["B", "trade"])
    pd.testing.assert_series_equal(out["score"], X["score"])


def test_denominator_column_missing_named() -> None:
    X = pd.DataFrame({"trade": [1.0]}, index=["A"])
    with pytest.raises(EvalkitError, match=r"'Population'.*treatment\.denominate\.trade|"
                                           r"treatment\.denominate\.trade.*'Population'"):
        denominate(X, {"trade": "Population"}, pd.DataFrame({"GDP": [1.0]}, index=["A"]))


def test_missing_denominator_gives_missing_ratio() -> None:
    # COINr's Denominate: x / NA is NA (ASEM: LAO has no Energy), imputed afterwards
    X = pd.DataFrame({"elec": [4.0, 2.0]}, index=["A", "B"])
    units = pd.DataFrame({"Energy": [2.0, np.nan]}, index=["A", "B"])
    out = denominate(X, {"elec": "Energy"}, units)
    assert out.loc["A", "elec"] == 2.0 and np.isnan(out.loc["B", "elec"])


def test_denominator_zero_named() -> None:
    X = pd.DataFrame({"trade": [1.0, 2.0]}, index=["A", "B"])
    units = pd.DataFrame({"GDP": [1.0, 0.0]}, index=["A", "B"])
    with pytest.raises(EvalkitError, match=r"'GDP'.*\['B'\]"):
        denominate(X, {"trade": "GDP"}, units)


def test_denominator_non_numeric_and_unknown_indicator() -> None:
    X = pd.DataFrame({"trade": [1.0, 2.0]}, index=["A", "B"])
    units = pd.DataFrame({"GDP": ["1", "n/a"]}, index=["A", "B"])
    with pytest.raises(EvalkitError, match=r"non-numeric.*\['B'\]"):
        denominate(X, {"trade": "GDP"}, units)
    with pytest.raises(EvalkitError, match=r"'flights' is not in the data"):
        denominate(X, {"flights": "GDP"}, units)


# --------------------------------------------------------------------------- whole step + spec
def test_apply_treatment_order() -> None:
    idx = list("abcdefghijkl")
    X = pd.DataFrame({"t": [*range(1, 11), np.nan, 1000.0]}, index=idx)
    units = pd.DataFrame({"d": [1.0] * 11 + [10.0], "g": ["x"] * 12}, index=idx)
    cfg = {"denominate": True, "impute": {"method": "group_mean", "group": "g"},
           "outliers": {"method": "coinr_winsorise", "winmax": 5}}
    res = apply_treatment(X, units, cfg, {"t": "d"})
    # 1000 / 10 = 100; k imputed with the mean of 1..10 and 100 = 155/11; then 100 moves to
    # the next highest value, which is the imputed 155/11 (so imputation came first)
    assert res.data.loc["k", "t"] == pytest.approx(155 / 11)
    assert res.data.loc["l", "t"] == pytest.approx(155 / 11)
    assert bool(res.imputed.loc["k", "t"]) and int(res.imputed.sum().sum()) == 1
    assert res.outliers.loc[0, "action"] == "winsorised"


def test_validate_treatment_names_paths() -> None:
    problems = validate_treatment(
        {"denominate": "yes", "impute": {"method": "group_mean"}, "outlier": {},
         "outliers": {"method": "coinr_winsorise", "winmax": 5, "kurt": 3}}
    )
    text = "\n".join(map(str, problems))
    for path in ("treatment.denominate", "treatment.impute.group", "treatment.outlier",
                 "treatment.outliers.kurt"):
        assert path in text
    assert len(problems) == 4
    assert validate_treatment({"denominate": True, "impute": "mean",
                               "outliers": {"method": "none"}}) == []
    with pytest.raises(EvalkitError, match="4 treatment problems"):
        apply_treatment(pd.DataFrame({"a": [1.0]}), pd.DataFrame(index=[0]),
                        {"denominate": "yes", "impute": {"method": "group_mean"}, "outlier": {},
                         "outliers": {"method": "coinr_winsorise", "kurt": 3}})


# -- scikit-learn imputers -----------------------------------------------------------------
def test_knn_imputes_the_mean_of_the_nearest_units_by_hand() -> None:
    # s is nearest to p (|1.05 - 1.0|) and q (|1.05 - 1.1|) on the standardised 'a':
    # its 'b' is the mean of theirs, (10 + 12) / 2 = 11, not the far unit's 90
    X = pd.DataFrame({"a": [1.0, 1.1, 9.0, 1.05], "b": [10.0, 12.0, 90.0, np.nan]},
                     index=list("pqrs"))
    Xi, mask = IMPUTE["knn"](X, pd.DataFrame(index=X.index), n_neighbors=2)
    assert Xi.loc["s", "b"] == pytest.approx(11.0)
    assert mask.to_numpy().sum() == 1 and bool(mask.loc["s", "b"])
    pd.testing.assert_frame_equal(Xi.drop(index="s"), X.drop(index="s"))


@pytest.mark.parametrize("method", ["knn", "iterative"])
def test_sklearn_imputers_do_not_depend_on_the_unit_of_measure(method: str) -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(50, 10, 40)
    X = pd.DataFrame({"a": a, "b": 2 * a + rng.normal(0, 1, 40), "c": rng.normal(0, 1, 40)})
    X.iloc[[3, 11, 25], 1] = np.nan
    units = pd.DataFrame(index=X.index)
    base, mask = IMPUTE[method](X, units)
    scaled, _ = IMPUTE[method](X.assign(b=X["b"] * 1000), units)
    np.testing.assert_allclose(scaled["b"], base["b"] * 1000, rtol=1e-6)
    assert mask["b"].sum() == 3 and not mask[["a", "c"]].to_numpy().any()


def test_iterative_recovers_a_linear_relation() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                      "b": [2.0, 4.0, 6.0, 8.0, np.nan, 12.0]})
    Xi, _ = IMPUTE["iterative"](X, pd.DataFrame(index=X.index))
    assert Xi.iloc[4, 1] == pytest.approx(10.0, abs=0.05)


def test_sklearn_imputers_in_the_spec_are_checked() -> None:
    assert validate_treatment({"impute": {"method": "knn", "n_neighbors": 3}}) == []
    bad = validate_treatment({"impute": {"method": "knn", "k": 3}})
    assert [p.where for p in bad] == ["treatment.impute.k"]
    with pytest.raises(EvalkitError, match="n_neighbors"):
        apply_treatment(pd.DataFrame({"a": [1.0, np.nan]}), pd.DataFrame(index=[0, 1]),
                        {"impute": {"method": "knn", "n_neighbors": 0}})


# --------------------------------------------------------------------------- vectorised treatment
# The treatment runs on all columns at once (NaN-masked moments, one winsorisation step per
# iteration over the failing columns). Oracle: the column-by-column algorithm with scipy's
# skew/kurtosis, as evalkit computed it before (and as COINr's Treat() does).
def _scipy_skew_kurt(x: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    v = x[~np.isnan(x)]
    if v.size < 3 or np.ptp(v) == 0:
        return np.nan, np.nan
    s = float(stats.skew(v, bias=False))
    k = float(stats.kurtosis(v, fisher=True, bias=False)) if v.size >= 4 else np.nan
    return s, k


def _column_by_column(x: np.ndarray, winmax: int, mirror_negative: bool
                      ) -> tuple[np.ndarray, str, int]:
    sb, kb = _scipy_skew_kurt(x)
    if np.isnan(sb) or np.isnan(kb) or abs(sb) < 2 or kb < 3.5:
        return x, "none", 0
    xw, obs = x.copy(), ~np.isnan(x)
    changed = np.zeros(x.shape, dtype=bool)
    s, passed = sb, False
    while not passed and changed.sum() < winmax:
        hi = s >= 0
        ext = np.nanmax(xw) if hi else np.nanmin(xw)
        at = obs & (xw == ext)
        rest = xw[obs & ~at]
        if rest.size == 0:
            break
        xw[at] = rest.max() if hi else rest.min()
        changed |= at
        s, k = _scipy_skew_kurt(xw)
        if np.isnan(s):
            break
        passed = abs(s) < 2 or k < 3.5
    if passed:
        return xw, "winsorised", int(changed.sum())
    lo, top = np.nanmin(x), np.nanmax(x)
    a = 0.01 * (top - lo)
    xl = -np.log(top - x + a) if mirror_negative and sb < 0 else np.log(x - lo + a)
    return xl, "log", int(obs.sum())


def _awkward_matrix(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.lognormal(size=(45, 24)) ** rng.uniform(0.5, 3.5, 24),
                     columns=[f"i{j}" for j in range(24)])
    X = X.mask(rng.uniform(size=X.shape) < 0.1)
    X["i3"] = np.round(X["i3"])                        # ties at the extremes
    X["i4"] = -X["i4"]                                 # negative skew
    X["i5"] = np.r_[[7.0] * 3, [np.nan] * 42]          # too few values
    X["i6"] = 1.0                                      # no spread
    X["i7"] = np.r_[1:41, 200, 200, 300, 300, 400.0]   # tied pairs
    return X


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("winmax", [0, 1, 2, 5])
@pytest.mark.parametrize("mirror", [True, False])
def test_vectorised_treatment_equals_column_by_column(seed: int, winmax: int,
                                                      mirror: bool) -> None:
    X = _awkward_matrix(seed)
    Xt, log = OUTLIERS["coinr_winsorise"](X, winmax=winmax, mirror_negative=mirror)
    log = log.set_index("indicator_id")
    for c in X.columns:
        x = X[c].to_numpy(dtype=float)
        xt, action, n_points = _column_by_column(x, winmax, mirror)
        np.testing.assert_allclose(Xt[c].to_numpy(), xt, rtol=1e-12, atol=1e-12, err_msg=c)
        assert (log.loc[c, "action"], log.loc[c, "n_points"]) == (action, n_points), c
        sb, kb = _scipy_skew_kurt(x)
        sa, ka = _scipy_skew_kurt(xt)
        np.testing.assert_allclose(log.loc[c, ["skew_before", "kurt_before", "skew_after",
                                               "kurt_after"]].to_numpy(dtype=float),
                                   [sb, kb, sa, ka], rtol=1e-12, atol=1e-12, err_msg=c)


def test_skew_kurt_of_all_columns_equal_scipy_per_column() -> None:
    from evalkit.scoring.moments import skew_kurt

    X = _awkward_matrix(7).to_numpy()
    s, k = skew_kurt(X)
    for j in range(X.shape[1]):
        np.testing.assert_allclose([s[j], k[j]], _scipy_skew_kurt(X[:, j]), rtol=1e-12,
                                   atol=1e-12)
    # a single column and a 1-D vector give the same figures
    assert skew_kurt(X[:, 0])[0][0] == pytest.approx(s[0], rel=1e-14)
    assert excel_kurt(X[:, 0]) == pytest.approx(k[0], rel=1e-14)
