"""Benchmark of the peer-scheme bench (evalkit peer-bench).

Prints
1. the full grid (13 schemes + 2 selection mechanisms × 6 scenarios × n ∈ {10, 20, 40} ×
   300 replications) wall time against the 60 s goal;
2. per scheme, the batched evaluation (all replications in one array call) against a naive
   baseline run here: the same scheme called once per replication in a Python loop —
   as a speed-up ratio (naive time / batched time, same matrices);
3. the headline comparison (which scheme wins where).

Usage: ``.venv/bin/python bench/bench_peer.py [--reps 300] [--workers 2] [--quick]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from evalkit.sources.peer.bench import BENCH_SCHEMES, Cell, headline, run_bench
from evalkit.sources.peer.schemes import SCHEMES
from evalkit.sources.peer.simulate import SCALES


def batched_vs_loop(n: int = 40, reps: int = 60) -> list[tuple[str, float, float]]:
    """Seconds per replication of each scheme: batched call vs a loop over replications."""
    w = Cell(n, reps=reps).world()
    sc = SCALES["100"]
    R = sc.map(w.Z)
    out = []
    for label, (key, params) in BENCH_SCHEMES.items():
        f = SCHEMES[key]
        p = dict(params, **({"scale": (sc.lo, sc.hi)} if key == "peerrank" else {}))
        t = time.perf_counter()
        sb = f(R, w.design, **p)
        tb = time.perf_counter() - t
        t = time.perf_counter()
        sl = np.stack([f(R[b], w.design, **p) for b in range(reps)])
        tl = time.perf_counter() - t
        assert np.allclose(sb, sl, atol=1e-3, equal_nan=True), label
        out.append((label, tb / reps, tl / reps))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="n = 10, 20 and 50 reps only")
    a = ap.parse_args()
    n_list = [10, 20] if a.quick else [10, 20, 40]
    reps = 50 if a.quick else a.reps

    print("1. batched schemes vs a per-replication loop (n = 40, 60 replications)")
    for label, tb, tl in batched_vs_loop():
        print(f"   {label:18s} batched {1e3 * tb:7.2f} ms/rep   loop {1e3 * tl:7.2f} ms/rep   "
              f"speed-up ×{tl / tb:5.1f}")

    t0 = time.perf_counter()
    tab = run_bench(n_list=n_list, reps=reps, workers=a.workers)
    dt = time.perf_counter() - t0
    n_s = tab.loc[~tab["scheme"].str.startswith("sel:"), "scheme"].nunique()
    print(f"\n2. grid: {n_s} schemes + 2 mechanisms × {tab['scenario'].nunique()} scenarios × "
          f"n {n_list} × {reps} reps, {a.workers} worker(s): {dt:.1f} s "
          f"({dt / 60:.2f} of the 60 s goal)")
    print("\n3. headline (largest n, full round robin, 0–100 scale)")
    print(headline(tab).to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
