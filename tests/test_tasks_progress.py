"""Schedule progress (时序进度): traffic lights, monthly red flags, yellow cards.

Rules from seed 004 (目标督查业务工作交流会材料汇编): two red-flag units a month,
"原则上1个县级部门、1个乡镇", each earning 1 point of the comprehensive score; projects behind
schedule get a yellow card and a deduction. Expected values below are worked by hand
from those rules and the thresholds stated in each test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.core.errors import ProblemList, SpecError, TableError
from evalkit.demo.tasks import demo_progress
from evalkit.sources import SOURCES
from evalkit.sources.tasks.progress import (
    POINTS_COLUMNS,
    progress_records,
    red_flags,
    schedule_status,
    validate_progress,
    yellow_cards,
)

UNITS = pd.DataFrame({"category": ["township", "township", "gov_dept", "party_dept", "other"]},
                     index=pd.Index(["T01", "T02", "G01", "P01", "X01"], name="unit_id"))


def progress(rows: list[tuple], period: int = 2025) -> pd.DataFrame:
    """rows: (project, unit, month, planned, actual)."""
    df = pd.DataFrame(rows, columns=["project_id", "unit_id", "month", "planned_pct",
                                     "actual_pct"])
    return df.assign(period=period)


@pytest.mark.parametrize(("actual", "status"), [(50, "green"), (45.01, "green"),
                                                (45, "yellow"), (35.01, "yellow"), (35, "red"),
                                                (0, "red"), (60, "green")])
def test_status_boundaries(actual: float, status: str) -> None:
    # planned 50%: lag = 50 − actual; yellow from 5 points behind, red from 15
    st = schedule_status(progress([("P1", "T01", 6, 50, actual)]))
    assert st["status"].iloc[0] == status
    assert st["lag"].iloc[0] == pytest.approx(50 - actual)


def test_custom_thresholds() -> None:
    st = schedule_status(progress([("P1", "T01", 6, 50, 42)]),
                         {"status": {"yellow": 10, "red": 20}})
    assert st["status"].iloc[0] == "green"


def test_red_flags_best_township_and_best_department() -> None:
    p = progress([
        # month 3: T01 +5 (mean of +10 and 0), T02 +2, G01 +1, P01 +4 -> T01 and P01
        ("A", "T01", 3, 30, 40), ("B", "T01", 3, 30, 30), ("C", "T02", 3, 30, 32),
        ("D", "G01", 3, 30, 31), ("E", "P01", 3, 30, 34), ("F", "X01", 3, 30, 90),
        # month 4: townships tie at +3 (both flagged); departments all behind -> none
        ("A", "T01", 4, 40, 43), ("C", "T02", 4, 40, 43), ("D", "G01", 4, 40, 39),
        ("E", "P01", 4, 40, 30),
    ])
    flags = red_flags(schedule_status(p), UNITS)
    got = sorted(zip(flags["unit_id"], flags["reason"].str.extract(r"month (\d+)")[0],
                     strict=True))
    assert got == [("P01", "3"), ("T01", "3"), ("T01", "4"), ("T02", "4")]
    assert (flags["kind"] == "bonus").all() and (flags["points"] == 1).all()
    assert list(flags.columns) == POINTS_COLUMNS


def test_red_flag_needs_to_be_ahead_by_margin() -> None:
    p = progress([("A", "T01", 3, 30, 33), ("D", "G01", 3, 30, 36)])
    flags = red_flags(schedule_status(p), UNITS, {"red_flag": {"ahead_by": 4, "points": 2}})
    assert flags["unit_id"].tolist() == ["G01"] and flags["points"].tolist() == [2.0]


def test_yellow_cards_one_per_unit_month() -> None:
    p = progress([("A", "T01", 3, 30, 10), ("B", "T01", 3, 30, 5), ("C", "T02", 3, 30, 20),
                  ("A", "T01", 4, 40, 39), ("D", "G01", 6, 60, 40)])
    cards = yellow_cards(schedule_status(p))
    # T01 month 3 (A and B red), G01 month 6 (lag 20); T02 month 3 is only yellow (lag 10)
    assert cards[["unit_id", "kind"]].to_numpy().tolist() == [["G01", "yellow_card"],
                                                              ["T01", "yellow_card"]]
    assert "A, B" in cards.set_index("unit_id").loc["T01", "reason"]
    on_yellow = yellow_cards(schedule_status(p), {"yellow_card": {"status": "yellow"}})
    assert sorted(on_yellow["unit_id"]) == ["G01", "T01", "T02"]
    checkpoints = yellow_cards(schedule_status(p), {"yellow_card": {"months": [6, 12]}})
    assert checkpoints["unit_id"].tolist() == ["G01"]


def test_records_feed_the_points_table_through_the_source() -> None:
    src = SOURCES.get("tasks")
    ledger = pd.DataFrame({"period": 2025, "unit_id": ["T01"], "task_id": ["t"],
                           "planned_month": [1], "due_month": [1], "closed_month": [1]})
    p = progress([("A", "T01", 3, 30, 40), ("D", "G01", 3, 30, 10)])
    out = src.compute({"progress": {}}, {"tasks_ledger": ledger, "project_progress": p},
                      UNITS, 2025)
    pts = out.tables["points"]
    assert list(pts.columns) == POINTS_COLUMNS
    assert set(pts["kind"]) <= {"bonus", "deduction", "yellow_card", "veto"}
    assert pts[["unit_id", "kind"]].to_numpy().tolist() == [["T01", "bonus"],
                                                            ["G01", "yellow_card"]]
    assert set(out.tables["progress"]["status"]) == {"green", "red"}


# ------------------------------------------------------------------ bad input
def test_bad_rows_named() -> None:
    bad = progress([("A", "T01", 13, 30, 40), ("B", "T01", 3, 30, 140),
                    ("C", "Z99", 3, 30, 30), ("C", "Z99", 3, 30, 31)])
    with pytest.raises(ProblemList) as err:
        schedule_status(bad, units=UNITS)
    text = str(err.value)
    assert "row 2 (unit_id T01, project_id A), column 'month'" in text
    assert "month 13 lies outside period 2025" in text
    assert "row 3 (unit_id T01, project_id B), column 'actual_pct'" in text
    assert "row 4 (unit_id Z99, project_id C), column 'unit_id'" in text
    assert "row 4 (unit_id Z99, project_id C), column 'month': project reported more than " \
        "once" in text
    assert "row 5 (unit_id Z99, project_id C), column 'month': project reported more than " \
        "once" in text


def test_missing_columns() -> None:
    with pytest.raises(TableError, match="missing column"):
        schedule_status(progress([("A", "T01", 3, 30, 40)]).drop(columns="actual_pct"))


@pytest.mark.parametrize(("cfg", "path"), [
    ({"colour": 1}, "p.colour"),
    ({"status": {"yellow": -1}}, "p.status.yellow"),
    ({"red_flag": {"groups": {"a": ["township"], "b": ["township"]}}}, "p.red_flag.groups"),
    ({"yellow_card": {"status": "green"}}, "p.yellow_card.status"),
    ({"yellow_card": {"months": [0]}}, "p.yellow_card.months"),
])
def test_config_errors(cfg: dict, path: str) -> None:
    problems = validate_progress(cfg, "p")
    assert [p.where for p in problems] == [path]
    assert all(isinstance(p, SpecError) for p in problems)


# ------------------------------------------------------------------ demo
def test_demo_progress_is_monotone_and_tracks_quality() -> None:
    rng = np.random.default_rng(3)
    n = 60
    units = pd.DataFrame({"unit_name": [f"单位{i}" for i in range(n)],
                          "category": ["township"] * 20 + ["gov_dept"] * 40},
                         index=pd.Index([f"U{i:02d}" for i in range(n)], name="unit_id"))
    q = pd.DataFrame({2025: rng.normal(size=n)}, index=units.index)
    df = demo_progress(units, [2025], q, rng)
    st = schedule_status(df, units=units)
    wide = df.pivot(index="project_id", columns="month", values="actual_pct")
    assert (wide.diff(axis=1).iloc[:, 1:] >= 0).all().all()  # cumulative progress
    lead = -st.groupby("unit_id")["lag"].mean()
    assert np.corrcoef(lead, q[2025].reindex(lead.index))[0, 1] > 0.3
    status, pts = progress_records({"project_progress": df}, {}, units, 2025)
    assert len(status) == len(df)
    months = pts[pts["kind"] == "bonus"]["reason"].str.extract(r"month (\d+)")[0]
    assert months.nunique() >= 6  # red flags are awarded in most months


def test_progress_rows_named_as_excel_shows_them(tmp_path: Path) -> None:
    """Every progress message names the row as Excel shows it (header row 1), also when the
    table holds several periods."""
    text = ("period,project_id,unit_id,month,planned_pct,actual_pct\n"
            "2024,A,T01,3,30,30\n2025,A,T01,3,30,30\n2025,B,T01,3,30,140\n")
    (tmp_path / "project_progress.csv").write_text(text, encoding="utf-8")
    raw = pd.read_csv(tmp_path / "project_progress.csv")
    line_b = 1 + next(k for k, s in enumerate(text.splitlines()) if ",B," in s)
    led = pd.DataFrame({"period": [2024, 2025], "unit_id": "T01", "task_id": "a",
                        "planned_month": 1, "due_month": 1, "closed_month": 1})
    check = SOURCES.get("tasks").check_tables
    found = " | ".join(str(e) for e in check(
        {"progress": {}}, {"tasks_ledger": led, "project_progress": raw}, UNITS,
        ["2024", "2025"]))
    assert f"row {line_b} (unit_id T01, project_id B), column 'actual_pct'" in found
    assert line_b == 4
