"""Benchmark: 1,000,000 survey responses over 2,000 units aggregated with intervals.

Goal (issue 5): under 2 s for :func:`evalkit.sources.survey.analyse` — answer-code checks, ballot
rules and audit, rates and mean points with Wilson and t intervals per unit × group × item,
per unit × group and per unit (group weights, Kish n_eff, suppression), Cronbach's α per
questionnaire and rank intervals within category.

The baseline, run in the same script on the same data, is what a notebook would write by hand:
map answers to points, drop 不了解 and blanks, then ``groupby(...).apply`` a function computing
n, the rate with statsmodels' Wilson interval and the mean with a t interval, per unit × group ×
item and per unit × group. It does strictly less (no ballot rules, no weights, no clustering,
no reliability or ranking). It runs on the rows of a sample of units and is extrapolated by the
number of cells (``apply`` costs per group); the ratio baseline / evalkit is printed. The
baseline reads only the ballots evalkit kept, so the two agree on unweighted cells (checked).

Run: ``python bench/bench_survey.py [--rows 1000000] [--units 2000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evalkit.demo.survey import simulate_responses, survey_spec
from evalkit.sources.survey import analyse
from evalkit.sources.survey.scales import builtin_scales


def naive(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hand-written groupby-apply way (see the module docstring)."""
    scales = builtin_scales()
    scale_of = {q: s["scale"] for q, s in survey_spec()["questionnaires"].items()}
    points, sat = {}, {}
    for name, scale in scales.items():
        for a in scale.substantive:
            points[(name, a.code)] = a.points
            sat[(name, a.code)] = float(a.satisfied)
    d = df.dropna(subset=["answer"])
    d = d[d["answer"] != "不了解"].copy()
    key = list(zip(d["questionnaire"].map(scale_of), d["answer"].astype(str), strict=True))
    d["points"] = [points[k] for k in key]
    d["sat"] = [sat[k] for k in key]

    def cell(g: pd.DataFrame) -> pd.Series:
        n = len(g)
        s = g["sat"].sum()
        lo, hi = proportion_confint(s, n, method="wilson")
        m = g["points"].mean()
        half = stats.t.ppf(0.975, n - 1) * g["points"].std() / np.sqrt(n) if n > 1 else np.nan
        return pd.Series({"n": n, "rate": s / n, "rate_lo": lo, "rate_hi": hi,
                          "mean_points": m, "points_lo": m - half, "points_hi": m + half})

    by_item = d.groupby(["unit_id", "group", "questionnaire", "item"]).apply(cell)
    by_group = d.groupby(["unit_id", "group"]).apply(cell)
    return by_item, by_group


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sample-units", type=int, default=60)
    args = ap.parse_args()

    t0 = time.perf_counter()
    responses, issued, units = simulate_responses(args.units, args.rows, seed=0)
    print(f"generated {len(responses):,} responses over {responses['unit_id'].nunique():,} "
          f"units, {responses['ballot_id'].nunique():,} ballots in "
          f"{time.perf_counter() - t0:.1f} s")
    cfg = {k: v for k, v in survey_spec().items() if k != "weight"}

    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        res = analyse(responses, cfg, units=units, issued=issued)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    n_cells = len(res.by_item) + len(res.by_group)
    print(f"evalkit.sources.survey.analyse: {med:.2f} s (median of {args.repeat}; runs "
          f"{', '.join(f'{x:.2f}' for x in times)}) for {len(responses):,} responses -> "
          f"{len(res.by_item):,} unit×group×item cells, {len(res.by_group):,} unit×group, "
          f"{len(res.by_unit):,} units; goal < 2 s: {'met' if med < 2 else 'NOT met'}")

    rng = np.random.default_rng(0)
    sample = rng.choice(units.index.to_numpy(), args.sample_units, replace=False)
    valid = res.ballots.loc[res.ballots["status"] == "valid", "ballot_id"]
    sub = responses[responses["unit_id"].isin(sample) & responses["ballot_id"].isin(valid)]
    t = time.perf_counter()
    b_item, b_group = naive(sub)
    tb = time.perf_counter() - t
    sample_cells = len(b_item) + len(b_group)
    extrapolated = tb * n_cells / max(sample_cells, 1)
    print(f"baseline groupby-apply: {tb:.2f} s on {len(sub):,} rows of {args.sample_units} "
          f"units ({sample_cells:,} cells) -> {extrapolated:.1f} s extrapolated to "
          f"{n_cells:,} cells")
    print(f"ratio baseline / evalkit: {extrapolated / med:.0f}x")
    # the two agree where they compute the same thing (unweighted item cells)
    check = res.by_item.set_index(["unit_id", "group", "questionnaire", "item"])
    common = b_item.index.intersection(check.index)
    unweighted = [i for i in common if i[1] != "public"]
    diff = (check.loc[unweighted, "rate_lo"] - b_item.loc[unweighted, "rate_lo"]).abs()
    print(f"check: {len(unweighted):,} unweighted item cells, max |Δ rate_lo| vs baseline = "
          f"{diff.max():.1e}")


if __name__ == "__main__":
    main()
