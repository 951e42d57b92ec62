"""The codebook of a satisfaction survey: scales, answer codes, points, labels.

A *scale* lists its answers. Each answer has a code (what the ballot or the export holds, e.g.
``满意`` or ``4``), optional aliases (``satisfied``), labels in Chinese and English, the
*points* it is worth on a 0–100 scale, whether it counts as *satisfied* for the satisfaction
rate, and whether it is a *don't know* (不了解), which is excluded from the denominator and
counted. A blank cell is never an answer: it is excluded and counted as blank.

Built-in scales (override their points, or declare new scales, in ``sources.survey.scales``):

=============  ==========================================================  ================
scale          answers (points)                                            satisfied
=============  ==========================================================  ================
three_level    满意 (100) / 基本满意 (60) / 不满意 (0) / 不了解 (—)           满意, 基本满意
likert5        1 非常不满意 (0) … 5 非常满意 (100) / 不了解 (—)               4, 5
ten            1 (0) … 10 (100), linear / 不了解 (—)                         7 and above
=============  ==========================================================  ================

Likert and 1–10 points are the ACSI-style rescaling ``(x − min) / (max − min) × 100``.

Examples
--------
>>> cb = Codebook.from_config({"scales": {"three_level": {"points": {"基本满意": 80}}}})
>>> [a.points for a in cb.scales["three_level"].answers]
[100.0, 80.0, 0.0, None]
>>> cb.scales["three_level"].lookup("satisfied").code
'满意'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from evalkit.core.errors import EvalkitError, SpecError, raise_all

#: Respondent groups of public assessment (民评) with their usual labels.
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "public": ("群众代表", "Public"),
    "enterprises": ("企业", "Enterprises"),
    "npc_deputies": ("人大代表", "NPC deputies"),
    "cppcc_members": ("政协委员", "CPPCC members"),
    "party_reps": ("党代表", "Party representatives"),
    "leaders": ("领导", "Leaders"),
}


@dataclass(frozen=True)
class Answer:
    """One answer of a scale (see the module docstring)."""

    code: str
    label: str = ""
    label_en: str = ""
    points: float | None = None
    satisfied: bool = False
    dont_know: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scale:
    """A named list of answers; :meth:`lookup` finds an answer by code or alias."""

    name: str
    answers: tuple[Answer, ...]
    label: str = ""
    label_en: str = ""

    def codes(self) -> dict[str, int]:
        """Every accepted code and alias → index of its answer."""
        out: dict[str, int] = {}
        for i, a in enumerate(self.answers):
            for c in (a.code, *a.aliases):
                out[c] = i
        return out

    def lookup(self, code: str) -> Answer:
        """The answer for ``code`` (or alias); KeyError if unknown."""
        return self.answers[self.codes()[code]]

    @property
    def substantive(self) -> tuple[Answer, ...]:
        """The answers that carry points (all but don't know)."""
        return tuple(a for a in self.answers if not a.dont_know)


def _dk(aliases: tuple[str, ...] = ("don't know", "dont_know", "dk", "不清楚")) -> Answer:
    return Answer("不了解", "不了解", "don't know", None, False, True, aliases)


def _likert5() -> Scale:
    labels = [("非常不满意", "very dissatisfied"), ("不满意", "dissatisfied"), ("一般", "neutral"),
              ("满意", "satisfied"), ("非常满意", "very satisfied")]
    answers = [Answer(str(i + 1), zh, en, 25.0 * i, i >= 3, False, (en,))
               for i, (zh, en) in enumerate(labels)]
    return Scale("likert5", (*answers, _dk()), "五级量表", "Likert 5")


def range_scale(name: str, lo: int, hi: int, satisfied_from: int,
                label: str = "", label_en: str = "") -> Scale:
    """An integer scale ``lo..hi`` with linear points ``(x − lo) / (hi − lo) × 100``."""
    answers = [Answer(str(x), str(x), str(x), 100.0 * (x - lo) / (hi - lo), x >= satisfied_from)
               for x in range(lo, hi + 1)]
    return Scale(name, (*answers, _dk()), label or f"{lo}–{hi}分", label_en or f"{lo}–{hi}")


def builtin_scales() -> dict[str, Scale]:
    """The built-in scales (fresh copies)."""
    three = Scale("three_level", (
        Answer("满意", "满意", "satisfied", 100.0, True, False, ("satisfied",)),
        Answer("基本满意", "基本满意", "basically satisfied", 60.0, True, False,
               ("basically satisfied", "basically_satisfied")),
        Answer("不满意", "不满意", "dissatisfied", 0.0, False, False, ("dissatisfied",)),
        _dk(),
    ), "三级（满意／基本满意／不满意）", "three-level")
    return {"three_level": three, "likert5": _likert5(),
            "ten": range_scale("ten", 1, 10, 7, "十分制", "1–10")}


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
        return self.items[item][0] if item in self.items else self.scale


@dataclass(frozen=True)
class Group:
    """A respondent group with its weight in the unit's combined result."""

    name: str
    weight: float = 1.0
    label: str = ""
    label_en: str = ""


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
        g = self.groups.get(group)
        zh, en = GROUP_LABELS.get(group, (group, group))
        if g is not None:
            zh, en = g.label or zh, g.label_en or en
        return zh if lang == "zh" else en


def _is_num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _parse_answer(raw: Any, where: str, problems: list[EvalkitError]) -> Answer | None:
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a mapping with code, points, satisfied, ...", where))
        return None
    known = {"code", "label", "label_en", "points", "satisfied", "dont_know", "aliases"}
    for k in sorted(set(raw) - known):
        problems.append(SpecError(f"unknown key {k!r}; expected one of {sorted(known)}",
                                  f"{where}.{k}"))
    if "code" not in raw or str(raw["code"]).strip() == "":
        problems.append(SpecError("missing answer code", f"{where}.code"))
        return None
    dk = bool(raw.get("dont_know", False))
    pts = raw.get("points")
    if not dk and not (_is_num(pts) and 0 <= pts <= 100):
        problems.append(SpecError(f"points must be a number from 0 to 100, got {pts!r}",
                                  f"{where}.points"))
        return None
    aliases = raw.get("aliases", [])
    if isinstance(aliases, str):
        aliases = [aliases]
    code = normalise_code(raw["code"])
    return Answer(code, str(raw.get("label", code)), str(raw.get("label_en", raw.get("label",
                  code))), None if dk else float(pts), bool(raw.get("satisfied", False)) and not dk,
                  dk, tuple(normalise_code(a) for a in aliases))


def _parse_scale(name: str, raw: Any, base: Scale | None, where: str,
                 problems: list[EvalkitError]) -> Scale | None:
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a mapping (answers, range or points)", where))
        return None
    known = {"answers", "range", "satisfied_from", "points", "label", "label_en"}
    for k in sorted(set(raw) - known):
        problems.append(SpecError(f"unknown key {k!r}; expected one of {sorted(known)}",
                                  f"{where}.{k}"))
    scale = base
    if "answers" in raw:
        if not isinstance(raw["answers"], list) or not raw["answers"]:
            problems.append(SpecError("expected a non-empty list of answers", f"{where}.answers"))
            return None
        answers = [_parse_answer(a, f"{where}.answers[{i}]", problems)
                   for i, a in enumerate(raw["answers"])]
        if any(a is None for a in answers):
            return None
        scale = Scale(name, tuple(a for a in answers if a is not None))
    elif "range" in raw:
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
        scale = range_scale(name, rng[0], rng[1], sf)
    elif scale is None:
        problems.append(SpecError(f"scale {name!r} is not built in; give its answers "
                                  f"(or a range); built-in scales: {sorted(builtin_scales())}",
                                  where))
        return None
    if "points" in raw:
        pts = raw["points"]
        codes = scale.codes()
        if not isinstance(pts, Mapping):
            problems.append(SpecError("expected a mapping answer code → points",
                                      f"{where}.points"))
            return None
        answers = list(scale.answers)
        for code, p in pts.items():
            c = normalise_code(code)
            if c not in codes:
                problems.append(SpecError(f"unknown answer {code!r}; scale {name!r} has "
                                          f"{[a.code for a in scale.answers]}",
                                          f"{where}.points.{code}"))
            elif answers[codes[c]].dont_know:
                problems.append(SpecError(f"{code!r} is a don't-know answer: it has no points",
                                          f"{where}.points.{code}"))
            elif not (_is_num(p) and 0 <= p <= 100):
                problems.append(SpecError(f"points must be a number from 0 to 100, got {p!r}",
                                          f"{where}.points.{code}"))
            else:
                answers[codes[c]] = replace(answers[codes[c]], points=float(p))
        scale = replace(scale, answers=tuple(answers))
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


def parse_codebook(config: Mapping[str, Any], where: str = "sources.survey"
                   ) -> tuple[Codebook, list[EvalkitError]]:
    """Parse ``scales``, ``scale``, ``questionnaires`` and ``groups`` of a survey section."""
    problems: list[EvalkitError] = []
    scales = builtin_scales()
    raw_scales = config.get("scales", {}) or {}
    if not isinstance(raw_scales, Mapping):
        problems.append(SpecError("expected a mapping scale name → definition", f"{where}.scales"))
        raw_scales = {}
    for name, raw in raw_scales.items():
        s = _parse_scale(str(name), raw, scales.get(str(name)), f"{where}.scales.{name}", problems)
        if s is not None:
            scales[str(name)] = s
    default = str(config.get("scale", "three_level"))
    if default not in scales:
        problems.append(SpecError(f"unknown scale {default!r}; expected one of {sorted(scales)}",
                                  f"{where}.scale"))

    def check_scale(s: Any, w: str) -> str:
        if str(s) not in scales:
            problems.append(SpecError(f"unknown scale {s!r}; expected one of {sorted(scales)}", w))
        return str(s)

    qs: dict[str, Questionnaire] = {}
    raw_q = config.get("questionnaires", {}) or {}
    if not isinstance(raw_q, Mapping):
        problems.append(SpecError("expected a mapping questionnaire id → {scale, label, items}",
                                  f"{where}.questionnaires"))
        raw_q = {}
    for qname, q in raw_q.items():
        w = f"{where}.questionnaires.{qname}"
        q = q if q is not None else {}
        if isinstance(q, str):
            q = {"scale": q}
        if not isinstance(q, Mapping):
            problems.append(SpecError("expected a mapping with scale, label, label_en, items", w))
            continue
        for k in sorted(set(q) - {"scale", "label", "label_en", "items"}):
            problems.append(SpecError(f"unknown key {k!r}; expected scale, label, label_en, items",
                                      f"{w}.{k}"))
        qscale = check_scale(q.get("scale", default), f"{w}.scale")
        items: dict[str, tuple[str, str, str]] = {}
        raw_items = q.get("items", {}) or {}
        if isinstance(raw_items, list):
            raw_items = {str(i): {} for i in raw_items}
        if not isinstance(raw_items, Mapping):
            problems.append(SpecError("expected a list of item ids or a mapping item → "
                                      "{label, scale}", f"{w}.items"))
            raw_items = {}
        for item, spec in raw_items.items():
            spec = {"label": spec} if isinstance(spec, str) else (spec or {})
            if not isinstance(spec, Mapping):
                problems.append(SpecError("expected a label or {label, label_en, scale}",
                                          f"{w}.items.{item}"))
                continue
            for k in sorted(set(spec) - {"scale", "label", "label_en"}):
                problems.append(SpecError(f"unknown key {k!r}; expected scale, label, label_en",
                                          f"{w}.items.{item}.{k}"))
            s = check_scale(spec.get("scale", qscale), f"{w}.items.{item}.scale")
            lab = str(spec.get("label", item))
            items[str(item)] = (s, lab, str(spec.get("label_en", lab)))
        lab = str(q.get("label", qname))
        qs[str(qname)] = Questionnaire(str(qname), qscale, lab, str(q.get("label_en", lab)), items)

    groups: dict[str, Group] = {}
    raw_g = config.get("groups", {}) or {}
    if isinstance(raw_g, list):
        raw_g = {str(g): {} for g in raw_g}
    if not isinstance(raw_g, Mapping):
        problems.append(SpecError("expected a mapping group id → {weight, label}",
                                  f"{where}.groups"))
        raw_g = {}
    for gname, g in raw_g.items():
        w = f"{where}.groups.{gname}"
        g = {"weight": g} if _is_num(g) else (g if g is not None else {})
        if not isinstance(g, Mapping):
            problems.append(SpecError("expected a weight or {weight, label, label_en}", w))
            continue
        for k in sorted(set(g) - {"weight", "label", "label_en"}):
            problems.append(SpecError(f"unknown key {k!r}; expected weight, label, label_en",
                                      f"{w}.{k}"))
        wt = g.get("weight", 1.0)
        if not (_is_num(wt) and wt >= 0):
            problems.append(SpecError(f"group weight must be a number >= 0, got {wt!r}",
                                      f"{w}.weight"))
            wt = 0.0
        zh, en = GROUP_LABELS.get(str(gname), (str(gname), str(gname)))
        groups[str(gname)] = Group(str(gname), float(wt), str(g.get("label", zh)),
                                   str(g.get("label_en", en)))
    if groups and not sum(g.weight for g in groups.values()) > 0:
        problems.append(SpecError("every group weight is 0; at least one must be positive",
                                  f"{where}.groups"))
    return Codebook(scales, qs, groups, default if default in scales else "three_level"), problems


def normalise_code(x: Any) -> str:
    """An answer cell as a code: stripped text; integral numbers without ``.0``; blank → ``''``.

    >>> normalise_code(5.0), normalise_code(" 满意 "), normalise_code(float("nan"))
    ('5', '满意', '')
    """
    if x is None:
        return ""
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        if x.is_integer():
            return str(int(x))
    if x is pd.NA or x is pd.NaT:
        return ""
    return str(x).strip()
