"""A county office's own workbook, read as it comes, and its totals by the office's written rules.

The workbook (built here) is what the office keeps: Chinese sheet names and headers, one wide
sheet per year (2024年指标, 2025年指标) headed by indicator names with a unit suffix, in
half- or full-width brackets, codes zero-padded (001), categories written by name (乡镇,
县直部门), point kinds in Chinese (加分, 扣分, 黄牌警告, 一票否决), years written 2025年度,
indicator points (分值) summing to 100 in each category. The spec reads it without a change
to the workbook; the totals are checked against the office's rules written below as plain
arithmetic, independently of evalkit.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evalkit.authoring.init import init_project
from evalkit.authoring.preflight import preflight
from evalkit.core.errors import EvalkitError
from evalkit.run import build
from evalkit.validate import check, load

TOWNS = ["城关镇", "河口镇", "石门乡", "白沙镇", "青山乡", "东湖街道"]
DEPTS = ["发改局", "财政局", "教育局", "卫健局"]
CODES = [f"{k:03d}" for k in range(1, 11)]                 # 001 … 010
#: The office's values: year -> indicator -> one value per unit (None: does not apply).
VALUES = {
    "2024": {"gdp": [6.1, 7.4, 5.0, 8.0, 6.6, 7.0], "rev": [5200, 8800, 3100, 9900, 4500, 7600],
             "acc": [2, 0, 5, 1, 3, 1], "sat": [88.0, 92.5, 79.0, 95.0, 85.5, 90.0, 91.0, 86.0,
                                              93.5, 89.0],
             "svc": [97.5, 99.2, 96.0, 98.8]},
    "2025": {"gdp": [6.5, 7.0, 5.5, 8.4, 6.2, 7.7], "rev": [5600, 9100, 3300, 10400, 4800, 8000],
             "acc": [1, 0, 4, 2, 3, 0], "sat": [90.5, 93.0, 82.0, 96.5, 87.0, 91.5, 92.0, 85.0,
                                              94.0, 90.0],
             "svc": [98.1, 99.5, 97.2, 97.2]},
}
HEADERS = {"gdp": "地区生产总值增速(%)", "rev": "一般公共预算收入（万元）",
           "acc": "安全生产事故起数", "sat": "群众满意率（%）", "svc": "政务服务按时办结率(%)"}
#: 加减分台账: year as the office writes it, code, kind in Chinese, points, reason.
POINTS = [("2025年度", "001", "加分", 3, "招商引资重大项目落地"),
          ("2025年度", "001", "加分", 4, "获省级表彰"),
          ("2025年度", "003", "扣分", 1.5, "审计发现问题"),
          ("2025年度", "004", "黄牌警告", 1, "进度滞后"),
          ("2025年", "006", "一票否决", None, "重大安全事故"),
          ("2025", "008", "加分", 2, "试点经验推广"),
          ("2025年度", "009", "黄牌", 0.5, "信访督办超期"),
          ("2024年度", "002", "加分", 5, "获国家级表彰")]

SPEC = """
evaluation: {id: county, name: 某县综合考核, periods: [2024, 2025]}
data:
  units:  {file: 考核数据.xlsx, sheet: 单位名单,
           columns: {unit_id: 单位代码, unit_name: 单位名称, category: 类别}}
  values: {file: 考核数据.xlsx, sheet: "{period}年指标", layout: wide, columns: {unit_id: 单位代码}}
  points: {file: 考核数据.xlsx, sheet: 加减分,
           columns: {period: 考核年度, unit_id: 单位代码, kind: 类型, points: 分值, reason: 事由}}
categories: [{id: township, name: 乡镇}, {id: dept, name: 县直部门}]
weights: points
defaults: {missing: zero}
perspectives: [{id: econ, name: 经济发展}, {id: social, name: 社会治理}, {id: gov, name: 机关效能}]
indicators:
  - {id: gdp, name: 地区生产总值增速, perspective: econ, unit: "%", weight: 30,
     categories: [township], scoring: {method: best_ratio}}
  - {id: rev, name: 一般公共预算收入, perspective: econ, unit: 万元, weight: 20,
     categories: [township], scoring: {method: minmax, lower: 60, upper: 100}}
  - {id: acc, name: 安全生产事故起数, perspective: social, direction: cost, unit: 起, weight: 20,
     categories: [township], scoring: {method: minmax}}
  - {id: sat, name: 群众满意率, perspective: social, unit: "%", target: 90,
     weight: {township: 30, dept: 40}, scoring: {method: target_ratio}}
  - {id: svc, name: 政务服务按时办结率, perspective: gov, unit: "%", weight: 60,
     categories: [dept], scoring: {method: rank_points, top: 100, step: 5}}
sources: {office: {weight: 1}}
points: {bonus_cap: 5, yellow_card_multiplier: 2, veto: {max_grade: pass}}
grades:
  levels:
    - {id: excellent, name: 优秀, min_score: 90, quota: 0.2}
    - {id: good, name: 良好, min_score: 80}
    - {id: pass, name: 合格, min_score: 60}
    - {id: fail, name: 不合格}
"""


def write_workbook(path: Path, points: list[tuple] = POINTS) -> Path:
    """The office's workbook, as its staff keep it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "单位名单"
    ws.append(["单位代码", "单位名称", "类别"])
    for code, name in zip(CODES, TOWNS + DEPTS, strict=True):
        ws.append([code, name, "乡镇" if name in TOWNS else "县直部门"])
    for year, vals in VALUES.items():
        ws = wb.create_sheet(f"{year}年指标")
        ws.append(["单位代码", "单位名称", *HEADERS.values()])
        for k, (code, name) in enumerate(zip(CODES, TOWNS + DEPTS, strict=True)):
            town = k < len(TOWNS)
            row = [vals[i][k] if town else None for i in ("gdp", "rev", "acc")]
            row += [vals["sat"][k], None if town else vals["svc"][k - len(TOWNS)]]
            ws.append([code, name, *row])
    ws = wb.create_sheet("加减分")
    ws.append(["考核年度", "单位代码", "类型", "分值", "事由"])
    for rec in points:
        ws.append(list(rec))
    wb.save(path)
    return path


@pytest.fixture()
def office(tmp_path: Path) -> Path:
    write_workbook(tmp_path / "考核数据.xlsx")
    (tmp_path / "county.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path / "county.yaml"


def office_totals(year: str) -> pd.DataFrame:
    """The office's written rules, as plain arithmetic (no evalkit).

    乡镇: 地区生产总值增速 30分 比例计分 100·x/max; 一般公共预算收入 20分 功效系数法
    60 + 40·(x − min)/(max − min); 安全生产事故起数 20分 逆向极差法 100·(max − x)/(max − min);
    群众满意率 30分 完成率 100·min(x/90, 1). 县直部门: 群众满意率 40分; 政务服务按时办结率
    60分 名次计分 第1名100分、每低一名减5分 (并列同名次). 基础分 = Σ 分值 × 得分 / 100;
    总分 = 基础分 + min(Σ 加分, 5) − Σ 扣分 − 2 × Σ 黄牌.
    """
    v = {k: np.array(x, dtype=float) for k, x in VALUES[year].items()}
    sat = 100 * np.minimum(v["sat"] / 90, 1)
    town = (30 * 100 * v["gdp"] / v["gdp"].max()
            + 20 * (60 + 40 * (v["rev"] - v["rev"].min()) / (v["rev"].max() - v["rev"].min()))
            + 20 * 100 * (v["acc"].max() - v["acc"]) / (v["acc"].max() - v["acc"].min())
            + 30 * sat[:6]) / 100
    place = np.array([1 + (v["svc"] > x).sum() for x in v["svc"]])
    dept = (40 * sat[6:] + 60 * (100 - 5 * (place - 1))) / 100
    out = pd.DataFrame({"unit_id": CODES, "base": np.concatenate([town, dept])})
    recs = pd.DataFrame(POINTS, columns=["year", "unit_id", "kind", "points", "reason"])
    recs = recs[recs["year"].str[:4] == year]
    per = recs.pivot_table(index="unit_id", columns="kind", values="points", aggfunc="sum")
    per = per.reindex(CODES).fillna(0.0)
    col = lambda k: per[k].to_numpy() if k in per else np.zeros(len(CODES))  # noqa: E731
    out["bonus"] = np.minimum(col("加分"), 5)
    out["deductions"] = col("扣分") + 2 * (col("黄牌警告") + col("黄牌"))
    out["total"] = out["base"] + out["bonus"] - out["deductions"]
    out["veto"] = out["unit_id"].isin(recs.loc[recs["kind"] == "一票否决", "unit_id"])
    return out.set_index("unit_id")


def test_totals_follow_the_offices_written_rules(office: Path) -> None:
    spec, tables = load(office)
    res = build(spec, tables)
    for year in ("2024", "2025"):
        got = res.totals[res.totals["period"] == year].set_index("unit_id")
        want = office_totals(year)
        assert got.index.tolist() == CODES                       # 001 kept as written
        np.testing.assert_allclose(got["total"], want.loc[got.index, "total"], atol=1e-9)
        np.testing.assert_allclose(got["bonus"], want.loc[got.index, "bonus"], atol=1e-12)
        assert got["veto"].tolist() == want.loc[got.index, "veto"].tolist()
    cur = res.totals[res.totals["period"] == "2025"].set_index("unit_id")
    assert cur.loc[CODES[:6], "category"].eq("township").all()     # 乡镇 read by name
    assert cur.loc["006", "grade"] in ("pass", "fail")              # vetoed: at best 合格
    # points as written are kept for the report and Excel
    w = res.tables["meta_weights"].set_index(["category", "indicator_id"])
    assert w.loc[("township", "gdp"), "points"] == 30 and w.loc[("dept", "sat"), "points"] == 40
    ind = res.indicators[(res.indicators["period"] == "2025")
                         & (res.indicators["unit_id"] == "001")].set_index("indicator_id")
    np.testing.assert_allclose(ind["weight"] * 100, [30, 20, 20, 30])


def test_validate_prints_the_preflight(office: Path) -> None:
    v = check(office)
    text = preflight(v.results).text()
    assert "乡镇 (township): 6 units, 4 indicators" in text
    assert " 30.00  地区生产总值增速 (gdp)" in text
    assert "县直部门 (dept): 4 units, 2 indicators" in text


def _spec_with(office: Path, old: str, new: str) -> Path:
    office.write_text(office.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return office


def test_reversed_columns_mapping_shows_the_right_direction(office: Path) -> None:
    _spec_with(office, "columns: {unit_id: 单位代码}", "columns: {单位代码: unit_id}")
    with pytest.raises(EvalkitError, match="write it as unit_id: 单位代码"):
        load(office)


def test_points_must_sum_to_100(office: Path) -> None:
    _spec_with(office, "weight: 60,", "weight: 50,")
    with pytest.raises(EvalkitError, match="sum to 90, not 100"):
        load(office)


def test_values_mapping_for_coded_columns(office: Path, tmp_path: Path) -> None:
    recs = [(y, u, {"加分": "奖", "扣分": "罚"}.get(k, k), p, r) for y, u, k, p, r in POINTS]
    write_workbook(tmp_path / "考核数据.xlsx", recs)
    with pytest.raises(EvalkitError, match="unknown kind"):
        load(office)
    _spec_with(office, "reason: 事由}", "reason: 事由},\n           values: {kind: {奖: bonus, 罚: "
               "deduction}}")
    _, tables = load(office)
    assert sorted(tables["points"]["kind"].unique()) == ["bonus", "deduction", "veto",
                                                         "yellow_card"]


def test_a_missing_period_sheet_is_named(office: Path) -> None:
    _spec_with(office, "periods: [2024, 2025]", "periods: [2023, 2024, 2025]")
    with pytest.raises(EvalkitError, match="no sheet '2023年指标'"):
        load(office)


def test_an_indicator_header_with_another_unit_is_an_error(office: Path, tmp_path: Path) -> None:
    _spec_with(office, "unit: 万元", "unit: 亿元")
    with pytest.raises(EvalkitError, match=r"一般公共预算收入.*亿元"):
        load(office)


def pasted_as(head: object) -> str:
    """The column a person pastes under a header: the same name, whatever the width of the
    brackets or a unit suffix (the office heads 一般公共预算收入（万元）, 安全生产事故起数; the
    template 一般公共预算收入(万元), 安全生产事故起数(起))."""
    text = unicodedata.normalize("NFKC", str(head)).strip()
    return re.sub(r"\s*\([^()]*\)$", "", text)


def test_init_from_the_catalogue_then_fill_validate_and_run(tmp_path: Path) -> None:
    """A new office: init from its catalogue, paste its data into the template, run."""
    book = write_workbook(tmp_path / "考核数据.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb.create_sheet("指标体系")
    ws.append(["编码", "名称", "所属维度", "指标属性", "分值（乡镇）", "分值（县直部门）", "目标值",
               "计分方法", "计量单位"])
    ws.append(["gdp", "地区生产总值增速", "经济发展", "正向", 30, None, None, "比例计分", "%"])
    ws.append(["rev", "一般公共预算收入", "经济发展", "正向", 20, None, None, "功效系数法", "万元"])
    ws.append(["acc", "安全生产事故起数", "社会治理", "逆向", 20, None, None, "极差法", "起"])
    ws.append(["sat", "群众满意率", "社会治理", "正向", 30, 40, 90, "完成率", "%"])
    ws.append(["svc", "政务服务按时办结率", "机关效能", "正向", None, 60, None, "比例计分", "%"])
    wb.save(book)
    made = init_project("county", root=tmp_path / "proj", catalogue=book, periods=[2024, 2025])
    office_book = openpyxl.load_workbook(book)
    template = openpyxl.load_workbook(made.template)
    for sheet in ("单位名单", "2024年指标", "2025年指标", "加减分"):    # paste the data in
        src, dst = office_book[sheet], template[sheet]
        heads = [pasted_as(c.value) for c in dst[1]]
        pos = {pasted_as(h): k for k, h in enumerate(c.value for c in src[1])}
        for row in src.iter_rows(min_row=2, values_only=True):
            dst.append([row[pos[h]] if h in pos else None for h in heads])
    template.save(made.template)
    v = check(made.spec)
    assert sorted(v.results.totals["period"].unique()) == ["2024", "2025"]
    got = v.results.totals.query("period == '2025'").set_index("unit_id")
    want = office_totals("2025")
    np.testing.assert_allclose(got.loc[CODES[:6], "total"], want.loc[CODES[:6], "total"],
                               atol=1e-9)                    # same rules for the townships


def test_reports_show_points_and_only_the_perspectives_that_apply(office: Path,
                                                                   tmp_path: Path) -> None:
    from evalkit.report.data import unit_view
    from evalkit.report.plots import perspective_frame
    from evalkit.report.tables import indicator_table

    spec, tables = load(office)
    folder = build(spec, tables).save(tmp_path / "results", excel=False)
    dept = unit_view(folder, CODES[6])                   # a department: no 经济发展 indicator
    assert perspective_frame(dept).index.tolist() == ["social", "gov"]
    town = unit_view(folder, CODES[0])                   # a township: no 机关效能 indicator
    assert perspective_frame(town).index.tolist() == ["econ", "social"]
    html = str(indicator_table(town))
    assert "分值" in html and "得分 × 分值 ÷ 100" in html and "全局权重" not in html
    assert ">30.00<" in html                             # 地区生产总值增速: 30 of 100 points
