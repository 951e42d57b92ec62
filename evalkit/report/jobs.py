"""Report jobs: plan one job per unit (and the overview), hash its inputs, run one job.

Each job writes, in this order and each atomically (temporary file + :func:`os.replace`):
the executed notebook ``<unit>.ipynb`` (kept also when it failed, with its error), the report
``<unit>.html`` (only on success; a stale one is removed on failure), and last a sidecar
``<unit>.json`` recording the hash of the inputs. The notebook and the sidecar go into the
batch's work folder (:func:`~evalkit.report.paths.work_dir`, outside the published reports
folder), the report into the reports folder. A job is up to date when its sidecar says ``ok``
for the same inputs hash and its HTML exists.

Staleness is decided by content, never by file times. The inputs hash of a job is the
``sha256`` of: the content of the Results folder (its manifest's hashes of the tables and the
spec, and the provenance without its creation time:
:func:`~evalkit.results.provenance.content_digest`), the notebooks' bytes, the code of all of
evalkit that renders the report (:func:`~evalkit.results.provenance.code_digest`: every
module, not only ``report/``), the versions of the libraries that write the pages, and the
job's parameters (JSON, sorted keys). An unchanged re-run of ``evalkit run`` followed by
``evalkit report`` redoes nothing.

Examples
--------
>>> from evalkit.report.jobs import job_digest
>>> job_digest("0" * 64, {"unit_id": "T01"}) == job_digest("0" * 64, {"unit_id": "T01"})
True
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from evalkit.core.atomic import WriteError, atomic_write
from evalkit.core.errors import EvalkitError
from evalkit.core.hashing import feed_file
from evalkit.core.labels import t
from evalkit.report.data import current_totals, load_results
from evalkit.report.html import notebook_page
from evalkit.report.kernel import thread_kernel
from evalkit.report.names import unit_name
from evalkit.report.paths import inside, safe_stem, shipped_notebook, work_dir
from evalkit.results.provenance import code_digest, content_digest

#: The notebooks the batch executes (package data, see :func:`shipped_notebook`).
UNIT_NOTEBOOK = shipped_notebook("unit_report.ipynb")
OVERVIEW_NOTEBOOK = shipped_notebook("overview.ipynb")
#: The job id of the overview page.
OVERVIEW = "__overview__"
#: Libraries whose versions change the pages (their versions enter the inputs hash).
RENDERERS = ("matplotlib", "pandas", "nbconvert", "nbformat", "papermill", "jinja2")


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


# -- hashing -----------------------------------------------------------------------------------
def _file_digest(h: Any, path: Path) -> None:
    """Feed the file's name and bytes to the hash ``h`` (by blocks of 1 MiB)."""
    h.update(path.name.encode() + b"\0")
    feed_file(h, path)


def _versions(names: Iterable[str]) -> str:
    out = []
    for name in names:
        try:
            out.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}=-")
    return ";".join(out)


def inputs_digest(results_dir: Path, notebooks: Iterable[Path]) -> str:
    """sha256 of the Results' content, the notebooks, evalkit's code and the renderers'
    versions (see module doc)."""
    h = hashlib.sha256()
    h.update(f"results\0{content_digest(results_dir)}\0code\0{code_digest()}\0"
             f"{_versions(RENDERERS)}\0".encode())
    for p in notebooks:
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


# -- planning ----------------------------------------------------------------------------------
def _notebook(path: Path) -> Path:
    """``path``, or a named error when the notebook file does not exist."""
    if not path.is_file():
        raise EvalkitError("report notebook not found; expected the notebooks shipped in "
                           "evalkit/notebooks (package data) or a notebook file", str(path))
    return path


def plan(results_dir: Path, out_dir: Path, units: Sequence[str] | None, lang: str,
         unit_notebook: Path = UNIT_NOTEBOOK, overview_notebook: Path | None = OVERVIEW_NOTEBOOK
         ) -> list[Job]:
    """One job per unit of the current period (or of ``units``), then the overview.

    Raises
    ------
    EvalkitError
        For ids in ``units`` that are not units of the current period, for two ids that
        would share an output file, or for a notebook that does not exist.
    """
    res = load_results(results_dir)
    cur = current_totals(res).drop_duplicates("unit_id")
    known = cur["unit_id"].astype(str).tolist()
    if units:
        unknown = [u for u in units if u not in set(known)]
        if unknown:
            raise EvalkitError(f"unknown unit id(s) {unknown}; expected ids of the current "
                               f"period's totals, e.g. {known[:5]}", "--units")
        cur = cur.loc[cur["unit_id"].astype(str).isin(set(units))]
    nb_dir = work_dir(out_dir)
    notebooks = [_notebook(unit_notebook)] + ([_notebook(overview_notebook)]
                                              if overview_notebook else [])
    base = inputs_digest(results_dir, notebooks)
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
def _execute(job: Job) -> tuple[Any, str]:
    """Execute the job's notebook in this thread's warm kernel: (notebook or None, error)."""
    from papermill.exceptions import PapermillExecutionError

    wk = None
    try:
        wk = thread_kernel()
        return wk.execute(job.template, job.params), ""
    except PapermillExecutionError as exc:
        return (wk.last_nb if wk is not None else None), f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # a dead kernel, a timeout, a kernel that would not start
        nb = wk.last_nb if wk is not None else None
        if wk is not None:
            wk.shutdown()  # restarted by the next job
        return nb, f"{type(exc).__name__}: {exc}"


def run_job(job: Job) -> Outcome:
    """Execute one job in the calling thread's warm kernel and write its outputs.

    Never raises for a failing notebook: the outcome is ``failed`` with the error, the
    executed notebook (with the error) is kept and a stale HTML is removed. Raises
    :class:`~evalkit.core.atomic.WriteError` when an output cannot be written (full disk,
    read-only folder): the batch stops with it.
    """
    import nbformat

    t0 = time.perf_counter()
    nb, error = _execute(job)
    status = "failed" if error else "ok"
    if nb is not None:
        atomic_write(Path(job.notebook), nbformat.writes(nb))
    if status == "ok":
        try:
            atomic_write(Path(job.html), notebook_page(nb, job.title, job.lang))
        except WriteError:  # a full disk or read-only folder stops the batch
            raise
        except Exception as exc:  # export problems are failures of this unit only
            status, error = "failed", f"HTML export: {type(exc).__name__}: {exc}"
    if status == "failed":
        Path(job.html).unlink(missing_ok=True)
    seconds = time.perf_counter() - t0
    side = {"unit_id": job.unit_id, "status": status, "inputs": job.inputs, "error": error,
            "seconds": round(seconds, 3), "params": job.params}
    atomic_write(Path(job.sidecar), json.dumps(side, ensure_ascii=False, indent=1))
    return Outcome(job.unit_id, status, job.html, job.notebook, error, seconds)
