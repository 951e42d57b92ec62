"""Weights drawn around the nominal weights, on the simplex of each set of siblings.

Every node's children (indicators and nodes) form a set of siblings whose weights are
shares summing to 1. A replication perturbs the shares of the items at the chosen levels of
the tree and stays on the simplex of each set — weights are never drawn "uniform, then
normalised over everything", which would neither centre on the nominal weights nor respect
the tree:

- ``dirichlet``: ``w ~ Dir(c · w0)`` — mean ``w0``, variance ``w0 (1 − w0) / (c + 1)`` —
  drawn as gamma variates ``Γ(c · w0_i)`` normalised within the set (Devroye 1986,
  *Non-Uniform Random Variate Generation*, §XI.4.1; Saisana, Saltelli & Tarantola 2005,
  JRSS A 168(2));
- ``percent``: ``w_i = w0_i · U(1 − p, 1 + p)`` renormalised within the set — COINr's
  ``get_noisy_weights`` (``w + w · NoiseFactor · (2U − 1)`` per level; Becker et al. 2022,
  "COINr: An R package for developing composite indicators", JOSS 7(78) 4567; OECD/JRC 2008,
  *Handbook on Constructing Composite Indicators*, §7);
- ``none``: the nominal shares.

Levels are COINr's: 1 = the indicators (their weights within their node), 2 = the nodes
just above them, and so on up (:attr:`evalkit.spec.tree.Tree.levels`); ``level`` names one
level, a list of levels, or ``indicator`` (1), ``group`` (every node level) or ``both``. The
spread (``percent``, ``concentration``) may differ by level, as COINr's ``noise_specs``.

Normalisation is the aggregation's own (every mean divides by the sum of its weights) and,
for global weights, :meth:`evalkit.spec.tree.Tree.global_weights`. Replications come in
blocks of :data:`BLOCK`, block ``b`` drawn from its own stream
``SeedSequence(seed, spawn_key=(b,))``, so a replication's draws depend on the seed and its
index only — not on how the work is chunked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evalkit.analysis.uncertainty.problem import UncertaintyProblem
from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry
from evalkit.spec.tree import Tree, sibling_shares

PERTURBATION = Registry("weight perturbation")

#: which sets of siblings a named level perturbs: (indicators within nodes, nodes)
LEVELS = {"indicator": (True, False), "group": (False, True), "both": (True, True)}

#: replications per block of draws (each block has its own random stream)
BLOCK = 8192

#: a level: a name of :data:`LEVELS`, a COINr level number, or several numbers
Level = str | int | Sequence[int]
#: a spread: one number, or one per COINr level
Spread = float | Mapping[int, float]


def block_rng(seed: int, block: int) -> np.random.Generator:
    """The random stream of block ``block`` of replications: ``SeedSequence(seed,
    spawn_key=(block,))`` (independent streams, NumPy's ``SeedSequence.spawn``)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))


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
    """``w0_i · U(1 − p, 1 + p)`` (renormalised by the aggregation; COINr's noise)."""
    if not 0 <= percent < 1:
        raise EvalkitError(f"percent must be in [0, 1), got {percent}", "percent")
    return share * rng.uniform(1 - percent, 1 + percent, size=share.shape)


@PERTURBATION.register("none")
def no_noise(rng: np.random.Generator, share: np.ndarray, **_: Any) -> np.ndarray:
    """The nominal shares."""
    del rng
    return share


def item_levels(tree: Tree) -> np.ndarray:
    """COINr level of every item, indicators then nodes: 1 for an indicator, the node's
    :attr:`~evalkit.spec.tree.Tree.levels` for a node."""
    return np.concatenate([np.ones(len(tree.indicators), dtype=int),
                           np.asarray(tree.levels, dtype=int)])


def perturbed_levels(tree: Tree, level: Level) -> list[int]:
    """The COINr levels a ``level`` setting perturbs, ascending."""
    have = sorted(set(item_levels(tree).tolist()))
    if isinstance(level, str):
        if level not in LEVELS:
            raise EvalkitError(f"level must be one of {list(LEVELS)} or level numbers "
                               f"{have}, got {level!r}", "level")
        ind, node = LEVELS[level]
        return [L for L in have if (L == 1 and ind) or (L > 1 and node)]
    levels = [level] if isinstance(level, int | np.integer) else list(level)
    bad = [L for L in levels if isinstance(L, bool) or L not in have]
    if bad or not levels:
        raise EvalkitError(f"level numbers must be among the tree's levels {have} (1 = the "
                           f"indicators), got {level!r}", "level")
    return sorted({int(L) for L in levels})


def spread_at(value: Spread, level: int, name: str) -> float:
    """The spread (``percent`` or ``concentration``) at a COINr level."""
    if isinstance(value, Mapping):
        if level not in value:
            raise EvalkitError(f"{name} gives no value for level {level} (has "
                               f"{sorted(value)})", name)
        return float(value[level])
    return float(value)


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
                         perturb: str = "dirichlet", concentration: Spread = 100.0,
                         percent: Spread = 0.2, level: Level = "both",
                         option: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` sets of local weights: (replications × indicators, replications × nodes).

    ``perturb`` is a key of :data:`PERTURBATION`; ``level`` a key of :data:`LEVELS`, a COINr
    level number or a list of them (each level drawn in turn, ascending, with its own
    ``percent`` / ``concentration`` when those map levels to values); ``option[r]`` selects
    the nominal weights of replication r among ``p.weight_options`` (0 = nominal). Weights
    are on each set's scale; the aggregation normalises them.
    """
    draw = PERTURBATION.get(perturb, "perturb")
    levels = perturbed_levels(p.tree, level)
    opt = np.zeros(n, dtype=int) if option is None else np.asarray(option)
    iw, nw = local_shares(p, opt)
    shares = np.concatenate([iw, nw], axis=1)
    lev = item_levels(p.tree)
    for L in levels:
        cols = np.flatnonzero(lev == L)
        shares[:, cols] = draw(rng, shares[:, cols],
                               concentration=spread_at(concentration, L, "concentration"),
                               percent=spread_at(percent, L, "percent"))
    k = len(p.tree.indicators)
    return shares[:, :k], shares[:, k:]


def sample_weights(p: UncertaintyProblem, n: int, rng: np.random.Generator, *,
                   perturb: str = "dirichlet", concentration: Spread = 100.0,
                   percent: Spread = 0.2, level: Level = "both",
                   option: np.ndarray | None = None) -> np.ndarray:
    """Draw ``n`` global weight vectors around the nominal weights (indicators × n).

    The local weights of :func:`sample_local_weights` (``perturb``: ``dirichlet``,
    ``percent`` or ``none``; ``level``: ``indicator`` — indicators within their node,
    ``group`` — nodes within their parent, ``both``, or COINr level numbers) turned into
    global weights by :meth:`evalkit.spec.tree.Tree.global_weights` (the product of the
    shares down the tree); each column sums to 1.

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
