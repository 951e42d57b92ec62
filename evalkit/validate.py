"""Every check an evaluation meets, before it runs: the spec's, its tables', its sources'.

:func:`load_spec` reads a spec and runs every check of the spec: syntax, schema and
structure (:mod:`evalkit.spec.parse`: finite numbers, weights, ids) and then each layer's own
checks of the methods it names (scoring parameters and their values, aggregation, weighting
schemes, treatment, sources, history and uncertainty settings). :func:`load` adds the tables
(:mod:`evalkit.inputs.tables`: the one vocabulary of ids, periods, numbers, booleans) and
every configured source's own table checks (``Source.check_tables``), all problems at once;
it is what ``evalkit run`` reads with. :func:`check` then evaluates once, without writing
anything, so that what run would meet, validate meets first (*validate OK ⇒ run OK*), and
returns the warnings (legal but suspicious input) and the ``input_audit`` table (what each
declared policy did). :func:`validate` is :func:`check` returning ``(spec, tables)``.

Examples
--------
>>> spec = spec_from_dict({
...     "evaluation": {"id": "toy"},
...     "data": {"units": {"file": "units.csv"}, "values": {"file": "values.csv"}},
...     "perspectives": [{"id": "duty"}],
...     "indicators": [{"id": "gdp", "perspective": "duty", "scoring": {"method": "magic"}}],
... })
Traceback (most recent call last):
...
evalkit.core.errors.SpecError: indicators[0] (gdp).scoring.method: unknown scoring method 'magic'...
"""

from __future__ import annotations

import itertools
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ConfigDict, TypeAdapter, ValidationError

from evalkit.aggregation.means import AGGREGATION
from evalkit.analysis.history import history_flags, validate_history
from evalkit.analysis.uncertainty import MC_SETTINGS, monte_carlo, rank_intervals
from evalkit.core.errors import (
    EvalkitError,
    ProblemList,
    SpecError,
    TableError,
    raise_all,
    unknown_keys,
)
from evalkit.evaluate import evaluate
from evalkit.inputs.audit import summary
from evalkit.inputs.tables import (
    check_tables,
    located,
    periods_of,
    read_table,
    sorted_inputs,
    table_notes,
)
from evalkit.inputs.vocabulary import period_text
from evalkit.results import Results
from evalkit.scoring.methods import SCORING, check_params
from evalkit.scoring.prepare import prepare
from evalkit.scoring.treatment import validate_treatment
from evalkit.sources import SOURCES
from evalkit.sources.base import source_keys, tables_check_of
from evalkit.spec.parse import check_structure, parse, read_yaml
from evalkit.spec.schema import SOURCE_KEYS, Spec
from evalkit.spec.weights import shares_problem
from evalkit.weights.hierarchy import check_weighting

#: Memory the weights Monte Carlo (``uncertainty``) may take, by a rough estimate.
MAX_MC_BYTES = 2 * 1024**3
#: Replications of the Monte Carlo ``validate`` runs to check that it runs.
DRY_MC_N = 20
_STRICT = ConfigDict(strict=True, allow_inf_nan=False)


def _positive(params: dict[str, Any], key: str, w: str) -> list[EvalkitError]:
    v = params.get(key)
    if isinstance(v, int | float) and not isinstance(v, bool) and not v > 0:
        return [SpecError(f"{key} must be > 0 (got {v})", f"{w}.{key}")]
    return []


def scoring_value_problems(params: dict[str, Any], ind: Any, w: str) -> list[EvalkitError]:
    """Values of scoring parameters that fit their types but not the method: goalposts
    ``lower < upper``, ``spread``/``scale``/``cap`` > 0, ascending band thresholds with one
    more score, a non-zero target for ratios; named by the indicator's YAML path."""
    out: list[EvalkitError] = []
    lo, hi = params.get("lower"), params.get("upper")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lo, hi)) \
            and not lo < hi:  # type: ignore[operator]
        out.append(SpecError(f"lower ({lo}) must be below upper ({hi})", f"{w}.upper"))
    for key in ("spread", "scale", "cap"):
        out += _positive(params, key, w)
    t, sc = params.get("thresholds"), params.get("scores")
    if isinstance(t, list) and isinstance(sc, list):
        if any(b <= a for a, b in itertools.pairwise(t)):
            out.append(SpecError(f"thresholds must ascend (got {t})", f"{w}.thresholds"))
        if len(sc) != len(t) + 1:
            out.append(SpecError(f"expected {len(t) + 1} scores for {len(t)} thresholds "
                                 f"(got {len(sc)})", f"{w}.scores"))
    if params.get("_method") == "target_ratio" and ind.target is not None and ind.target <= 0:
        out.append(SpecError(f"a ratio to a target needs a target > 0 (got {ind.target})",
                             w.rsplit(".", 1)[0] + ".target"))
    return out


def _check_methods(spec: Spec) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    for where, agg in [("defaults.aggregation", spec.defaults.aggregation)] + [
            (f"perspectives[{k}] ({p.id}).aggregation", p.aggregation)
            for k, p in enumerate(spec.perspectives) if p.aggregation is not None]:
        if agg not in AGGREGATION:
            problems.append(SpecError(f"unknown aggregation {agg!r}; expected one of "
                                      f"{sorted(AGGREGATION)}", where))
    for k, ind in enumerate(spec.indicators):
        w = f"indicators[{k}] ({ind.id}).scoring"
        sc = ind.scoring
        assert sc is not None
        if sc.method not in SCORING:
            problems.append(SpecError(f"unknown scoring method {sc.method!r}; expected one of "
                                      f"{sorted(SCORING)}", f"{w}.method"))
            continue
        found = check_params(sc.method, sc.params, ind, w)
        problems += found or scoring_value_problems({**sc.params, "_method": sc.method}, ind, w)
    return problems


def _check_source(spec: Spec, name: str, cfg: dict[str, Any]) -> list[EvalkitError]:
    w = f"sources.{name}"
    problems: list[EvalkitError] = []
    if cfg.get("missing", "error") not in ("error", "reweight"):
        problems.append(SpecError(f"expected error or reweight, got {cfg['missing']!r}",
                                  f"{w}.missing"))
    if name == "office":
        return problems + list(unknown_keys(cfg, SOURCE_KEYS, w, of=" (the office source)"))
    if name not in SOURCES:
        return [SpecError(f"unknown source {name!r}; expected office or one of "
                          f"{sorted(SOURCES)}", w)]
    src = SOURCES.get(name)
    for key in src.requires:
        table = cfg.get("table", key) if key == src.requires[0] else key
        if table not in spec.data:
            problems.append(SpecError(f"source {name!r} reads the table {table!r}; add it "
                                      "under data", w))
    if src.validate is not None:
        problems += src.validate({k: v for k, v in cfg.items() if k not in SOURCE_KEYS}, w)
    return problems


def _check_sources(spec: Spec) -> list[EvalkitError]:
    if not spec.sources:
        return [SpecError("at least one source is needed (e.g. office: {weight: 1})",
                          "sources")]
    problems: list[EvalkitError] = []
    weights = []
    for name, cfg in spec.sources.items():
        if not isinstance(cfg, dict):
            problems.append(SpecError("expected a mapping with at least 'weight'",
                                      f"sources.{name}"))
            continue
        weight = cfg.get("weight")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or \
                not np.isfinite(weight) or weight < 0:
            problems.append(SpecError(f"weight must be a finite number ≥ 0 (got {weight!r})",
                                      f"sources.{name}.weight"))
        else:
            weights.append(float(weight))
        problems += _check_source(spec, name, cfg)
    why = shares_problem(weights, spec.defaults.weights) if weights else None
    if why is not None and len(weights) == len(spec.sources):
        hint = ("give at least one a positive weight" if "all 0" in why else "make them sum "
                "to 1, or declare defaults.weights: relative to have them renormalised")
        problems.append(SpecError(f"source weights: {why}; {hint}", "sources"))
    return problems


def _check_uncertainty(spec: Spec) -> list[EvalkitError]:
    u = spec.uncertainty or {}
    problems: list[EvalkitError] = list(unknown_keys(u, MC_SETTINGS, "uncertainty"))
    hints = typing.get_type_hints(monte_carlo)
    for key in sorted(set(u) & set(MC_SETTINGS) & set(hints)):
        try:
            TypeAdapter(hints[key], config=_STRICT).validate_python(u[key])
        except ValidationError as err:
            problems.append(SpecError(f"{'; '.join(e['msg'] for e in err.errors())} (got "
                                      f"{u[key]!r})", f"uncertainty.{key}"))
    for key, lo in (("n", 1), ("seed", 0), ("top_k", 0), ("bottom_k", 0)):
        v = u.get(key)
        if isinstance(v, int) and not isinstance(v, bool) and v < lo:
            problems.append(SpecError(f"expected ≥ {lo} (got {v})", f"uncertainty.{key}"))
    problems += _positive(u, "concentration", "uncertainty")
    n = u.get("n", 1000)
    if isinstance(n, int) and not isinstance(n, bool):
        size = 8 * (len(spec.indicators) + len(spec.perspectives) + 8) * 1000
        if n * size > MAX_MC_BYTES:
            problems.append(SpecError(
                f"{n} replications would need about {n * size / 1024**3:.0f} GB for 1,000 "
                f"units; at most {MAX_MC_BYTES // size:,} fit in {MAX_MC_BYTES / 1024**3:.0f} "
                "GB", "uncertainty.n"))
    return problems


def _check_analyses(spec: Spec) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    if spec.treatment.impute is not None or spec.treatment.outliers is not None:
        problems += validate_treatment(spec.raw.get("treatment"), "treatment")
    if spec.history is not None:
        problems += list(validate_history(spec.history, "history"))
    if any(p.weighting is not None for p in spec.perspectives):
        problems += check_weighting(spec)
    if spec.uncertainty is not None:
        problems += _check_uncertainty(spec)
    return problems


def _check_periods(spec: Spec) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    seen: set[str] = set()
    for k, p in enumerate(spec.evaluation.periods or []):
        try:
            text = period_text(p)
        except ValueError as err:
            problems.append(SpecError(str(err), f"evaluation.periods[{k}]"))
            continue
        if text in seen:
            problems.append(SpecError(f"period {text} is listed twice",
                                      f"evaluation.periods[{k}]"))
        seen.add(text)
    return problems


def check_spec(spec: Spec) -> list[EvalkitError]:
    """Every layer's checks of the methods a structurally valid spec names."""
    return (_check_periods(spec) + _check_methods(spec) + _check_sources(spec)
            + _check_analyses(spec))


def spec_from_dict(raw: dict[str, Any], base_dir: str | Path = ".",
                   path: Path | None = None) -> Spec:
    """A spec from a parsed YAML mapping, with every check; raises every problem at once."""
    spec = parse(raw, base_dir, path, read_table=read_table)
    raise_all(check_structure(spec) + check_spec(spec), "problems in the spec")
    return spec


def load_spec(path: str | Path) -> Spec:
    """Read and check a spec YAML file.

    Raises
    ------
    SpecError
        The file is missing, not UTF-8, not valid YAML (with the line and column).
    ProblemList
        Several problems: each names its YAML path and what was expected.
    """
    path = Path(path)
    raw = read_yaml(path)
    try:
        return spec_from_dict(raw, base_dir=path.parent, path=path)
    except EvalkitError as err:
        if not err.where or not err.where.startswith(str(path)):
            err.args = (f"{path}: {err}",)
        raise


def _rows_by_period(spec: Spec, name: str, keys: list[str], tables: dict[str, pd.DataFrame],
                    periods: list[str]) -> list[EvalkitError]:
    """A source's tables need a period column when several periods are evaluated, and rows
    in every evaluated period (unless the source's missing scores are declared
    ``reweight``)."""
    out: list[EvalkitError] = []
    for key in keys:
        df = tables[key]
        src = df.attrs.get("source", key)
        if "period" not in df.columns:
            if len(periods) > 1:
                out.append(TableError(f"no period column, and the evaluation has periods "
                                      f"{periods}; add a period column (each row would "
                                      "count in every period)", src))
            elif df.empty:
                out.append(TableError(f"no rows; source {name!r} reads it", src))
            continue
        if spec.source_missing(name) == "reweight":
            continue
        have = {str(p) for p in df["period"].dropna().unique()}
        empty = [p for p in periods if p not in have]
        if empty:
            out.append(TableError(f"no rows for period(s) {empty}; source {name!r} reads it "
                                  f"(or declare sources.{name}.missing: reweight)", src))
    return out


def source_table_problems(spec: Spec, tables: dict[str, pd.DataFrame]) -> list[EvalkitError]:
    """Every problem the configured sources find in their tables, for every period at once:
    the rows each period needs, then each source's own ``check_tables``."""
    periods = periods_of(tables["values"], spec)
    problems: list[EvalkitError] = []
    for name in spec.sources:
        if name == "office" or name not in SOURCES or spec.source_weights().get(name, 0) == 0:
            continue
        cfg = spec.source_config(name)
        keys = source_keys(name, cfg, spec.data)
        if any(k not in tables for k in keys):
            continue                        # it could not be read: reported already
        problems += _rows_by_period(spec, name, keys, tables, periods)
        hook = tables_check_of(name)
        try:
            problems += hook(cfg, tables, tables["units"], periods) if hook else []
        except EvalkitError as err:
            problems += err.problems if isinstance(err, ProblemList) else [err]
    return problems


def load(path: str | Path) -> tuple[Spec, dict[str, pd.DataFrame]]:
    """The spec and its tables, each checked, with every source's own table checks; every
    problem of every table is raised at once."""
    spec = load_spec(path)
    tables, problems = check_tables(spec)
    units, values = tables.get("units"), tables.get("values")
    if units is not None and units.index.name == "unit_id" and values is not None \
            and "period" in values.columns:
        problems += source_table_problems(spec, tables)
    raise_all(problems, "problems in the input tables")
    return spec, sorted_inputs(tables)


@dataclass
class Validation:
    """What ``evalkit validate`` found in a spec and its tables that are valid."""

    spec: Spec
    tables: dict[str, pd.DataFrame]
    results: Results
    warnings: list[str] = field(default_factory=list)

    @property
    def audit(self) -> pd.DataFrame:
        """The ``input_audit`` table the run will store: what each declared policy did."""
        return self.results.tables["input_audit"]

    def summary(self) -> str:
        """Warnings and the input audit as text, for ``evalkit validate``."""
        lines = [f"warning: {w}" for w in self.warnings]
        if len(self.audit):
            lines.append(f"input audit ({len(self.audit)} rows: what declared policies did):")
            lines += [f"  {s}" for s in summary(self.audit)]
        return "\n".join(lines)


def _warnings(spec: Spec, tables: dict[str, pd.DataFrame], res: Results) -> list[str]:
    out = table_notes(tables)[1]
    audit = res.tables["input_audit"]
    for r in audit[audit["what"].str.startswith("rows of a period not evaluated")
                   & (audit["table"] != "values")].itertuples():
        out.append(f"{r.table}: {r.n} rows of {r.where} are not evaluated; they are ignored")
    ind = res.tables["indicators"]
    share = ind.groupby(["period", "unit_id"])["missing"].mean()
    for (p, u), s in share[share > 0.5].head(10).items():
        out.append(f"period {p}: unit {u} misses {s:.0%} of its indicator values")
    return out


def check(path: str | Path) -> Validation:
    """Every check ``run`` meets, without writing anything: :func:`load`, then one evaluation
    (history rules, and a short run of the uncertainty Monte Carlo), so validate-OK means
    run-OK. Returns the warnings and the ``input_audit`` table."""
    spec, tables = load(path)
    try:
        return _dry_run(spec, tables)
    except EvalkitError as err:
        raise located(err, tables) from None


def _dry_run(spec: Spec, tables: dict[str, pd.DataFrame]) -> Validation:
    scored = prepare(spec, tables)
    res = evaluate(spec, tables, scored=scored)
    if spec.history:
        history_flags(res.tables["totals"], spec.history)
    if spec.uncertainty and scored:
        try:
            rank_intervals(spec, tables, period=list(scored)[-1], scored=scored, results=res,
                           **{**spec.uncertainty, "n": min(int(spec.uncertainty.get("n", 1000)),
                                                           DRY_MC_N)})
        except EvalkitError as err:
            at = err.where or ""
            raise SpecError(err.message, at if at.startswith("uncertainty") else
                            f"uncertainty.{at}".rstrip(".")) from None
    return Validation(spec, tables, res, _warnings(spec, tables, res))


def validate(path: str | Path) -> tuple[Spec, dict[str, pd.DataFrame]]:
    """Load a spec and every table it reads, checked as ``run`` would meet them."""
    v = check(path)
    return v.spec, v.tables
