"""Design checks: is a rating matrix one a scheme can score?

A scheme's ``requires`` (see :mod:`evalkit.sources.peer.schemes.base`) is ``any``,
``connected`` (the rater–ratee graph is in one part) or ``complete`` (every rater rates every
ratee but its own unit). :func:`check_design` raises a :class:`MethodError` naming what is
missing; :func:`components` labels the connected parts.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from evalkit.core.errors import MethodError
from evalkit.sources.peer.schemes.base import SCHEMES


def components(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected parts of the rater–ratee graph: a label per rater and per ratee (-1: none).

    Raters and ratees are the nodes, ratings the edges; scores from a model with rater
    effects are comparable only within one part.

    Examples
    --------
    >>> R = np.array([[1.0, np.nan], [np.nan, 2.0]])
    >>> [x.tolist() for x in components(R)]
    [[0, 1], [0, 1]]
    """
    obs = ~np.isnan(np.asarray(R, dtype=float))
    m, n = obs.shape
    rr, cc = np.nonzero(obs)
    g = coo_matrix((np.ones(rr.size), (rr, m + cc)), shape=(m + n, m + n))
    _, lab = connected_components(g, directed=False)
    used = np.concatenate([obs.any(1), obs.any(0)])
    _, lab = np.unique(np.where(used, lab, -1), return_inverse=True)
    lab = lab - (0 if used.all() else 1)
    return lab[:m], lab[m:]


def design_problems(R: np.ndarray, requires: str,
                    rater_unit: np.ndarray | None = None) -> list[str]:
    """What in a single rating matrix violates a scheme's design requirement (empty if fine).

    ``rater_unit`` (column of each ballot's own unit, ``-1`` for outsiders; default the
    diagonal of a square ``R``) marks the cells a complete design may leave empty.

    Examples
    --------
    >>> R = np.array([[np.nan, 1.0, 2.0], [3.0, np.nan, np.nan], [4.0, 5.0, np.nan]])
    >>> design_problems(R, "complete")
    ['1 rating(s) missing in a design that must be complete (ballots [1] …)']
    """
    A = np.asarray(R, dtype=float)
    obs = ~np.isnan(A)
    m, n = A.shape
    out: list[str] = []
    unrated = np.flatnonzero(obs.sum(0) == 0)
    if unrated.size and requires != "any":
        out.append(f"{unrated.size} ratee(s) have no rating (columns {unrated[:5].tolist()})")
    if requires == "complete":
        expect = np.ones((m, n), bool)
        ru = (np.arange(n) if m == n else np.full(m, -1)) if rater_unit is None \
            else np.asarray(rater_unit)
        own = ru >= 0
        expect[np.flatnonzero(own), ru[own]] = False
        gaps = expect & ~obs
        if gaps.any():
            r = np.flatnonzero(gaps.any(1))
            out.append(f"{int(gaps.sum())} rating(s) missing in a design that must be "
                       f"complete (ballots {r[:5].tolist()} …)")
    if requires == "connected":
        rl, cl = components(A)
        k_used = np.unique(np.concatenate([rl, cl])[np.concatenate([rl, cl]) >= 0]).size
        if k_used > 1:
            out.append(f"the rater–ratee graph falls into {k_used} disconnected parts, so "
                       "scores in different parts are not comparable")
    return out


def check_design(R: np.ndarray, key: str, where: str | None = None,
                 rater_unit: np.ndarray | None = None) -> None:
    """Raise :class:`MethodError` when ``R`` does not meet scheme ``key``'s requirement.

    Examples
    --------
    >>> R = np.array([[np.nan, 1.0, 2.0], [3.0, np.nan, np.nan], [4.0, 5.0, np.nan]])
    >>> check_design(R, "peerrank")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evalkit.core.errors.MethodError: scheme 'peerrank' needs a complete design: 1 rating(s) ...
    """
    func = SCHEMES.get(key, where)
    probs = design_problems(R, func.requires, rater_unit)
    if probs:
        raise MethodError(f"scheme {key!r} needs a {func.requires} design: " + "; ".join(probs)
                          + "; expected a fuller design or a scheme for any design (e.g. "
                          "'mean', 'trimmed_mean')", where)
