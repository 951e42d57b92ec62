"""The peer-rating lab: what ``notebooks/peer_lab.ipynb`` reads from an evaluation spec.

The bench, the scheme comparison and the report section are :mod:`evalkit.sources.peer` calls;
this module holds what needs a layer above the ``peer`` source: the spec's ``sources.peer``
section, read and checked by :func:`evalkit.validate.load_spec`.
"""

from __future__ import annotations

from typing import Any

from evalkit.core.errors import SpecError
from evalkit.validate import load_spec


def peer_config(spec_path: str) -> dict[str, Any]:
    """The ``sources.peer`` section of the spec at ``spec_path`` (without its ``weight``), as
    :func:`~evalkit.sources.peer.compare_schemes` and the ``peer`` source take it.

    Raises
    ------
    SpecError
        The spec has no peer source (or any problem :func:`~evalkit.validate.load_spec` finds).
    """
    spec = load_spec(spec_path)
    if "peer" not in spec.sources:
        raise SpecError("the spec has no peer source; add sources.peer", "sources")
    return spec.source_config("peer")
