"""Tests of the daily-operations simulation on the hand-checkable tiny scenario."""

from __future__ import annotations

import dataclasses
import itertools
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wasteopt.cli import main
from wasteopt.generation import due_loads, generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.routing.plan import Route
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import TreatmentFacility
from wasteopt.simulation import (
    BALANCE_TERMS,
    DAILY_COLUMNS,
    FACILITY_COLUMNS,
    OperatingPlan,
    SimulationSettings,
    daily_tours,
    simulate,
    simulate_replications,
)
from wasteopt.simulation.district import District

ROOT = Path(__file__).resolve().parents[1]
DAYS = 10


def _plan(scenario, demand, matrix, hand_plan, day=0):
    """Hand-built plans (engine independent) of ``day`` for every stream."""
    problems, plans = {}, {}
    for s in scenario.stream_ids:
        problems[s] = build_problem(scenario, demand, day, s, matrix)
        plans[s] = hand_plan(problems[s])
    return OperatingPlan(problems=problems, plans=plans)


@pytest.fixture(scope="module")
def tiny(hand_plan):
    base = load_scenario(ROOT / "scenarios" / "tiny")
    # some generation noise so that seeds and days differ
    sc = dataclasses.replace(base, generation=dataclasses.replace(base.generation, noise_cv=0.2))
    matrix = build_matrix(sc)
    demand = generate(sc, days=DAYS, seed=7)
    return sc, matrix, demand, _plan(sc, demand, matrix, hand_plan)


@pytest.fixture(scope="module")
def weekly(hand_plan):
    """Tiny with P1's residual waste collected weekly, not due on the planned day 0."""
    base = load_scenario(ROOT / "scenarios" / "tiny")
    points = tuple(
        dataclasses.replace(p, frequency={"other": "weekly"}, phase=3) if p.id == "P1" else p
        for p in base.points
    )
    sc = dataclasses.replace(base, points=points)
    matrix = build_matrix(sc)
    demand = generate(sc, days=DAYS, seed=0)
    return sc, matrix, demand, _plan(sc, demand, matrix, hand_plan)


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
    assert r.status in ("complete", "within_tolerance", "shortfall")


def _leak_on_first_load(monkeypatch: pytest.MonkeyPatch, kg: float) -> list[tuple[int, str]]:
    """Make ``kg`` of the first load of at least that much fall off its vehicle: it leaves
    the bins but reaches no place the balance counts. Returns [(day, stream)] of the leak."""
    real = District._load
    leaks: list[tuple[int, str]] = []

    def leaky(self, veh, day, p, amount):
        take = real(self, veh, day, p, amount)
        if not leaks and take >= kg:
            veh.load_kg -= kg
            leaks.append((day, veh.stream))
        return take

    monkeypatch.setattr(District, "_load", leaky)
    return leaks


@pytest.mark.parametrize("kg", [1.0, 0.001])
def test_injected_leak_breaks_the_balance_from_its_day_on(tiny, monkeypatch, kg):
    """A real run that loses 1 kg (or 1 g) of one stream on the way: the balance of that
    stream fails to close by exactly that much from the day of the leak on, every other row
    still closes, and the run's status is balance_error."""
    leaks = _leak_on_first_load(monkeypatch, kg)
    r = _run(tiny, seed=1, days=3)
    assert len(leaks) == 1
    day, stream = leaks[0]
    bal = r.balance
    hit = (bal["stream"] == stream) & (bal["day"] >= day)
    assert not bal.loc[hit, "closes"].any() and bal.loc[~hit, "closes"].all()
    assert bal.loc[hit, "residual_kg"].to_numpy() == pytest.approx(kg, rel=1e-6)
    assert r.status == "balance_error" and not r.balance_closes
    assert "DOES NOT CLOSE" in r.summary()


def test_injected_leak_fails_the_simulate_command(tiny_dir, tmp_path, monkeypatch, capsys):
    """`wasteopt simulate` on tiny with 1 kg leaked fails (exit code not 0), says the balance
    does not close and writes sim_balance.csv with the failing rows."""
    leaks = _leak_on_first_load(monkeypatch, 1.0)
    out = tmp_path / "sim"
    args = ["simulate", str(tiny_dir), "--days", "2", "--iterations", "50", "--workers", "1"]
    assert main([*args, "--out", str(out)]) != 0
    assert leaks and "DOES NOT CLOSE" in capsys.readouterr().out
    bal = pd.read_csv(out / "rep0" / "sim_balance.csv", encoding="utf-8-sig")
    assert (~bal["closes"]).sum() >= 1 and bal["residual_kg"].max() == pytest.approx(1.0)


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
    # 2 collectors (the hand plan's one route per stream) + 2 haul trucks (VT-HAUL, VT-KHAUL)
    assert (r.events["kind"] == "breakdown").sum() == DAYS * (2 + 2)


def test_carry_over_is_collected_after_a_breakdown(tiny, exact_settings):
    """After a day its vehicle broke down, a stream's collection is that day's generation plus
    everything left the day before (unless its station's full container pool blocked tipping
    that day, e.g. with the haul truck broken too: then the vehicle waits at the bay)."""
    r = _run(tiny, seed=3, settings=dataclasses.replace(exact_settings, breakdown_probability=0.5))
    veh = r.vehicles[r.vehicles["role"] == "collection"]
    blocked = r.events[r.events["kind"] == "tip_blocked"]
    checked = 0
    for stream, g in r.daily.groupby("stream"):
        broke = veh[veh["stream"] == stream].set_index("day")["broke_down"]
        stuck = set(blocked[blocked["stream"] == stream]["day"])
        g = g.set_index("day")
        for d in range(1, DAYS):
            if broke[d - 1] and not broke[d] and d not in stuck:
                expected = g.loc[d - 1, "uncollected_t"] + g.loc[d, "generated_t"]
                assert g.loc[d, "collected_t"] == pytest.approx(expected, rel=1e-12)
                assert g.loc[d, "uncollected_t"] == pytest.approx(0.0, abs=1e-9)
                checked += 1
    assert checked >= 2


def test_plant_overflow_to_fallback(tiny, exact_settings, hand_plan):
    """A 1 t/day incinerator with 2 t storage treats 1 t a day and sends the excess over its
    storage to the emergency landfill (hand-checked: 2.8 t/day arrive; day 0 keeps 1.8 t,
    day 1 has 1.8 + 2.8 − 1 = 3.6 t, 1.6 t over the storage, then 2 + 2.8 − 1 = 3.8 t,
    1.8 t over, every day: 1.6 + 4 × 1.8 = 8.8 t overflow in 6 days)."""
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
    demand = generate(sc, days=6, seed=0)  # noise_cv 0: 2.8 t of residual waste every day
    r = simulate(
        sc,
        demand=demand,
        matrix=matrix,
        operating=_plan(sc0, demand, matrix, hand_plan),
        settings=exact_settings,
        seed=0,
    )
    wte = r.facilities[r.facilities["site_id"] == "FAC-WTE"].set_index("day")
    assert np.allclose(wte["treated_t"], 1.0)
    assert wte["overflowed_t"].tolist() == pytest.approx([0.0, 1.6, 1.8, 1.8, 1.8, 1.8])
    assert wte["stock_t"].tolist() == pytest.approx([1.8, 2.0, 2.0, 2.0, 2.0, 2.0])
    assert (wte["fallback"] == "LF").all()
    assert r.status == "shortfall"
    assert r.totals().set_index("stream").loc["other", "overflowed_t"] == pytest.approx(8.8)
    assert r.balance["closes"].all()
    over = r.events[r.events["kind"] == "overflow"]
    assert set(over["site"]) == {"FAC-WTE"} and over["kg"].sum() == pytest.approx(8800.0)


def test_non_daily_point_is_inserted_and_collected_when_due(weekly, exact_settings):
    """A weekly point absent from the planned day's routes is inserted into a tour and its
    accumulated waste is collected on its due days (and only then)."""
    sc, matrix, _, op = weekly
    planned = {v for r in op.plans["other"].routes for v in r.visits}
    assert "P1" not in planned
    tours = daily_tours(sc, op, matrix)
    assert sum(t.inserted for t in tours["other"]) == 1
    r = _run(weekly, seed=0, settings=exact_settings)
    col = r.events[
        (r.events["kind"] == "collect")
        & (r.events["site"] == "P1")
        & (r.events["stream"] == "other")
    ]
    assert sorted(col["day"]) == [4]  # (day + phase 3) % 7 == 0
    assert col["kg"].sum() == pytest.approx(7 * 150.0)  # a week of 150 kg/day
    assert r.status == "complete"


def test_collected_equals_due_loads_when_nothing_goes_wrong(weekly, exact_settings):
    """With an ample fleet and no randomness each day's collection equals the generation
    model's due loads (initial bins included), stream by stream."""
    sc, _, demand, _ = weekly
    r = _run(weekly, seed=0, settings=exact_settings).daily.set_index(["day", "stream"])
    for d in range(DAYS):
        for s in sc.stream_ids:
            _, kg, visits = due_loads(sc, demand, d, s)
            assert r.loc[(d, s), "collected_t"] * 1000 == pytest.approx(float(kg @ visits))


def test_full_vehicle_adds_unload_trips(tiny, exact_settings):
    """A vehicle too small for its planned trip (its type's real payload below what the plan
    loaded) detours to unload and comes back: everything is still collected, with extra
    unloads counted."""
    sc, matrix, demand, op = tiny
    vts = tuple(
        dataclasses.replace(v, payload_kg=800.0) if v.id == "VT-KIT" else v
        for v in sc.vehicle_types
    )
    small = dataclasses.replace(sc, vehicle_types=vts)
    r = simulate(small, demand=demand, matrix=matrix, operating=op, settings=exact_settings)
    k = r.daily[r.daily["stream"] == "kitchen"]
    assert k["uncollected_t"].max() == pytest.approx(0.0, abs=1e-9)
    kv = r.vehicles[(r.vehicles["stream"] == "kitchen") & (r.vehicles["role"] == "collection")]
    # every trip but the last leaves full: ceil(load / 800 kg) trips, one planned
    assert (kv["trips"] == np.ceil(kv["t"] * 1000 / 800 - 1e-9)).all()
    assert (kv["trips"] == kv["extra_unloads"] + 1).all()
    assert (k["extra_unloads"] >= 1).all()
    assert r.balance["closes"].all()


def test_overtime_limit_skips_stops_and_keeps_their_waste(tiny, exact_settings):
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
        settings=dataclasses.replace(exact_settings, max_overtime_s=0),
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


def test_lunch_back_at_the_depot_is_driven_in_the_simulation(exact_settings, plan_of):
    """A tour whose break is back at the depot between its two trips drives there and on
    from there in the simulation: each collection vehicle's simulated km equal its checked
    route's, which are longer than with the break at the unload site."""
    from wasteopt.routing.check import check_plan

    base = load_scenario(ROOT / "scenarios" / "tiny")
    vts = tuple(
        dataclasses.replace(
            v, lunch_earliest_s=6 * 3600, lunch_latest_s=13 * 3600, lunch_duration_s=1800
        )
        for v in base.vehicle_types
    )
    sc = dataclasses.replace(base, vehicle_types=vts)
    matrix = build_matrix(sc)
    demand = generate(sc, days=1, seed=0)
    problems = {s: build_problem(sc, demand, 0, s, matrix) for s in sc.stream_ids}
    km: dict[bool, dict[str, float]] = {}
    for home in (False, True):
        plans = {}
        for s, p in problems.items():
            site = p.stops[0].unload_at[0]
            routes = []
            for fleet in p.fleets:  # each stop on the first fleet that may serve it
                stops = sorted(
                    x.id for x in p.stops if next(f for f in p.fleets if x.allows(f.id)) == fleet
                )
                if stops:
                    routes.append(
                        Route(
                            vehicle=f"{fleet.id}#1",
                            fleet=fleet.id,
                            start_s=fleet.shift_start_s,
                            visits=(stops[0], site, *stops[1:], site)[: 2 * len(stops)],
                            lunch_after=1,
                            lunch_at_depot=home,
                        )
                    )
            plan = plan_of(p, routes)
            report = check_plan(p, plan)
            assert report.ok, report.summary()
            lunch = [v.id for r in report.routes for v in r.visits if v.kind == "lunch"]
            assert set(lunch) == {p.fleets[0].depot if home else site}
            plans[s] = dataclasses.replace(plan, check=report)
        op = OperatingPlan(problems=problems, plans=plans)
        r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=exact_settings)
        v = r.vehicles[(r.vehicles["role"] == "collection") & r.vehicles["ran"]]
        km[home] = v.groupby("stream")["km"].sum().to_dict()
        for s, plan in plans.items():
            assert plan.check is not None
            assert km[home][s] == pytest.approx(plan.check.totals.distance_km, abs=1e-6)
    assert all(km[True][s] > km[False][s] for s in problems)


def test_vehicles_drive_and_count_their_own_roads(exact_settings, plan_of):
    """On tiny_roads every collection vehicle's simulated km equal its checked route's (the
    legs of its own road profile), and the 8.5 t compactor's exceed the unrestricted table's
    for the same visits (its detours round the truck ban and the 8 t bridge)."""
    from wasteopt.routing.check import check_plan

    sc = load_scenario(ROOT / "scenarios" / "tiny_roads")
    matrix = build_matrix(sc)
    demand = generate(sc, days=1, seed=0)
    problems = {s: build_problem(sc, demand, 0, s, matrix) for s in sc.stream_ids}
    plans = {}
    for s, p in problems.items():
        routes = []
        for fleet in p.fleets:  # each stop on the first fleet that may serve it
            stops = sorted(
                x.id for x in p.stops if next(f for f in p.fleets if x.allows(f.id)) == fleet
            )
            if stops:
                site = next(x.unload_at[0] for x in p.stops if x.id == stops[0])
                visits = (*stops, site)
                routes.append(
                    Route(vehicle=f"{fleet.id}#1", fleet=fleet.id, start_s=6 * 3600, visits=visits)
                )
        plan = plan_of(p, routes)
        plans[s] = dataclasses.replace(plan, check=check_plan(p, plan))
    op = OperatingPlan(problems=problems, plans=plans)
    r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=exact_settings)
    ran = r.vehicles[(r.vehicles["role"] == "collection") & r.vehicles["ran"]]
    km = ran.set_index("vehicle")["km"]
    for plan in plans.values():
        assert plan.check is not None
        for t in plan.check.routes:
            assert km[t.vehicle] == pytest.approx(t.distance_km, abs=1e-6)
    p = problems["other"]
    (oth,) = (rt for rt in plans["other"].routes if rt.fleet == "VT-OTH")
    idx = p.index()
    path = [idx["D1"], *(idx[v] for v in oth.visits), idx["D1"]]
    plain_m = sum(int(p.distance_m[a, b]) for a, b in itertools.pairwise(path))
    assert km["VT-OTH#1"] * 1000 > plain_m
