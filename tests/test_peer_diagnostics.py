"""Rater diagnostics (vectorised masked sums) against a per-rater pandas computation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.sources.peer.reliability import rater_diagnostics


def test_rater_diagnostics_match_pandas_per_rater() -> None:
    rng = np.random.default_rng(3)
    R = rng.normal(70, 10, (12, 15))
    R[rng.random(R.shape) < 0.3] = np.nan
    R[4] = np.where(np.isnan(R[4]), np.nan, 80.0)          # a constant ballot
    got = rater_diagnostics(R)
    for r in range(R.shape[0]):
        others = np.delete(R, r, axis=0)
        cons = pd.DataFrame(others).mean(axis=0)              # leave-one-out consensus
        x = pd.Series(R[r])
        ok = x.notna() & cons.notna()
        d = (x - cons)[ok]
        assert got.loc[r, "leniency"] == np.float64(d.mean()) or np.isclose(
            got.loc[r, "leniency"], d.mean())
        assert np.isclose(got.loc[r, "resid_sd"], d.std(ddof=1))
        c = x[ok].corr(cons[ok])
        assert (np.isnan(c) and np.isnan(got.loc[r, "consistency"])) or np.isclose(
            got.loc[r, "consistency"], c)
        assert got.loc[r, "n_rated"] == x.notna().sum()
    assert got["constant"].tolist() == [r == 4 for r in range(12)]
