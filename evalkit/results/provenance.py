"""Provenance and reproducibility: what a run read and ran, and outputs that embed no time.

A Results folder's ``provenance.json`` records the spec file's SHA-256 (:func:`spec_record`),
every input table's SHA-256 taken when it was read (:func:`input_records`), the code that ran
(:func:`code_version`: the package version, the git commit when the package runs from a git
checkout, and :func:`code_digest`, the SHA-256 of every evalkit module and shipped notebook)
and the creation time. :func:`record` gathers them. The creation time is the only time in a
Results folder: the workbook's document properties carry :func:`fixed_time`
(``SOURCE_DATE_EPOCH`` when set, as reproducible builds do; see
:func:`evalkit.results.xlsx.write_sheets`), so the same inputs and seed give the same
bytes. :func:`content_digest` is the
digest of what a report reads from a Results folder, without :data:`VOLATILE` keys: an
unchanged re-run of ``evalkit run`` leaves it unchanged.

Examples
--------
>>> len(code_digest())
64
>>> fixed_time().isoformat()
'1980-01-01T00:00:00+00:00'
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Mapping
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import __version__
from evalkit.core.hashing import file_sha256
from evalkit.inputs.tables import describe_source
from evalkit.results.manifest import read_manifest

#: The evalkit package folder.
PACKAGE = Path(__file__).resolve().parents[1]
PROVENANCE = "provenance.json"
WORKBOOK = "results.xlsx"
#: Provenance keys left out of :func:`content_digest`: the time, and the code (the reports hash
#: the code itself, and a commit of unchanged code must not make every report stale).
VOLATILE = ("created", "code")
#: The time written into workbooks when ``SOURCE_DATE_EPOCH`` is not set (the zip epoch).
EPOCH = _dt.datetime(1980, 1, 1, tzinfo=_dt.UTC)


def fixed_time() -> _dt.datetime:
    """The time embedded in outputs: ``SOURCE_DATE_EPOCH`` (seconds, UTC) when set, else
    :data:`EPOCH`."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw.isdigit():
        return _dt.datetime.fromtimestamp(int(raw), _dt.UTC)
    return EPOCH


def created() -> str:
    """The current time (UTC, ISO 8601, seconds) for ``provenance.json`` only."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _code_files(root: Path) -> list[Path]:
    files = [p for p in root.rglob("*.py") if "__pycache__" not in p.parts]
    files += list((root / "notebooks").glob("*.ipynb"))
    return sorted(set(files))


def code_digest(root: str | Path | None = None) -> str:
    """SHA-256 of every evalkit module (``**/*.py``) and shipped notebook, by relative path."""
    root = Path(root) if root is not None else PACKAGE
    h = hashlib.sha256()
    for p in _code_files(root):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _git_dir(start: Path) -> Path | None:
    """The ``.git`` folder of the checkout holding ``start`` (a ``.git`` file is followed)."""
    for folder in (start, *start.parents):
        dot = folder / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():
            text = dot.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                return (folder / text.split(":", 1)[1].strip()).resolve()
    return None


@lru_cache(maxsize=4)
def git_commit(start: str | Path | None = None) -> str | None:
    """The commit checked out where evalkit runs from, or None (no git checkout, no git).

    Read from the ``.git`` folder's files (``HEAD``, loose and packed refs): git itself is
    not needed, and any problem gives None rather than an error.
    """
    try:
        gdir = _git_dir(Path(start).resolve() if start else PACKAGE)
        if gdir is None:
            return None
        head = (gdir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head.split(":", 1)[1].strip()
        common = gdir
        if (gdir / "commondir").is_file():  # a worktree: refs live in the main .git
            common = (gdir / (gdir / "commondir").read_text("utf-8").strip()).resolve()
        for base in (gdir, common):
            if (base / ref).is_file():
                return (base / ref).read_text(encoding="utf-8").strip()
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                sha, _, name = line.partition(" ")
                if name.strip() == ref:
                    return sha
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return None


def code_version() -> dict[str, Any]:
    """The code that ran: package version, git commit (or None) and :func:`code_digest`."""
    try:
        version = metadata.version("evalkit")
    except metadata.PackageNotFoundError:
        version = __version__
    return {"evalkit": version, "git_commit": git_commit(), "code_sha256": code_digest()}


def spec_record(path: str | Path) -> dict[str, Any]:
    """The spec file and its SHA-256."""
    return {"file": str(path), "sha256": file_sha256(path)}


def input_records(tables: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each input table's file, sheet and the SHA-256 taken when it was read."""
    return {k: describe_source(t) for k, t in tables.items() if isinstance(t, pd.DataFrame)}


def record(spec_path: str | Path, tables: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance of a run: ``spec``, ``inputs``, ``code`` and ``created``."""
    return {"spec": spec_record(spec_path), "inputs": input_records(tables),
            "code": code_version(), "created": created()}


def content_digest(folder: str | Path) -> str:
    """SHA-256 of what reports read from a Results folder, from its manifest.

    Every file's hash except the workbook's and ``provenance.json``'s, and the provenance
    without :data:`VOLATILE` keys: a re-run on the same inputs gives the same digest.
    """
    folder = Path(folder)
    body = read_manifest(folder)
    h = hashlib.sha256()
    for name, entry in sorted(body["files"].items()):
        if name not in (PROVENANCE, WORKBOOK):
            h.update(f"{name}\0{entry.get('sha256')}\n".encode())
    prov_file = folder / PROVENANCE
    prov = json.loads(prov_file.read_text("utf-8")) if prov_file.is_file() else {}
    stable = {k: v for k, v in prov.items() if k not in VOLATILE}
    h.update(json.dumps(stable, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()
