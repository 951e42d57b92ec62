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
from evalkit.demo.catalogue import (
    CATEGORIES,
    GOV,
    INDICATORS,
    PARTY,
    PERSPECTIVES,
    TOWN_A,
    TOWN_B,
    TOWN_SUFFIX,
)
from evalkit.demo.registry import DEMO_SPECS, DEMO_TABLES


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
    combos = [(a, b) for a in TOWN_A for b in TOWN_B]
    order = rng.permutation(len(combos))
    for (cat, _, _), count, prefix, pool in zip(CATEGORIES, _split(n), "TPG",
                                                 [None, PARTY, GOV], strict=True):
        for k in range(count):
            uid = f"{prefix}{k + 1:03d}"
            if pool is None:
                a, b = combos[order[k % len(combos)]]
                suffix = TOWN_SUFFIX[k % 3]
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
