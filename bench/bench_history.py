"""Benchmark: load 2,000 units × 10 periods of Results and evaluate every history rule.

Goal (issue 7): under 2 s for loading the ten Results folders (``totals.parquet``) into a
:class:`evalkit.analysis.history.ResultsStore` and evaluating all consecutive-period rules (flags
ready for ``totals.flags``). The baseline in the same script reads the same folders and
evaluates the same rules with a plain per-unit loop (what a notebook would do by hand); the
ratio baseline / evalkit is printed with both medians.

Run: ``.venv/bin/python bench/bench_history.py [--units 2000] [--periods 10] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.analysis.history import ResultsStore, history_events, history_flags
from evalkit.demo.history import DEMO_RULES
from evalkit.results import Results

RULES = {"rules": [
    *DEMO_RULES["rules"],
    {"id": "excellent_thrice", "when": "grade == 'excellent'", "periods": 3},
    {"id": "falling", "when": "rank_change <= -5 and category != 'party_dept'", "periods": 2,
     "category_change": "break"},
]}
CONDITIONS = {  # the same conditions as plain Python, for the baseline
    "last_twice": lambda r: r["rank_from_bottom"] <= 1,
    "bottom_three_thrice": lambda r: r["rank_from_bottom"] <= 3,
    "top_ten_thrice": lambda r: r["rank"] <= 10,
    "excellent_thrice": lambda r: r["grade"] == "excellent",
    "falling": lambda r: r["rank_change"] is not None and r["rank_change"] <= -5
    and r["category"] != "party_dept",
}


def make_results(root: Path, n_units: int, n_periods: int, seed: int = 7) -> list[Path]:
    """Write one Results folder per period: units join late, change category, tie."""
    rng = np.random.default_rng(seed)
    cats = rng.choice(["township", "party_dept", "gov_dept"], n_units, p=[0.2, 0.28, 0.52])
    quality = rng.normal(size=n_units)
    joins = np.where(rng.random(n_units) < 0.1, rng.integers(1, n_periods, n_units), 0)
    folders = []
    for k in range(n_periods):
        quality = 0.8 * quality + 0.6 * rng.normal(size=n_units)
        move = rng.random(n_units) < 0.01
        cats = np.where(move, rng.choice(["township", "party_dept", "gov_dept"], n_units), cats)
        keep = joins <= k
        tot = pd.DataFrame({"period": str(2016 + k),
                            "unit_id": [f"U{i:04d}" for i in np.flatnonzero(keep)],
                            "category": cats[keep],
                            "total": np.round(75 + 8 * quality[keep], 1)})
        tot["rank"] = tot.groupby("category")["total"].rank(method="min", ascending=False
                                                            ).astype(int)
        tot["n_in_category"] = tot.groupby("category")["total"].transform("size")
        tot["grade"] = np.where(tot["rank"] <= 0.2 * tot["n_in_category"], "excellent", "good")
        tot["flags"] = ""
        folders.append(Results({"totals": tot}).save(root / str(2016 + k), excel=False))
    return folders


def evalkit_run(folders: list[Path]) -> pd.DataFrame:
    store = ResultsStore.load(folders)
    return history_flags(store.totals, RULES)


def baseline_run(folders: list[Path]) -> set[tuple]:
    """Plain loops: positions per category and period, then each unit's years one by one."""
    totals = pd.concat([pd.read_parquet(f / "totals.parquet") for f in folders])
    rows: dict[tuple, dict] = {}
    for (_p, _c), g in totals.groupby(["period", "category"]):
        ranks = g["rank"].to_list()
        for r in g.to_dict("records"):
            r["rank_from_bottom"] = 1 + sum(x > r["rank"] for x in ranks)
            rows[(int(r["period"]), r["unit_id"])] = r
    for (p, u), r in rows.items():
        prev = rows.get((p - 1, u))
        same = prev is not None and prev["category"] == r["category"]
        r["rank_change"] = prev["rank"] - r["rank"] if same else None
    hits = set()
    for unit, g in totals.groupby("unit_id"):
        for p in sorted(int(x) for x in g["period"]):
            for rule in RULES["rules"]:
                cond, n, q = CONDITIONS[rule["id"]], 0, p
                while (q, unit) in rows and cond(rows[(q, unit)]):
                    if n and rule.get("category_change") == "break" and \
                            rows[(q, unit)]["category"] != rows[(q + 1, unit)]["category"]:
                        break
                    n, q = n + 1, q - 1
                if n >= rule["periods"]:
                    hits.add((str(p), unit, rule["id"]))
    return hits


def timed(func, *args, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--periods", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folders = make_results(Path(tmp), args.units, args.periods)
        t_fast, flags = timed(evalkit_run, folders, repeat=args.repeat)
        t_base, hits = timed(baseline_run, folders, repeat=args.repeat)
        ev = history_events(ResultsStore.load(folders).totals, RULES)
        same = set(zip(ev["period"], ev["unit_id"], ev["rule"], strict=True)) == hits
    n_rows = args.units * args.periods
    print(f"history: {args.units} units × {args.periods} periods (≈{n_rows:,} totals rows), "
          f"{len(RULES['rules'])} rules, {len(flags)} flagged unit-periods, "
          f"median of {args.repeat}")
    print(f"  evalkit (load + trends + rules + flags): {t_fast:.3f} s   goal < 2 s: "
          f"{'met' if t_fast < 2 else 'NOT met'}")
    print(f"  baseline (plain per-unit loop):          {t_base:.3f} s")
    print(f"  ratio baseline / evalkit:                {t_base / t_fast:.1f}×")
    print(f"  same flags as the baseline:              {same}")


if __name__ == "__main__":
    main()
