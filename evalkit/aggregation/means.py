"""Aggregation methods: one registry, used by the evaluation and by the Monte Carlo.

Every method has one signature::

    method(X, W) -> (agg, shares)

``X`` (units × children) holds the children's scores, ``W`` their weights for each unit
(0 where a child does not apply or is dropped as missing; rows need not sum to 1). ``agg``
is the parent's score per unit, ``shares`` (units × children, rows summing to 1 or all 0)
say how the parent's score is allotted to its children for the decomposition into
contributions.

Traits tell a batched computation (many weight vectors at once) what it needs:

- ``generator`` (:class:`Generator`: ``f``, ``f⁻¹`` and whether ``f(0)`` is infinite): the
  method is the weighted *quasi-arithmetic mean*
  ``M_f(x; w) = f⁻¹(Σ w_i f(x_i) / Σ w_i)`` (Kolmogorov–Nagumo; Hardy, Littlewood & Pólya
  1934, *Inequalities*, §3.1): identity for the arithmetic, ``ln`` for the geometric,
  ``1/x`` for the harmonic mean. Its numerator and denominator are linear in the weights,
  so many weight vectors are one matrix product on the transformed scores ``f(X)``; the
  value comes back through :func:`quasi_mean_finish`, the one place that applies ``f⁻¹``
  and the conventions for empty rows and zeros;
- ``value``: the value-only function ``(X, W) -> agg`` (…, children), for methods
  without a generator (the weighted median), evaluated on chunks of a broadcast;
  ``presorted=True``: it also takes ``order``, the argsort of the scores, so that scores
  shared by many weight vectors are sorted once;
- ``nonnegative=True``: scores must be ≥ 0 (:func:`check_domain`).

Decomposition convention: the parent's score is allotted *pro rata* to the children's
weighted scores, ``share_i = w_i x_i / Σ_j w_j x_j``. For the arithmetic mean this is exact
in the usual sense (contribution ``= w_i x_i / Σ w``); for the other means it is a stated
convention under which contributions still add up to the score.

Examples
--------
>>> import numpy as np
>>> agg, shares = AGGREGATION["arithmetic"](np.array([[80.0, 40.0]]), np.array([[3.0, 1.0]]))
>>> agg, shares
(array([70.]), array([[0.85714286, 0.14285714]]))
>>> AGGREGATION.having("generator")
['arithmetic', 'geometric', 'harmonic']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry

AGGREGATION = Registry("aggregation")


class Generator(NamedTuple):
    """The generator ``f`` of a quasi-arithmetic mean, its inverse, and whether ``f(0)`` is
    infinite (a zero score absorbs the mean: ``f⁻¹(±∞) = 0``)."""

    f: Callable[[np.ndarray], np.ndarray]
    finv: Callable[[np.ndarray], np.ndarray]
    absorbing: bool = False


def _identity(x: np.ndarray) -> np.ndarray:
    return x


IDENTITY = Generator(_identity, _identity)
LOG = Generator(np.log, np.exp, absorbing=True)
RECIPROCAL = Generator(np.reciprocal, np.reciprocal, absorbing=True)


def check_domain(method: str, X: np.ndarray, W: np.ndarray | None = None) -> None:
    """Raise when ``method`` needs scores ≥ 0 (trait ``nonnegative``) and a weighted score
    (``W > 0``; every score when ``W`` is None) is negative."""
    if not AGGREGATION.trait(method, "nonnegative"):
        return
    bad = X < 0 if W is None else (W > 0) & (X < 0)
    if np.any(bad):
        raise EvalkitError(f"{method} aggregation needs scores ≥ 0; a scoring such as z-score "
                           "gives negatives (use minmax or goalposts)")


def to_generator_space(X: np.ndarray, generator: Generator
                       ) -> tuple[np.ndarray, np.ndarray | None]:
    """``f(X)`` with its infinite values (``f(0)`` for ``ln`` and ``1/x``) set to 0, and their
    sign (+1, −1, 0; None for a generator that never absorbs): a child at an infinite ``f``
    absorbs the mean (see :func:`quasi_mean_finish`). NaN scores are read as 0, as the
    registry methods do."""
    if not generator.absorbing:
        return generator.f(np.nan_to_num(X)), None
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        F = generator.f(np.nan_to_num(X))
    inf = np.isinf(F)
    if not inf.any():
        return F, None
    return np.where(inf, 0.0, F), np.where(inf, np.sign(F), 0.0)


def quasi_mean_finish(num: np.ndarray, den: np.ndarray, absorbed: np.ndarray | None,
                      generator: Generator) -> np.ndarray:
    """The weighted quasi-arithmetic mean from its parts: ``f⁻¹(num / den)``.

    ``num = Σ w_i f(x_i)`` and ``den = Σ w_i`` over the children that enter (finite ``f``),
    ``absorbed`` the signed count of children with positive weight at an infinite ``f``
    (None: none). Conventions: no weight (``den = 0``) gives NaN; an absorbing child gives
    ``f⁻¹(±∞)`` — 0 for the geometric and harmonic means (no compensation for a zero
    score, the limit of the mean as the score tends to 0).
    """
    finv = generator.finv
    pos = den > 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        agg = finv(num / den)
        if absorbed is not None and absorbed.any():
            agg = np.where(absorbed > 0, finv(np.array(np.inf)),
                           np.where(absorbed < 0, finv(np.array(-np.inf)), agg))
    return agg if pos.all() else np.where(pos, agg, np.nan)


def quasi_mean(X: np.ndarray, W: np.ndarray, generator: Generator) -> np.ndarray:
    """Weighted quasi-arithmetic mean of each row: ``f⁻¹(Σ w_i f(x_i) / Σ w_i)``.

    Children with ``W ≤ 0`` are ignored. Reference: Hardy, Littlewood & Pólya (1934) §3.1;
    OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §6.

    Examples
    --------
    >>> import numpy as np
    >>> quasi_mean(np.array([[1.0, 4.0]]), np.ones((1, 2)), LOG).round(6).tolist()
    [2.0]
    """
    w = np.where(W > 0, W, 0.0)
    F, inf = to_generator_space(np.where(w > 0, X, 1.0), generator)
    absorbed = None if inf is None else np.where(w > 0, inf, 0.0).sum(axis=1)
    return quasi_mean_finish((w * F).sum(axis=1), w.sum(axis=1), absorbed, generator)


def weighted_median(X: np.ndarray, W: np.ndarray, order: np.ndarray | None = None
                    ) -> np.ndarray:
    """Weighted median of each row: the smallest child score whose cumulative weight
    reaches half. With equal weights and an even count this is the lower median (stated);
    children with ``W ≤ 0`` are ignored; a row without weight gives NaN.

    ``X`` and ``W`` are (…, children). ``order`` (``argsort`` of ``X`` along the children,
    broadcastable to ``W``) may be given when the same scores meet many weight vectors (X
    then needs only the dimensions of ``order``): children without weight may then sit
    anywhere in it, as they add nothing to the cumulative weight. Reference: COINr
    ``a_wmedian`` (weighted median).

    Examples
    --------
    >>> import numpy as np
    >>> weighted_median(np.array([[1.0, 2.0, 9.0]]), np.array([[1.0, 1.0, 3.0]])).tolist()
    [9.0]
    """
    Xn = np.nan_to_num(X)
    Wp = np.where(W > 0, W, 0.0)
    if order is None:
        order = np.argsort(np.where(Wp > 0, Xn, np.inf), axis=-1)
    xs = np.take_along_axis(Xn, order, axis=-1)
    cum = np.take_along_axis(Wp, np.broadcast_to(order, Wp.shape), axis=-1).cumsum(axis=-1)
    idx = np.minimum((cum < 0.5 * cum[..., -1:] - 1e-12).sum(axis=-1), X.shape[-1] - 1)
    agg = np.take_along_axis(np.broadcast_to(xs, Wp.shape), idx[..., None], axis=-1)[..., 0]
    return np.where(cum[..., -1] > 0, agg, np.nan)


def _prorata(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    wx = np.where(W > 0, W * np.nan_to_num(X), 0.0)
    tot = wx.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot != 0, wx / tot, 0.0)


@AGGREGATION.register("arithmetic", generator=IDENTITY)
def arithmetic(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted arithmetic mean ``Σ w_i x_i / Σ w_i`` (fully compensatory).

    Reference: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §6.1.
    """
    return quasi_mean(X, W, IDENTITY), _prorata(X, W)


@AGGREGATION.register("geometric", generator=LOG, nonnegative=True)
def geometric(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted geometric mean ``exp(Σ w_i ln x_i / Σ w_i)`` (partly compensatory).

    Zeros: a child scoring 0 with positive weight makes the parent 0 (the geometric mean's
    own limit: no compensation for a zero). Negative scores are an error (use a positive
    scoring such as min-max). Reference: OECD/JRC (2008) §6.2.
    """
    check_domain("geometric", X, W)
    return quasi_mean(X, W, LOG), _prorata(X, W)


@AGGREGATION.register("harmonic", generator=RECIPROCAL, nonnegative=True)
def harmonic(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted harmonic mean ``Σ w_i / Σ (w_i / x_i)``; a zero child makes the parent 0.

    Reference: COINr ``a_hmean``; Becker et al. (2017) on non-compensatory means.
    """
    check_domain("harmonic", X, W)
    return quasi_mean(X, W, RECIPROCAL), _prorata(X, W)


@AGGREGATION.register("median", value=weighted_median, presorted=True)
def median(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted median: the smallest child score whose cumulative weight reaches half.

    With equal weights and an even count this is the lower median (stated). Reference:
    COINr ``a_wmedian`` (weighted median).
    """
    return weighted_median(X, W), _prorata(X, W)
