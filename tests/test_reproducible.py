"""Reproducible to the byte: the same inputs and seed give the same files, whatever the time
and whatever the row order of the input tables.

- Two runs of the small demo city give byte-identical Parquet tables, workbook and spec; the
  creation time is only in ``provenance.json`` (and so in the manifest's hash of it).
- An unchanged re-run of ``evalkit run`` leaves every report up to date (0 redone), and the
  pages rendered again are byte-identical.
- Provenance records the spec's hash, every input's hash and the code version, also outside
  a git checkout.
- Row order: every input table of the demo city is shuffled and each saved table compared
  with the unshuffled run's, byte for byte (columns citing input rows, ``row``, left out: so
  the workbook, which shows them, is not compared).
  Every other difference fails: the inputs are put in one canonical row order when they are
  loaded, so even float sums are taken in the same order.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import evalkit.report.jobs as report_jobs
from evalkit.core.hashing import file_sha256
from evalkit.demo import make_demo
from evalkit.report.runner import run_reports
from evalkit.results.manifest import MANIFEST
from evalkit.results.provenance import (
    EPOCH,
    code_digest,
    code_version,
    content_digest,
    fixed_time,
    git_commit,
    record,
)
from evalkit.results.schema import TABLES
from evalkit.run import run_spec
from evalkit.validate import load

sys.path.insert(0, str(Path(__file__).parent))
from report_city import build_results

DEMO_UNITS = 24
#: Columns that cite rows of an input file: they follow the file's order by design.
POSITIONS = ("row", "_row")


# -- the same inputs twice ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The small demo city run twice (2 s apart at least): (spec, first, second)."""
    root = tmp_path_factory.mktemp("twice")
    make_demo(root / "data", n_units=DEMO_UNITS, spec_path=root / "demo.yaml")
    run_spec(root / "demo.yaml", root / "r1")
    time.sleep(2.1)  # zip entries keep times to 2 s
    run_spec(root / "demo.yaml", root / "r2")
    return root / "demo.yaml", root / "r1", root / "r2"


def test_same_inputs_give_the_same_bytes(twice: tuple[Path, Path, Path]) -> None:
    _, a, b = twice
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        if name not in ("provenance.json", MANIFEST):
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    pa_, pb = (json.loads((d / "provenance.json").read_text("utf-8")) for d in (a, b))
    assert pa_.pop("created") and pb.pop("created")  # the only time in the folder
    assert pa_ == pb
    ma, mb = (json.loads((d / MANIFEST).read_text("utf-8")) for d in (a, b))
    ma["files"].pop("provenance.json"), mb["files"].pop("provenance.json")
    assert ma == mb
    assert content_digest(a) == content_digest(b)
    with zipfile.ZipFile(a / "results.xlsx") as z:
        core = z.read("docProps/core.xml").decode()
    assert set(re.findall(r"<dcterms:\w+[^>]*>([^<]*)<", core)) == {"1980-01-01T00:00:00Z"}
    for f in a.glob("*.parquet"):  # nothing of the DataFrame's attrs (paths, hashes) embedded
        assert b"sha256" not in pq.read_metadata(f).metadata[b"pandas"], f.name


def test_embedded_time_follows_source_date_epoch(monkeypatch) -> None:
    assert fixed_time() == EPOCH
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01, reproducible builds
    assert fixed_time().isoformat() == "2025-01-01T00:00:00+00:00"


def test_provenance_records_spec_inputs_and_code(twice, tmp_path) -> None:
    spec_path, r1, _ = twice
    _, tables = load(spec_path)
    prov = record(spec_path, tables)
    saved = json.loads((r1 / "provenance.json").read_text("utf-8"))  # what run_spec stored
    for key in ("spec", "inputs", "code"):
        assert saved[key] == prov[key], key
    assert prov["spec"] == {"file": str(spec_path), "sha256": file_sha256(spec_path)}
    assert prov["inputs"]["units"]["sha256"] == file_sha256(spec_path.parent / "data" /
                                                            "units.csv")
    assert set(prov["inputs"]) >= {"units", "values", "points"}
    code = code_version()
    assert code["evalkit"] and code["code_sha256"] == code_digest()
    assert code["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", code["git_commit"])
    assert git_commit(tmp_path) is None  # outside a git checkout: no commit, no error
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", prov["created"])


# -- an unchanged re-run -----------------------------------------------------------------------
def test_unchanged_rerun_redoes_no_report_and_pages_are_identical(tmp_path, monkeypatch):
    monkeypatch.setattr(report_jobs, "code_digest", lambda: "pinned")  # others edit evalkit
    city = build_results(tmp_path / "city")
    units = ["T01", "T04", "../evil"]
    first = run_reports(city, tmp_path / "out", units=units, jobs=1, progress=False)
    assert first.failures == {} and first.count("ok") == 4
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").glob("*.html")}
    time.sleep(1.1)
    run_spec(city.parent / "spec.yaml", city)  # the same inputs, a new creation time
    again = run_reports(city, tmp_path / "out", units=units, jobs=1, progress=False)
    assert again.count("ok") == 0 and again.count("skipped") == 4  # 0 reports redone
    forced = run_reports(city, tmp_path / "forced", units=units, jobs=1, progress=False,
                         force=True)
    assert forced.count("ok") == 4
    for name, data in before.items():
        if name == "index.html":
            continue
        assert (tmp_path / "forced" / name).read_bytes() == data, name


# -- row order of the inputs -------------------------------------------------------------------
def shuffle_inputs(folder: Path, seed: int = 1) -> None:
    """Shuffle the rows of every CSV and Parquet table in ``folder`` (values unchanged)."""
    rng = np.random.default_rng(seed)
    for f in sorted(folder.iterdir()):
        if f.suffix == ".csv":
            with f.open(newline="", encoding="utf-8") as fh:
                head, *body = list(csv.reader(fh))
            body = [body[i] for i in rng.permutation(len(body))]
            with f.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh, lineterminator="\n").writerows([head, *body])
        elif f.suffix == ".parquet":
            t = pq.read_table(f)
            pq.write_table(t.take(rng.permutation(t.num_rows)), f)


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo city's Results from its inputs as written and with every table shuffled."""
    root = tmp_path_factory.mktemp("shuffled")
    make_demo(root / "a" / "data", n_units=DEMO_UNITS, spec_path=root / "a" / "demo.yaml")
    shutil.copytree(root / "a", root / "b")
    shuffle_inputs(root / "b" / "data")
    assert (root / "a/data/units.csv").read_bytes() != (root / "b/data/units.csv").read_bytes()
    run_spec(root / "a" / "demo.yaml", root / "a" / "results")
    run_spec(root / "b" / "demo.yaml", root / "b" / "results")
    return root / "a" / "results", root / "b" / "results"


def compare_table(name: str, a: Path, b: Path) -> None:
    fa, fb = a / f"{name}.parquet", b / f"{name}.parquet"
    if not fa.is_file() and not fb.is_file():
        pytest.skip(f"the demo's Results have no table {name}")
    assert fa.is_file() and fb.is_file(), f"{name} is in one run only"
    if fa.read_bytes() == fb.read_bytes():
        return
    x, y = pd.read_parquet(fa), pd.read_parquet(fb)
    pos = [c for c in POSITIONS if c in x.columns]
    x, y = x.drop(columns=pos), y.drop(columns=pos)
    if pos and x.equals(y):
        return  # only the cited input rows differ, as they should
    pd.testing.assert_frame_equal(y, x, check_exact=True, obj=name)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_shuffled_inputs_give_the_same_table(shuffled: tuple[Path, Path], name: str) -> None:
    compare_table(name, *shuffled)


def test_shuffled_inputs_give_the_same_tables_outside_the_schema(shuffled) -> None:
    a, b = shuffled
    names = sorted({p.stem for p in a.glob("*.parquet")} - set(TABLES))
    skipped = []
    for name in names:
        try:
            compare_table(name, a, b)
        except pytest.skip.Exception as exc:
            skipped.append(f"{name}: {exc}")
    if skipped:
        pytest.skip("; ".join(skipped))
