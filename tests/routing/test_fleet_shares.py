"""Tests of ``wasteopt/routing/fleet_shares.py``: each fleet's real count handed out over the
territories, vehicles kept near their depot, lane vehicles kept for the lanes."""

from __future__ import annotations

from two_towns import fleet, two_towns

from wasteopt.routing.fleet_shares import allocate, shift_kg
from wasteopt.routing.territories import split


def test_a_spare_vehicle_stays_in_the_territory_nearest_its_depot() -> None:
    """West needs 0.6 of a shift, East 0.45; W (west depot) has 1 vehicle, E (east) 2: each
    town gets its own depot's vehicle and E's spare stays east instead of driving 20 km to
    West, whose demand is larger but already covered."""
    p = two_towns({"SW": 8, "SE": 6}, (fleet("W", "GW", 1), fleet("E", "GE", 2)))
    counts = allocate(p, split(p))
    assert counts == {"SE": {"W": 0, "E": 2}, "SW": {"W": 1, "E": 0}}


def test_a_territory_short_of_its_own_vehicles_borrows_the_nearest() -> None:
    """West needs two shifts and its depot has one vehicle: the second comes from the east,
    the only other depot; every fleet's count is given out exactly."""
    p = two_towns({"SW": 26, "SE": 4}, (fleet("W", "GW", 1), fleet("E", "GE", 2)))
    counts = allocate(p, split(p))
    assert counts["SW"] == {"W": 1, "E": 1} and counts["SE"] == {"W": 0, "E": 1}


def test_tricycles_cover_the_lanes_before_any_street() -> None:
    """Tricycles T (depot west) are the only vehicles reaching East's 12 lane stops (1.5
    tricycle shifts); West has streets only, and T's depot is next to them. Both tricycles
    go east to the lanes; the streets take the trucks."""
    lanes = {f"SE-{i}": ("T",) for i in range(12)}
    fleets = (fleet("T", "GW", 2, capacity_kg=600, max_trips=2), fleet("F", "GW", 4))
    p = two_towns({"SW": 30, "SE": 12}, fleets, load_kg=150, access=lanes)
    assert 1 < 12 * 150 / shift_kg(p.fleets[0]) < 2
    counts = allocate(p, split(p))
    assert counts["SE"]["T"] == 2 and counts["SW"]["T"] == 0
    assert counts["SW"]["F"] + counts["SE"]["F"] == 4
