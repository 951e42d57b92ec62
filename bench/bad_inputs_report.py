"""Run the bad-input corpus of ``tests/bad_inputs.py`` and print counts by outcome class.

The corpus corrupts every table and the spec of a small demo city in more than a thousand
ways; each case runs in-process through ``evalkit.validate.validate`` and, if that passed,
``evalkit.run.build`` (nothing is written outside a temporary folder, nothing downloaded).

Usage::

    python bench/bad_inputs_report.py                      # counts by class, total, time
    python bench/bad_inputs_report.py --list traceback     # the cases of one class
    python bench/bad_inputs_report.py --failing            # every case breaking the contract
    python bench/bad_inputs_report.py --by-target          # classes per file / spec section
    python bench/bad_inputs_report.py --match 'leaders'    # only cases whose id matches

``--workers N`` sets the processes (default: one per core); ``--json PATH`` writes every
outcome (case id, class, message, seconds, expected) for a later comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bad_inputs import (  # the corpus lives beside the tests
    OUTCOMES,
    Case,
    Outcome,
    make_city,
    make_corpus,
    run_corpus,
)


def _family(case: Case) -> str:
    """The corrupted file, or ``spec:<top-level section>``."""
    if case.id.startswith("spec:"):
        head = re.split(r"[.\[/]", case.target, maxsplit=1)[0]
        return f"spec:{head if case.target != 'demo.yaml' else 'file'}"
    return case.target if not case.id.startswith("clean/") else "clean"


def _expect(case: Case) -> str:
    return {True: "ok", False: "error", None: "either"}[case.expect_ok]


def _print_cases(pairs: list[tuple[Case, Outcome]], width: int = 300) -> None:
    for case, out in pairs:
        detail = " ".join(out.detail.split())
        print(f"{case.id}  [{out.outcome}; expected {_expect(case)}]")
        print(f"    {case.description}")
        if detail:
            print(f"    → {detail[:width]}")


def _by_target(pairs: list[tuple[Case, Outcome]]) -> None:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for case, out in pairs:
        table[_family(case)][out.outcome] += 1
    short = {"error_named": "named", "ok_finite": "ok", "error_misplaced": "misplaced",
             "validate_ok_run_failed": "v_ok_run_failed", "silent_wrong": "silent",
             "traceback": "traceback"}
    print(f"{'target':28s}" + "".join(f"{short[c]:>16s}" for c in OUTCOMES) + f"{'broken':>8s}")
    broken = Counter(_family(c) for c, o in pairs if not o.passed)
    for fam in sorted(table):
        row = table[fam]
        print(f"{fam:28s}" + "".join(f"{row[c]:16d}" for c in OUTCOMES)
              + f"{broken[fam]:8d}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--list", action="append", default=[], metavar="CLASS", choices=OUTCOMES,
                    help="print the cases of an outcome class (repeatable)")
    ap.add_argument("--failing", action="store_true",
                    help="print every case that breaks the contract")
    ap.add_argument("--by-target", action="store_true",
                    help="counts by class for each corrupted file or spec section")
    ap.add_argument("--match", help="run only the cases whose id matches this regex")
    ap.add_argument("--json", type=Path, help="write every outcome to this file")
    args = ap.parse_args(argv)

    import evalkit

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="evalkit-bad-inputs-") as tmp:
        city = make_city(Path(tmp) / "city")
        city_s = time.perf_counter() - start
        cases = make_corpus(city)
        idx = [i for i, c in enumerate(cases) if not args.match or re.search(args.match, c.id)]
        outcomes = run_corpus(city, cases, workers=args.workers, indices=idx)
    seconds = time.perf_counter() - start
    pairs = [(cases[i], o) for i, o in zip(idx, outcomes, strict=True)]

    print(f"bad-input corpus: {len(pairs)} cases of {len(cases)} "
          f"(evalkit from {Path(evalkit.__file__).parent})")
    if city.baseline_errors:
        for ctx, err in city.baseline_errors.items():
            print(f"  the clean city fails in context {ctx}: {err[:300]}")
    counts = Counter(o.outcome for _, o in pairs)
    for cls in OUTCOMES:
        print(f"{cls}: {counts[cls]}")
    print(f"total: {len(pairs)}")
    broken = [(c, o) for c, o in pairs if not o.passed]
    print(f"contract kept: {len(pairs) - len(broken)}, broken: {len(broken)}")
    cells = [o for _, o in pairs if o.names_row is not None]
    if cells:
        print(f"one-cell errors naming the row: {sum(o.names_row for o in cells)} of "
              f"{len(cells)}")
    print(f"time: {seconds:.1f} s ({city_s:.1f} s to write the clean city; "
          f"{args.workers} workers; {sum(o.seconds for o in outcomes):.1f} s summed over "
          "cases)")
    if args.by_target:
        print()
        _by_target(pairs)
    for cls in args.list:
        print(f"\n== {cls} ({counts[cls]})")
        _print_cases([(c, o) for c, o in pairs if o.outcome == cls])
    if args.failing:
        print(f"\n== cases breaking the contract ({len(broken)})")
        _print_cases(broken)
    if args.json:
        args.json.write_text(json.dumps(
            [{**o.__dict__, "expect": _expect(c), "description": c.description,
              "target": c.target} for c, o in pairs], ensure_ascii=False, indent=1),
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
