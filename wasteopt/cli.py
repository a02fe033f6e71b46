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
    f.add_argument("--variant", action="append", help="variant(s) to plan besides the base")
    f.add_argument("--mode", choices=("free", "status_quo"), default="free")
    f.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    f.add_argument("--out", help="output folder for the plan tables")
    f.set_defaults(func=_cmd_plan)

    run = sub.add_parser("run", help="run every stage on a scenario and write an output folder")
    run.add_argument("scenario", nargs="?", default=None, help="scenario folder (default: Jintan)")
    run.add_argument("--variant", action="append", help="also run these variants")
    run.add_argument("--days", type=_positive_int, default=28, help="generated horizon (days)")
    run.add_argument("--day", type=_nonneg_int, help="day to route (default: representative)")
    _solver_options(run, default_time_limit=20.0)
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
            [Problem(file=str(out), field="--out", value=out.suffix, message="unsupported format",
                     expected=".csv or .parquet")]
        )
    start = None
    if args.start:
        try:
            start = dt.date.fromisoformat(args.start)
        except ValueError:
            raise InputError(
                [Problem(file="command line", field="--start", value=args.start,
                         message="not a date", expected="YYYY-MM-DD")]
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
    from wasteopt.pipeline import route_day
    from wasteopt.reporting.files import OutputFolder
    from wasteopt.scenario import load_scenario

    s = load_scenario(args.scenario, variant=args.variant)
    if args.stream and args.stream not in s.stream_ids:
        from wasteopt.errors import Problem

        raise InputError(
            [Problem(file="command line", field="--stream", value=args.stream,
                     message="unknown stream", expected=" | ".join(s.stream_ids))]
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
    from wasteopt.pipeline import plan_variants
    from wasteopt.reporting.files import OutputFolder

    scenario = args.scenario or _default_scenario()
    if args.out:
        with OutputFolder(args.out) as out:
            table = plan_variants(
                scenario, args.variant or [], mode=args.mode, time_limit_s=args.time_limit, out=out
            )
    else:
        table = plan_variants(
            scenario, args.variant or [], mode=args.mode, time_limit_s=args.time_limit
        )
    _say(table.to_string())
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from wasteopt.pipeline import run_all

    scenario = args.scenario or _default_scenario()
    summary = run_all(
        scenario,
        out_dir=args.out,
        variants=args.variant or [],
        days=args.days,
        day=args.day,
        engine=args.engine,
        time_limit_s=args.time_limit,
        seed=args.seed,
        workers=args.workers,
        echo=_say,
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
