"""From a scenario day to routing problems: one per stream (the no-mixing rule is structural).

Rules
-----
- Stops are the points due that day for the stream (:func:`wasteopt.generation.due_loads`);
  load = the waste accumulated since the previous collection, in whole kg (rounded up), volume
  = load / stream bulk density, in litres (rounded up).
- A stop's time window is its point's window for the stream
  (:meth:`~wasteopt.scenario.model.CollectionPoint.window`: the ``tw_start.<stream>`` /
  ``tw_end.<stream>`` columns where given, else the point's ``tw_start`` / ``tw_end``).
- A point collected twice a day becomes two stops, ``<id>`` and ``<id>~2``, each with the load
  of one visit; the first must start in the first half of the stream's window as the fleets
  that may serve it work it (the window clipped to their earliest shift start and latest shift
  end), the second in the second half: morning and afternoon rounds of the working day. (Cut
  at the middle of a default 00:00–24:00 window, a 05:00–15:00 fleet would have to make every
  second round after 12:00 and its lunch.)
- Opening hours repeat every day (:func:`wasteopt.clock.daily_hours`); a depot or unload site
  gets the one stretch of its hours, between 0 and the later of its close and the fleets' last
  shift end, that overlaps the fleets' shifts most: ``00:00``–``24:00`` for a night shift
  ending ``26:00`` is ``00:00``–``26:00``, and a depot open ``19:00``–``27:00`` keeps that.
- Where each stop unloads: exactly ``assignment[point_id]`` when an assignment is given (a
  facility plan's decision; a due point missing from it, or sent to a site that is not open or
  refuses the stream, is an :class:`~wasteopt.errors.InputError`, never re-assigned). Without
  an assignment: the nearest open transfer station or treatment facility that accepts the
  stream (by road distance from the point). The sites of the problem are exactly the ones used.
- Fleets are the stream's collection vehicle types; ``cost_cny_per_day`` is the fixed cost of a
  used vehicle; vehicle types with different speeds get separate duration profiles (on a road
  network also types with different road profiles: class, gross weight, shift vs bans), and on
  a road network each profile its own distances: the metres along its own fastest paths.
- Capacity: a fleet plans to the fill margin ``m`` (``[planning] fill_margin``, default 1) of
  its type's payload and body volume, rounded down: ``⌊m × payload_kg⌋`` kg and
  ``⌊m × volume_m3 × 1000⌋`` l, so a day heavier than the expected kg still fits the truck.
  A stop that no fleet allowed to serve it fits at the margin raises the capacity of each of
  those fleets whose real payload carries it to the stop, so no stop is left unserved by the
  margin (and a stop other fleets can take raises nothing).
- Access: a stop may be served by the fleets whose vehicle class reaches its point
  (``point.can_be_served_by(vehicle_type.effective_class)``, the scenario's access rule);
  ``Stop.fleets`` is ``None`` when every fleet may. A stop no fleet may serve stays in the
  problem (it ends unserved, named).
- ``depots`` limits the problem to the fleets based at those depots (territories by depot).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np

from wasteopt.clock import daily_hours
from wasteopt.errors import InputError, Problem
from wasteopt.generation import Demand, due_loads
from wasteopt.network import TravelMatrix
from wasteopt.roads import Profile
from wasteopt.routing.problem import (
    Depot,
    Fleet,
    Lunch,
    RoadRules,
    RoutingProblem,
    Stop,
    UnloadSite,
)
from wasteopt.scenario.model import CollectionPoint, Scenario, VehicleType
from wasteopt.scenario.roads import vehicle_profile
from wasteopt.stopids import stop_id
from wasteopt.travel_table import RoadTable, TravelTable

__all__ = ["build_problem", "fill_margin_note", "nearest_unload_sites", "unload_candidates"]

log = logging.getLogger("wasteopt")


def fill_margin_note(margin: float) -> str:
    """How outputs state the fill margin routes were planned to (empty at 1: the payload)."""
    if margin >= 1.0:
        return ""
    return (
        f"按额定载重{margin:.0%}排线 routes planned to {margin:.0%} of each vehicle's payload "
        "and body volume on the expected kg ([planning] fill_margin), leaving room for "
        "heavier days"
    )


def unload_candidates(scenario: Scenario, stream: str) -> list[tuple[str, str, int, int, int]]:
    """Open stations and treatment facilities accepting ``stream``: (id, name, open, close,
    unload_s)."""
    out = [
        (s.id, s.name, s.open_s, s.close_s, s.unload_time_s)
        for s in scenario.open_stations()
        if stream in s.streams
    ]
    out += [
        (f.id, f.name, f.open_s, f.close_s, f.unload_time_s)
        for f in scenario.facilities
        if stream in f.streams
    ]
    return out


def nearest_unload_sites(
    scenario: Scenario, matrix: TravelMatrix, stream: str, point_ids: Collection[str]
) -> dict[str, str]:
    """Each point's nearest (by road distance) open site accepting ``stream``."""
    cands = unload_candidates(scenario, stream)
    if not cands or not point_ids:
        return {}
    pts = list(point_ids)
    best = matrix.nearest(pts, [c[0] for c in cands])
    return {p: cands[int(b)][0] for p, b in zip(pts, best, strict=True)}


def build_problem(
    scenario: Scenario,
    demand: Demand,
    day_index: int,
    stream: str,
    matrix: TravelMatrix,
    *,
    assignment: Mapping[str, str] | None = None,
    depots: Collection[str] | None = None,
) -> RoutingProblem:
    """The routing problem of ``stream`` on day ``day_index`` of ``demand`` (see module rules).
    Raises :class:`InputError` naming every due point the ``assignment`` leaves out or sends to
    a site that is not open or refuses the stream."""
    vtypes = [
        v
        for v in scenario.vehicle_types
        if v.stream == stream and v.role == "collection" and (depots is None or v.depot in depots)
    ]
    stops, stop_points = _due_stops(scenario, demand, day_index, stream, matrix, assignment, vtypes)
    unreachable = [s.id for s in stops if s.fleets == ()]
    if unreachable:
        log.warning(
            "%s day %d: no %s vehicle class may serve %d stop(s), they stay unserved: %s",
            scenario.id,
            day_index,
            stream,
            len(unreachable),
            ", ".join(unreachable[:10]) + (" ..." if len(unreachable) > 10 else ""),
        )
    shifts = _shift_span(vtypes) if vtypes else (0, 0)
    sites = _used_sites(scenario, stream, stops, shifts)
    problem_depots = tuple(
        Depot(id=d.id, name=d.name, **_hours(d.open_s, d.close_s, _span(vtypes, d.id)))
        for d in (scenario.depot(i) for i in sorted({v.depot for v in vtypes}))
    )
    roads = scenario.network.roads is not None
    speeds = list(dict.fromkeys(sorted((_profile_of(v, roads) for v in vtypes), key=_by_speed)))
    cap = _capacities(vtypes, stops, scenario.planning.fill_margin)
    fleets = tuple(
        _fleet(v, stream, profile=speeds.index(_profile_of(v, roads)), capacity=cap[v.id])
        for v in vtypes
    )
    locations = [d.id for d in problem_depots] + [s.id for s in sites] + [s.id for s in stops]
    matrix_ids = [d.id for d in problem_depots] + [s.id for s in sites] + stop_points
    distance, durations, distances = _problem_matrices(matrix, matrix_ids, speeds)
    return RoutingProblem(
        name=f"{scenario.id}/{scenario.variant}/day{day_index}/{stream}",
        stream=stream,
        stops=tuple(stops),
        sites=sites,
        depots=problem_depots,
        fleets=fleets,
        locations=tuple(locations),
        distance_m=distance,
        durations_s=durations,
        distances_m=distances,
        roads=_road_rules(scenario, locations, matrix_ids, vtypes),
    )


def _road_rules(
    scenario: Scenario, locations: list[str], matrix_ids: list[str], vtypes: list[VehicleType]
) -> RoadRules | None:
    """What the checker needs to judge legs on the road network (none without one)."""
    net = scenario.network
    if net.roads is None:
        return None
    where = {s[0]: (s[1], s[2]) for s in scenario.sites()}
    return RoadRules(
        graph=net.roads,
        snap_speed_kmh=net.snap_speed_kmh,
        places={loc: where[m] for loc, m in zip(locations, matrix_ids, strict=True)},
        profiles={v.id: vehicle_profile(v) for v in vtypes},
    )


def _due_stops(
    scenario: Scenario,
    demand: Demand,
    day_index: int,
    stream: str,
    matrix: TravelMatrix,
    assignment: Mapping[str, str] | None,
    vtypes: Sequence[VehicleType],
) -> tuple[list[Stop], list[str]]:
    """The day's stops (twice-daily points give a morning and an evening stop, each with the
    load of one visit) and the point behind each stop (its row in the travel matrix)."""
    density = scenario.stream(stream).density_kg_per_m3
    ids, kg, visits = due_loads(scenario, demand, day_index, stream)
    due = [pid for pid, load in zip(ids, kg, strict=True) if load > 0]
    if assignment is None:
        site_of = nearest_unload_sites(scenario, matrix, stream, due)
    else:
        site_of = _assigned_sites(scenario, stream, due, assignment)
    stops: list[Stop] = []
    stop_points: list[str] = []
    for pid, load, n_visits in zip(ids, kg, visits, strict=True):
        if load <= 0:
            continue
        p = scenario.point(pid)
        site = site_of.get(pid)
        fleets = _allowed_fleets(p, vtypes)
        tw_start, tw_end = p.window(stream)
        windows = [(tw_start, tw_end)]
        if int(n_visits) >= 2:
            mid = _round_split(tw_start, tw_end, fleets, vtypes)
            windows = [(tw_start, mid), (mid, tw_end)]
        load_kg = math.ceil(float(load))
        for k, (a, b) in enumerate(windows):
            stops.append(
                Stop(
                    id=stop_id(pid, k),
                    name=p.name,
                    stream=stream,
                    load_kg=load_kg,
                    volume_l=math.ceil(load_kg / density * 1000.0),
                    service_s=p.service_time_s,
                    tw_start_s=a,
                    tw_end_s=b,
                    unload_at=(site,) if site else (),
                    fleets=fleets,
                )
            )
            stop_points.append(pid)
    return stops, stop_points


def _round_split(
    tw_start: int, tw_end: int, fleets: tuple[str, ...] | None, vtypes: Sequence[VehicleType]
) -> int:
    """Where a twice-daily point's first round ends and its second begins: the middle of its
    window clipped to the working span of the fleets that may serve it (the middle of the
    window itself when the two do not overlap)."""
    work = [v for v in vtypes if fleets is None or v.id in fleets]
    lo, hi = tw_start, tw_end
    if work:
        first, last = _shift_span(work)
        lo, hi = max(lo, first), min(hi, last)
    if hi <= lo:
        lo, hi = tw_start, tw_end
    return (lo + hi) // 2


def _allowed_fleets(
    point: CollectionPoint, vtypes: Sequence[VehicleType]
) -> tuple[str, ...] | None:
    """The fleets whose vehicle class reaches ``point``; ``None`` when all of them do (the
    usual case, and every case with the default classes: main roads, compactors)."""
    ok = tuple(v.id for v in vtypes if point.can_be_served_by(v.effective_class))
    return None if len(ok) == len(vtypes) else ok


def _assigned_sites(
    scenario: Scenario, stream: str, due: list[str], assignment: Mapping[str, str]
) -> dict[str, str]:
    """Each due point's site from ``assignment``, used exactly: a point left out, or sent to
    a site that is not open or refuses the stream, is an :class:`InputError` (all named)."""
    open_ids = {c[0] for c in unload_candidates(scenario, stream)}
    problems: list[Problem] = []
    for pid in due:
        site = assignment.get(pid, "")
        if not site:
            problems.append(
                Problem(
                    file="assignment",
                    where=f"point {pid}",
                    field=stream,
                    message=f"point {pid} is due for {stream!r} but has no unload site",
                    expected=f"the site that takes its {stream!r} waste (no silent re-assignment)",
                )
            )
        elif site not in open_ids:
            problems.append(
                Problem(
                    file="assignment",
                    where=f"point {pid}",
                    field=stream,
                    value=site,
                    message=f"sends {stream!r} to a site that is not open or refuses it",
                    expected=f"one of {', '.join(sorted(open_ids)) or 'no open site'}",
                )
            )
    if problems:
        raise InputError(problems)
    return {pid: assignment[pid] for pid in due}


def _span(vtypes: Sequence[VehicleType], depot: str) -> tuple[int, int]:
    """The working span (:func:`_shift_span`) of the fleets based at ``depot``."""
    return _shift_span([v for v in vtypes if v.depot == depot])


def _shift_span(vtypes: Sequence[VehicleType]) -> tuple[int, int]:
    """From the earliest shift start to the latest shift end of ``vtypes`` (not empty)."""
    return min(v.shift_start_s for v in vtypes), max(v.shift_end_s for v in vtypes)


def _hours(open_s: int, close_s: int, shifts: tuple[int, int]) -> dict[str, int]:
    """``open_s`` / ``close_s`` of the stretch of daily opening hours the ``shifts`` span
    ``(first start, last end)`` overlaps most (see module rules; ties: the earliest)."""
    lo, hi = shifts
    stretches = daily_hours(open_s, close_s, 0, max(close_s, hi))
    if not stretches:  # no hours before the horizon's end: as written
        return {"open_s": open_s, "close_s": close_s}
    a, b = max(stretches, key=lambda ab: (min(ab[1], hi) - max(ab[0], lo), -ab[0]))
    return {"open_s": a, "close_s": b}


def _used_sites(
    scenario: Scenario, stream: str, stops: list[Stop], shifts: tuple[int, int]
) -> tuple[UnloadSite, ...]:
    """The unload sites the stops use, by id (each an open site accepting the stream), with
    the stretch of their hours the fleets' ``shifts`` span overlaps most."""
    cand = {c[0]: c for c in unload_candidates(scenario, stream)}
    used = sorted({s for stop in stops for s in stop.unload_at})
    return tuple(
        UnloadSite(
            id=cand[s][0],
            name=cand[s][1],
            streams=(stream,),
            unload_s=cand[s][4],
            **_hours(cand[s][2], cand[s][3], shifts),
        )
        for s in used
    )


def _capacities(
    vtypes: Sequence[VehicleType], stops: Sequence[Stop], margin: float
) -> dict[str, tuple[int, int]]:
    """The kg and litres each type plans to: ``margin`` of its payload and volume (rounded
    down), raised to a stop that no type it may go to fits at the margin but this type's
    real payload carries (so the margin never leaves a stop unservable)."""
    full = {v.id: (int(v.payload_kg), int(v.volume_m3 * 1000)) for v in vtypes}
    if margin >= 1.0:
        return full
    # 1e-6: 0.9 × 4000 is 3599.9999999999995 in floating point, and means 3600
    cap = {
        i: (math.floor(margin * kg + 1e-6), math.floor(margin * litres + 1e-6))
        for i, (kg, litres) in full.items()
    }

    def fits(size: tuple[int, int], s: Stop) -> bool:
        return s.load_kg <= size[0] and (not size[1] or s.volume_l <= size[1])  # 0 l: no limit

    for s in stops:
        allowed = [i for i in cap if s.allows(i)]
        if any(fits(cap[i], s) for i in allowed):
            continue
        for i in allowed:
            if fits(full[i], s):
                kg, litres = cap[i]
                cap[i] = (max(kg, s.load_kg), max(litres, s.volume_l) if litres else 0)
    return cap


def _fleet(v: VehicleType, stream: str, *, profile: int, capacity: tuple[int, int]) -> Fleet:
    """A collection vehicle type as a fleet: ``capacity`` (kg, litres) per trip, a shift of
    ``shift_end - shift_start`` at most, a lunch break when the type has one (taken empty at
    the depot or an unload site: the strict default place), its day's cost as the fixed cost of
    a used vehicle."""
    lunch = None
    if v.lunch_earliest_s is not None and v.lunch_latest_s is not None and v.lunch_duration_s > 0:
        lunch = Lunch(
            earliest_s=v.lunch_earliest_s, latest_s=v.lunch_latest_s, duration_s=v.lunch_duration_s
        )
    return Fleet(
        id=v.id,
        stream=stream,
        depot=v.depot,
        count=v.count,
        capacity_kg=capacity[0],
        capacity_l=capacity[1],
        shift_start_s=v.shift_start_s,
        shift_end_s=v.shift_end_s,
        max_duration_s=v.shift_end_s - v.shift_start_s,
        lunch=lunch,
        max_stops=v.max_stops,
        max_shift_load_kg=None if v.max_shift_load_kg is None else int(v.max_shift_load_kg),
        max_trips=v.max_trips,
        fixed_cost=v.cost_cny_per_day,
        cost_per_km=v.cost_cny_per_km,
        cost_per_hour=v.cost_cny_per_hour,
        co2_kg_per_km=v.co2_kg_per_km,
        profile=profile,
    )


def _profile_of(v: VehicleType, roads: bool) -> tuple[float, Profile | None]:
    """A vehicle type's duration profile: its speed, and on a road network the roads it may
    use over its shift (:func:`wasteopt.scenario.roads.vehicle_profile`)."""
    return v.speed_kmh, vehicle_profile(v) if roads else None


def _by_speed(p: tuple[float, Profile | None]) -> tuple[float, str]:
    return p[0], repr(None if p[1] is None else p[1].key)


def _problem_matrices(
    matrix: TravelMatrix, matrix_ids: list[str], speeds: list[tuple[float, Profile | None]]
) -> tuple[
    np.ndarray | TravelTable,
    tuple[np.ndarray | TravelTable, ...],
    tuple[np.ndarray | TravelTable, ...],
]:
    """Distances, one duration matrix per speed and, on a road network, one distance matrix
    per profile (the metres along its own fastest paths; elsewhere none: every profile drives
    the one distance matrix), indexed like the problem's locations.

    Works on the sub-matrix of the sites involved (a territory of a large city stays small);
    twice-daily stops repeat their point's row and column. A lazy scenario matrix gives lazy
    tables of the same positions (nothing computed until a territory or a leg asks).
    """
    if isinstance(matrix.distance_m, TravelTable):
        table = matrix.distance_m.take(matrix.indices(matrix_ids))
        lazy_durations: tuple[TravelTable, ...]
        own: tuple[TravelTable, ...] = ()
        if isinstance(table, RoadTable):
            profiles = [p or Profile(speed_kmh=v) for v, p in speeds]
            lazy_durations = tuple(table.for_profile(p) for p in profiles)
            own = tuple(table.for_profile(p, seconds=False) for p in profiles)
        else:
            lazy_durations = tuple(table.travel_time(v) for v, _ in speeds)
        return table, lazy_durations or (table.travel_time(1.0),), own  # no vehicle: never read
    unique_ids = list(dict.fromkeys(matrix_ids))
    sub = matrix.sub(unique_ids)
    pos = {site: i for i, site in enumerate(unique_ids)}
    idx = np.fromiter((pos[m] for m in matrix_ids), dtype=np.intp, count=len(matrix_ids))
    grid = np.ix_(idx, idx)
    distance = np.ascontiguousarray(np.asarray(sub.distance_m)[grid])
    durations = tuple(
        np.ascontiguousarray(np.asarray(sub.durations_s(speed))[grid]) for speed, _ in speeds
    ) or (np.zeros_like(distance),)
    return distance, durations, ()
