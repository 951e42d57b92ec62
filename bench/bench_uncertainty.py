"""Benchmark: batched weights-only Monte Carlo vs. re-running the full evaluation.

Prints, for the ASEM index (51 units × 49 indicators, read from ../shared/reference/asem)
and for the demo city at 2,000 units × 60 indicators (generated into a temporary folder):

- the time of 1,000 and 10,000 replications of :func:`evalkit.analysis.uncertainty.monte_carlo`
  (Dirichlet weights at both levels, ranks, top/bottom-k and grade probabilities);
- the time per replication of the baseline — ``evaluate`` re-run on a spec whose weights
  were perturbed (the "N rebuilds" approach), measured on a small sample of replications
  and extrapolated;
- the ratio baseline / batched;
- the time of 1,000 replications with every node aggregated by each mean of the registry
  (``aggregations=(method,)``: quasi-arithmetic means as matrix products, the weighted
  median by a chunked broadcast).

Goals (issue 4): 1,000 replications on ASEM < 1 s; 10,000 on 2,000 × 60 < 5 s.

Usage: ``python bench/bench_uncertainty.py [--sample 3] [--skip-large] [--no-means]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from evalkit.aggregation.means import AGGREGATION
from evalkit.analysis.uncertainty import NOMINAL, monte_carlo, problems_from_pipeline
from evalkit.demo.city import make_demo
from evalkit.evaluate import evaluate
from evalkit.inputs.tables import load_tables
from evalkit.validate import load_spec

ROOT = Path(__file__).resolve().parents[1]


def _batched(problems: dict, n: int, aggregation: str = NOMINAL) -> float:
    t = time.perf_counter()
    for p in problems.values():
        monte_carlo(p, n, concentration=100.0, level="both", seed=1,
                    aggregations=(aggregation,))
    return time.perf_counter() - t


def _loop(spec, tables, sample: int) -> float:
    """Seconds per replication of a full evaluate() on a spec with perturbed weights."""
    rng = np.random.default_rng(2)
    times = []
    for _ in range(sample):
        s2 = spec.model_copy(deep=True)
        for ind in s2.indicators:
            w = ind.weight
            if isinstance(w, dict):
                ind.weight = {k: float(v * rng.gamma(100.0) / 100.0) for k, v in w.items()}
            else:
                ind.weight = float(w * rng.gamma(100.0) / 100.0)
        t = time.perf_counter()
        evaluate(s2, tables)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def _report(label: str, spec, tables, sample: int, means: bool) -> None:
    problems = problems_from_pipeline(spec, tables, results=evaluate(spec, tables))
    shape = (sum(p.scores.shape[0] for p in problems.values()),
             len({c for p in problems.values() for c in p.scores.columns}))
    _batched(problems, 50)  # warm-up (imports, caches)
    per_rep = _loop(spec, tables, sample)
    print(f"\n{label}: {shape[0]} units × {shape[1]} indicators, "
          f"{len(problems)} categor{'y' if len(problems) == 1 else 'ies'}")
    print(f"  full evaluate() per replication (median of {sample}): {per_rep * 1000:9.1f} ms")
    for n in (1000, 10000):
        t = _batched(problems, n)
        base = per_rep * n
        print(f"  {n:>6} replications: batched {t:7.3f} s | loop of evaluate() "
              f"{base:9.1f} s (extrapolated) | ratio {base / t:8.0f}×")
    if means:
        times = {m: _batched(problems, 1000, m) for m in AGGREGATION}
        print("    1000 replications, every node by " + ", ".join(
            f"{m}: {t:.3f} s" for m, t in times.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=3, help="evaluate() runs for the baseline")
    ap.add_argument("--skip-large", action="store_true", help="skip the 2,000 × 60 case")
    ap.add_argument("--no-means", action="store_true", help="skip the timing of each mean")
    args = ap.parse_args()
    asem = ROOT / "params" / "asem_simple.yaml"
    if (ROOT.parent / "shared" / "reference" / "asem").exists():
        spec = load_spec(asem)
        _report("ASEM (params/asem_simple.yaml)", spec, load_tables(spec), args.sample,
                not args.no_means)
    else:
        print("ASEM reference data not found beside the project; skipped")
    if not args.skip_large:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            make_demo(Path(tmp) / "data", n_units=2000, n_indicators=60, extensions=False,
                      spec_path=Path(tmp) / "demo.yaml")
            spec = load_spec(Path(tmp) / "demo.yaml")
            tables = load_tables(spec)
            print(f"\n(demo 2,000 × 60 generated in {time.perf_counter() - t:.1f} s)")
            _report("Demo city 2,000 × 60", spec, tables, args.sample, not args.no_means)


if __name__ == "__main__":
    main()
