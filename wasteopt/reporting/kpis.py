"""The KPI registry: every KPI of ``kpi.csv`` defined once (id, Chinese and English label, unit,
definition, number format, which way is better), and the labels of every other column and
coded value the report shows.

``kpi.csv``, the report's tables, the decision page and the chart titles all read their labels,
units and formats from here, so a KPI has one name, one meaning and one printed value
everywhere (:func:`format_value`); ids (``truck_km_per_day``) are file columns, never shown to a
reader of the report (:func:`heading`, :func:`value_text`).

Three distance figures answer three questions and are kept apart: ``t_km_per_day`` is the
facility plan's tonne-km (tonnes × road km, a load measure, not vehicle km), ``route_km`` the
planned vehicle km of the collection routes of the routed day, and ``truck_km_per_day`` the
simulated vehicle km per day of every vehicle (collection and haul, ``collection_km_per_day``
+ ``haul_km_per_day``). Three cost figures likewise: ``facility_cost_cny_per_t`` (the plan's
estimate), ``ops_cost_cny_per_t`` (simulated running costs only) and the reconciled
``cost_cny_per_t`` (the sum of the five ``cost_<stage>_cny_per_t``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from wasteopt.reporting.labels import COLUMNS, Format, format_cell, unit_text

__all__ = [
    "COST_STAGES",
    "KPIS",
    "KPI_BY_ID",
    "VERDICT_KPIS",
    "Kpi",
    "chart_title",
    "format_value",
    "heading",
    "kpi",
]

Better = Literal["lower", "higher", ""]
Source = Literal["plan", "routes", "simulation", "run"]


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI: ``id`` (the ``kpi.csv`` column), labels, ``unit`` (English; Chinese from
    :data:`UNITS_ZH`), one ``definition`` sentence, the number format, which way is
    ``better`` (empty: neither) and where it comes from (``source``)."""

    id: str
    zh: str
    en: str
    unit: str
    fmt: Format
    source: Source
    definition: str
    better: Better = ""

    @property
    def label(self) -> str:
        """``中文 English``."""
        return f"{self.zh} {self.en}"

    def format(self, value: object) -> str:
        """``value`` printed as the report prints this KPI (:func:`format_value`)."""
        return format_cell(value, self.fmt)


_SIM: Source = "simulation"

# kpi.csv's columns after ``variant``, in order. One block per KPI reads as a table; the
# formatter would put each argument on its own line, so it is kept off this table.
# fmt: off
KPIS: tuple[Kpi, ...] = (
    Kpi("open_stations", "开放中转站", "Open transfer stations", "", "int", "plan",
        "Transfer stations open in the facility plan."),
    Kpi("facility_mode", "设施规划模式", "Facility plan mode", "", "text", "plan",
        "status_quo: existing stations stay, candidates are built only where the variant says; "
        "free: the optimiser may close and build any station (a cost-only lower bound)."),
    Kpi("facility_status", "设施规划状态", "Facility plan status", "", "text", "plan",
        "How the facility plan ended: optimal, best found in the time limit, short of capacity, "
        "or without a plan."),
    Kpi("facility_cost_cny_per_year", "规划年成本", "Planned annual cost", "CNY/yr", "int", "plan",
        "The facility plan's objective: the annual cost of the two-tier chain the facility "
        "model estimates on expected generation (collection, stations, haul, gate fees, "
        "annualised capital, priced shortfall).", "lower"),
    Kpi("facility_cost_cny_per_t", "规划吨成本", "Planned cost per tonne", "CNY/t", "num1", "plan",
        "Planned annual cost ÷ (expected t/day × 365): the facility model's estimate, not the "
        "simulated days.", "lower"),
    Kpi("cost_cny_per_t", "全口径吨成本", "Full cost per tonne", "CNY/t", "num1", "run",
        "The reconciled cost per tonne collected: the simulated days' vehicle, station handling "
        "and gate-fee costs plus the plan's station fixed and staff costs and annualised "
        "capital; the sum of the five stage costs below.", "lower"),
    Kpi("cost_collection_cny_per_t", "收集环节", "Collection stage", "CNY/t", "num1", _SIM,
        "Simulated cost of the collection vehicles (day rate, km, hours) per tonne collected.",
        "lower"),
    Kpi("cost_station_cny_per_t", "中转站环节", "Station stage", "CNY/t", "num1", "run",
        "Simulated station handling (t received × the station's CNY/t) plus the plan's station "
        "fixed and staff costs (per year ÷ 365), per tonne collected.", "lower"),
    Kpi("cost_haul_cny_per_t", "转运环节", "Haul stage", "CNY/t", "num1", _SIM,
        "Simulated cost of the haul vehicles (station → plant) per tonne collected.", "lower"),
    Kpi("cost_gate_fees_cny_per_t", "处理费", "Gate fees", "CNY/t", "num1", _SIM,
        "Simulated gate fees at the plants (and at a fallback for overflow) per tonne "
        "collected.", "lower"),
    Kpi("cost_capital_cny_per_t", "资本成本", "Capital (annualised)", "CNY/t", "num1", "plan",
        "The plan's annualised cost of opening and closing stations ÷ (t collected per day × "
        "365).", "lower"),
    Kpi("t_km_per_day", "规划吨公里", "Planned tonne-km", "t·km/day", "int", "plan",
        "Facility plan: tonnes × road km of every point → first site leg and station → plant "
        "haul, per day on expected rates; a load measure, not vehicle km.", "lower"),
    Kpi("routed_day", "排线日序号", "Routed day (index)", "", "int", "routes",
        "Index of the routed day in the horizon (0 = the first day): the day whose generation "
        "is closest to the horizon's mean."),
    Kpi("routed_date", "排线日期", "Routed day (date)", "", "text", "routes",
        "Calendar date and weekday of the routed day."),
    Kpi("route_vehicles", "排线车辆", "Route vehicles", "", "int", "routes",
        "Collection vehicles used by the route plans of the routed day, all streams."),
    Kpi("route_trips", "排线趟次", "Route trips", "", "int", "routes",
        "Trips (depot or unload to unload) of the route plans of the routed day."),
    Kpi("route_km", "排线车公里", "Planned route km", "km", "num1", "routes",
        "Planned vehicle km of the collection routes of the routed day (one day, collection "
        "vehicles only, no haul).", "lower"),
    Kpi("routes_clean", "线路无违规", "Routes pass the checker", "", "bool", "routes",
        "Every route plan of the routed day passed the independent checker (no unserved stop, "
        "no broken rule)."),
    Kpi("plan_verdict", "线路结论", "Route plans: clean and robust", "", "text", "run",
        "Clean means both: every cycle-day plan passes the checker on its planned kg, and the "
        "simulated days are robust (at most 5 % of a stream's collection vehicle-days, and of "
        "its haul vehicle-days, with an unplanned unload, too many trips or overtime); it says "
        "which of the two holds."),
    Kpi("sim_days", "仿真天数", "Simulated days", "days", "int", _SIM,
        "Days in the simulated horizon."),
    Kpi("generated_t_per_day", "产生量", "Generated", "t/day", "num2", _SIM,
        "Waste generated at the points per simulated day (mean)."),
    Kpi("stock_at_start_t", "期初桶内存量", "In bins at the start", "t", "num2", _SIM,
        "Waste already in the bins when the simulated horizon starts (points collected less "
        "often than daily); what of it is collected in the horizon adds to collected."),
    Kpi("collected_t_per_day", "收集量", "Collected", "t/day", "num2", _SIM,
        "Waste taken from the bins per simulated day (mean): the stock in the bins at the start "
        "+ generated − what is left at the points at the end, so it can exceed generated."),
    Kpi("uncollected_t_end", "期末未收", "Left uncollected at the end", "t", "num2", _SIM,
        "Waste left in the bins of points that were due on the last simulated day.", "lower"),
    Kpi("overflowed_t", "溢流量", "Overflow to fallbacks", "t", "num2", _SIM,
        "Waste plants could not take and sent to their fallback, over the horizon.", "lower"),
    Kpi("truck_km_per_day", "仿真车公里", "Simulated vehicle km", "km/day", "num1", _SIM,
        "Vehicle km per simulated day of every vehicle, collection and haul (the two lines "
        "below add up to it).", "lower"),
    Kpi("collection_km_per_day", "收集车公里", "Collection vehicle km", "km/day", "num1", _SIM,
        "Simulated km per day of the collection vehicles (compare with the planned route km)."),
    Kpi("haul_km_per_day", "转运车公里", "Haul vehicle km", "km/day", "num1", _SIM,
        "Simulated km per day of the haul vehicles (station → plant and back)."),
    Kpi("vehicle_h_per_day", "车辆工时", "Vehicle hours", "h/day", "num1", _SIM,
        "Hours from depot departure to return, all vehicles, per simulated day.", "lower"),
    Kpi("overtime_h_per_day", "加班工时", "Overtime", "h/day", "num2", _SIM,
        "Hours past the shift end, all vehicles, per simulated day.", "lower"),
    Kpi("sim_extra_unload_share", "额外卸车车日占比", "Vehicle-days with an unplanned unload",
        "%", "pct", _SIM,
        "Share of the collection vehicle-days that ran in which a vehicle was full at a stop "
        "and drove to unload in between (a trip the route sheet does not show).", "lower"),
    Kpi("sim_over_max_trips_share", "超趟次车日占比", "Vehicle-days over the trip limit",
        "%", "pct", _SIM,
        "Share of the collection vehicle-days with more tips than the vehicle type's max_trips.",
        "lower"),
    Kpi("sim_overtime_share", "加班车日占比", "Vehicle-days with overtime", "%", "pct", _SIM,
        "Share of the vehicle-days (collection and haul) back at the depot after the shift end.",
        "lower"),
    Kpi("sim_trips_over_max_max", "最多超出趟次", "Most trips over the limit", "", "int", _SIM,
        "The most trips one collection vehicle-day made beyond its type's max_trips.", "lower"),
    Kpi("sim_overtime_min_max", "最长加班", "Longest overtime", "min", "int", _SIM,
        "The longest overtime of one vehicle-day (collection or haul).", "lower"),
    Kpi("sim_robust", "仿真稳健", "Robust in the simulated days", "", "bool", _SIM,
        "Every stream has at most 5 % of its collection vehicle-days, and of its haul "
        "vehicle-days, with any of the three breaches above."),
    Kpi("co2_kg_per_day", "二氧化碳排放", "CO2 emissions", "kg CO2/day", "num1", _SIM,
        "Simulated vehicle km × each vehicle type's kg CO2 per km, per day.", "lower"),
    Kpi("ops_cost_cny_per_day", "仿真运营日成本", "Simulated running cost", "CNY/day", "int", _SIM,
        "Simulated vehicle, station handling and gate-fee costs per day; no station fixed or "
        "staff costs, no capital.", "lower"),
    Kpi("ops_cost_cny_per_t", "仿真运营吨成本", "Simulated running cost per tonne",
        "CNY/t", "num1", _SIM,
        "Simulated running cost ÷ tonnes collected (the full cost per tonne less station fixed "
        "and staff costs and capital).", "lower"),
    Kpi("residue_t_per_day", "厂后残余物", "Residues beyond the gate", "t/day", "num1", _SIM,
        "Slag, fly ash, digestate, rejects and leachate leaving plants, stations and landfills "
        "per simulated day (residues.csv; 0 without it)."),
    Kpi("residue_cost_cny_per_day", "残余物处置日成本", "Residue treatment and transport cost",
        "CNY/day", "int", _SIM,
        "Treatment, disposal and transport of the residues per simulated day (residues.csv); "
        "not in the simulated running cost.", "lower"),
    Kpi("plant_lost_t_per_day", "处理厂停运损失能力", "Plant capacity lost to outages", "t/day",
        "num1", _SIM,
        "Treatment capacity lost to planned, retrofit and random outages (plant_outages.csv) "
        "per simulated day, summed over the plants; 0 without outages.", "lower"),
    Kpi("plant_diverted_t", "停运改运量", "Diverted from plants down", "t", "num1", _SIM,
        "Tonnes sent at dispatch to another plant of the fallback chain because their plant "
        "had lost capacity, over the simulated days (sim_availability.csv).", "lower"),
    Kpi("plant_nowhere_t", "无处可去量", "Waste with nowhere to go", "t", "num1", _SIM,
        "Tonnes no plant of the fallback chain could take over the simulated days: a "
        "treatment shortfall whatever its size.", "lower"),
    Kpi("plant_outage_cost_cny", "停运额外成本", "Extra cost of diversions", "CNY", "int", _SIM,
        "Extra transport and gate-fee difference of loads diverted or passed on along the "
        "fallback chain over the simulated days (in the simulated running cost).", "lower"),
    Kpi("station_utilisation_plan_max", "中转站规划最高负荷率", "Station utilisation, planned max",
        "%", "pct", "plan",
        "Highest planned t/day ÷ capacity over the open stations (expected rates; the "
        "utilisation chart shows every station)."),
    Kpi("station_utilisation_peak_day", "中转站峰值日负荷率", "Station utilisation, busiest day",
        "%", "pct", _SIM,
        "Highest t received ÷ daily capacity over the open stations and the simulated days."),
    Kpi("station_utilisation_mean", "中转站平均负荷率", "Station utilisation, mean",
        "%", "pct", _SIM,
        "Mean over the open stations and the simulated days of t received ÷ capacity."),
    Kpi("plant_utilisation_plan_max", "处理厂规划最高负荷率", "Plant utilisation, planned max",
        "%", "pct", "plan",
        "Highest planned district t/day ÷ capacity left for the district (capacity − other "
        "districts' load) over the plants; the utilisation chart's largest plant bar."),
    Kpi("plant_utilisation_peak_day", "处理厂峰值日负荷率", "Plant utilisation, busiest day",
        "%", "pct", _SIM,
        "Highest district t received on one simulated day ÷ capacity left for the district, "
        "over the plants (the planned figure's basis)."),
    Kpi("plant_backlog_max_t", "处理厂最大积压", "Plant backlog, largest", "t", "num1", _SIM,
        "Largest backlog waiting at a plant at a day's end in the simulated days.", "lower"),
    Kpi("wait_min_mean", "平均排队", "Queue wait, mean", "min", "num1", _SIM,
        "Mean wait for a tipping bay over every bay visit.", "lower"),
    Kpi("wait_min_p95", "排队95分位", "Queue wait, 95th percentile", "min", "num1", _SIM,
        "95th percentile of the waits for a tipping bay.", "lower"),
    Kpi("mass_balance_closes", "质量平衡闭合", "Mass balance closes", "", "bool", _SIM,
        "Every simulated day's mass balance closes (no waste lost or counted twice)."),
    Kpi("sim_status", "仿真状态", "Simulation status", "", "text", _SIM,
        "complete, within tolerance, shortfall (a stream below the service level) or balance "
        "error; the decision page says what fell short, where and how much."),
    Kpi("collected_share_min", "收运率(最低流)", "Service: collected share, worst stream",
        "%", "pct", _SIM,
        "Lowest over the streams of tonnes collected ÷ tonnes due (the service level asks at "
        "least 99.5 %).", "higher"),
    Kpi("uncollected_penalty_cny", "未收罚金", "Penalty on waste left", "CNY", "int", _SIM,
        "Tonnes left at the end × the scenario's shortfall penalty per tonne.", "lower"),
)
# fmt: on
# fmt: on
# fmt: on
KPI_BY_ID: dict[str, Kpi] = {k.id: k for k in KPIS}

COST_STAGES: tuple[str, ...] = (
    "cost_collection_cny_per_t",
    "cost_station_cny_per_t",
    "cost_haul_cny_per_t",
    "cost_gate_fees_cny_per_t",
    "cost_capital_cny_per_t",
)
"""The five stages whose costs add up to ``cost_cny_per_t``, in chain order."""


def kpi(kpi_id: str) -> Kpi:
    """The registry entry of ``kpi_id`` (KeyError naming it when unknown)."""
    try:
        return KPI_BY_ID[kpi_id]
    except KeyError:
        raise KeyError(f"no KPI {kpi_id!r} in the registry (wasteopt.reporting.kpis)") from None


VERDICT_KPIS: tuple[str, ...] = (
    "cost_cny_per_t",
    "truck_km_per_day",
    "co2_kg_per_day",
    "collected_share_min",
)
"""The KPIs the decision page's verdict compares (cost, truck-km, CO2, service)."""


def format_value(kpi_id: str, value: object) -> str:
    """``value`` of ``kpi_id`` as every table of the report prints it."""
    return kpi(kpi_id).format(value)


def heading(column: str) -> str:
    """The header a reader sees for a KPI or table column id: ``中文 English (单位 unit)``;
    KeyError for an id the registry does not know (so no raw id reaches the report)."""
    if column in KPI_BY_ID:
        k = KPI_BY_ID[column]
        zh, en, unit = k.zh, k.en, k.unit
    elif column in COLUMNS:
        c = COLUMNS[column]
        zh, en, unit = c.zh, c.en, c.unit
    else:
        raise KeyError(f"no label for column {column!r} in wasteopt.reporting.kpis/labels")
    return f"{zh} {en}" + (f" ({unit_text(unit)})" if unit else "")


def chart_title(kpi_id: str) -> str:
    """A chart's title for a KPI plotted as stored: :func:`heading`, except that a share is
    plotted as a fraction, so it says so instead of "%"."""
    k = kpi(kpi_id)
    return f"{k.label} (比例 share, 1 = 100 %)" if k.fmt == "pct" else heading(kpi_id)
