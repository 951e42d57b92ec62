"""Benchmark: evalkit against COINr on ASEM — one build, the COINr uncertainty design, 10⁶ draws.

Prints, with the machine's load average before and after each part (the machine has 2 cores
and is shared: every figure is the median and the minimum of interleaved rounds):

1. one full ASEM evaluation (``params/asem.yaml``: denominate, impute, COINr treatment,
   min-max, arithmetic means over 49 indicators → 8 pillars → 2 sub-indices → index)
   against COINr's rebuild (``Regen`` of ``build_example_coin()``): run here when
   ``Rscript`` with the COINr package is present, else the reference figures of issue 15;
   and the treatment step alone, vectorised over the columns, against the column-by-column
   algorithm with scipy's skew and kurtosis that it replaced (run here). Goal: evaluate
   ≥ 5× faster than COINr's rebuild.
2. COINr's uncertainty design (winsorisation limit 1–5 × min-max [1, 100] or z-score
   (10, 2) × ±25 % noise on the weights at levels 2 and 3 × arithmetic or geometric mean),
   N = 1,000, through :func:`evalkit.analysis.uncertainty.rank_intervals` (given the nominal
   Results, as ``evalkit run`` composes it): its time over one evaluate (goal ≤ 3), and
   against COINr's 1,000 rebuilds (N × the rebuild time).
3. 10⁶ Dirichlet weight draws on 100 units × 24 indicators in 6 groups, streamed (rank
   histograms, simultaneous rank sets): the time (goal < 30 s), its equivalent in evaluates,
   and the peak of traced memory at 2⁵ × 4,096 and 2⁷ × 4,096 draws (flat) against the
   draws × units matrix it never holds.

Usage: ``python bench/bench_coinr.py [--rounds 7] [--skip-big] [--coinr-ua]``
(``--coinr-ua`` also times COINr's ``get_sensitivity`` at N = 50 when COINr is present).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.analysis.uncertainty import UncertaintyProblem, monte_carlo, rank_intervals
from evalkit.evaluate import evaluate
from evalkit.inputs.tables import as_matrix, load_tables
from evalkit.scoring.impute import impute
from evalkit.scoring.outliers import outliers_coinr
from evalkit.scoring.prepare import prepare
from evalkit.scoring.treatment import apply_treatment, denominate
from evalkit.validate import load_spec

ROOT = Path(__file__).resolve().parents[1]
ASEM = ROOT.parent / "shared" / "reference" / "asem"

#: issue 15's side-by-side figures (this machine: a 2-core AMD EPYC VM; COINr 1.1.14 under
#: R 4.2.2; interleaved runs; the issue is undated, filed by 2026-11-30)
REFERENCE = {"coinr_regen": 0.083, "evalkit_evaluate_before": 0.142,
             "evalkit_treatment_scoring_before": 0.107, "coinr_ua_n200": 19.8,
             "coinr_weights_n1000": 97.0}
REFERENCE_NOTE = ("issue 15, measured on this machine (2-core AMD EPYC VM) with COINr 1.1.14 "
                  "under R 4.2.2, interleaved runs; the issue gives no date (filed by "
                  "2026-11-30)")

#: COINr's sensitivity vignette design, as an ``uncertainty:`` section
COINR_DESIGN: dict[str, Any] = {
    "n": 1000, "seed": 1, "winmax": [1, 2, 3, 4, 5],
    "normalisation": [{"method": "minmax", "lower": 1, "upper": 100},
                      {"method": "zscore", "center": 10, "spread": 2}],
    "level": [2, 3], "perturb": "percent", "percent": {2: 0.25, 3: 0.25},
    "aggregations": ["arithmetic", "geometric"]}

R_REGEN = """suppressMessages(library(COINr))
coin <- build_example_coin(quietly = TRUE)
t <- replicate({rounds}, system.time(Regen(coin, quietly = TRUE))[["elapsed"]])
cat(median(t), min(t), "\\n")
"""
R_UA = """suppressMessages(library(COINr))
coin <- build_example_coin(quietly = TRUE)
w <- get_noisy_weights(coin$Meta$Weights$Original,
                       data.frame(Level = c(2, 3), NoiseFactor = c(0.25, 0.25)), 100)
specs <- list(
  Winmax = list(Address = "$Log$Treat$global_specs$f1_para$winmax", Distribution = 1:5,
                Type = "discrete"),
  Normalisation = list(Address = "$Log$Normalise$global_specs", Type = "discrete",
    Distribution = list(list(f_n = "n_minmax", f_n_para = list(c(1, 100))),
                        list(f_n = "n_zscore", f_n_para = list(c(10, 2))))),
  Weights = list(Address = "$Log$Aggregate$w", Distribution = w, Type = "discrete"),
  Aggregation = list(Address = "$Log$Aggregate$f_ag", Distribution = c("a_amean", "a_gmean"),
                     Type = "discrete"))
t <- system.time(get_sensitivity(coin, specs, N = 50, SA_type = "UA", dset = "Aggregated",
                                 iCode = "Index", quietly = TRUE))[["elapsed"]]
cat(t, "\\n")
"""


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _rounds(fns: dict[str, Callable[[], Any]], rounds: int) -> dict[str, np.ndarray]:
    """Interleaved rounds: every function once per round, in turn; wall seconds."""
    out: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - t)
    return {k: np.array(v) for k, v in out.items()}


def _fmt(t: np.ndarray) -> str:
    return f"median {np.median(t):8.4f} s, min {t.min():8.4f} s"


# -- the baseline treatment: column by column with scipy (the replaced implementation) ------------
def _skew_kurt(x: np.ndarray) -> tuple[float, float]:
    v = x[~np.isnan(x)]
    if v.size < 4 or np.ptp(v) == 0:
        return np.nan, np.nan
    return float(stats.skew(v, bias=False)), float(stats.kurtosis(v, bias=False))


def _winsorise_column(x: np.ndarray, winmax: int) -> np.ndarray:
    s, k = _skew_kurt(x)
    if np.isnan(s) or abs(s) < 2 or k < 3.5:
        return x
    xw, obs = x.copy(), ~np.isnan(x)
    changed = np.zeros(x.shape, dtype=bool)
    passed = False
    while not passed and changed.sum() < winmax:
        hi = s >= 0
        at = obs & (xw == (np.nanmax(xw) if hi else np.nanmin(xw)))
        rest = xw[obs & ~at]
        if rest.size == 0:
            break
        xw[at] = rest.max() if hi else rest.min()
        changed |= at
        s, k = _skew_kurt(xw)
        passed = bool(abs(s) < 2 or k < 3.5)
    if passed:
        return xw
    lo, top = np.nanmin(x), np.nanmax(x)
    return np.log(x - lo + 0.01 * (top - lo))


def _treat_column_by_column(X: pd.DataFrame, winmax: int = 5) -> pd.DataFrame:
    out = X.copy()
    for c in X.columns:
        out[c] = _winsorise_column(X[c].to_numpy(dtype=float), winmax)
    return out


def _imputed(spec: Any, tables: dict) -> pd.DataFrame:
    """ASEM's values denominated and imputed: the input of the outlier treatment."""
    t = spec.treatment
    X = as_matrix(tables["values"], "2018", tables["units"].index,
                  [i.id for i in spec.indicators])
    dens = {i.id: i.denominator for i in spec.indicators if i.denominator}
    return apply_treatment(X, tables["units"], {"denominate": t.denominate,
                                                "impute": t.impute}, dens).data


# -- COINr, when present --------------------------------------------------------------------------
def _coinr(script: str) -> list[float] | None:
    """Run an R script with COINr; its printed numbers, or None when R or COINr is absent."""
    if shutil.which("Rscript") is None:
        return None
    check = subprocess.run(["Rscript", "-e", "library(COINr)"], capture_output=True,
                           check=False)
    if check.returncode != 0:
        return None
    res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                         check=True)
    return [float(v) for v in res.stdout.split()]


def part_evaluate(spec: Any, tables: dict, rounds: int) -> float:
    """ASEM evaluate vs COINr's Regen; the treatment step vs its column-by-column baseline."""
    print(f"\n1. One ASEM build ({_load()})")
    evaluate(spec, tables)
    Xdf = _imputed(spec, tables)               # what the outlier step receives in evaluate
    X = as_matrix(tables["values"], "2018", tables["units"].index,
                  [i.id for i in spec.indicators])
    dens = {i.id: i.denominator for i in spec.indicators if i.denominator}
    t = _rounds({"evaluate": lambda: evaluate(spec, tables),
                 "prepare (treat + score)": lambda: prepare(spec, tables),
                 "  denominate": lambda: denominate(X, dens, tables["units"]),
                 "  impute (group mean)": lambda: impute(X, tables["units"], "group_mean",
                                                         group="EurAsia_group"),
                 "  treatment (vectorised)": lambda: outliers_coinr(Xdf),
                 "  treatment (column by column)": lambda: _treat_column_by_column(Xdf)},
                rounds)
    for name, v in t.items():
        print(f"   evalkit {name:32s} {_fmt(v)}")
    ev = float(np.median(t["evaluate"]))
    col, vec = (float(np.median(t[f"  treatment ({k})"])) for k in ("column by column",
                                                                    "vectorised"))
    print(f"   treatment: vectorised {col / vec:.0f}× faster than column by column; evaluate "
          f"with the column-by-column treatment ≈ {ev - vec + col:.4f} s → now "
          f"{(ev - vec + col) / ev:.2f}× faster (same run)")
    got = _coinr(R_REGEN.format(rounds=rounds))
    if got is not None:
        coinr, source = got[0], f"COINr Regen run here: median {got[0]:.4f} s, min {got[1]:.4f} s"
    else:
        coinr, source = REFERENCE["coinr_regen"], (
            f"COINr Regen {REFERENCE['coinr_regen']} s, evalkit evaluate before this work "
            f"{REFERENCE['evalkit_evaluate_before']} s ({REFERENCE_NOTE}; Rscript with COINr "
            "is not installed here)")
    print(f"   {source}")
    print(f"   COINr rebuild / evalkit evaluate = {coinr / ev:.2f}×  (goal ≥ 5×; "
          f"min-based {coinr / t['evaluate'].min():.2f}×)   [{_load()}]")
    return ev


def part_ua(spec: Any, tables: dict, rounds: int, coinr_ua: bool) -> None:
    """COINr's design with N = 1,000 against one evaluate, interleaved."""
    print(f"\n2. COINr's uncertainty design, N = 1,000 ({_load()})")
    scored = prepare(spec, tables)
    res = evaluate(spec, tables, scored=scored)
    rank_intervals(spec, tables, scored=scored, results=res, **COINR_DESIGN)
    t = _rounds({"evaluate": lambda: evaluate(spec, tables),
                 "UA": lambda: rank_intervals(spec, tables, scored=scored, results=res,
                                              **COINR_DESIGN)}, max(3, rounds // 2))
    ev, ua = float(np.median(t["evaluate"])), float(np.median(t["UA"]))
    print(f"   evalkit evaluate      {_fmt(t['evaluate'])}")
    print(f"   evalkit UA (N=1,000)  {_fmt(t['UA'])}  (10 treatment × normalisation variants "
          "scored once; weights × aggregation batched)")
    print(f"   UA / one evaluate = {ua / ev:.2f}  (goal ≤ 3; min-based "
          f"{t['UA'].min() / t['evaluate'].min():.2f}); (evaluate + UA) / evaluate = "
          f"{(ev + ua) / ev:.2f}")
    coinr_n = None
    if coinr_ua:
        got = _coinr(R_UA)
        coinr_n = None if got is None else got[0] / 50 * 1000
    if coinr_n is None:
        coinr_n = REFERENCE["coinr_ua_n200"] / 200 * 1000
        print(f"   COINr get_sensitivity: {REFERENCE['coinr_ua_n200']} s for N = 200 "
              f"({REFERENCE_NOTE}) → {coinr_n:.0f} s for N = 1,000")
    print(f"   COINr (N = 1,000) / evalkit UA = {coinr_n / ua:.0f}×   [{_load()}]")


def _big_problem() -> UncertaintyProblem:
    rng = np.random.default_rng(0)
    n, k = 100, 24
    s = pd.DataFrame(rng.uniform(0, 100, (n, k)), columns=[f"i{j:02d}" for j in range(k)],
                     index=[f"U{u:03d}" for u in range(n)])
    return UncertaintyProblem.from_weights(s, None, {c: f"g{j % 6}"
                                                     for j, c in enumerate(s.columns)})


def _peak(p: UncertaintyProblem, n: int) -> float:
    tracemalloc.start()
    monte_carlo(p, n, concentration=50, seed=1, stream=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def part_big(evaluate_s: float) -> None:
    """10⁶ weight draws on 100 units, streamed."""
    print(f"\n3. 10⁶ weight draws, 100 units × 24 indicators in 6 groups ({_load()})")
    p = _big_problem()
    monte_carlo(p, 1000, concentration=50)
    wall, cpu = time.perf_counter(), time.process_time()
    mc = monte_carlo(p, 10**6, concentration=50, seed=1)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"   streamed Monte Carlo: {wall:.1f} s wall, {cpu:.1f} s CPU (goal < 30 s: "
          f"{30 / wall:.1f}× inside it); = {wall / evaluate_s:.0f} ASEM evaluates; joint "
          f"coverage {mc.settings['coverage_achieved']:.4f} at 0.9   [{_load()}]")
    small, large = _peak(p, 32 * 4096), _peak(p, 128 * 4096)
    print(f"   traced peak memory: {small:.0f} MiB at 131,072 draws, {large:.0f} MiB at "
          f"524,288 draws (ratio {large / small:.2f}); draws × units totals in float64 would "
          f"be {10**6 * 100 * 8 / 2**20:.0f} MiB at 10⁶")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    ap.add_argument("--skip-big", action="store_true", help="skip the 10⁶ draws")
    ap.add_argument("--coinr-ua", action="store_true", help="time COINr's UA when present")
    args = ap.parse_args()
    if not (ASEM / "ASEM_iData.csv").is_file():
        print(f"ASEM reference data not found at {ASEM}; parts 1 and 2 skipped")
        ev = REFERENCE["evalkit_evaluate_before"]
    else:
        spec = load_spec(ROOT / "params" / "asem.yaml")
        tables = load_tables(spec)
        ev = part_evaluate(spec, tables, args.rounds)
        part_ua(spec, tables, args.rounds, args.coinr_ua)
    if not args.skip_big:
        part_big(ev)


if __name__ == "__main__":
    main()
