"""The JSON Schema of the spec, for editor completion and checks (``evalkit schema``).

:func:`spec_schema` is pydantic's ``model_json_schema`` of :class:`~evalkit.spec.schema.Spec`
without the fields set by the loader (``base_dir``, ``raw``, ``path``), its descriptions made
plain text for an editor's hover, and the open parts of the spec closed where the registries
know their keys:

- ``scoring.method`` lists the scoring methods of :data:`~evalkit.scoring.methods.SCORING`,
  each method's own parameters are described and typed (``if method is X then ...``);
- ``weighting.method`` and ``aggregation`` list :data:`~evalkit.weights.WEIGHTING` and
  :data:`~evalkit.aggregation.means.AGGREGATION`;
- ``sources`` names ``office`` and every registered source, each with ``weight`` and
  ``missing``.

A spec whose first line is ``# yaml-language-server: $schema=evalkit-spec.schema.json``
gets completion in any editor with the YAML language server (VS Code's YAML extension).
The schema helps typing; ``evalkit validate`` stays the check (cross-field rules,
tables).

Examples
--------
>>> s = spec_schema()
>>> "raw" in s["properties"], "best_ratio" in s["$defs"]["Scoring"]["properties"]["method"]["enum"]
(False, True)
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter

from evalkit.aggregation.means import AGGREGATION
from evalkit.core.registry import Registry
from evalkit.scoring.methods import SCORING
from evalkit.sources import SOURCES
from evalkit.spec.schema import Spec
from evalkit.weights import WEIGHTING

#: Fields of the Spec set by the loader, not written in a YAML file.
INTERNAL = ("base_dir", "raw", "path")
#: Arguments every scoring method gets from the indicator, not from ``scoring:``.
SCORING_ARGS = frozenset({"x", "direction", "target"})
_ROLE = re.compile(r":(?:data|func|class|mod|meth|attr):`~?([^`]+)`")


def plain(text: str | None) -> str:
    """A docstring as hover text: reST roles and double backticks made plain, lines joined."""
    text = _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1], text or "")
    return re.sub(r"\s*\n\s*", " ", text.replace("``", "`")).strip()


def _first_line(func: Callable[..., Any]) -> str:
    return plain((func.__doc__ or "").strip().split("\n\n")[0])


def _param_schema(func: Callable[..., Any], name: str) -> dict[str, Any]:
    hints = typing.get_type_hints(func)
    out: dict[str, Any] = TypeAdapter(hints[name]).json_schema() if name in hints else {}
    default = inspect.signature(func).parameters[name].default
    if default is not inspect.Parameter.empty and default is not None:
        out["default"] = default
    return out


def method_branches(reg: Registry, skip: frozenset[str]) -> list[dict[str, Any]]:
    """One ``if method == key then <its parameters>`` per method of ``reg``."""
    out = []
    for key in reg:
        func = reg.get(key)
        names, required = reg.parameters(key, skip)
        then: dict[str, Any] = {"properties": {n: _param_schema(func, n) for n in sorted(names)}}
        if required:
            then["required"] = sorted(required)
        out.append({"if": {"properties": {"method": {"const": key}}, "required": ["method"]},
                    "then": then})
    return out


def registry_text(reg: Registry, skip: frozenset[str] = frozenset()) -> str:
    """Each method of ``reg`` with its parameters and its doc's first sentence."""
    parts = []
    for key in reg:
        names, required = reg.parameters(key, skip)
        params = ", ".join(n + ("*" if n in required else "") for n in sorted(names))
        parts.append(f"{key} ({params or 'no parameters'}): {_first_line(reg.get(key))}")
    return " | ".join(parts)


def _scoring(defs: dict[str, Any]) -> None:
    sc = defs["Scoring"]
    sc["properties"]["method"].update(
        enum=sorted(SCORING), description="Scoring method (* = required parameter): "
        + registry_text(SCORING, SCORING_ARGS))
    sc["allOf"] = method_branches(SCORING, SCORING_ARGS)


def _methods(defs: dict[str, Any]) -> None:
    defs["Weighting"]["properties"]["method"].update(
        enum=sorted(WEIGHTING), description="Weighting scheme of the node's children: "
        + ", ".join(sorted(WEIGHTING)) + " (evalkit methods describes each)")
    agg = {"description": "Aggregation of the node's children: " + registry_text(AGGREGATION)}
    defs["Defaults"]["properties"]["aggregation"].update(enum=sorted(AGGREGATION), **agg)
    defs["Perspective"]["properties"]["aggregation"].update(agg)


def _sources(schema: dict[str, Any]) -> None:
    common = {"weight": {"type": "number", "minimum": 0,
                         "description": "the source's weight among the sources"},
              "missing": {"enum": ["error", "reweight"], "default": "error",
                          "description": "a unit the source gives no score: an error, or its "
                                         "weight shared among the unit's other sources"}}
    props = {"office": {"type": "object", "properties": common, "additionalProperties": False,
                        "description": "the office's own assessment: the indicators"}}
    for name in SOURCES:
        props[name] = {"type": "object", "properties": dict(common),
                       "additionalProperties": True,
                       "description": _first_line(SOURCES.get(name))}
    schema["properties"]["sources"].update(properties=props, description=(
        "Sources of judgement and their weights (官评 office, 民评 survey, 互评 peer, "
        "领导评价 leaders, 预安销号 tasks)"))


def _table_ref(defs: dict[str, Any]) -> None:
    cols = defs["TableRef"]["properties"]["columns"]
    cols.update(description="evalkit's column name → your header, e.g. {unit_id: 单位代码, "
                            "category: 类别} (not 单位代码: unit_id)",
                examples=[{"unit_id": "单位代码", "unit_name": "单位名称", "category": "类别"}])


def _plain_descriptions(node: Any) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            node["description"] = plain(node["description"])
        for v in node.values():
            _plain_descriptions(v)
    elif isinstance(node, list):
        for v in node:
            _plain_descriptions(v)


def spec_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a spec YAML file."""
    schema = Spec.model_json_schema(mode="validation")
    for key in INTERNAL:
        schema["properties"].pop(key, None)
    defs = schema["$defs"]
    _plain_descriptions(schema)
    _scoring(defs)
    _methods(defs)
    _sources(schema)
    _table_ref(defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://evalkit.invalid/spec.schema.json",
            "title": "evalkit evaluation spec", **{k: v for k, v in schema.items()
                                                    if k != "title"}}
