"""Spec models of the rules of Chinese assessment practice: traffic lights and catalogues.

Used by :mod:`evalkit.spec.schema`: ``defaults.status`` and an indicator's ``status`` (the
traffic-light thresholds of completion against target, :mod:`evalkit.scoring.status`), an
indicator's ``warning`` / ``advanced`` values (预警值 / 先进值), and the bonus/deduction
catalogue ``points.catalogue`` (加扣分标准, each item with fixed points; ``locked``: a
record must name an item, :func:`evalkit.inputs.values.check_points`).

Examples
--------
>>> StatusRule().green, StatusRule(score={"yellow": 50}).score.green
(0.95, 85.0)
>>> CatalogueItem(item="省级表彰", kind="加分", points=3).kind
'bonus'
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

#: Point kinds as offices write them (Chinese) -> evalkit's kind.
POINT_KIND_NAMES = {"加分": "bonus", "奖励加分": "bonus", "扣分": "deduction",
                    "黄牌": "yellow_card", "黄牌警告": "yellow_card", "一票否决": "veto",
                    "否决": "veto"}
_Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _ordered(model: Any, what: str) -> Any:
    """``yellow ≤ green`` when a model gives both."""
    if {"green", "yellow"} <= model.model_fields_set and model.yellow > model.green:
        raise ValueError(f"yellow {model.yellow} is above green {model.green}; expected "
                         f"yellow ≤ green ({what})")
    return model


class StatusScore(_Strict):
    """Score thresholds of the traffic light of an indicator without a target (points 0–100):
    green (达标) at a score ≥ ``green``, yellow (基本达标) ≥ ``yellow``, else red (未达标)."""

    green: _Finite = Field(85.0, ge=0)
    yellow: _Finite = Field(60.0, ge=0)

    @model_validator(mode="after")
    def _order(self) -> StatusScore:
        return _ordered(self, "scores")


class StatusRule(_Strict):
    """Traffic lights of completion against target (:mod:`evalkit.scoring.status`): green
    (达标) when the value reaches ``green`` × target (a cost indicator: at most target ÷
    ``green``), yellow (基本达标) at ``yellow``, else red (未达标); ``score``: the thresholds
    on the score of an indicator without a target. An indicator's ``status`` overrides the
    keys it gives of ``defaults.status``."""

    green: _Finite = Field(0.95, gt=0)
    yellow: _Finite = Field(0.85, gt=0)
    score: StatusScore = Field(default_factory=StatusScore)

    @model_validator(mode="after")
    def _order(self) -> StatusRule:
        return _ordered(self, "shares of the target")


def _flag_value(v: float | None, info: ValidationInfo) -> float | None:
    """A warning / advanced value: only for benefit or cost; warning on the worse side."""
    direction = info.data.get("direction", "benefit")
    if v is not None and direction == "target":
        raise ValueError("a warning or advanced value needs direction benefit or cost (its "
                         "wrong side is undefined for a target direction)")
    warn = info.data.get("warning")
    if info.field_name == "advanced" and v is not None and warn is not None and \
            (warn >= v if direction == "benefit" else warn <= v):
        side = "below" if direction == "benefit" else "above"
        raise ValueError(f"the warning value {warn} must lie {side} the advanced value {v} "
                         f"for a {direction} indicator")
    return v


#: An indicator's warning (预警值) or advanced (先进值) value.
FlagValue = Annotated[_Finite | None, AfterValidator(_flag_value)]


class CatalogueItem(_Strict):
    """An item of the bonus/deduction catalogue (加扣分标准): its name, kind (also 加分, 扣分,
    黄牌/黄牌警告, 一票否决) and fixed points (≥ 0)."""

    item: str
    #: evalkit's kind once read (the Chinese names are listed for editors' completion).
    kind: Literal["bonus", "deduction", "yellow_card", "veto", "加分", "奖励加分", "扣分", "黄牌",
                  "黄牌警告", "一票否决", "否决"]
    points: _Finite = Field(ge=0)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_name(cls, v: Any) -> Any:
        kind = POINT_KIND_NAMES.get(str(v).strip(), str(v).strip())
        if kind not in POINT_KIND_NAMES.values():
            raise ValueError(f"unknown kind {v!r}; expected bonus, deduction, yellow_card or "
                             "veto (or 加分, 扣分, 黄牌警告, 一票否决)")
        return kind

    @field_validator("item")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("expected the item's name")
        return v.strip()


def _unique_items(v: list[CatalogueItem]) -> list[CatalogueItem]:
    seen: dict[str, int] = {}
    for k, it in enumerate(v):
        if it.item in seen:
            raise ValueError(f"catalogue[{k}]: item {it.item!r} is listed twice (also "
                             f"catalogue[{seen[it.item]}]); expected unique items")
        seen[it.item] = k
    return v


def _locked(v: bool, info: ValidationInfo) -> bool:
    if v and not info.data.get("catalogue"):
        raise ValueError("a locked catalogue needs its items (points.catalogue)")
    return v


#: The bonus/deduction catalogue: items with unique names.
Catalogue = Annotated[list[CatalogueItem], AfterValidator(_unique_items)]
#: ``points.locked``: records must name a catalogue item (needs a catalogue).
Locked = Annotated[bool, AfterValidator(_locked)]
