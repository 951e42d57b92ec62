"""Satisfaction surveys: intervals, ballot rules, aggregation, ranking, quality, source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from evalkit.core.errors import EvalkitError, MethodError, SpecError
from evalkit.sources.survey import (
    MEAN_INTERVALS,
    RATE_INTERVALS,
    acsi_index,
    acsi_rescale,
    analyse,
    cronbach_alpha,
    eb_beta_binomial,
    funnel_limits,
    pairwise,
    rank_table,
    report_section,
)
from evalkit.sources.survey.intervals import rate_interval


def one_item(unit_answers: dict[str, list[str]], group: str = "public", **extra: list
             ) -> pd.DataFrame:
    """One questionnaire, one item: each answer is one respondent."""
    rows = []
    k = 0
    for unit, answers in unit_answers.items():
        for a in answers:
            rows.append({"respondent_id": f"r{k}", "questionnaire": "q", "group": group,
                         "unit_id": unit, "item": "overall", "answer": a})
            k += 1
    df = pd.DataFrame(rows)
    for col, values in extra.items():
        df[col] = values
    return df


def counts(sat: int, basic: int, dis: int, dk: int = 0, blank: int = 0) -> list:
    return ["满意"] * sat + ["基本满意"] * basic + ["不满意"] * dis + ["不了解"] * dk + \
        [None] * blank


# -- intervals ---------------------------------------------------------------------------
NEWCOMBE = [  # Newcombe (1998), Stat Med 17:857, Table II: Wilson (method 3), exact (method 5)
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize(("x", "n", "wilson", "exact"), NEWCOMBE)
def test_rate_intervals_match_published_values(x, n, wilson, exact):
    lo, hi = RATE_INTERVALS["wilson"](np.array([x]), np.array([n]), 0.95)
    assert (round(lo[0], 4), round(hi[0], 4)) == wilson
    lo, hi = RATE_INTERVALS["beta"](np.array([x]), np.array([n]), 0.95)
    assert (round(lo[0], 4), round(hi[0], 4)) == exact


@pytest.mark.parametrize("method", ["wilson", "jeffreys", "beta"])
def test_rate_intervals_vectorised_equal_statsmodels_elementwise(method):
    rng = np.random.default_rng(0)
    n = rng.integers(1, 300, 200).astype(float)
    x = np.floor(rng.random(200) * (n + 1))
    lo, hi = RATE_INTERVALS[method](x, n, 0.9)
    ref = np.array([proportion_confint(a, b, alpha=0.1, method=method)
                    for a, b in zip(x, n, strict=True)])
    if method == "jeffreys":  # Brown, Cai & DasGupta's modification at x = 0 and x = n
        ref[x == 0, 0] = 0.0
        ref[x == n, 1] = 1.0
    np.testing.assert_allclose(lo, np.clip(ref[:, 0], 0, 1), atol=1e-12)
    np.testing.assert_allclose(hi, np.clip(ref[:, 1], 0, 1), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 500), share=st.floats(0, 1), level=st.sampled_from([0.8, 0.95, 0.99]))
def test_every_rate_method_brackets_the_rate(n, share, level):
    x = float(np.floor(share * n))
    for key in RATE_INTERVALS:
        lo, hi = RATE_INTERVALS[key](np.array([x]), np.array([float(n)]), level)
        assert 0 <= lo[0] <= x / n + 1e-9 and x / n - 1e-9 <= hi[0] <= 1, key


@settings(max_examples=60, deadline=None)
@given(n=st.floats(0.5, 500), share=st.floats(0, 1))
def test_wilson_brackets_fractional_effective_counts(n, share):
    lo, hi = RATE_INTERVALS["wilson"](np.array([share * n]), np.array([n]), 0.95)
    assert 0 <= lo[0] <= share + 1e-9 and share - 1e-9 <= hi[0] <= 1


def test_wald_is_refused():
    with pytest.raises(MethodError, match="Wald"):
        rate_interval("wald")
    with pytest.raises(SpecError, match="Wald") as e:
        analyse(one_item({"U1": counts(5, 0, 0)}), {"rate_interval": "normal"})
    assert "sources.survey.rate_interval" in str(e.value)


def test_single_item_unweighted_matches_wilson_and_t():
    answers = counts(30, 10, 8, dk=4, blank=2)
    res = analyse(one_item({"U1": answers}), {"min_n": 1})
    u = res.by_unit.iloc[0]
    # an all-blank one-item ballot is an abstention (audit), not a blank item
    assert (u["n"], u["n_dont_know"], u["n_blank"]) == (48, 4, 0)
    assert list(res.audit["reason"]) == ["unmarked", "unmarked"]
    assert u["rate"] == pytest.approx(40 / 48)
    lo, hi = proportion_confint(40, 48, method="wilson")
    assert (u["rate_lo"], u["rate_hi"]) == pytest.approx((lo, hi))
    pts = np.array([100.0] * 30 + [60.0] * 10 + [0.0] * 8)
    t_lo, t_hi = stats.t.interval(0.95, len(pts) - 1, pts.mean(), stats.sem(pts))
    assert u["mean_points"] == pytest.approx(pts.mean())
    assert (u["points_lo"], u["points_hi"]) == pytest.approx((t_lo, t_hi))
    # item level is the same single cell
    it = res.by_item.iloc[0]
    assert (it["rate"], it["n_dont_know"], it["n_blank"]) == (pytest.approx(40 / 48), 4, 0)


def test_jeffreys_and_clopper_pearson_selectable():
    df = one_item({"U1": counts(18, 0, 2)})
    for m in ("jeffreys", "beta", "clopper_pearson"):
        u = analyse(df, {"rate_interval": m, "min_n": 1}).by_unit.iloc[0]
        lo, hi = proportion_confint(18, 20, method="beta" if m != "jeffreys" else m)
        assert (u["rate_lo"], u["rate_hi"]) == pytest.approx((lo, hi))


def test_agresti_coull_equals_statsmodels_elementwise():
    # statsmodels proportion_confint(method="agresti_coull"), clipped to [0, 1] as it does
    rng = np.random.default_rng(1)
    n = rng.integers(1, 300, 200).astype(float)
    x = np.floor(rng.random(200) * (n + 1))
    x[:5], n[:5] = [0, 8, 1, 10, 3], [10, 8, 20, 10, 3]
    for level in (0.9, 0.95):
        lo, hi = RATE_INTERVALS["agresti_coull"](x, n, level)
        ref = np.array([proportion_confint(a, b, alpha=1 - level, method="agresti_coull")
                        for a, b in zip(x, n, strict=True)])
        np.testing.assert_allclose(lo, ref[:, 0], atol=1e-12)
        np.testing.assert_allclose(hi, ref[:, 1], atol=1e-12)
    # Agresti & Coull (1998): add z²/2 successes and failures; 0 of 10 at 95%
    z = stats.norm.ppf(0.975)
    p = (z * z / 2) / (10 + z * z)
    assert RATE_INTERVALS["agresti_coull"](np.array([0.0]), np.array([10.0]), 0.95)[1][0] == \
        pytest.approx(p + z * np.sqrt(p * (1 - p) / (10 + z * z)))


def test_agresti_coull_selectable_and_its_clipping_flagged():
    df = one_item({"U1": counts(12, 6, 2), "ALL": counts(8, 0, 0)})
    res = analyse(df, {"rate_interval": "agresti_coull", "min_n": 1})
    u = res.by_unit.set_index("unit_id")
    lo, hi = proportion_confint(18, 20, method="agresti_coull")
    assert (u.loc["U1", "rate_lo"], u.loc["U1", "rate_hi"]) == pytest.approx((lo, hi))
    assert not u.loc["U1", "degenerate"]
    # at 8 of 8 the Agresti–Coull upper end passes 1 and is clipped: flagged
    lo, hi = proportion_confint(8, 8, method="agresti_coull")
    assert (u.loc["ALL", "rate_lo"], u.loc["ALL", "rate_hi"]) == pytest.approx((lo, 1.0))
    assert u.loc["ALL", "degenerate"]
    with pytest.raises(MethodError, match="agresti_coull"):
        rate_interval("wald")


def test_kish_effective_n_with_weights():
    answers = counts(6, 2, 2)
    w = [1, 1, 1, 2, 2, 2, 3, 3, 0.5, 0.5]
    res = analyse(one_item({"U1": answers}, weight=w), {"min_n": 1})
    u = res.by_unit.iloc[0]
    w = np.array(w)
    sat = np.array([1] * 8 + [0] * 2)
    assert u["n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert u["rate"] == pytest.approx((w * sat).sum() / w.sum())
    lo, hi = proportion_confint(u["rate"] * u["n_eff"], u["n_eff"], method="wilson")
    assert (u["rate_lo"], u["rate_hi"]) == pytest.approx((lo, hi))


def test_bootstrap_mean_interval_close_to_t_on_large_samples():
    rng = np.random.default_rng(3)
    answers = list(rng.choice(["满意", "基本满意", "不满意"], 400, p=[0.6, 0.3, 0.1]))
    df = one_item({"U1": answers})
    t = analyse(df, {"min_n": 1}).by_unit.iloc[0]
    b = analyse(df, {"min_n": 1, "mean_interval": "bootstrap", "bootstrap_reps": 1000}
                ).by_unit.iloc[0]
    assert b["points_lo"] == pytest.approx(t["points_lo"], abs=1.0)
    assert b["points_hi"] == pytest.approx(t["points_hi"], abs=1.0)
    assert set(MEAN_INTERVALS) == {"t", "bootstrap"}


# -- the 8/8 against 95/100 case ----------------------------------------------------------
def test_eight_of_eight_is_not_a_confident_first_place():
    units = {"SMALL": counts(8, 0, 0), "BIG": counts(95, 0, 5)}
    units |= {f"U{k}": counts(80 + k, 0, 20 - k) for k in range(10)}
    res = analyse(one_item(units), {"min_n": 5, "score": "rate"})
    bu = res.by_unit.set_index("unit_id")
    small, big = bu.loc["SMALL"], bu.loc["BIG"]
    # reported with overlapping intervals
    assert small["rate"] == 1.0 and big["rate"] == pytest.approx(0.95)
    assert small["rate_lo"] < big["rate_hi"] and big["rate_lo"] < small["rate_hi"]
    assert small["rate_lo"] == pytest.approx(proportion_confint(8, 8, method="wilson")[0])
    # ranked first on the raw rate, but not confidently so
    rk = res.ranking.set_index("unit_id")
    assert rk.loc["SMALL", "rank"] == 1
    assert rk.loc["SMALL", "rank_lo"] == 1 and rk.loc["SMALL", "rank_hi"] >= 2
    assert rk.loc["BIG", "rank_lo"] == 1
    assert rk.loc["SMALL", "p_first"] < 0.95
    # with empirical-Bayes shrinkage the small unit is pulled below the big one
    shr = rank_table(res.by_unit, shrink=True).set_index("unit_id")
    assert shr.loc["SMALL", "shrunk"] < shr.loc["BIG", "shrunk"]
    assert shr.loc["BIG", "rank"] < shr.loc["SMALL", "rank"]
    # and the pairwise test does not call them different
    pw = pairwise(res.by_unit, units=["SMALL", "BIG"])
    assert not pw["significant"].any()


def test_ties_are_stated():
    res = analyse(one_item({"A": counts(9, 0, 1), "B": counts(9, 0, 1), "C": counts(5, 0, 5)}),
                  {"min_n": 1})
    rk = res.ranking.set_index("unit_id")
    assert rk.loc["A", "rank"] == rk.loc["B", "rank"] == 1
    assert rk.loc["A", "tied_with"] == "B" and rk.loc["B", "tied_with"] == "A"
    assert rk.loc["C", "rank"] == 3 and rk.loc["C", "tied_with"] == ""


def test_eb_recovers_the_prior():
    rng = np.random.default_rng(7)
    p = rng.beta(18, 2, 3000)
    n = rng.integers(20, 200, 3000).astype(float)
    x = rng.binomial(n.astype(int), p).astype(float)
    a, b = eb_beta_binomial(x, n)
    assert a / (a + b) == pytest.approx(0.9, abs=0.005)
    assert a + b == pytest.approx(20, rel=0.2)


def test_pairwise_matches_statsmodels_and_corrections():
    units = {f"U{k}": counts(60 + 3 * k, 0, 40 - 3 * k) for k in range(6)}
    res = analyse(one_item(units), {"min_n": 1})
    for corr, sm in (("holm", "holm"), ("bh", "fdr_bh")):
        pw = pairwise(res.by_unit, correction=corr)
        assert len(pw) == 15
        row = pw[(pw.unit_a == "U0") & (pw.unit_b == "U5")].iloc[0]
        _, p = proportions_ztest([60, 75], [100, 100])
        assert row["p_value"] == pytest.approx(p)
        assert pw["p_adjusted"].to_numpy() == pytest.approx(
            multipletests(pw["p_value"], method=sm)[1])
    pts = pairwise(res.by_unit, what="points")
    assert (pts["p_value"] <= 1).all()
    with pytest.raises(MethodError):
        pairwise(res.by_unit, correction="sidak-ish")


def test_funnel_limits():
    lim = funnel_limits(0.9, [10, 100, 1000, 10000])
    assert (lim["lo_99.8"] <= lim["lo_95"]).all() and (lim["lo_95"] <= 0.9).all()
    assert (lim["hi_95"] >= 0.9).all() and (lim["hi_99.8"] >= lim["hi_95"]).all()
    assert np.all(np.diff(lim["hi_95"] - lim["lo_95"]) < 0)  # the funnel narrows
    # large n: close to the normal approximation
    half = 1.959964 * np.sqrt(0.9 * 0.1 / 10000)
    assert lim["lo_95"].iloc[-1] == pytest.approx(0.9 - half, abs=2e-4)
    # exact coverage: P(X/n < lower limit) is at most 2.5% (interpolated quantile)
    n = 100
    assert stats.binom.cdf(np.floor(lim["lo_95"].iloc[1] * n) - 1, n, 0.9) <= 0.025


# -- ballot rules -------------------------------------------------------------------------
def ballots_df() -> pd.DataFrame:
    """Five ballots on one questionnaire with three items about two units."""
    rows = []

    def ballot(bid, resp, answers, t0=0.0, secs=60.0, group="public"):
        for k, (unit, item, a) in enumerate(answers):
            rows.append({"ballot_id": bid, "respondent_id": resp, "questionnaire": "q",
                         "group": group, "unit_id": unit, "item": item, "answer": a,
                         "started": t0, "timestamp": t0 + secs})
            del k

    items = [("U1", "a"), ("U1", "b"), ("U1", "c"), ("U2", "a"), ("U2", "b"), ("U2", "c")]
    ballot("B1", "r1", [(u, i, "满意") for u, i in items])                      # straight
    b2 = ["满意", "基本满意", "不满意", "满意", "满意", "不了解"]
    ballot("B2", "r2", [(u, i, a) for (u, i), a in zip(items, b2, strict=True)])
    ballot("B3", "r3", [(u, i, None) for u, i in items])                        # unmarked
    ballot("B4", "r2", [(u, i, "不满意") for u, i in items], t0=500)            # r2 again
    ballot("B5", "r5", [(u, i, a) for (u, i), a in zip(items, ["满意", "不满意"] * 3, strict=True)],
           secs=2.0)                                                            # too fast
    ballot("B6", "r6", [("U1", "a", "满意"), ("U1", "a", "不满意"), ("U1", "b", "满意")])
    ballot("B7", "r7", [("U1", "a", "基本满意"), ("U1", "b", None)])            # one blank
    return pd.DataFrame(rows)


def test_ballot_rules_and_audit():
    df = ballots_df()
    res = analyse(df, {"min_n": 1})
    audit = res.audit.set_index("ballot_id")
    assert audit.loc["B3", "reason"] == "unmarked"
    assert audit.loc["B4", "reason"] == "duplicate" and "B2" in audit.loc["B4", "detail"]
    assert audit.loc["B6", "reason"] == "repeated_item"
    assert set(audit.index) == {"B3", "B4", "B6"}  # optional rules are off by default
    assert audit.loc["B3", "reason_zh"] == "空白票，按弃权处理"
    flags = res.flags.set_index("ballot_id")
    assert flags.loc["B1", "flag_straight_lining"] and flags.loc["B5", "flag_too_fast"]
    assert flags.loc["B4", "flag_duplicate_respondent"]
    # optional rules on
    res2 = analyse(df, {"min_n": 1, "rules": {"identical_answers": True, "too_fast": True,
                                              "identical_min_items": 5,
                                              "min_seconds_per_item": 1.0}})
    reasons = res2.audit.set_index("ballot_id")["reason"]
    assert reasons["B1"] == "identical_answers" and reasons["B5"] == "too_fast"
    # duplicates off: B4 counts
    res3 = analyse(df, {"min_n": 1, "rules": {"duplicates": False}})
    assert "B4" not in set(res3.audit["ballot_id"])
    # the kept ballots are what the rates count (B3, B4, B6 out)
    u1b = res.by_item.set_index(["unit_id", "item"]).loc[("U1", "b")]
    assert (u1b["n"], u1b["n_blank"]) == (3, 1)  # B7 left U1 b blank: counted, not in n
    it = res.by_item.set_index(["unit_id", "item"]).loc[("U1", "a")]
    assert it["n"] == 4 and it["rate"] == 1.0  # B1, B2, B5, B7
    u2c = res.by_item.set_index(["unit_id", "item"]).loc[("U2", "c")]
    assert (u2c["n"], u2c["n_dont_know"]) == (2, 1)


def test_overreturned_box_is_void_and_boxes_are_summarised():
    df = ballots_df()
    issued = pd.DataFrame({"questionnaire": ["q"], "group": ["public"], "issued": [5]})
    res = analyse(df, {"min_n": 1}, issued=issued)
    assert set(res.audit["reason"]) == {"box_overreturned"}
    assert len(res.audit) == 7
    assert "returned 7 > issued 5" in res.audit["detail"].iloc[0]
    box = res.boxes.iloc[0]
    assert (box["issued"], box["returned"], box["valid"], bool(box["void"])) == (5, 7, 0, True)
    assert res.by_unit["rate"].isna().all()
    ok = analyse(df, {"min_n": 1}, issued=issued.assign(issued=8))
    b = ok.boxes.iloc[0]
    assert (b["returned"], b["valid"], b["unmarked"], b["excluded"]) == (7, 4, 1, 3)
    assert b["return_rate"] == pytest.approx(7 / 8)


# -- groups, suppression ------------------------------------------------------------------
def test_group_combination_with_effective_weights():
    pub = one_item({"U1": counts(8, 1, 1), "U2": counts(5, 0, 5)}, group="public")
    ent = one_item({"U1": counts(3, 0, 3)}, group="enterprises")
    ent["respondent_id"] = "e" + ent["respondent_id"]
    df = pd.concat([pub, ent], ignore_index=True)
    cfg = {"groups": {"public": 0.6, "enterprises": 0.4}, "min_n": 1}
    res = analyse(df, cfg)
    bg = res.by_group.set_index(["unit_id", "group"])
    assert bg.loc[("U1", "public"), "effective_weight"] == pytest.approx(0.6)
    assert bg.loc[("U2", "public"), "effective_weight"] == pytest.approx(1.0)
    assert bg.loc[("U2", "enterprises"), "status"] == "no_responses"
    assert bg.loc[("U2", "enterprises"), "effective_weight"] == 0
    bu = res.by_unit.set_index("unit_id")
    assert bu.loc["U1", "rate"] == pytest.approx(0.6 * 0.9 + 0.4 * 0.5)
    assert bu.loc["U1", "mean_points"] == pytest.approx(0.6 * 86 + 0.4 * 50)
    assert bu.loc["U1", "n_eff"] == pytest.approx(1 / (0.36 / 10 + 0.16 / 6))
    assert bu.loc["U2", "effective_weights"] == "public 1.000"
    assert bu.loc["U2", "groups_missing"] == "enterprises"
    assert bu.loc["U2", "rate"] == pytest.approx(0.5)


def test_suppression_below_min_n():
    df = one_item({"U1": counts(3, 0, 1), "U2": counts(20, 5, 5)})
    res = analyse(df, {"min_n": 5})
    bu = res.by_unit.set_index("unit_id")
    assert bool(bu.loc["U1", "suppressed"]) and np.isnan(bu.loc["U1", "rate"])
    assert bu.loc["U1", "n"] == 4  # counts kept
    assert np.isnan(res.score["U1"]) and not np.isnan(res.score["U2"])
    assert not bool(bu.loc["U2", "suppressed"])
    assert "U1" not in set(res.ranking["unit_id"])


def test_units_without_responses_get_nan_rows():
    df = one_item({"U1": counts(9, 0, 1)})
    res = analyse(df, {"min_n": 1}, units=["U1", "U2"])
    assert list(res.by_unit["unit_id"]) == ["U1", "U2"]
    assert np.isnan(res.score["U2"]) and res.by_unit.set_index("unit_id").loc["U2", "n"] == 0


# -- scales, codebook ---------------------------------------------------------------------
def test_points_are_configurable_and_other_scales():
    df = one_item({"U1": counts(1, 1, 0)})
    res = analyse(df, {"min_n": 1, "scales": {"three_level": {"points": {"基本满意": 80}}}})
    assert res.by_unit["mean_points"].iloc[0] == pytest.approx(90)
    lik = one_item({"U1": [5, 4.0, "3", "2", "不了解", 1]})
    r = analyse(lik, {"min_n": 1, "scale": "likert5"}).by_unit.iloc[0]
    assert r["rate"] == pytest.approx(2 / 5) and r["mean_points"] == pytest.approx(50)
    ten = one_item({"U1": ["10", "7", "1"]})
    r = analyse(ten, {"min_n": 1, "scale": "ten"}).by_unit.iloc[0]
    assert r["rate"] == pytest.approx(2 / 3)
    assert r["mean_points"] == pytest.approx((100 + acsi_rescale(7, 1, 10) + 0) / 3)
    custom = {"scales": {"yesno": {"answers": [
        {"code": "是", "points": 100, "satisfied": True, "aliases": ["yes"]},
        {"code": "否", "points": 0}]}}, "scale": "yesno", "min_n": 1}
    r = analyse(one_item({"U1": ["是", "yes", "否"]}), custom).by_unit.iloc[0]
    assert r["rate"] == pytest.approx(2 / 3)
    r = analyse(one_item({"U1": ["satisfied", "dissatisfied"]}), {"min_n": 1}).by_unit.iloc[0]
    assert r["rate"] == 0.5


def test_acsi_index_and_rescale():
    assert acsi_rescale(np.array([1, 5.5, 10]), 1, 10).tolist() == [0, 50, 100]
    by_item = pd.DataFrame({"unit_id": ["U1"] * 3, "item": ["a", "b", "c"],
                            "mean_points": [60.0, 80.0, np.nan], "n_eff": [10.0, 10, 10]})
    assert acsi_index(by_item)["U1"] == pytest.approx(70)
    assert acsi_index(by_item, weights={"a": 3, "b": 1})["U1"] == pytest.approx(65)


# -- reliability --------------------------------------------------------------------------
def test_cronbach_alpha_matches_pingouin():
    pg = pytest.importorskip("pingouin")
    rng = np.random.default_rng(11)
    latent = rng.normal(size=(150, 1))
    x = pd.DataFrame(np.round(latent + rng.normal(0, 0.9, (150, 5)) + 3),
                     columns=list("abcde"))
    a, ci = pg.cronbach_alpha(data=x)
    mine = cronbach_alpha(x)
    assert mine["alpha"] == pytest.approx(a)
    assert [round(mine["alpha_lo"], 3), round(mine["alpha_hi"], 3)] == pytest.approx(list(ci))
    # the published example of pingouin's documentation: 0.5917 [0.195, 0.84]
    d = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items",
                                                values="Scores")
    ref = cronbach_alpha(d)
    assert ref["alpha"] == pytest.approx(0.5917188485995826)
    assert (round(ref["alpha_lo"], 3), round(ref["alpha_hi"], 2)) == (0.195, 0.84)


def test_reliability_per_questionnaire_matches_pingouin():
    pg = pytest.importorskip("pingouin")
    rng = np.random.default_rng(5)
    rows = []
    for r in range(60):
        halo = rng.normal()
        for unit in ("U1", "U2"):
            for item in ("a", "b", "c", "d"):
                y = halo + rng.normal(0, 0.8)
                ans = "满意" if y > -0.2 else ("基本满意" if y > -1.2 else "不满意")
                if rng.random() < 0.03:
                    ans = "不了解"
                rows.append({"respondent_id": f"r{r}", "questionnaire": "q", "group": "public",
                             "unit_id": unit, "item": item, "answer": ans})
    df = pd.DataFrame(rows)
    rel = analyse(df, {"min_n": 1}).reliability.set_index("questionnaire").loc["q"]
    pts = df.assign(p=df["answer"].map({"满意": 100, "基本满意": 60, "不满意": 0}))
    wide = pts.pivot(index=["respondent_id", "unit_id"], columns="item", values="p").dropna()
    a, _ = pg.cronbach_alpha(data=wide)
    assert rel["alpha"] == pytest.approx(a)
    assert rel["n_cases"] == len(wide) and rel["k_items"] == 4


# -- the source in evaluate ---------------------------------------------------------------
def test_survey_source_registered_and_computes():
    from evalkit.sources import SOURCES

    src = SOURCES["survey"]
    units = pd.DataFrame({"category": ["a", "a", "b"]}, index=pd.Index(["U1", "U2", "U3"],
                                                                       name="unit_id"))
    df = one_item({"U1": counts(9, 1, 0), "U2": counts(5, 0, 5)})
    df["period"] = "2025"
    old = one_item({"U1": counts(1, 0, 9)}).assign(period="2024")
    tables = {"survey_responses": pd.concat([df, old], ignore_index=True)}
    out = src.compute({"min_n": 1}, tables, units, "2025")
    assert out.score["U1"] == pytest.approx(96) and out.score["U2"] == pytest.approx(50)
    assert np.isnan(out.score["U3"])
    assert {"by_unit", "by_group", "by_item", "audit", "boxes", "reliability",
            "ranking", "flags"} <= set(out.tables)
    assert set(out.tables["ranking"]["category"]) == {"a"}
    assert src.validate({"bogus": 1}, "sources.survey")[0].where == "sources.survey.bogus"


def test_demo_generator_registered_and_realistic():
    from evalkit.demo.city import DEMO_TABLES, make_quality, make_units
    from evalkit.demo.survey import survey_spec

    assert "survey" in DEMO_TABLES
    rng = np.random.default_rng(4)
    units = make_units(40, rng)
    q = make_quality(units, (2024, 2025), rng)
    tabs = DEMO_TABLES["survey"](units, [2024, 2025], q, np.random.default_rng(9))
    resp, issued = tabs["survey_responses.parquet"], tabs["survey_issued.csv"]
    assert resp["questionnaire"].nunique() == 7 and resp["group"].nunique() == 6
    assert (resp["answer"] == "不了解").any() and resp["answer"].isna().any()
    cfg = {k: v for k, v in survey_spec().items() if k != "weight"}
    res = analyse(resp, cfg, units=units, issued=issued, period=2024)
    assert {"box_overreturned", "unmarked", "duplicate"} <= set(res.audit["reason"])
    score = res.score.reindex(units.index)
    assert np.corrcoef(score, q[2024])[0, 1] > 0.7


def test_report_section_returns_table_and_figure():
    from matplotlib.figure import Figure

    pub = one_item({"U1": counts(8, 1, 1)}, group="public")
    res = analyse(pub, {"groups": {"public": 1, "leaders": 0}, "min_n": 1})
    tables = {f"survey_{k}": v.assign(period=2025) for k, v in res.tables().items()}
    for lang, word in (("zh", "满意率"), ("en", "Satisfaction rate")):
        table, fig = report_section(tables, "U1", lang)
        assert isinstance(fig, Figure) and any(word in c for c in table.columns)
        assert len(table) == 3  # public, leaders, combined
    sec = report_section(res, "U1", "zh")
    assert "<svg" in sec._repr_html_() and "群众代表" in sec._repr_html_()
    assert report_section(tables, "NOPE", "zh") is None
    with pytest.raises(EvalkitError):
        report_section(tables, "U1", "fr")


def test_rate_shrunk_score_within_category():
    units = pd.DataFrame({"category": ["a"] * 4 + ["b"]},
                         index=pd.Index(["S", "U1", "U2", "U3", "LONE"], name="unit_id"))
    df = one_item({"S": counts(8, 0, 0), "U1": counts(80, 0, 20), "U2": counts(85, 0, 15),
                   "U3": counts(90, 0, 10), "LONE": counts(7, 0, 3)})
    res = analyse(df, {"score": "rate_shrunk", "min_n": 1}, units=units)
    score = res.score
    assert score["LONE"] == pytest.approx(70)  # nothing to borrow from: the raw rate
    assert 85 < score["S"] < 100  # 8/8 pulled towards its category
    assert set(res.ranking["category"]) == {"a", "b"}
