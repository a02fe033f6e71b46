"""The ``validate`` command: load a scenario (and its matrix file) and report every problem."""

from __future__ import annotations

import argparse

from wasteopt.cli.common import EXIT_OK, say
from wasteopt.clock import Deadline
from wasteopt.network import build_matrix
from wasteopt.scenario import load_scenario

__all__ = ["validate"]


def validate(args: argparse.Namespace, deadline: Deadline) -> int:
    """Load the scenario (and variant), check a matrix file, print the counts."""
    s = load_scenario(args.scenario, variant=args.variant)
    if s.network.matrix_file:  # a user matrix is part of the input: check every pair now
        build_matrix(s)
    stations = sum(1 for st in s.stations if st.is_open)
    say(
        f"OK {s.id} ({s.name}) variant={s.variant}: {len(s.points)} points, "
        f"{len(s.streams)} streams, {len(s.depots)} depots, {stations}/{len(s.stations)} "
        f"stations open, {len(s.facilities)} facilities, {len(s.vehicle_types)} vehicle types, "
        f"{sum(v.count for v in s.vehicle_types)} vehicles, "
        f"variants: {', '.join(v.id for v in s.variants) or 'none'}"
    )
    return EXIT_OK
