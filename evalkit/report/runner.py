"""Batch runner: every unit's report, in warm kernels, resumable, failure-isolated.

``run_reports(results_dir, ...)`` plans one job per unit (plus the overview), skips the jobs
whose outputs are up to date with their inputs, and hands the rest to an executor from
:data:`EXECUTORS`:

- ``serial``: one warm kernel in this process (``jobs=1``);
- ``local``: ``jobs`` worker processes, each with its own warm kernel (the default);
- ``dask``: the tasks of a Dask distributed cluster (``scheduler="tcp://..."``); each worker
  thread keeps a warm kernel. Workers need evalkit installed and must see the results and
  output folders at the same paths (a shared file system).

Each job writes, in this order and each atomically (temporary file + :func:`os.replace`):
the executed notebook ``notebooks/<unit>.ipynb`` (kept also when it failed, with its error),
the report ``<unit>.html`` (only on success; a stale one is removed on failure), and last a
sidecar ``notebooks/<unit>.json`` recording the hash of the inputs. A job is up to date when
its sidecar says ``ok`` for the same inputs hash and its HTML exists, so a batch killed at any
point redoes exactly the missing and stale reports; ``force=True`` redoes all.

Inputs hash: ``sha256`` over the bytes of every file of the Results folder, the notebook,
the report code (``evalkit/report/*.py``) and the job's parameters (JSON, sorted keys).

Examples
--------
>>> from evalkit.report.runner import run_reports                   # doctest: +SKIP
>>> batch = run_reports("results/demo", jobs=2)                     # doctest: +SKIP
>>> batch.failures                                                  # doctest: +SKIP
{}
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalkit.core.atomic import atomic_write
from evalkit.core.errors import EvalkitError
from evalkit.core.labels import check_lang, t
from evalkit.core.registry import Registry
from evalkit.report.data import load_results
from evalkit.report.html import index_page, write_stylesheet
from evalkit.report.paths import inside, safe_stem
from evalkit.report.tables import unit_name

#: Folder of the shipped notebooks (the repository's ``notebooks/``).
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
UNIT_NOTEBOOK = NOTEBOOKS / "unit_report.ipynb"
OVERVIEW_NOTEBOOK = NOTEBOOKS / "overview.ipynb"
OVERVIEW = "__overview__"

EXECUTORS = Registry("report executor")


@dataclass(frozen=True)
class Job:
    """One notebook to execute and where its outputs go (absolute paths)."""

    unit_id: str
    template: str
    params: dict[str, Any]
    html: str
    notebook: str
    sidecar: str
    inputs: str
    title: str
    lang: str


@dataclass
class Outcome:
    """What became of a job: ``ok``, ``failed`` or ``skipped`` (up to date)."""

    unit_id: str
    status: str
    html: str
    notebook: str
    error: str = ""
    seconds: float = 0.0


@dataclass
class Batch:
    """The result of :func:`run_reports`."""

    out_dir: Path
    index: Path
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> dict[str, str]:
        """unit_id -> error of every failed job."""
        return {o.unit_id: o.error for o in self.outcomes if o.status == "failed"}

    def count(self, status: str) -> int:
        """Number of jobs with ``status``."""
        return sum(o.status == status for o in self.outcomes)


# -- hashing and planning ---------------------------------------------------------------------
def _file_digest(h: Any, path: Path) -> None:
    h.update(path.name.encode() + b"\0")
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)


def inputs_digest(results_dir: Path, notebooks: Iterable[Path]) -> str:
    """sha256 of the Results files, the notebooks and the report code (see module doc)."""
    h = hashlib.sha256()
    files = sorted(p for p in results_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    files += list(notebooks) + sorted(Path(__file__).parent.glob("*.py"))
    for p in files:
        _file_digest(h, p)
    return h.hexdigest()


def job_digest(base: str, params: dict[str, Any]) -> str:
    """The inputs hash of one job: the batch digest plus its parameters."""
    blob = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{base}\0{blob}".encode()).hexdigest()


def up_to_date(job: Job) -> bool:
    """True when the job's sidecar records ``ok`` for the same inputs and its HTML exists."""
    try:
        side = json.loads(Path(job.sidecar).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return side.get("status") == "ok" and side.get("inputs") == job.inputs \
        and Path(job.html).is_file()


def plan(results_dir: Path, out_dir: Path, units: Sequence[str] | None, lang: str,
         unit_notebook: Path = UNIT_NOTEBOOK, overview_notebook: Path | None = OVERVIEW_NOTEBOOK
         ) -> list[Job]:
    """One job per unit of the current period (or of ``units``), then the overview.

    Raises
    ------
    EvalkitError
        For ids in ``units`` that are not units of the current period, or for two ids that
        would share an output file.
    """
    res = load_results(results_dir)
    from evalkit.report.data import current_period

    totals = res.tables["totals"]
    cur = totals.loc[totals["period"] == current_period(res)].drop_duplicates("unit_id")
    known = cur["unit_id"].astype(str).tolist()
    if units:
        unknown = [u for u in units if u not in set(known)]
        if unknown:
            raise EvalkitError(f"unknown unit id(s) {unknown}; expected ids of the current "
                               f"period's totals, e.g. {known[:5]}", "--units")
        cur = cur.loc[cur["unit_id"].astype(str).isin(set(units))]
    nb_dir = out_dir / "notebooks"
    base = inputs_digest(results_dir, [unit_notebook]
                         + ([overview_notebook] if overview_notebook else []))
    stems: dict[str, str] = {}
    jobs = []
    for _, row in cur.iterrows():
        uid = str(row["unit_id"])
        stem = safe_stem(uid)
        if stem in stems:
            raise EvalkitError(f"unit ids {stems[stem]!r} and {uid!r} map to the same file "
                               f"name {stem!r}; expected distinct ids", "totals.unit_id")
        stems[stem] = uid
        params = {"results_dir": str(results_dir), "unit_id": uid, "lang": lang}
        title = f"{unit_name(row, lang)} · {t('report_title', lang)}"
        jobs.append(Job(uid, str(unit_notebook), params, str(inside(out_dir, f"{stem}.html")),
                        str(inside(nb_dir, f"{stem}.ipynb")), str(inside(nb_dir, f"{stem}.json")),
                        job_digest(base, params), title, lang))
    if overview_notebook is not None:
        params = {"results_dir": str(results_dir), "lang": lang}
        jobs.append(Job(OVERVIEW, str(overview_notebook), params,
                        str(out_dir / "overview.html"), str(nb_dir / "overview.ipynb"),
                        str(nb_dir / "overview.json"), job_digest(base, params),
                        t("overview_title", lang), lang))
    return jobs


# -- one job (runs inside a worker) -----------------------------------------------------------
def run_job(job: Job) -> Outcome:
    """Execute one job in the calling thread's warm kernel and write its outputs.

    Never raises for a failing notebook: the outcome is ``failed`` with the error, the
    executed notebook (with the error) is kept and a stale HTML is removed.
    """
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    from evalkit.report.html import notebook_page
    from evalkit.report.kernel import thread_kernel

    t0 = time.perf_counter()
    error, nb, wk = "", None, None
    try:
        wk = thread_kernel()
        nb = wk.execute(job.template, job.params)
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
        nb = wk.last_nb if wk is not None else None
    except Exception as exc:  # a dead kernel, a timeout, a kernel that would not start
        error = f"{type(exc).__name__}: {exc}"
        nb = wk.last_nb if wk is not None else None
        if wk is not None:
            wk.shutdown()  # restarted by the next job
    status = "failed" if error else "ok"
    if nb is not None:
        atomic_write(Path(job.notebook), nbformat.writes(nb))
    if status == "ok":
        try:
            atomic_write(Path(job.html), notebook_page(nb, job.title, job.lang))
        except Exception as exc:  # export problems are failures of this unit only
            status, error = "failed", f"HTML export: {type(exc).__name__}: {exc}"
    if status == "failed":
        Path(job.html).unlink(missing_ok=True)
    seconds = time.perf_counter() - t0
    side = {"unit_id": job.unit_id, "status": status, "inputs": job.inputs, "error": error,
            "seconds": round(seconds, 3), "params": job.params}
    atomic_write(Path(job.sidecar), json.dumps(side, ensure_ascii=False, indent=1))
    return Outcome(job.unit_id, status, job.html, job.notebook, error, seconds)


def _shutdown_kernels() -> int:
    from evalkit.report.kernel import shutdown_all

    return shutdown_all()


def _init_worker() -> None:
    import multiprocessing.util

    multiprocessing.util.Finalize(None, _shutdown_kernels, exitpriority=100)


# -- executors ---------------------------------------------------------------------------------
Progress = Callable[[Outcome], None]


@EXECUTORS.register("serial")
def serial_executor(jobs: Sequence[Job], n_jobs: int, scheduler: str | None,
                    progress: Progress) -> list[Outcome]:
    """Run the jobs one after the other in this thread's warm kernel.

    The kernel stays warm for the next batch of this process (it is shut down at exit, or by
    :func:`evalkit.report.kernel.shutdown_all`).
    """
    out = []
    for job in jobs:
        out.append(run_job(job))
        progress(out[-1])
    return out


@EXECUTORS.register("local")
def local_executor(jobs: Sequence[Job], n_jobs: int, scheduler: str | None,
                   progress: Progress) -> list[Outcome]:
    """Run the jobs on ``n_jobs`` worker processes (spawned), one warm kernel each."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    out = []
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx,
                             initializer=_init_worker) as pool:
        futures = {pool.submit(run_job, job): job for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # the worker process died
                res = Outcome(job.unit_id, "failed", job.html, job.notebook,
                              f"worker: {type(exc).__name__}: {exc}")
            out.append(res)
            progress(res)
    return out


@EXECUTORS.register("dask")
def dask_executor(jobs: Sequence[Job], n_jobs: int, scheduler: str | None,
                  progress: Progress) -> list[Outcome]:
    """Run the jobs as tasks of the Dask distributed cluster at ``scheduler``.

    ``scheduler`` is an address (``tcp://host:8786``) or a ``distributed.Client``.
    """
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    out = []
    try:
        futures = client.map(run_job, list(jobs), pure=False, key=[
            f"evalkit-report-{hashlib.sha1(j.unit_id.encode()).hexdigest()[:12]}-{i}"
            for i, j in enumerate(jobs)])
        by_key = {f.key: j for f, j in zip(futures, jobs, strict=True)}
        for fut in as_completed(futures):
            try:
                res = fut.result()
            except Exception as exc:  # the worker died
                job = by_key[fut.key]
                res = Outcome(job.unit_id, "failed", job.html, job.notebook,
                              f"worker: {type(exc).__name__}: {exc}")
            out.append(res)
            progress(res)
    finally:
        try:
            client.run(_shutdown_kernels)
        finally:
            if client is not scheduler:
                client.close()
    return out


# -- the batch ---------------------------------------------------------------------------------
def default_out_dir(res: Any, results_dir: Path) -> Path:
    """``reports/<evaluation id>`` (the Results folder's name when the spec has no id)."""
    ev = res.spec.get("evaluation", {}) if isinstance(res.spec, dict) else {}
    return Path("reports") / str(ev.get("id") or results_dir.name)


def run_reports(results_dir: str | Path, out_dir: str | Path | None = None,
                units: Sequence[str] | None = None, jobs: int | None = None,
                lang: str = "zh", scheduler: Any = None, force: bool = False,
                progress: bool = True, executor: str | None = None,
                overview: bool = True, notebook: str | Path | None = None) -> Batch:
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
    notebook : the unit report notebook (default ``notebooks/unit_report.ipynb``).
    """
    from tqdm.auto import tqdm

    check_lang(lang, "--lang")
    results_dir = Path(results_dir).resolve()
    res = load_results(results_dir)
    out = Path(out_dir) if out_dir is not None else default_out_dir(res, results_dir)
    out = out.resolve()
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    n_jobs = max(1, int(jobs or os.cpu_count() or 1))
    name = executor or ("dask" if scheduler is not None else "serial" if n_jobs == 1 else "local")
    run = EXECUTORS.get(name, "--executor")
    all_jobs = plan(results_dir, out, units, lang,
                    Path(notebook).resolve() if notebook else UNIT_NOTEBOOK,
                    OVERVIEW_NOTEBOOK if overview else None)
    todo = all_jobs if force else [j for j in all_jobs if not up_to_date(j)]
    skipped = [Outcome(j.unit_id, "skipped", j.html, j.notebook) for j in all_jobs
               if j not in todo]
    write_stylesheet(out)
    bar = tqdm(total=len(todo), desc="reports", unit="report", disable=not progress or not todo)

    def tick(o: Outcome) -> None:
        bar.update(1)
        if o.status == "failed":
            bar.write(f"failed: {o.unit_id}: {o.error}")

    try:
        done = run(todo, min(n_jobs, max(1, len(todo))), scheduler, tick) if todo else []
    finally:
        bar.close()
    batch = Batch(out, out / "index.html", skipped + done)
    write_index(batch, res, lang)
    return batch


def write_index(batch: Batch, res: Any, lang: str) -> Path:
    """Write ``index.html``: every existing report linked, the ranking, the failures."""
    out = batch.out_dir
    reports: dict[str, str] = {}
    for p in sorted((out / "notebooks").glob("*.json")):
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
    atomic_write(batch.index, index_page(res, lang, reports, failures, ov, title))
    return batch.index


def outcomes_json(batch: Batch) -> str:
    """The outcomes as JSON (for logs and CI)."""
    return json.dumps([asdict(o) for o in batch.outcomes], ensure_ascii=False, indent=1)
