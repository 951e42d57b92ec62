"""Realistic synthetic survey responses for the demo city and the benchmark.

Seven questionnaire types (测评表) as in seed 001, six respondent groups, three-level,
Likert-5 and 1–10 scales. Answers follow an ordered-probit model driven by the unit's latent
quality (the same ``quality`` as the demo's indicators, so the sources agree), a group
leniency, an item effect and a respondent halo. The tables carry what real exports carry:
some 不了解 and blank items, a few unmarked ballots, repeated submissions, straight-liners,
implausibly fast forms, survey weights for the public, and one ballot box (CPPCC members,
first period) with more ballots returned than issued, which voids it.

:func:`demo_tables` is registered with :func:`evalkit.demo.city.register_demo_tables`;
:func:`simulate_responses` makes a table of a given size for the benchmark, and
:func:`simulated_result` analyses one for the survey lab.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.demo.city import make_units
from evalkit.demo.registry import register_demo_tables
from evalkit.sources.survey import SurveyResult, analyse


@dataclass(frozen=True)
class Q:
    """A demo questionnaire: who fills it, about which units, on which items."""

    id: str
    label: str
    label_en: str
    scale: str
    group: str
    categories: tuple[str, ...]
    items: tuple[tuple[str, str, str], ...]
    respondents: int  # per period, at 97 units
    units_per_ballot: int  # 0 = every target unit


_STYLE = (("style", "工作作风", "Work style"), ("service", "服务质量", "Quality of service"),
          ("efficiency", "办事效率", "Efficiency"), ("integrity", "廉洁自律", "Integrity"),
          ("overall", "总体评价", "Overall"))
_REPS = (("law", "依法履职", "Lawful conduct"), ("results", "工作实绩", "Results"),
         ("overall", "总体评价", "Overall"))

QUESTIONNAIRES: tuple[Q, ...] = (
    Q("q_public_town", "群众满意度测评表（乡镇）", "Public satisfaction form (townships)",
      "three_level", "public", ("township",), _STYLE, 800, 1),
    Q("q_public_dept", "群众满意度测评表（部门）", "Public satisfaction form (departments)",
      "three_level", "public", ("party_dept", "gov_dept"), _STYLE, 400, 8),
    Q("q_enterprise", "企业评议部门问卷", "Enterprise survey of departments", "likert5",
      "enterprises", ("gov_dept",),
      (("policy", "政策落实", "Policy delivery"), ("approval", "审批效率", "Approval speed"),
       ("attitude", "服务态度", "Attitude"), ("environment", "营商环境", "Business environment"),
       ("overall", "总体满意度", "Overall satisfaction")), 300, 6),
    Q("q_npc", "人大代表测评表", "NPC deputies' form", "three_level", "npc_deputies",
      ("township", "party_dept", "gov_dept"), _REPS, 30, 0),
    Q("q_cppcc", "政协委员测评表", "CPPCC members' form", "three_level", "cppcc_members",
      ("township", "party_dept", "gov_dept"), _REPS, 30, 0),
    Q("q_party", "党代表测评表", "Party representatives' form", "three_level", "party_reps",
      ("township", "party_dept", "gov_dept"), _REPS, 25, 0),
    Q("q_leaders", "领导班子测评表", "Leaders' form", "ten", "leaders",
      ("township", "party_dept", "gov_dept"),
      (("results", "工作实绩", "Results"), ("teamwork", "团结协作", "Teamwork"),
       ("innovation", "改革创新", "Innovation")), 12, 0),
)

#: group → (leniency on the latent scale, share of 不了解)
GROUPS = {"public": (0.1, 0.08), "enterprises": (-0.1, 0.04), "npc_deputies": (0.3, 0.12),
          "cppcc_members": (0.3, 0.12), "party_reps": (0.4, 0.10), "leaders": (0.2, 0.02)}

#: group weights of the demo spec (民评 groups; the public counts most)
GROUP_WEIGHTS = {"public": 0.35, "enterprises": 0.2, "npc_deputies": 0.1,
                 "cppcc_members": 0.1, "party_reps": 0.1, "leaders": 0.15}

_CUTS = {"three_level": [-2.0, -0.35], "likert5": [-2.6, -1.8, -0.8, 0.6],
         "ten": [-3.2, -2.7, -2.2, -1.7, -1.2, -0.8, -0.2, 0.5, 1.3]}
_CODES = {"three_level": ["不满意", "基本满意", "满意"],
          "likert5": ["1", "2", "3", "4", "5"], "ten": [str(x) for x in range(1, 11)]}


def survey_spec(weight: float = 0.2) -> dict[str, Any]:
    """The demo's ``sources.survey`` section (questionnaires, groups, rules)."""
    return {
        "weight": weight, "responses": "survey_responses", "issued": "survey_issued",
        "score": "points", "rate_interval": "wilson", "mean_interval": "t", "min_n": 5,
        "questionnaires": {q.id: {"scale": q.scale, "label": q.label, "label_en": q.label_en,
                                  "items": {i: {"label": zh, "label_en": en}
                                            for i, zh, en in q.items}}
                           for q in QUESTIONNAIRES},
        "groups": {g: {"weight": w} for g, w in GROUP_WEIGHTS.items()},
        "rules": {"unmarked": True, "overreturn": True, "duplicates": True,
                  "identical_answers": False, "too_fast": True, "min_seconds_per_item": 1.0},
    }


DEMO_SPEC = {"data": {"survey_responses": {"file": "survey_responses.parquet"},
                      "survey_issued": {"file": "survey_issued.csv"}},
             "sources": {"survey": survey_spec()}}


def _rated_units(q: Q, units: pd.DataFrame, rng: np.random.Generator, scale_resp: float
                 ) -> np.ndarray:
    """The units each respondent of ``q`` rates: respondents × units per ballot (positions)."""
    target = np.flatnonzero(units["category"].isin(q.categories).to_numpy())
    k = len(target) if q.units_per_ballot == 0 else min(q.units_per_ballot, len(target))
    n_resp = max(round(q.respondents * scale_resp), 8)
    if q.units_per_ballot == 0 and len(target) > 100:  # big cities: a sample of units each
        n_resp = max(round(n_resp * len(target) / 100), 8)
        k = 100
    if k == len(target):
        return np.broadcast_to(target, (n_resp, k))
    if k == 1:
        return target[rng.integers(0, len(target), n_resp)][:, None]
    return target[np.argsort(rng.random((n_resp, len(target))), axis=1)[:, :k]]


def _answer_codes(q: Q, quality: np.ndarray, rated: np.ndarray, rng: np.random.Generator
                  ) -> np.ndarray:
    """Answers of an ordered-probit model (respondents × (units × items)), with 不了解, blank
    items, straight-liners (4 %) and unmarked ballots (0.6 %)."""
    n_resp, k = rated.shape
    n_items = len(q.items)
    lenient, p_dk = GROUPS[q.group]
    halo = rng.normal(0, 0.6, n_resp)
    item_eff = rng.normal(0, 0.25, n_items)
    u = rated.reshape(-1)
    y = (0.8 * quality[u][:, None] + lenient + item_eff[None, :]
         + np.repeat(halo, k)[:, None] + rng.normal(0, 1, (len(u), n_items)))
    level = np.searchsorted(np.array(_CUTS[q.scale]), y)  # 0 … len(cuts)
    codes = np.array(_CODES[q.scale], dtype=object)[level]
    r = rng.random(codes.shape)
    codes = np.where(r < p_dk, "不了解", codes)
    codes = np.where((r >= p_dk) & (r < p_dk + 0.01), None, codes)
    codes = codes.reshape(n_resp, k * n_items)
    straight = rng.random(n_resp) < 0.04
    codes[straight] = _CODES[q.scale][-1]
    unmarked = rng.random(n_resp) < 0.006
    codes[unmarked] = None
    return codes


def _ballot_rows(q: Q, units: pd.DataFrame, period: Any, rated: np.ndarray, codes: np.ndarray,
                 seq: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """The long rows of the ballots, with times (1 % implausibly fast) and survey weights."""
    n_resp, k = rated.shape
    per_ballot = k * len(q.items)
    t0 = (pd.Timestamp(f"{period}-11-01").value // 10**9
          + rng.integers(0, 20 * 86400, n_resp)).astype(float)
    per_item = np.where(rng.random(n_resp) < 0.01, rng.uniform(0.2, 0.6, n_resp),
                        rng.uniform(3, 12, n_resp))
    weight = (np.round(rng.uniform(0.5, 2.0, n_resp), 3) if q.group == "public"
              else np.ones(n_resp))
    return pd.DataFrame({
        "period": period,
        "ballot_id": np.repeat([f"{period}-{q.id}-{s:06d}" for s in seq], per_ballot),
        "respondent_id": np.repeat([f"{q.group}-{s:05d}" for s in range(n_resp)], per_ballot),
        "questionnaire": q.id,
        "group": q.group,
        "unit_id": units.index.to_numpy()[np.repeat(rated.reshape(-1), len(q.items))],
        "item": np.tile([i for i, _, _ in q.items], n_resp * k),
        "answer": codes.reshape(-1),
        "weight": np.repeat(weight, per_ballot),
        "started": pd.to_datetime(np.repeat(t0, per_ballot), unit="s"),
        "timestamp": pd.to_datetime(np.repeat(t0 + per_item * per_ballot, per_ballot),
                                    unit="s"),
    })


def _questionnaire(q: Q, units: pd.DataFrame, quality: np.ndarray, period: Any,
                   rng: np.random.Generator, scale_resp: float, ballot_start: int
                   ) -> pd.DataFrame:
    """The responses of one questionnaire in one period (see the module docstring)."""
    if not units["category"].isin(q.categories).any():
        return pd.DataFrame()
    rated = _rated_units(q, units, rng, scale_resp)
    codes = _answer_codes(q, quality, rated, rng)
    seq = np.arange(len(rated)) + ballot_start
    df = _ballot_rows(q, units, period, rated, codes, seq, rng)
    # 1% of respondents hand in their form twice (a later copy with a new ballot id)
    again = np.flatnonzero(rng.random(len(rated)) < 0.01)
    if len(again):
        dup = df[df["ballot_id"].isin([f"{period}-{q.id}-{seq[i]:06d}" for i in again])].copy()
        dup["ballot_id"] = dup["ballot_id"] + "b"
        dup["timestamp"] = dup["timestamp"] + pd.Timedelta(hours=2)
        dup["started"] = dup["started"] + pd.Timedelta(hours=2)
        df = pd.concat([df, dup], ignore_index=True)
    return df


def make_responses(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
                   rng: np.random.Generator, scale_resp: float = 1.0
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Responses and issued-ballot counts for ``units`` over ``periods``."""
    frames, issued = [], []
    for pi, period in enumerate(periods):
        q_lat = quality[period].reindex(units.index).to_numpy(float)
        start = 0
        for q in QUESTIONNAIRES:
            df = _questionnaire(q, units, q_lat, period, rng, scale_resp, start)
            if df.empty:
                continue
            start += df["ballot_id"].nunique() + 1
            frames.append(df)
            returned = df["ballot_id"].nunique()
            if pi == 0 and q.group == "cppcc_members":
                n_issued = returned - 1  # one ballot too many: the box is void
            else:
                n_issued = returned + int(rng.integers(0, max(returned // 10, 1) + 1))
            issued.append({"period": period, "questionnaire": q.id, "group": q.group,
                           "issued": n_issued})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(issued)


@register_demo_tables("survey", spec=DEMO_SPEC)
def demo_tables(units: pd.DataFrame, periods: list[Any], quality: pd.DataFrame,
                rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The demo city's survey responses (Parquet) and ballots issued per box (CSV)."""
    responses, issued = make_responses(units, periods, quality, rng)
    return {"survey_responses.parquet": responses, "survey_issued.csv": issued}


def simulate_responses(n_units: int = 2000, n_rows: int = 1_000_000, seed: int = 0,
                       period: int = 2025) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """About ``n_rows`` responses over ``n_units`` demo units (for the benchmark and tests).

    Returns ``(responses, issued, units)``; the number of respondents of every questionnaire
    is scaled so that the table has close to ``n_rows`` rows.
    """
    rng = np.random.default_rng(seed)
    units = make_units(n_units, rng)
    quality = pd.DataFrame({period: rng.standard_normal(n_units)}, index=units.index)
    probe, _ = make_responses(units, [period], quality, np.random.default_rng(seed + 1), 1.0)
    scale = n_rows / max(len(probe), 1)
    responses, issued = make_responses(units, [period], quality,
                                       np.random.default_rng(seed + 1), scale)
    return responses, issued, units


def simulated_result(n_units: int = 97, n_rows: int = 60_000, seed: int = 0) -> SurveyResult:
    """About ``n_rows`` demo-like responses over ``n_units`` units (:func:`simulate_responses`),
    analysed with the demo's settings (:func:`survey_spec`): the survey lab's default input."""
    responses, issued, units = simulate_responses(n_units, n_rows, seed=seed)
    cfg = {k: v for k, v in survey_spec().items() if k != "weight"}
    return analyse(responses, cfg, units=units, issued=issued)
