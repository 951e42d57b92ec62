"""Light SVG charts for the reports (matplotlib, text kept as text).

Charts are drawn on a bare :class:`matplotlib.figure.Figure` (no pyplot state, nothing to
close) and returned as :class:`SVGBlock` strings that Jupyter displays inline and nbconvert
copies into the HTML as inline ``<svg>`` elements. ``svg.fonttype='none'`` keeps Chinese
labels as ``<text>`` that the browser renders;
:func:`evalkit.core.figures.setup_matplotlib` registers a CJK font for measuring the labels
when the machine has one.

Examples
--------
>>> from evalkit.report.plots import bar_markers
>>> svg = bar_markers(["经济发展", "民生"], [80.0, 60.0], {"中位数": [70.0, 65.0]}, "得分")
>>> "经济发展" in svg and svg.lstrip().startswith("<svg")
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evalkit.core.figures import HTMLBlock, SVGBlock, section, setup_matplotlib, to_svg
from evalkit.core.labels import t
from evalkit.report.data import UnitView, current_totals, in_period, table
from evalkit.report.names import names
from evalkit.results import Results

#: Colours (colour-blind safe, Okabe–Ito).
UNIT_COLOUR, MEDIAN_COLOUR, BEST_COLOUR = "#0072B2", "#E69F00", "#009E73"
MARKERS = ("|", "D", "o", "s")


def text_width_in(labels: Sequence[str], size_pt: float) -> float:
    """Estimated width in inches of the longest label: a CJK character is one em wide, a
    Latin character about 0.6 em (1 em = ``size_pt`` / 72 inch)."""
    em = size_pt / 72.0
    widths = [sum(em if ord(c) >= 0x2E80 else 0.6 * em for c in str(s)) for s in labels]
    return max(widths, default=0.0)


def bar_markers(labels: Sequence[str], values: Sequence[float],
                markers: Mapping[str, Sequence[float]], xlabel: str,
                bar_label: str = "", xmax: float = 100.0) -> SVGBlock:
    """Horizontal bars (``values``) with reference markers per row (e.g. median, best).

    Parameters
    ----------
    labels : row labels (top to bottom).
    values : bar length per row.
    markers : legend label -> one value per row, drawn as a marker on the row.
    xlabel, bar_label : axis label and the bars' legend label.
    xmax : upper end of the axis (the point scale).
    """
    import matplotlib
    from matplotlib.figure import Figure

    setup_matplotlib()
    n = len(labels)
    # fixed margins (no tight-bbox pass): room for the labels, the legend and the axis label
    size = float(matplotlib.rcParams["font.size"])
    width, height = 5.2, 0.42 * n + 1.1  # 5.2 in: labels stay >= 10 px on a 390 px phone
    left = min(0.5, (text_width_in(labels, size) + 0.25) / width)
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left, right=0.97, bottom=0.5 / height, top=1 - 0.4 / height)
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    ax.barh(y, np.asarray(values, dtype=float), color=UNIT_COLOUR, height=0.55,
            label=bar_label or None)
    colours = (MEDIAN_COLOUR, BEST_COLOUR, "#CC79A7", "#56B4E9")
    for i, (name, vals) in enumerate(markers.items()):
        mk = MARKERS[i % 4]
        ax.scatter(np.asarray(vals, dtype=float), y, marker=mk, s=260 if mk == "|" else 60,
                   zorder=3,
                   color=colours[i % 4], label=name, linewidths=2)
    ax.set_yticks(y, [str(s) for s in labels])
    ax.set_xlim(0, xmax)
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=1 + len(markers),
              frameon=False)
    return to_svg(fig, tight=False)


def perspective_frame(view: UnitView) -> pd.DataFrame:
    """Perspective scores of the unit with the median and best of its category.

    Perspectives are the ``nodes`` that hold indicators (``perspective_id`` of
    ``meta_indicators``), in metadata order, except those without an indicator for the
    category; median and best are taken over the units of the same category in the current
    period (a groupby over the Results rows).
    """
    nodes = in_period(table(view.res, "nodes"), view.period)
    cur = nodes.loc[nodes["unit_id"].isin(view.peers["unit_id"])]
    meta = table(view.res, "meta_indicators")
    persp = list(dict.fromkeys(meta["perspective_id"])) if meta is not None else \
        list(dict.fromkeys(cur["node_id"]))
    cur = cur.loc[cur["node_id"].isin(persp)]
    stats = cur.groupby("node_id")["score"].agg(["median", "max"])
    mine = cur.loc[cur["unit_id"] == view.unit_id].set_index("node_id")["score"]
    out = pd.DataFrame({"unit": mine, "median": stats["median"], "best": stats["max"]})
    # a perspective without an indicator for the category has no score anywhere in it: left out
    return out.reindex([p for p in persp if p in out.index]).dropna(how="all")


def perspective_chart(view: UnitView) -> SVGBlock:
    """The unit's perspective scores against its category's median and best (SVG)."""
    lang = view.lang
    df = perspective_frame(view)
    pnames = names(view.res, "meta_nodes", "node_id", lang)
    labels = [str(pnames.get(str(p), p)) for p in df.index]
    return bar_markers(labels, df["unit"].to_numpy(),
                       {t("category_median", lang): df["median"].to_numpy(),
                        t("category_best", lang): df["best"].to_numpy()},
                       t("score", lang), t("this_unit", lang))


def perspectives(view: UnitView) -> HTMLBlock:
    """The perspective chart under its title (see :func:`perspective_chart`)."""
    return section(t("perspectives", view.lang), perspective_chart(view)._repr_html_())


def totals_by_category(res: Results, lang: str) -> SVGBlock:
    """Distribution of the current totals by category: one dot per unit, median marked."""
    from matplotlib.figure import Figure

    setup_matplotlib()
    cur = current_totals(res)
    cats = list(dict.fromkeys(cur["category"]))
    cnames = names(res, "meta_categories", "category", lang)
    fig = Figure(figsize=(6.4, 0.6 * len(cats) + 1.0))
    ax = fig.subplots()
    code = cur["category"].map({c: i for i, c in enumerate(cats)}).to_numpy(dtype=float)
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.15, 0.15, len(cur))
    ax.scatter(cur["total"].to_numpy(dtype=float), code + jitter, s=12, color=UNIT_COLOUR,
               alpha=0.7, label=t("unit", lang))
    med = cur.groupby("category")["total"].median().reindex(cats)
    ax.scatter(med.to_numpy(), np.arange(len(cats)), marker="|", s=400, color=MEDIAN_COLOUR,
               label=t("category_median", lang), linewidths=2)
    ax.set_yticks(np.arange(len(cats)), [str(cnames.get(str(c), c)) for c in cats])
    ax.invert_yaxis()
    ax.set_xlabel(t("total", lang))
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    return to_svg(fig)


def grade_counts(res: Results, lang: str) -> SVGBlock:
    """Number of units per grade in each category (stacked horizontal bars)."""
    from matplotlib.figure import Figure

    setup_matplotlib()
    cur = current_totals(res)
    counts = pd.crosstab(cur["category"], cur["grade"])
    grades = table(res, "meta_grades")
    if grades is not None:
        counts = counts.reindex(columns=[g for g in grades["grade"] if g in counts.columns])
    gnames = names(res, "meta_grades", "grade", lang)
    cnames = names(res, "meta_categories", "category", lang)
    fig = Figure(figsize=(6.4, 0.5 * len(counts) + 1.0))
    ax = fig.subplots()
    left = np.zeros(len(counts))
    palette = ("#009E73", "#56B4E9", "#E69F00", "#D55E00", "#CC79A7", "#999999")
    y = np.arange(len(counts))
    for i, g in enumerate(counts.columns):
        v = counts[g].to_numpy(dtype=float)
        ax.barh(y, v, left=left, color=palette[i % len(palette)], height=0.6,
                label=str(gnames.get(str(g), g)))
        left += v
    ax.set_yticks(y, [str(cnames.get(str(c), c)) for c in counts.index])
    ax.invert_yaxis()
    ax.set_xlabel(t("count", lang))
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=max(1, len(counts.columns)))
    return to_svg(fig)


def overview_charts(res: Results, lang: str) -> HTMLBlock:
    """The overview's charts under their titles: totals by category, units per grade."""
    return HTMLBlock(section(t("distribution", lang), totals_by_category(res, lang)._repr_html_())
                     + section(t("grade_counts", lang), grade_counts(res, lang)._repr_html_()))
