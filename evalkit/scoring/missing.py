"""Missing-value policies applied to indicator scores (``defaults.missing`` or per indicator).

Examples
--------
>>> import numpy as np
>>> S = np.array([[80.0], [np.nan], [60.0]])
>>> apply_missing(S, np.ones_like(S, bool), np.zeros(3, int), ["category_mean"])[0].ravel()
array([80., 70., 60.])
"""

from __future__ import annotations

import numpy as np


def apply_missing(S: np.ndarray, applies: np.ndarray, groups: np.ndarray,
                  policies: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Apply the missing-value policy per indicator; return (scores, kept mask).

    ``zero``: a missing score is 0. ``category_mean``: the mean score of the unit's category
    (falls back to dropping when the whole category is missing). ``reweight``: dropped, the
    siblings' weights renormalise. ``applies`` marks the unit × indicator cells that apply.
    """
    S = S.copy()
    miss = np.isnan(S) & applies
    keep = applies & ~np.isnan(S)
    for j, pol in enumerate(policies):
        m = miss[:, j]
        if not m.any() or pol == "reweight":
            continue
        if pol == "zero":
            S[m, j] = 0.0
            keep[m, j] = True
        elif pol == "category_mean":
            for c in np.unique(groups[m]):
                inc = (groups == c) & applies[:, j]
                vals = S[inc & ~miss[:, j], j]
                if vals.size:
                    fill = m & (groups == c)
                    S[fill, j] = vals.mean()
                    keep[fill, j] = True
    return S, keep
