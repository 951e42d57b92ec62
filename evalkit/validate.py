"""Every check an evaluation meets, before it runs: the spec's and its tables'.

:func:`load_spec` reads a spec and runs every check of the spec: syntax, schema and
structure (:mod:`evalkit.spec.parse`) and then each layer's own checks of the methods it
names (scoring parameters, aggregation, weighting schemes, treatment, sources, history and
uncertainty settings). :func:`validate` adds the tables (:mod:`evalkit.inputs.tables`).
Every problem is collected before raising, so ``evalkit validate`` lists them all at once.

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

from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.aggregation.means import AGGREGATION
from evalkit.analysis.history import validate_history
from evalkit.analysis.uncertainty import MC_SETTINGS
from evalkit.core.errors import EvalkitError, SpecError, raise_all, unknown_keys
from evalkit.inputs.tables import load_tables, read_table
from evalkit.scoring.methods import SCORING, check_params
from evalkit.scoring.treatment import validate_treatment
from evalkit.sources import SOURCES
from evalkit.spec.parse import check_structure, parse, read_yaml
from evalkit.spec.schema import Spec
from evalkit.weights.hierarchy import check_weighting


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
        else:
            problems += check_params(sc.method, sc.params, ind, w)
    return problems


def _check_source(spec: Spec, name: str, cfg: dict[str, Any]) -> list[EvalkitError]:
    w = f"sources.{name}"
    if name == "office":
        return list(unknown_keys(cfg, ["weight"], w, of=" (the office source)"))
    if name not in SOURCES:
        return [SpecError(f"unknown source {name!r}; expected office or one of "
                          f"{sorted(SOURCES)}", w)]
    src = SOURCES.get(name)
    problems: list[EvalkitError] = []
    for key in src.requires:
        table = cfg.get("table", key) if key == src.requires[0] else key
        if table not in spec.data:
            problems.append(SpecError(f"source {name!r} reads the table {table!r}; add it "
                                      "under data", w))
    if src.validate is not None:
        problems += src.validate({k: v for k, v in cfg.items() if k != "weight"}, w)
    return problems


def _check_sources(spec: Spec) -> list[EvalkitError]:
    if not spec.sources:
        return [SpecError("at least one source is needed (e.g. office: {weight: 1})",
                          "sources")]
    problems: list[EvalkitError] = []
    total = 0.0
    for name, cfg in spec.sources.items():
        if not isinstance(cfg, dict):
            problems.append(SpecError("expected a mapping with at least 'weight'",
                                      f"sources.{name}"))
            continue
        weight = cfg.get("weight")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            problems.append(SpecError(f"weight must be a number ≥ 0 (got {weight!r})",
                                      f"sources.{name}.weight"))
        else:
            total += float(weight)
        problems += _check_source(spec, name, cfg)
    if total <= 0:
        problems.append(SpecError("source weights sum to 0; give at least one a positive "
                                  "weight", "sources"))
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
        problems += unknown_keys(spec.uncertainty, MC_SETTINGS, "uncertainty")
    return problems


def check_spec(spec: Spec) -> list[EvalkitError]:
    """Every layer's checks of the methods a structurally valid spec names."""
    return _check_methods(spec) + _check_sources(spec) + _check_analyses(spec)


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


def validate(path: str | Path) -> tuple[Spec, dict[str, pd.DataFrame]]:
    """Load a spec and every table it reads, checked; what ``evalkit validate`` runs."""
    spec = load_spec(path)
    return spec, load_tables(spec)
