"""Tests of the facility consolidation planner on tiny, hand-checkable cases.

Every site lies on a straight road (a 1-D line, positions in km), so distances are |x_a − x_b|
and each expected assignment can be checked by hand. Unless a test says otherwise, transfer
haul is free (haul vehicles cost 0 CNY/km) and station costs are zero, so only the collection
line-haul (cost ∝ t/day × distance) decides where a point unloads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import subprocess
import sys

import numpy as np
import pytest

from wasteopt.errors import InputError
from wasteopt.facilities import (
    CostSettings,
    FacilityPlan,
    FacilitySettings,
    capital_recovery_factor,
    plan_facilities,
)
from wasteopt.scenario.model import (
    CollectionPoint,
    GenerationSettings,
    Scenario,
    Stream,
    TransferStation,
    TreatmentFacility,
    VehicleType,
)

STREAMS = ("kitchen", "other")


class LineMatrix:
    """Minimal TravelMatrix stand-in: sites on a line, distance = |Δx| in metres."""

    def __init__(self, positions_km: dict[str, float]) -> None:
        self.ids = tuple(positions_km)
        x = np.array([positions_km[i] for i in self.ids]) * 1000.0
        self.distance_m = np.rint(np.abs(x[:, None] - x[None, :])).astype(np.int32)
        self._row = {i: k for k, i in enumerate(self.ids)}

    def index(self, site_id: str) -> int:
        return self._row[site_id]

    def block(self, row_ids: list[str], col_ids: list[str]) -> np.ndarray:
        rows = [self._row[i] for i in row_ids]
        return self.distance_m[np.ix_(rows, [self._row[i] for i in col_ids])]


def stream(sid: str) -> Stream:
    return Stream(
        id=sid, name_en=sid, name_zh=sid, color="#000000", density_kg_per_m3=500.0, share=0.5
    )


def point(pid: str) -> CollectionPoint:
    return CollectionPoint(
        id=pid,
        name=pid,
        lon=0.0,
        lat=0.0,
        district="d",
        residents=100,
        households=None,
        kg_per_day={},
        frequency={},
        service_time_s=60,
        tw_start_s=0,
        tw_end_s=86400,
    )


def station(
    sid: str, *, status: str = "existing", streams=STREAMS, cap: float = 100.0, **kw
) -> TransferStation:
    base = dict(
        id=sid,
        name=sid,
        lon=0.0,
        lat=0.0,
        district="d",
        status=status,
        streams=tuple(streams),
        capacity_t_per_day=cap,
        bays=1,
        unload_time_s=600,
        open_s=0,
        close_s=86400,
        fixed_cost_cny_per_year=0.0,
        cost_cny_per_t=0.0,
        opening_cost_cny=0.0,
        closing_cost_cny=0.0,
        compaction_ratio=1.0,
    )
    base.update(kw)
    return TransferStation(**base)


def plant(kid: str, streams=STREAMS, cap: float = 1000.0, gate: float = 0.0) -> TreatmentFacility:
    return TreatmentFacility(
        id=kid,
        name=kid,
        kind="waste_to_energy",
        lon=0.0,
        lat=0.0,
        streams=tuple(streams),
        capacity_t_per_day=cap,
        gate_fee_cny_per_t=gate,
        open_s=0,
        close_s=86400,
        bays=1,
        unload_time_s=600,
    )


def vehicle(
    vid: str, sid: str, role: str, cost_km: float, payload_kg: float = 5000.0, co2: float = 1.0
) -> VehicleType:
    return VehicleType(
        id=vid,
        name=vid,
        stream=sid,
        role=role,
        depot="D",
        count=1,
        payload_kg=payload_kg,
        volume_m3=100.0,
        speed_kmh=30.0,
        cost_cny_per_km=cost_km,
        cost_cny_per_hour=0.0,
        cost_cny_per_day=0.0,
        co2_kg_per_km=co2,
        shift_start_s=0,
        shift_end_s=86400,
        lunch_earliest_s=None,
        lunch_latest_s=None,
        lunch_duration_s=0,
        max_trips=3,
    )


def scenario(points, stations, plants, *, haul_cost_km: float = 0.0, large=()) -> Scenario:
    """Two streams, one collection and one haul type each; ``large``: large-generator points
    (the only ones that may deliver directly to a plant when a station accepts the stream)."""
    vts = []
    for sid in STREAMS:
        vts.append(vehicle(f"C-{sid}", sid, "collection", 10.0))
        vts.append(vehicle(f"H-{sid}", sid, "haul", haul_cost_km, payload_kg=10000.0))
    return Scenario(
        id="tiny",
        name="tiny",
        description="",
        folder="",
        streams=tuple(stream(s) for s in STREAMS),
        points=tuple(dataclasses.replace(point(p), large_generator=p in large) for p in points),
        depots=(),
        stations=tuple(stations),
        facilities=tuple(plants),
        vehicle_types=tuple(vts),
        generation=GenerationSettings(start_date=dt.date(2024, 1, 1), kg_per_person_day=1.0),
    )


def rates(sc: Scenario, kg: dict[tuple[str, str], float]) -> np.ndarray:
    out = np.zeros((len(sc.points), len(sc.streams)))
    for (p, s), v in kg.items():
        out[[q.id for q in sc.points].index(p), list(STREAMS).index(s)] = v
    return out


def solve(sc, r, m, **kw) -> FacilityPlan:
    kw.setdefault("time_limit_s", 10)
    kw.setdefault("mode", "free")
    return plan_facilities(sc, r, m, FacilitySettings(**kw))


# -- a three-station line: A at 0, B at 5, C at 12; plant far away at 50 ----------------------
def line_case(**station_kw):
    pos = {"P1": 0.0, "P2": 1.0, "P3": 11.0, "A": 0.0, "B": 5.0, "C": 12.0, "W": 50.0}
    sts = [station(s, **station_kw.get(s, {})) for s in ("A", "B", "C")]
    sc = scenario(["P1", "P2", "P3"], sts, [plant("W")])
    r = rates(sc, {("P1", "kitchen"): 600, ("P2", "kitchen"): 600, ("P3", "kitchen"): 600})
    return sc, r, LineMatrix(pos)


def test_points_go_to_nearest_station():
    """With room everywhere, each point unloads at its nearest station (not at the far plant)."""
    sc, r, m = line_case()
    plan = solve(sc, r, m)
    assert plan.status == "optimal"
    assert plan.assignment_for("kitchen") == {"P1": "A", "P2": "A", "P3": "C"}


def test_closing_a_station_moves_points_to_nearest_open_station():
    """A forced-closed station gets nothing; its points move to the nearest open one (B, not C)."""
    sc, r, m = line_case(A={"decision": "close"})
    plan = solve(sc, r, m)
    assert plan.status == "optimal"
    assert plan.assignment_for("kitchen") == {"P1": "B", "P2": "B", "P3": "C"}
    assert "A" in plan.closed_stations and "A" not in plan.open_stations
    assert plan.inflow_t_per_day["A"] == 0.0


def test_binding_capacity_spills_to_second_nearest():
    """A has room for one 0.6 t point: P1 (closer) keeps A, P2 spills to B; A is binding."""
    sc, r, m = line_case(A={"cap": 0.6})
    plan = solve(sc, r, m)
    assert plan.status == "optimal"
    assert plan.assignment_for("kitchen") == {"P1": "A", "P2": "B", "P3": "C"}
    assert plan.binding == ("A",)
    assert plan.utilisation["A"] == pytest.approx(1.0)
    assert plan.utilisation["B"] == pytest.approx(0.6 / 100.0)


def test_capacity_shortfall_is_reported_in_t_per_day():
    """One kitchen station of 1.0 t/day, three 0.5 t/day points, no direct delivery:
    the plan is capacity_short at that station by 0.5 t/day."""
    pos = {"P1": 0.0, "P2": 1.0, "P3": 2.0, "K": 0.0, "W": 30.0}
    sc = scenario(["P1", "P2", "P3"], [station("K", cap=1.0)], [plant("W")])
    r = rates(sc, {(p, "kitchen"): 500 for p in ("P1", "P2", "P3")})
    plan = solve(sc, r, LineMatrix(pos), allow_direct=False)
    assert plan.status == "capacity_short"
    assert plan.shortfalls_t_per_day == pytest.approx({"K": 0.5})
    assert set(plan.assignment_for("kitchen").values()) == {"K"}
    assert "K" in plan.summary()


def test_excess_within_tolerance_is_named_but_not_short():
    """A 1.0 t/day station receiving 1.004 t/day (0.4 % over, within the 0.5 % tolerance) leaves
    the plan optimal with the excess named; 1.006 t/day (0.6 %) makes it capacity_short."""
    sc = scenario(["P1", "P2"], [station("K", cap=1.0)], [plant("W")])
    pos = {"P1": 0.0, "P2": 1.0, "K": 0.0, "W": 30.0}
    for kg, status in ((502, "optimal"), (503, "capacity_short")):
        r = rates(sc, {(p, "kitchen"): kg for p in ("P1", "P2")})
        plan = solve(sc, r, LineMatrix(pos), allow_direct=False)
        assert plan.status == status
        assert plan.shortfalls_t_per_day == pytest.approx({"K": 2 * kg / 1000 - 1.0})
        assert any("within tolerance" in m for m in plan.messages) == (status == "optimal")


def test_plant_shortfall_is_reported():
    """Plant W takes 1.0 t/day but receives 1.8 t/day: shortfall 0.8 t/day at W."""
    sc, r, m = line_case()
    sc = dataclasses.replace(sc, facilities=(plant("W", cap=1.0),))
    plan = solve(sc, r, m)
    assert plan.status == "capacity_short"
    assert plan.shortfalls_t_per_day == pytest.approx({"W": 0.8})


def test_forced_open_candidate_is_built_and_status_quo_keeps_existing():
    """A costly candidate is not built when free, is built when forced open, and status_quo
    keeps every existing station open while leaving candidates unbuilt."""
    cand = {"status": "candidate", "opening_cost_cny": 1e6}
    sc, r, m = line_case(B=cand, C={"fixed_cost_cny_per_year": 5e5})
    free = solve(sc, r, m)
    assert "B" not in free.open_stations and free.built_stations == ()
    assert "C" in free.closed_stations  # expensive to run, P3 is cheaper to serve from A
    forced = dataclasses.replace(
        sc,
        stations=tuple(
            dataclasses.replace(s, decision="open") if s.id == "B" else s for s in sc.stations
        ),
    )
    plan = solve(forced, r, m)
    assert plan.built_stations == ("B",)
    assert plan.cost_breakdown["station_opening_annualised"] == pytest.approx(
        1e6 * capital_recovery_factor(0.05, 20)
    )
    sq = solve(sc, r, m, mode="status_quo")
    assert set(sq.open_stations) == {"A", "C"} and sq.built_stations == ()
    assert sq.closed_stations == ()


def test_kitchen_never_goes_to_a_station_without_kitchen():
    """The nearest station accepts only 'other': kitchen goes to the farther mixed station and
    every flow keeps its stream (kitchen reaches only the kitchen plant)."""
    pos = {"P1": 0.0, "O": 0.0, "M": 4.0, "KW": 30.0, "WTE": 30.0}
    sts = [station("O", streams=("other",)), station("M")]
    plants = [plant("KW", streams=("kitchen",)), plant("WTE", streams=("other",))]
    sc = scenario(["P1"], sts, plants)
    r = rates(sc, {("P1", "kitchen"): 800, ("P1", "other"): 900})
    plan = solve(sc, r, LineMatrix(pos))
    assert plan.assignments[("P1", "kitchen")] == "M"
    assert plan.assignments[("P1", "other")] == "O"
    assert plan.flows == pytest.approx({("M", "kitchen", "KW"): 0.8, ("O", "other", "WTE"): 0.9})


def test_cost_breakdown_matches_hand_computation():
    """One point 2 km from a station, station 10 km from the plant: every cost term by hand."""
    pos = {"P1": 0.0, "S": 2.0, "W": 12.0}
    st = station("S", fixed_cost_cny_per_year=1000.0, cost_cny_per_t=20.0)
    sc = scenario(["P1"], [st], [plant("W", gate=50.0)], haul_cost_km=8.0)
    r = rates(sc, {("P1", "kitchen"): 1000.0})  # 1 t/day
    plan = solve(sc, r, LineMatrix(pos), allow_direct=False)
    b = plan.cost_breakdown
    # collection: 1 t/day / 5 t per load = 0.2 loads/day × 4 km round trip × 10 CNY/km × 365
    assert b["collection_line_haul"] == pytest.approx(0.2 * 4 * 10 * 365)
    # haul: 1 t/day / 10 t per trip × 20 km round trip × 8 CNY/km × 365
    assert b["transfer_haul"] == pytest.approx(0.1 * 20 * 8 * 365)
    assert b["station_handling"] == pytest.approx(20 * 365)
    assert b["gate_fees"] == pytest.approx(50 * 365)
    assert b["station_fixed"] == pytest.approx(1000.0)
    assert b["collection_local"] == 0.0  # one point: no tour area
    assert plan.objective == pytest.approx(sum(b.values()))
    # CO2: (0.2 × 4 km + 0.1 × 20 km) × 1 kg/km; t·km: 1 t × 2 km + 1 t × 10 km
    assert plan.co2_kg_per_day == pytest.approx(0.8 + 2.0)
    assert plan.t_km_per_day == pytest.approx(12.0)


def test_direct_delivery_when_cheaper_and_max_haul_forbids_it():
    """With the station behind the point, direct delivery to the plant wins; a max haul of 5 km
    forbids the 8 km direct trip and the station is used."""
    pos = {"P1": 8.0, "S": 2.0, "W": 0.0}
    st = station("S", cost_cny_per_t=500.0)
    sc = scenario(["P1"], [st], [plant("W")], large=("P1",))
    r = rates(sc, {("P1", "other"): 1000.0})
    assert solve(sc, r, LineMatrix(pos)).assignments[("P1", "other")] == "W"
    capped = solve(sc, r, LineMatrix(pos), max_haul_km=7.0)
    assert capped.assignments[("P1", "other")] == "S"


def test_max_stations_limit():
    """With max_stations=1 and free closing, one station serves all three points."""
    sc, r, m = line_case()
    plan = solve(sc, r, m, max_stations=1, allow_direct=False)
    assert plan.status == "optimal"
    assert len(plan.open_stations) == 1
    assert len(set(plan.assignment_for("kitchen").values())) == 1


def test_same_input_same_plan():
    """Two solves of the same input give the identical plan."""
    sc, r, m = line_case(A={"cap": 0.6})
    a, b = solve(sc, r, m), solve(sc, r, m)
    assert a.assignments == b.assignments and a.flows == b.flows
    assert a.objective == b.objective and a.open_stations == b.open_stations


def test_unassignable_point_is_infeasible_with_its_id():
    """A stream no station or plant accepts makes the plan infeasible, naming the point."""
    pos = {"P1": 0.0, "S": 1.0, "W": 5.0}
    sc = scenario(["P1"], [station("S", streams=("other",))], [plant("W", streams=("other",))])
    r = rates(sc, {("P1", "kitchen"): 100.0})
    plan = solve(sc, r, LineMatrix(pos))
    assert plan.status == "infeasible"
    assert "P1/kitchen" in " ".join(plan.messages)


def test_bad_inputs_raise_all_problems():
    """A wrong rate shape is rejected; ids missing from the matrix are all named."""
    sc, r, m = line_case()
    with pytest.raises(InputError, match="shape"):
        plan_facilities(sc, r[:, :1], m)
    partial = LineMatrix({"P1": 0.0, "P2": 1.0, "A": 0.0, "B": 5.0})
    with pytest.raises(InputError) as err:
        plan_facilities(sc, r, partial)
    text = str(err.value)
    assert "id=P3" in text and "id=C" in text and "id=W" in text


def test_frames_and_crf():
    """to_frame/utilisation_frame cover every assignment and site; CRF(5 %, 20 y) ≈ 0.08024."""
    sc, r, m = line_case()
    plan = solve(sc, r, m, costs=CostSettings(tour_constant=0.57))
    df = plan.to_frame()
    assert len(df) == 3 and set(df["site_kind"]) == {"station"}
    assert df["t_per_day"].sum() == pytest.approx(1.8)
    u = plan.utilisation_frame()
    assert set(u["site_id"]) == {"A", "B", "C", "W"}
    assert math.isclose(capital_recovery_factor(0.05, 20), 0.0802426, rel_tol=1e-5)


def test_import_does_not_load_pyomo():
    """Importing wasteopt.facilities loads neither Pyomo nor highspy (they load on solve)."""
    code = (
        "import sys, wasteopt.facilities; "
        "print(any(m.startswith(('pyomo', 'highspy')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _with_collection(sc: Scenario, **kw) -> Scenario:
    """``sc`` with every collection vehicle type changed by ``kw``."""
    vts = tuple(
        dataclasses.replace(v, **kw) if v.role == "collection" else v for v in sc.vehicle_types
    )
    return dataclasses.replace(sc, vehicle_types=vts)


def test_time_costs_match_hand_computation():
    """Crew hours, unloading time and vehicle-day shares of the collection cost, by hand."""
    pos = {"P1": 0.0, "S": 2.0, "W": 12.0}
    sc = scenario(["P1"], [station("S")], [plant("W")], haul_cost_km=8.0)
    sc = _with_collection(sc, cost_cny_per_hour=60.0, cost_cny_per_day=300.0, shift_end_s=6 * 3600)
    r = rates(sc, {("P1", "kitchen"): 1000.0})  # 1 t/day = 0.2 loads of 5 t
    b = solve(sc, r, LineMatrix(pos), allow_direct=False).cost_breakdown
    trips = 0.2
    # per trip: 4 km × 10 CNY/km + 4 km / 30 km/h × 60 CNY/h
    assert b["collection_line_haul"] == pytest.approx(365 * trips * (40 + 60 * 4 / 30))
    # 600 s unloading at the station × 60 CNY/h
    assert b["collection_unloading"] == pytest.approx(365 * trips * 60 / 6)
    # trip = 4/30 h driving + 1/6 h unloading + (60 s service / 0.2 trips) → 0.383 h of a 6 h
    # shift, less than the 1/3 of a vehicle-day that max_trips = 3 allows: 300 / 3 per trip
    assert b["collection_vehicle_days"] == pytest.approx(365 * trips * 100)
    # local: no tour area, one 60 s stop a day × 60 CNY/h
    assert b["collection_local"] == pytest.approx(365 * 60 / 60)
    assert b["transfer_haul"] == pytest.approx(0.1 * 20 * 8 * 365)  # haul vehicles cost km only


def test_long_trips_use_more_of_a_vehicle_day():
    """A trip longer than shift / max_trips is charged its share of the shift, not 1/max_trips."""
    pos = {"P1": 0.0, "W": 60.0}
    sc = scenario(["P1"], [], [plant("W")])
    sc = _with_collection(sc, cost_cny_per_day=300.0, shift_end_s=6 * 3600)
    r = rates(sc, {("P1", "kitchen"): 1000.0})
    b = solve(sc, r, LineMatrix(pos)).cost_breakdown
    trip_h = 120 / 30 + 600 / 3600 + (60 / 3600) / 0.2  # driving + unloading + service
    assert trip_h / 6 > 1 / 3
    assert b["collection_vehicle_days"] == pytest.approx(365 * 0.2 * 300 * trip_h / 6)


def test_crew_time_can_make_a_station_worth_keeping():
    """A plant 40 km away: with distance costs alone the 500 k CNY/yr station closes; counting
    the crew's driving hours (120 CNY/h) makes the station worth keeping."""
    pos = {"P1": 0.0, "S": 1.0, "W": 40.0}
    sc = scenario(
        ["P1"],
        [station("S", fixed_cost_cny_per_year=5e5)],
        [plant("W")],
        haul_cost_km=8.0,
        large=("P1",),
    )
    r = rates(sc, {("P1", "kitchen"): 10000.0})  # 10 t/day
    km_only = solve(sc, r, LineMatrix(pos))
    assert km_only.open_stations == ()
    assert km_only.assignments[("P1", "kitchen")] == "W"
    timed = solve(_with_collection(sc, cost_cny_per_hour=120.0), r, LineMatrix(pos))
    assert timed.open_stations == ("S",)
    assert timed.assignments[("P1", "kitchen")] == "S"


def test_paid_lunch_adds_to_each_vehicle_day():
    """A 30 min lunch at 60 CNY/h makes a vehicle-day cost 300 + 30 CNY (shift less lunch = 6 h)."""
    pos = {"P1": 0.0, "S": 2.0, "W": 12.0}
    sc = scenario(["P1"], [station("S")], [plant("W")])
    sc = _with_collection(
        sc,
        cost_cny_per_hour=60.0,
        cost_cny_per_day=300.0,
        shift_end_s=6 * 3600 + 1800,
        lunch_earliest_s=3 * 3600,
        lunch_latest_s=4 * 3600,
        lunch_duration_s=1800,
    )
    r = rates(sc, {("P1", "kitchen"): 1000.0})
    b = solve(sc, r, LineMatrix(pos), allow_direct=False).cost_breakdown
    assert b["collection_vehicle_days"] == pytest.approx(365 * 0.2 * (300 + 30) / 3)


# -- size groups: alternative sizes of one site --------------------------------------------
def sizes_case(demand_kg: dict[str, float], *, group: str = "G", **station_kw):
    """Small S (1.0 t/day, no capital) and large L (2.0 t/day, 0.5 M CNY) candidates at km 0 in
    one size group; points at km 0–1; the only plant 40 km away (direct delivery is dear)."""
    pos = {"P1": 0.0, "P2": 0.5, "P3": 1.0, "S": 0.0, "L": 0.0, "W": 40.0}
    kw_s = {"status": "candidate", "cap": 1.0, "size_group": group, **station_kw.get("S", {})}
    kw_l = {
        "status": "candidate",
        "cap": 2.0,
        "size_group": group,
        "opening_cost_cny": 5e5,
        **station_kw.get("L", {}),
    }
    sts = [station("S", **kw_s), station("L", **kw_l)]
    sc = scenario(["P1", "P2", "P3"], sts, [plant("W")], large=("P1", "P2", "P3"))
    r = rates(sc, {(p, "kitchen"): kg for p, kg in demand_kg.items()})
    return sc, r, LineMatrix(pos)


def test_size_group_opens_at_most_one_station():
    """Two free 1 t/day alternatives and three 0.6 t/day points: without the group both open;
    with it only one does, takes one point (single sourcing) and two go direct to the plant."""
    demand = {"P1": 600, "P2": 600, "P3": 600}
    kw = {"L": {"cap": 1.0, "opening_cost_cny": 0.0}}
    sc, r, m = sizes_case(demand, group="", **kw)
    assert set(solve(sc, r, m).open_stations) == {"S", "L"}
    sc, r, m = sizes_case(demand, **kw)
    plan = solve(sc, r, m)
    assert plan.status == "optimal" and len(plan.open_stations) == 1
    assert sorted(plan.assignment_for("kitchen").values()).count("W") == 2
    assert any(msg.startswith("size group G:") for msg in plan.messages)


def test_planner_picks_the_size_that_fits_the_flow():
    """1.8 t/day needs the large size: its capital (0.5 M CNY ≈ 40 k CNY/yr) is less than
    taking 1.2 t/day on an 80 km round trip (≈ 70 k CNY/yr); 0.6 t/day fits the small one,
    which costs nothing to build."""
    sc, r, m = sizes_case({"P1": 600, "P2": 600, "P3": 600})
    big = solve(sc, r, m)
    assert big.built_stations == ("L",)
    assert set(big.assignment_for("kitchen").values()) == {"L"}
    sc, r, m = sizes_case({"P1": 600})
    small = solve(sc, r, m)
    assert small.built_stations == ("S",)


def test_forcing_one_size_closes_the_existing_sibling():
    """An existing small station S and a candidate enlargement L in one group: forcing L open
    closes S, even in status_quo mode (which otherwise keeps every existing station)."""
    sc, r, m = sizes_case({"P1": 600}, S={"status": "existing"}, L={"decision": "open"})
    plan = solve(sc, r, m, mode="status_quo")
    assert plan.open_stations == ("L",)
    assert plan.closed_stations == ("S",)
    keep = solve(sizes_case({"P1": 600}, S={"status": "existing"})[0], r, m, mode="status_quo")
    assert keep.open_stations == ("S",)


def test_several_forced_sizes_build_exactly_one():
    """Both sizes forced open means "build one of them": status_quo builds exactly one, the
    small one for 0.6 t/day and the large one for 1.8 t/day."""
    forced = {"S": {"decision": "open"}, "L": {"decision": "open"}}
    sc, r, m = sizes_case({"P1": 600}, **forced)
    assert solve(sc, r, m, mode="status_quo").built_stations == ("S",)
    sc, r, m = sizes_case({"P1": 600, "P2": 600, "P3": 600}, **forced)
    assert solve(sc, r, m, mode="status_quo").built_stations == ("L",)
    sc, r, m = sizes_case({"P1": 600}, **forced)
    assert solve(sc, r, m, max_stations=0).status == "infeasible"
