"""Selection mechanisms for quota honours (top-k), with impartial ones.

A mechanism returns each ratee's *probability of selection* (0/1 for deterministic
mechanisms), shape ``(..., n)``, from ratings ``R`` of shape ``(..., m, n)``; like the
schemes it is vectorised over leading replication axes. A mechanism is *impartial* when
a unit's own ballot never changes its own selection probability (Holzman & Moulin 2013,
*Econometrica* 81(1)); ``impartiality_violations`` measures it.

Signature: ``mechanism(R, k, design=None, clusters=None, **params) -> probabilities``.
``clusters`` (shape ``(n,)``) partitions the ratees (e.g. by category); ``design.rater_unit``
maps ballots to units (identity for a square ``R``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from evalkit.core.errors import MethodError
from evalkit.core.registry import Registry
from evalkit.sources.peer.schemes import SCHEMES
from evalkit.sources.peer.schemes.base import Design, as_batch, rater_units, safe_div, unbatch

SELECTIONS = Registry("peer selection mechanism")


def _register(key: str, impartial: bool) -> Callable[[Callable[..., np.ndarray]],
                                                     Callable[..., np.ndarray]]:
    def deco(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        func.impartial = impartial  # type: ignore[attr-defined]
        SELECTIONS.register(key)(func)
        return func

    return deco


def _top_k_mask(score: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """1 for the ``k`` best of each row (NaN last; ties broken by position), else 0."""
    s = np.where(np.isnan(score), -np.inf, score)
    order = np.argsort(-s, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(s.shape[-1])[None, :], axis=-1)
    return (rank < np.asarray(k)[..., None]).astype(float)


def default_clusters(n: int, n_clusters: int = 4) -> np.ndarray:
    """Ratee ``j`` in cluster ``j mod ℓ`` — fixed in advance, independent of the ballots.

    Examples
    --------
    >>> default_clusters(10).tolist()
    [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    """
    return np.arange(n) % max(1, min(n_clusters, n // 2))


def _cluster_setup(R: Any, design: Design | None, clusters: Any, key: str):
    A, lead = as_batch(R)
    _, m, n = A.shape
    cl = default_clusters(n) if clusters is None else np.asarray(clusters)
    if cl.shape != (n,):
        raise MethodError(f"clusters has shape {cl.shape}; expected ({n},)", f"{key}.clusters")
    labels, cl = np.unique(cl, return_inverse=True)
    ru = rater_units(design, m, n, key)
    rater_cl = np.where(ru >= 0, cl[np.maximum(ru, 0)], -1)
    outside = rater_cl[:, None] != cl[None, :]  # rater may rate this ratee
    return A, lead, cl, len(labels), outside


def _rank_in_cluster(score: np.ndarray, cl: np.ndarray) -> np.ndarray:
    """0-based rank of each ratee within its cluster (best first; ties by position)."""
    s = np.where(np.isnan(score), -np.inf, score)
    out = np.zeros(s.shape, dtype=int)
    for c in np.unique(cl):  # loop over a handful of clusters, not units
        idx = np.flatnonzero(cl == c)
        order = np.argsort(-s[:, idx], axis=-1, kind="stable")
        r = np.empty_like(order)
        np.put_along_axis(r, order, np.arange(idx.size)[None, :], axis=-1)
        out[:, idx] = r
    return out


@_register("top_k", impartial=False)
def top_k(R: Any, k: int, design: Design | None = None, clusters: Any = None,
          scheme: str = "mean", params: dict | None = None) -> np.ndarray:
    """Plain top-k: the ``k`` ratees with the best score under ``scheme`` (not impartial).

    ``p_j = 1[rank_j ≤ k]``. A unit can raise its own chance by rating its rivals down.

    Examples
    --------
    >>> top_k(np.array([[np.nan, 1, 2.0], [3, np.nan, 1], [2, 3, np.nan]]), 1).tolist()
    [1.0, 0.0, 0.0]
    """
    A, lead = as_batch(R)
    s = SCHEMES.get(scheme, "selection.scheme")(A, design, **(params or {}))
    return unbatch(_top_k_mask(s, k), lead)


def _cluster_quotas(n_per: np.ndarray, k: int) -> np.ndarray:
    """Largest-remainder apportionment of ``k`` seats by cluster size (ballot-independent)."""
    q = k * n_per / n_per.sum()
    base = np.floor(q).astype(int)
    rest = k - base.sum()
    base[np.argsort(-(q - base), kind="stable")[:rest]] += 1
    return np.minimum(base, n_per)


@_register("partition", impartial=True)
def partition(R: Any, k: int, design: Design | None = None, clusters: Any = None) -> np.ndarray:
    """Partition mechanism: each cluster's seats are filled using only outside ratings.

    Ratees are split into clusters fixed in advance (e.g. categories); cluster ``c`` gets
    ``k_c`` seats by largest remainder on cluster sizes; its members are ranked by the mean
    rating received from raters *outside* ``c``; the best ``k_c`` are selected. A unit's
    ballot only touches other clusters, so the mechanism is impartial.
    Reference: Alon, Fischer, Procaccia & Tennenholtz (2011), "Sum of us: strategyproof
    selection from the selectors", *TARK XIII*.

    Examples
    --------
    >>> R = np.array([[np.nan, 9, 5, 5], [9, np.nan, 9, 1], [1, 9, np.nan, 9],
    ...               [1, 5, 9, np.nan]])
    >>> partition(R, 2, clusters=[0, 0, 1, 1]).tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    A, lead, cl, C, outside = _cluster_setup(R, design, clusters, "partition")
    Ao = np.where(outside[None], A, np.nan)
    obs = ~np.isnan(Ao)
    s = safe_div(np.where(obs, Ao, 0.0).sum(1), obs.sum(1))
    kc = _cluster_quotas(np.bincount(cl, minlength=C), int(k))
    rank = _rank_in_cluster(s, cl)
    return unbatch((rank < kc[cl][None, :]).astype(float), lead)


def dollar_shares(R: Any, design: Design | None = None, clusters: Any = None,
                  floor: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dollar-partition shares: ``(share per cluster (B, C), dollars per ratee (B, n), cl)``.

    Rater ``r`` splits one dollar over the ratees outside its cluster in proportion to
    ``max(x_rj − floor, 0)`` (equal split for a ballot of zeros); ``share_c = Σ_r dollars to
    c / #raters``. ``floor`` (the bottom of the rating scale) is a constant fixed in advance:
    a floor taken from the data would let one ballot move everyone's dollars.

    Examples
    --------
    >>> R = np.array([[np.nan, 9, 5, 5], [9, np.nan, 9, 1], [1, 9, np.nan, 9],
    ...               [1, 5, 9, np.nan]])
    >>> share, recv, cl = dollar_shares(R, clusters=[0, 0, 1, 1])
    >>> np.round(share, 3).tolist()
    [[0.5, 0.5]]
    """
    A, _, cl, C, outside = _cluster_setup(R, design, clusters, "dollar_partition")
    Ao = np.where(outside[None], A, np.nan)
    obs = ~np.isnan(Ao)
    x = np.where(obs, np.maximum(Ao - float(floor), 0.0), 0.0)
    tot = x.sum(2, keepdims=True)
    cnt = obs.sum(2, keepdims=True)
    dollars = np.where(tot > 0, x / np.where(tot > 0, tot, 1.0), obs / np.maximum(cnt, 1))
    voters = (cnt[..., 0] > 0).sum(1, keepdims=True)
    onehot = (cl[:, None] == np.arange(C)[None, :]).astype(float)
    share = dollars.sum(1) @ onehot / np.maximum(voters, 1)
    recv = safe_div(dollars.sum(1), obs.sum(1))
    return share, recv, cl


@_register("dollar_partition", impartial=True)
def dollar_partition(R: Any, k: int, design: Design | None = None, clusters: Any = None,
                     floor: float = 0.0) -> np.ndarray:
    """Exact Dollar Partition: cluster quotas from outside ratings, randomised rounding.

    Each rater splits one dollar over the ratees outside its cluster (:func:`dollar_shares`);
    cluster ``c`` receives share ``s_c`` and quota ``q_c = min(k·s_c, |c|)``; it fills
    ``⌊q_c⌋`` seats for sure and one more with probability ``q_c − ⌊q_c⌋`` (systematic
    sampling gives exactly ``k`` seats when no quota is capped: :func:`draw_dollar_partition`).
    Members are ranked by the mean dollar received from outside. The returned selection
    probabilities depend on a unit's own ballot neither through its cluster's share nor
    through its rank, so the mechanism is impartial (in probability).
    Reference: Aziz, Lev, Mattei, Rosenschein & Walsh (2019), "Strategyproof peer selection
    using randomization, partitioning, and apportionment", *Artificial Intelligence* 275.

    Examples
    --------
    >>> R = np.array([[np.nan, 9, 5, 5], [9, np.nan, 9, 1], [1, 9, np.nan, 9],
    ...               [1, 5, 9, np.nan]])
    >>> dollar_partition(R, 2, clusters=[0, 0, 1, 1]).round(3).tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    A, lead = as_batch(R)
    share, recv, cl = dollar_shares(A, design, clusters, floor)
    q = np.minimum(int(k) * share, np.bincount(cl)[None, :])
    rank = _rank_in_cluster(recv, cl)
    qj = q[:, cl]
    fl = np.floor(qj + 1e-12)
    p = np.where(rank < fl, 1.0, np.where(rank == fl, qj - fl, 0.0))
    return unbatch(np.clip(p, 0.0, 1.0), lead)


def draw_dollar_partition(R: Any, k: int, rng: np.random.Generator,
                          design: Design | None = None, clusters: Any = None,
                          floor: float = 0.0) -> np.ndarray:
    """One realised Exact Dollar Partition selection (0/1, shape (..., n)).

    Cluster quotas are rounded by systematic sampling: with ``u ~ U(0, 1)`` and ``F`` the
    running sum of the fractional parts, cluster ``c`` gets ``⌈q_c⌉`` seats when an integer
    ``t`` has ``u + t ∈ [F_{c−1}, F_c)``; so ``P(⌈q_c⌉) = q_c − ⌊q_c⌋`` and the seats add up to
    ``Σ q_c`` (``k`` unless a quota was capped at a cluster's size).

    Examples
    --------
    >>> R = np.array([[np.nan, 9, 5, 5], [9, np.nan, 9, 1], [1, 9, np.nan, 9],
    ...               [1, 5, 9, np.nan]])
    >>> draw_dollar_partition(R, 2, np.random.default_rng(0), clusters=[0, 0, 1, 1]).tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    A, lead = as_batch(R)
    share, recv, cl = dollar_shares(A, design, clusters, floor)
    q = np.minimum(int(k) * share, np.bincount(cl)[None, :])
    fl = np.floor(q + 1e-12)
    F = np.cumsum(q - fl, axis=1)
    F0 = np.concatenate([np.zeros((F.shape[0], 1)), F[:, :-1]], axis=1)
    u = rng.random((F.shape[0], 1))
    extra = (np.floor(F - u + 1.0 - 1e-12) - np.floor(F0 - u + 1.0 - 1e-12)) > 0
    quota = fl + extra
    rank = _rank_in_cluster(recv, cl)
    return unbatch((rank < quota[:, cl]).astype(float), lead)


def impartiality_violations(R: Any, k: int, mechanism: str, units: np.ndarray,
                            ballots: np.ndarray, design: Design | None = None,
                            **kwargs: Any) -> np.ndarray:
    """Does a unit's own ballot change its own selection? (per replication, bool)

    For replication ``b``, unit ``units[b]`` replaces its ballot (row ``units[b]`` of a square
    ``R``) by ``ballots[b]`` (NaN where it rated nobody stays NaN); a violation is any change
    of its selection probability.

    Examples
    --------
    >>> R = np.array([[np.nan, 5, 6.0], [5, np.nan, 6], [4, 9, np.nan]])
    >>> bool(impartiality_violations(R, 1, "top_k", 2, np.array([0.0, 0, 0])))
    True
    >>> bool(impartiality_violations(R, 1, "partition", 2, np.array([0.0, 0, 0]),
    ...                              clusters=[0, 1, 1]))
    False
    """
    A, lead = as_batch(R)
    B = A.shape[0]
    func = SELECTIONS.get(mechanism, "selection.mechanism")
    A2 = A.copy()
    rows = np.arange(B)
    units = np.broadcast_to(np.asarray(units, dtype=int), (B,))
    new = np.asarray(ballots, dtype=float).reshape(B, -1)
    A2[rows, units, :] = np.where(np.isnan(A[rows, units, :]), np.nan, new)
    p0 = func(A, k, design, **kwargs)
    p1 = func(A2, k, design, **kwargs)
    return (np.abs(p0[rows, units] - p1[rows, units]) > 1e-9).reshape(lead)
