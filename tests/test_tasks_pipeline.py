"""The ledger, schedule progress and history rules inside ``evaluate`` on the demo city.

Properties that must hold whatever the data: the ``tasks`` source score in the totals is the
ledger's task points / scale × 100; the red flags and yellow cards of schedule progress
reach the points table; the history rules' flags are in ``totals.flags`` exactly for the
unit-periods the rules fire on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.history import history_events, parse_rules
from evalkit.sources.tasks.ledger import summarise_ledger

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "params" / "demo.yaml"


@pytest.fixture(scope="module")
def demo() -> tuple[object, object, dict[str, pd.DataFrame]]:
    from evalkit.inputs.tables import load_tables
    from evalkit.run import build
    from evalkit.validate import load_spec

    spec = load_spec(SPEC)
    if "tasks" not in spec.sources:
        pytest.skip("params/demo.yaml has no tasks source (regenerate it: make demo)")
    tables = load_tables(spec)
    return spec, build(spec, tables), tables


def test_tasks_score_enters_totals(demo) -> None:
    spec, res, tables = demo
    cfg = spec.source_config("tasks")
    tot = res.tables["totals"]
    for period, g in tot.groupby("period"):
        raw = tables[cfg["ledger"]]
        led = summarise_ledger(raw[raw["period"].astype(str) == str(period)], cfg)
        expected = led.yearly.set_index("unit_id")["task_points"] / cfg["scale"] * 100
        got = g.set_index("unit_id")["tasks"]
        np.testing.assert_allclose(got.to_numpy(), expected.reindex(got.index).to_numpy())
    src = res.tables["sources"]
    assert (src[src["source"] == "tasks"]["weight"] == spec.sources["tasks"]["weight"]).all()
    assert {"tasks_yearly", "tasks_monthly", "tasks_ledger", "tasks_progress"} <= set(
        res.tables)


def test_progress_records_reach_points(demo) -> None:
    _, res, _ = demo
    pts = res.tables["points"]
    flags = pts[pts["reason"].str.contains("流动红旗", regex=False)]
    cards = pts[pts["reason"].str.contains("黄牌警告) month", regex=False)]
    assert len(flags) >= 12 and (flags["kind"] == "bonus").all()  # ≥ 1 a month per period
    assert len(cards) > 0 and (cards["kind"] == "yellow_card").all()


def test_history_flags_in_totals(demo) -> None:
    spec, res, _ = demo
    tot = res.tables["totals"]
    rules = parse_rules(spec.history)
    ev = history_events(tot, rules)
    assert not ev.empty  # the demo's two periods do complete a two-period rule
    fired = set(zip(ev["period"].astype(str), ev["unit_id"], ev["flag"], strict=True))
    for r in rules:
        has = tot["flags"].str.split(";").map(lambda fl, f=r.flag: f in fl)
        marked = set(zip(tot["period"].astype(str)[has], tot["unit_id"][has], strict=True))
        assert marked == {(p, u) for p, u, f in fired if f == r.flag}


@pytest.mark.parametrize(("section", "value", "path"), [
    ("sources", {"tasks": {"weight": 0.1, "late_credit": 2}}, "sources.tasks.late_credit"),
    ("sources", {"tasks": {"weight": 0.1, "progress": {"status": {"red": "high"}}}},
     "sources.tasks.progress.status.red"),
    ("history", {"rules": [{"id": "x", "when": "rank <= ", "periods": 2}]},
     "history.rules[0].when"),
])
def test_spec_validation_names_yaml_path(section: str, value: dict, path: str) -> None:
    import yaml

    from evalkit.core.errors import EvalkitError
    from evalkit.validate import spec_from_dict

    raw = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    raw[section] = {**raw.get(section, {}), **value} if section == "sources" else value
    with pytest.raises(EvalkitError) as err:
        spec_from_dict(raw, base_dir=SPEC.parent)
    problems = getattr(err.value, "problems", [err.value])
    assert path in [p.where for p in problems]
