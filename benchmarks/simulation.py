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
inserted into its tours) and adds a before/after table. Results go to
``benchmarks/results/simulation.md`` with the date and the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import wasteopt  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

from wasteopt.facilities import FacilitySettings, plan_facilities  # noqa: E402
from wasteopt.generation import expected_rates_kg_per_day, generate  # noqa: E402
from wasteopt.network import build_matrix  # noqa: E402
from wasteopt.pipeline import representative_day  # noqa: E402
from wasteopt.routing.build import build_problem  # noqa: E402
from wasteopt.routing.settings import RoutingSettings  # noqa: E402
from wasteopt.routing.solve import solve  # noqa: E402
from wasteopt.scenario import load_scenario  # noqa: E402
from wasteopt.simulation import (  # noqa: E402
    OperatingPlan,
    SimulationSettings,
    build_operating_plan,
    simulate,
)

OUT = ROOT / "benchmarks" / "results" / "simulation.md"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    args = ap.parse_args(argv)

    load_before = os.getloadavg()[0]
    routing = RoutingSettings(
        engine=args.engine, time_limit_s=args.route_limit, seed=args.seed, workers=args.workers
    )
    t = time.perf_counter()
    scenario = load_scenario(args.scenario)
    matrix = build_matrix(scenario)
    demand = generate(scenario, days=args.days, seed=args.seed)
    t_setup = time.perf_counter() - t

    fplan = None
    t = time.perf_counter()
    if not args.no_facility_plan:
        fplan = plan_facilities(
            scenario,
            expected_rates_kg_per_day(scenario),
            matrix,
            FacilitySettings(mode="status_quo", time_limit_s=60, threads=1),
        )
        print(fplan.summary(), flush=True)
    t_fac = time.perf_counter() - t

    day = representative_day(demand)
    settings = SimulationSettings()

    def single_plan() -> OperatingPlan:
        """The old rule: one plan per stream for the representative day, full time limit."""
        problems, plans = {}, {}
        for stream in scenario.stream_ids:
            if not any(
                v.stream == stream and v.role == "collection" for v in scenario.vehicle_types
            ):
                continue
            problems[stream] = build_problem(
                scenario,
                demand,
                day,
                stream,
                matrix,
                assignment=None if fplan is None else fplan.assignment_for(stream),
            )
            plans[stream] = solve(problems[stream], routing)
        return OperatingPlan(problems=problems, plans=plans, facility_plan=fplan, day=day)

    def plan_and_simulate(cycle_aware: bool):
        t = time.perf_counter()
        if cycle_aware:
            operating = build_operating_plan(
                scenario,
                demand,
                matrix,
                day=day,
                facility_plan=fplan,
                routing=routing,
                max_cycle_days=args.max_cycle_days,
            )
        else:
            operating = single_plan()
        t_route = time.perf_counter() - t
        for stream in operating.plans:
            for plan in operating.distinct_plans(stream):
                print(plan.summary(), flush=True)
        t = time.perf_counter()
        result = simulate(
            scenario,
            demand=demand,
            matrix=matrix,
            operating=operating,
            settings=settings,
            seed=args.seed,
        )
        t_sim = time.perf_counter() - t
        print(result.summary(), flush=True)
        return operating, result, t_route, t_sim

    before = None
    if args.compare_single_plan:
        before = plan_and_simulate(cycle_aware=False)
    operating, result, t_route, t_sim = plan_and_simulate(cycle_aware=True)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_after = os.getloadavg()[0]

    n_solved = sum(len(operating.distinct_plans(s)) for s in operating.plans)
    ev = result.events_scheduled
    tot = result.totals()
    stops = int(result.vehicles.loc[result.vehicles["role"] == "collection", "stops"].sum())
    tips = len(result.tips)
    lines = [
        "# Benchmark: simulated year of operations (Jintan)",
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `benchmarks/simulation.py "
        f"--days {args.days} --route-limit {args.route_limit:g} --engine {args.engine} "
        f"--workers {args.workers} --max-cycle-days {args.max_cycle_days}"
        f"{' --no-facility-plan' if args.no_facility_plan else ''}"
        f"{' --compare-single-plan' if args.compare_single_plan else ''}`.",
        "",
        f"- machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} logical CPUs",
        f"- processor: {platform.processor() or 'unknown'}",
        f"- Python {platform.python_version()}; simulation on one core (single process)",
        f"- scenario: {scenario.id} ({len(scenario.points)} points, "
        f"{len(scenario.stations)} stations, {len(scenario.facilities)} plants), "
        f"representative day {day}, facility plan: "
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
        f"{stops:,} stop visits and {tips:,} bay visits; status `{result.status}`; "
        f"mass balance closes every day: {result.balance_closes} (largest residual "
        f"{result.balance['residual_kg'].abs().max():.2e} kg); peak resident memory "
        f"{peak_mib:,.0f} MiB.",
        "",
        "| stream | generated t | collected t | treated t | uncollected t at end "
        "| days with uncollected | overflow t | km | vehicle-h | overtime h | cost CNY |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for _, r in tot.iterrows():
        lines.append(
            f"| {r['stream']} | {r['generated_t']:,.0f} | {r['collected_t']:,.0f} | "
            f"{r['treated_t']:,.0f} | {r['uncollected_t_end']:,.1f} | {r['uncollected_days']} | "
            f"{r['overflowed_t']:,.0f} | {r['km']:,.0f} | {r['vehicle_h']:,.0f} | "
            f"{r['overtime_h']:,.0f} | {r['cost_cny']:,.0f} |"
        )
    lines += [
        "",
        "Route plans per stream (one per distinct day of the stream's cycle):",
        "",
        "| stream | cycle days | plans | stops per plan | solve s (sum) | statuses |",
        "|---|---:|---:|---|---:|---|",
    ]
    for stream in operating.plans:
        plans = operating.distinct_plans(stream)
        stops = sorted({len(p.stops) for p in operating.cycle_problems[stream].values()})
        statuses = ", ".join(sorted({p.status for p in plans}))
        lines.append(
            f"| {stream} | {operating.cycle_length(stream)} | {len(plans)} | "
            f"{min(stops)}–{max(stops)} | {sum(p.runtime_s for p in plans):.1f} | "
            f"{statuses} |"
        )
    if before is not None:
        _, b_res, b_route, b_sim = before
        bt = b_res.totals().set_index("stream")
        at = tot.set_index("stream")
        lines += [
            "",
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
        lines += [
            "",
            f"Before: routing {b_route:.1f} s, simulation {b_sim:.1f} s "
            f"({b_res.events_scheduled / b_sim:,.0f} events/s), status `{b_res.status}`.",
        ]
    ft = result.facility_totals().sort_values("mean_wait_s", ascending=False).head(5)
    lines += [
        "",
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
    lines += [
        "",
        f"1-minute load average {load_before:.1f} before and {load_after:.1f} after the run "
        f"({os.cpu_count()} CPUs): above the CPU count means other jobs competed.",
        "Notes: " + ("; ".join(result.notes) or "none"),
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
