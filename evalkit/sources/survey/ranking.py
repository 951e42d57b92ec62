"""Ranking that respects precision: shrinkage, rank intervals, ties, pairwise tests, funnels.

- **Empirical-Bayes beta-binomial shrinkage** (:func:`eb_beta_binomial`): each unit's rate
  has a Beta(a, b) prior fitted to all units by maximum marginal likelihood (method of moments
  as the start); the posterior mean (x + a) / (n + a + b) pulls small units towards the overall
  rate, by more the fewer answers they have (Efron & Morris 1975; Robinson 1991).
  x = rate × n_eff and n = n_eff (the Kish effective n).
- **Rank intervals** (:func:`rank_table`): ranks of the units in ``draws`` simulated from each
  unit's posterior — Beta(x + a, n − x + b) with the EB prior, or Beta(x + ½, n − x + ½)
  (Jeffreys) without shrinkage; Normal(mean, se) for mean points — and the central 95 % of
  each unit's rank (Goldstein & Spiegelhalter 1996). ``p_first`` is the share of draws in which
  the unit ranks first. Point ranks use pandas' ``min`` method on the estimate rounded to
  ``decimals``, and units that share a point rank are named in ``tied_with``.
- **Pairwise comparisons** (:func:`pairwise`): every pair of units, a two-sided score test of
  equal rates (pooled two-proportion z test at the effective n) or a Welch test of equal mean
  points; p-values adjusted with Holm (family-wise) or Benjamini–Hochberg (false discovery
  rate) by statsmodels' ``multipletests``.
- **Funnel plot limits** (:func:`funnel_limits`): exact binomial control limits around a target
  rate with Spiegelhalter's (2005) interpolation, at 95 % and 99.8 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field
from scipy import optimize, special, stats

from evalkit.core.errors import EvalkitError, MethodError
from evalkit.spec.sections import Strict

#: spec names → statsmodels multipletests names
CORRECTIONS = {"holm": "holm", "bh": "fdr_bh", "fdr_bh": "fdr_bh", "bonferroni": "bonferroni"}


class Ranking(Strict):
    """``sources.survey.ranking``: rank within ``by`` (default: the units' category), with
    empirical-Bayes ``shrink``, ``draws`` posterior draws for the rank intervals, and the
    multiplicity ``correction`` of pairwise tests (a key of :data:`CORRECTIONS`)."""

    by: str | None = None
    correction: Literal["holm", "bh", "fdr_bh", "bonferroni"] = "holm"
    shrink: bool = False
    draws: Annotated[int, Field(ge=1)] = 1000


def eb_beta_binomial(x: np.ndarray, n: np.ndarray, max_strength: float = 1e6
                     ) -> tuple[float, float]:
    """Fit a Beta(a, b) prior to counts ``x`` of ``n`` by maximum marginal likelihood.

    ``x`` and ``n`` may be fractional (effective counts). Units with ``n <= 0`` or NaN are
    ignored. With no over-dispersion the fit runs to complete pooling; the prior strength
    a + b is capped at ``max_strength``.
    """
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
    x, n = x[ok], n[ok]
    if len(x) < 2:
        raise MethodError(f"empirical-Bayes shrinkage needs at least 2 units with answers, "
                          f"got {len(x)}")
    p = x / n
    mu = float(np.clip(x.sum() / n.sum(), 1e-6, 1 - 1e-6))
    # method of moments for the strength s = a + b:  var(p) ≈ mu(1-mu)(1/(s+1)) + mu(1-mu)/n·s/(s+1)
    v = float(np.var(p, ddof=1)) if len(p) > 1 else 0.0
    within = float(np.mean(mu * (1 - mu) / n))
    between = v - within
    s0 = mu * (1 - mu) / between - 1 if between > 1e-12 else max_strength / 10
    s0 = float(np.clip(s0, 0.5, max_strength))

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -float(np.sum(special.betaln(x + a, n - x + b) - special.betaln(a, b)))

    start = np.log([mu * s0, (1 - mu) * s0])
    bound = np.log(max_strength)
    res = optimize.minimize(nll, start, method="L-BFGS-B",
                            bounds=[(np.log(1e-3), bound), (np.log(1e-3), bound)])
    a, b = np.exp(res.x if res.success or np.isfinite(res.fun) else start)
    return float(a), float(b)


def _rank_draws(draws: np.ndarray) -> np.ndarray:
    """Ranks (1 = highest) of each column within each row of ``draws`` (S × U)."""
    order = np.argsort(-draws, axis=1)
    ranks = np.empty_like(order)
    rows = np.arange(draws.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, draws.shape[1] + 1)[None, :]
    return ranks


def rank_table(by_unit: pd.DataFrame, what: str = "rate", shrink: bool = False,
               by: str | None = None, draws: int = 1000, level: float = 0.95, seed: int = 0,
               decimals: int = 4) -> pd.DataFrame:
    """Point ranks, rank intervals, P(first) and ties of the units in ``by_unit``.

    Parameters
    ----------
    by_unit : DataFrame
        The unit table (``unit_id``, ``rate``, ``n_eff``; for ``what='points'`` also
        ``mean_points`` and ``points_se``). Suppressed units (NaN estimates) are left out.
    what : {'rate', 'points'}
    shrink : bool
        Rank the empirical-Bayes posterior means (rates only).
    by : str, optional
        A column of ``by_unit`` (e.g. ``category``): rank within each of its values.
    """
    if what not in ("rate", "points"):
        raise MethodError(f"unknown ranking measure {what!r}; expected 'rate' or 'points'")
    if shrink and what != "rate":
        raise MethodError("shrinkage applies to rates only (what='rate')")
    col = "rate" if what == "rate" else "mean_points"
    # draws follow the units sorted by id, so they do not depend on the input's row order
    df = by_unit.loc[by_unit[col].notna()].sort_values("unit_id", kind="stable")
    rng = np.random.default_rng(seed)
    parts = []
    for _key, sub in (df.groupby(by, sort=True) if by else [(None, df)]):
        sub = sub.copy()
        if what == "rate":
            n = sub["n_eff"].to_numpy(float)
            x = sub["rate"].to_numpy(float) * n
            a = b = 0.5
            if shrink and len(sub) >= 2:
                a, b = eb_beta_binomial(x, n)
                sub["shrunk"] = (x + a) / (n + a + b)
            elif shrink:  # a category of one unit: nothing to borrow strength from
                sub["shrunk"] = sub["rate"]
            d = rng.beta(x + a, n - x + b, size=(draws, len(sub))).astype(np.float32)
            est = sub["shrunk"] if shrink and "shrunk" in sub else sub["rate"]
        else:
            se = sub["points_se"].fillna(0.0).to_numpy(float)
            d = rng.normal(sub["mean_points"].to_numpy(float), se,
                           size=(draws, len(sub))).astype(np.float32)
            est = sub["mean_points"]
        sub["estimate"] = est
        r = _rank_draws(d)
        sub["rank"] = est.round(decimals).rank(ascending=False, method="min").astype(int)
        sub["rank_lo"] = np.floor(np.quantile(r, 0.5 - level / 2, axis=0)).astype(int)
        sub["rank_hi"] = np.ceil(np.quantile(r, 0.5 + level / 2, axis=0)).astype(int)
        sub["p_first"] = (r == 1).mean(axis=0)
        sub["n_ranked"] = len(sub)
        sub["tied_with"] = ""
        tied = sub["rank"].duplicated(keep=False).to_numpy()
        if tied.any():
            ids = sub["unit_id"].astype(str).to_numpy()[tied]
            rks = sub["rank"].to_numpy()[tied]
            sub.loc[tied, "tied_with"] = [",".join(ids[(rks == rk) & (ids != u)])
                                          for u, rk in zip(ids, rks, strict=True)]
        parts.append(sub)
    cols = ["unit_id", *([by] if by else []), "estimate", *(["rate", "shrunk"] if shrink else []),
            "n_eff", "rank", "rank_lo", "rank_hi", "p_first", "n_ranked", "tied_with"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out = out[[c for c in cols if c in out.columns]]
    return out.sort_values([*([by] if by else []), "rank", "unit_id"]).reset_index(drop=True)


def pairwise(by_unit: pd.DataFrame, what: str = "rate", correction: str = "holm",
             alpha: float = 0.05, units: Sequence[str] | None = None,
             max_pairs: int = 5_000_000) -> pd.DataFrame:
    """Every pair of units tested for a difference, with multiplicity correction.

    Rates: pooled two-proportion score test at the effective n; points: Welch test from the
    mean, its standard error and df = n_eff − 1. ``correction`` is ``holm`` (default) or
    ``bh`` (Benjamini–Hochberg); ``significant`` uses the adjusted p-value at ``alpha``.
    """
    from statsmodels.stats.multitest import multipletests

    if correction not in CORRECTIONS:
        raise MethodError(f"unknown correction {correction!r}; expected one of "
                          f"{sorted(CORRECTIONS)}")
    col = {"rate": "rate", "points": "mean_points"}.get(what)
    if col is None:
        raise MethodError(f"unknown measure {what!r}; expected 'rate' or 'points'")
    df = by_unit.loc[by_unit[col].notna()]
    if units is not None:
        df = df.loc[df["unit_id"].isin(list(units))]
    m = len(df)
    if m * (m - 1) // 2 > max_pairs:
        raise EvalkitError(f"{m} units make {m * (m - 1) // 2} pairs (more than {max_pairs}); "
                           "compare within categories or pass units=")
    i, j = np.triu_indices(m, k=1)
    est = df[col].to_numpy(float)
    n = df["n_eff"].to_numpy(float)
    diff = est[i] - est[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        if what == "rate":
            pool = (est[i] * n[i] + est[j] * n[j]) / (n[i] + n[j])
            se = np.sqrt(pool * (1 - pool) * (1 / n[i] + 1 / n[j]))
            stat = np.where(se > 0, diff / se, 0.0)
            p = 2 * stats.norm.sf(np.abs(stat))
        else:
            s = df["points_se"].to_numpy(float)
            v1, v2 = s[i] ** 2, s[j] ** 2
            se = np.sqrt(v1 + v2)
            dof = (v1 + v2) ** 2 / (v1 ** 2 / np.maximum(n[i] - 1, 1)
                                    + v2 ** 2 / np.maximum(n[j] - 1, 1))
            stat = np.where(se > 0, diff / se, 0.0)
            p = np.where(se > 0, 2 * stats.t.sf(np.abs(stat), np.nan_to_num(dof, nan=1.0)),
                         np.where(diff == 0, 1.0, 0.0))
    p = np.clip(np.nan_to_num(p, nan=1.0), 0, 1)
    if len(p):
        reject, p_adj, _, _ = multipletests(p, alpha=alpha, method=CORRECTIONS[correction])
    else:
        reject, p_adj = np.array([], bool), np.array([])
    ids = df["unit_id"].to_numpy()
    return pd.DataFrame({"unit_a": ids[i], "unit_b": ids[j], "estimate_a": est[i],
                         "estimate_b": est[j], "diff": diff, "statistic": stat, "p_value": p,
                         "p_adjusted": p_adj, "significant": reject,
                         "correction": correction})


def funnel_limits(target: float, n: np.ndarray | Sequence[float],
                  levels: Sequence[float] = (0.95, 0.998)) -> pd.DataFrame:
    """Exact binomial funnel limits around ``target`` for each sample size in ``n``.

    Spiegelhalter (2005), Statistics in Medicine 24:1185, appendix A.1.1: the p-quantile r of
    Binomial(n, target), interpolated as (r − α)/n with
    α = (F(r) − p) / (F(r) − F(r − 1)).
    """
    n = np.asarray(n, float)
    if not 0 < target < 1:
        raise MethodError(f"the funnel target must be strictly between 0 and 1, got {target}")
    out = {"n": n}
    for lev in levels:
        for side, prob in (("lo", (1 - lev) / 2), ("hi", 1 - (1 - lev) / 2)):
            nn = np.maximum(np.round(n), 1)
            r = stats.binom.ppf(prob, nn, target)
            fr = stats.binom.cdf(r, nn, target)
            fr1 = stats.binom.cdf(r - 1, nn, target)
            with np.errstate(invalid="ignore", divide="ignore"):
                a = np.where(fr > fr1, (fr - prob) / (fr - fr1), 0.0)
            out[f"{side}_{round(lev * 1000) / 10:g}"] = np.clip((r - a) / nn, 0, 1)
    return pd.DataFrame(out)
