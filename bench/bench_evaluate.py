"""Time and peak memory of ``evaluate`` on the demo city at 97 and 2,000 units.

Goal (issue 2): 2,000 units × 60 indicators, every source included, in under 5 s and 2 GB.
Each size runs in a fresh subprocess so that its peak resident memory is its own. The
baseline, run in the same script on the same data, is the plain-pandas way of scoring an
office scorecard: a ``groupby(unit).apply`` over the long indicator table (office source
only, so it does strictly less work than ``evaluate``).

Run: ``python bench/bench_evaluate.py``
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, resource, sys, time, tracemalloc
from pathlib import Path
import numpy as np, pandas as pd
from evalkit.demo.city import make_demo
from evalkit.evaluate import evaluate
from evalkit.validate import load_spec
from evalkit.inputs.tables import load_tables

root, n_units, n_ind = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
make_demo(root / "data", n_units=n_units, n_indicators=n_ind, spec_path=root / "spec.yaml")
spec = load_spec(root / "spec.yaml")
t0 = time.perf_counter(); tables = load_tables(spec); t_load = time.perf_counter() - t0
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range(3):
    t0 = time.perf_counter(); res = evaluate(spec, tables); times.append(time.perf_counter() - t0)
# like for like with the baseline: the office scorecard alone
office = spec.model_copy(update={"sources": {"office": {"weight": 1}}, "uncertainty": None})
t_office = []
for _ in range(3):
    t0 = time.perf_counter(); evaluate(office, tables); t_office.append(time.perf_counter() - t0)
tracemalloc.start()          # a separate run: tracing slows allocations down
evaluate(spec, tables)
_, peak = tracemalloc.get_traced_memory(); tracemalloc.stop()

# baseline: per-unit groupby-apply over the long table (office score only, equal weights
# within perspective, min-max within category computed with groupby/transform)
v = tables["values"].merge(tables["units"][["category"]], left_on="unit_id", right_index=True)
persp = {i.id: i.perspective for i in spec.indicators}
cost = {i.id for i in spec.indicators if i.direction == "cost"}
t0 = time.perf_counter()
g = v.groupby(["period", "category", "indicator_id"])["value"]
lo, hi = g.transform("min"), g.transform("max")
s = (v["value"] - lo) / (hi - lo) * 100
v = v.assign(score=np.where(v["indicator_id"].isin(cost), 100 - s, s),
             perspective=v["indicator_id"].map(persp))
def per_unit(d):
    return d.groupby("perspective")["score"].mean().mean()
base = v.groupby(["period", "unit_id"]).apply(per_unit)
t_base = time.perf_counter() - t0
print(json.dumps({"units": n_units, "indicators": n_ind, "sources": sorted(spec.sources),
                  "rows": int(len(tables["values"])), "load_s": t_load,
                  "evaluate_s": min(times), "tracemalloc_peak_mb": peak / 2**20,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "baseline_s": t_base, "office_s": min(t_office)}))
"""


def run(n_units: int, n_ind: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", CHILD, tmp, str(n_units), str(n_ind)],
                             check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print("evaluate() on the demo city (best of 3; peak memory of the whole process)")
    for n_units, n_ind in ((97, 34), (2000, 60)):
        t0 = time.perf_counter()
        r = run(n_units, n_ind)
        print(f"  {r['units']:>5} units × {r['indicators']} indicators, sources "
              f"{','.join(r['sources'])}: evaluate {r['evaluate_s']:.2f} s "
              f"(load {r['load_s']:.2f} s), peak RSS {r['maxrss_mb']:.0f} MB, "
              f"traced peak of evaluate {r['tracemalloc_peak_mb']:.0f} MB\n"
              f"        office scorecard alone: evaluate {r['office_s']:.2f} s vs plain-pandas "
              f"per-unit baseline {r['baseline_s']:.2f} s → {r['baseline_s'] / r['office_s']:.1f}× "
              f"[{time.perf_counter() - t0:.0f} s incl. generating the city]")
        if n_units == 2000:
            ok = r["evaluate_s"] < 5 and r["maxrss_mb"] < 2048
            print(f"  goal (< 5 s and < 2 GB at 2,000 × 60): {'met' if ok else 'NOT met'}")



if __name__ == "__main__":
    main()
