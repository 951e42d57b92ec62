"""The five shipped notebooks run as opened: with their defaults, from the project root and from
``notebooks/`` (JupyterLab's working folder), through papermill.

The labs read the repository's demo data (``data/demo``, ``params/demo.yaml``) and run in the
repository itself; the report notebooks read ``results/demo``, which ``make demo`` writes: they
run in a project folder laid out the same way (their notebooks copied, ``results/demo`` the
demo city evaluated by the ``demo_dir`` fixture), so the tests never write into the
repository. Every parameter of a ``parameters``-tagged cell is listed by
``papermill --help-notebook`` (:func:`papermill.inspect_notebook`).
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

pm = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ("unit_report", "overview")
LABS = ("survey_lab", "peer_lab", "weights_lab")


def parameters_cell(name: str) -> list[str]:
    """The names the ``parameters`` cell of a notebook assigns."""
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text("utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(cells) == 1, name
    tree = ast.parse("".join(cells[0]["source"]))
    return [t.target.id if isinstance(t, ast.AnnAssign) else t.targets[0].id
            for t in tree.body if isinstance(t, ast.Assign | ast.AnnAssign)]


@pytest.mark.parametrize("name", REPORTS + LABS)
def test_every_parameter_is_listed_by_help_notebook(name: str):
    listed = list(pm.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb")))
    assert listed == parameters_cell(name)


@pytest.fixture(scope="module")
def project(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder after ``make demo``: notebooks/ and results/demo."""
    root = tmp_path_factory.mktemp("project")
    (root / "notebooks").mkdir()
    for name in REPORTS:
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", root / "notebooks")
    (root / "results").mkdir()
    (root / "results" / "demo").symlink_to(demo_dir / "results", target_is_directory=True)
    return root


def run(notebook: Path, cwd: Path, out: Path) -> dict:
    """Execute ``notebook`` with its defaults in ``cwd``; the executed notebook as JSON."""
    pm.execute_notebook(str(notebook), str(out), cwd=str(cwd), kernel_name="python3",
                        progress_bar=False)
    nb = json.loads(out.read_text("utf-8"))
    errors = [f"{o['ename']}: {o['evalue']}" for c in nb["cells"]
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    return nb


def text(nb: dict) -> str:
    return json.dumps([o for c in nb["cells"] for o in c.get("outputs", [])],
                      ensure_ascii=False) + json.dumps(nb["metadata"], ensure_ascii=False)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("where", ["root", "notebooks"])
def test_report_notebooks_run_with_their_defaults(project: Path, tmp_path: Path, where: str):
    cwd = project if where == "root" else project / "notebooks"
    unit = text(run(project / "notebooks" / "unit_report.ipynb", cwd, tmp_path / "u.ipynb"))
    assert "T001" in unit and "指标明细" in unit and "方法与数据来源" in unit
    overview = text(run(project / "notebooks" / "overview.ipynb", cwd, tmp_path / "o.ipynb"))
    assert "分类排名" in overview and "<svg" in overview


@pytest.fixture(scope="module")
def lab_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder after ``evalkit demo`` (params/demo.yaml, data/demo/, notebooks/), as
    the labs' defaults expect it; built here, so the tests do not need ``make demo`` first."""
    from evalkit.demo.city import make_demo

    root = tmp_path_factory.mktemp("labs")
    make_demo(root / "data" / "demo", spec_path=root / "params" / "demo.yaml")
    (root / "notebooks").mkdir()
    for name in LABS:
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", root / "notebooks")
    return root


@pytest.mark.timeout(900)
@pytest.mark.parametrize("where", ["root", "notebooks"])
@pytest.mark.parametrize("name", LABS)
def test_labs_run_with_their_defaults(name: str, where: str, tmp_path: Path,
                                      lab_project: Path):
    cwd = lab_project if where == "root" else lab_project / "notebooks"
    nb = run(lab_project / "notebooks" / f"{name}.ipynb", cwd, tmp_path / f"{name}.ipynb")
    out = text(nb)
    images = out.count("image/png") + out.count("<svg")
    assert images >= 3, name
    if name == "weights_lab":
        # sliders labelled with the perspectives' names; the normalised weights shown
        assert '"description": "履职成效"' in out and "normalised weight" in out
        assert "长林街道" in out  # tables name the units
        assert "客观赋权" in out  # the data-driven schemes carry their note
    if name == "peer_lab":
        assert "best_tau" in out  # the headline table


def test_labs_draw_their_statistical_plots_with_seaborn():
    for name in LABS:
        nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text("utf-8"))
        code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert "sns." in code or "lab.plot_weights" in code, name


def test_weights_lab_sliders_show_names_and_normalised_weights():
    import numpy as np
    import pandas as pd

    from evalkit.analysis.uncertainty import UncertaintyProblem
    from evalkit.labs import weights as lab

    s = pd.DataFrame(np.random.default_rng(1).uniform(0, 100, (8, 3)), columns=list("abc"),
                     index=[f"U{i}" for i in range(8)])
    p = UncertaintyProblem.from_weights(s, None, {"a": "x", "b": "x", "c": "y"},
                                        {"x": 0.6, "y": 0.4})
    names = lab.LabNames({f"U{i}": f"单位{i}" for i in range(8)}, {"a": "甲", "b": "乙", "c": "丙"},
                         {"x": "履职", "y": "服务"}, {})
    box = lab.weight_sliders(p, names)
    assert [w.description for w in box.children[:-1]] == ["履职", "服务"]
    table = lab.named(lab.ranking_for(p), names)
    assert set(table.index) <= {f"单位{i}" for i in range(8)}
    assert (table["total"] == table["total"].round(2)).all()
