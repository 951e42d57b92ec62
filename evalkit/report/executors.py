"""Executors of report jobs, as the registry :data:`EXECUTORS`.

Signature: ``EXECUTORS[key](jobs, n_jobs, scheduler, progress) -> list[Outcome]``;
``progress(outcome)`` is called as each job ends.

- ``serial``: one warm kernel in this process (``jobs=1``);
- ``local``: ``n_jobs`` worker processes (spawned), each with its own warm kernel;
- ``dask``: the tasks of a Dask distributed cluster (``scheduler="tcp://..."`` or a
  ``distributed.Client``); each worker thread keeps a warm kernel. Workers need evalkit
  installed and must see the results and output folders at the same paths (a shared file
  system).

Examples
--------
>>> from evalkit.report.executors import EXECUTORS
>>> list(EXECUTORS)
['serial', 'local', 'dask']
"""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.util
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from evalkit.core.registry import Registry
from evalkit.report.jobs import Job, Outcome, run_job
from evalkit.report.kernel import shutdown_all

#: Report executors: key -> ``f(jobs, n_jobs, scheduler, progress) -> outcomes``.
EXECUTORS = Registry("report executor")

Progress = Callable[[Outcome], None]


def _init_worker() -> None:
    """Shut the worker's warm kernels down when the worker process exits."""
    multiprocessing.util.Finalize(None, shutdown_all, exitpriority=100)


def _worker_died(job: Job, exc: BaseException) -> Outcome:
    """The outcome of a job whose worker died (the job itself could not report)."""
    return Outcome(job.unit_id, "failed", job.html, job.notebook,
                   f"worker: {type(exc).__name__}: {exc}")


@EXECUTORS.register("serial")
def serial_executor(jobs: Sequence[Job], n_jobs: int, scheduler: Any,
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
def local_executor(jobs: Sequence[Job], n_jobs: int, scheduler: Any,
                   progress: Progress) -> list[Outcome]:
    """Run the jobs on ``n_jobs`` worker processes (spawned), one warm kernel each."""
    ctx = multiprocessing.get_context("spawn")
    out = []
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx,
                             initializer=_init_worker) as pool:
        futures = {pool.submit(run_job, job): job for job in jobs}
        for fut in as_completed(futures):
            try:
                res = fut.result()
            except Exception as exc:  # the worker process died
                res = _worker_died(futures[fut], exc)
            out.append(res)
            progress(res)
    return out


@EXECUTORS.register("dask")
def dask_executor(jobs: Sequence[Job], n_jobs: int, scheduler: Any,
                  progress: Progress) -> list[Outcome]:
    """Run the jobs as tasks of the Dask distributed cluster at ``scheduler``.

    ``scheduler`` is an address (``tcp://host:8786``) or a ``distributed.Client``.
    """
    from distributed import Client
    from distributed import as_completed as dask_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    out = []
    try:
        futures = client.map(run_job, list(jobs), pure=False, key=[
            f"evalkit-report-{hashlib.sha1(j.unit_id.encode()).hexdigest()[:12]}-{i}"
            for i, j in enumerate(jobs)])
        by_key = {f.key: j for f, j in zip(futures, jobs, strict=True)}
        for fut in dask_completed(futures):
            try:
                res = fut.result()
            except Exception as exc:  # the worker died
                res = _worker_died(by_key[fut.key], exc)
            out.append(res)
            progress(res)
    finally:
        try:
            client.run(shutdown_all)
        finally:
            if client is not scheduler:
                client.close()
    return out
