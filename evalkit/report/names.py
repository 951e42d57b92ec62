"""Words in the report's language: names, flags, methods, policies, and the report's labels.

Names come from the Results (``unit_name`` / ``unit_name_en`` of ``totals``, ``name`` /
``name_en`` of the ``meta_*`` tables); English falls back to Chinese, and a missing name to
the id. Fixed words come from the label table :mod:`evalkit.core.labels`; the sentences of the
unit report are registered into it here (:data:`REPORT_LABELS`). Methods are described in
words with the parameters the spec gives them (:func:`method_text`), never by their ids; a
flag set by a consecutive-period rule is named by the rule's label (:func:`flag_words`).

Examples
--------
>>> from evalkit.report.names import flag_labels, pct
>>> flag_labels("veto;bottom_3", "zh")
['一票否决', '本类别后 3 名']
>>> pct(0.0563), pct(0.45), pct(0.125)
('5.63%', '45%', '12.5%')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from evalkit.analysis.history import parse_rules, rule_label
from evalkit.core.figures import fmt
from evalkit.core.labels import label_block, label_or, name_column, register_labels, t
from evalkit.report.data import table
from evalkit.results import Results

#: The unit report's sentences and words (``key 中文 | English``), registered in the label table.
REPORT_LABELS = label_block("""
    nav_index 返回目录 | Back to the index
    nav_prev 上一名 | Previous
    nav_next 下一名 | Next
    nav_aria 同类别报告 | Reports of the category
    flag_bottom 本类别后 {n} 名 | bottom {n} of the category
    grade_rule_min {grade} ≥ {min} 分 | {grade} ≥ {min}
    grade_rule_rest {grade} < {min} 分 | {grade} < {min}
    grade_quota （不超过本类别的 {q}） | (at most {q} of the category)
    grade_standard 等次标准 | Grades
    total_formula 总分 {total} = 加权得分 {ws} + 加分 {bonus} − 扣分 {ded}
    | Total {total} = weighted score {ws} + bonus {bonus} − deductions {ded}
    veto_note 一票否决：等次最高为“{grade}”，不论总分。
    | Veto: the grade is at most “{grade}”, whatever the total.
    w_within 维度内权重 | Weight in perspective
    w_global 全局权重 | Global weight
    w_points 分值 | Points
    w_office 官评权重 | Office weight
    ind_formula 贡献分 = 得分 × 全局权重 × 官评权重；全局权重 = 维度权重 × 维度内权重。各指标贡献分
    +之和 {sum} 即官评对总分的贡献。
    | Contribution = score × global weight × office weight; global weight = perspective weight
    + ×weight in perspective. The contributions add up to {sum}, the office part of the total.
    ind_formula_points 贡献分 = 得分 × 分值 ÷ 100 × 官评权重；本类别各指标分值合计 100。
    +各指标贡献分之和 {sum} 即官评对总分的贡献。
    | Contribution = score × points ÷ 100 × office weight; the points of a category add up to
    + 100. The contributions add up to {sum}, the office part of the total.
    persp_row {name}（维度权重 {w}，维度得分 {score}） | {name} (weight {w}, score {score})
    status_rule_target 状态：有目标值的指标，完成目标的 {green} 及以上为“达标”，{yellow} 及以上为
    +“基本达标”，否则为“未达标”（逆向指标按目标值 ÷ 实际值计完成程度，
    +“越接近目标越好”的指标按与目标的偏差）；
    | Status: with a target, “met” at {green} of the target or more, “near” at {yellow} or
    + more, else “not met” (a cost indicator by target ÷ value, a closer-to-target one by its
    + distance to the target);
    status_rule_score 无目标值的指标，得分 ≥ {good} 为“达标”，得分 ≥ {fair} 为“基本达标”，低于
    + {fair} 为“未达标”；“缺数据”见注。
    | without a target, “met” with a score ≥ {good}, “near” with a score ≥ {fair}, “not met”
    + below {fair}; “missing”: see the notes.
    mark_missing 缺失 | missing
    mark_imputed 插补值 | imputed
    note_category_mean 未报送：按本类别该指标的平均得分计分。
    | Not reported: scored at the category's mean score for the indicator.
    note_zero 未报送：计 0 分。 | Not reported: scored 0.
    note_reweight 未报送：不计分，其权重由同一维度的其他指标按比例分担。
    | Not reported: not scored; the other indicators of the perspective share its weight.
    note_missing 未报送。 | Not reported.
    note_imputed 数值按{method}插补后计分。 | The value was imputed ({method}), then scored.
    notes 注 | Notes
    imp_mean 全体单位的均值 | the mean of all units
    imp_median 全体单位的中位数 | the median of all units
    imp_group_mean 本类别均值 | the category's mean
    imp_knn 最相近单位的取值 | the nearest similar units
    imp_iterative 其他指标的回归估计 | a regression on the other indicators
    imp_other 考核方案规定的方法 | the spec's method
    sm_minmax 极差法：本类别最好的得 {upper} 分、最差的得 {lower} 分，其余按比例
    | Min–max within the category: the best {upper}, the worst {lower}, the rest in proportion
    sm_goalposts 固定区间法：{lower} 至 {upper} 之间按比例得 0–{scale} 分，区间外取端点分
    | Goalposts: 0–{scale} in proportion between {lower} and {upper}, capped outside
    sm_target_ratio 完成率法：实际值 ÷ 目标值 × {scale}，最高 {top} 分
    | Ratio to target × {scale}, at most {top}
    sm_target_distance 距目标法：本类别最差的得 0 分，达到目标得 {scale} 分，其余按比例
    | Distance to target: the category's worst 0, the target {scale}, the rest in proportion
    sm_zscore 标准分法：{center} + {spread} × (实际值 − 本类别平均) ÷ 本类别标准差
    | Standard score: {center} + {spread} × (value − category mean) / category SD
    sm_rank 名次法：本类别最差的得 1 分，每高一名加 1 分
    | Rank in the category: the worst 1, one more per place
    sm_percentile 百分位法：本类别最差的得 0 分、最好的得 {scale} 分，按名次比例
    | Percentile rank in the category: the worst 0, the best {scale}
    sm_bands 分档计分：{bands} | Bands: {bands}
    sm_band 达到 {t} 得 {s} 分 | {s} at {t} or more
    sm_band_low 其余 {s} 分 | otherwise {s}
    sm_best_ratio 比例计分：本类别第一名得 {scale} 分，其余按与第一名的比例得分
    | Ratio to the best: the first {scale}, the rest in proportion
    sm_rank_points 名次计分：第一名 {top} 分，每低一名减 {step} 分，最低 {floor} 分
    | Points by rank: the first {top}, {step} less per place, at least {floor}
    sm_rank_table 名次计分：按名次依次得 {table} 分，其后 {floor} 分
    | Points by rank: {table}, then {floor}
    sm_goal_redflag 目标–警戒线法：达到目标得满分的三分之二，警戒值 {red_flag} 得三分之一，线性计分
    | Goal and red flag: the goal scores two thirds, the red flag {red_flag} one third, linear
    sm_other 考核方案规定的方法 | the spec's method
    src_weight_nominal 规定权重 | Nominal weight
    sources_missing 缺{source}评价，其权重按比例分给其他来源。
    | No {source} score: its weight is shared among the other sources.
    reason_behind 第 {month} 月重点项目时序进度滞后：{projects}
    | Month {month}: key projects behind schedule: {projects}
    peer_line 互评得分 {score}：{n} 个评价方，计分方法为{scheme}。
    | Peer score {score}: {n} raters; scheme: {scheme}.
    ps_mean 算术平均 | the mean
    ps_median 中位数 | the median
    ps_trimmed_mean 截尾平均（去掉最高、最低各 {k} 个评分）
    | the trimmed mean (the {k} highest and lowest ratings dropped)
    ps_winsorized_mean 缩尾平均 | the winsorised mean
    ps_zscore 评价人标准化后的平均 | the mean of rater-standardised ratings
    ps_group_weighted 按评价方分组加权平均 | the group-weighted mean
    ps_borda 波达计数 | the Borda count
    ps_additive 加性模型（校正评价人宽严） | an additive model (rater leniency removed)
    ps_pg1 公正互评机制 | an impartial mechanism (PG1)
    ps_vancouver 温哥华法（按评价人准确度加权） | the Vancouver method (raters weighted by accuracy)
    ps_peerrank 同伴排名迭代法 | PeerRank
    ps_bradley_terry 配对比较模型 | the Bradley–Terry pairwise model
    unc_grade_change （等次与名义等次不同的概率：{p}） | (chance of another grade: {p})
    ap_title 方法与数据来源 | Methods and provenance
    ap_scoring 指标计分方法 | How each indicator is scored
    ap_persp_weights 本类别维度权重：{list} | Perspective weights of the category: {list}
    ap_scheme 维度“{node}”内的指标权重：{method} | Weights within “{node}”: {method}
    ap_aggregation 维度得分与官评得分：{method} | Perspective and office scores: {method}
    agg_arithmetic 加权算术平均 | weighted arithmetic mean
    agg_geometric 加权几何平均 | weighted geometric mean
    agg_harmonic 加权调和平均 | weighted harmonic mean
    agg_median 加权中位数 | weighted median
    ap_missing 缺失值：{policy} | Missing values: {policy}
    pol_category_mean 按本类别该指标的平均得分计分 | scored at the category's mean score
    pol_zero 计 0 分 | scored 0
    pol_reweight 不计分，权重由同一维度的其他指标分担
    | not scored; the other indicators share its weight
    ap_sources 评价来源权重：{list} | Source weights: {list}
    ap_bonus_cap 加分累计不超过 {cap} 分 | bonus capped at {cap}
    ap_yellow 黄牌警告扣分按 {k} 倍计 | yellow cards count {k} times
    ap_veto 一票否决的单位等次最高为“{grade}” | a vetoed unit is graded at most “{grade}”
    ap_inputs 输入数据 | Input data
    ap_file 文件 | File
    ap_checksum 校验码（前 12 位） | Checksum (first 12)
    ap_software 程序版本 | Software
    ap_seed 随机种子 | Seed
    ws_equal 等权 | equal weights
    ws_direct 直接赋权 | direct weights
    ws_points 按分值折算 | points
    ws_entropy 熵权法（客观赋权，随数据而变） | entropy weights (objective, data-dependent)
    ws_critic CRITIC 法（客观赋权，按指标的差异与冲突，随数据而变）
    | CRITIC (objective: contrast and conflict, data-dependent)
    ws_sd 标准差法（客观赋权） | standard-deviation weights (objective)
    ws_cv 变异系数法（客观赋权） | coefficient-of-variation weights (objective)
    ws_pca 主成分分析法（客观赋权） | principal components (objective)
    ws_bod 有利赋权法（每个单位取对自己最有利的权重）
    | benefit of the doubt (each unit's most favourable weights)
    ws_ahp 层次分析法（两两比较） | AHP (pairwise comparisons)
    ws_ahp_group 群组层次分析法 | group AHP
    ws_ahp_incomplete 不完全判断矩阵层次分析法 | AHP with incomplete comparisons
    ws_bwm 最优最劣法 | best–worst method
    ws_roc 排序质心法 | rank-order centroid
    ws_rank_sum 秩和法 | rank sum
    ws_reciprocal_rank 倒数秩法 | reciprocal rank
    ws_swing 摆动赋权法 | swing weights
    ws_smart 简单多属性评级法 | SMART
    index_note 分类考核：各类别的单位分别排名。总分 = 各评价来源得分按权重合成 + 加分 − 扣分；计分方
    +法、权重和数据来源见各单位报告的附录。
    | Units are ranked within their category. Total = the sources' scores weighted + bonus
    + − deductions; methods, weights and data are in each report's appendix.
    index_date 结果计算日期：{date} | Results computed on {date}
    index_periods 考核期：{period}（数据年度：{periods}） | Period: {period} (data years: {periods})
    index_files 下载 | Downloads
    file_publication 公示表（Excel） | Published ranking (Excel)
    file_booklet {category}报告汇编（PDF） | {category}: all reports (PDF)
    booklet_title {category} · {title}（{period}） | {category} · {title} ({period})
    booklet_contents 目录 | Contents
    reason_ahead 第 {month} 月流动红旗（{group}最佳）：超时序进度 {lead} 个百分点
    | Month {month} red flag (best of the {group}): {lead} points ahead of schedule
    rf_group_township 乡镇 | townships
    rf_group_department 部门 | departments
    nav_rank （第 {rank} 名） | (rank {rank})
    unc_title 排名稳健性 | Rank robustness
    ap_rules 缺失值、评价来源与加减分 | Missing values, sources and points
    pub_title {title} {period} {category}考核结果公示 | {title} {period}: {category}
    pub_sheet 公示·{category} | Ranking · {category}
    pub_wide 指标得分（宽表） | Scores by indicator
    pub_catalogue 指标体系 | Indicator catalogue
    pub_all 全部 | all
    lg_rate 满意率 | Satisfaction rate
    lg_interval 95% 区间 | 95% interval
""")
register_labels(REPORT_LABELS, "evalkit.report.names")


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
    out = out.where(out.notna() & (out.astype(str) != ""), df[key].astype(str))
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


def flag_labels(flags: Any, lang: str, rules: Mapping[str, str] | None = None) -> list[str]:
    """The ``;``-joined flags of a totals row in words (``bottom_3``: "本类别后 3 名");
    ``rules`` maps the flags of consecutive-period rules to their labels."""
    if not isinstance(flags, str) or not flags:
        return []
    out = []
    for f in (f for f in flags.split(";") if f):
        m = re.fullmatch(r"bottom_(\d+)", f)
        out.append(t("flag_bottom", lang, n=m.group(1)) if m else
                   (rules or {}).get(f) or label_or(f, lang, f.replace("_", " ")))
    return out


def rule_flags(res: Results, lang: str) -> dict[str, str]:
    """flag -> label in ``lang`` of the spec's consecutive-period rules (``history.rules``)."""
    spec = res.spec if isinstance(res.spec, dict) else {}
    return {r.flag: rule_label(r, lang) for r in parse_rules(spec.get("history"))}


def flag_words(res: Results, flags: Any, lang: str) -> str:
    """The flags of a totals row as one text in ``lang`` ("无" when there are none)."""
    words = flag_labels(flags, lang, rule_flags(res, lang))
    return t("list_sep", lang).join(words) if words else t("none", lang)


def grade_name(res: Results, row: pd.Series, lang: str) -> str:
    """The grade of a totals row, named in ``lang`` from ``meta_grades`` (else ``grade_name``)."""
    gnames = names(res, "meta_grades", "grade", lang)
    g = str(row.get("grade", ""))
    return str(gnames.get(g, row.get("grade_name", g)) or "–")


def pct(x: Any, digits: int = 2) -> str:
    """A share as a percentage with at most ``digits`` decimals ("–" when missing)."""
    if x is None or pd.isna(x):
        return "–"
    return f"{round(float(x) * 100, digits):.{digits}f}".rstrip("0").rstrip(".") + "%"


def num(x: Any) -> str:
    """A parameter in running text: whole numbers without decimals, others as written."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    if isinstance(x, list):
        return "、".join(num(v) for v in x)
    return str(x)


def indicator_spec(res: Results, indicator_id: str) -> dict[str, Any]:
    """The spec's entry of an indicator (``{}`` when the spec does not list it)."""
    spec = res.spec if isinstance(res.spec, dict) else {}
    return next((i for i in spec.get("indicators") or [] if str(i.get("id")) == indicator_id),
                {})


def method_text(res: Results, indicator_id: str, method: str, lang: str) -> str:
    """How an indicator is scored, in words with the spec's parameters (see the module doc)."""
    params: dict[str, Any] = {"lower": 0, "upper": 100, "scale": 100, "cap": 1, "center": 0,
                              "spread": 1, "top": 100, "step": 0, "floor": 0}
    params.update(indicator_spec(res, indicator_id).get("scoring") or {})
    params = {k: num(v) for k, v in params.items()}
    if method == "target_ratio":
        params["top"] = num(float(params["scale"]) * float(params["cap"]))
    if method == "bands" and "thresholds" in params:
        th = str(params["thresholds"]).split("、")
        sc = str(params.get("scores", "")).split("、")
        parts = [t("sm_band", lang, t=a, s=b) for a, b in zip(th, sc[1:], strict=False)]
        params["bands"] = t("list_sep", lang).join([*parts, t("sm_band_low", lang, s=sc[0])])
    if method == "rank_points" and params.get("table"):
        method = "rank_table"
    key = f"sm_{method}" if f"sm_{method}" in REPORT_LABELS else "sm_other"
    try:
        return t(key, lang, **params)
    except (KeyError, IndexError, ValueError):
        return t("sm_other", lang)


def direction_text(direction: Any, lang: str) -> str:
    """The direction of an indicator in words (benefit, cost, target)."""
    d = str(direction)
    return label_or("target_dir" if d == "target" else d, lang, d)


def policy_note(policy: str, lang: str) -> str:
    """The note on a missing value scored by ``policy`` (``defaults.missing: zero``, ...)."""
    key = f"note_{policy.rsplit(':', 1)[-1].strip()}"
    return t(key, lang) if key in REPORT_LABELS else t("note_missing", lang)


def imputation_text(res: Results, lang: str) -> str:
    """The spec's imputation method in words (``treatment.impute.method``)."""
    spec = res.spec if isinstance(res.spec, dict) else {}
    method = str(((spec.get("treatment") or {}).get("impute") or {}).get("method", "other"))
    return label_or(f"imp_{method}", lang, t("imp_other", lang))


def reason_text(reason: Any, lang: str) -> str:
    """A recorded reason; the reasons the task ledger writes itself (yellow cards for projects
    behind schedule, monthly red flags: ``yellow card (黄牌警告) month 10: behind schedule
    (时序进度) on P1, P2``) are put in the report's language."""
    text = "" if reason is None or (isinstance(reason, float) and pd.isna(reason)) else str(reason)
    m = re.fullmatch(r"yellow card \(黄牌警告\) month (\d+): behind schedule \(时序进度\) on (.+)",
                     text)
    if m:
        return t("reason_behind", lang, month=m.group(1), projects=m.group(2))
    m = re.fullmatch(r"red flag \(流动红旗\) month (\d+), best (\S+): ([\d.]+) points ahead of "
                     r"schedule", text)
    if m:
        group = label_or(f"rf_group_{m.group(2)}", lang, m.group(2))
        return t("reason_ahead", lang, month=m.group(1), group=group, lead=m.group(3))
    return text


def scheme_text(method: Any, lang: str) -> str:
    """A weighting scheme (``critic``, ``ahp``, ...) in words."""
    return label_or(f"ws_{method}", lang, t("sm_other", lang))


def figure(x: Any, digits: int = 2) -> str:
    """A number as the report prints it (see :func:`evalkit.core.figures.fmt`)."""
    return fmt(x, digits)
