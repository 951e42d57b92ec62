"""Reliability and diagnostics against published worked examples and library oracles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
from statsmodels.formula.api import ols

from evalkit.core.errors import MethodError
from evalkit.sources.peer.reliability import icc_oneway, kripp_alpha, rater_diagnostics, reciprocity

# Shrout & Fleiss (1979), Psychological Bulletin 86(2), Table 2: 6 targets × 4 judges.
SF_TARGETS_BY_JUDGES = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6],
                                 [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)


def test_icc_matches_shrout_fleiss_table_2():
    # Table 4 of the paper: ICC(1,1) = .17, ICC(1,4) = .44
    res = icc_oneway(SF_TARGETS_BY_JUDGES.T)  # raters × ratees
    assert round(res["icc1"], 2) == 0.17
    assert round(res["icc1k"], 2) == 0.44
    assert res["k0"] == pytest.approx(4.0)


def test_icc_balanced_matches_pingouin():
    rng = np.random.default_rng(11)
    R = rng.normal(size=(5, 1)) * 0 + rng.normal(size=(1, 12)) + rng.normal(size=(5, 12))
    long = pd.DataFrame(R).melt(ignore_index=False, var_name="target").reset_index()
    ic = pg.intraclass_corr(long, targets="target", raters="index", ratings="value")
    ic = ic.set_index("Type")["ICC"]
    res = icc_oneway(R)
    assert res["icc1"] == pytest.approx(ic["ICC(1,1)"])
    assert res["icc1k"] == pytest.approx(ic["ICC(1,k)"])


def test_icc_unbalanced_mean_squares_match_statsmodels_anova():
    rng = np.random.default_rng(12)
    R = rng.normal(size=(1, 9)) + rng.normal(size=(7, 9))
    R[rng.random(R.shape) < 0.35] = np.nan
    long = pd.DataFrame(R).melt(var_name="target").dropna()
    table = sm.stats.anova_lm(ols("value ~ C(target)", data=long).fit())
    res = icc_oneway(R)
    assert res["msb"] == pytest.approx(table.loc["C(target)", "mean_sq"])
    assert res["msw"] == pytest.approx(table.loc["Residual", "mean_sq"])
    kj = long.groupby("target").size().to_numpy()
    big_n = kj.sum()
    # Snedecor & Cochran's k0 is below the mean group size when sizes differ
    assert res["k0"] == pytest.approx((big_n - (kj**2).sum() / big_n) / (len(kj) - 1))
    assert res["k0"] < kj.mean()


def test_icc_refuses_a_design_without_repeats():
    with pytest.raises(MethodError, match="ICC needs"):
        icc_oneway(np.array([[1.0, 2.0, 3.0]]))


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
# 12 units, missing values; α_interval = 0.849, α_ordinal = 0.815.
K = np.nan
KRIPP = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, K, K, K],
                  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, K, 3],
                  [K, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, K],
                  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, K]], dtype=float)


def test_krippendorff_alpha_matches_krippendorffs_example():
    assert round(kripp_alpha(KRIPP, "interval"), 3) == 0.849
    assert round(kripp_alpha(KRIPP, "ordinal"), 3) == 0.815


def test_krippendorff_rejects_unknown_level():
    with pytest.raises(MethodError, match="expected interval, ordinal"):
        kripp_alpha(KRIPP, "cardinal")


def test_leniency_recovers_planted_rater_offsets():
    # noiseless complete design: leniency against the leave-one-out consensus equals
    # b_r · m/(m−1) when Σ b = 0 (the others' mean bias is −b_r/(m−1))
    rng = np.random.default_rng(13)
    m, n = 6, 10
    b = rng.normal(0, 5, m)
    b -= b.mean()
    R = rng.normal(70, 8, n)[None, :] + b[:, None]
    d = rater_diagnostics(R)
    np.testing.assert_allclose(d["leniency"], b * m / (m - 1))
    assert np.allclose(d["consistency"], 1.0)


def test_constant_ballot_is_flagged_and_has_no_consistency():
    R = np.array([[1.0, 2, 3, 4], [2.0, 3, 4, 5], [3.0, 3, 3, 3]])
    d = rater_diagnostics(R, ["a", "b", "c"])
    assert d["constant"].tolist() == [False, False, True]
    assert np.isnan(d.loc[2, "consistency"])


def test_reciprocity_detects_a_colluding_pair_and_is_near_zero_when_honest():
    rng = np.random.default_rng(14)
    n = 30
    honest = rng.normal(70, 5, (1, n)) + rng.normal(0, 5, (n, n))
    np.fill_diagonal(honest, np.nan)
    r0, _ = reciprocity(honest)
    assert abs(r0) < 0.15
    rigged = honest.copy()
    bloc = [3, 7, 11, 19]
    for i in bloc:
        for j in bloc:
            if i != j:
                rigged[i, j] = 100.0
    r1, pairs = reciprocity(rigged, [f"U{i:02d}" for i in range(n)])
    assert r1 > r0 + 0.1
    top = pairs.head(6)
    assert top["mutual"].all()
    assert set(top["unit_a"]) | set(top["unit_b"]) == {f"U{i:02d}" for i in bloc}


def test_reciprocity_needs_units_rating_each_other():
    with pytest.raises(MethodError, match="square matrix"):
        reciprocity(np.ones((3, 4)))
