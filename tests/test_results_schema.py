"""The Results schema (``evalkit.results.schema``) against what the real pipeline saves.

The demo city (every capability, two periods, uncertainty) is run by ``run_spec`` (the
``demo_dir`` fixture writes its Results to ``demo_dir / "results"``); each saved table is read
back from its Parquet file with pandas and compared with the schema: every table and every
column documented, key columns present, complete and unique as keys. The workbook's sheet
order and headers come from the schema and the label table.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import TOY_SPEC, write_toy

from evalkit.core.labels import column_label, sheet_label
from evalkit.results import Results, schema
from evalkit.results.schema import REQUIRED, TABLES
from evalkit.run import run_spec


@pytest.fixture(scope="module")
def saved(demo_dir: Path) -> dict[str, pd.DataFrame]:
    """Every table of the demo Results, read from its Parquet file."""
    return {p.stem: pd.read_parquet(p) for p in sorted((demo_dir / "results").glob("*.parquet"))}


def _values(saved: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Placeholder values, read here from the saved tables (not from the schema module)."""
    return {"source": saved["sources"]["source"].astype(str).unique().tolist(),
            "grade": saved["meta_grades"]["grade"].astype(str).unique().tolist()}


def test_every_saved_table_and_column_is_documented(saved):
    assert set(REQUIRED) <= set(saved)
    assert any(n.startswith(("survey_", "peer_", "tasks_")) for n in saved), \
        "the demo should exercise the sources' detail tables"
    values = _values(saved)
    for name, df in saved.items():
        assert name in TABLES, f"table {name} is not in the schema"
        ts = TABLES[name]
        undocumented = [c for c in df.columns if ts.find(c, values) is None]
        assert undocumented == [], f"{name}: columns not documented: {undocumented}"
        assert all(c.meaning for c in ts.columns), name


def test_key_columns_are_present_and_identify_rows(saved):
    for name, df in saved.items():
        ts = TABLES[name]
        keys = ts.present_keys(df.columns)
        assert set(keys) <= set(df.columns), f"{name}: key columns missing"
        assert not df[keys].isna().to_numpy().any(), f"{name}: missing key values"
        if ts.unique:
            assert not df.duplicated(keys).any(), f"{name}: keys {keys} repeat"
        missing = [c for c in ts.required() if c not in df.columns]
        assert missing == [], f"{name}: required columns missing: {missing}"


def test_results_check_is_clean_and_provenance_lists_the_tables(demo_dir, saved):
    res = Results.load(demo_dir / "results")
    assert res.check() == []
    prov = json.loads((demo_dir / "results" / "provenance.json").read_text("utf-8"))
    assert sorted(prov["tables"]) == sorted(saved)


def test_check_names_each_problem(saved):
    tables = {k: v.copy() for k, v in saved.items() if k != "meta_grades"}
    tables["totals"]["mystery"] = 1.0
    tables["nodes"] = pd.concat([tables["nodes"], tables["nodes"].head(1)])
    tables["sources"] = tables["sources"].drop(columns="source")
    tables["made_up"] = pd.DataFrame({"x": [1]})
    problems = schema.check(tables)
    text = "\n".join(problems)
    assert "totals.mystery: column not documented" in text
    assert "nodes: 1 rows repeat the keys ['period', 'unit_id', 'node_id']" in text
    assert "sources.source: column missing" in text
    assert "made_up: table not documented" in text
    assert "table 'meta_grades' is missing" in text
    # without meta_grades and sources.source, placeholder columns are not documented either
    assert "totals.office: column not documented" in text


def test_workbook_follows_the_schema(demo_dir, saved):
    wb = openpyxl.load_workbook(demo_dir / "results" / "results.xlsx", read_only=True)
    order = schema.sheet_order(saved)
    assert order[:len(REQUIRED) - 4] == list(REQUIRED[:-4])  # core tables first, in order
    assert wb.sheetnames == [sheet_label(n, "zh")[:31] for n in order]
    header = [c.value for c in next(wb[sheet_label("totals", "zh")].iter_rows(max_row=1))]
    cols = list(saved["totals"].columns)  # the previous period's total and rank beside
    cols[cols.index("rank") + 1:cols.index("rank") + 1] = ["prev_total", "prev_rank"]
    assert header == [column_label(c, "zh") for c in cols]
    assert "总分" in header and "单位名称" in header
    wb.close()


def test_english_and_id_headers(tmp_path, demo_dir):
    res = Results.load(demo_dir / "results")
    small = Results({k: res.tables[k].head(3) for k in ("points", "totals")})
    en = openpyxl.load_workbook(small.to_excel(tmp_path / "en.xlsx", headers="en"))
    assert en.sheetnames == ["Totals", "Points"]
    assert [c.value for c in en["Totals"][1]][:3] == ["Period", "Unit ID", "Unit"]
    ids = openpyxl.load_workbook(small.to_excel(tmp_path / "id.xlsx", headers="id"))
    assert ids.sheetnames == ["totals", "points"]
    assert [c.value for c in ids["totals"][1]][:2] == ["period", "unit_id"]


def test_treatment_table_matches_the_schema(tmp_path):
    spec = copy.deepcopy(TOY_SPEC)
    spec["treatment"] = {"outliers": {"method": "coinr_winsorise", "winmax": 1}}
    res = run_spec(write_toy(tmp_path / "in", spec), tmp_path / "out")
    saved = {p.stem: pd.read_parquet(p) for p in (tmp_path / "out").glob("*.parquet")}
    assert "treatment" in saved
    assert schema.table_problems("treatment", saved["treatment"]) == []
    assert res.check() == []


def test_current_period_is_one_definition(demo_dir):
    res = Results.load(demo_dir / "results")
    totals = pd.read_parquet(demo_dir / "results" / "totals.parquet")
    assert res.current_period == str(totals["period"].astype(str).max())
    assert res.current_period == res.provenance["current_period"]
    # without provenance: the last period of totals, in time order (10 after 9)
    bare = Results({"totals": pd.DataFrame({"period": [9, 10, 9], "unit_id": ["a", "a", "b"]})})
    assert bare.current_period == "10" and bare.periods == ["9", "10"]
    assert Results({}).current_period is None


def test_markdown_documents_every_table():
    md = schema.markdown()
    for name, ts in TABLES.items():
        assert f"### `{name}`" in md
        assert all(f"`{c.name}`" in md for c in ts.columns)
