"""Effective weights (main effects of each indicator on the composite) and weights chosen
for target importances."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evalkit.aggregation.means import AGGREGATION
from evalkit.core.errors import EvalkitError
from evalkit.core.registry import Registry
from evalkit.weights import WeightSet, make_weightset

MAIN_EFFECT = Registry("main-effect estimator")


@MAIN_EFFECT.register("linear")
def _linear(x: np.ndarray, y: np.ndarray, frac: float) -> float:
    """Pearson r² (E[y | x] linear in x)."""
    del frac
    return float(np.corrcoef(x, y)[0, 1] ** 2)


@MAIN_EFFECT.register("lowess")
def _lowess(x: np.ndarray, y: np.ndarray, frac: float) -> float:
    """V(E[y | x]) / V(y) with E[y | x] by LOWESS (local-linear, span ``frac``)."""
    from statsmodels.nonparametric.smoothers_lowess import lowess

    fit = lowess(y, x, frac=frac, it=0, return_sorted=False)
    return float(np.clip(np.var(fit) / y.var(), 0.0, 1.0))


def _main_effect(x: np.ndarray, y: np.ndarray, method: str, frac: float) -> float:
    estimate = MAIN_EFFECT.get(method, "method")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if y.var() <= 0 or len(x) < 3 or x.var() <= 0:
        return 0.0
    return estimate(x, y, frac)


def main_effects(scores: pd.DataFrame, weights: pd.Series | None = None,
                 composite: pd.Series | None = None, *, method: str = "lowess",
                 frac: float = 0.6) -> pd.DataFrame:
    """Effective weights: each indicator's main effect on the composite beside its weight.

    ``S_i = V(E[y | x_i]) / V(y)``, the first-order sensitivity index or correlation ratio
    η² of indicator x_i on the composite y (Paruolo, Saisana & Saltelli 2013, "Ratings and
    rankings: voodoo or science?", JRSS A 176(3)). ``E[y | x_i]`` is estimated by LOWESS
    (``method: lowess``, local-linear, :func:`statsmodels.nonparametric.smoothers_lowess.
    lowess`, span ``frac``) or linearly (``linear``: S_i = Pearson r²). The composite is
    ``composite`` or the weighted mean of ``scores`` with ``weights``.

    Returns a DataFrame indexed by indicator: ``nominal_weight`` (normalised), ``main_effect``
    (S_i), ``effective_weight`` (S_i normalised to sum 1 — comparable with the nominal
    weights; an indicator whose effective weight is far below its nominal weight does not
    drive the ranking as much as its weight says), ``ratio`` (effective / nominal).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> s = pd.DataFrame(rng.uniform(0, 100, (200, 2)), columns=["a", "b"])
    >>> me = main_effects(s, pd.Series({"a": .8, "b": .2}), method="linear")
    >>> bool(me.loc["a", "effective_weight"] > 0.8)
    True
    """
    inds = list(scores.columns)
    w = pd.Series(1.0, index=inds) if weights is None else \
        pd.Series(weights, dtype=float).reindex(inds).fillna(0.0)
    w = w / w.sum()
    if composite is None:
        X = scores.to_numpy(dtype=float)
        y = AGGREGATION["arithmetic"](X, np.where(np.isfinite(X), w.to_numpy(), 0.0))[0]
    else:
        y = composite.reindex(scores.index).to_numpy(dtype=float)
    s = np.array([_main_effect(scores[c].to_numpy(dtype=float), y, method, frac)
                  for c in inds])
    eff = s / s.sum() if s.sum() > 0 else s
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(w > 0, eff / w.to_numpy(), np.nan)
    return pd.DataFrame({"nominal_weight": w.to_numpy(), "main_effect": s,
                         "effective_weight": eff, "ratio": ratio},
                        index=pd.Index(inds, name="indicator"))


def optimise_weights(scores: pd.DataFrame, target: pd.Series | Mapping[str, float] | None = None,
                     *, method: str = "linear", frac: float = 0.6, min_weight: float = 0.0,
                     maxiter: int = 500) -> WeightSet:
    """Weights whose normalised main effects match target importances.

    Minimises ``Σ_i (S̃_i(w) − t_i)²`` where ``S̃_i`` are the normalised main effects of
    :func:`main_effects` and ``t`` the target importances (default equal), over weights on
    the simplex (softmax parameterisation, :func:`scipy.optimize.minimize`, L-BFGS-B),
    starting from ``t``. Becker, Saisana, Paruolo & Vandecasteele 2017, "Weights and
    importance in composite indicators: Closing the gap", Ecological Indicators 80.
    ``diagnostics`` carry the achieved importances and the residual.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s = pd.DataFrame(rng.normal(50, [5, 20], (2000, 2)), columns=["a", "b"])
    >>> optimise_weights(s).weights.round(1).tolist()   # equal importance: w ∝ 1/σ
    [0.8, 0.2]
    """
    from scipy.optimize import minimize

    inds = list(scores.columns)
    t = pd.Series(1.0, index=inds) if target is None else \
        pd.Series(target, dtype=float).reindex(inds)
    if t.isna().any() or (t < 0).any() or t.sum() <= 0:
        raise EvalkitError(f"target must give a value ≥ 0 for every indicator {inds}", "target")
    t = t / t.sum()
    if not 0 <= min_weight < 1 / len(inds):
        raise EvalkitError(f"min_weight must be in [0, 1/{len(inds)})", "min_weight")

    def weights_of(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max())
        return min_weight + (1 - min_weight * len(z)) * e / e.sum()

    def loss(z: np.ndarray) -> float:
        me = main_effects(scores, pd.Series(weights_of(z), index=inds), method=method,
                          frac=frac)["effective_weight"].to_numpy()
        return float(np.sum((me - t.to_numpy()) ** 2))

    z0 = np.log(np.maximum(t.to_numpy(), 1e-6))
    res = minimize(loss, z0, method="L-BFGS-B", options={"maxiter": maxiter})
    w = weights_of(res.x)
    achieved = main_effects(scores, pd.Series(w, index=inds), method=method, frac=frac)
    params = {"target": t.to_dict(), "estimator": method, "min_weight": min_weight}
    return make_weightset(w, inds, "optimised_importance", params, "optimise_weights",
                          data=scores,
                          conventions={"importance": f"normalised main effect ({method})",
                                       "reference": "Becker et al. 2017"},
                          diagnostics={"achieved": achieved["effective_weight"].to_dict(),
                                       "loss": float(res.fun), "converged": bool(res.success)})

