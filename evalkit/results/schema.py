"""The schema of the Results: every table, its key columns, and what each column means.

One place for the Excel writer (sheet order; headers from
:func:`evalkit.core.labels.column_label`), the reports (which tables a reader needs, which
detail tables a section shows) and the docs (:func:`markdown`). The tables are

- always written: ``totals``, ``indicators``, ``nodes``, ``sources``, ``points``,
  ``missing_report``, ``input_audit`` and the metadata ``meta_indicators``, ``meta_nodes``,
  ``meta_categories``, ``meta_grades`` (and ``meta_weights``, the weight table per category
  with the points (分值) as written; optional only for Results saved before it);
- optional: ``treatment`` (outlier log, when the spec treats outliers), ``uncertainty`` (rank
  intervals, when the spec asks for them), and the detail tables a source writes, named
  ``<source>_<name>`` (``leaders_detail``, ``tasks_*``, ``survey_*``, ``peer_*``; listed in
  :mod:`evalkit.results.details`).

Each table has key columns (``keys``: they identify a row when ``unique``) and every column
with a one-line meaning. A column name may hold a placeholder: ``{source}`` (a source of the
``sources`` table), ``{grade}`` (a grade of ``meta_grades``), ``{k}`` (a number) or
``{level}`` (an id from the spec). A column marked optional may be absent. :func:`check`
lists every way a set of tables differs from the schema.

Examples
--------
>>> TABLES["totals"].keys
('period', 'unit_id')
>>> TABLES["totals"].find("survey", {"source": ["office", "survey"]}).meaning[:22]
'score from that source'
>>> sheet_order(["survey_by_unit", "points", "totals"])
['totals', 'points', 'survey_by_unit']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalkit.results.details import DETAIL_GLOSSARY, DETAIL_TABLES, RECORD_TABLES

#: Meanings of columns that mean the same in every table that has them.
GLOSSARY: dict[str, str] = {
    "period": "evaluation period, as text (e.g. '2025')",
    "unit_id": "id of the evaluated unit",
    "category": "the unit's category (units are ranked within it)",
    "indicator_id": "id of the indicator",
    "perspective_id": "the perspective (scorecard node) holding the indicator",
    "node_id": "id of a scorecard node (perspective or pillar)",
    "source": "source of judgement: office, survey, peer, leaders, tasks, ...",
    "name": "name (Chinese)",
    "name_en": "name in English (falls back to the Chinese name)",
    "parent_id": "parent node ('' at the top)",
    "level": "depth of the node in the scorecard",
    **DETAIL_GLOSSARY,
}

#: Placeholder -> regular expression of its values when they are not read from the Results.
PATTERNS: dict[str, str] = {"k": r"\d+", "level": r"[A-Za-z][A-Za-z0-9_]*"}
_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")  # a placeholder in an escaped column name


@dataclass(frozen=True)
class Column:
    """A documented column: ``name`` (may hold a ``{placeholder}``), meaning, optional."""

    name: str
    meaning: str
    optional: bool = False

    @property
    def templated(self) -> bool:
        """True when the name holds a placeholder (``{source}``, ``p_grade_{grade}``, ...)."""
        return "{" in self.name

    def matches(self, column: str, values: Mapping[str, Sequence[str]]) -> bool:
        """True when ``column`` is this column, placeholders filled from ``values`` (or
        :data:`PATTERNS`)."""
        if not self.templated:
            return column == self.name

        def alt(m: re.Match[str]) -> str:
            key = m.group(1)
            if key in PATTERNS:
                return f"(?:{PATTERNS[key]})"
            return "(?:" + ("|".join(map(re.escape, map(str, values.get(key, ())))) or
                            "(?!)") + ")"

        return re.fullmatch(_PLACEHOLDER.sub(alt, re.escape(self.name)), column) is not None


@dataclass(frozen=True)
class TableSchema:
    """A Results table: name, meaning, key columns, documented columns, and its kind.

    Attributes
    ----------
    keys : tuple of str
        Columns identifying a row (when ``unique``); one also in ``optional_keys`` is a key
        only when the table has it.
    unique : bool
        False for tables of records (several rows may share the keys, e.g. ``points``).
    optional : bool
        True for tables written only when the spec asks (treatment, uncertainty, details).
    source : str or None
        The source that writes a detail table ``<source>_<name>``.
    """

    name: str
    meaning: str
    keys: tuple[str, ...]
    columns: tuple[Column, ...]
    unique: bool = True
    optional: bool = False
    source: str | None = None
    optional_keys: tuple[str, ...] = ()

    def find(self, column: str, values: Mapping[str, Sequence[str]] | None = None
             ) -> Column | None:
        """The documented column that ``column`` is (placeholders from ``values``), or None."""
        return next((c for c in self.columns if c.matches(column, values or {})), None)

    def present_keys(self, columns: Iterable[str]) -> list[str]:
        """The keys of a table with ``columns`` (optional keys only when present)."""
        cols = set(columns)
        return [k for k in self.keys if k not in self.optional_keys or k in cols]

    def required(self) -> list[str]:
        """Columns every such table has: the non-optional columns without placeholders."""
        return [c.name for c in self.columns if not (c.optional or c.templated)]


def _columns(block: str) -> tuple[Column, ...]:
    """Columns of a block: a line is ``name[?] meaning``, or :data:`GLOSSARY` names only
    (their meaning is the glossary's); ``?`` marks an optional column."""
    cols: list[Column] = []
    for words in (line.split() for line in block.splitlines() if line.strip()):
        if all(w.rstrip("?") in GLOSSARY for w in words):
            cols += [Column(w.rstrip("?"), GLOSSARY[w.rstrip("?")], w.endswith("?"))
                     for w in words]
        else:
            cols.append(Column(words[0].rstrip("?"), " ".join(words[1:]),
                               words[0].endswith("?")))
    return tuple(cols)


def _table(name: str, meaning: str, keys: str, block: str, *, unique: bool = True,
           optional: bool = False, source: str | None = None) -> TableSchema:
    """A :class:`TableSchema` from ``keys`` (``?``: a key only when present) and a block."""
    words = keys.split()
    return TableSchema(name, meaning, tuple(k.rstrip("?") for k in words), _columns(block),
                       unique, optional or source is not None, source,
                       tuple(k.rstrip("?") for k in words if k.endswith("?")))


_CORE = [
    _table("totals", "One row per unit and period: source scores, points, total, rank, grade.",
           "period unit_id", """
        period unit_id
        unit_name the unit's name (Chinese)
        unit_name_en? the unit's name in English
        category
        {source} score from that source, 0–100 (NaN: none; its weight moved to the others)
        weighted_score Σ source score × effective weight
        bonus bonus points counted (after the cap)
        deductions deduction points counted (yellow cards multiplied)
        veto True when a veto applies (the grade is capped)
        total weighted_score + bonus − deductions
        rank rank within the category in the period (1 = best)
        n_in_category units of the category in the period
        bottom_n True for the last units of the category (spec ranking.bottom_n)
        grade grade id (after quotas and veto)
        grade_name grade name
        flags ';'-joined flags: veto, bottom_<n>, consecutive-period rules"""),
    _table("indicators", "One row per unit, period and applicable indicator.",
           "period unit_id indicator_id", """
        period unit_id indicator_id perspective_id
        raw value as read (NaN: missing)
        value value after treatment (denominators, imputation, outliers)
        score score 0–100 within the category, after the missing-value policy
        weight global weight of the indicator in the unit's scorecard
        contribution points the indicator adds to the total (its office part × office weight)
        missing True when the applicable value is missing (and not imputed)
        imputed True when the value was imputed
        status? traffic light against the target (spec status thresholds; without a target \
by the score): green (达标), yellow (基本达标), red (未达标) or missing; optional only for \
Results saved before it
        flags? warning (value on the wrong side of the warning value, 预警值) or advanced \
(value reaches the advanced value, 先进值), ';'-joined ('': none)"""),
    _table("nodes", "One row per unit, period and scorecard node.", "period unit_id node_id", """
        period unit_id node_id level parent_id
        score score of the node, 0–100
        weight global weight of the node
        contribution points the node adds to the total"""),
    _table("sources", "One row per unit, period and source: how the sources combine.",
           "period unit_id source", """
        period unit_id source
        score the source's score, 0–100 (NaN: none)
        weight nominal weight of the source (spec)
        effective_weight weight after a missing source's weight is shared among the others
        contribution score × effective weight: the points it adds to the total"""),
    _table("points", "Bonus, deduction, yellow card and veto records, one row per record.",
           "period unit_id kind", """
        period unit_id
        kind bonus, deduction, yellow_card or veto
        points points recorded
        applied points counted in the total (after caps and multipliers)
        reason the recorded reason""", unique=False),
    _table("missing_report", "Missing values per period, category and indicator.",
           "period category indicator_id", """
        period category indicator_id
        n_applicable units of the category the indicator applies to
        n_missing applicable values missing
        n_imputed applicable values imputed
        policy missing-value policy applied"""),
    _table("input_audit", "What each declared input policy did, counted (nothing silent).",
           "period table what where policy", """
        period period the row concerns ('all': every period)
        table input table or spec section acted on
        what what the policy did
        where where in the table or spec (indicator, column, YAML path)
        n cells, rows or units concerned
        policy the declared policy that acted (its YAML key and value)""", optional=True),
    _table("treatment", "Outlier treatment log: one row per period and indicator.",
           "period indicator_id", """
        period indicator_id
        action what was done (none, winsorised, log-transformed, ...)
        n_points values changed
        skew_before skewness before (Excel SKEW)
        kurt_before excess kurtosis before (Excel KURT)
        skew_after skewness after
        kurt_after excess kurtosis after
        passes_after True when the indicator passes the skew/kurtosis rule afterwards
        note remark on the treatment""", optional=True),
    _table("uncertainty", "Rank robustness under plausible weights (Monte Carlo), per unit.",
           "period unit_id", """
        period unit_id category
        nominal_total total with the nominal weights
        nominal_rank rank with the nominal weights
        n_in_category units of the category
        rank_median median rank over the replications
        rank_p05 5th percentile of the rank
        rank_p95 95th percentile of the rank
        rank_lo_joint best rank of the unit's simultaneous rank set (Besag et al. 1995)
        rank_hi_joint worst rank of the unit's simultaneous rank set
        coverage share of replications in which all units' sets hold together
        band above, median or below: the simultaneous set against the median rank
        n_like_median units of the category whose simultaneous set holds the median rank
        rank_mean mean rank
        p_top_{k} probability of a rank ≤ k
        p_bottom_{k} probability of being among the last k
        total_p05 5th percentile of the total
        total_p95 95th percentile of the total
        nominal_grade? grade with the nominal weights
        p_grade_{grade} probability of that grade
        p_grade_change? probability of a grade other than the nominal one""", optional=True),
    _table("meta_indicators", "The indicators of the spec.", "indicator_id", """
        indicator_id name name_en perspective_id
        direction benefit (higher is better), cost (lower is better) or target
        target target value (NaN: none)
        method scoring method
        unit unit of measure
        categories ';'-joined categories the indicator applies to ('' = all)"""),
    _table("meta_nodes", "The scorecard's nodes (perspectives, pillars).", "node_id", """
        node_id name name_en parent_id level
        aggregation aggregation method of the node's children"""),
    _table("meta_categories", "The categories of units.", "category", """
        category name name_en"""),
    _table("meta_grades", "The grades, best first.", "grade", """
        grade grade id
        name name_en
        min_score lowest total for the grade
        quota largest share of a category's units with the grade (NaN: none)"""),
    _table("meta_weights", "The weight table per category, as the spec writes it (every "
           "evaluation writes it; optional so that Results saved before it still load).",
           "category indicator_id", """
        category indicator_id perspective_id
        weight the indicator's nominal share of the office score in the category (before \
weighting schemes and missing values)
        points points (分值) as written under weights: points, summing to 100 in the \
category (NaN: weights are shares)""", optional=True),
]

#: Every documented table, in sheet order: the core tables, then the sources' details.
TABLES: dict[str, TableSchema] = {t.name: t for t in _CORE} | {
    name: _table(name, meaning, keys, block, unique=name not in RECORD_TABLES,
                 source=name.split("_", 1)[0])
    for name, meaning, keys, block in DETAIL_TABLES}
#: Tables every Results has.
REQUIRED: tuple[str, ...] = tuple(n for n, t in TABLES.items() if not t.optional)


def sheet_order(names: Iterable[str]) -> list[str]:
    """``names`` in the schema's order; tables the schema does not know come last, as given."""
    names = list(names)
    pos = {n: i for i, n in enumerate(TABLES)}
    first = {n: i for i, n in enumerate(names)}
    return sorted(names, key=lambda n: (pos.get(n, len(pos)), first[n]))


def detail_tables(names: Iterable[str], source: str) -> list[str]:
    """The detail tables of ``source`` (``<source>_<name>``) among the table ``names``."""
    return [n for n in names if n.startswith(f"{source}_")]


def placeholder_values(tables: Mapping[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Values of the placeholders read from the Results: ``source`` and ``grade``."""
    out: dict[str, list[str]] = {}
    for key, (name, col) in {"source": ("sources", "source"),
                             "grade": ("meta_grades", "grade")}.items():
        df = tables.get(name)
        ok = df is not None and col in df.columns
        out[key] = df[col].astype(str).unique().tolist() if ok else []
    return out


def missing_tables(tables: Mapping[str, pd.DataFrame], names: Iterable[str] = REQUIRED
                   ) -> list[str]:
    """Problems a reader of the tables ``names`` would hit: absent tables or key columns."""
    out = []
    for name in names:
        df = tables.get(name)
        if df is None:
            out.append(f"table {name!r} is missing")
            continue
        lost = [k for k in TABLES[name].present_keys(df.columns) if k not in df.columns]
        if lost:
            out.append(f"table {name!r} lacks the key column(s) {lost}")
    return out


def table_problems(name: str, df: pd.DataFrame,
                   values: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Every way the table ``name`` (``df``) differs from its schema; empty when it matches.

    Checks that the table and each column are documented, the required and key columns are
    present, the keys have no missing values and, for ``unique`` tables, identify a row.
    """
    ts = TABLES.get(name)
    if ts is None:
        return [f"{name}: table not documented in the schema"]
    out = [f"{name}.{c}: column not documented in the schema" for c in df.columns
           if ts.find(str(c), values) is None]
    out += [f"{name}.{c}: column missing" for c in ts.required() if c not in df.columns]
    keys = [k for k in ts.present_keys(df.columns) if k in df.columns]
    if keys and df[keys].isna().to_numpy().any():
        out.append(f"{name}: missing values in the key columns {keys}")
    if ts.unique and keys and df.duplicated(keys).any():
        out.append(f"{name}: {int(df.duplicated(keys).sum())} rows repeat the keys {keys}")
    return out


def check(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Every way ``tables`` (name -> frame) differ from the schema; empty when they match.

    :func:`table_problems` of each table (placeholders filled from ``tables``), and every
    required table present.
    """
    values = placeholder_values(tables)
    out = missing_tables(tables, [n for n in REQUIRED if n not in tables])
    for name, df in tables.items():
        out += table_problems(name, df, values)
    return out


def markdown(names: Iterable[str] | None = None) -> str:
    """The schema as Markdown for the docs: a section per table, a row per column."""
    parts = []
    for name in names if names is not None else TABLES:
        ts = TABLES[name]
        kind = "optional" if ts.optional else "always written"
        keys = ", ".join(f"`{k}`" for k in ts.keys) + ("" if ts.unique else " (not unique)")
        rows = "\n".join(f"| `{c.name}`{' (optional)' if c.optional else ''} | {c.meaning} |"
                         for c in ts.columns)
        parts.append(f"### `{name}` ({kind})\n\n{ts.meaning} Keys: {keys}.\n\n"
                     f"| column | meaning |\n| --- | --- |\n{rows}\n")
    return "\n".join(parts)


def sort_periods(periods: Iterable[Any]) -> list[str]:
    """Distinct periods as text in time order: as numbers when every one is a number, else as
    text.

    Examples
    --------
    >>> sort_periods([2025, "9", 10, "2025"])
    ['9', '10', '2025']
    """
    texts = list(dict.fromkeys(str(p) for p in periods))
    try:
        return sorted(texts, key=float)
    except ValueError:
        return sorted(texts)
