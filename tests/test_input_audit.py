"""Nothing silent: every declared policy that acts on the input is counted in ``input_audit``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import TOY_SPEC, TOY_UNITS, TOY_VALUES, write_toy

from evalkit.core.errors import EvalkitError
from evalkit.evaluate import evaluate
from evalkit.inputs.audit import AUDIT_COLUMNS
from evalkit.results import Results
from evalkit.run import run_spec
from evalkit.validate import check, validate


def _spec(edit: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    s = copy.deepcopy(TOY_SPEC)
    if edit is not None:
        edit(s)
    return s


def _audit(path: Path) -> pd.DataFrame:
    spec, tables = validate(path)
    return evaluate(spec, tables).tables["input_audit"]


def _rows(audit: pd.DataFrame, what: str, policy: str | None = None) -> pd.DataFrame:
    hit = audit["what"].str.contains(what, regex=False)
    if policy is not None:
        hit &= audit["policy"].str.contains(policy, regex=False)
    return audit[hit]


def test_audit_table_columns_and_relative_weights(toy: Path) -> None:
    audit = _audit(toy)
    assert list(audit.columns) == AUDIT_COLUMNS
    w = _rows(audit, "indicator weights renormalised")
    assert set(w["where"]) == {"perspectives[0] (duty), category township",
                               "perspectives[0] (duty), category dept"}
    assert (w["n"] == 2).all() and (w["period"] == "all").all()
    assert (w["policy"] == "relative weights (defaults.weights: auto)").all()


def test_capped_bonus_counted(toy: Path) -> None:
    row = _rows(_audit(toy), "bonus over the cap")
    assert row[["period", "n", "policy"]].values.tolist() == [["2025", 1,
                                                               "points.bonus_cap: 5"]]


@pytest.mark.parametrize(("policy", "what"), [
    ("category_mean", "missing value given the category's mean score"),
    ("zero", "missing value scored 0"),
    ("reweight", "missing value left out"),
])
def test_missing_value_policies_counted(tmp_path: Path, policy: str, what: str) -> None:
    vals = TOY_VALUES[~((TOY_VALUES["unit_id"] == "T3") & (TOY_VALUES["indicator_id"] == "a"))]
    spec = _spec(lambda s: s["defaults"].update(missing=policy))
    row = _rows(_audit(write_toy(tmp_path, spec, {"values.csv": vals})), what)
    assert row[["where", "n", "policy"]].values.tolist() == [
        ["indicator a", 1, f"defaults.missing: {policy}"]]


def test_an_indicator_without_any_value_in_a_category(tmp_path: Path) -> None:
    """Under category_mean there is no mean to give: an error; under reweight, declared."""
    vals = TOY_VALUES[~(TOY_VALUES["unit_id"].str.startswith("T")
                        & (TOY_VALUES["indicator_id"] == "a"))]
    spec = _spec(lambda s: s["defaults"].update(missing="category_mean"))
    with pytest.raises(EvalkitError, match=r"values.csv: period 2025: no value at all for "
                                           r"indicator\(s\) \['a \(township\)'\]"):
        validate(write_toy(tmp_path / "a", spec, {"values.csv": vals}))
    row = _rows(_audit(write_toy(tmp_path / "b", tables={"values.csv": vals})), "left out")
    assert row[["n", "policy"]].values.tolist() == [[3, "defaults.missing: reweight"]]


def test_imputed_cells_flagged_and_counted(tmp_path: Path) -> None:
    vals = TOY_VALUES[~((TOY_VALUES["unit_id"] == "T2") & (TOY_VALUES["indicator_id"] == "b"))]
    spec = _spec(lambda s: s.update(treatment={"impute": {"method": "knn",
                                                          "n_neighbors": 2}}))
    path = write_toy(tmp_path, spec, {"values.csv": vals})
    spec_, tables = validate(path)
    res = evaluate(spec_, tables)
    ind = res.indicators.set_index(["unit_id", "indicator_id"])
    assert bool(ind.loc[("T2", "b"), "imputed"]) and int(ind["imputed"].sum()) == 1
    row = _rows(res.tables["input_audit"], "imputed value")
    assert row[["where", "n", "policy"]].values.tolist() == [
        ["indicator b", 1, "treatment.impute: knn"]]


def test_unit_without_values_under_a_declared_policy(tmp_path: Path) -> None:
    vals = TOY_VALUES[TOY_VALUES["unit_id"] != "T2"]
    spec = _spec(lambda s: s["defaults"].update(missing_unit="apply_policy",
                                                missing="category_mean"))
    audit = _audit(write_toy(tmp_path, spec, {"values.csv": vals}))
    row = _rows(audit, "unit without any value in the period")
    assert row[["period", "n", "policy"]].values.tolist() == [
        ["2025", 1, "defaults.missing_unit: apply_policy"]]
    assert _rows(audit, "category's mean score")["n"].sum() == 3


def test_reading_policies_counted(tmp_path: Path) -> None:
    """Ids normalised, blank rows skipped, declared formats, rows of periods not evaluated."""
    vals = TOY_VALUES.astype({"value": object, "unit_id": object})
    vals.loc[0, "unit_id"] = " Ｔ１"
    vals.loc[1, "value"] = "5%"
    other = TOY_VALUES.assign(period=2023)
    spec = _spec(lambda s: s["data"]["values"].update(formats={"value": ["percent"]}))
    path = write_toy(tmp_path, spec, {"values.csv": pd.concat([vals, other])})
    text = (tmp_path / "values.csv").read_text(encoding="utf-8").splitlines()
    text.insert(4, ",,,")
    (tmp_path / "values.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    v = check(path)
    audit = v.audit
    assert _rows(audit, "ids normalised")["n"].tolist() == [1]
    assert _rows(audit, "blank rows skipped")["n"].tolist() == [1]
    assert _rows(audit, "declared number format")["n"].tolist() == [1]
    assert _rows(audit, "rows of a period not evaluated")[["where", "n"]].values.tolist() == [
        ["periods ['2023']", 18]]
    assert any("2023" in w and "not evaluated" in w for w in v.warnings)
    text = v.summary()
    assert "warning:" in text and "input audit" in text and "ids normalised" in text


def test_run_saves_the_audit(toy: Path, tmp_path: Path) -> None:
    run_spec(toy, tmp_path / "out")
    back = Results.load(tmp_path / "out")
    assert list(back.tables["input_audit"].columns) == AUDIT_COLUMNS
    assert len(back.tables["input_audit"]) >= 3


def test_source_rows_of_other_periods_warned(tmp_path: Path) -> None:
    leaders = pd.DataFrame({"period": [2025] * 6 + [2023],
                            "unit_id": [*TOY_UNITS["unit_id"], "T1"], "rater_id": "L1",
                            "score": [80.0] * 7})
    spec = _spec(lambda s: (s["data"].update(leaders={"file": "leaders.csv"}),
                            s["sources"].update(office={"weight": 0.9},
                                                leaders={"weight": 0.1})))
    v = check(write_toy(tmp_path, spec, {"leaders.csv": leaders}))
    row = _rows(v.audit, "rows of a period not evaluated")
    assert row[["table", "n"]].values.tolist() == [["leaders", 1]]
    assert any(w.startswith("leaders: 1 rows") for w in v.warnings)


def test_every_audit_phrase_has_its_chinese_and_no_other_is_accepted() -> None:
    from evalkit.core.labels import t
    from evalkit.inputs.checks import AUDIT_WHAT, audit_row

    for en, zh in AUDIT_WHAT.items():
        assert t(f"audit.{en}", "zh") == zh and t(f"audit.{en}", "en") == en
    assert audit_row("values", "imputed value", 2, "p")["n"] == 2
    with pytest.raises(ValueError, match="AUDIT_WHAT"):
        audit_row("values", "a phrase the workbook could not translate", 1, "p")
