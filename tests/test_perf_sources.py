"""The fast paths of the sources' input checks give what the plain pandas rules give.

Each fast path (a period's rows taken as a slice, membership looked up per distinct value,
ballots as integer codes) is checked against the rule it replaces, written out here, on small
frames with blanks, duplicates, odd ids and rows in any order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.core.errors import EvalkitError
from evalkit.sources.base import isin_text, split_periods
from evalkit.sources.peer.data import (
    BALLOT,
    _map_by_value,
    ballot_codes,
    check_peer_tables,
    distinct_per_ballot,
    duplicated_on_ballot,
    prepare_ratings,
)
from evalkit.sources.survey.codebook import parse_codebook
from evalkit.sources.survey.responses import check_survey_tables, encode
from evalkit.sources.tasks.read import check_tasks_tables, read_ledger

ODD = ["T1", " T1", "t1", "T1 ", "单位甲", "", "nan", "None", "0", "1.0", "Ｔ１", "T1\u200b"]
SEEDS = range(8)


def _text(rng: np.random.Generator, n: int, dtype: str = "str", blanks: bool = True
          ) -> pd.Series:
    """Text cells drawn from odd ids, with blanks."""
    vals: list[object] = list(rng.choice(ODD, n))
    if blanks:
        for i in rng.choice(n, n // 5, replace=False) if n else []:
            vals[i] = None
    return pd.Series(vals, dtype=dtype)


# -- a period's rows ---------------------------------------------------------------------------
def _plain_periods(df: pd.DataFrame, periods: list) -> list[pd.DataFrame]:
    if "period" not in df.columns:
        return [df for _ in periods]
    return [df[df["period"].astype(str) == str(p)] for p in periods]


@pytest.mark.parametrize("order", ["sorted", "shuffled", "reversed"])
@pytest.mark.parametrize("seed", SEEDS)
def test_split_periods_is_the_boolean_mask(seed: int, order: str) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 30))
    per = pd.Series(rng.choice(["2024", "2025", None, "2026"], n), dtype="str")
    df = pd.DataFrame({"period": per, "unit_id": _text(rng, n), "x": rng.normal(size=n)},
                      index=np.arange(n) * 3 + 7)
    df = {"sorted": df.sort_values("period", kind="stable"), "reversed": df.iloc[::-1],
          "shuffled": df.iloc[rng.permutation(n)]}[order]
    df.attrs = {"source": "t.csv"}
    periods = ["2024", "2025", "2027", 2026]
    for got, want in zip(split_periods(df, periods), _plain_periods(df, periods), strict=True):
        pd.testing.assert_frame_equal(got, want)
        assert got.attrs == want.attrs
        assert got.index.equals(want.index)


def test_split_periods_without_a_period_column_and_with_numbers() -> None:
    df = pd.DataFrame({"period": [2024, 2024, 2025, 2024], "v": [1, 2, 3, 4]})
    for got, want in zip(split_periods(df, ["2024", "2025"]),
                         _plain_periods(df, ["2024", "2025"]), strict=True):
        pd.testing.assert_frame_equal(got, want)
    flat = df.drop(columns="period")
    assert all(f is flat for f in split_periods(flat, ["2024", "2025"]))


# -- membership --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["str", "string", "object"])
@pytest.mark.parametrize("seed", SEEDS)
def test_isin_text_is_isin(seed: int, dtype: str) -> None:
    rng = np.random.default_rng(seed)
    s = _text(rng, int(rng.integers(0, 40)), dtype)
    for known in (list(rng.choice(ODD, 4)), set(ODD[:3]), {"T1": 1, "": 2}, [],
                  ["T1", 1, None], pd.Index(ODD[2:6])):
        np.testing.assert_array_equal(isin_text(s, known), s.isin(list(known)).to_numpy())
        uniq = pd.Index(s.dropna().unique())
        np.testing.assert_array_equal(isin_text(uniq, known), uniq.isin(list(known)))
    dup = pd.Index(["T1", "T1", "x"])
    np.testing.assert_array_equal(isin_text(dup, ["T1"]), dup.isin(["T1"]))


# -- peer ratings: grades, ballots -------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_map_by_value_is_map(seed: int) -> None:
    rng = np.random.default_rng(seed)
    text = pd.Series(rng.choice(["优秀", "良好", "不了解", "超好", ""], 25),
                     dtype="string").mask(rng.random(25) < 0.2)
    text.index = np.arange(25) * 2
    gmap = {"优秀": 95.0, "良好": 85.0, "": 1.0}
    pd.testing.assert_series_equal(_map_by_value(text, gmap), text.map(gmap))
    pd.testing.assert_series_equal(_map_by_value(text[:0], gmap), text[:0].map(gmap))


def _ballots(rng: np.random.Generator, n: int) -> pd.DataFrame:
    d = pd.DataFrame({"period": pd.Series(rng.choice(["2024", "", "2025"], n), dtype="string"),
                      "round": pd.array(rng.choice([1, 2], n), dtype="Int64"),
                      "rater_id": _text(rng, n, "string"),
                      "rater_unit": _text(rng, n, "string"),
                      "ratee_id": _text(rng, n, "string"),
                      "score": np.where(rng.random(n) < 0.15, np.nan,
                                        rng.choice([60.0, 85.0, 95.0], n))})
    d.loc[rng.random(n) < 0.1, "round"] = pd.NA
    d.loc[rng.random(n) < 0.1, "period"] = pd.NA
    return d.set_axis(rng.permutation(n) + 100)


@pytest.mark.parametrize("seed", SEEDS)
def test_ballot_codes_are_the_groups_of_the_ballot(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = _ballots(rng, int(rng.integers(1, 60)))
    want = d.groupby(BALLOT, sort=False, dropna=False).ngroup().to_numpy()
    np.testing.assert_array_equal(ballot_codes(d), want)


@pytest.mark.parametrize("seed", SEEDS)
def test_distinct_and_duplicated_per_ballot_are_the_pandas_rules(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = _ballots(rng, int(rng.integers(1, 60)))
    ballot = ballot_codes(d)
    for col in ("rater_unit", "score"):
        want = d[col].groupby([d[c] for c in BALLOT], dropna=False).transform("nunique")
        np.testing.assert_array_equal(distinct_per_ballot(ballot, d[col]), want.to_numpy())
        filled = d[col].fillna("\0") if col == "rater_unit" else d[col]
        want = filled.groupby([d[c] for c in BALLOT], dropna=False).transform("nunique")
        np.testing.assert_array_equal(distinct_per_ballot(ballot, filled), want.to_numpy())
    np.testing.assert_array_equal(duplicated_on_ballot(ballot, d["ratee_id"]),
                                  d.duplicated([*BALLOT, "ratee_id"], keep=False).to_numpy())
    edge = pd.DataFrame({"period": "", "round": 1, "rater_id": ["a", "b", "b", "c"],
                         "ratee_id": pd.Series(["x", None, "y", None], dtype="string")})
    np.testing.assert_array_equal(duplicated_on_ballot(ballot_codes(edge), edge["ratee_id"]),
                                  edge.duplicated([*BALLOT, "ratee_id"], keep=False).to_numpy())


def _plain_void(d: pd.DataFrame, min_items: int) -> pd.Series:
    """The same-score rule as pandas groupby, as it was written."""
    g = d.groupby(BALLOT, sort=False, dropna=False)["score"]
    void = pd.Series("", index=d.index, dtype="string")
    flat = (g.transform("nunique") == 1) & (g.transform("size") >= min_items)
    return void.mask(flat & (void == ""), "every ratee has the same score")


@pytest.mark.parametrize("seed", SEEDS)
def test_prepare_ratings_applies_the_plain_ballot_rules(seed: int) -> None:
    rng = np.random.default_rng(seed)
    units = ["U1", "U2", "U3", "U4", "U 5"]
    rows = []
    for r in range(int(rng.integers(2, 8))):
        unit = rng.choice([*units, None])
        ratees = rng.choice(units, int(rng.integers(1, 5)), replace=False)
        same = rng.random() < 0.4
        for u in ratees:
            rows.append({"period": rng.choice(["2025", None]), "rater_id": f"r{r % 3}",
                         "round": r // 3, "rater_unit": unit, "ratee_id": u,
                         "grade": "良好" if same else rng.choice(["优秀", "良好", "不了解"])})
    df = pd.DataFrame(rows).sample(frac=1, random_state=seed)
    grades = {"优秀": 95, "良好": 85}
    cfg = {"grades": grades, "validity": {"same_score": True, "min_items": 2}}
    try:
        got = prepare_ratings(df, cfg, pd.Index(units))
    except EvalkitError as err:     # a rater rating a unit twice: the same error both ways
        assert "more than once" in str(err)
        d = df.assign(ratee=df["ratee_id"])
        assert d.duplicated(["period", "round", "rater_id", "ratee"], keep=False).any()
        return
    kept = got.long
    void = got.audit[got.audit["rule"] == "invalid_ballot"]
    base = prepare_ratings(df, {"grades": grades}, pd.Index(units)).long
    plain = _plain_void(base, 2)
    assert len(void) == int((plain != "").sum())
    assert len(kept) == int((plain == "").sum())
    assert kept["score"].tolist() == base.loc[(plain == "").to_numpy(), "score"].tolist()


def test_peer_check_names_the_same_rows_in_any_order() -> None:
    df = pd.DataFrame({"period": ["2024", "2025", "2024", "2025", "2024", "2025"],
                       "rater_id": ["a", "a", "a", "b", "a", "b"],
                       "rater_unit": ["U1", "U1", "U2", "U2", "U1", "U2"],
                       "ratee_id": ["U2", "U3", "U3", "U9", "U4", "U1"],
                       "grade": ["优秀", "良好", "差", "良好", "优秀", "一般"]})
    units = pd.DataFrame(index=pd.Index(["U1", "U2", "U3", "U4"], name="unit_id"))
    cfg = {"grades": {"优秀": 95, "良好": 85, "一般": 75}}
    got = [str(e) for e in check_peer_tables(cfg, {"peer": df}, units, ["2024", "2025"])]
    assert any("'差' is not in the grade map" in g and "row 4" in g for g in got)
    assert any("several rater_unit" in g for g in got)
    assert any("unknown unit 'U9'" in g and "row 5" in g for g in got)


# -- survey responses and the task ledger, period by period --------------------------------------
SURVEY = {"groups": {"public": 0.7, "firms": 0.3},
          "questionnaires": {"q": {"scale": "three_level", "items": ["a", "b"]}}}


def _responses(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for b in range(12):
        for item in ("a", "b", "c" if b == 5 else "a"):
            rows.append({"period": rng.choice(["2024", "2025"]), "ballot_id": f"B{b % 7}",
                         "respondent_id": f"R{b}", "questionnaire": "q",
                         "group": rng.choice(["public", "firms", "martians"]),
                         "unit_id": rng.choice(["U1", "U2", "U9", None, " U1"]), "item": item,
                         "answer": rng.choice(["满意", "不满意", "很满意", None]),
                         "weight": rng.choice([1.0, -1.0, np.nan])})
    return pd.DataFrame(rows).astype({"period": "str"})


@pytest.mark.parametrize("seed", SEEDS)
def test_survey_check_is_encode_on_each_periods_mask(seed: int) -> None:
    rng = np.random.default_rng(seed)
    df = _responses(rng)
    units = pd.DataFrame(index=pd.Index(["U1", "U2"], name="unit_id"))
    cb, _ = parse_codebook(SURVEY)
    want: list[str] = []
    rows = df.assign(_row=np.arange(len(df)) + 2)
    for p in ["2024", "2025"]:
        try:
            encode(rows[rows["period"].astype(str) == p], cb, pd.Index(["U1", "U2"]), "resp")
        except EvalkitError as err:
            want += [str(e) for e in getattr(err, "problems", [err])]
    cfg = {**SURVEY, "responses": "resp"}
    got = [str(e) for e in check_survey_tables(cfg, {"resp": df}, units, ["2024", "2025"])]
    assert got == list(dict.fromkeys(want))
    for p in ["2024", "2025"]:          # units and groups not in the spec: the plain rule
        sub = df[df["period"] == p]
        for col, known, what in (("unit_id", ["U1", "U2"], "unit(s)"),
                                 ("group", ["public", "firms"], "group(s)")):
            bad = sub[col].dropna()
            bad = sorted(set(bad[~bad.isin(known)]))[:10]
            named = [g for g in got if f"{what} {bad} not in the spec" in g]
            assert bool(named) == bool(bad), (bad, got)


@pytest.mark.parametrize("seed", SEEDS)
def test_tasks_check_is_read_ledger_on_each_periods_mask(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 20
    led = pd.DataFrame({"period": rng.choice(["2024", "2025"], n),
                        "unit_id": rng.choice(["T1", "T2", "T9", " T1", None], n),
                        "task_id": rng.choice(["a", "b", "c", "d"], n),
                        "planned_month": rng.choice(["1", "2", "13", None], n),
                        "due_month": rng.choice(["2", "3", "x"], n),
                        "closed_month": rng.choice(["3", None], n)})
    units = pd.DataFrame(index=pd.Index(["T1", "T2"], name="unit_id"))
    known = pd.DataFrame({"unit_id": np.asarray(units.index, dtype=object)})
    want: list[str] = []
    for p in ["2024", "2025"]:
        try:
            read_ledger(led[led["period"].astype(str) == p], units=known, name="tasks_ledger")
        except EvalkitError as err:
            want += [str(e) for e in getattr(err, "problems", [err])]
    got = [str(e) for e in check_tasks_tables({}, {"tasks_ledger": led}, units,
                                              ["2024", "2025"])]
    assert got == list(dict.fromkeys(want))
    plain = ~led["unit_id"].str.strip().isin(["T1", "T2"])  # a blank is no unit either
    named = {g.split(", row ")[1].split(" ")[0] for g in got if "is not a unit of" in g}
    assert named == {str(i + 2) for i in np.flatnonzero(plain.to_numpy())}
