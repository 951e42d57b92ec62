"""``evalkit init NAME``: a new office's spec, data template and schema, in one step.

:func:`init_project` writes, under ``root``:

- ``params/NAME.yaml``: the spec, every key commented in Chinese and English
  (:func:`evalkit.authoring.spectext.spec_text`), reading
- ``data/NAME/NAME.xlsx``: the data template (:func:`evalkit.authoring.template.write_template`)
  with the sheets the spec reads, and
- ``params/evalkit-spec.schema.json``: the spec's JSON Schema, named on the spec's first line
  so an editor with the YAML language server completes and checks keys.

With ``catalogue`` (an office's indicator catalogue, :func:`read_catalogue`) the indicators,
perspectives, categories and weights are the office's; without it, a small example
(:func:`example_catalogue`) shows the forms. Existing files are kept unless ``force``.

Examples
--------
>>> import tempfile
>>> made = init_project("county", root=tempfile.mkdtemp(), periods=[2024, 2025])
>>> [p.name for p in (made.spec, made.template, made.schema)]
['county.yaml', 'county.xlsx', 'evalkit-spec.schema.json']
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from evalkit.authoring.catalogue import Catalogue, read_catalogue
from evalkit.authoring.schema import spec_schema
from evalkit.authoring.spectext import spec_text
from evalkit.authoring.template import SOURCE_TABLES, write_template
from evalkit.core.atomic import atomic_write
from evalkit.core.errors import EvalkitError
from evalkit.spec.schema import Evaluation

#: The schema's file name beside the specs.
SCHEMA_FILE = "evalkit-spec.schema.json"


@dataclass
class Scaffold:
    """What :func:`init_project` wrote, and what the user should check."""

    spec: Path
    template: Path
    schema: Path
    catalogue: Catalogue
    notes: list[str] = field(default_factory=list)


def example_catalogue() -> Catalogue:
    """A small catalogue showing the forms: two categories (乡镇, 部门), three perspectives,
    six indicators with points (分值) summing to 100 in each category."""
    rows = [("E01", "地区生产总值增速", "P1", "benefit", 30, ["township"], 6.5, "best_ratio", "%"),
            ("E02", "一般公共预算收入增速", "P1", "benefit", 20, ["township"], None, "minmax", "%"),
            ("S01", "群众满意率", "P2", "benefit", 30, None, 90.0, "target_ratio", "%"),
            ("S02", "安全生产事故起数", "P2", "cost", 20, ["township"], None, "minmax", "起"),
            ("M01", "政务服务按时办结率", "P3", "benefit", 40, ["department"], 98.0, "target_ratio",
             "%"),
            ("M02", "依申请公开按时答复率", "P3", "benefit", 30, ["department"], None, "best_ratio",
             "%")]
    inds = []
    for iid, name, persp, direction, pts, cats, target, method, unit in rows:
        ind = {"id": iid, "name": name, "perspective": persp, "direction": direction,
               "unit": unit, "weight": float(pts), "scoring": {"method": method}}
        if cats:
            ind["categories"] = cats
        if target is not None:
            ind["target"] = target
        inds.append(ind)
    return Catalogue(inds, [{"id": "P1", "name": "经济发展"}, {"id": "P2", "name": "社会治理"},
                            {"id": "P3", "name": "机关效能"}],
                     [{"id": "township", "name": "乡镇"}, {"id": "department", "name": "部门"}],
                     points=True, source="evalkit's example (replace with yours: init --from)")


def default_periods(today: _dt.date | None = None) -> list[int]:
    """The last two years: an annual evaluation of year Y is made early in Y + 1."""
    year = (today or _dt.date.today()).year
    return [year - 2, year - 1]


def _check_name(name: str) -> None:
    try:
        Evaluation(id=name)
    except ValidationError as err:
        msg = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
        raise EvalkitError(f"{msg} (got {name!r})", "NAME") from None


def _check_sources(sources: Sequence[str]) -> None:
    unknown = [s for s in sources if s not in SOURCE_TABLES]
    if unknown:
        raise EvalkitError(f"unknown source(s) {unknown}; expected some of "
                           f"{sorted(SOURCE_TABLES)}", "--sources")


def init_project(name: str, *, root: str | Path = ".", catalogue: str | Path | None = None,
                 sheet: str | None = None, sources: Sequence[str] = (),
                 periods: Sequence[int | str] | None = None, force: bool = False) -> Scaffold:
    """Write the spec, the data template and the schema of a new evaluation ``name``.

    Parameters
    ----------
    name : str
        The evaluation's id (letters, digits, ``_``, ``-``, ``.``; Chinese allowed).
    root : path-like
        The project folder; ``params/`` and ``data/NAME/`` are made under it.
    catalogue : path-like, optional
        The office's indicator catalogue (``.xlsx`` or ``.csv``; see
        :mod:`evalkit.authoring.catalogue`).
    sheet : str, optional
        The catalogue's sheet (default: 指标体系, else the first sheet that has its headers).
    sources : sequence of str
        Sources besides the office's indicators: ``leaders``, ``peer``, ``survey``, ``tasks``.
    periods : sequence of int, optional
        The periods (years); default :func:`default_periods`.
    force : bool
        Overwrite existing files.

    Raises
    ------
    EvalkitError
        A bad name or source, an unreadable catalogue, or a file that exists (without force).
    """
    _check_name(name)
    sources = list(dict.fromkeys(sources))
    _check_sources(sources)
    root = Path(root)
    spec_path = root / "params" / f"{name}.yaml"
    book = root / "data" / name / f"{name}.xlsx"
    schema_path = root / "params" / SCHEMA_FILE
    exist = [str(p) for p in (spec_path, book) if p.exists()]
    if exist and not force:
        raise EvalkitError(f"{', '.join(exist)} already exist(s); pass --force to overwrite",
                           "evalkit init")
    cat = read_catalogue(catalogue, sheet) if catalogue is not None else example_catalogue()
    periods = list(periods) if periods else default_periods()
    write_template(book, cat, periods, sources, name)
    atomic_write(schema_path, json.dumps(spec_schema(), ensure_ascii=False, indent=1) + "\n")
    text = spec_text(name, cat, periods, f"../data/{name}/{name}.xlsx", sources, SCHEMA_FILE)
    atomic_write(spec_path, text)
    return Scaffold(spec_path, book, schema_path, cat, list(cat.notes))
