"""Faults: a killed or repeated run loses nothing, leaves nothing, redoes nothing.

Each test provokes one fault on the small demo city or the report city (``report_city.py``)
and checks what is left: ``kill -9`` of ``evalkit run`` while it saves (the Results folder is
the old one or the new one, whole), ``kill -9`` and SIGTERM of ``evalkit report`` mid-batch
(no worker, kernel or resource tracker survives; a re-run redoes only what is missing), two
batches on one folder, a read-only folder and a full disk (a clear error naming the path,
exit status 2, nothing half-written), a folder that does not match its manifest, and the Dask
executor against a local cluster (the same bytes as the local executor). Every process a
test starts is bounded in time and killed at the end.

The code digest of evalkit enters every report's inputs hash; other engineers may edit the
package while these tests run, so the tests that count redone reports pin it
(:func:`pinned_code`), in this process and in the processes they start.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import psutil
import pytest

import evalkit.report.jobs as report_jobs
from evalkit.cli import main
from evalkit.core.atomic import WriteError
from evalkit.core.errors import EvalkitError
from evalkit.demo import make_demo
from evalkit.report.lock import LOCK_NAME
from evalkit.report.paths import work_dir
from evalkit.report.runner import run_reports
from evalkit.results import Results
from evalkit.results.manifest import MANIFEST
from evalkit.run import run_spec

sys.path.insert(0, str(Path(__file__).parent))
from report_city import build_results

#: Units of the small demo city (fewer leave a category with < 3 units for CRITIC weights).
DEMO_UNITS = 24
PIN = "import evalkit.report.jobs as J; J.code_digest = lambda: 'pinned'; "


# -- helpers ---------------------------------------------------------------------------------
def siblings(folder: Path) -> list[str]:
    """Temporary siblings of ``folder`` (``.name.tmp-…``, ``.name.old-…``)."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def temp_files(folder: Path) -> list[str]:
    """Temporary files under ``folder`` and, for a reports folder, under its work folder."""
    roots = [folder] + [w for w in [work_dir(folder)] if w.is_dir()]
    return sorted(str(p.relative_to(r)) for r in roots for p in r.rglob("*") if ".tmp" in p.name)


def wait_for(cond: Callable[[], bool], timeout: float, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


@contextmanager
def started(code: str, timeout: float = 120) -> Iterator[subprocess.Popen[bytes]]:
    """A Python process running ``code``, killed (with its process group) at the end."""
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
        if proc.stderr is not None:
            proc.stderr.close()


def cli(*args: str, pin: bool = False) -> str:
    return (f"import sys; {PIN if pin else ''}from evalkit.cli import main; "
            f"sys.exit(main({list(args)!r}))")


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def survivors(procs: list[psutil.Process], timeout: float) -> list[str]:
    """The processes of ``procs`` still running after ``timeout`` seconds (zombies count
    as gone)."""
    def gone() -> bool:
        return all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in procs)

    wait_for(gone, timeout, 0.2)
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
                p.kill()
        except psutil.NoSuchProcess:
            continue
    return alive


def ok_sidecars(out: Path) -> set[str]:
    side = work_dir(out)
    return {p.stem for p in side.glob("*.json")
            if json.loads(p.read_text("utf-8")).get("status") == "ok"} if side.is_dir() else set()


@pytest.fixture
def pinned_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_jobs, "code_digest", lambda: "pinned")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo city and its Results (``results``)."""
    root = tmp_path_factory.mktemp("faults_demo")
    make_demo(root / "data", n_units=DEMO_UNITS, spec_path=root / "demo.yaml")
    run_spec(root / "demo.yaml", root / "results")
    return root


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_results(tmp_path_factory.mktemp("faults_city"), n_extra=6)


@pytest.fixture
def results(demo: Path, tmp_path: Path) -> Path:
    """A copy of the demo's Results folder."""
    return Path(shutil.copytree(demo / "results", tmp_path / "results"))


# -- Results written as a whole ---------------------------------------------------------------
def test_kill_during_save_leaves_the_old_or_the_new_folder_whole(demo: Path, tmp_path: Path):
    root = Path(shutil.copytree(demo, tmp_path / "city", ignore=shutil.ignore_patterns(
        "results")))
    out = root / "results"
    run_spec(root / "demo.yaml", out)
    old = (out / MANIFEST).read_bytes()
    pts = pd.read_csv(root / "data" / "points.csv")
    pts.loc[0, "points"] = float(pts.loc[0, "points"]) + 1  # the new run differs
    pts.to_csv(root / "data" / "points.csv", index=False)
    for after in (0.0, 0.3):  # as soon as the save starts, and part-way through
        with started(cli("run", str(root / "demo.yaml"), "--out", str(out))) as proc:
            mine = f".results.tmp-{proc.pid}-"
            assert wait_for(lambda m=mine: any(n.startswith(m) for n in siblings(out)), 60), \
                "the save never started"
            time.sleep(after)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        res = Results.load(out)  # the folder matches its manifest: loads
        assert (out / MANIFEST).read_bytes() == old or \
            res.points["points"].sum() != Results.load(demo / "results").points["points"].sum()
        assert all(n.startswith(".results.tmp-") for n in siblings(out))
    assert siblings(out), "a killed save leaves its temporary folder (removed next time)"
    run_spec(root / "demo.yaml", out)
    assert siblings(out) == [] and temp_files(out) == []
    assert (out / MANIFEST).read_bytes() != old


def test_load_refuses_a_folder_that_does_not_match_its_manifest(results: Path):
    Results.load(results)
    (results / ".totals.parquet.tmp-1-x.tmp").write_bytes(b"")
    with pytest.raises(EvalkitError, match=r"stray temporary file \.totals\.parquet\.tmp"):
        Results.load(results)
    (results / ".totals.parquet.tmp-1-x.tmp").unlink()
    data = (results / "nodes.parquet").read_bytes()
    (results / "nodes.parquet").write_bytes(data[:-8] + b"\0" * 8)
    with pytest.raises(EvalkitError, match=r"results: .*nodes\.parquet changed since it was "
                                            r"saved"):
        Results.load(results)
    (results / "nodes.parquet").write_bytes(data)
    (results / "points.parquet").unlink()
    with pytest.raises(EvalkitError, match=r"points\.parquet is listed in manifest\.json but "
                                            r"missing"):
        Results.load(results)
    (results / MANIFEST).unlink()
    with pytest.raises(EvalkitError, match=r"no manifest\.json"):
        Results.load(results)


def test_full_disk_during_save_changes_nothing(results: Path, demo: Path,
                                               monkeypatch: pytest.MonkeyPatch, capsys):
    import evalkit.results.store as store

    before = {p.name: p.read_bytes() for p in results.iterdir()}
    real, calls = store.write_parquet, []

    def full(df: pd.DataFrame, path: Path) -> None:
        calls.append(path)
        if len(calls) == 4:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(df, path)

    monkeypatch.setattr(store, "write_parquet", full)
    res = Results.load(results)
    with pytest.raises(WriteError, match=r"results: cannot write here: no space left on the "
                                         r"device \(ENOSPC\)"):
        res.save(results)
    assert {p.name: p.read_bytes() for p in results.iterdir()} == before
    assert siblings(results) == []
    calls.clear()
    assert main(["run", str(demo / "demo.yaml"), "--out", str(results)]) == 2
    err = capsys.readouterr().err
    assert "no space left on the device" in err and str(results) in err
    assert {p.name: p.read_bytes() for p in results.iterdir()} == before
    assert siblings(results) == []


@contextmanager
def read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``folder`` read-only: by its mode, or (as root, whom modes do not stop) by failing
    with EROFS every creation of a file or folder inside it."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    inside = str(folder.resolve())

    def within(path: object) -> bool:
        path = os.path.abspath(str(path))
        return path == inside or path.startswith(inside + os.sep)

    def creating(fn: Callable[..., object]) -> Callable[..., object]:
        def wrapped(path: object, *args: object, **kw: object) -> object:
            if within(path) and not os.path.exists(str(path)):
                raise OSError(errno.EROFS, "Read-only file system", str(path))
            return fn(path, *args, **kw)
        return wrapped

    def temporary(fn: Callable[..., object]) -> Callable[..., object]:
        def wrapped(*args: object, **kw: object) -> object:
            if kw.get("dir") is not None and within(kw["dir"]):
                raise OSError(errno.EROFS, "Read-only file system", str(kw["dir"]))
            return fn(*args, **kw)
        return wrapped

    import tempfile
    monkeypatch.setattr(os, "mkdir", creating(os.mkdir))
    monkeypatch.setattr(os, "open", creating(os.open))
    monkeypatch.setattr(tempfile, "mkdtemp", temporary(tempfile.mkdtemp))
    monkeypatch.setattr(tempfile, "mkstemp", temporary(tempfile.mkstemp))
    yield


def test_read_only_or_missing_folders_are_named_errors(results: Path, demo: Path, city: Path,
                                                       tmp_path: Path, monkeypatch, capsys):
    ro = tmp_path / "ro"
    with read_only(ro, monkeypatch):
        assert main(["run", str(demo / "demo.yaml"), "--out", str(ro / "results")]) == 2
        err = capsys.readouterr().err
        assert "cannot write here" in err and str(ro) in err and "Traceback" not in err
        assert main(["report", str(city), "--out", str(ro / "reports"), "--jobs", "1",
                     "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert "cannot write here" in err and str(ro / "reports") in err
    assert list(ro.iterdir()) == []
    assert main(["report", str(tmp_path / "nothing"), "--no-progress"]) == 2
    assert "no such spec file or Results folder" in capsys.readouterr().err


def test_full_disk_while_writing_a_report_stops_the_batch(city: Path, tmp_path: Path,
                                                          monkeypatch, capsys):
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if self.name.startswith(".T01.html."):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    out = tmp_path / "out"
    assert main(["report", str(city), "--out", str(out), "--units", "T01", "--jobs", "1",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "no space left on the device" in err and str(out / "T01.html") in err
    assert not (out / "T01.html").exists() and temp_files(out) == []
    assert not (out / LOCK_NAME).exists()


# -- report batches ----------------------------------------------------------------------------
def test_kill_9_mid_batch_leaves_no_process_and_rerun_redoes_the_rest(city: Path, tmp_path: Path,
                                                                      pinned_code: None):
    out = tmp_path / "out"
    code = cli("report", str(city), "--out", str(out), "--jobs", "2", "--no-progress",
               pin=True)
    with started(code) as proc:
        assert wait_for(lambda: len(ok_sidecars(out)) >= 2, 150, 0.05), "no report written"
        family = descendants(proc.pid)
        assert len(family) >= 3, family  # 2 workers, their kernels, the resource tracker
        os.kill(proc.pid, signal.SIGKILL)  # the batch only, not its process group
        proc.wait(10)
        left = survivors(family, 15)
    assert left == [], f"orphans of the killed batch: {left}"
    done = ok_sidecars(out)
    total = 8 + 6 + 1
    assert 2 <= len(done) < total
    b = run_reports(city, out, jobs=1, progress=False)
    stem = {o.unit_id: Path(o.html).stem for o in b.outcomes}
    assert {stem[o.unit_id] for o in b.outcomes if o.status == "skipped"} == done
    assert b.count("ok") == total - len(done) and b.failures == {}
    assert temp_files(out) == []


def test_sigterm_stops_the_batch_and_its_kernel(city: Path, tmp_path: Path):
    out = tmp_path / "out"
    with started(cli("report", str(city), "--out", str(out), "--jobs", "1",
                     "--no-progress")) as proc:
        assert wait_for(lambda: len(ok_sidecars(out)) >= 1, 120, 0.05)
        family = descendants(proc.pid)
        assert family, "the serial batch runs one kernel"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 143
        assert survivors(family, 10) == []
    assert not (out / LOCK_NAME).exists()


def test_second_batch_on_one_folder_refuses_or_waits(city: Path, tmp_path: Path, capsys,
                                                     pinned_code: None):
    out = tmp_path / "out"
    units = ["T01", "T02", "T03"]
    code = cli("report", str(city), "--out", str(out), "--jobs", "1", "--no-progress",
               "--units", *units, pin=True)
    with started(code) as proc:
        assert wait_for(lambda: (out / LOCK_NAME).is_file(), 60)
        with pytest.raises(EvalkitError, match=r"out: another `evalkit report` \(pid "
                                               rf"{proc.pid}, since .*\) is writing into"):
            run_reports(city, out, units=units, jobs=1, progress=False)
        assert main(["report", str(city), "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert f"error: {out}: another `evalkit report` (pid {proc.pid}," in err
        args = ["report", str(city), "--out", str(out), "--jobs", "1", "--no-progress",
                "--units", *units]
        assert main([args[0], "--wait", *args[1:]]) == 0  # --wait, then the Results folder
        assert proc.wait(10) == 0
        said = capsys.readouterr()
    assert f"{out}: waiting for another `evalkit report` (pid {proc.pid}" in said.err
    assert "0 written, 4 up to date, 0 failed" in said.out  # 3 units and the overview
    b = run_reports(city, out, units=units, jobs=1, progress=False, wait=5)  # free: no wait
    assert [o.status for o in b.outcomes] == ["skipped"] * 4


@contextmanager
def local_cluster() -> Iterator[object]:
    """A client of a one-worker ``distributed.LocalCluster`` (threads, no dashboard); the test
    is skipped, with the reason, when distributed is missing or the cluster cannot start."""
    distributed = pytest.importorskip("distributed", reason="distributed not installed")
    try:
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                           dashboard_address=None)
    except Exception as exc:  # no free port, no loopback interface, ...
        pytest.skip(f"distributed.LocalCluster cannot start here: {type(exc).__name__}: {exc}")
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_dask_executor_writes_the_same_bytes_as_the_local_executor(city: Path, tmp_path: Path):
    units = ["T01", "../evil"]
    local = run_reports(city, tmp_path / "local", units=units, jobs=2, executor="local",
                        progress=False, overview=False)
    with local_cluster() as client:
        dask = run_reports(city, tmp_path / "dask", units=units, scheduler=client,
                           progress=False, overview=False)
    assert local.failures == {} and dask.failures == {}
    for o in local.outcomes:
        name = Path(o.html).name
        assert (tmp_path / "dask" / name).read_bytes() == Path(o.html).read_bytes(), name
