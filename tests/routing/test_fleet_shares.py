"""Tests of ``wasteopt/routing/fleet_shares.py``: each fleet's real count handed out over the
territories, vehicles kept near their depot, lane vehicles kept for the lanes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from two_towns import fleet, two_towns

from wasteopt.routing import fleet_shares
from wasteopt.routing.fleet_shares import allocate, lend_pool, shift_kg
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


def test_a_territory_bound_by_hours_gets_vehicles_its_kg_would_not() -> None:
    """Vans of 3 × 1 t carry a whole day's 10 kg stops in one shift, but East's 40 stops take
    25 min each (16.7 h): East gets its own van and one from the west, West the other."""
    vans = (fleet("W", "GW", 2, max_trips=3), fleet("E", "GE", 1, max_trips=3))
    p = two_towns({"SW": 10, "SE": 40}, vans, load_kg=10, service_s=0)
    p = replace(
        p,
        stops=tuple(replace(s, service_s=1500 if s.id.startswith("SE") else 120) for s in p.stops),
    )
    counts = allocate(p, split(p))
    assert counts == {"SE": {"W": 1, "E": 1}, "SW": {"W": 1, "E": 0}}


def test_a_spread_territory_needs_more_hours_than_a_dense_one() -> None:
    """Same stops, kg and service on both sides (100 × 5 min, 1 t): West's lie on a 600 m
    ring, East's on a 5 km ring, whose driving (a tour of about 45 km, and the way to its
    site) makes it more than a shift; the kg alone would give each town one vehicle and the
    spare to West, by its depot."""
    vans = (fleet("W", "GW", 2, max_trips=3), fleet("E", "GE", 1, max_trips=3))
    p = two_towns({"SW": 100, "SE": 100}, vans, load_kg=10, service_s=300, radius_m={"SE": 5000})
    counts = allocate(p, split(p))
    assert counts == {"SE": {"W": 1, "E": 1}, "SW": {"W": 1, "E": 0}}


def test_the_pool_goes_to_the_territory_whose_unserved_stops_need_the_hours() -> None:
    """After a pass, West's spare van is lent to East, the only town with unserved stops."""
    vans = (fleet("W", "GW", 2, max_trips=3), fleet("E", "GE", 2, max_trips=3))
    p = two_towns({"SW": 20, "SE": 20}, vans, load_kg=10, service_s=900)
    territories = split(p)
    extra = lend_pool(p, territories, {"SW": {"W": 1}, "SE": {"E": 2}}, {"SE": ["SE-1", "SE-2"]})
    assert extra["SE"] == {"W": 1} and not any(extra["SW"].values())


def test_a_depot_covers_the_territory_it_is_nearest_before_a_neighbour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GE stands 3 km from West's site and 15 km from East's, East's nearest depot; both towns
    need more than two vans by hours (50 stops of 25 min), West's own depot has one. GE's two
    vans stay with East; taken nearest pair first (no REACH), West's second van comes from GE
    and East is left one."""
    vans = (fleet("W", "GW", 1, max_trips=3), fleet("E", "GE", 2, max_trips=3))
    moved = {"GW": (-9_000.0, 2_500.0), "GE": (-6_000.0, 2_000.0)}
    p = two_towns({"SW": 50, "SE": 50}, vans, load_kg=10, service_s=1500, depots=moved)
    assert allocate(p, split(p)) == {"SE": {"W": 0, "E": 2}, "SW": {"W": 1, "E": 0}}
    monkeypatch.setattr(fleet_shares, "REACH", (None,))
    assert allocate(p, split(p)) == {"SE": {"W": 0, "E": 1}, "SW": {"W": 1, "E": 1}}
