"""Objective (data-driven) weighting schemes, computed within a category's units.

Registered keys: ``entropy``, ``critic``, ``sd``, ``cv``, ``pca``, ``bod``.

``data`` is the units × items matrix of ONE category (分类考核: weights are made among
comparable units). Missing values are ignored column by column (``entropy``, ``sd``,
``cv``), pairwise (``critic``'s correlations) or by dropping incomplete units (``pca``,
``bod``, counted in ``diagnostics["n_dropped"]``).

The normalisation convention
----------------------------
Libraries disagree on how direction (benefit / cost) and normalisation enter entropy,
CRITIC and SD weights; the convention here is the named parameter ``normalisation``:

- ``minmax`` (default): first orient and rescale every column to [0, 1],
  ``x' = (x − min)/(max − min)`` for benefit and ``(max − x)/(max − min)`` for cost
  indicators (``directions``: item -> ``benefit``/``cost`` or 1/−1; default benefit). The
  weights are then invariant to the unit of measure and to shifts of origin, and a cost
  indicator is treated as the mirror image of a benefit one. This is the usual 熵权法
  convention (极差标准化 before the entropy) and Diakoulaki et al.'s for CRITIC.
- ``raw``: use the values as given and ignore direction (pymcdm's convention). SD weights
  then change with the unit of measure (yuan vs. 10,000 yuan), which is why it is not the
  default; entropy on raw values needs positive values (proportions ``x / Σ x``).

When the data are evalkit scores (0–100, already oriented), leave ``directions`` empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import MethodError
from evalkit.weights import WEIGHTING, WeightSet, check_params, make_weightset

NORMALISATIONS = ("minmax", "raw")
BASE_PARAMS = ["directions", "normalisation"]


def data_matrix(items: Sequence[str], data: pd.DataFrame | None, method: str,
            where: str) -> pd.DataFrame:
    if data is None:
        raise MethodError(f"{method} is an objective scheme and needs the units × indicators "
                          "data of the category", where)
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise MethodError(f"{method}: no data for items {missing}; columns present: "
                          f"{list(data.columns)}", where)
    x = data[list(items)].apply(pd.to_numeric, errors="coerce").astype(float)
    counts = x.notna().sum()
    few = counts[counts < 3]
    if len(few):
        raise MethodError(f"{method} needs at least 3 units with a value; indicator "
                          f"{few.index[0]!r} has {int(few.iloc[0])}",
                          f"{where}.data.{few.index[0]}")
    const = x.columns[(x.max() - x.min()).to_numpy() <= 1e-12 * np.maximum(1.0, x.abs().max())]
    if len(const):
        raise MethodError(f"{method}: indicator {const[0]!r} is constant across the units "
                          "(no variation, no information); drop it or weight it by a "
                          "subjective scheme", f"{where}.data.{const[0]}")
    return x


def _directions(params: Mapping[str, Any], items: Sequence[str], where: str) -> np.ndarray:
    d = params.get("directions") or {}
    if not isinstance(d, Mapping):
        raise MethodError("directions must be a mapping item -> benefit|cost",
                          f"{where}.directions")
    out = np.ones(len(items))
    for k, v in d.items():
        if k not in items:
            raise MethodError(f"unknown item {k!r}; expected one of {list(items)}",
                              f"{where}.directions.{k}")
        if v in ("cost", -1):
            out[list(items).index(k)] = -1.0
        elif v not in ("benefit", 1):
            raise MethodError(f"expected benefit or cost, got {v!r}", f"{where}.directions.{k}")
    return out


def normalise_data(x: pd.DataFrame, params: Mapping[str, Any], items: Sequence[str],
               where: str) -> tuple[pd.DataFrame, str]:
    norm = str(params.get("normalisation", "minmax"))
    if norm not in NORMALISATIONS:
        raise MethodError(f"normalisation must be one of {list(NORMALISATIONS)}, got {norm!r}",
                          f"{where}.normalisation")
    if norm == "raw":
        return x, norm
    d = _directions(params, items, where)
    lo, hi = x.min(), x.max()
    z = (x - lo) / (hi - lo)
    z.loc[:, d < 0] = 1.0 - z.loc[:, d < 0]
    return z, norm


def require_positive(x: pd.DataFrame, method: str, where: str, strict: bool = True) -> None:
    bad = (x <= 0) if strict else (x < 0)
    if bad.to_numpy().any():
        col = x.columns[bad.any().to_numpy()][0]
        row = x.index[bad[col].to_numpy()][0]
        need = "> 0" if strict else "≥ 0"
        raise MethodError(f"{method} on raw values needs values {need}; unit {row!r} has "
                          f"{x.loc[row, col]:g}", f"{where}.data.{col}")


@WEIGHTING.register("entropy", objective=True)
def entropy(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
            where: str) -> WeightSet:
    """Entropy weights (熵权法): more dispersion, less entropy, more weight.

    ``p_ij = x'_ij / Σ_i x'_ij``, ``e_j = −(1/ln m) Σ_i p_ij ln p_ij`` (``0 ln 0 = 0``, m =
    units with a value), ``d_j = 1 − e_j``, ``w_j = d_j / Σ_k d_k``. ``x'`` follows the
    ``normalisation`` convention (module docstring; ``minmax`` by default, ``raw`` needs
    positive values). Shannon 1948; Zeleny 1982, *Multiple Criteria Decision Making*; Hwang &
    Yoon 1981, *Multiple Attribute Decision Making*, §4.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 10], "b": [5, 6, 7, 8]})
    >>> w = entropy(["a", "b"], d, {}, "w").weights
    >>> bool(w["a"] > w["b"])
    True
    """
    check_params(params, BASE_PARAMS, "entropy", where)
    x, norm = normalise_data(data_matrix(items, data, "entropy", where), params, items, where)
    if norm == "raw":
        require_positive(x, "entropy", where)
    p = x / x.sum()
    v = p.to_numpy()
    plogp = np.where(v > 0, v * np.log(np.where(v > 0, v, 1.0)), 0.0)
    plogp = np.where(np.isnan(v), 0.0, plogp)
    m = x.notna().sum().to_numpy()
    e = -plogp.sum(axis=0) / np.log(m)
    return make_weightset(1.0 - e, items, "entropy", params, where, data=data,
                          conventions={"normalisation": norm, "log": "natural, e_j / ln m"},
                          diagnostics={"entropy": dict(zip(items, e.tolist(), strict=True))})


@WEIGHTING.register("critic", objective=True)
def critic(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
           where: str) -> WeightSet:
    """CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995, "Determining objective
    weights in multiple criteria problems: the CRITIC method", Computers & OR 22(7)).

    ``C_j = σ_j Σ_k (1 − r_jk)``, ``w_j = C_j / Σ C``: contrast (standard deviation σ_j of
    the normalised column, ddof = 1) times conflict with the other indicators (Pearson
    correlations r_jk, pairwise complete). Normalisation per ``normalisation`` (``minmax``
    with direction by default, as in the original paper).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 5], "c": [4, 1, 3, 2]})
    >>> w = critic(["a", "b", "c"], d, {}, "w").weights
    >>> bool(w["c"] > w["a"])
    True
    """
    check_params(params, BASE_PARAMS, "critic", where)
    x, norm = normalise_data(data_matrix(items, data, "critic", where), params, items, where)
    sd = x.std(ddof=1).to_numpy()
    r = x.corr().to_numpy()
    c = sd * (1.0 - r).sum(axis=0)
    return make_weightset(c, items, "critic", params, where, data=data,
                          conventions={"normalisation": norm, "sd": "ddof=1",
                                       "correlation": "Pearson, pairwise complete"},
                          diagnostics={"information": dict(zip(items, c.tolist(), strict=True))})


@WEIGHTING.register("sd", objective=True)
def standard_deviation(items: Sequence[str], data: pd.DataFrame | None,
                       params: dict[str, Any], where: str) -> WeightSet:
    """Standard-deviation weights: ``w_j = σ_j / Σ_k σ_k`` of the normalised columns.

    With the default ``normalisation: minmax`` the weights do not depend on the unit of
    measure (with ``raw`` they do: multiplying a column by 1000 multiplies its σ by 1000).
    Diakoulaki et al. 1995 (§2); Jahan & Edwards 2015, "A state-of-the-art survey on the
    influence of normalization techniques in ranking", Materials & Design 65.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [0, 5, 10], "b": [0, 0, 10]})
    >>> standard_deviation(["a", "b"], d, {}, "w").weights.round(4).tolist()
    [0.4641, 0.5359]
    """
    check_params(params, BASE_PARAMS, "sd", where)
    x, norm = normalise_data(data_matrix(items, data, "sd", where), params, items, where)
    sd = x.std(ddof=1).to_numpy()
    return make_weightset(sd, items, "sd", params, where, data=data,
                          conventions={"normalisation": norm, "sd": "ddof=1"})


@WEIGHTING.register("cv", objective=True)
def coefficient_of_variation(items: Sequence[str], data: pd.DataFrame | None,
                             params: dict[str, Any], where: str) -> WeightSet:
    """Coefficient-of-variation weights: ``w_j = CV_j / Σ CV``, ``CV_j = σ_j / μ_j`` (ddof = 1).

    Computed on raw values, which must be ≥ 0 with a positive mean (a ratio scale): CV is
    then invariant to the unit of measure but not to shifts of origin, so it suits counts,
    amounts and rates, not scores with an arbitrary zero. Direction is irrelevant (CV measures
    relative dispersion, which a cost indicator has as much as a benefit one). Diakoulaki et
    al. 1995; 变异系数法 in Chinese practice.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3], "b": [10, 11, 12]})
    >>> w = coefficient_of_variation(["a", "b"], d, {}, "w").weights
    >>> bool(w["a"] > w["b"])
    True
    """
    check_params(params, [], "cv", where)
    x = data_matrix(items, data, "cv", where)
    require_positive(x, "cv", where, strict=False)
    cv = (x.std(ddof=1) / x.mean()).to_numpy()
    return make_weightset(cv, items, "cv", params, where, data=data,
                          conventions={"normalisation": "raw (ratio scale)", "sd": "ddof=1"})


@WEIGHTING.register("pca", objective=True)
def pca(items: Sequence[str], data: pd.DataFrame | None, params: dict[str, Any],
        where: str) -> WeightSet:
    """PCA / factor-based weights on the correlation matrix of the oriented indicators.

    Columns are oriented by ``directions`` (cost indicators negated) and standardised, so the
    weights do not depend on units of measure. ``variant``:

    - ``handbook`` (default; Nicoletti, Scarpetta & Boylaud 2000, OECD WP 226; OECD/JRC
      *Handbook on Constructing Composite Indicators* 2008, §6.1): keep the components with
      eigenvalue > 1 (Kaiser; at least one; or ``n_components``), rotate the loadings by
      varimax (``rotation: varimax|none``, :func:`statsmodels.multivariate.factor_rotation.
      rotate_factors`), square them and scale each factor's squared loadings to sum 1;
      each indicator takes its largest scaled squared loading times the share of variance its
      factor explains; normalise. Squares make the weights sign-free and positive.
    - ``first_component``: ``w_j ∝ max(0, l_j1)``, the first component's loadings with the
      sign convention that the component is oriented so that ``Σ_j l_j1 > 0`` (it measures
      "better" in the oriented indicators); an indicator loading against it gets weight 0
      and a flag.

    Incomplete units are dropped (``diagnostics["n_dropped"]``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0); f = rng.normal(size=50)
    >>> d = pd.DataFrame({"a": f + rng.normal(size=50) * .3, "b": f + rng.normal(size=50) * .3,
    ...                   "c": rng.normal(size=50)})
    >>> w = pca(["a", "b", "c"], d, {"variant": "first_component"}, "w").weights
    >>> bool(w["a"] > w["c"] and w["b"] > w["c"])
    True
    """
    check_params(params, ["directions", "variant", "n_components", "rotation"], "pca", where)
    x = data_matrix(items, data, "pca", where)
    full = x.dropna()
    if len(full) < len(items) + 1 and len(full) < 3:
        raise MethodError(f"pca needs at least 3 complete units; {len(full)} have every value",
                          f"{where}.data")
    d = _directions(params, items, where)
    z = (full - full.mean()) / full.std(ddof=1) * d
    corr = np.corrcoef(z.to_numpy(), rowvar=False)
    vals, vecs = np.linalg.eigh(corr)
    order = np.argsort(vals)[::-1]
    vals, vecs = np.clip(vals[order], 0.0, None), vecs[:, order]
    loadings = vecs * np.sqrt(vals)
    variant = str(params.get("variant", "handbook"))
    flags: list[str] = []
    if variant == "first_component":
        l1 = loadings[:, 0] * (1.0 if loadings[:, 0].sum() >= 0 else -1.0)
        neg = [items[j] for j in np.flatnonzero(l1 < 0)]
        if neg:
            flags.append(f"indicators loading against the first component get weight 0: {neg}")
        w = np.clip(l1, 0.0, None)
        conv = {"sign": "component oriented so that the sum of loadings is positive; "
                        "negative loadings -> 0"}
        diag: dict[str, Any] = {"explained": float(vals[0] / vals.sum())}
    elif variant == "handbook":
        k = params.get("n_components")
        k = int(max(1, (vals > 1.0).sum())) if k is None else int(k)
        if not 1 <= k <= len(items):
            raise MethodError(f"n_components must be in 1..{len(items)}, got {k}",
                              f"{where}.n_components")
        lk = loadings[:, :k]
        rot = str(params.get("rotation", "varimax"))
        if rot == "varimax" and k > 1:
            from statsmodels.multivariate.factor_rotation import rotate_factors

            lk = rotate_factors(lk, "varimax")[0]
        elif rot not in ("varimax", "none"):
            raise MethodError(f"rotation must be varimax or none, got {rot!r}",
                              f"{where}.rotation")
        sq = lk**2
        var_f = sq.sum(axis=0)
        scaled = sq / var_f
        share = var_f / var_f.sum()
        best = np.argmax(scaled, axis=1)
        w = scaled[np.arange(len(items)), best] * share[best]
        conv = {"sign": "squared loadings (sign-free)", "rotation": rot,
                "retained": "eigenvalue > 1 (Kaiser)" if params.get("n_components") is None
                else f"{k} components"}
        diag = {"n_components": k, "explained": float(vals[:k].sum() / vals.sum()),
                "factor_of_item": dict(zip(items, best.tolist(), strict=True))}
    else:
        raise MethodError(f"variant must be handbook or first_component, got {variant!r}",
                          f"{where}.variant")
    diag["n_dropped"] = len(x) - len(full)
    return make_weightset(w, items, "pca", params, where, data=data,
                          conventions={"standardisation": "z-scores of direction-oriented "
                                                          "columns", "variant": variant, **conv},
                          diagnostics=diag, flags=flags)
