"""The evaluation spec: one YAML file per evaluation, validated on load.

Everything a researcher may change lives here — indicators, directions, targets, scoring,
weights, source weights, points rules, grades and quotas — so that a variant of an evaluation
is the same :func:`evalkit.evaluate.evaluate` on a changed spec.

Every problem is reported with its YAML path (``indicators[3] (I04).direction``) and what was
expected; :func:`load_spec` collects all problems before raising, so ``evalkit validate``
lists them all at once. Unknown keys are errors, never ignored.

Examples
--------
>>> spec = Spec.from_dict({
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
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalkit.errors import EvalkitError, SpecError, raise_all

Direction = Literal["benefit", "cost", "target"]
MissingPolicy = Literal["zero", "category_mean", "reweight"]
CategoryWeight = float | dict[str, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TableRef(_Strict):
    """Where a table lives: ``file`` (CSV, Excel or Parquet), Excel ``sheet``, ``layout``
    (``long``: one row per unit × indicator; ``wide``: one column per indicator) and
    ``columns``, a map from evalkit's column names to the file's headers (e.g.
    ``unit_id: 单位代码``)."""

    file: str
    sheet: str | None = None
    layout: Literal["long", "wide"] = "long"
    columns: dict[str, str] = Field(default_factory=dict)


class Evaluation(_Strict):
    """Identity of the evaluation. ``periods`` defaults to every period found in the data;
    the last one is the current period. ``language`` is the reports' default."""

    id: str
    name: str = ""
    name_en: str = ""
    periods: list[int | str] | None = None
    seed: int = 0
    language: Literal["zh", "en"] = "zh"


class Category(_Strict):
    """A unit category (分类考核): units are scored, weighted and ranked within it."""

    id: str
    name: str = ""
    name_en: str = ""


class Scoring(BaseModel):
    """Scoring of one indicator: ``method`` (a key of :data:`evalkit.scoring.SCORING`),
    ``scope`` (``category``: computed among the units of the unit's category, the default of
    分类考核; ``all``: among all units) and the method's own parameters as extra keys."""

    model_config = ConfigDict(extra="allow")
    method: str = "minmax"
    scope: Literal["category", "all"] = "category"

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Weighting(BaseModel):
    """A weighting scheme making the weights of a node's children (see :mod:`evalkit.weights`)."""

    model_config = ConfigDict(extra="allow")
    method: str

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Perspective(_Strict):
    """A node of the scorecard above indicators: a perspective (维度), pillar or sub-index.

    ``parent`` is another perspective (None: a top node of the office scorecard); ``weight`` is
    its weight within its parent, one number or one per category; ``aggregation`` combines its
    children (a key of :data:`evalkit.aggregate.AGGREGATION`)."""

    id: str
    name: str = ""
    name_en: str = ""
    parent: str | None = None
    weight: CategoryWeight = 1.0
    aggregation: str | None = None
    weighting: Weighting | None = None


class Indicator(_Strict):
    """One indicator (指标) of the scorecard.

    ``direction``: ``benefit`` (more is better), ``cost`` (less is better) or ``target``
    (closeness to ``target`` is better). ``categories``: the categories it applies to (None:
    all). ``range``: the declared plausible range of raw values, checked on load.
    ``denominator``: a column of the units table the raw value is divided by."""

    id: str
    name: str = ""
    name_en: str = ""
    perspective: str
    direction: Direction = "benefit"
    target: float | None = None
    scoring: Scoring | None = None
    weight: CategoryWeight = 1.0
    categories: list[str] | None = None
    range: tuple[float | None, float | None] | None = None
    unit: str = ""
    missing: MissingPolicy | None = None
    denominator: str | None = None


class Defaults(_Strict):
    """Defaults for every indicator and node. ``missing`` is the missing-value policy applied
    to scores: ``zero`` (a missing value scores 0), ``category_mean`` (the mean score of the
    category), ``reweight`` (drop it and renormalise its siblings' weights)."""

    scoring: Scoring = Field(default_factory=Scoring)
    missing: MissingPolicy = "reweight"
    aggregation: str = "arithmetic"


class Hierarchy(_Strict):
    """Perspectives and indicators read from a table instead of the YAML (COINr's iMeta)."""

    file: str
    format: Literal["coinr"] = "coinr"
    scoring: Scoring | None = None


class Treatment(_Strict):
    """Data treatment before scoring: denominators, imputation, outliers (see
    :mod:`evalkit.treatment`); ``impute`` and ``outliers`` name a method and its parameters."""

    denominate: bool = False
    impute: dict[str, Any] | None = None
    outliers: dict[str, Any] | None = None


class Veto(_Strict):
    """One-vote veto (一票否决): the best grade a vetoed unit may receive (None: the lowest)."""

    max_grade: str | None = None


class Points(_Strict):
    """Points rules (加分 / 扣分).

    ``total = weighted score + min(Σ bonus, bonus_cap) − deductions``,
    where a yellow card's points count ``yellow_card_multiplier`` times."""

    bonus_cap: float | None = Field(5.0, ge=0)
    deduction_cap: float | None = Field(None, ge=0)
    yellow_card_multiplier: float = Field(2.0, ge=0)
    veto: Veto = Field(default_factory=Veto)


class Grade(_Strict):
    """A grade (等次): reached at ``min_score`` (None: always), at most ``quota`` (a share of
    the category's units, 0–1) per category."""

    id: str
    name: str = ""
    name_en: str = ""
    min_score: float | None = None
    quota: float | None = Field(None, gt=0, le=1)


class Grades(_Strict):
    """Grades from best to worst. ``quota_rounding`` turns ``quota × n`` into a count;
    ``ties``: units tied at a quota boundary are all ``demote``-d (the quota is never
    exceeded) or all ``admit``-ted (the quota may be exceeded by the tie, stated)."""

    levels: list[Grade]
    quota_rounding: Literal["floor", "round", "ceil"] = "floor"
    ties: Literal["demote", "admit"] = "demote"


class Ranking(_Strict):
    """Ranking within category. Totals are rounded to ``decimals`` before ranking, so equal
    published scores share a rank; ``ties`` is pandas' rank method (``min``: 1, 2, 2, 4).
    ``bottom_n`` flags the last N of each category (末位)."""

    decimals: int = Field(2, ge=0, le=6)
    ties: Literal["min", "dense", "first"] = "min"
    bottom_n: int = Field(3, ge=0)


class Spec(_Strict):
    """A validated evaluation spec. Build with :func:`load_spec` or :meth:`Spec.from_dict`.

    Optional sections handled by their own modules: ``history`` (consecutive-period rules,
    :mod:`evalkit.history`) and ``uncertainty`` (a weights Monte Carlo whose per-unit rank
    intervals are stored as the ``uncertainty`` table, :func:`evalkit.uncertainty.rank_intervals`:
    e.g. ``{n: 1000, concentration: 100}``).
    """

    evaluation: Evaluation
    data: dict[str, TableRef]
    hierarchy: Hierarchy | None = None
    categories: list[Category] = Field(default_factory=list)
    defaults: Defaults = Field(default_factory=Defaults)
    perspectives: list[Perspective] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    treatment: Treatment = Field(default_factory=Treatment)
    sources: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"office": {"weight": 1}})
    points: Points = Field(default_factory=Points)
    grades: Grades | None = None
    ranking: Ranking = Field(default_factory=Ranking)
    history: dict[str, Any] | None = None
    uncertainty: dict[str, Any] | None = None

    # set by load_spec / from_dict, not part of the YAML
    base_dir: Path = Field(default=Path("."), exclude=True)
    raw: dict[str, Any] = Field(default_factory=dict, exclude=True)
    path: Path | None = Field(default=None, exclude=True)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], base_dir: str | Path = ".",
                  path: Path | None = None) -> Spec:
        """Validate ``raw`` (a parsed YAML mapping); raise every problem found at once."""
        return _build(raw, Path(base_dir), path)

    # -- convenience -------------------------------------------------------------------
    def resolve(self, file: str) -> Path:
        """A data file's path, relative to the spec file's folder."""
        p = Path(file)
        return p if p.is_absolute() else (self.base_dir / p)

    def category_ids(self) -> list[str]:
        return [c.id for c in self.categories] or ["all"]

    def indicator_ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    def source_weights(self) -> dict[str, float]:
        return {k: float(v.get("weight", 0)) for k, v in self.sources.items()}

    def source_config(self, name: str) -> dict[str, Any]:
        return {k: v for k, v in self.sources[name].items() if k != "weight"}


# ---------------------------------------------------------------------------------------
def _path(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
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


_MODELS: dict[str, type[BaseModel]] = {}


def _pydantic_problems(err: ValidationError, raw: dict[str, Any]) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    for e in err.errors():
        loc = tuple(e["loc"])
        # drop pydantic's union-branch labels such as 'float' or 'dict[str,float]'
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in
                    {"float", "int", "str", "list", "dict", "tuple"})))
        where = _path(loc, raw)
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r} (keys are case-sensitive; unknown keys are errors)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = f"{e['msg']} (got {e.get('input')!r})"
        problems.append(SpecError(msg, where))
    # one problem per path is enough (unions report each branch)
    seen: set[str] = set()
    unique = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            unique.append(p)
    return unique


def _coinr_hierarchy(meta: pd.DataFrame, where: str, scoring: Scoring | None
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


def _build(raw: dict[str, Any], base_dir: Path, path: Path | None) -> Spec:
    if not isinstance(raw, dict):
        raise SpecError("the spec must be a YAML mapping (key: value) at the top level",
                        str(path) if path else None)
    raw = copy.deepcopy(raw)
    try:
        spec = Spec.model_validate(raw)
    except ValidationError as err:
        raise_all(_pydantic_problems(err, raw), "problems in the spec")
        raise  # pragma: no cover
    spec.base_dir = base_dir
    spec.path = path
    spec.raw = raw
    if spec.hierarchy is not None:
        from evalkit.tables import read_table

        meta = read_table(spec.resolve(spec.hierarchy.file))
        persp, inds = _coinr_hierarchy(meta, "hierarchy.file", spec.hierarchy.scoring)
        spec.perspectives = [Perspective.model_validate(p) for p in persp] + spec.perspectives
        spec.indicators = [Indicator.model_validate(i) for i in inds] + spec.indicators
    default_scoring = spec.defaults.scoring
    for ind in spec.indicators:
        if ind.scoring is None:
            ind.scoring = default_scoring.model_copy()
    raise_all(check(spec), "problems in the spec")
    return spec


def _dupes(ids: list[str]) -> set[str]:
    seen: set[str] = set()
    return {i for i in ids if i in seen or seen.add(i)}  # type: ignore[func-returns-value]


def _check_weight(w: CategoryWeight, cats: list[str], applies: list[str], where: str
                  ) -> list[EvalkitError]:
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


def check(spec: Spec) -> list[EvalkitError]:
    """Cross-field checks a schema cannot express; returns every problem found."""
    from evalkit.aggregate import AGGREGATION
    from evalkit.scoring import SCORING, check_params
    from evalkit.sources import load_sources

    problems: list[EvalkitError] = []
    cats = spec.category_ids()
    if dup := _dupes([c.id for c in spec.categories]):
        problems.append(SpecError(f"duplicate category ids {sorted(dup)}", "categories"))
    for key in ("units", "values"):
        if key not in spec.data:
            problems.append(SpecError(f"a {key!r} table is required ({{file: ...}})", "data"))
    pids = [p.id for p in spec.perspectives]
    if dup := _dupes(pids):
        problems.append(SpecError(f"duplicate perspective ids {sorted(dup)}", "perspectives"))
    if dup := _dupes(spec.indicator_ids()):
        problems.append(SpecError(f"duplicate indicator ids {sorted(dup)}", "indicators"))
    if not spec.indicators:
        problems.append(SpecError("at least one indicator is needed", "indicators"))
    known_p = set(pids)
    for k, p in enumerate(spec.perspectives):
        w = f"perspectives[{k}] ({p.id})"
        if p.parent is not None and p.parent not in known_p:
            problems.append(SpecError(f"unknown parent {p.parent!r}; expected one of "
                                      f"{sorted(known_p)}", f"{w}.parent"))
        agg = p.aggregation or spec.defaults.aggregation
        if agg not in AGGREGATION:
            problems.append(SpecError(f"unknown aggregation {agg!r}; expected one of "
                                      f"{sorted(AGGREGATION)}", f"{w}.aggregation"))
        problems += _check_weight(p.weight, cats, [], f"{w}.weight")
    # cycles
    parent = {p.id: p.parent for p in spec.perspectives}
    for pid in parent:
        seen, cur = set(), pid
        while cur is not None and cur in parent:
            if cur in seen:
                problems.append(SpecError(f"perspective {pid!r} is its own ancestor",
                                          "perspectives"))
                break
            seen.add(cur)
            cur = parent[cur]
    if spec.defaults.aggregation not in AGGREGATION:
        problems.append(SpecError(f"unknown aggregation {spec.defaults.aggregation!r}; "
                                  f"expected one of {sorted(AGGREGATION)}",
                                  "defaults.aggregation"))
    for k, ind in enumerate(spec.indicators):
        w = f"indicators[{k}] ({ind.id})"
        if ind.perspective not in known_p:
            problems.append(SpecError(f"unknown perspective {ind.perspective!r}; expected one "
                                      f"of {sorted(known_p)}", f"{w}.perspective"))
        applies = ind.categories if ind.categories is not None else cats
        for c in ind.categories or []:
            if c not in cats:
                problems.append(SpecError(f"unknown category {c!r}; expected one of {cats}",
                                          f"{w}.categories"))
        problems += _check_weight(ind.weight, cats, [c for c in applies if c in cats]
                                  if isinstance(ind.weight, dict) else [], f"{w}.weight")
        sc = ind.scoring
        assert sc is not None
        if sc.method not in SCORING:
            problems.append(SpecError(f"unknown scoring method {sc.method!r}; expected one of "
                                      f"{sorted(SCORING)}", f"{w}.scoring.method"))
        else:
            problems += check_params(sc.method, sc.params, ind, f"{w}.scoring")
        if ind.direction == "target" and ind.target is None:
            problems.append(SpecError("direction 'target' needs a target value",
                                      f"{w}.target"))
        if ind.range is not None and None not in ind.range and ind.range[0] > ind.range[1]:
            problems.append(SpecError(f"range lower bound {ind.range[0]} is above upper bound "
                                      f"{ind.range[1]}", f"{w}.range"))
    # sources
    registry = load_sources()
    if not spec.sources:
        problems.append(SpecError("at least one source is needed (e.g. office: {weight: 1})",
                                  "sources"))
    total_w = 0.0
    for name, cfg in spec.sources.items():
        w = f"sources.{name}"
        if not isinstance(cfg, dict):
            problems.append(SpecError("expected a mapping with at least 'weight'", w))
            continue
        weight = cfg.get("weight")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            problems.append(SpecError(f"weight must be a number ≥ 0 (got {weight!r})",
                                      f"{w}.weight"))
        else:
            total_w += float(weight)
        if name == "office":
            extra = set(cfg) - {"weight"}
            problems += [SpecError(f"unknown key {x!r}; the office source takes only 'weight'",
                                   f"{w}.{x}") for x in sorted(extra)]
            continue
        if name not in registry:
            problems.append(SpecError(f"unknown source {name!r}; expected office or one of "
                                      f"{sorted(registry)}", w))
            continue
        src = registry.get(name)
        for key in src.requires:
            table = cfg.get("table", key) if key == src.requires[0] else key
            if table not in spec.data:
                problems.append(SpecError(f"source {name!r} reads the table {table!r}; add it "
                                          f"under data", w))
        if src.validate is not None:
            problems += src.validate({k: v for k, v in cfg.items() if k != "weight"}, w)
    if spec.sources and total_w <= 0:
        problems.append(SpecError("source weights sum to 0; give at least one a positive "
                                  "weight", "sources"))
    # grades
    if spec.grades is not None:
        gids = [g.id for g in spec.grades.levels]
        if not gids:
            problems.append(SpecError("at least one grade is needed", "grades.levels"))
        if dup := _dupes(gids):
            problems.append(SpecError(f"duplicate grade ids {sorted(dup)}", "grades.levels"))
        mins = [g.min_score for g in spec.grades.levels if g.min_score is not None]
        if mins != sorted(mins, reverse=True):
            problems.append(SpecError("grades must be listed best first, with decreasing "
                                      f"min_score (got {mins})", "grades.levels"))
        if gids and spec.grades.levels[-1].min_score is not None:
            problems.append(SpecError("the last (lowest) grade must have no min_score, so "
                                      "every unit gets a grade",
                                      f"grades.levels[{len(gids) - 1}].min_score"))
        if gids and spec.grades.levels[-1].quota is not None:
            problems.append(SpecError("the lowest grade cannot have a quota",
                                      f"grades.levels[{len(gids) - 1}].quota"))
        mg = spec.points.veto.max_grade
        if mg is not None and mg not in gids:
            problems.append(SpecError(f"unknown grade {mg!r}; expected one of {gids}",
                                      "points.veto.max_grade"))
    elif spec.points.veto.max_grade is not None:
        problems.append(SpecError("a veto grade needs a 'grades' section",
                                  "points.veto.max_grade"))
    if spec.treatment.impute is not None or spec.treatment.outliers is not None:
        problems += _check_treatment(spec)
    if spec.history is not None:
        problems += _check_history(spec.history)
    if any(p.weighting is not None for p in spec.perspectives):
        from evalkit.weights.hierarchy import check_weighting

        problems += check_weighting(spec)
    if spec.uncertainty is not None:
        from evalkit.uncertainty import MC_SETTINGS

        problems += [SpecError(f"unknown key {k!r}; expected one of {list(MC_SETTINGS)}",
                               f"uncertainty.{k}") for k in sorted(set(spec.uncertainty)
                                                                    - set(MC_SETTINGS))]
    return problems


def _check_treatment(spec: Spec) -> list[EvalkitError]:
    try:
        from evalkit import treatment
    except ImportError:  # pragma: no cover - treatment lands with the ASEM preset
        return [SpecError("data treatment is not available in this installation", "treatment")]
    out: list[EvalkitError] = []
    for key, reg in (("impute", treatment.IMPUTE), ("outliers", treatment.OUTLIERS)):
        cfg = getattr(spec.treatment, key)
        if cfg is None:
            continue
        method = cfg.get("method")
        if method not in reg:
            out.append(SpecError(f"unknown method {method!r}; expected one of {sorted(reg)}",
                                 f"treatment.{key}.method"))
    if not out:
        out += treatment.validate_treatment(spec.raw.get("treatment"), "treatment")
    return out


def _check_history(cfg: dict[str, Any]) -> list[EvalkitError]:
    try:
        from evalkit import history
    except ImportError:  # pragma: no cover
        return [SpecError("history rules are not available in this installation", "history")]
    validate = getattr(history, "validate_history", None)
    return list(validate(cfg, "history")) if validate else []


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec YAML file.

    Raises
    ------
    SpecError
        The file is missing or is not valid YAML (with the line and column).
    ProblemList
        Several problems: each names its YAML path and what was expected.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError("spec file not found", str(path))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        raise SpecError(f"not valid YAML: {getattr(err, 'problem', err)}", where) from None
    try:
        return Spec.from_dict(raw or {}, base_dir=path.parent, path=path)
    except EvalkitError as err:
        if err.where and not err.where.startswith(str(path)):
            err.args = (f"{path}: {err}",)
        elif not err.where:
            err.args = (f"{path}: {err}",)
        raise
