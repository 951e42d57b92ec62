"""A small evaluation written and evaluated by the real pipeline, for the report tests.

Not a test module: ``tests/test_report*.py`` import :func:`build_results`. The city has
three categories, two periods, points with reasons, a unit named ``<script>…`` and a unit
whose id is ``../evil`` (both must stay harmless in the reports).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SPEC = {
    "evaluation": {"id": "toycity", "name": "示例市绩效考评", "name_en": "Toy city evaluation",
                   "language": "zh"},
    "data": {"units": {"file": "units.csv"}, "values": {"file": "values.csv"},
             "points": {"file": "points.csv"}},
    "categories": [{"id": "township", "name": "乡镇", "name_en": "Townships"},
                   {"id": "gov_dept", "name": "政府部门", "name_en": "Government departments"}],
    "perspectives": [{"id": "duty", "name": "履职成效", "name_en": "Duties", "weight": 0.6},
                     {"id": "service", "name": "服务群众", "name_en": "Service", "weight": 0.4}],
    "indicators": [
        {"id": "gdp", "name": "经济增长", "name_en": "Growth", "perspective": "duty",
         "direction": "benefit", "target": 6.0, "unit": "%"},
        {"id": "safety", "name": "安全事故", "name_en": "Accidents", "perspective": "duty",
         "direction": "cost", "target": 2.0},
        {"id": "complaints", "name": "投诉办结率", "name_en": "Complaints closed",
         "perspective": "service", "direction": "benefit", "target": 95.0, "unit": "%"},
    ],
    "points": {"bonus_cap": 5},
    "grades": {"levels": [{"id": "A", "name": "优秀", "name_en": "Excellent", "min_score": 60,
                           "quota": 0.3},
                          {"id": "B", "name": "良好", "name_en": "Good", "min_score": 40},
                          {"id": "C", "name": "合格", "name_en": "Pass"}]},
    "ranking": {"bottom_n": 1},
}

UNITS = pd.DataFrame({
    "unit_id": ["T01", "T02", "T03", "T04", "D01", "D02", "D03", "../evil"],
    "unit_name": ["东城镇", "西城镇", "南山乡", "<script>alert(1)</script>", "发改委", "财政局",
                  "教育局", "越界单位"],
    "unit_name_en": ["East Town", "West Town", "South Hill", "<script>alert(1)</script>",
                     "Development", "Finance", "Education", "Escaper"],
    "category": ["township"] * 4 + ["gov_dept"] * 4,
})


def build_results(folder: Path, n_extra: int = 0) -> Path:
    """Write the toy city's inputs and spec into ``folder``, run the pipeline, return Results.

    ``n_extra`` adds that many ordinary townships (for batch sizes).
    """
    from evalkit.run import run_spec

    folder.mkdir(parents=True, exist_ok=True)
    units = UNITS
    if n_extra:
        extra = pd.DataFrame({"unit_id": [f"X{i:03d}" for i in range(n_extra)],
                              "unit_name": [f"新镇{i}" for i in range(n_extra)],
                              "unit_name_en": [f"New town {i}" for i in range(n_extra)],
                              "category": "township"})
        units = pd.concat([units, extra], ignore_index=True)
    rng = np.random.default_rng(7)
    rows = []
    for period in (2024, 2025):
        for ind, lo, hi in (("gdp", 2, 9), ("safety", 0, 5), ("complaints", 80, 100)):
            vals = rng.uniform(lo, hi, len(units)).round(2)
            rows.append(pd.DataFrame({"period": period, "unit_id": units["unit_id"],
                                      "indicator_id": ind, "value": vals}))
    values = pd.concat(rows, ignore_index=True)
    points = pd.DataFrame({
        "period": [2025, 2025, 2025, 2024],
        "unit_id": ["T01", "T02", "D01", "T01"],
        "kind": ["bonus", "deduction", "veto", "bonus"],
        "points": [3.0, 2.0, 0.0, 1.0],
        "reason": ["省级表彰", "安全生产通报 <b>", "重大事故一票否决", "市级表彰"],
    })
    units.to_csv(folder / "units.csv", index=False)
    values.to_csv(folder / "values.csv", index=False)
    points.to_csv(folder / "points.csv", index=False)
    (folder / "spec.yaml").write_text(yaml.safe_dump(SPEC, allow_unicode=True), "utf-8")
    run_spec(folder / "spec.yaml", out=folder / "results")
    return folder / "results"
