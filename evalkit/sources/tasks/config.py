"""The ``sources.tasks`` section and its ``progress`` subsection: defaults and checks.

Every check returns all the problems it finds, each naming its YAML path
(``sources.tasks.escalation[1].months``), so ``evalkit validate`` lists them at once;
:func:`tasks_settings` and :func:`progress_settings` raise them and fill in the defaults.

Examples
--------
>>> [e.where for e in validate_tasks({"late_credit": 2, "escalation": [
...     {"id": "a", "months": 2, "points": 1}, {"id": "b", "months": 1, "points": 1}]})]
['sources.tasks.late_credit', 'sources.tasks.escalation[1].months']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.core.errors import EvalkitError, SpecError, raise_all

#: Defaults of the ``sources.tasks`` section (seed 002: 30 points; 1/2/3 months late).
TASKS_DEFAULTS: dict[str, Any] = {
    "ledger": "tasks_ledger",
    "scale": 30.0,
    "months": 12,
    "as_of": None,
    "late_credit": 0.5,
    "escalation": [
        {"id": "deduction", "months": 1, "points": 0.2},
        {"id": "admonition", "months": 2, "points": 0.5},
        {"id": "disciplinary", "months": 3, "points": 1.0},
    ],
    "highlight": {"points": 0.2, "cap": 2.0},
}
#: Defaults of the ``sources.tasks.progress`` subsection (seed 004: 1 point a flag or card).
PROGRESS_DEFAULTS: dict[str, Any] = {
    "table": "project_progress",
    "months": 12,
    "status": {"yellow": 5.0, "red": 15.0},
    "red_flag": {"points": 1.0, "ahead_by": 0.0,
                 "groups": {"township": ["township"], "department": ["party_dept", "gov_dept"]}},
    "yellow_card": {"points": 1.0, "status": "red", "months": None},
}
_TASKS_KEYS = {*TASKS_DEFAULTS, "progress"}
#: Keys of the progress subsection; a subsection's allowed keys (None: a plain value).
_PROGRESS_KEYS: dict[str, set[str] | None] = {
    "table": None, "months": None, "status": {"yellow", "red"},
    "red_flag": {"points", "ahead_by", "groups"}, "yellow_card": {"points", "status", "months"}}


def _number(path: str, value: Any, problems: list[EvalkitError], lo: float | None = None,
            hi: float | None = None) -> bool:
    """Append a SpecError unless ``value`` is a number in ``[lo, hi]`` (bounds optional)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and (lo is None or value >= lo) and (hi is None or value <= hi):
        return True
    bounds = (f" between {lo} and {hi}" if hi is not None
              else f" ≥ {lo}" if lo is not None else "")
    problems.append(SpecError(f"expected a number{bounds}, got {value!r}", path))
    return False


def _sub(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The subsection ``key`` if it is a mapping, else an empty one (reported elsewhere)."""
    value = config.get(key)
    return value if isinstance(value, Mapping) else {}


# --------------------------------------------------------------------------- sources.tasks
def _check_scalars(config: Mapping[str, Any], where: str) -> list[EvalkitError]:
    """Unknown keys; scale > 0, late_credit in [0, 1], months ≥ 1, as_of in [1, months]."""
    problems: list[EvalkitError] = [
        SpecError(f"unknown key {k!r}; expected one of {sorted(_TASKS_KEYS)}", f"{where}.{k}")
        for k in sorted(set(config) - _TASKS_KEYS - {"weight"})]
    if "scale" in config:
        _number(f"{where}.scale", config["scale"], problems, 1e-9)
    if "late_credit" in config:
        _number(f"{where}.late_credit", config["late_credit"], problems, 0, 1)
    months = config.get("months", TASKS_DEFAULTS["months"])
    if "months" in config and (not isinstance(months, int) or isinstance(months, bool)
                               or months < 1):
        problems.append(SpecError(f"expected a whole number of months ≥ 1, got {months!r}",
                                  f"{where}.months"))
        months = TASKS_DEFAULTS["months"]
    if config.get("as_of") is not None:
        _number(f"{where}.as_of", config["as_of"], problems, 1, months)
    if "ledger" in config and not isinstance(config["ledger"], str):
        problems.append(SpecError(f"expected a data key (text), got {config['ledger']!r}",
                                  f"{where}.ledger"))
    return problems


def _check_escalation(esc: Any, where: str) -> list[EvalkitError]:
    """Escalation levels: ``{id, months, points}`` with unique ids and increasing months."""
    if not isinstance(esc, list):
        return [SpecError("expected a list of {id, months, points}", where)]
    problems: list[EvalkitError] = []
    prev = 0
    seen: set[str] = set()
    for i, lvl in enumerate(esc):
        w = f"{where}[{i}]"
        if not isinstance(lvl, Mapping) or set(lvl) != {"id", "months", "points"}:
            problems.append(SpecError("expected a mapping with keys id, months, points", w))
            continue
        lid = lvl.get("id")
        if not isinstance(lid, str) or not lid.isidentifier() or lid in seen:
            problems.append(SpecError(f"expected a unique identifier, got {lid!r}", f"{w}.id"))
        seen.add(str(lid))
        m = lvl.get("months")
        if not isinstance(m, int) or isinstance(m, bool) or m <= prev:
            problems.append(SpecError(f"expected a whole number of months > {prev} "
                                      f"(levels in increasing order), got {m!r}", f"{w}.months"))
        else:
            prev = m
        _number(f"{w}.points", lvl.get("points"), problems, 0)
    return problems


def _check_highlight(hl: Any, where: str) -> list[EvalkitError]:
    """The highlight bonus: ``{points, cap}``, both ≥ 0."""
    if not isinstance(hl, Mapping) or set(hl) - {"points", "cap"}:
        return [SpecError("expected a mapping with keys points, cap", where)]
    problems: list[EvalkitError] = []
    for k in ("points", "cap"):
        if k in hl:
            _number(f"{where}.{k}", hl[k], problems, 0)
    return problems


def validate_tasks(config: Mapping[str, Any], where: str = "sources.tasks") -> list[EvalkitError]:
    """Problems in a ``sources.tasks`` section, each naming its YAML path.

    Parameters
    ----------
    config : mapping
        The section: ledger, scale, months, as_of, late_credit, escalation, highlight,
        progress (and the source's weight); defaults :data:`TASKS_DEFAULTS`.
    where : str
        Its YAML path, prefixed to every problem's location.

    Returns
    -------
    list of EvalkitError
        Empty when the section is valid; the ``progress`` subsection is checked by
        :func:`validate_progress`.
    """
    problems = _check_scalars(config, where)
    problems += _check_escalation(config.get("escalation", TASKS_DEFAULTS["escalation"]),
                                  f"{where}.escalation")
    problems += _check_highlight(config.get("highlight", TASKS_DEFAULTS["highlight"]),
                                 f"{where}.highlight")
    if config.get("progress") is not None:
        problems += validate_progress(config["progress"], f"{where}.progress")
    return problems


def tasks_settings(config: Mapping[str, Any], where: str = "sources.tasks") -> dict[str, Any]:
    """The checked section with its defaults filled in (raises every problem at once)."""
    raise_all(validate_tasks(config, where), "problems in the tasks section")
    cfg = {**TASKS_DEFAULTS,
           **{k: v for k, v in config.items() if v is not None or k == "as_of"}}
    cfg["highlight"] = {**TASKS_DEFAULTS["highlight"], **(config.get("highlight") or {})}
    return cfg


# --------------------------------------------------------------------------- progress
def _check_progress_keys(config: Mapping[str, Any], where: str) -> list[EvalkitError]:
    """Unknown keys of the subsection and of its parts; parts that are no mapping."""
    problems: list[EvalkitError] = []
    for k, v in config.items():
        if k not in _PROGRESS_KEYS:
            problems.append(SpecError(f"unknown key {k!r}; expected one of "
                                      f"{sorted(_PROGRESS_KEYS)}", f"{where}.{k}"))
        elif (keys := _PROGRESS_KEYS[k]) is not None:
            if not isinstance(v, Mapping):
                problems.append(SpecError(f"expected a mapping with keys {sorted(keys)}",
                                          f"{where}.{k}"))
                continue
            problems += [SpecError(f"unknown key {kk!r}; expected one of {sorted(keys)}",
                                   f"{where}.{k}.{kk}") for kk in sorted(set(v) - keys)]
    return problems


def _check_status(config: Mapping[str, Any], where: str) -> list[EvalkitError]:
    """``status.yellow`` and ``status.red``: numbers ≥ 0 with yellow ≤ red."""
    problems: list[EvalkitError] = []
    st = _sub(config, "status")
    ok_y = _number(f"{where}.status.yellow", st["yellow"], problems, 0.0) \
        if "yellow" in st else True
    ok_r = _number(f"{where}.status.red", st["red"], problems, 0.0) if "red" in st else True
    if ok_y and ok_r:
        y = st.get("yellow", PROGRESS_DEFAULTS["status"]["yellow"])
        r = st.get("red", PROGRESS_DEFAULTS["status"]["red"])
        if y > r:
            problems.append(SpecError(f"yellow threshold {y} exceeds red threshold {r}; "
                                      "expected yellow ≤ red (lags in percentage points)",
                                      f"{where}.status"))
    return problems


def _check_red_flag(config: Mapping[str, Any], where: str) -> list[EvalkitError]:
    """``red_flag``: points ≥ 0, any ahead_by, groups mapping each category once."""
    problems: list[EvalkitError] = []
    rf = _sub(config, "red_flag")
    if "points" in rf:
        _number(f"{where}.red_flag.points", rf["points"], problems, 0.0)
    if "ahead_by" in rf:
        _number(f"{where}.red_flag.ahead_by", rf["ahead_by"], problems)
    if "groups" in rf:
        g = rf["groups"]
        if not isinstance(g, Mapping) or not g or not all(
                isinstance(v, list) and v and all(isinstance(c, str) for c in v)
                for v in g.values()):
            problems.append(SpecError("expected a mapping group name -> list of categories",
                                      f"{where}.red_flag.groups"))
        else:
            cats = [c for v in g.values() for c in v]
            dup = sorted({c for c in cats if cats.count(c) > 1})
            if dup:
                problems.append(SpecError(f"categories {dup} are in several groups; expected "
                                          "each category in one group",
                                          f"{where}.red_flag.groups"))
    return problems


def _check_yellow_card(config: Mapping[str, Any], where: str) -> list[EvalkitError]:
    """``yellow_card``: points ≥ 0, status yellow or red, checkpoint months in the period."""
    problems: list[EvalkitError] = []
    yc = _sub(config, "yellow_card")
    if "points" in yc:
        _number(f"{where}.yellow_card.points", yc["points"], problems, 0.0)
    if "status" in yc and yc["status"] not in ("yellow", "red"):
        problems.append(SpecError(f"expected yellow or red, got {yc['status']!r}",
                                  f"{where}.yellow_card.status"))
    months = config.get("months", PROGRESS_DEFAULTS["months"])
    if yc.get("months") is not None:
        ms = yc["months"]
        if not isinstance(ms, list) or not all(
                isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= months for m in ms):
            problems.append(SpecError(f"expected a list of month numbers 1–{months}",
                                      f"{where}.yellow_card.months"))
    return problems


def validate_progress(config: Mapping[str, Any], where: str = "sources.tasks.progress"
                      ) -> list[EvalkitError]:
    """Problems in a ``progress`` section, each naming its YAML path.

    Parameters
    ----------
    config : mapping
        The ``sources.tasks.progress`` section: table, months, status ``{yellow, red}``,
        red_flag ``{points, ahead_by, groups}``, yellow_card ``{points, status, months}``;
        defaults :data:`PROGRESS_DEFAULTS`.
    where : str
        Its YAML path, prefixed to every problem's location.

    Returns
    -------
    list of EvalkitError
        Empty when the section is valid.

    Examples
    --------
    >>> [e.where for e in validate_progress({"status": {"yellow": 20, "red": 10}})]
    ['sources.tasks.progress.status']
    """
    if not isinstance(config, Mapping):
        return [SpecError("expected a mapping (table, status, red_flag, yellow_card)", where)]
    return (_check_progress_keys(config, where) + _check_status(config, where)
            + _check_red_flag(config, where) + _check_yellow_card(config, where))


def progress_settings(config: Mapping[str, Any], where: str = "sources.tasks.progress"
                      ) -> dict[str, Any]:
    """The checked subsection with its defaults filled in (raises every problem at once)."""
    raise_all(validate_progress(config, where), "problems in the progress section")
    cfg = {**PROGRESS_DEFAULTS, **config}
    for k in ("status", "red_flag", "yellow_card"):
        cfg[k] = {**PROGRESS_DEFAULTS[k], **(config.get(k) or {})}
    return cfg
