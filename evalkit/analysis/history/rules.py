"""Consecutive-period rules: the ``history`` section of the spec, parsed and checked.

A rule is ``{id, when, periods, flag?, label?, category_change?}`` (see
:mod:`evalkit.analysis.history`); :func:`parse_rules` turns the section into
:class:`HistoryRule` objects or raises every problem with its YAML path.

Examples
--------
>>> [r.flag for r in parse_rules({"rules": [{"id": "last", "when": "rank_from_bottom <= 1",
...                                          "periods": 2}]})]
['last']
>>> [e.where for e in validate_history({"rules": [{"id": "x", "when": "rank <", "periods": 0}]})]
['history.rules[0].periods', 'history.rules[0].when']
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.analysis.history.expr import check_condition
from evalkit.core.errors import EvalkitError, SpecError, raise_all

#: Keys a rule may have.
RULE_KEYS = {"id", "when", "periods", "flag", "label", "category_change"}
#: What a change of category does to a streak.
CATEGORY_CHANGE = ("keep", "break")


@dataclass(frozen=True)
class HistoryRule:
    """One consecutive-period rule (see :mod:`evalkit.analysis.history` for the YAML form).

    ``tree`` is the parsed condition and ``names`` the columns it reads; ``where`` is the
    rule's YAML path, for errors found when the rule is applied.
    """

    id: str
    when: str
    periods: int
    flag: str
    label: str
    category_change: str = "keep"
    where: str = "history.rules[0]"
    tree: ast.Expression = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    names: tuple[str, ...] = ()


def _check_fields(raw: Mapping[str, Any], where: str) -> list[EvalkitError]:
    """Unknown keys, the id, periods, category_change, flag and label of a rule."""
    problems: list[EvalkitError] = [
        SpecError(f"unknown key {k!r}; expected one of {sorted(RULE_KEYS)}", f"{where}.{k}")
        for k in sorted(set(raw) - RULE_KEYS)]
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid.isidentifier():
        problems.append(SpecError(f"expected a name made of letters, digits and _, got {rid!r}",
                                  f"{where}.id"))
    periods = raw.get("periods")
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
        problems.append(SpecError(f"expected a whole number of periods ≥ 1, got {periods!r}",
                                  f"{where}.periods"))
    cc = raw.get("category_change", "keep")
    if cc not in CATEGORY_CHANGE:
        problems.append(SpecError(f"expected keep or break, got {cc!r}",
                                  f"{where}.category_change"))
    for k in ("flag", "label"):
        v = raw.get(k)
        if v is not None and (not isinstance(v, str) or not v or ";" in v):
            problems.append(SpecError(f"expected non-empty text without ';', got {v!r}",
                                      f"{where}.{k}"))
    return problems


def _parse_condition(when: Any, where: str, problems: list[EvalkitError]
                     ) -> tuple[ast.Expression | None, list[str]]:
    """The parsed ``when`` and the columns it reads (None, [] after appending a problem)."""
    if not isinstance(when, str) or not when.strip():
        problems.append(SpecError("expected a condition such as \"rank_from_bottom <= 1\"",
                                  where))
        return None, []
    try:
        tree = ast.parse(when.strip(), mode="eval")
        return tree, check_condition(tree, where)
    except SyntaxError as err:
        problems.append(SpecError(f"cannot read the condition {when!r}: {err.msg}", where))
    except SpecError as err:
        problems.append(err)
    return None, []


def _parse_rule(raw: Any, where: str, problems: list[EvalkitError]) -> HistoryRule | None:
    """One rule, or None after appending its problems to ``problems``."""
    if not isinstance(raw, Mapping):
        problems.append(SpecError("expected a mapping with keys id, when, periods "
                                  "(and optional flag, label, category_change)", where))
        return None
    found = _check_fields(raw, where)
    tree, names = _parse_condition(raw.get("when"), f"{where}.when", found)
    problems += found
    if found:
        return None
    flag = raw.get("flag") or raw["id"]
    return HistoryRule(id=raw["id"], when=raw["when"], periods=raw["periods"], flag=flag,
                       label=raw.get("label") or flag,
                       category_change=raw.get("category_change", "keep"), where=where,
                       tree=tree, names=tuple(dict.fromkeys(names)))


def _rules_list(config: Any, where: str) -> tuple[Any, str, list[EvalkitError]]:
    """The raw list of rules, its YAML path, and unknown keys of the section."""
    if isinstance(config, Mapping):
        extra = sorted(set(config) - {"rules"})
        problems: list[EvalkitError] = [
            SpecError(f"unknown key {k!r}; expected rules", f"{where}.{k}") for k in extra]
        return config.get("rules", []), f"{where}.rules", problems
    return config, f"{where}.rules", []


def parse_rules(config: Any, where: str = "history") -> list[HistoryRule]:
    """Parse and check the rules of a ``history`` section (or a list of rule mappings).

    Parameters
    ----------
    config : mapping, list of mappings, list of HistoryRule or None
        The ``history`` section (``{rules: [...]}``), its list of rules, or rules already
        parsed (returned as they are).
    where : str
        YAML path of the section.

    Returns
    -------
    list of HistoryRule
        In the order of the spec (empty for None).

    Raises
    ------
    SpecError, ProblemList
        Every problem, with its YAML path (``history.rules[1].when``): unknown keys, ids that
        are not identifiers or repeat, ``periods`` < 1, conditions outside the language of
        :mod:`evalkit.analysis.history.expr`.
    """
    if config is None:
        return []
    if isinstance(config, Sequence) and config and all(isinstance(r, HistoryRule)
                                                       for r in config):
        return list(config)
    rules_raw, path, problems = _rules_list(config, where)
    if not isinstance(rules_raw, list):
        problems.append(SpecError("expected a list of rules", path))
        rules_raw = []
    rules = [_parse_rule(r, f"{path}[{i}]", problems) for i, r in enumerate(rules_raw)]
    seen: dict[str, int] = {}
    for i, r in enumerate(rules):
        if r is not None and r.id in seen:
            problems.append(SpecError(f"rule id {r.id!r} already used by {path}[{seen[r.id]}]; "
                                      "expected unique ids", f"{path}[{i}].id"))
        elif r is not None:
            seen[r.id] = i
    raise_all(problems, "problems in the history rules")
    return [r for r in rules if r is not None]


def validate_history(config: Any, where: str = "history") -> list[EvalkitError]:
    """Problems in a ``history`` section (``{rules: [...]}``), each naming its YAML path.

    The same checks as :func:`parse_rules`, returned as a list (empty when valid).
    """
    try:
        parse_rules(config, where)
    except EvalkitError as err:
        return list(getattr(err, "problems", [err]))
    return []


def rule_label(rule: HistoryRule, lang: str = "zh") -> str:
    """How a report names a rule: its ``label`` in Chinese, its ``flag`` (``_`` → space) in
    English (the spec's labels are Chinese text).

    Examples
    --------
    >>> r = parse_rules([{"id": "x", "when": "rank <= 1", "periods": 2,
    ...                   "flag": "top_twice", "label": "连续两年第一"}])[0]
    >>> rule_label(r, "zh"), rule_label(r, "en")
    ('连续两年第一', 'top twice')
    """
    return rule.flag.replace("_", " ") if lang == "en" else rule.label
