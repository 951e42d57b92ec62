"""The evaluation spec: one YAML file per evaluation, validated on load.

Everything a researcher may change lives here — indicators, directions, targets, scoring,
weights, source weights, points rules, grades and quotas — so that a variant of an evaluation
is the same :func:`evalkit.evaluate.evaluate` on a changed spec.

Every problem is reported with its YAML path (``indicators[3] (I04).direction``) and what was
expected; :func:`evalkit.validate.load_spec` collects all problems before raising, so
``evalkit validate`` lists them all at once. Unknown keys are errors, never ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evalkit.spec.practice import Catalogue, FlagValue, Locked, StatusRule

Direction = Literal["benefit", "cost", "target"]
MissingPolicy = Literal["zero", "category_mean", "reweight"]
#: A finite number (``.inf`` and ``.nan`` are errors).
Finite = Annotated[float, Field(allow_inf_nan=False)]
CategoryWeight = Finite | dict[str, Finite]
#: What a value outside an indicator's plausible range is: an error, or a recorded warning.
RangePolicy = Literal["error", "warn"]
#: Formats a number column may declare (:mod:`evalkit.inputs.vocabulary`).
NumberFormat = Literal["percent", "thousands", "fullwidth"]
#: Units of measure whose values are rates with the natural range [0, 100].
RATE_UNITS = ("%", "％")
#: The largest seed (numpy's legacy generators take 32-bit seeds).
MAX_SEED = 2**32 - 1
_SAFE_ID = re.compile(r"[\w\-][\w\-.]*")
#: Kinds of point records (加分 / 扣分 / 黄牌警告 / 一票否决).
POINT_KINDS = ("bonus", "deduction", "yellow_card", "veto")
#: Keys every section of ``sources`` may have besides its own.
SOURCE_KEYS = ("weight", "missing")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TableRef(_Strict):
    """Where a table lives: ``file`` (CSV, Excel or Parquet), Excel ``sheet``, ``layout``
    (``long``: one row per unit × indicator; ``wide``: one column per indicator) and
    ``columns``, a map from evalkit's column names to the file's headers (e.g.
    ``unit_id: 单位代码``); ``encoding`` of a CSV file (UTF-8 unless declared ``gbk`` or
    ``gb18030``); ``formats``, per number column (evalkit's name), the written forms it may
    hold besides plain numbers: ``percent`` (``95%`` is 95), ``thousands`` (``1,234``),
    ``fullwidth`` (``１２``); ``values``, per column, the office's codes read as evalkit's
    (``kind: {奖: bonus, 罚: deduction}``)."""

    file: str
    sheet: str | None = None
    layout: Literal["long", "wide"] = "long"
    columns: dict[str, str] = Field(default_factory=dict)
    encoding: Literal["utf-8", "gbk", "gb18030"] | None = None
    formats: dict[str, list[NumberFormat]] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)


class Evaluation(_Strict):
    """Identity of the evaluation. ``id`` names the results folder (``results/<id>``): letters,
    digits, ``_``, ``-`` and ``.`` (no ``/``, no ``..``). ``periods`` (years: ``2025``,
    ``2025年``) defaults to every period found in the data; the last one is the current
    period. ``seed`` (0 to 2³²−1) drives every random draw. ``language`` is the reports'
    default."""

    id: str
    name: str = ""
    name_en: str = ""
    periods: list[int | str] | None = None
    seed: int = Field(0, ge=0, le=MAX_SEED)
    language: Literal["zh", "en"] = "zh"

    @field_validator("id")
    @classmethod
    def _safe_id(cls, v: str) -> str:
        if not _SAFE_ID.fullmatch(v) or ".." in v:
            raise ValueError("expected a name for the results folder: letters, digits, _, - "
                             "and . (no /, \\, .., spaces or absolute paths)")
        return v


class Category(_Strict):
    """A unit category (分类考核): units are scored, weighted and ranked within it.
    ``weights: points``: in this category the indicators' weights are points (分值) summing
    to 100 (:mod:`evalkit.spec.points`)."""

    id: str
    name: str = ""
    name_en: str = ""
    weights: Literal["points"] | None = None


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
    all). ``range``: the plausible range of raw values, checked on load (a rate, ``unit: '%'``,
    has [0, 100] unless it declares another; ``[null, null]``: unbounded); ``range_policy``:
    a value outside it is an ``error`` or a recorded ``warn``-ing (default
    ``defaults.range_policy``). ``denominator``: a column of the units table the raw value is
    divided by. ``status``: its traffic-light thresholds (default ``defaults.status``);
    ``warning`` / ``advanced``: its warning value (预警值) and advanced value (先进值), flagged
    in the ``indicators`` table (benefit or cost indicators only)."""

    id: str
    name: str = ""
    name_en: str = ""
    perspective: str
    direction: Direction = "benefit"
    target: Finite | None = None
    scoring: Scoring | None = None
    weight: CategoryWeight = 1.0
    categories: list[str] | None = None
    range: tuple[Finite | None, Finite | None] | None = None
    range_policy: RangePolicy | None = None
    unit: str = ""
    missing: MissingPolicy | None = None
    denominator: str | None = None
    status: StatusRule | None = None
    warning: FlagValue = None
    advanced: FlagValue = None

    def plausible_range(self) -> tuple[float | None, float | None] | None:
        """The declared range, else [0, 100] for a rate (``unit: '%'``), else None."""
        if self.range is not None:
            return self.range
        return (0.0, 100.0) if self.unit.strip() in RATE_UNITS else None


class Defaults(_Strict):
    """Defaults for every indicator and node. ``missing`` is the missing-value policy applied
    to scores: ``zero`` (a missing value scores 0), ``category_mean`` (the mean score of the
    category), ``reweight`` (drop it and renormalise its siblings' weights).
    ``missing_unit``: a unit with no value at all in a period is an ``error``, or is scored
    with the missing-value policy on every indicator (``apply_policy``). ``range_policy``:
    values outside an indicator's plausible range are an ``error`` or a recorded ``warn``-ing.
    ``status``: the traffic-light thresholds (:class:`StatusRule`).
    ``weights``: ``auto`` — weights within a node that differ and are all ≤ 1 are shares and
    must sum to 1, other weights (equal, or points such as 2 : 1) are relative and
    renormalised; ``relative`` — every node's weights are renormalised. Renormalisations are
    recorded in the ``input_audit`` table."""

    scoring: Scoring = Field(default_factory=Scoring)
    missing: MissingPolicy = "reweight"
    aggregation: str = "arithmetic"
    missing_unit: Literal["error", "apply_policy"] = "error"
    range_policy: RangePolicy = "error"
    weights: Literal["auto", "relative"] = "auto"
    status: StatusRule = Field(default_factory=StatusRule)


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
    where a yellow card's points count ``yellow_card_multiplier`` times. ``catalogue``: the
    items (加扣分标准) a record may name in its ``item`` column, each with fixed points (a
    record's points are taken from it); ``locked: true``: every record must name one."""

    bonus_cap: Finite | None = Field(5.0, ge=0)
    deduction_cap: Finite | None = Field(None, ge=0)
    yellow_card_multiplier: Finite = Field(2.0, ge=0)
    veto: Veto = Field(default_factory=Veto)
    catalogue: Catalogue = Field(default_factory=list)
    locked: Locked = False


class Grade(_Strict):
    """A grade (等次): reached at ``min_score`` (None: always), at most ``quota`` (a share of
    the category's units, 0–1) per category."""

    id: str
    name: str = ""
    name_en: str = ""
    min_score: Finite | None = None
    quota: Finite | None = Field(None, gt=0, le=1)


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

    ``weights: points``: every indicator weight is points (分值) summing to 100 in each
    category (:mod:`evalkit.spec.points`); else ``defaults.weights`` says how weights within
    a node are read. Optional sections handled by their own modules: ``history``
    (consecutive-period rules, :mod:`evalkit.analysis.history`) and ``uncertainty`` (a
    weights Monte Carlo whose per-unit rank intervals are stored as the ``uncertainty`` table,
    :func:`evalkit.analysis.uncertainty.rank_intervals`: e.g. ``{n: 1000, concentration:
    100}``).
    """

    evaluation: Evaluation
    data: dict[str, TableRef]
    hierarchy: Hierarchy | None = None
    categories: list[Category] = Field(default_factory=list)
    weights: Literal["points"] | None = None
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

    def source_missing(self, name: str) -> str:
        """A source's policy for a unit it gives no score: ``error`` (default) or
        ``reweight`` (its weight is shared among the unit's other sources)."""
        return str(self.sources[name].get("missing", "error"))

    def source_config(self, name: str) -> dict[str, Any]:
        """A source's section without the keys every source has (``weight``, ``missing``)."""
        return {k: v for k, v in self.sources[name].items() if k not in SOURCE_KEYS}


