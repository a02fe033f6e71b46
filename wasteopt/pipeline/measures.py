"""The KPIs of one variant that need more than a sum of one table: the reconciled cost per tonne
by stage, vehicle km by role, utilisation planned and on the busiest day, plant backlog, the
waste in the bins at the start, and the routed day's date (definitions:
:mod:`wasteopt.reporting.kpis`).

Cost model (CNY per tonne collected over the simulated horizon of ``n`` days)::

    collection = Σ collection vehicles' cost (day rate when used + km + hours) / t
    station    = (Σ_station t received × its CNY/t + n × (station_fixed + station_staff) / 365) / t
    haul       = Σ haul vehicles' cost / t
    gate fees  = (Σ_plant t received × gate fee + Σ overflow × the fallback's gate fee) / t
    capital    = n × (station opening + closing, annualised) / 365 / t

The first four read the simulated days (the simulation charges exactly these), the fixed costs
and capital come from the facility plan (``cost_breakdown``, per year; the plan's
``days_per_year``). ``cost_cny_per_t`` is their sum plus whatever the simulation charged that
none of them explains (:func:`stage_costs` returns it as ``unexplained``; 0 today), so the
total is never silently lower than what the simulation cost.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from wasteopt.facilities import FacilityPlan
from wasteopt.scenario.model import Scenario
from wasteopt.simulation import SimulationResult

__all__ = ["WEEKDAYS", "day_label", "run_measures", "stage_costs"]

WEEKDAYS = ("周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun")

_FIXED = ("station_fixed", "station_staff")
_CAPITAL = ("station_opening_annualised", "station_closing_annualised")


def day_label(date: dt.date) -> str:
    """``2026-01-30 周五 Fri``."""
    return f"{date.isoformat()} {WEEKDAYS[date.weekday()]}"


def _days(sim: SimulationResult) -> int:
    return max(int(sim.daily["day"].nunique()), 1)


def stage_costs(sim: SimulationResult, plan: FacilityPlan, scenario: Scenario) -> dict[str, float]:
    """CNY per tonne collected of each stage (module docstring), ``cost_cny_per_t`` (their sum
    plus ``unexplained``) and ``unexplained`` (simulated cost no stage accounts for, per t)."""
    collected = float(sim.daily["collected_t"].sum())
    n = _days(sim)
    veh = sim.vehicles
    by_role = veh.groupby("role")["cost_cny"].sum() if len(veh) else pd.Series(dtype=float)
    fac = sim.facilities
    fee = {f.id: f.gate_fee_cny_per_t for f in scenario.facilities}
    handling = {s.id: s.cost_cny_per_t for s in scenario.stations}
    stations = fac[fac["site_kind"] == "station"]
    plants = fac[fac["site_kind"] != "station"]
    station_var = float((stations["inflow_t"] * stations["site_id"].map(handling)).sum())
    gate = float((plants["inflow_t"] * plants["site_id"].map(fee)).sum())
    fallback = plants["fallback"].fillna("").astype(str).map(lambda f: fee.get(f, 0.0))
    gate += float((plants["overflowed_t"] * fallback).sum())
    per_day = 1.0 / plan.days_per_year if plan.has_plan else 0.0
    fixed = n * per_day * sum(plan.cost_breakdown.get(k, 0.0) for k in _FIXED)
    capital = n * per_day * sum(plan.cost_breakdown.get(k, 0.0) for k in _CAPITAL)
    cny = {
        "cost_collection_cny_per_t": float(by_role.get("collection", 0.0)),
        "cost_station_cny_per_t": station_var + fixed,
        "cost_haul_cny_per_t": float(by_role.get("haul", 0.0)),
        "cost_gate_fees_cny_per_t": gate,
        "cost_capital_cny_per_t": capital,
    }
    explained = sum(cny.values()) - fixed - capital
    cny["unexplained"] = float(sim.daily["cost_cny"].sum()) - explained
    cny["cost_cny_per_t"] = sum(cny.values())
    if collected <= 0:
        return dict.fromkeys(cny, math.nan)
    return {k: v / collected for k, v in cny.items()}


def _max(values: pd.Series) -> float | None:
    v = float(values.max()) if len(values) else math.nan
    return v if math.isfinite(v) else None


def run_measures(
    sim: SimulationResult, plan: FacilityPlan, scenario: Scenario, routed: dt.date | None
) -> dict[str, Any]:
    """The registry KPIs of :mod:`wasteopt.reporting.kpis` this module computes (module
    docstring), by id; ``routed``: the routed day's date."""
    n = _days(sim)
    veh, fac = sim.vehicles, sim.facilities
    km = veh.groupby("role")["km"].sum() if len(veh) else pd.Series(dtype=float)
    stations = fac[fac["site_kind"] == "station"]
    plants = fac[fac["site_kind"] != "station"]
    # The busiest day's plant load on the plan's basis: district t ÷ capacity left after the
    # other districts' external load (the simulation's own utilisation column divides by the
    # whole capacity, which the external load also uses).
    room = {f.id: f.available_t_per_day for f in scenario.facilities}
    avail = plants["site_id"].map(room)
    plant_peak = (plants["inflow_t"] / avail.where(avail > 0)).dropna()
    util = plan.utilisation if plan.has_plan else {}
    kind = plan.site_kind
    planned_st = [util.get(s, 0.0) for s in plan.open_stations] if plan.has_plan else []
    planned_pl = [u for s, u in util.items() if kind.get(s) not in ("station", None)]
    balance = sim.balance
    first = balance[balance["day"] == balance["day"].min()] if len(balance) else balance
    costs = stage_costs(sim, plan, scenario)
    return {
        "cost_cny_per_t": costs["cost_cny_per_t"],
        **{k: v for k, v in costs.items() if k.startswith("cost_") and k != "cost_cny_per_t"},
        "routed_date": day_label(routed) if routed is not None else "",
        "stock_at_start_t": float(first["initial_kg"].sum()) / 1000.0 if len(first) else 0.0,
        "collection_km_per_day": float(km.get("collection", 0.0)) / n,
        "haul_km_per_day": float(km.get("haul", 0.0)) / n,
        "station_utilisation_plan_max": max(planned_st) if planned_st else None,
        "station_utilisation_peak_day": _max(stations["utilisation"]),
        "plant_utilisation_plan_max": max(planned_pl) if planned_pl else None,
        "plant_utilisation_peak_day": _max(plant_peak),
        "plant_backlog_max_t": _max(plants["stock_t"]) or 0.0,
    }
