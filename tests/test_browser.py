"""The reports in a real browser: headless Chromium from the system packages (never downloaded).

Opens ``index.html``, follows the link to one unit's report, checks there are no console
errors and no broken images, that the Chinese labels are laid out as text (the SVG ``<text>``
elements have a width), and saves screenshots (into pytest's temporary folder, and into
``$EVALKIT_SCREENSHOTS`` when that is set). Skipped, with the reason, when Chromium, its
driver or selenium is absent (``make browser`` installs them).
"""

from __future__ import annotations

import os
import shutil
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
