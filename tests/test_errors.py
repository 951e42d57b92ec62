"""Bad input: every problem is an EvalkitError naming where it is and what is expected."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import TOY_POINTS, TOY_SPEC, TOY_UNITS, TOY_VALUES, write_toy

from evalkit.cli import main
from evalkit.core.errors import EvalkitError, ProblemList
from evalkit.inputs.tables import load_tables
from evalkit.validate import load_spec


def _spec(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    s = copy.deepcopy(TOY_SPEC)
    edit(s)
    return s


SPEC_CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("unknown top key", lambda s: s.update(weightings={}), ["weightings", "unknown key"]),
    ("unknown nested key", lambda s: s["indicators"][0].update(dirction="cost"),
     ["indicators[0] (a).dirction", "unknown key"]),
    ("bad direction", lambda s: s["indicators"][1].update(direction="down"),
     ["indicators[1] (b).direction", "benefit"]),
    ("missing evaluation id", lambda s: s["evaluation"].pop("id"),
     ["evaluation.id", "missing"]),
    ("unknown perspective", lambda s: s["indicators"][0].update(perspective="nope"),
     ["indicators[0] (a).perspective", "nope"]),
    ("unknown scoring", lambda s: s["indicators"][0].update(scoring={"method": "magic"}),
     ["indicators[0] (a).scoring.method", "minmax"]),
    ("missing goalposts", lambda s: s["indicators"][2]["scoring"].pop("upper"),
     ["indicators[2] (c).scoring", "upper"]),
    ("unknown scoring param", lambda s: s["indicators"][2]["scoring"].update(uper=1),
     ["indicators[2] (c).scoring.uper", "expected one of"]),
    ("target direction without target", lambda s: s["indicators"][2].pop("target"),
     ["indicators[2] (c).target", "target"]),
    ("negative weight", lambda s: s["indicators"][0].update(weight=-1),
     ["indicators[0] (a).weight", "≥ 0"]),
    ("weight for unknown category", lambda s: s["perspectives"][0].update(
        weight={"township": 0.5, "village": 0.5}), ["perspectives[0] (duty).weight.village"]),
    ("duplicate indicator", lambda s: s["indicators"].append(dict(s["indicators"][0])),
     ["indicators", "duplicate", "'a'"]),
    ("unknown category on indicator", lambda s: s["indicators"][0].update(categories=["x"]),
     ["indicators[0] (a).categories", "'x'"]),
    ("unknown source", lambda s: s["sources"].update(gossip={"weight": 0.1}),
     ["sources.gossip", "unknown source"]),
    ("source weight not a number", lambda s: s["sources"]["office"].update(weight="high"),
     ["sources.office.weight", "number"]),
    ("grades not descending", lambda s: s["grades"]["levels"][1].update(min_score=90),
     ["grades.levels", "decreasing"]),
    ("quota above 1", lambda s: s["grades"]["levels"][0].update(quota=1.5),
     ["grades.levels[0] (excellent).quota"]),
    ("veto grade unknown", lambda s: s["points"]["veto"].update(max_grade="bronze"),
     ["points.veto.max_grade", "bronze"]),
    ("perspective cycle", lambda s: (s["perspectives"][0].update(parent="service"),
                                     s["perspectives"][1].update(parent="duty")),
     ["perspectives", "ancestor"]),
    ("unknown aggregation", lambda s: s["perspectives"][0].update(aggregation="mode"),
     ["perspectives[0] (duty).aggregation", "arithmetic"]),
    ("range upside down", lambda s: s["indicators"][0].update(range=[10, 0]),
     ["indicators[0] (a).range"]),
    ("no values table", lambda s: s["data"].pop("values"), ["data", "'values'"]),
    ("bad layout", lambda s: s["data"]["values"].update(layout="diagonal"),
     ["data.values.layout"]),
]


@pytest.mark.parametrize(("name", "edit", "needles"), SPEC_CASES, ids=[c[0] for c in SPEC_CASES])
def test_bad_spec_names_yaml_path(tmp_path: Path, name: str, edit: Callable[..., None],
                                  needles: list[str]) -> None:
    path = write_toy(tmp_path, _spec(edit))
    with pytest.raises(EvalkitError) as exc:
        load_tables(load_spec(path))
    msg = str(exc.value)
    assert str(path) in msg
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"


def test_all_problems_listed_at_once(tmp_path: Path) -> None:
    def edit(s: dict[str, Any]) -> None:
        s["indicators"][0]["direction"] = "up"
        s["indicators"][1]["colour"] = "red"
        s["grades"]["levels"][0]["quota"] = 2

    path = write_toy(tmp_path, _spec(edit))
    with pytest.raises(ProblemList) as exc:
        load_spec(path)
    assert len(exc.value.problems) == 3
    assert "indicators[0] (a).direction" in str(exc.value)
    assert "indicators[1] (b).colour" in str(exc.value)
    # cross-field problems are also collected together
    def edit2(s: dict[str, Any]) -> None:
        s["indicators"][1]["perspective"] = "nowhere"
        s["sources"]["office"]["weight"] = -1
        s["points"]["veto"]["max_grade"] = "gold"

    with pytest.raises(ProblemList) as exc2:
        load_spec(write_toy(tmp_path / "b", _spec(edit2)))
    assert len(exc2.value.problems) >= 3


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    p = tmp_path / "broken.yaml"
    p.write_text("evaluation:\n  id: x\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(EvalkitError, match=r"line \d+, column \d+"):
        load_spec(p)


def _values(edit: Callable[[pd.DataFrame], pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {"values.csv": edit(TOY_VALUES.copy())}


TABLE_CASES: list[tuple[str, dict[str, pd.DataFrame], list[str]]] = [
    ("non-numeric value", _values(lambda d: d.astype({"value": object}).assign(
        value=lambda x: x["value"].where(x.index != 4, "缺报"))),
     ["values.csv", "row 6", "column 'value'", "'缺报'"]),
    ("unknown unit", _values(lambda d: d.assign(unit_id=d["unit_id"].where(d.index != 0, "ZZ"))),
     ["values.csv", "column 'unit_id'", "ZZ", "row"]),
    ("unknown indicator", _values(lambda d: d.assign(
        indicator_id=d["indicator_id"].where(d.index != 2, "zz"))),
     ["values.csv", "column 'indicator_id'", "zz", "row 4"]),
    ("duplicate row", _values(lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True)),
     ["values.csv", "duplicate", "rows 2, 20"]),
    ("missing column", _values(lambda d: d.drop(columns="value")),
     ["values.csv", "missing column 'value'"]),
    ("duplicate unit", {"units.csv": pd.concat([TOY_UNITS, TOY_UNITS.iloc[[1]]])},
     ["units.csv", "duplicate unit_id", "T2"]),
    ("unknown category", {"units.csv": TOY_UNITS.assign(
        category=TOY_UNITS["category"].where(TOY_UNITS.index != 3, "village"))},
     ["units.csv", "column 'category'", "village", "row 5"]),
    ("negative points", {"points.csv": TOY_POINTS.assign(points=[-1, 3, 1.5, 0])},
     ["points.csv", "column 'points'", "row 2"]),
    ("unknown point kind", {"points.csv": TOY_POINTS.assign(kind=["bonus", "gift", "bonus",
                                                                  "veto"])},
     ["points.csv", "column 'kind'", "gift"]),
]


@pytest.mark.parametrize(("name", "tables", "needles"), TABLE_CASES,
                         ids=[c[0] for c in TABLE_CASES])
def test_bad_table_names_file_row_column(tmp_path: Path, name: str,
                                         tables: dict[str, pd.DataFrame],
                                         needles: list[str]) -> None:
    path = write_toy(tmp_path, tables=tables)
    with pytest.raises(EvalkitError) as exc:
        load_tables(load_spec(path))
    msg = str(exc.value)
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"


def test_out_of_range_value(tmp_path: Path) -> None:
    spec = _spec(lambda s: s["indicators"][0].update(range=[0, 25]))
    path = write_toy(tmp_path, spec)
    with pytest.raises(EvalkitError, match=r"indicator 'a' outside its declared range.*rows \[8\]"):
        load_tables(load_spec(path))


def test_missing_file_and_sheet(tmp_path: Path) -> None:
    spec = _spec(lambda s: s["data"]["points"].update(file="nope.csv"))
    with pytest.raises(EvalkitError, match=r"nope\.csv: file not found"):
        load_tables(load_spec(write_toy(tmp_path, spec)))
    TOY_VALUES.to_excel(tmp_path / "v.xlsx", sheet_name="指标", index=False)
    spec = _spec(lambda s: s["data"]["values"].update(file="v.xlsx", sheet="数据"))
    with pytest.raises(EvalkitError, match="no sheet named '数据'"):
        load_tables(load_spec(write_toy(tmp_path, spec)))


def test_excel_sheet_and_chinese_headers(tmp_path: Path) -> None:
    """A real office export: Excel, a named sheet, Chinese headers mapped to evalkit names."""
    zh = TOY_VALUES.rename(columns={"period": "年度", "unit_id": "单位代码",
                                    "indicator_id": "指标", "value": "数值"})
    zh.to_excel(tmp_path / "v.xlsx", sheet_name="指标数据", index=False)
    cols = {"period": "年度", "unit_id": "单位代码", "indicator_id": "指标", "value": "数值"}
    spec = _spec(lambda s: s["data"].update(values={"file": "v.xlsx", "sheet": "指标数据",
                                                    "columns": cols}))
    tables = load_tables(load_spec(write_toy(tmp_path, spec)))
    assert len(tables["values"]) == len(TOY_VALUES)
    bad = zh.astype({"数值": object})
    bad.loc[3, "数值"] = "十"
    bad.to_excel(tmp_path / "v.xlsx", sheet_name="指标数据", index=False)
    with pytest.raises(EvalkitError, match=r"sheet '指标数据', row 5, column 'value'"):
        load_tables(load_spec(tmp_path / "toy.yaml"))


def test_cli_validate_exit_code_and_message(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = write_toy(tmp_path, _spec(lambda s: s["indicators"][0].update(direction="x")))
    assert main(["validate", str(path)]) == 2
    assert "indicators[0] (a).direction" in capsys.readouterr().err
    good = write_toy(tmp_path / "ok")
    assert main(["validate", str(good)]) == 0
