"""The PyVRP model of a routing problem (``pyvrp.ProblemData``), as described in
:mod:`wasteopt.routing.engines._pyvrp`: locations with one virtual END per garage, garages,
unload sites as reload depots, optional clients with a prize, one routing profile per
(duration profile, unload group, access ban) and one vehicle type per fleet and unload group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from wasteopt.routing.problem import Depot, Fleet, RoutingProblem, Stop, UnloadSite

__all__ = ["FULL_SPLIT_S", "Built", "Decoder", "build_data"]

IntMatrix = npt.NDArray[np.int64]

MAX_COST_UNITS_PER_CNY = 10_000
RATE_TOLERANCE = 0.005
SPLIT_SLACK = 2.0
"""Under ``FULL_SPLIT_S`` of budget a split vehicle type gets ``min(count, ceil(SPLIT_SLACK ×
count × its group's load share))`` vehicles, from then on the fleet's full count (see
:func:`split_counts`)."""
FULL_SPLIT_S = 10.0
UNREACHABLE_S = 10_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Decoder:
    """How to turn PyVRP indices back into ids."""

    client_ids: tuple[str, ...]
    depot_site: dict[int, str]  # PyVRP depot index of a reload depot → site id
    type_fleet: tuple[str, ...]  # vehicle type → fleet id
    type_end_site: tuple[tuple[str, ...], ...]  # vehicle type → location → final unload site


@dataclass(frozen=True, slots=True, kw_only=True)
class Built:
    """The PyVRP data, how to decode its answers, and the stops no vehicle can take."""

    data: Any  # pyvrp.ProblemData (pyvrp is imported lazily)
    decoder: Decoder
    unservable: tuple[str, ...]
    n_stops: int  # stops of the problem (sizes the repair reserve)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Scope:
    """What of the problem is routed: the stream's fleets, sites and servable stops."""

    problem: RoutingProblem
    idx: dict[str, int]
    fleets: list[Fleet]
    sites: list[UnloadSite]
    stops: list[Stop]
    unservable: tuple[str, ...]
    depots: dict[str, Depot]
    garages: list[str]
    groups: list[list[str]]
    bans: list[tuple[int, ...]]  # distinct sets of stop locations some fleet may not serve
    fleet_ban: dict[str, int]  # fleet → its set in ``bans``
    lunch_s: int  # longest lunch of a lunch fleet (0: none)
    lunch_from_s: int  # earliest lunch start of a lunch fleet

    def tighten(self, late: int, early: int) -> int:
        """A latest time pulled forward by the longest lunch when it lies after the earliest
        lunch start (the conservative lunch data; never before ``early``)."""
        if self.lunch_s and late >= self.lunch_from_s:
            return max(early, late - self.lunch_s)
        return late


@dataclass(frozen=True, slots=True, kw_only=True)
class _Depots:
    """PyVRP locations and depots, and the depot index of each garage, site and END."""

    locations: list[Any]
    depots: list[Any]
    garage: dict[str, int]
    site: dict[str, int]
    end: dict[str, int]
    end_loc: dict[str, int]  # garage → location index of its END


@dataclass(frozen=True, slots=True, kw_only=True)
class _CostUnits:
    scale: int
    per_m: dict[str, int]  # fleet → cost units per metre
    per_s: dict[str, int]  # fleet → cost units per second


@dataclass(frozen=True, slots=True, kw_only=True)
class _Profiles:
    """Routing profiles (one per duration profile, unload group and access ban) and final
    unload sites."""

    index: dict[tuple[int, int, int], int]
    distances: list[IntMatrix]
    durations: list[IntMatrix]
    end_site: dict[tuple[int, str, int], tuple[str, ...]]


def eligible_sites(stop: Stop, sites: list[str]) -> list[str]:
    """The sites (of ``sites``) that may take ``stop``'s load."""
    return [s for s in sites if not stop.unload_at or s in stop.unload_at]


def shift_load_proxy(fleet: Fleet, depot_unloads: bool) -> tuple[int, int | None]:
    """(per-trip kg capacity, trip limit) given to PyVRP for this fleet.

    When ``max_shift_load_kg`` can bind (below ``capacity_kg × max_trips``), the fleet is given
    ``t = ceil(max_shift_load_kg / capacity_kg)`` trips of ``max_shift_load_kg // t`` kg: any
    PyVRP route then respects the shift total (a conservative but exact restriction).
    """
    trips = None if depot_unloads else fleet.max_trips
    msl = fleet.max_shift_load_kg
    cap = fleet.capacity_kg
    if msl is None or depot_unloads or (trips is not None and msl >= cap * trips):
        return cap, trips
    t = max(1, -(-msl // max(1, cap)))
    return min(cap, msl // t), t


def cost_scale(fleets: list[Fleet]) -> int:
    """Integer cost units per CNY: the smallest power of ten (at most 10^4) at which every
    rate (per metre, per second) and fixed cost rounds within 0.5 %.

    Small units matter: PyVRP's penalties for excess load and time warp are capped (10^5 per
    unit), so costs scaled far above the data's own units leave infeasibility too cheap (seen
    on CVRPLIB X: 9 % worse than PyVRP on its own reading at 10^4 units per CNY).
    """
    rates = [
        r
        for f in fleets
        for r in (f.cost_per_km / 1000, f.cost_per_hour / 3600, f.fixed_cost)
        if r > 0
    ]
    scale = 1
    while scale < MAX_COST_UNITS_PER_CNY and any(
        abs(round(r * scale) - r * scale) > RATE_TOLERANCE * r * scale for r in rates
    ):
        scale *= 10
    return scale


def split_counts(
    fleets: list[Fleet], used: list[int], load: list[float], budget_s: float
) -> dict[tuple[str, int], int]:
    """Vehicles of each fleet given to each unload group's vehicle type.

    One group, or a budget of at least ``FULL_SPLIT_S`` (the deterministic mode passes
    ``inf``): the fleet's full count per type. Otherwise ``min(count, ceil(SPLIT_SLACK × count
    × share))`` where ``share`` is the group's part of the total load. Measured on Jintan day
    25 ("other": 16 sites, "kitchen": 8, 690 stops each, one seed, a loaded machine): at 5 s
    the load shares cost 2–7 % less on "other" (kitchen mixed), at 20 s the full counts cost
    2 % ("other") and 6 % ("kitchen") less — a longer search uses the freedom of choosing
    sites, a short one is better off with fewer surplus routes. Either way PyVRP may use more
    vehicles than exist; repair merges or moves surplus routes
    (:func:`wasteopt.routing.schedule.repair_routes`).

    Access (lanes only e-tricycles reach) keeps this rule, by measurement on Jintan day 18
    (300 iterations, 2 workers; kitchen / other, base / consolidate variant): the full counts
    let PyVRP run the cheap e-tricycles on more routes than exist, and the old repair then
    dropped lane stops (kitchen 8 and 13 unserved). With the access-aware repair the full
    counts give 0 / 0 / 0 / 3 unserved at objective 15 826 / 15 300 / 29 996 / 31 522;
    giving the e-tricycles (the class alone reaching some stops) exactly their real count
    over the groups gave 0 / 0 / 0 / 6 at 16 256 / 17 218 / 30 821 / 33 406, and every
    access-restricted fleet its real count 7 % more on "other" base.
    """
    if len(used) == 1 or budget_s >= FULL_SPLIT_S:
        return {(f.id, k): f.count for f in fleets for k in used}
    total = sum(load[k] for k in used) or 1.0
    return {
        (f.id, k): min(f.count, math.ceil(SPLIT_SLACK * f.count * load[k] / total))
        for f in fleets
        for k in used
    }


def build_data(problem: RoutingProblem, pyvrp: ModuleType, budget_s: float) -> Built | None:
    """The PyVRP data described in the engine's docstring (None: nothing can be routed);
    ``budget_s`` sizes the split of fleets over unload groups (:func:`split_counts`)."""
    scope = _scope(problem)
    if scope is None:
        return None
    depots = _depots(scope, pyvrp)
    units = _cost_units(scope.fleets)
    # A second load dimension only when some fleet limits volume.
    n_dims = (
        2
        if any(f.capacity_l > 0 for f in scope.fleets) and any(s.volume_l for s in scope.stops)
        else 1
    )
    clients = _clients(scope, pyvrp, units, n_dims)
    group_load, used_groups = _group_loads(scope)
    profiles = _profiles(scope, depots, used_groups)
    split = split_counts(scope.fleets, used_groups, group_load, budget_s)
    vtypes, type_fleet, type_end_site = _vehicle_types(
        scope, pyvrp, depots, units, profiles, split, used_groups, n_dims
    )
    data = pyvrp.ProblemData(
        depots.locations, clients, depots.depots, vtypes, profiles.distances, profiles.durations
    )
    decoder = Decoder(
        client_ids=tuple(s.id for s in scope.stops),
        depot_site={v: k for k, v in depots.site.items()},
        type_fleet=tuple(type_fleet),
        type_end_site=tuple(type_end_site),
    )
    return Built(
        data=data, decoder=decoder, unservable=scope.unservable, n_stops=len(problem.stops)
    )


def _scope(problem: RoutingProblem) -> _Scope | None:
    """The stream's fleets (with vehicles), sites and the stops some vehicle can take (a
    fleet the stop allows, big enough); the unload groups (one per site when some stop may
    not unload everywhere); the access bans (the stops each fleet may not serve); lunch data."""
    stream = problem.stream
    fleets = [f for f in problem.fleets if f.stream == stream and f.count > 0]
    sites = [s for s in problem.sites if stream in s.streams]
    site_ids = [s.id for s in sites]
    if not fleets or (not problem.depot_unloads and not sites):
        return None
    stops: list[Stop] = []
    unservable: list[str] = []
    for s in problem.stops:
        ok = s.stream == stream and any(
            s.load_kg <= f.capacity_kg and s.allows(f.id) for f in fleets
        )
        if not problem.depot_unloads and not eligible_sites(s, site_ids):
            ok = False
        if ok:
            stops.append(s)
        else:
            unservable.append(s.id)
    if not stops:
        return None
    groups: list[list[str]]
    if problem.depot_unloads:
        groups = [[]]
    elif any(s.unload_at and set(site_ids) - set(s.unload_at) for s in stops):
        groups = [[s] for s in site_ids]
    else:
        groups = [site_ids]
    idx = problem.index()
    bans: list[tuple[int, ...]] = []
    fleet_ban: dict[str, int] = {}
    for f in fleets:  # fleets of one vehicle class share a ban, so profiles stay few
        ban = tuple(idx[s.id] for s in stops if not s.allows(f.id))
        if ban not in bans:
            bans.append(ban)
        fleet_ban[f.id] = bans.index(ban)
    lunches = [f.lunch for f in fleets if f.lunch is not None]
    return _Scope(
        problem=problem,
        idx=idx,
        fleets=fleets,
        sites=sites,
        stops=stops,
        unservable=tuple(unservable),
        depots={d.id: d for d in problem.depots},
        garages=sorted({f.depot for f in fleets}, key=lambda d: idx[d]),
        groups=groups,
        bans=bans,
        fleet_ban=fleet_ban,
        lunch_s=max((lu.duration_s for lu in lunches), default=0),
        lunch_from_s=min((lu.earliest_s for lu in lunches), default=0),
    )


def _depots(scope: _Scope, pyvrp: ModuleType) -> _Depots:
    """Locations (the problem's, then one END per garage) and depots (garages, then unload
    sites as reload depots with tightened closing times, then the ENDs)."""
    problem, idx = scope.problem, scope.idx
    n_loc = len(problem.locations)
    unloads = not problem.depot_unloads
    locations = [pyvrp.Location(x=0, y=0, name=loc) for loc in problem.locations]
    if unloads:
        locations += [pyvrp.Location(x=0, y=0, name=f"END:{g}") for g in scope.garages]
    depots: list[Any] = []
    garage: dict[str, int] = {}
    for g in scope.garages:
        d = scope.depots[g]
        garage[g] = len(depots)
        depots.append(pyvrp.Depot(location=idx[g], tw_early=d.open_s, tw_late=d.close_s, name=g))
    site: dict[str, int] = {}
    end: dict[str, int] = {}
    end_loc = {g: n_loc + i for i, g in enumerate(scope.garages)}
    if unloads:
        for s in scope.sites:
            site[s.id] = len(depots)
            depots.append(
                pyvrp.Depot(
                    location=idx[s.id],
                    tw_early=s.open_s,
                    tw_late=scope.tighten(s.close_s, s.open_s),
                    service_duration=s.unload_s,
                    name=s.id,
                )
            )
        for g in scope.garages:
            end[g] = len(depots)
            depots.append(pyvrp.Depot(location=end_loc[g], name=f"END:{g}"))
    return _Depots(
        locations=locations, depots=depots, garage=garage, site=site, end=end, end_loc=end_loc
    )


def _cost_units(fleets: list[Fleet]) -> _CostUnits:
    scale = cost_scale(fleets)
    return _CostUnits(
        scale=scale,
        per_m={f.id: max(0, round(f.cost_per_km * scale / 1000)) for f in fleets},
        per_s={f.id: max(0, round(f.cost_per_hour * scale / 3600)) for f in fleets},
    )


def _clients(scope: _Scope, pyvrp: ModuleType, units: _CostUnits, n_dims: int) -> list[Any]:
    """One client per servable stop.

    Required when the fleet can plainly carry everything (CVRP/VRPTW benchmarks): PyVRP then
    searches exactly as on its own instances. Otherwise optional with a prize far above any
    route's cost, so a too-small fleet leaves stops out instead of failing.
    """
    problem, fleets = scope.problem, scope.fleets
    max_fixed = max(round(f.fixed_cost * units.scale) for f in fleets)
    tables = {id(t): t for t in (problem.distance_of(f.profile) for f in fleets)}
    max_d = max(int(np.asarray(t, dtype=np.int64).max(initial=0)) for t in tables.values())
    max_t = max(int(np.asarray(m).max(initial=0)) for m in problem.durations_s)
    prize = (
        10
        * (
            max_fixed
            + 4 * max_d * max(units.per_m.values())
            + 4 * max_t * max(units.per_s.values())
            + 4 * max_t
        )
        + 1_000_000
    )
    total_kg = sum(s.load_kg for s in scope.stops)
    required = (
        problem.depot_unloads
        and total_kg <= sum(f.count * f.capacity_kg for f in fleets)
        and all(s.fleets is None for s in scope.stops)
    )
    return [
        pyvrp.Client(
            location=scope.idx[s.id],
            pickup=[s.load_kg, s.volume_l][:n_dims],
            service_duration=s.service_s,
            tw_early=s.tw_start_s,
            tw_late=scope.tighten(s.tw_end_s, s.tw_start_s),
            prize=0 if required else prize,
            required=required,
            name=s.id,
        )
        for s in scope.stops
    ]


def _group_loads(scope: _Scope) -> tuple[list[float], list[int]]:
    """Load per unload group (a stop eligible in several groups counts a share in each) and
    the groups with any load."""
    group_load = [0.0] * len(scope.groups)
    for s in scope.stops:
        elig = [
            k
            for k, grp in enumerate(scope.groups)
            if scope.problem.depot_unloads or eligible_sites(s, grp)
        ]
        for k in elig:
            group_load[k] += s.load_kg / len(elig)
    return group_load, [k for k in range(len(scope.groups)) if group_load[k] > 0]


def _profiles(scope: _Scope, depots: _Depots, used_groups: list[int]) -> _Profiles:
    """One routing profile per (duration profile, unload group, access ban): the problem's
    matrices of that profile (its durations and its own distances,
    :meth:`~wasteopt.routing.problem.RoutingProblem.distance_of`), each garage's END column
    priced as the cheapest final unload, and stops that may not unload in the group or that
    the ban's fleets may not serve made unreachable.
    Without access restrictions there is one ban (empty), so one profile per (duration
    profile, group)."""
    problem = scope.problem
    n_loc = len(problem.locations)
    n_all = n_loc + (0 if problem.depot_unloads else len(scope.garages))
    out = _Profiles(index={}, distances=[], durations=[], end_site={})
    cost_fleet: dict[int, Fleet] = {}  # one representative fleet per profile
    for fleet in scope.fleets:
        cost_fleet.setdefault(fleet.profile, fleet)
    for prof, rep in sorted(cost_fleet.items()):
        dur = np.asarray(problem.durations_s[prof], dtype=np.int64)
        base_dist = np.asarray(problem.distance_of(prof), dtype=np.int64)
        bans = sorted({scope.fleet_ban[f.id] for f in scope.fleets if f.profile == prof})
        for k in used_groups:
            group = scope.groups[k]
            dm = np.zeros((n_all, n_all), dtype=np.int64)
            tm = np.zeros((n_all, n_all), dtype=np.int64)
            dm[:n_loc, :n_loc] = base_dist
            tm[:n_loc, :n_loc] = dur
            banned_here: list[int] = []
            if not problem.depot_unloads:
                for g in scope.garages:
                    out.end_site[(prof, g, k)] = _end_column(
                        scope, rep, group, g, base_dist, dur, dm, tm, depots.end_loc[g]
                    )
                banned_here = [scope.idx[s.id] for s in scope.stops if not eligible_sites(s, group)]
            here = set(banned_here)
            for b in bans:
                banned = banned_here + [i for i in scope.bans[b] if i not in here]
                tm_b = tm.copy() if len(bans) > 1 else tm
                if banned:
                    tm_b[:, banned] = UNREACHABLE_S
                    tm_b[banned, banned] = 0
                out.index[(prof, k, b)] = len(out.distances)
                out.distances.append(dm)
                out.durations.append(tm_b)
    return out


def _end_column(
    scope: _Scope,
    rep: Fleet,
    group: list[str],
    garage: str,
    base_dist: IntMatrix,
    dur: IntMatrix,
    dm: IntMatrix,
    tm: IntMatrix,
    end: int,
) -> tuple[str, ...]:
    """Fill column ``end`` of ``dm``/``tm`` with the cheapest detour ``j → site → garage``
    over the group's sites (priced with ``rep``'s rates); returns the chosen site per location."""
    n_loc = len(scope.problem.locations)
    unload_of = {x.id: x.unload_s for x in scope.sites}
    gi = scope.idx[garage]
    cols = [scope.idx[sid] for sid in group]
    dd = base_dist[:n_loc, cols] + base_dist[cols, gi][None, :]
    tt = (
        dur[:n_loc, cols]
        + np.array([unload_of[s] for s in group])[None, :]
        + dur[cols, gi][None, :]
    )
    price = rep.cost_per_km * dd / 1000 + rep.cost_per_hour * tt / 3600 + 1e-9 * (dd + tt)
    choice = np.argmin(price, axis=1)
    rows = np.arange(n_loc)
    dm[:n_loc, end] = dd[rows, choice]
    tm[:n_loc, end] = tt[rows, choice]
    return tuple(group[int(c)] for c in choice)


def _vehicle_types(
    scope: _Scope,
    pyvrp: ModuleType,
    depots: _Depots,
    units: _CostUnits,
    profiles: _Profiles,
    split: dict[tuple[str, int], int],
    used_groups: list[int],
    n_dims: int,
) -> tuple[list[Any], list[str], list[tuple[str, ...]]]:
    """One vehicle type per fleet and unload group (lunch taken off the shift), with the fleet
    and the final unload sites of each type."""
    problem = scope.problem
    vol_cap_free = sum(s.volume_l for s in scope.stops) + 1
    vtypes: list[Any] = []
    type_fleet: list[str] = []
    type_end_site: list[tuple[str, ...]] = []
    for fleet in scope.fleets:
        lunch = fleet.lunch.duration_s if fleet.lunch is not None else 0
        depot = scope.depots[fleet.depot]
        early = max(fleet.shift_start_s, depot.open_s)
        late = max(early, min(fleet.shift_end_s, depot.close_s) - lunch)
        kwargs: dict[str, int] = {}
        if fleet.max_duration_s is not None:
            kwargs["shift_duration"] = max(0, fleet.max_duration_s - lunch)
        cap_kg, trips = shift_load_proxy(fleet, problem.depot_unloads)
        if trips is not None:
            kwargs["max_reloads"] = max(0, trips - 1)
        home = depots.garage[fleet.depot]
        for k in used_groups:
            group = scope.groups[k]
            count = split[(fleet.id, k)]
            if count <= 0:
                continue
            vtypes.append(
                pyvrp.VehicleType(
                    num_available=count,
                    capacity=[cap_kg, fleet.capacity_l or vol_cap_free][:n_dims],
                    start_depot=home,
                    end_depot=home if problem.depot_unloads else depots.end[fleet.depot],
                    fixed_cost=round(fleet.fixed_cost * units.scale),
                    tw_early=early,
                    tw_late=late,
                    unit_distance_cost=units.per_m[fleet.id],
                    unit_duration_cost=units.per_s[fleet.id],
                    profile=profiles.index[(fleet.profile, k, scope.fleet_ban[fleet.id])],
                    reload_depots=[depots.site[s] for s in group],
                    name=f"{fleet.id}:{'+'.join(group)}",
                    **kwargs,
                )
            )
            type_fleet.append(fleet.id)
            type_end_site.append(profiles.end_site.get((fleet.profile, fleet.depot, k), ()))
    return vtypes, type_fleet, type_end_site
