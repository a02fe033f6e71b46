"""Fleet shares: each fleet's real vehicles handed out over a day's routing territories.

Model (no over-count, vehicles near home, kg and hours)
-------------------------------------------------------
Every vehicle stays with its depot and fleet. Each fleet's real count is handed out over the
territories, so the solver of a territory sees only vehicles that exist. A territory's demand
for each *access class* (the fleets that may serve a stop) has two measures:

- **kg**: the day's load of its stops; a vehicle covers a shift's kg (``capacity ×
  max_trips``, or the shift load limit; ``UNLIMITED_TRIPS`` trips when the fleet has no
  limit);
- **work**: seconds of service and unloading, and metres of driving: each stop's share of the
  tour through the territory (``TOUR_PER_NEAREST`` × the distance to its nearest neighbour
  in the territory: a tour through n random points is ≈ 0.7124 √(n A), Beardwood–Halton–
  Hammersley, the mean nearest-neighbour distance 0.5 √(A / n)) and its share of the trips
  to its unload site (its load ÷ a trip's load, the mean capacity of the stream's fleets, ×
  the way there and back and the site's unload time). A vehicle covers its shift (less
  lunch) less the way from its depot to the territory and back, and drives a metre in the
  seconds its own roads take (its depot's row of its own table against the plain
  distances).

A class needs, in vehicles of a fleet, the larger of the two: a fleet of large vehicles on a
spread territory (hazardous waste: a few kg a stop, stops all over the city) is bound by
hours, a compactor on a dense block by kg. Distances inside a territory come from a plane
recovered from the road distances (FastMap, :func:`wasteopt.routing.large_parts.plane`: the
problem has no coordinates; a few rows of the table, once per problem). A fleet's distance
to a territory is the mean road distance from its depot to the territory's stops. Classes
are covered narrowest first (lane stops only e-tricycles reach before the stops every fleet
reaches), and for each width of class, from the territory's nearest depot, then from its two
nearest, then from any (``REACH``: a far depot's vehicle drives far to work, and on a road
network it widens the territory's tables, whose cost grows with their spread):

1. whole vehicles up to what each demand needs, nearest (territory, fleet) pair first;
2. then one vehicle at a time to the class with the largest demand left (territories without
   any vehicle first), from the nearest fleet that has one,

where a fleet that also belongs to a narrower class (a tricycle, for stops a compactor also
reaches) is taken only when no other fleet of the class has a vehicle left, so the only
vehicles of a lane are not spent on streets before the lanes are covered. A vehicle given
beyond a class's demand covers the territory's other classes that the fleet may serve.

3. Vehicles left once every demand is covered are spares: each goes, one at a time, to a
   territory of its own depot (one whose nearest depot it is; else one for which it is the
   next nearest, and so on), the one with the most demand left for the fleet (so spares
   spread over the depot's territories by their size); a fleet that belongs to a narrower
   class goes to a territory with such stops first (a spare tricycle to a lane territory). A
   spare is never sent across the city to a territory whose demand is already covered, as
   giving it to the largest demand left did (a Yaotang truck in Zhiqian on Jintan, 27 km away,
   while Zhiqian's own yard truck stood idle).

A fleet whose vehicles may serve no stop of the day keeps them. The counts of a fleet over the
territories therefore sum to its real count. After a first pass, the vehicles a territory did
not use go back to a pool; territories with unserved stops get the pool's vehicles by the same
rule applied to their unserved stops and are routed again (the answer with fewer unserved
stops is kept). Which vehicle finally drives each route is settled after the merge
(:mod:`wasteopt.routing.vehicle_choice`).

Measured on the 20,000-point city on the 300 m benchmark grid (``city_scale_roads``, same
machine; two runs of one version differ by up to 78 unserved stops, so one run each says
little below that): the earlier measure (each stop's mean share of the day's kg and of its
service time), 463 stops unserved (recyclables 136); kg and work with ``REACH``, 426
(recyclables 54) and, a second run, 348 (recyclables 0). Without ``REACH``, and before a
block's far-out locations were searched apart (:mod:`wasteopt.travel_table.road`), the
territories took vehicles from far depots (kitchen: 133 depot rows instead of 74), whose
tables left the searches half their time: 1,142 unserved (recyclables 44). The work estimate
is low against routed days (hazardous waste: 51.5 h against about 116 h driven, lunch
excluded, with 45 stops still unserved): what it decides is each territory's share, and
spares beyond it stay with their depots.

On Jintan (``routing-jintan``, 20 s a stream) kg and work cost the residual stream 2.0 % more
than the earlier measure (51 vehicles instead of 49) and recyclables 0.7 %. A deterministic
check (2,000 iterations a territory, seeds 1–3; a one-off, not a committed table) gives the
residual stream 27,602 CNY (mean of the seeds) under the earlier measure, 27,998 under kg and
work, 27,946 under kg and work without ``REACH``: the measure costs about 1.3 %, the reach
little, against a spread of about 2 % between seeds. There every need is bound by kg; what
differs is where the scarce 3.5 t compactors go: the city depot's territories take them
first, and Rulin, short by under half a vehicle of them, is given an 8 t truck that reaches
2 of its 49 stops, so its first pass leaves stops for the second.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.spatial import cKDTree

from wasteopt.routing.large_parts import block, plane
from wasteopt.routing.problem import Fleet, RoutingProblem

__all__ = ["UNLIMITED_TRIPS", "Counts", "allocate", "lend_pool", "shift_kg", "shift_s"]

UNLIMITED_TRIPS = 4
"""Trips per shift assumed for a fleet without ``max_trips`` or shift load limit (sizing
only: the usual 3–5 of a collection shift)."""
TOUR_PER_NEAREST = 0.7124 / 0.5
"""A tour's length over the sum of nearest-neighbour distances of uniform random points
(Beardwood–Halton–Hammersley constant ÷ the mean nearest-neighbour factor)."""
LEAST_SHIFT_SHARE = 0.25
"""Least share of its shift a vehicle is counted to work in a territory however far its
depot (sizing only: a far vehicle still covers some)."""
REACH: tuple[int | None, ...] = (1, 2, None)
"""Depots a territory's demand is covered from, in turn: its nearest depot, the two nearest,
any (a far depot's vehicle widens the territory's road tables and drives far to work)."""
SPEED_SAMPLE = 256
"""Stops of a depot's row read to find how many seconds a fleet drives a metre."""

Counts = dict[str, dict[str, int]]
"""Territory key → fleet id → vehicles."""
_Class = tuple[str, ...]
"""An access class: the fleets (with vehicles) that may serve a stop."""


class Territory(Protocol):
    """What a share needs of a territory (:class:`wasteopt.routing.territories.Territory`)."""

    @property
    def key(self) -> str: ...

    @property
    def stops(self) -> tuple[str, ...]: ...


def shift_kg(fleet: Fleet) -> float:
    """What one vehicle of ``fleet`` can collect in a shift (sizing; module docstring)."""
    trips = fleet.max_trips if fleet.max_trips is not None else UNLIMITED_TRIPS
    kg = fleet.capacity_kg * max(1, trips)
    if fleet.max_shift_load_kg is not None:
        kg = min(kg, fleet.max_shift_load_kg)
    return float(max(1, kg))


def shift_s(fleet: Fleet) -> float:
    """Seconds one vehicle of ``fleet`` can work in a shift: its shift (or its longest
    duration) less lunch (sizing; module docstring)."""
    span = fleet.shift_end_s - fleet.shift_start_s
    if fleet.max_duration_s is not None:
        span = min(span, fleet.max_duration_s)
    lunch = fleet.lunch.duration_s if fleet.lunch is not None else 0
    return float(max(1, span - lunch))


@dataclass(slots=True)
class _Need:
    """One class's demand left in a territory: kg (below zero: covered beyond its need),
    seconds of service and unloading, metres of driving."""

    kg: float = 0.0
    service_s: float = 0.0
    drive_m: float = 0.0


@dataclass(slots=True)
class _Demand:
    """What the rounds of :func:`_hand_out` work on."""

    fleets: list[Fleet]
    left: dict[tuple[str, _Class], _Need]  # (territory, class) → demand not yet covered
    dist: dict[tuple[str, str], float]  # (territory, depot) → mean distance to its stops
    order: list[str]  # territory keys
    s_per_m: dict[str, float]  # fleet → seconds a metre on its roads
    ref: Fleet  # the vehicle "largest demand left" is counted in

    def classes(self, key: str, fleet: str) -> list[_Class]:
        """The territory's classes the fleet may serve, narrowest first."""
        cls = [c for (k, c) in self.left if k == key and fleet in c]
        return sorted(cls, key=lambda c: (len(c), c))

    def work_s(self, key: str, fleet: Fleet) -> float:
        """Seconds a vehicle of ``fleet`` works in territory ``key`` (module docstring)."""
        way = 2.0 * self.dist[(key, fleet.depot)] * self.s_per_m[fleet.id]
        full = shift_s(fleet)
        return max(LEAST_SHIFT_SHARE * full, full - way)

    def need(self, key: str, cls: _Class, fleet: Fleet) -> float:
        """Vehicles of ``fleet`` the class still needs in territory ``key`` (the larger of
        kg and work; below zero: covered beyond its kg)."""
        n = self.left[(key, cls)]
        return _vehicles(n, fleet, self.s_per_m[fleet.id], self.work_s(key, fleet))

    def short(self, key: str, cls: _Class) -> bool:
        """Whether the class still needs some vehicle (more than a rounding's worth)."""
        return self.size(key, cls) > 1e-6

    def cover(self, key: str, first: _Class, fleet: Fleet, vehicles: float) -> None:
        """Take ``vehicles`` of ``fleet`` off the class, then off the territory's other
        classes the fleet may serve; what is left over counts as kg covered beyond need."""
        for c in [first, *(c for c in self.classes(key, fleet.id) if c != first)]:
            need = self.need(key, c, fleet)
            if need <= 0.0:
                continue
            take = min(vehicles, need)
            n = self.left[(key, c)]
            rest = 1.0 - take / need  # every measure drops by the vehicles' share of the need
            n.kg = n.kg * rest if n.kg > 0 else n.kg
            n.service_s *= rest
            n.drive_m *= rest
            if rest <= 1e-9:
                n.service_s = n.drive_m = 0.0
                n.kg = min(n.kg, 0.0)
            vehicles -= take
            if vehicles <= 0.0:
                return
        self.left[(key, first)].kg -= vehicles * shift_kg(fleet)

    def size(self, key: str, cls: _Class) -> float:
        """The class's demand left in vehicles of the reference fleet, wherever its depot
        (ordering)."""
        ref = self.ref
        return _vehicles(self.left[(key, cls)], ref, self.s_per_m[ref.id], shift_s(ref))


def _vehicles(n: _Need, fleet: Fleet, s_per_m: float, work_s: float) -> float:
    """Vehicles of ``fleet`` that ``n`` needs when one works ``work_s`` seconds and drives a
    metre in ``s_per_m``: the larger of kg and work; below zero, covered beyond its kg."""
    by_kg = n.kg / shift_kg(fleet)
    by_work = (n.service_s + n.drive_m * s_per_m) / work_s
    return by_kg if by_work <= 0.0 else max(by_kg, by_work)


@dataclass(frozen=True, slots=True)
class _Geometry:
    """What :func:`_demand` reads of the map, once per problem and split: metres of each
    stop's share of its territory's tour, metres to the nearest of its unload sites and back,
    each fleet's seconds a metre, and the mean metres from each depot to each territory's
    stops."""

    tour_m: dict[str, float]
    site_way_m: dict[str, float]
    s_per_m: dict[str, float]
    dist: dict[tuple[str, str], float]  # (territory, depot) → mean distance to its stops


_GEOMETRY: dict[tuple[int, tuple[tuple[str, int], ...]], _Geometry] = {}
"""Per live problem (by id; dropped when the problem is collected) and split."""


def _geometry(problem: RoutingProblem, territories: Sequence[Territory]) -> _Geometry:
    """The problem's :class:`_Geometry` for ``territories``, from a plane of its stops and
    sites and the block of its depots' rows (on a road network each row of a table is a
    search of the city: 16 for the plane, one per depot, one per depot and profile for the
    speeds)."""
    key = (id(problem), tuple((t.key, len(t.stops)) for t in territories))
    hit = _GEOMETRY.get(key)
    if hit is not None:
        return hit
    idx = problem.index()
    fleets = [f for f in problem.fleets if f.stream == problem.stream and f.count > 0]
    by_id = {s.id: s for s in problem.stops}
    stops = sorted({idx[s] for t in territories for s in t.stops})
    nodes = stops + sorted({idx[s.id] for s in problem.sites} - set(stops))
    pos = {n: k for k, n in enumerate(nodes)}
    xy = plane(problem.distance_m, nodes) if len(nodes) > 1 else np.zeros((len(nodes), 2))
    tour: dict[str, float] = {}
    way: dict[str, float] = {}
    for t in territories:
        pts = xy[[pos[idx[s]] for s in t.stops]]
        if len(t.stops) > 1:
            gap, _ = cKDTree(pts).query(pts, k=2)
            tour.update(zip(t.stops, (TOUR_PER_NEAREST * gap[:, 1]).tolist(), strict=True))
        else:
            tour.update(dict.fromkeys(t.stops, 0.0))
        for sid, here in zip(t.stops, pts, strict=True):
            at = [pos[idx[u]] for u in by_id[sid].unload_at if u in idx]
            # Stops that may unload anywhere are not counted a way (no site of their own).
            way[sid] = 2.0 * float(np.hypot(*(xy[at] - here).T).min()) if at else 0.0
    # One block, depots × every stop: on a road network a search per depot, not per territory.
    depots = sorted({f.depot for f in fleets})
    col = {c: k for k, c in enumerate(stops)}
    dblock = (
        np.asarray(block(problem.distance_m, [idx[d] for d in depots], stops), float)
        if depots and stops
        else np.zeros((len(depots), len(stops)))
    )
    dist = {
        (t.key, d): float(dblock[a, [col[idx[s]] for s in t.stops]].mean()) if t.stops else 0.0
        for t in territories
        for a, d in enumerate(depots)
    }
    sample = list(range(0, len(stops), max(1, len(stops) // SPEED_SAMPLE)))
    speeds: dict[tuple[str, int], float] = {}
    for f in fleets:
        if (f.depot, f.profile) not in speeds:
            a = depots.index(f.depot)
            metres = float(dblock[a, sample].sum())
            row = block(problem.durations_s[f.profile], [idx[f.depot]], [stops[k] for k in sample])
            speeds[(f.depot, f.profile)] = float(row.sum()) / metres if metres > 0 else 0.0
    geo = _Geometry(
        tour_m=tour,
        site_way_m=way,
        s_per_m={f.id: speeds[(f.depot, f.profile)] for f in fleets},
        dist=dist,
    )
    _GEOMETRY[key] = geo
    weakref.finalize(problem, _GEOMETRY.pop, key, None)
    return geo


def _demand(
    problem: RoutingProblem,
    territories: Sequence[Territory],
    stops: Mapping[str, Sequence[str]],
) -> _Demand:
    """Demand per (territory, class) of the given stops of each territory: kg and work
    (module docstring)."""
    fleets = [f for f in problem.fleets if f.stream == problem.stream and f.count > 0]
    by_id = {s.id: s for s in problem.stops}
    geo = _geometry(problem, territories)
    trip_kg = float(np.mean([f.capacity_kg for f in fleets])) if fleets else 1.0
    unload = {s.id: s.unload_s for s in problem.sites}
    left: dict[tuple[str, _Class], _Need] = {}
    for t in territories:
        for sid in stops.get(t.key, ()):
            s = by_id[sid]
            cls = tuple(f.id for f in fleets if s.allows(f.id))
            if not cls:
                continue  # no vehicle may serve it: it stays unserved
            trips = s.load_kg / max(1.0, trip_kg)  # its share of the territory's trips
            n = left.setdefault((t.key, cls), _Need())
            n.kg += s.load_kg
            n.service_s += s.service_s + trips * min(
                (unload[u] for u in s.unload_at if u in unload), default=0
            )
            n.drive_m += geo.tour_m.get(sid, 0.0) + trips * geo.site_way_m.get(sid, 0.0)
    ref = max(fleets, key=lambda f: (f.count, f.id)) if fleets else None
    return _Demand(
        fleets=fleets,
        left=left,
        dist=geo.dist,
        order=[t.key for t in territories],
        s_per_m=geo.s_per_m,
        ref=ref,  # type: ignore[arg-type]  # unused without fleets
    )


def _hand_out(dem: _Demand, avail: dict[str, int]) -> Counts:
    """Give out ``avail`` (fleet → vehicles) over the demand (rounds 1–3, module docstring)."""
    out: Counts = {k: {} for k in dem.order}
    pos = {k: i for i, k in enumerate(dem.order)}
    by_id = {f.id: f for f in dem.fleets}
    depot = {f.id: f.depot for f in dem.fleets}
    fpos = {f.id: i for i, f in enumerate(dem.fleets)}

    def give(key: str, cls: _Class, fid: str, n: int) -> None:
        out[key][fid] = out[key].get(fid, 0) + n
        avail[fid] -= n
        dem.cover(key, cls, by_id[fid], float(n))

    # A fleet whose narrowest class is narrower than the one being covered (a tricycle, for
    # stops a compactor also reaches) is taken last: it is kept for the stops only it reaches.
    narrowest = {
        f.id: min((len(c) for _, c in dem.left if f.id in c), default=0) for f in by_id.values()
    }
    rank = _ranks(dem)
    for width in sorted({len(c) for _, c in dem.left}):  # narrowest classes first
        for reach in REACH:  # the territory's nearest depot, the next, then any
            near = {
                (key, cls, fid)
                for (key, cls) in dem.left
                if len(cls) == width
                for fid in cls
                if reach is None or rank[(key, depot[fid])] < reach
            }
            pairs = sorted(
                (
                    narrowest[fid] < width,
                    dem.dist[(key, depot[fid])],
                    pos[key],
                    fpos[fid],
                    key,
                    cls,
                    fid,
                )
                for key, cls, fid in near
            )
            for *_, key, cls, fid in pairs:  # round 1: whole vehicles, nearest first
                n = min(avail.get(fid, 0), int(max(0.0, dem.need(key, cls, by_id[fid]))))
                if n > 0:
                    give(key, cls, fid, n)
            while True:  # round 2: one vehicle at a time to the largest demand left
                short = [
                    kc
                    for kc in dem.left
                    if len(kc[1]) == width
                    and dem.short(*kc)
                    and any(avail.get(f) and (*kc, f) in near for f in kc[1])
                ]
                if not short:
                    break
                key, cls = min(
                    short, key=lambda kc: (bool(out[kc[0]]), -dem.size(*kc), pos[kc[0]], kc[1])
                )
                fid = min(
                    (f for f in cls if avail.get(f, 0) > 0 and (key, cls, f) in near),
                    key=lambda f: (narrowest[f] < width, dem.dist[(key, depot[f])], fpos[f]),
                )
                give(key, cls, fid, 1)
    _spares(dem, avail, give, rank)
    return out


def _ranks(dem: _Demand) -> dict[tuple[str, str], int]:
    """(territory, depot) → how many of the stream's depots are nearer the territory."""
    depots = sorted({f.depot for f in dem.fleets})
    return {
        (k, d): sum(dem.dist[(k, e)] < dem.dist[(k, d)] for e in depots)
        for k in dem.order
        for d in depots
    }


def _spares(
    dem: _Demand,
    avail: dict[str, int],
    give: Callable[[str, _Class, str, int], None],
    rank: Mapping[tuple[str, str], int],
) -> None:
    """Round 3 (module docstring): each vehicle left once every demand is covered goes, one at
    a time, to a territory of its own depot (one whose nearest depot it is, else the next
    nearest), the one with the most demand left for it; a fleet that alone reaches some
    stops (a tricycle) goes to a territory with such stops first; ``rank``: :func:`_ranks`."""
    pos = {k: i for i, k in enumerate(dem.order)}
    for f in dem.fleets:
        mine: dict[str, list[_Class]] = {}  # territory → its classes the fleet serves
        for key, cls in dem.left:
            if f.id in cls:
                mine.setdefault(key, []).append(cls)
        if not mine:
            continue  # the fleet may serve no stop of the day: it keeps its vehicles
        for classes in mine.values():
            classes.sort(key=lambda c: (len(c), c))
        narrow = min(len(c[0]) for c in mine.values())
        while avail.get(f.id, 0) > 0:
            key = min(
                mine,
                key=lambda k: (
                    len(mine[k][0]) > narrow,
                    rank[(k, f.depot)],
                    -sum(dem.need(k, c, f) for c in mine[k]),
                    pos[k],
                ),
            )
            give(key, mine[key][0], f.id, 1)


def allocate(problem: RoutingProblem, territories: Sequence[Territory]) -> Counts:
    """Each fleet's real count over the territories (module docstring): territory key →
    fleet id → vehicles, every fleet of the stream listed (0 where it gets none)."""
    dem = _demand(problem, territories, {t.key: t.stops for t in territories})
    counts = _hand_out(dem, {f.id: f.count for f in dem.fleets})
    return {k: {f.id: v.get(f.id, 0) for f in dem.fleets} for k, v in counts.items()}


def lend_pool(
    problem: RoutingProblem,
    territories: Sequence[Territory],
    used: Mapping[str, Mapping[str, int]],
    unserved: Mapping[str, Sequence[str]],
) -> Counts:
    """The pool (each fleet's count less the vehicles the territories ``used``) handed out
    over the territories' ``unserved`` stops by the rule of :func:`allocate`."""
    dem = _demand(problem, territories, unserved)
    avail = {f.id: f.count - sum(u.get(f.id, 0) for u in used.values()) for f in dem.fleets}
    return _hand_out(dem, {f: n for f, n in avail.items() if n > 0})
