"""Charts and the unit-report section of peer rating.

- :func:`bench_chart`: a metric of the bench per scheme and scenario with 95 % Monte Carlo
  intervals (``value ± 1.96 se``);
- :func:`report_section`: what a unit report shows — the unit's peer score under the chosen
  scheme, the number of raters and their spread, per rater group, and a box chart of the
  ratings the unit received (from the ``peer_units`` and ``peer_received`` tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.figures import TableFigure, setup_matplotlib
from evalkit.core.labels import label_or, t


def _lab(key: str, lang: str) -> str:
    """The label ``peer_<key>`` of :data:`evalkit.core.labels.LABELS` in ``lang``."""
    return t(f"peer_{key}", lang)


def _group_label(group: str, lang: str) -> str:
    """A rater group's label (townships, departments, leaders, all), else its id."""
    return label_or(f"peer_group_{group}", lang, group)


def bench_chart(tab: pd.DataFrame, metric: str = "tau", n: int | None = None,
                design: str = "full", scale: str = "100", lang: str = "en") -> Any:
    """Dot-and-interval chart of ``metric``: schemes (rows) × scenarios (panels).

    Parameters
    ----------
    tab : DataFrame
        The tidy output of :func:`evalkit.sources.peer.bench.run_bench`.
    metric : str
        One of ``tau, rmse, top_k, bottom_k, bloc_gain, impartiality``.
    n, design, scale
        The cell to draw (default: the largest ``n``).
    lang : {'en', 'zh'}
        Language of the axis label.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from evalkit.sources.peer.bench import run_bench
    >>> tab = run_bench(n_list=[10], reps=10, schemes=["mean"], scenarios=["honest"], seed=1)
    >>> fig = bench_chart(tab, "tau")
    >>> len(fig.axes)
    1
    """
    setup_matplotlib()
    import matplotlib.pyplot as plt

    n = int(tab["n"].max()) if n is None else n
    sel = tab[(tab["metric"] == metric) & (tab["n"] == n) & (tab["design"] == design)
              & (tab["scale"] == scale)].dropna(subset=["value"])
    scen = list(dict.fromkeys(sel["scenario"]))
    schemes = list(dict.fromkeys(tab["scheme"]))[::-1]
    fig, axes = plt.subplots(1, max(len(scen), 1), figsize=(2.2 * max(len(scen), 1) + 1.2, 4.8),
                             sharey=True, squeeze=False)
    y = {s: i for i, s in enumerate(schemes)}
    for ax, sc in zip(axes[0], scen, strict=False):
        g = sel[sel["scenario"] == sc]
        yy = g["scheme"].map(y).to_numpy()
        ax.errorbar(g["value"], yy, xerr=1.96 * g["se"].fillna(0), fmt="o", ms=3.5,
                    color="#1f5f8b", ecolor="#8fb3cf", capsize=0)
        base = g.loc[g["scheme"] == "mean", "value"]
        if len(base):
            ax.axvline(float(base.iloc[0]), color="#c0392b", lw=0.8, ls="--")
        ax.set_title(sc, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", lw=0.3)
    axes[0][0].set_yticks(range(len(schemes)), schemes)
    label = label_or(f"peer_metric_{metric}", lang, metric)
    fig.supxlabel(t("peer_bench_axis", lang, metric=label, n=n, design=design, scale=scale),
                  fontsize=9)
    fig.tight_layout()
    return fig


PeerSection = TableFigure  # the shared (table, figure) report section


def _tables(results: Any) -> Mapping[str, pd.DataFrame]:
    return results.tables if hasattr(results, "tables") else results


def _period_rows(df: pd.DataFrame, period: Any) -> pd.DataFrame:
    if "period" not in df.columns:
        return df
    p = df["period"].astype(str)
    return df[p == (str(period) if period is not None else p.max())]


def _section_table(me: pd.Series, mine: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row for all raters (the unit's score under the scheme) and one per rater group."""
    cols = ("group", "scheme", "score", "n_raters", "mean", "sd", "min", "max")
    score = round(float(me["score"]), 2) if pd.notna(me["score"]) else None
    rows = [(_group_label("all", lang), me["scheme"], score, int(me["n_raters"]), me["mean"],
             me["sd"], me["min"], me["max"])]
    rows += [(_group_label(str(g["rater_group"]), lang), "", None, int(g["n"]), g["mean"],
              g["sd"], g["min"], g["max"]) for _, g in mine.iterrows()]
    return pd.DataFrame([{_lab(c, lang): v for c, v in zip(cols, r, strict=True)}
                         for r in rows]).round(2)


def _received_chart(tabs: Mapping[str, pd.DataFrame], units: pd.DataFrame, mine: pd.DataFrame,
                    unit_id: str, lang: str, period: Any) -> Any:
    """Box plot per rater group of the ratings the unit received, with the median mean rating
    of its category (of all units when the Results have no ``totals``) as a reference."""
    setup_matplotlib()
    import matplotlib.pyplot as plt

    stats = [{"label": _group_label(str(g["rater_group"]), lang), "whislo": g["min"],
              "q1": g["q1"], "med": g["median"], "q3": g["q3"], "whishi": g["max"],
              "fliers": []} for _, g in mine.iterrows()]
    fig, ax = plt.subplots(figsize=(5.5, 0.6 + 0.55 * max(len(stats), 1)))
    if stats:
        ax.bxp(stats, orientation="horizontal", showfliers=False, widths=0.5,
               patch_artist=True, boxprops={"facecolor": "#cfe0ee", "edgecolor": "#1f5f8b"},
               medianprops={"color": "#1f5f8b"})
    peers, ref_label = units, "all_median"
    if "totals" in tabs and "category" in tabs["totals"].columns:
        tot = _period_rows(tabs["totals"], period)
        cat = tot.loc[tot["unit_id"].astype(str) == str(unit_id), "category"]
        if len(cat):
            same = tot.loc[tot["category"] == cat.iloc[0], "unit_id"].astype(str)
            peers, ref_label = units[units["unit_id"].astype(str).isin(same)], "cat_median"
    ref = float(np.nanmedian(peers["mean"].to_numpy(dtype=float)))
    ax.axvline(ref, color="#c0392b", ls="--", lw=0.9, label=_lab(ref_label, lang))
    ax.set_xlabel(_lab("rating", lang))
    ax.legend(fontsize=8, loc="lower left", frameon=False)
    fig.tight_layout()
    plt.close(fig)  # detached from pyplot: no leak over many reports in one kernel
    return fig


def report_section(results: Any, unit_id: str, lang: str = "zh",
                   period: Any = None) -> PeerSection | None:
    """The peer-rating section of a unit report: a table and a chart.

    The table has one row for all raters (the peer score under the chosen scheme, 0–100, the
    number of raters, mean, SD, min and max of the ratings received) and one row per rater
    group (townships, departments, …). The chart is a box plot per rater group of the
    ratings received, with the category median of the mean rating as a reference line.

    Parameters
    ----------
    results : Results or mapping of tables
        Reads ``peer_units`` and ``peer_received`` (the last period unless ``period``).
    unit_id : str
    lang : {'zh', 'en'}
    period : optional

    Returns
    -------
    PeerSection or None
        ``(DataFrame, matplotlib Figure)``; None when the unit has no peer ratings.

    Examples
    --------
    >>> tabs = {"peer_units": pd.DataFrame({"unit_id": ["X"], "score": [80.0], "raw": [80.0],
    ...     "n_raters": [4], "scheme": ["mean"], "mean": [80.0], "sd": [5.0], "min": [75.0],
    ...     "max": [86.0]}),
    ...     "peer_received": pd.DataFrame({"unit_id": ["X"], "rater_group": ["dept"], "n": [4],
    ...     "mean": [80.0], "sd": [5.0], "min": [75.0], "q1": [76.0], "median": [79.0],
    ...     "q3": [83.0], "max": [86.0]})}
    >>> sec = report_section(tabs, "X", "en")
    >>> sec.table["Raters' group"].tolist()
    ['All', 'Departments']
    """
    tabs = _tables(results)
    if "peer_units" not in tabs or "peer_received" not in tabs:
        return None
    units = _period_rows(tabs["peer_units"], period)
    rec = _period_rows(tabs["peer_received"], period)
    me = units[units["unit_id"].astype(str) == str(unit_id)]
    mine = rec[rec["unit_id"].astype(str) == str(unit_id)]
    if me.empty or int(me["n_raters"].iloc[0]) == 0:
        return None
    return PeerSection(_section_table(me.iloc[0], mine, lang),
                       _received_chart(tabs, units, mine, unit_id, lang, period))
