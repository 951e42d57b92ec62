"""Safe output paths: a unit id never writes outside the output folder.

A unit id becomes a file stem by keeping letters (any script, so 乡镇 ids stay readable),
digits, ``_``, ``-`` and inner dots; any other character becomes ``_`` and, when the id had
to change, a short hash of the original id is appended so two ids never share a file.
:func:`inside` then checks the resolved path lies in the folder.

Examples
--------
>>> from evalkit.report.paths import safe_stem
>>> safe_stem("T01")
'T01'
>>> safe_stem("../etc/passwd").startswith("_.._etc_passwd-")
True
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from evalkit.core.errors import EvalkitError

_UNSAFE = re.compile(r"[^\w.-]", re.UNICODE)


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
