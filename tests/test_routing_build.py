"""Tests of the routing problem built from a scenario day (tiny scenario, hand-checkable)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from wasteopt.errors import InputError
from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem, nearest_unload_sites, unload_candidates
from wasteopt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny():
    scenario = load_scenario(ROOT / "scenarios" / "tiny")
    return scenario, generate(scenario, days=2, seed=1), build_matrix(scenario)


def test_daily_points_become_one_stop_each_unloading_at_the_nearest_site(tiny):
    """Each daily point is one stop with its day's load in whole kg, sent to its nearest site."""
    scenario, demand, matrix = tiny
    p = build_problem(scenario, demand, 1, "other", matrix)
    assert [s.id for s in p.stops] == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    assert [s.load_kg for s in p.stops] == [150, 250, 350, 450, 550, 650, 400]  # P7: the lane
    nearest = nearest_unload_sites(scenario, matrix, "other", [s.id for s in p.stops])
    assert all(s.unload_at == (nearest[s.id],) for s in p.stops)
    assert {s.id for s in p.sites} == set(nearest.values())
    assert p.locations[: len(p.depots) + len(p.sites)] == (
        *(d.id for d in p.depots),
        *(s.id for s in p.sites),
    )
    assert p.distance_m.shape == (len(p.locations),) * 2 and not p.distance_m.flags.writeable


def test_twice_daily_point_gives_morning_and_evening_stops(tiny):
    """A twice-daily point becomes ``id`` and ``id~2`` with half the load and half the window."""
    scenario, demand, matrix = tiny
    points = list(scenario.points)
    points[0] = dataclasses.replace(
        points[0], frequency={**points[0].frequency, "other": "twice_daily"}
    )
    sc = dataclasses.replace(scenario, points=tuple(points))
    p = build_problem(sc, demand, 0, "other", matrix)
    first, second = p.stops[0], p.stops[1]
    assert (first.id, second.id) == ("P1", "P1~2")
    assert first.load_kg == second.load_kg == 75
    assert first.tw_end_s == second.tw_start_s == (first.tw_start_s + second.tw_end_s) // 2
    i, j = p.locations.index("P1"), p.locations.index("P1~2")
    assert p.distance_m[i, j] == 0 and np.array_equal(p.distance_m[i], p.distance_m[j])


def test_twice_daily_rounds_split_the_working_day_not_the_clock_day(tiny):
    """With a 00:00–24:00 window and a 06:00–14:00 fleet the rounds split at 10:00 (not at
    12:00, which would leave the second round two hours); a window outside every shift is
    split at its own middle."""
    scenario, demand, matrix = tiny
    points = list(scenario.points)

    def split(tw: tuple[int, int]) -> tuple[int, int]:
        points[0] = dataclasses.replace(
            scenario.points[0],
            frequency={**scenario.points[0].frequency, "other": "twice_daily"},
            tw_start_s=tw[0],
            tw_end_s=tw[1],
        )
        p = build_problem(
            dataclasses.replace(scenario, points=tuple(points)), demand, 0, "other", matrix
        )
        return p.stops[0].tw_end_s, p.stops[1].tw_start_s

    assert split((0, 86_400)) == (36_000, 36_000)
    assert split((72_000, 79_200)) == (75_600, 75_600)  # 20:00–22:00, after the shift


def test_assignment_to_a_site_refusing_the_stream_is_an_error(tiny):
    """An assignment may only name open sites that accept the stream (InputError naming it)."""
    scenario, demand, matrix = tiny
    assignment = {p.id: "ST-W" for p in scenario.points} | {"P1": "FAC-KITCHEN"}
    with pytest.raises(InputError, match="FAC-KITCHEN") as err:
        build_problem(scenario, demand, 0, "other", matrix, assignment=assignment)
    assert [p.where for p in err.value.problems] == ["point P1"]


def test_assignment_is_used_exactly_not_the_nearest_site(tiny):
    """Every stop unloads where the assignment says, also where another site is nearer."""
    scenario, demand, matrix = tiny
    ids = [p.id for p in scenario.points]
    nearest = nearest_unload_sites(scenario, matrix, "other", ids)
    sites = [c[0] for c in unload_candidates(scenario, "other")]
    assert len(sites) >= 2
    assignment = {pid: next(s for s in sites if s != nearest[pid]) for pid in ids}
    p = build_problem(scenario, demand, 1, "other", matrix, assignment=assignment)
    assert [s.unload_at for s in p.stops] == [(assignment[s.id],) for s in p.stops]
    assert {s.id for s in p.sites} == set(assignment.values())


def test_point_missing_from_the_assignment_is_named(tiny):
    """A due point the assignment leaves out is an InputError naming point and stream, never
    sent to its nearest site."""
    scenario, demand, matrix = tiny
    assignment = {p.id: "ST-W" for p in scenario.points if p.id not in ("P3", "P5")}
    with pytest.raises(InputError, match="P3") as err:
        build_problem(scenario, demand, 0, "other", matrix, assignment=assignment)
    got = [(p.where, p.field) for p in err.value.problems]
    assert got == [("point P3", "other"), ("point P5", "other")]
    assert "'other'" in str(err.value)


def _with_access(scenario, access: dict[str, str], classes: dict[str, str]):
    """``scenario`` with points' access classes and an 800 kg tricycle fleet VT-TRI for "other"
    (in place of tiny's own) among the collection types, whose classes come from ``classes``
    (vehicle type id → class)."""
    points = tuple(
        dataclasses.replace(p, access=access.get(p.id, p.access)) for p in scenario.points
    )
    oth = next(v for v in scenario.vehicle_types if v.id == "VT-OTH")
    tri = dataclasses.replace(oth, id="VT-TRI", payload_kg=800.0, volume_m3=2.0)
    vtypes = tuple(
        dataclasses.replace(v, vehicle_class=classes.get(v.id, v.vehicle_class))
        for v in (*(v for v in scenario.vehicle_types if v.id != "VT-TRI"), tri)
    )
    return dataclasses.replace(scenario, points=points, vehicle_types=vtypes)


def test_access_rule_names_the_fleets_that_may_serve_each_stop(tiny):
    """Lane points allow only tricycles, residential ones no 8 t compactor, main roads every
    fleet (None); with no fit class the stop stays in the problem allowing no fleet."""
    scenario, demand, matrix = tiny
    classes = {"VT-OTH": "compactor", "VT-TRI": "e_tricycle"}
    sc = _with_access(scenario, {"P1": "lane", "P2": "residential", "P3": "main_road"}, classes)
    p = build_problem(sc, demand, 1, "other", matrix)
    fleets = {s.id: s.fleets for s in p.stops}
    assert fleets["P1"] == fleets["P2"] == ("VT-TRI",)
    assert fleets["P3"] is None and fleets["P5"] is None
    only_compactors = dataclasses.replace(
        sc, vehicle_types=tuple(v for v in sc.vehicle_types if v.id != "VT-TRI")
    )
    p = build_problem(only_compactors, demand, 1, "other", matrix)
    assert {s.id: s.fleets for s in p.stops}["P1"] == ()
    assert len(p.stops) == 7  # P1..P6 and tiny's lane point P7, which now allows no fleet


def test_default_classes_restrict_nothing(tiny):
    """Main-road points and compactors (the defaults) give every stop ``fleets=None``."""
    scenario, demand, matrix = tiny
    points = tuple(dataclasses.replace(p, access="main_road") for p in scenario.points)
    vtypes = tuple(dataclasses.replace(v, vehicle_class="") for v in scenario.vehicle_types)
    sc = dataclasses.replace(scenario, points=points, vehicle_types=vtypes)
    for stream in sc.stream_ids:
        assert all(s.fleets is None for s in build_problem(sc, demand, 1, stream, matrix).stops)


def _with_margin(scenario, margin):
    return dataclasses.replace(
        scenario, planning=dataclasses.replace(scenario.planning, fill_margin=margin)
    )


def test_fill_margin_scales_payload_and_volume(tiny):
    """With fill_margin 0.9 each fleet plans to 90 % of its payload and body volume, rounded
    down; the default 1.0 keeps the full payload."""
    scenario, demand, matrix = tiny
    full = build_problem(scenario, demand, 1, "kitchen", matrix)
    assert [(f.capacity_kg, f.capacity_l) for f in full.fleets] == [(3000, 6000)]
    p = build_problem(_with_margin(scenario, 0.9), demand, 1, "kitchen", matrix)
    assert [(f.capacity_kg, f.capacity_l) for f in p.fleets] == [(2700, 5400)]
    assert p.stops == full.stops


def test_fill_margin_never_refuses_a_stop_the_payload_carries(tiny):
    """A stop no allowed fleet fits at the margin raises the capacity of the fleets whose
    payload carries it to the stop; a stop another fleet fits at the margin raises nothing."""
    scenario, demand, matrix = tiny
    p = build_problem(_with_margin(scenario, 0.1), demand, 1, "other", matrix)
    by_id = {f.id: f for f in p.fleets}
    biggest = max(p.stops, key=lambda s: s.load_kg)
    # 10 % of 5,000 kg is 500 kg: the 550 and 650 kg stops raise the compactor to 650 kg
    assert by_id["VT-OTH"].capacity_kg == biggest.load_kg == 650
    assert by_id["VT-OTH"].capacity_l == biggest.volume_l
    # the 500 kg e-tricycle (50 kg at the margin): only the lane point P7 (400 kg), which no
    # compactor may serve, raises it; the 450 kg stop the compactor fits does not
    (lane,) = [s for s in p.stops if s.fleets == ("VT-TRI",)]
    assert lane.id == "P7" and by_id["VT-TRI"].capacity_kg == lane.load_kg == 400


def test_plain_matrix_keeps_one_distance_table_for_every_profile(tiny):
    """Without a road network the profiles (speeds) share the one distance matrix: no copy."""
    scenario, demand, matrix = tiny
    p = build_problem(scenario, demand, 1, "other", matrix)
    assert len(p.durations_s) == 2 and p.distances_m == ()  # 30 and 15 km/h
    assert all(p.distance_of(f.profile) is p.distance_m for f in p.fleets)


def test_road_profiles_get_the_metres_of_their_own_paths():
    """On tiny_roads each profile gets its own metres: the 8.5 t compactor's P1 → P2 is its
    detour round the truck ban (4 blocks), the e-tricycle's the main road (2 blocks, as the
    unrestricted table); a dense copy keeps them."""
    scenario = load_scenario(ROOT / "scenarios" / "tiny_roads")
    p = build_problem(
        scenario, generate(scenario, days=1, seed=0), 0, "other", build_matrix(scenario)
    )
    assert len(p.distances_m) == len(p.durations_s) == 2
    fleet = {f.id: f for f in p.fleets}
    i, j = p.index()["P1"], p.index()["P2"]
    block = 0.005 * 6_371_008.8 * np.pi / 180
    assert p.distance_m[i, j] == pytest.approx(2 * block, abs=1)
    assert p.distance_of(fleet["VT-OTH"].profile)[i, j] == pytest.approx(4 * block, abs=1)
    assert p.distance_of(fleet["VT-TRI"].profile)[i, j] == pytest.approx(2 * block, abs=1)
    dense = p.dense()
    for k in range(2):
        assert np.array_equal(dense.distances_m[k], p.distances_m[k].dense())
    with pytest.raises(ValueError, match="1 distance tables for 2 duration profiles"):
        dataclasses.replace(dense, distances_m=dense.distances_m[:1])
