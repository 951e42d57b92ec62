"""The spec ``evalkit init`` writes, as commented YAML text: every key explained in place, in
Chinese and English.

The text is composed line by line (not dumped), so that each key carries its comment; values
are written by :func:`yaml_value`, which quotes only what YAML would misread. The ``data:``
section comes from the template's layout (:mod:`evalkit.authoring.template`), so the spec
reads exactly the sheets and headers the template has.

Examples
--------
>>> yaml_value("地区生产总值增速"), yaml_value("%"), yaml_value([2024, 2025]), yaml_value(6.5)
('地区生产总值增速', '"%"', '[2024, 2025]', '6.5')
>>> line(2, "id: demo", "结果文件夹名 | results folder")
'  id: demo                              # 结果文件夹名 | results folder'
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import yaml

from evalkit.authoring.catalogue import Catalogue
from evalkit.authoring.template import POINTS, SOURCE_TABLES, UNITS, VALUES, Layout

#: Column where comments start.
COMMENT_AT = 40
#: Source weights beside the office's when other sources are asked for (the rest: office).
OTHER_SOURCES_SHARE = 0.4
_PLAIN = re.compile(r"[\w.\u3000-\u9fff\uff00-\uffef][\w\u3000-\u9fff\uff00-\uffef()（）./\-]*")
_DIRECTION = {"benefit": "正向 越大越好 | higher is better",
              "cost": "逆向 越小越好 | lower is better",
              "target": "适度 越接近目标越好 | closer to target is better"}
_SOURCE_COMMENTS = {
    "office": "官评：上面的指标体系 | the office's own assessment: the indicators above",
    "leaders": "领导综合评价（工作表 领导评价） | leaders' evaluation (sheet 领导评价)",
    "peer": "互评（工作表 互评） | peer rating (sheet 互评)",
    "survey": "民评：满意度测评（工作表 满意度测评） | satisfaction survey (sheet 满意度测评)",
    "tasks": "预安销号任务（工作表 预安销号） | task ledger (sheet 预安销号)",
}
_SOURCE_KEYS: dict[str, dict[str, Any]] = {
    "leaders": {"table": "leaders", "min_raters": 1},
    "peer": {"table": "peer", "scheme": "trimmed_mean", "params": {"k": 1},
             "grades": {"优秀": 95, "良好": 85, "一般": 75, "较差": 60},
             "missing_labels": ["不了解"], "min_raters": 3},
    "survey": {"responses": "survey_responses", "min_n": 5},
    "tasks": {"ledger": "tasks_ledger", "scale": 30},
}


def yaml_value(v: Any) -> str:
    """``v`` as a YAML flow value: plain where YAML reads it back as written, else quoted."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    if isinstance(v, list | tuple):
        return "[" + ", ".join(yaml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{yaml_value(str(k))}: {yaml_value(x)}"
                               for k, x in v.items()) + "}"
    text = str(v)
    try:
        plain = bool(_PLAIN.fullmatch(text)) and yaml.safe_load(text) == text
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal or editor (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def line(indent: int, code: str, comment: str = "") -> str:
    """One line of the spec: ``code`` indented, ``comment`` aligned at :data:`COMMENT_AT`."""
    text = " " * indent + code
    if not comment:
        return text
    return f"{text}{' ' * max(0, COMMENT_AT - 2 - width(text))}  # {comment}"


def _data_ref(key: str, lay: Layout, file: str, comment: str) -> list[str]:
    out = [line(2, f"{key}:", comment), line(4, f"file: {yaml_value(file)}"),
           line(4, f"sheet: {yaml_value(lay.sheet)}",
                "每年一张：" + "、".join(lay.sheet.format(period=p) for p in (2024, 2025))
                + " | one sheet per period" if "{period}" in lay.sheet else "")]
    if lay.layout == "wide":
        out.append(line(4, "layout: wide", "每个指标一列，表头为编码、名称或「名称(计量单位)」"
                        " | one column per indicator, headed by its id, name or name(unit)"))
    out.append(line(4, f"columns: {yaml_value(lay.columns)}"))
    return out


def data_section(file: str, sources: Sequence[str]) -> list[str]:
    """The ``data:`` section: the template's sheets and headers."""
    out = [line(0, "data:", "数据表，路径相对本文件；CSV、Excel 或 Parquet | tables, paths "
                "relative to this file"),
           "  # columns: 写作「evalkit 列名: 您的表头」，如 unit_id: 单位代码"
           "（不是 单位代码: unit_id）",
           "  # columns: maps evalkit's name to your header: unit_id: 单位代码 "
           "(not 单位代码: unit_id)",
           "  # GBK 编码的 CSV 加 encoding: gbk | a CSV saved as GBK: add encoding: gbk"]
    out += _data_ref("units", UNITS, file, "单位名单；类别写名称或代码 | units; category by "
                     "name or id")
    out += _data_ref("values", VALUES, file, "指标数据 | indicator values")
    out += _data_ref("points", POINTS, file, "加减分台账 | bonus / deduction records")
    out += ["    # 类型：加分、扣分、黄牌警告（黄牌）、一票否决；其他写法用 values: 对照，如",
            "    # kind: 加分, 扣分, 黄牌警告 (黄牌), 一票否决; map other codes with values:, e.g.",
            "    # values: {kind: {奖励: bonus, 通报: deduction}}"]
    for s in sources:
        lay = SOURCE_TABLES[s]
        out += _data_ref(lay.key, lay, file, _SOURCE_COMMENTS[s])
    return out


def _indicator(ind: dict[str, Any], points: bool) -> list[str]:
    out = [line(2, f"- id: {yaml_value(ind['id'])}"), line(4, f"name: {yaml_value(ind['name'])}"),
           line(4, f"perspective: {ind['perspective']}"),
           line(4, f"direction: {ind['direction']}", _DIRECTION[ind["direction"]])]
    if ind.get("unit"):
        out.append(line(4, f"unit: {yaml_value(ind['unit'])}", "计量单位 | unit of measure"))
    if ind.get("target") is not None:
        out.append(line(4, f"target: {yaml_value(ind['target'])}", "目标值 | target"))
    out.append(line(4, f"weight: {yaml_value(ind['weight'])}",
                    "分值 | points" if points else "权重 | weight"))
    if ind.get("categories"):
        out.append(line(4, f"categories: {yaml_value(ind['categories'])}",
                        "适用类别 | categories it applies to"))
    if ind.get("scoring"):
        out.append(line(4, f"scoring: {yaml_value(ind['scoring'])}", "计分方法 | scoring"))
    return out


def scorecard_section(cat: Catalogue) -> list[str]:
    """``categories``, ``weights``, ``defaults``, ``perspectives`` and ``indicators``."""
    out: list[str] = []
    if cat.categories:
        out += [line(0, "categories:", "分类考核：各类别单独计分、排名 | units are scored and "
                     "ranked within their category")]
        out += [line(2, f"- {yaml_value({'id': c['id'], 'name': c['name']})}")
                for c in cat.categories]
    if cat.points:
        out += ["", line(0, "weights: points", "分值制：指标权重即分值，每类合计 100 | weights are "
                         "points (分值), summing to 100 in each category")]
    out += ["", line(0, "defaults:", "各指标的默认设置 | defaults of every indicator"),
            line(2, "scoring: {method: minmax, lower: 60, upper: 100}",
                 "未写计分方法的指标：功效系数法 60+40×(x−最小)/(最大−最小) | indicators "
                 "without a method: efficacy coefficient, 60 to 100 within the category"),
            line(2, "missing: zero", "缺报得 0 分；category_mean 按类别平均；reweight 不计该项 | "
                 "a missing value scores 0 (or category_mean, reweight)"),
            line(2, "status: {green: 0.95, yellow: 0.85, score: {green: 85, yellow: 60}}",
                 "红黄绿灯：完成目标 95% 达标、85% 基本达标；无目标值按得分 | traffic lights: "
                 "green at 95% of the target, yellow at 85%; no target: by the score"),
            "", line(0, "perspectives:", "维度（一级指标） | perspectives")]
    out += [line(2, f"- {yaml_value({'id': p['id'], 'name': p['name']})}")
            for p in cat.perspectives]
    out += ["", line(0, "indicators:", "指标 | indicators"),
            "  # scoring.method：best_ratio 比例计分，minmax 极差法（lower/upper：功效系数法），",
            "  #   target_ratio 完成率（cap：封顶），rank_points 名次计分（top/step 或 table），",
            "  #   goal_redflag 目标红线（red_flag），……；evalkit methods 列出全部",
            "  # scoring.method: best_ratio, minmax, target_ratio, rank_points, goal_redflag, ...",
            "  #   (evalkit methods lists them all, evalkit schema their parameters)",
            "  # 可选：warning 预警值，advanced 先进值，status 本指标的红黄绿灯阈值（同 defaults）",
            "  # optional: warning (预警值), advanced (先进值), status (its own thresholds)"]
    for ind in cat.indicators:
        out += _indicator(ind, cat.points)
    return out


def sources_section(sources: Sequence[str]) -> list[str]:
    """``sources``: the office and each source asked for, with weights summing to 1."""
    each = round(OTHER_SOURCES_SHARE / len(sources), 4) if sources else 0.0
    office = round(1 - each * len(sources), 4)
    out = [line(0, "sources:", "评价来源及权重，合计 1 | sources of judgement, weights sum to 1"),
           line(2, f"office: {{weight: {yaml_value(office)}}}", _SOURCE_COMMENTS["office"])]
    for s in sources:
        cfg = {"weight": each, **_SOURCE_KEYS[s]}
        out.append(line(2, f"{s}: {yaml_value(cfg)}", _SOURCE_COMMENTS[s]))
    return out


RULES = [
    line(0, "points:", "加减分规则 | bonus / deduction rules"),
    line(2, "bonus_cap: 5", "加分累计不超过 5 分 | bonus capped at 5 in total"),
    line(2, "yellow_card_multiplier: 2", "黄牌警告扣分加倍 | a yellow card deducts double"),
    line(2, "veto: {max_grade: pass}", "一票否决：最高评为合格 | a veto: at best 'pass'"),
    "  # 加扣分标准（可选）：台账的「项目」列（data.points.columns 加 item: 项目）取固定分值；",
    "  # locked: true 时只能填标准内的项目 | a catalogue of items with fixed points; records",
    "  # name an item (map its header as item); locked: true rejects other items",
    "  # catalogue:",
    "  #   - {item: 省级表彰, kind: 加分, points: 3}",
    "  #   - {item: 通报批评, kind: 扣分, points: 1}",
    "  # locked: true",
    "",
    line(0, "grades:", "等次，从高到低 | grades, best first"),
    line(2, "levels:", "min_score 分数线，quota 名额比例 | threshold, quota"),
    line(4, "- {id: excellent, name: 优秀, name_en: Excellent, min_score: 90, quota: 0.2}",
         "优秀不超过本类 20% | at most 20% of a category"),
    line(4, "- {id: good, name: 良好, name_en: Good, min_score: 80}"),
    line(4, "- {id: pass, name: 合格, name_en: Pass, min_score: 60}"),
    line(4, "- {id: fail, name: 不合格, name_en: Fail}", "最低等次不设分数线 | no min_score"),
    line(2, "ties: demote", "名额线上同分者一并降等 | ties at a quota line are demoted"),
    "",
    line(0, "ranking: {decimals: 2, ties: min, bottom_n: 3}",
         "总分保留两位后排名；标记末 3 位 | rank on totals to 2 decimals; flag the last 3"),
]


def _title(name: str, cat: Catalogue) -> str:
    """The evaluation's name: the catalogue's title without 指标体系 (某县2025年度综合考核),
    else ``<name>绩效考评``."""
    title = cat.title.removesuffix("指标体系").removesuffix("指标").strip()
    return title or f"{name}绩效考评"


def spec_text(name: str, cat: Catalogue, periods: Sequence[int | str], file: str,
              sources: Sequence[str] = (), schema: str | None = None) -> str:
    """The whole commented spec of evaluation ``name`` reading the workbook ``file``."""
    head = [f"# yaml-language-server: $schema={schema}"] if schema else []
    head += [f"# 考评方案，由 evalkit init {name} 生成，可直接修改；每个键的含义写在旁边。",
             f"# The evaluation spec written by `evalkit init {name}`; every key is explained.",
             f"#   evalkit validate params/{name}.yaml   检查方案和数据 | check spec and data",
             f"#   evalkit run params/{name}.yaml        计算 | evaluate -> results/{name}",
             f"#   evalkit report results/{name}         报告 | reports -> reports/{name}",
             f"# 指标来源 Indicators from: {cat.source}", "",
             line(0, "evaluation:", "考评 | the evaluation"),
             line(2, f"id: {yaml_value(name)}", "结果文件夹 results/<id> | results folder"),
             line(2, f"name: {yaml_value(_title(name, cat))}", "考评名称（报告标题） | title"),
             line(2, f"periods: {yaml_value([int(p) for p in periods])}",
                  "考核年度，最后一个为本期 | years; the last is current"),
             line(2, "language: zh", "报告语言 zh 或 en | reports' language"), ""]
    parts = [head, data_section(file, sources), [""], scorecard_section(cat), [""],
             sources_section(sources), [""], RULES]
    return "\n".join(x for part in parts for x in part) + "\n"
