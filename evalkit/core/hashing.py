"""SHA-256 of files, read by blocks of 1 MiB: the one file hash of provenance, manifests and
up-to-date checks.

Examples
--------
>>> import hashlib, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> _ = p.write_bytes(b"abc")
>>> file_sha256(p) == hashlib.sha256(b"abc").hexdigest()
True
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

#: Bytes read at a time.
BLOCK = 1 << 20


def feed_file(h: Any, path: str | Path) -> None:
    """Feed the bytes of file ``path`` to the hash ``h``, block by block."""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            h.update(block)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    feed_file(h, path)
    return h.hexdigest()
