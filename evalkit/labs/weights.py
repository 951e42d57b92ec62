"""The weights lab: compare weighting schemes, move perspective weights live, chart robustness.

Helpers for ``notebooks/weights_lab.ipynb`` (the notebook only calls these). Every
function works on an :class:`evalkit.analysis.uncertainty.UncertaintyProblem` (one category's
scores and nominal weights; build it with
:func:`evalkit.analysis.uncertainty.problems_from_pipeline`). :func:`load_lab` also returns
the names of the units, indicators and perspectives (:class:`LabNames`), so that sliders,
tables (:func:`named`) and charts show names, not ids. Statistical charts are drawn with
seaborn: weights as heatmaps (:func:`plot_weights`, :func:`plot_kendall`), the simulated
ranks as box plots (:func:`plot_rank_distributions`).
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
from evalkit.core.labels import name_column, t
from evalkit.evaluate import evaluate
from evalkit.report.data import project_path
from evalkit.scoring.prepare import prepare
from evalkit.validate import validate
from evalkit.weights import DATA_DEPENDENT_NOTE, WEIGHTING, WeightSet, compute_weights


@dataclass
class LabNames:
    """id -> name of the units, indicators and perspectives (in the lab's language)."""

    units: dict[str, str]
    indicators: dict[str, str]
    perspectives: dict[str, str]
    grades: dict[str, str]
    lang: str = "zh"


def load_lab(spec_path: str, category: str | None = None, period: Any = None,
             lang: str = "zh") -> tuple[UncertaintyProblem, LabNames]:
    """The problem of one category (see :func:`load_problem`) and the names to show.

    ``spec_path`` is found from the project root as well (a notebook run in ``notebooks/``
    finds ``params/demo.yaml``; :func:`evalkit.report.data.project_path`).
    """
    spec, tables = validate(project_path(spec_path))
    scored = prepare(spec, tables)
    problems = problems_from_pipeline(spec, tables, period, scored=scored,
                                      results=evaluate(spec, tables, scored=scored))
    if category is not None and category not in problems:
        raise EvalkitError(f"unknown category {category!r}; expected one of {list(problems)}",
                           "category")
    p = problems[category] if category is not None else next(iter(problems.values()))
    units = tables["units"]
    col = name_column("unit_name", lang)
    uname = units[col] if col in units.columns else units["unit_name"]
    uname = uname.where(uname.notna() & (uname.astype(str) != ""), units["unit_name"])
    pick = (lambda o: o.name_en or o.name or o.id) if lang == "en" else \
        (lambda o: o.name or o.id)
    return p, LabNames(dict(zip(units.index.astype(str), uname.astype(str), strict=True)),
                       {i.id: pick(i) for i in spec.indicators},
                       {q.id: pick(q) for q in spec.perspectives},
                       {g.id: pick(g) for g in (spec.grades.levels if spec.grades else [])}, lang)


def load_problem(spec_path: str, category: str | None = None, period: Any = None
                 ) -> UncertaintyProblem:
    """The :class:`~evalkit.analysis.uncertainty.UncertaintyProblem` of one category of an
    evaluation (default: its first category; period: the current one), from the spec file."""
    return load_lab(spec_path, category, period)[0]


def named(df: pd.DataFrame | pd.Series, names: LabNames, digits: int = 2,
          percent: bool = False) -> pd.DataFrame | pd.Series:
    """``df`` for reading: unit, indicator and perspective ids (index and columns) and grade
    ids (values) replaced by their names, numbers rounded to ``digits`` (shares as percentages
    with ``percent``)."""
    every = {**names.perspectives, **names.indicators, **names.units}
    out = df.rename(index=lambda k: every.get(str(k), k))
    if isinstance(out, pd.DataFrame):
        out = out.rename(columns=lambda k: every.get(str(k), k))
        text = [c for c in out.columns if out[c].dtype == object]
        out[text] = out[text].apply(lambda c: c.map(lambda v: names.grades.get(v, v)))
    return (out * 100).round(digits) if percent else out.round(digits)


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


def scheme_notes(schemes: Mapping[str, Mapping[str, Any]], lang: str = "zh") -> dict[str, str]:
    """What a unit should know about each data-driven scheme (CRITIC, entropy, …): its
    weights are computed from the scores, so a unit that improves a benefit indicator can see
    its total fall when the weights move. Schemes with fixed weights get no note.

    Examples
    --------
    >>> list(scheme_notes({"critic": {"method": "critic"}, "ahp": {"method": "ahp"}}, "en"))
    ['critic']
    """
    return {name: t(DATA_DEPENDENT_NOTE, lang) for name, cfg in schemes.items()
            if WEIGHTING.trait(str(cfg.get("method")), "objective")}


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


def weight_sliders(p: UncertaintyProblem, names: Mapping[str, str] | LabNames | None = None,
                   top: int = 15) -> Any:
    """ipywidgets sliders for the perspective weights (labelled with the perspectives' names)
    and, below them, the weights normalised to sum to 1 and the ranking (top ``top``: unit,
    total, rank, the nominal rank and the change).

    Returns a ``VBox``; moving a slider recomputes :func:`ranking_for` (one small matrix
    product), so the table follows immediately; before any move it shows the nominal ranking.
    """
    import ipywidgets as widgets
    from IPython.display import display

    lab = names if isinstance(names, LabNames) else None
    persp = lab.perspectives if lab else dict(names or {})
    sliders = {g: widgets.FloatSlider(value=round(float(w), 3), min=0.0, max=1.0, step=0.01,
                                      description=persp.get(g, g), continuous_update=False,
                                      style={"description_width": "initial"})
               for g, w in p.group_weights.items()}
    out = widgets.Output()

    def refresh(_: Any = None) -> None:
        gw = pd.Series({g: s.value for g, s in sliders.items()}, dtype=float)
        with out:
            out.clear_output(wait=True)
            try:
                table = ranking_for(p, gw.to_dict()).head(top)
                table.insert(2, "rank_nominal", table["rank"] + table["rank_change"])
                norm = (gw / gw.sum()).rename(lambda g: persp.get(g, g))
                display(norm.to_frame("normalised weight").T.style.format("{:.1%}"))
                display(named(table, lab) if lab else table.round(2))
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


def plot_weights(weights: pd.DataFrame, ax: Any = None, lang: str = "zh",
                 names: LabNames | None = None) -> Any:
    """Indicator weights of several schemes (or nominal vs. effective) as a heatmap (seaborn),
    each cell annotated in percent."""
    import seaborn as sns

    w = named(weights, names, 4) if names else weights
    fig, ax = _fig(ax, (1.2 + 1.1 * w.shape[1], 0.28 * len(w) + 1.2))
    sns.heatmap(w * 100, annot=True, fmt=".1f", cmap="Blues", cbar_kws={
        "label": "权重（%）" if lang == "zh" else "weight (%)"}, ax=ax)
    ax.set_ylabel("")
    fig.tight_layout()
    return fig


def plot_kendall(kendall: pd.DataFrame, ax: Any = None, lang: str = "zh") -> Any:
    """Kendall's τ between the schemes' rankings as an annotated heatmap (seaborn)."""
    import seaborn as sns

    fig, ax = _fig(ax, (1.5 + 0.9 * len(kendall), 1.2 + 0.7 * len(kendall)))
    sns.heatmap(kendall, annot=True, fmt=".2f", vmin=-1, vmax=1, cmap="RdBu", ax=ax,
                cbar_kws={"label": "Kendall τ"})
    fig.tight_layout()
    return fig


def plot_rank_distributions(mc: Any, names: LabNames | None = None, n: int = 15,
                            ax: Any = None, lang: str = "zh") -> Any:
    """The simulated ranks of the ``n`` best units (nominal order) as box plots, the nominal
    rank as a dot (seaborn); needs :attr:`MonteCarloResult.ranks`."""
    import seaborn as sns

    column = {u: i for i, u in enumerate(mc.summary["unit_id"])}  # the order of mc.ranks
    s = mc.summary.sort_values("nominal_rank").head(n)
    pos = [column[u] for u in s["unit_id"]]
    label = [(names.units if names else {}).get(str(u), str(u)) for u in s["unit_id"]]
    long = pd.DataFrame(mc.ranks[:, pos], columns=label).melt(var_name="unit", value_name="rank")
    fig, ax = _fig(ax, (6, 0.3 * len(s) + 1.2))
    sns.boxplot(long, x="rank", y="unit", color="#cfe0ee", fliersize=1.5, ax=ax)
    sns.stripplot(x=s["nominal_rank"].to_numpy(), y=label, color="#c33", size=5, ax=ax,
                  label="名义排名" if lang == "zh" else "nominal rank")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[:1], labels[:1], loc="lower right", frameon=False)
    ax.set_xlabel("模拟排名" if lang == "zh" else "simulated rank")
    ax.set_ylabel("")
    fig.tight_layout()
    return fig
