"""The unit report can be checked line by line, in the reader's language, on the whole demo city.

Every report of the demo city (97 units, every capability, two periods) is built from the cells
of the shipped ``unit_report.ipynb`` (each cell is one ``evalkit.report`` call; the batch runs
the same calls in a kernel, ``tests/test_report.py`` checks that path). Expected figures are
read from the saved Parquet files with pandas, never from the report code.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import evalkit.report as rp

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "unit_report.ipynb"


def cells() -> list[str]:
    """The helper each cell of the shipped notebook calls (``rp.header(view)`` -> header)."""
    nb = json.loads(NOTEBOOK.read_text("utf-8"))
    src = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return [m.group(1) for s in src if (m := re.fullmatch(r"rp\.(\w+)\(view\)", s.strip()))]


def report(results: Path, unit: str, lang: str = "zh") -> str:
    view = rp.unit_view(results, unit, lang)
    return "".join(str(getattr(rp, f)(view)) for f in cells())


class Page(HTMLParser):
    """Visible text (outside code, style, title and SVG metadata) and the table cells."""

    SKIP = frozenset({"style", "script", "code", "title", "metadata"})

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.rows: list[dict[str, str]] = []
        self.groups: list[str] = []
        self._skip = 0
        self._cell: tuple[str, list[str]] | None = None
        self._group: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in self.SKIP:
            self._skip += 1
        if tag == "tr":
            self.rows.append({})
            if "ek-group" in (a.get("class") or ""):
                self._group = []
        if tag == "td" and a.get("data-label") is not None:
            self._cell = (str(a["data-label"]), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip -= 1
        if tag == "td" and self._cell is not None:
            self.rows[-1][self._cell[0]] = "".join(self._cell[1]).strip()
            self._cell = None
        if tag == "tr" and self._group is not None:
            self.groups.append("".join(self._group))
            self._group = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[1].append(data)
        if self._group is not None:
            self._group.append(data)
        if not self._skip:
            self.text.append(data)


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def results(demo_dir: Path) -> Path:
    return demo_dir / "results"


@pytest.fixture(scope="module")
def pq(results: Path):
    return lambda name: pd.read_parquet(results / f"{name}.parquet")


@pytest.fixture(scope="module")
def current(pq) -> pd.DataFrame:
    t = pq("totals")
    return t[t["period"].astype(str) == t["period"].astype(str).max()].set_index("unit_id")


@pytest.fixture(scope="module")
def pages(results: Path, current: pd.DataFrame) -> dict[str, str]:
    """The zh report of every unit of the demo city."""
    return {u: report(results, u) for u in current.index}


def num(text: str) -> float:
    return float(text.replace("%", "").replace("−", "-")) / (100 if "%" in text else 1)


def half_ulp(text: str) -> float:
    """Half a unit of the last printed digit (of the share, for a percentage)."""
    digits = len(text.rstrip("%").split(".")[1]) if "." in text else 0
    return 0.5 * 10.0 ** -digits / (100 if "%" in text else 1)


def test_the_notebook_is_one_call_per_cell():
    assert cells()[:3] == ["navigation", "header", "sources_table"]
    assert {"indicator_table", "methods_appendix", "extra_sections"} <= set(cells())


def test_contribution_is_the_product_of_the_columns_shown(pages, pq, current):
    """For every indicator row of every report: contribution = score × global weight ×
    office weight, to the precision printed; global = perspective weight × weight within."""
    ind = pq("indicators")
    ind = ind[ind["period"].astype(str) == current["period"].iloc[0]]
    checked = 0
    for unit, html in pages.items():
        page = parse(html)
        rows = [r for r in page.rows if "贡献分" in r and "全局权重" in r]
        assert len(rows) == int((ind["unit_id"] == unit).sum()), unit  # only what applies
        for r in rows:
            s, g, w, c = (num(r[k]) for k in ("得分", "全局权重", "官评权重", "贡献分"))
            bound = (g * w * half_ulp(r["得分"]) + s * w * half_ulp(r["全局权重"])
                     + s * g * half_ulp(r["官评权重"]) + half_ulp(r["贡献分"]) + 1e-9)
            assert abs(s * g * w - c) <= bound, (unit, r)
            checked += 1
        for group in page.groups:  # "履职成效（维度权重 45%，维度得分 76.63）"
            assert re.search(r"维度权重 [\d.]+%，维度得分 [\d.]+", group), group
    assert checked == len(ind)


def test_contributions_add_up_to_the_office_part(pages, pq, current):
    src = pq("sources")
    src = src[(src["period"].astype(str) == current["period"].iloc[0])
              & (src["source"] == "office")].set_index("unit_id")["contribution"]
    for unit, html in list(pages.items())[:20]:
        assert f"各指标贡献分之和 {src[unit]:.2f}" in html, unit


def test_status_thresholds_are_stated(pages):
    for html in pages.values():
        text = " ".join(parse(html).text)
        assert "得分 ≥ 85 为“达标”" in text and "得分 ≥ 60 为“基本达标”" in text
        assert "等次标准：优秀 ≥ 80 分" in text


def test_missing_values_are_marked_and_explained(pages, pq, current):
    ind = pq("indicators")
    ind = ind[(ind["period"].astype(str) == current["period"].iloc[0]) & ind["missing"]]
    names = pq("meta_indicators").set_index("indicator_id")["name"]
    assert len(ind), "the demo city has missing values"
    for _, r in ind.iterrows():
        html = pages[r["unit_id"]]
        assert "缺失¹" in html or "缺失²" in html, r["unit_id"]
        assert f"{names[r['indicator_id']]}：未报送：按本类别该指标的平均得分计分。" in html


def test_methods_in_words_and_only_the_indicators_that_apply(pages, pq, current):
    ind = pq("indicators")
    ind = ind[ind["period"].astype(str) == current["period"].iloc[0]]
    meta = pq("meta_indicators").set_index("indicator_id")
    ids = set(meta["method"])
    for unit, html in pages.items():
        page = parse(html)
        shown = [r["指标"] for r in page.rows if "计分方法" in r]
        mine = ind.loc[ind["unit_id"] == unit, "indicator_id"]
        assert sorted(shown) == sorted(meta.loc[mine, "name"]), unit
        methods = [r["计分方法"] for r in page.rows if "计分方法" in r]
        assert all(m and m not in ids and re.search(r"[\u4e00-\u9fff]", m) for m in methods)


def allowed_words(pq) -> set[str]:
    """Words that may be Latin in a zh report: ids, units of measure, names from the data."""
    words: set[str] = set()
    for name, cols in (("totals", ["unit_id", "unit_name"]), ("meta_indicators", ["unit"]),
                       ("tasks_progress", ["project_id", "project_name"])):
        for c in cols:
            for v in pq(name)[c].dropna().astype(str):
                words |= set(re.findall(r"[A-Za-z]+", v))
    return words


def test_zh_reports_have_no_english_words(pages, pq):
    allowed = allowed_words(pq)
    for unit, html in pages.items():
        text = " ".join(parse(html).text)
        words = set(re.findall(r"[A-Za-z][A-Za-z_]*[a-z][A-Za-z_]*", text)) - allowed
        assert not words, (unit, sorted(words))


def test_appendix_is_collapsed_short_and_without_paths_or_time(pages, results):
    created = json.loads((results / "provenance.json").read_text("utf-8")).get("created", "")
    for unit, html in pages.items():
        appendix = html[html.index('class="ek-section ek-appendix"'):]
        assert appendix.startswith('class="ek-section ek-appendix"><details><summary>')
        assert "<details open" not in html
        assert not re.search(r"[0-9a-f]{13,}", appendix), unit  # short hashes only
        assert str(results.parent) not in html and "/tmp/" not in html
        assert not created or created[:16] not in html
    again = report(results, next(iter(pages)))
    assert again == pages[next(iter(pages))]  # the same Results give the same page


def test_every_chart_has_a_legend(pages):
    for unit, html in list(pages.items())[:25]:
        for svg in re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL):
            assert 'id="legend_' in svg, unit


def test_navigation_to_the_index_and_the_neighbours(pages, current):
    for cat, g in current.groupby("category"):
        order = g.sort_values(["rank"], kind="stable").index.tolist()
        for i, unit in enumerate(order):
            nav = re.search(r'<nav class="ek-nav".*?</nav>', pages[unit]).group(0)
            hrefs = re.findall(r'href="([^"]+)"', nav)
            want = ["index.html"] + [f"{u}.html" for u in order[max(i - 1, 0):i]] + \
                [f"{u}.html" for u in order[i + 1:i + 2]]
            assert hrefs == want, (cat, unit)


def test_english_report_is_english(results, current, pq):
    unit = current.index[0]
    html = report(results, unit, "en")
    text = " ".join(parse(html).text)
    assert "Contribution = score × global weight × office weight" in text
    assert "How each indicator is scored" in text and "Back to the index" in text
    names = set(pq("meta_indicators")["name"]) | set(pq("totals")["unit_name"]) | \
        set(pq("meta_indicators")["unit"].dropna())  # names and units of measure from the data
    chinese = {w for w in re.findall(r"[\u4e00-\u9fff]+", text)}
    assert not {w for w in chinese if not any(w in n for n in names)}, sorted(chinese)[:10]
