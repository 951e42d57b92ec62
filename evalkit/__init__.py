"""evalkit: rigorous, reproducible performance evaluation of government units.

The one-call API, loaded on first use (``import evalkit`` imports nothing else)::

    import evalkit
    v = evalkit.validate("params/county.yaml")   # every check; print(v.summary())
    res = evalkit.run("params/county.yaml")      # evaluate and save -> Results
    batch = evalkit.report("results/county")     # per-unit reports and index.html
    evalkit.init("county", "指标体系.xlsx")        # scaffold a spec and its data template

``run``, ``report`` and ``validate`` are also modules (``from evalkit.run import build``,
``import evalkit.report as rp``, ``from evalkit.validate import load_spec``). Both keep
working: each of these modules is *callable* — calling it calls the API function of
:mod:`evalkit.authoring.api` — whichever way it was first imported, because the package
gives the module that class when the import binds it here (:class:`CallableModule`).

Examples
--------
>>> import evalkit, evalkit.run
>>> callable(evalkit.run), evalkit.run.build.__module__
(True, 'evalkit.run')
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

#: Submodules that are also functions of the API: module name -> function of the API module.
CALLS = {"run": "run", "report": "report", "validate": "validate"}
#: Functions of the API that are not module names.
FUNCTIONS = {"init": "init"}
#: Where the API's functions live.
API = "evalkit.authoring.api"


class CallableModule(types.ModuleType):
    """A module that is also an API function: ``evalkit.run(...)`` calls
    :func:`evalkit.authoring.api.run`, while ``evalkit.run.build`` stays the module's."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        api = importlib.import_module(API)
        return getattr(api, CALLS[self.__name__.rsplit(".", 1)[-1]])(*args, **kwargs)


class _Package(types.ModuleType):
    """The ``evalkit`` package: binding a submodule of :data:`CALLS` makes it callable."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in CALLS and type(value) is types.ModuleType:
            value.__class__ = CallableModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """PEP 562: ``evalkit.run`` / ``report`` / ``validate`` / ``init`` on first use."""
    if name in CALLS:
        return importlib.import_module(f"{__name__}.{name}")
    if name in FUNCTIONS:
        return getattr(importlib.import_module(API), FUNCTIONS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *CALLS, *FUNCTIONS})


__all__ = ["__version__", "init", "report", "run", "validate"]
