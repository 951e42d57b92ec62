"""Rater-bias models: scores with each rater's leniency (and reliability) estimated and removed.

- :func:`additive` — least squares ``x_rj = q_j + b_r (+ γ·in-group) + e_rj``
  (:func:`additive_fit` returns the biases and γ too);
- :func:`pg1` — Piech et al.'s (2013) PG1: bias and reliability per rater, posterior mode;
- :func:`vancouver` — de Alfaro & Shavlovsky's (2014) precision-weighted consensus.

Each needs a connected rater–ratee graph (scores in different parts are not comparable) and is
deterministic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evalkit.core.errors import MethodError
from evalkit.sources.peer.schemes.base import (
    Design,
    as_batch,
    colmean,
    scheme,
    standardise,
    unbatch,
)


def _standardised_ratings(R: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray,
                                                   np.ndarray, np.ndarray]:
    """Batch ``R`` and z-score each rater's ratings: (lead, Z, mu, sd, W, X) with W the mask
    of given ratings and X = Z with 0 where none was given."""
    A, lead = as_batch(R)
    Z, mu, sd = standardise(A)
    W = (~np.isnan(Z)).astype(float)
    return lead, Z, mu, sd, W, np.where(W > 0, Z, 0.0)


def additive_fit(R: Any, design: Design | None = None,
                 ingroup: bool = False) -> dict[str, np.ndarray]:
    """Least-squares fit of ``x_rj = q_j + b_r (+ γ·[group(r) = group(j)]) + e_rj``.

    Identification: ``Σ_r b_r = 0`` (a rater's bias is relative to the average rater).
    Solved exactly by the batched normal equations with a Lagrange row; a singular system
    (a disconnected design) falls back to the minimum-norm solution (pseudo-inverse).

    Returns
    -------
    dict
        ``quality`` (..., n), ``bias`` (..., m), ``ingroup`` (...,) (NaN when not fitted).

    Examples
    --------
    >>> R = np.array([[62.0, 72.0, np.nan], [np.nan, 68.0, 78.0], [60.0, np.nan, 80.0]])
    >>> fit = additive_fit(R)
    >>> np.round(fit["bias"], 6).tolist(), np.round(fit["quality"], 6).tolist()
    ([2.0, -2.0, 0.0], [60.0, 70.0, 80.0])
    """
    A, lead = as_batch(R)
    B, m, n = A.shape
    W = (~np.isnan(A)).astype(float)
    Y = np.where(W > 0, A, 0.0)
    k = n + m + 1 + int(ingroup)
    M = np.zeros((B, k, k))
    rhs = np.zeros((B, k))
    iq, ib, il = slice(0, n), slice(n, n + m), n + m
    M[:, iq, iq] = W.sum(1)[:, :, None] * np.eye(n)
    M[:, ib, ib] = W.sum(2)[:, :, None] * np.eye(m)
    M[:, iq, ib] = W.transpose(0, 2, 1)
    M[:, ib, iq] = W
    M[:, il, ib] = 1.0
    M[:, ib, il] = 1.0
    rhs[:, iq] = (W * Y).sum(1)
    rhs[:, ib] = (W * Y).sum(2)
    if ingroup:
        if design is None or design.rater_group is None or design.ratee_group is None:
            raise MethodError("an in-group term needs design.rater_group and "
                              "design.ratee_group", "additive.ingroup")
        same = (np.asarray(design.rater_group).astype(str)[:, None]
                == np.asarray(design.ratee_group).astype(str)[None, :]).astype(float)
        S = W * same
        ig = k - 1
        M[:, iq, ig] = M[:, ig, iq] = S.sum(1)
        M[:, ib, ig] = M[:, ig, ib] = S.sum(2)
        M[:, ig, ig] = S.sum((1, 2))
        rhs[:, ig] = (S * Y).sum((1, 2))
    try:
        theta = np.linalg.solve(M, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        theta = (np.linalg.pinv(M) @ rhs[..., None])[..., 0]
    q = np.where(W.sum(1) > 0, theta[:, iq], np.nan)
    gamma = theta[:, k - 1] if ingroup else np.full(B, np.nan)
    return {"quality": unbatch(q, lead), "bias": unbatch(theta[:, ib], lead),
            "ingroup": gamma.reshape(lead)}


@scheme("additive", requires="connected")
def additive(R: Any, design: Design | None = None, ingroup: bool = False) -> np.ndarray:
    """Additive rater-bias model fitted by least squares (rater leniency removed).

    ``x_rj = q_j + b_r (+ γ·[group(r) = group(j)]) + e_rj``, ``Σ_r b_r = 0``; ``s_j = q_j``,
    the rating an average rater would give. ``ingroup=True`` also removes a common in-group
    favour ``γ`` (townships rating townships). Needs a connected rater–ratee graph;
    deterministic. Identification caveat: with two groups only the *sum* of both groups'
    in-group favour is identified (favour of townships for townships is the same data as
    better townships plus a symmetric favour), and in a complete design with groups of equal
    size the term shifts every ratee alike; it changes ranks only in unbalanced or sparse
    designs. Reference: Wind & Engelhard; the two-way "rater effects" model of
    Linacre (1989), and Piech et al. (2013) model PG1 without the reliability term.

    Examples
    --------
    >>> R = np.array([[np.nan, 72.0, 82.0], [63.0, np.nan, 83.0], [55.0, 65.0, np.nan]])
    >>> np.round(additive(R), 6).tolist()
    [60.0, 70.0, 80.0]
    """
    return additive_fit(R, design, ingroup)["quality"]


@scheme("pg1", requires="connected")
def pg1(R: Any, design: Design | None = None, prior_score_sd: float = 1.0,
        prior_bias_sd: float = 0.5, alpha0: float = 2.0, beta0: float = 1.0,
        n_iter: int = 200, tol: float = 1e-6) -> np.ndarray:
    """Piech et al. (2013) model PG1: true score, rater bias and rater reliability.

    ``x_rj ~ N(s_j + b_r, 1/τ_r)``, ``s_j ~ N(0, σ_s²)``, ``b_r ~ N(0, σ_b²)``,
    ``τ_r ~ Gamma(α0, β0)`` on the per-replication standardised ratings; fitted by
    deterministic coordinate ascent to the posterior mode (instead of the paper's Gibbs
    sampler), so it is reproducible: ``b_r = τ_r Σ_j (x_rj − s_j) / (1/σ_b² + τ_r c_r)``,
    ``s_j = Σ_r τ_r (x_rj − b_r) / (1/σ_s² + Σ_r τ_r)``, ``τ_r = (α0 − 1 + c_r/2) /
    (β0 + ½ Σ_j e_rj²)``. Unreliable raters get small ``τ_r`` and little weight. Scores are
    returned on the rating scale. Needs a connected design.
    Reference: Piech, Huang, Chen, Do, Ng & Koller (2013), "Tuned models of peer assessment
    in MOOCs", *EDM 2013*.

    Examples
    --------
    >>> R = np.array([[60.0, 70.0, 80.0], [62.0, 71.0, 79.0], [90.0, 40.0, 60.0]])
    >>> s = pg1(R)
    >>> bool(s[0] < s[1] < s[2])
    True
    """
    lead, Z, mu, sd, W, X = _standardised_ratings(R)
    cr = W.sum(2)
    ps, pb = 1.0 / prior_score_sd**2, 1.0 / prior_bias_sd**2
    # sums over a rater's ratings as batched matrix-vector products (B, m, n) @ (B, n)
    Xr, X2r = X.sum(2), (X**2).sum(2)
    s = np.nan_to_num(colmean(Z))
    b = np.zeros(cr.shape)
    tau = np.ones(cr.shape)
    for _ in range(int(n_iter)):
        s_old = s
        Ws = np.einsum("brj,bj->br", W, s)
        b = tau * (Xr - Ws) / (pb + tau * cr)
        tb = tau * b
        s = (np.einsum("br,brj->bj", tau, X) - np.einsum("br,brj->bj", tb, W)) / (
            ps + np.einsum("br,brj->bj", tau, W))
        Ws = np.einsum("brj,bj->br", W, s)
        # Σ_j (x_rj − s_j − b_r)² over the ratees r rated, expanded
        sse = (X2r + np.einsum("brj,bj->br", W, s**2) + cr * b**2
               - 2 * np.einsum("brj,bj->br", X, s) - 2 * b * Xr + 2 * b * Ws)
        tau = (alpha0 - 1.0 + cr / 2.0) / (beta0 + 0.5 * np.maximum(sse, 0.0))
        if np.max(np.abs(s - s_old)) < tol:
            break
    s = np.where(W.sum(1) > 0, s, np.nan)
    return unbatch(mu[:, 0] + sd[:, 0] * s, lead)


@scheme("vancouver", requires="connected")
def vancouver(R: Any, design: Design | None = None, n_iter: int = 20,
              min_var: float = 0.01) -> np.ndarray:
    """The Vancouver algorithm (CrowdGrader): precision-weighted consensus.

    Iterate message passing on the rater–ratee graph (de Alfaro & Shavlovsky 2014, Alg. 1):
    the ratee-to-rater message is the precision-weighted mean of ratee ``j``'s other ratings,
    ``g_{j∖r} = Σ_{r'≠r} x_r'j / v_r'j / Σ_{r'≠r} 1/v_r'j``; the rater-to-ratee message is the
    rater's variance estimated on its *other* ratees,
    ``v_{rj} = mean_{j'≠j} (x_rj' − g_{j'∖r})²`` (floored at ``min_var``). Final score:
    ``s_j = Σ_r x_rj / v_r / Σ_r 1/v_r``. Works on standardised ratings, returned on the
    rating scale. Needs a connected design and two ratings per ratee; deterministic.
    Reference: de Alfaro & Shavlovsky (2014), "CrowdGrader: a tool for crowdsourcing the
    evaluation of homework assignments", *SIGCSE '14*; UCSC-SOE-13-11.

    Examples
    --------
    >>> R = np.array([[60.0, 70.0, 80.0], [61.0, 69.0, 81.0], [90.0, 20.0, 50.0],
    ...               [59.0, 71.0, 80.0]])
    >>> s = vancouver(R)
    >>> bool(s[0] < s[1] < s[2])
    True
    """
    lead, Z, mu, sd, W, X = _standardised_ratings(R)
    V = np.ones_like(X)  # v_{r -> j}
    # an edge (r, j) has a message from j only if j has another rater
    has = (W > 0) & (W.sum(1, keepdims=True) > 1)
    nr = has.sum(2, keepdims=True)
    others = np.maximum(nr - has, 1)
    for _ in range(int(n_iter)):
        P = W / V
        PX = P * X
        denom = P.sum(1, keepdims=True) - P
        G = (PX.sum(1, keepdims=True) - PX) / np.where(has, denom, 1.0)  # g_{j \ r}
        E = np.where(has, (X - G) ** 2, 0.0)
        Er = E.sum(2, keepdims=True)
        V = np.maximum(np.where(nr - has > 0, (Er - E) / others, 1.0), min_var)
    vr = np.where(nr > 0, np.maximum(Er / np.maximum(nr, 1), min_var), 1.0)
    s = colmean(Z, np.broadcast_to(1.0 / vr, Z.shape))
    return unbatch(mu[:, 0] + sd[:, 0] * s, lead)
