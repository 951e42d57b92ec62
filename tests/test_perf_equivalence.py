"""The fast paths of reading and saving give what the plain rules give (issue 13).

Each fast path is checked against the plain computation it stands for, on random columns
mixing the awkward cells (blanks, full-width text, surrounding spaces, control characters,
numbers in text columns, missing values of every kind): ids parsed once per distinct value
(:func:`evalkit.inputs.vocabulary.parse_ids`), month numbers once per distinct (month,
period) pair (:func:`evalkit.sources.tasks.months.month_numbers`), the canonical row
order of saved tables with its already-in-order check
(:func:`evalkit.results.store.canonical_order`), and the text check of
:func:`evalkit.inputs.tables.normalise_table` (text columns only, Excel rows found once).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evalkit.inputs.tables import normalise_table
from evalkit.inputs.vocabulary import _one_id, cell_problems, check_text, parse_ids
from evalkit.results.excel import each_value
from evalkit.results.store import (
    _sort_frame,
    canonical_order,
    in_sorted_order,
    sort_periods,
)
from evalkit.sources.tasks.months import _month_numbers, month_numbers

CELLS: list[Any] = ["T001", "T002", " T003", "T004 ", "Ｔ００５", "t001", "001", "a b", "a\tb",
                    "x\x1by", "", "  ", "城关镇", "é", "e\u0301", 7, 7.0, 1.5, True, None,
                    np.nan, pd.NA, "T\x7f", "\u3000T006"]


def _column(rng: np.random.Generator, cells: list[Any], n: int, dtype: str) -> pd.Series:
    picked = [cells[i] for i in rng.integers(0, len(cells), n)]
    if dtype == "object":
        return pd.Series(picked, dtype=object)
    text = [v if isinstance(v, str) else None for v in picked]
    return pd.Series(text, dtype=dtype)


@pytest.mark.parametrize("dtype", ["object", "str", "string"])
@pytest.mark.parametrize("seed", range(6))
def test_parse_ids_as_cell_by_cell(dtype: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cells = CELLS if seed % 2 else ["T001", "T002", "a b", "001", None]  # plain ASCII too
    s = _column(rng, cells, 300, dtype)
    got = parse_ids(s)
    want = [_one_id(v) for v in s.tolist()]           # the id rule, cell by cell
    assert got.values.dtype == pd.StringDtype(na_value=pd.NA)
    assert [None if v is pd.NA else v for v in got.values.tolist()] == [w[0] for w in want]
    assert got.why.tolist() == [w[1] for w in want]
    assert got.bad.tolist() == [bool(w[1]) for w in want]
    assert got.changed is not None
    assert got.changed.tolist() == [isinstance(w[0], str) and isinstance(v, str) and w[0] != v
                                    for v, w in zip(s.tolist(), want, strict=True)]
    assert got.values.index.equals(s.index)


@pytest.mark.parametrize("dtype", ["string", "object"])
@pytest.mark.parametrize("seed", range(4))
def test_months_once_per_distinct_month(seed: int, dtype: str) -> None:
    rng = np.random.default_rng(seed)
    months = ["2025-01", "2025-12", "2026-02", "3", "12", "0", "13", " 4", "soon", "2025-1",
              None, "2024-07", "1000", 3, 3.0, 12.5, True, np.nan, pd.Timestamp("2025-06-30")]
    values = _column(rng, months, 400, dtype)
    period = pd.Series(rng.choice(["2024", "2025", None], 400), dtype="string")
    want, got = _month_numbers(values, period), month_numbers(values, period)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def _sort_frame_plain(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The sort keys cell by cell (the oracle of :func:`_sort_frame`)."""
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for k in keys:
        col = df[k].reset_index(drop=True)
        if k == "period":
            rank = {p: i for i, p in enumerate(sort_periods(col.dropna()))}
            out[k] = col.astype(object).where(col.notna(), None).map(
                lambda v, r=rank: None if v is None else r[str(v)])
        elif pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            out[k] = col
        else:
            out[k] = col.map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
    return out


def _order(frame: pd.DataFrame) -> list[int]:
    return frame.sort_values(list(frame.columns), kind="stable",
                             na_position="last").index.tolist()


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    few = ["2024", "2025", "9", "10", None]
    return pd.DataFrame({
        "period": pd.Series(rng.choice(few, n), dtype="str"),
        "unit_id": pd.Series(rng.choice(["B", "A", "a", "城", "Ｔ", None], n), dtype="string"),
        "indicator_id": pd.Series(rng.choice(["D01", "D02", None], n), dtype=object),
        "kind": pd.Series([[1, "x", None, 2.5][i] for i in rng.integers(0, 4, n)],
                          dtype=object),
        "points": np.where(rng.random(n) < 0.2, np.nan, rng.choice([0.0, -0.0, 1.5, -2.0], n)),
        "n": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 3, n)),
                      dtype="Int64"),
        "flag": rng.random(n) < 0.5,
    })


@pytest.mark.parametrize("seed", range(8))
def test_sort_keys_order_as_cell_by_cell(seed: int) -> None:
    rng = np.random.default_rng(seed)
    df = _frame(rng, 60)
    if seed % 2:                                # periods as Excel may give them: mixed types
        df["period"] = pd.Series([2024 if v == "2024" else v for v in df["period"]],
                                 dtype=object)
    for keys in (["period", "unit_id"], ["unit_id", "indicator_id", "points"],
                 ["period", "kind", "n", "flag"], list(df.columns)):
        fast, plain = _sort_frame(df, keys), _sort_frame_plain(df, keys)
        assert _order(fast) == _order(plain)
        ordered = plain.iloc[_order(plain)].reset_index(drop=True)
        assert in_sorted_order(_sort_frame(df.iloc[_order(plain)], keys))
        assert in_sorted_order(fast) == (_order(plain) == list(range(len(df))))
        assert _order(ordered) == list(range(len(df)))


@pytest.mark.parametrize("seed", range(4))
def test_canonical_order_as_sorted(seed: int) -> None:
    rng = np.random.default_rng(seed)
    df = _frame(rng, 80).drop(columns=["kind"])
    for name in ("totals", "points", "indicators"):
        got = canonical_order(name, df)
        again = canonical_order(name, got)
        assert again is got or again.equals(got)
        keys = [c for c in got.columns if c in ("period", "unit_id")] if name != "points" \
            else list(got.columns)
        plain = _sort_frame_plain(got, keys)
        assert _order(plain) == list(range(len(got)))


def test_in_sorted_order_missing_last() -> None:
    keys = pd.DataFrame({"p": [1.0, 1.0, math.nan], "u": ["A", None, "B"]})
    assert in_sorted_order(keys)
    assert not in_sorted_order(keys.iloc[[2, 0, 1]])
    assert in_sorted_order(pd.DataFrame({"x": [0.0, -0.0, 0.0]}))    # ties keep their order


@pytest.mark.parametrize("dtype", ["object", "str", "string"])
@pytest.mark.parametrize("as_object", [False, True])
def test_each_value_as_map(dtype: str, as_object: bool) -> None:
    rng = np.random.default_rng(3)
    s = _column(rng, ["=1+1", "-x", "城关镇", "a", "", None, 7], 200, dtype)
    s.index = pd.RangeIndex(5, 205, name="row")
    s.name = "col"
    for f in (lambda v: "'" + v if isinstance(v, str) and v.startswith(("=", "-")) else v,
              lambda v: len(v) if isinstance(v, str) else v,
              lambda v: {"a": "甲"}.get(v, v)):
        want = (s.astype(object) if as_object else s).map(f)
        pd.testing.assert_series_equal(each_value(s, f, as_object), want, check_exact=True)


@pytest.mark.parametrize("seed", range(4))
def test_positions_by_hash_as_by_distinct_value(seed: int) -> None:
    # inputs.tables.positions looks Arrow text up in C (pyarrow index_in); the same ids as
    # plain Python objects take the factorize path: both give every id's position, −1 for
    # ids not in the index and for missing cells.
    from evalkit.inputs.tables import positions

    rng = np.random.default_rng(seed)
    index = pd.Index([f"U{i:03d}" for i in rng.permutation(40)], dtype="string")
    ids = [f"U{i:03d}" for i in rng.integers(0, 50, 300)] + [None, "", "u001", "U001 "]
    arrow = positions(index, pd.Series(ids, dtype="string"))
    plain = positions(pd.Index(list(index), dtype=object), pd.Series(ids, dtype=object))
    assert arrow.tolist() == plain.tolist()
    expect = [list(index).index(v) if v in set(index) else -1 for v in ids]
    assert arrow.tolist() == expect


def test_normalise_checks_text_as_every_column() -> None:
    # normalise_table finds the Excel rows once and runs check_text on text columns only:
    # the problems are those of check_text run on every free column, rows as the index says
    bad = "a\x0bb"
    df = pd.DataFrame({
        "unit_id": [" T01", None, "T02", None], "note": ["x", None, bad, None],
        "obj": pd.Series([1, bad, 2.5, None], dtype=object),
        "cat": pd.Categorical([bad, "x", None, None]), "f": [1.0, np.nan, 2.0, np.nan],
        "F": pd.array([1.0, None, 2.0, None], dtype="Float64"),
        "t": pd.to_datetime(["2025-01-01", None, "2025-01-02", None]),
        "b": pd.array([True, None, False, None], dtype="boolean")}, index=[0, 1, 5, 6])
    df.iloc[3] = None                                           # a blank row, skipped
    problems: list[Any] = []
    out = normalise_table(df, "leaders", problems)
    assert out.index.tolist() == [0, 1, 5]
    plain = [str(p) for c in ["note", "obj", "cat", "f", "F", "t", "b"]
             for p in cell_problems(check_text(out[c]), "leaders", c, out.index.to_numpy() + 2)]
    assert [str(p) for p in problems if "unit_id" not in str(p)] == plain
    assert len(plain) == 2 and "row 7, column 'note'" in plain[0]
    assert any("empty unit_id in row 3" in str(p) for p in problems)
