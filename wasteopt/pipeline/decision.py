"""The decision page's inputs from the variant runs (:func:`decision_inputs`): the KPI rows, the
sites before and after with their planned haul km and simulated peaks, the catchment moves and
every stage's status with what it found; and the words for ids (:func:`reader_names`).

The page itself is built and drawn in :mod:`wasteopt.reporting.decision` and
:mod:`wasteopt.reporting.decision_html`. Site loads are the facility plan's (expected
generation, as ``explain/station_utilisation.csv``); the peaks and backlogs are the simulated
days'. Planned haul km of a station: ``Σ_(stream, plant) trips/day × t share to the plant ×
2 × road km station → plant`` (the plan's trips of ``load_t_per_trip`` tonnes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from wasteopt.facilities import FacilityPlan
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.pipeline.explain import Explanation, site_capacity, site_stream_t
from wasteopt.pipeline.variant import VariantRun, mode_label
from wasteopt.reporting.decision import (
    SITE_COLUMNS,
    SITE_STREAM_COLUMNS,
    STATUS_COLUMNS,
    DecisionInputs,
)
from wasteopt.reporting.labels import value_text
from wasteopt.scenario.model import Scenario
from wasteopt.simulation.robustness import robustness_text

__all__ = ["decision_inputs", "haul_km_per_day", "reader_names"]


def reader_names(scenario: Scenario) -> dict[str, str]:
    """Words for ids: stream id → ``厨余垃圾 kitchen``, site id → ``金城 ST-JINCHENG``."""
    names = {s.id: f"{s.name_zh} {s.id}" for s in scenario.streams}
    for group in (scenario.stations, scenario.facilities):
        names.update({x.id: f"{x.name} {x.id}" for x in group})
    return names


def haul_km_per_day(plan: FacilityPlan, matrix: TravelMatrix) -> dict[str, float]:
    """Planned tier-2 haul km per day of each station (module docstring)."""
    trips = {(h.station, h.stream): h.trips_per_day for h in plan.haul}
    shipped = {(h.station, h.stream): h.t_per_day for h in plan.haul}
    out: dict[str, float] = {}
    for (station, stream, plant), t in plan.flows.items():
        total = shipped.get((station, stream), 0.0)
        if total <= 0 or t <= 0:
            continue
        km = float(matrix.distance_m[matrix.index(station), matrix.index(plant)]) / 1000.0
        n = trips.get((station, stream), 0.0) * t / total
        out[station] = out.get(station, 0.0) + n * 2.0 * km
    return out


def _site_rows(run: VariantRun, matrix: TravelMatrix) -> list[dict[str, Any]]:
    """One :data:`SITE_COLUMNS` row per station and plant of the run's facility plan."""
    plan, scenario = run.facility_plan, run.scenario
    if not plan.has_plan:
        return []
    per_stream = site_stream_t(plan)
    haul = haul_km_per_day(plan, matrix)
    fac = run.simulation.facilities
    room = {f.id: f.available_t_per_day for f in scenario.facilities}
    peak: dict[str, float] = {}
    backlog: dict[str, float] = {}
    for site, rows in fac.groupby("site_id", sort=False):
        cap = room.get(str(site), float(rows["capacity_t_per_day"].max()))
        peak[str(site)] = float(rows["inflow_t"].max()) / cap if cap > 0 else math.nan
        if (rows["site_kind"] != "station").any():
            backlog[str(site)] = float(rows["stock_t"].max())
    names = {x.id: x.name for x in scenario.stations}
    names.update({x.id: x.name for x in scenario.facilities})
    out = []
    for site in plan.capacity_t_per_day:
        kind = plan.site_kind.get(site, "")
        out.append(
            {
                "variant": run.variant,
                "site_id": site,
                "site_name": names.get(site, ""),
                "site_kind": kind,
                "open": site in plan.open_stations if kind == "station" else True,
                "capacity_t_per_day": site_capacity(plan, site),
                "t_per_day": sum(t for (j, _), t in per_stream.items() if j == site),
                "haul_km_per_day": haul.get(site, 0.0),
                "peak_day_utilisation": peak.get(site, math.nan),
                "backlog_max_t": backlog.get(site, math.nan),
            }
        )
    return out


def _status_rows(run: VariantRun) -> list[dict[str, Any]]:
    """Facility plan, route plans, simulation and each stream's service: status and finding."""
    plan, sim, v = run.facility_plan, run.simulation, run.variant
    found = [*plan.messages[:2]]
    if plan.shortfalls_t_per_day:
        found.append(
            f"{plan.shortfall_word}: "
            + ", ".join(f"{k} {t:,.2f} t/day" for k, t in plan.shortfalls_t_per_day.items())
        )
    if plan.binding:
        found.append(f"at capacity: {', '.join(plan.binding)}")
    rows = [
        {
            "variant": v,
            "stage": "设施规划 Facility plan",
            "status": plan.status,
            "detail": f"模式 mode: {value_text(mode_label(plan.mode))}"
            + "".join(f"; {x}" for x in found),
        }
    ]
    counts, unserved = [], 0
    for stream in run.operating.cycle_plans:
        plans = list(run.operating.distinct_plans(stream))
        clean = sum(1 for p in plans if p.check is not None and p.check.ok)
        unserved += sum(len(p.unserved) for p in plans)
        counts.append((stream, clean, len(plans)))
    rows.append(
        {
            "variant": v,
            "stage": "线路 Route plans",
            "status": "clean" if all(c == n for _, c, n in counts) else "violations",
            "detail": "cycle-day plans passing the checker: "
            + ", ".join(f"{s} {c}/{n}" for s, c, n in counts)
            + f"; {unserved} stop(s) unserved",
        }
    )
    rows.append(
        {
            "variant": v,
            "stage": "仿真 Simulation",
            "status": sim.status,
            "detail": sim.status_detail,
        }
    )
    rows.append(
        {
            "variant": v,
            "stage": "线路执行 Routes in the simulated days",
            "status": "robust" if sim.robust else "not_robust",
            "detail": robustness_text(sim.robustness()),
        }
    )
    for f in sim.service_findings():
        rows.append(
            {
                "variant": v,
                "stage": f"服务 Service: {f.stream}",
                "status": "shortfall" if f.below_level else "within_tolerance",
                "detail": (f"short of {f.short_of}: " if f.short_of else "") + f.shortfall_text(),
            }
        )
    return rows


def decision_inputs(
    runs: Sequence[VariantRun], kpi: pd.DataFrame, why: Explanation, *, seed: int
) -> DecisionInputs:
    """The decision page's inputs for ``runs`` (the base first): ``kpi`` (one row per variant,
    ``kpi.csv``) as the one replication with ``seed``, the sites, the catchment moves of
    ``why`` and the statuses."""
    sites: list[dict[str, Any]] = []
    streams: list[dict[str, Any]] = []
    for r in runs:
        matrix = r.matrix or build_matrix(r.scenario)
        sites += _site_rows(r, matrix)
        if r.facility_plan.has_plan:
            streams += [
                {"variant": r.variant, "site_id": j, "stream": s, "t_per_day": t}
                for (j, s), t in site_stream_t(r.facility_plan).items()
            ]
    base = runs[0].scenario
    descriptions = {"base": "现状 the scenario as given"}
    descriptions.update({v.id: v.description for v in base.variants})
    return DecisionInputs(
        runs=kpi.assign(seed=seed),
        sites=pd.DataFrame(sites, columns=SITE_COLUMNS),
        site_streams=pd.DataFrame(streams, columns=SITE_STREAM_COLUMNS),
        moves=why.moves,
        statuses=pd.DataFrame([x for r in runs for x in _status_rows(r)], columns=STATUS_COLUMNS),
        descriptions=descriptions,
        base=runs[0].variant,
    )
