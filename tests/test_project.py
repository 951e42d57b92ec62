"""The project's own promises: environment.yml in step with pyproject.toml, docstring examples."""

from __future__ import annotations

import doctest
import importlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_in_step_with_pyproject() -> None:
    py = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in py["dependencies"]}
    wanted |= {_name(r) for r in py["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    have = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        else:
            have.add(_name(dep))
    missing = wanted - have
    assert not missing, f"environment.yml lacks {sorted(missing)} (pyproject.toml has them)"
    extra = have - wanted - {"python", "pip"}
    assert not extra, f"environment.yml has {sorted(extra)} that pyproject.toml does not"


CORE = ["evalkit.core.atomic", "evalkit.core.errors", "evalkit.core.registry", "evalkit.spec.parse", "evalkit.spec.tree",
        "evalkit.inputs.tables", "evalkit.scoring.methods", "evalkit.scoring.missing",
        "evalkit.scoring.impute", "evalkit.scoring.outliers", "evalkit.scoring.treatment",
        "evalkit.aggregation.means", "evalkit.aggregation.points",
        "evalkit.aggregation.scorecard", "evalkit.results.store", "evalkit.validate",
        "evalkit.demo.city"]


@pytest.mark.parametrize("module", CORE)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
