"""The ``plan-years`` command: the multi-year facility plan of a scenario's ``[horizon]``.

It prints, per plant, the first year it binds with the plan and without builds ("enough
until"), and what the plan builds when; with ``--out`` it writes the tables and the capacity gap
chart (:mod:`wasteopt.pipeline.years`). Exit 1 when the plan leaves waste untaken in some
year (each year, site and t/day named on stderr), 2 for a scenario without a horizon or with
a bad one (every problem listed, nothing written)."""

from __future__ import annotations

import argparse

import pandas as pd

from wasteopt.cli.common import default_scenario, fell_short, say
from wasteopt.clock import Deadline
from wasteopt.facilities.years_plan import YearsPlan
from wasteopt.files import OutputFolder
from wasteopt.pipeline.years import plan_horizon, write_years
from wasteopt.scenario import load_scenario

__all__ = ["plan_years"]


def plan_years(args: argparse.Namespace, deadline: Deadline) -> int:
    """Plan the horizon of the scenario (and variant); print and write the results."""
    s = load_scenario(args.scenario or default_scenario(), variant=args.variant)
    plan = plan_horizon(s, deadline)  # InputError (exit 2) without a horizon
    if args.out:
        with OutputFolder(args.out) as out:
            write_years(out, plan, s)
    for line in summary_lines(plan):
        say(line)
    if args.out:
        say(f"wrote {args.out}")
    return fell_short([f"plan-years {s.id}: {line}" for line in plan.shortfalls])


def summary_lines(plan: YearsPlan) -> list[str]:
    """What a planner reads first: solve status and times, each plant's binding years, the
    decisions of the plan with their years."""
    p, a = plan.plan, plan.as_is
    lines = [
        f"multi-year plan {plan.scenario}: {p.status}, objective {p.objective_cny:,.0f} CNY "
        f"(discounted); coefficients {plan.data_s:.1f} s, model {p.build_s:.1f} s + solve "
        f"{p.solve_s:.1f} s; as is: {a.status} ({a.build_s + a.solve_s:.1f} s); "
        f"{plan.zones or 'no'} demand zones"
    ]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        lines.append("plants (first year the offered load reaches capacity):")
        lines += plan.binding.to_string(index=False).splitlines()
        if not p.decisions.empty:
            lines.append("decisions:")
            lines += p.decisions.to_string(index=False).splitlines()
    return lines
