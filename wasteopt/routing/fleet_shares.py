"""Fleet shares: each fleet's real vehicles handed out over a day's routing territories.

Model (no over-count, vehicles near home)
-----------------------------------------
Every vehicle stays with its depot and fleet. Each fleet's real count is handed out over the
territories, so the solver of a territory sees only vehicles that exist. A stop's workload is
the mean of its share of the day's kg and of its service time; a territory's demand for each
*access class* (the fleets that may serve a stop) is that workload times the day's kg. A
vehicle covers a shift's kg (``capacity × max_trips``, or the shift load limit;
``UNLIMITED_TRIPS`` trips when the fleet has no limit). A fleet's distance to a territory is
the mean road distance from its depot to the territory's stops. Classes are covered narrowest
first (lane stops only e-tricycles reach before the stops every fleet reaches), and for each
width of class:

1. whole vehicles up to what each demand needs by capacity, nearest (territory, fleet) pair
   first;
2. then one vehicle at a time to the class with the largest demand left (territories without
   any vehicle first), from the nearest fleet that has one,

where a fleet that also belongs to a narrower class (a tricycle, for stops a compactor also
reaches) is taken only when no other fleet of the class has a vehicle left, so the only
vehicles of a lane are not spent on streets before the lanes are covered. Capacity given
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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from wasteopt.routing.problem import Fleet, RoutingProblem

__all__ = ["UNLIMITED_TRIPS", "Counts", "allocate", "lend_pool", "shift_kg"]

UNLIMITED_TRIPS = 4
"""Trips per shift assumed for a fleet without ``max_trips`` or shift load limit (sizing
only: the usual 3–5 of a collection shift)."""

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


@dataclass(slots=True)
class _Demand:
    """What the rounds of :func:`_hand_out` work on."""

    fleets: list[Fleet]
    left: dict[tuple[str, _Class], float]  # (territory, class) → demand not yet covered
    dist: dict[tuple[str, str], float]  # (territory, depot) → mean distance to its stops
    order: list[str]  # territory keys

    def classes(self, key: str, fleet: str) -> list[_Class]:
        """The territory's classes the fleet may serve, narrowest first."""
        cls = [c for (k, c) in self.left if k == key and fleet in c]
        return sorted(cls, key=lambda c: (len(c), c))

    def cover(self, key: str, first: _Class, fleet: str, kg: float) -> None:
        """Take ``kg`` of capacity off the class, then off the territory's other classes."""
        for c in [first, *(c for c in self.classes(key, fleet) if c != first)]:
            take = min(kg, max(0.0, self.left[(key, c)]))
            self.left[(key, c)] -= take
            kg -= take
        self.left[(key, first)] -= kg


def _demand(
    problem: RoutingProblem,
    territories: Sequence[Territory],
    stops: Mapping[str, Sequence[str]],
) -> _Demand:
    """Demand per (territory, class) of the given stops of each territory, in kg: the day's
    kg shared out by workload (load and service time)."""
    fleets = [f for f in problem.fleets if f.stream == problem.stream and f.count > 0]
    by_id = {s.id: s for s in problem.stops}
    chosen = [by_id[sid] for t in territories for sid in stops.get(t.key, ())]
    total_kg = sum(s.load_kg for s in chosen) or 1
    total_s = sum(s.service_s for s in chosen)
    left: dict[tuple[str, _Class], float] = {}
    for t in territories:
        for sid in stops.get(t.key, ()):
            s = by_id[sid]
            cls = tuple(f.id for f in fleets if s.allows(f.id))
            if not cls:
                continue  # no vehicle may serve it: it stays unserved
            share = s.load_kg / total_kg
            share = (share + s.service_s / total_s) / 2 if total_s else share
            left[(t.key, cls)] = left.get((t.key, cls), 0.0) + share * total_kg
    idx = problem.index()
    depots = sorted({f.depot for f in fleets})
    cols = sorted({idx[s] for t in territories for s in t.stops})
    # One block, depots × every stop: on a road network a search per depot, not per territory.
    block = np.asarray(problem.distance_m[np.ix_([idx[d] for d in depots], cols)])
    col = {c: k for k, c in enumerate(cols)}
    dist = {
        (t.key, d): float(block[a, [col[idx[s]] for s in t.stops]].mean()) if t.stops else 0.0
        for t in territories
        for a, d in enumerate(depots)
    }
    return _Demand(fleets=fleets, left=left, dist=dist, order=[t.key for t in territories])


def _hand_out(dem: _Demand, avail: dict[str, int]) -> Counts:
    """Give out ``avail`` (fleet → vehicles) over the demand (rounds 1–3, module docstring)."""
    out: Counts = {k: {} for k in dem.order}
    pos = {k: i for i, k in enumerate(dem.order)}
    cap = {f.id: shift_kg(f) for f in dem.fleets}
    depot = {f.id: f.depot for f in dem.fleets}
    fpos = {f.id: i for i, f in enumerate(dem.fleets)}

    def give(key: str, cls: _Class, fid: str, n: int) -> None:
        out[key][fid] = out[key].get(fid, 0) + n
        avail[fid] -= n
        dem.cover(key, cls, fid, n * cap[fid])

    # A fleet whose narrowest class is narrower than the one being covered (a tricycle, for
    # stops a compactor also reaches) is taken last: it is kept for the stops only it reaches.
    narrowest = {fid: min((len(c) for _, c in dem.left if fid in c), default=0) for fid in cap}
    for width in sorted({len(c) for _, c in dem.left}):  # narrowest classes first
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
            for (key, cls) in dem.left
            if len(cls) == width
            for fid in cls
        )
        for *_, key, cls, fid in pairs:  # round 1: whole vehicles, nearest first
            n = min(avail.get(fid, 0), int(max(0.0, dem.left[(key, cls)]) // cap[fid]))
            if n > 0:
                give(key, cls, fid, n)
        while True:  # round 2: one vehicle at a time to the largest demand left
            short = [
                kc
                for kc, left in dem.left.items()
                if len(kc[1]) == width and left > 0 and any(avail.get(f) for f in kc[1])
            ]
            if not short:
                break
            key, cls = min(
                short, key=lambda kc: (bool(out[kc[0]]), -dem.left[kc], pos[kc[0]], kc[1])
            )
            fid = min(
                (f for f in cls if avail.get(f, 0) > 0),
                key=lambda f: (narrowest[f] < width, dem.dist[(key, depot[f])], fpos[f]),
            )
            give(key, cls, fid, 1)
    _spares(dem, avail, give)
    return out


def _spares(
    dem: _Demand,
    avail: dict[str, int],
    give: Callable[[str, _Class, str, int], None],
) -> None:
    """Round 3 (module docstring): each vehicle left once every demand is covered goes, one at
    a time, to a territory of its own depot (one whose nearest depot it is, else the next
    nearest), the one with the most demand left for it; a fleet that alone reaches some
    stops (a tricycle) goes to a territory with such stops first."""
    depots = sorted({f.depot for f in dem.fleets})
    rank = {
        (k, d): sum(dem.dist[(k, e)] < dem.dist[(k, d)] for e in depots)
        for k in dem.order
        for d in depots
    }
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
                    -sum(dem.left[(k, c)] for c in mine[k]),
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
