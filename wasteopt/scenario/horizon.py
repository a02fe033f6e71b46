"""The planning horizon: years ahead, each with its generation, capture rates, compliance,
external load on shared plants and forced closures, and the builds a multi-year plan may choose.

Read from ``[horizon]`` in ``scenario.toml``, the optional ``years.csv`` and ``builds.csv``
(:mod:`wasteopt.scenario.horizon_read`; format: ``docs/scenario-format.md`` "Horizon"). Every
year here is resolved: a value a row leaves empty has been carried forward (or grown) from the
year before, so a :class:`HorizonYear` names every stream and every facility. The multi-year
facility plan that uses it is :mod:`wasteopt.facilities.years`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["BUILD_ACTIONS", "Build", "BuildAction", "HorizonYear", "PlanningHorizon"]

BuildAction = Literal["expand", "build"]
BUILD_ACTIONS: tuple[str, ...] = ("expand", "build")


@dataclass(frozen=True, slots=True, kw_only=True)
class HorizonYear:
    """One year of the horizon, resolved. ``generation_index`` multiplies the scenario's
    generation (1.0 = the scenario as loaded); ``capture`` is every stream's capture rate that
    year; ``compliant_share`` the part of the points not ``compliant`` in ``points.csv`` that
    comply by then (it matters only under ``refuse_unsorted``); ``external_t_per_day`` every
    facility's load from outside the scenario; ``closed`` the sites (stations or facilities)
    closed by policy in this year or before; ``budget_cny`` the capital that may be spent this
    year (None: no limit)."""

    year: int
    generation_index: float
    capture: dict[str, float]
    compliant_share: float
    external_t_per_day: dict[str, float]
    closed: tuple[str, ...]
    budget_cny: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Build:
    """A build or expansion a multi-year plan may choose (a row of ``builds.csv``).

    ``action`` ``expand`` adds ``capacity_t_per_day`` at an existing site; ``build`` makes the
    site exist from its build year on (a candidate station, or a facility that is new: its
    ``facilities.csv`` capacity counts only once built). ``capex_cny`` is paid in the build
    year (against the budget) and charged in the objective as an annuity over
    ``lifetime_years`` while built; ``fixed_cost_cny_per_year`` is paid every year it stands.
    ``year`` forces the build year (a plan's own step); otherwise the plan picks a year in
    ``earliest_year`` … ``latest_year`` or none."""

    id: str
    site: str
    action: BuildAction
    capacity_t_per_day: float
    capex_cny: float
    fixed_cost_cny_per_year: float
    earliest_year: int
    latest_year: int
    year: int | None
    lifetime_years: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanningHorizon:
    """``[horizon]`` with its years and builds. ``discount_rate`` discounts every year's cost to
    the first year and prices capital (the annuity); ``budget_cny_total`` caps the capital of
    the whole horizon (None: no cap); ``retire_stations``: existing stations whose ``decision``
    is ``free`` may be retired by the plan; ``bind_tolerance_t_per_day``: a plant binds in a year
    when the load offered to it is at least its capacity minus this."""

    start_year: int
    years: tuple[HorizonYear, ...]
    discount_rate: float
    budget_cny_total: float | None
    retire_stations: bool
    bind_tolerance_t_per_day: float
    builds: tuple[Build, ...] = ()
    years_file: str = ""
    builds_file: str = ""

    @property
    def end_year(self) -> int:
        return self.start_year + len(self.years) - 1

    @property
    def year_numbers(self) -> tuple[int, ...]:
        return tuple(y.year for y in self.years)
