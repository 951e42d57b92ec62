"""Sections of the spec as pydantic models: unknown keys and ill-typed values become problems.

A source's section (e.g. ``sources.survey``: the section itself, ``rules``, ``ranking``, a scale, an
answer, a questionnaire, an item, a group) is a :class:`Strict` model: an unknown key is an
error, and values are not coerced (``"yes"`` is not a boolean, ``true`` is not a number).
:func:`section_problems` turns pydantic's findings into :class:`~evalkit.core.errors.SpecError`
problems named by their YAML path; checks that need the codebook or a registry (an unknown
scale, answer code or interval method) stay with the code that knows them.

Examples
--------
>>> class Ranking(Strict):
...     draws: int = 1000
>>> [str(p) for p in section_problems(Ranking, {"draw": 10}, "sources.survey.ranking")]
["sources.survey.ranking.draw: unknown key 'draw'; expected one of ['draws']"]
>>> [str(p) for p in section_problems(Ranking, {"draws": True}, "sources.survey.ranking")]
['sources.survey.ranking.draws: Input should be a valid integer (got True)']
>>> class Rules(Strict):
...     min_seconds: float = 2.0
>>> [str(p) for p in section_problems(Rules, {"min_seconds": float("inf")}, "rules")]
['rules.min_seconds: Input should be a finite number (got inf)']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from evalkit.core.errors import EvalkitError, SpecError, unknown_keys


class Strict(BaseModel):
    """A mapping of the spec: unknown keys are errors; values are validated without coercion;
    numbers are finite (``.inf`` and ``.nan`` are errors)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model of the mapping at ``loc`` (fields typed ``Model`` or ``Model | None``)."""
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        inner = [a for a in (field.annotation, *get_args(field.annotation))
                 if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner:
            return None
        model = inner[0]
    return model


def _path(where: str, loc: tuple[Any, ...]) -> str:
    return where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def section_problems(model: type[BaseModel], raw: Mapping[str, Any], where: str
                     ) -> list[EvalkitError]:
    """Every problem pydantic finds in the mapping ``raw`` at the YAML path ``where``.

    Unknown keys are worded by :func:`evalkit.core.errors.unknown_keys` (listing the keys the
    mapping takes); other problems give pydantic's message and the value found.
    """
    try:
        model.model_validate(dict(raw))
    except ValidationError as err:
        problems: dict[str, EvalkitError] = {}
        for e in err.errors():
            loc = tuple(e["loc"])
            parent = _model_at(model, loc[:-1]) if e["type"] == "extra_forbidden" else None
            if parent is not None:
                found: list[EvalkitError] = list(
                    unknown_keys([loc[-1]], parent.model_fields, _path(where, loc[:-1])))
            else:
                found = [SpecError(f"{e['msg']} (got {e.get('input')!r})", _path(where, loc))]
            for p in found:
                problems.setdefault(str(p), p)
        return list(problems.values())
    return []
