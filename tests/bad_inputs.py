"""A generated corpus of bad inputs for the demo city, and a classifier of what evalkit does.

The input contract (issue 11): every table and every spec value passes one validation layer;
what it cannot accept is an :class:`~evalkit.core.errors.EvalkitError` naming the file (or the
YAML path); ``validate`` OK means ``run`` OK; nothing is silent. This module checks the
contract on a corpus of more than a thousand corruptions of a small demo city.

The clean city
    :func:`make_city` writes the demo city once per session into a temporary folder: 24
    units, 11 of the 34 indicators (every scoring method, every perspective and category),
    every source; the two largest tables (survey responses, task ledger) thinned. It does so
    twice: with one period (most cases) and with two (cases about periods and history).
    Each case runs the spec of one *context* (:data:`CONTEXTS`): the office and leaders
    sources, plus the source whose table or section the case corrupts (sources are computed
    independently of each other, see :func:`evalkit.evaluate.compute_sources`); the
    uncertainty Monte Carlo (``n: 20``) and CRITIC weighting in the ``rich`` and two-period
    contexts, where corruptions of the indicator values and of the ``uncertainty`` section
    run; history rules (which need several periods) in the two-period contexts. The clean
    run of each context is the *baseline* a case is compared with.

A case
    :class:`Case` corrupts one thing of a copy of the clean city (:class:`Draft`): one cell,
    one column, one header, one whole file, one spec value or the spec file's text. It says
    which file or YAML path it corrupts, which locations an error must name (any one of
    ``where``), and what a correct evalkit does: reject it (``expect_ok=False``), accept it
    with finite totals (``True``) or either (``None``, e.g. a blank value under a declared
    missing-value policy). ``same=True`` marks a corruption that keeps the meaning of the
    input (a trailing space in an id, ``2025.0`` for ``2025``, rows reordered): if it runs,
    the totals must be the clean ones.

The classifier (:func:`run_case`)
    runs :func:`evalkit.validate.validate` on the written spec and, only if it passed,
    :func:`evalkit.run.build` in memory (no Results are written; the files a case leaves
    untouched are read once per process, :func:`share_clean_reads`), and names the outcome:

    ``error_named``             an EvalkitError whose message names an expected location
    ``error_misplaced``         an EvalkitError naming something else
    ``traceback``               any other exception, from validate or run (or a time-out)
    ``validate_ok_run_failed``  validate passed, run raised an EvalkitError
    ``ok_finite``               ran; totals finite, plausible, complete
    ``silent_wrong``            ran, but a total is non-finite or absurd (|total| > 1e4), a
                                unit or period vanished from the totals, a source lost its
                                score for a unit it scores in the baseline, a meaning-keeping
                                corruption changed the totals, or a text cell of the totals
                                holds a character no workbook can store

    A case passes when it ends ``error_named`` (if it may be rejected) or ``ok_finite`` (if
    it may be accepted).

Examples
--------
>>> import tempfile                                                        # doctest: +SKIP
>>> city = make_city(Path(tempfile.mkdtemp()))                             # doctest: +SKIP
>>> cases = make_corpus(city)                                              # doctest: +SKIP
>>> outcomes = run_corpus(city, cases, workers=2)                          # doctest: +SKIP
>>> Counter(o.outcome for o in outcomes)                                   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import copy
import math
import multiprocessing
import os
import re
import resource
import shutil
import signal
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

# ------------------------------------------------------------------------------- outcomes
#: Outcome classes, from best to worst.
OUTCOMES = ("error_named", "ok_finite", "error_misplaced", "validate_ok_run_failed",
            "silent_wrong", "traceback")
#: A total beyond this magnitude is absurd on a 0–100 point scale with a few bonus points.
ABSURD = 1e4
#: Seconds a case may take before it is stopped and classified ``traceback``.
CASE_TIMEOUT = 30
#: Address space a worker process may use (a spec asking for 10⁹ Monte Carlo draws must
#: end in a MemoryError, not take the machine down).
WORKER_MEMORY = 6 * 2**30
#: Characters openpyxl refuses in a cell (``openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE``).
ILLEGAL_XLSX = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


@dataclass(frozen=True)
class Outcome:
    """What evalkit did with one case."""

    case_id: str
    outcome: str
    detail: str
    seconds: float
    passed: bool
    cpu: float = 0.0                # CPU seconds of the worker (load-independent cost)
    names_row: bool | None = None   # for a one-cell case that ended error_named: row named?


# ------------------------------------------------------------------------------ the city
#: Indicators the corpus keeps of the demo's 34 (a smaller spec is a faster case): every
#: scoring method (target_ratio with and without a cap, goalposts, bands, target_distance,
#: percentile, zscore, rank, minmax), every perspective for every category, indicators
#: for one category or for all, with and without a declared range.
KEEP_INDICATORS = ("D01", "D06", "D08", "D09", "D10", "D14", "S01", "S07", "M01", "M03",
                   "L02")
#: The two data sets: one period (most cases), two periods (cases about periods, history).
DATASETS: dict[str, tuple[int, ...]] = {"one": (2025,), "two": (2024, 2025)}
#: The current period.
LAST = "2025"
#: Data keys each source reads.
SOURCE_DATA: dict[str, tuple[str, ...]] = {
    "leaders": ("leaders",), "tasks": ("tasks_ledger", "project_progress"),
    "survey": ("survey_responses", "survey_issued"), "peer": ("peer",)}
#: The data keys of the office source.
CORE_DATA = ("units", "values", "points")
#: Data key of each file.
FILE_KEY = {
    "units.csv": "units", "indicator_values.csv": "values", "points.csv": "points",
    "leaders.csv": "leaders", "tasks_ledger.csv": "tasks_ledger",
    "project_progress.csv": "project_progress", "survey_responses.parquet": "survey_responses",
    "survey_issued.csv": "survey_issued", "peer_ratings.csv": "peer"}
#: The source reading each file (the office's files read by none).
SOURCE_OF_FILE = {"leaders.csv": "leaders", "tasks_ledger.csv": "tasks",
                  "project_progress.csv": "tasks", "survey_responses.parquet": "survey",
                  "survey_issued.csv": "survey", "peer_ratings.csv": "peer"}
#: Which context a file's corruption runs in.
FILE_CONTEXT = {
    "units.csv": "core", "indicator_values.csv": "core", "points.csv": "core",
    "leaders.csv": "core", "tasks_ledger.csv": "tasks", "project_progress.csv": "tasks",
    "survey_responses.parquet": "survey", "survey_issued.csv": "survey",
    "peer_ratings.csv": "peer"}


#: Variants kept for the tables of the task, survey and peer sources, whose cases cost
#: about twice those of the office's tables: every kind of corruption, fewer repeats of it.
THIN: dict[str, frozenset[str]] = {
    "number": frozenset({"percent_95", "fullwidth", "fullwidth_123", "thousands",
                         "word_missing", "inf", "nan", "huge", "negative", "empty", "formula"}),
    "unit_row": frozenset({"trailing_space", "fullwidth", "lower", "zero_width", "unknown",
                           "empty", "control"}),
    "unit_scope": frozenset({"trailing_space", "unknown"}),
    "period_row": frozenset({"float", "niandu", "fy", "empty", "next", "date"}),
    "period_column": frozenset({"nian", "fy", "empty"}),
    "file": frozenset({"gb18030", "tabs", "blank_lines", "xlsx_text_numbers",
                       "xlsx_wrong_sheet", "utf8_bom", "crlf", "trailing_commas",
                       "empty_rows"}),  # left out
}


def thin(file: str, kind: str, slug: str) -> bool:
    """Whether the variant ``slug`` of ``kind`` is left out for ``file`` (see :data:`THIN`)."""
    if FILE_CONTEXT.get(file, "core") == "core":
        return False
    return (slug in THIN[kind]) if kind == "file" else (slug not in THIN[kind])


@dataclass(frozen=True)
class Context:
    """What a case runs: a data set, the non-office sources (the office always runs), and
    whether the rich analyses are on: the uncertainty Monte Carlo (``n: 20``) and CRITIC
    weighting of one perspective. History rules run on the two-period data set."""

    dataset: str
    sources: tuple[str, ...]
    rich: bool = False


CONTEXTS: dict[str, Context] = {
    "core": Context("one", ("leaders",)),
    "tasks": Context("one", ("leaders", "tasks")),
    "survey": Context("one", ("leaders", "survey")),
    "peer": Context("one", ("leaders", "peer")),
    "rich": Context("one", ("leaders",), rich=True),
    "core@2": Context("two", ("leaders",), rich=True),
    "tasks@2": Context("two", ("leaders", "tasks"), rich=True),
    "survey@2": Context("two", ("leaders", "survey"), rich=True),
    "peer@2": Context("two", ("leaders", "peer"), rich=True),
    "full@2": Context("two", ("leaders", "tasks", "survey", "peer"), rich=True),
}


def two_periods(context: str) -> str:
    """The two-period twin of a one-period context (``tasks`` → ``tasks@2``)."""
    return context if context.endswith("@2") else f"{context.replace('rich', 'core')}@2"


@dataclass(frozen=True)
class Baseline:
    """The clean run of a context: ``period, unit_id, total`` and one column per source."""

    totals: pd.DataFrame
    sources: tuple[str, ...]


@dataclass
class City:
    """The clean demo city: its folder, its tables per data set, the spec of each context,
    and the baselines.

    CSV tables are held as text (every cell a string, as in the file), so a corruption edits
    exactly what a user would edit; the survey responses (Parquet) keep their types.
    """

    root: Path
    tables: dict[str, dict[str, pd.DataFrame]]
    specs: dict[str, dict[str, Any]]
    baselines: dict[str, Baseline | None] = field(default_factory=dict)
    baseline_errors: dict[str, str] = field(default_factory=dict)
    _texts: dict[str, str] = field(default_factory=dict, repr=False)

    def folder(self, context: str) -> Path:
        """The folder of the clean files of a context's data set."""
        return self.root / CONTEXTS[context].dataset

    def clean(self, file: str, context: str = "core") -> pd.DataFrame:
        """The clean table ``file`` of a context's data set."""
        return self.tables[CONTEXTS[context].dataset][file]

    def spec_text(self, context: str) -> str:
        """The YAML of a context's clean spec."""
        if context not in self._texts:
            self._texts[context] = _dump(self.specs[context])
        return self._texts[context]

    def files_of(self, context: str) -> list[str]:
        """The files a context's spec reads."""
        keys = set(self.specs[context]["data"])
        return [f for f, k in FILE_KEY.items() if k in keys]

    @property
    def unit_ids(self) -> list[str]:
        return self.clean("units.csv")["unit_id"].tolist()


def _read_text_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _trim(folder: Path) -> None:
    """Keep the values of :data:`KEEP_INDICATORS`; thin the survey's public and enterprise
    ballots (1 in 6) and the task ledger (1 row in 4)."""
    values = _read_text_table(folder / "indicator_values.csv")
    values[values["indicator_id"].isin(KEEP_INDICATORS)].to_csv(
        folder / "indicator_values.csv", index=False)
    sv = pd.read_parquet(folder / "survey_responses.parquet")
    ballots = sv["ballot_id"].drop_duplicates()
    keep = set(ballots[np.arange(len(ballots)) % 6 == 0])
    thin = sv["group"].isin(["public", "enterprises"])
    sv[~thin | sv["ballot_id"].isin(keep)].to_parquet(folder / "survey_responses.parquet",
                                                      index=False)
    led = _read_text_table(folder / "tasks_ledger.csv")
    led.iloc[::4].to_csv(folder / "tasks_ledger.csv", index=False)
    (folder / "_true_quality.csv").unlink(missing_ok=True)


def context_spec(full: dict[str, Any], context: str) -> dict[str, Any]:
    """The demo spec for a context: its periods, the kept indicators, the office and the
    context's sources (the office keeps the weight the others leave, so source weights still
    sum to 1), the tables those read, and the rich analyses only if the context has them."""
    ctx = CONTEXTS[context]
    spec = copy.deepcopy(full)
    spec["evaluation"]["periods"] = list(DATASETS[ctx.dataset])
    spec["indicators"] = [i for i in spec["indicators"] if i["id"] in KEEP_INDICATORS]
    sources = {k: v for k, v in spec["sources"].items() if k in ctx.sources}
    others = sum(v["weight"] for v in sources.values())
    spec["sources"] = {"office": {"weight": round(1.0 - others, 4)}, **sources}
    keys = set(CORE_DATA).union(*(SOURCE_DATA[s] for s in ctx.sources))
    spec["data"] = {k: {"file": f"data/{f}"} for f, k in FILE_KEY.items() if k in keys}
    if ctx.rich:
        spec["uncertainty"]["n"] = 20
    else:
        spec.pop("uncertainty", None)
        for p in spec["perspectives"]:
            p.pop("weighting", None)
    if len(DATASETS[ctx.dataset]) < 2:
        spec.pop("history", None)
    return spec


def make_city(root: Path, seed: int = 2025, baselines: bool = False) -> City:
    """Write the clean demo city (both data sets) under ``root``.

    The baselines are run by :func:`run_corpus` (in parallel), or here if ``baselines``."""
    from evalkit.demo.city import make_demo

    root.mkdir(parents=True, exist_ok=True)
    tables: dict[str, dict[str, pd.DataFrame]] = {}
    for ds, periods in DATASETS.items():
        make_demo(root / ds, n_units=24, periods=periods, seed=seed,
                  spec_path=root / f"{ds}.yaml")
        _trim(root / ds)
        tables[ds] = {name: (pd.read_parquet(root / ds / name) if name.endswith(".parquet")
                             else _read_text_table(root / ds / name)) for name in FILE_KEY}
    full = yaml.safe_load((root / "two.yaml").read_text(encoding="utf-8"))
    city = City(root, tables, {c: context_spec(full, c) for c in CONTEXTS})
    if baselines:
        set_baselines(city, {c: _baseline(city, c) for c in CONTEXTS})
    return city


def set_baselines(city: City, runs: dict[str, tuple[Baseline | None, str]]) -> None:
    """Record the baseline runs (and the errors of the contexts whose clean city fails)."""
    for context, (baseline, err) in runs.items():
        city.baselines[context] = baseline
        if err:
            city.baseline_errors[context] = err


def _baseline(city: City, context: str) -> tuple[Baseline | None, str]:
    """The clean run of ``context``: its totals, or None and ``"<outcome>: <detail>"`` when
    the clean city does not run with finite totals. The run is also the outcome of the case
    ``clean/<context>`` (:func:`run_case` does not run it twice)."""
    share_clean_reads()
    folder = Path(tempfile.mkdtemp(dir=city.root, prefix=f"baseline-{context}-"))
    clean = Case(f"clean/{context}", "", "demo.yaml", ("demo.yaml",), lambda d: None, True,
                 True, context)
    try:
        spec_path = Draft(city, context).write(folder)
        outcome, detail, res, _ = _validate_and_build(spec_path, clean.where)
        if outcome == "ok_finite":
            why = check_results(res, clean, None)
            outcome, detail = ("silent_wrong", why) if why else (outcome, detail)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if outcome != "ok_finite":
        return None, f"{outcome}: {detail}"
    tot = res.tables["totals"]
    sources = tuple(s for s in ("office", *CONTEXTS[context].sources) if s in tot.columns)
    frame = tot[["period", "unit_id", "total", *sources]].assign(
        period=tot["period"].astype(str), unit_id=tot["unit_id"].astype(str))
    return Baseline(frame.reset_index(drop=True), sources), ""


# ----------------------------------------------------------------------------- a draft
class Draft:
    """A copy of the clean city for one case: edit its tables, files and spec, then write."""

    def __init__(self, city: City, context: str) -> None:
        self.city = city
        self.context = context
        self.spec: dict[str, Any] = copy.deepcopy(city.specs[context])
        self.spec_bytes: bytes | None = None      # the spec file verbatim (overrides spec)
        self.spec_missing = False
        self.tables: dict[str, pd.DataFrame] = {}  # file name → changed table
        self.raw: dict[str, bytes] = {}            # file name → bytes written verbatim
        self.writers: dict[str, Callable[[Path], None]] = {}  # file name → custom writer
        self.removed: set[str] = set()
        self.unit_map: dict[str, str] = {}         # clean unit id → its id in this case

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` of this draft (a copy of the clean one on first use)."""
        if name not in self.tables:
            self.tables[name] = self.city.clean(name, self.context).copy()
        return self.tables[name]

    def csv_text(self, name: str) -> str:
        """The CSV text of table ``name`` as this draft holds it."""
        return self.table(name).to_csv(index=False, lineterminator="\n")

    def spec_text(self) -> str:
        """The YAML of this draft's spec (the clean one's is dumped once per context)."""
        if self.spec == self.city.specs[self.context]:
            return self.city.spec_text(self.context)
        return _dump(self.spec)

    def point_at(self, key: str, file: str) -> None:
        """Make ``data.<key>.file`` read ``data/<file>``."""
        self.spec["data"][key]["file"] = f"data/{file}"

    def write(self, folder: Path) -> Path:
        """Write the case into ``folder`` (untouched files are links to the clean ones)."""
        data = folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        clean = self.city.folder(self.context)
        for name in self.city.files_of(self.context):
            if name not in self.removed and name not in self.tables and name not in self.raw:
                _link(clean / name, data / name)
        for name in {*self.tables, *self.raw, *self.writers}:
            (data / name).unlink(missing_ok=True)   # never write through a link
        for name, df in self.tables.items():
            if name in self.raw or name in self.writers or name in self.removed:
                continue
            if name.endswith(".parquet"):
                df.to_parquet(data / name, index=False)
            else:
                (data / name).write_text(df.to_csv(index=False, lineterminator="\n"),
                                         encoding="utf-8")
        for name, blob in self.raw.items():
            (data / name).write_bytes(blob)
        for name, writer in self.writers.items():
            writer(data / name)
        spec_path = folder / "demo.yaml"
        if not self.spec_missing:
            spec_path.write_bytes(self.spec_bytes if self.spec_bytes is not None
                                  else self.spec_text().encode("utf-8"))
        return spec_path


#: libyaml's dumper when available.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(spec: dict[str, Any]) -> str:
    return yaml.dump(spec, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def _link(src: Path, dst: Path) -> None:
    try:
        os.symlink(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


# ------------------------------------------------------------------------------- cases
#: Edits a draft in place (a return value is ignored).
Corrupt = Callable[[Draft], object]


@dataclass(frozen=True)
class Case:
    """One corruption of the clean city.

    Attributes
    ----------
    id : str
        Unique, stable: ``<target>/<what>/<variant>``.
    description : str
        What was done, in words.
    target : str
        The corrupted file name, or the YAML path (``indicators[0].scoring.cap``).
    where : tuple of str
        An error must name one of these: a file name, or a YAML path prefix (indexes as
        ``indicators[0]``; evalkit's ``indicators[0] (D01)`` form is matched too).
    corrupt : callable
        Edits a :class:`Draft`.
    expect_ok : bool or None
        True: a correct evalkit runs it with finite totals; False: it rejects it with an
        error naming ``where``; None: either.
    same : bool
        The corruption keeps the input's meaning: an accepted run must give the clean totals.
    context : str
        The context (key of :data:`CONTEXTS`) the case runs in.
    row : int or None
        For a one-cell corruption, the row as Excel shows it (header = row 1).
    """

    id: str
    description: str
    target: str
    where: tuple[str, ...]
    corrupt: Corrupt
    expect_ok: bool | None = False
    same: bool = False
    context: str = "core"
    row: int | None = None

    def accepts(self, outcome: str) -> bool:
        """Whether ``outcome`` keeps the contract for this case."""
        if outcome == "error_named":
            return self.expect_ok is not True
        if outcome == "ok_finite":
            return self.expect_ok is not False
        return False


class Corpus:
    """A list of cases with unique ids, built family by family."""

    def __init__(self) -> None:
        self.cases: list[Case] = []
        self._ids: set[str] = set()

    def add(self, case: Case) -> None:
        if case.id in self._ids:
            raise ValueError(f"duplicate case id {case.id!r}")
        self._ids.add(case.id)
        self.cases.append(case)


# ----------------------------------------------------------------------- text helpers
def fullwidth(text: str) -> str:
    """ASCII → full-width forms (``T001`` → ``Ｔ００１``), as Chinese input methods type."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c)
                   for c in text)


def _num_text(value: float) -> str:
    return f"{value:g}"


# ------------------------------------------------------------------------ column roles
@dataclass(frozen=True)
class Column:
    """A column of a demo table and how a correct evalkit treats it."""

    file: str
    name: str
    blank: bool | None = False      # expect_ok of an empty cell (None: a declared policy)


NUMBER_COLUMNS = (
    Column("indicator_values.csv", "value", blank=None),
    Column("points.csv", "points"),
    Column("leaders.csv", "score", blank=None),
    Column("tasks_ledger.csv", "rolled_over", blank=None),
    Column("project_progress.csv", "planned_pct"),
    Column("project_progress.csv", "actual_pct", blank=None),
    Column("survey_responses.parquet", "weight"),
    Column("survey_issued.csv", "issued"),
    Column("peer_ratings.csv", "round"),
)
#: Every column of every table: (required?, display only?). Optional columns may be dropped
#: with results that legitimately change (expect None); display columns keep the totals.
TABLE_COLUMNS: dict[str, dict[str, tuple[bool, bool]]] = {
    "units.csv": {"unit_id": (True, False), "unit_name": (False, False),
                  "unit_name_en": (False, True), "category": (True, False)},
    "indicator_values.csv": {c: (True, False) for c in
                             ("period", "unit_id", "indicator_id", "value")},
    "points.csv": {"period": (True, False), "unit_id": (True, False), "kind": (True, False),
                   "points": (True, False), "reason": (False, True)},
    "leaders.csv": {c: (True, False) for c in ("period", "unit_id", "rater_id", "score")},
    "tasks_ledger.csv": {**{c: (True, False) for c in
                            ("period", "unit_id", "task_id", "planned_month", "due_month",
                             "closed_month")},
                         "rolled_over": (False, False), "highlight": (False, False)},
    "project_progress.csv": {**{c: (True, False) for c in
                                ("period", "project_id", "unit_id", "month", "planned_pct",
                                 "actual_pct")}, "project_name": (False, True)},
    "survey_responses.parquet": {**{c: (True, False) for c in
                                    ("period", "questionnaire", "group", "unit_id", "item",
                                     "answer")},
                                 **{c: (False, False) for c in
                                    ("ballot_id", "respondent_id", "weight", "started",
                                     "timestamp")}},
    # a box is keyed by questionnaire, group or both (evalkit.sources.survey.ballots)
    "survey_issued.csv": {"period": (True, False), "questionnaire": (False, False),
                          "group": (False, False), "issued": (True, False)},
    "peer_ratings.csv": {**{c: (True, False) for c in ("period", "rater_id", "ratee_id",
                                                       "grade")},
                         **{c: (False, False) for c in ("round", "rater_unit",
                                                        "rater_group")}},
}
#: Columns holding unit ids.
UNIT_ID_COLUMNS = (
    ("indicator_values.csv", "unit_id"), ("points.csv", "unit_id"), ("leaders.csv", "unit_id"),
    ("tasks_ledger.csv", "unit_id"), ("project_progress.csv", "unit_id"),
    ("survey_responses.parquet", "unit_id"), ("peer_ratings.csv", "ratee_id"),
    ("peer_ratings.csv", "rater_unit"))
PERIOD_FILES = tuple(f for f, cols in TABLE_COLUMNS.items() if "period" in cols)


def _rows_where(df: pd.DataFrame, **eq: str) -> np.ndarray:
    mask = np.ones(len(df), dtype=bool)
    for col, val in eq.items():
        mask &= (df[col].astype(str) == str(val)).to_numpy()
    return np.flatnonzero(mask)


def _set_cell(df: pd.DataFrame, i: int, col: str, value: Any) -> None:
    """Set one cell; a typed (Parquet) column becomes text first when ``value`` is text."""
    if isinstance(value, str) and df[col].dtype != object:
        s = df[col]
        df[col] = pd.Series([None if pd.isna(v) else str(v) for v in s], index=df.index,
                            dtype=object)
    elif not isinstance(value, str) and df[col].dtype == object and value is not None:
        value = str(value)
    df.iloc[i, df.columns.get_loc(col)] = value


class Picks:
    """Rows and units the corruptions aim at, chosen once from the clean city."""

    def __init__(self, city: City) -> None:
        t = city.tables["one"]
        units = t["units.csv"]
        towns = units.loc[units["category"] == "township", "unit_id"].tolist()
        covered = set(units["unit_id"])
        for name in ("leaders.csv", "tasks_ledger.csv", "project_progress.csv",
                     "peer_ratings.csv", "survey_responses.parquet"):
            covered &= set(t[name].loc[t[name]["period"].astype(str) == LAST, "unit_id" if
                                       name != "peer_ratings.csv" else "ratee_id"].astype(str))
        #: a township every source scores in the last period
        self.unit = next(u for u in towns if u in covered)
        self.rows: dict[tuple[str, str], int] = {}
        v = t["indicator_values.csv"]
        self.rows[("indicator_values.csv", "ranged")] = int(
            _rows_where(v, period=LAST, indicator_id="D08", unit_id=self.unit)[0])
        self.rows[("indicator_values.csv", "unranged")] = int(
            _rows_where(v, period=LAST, indicator_id="L02", unit_id=self.unit)[0])
        for name in ("leaders.csv", "tasks_ledger.csv", "project_progress.csv"):
            self.rows[(name, "any")] = int(_rows_where(t[name], period=LAST,
                                                       unit_id=self.unit)[0])
        # points: a bonus record of the current period (the unit may have none)
        self.rows[("points.csv", "any")] = int(_rows_where(t["points.csv"], period=LAST,
                                                           kind="bonus")[0])
        sv = t["survey_responses.parquet"]
        self.rows[("survey_responses.parquet", "any")] = int(_rows_where(
            sv, period=LAST, group="public", questionnaire="q_public_town",
            unit_id=self.unit, answer="满意")[0])
        self.rows[("survey_responses.parquet", "likert")] = int(_rows_where(
            sv, period=LAST, questionnaire="q_enterprise", answer="4")[0])
        self.rows[("survey_responses.parquet", "dont_know")] = int(_rows_where(
            sv, period=LAST, answer="不了解")[0])
        self.rows[("survey_issued.csv", "any")] = int(_rows_where(
            t["survey_issued.csv"], period=LAST, questionnaire="q_public_town")[0])
        peer = t["peer_ratings.csv"]
        self.rows[("peer_ratings.csv", "any")] = int(_rows_where(
            peer, period=LAST, ratee_id=self.unit, grade="良好")[0])
        self.rows[("peer_ratings.csv", "dont_know")] = int(_rows_where(
            peer, period=LAST, grade="不了解")[0])
        led = t["tasks_ledger.csv"]
        self.rows[("tasks_ledger.csv", "highlight")] = int(_rows_where(
            led, period=LAST, highlight="True")[0])
        self.rows[("tasks_ledger.csv", "open")] = int(_rows_where(
            led, period=LAST, closed_month="")[0])
        self.rows[("units.csv", "any")] = int(_rows_where(units, unit_id=self.unit)[0])

    def row(self, file: str, which: str = "any") -> int:
        return self.rows[(file, which)]


# ------------------------------------------------------------------- table corruptions
def _cell_case(corpus: Corpus, file: str, col: str, i: int, slug: str, value: Any,
               expect: bool | None, same: bool, what: str, tag: str = "",
               context: str | None = None) -> None:
    """A case setting one cell (row ``i`` of the one-period data set) to ``value``."""
    def corrupt(d: Draft) -> None:
        _set_cell(d.table(file), i, col, value)

    ident = f"{file}/{col}{tag}/{slug}"
    corpus.add(Case(ident, f"{file}, row {i + 2}, column {col!r}: {what} ({value!r})", file,
                    (file,), corrupt, expect, same, context or FILE_CONTEXT[file], row=i + 2))


def number_cells(corpus: Corpus, city: City, picks: Picks) -> None:
    """Every number column: percent, full-width, thousands, words, inf/NaN, blanks, …"""
    for col in NUMBER_COLUMNS:
        df = city.clean(col.file)
        targets = ([("ranged", "@ranged"), ("unranged", "@unranged")]
                   if col.file == "indicator_values.csv" else [("any", "")])
        for which, tag in targets:
            i = picks.row(col.file, which)
            orig = df.at[i, col.name]
            text = _num_text(float(orig))
            parquet = col.file.endswith(".parquet")
            neg = None if which == "unranged" else False   # -1 is a legal unranged value
            blank_value: Any = None if parquet else ""
            variants: list[tuple[str, Any, bool | None, bool, str]] = [
                ("percent", f"{text}%", False, False, "a percent sign"),
                ("percent_95", "95%", False, False, "the text 95%"),
                ("fullwidth", fullwidth(text), None, True, "full-width digits"),
                ("fullwidth_123", "１２３", False, False, "full-width 123"),
                ("thousands", "1,234", False, False, "a thousands separator"),
                ("decimal_comma", text.replace(".", ",") if "." in text else f"{text},5",
                 False, False, "a decimal comma"),
                ("word_missing", "缺报", False, False, "a word (缺报, not reported)"),
                ("word_na", "N/A", col.blank, False, "N/A"),
                ("dash", "—", False, False, "a dash for 'none'"),
                ("inf", math.inf if parquet else "inf", False, False, "infinity"),
                ("neg_inf", -math.inf if parquet else "-inf", False, False, "minus infinity"),
                ("nan", math.nan if parquet else "nan", False, False, "the text nan"),
                ("huge", 1e308 if parquet else "1e308", False, False, "an absurd magnitude"),
                ("neg_huge", -1e308 if parquet else "-1e308", False, False,
                 "an absurd negative magnitude"),
                ("negative", -1.0 if parquet else "-1", neg, False, "a negative number"),
                ("empty", blank_value, col.blank, False, "an empty cell"),
                ("whitespace", "   ", col.blank, False, "only spaces"),
                ("padded", f"  {text} ", None, True, "the number with spaces around it"),
                ("formula", "=1+1", False, False, "a formula as text"),
                ("bool", "TRUE", False, False, "a boolean"),
                ("two_dots", "1.2.3", False, False, "two decimal points"),
            ]
            # indicator values feed CRITIC weights and the Monte Carlo: run those too
            ctx = "rich" if col.file == "indicator_values.csv" else None
            for slug, value, expect, same, what in variants:
                if not thin(col.file, "number", slug):
                    _cell_case(corpus, col.file, col.name, i, slug, value, expect, same, what,
                               tag, ctx)


def _unit_variants(u: str) -> list[tuple[str, str, bool | None, bool, str]]:
    return [
        ("trailing_space", f"{u} ", True, True, "a trailing space"),
        ("leading_space", f" {u}", True, True, "a leading space"),
        ("fullwidth", fullwidth(u), True, True, "full-width letters"),
        ("nbsp", f"{u}\u00a0", None, True, "a no-break space"),
        ("lower", u.lower(), None, True, "lower case"),
        ("zero_width", f"{u[:1]}\u200b{u[1:]}", False, False, "a zero-width space inside"),
        ("unknown", "X999", False, False, "an unknown id"),
        ("empty", "", False, False, "an empty id"),
        ("control", f"{u}\x1b", False, False, "an ESC character"),
    ]


#: Id variants also applied to every row of one unit (a unit's whole source at stake).
UNIT_SCOPE_VARIANTS = ("trailing_space", "fullwidth", "lower", "unknown")


def unit_ids(corpus: Corpus, city: City, picks: Picks) -> None:
    """Unit ids in every table: one row, and every row of one unit."""
    for file, col in UNIT_ID_COLUMNS:
        df = city.clean(file)
        u = picks.unit
        if not len(_rows_where(df, period=LAST, **{col: u})):  # points: a unit with records
            u = str(df.at[picks.row(file), col])
        i = int(_rows_where(df, period=LAST, **{col: u})[0])
        rows = _rows_where(df, **{col: u})
        for slug, value, expect, same, what in _unit_variants(u):
            if not thin(file, "unit_row", slug) and (col != "rater_unit" or slug in
                                                     ("trailing_space", "lower", "unknown")):
                _cell_case(corpus, file, col, i, slug, value, expect, same, what, "@row")
            if slug not in UNIT_SCOPE_VARIANTS or thin(file, "unit_scope", slug):
                continue

            def corrupt(d: Draft, file: str = file, col: str = col, value: str = value,
                        rows: np.ndarray = rows) -> None:
                t = d.table(file)
                if t[col].dtype != object:
                    t[col] = t[col].astype(object)
                t.iloc[rows, t.columns.get_loc(col)] = value

            corpus.add(Case(f"{file}/{col}@unit/{slug}",
                            f"{file}, column {col!r}: every row of unit {u} with {what} "
                            f"({value!r})", file, (file,), corrupt, expect, same,
                            FILE_CONTEXT[file]))
    units_file = "units.csv"
    u = picks.unit
    i = picks.row(units_file)
    everywhere = tuple(city.files_of("core"))
    for slug, value, expect, same, what in _unit_variants(u):
        def corrupt(d: Draft, value: str = value) -> None:
            _set_cell(d.table(units_file), i, "unit_id", value)

        corpus.add(Case(f"units.csv/unit_id/{slug}", f"units.csv, row {i + 2}: unit id {u} "
                        f"with {what} ({value!r}); the other tables keep {u}", units_file,
                        everywhere, corrupt, expect, same, "core", row=i + 2))


def other_ids(corpus: Corpus, city: City, picks: Picks) -> None:
    """Ids other than units: indicators, raters, tasks, projects, questionnaires, groups."""
    t = city.tables["one"]
    ind_row = picks.row("indicator_values.csv", "ranged")
    sv_row = picks.row("survey_responses.parquet")
    specs: list[tuple[str, str, int, list[tuple[str, str, bool | None, bool, str]]]] = [
        ("indicator_values.csv", "indicator_id", ind_row, [
            ("unknown", "X99", False, False, "an unknown indicator"),
            ("lower", "d08", None, True, "lower case"),
            ("trailing_space", "D08 ", True, True, "a trailing space"),
            ("fullwidth", fullwidth("D08"), True, True, "full-width letters"),
            ("empty", "", False, False, "an empty id"),
            ("not_applicable", "D01", False, False,
             "an indicator already given for this unit (a duplicate)")]),
        ("leaders.csv", "rater_id", picks.row("leaders.csv"), [
            ("empty", "", None, False, "an empty rater"),
            ("duplicate_rater", "L02", False, False, "a rater who already rated the unit"),
            ("trailing_space", "L01 ", None, True, "a trailing space")]),
        ("tasks_ledger.csv", "task_id", picks.row("tasks_ledger.csv"), [
            ("empty", "", False, False, "an empty task id"),
            ("duplicate", str(t["tasks_ledger.csv"].at[picks.row("tasks_ledger.csv") + 1,
                                                        "task_id"]), False, False,
             "the id of the next task")]),
        ("project_progress.csv", "project_id", picks.row("project_progress.csv"), [
            ("empty", "", False, False, "an empty project id")]),
        ("survey_responses.parquet", "questionnaire", sv_row, [
            ("unknown", "q_unknown", False, False, "an unknown questionnaire"),
            ("upper", "Q_PUBLIC_TOWN", None, True, "upper case"),
            ("trailing_space", "q_public_town ", True, True, "a trailing space"),
            ("empty", "", False, False, "an empty questionnaire")]),
        ("survey_responses.parquet", "group", sv_row, [
            ("unknown", "tourists", False, False, "an unknown group"),
            ("trailing_space", "public ", True, True, "a trailing space")]),
        ("survey_responses.parquet", "item", sv_row, [
            ("unknown", "mood", False, False, "an unknown item"),
            ("empty", "", False, False, "an empty item")]),
        ("survey_responses.parquet", "ballot_id", sv_row, [
            ("empty", "", False, False, "an empty ballot id")]),
        ("survey_issued.csv", "questionnaire", picks.row("survey_issued.csv"), [
            ("unknown", "q_unknown", False, False, "an unknown questionnaire"),
            ("trailing_space", "q_public_town ", True, True, "a trailing space")]),
        ("survey_issued.csv", "group", picks.row("survey_issued.csv"), [
            ("unknown", "tourists", False, False, "an unknown group")]),
        ("peer_ratings.csv", "rater_id", picks.row("peer_ratings.csv"), [
            ("empty", "", False, False, "an empty rater")]),
        ("peer_ratings.csv", "rater_group", picks.row("peer_ratings.csv"), [
            ("unknown", "martians", None, False, "an unknown rater group")]),
    ]
    for file, col, i, variants in specs:
        for slug, value, expect, same, what in variants:
            _cell_case(corpus, file, col, i, slug, value, expect, same, what)


def zero_padded(corpus: Corpus, city: City) -> None:
    """Numeric unit codes: ``001`` everywhere (fine), and ``1`` in one table (not the same)."""
    codes = {u: f"{k + 1:03d}" for k, u in enumerate(city.unit_ids)}

    def relabel(d: Draft, unpadded: str | None) -> None:
        d.unit_map = dict(codes)
        for file in d.city.files_of(d.context):
            cols = ["unit_id"] if file != "peer_ratings.csv" else ["ratee_id", "rater_unit"]
            if file == "units.csv" or "unit_id" in TABLE_COLUMNS[file] or \
                    file == "peer_ratings.csv":
                t = d.table(file)
                for col in cols:
                    if col not in t.columns:
                        continue
                    mapping = ({u: str(int(c)) for u, c in codes.items()} if file == unpadded
                               else codes)
                    t[col] = t[col].astype(str).map(lambda v, m=mapping: m.get(v, v))

    for context in ("core", "tasks", "survey", "peer"):
        corpus.add(Case(f"unit_codes/{context}/zero_padded",
                        "every unit id written as a zero-padded code (T001 → 001) in every "
                        "table", "units.csv", tuple(city.files_of(context)),
                        lambda d: relabel(d, None), True, True, context))
    for file in ("indicator_values.csv", "points.csv", "leaders.csv", "tasks_ledger.csv",
                 "survey_responses.parquet", "peer_ratings.csv"):
        corpus.add(Case(f"unit_codes/{file}/unpadded",
                        f"unit codes 001… everywhere, but written 1, 2, … in {file}", file,
                        (file,), lambda d, f=file: relabel(d, f), False, False,
                        FILE_CONTEXT[file]))


def _period_text(p: str, style: str) -> str:
    return {"float": f"{p}.0", "nian": f"{p}年", "niandu": f"{p}年度", "fy": f"FY{p}",
            "fullwidth": fullwidth(p), "padded": f" {p} ", "date": f"{p}-01-01",
            "short": p[2:], "empty": "", "range": f"{p}/{int(p) + 1}",
            "chinese": p.translate(str.maketrans("0123456789", "〇一二三四五六七八九")),
            "next": str(int(p) + 1)}[style]


#: Period styles: (expect_ok, same, description).
PERIOD_STYLES: dict[str, tuple[bool | None, bool, str]] = {
    "float": (True, True, "typed 2025.0"), "nian": (True, True, "typed 2025年"),
    "niandu": (True, True, "typed 2025年度"), "fy": (False, False, "typed FY2025"),
    "fullwidth": (None, True, "full-width digits"), "padded": (None, True, "spaces around"),
    "date": (False, False, "a date 2025-01-01"), "short": (False, False, "two digits (25)"),
    "empty": (False, False, "empty"), "range": (False, False, "a range 2025/2026"),
    "chinese": (False, False, "Chinese numerals 二〇二五"),
    # a row of another period may be rejected, or ignored with a warning (not the same)
    "next": (None, False, "a period the spec does not evaluate (2026)"),
}
#: Styles also applied to a whole period column.
COLUMN_STYLES = ("float", "nian", "niandu", "fy", "empty")


def periods(corpus: Corpus, city: City, picks: Picks) -> None:
    """The period column of every table: one cell, and the whole column."""
    for file in PERIOD_FILES:
        i = (picks.row(file, "ranged") if file == "indicator_values.csv" else picks.row(file))
        for style, (expect, same, what) in PERIOD_STYLES.items():
            if not thin(file, "period_row", style):
                _cell_case(corpus, file, "period", i, style, _period_text(LAST, style), expect,
                           same, f"the period {what}", "@row")
        for style in COLUMN_STYLES:
            if thin(file, "period_column", style):
                continue
            expect, same, what = PERIOD_STYLES[style]

            def corrupt(d: Draft, file: str = file, style: str = style) -> None:
                t = d.table(file)
                t["period"] = [_period_text(str(p), style) for p in t["period"]]

            corpus.add(Case(f"{file}/period@column/{style}",
                            f"{file}: every period {what}", file, (file,), corrupt, expect,
                            same, FILE_CONTEXT[file]))


def booleans(corpus: Corpus, city: City, picks: Picks) -> None:
    """``highlight`` (and ``rolled_over``) in the vocabularies offices use."""
    file = "tasks_ledger.csv"
    vocab = {"shi_fou": ("是", "否", True), "one_zero": ("1", "0", True),
             "lower": ("true", "false", True), "upper": ("TRUE", "FALSE", True),
             "you_wu": ("有", "无", True), "yes_no": ("yes", "no", None),
             "y_n": ("Y", "N", False), "check": ("√", "×", False)}
    for slug, (yes, no, expect) in vocab.items():
        def corrupt(d: Draft, yes: str = yes, no: str = no) -> None:
            t = d.table(file)
            t["highlight"] = np.where(t["highlight"] == "True", yes, no)

        corpus.add(Case(f"{file}/highlight@column/{slug}",
                        f"{file}: every highlight written {yes}/{no}", file, (file,), corrupt,
                        expect, expect is not False, "tasks"))
    i = picks.row(file, "highlight")
    j = picks.row(file)
    _cell_case(corpus, file, "highlight", i, "shi", "是", True, True, "是 for a true mark")
    _cell_case(corpus, file, "highlight", j, "fou", "否", True, True, "否 for a false mark")
    _cell_case(corpus, file, "highlight", j, "maybe", "maybe", False, False, "maybe")
    _cell_case(corpus, file, "highlight", j, "two", "2", False, False, "the number 2")
    _cell_case(corpus, file, "highlight", j, "empty", "", None, False, "an empty mark")

    def rolled(d: Draft) -> None:
        t = d.table(file)
        t["rolled_over"] = np.where(t["rolled_over"] == "1", "是", "否")

    corpus.add(Case(f"{file}/rolled_over@column/shi_fou", f"{file}: rolled_over written 是/否",
                    file, (file,), rolled, None, True, "tasks"))


def months(corpus: Corpus, city: City, picks: Picks) -> None:
    """Calendar months of the task ledger and the project progress."""
    targets = [("tasks_ledger.csv", c) for c in ("planned_month", "due_month", "closed_month")]
    targets.append(("project_progress.csv", "month"))
    for file, col in targets:
        i = picks.row(file)
        orig = str(city.clean(file).at[i, col])
        y, m = orig.split("-")
        variants = [
            ("slash", f"{y}/{m}", None, True, "written with a slash"),
            ("chinese", f"{y}年{int(m)}月", None, True, "written 2025年3月"),
            ("number", str(int(m)), None, True, "the month number"),
            ("unpadded", f"{y}-{int(m)}", None, True, "without the leading zero"),
            ("date", f"{y}-{m}-01", None, True, "a full date"),
            ("month_13", f"{y}-13", False, False, "month 13"),
            ("word", "三月", False, False, "a word (三月)"),
            ("other_year", f"{int(y) - 1}-{m}", False, False, "a month of another period"),
            ("garbage", "soon", False, False, "text"),
            # a blank closed_month is an open task; the other months are required
            ("empty", "", None if col == "closed_month" else False, False, "empty"),
        ]
        for slug, value, expect, same, what in variants:
            # every spelling on planned_month; the other month columns are read alike
            if col == "planned_month" or slug in ("slash", "chinese", "month_13", "word",
                                                  "other_year", "empty"):
                _cell_case(corpus, file, col, i, slug, value, expect, same, f"a month {what}")


def labels(corpus: Corpus, city: City, picks: Picks) -> None:
    """Category, point kinds, survey answers and peer grades."""
    k = picks.row("units.csv")
    for slug, value, expect, same, what in [
            ("title_case", "Township", None, True, "title case"),
            ("trailing_space", "township ", True, True, "a trailing space"),
            ("name", "乡镇（街道）", None, True, "the category's name instead of its id"),
            ("unknown", "village", False, False, "an unknown category"),
            ("empty", "", False, False, "empty")]:
        _cell_case(corpus, "units.csv", "category", k, slug, value, expect, same, what)
    file = "points.csv"
    i = picks.row(file)
    kind = str(city.clean(file).at[i, "kind"])
    zh = {"bonus": "加分", "deduction": "扣分", "yellow_card": "黄牌", "veto": "一票否决"}[kind]
    for slug, value, expect, same, what in [
            ("title_case", kind.title(), None, True, "title case"),
            ("trailing_space", f"{kind} ", True, True, "a trailing space"),
            ("chinese", zh, None, True, "its Chinese name"),
            ("unknown", "reward", False, False, "an unknown kind"),
            ("empty", "", False, False, "empty")]:
        _cell_case(corpus, file, "kind", i, slug, value, expect, same, f"a kind: {what}")
    file = "survey_responses.parquet"
    for which, slug, value, expect, same, what in [
            ("any", "trailing_space", "满意 ", None, True, "满意 with a trailing space"),
            ("any", "unknown", "很满意", False, False, "an answer the scale lacks"),
            ("any", "number", "3", False, False, "a number on a three-level scale"),
            ("any", "empty", None, None, False, "a blank answer"),
            ("likert", "fullwidth", "４", None, True, "a full-width digit"),
            ("likert", "out_of_scale", "6", False, False, "6 on a five-point scale"),
            ("likert", "decimal", "4.0", None, True, "4.0 for 4"),
            ("dont_know", "trailing_space", "不了解 ", None, True, "不了解 with a space")]:
        i = picks.row(file, which)
        _cell_case(corpus, file, "answer", i, slug, value, expect, same, f"answer {what}",
                   f"@{which}")
    file = "peer_ratings.csv"
    for which, slug, value, expect, same, what in [
            ("any", "trailing_space", "良好 ", None, True, "a trailing space"),
            ("any", "short", "良", False, False, "an abbreviation"),
            ("any", "letter", "A", False, False, "a letter grade"),
            ("any", "number", "85", None, False, "the grade's points"),
            ("any", "word", "缺报", False, False, "a word"),
            ("any", "empty", "", None, False, "empty"),
            ("dont_know", "trailing_space", "不了解 ", None, True, "不了解 with a space")]:
        i = picks.row(file, which)
        _cell_case(corpus, file, "grade", i, slug, value, expect, same, f"grade {what}",
                   f"@{which}")


def text_cells(corpus: Corpus, city: City, picks: Picks) -> None:
    """Names and reasons with control characters, formulas, huge or empty text."""
    targets = [("units.csv", "unit_name", picks.row("units.csv")),
               ("units.csv", "unit_name_en", picks.row("units.csv")),
               ("points.csv", "reason", picks.row("points.csv")),
               ("project_progress.csv", "project_name", picks.row("project_progress.csv"))]
    for file, col, i in targets:
        orig = str(city.clean(file).at[i, col])
        for slug, value, what in [
                ("esc", f"{orig}\x1b", "an ESC character"),
                ("vtab", f"{orig[:2]}\x0b{orig[2:]}", "a vertical tab (\\x0b)"),
                ("nul", f"{orig}\x00", "a NUL character"),
                ("formula", "=1+1", "a formula"),
                ("newline", f"{orig[:2]}\n{orig[2:]}", "a line break"),
                ("long", orig * 3000, "30,000 characters")]:
            # names reach the totals; a reason or project name needs one of each kind
            if file == "units.csv" or slug in ("esc", "formula"):
                _cell_case(corpus, file, col, i, slug, value, None, False,
                           f"a text with {what}")
    _cell_case(corpus, "units.csv", "unit_name", picks.row("units.csv"), "empty", "", None,
               False, "an empty name")


#: The column of each table whose header gets every variant (the others: renamed, dropped).
KEY_COLUMN = {"units.csv": "unit_id", "indicator_values.csv": "unit_id",
              "points.csv": "unit_id", "leaders.csv": "unit_id", "tasks_ledger.csv": "unit_id",
              "project_progress.csv": "unit_id", "survey_responses.parquet": "unit_id",
              "survey_issued.csv": "questionnaire", "peer_ratings.csv": "ratee_id"}
#: Chinese headers an office might use, not mapped in the spec.
CHINESE_HEADERS = {"unit_id": "单位代码", "period": "年度", "value": "数值", "score": "得分",
                   "category": "类别", "indicator_id": "指标代码", "points": "分值",
                   "kind": "类型"}


def headers(corpus: Corpus, city: City) -> None:
    """Every column of every table dropped, every required one renamed; the key column
    re-cased, padded, full-width; Chinese headers. A table without its period column runs
    on two periods (on one period a table may omit it: every row belongs to that period)."""
    for file, cols in TABLE_COLUMNS.items():
        for col, (required, display) in cols.items():
            drop: bool | None = False if required else (True if display else None)
            keeps = display and not required
            # renaming an optional column = dropping it + an unknown column (both covered)
            variants: list[tuple[str, Callable[[str], str | None], bool | None, bool, str]] = [
                ("dropped", lambda c: None, drop, keeps, "dropped")]
            if required:
                variants.append(("renamed", lambda c: f"{c}_old", drop, keeps,
                                 "renamed (…_old)"))
            if col == KEY_COLUMN[file]:
                variants += [
                    ("upper", str.upper, None, True, "in upper case"),
                    ("padded", lambda c: f" {c} ", True, True, "with spaces around"),
                    ("fullwidth", fullwidth, None, True, "in full-width letters")]
            if col in CHINESE_HEADERS:
                variants.append(("chinese", CHINESE_HEADERS.__getitem__, drop, False,
                                 "a Chinese header, not mapped in the spec"))
            context = FILE_CONTEXT[file]
            if col == "period":
                context = two_periods(context)
            for slug, rename, expect, same, what in variants:
                def corrupt(d: Draft, file: str = file, col: str = col,
                            rename: Callable[[str], str | None] = rename) -> None:
                    t = d.table(file)
                    new = rename(col)
                    d.tables[file] = (t.drop(columns=[col]) if new is None
                                      else t.rename(columns={col: new}))

                corpus.add(Case(f"{file}/header:{col}/{slug}",
                                f"{file}: the column {col!r} {what}", file, (file,), corrupt,
                                expect, same, context, row=1))


# expect_ok of a header-only table / a duplicated row / a unit or period removed, per file
_HEADER_ONLY = {"units.csv": False, "indicator_values.csv": False, "points.csv": True,
                "leaders.csv": False, "tasks_ledger.csv": False, "project_progress.csv": None,
                "survey_responses.parquet": False, "survey_issued.csv": None,
                "peer_ratings.csv": False}
_DUPLICATE = {f: (None if f == "points.csv" else False) for f in FILE_KEY}
#: One survey response row given twice is one ballot answering the same unit and item twice:
#: the survey's always-on ``repeated_item`` rule voids that ballot and the input audit counts
#: it (a documented rule, not a silent drop), so the run is right to go on.
_DUPLICATE_ROW = {**_DUPLICATE, "survey_responses.parquet": True}
#: Tables also shuffled (beyond reversed): where an order dependence would hide.
SHUFFLED = ("indicator_values.csv", "survey_responses.parquet", "peer_ratings.csv")
_UNIT_GONE = {"indicator_values.csv": False, "points.csv": True, "leaders.csv": False,
              "tasks_ledger.csv": False, "project_progress.csv": None,
              "survey_responses.parquet": False, "peer_ratings.csv": False}
_PERIOD_GONE = {"indicator_values.csv": False, "points.csv": None, "leaders.csv": False,
                "tasks_ledger.csv": False, "project_progress.csv": None,
                "survey_responses.parquet": False, "survey_issued.csv": None,
                "peer_ratings.csv": False}


def _has_non_ascii(df: pd.DataFrame) -> bool:
    return any(not str(v).isascii() for col in df.columns for v in df[col])


def _xlsx_writer(df: pd.DataFrame, formula_at: tuple[int, str] | None = None,
                 numbers_as_text: bool = False) -> Callable[[Path], None]:
    """Write ``df`` (text cells) as a workbook: numbers as numbers unless asked otherwise;
    ``formula_at`` puts a formula without a cached value into one cell."""

    def write(path: Path) -> None:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "数据"
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            cells: list[Any] = []
            for v in row:
                if numbers_as_text or not isinstance(v, str):
                    cells.append(v)
                    continue
                try:
                    cells.append(int(v) if v.isdigit() else float(v) if v else None)
                except ValueError:
                    cells.append(v)
            ws.append(cells)
        if formula_at is not None:
            i, col = formula_at
            c = df.columns.get_loc(col) + 1
            ws.cell(row=i + 2, column=c, value=f"=SUM({chr(64 + c)}2:{chr(64 + c)}3)")
        wb.save(path)

    return write


def files(corpus: Corpus, city: City, picks: Picks) -> None:
    """Whole-file corruptions of every table: empty, missing, encodings, layout, order."""
    u = picks.unit
    for file in FILE_KEY:
        ctx = FILE_CONTEXT[file]
        clean = city.clean(file)
        parquet = file.endswith(".parquet")

        def add(slug: str, what: str, corrupt: Corrupt, expect: bool | None,
                same: bool = False, where: tuple[str, ...] = (file,), file: str = file,
                ctx: str = ctx) -> None:
            if not thin(file, "file", slug):
                corpus.add(Case(f"{file}/file/{slug}", f"{file}: {what}", file, where,
                                corrupt, expect, same, ctx))

        # a source left without data for a unit may be named by its section of the spec
        gone = (file, f"sources.{SOURCE_OF_FILE[file]}") if file in SOURCE_OF_FILE else (file,)
        add("header_only", "the header and no rows",
            lambda d, f=file: d.tables.__setitem__(f, d.table(f).iloc[:0]), _HEADER_ONLY[file],
            where=gone)
        add("empty", "an empty file (0 bytes)",
            lambda d, f=file: d.raw.__setitem__(f, b""), False)
        add("missing", "the file is missing", lambda d, f=file: d.removed.add(f), False)
        add("extra_column", "an extra column (备注) the spec does not know",
            lambda d, f=file: d.table(f).__setitem__("备注", "见附件"), True, True)
        add("reversed", "rows in reverse order",
            lambda d, f=file: d.tables.__setitem__(f, d.table(f).iloc[::-1]), True, True)
        if file in SHUFFLED:
            add("shuffled", "rows shuffled",
                lambda d, f=file: d.tables.__setitem__(
                    f, d.table(f).sample(frac=1.0, random_state=7)), True, True)
        add("duplicate_row", "one row given twice",
            lambda d, f=file: d.tables.__setitem__(f, pd.concat(
                [d.table(f), d.table(f).iloc[[len(d.table(f)) // 2]]], ignore_index=True)),
            _DUPLICATE_ROW[file])
        add("doubled", "every row given twice",
            lambda d, f=file: d.tables.__setitem__(f, pd.concat([d.table(f)] * 2,
                                                                ignore_index=True)),
            _DUPLICATE[file])
        if file in _UNIT_GONE:
            col = "ratee_id" if file == "peer_ratings.csv" else "unit_id"
            add("unit_removed", f"every row of unit {u} removed",
                lambda d, f=file, c=col: d.tables.__setitem__(
                    f, d.table(f)[d.table(f)[c].astype(str) != u]), _UNIT_GONE[file],
                where=gone)
        if file in _PERIOD_GONE:   # on two periods: the other period stays
            add("period_removed", f"every row of period {LAST} removed",
                lambda d, f=file: d.tables.__setitem__(
                    f, d.table(f)[d.table(f)["period"].astype(str) != LAST]),
                _PERIOD_GONE[file], where=gone, ctx=two_periods(ctx))
        if parquet:
            add("parquet_is_csv", "CSV text saved under the .parquet name",
                lambda d, f=file: d.raw.__setitem__(f, d.table(f).head(50).to_csv(
                    index=False).encode("utf-8")), False)

            def as_csv(d: Draft, f: str = file) -> None:
                name = f.replace(".parquet", ".csv")
                d.tables[name] = d.table(f)
                d.point_at(FILE_KEY[f], name)

            add("as_csv", "saved as CSV (timestamps as text), the spec pointing at it",
                as_csv, None, True)
            continue
        if _has_non_ascii(clean):
            add("gbk", "saved as GBK, no encoding declared",
                lambda d, f=file: d.raw.__setitem__(f, d.csv_text(f).encode("gbk")), False)
            add("gb18030", "saved as GB18030, no encoding declared",
                lambda d, f=file: d.raw.__setitem__(f, d.csv_text(f).encode("gb18030")), False)

            def gbk_declared(d: Draft, f: str = file) -> None:
                d.raw[f] = d.csv_text(f).encode("gbk")
                d.spec["data"][FILE_KEY[f]]["encoding"] = "gbk"

            add("gbk_declared", "saved as GBK with encoding: gbk declared in the spec",
                gbk_declared, True, True)
        add("utf16", "saved as UTF-16 (with BOM)",
            lambda d, f=file: d.raw.__setitem__(f, d.csv_text(f).encode("utf-16")), None, True)
        add("utf8_bom", "saved as UTF-8 with a BOM",
            lambda d, f=file: d.raw.__setitem__(f, d.csv_text(f).encode("utf-8-sig")), True,
            True)
        add("crlf", "Windows line endings",
            lambda d, f=file: d.raw.__setitem__(
                f, d.csv_text(f).replace("\n", "\r\n").encode("utf-8")), True, True)
        add("semicolons", "separated by semicolons",
            lambda d, f=file: d.raw.__setitem__(
                f, d.table(f).to_csv(index=False, sep=";").encode("utf-8")), False)
        add("tabs", "separated by tabs",
            lambda d, f=file: d.raw.__setitem__(
                f, d.table(f).to_csv(index=False, sep="\t").encode("utf-8")), False)
        add("title_row", "a title line above the header",
            lambda d, f=file: d.raw.__setitem__(
                f, ("示范市年度考核数据\n" + d.csv_text(f)).encode("utf-8")), False)
        add("blank_lines", "blank lines at the end",
            lambda d, f=file: d.raw.__setitem__(f, (d.csv_text(f) + "\n\n\n").encode("utf-8")),
            True, True)
        add("empty_rows", "rows of empty cells at the end (as Excel exports them)",
            lambda d, f=file: d.raw.__setitem__(
                f, (d.csv_text(f) + ("," * (len(d.table(f).columns) - 1) + "\n") * 3
                    ).encode("utf-8")), None, True)
        add("trailing_commas", "a trailing comma on every line (an unnamed empty column)",
            lambda d, f=file: d.raw.__setitem__(
                f, "\n".join(line + "," if line else line for line in
                             d.csv_text(f).split("\n")).encode("utf-8")), True, True)
        first_col = clean.columns[0]
        add("total_row", "a 合计 (total) row at the bottom",
            lambda d, f=file, c=first_col: d.tables.__setitem__(f, pd.concat(
                [d.table(f), pd.DataFrame({c: ["合计"]})], ignore_index=True).fillna("")),
            False)
        xlsx = file.replace(".csv", ".xlsx")

        def to_xlsx(d: Draft, f: str = file, x: str = xlsx, **kw: Any) -> None:
            d.writers[x] = _xlsx_writer(d.table(f), **kw)
            d.point_at(FILE_KEY[f], x)

        add("xlsx", "saved as an Excel workbook, the spec pointing at it", to_xlsx, True, True,
            (file, xlsx))
        add("xlsx_text_numbers", "saved as Excel with every number stored as text",
            lambda d, w=to_xlsx: w(d, numbers_as_text=True), None, True, (file, xlsx))

        def xlsx_sheet(d: Draft, w: Callable[[Draft], None] = to_xlsx, f: str = file) -> None:
            w(d)
            d.spec["data"][FILE_KEY[f]]["sheet"] = "Sheet9"

        add("xlsx_wrong_sheet", "saved as Excel, the spec naming a sheet it lacks", xlsx_sheet,
            False, False, (file, xlsx))
    for file, col, which in [("indicator_values.csv", "value", "unranged"),
                             ("indicator_values.csv", "value", "ranged"),
                             ("points.csv", "points", "any"), ("leaders.csv", "score", "any"),
                             ("project_progress.csv", "actual_pct", "any"),
                             ("survey_issued.csv", "issued", "any")]:
        i = picks.row(file, which)
        xlsx = file.replace(".csv", ".xlsx")

        def formula(d: Draft, f: str = file, x: str = xlsx, i: int = i, c: str = col) -> None:
            d.writers[x] = _xlsx_writer(d.table(f), formula_at=(i, c))
            d.point_at(FILE_KEY[f], x)

        corpus.add(Case(f"{file}/xlsx_formula@{which}/{col}",
                        f"{file} as Excel, row {i + 2} column {col!r} a formula without a "
                        "cached value", file, (xlsx,), formula, False, False,
                        FILE_CONTEXT[file], row=i + 2))


def values_layout(corpus: Corpus, city: City, picks: Picks) -> None:
    """The indicator values: wide layout, one indicator missing or constant (run with CRITIC
    weights and the Monte Carlo, which read the values)."""
    file = "indicator_values.csv"

    def add(slug: str, what: str, corrupt: Corrupt, expect: bool | None,
            same: bool = False) -> None:
        corpus.add(Case(f"{file}/layout/{slug}", f"{file}: {what}", file, (file,), corrupt,
                        expect, same, "rich"))

    def wide(d: Draft, drop: str | None = None) -> None:
        t = d.table(file)
        w = t.pivot(index=["period", "unit_id"], columns="indicator_id",
                    values="value").reset_index().fillna("")
        w.columns.name = None
        d.tables[file] = w.drop(columns=[drop]) if drop else w
        d.spec["data"]["values"]["layout"] = "wide"

    def constant(d: Draft) -> None:
        t = d.table(file)
        t.loc[t["indicator_id"] == "L02", "value"] = "3"

    add("wide", "values given wide (a column per indicator)", wide, True, True)
    add("wide_missing_indicator", "values given wide without the column of D08",
        lambda d: wide(d, drop="D08"), False)
    add("wide_declared_long", "values given wide while the spec says long",
        lambda d: (wide(d), d.spec["data"]["values"].pop("layout")) and None, False)
    add("indicator_removed", "every value of indicator D08 removed",
        lambda d: d.tables.__setitem__(
            file, d.table(file)[d.table(file)["indicator_id"] != "D08"]), False)
    add("constant_indicator", "indicator L02 has the same value for every unit", constant,
        True)


def unit_names(corpus: Corpus, city: City) -> None:
    """Two units sharing a name, and a units table with an extra unit with no data."""
    def extra_unit(d: Draft) -> None:
        t = d.table("units.csv")
        d.tables["units.csv"] = pd.concat([t, pd.DataFrame(
            {"unit_id": ["T999"], "unit_name": ["新设镇"], "unit_name_en": ["Township T999"],
             "category": ["township"]})], ignore_index=True)

    corpus.add(Case("units.csv/rows/extra_unit_without_data",
                    "a unit in the units table with no data in any table", "units.csv",
                    ("units.csv", "indicator_values.csv"), extra_unit, False))

    def same_name(d: Draft) -> None:
        t = d.table("units.csv")
        t.at[1, "unit_name"] = t.at[0, "unit_name"]

    corpus.add(Case("units.csv/rows/same_name", "two units with the same name", "units.csv",
                    ("units.csv",), same_name, None, True))


# -------------------------------------------------------------------- spec corruptions
def _set(obj: Any, path: Sequence[str | int], value: Any) -> None:
    """Set the value at ``path``, creating missing mappings on the way."""
    for p in path[:-1]:
        obj = obj.setdefault(p, {}) if isinstance(obj, dict) else obj[p]
    obj[path[-1]] = value


def yaml_path(path: Sequence[str | int]) -> str:
    """``("indicators", 0, "scoring", "cap")`` → ``indicators[0].scoring.cap``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _owner(path: Sequence[str | int]) -> str:
    """The YAML path an error about the leaf ``path`` must name: the leaf's parent for deep
    paths (``indicators[5].scoring`` for ``…scoring.lower``), else the leaf itself."""
    if len(path) > 2 or isinstance(path[-1], int):
        return yaml_path(path[:-1])
    return yaml_path(path)


def _leaves(obj: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...],
                                                                          Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for k, v in enumerate(obj):
            yield from _leaves(v, (*path, k))
    else:
        yield path, obj


def _shape(path: Sequence[str | int]) -> str:
    parts = []
    for k, p in enumerate(path):
        if isinstance(p, int):
            parts.append("[]")
        elif k > 0 and path[k - 1] in ("groups", "grades", "weight", "questionnaires"):
            parts.append(".*")
        else:
            parts.append(f".{p}")
    return "".join(parts)


#: Integer fields (a fraction there is an error).
INT_FIELDS = {".evaluation.seed", ".evaluation.periods[]", ".ranking.decimals",
              ".ranking.bottom_n", ".uncertainty.n", ".history.rules[].periods",
              ".sources.leaders.min_raters", ".sources.peer.min_raters",
              ".sources.peer.params.k", ".sources.peer.validity.min_items"}
#: Fields where −1 may be legitimate (the contract accepts an error or a run).
NEGATIVE_OK = {".indicators[].scoring.center", ".indicators[].scoring.lower",
               ".indicators[].range[]", ".indicators[].scoring.thresholds[]",
               ".indicators[].scoring.scores[]"}
#: Fields kept in an ordered list: an error may name the list (its order broke).
ORDERED_LISTS = {".grades.levels[].min_score": ("grades.levels",)}
#: Spec prefixes each context corrupts (core: everything outside the other sources).
CONTEXT_PREFIX = {"tasks": ("sources", "tasks"), "survey": ("sources", "survey"),
                  "peer": ("sources", "peer")}


def _section_of(context: str, path: Sequence[str | int]) -> bool:
    """Whether a spec leaf belongs to what ``context`` corrupts: a source's section to that
    source's context, ``uncertainty`` to ``rich``, ``history`` to ``core@2``, the rest to
    ``core``."""
    if context in CONTEXT_PREFIX:
        return tuple(path[:2]) == CONTEXT_PREFIX[context]
    if context == "rich":
        return path[0] == "uncertainty"
    if context == "core@2":
        return path[0] == "history"
    return path[0] not in ("uncertainty", "history") \
        and tuple(path[:2]) not in CONTEXT_PREFIX.values()


def numeric_leaves(corpus: Corpus, city: City, per_shape: int = 2) -> None:
    """Every kind of numeric spec value (the first ``per_shape`` of each kind): .nan, ±.inf,
    'x' for all; -1, the number as quoted text, and 1.5 where an integer is expected, for
    the first of each kind."""
    for context in ("core", "rich", "core@2", "tasks", "survey", "peer"):
        seen: Counter[str] = Counter()
        for path, value in _leaves(city.specs[context]):
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not _section_of(context, path):
                continue
            shape = _shape(path)
            seen[shape] += 1
            if seen[shape] > per_shape:
                continue
            ypath = yaml_path(path)
            variants: list[tuple[str, Any, bool | None]] = [
                ("nan", math.nan, False), ("inf", math.inf, False), ("text", "x", False)]
            if seen[shape] == 1:
                variants += [("neg_inf", -math.inf, False),
                             ("minus_one", -1, None if shape in NEGATIVE_OK else False)]
                if context == "core":   # a number quoted as text: read as the number
                    variants.append(("numeric_text", str(value), None))
                if shape in INT_FIELDS:
                    variants.append(("fraction", 1.5, False))
            for slug, new, expect in variants:
                def corrupt(d: Draft, path: tuple[str | int, ...] = path, new: Any = new
                            ) -> None:
                    _set(d.spec, path, new)

                where = (_owner(path), *ORDERED_LISTS.get(shape, ()))
                corpus.add(Case(f"spec:{ypath}/{slug}",
                                f"spec {ypath}: {value!r} → {new!r}", ypath, where,
                                corrupt, expect, slug == "numeric_text", context))


@dataclass(frozen=True)
class SpecEdit:
    """A hand-written spec corruption (see :func:`spec_edits`)."""

    slug: str
    what: str
    target: str
    where: tuple[str, ...]
    corrupt: Corrupt
    expect: bool | None = False
    same: bool = False
    context: str = "core"


def _ind(spec: dict[str, Any], iid: str) -> int:
    return next(k for k, i in enumerate(spec["indicators"]) if i["id"] == iid)


#: Keys of a source's section naming a data table: an error may name the section.
TABLE_KEYS = {"ledger", "responses", "issued", "table"}


def _source_where(source: str, key: str) -> tuple[str, ...]:
    path = f"sources.{source}.{key}"
    return (path, f"sources.{source}") if key in TABLE_KEYS else (path,)


def spec_edits(city: City) -> list[SpecEdit]:
    """Weights, scoring parameters, structure, ids, sources and analyses of the spec."""
    from evalkit.aggregation.means import AGGREGATION
    from evalkit.weights import WEIGHTING

    spec = city.specs["core"]
    k_d01, k_d06, k_d09 = _ind(spec, "D01"), _ind(spec, "D06"), _ind(spec, "D09")
    k_s07, k_d08, k_m03 = _ind(spec, "S07"), _ind(spec, "D08"), _ind(spec, "M03")
    P = "perspectives"
    out: list[SpecEdit] = []

    def edit(slug: str, what: str, target: str, corrupt: Corrupt, expect: bool | None = False,
             where: tuple[str, ...] | None = None, same: bool = False,
             context: str = "core") -> None:
        out.append(SpecEdit(slug, what, target, where or (target,), corrupt, expect, same,
                            context))

    def setter(path: tuple[str | int, ...], value: Any) -> Corrupt:
        return lambda d: _set(d.spec, path, value)

    # weights ----------------------------------------------------------------------------
    edit("weights_sum_1_1", "perspective weights of townships sum to 1.1", P,
         setter((P, 0, "weight", "township"), 0.55))
    edit("weights_sum_0_9", "perspective weights of townships sum to 0.9", P,
         setter((P, 0, "weight", "township"), 0.35))
    edit("weight_one_category", "a perspective weight given for one category only",
         f"{P}[0].weight", setter((P, 0, "weight"), {"township": 0.45}))
    edit("weights_all_zero", "every perspective weight 0", P,
         lambda d: [p.__setitem__("weight", 0) for p in d.spec[P]])
    edit("weight_unknown_category", "a perspective weight for an unknown category",
         f"{P}[0].weight", setter((P, 0, "weight", "village"), 0.1))
    edit("weight_scalar", "one perspective weight as a single number (same for all)",
         f"{P}[1].weight", setter((P, 1, "weight"), 0.25), True, same=True)
    edit("indicator_weights_zero", "every indicator of a perspective weighted 0", P,
         lambda d: [i.__setitem__("weight", 0) for i in d.spec["indicators"]
                    if i["perspective"] == "learning"], where=(P, "indicators"))
    edit("indicator_weight_dict_partial", "an indicator weight for one category of three",
         f"indicators[{k_d08}].weight", setter(("indicators", k_d08, "weight"),
                                               {"township": 2}))
    for name in sorted(AGGREGATION):
        def empty_node(d: Draft, name: str = name) -> None:
            d.spec[P].append({"id": "empty", "name": "空维度", "aggregation": name,
                              "weight": {c: 0.1 for c in ("township", "party_dept",
                                                          "gov_dept")}})
            for c, w in d.spec[P][0]["weight"].items():
                d.spec[P][0]["weight"][c] = round(w - 0.1, 4)

        edit(f"empty_perspective_{name}", f"a perspective with no indicators ({name})",
             f"{P}[4]", empty_node)
        edit(f"aggregation_{name}", f"the management perspective aggregated by {name}",
             f"{P}[2].aggregation", setter((P, 2, "aggregation"), name), True)
        edit(f"default_aggregation_{name}", f"defaults.aggregation: {name}",
             "defaults.aggregation", setter(("defaults", "aggregation"), name), True)
    edit("aggregation_unknown", "an unknown aggregation", f"{P}[2].aggregation",
         setter((P, 2, "aggregation"), "mode"))
    for name in sorted(WEIGHTING):
        edit(f"weighting_{name}", f"the management perspective weighted by {name} "
             "(no parameters)", f"{P}[2].weighting",
             setter((P, 2, "weighting"), {"method": name}), None)
    edit("weighting_unknown", "an unknown weighting scheme", f"{P}[2].weighting",
         setter((P, 2, "weighting"), {"method": "magic"}))
    edit("perspective_parent_unknown", "a perspective's parent that does not exist",
         f"{P}[1].parent", setter((P, 1, "parent"), "nowhere"))
    edit("perspective_duplicate_id", "two perspectives with the same id", P,
         setter((P, 1, "id"), "duties"), where=(P, "indicators"))
    # indicators -------------------------------------------------------------------------
    ind = f"indicators[{k_d06}].scoring"
    edit("goalposts_reversed", "goalposts lower 100 ≥ upper 60", ind,
         lambda d: d.spec["indicators"][k_d06]["scoring"].update(lower=100, upper=60))
    edit("goalposts_equal", "goalposts lower = upper", ind,
         lambda d: d.spec["indicators"][k_d06]["scoring"].update(lower=80, upper=80))
    edit("goalposts_text", "goalposts '60' and '100' as text", ind,
         lambda d: d.spec["indicators"][k_d06]["scoring"].update(lower="60", upper="100"),
         None, same=True)
    edit("goalposts_text_reversed", "goalposts '9' ≥ '10' only as text ('9' > '10')", ind,
         lambda d: d.spec["indicators"][k_d06]["scoring"].update(lower="9", upper="10"),
         None)
    edit("goalposts_missing_upper", "goalposts without upper", ind,
         lambda d: d.spec["indicators"][k_d06]["scoring"].pop("upper"))
    bands = f"indicators[{k_d09}].scoring"
    edit("bands_text", "bands thresholds '70,85,95' as one text", bands,
         setter(("indicators", k_d09, "scoring", "thresholds"), "70,85,95"))
    edit("bands_descending", "bands thresholds descending", bands,
         setter(("indicators", k_d09, "scoring", "thresholds"), [95, 85, 70]))
    edit("bands_count", "bands with as many scores as thresholds", bands,
         setter(("indicators", k_d09, "scoring", "scores"), [40, 70, 100]))
    edit("bands_empty", "bands without thresholds", bands,
         setter(("indicators", k_d09, "scoring", "thresholds"), []))
    z = f"indicators[{k_s07}].scoring"
    edit("zscore_spread_zero", "zscore spread 0", z,
         setter(("indicators", k_s07, "scoring", "spread"), 0))
    edit("zscore_spread_negative", "zscore spread -10", z,
         setter(("indicators", k_s07, "scoring", "spread"), -10))
    cap = f"indicators[{k_d01}].scoring"
    edit("cap_zero", "target_ratio cap 0", cap,
         setter(("indicators", k_d01, "scoring", "cap"), 0))
    edit("cap_text", "target_ratio cap 'x'", cap,
         setter(("indicators", k_d01, "scoring", "cap"), "x"))
    edit("target_zero", "target 0 for target_ratio", f"indicators[{k_d08}].target",
         setter(("indicators", k_d08, "target"), 0))
    edit("target_missing", "target removed from a target_ratio indicator",
         f"indicators[{k_d08}]", lambda d: d.spec["indicators"][k_d08].pop("target"))
    edit("rank_ties_unknown", "rank ties 'sometimes'", f"indicators[{k_m03}].scoring",
         setter(("indicators", k_m03, "scoring", "ties"), "sometimes"))
    edit("scoring_param_unknown", "an unknown scoring parameter", f"indicators[{k_d01}].scoring",
         setter(("indicators", k_d01, "scoring", "caps"), 1.2))
    edit("scoring_method_unknown", "an unknown scoring method", f"indicators[{k_d01}].scoring",
         setter(("indicators", k_d01, "scoring", "method"), "magic"))
    edit("scoring_scope_unknown", "scoring scope 'everyone'", f"indicators[{k_d01}].scoring",
         setter(("indicators", k_d01, "scoring", "scope"), "everyone"))
    edit("direction_unknown", "direction 'up'", f"indicators[{k_d01}].direction",
         setter(("indicators", k_d01, "direction"), "up"))
    edit("direction_target_no_target", "direction target without a target",
         f"indicators[{k_m03}]", setter(("indicators", k_m03, "direction"), "target"))
    edit("range_reversed", "range [100, 0]", f"indicators[{k_d08}].range",
         setter(("indicators", k_d08, "range"), [100, 0]))
    edit("range_too_narrow", "range [0, 50] that the values exceed",
         f"indicators[{k_d08}].range", setter(("indicators", k_d08, "range"), [0, 50]),
         where=(f"indicators[{k_d08}]", "indicator_values.csv"))
    edit("range_text", "range '0-100' as text", f"indicators[{k_d08}].range",
         setter(("indicators", k_d08, "range"), "0-100"))
    edit("range_three", "range with three numbers", f"indicators[{k_d08}].range",
         setter(("indicators", k_d08, "range"), [0, 50, 100]))
    edit("categories_unknown", "an indicator for an unknown category",
         f"indicators[{k_d01}].categories", setter(("indicators", k_d01, "categories"),
                                                   ["village"]))
    edit("perspective_unknown", "an indicator under an unknown perspective",
         f"indicators[{k_d01}].perspective", setter(("indicators", k_d01, "perspective"),
                                                    "nowhere"))
    edit("missing_policy_unknown", "missing: drop", f"indicators[{k_d01}].missing",
         setter(("indicators", k_d01, "missing"), "drop"))
    edit("indicator_duplicate_id", "two indicators with the same id", "indicators",
         setter(("indicators", k_d06, "id"), "D01"))
    edit("indicator_renamed", "an indicator id the values do not use (D08 → D08x)",
         f"indicators[{k_d08}]", setter(("indicators", k_d08, "id"), "D08x"),
         where=(f"indicators[{k_d08}]", "indicator_values.csv"))
    edit("indicator_removed", "an indicator removed while the values keep it", "indicators",
         lambda d: d.spec["indicators"].pop(k_d08), where=("indicators", "indicator_values.csv"))
    edit("no_indicators", "no indicators", "indicators", setter(("indicators",), []))
    edit("defaults_missing_unknown", "defaults.missing: drop", "defaults.missing",
         setter(("defaults", "missing"), "drop"))
    edit("defaults_missing_zero", "defaults.missing: zero", "defaults.missing",
         setter(("defaults", "missing"), "zero"), True)
    edit("defaults_missing_reweight", "defaults.missing: reweight", "defaults.missing",
         setter(("defaults", "missing"), "reweight"), True)
    # evaluation ---------------------------------------------------------------------------
    for slug, value in [("escaped", "../../escaped"), ("absolute", "/tmp/evalkit-escaped"),
                        ("slash", "a/b"), ("empty", ""), ("dot", ".."),
                        ("backslash", "..\\..\\escaped")]:
        edit(f"id_{slug}", f"evaluation.id {value!r}", "evaluation.id",
             setter(("evaluation", "id"), value))
    edit("periods_unknown", "evaluation.periods [2026] (no data)", "evaluation.periods",
         setter(("evaluation", "periods"), [2026]),
         where=("evaluation.periods", "indicator_values.csv"), context="core@2")
    edit("periods_text", "evaluation.periods as text ['2024', '2025']", "evaluation.periods",
         setter(("evaluation", "periods"), ["2024", "2025"]), None, same=True, context="core@2")
    edit("periods_nian", "evaluation.periods ['2024年', '2025年']", "evaluation.periods",
         setter(("evaluation", "periods"), ["2024年", "2025年"]), None, same=True, context="core@2")
    edit("periods_scalar", "evaluation.periods: 2025 (not a list)", "evaluation.periods",
         setter(("evaluation", "periods"), 2025), context="core@2")
    edit("periods_empty", "evaluation.periods: [] (rejected, or every period in the data)",
         "evaluation.periods", setter(("evaluation", "periods"), []), None, context="core@2")
    edit("periods_duplicate", "evaluation.periods [2025, 2025]", "evaluation.periods",
         setter(("evaluation", "periods"), [2025, 2025]), context="core@2")
    edit("periods_current_only", "evaluation.periods [2025]", "evaluation.periods",
         setter(("evaluation", "periods"), [2025]), True, context="core@2")
    edit("periods_unordered", "evaluation.periods [2025, 2024]", "evaluation.periods",
         setter(("evaluation", "periods"), [2025, 2024]), None, context="core@2")
    edit("language_unknown", "evaluation.language: fr", "evaluation.language",
         setter(("evaluation", "language"), "fr"))
    # data -------------------------------------------------------------------------------
    edit("data_file_missing", "data.leaders.file names a file that does not exist",
         "data.leaders.file", setter(("data", "leaders", "file"), "data/nowhere.csv"),
         where=("nowhere.csv", "data.leaders"))
    edit("data_units_absent", "no data.units entry", "data.units",
         lambda d: d.spec["data"].pop("units"), where=("data",))
    edit("data_leaders_absent", "the leaders source without its data entry", "data.leaders",
         lambda d: d.spec["data"].pop("leaders"), where=("data", "sources.leaders"))
    edit("data_columns_absent", "data.leaders.columns maps score to a header the file lacks",
         "data.leaders.columns", setter(("data", "leaders", "columns"), {"score": "分数"}),
         where=("leaders.csv", "data.leaders"))
    edit("data_sheet_on_csv", "data.leaders.sheet given for a CSV file", "data.leaders.sheet",
         setter(("data", "leaders", "sheet"), "Sheet1"), None,
         where=("leaders.csv", "data.leaders"), same=True)
    edit("data_layout_unknown", "data.values.layout: diagonal", "data.values.layout",
         setter(("data", "values", "layout"), "diagonal"))
    edit("data_file_number", "data.leaders.file: 42", "data.leaders.file",
         setter(("data", "leaders", "file"), 42), where=("data.leaders", "42"))
    edit("data_file_directory", "data.leaders.file names a folder", "data.leaders.file",
         setter(("data", "leaders", "file"), "data"), where=("data.leaders", "data"))

    def mapped(d: Draft) -> None:
        d.tables["leaders.csv"] = d.table("leaders.csv").rename(columns={"score": "分数"})
        d.spec["data"]["leaders"]["columns"] = {"score": "分数"}

    edit("data_columns_mapped", "leaders' score header 分数, mapped in data.leaders.columns",
         "data.leaders.columns", mapped, True, same=True)

    def absolute(d: Draft) -> None:
        d.spec["data"]["leaders"]["file"] = str(d.city.folder(d.context) / "leaders.csv")

    edit("data_file_absolute", "data.leaders.file as an absolute path", "data.leaders.file",
         absolute, True, same=True)
    # categories ------------------------------------------------------------------------
    edit("category_removed", "a category removed from the spec (units still use it)",
         "categories", lambda d: d.spec["categories"].pop(1), where=("categories", "units.csv",
                                                                     P, "indicators"))
    edit("category_duplicate", "two categories with the same id", "categories",
         setter(("categories", 1, "id"), "township"))
    edit("categories_none", "no categories at all (units still carry them)", "categories",
         lambda d: d.spec.pop("categories"), where=("categories", "units.csv", P,
                                                    "indicators"))
    # sources, points, grades, ranking ----------------------------------------------------
    edit("source_weights_1_1", "source weights sum to 1.1", "sources",
         setter(("sources", "leaders", "weight"), 0.2))
    edit("source_weights_zero", "every source weight 0", "sources",
         lambda d: [v.__setitem__("weight", 0) for v in d.spec["sources"].values()])
    edit("source_unknown", "an unknown source", "sources.rumours",
         setter(("sources", "rumours"), {"weight": 0.1}))
    edit("source_not_mapping", "sources.leaders: 0.1 (not a mapping)", "sources.leaders",
         setter(("sources", "leaders"), 0.1))
    edit("source_weight_missing", "sources.leaders without weight", "sources.leaders",
         setter(("sources", "leaders"), {}))
    edit("no_sources", "sources: {}", "sources", setter(("sources",), {}))
    edit("leaders_min_raters_text", "leaders min_raters 'x'", "sources.leaders.min_raters",
         setter(("sources", "leaders", "min_raters"), "x"))
    edit("leaders_min_raters_too_many", "leaders min_raters 100 (there are 9 leaders)",
         "sources.leaders.min_raters", setter(("sources", "leaders", "min_raters"), 100),
         where=("sources.leaders",))
    edit("leaders_min_raters_fraction", "leaders min_raters 1.5",
         "sources.leaders.min_raters", setter(("sources", "leaders", "min_raters"), 1.5))
    edit("leaders_min_raters_zero", "leaders min_raters 0 (no minimum)",
         "sources.leaders.min_raters", setter(("sources", "leaders", "min_raters"), 0), None)
    edit("leaders_table_unknown", "sources.leaders.table names no data entry",
         "sources.leaders.table", setter(("sources", "leaders", "table"), "bosses"),
         where=("sources.leaders",))
    edit("veto_grade_unknown", "points.veto.max_grade: platinum", "points.veto.max_grade",
         setter(("points", "veto", "max_grade"), "platinum"))
    edit("bonus_cap_null", "points.bonus_cap: null (no cap)", "points.bonus_cap",
         setter(("points", "bonus_cap"), None), True)
    edit("grades_order", "grades listed worst first", "grades.levels",
         lambda d: d.spec["grades"]["levels"].reverse())
    edit("grades_empty", "grades.levels: []", "grades.levels",
         setter(("grades", "levels"), []))
    edit("grades_quota_over_one", "quota 1.5", "grades.levels[0].quota",
         setter(("grades", "levels", 0, "quota"), 1.5), where=("grades.levels[0]",))
    edit("grades_last_min_score", "the lowest grade with a min_score", "grades.levels[3]",
         setter(("grades", "levels", 3, "min_score"), 10))
    edit("grades_rounding_unknown", "grades.quota_rounding: up", "grades.quota_rounding",
         setter(("grades", "quota_rounding"), "up"))
    edit("ranking_ties_unknown", "ranking.ties: random", "ranking.ties",
         setter(("ranking", "ties"), "random"))
    edit("ranking_bottom_n_large", "ranking.bottom_n: 1000", "ranking.bottom_n",
         setter(("ranking", "bottom_n"), 1000), None)
    # analyses ---------------------------------------------------------------------------
    for key, value, expect in [("n", 1.5, False), ("n", 0, False), ("n", 10**9, False),
                               ("n", "x", False), ("seed", -1, False), ("seed", "x", False),
                               ("concentration", 0, False), ("concentration", "x", False),
                               ("perturb", "everything", False), ("level", "atoms", False),
                               ("percent", "x", False), ("top_k", 1.5, False),
                               ("aggregations", "x", False)]:
        edit(f"uncertainty_{key}_{value}", f"uncertainty.{key}: {value!r}",
             f"uncertainty.{key}", setter(("uncertainty", key), value), expect,
             where=(f"uncertainty.{key}", "uncertainty"), context="rich")
    edit("uncertainty_null", "uncertainty: null", "uncertainty", setter(("uncertainty",), None),
         True, context="rich")
    edit("seed_negative", "evaluation.seed: -1", "evaluation.seed",
         setter(("evaluation", "seed"), -1))
    edit("seed_huge", "evaluation.seed: 2**70", "evaluation.seed",
         setter(("evaluation", "seed"), 2**70))
    edit("history_when_syntax", "a history rule 'rank <<< 1'", "history.rules[0].when",
         setter(("history", "rules", 0, "when"), "rank <<< 1"), where=("history.rules[0]",),
         context="core@2")
    edit("history_when_unknown", "a history rule on an unknown variable",
         "history.rules[0].when", setter(("history", "rules", 0, "when"), "mood <= 1"),
         where=("history.rules[0]",),
         context="core@2")
    edit("history_when_code", "a history rule with code in it", "history.rules[0].when",
         setter(("history", "rules", 0, "when"), "__import__('os').getcwd() == ''"),
         where=("history.rules[0]",),
         context="core@2")
    edit("history_periods_fraction", "a history rule over 1.5 periods",
         "history.rules[0].periods", setter(("history", "rules", 0, "periods"), 1.5),
         where=("history.rules[0]",),
         context="core@2")
    edit("history_duplicate_id", "two history rules with the same id", "history.rules",
         setter(("history", "rules", 1, "id"), "last_twice"),
         context="core@2")
    edit("history_not_list", "history.rules: 'x'", "history.rules",
         setter(("history", "rules"), "x"),
         context="core@2")
    edit("treatment_impute_unknown", "treatment.impute: {method: magic}", "treatment.impute",
         setter(("treatment",), {"impute": {"method": "magic"}}))
    edit("treatment_outliers_unknown", "treatment.outliers: {method: magic}",
         "treatment.outliers", setter(("treatment",), {"outliers": {"method": "magic"}}))
    for method in ("knn", "iterative", "category_mean"):
        edit(f"treatment_impute_{method}", f"treatment.impute: {{method: {method}}}",
             "treatment.impute", setter(("treatment",), {"impute": {"method": method}}), None)
    # unknown keys at every depth ----------------------------------------------------------
    for path in [("foo",), ("evaluation", "foo"), ("data", "units", "foo"),
                 ("categories", 0, "foo"), ("defaults", "foo"), (P, 0, "foo"),
                 ("indicators", 0, "foo"), ("indicators", 0, "scoring", "foo"),
                 ("sources", "office", "foo"), ("sources", "leaders", "foo"),
                 ("points", "foo"), ("points", "veto", "foo"), ("grades", "foo"),
                 ("grades", "levels", 0, "foo"), ("ranking", "foo"), ("uncertainty", "foo"),
                 ("history", "foo"), ("history", "rules", 0, "foo"), ("treatment", "foo"),
                 (P, 2, "weighting", "foo")]:
        yp = yaml_path(path)
        edit(f"unknown_key_{yp}", f"an unknown key {yp}", yp, setter(path, 1),
             where=(yp, yaml_path(path[:-1])) if len(path) > 1 else (yp, "foo"),
             context={"history": "core@2", "uncertainty": "rich"}.get(str(path[0]), "core"))
    for wrong, right in [("indicator", "indicators"), ("perspective", "perspectives")]:
        edit(f"misspelt_{wrong}", f"'{right}' misspelt '{wrong}'", right,
             lambda d, w=wrong, r=right: d.spec.__setitem__(w, d.spec.pop(r)),
             where=(wrong, right))
    # the other sources --------------------------------------------------------------------
    S = ("sources", "tasks")
    for key, value in [("scale", 0), ("late_credit", 2), ("months", 1.5), ("months", 0),
                       ("as_of", 13), ("ledger", "nowhere"), ("ledger", 7),
                       ("highlight", {"points": -1, "cap": 2}), ("highlight", "x"),
                       ("escalation", [{"id": "a", "months": 2, "points": 1},
                                       {"id": "b", "months": 1, "points": 1}]),
                       ("escalation", "x"), ("foo", 1),
                       ("progress", {"table": "nowhere"}),
                       ("progress", {"table": "project_progress",
                                     "status": {"yellow": 20, "red": 10}}),
                       ("progress", {"table": "project_progress", "status": "x"}),
                       ("progress", {"table": "project_progress", "foo": 1})]:
        slug = f"tasks_{key}_{re.sub(r'[^A-Za-z0-9]+', '_', str(value))[-40:]}"
        edit(slug, f"sources.tasks.{key}: {value!r}", f"sources.tasks.{key}",
             setter((*S, key), value), where=_source_where("tasks", key), context="tasks")
    S = ("sources", "survey")
    for key, value in [("min_n", "x"), ("min_n", 1.5), ("min_n", -1), ("rate_interval", "x"),
                       ("rate_interval", "wald"), ("mean_interval", "x"), ("score", "x"),
                       ("responses", "nowhere"), ("issued", "nowhere"), ("foo", 1),
                       ("groups", {"public": {"weight": 0}, "enterprises": {"weight": 0},
                                   "npc_deputies": {"weight": 0}, "cppcc_members": {"weight": 0},
                                   "party_reps": {"weight": 0}, "leaders": {"weight": 0}}),
                       ("groups", "x"), ("questionnaires", "x"), ("rules", "x")]:
        slug = f"survey_{key}_{re.sub(r'[^A-Za-z0-9]+', '_', str(value))[:20]}"
        # min_n bounds an effective (weighted) number of respondents: a fraction is legal
        edit(slug, f"sources.survey.{key}: {value!r}", f"sources.survey.{key}",
             setter((*S, key), value), None if value == 1.5 else False,
             where=_source_where("survey", key), context="survey")
    for path, value, what in [
            (("questionnaires", "q_npc", "scale"), "x", "an unknown scale"),
            (("questionnaires", "q_npc", "items"), [], "no items (or: items not listed)"),
            (("questionnaires", "q_npc", "foo"), 1, "an unknown key"),
            (("groups", "public", "weight"), "x", "a text weight"),
            (("groups", "tourists"), {"weight": 0.1}, "a group nobody answered as"),
            (("rules", "min_seconds_per_item"), "x", "a text time"),
            (("rules", "unmarked"), "x", "a text switch"),
            (("rules", "unmarked"), "是", "是 as a switch"),
            (("rules", "foo"), True, "an unknown rule")]:
        yp = yaml_path((*S, *path))
        edit(f"survey_{'_'.join(map(str, path))}_{re.sub(r'[^A-Za-z0-9]+', '_', str(value))}",
             f"{yp}: {value!r} ({what})", yp, setter((*S, *path), value),
             None if value in ("是", []) else False, where=(yaml_path((*S, *path[:-1])),),
             context="survey")
    S = ("sources", "peer")
    for key, value in [("min_raters", "x"), ("min_raters", 1.5), ("min_raters", 0),
                       ("min_raters", 1000), ("scheme", "x"), ("params", {"k": "x"}),
                       ("params", {"k": -1}), ("params", {"k": 1.5}), ("params", {"k": 100}),
                       ("params", {"kk": 1}), ("grades", {"优秀": "x"}), ("grades", {}),
                       ("grades", {"优秀": math.nan}), ("missing_labels", "x"),
                       ("validity", {"min_items": 0}), ("validity", {"min_items": "x"}),
                       ("validity", {"max_share": {"优秀": 2}}), ("scale", [100, 0]),
                       ("self_rating", "x"), ("round", "x"), ("round", 99), ("table", "nowhere"),
                       ("foo", 1)]:
        slug = f"peer_{key}_{re.sub(r'[^A-Za-z0-9]+', '_', str(value))[:20]}"
        where = _source_where("peer", key)
        if value in (1000, 99):   # well-typed, but no unit or rating qualifies
            where = (*where, "sources.peer", "peer_ratings.csv")
        # k: 100 trims every rating: the scheme's stated fallback is the plain mean
        edit(slug, f"sources.peer.{key}: {value!r}", f"sources.peer.{key}",
             setter((*S, key), value), None if value == {"k": 100} else False, where=where,
             context="peer")
    for name in ("mean", "median", "winsorized_mean", "zscore", "borda", "vancouver"):
        edit(f"peer_scheme_{name}", f"sources.peer.scheme: {name} (its default parameters)",
             "sources.peer.scheme", lambda d, n=name: (d.spec["sources"]["peer"].update(
                 scheme=n), d.spec["sources"]["peer"].pop("params")), None, context="peer")
    return out


def spec_cases(corpus: Corpus, city: City) -> None:
    """:func:`numeric_leaves`, :func:`spec_edits` and the spec file's text."""
    numeric_leaves(corpus, city)
    for e in spec_edits(city):
        corpus.add(Case(f"spec:{e.target}/{e.slug}", f"spec: {e.what}", e.target, e.where,
                        e.corrupt, e.expect, e.same, e.context))
    spec_text(corpus, city)


def _insert_after(text: str, pattern: str | None, new_line: str) -> tuple[str, int]:
    """Insert ``new_line`` after the first line matching ``pattern`` (None: at the end);
    return the text and the (1-based) number of the inserted line."""
    lines = text.rstrip("\n").split("\n")
    k = len(lines) - 1 if pattern is None else next(
        n for n, line in enumerate(lines) if re.search(pattern, line))
    lines.insert(k + 1, new_line)
    return "\n".join(lines), k + 2


def spec_text(corpus: Corpus, city: City) -> None:
    """The spec file itself: encodings, YAML syntax, duplicate keys, empty, missing."""
    name = "demo.yaml"
    text = Draft(city, "core").spec_text()

    def add(slug: str, what: str, corrupt: Corrupt, expect: bool | None = False,
            where: tuple[str, ...] = (name,), same: bool = False) -> None:
        corpus.add(Case(f"spec:file/{slug}", f"the spec file: {what}", name, where, corrupt,
                        expect, same, "core"))

    def raw(blob: Callable[[str], bytes]) -> Corrupt:
        def corrupt(d: Draft) -> None:
            d.spec_bytes = blob(d.spec_text())
        return corrupt

    add("gbk", "saved as GBK", raw(lambda t: t.encode("gbk")))
    add("gb18030", "saved as GB18030", raw(lambda t: t.encode("gb18030")))
    add("utf16", "saved as UTF-16 with BOM", raw(lambda t: t.encode("utf-16")))
    add("utf16le", "saved as UTF-16-LE without BOM", raw(lambda t: t.encode("utf-16-le")))
    add("utf8_bom", "saved as UTF-8 with BOM", raw(lambda t: t.encode("utf-8-sig")), True,
        same=True)
    add("crlf", "Windows line endings", raw(lambda t: t.replace("\n", "\r\n").encode()), True,
        same=True)
    add("json", "written as JSON (valid YAML)",
        lambda d: setattr(d, "spec_bytes", __import__("json").dumps(
            d.spec, ensure_ascii=False).encode()), True, same=True)
    add("empty", "an empty file", raw(lambda t: b""))
    add("list", "a YAML list at the top level", raw(lambda t: b"- a\n- b\n"))
    add("scalar", "a YAML scalar at the top level", raw(lambda t: b"evaluation\n"))
    add("unclosed", "an unclosed bracket", raw(lambda t: re.sub(
        r"periods:\n(  - \d+\n)+", "periods: [2025\n", t).encode()))
    add("tab_indent", "a tab used for indentation", raw(
        lambda t: t.replace("\n  name:", "\n\tname:", 1).encode()))
    add("truncated", "cut off in the middle", raw(lambda t: t[: len(t) // 2].rsplit(
        "\n", 1)[0].encode() + b"\n  - id: [unclosed"))
    add("missing", "the spec file does not exist",
        lambda d: setattr(d, "spec_missing", True))
    add("binary", "binary junk", raw(lambda t: bytes(range(256)) * 4))
    duplicates = [
        ("top", None, "ranking: {decimals: 1}"),
        ("evaluation_id", r"^  id: demo", "  id: demo2"),
        ("indicator_target", r"^  target: 6\.5", "  target: 7.5"),
        ("scoring_cap", r"^    cap: 1\.2", "    cap: 9"),
        ("source_weight", r"^    weight: 0\.1$", "    weight: 0.9"),
        ("category_weight", r"^    township: 0\.45", "    township: 0.9"),
        ("data_file", r"^    file: data/leaders\.csv", "    file: data/units.csv"),
    ]
    for slug, pattern, line in duplicates:
        _, lineno = _insert_after(text, pattern, line)

        def corrupt(d: Draft, pattern: str | None = pattern, line: str = line) -> None:
            d.spec_bytes = _insert_after(d.spec_text(), pattern, line)[0].encode("utf-8")

        add(f"duplicate_key_{slug}", f"a key given twice (line {lineno}: {line.strip()})",
            corrupt, False, (f"line {lineno}", f"line {lineno - 1}"))


# ------------------------------------------------------------------------------ corpus
def clean_cases(corpus: Corpus) -> None:
    """The clean city of every context: must run, with the baseline totals."""
    for context in CONTEXTS:
        corpus.add(Case(f"clean/{context}", f"the clean city ({context})", "demo.yaml",
                        ("demo.yaml",), lambda d: None, True, True, context))


def make_corpus(city: City) -> list[Case]:
    """Every case, in a stable order, with unique ids."""
    corpus = Corpus()
    picks = Picks(city)
    clean_cases(corpus)
    number_cells(corpus, city, picks)
    unit_ids(corpus, city, picks)
    other_ids(corpus, city, picks)
    zero_padded(corpus, city)
    periods(corpus, city, picks)
    booleans(corpus, city, picks)
    months(corpus, city, picks)
    labels(corpus, city, picks)
    text_cells(corpus, city, picks)
    headers(corpus, city)
    files(corpus, city, picks)
    values_layout(corpus, city, picks)
    unit_names(corpus, city)
    spec_cases(corpus, city)
    return corpus.cases


# -------------------------------------------------------------------------- classifier
_ID_IN_PATH = re.compile(r"\] \([^()]*\)")


def names_location(message: str, where: Sequence[str]) -> bool:
    """Whether an error message names one of ``where`` (evalkit's ``indicators[3] (D04)``
    YAML paths match ``indicators[3]``)."""
    plain = _ID_IN_PATH.sub("]", message)
    return any(w in message or w in plain for w in where)


_ROWS = re.compile(r"\brows? (\d+(?:, \d+)*)")


def names_excel_row(message: str, row: int) -> bool:
    """Whether ``message`` names ``row`` (``row 7``, or among ``rows 2, 7, 9``).

    >>> names_excel_row("x.csv: a leader rates a unit twice in rows 2, 3", 3)
    True
    >>> names_excel_row("x.csv, row 12, column 'value': ...", 2)
    False
    """
    return any(str(row) in m.split(", ") for m in _ROWS.findall(message))


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Timeout(f"the case took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _short(err: BaseException, limit: int = 600) -> str:
    text = f"{type(err).__name__}: {err}"
    return text if len(text) <= limit else text[:limit] + " …"


def check_results(res: Any, case: Case, baseline: Baseline | None,
                  unit_map: dict[str, str] | None = None,
                  periods: Sequence[Any] | None = None) -> str:
    """Why a run's results are silently wrong ("" when they are finite and complete).

    ``unit_map`` renames the baseline's unit ids to the case's (for relabelled cities);
    ``periods`` are those the case's spec evaluates (the baseline's others are not expected).
    """
    tables = getattr(res, "tables", {})
    tot = tables.get("totals")
    if tot is None or "total" not in getattr(tot, "columns", ()):
        return "no totals table"
    total = pd.to_numeric(tot["total"], errors="coerce").to_numpy(dtype=float)
    if len(total) == 0:
        return "the totals table is empty"
    if not np.isfinite(total).all():
        return f"{int((~np.isfinite(total)).sum())} non-finite totals"
    if (np.abs(total) > ABSURD).any():
        return f"absurd totals (max |total| {np.abs(total).max():.3g})"
    for col in tot.columns:
        if tot[col].dtype == object or pd.api.types.is_string_dtype(tot[col]):
            bad = tot[col].astype(str).str.contains(ILLEGAL_XLSX, regex=True, na=False)
            if bad.any():
                return f"totals.{col} holds a control character no workbook can store"
    if baseline is None:
        return ""
    key = tot.assign(period=tot["period"].astype(str), unit_id=tot["unit_id"].astype(str))
    base = baseline.totals
    if periods:
        base = base[base["period"].isin({str(p) for p in periods})]
    if unit_map:
        base = base.assign(unit_id=base["unit_id"].map(unit_map).fillna(base["unit_id"]))
    merged = base.merge(key, on=["period", "unit_id"], how="left", suffixes=("", "_case"),
                        indicator=True)
    gone = merged["_merge"] == "left_only"
    if gone.any():
        lost = merged.loc[gone, ["period", "unit_id"]].astype(str).agg(" ".join, axis=1)
        return f"{int(gone.sum())} unit-periods vanished from the totals ({', '.join(lost[:4])})"
    for s in baseline.sources:
        col = f"{s}_case" if f"{s}_case" in merged.columns else None
        if col is None:
            return f"the {s} source vanished from the totals"
        lost_mask = merged[s].notna() & pd.to_numeric(merged[col], errors="coerce").isna()
        if lost_mask.any():
            return (f"the {s} source lost its score for {int(lost_mask.sum())} unit-periods "
                    f"(e.g. {merged.loc[lost_mask, 'unit_id'].iloc[0]} "
                    f"{merged.loc[lost_mask, 'period'].iloc[0]})")
    if case.same:
        diff = np.abs(merged["total"].to_numpy(float)
                      - pd.to_numeric(merged["total_case"], errors="coerce").to_numpy(float))
        if not np.all(diff <= 1e-6):
            k = int(np.nanargmax(diff))
            return (f"the input means the same as the clean one, but {int((diff > 1e-6).sum())} "
                    f"totals changed (e.g. {merged['unit_id'].iloc[k]} "
                    f"{merged['period'].iloc[k]}: {merged['total'].iloc[k]:.4g} → "
                    f"{merged['total_case'].iloc[k]:.4g})")
    return ""


_READS: dict[tuple[Any, ...], pd.DataFrame] = {}


def share_clean_reads() -> None:
    """Read each untouched file of the clean city once per process.

    A case links the files it does not corrupt to the clean ones (:meth:`Draft.write`);
    reading such a link again gives the same table, so :func:`evalkit.inputs.tables`'s reader
    is wrapped to return a copy of the first read (with the case's own path in ``attrs``).
    A file a case writes (a corruption) is no link and is always read afresh.
    """
    import evalkit.inputs.tables as tables_mod
    from evalkit.inputs.read import where

    real = tables_mod.read_table
    if getattr(real, "shared", False):
        return

    def read_table(path: Any, sheet: Any = None, columns: Any = None, encoding: Any = None,
                   *args: Any, **kwargs: Any) -> pd.DataFrame:
        path = Path(path)
        if args or kwargs or not path.is_symlink():
            return real(path, sheet, columns, encoding, *args, **kwargs)
        target = path.resolve()
        stat = target.stat()
        key = (str(target), stat.st_mtime_ns, stat.st_size, sheet,
               tuple(sorted((columns or {}).items())), encoding)
        if key not in _READS:
            _READS[key] = real(path, sheet, columns, encoding)
        df = _READS[key].copy(deep=True)
        df.attrs = {**_READS[key].attrs, "source": where(path, sheet), "path": str(path)}
        return df

    read_table.shared = True  # type: ignore[attr-defined]
    tables_mod.read_table = read_table  # type: ignore[assignment]


def _clear(folder: Path) -> None:
    """Empty a case folder for reuse (unlinking files is much cheaper than removing and
    creating folders); links are removed, never followed."""
    for sub in (folder / "data", folder):
        if sub.is_dir():
            for entry in os.scandir(sub):
                if entry.is_symlink() or entry.is_file():
                    os.unlink(entry.path)
                elif entry.name != "data":
                    shutil.rmtree(entry.path)


def _validate_and_build(spec_path: Path, where: Sequence[str]) -> tuple[str, str, Any, Any]:
    """Validate the spec at ``spec_path`` and, if that passed, build it: ``(outcome, detail,
    results, spec)``, the outcome ``ok_finite`` until the results are checked."""
    from evalkit.core.errors import EvalkitError
    from evalkit.run import build
    from evalkit.validate import validate

    with _quiet(), _time_limit(CASE_TIMEOUT):
        try:
            spec, tables = validate(spec_path)
        except EvalkitError as err:
            named = names_location(str(err), where)
            return ("error_named" if named else "error_misplaced"), _short(err), None, None
        except BaseException as err:  # the classification itself
            if isinstance(err, KeyboardInterrupt):
                raise
            return "traceback", f"in validate: {_short(err)}", None, None
        try:
            res = build(spec, tables)
        except EvalkitError as err:
            return "validate_ok_run_failed", _short(err), None, spec
        except BaseException as err:
            if isinstance(err, KeyboardInterrupt):
                raise
            return "traceback", f"in run: {_short(err)}", None, spec
    return "ok_finite", "", res, spec


def run_case(city: City, case: Case, workdir: Path | None = None) -> Outcome:
    """Write ``case`` into a folder, validate it, build it, classify the outcome.

    ``workdir`` is a worker's own folder, reused case after case (default: a new temporary
    folder, removed afterwards). A clean city (``clean/<context>``) was run as its context's
    baseline: its outcome is the baseline's."""
    start, cpu = time.perf_counter(), time.process_time()
    if case.id == f"clean/{case.context}" and case.context in city.baselines:
        err = city.baseline_errors.get(case.context, "")
        outcome, _, detail = err.partition(": ") if err else ("ok_finite", "", "")
        return Outcome(case.id, outcome, detail, 0.0, case.accepts(outcome))
    share_clean_reads()
    own = workdir is None
    folder = Path(tempfile.mkdtemp(dir=city.root, prefix="case-")) if own else workdir / "case"
    _clear(folder)
    outcome, detail = "traceback", ""
    try:
        draft = Draft(city, case.context)
        case.corrupt(draft)
        spec_path = draft.write(folder)
        outcome, detail, res, spec = _validate_and_build(spec_path, case.where)
        if outcome == "ok_finite":
            why = check_results(res, case, city.baselines.get(case.context),
                                draft.unit_map, spec.evaluation.periods)
            outcome, detail = ("silent_wrong", why) if why else ("ok_finite", "")
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
    names_row = names_excel_row(detail, case.row) if (outcome == "error_named" and case.row
                                                      and case.row > 1) else None
    return Outcome(case.id, outcome, detail, time.perf_counter() - start,
                   case.accepts(outcome), time.process_time() - cpu, names_row)


# ---------------------------------------------------------------------------- running
_WORKER: dict[str, Any] = {}


def _worker_init(city: City) -> None:
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = WORKER_MEMORY if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _WORKER["city"] = city
    _WORKER["cases"] = make_corpus(city)
    _WORKER["workdir"] = Path(tempfile.mkdtemp(dir=city.root, prefix=f"worker{os.getpid()}-"))


def _worker_baseline(context: str) -> tuple[str, tuple[Baseline | None, str]]:
    return context, _baseline(_WORKER["city"], context)


def _worker_run(job: tuple[list[int], dict[str, tuple[Baseline | None, str]]]
                ) -> list[Outcome]:
    indices, runs = job
    city = _WORKER["city"]
    if not city.baselines:
        set_baselines(city, runs)
    return [run_case(city, _WORKER["cases"][i], _WORKER["workdir"]) for i in indices]


def run_corpus(city: City, cases: Sequence[Case], workers: int | None = None,
               indices: Sequence[int] | None = None, chunk: int = 4) -> list[Outcome]:
    """Run ``cases`` (all, or those at ``indices``) on ``workers`` processes (default: one per
    core), after the baselines of every context (if the city has none yet); outcomes in the
    order of the cases run."""
    idx = list(range(len(cases))) if indices is None else list(indices)
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(idx) < 8:
        if not city.baselines:
            set_baselines(city, {c: _baseline(city, c) for c in CONTEXTS})
        workdir = Path(tempfile.mkdtemp(dir=city.root, prefix="worker-"))
        return [run_case(city, cases[i], workdir) for i in idx]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=_worker_init, initargs=(city,)) as pool:
        if not city.baselines:   # heaviest first, so the two workers finish together
            order = sorted(CONTEXTS, key=lambda c: (-len(CONTEXTS[c].sources),
                                                    CONTEXTS[c].dataset != "two"))
            set_baselines(city, dict(pool.map(_worker_baseline, order, chunksize=1)))
        runs = {c: (city.baselines.get(c), city.baseline_errors.get(c, "")) for c in CONTEXTS}
        jobs = [(idx[k:k + chunk], runs) for k in range(0, len(idx), chunk)]
        return [o for part in pool.map(_worker_run, jobs, chunksize=1) for o in part]


def summarise(outcomes: Sequence[Outcome]) -> Counter[str]:
    """Counts by outcome class."""
    return Counter(o.outcome for o in outcomes)
