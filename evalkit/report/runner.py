"""Batch runner: every unit's report, in warm kernels, resumable, failure-isolated.

``run_reports(results_dir, ...)`` plans one job per unit (plus the overview,
:func:`evalkit.report.jobs.plan`), skips the jobs whose outputs are up to date with their
inputs, and hands the rest to an executor of :data:`~evalkit.report.executors.EXECUTORS`
(``serial``, ``local`` worker processes, or ``dask``). A batch killed at any point redoes
exactly the missing and stale reports (up to date is decided by content: see
:mod:`evalkit.report.jobs`); ``force=True`` redoes all. With ``pdf=True`` the reports are then
printed to PDF (:func:`evalkit.report.pdf.write_pdfs`: one per unit, a booklet per category;
a PDF that fails is counted, the others are printed). Last come the publication workbook
``published.xlsx`` (:func:`evalkit.report.overview.write_publication`: the 公示 sheets, in the
report's language) and ``index.html``, which links every report written and the workbook,
lists the failures and shows the ranking (the workbook is written first, so the index never
links a file not yet there).

The output folder holds only what is published: the HTML pages, ``index.html``,
``published.xlsx`` and ``pdf/``. The executed notebooks and the job sidecars go into the
batch's work folder, the hidden sibling ``<parent>/.<name>.work/`` of the output folder
(:func:`~evalkit.report.paths.work_dir`; see there why a sibling); it is what makes a re-run
resume, and deleting it only makes the next batch redo every report. The ``notebooks/``
folder and ``report.css`` that earlier versions wrote into the output folder are removed.

A batch holds the lock of its output folder (:class:`~evalkit.report.lock.FolderLock`): a
second batch on the same folder waits ``wait`` seconds, then stops with a clear error. Under
the lock, temporary files left by a killed batch are removed first, from the output folder,
its ``pdf/`` and the work folder (:func:`sweep_temporary`). SIGTERM stops a batch:
its kernels are killed, its lock released and its workers follow (parent-death signal). A
folder that cannot be written (read-only, missing and not creatable, disk full) is an
:class:`~evalkit.core.errors.EvalkitError` naming the path.

Examples
--------
>>> from evalkit.report.runner import run_reports                   # doctest: +SKIP
>>> batch = run_reports("results/demo", jobs=2)                     # doctest: +SKIP
>>> batch.failures                                                  # doctest: +SKIP
{}
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from evalkit.core.atomic import atomic_write, writing
from evalkit.core.labels import check_lang, t
from evalkit.report.data import load_results
from evalkit.report.executors import EXECUTORS
from evalkit.report.html import index_page
from evalkit.report.jobs import (
    OVERVIEW,
    OVERVIEW_NOTEBOOK,
    UNIT_NOTEBOOK,
    Outcome,
    plan,
    up_to_date,
)
from evalkit.report.kernel import kill_all
from evalkit.report.lock import FolderLock, exit_on_sigterm
from evalkit.report.overview import PUBLICATION, write_publication
from evalkit.report.paths import inside, safe_stem, work_dir
from evalkit.report.pdf import PdfBatch, find_chromium, write_pdfs
from evalkit.results import Results
from evalkit.results.manifest import is_temporary

__all__ = ["EXECUTORS", "Batch", "load_results", "outcomes_json", "run_reports",
           "write_index"]


@dataclass
class Batch:
    """The result of :func:`run_reports`."""

    out_dir: Path
    index: Path
    outcomes: list[Outcome] = field(default_factory=list)
    #: The work folder: executed notebooks and sidecars (:func:`work_dir`).
    work_dir: Path | None = None
    #: The PDFs printed (``pdf=True``), else None.
    pdfs: PdfBatch | None = None
    #: The publication workbook.
    publication: Path | None = None

    @property
    def failures(self) -> dict[str, str]:
        """unit_id -> error of every failed job."""
        return {o.unit_id: o.error for o in self.outcomes if o.status == "failed"}

    def count(self, status: str) -> int:
        """Number of jobs with ``status``."""
        return sum(o.status == status for o in self.outcomes)


def default_out_dir(res: Results, results_dir: Path) -> Path:
    """``reports/<evaluation id>`` (the Results folder's name when the spec has no id); an id
    such as ``../x`` becomes a safe name inside ``reports``
    (:func:`~evalkit.report.paths.safe_stem`)."""
    ev = res.spec.get("evaluation", {}) if isinstance(res.spec, dict) else {}
    return inside(Path("reports"), safe_stem(str(ev.get("id") or results_dir.name)))


#: Files earlier versions wrote into the output folder (the stylesheet, now inlined).
LEGACY_FILES = ("report.css",)
#: The folder of executed notebooks earlier versions wrote into the output folder.
LEGACY_NOTEBOOKS = "notebooks"


def sweep_temporary(out: Path) -> int:
    """Remove the temporary files of killed batches from ``out``, ``out/pdf`` and the work
    folder, and what earlier versions left in ``out`` (``report.css``, the executed notebooks
    and sidecars of ``out/notebooks``, then that folder if empty).

    Called under the folder's lock, when no other batch writes there; returns how many.
    """
    n = 0
    legacy = out / LEGACY_NOTEBOOKS
    for folder in (out, out / "pdf", work_dir(out), legacy):
        for p in folder.iterdir() if folder.is_dir() else ():
            old = folder == legacy and p.suffix in (".ipynb", ".json")
            if p.is_file() and (is_temporary(p.name) or old or (
                    folder == out and p.name in LEGACY_FILES)):
                p.unlink(missing_ok=True)
                n += 1
    if legacy.is_dir() and not any(legacy.iterdir()):
        legacy.rmdir()
    return n


def run_reports(results_dir: str | Path, out_dir: str | Path | None = None,
                units: Sequence[str] | None = None, jobs: int | None = None,
                lang: str = "zh", scheduler: Any = None, force: bool = False,
                progress: bool = True, executor: str | None = None,
                overview: bool = True, notebook: str | Path | None = None,
                wait: float = 0.0, pdf: bool = False,
                on_wait: Callable[[str], object] | None = None) -> Batch:
    """Write the reports of ``results_dir`` into ``out_dir`` and return the :class:`Batch`.

    Parameters
    ----------
    results_dir : folder written by ``Results.save``.
    out_dir : output folder (default ``reports/<evaluation id>``).
    units : only these unit ids (default all units of the current period).
    jobs : worker processes (default: the number of cores).
    lang : ``zh`` or ``en``.
    scheduler : a Dask scheduler address (or ``Client``): run on that cluster.
    force : redo every report even when up to date.
    progress : show a progress bar (tqdm) on the terminal.
    executor : a key of :data:`EXECUTORS` (default: ``dask`` with a scheduler, ``serial``
        for ``jobs=1``, else ``local``).
    overview : also render ``overview.ipynb`` into ``overview.html``.
    notebook : the unit report notebook (default: the shipped ``unit_report.ipynb``).
    wait : seconds to wait for another batch writing into the same folder (0: stop at once;
        ``math.inf``: until it ends).
    pdf : also print the reports to PDF (one per unit, a booklet per category) into ``pdf/``.
    on_wait : called once with a message when the batch has to wait for another.

    Raises
    ------
    EvalkitError
        For bad input, a folder another batch holds, a folder that cannot be written, or
        ``pdf=True`` without a Chromium to print with (before any report is written).
    """
    check_lang(lang, "--lang")
    if pdf:
        find_chromium()  # no browser: say so now, not after the HTML batch
    results_dir = Path(results_dir).resolve()
    res = load_results(results_dir)
    out = Path(out_dir) if out_dir is not None else default_out_dir(res, results_dir)
    out = out.resolve()
    n_jobs = max(1, int(jobs or os.cpu_count() or 1))
    name = executor or ("dask" if scheduler is not None else "serial" if n_jobs == 1 else "local")
    run = EXECUTORS.get(name, "--executor")
    work = work_dir(out)
    with FolderLock(out, wait, on_wait) as lock, exit_on_sigterm(kill_all, lock.release):
        with writing(work):
            work.mkdir(parents=True, exist_ok=True)
            sweep_temporary(out)
        all_jobs = plan(results_dir, out, units, lang,
                        Path(notebook).resolve() if notebook else UNIT_NOTEBOOK,
                        OVERVIEW_NOTEBOOK if overview else None)
        todo = all_jobs if force else [j for j in all_jobs if not up_to_date(j)]
        skipped = [Outcome(j.unit_id, "skipped", j.html, j.notebook) for j in all_jobs
                   if j not in todo]
        bar = tqdm(total=len(todo), desc="reports", unit="report",
                   disable=not progress or not todo)

        def tick(o: Outcome) -> None:
            bar.update(1)
            if o.status == "failed":
                bar.write(f"failed: {o.unit_id}: {o.error}")

        try:
            done = run(todo, min(n_jobs, max(1, len(todo))), scheduler, tick) if todo else []
        finally:
            bar.close()
        batch = Batch(out, out / "index.html", skipped + done, work)
        if pdf:
            batch.pdfs = write_pdfs(out, results_dir, lang, units, min(n_jobs, 4), force,
                                    progress=progress)
        batch.publication = write_publication(res, out / PUBLICATION, lang)
        write_index(batch, res, lang)
    return batch


def write_index(batch: Batch, res: Results, lang: str) -> Path:
    """Write ``index.html``: every existing report linked, the ranking, the failures, the
    publication workbook and the PDF booklets when present."""
    out = batch.out_dir
    reports: dict[str, str] = {}
    for p in sorted((batch.work_dir or work_dir(out)).glob("*.json")):
        try:
            side = json.loads(p.read_text("utf-8"))
        except ValueError:
            continue
        html = out / f"{p.stem}.html"
        if side.get("status") == "ok" and html.is_file() and side.get("unit_id") != OVERVIEW:
            reports[str(side["unit_id"])] = html.name
    failures = {k: v for k, v in batch.failures.items() if k != OVERVIEW}
    ov = "overview.html" if (out / "overview.html").is_file() else None
    ev = res.spec.get("evaluation", {}) if isinstance(res.spec, dict) else {}
    title = f"{ev.get('name_en' if lang == 'en' else 'name') or ev.get('id', '')} · " \
            f"{t('index_title', lang)}"
    files = [p.relative_to(out).as_posix() for p in
             [out / PUBLICATION, *sorted((out / "pdf").glob("booklet-*.pdf"))] if p.is_file()]
    atomic_write(batch.index, index_page(res, lang, reports, failures, ov, title, files))
    return batch.index


def outcomes_json(batch: Batch) -> str:
    """The outcomes as JSON (for logs and CI)."""
    return json.dumps([asdict(o) for o in batch.outcomes], ensure_ascii=False, indent=1)
