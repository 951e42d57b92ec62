"""PDF output: one PDF per unit report and a booklet per category, printed by headless Chromium.

Why Chromium: it is the browser the reports are already checked in (``tests/test_browser.py``),
so the PDF is the page a reader sees, laid out by the same engine with the page's own print
rules (:data:`evalkit.report.html.STYLESHEET`: A4, no navigation, no rows split across pages);
SVG charts and CSS grid print as on screen; Chinese text is embedded as subset CID fonts with
a ToUnicode map, so it stays text (searchable, copyable, read back by ``pdftotext``). It is a
maintained system package (Debian ``chromium``), no Python dependency is added, and no
network is used. WeasyPrint would add a Python dependency and a second layout engine whose
output differs from the HTML the units see.

Each PDF is one ``chromium --headless --print-to-pdf`` process (its own temporary profile, so
runs may overlap; its process group is killed on a timeout). It dies with the batch: started
through util-linux ``setpriv --pdeathsig KILL`` where that exists (Linux), so a batch killed
by ``kill -9`` while printing leaves no browser behind. The HTML is printed from a
temporary copy with the methods appendix opened (``<details open>``), as a printed page
cannot be clicked. A booklet is one HTML page: a cover and contents (rank, unit, total), then
every report of the category in rank order, each starting on a new page; the PDF's
bookmarks (outline) follow the headings, so a reader jumps to a unit from the side panel.

Files: ``<out>/pdf/<unit>.pdf`` (the HTML report's file name) and
``<out>/pdf/booklet-<category>.pdf`` (every report of the category present in ``<out>``, also
when only some units were asked for). Staleness is decided by content, as for the HTML
(:mod:`evalkit.report.jobs`): the work folder (:func:`~evalkit.report.paths.work_dir`) keeps
``pdf.json``, the hash of what each PDF was printed from (its reports' bytes, the language and
the title); a PDF whose hash is unchanged is kept (``force=True`` redoes all), so an unchanged
re-run prints nothing. ``evalkit report --format pdf`` prints the PDFs after the HTML batch,
under the batch's folder lock (:func:`evalkit.report.runner.run_reports` with ``pdf=True``).

Examples
--------
>>> from evalkit.report.pdf import open_details
>>> open_details('<details><summary>x</summary></details>')
'<details open><summary>x</summary></details>'
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from tqdm.auto import tqdm

from evalkit.core.atomic import atomic_path, atomic_write
from evalkit.core.errors import EvalkitError
from evalkit.core.figures import fmt
from evalkit.core.labels import t
from evalkit.report.data import current_totals, load_results
from evalkit.report.html import page
from evalkit.report.names import names, unit_names
from evalkit.report.paths import inside, safe_stem, work_dir
from evalkit.results import Results

#: Chromium executables tried in order (``$EVALKIT_CHROMIUM`` first when set).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Flags of every print: no sandbox (containers), no GPU, no network chatter, no header/footer;
#: bookmarks from the headings (in a booklet, one per unit report).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-extensions", "--no-pdf-header-footer", "--hide-scrollbars",
         "--generate-pdf-document-outline")
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL)
#: Prefix that makes the browser get SIGKILL when the thread that started it ends.
_DIE_WITH_PARENT: tuple[str, ...] = (
    (shutil.which("setpriv") or "", "--pdeathsig", "KILL") if shutil.which("setpriv") else ())


@dataclass
class PdfBatch:
    """What :func:`write_pdfs` did: the PDFs written, those up to date, the failures."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def find_chromium() -> str:
    """The Chromium executable (``$EVALKIT_CHROMIUM``, else the first of :data:`BROWSERS`).

    Raises
    ------
    EvalkitError
        When none is installed (Debian: ``apt-get install chromium``).
    """
    for name in (os.environ.get("EVALKIT_CHROMIUM", ""), *BROWSERS):
        path = shutil.which(name) if name else None
        if path:
            return path
    raise EvalkitError("no Chromium found to print PDFs; expected one of "
                       f"{', '.join(BROWSERS)} on PATH or $EVALKIT_CHROMIUM "
                       "(Debian: apt-get install chromium)", "--format pdf")


def open_details(html: str) -> str:
    """``html`` with every ``<details>`` opened (a printed page cannot be clicked)."""
    return re.sub(r"<details(?![^>]*\bopen\b)", "<details open", html)


def print_pdf(html: str, pdf: Path, timeout: float = 180) -> Path:
    """Print the page ``html`` to ``pdf`` with headless Chromium (atomically); return ``pdf``.

    Raises
    ------
    EvalkitError
        When Chromium fails or takes longer than ``timeout`` seconds (then its process group,
        started here, is killed).
    """
    exe = find_chromium()
    with tempfile.TemporaryDirectory(prefix="evalkit-pdf-") as tmp, atomic_path(pdf) as out:
        src = Path(tmp) / "page.html"
        src.write_text(open_details(html), encoding="utf-8")
        cmd = [*_DIE_WITH_PARENT, exe, *FLAGS, f"--user-data-dir={tmp}/profile",
               f"--print-to-pdf={out}", src.as_uri()]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise EvalkitError(f"Chromium took longer than {timeout:.0f} s", str(pdf)) from None
        if proc.returncode != 0 or not Path(out).is_file() or Path(out).stat().st_size == 0:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise EvalkitError(f"Chromium could not print the page (exit "
                               f"{proc.returncode}): {tail[0]}", str(pdf))
    return pdf


def body_of(html: str) -> str:
    """The content of a page's ``<body>``."""
    m = _BODY.search(html)
    return m.group(1) if m else html


def booklet_page(res: Results, category: str, lang: str, bodies: Sequence[tuple[str, str]],
                 title: str) -> str:
    """A booklet: a cover with contents, then each report body on its own pages.

    ``bodies`` are ``(unit_id, body HTML)`` in rank order.
    """
    cur = current_totals(res)
    cur = cur.loc[cur["category"].astype(str) == category].set_index("unit_id", drop=False)
    cat_name = str(names(res, "meta_categories", "category", lang).get(category, category))
    unit = unit_names(cur, lang)
    rows = "".join(
        f"<tr><td class='n'>{escape(fmt(cur.at[u, 'rank']))}</td><td>{escape(u)}</td>"
        f"<td>{escape(str(unit[u]))}</td><td class='n'>{escape(fmt(cur.at[u, 'total']))}</td>"
        "</tr>" for u, _ in bodies if u in cur.index)
    head = "".join(f"<th>{escape(t(k, lang))}</th>" for k in ("rank", "unit_id", "unit", "total"))
    heading = t("booklet_title", lang, category=cat_name, title=title, period=res.current_period)
    cover = (f"<h1>{escape(heading)}</h1><h2>{escape(t('booklet_contents', lang))}</h2>"
             f"<table class='ek-table'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>"
             "</table>")
    parts = [f'<section style="break-before:page">{b}</section>' for _, b in bodies]
    return page(heading, cover + "".join(parts), lang)


def _category_units(res: Results, units: Sequence[str] | None) -> dict[str, list[str]]:
    """category -> unit ids in rank order (current period; only ``units`` when given)."""
    cur = current_totals(res).sort_values(["rank", "unit_id"], kind="stable")
    if units:
        cur = cur.loc[cur["unit_id"].astype(str).isin(set(units))]
    out: dict[str, list[str]] = {}
    for cat, uid in zip(cur["category"].astype(str), cur["unit_id"].astype(str), strict=True):
        out.setdefault(cat, []).append(uid)
    return out


@dataclass(frozen=True)
class _Print:
    """One PDF to print: a unit's report (``category`` empty) or a category's booklet."""

    key: str
    pdf: Path
    reports: tuple[tuple[str, Path], ...]  # (unit_id, its HTML report), in rank order
    category: str = ""


def pdf_digest(job: _Print, lang: str, title: str) -> str:
    """sha256 of what the PDF of ``job`` is printed from: its reports' bytes, the language, the
    title and the category."""
    h = hashlib.sha256(f"{lang}\0{title}\0{job.category}\0".encode())
    for uid, html in job.reports:
        h.update(uid.encode() + b"\0" + html.read_bytes() + b"\0")
    return h.hexdigest()


def _printed(record: Path) -> dict[str, str]:
    """PDF file name -> digest it was printed from (``pdf.json`` of the work folder)."""
    try:
        data = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def plan_pdfs(out_dir: Path, res: Results, units: Sequence[str] | None, booklets: bool
              ) -> list[_Print]:
    """The PDFs of the HTML reports present in ``out_dir`` (see :func:`write_pdfs`)."""
    pdf_dir = out_dir / "pdf"
    asked = set(units) if units else None
    jobs = []
    for cat, ids in _category_units(res, None).items():
        reports = tuple((u, out_dir / f"{safe_stem(u)}.html") for u in ids)
        reports = tuple((u, h) for u, h in reports if h.is_file())
        jobs += [_Print(u, inside(pdf_dir, f"{safe_stem(u)}.pdf"), ((u, h),))
                 for u, h in reports if asked is None or u in asked]
        if booklets and reports and (asked is None or asked & set(ids)):
            jobs.append(_Print(f"booklet:{cat}",
                               inside(pdf_dir, f"booklet-{safe_stem(cat)}.pdf"), reports, cat))
    return jobs


def _print_job(job: _Print, res: Results, lang: str, title: str, timeout: float) -> str:
    """Print one PDF; return the error ("" when it was written)."""
    try:
        if job.category:
            bodies = [(u, body_of(h.read_text("utf-8"))) for u, h in job.reports]
            text = booklet_page(res, job.category, lang, bodies, title)
        else:
            text = job.reports[0][1].read_text("utf-8")
        print_pdf(text, job.pdf, timeout)
        return ""
    except (EvalkitError, OSError) as exc:
        return str(exc)


def write_pdfs(out_dir: str | Path, results_dir: str | Path, lang: str = "zh",
               units: Sequence[str] | None = None, jobs: int = 2, force: bool = False,
               booklets: bool = True, timeout: float = 180, progress: bool = False
               ) -> PdfBatch:
    """Print the HTML reports of ``out_dir`` to PDFs: one per unit of ``units`` (default all),
    a booklet per category of theirs (see the module doc).

    Units whose HTML report is missing (failed, or not asked for) are left out; a PDF printed
    from the same content is kept unless ``force``. ``jobs`` Chromium processes run at a time;
    ``progress`` shows a bar (tqdm). A PDF that cannot be printed is a failure of that PDF
    only (:attr:`PdfBatch.failures`): the others are printed.
    """
    out_dir = Path(out_dir).resolve()
    res = load_results(results_dir)
    (out_dir / "pdf").mkdir(parents=True, exist_ok=True)
    ev = res.spec.get("evaluation", {}) if isinstance(res.spec, dict) else {}
    title = str(ev.get("name_en" if lang == "en" else "name") or t("report_title", lang))
    record = work_dir(out_dir) / "pdf.json"
    printed = _printed(record)
    plan = plan_pdfs(out_dir, res, units, booklets)
    digest = {j.pdf.name: pdf_digest(j, lang, title) for j in plan}
    work = [j for j in plan if force or not j.pdf.is_file()
            or printed.get(j.pdf.name) != digest[j.pdf.name]]
    batch = PdfBatch(skipped=[j.pdf for j in plan if j not in work])
    bar = tqdm(total=len(work), desc="pdf", unit="pdf", disable=not progress or not work)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, bar:
        errors = pool.map(lambda j: _print_job(j, res, lang, title, timeout), work)
        for job, error in zip(work, errors, strict=True):
            bar.update(1)
            if error:
                bar.write(f"failed: {job.pdf.name}: {error}")
                batch.failures[job.key] = error
                printed.pop(job.pdf.name, None)
            else:
                batch.written.append(job.pdf)
                printed[job.pdf.name] = digest[job.pdf.name]
            atomic_write(record, json.dumps(printed, indent=1, sort_keys=True))
    return batch
