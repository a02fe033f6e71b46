"""Tests of the cycle planner (:mod:`wasteopt.operations`): one route plan per distinct day of
each stream's collection cycle, the time budget shared out among them, and the daily tours."""

from __future__ import annotations

import dataclasses
import logging
import pickle
import shutil
from pathlib import Path

import pytest

from wasteopt.clock import Deadline
from wasteopt.generation import due_loads, generate
from wasteopt.network import build_matrix
from wasteopt.operations import OperatingPlan, build_operating_plan, cycle_tours
from wasteopt.routing.build import build_problem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import load_scenario
from wasteopt.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
CYCLE_DAYS = 14
GRID = ("P1", "P2", "P3", "P4", "P5", "P6")  # tiny's 3 × 2 grid of hand-checkable points


def _cycle_scenario():
    """Tiny's grid points P1..P6 (other points left out) with kitchen every other day (P1, P3,
    P5 on even days, the others on odd days) and residual waste weekly, one point per weekday
    (phases 0..5; key 1 is empty)."""
    base = load_scenario(ROOT / "scenarios" / "tiny")
    grid = [p for p in base.points if p.id in GRID]
    points = tuple(
        dataclasses.replace(p, frequency={"kitchen": "every_other_day", "other": "weekly"}, phase=i)
        for i, p in enumerate(grid)
    )
    sc = dataclasses.replace(base, points=points)
    return sc, build_matrix(sc), generate(sc, days=CYCLE_DAYS, seed=0)


def _due_ids(sc, stream, day):
    """Points due for ``stream`` on ``day`` by the generation rule."""
    return {pid for pid in due_loads(sc, generate(sc, days=day + 1, seed=0), day, stream)[0]}


@pytest.fixture(scope="module")
def cycle():
    """The cycle scenario routed by PyVRP (9 s for its nine cycle days)."""
    sc, matrix, demand = _cycle_scenario()
    routing = RoutingSettings(time_limit_s=9.0, seed=0)
    op = build_operating_plan(sc, demand, matrix, day=3, routing=routing)
    return sc, matrix, demand, op


@pytest.fixture()
def fake_solve(monkeypatch, hand_plan):
    """Replace the routing engine by hand_plan and record (problem, stops, seconds left on
    the solve's deadline, settings)."""
    calls = []

    def solve(problem, settings, *, deadline):
        calls.append((problem.name, len(problem.stops), deadline.remaining(), settings))
        return hand_plan(problem)

    monkeypatch.setattr("wasteopt.operations.solve_territories", solve)
    return calls


def test_cycle_plan_routes_each_distinct_cycle_day(cycle):
    """Every-other-day kitchen gets two plans with disjoint stops covering all points; weekly
    residual waste gets seven keys whose stops are exactly that day's due points, the empty
    day solved once; the requested day's plan is the one under ``plans``."""
    sc, _, _, op = cycle
    assert op.cycle_days == {"kitchen": 2, "other": 7}
    kit = op.cycle_problems["kitchen"]
    assert sorted(kit) == [0, 1] and len(op.distinct_plans("kitchen")) == 2
    ids = [{s.id for s in kit[r].stops} for r in (0, 1)]
    assert ids[0].isdisjoint(ids[1]) and ids[0] | ids[1] == {p.id for p in sc.points}
    for stream, n in (("kitchen", 2), ("other", 7)):
        for r in range(n):
            problem, plan = op.plan_for(stream, r)
            assert {s.id for s in problem.stops} == _due_ids(sc, stream, r)
            assert plan.status == "feasible" and plan.problem == problem.name
    assert len(op.distinct_plans("other")) == 7
    assert op.plans["kitchen"] is op.cycle_plans["kitchen"][3 % 2]
    assert op.plans["other"] is op.cycle_plans["other"][3]
    assert op.plan_for("other", 10)[1] is op.cycle_plans["other"][3]


def test_cycle_plan_collects_everything_every_day_without_overtime(cycle, exact_settings):
    """With ample capacity and exact times, the cycle plan collects each day exactly the due
    loads, inserts nothing, uses no overtime and leaves nothing uncollected."""
    sc, matrix, demand, op = cycle
    assert (
        sum(
            t.inserted
            for by_key in cycle_tours(sc, op, matrix).values()
            for ts in by_key.values()
            for t in ts
        )
        == 0
    )
    r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=exact_settings, seed=0)
    assert r.status == "complete"
    assert r.daily["uncollected_t"].max() == pytest.approx(0.0, abs=1e-9)
    collectors = r.vehicles[r.vehicles["role"] == "collection"]
    assert collectors["overtime_h"].max() == 0.0 and collectors["skipped_stops"].max() == 0
    daily = r.daily.set_index(["day", "stream"])
    for d in range(CYCLE_DAYS):
        for s in sc.stream_ids:
            _, kg, visits = due_loads(sc, demand, d, s)
            assert daily.loc[(d, s), "collected_t"] * 1000 == pytest.approx(float(kg @ visits))
    # vehicles do not run on a cycle day without stops (weekly key 1: days 1 and 8)
    other = r.vehicles[(r.vehicles["stream"] == "other") & (r.vehicles["role"] == "collection")]
    assert sorted(other.loc[~other["ran"], "day"]) == [1, 8]


def test_weekly_points_served_exactly_twice_in_two_weeks(cycle, exact_settings):
    """Over 14 simulated days each weekly point is collected exactly twice, on its due days."""
    sc, matrix, demand, op = cycle
    r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=exact_settings, seed=0)
    col = r.events[(r.events["kind"] == "collect") & (r.events["stream"] == "other")]
    days = col.groupby("site")["day"].apply(sorted).to_dict()
    assert days == {
        p.id: [d for d in range(CYCLE_DAYS) if (d + p.phase) % 7 == 0] for p in sc.points
    }
    assert all(len(v) == 2 for v in days.values())


def test_operating_plan_pickles_with_shared_cycle_plans(fake_solve):
    """An operating plan survives pickling; keys with the same due set still share a plan."""
    sc, matrix, demand = _cycle_scenario()
    points = tuple(dataclasses.replace(p, phase=0) for p in sc.points)  # all on day 0 mod 7
    sc = dataclasses.replace(sc, points=points)
    op = build_operating_plan(sc, demand, matrix, day=0)
    assert len(op.distinct_plans("other")) == 2  # day 0 and the six empty days
    back = pickle.loads(pickle.dumps(op))
    assert back.cycle_plans == op.cycle_plans and back.cycle_days == op.cycle_days
    assert back.cycle_plans["other"][1] is back.cycle_plans["other"][6]
    assert len(fake_solve) == 2 + 2  # kitchen: two cycle days; other: two distinct due sets


def test_cycle_days_share_the_deadline_by_stops(fake_solve):
    """Solved in order (kitchen 3 + 3 stops, then weekly 1, 0, 1, 1, 1, 1, 1), each cycle day
    gets remaining × its stops / the stops not yet solved, at least 1 s, and the routing
    settings unchanged; without a deadline ``routing.time_limit_s`` bounds all solves."""
    sc, matrix, demand = _cycle_scenario()
    routing = RoutingSettings(time_limit_s=30.0, seed=4)
    build_operating_plan(sc, demand, matrix, day=0, routing=routing)
    assert [n for _, n, _, _ in fake_solve] == [3, 3, 1, 0, 1, 1, 1, 1, 1]
    expected = [7.5, 10.0, 5.0, 1.0, 6.0, 7.5, 10.0, 15.0, 30.0]
    assert [t for _, _, t, _ in fake_solve] == pytest.approx(expected, abs=0.5)
    assert all(s is routing for _, _, _, s in fake_solve)
    fake_solve.clear()
    build_operating_plan(sc, demand, matrix, day=0, deadline=Deadline(12.0))
    assert [t for _, _, t, _ in fake_solve] == pytest.approx(
        [3.0, 4.0, 2.0, 1.0, 2.4, 3.0, 4.0, 6.0, 12.0], abs=0.5
    )


def test_cycle_day_deadline_never_passes_the_plans_deadline(fake_solve):
    """The 1 s floor of a solve is cut at the deadline of the whole plan."""
    sc, matrix, demand = _cycle_scenario()
    build_operating_plan(sc, demand, matrix, day=0, deadline=Deadline(0.5))
    assert max(t for _, _, t, _ in fake_solve) <= 0.5


def test_cycle_beyond_cap_and_short_horizon_still_collect_all(fake_solve, exact_settings):
    """With the cycle capped below the weekly period, or planned on a demand shorter than the
    cycle, missing due points are inserted and every point is still served on its due days;
    a vehicle whose tour has nothing due (days 1 and 8) stays home."""
    sc, matrix, demand = _cycle_scenario()
    capped = build_operating_plan(sc, demand, matrix, day=0, max_cycle_days=3)
    short = build_operating_plan(sc, generate(sc, days=4, seed=0), matrix, day=0)
    assert capped.cycle_days == {"kitchen": 2, "other": 3}
    assert short.cycle_days["other"] == 7 and sorted(short.cycle_plans["other"]) == [0, 1, 2, 3]
    for op in (capped, short):
        r = simulate(
            sc, demand=demand, matrix=matrix, operating=op, settings=exact_settings, seed=0
        )
        assert r.status == "complete"
        col = r.events[(r.events["kind"] == "collect") & (r.events["stream"] == "other")]
        assert col.groupby("site")["day"].apply(sorted).to_dict() == {
            p.id: [d for d in range(CYCLE_DAYS) if (d + p.phase) % 7 == 0] for p in sc.points
        }
        veh = r.vehicles[(r.vehicles["stream"] == "other") & (r.vehicles["role"] == "collection")]
        assert sorted(veh.loc[~veh["ran"], "day"]) == [1, 8]


def test_point_generating_nothing_is_left_out_by_route_plan_and_simulation(
    tmp_path, caplog, exact_settings
):
    """A copy of tiny where P3 generates no kitchen waste (kg_per_day.kitchen = 0): the
    routing problem (what ``route`` solves), the operating plan's tours (nothing inserted, no
    warning) and the simulation (no kitchen collection at P3) all leave P3 out of kitchen,
    while P3 is still routed and collected for residual waste."""
    folder = tmp_path / "tiny"
    shutil.copytree(ROOT / "scenarios" / "tiny", folder)
    points = folder / "points.csv"
    rows = points.read_text(encoding="utf-8").splitlines()
    head = rows[0].split(",")
    col = head.index("kg_per_day.kitchen")
    for i, row in enumerate(rows):
        cells = row.split(",")
        if cells[0] == "P3":
            cells[col] = "0"
            rows[i] = ",".join(cells)
    points.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sc = load_scenario(folder)
    matrix, demand = build_matrix(sc), generate(sc, days=3, seed=0)
    kitchen = build_problem(sc, demand, 0, "kitchen", matrix)
    assert "P3" not in {s.id for s in kitchen.stops}
    assert "P3" in {s.id for s in build_problem(sc, demand, 0, "other", matrix).stops}
    routing = RoutingSettings(time_limit_s=10.0, iterations=200, workers=1)
    with caplog.at_level(logging.WARNING, logger="wasteopt"):
        op = build_operating_plan(sc, demand, matrix, day=0, routing=routing)
        tours = cycle_tours(sc, op, matrix)
    visited = {v[1] for t in tours["kitchen"][0] for v in t.visits if v[0] == "stop"}
    assert "P3" not in visited and visited
    assert sum(t.inserted for t in tours["kitchen"][0]) == 0
    assert not [r for r in caplog.records if "inserted" in r.getMessage()]
    r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=exact_settings, seed=0)
    col_p3 = r.events[(r.events["kind"] == "collect") & (r.events["site"] == "P3")]
    assert set(col_p3["stream"]) == {"other"}
    assert r.status != "shortfall"


def test_visit_the_routing_left_unserved_is_inserted_with_a_warning_and_a_count(
    caplog, hand_plan, exact_settings
):
    """A plan that leaves P3 unserved: the tours get P3 back by cheapest insertion, but a
    warning names P3 and why, the tour counts it in ``inserted_unserved`` and the simulation's
    note says so."""
    sc, matrix, _ = _cycle_scenario()
    daily = {p.id: {"kitchen": "daily", "other": "daily"} for p in sc.points}
    sc = dataclasses.replace(
        sc, points=tuple(dataclasses.replace(p, frequency=daily[p.id]) for p in sc.points)
    )
    demand = generate(sc, days=2, seed=0)
    problems = {s: build_problem(sc, demand, 0, s, matrix) for s in sc.stream_ids}
    plans = {s: hand_plan(p) for s, p in problems.items()}
    (route,) = plans["other"].routes
    plans["other"] = dataclasses.replace(
        plans["other"],
        routes=(dataclasses.replace(route, visits=tuple(v for v in route.visits if v != "P3")),),
        unserved=("P3",),
    )
    op = OperatingPlan(problems=problems, plans=plans)
    with caplog.at_level(logging.WARNING, logger="wasteopt"):
        tours = cycle_tours(sc, op, matrix)
    (tour,) = tours["other"][0]
    assert ("stop", "P3", 1) in tour.visits and tour.inserted == tour.inserted_unserved == 1
    (warning,) = [r.getMessage() for r in caplog.records if "inserted" in r.getMessage()]
    assert warning.startswith("other: 1 visit(s) inserted into planned tours on 1 cycle day(s)")
    assert "the routing left them unserved" in warning and warning.endswith(": P3")
    r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=exact_settings, seed=0)
    assert any("1 point visits missing" in n and "1 of them left unserved" in n for n in r.notes)
