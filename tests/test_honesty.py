"""Statistical honesty in the details (issue 16): degenerate survey intervals are replaced or
flagged, and data-dependent weights say what they do to a unit's total.

Oracles:
- the bounded-mean points interval at unanimity is 100 × the Wilson interval of the share,
  checked against statsmodels ``proportion_confint(method="wilson")`` and scipy
  ``binomtest(...).proportion_ci(method="wilson")``; a clipped t interval against scipy's
  ``stats.t.interval``;
- a property (hypothesis): no published interval of positive n has zero width, and every
  interval that is not the method's own is flagged ``degenerate``;
- the demo city (``evalkit.demo.make_demo``) reproduces the issue's example: under CRITIC,
  unit P011 raising M01 by 5 in 2025 (90.59 → 95.59) lowers its total (81.69 → 81.63); with
  the weights frozen at the values CRITIC gave on the original data the same change raises
  it — a property of data-driven weights, stated in the weight set's conventions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evalkit.core.labels import LABELS, t
from evalkit.demo import make_demo
from evalkit.evaluate import evaluate
from evalkit.inputs.tables import load_tables
from evalkit.sources.survey import RATE_INTERVALS, analyse
from evalkit.sources.survey.intervals import bounded_mean_interval
from evalkit.validate import load_spec
from evalkit.weights import DATA_DEPENDENT_NOTE


def one_item(unit_answers: dict[str, list[str]], weights: list[float] | None = None
             ) -> pd.DataFrame:
    """One questionnaire, one item, one group: each answer is one respondent."""
    rows = [{"respondent_id": f"r{u}-{k}", "questionnaire": "q", "group": "public",
             "unit_id": unit, "item": "overall", "answer": a}
            for u, (unit, answers) in enumerate(unit_answers.items())
            for k, a in enumerate(answers)]
    df = pd.DataFrame(rows)
    if weights is not None:
        df["weight"] = weights
    return df


def counts(sat: int, basic: int, dis: int) -> list[str]:
    return ["满意"] * sat + ["基本满意"] * basic + ["不满意"] * dis


def _scipy_wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return ci.low, ci.high


# -- survey: zero-width and clipped points intervals -----------------------------------------
UNANIMOUS = {"ALL": (counts(8, 0, 0), 8, 8), "NONE": (counts(0, 0, 10), 0, 10),
             "MID": (counts(0, 10, 0), 6, 10)}  # answers, Wilson count (mean/100 × n), n


@pytest.mark.parametrize("mean_interval", ["t", "bootstrap"])
def test_unanimous_cells_get_the_bounded_mean_wilson_interval(mean_interval: str) -> None:
    res = analyse(one_item({u: a for u, (a, _, _) in UNANIMOUS.items()}),
                  {"min_n": 1, "mean_interval": mean_interval, "bootstrap_reps": 199})
    for table in (res.by_unit, res.by_group, res.by_item):
        rows = table.set_index("unit_id")
        for unit, (_, k, n) in UNANIMOUS.items():
            r = rows.loc[unit]
            sm = proportion_confint(k, n, alpha=0.05, method="wilson")
            sp = _scipy_wilson(k, n)
            assert (r["points_lo"], r["points_hi"]) == pytest.approx(
                (100 * sm[0], 100 * sm[1]), abs=1e-9)
            assert (r["points_lo"], r["points_hi"]) == pytest.approx(
                (100 * sp[0], 100 * sp[1]), abs=1e-9)
            assert r["points_hi"] - r["points_lo"] > 10  # no 100.000–100.000 any more
            assert bool(r["degenerate"]), (unit, "the method's interval had zero width")
    # the two cells, as published
    u = res.by_unit.set_index("unit_id")
    assert (round(u.loc["ALL", "points_lo"], 2), u.loc["ALL", "points_hi"]) == (67.56, 100.0)
    assert u.loc["NONE", "points_lo"] == pytest.approx(0.0, abs=1e-12)
    assert round(u.loc["NONE", "points_hi"], 2) == 27.75


def test_bounded_mean_interval_uses_the_effective_n() -> None:
    w = [1, 1, 2, 2, 3, 0.5, 0.5, 1]
    u = analyse(one_item({"U": counts(8, 0, 0)}, weights=w), {"min_n": 1}).by_unit.iloc[0]
    w = np.array(w)
    n_eff = w.sum() ** 2 / (w**2).sum()
    lo, hi = proportion_confint(n_eff, n_eff, alpha=0.05, method="wilson")
    assert u["n_eff"] == pytest.approx(n_eff)
    assert (u["points_lo"], u["points_hi"]) == pytest.approx((100 * lo, 100 * hi))
    # on a 0/100 scale the bounded-mean interval is the rate's Wilson interval
    blo, bhi = bounded_mean_interval(np.array([u["rate"] * 100]), np.array([n_eff]))
    assert (blo[0], bhi[0]) == pytest.approx((100 * u["rate_lo"], 100 * u["rate_hi"]))


def test_clipped_t_interval_is_flagged_and_stated() -> None:
    # 6 满意 + 2 基本满意: mean 90, t interval [74.52, 105.48] (the n = 8 unit)
    res = analyse(one_item({"CLIP": counts(6, 2, 0), "OK": counts(30, 10, 8)}), {"min_n": 1})
    u = res.by_unit.set_index("unit_id")
    pts = np.array([100.0] * 6 + [60.0] * 2)
    lo, hi = stats.t.interval(0.95, len(pts) - 1, pts.mean(), stats.sem(pts))
    assert (round(lo, 2), round(hi, 2)) == (74.52, 105.48)
    assert (u.loc["CLIP", "points_lo"], u.loc["CLIP", "points_hi"]) == pytest.approx((lo, 100.0))
    assert bool(u.loc["CLIP", "degenerate"])
    # an ordinary cell keeps the method's interval and is not flagged
    assert not bool(u.loc["OK", "degenerate"])


def test_suppressed_and_intervalless_cells_are_never_degenerate() -> None:
    res = analyse(one_item({"TINY": counts(3, 0, 0), "ONE": counts(1, 0, 0)}), {"min_n": 5})
    assert not res.by_unit["degenerate"].any() and res.by_unit["suppressed"].all()
    one = analyse(one_item({"ONE": counts(1, 0, 0)}), {"min_n": 0}).by_unit.iloc[0]
    assert np.isnan(one["points_lo"]) and not bool(one["degenerate"])  # n_eff < 2: no interval


def test_degenerate_label_exists_in_both_languages() -> None:
    assert "survey_degenerate" in LABELS
    assert t("survey_degenerate", "zh") and "zero width" in t("survey_degenerate", "en")


UNIT_COUNTS = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12))
                       .filter(lambda c: sum(c) > 0), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(units=UNIT_COUNTS, mean_interval=st.sampled_from(["t", "bootstrap"]),
       rate_interval=st.sampled_from(sorted(RATE_INTERVALS)), min_n=st.sampled_from([0, 1, 3]))
def test_no_published_interval_of_positive_n_has_zero_width(
        units: list[tuple[int, int, int]], mean_interval: str, rate_interval: str,
        min_n: int) -> None:
    df = one_item({f"U{k}": counts(*c) for k, c in enumerate(units)})
    res = analyse(df, {"min_n": min_n, "mean_interval": mean_interval,
                       "rate_interval": rate_interval, "bootstrap_reps": 99})
    for table in (res.by_unit, res.by_group, res.by_item):
        pub = table[(table["n"] > 0) & ~table["suppressed"]]
        for lo, hi in (("rate_lo", "rate_hi"), ("points_lo", "points_hi")):
            shown = pub[np.isfinite(pub[lo]) & np.isfinite(pub[hi])]
            zero = (shown[hi] - shown[lo]) <= 1e-12
            assert not (zero & ~shown["degenerate"]).any(), "unflagged zero-width interval"
            assert not zero.any(), "a zero-width interval was published"
            assert ((shown[lo] >= 0) & (shown[hi] <= (1 if lo == "rate_lo" else 100))).all()
        # a unanimous cell (one kind of answer) with a points interval is always flagged
        kinds = pub["unit_id"].map({f"U{k}": sum(x > 0 for x in c) for k, c in enumerate(units)})
        unanimous = (kinds == 1) & np.isfinite(pub["points_lo"])
        assert pub.loc[unanimous, "degenerate"].all()


# -- weights: data-dependent schemes and monotonicity, on the demo city ---------------------
UNIT, INDICATOR, PERSPECTIVE, PERIOD, STEP = "P011", "M01", "management", "2025", 5.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("demo_city")
    make_demo(tmp, spec_path=tmp / "demo.yaml")
    spec = load_spec(tmp / "demo.yaml")
    tables = load_tables(spec)
    return {"dir": tmp, "spec": spec, "tables": tables, "res": evaluate(spec, tables)}


def _cell(values: pd.DataFrame) -> pd.Series:
    return (values["unit_id"] == UNIT) & (values["indicator_id"] == INDICATOR) & \
        (values["period"].astype(str) == PERIOD)


def _raised(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    values = tables["values"].copy()
    cell = _cell(values)
    assert cell.sum() == 1
    values.loc[cell, "value"] = values.loc[cell, "value"] + STEP
    return {**tables, "values": values}


def _total(res: Any) -> float:
    tot = res.totals
    row = tot[(tot["unit_id"] == UNIT) & (tot["period"].astype(str) == PERIOD)]
    return float(row["total"].iloc[0])


def _frozen_spec(demo: dict[str, Any]) -> Path:
    """The demo spec with the CRITIC perspective's weights frozen at the values CRITIC gave
    on the original data, per category (written as per-category indicator weights)."""
    res, folder = demo["res"], demo["dir"]
    doc = yaml.safe_load((folder / "demo.yaml").read_text(encoding="utf-8"))
    by_cat = {cat: prov["schemes"][PERSPECTIVE]["weights"]
              for cat, prov in res.provenance["weights"][PERIOD].items()}
    for p in doc["perspectives"]:
        if p["id"] == PERSPECTIVE:
            assert p.pop("weighting") == {"method": "critic"}
    for ind in doc["indicators"]:
        if ind["perspective"] == PERSPECTIVE:
            ind["weight"] = {cat: float(w.get(ind["id"], 0.0)) for cat, w in by_cat.items()}
    path = folder / "demo_frozen.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_critic_weights_can_lower_the_total_of_a_unit_that_improves(demo) -> None:
    spec, tables, res = demo["spec"], demo["tables"], demo["res"]
    values = tables["values"]
    assert float(values.loc[_cell(values), "value"].iloc[0]) == pytest.approx(90.59)
    before = _total(res)
    moved = evaluate(spec, _raised(tables))
    after = _total(moved)
    # M01 is a benefit indicator and P011's score on it rises, yet its total falls
    assert spec.indicators[[i.id for i in spec.indicators].index(INDICATOR)].direction == \
        "benefit"
    assert after < before
    assert (round(before, 2), round(after, 2)) == (81.69, 81.63)
    # because the CRITIC weights moved, as the weight set's provenance says they may
    cat = res.totals.set_index(["unit_id", "period"]).loc[(UNIT, PERIOD), "category"]
    w0 = res.provenance["weights"][PERIOD][cat]
    w1 = moved.provenance["weights"][PERIOD][cat]
    assert w0["data_dependent"] == [PERSPECTIVE]
    conv = w0["schemes"][PERSPECTIVE]["conventions"]
    assert conv["data_dependent"] is True and conv["data_dependent_note"] == DATA_DEPENDENT_NOTE
    assert w1["schemes"][PERSPECTIVE]["weights"] != pytest.approx(
        w0["schemes"][PERSPECTIVE]["weights"], abs=1e-6)


def test_with_frozen_weights_the_same_improvement_raises_the_total(demo) -> None:
    tables = demo["tables"]
    frozen = load_spec(_frozen_spec(demo))
    base = evaluate(frozen, tables)
    # frozen at the nominal CRITIC weights, the original data give the original total
    assert _total(base) == pytest.approx(_total(demo["res"]), abs=1e-9)
    moved = evaluate(frozen, _raised(tables))
    assert moved.provenance["weights"] == {}  # no scheme left: nothing depends on the data
    # fixed weights: the total is increasing in the unit's own score (M01's score rises)
    ind0, ind1 = base.tables["indicators"], moved.tables["indicators"]
    sel = (ind0["unit_id"] == UNIT) & (ind0["indicator_id"] == INDICATOR) & \
        (ind0["period"].astype(str) == PERIOD)
    assert float(ind1.loc[sel, "score"].iloc[0]) > float(ind0.loc[sel, "score"].iloc[0])
    assert _total(moved) > _total(base)


def test_data_dependent_note_in_both_languages() -> None:
    assert DATA_DEPENDENT_NOTE in LABELS
    zh, en = t(DATA_DEPENDENT_NOTE, "zh"), t(DATA_DEPENDENT_NOTE, "en")
    assert "客观赋权" in zh and "fall" in en


def test_weights_lab_notes_the_data_driven_schemes_only() -> None:
    from evalkit.labs.weights import scheme_notes

    schemes = {"critic": {"method": "critic"}, "entropy": {"method": "entropy"},
               "ahp": {"method": "ahp"}, "equal": {"method": "equal"}}
    notes = scheme_notes(schemes, "zh")
    assert sorted(notes) == ["critic", "entropy"]          # the fixed schemes get no note
    assert all(n == t(DATA_DEPENDENT_NOTE, "zh") for n in notes.values())
