"""The last scoring rules of Chinese practice: traffic lights, warning / advanced flags, and a
locked bonus/deduction catalogue, against values worked by hand.

Traffic lights (one vendor's default): green (达标) at ≥ 95 % of the target, yellow (基本达标)
at 85–95 %, red (未达标) below; a cost indicator is green at ≤ target ÷ 0.95 and yellow at
≤ target ÷ 0.85; without a target the score decides (green ≥ 85, yellow ≥ 60).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.core.errors import EvalkitError
from evalkit.evaluate import evaluate
from evalkit.inputs.values import check_points
from evalkit.scoring.status import (
    indicator_rules,
    status_columns,
    stored_status,
    thresholds,
    traffic_light,
    warning_flags,
)
from evalkit.spec.parse import from_dict
from evalkit.spec.practice import StatusRule
from evalkit.validate import load, load_spec

NO = np.zeros(1, dtype=bool)


def light(value: float, target: float | None, direction: str = "benefit",
          score: float = np.nan, **kw: float) -> str:
    """The status of one value."""
    return str(traffic_light(np.array([value]), np.array([score]), NO,
                             target=np.nan if target is None else target,
                             direction=direction, **kw)[0])


# -- traffic lights -------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "want"), [
    (95.0, "green"), (94.99, "yellow"), (85.0, "yellow"), (84.99, "red"), (120.0, "green")])
def test_benefit_boundaries(value: float, want: str) -> None:
    # target 100: green from 0.95 × 100 = 95, yellow from 0.85 × 100 = 85
    assert light(value, 100.0) == want


@pytest.mark.parametrize(("value", "want"), [
    (0.0, "green"), (19.0, "green"), (20.0, "green"), (20.01, "yellow"), (22.35, "yellow"),
    (22.36, "red")])
def test_cost_boundaries(value: float, want: str) -> None:
    # target 19: green up to 19 / 0.95 = 20, yellow up to 19 / 0.85 = 22.3529…
    assert light(value, 19.0, "cost") == want


def test_cost_thresholds_exact() -> None:
    assert light(19 / 0.85, 19.0, "cost") == "yellow"
    assert light(19 / 0.85 + 1e-6, 19.0, "cost") == "red"
    assert light(0.0, 0.0, "cost") == "green" and light(1.0, 0.0, "cost") == "red"


def test_target_direction_is_the_distance_to_the_target() -> None:
    # within 5 % of 50 (2.5) green, within 15 % (7.5) yellow
    got = [light(v, 50.0, "target") for v in (52.5, 47.5, 52.6, 57.5, 42.4)]
    assert got == ["green", "green", "yellow", "yellow", "red"]


@pytest.mark.parametrize(("score", "want"), [
    (85.0, "green"), (84.99, "yellow"), (60.0, "yellow"), (59.99, "red")])
def test_without_a_target_the_score_decides(score: float, want: str) -> None:
    assert light(1.0, None, score=score) == want


def test_declared_thresholds_and_missing() -> None:
    assert light(90.0, 100.0, green=0.9, yellow=0.8) == "green"
    assert light(79.0, 100.0, green=0.9, yellow=0.8) == "red"
    assert light(1.0, None, score=70.0, score_green=90.0, score_yellow=75.0) == "red"
    got = traffic_light(np.array([np.nan, 99.0]), np.array([50.0, 90.0]),
                        np.array([False, True]), target=100.0, direction="benefit")
    assert got.tolist() == ["missing", "missing"]


def test_indicator_status_overrides_the_default_keys() -> None:
    th = thresholds(StatusRule(green=0.9, yellow=0.8), StatusRule(yellow=0.7))
    assert (th.green, th.yellow, th.score_green) == (0.9, 0.7, 85.0)
    with pytest.raises(EvalkitError, match="yellow is above green"):
        thresholds(StatusRule(), StatusRule(green=0.8))          # yellow 0.85 inherited


# -- warning / advanced ----------------------------------------------------------------------
def test_warning_and_advanced_flags() -> None:
    # benefit: warning 60 (below it: warning), advanced 98 (at or above: advanced)
    got = warning_flags(np.array([59.9, 60.0, 97.9, 98.0, np.nan]), direction="benefit",
                        warning=60.0, advanced=98.0)
    assert got.tolist() == ["warning", "", "", "advanced", ""]
    # cost: warning 3 accidents (above it: warning), advanced 0
    got = warning_flags(np.array([4.0, 3.0, 1.0, 0.0]), direction="cost", warning=3.0,
                        advanced=0.0)
    assert got.tolist() == ["warning", "", "", "advanced"]
    assert warning_flags(np.array([1.0]), direction="benefit").tolist() == [""]


# -- the spec ---------------------------------------------------------------------------------
def _spec(**ind: object) -> dict:
    a = {"id": "a", "perspective": "p", "target": 100.0, **ind}
    return {"evaluation": {"id": "t", "periods": [2025]},
            "data": {"units": {"file": "u.csv"}, "values": {"file": "v.csv"},
                     "points": {"file": "p.csv"}},
            "perspectives": [{"id": "p"}],
            "indicators": [a, {"id": "b", "perspective": "p", "direction": "cost",
                               "warning": 3, "advanced": 0}]}


@pytest.mark.parametrize(("edit", "where"), [
    ({"direction": "target", "warning": 3}, "indicators[0] (a).warning"),
    ({"warning": 90, "advanced": 80}, "indicators[0] (a).advanced"),
    ({"status": {"green": 0.8, "yellow": 0.9}}, "indicators[0] (a).status"),
    ({"status": {"green": 0}}, "indicators[0] (a).status.green"),
])
def test_spec_rejects_bad_status_and_flags(edit: dict, where: str) -> None:
    with pytest.raises(EvalkitError, match=re.escape(where)):
        from_dict(_spec(**edit))


def test_status_and_flags_columns_from_the_spec() -> None:
    spec = from_dict({**_spec(status={"green": 0.9}, warning=50, advanced=120),
                      "defaults": {"status": {"yellow": 0.8, "score": {"green": 90}}}})
    ind = pd.DataFrame({"indicator_id": ["a", "a", "a", "b", "b"],
                        "value": [90.0, 79.9, 130.0, 4.0, 0.0],
                        "score": [10.0, 10.0, 10.0, 89.0, 100.0],
                        "missing": [False] * 5})
    rules = indicator_rules(spec)
    status, flags = status_columns(ind["value"].to_numpy(), ind["score"].to_numpy(),
                                   ind["missing"].to_numpy(), rules,
                                   rules.index.get_indexer(ind["indicator_id"]))
    # a: target 100, green from 90 (own), yellow from 80 (defaults); b: no target, score
    # thresholds green 90 (defaults), yellow 60
    assert status.tolist() == ["green", "red", "green", "yellow", "green"]
    assert flags.tolist() == ["", "", "advanced", "warning", "advanced"]
    # an indicator without a rule (position −1): no target, evalkit's own score thresholds
    # (green 85, yellow 60), no flags
    status, flags = status_columns(np.ones(3), np.array([85.0, 60.0, 59.9]), np.zeros(3, bool),
                                   rules, np.full(3, -1))
    assert status.tolist() == ["green", "yellow", "red"] and flags.tolist() == [""] * 3


def test_stored_status_for_the_report() -> None:
    ind = pd.DataFrame({"raw": [7.0], "score": [90.0], "missing": [False],
                        "status": ["yellow"]})
    assert stored_status(ind).tolist() == ["yellow"]
    old = ind.drop(columns="status").assign(target=[8.0], direction=["benefit"])
    assert stored_status(old).tolist() == ["yellow"]          # 7 ≥ 0.85 × 8 = 6.8


# -- the catalogue ----------------------------------------------------------------------------
CATALOGUE = {"catalogue": [{"item": "省级表彰", "kind": "加分", "points": 3},
                           {"item": "市级通报批评", "kind": "扣分", "points": 1.5},
                           {"item": "重大安全事故", "kind": "一票否决", "points": 0}],
             "locked": True}


@pytest.mark.parametrize(("points", "where", "what"), [
    ({"catalogue": [{"item": "a", "kind": "奖", "points": 1}]}, "points.catalogue[0].kind",
     "加分"),
    ({"catalogue": [{"item": "a", "kind": "bonus", "points": -1}]},
     "points.catalogue[0].points", "greater than or equal to 0"),
    ({"catalogue": [{"item": "a", "kind": "bonus", "points": float("inf")}]},
     "points.catalogue[0].points", "finite"),
    ({"catalogue": [{"item": "a", "kind": "bonus", "points": 1},
                    {"item": "a", "kind": "deduction", "points": 1}]},
     "points.catalogue", "listed twice"),
    ({"locked": True}, "points.locked", "needs its items"),
])
def test_spec_validates_the_catalogue(points: dict, where: str, what: str) -> None:
    with pytest.raises(EvalkitError) as err:
        from_dict({**_spec(), "points": points})
    text = str(err.value)
    assert where in text and what in text


def test_catalogue_kinds_in_chinese() -> None:
    spec = from_dict({**_spec(), "points": CATALOGUE})
    assert [c.kind for c in spec.points.catalogue] == ["bonus", "deduction", "veto"]


def _records(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df.attrs["source"] = "data/考核数据.xlsx, sheet '加减分'"
    return df


UNITS = pd.DataFrame({"category": ["all"] * 3}, index=pd.Index(["T1", "T2", "T3"],
                                                              name="unit_id"))


def test_catalogue_fills_and_accepts_records() -> None:
    spec = from_dict({**_spec(), "points": CATALOGUE})
    rec = _records([{"unit_id": "T1", "item": "省级表彰", "kind": "加分", "points": None},
                    {"unit_id": "T2", "item": "市级通报批评", "kind": "扣分", "points": 1.5},
                    {"unit_id": "T3", "item": " 重大安全事故", "kind": "veto",
                     "points": None}])
    problems: list[EvalkitError] = []
    out = check_points(rec, UNITS, problems, ["2025"], spec=spec)
    assert problems == []
    assert out["kind"].tolist() == ["bonus", "deduction", "veto"]
    assert out["points"].tolist() == [3.0, 1.5, 0.0]
    assert out["reason"].tolist() == ["省级表彰", "市级通报批评", "重大安全事故"]


def test_catalogue_rejects_records() -> None:
    spec = from_dict({**_spec(), "points": CATALOGUE})
    rec = _records([{"unit_id": "T1", "item": "省级表彰", "kind": "bonus", "points": 3},
                    {"unit_id": "T2", "item": "市级表彰", "kind": "bonus", "points": 2},
                    {"unit_id": "T3", "item": "省级表彰", "kind": "扣分", "points": 3},
                    {"unit_id": "T1", "item": "市级通报批评", "kind": "deduction",
                     "points": 2}])
    problems: list[EvalkitError] = []
    check_points(rec, UNITS, problems, ["2025"], spec=spec)
    text = [str(p) for p in problems]
    assert len(text) == 3, text
    at = "data/考核数据.xlsx, sheet '加减分', row"
    assert any(t.startswith(f"{at} 3, column 'item'") and "'市级表彰' is not in the locked"
               in t for t in text)
    assert any(t.startswith(f"{at} 4, column 'kind'") and "'bonus'" in t for t in text)
    assert any(t.startswith(f"{at} 5, column 'points'") and "1.5" in t for t in text)


def test_unlocked_catalogue_keeps_other_records() -> None:
    spec = from_dict({**_spec(), "points": {**CATALOGUE, "locked": False}})
    rec = _records([{"unit_id": "T1", "item": "其他", "kind": "加分", "points": 2},
                    {"unit_id": "T2", "item": "省级表彰", "kind": "加分", "points": None}])
    problems: list[EvalkitError] = []
    out = check_points(rec, UNITS, problems, ["2025"], spec=spec)
    assert problems == [] and out["points"].tolist() == [2.0, 3.0]
    audit = out.attrs["audit"]
    assert [(a["n"], a["policy"]) for a in audit] == [(1, "points.catalogue (not locked)")]


# -- through the workbook: evaluation and `evalkit validate` ---------------------------------
SPEC = """
evaluation: {id: cat, periods: [2025]}
data:
  units: {file: 数据.xlsx, sheet: 单位名单, columns: {unit_id: 单位代码, unit_name: 单位名称}}
  values: {file: 数据.xlsx, sheet: 指标, layout: wide, columns: {unit_id: 单位代码}}
  points: {file: 数据.xlsx, sheet: 加减分,
           columns: {unit_id: 单位代码, item: 加减分项目, kind: 类型, points: 分值}}
defaults: {status: {green: 0.95, yellow: 0.85}}
perspectives: [{id: p, name: 工作}]
indicators:
  - {id: sat, name: 满意率, perspective: p, unit: "%", target: 90, warning: 80, advanced: 95,
     scoring: {method: target_ratio}}
  - {id: acc, name: 事故起数, perspective: p, direction: cost, target: 2, warning: 3,
     scoring: {method: minmax}}
  - {id: gdp, name: 增速, perspective: p, scoring: {method: best_ratio}}
points:
  catalogue:
    - {item: 省级表彰, kind: 加分, points: 3}
    - {item: 市级通报批评, kind: 扣分, points: 1.5}
  locked: true
"""


def _workbook(tmp: Path, items: list[tuple[str, str, object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "单位名单"
    ws.append(["单位代码", "单位名称", "category"])
    for u in ("A", "B", "C"):
        ws.append([u, f"单位{u}", "all"])
    ws = wb.create_sheet("指标")
    ws.append(["单位代码", "满意率(%)", "事故起数", "增速"])
    for row in (["A", 86.0, 2, 8.0], ["B", 76.0, 4, 6.0], ["C", 96.0, 0, 4.0]):
        ws.append(row)
    ws = wb.create_sheet("加减分")
    ws.append(["单位代码", "加减分项目", "类型", "分值"])
    for rec in items:
        ws.append(list(rec))
    wb.save(tmp / "数据.xlsx")
    (tmp / "cat.yaml").write_text(SPEC, encoding="utf-8")
    return tmp / "cat.yaml"


def test_evaluation_stores_status_and_flags(tmp_path: Path) -> None:
    spec, tables = load(_workbook(tmp_path, [("A", "省级表彰", "加分", None)]))
    res = evaluate(spec, tables)
    ind = res.tables["indicators"].set_index(["unit_id", "indicator_id"])
    # sat, target 90: A 86 ≥ 85.5 green; B 76 < 76.5 red; C 96 green. acc, cost target 2:
    # A 2 green; B 4 > 2 / 0.85 = 2.35 red; C 0 green. gdp has no target: best_ratio
    # scores 100, 75, 50 → green, yellow, red.
    assert ind["status"].loc[["A", "B", "C"], "sat"].tolist() == ["green", "red", "green"]
    assert ind["status"].loc[["A", "B", "C"], "acc"].tolist() == ["green", "red", "green"]
    assert ind["status"].loc[["A", "B", "C"], "gdp"].tolist() == ["green", "yellow", "red"]
    # sat: warning 80 (B 76), advanced 95 (C 96); acc: warning 3 (B 4)
    assert ind["flags"].loc[["A", "B", "C"], "sat"].tolist() == ["", "warning", "advanced"]
    assert ind["flags"].loc[["A", "B", "C"], "acc"].tolist() == ["", "warning", ""]
    tot = res.tables["totals"].set_index("unit_id")
    assert tot.loc["A", "bonus"] == 3.0                      # points from the catalogue


def test_validate_names_the_row_of_a_record_outside_the_catalogue(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workbook(tmp_path, [("A", "省级表彰", "加分", 3), ("B", "县级表彰", "加分", 2)])
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "数据.xlsx, sheet '加减分', row 3, column '加减分项目'" in err
    assert "'县级表彰' is not in the locked catalogue" in err
    assert load_spec(path).points.locked
