"""What every command shares: exit codes, the default scenario, messages, routing settings."""

from __future__ import annotations

import argparse
from pathlib import Path

from wasteopt.errors import InputError, Problem
from wasteopt.routing.settings import RoutingSettings

__all__ = [
    "EXIT_FAIL",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SOLVER",
    "bad_option",
    "default_scenario",
    "routing_settings",
    "say",
]

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_SOLVER, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

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
