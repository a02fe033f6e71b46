"""Tests of the independent plan checker on tiny hand-checked problems.

Locations lie on a line (metres): D=0, a=1000, b=2000, c=3000, d=4000, S=5000, T=6000; the
vehicle drives 10 m/s, so travel time in seconds is distance / 10.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from wasteopt.routing.check import VIOLATION_KINDS, CheckReport, Violation, check_plan
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import Depot, Fleet, Lunch, RoutingProblem, Stop, UnloadSite

H6 = 6 * 3600
POS = {"D": 0, "a": 1000, "b": 2000, "c": 3000, "d": 4000, "S": 5000, "T": 6000}


def make_problem(
    *,
    stops: dict[str, dict] | None = None,
    sites: dict[str, dict] | None = None,
    fleet: dict | None = None,
    with_d: bool = False,
    depot_unloads: bool = False,
) -> RoutingProblem:
    """a, b, c (+ d) with 100/200/300 (+50) kg, 60 s service; sites S and T; one fleet."""
    base = {
        "a": {"load_kg": 100},
        "b": {"load_kg": 200},
        "c": {"load_kg": 300},
    }
    if with_d:
        base["d"] = {"load_kg": 50}
    for sid, kw in (stops or {}).items():
        base[sid] = {**base.get(sid, {}), **kw}
    stop_objs = tuple(
        Stop(**{"id": sid, "stream": "rest", "service_s": 60, **kw}) for sid, kw in base.items()
    )
    site_kw = {"S": {}, "T": {}}
    for sid, kw in (sites or {}).items():
        site_kw[sid] = {**site_kw[sid], **kw}
    site_objs = tuple(
        UnloadSite(**{"id": sid, "streams": ("rest",), "unload_s": 600, **kw})
        for sid, kw in site_kw.items()
    )
    fkw = {
        "id": "V",
        "stream": "rest",
        "depot": "D",
        "count": 2,
        "capacity_kg": 600,
        "shift_start_s": H6,
        "shift_end_s": 18 * 3600,
        "fixed_cost": 100.0,
        "cost_per_km": 2.0,
        "cost_per_hour": 30.0,
        "co2_kg_per_km": 0.5,
        **(fleet or {}),
    }
    locs = tuple(POS)
    x = np.array([POS[k] for k in locs])
    dist = np.abs(x[:, None] - x[None, :])
    return RoutingProblem(
        name="tiny",
        stream="rest",
        stops=stop_objs,
        sites=site_objs,
        depots=(Depot(id="D", open_s=5 * 3600, close_s=20 * 3600),),
        fleets=(Fleet(**fkw),),
        locations=locs,
        distance_m=dist,
        durations_s=(dist // 10,),
        depot_unloads=depot_unloads,
    )


def make_plan(*routes: Route, unserved: tuple[str, ...] = ()) -> RoutePlan:
    return RoutePlan(
        problem="tiny",
        stream="rest",
        engine="hand",
        seed=0,
        status="feasible",
        objective=0.0,
        runtime_s=0.0,
        routes=routes,
        unserved=unserved,
    )


def route(
    visits: str,
    *,
    vehicle: str = "V#1",
    start: int = H6,
    lunch_after=None,
    fleet: str = "V",
    home: bool = False,
) -> Route:
    return Route(
        vehicle=vehicle,
        fleet=fleet,
        start_s=start,
        visits=tuple(visits.split()),
        lunch_after=lunch_after,
        lunch_at_depot=home,
    )


def only(report: CheckReport, kind: str) -> list[Violation]:
    return [v for v in report.violations if v.kind == kind]


def test_clean_plan_totals_match_hand_computation():
    """A clean one-trip plan is ok and its distance, time, cost, CO2 and schedule are exact."""
    rep = check_plan(make_problem(), make_plan(route("a b c S")))
    assert rep.ok, rep.summary()
    t = rep.totals
    # D→a→b→c (3 km) → S (2 km) → D (5 km) = 10 km; 6:00 depart, 3×(100 s + 60 s),
    # 200 s to S + 600 s unload, 500 s home: back at 21600 + 1780.
    assert t.distance_km == pytest.approx(10.0)
    assert t.duration_h == pytest.approx(1780 / 3600)
    assert t.cost == pytest.approx(100 + 2 * 10 + 30 * 1780 / 3600)
    assert t.fixed_cost == 100 and t.distance_cost == pytest.approx(20.0)
    assert t.time_cost == pytest.approx(30 * 1780 / 3600)
    assert t.co2_kg == pytest.approx(5.0)
    assert (t.vehicles, t.trips, t.stops_served, t.unserved, t.load_kg) == (1, 1, 3, 0, 600)
    assert t.utilisation == pytest.approx(1.0)
    rows = rep.routes[0].visits
    assert [(r.kind, r.id) for r in rows] == [
        ("depot", "D"),
        ("stop", "a"),
        ("stop", "b"),
        ("stop", "c"),
        ("unload", "S"),
        ("depot", "D"),
    ]
    assert [r.start_s for r in rows] == [21600, 21700, 21860, 22020, 22280, 23380]
    assert [r.load_after_kg for r in rows] == [0, 100, 300, 600, 0, 0]
    assert [r.distance_from_prev_m for r in rows] == [0, 1000, 1000, 1000, 2000, 5000]


def test_waits_for_windows_and_splits_trips():
    """Service waits for tw_start; an unload ends trip 1 and trip 2 starts empty."""
    prob = make_problem(stops={"b": {"tw_start_s": 7 * 3600}})
    rep = check_plan(prob, make_plan(route("a S b c S")))
    assert rep.ok, rep.summary()
    rows = {(r.kind, r.id, r.trip): r for r in rep.routes[0].visits}
    b = rows[("stop", "b", 2)]
    assert b.arrival_s < 7 * 3600 and b.start_s == 7 * 3600 and b.end_s == 7 * 3600 + 60
    assert rows[("stop", "c", 2)].load_after_kg == 500
    assert rep.totals.trips == 2
    assert rep.totals.utilisation == pytest.approx((100 / 600 + 500 / 600) / 2)


def test_lunch_waits_for_window_and_delays_the_rest():
    """Lunch after the unload at S starts at earliest_s even if ready earlier, then the route
    resumes from S."""
    lunch = Lunch(earliest_s=11 * 3600, latest_s=12 * 3600, duration_s=1800)
    prob = make_problem(fleet={"lunch": lunch})
    rep = check_plan(prob, make_plan(route("a S b c S", start=10 * 3600, lunch_after=1)))
    assert rep.ok, rep.summary()
    rows = rep.routes[0].visits
    lunch_row = next(r for r in rows if r.kind == "lunch")
    # D→a 100 s + 60 s service, a→S 400 s + 600 s unload: ready at 36000 + 1160, empty.
    assert (lunch_row.id, lunch_row.arrival_s, lunch_row.start_s, lunch_row.end_s) == (
        "S",
        36000 + 1160,
        39600,
        39600 + 1800,
    )
    assert lunch_row.load_after_kg == 0
    b = next(r for r in rows if r.id == "b")
    assert b.arrival_s == 39600 + 1800 + 300


def test_lunch_back_at_depot_between_trips():
    """lunch_at_depot drives from the unload site home for the break and on from there: the
    lunch row is at the depot with the drive as its leg, and both legs are in the distance."""
    prob = make_problem(fleet={"lunch": LUNCH})
    plan = make_plan(route("a S b c S", start=10 * 3600, lunch_after=1, home=True))
    rep = check_plan(prob, plan)
    assert rep.ok, rep.summary()
    rows = rep.routes[0].visits
    lunch_row = next(r for r in rows if r.kind == "lunch")
    # Ready at S 36000 + 1160, S→D 500 s: home at 37660; the break waits for 11:00.
    assert (lunch_row.id, lunch_row.arrival_s, lunch_row.start_s, lunch_row.end_s) == (
        "D",
        37660,
        39600,
        39600 + 1800,
    )
    assert (lunch_row.distance_from_prev_m, lunch_row.load_after_kg) == (5000, 0)
    b = next(r for r in rows if r.id == "b")
    assert (b.arrival_s, b.distance_from_prev_m) == (41400 + 200, 2000)
    # D-a-S (5 km), S-D (5 km), D-b-c-S (5 km), S-D (5 km).
    assert rep.totals.distance_km == pytest.approx(20.0)


def test_lunch_with_load_aboard_is_flagged():
    """A break after a collection stop is a lunch_place violation naming the stop and the kg
    aboard (also when the vehicle drives home loaded); a fleet that may eat anywhere is not."""
    prob = make_problem(fleet={"lunch": LUNCH})
    rep = check_plan(prob, make_plan(route("a b c S", start=10 * 3600, lunch_after=1)))
    [v] = only(rep, "lunch_place")
    assert (v.vehicle, v.trip, v.stop) == ("V#1", 1, "b")
    assert "collection point b" in v.message and "300 kg aboard" in v.message
    home = make_plan(route("a b c S", start=10 * 3600, lunch_after=1, home=True))
    assert [(v.kind, v.stop) for v in check_plan(prob, home).violations] == [("lunch_place", "b")]
    anywhere = make_problem(fleet={"lunch": replace(LUNCH, place="anywhere")})
    assert check_plan(anywhere, make_plan(route("a b c S", start=10 * 3600, lunch_after=1))).ok


def test_lunch_at_depot_before_departure():
    """lunch_after=-1 takes the break at the depot; the departure follows the break."""
    lunch = Lunch(earliest_s=11 * 3600, latest_s=12 * 3600, duration_s=1800)
    prob = make_problem(fleet={"lunch": lunch})
    rep = check_plan(prob, make_plan(route("a b c S", start=11 * 3600 + 600, lunch_after=-1)))
    assert rep.ok, rep.summary()
    a = next(r for r in rep.routes[0].visits if r.id == "a" and r.kind == "stop")
    assert a.arrival_s == 11 * 3600 + 600 + 1800 + 100


# --- one bad plan per violation kind -----------------------------------------------------------

LUNCH = Lunch(earliest_s=11 * 3600, latest_s=12 * 3600, duration_s=1800)

BAD_CASES = [
    # id, problem kwargs, plan routes, unserved, expected (kind, vehicle, trip, stop)
    (
        "time_window",
        {"stops": {"c": {"tw_end_s": 21900}}},
        [route("a b c S")],
        (),
        ("time_window", "V#1", 1, "c"),
    ),
    (
        "capacity_kg",
        {"fleet": {"capacity_kg": 500}},
        [route("a b c S")],
        (),
        ("capacity", "V#1", 1, "c"),
    ),
    (
        "capacity_l",
        {"stops": {"b": {"volume_l": 700}}, "fleet": {"capacity_l": 1000}},
        [route("a S b c S")],
        (),
        None,
    ),  # fine: trip 2 holds 700 l
    (
        "capacity_l_bad",
        {"stops": {"a": {"volume_l": 600}, "b": {"volume_l": 700}}, "fleet": {"capacity_l": 1000}},
        [route("a b S c S")],
        (),
        ("capacity", "V#1", 1, "b"),
    ),
    (
        "shift_load",
        {"fleet": {"max_shift_load_kg": 500}},
        [route("a b S c S")],
        (),
        ("shift_load", "V#1", 2, "c"),
    ),
    (
        "max_stops",
        {"fleet": {"max_stops": 2}},
        [route("a b S c S")],
        (),
        ("max_stops", "V#1", 2, "c"),
    ),
    (
        "max_trips",
        {"fleet": {"max_trips": 2}},
        [route("a S b S c S")],
        (),
        ("max_trips", "V#1", 3, None),
    ),
    ("shift_early", {}, [route("a b c S", start=H6 - 60)], (), ("shift", "V#1", None, None)),
    (
        "depot_closed",
        {},
        [route("a b c S", start=4 * 3600 + 1800)],
        (),
        ("shift", "V#1", None, None),
    ),
    (
        "shift_late",
        {"fleet": {"shift_end_s": H6 + 1779}},
        [route("a b c S")],
        (),
        ("shift", "V#1", None, None),
    ),
    (
        "max_duration",
        {"fleet": {"max_duration_s": 1779}},
        [route("a b c S")],
        (),
        ("shift", "V#1", None, None),
    ),
    (
        "lunch_missing",
        {"fleet": {"lunch": LUNCH}},
        [route("a b c S", start=11 * 3600 - 600)],
        (),
        ("lunch", "V#1", None, None),
    ),
    (
        "lunch_late",
        {"fleet": {"lunch": LUNCH}},
        [route("a S b c S", start=12 * 3600 - 200, lunch_after=1)],
        (),
        ("lunch", "V#1", 2, None),
    ),
    (
        "lunch_loaded",
        {"fleet": {"lunch": LUNCH}},
        [route("a b c S", start=10 * 3600, lunch_after=2)],
        (),
        ("lunch_place", "V#1", 1, "c"),
    ),
    (
        "lunch_home_without_break",
        {"fleet": {"lunch": LUNCH}},
        [route("a b c S", home=True)],
        (),
        ("lunch", "V#1", None, None),
    ),
    (
        "lunch_out_of_range",
        {"fleet": {"lunch": LUNCH}},
        [route("a b c S", start=14 * 3600, lunch_after=4)],
        (),
        ("lunch", "V#1", None, None),
    ),
    ("lunch_not_defined", {}, [route("a b c S", lunch_after=0)], (), ("lunch", "V#1", None, None)),
    (
        "facility_hours",
        {"sites": {"S": {"close_s": 22000}}},
        [route("a b c S")],
        (),
        ("facility_hours", "V#1", 1, "S"),
    ),
    (
        "unload_at",
        {"stops": {"b": {"unload_at": ("T",)}}},
        [route("a b c S")],
        (),
        ("unload_site", "V#1", 1, "b"),
    ),
    (
        "site_stream",
        {"sites": {"S": {"streams": ("kitchen",)}}},
        [route("a b c S")],
        (),
        ("unload_site", "V#1", 1, "S"),
    ),
    (
        "fleet_stream",
        {"fleet": {"stream": "kitchen"}},
        [route("a b c S")],
        (),
        ("stream", "V#1", None, None),
    ),
    (
        "stop_stream",
        {"stops": {"b": {"stream": "kitchen"}}},
        [route("a b c S")],
        (),
        ("stream", "V#1", 1, "b"),
    ),
    (
        "duplicate",
        {},
        [route("a b S"), route("c a S", vehicle="V#2")],
        (),
        ("duplicate", "V#2", 1, "a"),
    ),
    ("unserved", {"with_d": True}, [route("a b c S")], (), ("unserved", None, None, "d")),
    ("unserved_listed_but_served", {}, [route("a b c S")], ("b",), ("unserved", "V#1", None, "b")),
    ("ended_loaded", {}, [route("a b S c")], (), ("ended_loaded", "V#1", 2, "c")),
    ("unknown_visit", {}, [route("a b zz c S")], (), ("unknown_id", "V#1", 1, "zz")),
    ("unknown_fleet", {}, [route("a b c S", fleet="W")], (), ("unknown_id", "V#1", None, None)),
    (
        "fleet_size",
        {},
        [route("a S", vehicle="V#1"), route("b S", vehicle="V#2"), route("c S", vehicle="V#3")],
        (),
        ("fleet_size", None, None, None),
    ),
    (
        "duplicate_vehicle",
        {},
        [route("a S"), route("b c S")],
        (),
        ("fleet_size", "V#1", None, None),
    ),
    (
        "access",
        {"stops": {"b": {"fleets": ("SMALL",)}}},
        [route("a b c S")],
        (),
        ("access", "V#1", 1, "b"),
    ),
    (
        "depot_unloads_site",
        {"depot_unloads": True},
        [route("a b S c")],
        (),
        ("unload_site", "V#1", 1, "S"),
    ),
    (
        "depot_unloads_capacity",
        {"depot_unloads": True, "fleet": {"capacity_kg": 500}},
        [route("a b c")],
        (),
        ("capacity", "V#1", 1, "c"),
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "routes", "unserved", "expected"),
    [c[1:] for c in BAD_CASES],
    ids=[c[0] for c in BAD_CASES],
)
def test_each_violation_is_named(kwargs, routes, unserved, expected):
    """Each hand-built bad plan yields its violation naming kind, vehicle, trip and stop."""
    rep = check_plan(make_problem(**kwargs), make_plan(*routes, unserved=unserved))
    got = [(v.kind, v.vehicle, v.trip, v.stop) for v in rep.violations]
    if expected is None:
        assert rep.ok, rep.summary()
        return
    assert expected in got, rep.summary()


def test_bad_cases_cover_every_kind():
    """The parametrised bad plans exercise every violation kind the checker defines."""
    covered = {c[4][0] for c in BAD_CASES if c[4] is not None}
    # road needs a road network: tests/test_routing_road_check.py
    assert covered | {"road"} == set(VIOLATION_KINDS)


def test_clean_variants_of_bad_cases_are_ok():
    """The routes used for bad cases are clean on the base problem (violations come from data)."""
    for plan_routes in ([route("a b c S")], [route("a b S c S")], [route("a S b S c S")]):
        assert check_plan(make_problem(), make_plan(*plan_routes)).ok


def test_access_allows_the_listed_fleets_only():
    """A stop allowing fleet V is clean when V serves it; one allowing no fleet and left
    unserved is only an unserved stop."""
    ok = make_problem(stops={"b": {"fleets": ("V",)}})
    assert check_plan(ok, make_plan(route("a b c S"))).ok
    none = make_problem(stops={"b": {"fleets": ()}})
    rep = check_plan(none, make_plan(route("a c S"), unserved=("b",)))
    assert [(v.kind, v.stop) for v in rep.violations] == [("unserved", "b")]
    rep = check_plan(none, make_plan(route("a b c S")))
    assert [(v.kind, v.stop) for v in rep.violations] == [("access", "b")]


def test_exact_boundaries_are_allowed():
    """Service starting exactly at tw_end and a return exactly at shift end are not violations."""
    prob = make_problem(
        stops={"c": {"tw_end_s": 22020}}, fleet={"shift_end_s": H6 + 1780, "max_duration_s": 1780}
    )
    assert check_plan(prob, make_plan(route("a b c S"))).ok


def test_lunch_not_needed_outside_window():
    """A route that ends before the lunch window opens needs no break."""
    prob = make_problem(fleet={"lunch": LUNCH})
    assert check_plan(prob, make_plan(route("a b c S"))).ok
    late = check_plan(prob, make_plan(route("a b c S", start=10 * 3600 + 3600 - 1780 + 1)))
    assert [v.kind for v in late.violations] == ["lunch"]


def test_unserved_only_and_listed():
    """An unserved stop listed in plan.unserved is still reported, and totals count it."""
    rep = check_plan(make_problem(with_d=True), make_plan(route("a b c S"), unserved=("d",)))
    assert [(v.kind, v.stop) for v in rep.violations] == [("unserved", "d")]
    assert "not listed" not in rep.violations[0].message
    assert rep.totals.unserved == 1 and rep.totals.stops_served == 3


def test_plan_check_field_is_ignored():
    """A stale report attached to the plan does not change the verdict."""
    prob = make_problem(fleet={"capacity_kg": 500})
    plan = make_plan(route("a b c S"))
    clean = check_plan(make_problem(), plan)
    rep = check_plan(prob, replace(plan, check=clean, objective=1.0))
    assert not rep.ok and rep.totals.cost != 1.0


def test_frames_and_summary():
    """schedule_frame has one row per schedule entry; route_frame one row per vehicle."""
    plan = make_plan(route("a b S"), route("c S", vehicle="V#2"))
    rep = check_plan(make_problem(), plan)
    sched = rep.schedule_frame()
    assert len(sched) == 5 + 4
    assert {
        "vehicle",
        "trip",
        "seq",
        "kind",
        "id",
        "arrival_s",
        "start_s",
        "end_s",
        "load_after_kg",
        "distance_from_prev_m",
    } <= set(sched.columns)
    rf = rep.route_frame()
    assert list(rf["vehicle"]) == ["V#1", "V#2"]
    assert rf["km"].sum() == pytest.approx(rep.totals.distance_km)
    assert rf["cost"].sum() == pytest.approx(rep.totals.cost)
    assert "clean" in rep.summary()
    bad = check_plan(make_problem(with_d=True), plan)
    assert "unserved=1" in bad.summary()


def test_inputs_not_mutated_and_empty_route_unused():
    """Checking does not change the plan; a route without visits costs nothing."""
    plan = make_plan(route("a b c S"), route("", vehicle="V#2"))
    before = repr(plan)
    rep = check_plan(make_problem(), plan)
    assert repr(plan) == before
    assert rep.ok and rep.totals.vehicles == 1


def test_large_plan_is_fast_enough():
    """2,000 stops on 20 vehicles are checked (timing is measured in benchmarks, not here)."""
    n = 2000
    locs = ("D", "S", *[f"s{i}" for i in range(n)])
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 10000, size=(len(locs), 2))
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(int)
    prob = RoutingProblem(
        name="big",
        stream="rest",
        stops=tuple(Stop(id=f"s{i}", stream="rest", load_kg=10, service_s=30) for i in range(n)),
        sites=(UnloadSite(id="S", streams=("rest",)),),
        depots=(Depot(id="D"),),
        fleets=(Fleet(id="V", stream="rest", depot="D", count=20, capacity_kg=1000),),
        locations=locs,
        distance_m=dist,
        durations_s=(dist // 10,),
    )
    routes = []
    for k in range(20):
        visits = []
        for j in range(100):
            visits.append(f"s{k * 100 + j}")
            if j % 50 == 49:
                visits.append("S")
        routes.append(Route(vehicle=f"V#{k + 1}", fleet="V", start_s=0, visits=tuple(visits)))
    rep = check_plan(prob, make_plan(*routes))
    assert rep.ok, rep.summary()
    assert rep.totals.trips == 40 and rep.totals.stops_served == n
