"""Points rules (加分 / 扣分 / 黄牌 / 一票否决): bonus cap, deductions, yellow-card multiplier.

Examples
--------
>>> import pandas as pd
>>> rec = pd.DataFrame({"unit_id": ["A", "A", "B"], "kind": ["bonus", "bonus", "yellow_card"],
...                     "points": [4.0, 3.0, 1.0], "reason": ""})
>>> per, _ = points_totals(rec, pd.Index(["A", "B"]), 5.0, None, 2.0)
>>> per[["bonus", "deductions"]].to_dict("list")
{'bonus': [5.0, 0.0], 'deductions': [0.0, 2.0]}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.inputs.tables import positions


def points_totals(points: pd.DataFrame, units: pd.Index, bonus_cap: float | None,
                  deduction_cap: float | None, yellow_multiplier: float
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum a period's point records per unit and apply the rules.

    ``bonus = min(Σ bonus, bonus_cap)``; ``deductions = min(Σ deduction + m · Σ yellow_card,
    deduction_cap)``; ``veto`` is true when the unit has any veto record. Returns the per-unit
    table and the records with the points each one actually applied (after multiplier; a
    capped bonus is scaled down pro rata across its records, so they still add up).
    """
    kind = points["kind"].to_numpy()
    pts = points["points"].to_numpy(dtype=float)
    applied = np.where(kind == "yellow_card", pts * yellow_multiplier,
                       np.where(kind == "veto", 0.0, pts))
    code = positions(units, points["unit_id"])          # -1: a record of another unit
    known = code >= 0

    def per_unit(*kinds: str) -> np.ndarray:
        sel = known & np.isin(kind, kinds)
        return np.bincount(code[sel], weights=applied[sel], minlength=len(units)).astype(float)

    raw_bonus = per_unit("bonus")
    bonus = raw_bonus if bonus_cap is None else np.minimum(raw_bonus, bonus_cap)
    raw_ded = per_unit("deduction") + per_unit("yellow_card")
    ded = raw_ded if deduction_cap is None else np.minimum(raw_ded, deduction_cap)
    vetoed = np.zeros(len(units) + 1, dtype=bool)      # the last slot: other units
    vetoed[np.where(known, code, len(units))[kind == "veto"]] = True
    out = pd.DataFrame({"bonus": bonus, "deductions": ded, "veto": vetoed[:-1]}, index=units)
    # scale capped records so that the applied points add up to the unit totals
    with np.errstate(invalid="ignore", divide="ignore"):
        bscale = np.where(raw_bonus > 0, bonus / raw_bonus, 1.0)
        dscale = np.where(raw_ded > 0, ded / raw_ded, 1.0)
    at = np.maximum(code, 0)
    rec = points.assign(applied=np.where(~known, np.nan, np.where(
        kind == "bonus", applied * bscale[at],
        np.where(np.isin(kind, ["deduction", "yellow_card"]), applied * dscale[at], applied))))
    return out, rec
