"""One scenario variant, every stage: generation → facility plan → routes of each collection
cycle → simulation; its KPI row; and one replication as a sweep task."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wasteopt.clock import Deadline
from wasteopt.facilities import FacilityPlan, plan_facilities
from wasteopt.facilities.settings import FacilitySettings, PlanMode, resolve_planning
from wasteopt.generation import Demand, expected_rates_kg_per_day, generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.operations import MIN_SOLVE_S, OperatingPlan, build_operating_plan
from wasteopt.pipeline.measures import run_measures
from wasteopt.pipeline.routes import progress_bar
from wasteopt.reporting.kpis import KPIS
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.simulation import SimulationResult, SimulationSettings, simulate
from wasteopt.simulation.robustness import plan_verdict, robustness_kpis, robustness_text

__all__ = [
    "FACILITY_SHARE",
    "ROUTING_SHARE",
    "STATUS_QUO",
    "Echo",
    "Horizon",
    "Operations",
    "VariantRun",
    "facility_settings",
    "part_of",
    "plan_catchments",
    "plan_operations",
    "replication_kpis",
    "representative_day",
    "run_variant",
    "variant_kpis",
]

log = logging.getLogger("wasteopt")

Echo = Callable[[str], None]

FACILITY_SHARE = 0.25
"""Share of a variant's remaining budget the facility plan may use."""
ROUTING_SHARE = 0.8
"""Share of what the facility plan left that the cycle-day routing may use (the rest: the
simulation and the output files)."""

STATUS_QUO = FacilitySettings(mode="status_quo")
"""Facility settings of today's network, changed only by a variant's decisions."""

FREE_MODE_NOTE = (
    "free mode is a cost-only lower bound: the optimiser may close or build any station, "
    "ignoring why stations really stay or close (standards, land, politics)"
)
"""How every output labels a plan made in ``free`` mode."""


def facility_settings(
    scenario: Scenario, settings: FacilitySettings | None = None, *, mode: PlanMode | None = None
) -> FacilitySettings:
    """The facility settings of every command: ``settings`` (default: the defaults) with the
    plan ``mode`` when given, else the settings' own mode when they are given, else the
    scenario's ``planning.mode`` (the one documented default of ``plan``, ``route``,
    ``simulate`` and ``run``)."""
    given = settings if settings is not None else FacilitySettings()
    if mode is None:  # the facilities' own rule: the settings' mode, else the scenario's
        mode = resolve_planning(given, scenario.planning).mode
    return dataclasses.replace(given, mode=mode)


def mode_label(mode: str) -> str:
    """``mode`` as outputs show it: free mode is labelled a cost-only lower bound."""
    return f"{mode} (cost-only lower bound)" if mode == "free" else mode


@dataclass(frozen=True, slots=True, kw_only=True)
class Horizon:
    """What one job covers: ``days`` generated and simulated, the routed ``day`` (None: the
    :func:`representative_day`), and the ``seed`` of generation and simulation (routing has
    its own, :attr:`RoutingSettings.seed`)."""

    days: int = 28
    day: int | None = None
    seed: int = 0


def part_of(deadline: Deadline | None, fraction: float) -> Deadline | None:
    """A deadline for a step that may use ``fraction`` of what is left, at least
    ``MIN_SOLVE_S`` (a solver needs a minimum to answer, even once the budget is spent);
    None: no limit."""
    if deadline is None:
        return None
    return Deadline.at(time.monotonic() + deadline.share(fraction, floor_s=MIN_SOLVE_S))


def no_echo(_text: str) -> None:
    """An echo that says nothing."""


DEFAULT_HORIZON = Horizon()
DEFAULT_ROUTING = RoutingSettings()


def representative_day(demand: Demand) -> int:
    """Index of the day whose total generation is closest to the mean daily total."""
    totals = np.asarray(demand.kg).sum(axis=(1, 2))
    return int(np.argmin(np.abs(totals - totals.mean())))


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantRun:
    """Everything one variant produced. ``routed_day`` indexes ``demand``."""

    variant: str
    scenario: Scenario
    demand: Demand
    routed_day: int
    facility_plan: FacilityPlan
    operating: OperatingPlan
    simulation: SimulationResult
    matrix: TravelMatrix | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    plans_as: str = ""  # the variant whose plans this one reuses (pipeline.twins), or ""

    @property
    def plans(self) -> list[RoutePlan]:
        """The route plans of the routed day, one per stream."""
        return [
            self.operating.plans[s] for s in self.scenario.stream_ids if s in self.operating.plans
        ]

    @property
    def operations(self) -> Operations:
        """The planning stages' results this run simulated (to reuse for a twin variant)."""
        return Operations(
            matrix=self.matrix if self.matrix is not None else build_matrix(self.scenario),
            demand=self.demand,
            routed_day=self.routed_day,
            facility_plan=self.facility_plan,
            operating=self.operating,
        )

    @property
    def plans_clean(self) -> bool:
        """Every plan of every cycle day passed its check."""
        return all(
            p.check is not None and p.check.ok
            for s in self.operating.cycle_plans
            for p in self.operating.distinct_plans(s)
        )

    @property
    def ok(self) -> bool:
        """Every plan of every cycle day passed its check and the mass balance closed."""
        return self.plans_clean and self.simulation.balance_closes


@dataclass(frozen=True, slots=True, kw_only=True)
class Operations:
    """What the planning stages produce for one scenario: the inputs a simulation executes."""

    matrix: TravelMatrix
    demand: Demand
    routed_day: int
    facility_plan: FacilityPlan
    operating: OperatingPlan
    timings_s: dict[str, float] = field(default_factory=dict)


def plan_operations(
    scenario: Scenario,
    horizon: Horizon = DEFAULT_HORIZON,
    *,
    routing: RoutingSettings = DEFAULT_ROUTING,
    facilities: FacilitySettings | None = None,
    deadline: Deadline | None = None,
    matrix: TravelMatrix | None = None,
    echo: Echo = no_echo,
    progress: bool = False,
) -> Operations:
    """Generation → facility plan (:func:`plan_catchments`; ``facilities`` default: the
    scenario's planning mode) → routes for every day of each collection cycle, each stop
    unloading where the plan assigns it, routed from ``horizon.day`` (default: the
    representative day). ``deadline`` is shared out as the module docstring says."""
    v = scenario.variant
    timings: dict[str, float] = {}
    t = time.perf_counter()
    matrix = build_matrix(scenario) if matrix is None else matrix
    timings["network"] = time.perf_counter() - t

    t = time.perf_counter()
    demand = generate(scenario, days=horizon.days, seed=horizon.seed)
    routed_day = representative_day(demand) if horizon.day is None else horizon.day
    if routed_day >= horizon.days:
        raise ValueError(f"day {routed_day} is outside the {horizon.days}-day horizon")
    timings["generation"] = time.perf_counter() - t
    echo(
        f"[{v}] demand: {horizon.days} days from {demand.dates[0]}, mean "
        f"{demand.totals_t_per_day().sum(axis=1).mean():.1f} t/day; routed day {routed_day}"
    )

    t = time.perf_counter()
    fplan = plan_catchments(
        scenario, matrix, facilities, deadline=part_of(deadline, FACILITY_SHARE)
    )
    timings["facilities"] = time.perf_counter() - t
    echo(
        f"[{v}] facility plan ({mode_label(fplan.mode)}): {fplan.status}, "
        f"{fplan.objective:,.0f} CNY/yr, {len(fplan.open_stations)} stations open "
        f"({timings['facilities']:.1f} s)"
    )

    t = time.perf_counter()
    operating = _route_cycle_days(
        scenario,
        demand,
        matrix,
        routed_day,
        fplan,
        routing,
        part_of(deadline, ROUTING_SHARE),
        progress,
    )
    timings["routing"] = time.perf_counter() - t
    for s in operating.plans:
        echo(f"[{v}] {operating.plans[s].summary()}")
    return Operations(
        matrix=matrix,
        demand=demand,
        routed_day=routed_day,
        facility_plan=fplan,
        operating=operating,
        timings_s=timings,
    )


def plan_catchments(
    scenario: Scenario,
    matrix: TravelMatrix,
    facilities: FacilitySettings | None = None,
    *,
    deadline: Deadline | None = None,
) -> FacilityPlan:
    """The facility plan whose assignment (point, stream → station or plant) every later
    stage uses: ``route``, the cycle-day routes and the simulation unload exactly there.
    Planned on the expected generation rates with :func:`facility_settings`."""
    settings = facility_settings(scenario, facilities)
    fplan = plan_facilities(
        scenario, expected_rates_kg_per_day(scenario), matrix, settings, deadline=deadline
    )
    if not fplan.has_plan:
        log.warning(
            "%s: no facility plan (%s); stops unload at the nearest site",
            scenario.variant,
            fplan.status,
        )
    return fplan


def _route_cycle_days(
    scenario: Scenario,
    demand: Demand,
    matrix: TravelMatrix,
    day: int,
    fplan: FacilityPlan,
    routing: RoutingSettings,
    deadline: Deadline | None,
    progress: bool,
) -> OperatingPlan:
    """:func:`wasteopt.operations.build_operating_plan` with a progress bar per solved plan."""
    bar = progress_bar(None, f"[{scenario.variant}] routing", "plan") if progress else None

    def tick(done: int, total: int, plan: RoutePlan) -> None:
        if bar is not None:
            bar.total = total
            bar.set_postfix_str(f"{plan.stream}: {plan.status}")
            bar.update(done - bar.n)

    operating = build_operating_plan(
        scenario,
        demand,
        matrix,
        day=day,
        facility_plan=fplan if fplan.has_plan else None,
        routing=routing,
        deadline=deadline,
        progress=tick,
    )
    if bar is not None:
        bar.close()
    return operating


def run_variant(
    scenario: Scenario,
    horizon: Horizon = DEFAULT_HORIZON,
    *,
    routing: RoutingSettings = DEFAULT_ROUTING,
    facilities: FacilitySettings | None = None,
    simulation: SimulationSettings | None = None,
    deadline: Deadline | None = None,
    matrix: TravelMatrix | None = None,
    echo: Echo = no_echo,
    progress: bool = False,
    operations: Operations | None = None,
) -> VariantRun:
    """:func:`plan_operations` (or ``operations``, the plans of a variant that plans alike,
    :mod:`wasteopt.pipeline.twins`), then one simulation over the whole horizon (seed
    ``horizon.seed``)."""
    plans_as = "" if operations is None else operations.facility_plan.variant or "base"
    if operations is not None:
        echo(f"[{scenario.variant}] plans as {plans_as}")
        plan = dataclasses.replace(operations.facility_plan, variant=scenario.variant)
        ops = dataclasses.replace(operations, facility_plan=plan, timings_s={})
    else:
        ops = plan_operations(
            scenario,
            horizon,
            routing=routing,
            facilities=facilities,
            deadline=deadline,
            matrix=matrix,
            echo=echo,
            progress=progress,
        )
    timings = dict(ops.timings_s)
    t = time.perf_counter()
    label = f"[{scenario.variant}] simulating"
    bar = progress_bar(horizon.days, label, "day") if progress else None
    sim = simulate(
        scenario,
        demand=ops.demand,
        matrix=ops.matrix,
        operating=ops.operating,
        settings=simulation,
        seed=horizon.seed,
        progress=None if bar is None else (lambda _d: bar.update()),
    )
    if bar is not None:
        bar.close()
    timings["simulation"] = time.perf_counter() - t
    echo(f"[{scenario.variant}] " + sim.summary().splitlines()[0])
    echo(f"[{scenario.variant}] {robustness_text(sim.robustness())}")
    return VariantRun(
        variant=scenario.variant,
        scenario=scenario,
        demand=ops.demand,
        routed_day=ops.routed_day,
        facility_plan=ops.facility_plan,
        operating=ops.operating,
        simulation=sim,
        matrix=ops.matrix,
        timings_s=timings,
        plans_as=plans_as,
    )


def _outage_kpis(availability: pd.DataFrame, n_days: int) -> dict[str, float]:
    """The plant-availability KPIs from the simulation's ``availability`` table."""
    a = availability
    return {
        "plant_lost_t_per_day": float(a["lost_t_per_day"].sum()) / n_days,
        "plant_diverted_t": float(a["diverted_t"].sum()),
        "plant_nowhere_t": float(a["nowhere_t"].sum()),
        "plant_outage_cost_cny": float(a["extra_cost_cny"].sum()),
    }


def variant_kpis(run: VariantRun) -> dict[str, Any]:
    """The comparison row of one variant (planning, routes and simulated operations): every
    KPI of the registry (:data:`wasteopt.reporting.kpis.KPIS`, in its order, after
    ``variant``); each is defined there once. ``collected_share_min`` is the service level
    (:mod:`wasteopt.simulation.service`); the reconciled cost per tonne and the other measures
    that combine tables come from :func:`wasteopt.pipeline.measures.run_measures`."""
    sim, fplan = run.simulation, run.facility_plan
    d = sim.daily
    n_days = max(int(d["day"].nunique()), 1)
    collected = float(d["collected_t"].sum())
    cost = float(d["cost_cny"].sum())
    stations = sim.facilities[sim.facilities["site_kind"] == "station"]
    tips = sim.tips
    plans = run.plans
    levels = sim.service_levels()
    t_year = sum(fplan.demand_t_per_day.values()) * 365.0
    routed = run.demand.dates[run.routed_day] if run.routed_day < len(run.demand.dates) else None
    row: dict[str, Any] = {
        "variant": run.variant,
        "open_stations": len(fplan.open_stations) if fplan.has_plan else None,
        "facility_mode": mode_label(fplan.mode),
        "facility_status": fplan.status,
        "facility_cost_cny_per_year": fplan.objective if fplan.has_plan else None,
        "facility_cost_cny_per_t": (
            fplan.objective / t_year if fplan.has_plan and t_year > 0 else None
        ),
        "t_km_per_day": fplan.t_km_per_day if fplan.has_plan else None,
        "routed_day": run.routed_day,
        "route_vehicles": sum(p.check.totals.vehicles for p in plans if p.check is not None),
        "route_trips": sum(p.check.totals.trips for p in plans if p.check is not None),
        "route_km": sum(p.check.totals.distance_km for p in plans if p.check is not None),
        "routes_clean": all(p.check is not None and p.check.ok for p in plans),
        "sim_days": n_days,
        "generated_t_per_day": float(d["generated_t"].sum()) / n_days,
        "collected_t_per_day": collected / n_days,
        "uncollected_t_end": float(d[d["day"] == d["day"].max()]["uncollected_t"].sum()),
        "overflowed_t": float(d["overflowed_t"].sum()),
        "truck_km_per_day": float(d["km"].sum()) / n_days,
        "vehicle_h_per_day": float(d["vehicle_h"].sum()) / n_days,
        "overtime_h_per_day": float(d["overtime_h"].sum()) / n_days,
        "co2_kg_per_day": float(d["co2_kg"].sum()) / n_days,
        "ops_cost_cny_per_day": cost / n_days,
        "ops_cost_cny_per_t": cost / collected if collected > 0 else None,
        "residue_t_per_day": float(sim.residues.flows["t"].sum()) / n_days,
        "residue_cost_cny_per_day": float(sim.residues.flows["cost_cny"].sum()) / n_days,
        **_outage_kpis(sim.availability, n_days),
        "station_utilisation_mean": _finite(stations["utilisation"].mean()),
        "wait_min_mean": _finite(tips["wait_s"].mean() / 60.0) if len(tips) else 0.0,
        "wait_min_p95": _finite(tips["wait_s"].quantile(0.95) / 60.0) if len(tips) else 0.0,
        "mass_balance_closes": sim.balance_closes,
        "sim_status": sim.status,
        "collected_share_min": float(levels["collected_share"].min()) if len(levels) else 1.0,
        "uncollected_penalty_cny": sum(f.cost_cny for f in sim.service_findings()),
        "plan_verdict": plan_verdict(run.plans_clean, sim.robust),
        **robustness_kpis(sim.robustness()),
        **run_measures(sim, fplan, run.scenario, routed),
    }
    # Registry order first; a column not (yet) in the registry is kept, after them (the KPI
    # registry test names it).
    ordered = {"variant": row["variant"], **{k.id: row[k.id] for k in KPIS if k.id in row}}
    return {**ordered, **row}


def _finite(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


# --------------------------------------------------------------------------------------------
# one replication as a sweep task (picklable, importable by workers)


def replication_kpis(
    *,
    scenario: str,
    variant: str,
    seed: int,
    days: int = 28,
    time_limit_s: float = 5.0,
    engine: str = "pyvrp",
    iterations: int | None = None,
) -> dict[str, Any]:
    """Run one variant with one seed end to end and return its KPI row (for sweeps/compare).

    ``time_limit_s`` is this run's whole budget (one :class:`Deadline`, shared out as the
    module docstring says). The arguments are JSON values because a sweep task's key is their
    canonical JSON. The same seed in every variant gives common random numbers (same demand
    noise)."""
    s = load_scenario(scenario, variant=None if variant == "base" else variant)
    run = run_variant(
        s,
        Horizon(days=days, seed=seed),
        routing=RoutingSettings(engine=engine, seed=seed, iterations=iterations),
        deadline=Deadline(time_limit_s),
    )
    return variant_kpis(run)
