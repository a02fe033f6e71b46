"""A vehicle shift cut into trips: they join end to start, add up to the shift, and a lunch
break adds no vertex."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from wasteopt.generation import generate
from wasteopt.reporting.sheets import route_sheet_frame
from wasteopt.reporting.trips import vehicle_trips
from wasteopt.routing.build import build_problem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve


@pytest.fixture(scope="module")
def sheet(tiny_scenario, tiny_matrix):
    """Tiny kitchen routes with 1.2 t trucks (several trips each) and a lunch break."""
    vtypes = tuple(
        dataclasses.replace(
            v, payload_kg=1200, max_trips=4, lunch_earliest_s=6 * 3600 + 15 * 60,
            lunch_latest_s=7 * 3600, lunch_duration_s=20 * 60,
        )
        for v in tiny_scenario.vehicle_types
    )  # fmt: skip
    scenario = dataclasses.replace(tiny_scenario, vehicle_types=vtypes)
    problem = build_problem(scenario, generate(scenario, days=1, seed=0), 0, "kitchen", tiny_matrix)
    plan = solve(problem, RoutingSettings(time_limit_s=1, seed=0))
    return route_sheet_frame(plan, problem, scenario)


def test_trips_join_and_add_up(sheet):
    """Trip 1 starts at the depot, each next trip where the last ended, the last ends at the
    depot; stops, kg and km add up to the shift's; lunch rows are no vertex."""
    for _, rows in sheet.groupby("vehicle", sort=False):
        trips = vehicle_trips(rows)
        assert [t.number for t in trips] == list(range(1, len(trips) + 1))
        assert trips[0].rows["kind"].iloc[0] == "depart"
        assert trips[-1].rows["kind"].iloc[-1] == "return"
        for a, b in itertools.pairwise(trips):
            assert a.rows.index[-1] == b.rows.index[0]
            assert a.unload_site and a.rows["kind"].iloc[-1] == "unload"
        assert sum(t.stops for t in trips) == (rows["kind"] == "stop").sum()
        assert sum(t.expected_kg for t in trips) == rows["expected_kg"].sum()
        assert sum(t.km for t in trips) == pytest.approx(rows["leg_m"].sum() / 1000, abs=0.01)
        assert all((t.rows["kind"] != "lunch").all() for t in trips)
    assert (sheet["kind"] == "lunch").any() and len(vehicle_trips(sheet.iloc[:1])) == 1
