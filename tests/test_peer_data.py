"""Peer-rating input checks, the ``peer`` source and its report section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.core.errors import EvalkitError, MethodError, SpecError, TableError
from evalkit.demo.peer import DEMO_SPEC, demo_ratings
from evalkit.sources.peer.config import validate_config
from evalkit.sources.peer.data import prepare_ratings, to_matrix
from evalkit.sources.peer.plots import report_section
from evalkit.sources.peer.source import peer_source, score_matrix

UNITS = pd.Index(["T1", "T2", "T3", "D1", "D2"], name="unit_id")
GR = {"优秀": 95, "良好": 85, "一般": 75, "较差": 60}


def _long(**over) -> pd.DataFrame:
    df = pd.DataFrame({"period": 2025, "round": 1,
                       "rater_id": ["a", "a", "a", "b", "b", "b"],
                       "rater_unit": ["T1", "T1", "T1", "T2", "T2", "T2"],
                       "rater_group": "township",
                       "ratee_id": ["T2", "D1", "D2", "T1", "D1", "D2"],
                       "score": [80, 90, 70, 85, 75, 65]})
    for k, v in over.items():
        df[k] = v
    return df


def test_grades_map_to_points_and_bu_liao_jie_is_missing_not_zero():
    df = _long().drop(columns="score").assign(
        grade=["优秀", "不了解", "较差", "良好", "一般", "不了解"])
    r = prepare_ratings(df, {"grades": GR}, UNITS)
    assert r.long["score"].tolist() == [95.0, 60.0, 85.0, 75.0]
    aud = r.audit[r.audit["rule"] == "unknown_label"]
    assert sorted(aud["ratee_id"]) == ["D1", "D2"]
    assert (aud["action"] == "excluded").all()


def test_self_rating_excluded_with_a_stated_rule():
    df = _long(ratee_id=["T1", "D1", "D2", "T1", "D1", "D2"])  # rater a (unit T1) rates T1
    r = prepare_ratings(df, {}, UNITS)
    assert len(r.long) == 5
    row = r.audit.iloc[0]
    assert (row["rule"], row["ratee_id"], row["reason"]) == (
        "self_rating", "T1", "a unit may not rate itself")


def test_self_rating_as_error_names_row_and_column():
    df = _long(ratee_id=["T1", "D1", "D2", "T1", "D1", "D2"])
    with pytest.raises(TableError, match=r"peer, row 2, column 'ratee_id'.*rates its own unit"):
        prepare_ratings(df, {"self_rating": "error"}, UNITS)


def test_unknown_ratee_is_named():
    df = _long(ratee_id=["T2", "D9", "D2", "T1", "D1", "D2"])
    with pytest.raises(TableError, match=r"row 3, column 'ratee_id': unknown unit 'D9'"):
        prepare_ratings(df, {}, UNITS)


def test_score_outside_the_scale_is_named():
    df = _long(score=[80, 90, 170, 85, 75, 65])
    with pytest.raises(TableError, match=r"row 4, column 'score': score 170 is outside the "
                                         r"scale \[0, 100\]"):
        prepare_ratings(df, {"scale": [0, 100]}, UNITS)


def test_unknown_grade_and_text_score_are_named_together():
    df = _long().drop(columns="score").assign(grade=["优", "良好", "一般", "良好", "一般", "较差"])
    with pytest.raises(TableError, match=r"grade '优' is not in the grade map"):
        prepare_ratings(df, {"grades": GR}, UNITS)
    df = _long(score=["80", "ninety", 70, 85, "x", 65])
    with pytest.raises(EvalkitError, match=r"2 problems in the peer ratings found") as e:
        prepare_ratings(df, {}, UNITS)
    assert "row 3, column 'score'" in str(e.value) and "row 6, column 'score'" in str(e.value)


def test_duplicate_rating_on_one_ballot_is_an_error():
    df = _long(ratee_id=["T2", "T2", "D2", "T1", "D1", "D2"])
    with pytest.raises(TableError, match=r"rates 'T2' more than once"):
        prepare_ratings(df, {}, UNITS)


def test_flat_ballot_and_forced_distribution_are_voided_with_reasons():
    df = pd.DataFrame({"rater_id": list("aaaabbbbcccc"), "rater_unit": ["T1"] * 4 + ["T2"] * 4
                       + ["T3"] * 4,
                       "ratee_id": ["T2", "T3", "D1", "D2", "T1", "T3", "D1", "D2",
                                    "T1", "T2", "D1", "D2"],
                       "grade": ["优秀"] * 4 + ["优秀", "优秀", "优秀", "良好"]
                       + ["优秀", "良好", "一般", "较差"]})
    cfg = {"grades": GR, "validity": {"same_score": True, "max_share": {"优秀": 0.5}}}
    r = prepare_ratings(df, cfg, UNITS)
    assert set(r.long["rater_id"]) == {"c"}
    reasons = r.audit.groupby("rater_id")["reason"].first()
    assert reasons["a"] == "every ratee has the same score"
    assert reasons["b"] == "more than 50% of the ballot is 优秀"
    assert (r.audit["rule"] == "invalid_ballot").sum() == 8


def test_validate_config_names_yaml_paths():
    probs = validate_config({"scheme": "avg", "scale": [100, 0], "self_rating": "maybe",
                             "colour": 1}, "sources.peer")
    where = {p.where for p in probs}
    assert where == {"sources.peer.scheme", "sources.peer.scale", "sources.peer.self_rating",
                     "sources.peer.colour"}
    probs = validate_config({"scheme": "trimmed_mean", "params": {"kk": 1}}, "sources.peer")
    assert probs[0].where == "sources.peer.params.kk" and "'k'" in probs[0].message
    assert all(isinstance(p, SpecError) for p in probs)
    probs = validate_config({"grades": GR, "validity": {"max_share": {"特优": 0.3,
                                                                      "优秀": 1.5}}},
                            "sources.peer")
    assert {p.where for p in probs} == {"sources.peer.validity.max_share.特优",
                                        "sources.peer.validity.max_share.优秀"}


def test_to_matrix_places_ballots_and_own_unit():
    r = prepare_ratings(_long(), {}, UNITS)
    M = to_matrix(r.long, UNITS)
    assert M.R.shape == (2, 5)
    assert M.design.rater_unit.tolist() == [0, 1]
    assert np.isnan(M.R[0, 0]) and M.R[0, 1] == 80


# ---------------------------------------------------------------------------- the source
@pytest.fixture(scope="module")
def demo():
    rng = np.random.default_rng(5)
    ids = [f"T{i:03d}" for i in range(1, 9)] + [f"G{i:03d}" for i in range(1, 11)]
    units = pd.DataFrame({"unit_name": ids, "unit_name_en": ids,
                          "category": ["township"] * 8 + ["gov_dept"] * 10},
                         index=pd.Index(ids, name="unit_id"))
    q = pd.Series(rng.standard_normal(len(ids)), index=units.index)
    q[["T001", "T002", "G001", "G002"]] = -1.0  # the planted bloc (weak units grading 优秀)
    return units, demo_ratings(units, [2025], q.to_frame(2025), rng)


def test_source_equals_an_independent_trimmed_mean(demo):
    units, ratings = demo
    cfg = {k: v for k, v in DEMO_SPEC["sources"]["peer"].items() if k != "weight"}
    out = peer_source(cfg, {"peer": ratings}, units, 2025)
    # oracle: scipy's trim_mean on the grade points, after dropping 不了解 and the flat ballot
    long = ratings[ratings["grade"] != "不了解"].assign(points=lambda d: d["grade"].map(GR))
    flat = long.groupby("rater_id")["points"].transform("nunique") == 1
    long = long[~flat]
    for uid, g in long.groupby("ratee_id"):
        c = len(g)
        k = 1 if c >= 5 else 0
        assert out.score[uid] == pytest.approx(stats.trim_mean(g["points"], k / c))
    assert out.score.between(0, 100).all()
    aud = out.tables["audit"]
    assert set(aud["rule"]) == {"unknown_label", "invalid_ballot"}
    assert len(set(aud.loc[aud["rule"] == "invalid_ballot", "rater_id"])) == 1


def test_source_flags_the_planted_colluding_pairs(demo):
    units, ratings = demo
    cfg = {k: v for k, v in DEMO_SPEC["sources"]["peer"].items() if k != "weight"}
    pairs = peer_source(cfg, {"peer": ratings}, units, 2025).tables["pairs"]
    bloc = {"T001", "T002", "G001", "G002"}
    in_bloc = pairs["unit_a"].isin(bloc) & pairs["unit_b"].isin(bloc)
    assert in_bloc.sum() == 4  # 2 townships × 2 departments rate each other
    assert pairs.loc[in_bloc, "mutual"].all()
    # honest pairs can be mutually high by chance; the bloc's pairs still lead the list
    assert pairs.index[in_bloc].max() <= 5
    assert pairs["mutual"].mean() < 0.1


def test_min_raters_leaves_a_thinly_rated_unit_without_score(demo):
    units, ratings = demo
    thin = ratings[~((ratings["ratee_id"] == "G005") & (ratings["rater_unit"] > "T002"))]
    out = peer_source({"grades": GR, "min_raters": 3}, {"peer": thin}, units, 2025)
    assert np.isnan(out.score["G005"]) and out.score.drop("G005").notna().all()
    assert out.tables["units"].set_index("unit_id").at["G005", "n_raters"] < 3


def test_complete_design_scheme_refuses_ratings_with_bu_liao_jie(demo):
    units, ratings = demo
    with pytest.raises(MethodError, match=r"sources.peer.scheme: scheme 'peerrank' needs a "
                                          r"complete design"):
        peer_source({"grades": GR, "scheme": "peerrank"}, {"peer": ratings}, units, 2025)


def test_every_scheme_gives_scores_on_0_100_for_a_complete_bipartite_design(demo):
    from evalkit.sources.peer.schemes import SCHEMES

    units, ratings = demo
    full = ratings.assign(grade=ratings["grade"].replace("不了解", "一般"))
    r = prepare_ratings(full, {"grades": GR}, units.index)
    cat = units["category"]
    M = to_matrix(r.long, units.index, cat)
    for key in SCHEMES:
        if key == "peerrank":  # bipartite: own side unrated, so not complete by design
            continue
        score, _ = score_matrix(M, {"grades": GR, "scheme": key})
        assert np.nanmin(score) >= 0 and np.nanmax(score) <= 100, key
        assert np.isfinite(score).all(), key


def test_report_section_table_and_chart(demo):
    units, ratings = demo
    out = peer_source({"grades": GR}, {"peer": ratings}, units, 2025)
    tables = {f"peer_{k}": v.assign(period=2025) for k, v in out.tables.items()}
    sec = report_section(tables, "T003", "en")
    assert sec is not None
    df, _ = sec
    assert df.iloc[0]["Peer score"] == pytest.approx(round(out.score["T003"], 2))
    assert set(df["Raters' group"]) == {"All", "Departments"}
    html = sec._repr_html_()
    assert "<svg" in html and "Ratings received" in html
    zh = report_section(tables, "T003", "zh")
    assert "互评得分" in zh.table.columns
    assert report_section(tables, "NOPE", "en") is None


def test_connected_scheme_fits_each_part_when_categories_do_not_span_parts(demo):
    # townships rate departments and departments rate townships: two disconnected parts
    # of the rater–ratee graph; the stated fallback fits each part alone
    from evalkit.sources.peer.schemes import additive

    units, ratings = demo
    r = prepare_ratings(ratings, {"grades": GR}, units.index)
    M = to_matrix(r.long, units.index, units["category"])
    _, raw = score_matrix(M, {"grades": GR, "scheme": "additive"})
    town = (units["category"] == "township").to_numpy()
    for side in (town, ~town):
        rows = np.isin(M.design.rater_unit, np.flatnonzero(~side))
        np.testing.assert_allclose(raw[side], additive(M.R[np.ix_(rows, side)]), atol=1e-9)
    # one category spread over both parts: refused, naming the YAML path
    mixed = units.assign(category=["a", "b"] * 9)
    M2 = to_matrix(r.long, units.index, mixed["category"])
    with pytest.raises(MethodError, match=r"sources.peer.scheme: .*2 disconnected parts"):
        score_matrix(M2, {"grades": GR, "scheme": "additive"})


def test_compare_schemes_scores_every_scheme_and_states_why_one_is_skipped(demo):
    from evalkit.sources.peer import compare_schemes, rank_agreement

    units, ratings = demo
    cmp = compare_schemes(ratings, units, {"grades": GR}, period=2025)
    notes = cmp.groupby("scheme")["note"].first()
    assert "needs a complete design" in notes["peerrank"]
    assert (notes.drop("peerrank") == "").all()
    mean = cmp[cmp["scheme"] == "mean"].set_index("unit_id")
    direct = peer_source({"grades": GR}, {"peer": ratings}, units, 2025).score
    np.testing.assert_allclose(mean["score"], direct.reindex(mean.index))
    # ranks are within category: each category has a rank 1
    assert (mean.groupby("category")["rank"].min() == 1).all()
    agree = rank_agreement(cmp)
    assert agree.loc["mean", "mean"] == pytest.approx(1.0)


def test_peer_source_and_demo_hook_are_registered():
    from evalkit.demo.city import DEMO_SPECS, DEMO_TABLES
    from evalkit.sources import SOURCES

    assert "peer" in SOURCES
    assert "peer" in DEMO_TABLES and DEMO_SPECS["peer"] == DEMO_SPEC
