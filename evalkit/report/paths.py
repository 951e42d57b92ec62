"""Paths: the notebooks shipped with evalkit, output paths that stay in their folder, and the
batch's work folder.

The report notebooks are package data (``evalkit/notebooks/*.ipynb``, one copy: in the
repository ``evalkit/notebooks`` is a link to the ``notebooks/`` folder that JupyterLab users
open), found with :mod:`importlib.resources` so an installed wheel finds them too
(:func:`shipped_notebook`).

A unit id becomes a file stem by keeping letters (any script, so 乡镇 ids stay readable),
digits, ``_``, ``-`` and inner dots; any other character becomes ``_`` and, when the id had
to change, a short hash of the original id is appended so two ids never share a file.
:func:`inside` then checks the resolved path lies in the folder.

The reports folder holds only what is published (the HTML pages, ``index.html``,
``published.xlsx``, ``pdf/``). What a batch keeps for itself, the executed notebooks (they
hold absolute paths and are ~200 KB each) and the job sidecars that make a re-run resume,
goes into its work folder :func:`work_dir`: the hidden sibling ``<parent>/.<name>.work/`` of
the reports folder ``<parent>/<name>``. A sibling, not a folder inside the reports or the
Results folder, so that copying or publishing the reports folder takes none of it, and the
Results folder stays exactly what its manifest lists. Deleting the work folder only makes the
next batch redo every report.

Examples
--------
>>> from evalkit.report.paths import safe_stem
>>> safe_stem("T01")
'T01'
>>> safe_stem("../etc/passwd").startswith("_.._etc_passwd-")
True
>>> shipped_notebook("unit_report.ipynb").name
'unit_report.ipynb'
>>> work_dir(Path("/srv/reports/demo")).as_posix()
'/srv/reports/.demo.work'
"""

from __future__ import annotations

import atexit
import hashlib
import re
from contextlib import ExitStack
from importlib.resources import as_file, files
from pathlib import Path

from evalkit.core.errors import EvalkitError

_UNSAFE = re.compile(r"[^\w.-]", re.UNICODE)
_EXTRACTED = ExitStack()  # notebooks extracted from a zipped install, removed at exit
atexit.register(_EXTRACTED.close)


def shipped_notebook(name: str) -> Path:
    """The path of the notebook ``name`` shipped in ``evalkit/notebooks`` (package data).

    An installed package (wheel or editable) holds the file itself; from a zipped install
    the file is extracted once to a temporary file that lives until the process exits.
    """
    resource = files("evalkit") / "notebooks" / name
    if isinstance(resource, Path):
        return resource
    return _EXTRACTED.enter_context(as_file(resource))


def safe_stem(unit_id: str) -> str:
    """A file stem for ``unit_id`` (see module doc); identity for ordinary ids."""
    text = str(unit_id)
    stem = _UNSAFE.sub("_", text)
    if stem.startswith("."):
        stem = "_" + stem
    stem = stem[:80]
    if stem != text or not stem:
        stem += "-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return stem


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, or :class:`EvalkitError` if it would resolve outside ``folder``."""
    root = folder.resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise EvalkitError(f"output name {name!r} resolves outside the output folder; "
                           "expected a plain file name", str(root))
    return path


def work_dir(out: str | Path) -> Path:
    """The work folder of the reports folder ``out``: ``<parent>/.<name>.work`` (module doc)."""
    out = Path(out).resolve()
    return out.parent / f".{out.name or 'reports'}.work"
