"""Bilingual (zh / en) labels of the reports.

Every fixed string a report prints comes from :data:`LABELS`; names of units, indicators,
perspectives, categories and grades come from the Results' metadata tables (``name`` in
Chinese, ``name_en`` in English), so a report reads naturally in either language.

Examples
--------
>>> from evalkit.core.labels import t, name_column
>>> t("total", "zh"), t("total", "en")
('总分', 'Total')
>>> name_column("unit_name", "en")
'unit_name_en'
"""

from __future__ import annotations

from evalkit.core.errors import EvalkitError

LANGS: tuple[str, ...] = ("zh", "en")

#: key -> (Chinese, English)
LABELS: dict[str, tuple[str, str]] = {
    "report_title": ("绩效考评报告", "Performance evaluation report"),
    "overview_title": ("绩效考评结果公示", "Published ranking"),
    "index_title": ("绩效考评报告目录", "Evaluation reports"),
    "unit": ("单位", "Unit"),
    "unit_id": ("编号", "ID"),
    "category": ("类别", "Category"),
    "period": ("考核期", "Period"),
    "total": ("总分", "Total"),
    "rank": ("类别内排名", "Rank in category"),
    "rank_of": ("第 {rank} 名 / 共 {n} 个", "{rank} of {n}"),
    "grade": ("等次", "Grade"),
    "flags": ("标记", "Flags"),
    "none": ("无", "none"),
    "perspectives": ("维度得分", "Perspective scores"),
    "perspective": ("维度", "Perspective"),
    "this_unit": ("本单位", "This unit"),
    "category_median": ("类别中位数", "Category median"),
    "category_best": ("类别最高", "Category best"),
    "score": ("得分", "Score"),
    "indicators": ("指标明细", "Indicators"),
    "indicator": ("指标", "Indicator"),
    "value": ("实际值", "Value"),
    "target": ("目标值", "Target"),
    "weight": ("权重", "Weight"),
    "contribution": ("贡献分", "Contribution"),
    "status": ("状态", "Status"),
    "status_good": ("达标", "met"),
    "status_fair": ("基本达标", "near"),
    "status_poor": ("未达标", "not met"),
    "status_missing": ("缺数据", "missing"),
    "sources": ("评价来源及合成", "Sources and how they combine"),
    "source": ("来源", "Source"),
    "effective_weight": ("实际权重", "Effective weight"),
    "sources_note": ("总分 = Σ 来源得分 × 实际权重 + 加分 − 扣分；"
                     "缺某来源时其权重按比例分给其余来源。",
                     "Total = Σ source score × effective weight + bonus − deductions; a missing "
                     "source's weight is shared among the unit's other sources."),
    "weighted_score": ("加权得分", "Weighted score"),
    "points": ("加减分及否决", "Bonus, deductions and veto"),
    "kind": ("类型", "Kind"),
    "points_col": ("分值", "Points"),
    "applied": ("计入", "Applied"),
    "reason": ("事由", "Reason"),
    "no_points": ("本期无加减分记录。", "No bonus or deduction recorded this period."),
    "bonus": ("加分", "bonus"),
    "deduction": ("扣分", "deduction"),
    "yellow_card": ("黄牌警告", "yellow card"),
    "veto": ("一票否决", "veto"),
    "bottom_n": ("类别末位", "bottom of category"),
    "change": ("与上期比较", "Change since last period"),
    "no_history": ("无上期数据。", "No earlier period in these results."),
    "previous": ("上期", "Previous"),
    "current": ("本期", "Current"),
    "delta": ("变化", "Change"),
    "methods": ("方法说明", "Methods"),
    "scoring_method": ("计分方法", "Scoring method"),
    "direction": ("方向", "Direction"),
    "provenance": ("数据来源与版本", "Provenance"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "ranking": ("分类排名", "Ranking by category"),
    "report": ("报告", "Report"),
    "failed": ("生成失败", "failed"),
    "distribution": ("各类别总分分布", "Totals by category"),
    "grade_counts": ("各等次单位数", "Units per grade"),
    "count": ("单位数", "Units"),
    "src_office": ("官评（绩效办考核）", "Office assessment"),
    "src_survey": ("民评（满意度测评）", "Public assessment (survey)"),
    "src_peer": ("互评", "Peer rating"),
    "src_leaders": ("领导综合评价", "Leaders' evaluation"),
    "src_tasks": ("预安销号", "Task ledger"),
    "benefit": ("越大越好", "higher is better"),
    "cost": ("越小越好", "lower is better"),
    "target_dir": ("越接近目标越好", "closer to target is better"),
    "survey_section": ("满意度测评", "Satisfaction survey"),
    "peer_section": ("互评", "Peer rating"),
    "tasks_section": ("预安销号任务", "Task ledger"),
    "history_section": ("历史趋势", "History"),
    "history_flagged": ("连续期规则触发单位", "Units flagged by consecutive-period rules"),
    "rule": ("规则", "Rule"),
    "streak": ("连续期数", "Periods in a row"),
    "no_history_flags": ("本期无单位触发连续期规则。",
                         "No unit is flagged by a consecutive-period rule this period."),
    "uncertainty_section": ("排名稳健性与权重来源", "Rank robustness and weights"),
    "failures": ("生成失败的报告", "Reports that failed"),
    "overview_link": ("结果公示与总览", "Published ranking and overview"),
}


def label_or(key: str, lang: str, default: str) -> str:
    """The label ``key`` in ``lang`` if it exists, else ``default`` (e.g. a flag from data)."""
    return t(key, lang) if key in LABELS else default


def check_lang(lang: str, where: str = "lang") -> str:
    """Return ``lang`` if it is a supported language, else raise :class:`EvalkitError`."""
    if lang not in LANGS:
        raise EvalkitError(f"unknown language {lang!r}; expected one of: {', '.join(LANGS)}",
                           where)
    return lang


def t(key: str, lang: str, **fmt: object) -> str:
    """The label ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``."""
    zh, en = LABELS[key]
    text = zh if check_lang(lang) == "zh" else en
    return text.format(**fmt) if fmt else text


def name_column(column: str, lang: str) -> str:
    """The metadata column holding names in ``lang``: ``name`` (zh) or ``name_en`` (en)."""
    return column if check_lang(lang) == "zh" else f"{column}_en"
