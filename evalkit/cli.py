"""The ``evalkit`` command.

Subcommands: ``demo`` (write the demo city), ``validate SPEC`` (list every problem in a
spec and its tables), ``run SPEC [--out DIR]`` (evaluate and save Results), ``report``
(batch reports), ``peer-bench`` (compare peer-rating schemes), ``methods`` (list registered
methods). Bad input exits with status 2 and a message naming where the problem is.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from evalkit.errors import EvalkitError


def _demo(args: argparse.Namespace) -> int:
    from evalkit.demo import make_demo

    out = make_demo(args.out, n_units=args.units, n_indicators=args.indicators,
                    seed=args.seed, spec_path=args.spec)
    print(f"demo city written to {out}" + (f", spec to {args.spec}" if args.spec else ""))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from evalkit.spec import load_spec
    from evalkit.tables import load_tables

    spec = load_spec(args.spec)
    tables = load_tables(spec)
    n = len(tables["units"])
    print(f"{args.spec}: OK — {len(spec.indicators)} indicators, {n} units, "
          f"sources {sorted(spec.sources)}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from evalkit.evaluate import run_spec

    out = args.out
    res = run_spec(args.spec, out)
    folder = out or f"results/{res.provenance['evaluation']['id']}"
    t = res.totals
    cur = t[t["period"] == res.current_period]
    print(f"evaluated {cur.shape[0]} units × {len(res.provenance['periods'])} period(s); "
          f"results in {folder}")
    return 0


def _delegate(module: str, func: str = "cli_main") -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            mod = importlib.import_module(module)
        except ImportError as err:
            raise EvalkitError(f"this command is not available: {err}") from None
        return int(getattr(mod, func)(args.rest))

    return run


def _methods(args: argparse.Namespace) -> int:
    from evalkit.aggregate import AGGREGATION
    from evalkit.scoring import SCORING
    from evalkit.sources import load_sources

    regs = {"scoring": SCORING, "aggregation": AGGREGATION, "source": load_sources()}
    for mod, attr in (("evalkit.weights", "WEIGHTING"), ("evalkit.peer", "SCHEMES"),
                      ("evalkit.treatment", "IMPUTE"), ("evalkit.treatment", "OUTLIERS")):
        try:
            regs[f"{mod.split('.')[-1]}.{attr.lower()}"] = getattr(importlib.import_module(mod),
                                                                   attr)
        except (ImportError, AttributeError):
            pass
    for family, reg in regs.items():
        print(f"{family}:")
        for key, doc in reg.describe().items():
            print(f"  {key:22s} {doc}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalkit", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
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
        s.set_defaults(func=_delegate(DELEGATED[name]))
    m = sub.add_parser("methods", help="list registered methods")
    m.set_defaults(func=_methods)
    return p


DELEGATED = {"report": "evalkit.report", "peer-bench": "evalkit.peer.bench"}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``evalkit`` command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:       # their own parsers take every option that follows
        args = argparse.Namespace(func=_delegate(DELEGATED[argv[0]]), rest=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EvalkitError as err:
        print(f"evalkit: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

__all__ = ["build_parser", "main"]
