"""The commands that plan and route: route, solve-instance, plan, simulate and run.

Each exits 1 (after writing its outputs) when its result fell short of service, naming every
shortfall on stderr (:func:`wasteopt.cli.common.fell_short`): ``route`` a plan with unserved
stops or other checker violations (stream, stops, kinds); ``solve-instance`` an instance not
solved clean or to optimality; ``plan`` a variant short of capacity (site, stream, t/day) or
without a plan; ``simulate`` and ``run`` a simulated stream below the service level (less than
:data:`wasteopt.simulation.MIN_COLLECTED_SHARE`, 99.5 %, of the waste due collected, or more
than :data:`wasteopt.simulation.MAX_OVERFLOW_SHARE`, 0.5 %, of it overflowed: variant, stream,
share, tonnes, places, cost) or a mass balance that does not close, and ``run`` also a route
plan that is not checker-clean. Less, e.g. a little overflow or waste carried over a day and
collected later, is reported (status ``within_tolerance``) but exits 0. So is a plan that is
checker-clean but not robust in the simulated days (unplanned unload trips, trips over
``max_trips`` or overtime on more than 5 % of a stream's collection vehicle-days,
:mod:`wasteopt.simulation.robustness`): ``run`` says which of the two holds for each variant
(a ``plans:`` line, ``plan_verdict`` in ``kpi.csv``), both commands write the breaches to
``sim_robustness.csv``, and it exits 0 because the waste was still collected.

Waste the 不分类不收运 rule refuses (``[planning] refuse_unsorted``: points not ``compliant``
are not collected) is a deliberate choice, not a shortfall: ``route``, ``simulate`` and ``run``
name it on stderr after ``refused by policy:`` (t/day per stream, points, towns; ``run`` also
writes ``refused.csv`` and the manifest's ``refused_by_policy_t_per_day``) and their exit code
stays what the service level makes it (0 when nothing else fell short)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from wasteopt.cli.common import (
    bad_option,
    default_scenario,
    fell_short,
    refused_by_policy,
    routing_settings,
    say,
)
from wasteopt.clock import Deadline
from wasteopt.compute import CheckpointStore, executor_for
from wasteopt.facilities import plan_variants, policy_cost, read_orlib_cap, solve_cflp
from wasteopt.facilities.compare import plan_row
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
from wasteopt.reporting.ledger import write_ledger_xlsx
from wasteopt.reporting.target_section import refusal_lines
from wasteopt.routing import instances
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.territories import Runner, solve_territories
from wasteopt.scenario import apply_variant, load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.simulation import (
    MAX_OVERFLOW_SHARE,
    MIN_COLLECTED_SHARE,
    ServiceFinding,
    SimulationSettings,
    simulate_replications,
)

__all__ = ["plan", "route", "run", "simulate", "solve_instance"]


_CELL_CHARS = 60


def _for_terminal(table: pd.DataFrame) -> pd.DataFrame:
    """The table with long text cells (a city's 89 open station ids) cut to
    :data:`_CELL_CHARS` and a count, so every column stays readable; files keep them whole."""

    def cut(v: object) -> object:
        if not isinstance(v, str) or len(v) <= _CELL_CHARS:
            return v
        items = len(v.split("; ")) if "; " in v else len(v.split())
        return f"{v[: _CELL_CHARS - 12].rsplit(' ', 1)[0]} … ({items} items)"

    return table.map(cut)


def route(args: argparse.Namespace, deadline: Deadline) -> int:
    """Route one day per stream within the budget; write plans and sheets."""
    s = load_scenario(args.scenario, variant=args.variant)
    if args.stream and args.stream not in s.stream_ids:
        raise bad_option("--stream", args.stream, "unknown stream", " | ".join(s.stream_ids))
    streams = [args.stream] if args.stream else None
    routing = routing_settings(args)
    store = CheckpointStore(Path(args.store) if args.store else Path(args.out) / ".territory-store")
    with (
        executor_for(args.scheduler, routing.workers, start_method="fork") as ex,
        OutputFolder(args.out) as out,
    ):
        routed = route_planned_day(
            s,
            day=args.day,
            streams=streams,
            routing=routing,
            facilities=facility_settings(s, mode=args.mode),
            deadline=deadline,
            out=out,
            progress=True,
            runner=Runner(executor=ex, store=store, progress=True),
            crs=args.crs,
        )
    plans = routed.plans
    say(routed.facility_plan.summary().splitlines()[0])
    if routed.facility_plan.mode == "free":
        say(f"note: {FREE_MODE_NOTE}")
    for plan in plans:
        say(plan.summary())
    say(f"wrote {args.out}")
    refused_by_policy(refusal_lines(s.variant, s))
    # The catchments come from this facility plan: a station it overloads is a shortfall of
    # the routed day too (simulate and run see it as overflow; route has no simulation).
    fp = routed.facility_plan
    catchments = _facility_short(s.variant or "base", pd.Series(plan_row(fp)))
    if catchments and fp.mip_gap > 1e-4:  # the time limit may be why, not the capacities
        catchments += (
            f" (not proven optimal: MILP gap {fp.mip_gap:.1%}; a longer --time-limit may find "
            "catchments that fit)"
        )
    return fell_short(
        ([f"catchments of route day {args.day}: {catchments}"] if catchments else [])
        + [_plan_short(p, f"route {p.stream} day {args.day}") for p in plans if not _clean(p)]
    )


def _clean(plan: RoutePlan) -> bool:
    return plan.check is not None and plan.check.ok


def _missing_hours(plan: RoutePlan) -> str:
    """An estimate of the vehicle-hours the unserved stops lack: the plan's own vehicle-hours
    per served stop times the unserved stops (the fleet is short by about that much)."""
    t = plan.check.totals if plan.check is not None else None
    if t is None or not t.stops_served:
        return ""
    per_stop = t.duration_h / t.stops_served
    return (
        f", about {per_stop * len(plan.unserved):.1f} vehicle-hours missing "
        f"(at this plan's {60 * per_stop:.1f} min per served stop)"
    )


def _plan_short(plan: RoutePlan, label: str, named: int = 5) -> str:
    """What a route plan that is not checker-clean fell short of: its unserved stops (the
    first ``named``) and the other violations by kind."""
    if plan.check is None:
        return f"{label}: status {plan.status}, not checked"
    parts = []
    if plan.unserved:
        more = f" and {len(plan.unserved) - named} more" if len(plan.unserved) > named else ""
        parts.append(
            f"{len(plan.unserved)} unserved stop(s) ({', '.join(plan.unserved[:named])}{more})"
            + _missing_hours(plan)
        )
    kinds = {k: n for k, n in sorted(plan.check.kinds().items()) if k != "unserved"}
    if kinds:
        parts.append("violations " + ", ".join(f"{k}={n}" for k, n in kinds.items()))
    return f"{label}: status {plan.status}, " + "; ".join(parts or ["checker not clean"])


def solve_instance(args: argparse.Namespace, deadline: Deadline) -> int:
    """Solve one benchmark instance within the budget; print one line."""
    if args.format == "orlib-cap":
        inst = read_orlib_cap(args.file, capacity=args.capacity)
        res = solve_cflp(inst, time_limit_s=deadline.remaining())
        say(res.summary())
        short = [] if res.status == "optimal" else [f"{args.file}: {res.status}, not optimal"]
        return fell_short(short)
    reader = {
        "vrplib": instances.read_vrplib,
        "solomon": instances.read_solomon,
        "kim": instances.read_kim,
    }[args.format]
    problem = reader(args.file)
    plan = solve_territories(problem, routing_settings(args), deadline=deadline)
    if args.out:
        instances.write_vrplib_solution(plan, problem, args.out)
    say(plan.summary())
    return fell_short([] if _clean(plan) else [_plan_short(plan, args.file)])


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
        say(_for_terminal(table).T.to_string())
    say(f"mode: {settings.mode}" + (f" — {FREE_MODE_NOTE}" if settings.mode == "free" else ""))
    if args.out:
        say(f"wrote {args.out}")
    if policy is not None:
        with pd.option_context("display.width", 200, "display.max_columns", 40):
            say("standard policy (every open station meets the standard, streams separate):")
            say(policy.to_string(index=False))
    short = [_facility_short(str(v), r) for v, r in table.iterrows()]
    return fell_short([m for m in short if m])


def _facility_short(variant: str, row: pd.Series) -> str | None:
    """What a variant's facility plan fell short of: capacity (each site, stream and t/day),
    or no plan at all; None for a plan that is optimal or only not proven so (time limit)."""
    if row["status"] in ("optimal", "time_limit"):
        return None
    if row["status"] == "capacity_short":
        return f"plan {variant}: capacity short at {row['shortfalls']}"
    return f"plan {variant}: {row['status']}, no facility plan (-v shows the solver's messages)"


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
        total=args.days * args.replications,
        desc="simulating",
        unit="day",
        leave=False,
        disable=None,  # a terminal only: piped output stays plain lines
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
            write_ledger_xlsx(r, root / f"rep{k}" / "ledger.xlsx", scenario=scenario)
        reps.write(root, fmt=args.format)
    say(reps.summary() if args.replications > 1 else reps.results[0].summary())
    say(f"wrote {args.out}")
    refused_by_policy(refusal_lines(scenario.variant, scenario))
    short = [
        (f" (replication {k})" if args.replications > 1 else "", f)
        for k, r in enumerate(reps.results)
        for f in r.service_shortfalls()
    ]
    unbalanced = [
        f"replication {k}: {r.status_detail}"
        for k, r in enumerate(reps.results)
        if not r.balance_closes
    ]
    return fell_short(_service_lines(short) + unbalanced)


def _service_lines(findings: Sequence[tuple[str, ServiceFinding]]) -> list[str]:
    """One line per stream below the service level (a reason for exit code 1), each after
    its label (e.g. the replication)."""
    level = (
        f"collected at least {MIN_COLLECTED_SHARE:.1%} of the waste due and overflowed at most "
        f"{MAX_OVERFLOW_SHARE:.1%} of it; details in service.csv"
    )
    return [
        f"service level not met{label} ({f.short_of}): {f.line()} [level: {level}]"
        for label, f in findings
    ]


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
        crs=args.crs,
    )
    refused_by_policy(summary.refused_by_policy)
    short = _service_lines([("", f) for f in summary.service_shortfalls])
    if not summary.ok:
        short.append(
            "a route plan is not checker-clean or a mass balance does not close "
            f"(routes_kpi.csv and each variant's simulation/ in {args.out})"
        )
    return fell_short(short)
