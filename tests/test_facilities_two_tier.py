"""Tests of the facility plan on the two-tier chain, on the shipped ``scenarios/tiny`` changed
with ``dataclasses.replace``: priced shortfall per plant and stream, gate fees on accepted
tonnes, external plant load, per-stream compaction and containers, direct delivery only for
large generators, the standard policy, staff cost and the scenario's planning settings.

Tiny by hand (the fixture below: no large generator, no lane): kitchen 2.1 t/day (no open
station takes it in status_quo: direct to FAC-KITCHEN, gate 150 CNY/t); other 2.8 t/day, the
2.4 t/day of the grid points P1..P6 plus P7's 0.4 t/day (via ST-W in status_quo, to FAC-WTE,
gate 60 CNY/t). The shipped tiny (P6 a large generator, P7 in a lane) is planned as it is in
the last tests, including a priced plant shortfall on a copy of its folder."""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

from wasteopt.errors import InputError
from wasteopt.facilities import (
    COST_TERMS,
    CostSettings,
    FacilityPlan,
    FacilitySettings,
    plan_facilities,
    policy_cost,
)
from wasteopt.facilities.compare import plan_row, write_plan
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.network import build_matrix
from wasteopt.scenario.load import load_scenario
from wasteopt.scenario.model import PlanningSettings, Scenario

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny"
DAYS = 365.0
KITCHEN_T = (100 + 200 + 300 + 400 + 500 + 600) / 1000  # P1..P6
OTHER_T = (150 + 250 + 350 + 450 + 550 + 650 + 400) / 1000  # P1..P6, then P7 in its lane


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    """Tiny with every two-tier field at its default, whatever the shipped files set, so the
    hand figures hold; each test sets what it is about."""
    sc = load_scenario(TINY)
    return dataclasses.replace(
        sc,
        points=tuple(
            dataclasses.replace(p, large_generator=False, access="main_road") for p in sc.points
        ),
        stations=tuple(
            dataclasses.replace(
                s,
                compaction={},
                stream_bays={},
                containers=0,
                container_t=0.0,
                separates_streams=True,
                meets_standard=True,
                staff=0,
            )
            for s in sc.stations
        ),
        facilities=tuple(dataclasses.replace(k, external_t_per_day=0.0) for k in sc.facilities),
        planning=PlanningSettings(),
    )


@pytest.fixture(scope="module")
def matrix(tiny):
    return build_matrix(tiny)


def plan(sc: Scenario, matrix, **kw) -> FacilityPlan:
    kw.setdefault("time_limit_s", 10)
    return plan_facilities(sc, expected_rates_kg_per_day(sc), matrix, FacilitySettings(**kw))


def with_station(sc: Scenario, sid: str, **kw) -> Scenario:
    sts = tuple(dataclasses.replace(s, **kw) if s.id == sid else s for s in sc.stations)
    return dataclasses.replace(sc, stations=sts)


def with_plant(sc: Scenario, kid: str, **kw) -> Scenario:
    ks = tuple(dataclasses.replace(k, **kw) if k.id == kid else k for k in sc.facilities)
    return dataclasses.replace(sc, facilities=ks)


def with_planning(sc: Scenario, **kw) -> Scenario:
    return dataclasses.replace(sc, planning=dataclasses.replace(sc.planning, **kw))


def test_tiny_amounts_are_as_stated(tiny, matrix):
    """The hand figures of this module hold: 2.1 t/day kitchen, 2.8 t/day other, no shortfall."""
    base = plan(tiny, matrix)
    assert base.status == "optimal" and base.mode == "status_quo"
    assert base.inflow_t_per_day["FAC-KITCHEN"] == pytest.approx(KITCHEN_T)
    assert base.inflow_t_per_day["ST-W"] == pytest.approx(OTHER_T)
    assert base.cost_breakdown["shortfall_penalty"] == 0.0
    assert base.cost_breakdown["gate_fees"] == pytest.approx(DAYS * (150 * 2.1 + 60 * 2.8))


def test_plant_shortfall_is_priced_and_gate_fees_drop(tiny, matrix):
    """FAC-KITCHEN cut to 1.0 t/day: 1.1 t/day kitchen short there; the plan costs exactly
    (penalty − gate fee) × 1.1 × 365 more, the penalty term is 1000 × 1.1 × 365 and the gate
    fees drop by 150 × 1.1 × 365 (only accepted tonnes pay)."""
    base = plan(tiny, matrix)
    tight = plan(with_plant(tiny, "FAC-KITCHEN", capacity_t_per_day=1.0), matrix)
    assert tight.status == "capacity_short"
    assert tight.plant_shortfalls_t_per_day == pytest.approx({("FAC-KITCHEN", "kitchen"): 1.1})
    assert tight.shortfalls_t_per_day == pytest.approx({"FAC-KITCHEN": 1.1})
    assert tight.cost_breakdown["shortfall_penalty"] == pytest.approx(1000 * 1.1 * DAYS)
    drop = base.cost_breakdown["gate_fees"] - tight.cost_breakdown["gate_fees"]
    assert drop == pytest.approx(150 * 1.1 * DAYS)
    assert tight.objective - base.objective == pytest.approx((1000 - 150) * 1.1 * DAYS)
    assert tight.assignments == base.assignments


def test_penalty_comes_from_the_scenario_and_settings_override_it(tiny, matrix):
    """planning.shortfall_penalty_cny_per_t prices the short tonnes; an explicit
    CostSettings value wins over it."""
    sc = with_plant(tiny, "FAC-KITCHEN", capacity_t_per_day=1.0)
    sc = with_planning(sc, shortfall_penalty_cny_per_t=3000.0)
    p = plan(sc, matrix)
    assert p.cost_breakdown["shortfall_penalty"] == pytest.approx(3000 * 1.1 * DAYS)
    assert p.shortfall_penalty_cny_per_t == 3000.0
    over = plan(sc, matrix, costs=CostSettings(shortfall_penalty_cny_per_t=500.0))
    assert over.cost_breakdown["shortfall_penalty"] == pytest.approx(500 * 1.1 * DAYS)


def test_external_load_uses_plant_capacity_first(tiny, matrix):
    """50 t/day with 49 t/day from other districts leaves 1.0 t/day: the same 1.1 t/day
    shortfall as a 1.0 t/day plant; capacity reported is what is left."""
    sc = with_plant(tiny, "FAC-KITCHEN", external_t_per_day=49.0)
    p = plan(sc, matrix)
    assert p.plant_shortfalls_t_per_day == pytest.approx({("FAC-KITCHEN", "kitchen"): 1.1})
    assert p.capacity_t_per_day["FAC-KITCHEN"] == pytest.approx(1.0)
    u = p.utilisation_frame().set_index("site_id")
    assert u.loc["FAC-KITCHEN", "external_t_per_day"] == 49.0


def test_station_shortfall_is_priced_the_same_way(tiny, matrix):
    """ST-W cut to 2.0 t/day with no alternative for 'other' (status_quo, no large
    generators): 2.8 − 2.0 = 0.8 t/day short at the station, 1000 × 0.8 × 365 CNY/yr."""
    p = plan(with_station(tiny, "ST-W", capacity_t_per_day=2.0), matrix)
    assert p.station_shortfalls_t_per_day == pytest.approx({"ST-W": 0.8})
    assert p.cost_breakdown["shortfall_penalty"] == pytest.approx(1000 * 0.8 * DAYS)
    frame = p.shortfalls_frame()
    assert frame.to_dict("records") == [
        {
            "site_id": "ST-W",
            "site_kind": "station",
            "stream": "",
            "short_t_per_day": pytest.approx(0.8),
            "penalty_cny_per_year": pytest.approx(1000 * 0.8 * DAYS),
        }
    ]


def _kitchen_via_station(tiny: Scenario, **station_kw) -> Scenario:
    """ST-W takes kitchen waste too; tiny's kitchen haul truck VT-KHAUL (10 t / 10 m³ at
    650 kg/m³) takes it on."""
    k_haul = tiny.vehicle_type("VT-KHAUL")
    assert (k_haul.stream, k_haul.payload_kg, k_haul.volume_m3) == ("kitchen", 10000.0, 10.0)
    sc = with_station(tiny, "ST-W", streams=("kitchen", "other"), capacity_t_per_day=50.0)
    return with_station(sc, "ST-W", **station_kw)


def _haul(p: FacilityPlan, station: str, stream: str):
    return next(h for h in p.haul if h.station == station and h.stream == stream)


def test_kitchen_is_not_compacted_without_a_press(tiny, matrix):
    """Without a press a kitchen trip carries 10 m³ × 650 kg/m³ = 6.5 t; a press (2.0) fills
    the 10 t payload: fewer haul trips and a cheaper tier-2 haul for the same tonnes."""
    raw = plan(_kitchen_via_station(tiny), matrix)
    press = plan(_kitchen_via_station(tiny, compaction={"kitchen": 2.0}), matrix)
    h_raw, h_press = _haul(raw, "ST-W", "kitchen"), _haul(press, "ST-W", "kitchen")
    assert h_raw.t_per_day == pytest.approx(KITCHEN_T) == h_press.t_per_day
    assert h_raw.load_t_per_trip == pytest.approx(6.5)
    assert h_press.load_t_per_trip == pytest.approx(10.0)
    assert h_raw.trips_per_day == pytest.approx(KITCHEN_T / 6.5)
    assert h_press.trips_per_day == pytest.approx(KITCHEN_T / 10.0)
    assert raw.cost_breakdown["transfer_haul"] > press.cost_breakdown["transfer_haul"]
    # residual waste keeps the station's compaction_ratio (2): 10 t trailer loads
    assert _haul(raw, "ST-W", "other").load_t_per_trip == pytest.approx(10.0)


def test_containers_and_haul_vehicle_days_are_reported(tiny, matrix):
    """5 t containers: one container per trip, 2.8 / 5 containers of 'other' a day; the haul
    vehicle-days are trips × their share of a vehicle-day (at least 1/max_trips = 1/4)."""
    p = plan(with_station(tiny, "ST-W", container_t=5.0, containers=6), matrix)
    h = _haul(p, "ST-W", "other")
    assert h.containers_per_day == pytest.approx(OTHER_T / 5.0)
    assert h.trips_per_day == pytest.approx(OTHER_T / 5.0)
    assert h.containers_in_pool == 6
    assert h.vehicle_days_per_day >= h.trips_per_day / 4 - 1e-12
    frame = p.haul_frame()
    assert list(frame["station"]) == ["ST-W"]


def test_direct_delivery_only_for_large_generators(tiny, matrix):
    """With station handling at 500 CNY/t direct delivery is cheaper, but only the point marked
    large_generator (P1) takes it; the others stay in ST-W's catchment."""
    sc = with_station(tiny, "ST-W", cost_cny_per_t=500.0)
    ordinary = plan(sc, matrix)
    assert set(ordinary.assignment_for("other").values()) == {"ST-W"}
    pts = tuple(dataclasses.replace(p, large_generator=p.id == "P1") for p in sc.points)
    large = plan(dataclasses.replace(sc, points=pts), matrix)
    other = large.assignment_for("other")
    assert other["P1"] == "FAC-WTE"
    assert {v for k, v in other.items() if k != "P1"} == {"ST-W"}
    no_direct = plan(dataclasses.replace(sc, points=pts), matrix, allow_direct=False)
    assert no_direct.assignment_for("other")["P1"] == "ST-W"


def test_require_standard_closes_a_non_standard_station(tiny, matrix):
    """ST-W fails the standard: with the policy it is closed (its 'other' goes direct, no other
    station being open in status_quo) and policy_cost reports it and the cost difference."""
    sc = with_station(tiny, "ST-W", meets_standard=False)
    assert plan(sc, matrix).open_stations == ("ST-W",)
    shut = plan(with_planning(sc, require_standard=True), matrix)
    assert shut.open_stations == () and shut.closed_stations == ("ST-W",)
    assert shut.policy_closed == ("ST-W",)
    assert set(shut.assignment_for("other").values()) == {"FAC-WTE"}
    cost = policy_cost(sc, expected_rates_kg_per_day(sc), matrix, FacilitySettings())
    assert cost.closed_by_policy == ("ST-W",) and cost.opened_by_policy == ()
    assert cost.delta_cny_per_year == pytest.approx(shut.objective - plan(sc, matrix).objective)
    mixed = with_station(tiny, "ST-W", separates_streams=False)
    assert plan(mixed, matrix, require_standard=True).open_stations == ()


def test_policy_conflict_with_a_forced_station_is_an_input_problem(tiny, matrix):
    """A variant forcing a non-standard station open under require_standard is refused,
    naming the station."""
    sc = with_station(tiny, "ST-E", decision="open", meets_standard=False)
    with pytest.raises(InputError, match="ST-E"):
        plan(sc, matrix, require_standard=True)


def test_free_mode_is_labelled_a_cost_only_bound(tiny, matrix):
    """The default mode is the scenario's (status_quo); free plans say they are a cost-only
    lower bound, in the plan, its summary and its comparison row."""
    sq = plan(tiny, matrix)
    assert sq.mode == "status_quo" and not sq.is_cost_only_bound
    assert "cost-only" not in sq.summary()
    free = plan(tiny, matrix, mode="free")
    assert free.is_cost_only_bound and "cost-only lower bound" in free.summary()
    assert plan_row(free)["cost_only_bound"] is True
    assert plan(with_planning(tiny, mode="free"), matrix).mode == "free"
    assert plan(with_planning(tiny, mode="free"), matrix, mode="status_quo").mode == "status_quo"


def test_max_haul_km_from_the_scenario_and_its_override(tiny, matrix):
    """planning.max_haul_km = 1 km leaves points without any site (infeasible, named); an
    explicit FacilitySettings.max_haul_km lifts it."""
    sc = with_planning(tiny, max_haul_km=1.0)
    tight = plan(sc, matrix)
    assert tight.status == "infeasible" and "/kitchen" in " ".join(tight.messages)
    assert plan(sc, matrix, max_haul_km=100.0).status == "optimal"


def test_staff_cost_and_waterfall_terms(tiny, matrix, tmp_path):
    """3 staff at 60,000 CNY/yr cost 180,000 CNY/yr while ST-W is open; the six waterfall terms
    sum to the objective and costs.csv carries them."""
    sc = with_planning(with_station(tiny, "ST-W", staff=3), wage_cny_per_person_year=60000.0)
    p = plan(sc, matrix)
    assert p.cost_breakdown["station_staff"] == pytest.approx(180000.0)
    assert list(p.cost_terms) == list(COST_TERMS)
    assert sum(p.cost_terms.values()) == pytest.approx(p.objective)
    paths = write_plan(p, tmp_path / "plan")
    costs = pd.read_csv(paths["costs.csv"])
    by_term = costs[costs["item"] != "total"].groupby("term")["cny_per_year"].sum()
    assert by_term["station_operation"] == pytest.approx(p.cost_terms["station_operation"])
    assert set(paths) >= {"shortfalls.csv", "haul.csv"}


def test_shipped_tiny_plans_both_tiers(matrix):
    """The shipped tiny plans in its own mode with every (point, stream) assigned (6 kitchen +
    7 other): the large generator P6 delivers both streams to the plants directly, the lane
    point P7's residual waste goes to ST-W with P1..P5's (2.15 t/day), and the waterfall sums
    to the objective."""
    sc = load_scenario(TINY)
    p = plan(sc, matrix)
    assert p.has_plan and p.mode == sc.planning.mode
    assert len(p.assignments) == 6 + 7
    assert p.assignments[("P6", "other")] == "FAC-WTE"
    assert p.assignments[("P6", "kitchen")] == "FAC-KITCHEN"
    assert p.assignments[("P7", "other")] == "ST-W"
    assert p.inflow_t_per_day["ST-W"] == pytest.approx(OTHER_T - 0.65)
    assert sum(p.cost_terms.values()) == pytest.approx(p.objective)


def _copy_with_plant_capacity(folder: Path, plant: str, capacity_t: float) -> Path:
    """A copy of the tiny folder in ``folder`` with ``plant``'s capacity_t_per_day edited."""
    shutil.copytree(TINY, folder)
    path = folder / "facilities.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows].count(plant) == 1
    for r in rows:
        if r["id"] == plant:
            r["capacity_t_per_day"] = f"{capacity_t:g}"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    return folder


def test_tight_plant_in_a_copy_of_tiny_is_a_priced_shortfall(tmp_path, matrix):
    """A copy of the tiny folder with FAC-WTE cut to 2 t/day: the plan names FAC-WTE × other
    short by 2.8 − 2.0 = 0.8 t/day and prices it at 0.8 t × 1000 CNY/t × 365 = 292,000 CNY/yr,
    in the plan and in shortfalls.csv; the catchments stay those of the shipped tiny."""
    sc = load_scenario(_copy_with_plant_capacity(tmp_path / "tight", "FAC-WTE", 2.0))
    assert sc.facility("FAC-WTE").capacity_t_per_day == 2.0
    tight, shipped = plan(sc, matrix), plan(load_scenario(TINY), matrix)
    short_t, penalty = OTHER_T - 2.0, sc.planning.shortfall_penalty_cny_per_t
    cost = short_t * penalty * DAYS
    assert penalty == 1000.0 and cost == pytest.approx(292_000.0)
    assert tight.status == "capacity_short" and shipped.status == "optimal"
    assert tight.plant_shortfalls_t_per_day == pytest.approx({("FAC-WTE", "other"): short_t})
    assert tight.station_shortfalls_t_per_day == {}
    assert tight.cost_breakdown["shortfall_penalty"] == pytest.approx(cost)
    assert tight.assignments == shipped.assignments
    expected = [
        {
            "site_id": "FAC-WTE",
            "site_kind": "plant",
            "stream": "other",
            "short_t_per_day": pytest.approx(short_t),
            "penalty_cny_per_year": pytest.approx(cost),
        }
    ]
    assert tight.shortfalls_frame().to_dict("records") == expected
    written = pd.read_csv(write_plan(tight, tmp_path / "plan")["shortfalls.csv"])
    assert written[list(expected[0])].to_dict("records") == expected
