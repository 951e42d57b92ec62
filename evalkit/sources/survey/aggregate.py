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
  ``nobs = n_eff``. A respondent's answers to several items are treated as one observation,
  which is conservative (the answers of one respondent are correlated).
- Mean-point intervals: t with the respondent-clustered (ratio-linearised) standard error, or a
  respondent bootstrap.
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

from evalkit.sources.survey.codebook import Codebook
from evalkit.sources.survey.intervals import MEAN_INTERVALS, rate_interval
from evalkit.sources.survey.responses import BLANK, DONT_KNOW, SUBSTANTIVE, Encoded


@dataclass
class Clusters:
    """Per respondent-in-cell sums, for the bootstrap: cell, Σ w·points, Σ w (= w·M)."""

    cell: np.ndarray
    wy: np.ndarray
    wm: np.ndarray


@dataclass
class CellStats:
    """Per-cell estimates (arrays of one length, the number of cells)."""

    n: np.ndarray
    n_answers: np.ndarray
    n_eff: np.ndarray
    rate: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    clusters: Clusters | None = None


def cell_stats(cell: np.ndarray, ballot: np.ndarray, w: np.ndarray, sat: np.ndarray,
               pts: np.ndarray, n_cells: int, one_per_ballot: bool = False) -> CellStats:
    """Ratio estimates with respondent clustering, vectorised over cells.

    Parameters
    ----------
    cell, ballot : int arrays, one entry per valid answer
    w : float array
        Weight of the answer's respondent in this cell (constant within cell × ballot).
    sat, pts : float arrays
        1.0 if satisfied, else 0.0; points (0–100).
    one_per_ballot : bool
        The caller guarantees one answer per cell × ballot (skips the clustering step).

    Returns
    -------
    CellStats
        ``rate`` and ``mean`` are ratio estimators Σ w·y / Σ w; ``se`` of the mean is the
        linearised, respondent-clustered standard error
        √( n/(n−1) · Σ_k (w_k (Y_k − mean·M_k))² ) / Σ_k w_k M_k, which for one answer per
        respondent and no weights is s/√n.
    """
    if one_per_ballot:
        kc, m, ys, yp, wk = cell, np.ones(len(cell)), sat, pts, w
    else:
        nb = int(ballot.max()) + 1 if len(ballot) else 1
        k, uniq = pd.factorize(cell.astype(np.int64) * nb + ballot, sort=False)
        kc = (uniq // nb).astype(np.int64)
        nk = len(uniq)
        m = np.bincount(k, minlength=nk).astype(float)
        ys = np.bincount(k, weights=sat, minlength=nk)
        yp = np.bincount(k, weights=pts, minlength=nk)
        wk = np.zeros(nk)
        wk[k] = w  # constant within cluster
    u = wk * m
    su = np.bincount(kc, weights=u, minlength=n_cells)
    su2 = np.bincount(kc, weights=u * u, minlength=n_cells)
    n = np.bincount(kc, minlength=n_cells).astype(float)
    n_ans = np.bincount(kc, weights=m, minlength=n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(su2 > 0, su * su / su2, 0.0)
        rate = np.bincount(kc, weights=wk * ys, minlength=n_cells) / su
        mean = np.bincount(kc, weights=wk * yp, minlength=n_cells) / su
        z = wk * yp - mean[kc] * u
        var = n / (n - 1) * np.bincount(kc, weights=z * z, minlength=n_cells) / (su * su)
    se = np.sqrt(np.where(n > 1, var, np.nan))
    return CellStats(n, n_ans, n_eff, rate, mean, se, Clusters(kc, wk * yp, u))


def with_intervals(s: CellStats, rate_method: str = "wilson", mean_method: str = "t",
                   level: float = 0.95, min_n: float = 5, **mean_options: Any) -> dict[str, Any]:
    """Columns n … points_hi for a set of cells, suppressed below ``min_n`` effective n."""
    rlo, rhi = rate_interval(rate_method)(s.rate * s.n_eff, s.n_eff, level)
    plo, phi = MEAN_INTERVALS.get(mean_method)(s, level, **mean_options)
    plo, phi = np.clip(plo, 0.0, 100.0), np.clip(phi, 0.0, 100.0)  # points live on 0–100
    suppressed = ~(s.n_eff >= min_n)

    def pub(x: np.ndarray, scale: float = 1.0) -> np.ndarray:
        return np.where(suppressed, np.nan, x * scale)

    return {"n": s.n.astype(np.int64), "n_eff": s.n_eff, "n_answers": s.n_answers.astype(np.int64),
            "rate": pub(s.rate), "rate_lo": pub(rlo), "rate_hi": pub(rhi),
            "mean_points": pub(s.mean), "points_se": pub(s.se), "points_lo": pub(plo),
            "points_hi": pub(phi),
            "suppressed": suppressed}


@dataclass
class Aggregates:
    """The three levels as tidy tables."""

    by_item: pd.DataFrame
    by_group: pd.DataFrame
    by_unit: pd.DataFrame


def aggregate(enc: Encoded, keep: np.ndarray, codebook: Codebook, *, rate_method: str = "wilson",
              mean_method: str = "t", level: float = 0.95, min_n: float = 5,
              reps: int = 999, seed: int = 0) -> Aggregates:
    """Aggregate the kept ballots of ``enc`` (see the module docstring for the formulas)."""
    opts = {"reps": reps, "seed": seed}
    units = enc.units
    nu = len(units)
    groups = pd.Index(list(codebook.groups)) if codebook.groups else enc.groups
    ng = len(groups)
    gpos = groups.get_indexer(enc.groups)  # enc group code → position in ``groups``
    declared_w = np.array([codebook.groups[g].weight if codebook.groups else 1.0
                           for g in groups], dtype=float)

    kept = keep[enc.ballot] & (enc.unit >= 0)
    grp = gpos[enc.group] if len(gpos) else enc.group
    wrow = enc.ballot_weight[enc.ballot]
    sub = kept & (enc.kind == SUBSTANTIVE)
    dk = kept & (enc.kind == DONT_KNOW)
    blank = kept & (enc.kind == BLANK)
    nqi = max(len(enc.qitems), 1)

    # -- unit × group × item ---------------------------------------------------------------
    full_i = (enc.unit.astype(np.int64) * ng + grp) * nqi + enc.qitem
    ci, cu = pd.factorize(full_i[kept], sort=True)
    n_ci = len(cu)
    cell_i = np.full(len(full_i), -1, dtype=np.int64)
    cell_i[kept] = ci
    si = cell_stats(cell_i[sub], enc.ballot[sub], wrow[sub], enc.sat[sub], enc.points[sub], n_ci,
                    one_per_ballot=True)
    it_cols = with_intervals(si, rate_method, mean_method, level, min_n, **opts)
    qi = cu % nqi
    ug = cu // nqi
    by_item = pd.DataFrame({
        "unit_id": units.to_numpy()[ug // ng],
        "group": groups.to_numpy()[ug % ng],
        "questionnaire": enc.qitems["questionnaire"].to_numpy()[qi],
        "item": enc.qitems["item"].to_numpy()[qi],
        "item_label": enc.qitems["label"].to_numpy()[qi],
        "item_label_en": enc.qitems["label_en"].to_numpy()[qi],
        "scale": enc.qitems["scale"].to_numpy()[qi],
        **it_cols,
        "n_dont_know": np.bincount(cell_i[dk], minlength=n_ci),
        "n_blank": np.bincount(cell_i[blank], minlength=n_ci),
    })

    # -- unit × group (dense grid) ---------------------------------------------------------
    n_cg = nu * ng
    cell_g = enc.unit.astype(np.int64) * ng + grp
    sg = cell_stats(cell_g[sub], enc.ballot[sub], wrow[sub], enc.sat[sub], enc.points[sub], n_cg)
    g_cols = with_intervals(sg, rate_method, mean_method, level, min_n, **opts)
    present = sg.n > 0
    avail = present & ~g_cols["suppressed"] & np.tile(declared_w > 0, nu)
    wgrid = np.where(avail, np.tile(declared_w, nu), 0.0).reshape(nu, ng)
    tot = wgrid.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(tot > 0, wgrid / tot, 0.0).ravel()
    status = np.where(~present, "no_responses",
                      np.where(g_cols["suppressed"], "suppressed",
                               np.where(np.tile(declared_w > 0, nu), "ok", "zero_weight")))
    by_group = pd.DataFrame({
        "unit_id": np.repeat(units.to_numpy(), ng),
        "group": np.tile(groups.to_numpy(), nu),
        "group_label": np.tile([codebook.group_label(g, "zh") for g in groups], nu),
        "group_label_en": np.tile([codebook.group_label(g, "en") for g in groups], nu),
        "weight": np.tile(declared_w, nu),
        "effective_weight": eff,
        "status": status,
        **g_cols,
        "n_dont_know": np.bincount(cell_g[dk], minlength=n_cg),
        "n_blank": np.bincount(cell_g[blank], minlength=n_cg),
    })

    # -- unit: groups combined by their effective weights ----------------------------------
    su_g = np.bincount(sg.clusters.cell, weights=sg.clusters.wm, minlength=n_cg)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale_g = np.where(eff > 0, eff / su_g, 0.0)
    rw = scale_g[cell_g] * wrow
    use = sub & (rw > 0)
    su = cell_stats(enc.unit[use].astype(np.int64), enc.ballot[use], rw[use], enc.sat[use],
                    enc.points[use], nu)
    u_cols = with_intervals(su, rate_method, mean_method, level, min_n, **opts)
    u_cols["suppressed"] = u_cols["suppressed"] | (tot.ravel() <= 0)
    # n and n_answers count every respondent of the unit (a ballot belongs to one group)
    u_cols["n"] = sg.n.reshape(nu, ng).sum(axis=1).astype(np.int64)
    u_cols["n_answers"] = sg.n_answers.reshape(nu, ng).sum(axis=1).astype(np.int64)
    effg = eff.reshape(nu, ng)
    availg = avail.reshape(nu, ng)
    need = declared_w > 0
    by_unit = pd.DataFrame({
        "unit_id": units.to_numpy(),
        **u_cols,
        "n_dont_know": np.bincount(enc.unit[dk], minlength=nu),
        "n_blank": np.bincount(enc.unit[blank], minlength=nu),
        "n_groups": availg.sum(axis=1),
        "groups_missing": _join_names(groups, need[None, :] & ~availg),
        "effective_weights": _join_names(groups, effg > 0, effg),
    })
    return Aggregates(by_item, by_group, by_unit)


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
