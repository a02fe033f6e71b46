"""The ``generate`` command: daily sorted-waste quantities per point, to CSV or Parquet."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from wasteopt.cli.common import EXIT_OK, bad_option, say
from wasteopt.clock import Deadline
from wasteopt.errors import InputError, Problem
from wasteopt.generation import generate as generate_demand
from wasteopt.scenario import load_scenario

__all__ = ["generate"]


def generate(args: argparse.Namespace, deadline: Deadline) -> int:
    """Generate ``--days`` of demand and write it as CSV or Parquet."""
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
            raise bad_option("--start", args.start, "not a date", "YYYY-MM-DD") from None
    s = load_scenario(args.scenario, variant=args.variant)
    demand = generate_demand(s, days=args.days, seed=args.seed, start=start)
    demand.write(out)
    totals = demand.totals_t_per_day()
    say(
        f"wrote {out}: {len(demand.dates)} days x {len(demand.point_ids)} points x "
        f"{len(demand.stream_ids)} streams; mean {totals.sum(axis=1).mean():.1f} t/day"
    )
    return EXIT_OK
