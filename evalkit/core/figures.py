"""Chinese text in charts: register a CJK font found on the machine for matplotlib.

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

import re
from functools import cache
from pathlib import Path

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
