"""Tests of the cycle planner (:mod:`wasteopt.operations`): one route plan per distinct day of
each stream's collection cycle, the time budget shared out among them, and the daily tours."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from wasteopt.clock import Deadline
from wasteopt.generation import due_loads, generate
from wasteopt.network import build_matrix
from wasteopt.operations import build_operating_plan, cycle_tours
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import load_scenario
from wasteopt.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
CYCLE_DAYS = 14


def _cycle_scenario():
    """Tiny with kitchen every other day (P1, P3, P5 on even days, the others on odd days) and
    residual waste weekly, one point per weekday (P1..P6 with phases 0..5; key 1 is empty)."""
    base = load_scenario(ROOT / "scenarios" / "tiny")
    points = tuple(
        dataclasses.replace(p, frequency={"kitchen": "every_other_day", "other": "weekly"}, phase=i)
        for i, p in enumerate(base.points)
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

    monkeypatch.setattr("wasteopt.operations.solve", solve)
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
