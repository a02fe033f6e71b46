"""The routing problem: one stream, one day (optionally one depot or territory).

Model
-----
Vehicles of each :class:`Fleet` leave their depot no earlier than ``shift_start_s``, serve
:class:`Stop` s (collecting ``load_kg`` and ``volume_l``), and unload at an :class:`UnloadSite`
whenever they choose to (and at the latest when the next stop would exceed a capacity). A *trip*
is the run of stops ended by one unload visit. The last trip ends with an unload, then the vehicle
drives back to its depot empty. When ``depot_unloads`` is true (classic CVRP/VRPTW benchmarks) the
depot itself is where loads are dropped: each route is then one trip ending at the depot.

Time windows (stops, sites, depots) are windows for the *start* of service. Vehicles may wait.
A stop may be served only by the fleets it ``allows`` (access: a narrow lane takes no 8 t
compactor). A fleet with a :class:`Lunch` takes one break of ``duration_s`` starting in
``[earliest_s, latest_s]`` (it may wait for the window to open) whenever its route overlaps the
lunch window. Where (``Lunch.place``): by default only with the vehicle empty and parked at a
proper place — at its depot before leaving, at an unload site right after unloading, or back
at its depot after an unload (the drive there and back is part of the route) — never at a
collection point with load aboard (a hazardous van parked loaded in a town); ``"anywhere"``
(the benchmarks' rule) allows the place of any visit just finished.

Objective (minimised, in CNY or benchmark units)::

    sum over used vehicles of  fixed_cost
                             + cost_per_km   * route distance (km)
                             + cost_per_hour * route duration (h, departure to return)

Route distance is a vehicle's own: the metres along the paths of its fleet's profile,
``distances_m[fleet.profile]`` (:meth:`RoutingProblem.distance_of`). On a road network a
vehicle barred from a road (class, weight, ban) or slower than the roads drives its own fastest
paths, so its km (cost, CO2) are those of its detour; without one (``distances_m`` empty) every
profile drives ``distance_m``. ``distance_m`` itself is the unrestricted table (every road at
its own speed): what is not one vehicle's km (nearest sites, territory geometry) reads it.

All quantities are integers where solvers need them: metres, seconds, kg, litres.
``distance_m`` and each of ``distances_m`` and ``durations_s`` are square arrays indexed like
``locations``, or (a city-scale day) :class:`~wasteopt.travel_table.TravelTable` s computed on
demand: the checker and the route scheduler then read legs one by one, territories cut dense
blocks for the engines (:meth:`RoutingProblem.dense` gives the whole problem dense when it is
small enough).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from wasteopt.roads import Profile, RoadGraph
from wasteopt.travel_table import RoadTable, TravelTable

__all__ = [
    "HORIZON_S",
    "SITES_BLOCK",
    "Depot",
    "Fleet",
    "Lunch",
    "LunchPlace",
    "RoadRules",
    "RoutingProblem",
    "Stop",
    "UnloadSite",
]

SITES_BLOCK = "sites and depots"
"""Key of the unrestricted road table's block kept by :meth:`RoutingProblem.dense`."""
HORIZON_S = 48 * 3600

LunchPlace = Literal["depot_or_facility", "anywhere"]
"""Where a break may be taken: ``depot_or_facility`` (empty, at the depot or at an unload site
right after unloading) or ``anywhere`` (after any visit, loaded or not: the benchmarks' rule)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """A collection point due on the planned day. ``unload_at`` restricts where its load may be
    unloaded (the trip that collects it must end at one of them); empty means any site.
    ``fleets`` names the fleets allowed to serve it (access: which vehicle classes reach the
    point); ``None`` means every fleet, ``()`` none (the stop can only stay unserved)."""

    id: str
    stream: str
    load_kg: int
    volume_l: int = 0
    service_s: int = 0
    tw_start_s: int = 0
    tw_end_s: int = HORIZON_S
    unload_at: tuple[str, ...] = ()
    name: str = ""
    fleets: tuple[str, ...] | None = None

    def allows(self, fleet_id: str) -> bool:
        """True when a vehicle of fleet ``fleet_id`` may serve this stop."""
        return self.fleets is None or fleet_id in self.fleets


@dataclass(frozen=True, slots=True, kw_only=True)
class UnloadSite:
    """A transfer station or plant where vehicles unload; ``unload_s`` per visit."""

    id: str
    streams: tuple[str, ...]
    open_s: int = 0
    close_s: int = HORIZON_S
    unload_s: int = 0
    name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Depot:
    """A garage; vehicles start and end their shift here."""

    id: str
    open_s: int = 0
    close_s: int = HORIZON_S
    name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Lunch:
    """One break of ``duration_s`` that must start within ``[earliest_s, latest_s]``, taken
    where ``place`` allows (see :data:`LunchPlace`)."""

    earliest_s: int
    latest_s: int
    duration_s: int
    place: LunchPlace = "depot_or_facility"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fleet:
    """``count`` identical vehicles of one stream. ``None`` limits are unlimited.
    ``capacity_l == 0`` means volume is not constrained. ``profile`` indexes
    ``RoutingProblem.durations_s`` and ``distances_m`` (vehicle types with different speeds,
    or on a road network different roads)."""

    id: str
    stream: str
    depot: str
    count: int
    capacity_kg: int
    capacity_l: int = 0
    shift_start_s: int = 0
    shift_end_s: int = HORIZON_S
    max_duration_s: int | None = None
    lunch: Lunch | None = None
    max_stops: int | None = None
    max_shift_load_kg: int | None = None
    max_trips: int | None = None
    fixed_cost: float = 0.0
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    co2_kg_per_km: float = 0.0
    profile: int = 0


@dataclass(frozen=True, eq=False, kw_only=True)
class RoadRules:
    """The road network the legs are driven on, for the checker (:mod:`.road_check`):
    ``places`` gives each location id's (lon, lat), ``profiles`` each fleet's roads (class,
    gross weight, speed); ``snap_speed_kmh`` the speed of the straight leg to the road."""

    graph: RoadGraph
    snap_speed_kmh: float
    places: Mapping[str, tuple[float, float]]
    profiles: Mapping[str, Profile]


@dataclass(frozen=True, slots=True, kw_only=True, weakref_slot=True)
class RoutingProblem:
    """Everything an engine needs, and everything the checker needs to judge a plan.
    ``distances_m``: one distance table per duration profile, or empty when every profile
    drives ``distance_m`` (read a fleet's through :meth:`distance_of`)."""

    name: str
    stream: str
    stops: tuple[Stop, ...]
    sites: tuple[UnloadSite, ...]
    depots: tuple[Depot, ...]
    fleets: tuple[Fleet, ...]
    locations: tuple[str, ...]
    distance_m: np.ndarray | TravelTable
    durations_s: tuple[np.ndarray | TravelTable, ...]
    depot_unloads: bool = False
    roads: RoadRules | None = None
    distances_m: tuple[np.ndarray | TravelTable, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.locations)
        if not self.durations_s:
            raise ValueError("at least one duration profile is required")
        n_prof = len(self.durations_s)
        if self.distances_m and len(self.distances_m) != n_prof:
            raise ValueError(
                f"{len(self.distances_m)} distance tables for {n_prof} duration profiles"
            )
        # Read-only views: the caller's arrays keep their flags, the problem cannot be edited.
        views: list[np.ndarray | TravelTable] = []
        for arr in (self.distance_m, *self.durations_s, *self.distances_m):
            if arr.shape != (n, n):
                raise ValueError(f"matrix shape {arr.shape} does not match {n} locations")
            if isinstance(arr, TravelTable):
                views.append(arr)  # computed on demand, nothing to protect
                continue
            view = np.asarray(arr).view()
            view.setflags(write=False)
            views.append(view)
        object.__setattr__(self, "distance_m", views[0])
        object.__setattr__(self, "durations_s", tuple(views[1 : 1 + n_prof]))
        object.__setattr__(self, "distances_m", tuple(views[1 + n_prof :]))

    def distance_of(self, profile: int) -> np.ndarray | TravelTable:
        """The metres driven by a vehicle of duration profile ``profile`` (see model)."""
        return self.distances_m[profile] if self.distances_m else self.distance_m

    @property
    def lazy(self) -> bool:
        """True when a table the engines read is computed on demand (a city-scale day)."""
        read = (*self.durations_s, *(self.distances_m or (self.distance_m,)))
        return any(isinstance(t, TravelTable) for t in read)

    def dense(self) -> RoutingProblem:
        """This problem with whole arrays for the tables the engines read (itself when already
        dense); an :class:`~wasteopt.errors.InputError` above
        :data:`~wasteopt.travel_table.DENSE_LIMIT` locations.

        A road network's unrestricted table stays a road table when each profile has its own
        metres (the engines read those): the schedule reads it for the nearest unload site, so
        its rows to the problem's sites and depots are computed as one block and kept
        (:data:`SITES_BLOCK`; another pair is searched when read), not a whole block that costs
        as much as a profile's."""
        if not self.lazy:
            return self

        def whole(t: np.ndarray | TravelTable) -> np.ndarray:
            return t.dense(f"routing {self.name} whole") if isinstance(t, TravelTable) else t

        distance = self.distance_m
        if isinstance(distance, RoadTable) and self.distances_m:
            stops = {s.id for s in self.stops}
            every = np.arange(len(self.locations), dtype=np.intp)
            others = np.array(
                [i for i, loc in enumerate(self.locations) if loc not in stops], dtype=np.intp
            )
            distance.keep(SITES_BLOCK, every, distance.block(every, others), cols=others)
        else:
            distance = whole(distance)
        return replace(
            self,
            distance_m=distance,
            durations_s=tuple(whole(t) for t in self.durations_s),
            distances_m=tuple(whole(t) for t in self.distances_m),
        )

    def index(self) -> dict[str, int]:
        """Location id → row/column of the matrices."""
        return {loc: i for i, loc in enumerate(self.locations)}
