"""Figure and HTML primitives every layer may use: CJK fonts, SVG, escaped HTML tables.

:class:`SVGBlock` / :func:`to_svg` turn a matplotlib figure into inline SVG;
:class:`HTMLBlock`, :func:`html_table` and :func:`section` build escaped HTML;
:class:`TableFigure` is what a capability's report section returns.

Chinese text in charts: register a CJK font found on the machine for matplotlib.

Charts are written as SVG with ``svg.fonttype = 'none'``, so every label stays text that
the browser draws with its own fonts (no empty boxes, searchable, copyable). Matplotlib
still measures the text when it lays the chart out; without a CJK font it warns once per
missing glyph and mis-measures Chinese labels. When a CJK font file is found on the machine
it is registered with ``fontManager.addfont`` and put first in ``font.family`` (not only in
``font.sans-serif``), which fixes both. Nothing is downloaded.

Examples
--------
>>> from evalkit.core.figures import setup_matplotlib
>>> family = setup_matplotlib()
>>> family[-1]
'DejaVu Sans'
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from functools import cache
from html import escape
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

#: File-name patterns of common CJK fonts shipped by Linux distributions, macOS and Windows.
CJK_FONT_PATTERN = re.compile(
    r"(wqy|wenquanyi|notosanscjk|notoserifcjk|sourcehan|droidsansfallback|simhei|simsun|"
    r"msyh|pingfang|hiragino|arphic|uming|ukai|noto.*(sc|tc|cjk))", re.IGNORECASE)

#: CSS font stack for the HTML pages (the browser picks what the reader's machine has).
CSS_FONT_STACK = ('"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
                  '"WenQuanYi Micro Hei", "Hiragino Sans GB", "DejaVu Sans", sans-serif')


@cache
def find_cjk_font() -> Path | None:
    """The first CJK font file matplotlib can see on this machine, or None.

    Searches the system font folders (``matplotlib.font_manager.findSystemFonts``) for file
    names of well-known CJK families (WenQuanYi, Noto CJK, Source Han, SimHei, ...).
    """
    from matplotlib import font_manager

    found = sorted(Path(p) for p in font_manager.findSystemFonts()
                   if CJK_FONT_PATTERN.search(Path(p).name))
    return found[0] if found else None


@cache
def setup_matplotlib() -> tuple[str, ...]:
    """Set matplotlib's rc for light, text-preserving SVG charts; return ``font.family``.

    ``svg.fonttype='none'`` keeps labels as ``<text>``; ``svg.hashsalt`` makes the SVG ids
    reproducible (the same Results give byte-identical charts); a CJK font found by
    :func:`find_cjk_font` goes first in ``font.family``.
    """
    import matplotlib
    from matplotlib import font_manager

    family: list[str] = []
    path = find_cjk_font()
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        family.append(font_manager.FontProperties(fname=str(path)).get_name())
    family.append("DejaVu Sans")
    matplotlib.rcParams.update({
        "svg.fonttype": "none",
        "svg.hashsalt": "evalkit",
        "font.family": family,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.unicode_minus": False,
    })
    return tuple(family)


# -- SVG and HTML primitives -------------------------------------------------------------
class SVGBlock(str):
    """A string of SVG that Jupyter shows inline (as HTML, so the exported page holds the
    ``<svg>`` element itself: labels stay selectable, searchable text, not a base64 image)."""

    def _repr_html_(self) -> str:
        return f'<figure class="ek-chart">{self}</figure>'


def to_svg(fig: object, tight: bool = True) -> SVGBlock:
    """Serialise a matplotlib figure to an SVG string without the XML prolog, a date or the
    creator's metadata; a chart with labelled series gets a legend (:func:`ensure_legend`).

    ``tight=True`` crops to the drawn content (``bbox_inches='tight'``), which costs a second
    layout pass; per-unit charts set their margins themselves and pass ``tight=False``.
    """
    ensure_legend(fig)
    buf = io.StringIO()
    kw = {"bbox_inches": "tight"} if tight else {}
    meta = {"Date": None, "Creator": None, "Format": None, "Type": None}
    fig.savefig(buf, format="svg", metadata=meta, **kw)  # type: ignore[attr-defined]
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return SVGBlock(re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.DOTALL))


def ensure_legend(fig: Any) -> None:
    """Add a legend to a figure whose labelled lines, bars or markers have none (e.g. a total
    and a rank drawn on twin axes): every chart of a report names what it draws."""
    axes = list(getattr(fig, "axes", []))
    if not axes or fig.legends or any(ax.get_legend() is not None for ax in axes):
        return
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if handles:
        axes[0].legend(handles, labels, frameon=False, loc="lower center",
                       bbox_to_anchor=(0.5, 1.0), ncol=min(len(handles), 4))


class HTMLBlock(str):
    """A string of HTML that Jupyter displays as HTML (``_repr_html_``)."""

    def _repr_html_(self) -> str:
        return str(self)


class TableFigure(NamedTuple):
    """A capability's report section: ``(table, figure)``; renders as escaped HTML + SVG.

    What ``report_section`` of :mod:`evalkit.sources.survey`, :mod:`evalkit.sources.peer` and
    :mod:`evalkit.analysis.history` return; it unpacks as ``table, fig = section``.
    """

    table: pd.DataFrame
    figure: Any

    def _repr_html_(self) -> str:
        svg = to_svg(self.figure)._repr_html_() if self.figure is not None else ""
        return str(html_table(self.table)) + svg


def fmt(x: Any, digits: int = 2) -> str:
    """Format a number with ``digits`` decimals ("–" for missing); other values as text."""
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return "–"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        v = round(float(x), digits)
        return f"{(v if v != 0 else 0.0):.{digits}f}"  # no "-0.00"
    return str(x)


#: Tables with more columns than this are laid out as cards on narrow screens.
WIDE = 6
#: A cell that reads as a number (right-aligned): 12.5, -3, 5.63%, 1,234, ≥ 6.50, "–".
_NUMERIC = re.compile(r"^(?:[≥≤=] )?[−+-]?[\d,]*\.?\d+%?$|^–$")


def html_table(df: pd.DataFrame, row_classes: Sequence[str] | None = None,
               digits: int = 2, groups: Mapping[int, str] | None = None) -> HTMLBlock:
    """Render ``df`` (headers = column names) as an escaped HTML table.

    ``row_classes`` gives a CSS class per row (e.g. the status colour); ``groups`` maps a row
    position to the title of a group row put before it (a perspective above its indicators).
    Every cell carries its column's name (``data-label``): on narrow screens a table of more
    than :data:`WIDE` columns (class ``ek-wide``) shows each row as a card of labelled cells.
    Cells that read as numbers are right-aligned (class ``n``).
    """
    cols = [escape(str(c)) for c in df.columns]
    head = "".join(f"<th>{c}</th>" for c in cols)
    classes = list(row_classes) if row_classes is not None else [""] * len(df)
    groups = groups or {}
    body = []
    for i, (cls, values) in enumerate(zip(classes, df.itertuples(index=False, name=None),
                                          strict=True)):
        if i in groups:
            body.append(f'<tr class="ek-group"><th colspan="{len(cols)}">'
                        f"{escape(groups[i])}</th></tr>")
        cells = []
        for c, v in zip(cols, values, strict=True):
            text = escape(fmt(v, digits))
            num = ' class="n"' if _NUMERIC.match(text) else ""
            cells.append(f'<td data-label="{c}"{num}>{text}</td>')
        attr = f' class="{escape(cls)}"' if cls else ""
        body.append(f"<tr{attr}>{''.join(cells)}</tr>")
    wide = " ek-wide" if len(cols) > WIDE else ""
    return HTMLBlock(f'<table class="ek-table{wide}"><thead><tr>{head}</tr></thead>'
                     f'<tbody>{"".join(body)}</tbody></table>')


def section(title: str, *parts: str) -> HTMLBlock:
    """An ``<h2>`` titled section (title escaped; parts are HTML already)."""
    return HTMLBlock(f'<section class="ek-section"><h2>{escape(title)}</h2>{"".join(parts)}'
                     "</section>")
