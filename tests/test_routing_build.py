"""Tests of the routing problem built from a scenario day (tiny scenario, hand-checkable)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem, nearest_unload_sites
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
    assert [s.id for s in p.stops] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert [s.load_kg for s in p.stops] == [150, 250, 350, 450, 550, 650]
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


def test_assignment_to_a_site_refusing_the_stream_is_an_error(tiny):
    """An assignment may only name open sites that accept the stream."""
    scenario, demand, matrix = tiny
    with pytest.raises(ValueError, match="FAC-KITCHEN"):
        build_problem(scenario, demand, 0, "other", matrix, assignment={"P1": "FAC-KITCHEN"})
