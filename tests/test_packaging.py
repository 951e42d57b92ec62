"""Packaging: the wheel ships the report notebooks and ``evalkit report`` works installed.

Builds a wheel of the project (``pip wheel --no-deps --no-build-isolation --no-index``:
nothing is downloaded), installs it with ``--no-deps`` into a fresh venv whose dependencies
come from the test environment's site-packages (a ``.pth`` file; Jupyter's data — kernel
specs, nbconvert's templates — through ``JUPYTER_PATH``), and runs ``evalkit report`` from a
folder outside the repository. Also checks the structure rules of the report and results
code: imports at the top of modules (heavy optional dependencies excepted), no import circle
in ``evalkit/report``, one copy of each notebook.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_city import build_results

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "evalkit"

#: Packages that may be imported inside a function, where they are used (heavy, optional).
LATE_OK = {"papermill", "nbconvert", "nbformat", "jupyter_client", "jupyter_core",
           "distributed", "dask", "matplotlib", "openpyxl"}
#: The modules whose structure is checked here.
CHECKED = [*sorted((PKG / "report").glob("*.py")), *sorted((PKG / "results").glob("*.py")),
           PKG / "core" / "labels.py", PKG / "core" / "figures.py"]


def _setuptools_version() -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return (0,)


def _copy_project(dst: Path) -> Path:
    """The files a build reads, copied (links kept as links) so the build leaves no trace."""
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints")
    shutil.copytree(PKG, dst / "evalkit", symlinks=True, ignore=skip)
    shutil.copytree(ROOT / "notebooks", dst / "notebooks", ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dst / name)
    return dst


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)
    assert out.returncode == 0, f"{args[:4]} failed:\n{out.stdout}\n{out.stderr}"
    return out


def _wheel(tmp: Path) -> Path:
    src = _copy_project(tmp / "src")
    _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
          "--no-index", "--quiet", "-w", str(tmp / "dist")])
    (whl,) = (tmp / "dist").glob("evalkit-*.whl")
    return whl


def _venv(tmp: Path, whl: Path) -> Path:
    """A fresh venv with the wheel installed and the test environment's packages visible."""
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
          "--no-index", "--quiet", str(whl)])
    site = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(site.stdout.strip()) / "evalkit-test-deps.pth").write_text("\n".join(sorted(deps)))
    return venv


@pytest.mark.skipif(_setuptools_version() < (77,), reason="building the wheel offline needs "
                    "setuptools>=77 in the test environment (pip install 'setuptools>=77')")
def test_installed_wheel_finds_its_notebooks_and_writes_reports(tmp_path):
    whl = _wheel(tmp_path)
    with zipfile.ZipFile(whl) as z:
        for name in ("unit_report.ipynb", "overview.ipynb"):
            assert z.read(f"evalkit/notebooks/{name}") == (ROOT / "notebooks" / name).read_bytes()
    venv = _venv(tmp_path, whl)
    results = build_results(tmp_path / "city")
    work = tmp_path / "elsewhere"  # not the repository: nothing found relative to it
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    where = _run([str(venv / "bin" / "python"), "-c", "import evalkit; print(evalkit.__file__)"],
                 cwd=work, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv)
    _run([str(venv / "bin" / "evalkit"), "report", str(results), "--units", "T01", "--jobs", "1",
          "--no-progress", "--out", str(work / "reports")], cwd=work, env=env)
    html = (work / "reports" / "T01.html").read_text("utf-8")
    assert "东城镇" in html and "指标明细" in html
    assert (work / "reports" / "overview.html").is_file()
    nb = json.loads((work / ".reports.work" / "T01.ipynb").read_text("utf-8"))
    assert Path(nb["metadata"]["papermill"]["input_path"]).is_relative_to(venv)


def test_one_copy_of_each_notebook():
    assert (PKG / "notebooks").resolve() == (ROOT / "notebooks").resolve()
    from evalkit.report.jobs import OVERVIEW_NOTEBOOK, UNIT_NOTEBOOK

    assert UNIT_NOTEBOOK.resolve() == (ROOT / "notebooks" / "unit_report.ipynb").resolve()
    assert OVERVIEW_NOTEBOOK.resolve() == (ROOT / "notebooks" / "overview.ipynb").resolve()


def _late_imports(path: Path) -> list[str]:
    """Imports inside functions or classes of ``path`` (``file:line module``)."""
    tree = ast.parse(path.read_text("utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import):
                    out += [f"{path.name}:{sub.lineno} {a.name}" for a in sub.names]
                elif isinstance(sub, ast.ImportFrom):
                    out.append(f"{path.name}:{sub.lineno} {sub.module}")
    return sorted(set(out))


def test_imports_at_the_top_except_heavy_optional_dependencies():
    late = [x for p in CHECKED for x in _late_imports(p)
            if x.split()[1].split(".")[0] not in LATE_OK]
    assert late == []


def _report_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in (PKG / "report").glob("*.py"):
        mod = "evalkit.report" + ("" if path.stem == "__init__" else f".{path.stem}")
        deps: set[str] = set()
        for node in ast.parse(path.read_text("utf-8")).body:
            if isinstance(node, ast.ImportFrom):
                deps.add(node.module or "")
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
        graph[mod] = {d for d in deps if d.startswith("evalkit.report")} - {mod}
    return graph


def test_no_import_circle_in_report():
    graph = _report_graph()
    done: set[str] = set()

    def visit(mod: str, path: tuple[str, ...]) -> None:
        assert mod not in path, "import circle: " + " -> ".join((*path, mod))
        if mod in done:
            return
        for dep in graph.get(mod, ()):
            visit(dep, (*path, mod))
        done.add(mod)

    for mod in graph:
        visit(mod, ())
    assert "evalkit.report.runner" not in graph["evalkit.report"]  # kernels need no runner
