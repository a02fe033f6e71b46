"""Tests of the daily-operations simulation on the hand-checkable tiny scenario."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wasteopt.generation import due_loads, generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import TreatmentFacility
from wasteopt.simulation import (
    BALANCE_TERMS,
    DAILY_COLUMNS,
    FACILITY_COLUMNS,
    OperatingPlan,
    SimulationSettings,
    build_operating_plan,
    cycle_tours,
    daily_tours,
    simulate,
    simulate_replications,
)

ROOT = Path(__file__).resolve().parents[1]
DAYS = 10
EXACT = SimulationSettings(
    travel_distribution="deterministic",
    service_distribution="deterministic",
    unload_distribution="deterministic",
)


def _route_all(p):
    """Hand-built plan of one problem: one vehicle visits the stops in id order, unloads at
    the first stop's site and goes home (no route when nothing is due)."""
    routes = ()
    if p.stops:
        site = p.stops[0].unload_at[0]
        routes = (
            Route(
                vehicle=f"{p.fleets[0].id}#1",
                fleet=p.fleets[0].id,
                start_s=p.fleets[0].shift_start_s,
                visits=(*sorted(x.id for x in p.stops), site),
            ),
        )
    return RoutePlan(
        problem=p.name,
        stream=p.stream,
        engine="hand",
        seed=0,
        status="feasible",
        objective=0.0,
        runtime_s=0.0,
        routes=routes,
    )


def _plan(scenario, demand, matrix, day=0):
    """Hand-built plans (engine independent) of ``day`` for every stream (see _route_all)."""
    problems, plans = {}, {}
    for s in scenario.stream_ids:
        problems[s] = build_problem(scenario, demand, day, s, matrix)
        plans[s] = _route_all(problems[s])
    return OperatingPlan(problems=problems, plans=plans)


@pytest.fixture(scope="module")
def tiny():
    base = load_scenario(ROOT / "scenarios" / "tiny")
    # some generation noise so that seeds and days differ
    sc = dataclasses.replace(base, generation=dataclasses.replace(base.generation, noise_cv=0.2))
    matrix = build_matrix(sc)
    demand = generate(sc, days=DAYS, seed=7)
    return sc, matrix, demand, _plan(sc, demand, matrix)


@pytest.fixture(scope="module")
def weekly():
    """Tiny with P1's residual waste collected weekly, not due on the planned day 0."""
    base = load_scenario(ROOT / "scenarios" / "tiny")
    points = tuple(
        dataclasses.replace(p, frequency={"other": "weekly"}, phase=3) if p.id == "P1" else p
        for p in base.points
    )
    sc = dataclasses.replace(base, points=points)
    matrix = build_matrix(sc)
    demand = generate(sc, days=DAYS, seed=0)
    return sc, matrix, demand, _plan(sc, demand, matrix)


def _run(data, **kw):
    sc, matrix, demand, op = data
    return simulate(sc, demand=demand, matrix=matrix, operating=op, **kw)


def test_mass_balance_closes_every_day(tiny):
    """Generated + initial stock equals the sum of every place waste can be, each day and
    stream, with random times and breakdowns."""
    r = _run(tiny, seed=1, settings=SimulationSettings(breakdown_probability=0.3))
    bal = r.balance
    assert len(bal) == DAYS * 2
    assert bal["closes"].all(), bal[["day", "stream", "residual_kg"]]
    left = bal["initial_kg"] + bal["generated_kg"]
    assert np.allclose(left, bal[list(BALANCE_TERMS)].sum(axis=1), rtol=1e-12, atol=1e-6)
    assert (bal["treated_kg"] > 0).any() and (bal["at_points_kg"] > 0).any()
    assert r.status in ("complete", "shortfall")


def test_same_seed_same_result_and_other_seed_differs(tiny):
    """A seed fixes every table; another seed changes the random times."""
    a, b, c = _run(tiny, seed=5), _run(tiny, seed=5), _run(tiny, seed=6)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert not np.allclose(a.daily["vehicle_h"], c.daily["vehicle_h"])


def test_inputs_unchanged(tiny):
    """The demand arrays and the plans handed in are not modified."""
    _, _, demand, op = tiny
    before = demand.kg.copy()
    routes = {s: p.routes for s, p in op.plans.items()}
    _run(tiny, seed=2)
    assert np.array_equal(demand.kg, before)
    assert {s: p.routes for s, p in op.plans.items()} == routes


def test_breakdown_probability_one_leaves_everything_at_points(tiny):
    """With every vehicle broken every day nothing is collected: all waste stays at the points
    and the uncollected amount grows by each day's generation."""
    r = _run(tiny, seed=0, settings=SimulationSettings(breakdown_probability=1.0))
    assert r.status == "shortfall"
    assert (r.daily["collected_t"] == 0).all()
    bal = r.balance
    assert np.allclose(bal["at_points_kg"], bal["initial_kg"] + bal["generated_kg"])
    for _, g in r.daily.groupby("stream"):
        assert np.allclose(g["uncollected_t"].to_numpy(), g["generated_t"].cumsum().to_numpy())
    assert (r.events["kind"] == "breakdown").sum() == DAYS * 3  # 2 collectors + 1 haul truck


def test_carry_over_is_collected_after_a_breakdown(tiny):
    """After a day its vehicle broke down, a stream's collection is that day's generation plus
    everything left the day before."""
    r = _run(tiny, seed=3, settings=dataclasses.replace(EXACT, breakdown_probability=0.5))
    veh = r.vehicles[r.vehicles["role"] == "collection"]
    checked = 0
    for stream, g in r.daily.groupby("stream"):
        broke = veh[veh["stream"] == stream].set_index("day")["broke_down"]
        g = g.set_index("day")
        for d in range(1, DAYS):
            if broke[d - 1] and not broke[d]:
                expected = g.loc[d - 1, "uncollected_t"] + g.loc[d, "generated_t"]
                assert g.loc[d, "collected_t"] == pytest.approx(expected, rel=1e-12)
                assert g.loc[d, "uncollected_t"] == pytest.approx(0.0, abs=1e-9)
                checked += 1
    assert checked >= 2


def test_plant_overflow_to_fallback(tiny):
    """A 1 t/day incinerator with 2 t storage treats 1 t a day and sends the excess over its
    storage to the emergency landfill (hand-checked: 2.4 t/day arrive)."""
    sc0 = load_scenario(ROOT / "scenarios" / "tiny")
    landfill = TreatmentFacility(
        id="LF",
        name="landfill",
        kind="landfill",
        lon=120.3,
        lat=0.3,
        streams=("other",),
        capacity_t_per_day=500,
        gate_fee_cny_per_t=90,
        open_s=0,
        close_s=86400,
        bays=1,
        unload_time_s=600,
    )
    facs = (
        *(
            dataclasses.replace(f, capacity_t_per_day=1.0, storage_t=2.0, fallback="LF")
            if f.id == "FAC-WTE"
            else f
            for f in sc0.facilities
        ),
        landfill,
    )
    sc = dataclasses.replace(sc0, facilities=facs)
    matrix = build_matrix(sc)
    demand = generate(sc, days=6, seed=0)  # noise_cv 0: 2.4 t of residual waste every day
    r = simulate(
        sc,
        demand=demand,
        matrix=matrix,
        operating=_plan(sc0, demand, matrix),
        settings=EXACT,
        seed=0,
    )
    wte = r.facilities[r.facilities["site_id"] == "FAC-WTE"].set_index("day")
    assert np.allclose(wte["treated_t"], 1.0)
    assert wte["overflowed_t"].tolist() == pytest.approx([0.0, 0.8, 1.4, 1.4, 1.4, 1.4])
    assert wte["stock_t"].tolist() == pytest.approx([1.4, 2.0, 2.0, 2.0, 2.0, 2.0])
    assert (wte["fallback"] == "LF").all()
    assert r.status == "shortfall"
    assert r.totals().set_index("stream").loc["other", "overflowed_t"] == pytest.approx(6.4)
    assert r.balance["closes"].all()
    over = r.events[r.events["kind"] == "overflow"]
    assert set(over["site"]) == {"FAC-WTE"} and over["kg"].sum() == pytest.approx(6400.0)


def test_non_daily_point_is_inserted_and_collected_when_due(weekly):
    """A weekly point absent from the planned day's routes is inserted into a tour and its
    accumulated waste is collected on its due days (and only then)."""
    sc, matrix, _, op = weekly
    planned = {v for r in op.plans["other"].routes for v in r.visits}
    assert "P1" not in planned
    tours = daily_tours(sc, op, matrix)
    assert sum(t.inserted for t in tours["other"]) == 1
    r = _run(weekly, seed=0, settings=EXACT)
    col = r.events[
        (r.events["kind"] == "collect")
        & (r.events["site"] == "P1")
        & (r.events["stream"] == "other")
    ]
    assert sorted(col["day"]) == [4]  # (day + phase 3) % 7 == 0
    assert col["kg"].sum() == pytest.approx(7 * 150.0)  # a week of 150 kg/day
    assert r.status == "complete"


def test_collected_equals_due_loads_when_nothing_goes_wrong(weekly):
    """With an ample fleet and no randomness each day's collection equals the generation
    model's due loads (initial bins included), stream by stream."""
    sc, _, demand, _ = weekly
    r = _run(weekly, seed=0, settings=EXACT).daily.set_index(["day", "stream"])
    for d in range(DAYS):
        for s in sc.stream_ids:
            _, kg, visits = due_loads(sc, demand, d, s)
            assert r.loc[(d, s), "collected_t"] * 1000 == pytest.approx(float(kg @ visits))


def test_full_vehicle_adds_unload_trips(tiny):
    """A vehicle too small for its planned trip detours to unload and comes back: everything
    is still collected, with extra unloads counted."""
    sc, matrix, demand, op = tiny
    prob = op.problems["kitchen"]
    small = dataclasses.replace(
        prob, fleets=tuple(dataclasses.replace(f, capacity_kg=800) for f in prob.fleets)
    )
    op2 = OperatingPlan(problems={**op.problems, "kitchen": small}, plans=op.plans)
    r = simulate(sc, demand=demand, matrix=matrix, operating=op2, settings=EXACT, seed=0)
    k = r.daily[r.daily["stream"] == "kitchen"]
    assert k["uncollected_t"].max() == pytest.approx(0.0, abs=1e-9)
    kv = r.vehicles[r.vehicles["stream"] == "kitchen"]
    # every trip but the last leaves full: ceil(load / 800 kg) trips, one planned
    assert (kv["trips"] == np.ceil(kv["t"] * 1000 / 800 - 1e-9)).all()
    assert (kv["trips"] == kv["extra_unloads"] + 1).all()
    assert (k["extra_unloads"] >= 1).all()
    assert r.balance["closes"].all()


def test_overtime_limit_skips_stops_and_keeps_their_waste(tiny):
    """A shift cut short with no overtime allowed gives up stops; their waste carries over."""
    sc, matrix, demand, op = tiny
    vts = tuple(
        dataclasses.replace(v, shift_end_s=v.shift_start_s + 600) if v.role == "collection" else v
        for v in sc.vehicle_types
    )
    short = dataclasses.replace(sc, vehicle_types=vts)
    r = simulate(
        short,
        demand=demand,
        matrix=matrix,
        operating=op,
        settings=dataclasses.replace(EXACT, max_overtime_s=0),
        seed=0,
    )
    assert (r.daily["skipped_stops"] > 0).all()
    assert (r.daily.groupby("stream")["uncollected_t"].last() > 0).all()
    assert r.balance["closes"].all()


def test_tables_have_documented_columns_and_write(tiny, tmp_path):
    """The daily and facility tables have the documented columns and write as CSV/Parquet."""
    r = _run(tiny, seed=0)
    assert tuple(r.daily.columns) == DAILY_COLUMNS
    assert tuple(r.facilities.columns) == FACILITY_COLUMNS
    assert r.to_frame() is r.daily
    for col in ("mean_wait_s", "p95_wait_s", "max_wait_s", "bay_utilisation"):
        assert col in r.facility_totals().columns
    assert set(r.totals()["stream"]) == {"kitchen", "other"}
    assert "mass balance: closes" in r.summary()
    csv = r.write(tmp_path / "csv")
    pq = r.write(tmp_path / "pq", fmt="parquet")
    assert {p.name for p in csv} >= {"sim_daily.csv", "sim_balance.csv", "sim_events.csv"}
    back = pd.read_parquet(tmp_path / "pq" / "sim_daily.parquet")
    assert len(back) == len(r.daily) and len(pq) == len(csv)
    assert not list((tmp_path / "csv").glob("*.tmp"))


def test_progress_callback_per_day(tiny):
    """progress(day) is called once per simulated day, in order."""
    seen: list[int] = []
    _run(tiny, seed=0, days=4, progress=seen.append)
    assert seen == [0, 1, 2, 3]


def test_replications_independent_reproducible_picklable(tiny):
    """Replications use independent seeds, repeat exactly, and pickle (for process pools)."""
    sc, matrix, demand, op = tiny
    kw = dict(demand=demand, matrix=matrix, operating=op, replications=3, seed=11, days=3)
    ticks: list[int] = []
    a = simulate_replications(sc, **kw, day_progress=ticks.append)
    assert ticks == [0, 1, 2] * 3
    b = simulate_replications(sc, **kw)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    hours = [r.daily["vehicle_h"].sum() for r in a.results]
    assert len(set(hours)) == 3
    assert set(a.to_frame()["replication"]) == {0, 1, 2}
    again = pickle.loads(pickle.dumps(a))
    pd.testing.assert_frame_equal(again.totals(), a.totals())
    assert "3 replications" in a.summary()


def test_invalid_settings_and_horizon_rejected(tiny):
    """Bad settings and a horizon longer than the demand are errors, named."""
    with pytest.raises(ValueError, match="breakdown_probability"):
        SimulationSettings(breakdown_probability=1.5)
    with pytest.raises(ValueError, match="travel_distribution"):
        SimulationSettings(travel_distribution="uniform")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="days must lie"):
        _run(tiny, days=DAYS + 1)


# -- collection cycles: one route plan per distinct day of each stream's cycle ----------------

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
    """The cycle scenario routed by PyVRP (1 s per cycle day)."""
    sc, matrix, demand = _cycle_scenario()
    op = build_operating_plan(sc, demand, matrix, day=3, time_limit_s=1.0, seed=0)
    return sc, matrix, demand, op


@pytest.fixture()
def fake_solve(monkeypatch):
    """Replace the routing engine by _route_all and record (problem, stops, time limit)."""
    calls = []

    def solve(problem, *, engine, time_limit_s, seed, workers):
        calls.append((problem.name, len(problem.stops), time_limit_s))
        return _route_all(problem)

    monkeypatch.setattr("wasteopt.routing.solve.solve", solve)
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


def test_cycle_plan_collects_everything_every_day_without_overtime(cycle):
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
    r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=EXACT, seed=0)
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


def test_weekly_points_served_exactly_twice_in_two_weeks(cycle):
    """Over 14 simulated days each weekly point is collected exactly twice, on its due days."""
    sc, matrix, demand, op = cycle
    r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=EXACT, seed=0)
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
    op = build_operating_plan(sc, demand, matrix, day=0, time_limit_s=1.0)
    assert len(op.distinct_plans("other")) == 2  # day 0 and the six empty days
    back = pickle.loads(pickle.dumps(op))
    assert back.cycle_plans == op.cycle_plans and back.cycle_days == op.cycle_days
    assert back.cycle_plans["other"][1] is back.cycle_plans["other"][6]
    assert len(fake_solve) == 2 + 2  # kitchen: two cycle days; other: two distinct due sets


def test_cycle_day_time_budget_is_proportional_to_stops(fake_solve):
    """Each cycle day gets time_limit × stops / max(largest problem's stops, the stream's
    cycle stops), at least 1 s: here kitchen 3 + 3 of 6 stops, weekly 1 stop of 6."""
    sc, matrix, demand = _cycle_scenario()
    build_operating_plan(sc, demand, matrix, day=0, time_limit_s=30.0)
    assert sorted(n for _, n, _ in fake_solve) == [0, 1, 1, 1, 1, 1, 1, 3, 3]
    for name, n, t in fake_solve:
        assert t == pytest.approx(max(1.0, 30.0 * n / 6)), name
    fake_solve.clear()
    daily = dataclasses.replace(
        sc, points=tuple(dataclasses.replace(p, frequency={}) for p in sc.points)
    )
    build_operating_plan(daily, demand, matrix, day=0, time_limit_s=30.0)
    assert [(n, t) for _, n, t in fake_solve] == [(6, 30.0), (6, 30.0)]


def test_cycle_beyond_cap_and_short_horizon_still_collect_all(fake_solve):
    """With the cycle capped below the weekly period, or planned on a demand shorter than the
    cycle, missing due points are inserted and every point is still served on its due days;
    a vehicle whose tour has nothing due (days 1 and 8) stays home."""
    sc, matrix, demand = _cycle_scenario()
    capped = build_operating_plan(sc, demand, matrix, day=0, max_cycle_days=3)
    short = build_operating_plan(sc, generate(sc, days=4, seed=0), matrix, day=0)
    assert capped.cycle_days == {"kitchen": 2, "other": 3}
    assert short.cycle_days["other"] == 7 and sorted(short.cycle_plans["other"]) == [0, 1, 2, 3]
    for op in (capped, short):
        r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=EXACT, seed=0)
        assert r.status == "complete"
        col = r.events[(r.events["kind"] == "collect") & (r.events["stream"] == "other")]
        assert col.groupby("site")["day"].apply(sorted).to_dict() == {
            p.id: [d for d in range(CYCLE_DAYS) if (d + p.phase) % 7 == 0] for p in sc.points
        }
        veh = r.vehicles[(r.vehicles["stream"] == "other") & (r.vehicles["role"] == "collection")]
        assert sorted(veh.loc[~veh["ran"], "day"]) == [1, 8]
