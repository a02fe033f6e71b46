"""Tests of the geometry of the decomposition (wasteopt.routing.large_parts)."""

from __future__ import annotations

import math

import numpy as np

from wasteopt.routing.large_parts import (
    MIN_GROUP_ROUTES,
    fill_groups,
    knn_groups,
    plane,
    planned_routes,
    polar_groups,
    sectors,
)
from wasteopt.travel_table import TravelTable

RNG = np.random.default_rng(11)
XY = RNG.uniform(-500, 500, size=(500, 2))
LOAD = RNG.integers(1, 4, size=500).astype(np.int64)


def test_sectors_cut_whole_routes_of_about_the_size_asked() -> None:
    """500 stops, about 15 a route, sectors of about 120 stops: every stop in one sector."""
    parts = sectors(XY, LOAD, 25, 500, 120)
    assert 4 <= len(parts) <= 6
    assert all(60 < len(stops) < 200 for stops, _ in parts)
    assert sorted(s for stops, _ in parts for s in stops) == list(range(500))
    for stops, vehicles in parts:  # a free fleet: room for every sector's load
        assert vehicles * 25 >= LOAD[stops].sum()


def test_limited_fleet_sectors_never_exceed_the_count() -> None:
    """A fleet of ceil(load / capacity) + 2 vehicles is handed out whole, never more."""
    count = math.ceil(int(LOAD.sum()) / 25) + 2
    free, routes = planned_routes(LOAD, 25, count)
    assert not free and routes <= count
    parts = sectors(XY, LOAD, 25, count, 120)
    assert sum(v for _, v in parts) == count
    assert all(v * 25 >= LOAD[stops].sum() for stops, v in parts)


def test_sector_is_a_wedge_around_the_depot() -> None:
    """Each sector spans a contiguous range of angles (a wedge), not scattered stops."""
    parts = sectors(XY, LOAD, 25, 500, 120)
    theta = np.arctan2(XY[:, 1], XY[:, 0])
    spans = []
    for stops, _ in parts:
        a = np.sort(theta[stops])
        gaps = np.diff(np.append(a, a[0] + 2 * math.pi))
        spans.append(2 * math.pi - gaps.max())  # the angle the wedge covers
    assert sum(spans) < 2 * math.pi * 1.05


def test_plane_recovers_euclidean_distances() -> None:
    """FastMap coordinates of a plane table reproduce its distances (up to rounding)."""
    pts = RNG.integers(0, 1000, size=(60, 2))
    table = TravelTable.euclidean(pts[:, 0], pts[:, 1])
    xy = plane(table, list(range(60)))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=-1))
    assert np.abs(d - table.dense()).max() < 2.0


def test_neighbourhoods_are_disjoint_groups_of_several_routes() -> None:
    """Polar and nearest-route groups: disjoint, about the size asked, MIN_GROUP_ROUTES routes
    or more (also when each route alone is above the size)."""
    routes = [tuple(range(k, k + 10)) for k in range(0, 500, 10)]
    cent = np.array([XY[list(r)].mean(axis=0) for r in routes])
    for groups in (
        polar_groups(routes, cent, 4, 3, 60),
        knn_groups(routes, cent, np.random.default_rng(1), [True] * 50, 3, 60),
    ):
        assert len(groups) == 3
        flat = [i for g in groups for i in g]
        assert len(flat) == len(set(flat))
        assert all(
            len(g) >= MIN_GROUP_ROUTES and sum(len(routes[i]) for i in g) >= 60 for g in groups
        )
    assert fill_groups(routes, [0], 2, 60) == []  # one route alone is no neighbourhood
    long_routes = [tuple(range(k, k + 100)) for k in range(0, 1000, 100)]
    groups = fill_groups(long_routes, list(range(10)), 2, 60)
    assert [len(g) for g in groups] == [MIN_GROUP_ROUTES, MIN_GROUP_ROUTES]


def test_limited_fleet_plans_the_fewest_routes_a_free_one_keeps_slack() -> None:
    """A limited fleet aims at ceil(load / capacity) routes; a free one at more (FILL slack)."""
    least = math.ceil(int(LOAD.sum()) / 25)
    assert planned_routes(LOAD, 25, least + 3) == (False, least)
    assert planned_routes(LOAD, 25, least - 1) == (False, least - 1)  # never above the count
    free, routes = planned_routes(LOAD, 25, 500)
    assert free and routes == math.ceil(int(LOAD.sum()) / (25 * 0.95)) > least
