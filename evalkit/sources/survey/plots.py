"""Charts and tables of survey results: funnel plot, group breakdown, reliability, and the
survey section of a unit report.

Every function reads the tables :func:`evalkit.sources.survey.analyse` produces (or the same tables
saved in Results as ``survey_by_unit``, ``survey_by_group``, ``survey_reliability``, …) and
draws on a bare :class:`matplotlib.figure.Figure` (no pyplot state). Labels come in Chinese
(``lang='zh'``) or English (``'en'``); a CJK font found on the machine is registered so Chinese
renders (see :mod:`evalkit.core.figures`).

The unit report calls :func:`report_section(results, unit_id, lang)
<report_section>`: it returns a :class:`SurveySection`, a ``(table, figure)`` pair that also
renders itself as HTML (escaped table + SVG chart).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError
from evalkit.core.figures import TableFigure, setup_matplotlib
from evalkit.core.labels import t
from evalkit.sources.survey.analysis import SurveyResult
from evalkit.sources.survey.ranking import funnel_limits


def _t(key: str, lang: str) -> str:
    """The label ``survey_<key>`` of :data:`evalkit.core.labels.LABELS` in ``lang``."""
    return t(f"survey_{key}", lang)


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    setup_matplotlib()
    return Figure(figsize=(width, height))


def survey_tables(results: Any, period: Any = None) -> dict[str, pd.DataFrame]:
    """The survey tables of ``results`` (Results, a mapping of tables, or a SurveyResult),
    keyed without the ``survey_`` prefix, restricted to ``period`` (default: the last)."""
    if isinstance(results, SurveyResult):
        return results.tables()
    tables = results if isinstance(results, Mapping) else getattr(results, "tables", None)
    if not isinstance(tables, Mapping):
        raise EvalkitError("expected Results, a mapping of tables or a SurveyResult, got "
                           f"{type(results).__name__}")
    out = {k[len("survey_"):]: v for k, v in tables.items() if str(k).startswith("survey_")}
    periods = [v["period"] for v in out.values() if "period" in v.columns and len(v)]
    if period is None and periods:
        allp = pd.concat(periods).astype(str).unique()
        period = sorted(allp, key=lambda p: (len(p), p))[-1]
    if period is not None:
        out = {k: v[v["period"].astype(str) == str(period)] if "period" in v.columns else v
               for k, v in out.items()}
    return out


def _pct(x: float, lo: float, hi: float) -> str:
    if not np.isfinite(x):
        return "—"
    return f"{100 * x:.1f}% ({100 * lo:.1f}–{100 * hi:.1f})"


def _pts(x: float, lo: float, hi: float) -> str:
    if not np.isfinite(x):
        return "—"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{x:.1f}"
    return f"{x:.1f} ({lo:.1f}–{hi:.1f})"


def group_table(by_group: pd.DataFrame, by_unit: pd.DataFrame, unit_id: str,
                lang: str = "zh") -> pd.DataFrame:
    """One unit's rates and points by group with intervals, plus the combined row."""
    g = by_group[by_group["unit_id"].astype(str) == str(unit_id)]
    u = by_unit[by_unit["unit_id"].astype(str) == str(unit_id)]
    label = "group_label" if lang == "zh" else "group_label_en"
    rows = []
    for r in g.itertuples(index=False):
        status = getattr(r, "status", "ok")
        rows.append({
            _t("group", lang): getattr(r, label, r.group),
            _t("n", lang): int(r.n),
            _t("rate", lang): _pct(r.rate, r.rate_lo, r.rate_hi),
            _t("points", lang): _pts(r.mean_points, r.points_lo, r.points_hi),
            _t("weight", lang): f"{r.weight:.2f}",
            _t("eff_weight", lang): f"{r.effective_weight:.2f}",
            _t("note", lang): "" if status == "ok" else _t(status, lang),
        })
    for r in u.itertuples(index=False):
        rows.append({
            _t("group", lang): _t("combined", lang), _t("n", lang): int(r.n),
            _t("rate", lang): _pct(r.rate, r.rate_lo, r.rate_hi),
            _t("points", lang): _pts(r.mean_points, r.points_lo, r.points_hi),
            _t("weight", lang): "", _t("eff_weight", lang): "1.00",
            _t("note", lang): _t("suppressed", lang) if r.suppressed else "",
        })
    return pd.DataFrame(rows)


def group_breakdown_plot(by_group: pd.DataFrame, by_unit: pd.DataFrame, unit_id: str,
                         lang: str = "zh", ax: Any = None) -> Any:
    """Satisfaction rate by group with intervals (and the combined rate) for one unit."""
    g = by_group[by_group["unit_id"].astype(str) == str(unit_id)]
    u = by_unit[by_unit["unit_id"].astype(str) == str(unit_id)]
    label = "group_label" if lang == "zh" else "group_label_en"
    names = [*g[label if label in g else "group"].astype(str), _t("combined", lang)]
    rate = np.r_[g["rate"].to_numpy(float), u["rate"].to_numpy(float)[:1]] * 100
    lo = np.r_[g["rate_lo"].to_numpy(float), u["rate_lo"].to_numpy(float)[:1]] * 100
    hi = np.r_[g["rate_hi"].to_numpy(float), u["rate_hi"].to_numpy(float)[:1]] * 100
    fig = None
    if ax is None:
        fig = _figure(6.4, 0.38 * len(names) + 1.0)
        ax = fig.subplots()
    y = np.arange(len(names))[::-1]
    ok = np.isfinite(rate)
    colours = np.where(np.arange(len(names)) == len(names) - 1, "#D55E00", "#0072B2")
    ax.hlines(y[ok], lo[ok], hi[ok], color=colours[ok], linewidth=2.5)
    ax.scatter(rate[ok], y[ok], color=colours[ok], zorder=3, s=30)
    for yy in y[~ok]:
        ax.text(0.01, yy, "—", va="center", color="#777777", transform=ax.get_yaxis_transform())
    ax.set_yticks(y, names)
    left = np.nanmin(lo) if ok.any() else 0
    ax.set_xlim(max(0.0, min(left - 5, 80.0)) if np.isfinite(left) else 0, 100)
    ax.set_xlabel(_t("rate_axis", lang))
    ax.grid(axis="x", alpha=0.3)
    return fig if fig is not None else ax.figure


def funnel_plot(by_unit: pd.DataFrame, target: float | None = None, lang: str = "zh",
                highlight: str | None = None, ax: Any = None, label_outliers: bool = True,
                max_labels: int = 8) -> Any:
    """Funnel plot: each unit's satisfaction rate against its effective n, with exact binomial
    95 % and 99.8 % limits around ``target`` (default: the overall rate, weighted by n_eff)."""
    d = by_unit.dropna(subset=["rate"])
    d = d[d["n_eff"] > 0]
    if target is None:
        target = float(np.average(d["rate"], weights=d["n_eff"])) if len(d) else 0.5
    target = float(np.clip(target, 1e-4, 1 - 1e-4))
    fig = None
    if ax is None:
        fig = _figure(6.4, 4.4)
        ax = fig.subplots()
    nmin = float(d["n_eff"].min()) if len(d) else 2.0
    nmax = float(d["n_eff"].max()) if len(d) else 10.0
    grid = np.geomspace(max(nmin / 1.5, 1.0), max(nmax * 1.3, nmin / 1.5 + 1), 200)
    lim = funnel_limits(target, grid)
    ax.plot(grid, lim["lo_95"], color="#999999", lw=1, ls="--", label="95%")
    ax.plot(grid, lim["hi_95"], color="#999999", lw=1, ls="--")
    ax.plot(grid, lim["lo_99.8"], color="#555555", lw=1, label="99.8%")
    ax.plot(grid, lim["hi_99.8"], color="#555555", lw=1)
    ax.axhline(target, color="#D55E00", lw=1, label=_t("target", lang))
    ax.scatter(d["n_eff"], d["rate"], s=14, color="#0072B2", alpha=0.8)
    if label_outliers and len(d):
        # label the most extreme units outside the 99.8% limits (at most ``max_labels``)
        z = (d["rate"].to_numpy() - target) / np.sqrt(target * (1 - target) / d["n_eff"])
        lim_u = funnel_limits(target, d["n_eff"].to_numpy())
        out = (d["rate"].to_numpy() < lim_u["lo_99.8"].to_numpy()) | \
              (d["rate"].to_numpy() > lim_u["hi_99.8"].to_numpy())
        pick = np.flatnonzero(out)[np.argsort(-np.abs(z[out]))][:max_labels]
        for r in d.iloc[pick].itertuples(index=False):
            ax.annotate(str(r.unit_id), (r.n_eff, r.rate), fontsize=7, xytext=(3, 2),
                        textcoords="offset points")
    low = min(float(d["rate"].min()) if len(d) else target, float(lim["lo_99.8"].min()))
    ax.set_ylim(max(low - 0.03, 0.0), 1.01)
    if highlight is not None:
        h = d[d["unit_id"].astype(str) == str(highlight)]
        ax.scatter(h["n_eff"], h["rate"], s=60, color="#D55E00", zorder=4)
    ax.set_xscale("log")
    ax.set_xlabel(_t("funnel_x", lang))
    ax.set_ylabel(_t("funnel_y", lang))
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig if fig is not None else ax.figure


def reliability_plot(reliability: pd.DataFrame, lang: str = "zh", labels: Mapping[str, str]
                     | None = None, ax: Any = None) -> Any:
    """Cronbach's α per questionnaire with Feldt intervals, and the 0.7 convention line."""
    d = reliability.dropna(subset=["alpha"])
    col = "label" if lang == "zh" else "label_en"
    own = d[col] if col in d.columns else d["questionnaire"]
    names = [str((labels or {}).get(q, lab)) for q, lab in zip(d["questionnaire"], own,
                                                                  strict=True)]
    fig = None
    if ax is None:
        fig = _figure(6.4, 0.4 * max(len(d), 1) + 1.0)
        ax = fig.subplots()
    y = np.arange(len(d))[::-1]
    ax.hlines(y, d["alpha_lo"], d["alpha_hi"], color="#0072B2", lw=2.5)
    ax.scatter(d["alpha"], y, color="#0072B2", zorder=3)
    ax.axvline(0.7, color="#999999", ls="--", lw=1)
    ax.set_yticks(y, names)
    ax.set_xlim(min(0.5, float(d["alpha_lo"].min()) - 0.05) if len(d) else 0, 1)
    ax.set_xlabel(_t("alpha", lang))
    return fig if fig is not None else ax.figure


SurveySection = TableFigure  # the shared (table, figure) report section


def report_section(results: Any, unit_id: str, lang: str = "zh", period: Any = None
                   ) -> SurveySection | None:
    """The survey section of a unit report: rates by group with intervals, and a chart.

    Parameters
    ----------
    results : Results, mapping of tables, or SurveyResult
        Reads ``survey_by_group`` and ``survey_by_unit`` (the current period by default).
    unit_id : str
    lang : {'zh', 'en'}

    Returns
    -------
    SurveySection or None
        ``(DataFrame, matplotlib Figure)``; None when the Results have no survey rows for the
        unit.
    """
    tabs = survey_tables(results, period)
    if "by_group" not in tabs or "by_unit" not in tabs:
        return None
    bg, bu = tabs["by_group"], tabs["by_unit"]
    if not (bu["unit_id"].astype(str) == str(unit_id)).any():
        return None
    table = group_table(bg, bu, unit_id, lang)
    return SurveySection(table, group_breakdown_plot(bg, bu, unit_id, lang))

