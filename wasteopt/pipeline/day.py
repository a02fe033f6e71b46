"""The ``route`` command's job: the facility plan first (the same settings as ``run``), then
one day's routes of every stream with exactly that plan's catchments (no nearest-site
re-assignment), so ``plan``, ``route`` and ``simulate`` agree on where each point unloads."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from wasteopt.clock import Deadline
from wasteopt.coordinates import Crs
from wasteopt.facilities import FacilityPlan, write_plan
from wasteopt.facilities.settings import FacilitySettings
from wasteopt.files import OutputFolder
from wasteopt.network import build_matrix
from wasteopt.pipeline.routes import DEFAULT_ROUTING, route_day
from wasteopt.pipeline.variant import FACILITY_SHARE, part_of, plan_catchments
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.territories import Runner
from wasteopt.scenario.model import Scenario

__all__ = ["RoutedDay", "route_planned_day"]

log = logging.getLogger("wasteopt")


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutedDay:
    """The facility plan whose catchments were routed, and the route plan of each stream."""

    facility_plan: FacilityPlan
    plans: list[RoutePlan]


def route_planned_day(
    scenario: Scenario,
    *,
    day: int,
    streams: Sequence[str] | None = None,
    routing: RoutingSettings = DEFAULT_ROUTING,
    facilities: FacilitySettings | None = None,
    deadline: Deadline | None = None,
    out: OutputFolder | None = None,
    progress: bool = False,
    runner: Runner | None = None,
    timings: dict[str, float] | None = None,
    crs: Crs = "wgs84",
) -> RoutedDay:
    """Plan facilities (``facilities``, default the scenario's planning mode; at most
    ``FACILITY_SHARE`` of ``deadline``), then :func:`route_day` with the plan's assignment for
    every stream. With ``out``, the plan's tables go to ``facilities/`` next to the routes;
    ``runner`` says where territories run and where finished ones are kept; ``timings``
    gains the seconds of ``facilities`` and of :func:`route_day`'s stages; ``crs`` is the
    coordinate system of the GeoJSON layers and vehicle maps."""
    t0 = time.perf_counter()
    matrix = build_matrix(scenario)
    fplan = plan_catchments(
        scenario, matrix, facilities, deadline=part_of(deadline, FACILITY_SHARE)
    )
    log.info("%s", fplan.summary())
    if timings is not None:
        timings["facilities"] = timings.get("facilities", 0.0) + time.perf_counter() - t0
    assignment = None
    if fplan.has_plan:
        assignment = {s: fplan.assignment_for(s) for s in scenario.stream_ids}
        if out is not None:
            write_plan(fplan, out.path("facilities/x").parent)
    plans = route_day(
        scenario,
        day=day,
        streams=streams,
        routing=routing,
        deadline=deadline,
        matrix=matrix,
        assignment=assignment,
        out=out,
        progress=progress,
        runner=runner,
        timings=timings,
        crs=crs,
    )
    return RoutedDay(facility_plan=fplan, plans=plans)
