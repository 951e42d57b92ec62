"""Traffic lights against target and warning / advanced flags (红黄绿灯, 预警值 / 先进值).

Offices and the scorecard software they buy colour each indicator by its completion against
target: green (达标) at ≥ 95 % of the target, yellow (基本达标) at 85–95 %, red (未达标) below
(one vendor's default, in the project's domain notes); and an indicator may carry a
warning value (预警值) and an advanced value (先进值). This module is the one implementation
of these rules: :func:`evalkit.results.tidy.indicator_table` stores its ``status`` and
``flags`` in the ``indicators`` table, and the unit report shows them
(:func:`stored_status` for Results saved before the columns existed).

Statuses are ``green``, ``yellow``, ``red`` and ``missing`` (no value); flags are
``warning`` and ``advanced`` joined by ``;`` (``''``: none). Thresholds are declared in the
spec: ``defaults.status`` (``{green: 0.95, yellow: 0.85, score: {green: 85, yellow: 60}}``)
and an indicator's ``status``, which overrides the keys it gives.

Examples
--------
>>> import numpy as np
>>> traffic_light(np.array([96.0, 90.0, 80.0]), np.full(3, 50.0), np.zeros(3, bool),
...               target=100.0, direction="benefit").tolist()
['green', 'yellow', 'red']
>>> warning_flags(np.array([50.0, 70.0, 99.0]), direction="benefit", warning=60.0,
...               advanced=98.0).tolist()
['warning', '', 'advanced']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from evalkit.core.columns import taken_text
from evalkit.core.errors import SpecError
from evalkit.spec.practice import StatusRule
from evalkit.spec.schema import Indicator, Spec

#: The statuses, best first, and the status of a row without a value.
STATUSES = ("green", "yellow", "red", "missing")
#: The flags of a row (:func:`warning_flags`): none, advanced value reached, warning value.
FLAGS = ("", "advanced", "warning")
#: Columns of :func:`indicator_rules` (index ``indicator_id``).
RULE_COLUMNS = ["target", "direction", "green", "yellow", "score_green", "score_yellow",
                "warning", "advanced"]
#: Relative tolerance of the comparisons (a value exactly at a threshold reaches it).
_TOL = 1e-9


class Thresholds(NamedTuple):
    """The resolved traffic-light thresholds of one indicator: shares of the target
    (``green``, ``yellow``) and scores (``score_green``, ``score_yellow``)."""

    green: float = 0.95
    yellow: float = 0.85
    score_green: float = 85.0
    score_yellow: float = 60.0


def thresholds(default: StatusRule, own: StatusRule | None, where: str = "status"
               ) -> Thresholds:
    """An indicator's thresholds: the keys its ``status`` gives, the rest from the default.

    Raises
    ------
    SpecError
        When the merged thresholds have yellow above green (named by ``where``).

    Examples
    --------
    >>> thresholds(StatusRule(), StatusRule(green=0.9, score={"yellow": 50}))
    Thresholds(green=0.9, yellow=0.85, score_green=85.0, score_yellow=50.0)
    """
    top = default.model_dump()
    if own is not None:
        top.update(own.model_dump(include=own.model_fields_set - {"score"}))
        top["score"].update(own.score.model_dump(include=own.score.model_fields_set))
    out = Thresholds(top["green"], top["yellow"], top["score"]["green"], top["score"]["yellow"])
    if out.yellow > out.green or out.score_yellow > out.score_green:
        raise SpecError(f"yellow is above green once merged with defaults.status ({out}); "
                        "expected yellow ≤ green", where)
    return out


def spec_thresholds(raw: Mapping[str, Any], indicator_id: str | None = None) -> Thresholds:
    """The thresholds a saved spec declares (``Results.spec``, the YAML as a dict):
    ``defaults.status``, merged with the status of indicator ``indicator_id`` when given.
    For the report's statement of the rule.

    Examples
    --------
    >>> spec_thresholds({"defaults": {"status": {"green": 1.0}}})
    Thresholds(green=1.0, yellow=0.85, score_green=85.0, score_yellow=60.0)
    """
    defaults = raw.get("defaults") or {}
    default = StatusRule.model_validate(defaults.get("status") or {})
    own = next((i.get("status") for i in raw.get("indicators") or []
                if isinstance(i, Mapping) and i.get("id") == indicator_id), None)
    return thresholds(default, StatusRule.model_validate(own) if own else None)


def _reaches(value: np.ndarray, target: np.ndarray, direction: np.ndarray,
             share: np.ndarray) -> np.ndarray:
    """True where ``value`` reaches ``share`` of the target in the indicator's direction."""
    tol = _TOL * np.maximum(1.0, np.abs(target))
    scale = np.abs(target)
    with np.errstate(invalid="ignore", divide="ignore"):
        benefit = value >= target - (1.0 - share) * scale - tol
        cost = value <= target + (1.0 / share - 1.0) * scale + tol
        near = np.abs(value - target) <= (1.0 - share) * scale + tol
    return np.select([direction == "benefit", direction == "cost"], [benefit, cost], near)


def traffic_light(value: np.ndarray, score: np.ndarray, missing: np.ndarray, *,
                  target: Any, direction: Any, green: Any = 0.95, yellow: Any = 0.85,
                  score_green: Any = 85.0, score_yellow: Any = 60.0) -> np.ndarray:
    """Status of each row: ``green`` (达标), ``yellow`` (基本达标), ``red`` (未达标), ``missing``.

    With a target ``T`` (completion against target, 完成率): a benefit indicator is green
    when ``x ≥ green · T``, yellow when ``x ≥ yellow · T``; a cost indicator green when
    ``x ≤ T / green``, yellow when ``x ≤ T / yellow`` (the completion rate ``T / x`` of a
    cost reaches the share); a target-direction indicator green when ``|x − T| ≤ (1 −
    green) · T``, yellow within ``(1 − yellow) · T``; else red. For a target ≤ 0 the
    distances use ``|T|`` (``x ≥ T − (1 − green) · |T|``; a cost target of 0 is met at 0
    only). Without a target the score decides: green at ``score ≥ score_green``, yellow at
    ``score ≥ score_yellow``. A value exactly at a threshold reaches it. Every argument
    but ``value``, ``score`` and ``missing`` may be one value or one per row (NaN target:
    none).

    Parameters
    ----------
    value, score : ndarray
        The value compared with the target (after treatment) and the score 0–100.
    missing : ndarray of bool
        Rows without a value: status ``missing`` (as is a NaN value or score in the rule
        that applies).

    References
    ----------
    The default traffic lights of scorecard software sold to Chinese performance offices
    (green ≥ 95 %, yellow 85–95 %, red < 85 % of the target), as offices use them.

    Examples
    --------
    >>> traffic_light(np.array([10.5, 11.0, 12.0]), np.full(3, np.nan), np.zeros(3, bool),
    ...               target=10.0, direction="cost").tolist()
    ['green', 'yellow', 'red']
    >>> traffic_light(np.full(3, np.nan), np.array([85.0, 60.0, 59.9]), np.zeros(3, bool),
    ...               target=np.nan, direction="benefit").tolist()
    ['green', 'yellow', 'red']
    """
    return np.asarray(STATUSES, dtype=object)[status_codes(
        value, score, missing, target=target, direction=direction, green=green,
        yellow=yellow, score_green=score_green, score_yellow=score_yellow)]


def status_codes(value: np.ndarray, score: np.ndarray, missing: np.ndarray, *,
                 target: Any, direction: Any, green: Any = 0.95, yellow: Any = 0.85,
                 score_green: Any = 85.0, score_yellow: Any = 60.0) -> np.ndarray:
    """:func:`traffic_light` as positions in :data:`STATUSES` (0 green … 3 missing)."""
    n = len(value)
    v, s = np.asarray(value, dtype=float), np.asarray(score, dtype=float)
    t = np.broadcast_to(np.asarray(target, dtype=float), (n,))
    d = np.broadcast_to(np.asarray(direction).astype(str, copy=False), (n,))
    g, y = (np.broadcast_to(np.asarray(a, dtype=float), (n,)) for a in (green, yellow))
    sg, sy = (np.asarray(a, dtype=float) for a in (score_green, score_yellow))
    has_t = ~np.isnan(t)
    t0 = np.where(has_t, t, 0.0)
    # codes 0 green, 1 yellow, 2 red, 3 missing (STATUSES), words at the end
    by_target = np.where(_reaches(v, t0, d, g), 0, np.where(_reaches(v, t0, d, y), 1, 2))
    by_score = np.where(s >= sg, 0, np.where(s >= sy, 1, 2))
    gone = np.asarray(missing, dtype=bool) | np.where(has_t, np.isnan(v), np.isnan(s))
    return np.where(gone, 3, np.where(has_t, by_target, by_score))


def warning_flags(value: np.ndarray, *, direction: Any, warning: Any = np.nan,
                  advanced: Any = np.nan) -> np.ndarray:
    """Flags of each row: ``warning`` (预警) when the value is on the wrong side of the
    warning value, ``advanced`` (先进) when it reaches the advanced value; ``''``: none.

    Benefit: ``warning`` when ``x < warning``, ``advanced`` when ``x ≥ advanced``; cost:
    ``warning`` when ``x > warning``, ``advanced`` when ``x ≤ advanced``. A value exactly
    at the warning value is not flagged; one exactly at the advanced value is. NaN values,
    and NaN warning / advanced values (none declared), flag nothing. Several flags would be
    joined by ``;``; the spec keeps the warning value on the worse side of the advanced
    one, so a row has at most one.

    References
    ----------
    Warning and advanced values (预警值 / 先进值) that indicators carry in the scorecard
    software Chinese performance offices use.

    Examples
    --------
    >>> warning_flags(np.array([3.0, 2.0, 0.5]), direction="cost", warning=2.0,
    ...               advanced=0.5).tolist()
    ['warning', '', 'advanced']
    """
    return np.asarray(FLAGS, dtype=object)[flag_codes(value, direction=direction,
                                                      warning=warning, advanced=advanced)]


def flag_codes(value: np.ndarray, *, direction: Any, warning: Any = np.nan,
               advanced: Any = np.nan) -> np.ndarray:
    """:func:`warning_flags` as positions in :data:`FLAGS` (0 none, 1 advanced, 2 warning)."""
    n = len(value)
    v = np.asarray(value, dtype=float)
    d = np.broadcast_to(np.asarray(direction).astype(str, copy=False), (n,))
    w, a = (np.broadcast_to(np.asarray(x, dtype=float), (n,)) for x in (warning, advanced))
    cost = d == "cost"
    with np.errstate(invalid="ignore"):
        warn = np.where(cost, v > w, v < w)
        adv = np.where(cost, v <= a, v >= a) & (d != "target")
    return np.where(warn, 2, adv * 1)


def indicator_rules(spec: Spec) -> pd.DataFrame:
    """Per indicator (index ``indicator_id``): target, direction, the resolved thresholds
    (:func:`thresholds`), warning and advanced values (NaN: none)."""
    default = thresholds(spec.defaults.status, None, "defaults.status")

    def row(k: int, ind: Indicator) -> list[Any]:
        th = default if ind.status is None else \
            thresholds(spec.defaults.status, ind.status, f"indicators[{k}] ({ind.id}).status")
        return [ind.target, ind.direction, *th, ind.warning, ind.advanced]

    rows = [row(k, i) for k, i in enumerate(spec.indicators)]
    return pd.DataFrame({c: np.asarray([r[j] for r in rows],
                                       dtype=object if c == "direction" else float)
                         for j, c in enumerate(RULE_COLUMNS)},
                        index=pd.Index([i.id for i in spec.indicators], name="indicator_id"))


def status_columns(value: np.ndarray, score: np.ndarray, missing: np.ndarray,
                   rules: pd.DataFrame | None, at: np.ndarray
                   ) -> tuple[pd.api.extensions.ExtensionArray, pd.api.extensions.ExtensionArray]:
    """``status`` (:func:`traffic_light`) and ``flags`` (:func:`warning_flags`) of rows.

    ``value``, ``score`` and ``missing`` hold one entry per row; ``rules`` is
    :func:`indicator_rules` (None: no target, the default thresholds, no flags) and ``at``
    the position in ``rules`` of each row's indicator (−1: an indicator without a rule,
    which gets the defaults).
    """
    rules = pd.DataFrame(columns=RULE_COLUMNS) if rules is None else rules
    fill = {**Thresholds()._asdict(), "direction": "benefit"}   # no rule: the defaults
    nums = [c for c in RULE_COLUMNS if c != "direction"]
    default = np.array([fill.get(c, np.nan) for c in nums])
    # per indicator with the defaults filled, then a row of defaults (position −1: no rule)
    N = np.column_stack([rules[c].to_numpy(dtype=float, na_value=np.nan)
                         for c in nums]).reshape(len(rules), len(nums))
    N = np.vstack([np.where(np.isnan(N), default, N), default])[at]
    r = dict(zip(nums, N.T, strict=True))
    d = rules["direction"].to_numpy(dtype=object)
    direction = np.append(np.where(pd.isna(d), "benefit", d), "benefit").astype(str)[at]
    value = np.asarray(value, dtype=float)
    status = status_codes(value, score, missing, target=r["target"], direction=direction,
                          **{c: r[c] for c in Thresholds._fields})
    flags = flag_codes(value, direction=direction, warning=r["warning"],
                       advanced=r["advanced"])
    return taken_text(STATUSES, status), taken_text(FLAGS, flags)   # text, by position


def stored_status(ind: pd.DataFrame) -> pd.Series:
    """The status of each row of an ``indicators`` frame, for the report.

    The stored ``status`` column when the Results have it (the spec's thresholds); for
    Results saved before it, :func:`traffic_light` with the default thresholds on the row's
    ``value`` (else ``raw``), ``score``, ``missing`` and (when present) ``target`` and
    ``direction``.

    Examples
    --------
    >>> ind = pd.DataFrame({"raw": [7.0, 1.0], "score": [90.0, 20.0], "missing": [False] * 2,
    ...                     "target": [6.0, None], "direction": ["benefit", "benefit"]})
    >>> stored_status(ind).tolist()
    ['green', 'red']
    """
    if "status" in ind.columns:
        return ind["status"].fillna("missing").astype(str)
    target = pd.to_numeric(ind["target"], errors="coerce") if "target" in ind else \
        pd.Series(np.nan, index=ind.index)
    direction = ind["direction"].astype(str) if "direction" in ind else \
        pd.Series("benefit", index=ind.index)
    value = ind["value"] if "value" in ind else ind["raw"]
    out = traffic_light(value.to_numpy(dtype=float), ind["score"].to_numpy(dtype=float),
                        ind["missing"].fillna(False).to_numpy(dtype=bool),
                        target=target.to_numpy(dtype=float),
                        direction=direction.to_numpy(dtype=object))
    return pd.Series(out, index=ind.index, dtype=object)
