"""Task ledger (预安销号): arithmetic on hand-made ledgers, escalation boundaries, bad input,
the ``tasks`` source and the demo ledger against the seed's published figures.

Expected values are worked by hand from the rules of seed 002 (湘潭高新区督查室,
"'预安销号'提升执行力"): a task not closed in its month is one month late (points), still open
the next month two (诫勉谈话, admonition), three months a disciplinary review; unfinished
tasks roll over to the next month; closure counts 30 points of the annual score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from evalkit.core.errors import EvalkitError, ProblemList, SpecError, TableError
from evalkit.demo.tasks import demo_ledger
from evalkit.sources import SOURCES
from evalkit.sources.tasks.ledger import summarise_ledger, validate_tasks, zone_summary

SHARED = Path(__file__).resolve().parents[2] / "shared"


def ledger(rows: list[tuple], period: int = 2025) -> pd.DataFrame:
    """rows: (unit, task, planned, due, closed or None, highlight)."""
    df = pd.DataFrame(rows, columns=["unit_id", "task_id", "planned_month", "due_month",
                                     "closed_month", "highlight"])
    return df.assign(period=period)


# A unit's year, worked by hand (as_of = December, month 12):
#   a  due 1, closed 1                  on time
#   b  due 1, closed 2                  late 1 month      -> deduction
#   c  due 2, closed 4                  late 2 months     -> admonition
#   d  due 3, closed 6                  late 3 months     -> disciplinary
#   e  due 4, open                      overdue 12-4+1=9  -> disciplinary
#   f  due 12, open                     overdue 1         -> deduction (not closed in December)
#   g  planned 5, due 6, closed 5, highlighted            on time (early), bonus
#   h  due 11, open, highlighted        overdue 2 -> admonition; no bonus (not closed)
HAND = ledger([
    ("T01", "a", 1, 1, 1, False), ("T01", "b", 1, 1, 2, False), ("T01", "c", 2, 2, 4, False),
    ("T01", "d", 3, 3, 6, False), ("T01", "e", 3, 4, None, False),
    ("T01", "f", 10, 12, None, False), ("T01", "g", 5, 6, 5, True),
    ("T01", "h", 11, 11, None, True),
])


def test_hand_ledger_year() -> None:
    y = summarise_ledger(HAND).yearly.iloc[0]
    assert (y["planned"], y["closed_on_time"], y["closed_late"], y["open"]) == (8, 2, 3, 3)
    assert y["closure_rate"] == pytest.approx(5 / 8)
    assert y["on_time_rate"] == pytest.approx(2 / 8)
    # escalation counts are "reached at least": ≥1 month b c d e f h; ≥2 c d e h; ≥3 d e
    assert (y["n_deduction"], y["n_admonition"], y["n_disciplinary"]) == (6, 4, 2)
    # defaults: scale 30, late credit 0.5, penalties 0.2 / 0.5 / 1.0, highlight 0.2 (cap 2)
    base = 30 * (2 + 0.5 * 3) / 8
    penalty = 0.2 + 0.5 + 1.0 + 1.0 + 0.2 + 0.5
    assert y["base"] == pytest.approx(base)
    assert y["penalty"] == pytest.approx(penalty)
    assert y["bonus"] == pytest.approx(0.2)
    assert y["task_points"] == pytest.approx(base - penalty + 0.2)
    assert y["score"] == pytest.approx((base - penalty + 0.2) / 30 * 100)


def test_hand_ledger_tasks_and_months() -> None:
    led = summarise_ledger(HAND)
    t = led.tasks.set_index("task_id")
    assert t["months_overdue"].to_dict() == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 9, "f": 1,
                                             "g": 0, "h": 2}
    assert t["escalation"].to_dict() == {
        "a": "", "b": "deduction", "c": "admonition", "d": "disciplinary",
        "e": "disciplinary", "f": "deduction", "g": "", "h": "admonition"}
    m = led.monthly.set_index("month")
    # rolled over out of month m = tasks due in m not closed by its end
    assert m["rolled_over"].to_dict() == {1: 1, 2: 1, 3: 1, 4: 1, 5: 0, 6: 0, 7: 0, 8: 0,
                                          9: 0, 10: 0, 11: 1, 12: 1}
    # backlog at the end of each month, listed by hand:
    #   Jan b; Feb c; Mar c d; Apr d e; May d e; Jun e; ...; Nov e h; Dec e f h
    assert m["backlog"].tolist() == [1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 2, 3]
    assert m.loc[6, "planned"] == 1 and m.loc[6, "closed_on_time"] == 1  # g, closed early


@pytest.mark.parametrize(("late", "level"), [(0, ""), (1, "deduction"), (2, "admonition"),
                                             (3, "disciplinary"), (4, "disciplinary")])
def test_escalation_boundaries_closed(late: int, level: str) -> None:
    t = summarise_ledger(ledger([("T01", "x", 2, 2, 2 + late, False)])).tasks
    assert t["months_overdue"].iloc[0] == late
    assert t["escalation"].iloc[0] == level


@pytest.mark.parametrize(("due", "level"), [(9, ""), (8, "deduction"), (7, "admonition"),
                                            (6, "disciplinary")])
def test_escalation_boundaries_open_at_checkpoint(due: int, level: str) -> None:
    # a quarterly checkpoint at September (as_of 9): a task due in August and still open was
    # not closed in August nor September -> 2 months late, admonition
    cfg = {"as_of": 8}
    t = summarise_ledger(ledger([("T01", "x", 1, due, None, False)]), cfg).tasks
    assert t["escalation"].iloc[0] == level
    assert t["months_overdue"].iloc[0] == max(0, 8 - due + 1)


def test_custom_escalation_thresholds_and_scale() -> None:
    cfg = {"scale": 20, "late_credit": 0.0, "highlight": {"points": 1, "cap": 1.5},
           "escalation": [{"id": "warn", "months": 2, "points": 1},
                          {"id": "review", "months": 4, "points": 3}]}
    led = ledger([("T01", "a", 1, 1, 2, True), ("T01", "b", 1, 1, 3, False),
                  ("T01", "c", 1, 1, 5, False), ("T01", "d", 1, 1, 1, True),
                  ("T01", "e", 1, 1, 1, True)])
    t = summarise_ledger(led, cfg)
    assert t.tasks.set_index("task_id")["escalation"].to_dict() == {
        "a": "", "b": "warn", "c": "review", "d": "", "e": ""}
    y = t.yearly.iloc[0]
    # base 20 × 2/5 (late tasks earn nothing), penalty 1 + 3, bonus min(1.5, 3 × 1)
    assert y["task_points"] == pytest.approx(20 * 2 / 5 - 4 + 1.5)
    assert (y["n_warn"], y["n_review"]) == (2, 1)


def test_score_is_clipped_to_scale() -> None:
    led = ledger([("T01", "a", 1, 1, 1, True)] + [("T02", f"x{i}", 1, 1, None, False)
                                                    for i in range(3)])
    y = summarise_ledger(led).yearly.set_index("unit_id")
    assert y.loc["T01", "score"] == 100  # 30 + bonus is capped at the scale
    assert y.loc["T02", "score"] == 0    # 0 − penalties is floored at 0


def test_checkpoint_ignores_later_months() -> None:
    led = ledger([("T01", "a", 1, 3, 5, False), ("T01", "b", 4, 6, 6, False),
                  ("T01", "c", 1, 2, 4, False)])
    y = summarise_ledger(led, {"as_of": 4}).yearly.iloc[0]
    # at April: a (due 3) open -> 2 months; b not yet due; c closed late in April
    assert (y["planned"], y["closed_on_time"], y["closed_late"], y["open"]) == (2, 0, 1, 1)


def test_calendar_months_equal_month_numbers() -> None:
    cal = HAND.assign(**{c: HAND[c].map(lambda m: None if pd.isna(m) else f"2025-{int(m):02d}")
                         for c in ("planned_month", "due_month", "closed_month")})
    a = summarise_ledger(HAND).yearly
    b = summarise_ledger(cal.drop(columns="period")).yearly  # period from the calendar months
    pd.testing.assert_frame_equal(a.drop(columns="period"), b.drop(columns="period"))


# ------------------------------------------------------------------ properties (random)
def naive_backlog(tasks: pd.DataFrame, months: int = 12) -> list[int]:
    """Backlog at each month end by a plain loop over tasks (an independent count)."""
    out = []
    for m in range(1, months + 1):
        n = 0
        for due, closed in zip(tasks["due"], tasks["closed"], strict=True):
            if due <= m and not (closed == closed and closed <= m):
                n += 1
        out.append(n)
    return out


def test_identities_on_random_ledger() -> None:
    rng = np.random.default_rng(7)
    units = pd.DataFrame({"category": ["township"] * 6},
                         index=pd.Index([f"T{i}" for i in range(6)], name="unit_id"))
    q = pd.DataFrame({2025: rng.normal(size=6)}, index=units.index)
    raw = demo_ledger(units, [2025], q, rng, tasks_per_year=400)
    led = summarise_ledger(raw)
    y, m = led.yearly, led.monthly
    assert (y["planned"] == y["closed_on_time"] + y["closed_late"] + y["open"]).all()
    assert (m["planned"] == m["closed_on_time"] + m["closed_late"] + m["open"]).all()
    sums = m.groupby("unit_id")[["planned", "closed_on_time", "closed_late", "open"]].sum()
    pd.testing.assert_frame_equal(sums, y.set_index("unit_id")[sums.columns],
                                  check_dtype=False)
    assert len(y) == 6 and y["score"].between(0, 100).all()
    for u, tasks in led.tasks.groupby("unit_id"):
        assert m[m["unit_id"] == u]["backlog"].tolist() == naive_backlog(tasks)


# ------------------------------------------------------------------ bad input
def test_closed_before_planned_names_row() -> None:
    bad = ledger([("T01", "a", 1, 1, 1, False), ("T01", "b", 3, 3, 2, False)])
    with pytest.raises(TableError, match=r"row 3 \(unit_id T01, task_id b\), column "
                       r"'closed_month'.*before it was planned"):
        summarise_ledger(bad)


def test_month_outside_period_names_row() -> None:
    bad = ledger([("T01", "a", 1, 13, None, False)])
    with pytest.raises(TableError, match=r"row 2 .*'due_month'.*outside period 2025"):
        summarise_ledger(bad)
    cal = pd.DataFrame({"period": 2025, "unit_id": "T01", "task_id": ["a"],
                        "planned_month": ["2024-12"], "due_month": ["2025-01"],
                        "closed_month": [None]})
    with pytest.raises(TableError, match=r"planned_month.*2024-12 lies outside period 2025"):
        summarise_ledger(cal)


def test_unknown_unit_in_period_names_row() -> None:
    units = pd.DataFrame({"period": [2024, 2025], "unit_id": ["T01", "T02"]})
    bad = ledger([("T02", "a", 1, 1, 1, False), ("T01", "b", 1, 1, 1, False)])
    with pytest.raises(TableError, match=r"row 3 \(unit_id T01.*not a unit of period 2025"):
        summarise_ledger(bad, units=units, name="tasks_ledger.csv")


def test_many_problems_reported_together() -> None:
    bad = ledger([("T01", "a", 4, 2, None, False), ("T01", "a", 1, 1, "soon", False),
                  ("T01", "c", None, 1, None, False)])
    with pytest.raises(ProblemList) as err:
        summarise_ledger(bad)
    text = str(err.value)
    assert "due in 2 before it was planned in 4" in text
    assert "cannot read soon as a month" in text
    assert "row 4" in text and "blank" in text
    assert "row 2 (unit_id T01, task_id a), column 'task_id': task a appears more than once" \
        in text
    assert "row 3 (unit_id T01, task_id a), column 'task_id': task a appears more than once" \
        in text


def test_rolled_over_contradiction() -> None:
    bad = ledger([("T01", "a", 1, 1, 1, False)]).assign(rolled_over=1)
    with pytest.raises(TableError, match="rolled_over=1 contradicts"):
        summarise_ledger(bad)


def test_missing_column() -> None:
    with pytest.raises(TableError, match=r"missing column\(s\) \['due_month'\]"):
        summarise_ledger(HAND.drop(columns="due_month"))


@pytest.mark.parametrize(("cfg", "path"), [
    ({"late_credit": 1.5}, "sources.tasks.late_credit"),
    ({"scale": -1}, "sources.tasks.scale"),
    ({"as_of": 13}, "sources.tasks.as_of"),
    ({"escalaton": []}, "sources.tasks.escalaton"),
    ({"escalation": [{"id": "a", "months": 2, "points": 1},
                     {"id": "b", "months": 2, "points": 1}]}, "sources.tasks.escalation[1].months"),
    ({"highlight": {"points": -1}}, "sources.tasks.highlight.points"),
    ({"progress": {"status": {"yellow": 20, "red": 10}}}, "sources.tasks.progress.status"),
])
def test_config_errors_name_yaml_path(cfg: dict, path: str) -> None:
    problems = validate_tasks(cfg, "sources.tasks")
    assert [p.where for p in problems] == [path]
    with pytest.raises(EvalkitError, match=path.replace("[", r"\[").replace("]", r"\]")):
        summarise_ledger(HAND, cfg)


def test_spec_errors_are_spec_errors() -> None:
    assert all(isinstance(p, SpecError) for p in validate_tasks({"months": 0}))


# ------------------------------------------------------------------ source and demo
def test_source_registered_and_scores() -> None:
    src = SOURCES.get("tasks")
    units = pd.DataFrame({"category": ["township"] * 3},
                         index=pd.Index(["T01", "T02", "T03"], name="unit_id"))
    table = pd.concat([HAND, ledger([("T02", "z", 1, 1, 1, False)]),
                       ledger([("T09", "old", 1, 1, 1, False)], period=2024)])
    out = src.compute({"scale": 30}, {"tasks_ledger": table}, units, "2025")
    expected = summarise_ledger(HAND).yearly["task_points"].iloc[0] / 30 * 100
    assert out.score["T01"] == pytest.approx(expected)
    assert out.score["T02"] == 100
    assert np.isnan(out.score["T03"])  # no task: its weight moves to its other sources
    assert list(out.score.index) == ["T01", "T02", "T03"]
    assert {"yearly", "monthly", "ledger"} <= set(out.tables)
    assert (out.tables["yearly"]["period"] == "2025").all()
    with pytest.raises(TableError, match="T09 is not a unit of period 2024"):
        src.compute({}, {"tasks_ledger": table}, units, 2024)


@pytest.fixture(scope="module")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    from evalkit.demo.city import make_demo

    folder = make_demo(tmp_path_factory.mktemp("demo"), n_units=97, seed=2025)
    return {"ledger": pd.read_csv(folder / "tasks_ledger.csv"),
            "quality": pd.read_csv(folder / "_true_quality.csv").set_index("unit_id"),
            "units": pd.read_csv(folder / "units.csv").set_index("unit_id"),
            "progress": pd.read_csv(folder / "project_progress.csv")}


def test_demo_ledger_matches_seed_figures(demo_city: dict[str, pd.DataFrame]) -> None:
    # seed 002: 2,790 tasks planned, 2,647 closed (95%) — one zone; the demo spreads a year's
    # worth over its units; Poisson counts give about ±2·√2790 ≈ ±106
    led = summarise_ledger(demo_city["ledger"], units=demo_city["units"].reset_index())
    z = zone_summary(led.yearly)
    assert z["planned"].between(2790 - 150, 2790 + 150).all()
    assert z["closure_rate"].between(0.93, 0.97).all()


def test_demo_ledger_tracks_quality(demo_city: dict[str, pd.DataFrame]) -> None:
    y = summarise_ledger(demo_city["ledger"]).yearly
    for p, g in y.groupby("period"):
        q = demo_city["quality"][str(p)].reindex(g["unit_id"])
        assert spearmanr(g["score"], q).statistic > 0.4


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared seed folder beside the project "
                    "is absent (it holds seed 002, the source of the 2,790 / 2,647 figures)")
def test_seed_002_states_the_figures() -> None:
    seed = next((SHARED / "seeds").glob("002_*.txt")).read_text(encoding="utf-8")
    assert "2790" in seed and "2647" in seed and "30分" in seed


def test_ledger_rows_named_as_excel_shows_them(tmp_path: Path) -> None:
    """Every ledger message names the row as Excel shows it (header row 1), also when the
    table holds several periods and the bad row is not the first of its period."""
    text = ("period,unit_id,task_id,planned_month,due_month,closed_month\n"
            "2024,T01,a,1,2,2\n2025,T01,a,1,2,2\n2025,T01,b,3,2,\n2025,T01,c,1,13,\n")
    (tmp_path / "tasks_ledger.csv").write_text(text, encoding="utf-8")
    raw = pd.read_csv(tmp_path / "tasks_ledger.csv")
    lines = text.splitlines()
    line_b = 1 + next(k for k, s in enumerate(lines) if ",b," in s)
    line_c = 1 + next(k for k, s in enumerate(lines) if ",c," in s)
    units = pd.DataFrame({"category": ["township"]}, index=pd.Index(["T01"], name="unit_id"))
    check = SOURCES.get("tasks").check_tables
    found = " | ".join(str(e) for e in check({}, {"tasks_ledger": raw}, units,
                                              ["2024", "2025"]))
    assert f"row {line_b} (unit_id T01, task_id b), column 'due_month'" in found
    assert f"row {line_c} (unit_id T01, task_id c), column 'due_month'" in found
    assert (line_b, line_c) == (4, 5)
