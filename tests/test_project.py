"""The project's own promises: environment.yml in step with pyproject.toml, docstring examples."""

from __future__ import annotations

import ast
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


#: Every module of the package: each docstring example is run (an example that needs the
#: repository's files is marked ``+SKIP`` in place).
def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(_module_name(p) for p in (ROOT / "evalkit").rglob("*.py")
                 if "notebooks" not in p.parts)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


# -- the shape of the package ----------------------------------------------------------------
PACKAGE = ROOT / "evalkit"
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _code_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function's body after its docstring."""
    body = fn.body
    has_doc = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                           ast.Constant) and \
        isinstance(body[0].value.value, str)
    start = body[0].end_lineno + 1 if has_doc and len(body) > 1 else body[0].lineno
    return (fn.end_lineno or start) - start + 1


def test_modules_are_small() -> None:
    big = {str(f.relative_to(ROOT)): n for f in _modules()
           if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"


def test_functions_are_short() -> None:
    long = {}
    for f in _modules():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                    (n := _code_lines(node)) > MAX_FUNCTION_LINES:
                long[f"{f.relative_to(ROOT)}:{node.lineno} {node.name}"] = n
    assert not long, f"functions over {MAX_FUNCTION_LINES} code lines: {long}"


def test_no_evalkit_import_inside_a_function() -> None:
    # imports inside functions are kept for optional heavy dependencies only, never to dodge
    # an import circle between evalkit's own modules
    inner = []
    for f in _modules():
        for fn in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                mod = node.module if isinstance(node, ast.ImportFrom) else None
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if (mod or "").startswith("evalkit") or any(n.startswith("evalkit")
                                                            for n in names):
                    inner.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert not inner, f"evalkit imported inside functions at {inner}"


def test_evalkit_methods_lists_every_registry() -> None:
    import pkgutil

    import evalkit
    from evalkit.cli import registries
    from evalkit.core.registry import Registry

    found = {}
    for info in pkgutil.walk_packages(evalkit.__path__, "evalkit."):
        mod = importlib.import_module(info.name)
        found.update({id(v): f"{info.name}.{k}" for k, v in vars(mod).items()
                      if isinstance(v, Registry)})
    listed = {id(r) for r in registries().values()}
    missing = sorted(name for key, name in found.items() if key not in listed)
    assert not missing, f"registries that `evalkit methods` does not list: {missing}"
