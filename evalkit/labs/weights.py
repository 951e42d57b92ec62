"""The weights lab: compare weighting schemes, move perspective weights live, chart robustness.

Helpers for ``notebooks/weights_lab.ipynb`` (the notebook only calls these). Every
function works on an :class:`evalkit.analysis.uncertainty.UncertaintyProblem` (one category's
scores and nominal weights; build it with
:func:`evalkit.analysis.uncertainty.problems_from_pipeline`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analysis.uncertainty import (
    UncertaintyProblem,
    grades_batch,
    local_from_global,
    problems_from_pipeline,
    ranks_within,
    totals_local,
)
from evalkit.core.errors import EvalkitError
from evalkit.core.figures import setup_matplotlib
from evalkit.evaluate import evaluate
from evalkit.scoring.prepare import prepare
from evalkit.validate import validate
from evalkit.weights import WeightSet, compute_weights


def load_problem(spec_path: str, category: str | None = None, period: Any = None
                 ) -> UncertaintyProblem:
    """The :class:`~evalkit.analysis.uncertainty.UncertaintyProblem` of one category of an
    evaluation (default: its first category; period: the current one), from the spec file."""
    spec, tables = validate(spec_path)
    scored = prepare(spec, tables)
    problems = problems_from_pipeline(spec, tables, period, scored=scored,
                                      results=evaluate(spec, tables, scored=scored))
    if category is None:
        return next(iter(problems.values()))
    if category not in problems:
        raise EvalkitError(f"unknown category {category!r}; expected one of {list(problems)}",
                           "category")
    return problems[category]


def scheme_options(p: UncertaintyProblem, schemes: Mapping[str, Mapping[str, Any]]
                   ) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Weights of the indicators within each perspective by each scheme (perspective weights
    kept nominal), ready for ``p.weight_options``.

    ``schemes``: name -> ``{method: key, ...params}``; objective schemes run on each
    perspective's indicator scores in ``p.scores``; a perspective with one indicator keeps
    weight 1. Subjective parameters must name the indicators they weigh.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> s = pd.DataFrame(np.random.default_rng(0).uniform(0, 100, (20, 3)), columns=list("abc"))
    >>> p = UncertaintyProblem.from_weights(s)
    >>> sorted(scheme_options(p, {"sd": {"method": "sd"}}))
    ['sd']
    """
    out = {}
    for name, cfg in schemes.items():
        cfg = dict(cfg)
        method = cfg.pop("method", None)
        if not isinstance(method, str):
            raise EvalkitError("each scheme needs a method", f"schemes.{name}.method")
        parts = []
        for g, cols in p.groups.groupby(p.groups, sort=False).groups.items():
            cols = list(cols)
            if len(cols) == 1:
                parts.append(pd.Series(1.0, index=cols))
                continue
            ws = compute_weights(method, cols, p.scores[cols], where=f"schemes.{name}[{g}]",
                                 **cfg)
            parts.append(ws.weights)
        out[name] = (pd.concat(parts).reindex(p.scores.columns), p.group_weights.copy())
    return out


@dataclass
class SchemeComparison:
    """Schemes side by side for one category.

    Attributes
    ----------
    weights : DataFrame
        Global indicator weights, one column per scheme.
    totals, ranks, grades : DataFrame
        Per unit (index ``unit_id``), one column per scheme.
    kendall : DataFrame
        Kendall's τ-b between the schemes' rankings (scipy.stats.kendalltau).
    grade_changes : DataFrame
        Units whose grade under a scheme differs from the first scheme's: ``unit_id``,
        ``scheme``, ``grade_first``, ``grade``, ``rank_first``, ``rank``.
    """

    weights: pd.DataFrame
    totals: pd.DataFrame
    ranks: pd.DataFrame
    grades: pd.DataFrame | None
    kendall: pd.DataFrame
    grade_changes: pd.DataFrame


def _option_weights(p: UncertaintyProblem, o: tuple[pd.Series, pd.Series] | pd.Series | WeightSet
                    ) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Local weights (indicators, nodes) and global indicator weights of one option."""
    if isinstance(o, WeightSet):
        o = o.weights
    if isinstance(o, tuple):
        iw, nw = p.option_arrays(pd.Series(o[0], dtype=float), pd.Series(o[1], dtype=float))
        return iw, nw, p.global_weights_for(o[0], o[1])
    s = pd.Series(o, dtype=float).reindex(p.scores.columns).fillna(0.0)
    s = s / s.sum()
    IW, NW = local_from_global(p.tree, s.to_numpy()[:, None])
    return IW[0], NW[0], s


def compare_schemes(p: UncertaintyProblem,
                    options: Mapping[str, tuple[pd.Series, pd.Series] | pd.Series | WeightSet]
                    | None = None) -> SchemeComparison:
    """Totals, ranks, grades and Kendall's τ under each scheme (the first is the reference).

    ``options``: name -> (within-perspective weights, perspective weights) as made by
    :func:`scheme_options`, or global indicator weights (a Series or WeightSet). Default:
    the nominal weights and ``p.weight_options``.
    """
    from scipy.stats import kendalltau

    src = options if options is not None else {"nominal": (p.within, p.group_weights),
                                               **p.weight_options}
    parts = {name: _option_weights(p, o) for name, o in src.items()}
    names = list(parts)
    opts = {n: parts[n][2] for n in names}
    T = totals_local(p, np.array([parts[n][0] for n in names]),
                     np.array([parts[n][1] for n in names]))
    codes = pd.Categorical(p.category).codes
    R = ranks_within(T, codes, stable=True)
    uid = p.scores.index.astype(str)
    totals = pd.DataFrame(T.T, index=uid, columns=names)
    ranks = pd.DataFrame(R.T, index=uid, columns=names)
    grades = None
    changes = pd.DataFrame(columns=["unit_id", "scheme", "grade_first", "grade", "rank_first",
                                    "rank"])
    if p.grades is not None and len(p.grades):
        veto = None if p.veto is None else \
            p.veto.reindex(p.scores.index).fillna(False).to_numpy(dtype=bool)
        G = grades_batch(T, R, codes, p.grades, p.quota_rounding, veto, p.veto_max,
                         ties=p.grade_ties)
        gid = np.array(p.grades["grade"].astype(str))
        grades = pd.DataFrame(gid[G.T], index=uid, columns=names)
        rows = []
        for n in names[1:]:
            moved = grades.index[grades[n] != grades[names[0]]]
            rows.append(pd.DataFrame({"unit_id": moved, "scheme": n,
                                      "grade_first": grades.loc[moved, names[0]].to_numpy(),
                                      "grade": grades.loc[moved, n].to_numpy(),
                                      "rank_first": ranks.loc[moved, names[0]].to_numpy(),
                                      "rank": ranks.loc[moved, n].to_numpy()}))
        if rows:
            changes = pd.concat(rows, ignore_index=True)
    tau = np.eye(len(names))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            tau[i, j] = tau[j, i] = kendalltau(ranks.iloc[:, i], ranks.iloc[:, j]).statistic
    return SchemeComparison(pd.DataFrame(opts), totals, ranks, grades,
                            pd.DataFrame(tau, index=names, columns=names), changes)


def ranking_for(p: UncertaintyProblem, group_weights: Mapping[str, float] | None = None
                ) -> pd.DataFrame:
    """Totals, ranks (and grades) with other perspective weights: what the sliders show."""
    gw = p.group_weights if group_weights is None else \
        pd.Series(group_weights, dtype=float).reindex(p.group_weights.index).fillna(0.0)
    if gw.sum() <= 0:
        raise EvalkitError("perspective weights sum to 0; give one a positive weight",
                           "group_weights")
    cmp = compare_schemes(p, {"nominal": (p.within, p.group_weights), "now": (p.within, gw)})
    out = pd.DataFrame({"total": cmp.totals["now"], "rank": cmp.ranks["now"],
                        "rank_change": cmp.ranks["nominal"] - cmp.ranks["now"]})
    if cmp.grades is not None:
        out["grade"] = cmp.grades["now"]
        out["grade_nominal"] = cmp.grades["nominal"]
    return out.sort_values("rank")


def weight_sliders(p: UncertaintyProblem, names: Mapping[str, str] | None = None,
                   top: int = 15) -> Any:
    """ipywidgets sliders for the perspective weights and a live ranking table (top ``top``).

    Returns a ``VBox``; moving a slider recomputes :func:`ranking_for` (one small matrix
    product), so the table follows immediately.
    """
    import ipywidgets as widgets
    from IPython.display import display

    sliders = {g: widgets.FloatSlider(value=round(float(w), 3), min=0.0, max=1.0, step=0.01,
                                      description=(names or {}).get(g, g),
                                      continuous_update=False)
               for g, w in p.group_weights.items()}
    out = widgets.Output()

    def refresh(_: Any = None) -> None:
        gw = {g: s.value for g, s in sliders.items()}
        with out:
            out.clear_output(wait=True)
            try:
                display(ranking_for(p, gw).head(top))
            except EvalkitError as err:
                print(err)

    for s in sliders.values():
        s.observe(refresh, names="value")
    refresh()
    return widgets.VBox([*sliders.values(), out])


# -- charts ---------------------------------------------------------------------------------
def _fig(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt

    setup_matplotlib()
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax


def plot_rank_intervals(summary: pd.DataFrame, labels: Mapping[str, str] | None = None,
                        n: int | None = 30, ax: Any = None, lang: str = "zh") -> Any:
    """Nominal rank (dot) and 5–95 % rank interval (bar) per unit, best first.

    ``summary`` is :attr:`evalkit.analysis.uncertainty.MonteCarloResult.summary` (one category).
    """
    s = summary.sort_values("nominal_rank")
    if n is not None:
        s = s.head(n)
    fig, ax = _fig(ax, (6, 0.22 * len(s) + 1))
    y = np.arange(len(s))
    ax.hlines(y, s["rank_p05"], s["rank_p95"], color="#8aa", lw=3)
    ax.plot(s["rank_median"], y, "|", color="#355", ms=8)
    ax.plot(s["nominal_rank"], y, "o", color="#c33", ms=4)
    ax.set_yticks(y, [(labels or {}).get(u, u) for u in s["unit_id"]])
    ax.invert_yaxis()
    ax.set_xlabel("排名（5%–95% 区间，● 名义排名）" if lang == "zh" else
                  "rank (5–95% interval, ● nominal)")
    fig.tight_layout()
    return fig


def plot_sensitivity(sobol: pd.DataFrame, output: str = "rank_shift", ax: Any = None,
                     lang: str = "zh") -> Any:
    """First-order (S1) and total (ST) Sobol indices per uncertain choice, with intervals."""
    s = sobol[sobol["output"] == output].sort_values("ST", ascending=True)
    fig, ax = _fig(ax, (6, 0.3 * len(s) + 1))
    y = np.arange(len(s))
    ax.barh(y - 0.2, s["S1"], 0.4, xerr=s["S1_conf"], label="S1", color="#8aa")
    ax.barh(y + 0.2, s["ST"], 0.4, xerr=s["ST_conf"], label="ST", color="#c96")
    ax.set_yticks(y, s["factor"])
    ax.set_xlabel("Sobol 敏感度指数" if lang == "zh" else "Sobol index")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_weights(weights: pd.DataFrame, ax: Any = None, lang: str = "zh") -> Any:
    """Indicator weights of several schemes (or nominal vs. effective) side by side."""
    fig, ax = _fig(ax, (7, 0.18 * len(weights) * max(1, weights.shape[1] / 2) + 1))
    weights.iloc[::-1].plot.barh(ax=ax, width=0.8)
    ax.set_xlabel("权重" if lang == "zh" else "weight")
    fig.tight_layout()
    return fig
