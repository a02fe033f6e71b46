"""Command-line interface: ``wasteopt <command> ...``; ``main(argv) -> int`` is the entry point.

The CLI owns the terminal (messages, progress bars, exit codes); the library only logs.
Exit codes, the same for every command (:data:`wasteopt.cli.common.EXIT_CODES`, printed by
``wasteopt --help`` and tabled in README.md): 0 success; 1 completed but fell short of
service, each shortfall named on stderr; 2 bad input (every problem listed, nothing written);
3 internal error (one line on stderr, the traceback in a new ``wasteopt-error-*.log`` in the
system temp folder, never in ``--out``, which an error leaves untouched); 4 a solver or another
needed tool is unavailable; 130 interrupted.

``--time-limit T`` means the same for every command: the wall-clock budget of the whole command
in seconds. The command creates one :class:`wasteopt.clock.Deadline` and passes it down; each
stage gets a share of what is left (the rules: :mod:`wasteopt.pipeline`). ``--iterations N``
(every command that routes) stops each routing search after N iterations instead of at the
deadline, so the routes do not depend on the machine's speed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import tempfile
import textwrap
import traceback
from collections.abc import Callable, Sequence

from wasteopt import __version__
from wasteopt.cli.common import (
    EXIT_CODES,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_SOLVER,
)
from wasteopt.clock import Deadline
from wasteopt.errors import InputError, SolverUnavailable, WasteoptError
from wasteopt.routing.settings import ENGINES

__all__ = ["main"]

Command = Callable[[argparse.Namespace, Deadline], int]

# Each command's implementation, loaded when the command runs: ``--version``, ``--help`` and
# ``validate`` need none of pandas, matplotlib, scipy or the stages, which take seconds to import.
COMMANDS: dict[str, str] = {
    "validate": "wasteopt.cli.validate:validate",
    "circuity": "wasteopt.cli.circuity:circuity",
    "generate": "wasteopt.cli.generate:generate",
    "route": "wasteopt.cli.planning:route",
    "solve-instance": "wasteopt.cli.planning:solve_instance",
    "plan": "wasteopt.cli.planning:plan",
    "plan-years": "wasteopt.cli.years:plan_years",
    "simulate": "wasteopt.cli.planning:simulate",
    "compare": "wasteopt.cli.compare:compare",
    "run": "wasteopt.cli.planning:run",
}

# --time-limit: default budget of each command (s) and what it covers, for --help and README.
BUDGETS: dict[str, tuple[float, str]] = {
    "route": (
        40.0,
        "the facility plan (its catchments say where each point unloads), then building, "
        "solving and checking every stream's routes, and the files",
    ),
    "solve-instance": (10.0, "solving and checking the instance"),
    "plan": (180.0, "the facility plans of the base and every variant (equal shares)"),
    "plan-years": (
        300.0,
        "the multi-year plan (two thirds of what is left after building its model), then the "
        "same horizon without builds (the rest)",
    ),
    "simulate": (
        120.0,
        "the facility plan and routes the simulation executes (the simulated days then run "
        "to completion)",
    ),
    "compare": (
        180.0,
        "the whole sweep: each run gets T x workers / runs, fixed at the start so that "
        "stored runs stay reusable",
    ),
    "run": (
        300.0,
        "every stage of every variant (each remaining variant an equal share of what is "
        "left, the standard policy's cost half a share, the sensitivity re-plans two shares), "
        "then the policy's cost with its part of what is left (skipped when none is), then "
        "the sensitivity re-plans with what is left",
    ),
}


# --------------------------------------------------------------------------------------------
# argument parsing

Subparsers = argparse._SubParsersAction  # argparse has no public name for it


def exit_code_table() -> str:
    """The exit-code contract as the ``--help`` epilog (:data:`EXIT_CODES`, wrapped)."""
    lines = ["exit codes (the same for every command):"]
    for code, meaning in EXIT_CODES:
        first, *rest = textwrap.wrap(meaning, width=72)
        lines.append(f"  {code:>3}  {first}")
        lines += [f"       {line}" for line in rest]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wasteopt",
        description=textwrap.fill(
            "Plan the logistics of sorted municipal waste: generation, facilities, "
            "collection routes, simulation and reports. --time-limit is always the wall-clock "
            "budget of the whole command.",
            width=78,
        ),
        epilog=exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"wasteopt {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    p.add_argument(
        "--debug",
        action="store_true",
        help="also print the traceback of an internal error on stderr (it is always written "
        "to the log file named there)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in (
        _add_validate,
        _add_circuity,
        _add_generate,
        _add_route,
        _add_solve_instance,
        _add_plan,
        _add_plan_years,
        _add_simulate,
        _add_compare,
        _add_run,
    ):
        add(sub)
    codes = ", ".join(f"{c} {m.split(':')[0].split(' (')[0]}" for c, m in EXIT_CODES)
    for command in sub.choices.values():
        command.epilog = f"exit codes: {codes} (details: wasteopt --help)"
    return p


def _add_validate(sub: Subparsers) -> None:
    v = sub.add_parser("validate", help="check a scenario folder and report every problem")
    v.add_argument("scenario", help="scenario folder")
    v.add_argument("--variant", help="also report the scenario with this variant applied")


def _add_circuity(sub: Subparsers) -> None:
    c = sub.add_parser(
        "circuity",
        help="fit [network] circuity and each vehicle's speed against the scenario's road "
        "network: fitted on the legs from half of a sample of sites, the error shown on the "
        "legs from the other half",
    )
    c.add_argument("scenario", help="scenario folder (with [network] roads)")
    c.add_argument("--sample", type=_positive_int, default=200, help="sites drawn (default 200)")
    c.add_argument(
        "--near", type=_positive_int, default=5, help="nearest sites of each drawn site (default 5)"
    )
    c.add_argument("--seed", type=int, default=0, help="random seed of the draw (default 0)")
    c.add_argument("--variant", help="apply this variant first")


def _add_generate(sub: Subparsers) -> None:
    g = sub.add_parser("generate", help="generate daily sorted-waste quantities per point")
    g.add_argument("scenario", help="scenario folder")
    g.add_argument("--days", type=_positive_int, required=True, help="number of days")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--start", help="first day YYYY-MM-DD (default: the scenario's start_date)")
    g.add_argument("--variant", help="apply this variant first")
    g.add_argument("--out", required=True, help="output file: .csv or .parquet")


def _add_route(sub: Subparsers) -> None:
    r = sub.add_parser(
        "route",
        help="route one day's collection per stream within the facility plan's catchments, "
        "and check the plan",
    )
    r.add_argument("scenario", help="scenario folder")
    r.add_argument("--day", type=_nonneg_int, default=0, help="day index from start_date")
    r.add_argument("--stream", help="only this stream (default: every stream due that day)")
    r.add_argument("--variant", help="apply this variant first")
    _mode_option(r)
    _solver_options(r, "route")
    r.add_argument(
        "--scheduler",
        help="Dask scheduler address tcp://HOST:PORT: route the territories on that cluster "
        "(default: local processes, --workers of them)",
    )
    r.add_argument(
        "--store",
        help="folder of finished territories (default OUT/.territory-store): a rerun of the "
        "same command, e.g. after a kill, reuses them instead of routing them again",
    )
    _crs_option(r)
    r.add_argument("--out", required=True, help="output folder")


def _add_solve_instance(sub: Subparsers) -> None:
    s = sub.add_parser("solve-instance", help="solve one benchmark instance and print one line")
    s.add_argument("file", help="instance file")
    s.add_argument(
        "--format",
        required=True,
        choices=("vrplib", "solomon", "kim", "orlib-cap"),
        help="instance format",
    )
    s.add_argument("--capacity", type=float, help="orlib-cap: capacity value for capa/capb/capc")
    _solver_options(s, "solve-instance")
    s.add_argument("--out", help="write the solution (.sol, VRPLIB form) to this file")


def _add_plan(sub: Subparsers) -> None:
    f = sub.add_parser("plan", help="facility plan: which stations stay, close or open")
    f.add_argument("scenario", nargs="?", default=None, help="scenario folder (default: Jintan)")
    f.add_argument(
        "--variant",
        action="append",
        help="variant to plan besides the base (repeatable; default: every variant)",
    )
    _mode_option(f)
    f.add_argument(
        "--no-direct",
        action="store_true",
        help="every point unloads at a station where one accepts its stream",
    )
    f.add_argument(
        "--policy-cost",
        action="store_true",
        help="also plan each scenario with and without the standard policy (every station "
        "left open meets the environmental standard and keeps streams separate) and report "
        "what the policy costs and which stations it closes (policy_cost.csv with --out)",
    )
    _time_limit_option(f, "plan")
    f.add_argument("--out", help="output folder for the plan tables")


def _add_plan_years(sub: Subparsers) -> None:
    y = sub.add_parser(
        "plan-years",
        help="multi-year facility plan over the scenario's [horizon]: when each plant binds, "
        "what to build when",
    )
    y.add_argument("scenario", nargs="?", default=None, help="scenario folder (default: Jintan)")
    y.add_argument("--variant", default=None, help="plan this variant instead of the base")
    _time_limit_option(y, "plan-years")
    y.add_argument("--out", help="output folder for the tables and the capacity gap chart")


def _add_simulate(sub: Subparsers) -> None:
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
    _mode_option(m)
    _solver_options(m, "simulate")
    m.add_argument("--out", required=True, help="output folder")


def _add_compare(sub: Subparsers) -> None:
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
    _time_limit_option(c, "compare")
    _iterations_option(c)
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


def _add_run(sub: Subparsers) -> None:
    run = sub.add_parser(
        "run",
        help="run every stage on a scenario and write an output folder, with why each "
        "variant costs what it does (cost waterfall, station utilisation, moved catchments, "
        "sensitivity, the standard policy's cost)",
    )
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
    _mode_option(run)
    _solver_options(run, "run")
    _crs_option(run)
    run.add_argument("--out", default="output", help="output folder (default ./output)")


def _mode_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--mode",
        choices=("free", "status_quo"),
        default=None,
        help="facility plan mode (default: the scenario's [planning] mode, status_quo unless "
        "it says otherwise; the same for plan, route, simulate and run). status_quo: existing "
        "stations stay and candidates are not built unless a variant forces it; free: the "
        "optimiser may close and build any station (a cost-only lower bound, labelled so). "
        "Forced decisions of a variant always hold",
    )


CRS_CHOICES = ("wgs84", "gcj02", "bd09")
"""wasteopt.coordinates.CRS_NAMES, spelled out: --help must not import numpy."""


def _crs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--crs",
        choices=CRS_CHOICES,
        default="wgs84",
        help="coordinate system of the GeoJSON layers and maps (default wgs84, as RFC 7946 "
        "assumes): gcj02 for AMap/Gaode and Tencent basemaps, bd09 for Baidu; GeoJSON in "
        "another system says so in every feature",
    )


def _time_limit_option(p: argparse.ArgumentParser, command: str) -> None:
    default, covers = BUDGETS[command]
    p.add_argument(
        "--time-limit",
        type=_positive_float,
        default=default,
        metavar="T",
        help=f"wall-clock budget of the whole command in seconds (default {default:g}); "
        f"covers {covers}",
    )


def _iterations_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--iterations",
        type=_positive_int,
        default=None,
        metavar="N",
        help="deterministic mode: stop each routing search after N iterations, which makes "
        "the result independent of machine speed (--time-limit stays a safety net)",
    )


def _solver_options(p: argparse.ArgumentParser, command: str) -> None:
    p.add_argument("--engine", choices=ENGINES, default="pyvrp")
    _time_limit_option(p, command)
    _iterations_option(p)
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


def _positive_float(text: str) -> float:
    x = float(text)
    if not x > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return x


def _command(name: str) -> Command:
    module, _, function = COMMANDS[name].partition(":")
    command: Command = getattr(importlib.import_module(module), function)
    return command


# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # One budget for the whole command, started before any work (loading included).
    deadline = Deadline(getattr(args, "time_limit", None))
    try:
        return _command(args.command)(args, deadline)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except SolverUnavailable as e:
        print(f"error: solver unavailable: {e}", file=sys.stderr)
        return EXIT_SOLVER
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except WasteoptError as e:  # raised on purpose, not input: a tool the command needs
        print(f"error: unavailable: {e}", file=sys.stderr)
        return EXIT_SOLVER
    except Exception as e:  # a bug: one line here, the traceback in a log file
        return _internal_error(e, sys.argv[:1] + list(argv or sys.argv[1:]), args.debug)


def _internal_error(error: Exception, argv: Sequence[str], debug: bool) -> int:
    """Write the traceback of ``error`` to a new ``wasteopt-error-*.log`` in the system temp
    folder (never the output folder: an error leaves ``--out`` untouched) and name it in one
    line on stderr; with ``debug`` the traceback goes to stderr as well."""
    text = traceback.format_exc()
    try:
        fd, name = tempfile.mkstemp(prefix="wasteopt-error-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log_file:
            log_file.write(f"wasteopt {__version__}: {' '.join(argv)}\n{text}")
        where = f"traceback in {name}"
    except OSError as e:  # the message must still come out
        where = f"the traceback could not be written: {e}"
    if debug:
        print(text, file=sys.stderr, end="")
    what = (str(error).strip().splitlines() or [""])[0]
    print(
        f"internal error: {type(error).__name__}{': ' + what if what else ''} ({where}; "
        "please report it)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL
