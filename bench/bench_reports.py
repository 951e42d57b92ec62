"""Benchmark: seconds per report, plain papermill + nbconvert loop vs ``evalkit report``.

Builds the demo city (``evalkit.demo.city.make_demo`` with ``--units`` units, evaluated by
``run_spec``), then in one run:

1. the plain loop, on a sample of units: per unit, the ``papermill`` CLI executes the
   shipped ``unit_report.ipynb`` (:data:`evalkit.report.jobs.UNIT_NOTEBOOK`) and the
   ``jupyter nbconvert --to html --no-input`` CLI exports it (a new kernel and new imports
   every time) — the baseline;
2. ``evalkit report RESULTS --force`` as a fresh process on every unit (warm kernels, one per
   worker, ``--jobs`` workers, the overview and index included in the time);

and prints seconds per report for both and their ratio. Both render the same notebook with
the same parameters, so the reports have the same content. Rounds are interleaved and the
median is reported when ``--rounds`` > 1.

Usage: ``python bench/bench_reports.py [--units 100] [--sample 3] [--jobs 2] [--rounds 1]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from evalkit.demo.city import make_demo
from evalkit.report.jobs import UNIT_NOTEBOOK
from evalkit.run import run_spec

BIN = Path(sys.executable).parent
NOTEBOOK = UNIT_NOTEBOOK


def build(work: Path, n_units: int) -> tuple[Path, list[str]]:
    """Write the demo city and evaluate it; return the Results folder and the unit ids."""
    make_demo(work / "data", n_units=n_units, spec_path=work / "demo.yaml")
    run_spec(work / "demo.yaml", work / "results")
    totals = pd.read_parquet(work / "results" / "totals.parquet")
    cur = totals[totals["period"] == sorted(totals["period"].unique())[-1]]
    return work / "results", cur["unit_id"].astype(str).tolist()


def plain_loop(results: Path, units: list[str], out: Path) -> float:
    """Seconds per report of papermill CLI + nbconvert CLI, one unit after the other."""
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for u in units:
        nb = out / f"{u}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(NOTEBOOK), str(nb), "-p", "results_dir",
                        str(results), "-p", "unit_id", u, "-p", "lang", "zh",
                        "--no-progress-bar"], check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(nb)], check=True, capture_output=True)
    return (time.perf_counter() - t0) / len(units)


def evalkit_report(results: Path, n_units: int, out: Path, jobs: int) -> float:
    """Seconds per report of ``evalkit report --force`` on every unit (a fresh process)."""
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "evalkit"), "report", str(results), "--out", str(out), "--force",
                    "--jobs", str(jobs), "--no-progress"], check=True, capture_output=True)
    return (time.perf_counter() - t0) / n_units


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (see the module doc) and print seconds per report and the ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, default=100, help="units in the demo city (100)")
    p.add_argument("--sample", type=int, default=3, help="units in the plain loop (3)")
    p.add_argument("--jobs", type=int, default=2, help="evalkit report workers (2)")
    p.add_argument("--rounds", type=int, default=1, help="interleaved rounds (1)")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_reports_") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        results, units = build(work, a.units)
        print(f"demo city: {len(units)} units, evaluated in {time.perf_counter() - t0:.1f} s")
        step = max(1, len(units) // a.sample)
        sample = units[::step][: a.sample]
        plain, warm = [], []
        for r in range(a.rounds):
            plain.append(plain_loop(results, sample, work / f"plain{r}"))
            warm.append(evalkit_report(results, len(units), work / f"reports{r}", a.jobs))
            print(f"round {r + 1}: plain {plain[-1]:.2f} s/report, "
                  f"evalkit report {warm[-1]:.3f} s/report")
        pm, wm = statistics.median(plain), statistics.median(warm)
        print(f"plain loop (papermill CLI + nbconvert CLI, {len(sample)} units): "
              f"{pm:.2f} s/report")
        print(f"evalkit report ({len(units)} units, {a.jobs} workers, warm kernels): "
              f"{wm:.3f} s/report")
        print(f"ratio: {pm / wm:.1f}x faster (goal >= 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
