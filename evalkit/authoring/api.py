"""The one-call Python API behind ``evalkit.run``, ``evalkit.report``, ``evalkit.validate``
and ``evalkit.init`` (see :mod:`evalkit`): what the command line does, from a notebook.

Examples
--------
>>> import evalkit
>>> v = evalkit.validate("params/county.yaml")  # doctest: +SKIP
>>> res = evalkit.run("params/county.yaml")     # doctest: +SKIP
>>> res.totals.sort_values(["category", "rank"])  # doctest: +SKIP
>>> batch = evalkit.report("results/county")    # doctest: +SKIP

``validate`` runs every check (``v.summary()`` is what ``evalkit validate`` prints), ``run``
evaluates and saves to ``results/county`` and returns the Results, ``report`` writes
``reports/county/<unit>.html``, ``index.html`` and ``published.xlsx``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evalkit.authoring.init import Scaffold, init_project
from evalkit.core.errors import EvalkitError
from evalkit.report.runner import Batch, load_results, run_reports
from evalkit.results import Results
from evalkit.run import run_spec
from evalkit.validate import Validation, check, load_spec

__all__ = ["init", "report", "run", "validate"]


def run(spec: str | Path, out: str | Path | None = None) -> Results:
    """Evaluate a spec and save its Results, as ``evalkit run`` does.

    Parameters
    ----------
    spec : path-like
        The spec YAML.
    out : path-like, optional
        The Results folder (default ``results/<evaluation id>``).

    Returns
    -------
    Results
        The tables (``res.totals``, ``res.indicators``, ...) and the provenance.
    """
    return run_spec(spec, out)


def validate(spec: str | Path) -> Validation:
    """Every check ``run`` meets, without writing anything, as ``evalkit validate`` does;
    ``.summary()`` is the text it prints."""
    return check(spec)


def _results_dir(source: str | Path | Results) -> Path:
    if isinstance(source, Results):
        folder = Path("results") / str(source.provenance["evaluation"]["id"])
        return source.save(folder)
    src = Path(source)
    if src.is_file():
        folder = Path("results") / load_spec(src).evaluation.id
        run_spec(src, folder)
        return folder
    if src.is_dir():
        return src
    raise EvalkitError("no such spec file or Results folder; expected a spec YAML or a folder "
                       "written by Results.save", str(src))


def report(source: str | Path | Results, out: str | Path | None = None, *,
           units: Sequence[str] | None = None, jobs: int | None = None,
           lang: str | None = None, force: bool = False, progress: bool = False) -> Batch:
    """Write the per-unit reports and ``index.html``, as ``evalkit report`` does.

    Parameters
    ----------
    source : path-like or Results
        A Results folder, a spec YAML (evaluated first into ``results/<id>``) or a
        :class:`~evalkit.results.Results` (saved first into ``results/<id>``).
    out : path-like, optional
        The reports' folder (default ``reports/<evaluation id>``).
    units, jobs, lang, force, progress
        As ``evalkit report``'s options; ``lang`` defaults to the spec's
        ``evaluation.language``.

    Returns
    -------
    Batch
        ``.index`` (the index page), ``.failures`` (unit → error).
    """
    folder = _results_dir(source)
    lang = lang or load_results(folder).spec.get("evaluation", {}).get("language") or "zh"
    return run_reports(folder, out, units, jobs, lang, force=force, progress=progress)


def init(name: str, catalogue: str | Path | None = None, *, root: str | Path = ".",
         sources: Sequence[str] = (), periods: Sequence[int] | None = None,
         force: bool = False) -> Scaffold:
    """Scaffold ``params/NAME.yaml`` and ``data/NAME/NAME.xlsx``, as ``evalkit init`` does
    (:func:`evalkit.authoring.init.init_project`)."""
    return init_project(name, root=root, catalogue=catalogue, sources=sources,
                        periods=periods, force=force)
