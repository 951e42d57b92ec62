"""The ``sources.peer`` section: its schema (pydantic) and :func:`validate_config`.

Spec section (see :mod:`evalkit.sources.peer.source` for what each key does)::

    peer:
      weight: 0.15                 # read by evaluate, not here
      table: peer
      scheme: trimmed_mean         # a key of evalkit.sources.peer.SCHEMES
      params: {k: 1}               # the scheme's parameters
      scale: [0, 100]
      grades: {优秀: 95, 良好: 85, 一般: 75, 较差: 60}
      missing_labels: [不了解]
      self_rating: exclude         # or: error
      validity: {same_score: true, min_items: 3, max_share: {优秀: 0.5}}
      min_raters: 3
      round: all                   # or one round number

Unknown keys and ill-typed simple values are found by the :class:`PeerSection` model
(:func:`evalkit.spec.sections.section_problems`); the
scheme, its parameters, the scale and the grade map are checked by hand, against the
registry and each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from evalkit.core.errors import EvalkitError, SpecError
from evalkit.sources.peer.schemes import SCHEMES
from evalkit.spec.sections import Strict, section_problems


class Validity(Strict):
    """``validity``: ballot rules of :func:`evalkit.sources.peer.data.prepare_ratings`."""

    same_score: bool = False
    min_items: Annotated[int, Field(ge=1)] = 3
    max_share: dict[Any, Annotated[float, Field(gt=0, le=1)]] | None = None


class PeerSection(Strict):
    """The keys of ``sources.peer`` and the types of the simple ones (see the module docstring)."""

    table: str = "peer"
    scheme: Any = "mean"
    params: dict[str, Any] | None = None
    scale: Any = None
    grades: Any = None
    missing_labels: list[Any] | None = None
    self_rating: Literal["exclude", "error"] = "exclude"
    validity: Validity | None = None
    min_raters: Annotated[int, Field(ge=1)] = 1
    round: Any = "all"


def _scheme_problems(config: Mapping[str, Any], where: str) -> list[EvalkitError]:
    key = config.get("scheme", "mean")
    if key not in SCHEMES:
        return [SpecError(f"unknown peer scheme {key!r}; expected one of {sorted(SCHEMES)}",
                          f"{where}.scheme")]
    params = config.get("params") or {}
    if not isinstance(params, Mapping):
        return []  # a problem of the schema
    found = SCHEMES.check_params(key, params, f"{where}.params", {"R", "design"})
    check = SCHEMES.trait(key, "value_problems", None)
    if found or check is None:
        return list(found)
    return [SpecError(msg, f"{where}.params.{param}") for param, msg in check(params)]


def validate_config(config: Mapping[str, Any], where: str) -> list[EvalkitError]:
    """Problems in a ``sources.peer`` section (each names its YAML path).

    Examples
    --------
    >>> [str(p) for p in validate_config({"scale": [100, 0]}, "sources.peer")]
    ['sources.peer.scale: expected [low, high] with low < high; got [100, 0]']
    >>> [str(p) for p in validate_config({"params": {"kk": 1}}, "sources.peer")]
    ["sources.peer.params.kk: unknown parameter 'kk' for peer scheme method 'mean'; it takes none"]
    """
    out = section_problems(PeerSection, config, where) + _scheme_problems(config, where)
    scale = config.get("scale", [0, 100])
    if not (isinstance(scale, list | tuple) and len(scale) == 2
            and all(isinstance(v, int | float) for v in scale) and scale[0] < scale[1]):
        out.append(SpecError(f"expected [low, high] with low < high; got {scale!r}",
                             f"{where}.scale"))
    grades = config.get("grades")
    if grades is not None and not (isinstance(grades, Mapping) and grades and all(
            isinstance(v, int | float) for v in grades.values())):
        out.append(SpecError("expected a mapping grade label -> points, e.g. {优秀: 95}",
                             f"{where}.grades"))
    val = config.get("validity") or {}
    max_share = val.get("max_share") if isinstance(val, Mapping) else None
    for lab in max_share if isinstance(max_share, Mapping) else ():
        if not isinstance(grades, Mapping) or lab not in grades:
            out.append(SpecError(f"{lab!r} is not a grade of {where}.grades; max_share limits "
                                 "the share of one grade on a ballot",
                                 f"{where}.validity.max_share.{lab}"))
    return out
