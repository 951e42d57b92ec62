"""Benchmark: a warm kernel's memory over many reports, and the reports an unchanged re-run
redoes.

Builds the demo city (``make_demo`` with ``--units`` units, evaluated by ``run_spec``), then
executes the shipped unit report ``--n`` times in one :class:`~evalkit.report.kernel.WarmKernel`
(units in turn) and prints the kernel's resident memory (RSS) at report 1, at every
``--every`` reports and at report N, for three kernels:

- ``leaky``: the clean-up between notebooks as it was before the fix (names and ``Out``
  only): IPython's history manager kept every cell's source and every output's display data
  (figures included) — the leak;
- ``cleared``: the clean-up of :data:`evalkit.report.kernel.CLEAR` (history emptied too), never
  recycled — the baseline;
- ``recycled``: the same, recycled (shut down and started again) every ``--recycle`` reports.

Last, it writes the reports of a few units, evaluates the city again on the same inputs and
asks for the reports again: the number redone is printed (0 expected).

Usage: ``python bench/bench_kernel_memory.py [--n 300] [--units 24] [--recycle 250]
[--every 50] [--kernels leaky,cleared,recycled]``; ``--n 2000`` for the full figure.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import psutil
from bench_reports import build  # the same demo city as the reports bench (bench/ on the path)

import evalkit.report.kernel as kernel
from evalkit.report.jobs import UNIT_NOTEBOOK
from evalkit.report.runner import run_reports
from evalkit.run import run_spec

#: The clean-up between notebooks before the fix (kept to measure the leak).
LEAKY_CLEAR = (
    "for _ek_n in [n for n in list(globals()) if n not in _ek_base]:\n"
    "    del globals()[_ek_n]\n"
    "Out.clear()\n"
    "get_ipython().execution_count = 1\n"
)


def rss_mb(wk: kernel.WarmKernel) -> float:
    """The kernel process's resident memory, MB."""
    return psutil.Process(wk.pid).memory_info().rss / 2**20


def measure(results: Path, units: list[str], n: int, every: int, recycle: int,
            clear: str) -> list[tuple[int, float, float]]:
    """(report, kernel RSS in MB, seconds so far) at report 1, every ``every`` and ``n``."""
    saved = kernel.CLEAR
    kernel.CLEAR = clear
    wk = kernel.WarmKernel(recycle_after=recycle)
    rows = []
    t0 = time.perf_counter()
    try:
        for i in range(1, n + 1):
            wk.execute(UNIT_NOTEBOOK, {"results_dir": str(results),
                                       "unit_id": units[(i - 1) % len(units)], "lang": "zh"})
            if i == 1 or i % every == 0 or i == n:
                rows.append((i, rss_mb(wk), time.perf_counter() - t0))
    finally:
        wk.shutdown()
        kernel.CLEAR = saved
    return rows


def redone_by_rerun(work: Path, results: Path, units: list[str]) -> tuple[int, int]:
    """(reports written, reports redone after an unchanged ``run_spec``) for a few units."""
    out = work / "reports"
    first = run_reports(results, out, units=units, jobs=1, progress=False)
    run_spec(work / "demo.yaml", results)
    again = run_reports(results, out, units=units, jobs=1, progress=False)
    return first.count("ok"), again.count("ok")


def main() -> None:
    """Run the benchmark and print its figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=300, help="reports per kernel (300)")
    p.add_argument("--units", type=int, default=24, help="units of the demo city (24)")
    p.add_argument("--recycle", type=int, default=kernel.RECYCLE_AFTER,
                   help=f"recycle the kernel after this many reports ({kernel.RECYCLE_AFTER})")
    p.add_argument("--every", type=int, default=50, help="print the RSS every N reports")
    p.add_argument("--kernels", default="leaky,cleared,recycled",
                   help="which kernels to measure (leaky, cleared, recycled)")
    a = p.parse_args()
    configs = {"leaky": (0, LEAKY_CLEAR), "cleared": (0, kernel.CLEAR),
               "recycled": (a.recycle, kernel.CLEAR)}
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-") as tmp:
        work = Path(tmp)
        results, units = build(work, a.units)
        print(f"demo city: {len(units)} units; {a.n} reports per kernel")
        for name in a.kernels.split(","):
            recycle, clear = configs[name]
            rows = measure(results, units, a.n, a.every, recycle, clear)
            (_, first, _), (_, last, secs) = rows[0], rows[-1]
            i2, warm, _ = rows[1] if len(rows) > 2 else rows[0]
            print(f"\n{name} (recycle after {recycle or 'never'}): report 1 {first:.1f} MB, "
                  f"report {a.n} {last:.1f} MB; after the warm-up (report {i2}) "
                  f"{(last - warm) / max(a.n - i2, 1):+.3f} MB per report; "
                  f"{secs / a.n:.2f} s per report")
            for i, mb, s in rows:
                print(f"  report {i:5d}  RSS {mb:7.1f} MB  {s:7.1f} s")
        written, redone = redone_by_rerun(work, results, units[:3])
        print(f"\nunchanged re-run: {written} reports written, then {redone} redone")


if __name__ == "__main__":
    main()
