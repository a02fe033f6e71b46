"""The simulated fleet: vehicles made from vehicle types, and tours compiled for the run.

A collection vehicle follows on day ``t`` the tour of cycle key ``t mod L`` of its stream (see
:mod:`wasteopt.operations`); here each planned :class:`~wasteopt.operations.Tour` becomes a
:class:`~wasteopt.simulation.processes.DayTour` of matrix indices, point indices and the site
objects it unloads at, so the running day looks nothing up by id.

Legs (:class:`LegTables`): a vehicle drives the seconds and metres of its type's own paths. On
a road network those are its road profile's (:func:`wasteopt.scenario.roads.vehicle_profile`,
as routing plans them: the roads its class and weight may use over its shift, at most its
speed), so a vehicle barred from a bridge drives, and counts, its detour; elsewhere its speed
on the one distance matrix, whose metres every vehicle shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from wasteopt.network import TravelMatrix
from wasteopt.operations import Tour
from wasteopt.scenario.model import VehicleType
from wasteopt.scenario.roads import vehicle_profile
from wasteopt.simulation.processes import DAY_S, DayTour, Site, Vehicle
from wasteopt.travel_table import RoadTable

__all__ = ["LegTables", "compile_tour", "day_change_s", "make_vehicle"]

Rows = list[list[int]]


class LegTables:
    """The whole matrix's leg seconds and metres of each vehicle type as nested lists (fast
    scalar reads while the days run), made once per speed or road profile (module docstring).
    ``dist``: the metres of the one distance matrix (nearest plants; the unrestricted roads)."""

    def __init__(self, matrix: TravelMatrix) -> None:
        self.matrix = matrix
        self.dist: Rows = np.asarray(matrix.distance_m).tolist()
        self._made: dict[object, tuple[Rows, Rows]] = {}

    def of(self, vt: VehicleType) -> tuple[Rows, Rows]:
        """(seconds, metres) of ``vt``'s legs."""
        table = self.matrix.distance_m
        key: object = vt.speed_kmh
        if isinstance(table, RoadTable):
            profile = vehicle_profile(vt)
            key = profile.key
            if key not in self._made:
                own = table.for_profile(profile), table.for_profile(profile, seconds=False)
                self._made[key] = (np.asarray(own[0]).tolist(), np.asarray(own[1]).tolist())
        elif key not in self._made:
            self._made[key] = (
                np.asarray(self.matrix.durations_s(vt.speed_kmh)).tolist(),
                self.dist,
            )
        return self._made[key]

    def metres(self, vt: VehicleType) -> Rows:
        """The metres of ``vt``'s legs."""
        return self.of(vt)[1]


def day_change_s(vehicle_types: Iterable[VehicleType]) -> int:
    """When the simulated day changes, in seconds after midnight: the latest end past 24:00 of a
    collection shift, but not after the earliest start of one; 0 when no collection shift runs
    past midnight. Day ``d``'s waste lands in the bins then, so a night shift collects its own
    day's waste and no shift starts before its day's waste is there."""
    shifts = [(v.shift_start_s, v.shift_end_s) for v in vehicle_types if v.role == "collection"]
    if not shifts:
        return 0
    late = max(end for _, end in shifts) - DAY_S
    return max(0, min(late, min(start for start, _ in shifts)))


def make_vehicle(
    vid: str,
    vt: VehicleType,
    *,
    s: int,
    depot: int,
    durations: list[list[int]],
    dist: list[list[int]],
) -> Vehicle:
    """Vehicle ``vid`` of type ``vt``: stream column ``s``, home at matrix index ``depot``,
    leg times ``durations`` and metres ``dist`` of the type's own paths; its capacity is the
    type's payload."""
    lunch = None
    if vt.lunch_earliest_s is not None and vt.lunch_duration_s > 0:
        lunch = (vt.lunch_earliest_s, vt.lunch_duration_s)
    return Vehicle(
        id=vid,
        type_id=vt.id,
        role=vt.role,
        stream=vt.stream,
        s=s,
        depot=depot,
        durations=durations,
        dist=dist,
        capacity_kg=vt.payload_kg,
        payload_kg=vt.payload_kg,
        volume_m3=vt.volume_m3,
        shift_start_s=vt.shift_start_s,
        shift_end_s=vt.shift_end_s,
        lunch=lunch,
        max_trips=vt.max_trips,
        cost_cny_per_km=vt.cost_cny_per_km,
        cost_cny_per_hour=vt.cost_cny_per_hour,
        cost_cny_per_day=vt.cost_cny_per_day,
        co2_kg_per_km=vt.co2_kg_per_km,
    )


def compile_tour(
    tour: Tour, matrix: TravelMatrix, point_of: Mapping[str, int], sites: Mapping[str, Site]
) -> DayTour:
    """``tour`` as indices and site objects; each visit knows the site its trip unloads at
    (the next unload visit of the tour)."""
    nxt: list[Site | None] = [None] * len(tour.visits)
    site: Site | None = None
    for j in range(len(tour.visits) - 1, -1, -1):
        if tour.visits[j][0] == "unload":
            site = sites[tour.visits[j][1]]
        nxt[j] = site
    return DayTour(
        visits=tuple(
            (
                kind,
                matrix.index(sid),
                point_of[sid] if kind == "stop" else 0,
                k,
                None if kind == "stop" else sites[sid],
            )
            for kind, sid, k in tour.visits
        ),
        next_unload=tuple(nxt),
        start_s=tour.start_s,
        lunch_after=tour.lunch_after,
        lunch_at_depot=tour.lunch_at_depot,
        points=tuple({point_of[sid] for kind, sid, _ in tour.visits if kind == "stop"}),
    )
