"""Ballot rules: which returned ballots count, with a reason code for each one that does not.

Rules (``sources.survey.rules``; defaults in :data:`DEFAULT_RULES`), applied in this order,
one reason per excluded ballot (the first that applies):

===================  =====================================================  ==============
reason code          rule                                                   default
===================  =====================================================  ==============
box_overreturned     more ballots returned than issued for a box: every     on (needs the
                     ballot of that box is void (收回票数多于发出票数)          issued table)
unmarked             no answer marked at all: an abstention (弃权), counted  on
repeated_item        the same unit and item answered twice on one ballot    always
duplicate            a second ballot of the same respondent and              on
                     questionnaire (the earliest is kept)
identical_answers    every answered item has the same answer (at least      off
                     ``identical_min_items`` items)
too_fast             less than ``min_seconds_per_item`` seconds per item     off
                     (needs timestamps)
===================  =====================================================  ==============

Blank items and don't-know answers on a valid ballot are not ballot rules: they are left out of
the denominator and counted per cell. Every excluded ballot is a row of the audit table.

The careless-response flags of :mod:`evalkit.sources.survey.quality` (straight-lining, duplicate
respondent, duplicate content, too fast) are computed for every ballot whether or not a rule
excludes it, so an office can see what a stricter rule would remove.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import Field

from evalkit.core.errors import EvalkitError, TableError, raise_all
from evalkit.core.labels import t
from evalkit.sources.survey.responses import BLANK, DONT_KNOW, SUBSTANTIVE, Encoded, rows_text
from evalkit.spec.sections import Strict

#: The reason codes, in the order the rules apply; labels ``survey_reason_<code>`` in
#: :data:`evalkit.core.labels.LABELS` (read by :func:`reason_label`).
REASONS: tuple[str, ...] = ("box_overreturned", "unmarked", "repeated_item", "duplicate",
                            "identical_answers", "too_fast")

_Count = Annotated[float, Field(ge=0)]


class Rules(Strict):
    """``sources.survey.rules``: which rules apply, and their thresholds (see the module
    docstring)."""

    unmarked: bool = True
    overreturn: bool = True
    duplicates: bool = True
    identical_answers: bool = False
    identical_min_items: _Count = 5
    copy_min_items: _Count = 10
    too_fast: bool = False
    min_seconds_per_item: _Count = 2.0


DEFAULT_RULES: dict[str, Any] = Rules().model_dump()

BOX_KEYS = ("questionnaire", "group", "box")


def reason_label(code: str, lang: str = "zh") -> str:
    """The label of an exclusion reason in ``lang``.

    >>> reason_label("unmarked", "en")
    'unmarked ballot: an abstention'
    """
    return t(f"survey_reason_{code}", lang)


@dataclass
class BallotOutcome:
    """Per-ballot table, the audit of excluded ballots, the box summary, and ``keep``."""

    ballots: pd.DataFrame
    audit: pd.DataFrame
    boxes: pd.DataFrame
    keep: np.ndarray  # bool per ballot (Encoded.ballots order)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a well-spread 64-bit hash of integers."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def ballot_features(enc: Encoded, rules: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One row per ballot: counts, timing and careless-response flags (no exclusion yet)."""
    r = {**DEFAULT_RULES, **(rules or {})}
    nb, b = enc.n_ballots, enc.ballot
    n_rows = np.bincount(b, minlength=nb)
    n_blank = np.bincount(b, weights=enc.kind == BLANK, minlength=nb).astype(np.int64)
    n_dk = np.bincount(b, weights=enc.kind == DONT_KNOW, minlength=nb).astype(np.int64)
    sub = enc.kind == SUBSTANTIVE
    n_sub = n_rows - n_blank - n_dk
    # distinct substantive answers per ballot
    k_aid = int(enc.answer_id.max()) + 2 if len(b) else 1
    pairs = pd.unique(b[sub] * k_aid + enc.answer_id[sub])
    n_distinct = np.bincount(pairs // k_aid, minlength=nb)
    # the same unit and item twice on one ballot
    nq = max(len(enc.qitems), 1)
    cell = (b * max(len(enc.units), 1) + enc.unit) * nq + enc.qitem
    rep_rows = pd.Series(cell).duplicated(keep=False).to_numpy()
    repeated = np.bincount(b[rep_rows], minlength=nb) > 0
    # content hash (order-free) of (unit, item, answer) over the ballot's rows
    code = np.where(sub, enc.answer_id, -1 - enc.kind.astype(np.int64))
    h = _mix((enc.unit * nq + enc.qitem) * (k_aid + 4) + code + 3)
    content = np.zeros(nb, dtype=np.uint64)
    np.add.at(content, b, h)
    seconds = enc.ballot_end - enc.ballot_start
    known = np.isfinite(seconds) & (seconds > 0)
    per_item = np.where(known, seconds / np.maximum(n_rows - n_blank - 1, 1), np.nan)

    g = enc.groups.to_numpy(dtype=object)
    q = enc.questionnaires.to_numpy(dtype=object)
    out = pd.DataFrame({
        "ballot_id": enc.ballots.to_numpy(dtype=object),
        "respondent_id": enc.ballot_respondent,
        "questionnaire": q[enc.ballot_questionnaire] if len(q) else [],
        "group": g[enc.ballot_group] if len(g) else [],
    })
    if enc.ballot_box is not None:
        out["box"] = enc.ballot_box
    out["row"] = enc.rows[enc.ballot_first_row] if nb else []
    out["weight"] = enc.ballot_weight
    out["n_answers"] = n_rows
    out["n_substantive"] = n_sub
    out["n_dont_know"] = n_dk
    out["n_blank"] = n_blank
    out["n_distinct"] = n_distinct
    out["seconds"] = np.where(known, seconds, np.nan)
    out["seconds_per_item"] = per_item
    out["flag_straight_lining"] = (n_sub >= int(r["identical_min_items"])) & (n_distinct == 1)
    out["flag_too_fast"] = known & (per_item < float(r["min_seconds_per_item"]))
    out["flag_repeated_item"] = repeated
    out["_content"] = content
    out["_end"] = np.where(np.isfinite(enc.ballot_end), enc.ballot_end, np.inf)
    # a copy of another ballot's varied answers (all-identical ballots are not copies)
    varied = (n_sub >= int(r["copy_min_items"])) & (n_distinct > 1)
    dup_c = out.loc[varied].duplicated(["questionnaire", "_content", "n_answers"], keep=False)
    out["flag_duplicate_content"] = False
    out.loc[dup_c.index[dup_c.to_numpy()], "flag_duplicate_content"] = True
    out["flag_duplicate_respondent"] = False
    return out


def apply_rules(enc: Encoded, rules: Mapping[str, Any] | None = None,
                issued: pd.DataFrame | None = None, issued_table: str = "survey_issued"
                ) -> BallotOutcome:
    """Apply the ballot rules; return the per-ballot table, audit, boxes and the kept mask.

    Parameters
    ----------
    enc : Encoded
        Responses of one period (from :func:`evalkit.sources.survey.responses.encode`).
    rules : mapping, optional
        Overrides of :data:`DEFAULT_RULES`.
    issued : DataFrame, optional
        Ballots issued per box: ``issued`` and one or more of ``questionnaire``, ``group``,
        ``box`` (the box key). Needed for the over-return rule.

    Raises
    ------
    TableError
        The issued table lacks columns, has negative or non-numeric counts, repeats a box, or
        misses a box that has returned ballots.
    """
    r = {**DEFAULT_RULES, **(rules or {})}
    f = ballot_features(enc, r)
    boxes, box_of = _boxes(f, issued, issued_table)
    reason, detail = _exclusions(f, r, boxes, box_of, issued is not None)
    keep = reason == ""
    f["status"] = np.where(keep, "valid", "excluded")
    f["reason"] = reason
    f["detail"] = detail
    f = f.drop(columns=["_content", "_end"])

    def per_box(mask: np.ndarray) -> np.ndarray:
        return np.bincount(box_of[mask], minlength=len(boxes))

    boxes["valid"] = per_box(keep)
    boxes["unmarked"] = per_box(reason == "unmarked")
    boxes["excluded"] = per_box(~keep)
    boxes["void"] = (boxes["returned"] > boxes["issued"]).fillna(False).astype(bool) \
        if r["overreturn"] else False
    with np.errstate(invalid="ignore", divide="ignore"):
        boxes["return_rate"] = boxes["returned"] / boxes["issued"]
    return BallotOutcome(f, _audit(f, keep), boxes, keep)


def _exclusions(f: pd.DataFrame, r: Mapping[str, Any], boxes: pd.DataFrame, box_of: np.ndarray,
                has_issued: bool) -> tuple[np.ndarray, np.ndarray]:
    """The reason code (``''``: valid) and detail of each ballot: the first rule that applies.

    Also sets ``f['flag_duplicate_respondent']`` (a later ballot of a respondent whose earlier
    ballot no other rule excludes), whether or not the duplicates rule is on.
    """
    nb = len(f)
    reason = np.full(nb, "", dtype=object)
    detail = np.full(nb, "", dtype=object)

    def mark(mask: np.ndarray, code: str, text: np.ndarray | str = "") -> None:
        m = mask & (reason == "")
        reason[m] = code
        detail[m] = text[m] if isinstance(text, np.ndarray) else text

    if r["overreturn"] and has_issued:
        over = boxes["returned"].to_numpy() > boxes["issued"].to_numpy(float, na_value=np.inf)
        det = (("returned " + boxes["returned"].astype(str) + " > issued "
                + boxes["issued"].astype("Int64").astype(str)).to_numpy(dtype=object))
        mark(over[box_of], "box_overreturned", det[box_of])
    if r["unmarked"]:
        mark(f["n_blank"].to_numpy() == f["n_answers"].to_numpy(), "unmarked")
    mark(f["flag_repeated_item"].to_numpy(), "repeated_item")
    dmask, kept_text = _later_ballots(f, reason == "")
    f["flag_duplicate_respondent"] = dmask
    if r["duplicates"] and dmask.any():
        mark(dmask, "duplicate", kept_text)
    if r["identical_answers"]:
        mark(f["flag_straight_lining"].to_numpy(), "identical_answers",
             ("all " + f["n_substantive"].astype(str) + " answers identical").to_numpy(
                 dtype=object))
    if r["too_fast"]:
        mark(f["flag_too_fast"].to_numpy(), "too_fast",
             (f["seconds_per_item"].round(2).astype(str) + " s per item").to_numpy(dtype=object))
    return reason, detail


def _later_ballots(f: pd.DataFrame, standing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Among the ``standing`` ballots with a respondent, all but the earliest of each
    respondent and questionnaire; with the text ``kept ballot <id>`` for each of them."""
    nb = len(f)
    has_resp = f["respondent_id"].notna().to_numpy()
    order = f.assign(_pos=np.arange(nb)).sort_values(["_end", "row"], kind="stable")
    pos = order["_pos"].to_numpy()
    live = order[standing[pos] & has_resp[pos]]
    first = live.groupby(["questionnaire", "respondent_id"], sort=False)["ballot_id"] \
        .transform("first")
    dup = (live["ballot_id"] != first).to_numpy()
    later = live["_pos"].to_numpy()[dup]
    dmask = np.zeros(nb, dtype=bool)
    dmask[later] = True
    text = np.full(nb, "", dtype=object)
    text[later] = ("kept ballot " + first[dup]).to_numpy(object)
    return dmask, text


def _audit(f: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The excluded ballots with their reason, in codes and in words (zh, en)."""
    cols = ["ballot_id", "respondent_id", "questionnaire", "group"] + (
        ["box"] if "box" in f.columns else []) + ["row", "n_answers", "reason", "detail"]
    audit = f.loc[~keep, cols].reset_index(drop=True)
    audit.insert(audit.columns.get_loc("reason") + 1, "reason_zh",
                 audit["reason"].map(lambda c: reason_label(c, "zh")))
    audit.insert(audit.columns.get_loc("reason") + 2, "reason_en",
                 audit["reason"].map(lambda c: reason_label(c, "en")))
    return audit


def _boxes(f: pd.DataFrame, issued: pd.DataFrame | None, table: str
           ) -> tuple[pd.DataFrame, np.ndarray]:
    """Box of each ballot and the box table (issued, returned)."""
    if issued is None:
        keys = ["questionnaire", "group"] + (["box"] if "box" in f.columns else [])
    else:
        problems: list[EvalkitError] = []
        keys = [k for k in BOX_KEYS if k in issued.columns]
        if "issued" not in issued.columns or not keys:
            raise TableError("expected a column 'issued' and one or more of "
                             f"{list(BOX_KEYS)} (the box key); found {list(issued.columns)}",
                             table)
        if "box" in keys and "box" not in f.columns:
            raise TableError("the issued table has a 'box' column but the responses have none",
                             f"{table}, column 'box'")
        irows = (issued["_row"].to_numpy() if "_row" in issued.columns
                 else np.arange(len(issued)) + 2)
        n = pd.to_numeric(issued["issued"], errors="coerce").to_numpy(float, na_value=np.nan)
        bad = ~np.isfinite(n) | (n < 0) | (n != np.round(n))
        if bad.any():
            problems.append(TableError("issued must be a whole number >= 0; found "
                                       f"{issued['issued'].to_numpy()[bad].tolist()[:5]} in "
                                       f"{rows_text(irows[bad])}", f"{table}, column 'issued'"))
        dup = issued.duplicated(keys, keep=False).to_numpy()
        if dup.any():
            problems.append(TableError(f"the same box ({', '.join(keys)}) twice in "
                                       f"{rows_text(irows[dup])}", table))
        raise_all(problems, f"problems in {table}")
    key_df = f[keys].astype(str)
    if issued is None:
        codes, uniq = pd.factorize(pd.MultiIndex.from_frame(key_df), sort=True)
        boxes = pd.DataFrame(list(uniq), columns=keys)
        boxes["issued"] = pd.array([pd.NA] * len(boxes), dtype="Int64")
    else:
        issued = issued.sort_values(keys, kind="stable")  # boxes in key order, not row order
        boxes = issued[keys].astype(str).reset_index(drop=True)
        boxes["issued"] = pd.to_numeric(issued["issued"]).astype("Int64").to_numpy()
        codes = pd.MultiIndex.from_frame(boxes[keys]).get_indexer(
            pd.MultiIndex.from_frame(key_df))
        miss = codes < 0
        if miss.any():
            names = sorted({" / ".join(t) for t in key_df[miss].itertuples(index=False)})
            raise TableError(f"ballots were returned from box(es) {names[:5]} "
                             f"({', '.join(keys)}) that the issued table does not list",
                             table)
    codes = np.asarray(codes, dtype=np.int64)
    returned = np.bincount(codes, minlength=len(boxes))
    boxes.insert(len(keys), "returned", returned)
    boxes = boxes[[*keys, "issued", "returned"]]
    return boxes, codes
