"""Weights drawn around the nominal weights, on the simplex of each set of siblings.

Every node's children (indicators and nodes) form a set of siblings whose weights are
shares summing to 1. A replication perturbs the shares of each set (``level``: the
indicators' sets, the nodes' sets, or both) and stays on the simplex:

- ``dirichlet``: ``w ~ Dir(c · w0)`` — mean ``w0``, variance ``w0 (1 − w0) / (c + 1)`` —
  drawn as gamma variates ``Γ(c · w0_i)`` normalised within the set (Devroye 1986,
  *Non-Uniform Random Variate Generation*, §XI.4.1; Saisana, Saltelli & Tarantola 2005,
  JRSS A 168(2));
- ``percent``: ``w_i = w0_i · U(1 − p, 1 + p)`` renormalised within the set (OECD/JRC 2008,
  *Handbook on Constructing Composite Indicators*, §7);
- ``none``: the nominal shares.

Normalisation is the aggregation's own (every mean divides by the sum of its weights) and,
for global weights, :meth:`evalkit.spec.tree.Tree.global_weights`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evalkit.analysis.uncertainty.problem import UncertaintyProblem
from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry
from evalkit.spec.tree import sibling_shares

PERTURBATION = Registry("weight perturbation")

#: which sets of siblings a level perturbs: (indicators within nodes, nodes within parents)
LEVELS = {"indicator": (True, False), "group": (False, True), "both": (True, True)}


def _gamma(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    out = np.zeros_like(alpha)
    pos = alpha > 0
    out[pos] = rng.standard_gamma(alpha[pos])
    return out


@PERTURBATION.register("dirichlet")
def dirichlet(rng: np.random.Generator, share: np.ndarray, concentration: float = 100.0,
              **_: Any) -> np.ndarray:
    """``Γ(c · w0_i) / c``: a ``Dir(c · w0)`` draw of each set once normalised."""
    if concentration <= 0:
        raise EvalkitError(f"concentration must be > 0, got {concentration}", "concentration")
    return _gamma(rng, concentration * share) / concentration


@PERTURBATION.register("percent")
def percent_noise(rng: np.random.Generator, share: np.ndarray, percent: float = 0.2,
                  **_: Any) -> np.ndarray:
    """``w0_i · U(1 − p, 1 + p)`` (renormalised by the aggregation)."""
    if not 0 <= percent < 1:
        raise EvalkitError(f"percent must be in [0, 1), got {percent}", "percent")
    return share * rng.uniform(1 - percent, 1 + percent, size=share.shape)


@PERTURBATION.register("none")
def no_noise(rng: np.random.Generator, share: np.ndarray, **_: Any) -> np.ndarray:
    """The nominal shares."""
    del rng
    return share


def local_shares(p: UncertaintyProblem, option: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nominal shares of the weight option of each replication (``option[r]``, 0 = nominal):
    replications × indicators and replications × nodes, each child's weight divided by the
    sum over its siblings (a node's indicators and child nodes form one set)."""
    _, iw0, nw0 = p.weight_arrays()
    t = p.tree
    shares = sibling_shares(np.concatenate([iw0, nw0], axis=1),
                            np.concatenate([t.ind_parent, t.node_parent]))[option]
    return shares[:, : len(t.indicators)], shares[:, len(t.indicators):]


def sample_local_weights(p: UncertaintyProblem, n: int, rng: np.random.Generator, *,
                         perturb: str = "dirichlet", concentration: float = 100.0,
                         percent: float = 0.2, level: str = "both",
                         option: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` sets of local weights: (replications × indicators, replications × nodes).

    ``perturb`` is a key of :data:`PERTURBATION`, ``level`` of :data:`LEVELS`;
    ``option[r]`` selects the nominal weights of replication r among ``p.weight_options``
    (0 = nominal). Weights are on each set's scale; the aggregation normalises them.
    """
    if level not in LEVELS:
        raise EvalkitError(f"level must be one of {list(LEVELS)}, got {level!r}", "level")
    draw = PERTURBATION.get(perturb, "perturb")
    opt = np.zeros(n, dtype=int) if option is None else np.asarray(option)
    iw, nw = local_shares(p, opt)
    settings = {"concentration": concentration, "percent": percent}
    do_ind, do_node = LEVELS[level]
    if do_ind:
        iw = draw(rng, iw, **settings)
    if do_node:
        nw = draw(rng, nw, **settings)
    return iw, nw


def sample_weights(p: UncertaintyProblem, n: int, rng: np.random.Generator, *,
                   perturb: str = "dirichlet", concentration: float = 100.0,
                   percent: float = 0.2, level: str = "both",
                   option: np.ndarray | None = None) -> np.ndarray:
    """Draw ``n`` global weight vectors around the nominal weights (indicators × n).

    The local weights of :func:`sample_local_weights` (``perturb``: ``dirichlet``,
    ``percent`` or ``none``; ``level``: ``indicator`` — indicators within their node,
    ``group`` — nodes within their parent, ``both``) turned into global weights by
    :meth:`evalkit.spec.tree.Tree.global_weights` (the product of the shares down the
    tree); each column sums to 1.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.analysis.uncertainty import UncertaintyProblem
    >>> s = pd.DataFrame(np.eye(3) * 100, columns=list("abc"))
    >>> p = UncertaintyProblem.from_weights(s, pd.Series({"a": .5, "b": .3, "c": .2}))
    >>> W = sample_weights(p, 5000, np.random.default_rng(0), concentration=200)
    >>> W.shape, np.allclose(W.sum(axis=0), 1), W.mean(axis=1).round(2).tolist()
    ((3, 5000), True, [0.5, 0.3, 0.2])
    """
    iw, nw = sample_local_weights(p, n, rng, perturb=perturb, concentration=concentration,
                                  percent=percent, level=level, option=option)
    return p.tree.global_weights(nw, iw)[1].T
