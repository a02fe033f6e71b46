"""What every command shares: exit codes, the default scenario, messages, routing settings."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from wasteopt.errors import InputError, Problem
from wasteopt.routing.settings import RoutingSettings

__all__ = [
    "EXIT_CODES",
    "EXIT_FAIL",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SOLVER",
    "bad_option",
    "default_scenario",
    "fell_short",
    "refused_by_policy",
    "routing_settings",
    "say",
]

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_INTERNAL, EXIT_SOLVER = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (
        EXIT_OK,
        "success: the command completed and every result met its service level (waste the "
        "不分类不收运 rule refuses, [planning] refuse_unsorted, is a policy choice, not a "
        "shortfall: it is named on stderr after 'refused by policy:' and the code stays 0)",
    ),
    (
        EXIT_FAIL,
        "completed but fell short of service (outputs written; each shortfall named on stderr "
        "after 'short of service:'): unserved stops or other checker violations of a route "
        "plan; a simulated stream that collected less than 99.5 % of the waste due, or whose "
        "plants overflowed more than 0.5 % of it to a fallback, or any of it to nowhere "
        "(every plant of the fallback chain full or down); a facility plan short of "
        "station or plant capacity by more than 0.5 % of the site's capacity (site, stream, "
        "t/day; smaller excesses are named as within tolerance, code 0) or of the "
        "vehicle-hours of the "
        "classes that alone reach some points (stream, classes, h/day), or without a plan; a "
        "multi-year plan that leaves waste untaken in some year (year, site, t/day); a "
        "benchmark instance not solved clean or to optimality; compare runs that failed or "
        "fell short",
    ),
    (EXIT_INPUT, "bad input: every problem named (file, line, id, field); nothing written"),
    (
        EXIT_INTERNAL,
        "internal error (a bug): one line on stderr naming the log file that holds the "
        "traceback, a new wasteopt-error-*.log in the system temp folder ($TMPDIR, usually "
        "/tmp); nothing written to --out",
    ),
    (
        EXIT_SOLVER,
        "a solver or another tool the command needs is unavailable (solver library, Dask "
        "scheduler, Chinese font); nothing written",
    ),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C); nothing written"),
)
"""The exit-code contract of every command: code and meaning (``--help`` and README.md)."""

SHORT = "short of service:"
"""The prefix of each stderr line that explains exit code 1."""
REFUSED = "refused by policy:"
"""The prefix of each stderr line naming what the 不分类不收运 rule leaves uncollected."""

DEFAULT_SCENARIO = "scenarios/jintan"


def default_scenario() -> str:
    """The shipped Jintan scenario: next to the package in a source checkout, else the cwd."""
    here = Path(__file__).resolve().parents[2] / DEFAULT_SCENARIO
    return str(here) if here.is_dir() else DEFAULT_SCENARIO


def say(text: str = "") -> None:
    """A message for the user on stdout (the library itself only logs)."""
    print(text, flush=True)


def routing_settings(args: argparse.Namespace) -> RoutingSettings:
    """The routing settings of a command that has the solver options."""
    return RoutingSettings(
        engine=args.engine,
        time_limit_s=args.time_limit,
        seed=args.seed,
        workers=args.workers,
        iterations=args.iterations,
    )


def bad_option(field: str, value: str, message: str, expected: str) -> InputError:
    """An input error about one command-line option."""
    return InputError(
        [Problem(file="command line", field=field, value=value, message=message, expected=expected)]
    )


def refused_by_policy(lines: Sequence[str]) -> None:
    """Name on stderr (after :data:`REFUSED`) the waste the 不分类不收运 rule leaves behind:
    a deliberate choice, reported apart from any shortfall and not changing the exit code."""
    for line in lines:
        print(f"{REFUSED} {line}", file=sys.stderr, flush=True)


def fell_short(reasons: Sequence[str]) -> int:
    """Name each shortfall on stderr (one line each, after :data:`SHORT`); ``EXIT_FAIL`` when
    there is one, else ``EXIT_OK``."""
    for reason in reasons:
        print(f"{SHORT} {reason}", file=sys.stderr, flush=True)
    return EXIT_FAIL if reasons else EXIT_OK
