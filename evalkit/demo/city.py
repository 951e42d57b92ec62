"""A deterministic synthetic city for the demo, the tests and the benchmarks.

:func:`make_demo` writes the raw tables a performance office receives (units, indicator
values, bonus / deduction / veto records, leaders' ratings, and every table a registered
capability adds: survey responses, peer ratings, the task ledger, …) and, optionally, the
evaluation spec that reads them. The same seed gives the same files, byte for byte.
``_true_quality.csv`` holds the latent quality each unit was generated from, so that methods
can be checked against the truth (it is never an input of the evaluation).

The city: townships (乡镇/街道), party departments (党群部门) and government departments
(政府部门) — 97 units by default, as in the city of seed 001 — scored on a balanced scorecard
of four perspectives adapted to government (履职成效 duties & results, 服务群众 public
service, 内部管理 internal management, 学习创新 learning & innovation) with benefit, cost and
target indicators, some of which apply to one category only.

Capabilities add their own raw tables through a hook::

    @register_demo_tables("survey", spec={"sources": {"survey": {"weight": 0.2}},
                                          "data": {"survey_responses": {"file": "..."}}})
    def _demo(units, periods, quality, rng) -> dict[str, pd.DataFrame]:
        return {"survey_responses.parquet": df}

``units`` is indexed by ``unit_id`` (columns unit_name, unit_name_en, category),
``quality`` holds each unit's latent quality per period (≈ N(0, 1)), the returned mapping is
file name → table, and ``spec`` is a fragment merged into the demo spec (file names in it are
relative to the data folder; they are rewritten relative to the spec file).

Examples
--------
>>> import tempfile
>>> folder = make_demo(tempfile.mkdtemp(), n_units=12, seed=1)
>>> [f for f in ["units.csv", "indicator_values.csv", "points.csv"] if (folder / f).exists()]
['units.csv', 'indicator_values.csv', 'points.csv']
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit.core.atomic import atomic_path
from evalkit.demo.registry import DEMO_SPECS, DEMO_TABLES

CATEGORIES = [
    ("township", "乡镇（街道）", "Townships"),
    ("party_dept", "党群部门", "Party departments"),
    ("gov_dept", "政府部门", "Government departments"),
]
PERSPECTIVES = [
    ("duties", "履职成效", "Duties & results", {"township": 0.45, "party_dept": 0.40,
                                                "gov_dept": 0.45}),
    ("service", "服务群众", "Public service", {"township": 0.25, "party_dept": 0.25,
                                               "gov_dept": 0.25}),
    ("management", "内部管理", "Internal management", {"township": 0.15, "party_dept": 0.20,
                                                       "gov_dept": 0.15}),
    ("learning", "学习创新", "Learning & innovation", {"township": 0.15, "party_dept": 0.15,
                                                       "gov_dept": 0.15}),
]

# id, name, name_en, perspective, direction, unit, categories (None = all), base, spread,
# target, scoring
_T, _P, _G = ["township"], ["party_dept"], ["gov_dept"]
INDICATORS: list[tuple[Any, ...]] = [
    ("D01", "地区生产总值增速", "GDP growth", "duties", "benefit", "%", _T, 6.0, 1.5, 6.5,
     {"method": "target_ratio", "cap": 1.2}),
    ("D02", "一般公共预算收入增速", "Fiscal revenue growth", "duties", "benefit", "%", _T, 5.0,
     2.5, None, {"method": "minmax"}),
    ("D03", "固定资产投资完成率", "Investment completion rate", "duties", "benefit", "%", _T,
     95.0, 8.0, 100.0, {"method": "target_ratio"}),
    ("D04", "招商引资到位资金", "Investment attracted", "duties", "benefit", "亿元", _T, 12.0,
     4.0, None, {"method": "minmax"}),
    ("D05", "安全生产事故起数", "Work-safety accidents", "duties", "cost", "起", _T, 2.0, 1.2,
     None, {"method": "minmax"}),
    ("D06", "信访积案化解率", "Petition cases resolved", "duties", "benefit", "%", _T, 88.0,
     6.0, None, {"method": "goalposts", "lower": 60, "upper": 100}),
    ("D07", "空气质量优良天数比例", "Good air-quality days", "duties", "benefit", "%", _T,
     85.0, 5.0, None, {"method": "goalposts", "lower": 60, "upper": 100}),
    ("D08", "重点任务完成率", "Key tasks completed", "duties", "benefit", "%", None, 92.0, 5.0,
     100.0, {"method": "target_ratio"}),
    ("D09", "重点项目时序进度", "Key projects on schedule", "duties", "benefit", "%", _G, 90.0,
     7.0, None, {"method": "bands", "thresholds": [70, 85, 95], "scores": [40, 70, 85, 100]}),
    ("D10", "预算执行率", "Budget execution rate", "duties", "target", "%", _G, 96.0, 4.0,
     100.0, {"method": "target_distance"}),
    ("D11", "行政审批按时办结率", "Approvals on time", "duties", "benefit", "%", _G, 97.0, 2.0,
     None, {"method": "goalposts", "lower": 85, "upper": 100}),
    ("D12", "政策文件按期出台率", "Policies issued on time", "duties", "benefit", "%", _P + _G,
     90.0, 6.0, None, {"method": "minmax"}),
    ("D13", "党建重点工作完成率", "Party-building tasks done", "duties", "benefit", "%", _P,
     93.0, 4.0, None, {"method": "goalposts", "lower": 70, "upper": 100}),
    ("D14", "调研成果转化数", "Research outputs adopted", "duties", "benefit", "项", _P, 6.0,
     2.0, None, {"method": "percentile"}),
    ("S01", "12345热线按时办结率", "Hotline cases closed on time", "service", "benefit", "%",
     None, 95.0, 3.0, None, {"method": "goalposts", "lower": 80, "upper": 100}),
    ("S02", "热线回访满意率", "Hotline callback satisfaction", "service", "benefit", "%",
     None, 90.0, 4.0, None, {"method": "minmax"}),
    ("S03", "群众投诉件数（每万人）", "Complaints per 10,000", "service", "cost", "件", _T,
     4.0, 1.5, None, {"method": "minmax"}),
    ("S04", "政务服务事项网上可办率", "Services available online", "service", "benefit", "%",
     _G, 92.0, 5.0, None, {"method": "goalposts", "lower": 70, "upper": 100}),
    ("S05", "办事平均等待时长", "Average waiting time", "service", "cost", "分钟", _G, 18.0,
     6.0, None, {"method": "minmax"}),
    ("S06", "民生实事完成率", "Livelihood projects done", "service", "benefit", "%", _T, 94.0,
     4.0, 100.0, {"method": "target_ratio"}),
    ("S07", "基层走访服务次数", "Grassroots visits", "service", "benefit", "次", _P, 40.0, 10.0,
     None, {"method": "zscore", "center": 75, "spread": 10}),
    ("S08", "建议提案办复满意率", "Proposals answered satisfactorily", "service", "benefit",
     "%", _P + _G, 96.0, 2.5, None, {"method": "goalposts", "lower": 85, "upper": 100}),
    ("M01", "内控制度执行率", "Internal controls applied", "management", "benefit", "%", None,
     94.0, 3.0, 95.0, {"method": "target_ratio"}),
    ("M02", "督查通报问题整改率", "Inspection issues fixed", "management", "benefit", "%",
     None, 90.0, 6.0, None, {"method": "goalposts", "lower": 60, "upper": 100}),
    ("M03", "审计发现问题金额", "Audit findings amount", "management", "cost", "万元", None,
     50.0, 25.0, None, {"method": "rank"}),
    ("M04", "公文办理超期件数", "Overdue documents", "management", "cost", "件", None, 3.0,
     2.0, None, {"method": "minmax"}),
    ("M05", "三公经费控制率", "Official spending under control", "management", "target", "%",
     None, 97.0, 3.0, 95.0, {"method": "target_distance"}),
    ("M06", "政务公开及时率", "Timely disclosure", "management", "benefit", "%", None, 95.0,
     3.0, None, {"method": "minmax"}),
    ("L01", "干部培训人均学时", "Training hours per cadre", "learning", "benefit", "学时",
     None, 50.0, 12.0, 60.0, {"method": "target_ratio", "cap": 1.0}),
    ("L02", "创新案例获上级推广数", "Innovations adopted above", "learning", "benefit", "项",
     None, 2.0, 1.2, None, {"method": "minmax"}),
    ("L03", "数字化应用覆盖率", "Digital coverage", "learning", "benefit", "%", None, 75.0,
     10.0, None, {"method": "goalposts", "lower": 40, "upper": 100}),
    ("L04", "理论学习中心组学习次数", "Study sessions held", "learning", "benefit", "次", _P,
     12.0, 2.0, 12.0, {"method": "target_ratio"}),
    ("L05", "改革试点任务完成率", "Reform pilots done", "learning", "benefit", "%", _T + _G,
     85.0, 8.0, None, {"method": "minmax"}),
    ("L06", "人才引进数量", "Talent recruited", "learning", "benefit", "人", _T, 8.0, 3.0,
     None, {"method": "minmax"}),
]

_TOWN_A = list("东西南北中新金石龙凤青白安永长河清平")
_TOWN_B = list("山溪桥湖坪塘口岗坝岭湾庄林园关集")
_TOWN_SUFFIX = ["镇", "乡", "街道"]
PARTY = [("纪委监委机关", "Discipline Inspection Commission"), ("组织部", "Organisation Dept"),
         ("宣传部", "Publicity Dept"), ("统战部", "United Front Dept"),
         ("政法委", "Political & Legal Affairs Commission"), ("政研室", "Policy Research Office"),
         ("编办", "Staffing Office"), ("直属机关工委", "Working Committee of Organs"),
         ("网信办", "Cyberspace Office"), ("老干部局", "Veteran Cadres Bureau"),
         ("党校", "Party School"), ("档案馆", "Archives"), ("总工会", "Trade Union Federation"),
         ("团市委", "Youth League Committee"), ("妇联", "Women's Federation"),
         ("科协", "Association for Science & Technology"), ("文联", "Federation of Literary "
                                                           "& Art Circles"),
         ("社科联", "Federation of Social Sciences"), ("工商联", "Federation of Industry & "
                                                        "Commerce"),
         ("残联", "Disabled Persons' Federation"), ("红十字会", "Red Cross"),
         ("侨联", "Overseas Chinese Federation"), ("信访局", "Letters & Visits Bureau"),
         ("保密局", "Secrecy Bureau"), ("机要局", "Confidential Bureau"),
         ("党史研究室", "Party History Office"), ("市委办公室", "Party Committee Office")]
GOV = [("发展和改革局", "Development & Reform"), ("教育局", "Education"), ("科技局",
       "Science & Technology"), ("工业和信息化局", "Industry & IT"), ("公安局", "Public Security"),
       ("民政局", "Civil Affairs"), ("司法局", "Justice"), ("财政局", "Finance"),
       ("人力资源和社会保障局", "Human Resources & Social Security"), ("自然资源局",
       "Natural Resources"), ("生态环境局", "Ecology & Environment"), ("住房和城乡建设局",
       "Housing & Urban-Rural Development"), ("交通运输局", "Transport"), ("水利局",
       "Water Resources"), ("农业农村局", "Agriculture & Rural Affairs"), ("商务局", "Commerce"),
       ("文化广电旅游局", "Culture, Radio, TV & Tourism"), ("卫生健康局", "Health"),
       ("退役军人事务局", "Veterans Affairs"), ("应急管理局", "Emergency Management"),
       ("审计局", "Audit"), ("市场监督管理局", "Market Regulation"), ("统计局", "Statistics"),
       ("医疗保障局", "Healthcare Security"), ("林业局", "Forestry"), ("城市管理局",
       "Urban Management"), ("行政审批局", "Administrative Approval"), ("国资委",
       "State Assets"), ("机关事务管理局", "Government Offices Administration"),
       ("投资促进局", "Investment Promotion"), ("大数据局", "Big Data"), ("乡村振兴局",
       "Rural Revitalisation"), ("粮食和物资储备局", "Grain & Reserves"), ("人防办",
       "Civil Air Defence"), ("地方金融局", "Local Finance"), ("体育局", "Sports"),
       ("外事办", "Foreign Affairs"), ("民族宗教局", "Ethnic & Religious Affairs"),
       ("政府办公室", "Government Office"), ("住房公积金中心", "Housing Provident Fund"),
       ("公共资源交易中心", "Public Resources Trading"), ("招商局", "Investment Attraction"),
       ("供销社", "Supply & Marketing Cooperative"), ("气象局", "Meteorology"),
       ("税务局", "Taxation"), ("规划局", "Planning"), ("园林局", "Landscaping"),
       ("水务集团", "Water Group"), ("交警支队", "Traffic Police"), ("消防救援支队",
       "Fire & Rescue")]


@dataclass(frozen=True)
class DemoConfig:
    """Size of the demo city: ``n_units`` units split 20/27/50 like the 97-unit default,
    ``n_indicators`` indicators (the 34 named ones, cycled with suffixes beyond), periods."""

    n_units: int = 97
    n_indicators: int = len(INDICATORS)
    periods: tuple[int, ...] = (2024, 2025)
    seed: int = 2025


def _split(n: int) -> list[int]:
    shares = np.array([20, 27, 50]) / 97
    counts = np.floor(shares * n).astype(int)
    counts[2] += n - counts.sum()
    return counts.tolist()


def make_units(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Units with Chinese names and English ids: T001…, P001…, G001…"""
    rows = []
    combos = [(a, b) for a in _TOWN_A for b in _TOWN_B]
    order = rng.permutation(len(combos))
    for (cat, _, _), count, prefix, pool in zip(CATEGORIES, _split(n), "TPG",
                                                 [None, PARTY, GOV], strict=True):
        for k in range(count):
            uid = f"{prefix}{k + 1:03d}"
            if pool is None:
                a, b = combos[order[k % len(combos)]]
                suffix = _TOWN_SUFFIX[k % 3]
                rep = f"{k // len(combos) + 1}" if k >= len(combos) else ""
                name, en = f"{a}{b}{suffix}{rep}", f"Township {uid}"
            else:
                base, en_base = pool[k % len(pool)]
                rep = k // len(pool)
                name = base if rep == 0 else f"{base}（{rep + 1}）"
                en = en_base if rep == 0 else f"{en_base} ({rep + 1})"
            rows.append({"unit_id": uid, "unit_name": name, "unit_name_en": en,
                         "category": cat})
    return pd.DataFrame(rows).set_index("unit_id")


def indicator_catalogue(n: int) -> list[tuple[Any, ...]]:
    """``n`` indicators: the named ones, then copies with numbered ids (for benchmarks)."""
    out = []
    for k in range(n):
        base = INDICATORS[k % len(INDICATORS)]
        rep = k // len(INDICATORS)
        if rep == 0:
            out.append(base)
        else:
            out.append((f"{base[0]}_{rep + 1}", f"{base[1]}（{rep + 1}）",
                        f"{base[2]} ({rep + 1})", *base[3:]))
    return out


def make_quality(units: pd.DataFrame, periods: tuple[int, ...], rng: np.random.Generator
                 ) -> pd.DataFrame:
    """Latent quality per unit and period: an AR(1) with correlation 0.8 across periods."""
    q = np.empty((len(units), len(periods)))
    q[:, 0] = rng.standard_normal(len(units))
    for t in range(1, len(periods)):
        q[:, t] = 0.8 * q[:, t - 1] + 0.6 * rng.standard_normal(len(units))
    return pd.DataFrame(q, index=units.index, columns=list(periods))


def make_values(units: pd.DataFrame, inds: list[tuple[Any, ...]], quality: pd.DataFrame,
                rng: np.random.Generator, missing_rate: float = 0.01) -> pd.DataFrame:
    """Indicator values: ``base ± spread · (0.7 q + 0.7 ε)`` (sign by direction), rounded."""
    frames = []
    cats = units["category"].to_numpy()
    for period in quality.columns:
        q = quality[period].to_numpy()
        for ind in inds:
            iid, _, _, _, direction, unit, applies, base, spread = ind[:9]
            m = np.ones(len(units), dtype=bool) if applies is None else np.isin(cats, applies)
            eps = rng.standard_normal(len(units))
            sign = -1.0 if direction == "cost" else 1.0
            z = 0.7 * q + 0.7 * eps
            if direction == "target":
                v = base - spread * np.abs(z) * 0.8 + spread * 0.3 * eps
            else:
                v = base + sign * spread * z
            if unit in {"%"}:
                v = np.clip(v, 0, 100)
            else:
                v = np.maximum(v, 0)
            v = np.round(v, 2)
            drop = rng.random(len(units)) < missing_rate
            keep = m & ~drop
            frames.append(pd.DataFrame({"period": period, "unit_id": units.index[keep],
                                        "indicator_id": iid, "value": v[keep]}))
    return pd.concat(frames, ignore_index=True)


_BONUS = ["获省级表彰", "重点工作获上级肯定", "改革经验全省推广", "招商引资重大项目落地"]
_DEDUCT = ["督查通报批评", "重点任务逾期", "信息报送不及时", "审计发现违规问题"]


def make_points(units: pd.DataFrame, quality: pd.DataFrame, rng: np.random.Generator
                ) -> pd.DataFrame:
    """Bonus, deduction, yellow-card and veto records, likelier for better / worse units."""
    rows = []
    for period in quality.columns:
        q = quality[period].to_numpy()
        for u, qu in zip(units.index, q, strict=True):
            for _ in range(rng.poisson(0.6 * np.exp(0.5 * qu))):
                rows.append((period, u, "bonus", float(rng.choice([0.5, 1, 2, 3])),
                             str(rng.choice(_BONUS))))
            for _ in range(rng.poisson(0.3 * np.exp(-0.5 * qu))):
                rows.append((period, u, "deduction", float(rng.choice([0.5, 1, 2])),
                             str(rng.choice(_DEDUCT))))
            if rng.random() < 0.03 * np.exp(-0.5 * qu):
                rows.append((period, u, "yellow_card", 1.0, "督查督办事项整改不力黄牌警告"))
        worst = units.index[np.argsort(q)[: max(1, len(units) // 60)]]
        for u in worst:
            if rng.random() < 0.6:
                rows.append((period, u, "veto", 0.0, "发生较大安全生产责任事故，一票否决"))
    return pd.DataFrame(rows, columns=["period", "unit_id", "kind", "points", "reason"])


def make_leaders(units: pd.DataFrame, quality: pd.DataFrame, rng: np.random.Generator,
                 n_leaders: int = 9) -> pd.DataFrame:
    """Leaders' overall evaluation (领导综合评价): each leader scores each unit 60–100."""
    frames = []
    lenient = rng.normal(0, 3, n_leaders)
    for period in quality.columns:
        q = quality[period].to_numpy()
        s = 85 + 5 * q[:, None] + lenient[None, :] + rng.normal(0, 4, (len(units), n_leaders))
        s = np.clip(np.round(s), 60, 100)
        frames.append(pd.DataFrame({
            "period": period, "unit_id": np.repeat(units.index.to_numpy(), n_leaders),
            "rater_id": np.tile([f"L{k + 1:02d}" for k in range(n_leaders)], len(units)),
            "score": s.ravel()}))
    return pd.concat(frames, ignore_index=True)


def demo_spec(cfg: DemoConfig, data_dir: Path, spec_dir: Path,
              fragments: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The demo evaluation's spec, with paths relative to ``spec_dir``."""
    rel = Path(os.path.relpath(data_dir, spec_dir))
    spec: dict[str, Any] = {
        "evaluation": {"id": "demo", "name": "示范市年度绩效考评", "name_en":
                       "Demo city annual performance evaluation",
                       "periods": [int(p) for p in cfg.periods], "seed": cfg.seed},
        "data": {
            "units": {"file": str(rel / "units.csv")},
            "values": {"file": str(rel / "indicator_values.csv")},
            "points": {"file": str(rel / "points.csv")},
            "leaders": {"file": str(rel / "leaders.csv")},
        },
        "categories": [{"id": c, "name": n, "name_en": e} for c, n, e in CATEGORIES],
        "defaults": {"missing": "category_mean", "aggregation": "arithmetic"},
        "perspectives": [{"id": p, "name": n, "name_en": e, "weight": w}
                         for p, n, e, w in PERSPECTIVES],
        "uncertainty": {"n": 1000, "concentration": 100},
        "indicators": [],
        "sources": {"office": {"weight": 0.6}, "leaders": {"weight": 0.1}},
        "points": {"bonus_cap": 5, "yellow_card_multiplier": 2,
                   "veto": {"max_grade": "pass"}},
        "grades": {"levels": [
            {"id": "excellent", "name": "优秀", "name_en": "Excellent", "min_score": 80,
             "quota": 0.2},
            {"id": "good", "name": "良好", "name_en": "Good", "min_score": 65},
            {"id": "pass", "name": "合格", "name_en": "Pass", "min_score": 50},
            {"id": "fail", "name": "不合格", "name_en": "Fail"}],
            "quota_rounding": "floor", "ties": "demote"},
        "ranking": {"decimals": 2, "ties": "min", "bottom_n": 3},
    }
    for ind in indicator_catalogue(cfg.n_indicators):
        iid, name, en, persp, direction, unit, applies, _, _, target, scoring = ind
        entry: dict[str, Any] = {"id": iid, "name": name, "name_en": en, "perspective": persp,
                                 "direction": direction, "unit": unit}
        if target is not None:
            entry["target"] = target
        if applies is not None:
            entry["categories"] = list(applies)
        entry["scoring"] = dict(scoring)
        if unit == "%":
            entry["range"] = [0, 100]
        spec["indicators"].append(entry)
    # one perspective weighs its indicators objectively (CRITIC, within category)
    spec["perspectives"][2]["weighting"] = {"method": "critic"}
    for frag in fragments.values():
        frag = copy.deepcopy(frag)
        for ref in frag.get("data", {}).values():
            ref["file"] = str(rel / ref["file"])
        for key, val in frag.items():
            if isinstance(val, dict) and isinstance(spec.get(key), dict):
                spec[key].update(val)
            else:
                spec[key] = val
    # source weights: office keeps what the fragments leave
    others = sum(v["weight"] for k, v in spec["sources"].items() if k != "office")
    spec["sources"]["office"]["weight"] = round(max(1.0 - others, 0.1), 4)
    return spec


def _write(df: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False, encoding="utf-8")


def make_demo(out: str | Path, n_units: int = 97, n_indicators: int | None = None,
              periods: tuple[int, ...] = (2024, 2025), seed: int = 2025,
              spec_path: str | Path | None = None, extensions: bool = True) -> Path:
    """Write the demo city's tables to ``out`` (and its spec to ``spec_path``); return ``out``.

    Parameters
    ----------
    out : path
        Folder for the tables.
    n_units : int
        Number of units (97 by default; 2,000 for the benchmarks).
    n_indicators : int, optional
        Number of indicators (default: the 34 named ones; 60 for the benchmarks).
    periods : tuple of int
        Annual periods, oldest first.
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed writes the same files.
    spec_path : path, optional
        Where to write the evaluation spec (paths in it relative to its folder).
    extensions : bool
        Include the tables of registered capabilities (survey, peer rating, tasks, …).
    """
    cfg = DemoConfig(n_units, n_indicators or len(INDICATORS), tuple(periods), seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    units = make_units(n_units, rng)
    quality = make_quality(units, cfg.periods, rng)
    inds = indicator_catalogue(cfg.n_indicators)
    tables = {
        "units.csv": units.reset_index(),
        "indicator_values.csv": make_values(units, inds, quality, rng),
        "points.csv": make_points(units, quality, rng),
        "leaders.csv": make_leaders(units, quality, rng),
    }
    fragments: dict[str, dict[str, Any]] = {}
    if extensions:
        for name in DEMO_TABLES:
            sub = np.random.default_rng([seed, sum(map(ord, name))])
            tables.update(DEMO_TABLES.get(name)(units, list(cfg.periods), quality, sub))
            if name in DEMO_SPECS:
                fragments[name] = DEMO_SPECS[name]
    for fname, df in tables.items():
        _write(df, out / fname)
    _write(quality.reset_index().rename(columns=str), out / "_true_quality.csv")
    if spec_path is not None:
        spec_path = Path(spec_path)
        spec = demo_spec(cfg, out, spec_path.parent, fragments)
        header = ("# Demo evaluation, written by `evalkit demo` (evalkit/demo.py). Regenerate it\n"
                  "# rather than editing: sections of capabilities come from their demo hooks.\n")
        with atomic_path(spec_path) as tmp:
            tmp.write_text(header + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    return out
