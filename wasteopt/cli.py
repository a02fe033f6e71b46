"""Command-line interface: ``wasteopt <command> ...``; ``main(argv) -> int`` is the entry point.

The CLI owns the terminal (messages, progress bars, exit codes); the library only logs.
Exit codes: 0 success; 1 a result that is not acceptable (e.g. a plan that fails its check);
2 bad input (every problem listed, nothing written); 3 a solver is unavailable; 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from wasteopt import __version__
from wasteopt.errors import InputError, SolverUnavailable, WasteoptError

__all__ = ["main"]

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_SOLVER, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

DEFAULT_SCENARIO = "scenarios/jintan"


def _default_scenario() -> str:
    """The shipped Jintan scenario: next to the package in a source checkout, else the cwd."""
    here = Path(__file__).resolve().parent.parent / DEFAULT_SCENARIO
    return str(here) if here.is_dir() else DEFAULT_SCENARIO


# --------------------------------------------------------------------------------------------
# argument parsing


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wasteopt",
        description="Plan the logistics of sorted municipal waste: generation, facilities, "
        "collection routes, simulation and reports.",
    )
    p.add_argument("--version", action="version", version=f"wasteopt {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    v = sub.add_parser("validate", help="check a scenario folder and report every problem")
    v.add_argument("scenario", help="scenario folder")
    v.add_argument("--variant", help="also report the scenario with this variant applied")
    v.set_defaults(func=_cmd_validate)

    g = sub.add_parser("generate", help="generate daily sorted-waste quantities per point")
    g.add_argument("scenario", help="scenario folder")
    g.add_argument("--days", type=_positive_int, required=True, help="number of days")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--start", help="first day YYYY-MM-DD (default: the scenario's start_date)")
    g.add_argument("--variant", help="apply this variant first")
    g.add_argument("--out", required=True, help="output file: .csv or .parquet")
    g.set_defaults(func=_cmd_generate)

    r = sub.add_parser("route", help="route one day's collection, per stream, and check the plan")
    r.add_argument("scenario", help="scenario folder")
    r.add_argument("--day", type=_nonneg_int, default=0, help="day index from start_date")
    r.add_argument("--stream", help="only this stream (default: every stream due that day)")
    r.add_argument("--variant", help="apply this variant first")
    _solver_options(r)
    r.add_argument("--out", required=True, help="output folder")
    r.set_defaults(func=_cmd_route)

    s = sub.add_parser("solve-instance", help="solve one benchmark instance and print one line")
    s.add_argument("file", help="instance file")
    s.add_argument(
        "--format",
        required=True,
        choices=("vrplib", "solomon", "kim", "orlib-cap"),
        help="instance format",
    )
    s.add_argument("--capacity", type=float, help="orlib-cap: capacity value for capa/capb/capc")
    _solver_options(s)
    s.add_argument("--out", help="write the solution (.sol, VRPLIB form) to this file")
    s.set_defaults(func=_cmd_solve_instance)

    f = sub.add_parser("plan", help="facility plan: which stations stay, close or open")
    f.add_argument("scenario", nargs="?", default=None, help="scenario folder (default: Jintan)")
    f.add_argument(
        "--variant",
        action="append",
        help="variant to plan besides the base (repeatable; default: every variant)",
    )
    f.add_argument(
        "--mode",
        choices=("free", "status_quo"),
        default="free",
        help="free: the optimiser may close existing stations and build candidates "
        "(forced decisions of a variant always hold); status_quo: only forced "
        "decisions change today's network (default free)",
    )
    f.add_argument(
        "--no-direct",
        action="store_true",
        help="every point unloads at a station where one accepts its stream",
    )
    f.add_argument("--time-limit", type=float, default=60.0, help="seconds per plan (default 60)")
    f.add_argument("--out", help="output folder for the plan tables")
    f.set_defaults(func=_cmd_plan)

    m = sub.add_parser("simulate", help="simulate days of operations (SimPy) with replications")
    m.add_argument("scenario", nargs="?", default=None, help="scenario folder (default: Jintan)")
    m.add_argument("--variant", help="apply this variant first")
    m.add_argument("--days", type=_positive_int, default=28, help="simulated days (default 28)")
    m.add_argument(
        "--replications", type=_positive_int, default=1, help="independent replications (default 1)"
    )
    m.add_argument(
        "--breakdown-probability",
        type=float,
        default=0.0,
        help="chance a vehicle is unavailable for a day (default 0)",
    )
    m.add_argument("--format", choices=("csv", "parquet"), default="csv")
    _solver_options(m)
    m.add_argument("--out", required=True, help="output folder")
    m.set_defaults(func=_cmd_simulate)

    c = sub.add_parser("compare", help="compare variants over seeded replications (sweep)")
    c.add_argument("scenario", nargs="?", default=None, help="scenario folder (default: Jintan)")
    c.add_argument(
        "--variants",
        default=None,
        help="comma-separated variant ids (default: base and every variant)",
    )
    c.add_argument(
        "--seeds",
        type=_positive_int,
        default=3,
        help="replications per variant, seeds 0..N-1 (default 3)",
    )
    c.add_argument("--days", type=_positive_int, default=28, help="simulated days (default 28)")
    c.add_argument(
        "--time-limit", type=float, default=5.0, help="seconds per routing solve (default 5)"
    )
    c.add_argument("--scheduler", help="Dask scheduler address tcp://HOST:PORT (default: local)")
    c.add_argument(
        "--workers",
        type=_positive_int,
        default=min(2, os.cpu_count() or 1),
        help="local worker processes (default 2)",
    )
    c.add_argument(
        "--store",
        help="result store folder (default OUT/.sweep-store); reruns reuse every finished run",
    )
    c.add_argument("--out", required=True, help="output folder")
    c.set_defaults(func=_cmd_compare)

    run = sub.add_parser("run", help="run every stage on a scenario and write an output folder")
    run.add_argument("scenario", nargs="?", default=None, help="scenario folder (default: Jintan)")
    run.add_argument(
        "--variant",
        action="append",
        help="variant to run besides the base (repeatable; default: every variant; "
        "'--variant base' runs the base only)",
    )
    run.add_argument(
        "--days",
        type=_positive_int,
        default=28,
        help="generated and simulated horizon in days (default 28)",
    )
    run.add_argument("--day", type=_nonneg_int, help="day to route (default: representative)")
    _solver_options(run, default_time_limit=10.0)
    run.add_argument("--out", default="output", help="output folder (default ./output)")
    run.set_defaults(func=_cmd_run)
    return p


def _solver_options(p: argparse.ArgumentParser, *, default_time_limit: float = 10.0) -> None:
    p.add_argument("--engine", choices=("pyvrp", "ortools"), default="pyvrp")
    p.add_argument(
        "--time-limit",
        type=float,
        default=default_time_limit,
        help=f"seconds per solve (default {default_time_limit:g})",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=min(2, os.cpu_count() or 1),
        help="parallel solver runs (default: 2 cores where available)",
    )


def _positive_int(text: str) -> int:
    n = int(text)
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return n


def _nonneg_int(text: str) -> int:
    n = int(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return n


# --------------------------------------------------------------------------------------------
# commands


def _say(text: str = "") -> None:
    print(text, flush=True)


def _cmd_validate(args: argparse.Namespace) -> int:
    from wasteopt.scenario import load_scenario

    s = load_scenario(args.scenario, variant=args.variant)
    if s.network.matrix_file:  # a user matrix is part of the input: check every pair now
        from wasteopt.network import build_matrix

        build_matrix(s)
    stations = sum(1 for st in s.stations if st.is_open)
    _say(
        f"OK {s.id} ({s.name}) variant={s.variant}: {len(s.points)} points, "
        f"{len(s.streams)} streams, {len(s.depots)} depots, {stations}/{len(s.stations)} "
        f"stations open, {len(s.facilities)} facilities, {len(s.vehicle_types)} vehicle types, "
        f"{sum(v.count for v in s.vehicle_types)} vehicles, "
        f"variants: {', '.join(v.id for v in s.variants) or 'none'}"
    )
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace) -> int:
    import datetime as dt

    from wasteopt.errors import Problem
    from wasteopt.generation import generate
    from wasteopt.scenario import load_scenario

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(
            [
                Problem(
                    file=str(out),
                    field="--out",
                    value=out.suffix,
                    message="unsupported format",
                    expected=".csv or .parquet",
                )
            ]
        )
    start = None
    if args.start:
        try:
            start = dt.date.fromisoformat(args.start)
        except ValueError:
            raise InputError(
                [
                    Problem(
                        file="command line",
                        field="--start",
                        value=args.start,
                        message="not a date",
                        expected="YYYY-MM-DD",
                    )
                ]
            ) from None
    s = load_scenario(args.scenario, variant=args.variant)
    demand = generate(s, days=args.days, seed=args.seed, start=start)
    demand.write(out)
    totals = demand.totals_t_per_day()
    _say(
        f"wrote {out}: {len(demand.dates)} days x {len(demand.point_ids)} points x "
        f"{len(demand.stream_ids)} streams; mean {totals.sum(axis=1).mean():.1f} t/day"
    )
    return EXIT_OK


def _cmd_route(args: argparse.Namespace) -> int:
    from wasteopt.files import OutputFolder
    from wasteopt.pipeline import route_day
    from wasteopt.scenario import load_scenario

    s = load_scenario(args.scenario, variant=args.variant)
    if args.stream and args.stream not in s.stream_ids:
        from wasteopt.errors import Problem

        raise InputError(
            [
                Problem(
                    file="command line",
                    field="--stream",
                    value=args.stream,
                    message="unknown stream",
                    expected=" | ".join(s.stream_ids),
                )
            ]
        )
    streams = [args.stream] if args.stream else None
    with OutputFolder(args.out) as out:
        plans = route_day(
            s,
            day=args.day,
            streams=streams,
            engine=args.engine,
            time_limit_s=args.time_limit,
            seed=args.seed,
            workers=args.workers,
            out=out,
            progress=True,
        )
    for plan in plans:
        _say(plan.summary())
    _say(f"wrote {args.out}")
    return EXIT_OK if all(p.check is not None and p.check.ok for p in plans) else EXIT_FAIL


def _cmd_solve_instance(args: argparse.Namespace) -> int:
    if args.format == "orlib-cap":
        from wasteopt.facilities.instances import read_orlib_cap, solve_cflp

        inst = read_orlib_cap(args.file, capacity=args.capacity)
        res = solve_cflp(inst, time_limit_s=args.time_limit)
        _say(res.summary())
        return EXIT_OK if res.status == "optimal" else EXIT_FAIL

    from wasteopt.routing import instances
    from wasteopt.routing.solve import solve

    reader = {
        "vrplib": instances.read_vrplib,
        "solomon": instances.read_solomon,
        "kim": instances.read_kim,
    }[args.format]
    problem = reader(args.file)
    plan = solve(
        problem,
        engine=args.engine,
        time_limit_s=args.time_limit,
        seed=args.seed,
        workers=args.workers,
    )
    if args.out:
        instances.write_vrplib_solution(plan, problem, args.out)
    _say(plan.summary())
    return EXIT_OK if plan.check is not None and plan.check.ok else EXIT_FAIL


def _cmd_plan(args: argparse.Namespace) -> int:
    import pandas as pd

    from wasteopt.facilities.compare import plan_variants
    from wasteopt.files import OutputFolder
    from wasteopt.scenario import apply_variant, load_scenario

    scenario = args.scenario or _default_scenario()
    base = load_scenario(scenario)
    variants = args.variant if args.variant else [v.id for v in base.variants]
    for v in variants:  # unknown variants are input errors, found before any solve
        if v != "base":
            apply_variant(base, v)
    options = dict(mode=args.mode, time_limit_s=args.time_limit, allow_direct=not args.no_direct)
    if args.out:
        with OutputFolder(args.out) as out:
            table = plan_variants(scenario, variants, out_dir=out.path("x").parent, **options)
    else:
        table = plan_variants(scenario, variants, **options)
    with pd.option_context("display.width", 200, "display.max_columns", 40):
        _say(table.T.to_string())
    if args.out:
        _say(f"wrote {args.out}")
    bad = [v for v, st in table["status"].items() if st not in ("optimal", "time_limit")]
    if bad:
        _say(f"not planned to optimality or capacity short: {', '.join(map(str, bad))}")
    return EXIT_OK if not bad else EXIT_FAIL


def _cmd_simulate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from wasteopt.files import OutputFolder
    from wasteopt.pipeline import plan_operations
    from wasteopt.scenario import load_scenario
    from wasteopt.simulation import SimulationSettings, simulate_replications

    if not 0.0 <= args.breakdown_probability <= 1.0:
        from wasteopt.errors import Problem

        raise InputError(
            [
                Problem(
                    file="command line",
                    field="--breakdown-probability",
                    value=str(args.breakdown_probability),
                    message="not a probability",
                    expected="a number in [0, 1]",
                )
            ]
        )
    scenario = load_scenario(args.scenario or _default_scenario(), variant=args.variant)
    ops = plan_operations(
        scenario,
        days=args.days,
        engine=args.engine,
        time_limit_s=args.time_limit,
        seed=args.seed,
        workers=args.workers,
        echo=_say,
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
    _say(reps.summary() if args.replications > 1 else reps.results[0].summary())
    _say(f"wrote {args.out}")
    return EXIT_OK if reps.status != "balance_error" else EXIT_FAIL


def _cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd
    from tqdm import tqdm

    from wasteopt.files import OutputFolder, write_frame
    from wasteopt.replications import compare_results, format_comparison
    from wasteopt.scenario import apply_variant, load_scenario
    from wasteopt.sweep import SweepError, executor_for, run_sweep, variant_seed_tasks

    scenario = str(Path(args.scenario or _default_scenario()).resolve())
    base = load_scenario(scenario)
    wanted = args.variants.split(",") if args.variants else [v.id for v in base.variants]
    variants = ["base", *[v for v in wanted if v and v != "base"]]
    for v in variants[1:]:  # unknown variants: exit 2 before any work
        apply_variant(base, v)
    tasks = variant_seed_tasks(
        "wasteopt.pipeline:replication_kpis",
        scenario,
        variants=variants,
        seeds=range(args.seeds),
        days=args.days,
        time_limit_s=args.time_limit,
    )
    store = Path(args.store) if args.store else Path(args.out) / ".sweep-store"
    with (
        tqdm(total=len(tasks), desc="runs", unit="run", leave=False) as bar,
        executor_for(args.scheduler, args.workers) as ex,
    ):

        def tick(done: int, total: int, task, state: str) -> None:
            bar.update(done - bar.n)

        res = run_sweep(tasks, store=store, executor=ex, progress=tick)
    _say(res.summary())
    frames = {
        v: pd.DataFrame(
            [
                {"seed": t.kwargs["seed"], **res.results[t.key]}
                for t in tasks
                if t.kwargs["variant"] == v and t.key in res.results
            ]
        )
        for v in variants
    }
    table = compare_results(frames)
    from wasteopt.reporting.plots import plot_comparison, save_figure

    shown = [
        k
        for k in (
            "ops_cost_cny_per_t",
            "truck_km_per_day",
            "co2_kg_per_day",
            "station_utilisation_max",
            "wait_min_mean",
            "uncollected_t_end",
        )
        if k in set(table["kpi"])
    ]
    with OutputFolder(args.out) as out:
        write_frame(out.path("compare.csv"), table, bom=True)
        save_figure(
            plot_comparison(table, kpis=shown, title="mean and 95 % CI over seeds"),
            out.path("compare"),
        )
        write_frame(
            out.path("runs.csv"),
            pd.concat([f.assign(variant=v) for v, f in frames.items()], ignore_index=True),
            bom=True,
        )
    with pd.option_context("display.width", 200, "display.max_columns", 40):
        _say(format_comparison(table).to_string())
    _say(f"wrote {args.out}")
    if res.failures:
        print(f"error: {SweepError(res)}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from wasteopt.pipeline import run_all

    if args.day is not None and args.day >= args.days:
        from wasteopt.errors import Problem

        raise InputError(
            [
                Problem(
                    file="command line",
                    field="--day",
                    value=str(args.day),
                    message="outside the horizon",
                    expected=f"a day index below --days {args.days}",
                )
            ]
        )
    scenario = args.scenario or _default_scenario()
    summary = run_all(
        scenario,
        out_dir=args.out,
        variants=args.variant,
        days=args.days,
        day=args.day,
        engine=args.engine,
        time_limit_s=args.time_limit,
        seed=args.seed,
        workers=args.workers,
        echo=_say,
        progress=True,
    )
    return EXIT_OK if summary.ok else EXIT_FAIL


# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except SolverUnavailable as e:
        print(f"error: solver unavailable: {e}", file=sys.stderr)
        return EXIT_SOLVER
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except WasteoptError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAIL
    except Exception as e:  # an internal error: say so plainly, traceback only on request
        if args.debug:
            traceback.print_exc()
        else:
            print(
                f"internal error: {type(e).__name__}: {e} (rerun with --debug for details)",
                file=sys.stderr,
            )
        return EXIT_FAIL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
