"""Schemes from the raters' standing and from pairwise preferences: PeerRank and Bradley–Terry.

- :func:`peerrank` — Walsh (2014): a rater's ratings weigh as much as its own grade (a fixed
  point over the rater–ratee graph; needs a complete design);
- :func:`bradley_terry` — every ballot broken into pairwise preferences
  (:func:`pairwise_wins`), Bradley–Terry strengths by Newton's method (:func:`bt_newton`).

Both return shares in [0, 1] and are deterministic.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from evalkit.core.errors import MethodError
from evalkit.sources.peer.schemes.base import (
    Design,
    as_batch,
    colmean,
    rater_units,
    safe_div,
    scheme,
    unbatch,
)


def alpha_beta_problems(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """PeerRank's weights: ``0 ≤ α``, ``0 ≤ β``, ``α + β ≤ 1``.

    >>> alpha_beta_problems({"alpha": 0.8, "beta": 0.4})
    [('beta', 'need 0 ≤ α, 0 ≤ β, α+β ≤ 1; got α=0.8, β=0.4')]
    """
    a, b = params.get("alpha", 0.5), params.get("beta", 0.0)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b)):
        return []       # a problem of the types
    if not (0 <= a and 0 <= b and a + b <= 1):
        return [("alpha" if a < 0 else "beta", f"need 0 ≤ α, 0 ≤ β, α+β ≤ 1; got α={a}, "
                                                f"β={b}")]
    return []


@scheme("peerrank", requires="complete", output="share", value_problems=alpha_beta_problems)
def peerrank(R: Any, design: Design | None = None, alpha: float = 0.5, beta: float = 0.0,
             scale: tuple[float, float] | None = None, n_iter: int = 200,
             tol: float = 1e-8) -> np.ndarray:
    """PeerRank (Walsh 2014): a rater's ratings weigh as much as its own grade.

    Ratings are mapped to [0, 1] by ``scale = (lo, hi)`` (default: the smallest and largest
    rating). ``X⁰_j = mean_r A_rj``; ``X^{t+1}_j = (1−α−β) X^t_j + α Σ_r X^t_{u(r)} A_rj /
    Σ_r X^t_{u(r)} + β (1 − mean_i |A_{r(j) i} − X^t_i|)`` where ``u(r)`` is the unit of rater
    ``r`` (``design.rater_unit``; outside raters weigh the mean grade) and the β term rewards
    accurate grading. Needs a complete design (every unit rates every other, as in the
    paper); deterministic fixed point; returns grades in [0, 1].
    Reference: Walsh (2014), "The PeerRank method for peer assessment", *ECAI 2014*.

    Examples
    --------
    >>> R = np.array([[np.nan, 0.6, 0.9], [0.2, np.nan, 0.8], [0.3, 0.5, np.nan]])
    >>> s = peerrank(R, scale=(0, 1))
    >>> bool(s[0] < s[1] < s[2])
    True
    """
    A, lead = as_batch(R)
    _, m, n = A.shape
    for param, msg in alpha_beta_problems({"alpha": alpha, "beta": beta}):
        raise MethodError(msg, f"peerrank.{param}")
    ru = rater_units(design, m, n, "peerrank")
    if scale is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo = np.nanmin(A, axis=(1, 2), keepdims=True)
            hi = np.nanmax(A, axis=(1, 2), keepdims=True)
    else:
        lo, hi = float(scale[0]), float(scale[1])
    span = np.where(np.asarray(hi - lo) > 0, hi - lo, 1.0)
    G = (A - lo) / span
    W = (~np.isnan(G)).astype(float)
    Gz = np.where(W > 0, G, 0.0)
    U = np.zeros((m, n))
    inside = ru >= 0
    U[np.flatnonzero(inside), ru[inside]] = 1.0
    X = colmean(G)
    Xf = np.nan_to_num(X, nan=0.5)
    has_ballot = U.sum(0) > 0
    for _ in range(int(n_iter)):
        w = np.where(inside[None, :], Xf @ U.T, Xf.mean(1, keepdims=True))  # (B, m)
        cons = safe_div(np.einsum("br,brj->bj", w, Gz), np.einsum("br,brj->bj", w, W))
        new = (1 - alpha - beta) * Xf + alpha * np.where(np.isnan(cons), Xf, cons)
        if beta > 0:
            acc_r = 1.0 - safe_div((W * np.abs(Gz - Xf[:, None, :])).sum(2), W.sum(2))
            acc_u = safe_div(np.nan_to_num(acc_r) @ U, np.ones_like(acc_r) @ U)
            new = new + beta * np.where(has_ballot[None, :], acc_u, Xf)
        done = np.max(np.abs(new - Xf)) < tol
        Xf = new
        if done:
            break
    return unbatch(np.where(np.isnan(X), np.nan, Xf), lead)


def pairwise_wins(R: Any) -> np.ndarray:
    """Rank-breaking: ``C[..., i, j]`` = number of ballots rating ``i`` above ``j`` (+½ tie).

    Examples
    --------
    >>> pairwise_wins([[1.0, 2.0, 2.0]]).tolist()
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.5], [1.0, 0.5, 0.0]]
    """
    A, lead = as_batch(R)
    gt = (A[:, :, :, None] > A[:, :, None, :]).sum(1, dtype=np.int32)
    eq = (A[:, :, :, None] == A[:, :, None, :]).sum(1, dtype=np.int32)
    C = gt + 0.5 * eq
    idx = np.arange(A.shape[2])
    C[:, idx, idx] = 0.0
    return C.reshape((*lead, A.shape[2], A.shape[2]))


def bt_newton(C: np.ndarray, n_iter: int = 50, tol: float = 1e-8) -> np.ndarray:
    """Bradley–Terry ML log-strengths from win counts ``C`` (..., n, n), batched Newton.

    Log-likelihood ``ℓ(θ) = Σ_ij C_ij log σ(θ_i − θ_j)``; gradient ``g_i = W_i − Σ_j N_ij
    σ(θ_i − θ_j)`` (``W_i = Σ_j C_ij``, ``N = C + Cᵀ``), Hessian ``−L`` with ``L`` the
    Laplacian of ``N_ij σ_ij (1 − σ_ij)``; the step solves ``(L + 11ᵀ) Δ = g`` (the ``11ᵀ``
    term fixes the free location; ``Σ θ = 0``). ``ℓ`` is concave, and the step is halved
    until ``ℓ`` does not decrease. Reference: Hunter (2004), *Ann. Statist.* 32(1), 384–406
    (the model and its ML estimate).

    Examples
    --------
    >>> th = bt_newton(np.array([[0.0, 3.0], [1.0, 0.0]]))
    >>> round(float(th[0] - th[1]), 6) == round(float(np.log(3.0)), 6)
    True
    """
    C = np.asarray(C, dtype=float)
    lead = C.shape[:-2]
    n = C.shape[-1]
    C = C.reshape(-1, n, n)
    N = C + C.transpose(0, 2, 1)
    Wn = C.sum(-1)
    theta = np.zeros(Wn.shape)
    ones = np.ones((n, n))

    def loglik(t: np.ndarray) -> np.ndarray:
        d = t[:, :, None] - t[:, None, :]
        return -(C * np.logaddexp(0.0, -d)).sum((1, 2))

    ll = loglik(theta)
    for _ in range(int(n_iter)):
        d = theta[:, :, None] - theta[:, None, :]
        sig = 1.0 / (1.0 + np.exp(-d))
        g = Wn - (N * sig).sum(-1)
        H = N * sig * (1.0 - sig)
        L = np.eye(n)[None] * H.sum(-1)[:, :, None] - H
        step = np.linalg.solve(L + ones[None], g[..., None])[..., 0]
        t_new, ll_new = theta + step, loglik(theta + step)
        for _h in range(20):  # step halving (rarely needed)
            worse = ll_new < ll - 1e-10 * (1.0 + np.abs(ll))  # beyond rounding
            if not worse.any():
                break
            step = np.where(worse[:, None], step / 2, step)
            t_new = theta + step
            ll_new = loglik(t_new)
        done = np.max(np.abs(t_new - theta)) < tol
        theta, ll = t_new - t_new.mean(1, keepdims=True), ll_new
        if done:
            break
    return theta.reshape((*lead, n))


@scheme("bradley_terry", requires="connected", output="share")
def bradley_terry(R: Any, design: Design | None = None, alpha: float = 0.1) -> np.ndarray:
    """Bradley–Terry model on rank-broken pairs; score = mean win probability.

    Every ballot is broken into its pairwise preferences (``i`` above ``j``: one win; ties:
    half a win each); ``α`` pseudo-wins per ordered pair regularise the fit (the model has no
    finite ML estimate when a unit never loses). ``P(i ≻ j) = 1 / (1 + exp(θ_j − θ_i))``;
    ``θ`` by maximum likelihood (batched Newton, :func:`bt_newton`; checked against
    ``choix`` in the tests); ``s_i = mean_{j≠i} P(i ≻ j)`` in [0, 1]. Needs a connected
    design; deterministic.
    Reference: Bradley & Terry (1952), *Biometrika* 39; Hunter (2004).

    Examples
    --------
    >>> s = bradley_terry([[1.0, 2.0, 3.0], [1.0, 3.0, 2.0], [2.0, 1.0, 3.0]])
    >>> bool(s[2] > s[1] > s[0])
    True
    """
    A, lead = as_batch(R)
    n = A.shape[2]
    C = pairwise_wins(A) + alpha * (1.0 - np.eye(n))
    theta = bt_newton(C)
    P = 1.0 / (1.0 + np.exp(theta[:, None, :] - theta[:, :, None]))
    s = (P.sum(-1) - 0.5) / max(n - 1, 1)
    s = np.where((~np.isnan(A)).sum(1) > 0, s, np.nan)
    return unbatch(s, lead)
