"""Atomic writes: a crash never leaves a half-written file or folder behind.

Everything evalkit writes (results, workbooks, reports, demo tables) goes through a temporary
file in the target's folder, moved onto the target with :func:`os.replace` only once complete
(:func:`atomic_path`, :func:`atomic_write`). A whole folder (a Results folder) is written into
a temporary sibling folder and swapped in at once (:func:`atomic_folder`): on Linux with
``renameat2(RENAME_EXCHANGE)``, so the target is at every instant the old folder or the new
one; elsewhere by moving the old folder aside, the new one in, and the old one away (a crash
between the two moves leaves the old folder aside, put back by the next write). Files and
folders get the usual permissions (``0o666``/``0o777`` less the process umask), not the
private ones of a temporary file.

A temporary name holds the writer's process id (``.<name>.tmp-<pid>-<random>``): the next
writer removes the leftovers of writers that are no longer running (:func:`sweep`). An
operating-system error while writing (read-only or missing folder, no permission, full disk)
becomes a :class:`WriteError` naming the path; the temporary file or folder is removed and
the target is left as it was.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "out" / "a.txt"
>>> atomic_write(p, "考评")
>>> p.read_text(encoding="utf-8")
'考评'
>>> with atomic_folder(p.parent / "tables") as tmp:
...     (tmp / "t.csv").write_text("a,b\\n")
4
>>> sorted(x.name for x in p.parent.iterdir())
['a.txt', 'tables']
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evalkit.core.errors import EvalkitError

#: What an errno means for someone writing results.
REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "a folder on the path does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "the path is a folder, expected a file",
}
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)-[^/]*$")


class WriteError(EvalkitError):
    """An output could not be written (read-only or missing folder, full disk, ...)."""


def write_error(exc: OSError, path: str | Path) -> WriteError:
    """The :class:`WriteError` for ``exc`` raised while writing ``path``."""
    code = errno.errorcode.get(exc.errno or 0, "")
    reason = REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    return WriteError(f"cannot write here: {reason}" + (f" ({code})" if code else "") +
                      "; expected a writable folder with free space (nothing was changed)",
                      str(path))


@contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turn an :class:`OSError` raised inside the block into a :class:`WriteError`."""
    try:
        yield
    except WriteError:
        raise
    except OSError as exc:
        raise write_error(exc, path) from exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def pid_alive(pid: int) -> bool:
    """True when a process ``pid`` runs on this machine (or cannot be signalled by us)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    """Remove a file or a folder tree; ignore what is already gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep(target: str | Path) -> list[Path]:
    """Remove the temporary siblings of ``target`` left by writers that no longer run.

    An old folder moved aside by an interrupted swap is moved back first when ``target`` is
    missing. Returns the paths removed.
    """
    target = Path(target)
    removed = []
    if not target.parent.is_dir():
        return removed
    for p in sorted(target.parent.iterdir()):
        m = _TEMP.match(p.name)
        if not m or m["name"] != target.name or int(m["pid"]) == os.getpid() \
                or pid_alive(int(m["pid"])):
            continue
        if ".old-" in p.name and not target.exists():
            os.rename(p, target)  # the old folder was aside when its writer died
            continue
        _remove(p)
        removed.append(p)
    return removed


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success only.

    Raises
    ------
    WriteError
        When the folder cannot be created or written (the target is left as it was).
    """
    target = Path(target)
    with writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.tmp-{os.getpid()}-", suffix=".tmp",
                                   dir=target.parent)
        os.close(fd)
    try:
        with writing(target):
            yield Path(tmp)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write text (UTF-8) or bytes to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap the paths ``a`` and ``b`` in one step (Linux ``renameat2``); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target``; the folder that was there is removed.

    The target is never missing when ``renameat2`` works; otherwise it is missing only
    between two renames, and :func:`sweep` puts the old folder back if the process dies there.
    """
    if not target.exists():
        os.rename(new, target)
        return
    if not target.is_dir() or target.is_symlink():
        raise WriteError("expected a folder (or nothing) here, found a file or a link",
                         str(target))
    if _exchange(new, target):
        _remove(new)  # now the old folder
        return
    aside = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except OSError:
        os.rename(aside, target)
        raise
    _remove(aside)


@contextmanager
def atomic_folder(target: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; swap it in on success only.

    On any exception the temporary folder is removed and ``target`` stays as it was.

    Raises
    ------
    WriteError
        When the parent folder cannot be created or written, or the disk is full.
    """
    target = Path(os.path.abspath(target))  # "." and ".." name no folder to swap
    with writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-",
                                    dir=target.parent))
    try:
        with writing(target):
            yield tmp
            os.chmod(tmp, 0o777 & ~_umask())
            swap_in(tmp, target)
    finally:
        if tmp.exists():
            _remove(tmp)
