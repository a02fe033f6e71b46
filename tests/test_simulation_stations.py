"""Stations in the simulation: per-stream tipping bays, per-stream compaction and the container
pool (full out, empty back), on the tiny scenario edited with dataclasses.replace, and the
container haul mass balance on the shipped tiny as the pipeline plans and routes it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import simpy

from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.pipeline import Horizon, plan_operations
from wasteopt.routing.build import build_problem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import apply_variant, load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.simulation import Bays, OperatingPlan, SimulationSettings, simulate
from wasteopt.simulation.hauls import build_stations

ROOT = Path(__file__).resolve().parents[1]


def _tiny(**station: object) -> Scenario:
    """Tiny with ST-W edited (no pool, shared bays unless given) and no generation noise."""
    base = load_scenario(ROOT / "scenarios" / "tiny")
    edit = {"containers": 0, "container_t": 0.0, "stream_bays": {}, "compaction": {}, **station}
    stations = tuple(
        dataclasses.replace(s, **edit) if s.id == "ST-W" else s  # type: ignore[arg-type]
        for s in base.stations
    )
    gen = dataclasses.replace(base.generation, noise_cv=0.0)
    return dataclasses.replace(base, stations=stations, generation=gen)


def _with_haul(sc: Scenario, **haul: object) -> Scenario:
    """``sc`` with every haul type edited."""
    vts = tuple(
        dataclasses.replace(v, **haul) if v.role == "haul" else v  # type: ignore[arg-type]
        for v in sc.vehicle_types
    )
    return dataclasses.replace(sc, vehicle_types=vts)


def _simulate(sc, hand_plan, days, settings, seed=0):
    matrix = build_matrix(sc)
    demand = generate(sc, days=days, seed=seed)
    problems = {s: build_problem(sc, demand, 0, s, matrix) for s in sc.stream_ids}
    op = OperatingPlan(problems=problems, plans={s: hand_plan(p) for s, p in problems.items()})
    r = simulate(sc, demand=demand, matrix=matrix, operating=op, settings=settings, seed=seed)
    return r, matrix


def _station_rows(r, station="ST-W"):
    return r.facilities[r.facilities["site_id"] == station].set_index("day")


def test_container_pool_mass_balance_closes(hand_plan):
    """With a pool of 2 containers of 1 t, random times and breakdowns, the mass balance closes
    to the kilogram every day, containers are hauled, and each container trip is station →
    plant → station."""
    sc = _with_haul(_tiny(containers=2, container_t=1.0), max_trips=12)
    settings = SimulationSettings(breakdown_probability=0.2)
    r, matrix = _simulate(sc, hand_plan, days=10, settings=settings, seed=4)
    bal = r.balance
    assert bal["closes"].all(), bal[["day", "stream", "residual_kg"]]
    assert (bal["residual_kg"].abs() < 1e-3).all()  # to the gram, not just relatively
    st = _station_rows(r)
    assert st["inflow_t"].sum() > 0 and st["containers_hauled"].sum() > 0
    plant = r.events[r.events["kind"] == "haul_load"]
    assert (plant["kg"] <= 1000.0 + 1e-6).all()  # no container holds more than 1 t
    dist = np.asarray(matrix.distance_m)
    i, k = matrix.index("ST-W"), matrix.index("FAC-WTE")
    round_km = (dist[i, k] + dist[k, i]) / 1000.0
    backs = r.events[r.events["kind"] == "container_back"].groupby("day").size()
    km = st["container_km"]
    assert km.to_numpy() == pytest.approx(backs.reindex(km.index, fill_value=0) * round_km)
    assert (r.facilities[r.facilities["site_kind"] == "plant"]["containers_hauled"] == 0).all()


def test_one_container_and_slow_haul_block_tipping(hand_plan, exact_settings):
    """A pool of one 0.5 t container with a slow haul truck blocks tipping: the collection
    vehicle waits at its bay exactly the blocked time, and comes back later than with a
    pool large enough."""
    slow = {"max_trips": 20, "speed_kmh": 20.0}
    blocked_sc = _with_haul(_tiny(containers=1, container_t=0.5), **slow)
    ample_sc = _with_haul(_tiny(containers=20, container_t=0.5), **slow)
    r, _ = _simulate(blocked_sc, hand_plan, days=3, settings=exact_settings)
    ample, _ = _simulate(ample_sc, hand_plan, days=3, settings=exact_settings)
    st = _station_rows(r)
    assert (st["tipping_blocked_h"] > 0).all()
    assert (_station_rows(ample)["tipping_blocked_h"] == 0).all()
    assert (r.events["kind"] == "tip_blocked").any()
    unload_s = blocked_sc.station("ST-W").unload_time_s
    tips = r.tips[r.tips["site"] == "ST-W"]
    held_extra_h = (tips["end_s"] - tips["start_s"] - unload_s).sum() / 3600.0
    assert held_extra_h == pytest.approx(st["tipping_blocked_h"].sum(), rel=1e-9)
    veh = r.vehicles.set_index(["day", "vehicle"])["hours"]
    veh_ample = ample.vehicles.set_index(["day", "vehicle"])["hours"]
    other = [key for key in veh.index if key[1].startswith("VT-OTH")]
    assert all(veh[key] > veh_ample[key] + 1.0 for key in other)
    assert r.balance["closes"].all()


def _tip_times(sc: Scenario, arrivals: list[tuple[str, str]]) -> list[float]:
    """Start times of unloading at ST-W for trucks ``(id, stream)`` all arriving at 06:00."""
    env = simpy.Environment()
    matrix = build_matrix(sc)
    events: list = []
    tips: list = []

    def make_bays(site: str, n: int, unload_s: int, open_s: int, close_s: int) -> Bays:
        return Bays(
            env,
            site=site,
            bays=n,
            unload_s=unload_s,
            open_s=open_s,
            close_s=close_s,
            sample_unload=lambda mean: mean,
            events=events,
            tips=tips,
        )

    dist = np.asarray(matrix.distance_m).tolist()
    stations, _ = build_stations(
        sc, matrix, dist, fplan=None, toured=set(), make_bays=make_bays, env=env
    )
    st = stations["ST-W"]
    for vid, stream in arrivals:
        env.process(st.bays_for(stream).tip(vid, stream, 1000.0))
    env.run(until=86_400)
    return [t[5] - 6 * 3600 for t in sorted(tips, key=lambda t: t[1])]


def test_per_stream_bays_separate_queues():
    """With one bay per stream, trucks of two streams arriving together both start at once
    and only same-stream trucks queue; with the one shared bay the second truck waits."""
    both = ("kitchen", "other")
    own = _tiny(streams=both, bays=1, stream_bays={"kitchen": 1, "other": 1})
    shared = _tiny(streams=both, bays=1)
    assert _tip_times(own, [("a", "kitchen"), ("b", "other")]) == [0.0, 0.0]
    assert sorted(_tip_times(shared, [("a", "kitchen"), ("b", "other")])) == [0.0, 600.0]
    assert _tip_times(own, [("a", "other"), ("b", "other"), ("c", "kitchen")]) == [0, 600, 0]


@pytest.mark.parametrize("containers", [0, 4])
def test_uncompacted_kitchen_needs_more_haul_trips(hand_plan, exact_settings, containers):
    """Kitchen and residual waste of the same weight and density at a station compacting 2:1:
    kitchen is not compacted (no press), so a 2 m³ haul body takes 500 kg of it against 1000 kg
    of residual waste, and 2.1 t a day need 5 haul trips instead of 3 (trailer loads or
    containers)."""
    sc = _tiny(streams=("kitchen", "other"), compaction_ratio=2.0, containers=containers)
    sc = dataclasses.replace(
        sc,
        points=tuple(
            dataclasses.replace(
                p,
                # P7 (lane, no kitchen waste) gives nothing: 2.1 t of each stream a day
                kg_per_day={"kitchen": p.kg_per_day.get("kitchen", 0.0)}
                | {"other": p.kg_per_day.get("kitchen", 0.0)},
            )
            for p in sc.points
        ),
        streams=tuple(dataclasses.replace(s, density_kg_per_m3=250.0) for s in sc.streams),
    )
    haul = next(v for v in sc.vehicle_types if v.role == "haul")
    haul = dataclasses.replace(haul, volume_m3=2.0, payload_kg=10_000.0, max_trips=20)
    kitchen_haul = dataclasses.replace(haul, id="VT-HAUL-K", stream="kitchen")
    others = tuple(v for v in sc.vehicle_types if v.role != "haul")
    sc = dataclasses.replace(sc, vehicle_types=(*others, haul, kitchen_haul))
    assert sc.station("ST-W").compaction_for("kitchen") == 1.0
    r, _ = _simulate(sc, hand_plan, days=3, settings=exact_settings)
    loads = r.events[(r.events["kind"] == "haul_load") & (r.events["site"] == "ST-W")]
    trips = loads.groupby(["day", "stream"]).size().unstack()
    hauled = loads.groupby("stream")["kg"].sum()
    assert hauled["kitchen"] == pytest.approx(hauled["other"])  # the same weight
    assert (trips["kitchen"] == 5).all() and (trips["other"] == 3).all()
    assert loads.groupby("stream")["kg"].max().to_dict() == pytest.approx(
        {"kitchen": 500.0, "other": 1000.0}
    )
    assert r.balance["closes"].all()


POOL_DAYS = 4


@pytest.fixture(scope="module", params=["base", "east"])
def tiny_pool(request):
    """The shipped tiny (``base``: ST-W, other waste only; ``east``: ST-E, kitchen and other
    waste sharing one pool) planned and routed by the pipeline, then simulated for 4 days with
    exact times and hauls of full containers only (no sweep before closing), so part-filled
    containers stay in the pool overnight."""
    base = load_scenario(ROOT / "scenarios" / "tiny")
    sc = base if request.param == "base" else apply_variant(base, request.param)
    routing = RoutingSettings(seed=1, workers=1, iterations=200, time_limit_s=5)
    ops = plan_operations(sc, Horizon(days=POOL_DAYS, day=0), routing=routing)
    settings = SimulationSettings(
        travel_distribution="deterministic",
        service_distribution="deterministic",
        unload_distribution="deterministic",
        haul_dispatch="full_loads",
    )
    r = simulate(
        sc, demand=ops.demand, matrix=ops.matrix, operating=ops.operating, settings=settings
    )
    assert ops.operating.facility_plan is not None
    return sc, ops.operating.facility_plan, r


def _by_day(frame, kind_rows) -> np.ndarray:
    """kg per day 0..POOL_DAYS-1 of the rows ``kind_rows`` of ``frame``."""
    kg = frame[kind_rows].groupby("day")["kg"].sum()
    return kg.reindex(range(POOL_DAYS), fill_value=0.0).to_numpy()


def test_container_haul_mass_balance_on_tiny(tiny_pool):
    """At the open station of tiny, every day and per stream: tonnes tipped = tonnes hauled out
    + tonnes in its pool at day end. By hand from the plan's catchment (kg/day of the points
    it sends there) and the container size: the pool keeps cumulative kg mod container_t and
    every haul takes one full container (base ST-W: 2,150 kg/day in 1.2 t containers leaves
    950, 700, 450, 200 kg; east ST-E: kitchen 1,500 and other 2,150 kg/day in 2.4 t ones)."""
    sc, fplan, r = tiny_pool
    (sid,) = fplan.open_stations
    station = sc.station(sid)
    cap_kg = station.container_t * 1000.0
    tips, ev = r.tips[r.tips["site"] == sid], r.events[r.events["site"] == sid]
    loads = ev[ev["kind"] == "haul_load"]
    balance = r.balance.set_index(["day", "stream"])["at_stations_kg"]
    pool_total = np.zeros(POOL_DAYS)
    for stream in station.streams:
        daily_kg = sum(
            sc.point(p).kg_per_day[x]
            for (p, x), site in fplan.assignments.items()
            if x == stream and site == sid
        )
        cum_kg = daily_kg * np.arange(1, POOL_DAYS + 1)
        pool_kg = np.mod(cum_kg, cap_kg)  # the part-filled container of each day end
        tipped = np.cumsum(_by_day(tips, tips["stream"] == stream))
        hauled = np.cumsum(_by_day(loads, loads["stream"] == stream))
        assert tipped == pytest.approx(cum_kg)
        assert hauled == pytest.approx(cum_kg - pool_kg)
        assert tipped - hauled == pytest.approx(pool_kg)
        at_station = [balance[(d, stream)] for d in range(POOL_DAYS)]
        assert at_station == pytest.approx(pool_kg)
        pool_total += pool_kg
    assert loads["kg"].tolist() == pytest.approx([cap_kg] * len(loads))  # full containers only
    rows = r.facilities[r.facilities["site_id"] == sid].set_index("day")
    assert rows["stock_t"].to_numpy() * 1000.0 == pytest.approx(pool_total)
    assert rows["containers_hauled"].sum() == len(loads) > 0
    assert (pool_total > 0).all() and r.balance["closes"].all()


def test_haul_jobs_that_would_run_past_the_shift_wait_for_the_next(hand_plan):
    """A slow haul truck whose 06:00–10:00 shift cannot finish a late container round leaves
    it for the next morning: no overtime, the balance still closes; a dispatcher that sends it
    anyway (a margin longer than the shift, so every job is taken) runs overtime."""
    sc = _with_haul(
        _tiny(containers=20, container_t=0.5), max_trips=20, speed_kmh=15.0, shift_end_s=36_000
    )
    exact = {
        "travel_distribution": "deterministic",
        "service_distribution": "deterministic",
        "unload_distribution": "deterministic",
    }
    runs = {}
    for margin in (0, 10**6):
        settings = SimulationSettings(haul_end_margin_s=margin, **exact)  # type: ignore[arg-type]
        r, _ = _simulate(sc, hand_plan, days=3, settings=settings)
        assert r.balance["closes"].all()
        runs[margin] = r.vehicles[(r.vehicles["role"] == "haul") & r.vehicles["ran"]]
    assert len(runs[0]) > 0 and (runs[0]["overtime_min"] == 0).all()
    assert (runs[10**6]["overtime_min"] > 0).any()


def test_plants_treat_only_what_other_districts_leave(hand_plan, exact_settings):
    """A plant shared with other districts treats at most capacity − external_t_per_day of
    this scenario's waste a day (as the facility plan counts it): with the tiny kitchen plant
    (50 t/day, given 10 t of storage so a backlog can stay) carrying 49.9 t/day from outside,
    a backlog builds that the unshared plant never has."""
    base = _tiny()

    def kitchen_plant(external: float) -> Scenario:
        facilities = tuple(
            dataclasses.replace(f, external_t_per_day=external, storage_t=10.0)
            if f.id == "FAC-KITCHEN"
            else f
            for f in base.facilities
        )
        return dataclasses.replace(base, facilities=facilities)

    rows = {}
    for external in (0.0, 49.9):
        r, _ = _simulate(kitchen_plant(external), hand_plan, days=3, settings=exact_settings)
        rows[external] = r.facilities[r.facilities["site_id"] == "FAC-KITCHEN"]
        assert r.balance["closes"].all()
    assert np.allclose(rows[49.9]["capacity_t_per_day"], 0.1)
    assert (rows[49.9]["treated_t"] <= 0.1 + 1e-9).all()
    assert rows[49.9]["stock_t"].iloc[-1] > 1.0
    assert (rows[0.0]["stock_t"] == 0.0).all()
