"""The multi-year plan as a job: expected generation, travel distances, the plan over the
scenario's horizon (:mod:`wasteopt.facilities.years_plan`), its tables and the capacity gap
chart. Output folder::

    years_sites.csv          plan: one row per year and site (capacity, load, external load,
                             offered load, shortfall, utilisation, this scenario's share
                             of a shared plant, binds)
    years_sites_as_is.csv    the same without builds (no build, no retirement, the policy's
                             closures only)
    years_costs.csv          plan: one row per year (capital spent, capital charge, stations,
                             flows, penalty, total, discounted total, demand)
    years_decisions.csv      plan: builds and expansions (year built), retirements, closures
    years_unserved.csv       plan: per year and stream, t/day no open site could take
    years_binding.csv        per plant: first year it binds with the plan and as is, the last
                             year it is enough as is, peak utilisation as is
    capacity_gap.png|svg     the capacity gap chart (:mod:`wasteopt.reporting.years_plot`)
"""

from __future__ import annotations

from wasteopt.clock import Deadline
from wasteopt.facilities.years_plan import YearsPlan, plan_years
from wasteopt.files import OutputFolder, write_frame
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.network import build_matrix
from wasteopt.reporting.plots import save_figure
from wasteopt.reporting.years_plot import plot_capacity_gap
from wasteopt.scenario.model import Scenario

__all__ = ["YEARS_FILES", "plan_horizon", "write_years"]

YEARS_FILES = (
    "years_sites.csv",
    "years_sites_as_is.csv",
    "years_costs.csv",
    "years_decisions.csv",
    "years_unserved.csv",
    "years_binding.csv",
    "capacity_gap.png",
    "capacity_gap.svg",
)


def plan_horizon(scenario: Scenario, deadline: Deadline | None = None) -> YearsPlan:
    """The multi-year plan of ``scenario`` from its expected generation (InputError without a
    ``[horizon]``)."""
    rates = expected_rates_kg_per_day(scenario)
    return plan_years(scenario, rates, build_matrix(scenario), deadline)


def write_years(out: OutputFolder, plan: YearsPlan, scenario: Scenario) -> None:
    """Write the tables and the chart of ``plan`` into ``out`` (:data:`YEARS_FILES`)."""
    tables = {
        "years_sites.csv": plan.plan.sites,
        "years_sites_as_is.csv": plan.as_is.sites,
        "years_costs.csv": plan.plan.costs,
        "years_decisions.csv": plan.plan.decisions,
        "years_unserved.csv": plan.plan.unserved,
        "years_binding.csv": plan.binding,
    }
    for name, frame in tables.items():
        write_frame(out.path(name), frame, bom=True)
    save_figure(plot_capacity_gap(plan, scenario), out.path("capacity_gap.png"))
