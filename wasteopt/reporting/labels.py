"""What a reader of the report sees instead of a file's ids: the Chinese and English label and
unit of every table column that is not a KPI (the KPIs are in :mod:`wasteopt.reporting.kpis`),
the words for coded values (``status_quo``, ``within_tolerance``, ``tier1_collection``), and
the number formats every table shares (:func:`format_cell`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COLUMNS",
    "UNITS_ZH",
    "VALUE_LABELS",
    "Column",
    "Format",
    "axis_label",
    "format_cell",
    "unit_text",
    "value_text",
]

Format = Literal["int", "num1", "num2", "num3", "pct", "text", "bool"]
"""``int``: thousands separators, no decimals; ``numN``: N decimals; ``pct``: a share shown
as a percentage with one decimal; ``text``: :func:`value_text`; ``bool``: 是 yes / 否 no."""

UNITS_ZH: dict[str, str] = {
    "CNY/t": "元/吨",
    "CNY/yr": "元/年",
    "CNY/day": "元/天",
    "CNY": "元",
    "t/day": "吨/天",
    "t": "吨",
    "t·km/day": "吨公里/天",
    "km/day": "公里/天",
    "km": "公里",
    "h/day": "小时/天",
    "h": "小时",
    "kg CO2/day": "千克CO₂/天",
    "kg CO2": "千克CO₂",
    "min": "分钟",
    "%": "%",
    "days": "天",
    "s": "秒",
    "×": "倍",
}


def axis_label(column: str) -> str:
    """A plot axis label for a column of :data:`COLUMNS`: ``收运量 Collected (吨 t)``; the
    id itself for any other column."""
    c = COLUMNS.get(column)
    if c is None:
        return column
    return f"{c.zh} {c.en}" + (f" ({unit_text(c.unit)})" if c.unit else "")


def unit_text(unit: str) -> str:
    """``元/吨 CNY/t``; the unit alone when it reads the same in both languages."""
    zh = UNITS_ZH.get(unit, unit)
    return unit if zh == unit else f"{zh} {unit}"


@dataclass(frozen=True, slots=True)
class Column:
    """A table column as the report names it: Chinese and English label, unit, format."""

    zh: str
    en: str
    unit: str = ""
    fmt: Format = "text"


_C = Column
COLUMNS: dict[str, Column] = {
    # identity
    "variant": _C("方案", "Variant"),
    "stream": _C("垃圾流", "Stream"),
    "site_id": _C("设施编号", "Site id"),
    "site_kind": _C("设施类型", "Kind"),
    "point_id": _C("收集点编号", "Point id"),
    "point_name": _C("收集点", "Point"),
    "district": _C("街道/镇", "Street/town"),
    "term": _C("环节", "Stage"),
    "label": _C("输入", "Input"),
    "note": _C("说明", "Note"),
    "day": _C("日序号", "Day", "", "int"),
    "engine": _C("求解器", "Engine"),
    "status": _C("状态", "Status"),
    # cost waterfall (facility plan)
    "base_cny_per_year": _C("基准", "Base", "CNY/yr", "int"),
    "variant_cny_per_year": _C("方案", "Variant", "CNY/yr", "int"),
    "delta_cny_per_year": _C("差值", "Change", "CNY/yr", "int"),
    "delta_cny_per_t": _C("吨成本差值", "Change per tonne", "CNY/t", "num2"),
    # utilisation, base → variant
    "open_base": _C("基准开放", "Open (base)", "", "bool"),
    "open_variant": _C("方案开放", "Open (variant)", "", "bool"),
    "t_per_day": _C("量", "Tonnes", "t/day", "num2"),
    "t_per_day_base": _C("基准量", "Tonnes (base)", "t/day", "num2"),
    "t_per_day_variant": _C("方案量", "Tonnes (variant)", "t/day", "num2"),
    "capacity_t_per_day_base": _C("基准能力", "Capacity (base)", "t/day", "num1"),
    "capacity_t_per_day_variant": _C("方案能力", "Capacity (variant)", "t/day", "num1"),
    "utilisation_base": _C("基准负荷率", "Utilisation (base)", "%", "pct"),
    "utilisation_variant": _C("方案负荷率", "Utilisation (variant)", "%", "pct"),
    "headroom_t_per_day_base": _C("基准余量", "Headroom (base)", "t/day", "num1"),
    "headroom_t_per_day_variant": _C("方案余量", "Headroom (variant)", "t/day", "num1"),
    # catchment moves
    "site_base": _C("原卸点", "Unloads at (base)"),
    "site_variant": _C("新卸点", "Unloads at (variant)"),
    "site_base_closed": _C("原站关闭", "Old site closed", "", "bool"),
    "leg_km_base": _C("原运距", "Leg (base)", "km", "num2"),
    "leg_km_variant": _C("新运距", "Leg (variant)", "km", "num2"),
    "delta_leg_km": _C("运距差", "Leg change", "km", "num2"),
    "delta_t_km_per_day": _C("吨公里差", "Tonne-km change", "t·km/day", "num1"),
    # sensitivity
    "factor_low": _C("下调倍数", "Factor low", "×", "num2"),
    "factor_high": _C("上调倍数", "Factor high", "×", "num2"),
    "evaluated": _C("已评估", "Evaluated", "", "bool"),
    "delta_low_cny_per_year": _C("下调时差值", "Change at low", "CNY/yr", "int"),
    "delta_nominal_cny_per_year": _C("名义差值", "Change, nominal", "CNY/yr", "int"),
    "delta_high_cny_per_year": _C("上调时差值", "Change at high", "CNY/yr", "int"),
    "swing_cny_per_year": _C("摆幅", "Swing", "CNY/yr", "int"),
    "ranking_nominal": _C("名义排序", "Ranking, nominal"),
    "ranking_low": _C("下调排序", "Ranking at low"),
    "ranking_high": _C("上调排序", "Ranking at high"),
    "flips_ranking": _C("排序翻转", "Ranking flips", "", "bool"),
    # standard policy
    "run_plan": _C("本次规划", "The run's plan"),
    "cny_per_year_without": _C("无政策成本", "Cost without", "CNY/yr", "int"),
    "cny_per_year_with": _C("有政策成本", "Cost with", "CNY/yr", "int"),
    "policy_cost_cny_per_year": _C("政策成本", "Policy cost", "CNY/yr", "int"),
    "closed_by_policy": _C("政策关闭", "Closed by the policy"),
    "opened_instead": _C("替代新开", "Opened instead"),
    "status_without": _C("无政策状态", "Status without"),
    "status_with": _C("有政策状态", "Status with"),
    # service level
    "collected_share": _C("收运率", "Collected share", "%", "pct"),
    "below_level": _C("低于服务水平", "Below the level", "", "bool"),
    "due_t": _C("应收量", "Due", "t", "num2"),
    "left_t": _C("期末未收", "Left at the end", "t", "num2"),
    "days_with_waste_left": _C("有遗留天数", "Days with waste left", "days", "int"),
    "points_left": _C("遗留点数", "Points with waste left", "", "int"),
    "places": _C("遗留位置", "Where"),
    "overflows": _C("溢流", "Overflow"),
    "cost_cny": _C("成本", "Cost", "CNY", "int"),
    # simulated days
    "collected_t": _C("收运量", "Collected", "t", "num2"),
    "uncollected_t": _C("未收运量", "Uncollected", "t", "num2"),
    "overtime_h": _C("加班工时", "Overtime", "h", "num1"),
    # routed day per stream
    "check_ok": _C("检查通过", "Checker clean", "", "bool"),
    "violations": _C("违规数", "Violations", "", "int"),
    "unserved": _C("未服务点", "Unserved stops", "", "int"),
    "vehicles": _C("车辆", "Vehicles", "", "int"),
    "trips": _C("趟次", "Trips", "", "int"),
    "stops": _C("停靠点", "Stops", "", "int"),
    "t_collected": _C("收集量", "Collected", "t", "num2"),
    "km": _C("车公里", "Vehicle km", "km", "num1"),
    "hours": _C("工时", "Hours", "h", "num1"),
    "co2_kg": _C("二氧化碳", "CO2", "kg CO2", "num1"),
    "runtime_s": _C("求解时间", "Solve time", "s", "num1"),
}
"""Every non-KPI column the report shows, by its id in the output files."""

VALUE_LABELS: dict[str, str] = {
    # facility plan modes and statuses
    "status_quo": "现状 status quo",
    "free": "自由 free",
    "free (cost-only lower bound)": "自由(仅成本下界) free (cost-only lower bound)",
    "optimal": "最优 optimal",
    "time_limit": "时限内最优 best found in the time limit",
    "capacity_short": "能力不足 short of capacity",
    "infeasible": "不可行 infeasible",
    "no_solution": "无解 no solution",
    "error": "错误 error",
    # route plans
    "feasible": "可行 feasible",
    # simulation statuses
    "complete": "完成 complete",
    "within_tolerance": "容差内 within tolerance",
    "shortfall": "不达标 shortfall",
    "balance_error": "质量不平衡 balance error",
    "clean": "通过 clean",
    "violations": "有违规 violations",
    "robust": "稳健 robust",
    "not_robust": "不稳健 not robust",
    # site kinds
    "station": "中转站 station",
    "plant": "处理厂 plant",
    # the cost waterfall's terms
    "tier1_collection": "一级收集 collection",
    "station_operation": "中转站运营 station operation",
    "tier2_haul": "二级转运 haul",
    "gate_fees": "处理费 gate fees",
    "shortfall_penalty": "缺口罚金 shortfall penalty",
    "capital_annualised": "资本(年化) capital, annualised",
    "other": "其他 other",
    "total": "合计 total",
    # the standard policy's sides
    "with": "有政策 with the policy",
    "without": "无政策 without the policy",
    "clean and robust": "无违规且稳健 clean and robust",
    "clean in the plan, NOT robust in the simulated days": "计划无违规，仿真不稳健 clean in "
    "the plan, NOT robust in the simulated days",
    "NOT clean in the plan (checker), robust in the simulated days": "计划有违规，仿真稳健 NOT "
    "clean in the plan (checker), robust in the simulated days",
    "NOT clean in the plan (checker), NOT robust in the simulated days": "计划有违规，仿真不稳健 "
    "NOT clean in the plan (checker), NOT robust in the simulated days",
    "collection": "收集 collection",
    "treatment": "处理 treatment",
}
"""Words for the coded values of the report's tables (statuses, modes, cost terms)."""


def value_text(value: object) -> str:
    """A text cell as a reader sees it: a coded value in words, anything else unchanged."""
    text = "" if value is None else str(value)
    return VALUE_LABELS.get(text, text)


def format_cell(value: object, fmt: Format) -> str:
    """``value`` printed in ``fmt``; a missing or NaN value is ``–``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if fmt == "text":
        return value_text(value)
    if fmt == "bool":
        return "是 yes" if bool(value) else "否 no"
    if isinstance(value, str):
        return value
    x = float(value)  # type: ignore[arg-type]
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if fmt == "pct":
        return f"{100.0 * x:,.1f}\u00a0%"  # a no-break space: "%" never wraps alone
    digits = {"int": 0, "num1": 1, "num2": 2, "num3": 3}[fmt]
    text = f"{x:,.{digits}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text
