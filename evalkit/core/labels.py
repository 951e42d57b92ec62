"""Bilingual (zh / en) labels of the reports.

Every fixed string a report prints comes from :data:`LABELS`; names of units, indicators,
perspectives, categories and grades come from the Results' metadata tables (``name`` in
Chinese, ``name_en`` in English), so a report reads naturally in either language.

:data:`LABELS` is the one table of labels at run time. The labels used across layers are
written here; the sentences of the unit report (:mod:`evalkit.report.names`) and the headers
of the sources' detail tables in the workbook (:mod:`evalkit.results.excel`) are added by
those modules with :func:`register_labels` (a key registered twice with another text is an
error), written compactly with :func:`label_block`.

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
    "status_green": ("达标", "met"),
    "status_yellow": ("基本达标", "near"),
    "status_red": ("未达标", "not met"),
    "flag_warning": ("预警", "warning"),
    "flag_advanced": ("先进", "advanced"),
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
    # satisfaction survey (民评): sources.survey — respondent groups, ballot exclusion reasons,
    # the unit report's section and the charts (sources.survey.plots)
    "survey_group_public": ("群众代表", "Public"),
    "survey_group_enterprises": ("企业", "Enterprises"),
    "survey_group_npc_deputies": ("人大代表", "NPC deputies"),
    "survey_group_cppcc_members": ("政协委员", "CPPCC members"),
    "survey_group_party_reps": ("党代表", "Party representatives"),
    "survey_group_leaders": ("领导", "Leaders"),
    "survey_reason_box_overreturned": ("收回票数多于发出票数，该票箱作废",
                                       "more ballots returned than issued: the box is void"),
    "survey_reason_unmarked": ("空白票，按弃权处理", "unmarked ballot: an abstention"),
    "survey_reason_repeated_item": ("同一单位同一项目重复作答",
                                    "the same unit and item answered twice"),
    "survey_reason_duplicate": ("同一测评人重复提交", "a second ballot of the same respondent"),
    "survey_reason_identical_answers": ("所有项目答案相同", "identical answers on every item"),
    "survey_reason_too_fast": ("作答时间过短", "implausibly fast completion"),
    "survey_valid_ballots": ("有效票", "valid ballots"),
    "survey_group": ("评议群体", "Group"),
    "survey_n": ("有效人数", "Respondents"),
    "survey_rate": ("满意率（95%区间）", "Satisfaction rate (95% interval)"),
    "survey_points": ("平均得分（95%区间）", "Mean points (95% interval)"),
    "survey_weight": ("权重", "Weight"),
    "survey_eff_weight": ("实际权重", "Effective weight"),
    "survey_note": ("说明", "Note"),
    "survey_combined": ("综合", "Combined"),
    "survey_no_responses": ("无有效答卷，权重转给其他群体",
                            "no responses: weight moved to other groups"),
    "survey_suppressed": ("样本不足，不公布", "too few respondents: not published"),
    "survey_degenerate": ("区间为约定值：原区间宽度为0（改用有界均值Wilson区间）或超出量表被截断",
                          "interval by convention: the method's interval had zero width "
                          "(bounded-mean Wilson interval used) or was clipped to the scale"),
    "survey_zero_weight": ("权重为0", "weight 0"),
    "survey_funnel_x": ("有效样本量", "Effective sample size"),
    "survey_funnel_y": ("满意率", "Satisfaction rate"),
    "survey_target": ("总体满意率", "Overall rate"),
    "survey_alpha": ("克朗巴赫α（95%区间）", "Cronbach's α (95% interval)"),
    "survey_rate_axis": ("满意率（%）", "Satisfaction rate (%)"),
    # peer rating (互评): the unit report's section and the bench chart (sources.peer.plots)
    "peer_group": ("评价方", "Raters' group"),
    "peer_group_all": ("全部", "All"),
    "peer_group_township": ("乡镇", "Townships"),
    "peer_group_dept": ("部门", "Departments"),
    "peer_group_leader": ("领导", "Leaders"),
    "peer_scheme": ("计分方法", "Scheme"),
    "peer_score": ("互评得分", "Peer score"),
    "peer_n_raters": ("评价人数", "Raters"),
    "peer_mean": ("平均分", "Mean"),
    "peer_sd": ("标准差", "SD"),
    "peer_min": ("最低分", "Min"),
    "peer_max": ("最高分", "Max"),
    "peer_rating": ("收到的评分", "Ratings received"),
    "peer_cat_median": ("同类单位中位数", "Category median"),
    "peer_all_median": ("全部单位中位数", "Median of all units"),
    "peer_metric_tau": ("与真值的 Kendall τ", "Kendall τ to truth"),
    "peer_metric_rmse": ("与真值的 RMSE（标准化）", "RMSE (z-units) to truth"),
    "peer_metric_top_k": ("前 k 名命中率", "top-k precision"),
    "peer_metric_bottom_k": ("后 k 名命中率", "bottom-k precision"),
    "peer_metric_bloc_gain": ("串通集团名次收益（位）", "bloc rank gain (places)"),
    "peer_metric_impartiality": ("公正性违背比例", "impartiality violations"),
    "peer_bench_axis": ("{metric}（n = {n}，{design}，量表 {scale}；虚线：算术平均）",
                        "{metric} (n = {n}, {design}, scale {scale}; dashed: mean)"),
    "tasks_section": ("预安销号任务", "Task ledger"),
    "history_section": ("历史趋势", "History"),
    "history_flagged": ("连续期规则触发单位", "Units flagged by consecutive-period rules"),
    "rule": ("规则", "Rule"),
    "streak": ("连续期数", "Periods in a row"),
    "no_history_flags": ("本期无单位触发连续期规则。",
                         "No unit is flagged by a consecutive-period rule this period."),
    # history: the unit report's section and chart (evalkit.analysis.history.section)
    "history_rank": ("类别内名次", "Rank in category"),
    "history_rank_axis": ("名次", "Rank"),
    "history_total_change": ("总分变化", "Change in total"),
    "history_rank_change": ("名次变化", "Rank change"),
    "history_rules": ("连续期规则", "Consecutive-period rules"),
    "history_category_changed": ("（类别调整）", " (category changed)"),
    "history_rules_sep": ("；", "; "),
    # task ledger (预安销号) and key projects: the unit report's section (sources.tasks.section)
    "tasks_planned": ("计划任务", "Planned"),
    "tasks_closed_on_time": ("按期销号", "Closed on time"),
    "tasks_closed_late": ("逾期销号", "Closed late"),
    "tasks_open": ("未销号", "Open"),
    "tasks_closure_rate": ("销号率", "Closure rate"),
    "tasks_highlights": ("亮点工作", "Highlights"),
    "tasks_points": ("任务得分（满分 {scale}）", "Task points (of {scale})"),
    "tasks_score": ("折算得分（百分制）", "Score (0–100)"),
    "tasks_level": ("督办级别", "Escalation"),
    "tasks_months_overdue": ("逾期月数 ≥", "Months overdue ≥"),
    "tasks_count": ("任务数", "Tasks"),
    "tasks_penalty": ("每项扣分", "Points per task"),
    "tasks_level_deduction": ("逾期扣分", "Deduction"),
    "tasks_level_admonition": ("诫勉谈话", "Admonition talk"),
    "tasks_level_disciplinary": ("纪律审查", "Disciplinary review"),
    "tasks_project": ("重点项目", "Key project"),
    "tasks_project_id": ("项目编号", "Project ID"),
    "tasks_month": ("月份", "Month"),
    "tasks_planned_pct": ("计划进度 %", "Planned %"),
    "tasks_actual_pct": ("实际进度 %", "Actual %"),
    "tasks_lag": ("滞后（百分点）", "Lag (points)"),
    "tasks_light_green": ("绿灯", "green"),
    "tasks_light_yellow": ("黄灯", "yellow"),
    "tasks_light_red": ("红灯", "red"),
    "tasks_monthly": ("按到期月份的任务销号", "Tasks by due month"),
    "weights_data_dependent": ("权重由考核数据计算（客观赋权），随数据而变："
                               "某单位提高一项正向指标，权重随之变化，其总分也可能下降。"
                               "这是方法本身的性质，不是计算错误。",
                               "Weights computed from the data (objective weighting) move with "
                               "the data: a unit that improves a benefit indicator can see its "
                               "total fall because the weights change. This is a property of "
                               "the method, not an error."),
    "uncertainty_section": ("排名稳健性与权重来源", "Rank robustness and weights"),
    "failures": ("生成失败的报告", "Reports that failed"),
    "overview_link": ("结果公示与总览", "Published ranking and overview"),
}

#: Headers of the Results' columns (``col.<column>``) and names of the Results' tables as
#: workbook sheets (``sheet.<table>``): part of the same table, read by
#: :func:`column_label` and :func:`sheet_label` (the Excel writer, the reports, the docs).
LABELS.update({
    "list_sep": ("、", ", "),  # between the items of a list in running text
    "col.period": ("考核期", "Period"),
    "col.unit_id": ("单位代码", "Unit ID"),
    "col.unit_name": ("单位名称", "Unit"),
    "col.unit_name_en": ("英文名称", "Unit (English)"),
    "col.category": ("类别", "Category"),
    "col.office": ("官评", "Office"),
    "col.survey": ("民评", "Survey"),
    "col.peer": ("互评", "Peer"),
    "col.leaders": ("领导评价", "Leaders"),
    "col.tasks": ("预安销号", "Tasks"),
    "col.weighted_score": ("加权得分", "Weighted score"),
    "col.bonus": ("加分", "Bonus"),
    "col.deductions": ("扣分", "Deductions"),
    "col.veto": ("一票否决", "Veto"),
    "col.total": ("总分", "Total"),
    "col.rank": ("类别排名", "Rank in category"),
    "col.prev_total": ("上期总分", "Previous total"),
    "col.prev_rank": ("上期类别排名", "Previous rank in category"),
    "col.n_in_category": ("类别单位数", "Units in category"),
    "col.grade": ("等次代码", "Grade ID"),
    "col.grade_name": ("等次", "Grade"),
    "col.bottom_n": ("末位", "Bottom of category"),
    "col.flags": ("标记", "Flags"),
    "col.indicator_id": ("指标代码", "Indicator ID"),
    "col.perspective_id": ("维度", "Perspective"),
    "col.raw": ("原始值", "Raw value"),
    "col.value": ("处理后值", "Treated value"),
    "col.score": ("得分", "Score"),
    "col.weight": ("权重", "Weight"),
    "col.contribution": ("贡献分", "Contribution"),
    "col.missing": ("缺失", "Missing"),
    "col.imputed": ("插补", "Imputed"),
    "col.node_id": ("层级代码", "Node ID"),
    "col.level": ("层级", "Level"),
    "col.parent_id": ("上级", "Parent"),
    "col.source": ("评价来源", "Source"),
    "col.effective_weight": ("实际权重", "Effective weight"),
    "col.kind": ("类型", "Kind"),
    "col.points": ("分值", "Points"),
    "col.applied": ("计入分值", "Points applied"),
    "col.reason": ("事由", "Reason"),
    "col.name": ("名称", "Name"),
    "col.name_en": ("英文名称", "Name (English)"),
    "col.direction": ("方向", "Direction"),
    "col.target": ("目标值", "Target"),
    "col.method": ("计分方法", "Scoring method"),
    "col.unit": ("计量单位", "Unit of measure"),
    "sheet.totals": ("总分排名", "Totals"),
    "sheet.indicators": ("指标得分", "Indicators"),
    "sheet.nodes": ("维度得分", "Perspectives"),
    "sheet.sources": ("评价来源", "Sources"),
    "sheet.points": ("加扣分", "Points"),
    "sheet.missing_report": ("缺失值统计", "Missing values"),
    "sheet.treatment": ("异常值处理", "Outlier treatment"),
    "sheet.uncertainty": ("排名稳健性", "Rank robustness"),
    "sheet.meta_indicators": ("指标说明", "Indicator list"),
    "sheet.meta_nodes": ("维度说明", "Perspective list"),
    "sheet.meta_categories": ("类别说明", "Category list"),
    "sheet.meta_grades": ("等次说明", "Grade list"),
})


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


def column_label(column: str, lang: str) -> str:
    """The header of the Results column ``column`` in ``lang`` (the column name if unlabelled).

    Examples
    --------
    >>> column_label("total", "zh"), column_label("total_p05", "en"), column_label("zz", "zh")
    ('总分', 'Total (5th pct)', 'zz')
    """
    if f"col.{column}" in LABELS:
        return t(f"col.{column}", lang)
    for suffix, (zh, en) in _SUFFIXES.items():
        base = column[: -len(suffix)]
        if column.endswith(suffix) and f"col.{base}" in LABELS:
            return t(f"col.{base}", lang) + (zh if lang == "zh" else en)
    return column


#: Column suffixes that a label composes: ``rate_lo`` is the label of ``rate`` + "下限".
_SUFFIXES = {"_lo": ("下限", " (low)"), "_hi": ("上限", " (high)"),
             "_p05": ("（5%分位）", " (5th pct)"), "_p95": ("（95%分位）", " (95th pct)")}


def label_block(text: str) -> dict[str, tuple[str, str]]:
    """Labels written compactly: ``key 中文 | English`` on a line (several entries on a line
    are separated by ``;;``); a line starting with ``|`` gives the English of the entry above,
    one starting with ``+`` continues the text above (everything after the ``+``, spaces
    included). Blank lines are ignored.

    Examples
    --------
    >>> label_block("col.n 人数 | Respondents ;; col.sd 标准差 | SD")
    {'col.n': ('人数', 'Respondents'), 'col.sd': ('标准差', 'SD')}
    >>> label_block("k 甲\\n+乙\\n| one\\n+ two")
    {'k': ('甲乙', 'one two')}
    """
    out: dict[str, list[str]] = {}
    key = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("+"):
            out[key][-1] += raw.lstrip()[1:]
        elif line.startswith("|"):
            out[key].append(line[1:].strip())
        else:
            for entry in line.split(";;"):
                key, rest = entry.split(None, 1)
                out[key] = [part.strip() for part in rest.split(" | ", 1)]
    bad = [k for k, v in out.items() if len(v) != 2]
    if bad:
        raise EvalkitError(f"labels {bad} need a Chinese and an English text", "label_block")
    return {k: (v[0], v[1]) for k, v in out.items()}


def register_labels(entries: dict[str, tuple[str, str]], owner: str) -> None:
    """Add ``entries`` to :data:`LABELS`; a key already there with another text is an error."""
    clash = [k for k, v in entries.items() if k in LABELS and LABELS[k] != v]
    if clash:
        raise EvalkitError(f"labels {clash} are already in the label table with other texts",
                           owner)
    LABELS.update(entries)


def sheet_label(table: str, lang: str) -> str:
    """The name of the Results table ``table`` as a workbook sheet in ``lang`` (else ``table``).

    Examples
    --------
    >>> sheet_label("totals", "zh"), sheet_label("no_such_table", "zh")
    ('总分排名', 'no_such_table')
    """
    return label_or(f"sheet.{table}", lang, table)
