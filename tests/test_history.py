"""History: trends, rank changes and consecutive-period rules.

The rules are those of seed 004 (目标督查业务工作交流会材料汇编): "连续两年排名最后一位的…进行
组织调整; 连续三年排在后三位的…引咎辞职"; "连续3年考核排位前10位…提拔重用". Hand-made
histories give the expected flags (worked in comments); a plain per-unit loop written here
is the oracle on random histories with ties, gaps, category changes and mid-way units.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.history import (
    ResultsStore,
    flagged_units,
    history_events,
    history_flags,
    merge_flags,
    parse_rules,
    plot_unit_trend,
    trends,
    unit_trend,
    validate_history,
)
from evalkit.core.errors import EvalkitError, ProblemList, SpecError, TableError

SEED_RULES = {"rules": [
    {"id": "last_twice", "when": "rank_from_bottom <= 1", "periods": 2},
    {"id": "bottom_three_thrice", "when": "rank_from_bottom <= 3", "periods": 3},
    {"id": "top_thrice", "when": "rank <= 1", "periods": 3, "flag": "top_3y",
     "label": "连续3年第一"},
]}


def history(ranks: dict[str, list], periods: list, category: str | dict = "township"
            ) -> pd.DataFrame:
    """Totals from ranks per unit (None = absent that period); total = 100 − rank."""
    rows = []
    for u, rs in ranks.items():
        for k, (p, r) in enumerate(zip(periods, rs, strict=True)):
            if r is None:
                continue
            cat = category if isinstance(category, str) else category[u][k]
            rows.append({"period": p, "unit_id": u, "category": cat, "rank": r,
                         "total": 100.0 - r})
    return pd.DataFrame(rows)


def fired(totals: pd.DataFrame, rules: object) -> set[tuple]:
    ev = history_events(totals, rules)
    return set(zip(ev["period"], ev["unit_id"], ev["rule"], strict=True))


def test_seed_rules_on_hand_history() -> None:
    # five townships, ranks per year (5 = last)
    h = history({"A": [1, 1, 1], "B": [2, 3, 2], "C": [3, 2, 5], "D": [4, 4, 3],
                 "E": [5, 5, 4]}, [2023, 2024, 2025])
    # last: E 2023, E 2024, C 2025 -> last_twice fires for E in 2024 only
    # bottom three (rank ≥ 3): C 23, D 23-25, E 23-25, B 24, C 25 -> D and E in 2025
    # top: A in all three years -> 2025
    assert fired(h, SEED_RULES) == {(2024, "E", "last_twice"),
                                    (2025, "D", "bottom_three_thrice"),
                                    (2025, "E", "bottom_three_thrice"),
                                    (2025, "A", "top_thrice")}
    fl = history_flags(h, SEED_RULES).set_index("unit_id")
    assert fl.loc["A", "flags"] == "top_3y"
    assert list(history_flags(h, SEED_RULES).columns) == ["period", "unit_id", "flags"]


def test_streak_longer_than_rule_fires_each_period() -> None:
    h = history({"A": [1, 1, 1, 1], "B": [2, 2, 2, 2]}, [2022, 2023, 2024, 2025])
    assert fired(h, SEED_RULES["rules"][:1]) == {(p, "B", "last_twice")
                                                 for p in (2023, 2024, 2025)}
    ev = history_events(h, SEED_RULES["rules"][:1])
    assert ev["streak"].tolist() == [2, 3, 4]


def test_ties_for_last_flag_both() -> None:
    # ranks 1, 2, 3, 3 (min method): the two units tied at 3 are both last
    h = history({"A": [1, 1], "B": [2, 2], "C": [3, 3], "D": [3, 3]}, [2024, 2025])
    t = trends(h)
    assert t.loc[t["unit_id"].isin(["C", "D"]), "rank_from_bottom"].eq(1).all()
    assert t.loc[t["unit_id"] == "B", "rank_from_bottom"].eq(3).all()
    assert fired(h, SEED_RULES["rules"][:1]) == {(2025, "C", "last_twice"),
                                                 (2025, "D", "last_twice")}


def test_ties_at_the_top_share_first_place() -> None:
    h = history({"A": [1, 1, 1], "B": [1, 1, 1], "C": [3, 3, 3]}, [2023, 2024, 2025])
    assert {u for _, u, r in fired(h, SEED_RULES) if r == "top_thrice"} == {"A", "B"}


def test_category_change_keep_or_break() -> None:
    cats = {"A": ["township", "gov_dept"], "B": ["township", "township"],
            "C": ["gov_dept", "gov_dept"]}
    # A is last among townships in 2024 and last among departments in 2025
    h = history({"A": [2, 2], "B": [1, 1], "C": [1, 1]}, [2024, 2025], cats)
    keep = {"rules": [{"id": "last_twice", "when": "rank_from_bottom <= 1", "periods": 2}]}
    brk = {"rules": [{**keep["rules"][0], "category_change": "break"}]}
    assert fired(h, keep) == {(2025, "A", "last_twice")}
    assert fired(h, brk) == set()
    t = trends(h).set_index(["unit_id", "period"])
    assert bool(t.loc[("A", 2025), "category_changed"])
    assert np.isnan(t.loc[("A", 2025), "rank_change"])  # ranks in two lists: not comparable


def test_units_appearing_mid_way_or_missing_a_period() -> None:
    h = history({"A": [1, 1, 1], "B": [2, 2, 2], "N": [None, 3, 3], "G": [3, None, 3]},
                [2023, 2024, 2025])  # N and G tie for last in 2025
    ev = fired(h, SEED_RULES["rules"][:2])
    # N joins in 2024 and is last in 2024 and 2025: two periods, not three
    assert (2025, "N", "last_twice") in ev
    assert not any(u == "N" and r == "bottom_three_thrice" for _, u, r in ev)
    # G is last in 2023 and 2025 but absent in 2024: no streak
    assert not any(u == "G" for _, u, _r in ev)
    t = trends(h).set_index(["unit_id", "period"])
    assert bool(t.loc[("N", 2024), "first_period"])
    assert np.isnan(t.loc[("G", 2025), "rank_change"])


def test_missing_year_breaks_streak() -> None:
    h = history({"A": [1, 1], "B": [2, 2]}, [2022, 2024])
    assert fired(h, SEED_RULES["rules"][:1]) == set()


def test_text_periods_keep_their_type() -> None:
    h = history({"A": [1, 1], "B": [2, 2]}, ["2024", "2025"])
    fl = history_flags(h, SEED_RULES)
    assert fl.to_numpy().tolist() == [["2025", "B", "last_twice"]]
    merged = h.merge(fl, on=["period", "unit_id"], how="left")
    assert merged["flags"].notna().sum() == 1
    # periods that are not years run in their sorted order
    q = history({"A": [1, 1, 1], "B": [2, 2, 2]}, ["2024H2", "2024H1", "2025H1"])
    ev = history_events(q, SEED_RULES)
    assert ev[ev["rule"] == "last_twice"]["period"].tolist() == ["2024H2", "2025H1"]


def test_expression_language() -> None:
    h = history({"A": [1, 2], "B": [2, 1], "C": [3, 3]}, [2024, 2025]).assign(
        grade=["excellent", "good", "good", "excellent", "pass", "pass"], veto=False)
    rules = [{"id": "r1", "when": "grade in ['excellent', 'good'] and not veto", "periods": 2},
             {"id": "r2", "when": "rank_change >= 1", "periods": 1},
             {"id": "r3", "when": "1 <= rank < 2 or total < 90", "periods": 1}]
    assert fired(h, rules) == {(2025, "A", "r1"), (2025, "B", "r1"), (2025, "B", "r2"),
                               (2024, "A", "r3"), (2025, "B", "r3")}


# ------------------------------------------------------------------ oracle on random data
def naive_events(h: pd.DataFrame, rules: list[dict], conds: dict) -> set[tuple]:
    """A plain loop: for every unit and period, walk back through consecutive years."""
    out = set()
    rfb = {}
    for (p, _c), g in h.groupby(["period", "category"]):
        for u, r in zip(g["unit_id"], g["rank"], strict=True):
            rfb[(p, u)] = 1 + int((g["rank"] > r).sum())
    rows = {(r.period, r.unit_id): r._asdict() | {"rank_from_bottom": rfb[(r.period,
                                                                            r.unit_id)]}
            for r in h.itertuples(index=False)}
    for (p, u) in rows:
        for rule in rules:
            n, q = 0, p
            while (q, u) in rows and conds[rule["id"]](rows[(q, u)]):
                if n and rule.get("category_change") == "break" and \
                        rows[(q, u)]["category"] != rows[(q + 1, u)]["category"]:
                    break
                n += 1
                q -= 1
            if n >= rule["periods"]:
                out.add((p, u, rule["id"]))
    return out


def random_history(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = [y for y in range(2014, 2026) if y != 2019]  # 2019 missing entirely
    rows = []
    for i in range(40):
        cat = rng.choice(["township", "gov_dept"])
        first, last = rng.integers(0, 4), rng.integers(len(years) - 3, len(years) + 1)
        for y in years[first:last]:
            if rng.random() < 0.05:
                continue  # absent one year
            if rng.random() < 0.08:
                cat = "gov_dept" if cat == "township" else "township"
            rows.append({"period": y, "unit_id": f"U{i:02d}", "category": cat,
                         "total": float(rng.integers(60, 70))})  # few values: many ties
    h = pd.DataFrame(rows)
    h["rank"] = h.groupby(["period", "category"])["total"].rank(method="min", ascending=False)
    return h


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_naive_loop_on_random_histories(seed: int) -> None:
    h = random_history(seed)
    rules = [{"id": "last2", "when": "rank_from_bottom <= 1", "periods": 2},
             {"id": "bot3", "when": "rank_from_bottom <= 3", "periods": 3},
             {"id": "top3b", "when": "rank <= 2", "periods": 3, "category_change": "break"},
             {"id": "mix", "when": "total >= 65 and category == 'township'", "periods": 2}]
    conds = {"last2": lambda r: r["rank_from_bottom"] <= 1,
             "bot3": lambda r: r["rank_from_bottom"] <= 3,
             "top3b": lambda r: r["rank"] <= 2,
             "mix": lambda r: r["total"] >= 65 and r["category"] == "township"}
    expected = naive_events(h, rules, conds)
    assert expected  # the random history does exercise the rules
    assert fired(h, rules) == expected


# ------------------------------------------------------------------ bad rules and tables
@pytest.mark.parametrize(("rules", "path", "text"), [
    ({"rules": [{"id": "a", "when": "rank <= 1"}]}, "history.rules[0].periods", "whole number"),
    ({"rules": [{"id": "a", "when": "rank <=", "periods": 2}]}, "history.rules[0].when",
     "cannot read"),
    ({"rules": [{"id": "a", "when": "__import__('os').system('x')", "periods": 1}]},
     "history.rules[0].when", "not allowed"),
    ({"rules": [{"id": "a", "when": "rank.real > 1", "periods": 1}]}, "history.rules[0].when",
     "not allowed"),
    ({"rules": [{"id": "a", "when": "rank is 1", "periods": 1}]}, "history.rules[0].when",
     "not allowed"),
    ({"rules": [{"id": "a b", "when": "rank <= 1", "periods": 1}]}, "history.rules[0].id",
     "letters"),
    ({"rules": [{"id": "a", "when": "rank <= 1", "periods": 1, "colour": "red"}]},
     "history.rules[0].colour", "unknown key"),
    ({"rules": [{"id": "a", "when": "rank <= 1", "periods": 1, "category_change": "x"}]},
     "history.rules[0].category_change", "keep or break"),
    ({"rules": [{"id": "a", "when": "rank <= 1", "periods": 1, "flag": "x;y"}]},
     "history.rules[0].flag", "without ';'"),
    ({"rules": [{"id": "a", "when": "rank <= 1", "periods": 1},
                {"id": "a", "when": "rank <= 2", "periods": 1}]}, "history.rules[1].id",
     "already used"),
    ({"rule": []}, "history.rule", "unknown key"),
    ({"rules": {"id": "a"}}, "history.rules", "list of rules"),
])
def test_bad_rules_name_yaml_path(rules: dict, path: str, text: str) -> None:
    problems = validate_history(rules, "history")
    assert [p.where for p in problems] == [path]
    assert text in problems[0].message
    with pytest.raises(SpecError):
        parse_rules(rules)


def test_several_bad_rules_together() -> None:
    with pytest.raises(ProblemList) as err:
        parse_rules({"rules": [{"id": "a", "when": "", "periods": 0}, "not a rule"]})
    where = [p.where for p in err.value.problems]
    assert where == ["history.rules[0].periods", "history.rules[0].when", "history.rules[1]"]


def test_unknown_column_named_at_evaluation() -> None:
    h = history({"A": [1, 1], "B": [2, 2]}, [2024, 2025])
    with pytest.raises(SpecError, match=r"history.rules\[0\].when.*'rank_form_bottom'"):
        history_flags(h, [{"id": "a", "when": "rank_form_bottom <= 1", "periods": 2}])


def test_bad_totals() -> None:
    h = history({"A": [1, 1], "B": [2, 2]}, [2024, 2025])
    with pytest.raises(TableError, match=r"row 5.*A appears more than once in period 2024"):
        trends(pd.concat([h, h.iloc[[0]]], ignore_index=True))
    with pytest.raises(TableError, match="missing column"):
        trends(h.drop(columns="category"))


# ------------------------------------------------------------------ store and helpers
def test_store_loads_results_folders(tmp_path) -> None:
    from evalkit.results import Results

    h = random_history(4)
    folders = []
    for p, g in h.groupby("period"):
        res = Results({"totals": g.assign(period=str(p), flags="")})
        folders.append(res.save(tmp_path / str(p), excel=False))
    store = ResultsStore.load(reversed(folders))
    assert store.periods == [str(p) for p in sorted(h["period"].unique())]
    assert len(store.totals) == len(h)
    rules = [{"id": "last2", "when": "rank_from_bottom <= 1", "periods": 2}]
    expected = fired(h, rules)
    assert {(int(p), u, r) for p, u, r in fired(store.totals, rules)} == expected
    wide = store.wide("rank")
    assert list(wide.columns) == store.periods and wide.shape[0] == h["unit_id"].nunique()
    with pytest.raises(TableError, match="period 2014 is also in"):
        ResultsStore.load([folders[0], folders[0]])
    with pytest.raises(TableError, match=r"no totals\.parquet"):
        ResultsStore.load([tmp_path])


def test_merge_flags_appends() -> None:
    h = history({"A": [1, 1], "B": [2, 2]}, [2024, 2025]).assign(flags=["", "x", "", "veto"])
    out = merge_flags(h, history_flags(h, SEED_RULES))
    assert out["flags"].tolist() == ["", "x", "", "veto;last_twice"]


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # no CJK font on the machine
def test_rank_changes_and_unit_trend() -> None:
    h = history({"A": [1, 3], "B": [2, 1], "C": [3, 2]}, [2024, 2025])
    store = ResultsStore({"totals": h})
    rc = store.rank_changes()
    assert rc["unit_id"].tolist() == ["B", "C", "A"]
    assert rc["rank_change"].tolist() == [1.0, 1.0, -2.0]
    tr = unit_trend(h, "A", SEED_RULES)
    assert tr["history"].tolist() == ["", ""]  # A is last only in 2025
    h2 = history({"A": [3, 3], "B": [2, 1], "C": [1, 2]}, [2024, 2025])
    tr2 = unit_trend(h2, "A", SEED_RULES)
    assert tr2["history"].tolist() == ["", "last_twice"]
    fig = plot_unit_trend(tr2, lang="zh")
    assert fig.axes and fig.axes[1].get_ylim()[0] > fig.axes[1].get_ylim()[1]  # rank 1 on top
    with pytest.raises(EvalkitError, match="'Z' is not in any period"):
        unit_trend(h, "Z")


def test_flagged_units_for_overview() -> None:
    h = history({"A": [1, 1, 1], "B": [2, 2, 2], "C": [3, 3, 3]}, [2023, 2024, 2025]).assign(
        unit_name=lambda d: d["unit_id"] + "镇")
    fu = flagged_units(h, SEED_RULES)
    assert fu[["unit_id", "rule"]].to_numpy().tolist() == [
        ["C", "last_twice"], ["A", "bottom_three_thrice"], ["B", "bottom_three_thrice"],
        ["C", "bottom_three_thrice"], ["A", "top_thrice"]]
    assert (fu["period"] == 2025).all() and fu["unit_name"].iloc[0] == "C镇"
    assert flagged_units(h, SEED_RULES, period=2023).empty


def test_store_describe_lists_periods_in_order() -> None:
    h = history({"A": [1, 1, None], "B": [2, 2, 1]}, [2025, 2023, 2024])
    d = ResultsStore({"totals": h}).describe()
    assert d["period"].tolist() == [2023, 2024, 2025]
    assert d["units"].tolist() == [2, 1, 2]
