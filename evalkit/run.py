"""Running an evaluation end to end: read, check, evaluate, analyse, record, save.

:func:`build` composes the pure steps in order — :func:`~evalkit.evaluate.evaluate`, then
the analyses the spec asks for (``history`` rules, the ``uncertainty`` of ranks) — and
records each step it ran in the provenance (``steps``), as COINr's build log does, so a run
can be replayed from its provenance. :func:`run_spec` adds the I/O: it reads the spec and
its tables, stamps the provenance (:func:`evalkit.results.provenance.record`: the spec's and
the inputs' hashes, the code version, the time; and the package versions), and saves the
Results.

Examples
--------
>>> res = run_spec("params/demo.yaml", "results/demo")                    # doctest: +SKIP
>>> res.provenance["steps"]                                               # doctest: +SKIP
['evaluate', 'history', 'uncertainty']
"""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.analysis.history import history_flags
from evalkit.analysis.uncertainty import rank_intervals
from evalkit.evaluate import evaluate
from evalkit.results import Results
from evalkit.results.provenance import record
from evalkit.scoring.prepare import prepare
from evalkit.spec.schema import Spec
from evalkit.validate import load

#: Packages whose versions the provenance records.
VERSIONED = ("evalkit", "numpy", "pandas", "scipy", "statsmodels", "pyarrow", "openpyxl")


def apply_history(spec: Spec, res: Results) -> Results:
    """Add the flags of consecutive-period rules (``history:``) to ``totals.flags``."""
    fl = history_flags(res.tables["totals"], spec.history)
    if fl is None or fl.empty:
        return res
    tot = res.tables["totals"].merge(fl.rename(columns={"flags": "_hflags"}), how="left",
                                     on=["period", "unit_id"])
    h = tot["_hflags"].fillna("").astype(str)
    tot["flags"] = np.where(h == "", tot["flags"],
                            np.where(tot["flags"] == "", h, tot["flags"] + ";" + h))
    res.tables["totals"] = tot.drop(columns="_hflags")
    return res


def build(spec: Spec, tables: dict[str, pd.DataFrame]) -> Results:
    """Evaluate, then run the analyses the spec asks for; record the steps in the provenance."""
    scored = prepare(spec, tables)
    res = evaluate(spec, tables, scored=scored)
    steps = ["evaluate"]
    if spec.history:
        res = apply_history(spec, res)
        steps.append("history")
    if spec.uncertainty and scored:
        res.tables["uncertainty"] = rank_intervals(spec, tables, period=list(scored)[-1],
                                                   scored=scored, results=res,
                                                   **spec.uncertainty)
        steps.append("uncertainty")
    res.provenance["steps"] = steps
    return res


def versions() -> dict[str, str]:
    """Python's and the key packages' versions."""
    out = {"python": platform.python_version()}
    for pkg in VERSIONED:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def run_spec(path: str | Path, out: str | Path | None = None) -> Results:
    """Load a spec and its tables, check them, evaluate, and save the Results to ``out``.

    ``out`` defaults to ``results/<evaluation id>`` beside the current directory. Every check
    runs before anything is written (:func:`evalkit.validate.load`, then the evaluation and
    its analyses in memory): bad input leaves no partial results.
    """
    spec, tables = load(path)
    res = build(spec, tables)
    res.provenance.update(record(path, tables))   # spec and input hashes, code, time
    res.provenance["versions"] = versions()
    res.save(Path(out) if out is not None else Path("results") / spec.evaluation.id)
    return res
