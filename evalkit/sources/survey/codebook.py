"""The codebook of a satisfaction survey: its scales, questionnaires and respondent groups.

Parsed from the survey section of a spec (``sources.survey``)::

    scale: three_level                  # default scale of questionnaires
    scales:                             # override built-in points, or declare new scales
      three_level: {points: {基本满意: 80}}
      agree4: {answers: [{code: A, points: 100, satisfied: true}, ...]}
      seven: {range: [1, 7], satisfied_from: 5}
    questionnaires:                     # questionnaire id -> scale, labels, items
      q_public: {scale: three_level, label: 群众满意度测评表, items: [style, overall]}
    groups:                             # respondent group -> weight in the unit's result
      public: {weight: 0.4}
      enterprises: 0.2

The answers, points and built-in scales are described in :mod:`evalkit.sources.survey.scales`.
Every problem is collected, each naming its YAML path (``sources.survey.scales.mine.points``).

Examples
--------
>>> cb = Codebook.from_config({"scales": {"three_level": {"points": {"基本满意": 80}}}})
>>> [a.points for a in cb.scales["three_level"].answers]
[100.0, 80.0, 0.0, None]
>>> cb.scales["three_level"].lookup("satisfied").code
'满意'
>>> cb.group_label("npc_deputies", "en")
'NPC deputies'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from pydantic import BeforeValidator

from evalkit.core.errors import EvalkitError, SpecError, raise_all
from evalkit.core.labels import label_or
from evalkit.sources.survey.scales import Answer, Scale, builtin_scales, normalise_code, range_scale
from evalkit.spec.sections import Strict, section_problems


@dataclass(frozen=True)
class Questionnaire:
    """A questionnaire type (测评表): its default scale and, optionally, its items."""

    name: str
    scale: str
    label: str = ""
    label_en: str = ""
    #: item id → (scale, label, label_en); empty means "any item, the default scale"
    items: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)

    def scale_of(self, item: str) -> str:
        """The scale of ``item`` (the questionnaire's scale unless the item names its own)."""
        return self.items[item][0] if item in self.items else self.scale


@dataclass(frozen=True)
class Group:
    """A respondent group with its weight in the unit's combined result."""

    name: str
    weight: float = 1.0
    label: str = ""
    label_en: str = ""


def default_group_label(group: str, lang: str) -> str:
    """The usual label of a respondent group of public assessment (民评), else its id.

    >>> default_group_label("public", "zh"), default_group_label("tourists", "en")
    ('群众代表', 'tourists')
    """
    return label_or(f"survey_group_{group}", lang, group)


@dataclass(frozen=True)
class Codebook:
    """Scales, questionnaires and groups of one survey.

    ``questionnaires`` or ``groups`` empty means "not declared": any questionnaire then uses
    ``default_scale``, and every group found gets weight 1.
    """

    scales: Mapping[str, Scale]
    questionnaires: Mapping[str, Questionnaire] = field(default_factory=dict)
    groups: Mapping[str, Group] = field(default_factory=dict)
    default_scale: str = "three_level"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], where: str = "sources.survey") -> Codebook:
        """Build from a spec section; raise every problem at once (each naming its YAML path)."""
        cb, problems = parse_codebook(config, where)
        raise_all(problems, "problems in the survey codebook")
        return cb

    def group_label(self, group: str, lang: str = "zh") -> str:
        """The label of ``group`` in ``lang``: the spec's, else the usual one, else the id."""
        g = self.groups.get(group)
        own = None if g is None else (g.label if lang == "zh" else g.label_en)
        return own or default_group_label(group, lang)


# -- the keys of each mapping (values are checked below, against the codebook) -------------
#: one text or a list (``aliases: satisfied`` or ``aliases: [satisfied, good]``)
_TextOrList = Annotated[list[Any] | None,
                        BeforeValidator(lambda v: [v] if isinstance(v, str) else v)]


class _AnswerKeys(Strict):
    code: Any = None
    label: Any = None
    label_en: Any = None
    points: Any = None
    satisfied: Any = None
    dont_know: Any = None
    aliases: _TextOrList = None


class _ScaleKeys(Strict):
    answers: Any = None
    range: Any = None
    satisfied_from: Any = None
    points: Any = None
    label: Any = None
    label_en: Any = None


class _QuestionnaireKeys(Strict):
    scale: Any = None
    label: Any = None
    label_en: Any = None
    items: Any = None


class _ItemKeys(Strict):
    scale: Any = None
    label: Any = None
    label_en: Any = None


class _GroupKeys(Strict):
    weight: Any = None
    label: Any = None
    label_en: Any = None


def _is_num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_points(x: Any) -> bool:
    return _is_num(x) and 0 <= x <= 100


# -- scales ----------------------------------------------------------------------------------
def _parse_answer(raw: Any, where: str, problems: list[EvalkitError]) -> Answer | None:
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a mapping with code, points, satisfied, ...", where))
        return None
    problems += section_problems(_AnswerKeys, raw, where)
    if "code" not in raw or str(raw["code"]).strip() == "":
        problems.append(SpecError("missing answer code", f"{where}.code"))
        return None
    dk = bool(raw.get("dont_know", False))
    pts = raw.get("points")
    if not dk and not _is_points(pts):
        problems.append(SpecError(f"points must be a number from 0 to 100, got {pts!r}",
                                  f"{where}.points"))
        return None
    aliases = raw.get("aliases")
    aliases = [aliases] if isinstance(aliases, str) else (
        aliases if isinstance(aliases, list) else [])  # anything else: a problem above
    code = normalise_code(raw["code"])
    label = str(raw.get("label", code))
    return Answer(code, label, str(raw.get("label_en", label)), None if dk else float(pts),
                  bool(raw.get("satisfied", False)) and not dk, dk,
                  tuple(normalise_code(a) for a in aliases))


def _scale_answers(name: str, raw: Mapping[str, Any], base: Scale | None, where: str,
                   problems: list[EvalkitError]) -> Scale | None:
    """The scale's answers: listed, a ``range`` of integers, or the built-in ``base``."""
    if "answers" in raw:
        if not isinstance(raw["answers"], list) or not raw["answers"]:
            problems.append(SpecError("expected a non-empty list of answers", f"{where}.answers"))
            return None
        answers = [_parse_answer(a, f"{where}.answers[{i}]", problems)
                   for i, a in enumerate(raw["answers"])]
        if any(a is None for a in answers):
            return None
        return Scale(name, tuple(a for a in answers if a is not None))
    if "range" in raw:
        rng = raw["range"]
        if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int) for x in rng)
                and rng[0] < rng[1]):
            problems.append(SpecError(f"expected [low, high] integers with low < high, got {rng!r}",
                                      f"{where}.range"))
            return None
        sf = raw.get("satisfied_from", rng[0] + math.ceil(0.6 * (rng[1] - rng[0])))
        if not isinstance(sf, int) or not rng[0] <= sf <= rng[1]:
            problems.append(SpecError(f"expected an integer within {rng}, got {sf!r}",
                                      f"{where}.satisfied_from"))
            return None
        return range_scale(name, rng[0], rng[1], sf)
    if base is None:
        problems.append(SpecError(f"scale {name!r} is not built in; give its answers "
                                  f"(or a range); built-in scales: {sorted(builtin_scales())}",
                                  where))
    return base


def _override_points(scale: Scale, pts: Any, where: str, problems: list[EvalkitError]
                     ) -> Scale | None:
    """``scale`` with the points of ``pts`` (answer code → points, 0–100)."""
    if not isinstance(pts, Mapping):
        problems.append(SpecError("expected a mapping answer code → points", where))
        return None
    codes = scale.codes()
    answers = list(scale.answers)
    for code, p in pts.items():
        c = normalise_code(code)
        if c not in codes:
            problems.append(SpecError(f"unknown answer {code!r}; scale {scale.name!r} has "
                                      f"{[a.code for a in scale.answers]}", f"{where}.{code}"))
        elif answers[codes[c]].dont_know:
            problems.append(SpecError(f"{code!r} is a don't-know answer: it has no points",
                                      f"{where}.{code}"))
        elif not _is_points(p):
            problems.append(SpecError(f"points must be a number from 0 to 100, got {p!r}",
                                      f"{where}.{code}"))
        else:
            answers[codes[c]] = replace(answers[codes[c]], points=float(p))
    return replace(scale, answers=tuple(answers))


def _parse_scale(name: str, raw: Any, base: Scale | None, where: str,
                 problems: list[EvalkitError]) -> Scale | None:
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a mapping (answers, range or points)", where))
        return None
    problems += section_problems(_ScaleKeys, raw, where)
    scale = _scale_answers(name, raw, base, where, problems)
    if scale is not None and "points" in raw:
        scale = _override_points(scale, raw["points"], f"{where}.points", problems)
    if scale is None:
        return None
    seen: dict[str, int] = {}
    for i, a in enumerate(scale.answers):
        for c in (a.code, *a.aliases):
            if c in seen and seen[c] != i:
                problems.append(SpecError(f"answer code {c!r} appears twice", where))
            seen[c] = i
    if not scale.substantive:
        problems.append(SpecError("a scale needs at least one answer with points", where))
    return replace(scale, label=str(raw.get("label", scale.label)),
                   label_en=str(raw.get("label_en", scale.label_en)))


def _parse_scales(raw: Any, where: str, problems: list[EvalkitError]) -> dict[str, Scale]:
    """The built-in scales, overridden and extended by ``raw`` (``sources.survey.scales``)."""
    scales = builtin_scales()
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a mapping scale name → definition", where))
        return scales
    for name, spec in raw.items():
        s = _parse_scale(str(name), spec, scales.get(str(name)), f"{where}.{name}", problems)
        if s is not None:
            scales[str(name)] = s
    return scales


# -- questionnaires and groups ---------------------------------------------------------------
def _known_scale(name: Any, scales: Mapping[str, Scale], where: str,
                 problems: list[EvalkitError]) -> str:
    if str(name) not in scales:
        problems.append(SpecError(f"unknown scale {name!r}; expected one of {sorted(scales)}",
                                  where))
    return str(name)


def _parse_items(raw: Any, qscale: str, scales: Mapping[str, Scale], where: str,
                 problems: list[EvalkitError]) -> dict[str, tuple[str, str, str]]:
    """Items of a questionnaire: a list of ids or a mapping item → label or {label, scale}."""
    raw = raw or {}
    if isinstance(raw, list):
        raw = {str(i): {} for i in raw}
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a list of item ids or a mapping item → "
                                  "{label, scale}", where))
        return {}
    items: dict[str, tuple[str, str, str]] = {}
    for item, spec in raw.items():
        w = f"{where}.{item}"
        spec = {"label": spec} if isinstance(spec, str) else (spec or {})
        if not isinstance(spec, Mapping):
            problems.append(SpecError("expected a label or {label, label_en, scale}", w))
            continue
        problems += section_problems(_ItemKeys, spec, w)
        s = _known_scale(spec.get("scale", qscale), scales, f"{w}.scale", problems)
        lab = str(spec.get("label", item))
        items[str(item)] = (s, lab, str(spec.get("label_en", lab)))
    return items


def _parse_questionnaires(raw: Any, default: str, scales: Mapping[str, Scale], where: str,
                          problems: list[EvalkitError]) -> dict[str, Questionnaire]:
    """``sources.survey.questionnaires``: id → a scale name or {scale, label, items}."""
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a mapping questionnaire id → {scale, label, items}",
                                  where))
        return {}
    qs: dict[str, Questionnaire] = {}
    for qname, q in raw.items():
        w = f"{where}.{qname}"
        q = {"scale": q} if isinstance(q, str) else (q if q is not None else {})
        if not isinstance(q, Mapping):
            problems.append(SpecError("expected a mapping with scale, label, label_en, items", w))
            continue
        problems += section_problems(_QuestionnaireKeys, q, w)
        qscale = _known_scale(q.get("scale", default), scales, f"{w}.scale", problems)
        items = _parse_items(q.get("items"), qscale, scales, f"{w}.items", problems)
        lab = str(q.get("label", qname))
        qs[str(qname)] = Questionnaire(str(qname), qscale, lab, str(q.get("label_en", lab)), items)
    return qs


def _parse_groups(raw: Any, where: str, problems: list[EvalkitError]) -> dict[str, Group]:
    """``sources.survey.groups``: a list of ids, or id → a weight or {weight, label}."""
    if isinstance(raw, list):
        raw = {str(g): {} for g in raw}
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a mapping group id → {weight, label}", where))
        return {}
    groups: dict[str, Group] = {}
    for gname, g in raw.items():
        w = f"{where}.{gname}"
        g = {"weight": g} if _is_num(g) else (g if g is not None else {})
        if not isinstance(g, Mapping):
            problems.append(SpecError("expected a weight or {weight, label, label_en}", w))
            continue
        problems += section_problems(_GroupKeys, g, w)
        wt = g.get("weight", 1.0)
        if not (_is_num(wt) and wt >= 0):
            problems.append(SpecError(f"group weight must be a number >= 0, got {wt!r}",
                                      f"{w}.weight"))
            wt = 0.0
        name = str(gname)
        groups[name] = Group(name, float(wt), str(g.get("label", default_group_label(name, "zh"))),
                             str(g.get("label_en", default_group_label(name, "en"))))
    if groups and not sum(g.weight for g in groups.values()) > 0:
        problems.append(SpecError("every group weight is 0; at least one must be positive", where))
    return groups


def parse_codebook(config: Mapping[str, Any], where: str = "sources.survey"
                   ) -> tuple[Codebook, list[EvalkitError]]:
    """Parse ``scales``, ``scale``, ``questionnaires`` and ``groups`` of a survey section.

    Returns the codebook and every problem found (each naming its YAML path); with problems,
    the codebook holds what could be parsed (unknown scales fall back to ``three_level``).
    """
    problems: list[EvalkitError] = []
    scales = _parse_scales(config.get("scales", {}) or {}, f"{where}.scales", problems)
    default = str(config.get("scale", "three_level"))
    if default not in scales:
        problems.append(SpecError(f"unknown scale {default!r}; expected one of {sorted(scales)}",
                                  f"{where}.scale"))
    qs = _parse_questionnaires(config.get("questionnaires", {}) or {}, default, scales,
                               f"{where}.questionnaires", problems)
    groups = _parse_groups(config.get("groups", {}) or {}, f"{where}.groups", problems)
    return Codebook(scales, qs, groups, default if default in scales else "three_level"), problems
