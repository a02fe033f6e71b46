"""Behaviour every routing engine shares on tiny hand-made problems (multi-trip, lunch, unload
sites, shift limits); the generic promises are in ``test_routing_engine_contract.py``."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from wasteopt.errors import InputError
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import Depot, Fleet, Lunch, RoutingProblem, Stop, UnloadSite
from wasteopt.routing.settings import ENGINES, RoutingSettings
from wasteopt.routing.solve import solve

H = 3600
LIMIT_S = 2.0  # seconds; small problems, generous for a loaded CI machine


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Each routing engine by name."""
    name: str = request.param
    return name


def make_problem(
    n: int = 8,
    *,
    load_kg: int = 400,
    capacity_kg: int = 1000,
    count: int = 1,
    sites: tuple[str, ...] = ("S",),
    seed: int = 1,
    **fleet_kw: object,
) -> RoutingProblem:
    """Depot G, unload sites, n stops P0.. scattered over a 6 km square (25 km/h)."""
    rng = np.random.default_rng(seed)
    locs = ("G", *sites, *(f"P{i}" for i in range(n)))
    xy = rng.uniform(0, 6000, (len(locs), 2))
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    dist = dist.astype(np.int64)
    dur = np.rint(dist / (25 / 3.6)).astype(np.int64)
    stops = tuple(
        Stop(id=f"P{i}", stream="other", load_kg=load_kg, volume_l=load_kg * 2, service_s=180)
        for i in range(n)
    )
    kw: dict[str, object] = dict(
        shift_start_s=7 * H,
        shift_end_s=17 * H,
        cost_per_km=4.0,
        cost_per_hour=60.0,
        fixed_cost=200.0,
    )
    kw.update(fleet_kw)
    fleet = Fleet(id="F", stream="other", depot="G", count=count, capacity_kg=capacity_kg, **kw)  # type: ignore[arg-type]
    return RoutingProblem(
        name="tiny",
        stream="other",
        stops=stops,
        sites=tuple(UnloadSite(id=s, streams=("other",), unload_s=600) for s in sites),
        depots=(Depot(id="G"),),
        fleets=(fleet,),
        locations=locs,
        distance_m=dist,
        durations_s=(dur,),
    )


def run(problem: RoutingProblem, engine: str, seed: int = 0) -> RoutePlan:
    return solve(problem, RoutingSettings(engine=engine, time_limit_s=LIMIT_S, seed=seed))


def site_visits(problem: RoutingProblem, visits: tuple[str, ...]) -> list[int]:
    sites = {s.id for s in problem.sites}
    return [i for i, v in enumerate(visits) if v in sites]


def test_multi_trip_when_capacity_forces_it(engine: str) -> None:
    """6 × 400 kg with 1000 kg capacity and one vehicle needs ≥3 unloads; it returns empty."""
    p = make_problem(6, count=1)
    plan = run(p, engine)
    assert plan.status == "feasible", plan.check.summary()
    (route,) = plan.routes
    unloads = site_visits(p, route.visits)
    assert len(unloads) >= 3
    assert unloads[-1] == len(route.visits) - 1  # the last trip ends with an unload
    frame = plan.to_frame()
    assert frame.iloc[-1]["kind"] == "depot" and frame.iloc[-1]["load_after_kg"] == 0


def test_stop_of_another_stream_is_rejected(engine: str) -> None:
    """A stop of another stream is an input error naming the stop, never routed."""
    p = make_problem(5)
    bad = dataclasses.replace(p.stops[2], stream="kitchen")
    p = dataclasses.replace(p, stops=(*p.stops[:2], bad, *p.stops[3:]))
    with pytest.raises(InputError, match="P2"):
        run(p, engine)


def test_lunch_honoured(engine: str) -> None:
    """A route spanning 11:00–12:00 takes its break in the window and stays checker-clean."""
    p = make_problem(6, count=1, lunch=Lunch(earliest_s=11 * H, latest_s=12 * H, duration_s=H))
    # Two stops that must be served before and after the lunch window.
    early = dataclasses.replace(p.stops[0], tw_start_s=10 * H, tw_end_s=int(10.5 * H))
    late = dataclasses.replace(p.stops[1], tw_start_s=13 * H, tw_end_s=14 * H)
    p = dataclasses.replace(p, stops=(early, late, *p.stops[2:]))
    plan = run(p, engine)
    assert plan.status == "feasible", plan.check.summary()
    (route,) = plan.routes
    assert route.lunch_after is not None
    rows = plan.to_frame()
    lunch = rows[rows["kind"] == "lunch"]
    assert len(lunch) == 1
    assert 11 * H <= lunch.iloc[0]["start_s"] <= 12 * H


def lunch_rows(plan: RoutePlan) -> list[tuple[str, int]]:
    """(place, kg aboard) of every break of the checked plan."""
    assert plan.check is not None
    return [
        (v.id, v.load_after_kg) for r in plan.check.routes for v in r.visits if v.kind == "lunch"
    ]


def test_hazardous_van_never_lunches_loaded(engine: str) -> None:
    """A van whose three morning stops (290 kg each, 870 kg together) end just before the
    lunch window and whose three afternoon stops follow it could carry all six in one trip
    and eat at the third stop with 870 kg aboard; it takes the break empty instead, at the
    site after unloading or at its depot, and the plan is checker-clean."""
    p = make_problem(
        6,
        load_kg=290,
        capacity_kg=2000,
        lunch=Lunch(earliest_s=11 * H, latest_s=12 * H, duration_s=H),
    )
    windows = [(9 * H, 11 * H)] * 3 + [(int(12.5 * H), 15 * H)] * 3
    stops = tuple(
        dataclasses.replace(s, tw_start_s=a, tw_end_s=b)
        for s, (a, b) in zip(p.stops, windows, strict=True)
    )
    plan = run(dataclasses.replace(p, stops=stops), engine)
    assert plan.status == "feasible", plan.check.summary()
    rows = lunch_rows(plan)
    assert rows and all(place in ("G", "S") and aboard == 0 for place, aboard in rows), rows


def test_tiny_scenario_never_lunches_loaded(engine: str, tiny_scenario, tiny_matrix) -> None:
    """The real tiny scenario, its crews given a 20-minute break starting 06:15–11:00 and
    1.2 t kitchen trucks (several trips): every plan is checker-clean and every break is
    taken empty at the depot or an unload site."""
    from wasteopt.generation import generate
    from wasteopt.routing.build import build_problem

    vtypes = tuple(
        dataclasses.replace(
            v,
            payload_kg=1200 if v.stream == "kitchen" else v.payload_kg,
            max_trips=4,
            lunch_earliest_s=6 * H + 15 * 60,
            lunch_latest_s=11 * H,
            lunch_duration_s=20 * 60,
        )
        for v in tiny_scenario.vehicle_types
    )
    scenario = dataclasses.replace(tiny_scenario, vehicle_types=vtypes)
    demand = generate(scenario, days=1, seed=0)
    places = {d.id for d in scenario.depots} | {s.id for s in scenario.stations}
    places |= {f.id for f in scenario.facilities}
    n_breaks = 0
    for stream in scenario.stream_ids:
        problem = build_problem(scenario, demand, 0, stream, tiny_matrix)
        plan = solve(problem, RoutingSettings(engine=engine, time_limit_s=1, seed=0))
        assert plan.check is not None and plan.check.ok, plan.check.summary()
        rows = lunch_rows(plan)
        assert all(place in places and aboard == 0 for place, aboard in rows), rows
        n_breaks += len(rows)
    assert n_breaks > 0  # the window overlaps the shifts: the rule was exercised


def test_unload_at_honoured(engine: str) -> None:
    """Stops restricted to one site are unloaded only there; the plan is checker-clean."""
    p = make_problem(8, count=2, sites=("A", "B"))
    stops = tuple(
        dataclasses.replace(s, unload_at=("A",) if i % 2 else ("B",)) for i, s in enumerate(p.stops)
    )
    p = dataclasses.replace(p, stops=stops)
    plan = run(p, engine)
    assert plan.status == "feasible", plan.check.summary()
    allowed = {s.id: s.unload_at for s in p.stops}
    for r in plan.routes:
        trip: list[str] = []
        for v in r.visits:
            if v in allowed:
                trip.append(v)
            else:
                assert all(v in allowed[s] for s in trip), (r.visits, v)
                trip = []


@pytest.mark.parametrize("limit", [{"max_stops": 3}, {"max_shift_load_kg": 1200}])
def test_shift_limits_honoured(engine: str, limit: dict[str, int]) -> None:
    """max_stops / max_shift_load_kg over all trips of a shift are never exceeded."""
    p = make_problem(6, count=3, capacity_kg=2000, **limit)
    plan = run(p, engine)
    assert plan.status == "feasible", plan.check.summary()
    loads = {s.id: s.load_kg for s in p.stops}
    assert len(plan.routes) >= 2
    for r in plan.routes:
        served = [v for v in r.visits if v in loads]
        assert len(served) <= 3
        assert sum(loads[v] for v in served) <= 1200


def test_depot_unloads_single_trip_routes(engine: str) -> None:
    """With depot_unloads (CVRP benchmarks) routes have no site visits and are clean."""
    p = dataclasses.replace(make_problem(8, count=4), sites=(), depot_unloads=True)
    plan = run(p, engine)
    assert plan.status == "feasible", plan.check.summary()
    assert all(v.startswith("P") for r in plan.routes for v in r.visits)
    assert len(plan.routes) >= 4  # 3200 kg with 1000 kg per single trip


def test_each_fleet_pays_the_km_of_its_own_distances(engine: str) -> None:
    """Two fleets alike but for their metres: B is 20 CNY a day cheaper, so on one shared
    table it would take the stops, but it drives three times A's metres (its own table), so
    every engine gives them to A; the checker counts A's own legs."""
    p = make_problem(4, capacity_kg=4000, co2_kg_per_km=1.0)
    a = dataclasses.replace(p.fleets[0], id="A")
    b = dataclasses.replace(a, id="B", fixed_cost=a.fixed_cost - 20, profile=1)
    p = dataclasses.replace(
        p,
        fleets=(a, b),
        durations_s=(p.durations_s[0], p.durations_s[0]),
        distances_m=(p.distance_m, p.distance_m * 3),
    )
    plan = run(p, engine)
    assert plan.status == "feasible", plan.check.summary()
    assert {r.fleet for r in plan.routes if r.visits} == {"A"}
    assert plan.check is not None
    (times,) = plan.check.routes
    idx = p.index()
    path = [idx["G"], *(idx[v] for v in plan.routes[0].visits), idx["G"]]
    km = sum(int(p.distance_m[i, j]) for i, j in itertools.pairwise(path)) / 1000
    assert times.distance_km == pytest.approx(km) and times.co2_kg == pytest.approx(km)
    shared = dataclasses.replace(p, distances_m=())
    assert {r.fleet for r in run(shared, engine).routes if r.visits} == {"B"}
