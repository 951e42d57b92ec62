"""The one pipeline: spec + tables → :class:`~evalkit.results.Results`.

:func:`evaluate` is pure: no I/O, no clock, no globals; it runs no optional analysis (the
uncertainty of ranks and history rules are steps :mod:`evalkit.run` composes after it). It is
vectorised: each period's units × indicators are numpy arrays; loops run over indicators,
nodes, sources and categories, never over units.

Per period: :func:`~evalkit.scoring.prepare.prepare` (treatment, scoring, missing values) →
weighting schemes (:func:`~evalkit.weights.hierarchy.resolve_tree`) →
:func:`~evalkit.aggregation.scorecard.aggregate_office` → the other sources → points → ranks
within category → grades with quotas → flags.

Nothing is silent: a unit a source gives no score is an error unless the spec declares
``sources.<name>.missing: reweight``; what every declared policy did (missing values filled
or left out, imputed cells, relative weights renormalised, capped points, excluded ratings
and ballots, rows of periods not evaluated) is counted in the ``input_audit`` table
(:mod:`evalkit.inputs.audit`).

Examples
--------
>>> from evalkit.validate import load_spec                                 # doctest: +SKIP
>>> from evalkit.inputs.tables import load_tables                          # doctest: +SKIP
>>> spec = load_spec("params/demo.yaml")                                   # doctest: +SKIP
>>> res = evaluate(spec, load_tables(spec))                                # doctest: +SKIP
>>> res.totals.head()                                                      # doctest: +SKIP
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from evalkit.aggregation.grades import assign_grades, rank_within
from evalkit.aggregation.points import points_totals
from evalkit.aggregation.scorecard import aggregate_office
from evalkit.core.columns import repeated_text
from evalkit.core.errors import EvalkitError
from evalkit.inputs.audit import Audit, missing_audit, table_audit, weights_audit
from evalkit.results import Results
from evalkit.results.tidy import (
    indicator_table,
    meta_tables,
    missing_report,
    node_table,
    source_table,
)
from evalkit.scoring.prepare import Scored, prepare
from evalkit.sources import SOURCES, SourceOutput
from evalkit.sources.base import source_keys
from evalkit.spec.points import points_table
from evalkit.spec.schema import Spec
from evalkit.spec.tree import Tree
from evalkit.weights.hierarchy import resolve_tree


def compute_sources(spec: Spec, tables: dict[str, pd.DataFrame],
                    scored: dict[str, Scored], registry: Any = SOURCES,
                    workers: int | None = None) -> dict[tuple[str, str], SourceOutput]:
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


def combine_sources(scores: dict[str, np.ndarray], weights: dict[str, float], period: str,
                    uid: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sources combined by weight: ``Σ_s w̃_us · score_us`` with ``w̃`` renormalised per unit.

    A unit without a score from a source has that weight shared among its other sources.
    Returns (score matrix units × sources, effective weights, contributions).
    """
    names = list(scores)
    M = np.column_stack([scores[s] for s in names])
    Wu = np.where(np.isnan(M), 0.0, np.array([weights[s] for s in names]))
    den = Wu.sum(axis=1, keepdims=True)
    if (den == 0).any():
        bad = uid[den[:, 0] == 0].tolist()[:10]
        raise EvalkitError(f"period {period}: unit(s) {bad} have no score from any source; "
                           "check their indicator values and source tables")
    Weff = Wu / den
    return M, Weff, Weff * np.nan_to_num(M)


def _read_by(spec: Spec, name: str) -> str:
    """What decides whether a source scores a unit: its files and its minimum counts."""
    keys = ["values"] if name == "office" else source_keys(name, spec.sources[name],
                                                           spec.data)
    files = [spec.data[k].file for k in keys]
    mins = [f"sources.{name}.{k}: {v}" for k, v in spec.sources[name].items()
            if k in ("min_raters", "min_n")]
    return f"{', '.join(files) or 'its tables'}" + (f" and {', '.join(mins)}" if mins else "")


def source_gaps(spec: Spec, scores: dict[str, np.ndarray], period: str, uid: pd.Index,
                audit: Audit) -> None:
    """Units a source gives no score: an error, unless ``sources.<name>.missing: reweight``
    (then counted in the audit: their weight is shared among their other sources)."""
    weights = spec.source_weights()
    for name, s in scores.items():
        gap = np.isnan(s)
        if not gap.any() or weights.get(name, 0) == 0:
            continue
        if spec.source_missing(name) != "reweight":
            raise EvalkitError(
                f"period {period}: source {name!r} gives no score to {int(gap.sum())} of "
                f"{len(uid)} units ({uid[gap].tolist()[:10]}); check {_read_by(spec, name)}, "
                f"or declare sources.{name}.missing: reweight to share its weight among their "
                "other sources", f"sources.{name}")
        audit.add("sources", "unit without a score from the source; its weight shared among "
                  "the unit's other sources", int(gap.sum()), f"sources.{name}.missing: "
                  "reweight", period=period, where=f"source {name}")


def _detail_audit(details: dict[str, pd.DataFrame], period: str, audit: Audit) -> None:
    """Ratings and ballots a source excluded by its declared rules (its ``*_audit`` table)."""
    for name, df in details.items():
        col = "rule" if "rule" in df.columns else "reason" if "reason" in df.columns else None
        if not name.endswith("_audit") or col is None or df.empty:
            continue
        src = name[: -len("_audit")]
        for rule, n in df[col].astype(str).value_counts(sort=False).items():
            audit.add(src, "excluded by a validity rule", int(n), f"sources.{src}: {rule}",
                      period=period, where=f"rule {rule}")


def _points_audit(spec: Spec, rec: pd.DataFrame, period: str, audit: Audit) -> None:
    """Units whose bonus or deductions went over the cap."""
    pr = spec.points
    for kinds, cap, key, what in (
            (["bonus"], pr.bonus_cap, "bonus_cap", "bonus over the cap, capped"),
            (["deduction", "yellow_card"], pr.deduction_cap, "deduction_cap",
             "deductions over the cap, capped")):
        if cap is None or rec.empty:
            continue
        mult = np.where(rec["kind"] == "yellow_card", pr.yellow_card_multiplier, 1.0)
        raw = (rec["points"].to_numpy(dtype=float) * mult)[rec["kind"].isin(kinds).to_numpy()]
        per = pd.Series(raw).groupby(rec.loc[rec["kind"].isin(kinds), "unit_id"].to_numpy()
                                     ).sum()
        audit.add("points", what, int((per > cap).sum()),
                  f"points.{key}: {cap:g}", period=period, where="units")


def _period_audit(tables: dict[str, pd.DataFrame], periods: list[str]) -> list[dict[str, Any]]:
    """Rows of the sources' tables whose period is not evaluated (they are ignored)."""
    audit = Audit()
    for key, df in tables.items():
        if key in ("units", "values", "points") or "period" not in df.columns:
            continue
        other = ~df["period"].astype("string").isin(periods) & df["period"].notna()
        if other.any():
            found = sorted(set(df.loc[other, "period"].astype(str)))
            audit.add(key, "rows of a period not evaluated, ignored", int(other.sum()),
                      "evaluation.periods", where=f"periods {found}")
    return audit.rows


def _points_records(tables: dict[str, pd.DataFrame], extra: list[pd.DataFrame], period: str,
                    uid: pd.Index) -> pd.DataFrame:
    frames = [p for p in [tables.get("points"), *extra] if p is not None]
    if not frames:
        return pd.DataFrame({"unit_id": pd.Series([], dtype="string"), "kind": [],
                             "points": [], "reason": []})
    allp = pd.concat(frames, ignore_index=True)
    if "period" in allp.columns:
        allp = allp[allp["period"].astype("string") == period]
    return allp[allp["unit_id"].isin(uid)]


def rank_and_grade(spec: Spec, tot: pd.DataFrame) -> dict[str, Any]:
    """Rank within category, grade with quotas and flag (veto, bottom N) the units of a
    totals table (``total``, ``category``, ``veto``): the new columns, in table order (as
    arrays)."""
    rank, n_cat, rfb = rank_within(tot["total"], tot["category"], spec.ranking.decimals,
                                   spec.ranking.ties)
    bottom = (rfb <= spec.ranking.bottom_n).to_numpy(dtype=bool)
    cols: dict[str, Any] = {"rank": rank.array, "n_in_category": n_cat.array,
                            "bottom_n": bottom}
    if spec.grades is not None:
        levels = spec.grades.levels
        gids = [g.id for g in levels]
        mg = spec.points.veto.max_grade
        g = assign_grades(tot["total"], tot["category"], tot["veto"], levels,
                          spec.grades.quota_rounding, spec.grades.ties,
                          gids.index(mg) if mg else len(gids) - 1, spec.ranking.decimals)
        cols["grade"] = [gids[i] for i in g]
        cols["grade_name"] = [levels[i].name or levels[i].id for i in g]
    else:
        cols["grade"] = cols["grade_name"] = [""] * len(tot)
    flags = np.where(tot["veto"], "veto", "")
    bn = f"bottom_{spec.ranking.bottom_n}"
    cols["flags"] = np.where(bottom, np.where(flags == "", bn, flags + ";" + bn), flags)
    return cols


def _period(spec: Spec, tables: dict[str, pd.DataFrame], sc: Scored, tree: Tree,
            outputs: dict[tuple[str, str], SourceOutput], audit: Audit
            ) -> dict[str, pd.DataFrame]:
    units, uid = sc.units, sc.units.index
    off = aggregate_office(sc.scores, sc.keep, sc.cat, tree)
    weights = spec.source_weights()
    scores = {"office": off["office"]} if "office" in weights else {}
    details: dict[str, pd.DataFrame] = {}
    extra_points: list[pd.DataFrame] = []
    for name in weights:
        if name == "office":
            continue
        out = outputs[(sc.period, name)]
        scores[name] = out.score.reindex(uid).to_numpy(dtype=float)
        for tname, t in out.tables.items():
            if tname == "points":
                extra_points.append(t)
            else:
                details[f"{name}_{tname}"] = t if "period" in t.columns else \
                    t.assign(period=sc.period)
    source_gaps(spec, scores, sc.period, uid, audit)
    _detail_audit(details, sc.period, audit)
    M, Weff, contrib = combine_sources(scores, weights, sc.period, uid)
    names = list(scores)
    pr = spec.points
    records = _points_records(tables, extra_points, sc.period, uid)
    _points_audit(spec, records, sc.period, audit)
    per, rec = points_totals(records, uid, pr.bonus_cap, pr.deduction_cap,
                             pr.yellow_card_multiplier)
    weighted = contrib.sum(axis=1)
    bonus, ded = per["bonus"].to_numpy(dtype=float), per["deductions"].to_numpy(dtype=float)
    cols = {"period": repeated_text(sc.period, len(uid)), "unit_id": uid,
            "unit_name": units["unit_name"].array, "unit_name_en": units["unit_name_en"].array,
            "category": units["category"].astype("string").array,
            **{s: M[:, k] for k, s in enumerate(names)},
            "weighted_score": weighted, "bonus": bonus, "deductions": ded,
            "veto": per["veto"].to_numpy(dtype=bool), "total": weighted + bonus - ded}
    keys = pd.DataFrame({c: cols[c] for c in ("total", "category", "veto")})
    tot = pd.DataFrame(cols | rank_and_grade(spec, keys))
    w_office = Weff[:, names.index("office")] if "office" in names else np.zeros(len(uid))
    out = {"totals": tot, "indicators": indicator_table(sc, tree, off, w_office, spec),
           "nodes": node_table(sc, tree, off, w_office),
           "sources": source_table(sc.period, uid, names, M,
                                   np.array([weights[s] for s in names]), Weff, contrib),
           "points": pd.DataFrame({"period": repeated_text(sc.period, len(rec)),
                                   **{c: rec[c].array for c in
                                      ("unit_id", "kind", "points", "applied", "reason")}}),
           "missing_report": missing_report(spec, sc, tree)}
    for name, log in sc.log.items():            # the log with its period (a shallow copy)
        out[name] = log.copy(deep=False)
        out[name]["period"] = repeated_text(sc.period, len(log))
    out.update(details)
    return out


def evaluate(spec: Spec, tables: dict[str, pd.DataFrame],
             scored: dict[str, Scored] | None = None) -> Results:
    """Evaluate every period of ``spec`` on ``tables``; pure and vectorised.

    Per period: score indicators (within category), aggregate them up the scorecard into the
    office score, combine sources by weight (a unit missing a source has that weight shared
    among its other sources), apply points, rank within category, grade with quotas, flag.
    ``total = Σ_s w_s · score_s + min(Σ bonus, cap) − deductions``, and every total decomposes
    exactly into indicator, source and points contributions. ``scored`` is
    :func:`~evalkit.scoring.prepare.prepare`'s output when the caller has it already.

    The provenance records the evaluation, its periods, the seed, the methods and, per
    period, where each scheme-made weight came from; the time, the versions and the input
    files' hashes are added by :func:`evalkit.run.run_spec`.
    """
    tree = Tree.from_spec(spec)
    scored = prepare(spec, tables) if scored is None else scored
    outputs = compute_sources(spec, tables, scored)
    parts: dict[str, list[pd.DataFrame]] = {}
    weights: dict[str, Any] = {}
    audit = Audit()
    audit.extend(table_audit(tables) + _period_audit(tables, list(scored)) +
                 weights_audit(spec))
    for period, sc in scored.items():
        tree_p, prov = resolve_tree(spec, sc, tree)
        if prov:
            weights[period] = prov
        audit.extend(missing_audit(spec, period, tree.indicators, sc.applies, sc.missing,
                                   sc.keep, sc.imputed))
        for name, df in _period(spec, tables, sc, tree_p, outputs, audit).items():
            parts.setdefault(name, []).append(df)
    out = {k: v[0] if len(v) == 1 else pd.concat(v, ignore_index=True)   # indexes 0..n-1
           for k, v in parts.items()}
    out.update(meta_tables(spec, tree))
    out["meta_weights"] = points_table(spec)
    out["input_audit"] = audit.frame()
    prov = {
        "evaluation": spec.evaluation.model_dump(),
        "periods": list(scored),
        "current_period": list(scored)[-1] if scored else None,
        "seed": spec.evaluation.seed,
        "spec_file": str(spec.path) if spec.path else None,
        "weights": weights,
        "methods": {
            "scoring": sorted({i.scoring.method for i in spec.indicators if i.scoring}),
            "aggregation": sorted(set(tree.methods) | {tree.root_method}),
            "missing": spec.defaults.missing,
            "sources": spec.source_weights(),
            "points": spec.points.model_dump(),
        },
    }
    return Results(out, provenance=prov, spec=spec.raw)
