"""Warm kernels: execute many parameterized notebooks in one Jupyter kernel.

Starting a kernel and importing pandas and matplotlib costs most of a naive
``papermill`` + ``nbconvert`` loop (~7 s per report on 2 cores; the report's own work is
~1 s). A :class:`WarmKernel` starts one kernel (jupyter_client ``KernelManager`` with an
asynchronous client it owns), imports the report helpers once, and then executes notebook
after notebook through papermill's public engine API: the engine ``evalkit-warm`` registered
here hands papermill's own ``PapermillNotebookClient`` the kernel manager *and* the client,
so nbclient neither starts nor stops anything (``pm.execute_notebook(km=...)`` would create a
new client per notebook and leak its sockets). Between notebooks only the notebook's own
global names are deleted (names not present after warm-up), the output cache is emptied and
the execution counter reset, so every notebook runs as in a fresh kernel — about 0.01 s
instead of 0.2 s for ``%reset -f``. Starting is retried: kernels launched at the same time
can race for ZMQ ports ("Address already in use"). Papermill and jupyter_client are imported
where they are first used (the engine is registered by the first :meth:`WarmKernel.execute`),
so importing this module costs nothing.

A kernel never outlives the process that started it: its warm-up sets the parent-death
signal and a watchdog (:func:`evalkit.report.lock.die_with_parent`), besides ipykernel's own
parent poller; :func:`kill_all` stops every kernel of the process at once (for signal
handlers), and a kernel's private socket folder left by a killed process is removed by the
next kernel started on the machine. A kernel is recycled (shut down and started again) after
``recycle_after`` notebooks, so its memory stays flat over thousands of reports
(``bench/bench_kernel_memory.py``).

Examples
--------
>>> from evalkit.report.kernel import WarmKernel        # doctest: +SKIP
>>> with WarmKernel() as wk:                            # doctest: +SKIP
...     nb = wk.execute("notebooks/unit_report.ipynb", {"unit_id": "T01"})
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from functools import cache
from pathlib import Path
from typing import Any

from evalkit.core.atomic import pid_alive
from evalkit.core.errors import EvalkitError

log = logging.getLogger(__name__)

ENGINE_NAME = "evalkit-warm"

#: Run once in a new kernel (``{parent}``: the pid of the process that started it): die with
#: that process, import the helpers, warm matplotlib, remember the baseline names.
WARM_UP = (
    "import evalkit.report.lock as _ek_lock\n"
    "_ek_lock.die_with_parent({parent})\n"
    "import evalkit.report as _ek_report\n"
    "_ek_report.warm_up()\n"
    "_ek_base = set(globals()) | {{'_ek_base', '_ek_n', '_ek_h', '_ek_a'}}\n"
)
#: Notebooks a kernel executes before it is recycled (0: never).
RECYCLE_AFTER = 250
_IPC_PREFIX = "evalkit-kernel-"

#: Run after each notebook: delete the notebook's own names, empty the output cache and the
#: history (IPython keeps every cell's source and every output's display data, figures
#: included, in its history manager: the leak of ~0.14 MB per report), reset the counter.
CLEAR = (
    "for _ek_n in [n for n in list(globals()) if n not in _ek_base]:\n"
    "    del globals()[_ek_n]\n"
    "Out.clear()\n"
    "_ek_h = get_ipython().history_manager\n"
    "for _ek_a in ('output_hist', 'outputs', 'exceptions'):\n"
    "    getattr(_ek_h, _ek_a, {}).clear()\n"
    "del _ek_h.input_hist_parsed[1:], _ek_h.input_hist_raw[1:]\n"
    "_ek_h = _ek_a = None\n"
    "get_ipython().execution_count = 1\n"
)
#: Kernel options: no history database (not even in memory).
KERNEL_ARGS = ["--HistoryManager.enabled=False", "--HistoryManager.hist_file=:memory:"]


@cache
def register_engine() -> None:
    """Register the papermill engine ``evalkit-warm`` (once per process)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmEngine(Engine):
        """Papermill engine running a notebook in an already started :class:`WarmKernel`."""

        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, *,
                                     warm_kernel: WarmKernel, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None,
                                     start_timeout: int = 60,
                                     execution_timeout: float | None = None,
                                     **kwargs: Any) -> Any:
            """Execute ``nb_man``'s notebook in ``warm_kernel`` (not a new kernel)."""
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log=logger, log_output=log_output,
                                 stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, km=warm_kernel.km, **final)
            client.kc = warm_kernel.kc  # ours: nbclient must not start (or leak) another one
            warm_kernel.last_nb = nb_man.nb
            try:
                return client.execute()
            finally:
                warm_kernel.clear()

    papermill_engines.register(ENGINE_NAME, WarmEngine)


class WarmKernel:
    """A Jupyter kernel kept warm to execute many notebooks (see module doc).

    Parameters
    ----------
    kernel_name : str
        Kernel spec to start (``python3``).
    startup_timeout : float
        Seconds to wait for the kernel to answer.
    retries : int
        Start attempts before giving up (port races, slow starts).
    execution_timeout : float
        Seconds a single cell may run.
    transport : str
        ZMQ transport: ``ipc`` (Unix sockets in Jupyter's runtime folder: no TCP ports to race
        for, nothing listening on the network) or ``tcp``.
    recycle_after : int
        Notebooks executed before the kernel is shut down and started again (0: never).
    """

    def __init__(self, kernel_name: str = "python3", startup_timeout: float = 60,
                 retries: int = 3, execution_timeout: float = 600,
                 transport: str = "ipc", recycle_after: int = RECYCLE_AFTER) -> None:
        self.kernel_name = kernel_name
        self.recycle_after = int(recycle_after)
        self.since_start = 0
        self.starts = 0
        self.transport = transport
        self.startup_timeout = startup_timeout
        self.retries = retries
        self.execution_timeout = execution_timeout
        self.km: Any = None
        self.kc: Any = None
        self.last_nb: Any = None
        self.executed = 0
        self._ipc_dir: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> WarmKernel:
        """Start the kernel and warm it up, retrying failed starts; return self."""
        from jupyter_client.manager import KernelManager

        last: BaseException | None = None
        for attempt in range(1, self.retries + 1):
            try:
                extra: dict[str, Any] = {}
                if self.transport == "ipc":  # private socket folder: no clash between kernels
                    sweep_ipc_dirs()
                    self._ipc_dir = tempfile.mkdtemp(prefix=f"{_IPC_PREFIX}{os.getpid()}-")
                    extra["ip"] = os.path.join(self._ipc_dir, "k")
                self.km = KernelManager(
                    kernel_name=self.kernel_name, transport=self.transport,
                    client_class="jupyter_client.asynchronous.AsyncKernelClient", **extra)
                self.km.start_kernel(extra_arguments=list(KERNEL_ARGS))
                self.kc = self.km.client()
                self.kc.start_channels()
                self._sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
                self.kc.allow_stdin = False
                self.run(WARM_UP.format(parent=os.getpid()))
                self.since_start = 0
                self.starts += 1
                return self
            except Exception as exc:  # ZMQError "Address already in use", RuntimeError, timeout
                last = exc
                log.warning("kernel start attempt %d failed: %s", attempt, exc)
                self.shutdown()
                time.sleep(0.2 * attempt)
        raise EvalkitError(f"could not start a {self.kernel_name!r} kernel after "
                           f"{self.retries} attempts: {last}", "report kernel")

    def shutdown(self) -> None:
        """Stop the client's channels and the kernel (immediately); safe to call twice."""
        kc, km = self.kc, self.km
        self.kc = self.km = None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # channels of a dead kernel
                log.debug("stop_channels failed", exc_info=True)
        if km is not None:
            try:
                if km.has_kernel:
                    km.shutdown_kernel(now=True)
                km.cleanup_resources()
            except Exception:
                log.debug("kernel shutdown failed", exc_info=True)
        if self._ipc_dir is not None:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None

    @property
    def pid(self) -> int | None:
        """The kernel's process id (None when not started)."""
        return getattr(getattr(self.km, "provisioner", None), "pid", None)

    def kill(self) -> None:
        """Kill the kernel process and remove its socket folder now (for signal handlers:
        takes no lock, talks to no kernel)."""
        pid = self.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        if self._ipc_dir is not None:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)

    def alive(self) -> bool:
        """True when the kernel process is running."""
        return self.km is not None and self.km.is_alive()

    def ensure(self) -> WarmKernel:
        """Start (or restart after a crash, or to recycle it) when needed; return self."""
        if self.recycle_after and self.since_start >= self.recycle_after:
            self.shutdown()
        if not self.alive():
            self.shutdown()
            self.start()
        return self

    def __enter__(self) -> WarmKernel:
        return self.ensure()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- execution ---------------------------------------------------------------------------
    @staticmethod
    def _sync(coro: Any) -> Any:
        """A blocking version of the coroutine function ``coro``."""
        from jupyter_core.utils import run_sync

        return run_sync(coro)

    def run(self, code: str, timeout: float = 60) -> None:
        """Execute ``code`` silently in the kernel; raise :class:`EvalkitError` on error."""
        reply = self._sync(self.kc.execute_interactive)(
            code, silent=False, store_history=False, timeout=timeout,
            output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            c = reply["content"]
            raise EvalkitError(f"{c.get('ename')}: {c.get('evalue')}", "report kernel")

    def clear(self) -> None:
        """Delete the last notebook's names (keeps imports made during warm-up)."""
        if self.alive():
            self.run(CLEAR)
        self.executed += 1
        self.since_start += 1

    def execute(self, notebook: str | Path, parameters: dict[str, Any]) -> Any:
        """Execute ``notebook`` with ``parameters`` (papermill injects them); return the node.

        Raises papermill's ``PapermillExecutionError`` when a cell fails; the executed
        notebook with the error is then in :attr:`last_nb`.
        """
        import papermill as pm

        register_engine()
        self.ensure()
        self.last_nb = None
        return pm.execute_notebook(
            str(notebook), None, parameters=parameters, engine_name=ENGINE_NAME,
            kernel_name=self.kernel_name, progress_bar=False, request_save_on_cell_execute=False,
            warm_kernel=self, execution_timeout=self.execution_timeout)


atexit.register(lambda: shutdown_all())

# -- one warm kernel per worker thread (process pools and Dask workers) ------------------------
_LOCAL = threading.local()
_ALL: list[WarmKernel] = []
_ALL_LOCK = threading.Lock()


def thread_kernel() -> WarmKernel:
    """The calling thread's warm kernel, started on first use (and after a crash)."""
    wk = getattr(_LOCAL, "kernel", None)
    if wk is None:
        wk = WarmKernel()
        _LOCAL.kernel = wk
        with _ALL_LOCK:
            _ALL.append(wk)
    return wk.ensure()


def shutdown_all() -> int:
    """Shut down every warm kernel this process started; return how many."""
    with _ALL_LOCK:
        kernels = list(_ALL)
        _ALL.clear()
    for wk in kernels:
        wk.shutdown()
    _LOCAL.__dict__.pop("kernel", None)
    return len(kernels)


def kill_all() -> None:
    """Kill every warm kernel of this process at once (:meth:`WarmKernel.kill`; no lock)."""
    for wk in list(_ALL):
        wk.kill()


def sweep_ipc_dirs(root: str | Path | None = None) -> int:
    """Remove the kernels' socket folders left by processes that no longer run; count them."""
    root = Path(root or tempfile.gettempdir())
    pattern = re.compile(rf"^{_IPC_PREFIX}(\d+)-")
    n = 0
    with contextlib.suppress(OSError):
        for p in root.iterdir():
            m = pattern.match(p.name)
            if m and p.is_dir() and not pid_alive(int(m[1])):
                shutil.rmtree(p, ignore_errors=True)
                n += 1
    return n
