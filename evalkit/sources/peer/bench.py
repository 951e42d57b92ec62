"""The peer-scheme bench: which scheme recovers the truth, and which resists manipulation.

For every cell (number of units ``n`` × design × scale) the bench draws ``reps`` simulated
cities at once (:mod:`evalkit.sources.peer.simulate`); every scenario and every scheme sees the same
draws (common random numbers). Per scheme × scenario it reports, with Monte Carlo standard
errors over the replications:

- ``tau``: Kendall τ-b between scores and the true quality;
- ``rmse``: RMSE between the standardised scores and the standardised truth;
- ``top_k`` / ``bottom_k``: share of the true best (worst) ``k = round(0.2 n)`` units that the
  scheme puts in its top (bottom) ``k`` — quota honours and the bottom units that must
  account for themselves;
- ``bloc_gain``: mean rank places gained by the manipulating bloc against the honest run
  (positive: the manipulation paid off);
- ``impartiality``: share of replications in which the unit ranked ``k+1`` gets into the top
  ``k`` by rating everyone else at the bottom of the scale (its own ballot changed its own
  selection).

``diff`` and ``se_diff`` are paired differences against the ``mean`` scheme (same draws),
which is the comparison an office needs: "is this scheme better than what we do now?".
Selection mechanisms (``sel:partition``, ``sel:dollar_partition``) report expected top-k
precision and impartiality.

Examples
--------
>>> tab = run_bench(n_list=[10], reps=20, schemes=["mean", "median"],
...                 scenarios=["honest", "collude"], seed=1)
>>> sorted(tab["metric"].unique())[:3]
['bloc_gain', 'bottom_k', 'impartiality']
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError
from evalkit.sources.peer.plots import bench_chart
from evalkit.sources.peer.schemes import SCHEMES
from evalkit.sources.peer.selection import SELECTIONS, default_clusters
from evalkit.sources.peer.simulate import SCALES, SCENARIOS, World, make_world

#: label -> (scheme key, params): the schemes the bench compares by default.
BENCH_SCHEMES: dict[str, tuple[str, dict[str, Any]]] = {
    "mean": ("mean", {}), "median": ("median", {}),
    "trimmed_mean": ("trimmed_mean", {"k": 1}),
    "winsorized_mean": ("winsorized_mean", {"k": 1}), "zscore": ("zscore", {}),
    "group_weighted": ("group_weighted", {}), "borda": ("borda", {}),
    "additive": ("additive", {}), "additive_ingroup": ("additive", {"ingroup": True}),
    "pg1": ("pg1", {}), "vancouver": ("vancouver", {}), "peerrank": ("peerrank", {}),
    "bradley_terry": ("bradley_terry", {}),
}
MECHANISMS = ("partition", "dollar_partition")
METRICS = ("tau", "rmse", "top_k", "bottom_k", "bloc_gain", "impartiality")


# ---------------------------------------------------------------------------- metrics
def ranks(score: np.ndarray, jitter: np.ndarray) -> np.ndarray:
    """Rank 1 = best per replication; ties broken by ``jitter`` (NaN scores last).

    Examples
    --------
    >>> ranks(np.array([[0.2, 0.9, 0.5]]), np.zeros((1, 3))).tolist()
    [[3, 1, 2]]
    """
    s = np.where(np.isnan(score), -np.inf, score)
    order = np.lexsort((jitter, -s), axis=-1)
    r = np.empty_like(order)
    np.put_along_axis(r, order, np.arange(1, s.shape[-1] + 1)[None, :], axis=-1)
    return r


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall τ-b per row of ``x`` and ``y`` (B, n), vectorised over rows.

    ``τ_b = (C − D) / sqrt((P − T_x)(P − T_y))`` with ``P`` pairs and ``T`` tied pairs
    (Kendall 1945, *Biometrika* 33).

    Examples
    --------
    >>> kendall_tau_b(np.array([[1.0, 2, 3]]), np.array([[1.0, 3, 2]])).round(3).tolist()
    [0.333]
    """
    n = x.shape[-1]
    iu, ju = np.triu_indices(n, 1)
    dx = np.sign(x[:, iu] - x[:, ju])
    dy = np.sign(y[:, iu] - y[:, ju])
    P = iu.size
    den = np.sqrt((P - (dx == 0).sum(1)) * (P - (dy == 0).sum(1)).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (dx * dy).sum(1) / np.where(den > 0, den, 1.0), np.nan)


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=1, keepdims=True)
    return (x - x.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)


def _metrics(s: np.ndarray, s_h: np.ndarray, s_dev: np.ndarray, who: np.ndarray,
             w: World, bloc: np.ndarray | None) -> dict[str, np.ndarray]:
    k = w.k
    rk = ranks(s, w.jitter)
    rt = ranks(w.truth, w.jitter)
    B = s.shape[0]
    out = {"tau": kendall_tau_b(s, w.truth),
           "rmse": np.sqrt(((_z(s) - _z(w.truth)) ** 2).mean(1)),
           "top_k": ((rk <= k) & (rt <= k)).sum(1) / k,
           "bottom_k": ((rk > s.shape[1] - k) & (rt > s.shape[1] - k)).sum(1) / k}
    if bloc is None:
        out["bloc_gain"] = np.full(B, np.nan)
    else:
        rh = ranks(s_h, w.jitter)
        out["bloc_gain"] = (rh[:, bloc] - rk[:, bloc]).mean(1).astype(float)
    rdev = ranks(s_dev, w.jitter)
    out["impartiality"] = (rdev[np.arange(B), who] <= k).astype(float)
    return out


def _deviate(R: np.ndarray, who: np.ndarray, lo: float) -> np.ndarray:
    """Unit ``who[b]`` rates everyone it rates at the bottom of the scale."""
    Rd = R.copy()
    b = np.arange(R.shape[0])
    Rd[b, who, :] = np.where(np.isnan(R[b, who, :]), np.nan, lo)
    return Rd


# ---------------------------------------------------------------------------- one task
@dataclass(frozen=True)
class Cell:
    """One bench cell: ``n`` units, a design, a scale, ``reps`` replications."""

    n: int
    design: str = "full"
    scale: str = "100"
    reps: int = 300
    seed: int = 2026
    scenarios: tuple[str, ...] = field(default_factory=lambda: tuple(SCENARIOS))

    def world(self) -> World:
        key = [self.seed, self.n, sum(map(ord, self.design)), sum(map(ord, self.scale))]
        return make_world(self.n, self.reps, self.design, np.random.default_rng(key))


def _scheme_call(label: str, scale_lo: float, scale_hi: float):
    key, params = BENCH_SCHEMES[label] if label in BENCH_SCHEMES else (label, {})
    func = SCHEMES.get(key, "bench.schemes")
    params = dict(params)
    if key == "peerrank":
        params["scale"] = (scale_lo, scale_hi)
    return func, params


def run_task(cell: Cell, label: str) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Per-replication metrics of one scheme (or ``sel:<mechanism>``) over a cell's scenarios.

    Returns the scenario rows' keys and a dict ``(scenario, metric) -> values (reps,)``.

    Examples
    --------
    >>> keys, per = run_task(Cell(10, reps=5, scenarios=("honest",)), "median")
    >>> sorted(per)[:2]
    ['honest|bloc_gain', 'honest|bottom_k']
    """
    w = cell.world()
    sc = SCALES[cell.scale]
    design = w.design
    per: dict[str, np.ndarray] = {}
    keys: list[dict[str, Any]] = []
    if label.startswith("sel:"):
        mech = SELECTIONS.get(label[4:], "bench.schemes")
        cl = default_clusters(cell.n)
        for name in cell.scenarios:
            R, _ = SCENARIOS.get(name, "bench.scenarios")(w, sc)
            s_mean = SCHEMES["mean"](R)
            who = np.argsort(ranks(s_mean, w.jitter), axis=1)[:, w.k]
            p = mech(R, w.k, design, clusters=cl)
            p_dev = mech(_deviate(R, who, sc.lo), w.k, design, clusters=cl)
            top_true = ranks(w.truth, w.jitter) <= w.k
            b = np.arange(R.shape[0])
            vals = {"top_k": (p * top_true).sum(1) / w.k,
                    "impartiality": (np.abs(p_dev[b, who] - p[b, who]) > 1e-9).astype(float)}
            for m, v in vals.items():
                per[f"{name}|{m}"] = v
            keys.append({"scenario": name})
        return keys, per
    func, params = _scheme_call(label, sc.lo, sc.hi)
    if func.requires == "complete" and cell.design != "full":
        return [], {}
    R_h, _ = SCENARIOS["honest"](w, sc)
    s_h = func(R_h, design, **params)
    for name in cell.scenarios:
        R, bloc = SCENARIOS.get(name, "bench.scenarios")(w, sc)
        s = s_h if name == "honest" else func(R, design, **params)
        who = np.argsort(ranks(s, w.jitter), axis=1)[:, w.k]  # ranked k+1
        s_dev = func(_deviate(R, who, sc.lo), design, **params)
        for m, v in _metrics(s, s_h, s_dev, who, w, bloc).items():
            per[f"{name}|{m}"] = v
        keys.append({"scenario": name})
    return keys, per


def _task(args: tuple[Cell, str]) -> tuple[Cell, str, dict[str, np.ndarray]]:
    cell, label = args
    return cell, label, run_task(cell, label)[1]


# ---------------------------------------------------------------------------- the grid
def run_bench(n_list: Sequence[int] = (10, 20, 40), reps: int = 300,
              schemes: Sequence[str] | None = None, scenarios: Sequence[str] | None = None,
              designs: Sequence[str] = ("full",), scales: Sequence[str] = ("100",),
              mechanisms: Sequence[str] = MECHANISMS, seed: int = 2026,
              workers: int = 1) -> pd.DataFrame:
    """Run the grid; return the tidy table.

    Columns: ``n, design, scale, scenario, scheme, metric, value, se, diff, se_diff, reps``
    — ``value`` the Monte Carlo mean, ``se`` its standard error ``sd/√reps``, ``diff`` the
    paired difference to the ``mean`` scheme on the same draws and ``se_diff`` its SE.
    Schemes that need a complete design are skipped on sparse designs.
    """
    labels = list(BENCH_SCHEMES) if schemes is None else list(schemes)
    for lab in labels:
        if lab not in BENCH_SCHEMES and lab not in SCHEMES:
            raise EvalkitError(f"unknown scheme {lab!r}; expected one of "
                               f"{sorted(set(BENCH_SCHEMES) | set(SCHEMES))}", "bench.schemes")
    scen = tuple(SCENARIOS) if scenarios is None else tuple(scenarios)
    for s in scen:
        SCENARIOS.get(s, "bench.scenarios")
    for s in scales:
        if s not in SCALES:
            raise EvalkitError(f"unknown scale {s!r}; expected one of {sorted(SCALES)}",
                               "bench.scales")
    run_labels = (["mean"] if "mean" not in labels else []) + labels + [
        f"sel:{m}" for m in mechanisms]
    cells = [Cell(n, d, s, reps, seed, scen) for n in n_list for d in designs for s in scales]
    tasks = [(c, lab) for c in cells for lab in run_labels]
    tasks.sort(key=lambda t: -t[0].n)  # big cells first: better load balance
    if workers > 1:
        with ProcessPoolExecutor(workers) as ex:
            results = list(ex.map(_task, tasks, chunksize=1))
    else:
        results = [_task(t) for t in tasks]
    base = {(c, k): v for c, lab, per in results if lab == "mean" for k, v in per.items()}
    rows = []
    for cell, lab, per in results:
        if lab not in labels and not lab.startswith("sel:"):
            continue
        for key, v in per.items():
            name, metric = key.split("|")
            ok = ~np.isnan(v)
            nr = int(ok.sum())
            val = float(v[ok].mean()) if nr else np.nan
            se = float(v[ok].std(ddof=1) / np.sqrt(nr)) if nr > 1 else np.nan
            b = base.get((cell, key))
            if b is not None and nr > 1:
                d = (v - b)[ok & ~np.isnan(b)]
                diff, sed = float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))
            else:
                diff = sed = np.nan
            rows.append({"n": cell.n, "design": cell.design, "scale": cell.scale,
                         "scenario": name, "scheme": lab, "metric": metric, "value": val,
                         "se": se, "diff": diff, "se_diff": sed, "reps": nr})
    return pd.DataFrame(rows)


def headline(tab: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
    """Which scheme wins where: per scenario, the best scheme by τ and the smallest bloc gain.

    Uses the largest ``n`` unless given; "best" is the highest mean τ (ties within one SE are
    listed together in ``tied``).

    Examples
    --------
    >>> tab = run_bench(n_list=[10], reps=20, schemes=["mean", "median"],
    ...                 scenarios=["collude"], mechanisms=(), seed=1)
    >>> headline(tab).columns[:5].tolist()
    ['design', 'scale', 'scenario', 'n', 'best_tau']
    """
    n = int(tab["n"].max()) if n is None else n
    t = tab[(tab["n"] == n) & ~tab["scheme"].str.startswith("sel:")]
    out = []
    for (design, scale, scen), g in t.groupby(["design", "scale", "scenario"], sort=False):
        tau = g[g["metric"] == "tau"].set_index("scheme")
        best = tau["value"].idxmax()
        tied = tau.index[tau["value"] >= tau.at[best, "value"] - tau.at[best, "se"]].tolist()
        gain = g[g["metric"] == "bloc_gain"].set_index("scheme")["value"].dropna()
        imp = g[g["metric"] == "impartiality"].set_index("scheme")["value"]
        out.append({"design": design, "scale": scale, "scenario": scen, "n": n,
                    "best_tau": best, "tau": tau.at[best, "value"],
                    "tau_mean": tau["value"].get("mean", np.nan),
                    "tied": ", ".join(t for t in tied if t != best),
                    "least_bloc_gain": gain.abs().idxmin() if len(gain) else "",
                    "bloc_gain_mean": gain.get("mean", np.nan),
                    "bloc_gain_best": gain.abs().min() if len(gain) else np.nan,
                    "impartiality_best_scheme": imp.get(best, np.nan)})
    return pd.DataFrame(out)


def comparison_table(tab: pd.DataFrame, metric: str = "tau", n: int | None = None,
                     design: str = "full", scale: str = "100",
                     versus_mean: bool = False) -> pd.DataFrame:
    """Schemes (rows) × scenarios (columns) of ``metric`` as ``"value ± 1.96·se"`` strings.

    ``versus_mean=True`` shows the paired difference to the mean scheme instead (same draws;
    a difference whose interval excludes 0 is a real difference).

    Examples
    --------
    >>> tab = run_bench(n_list=[10], reps=20, schemes=["mean", "median"],
    ...                 scenarios=["honest"], mechanisms=(), seed=1)
    >>> comparison_table(tab, "tau").index.tolist()
    ['mean', 'median']
    """
    n = int(tab["n"].max()) if n is None else n
    t = tab[(tab["metric"] == metric) & (tab["n"] == n) & (tab["design"] == design)
            & (tab["scale"] == scale)]
    v, e = ("diff", "se_diff") if versus_mean else ("value", "se")
    cell = t[v].map(lambda x: f"{x:+.3f}" if versus_mean else f"{x:.3f}") + " ± " + (
        1.96 * t[e]).map(lambda x: f"{x:.3f}")
    cell = cell.where(t[v].notna(), "")
    out = t.assign(cell=cell).pivot(index="scheme", columns="scenario", values="cell")
    order = [c for c in dict.fromkeys(tab["scenario"]) if c in out.columns]
    rows = [r for r in dict.fromkeys(tab["scheme"]) if r in out.index]
    return out.loc[rows, order]


# ---------------------------------------------------------------------------- CLI
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalkit peer-bench",
                                description="Compare peer-rating schemes by simulation.")
    p.add_argument("--n", type=int, nargs="+", default=[10, 20, 40], help="units per city")
    p.add_argument("--reps", type=int, default=300, help="Monte Carlo replications")
    p.add_argument("--schemes", nargs="+", default=None, help=f"default: {list(BENCH_SCHEMES)}")
    p.add_argument("--scenarios", nargs="+", default=None, help=f"default: {list(SCENARIOS)}")
    p.add_argument("--designs", nargs="+", default=["full"], help="full and/or sparse")
    p.add_argument("--scales", nargs="+", default=["100"], help="100, grade, three")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--out", default=None, help="folder for peer_bench.csv and charts")
    return p


def cli_main(argv: list[str]) -> int:
    """``evalkit peer-bench [options]``: run the grid, print timing and the headline.

    A leading ``--`` (``evalkit peer-bench -- --n 10``) is ignored.

    Examples
    --------
    >>> cli_main(["--n", "10", "--reps", "5", "--schemes", "mean", "--scenarios", "honest",
    ...           "--workers", "1"])  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    peer-bench: 1 schemes + 2 mechanisms × 1 scenarios × n [10] ...
    0
    """
    argv = list(argv)
    a = build_parser().parse_args(argv[1:] if argv[:1] == ["--"] else argv)
    t0 = time.perf_counter()
    tab = run_bench(a.n, a.reps, a.schemes, a.scenarios, a.designs, a.scales, seed=a.seed,
                    workers=a.workers)
    dt = time.perf_counter() - t0
    n_schemes = tab.loc[~tab["scheme"].str.startswith("sel:"), "scheme"].nunique()
    print(f"peer-bench: {n_schemes} schemes + {len(MECHANISMS)} mechanisms × "
          f"{tab['scenario'].nunique()} scenarios × n {a.n} × designs {a.designs} × scales "
          f"{a.scales} × {a.reps} reps: {dt:.1f} s ({a.workers} worker(s))")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(headline(tab).to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        tab.to_csv(out / "peer_bench.csv", index=False)
        for metric in ("tau", "bloc_gain", "top_k"):
            fig = bench_chart(tab, metric)
            fig.savefig(out / f"peer_bench_{metric}.svg")
        print(f"wrote {out / 'peer_bench.csv'} and charts")
    return 0
