"""The one pipeline: spec + tables → :class:`~evalkit.results.Results`.

:func:`evaluate` is pure (no I/O, no globals) and vectorised: each period's units ×
indicators are numpy arrays; loops run over indicators, nodes, sources and categories, never
over units. The steps are exposed for re-use: :func:`prepare` (treatment and scoring; what a
weights-only Monte Carlo re-uses) and :func:`aggregate_office` (the scorecard's hierarchy).

Examples
--------
>>> from evalkit.demo import make_demo                                    # doctest: +SKIP
>>> folder = make_demo("data/demo")                                       # doctest: +SKIP
>>> res = run_spec("params/demo.yaml")                                    # doctest: +SKIP
>>> res.totals.head()                                                     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import platform
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.aggregate import (
    AGGREGATION,
    apply_missing,
    assign_grades,
    points_totals,
    rank_within,
)
from evalkit.errors import EvalkitError
from evalkit.results import Results
from evalkit.scoring import score_matrix
from evalkit.sources import SourceOutput, load_sources
from evalkit.spec import Spec, load_spec
from evalkit.tables import as_matrix, describe_source, load_tables, periods_of


# ---------------------------------------------------------------------------------------
@dataclass
class Tree:
    """The office scorecard as arrays: nodes (perspectives, pillars, …) above indicators.

    ``ind_w[c, j]`` / ``node_w[c, k]`` are the nominal weights of indicator j / node k in
    category c (0 where an indicator does not apply); ``order`` lists nodes bottom-up.
    """

    categories: list[str]
    indicators: list[str]
    nodes: list[str]
    ind_parent: np.ndarray          # node index of each indicator
    node_parent: np.ndarray         # node index of each node's parent, -1 for a root
    ind_w: np.ndarray               # categories × indicators
    node_w: np.ndarray              # categories × nodes
    methods: list[str]              # aggregation per node
    root_method: str
    order: list[int]
    levels: np.ndarray              # 1 = just above indicators

    @classmethod
    def from_spec(cls, spec: Spec) -> Tree:
        cats = spec.category_ids()
        nodes = [p.id for p in spec.perspectives]
        nidx = {n: k for k, n in enumerate(nodes)}
        inds = spec.indicators
        ind_w = np.zeros((len(cats), len(inds)))
        for j, ind in enumerate(inds):
            for c, cat in enumerate(cats):
                if ind.categories is None or cat in ind.categories:
                    ind_w[c, j] = ind.weight.get(cat, 0.0) if isinstance(ind.weight, dict) \
                        else ind.weight
        node_w = np.zeros((len(cats), len(nodes)))
        for k, p in enumerate(spec.perspectives):
            for c, cat in enumerate(cats):
                node_w[c, k] = p.weight.get(cat, 0.0) if isinstance(p.weight, dict) \
                    else p.weight
        parent = np.array([nidx[p.parent] if p.parent else -1 for p in spec.perspectives],
                          dtype=int)
        depth = np.zeros(len(nodes), dtype=int)
        for k in range(len(nodes)):
            d, cur = 0, k
            while parent[cur] >= 0:
                cur, d = parent[cur], d + 1
            depth[k] = d
        order = sorted(range(len(nodes)), key=lambda k: -depth[k])
        levels = depth.max() - depth + 2 if len(nodes) else depth
        return cls(cats, [i.id for i in inds], nodes,
                   np.array([nidx[i.perspective] for i in inds], dtype=int), parent, ind_w,
                   node_w, [p.aggregation or spec.defaults.aggregation
                            for p in spec.perspectives],
                   spec.defaults.aggregation, order, levels)


@dataclass
class Scored:
    """One period after treatment and scoring: what aggregation (and Monte Carlo) starts from."""

    period: str
    units: pd.DataFrame                    # index unit_id
    cat: np.ndarray                        # category index of each unit
    raw: np.ndarray                        # units × indicators, as read
    treated: np.ndarray                    # after denominators, imputation, outliers
    scores: np.ndarray                     # after the missing-value policy
    keep: np.ndarray                       # cells that enter aggregation
    applies: np.ndarray                    # cells whose indicator applies to the unit
    missing: np.ndarray                    # applicable cells with no value
    imputed: np.ndarray
    log: dict[str, pd.DataFrame] = field(default_factory=dict)


def _treat(spec: Spec, X: pd.DataFrame, units: pd.DataFrame
           ) -> tuple[pd.DataFrame, np.ndarray, dict[str, pd.DataFrame]]:
    t = spec.treatment
    imputed = np.zeros(X.shape, dtype=bool)
    logs: dict[str, pd.DataFrame] = {}
    if not (t.denominate or t.impute or t.outliers):
        return X, imputed, logs
    from evalkit import treatment

    if t.denominate:
        dens = {i.id: i.denominator for i in spec.indicators if i.denominator}
        X = treatment.denominate(X, dens, units)
    if t.impute:
        params = {k: v for k, v in t.impute.items() if k != "method"}
        X, mask = treatment.IMPUTE.get(t.impute["method"], "treatment.impute.method")(
            X, units, **params)
        imputed = np.asarray(mask, dtype=bool)
    if t.outliers:
        params = {k: v for k, v in t.outliers.items() if k != "method"}
        X, log = treatment.OUTLIERS.get(t.outliers["method"], "treatment.outliers.method")(
            X, **params)
        logs["treatment"] = log
    return X, imputed, logs


def prepare(spec: Spec, tables: dict[str, pd.DataFrame]) -> dict[str, Scored]:
    """Treat and score every period's indicators (no aggregation)."""
    units = tables["units"]
    periods = periods_of(tables["values"], spec)
    tree = Tree.from_spec(spec)
    cat = pd.Categorical(units["category"], categories=tree.categories).codes.astype(int)
    specs = [(i.scoring.method, i.direction, i.target, i.scoring.scope,  # type: ignore[union-attr]
              i.scoring.params) for i in spec.indicators]  # type: ignore[union-attr]
    policies = [i.missing or spec.defaults.missing for i in spec.indicators]
    applies = tree.ind_w[cat] > 0
    out = {}
    for period in periods:
        X = as_matrix(tables["values"], period, units.index, tree.indicators)
        raw = X.to_numpy(dtype=float)
        T, imputed, logs = _treat(spec, X, units)
        treated = T.to_numpy(dtype=float)
        treated = np.where(applies, treated, np.nan)
        try:
            S = score_matrix(treated, cat, specs)
        except EvalkitError as err:
            raise EvalkitError(f"period {period}: {err}") from None
        missing = applies & np.isnan(raw) & ~imputed
        S2, keep = apply_missing(S, applies, cat, policies)
        out[period] = Scored(period, units, cat, raw, treated, S2, keep, applies, missing,
                             imputed, logs)
    return out


def aggregate_office(S: np.ndarray, keep: np.ndarray, cat: np.ndarray, tree: Tree,
                     ind_w: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Aggregate indicator scores up the scorecard; decompose the office score.

    Parameters
    ----------
    S, keep : arrays (units × indicators)
        Scores and the cells that enter (missing cells dropped under ``reweight``).
    cat : array (units,)
        Category index of each unit.
    tree : Tree
    ind_w : array (categories × indicators), optional
        Indicator weights replacing the spec's (a weight variant).

    Returns
    -------
    dict with ``office`` (units,), ``node_scores`` (units × nodes), ``ind_contrib``
    (units × indicators, summing to ``office``), ``node_contrib``, ``ind_weight`` (each
    indicator's effective global weight) and ``node_weight``.
    """
    n = len(cat)
    Wi = (tree.ind_w if ind_w is None else ind_w)[cat] * keep
    Wn_nom = tree.node_w[cat]
    k = len(tree.nodes)
    NS = np.full((n, k), np.nan)
    shares_ind = np.zeros_like(S)
    node_share = np.zeros((n, k))
    node_ok = np.zeros((n, k), dtype=bool)
    for node in tree.order:
        ci = np.flatnonzero(tree.ind_parent == node)
        cn = np.flatnonzero(tree.node_parent == node)
        X = np.concatenate([S[:, ci], NS[:, cn]], axis=1)
        W = np.concatenate([Wi[:, ci], Wn_nom[:, cn] * node_ok[:, cn]], axis=1)
        agg, sh = AGGREGATION.get(tree.methods[node])(X, W)
        NS[:, node] = agg
        node_ok[:, node] = W.sum(axis=1) > 0
        shares_ind[:, ci] = sh[:, : len(ci)]
        node_share[:, cn] = sh[:, len(ci):]
    roots = np.flatnonzero(tree.node_parent < 0)
    Wr = Wn_nom[:, roots] * node_ok[:, roots]
    office, root_sh = AGGREGATION.get(tree.root_method)(NS[:, roots], Wr)
    node_share[:, roots] = root_sh
    # top-down: contribution of a node = its share of its parent's contribution
    NC = np.zeros((n, k))
    for node in reversed(tree.order):
        p = tree.node_parent[node]
        parent_c = np.nan_to_num(office) if p < 0 else NC[:, p]
        NC[:, node] = parent_c * node_share[:, node]
    IC = NC[:, tree.ind_parent] * shares_ind
    # effective global weights: product of normalised weights down the tree
    with np.errstate(invalid="ignore", divide="ignore"):
        def norm(w: np.ndarray, parent: np.ndarray) -> np.ndarray:
            tot = np.zeros((n, k))
            np.add.at(tot.T, parent, w.T) if w.size else None
            return np.where(tot[:, parent] > 0, w / tot[:, parent], 0.0)

        wi_n = norm(Wi, tree.ind_parent)
        wn = Wn_nom * node_ok
        nonroot = tree.node_parent >= 0
        wn_n = np.zeros((n, k))
        if nonroot.any():
            wn_n[:, nonroot] = norm(wn[:, nonroot], tree.node_parent[nonroot])
        rt = wn[:, roots].sum(axis=1, keepdims=True)
        wn_n[:, roots] = np.where(rt > 0, wn[:, roots] / rt, 0.0)
    GW = wn_n.copy()
    for node in reversed(tree.order):
        p = tree.node_parent[node]
        if p >= 0:
            GW[:, node] = GW[:, p] * wn_n[:, node]
    ind_weight = GW[:, tree.ind_parent] * wi_n
    return {"office": office, "node_scores": NS, "ind_contrib": IC, "node_contrib": NC,
            "ind_weight": ind_weight, "node_weight": GW}


# ---------------------------------------------------------------------------------------
def _long(arr: np.ndarray, units: pd.Index, cols: list[str], name: str, colname: str
          ) -> pd.Series:
    idx = pd.MultiIndex.from_product([units, cols], names=["unit_id", colname])
    return pd.Series(arr.ravel(), index=idx, name=name)


def compute_sources(spec: Spec, tables: dict[str, pd.DataFrame],
                    scored: dict[str, Scored], registry: Any, workers: int | None = None
                    ) -> dict[tuple[str, str], SourceOutput]:
    """Every non-office source of every period, computed concurrently.

    Sources are independent of each other and of the scorecard, and their work is in numpy,
    pandas and pyarrow, which release the GIL: a thread per core overlaps them. Each source
    is deterministic, so the result does not depend on the order they finish in.
    """
    jobs = [(period, name) for period in scored for name in spec.sources if name != "office"]
    if not jobs:
        return {}

    def run(job: tuple[str, str]) -> SourceOutput:
        period, name = job
        return registry.get(name).compute(spec.source_config(name), tables,
                                          scored[period].units, period)

    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers == 1:
        return {job: run(job) for job in jobs}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(jobs, pool.map(run, jobs), strict=True))


def _period(spec: Spec, tables: dict[str, pd.DataFrame], sc: Scored, tree: Tree,
            outputs: dict[tuple[str, str], SourceOutput]) -> dict[str, pd.DataFrame]:
    units = sc.units
    uid = units.index
    off = aggregate_office(sc.scores, sc.keep, sc.cat, tree)
    # sources
    weights = spec.source_weights()
    src_scores: dict[str, np.ndarray] = {"office": off["office"]} if "office" in weights \
        else {}
    details: dict[str, pd.DataFrame] = {}
    extra_points: list[pd.DataFrame] = []
    for name in weights:
        if name == "office":
            continue
        out = outputs[(sc.period, name)]
        src_scores[name] = out.score.reindex(uid).to_numpy(dtype=float)
        for tname, t in out.tables.items():
            if tname == "points":
                extra_points.append(t)
            else:
                details[f"{name}_{tname}"] = t.assign(period=sc.period) if "period" not in \
                    t.columns else t
    names = list(src_scores)
    M = np.column_stack([src_scores[s] for s in names])
    Wnom = np.array([weights[s] for s in names])
    Wu = np.where(np.isnan(M), 0.0, Wnom)
    with np.errstate(invalid="ignore", divide="ignore"):
        Weff = Wu / Wu.sum(axis=1, keepdims=True)
    Weff = np.nan_to_num(Weff)
    contrib = Weff * np.nan_to_num(M)
    weighted = contrib.sum(axis=1)
    if (Wu.sum(axis=1) == 0).any():
        bad = uid[Wu.sum(axis=1) == 0].tolist()[:10]
        raise EvalkitError(f"period {sc.period}: unit(s) {bad} have no score from any source; "
                           "check their indicator values and source tables")
    # points
    pts = tables.get("points")
    frames = [p for p in [pts, *extra_points] if p is not None]
    if frames:
        allp = pd.concat(frames, ignore_index=True)
        if "period" in allp.columns:
            allp = allp[allp["period"].astype("string") == sc.period]
        allp = allp[allp["unit_id"].isin(uid)]
    else:
        allp = pd.DataFrame({"unit_id": pd.Series([], dtype="string"), "kind": [],
                             "points": [], "reason": []})
    pr = spec.points
    per, rec = points_totals(allp, uid, pr.bonus_cap, pr.deduction_cap,
                             pr.yellow_card_multiplier)
    total = weighted + per["bonus"].to_numpy() - per["deductions"].to_numpy()
    tot = pd.DataFrame(index=uid)
    tot["unit_name"] = units["unit_name"]
    tot["unit_name_en"] = units["unit_name_en"]
    tot["category"] = units["category"].astype("string")
    for s in names:
        tot[s] = src_scores[s]
    tot["weighted_score"] = weighted
    tot["bonus"] = per["bonus"]
    tot["deductions"] = per["deductions"]
    tot["veto"] = per["veto"].astype(bool)
    tot["total"] = total
    rank, n_cat, rfb = rank_within(tot["total"], tot["category"], spec.ranking.decimals,
                                   spec.ranking.ties)
    tot["rank"] = rank
    tot["n_in_category"] = n_cat
    tot["bottom_n"] = (rfb <= spec.ranking.bottom_n).astype(bool)
    if spec.grades is not None:
        levels = spec.grades.levels
        gids = [g.id for g in levels]
        vmax = gids.index(spec.points.veto.max_grade) if spec.points.veto.max_grade \
            else len(gids) - 1
        g = assign_grades(tot["total"], tot["category"], tot["veto"], levels,
                          spec.grades.quota_rounding, spec.grades.ties, vmax,
                          spec.ranking.decimals)
        tot["grade"] = [gids[i] for i in g]
        tot["grade_name"] = [levels[i].name or levels[i].id for i in g]
    else:
        tot["grade"] = ""
        tot["grade_name"] = ""
    flags = np.where(tot["veto"], "veto", "")
    bn = f"bottom_{spec.ranking.bottom_n}"
    flags = np.where(tot["bottom_n"], np.where(flags == "", bn, flags + ";" + bn), flags)
    tot["flags"] = flags
    tot = tot.reset_index().rename(columns={"index": "unit_id"})
    tot.insert(0, "period", sc.period)

    # long tables
    W_office = Weff[:, names.index("office")] if "office" in names else np.zeros(len(uid))
    ind = pd.concat([
        _long(sc.raw, uid, tree.indicators, "raw", "indicator_id"),
        _long(sc.treated, uid, tree.indicators, "value", "indicator_id"),
        _long(sc.scores, uid, tree.indicators, "score", "indicator_id"),
        _long(off["ind_weight"], uid, tree.indicators, "weight", "indicator_id"),
        _long(off["ind_contrib"] * W_office[:, None], uid, tree.indicators, "contribution",
              "indicator_id"),
        _long(sc.missing, uid, tree.indicators, "missing", "indicator_id"),
        _long(sc.imputed, uid, tree.indicators, "imputed", "indicator_id"),
        _long(sc.applies, uid, tree.indicators, "applies", "indicator_id"),
    ], axis=1)
    ind = ind[ind["applies"]].drop(columns="applies").reset_index()
    ind.insert(2, "perspective_id", np.array(tree.nodes)[tree.ind_parent][
        pd.Index(tree.indicators).get_indexer(ind["indicator_id"])])
    ind.insert(0, "period", sc.period)
    nodes = pd.concat([
        _long(off["node_scores"], uid, tree.nodes, "score", "node_id"),
        _long(off["node_weight"], uid, tree.nodes, "weight", "node_id"),
        _long(off["node_contrib"] * W_office[:, None], uid, tree.nodes, "contribution",
              "node_id"),
    ], axis=1).reset_index()
    npos = pd.Index(tree.nodes).get_indexer(nodes["node_id"])
    nodes["level"] = tree.levels[npos]
    pid = np.array([tree.nodes[p] if p >= 0 else "" for p in tree.node_parent], dtype=object)
    nodes["parent_id"] = pid[npos]
    nodes.insert(0, "period", sc.period)
    srcs = pd.concat([
        _long(M, uid, names, "score", "source"),
        _long(np.broadcast_to(Wnom, M.shape), uid, names, "weight", "source"),
        _long(Weff, uid, names, "effective_weight", "source"),
        _long(contrib, uid, names, "contribution", "source"),
    ], axis=1).reset_index()
    srcs.insert(0, "period", sc.period)
    points = rec.assign(period=sc.period)[["period", "unit_id", "kind", "points", "applied",
                                           "reason"]]
    out = {"totals": tot, "indicators": ind, "nodes": nodes, "sources": srcs, "points": points,
           "missing_report": _missing_report(spec, sc, tree)}
    for name, log in sc.log.items():
        out[name] = log.assign(period=sc.period)
    out.update(details)
    return out


def _missing_report(spec: Spec, sc: Scored, tree: Tree) -> pd.DataFrame:
    """How many applicable values were missing per indicator and category, and the policy."""
    cats = np.asarray(tree.categories)[sc.cat]
    rows = []
    for c in tree.categories:
        m = cats == c
        rows.append(pd.DataFrame({
            "period": sc.period, "category": c, "indicator_id": tree.indicators,
            "n_applicable": sc.applies[m].sum(axis=0), "n_missing": sc.missing[m].sum(axis=0),
            "n_imputed": (sc.imputed & sc.applies)[m].sum(axis=0),
            "policy": [i.missing or spec.defaults.missing for i in spec.indicators]}))
    out = pd.concat(rows, ignore_index=True)
    return out[out["n_applicable"] > 0].reset_index(drop=True)


def _meta(spec: Spec) -> dict[str, pd.DataFrame]:
    mi = pd.DataFrame([{
        "indicator_id": i.id, "name": i.name or i.id, "name_en": i.name_en or i.name or i.id,
        "perspective_id": i.perspective, "direction": i.direction, "target": i.target,
        "method": i.scoring.method if i.scoring else "", "unit": i.unit,
        "categories": ";".join(i.categories) if i.categories else "",
    } for i in spec.indicators])
    tree = Tree.from_spec(spec)
    mn = pd.DataFrame({
        "node_id": tree.nodes,
        "name": [p.name or p.id for p in spec.perspectives],
        "name_en": [p.name_en or p.name or p.id for p in spec.perspectives],
        "parent_id": [p.parent or "" for p in spec.perspectives],
        "level": tree.levels.astype(int) if len(tree.nodes) else [],
        "aggregation": tree.methods,
    })
    mc = pd.DataFrame([{"category": c.id, "name": c.name or c.id,
                        "name_en": c.name_en or c.name or c.id} for c in spec.categories]
                      or [{"category": "all", "name": "全部", "name_en": "All"}])
    mg = pd.DataFrame([{"grade": g.id, "name": g.name or g.id, "name_en": g.name_en or g.id,
                        "min_score": g.min_score, "quota": g.quota}
                       for g in (spec.grades.levels if spec.grades else [])],
                      columns=["grade", "name", "name_en", "min_score", "quota"])
    return {"meta_indicators": mi, "meta_nodes": mn, "meta_categories": mc, "meta_grades": mg}


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("evalkit", "numpy", "pandas", "scipy", "statsmodels", "pyarrow", "openpyxl"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def evaluate(spec: Spec, tables: dict[str, pd.DataFrame]) -> Results:
    """Evaluate every period of ``spec`` on ``tables``; pure and vectorised.

    Per period: score indicators (within category), aggregate them up the scorecard into the
    office score, combine sources by weight (a unit missing a source has that weight shared
    among its other sources), apply points, rank within category, grade with quotas, flag.
    ``total = Σ_s w_s · score_s + min(Σ bonus, cap) − deductions``, and every total decomposes
    exactly into indicator, source and points contributions.
    """
    registry = load_sources()
    tree = Tree.from_spec(spec)
    scored = prepare(spec, tables)
    parts: dict[str, list[pd.DataFrame]] = {}
    weights_prov: dict[str, Any] = {}
    outputs = compute_sources(spec, tables, scored, registry)
    for sc in scored.values():
        tree_p, weights_prov = resolve_tree(spec, sc, tree)
        for name, df in _period(spec, tables, sc, tree_p, outputs).items():
            parts.setdefault(name, []).append(df)
    out = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    out.update(_meta(spec))
    out = _apply_history(spec, out)
    if spec.uncertainty and scored:
        from evalkit.uncertainty import rank_intervals

        out["uncertainty"] = rank_intervals(spec, tables, period=list(scored)[-1],
                                            scored=scored, results=Results(dict(out)),
                                            **spec.uncertainty)
    prov = {
        "evaluation": spec.evaluation.model_dump(),
        "periods": list(scored),
        "current_period": list(scored)[-1] if scored else None,
        "inputs": {k: describe_source(t) for k, t in tables.items()
                   if isinstance(t, pd.DataFrame)},
        "versions": _versions(),
        "seed": spec.evaluation.seed,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "spec_file": str(spec.path) if spec.path else None,
        "weights": weights_prov,
        "methods": {
            "scoring": sorted({i.scoring.method for i in spec.indicators if i.scoring}),
            "aggregation": sorted(set(tree.methods) | {tree.root_method}),
            "missing": spec.defaults.missing,
            "sources": spec.source_weights(),
            "points": spec.points.model_dump(),
        },
    }
    return Results(out, provenance=prov, spec=spec.raw)


def resolve_tree(spec: Spec, sc: Scored, tree: Tree) -> tuple[Tree, dict[str, Any]]:
    """The tree with the weights of the spec's weighting schemes for one period.

    Perspectives with a ``weighting`` get their children's weights from the scheme
    (objective schemes from this period's scores, within category); others keep the spec's
    weights. Returns the tree to aggregate with and the weights' provenance ({} if none).
    """
    if not any(p.weighting is not None for p in spec.perspectives):
        return tree, {}
    from evalkit.weights.hierarchy import tree_weights

    ind_w, node_w, prov = tree_weights(spec, sc, tree)
    return dataclasses.replace(tree, ind_w=ind_w, node_w=node_w), prov


def _apply_history(spec: Spec, out: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Add flags from consecutive-period rules (``history:``) to ``totals.flags``."""
    if not spec.history:
        return out
    from evalkit import history

    fl = history.history_flags(out["totals"], spec.history)
    if fl is None or fl.empty:
        return out
    tot = out["totals"].merge(fl.rename(columns={"flags": "_hflags"}), how="left",
                              on=["period", "unit_id"])
    h = tot["_hflags"].fillna("").astype(str)
    tot["flags"] = np.where(h == "", tot["flags"],
                            np.where(tot["flags"] == "", h, tot["flags"] + ";" + h))
    out["totals"] = tot.drop(columns="_hflags")
    return out


def run_spec(path: str | Path, out: str | Path | None = None) -> Results:
    """Load a spec and its tables, evaluate, and save the Results to ``out``.

    ``out`` defaults to ``results/<evaluation id>`` beside the current directory.
    """
    spec = load_spec(path)
    tables = load_tables(spec)
    res = evaluate(spec, tables)
    folder = Path(out) if out is not None else Path("results") / spec.evaluation.id
    res.save(folder)
    return res
