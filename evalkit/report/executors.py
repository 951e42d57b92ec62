"""Executors of report jobs, as the registry :data:`EXECUTORS`.

Signature: ``EXECUTORS[key](jobs, n_jobs, scheduler, progress) -> list[Outcome]``;
``progress(outcome)`` is called as each job ends.

- ``serial``: one warm kernel in this process (``jobs=1``);
- ``local``: ``n_jobs`` worker processes (spawned), each with its own warm kernel. A worker
  dies with the batch (parent-death signal and watchdog,
  :func:`~evalkit.report.lock.die_with_parent`) and kills its kernels first; when the
  batch stops early (an error, Ctrl-C, SIGTERM) the queued jobs are cancelled and the
  workers terminated, not left to finish;
- ``dask``: the tasks of a Dask distributed cluster (``scheduler="tcp://..."`` or a
  ``distributed.Client``); each worker thread keeps a warm kernel. Workers need evalkit
  installed and must see the results and output folders at the same paths (a shared file
  system).

A job that cannot write its outputs (read-only folder, full disk: a
:class:`~evalkit.core.atomic.WriteError`) stops the batch with that error; a notebook that
fails is only that job's failure.

Examples
--------
>>> from evalkit.report.executors import EXECUTORS
>>> list(EXECUTORS)
['serial', 'local', 'dask']
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import multiprocessing.util
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

from evalkit.core.atomic import WriteError
from evalkit.core.registry import Registry
from evalkit.report.jobs import Job, Outcome, run_job
from evalkit.report.kernel import kill_all, shutdown_all
from evalkit.report.lock import die_with_parent

#: Report executors: key -> ``f(jobs, n_jobs, scheduler, progress) -> outcomes``.
EXECUTORS = Registry("report executor")

Progress = Callable[[Outcome], None]


def _exit_now(signum: int, frame: Any) -> None:
    """SIGTERM in a worker: kill its kernels and exit at once (no job is finished)."""
    kill_all()
    os._exit(128 + signum)


def _init_worker(parent: int) -> None:
    """Tie the worker to the batch process ``parent``; stop its kernels on every exit."""
    multiprocessing.util.Finalize(None, shutdown_all, exitpriority=100)
    signal.signal(signal.SIGTERM, _exit_now)
    die_with_parent(parent, on_exit=kill_all, sig=signal.SIGTERM)


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


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued jobs and terminate the workers (they kill their kernels)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, AttributeError):
            proc.terminate()


def _result(fut: Future[Outcome], job: Job) -> Outcome:
    """The outcome of a finished future; a write error stops the batch."""
    try:
        return fut.result()
    except WriteError:
        raise
    except Exception as exc:  # the worker process died
        return _worker_died(job, exc)


@EXECUTORS.register("local")
def local_executor(jobs: Sequence[Job], n_jobs: int, scheduler: Any,
                   progress: Progress) -> list[Outcome]:
    """Run the jobs on ``n_jobs`` worker processes (spawned), one warm kernel each."""
    ctx = multiprocessing.get_context("spawn")
    out = []
    pool = ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx, initializer=_init_worker,
                               initargs=(os.getpid(),))
    try:
        futures = {pool.submit(run_job, job): job for job in jobs}
        for fut in as_completed(futures):
            out.append(_result(fut, futures[fut]))
            progress(out[-1])
    except BaseException:
        _stop(pool)
        raise
    finally:
        pool.shutdown(wait=True)
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
    out: list[Outcome] = []
    futures: list[Any] = []
    try:
        futures = client.map(run_job, list(jobs), pure=False, key=[
            f"evalkit-report-{hashlib.sha1(j.unit_id.encode()).hexdigest()[:12]}-{i}"
            for i, j in enumerate(jobs)])
        by_key = {f.key: j for f, j in zip(futures, jobs, strict=True)}
        for fut in dask_completed(futures):
            out.append(_result(fut, by_key[fut.key]))
            progress(out[-1])
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        try:
            client.run(shutdown_all)
        finally:
            if client is not scheduler:
                client.close()
    return out
