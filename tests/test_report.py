"""Reports: the real notebooks through papermill, batch behaviour, safety, executors.

The Results come from the real pipeline (``tests/report_city.py`` runs ``run_spec`` on a small
city); expected figures are read straight from the saved Parquet files with pandas, never
from the report code. One batch (warm kernel, serial executor) is shared by the content tests.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from evalkit.cli import report_main as cli_main
from evalkit.core.errors import EvalkitError
from evalkit.report.paths import inside, safe_stem, work_dir
from evalkit.report.runner import run_reports

sys.path.insert(0, str(Path(__file__).parent))
from report_city import build_results

ROOT = Path(__file__).resolve().parents[1]
UNIT_NB = ROOT / "notebooks" / "unit_report.ipynb"


class _Text(HTMLParser):
    """Visible text of a page (no tags), to check what a reader sees."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(p.parts)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_results(tmp_path_factory.mktemp("city"))


@pytest.fixture(scope="module")
def current(city: Path) -> pd.DataFrame:
    totals = pd.read_parquet(city / "totals.parquet")
    return totals[totals["period"] == sorted(totals["period"].unique())[-1]].set_index("unit_id")


@pytest.fixture(scope="module")
def batch(city: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("reports") / "toycity"
    return run_reports(city, out, jobs=1, lang="zh", progress=False)


def read(path: str | Path) -> str:
    return Path(path).read_text("utf-8")


# -- content -----------------------------------------------------------------------------------
def test_every_unit_report_shows_its_own_total_and_rank(batch, current):
    assert batch.failures == {}
    for uid, row in current.iterrows():
        html = read(batch.out_dir / f"{safe_stem(uid)}.html")
        text = text_of(html)
        assert f"{row['total']:.2f}" in text, uid
        assert f"第 {row['rank']} 名 / 共 {row['n_in_category']} 个" in text, uid
        assert "import evalkit" not in html  # no code cells


def test_chinese_labels_are_text_in_html_and_svg(batch):
    html = read(batch.out_dir / "T01.html")
    assert "指标明细" in text_of(html) and "评价来源及合成" in text_of(html)
    svg_texts = re.findall(r"<text[^>]*>([^<]*)</text>", html)
    assert any("履职成效" in s for s in svg_texts), "perspective names must stay SVG text"
    assert "<image" not in html and "data:image/png" not in html


def test_points_reasons_and_history_come_from_results(batch, city):
    points = pd.read_parquet(city / "points.parquet")
    row = points[(points["unit_id"] == "T02") & (points["period"] == "2025")].iloc[0]
    html = read(batch.out_dir / "T02.html")
    assert row["reason"] in text_of(html)  # the recorded reason, shown as text ...
    assert "&lt;b&gt;" in html  # ... escaped, not markup
    totals = pd.read_parquet(city / "totals.parquet").set_index(["period", "unit_id"])
    before = totals.loc[("2024", "T02"), "total"]
    assert f"{before:.2f}" in text_of(html)  # change since last period


def test_indicator_contributions_printed_add_up_to_office_part(batch, city):
    """Property: the contributions a reader sees add up to the office contribution."""
    html = read(batch.out_dir / "D02.html")
    ind = pd.read_parquet(city / "indicators.parquet")
    src = pd.read_parquet(city / "sources.parquet")
    mine = ind[(ind["unit_id"] == "D02") & (ind["period"] == "2025")]
    office = src[(src["unit_id"] == "D02") & (src["period"] == "2025")
                 & (src["source"] == "office")]["contribution"].iloc[0]
    assert mine["contribution"].sum() == pytest.approx(office)
    for c in mine["contribution"]:
        assert f"{c:.2f}" in text_of(html)


def test_script_unit_name_is_escaped(batch):
    for name in ("T04.html", "index.html", "overview.html"):
        html = read(batch.out_dir / name)
        assert "<script>alert(1)" not in html, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name
    assert "&lt;b&gt;" in read(batch.out_dir / "T02.html")


def test_dotdot_unit_id_stays_inside_the_output_folder(batch):
    out = batch.out_dir
    written = [p.resolve() for p in out.parent.rglob("*")]
    roots = (out.resolve(), work_dir(out))  # the reports folder and its work folder
    assert all(p in roots or any(r in p.parents for r in roots) for p in written)
    assert {p.name for p in out.parent.iterdir()} == {out.name, f".{out.name}.work"}
    stem = safe_stem("../evil")
    assert "/" not in stem and not stem.startswith(".")
    assert "越界单位" in text_of(read(out / f"{stem}.html"))
    assert not (out.parent / "evil.html").exists()
    with pytest.raises(EvalkitError, match="outside the output folder"):
        inside(out, "../evil.html")


def test_index_links_every_report_and_links_resolve(batch, current):
    html = read(batch.index)
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert "overview.html" in hrefs
    for uid in current.index:
        assert f"{safe_stem(uid)}.html" in hrefs
    for h in hrefs:
        assert (batch.out_dir / h).is_file(), h
    # ranking order within a category follows the Results' rank
    towns = current[current["category"] == "township"].sort_values("rank")
    pos = [html.index(f">{u}<") for u in towns.index]
    assert pos == sorted(pos)


def test_warm_kernel_output_equals_a_fresh_papermill_run(batch, city, tmp_path):
    """The real notebook through plain papermill (fresh kernel) gives the same HTML."""
    import papermill as pm

    from evalkit.report.html import notebook_page

    nb = pm.execute_notebook(str(UNIT_NB), str(tmp_path / "T01.ipynb"), progress_bar=False,
                             parameters={"results_dir": str(city), "unit_id": "T01",
                                         "lang": "zh"})
    job = json.loads(read(work_dir(batch.out_dir) / "T01.json"))
    title = re.search(r"<title>(.*?)</title>", read(batch.out_dir / "T01.html")).group(1)
    import html as _html

    fresh = notebook_page(nb, _html.unescape(title), "zh")
    assert fresh == read(batch.out_dir / "T01.html")
    assert job["status"] == "ok"


def test_english_report(city, current, tmp_path):
    b = run_reports(city, tmp_path / "en", units=["T01"], jobs=1, lang="en", progress=False,
                    overview=False)
    text = text_of(read(b.out_dir / "T01.html"))
    row = current.loc["T01"]
    assert f"{row['rank']} of {row['n_in_category']}" in text
    assert "East Town" in text and "Indicators" in text and "指标明细" not in text


# -- batch behaviour ---------------------------------------------------------------------------
def _failing_notebook(tmp_path: Path, bad: str) -> Path:
    nb = nbformat.read(UNIT_NB, as_version=4)
    cell = nbformat.v4.new_code_cell(f"assert unit_id != {bad!r}, 'broken on purpose'")
    nb.cells.insert(3, cell)
    path = tmp_path / "unit_report.ipynb"
    nbformat.write(nb, path)
    return path


def test_failing_unit_does_not_stop_the_batch(city, tmp_path, capsys):
    nb = _failing_notebook(tmp_path, "T02")
    out = tmp_path / "out"
    b = run_reports(city, out, units=["T01", "T02", "T03"], jobs=1, progress=False,
                    overview=False, notebook=nb)
    assert list(b.failures) == ["T02"]
    assert "broken on purpose" in b.failures["T02"]
    assert (out / "T01.html").is_file() and (out / "T03.html").is_file()
    assert not (out / "T02.html").exists()
    kept = nbformat.read(work_dir(out) / "T02.ipynb", as_version=4)
    errors = [o for c in kept.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "AssertionError"
    assert json.loads(read(work_dir(out) / "T02.json"))["status"] == "failed"
    index = read(out / "index.html")
    assert "broken on purpose" in index and 'href="T02.html"' not in index
    # the failed unit is redone by the next run, the others are up to date
    again = run_reports(city, out, units=["T01", "T02", "T03"], jobs=1, progress=False,
                        overview=False, notebook=nb)
    assert {o.unit_id: o.status for o in again.outcomes} == \
        {"T01": "skipped", "T02": "failed", "T03": "skipped"}


def test_resume_after_a_killed_run(tmp_path):
    city = build_results(tmp_path / "city", n_extra=12)
    out = tmp_path / "out"
    code = ("import sys; from evalkit.cli import report_main as cli_main; "
            f"sys.exit(cli_main([{str(city)!r}, '--out', {str(out)!r}, '--jobs', '1', "
            "'--no-progress']))")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    side = work_dir(out)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and len(list(side.glob("*.json"))) < 3:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done_before = {p.stem for p in side.glob("*.json")
                   if json.loads(p.read_text("utf-8"))["status"] == "ok"}
    assert 3 <= len(done_before) < 20, "the run should be killed part-way"
    for html in out.glob("*.html"):  # atomic writes: every page present is complete
        assert read(html).rstrip().endswith("</html>"), html
    b = run_reports(city, out, jobs=1, progress=False)
    status = {safe_stem(o.unit_id) if o.unit_id != "__overview__" else "overview": o.status
              for o in b.outcomes}
    assert {k for k, v in status.items() if v == "skipped"} == done_before
    assert all(v in ("ok", "skipped") for v in status.values())
    assert len(b.outcomes) == 20 + 1  # 8 + 12 units, the overview
    # nothing stale: a third run skips all; a stale sidecar or a missing page is redone
    (out / "T01.html").unlink()
    s = json.loads(read(side / "T03.json"))
    s["inputs"] = "0" * 64
    (side / "T03.json").write_text(json.dumps(s), "utf-8")
    c = run_reports(city, out, jobs=1, progress=False)
    assert sorted(o.unit_id for o in c.outcomes if o.status == "ok") == ["T01", "T03"]
    d = run_reports(city, out, jobs=1, progress=False, force=True, units=["T01", "T02"],
                    overview=False)
    assert [o.status for o in d.outcomes] == ["ok", "ok"]


def test_pdf_without_chromium_is_a_clear_error_before_any_report(city, tmp_path, monkeypatch,
                                                                 capsys):
    import evalkit.report.pdf as report_pdf

    monkeypatch.delenv("EVALKIT_CHROMIUM", raising=False)
    monkeypatch.setattr(report_pdf.shutil, "which", lambda name: None)
    out = tmp_path / "out"
    assert cli_main([str(city), "--out", str(out), "--format", "pdf", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "error: --format pdf: no Chromium found to print PDFs" in err
    assert "apt-get install chromium" in err and not out.exists()


def test_published_folder_holds_only_what_is_published(city, tmp_path, monkeypatch):
    """Executed notebooks and sidecars go to the hidden sibling work folder; the reports
    folder holds the pages, the index and the publication workbook; what an earlier version
    left there (notebooks/, report.css) is removed; an unchanged re-run redoes nothing. (The
    Dask executor is compared with the local one in test_faults.py.)"""
    import evalkit.report.jobs as report_jobs

    monkeypatch.setattr(report_jobs, "code_digest", lambda: "pinned")  # others edit the code
    out = tmp_path / "reports" / "toycity"
    (out / "notebooks").mkdir(parents=True)  # the layout of earlier versions
    (out / "notebooks" / "T09.ipynb").write_text("{}", "utf-8")
    (out / "notebooks" / "T09.json").write_text("{}", "utf-8")
    (out / "report.css").write_text("body{}", "utf-8")
    b = run_reports(city, out, units=["T01", "../evil"], jobs=1, progress=False)
    assert b.failures == {}
    evil = f"{safe_stem('../evil')}.html"
    published = {"T01.html", evil, "overview.html", "index.html", "published.xlsx"}
    assert {p.name for p in out.iterdir()} == published
    assert b.work_dir == tmp_path / "reports" / ".toycity.work"
    kept = {p.name for p in b.work_dir.iterdir()}
    assert {"T01.ipynb", "T01.json", "overview.ipynb", "overview.json"} <= kept
    assert json.loads(read(b.work_dir / "T01.json"))["status"] == "ok"
    assert 'href="published.xlsx"' in read(b.index) and f'href="{evil}"' in read(b.index)
    import openpyxl

    sheets = openpyxl.load_workbook(out / "published.xlsx", read_only=True).sheetnames
    assert sheets[:2] == ["公示·乡镇", "公示·政府部门"]  # the report's language
    xlsx = (out / "published.xlsx").read_bytes()
    # temporary files of a killed batch, in the work folder and in pdf/, are swept
    (out / "pdf").mkdir()
    litter = [b.work_dir / ".T01.ipynb.tmp-99999999-ab12.tmp", out / "pdf" / ".T01.pdf.tmp-1-x.tmp"]
    for f in litter:
        f.write_text("half", "utf-8")
    again = run_reports(city, out, units=["T01", "../evil"], jobs=1, progress=False)
    assert again.count("ok") == 0 and again.count("skipped") == 3
    assert not any(f.exists() for f in litter)
    assert (out / "published.xlsx").read_bytes() == xlsx
    assert {p.name for p in out.iterdir()} == published | {"pdf"}


# -- bad input ---------------------------------------------------------------------------------
def test_bad_input_raises_named_errors(city, tmp_path, capsys):
    with pytest.raises(EvalkitError, match=r"--units.*unknown unit id"):
        run_reports(city, tmp_path / "o", units=["NOPE"], jobs=1, progress=False)
    with pytest.raises(EvalkitError, match=r"--lang.*unknown language 'fr'"):
        run_reports(city, tmp_path / "o", lang="fr", jobs=1, progress=False)
    with pytest.raises(EvalkitError, match="not a Results folder"):
        run_reports(tmp_path, tmp_path / "o", jobs=1, progress=False)
    assert cli_main([str(tmp_path / "missing"), "--no-progress"]) == 2
    assert "no such spec file or Results folder" in capsys.readouterr().err


def test_cli_from_spec_runs_the_evaluation_first(city, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc = cli_main([str(city.parent / "spec.yaml"), "--units", "D01", "--jobs", "1",
                   "--lang", "en", "--no-progress"])
    assert rc == 0
    assert (tmp_path / "results" / "toycity" / "totals.parquet").is_file()
    page = read(tmp_path / "reports" / "toycity" / "D01.html")
    assert "Development" in text_of(page) and "veto" in text_of(page)


# -- warm kernel -------------------------------------------------------------------------------
def test_warm_kernel_does_not_leak_descriptors_or_names(city):
    """Known trap: pm.execute_notebook(km=...) leaks ~18 fds per notebook. Ours must not."""
    from evalkit.report.kernel import thread_kernel

    wk = thread_kernel()
    params = {"results_dir": str(city), "unit_id": "T01", "lang": "zh"}

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    wk.execute(UNIT_NB, params)
    before = fds()
    for uid in ("T02", "T03", "D01", "D02", "D03"):
        wk.execute(UNIT_NB, {**params, "unit_id": uid})
    assert fds() <= before
    wk.run("assert 'view' not in globals() and 'unit_id' not in globals()")
    wk.run("import sys; assert 'pandas' in sys.modules")  # imports stay warm


def test_kernel_that_cannot_start_is_a_named_error():
    from evalkit.report.kernel import WarmKernel

    with pytest.raises(EvalkitError, match=r"report kernel: could not start a 'no-such-kernel'"):
        WarmKernel("no-such-kernel", retries=2).start()


def test_demo_city_reports_with_capability_sections(tmp_path):
    """The lead's demo city through the real pipeline: reports render, sections appear."""
    demo = pytest.importorskip("evalkit.demo.city")
    from evalkit.run import run_spec

    demo.make_demo(tmp_path / "data", n_units=30, spec_path=tmp_path / "demo.yaml")
    res = run_spec(tmp_path / "demo.yaml", tmp_path / "results")
    cur = res.totals[res.totals["period"] == res.current_period]
    units = cur["unit_id"].astype(str).tolist()[:2]
    b = run_reports(tmp_path / "results", tmp_path / "reports", units=units, jobs=1,
                    progress=False)
    assert b.failures == {}
    for u in units:
        text = text_of(read(b.out_dir / f"{safe_stem(u)}.html"))
        row = cur.set_index("unit_id").loc[u]
        assert f"{row['total']:.2f}" in text
        if any(n.startswith("survey_") for n in res.tables):
            assert "满意度测评" in text


# -- reports that travel ---------------------------------------------------------------------
def test_an_unchanged_rerun_gives_the_same_bytes(city, batch, tmp_path):
    """A second `evalkit run` of the same inputs (a new creation time in provenance.json
    only) gives byte-identical reports: no time, no server path in a page."""
    from evalkit.run import run_spec

    again = tmp_path / "results"
    run_spec(city.parent / "spec.yaml", again)
    assert json.loads(read(again / "provenance.json"))["created"]
    b = run_reports(again, tmp_path / "out", units=["T01", "D02"], jobs=1, progress=False,
                    overview=False)
    for u in ("T01", "D02"):
        page = read(b.out_dir / f"{u}.html")
        assert page == read(batch.out_dir / f"{u}.html"), u
        assert str(city) not in page and str(again) not in page


def test_pages_are_self_contained(batch):
    for name in ("T01.html", "index.html", "overview.html"):
        html = read(batch.out_dir / name)
        assert "<style>" in html and "<link" not in html, name
    assert not (batch.out_dir / "report.css").exists()


def test_index_states_method_date_and_flags_in_words(batch, city, current):
    text = text_of(read(batch.index))
    assert "分类考核" in text and "结果计算日期" in text and "等次标准" in text
    periods = sorted(pd.read_parquet(city / "totals.parquet")["period"].astype(str).unique())
    assert len(periods) == 2 and "示例市绩效考评" in text
    assert f"考核期：{periods[-1]}（数据年度：{'、'.join(periods)}）" in text
    created = json.loads(read(city / "provenance.json"))["created"][:10]
    assert f"结果计算日期：{created}" in text
    assert created not in text_of(read(batch.out_dir / "T01.html"))  # only on the index
    flagged = current[current["flags"].astype(str).str.contains("bottom_1")]
    assert len(flagged) and "本类别后 1 名" in text and "bottom_1" not in text


def test_warm_kernel_keeps_no_history_and_recycles(city):
    """IPython's history (every cell's source, every output's display data) was the kernel's
    memory leak: it stays empty; a kernel is recycled after ``recycle_after`` notebooks."""
    from evalkit.report.kernel import WarmKernel

    params = {"results_dir": str(city), "unit_id": "T01", "lang": "zh"}
    with WarmKernel(recycle_after=2) as wk:
        for uid in ("T01", "T02", "T03"):
            wk.execute(UNIT_NB, {**params, "unit_id": uid})
        assert (wk.starts, wk.executed, wk.since_start) == (2, 3, 1)
        wk.run("_h = get_ipython().history_manager\n"
               "assert len(_h.input_hist_parsed) <= 1 and not _h.output_hist, "
               "len(_h.input_hist_parsed)\n"
               "assert not getattr(_h, 'outputs', {}), len(_h.outputs)")
        pid = wk.pid
    assert pid is not None and not psutil_alive(pid)


def psutil_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
