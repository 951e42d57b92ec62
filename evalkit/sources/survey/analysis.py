"""One call from responses to every survey table: :func:`analyse`.

The survey section of a spec (``sources.survey``; every key optional except as noted)::

    sources:
      survey:
        weight: 0.3                    # the source's weight in evaluate (not read here)
        responses: survey_responses    # data key of the responses table
        issued: survey_issued          # data key of ballots issued per box (optional)
        scale: three_level             # default scale of questionnaires
        scales: {three_level: {points: {满意: 100, 基本满意: 60, 不满意: 0}}}
        questionnaires: {q_public: {scale: three_level, label: 群众满意度测评表, items: [...]}}
        groups: {public: {weight: 0.4}, enterprises: 0.2, npc_deputies: 0.1, ...}
        score: points                  # points | rate | rate_shrunk: the 0–100 score per unit
        rate_interval: wilson          # wilson | jeffreys | agresti_coull | beta (Clopper–Pearson)
        mean_interval: t               # t | bootstrap
        level: 0.95
        bootstrap_reps: 999
        seed: 0
        min_n: 5                       # suppress cells with effective n below this
        rules: {duplicates: true, identical_answers: false, too_fast: false, ...}
        ranking: {by: category, correction: holm, shrink: true}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from evalkit.core.errors import EvalkitError, SpecError, raise_all
from evalkit.core.labels import t
from evalkit.sources.survey.aggregate import aggregate
from evalkit.sources.survey.ballots import DEFAULT_RULES, REASONS, Rules, apply_rules, reason_label
from evalkit.sources.survey.codebook import Codebook, parse_codebook
from evalkit.sources.survey.intervals import MEAN_INTERVALS, RATE_INTERVALS, WALD_NAMES
from evalkit.sources.survey.quality import careless_flags, reliability
from evalkit.sources.survey.ranking import Ranking, rank_table
from evalkit.sources.survey.responses import Encoded, encode
from evalkit.spec.sections import Strict, section_problems

SCORES = ("points", "rate", "rate_shrunk")


class SurveySection(Strict):
    """The keys of ``sources.survey`` (see the module docstring) and the types of the simple
    ones; the codebook keys are checked by :func:`~evalkit.sources.survey.codebook.parse_codebook`
    and the interval methods against their registries."""

    weight: Any = None  # the source's weight, read by evaluate
    responses: str = "survey_responses"
    issued: str = "survey_issued"
    scale: Any = None
    scales: Any = None
    questionnaires: Any = None
    groups: Any = None
    score: Literal["points", "rate", "rate_shrunk"] = "points"
    rate_interval: Any = "wilson"
    mean_interval: Any = "t"
    level: Annotated[float, Field(ge=0.5, lt=1)] = 0.95
    bootstrap_reps: Annotated[float, Field(ge=10)] | None = None
    seed: Annotated[float, Field(ge=0)] | None = None
    min_n: Annotated[float, Field(ge=0)] | None = None
    rules: Rules | None = None
    ranking: Ranking | None = None


def _interval_problems(config: Mapping[str, Any], where: str) -> list[EvalkitError]:
    problems: list[EvalkitError] = []
    ri = str(config.get("rate_interval", "wilson"))
    if ri.lower() in WALD_NAMES:
        problems.append(SpecError(f"the Wald interval ({ri!r}) is not offered: it has zero width "
                                  "at 0% or 100% whatever n; use wilson, jeffreys, "
                                  "agresti_coull or beta",
                                  f"{where}.rate_interval"))
    elif ri not in RATE_INTERVALS:
        problems.append(SpecError(f"unknown rate interval {ri!r}; expected one of "
                                  f"{sorted(RATE_INTERVALS)}", f"{where}.rate_interval"))
    mi = str(config.get("mean_interval", "t"))
    if mi not in MEAN_INTERVALS:
        problems.append(SpecError(f"unknown mean interval {mi!r}; expected one of "
                                  f"{sorted(MEAN_INTERVALS)}", f"{where}.mean_interval"))
    return problems


def validate_config(config: Mapping[str, Any], where: str = "sources.survey"
                    ) -> list[EvalkitError]:
    """Every problem of a survey section, each naming its YAML path.

    Examples
    --------
    >>> [p.where for p in validate_config({"min_n": -2, "rules": {"dupes": True}})]
    ['sources.survey.min_n', 'sources.survey.rules.dupes']
    """
    if not isinstance(config, Mapping):
        return [SpecError("expected a mapping", where)]
    return (section_problems(SurveySection, config, where) + parse_codebook(config, where)[1]
            + _interval_problems(config, where))


@dataclass
class SurveyResult:
    """Everything :func:`analyse` computes; :meth:`tables` gives the tidy tables to save."""

    by_unit: pd.DataFrame
    by_group: pd.DataFrame
    by_item: pd.DataFrame
    ballots: pd.DataFrame
    audit: pd.DataFrame
    boxes: pd.DataFrame
    reliability: pd.DataFrame
    ranking: pd.DataFrame
    codebook: Codebook
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> pd.Series:
        """The 0–100 score per unit (index ``unit_id``); NaN where suppressed."""
        return self.by_unit.set_index("unit_id")["score"].rename("survey")

    @property
    def flags(self) -> pd.DataFrame:
        """Ballots with a careless-response flag."""
        return careless_flags(self.ballots)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables saved in the Results as ``survey_<name>``."""
        return {"by_unit": self.by_unit, "by_group": self.by_group, "by_item": self.by_item,
                "audit": self.audit, "boxes": self.boxes, "reliability": self.reliability,
                "ranking": self.ranking, "flags": self.flags}


def _of_period(df: pd.DataFrame, period: Any) -> pd.DataFrame:
    """``df`` with a ``_row`` column (its rows as in Excel), restricted to ``period``."""
    if "_row" not in df.columns:
        df = df.assign(_row=np.arange(len(df)) + 2)
    if period is not None and "period" in df.columns:
        df = df[df["period"].astype(str) == str(period)]
    return df


def _unit_ids(units: pd.DataFrame | Sequence[str] | None
              ) -> tuple[pd.Index | None, pd.Series | None]:
    """The ids of the units and, when the units table has one, their category."""
    if units is None:
        return None, None
    if not isinstance(units, pd.DataFrame):
        return pd.Index([str(u) for u in units]), None
    ids = units.index.astype(str) if "unit_id" not in units.columns \
        else pd.Index(units["unit_id"].astype(str))
    cats = pd.Series(units["category"].to_numpy(), index=ids) if "category" in units.columns \
        else None
    return ids, cats


def _check_group_weights(enc: Encoded, codebook: Codebook, table: str, period: Any,
                         where: str) -> None:
    """A positive weight on a group with no respondent at all is a spec error."""
    present = set(enc.groups[np.unique(enc.group[enc.group >= 0])]) if len(enc.group) else set()
    raise_all([SpecError(f"weight {g.weight:g} on group {g.name!r}, but {table} has no "
                         f"respondent of that group{f' in period {period}' if period else ''}; "
                         "set its weight to 0 or remove it", f"{where}.groups.{g.name}.weight")
               for g in codebook.groups.values() if g.weight > 0 and g.name not in present],
              "problems in the survey spec")


def _rank_and_score(by_unit: pd.DataFrame, cfg: Mapping[str, Any], categories: pd.Series | None,
                    level: float, where: str) -> pd.DataFrame:
    """Rank the units (adding ``category`` to ``by_unit`` when ranking by it) and set the
    0–100 ``score`` column of ``by_unit``; return the ranking."""
    rk = dict(cfg.get("ranking") or {})
    by = rk.get("by", "category" if categories is not None else None)
    if by == "category" and categories is not None:
        by_unit.insert(1, "category", categories.reindex(by_unit["unit_id"]).to_numpy())
    elif by is not None and by not in by_unit.columns:
        raise SpecError(f"cannot rank by {by!r}: the units table has no such column",
                        f"{where}.ranking.by")
    shrink = bool(rk.get("shrink", cfg.get("score") == "rate_shrunk"))
    ranking = rank_table(by_unit, "rate", shrink=shrink, by=by, level=level,
                         draws=int(rk.get("draws", 1000)), seed=int(cfg.get("seed", 0)))
    score = cfg.get("score", "points")
    if score == "points":
        by_unit["score"] = by_unit["mean_points"]
    elif score == "rate":
        by_unit["score"] = 100 * by_unit["rate"]
    else:
        shrunk = ranking.set_index("unit_id")["shrunk"] if "shrunk" in ranking else \
            ranking.set_index("unit_id")["estimate"]
        by_unit["score"] = 100 * shrunk.reindex(by_unit["unit_id"]).to_numpy()
    return ranking


def analyse(responses: pd.DataFrame, config: Mapping[str, Any] | None = None, *,
            units: pd.DataFrame | Sequence[str] | None = None,
            issued: pd.DataFrame | None = None, period: Any = None,
            table: str = "survey_responses", issued_table: str = "survey_issued",
            where: str = "sources.survey") -> SurveyResult:
    """Ballot rules, aggregation with intervals, reliability and ranking of one survey.

    Parameters
    ----------
    responses : DataFrame
        Tidy responses (see :mod:`evalkit.sources.survey.responses`).
    config : mapping, optional
        The survey section of a spec (see the module docstring); validated here.
    units : DataFrame or list, optional
        The units of the period (a DataFrame indexed by ``unit_id``, optionally with a
        ``category`` column used to rank within category; or a list of ids). Responses about
        other units are an error; units without responses get NaN rows.
    issued : DataFrame, optional
        Ballots issued per box (for the over-return rule).
    period : optional
        Keep only rows of this period (tables without a ``period`` column are used whole).

    Raises
    ------
    EvalkitError
        A spec problem (naming its YAML path) or a table problem (naming table, rows, column).
    """
    cfg = dict(config or {})
    raise_all(validate_config(cfg, where), "problems in the survey spec")
    codebook = Codebook.from_config(cfg, where)
    responses = _of_period(responses, period)
    issued = _of_period(issued, period) if issued is not None else None
    unit_ids, categories = _unit_ids(units)
    enc = encode(responses, codebook, unit_ids, table)
    _check_group_weights(enc, codebook, table, period, where)
    outcome = apply_rules(enc, {**DEFAULT_RULES, **(cfg.get("rules") or {})}, issued,
                          issued_table)
    level = float(cfg.get("level", 0.95))
    agg = aggregate(enc, outcome.keep, codebook,
                    rate_method=str(cfg.get("rate_interval", "wilson")),
                    mean_method=str(cfg.get("mean_interval", "t")), level=level,
                    min_n=float(cfg.get("min_n", 5)), reps=int(cfg.get("bootstrap_reps", 999)),
                    seed=int(cfg.get("seed", 0)))
    ranking = _rank_and_score(agg.by_unit, cfg, categories, level, where)
    rel = reliability(enc, outcome.keep, level)
    qs = codebook.questionnaires
    rel.insert(1, "label", [qs[q].label if q in qs else q for q in rel["questionnaire"]])
    rel.insert(2, "label_en", [qs[q].label_en if q in qs else q for q in rel["questionnaire"]])
    return SurveyResult(by_unit=agg.by_unit, by_group=agg.by_group, by_item=agg.by_item,
                        ballots=outcome.ballots, audit=outcome.audit, boxes=outcome.boxes,
                        reliability=rel, ranking=ranking, codebook=codebook, config=cfg)


def audit_summary(result: SurveyResult, lang: str = "zh") -> pd.DataFrame:
    """Ballots returned, valid and excluded by reason (with the reason's label in ``lang``).

    One row for the valid ballots, then one per reason code of
    :data:`~evalkit.sources.survey.ballots.REASONS`, in the order the rules apply.
    """
    counts = result.audit["reason"].value_counts()
    rows = [{"reason": "valid", "label": t("survey_valid_ballots", lang),
             "ballots": int((result.ballots["status"] == "valid").sum())}]
    rows += [{"reason": code, "label": reason_label(code, lang),
              "ballots": int(counts.get(code, 0))} for code in REASONS]
    return pd.DataFrame(rows)
