"""From YAML text to a :class:`~evalkit.spec.schema.Spec`: syntax, schema and structure.

Every problem carries its YAML path (``indicators[3] (I04).direction``) and what was
expected; all problems are collected before raising, so a user fixes them in one pass.
What a method's own parameters must be is checked by the layer that owns the method
(:func:`evalkit.validate.check_spec` composes those checks).

Examples
--------
>>> spec = from_dict({
...     "evaluation": {"id": "toy"},
...     "data": {"units": {"file": "units.csv"}, "values": {"file": "values.csv"}},
...     "perspectives": [{"id": "duty", "name": "履职成效"}],
...     "indicators": [{"id": "gdp", "perspective": "duty", "direction": "benefit"}],
... })
>>> spec.indicators[0].scoring.method
'minmax'
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from evalkit.core.errors import EvalkitError, SpecError, raise_all
from evalkit.spec.points import apply_points, points_problems
from evalkit.spec.schema import CategoryWeight, Indicator, Perspective, Scoring, Spec
from evalkit.spec.weights import weight_sum_problems


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe YAML loader that rejects a key given twice in one mapping (libyaml's parser
    when PyYAML has it: the same documents, about eight times faster)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode,
                       deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first given on line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_mapping)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Parse a spec file: UTF-8 YAML whose top level is a mapping, no key given twice.

    Raises
    ------
    SpecError
        The file is missing, not UTF-8, not valid YAML (with line and column) or repeats a
        key in one mapping.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError("spec file not found", str(path))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SpecError(f"not UTF-8 text (byte {err.start}); re-save the spec as UTF-8",
                        str(path)) from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        raise SpecError(f"not valid YAML: {getattr(err, 'problem', err)}", where) from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise SpecError("the spec must be a YAML mapping (key: value) at the top level",
                        str(path))
    return raw


def yaml_path(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """pydantic's ``loc`` as a YAML path: ``indicators[3] (I04).direction``."""
    out = ""
    node: Any = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and "id" in node:
                out += f" ({node['id']})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


_UNION_LABELS = {"float", "int", "str", "list", "dict", "tuple"}


def pydantic_problems(err: ValidationError, raw: dict[str, Any]) -> list[EvalkitError]:
    """One :class:`SpecError` per distinct problem pydantic found, named by its YAML path."""
    problems: dict[str, EvalkitError] = {}
    for e in err.errors():
        # drop pydantic's union-branch labels such as 'float' or 'dict[str,float]'
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and
                                                ("[" in p or p in _UNION_LABELS)))
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r} (keys are case-sensitive; unknown keys are errors)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = f"{e['msg']} (got {e.get('input')!r})"
        p = SpecError(msg, yaml_path(loc, raw))
        problems.setdefault(str(p), p)       # unions report each branch: one is enough
    return list(problems.values())


def coinr_hierarchy(meta: pd.DataFrame, where: str, scoring: Scoring | None
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Perspectives and indicators from a COINr ``iMeta`` table.

    Rows with ``Type == 'Indicator'`` become indicators (``Direction`` 1 → benefit, −1 → cost;
    ``Denominator`` kept); rows with ``Type == 'Aggregate'`` become nodes with their ``Parent``.
    Group and Denominator rows are ignored (Bhardwaj & Becker, COINr 1.1, ``new_coin``).
    """
    need = {"iCode", "Type", "Parent"}
    missing = need - set(meta.columns)
    if missing:
        raise SpecError(f"COINr iMeta needs columns {sorted(need)}; missing {sorted(missing)}",
                        where)

    def opt(row: pd.Series, col: str) -> Any:
        v = row.get(col)
        return None if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) else v

    persp, inds = [], []
    for _, row in meta.iterrows():
        kind = str(row["Type"])
        if kind == "Aggregate":
            persp.append({"id": str(row["iCode"]), "name": str(opt(row, "iName") or ""),
                          "parent": None if opt(row, "Parent") is None else str(row["Parent"]),
                          "weight": float(opt(row, "Weight") or 1.0)})
        elif kind == "Indicator":
            d = opt(row, "Direction")
            ind: dict[str, Any] = {
                "id": str(row["iCode"]), "name": str(opt(row, "iName") or ""),
                "perspective": str(row["Parent"]),
                "direction": "cost" if d is not None and float(d) < 0 else "benefit",
                "weight": float(opt(row, "Weight") or 1.0),
                "unit": str(opt(row, "Unit") or ""),
            }
            if opt(row, "Denominator") is not None:
                ind["denominator"] = str(row["Denominator"])
            if opt(row, "Target") is not None:
                ind["target"] = float(row["Target"])
            if scoring is not None:
                ind["scoring"] = scoring.model_dump()
            inds.append(ind)
    return persp, inds


def parse(raw: dict[str, Any], base_dir: str | Path = ".", path: Path | None = None,
          read_table: Callable[[Path], pd.DataFrame] | None = None) -> Spec:
    """Validate ``raw`` (a parsed YAML mapping) against the schema; expand the hierarchy.

    ``read_table`` reads the ``hierarchy.file`` table when the spec names one
    (:func:`evalkit.validate.load_spec` passes :func:`evalkit.inputs.tables.read_table`).
    Indicators without ``scoring`` get ``defaults.scoring``. Cross-field structure is not
    checked here (:func:`check_structure`).
    """
    if not isinstance(raw, dict):
        raise SpecError("the spec must be a YAML mapping (key: value) at the top level",
                        str(path) if path else None)
    raw = copy.deepcopy(raw)
    try:
        spec = Spec.model_validate(raw)
    except ValidationError as err:
        raise_all(pydantic_problems(err, raw), "problems in the spec")
        raise  # pragma: no cover
    spec.base_dir, spec.path, spec.raw = Path(base_dir), path, raw
    if spec.hierarchy is not None:
        if read_table is None:
            raise SpecError("a hierarchy table needs a reader: load the spec with "
                            "evalkit.validate.load_spec", "hierarchy.file")
        meta = read_table(spec.resolve(spec.hierarchy.file))
        try:
            persp, inds = coinr_hierarchy(meta, "hierarchy.file", spec.hierarchy.scoring)
            spec.perspectives = [Perspective.model_validate(p) for p in persp] + \
                spec.perspectives
            spec.indicators = [Indicator.model_validate(i) for i in inds] + spec.indicators
        except (ValidationError, ValueError, TypeError) as err:
            raise SpecError(f"a row of the hierarchy table is not valid: {err}",
                            f"hierarchy.file ({spec.hierarchy.file})") from None
    for ind in spec.indicators:
        if ind.scoring is None:
            ind.scoring = spec.defaults.scoring.model_copy()
    return apply_points(spec)


def from_dict(raw: dict[str, Any], base_dir: str | Path = ".", path: Path | None = None,
              read_table: Callable[[Path], pd.DataFrame] | None = None) -> Spec:
    """:func:`parse` then :func:`check_structure`; every problem is raised at once."""
    spec = parse(raw, base_dir, path, read_table)
    raise_all(check_structure(spec), "problems in the spec")
    return spec


# ---------------------------------------------------------------------------------------
def _dupes(ids: list[str]) -> set[str]:
    seen: set[str] = set()
    return {i for i in ids if i in seen or seen.add(i)}  # type: ignore[func-returns-value]


def check_weight(w: CategoryWeight, cats: list[str], applies: list[str], where: str
                 ) -> list[EvalkitError]:
    """Problems of a weight given as one number or one per category."""
    out: list[EvalkitError] = []
    if isinstance(w, dict):
        for c, v in w.items():
            if c not in cats:
                out.append(SpecError(f"unknown category {c!r}; expected one of {cats}",
                                     f"{where}.{c}"))
            elif v < 0:
                out.append(SpecError(f"weight must be ≥ 0 (got {v})", f"{where}.{c}"))
        for c in applies:
            if c not in w:
                out.append(SpecError(f"no weight for category {c!r}; give one per category "
                                     f"it applies to ({applies})", where))
    elif w < 0:
        out.append(SpecError(f"weight must be ≥ 0 (got {w})", where))
    return out


def _check_ids(spec: Spec) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    for what, ids in (("category", [c.id for c in spec.categories]),
                      ("perspective", [p.id for p in spec.perspectives]),
                      ("indicator", spec.indicator_ids())):
        if dup := _dupes(ids):
            problems.append(SpecError(f"duplicate {what} ids {sorted(dup)}",
                                      "categories" if what == "category" else f"{what}s"))
    for key in ("units", "values"):
        if key not in spec.data:
            problems.append(SpecError(f"a {key!r} table is required ({{file: ...}})", "data"))
    if not spec.indicators:
        problems.append(SpecError("at least one indicator is needed", "indicators"))
    return problems


def _check_perspectives(spec: Spec) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    cats = spec.category_ids()
    parent = {p.id: p.parent for p in spec.perspectives}
    for k, p in enumerate(spec.perspectives):
        w = f"perspectives[{k}] ({p.id})"
        if p.parent is not None and p.parent not in parent:
            problems.append(SpecError(f"unknown parent {p.parent!r}; expected one of "
                                      f"{sorted(parent)}", f"{w}.parent"))
        problems += check_weight(p.weight, cats, cats if isinstance(p.weight, dict) else [],
                                 f"{w}.weight")
        if not any(i.perspective == p.id for i in spec.indicators) and \
                not any(q.parent == p.id for q in spec.perspectives):
            problems.append(SpecError("no indicator and no perspective under it; remove it "
                                      "or give it some", w))
    for pid in parent:
        seen, cur = set(), pid
        while cur is not None and cur in parent:
            if cur in seen:
                problems.append(SpecError(f"perspective {pid!r} is its own ancestor",
                                          "perspectives"))
                break
            seen.add(cur)
            cur = parent[cur]
    return problems


def _check_indicators(spec: Spec) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    cats = spec.category_ids()
    known_p = {p.id for p in spec.perspectives}
    for k, ind in enumerate(spec.indicators):
        w = f"indicators[{k}] ({ind.id})"
        if ind.perspective not in known_p:
            problems.append(SpecError(f"unknown perspective {ind.perspective!r}; expected one "
                                      f"of {sorted(known_p)}", f"{w}.perspective"))
        applies = ind.categories if ind.categories is not None else cats
        problems += [SpecError(f"unknown category {c!r}; expected one of {cats}",
                               f"{w}.categories") for c in ind.categories or [] if c not in cats]
        problems += check_weight(ind.weight, cats, [c for c in applies if c in cats]
                                 if isinstance(ind.weight, dict) else [], f"{w}.weight")
        if ind.direction == "target" and ind.target is None:
            problems.append(SpecError("direction 'target' needs a target value",
                                      f"{w}.target"))
        if ind.range is not None and None not in ind.range and ind.range[0] > ind.range[1]:
            problems.append(SpecError(f"range lower bound {ind.range[0]} is above upper bound "
                                      f"{ind.range[1]}", f"{w}.range"))
    return problems


def _check_grades(spec: Spec) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    if spec.grades is None:
        if spec.points.veto.max_grade is not None:
            problems.append(SpecError("a veto grade needs a 'grades' section",
                                      "points.veto.max_grade"))
        return problems
    levels = spec.grades.levels
    gids = [g.id for g in levels]
    last = f"grades.levels[{len(gids) - 1}]"
    if not gids:
        problems.append(SpecError("at least one grade is needed", "grades.levels"))
    if dup := _dupes(gids):
        problems.append(SpecError(f"duplicate grade ids {sorted(dup)}", "grades.levels"))
    mins = [(k, g.min_score) for k, g in enumerate(levels) if g.min_score is not None]
    order = [k for (k, a), (_, b) in itertools.pairwise(mins) if a < b]
    if order:
        problems.append(SpecError("grades must be listed best first, with decreasing "
                                  f"min_score (got {[m for _, m in mins]})",
                                  f"grades.levels[{order[0]}].min_score"))
    if gids and levels[-1].min_score is not None:
        problems.append(SpecError("the last (lowest) grade must have no min_score, so every "
                                  "unit gets a grade", f"{last}.min_score"))
    if gids and levels[-1].quota is not None:
        problems.append(SpecError("the lowest grade cannot have a quota", f"{last}.quota"))
    mg = spec.points.veto.max_grade
    if mg is not None and mg not in gids:
        problems.append(SpecError(f"unknown grade {mg!r}; expected one of {gids}",
                                  "points.veto.max_grade"))
    return problems


def check_structure(spec: Spec) -> list[EvalkitError]:
    """Cross-field checks a schema cannot express: ids, parents, categories, weights, grades."""
    out = (_check_ids(spec) + _check_perspectives(spec) + _check_indicators(spec)
           + _check_grades(spec))
    return out or (points_problems(spec) + weight_sum_problems(spec))
