"""The workbooks read back with openpyxl: ``results.xlsx`` and the publication workbook.

The demo city's Results (``demo_dir``) are written by ``Results.to_excel`` (zh and en) and
:func:`evalkit.report.overview.write_publication`; each workbook is opened with openpyxl, as
an office's spreadsheet would read it, and checked against the Parquet files read with pandas:
sheet names and headers in the language asked for, names beside codes, number formats,
sorting by category and rank, autofilter, frozen panes, widths fitted to Chinese text, fixed
document properties (the same Results give the same bytes).
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evalkit.core.labels import sheet_label
from evalkit.report.overview import write_publication
from evalkit.results import Results
from evalkit.results.excel import ROW_LIMIT
from evalkit.results.xlsx import display_width

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def res(demo_dir: Path) -> Results:
    return Results.load(demo_dir / "results")


@pytest.fixture(scope="module")
def books(res: Results, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("books")
    return {"zh": res.to_excel(d / "zh.xlsx"), "en": res.to_excel(d / "en.xlsx", headers="en"),
            "pub": write_publication(res, d / "pub.xlsx")}


def rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def cell_formats(ws, header_row: int = 1) -> dict[str, set[str]]:
    """header -> the number formats of its cells (below the header)."""
    head = [c.value for c in ws[header_row]]
    out: dict[str, set[str]] = {str(h): set() for h in head}
    for row in ws.iter_rows(min_row=header_row + 1):
        for h, c in zip(head, row, strict=False):
            if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                out[str(h)].add(c.number_format)
    return out


def test_sheet_names_and_headers_in_chinese_throughout(books, res):
    wb = openpyxl.load_workbook(books["zh"], read_only=True)
    assert wb.sheetnames[:3] == ["总分排名", "指标得分", "维度得分"]
    assert all(CJK.search(n) for n in wb.sheetnames), wb.sheetnames
    for name in wb.sheetnames:
        head = next(wb[name].iter_rows(max_row=1, values_only=True))
        latin = [h for h in head if h and not CJK.search(str(h))]
        assert not latin, (name, latin)  # no n_eff, rate_lo, ...
    assert "民评分群体" in wb.sheetnames and "有效样本量" in \
        next(wb["民评汇总"].iter_rows(max_row=1, values_only=True))


def test_the_input_audit_reads_in_chinese(books, res):
    """What each policy did (数据检查记录) is written in words of the report's language: no
    English phrase is left in the 事项 and 数据表 columns, and locations keep their ids."""
    audit = res.tables["input_audit"]
    assert len(audit) > 5                              # the demo city's policies acted
    wb = openpyxl.load_workbook(books["zh"], read_only=True)
    head, *body = rows(wb["数据检查记录"])
    what, table, where = (head.index(h) for h in ("事项", "数据表", "位置"))
    shown = audit["period"].astype(str).isin([str(res.current_period), "all"])
    assert len(body) == int(shown.sum())         # the current period's rows and the spec's
    for r in body:
        assert CJK.search(r[what]) and not re.search(r"[a-z]{3,}", r[what]), r
        assert CJK.search(r[table]), r
        assert not re.search(r"\b(indicator|category|rule)\b", r[where] or ""), r


def test_english_on_request(books):
    wb = openpyxl.load_workbook(books["en"], read_only=True)
    assert wb.sheetnames[:4] == ["Totals", "Indicators", "Perspectives", "Sources"]
    assert not [n for n in wb.sheetnames if CJK.search(n)]
    head = next(wb["Survey by unit"].iter_rows(max_row=1, values_only=True))
    assert "Effective n" in head and "n_eff" not in head


def test_names_beside_codes(books, res):
    wb = openpyxl.load_workbook(books["zh"])
    cats = res.tables["meta_categories"].set_index("category")["name"]
    tot = rows(wb["总分排名"])
    assert {r[tot[0].index("类别")] for r in tot[1:]} == set(cats)  # by name, not township
    src = rows(wb["评价来源"])
    assert "官评（绩效办考核）（office）·得分" in src[0]
    assert "履职成效（duties）·贡献分" in rows(wb["维度得分"])[0]
    pts = rows(wb["加扣分"])
    kinds = {r[pts[0].index("类型名称")] for r in pts[1:]}
    assert kinds <= {"加分", "扣分", "黄牌警告", "一票否决"}
    wide = rows(wb["指标得分"])
    names = res.tables["meta_indicators"].set_index("indicator_id")["name"]
    assert f"{names['D01']}（D01）" in wide[0]
    meta = rows(wb["指标说明"])
    assert "指标名称" in meta[0] or "名称" in meta[0]
    directions = {r[meta[0].index("方向")] for r in meta[1:]}
    assert directions <= {"越大越好", "越小越好", "越接近目标越好"}


def test_number_formats(books):
    wb = openpyxl.load_workbook(books["zh"])
    tot = cell_formats(wb["总分排名"])
    assert tot["总分"] == {"0.00"} and tot["类别排名"] == {"0"} and tot["官评"] == {"0.00"}
    src = cell_formats(wb["评价来源"])
    for head, formats in src.items():
        if "·" in head:
            assert formats == ({"0.00%"} if head.endswith("权重") else {"0.00"}), head
    assert src["官评（绩效办考核）（office）·实际权重"] == {"0.00%"}
    grp = cell_formats(wb["民评分群体"])
    assert grp["满意率"] == {"0.00%"} and grp["满意率下限"] == {"0.00%"}
    assert cell_formats(wb["指标得分"])["地区生产总值增速（D01）"] == {"0.00"}


def test_sorted_by_category_and_rank(books, res):
    wb = openpyxl.load_workbook(books["zh"], read_only=True)
    order = list(res.tables["meta_categories"]["name"])
    tot = rows(wb["总分排名"])
    head = tot[0]
    cur = [r for r in tot[1:] if str(r[head.index("考核期")]) == res.current_period]
    assert len(cur) == (res.tables["totals"]["period"].astype(str) == res.current_period).sum()
    keys = [(order.index(r[head.index("类别")]), r[head.index("类别排名")]) for r in cur]
    assert keys == sorted(keys)
    assert str(tot[1][head.index("考核期")]) == res.current_period  # the newest period first
    wide = rows(wb["指标得分"])
    keys = [(order.index(r[0]), r[1]) for r in wide[1:]]
    assert keys == sorted(keys)


def test_totals_show_the_previous_period_beside_the_current(books, res, tmp_path):
    """总分排名 holds the current period's units, each with its total and rank of its latest
    earlier period (from the Parquet totals); empty for a unit new this period."""
    tot = res.tables["totals"]
    periods = sorted(tot["period"].astype(str).unique(), key=int)
    assert len(periods) >= 2 and periods[-1] == res.current_period
    prev = tot[tot["period"].astype(str) == periods[-2]].set_index("unit_id")
    wb = openpyxl.load_workbook(books["zh"], read_only=True)
    head, *body = rows(wb["总分排名"])
    assert {str(r[head.index("考核期")]) for r in body} == {res.current_period}
    assert head.index("上期总分") == head.index("类别排名") + 1
    for r in body:
        u = r[head.index("单位代码")]
        assert r[head.index("上期总分")] == pytest.approx(prev.loc[u, "total"])
        assert r[head.index("上期类别排名")] == prev.loc[u, "rank"]
    # a unit without a row in the previous period: its cells are empty, not another's
    new = body[0][head.index("单位代码")]
    lean = Results({**res.tables, "totals": tot[~((tot["period"].astype(str) == periods[-2])
                                                  & (tot["unit_id"] == new))]},
                   res.provenance, res.spec)
    head2, *body2 = rows(openpyxl.load_workbook(lean.to_excel(tmp_path / "lean.xlsx"),
                                                read_only=True)["总分排名"])
    shown = {r[head2.index("单位代码")]: r[head2.index("上期总分")] for r in body2}
    assert shown[new] is None and sum(v is None for v in shown.values()) == 1
    assert cell_formats(wb["总分排名"])["上期类别排名"] == {"0"}


@pytest.mark.parametrize(("sheet", "table", "key"), [("维度得分", "nodes", "node_id"),
                                                     ("评价来源", "sources", "source")])
def test_wide_sheets_hold_every_figure_of_the_long_table(books, res, sheet, table, key):
    """维度得分 and 评价来源 are one row per unit, sorted like 指标得分; every figure of the
    current period's long table (Parquet) is in its cell, and no cell holds anything else."""
    wb = openpyxl.load_workbook(books["zh"], read_only=True)
    head, *body = rows(wb[sheet])
    assert [r[2] for r in body] == [r[2] for r in rows(wb["指标得分"])[1:]]  # same units, order
    long = res.tables[table]
    long = long[long["period"].astype(str) == res.current_period]
    labels = {"score": "得分", "weight": "权重", "effective_weight": "实际权重",
              "contribution": "贡献分"}
    cells = {}
    for r in body:
        for h, v in zip(head[5:], r[5:], strict=True):
            code, _, figure = h.rpartition("·")
            cells[(r[2], code[code.rindex("（") + 1:-1], figure)] = v
    want = {(u, k, labels[f]): v for f in labels if f in long.columns
            for u, k, v in zip(long["unit_id"], long[key], long[f], strict=True)}
    assert set(want) <= set(cells)
    assert all(cells[k] == pytest.approx(v) for k, v in want.items() if pd.notna(v))
    assert all(v is None for k, v in cells.items() if k not in want)
    assert len(body) == long["unit_id"].nunique()


def test_filter_frozen_panes_and_widths(books):
    wb = openpyxl.load_workbook(books["zh"])
    ws = wb["总分排名"]
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    assert ws.freeze_panes == "D2"  # the header, the period, the unit's id and name
    head = [c.value for c in ws[1]]
    col = openpyxl.utils.get_column_letter(head.index("单位名称") + 1)
    longest = max(display_width(str(r[head.index("单位名称")])) for r in rows(ws)[1:])
    assert ws.column_dimensions[col].width >= longest  # a CJK character counts two
    assert wb["指标得分"].freeze_panes == "E2"
    # a long header over a column of numbers wraps, on a header row tall enough for it
    ws = wb["评价来源"]
    cell = next(c for c in ws[1] if c.value == "官评（绩效办考核）（office）·实际权重")
    width = next(d.width for d in ws.column_dimensions.values()   # ranges of equal widths
                 if d.min <= cell.column <= d.max)
    assert width < display_width(cell.value) and cell.alignment.wrap_text
    assert ws.row_dimensions[1].height >= 15 * -(-display_width(cell.value) // (width - 3))


def test_long_tables_say_where_their_rows_are(res, tmp_path):
    big = Results({**res.tables, "peer_pairs": pd.concat([res.tables["peer_pairs"]] * 40)},
                  res.provenance, res.spec)
    assert (big.tables["peer_pairs"]["period"].astype(str) == res.current_period).sum() \
        > ROW_LIMIT
    wb = openpyxl.load_workbook(big.to_excel(tmp_path / "big.xlsx"), read_only=True)
    note = rows(wb[sheet_label("peer_pairs", "zh")])
    assert note[0] == ["备注"] and "peer_pairs.parquet" in note[1][0]


def test_same_results_same_bytes_and_fixed_properties(res, books, tmp_path):
    again = res.to_excel(tmp_path / "again.xlsx")
    assert again.read_bytes() == books["zh"].read_bytes()
    props = openpyxl.load_workbook(books["zh"], read_only=True).properties
    assert props.created.year == 1980 and props.title == "示范市年度绩效考评"


def test_publication_workbook(books, res):
    wb = openpyxl.load_workbook(books["pub"])
    cats = list(res.tables["meta_categories"]["name"])
    assert wb.sheetnames == [f"公示·{c}" for c in cats] + ["指标得分（宽表）", "指标体系"]
    ws = wb[f"公示·{cats[0]}"]
    assert "考核结果公示" in ws["A1"].value and ws.freeze_panes == "C3"
    table = rows(ws)[1:]
    assert table[0] == ["类别内排名", "单位", "编号", "总分", "等次", "标记"]
    ranks = [r[0] for r in table[1:]]
    assert ranks == sorted(ranks)
    flags = {r[5] for r in table[1:] if r[5]}
    assert flags and all(CJK.search(f) and "bottom" not in f for f in flags)
    assert cell_formats(ws, 2)["总分"] == {"0.00"}
    cat = rows(wb["指标体系"])
    assert "全部" in {r[cat[0].index("适用类别")] for r in cat[1:]}
