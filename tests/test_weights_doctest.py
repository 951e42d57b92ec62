"""The Examples in the weights and uncertainty docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["evalkit.weights", "evalkit.weights.subjective", "evalkit.weights.ahp",
           "evalkit.weights.bwm", "evalkit.weights.objective", "evalkit.weights.hierarchy",
           "evalkit.labs.weights", "evalkit.analysis.uncertainty"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
