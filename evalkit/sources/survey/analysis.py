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
        rate_interval: wilson          # wilson | jeffreys | beta (Clopper–Pearson)
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
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.errors import EvalkitError, SpecError, raise_all
from evalkit.sources.survey.aggregate import aggregate
from evalkit.sources.survey.ballots import DEFAULT_RULES, apply_rules, check_rules
from evalkit.sources.survey.codebook import Codebook, parse_codebook
from evalkit.sources.survey.intervals import MEAN_INTERVALS, RATE_INTERVALS, WALD_NAMES
from evalkit.sources.survey.quality import careless_flags, reliability
from evalkit.sources.survey.ranking import CORRECTIONS, rank_table
from evalkit.sources.survey.responses import encode

SCORES = ("points", "rate", "rate_shrunk")

CONFIG_KEYS = {
    "responses", "issued", "scale", "scales", "questionnaires", "groups", "score",
    "rate_interval", "mean_interval", "level", "bootstrap_reps", "seed", "min_n", "rules",
    "ranking",
}
RANKING_KEYS = {"by", "correction", "shrink", "draws"}


def validate_config(config: Mapping[str, Any], where: str = "sources.survey"
                    ) -> list[EvalkitError]:
    """Every problem of a survey section, each naming its YAML path."""
    if not isinstance(config, Mapping):
        return [SpecError("expected a mapping", where)]
    problems: list[EvalkitError] = []
    for k in sorted(set(config) - CONFIG_KEYS - {"weight"}):
        problems.append(SpecError(f"unknown key {k!r}; expected one of {sorted(CONFIG_KEYS)}",
                                  f"{where}.{k}"))
    problems += parse_codebook(config, where)[1]
    if config.get("score", "points") not in SCORES:
        problems.append(SpecError(f"expected one of {list(SCORES)}, got {config['score']!r}",
                                  f"{where}.score"))
    ri = str(config.get("rate_interval", "wilson"))
    if ri.lower() in WALD_NAMES:
        problems.append(SpecError(f"the Wald interval ({ri!r}) is not offered: it has zero width "
                                  "at 0% or 100% whatever n; use wilson, jeffreys or beta",
                                  f"{where}.rate_interval"))
    elif ri not in RATE_INTERVALS:
        problems.append(SpecError(f"unknown rate interval {ri!r}; expected one of "
                                  f"{sorted(RATE_INTERVALS)}", f"{where}.rate_interval"))
    mi = str(config.get("mean_interval", "t"))
    if mi not in MEAN_INTERVALS:
        problems.append(SpecError(f"unknown mean interval {mi!r}; expected one of "
                                  f"{sorted(MEAN_INTERVALS)}", f"{where}.mean_interval"))
    lev = config.get("level", 0.95)
    if not (isinstance(lev, int | float) and not isinstance(lev, bool) and 0.5 <= lev < 1):
        problems.append(SpecError(f"expected a confidence level in [0.5, 1), got {lev!r}",
                                  f"{where}.level"))
    for k, lo in (("min_n", 0), ("bootstrap_reps", 10), ("seed", 0)):
        v = config.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or v < lo):
            problems.append(SpecError(f"expected a number >= {lo}, got {v!r}", f"{where}.{k}"))
    for k in ("responses", "issued"):
        if k in config and not isinstance(config[k], str):
            problems.append(SpecError("expected a data key (a name under data:)",
                                      f"{where}.{k}"))
    problems += check_rules(config.get("rules"), f"{where}.rules")
    rk = config.get("ranking") or {}
    if not isinstance(rk, Mapping):
        problems.append(SpecError("expected a mapping with by, correction, shrink, draws",
                                  f"{where}.ranking"))
    else:
        for k in sorted(set(rk) - RANKING_KEYS):
            problems.append(SpecError(f"unknown key {k!r}; expected one of {sorted(RANKING_KEYS)}",
                                      f"{where}.ranking.{k}"))
        if rk.get("correction", "holm") not in CORRECTIONS:
            problems.append(SpecError(f"expected one of {sorted(CORRECTIONS)}",
                                      f"{where}.ranking.correction"))
    return problems


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
    if "_row" not in responses.columns:
        responses = responses.assign(_row=np.arange(len(responses)) + 2)
    if period is not None and "period" in responses.columns:
        responses = responses[responses["period"].astype(str) == str(period)]
    if issued is not None:
        if "_row" not in issued.columns:
            issued = issued.assign(_row=np.arange(len(issued)) + 2)
        if period is not None and "period" in issued.columns:
            issued = issued[issued["period"].astype(str) == str(period)]
    unit_ids = None
    categories = None
    if units is not None:
        if isinstance(units, pd.DataFrame):
            unit_ids = units.index.astype(str) if "unit_id" not in units.columns \
                else pd.Index(units["unit_id"].astype(str))
            if "category" in units.columns:
                categories = pd.Series(units["category"].to_numpy(), index=unit_ids)
        else:
            unit_ids = pd.Index([str(u) for u in units])
    enc = encode(responses, codebook, unit_ids, table)

    # a weight on a group with no respondents at all
    present = set(enc.groups[np.unique(enc.group[enc.group >= 0])]) if len(enc.group) else set()
    raise_all([SpecError(f"weight {g.weight:g} on group {g.name!r}, but {table} has no "
                         f"respondent of that group{f' in period {period}' if period else ''}; "
                         "set its weight to 0 or remove it", f"{where}.groups.{g.name}.weight")
               for g in codebook.groups.values() if g.weight > 0 and g.name not in present],
              "problems in the survey spec")

    rules = {**DEFAULT_RULES, **(cfg.get("rules") or {})}
    outcome = apply_rules(enc, rules, issued, issued_table)
    level = float(cfg.get("level", 0.95))
    agg = aggregate(enc, outcome.keep, codebook,
                    rate_method=str(cfg.get("rate_interval", "wilson")),
                    mean_method=str(cfg.get("mean_interval", "t")), level=level,
                    min_n=float(cfg.get("min_n", 5)), reps=int(cfg.get("bootstrap_reps", 999)),
                    seed=int(cfg.get("seed", 0)))
    by_unit = agg.by_unit
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
    rel = reliability(enc, outcome.keep, level)
    qs = codebook.questionnaires
    rel.insert(1, "label", [qs[q].label if q in qs else q for q in rel["questionnaire"]])
    rel.insert(2, "label_en", [qs[q].label_en if q in qs else q for q in rel["questionnaire"]])
    return SurveyResult(by_unit=by_unit, by_group=agg.by_group, by_item=agg.by_item,
                        ballots=outcome.ballots, audit=outcome.audit, boxes=outcome.boxes,
                        reliability=rel, ranking=ranking, codebook=codebook, config=cfg)


def from_spec(spec_path: str, period: Any = None) -> SurveyResult:
    """:func:`analyse` the survey of an evaluation spec (its ``sources.survey`` section and
    tables) for ``period`` (default: the spec's last period, else the last in the data)."""
    from evalkit.inputs.tables import load_tables
    from evalkit.validate import load_spec

    spec = load_spec(spec_path)
    if "survey" not in spec.sources:
        raise SpecError("the spec has no survey source; add sources.survey", "sources")
    cfg = spec.source_config("survey")
    tables = load_tables(spec)
    key = str(cfg.get("responses", "survey_responses"))
    if key not in tables:
        raise SpecError(f"no table {key!r} under data:", "sources.survey.responses")
    responses = tables[key]
    if period is None:
        periods = spec.evaluation.periods or (
            sorted(responses["period"].astype(str).unique()) if "period" in responses else [])
        period = periods[-1] if periods else None
    return analyse(responses, cfg, units=tables["units"],
                   issued=tables.get(str(cfg.get("issued", "survey_issued"))), period=period,
                   table=key)


def lab_result(spec_path: str | None = None, period: Any = None, *, n_units: int = 97,
               n_rows: int = 60_000, seed: int = 0) -> SurveyResult:
    """The survey lab's input: the spec's survey (:func:`from_spec`) or, without a spec,
    ``n_rows`` demo-like responses over ``n_units`` units analysed with the demo's settings."""
    if spec_path:
        return from_spec(spec_path, period)
    from evalkit.demo.survey import simulate_responses, survey_spec

    responses, issued, units = simulate_responses(n_units, n_rows, seed=seed)
    cfg = {k: v for k, v in survey_spec().items() if k != "weight"}
    return analyse(responses, cfg, units=units, issued=issued)


def audit_summary(result: SurveyResult, lang: str = "zh") -> pd.DataFrame:
    """Ballots returned, valid and excluded by reason (with the reason's label)."""
    from evalkit.sources.survey.ballots import REASONS

    counts = result.audit["reason"].value_counts()
    label = 0 if lang == "zh" else 1
    rows = [{"reason": "valid", "label": "有效票" if lang == "zh" else "valid ballots",
             "ballots": int((result.ballots["status"] == "valid").sum())}]
    rows += [{"reason": code, "label": REASONS[code][label], "ballots": int(counts.get(code, 0))}
             for code in REASONS]
    return pd.DataFrame(rows)
