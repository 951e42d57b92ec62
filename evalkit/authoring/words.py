"""The office's words for the fields of an indicator catalogue (指标体系), its directions,
scoring rules and categories, as :mod:`evalkit.authoring.catalogue` reads them and the
template and commented spec write them."""

from __future__ import annotations

from typing import Any

#: Headers of a catalogue, by the field they fill (compared after NFKC, without spaces).
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("编码", "指标编码", "指标代码", "代码", "编号", "id", "code"),
    "name": ("名称", "指标名称", "指标", "考核指标", "name"),
    "perspective": ("所属维度", "维度", "一级指标", "考核维度", "层面", "perspective"),
    "direction": ("指标属性", "属性", "方向", "指标方向", "direction"),
    "points": ("分值", "标准分值", "points"),
    "weight": ("权重", "weight"),
    "categories": ("适用类别", "适用对象", "考核对象", "类别", "categories"),
    "target": ("目标值", "目标", "target"),
    "method": ("计分方法", "评分方法", "计分办法", "评分标准", "method"),
    "unit": ("计量单位", "单位", "unit"),
    "red_flag": ("红线值", "预警值", "red_flag"),
}
#: 指标属性 as written → direction.
DIRECTIONS = {"正向": "benefit", "正": "benefit", "越大越好": "benefit", "benefit": "benefit",
              "逆向": "cost", "负向": "cost", "反向": "cost", "越小越好": "cost", "cost": "cost",
              "适度": "target", "区间": "target", "目标": "target", "target": "target"}
#: 计分方法 as offices write it → a scoring method of the registry and its parameters.
METHOD_NAMES: dict[str, dict[str, Any]] = {
    "比例计分": {"method": "best_ratio"}, "比例法": {"method": "best_ratio"},
    "比例得分": {"method": "best_ratio"}, "第一名得满分": {"method": "best_ratio"},
    "极差法": {"method": "minmax"}, "极值法": {"method": "minmax"},
    "功效系数法": {"method": "minmax", "lower": 60, "upper": 100},
    "完成率": {"method": "target_ratio"}, "目标完成率": {"method": "target_ratio"},
    "完成值/目标值": {"method": "target_ratio"}, "目标达成": {"method": "target_ratio"},
    "名次计分": {"method": "rank_points", "top": 100, "step": 5},
    "排名计分": {"method": "rank_points", "top": 100, "step": 5},
    "目标红线": {"method": "goal_redflag"}, "红线法": {"method": "goal_redflag"},
    "标准分": {"method": "zscore"}, "百分位": {"method": "percentile"},
}
#: Category names offices use → the ids the scaffold gives them.
CATEGORY_IDS = {"乡镇": "township", "乡镇(街道)": "township", "乡镇街道": "township",
                "街道": "subdistrict", "部门": "department", "县直部门": "county_dept",
                "市直部门": "city_dept", "党群部门": "party_dept", "政府部门": "gov_dept",
                "企业": "enterprise", "国有企业": "soe", "开发区": "zone", "园区": "zone"}
#: direction → 指标属性 as the template writes it.
DIRECTION_ZH = {"benefit": "正向", "cost": "逆向", "target": "适度"}
