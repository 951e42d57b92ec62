"""Satisfaction rates and mean points with intervals: per unit × group × item, per unit × group,
per unit.

Conventions
-----------
- A *valid answer* is a substantive answer (not blank, not 不了解) on a kept ballot. Blanks and
  don't-knows are counted per cell (``n_blank``, ``n_dont_know``) and left out of every
  denominator.
- ``rate`` = Σ w·[satisfied] / Σ w over valid answers (satisfied = 满意 or 基本满意 on the
  three-level scale); ``mean_points`` = Σ w·points / Σ w (points on 0–100). ``w`` is the
  respondent's survey weight (1 when the table has no ``weight`` column).
- ``n`` counts respondents (ballots) with at least one valid answer in the cell; ``n_eff`` is
  Kish's effective n, (Σ u)² / Σ u², with u the respondent's total weight in the cell
  (w × number of valid answers). Unweighted, one answer each: ``n_eff = n``.
- Rate intervals: the chosen method (Wilson by default) at ``count = rate × n_eff`` and
  ``nobs = n_eff``, clipped to [0, 1] (a real clipping only for Agresti–Coull). A
  respondent's answers to several items are treated as one observation, which is
  conservative (the answers of one respondent are correlated).
- Mean-point intervals: t with the respondent-clustered (ratio-linearised) standard error, or a
  respondent bootstrap; where that interval has zero width (every valid answer of the cell
  carries the same points: se = 0) the bounded-mean Wilson interval
  ``100 × wilson(n_eff · mean / 100, n_eff)`` replaces it; the interval is then clipped to
  [0, 100] (:func:`~evalkit.sources.survey.intervals.points_interval`).
- ``degenerate`` (every level): True for a published cell whose rate or points interval was
  replaced for zero width or clipped to its scale — its ends are a convention, not the
  method's own interval. Suppressed cells and cells with no interval (effective n < 2) are
  never degenerate.
- Groups combine into the unit by the group weights W_g of the spec, renormalised over the
  groups *available* for the unit (with responses and not suppressed): the effective weights
  W̃_g are shown per unit. ``rate_u = Σ W̃_g rate_{u,g}``, likewise mean points; the unit's
  ``n_eff = 1 / Σ W̃_g² / n_eff_{u,g}`` (Kish, stratified). The unit's intervals come from the
  same kernel with every respondent's weight scaled by W̃_g / (group total weight).
- A unit's ``n`` counts all its respondents with a valid answer (every group), its ``n_eff`` is
  that of the combination (groups used only).
- Suppression: a cell with ``n_eff < min_n`` is *suppressed*: its estimates are NaN, its counts
  are kept, ``suppressed`` is True, and a suppressed group is not used for the unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.sources.survey.cells import CellStats, cell_stats
from evalkit.sources.survey.codebook import Codebook
from evalkit.sources.survey.intervals import (
    ZERO_WIDTH,
    points_interval,
    rate_clipped,
    rate_interval,
)
from evalkit.sources.survey.responses import BLANK, DONT_KNOW, SUBSTANTIVE, Encoded


def with_intervals(s: CellStats, rate_method: str = "wilson", mean_method: str = "t",
                   level: float = 0.95, min_n: float = 5, **mean_options: Any) -> dict[str, Any]:
    """Columns n … degenerate for a set of cells, suppressed below ``min_n`` effective n.

    Intervals as in the module docstring: the rate's clipped to [0, 1], the points' replaced
    by the bounded-mean Wilson interval at zero width and clipped to [0, 100]; ``degenerate``
    marks the published cells where either happened (or a rate interval has zero width).
    """
    count = s.rate * s.n_eff
    rlo, rhi = rate_interval(rate_method)(count, s.n_eff, level)
    pts = points_interval(s, mean_method, level, **mean_options)
    plo, phi = pts.lo, pts.hi
    suppressed = ~(s.n_eff >= min_n)
    rate_zero = np.isfinite(rlo) & np.isfinite(rhi) & (rhi - rlo <= ZERO_WIDTH / 100)
    degenerate = ~suppressed & (pts.zero_width | pts.clipped | rate_zero
                                | rate_clipped(rate_method, count, s.n_eff, level))

    def pub(x: np.ndarray, scale: float = 1.0) -> np.ndarray:
        return np.where(suppressed, np.nan, x * scale)

    return {"n": s.n.astype(np.int64), "n_eff": s.n_eff, "n_answers": s.n_answers.astype(np.int64),
            "rate": pub(s.rate), "rate_lo": pub(rlo), "rate_hi": pub(rhi),
            "mean_points": pub(s.mean), "points_se": pub(s.se), "points_lo": pub(plo),
            "points_hi": pub(phi),
            "suppressed": suppressed, "degenerate": degenerate}


@dataclass
class Aggregates:
    """The three levels as tidy tables."""

    by_item: pd.DataFrame
    by_group: pd.DataFrame
    by_unit: pd.DataFrame


@dataclass
class _Rows:
    """The answers of the kept ballots, per row of the responses: the group's position among
    the aggregated groups, the respondent's weight and the masks of each answer kind."""

    groups: pd.Index
    declared_w: np.ndarray  # the spec's weight of each group (1 when groups are not declared)
    grp: np.ndarray
    wrow: np.ndarray
    sub: np.ndarray
    dk: np.ndarray
    blank: np.ndarray


def _rows(enc: Encoded, keep: np.ndarray, codebook: Codebook) -> _Rows:
    groups = pd.Index(list(codebook.groups)) if codebook.groups else enc.groups
    gpos = groups.get_indexer(enc.groups)  # enc group code → position in ``groups``
    declared_w = np.array([codebook.groups[g].weight if codebook.groups else 1.0
                           for g in groups], dtype=float)
    kept = keep[enc.ballot] & (enc.unit >= 0)
    return _Rows(groups, declared_w, gpos[enc.group] if len(gpos) else enc.group,
                 enc.ballot_weight[enc.ballot], kept & (enc.kind == SUBSTANTIVE),
                 kept & (enc.kind == DONT_KNOW), kept & (enc.kind == BLANK))


def _by_item(enc: Encoded, r: _Rows, opts: dict[str, Any]) -> pd.DataFrame:
    """Unit × group × item: one row per cell with at least one kept answer."""
    ng, nqi = len(r.groups), max(len(enc.qitems), 1)
    kept = r.sub | r.dk | r.blank
    full_i = (enc.unit.astype(np.int64) * ng + r.grp) * nqi + enc.qitem
    ci, cu = pd.factorize(full_i[kept], sort=True)
    n_ci = len(cu)
    cell_i = np.full(len(full_i), -1, dtype=np.int64)
    cell_i[kept] = ci
    sub = r.sub
    si = cell_stats(cell_i[sub], enc.ballot[sub], r.wrow[sub], enc.sat[sub], enc.points[sub],
                    n_ci, one_per_ballot=True)
    qi, ug = cu % nqi, cu // nqi
    return pd.DataFrame({
        "unit_id": enc.units.to_numpy()[ug // ng],
        "group": r.groups.to_numpy()[ug % ng],
        "questionnaire": enc.qitems["questionnaire"].to_numpy()[qi],
        "item": enc.qitems["item"].to_numpy()[qi],
        "item_label": enc.qitems["label"].to_numpy()[qi],
        "item_label_en": enc.qitems["label_en"].to_numpy()[qi],
        "scale": enc.qitems["scale"].to_numpy()[qi],
        **with_intervals(si, **opts),
        "n_dont_know": np.bincount(cell_i[r.dk], minlength=n_ci),
        "n_blank": np.bincount(cell_i[r.blank], minlength=n_ci),
    })


@dataclass
class _GroupLevel:
    """Unit × group (a dense grid, units major): estimates and the effective group weights."""

    table: pd.DataFrame
    stats: CellStats
    cell: np.ndarray  # the unit × group cell of each row of the responses
    avail: np.ndarray  # the group is used for the unit (responses, not suppressed, weight > 0)
    eff: np.ndarray  # the effective weight W̃_g of the group in the unit
    total: np.ndarray  # per unit: Σ of the available groups' declared weights


def _by_group(enc: Encoded, r: _Rows, codebook: Codebook, opts: dict[str, Any]) -> _GroupLevel:
    nu, ng = len(enc.units), len(r.groups)
    n_cg = nu * ng
    cell_g = enc.unit.astype(np.int64) * ng + r.grp
    sub = r.sub
    sg = cell_stats(cell_g[sub], enc.ballot[sub], r.wrow[sub], enc.sat[sub], enc.points[sub],
                    n_cg)
    cols = with_intervals(sg, **opts)
    present = sg.n > 0
    weighted = np.tile(r.declared_w > 0, nu)
    avail = present & ~cols["suppressed"] & weighted
    wgrid = np.where(avail, np.tile(r.declared_w, nu), 0.0).reshape(nu, ng)
    tot = wgrid.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(tot > 0, wgrid / tot, 0.0).ravel()
    status = np.where(~present, "no_responses",
                      np.where(cols["suppressed"], "suppressed",
                               np.where(weighted, "ok", "zero_weight")))
    table = pd.DataFrame({
        "unit_id": np.repeat(enc.units.to_numpy(), ng),
        "group": np.tile(r.groups.to_numpy(), nu),
        "group_label": np.tile([codebook.group_label(g, "zh") for g in r.groups], nu),
        "group_label_en": np.tile([codebook.group_label(g, "en") for g in r.groups], nu),
        "weight": np.tile(r.declared_w, nu),
        "effective_weight": eff,
        "status": status,
        **cols,
        "n_dont_know": np.bincount(cell_g[r.dk], minlength=n_cg),
        "n_blank": np.bincount(cell_g[r.blank], minlength=n_cg),
    })
    return _GroupLevel(table, sg, cell_g, avail, eff, tot.ravel())


def _by_unit(enc: Encoded, r: _Rows, g: _GroupLevel, opts: dict[str, Any]) -> pd.DataFrame:
    """Units: the groups combined by their effective weights (see the module docstring)."""
    nu, ng = len(enc.units), len(r.groups)
    su_g = np.bincount(g.stats.clusters.cell, weights=g.stats.clusters.wm, minlength=nu * ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale_g = np.where(g.eff > 0, g.eff / su_g, 0.0)
    rw = scale_g[g.cell] * r.wrow
    use = r.sub & (rw > 0)
    su = cell_stats(enc.unit[use].astype(np.int64), enc.ballot[use], rw[use], enc.sat[use],
                    enc.points[use], nu)
    cols = with_intervals(su, **opts)
    cols["suppressed"] = cols["suppressed"] | (g.total <= 0)
    cols["degenerate"] = cols["degenerate"] & ~cols["suppressed"]
    # n and n_answers count every respondent of the unit (a ballot belongs to one group)
    cols["n"] = g.stats.n.reshape(nu, ng).sum(axis=1).astype(np.int64)
    cols["n_answers"] = g.stats.n_answers.reshape(nu, ng).sum(axis=1).astype(np.int64)
    effg = g.eff.reshape(nu, ng)
    availg = g.avail.reshape(nu, ng)
    need = r.declared_w > 0
    return pd.DataFrame({
        "unit_id": enc.units.to_numpy(),
        **cols,
        "n_dont_know": np.bincount(enc.unit[r.dk], minlength=nu),
        "n_blank": np.bincount(enc.unit[r.blank], minlength=nu),
        "n_groups": availg.sum(axis=1),
        "groups_missing": _join_names(r.groups, need[None, :] & ~availg),
        "effective_weights": _join_names(r.groups, effg > 0, effg),
    })


def aggregate(enc: Encoded, keep: np.ndarray, codebook: Codebook, *, rate_method: str = "wilson",
              mean_method: str = "t", level: float = 0.95, min_n: float = 5,
              reps: int = 999, seed: int = 0) -> Aggregates:
    """Aggregate the kept ballots of ``enc`` (see the module docstring for the formulas).

    Parameters
    ----------
    enc : Encoded
        Checked responses (:func:`evalkit.sources.survey.responses.encode`).
    keep : bool array, one per ballot
        The ballots that count (:func:`evalkit.sources.survey.ballots.apply_rules`).
    codebook : Codebook
        Its groups and their weights (every group found weighs 1 when none is declared).
    rate_method, mean_method : str
        Keys of :data:`~evalkit.sources.survey.intervals.RATE_INTERVALS` and
        :data:`~evalkit.sources.survey.intervals.MEAN_INTERVALS`.
    level : float
        Confidence level of the intervals.
    min_n : float
        Cells with a smaller effective n are suppressed.
    reps, seed : int
        Replicates and seed of the bootstrap interval.

    Returns
    -------
    Aggregates
        ``by_item`` (unit × group × item), ``by_group`` (unit × group) and ``by_unit``.
    """
    opts = {"rate_method": rate_method, "mean_method": mean_method, "level": level,
            "min_n": min_n, "reps": reps, "seed": seed}
    r = _rows(enc, keep, codebook)
    by_item = _by_item(enc, r, opts)
    g = _by_group(enc, r, codebook, opts)
    return Aggregates(by_item, g.table, _by_unit(enc, r, g, opts))


def _join_names(names: pd.Index, mask: np.ndarray, values: np.ndarray | None = None
                ) -> list[str]:
    """Per row of ``mask`` (units × groups): the names where True, joined (with values)."""
    labels = np.asarray(names, dtype=object)
    patterns: dict[bytes, str] = {}
    out = []
    for i, row in enumerate(mask):
        if values is None:
            key = row.tobytes()
            if key not in patterns:
                patterns[key] = ",".join(labels[row])
            out.append(patterns[key])
        else:
            out.append("; ".join(f"{g} {x:.3f}" for g, x in zip(labels[row], values[i][row],
                                                                 strict=True)))
    return out
