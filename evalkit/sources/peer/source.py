"""The ``peer`` source (互评) of ``evaluate``: a 0–100 score per unit under a chosen scheme.

Spec section (``sources.peer``)::

    peer:
      weight: 0.15
      table: peer                  # data key of the long rating table (default: peer)
      scheme: trimmed_mean         # any key of evalkit.sources.peer.SCHEMES
      params: {k: 1}               # the scheme's parameters
      scale: [0, 100]              # range of numeric scores (default [0, 100])
      grades: {优秀: 95, 良好: 85, 一般: 75, 较差: 60}   # or: grade label -> points
      missing_labels: [不了解]      # read as missing ratings
      self_rating: exclude         # or: error
      validity: {same_score: true, min_items: 3, max_share: {优秀: 0.5}}
      min_raters: 3                # fewer raters -> no peer score (weight moves)
      round: all                   # or one round number

Score on 0–100: rating-scale schemes map ``[low, high]`` of the scale (the grade points'
range widened to include 0–100 when ``grades`` is used) linearly to [0, 100]; share schemes
(Borda, PeerRank, Bradley–Terry) are multiplied by 100.

Detail tables (saved as ``peer_<name>``): ``units`` (score, raw scheme output, number of
raters, mean, SD, min, max, scheme), ``received`` (box summary of the ratings each unit
received per rater group: the report's chart), ``audit`` (excluded ratings and ballots with
reasons), ``raters`` (leniency, consistency), ``reliability`` (ICC(1), ICC(1,k),
Krippendorff's α, reciprocity) and ``pairs`` (every pair of units rating each other, with how
far each rated the other above the consensus, most mutual first; ``mutual`` flags pairs both
above 1.5 SD: a collusion signal).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, MethodError
from evalkit.sources.base import SourceOutput, period_rows, register_source
from evalkit.sources.peer.config import validate_config
from evalkit.sources.peer.data import Matrix, check_peer_tables, prepare_ratings, to_matrix
from evalkit.sources.peer.reliability import icc_oneway, kripp_alpha, rater_diagnostics, reciprocity
from evalkit.sources.peer.schemes import SCHEMES, Design, check_design, components


def _scale(config: Mapping[str, Any]) -> tuple[float, float]:
    lo, hi = (float(v) for v in config.get("scale", [0, 100]))
    if config.get("grades"):
        pts = [float(v) for v in config["grades"].values()]
        lo, hi = min(lo, *pts), max(hi, *pts)
    return lo, hi


def score_matrix(M: Matrix, config: Mapping[str, Any],
                 where: str = "sources.peer") -> tuple[np.ndarray, np.ndarray]:
    """Apply the configured scheme to a rating matrix: ``(score 0–100, raw scheme output)``.

    Ratees nobody rated are left out of the fit and get NaN. A design that does not meet the
    scheme's requirement raises :class:`MethodError` naming ``<where>.scheme``. Stated
    fallback for schemes that need a connected design: when the rater–ratee graph falls into
    parts that each hold whole categories (townships rate departments, departments rate
    townships), each part is fitted on its own — units are ranked within their category, so
    no comparison crosses parts.

    Examples
    --------
    >>> from evalkit.sources.peer.data import to_matrix
    >>> long = pd.DataFrame({"rater_id": ["a", "a", "b", "b"], "round": 1,
    ...     "rater_unit": ["X", "X", "Y", "Y"], "rater_group": "t",
    ...     "ratee_id": ["Y", "Z", "X", "Z"], "score": [80.0, 70.0, 90.0, 60.0]})
    >>> score, raw = score_matrix(to_matrix(long), {"scheme": "mean", "scale": [0, 100]})
    >>> score.tolist()
    [90.0, 80.0, 65.0]
    """
    key = config.get("scheme", "mean")
    func = SCHEMES.get(key, f"{where}.scheme")
    params = dict(config.get("params") or {})
    lo, hi = _scale(config)
    if key == "peerrank":
        params.setdefault("scale", (lo, hi))
    rated = (~np.isnan(M.R)).any(0)
    raw = np.full(M.R.shape[1], np.nan)
    if rated.sum() == 0:
        return raw, raw
    sub = M.R[:, rated]
    col = np.cumsum(rated) - 1
    ru = M.design.rater_unit
    ru = None if ru is None else np.where((ru >= 0) & rated[np.maximum(ru, 0)],
                                          col[np.maximum(ru, 0)], -1)
    eg = M.design.ratee_group
    eg = None if eg is None else eg[rated]
    rg = M.design.rater_group
    parts = [(np.arange(sub.shape[0]), np.arange(sub.shape[1]))]
    if func.requires == "connected":
        rl, cl = components(sub)
        if cl.max() > 0:
            # stated fallback: fit each part on its own when no category spans two parts
            # (units are ranked within their category, so scores never cross parts)
            if eg is None or any(np.unique(cl[eg == c]).size > 1 for c in np.unique(eg)):
                check_design(sub, key, f"{where}.scheme", ru)
            parts = [(np.flatnonzero(rl == p), np.flatnonzero(cl == p))
                     for p in range(cl.max() + 1)]
    out = np.full(sub.shape[1], np.nan)
    for rows, cols in parts:
        part = sub[np.ix_(rows, cols)]
        pos = np.full(sub.shape[1], -1)
        pos[cols] = np.arange(cols.size)
        pru = None if ru is None else np.where(ru[rows] >= 0, pos[np.maximum(ru[rows], 0)], -1)
        design = Design(None if rg is None else rg[rows], None if eg is None else eg[cols], pru)
        check_design(part, key, f"{where}.scheme", pru)
        try:
            out[cols] = func(part, design, **params)
        except TypeError as err:
            raise MethodError(f"bad parameters for scheme {key!r}: {err}",
                              f"{where}.params") from None
    raw[rated] = out
    score = 100.0 * raw if func.output == "share" else 100.0 * (raw - lo) / (hi - lo)
    return score, raw


def _received(long: pd.DataFrame) -> pd.DataFrame:
    g = long.groupby(["ratee_id", "rater_group"])["score"]
    out = g.agg(n="size", mean="mean", sd="std", min="min", max="max")
    qs = g.quantile([0.25, 0.5, 0.75]).unstack()
    out["q1"], out["median"], out["q3"] = qs[0.25], qs[0.5], qs[0.75]
    out = out.reset_index().rename(columns={"ratee_id": "unit_id"})
    return out[["unit_id", "rater_group", "n", "mean", "sd", "min", "q1", "median", "q3",
                "max"]]


def _unit_matrix(long: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    """Units × units: mean rating by the raters of unit i of unit j (for reciprocity)."""
    inside = long.dropna(subset=["rater_unit"])
    w = inside.pivot_table(index="rater_unit", columns="ratee_id", values="score",
                           aggfunc="mean")
    return w.reindex(index=ids, columns=ids).to_numpy(dtype=float)


def _reliability(M: Matrix, long: pd.DataFrame, ids: pd.Index) -> tuple[pd.DataFrame,
                                                                        pd.DataFrame]:
    row: dict[str, float] = {"n_ballots": float(M.R.shape[0]),
                             "n_ratings": float((~np.isnan(M.R)).sum())}
    for name, fn in (("icc", lambda: icc_oneway(M.R)),
                     ("alpha_interval", lambda: kripp_alpha(M.R, "interval")),
                     ("alpha_ordinal", lambda: kripp_alpha(M.R, "ordinal"))):
        try:
            val = fn()
        except (EvalkitError, ValueError, ZeroDivisionError):
            val = {"icc1": np.nan, "icc1k": np.nan} if name == "icc" else np.nan
        if isinstance(val, dict):
            row.update({"icc1": val["icc1"], "icc1k": val["icc1k"]})
        else:
            row[name] = val
    ids = ids.sort_values()  # pairs come as unit_a < unit_b, whatever the units' row order
    U = _unit_matrix(long, ids)
    pairs = pd.DataFrame(columns=["unit_a", "unit_b", "d_ab", "d_ba", "mutual"])
    row["reciprocity"] = np.nan
    if np.isfinite(U).sum() >= 6:
        r, pairs = reciprocity(U, list(ids))
        row["reciprocity"] = r
    return pd.DataFrame([row]), pairs


@register_source("peer", validate=validate_config, requires=("peer",),
                 check_tables=check_peer_tables)
def peer_source(config: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                units: pd.DataFrame, period: Any) -> SourceOutput:
    """Peer rating (互评): the score of each unit under the spec's scheme, 0–100.

    Reads the long rating table (``config['table']``, default ``peer``) for ``period``,
    checks it and applies the validity rules (:func:`evalkit.sources.peer.data.prepare_ratings`),
    pivots ballots × units and applies ``config['scheme']`` (:data:`evalkit.sources.peer.SCHEMES`).
    Units with fewer than ``min_raters`` raters get NaN (their weight moves to their other
    sources).
    """
    key = config.get("table", "peer")
    if key not in tables:
        raise EvalkitError(f"no table {key!r}; add it under data", "sources.peer.table")
    df = period_rows(tables[key], period)
    rnd = config.get("round", "all")
    if rnd != "all" and "round" in df.columns:
        df = df[df["round"].astype(str) == str(rnd)]
    ids = pd.Index(units.index.astype(str), name="unit_id")
    rat = prepare_ratings(df, config, ids, key)
    cat = units["category"].astype(str) if "category" in units.columns else None
    if cat is not None:
        cat.index = ids
    M = to_matrix(rat.long, ids, cat)
    score, raw = score_matrix(M, config)
    obs = ~np.isnan(M.R)
    n = obs.sum(0)
    with warnings.catch_warnings():  # a unit nobody rated has NaN statistics, by design
        warnings.simplefilter("ignore", RuntimeWarning)
        Rm = np.where(obs, M.R, np.nan)
        stats = pd.DataFrame({"mean": np.nanmean(Rm, 0) if obs.any() else np.nan,
                              "sd": np.nanstd(Rm, 0, ddof=1) if obs.any() else np.nan,
                              "min": np.nanmin(np.where(obs, M.R, np.inf), 0),
                              "max": np.nanmax(np.where(obs, M.R, -np.inf), 0)}, index=ids)
    stats = stats.replace([np.inf, -np.inf], np.nan)
    ok = n >= int(config.get("min_raters", 1))
    s = pd.Series(np.where(ok, score, np.nan), index=ids, name="peer")
    detail = pd.DataFrame({"unit_id": ids, "score": s.to_numpy(), "raw": raw, "n_raters": n,
                           "scheme": str(config.get("scheme", "mean"))}).join(
        stats.reset_index(drop=True))
    raters = rater_diagnostics(M.R, M.ballots["rater_id"].tolist()).assign(
        round=M.ballots["round"].to_numpy(), rater_group=M.ballots["rater_group"].to_numpy())
    rel, pairs = _reliability(M, rat.long, ids)
    return SourceOutput(s, {"units": detail, "received": _received(rat.long),
                            "audit": rat.audit, "raters": raters, "reliability": rel,
                            "pairs": pairs})


def compare_schemes(ratings: pd.DataFrame, units: pd.DataFrame, config: Mapping[str, Any],
                    schemes: list[str] | None = None, period: Any = None) -> pd.DataFrame:
    """Scores of every unit under several schemes on the same ratings (what-if table).

    Applies :func:`score_matrix` once per scheme (a handful, not per unit) to the checked
    ratings of ``period``; a scheme whose design requirement is not met gets no scores and
    its reason in ``note``.

    Returns
    -------
    DataFrame
        ``unit_id, category, scheme, score`` (0–100), ``rank`` (within category, 1 = best),
        ``note``.

    Examples
    --------
    >>> units = pd.DataFrame({"category": ["t", "t", "t"]}, index=["X", "Y", "Z"])
    >>> long = pd.DataFrame({"rater_id": ["a", "a", "b", "b"], "rater_unit": ["X", "X", "Y", "Y"],
    ...     "ratee_id": ["Y", "Z", "X", "Z"], "score": [80, 70, 90, 60]})
    >>> c = compare_schemes(long, units, {}, ["mean", "median"])
    >>> c.pivot(index="unit_id", columns="scheme", values="rank")["mean"].tolist()
    [1.0, 2.0, 3.0]
    """
    ids = pd.Index(units.index.astype(str), name="unit_id")
    df = period_rows(ratings, period)
    rat = prepare_ratings(df, config, ids, str(config.get("table", "peer")))
    cat = units["category"].astype(str).set_axis(ids) if "category" in units.columns else \
        pd.Series("all", index=ids)
    M = to_matrix(rat.long, ids, cat)
    frames = []
    for key in list(SCHEMES) if schemes is None else schemes:
        note = ""
        try:
            score, _ = score_matrix(M, {**config, "scheme": key, "params": {}})
        except MethodError as err:
            score, note = np.full(len(ids), np.nan), err.message
        frames.append(pd.DataFrame({"unit_id": ids, "category": cat.to_numpy(),
                                    "scheme": key, "score": score, "note": note}))
    out = pd.concat(frames, ignore_index=True)
    out["rank"] = out.groupby(["scheme", "category"])["score"].rank(ascending=False,
                                                                    method="min")
    return out[["unit_id", "category", "scheme", "score", "rank", "note"]]


def rank_agreement(comparison: pd.DataFrame) -> pd.DataFrame:
    """Kendall τ between the schemes' scores, within category, averaged over categories.

    ``τ̄_ab = Σ_c n_c τ_c(a, b) / Σ_c n_c`` (weights: units per category).

    Examples
    --------
    >>> c = pd.DataFrame({"unit_id": list("abcabc"), "category": "t",
    ...                   "scheme": ["s1"] * 3 + ["s2"] * 3, "score": [1, 2, 3, 3, 2, 1.0]})
    >>> rank_agreement(c).loc["s1", "s2"]
    np.float64(-1.0)
    """
    frames = []
    for _, g in comparison.dropna(subset=["score"]).groupby("category"):
        wide = g.pivot(index="unit_id", columns="scheme", values="score")
        if len(wide) > 2:
            frames.append((len(wide), wide.corr(method="kendall")))
    if not frames:
        return pd.DataFrame()
    total = sum(n for n, _ in frames)
    return sum(c * (n / total) for n, c in frames)
