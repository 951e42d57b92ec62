"""Tidy survey responses: check them against the codebook and encode them as integer arrays.

One row per answer::

    period, ballot_id, respondent_id, questionnaire, group, unit_id, item, answer
    [, weight] [, timestamp] [, started] [, box]

``ballot_id`` (one returned form) or ``respondent_id`` is required; without ``ballot_id`` a
ballot is one respondent's questionnaire. ``weight`` is a survey weight per respondent (the
same on every row of a ballot, positive or zero). ``timestamp`` is the time of the answer (or
of submission) and ``started`` the time the form was opened; they drive the too-fast check.
``box`` names the ballot box when several boxes share a questionnaire and group.

Every problem found is reported at once, each naming the table, the rows (as the user sees
them in Excel: the header is row 1) and the column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, ProblemList, TableError, raise_all
from evalkit.inputs.vocabulary import excel_rows, parse_numbers
from evalkit.sources.base import isin_text, split_periods
from evalkit.sources.survey.codebook import Codebook, parse_codebook
from evalkit.sources.survey.scales import normalise_code

REQUIRED = ("unit_id", "group", "questionnaire", "item", "answer")

#: Answer kinds
SUBSTANTIVE, DONT_KNOW, BLANK = 0, 1, 2


def rows_text(rows: np.ndarray, limit: int = 5) -> str:
    """``'row 3'`` or ``'rows 3, 17, 25 (and 12 more)'`` from row numbers."""
    rows = np.asarray(rows)
    head = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" (and {len(rows) - limit} more)" if len(rows) > limit else ""
    return f"row {head}" if len(rows) == 1 else f"rows {head}{more}"


def _factorize(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.int64), pd.Index(uniques).astype(str)


@dataclass
class Encoded:
    """Responses as integer codes; each ``*_codes`` array has one entry per row.

    Ballot-level arrays (``ballot_*``) have one entry per ballot, in the order of
    ``ballots`` (the ballot ids).
    """

    table: str
    rows: np.ndarray  # the row number the user sees (header = 1)
    units: pd.Index
    groups: pd.Index
    questionnaires: pd.Index
    qitems: pd.DataFrame  # questionnaire, item, scale (one row per distinct pair)
    unit: np.ndarray
    group: np.ndarray
    questionnaire: np.ndarray
    qitem: np.ndarray
    ballot: np.ndarray
    kind: np.ndarray  # SUBSTANTIVE, DONT_KNOW, BLANK
    answer_id: np.ndarray  # global answer id (scale × answer), -1 when not substantive
    points: np.ndarray
    sat: np.ndarray
    ballots: pd.Index
    ballot_respondent: np.ndarray  # object array (None when unknown)
    ballot_group: np.ndarray
    ballot_questionnaire: np.ndarray
    ballot_weight: np.ndarray
    ballot_first_row: np.ndarray
    ballot_start: np.ndarray  # float seconds, NaN unknown
    ballot_end: np.ndarray
    ballot_box: np.ndarray | None  # object array of box labels, or None
    weighted: bool

    @property
    def n_ballots(self) -> int:
        return len(self.ballots)


class _Problems:
    """The problems found in one responses table, each naming its rows and column."""

    def __init__(self, table: str, rows: np.ndarray) -> None:
        self.table, self.rows = table, rows
        self.found: list[EvalkitError] = []

    def add(self, mask: np.ndarray, col: str, msg: str) -> None:
        self.found.append(TableError(f"{msg} in {rows_text(self.rows[mask])}",
                                     f"{self.table}, column {col!r}"))

    def unknown(self, codes: np.ndarray, uniq: pd.Index, known: Any, col: str, what: str,
                expected: str) -> None:
        """The rows whose value of ``col`` (codes into ``uniq``) is not among ``known``."""
        bad_u = ~isin_text(uniq, known)
        if bad_u.any():
            mask = np.isin(codes, np.flatnonzero(bad_u))
            self.add(mask, col, f"{what} {sorted(uniq[bad_u])[:10]} not in the spec "
                     f"({expected})")


@dataclass
class _Ids:
    """Integer codes (per row) and labels of the unit, group, questionnaire and item."""

    unit: np.ndarray
    units: pd.Index
    group: np.ndarray
    groups: pd.Index
    quest: np.ndarray
    quests: pd.Index
    item: np.ndarray
    items: pd.Index


def _encode_ids(df: pd.DataFrame, codebook: Codebook, units: Sequence[Any] | pd.Index | None,
                pb: _Problems) -> _Ids:
    """Codes of the id columns, checked for empty cells and against the units and the spec."""
    enc: dict[str, tuple[np.ndarray, pd.Index]] = {}
    for col in ("unit_id", "group", "questionnaire", "item"):
        codes, uniq = _factorize(df[col])
        if (codes < 0).any():
            pb.add(codes < 0, col, "empty cell")
        enc[col] = (codes, uniq)
    ids = _Ids(*enc["unit_id"], *enc["group"], *enc["questionnaire"], *enc["item"])
    if units is not None:
        unit_list = pd.Index(units).astype(str)
        pb.unknown(ids.unit, ids.units, unit_list, "unit_id", "unit(s)",
                   "units table of the period")
        full = unit_list.append(ids.units[~isin_text(ids.units, unit_list)])
        unit = full.get_indexer(ids.units)[ids.unit] if len(ids.units) else ids.unit
        ids.unit = np.where(enc["unit_id"][0] < 0, -1, unit)
        ids.units = full
    if codebook.groups:
        pb.unknown(ids.group, ids.groups, codebook.groups, "group", "group(s)",
                   f"sources.survey.groups declares {sorted(codebook.groups)}")
    if codebook.questionnaires:
        pb.unknown(ids.quest, ids.quests, codebook.questionnaires, "questionnaire",
                   "questionnaire(s)", "sources.survey.questionnaires declares "
                   f"{sorted(codebook.questionnaires)}")
    return ids


def _encode_items(ids: _Ids, codebook: Codebook, n_rows: int, pb: _Problems
                  ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The questionnaire × item pairs with their scales and labels, the pair of each row, and
    the scale of each row (an index into ``codebook.scales``)."""
    ni = max(len(ids.items), 1)
    qi_codes, qi_uniq = pd.factorize(ids.quest * ni + ids.item, sort=True)
    qi_codes = qi_codes.astype(np.int64)
    qitems = pd.DataFrame({"questionnaire": ids.quests[qi_uniq // ni] if len(ids.quests) else [],
                           "item": ids.items[qi_uniq % ni] if len(ids.items) else []})
    pairs = list(zip(qitems["questionnaire"], qitems["item"], strict=True))
    qscale = []
    for i, (q, it) in enumerate(pairs):
        qdef = codebook.questionnaires.get(q)
        if qdef is None:
            qscale.append(codebook.default_scale)
            continue
        if qdef.items and it not in qdef.items:
            pb.add(qi_codes == i, "item", f"item {it!r} not declared for questionnaire {q!r} "
                   f"(sources.survey.questionnaires.{q}.items: {sorted(qdef.items)})")
        qscale.append(qdef.scale_of(it))
    qitems["scale"] = qscale
    labels = [codebook.questionnaires[q].items.get(it, ("", it, it))[1:]
              if q in codebook.questionnaires else (it, it) for q, it in pairs]
    qitems["label"] = [zh for zh, _ in labels]
    qitems["label_en"] = [en for _, en in labels]
    scale_names = list(codebook.scales)
    row_scale = (np.array([scale_names.index(s) for s in qscale], dtype=np.int64)[qi_codes]
                 if len(qscale) else np.zeros(n_rows, dtype=np.int64))
    return qitems, qi_codes, row_scale


def _encode_answers(answers: pd.Series, codebook: Codebook, row_scale: np.ndarray,
                    pb: _Problems) -> tuple[np.ndarray, ...]:
    """Kind, global answer id, points and satisfied (0/1) of each row.

    The raw answers are factorized, then each distinct (scale, code) pair is looked up in the
    codebook once.
    """
    scale_names = list(codebook.scales)
    a_codes, a_uniq = pd.factorize(answers, sort=False)
    a_norm = [normalise_code(x) for x in a_uniq]
    n_a = len(a_norm) + 1
    a_codes = np.where(a_codes < 0, len(a_norm), a_codes)  # NaN → the extra "blank" slot
    a_norm.append("")
    k_codes, k_uniq = pd.factorize(row_scale * n_a + a_codes, sort=False)
    max_answers = max(len(s.answers) for s in codebook.scales.values())
    kind_u = np.empty(len(k_uniq), dtype=np.int8)
    pts_u = np.full(len(k_uniq), np.nan)
    sat_u = np.zeros(len(k_uniq))
    aid_u = np.full(len(k_uniq), -1, dtype=np.int64)
    for j, k in enumerate(k_uniq):
        s_i, a_i = divmod(int(k), n_a)
        code = a_norm[a_i]
        if code == "":
            kind_u[j] = BLANK
            continue
        scale = codebook.scales[scale_names[s_i]]
        idx = scale.codes().get(code)
        if idx is None:
            kind_u[j] = BLANK
            pb.add(k_codes == j, "answer", f"unknown answer code {code!r} for scale "
                   f"{scale.name!r} (expected one of {[a.code for a in scale.answers]}, or blank)")
            continue
        ans = scale.answers[idx]
        kind_u[j] = DONT_KNOW if ans.dont_know else SUBSTANTIVE
        if not ans.dont_know:
            pts_u[j] = ans.points
            sat_u[j] = float(ans.satisfied)
            aid_u[j] = s_i * max_answers + idx
    return kind_u[k_codes], aid_u[k_codes], pts_u[k_codes], sat_u[k_codes]


def _encode_ballots(df: pd.DataFrame, pb: _Problems) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """The ballot of each row, the ballot ids and each ballot's first row.

    A ballot is a ``ballot_id`` (within its period), else one respondent's questionnaire.
    """
    has_ballot = "ballot_id" in df.columns
    keys = ["period"] if "period" in df.columns else []
    keys += ["ballot_id"] if has_ballot else ["questionnaire", "respondent_id"]
    if has_ballot and df["ballot_id"].isna().any():
        pb.add(df["ballot_id"].isna().to_numpy(), "ballot_id", "empty ballot_id")
    if "respondent_id" in df.columns and not has_ballot and df["respondent_id"].isna().any():
        pb.add(df["respondent_id"].isna().to_numpy(), "respondent_id",
               "empty respondent_id (and no ballot_id column)")
    combined = np.zeros(len(df), dtype=np.int64)
    labels: list[tuple[np.ndarray, np.ndarray]] = []
    for col in keys:
        c, u = pd.factorize(df[col], sort=False)
        combined = combined * (len(u) + 1) + (c + 1)
        labels.append((c, np.asarray(pd.Index(u).astype(str), dtype=object)))
    ballot, _ = pd.factorize(combined, sort=False)
    ballot = np.asarray(ballot, dtype=np.int64)
    first = np.unique(ballot, return_index=True)[1].astype(np.int64)
    firsts = [u[np.maximum(c[first], 0)] for c, u in labels]
    ballots = pd.Index(firsts[-1] if has_ballot else ["/".join(t) for t in zip(*firsts,
                                                                                strict=True)])
    return ballot, ballots, first


def _survey_weights(df: pd.DataFrame, pb: _Problems) -> np.ndarray:
    """The survey weight of each row (1 without a ``weight`` column); bad weights count 0."""
    if "weight" not in df.columns:
        return np.ones(len(df))
    parsed = parse_numbers(df["weight"])
    w = parsed.values.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(w)
    if bad.any():
        pb.add(bad, "weight", "missing or non-numeric survey weight"
               + (f" ({parsed.why[parsed.bad][0]})" if parsed.bad.any() else ""))
    neg = np.isfinite(w) & (w < 0)
    if neg.any():
        pb.add(neg, "weight", f"negative survey weight {sorted(set(w[neg]))[:5]}")
    return np.where(np.isfinite(w) & (w >= 0), w, 0.0)


def _check_one_per_ballot(checks: list[tuple[str, np.ndarray]], ballot: np.ndarray,
                          ballots: pd.Index, first: np.ndarray, pb: _Problems) -> None:
    """One ballot: one group, one questionnaire, one respondent, one weight, one box."""
    valid_b = ballot >= 0
    for col, arr in checks:
        diff = valid_b & (arr != arr[first][ballot])
        if diff.any():
            bids = sorted(set(ballots[ballot[diff]]))[:5]
            pb.add(diff, col, f"ballot(s) {bids} change {col} between rows (one ballot is "
                   "one respondent's questionnaire)")


def _ballot_times(df: pd.DataFrame, ballot: np.ndarray, nb: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per ballot: the earliest ``started`` (else ``timestamp``) and the latest ``timestamp``,
    float seconds (NaN unknown)."""
    start = np.full(nb, np.nan)
    end = np.full(nb, np.nan)
    if "timestamp" not in df.columns:
        return start, end
    valid_b = ballot >= 0
    ts = _seconds(df["timestamp"])
    st = _seconds(df["started"]) if "started" in df.columns else ts
    ok = valid_b & np.isfinite(ts)
    if ok.any():
        end_full = np.full(nb, -np.inf)
        np.maximum.at(end_full, ballot[ok], ts[ok])
        end = np.where(np.isfinite(end_full), end_full, np.nan)
    ok = valid_b & np.isfinite(st)
    if ok.any():
        start_full = np.full(nb, np.inf)
        np.minimum.at(start_full, ballot[ok], st[ok])
        start = np.where(np.isfinite(start_full), start_full, np.nan)
    return start, end


def encode(df: pd.DataFrame, codebook: Codebook, units: Sequence[Any] | pd.Index | None = None,
           table: str = "survey_responses") -> Encoded:
    """Check ``df`` against ``codebook`` (and the known ``units``) and encode it.

    Every problem is collected before raising, in the order of the checks: empty ids, ids not
    in the spec, items not declared, unknown answer codes, empty ballot ids, survey weights,
    ballots that change between rows.

    Raises
    ------
    TableError / ProblemList
        Missing columns; empty ids; units, groups, questionnaires or items not in the spec;
        unknown answer codes; negative, missing or inconsistent survey weights; a ballot
        whose group, questionnaire or respondent changes between rows.
    """
    table = df.attrs.get("source") or table
    missing = [c for c in REQUIRED if c not in df.columns]
    if "ballot_id" not in df.columns and "respondent_id" not in df.columns:
        missing.append("ballot_id (or respondent_id)")
    if missing:
        raise TableError(f"missing column(s) {missing}; expected {list(REQUIRED)} and ballot_id "
                         "or respondent_id (optional: weight, timestamp, started, box, period)",
                         table)
    rows = (df["_row"].to_numpy(dtype=np.int64) if "_row" in df.columns
            else np.arange(len(df), dtype=np.int64) + 2)
    pb = _Problems(table, rows)
    ids = _encode_ids(df, codebook, units, pb)
    qitems, qitem, row_scale = _encode_items(ids, codebook, len(df), pb)
    kind, answer_id, points, sat = _encode_answers(df["answer"], codebook, row_scale, pb)
    ballot, ballots, first = _encode_ballots(df, pb)
    w = _survey_weights(df, pb)
    resp = _factorize_column(df, "respondent_id")
    box = _factorize_column(df, "box", as_text=True)
    checks = [("group", ids.group), ("questionnaire", ids.quest)]
    checks += [("respondent_id", resp[0])] if resp is not None else []
    checks += [("weight", w)] if "weight" in df.columns else []
    checks += [("box", box[0])] if box is not None else []
    _check_one_per_ballot(checks, ballot, ballots, first, pb)
    start, end = _ballot_times(df, ballot, len(ballots))
    raise_all(pb.found, f"problems in {table}")
    return Encoded(
        table=table, rows=rows, units=ids.units, groups=ids.groups, questionnaires=ids.quests,
        qitems=qitems, unit=ids.unit, group=ids.group, questionnaire=ids.quest, qitem=qitem,
        ballot=ballot, kind=kind, answer_id=answer_id, points=points, sat=sat, ballots=ballots,
        ballot_respondent=(resp[1][resp[0][first]] if resp is not None
                           else np.full(len(ballots), None, dtype=object)),
        ballot_group=ids.group[first], ballot_questionnaire=ids.quest[first],
        ballot_weight=w[first], ballot_first_row=first, ballot_start=start, ballot_end=end,
        ballot_box=box[1][box[0][first]] if box is not None else None,
        weighted="weight" in df.columns)


def _factorize_column(df: pd.DataFrame, col: str, as_text: bool = False
                      ) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes (in order of appearance, -1 for blanks) and labels (object array) of ``col``."""
    if col not in df.columns:
        return None
    codes, uniq = pd.factorize(df[col].astype(str) if as_text else df[col], sort=False)
    labels = uniq if as_text else pd.Index(uniq).astype(str)
    return codes.astype(np.int64), np.asarray(labels, dtype=object)


def _seconds(s: pd.Series) -> np.ndarray:
    """Datetimes (or numbers of seconds) as float seconds; NaN where missing."""
    if pd.api.types.is_numeric_dtype(s):
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    t = pd.to_datetime(s, errors="coerce")
    out = t.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float) / 1e9
    out[t.isna().to_numpy()] = np.nan
    return out


def check_survey_tables(config: dict[str, Any], tables: Mapping[str, pd.DataFrame],
                        units: pd.DataFrame, periods: list[str]) -> list[EvalkitError]:
    """Every problem of the responses table, for every evaluated period at once (the checks
    of :func:`encode` against the section's codebook, as the ``survey`` source meets them)."""
    key = str(config.get("responses", "survey_responses"))
    cb, found = parse_codebook(config)
    if key not in tables or found:
        return []  # a codebook problem is reported by the section's own validation
    df = tables[key].assign(_row=excel_rows(tables[key]))
    problems: list[EvalkitError] = []
    for rows in split_periods(df, periods):
        try:
            encode(rows, cb, pd.Index(units.index.astype(str)), key)
        except EvalkitError as err:
            problems += err.problems if isinstance(err, ProblemList) else [err]
    return list({str(e): e for e in problems}.values())
