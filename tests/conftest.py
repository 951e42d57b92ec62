"""Shared fixtures: a tiny hand-made evaluation and the demo city."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

SHARED = Path(__file__).resolve().parents[2] / "shared"
ASEM = SHARED / "reference" / "asem"

TOY_SPEC: dict[str, Any] = {
    "evaluation": {"id": "toy", "name": "玩具考评", "periods": [2025]},
    "data": {"units": {"file": "units.csv"}, "values": {"file": "values.csv"},
             "points": {"file": "points.csv"}},
    "categories": [{"id": "township", "name": "乡镇"}, {"id": "dept", "name": "部门"}],
    "defaults": {"missing": "reweight"},
    "perspectives": [{"id": "duty", "name": "履职", "weight": 0.6},
                     {"id": "service", "name": "服务", "weight": 0.4}],
    "indicators": [
        {"id": "a", "perspective": "duty", "direction": "benefit", "weight": 2},
        {"id": "b", "perspective": "duty", "direction": "cost"},
        {"id": "c", "perspective": "service", "direction": "target", "target": 50,
         "scoring": {"method": "goalposts", "lower": 0, "upper": 100}},
    ],
    "sources": {"office": {"weight": 1}},
    "points": {"bonus_cap": 5, "yellow_card_multiplier": 2, "veto": {"max_grade": "pass"}},
    "grades": {"levels": [{"id": "excellent", "min_score": 60, "quota": 0.34},
                          {"id": "pass", "min_score": 30}, {"id": "fail"}]},
    "ranking": {"bottom_n": 1},
}
TOY_UNITS = pd.DataFrame({"unit_id": ["T1", "T2", "T3", "D1", "D2", "D3"],
                          "unit_name": ["甲镇", "乙镇", "丙乡", "财政局", "教育局", "<script>"],
                          "category": ["township"] * 3 + ["dept"] * 3})
TOY_VALUES = pd.DataFrame({
    "period": [2025] * 18,
    "unit_id": [u for u in TOY_UNITS["unit_id"] for _ in range(3)],
    "indicator_id": ["a", "b", "c"] * 6,
    "value": [10, 5, 50, 20, 4, 40, 30, 3, 70, 1, 1, 50, 2, 2, 20, 3, 3, 90],
})
TOY_POINTS = pd.DataFrame({"period": [2025] * 4, "unit_id": ["T1", "T1", "T2", "D3"],
                           "kind": ["bonus", "bonus", "yellow_card", "veto"],
                           "points": [4, 3, 1.5, 0], "reason": ["表彰", "表彰", "黄牌", "否决"]})


def write_toy(folder: Path, spec: dict[str, Any] | None = None,
              tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the toy evaluation (optionally altered) to ``folder``; return the spec path."""
    folder.mkdir(parents=True, exist_ok=True)
    base = {"units.csv": TOY_UNITS, "values.csv": TOY_VALUES, "points.csv": TOY_POINTS}
    base.update(tables or {})
    for name, df in base.items():
        df.to_csv(folder / name, index=False)
    path = folder / "toy.yaml"
    path.write_text(yaml.safe_dump(spec if spec is not None else copy.deepcopy(TOY_SPEC),
                                   allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    return write_toy(tmp_path)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city (97 units, every registered capability) with its spec and results."""
    from evalkit.demo.city import make_demo
    from evalkit.run import run_spec

    root = tmp_path_factory.mktemp("demo")
    make_demo(root / "data", spec_path=root / "demo.yaml")
    run_spec(root / "demo.yaml", root / "results")
    return root
