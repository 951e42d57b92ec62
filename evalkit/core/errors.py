"""One exception family with messages a performance office can act on.

Every error says *what* is wrong, *where* (file, sheet, row, column or YAML path) and
*what was expected*. Validation collects many problems and raises them together.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class EvalkitError(Exception):
    """Base class of every error evalkit raises on bad input.

    Parameters
    ----------
    message : str
        What is wrong and what is expected.
    where : str, optional
        The location: a YAML path (``indicators[3].direction``), or a table location
        (``data/values.csv, row 12, column 'value'``).
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class SpecError(EvalkitError):
    """A problem in an evaluation spec (YAML)."""


class TableError(EvalkitError):
    """A problem in an input table (CSV, Excel, Parquet)."""


class MethodError(EvalkitError):
    """A method received input it cannot handle (e.g. a non-reciprocal pairwise matrix)."""


class ProblemList(EvalkitError):
    """Several problems found at once; ``problems`` holds each one.

    ``str()`` lists every problem on its own line, so a user fixes them all in one pass.
    """

    def __init__(self, problems: Iterable[EvalkitError], what: str = "problems") -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} {what} found:\n{lines}")


def raise_all(problems: list[EvalkitError], what: str = "problems") -> None:
    """Raise the single problem, or a :class:`ProblemList` of several; do nothing if none."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ProblemList(problems, what)


def unknown_keys(given: Iterable[Any], allowed: Iterable[str], where: str, what: str = "key",
                 of: str = "") -> list[SpecError]:
    """One problem per key of ``given`` not in ``allowed``, named by its YAML path.

    ``where`` is the section's path (``sources.leaders``); ``of`` says whose keys they are
    (``" for scoring method 'minmax'"``). The one wording of this rule for every section.

    Examples
    --------
    >>> [str(p) for p in unknown_keys({"table": 1, "min_rater": 2}, ["table", "min_raters"],
    ...                               "sources.leaders")]
    ["sources.leaders.min_rater: unknown key 'min_rater'; expected one of ['min_raters', 'table']"]
    """
    allowed = sorted(allowed)
    expected = f"expected one of {allowed}" if allowed else "it takes none"
    return [SpecError(f"unknown {what} {k!r}{of}; {expected}", f"{where}.{k}")
            for k in sorted(set(map(str, given)) - set(allowed))]
