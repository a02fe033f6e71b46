"""The commands that plan and route: route, solve-instance, plan, simulate and run.

``simulate`` and ``run`` exit 1 (after writing their outputs) when a simulated stream collected
less than :data:`wasteopt.simulation.MIN_COLLECTED_SHARE` (99.5 %) of the waste due, printing
one line per such finding (variant, stream, share, tonnes, places, cost); less, e.g. a little
overflow or a few kg left on one day, is reported but exits 0."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import pandas as pd
from tqdm import tqdm

from wasteopt.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    bad_option,
    default_scenario,
    routing_settings,
    say,
)
from wasteopt.clock import Deadline
from wasteopt.facilities import plan_variants, policy_cost, read_orlib_cap, solve_cflp
from wasteopt.facilities.settings import FacilitySettings
from wasteopt.files import OutputFolder, write_frame
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.network import build_matrix
from wasteopt.pipeline import (
    FREE_MODE_NOTE,
    Horizon,
    facility_settings,
    plan_operations,
    route_planned_day,
    run_all,
)
from wasteopt.routing import instances
from wasteopt.routing.solve import solve
from wasteopt.scenario import apply_variant, load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.simulation import (
    MIN_COLLECTED_SHARE,
    ServiceFinding,
    SimulationSettings,
    simulate_replications,
)

__all__ = ["plan", "route", "run", "simulate", "solve_instance"]


def route(args: argparse.Namespace, deadline: Deadline) -> int:
    """Route one day per stream within the budget; write plans and sheets."""
    s = load_scenario(args.scenario, variant=args.variant)
    if args.stream and args.stream not in s.stream_ids:
        raise bad_option("--stream", args.stream, "unknown stream", " | ".join(s.stream_ids))
    streams = [args.stream] if args.stream else None
    with OutputFolder(args.out) as out:
        routed = route_planned_day(
            s,
            day=args.day,
            streams=streams,
            routing=routing_settings(args),
            facilities=facility_settings(s, mode=args.mode),
            deadline=deadline,
            out=out,
            progress=True,
        )
    plans = routed.plans
    say(routed.facility_plan.summary().splitlines()[0])
    if routed.facility_plan.mode == "free":
        say(f"note: {FREE_MODE_NOTE}")
    for plan in plans:
        say(plan.summary())
    say(f"wrote {args.out}")
    return EXIT_OK if all(p.check is not None and p.check.ok for p in plans) else EXIT_FAIL


def solve_instance(args: argparse.Namespace, deadline: Deadline) -> int:
    """Solve one benchmark instance within the budget; print one line."""
    if args.format == "orlib-cap":
        inst = read_orlib_cap(args.file, capacity=args.capacity)
        res = solve_cflp(inst, time_limit_s=deadline.remaining())
        say(res.summary())
        return EXIT_OK if res.status == "optimal" else EXIT_FAIL
    reader = {
        "vrplib": instances.read_vrplib,
        "solomon": instances.read_solomon,
        "kim": instances.read_kim,
    }[args.format]
    problem = reader(args.file)
    plan = solve(problem, routing_settings(args), deadline=deadline)
    if args.out:
        instances.write_vrplib_solution(plan, problem, args.out)
    say(plan.summary())
    return EXIT_OK if plan.check is not None and plan.check.ok else EXIT_FAIL


def plan(args: argparse.Namespace, deadline: Deadline) -> int:
    """Plan facilities for the base and variants, sharing the budget."""
    base = load_scenario(args.scenario or default_scenario())
    variants = args.variant if args.variant else [v.id for v in base.variants]
    for v in variants:  # unknown variants are input errors, found before any solve
        if v != "base":
            apply_variant(base, v)
    settings = facility_settings(
        base,
        FacilitySettings(time_limit_s=args.time_limit, allow_direct=not args.no_direct),
        mode=args.mode,
    )
    policy = None
    if args.out:
        with OutputFolder(args.out) as out:
            table = plan_variants(
                base, variants, settings, out_dir=out.path("x").parent, deadline=deadline
            )
            if args.policy_cost:
                policy = _policy_costs(base, variants, settings, deadline)
                write_frame(out.path("policy_cost.csv"), policy, bom=True)
    else:
        table = plan_variants(base, variants, settings, deadline=deadline)
        if args.policy_cost:
            policy = _policy_costs(base, variants, settings, deadline)
    with pd.option_context("display.width", 200, "display.max_columns", 40):
        say(table.T.to_string())
    say(f"mode: {settings.mode}" + (f" — {FREE_MODE_NOTE}" if settings.mode == "free" else ""))
    if args.out:
        say(f"wrote {args.out}")
    if policy is not None:
        with pd.option_context("display.width", 200, "display.max_columns", 40):
            say("standard policy (every open station meets the standard, streams separate):")
            say(policy.to_string(index=False))
    bad = [v for v, st in table["status"].items() if st not in ("optimal", "time_limit")]
    if bad:
        say(f"not planned to optimality or capacity short: {', '.join(map(str, bad))}")
    return EXIT_OK if not bad else EXIT_FAIL


def _policy_costs(
    base: Scenario, variants: Sequence[str], settings: FacilitySettings, deadline: Deadline
) -> pd.DataFrame:
    """One row per planned scenario: the plan's cost with and without the standard policy."""
    names = ["base", *(v for v in variants if v != "base")]
    rows = []
    for k, v in enumerate(names):
        sc = base if v == "base" else apply_variant(base, v)
        pc = policy_cost(
            sc,
            expected_rates_kg_per_day(sc),
            build_matrix(sc),
            settings,
            deadline=deadline.sub(deadline.share(1.0 / (len(names) - k))),
        )
        rows.append(
            {
                "variant": v,
                "cny_per_year_without": pc.without_policy.objective,
                "cny_per_year_with": pc.with_policy.objective,
                "policy_cost_cny_per_year": pc.delta_cny_per_year,
                "closed_by_policy": " ".join(pc.closed_by_policy),
                "opened_instead": " ".join(pc.opened_by_policy),
                "status_with": pc.with_policy.status,
            }
        )
    return pd.DataFrame(rows)


def simulate(args: argparse.Namespace, deadline: Deadline) -> int:
    """Plan operations within the budget, then simulate the replications."""
    if not 0.0 <= args.breakdown_probability <= 1.0:
        raise bad_option(
            "--breakdown-probability",
            str(args.breakdown_probability),
            "not a probability",
            "a number in [0, 1]",
        )
    scenario = load_scenario(args.scenario or default_scenario(), variant=args.variant)
    ops = plan_operations(
        scenario,
        Horizon(days=args.days, seed=args.seed),
        routing=routing_settings(args),
        facilities=facility_settings(scenario, mode=args.mode),
        deadline=deadline,
        echo=say,
        progress=True,
    )
    settings = SimulationSettings(breakdown_probability=args.breakdown_probability)
    with tqdm(
        total=args.days * args.replications, desc="simulating", unit="day", leave=False
    ) as bar:
        reps = simulate_replications(
            scenario,
            demand=ops.demand,
            matrix=ops.matrix,
            operating=ops.operating,
            replications=args.replications,
            settings=settings,
            seed=args.seed,
            day_progress=lambda _d: bar.update(),
        )
    with OutputFolder(args.out) as out:
        root = out.path("x").parent
        for k, r in enumerate(reps.results):
            r.write(root / f"rep{k}", fmt=args.format)
        reps.write(root, fmt=args.format)
    say(reps.summary() if args.replications > 1 else reps.results[0].summary())
    say(f"wrote {args.out}")
    short = [
        (f" (replication {k})" if args.replications > 1 else "", f)
        for k, r in enumerate(reps.results)
        for f in r.service_shortfalls()
    ]
    _say_shortfalls(short)
    return EXIT_OK if reps.status != "balance_error" and not short else EXIT_FAIL


def _say_shortfalls(findings: Sequence[tuple[str, ServiceFinding]]) -> None:
    """One line per stream below the service level (the reason for exit code 1), each
    after its label (e.g. the replication)."""
    for label, f in findings:
        say(f"service level not met{label}: {f.line()}")
    if findings:
        say(
            f"{len(findings)} stream(s) collected less than {MIN_COLLECTED_SHARE:.1%} of the "
            "waste due: exit 1 (details in service.csv)"
        )


def run(args: argparse.Namespace, deadline: Deadline) -> int:
    """Every stage for the base and variants (:func:`wasteopt.pipeline.run_all`)."""
    if args.day is not None and args.day >= args.days:
        raise bad_option(
            "--day", str(args.day), "outside the horizon", f"a day index below --days {args.days}"
        )
    summary = run_all(
        args.scenario or default_scenario(),
        out_dir=args.out,
        variants=args.variant,
        horizon=Horizon(days=args.days, day=args.day, seed=args.seed),
        routing=routing_settings(args),
        mode=args.mode,
        deadline=deadline,
        echo=say,
        progress=True,
    )
    _say_shortfalls([("", f) for f in summary.service_shortfalls])
    return EXIT_OK if summary.ok and summary.service_ok else EXIT_FAIL
