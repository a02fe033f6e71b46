"""The ``circuity`` command: fit ``[network] circuity`` and each vehicle's speed against the
scenario's road network."""

from __future__ import annotations

import argparse

from wasteopt.cli.common import EXIT_OK, say
from wasteopt.clock import Deadline
from wasteopt.network import fit_circuity
from wasteopt.scenario import load_scenario

__all__ = ["circuity"]

LISTED = 3
"""Vehicle types named per road profile (the rest counted)."""


def circuity(args: argparse.Namespace, deadline: Deadline) -> int:
    """Print the circuity fitted for each geometry and the speed fitted for each road
    profile, each with its error on legs the fit never saw."""
    s = load_scenario(args.scenario, variant=args.variant)
    cal = fit_circuity(s, sample=args.sample, near=args.near, seed=args.seed)
    say(
        f"circuity of {s.id} against its road network: {cal.sites} sites drawn (seed "
        f"{cal.seed}); near legs to each one's {cal.near} nearest sites, far legs between the "
        "drawn sites; fitted on the legs from every other drawn site, tried on the rest"
    )
    head = f"{'legs':<5} {'geometry':<10} {'circuity':>8} {'fit error':>10} {'held-out':>9}"
    say(f"{head}  held-out ratio  legs fit/tried")
    for f in cal.circuity:
        say(
            f"{f.legs:<5} {f.geometry:<10} {f.circuity:>8.3f} {f.fit_error:>10.1%} "
            f"{f.held_out_error:>9.1%}  {f.held_out_low:.2f} … {f.held_out_high:.2f}"
            f"     {f.fit_legs}/{f.held_out_legs}"
        )
    say("speed on these roads of each road profile, timed over the first geometry's circuity:")
    head = f"{'legs':<5} {'class':<16} {'km/h given':>10} {'fitted':>7} {'fit error':>10}"
    say(f"{head} {'held-out':>9}  types")
    for v in cal.speeds:
        more = len(v.vehicle_types) - LISTED
        types = ", ".join(v.vehicle_types[:LISTED]) + (f" and {more} more" if more > 0 else "")
        say(
            f"{v.legs:<5} {v.vehicle_class:<16} {v.declared_kmh:>10.1f} {v.fitted_kmh:>7.1f} "
            f"{v.fit_error:>10.1%} {v.held_out_error:>9.1%}  {types}"
        )
    say(
        "errors: mean absolute difference to the network over the mean network leg; without "
        "roads, set [network] circuity to the fitted value of the geometry the scenario uses "
        "(barriers when it has any) and each vehicle type's speed_kmh to its fitted speed, "
        "near legs for collection, far legs for trips across the city"
    )
    return EXIT_OK
