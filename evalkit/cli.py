"""The ``evalkit`` command.

Subcommands: ``init NAME`` (scaffold a spec and its data template, from an office's
indicator catalogue with ``--from``), ``demo`` (write the demo city), ``validate SPEC`` (list
every problem in a spec and its tables), ``run SPEC [--out DIR]`` (evaluate and save Results),
``report`` (batch reports), ``peer-bench`` (compare peer-rating schemes), ``methods`` (list
registered methods), ``schema`` (the spec's JSON Schema). Bad input exits with status 2 and a
message naming where the problem is.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

from evalkit import __version__
from evalkit.aggregation.means import AGGREGATION
from evalkit.analysis.uncertainty.effects import MAIN_EFFECT
from evalkit.analysis.uncertainty.sampling import PERTURBATION
from evalkit.analysis.uncertainty.sobol import SOBOL_FACTOR
from evalkit.authoring.init import init_project
from evalkit.authoring.preflight import preflight
from evalkit.authoring.schema import spec_schema
from evalkit.core.atomic import atomic_write
from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry
from evalkit.demo import make_demo
from evalkit.demo.registry import DEMO_TABLES
from evalkit.report.runner import EXECUTORS, load_results, run_reports
from evalkit.report.sections import SECTIONS
from evalkit.run import run_spec
from evalkit.scoring.methods import SCORING
from evalkit.scoring.treatment import IMPUTE, OUTLIERS
from evalkit.sources import SOURCES
from evalkit.sources.peer.bench import cli_main as peer_bench_main
from evalkit.sources.peer.schemes import SCHEMES
from evalkit.sources.peer.selection import SELECTIONS
from evalkit.sources.peer.simulate import SCENARIOS
from evalkit.sources.survey.intervals import MEAN_INTERVALS, RATE_INTERVALS
from evalkit.validate import check, load_spec
from evalkit.weights import WEIGHTING
from evalkit.weights.ahp import PRIORITISATION
from evalkit.weights.ahp_incomplete import COMPLETION


def registries() -> dict[str, Registry]:
    """Every registry of methods, by the name ``evalkit methods`` lists it under."""
    return {"scoring": SCORING, "aggregation": AGGREGATION, "imputation": IMPUTE,
            "outliers": OUTLIERS, "weighting": WEIGHTING, "ahp.prioritisation": PRIORITISATION,
            "ahp.completion": COMPLETION, "source": SOURCES, "survey.rate_interval":
            RATE_INTERVALS, "survey.mean_interval": MEAN_INTERVALS, "peer.scheme": SCHEMES,
            "peer.selection": SELECTIONS, "peer.scenario": SCENARIOS,
            "uncertainty.perturbation": PERTURBATION, "uncertainty.main_effect": MAIN_EFFECT,
            "uncertainty.sobol_factor": SOBOL_FACTOR,
            "report.section": SECTIONS, "report.executor": EXECUTORS,
            "demo.tables": DEMO_TABLES}


def _demo(args: argparse.Namespace) -> int:
    out = make_demo(args.out, n_units=args.units, n_indicators=args.indicators,
                    seed=args.seed, spec_path=args.spec)
    print(f"demo city written to {out}" + (f", spec to {args.spec}" if args.spec else ""))
    return 0


def _init(args: argparse.Namespace) -> int:
    sources = [s.strip() for s in (args.sources or "").split(",") if s.strip()]
    periods = [int(p) for p in args.periods.split(",")] if args.periods else None
    made = init_project(args.name, root=args.dir, catalogue=args.catalogue, sheet=args.sheet,
                        sources=sources, periods=periods, force=args.force)
    cat = made.catalogue
    print(f"wrote {made.spec}  (the spec: every key commented)\n"
          f"wrote {made.template}  (the data template: fill its sheets)\n"
          f"wrote {made.schema}  (the spec's JSON Schema, for editor completion)\n"
          f"{len(cat.indicators)} indicators, {len(cat.perspectives)} perspectives, "
          f"{len(cat.categories) or 'no'} categories, weights as "
          f"{'points (分值)' if cat.points else 'weights (权重)'}; from {cat.source}")
    for note in made.notes:
        print(f"check: {note}")
    print(f"next: fill {made.template}, then\n  evalkit validate {made.spec}\n"
          f"  evalkit run {made.spec}\n  evalkit report results/{args.name}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    text = json.dumps(spec_schema(), ensure_ascii=False, indent=1) + "\n"
    if args.out:
        atomic_write(args.out, text)
        print(f"JSON Schema of the spec written to {args.out}; put\n"
              f"  # yaml-language-server: $schema={Path(args.out).name}\n"
              "as the first line of a spec in the same folder (else the path from the spec "
              "to this file, or a URL)")
    else:
        sys.stdout.write(text)
    return 0


def _validate(args: argparse.Namespace) -> int:
    v = check(args.spec)
    spec, tables = v.spec, v.tables
    print(f"{args.spec}: OK — {len(spec.indicators)} indicators, {len(tables['units'])} units, "
          f"sources {sorted(spec.sources)}")
    if text := v.summary():
        print(text)
    print(preflight(v.results).text())
    return 0


def _run(args: argparse.Namespace) -> int:
    res = run_spec(args.spec, args.out)
    print(preflight(res).text())
    folder = args.out or f"results/{res.provenance['evaluation']['id']}"
    cur = res.totals[res.totals["period"] == res.current_period]
    print(f"evaluated {cur.shape[0]} units × {len(res.provenance['periods'])} period(s); "
          f"results in {folder}")
    return 0


def _methods(args: argparse.Namespace) -> int:
    for family, reg in registries().items():
        print(f"{family}:")
        for key, doc in reg.describe().items():
            print(f"  {key:22s} {doc}")
    return 0


def _report_parser() -> argparse.ArgumentParser:
    """The parser of ``evalkit report``."""
    p = argparse.ArgumentParser(
        prog="evalkit report",
        description="Write per-unit HTML reports, an index and the publication workbook "
                    "(published.xlsx); with --format pdf also a PDF per unit and a booklet "
                    "per category. Executed notebooks go to the hidden work folder "
                    "<parent>/.<out name>.work beside the output folder.")
    p.add_argument("spec_or_results", help="spec YAML (evaluated first) or Results folder")
    p.add_argument("--units", nargs="+", help="only these unit ids")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--lang", choices=["zh", "en"], default=None,
                   help="report language (default: the spec's evaluation.language, else zh)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, tcp://host:port")
    p.add_argument("--force", action="store_true", help="redo reports that are up to date")
    p.add_argument("--out", default=None, help="output folder (default reports/<evaluation>)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--format", choices=["html", "pdf"], default="html",
                   help="html (default), or pdf: the HTML reports, then a PDF of each and a "
                        "booklet per category in <out>/pdf (printed by headless Chromium)")
    p.add_argument("--wait", nargs="?", type=float, const=math.inf, default=0.0,
                   metavar="SECONDS", help="when another report writes into the same folder, "
                   "wait for it (for SECONDS, or until it ends) instead of stopping")
    return p


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _bare_wait(argv: list[str]) -> list[str]:
    """``--wait`` not followed by a number becomes ``--wait=inf``, so ``evalkit report --wait
    results/demo`` reads the folder as the Results, not as the seconds to wait."""
    return [f"{x}=inf" if x == "--wait" and (i + 1 == len(argv) or not _number(argv[i + 1]))
            else x for i, x in enumerate(argv)]


def report_main(argv: list[str]) -> int:
    """``evalkit report SPEC_OR_RESULTS [--units ...] [--jobs N] [--lang zh|en]
    [--scheduler ADDRESS] [--force] [--out DIR] [--format html|pdf] [--wait [SECONDS]]``.

    A spec YAML is evaluated first (:func:`evalkit.run.run_spec` writes its Results folder);
    a folder is read as Results. Returns 0 when every report (and PDF) was written, 1 when
    some failed (they are listed), 2 on bad input or a folder another report holds.
    """
    a = _report_parser().parse_args(_bare_wait(argv))
    try:
        src = Path(a.spec_or_results)
        if src.is_file():
            results_dir = Path("results") / load_spec(src).evaluation.id
            run_spec(src, out=results_dir)
        elif src.is_dir():
            results_dir = src
        else:
            raise EvalkitError("no such spec file or Results folder; expected a spec YAML or "
                               "a folder written by Results.save", str(src))
        ev = load_results(results_dir).spec.get("evaluation", {})
        batch = run_reports(results_dir, a.out, a.units, a.jobs,
                            a.lang or ev.get("language") or "zh", a.scheduler, a.force,
                            progress=not a.no_progress, wait=a.wait, pdf=a.format == "pdf",
                            on_wait=lambda msg: print(msg, file=sys.stderr, flush=True))
    except EvalkitError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    n_ok, n_skip = batch.count("ok"), batch.count("skipped")
    print(f"{n_ok} written, {n_skip} up to date, {len(batch.failures)} failed -> {batch.index}")
    print(f"publication workbook (公示): {batch.publication}")
    for uid, msg in batch.failures.items():
        print(f"  failed {uid}: {msg} (executed notebook kept in {batch.work_dir})",
              file=sys.stderr)
    pdfs = batch.pdfs
    if pdfs is not None:
        print(f"PDF: {len(pdfs.written)} written, {len(pdfs.skipped)} up to date, "
              f"{len(pdfs.failures)} failed -> {batch.out_dir / 'pdf'}")
        for key, msg in pdfs.failures.items():
            print(f"  failed PDF {key}: {msg}", file=sys.stderr)
    return 1 if batch.failures or (pdfs is not None and pdfs.failures) else 0


def build_parser() -> argparse.ArgumentParser:
    """The ``evalkit`` argument parser."""
    p = argparse.ArgumentParser(prog="evalkit", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"evalkit {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("init", help="scaffold params/NAME.yaml and its data template workbook")
    i.add_argument("name", help="the evaluation's id (names params/NAME.yaml, data/NAME/)")
    i.add_argument("--from", dest="catalogue", default=None, metavar="CATALOGUE",
                   help="the office's indicator catalogue (.xlsx or .csv: 编码, 名称, 所属维度, "
                        "指标属性, 分值 or 权重, 适用类别, 目标值, 计分方法, 计量单位)")
    i.add_argument("--sheet", default=None, help="the catalogue's sheet (default 指标体系)")
    i.add_argument("--sources", default="", help="other sources, comma-separated: "
                   "leaders,peer,survey,tasks")
    i.add_argument("--periods", default=None, help="years, comma-separated (default: the last "
                   "two)")
    i.add_argument("--dir", default=".", help="the project folder (default: here)")
    i.add_argument("--force", action="store_true", help="overwrite existing files")
    i.set_defaults(func=_init)
    d = sub.add_parser("demo", help="write the demo city (tables and spec)")
    d.add_argument("--out", default="data/demo", help="folder for the tables (data/demo)")
    d.add_argument("--spec", default=None, help="also write the demo spec here")
    d.add_argument("--units", type=int, default=97, help="number of units (97)")
    d.add_argument("--indicators", type=int, default=None, help="number of indicators (34)")
    d.add_argument("--seed", type=int, default=2025)
    d.set_defaults(func=_demo)
    v = sub.add_parser("validate", help="check a spec and its tables; list every problem")
    v.add_argument("spec")
    v.set_defaults(func=_validate)
    r = sub.add_parser("run", help="evaluate a spec and save the Results")
    r.add_argument("spec")
    r.add_argument("--out", default=None, help="results folder (results/<evaluation id>)")
    r.set_defaults(func=_run)
    for name, text in (("report", "write per-unit reports in batch (see evalkit report -h)"),
                       ("peer-bench", "compare peer-rating schemes by simulation")):
        s = sub.add_parser(name, help=text, add_help=False)
        s.add_argument("rest", nargs=argparse.REMAINDER)
    m = sub.add_parser("methods", help="list every registered method")
    m.set_defaults(func=_methods)
    sc = sub.add_parser("schema", help="write the JSON Schema of the spec (editor completion)")
    sc.add_argument("--out", default=None, help="file to write (default: standard output)")
    sc.set_defaults(func=_schema)
    return p


#: Subcommands whose own parsers take every option that follows them.
DELEGATED: dict[str, Callable[[list[str]], int]] = {"report": report_main,
                                                    "peer-bench": peer_bench_main}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``evalkit`` command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and argv[0] in DELEGATED:
            return int(DELEGATED[argv[0]](argv[1:]))
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except EvalkitError as err:
        print(f"evalkit: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

__all__ = ["build_parser", "main", "registries", "report_main"]
