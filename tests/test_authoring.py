"""Authoring: an office's catalogue read as the spec, `evalkit init`, the template, the JSON
Schema, the one-call API and the pre-flight summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import openpyxl
import pandas as pd
import pytest
import yaml

import evalkit
from evalkit.authoring.catalogue import catalogue_from_frame, read_catalogue
from evalkit.authoring.init import example_catalogue, init_project
from evalkit.authoring.schema import spec_schema
from evalkit.authoring.spectext import spec_text, yaml_value
from evalkit.authoring.template import indicator_headers
from evalkit.cli import main
from evalkit.core.errors import EvalkitError, ProblemList, TableError

ROOT = Path(__file__).resolve().parents[1]


def office_catalogue(path: Path) -> Path:
    """A catalogue as a county office keeps it: a title row, 所属维度 merged down (blank
    cells), a 合计 row, methods in the office's words, points per category in two columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "指标体系"
    ws.append(["某县2025年度综合考核指标体系"])
    ws.append(["编码", "指标名称", "所属维度", "指标属性", "分值（乡镇）", "分值（县直部门）",
               "目标值", "计分方法", "计量单位"])
    ws.append(["001", "地区生产总值增速", "经济发展", "正向", 30, None, 6.5, "比例计分", "%"])
    ws.append(["002", "一般公共预算收入", None, "正向", 30, None, None, "功效系数法", "万元"])
    ws.append(["003", "安全生产事故起数", "社会治理", "逆向", 20, 20, None, "极差法", "起"])
    ws.append(["004", "群众满意率", None, "正向", 20, 30, 90, "完成率（封顶120%）", "%"])
    ws.append(["005", "政务服务按时办结率", "机关效能", "正向", None, 50, 98, "名次计分", "%"])
    ws.append([None, "合计", None, None, 100, 100, None, None, None])
    wb.save(path)
    return path


def test_catalogue_as_offices_keep_it(tmp_path: Path) -> None:
    cat = read_catalogue(office_catalogue(tmp_path / "目录.xlsx"))
    assert cat.points and not cat.notes
    assert [c["name"] for c in cat.categories] == ["乡镇", "县直部门"]
    assert [c["id"] for c in cat.categories] == ["township", "county_dept"]
    assert [p["name"] for p in cat.perspectives] == ["经济发展", "社会治理", "机关效能"]
    by = {i["id"]: i for i in cat.indicators}
    assert list(by) == ["001", "002", "003", "004", "005"]          # codes kept as written
    assert by["002"]["perspective"] == "P1"                          # merged cell filled down
    assert by["003"]["direction"] == "cost"
    assert by["001"]["weight"] == {"township": 30.0}
    assert by["001"]["categories"] == ["township"]
    assert by["004"]["weight"] == {"township": 20.0, "county_dept": 30.0}
    assert by["002"]["scoring"] == {"method": "minmax", "lower": 60, "upper": 100}
    assert by["004"]["scoring"] == {"method": "target_ratio", "cap": 1.2}
    assert by["005"]["scoring"]["method"] == "rank_points"
    assert cat.totals() == {"township": 100.0, "county_dept": 100.0}
    assert cat.title == "某县2025年度综合考核指标体系"       # the title row names the evaluation
    assert "name: 某县2025年度综合考核 " in spec_text("county", cat, [2024, 2025], "x.xlsx")


def test_catalogue_weights_and_gbk_csv(tmp_path: Path) -> None:
    text = ("编码,名称,所属维度,指标属性,权重,适用类别,计分方法\n"
            "A1,增速,经济,正向,60%,乡镇、部门,\nA2,事故,安全,逆向,40%,全部,排名计分\n")
    (tmp_path / "c.csv").write_bytes(text.encode("gbk"))
    cat = read_catalogue(tmp_path / "c.csv")
    assert not cat.points
    assert [i["weight"] for i in cat.indicators] == [0.6, 0.4]
    assert cat.indicators[0]["categories"] == ["township", "department"]
    assert "categories" not in cat.indicators[1]
    assert "scoring" not in cat.indicators[0]                        # the spec's default


def test_catalogue_problems_name_their_rows() -> None:
    sheet = pd.DataFrame([["编码", "名称", "所属维度", "指标属性", "分值", "计分方法"],
                          ["A1", "增速", "经济", "上升", 50, "比例计分"],
                          ["A1", "事故", "安全", "逆向", 50, "神秘算法"]])
    with pytest.raises(ProblemList) as err:
        catalogue_from_frame(sheet, "指标体系")
    text = str(err.value)
    assert "指标体系, row 2, column 指标属性: unknown 指标属性 '上升'" in text
    assert "row 3, column 计分方法: unknown scoring method '神秘算法'" in text
    assert "row 3: indicator code 'A1' also on row 2" in text
    with pytest.raises(TableError, match="no header row"):
        catalogue_from_frame(pd.DataFrame([["a", "b"], [1, 2]]), "x")


def test_points_not_summing_to_100_are_noted() -> None:
    sheet = pd.DataFrame([["编码", "名称", "所属维度", "分值"], ["A1", "增速", "经济", 60],
                          ["A2", "事故", "安全", 30]])
    cat = catalogue_from_frame(sheet, "s")
    assert cat.points and cat.notes == ["the points of category 'all' sum to 90, not 100; "
                                        "correct them in the spec"]


def test_init_writes_spec_template_and_schema(tmp_path: Path) -> None:
    made = init_project("county", root=tmp_path, catalogue=office_catalogue(tmp_path / "c.xlsx"),
                        sources=["leaders", "peer"], periods=[2024, 2025])
    text = made.spec.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    assert text.startswith("# yaml-language-server: $schema=evalkit-spec.schema.json\n")
    assert raw["weights"] == "points"
    assert raw["data"]["values"]["sheet"] == "{period}年指标"
    assert [i["id"] for i in raw["indicators"]] == ["001", "002", "003", "004", "005"]
    assert raw["sources"] == {"office": {"weight": 0.6}, "leaders": {
        "weight": 0.2, "table": "leaders", "min_raters": 1}, "peer": raw["sources"]["peer"]}
    # every key of the first two levels is explained in place, in Chinese and English
    keyed = [ln for ln in text.splitlines() if ln[:1].isalpha() and ":" in ln]
    assert all("#" in ln and "|" in ln for ln in keyed), [ln for ln in keyed if "|" not in ln]
    jsonschema.validate(raw, json.loads(made.schema.read_text(encoding="utf-8")))
    wb = openpyxl.load_workbook(made.template)
    assert wb.sheetnames == ["说明", "单位名单", "指标体系", "2024年指标", "2025年指标", "加减分",
                             "领导评价", "互评"]
    heads = [c.value for c in wb["2025年指标"][1]]
    assert heads == ["单位代码", "单位名称", "地区生产总值增速(%)", "一般公共预算收入(万元)",
                     "安全生产事故起数(起)", "群众满意率(%)", "政务服务按时办结率(%)"]
    assert [c.value for c in wb["加减分"][1]] == ["考核年度", "单位代码", "单位名称", "类型",
                                               "分值", "事由"]
    with pytest.raises(EvalkitError, match="already exist"):
        init_project("county", root=tmp_path)


def test_init_refuses_bad_names_and_sources(tmp_path: Path) -> None:
    with pytest.raises(EvalkitError, match="NAME: expected a name"):
        init_project("../x", root=tmp_path)
    with pytest.raises(EvalkitError, match="unknown source"):
        init_project("x", root=tmp_path, sources=["polls"])


def test_yaml_values_read_back_as_written() -> None:
    for v in ["001", "%", "{period}年指标", "是", "yes", "null", "1e3", "a: b", "地区(万元)",
              "../data/x.xlsx", 6.5, 30.0, [2024, 2025], {"优秀": 95}, True]:
        assert yaml.safe_load(f"k: {yaml_value(v)}")["k"] == v, v


def test_headers_by_code_when_names_repeat() -> None:
    inds = [{"id": "A", "name": "满意率", "unit": "%"}, {"id": "B", "name": "满意率"},
            {"id": "C", "name": "增速"}]
    assert indicator_headers(inds) == ["A", "B", "增速"]


def test_schema_cli_and_completion_data(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["schema", "--out", str(tmp_path / "s.json")]) == 0
    schema = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert schema == json.loads(json.dumps(spec_schema()))
    assert not {"base_dir", "raw", "path"} & set(schema["properties"])
    sc = schema["$defs"]["Scoring"]
    assert "rank_points (floor, step, table, top)" in sc["properties"]["method"]["description"]
    branch = next(b for b in sc["allOf"] if b["if"]["properties"]["method"]["const"] ==
                  "goal_redflag")
    assert branch["then"]["required"] == ["red_flag"]
    assert {"office", "survey", "peer"} <= set(schema["properties"]["sources"]["properties"])
    demo = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(demo, schema)
    bad = {**demo, "indicators": [{**demo["indicators"][0], "scoring": {"method": "magic"}}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_init_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["init", "demo2", "--dir", str(tmp_path), "--periods", "2024,2025"]) == 0
    out = capsys.readouterr().out
    assert "6 indicators, 3 perspectives, 2 categories, weights as points (分值)" in out
    assert main(["init", "demo2", "--dir", str(tmp_path)]) == 2
    assert "already exist" in capsys.readouterr().err


def test_import_evalkit_is_light_and_the_api_is_callable() -> None:
    code = ("import sys, evalkit; assert [m for m in sys.modules if m.startswith('evalkit')] =="
            " ['evalkit'], sorted(sys.modules); import evalkit.report as rp; "
            "assert callable(evalkit.report) and callable(evalkit.run); "
            "from evalkit.run import build; assert evalkit.run.build is build; "
            "print(evalkit.init.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "evalkit.authoring.api"
    assert callable(evalkit.validate) and evalkit.__version__


def test_example_spec_text_matches_the_example_catalogue() -> None:
    cat = example_catalogue()
    raw = yaml.safe_load(spec_text("x", cat, [2024, 2025], "../data/x/x.xlsx"))
    assert [i["weight"] for i in raw["indicators"]] == [i["weight"] for i in cat.indicators]
    assert cat.totals() == {"township": 100.0, "department": 100.0}
