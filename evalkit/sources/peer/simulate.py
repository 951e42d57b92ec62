"""Simulated peer rating for the scheme bench: truth, honest raters, designs, scales, strategies.

Every array carries a leading replication axis ``B``, so one call simulates all Monte Carlo
replications of a cell, and every scenario and scheme sees the *same* draws (common random
numbers): scheme differences are then measured far more precisely than the metrics
themselves.

Model (units rate units; unit ``r``'s ballot is row ``r``; self-ratings missing)::

    z_rj = a_r · q_j + l_r + s_r · ε_rj,   q_j ~ N(0, 1),  l_r ~ N(0, 0.5²),
    a_r = exp(N(0, 0.25²)) (scale use),  s_r ~ U(0.4, 1.2) (precision),  ε ~ N(0, 1)

then mapped to the rating scale (:data:`SCALES`). Designs: ``full`` round robin (everyone
rates everyone else) or ``sparse`` (each rater rates a random 30 % of the others, at least 3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry
from evalkit.sources.peer.schemes import Design


@dataclass(frozen=True)
class Scale:
    """A rating scale: cut points on the latent ``z`` and the points of each level."""

    name: str
    cuts: tuple[float, ...]  # descending thresholds; empty = continuous 0–100
    points: tuple[float, ...]  # points per level, best first
    lo: float
    hi: float

    def map(self, Z: np.ndarray) -> np.ndarray:
        """Latent ``z`` to rating points (NaN stays NaN)."""
        if not self.cuts:
            return np.clip(np.round(80.0 + 8.0 * Z), self.lo, self.hi)
        out = np.full(Z.shape, self.points[-1])
        for c, p in zip(self.cuts[::-1], self.points[-2::-1], strict=True):
            out = np.where(Z > c, p, out)
        return np.where(np.isnan(Z), np.nan, out)


SCALES: dict[str, Scale] = {
    "100": Scale("100", (), (), 0.0, 100.0),
    "grade": Scale("grade", (0.8, -0.2, -1.2), (95.0, 85.0, 75.0, 60.0), 60.0, 95.0),
    "three": Scale("three", (0.3, -0.9), (100.0, 80.0, 60.0), 60.0, 100.0),
}


@dataclass
class World:
    """One cell's replications: truth, latent honest ratings and the design."""

    truth: np.ndarray  # (B, n)
    Z: np.ndarray  # (B, n, n) latent honest ratings, NaN off-design
    groups: np.ndarray  # (n,) township / dept
    bloc: np.ndarray  # (n,) bool: the manipulating bloc
    k: int  # seats of a top-k honour
    jitter: np.ndarray  # (B, n) tie-breaking keys

    @property
    def design(self) -> Design:
        n = self.truth.shape[1]
        return Design(rater_group=self.groups, ratee_group=self.groups,
                      rater_unit=np.arange(n))


def make_world(n: int, reps: int, design: str, rng: np.random.Generator) -> World:
    """Draw a cell's replications (see the module docstring).

    Examples
    --------
    >>> w = make_world(10, 3, "full", np.random.default_rng(0))
    >>> w.Z.shape, w.k, int(w.bloc.sum())
    ((3, 10, 10), 2, 2)
    """
    if design not in ("full", "sparse"):
        raise EvalkitError(f"unknown design {design!r}; expected full or sparse", "design")
    B = reps
    q = rng.standard_normal((B, n))
    lenient = rng.normal(0.0, 0.5, (B, n, 1))
    a = np.exp(rng.normal(0.0, 0.25, (B, n, 1)))
    s = rng.uniform(0.4, 1.2, (B, n, 1))
    Z = a * q[:, None, :] + lenient + s * rng.standard_normal((B, n, n))
    eye = np.eye(n, dtype=bool)[None]
    if design == "sparse":
        d = max(3, int(np.ceil(0.3 * (n - 1))))
        u = np.where(eye, 2.0, rng.random((B, n, n)))
        rank = np.argsort(np.argsort(u, axis=2), axis=2)
        off = rank >= d
    else:
        off = np.broadcast_to(eye, Z.shape)
    Z = np.where(off, np.nan, Z)
    groups = np.where(np.arange(n) < n // 2, "township", "dept")
    bloc = np.arange(n) < max(2, round(0.2 * n))
    return World(q, Z, groups, bloc, max(1, round(0.2 * n)), rng.random((B, n)))


Scenario = Callable[[World, Scale], tuple[np.ndarray, np.ndarray | None]]
SCENARIOS = Registry("peer bench scenario")


@SCENARIOS.register("honest")
def honest(w: World, sc: Scale) -> tuple[np.ndarray, np.ndarray | None]:
    """Everyone rates honestly (with leniency, scale and precision differences)."""
    return sc.map(w.Z), None


@SCENARIOS.register("collude")
def collude(w: World, sc: Scale) -> tuple[np.ndarray, np.ndarray | None]:
    """A bloc (20 % of units) rates its own members at the top of the scale."""
    R = sc.map(w.Z)
    cell = w.bloc[:, None] & w.bloc[None, :]
    return np.where(cell & ~np.isnan(R), sc.hi, R), w.bloc


@SCENARIOS.register("push_down")
def push_down(w: World, sc: Scale) -> tuple[np.ndarray, np.ndarray | None]:
    """A bloc rates every unit outside it at the bottom of the scale."""
    R = sc.map(w.Z)
    cell = w.bloc[:, None] & ~w.bloc[None, :]
    return np.where(cell & ~np.isnan(R), sc.lo, R), w.bloc


@SCENARIOS.register("all_push_top")
def all_push_top(w: World, sc: Scale) -> tuple[np.ndarray, np.ndarray | None]:
    """Every rater rates the k rivals it honestly rates highest at the bottom of the scale."""
    R = sc.map(w.Z)
    key = np.where(np.isnan(w.Z), -np.inf, w.Z)
    rank = np.argsort(np.argsort(-key, axis=2), axis=2)
    return np.where((rank < w.k) & ~np.isnan(R), sc.lo, R), None


@SCENARIOS.register("ingroup")
def ingroup(w: World, sc: Scale) -> tuple[np.ndarray, np.ndarray | None]:
    """Townships favour townships by one latent SD (departments rate honestly)."""
    town = w.groups == "township"
    return sc.map(w.Z + 1.0 * (town[:, None] & town[None, :])), town


@SCENARIOS.register("constant")
def constant(w: World, sc: Scale) -> tuple[np.ndarray, np.ndarray | None]:
    """20 % of raters give every ratee the top score (the bloc here: those raters)."""
    R = sc.map(w.Z)
    flat = w.bloc[::-1]
    return np.where(flat[None, :, None] & ~np.isnan(R), sc.hi, R), flat
