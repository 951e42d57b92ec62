"""Peer-rating input: long ratings, grade maps, "不了解", self-ratings and ballot validity.

A rating table is long, one row per rating::

    period, round, rater_id, rater_unit, rater_group, ratee_id, score | grade

``period`` and ``round`` are optional; ``rater_unit`` is the unit the rater belongs to (blank
for leaders and representatives from outside the rated units); ``rater_group`` is e.g.
``township`` / ``dept`` / ``leader``. Either a numeric ``score`` on ``scale`` or a ``grade``
label mapped to points by ``grades`` (e.g. ``{优秀: 95, 良好: 85, 一般: 75, 较差: 60}``).
Labels in ``missing_labels`` (default ``["不了解"]``, "don't know the unit") are missing
ratings, not zeros.

:func:`prepare_ratings` checks a table and applies the ballot validity rules; a ballot is
one rater's ratings in one period and round. Every excluded rating or ballot is kept in an
audit table with its rule and reason, so the office can publish why a ballot did not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, ProblemList, SpecError, TableError, raise_all
from evalkit.inputs.vocabulary import parse_ids, parse_numbers
from evalkit.sources.base import isin_text, split_periods
from evalkit.sources.peer.schemes import SCHEMES, Design

BALLOT = ["period", "round", "rater_id"]
AUDIT_COLUMNS = ["period", "round", "rater_id", "ratee_id", "rule", "reason", "action"]


@dataclass
class Ratings:
    """Checked ratings of one period: long table, audit, and the matrix view."""

    long: pd.DataFrame
    audit: pd.DataFrame


def _loc(key: str, idx: Any, col: str) -> str:
    try:
        return f"{key}, row {int(idx) + 2}, column {col!r}"
    except (TypeError, ValueError):
        return f"{key}, row {idx}, column {col!r}"


def _long_table(df: pd.DataFrame, grades: Any, key: str) -> pd.DataFrame:
    """A copy of ``df`` with every column of a rating table (defaults filled in), ids as text."""
    d = df.copy()
    need = ["rater_id", "ratee_id", "grade" if grades else "score"]
    miss = [c for c in need if c not in d.columns]
    if miss:
        raise TableError(f"missing column(s) {miss}; expected rater_id, rater_unit, "
                         f"rater_group, ratee_id and {'grade' if grades else 'score'}", key)
    for col, default in (("period", ""), ("round", 1), ("rater_unit", pd.NA),
                         ("rater_group", "all")):
        if col not in d.columns:
            d[col] = default
    for col in ("rater_id", "ratee_id", "rater_unit"):
        d[col] = parse_ids(d[col]).values
    d["rater_group"] = d["rater_group"].astype("string").fillna("all")
    return d


def _audited(d: pd.DataFrame, mask: pd.Series, rule: str, reason: str | pd.Series
             ) -> list[pd.DataFrame]:
    """The rows of ``d`` under ``mask`` as audit rows (none when the mask is empty)."""
    if not mask.any():
        return []
    return [d.loc[mask, ["period", "round", "rater_id", "ratee_id"]].assign(
        rule=rule, reason=reason if isinstance(reason, str) else reason[mask],
        action="excluded")]


def _map_by_value(text: pd.Series, mapping: Mapping[str, float]) -> pd.Series:
    """``text.map(mapping)``, mapping each distinct value once (blanks included)."""
    codes, uniq = pd.factorize(text, use_na_sentinel=False)
    mapped = pd.Series(uniq, dtype=text.dtype).map(mapping)
    return pd.Series(mapped.array.take(codes), index=text.index, name=text.name)


def ballot_codes(d: pd.DataFrame) -> np.ndarray:
    """The ballot (``period``, ``round``, ``rater_id``; a blank is a value) of each row, as
    codes in order of first appearance: the groups of ``groupby(BALLOT, dropna=False)``."""
    combined = np.zeros(len(d), dtype=np.int64)
    for col in BALLOT:
        codes, uniq = pd.factorize(d[col])
        combined = pd.factorize(combined * (len(uniq) + 1) + (codes + 1))[0].astype(np.int64)
    return combined


def distinct_per_ballot(ballot: np.ndarray, values: pd.Series) -> np.ndarray:
    """Per row, how many distinct values of ``values`` (blanks skipped) its ballot has:
    ``values.groupby(ballot).transform("nunique")``."""
    codes, uniq = pd.factorize(values)
    ok = codes >= 0
    pairs = pd.unique(ballot[ok] * (len(uniq) + 1) + codes[ok])
    n = np.bincount(pairs // (len(uniq) + 1), minlength=int(ballot.max(initial=-1)) + 1)
    return n[ballot]


def duplicated_on_ballot(ballot: np.ndarray, values: pd.Series) -> np.ndarray:
    """Rows whose ballot has their value of ``values`` on another row too (blanks equal):
    ``duplicated([*BALLOT, values], keep=False)``."""
    codes, uniq = pd.factorize(values)
    return pd.Series(ballot * (len(uniq) + 1) + (codes + 1)).duplicated(keep=False).to_numpy()


def _scores(d: pd.DataFrame, raw: pd.Series, text: pd.Series, unknown: pd.Series,
            config: Mapping[str, Any], labels: set[str], key: str,
            problems: list[EvalkitError]) -> pd.Series:
    """The rating of each row (``raw``, and ``text`` its stripped text): a grade's points or a
    number within the scale (NaN when unknown); a grade not in the grade map or a score off
    the scale is a problem."""
    grades = config.get("grades")
    if grades:
        gmap = {str(k): float(v) for k, v in grades.items()}
        score = _map_by_value(text, gmap)
        for i in d.index[score.isna() & ~unknown][:5]:
            problems.append(TableError(f"grade {text[i]!r} is not in the grade map; expected "
                                       f"one of {list(gmap)} or {sorted(labels)}",
                                       _loc(key, i, "grade")))
        return score.astype(float)
    parsed = parse_numbers(raw.where(~unknown))
    num = parsed.values
    for i in d.index[parsed.bad][:5]:
        problems.append(TableError(f"score {raw[i]!r} is not a number; expected a number "
                                   f"or one of {sorted(labels)} ({parsed.why[d.index.get_loc(i)]})",
                                   _loc(key, i, "score")))
    lo, hi = (float(v) for v in config.get("scale", [0, 100]))
    out = (num < lo) | (num > hi)
    for i in d.index[out.fillna(False)][:5]:
        problems.append(TableError(f"score {num[i]:g} is outside the scale [{lo:g}, "
                                   f"{hi:g}]", _loc(key, i, "score")))
    return num.astype(float)


def _unit_problems(d: pd.DataFrame, ballot: np.ndarray, units: pd.Index | None,
                   selfr: pd.Series, self_rating: str, key: str) -> list[EvalkitError]:
    """Several units or groups on one ballot (``ballot``: the ballot of each row), unknown
    ratees or raters' units, and self-ratings when they are an error."""
    problems: list[EvalkitError] = []
    for col in ("rater_unit", "rater_group"):
        for i in d.index[distinct_per_ballot(ballot, d[col].fillna("\0")) > 1][:3]:
            problems.append(TableError(f"rater {d.at[i, 'rater_id']!r} has several {col} values "
                                       "on one ballot; expected the same on every row",
                                       _loc(key, i, col)))
    if units is not None:
        known = set(map(str, units))
        for col in ("ratee_id", "rater_unit"):
            badu = ~d[col].isna().to_numpy() & ~isin_text(d[col], known)
            for i in d.index[badu][:5]:
                problems.append(TableError(f"unknown unit {d.at[i, col]!r}; expected a unit_id "
                                           "of the units table", _loc(key, i, col)))
    if self_rating == "error":
        for i in d.index[selfr][:5]:
            problems.append(TableError(f"rater {d.at[i, 'rater_id']!r} of unit "
                                       f"{d.at[i, 'ratee_id']!r} rates its own unit; expected "
                                       "no self-ratings (or self_rating: exclude)",
                                       _loc(key, i, "ratee_id")))
    return problems


def _void_ballots(d: pd.DataFrame, ballot: np.ndarray, validity: Mapping[str, Any],
                  grades: Any) -> pd.Series:
    """Per row, why its ballot (``ballot``) is void (``''``: valid): the ``same_score`` and
    ``max_share`` rules, the first that applies."""
    void = pd.Series("", index=d.index, dtype="string")
    if validity.get("same_score"):
        n = np.bincount(ballot, minlength=int(ballot.max(initial=-1)) + 1)[ballot]
        flat = (distinct_per_ballot(ballot, d["score"]) == 1) & (
            n >= int(validity.get("min_items", 3)))
        void = void.mask(flat & (void == ""), "every ratee has the same score")
    for lab, share in (validity.get("max_share") or {}).items():
        pts = float(grades[lab]) if grades and lab in grades else None
        if pts is None:
            raise SpecError(f"max_share names {lab!r}, which is not a grade in grades",
                            f"sources.peer.validity.max_share.{lab}")
        hit = (d["score"] == pts).astype(float).groupby([d[c] for c in BALLOT], sort=False,
                                                          dropna=False).transform("mean")
        void = void.mask((hit > float(share)) & (void == ""),
                         f"more than {share:.0%} of the ballot is {lab}")
    return void


def prepare_ratings(df: pd.DataFrame, config: Mapping[str, Any], units: pd.Index | None = None,
                    key: str = "peer") -> Ratings:
    """Check a long rating table and apply the validity rules.

    Rules, in order:

    1. required columns ``rater_id``, ``ratee_id`` and ``score`` or ``grade``;
    2. grades mapped by ``config['grades']``; labels in ``missing_labels`` → missing (dropped,
       audited as ``unknown_label``); any other label → :class:`TableError` naming the row;
    3. scores must lie in ``scale`` (default [0, 100]) → else :class:`TableError`;
    4. ``ratee_id`` (and ``rater_unit`` when given) must be known units → else
       :class:`TableError`;
    5. self-ratings (``rater_unit == ratee_id``): ``self_rating: exclude`` (default) drops and
       audits them, ``error`` raises;
    6. duplicate ratings of one ratee on one ballot → :class:`TableError`;
    7. ballot rules (``validity``): ``same_score: true`` voids a ballot giving every ratee
       the same score (when it rates at least ``min_items``, default 3, ratees);
       ``max_share: {label: share}`` voids a ballot giving more than ``share`` of its ratings
       the grade ``label`` (forced distribution, e.g. at most 30 % 优秀).

    Problems of rules 2–5 are collected and raised together.

    Returns
    -------
    Ratings
        ``long``: period, round, rater_id, rater_unit, rater_group, ratee_id, score;
        ``audit``: period, round, rater_id, ratee_id, rule, reason, action.

    Examples
    --------
    >>> df = pd.DataFrame({"rater_id": ["a", "a", "b"], "rater_unit": ["T1", "T1", "T2"],
    ...                    "ratee_id": ["T1", "T2", "T1"], "grade": ["优秀", "良好", "不了解"]})
    >>> r = prepare_ratings(df, {"grades": {"优秀": 95, "良好": 85}})
    >>> r.long["score"].tolist(), r.audit["rule"].tolist()
    ([85.0], ['unknown_label', 'self_rating'])
    """
    grades = config.get("grades")
    key = df.attrs.get("source") or key
    d = _long_table(df, grades, key)
    if d.empty:
        raise TableError("no ratings (in this period and round); expected at least one row "
                         "per rater and ratee", key)
    labels = {str(x) for x in config.get("missing_labels", ["不了解"])}
    raw = d["grade"] if grades else d["score"]
    text = raw.astype("string").str.strip()
    unknown = text.isin(labels) | raw.isna()
    audit = _audited(d, unknown & ~raw.isna(), "unknown_label",
                     "rater does not know the unit (不了解)")
    problems: list[EvalkitError] = []
    d["score"] = _scores(d, raw, text, unknown, config, labels, key, problems)
    selfr = (d["rater_unit"] == d["ratee_id"]).fillna(False)
    ballot = ballot_codes(d)
    problems += _unit_problems(d, ballot, units, selfr, config.get("self_rating", "exclude"),
                               key)
    raise_all(problems, "problems in the peer ratings")
    audit += _audited(d, selfr & ~unknown, "self_rating", "a unit may not rate itself")
    keep = ~unknown & ~selfr
    d, ballot = d[keep], ballot[np.asarray(keep, dtype=bool)]
    dup = duplicated_on_ballot(ballot, d["ratee_id"])
    if dup.any():
        i = d.index[dup][0]
        raise TableError(f"rater {d.at[i, 'rater_id']!r} rates {d.at[i, 'ratee_id']!r} more "
                         "than once on one ballot; expected one rating per ratee per round",
                         _loc(key, i, "ratee_id"))
    void = _void_ballots(d, ballot, config.get("validity") or {}, grades)
    audit += _audited(d, void != "", "invalid_ballot", void)
    d = d[void == ""]
    cols = ["period", "round", "rater_id", "rater_unit", "rater_group", "ratee_id", "score"]
    aud = pd.concat(audit, ignore_index=True) if audit else pd.DataFrame(
        columns=AUDIT_COLUMNS)
    aud = aud.astype({"rule": "string", "action": "string", "reason": "string"})
    return Ratings(d[cols].reset_index(drop=True), aud[AUDIT_COLUMNS].reset_index(drop=True))


def check_peer_tables(config: dict[str, Any], tables: Mapping[str, pd.DataFrame],
                      units: pd.DataFrame, periods: list[str]) -> list[EvalkitError]:
    """Every problem of the rating table, for every evaluated period at once (the checks of
    :func:`prepare_ratings`, as the ``peer`` source meets them)."""
    key = str(config.get("table", "peer"))
    if key not in tables:
        return []
    ids = pd.Index(units.index.astype(str), name="unit_id")
    problems: list[EvalkitError] = [
        SpecError(f"expected a finite number of points ≥ 0, got {v!r}",
                  f"sources.peer.grades.{g}")
        for g, v in (config.get("grades") or {}).items()
        if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v) or v < 0]
    scheme, params = config.get("scheme", "mean"), config.get("params") or {}
    if scheme in SCHEMES and isinstance(params, Mapping):    # types of the scheme's parameters
        problems += SCHEMES.check_params(scheme, params, "sources.peer.params",
                                         {"R", "design"})
    for period, df in zip(periods, split_periods(tables[key], periods), strict=True):
        rnd = config.get("round", "all")
        if rnd != "all" and "round" in df.columns:
            df = df[df["round"].astype(str) == str(rnd)]
            if df.empty:
                problems.append(SpecError(f"no ratings of round {rnd!r} in period {period}",
                                          "sources.peer.round"))
                continue
        try:
            prepare_ratings(df, config, ids, key)
        except ProblemList as err:
            problems.extend(err.problems)
        except EvalkitError as err:
            problems.append(EvalkitError(f"period {period}: {err.message}", err.where))
    return list({str(e): e for e in problems}.values())


@dataclass
class Matrix:
    """A rating matrix with its labels: ``R[ballot, ratee]``."""

    R: np.ndarray
    ballots: pd.DataFrame  # rater_id, round, rater_unit, rater_group (one row per ballot)
    ratees: pd.Index
    design: Design


def to_matrix(long: pd.DataFrame, ratees: pd.Index | None = None,
              ratee_group: pd.Series | None = None) -> Matrix:
    """Pivot checked long ratings to ballots × ratees (one ballot per rater and round).

    ``design.rater_unit`` gives each ballot's column of its own unit (``-1`` for outsiders);
    ``ratee_group`` (index ``unit_id``) gives the ratees' groups, e.g. their category.

    Examples
    --------
    >>> long = pd.DataFrame({"rater_id": ["a", "a", "b"], "round": 1,
    ...     "rater_unit": ["X", "X", "Y"], "rater_group": "t", "ratee_id": ["Y", "Z", "X"],
    ...     "score": [80.0, 70.0, 90.0]})
    >>> to_matrix(long).R.tolist()
    [[nan, 80.0, 70.0], [90.0, nan, nan]]
    """
    if ratees is None:
        ratees = pd.Index(sorted(set(long["ratee_id"]) | set(long["rater_unit"].dropna())),
                          name="unit_id")
    ratees = pd.Index(ratees.astype(str), name="unit_id")
    wide = long.pivot_table(index=["rater_id", "round"], columns="ratee_id", values="score",
                            aggfunc="first", dropna=False)
    wide = wide.reindex(columns=ratees)
    info = long.drop_duplicates(["rater_id", "round"]).set_index(["rater_id", "round"])
    info = info.reindex(wide.index)[["rater_unit", "rater_group"]].reset_index()
    pos = pd.Series(np.arange(len(ratees)), index=ratees)
    ru = info["rater_unit"].map(pos).fillna(-1).astype(int).to_numpy()
    rg = info["rater_group"].astype(str).to_numpy()
    eg = None if ratee_group is None else ratee_group.reindex(ratees).astype(str).to_numpy()
    return Matrix(wide.to_numpy(dtype=float), info, ratees,
                  Design(rater_group=rg, ratee_group=eg, rater_unit=ru))
