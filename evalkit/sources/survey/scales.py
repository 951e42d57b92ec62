"""Answer scales of a satisfaction survey: answer codes, points, labels.

A *scale* lists its answers. Each answer has a code (what the ballot or the export holds, e.g.
``满意`` or ``4``), optional aliases (``satisfied``), labels in Chinese and English, the
*points* it is worth on a 0–100 scale, whether it counts as *satisfied* for the satisfaction
rate, and whether it is a *don't know* (不了解), which is excluded from the denominator and
counted. A blank cell is never an answer: it is excluded and counted as blank.

Built-in scales (override their points, or declare new scales, in ``sources.survey.scales``;
see :mod:`evalkit.sources.survey.codebook`):

=============  ==========================================================  ================
scale          answers (points)                                            satisfied
=============  ==========================================================  ================
three_level    满意 (100) / 基本满意 (60) / 不满意 (0) / 不了解 (—)           满意, 基本满意
likert5        1 非常不满意 (0) … 5 非常满意 (100) / 不了解 (—)               4, 5
ten            1 (0) … 10 (100), linear / 不了解 (—)                         7 and above
=============  ==========================================================  ================

Likert and 1–10 points are the ACSI-style rescaling ``(x − min) / (max − min) × 100``
(Fornell et al. 1996).

Examples
--------
>>> three = builtin_scales()["three_level"]
>>> [a.points for a in three.answers]
[100.0, 60.0, 0.0, None]
>>> three.lookup("satisfied").code
'满意'
>>> [a.points for a in range_scale("five", 1, 5, 4).substantive]
[0.0, 25.0, 50.0, 75.0, 100.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd


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
    """An integer scale ``lo..hi`` with linear points ``(x − lo) / (hi − lo) × 100``.

    Answers ``x ≥ satisfied_from`` count as satisfied; a don't-know answer (不了解) is added.
    """
    answers = [Answer(str(x), str(x), str(x), 100.0 * (x - lo) / (hi - lo), x >= satisfied_from)
               for x in range(lo, hi + 1)]
    return Scale(name, (*answers, _dk()), label or f"{lo}–{hi}分", label_en or f"{lo}–{hi}")


def builtin_scales() -> dict[str, Scale]:
    """The built-in scales (fresh copies): ``three_level``, ``likert5`` and ``ten``."""
    three = Scale("three_level", (
        Answer("满意", "满意", "satisfied", 100.0, True, False, ("satisfied",)),
        Answer("基本满意", "基本满意", "basically satisfied", 60.0, True, False,
               ("basically satisfied", "basically_satisfied")),
        Answer("不满意", "不满意", "dissatisfied", 0.0, False, False, ("dissatisfied",)),
        _dk(),
    ), "三级（满意／基本满意／不满意）", "three-level")
    return {"three_level": three, "likert5": _likert5(),
            "ten": range_scale("ten", 1, 10, 7, "十分制", "1–10")}


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
