"""What the standard policy costs: the facility plan with ``require_standard`` (every station
left open meets the current environmental standard and keeps streams separate, constraint 10
of :mod:`wasteopt.facilities.model`) against the same plan without it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from wasteopt.clock import Deadline
from wasteopt.facilities.collection import DistanceSource, FloatArray
from wasteopt.facilities.plan import FacilityPlan
from wasteopt.facilities.settings import DEFAULT_SETTINGS, FacilitySettings, resolve_planning
from wasteopt.facilities.solve import plan_facilities
from wasteopt.scenario.model import Scenario

__all__ = ["PolicyCost", "policy_cost"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyCost:
    """The plan ``with_policy`` and ``without_policy``; ``delta_cny_per_year`` = with −
    without (what the policy costs a year, NaN when either has no plan);
    ``closed_by_policy``: stations open without the policy and closed with it;
    ``opened_by_policy``: stations open only with it (they take over the catchments)."""

    with_policy: FacilityPlan
    without_policy: FacilityPlan
    delta_cny_per_year: float
    closed_by_policy: tuple[str, ...]
    opened_by_policy: tuple[str, ...]

    def summary(self) -> str:
        """Two lines: the cost of the policy and which stations it closes and opens."""
        return "\n".join(
            [
                f"{self.with_policy.scenario}/{self.with_policy.variant} standard policy: "
                f"{self.delta_cny_per_year:+,.0f} CNY/yr ({self.with_policy.status} vs "
                f"{self.without_policy.status})",
                f"  closed by it: {', '.join(self.closed_by_policy) or '-'}; "
                f"opened instead: {', '.join(self.opened_by_policy) or '-'}",
            ]
        )


def policy_cost(
    scenario: Scenario,
    rates_kg_per_day: FloatArray,
    matrix: DistanceSource,
    settings: FacilitySettings = DEFAULT_SETTINGS,
    *,
    deadline: Deadline | None = None,
    planned: FacilityPlan | None = None,
) -> PolicyCost:
    """Plan ``scenario`` with ``require_standard`` forced on and off (every other setting as
    given; each plan gets half of ``deadline``) and compare. ``planned``: a plan already made
    of ``scenario`` with ``settings`` (e.g. a run's own), reused as the side its resolved
    ``require_standard`` puts it on; only the other side is planned, with all of ``deadline``.
    A station forced open that the policy must close raises
    :class:`~wasteopt.errors.InputError` (the conflict, by id)."""
    planned_side = resolve_planning(settings, scenario.planning).require_standard

    def plan(require: bool, budget: Deadline | None) -> FacilityPlan:
        if planned is not None and planned_side == require:
            return planned
        chosen = dataclasses.replace(settings, require_standard=require)
        return plan_facilities(scenario, rates_kg_per_day, matrix, chosen, deadline=budget)

    half = deadline  # with one plan to make, it gets all the budget
    if deadline is not None and planned is None:
        half = deadline.sub(deadline.share(0.5))
    with_policy = plan(True, half)
    without = plan(False, deadline)
    both = with_policy.has_plan and without.has_plan
    open_with, open_without = set(with_policy.open_stations), set(without.open_stations)
    order = [s.id for s in scenario.stations]
    return PolicyCost(
        with_policy=with_policy,
        without_policy=without,
        delta_cny_per_year=with_policy.objective - without.objective if both else float("nan"),
        closed_by_policy=tuple(j for j in order if j in open_without - open_with) if both else (),
        opened_by_policy=tuple(j for j in order if j in open_with - open_without) if both else (),
    )
