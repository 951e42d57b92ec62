"""Benchmark: what saving the Results costs next to evaluating them (issue 13).

Builds the demo city at ``--units`` units × ``--indicators`` indicators
(:func:`evalkit.demo.make_demo`), then times, in one fresh process each so that nothing is
warm from another step:

1. ``evaluate()`` alone on the loaded spec and tables;
2. ``evalkit run SPEC --out DIR`` end to end (read, check, evaluate, analyses, save);

and, in this process, saving as ``run`` does it (``Results.save``: the Parquet files, written
in a thread beside the workbook, then provenance and manifest) and its parts alone: the
Parquet files (``Results.save(excel=False)``) and the workbook (``Results.to_excel``). Every
figure is the best of ``--rounds`` (the machine may be shared: the best is the least
disturbed). It prints every time, the
workbook's size, and the ratio ``run / evaluate`` (the goal: ≤ 2 at 2,000 units × 60
indicators) and ``saving / evaluate`` (saving costs no more than evaluating: ≤ 1).

Usage: ``python bench/bench_save.py [--units 2000] [--indicators 60] [--rounds 2]
[--lenient-sources]`` (``--lenient-sources`` declares ``missing: reweight`` for the sources
other than ``office``, for a demo in which a source gives some units no score).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from evalkit.demo import make_demo
from evalkit.results import Results

EVALUATE = r"""
import json, sys, time
from evalkit.evaluate import evaluate
from evalkit.validate import load
spec, tables = load(sys.argv[1])
times = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    evaluate(spec, tables)
    times.append(time.perf_counter() - t0)
print(json.dumps({"evaluate": min(times)}))
"""


def lenient(spec_path: Path) -> None:
    """Declare ``missing: reweight`` for every source but ``office`` in the spec file."""
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    for name, src in (spec.get("sources") or {}).items():
        if name != "office" and isinstance(src, dict):
            src.setdefault("missing", "reweight")
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")


def timed_run(cmd: list[str]) -> tuple[float, str]:
    """Seconds a command takes and its standard output (it must succeed)."""
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or [""])[-1]
        raise SystemExit(f"{Path(cmd[1]).name if cmd[1] != '-c' else 'evaluate'} failed: {tail}"
                         "\n(a demo in which a source gives some units no score needs "
                         "--lenient-sources)")
    return time.perf_counter() - t0, out.stdout


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, default=2000)
    p.add_argument("--indicators", type=int, default=60)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--lenient-sources", action="store_true")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-save-") as tmp:
        work = Path(tmp)
        spec = work / "spec.yaml"
        make_demo(work / "data", n_units=a.units, n_indicators=a.indicators, spec_path=spec)
        if a.lenient_sources:
            lenient(spec)
        _, out = timed_run([sys.executable, "-c", EVALUATE, str(spec), str(a.rounds)])
        t_eval = json.loads(out.strip().splitlines()[-1])["evaluate"]
        command = [str(Path(sys.executable).parent / "evalkit"), "run", str(spec), "--out"]
        t_run = min(timed_run([*command, str(work / f"results{k}")])[0]
                    for k in range(a.rounds))
        t_parquet = t_excel = t_save = float("inf")
        for k in range(a.rounds):
            res = Results.load(work / "results0")           # its tables as run saved them
            t0 = time.perf_counter()
            res.save(work / f"saved{k}")
            t_save = min(t_save, time.perf_counter() - t0)
            t0 = time.perf_counter()
            res.save(work / f"again{k}", excel=False)
            t_parquet = min(t_parquet, time.perf_counter() - t0)
            t0 = time.perf_counter()
            res.to_excel(work / f"results{k}.xlsx")
            t_excel = min(t_excel, time.perf_counter() - t0)
        size = (work / "results0.xlsx").stat().st_size / 2**20
    print(f"demo city: {a.units} units × {a.indicators} indicators")
    print(f"best of {a.rounds} rounds each")
    print(f"evaluate() alone:                  {t_eval:6.2f} s")
    print(f"evalkit run (end to end):          {t_run:6.2f} s")
    print(f"  of which saving (Results.save):  {t_save:6.2f} s")
    print(f"    Parquet alone:                 {t_parquet:6.2f} s")
    print(f"    the workbook alone:            {t_excel:6.2f} s ({size:.1f} MB)")
    print(f"ratio run / evaluate:              {t_run / t_eval:6.2f}  (goal ≤ 2)")
    print(f"ratio saving / evaluate:           {t_save / t_eval:6.2f}  (goal ≤ 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
