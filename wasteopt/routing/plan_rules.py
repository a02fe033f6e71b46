"""The checker's plan-wide rules and the state its route walks share.

:class:`PlanChecker` holds the problem's lookups and the growing list of violations of one plan
(:func:`wasteopt.routing.check.check_plan` walks each route against it); the rules here concern
the plan as a whole: no fleet runs more routes than it has vehicles, and every stop is served
or named in ``plan.unserved`` (exactly those stops).
"""

from __future__ import annotations

from collections import Counter

from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import Depot, Fleet, RoutingProblem, Stop, UnloadSite
from wasteopt.routing.verdict import Violation, ViolationKind

__all__ = ["PlanChecker", "check_fleet_sizes", "check_unserved"]


class PlanChecker:
    """The problem's lookups and the growing list of violations of one plan."""

    def __init__(self, problem: RoutingProblem) -> None:
        self.problem = problem
        self.index = problem.index()
        self.stops: dict[str, Stop] = {s.id: s for s in problem.stops}
        self.sites: dict[str, UnloadSite] = {s.id: s for s in problem.sites}
        self.depots: dict[str, Depot] = {d.id: d for d in problem.depots}
        self.fleets: dict[str, Fleet] = {f.id: f for f in problem.fleets}
        self.violations: list[Violation] = []
        self.served: dict[str, str] = {}  # stop id -> first vehicle serving it

    def add(
        self,
        kind: ViolationKind,
        vehicle: str | None,
        trip: int | None,
        stop: str | None,
        message: str,
    ) -> None:
        self.violations.append(
            Violation(kind=kind, vehicle=vehicle, trip=trip, stop=stop, message=message)
        )


def check_fleet_sizes(checker: PlanChecker, per_fleet: Counter[str]) -> None:
    """No fleet runs more routes than it has vehicles."""
    for fid, n in per_fleet.items():
        count = checker.fleets[fid].count
        if n > count:
            msg = f"fleet {fid} runs {n} routes but has {count} vehicles"
            checker.add("fleet_size", None, None, None, msg)


def check_unserved(checker: PlanChecker, plan: RoutePlan) -> None:
    """Every stop is served, and ``plan.unserved`` names exactly the stops no route serves."""
    problem, served = checker.problem, checker.served
    listed = set(plan.unserved)
    for s in problem.stops:
        if s.id not in served:
            if s.stream != problem.stream:
                msg = f"stop of stream {s.stream!r} in a {problem.stream!r} problem"
                checker.add("stream", None, None, s.id, msg)
            note = "" if s.id in listed else " (and not listed in plan.unserved)"
            checker.add("unserved", None, None, s.id, f"stop is not served{note}")
    for sid in plan.unserved:
        if sid not in checker.stops:
            checker.add("unknown_id", None, None, sid, "plan.unserved names an unknown stop")
        elif sid in served:
            msg = "plan.unserved lists a stop that a route serves"
            checker.add("unserved", served[sid], None, sid, msg)
