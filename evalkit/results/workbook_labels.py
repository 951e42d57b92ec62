"""The workbook's labels of the sources' detail tables: sheet names, column headers, words.

The label table (:mod:`evalkit.core.labels`) holds the labels used across layers; these are
the headers of the columns the sources' detail tables add (``survey_*``, ``peer_*``,
``tasks_*``, ...), their sheet names, and the words of the fixed vocabularies the workbook
(:mod:`evalkit.results.excel`) writes (scoring methods, aggregation, missing-value policies,
statuses). They are registered into the one label table when :mod:`evalkit.results` is
imported, so :func:`~evalkit.core.labels.column_label` and
:func:`~evalkit.core.labels.sheet_label` find them wherever they are asked.

Examples
--------
>>> from evalkit.core.labels import column_label, sheet_label
>>> column_label("n_eff", "zh"), sheet_label("survey_by_unit", "en")
('有效样本量', 'Survey by unit')
"""

from __future__ import annotations

from evalkit.core.labels import label_block, register_labels
from evalkit.inputs.checks import AUDIT_TABLES, AUDIT_WHAT

#: Workbook labels of the sources' detail tables (``sheet.``), columns (``col.``) and words.
SHEETS = label_block("""
    leaders_detail 领导评价 | Leaders ;; input_audit 数据检查记录 | Input audit
    survey_audit 民评废票记录 | Survey excluded ballots ;; survey_boxes 民评票箱 | Survey boxes
    survey_by_group 民评分群体 | Survey by group ;; survey_by_item 民评分项目 | Survey by item
    survey_by_unit 民评汇总 | Survey by unit ;; survey_flags 民评作答质量 | Survey response quality
    survey_ranking 民评排名区间 | Survey rank intervals ;; peer_units 互评汇总 | Peer by unit
    survey_reliability 民评信度 | Survey reliability ;; peer_audit 互评检查记录 | Peer audit
    peer_pairs 互评配对 | Peer pairs ;; peer_raters 互评评价人 | Peer raters
    peer_received 互评收到评分 | Peer ratings received
    peer_reliability 互评信度 | Peer reliability ;; tasks_ledger 预安销号台账 | Task ledger
    tasks_monthly 预安销号月度 | Tasks by month ;; tasks_progress 重点项目进度 | Key projects
    tasks_yearly 预安销号汇总 | Tasks by unit ;; meta_weights 指标分值 | Weights and points
""")
COLUMNS = label_block("""
    rank_lo_joint 联合排名区间下限 | Joint rank interval (low) ;; band 与类别中位数比较 | Band
    rank_hi_joint 联合排名区间上限 | Joint rank interval (high) ;; coverage 联合覆盖率 | Coverage
    n_like_median 与中位数无法区分的单位数 | Units like the median
    category_name 类别名称 | Category name ;; indicator_name 指标名称 | Indicator
    perspective_name 维度名称 | Perspective name ;; node_name 层级名称 | Node name
    source_name 来源名称 | Source name ;; kind_name 类型名称 | Kind name
    rater_group_name 评价方名称 | Raters' group name ;; categories 适用类别 | Categories
    n 数量 | N ;; n_eff 有效样本量 | Effective n ;; n_answers 有效回答数 | Answers
    rate 满意率 | Satisfaction rate ;; mean_points 平均得分 | Mean points
    points_se 平均得分标准误 | SE of mean points ;; suppressed 样本不足不公布 | Suppressed
    degenerate 区间为约定值 | Interval by convention ;; n_dont_know 不了解 | Don't know
    n_blank 空白 | Blank ;; n_groups 评议群体数 | Groups
    groups_missing 缺评议群体 | Groups missing
    effective_weights 各群体实际权重 | Effective weights ;; group 评议群体 | Group
    group_label 群体名称 | Group name ;; group_label_en 群体英文名称 | Group (English)
    status 状态 | Status ;; questionnaire 测评表 | Questionnaire ;; item 测评项目 | Item
    item_label 项目名称 | Item name ;; item_label_en 项目英文名称 | Item (English)
    scale 量表 | Scale ;; ballot_id 票号 | Ballot ;; respondent_id 测评人 | Respondent
    row 行号 | Row ;; reason_zh 原因（中文） | Reason (Chinese)
    reason_en 原因（英文） | Reason (English) ;; detail 详情 | Detail ;; issued 发出票数 | Issued
    returned 收回票数 | Returned ;; valid 有效票数 | Valid ;; unmarked 空白票 | Unmarked
    excluded 剔除票数 | Excluded ;; void 票箱作废 | Void ;; return_rate 回收率 | Return rate
    seconds_per_item 每题用时（秒） | Seconds per item
    flag_straight_lining 标记：答案全同 | Flag: straight-lining
    flag_too_fast 标记：作答过快 | Flag: too fast
    flag_duplicate_respondent 标记：重复测评人 | Flag: duplicate respondent
    flag_duplicate_content 标记：内容重复 | Flag: duplicate content ;; estimate 估计值 | Estimate
    p_first 排名第一的概率 | P(first) ;; n_ranked 参与排名数 | Ranked
    tied_with 并列单位 | Tied with ;; label 名称 | Label ;; label_en 英文名称 | Label (English)
    k_items 题目数 | Items ;; n_cases 样本数 | Cases ;; alpha 克朗巴赫α | Cronbach's α
    round 轮次 | Round ;; rater_id 评价人 | Rater ;; ratee_id 被评单位 | Ratee ;; rule 规则 | Rule
    action 处理 | Action ;; unit_a 单位甲 | Unit A ;; unit_b 单位乙 | Unit B
    d_ab 甲评乙偏差 | Deviation A→B ;; d_ba 乙评甲偏差 | Deviation B→A ;; mutual 互相抬分 | Mutual
    n_rated 评价单位数 | Units rated ;; leniency 宽严度 | Leniency
    consistency 一致性 | Consistency ;; resid_sd 残差标准差 | Residual SD
    constant 评分无差异 | Constant ;; rater_group 评价方 | Raters' group ;; mean 平均分 | Mean
    sd 标准差 | SD ;; min 最低分 | Min ;; q1 下四分位数 | Q1 ;; median 中位数 | Median
    q3 上四分位数 | Q3 ;; max 最高分 | Max ;; n_raters 评价人数 | Raters ;; scheme 计分方法 | Scheme
    n_ballots 有效票数 | Ballots ;; n_ratings 评分数 | Ratings ;; icc1 组内相关 ICC(1) | ICC(1)
    icc1k 组内相关 ICC(1,k) | ICC(1,k) ;; alpha_interval α（区间量表） | α (interval)
    alpha_ordinal α（顺序量表） | α (ordinal) ;; reciprocity 互惠度 | Reciprocity
    task_id 任务编号 | Task ID ;; planned 计划 | Planned ;; due 到期月份 | Due
    closed 销号 | Closed ;; highlight 亮点工作 | Highlight ;; rolled_over 结转 | Rolled over
    months_overdue 逾期月数 | Months overdue ;; escalation 督办级别 | Escalation
    penalty 扣分 | Penalty ;; month 月份 | Month ;; closed_on_time 按期销号 | Closed on time
    closed_late 逾期销号 | Closed late ;; open 未销号 | Open ;; backlog 累计未销号 | Backlog
    closure_rate 销号率 | Closure rate ;; on_time_rate 按期销号率 | On-time rate
    project_id 项目编号 | Project ID ;; project_name 项目名称 | Project
    planned_pct 计划进度（%） | Planned (%) ;; actual_pct 实际进度（%） | Actual (%)
    lag 滞后（百分点） | Lag (points) ;; highlights 亮点工作数 | Highlights
    n_deduction 逾期扣分任务数 | Tasks deducted ;; n_admonition 诫勉谈话任务数 | Admonitions
    n_disciplinary 纪律审查任务数 | Disciplinary reviews ;; base 基础分 | Base
    task_points 任务得分 | Task points ;; nominal_total 名义总分 | Nominal total
    nominal_rank 名义排名 | Nominal rank ;; rank_median 排名中位数 | Median rank
    rank_mean 平均排名 | Mean rank ;; nominal_grade 名义等次 | Nominal grade
    p_grade_change 等次改变的概率 | P(grade change) ;; n_applicable 适用单位数 | Applicable
    n_missing 缺失数 | Missing ;; n_imputed 插补数 | Imputed ;; policy 处理规则 | Policy
    aggregation 合成方法 | Aggregation ;; min_score 最低总分 | Lowest total
    quota 比例限额 | Quota ;; table 数据表 | Table ;; what 事项 | What ;; where 位置 | Where
    n_points 处理值个数 | Values changed ;; skew_before 处理前偏度 | Skew before
    kurt_before 处理前峰度 | Kurtosis before ;; skew_after 处理后偏度 | Skew after
    kurt_after 处理后峰度 | Kurtosis after ;; passes_after 处理后达标 | Passes after
    note 备注 | Note ;; p_top 前 {k} 名的概率 | P(top {k})
    p_bottom 后 {k} 名的概率 | P(bottom {k}) ;; p_grade 获“{grade}”的概率 | P({grade})
""")
WORDS = label_block("""
    wb.band.above 高于中位数 | above the median ;; wb.band.below 低于中位数 | below the median
    wb.band.median 与中位数无法区分 | like the median
    wb.too_long 本表本期共 {rows} 行，多于工作簿每表 {limit} 行的上限；全部数据见同一文件夹的 {file}
    | {rows} rows in the period, more than the workbook's {limit} per sheet: every row is in {file}
    + in the same folder
    wb.m.minmax 极差法 | min–max ;; wb.m.goalposts 固定区间法 | goalposts
    wb.m.target_ratio 完成率法 | ratio to target
    wb.m.target_distance 距目标法 | distance to target ;; wb.m.zscore 标准分法 | z-score
    wb.m.rank 名次法 | rank ;; wb.m.percentile 百分位法 | percentile ;; wb.m.bands 分档计分 | bands
    wb.m.best_ratio 比例计分 | ratio to the best ;; wb.m.rank_points 名次计分 | points by rank
    wb.m.goal_redflag 目标–警戒线法 | goal and red flag
    wb.agg.arithmetic 加权算术平均 | weighted mean
    wb.agg.geometric 加权几何平均 | weighted geometric mean
    wb.agg.harmonic 加权调和平均 | weighted harmonic mean
    wb.agg.median 加权中位数 | weighted median
    wb.pol.category_mean 按类别平均得分计 | category mean ;; wb.pol.zero 计 0 分 | zero
    wb.pol.reweight 权重分给同维度其他指标 | reweighted ;; wb.st.excluded 剔除 | excluded
    wb.st.valid 有效 | valid ;; wb.st.ok 正常 | ok ;; wb.st.no_responses 无有效答卷 | no responses
""")
register_labels({**{f"audit.{en}": (zh, en) for en, zh in AUDIT_WHAT.items()},
                 **{f"audit_table.{k}": (zh, k) for k, zh in AUDIT_TABLES.items()}},
                "evalkit.results.workbook_labels")
register_labels({**{f"sheet.{k}": v for k, v in SHEETS.items()},
                 **{f"col.{k}": v for k, v in COLUMNS.items()}, **WORDS}, __name__)
