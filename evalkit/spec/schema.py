"""The evaluation spec: one YAML file per evaluation, validated on load.

Everything a researcher may change lives here — indicators, directions, targets, scoring,
weights, source weights, points rules, grades and quotas — so that a variant of an evaluation
is the same :func:`evalkit.evaluate.evaluate` on a changed spec.

Every problem is reported with its YAML path (``indicators[3] (I04).direction``) and what was
expected; :func:`evalkit.validate.load_spec` collects all problems before raising, so
``evalkit validate`` lists them all at once. Unknown keys are errors, never ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Direction = Literal["benefit", "cost", "target"]
MissingPolicy = Literal["zero", "category_mean", "reweight"]
CategoryWeight = float | dict[str, float]
#: Kinds of point records (加分 / 扣分 / 黄牌警告 / 一票否决).
POINT_KINDS = ("bonus", "deduction", "yellow_card", "veto")


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
    """Scoring of one indicator: ``method`` (a key of :data:`evalkit.scoring.methods.SCORING`),
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
    children (a key of :data:`evalkit.aggregation.means.AGGREGATION`)."""

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
    :mod:`evalkit.scoring.treatment`);
    ``impute`` and ``outliers`` name a method and its parameters."""

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
    """A validated evaluation spec. Build with :func:`evalkit.validate.load_spec` (every check) or
    :func:`evalkit.spec.from_dict` (schema and structure).

    Optional sections handled by their own modules: ``history`` (consecutive-period rules,
    :mod:`evalkit.analysis.history`) and ``uncertainty`` (a weights Monte Carlo whose per-unit rank
    intervals are stored as the ``uncertainty`` table,
    :func:`evalkit.analysis.uncertainty.rank_intervals`:
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


