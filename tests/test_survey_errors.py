"""Bad survey input: each problem is an EvalkitError that names where it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.core.errors import EvalkitError, ProblemList
from evalkit.sources.survey import analyse, validate_config

SPEC = {"groups": {"public": 0.7, "enterprises": 0.3},
        "questionnaires": {"q": {"scale": "three_level", "items": ["a", "b"]}},
        "min_n": 1}


def good() -> pd.DataFrame:
    rows = []
    for r, group in enumerate(["public"] * 4 + ["enterprises"] * 3):
        for unit in ("U1", "U2"):
            for item in ("a", "b"):
                rows.append({"ballot_id": f"B{r}", "respondent_id": f"R{r}",
                             "questionnaire": "q", "group": group, "unit_id": unit,
                             "item": item, "answer": ["满意", "基本满意", "不满意"][r % 3],
                             "weight": 1.0})
    return pd.DataFrame(rows)


def raises(df: pd.DataFrame, *fragments: str, spec: dict | None = None, **kw) -> EvalkitError:
    with pytest.raises(EvalkitError) as e:
        analyse(df, spec if spec is not None else SPEC, **kw)
    for f in fragments:
        assert f in str(e.value), str(e.value)
    return e.value


def test_good_input_passes():
    res = analyse(good(), SPEC, units=["U1", "U2"])
    assert res.by_unit["rate"].notna().all()


def test_unknown_answer_code_names_rows_and_column():
    df = good()
    df.loc[5, "answer"] = "很满意"
    raises(df, "'很满意'", "row 7", "column 'answer'", "three_level")


def test_unit_not_in_units_table():
    df = good()
    df.loc[[0, 1], "unit_id"] = "U9"
    raises(df, "U9", "rows 2, 3", "column 'unit_id'", units=["U1", "U2"])


def test_group_not_in_spec():
    df = good()
    df.loc[df["ballot_id"] == "B0", "group"] = "tourists"
    raises(df, "tourists", "column 'group'", "sources.survey.groups")


def test_questionnaire_not_in_spec():
    df = good()
    df.loc[df["ballot_id"] == "B1", "questionnaire"] = "q9"
    raises(df, "q9", "column 'questionnaire'")


def test_item_not_declared_for_questionnaire():
    df = good()
    df.loc[3, "item"] = "zz"
    raises(df, "'zz'", "row 5", "column 'item'", "sources.survey.questionnaires.q.items")


def test_weight_on_group_without_respondents():
    df = good()
    df = df[df["group"] == "public"]
    raises(df, "sources.survey.groups.enterprises.weight", "no respondent")


def test_negative_survey_weight():
    df = good()
    df.loc[df["ballot_id"] == "B2", "weight"] = -1.0
    raises(df, "negative survey weight", "column 'weight'")


def test_missing_survey_weight():
    df = good()
    df["weight"] = df["weight"].astype(object)
    df.loc[df["ballot_id"] == "B2", "weight"] = np.nan
    raises(df, "missing or non-numeric survey weight", "column 'weight'", "rows 10, 11")


def test_weight_changes_within_ballot():
    df = good()
    df.loc[0, "weight"] = 2.0
    raises(df, "change weight", "B0")


def test_group_changes_within_ballot():
    df = good()
    df.loc[1, "group"] = "enterprises"
    raises(df, "change group", "column 'group'")


def test_missing_columns():
    raises(good().drop(columns=["answer"]), "missing column", "answer", "survey_responses")
    raises(good().drop(columns=["ballot_id", "respondent_id"]), "ballot_id (or respondent_id)")


def test_empty_ids():
    df = good()
    df.loc[4, "unit_id"] = None
    raises(df, "empty cell", "row 6", "column 'unit_id'")


def test_several_problems_reported_at_once():
    df = good()
    df.loc[0, "answer"] = "??"
    df.loc[1, "weight"] = -3.0
    e = raises(df, "??", "negative")
    assert isinstance(e, ProblemList) and len(e.problems) >= 2


def test_issued_table_problems():
    df = good()
    raises(df, "issued must be a whole number", "column 'issued'",
           issued=pd.DataFrame({"questionnaire": ["q", "q"], "group": ["public", "enterprises"],
                                "issued": [-1, 5]}))
    raises(df, "issued table does not list", issued=pd.DataFrame(
        {"questionnaire": ["q"], "group": ["public"], "issued": [10]}))
    raises(df, "expected a column 'issued'", issued=pd.DataFrame({"box": ["x"], "n": [3]}))
    raises(df, "the same box", issued=pd.DataFrame(
        {"questionnaire": ["q", "q", "q"], "group": ["public", "public", "enterprises"],
         "issued": [5, 5, 5]}))


@pytest.mark.parametrize(("section", "path"), [
    ({"bogus": 1}, "sources.survey.bogus"),
    ({"score": "median"}, "sources.survey.score"),
    ({"scale": "seven"}, "sources.survey.scale"),
    ({"rate_interval": "wald"}, "sources.survey.rate_interval"),
    ({"rate_interval": "agresti"}, "sources.survey.rate_interval"),
    ({"mean_interval": "z"}, "sources.survey.mean_interval"),
    ({"level": 1.5}, "sources.survey.level"),
    ({"min_n": -2}, "sources.survey.min_n"),
    ({"rules": {"dupes": True}}, "sources.survey.rules.dupes"),
    ({"rules": {"too_fast": "yes"}}, "sources.survey.rules.too_fast"),
    ({"groups": {"public": -1}}, "sources.survey.groups.public.weight"),
    ({"groups": {"public": 0}}, "sources.survey.groups"),
    ({"scales": {"three_level": {"points": {"满意": 120}}}},
     "sources.survey.scales.three_level.points.满意"),
    ({"scales": {"three_level": {"points": {"很好": 90}}}},
     "sources.survey.scales.three_level.points.很好"),
    ({"scales": {"mine": {"answers": [{"code": "x"}]}}},
     "sources.survey.scales.mine.answers[0].points"),
    ({"scales": {"mine": {}}}, "sources.survey.scales.mine"),
    ({"questionnaires": {"q": {"scale": "nope"}}}, "sources.survey.questionnaires.q.scale"),
    ({"ranking": {"correction": "sidak"}}, "sources.survey.ranking.correction"),
    ({"rules": {"min_seconds_per_item": float("inf")}},
     "sources.survey.rules.min_seconds_per_item"),
    ({"rules": {"identical_min_items": float("nan")}},
     "sources.survey.rules.identical_min_items"),
])
def test_spec_problems_name_their_yaml_path(section, path):
    problems = validate_config(section, "sources.survey")
    assert problems, section
    assert any(p.where == path for p in problems), [str(p) for p in problems]
    with pytest.raises(EvalkitError):
        analyse(good(), section)
