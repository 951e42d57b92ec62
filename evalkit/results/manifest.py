"""The manifest of a Results folder: every file's size and SHA-256, every table's row count.

:meth:`Results.save <evalkit.results.store.Results.save>` writes ``manifest.json`` last into
the temporary folder it then swaps in, so a folder with a manifest that matches its files is
a folder written whole by one save. :func:`verify` lists every way a folder differs from its
manifest — no manifest, a listed file missing or changed (size or hash), a table whose row
count differs, a stray file (a temporary file of an interrupted write, or a table the
manifest does not list) — and :meth:`Results.load <evalkit.results.store.Results.load>`
refuses such a folder with that list.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "totals.parquet").write_bytes(b"PAR1")
>>> _ = write_manifest(d, {"totals": 1})
>>> problems(d)
[]
>>> _ = (d / "totals.parquet").write_bytes(b"PAR2")
>>> problems(d)
['totals.parquet changed since it was saved (its SHA-256 differs from manifest.json)']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.core.errors import EvalkitError
from evalkit.core.hashing import file_sha256

MANIFEST = "manifest.json"
#: Version of the manifest's layout.
FORMAT = 1
#: Names of temporary files and folders (evalkit's own, and editors' lock files).
_TEMPORARY = re.compile(r"(^\..*\.tmp(-.*)?$)|(\.tmp$)|(^~\$)")


def is_temporary(name: str) -> bool:
    """True for the name of a temporary file (``.x.parquet.tmp-…``, ``x.tmp``, ``~$x.xlsx``)."""
    return bool(_TEMPORARY.search(name))


def write_manifest(folder: str | Path, rows: Mapping[str, int]) -> Path:
    """Write ``manifest.json`` listing every file of ``folder`` and the tables' row counts.

    ``rows`` maps each table name to its number of rows (the table is ``<name>.parquet``).
    """
    folder = Path(folder)
    files = {p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
             for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST}
    body = {"format": FORMAT,
            "tables": {name: {"file": f"{name}.parquet", "rows": int(n)}
                       for name, n in rows.items()},
            "files": files}
    path = folder / MANIFEST
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                    encoding="utf-8")
    return path


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of ``folder``.

    Raises
    ------
    EvalkitError
        When the folder has no manifest or it cannot be read.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise EvalkitError(f"no {MANIFEST}: the folder was not written whole by "
                           "Results.save (an older evalkit, or a save that did not finish); "
                           "run `evalkit run SPEC` again", str(folder))
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvalkitError(f"{MANIFEST} cannot be read ({exc}); run `evalkit run SPEC` "
                           "again", str(path)) from exc
    if not isinstance(body, dict) or not isinstance(body.get("files"), dict) \
            or not isinstance(body.get("tables"), dict):
        raise EvalkitError(f"{MANIFEST} lacks its 'files' or 'tables'; run `evalkit run "
                           "SPEC` again", str(path))
    return body


def problems(folder: str | Path, manifest: Mapping[str, Any] | None = None) -> list[str]:
    """Every way ``folder`` differs from its manifest (empty: the folder is whole)."""
    folder = Path(folder)
    body = dict(manifest) if manifest is not None else read_manifest(folder)
    files: dict[str, Any] = body["files"]
    out = []
    for name, entry in sorted(files.items()):
        p = folder / name
        if not p.is_file():
            out.append(f"{name} is listed in {MANIFEST} but missing")
        elif p.stat().st_size != entry.get("bytes") or file_sha256(p) != entry.get("sha256"):
            out.append(f"{name} changed since it was saved (its SHA-256 differs from "
                       f"{MANIFEST})")
    for name, entry in sorted(body["tables"].items()):
        if entry.get("file") not in files:
            out.append(f"table {name!r}: its file {entry.get('file')!r} is not in {MANIFEST}")
    for p in sorted(folder.iterdir()):
        if p.name in files or p.name == MANIFEST:
            continue
        if is_temporary(p.name):
            out.append(f"stray temporary file {p.name} (left by an interrupted write)")
        elif p.suffix == ".parquet":
            out.append(f"stray table {p.name} (not listed in {MANIFEST})")
    return out


def verify(folder: str | Path) -> dict[str, Any]:
    """The manifest of ``folder`` after checking the folder matches it.

    Raises
    ------
    EvalkitError
        Naming the folder and listing every mismatch (see :func:`problems`).
    """
    body = read_manifest(folder)
    found = problems(folder, body)
    if found:
        raise EvalkitError("the Results folder does not match its manifest ("
                           + "; ".join(found) + "); it was changed or not written whole: "
                           "run `evalkit run SPEC` again", str(folder))
    return body
