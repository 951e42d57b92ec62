"""The reports in a real browser: headless Chromium from the system packages (never downloaded).

Opens ``index.html``, follows the link to one unit's report, checks there are no console
errors and no broken images, that the Chinese labels are laid out as text (the SVG ``<text>``
elements have a width), and saves screenshots (into pytest's temporary folder, and into
``$EVALKIT_SCREENSHOTS`` when that is set). A report is self-contained (its CSS inlined: no
other file is loaded), fits a 390 px phone without horizontal scrolling, navigates to the
index and to its neighbours in the category, and prints to PDF (the browser's own printing,
and ``evalkit report --format pdf``) with its Chinese text embedded as text (read back
by ``pdftotext`` of poppler-utils; that part is skipped without it). Skipped, with the reason,
when Chromium, its driver or selenium is absent (``make browser`` installs them).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_city import build_results

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed "
                                "(pip install -e '.[test]')")
if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
    pytest.skip("chromium/chromedriver not installed (run `make browser`: "
                "apt-get install chromium chromium-driver)", allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evalkit.report.runner import run_reports

    results = build_results(tmp_path_factory.mktemp("city"))
    batch = run_reports(results, tmp_path_factory.mktemp("site") / "toycity", jobs=1,
                        progress=False)
    assert batch.failures == {}
    return batch.out_dir


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--window-size=1100,1600",
                 "--allow-file-access-from-files"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield drv
    drv.quit()


def _shots(tmp_path: Path) -> list[Path]:
    dirs = [tmp_path]
    if os.environ.get("EVALKIT_SCREENSHOTS"):
        dirs.append(Path(os.environ["EVALKIT_SCREENSHOTS"]))
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    return dirs


def _check_page(drv) -> None:
    severe = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == [], severe
    broken = drv.execute_script(
        "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src)")
    assert broken == []
    assert drv.execute_script("return document.styleSheets.length") >= 1  # report.css loaded


def test_index_then_a_report(site: Path, browser, tmp_path: Path):
    from selenium.webdriver.common.by import By

    drv = browser
    drv.get((site / "index.html").as_uri())
    _check_page(drv)
    assert "东城镇" in drv.find_element(By.TAG_NAME, "body").text
    # the <script> unit name is shown as text, never run
    assert "<script>alert(1)</script>" in drv.find_element(By.TAG_NAME, "body").text
    for d in _shots(tmp_path):
        drv.save_screenshot(str(d / "index.png"))

    drv.find_element(By.LINK_TEXT, "东城镇").click()
    assert drv.current_url.endswith("/T01.html")
    _check_page(drv)
    body = drv.find_element(By.TAG_NAME, "body").text
    assert "指标明细" in body and "T01" in body
    # the chart's Chinese labels are SVG text laid out by the browser (non-zero width)
    widths = drv.execute_script(
        "return Array.from(document.querySelectorAll('svg text'))"
        ".filter(t => t.textContent.includes('履职成效'))"
        ".map(t => t.getBBox().width)")
    assert widths and all(w > 10 for w in widths)
    for d in _shots(tmp_path):
        drv.save_screenshot(str(d / "T01.png"))
    assert (tmp_path / "T01.png").stat().st_size > 10_000

    drv.get((site / "overview.html").as_uri())
    _check_page(drv)
    assert drv.find_elements(By.CSS_SELECTOR, "svg text")
    for d in _shots(tmp_path):
        drv.save_screenshot(str(d / "overview.png"))


def _pdf_text(pdf: Path) -> str:
    """The text of a PDF as ``pdftotext`` extracts it (skips without poppler-utils)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    return subprocess.run([exe, "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_report_is_self_contained_and_navigates(site: Path, browser, tmp_path: Path):
    from selenium.webdriver.common.by import By

    drv = browser
    html = (site / "T01.html").read_text("utf-8")
    assert "<style>" in html and 'rel="stylesheet"' not in html
    assert not (site / "report.css").exists()
    copy = tmp_path / "alone" / "T01.html"  # emailed alone: nothing else beside it
    copy.parent.mkdir()
    copy.write_text(html, "utf-8")
    drv.get(copy.as_uri())
    _check_page(drv)
    rows = drv.execute_script(
        "const r = document.querySelector('tr.ek-good, tr.ek-fair, tr.ek-poor');"
        "return getComputedStyle(r.lastElementChild).backgroundColor")
    assert rows not in ("rgba(0, 0, 0, 0)", "transparent")  # status colours without report.css
    drv.get((site / "T01.html").as_uri())
    nav = drv.find_element(By.CSS_SELECTOR, "nav.ek-nav")
    hrefs = [a.get_attribute("href") for a in nav.find_elements(By.TAG_NAME, "a")]
    assert hrefs[0].endswith("/index.html") and len(hrefs) >= 2  # index, then neighbours
    townships = {"T01.html", "T02.html", "T03.html", "T04.html"}
    assert {h.rsplit("/", 1)[-1] for h in hrefs[1:]} <= townships - {"T01.html"}
    drv.find_elements(By.CSS_SELECTOR, "nav.ek-nav a.ek-next, nav.ek-nav a.ek-prev")[0].click()
    _check_page(drv)
    assert "绩效考评报告" in drv.title


@pytest.mark.parametrize("page", ["T01.html", "index.html"])
def test_phone_width_without_horizontal_scrolling(site: Path, browser, tmp_path: Path, page):
    drv = browser
    drv.set_window_size(390, 900)
    try:
        drv.get((site / page).as_uri())
        assert drv.execute_script("return window.innerWidth") == 390
        width = drv.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"{page} is {width} px wide at 390 px"
        # every cell of the indicator table keeps its column's name on a phone
        labels = drv.execute_script(
            "return Array.from(document.querySelectorAll('table.ek-wide td'))"
            ".map(td => td.getAttribute('data-label'))")
        assert page != "T01.html" or (labels and all(labels))
        for d in _shots(tmp_path):
            drv.save_screenshot(str(d / f"390-{page.replace('.html', '')}.png"))
    finally:
        drv.set_window_size(1100, 1600)


def test_report_prints_to_pdf_with_chinese_text(site: Path, browser, tmp_path: Path):
    drv = browser
    drv.get((site / "T01.html").as_uri())
    pdf = tmp_path / "T01-browser.pdf"
    pdf.write_bytes(base64.b64decode(drv.execute_cdp_cmd(
        "Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})["data"]))
    text = _pdf_text(pdf)
    assert "东城镇" in text and "指标明细" in text and "贡献分" in text


def test_cli_prints_pdfs_one_per_unit_and_a_booklet(site: Path, tmp_path: Path, capsys,
                                                    monkeypatch):
    """``evalkit report --format pdf``: the HTML batch, then a PDF per unit and a booklet per
    category (methods appendix opened, Chinese as text); an unchanged re-run prints none."""
    import evalkit.report.jobs as report_jobs
    from evalkit.cli import main
    from evalkit.report.paths import work_dir

    monkeypatch.setattr(report_jobs, "code_digest", lambda: "pinned")  # others edit the code
    results = Path(__import__("json").loads(
        (work_dir(site) / "T01.json").read_text("utf-8"))["params"]["results_dir"])
    out = tmp_path / "pdfsite"
    args = ["report", str(results), "--out", str(out), "--units", "T01", "T02", "--jobs", "2",
            "--format", "pdf", "--no-progress"]
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "PDF: 3 written, 0 up to date, 0 failed" in said
    assert sorted(p.name for p in (out / "pdf").iterdir()) == \
        ["T01.pdf", "T02.pdf", "booklet-township.pdf"]
    assert not (out / "notebooks").exists()  # executed notebooks stay in the work folder
    text = _pdf_text(out / "pdf" / "T01.pdf")
    assert "东城镇" in text and "方法与数据来源" in text and "指标计分方法" in text  # opened
    booklet = _pdf_text(out / "pdf" / "booklet-township.pdf")
    assert booklet.index("东城镇 · 绩效考评报告") > booklet.index("目录")
    assert "西城镇 · 绩效考评报告" in booklet and "南山乡" not in booklet  # T02 in, T03 not
    assert b"/Outlines" in (out / "pdf" / "booklet-township.pdf").read_bytes()  # bookmarks
    assert 'href="pdf/booklet-township.pdf"' in (out / "index.html").read_text("utf-8")
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "0 written, 3 up to date" in said and "PDF: 0 written, 3 up to date" in said
    for d in _shots(tmp_path):
        shutil.copy(out / "pdf" / "T01.pdf", d / "T01.pdf")
