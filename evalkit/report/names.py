"""Names in the report's language: units, the ids of the metadata tables, grades, flags.

Names come from the Results (``unit_name`` / ``unit_name_en`` of ``totals``, ``name`` /
``name_en`` of the ``meta_*`` tables); English falls back to Chinese, and a missing name to
the id. Fixed words (flags, kinds) come from the label table :mod:`evalkit.core.labels`.

Examples
--------
>>> from evalkit.report.names import flag_labels
>>> flag_labels("veto;bottom_3", "zh")
['一票否决', '类别末位 3']
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from evalkit.core.labels import label_or, name_column, t
from evalkit.report.data import table
from evalkit.results import Results


def names(res: Results, meta: str, key: str, lang: str) -> pd.Series:
    """Names of the ids in metadata table ``meta`` (index ``key``) in ``lang``.

    English names fall back to the Chinese name, and missing names to the id.
    """
    df = table(res, meta)
    if df is None or df.empty:
        return pd.Series(dtype=object)
    col = name_column("name", lang)
    out = df[col] if col in df.columns else df["name"]
    out = out.where(out.notna() & (out.astype(str) != ""), df["name"])
    return pd.Series(out.to_numpy(), index=df[key].astype(str))


def unit_name(row: pd.Series, lang: str) -> str:
    """The unit's name in ``lang`` (English falls back to Chinese)."""
    name = row.get(name_column("unit_name", lang))
    return str(name) if isinstance(name, str) and name else str(row["unit_name"])


def unit_names(totals: pd.DataFrame, lang: str) -> pd.Series:
    """Unit names of ``totals`` rows in ``lang`` (English falls back to Chinese), vectorised."""
    col = name_column("unit_name", lang)
    if col not in totals.columns:
        return totals["unit_name"].astype(str)
    name = totals[col].astype("string")
    return name.where(name.notna() & (name != ""), totals["unit_name"].astype("string")) \
        .astype(str)


def flag_labels(flags: Any, lang: str) -> list[str]:
    """The ``;``-joined flags of a totals row as labels in ``lang`` (``bottom_3``: "类别末位 3")."""
    if not isinstance(flags, str) or not flags:
        return []
    out = []
    for f in (f for f in flags.split(";") if f):
        m = re.fullmatch(r"bottom_(\d+)", f)
        out.append(f"{t('bottom_n', lang)} {m.group(1)}" if m else label_or(f, lang, f))
    return out


def grade_name(res: Results, row: pd.Series, lang: str) -> str:
    """The grade of a totals row, named in ``lang`` from ``meta_grades`` (else ``grade_name``)."""
    gnames = names(res, "meta_grades", "grade", lang)
    g = str(row.get("grade", ""))
    return str(gnames.get(g, row.get("grade_name", g)) or "–")
