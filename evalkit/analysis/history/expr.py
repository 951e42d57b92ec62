"""The small condition language of history rules, parsed with :mod:`ast`, never ``eval``-ed.

A condition (``when``) is a boolean expression over columns of the trends table:
comparisons (``<, <=, ==, !=, >=, >``, chained), ``in`` / ``not in`` a list of literals,
``and``, ``or``, ``not``, and literals (numbers, text, booleans, negative numbers). Any other
construct — calls, attributes, arithmetic, subscripts — is refused by
:func:`check_condition`, so a spec cannot run code.

Examples
--------
>>> import ast
>>> import pandas as pd
>>> tree = ast.parse("rank <= 2 and grade in ['A', 'B']", mode="eval")
>>> check_condition(tree, "history.rules[0].when")
['rank', 'grade']
>>> df = pd.DataFrame({"rank": [1, 2, 3], "grade": ["A", "C", "B"]})
>>> eval_condition(tree, df).tolist()
[True, False, False]
"""

from __future__ import annotations

import ast
from typing import Any

import pandas as pd

from evalkit.core.errors import SpecError

#: Comparison operators allowed, as the pandas method that applies them.
COMPARISONS = {ast.Lt: "__lt__", ast.LtE: "__le__", ast.Gt: "__gt__", ast.GtE: "__ge__",
               ast.Eq: "__eq__", ast.NotEq: "__ne__"}


def _check_compare(node: ast.Compare, where: str) -> list[str]:
    """Column names of a comparison; ``in`` needs a list of literals."""
    names = check_condition(node.left, where)
    for op, right in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right, ast.List | ast.Tuple) or not all(
                    isinstance(e, ast.Constant) for e in right.elts):
                raise SpecError("'in' needs a list of literals, e.g. grade in ['A', 'B']",
                                where)
        elif type(op) not in COMPARISONS:
            raise SpecError(f"comparison {type(op).__name__} not allowed; expected "
                            "<, <=, ==, !=, >=, >, in, not in", where)
        else:
            names += check_condition(right, where)
    return names


def check_condition(node: ast.AST, where: str) -> list[str]:
    """Column names used by a parsed condition; raise on any construct not allowed.

    Parameters
    ----------
    node : ast.AST
        ``ast.parse(text, mode="eval")`` or a node of it.
    where : str
        YAML path of the condition, for the error.

    Returns
    -------
    list of str
        The names (columns) the condition reads, in order of appearance (repeats kept).

    Raises
    ------
    SpecError
        A construct outside the condition language (see the module docstring).
    """
    if isinstance(node, ast.Expression):
        return check_condition(node.body, where)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And | ast.Or):
        return [n for v in node.values for n in check_condition(v, where)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return check_condition(node.operand, where)
    if isinstance(node, ast.Compare):
        return _check_compare(node, where)
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
        return []
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(
            node.operand, ast.Constant):
        return []
    raise SpecError(f"{ast.unparse(node)!r} is not allowed; expected comparisons of columns "
                    "with literals joined by and / or / not", where)


def as_bool(x: Any, df: pd.DataFrame) -> pd.Series:
    """``x`` (a Series or a scalar) as a boolean Series on ``df``'s index; missing is False."""
    s = x if isinstance(x, pd.Series) else pd.Series(x, index=df.index)
    return s.fillna(False).astype(bool)


def _eval_compare(node: ast.Compare, df: pd.DataFrame) -> pd.Series:
    """A (chained) comparison, row by row: ``a < b <= c`` is ``a < b and b <= c``."""
    out = pd.Series(True, index=df.index)
    left = eval_condition(node.left, df)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            vals = [e.value for e in right_node.elts]  # type: ignore[attr-defined]
            hit = pd.Series(left, index=df.index).isin(vals)
            res = ~hit if isinstance(op, ast.NotIn) else hit
            right = None
        else:
            right = eval_condition(right_node, df)
            res = getattr(pd.Series(left, index=df.index), COMPARISONS[type(op)])(right)
        out = out & as_bool(res, df)
        left = right
    return out


def eval_condition(node: ast.AST, df: pd.DataFrame) -> Any:
    """Evaluate a condition checked by :func:`check_condition` on the columns of ``df``.

    Vectorised: names are columns, so the result of a boolean expression is a Series (a bare
    literal or column evaluates to itself). Missing values compare as False.
    """
    if isinstance(node, ast.Expression):
        return eval_condition(node.body, df)
    if isinstance(node, ast.BoolOp):
        vals = [as_bool(eval_condition(v, df), df) for v in node.values]
        out = vals[0]
        for v in vals[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~as_bool(eval_condition(node.operand, df), df)
    if isinstance(node, ast.UnaryOp):  # unary minus of a literal
        return -eval_condition(node.operand, df)
    if isinstance(node, ast.Compare):
        return _eval_compare(node, df)
    if isinstance(node, ast.Name):
        return df[node.id]
    return node.value  # type: ignore[attr-defined]
