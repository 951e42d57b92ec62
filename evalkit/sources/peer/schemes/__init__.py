"""Peer-rating schemes (互评计分方法) as one registry, :data:`SCHEMES`.

The registry, the :class:`Design` and the scheme signature are in
:mod:`~evalkit.sources.peer.schemes.base`; the schemes come in three families, registered in
this order:

- :mod:`~evalkit.sources.peer.schemes.means` — ``mean``, ``median``, ``trimmed_mean``,
  ``winsorized_mean``, ``zscore``, ``group_weighted``, ``borda`` (any design);
- :mod:`~evalkit.sources.peer.schemes.raters` — rater-bias models ``additive``, ``pg1``,
  ``vancouver`` (a connected design);
- :mod:`~evalkit.sources.peer.schemes.pairwise` — ``peerrank`` (a complete design) and
  ``bradley_terry`` (a connected design).

:mod:`~evalkit.sources.peer.schemes.design` checks that a rating matrix meets a scheme's
design requirement (:func:`check_design`).

Examples
--------
>>> list(SCHEMES)[:3], SCHEMES["additive"].requires, SCHEMES["borda"].output
(['mean', 'median', 'trimmed_mean'], 'connected', 'share')
"""
# ruff: noqa: I001  (the import order of the families is the registration order)

from evalkit.sources.peer.schemes.base import SCHEMES, Design, scheme
from evalkit.sources.peer.schemes.means import (
    borda,
    group_weighted,
    mean,
    median,
    trimmed_mean,
    winsorized_mean,
    zscore,
)
from evalkit.sources.peer.schemes.raters import additive, additive_fit, pg1, vancouver
from evalkit.sources.peer.schemes.pairwise import (
    bradley_terry,
    bt_newton,
    pairwise_wins,
    peerrank,
)
from evalkit.sources.peer.schemes.design import check_design, components, design_problems

__all__ = [
    "SCHEMES", "Design", "additive", "additive_fit", "borda", "bradley_terry", "bt_newton",
    "check_design", "components", "design_problems", "group_weighted", "mean", "median",
    "pairwise_wins", "peerrank", "pg1", "scheme", "trimmed_mean", "vancouver",
    "winsorized_mean", "zscore",
]
