"""The registry of peer-rating schemes, the design they score, and their array helpers.

Every scheme has one signature::

    scheme(R, design=None, **params) -> scores

- ``R``: ratings, shape ``(..., m, n)`` — ``m`` ballots (raters) × ``n`` ratees, NaN where a
  rater did not rate a ratee (self-ratings, "不了解", sparse designs). Leading axes are
  *replications*: every scheme is vectorised over them, so the bench scores 300 simulated
  matrices in one call (:func:`as_batch` / :func:`unbatch`).
- ``design``: a :class:`Design` with the raters' groups, the ratees' groups and the unit each
  rater belongs to (for in-group terms, group weights and PeerRank).
- returns ``(..., n)``: one score per ratee (NaN for a ratee nobody rated).

Each scheme carries three attributes set by :func:`scheme` and read by
:func:`~evalkit.sources.peer.schemes.design.check_design` and by the source: ``requires``
(``"any"``, ``"connected"``: the rater–ratee graph must be connected, ``"complete"``: every
rater rates every ratee but itself), ``output`` (``"rating"``: on the input scale;
``"share"``: in [0, 1]) and ``deterministic``.

Examples
--------
>>> A, lead = as_batch([[1.0, np.nan], [3.0, 4.0]])
>>> A.shape, lead, unbatch(colmean(A), lead).tolist()
((1, 2, 2), (), [2.0, 4.0])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.core.errors import MethodError
from evalkit.core.registry import Registry

SCHEMES = Registry("peer scheme")


@dataclass(frozen=True)
class Design:
    """Who the raters and ratees are.

    Attributes
    ----------
    rater_group : ndarray, shape (m,), optional
        Group label of each ballot (e.g. ``township`` / ``dept``).
    ratee_group : ndarray, shape (n,), optional
        Group label of each ratee.
    rater_unit : ndarray of int, shape (m,), optional
        Column index of the ratee that the rater belongs to, ``-1`` for raters outside the
        rated units (leaders, representatives). Default for a square ``R``: ``arange(n)``.
    """

    rater_group: np.ndarray | None = None
    ratee_group: np.ndarray | None = None
    rater_unit: np.ndarray | None = None


def scheme(key: str, *, requires: str = "any", output: str = "rating",
           deterministic: bool = True,
           value_problems: Callable[[Mapping[str, Any]], list[tuple[str, str]]] | None = None,
           ) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Register a peer scheme under ``key`` with its design requirement and output scale.

    ``value_problems(params)`` lists ``(parameter, message)`` for values that fit their
    types but not the scheme (the rule the scheme itself enforces); the ``sources.peer``
    check reports them with their YAML path before any rating is read.
    """

    def deco(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        func.requires = requires  # type: ignore[attr-defined]
        func.output = output  # type: ignore[attr-defined]
        func.deterministic = deterministic  # type: ignore[attr-defined]
        SCHEMES.register(key, value_problems=value_problems)(func)
        return func

    return deco


# ---------------------------------------------------------------------------- array helpers
def as_batch(R: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """``R`` as float array of shape (B, m, n) plus the leading batch shape."""
    A = np.asarray(R, dtype=float)
    if A.ndim < 2:
        raise MethodError(f"ratings must be a matrix raters × ratees; got shape {A.shape}")
    lead = A.shape[:-2]
    return A.reshape((-1, *A.shape[-2:])), lead


def unbatch(x: np.ndarray, lead: tuple[int, ...]) -> np.ndarray:
    """Scores ``(B, n)`` back to the leading shape of the ratings: ``(..., n)``."""
    return x.reshape((*lead, x.shape[-1]))


def safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` where ``b > 0``, NaN elsewhere (no warnings)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def colmean(A: np.ndarray, W: np.ndarray | None = None) -> np.ndarray:
    """NaN-aware mean over raters (axis 1) of (B, m, n)."""
    obs = ~np.isnan(A)
    w = obs.astype(float) if W is None else np.where(obs, W, 0.0)
    return safe_div((np.where(obs, A, 0.0) * w).sum(1), w.sum(1))


def standardise(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-replication z-scores of all ratings: (Z, mu, sd) with mu, sd of shape (B, 1, 1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mu = np.nanmean(A, axis=(1, 2), keepdims=True)
        sd = np.nanstd(A, axis=(1, 2), keepdims=True)
    sd = np.where((sd > 0) & np.isfinite(sd), sd, 1.0)
    return (A - mu) / sd, mu, sd


def rater_units(design: Design | None, m: int, n: int, key: str) -> np.ndarray:
    """The column of each rater's own unit (``-1``: an outsider); the diagonal of a square
    ``R`` when the design does not say; a :class:`MethodError` naming scheme ``key`` else."""
    if design is not None and design.rater_unit is not None:
        ru = np.asarray(design.rater_unit, dtype=int)
        if ru.shape != (m,):
            raise MethodError(f"design.rater_unit has shape {ru.shape}; expected ({m},)", key)
        return ru
    if m == n:
        return np.arange(n)
    raise MethodError(f"scheme {key!r} needs design.rater_unit (the unit of each rater) when "
                      f"raters ({m}) are not the ratees ({n})", key)
