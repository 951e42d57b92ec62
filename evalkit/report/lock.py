"""One batch per output folder, and processes that die with the batch.

:class:`FolderLock` is an exclusive lock on an output folder (``flock`` on
``<folder>/.evalkit-report.lock``; the kernel releases it when its holder dies, even by
``kill -9``, so a lock is never stale). A second ``evalkit report`` on the same folder stops at
once with an :class:`~evalkit.core.errors.EvalkitError` naming the folder and the process that
holds it, or, with ``--wait [SECONDS]``, waits for that process to finish (``on_wait`` is told
once, so the command can say whom it waits for) and stops with that error only when the wait
runs out. Where ``fcntl`` does not exist the lock file is
created exclusively and holds the owner's process id; a file whose owner no longer runs is
taken over.

:func:`die_with_parent` makes the calling process end when its parent ends: on Linux the
parent-death signal (``prctl(PR_SET_PDEATHSIG)`` through ctypes), elsewhere (and as a second
guard) a watchdog thread that exits when the parent process id changes. Report workers call
it when they start (and kernels in their warm-up), so killing ``evalkit report`` leaves no
worker and no kernel behind. :func:`exit_on_sigterm` makes SIGTERM during a batch kill its
kernels, release its lock and end it.

Examples
--------
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> with FolderLock(folder):
...     FolderLock(folder).acquire()
Traceback (most recent call last):
...
evalkit.core.errors.EvalkitError: ...: another `evalkit report` (pid ...) is writing into...
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as _dt
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from evalkit.core.atomic import pid_alive, writing
from evalkit.core.errors import EvalkitError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".evalkit-report.lock"
_PR_SET_PDEATHSIG = 1


class FolderLock:
    """An exclusive lock on ``folder`` for one report batch (see module doc).

    Parameters
    ----------
    folder : path
        The output folder (created when missing).
    wait : float
        Seconds to wait for a batch that holds the lock; 0 refuses at once, ``math.inf``
        waits until it ends.
    on_wait : callable, optional
        Called once with a message (folder and holder) when the lock is held and ``wait`` > 0.
    """

    def __init__(self, folder: str | Path, wait: float = 0.0,
                 on_wait: Callable[[str], object] | None = None) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.wait = max(0.0, float(wait))
        self.on_wait = on_wait
        self._fd: int | None = None

    def _holder_text(self) -> str:
        h = self.holder()
        return f"pid {h.get('pid', '?')}, since {h.get('since', '?')}"

    def _try(self) -> bool:
        """One attempt to take the lock; True when taken."""
        if fcntl is None:  # pragma: no cover - Windows
            return self._try_exclusive()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        try:  # the file we locked must still be the lock file (not one unlinked meanwhile)
            same = os.path.samestat(os.fstat(fd), os.stat(self.path))
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def _try_exclusive(self) -> bool:  # pragma: no cover - Windows
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = self.holder().get("pid")
            if isinstance(holder, int) and not pid_alive(holder):
                self.path.unlink(missing_ok=True)
            return False
        self._fd = fd
        return True

    def holder(self) -> dict[str, Any]:
        """What the lock file says of its holder: ``pid`` and ``since`` (may be empty)."""
        try:
            pid, since = self.path.read_text("utf-8").split("\n", 1)
            return {"pid": int(pid), "since": since.strip()}
        except (OSError, ValueError):
            return {}

    def acquire(self) -> FolderLock:
        """Take the lock, waiting up to :attr:`wait` seconds; return self.

        Raises
        ------
        EvalkitError
            When another batch still holds the lock after the wait.
        WriteError
            When the folder cannot be created or written.
        """
        with writing(self.folder):
            self.folder.mkdir(parents=True, exist_ok=True)
            deadline = time.monotonic() + self.wait
            told = False
            while not self._try():
                if time.monotonic() >= deadline:
                    raise EvalkitError(f"another `evalkit report` ({self._holder_text()}) is "
                                       "writing into this folder; wait for it to finish "
                                       "(--wait), or choose another --out", str(self.folder))
                if self.on_wait is not None and not told:
                    told = True
                    self.on_wait(f"{self.folder}: waiting for another `evalkit report` "
                                 f"({self._holder_text()}) to finish")
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
            assert self._fd is not None
            now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()}\n{now}\n".encode(), 0)
        return self

    def release(self) -> None:
        """Remove the lock file and release the lock; safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(fd)

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# -- lifetimes ---------------------------------------------------------------------------------
def _parent_death_signal(sig: int) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent ends; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


#: The parent-death signal of kernels: SIGKILL where it exists.
KILL = int(getattr(signal, "SIGKILL", signal.SIGTERM))


def die_with_parent(parent: int, on_exit: Callable[[], None] | None = None,
                    sig: int = KILL, interval: float = 0.5) -> None:
    """End this process when the process ``parent`` ends.

    When ``parent`` is this process's parent: sets the parent-death signal ``sig`` (Linux)
    and watches the parent process id. When it is an ancestor further up (a kernel started
    through a wrapper script): watches that it still runs. A daemon thread checks every
    ``interval`` seconds and, once the parent is gone, calls ``on_exit`` (e.g. stop the
    kernels) and exits at once. Exits now if the parent has already gone.
    """
    direct = os.getppid() == parent
    if direct:
        _parent_death_signal(sig)

    def orphaned() -> bool:
        return os.getppid() != parent if direct else not pid_alive(parent)

    def watch() -> None:
        while not orphaned():
            time.sleep(interval)
        if on_exit is not None:
            with contextlib.suppress(Exception):
                on_exit()
        os._exit(1)

    if orphaned():
        watch()
    threading.Thread(target=watch, name="evalkit-parent-watchdog", daemon=True).start()


@contextlib.contextmanager
def exit_on_sigterm(*cleanups: Callable[[], object]) -> Iterator[None]:
    """Within the block, SIGTERM runs ``cleanups`` and ends the process (status 143).

    Raising ``SystemExit`` from the handler is not enough: the signal lands anywhere, e.g.
    inside nbclient's event loop, which takes the exception for a dead kernel and goes on with
    the next report. So the handler itself kills the kernels and releases the lock (the
    ``cleanups``, which must take no lock), then exits at once; worker processes follow by
    their parent-death signal. Only the main thread can set the handler; elsewhere the block
    runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        for fn in cleanups:
            with contextlib.suppress(Exception):
                fn()
        os._exit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
