"""The ``circuity`` command: fit ``[network] circuity`` against the scenario's road network."""

from __future__ import annotations

import argparse

from wasteopt.cli.common import EXIT_OK, say
from wasteopt.clock import Deadline
from wasteopt.network import fit_circuity
from wasteopt.scenario import load_scenario

__all__ = ["circuity"]


def circuity(args: argparse.Namespace, deadline: Deadline) -> int:
    """Print the circuity fitted for each geometry, with its error on legs it never saw."""
    s = load_scenario(args.scenario, variant=args.variant)
    fits = fit_circuity(s, sample=args.sample, seed=args.seed)
    say(
        f"circuity of {s.id} against its road network: fitted on {fits[0].fit_legs} legs "
        f"(from every other of {min(args.sample, len(s.sites()))} drawn sites, seed {args.seed}), "
        f"tried on the {fits[0].held_out_legs} legs from the rest"
    )
    head = f"{'geometry':<10} {'circuity':>8} {'fit error':>10} {'held-out error':>15}"
    say(f"{head}  held-out ratio")
    for f in fits:
        say(
            f"{f.geometry:<10} {f.circuity:>8.3f} {f.fit_error:>10.1%} {f.held_out_error:>15.1%}"
            f"  {f.held_out_low:.2f} … {f.held_out_high:.2f}"
        )
    say(
        "errors: mean absolute difference to the network over the mean network leg; "
        "set [network] circuity to the fitted value of the geometry the scenario uses "
        "without roads (barriers when it has any)"
    )
    return EXIT_OK
