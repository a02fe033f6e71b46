"""Benchmark: 365 simulated days of the Jintan scenario on one core (goal: <= 60 s).

Usage::

    .venv/bin/python benchmarks/simulation.py [--days 365] [--route-limit 10] [--workers 1]
        [--no-facility-plan] [--compare-single-plan]

Steps: load ``scenarios/jintan``, build the travel matrix, generate ``--days`` days of waste
(seed 0), plan facilities (Pyomo + HiGHS, unless ``--no-facility-plan``), route every day of each
stream's collection cycle (:func:`wasteopt.simulation.build_operating_plan`: PyVRP,
``--route-limit`` seconds for all cycle days together, shared out by their stops,
``--workers`` processes per solve), then time :func:`wasteopt.simulation.simulate` over the whole
horizon with default settings. Only the simulation counts toward the goal; planning times are
reported separately. ``--compare-single-plan`` also routes and simulates the old rule (one plan
per stream for the representative day with the full ``--route-limit``, every point not in it
inserted into its tours) and adds a before/after table. Results go to ``--out`` (default
``benchmarks/results/simulation.md``), written whole through the shared header of
``machine_info`` (date, commit, machine, packages, load average, command).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from dataclasses import dataclass

from machine_info import ROOT, Run  # benchmarks/ is the script's folder; ROOT on the path

from wasteopt.facilities import FacilityPlan, FacilitySettings, plan_facilities
from wasteopt.generation import Demand, expected_rates_kg_per_day, generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.pipeline import representative_day
from wasteopt.routing.build import build_problem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.simulation import (
    OperatingPlan,
    SimulationResult,
    SimulationSettings,
    build_operating_plan,
    simulate,
)

OUT = ROOT / "benchmarks" / "results" / "simulation.md"


@dataclass(frozen=True, slots=True)
class Setup:
    """Everything both operating rules share: inputs, facility plan, routed day, settings."""

    scenario: Scenario
    matrix: TravelMatrix
    demand: Demand
    fplan: FacilityPlan | None
    day: int
    routing: RoutingSettings
    seed: int
    max_cycle_days: int


Outcome = tuple[OperatingPlan, SimulationResult, float, float]  # plan, result, route s, sim s


def single_plan(su: Setup) -> OperatingPlan:
    """The old rule: one plan per stream for the representative day, full time limit."""
    problems, plans = {}, {}
    for stream in su.scenario.stream_ids:
        if not any(
            v.stream == stream and v.role == "collection" for v in su.scenario.vehicle_types
        ):
            continue
        assignment = None if su.fplan is None else su.fplan.assignment_for(stream)
        problems[stream] = build_problem(
            su.scenario, su.demand, su.day, stream, su.matrix, assignment=assignment
        )
        plans[stream] = solve(problems[stream], su.routing)
    return OperatingPlan(problems=problems, plans=plans, facility_plan=su.fplan, day=su.day)


def plan_and_simulate(su: Setup, *, cycle_aware: bool) -> Outcome:
    """Route (cycle-aware planner or the old single plan), then simulate the horizon."""
    t = time.perf_counter()
    if cycle_aware:
        operating = build_operating_plan(
            su.scenario,
            su.demand,
            su.matrix,
            day=su.day,
            facility_plan=su.fplan,
            routing=su.routing,
            max_cycle_days=su.max_cycle_days,
        )
    else:
        operating = single_plan(su)
    t_route = time.perf_counter() - t
    for stream in operating.plans:
        for plan in operating.distinct_plans(stream):
            print(plan.summary(), flush=True)
    t = time.perf_counter()
    result = simulate(
        su.scenario,
        demand=su.demand,
        matrix=su.matrix,
        operating=operating,
        settings=SimulationSettings(),
        seed=su.seed,
    )
    t_sim = time.perf_counter() - t
    print(result.summary(), flush=True)
    return operating, result, t_route, t_sim


def totals_lines(result: SimulationResult) -> list[str]:
    lines = [
        "| stream | generated t | collected t | treated t | uncollected t at end "
        "| days with uncollected | overflow t | km | vehicle-h | overtime h | cost CNY |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for _, r in result.totals().iterrows():
        lines.append(
            f"| {r['stream']} | {r['generated_t']:,.0f} | {r['collected_t']:,.0f} | "
            f"{r['treated_t']:,.0f} | {r['uncollected_t_end']:,.1f} | {r['uncollected_days']} | "
            f"{r['overflowed_t']:,.0f} | {r['km']:,.0f} | {r['vehicle_h']:,.0f} | "
            f"{r['overtime_h']:,.0f} | {r['cost_cny']:,.0f} |"
        )
    return lines


def plans_lines(operating: OperatingPlan) -> list[str]:
    lines = [
        "Route plans per stream (one per distinct day of the stream's cycle):",
        "",
        "| stream | cycle days | plans | stops per plan | solve s (sum) | statuses |",
        "|---|---:|---:|---|---:|---|",
    ]
    for stream in operating.plans:
        plans = operating.distinct_plans(stream)
        sizes = sorted({len(p.stops) for p in operating.cycle_problems[stream].values()})
        statuses = ", ".join(sorted({p.status for p in plans}))
        lines.append(
            f"| {stream} | {operating.cycle_length(stream)} | {len(plans)} | "
            f"{min(sizes)}–{max(sizes)} | {sum(p.runtime_s for p in plans):.1f} | "
            f"{statuses} |"
        )
    return lines


def before_after_lines(before: Outcome, result: SimulationResult) -> list[str]:
    _, b_res, b_route, b_sim = before
    bt = b_res.totals().set_index("stream")
    at = result.totals().set_index("stream")
    lines = [
        "Before / after: the old single-plan rule (one plan per stream for the "
        "representative day with the full time limit, every point not in it inserted "
        "into its tours) against the cycle-aware plan, same demand and seed:",
        "",
        "| stream | days with uncollected (before → after) | worst day uncollected t "
        "| skipped stops | overtime h | vehicle-h | km | cost CNY |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for stream in at.index:
        b, a = bt.loc[stream], at.loc[stream]
        lines.append(
            f"| {stream} | {int(b['uncollected_days'])} → {int(a['uncollected_days'])} | "
            f"{b['uncollected_t_max']:,.1f} → {a['uncollected_t_max']:,.1f} | "
            f"{int(b['skipped_stops']):,} → {int(a['skipped_stops']):,} | "
            f"{b['overtime_h']:,.0f} → {a['overtime_h']:,.0f} | "
            f"{b['vehicle_h']:,.0f} → {a['vehicle_h']:,.0f} | "
            f"{b['km']:,.0f} → {a['km']:,.0f} | {b['cost_cny']:,.0f} → {a['cost_cny']:,.0f} |"
        )
    return [
        *lines,
        "",
        f"Before: routing {b_route:.1f} s, simulation {b_sim:.1f} s "
        f"({b_res.events_scheduled / b_sim:,.0f} events/s), status `{b_res.status}`.",
    ]


def site_lines(result: SimulationResult) -> list[str]:
    """The five busiest tipping bays, and the container pools of the tier-2 haul."""
    ft = result.facility_totals().sort_values("mean_wait_s", ascending=False).head(5)
    lines = [
        "Busiest tipping bays (mean wait over the year):",
        "",
        "| site | tips | mean wait s | p95 wait s | max wait s | bay utilisation |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for _, r in ft.iterrows():
        lines.append(
            f"| {r['site_id']} | {int(r['arrivals']):,} | {r['mean_wait_s']:.0f} | "
            f"{r['p95_wait_s']:.0f} | {r['max_wait_s']:.0f} | "
            f"{r['bay_utilisation']:.1%} |"
        )
    pools = result.facility_totals()
    pools = pools[pools["containers_hauled"] > 0]
    if len(pools):
        lines += [
            "",
            "Container pools (tier-2 haul, full out, empty back):",
            "",
            "| station | containers hauled | container-trip km | tipping blocked h |",
            "|---|---:|---:|---:|",
        ]
        for _, r in pools.iterrows():
            lines.append(
                f"| {r['site_id']} | {int(r['containers_hauled']):,} | "
                f"{r['container_km']:,.0f} | {r['tipping_blocked_h']:,.1f} |"
            )
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "jintan"))
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--route-limit", type=float, default=10.0)
    ap.add_argument("--engine", default="pyvrp", choices=["pyvrp", "ortools"])
    ap.add_argument("--no-facility-plan", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--max-cycle-days", type=int, default=28)
    ap.add_argument("--compare-single-plan", action="store_true")
    ap.add_argument("--out", default=str(OUT))
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = Run.start(__file__, argv)
    t = time.perf_counter()
    scenario = load_scenario(args.scenario)
    matrix = build_matrix(scenario)
    demand = generate(scenario, days=args.days, seed=args.seed)
    t_setup = time.perf_counter() - t
    fplan = None
    t = time.perf_counter()
    if not args.no_facility_plan:
        settings = FacilitySettings(mode="status_quo", time_limit_s=60, threads=1)
        fplan = plan_facilities(scenario, expected_rates_kg_per_day(scenario), matrix, settings)
        print(fplan.summary(), flush=True)
    t_fac = time.perf_counter() - t
    routing = RoutingSettings(
        engine=args.engine, time_limit_s=args.route_limit, seed=args.seed, workers=args.workers
    )
    su = Setup(
        scenario,
        matrix,
        demand,
        fplan,
        representative_day(demand),
        routing,
        args.seed,
        args.max_cycle_days,
    )
    before = plan_and_simulate(su, cycle_aware=False) if args.compare_single_plan else None
    operating, result, t_route, t_sim = plan_and_simulate(su, cycle_aware=True)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_solved = sum(len(operating.distinct_plans(s)) for s in operating.plans)
    ev = result.events_scheduled
    stops = int(result.vehicles.loc[result.vehicles["role"] == "collection", "stops"].sum())
    lines = [
        f"Generated in full by `benchmarks/simulation.py`; simulation on one core (single "
        f"process), {os.cpu_count()} logical CPUs on the machine.",
        "",
        f"- scenario: {scenario.id} ({len(scenario.points)} points, "
        f"{len(scenario.stations)} stations, {len(scenario.facilities)} plants), "
        f"representative day {su.day}, facility plan: "
        f"{fplan.status if fplan is not None else 'none (nearest open site)'}",
        "",
        "| step | wall time (s) |",
        "|---|---:|",
        f"| load + matrix + generate {args.days} days | {t_setup:.2f} |",
        f"| facility plan (HiGHS, status quo) | {t_fac:.2f} |",
        f"| routing ({args.engine}, {args.workers} worker(s)): {n_solved} cycle-day problems "
        f"of {len(operating.plans)} streams, {args.route_limit:g} s for all of them | "
        f"{t_route:.2f} |",
        f"| **simulate {args.days} days** (goal <= 60 s) | **{t_sim:.2f}** |",
        "",
        f"Simulation: {ev:,} SimPy events scheduled, **{ev / t_sim:,.0f} events/s**; "
        f"{stops:,} stop visits and {len(result.tips):,} bay visits; status "
        f"`{result.status}`; mass balance closes every day: {result.balance_closes} (largest "
        f"residual {result.balance['residual_kg'].abs().max():.2e} kg); peak resident memory "
        f"{peak_mib:,.0f} MiB.",
        "",
        *totals_lines(result),
        "",
        *plans_lines(operating),
        "",
        *([*before_after_lines(before, result), ""] if before is not None else []),
        *site_lines(result),
        "",
        "A load average above the CPU count (header) means other jobs competed.",
        "Notes: " + ("; ".join(result.notes) or "none"),
    ]
    run.write_md(args.out, "Benchmark: simulated year of operations (Jintan)", lines)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
