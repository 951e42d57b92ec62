"""The input audit: what a declared policy did to the input, counted (the ``input_audit`` table).

Nothing in the input is dropped, defaulted, imputed, capped or renormalised silently: each
time a policy acts, a row records it — in which period, in which table, what happened, where
(an indicator, a source, a column, a scorecard node), to how many cells, rows or units, and
under which policy (the spec key that declares it, or the documented rule). The rows of
reading are kept with the tables (``DataFrame.attrs['audit']``); :func:`evalkit.evaluate.evaluate`
adds the rows of the evaluation and stores them as the ``input_audit`` table of the Results;
``evalkit validate`` prints :func:`summary`.

Examples
--------
>>> a = Audit()
>>> a.add("values", "imputed value", 3, "treatment.impute: group_mean",
...       period="2025", where="indicator D01")
>>> a.add("values", "blank rows skipped", 0, "none")        # zero counts are not recorded
>>> a.frame()[["period", "what", "n"]].values.tolist()
[['2025', 'imputed value', 3]]
>>> print("\\n".join(summary(a.frame())))
2025  values  imputed value (indicator D01): 3 — treatment.impute: group_mean
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.inputs.checks import audit_row
from evalkit.spec.points import points_categories
from evalkit.spec.schema import Spec
from evalkit.spec.weights import empty_nodes, weight_groups

#: Columns of the ``input_audit`` table.
AUDIT_COLUMNS = ["period", "table", "what", "where", "n", "policy"]
#: The period of a row that holds for every period.
ALL_PERIODS = "all"


@dataclass
class Audit:
    """Rows of the input audit, added as policies act."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, table: str, what: str, n: int, policy: str, *, period: Any = ALL_PERIODS,
            where: str = "") -> None:
        """Record that ``policy`` did ``what`` to ``n`` cells, rows or units (0: nothing)."""
        if int(n) > 0:
            self.rows.append(audit_row(table, what, n, policy, period, where))

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add rows recorded elsewhere (e.g. while the tables were read)."""
        self.rows.extend(dict(r) for r in rows)

    def frame(self) -> pd.DataFrame:
        """The rows as the ``input_audit`` table (one row per period, table, what, where)."""
        keys = [*AUDIT_COLUMNS[:4], "policy"]
        n: dict[tuple[str, ...], int] = {}
        for r in self.rows:
            k = tuple(str(r[c]) for c in keys)
            n[k] = n.get(k, 0) + int(r["n"])
        rows = sorted(n)   # the rows do not follow the order in which the inputs met them
        cols = {c: pd.array([k[i] for k in rows], dtype="string") for i, c in enumerate(keys)}
        cols["n"] = np.array([n[k] for k in rows], dtype="int64")
        return pd.DataFrame({c: cols[c] for c in AUDIT_COLUMNS})


def weights_audit(spec: Spec) -> list[dict[str, Any]]:
    """Rows for the sets of sibling weights that do not sum to 1 and are renormalised to
    shares (relative weights), per category, and for the source weights."""
    a = Audit()
    points = set(points_categories(spec))   # points (分值) are declared, not renormalised
    for what, where, cat, weights in weight_groups(spec):
        if cat in points:
            continue
        if abs(sum(weights) - 1) > 1e-9 and sum(weights) > 0:
            kind = "indicator" if what.startswith("indicators") else "perspective"
            a.add("spec", f"{kind} weights renormalised to sum to 1", len(weights),
                  f"relative weights (defaults.weights: {spec.defaults.weights})",
                  where=f"{where}, category {cat}")
    for node, cat in empty_nodes(spec):
        a.add("spec", "perspective without an indicator for the category; its weight shared "
              "among its siblings", 1, "relative weights", where=f"{node}, category {cat}")
    sw = spec.source_weights()
    if sw and abs(sum(sw.values()) - 1) > 1e-9:
        a.add("spec", "source weights renormalised to sum to 1", len(sw),
              f"relative weights (defaults.weights: {spec.defaults.weights})",
              where="sources")
    return a.rows


def missing_audit(spec: Spec, period: str, indicators: Sequence[str], applies: np.ndarray,
                  missing: np.ndarray, keep: np.ndarray, imputed: np.ndarray
                  ) -> list[dict[str, Any]]:
    """Rows for what the missing-value policies and the imputation did in one period.

    ``applies``, ``missing`` (applicable, no value, not imputed), ``keep`` (cells that enter
    aggregation) and ``imputed`` are units × indicators masks.
    """
    a = Audit()
    impute = (spec.treatment.impute or {}).get("method", "")
    for j, ind in enumerate(indicators):
        pol = spec.indicators[j].missing or spec.defaults.missing
        key = "indicator's missing" if spec.indicators[j].missing else "defaults.missing"
        m = missing[:, j] & applies[:, j]
        filled = int((m & keep[:, j]).sum())
        dropped = int((m & ~keep[:, j]).sum())
        where = f"indicator {ind}"
        a.add("values", "imputed value", int((imputed[:, j] & applies[:, j]).sum()),
              f"treatment.impute: {impute}", period=period, where=where)
        a.add("values", "missing value scored 0" if pol == "zero" else
              "missing value given the category's mean score", filled, f"{key}: {pol}",
              period=period, where=where)
        a.add("values", "missing value left out, its siblings' weights renormalised",
              dropped, f"{key}: {pol}" + ("" if pol == "reweight" else
                                          " (no value in the category: reweight)"),
              period=period, where=where)
    return a.rows


def table_audit(tables: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """The audit rows recorded while ``tables`` were read (``attrs['audit']`` of each)."""
    out: list[dict[str, Any]] = []
    for df in tables.values():
        if isinstance(df, pd.DataFrame):
            out.extend(df.attrs.get("audit", []))
    return out


def summary(audit: pd.DataFrame, limit: int = 40) -> list[str]:
    """One line per period, table, what and policy (the places summed), for ``evalkit
    validate``; at most ``limit`` lines, then a count."""
    keys = ["period", "table", "what", "policy"]
    g = audit.groupby(keys, sort=False).agg(n=("n", "sum"), places=("where", "nunique"),
                                            where=("where", "first")).reset_index()
    lines = []
    for r in g.head(limit).itertuples(index=False):
        at = f" ({r.where})" if r.places == 1 and r.where else (
            f" in {r.places} places" if r.places > 1 else "")
        lines.append(f"{r.period}  {r.table}  {r.what}{at}: {r.n} — {r.policy}")
    if len(g) > limit:
        lines.append(f"… and {len(g) - limit} more lines (see the input_audit table)")
    return lines
