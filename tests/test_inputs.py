"""The one vocabulary of input cells and the validation layer over every table (issue 11).

Each bad input ends in an EvalkitError naming the file (or YAML path), the row as Excel shows
it and the column; each input that means the same as a clean one gives the same totals.
"""

from __future__ import annotations

import copy
import doctest
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import TOY_POINTS, TOY_SPEC, TOY_UNITS, TOY_VALUES, write_toy

from evalkit.core.errors import EvalkitError
from evalkit.evaluate import evaluate
from evalkit.inputs.tables import load_tables
from evalkit.inputs.vocabulary import (
    MAX_MAGNITUDE,
    parse_booleans,
    parse_ids,
    parse_numbers,
    parse_periods,
)
from evalkit.validate import check, load_spec, validate

LEADERS = pd.DataFrame({"period": 2025, "unit_id": list(TOY_UNITS["unit_id"]) * 2,
                        "rater_id": ["L1"] * 6 + ["L2"] * 6,
                        "score": [80, 70, 90, 60, 85, 75, 82, 72, 88, 64, 80, 70]})


def _spec(edit: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    s = copy.deepcopy(TOY_SPEC)
    if edit is not None:
        edit(s)
    return s


def _with_leaders(s: dict[str, Any]) -> None:
    s["data"]["leaders"] = {"file": "leaders.csv"}
    s["sources"] = {"office": {"weight": 0.8}, "leaders": {"weight": 0.2}}


def _totals(path: Path) -> pd.Series:
    spec, tables = validate(path)
    return evaluate(spec, tables).totals.set_index("unit_id")["total"]


def _error(path: Path) -> str:
    with pytest.raises(EvalkitError) as exc:
        validate(path)
    return str(exc.value)


@pytest.mark.parametrize("module", ["evalkit.inputs.vocabulary", "evalkit.inputs.read",
                                    "evalkit.inputs.audit", "evalkit.inputs.values",
                                    "evalkit.inputs.checks", "evalkit.spec.weights"])
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


# ------------------------------------------------------------------------ the vocabulary
def test_ids_strip_nfkc_and_keep_zero_padding() -> None:
    p = parse_ids(pd.Series([" T001 ", "Ｔ００２", "001", 12, 12.0, None, "\u3000T3"]))
    assert p.values.tolist() == ["T001", "T002", "001", "12", "12", pd.NA, "T3"]
    assert not p.bad.any()
    assert parse_ids(pd.Series([1.5, True, "a\x1bb"])).bad.tolist() == [True, True, True]


def test_periods_one_rule() -> None:
    p = parse_periods(pd.Series([2025, 2025.0, "2025", "2025.0", "2025年", "2025年度",
                                 "２０２５"]))
    assert set(p.values) == {"2025"} and not p.bad.any()
    bad = parse_periods(pd.Series(["25", "2025-26", "FY2025", 2025.5, "二〇二五"]))
    assert bad.bad.all()
    assert "expected a year" in bad.why[0]


def test_numbers_finite_plausible_and_declared_formats() -> None:
    p = parse_numbers(pd.Series(["1.5", " 2 ", "", None, "-3e2"]))
    assert p.values.tolist()[:2] == [1.5, 2.0] and not p.bad.any()
    bad = parse_numbers(pd.Series(["inf", "nan", "95%", "1,234", "１２", "缺报", "#DIV/0!",
                                   str(MAX_MAGNITUDE * 10), "true"]))
    assert bad.bad.all()
    assert "percent sign" in bad.why[2] and "'percent'" in bad.why[2]
    assert "thousands" in bad.why[3] and "full-width" in bad.why[4]
    ok = parse_numbers(pd.Series(["95%", "1,234.5", "１２"]), ["percent", "thousands",
                                                              "fullwidth"])
    assert ok.values.tolist() == [95.0, 1234.5, 12.0]
    num = parse_numbers(pd.Series([1.0, np.inf, -1e300]))
    assert num.bad.tolist() == [False, True, True]


def test_booleans_nothing_else() -> None:
    p = parse_booleans(pd.Series(["是", "否", "有", "无", "TRUE", "false", 1, 0, "1", None]))
    assert p.values.tolist() == [True, False, True, False, True, False, True, False, True,
                                 pd.NA]
    assert parse_booleans(pd.Series(["maybe", "2", "√x"])).bad.all()


# ------------------------------------------------------------------- tables: same meaning
SAME_MEANING: list[tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]] = [
    ("period 2025.0", lambda d: d.assign(period=["2025.0"] * len(d))),
    ("period 2025年度", lambda d: d.assign(period=["2025年度"] * len(d))),
    ("unit ids padded", lambda d: d.assign(unit_id=" " + d["unit_id"] + " ")),
    ("unit ids full-width", lambda d: d.assign(unit_id=d["unit_id"].map(
        lambda u: "".join(chr(ord(c) + 0xFEE0) for c in u)))),
]


@pytest.mark.parametrize(("name", "edit"), SAME_MEANING, ids=[c[0] for c in SAME_MEANING])
def test_same_meaning_same_totals_in_every_table(tmp_path: Path, name: str,
                                                 edit: Callable[..., pd.DataFrame]) -> None:
    clean = _totals(write_toy(tmp_path / "a", _spec(_with_leaders), {"leaders.csv": LEADERS}))
    tables = {"values.csv": edit(TOY_VALUES.astype({"period": object})),
              "points.csv": edit(TOY_POINTS.astype({"period": object})),
              "leaders.csv": edit(LEADERS.astype({"period": object}))}
    other = _totals(write_toy(tmp_path / "b", _spec(_with_leaders), tables))
    pd.testing.assert_series_equal(clean, other.reindex(clean.index))


def test_categories_and_point_kinds_by_their_chinese_names(tmp_path: Path) -> None:
    clean = _totals(write_toy(tmp_path / "a"))
    units = TOY_UNITS.assign(category=["乡镇"] * 3 + ["部门"] * 3)
    pts = TOY_POINTS.assign(kind=["加分", "加分", "黄牌警告", "一票否决"])
    other = _totals(write_toy(tmp_path / "b", tables={"units.csv": units, "points.csv": pts}))
    pd.testing.assert_series_equal(clean, other)


def test_coded_values_mapped_and_reversed_mapping_named(tmp_path: Path) -> None:
    pts = TOY_POINTS.assign(kind=["奖", "奖", "黄牌警告", "一票否决"])
    assert "unknown kind" in _error(write_toy(tmp_path / "a", tables={"points.csv": pts}))
    spec = _spec(lambda s: s["data"]["points"].update(values={"kind": {"奖": "bonus"}}))
    clean = _totals(write_toy(tmp_path / "b"))
    pd.testing.assert_series_equal(clean, _totals(write_toy(tmp_path / "c", spec,
                                                            {"points.csv": pts})))
    zh = TOY_UNITS.rename(columns={"unit_id": "单位代码"})
    flipped = _spec(lambda s: s["data"]["units"].update(columns={"单位代码": "unit_id"}))
    msg = _error(write_toy(tmp_path / "d", flipped, {"units.csv": zh}))
    assert "units.csv" in msg and "write it as unit_id: 单位代码" in msg


def test_zero_padded_ids_stay_text(tmp_path: Path) -> None:
    units = TOY_UNITS.assign(unit_id=["001", "002", "003", "010", "011", "012"])
    ids = dict(zip(TOY_UNITS["unit_id"], units["unit_id"], strict=True))
    vals = TOY_VALUES.assign(unit_id=TOY_VALUES["unit_id"].map(ids))
    pts = TOY_POINTS.assign(unit_id=TOY_POINTS["unit_id"].map(ids))
    path = write_toy(tmp_path, tables={"units.csv": units, "values.csv": vals,
                                       "points.csv": pts})
    t = _totals(path)
    assert sorted(t.index) == ["001", "002", "003", "010", "011", "012"]


# ------------------------------------------------------------- tables: errors named
def _values_cell(i: int, v: Any) -> dict[str, pd.DataFrame]:
    vals = TOY_VALUES.astype({"value": object})
    vals.loc[i, "value"] = v
    return {"values.csv": vals}


BAD_TABLES: list[tuple[str, dict[str, pd.DataFrame], list[str]]] = [
    ("percent", _values_cell(4, "95%"), ["values.csv", "row 6", "column 'value'", "percent"]),
    ("thousands", _values_cell(4, "1,234"), ["row 6", "thousands"]),
    ("full-width digits", _values_cell(4, "１２"), ["row 6", "full-width"]),
    ("inf", _values_cell(0, "inf"), ["row 2", "not a finite number"]),
    ("absurd", _values_cell(0, "1e300"), ["row 2", "implausibly large"]),
    ("period typo", {"values.csv": TOY_VALUES.astype({"period": object}).assign(
        period=["2025"] * 17 + ["25"])}, ["values.csv", "row 19", "column 'period'"]),
    ("blank points", {"points.csv": TOY_POINTS.astype({"points": object}).assign(
        points=[4, None, 1.5, 0])}, ["points.csv", "row 3", "blank points"]),
    ("kind in Chinese is fine, unknown is not", {"points.csv": TOY_POINTS.assign(
        kind=["加分", "奖金", "黄牌警告", "一票否决"])}, ["points.csv", "'奖金'", "row 3"]),
    ("control character in a unit name", {"units.csv": TOY_UNITS.assign(
        unit_name=["甲镇", "乙\x1b镇", "丙乡", "a", "b", "c"])},
     ["units.csv", "row 3", "column 'unit_name'", "control character"]),
    ("unit id case", {"values.csv": TOY_VALUES.assign(
        unit_id=TOY_VALUES["unit_id"].where(TOY_VALUES.index != 0, "t1"))},
     ["values.csv", "'t1'", "did you mean 'T1'"]),
    ("no value at all for a unit", {"values.csv": TOY_VALUES[TOY_VALUES["unit_id"] != "T2"]},
     ["values.csv", "['T2']", "missing_unit"]),
]


@pytest.mark.parametrize(("name", "tables", "needles"), BAD_TABLES,
                         ids=[c[0] for c in BAD_TABLES])
def test_bad_cells_named(tmp_path: Path, name: str, tables: dict[str, pd.DataFrame],
                         needles: list[str]) -> None:
    msg = _error(write_toy(tmp_path, tables=tables))
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"


def test_declared_formats_are_read(tmp_path: Path) -> None:
    vals = TOY_VALUES.astype({"value": object})
    vals.loc[4, "value"] = "4%"
    vals.loc[5, "value"] = "４０"
    spec = _spec(lambda s: s["data"]["values"].update(formats={"value": ["percent",
                                                                         "fullwidth"]}))
    clean = _totals(write_toy(tmp_path / "a"))
    pd.testing.assert_series_equal(clean, _totals(write_toy(tmp_path / "b", spec,
                                                            {"values.csv": vals})))


def test_gbk_csv_rejected_unless_declared(tmp_path: Path) -> None:
    path = write_toy(tmp_path)
    (tmp_path / "units.csv").write_bytes(TOY_UNITS.to_csv(index=False).encode("gbk"))
    msg = _error(path)
    assert "units.csv" in msg and "re-save the file as UTF-8" in msg and "gbk" in msg
    spec = _spec(lambda s: s["data"]["units"].update(encoding="gbk"))
    write_toy(tmp_path / "b", spec)
    (tmp_path / "b" / "units.csv").write_bytes(TOY_UNITS.to_csv(index=False).encode("gbk"))
    names = load_tables(load_spec(tmp_path / "b" / "toy.yaml"))["units"]["unit_name"]
    assert names.tolist()[:2] == ["甲镇", "乙镇"]


def test_excel_formula_without_saved_value(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(TOY_VALUES.columns))
    for row in TOY_VALUES.itertuples(index=False):
        ws.append(list(row))
    ws["D5"] = "=1+1"                       # openpyxl stores no cached result
    wb.save(tmp_path / "v.xlsx")
    spec = _spec(lambda s: s["data"].update(values={"file": "v.xlsx"}))
    msg = _error(write_toy(tmp_path, spec))
    assert "v.xlsx" in msg and "D5" in msg and "formula" in msg


def test_wide_sheet_errors_name_the_sheets_rows(tmp_path: Path) -> None:
    wide = TOY_VALUES.pivot(index="unit_id", columns="indicator_id", values="value")
    wide = wide.reset_index().astype(object)
    wide.loc[4, "b"] = "x"                  # row 6 of the sheet
    wide.loc[5, "c"] = 200                  # row 7, outside range [0, 100]
    spec = _spec(lambda s: (s["data"]["values"].update(layout="wide"),
                            s["indicators"][2].update(range=[0, 100])))
    msg = _error(write_toy(tmp_path, spec, {"values.csv": wide}))
    assert "row 6, column 'b'" in msg and "rows [7]" in msg and "column 'c'" in msg


def test_blank_rows_skipped_rows_still_named(tmp_path: Path) -> None:
    path = write_toy(tmp_path)
    lines = (tmp_path / "values.csv").read_text(encoding="utf-8").splitlines()
    lines.insert(3, ",,,")                  # a blank row 4: row 5 on is one lower
    lines[7] = lines[7].rsplit(",", 1)[0] + ",abc"   # file row 8
    (tmp_path / "values.csv").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    assert "row 8, column 'value'" in _error(path)


def test_plausible_range_of_rates_and_warn_policy(tmp_path: Path) -> None:
    vals = TOY_VALUES.astype({"value": float})
    vals.loc[2, "value"] = 120.0            # c of T1, row 4
    spec = _spec(lambda s: s["indicators"][2].update(unit="%"))
    msg = _error(write_toy(tmp_path / "a", spec, {"values.csv": vals}))
    assert "range as a rate" in msg and "rows [4]" in msg and "range_policy" in msg
    warn = _spec(lambda s: (s["indicators"][2].update(unit="%", range_policy="warn")))
    _, tables = validate(write_toy(tmp_path / "b", warn, {"values.csv": vals}))
    assert any("outside" in w for w in tables["values"].attrs["warnings"])
    free = _spec(lambda s: s["indicators"][2].update(unit="%", range=[None, None]))
    validate(write_toy(tmp_path / "c", free, {"values.csv": vals}))


# ---------------------------------------------------------------------------- spec values
SPEC_CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("nan weight", lambda s: s["indicators"][0].update(weight=float("nan")),
     ["indicators[0] (a).weight", "finite"]),
    ("inf target", lambda s: s["indicators"][2].update(target=float("inf")),
     ["indicators[2] (c).target", "finite"]),
    ("inf bonus cap", lambda s: s["points"].update(bonus_cap=float("inf")),
     ["points.bonus_cap", "finite"]),
    ("goalposts upside down", lambda s: s["indicators"][2]["scoring"].update(lower=100,
                                                                              upper=60),
     ["indicators[2] (c).scoring.upper", "below"]),
    ("zscore spread 0", lambda s: s["indicators"][0].update(
        scoring={"method": "zscore", "spread": 0}), ["indicators[0] (a).scoring.spread"]),
    ("bands unsorted", lambda s: s["indicators"][0].update(scoring={
        "method": "bands", "thresholds": [70, 60], "scores": [0, 50, 100]}),
     ["indicators[0] (a).scoring.thresholds", "ascend"]),
    ("id escapes results", lambda s: s["evaluation"].update(id="../../etc"),
     ["evaluation.id", "results folder"]),
    ("absolute id", lambda s: s["evaluation"].update(id="/tmp/x"), ["evaluation.id"]),
    ("negative seed", lambda s: s["evaluation"].update(seed=-1), ["evaluation.seed"]),
    ("period not a year", lambda s: s["evaluation"].update(periods=["next year"]),
     ["evaluation.periods[0]", "year"]),
    ("uncertainty n not whole", lambda s: s.update(uncertainty={"n": 1.5}),
     ["uncertainty.n", "integer"]),
    ("uncertainty n too big", lambda s: s.update(uncertainty={"n": 10**9}),
     ["uncertainty.n", "GB"]),
    ("weights sum to 1.1", lambda s: s["perspectives"][0].update(weight=0.7),
     ["perspectives", "sum to 1.1", "defaults.weights: relative"]),
    ("all perspective weights 0", lambda s: [p.update(weight=0) for p in s["perspectives"]],
     ["perspectives", "all 0"]),
    ("perspective weight for one category only", lambda s: s["perspectives"][0].update(
        weight={"township": 0.6}), ["perspectives[0] (duty).weight", "'dept'"]),
    ("source weights 1.1", lambda s: s["sources"].update(office={"weight": 0.9},
                                                         leaders={"weight": 0.2}),
     ["sources", "sum to 1.1"]),
    ("source missing policy", lambda s: s["sources"]["office"].update(missing="ignore"),
     ["sources.office.missing"]),
    ("perspective without indicators", lambda s: s["perspectives"].append(
        {"id": "empty", "weight": 0, "aggregation": "median"}),
     ["perspectives[2] (empty)", "no indicator"]),
]


@pytest.mark.parametrize(("name", "edit", "needles"), SPEC_CASES, ids=[c[0] for c in SPEC_CASES])
def test_bad_spec_values_named(tmp_path: Path, name: str, edit: Callable[..., None],
                               needles: list[str]) -> None:
    spec = _spec(_with_leaders) if "source" in name else _spec()
    edit(spec)
    msg = _error(write_toy(tmp_path, spec, {"leaders.csv": LEADERS}))
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"


def test_relative_weights_declared_are_legal(tmp_path: Path) -> None:
    spec = _spec(lambda s: (s["perspectives"][0].update(weight=0.7),
                            s["defaults"].update(weights="relative")))
    validate(write_toy(tmp_path, spec))


# ------------------------------------------------------------------ sources' own tables
def _leaders_cell(i: int, col: str, v: Any) -> pd.DataFrame:
    df = LEADERS.astype({col: object})
    df.loc[i, col] = v
    return df


LEADER_CASES: list[tuple[str, pd.DataFrame, list[str]]] = [
    ("score 95%", _leaders_cell(3, "score", "95%"), ["leaders.csv", "row 5", "column 'score'"]),
    ("score 缺报", _leaders_cell(3, "score", "缺报"), ["row 5", "'缺报'"]),
    ("score inf", _leaders_cell(0, "score", "inf"), ["row 2", "finite"]),
    ("score off the scale", _leaders_cell(0, "score", 180), ["row 2", "scale"]),
    ("unknown unit", _leaders_cell(0, "unit_id", "ZZ"), ["leaders.csv", "'ZZ'", "row 2"]),
    ("leader twice", pd.concat([LEADERS, LEADERS.iloc[[0]]], ignore_index=True),
     ["leaders.csv", "twice", "rows 2, 14"]),
    ("no score column", LEADERS.drop(columns="score"), ["leaders.csv", "score"]),
]


@pytest.mark.parametrize(("name", "table", "needles"), LEADER_CASES,
                         ids=[c[0] for c in LEADER_CASES])
def test_validate_reads_the_sources_tables(tmp_path: Path, name: str, table: pd.DataFrame,
                                           needles: list[str]) -> None:
    msg = _error(write_toy(tmp_path, _spec(_with_leaders), {"leaders.csv": table}))
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"


def test_every_problem_of_every_table_at_once(tmp_path: Path) -> None:
    vals = TOY_VALUES.astype({"value": object})
    vals.loc[0, "value"] = "x"
    path = write_toy(tmp_path, _spec(_with_leaders),
                     {"values.csv": vals, "leaders.csv": _leaders_cell(1, "score", "y")})
    msg = _error(path)
    assert "values.csv, row 2" in msg and "leaders.csv, row 3" in msg


def test_source_without_a_score_is_an_error_unless_declared(tmp_path: Path) -> None:
    few = LEADERS[LEADERS["unit_id"] != "D2"]
    msg = _error(write_toy(tmp_path / "a", _spec(_with_leaders), {"leaders.csv": few}))
    assert "sources.leaders" in msg and "'D2'" in msg and "missing: reweight" in msg
    spec = _spec(lambda s: (_with_leaders(s), s["sources"]["leaders"].update(
        missing="reweight")))
    spec_, tables = validate(write_toy(tmp_path / "b", spec, {"leaders.csv": few}))
    res = evaluate(spec_, tables)
    audit = res.tables["input_audit"]
    row = audit[audit["policy"] == "sources.leaders.missing: reweight"]
    assert row["n"].tolist() == [1]


def test_points_without_period_in_several_periods(tmp_path: Path) -> None:
    vals = pd.concat([TOY_VALUES, TOY_VALUES.assign(period=2024)], ignore_index=True)
    spec = _spec(lambda s: s["evaluation"].update(periods=[2024, 2025]))
    msg = _error(write_toy(tmp_path, spec, {"values.csv": vals,
                                            "points.csv": TOY_POINTS.drop(columns="period")}))
    assert "points.csv" in msg and "no period column" in msg


def _year_sheets(path: Path, edit: Callable[[str, pd.DataFrame], pd.DataFrame] | None = None
                 ) -> Path:
    """The toy values as one wide sheet per year, 2024年指标 and 2025年指标 (the same values)."""
    wide = TOY_VALUES.pivot(index="unit_id", columns="indicator_id", values="value")
    wide = wide.reset_index().astype(object)
    with pd.ExcelWriter(path) as xw:
        for year in ("2024", "2025"):
            df = edit(year, wide.copy()) if edit else wide
            df.to_excel(xw, sheet_name=f"{year}年指标", index=False)
    return path


def _by_year(s: dict[str, Any], periods: list[int] | None = None) -> None:
    s["data"]["values"] = {"file": "v.xlsx", "sheet": "{period}年指标", "layout": "wide"}
    if periods is None:
        s["evaluation"].pop("periods")
    else:
        s["evaluation"]["periods"] = periods


def test_one_sheet_per_year_gives_the_periods(tmp_path: Path) -> None:
    want = _totals(write_toy(tmp_path / "long"))
    path = write_toy(tmp_path / "wide", _spec(_by_year))         # no evaluation.periods
    _year_sheets(tmp_path / "wide" / "v.xlsx")
    spec, tables = validate(path)
    assert sorted(tables["values"]["period"].unique()) == ["2024", "2025"]
    totals = evaluate(spec, tables).totals
    got = totals[totals["period"] == "2025"].set_index("unit_id")["total"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)


def test_errors_in_a_year_sheet_name_that_sheet(tmp_path: Path) -> None:
    def bad(year: str, df: pd.DataFrame) -> pd.DataFrame:
        if year == "2025":
            df.loc[3, "b"] = "x"                              # row 5 of the sheet
        return df
    path = write_toy(tmp_path, _spec(lambda s: _by_year(s, [2023, 2024, 2025])))
    _year_sheets(tmp_path / "v.xlsx", bad)
    msg = _error(path)
    assert "sheet '2025年指标', row 5, column 'b'" in msg and "'2024年指标', row" not in msg
    assert "no sheet '2023年指标' for period 2023" in msg
    assert "no indicator value for period 2023" not in msg   # the missing sheet says it


def test_indicator_columns_by_name_with_a_unit(tmp_path: Path) -> None:
    named = _spec(lambda s: (_by_year(s, [2024, 2025]),
                             s["indicators"][0].update(name="增速", unit="%")))
    want = _totals(write_toy(tmp_path / "long"))
    path = write_toy(tmp_path / "a", named)
    _year_sheets(tmp_path / "a" / "v.xlsx", lambda y, df: df.rename(columns={"a": "增速（%）"}))
    spec, tables = validate(path)
    totals = evaluate(spec, tables).totals
    got = totals[totals["period"] == "2025"].set_index("unit_id")["total"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    path = write_toy(tmp_path / "b", named)                     # a second column for a
    _year_sheets(tmp_path / "b" / "v.xlsx", lambda y, df: df.assign(增速=df["a"]))
    assert "columns 'a' and '增速' both read as indicator 'a'" in _error(path)


def test_an_indicator_left_empty_in_a_category_is_a_warning(tmp_path: Path) -> None:
    town = TOY_VALUES["unit_id"].str.startswith("T")
    vals = TOY_VALUES[~(town & (TOY_VALUES["indicator_id"] == "b"))]     # b: no township value
    spec = _spec(lambda s: s["defaults"].update(missing="zero"))
    v = check(write_toy(tmp_path, spec, {"values.csv": vals}))
    hits = [w for w in v.warnings if "no value at all" in w]
    assert len(hits) == 1 and "['b (township)']" in hits[0] and "values.csv" in hits[0]
    spec = _spec(lambda s: s["defaults"].update(missing="category_mean"))
    assert "so no category mean" in _error(write_toy(tmp_path / "m", spec, {"values.csv": vals}))
