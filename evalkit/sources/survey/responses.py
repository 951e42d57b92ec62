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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, TableError, raise_all
from evalkit.sources.survey.codebook import Codebook, normalise_code

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


def encode(df: pd.DataFrame, codebook: Codebook, units: Sequence[Any] | pd.Index | None = None,
           table: str = "survey_responses") -> Encoded:
    """Check ``df`` against ``codebook`` (and the known ``units``) and encode it.

    Raises
    ------
    TableError / ProblemList
        Missing columns; empty ids; units, groups, questionnaires or items not in the spec;
        unknown answer codes; negative, missing or inconsistent survey weights; a ballot
        whose group, questionnaire or respondent changes between rows.
    """
    problems: list[EvalkitError] = []
    missing = [c for c in REQUIRED if c not in df.columns]
    if "ballot_id" not in df.columns and "respondent_id" not in df.columns:
        missing.append("ballot_id (or respondent_id)")
    if missing:
        raise TableError(f"missing column(s) {missing}; expected {list(REQUIRED)} and ballot_id "
                         "or respondent_id (optional: weight, timestamp, started, box, period)",
                         table)
    rows = (df["_row"].to_numpy(dtype=np.int64) if "_row" in df.columns
            else np.arange(len(df), dtype=np.int64) + 2)

    def col_problem(mask: np.ndarray, col: str, msg: str) -> None:
        problems.append(TableError(f"{msg} in {rows_text(rows[mask])}",
                                   f"{table}, column {col!r}"))

    enc: dict[str, Any] = {}
    for col in ("unit_id", "group", "questionnaire", "item"):
        codes, uniq = _factorize(df[col])
        if (codes < 0).any():
            col_problem(codes < 0, col, "empty cell")
        enc[col] = (codes, uniq)
    unit, unit_ix = enc["unit_id"]
    group, group_ix = enc["group"]
    quest, quest_ix = enc["questionnaire"]
    item, item_ix = enc["item"]

    def unknown(codes: np.ndarray, uniq: pd.Index, known: Any, col: str, what: str,
                expected: str) -> None:
        bad_u = ~uniq.isin(list(known))
        if bad_u.any():
            mask = np.isin(codes, np.flatnonzero(bad_u))
            col_problem(mask, col, f"{what} {sorted(uniq[bad_u])[:10]} not in the spec "
                        f"({expected})")

    if units is not None:
        unit_list = pd.Index(units).astype(str)
        unknown(unit, unit_ix, unit_list, "unit_id", "unit(s)", "units table of the period")
        unit_ix_full = unit_list.append(unit_ix[~unit_ix.isin(unit_list)])
        unit = unit_ix_full.get_indexer(unit_ix)[unit] if len(unit_ix) else unit
        unit = np.where(enc["unit_id"][0] < 0, -1, unit)
        unit_ix = unit_ix_full
    if codebook.groups:
        unknown(group, group_ix, codebook.groups, "group", "group(s)",
                f"sources.survey.groups declares {sorted(codebook.groups)}")
    if codebook.questionnaires:
        unknown(quest, quest_ix, codebook.questionnaires, "questionnaire", "questionnaire(s)",
                f"sources.survey.questionnaires declares {sorted(codebook.questionnaires)}")

    # questionnaire × item pairs and their scales
    pair = quest * max(len(item_ix), 1) + item
    qi_codes, qi_uniq = pd.factorize(pair, sort=True)
    qi_codes = qi_codes.astype(np.int64)
    qi_q = qi_uniq // max(len(item_ix), 1)
    qi_i = qi_uniq % max(len(item_ix), 1)
    qitems = pd.DataFrame({"questionnaire": quest_ix[qi_q] if len(quest_ix) else [],
                           "item": item_ix[qi_i] if len(item_ix) else []})
    scale_names = list(codebook.scales)
    qscale = []
    for i, (q, it) in enumerate(zip(qitems["questionnaire"], qitems["item"], strict=True)):
        qdef = codebook.questionnaires.get(q)
        if qdef is None:
            qscale.append(codebook.default_scale)
            continue
        if qdef.items and it not in qdef.items:
            col_problem(qi_codes == i, "item", f"item {it!r} not declared for questionnaire "
                        f"{q!r} (sources.survey.questionnaires.{q}.items: {sorted(qdef.items)})")
        qscale.append(qdef.scale_of(it))
    qitems["scale"] = qscale
    labels = [codebook.questionnaires[q].items.get(it, ("", it, it))[1:]
              if q in codebook.questionnaires else (it, it)
              for q, it in zip(qitems["questionnaire"], qitems["item"], strict=True)]
    qitems["label"] = [zh for zh, _ in labels]
    qitems["label_en"] = [en for _, en in labels]
    row_scale = (np.array([scale_names.index(s) for s in qscale], dtype=np.int64)[qi_codes]
                 if len(qscale) else np.zeros(len(df), dtype=np.int64))

    # answers: factorize raw values, then map (scale, code) pairs through the codebook
    a_codes, a_uniq = pd.factorize(df["answer"], sort=False)
    a_norm = [normalise_code(x) for x in a_uniq]
    n_a = len(a_norm) + 1
    a_codes = np.where(a_codes < 0, len(a_norm), a_codes)  # NaN → the extra "blank" slot
    a_norm.append("")
    key = row_scale * n_a + a_codes
    k_codes, k_uniq = pd.factorize(key, sort=False)
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
            mask = k_codes == j
            col_problem(mask, "answer", f"unknown answer code {code!r} for scale {scale.name!r} "
                        f"(expected one of {[a.code for a in scale.answers]}, or blank)")
            continue
        ans = scale.answers[idx]
        kind_u[j] = DONT_KNOW if ans.dont_know else SUBSTANTIVE
        if not ans.dont_know:
            pts_u[j] = ans.points
            sat_u[j] = float(ans.satisfied)
            aid_u[j] = s_i * max_answers + idx

    # ballots
    has_ballot = "ballot_id" in df.columns
    keys = ["period"] if "period" in df.columns else []
    keys += ["ballot_id"] if has_ballot else ["questionnaire", "respondent_id"]
    if has_ballot and df["ballot_id"].isna().any():
        col_problem(df["ballot_id"].isna().to_numpy(), "ballot_id", "empty ballot_id")
    if "respondent_id" in df.columns and not has_ballot and df["respondent_id"].isna().any():
        col_problem(df["respondent_id"].isna().to_numpy(), "respondent_id",
                    "empty respondent_id (and no ballot_id column)")
    combined = np.zeros(len(df), dtype=np.int64)
    labels: list[tuple[np.ndarray, np.ndarray]] = []
    for col in keys:
        c, u = pd.factorize(df[col], sort=False)
        combined = combined * (len(u) + 1) + (c + 1)
        labels.append((c, np.asarray(pd.Index(u).astype(str), dtype=object)))
    ballot, _ = pd.factorize(combined, sort=False)
    ballot = np.asarray(ballot, dtype=np.int64)
    b_first = np.unique(ballot, return_index=True)[1].astype(np.int64)
    firsts = [u[np.maximum(c[b_first], 0)] for c, u in labels]
    ballots = pd.Index(firsts[-1] if has_ballot else ["/".join(t) for t in zip(*firsts,
                                                                                strict=True)])
    nb = len(ballots)

    # weights
    weighted = "weight" in df.columns
    if weighted:
        w = pd.to_numeric(df["weight"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(w)
        if bad.any():
            col_problem(bad, "weight", "missing or non-numeric survey weight")
        neg = np.isfinite(w) & (w < 0)
        if neg.any():
            col_problem(neg, "weight", f"negative survey weight {sorted(set(w[neg]))[:5]}")
        w = np.where(np.isfinite(w) & (w >= 0), w, 0.0)
    else:
        w = np.ones(len(df))

    # one ballot: one group, one questionnaire, one respondent, one weight, one box
    first = b_first
    valid_b = ballot >= 0
    resp = None
    if "respondent_id" in df.columns:
        r_codes, r_uniq = pd.factorize(df["respondent_id"], sort=False)
        resp = r_codes.astype(np.int64)
    checks: list[tuple[str, np.ndarray]] = [("group", group), ("questionnaire", quest)]
    if resp is not None:
        checks.append(("respondent_id", resp))
    if weighted:
        checks.append(("weight", w))
    box_codes = None
    if "box" in df.columns:
        box_codes, box_uniq = pd.factorize(df["box"].astype(str), sort=False)
        checks.append(("box", box_codes))
    for col, arr in checks:
        ref = arr[first][ballot]
        diff = valid_b & (arr != ref)
        if diff.any():
            bids = sorted(set(ballots[ballot[diff]]))[:5]
            col_problem(diff, col, f"ballot(s) {bids} change {col} between rows (one ballot is "
                        "one respondent's questionnaire)")

    # timestamps
    start = np.full(nb, np.nan)
    end = np.full(nb, np.nan)
    if "timestamp" in df.columns:
        ts = _seconds(df["timestamp"])
        if "started" in df.columns:
            st = _seconds(df["started"])
        else:
            st = ts
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

    raise_all(problems, f"problems in {table}")
    kind = kind_u[k_codes]
    return Encoded(
        table=table, rows=rows, units=unit_ix, groups=group_ix, questionnaires=quest_ix,
        qitems=qitems, unit=unit, group=group, questionnaire=quest, qitem=qi_codes,
        ballot=ballot, kind=kind, answer_id=aid_u[k_codes], points=pts_u[k_codes],
        sat=sat_u[k_codes], ballots=ballots,
        ballot_respondent=(np.asarray(r_uniq.astype(str), dtype=object)[resp[first]]
                           if resp is not None else np.full(nb, None, dtype=object)),
        ballot_group=group[first], ballot_questionnaire=quest[first], ballot_weight=w[first],
        ballot_first_row=first, ballot_start=start, ballot_end=end,
        ballot_box=(np.asarray(box_uniq, dtype=object)[box_codes[first]]
                    if box_codes is not None else None),
        weighted=weighted)


def _seconds(s: pd.Series) -> np.ndarray:
    """Datetimes (or numbers of seconds) as float seconds; NaN where missing."""
    if pd.api.types.is_numeric_dtype(s):
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    t = pd.to_datetime(s, errors="coerce")
    out = t.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float) / 1e9
    out[t.isna().to_numpy()] = np.nan
    return out
