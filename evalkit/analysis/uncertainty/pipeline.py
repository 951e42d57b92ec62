"""Uncertainty problems from an evaluation spec, and the ``uncertainty`` table of the Results.

The caller (:mod:`evalkit.run`, the labs) passes the nominal Results: this layer does not
run :func:`evalkit.evaluate.evaluate` itself. The score factors a spec's ``uncertainty``
section names (treatment limit, normalisation, missing policy:
:mod:`~evalkit.analysis.uncertainty.design`) are scored once per combination and attached
to each category's problem (:func:`attach_score_variants`).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analysis.uncertainty.design import DESIGN_KEYS, Design, design_from_settings
from evalkit.analysis.uncertainty.montecarlo import monte_carlo
from evalkit.analysis.uncertainty.problem import UncertaintyProblem, variant_key
from evalkit.analysis.uncertainty.sobol import sobol_indices
from evalkit.core.errors import EvalkitError
from evalkit.scoring.prepare import Scored, prepare, prepare_variants
from evalkit.spec.tree import Tree
from evalkit.weights.hierarchy import resolve_tree

#: the settings a spec's ``uncertainty`` section may give: :func:`monte_carlo`'s keywords
#: and the score factors of :mod:`~evalkit.analysis.uncertainty.design`
MC_SETTINGS = ("n", "perturb", "concentration", "percent", "level", "aggregations",
               "top_k", "bottom_k", "seed", "coverage", "stream", *DESIGN_KEYS)


def _period(scored: Mapping[str, Scored], period: Any) -> str:
    per = list(scored)[-1] if period is None else str(period)
    if per not in scored:
        raise EvalkitError(f"unknown period {period!r}; expected one of {list(scored)}",
                           "period")
    return per


def category_scores(sc: Scored, tree: Tree, c: int) -> pd.DataFrame | None:
    """Units × indicators scores of category ``c`` (indicators that apply to it; cells that
    do not enter aggregation as NaN), or None when the category has no unit."""
    rows = np.flatnonzero(sc.cat == c)
    if not len(rows):
        return None
    cols = np.flatnonzero(tree.ind_w[c] > 0)
    S = np.where(sc.keep[np.ix_(rows, cols)], sc.scores[np.ix_(rows, cols)], np.nan)
    return pd.DataFrame(S, index=sc.units.index[rows], columns=[tree.indicators[j] for j in cols])


def category_tree(tree: Tree, c: int) -> Tree:
    """The tree of category ``c``: its indicators, every node, one row of weights."""
    cols = np.flatnonzero(tree.ind_w[c] > 0)
    return dataclasses.replace(tree, categories=[tree.categories[c]],
                               indicators=[tree.indicators[j] for j in cols],
                               ind_parent=tree.ind_parent[cols],
                               ind_w=tree.ind_w[[c]][:, cols], node_w=tree.node_w[[c]])


def _rest_of_total(results: Any, per: str) -> tuple[pd.DataFrame, pd.Series | None]:
    tot = results.tables["totals"]
    tot = tot[tot["period"].astype(str) == per].set_index("unit_id")
    src = results.tables["sources"]
    src = src[(src["period"].astype(str) == per) & (src["source"] == "office")]
    return tot, (src.set_index("unit_id")["effective_weight"] if len(src) else None)


def _grading(p: UncertaintyProblem, spec: Any) -> None:
    p.decimals, p.ties = spec.ranking.decimals, spec.ranking.ties
    if spec.grades is not None:
        p.quota_rounding, p.grade_ties = spec.grades.quota_rounding, spec.grades.ties
        gids = [g.id for g in spec.grades.levels]
        mg = spec.points.veto.max_grade
        p.veto_max = gids.index(mg) if mg in gids else len(gids) - 1


def problems_from_pipeline(spec: Any, tables: Mapping[str, pd.DataFrame],
                           period: Any = None, *, scored: Mapping[str, Any] | None = None,
                           results: Any = None) -> dict[str, UncertaintyProblem]:
    """One :class:`UncertaintyProblem` per category from an evaluation spec and its tables.

    For the period (default: the current one) and each category: the indicator scores
    (:func:`evalkit.scoring.prepare.prepare`; cells that do not enter aggregation as NaN),
    the scorecard tree with the weights the evaluation used (weighting schemes applied,
    :func:`evalkit.weights.hierarchy.resolve_tree`) and every node's aggregation method, and
    ``offset`` / ``scale`` so that ``offset + scale · office`` reproduces the published total
    (other sources, bonus, deductions). Ranks, grades, quotas and the veto follow the spec.

    ``results`` are the nominal Results (``evaluate(spec, tables)``), required; ``scored``
    (from ``prepare``) may be passed by a caller that has it, to avoid scoring again.
    """
    if results is None:
        raise EvalkitError("the nominal Results are needed: pass results=evaluate(spec, tables)",
                           "results")
    scored = prepare(spec, dict(tables)) if scored is None else scored
    per = _period(scored, period)
    sc = scored[per]
    tree, _ = resolve_tree(spec, sc, Tree.from_spec(spec))   # weighting schemes applied
    tot, eff = _rest_of_total(results, per)
    grades = results.tables.get("meta_grades")
    out: dict[str, UncertaintyProblem] = {}
    for c, cat in enumerate(tree.categories):
        scores = category_scores(sc, tree, c)
        if scores is None:
            continue
        uid = scores.index
        if eff is not None and "office" in tot.columns:
            scale = eff.reindex(uid).fillna(0.0)
            offset = tot.loc[uid, "total"] - scale * tot.loc[uid, "office"]
        else:  # pragma: no cover - an evaluation without the office source
            scale, offset = pd.Series(0.0, index=uid), tot.loc[uid, "total"]
        p = UncertaintyProblem(scores, category_tree(tree, c), pd.Series(cat, index=uid),
                               offset.astype(float), scale.astype(float),
                               grades if grades is not None and len(grades) else None,
                               veto=tot.loc[uid, "veto"].astype(bool))
        _grading(p, spec)
        p.provenance = {"evaluation": spec.evaluation.id, "period": per, "category": cat,
                        "spec_file": str(spec.path) if spec.path else None}
        out[cat] = p
    return out


def attach_score_variants(problems: Mapping[str, UncertaintyProblem], spec: Any,
                          tables: Mapping[str, pd.DataFrame], design: Design,
                          period: Any = None) -> None:
    """Give every category's problem the score variants of ``design``: ``score_factors``
    (each factor's labels) and ``score_options`` (one matrix per combination, keyed by
    :func:`~evalkit.analysis.uncertainty.problem.variant_key`), each combination scored once
    for all categories by :func:`evalkit.scoring.prepare.prepare_variants`."""
    if not design:
        return
    per = str(period) if period is not None else \
        next(iter(problems.values())).provenance.get("period")
    factors = design.factors()
    winmax, scorings, missing = design.choices()
    variants = prepare_variants(spec, dict(tables), per, winmax=winmax, scorings=scorings,
                                missing=missing)
    tree = Tree.from_spec(spec)
    named = [f in factors for f in DESIGN_KEYS]
    for c, cat in enumerate(tree.categories):
        p = problems.get(cat)
        if p is None:
            continue
        opts = {}
        for idx, sc in variants.items():
            choice = {f: factors[f][i] for f, i, on in zip(DESIGN_KEYS, idx, named,
                                                            strict=True) if on}
            scores = category_scores(sc, tree, c)
            opts[variant_key(choice)] = scores.reindex(columns=p.scores.columns)  # type: ignore[union-attr]
        p.score_options, p.score_factors = opts, factors


def _settings(spec: Any, where: str, settings: Mapping[str, Any]
              ) -> tuple[Design, dict[str, Any]]:
    extra = sorted(set(settings) - set(MC_SETTINGS))
    if extra:
        raise EvalkitError(f"unknown key {extra[0]!r}; expected one of {list(MC_SETTINGS)}",
                           f"{where}.{extra[0]}")
    design = design_from_settings(settings, where)
    mc = {"seed": getattr(spec.evaluation, "seed", 0),
          **{k: v for k, v in settings.items() if k not in DESIGN_KEYS}}
    return design, mc


@contextlib.contextmanager
def _located(where: str) -> Iterator[None]:
    """Name a setting's problem by its YAML path (``uncertainty.level``)."""
    try:
        yield
    except EvalkitError as err:
        if err.where in MC_SETTINGS:
            raise type(err)(err.message, f"{where}.{err.where}") from None
        raise


def rank_intervals(spec: Any, tables: Mapping[str, pd.DataFrame], period: Any = None,
                   where: str = "uncertainty", *, scored: Mapping[str, Any] | None = None,
                   results: Any = None, **settings: Any) -> pd.DataFrame:
    """The ``uncertainty`` table of an evaluation: a Monte Carlo per category.

    ``settings`` are :func:`monte_carlo`'s keyword arguments (``n`` default 1000,
    ``concentration``, ``level``, ``perturb``, ``percent``, ``aggregations``, ``top_k``,
    ``bottom_k``, ``coverage``, ``stream``, ``seed`` — default the spec's
    ``evaluation.seed``) and the score factors ``winmax``, ``normalisation``, ``missing``
    (:func:`~evalkit.analysis.uncertainty.design.design_from_settings`), e.g. from a spec
    section ``uncertainty: {n: 1000, concentration: 100}``; unknown keys are errors naming
    ``where``. Returns the rows of :meth:`MonteCarloResult.table` for every category (in the
    spec's order, units sorted by id, so that the table does not depend on the order of the
    input rows), with ``period``, ready to store as ``results.tables["uncertainty"]``.
    """
    design, mc = _settings(spec, where, settings)
    problems = problems_from_pipeline(spec, tables, period, scored=scored, results=results)
    attach_score_variants(problems, spec, tables, design, period)
    frames = []
    for p in problems.values():
        with _located(where):
            t = monte_carlo(p, **mc).table(p.provenance.get("period"))
        frames.append(t.sort_values("unit_id", kind="stable"))
    return pd.concat(frames, ignore_index=True)


def sensitivity(spec: Any, tables: Mapping[str, pd.DataFrame], period: Any = None,
                where: str = "uncertainty", *, scored: Mapping[str, Any] | None = None,
                results: Any = None, n_base: int = 256, units: Sequence[str] = (),
                num_resamples: int = 100, **settings: Any) -> pd.DataFrame:
    """Sobol indices of every uncertain input of an ``uncertainty`` section, per category.

    The factors are COINr's ``get_sensitivity`` inputs: each score factor (``winmax``,
    ``normalisation``, ``missing``), the aggregation, and the weights of each perturbed
    level as one grouped factor (:func:`sobol_indices` with ``weight_factors="level"``);
    the output is the mean absolute rank shift from the nominal ranking (COINr's target),
    and the total of each unit in ``units``. Returns :func:`sobol_indices`' rows with a
    ``category`` column.
    """
    design, mc = _settings(spec, where, settings)
    problems = problems_from_pipeline(spec, tables, period, scored=scored, results=results)
    attach_score_variants(problems, spec, tables, design, period)
    keys = ("level", "perturb", "percent", "concentration", "aggregations", "seed")
    frames = []
    for cat, p in problems.items():
        mine = [u for u in units if u in set(p.scores.index.astype(str))]
        with _located(where):
            si = sobol_indices(p, n_base, weight_factors="level", units=mine,
                               num_resamples=num_resamples,
                               **{k: v for k, v in mc.items() if k in keys})
        frames.append(si.assign(category=cat))
    return pd.concat(frames, ignore_index=True)


def normalisation_options(spec: Any, tables: Mapping[str, pd.DataFrame],
                          methods: Sequence[str], period: Any = None
                          ) -> dict[str, dict[str, pd.DataFrame]]:
    """Score matrices of the same evaluation under other scoring methods, per category.

    The spec is data: each option is the spec with every indicator's ``scoring.method``
    replaced by ``method`` (and its parameters dropped), scored by
    :func:`evalkit.scoring.prepare.prepare`. Returns ``{category: {method: scores}}``, ready
    for ``UncertaintyProblem.score_options``.
    """
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for m in methods:
        s2 = copy.deepcopy(spec)
        for ind in s2.indicators:
            if ind.scoring is not None:
                ind.scoring = type(ind.scoring)(method=m, scope=ind.scoring.scope)
        tree = Tree.from_spec(s2)
        scored = prepare(s2, dict(tables))
        sc = scored[_period(scored, period)]
        for c, cat in enumerate(tree.categories):
            scores = category_scores(sc, tree, c)
            if scores is not None:
                out.setdefault(cat, {})[m] = scores
    return out
