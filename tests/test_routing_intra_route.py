"""Tests of iterated 2-opt and Or-opt inside one route (wasteopt.routing.intra_route)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wasteopt.routing.intra_route import improve_route, improve_routes_jointly


def _circle(n: int) -> np.ndarray:
    """Distances between ``n`` points on a circle (point 0 is the depot)."""
    ang = 2 * np.pi * np.arange(n) / n
    xy = np.stack([np.cos(ang), np.sin(ang)], axis=1) * 100
    return np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=-1))


def _length(d: np.ndarray, route: list[int]) -> float:
    path = [0, *route, 0]
    return float(sum(d[a, b] for a, b in itertools.pairwise(path)))


def test_shuffled_circle_becomes_the_circle() -> None:
    """Points on a circle in random order come back in circle order (the optimum)."""
    d = _circle(60)
    route = list(range(1, 60))
    np.random.default_rng(1).shuffle(route)
    better = improve_route(d, route)
    assert sorted(better) == list(range(1, 60))
    assert abs(_length(d, better) - _length(d, list(range(1, 60)))) < 1e-6


def test_random_points_never_get_worse() -> None:
    """On random points the route is a permutation of the stops and no longer than before."""
    rng = np.random.default_rng(2)
    xy = rng.random((80, 2))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=-1))
    route = [int(i) for i in rng.permutation(np.arange(1, 80))]
    better = improve_route(d, route)
    assert sorted(better) == sorted(route)
    assert _length(d, better) < 0.5 * _length(d, route)


def test_asymmetric_costs_leave_the_route_alone() -> None:
    """Reversing stops is only priced right for symmetric costs: others are left unchanged."""
    d = _circle(10)
    d[1, 2] += 1.0
    route = [5, 1, 7, 2, 9, 3, 8, 4, 6]
    assert improve_route(d, route) == route


def _optimum(d: np.ndarray, stops: list[int]) -> float:
    """The shortest cycle through the depot 0 and ``stops`` (Held-Karp dynamic programme)."""
    n = len(stops)
    best: dict[tuple[int, int], float] = {(1 << k, k): float(d[0, stops[k]]) for k in range(n)}
    for mask in range(1, 1 << n):
        for last in range(n):
            here = best.get((mask, last))
            if here is None:
                continue
            for k in range(n):
                if not mask & (1 << k):
                    key = (mask | (1 << k), k)
                    value = here + float(d[stops[last], stops[k]])
                    if value < best.get(key, np.inf):
                        best[key] = value
    full = (1 << n) - 1
    return min(best[(full, k)] + float(d[stops[k], 0]) for k in range(n))


def _random_points(seed: int, n: int) -> np.ndarray:
    xy = np.random.default_rng(seed).random((n, 2)) * 1000
    return np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=-1))


def test_kicks_reach_the_optimum_where_the_local_search_stops_short() -> None:
    """Routes of 11 random stops where the local search alone ends above the Held-Karp
    optimum (the first five such instances of 93) end at the optimum with kicks."""
    for seed in (30, 45, 69, 80, 92):
        d = _random_points(seed, 12)
        start = [int(i) for i in np.random.default_rng(seed).permutation(np.arange(1, 12))]
        best = _optimum(d, start)
        assert _length(d, improve_route(d, start)) > best + 1e-6
        kicked = improve_route(d, start, kicks=3000, seed=1)
        assert sorted(kicked) == list(range(1, 12))
        assert _length(d, kicked) == pytest.approx(best, rel=1e-9)


def test_kicks_shorten_long_routes_beyond_the_local_optimum() -> None:
    """On 300 random stops kicks end at least 2 % shorter than the local search alone."""
    d = _random_points(3, 301)
    route = [int(i) for i in np.random.default_rng(4).permutation(np.arange(1, 301))]
    local = improve_route(d, route)
    kicked = improve_route(d, route, kicks=30_000, seed=1)
    assert sorted(kicked) == sorted(route)
    assert _length(d, kicked) < 0.98 * _length(d, local)


def test_same_seed_same_route_and_depot_anywhere() -> None:
    """The kicks follow the seed only; the depot may be any row of the matrix."""
    d = _random_points(5, 60)
    route = [k for k in range(60) if k != 17]
    a = improve_route(d, route, depot=17, kicks=5000, seed=3)
    b = improve_route(d, route, depot=17, kicks=5000, seed=3)
    assert a == b
    assert sorted(a) == sorted(route) and 17 not in a


def test_deadline_in_the_past_stops_the_kicks() -> None:
    """An end wall already passed leaves only the local search (no kick runs)."""
    d = _random_points(6, 200)
    route = list(range(1, 200))
    assert improve_route(d, route, kicks=10**9, seed=1, end_wall=0.0) == improve_route(d, route)


def _sweep_routes(d: np.ndarray, xy: np.ndarray, load: np.ndarray, cap: int) -> list[list[int]]:
    """Routes cut from the polar sweep around the depot 0, each within ``cap``."""
    ang = np.arctan2(xy[1:, 1] - xy[0, 1], xy[1:, 0] - xy[0, 0])
    routes: list[list[int]] = [[]]
    used = 0
    for s in (np.argsort(ang, kind="stable") + 1).tolist():
        if used + load[s] > cap:
            routes.append([])
            used = 0
        routes[-1].append(s)
        used += int(load[s])
    return routes


def _cvrp(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    xy = rng.random((n + 1, 2)) * 1000
    xy[0] = 500.0
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=-1))
    load = rng.integers(1, 10, n + 1)
    load[0] = 0
    return xy, d, load, int(load.sum() // 8) + 5


def test_joint_search_moves_stops_between_routes_within_capacity() -> None:
    """Searched as one tour, sweep routes end shorter than each route at its own best order,
    every stop served once, no route over capacity, no more routes than vehicles."""
    xy, d, load, cap = _cvrp(0, 300)
    routes = _sweep_routes(d, xy, load, cap)
    alone = [improve_route(d, r, kicks=100 * len(r), seed=1) for r in routes]
    joint = improve_routes_jointly(d, alone, 0, load, cap, vehicles=len(routes), kicks=30_000)
    assert sorted(s for r in joint for s in r) == list(range(1, 301))
    assert max(int(load[r].sum()) for r in joint) <= cap
    assert len(joint) <= len(routes)
    assert sum(_length(d, r) for r in joint) < 0.99 * sum(_length(d, r) for r in alone)


def test_joint_search_prices_a_route_by_its_fixed_cost() -> None:
    """With spare vehicles a dear route is never opened, a free one may be: costs with the
    fixed cost never rise."""
    xy, d, load, cap = _cvrp(1, 120)
    routes = _sweep_routes(d, xy, load, cap)
    fixed = 1e6
    joint = improve_routes_jointly(
        d, routes, 0, load, cap, vehicles=len(routes) + 3, fixed=fixed, kicks=5000, seed=2
    )
    assert len(joint) <= len(routes)

    def total(rs: list[list[int]]) -> float:
        return sum(_length(d, r) + fixed for r in rs)

    assert total(joint) <= total(routes) + 1e-6


def test_joint_search_refuses_an_overloaded_route() -> None:
    """A route given above the capacity is an error, not a silent repair."""
    _xy, d, load, cap = _cvrp(2, 40)
    with pytest.raises(ValueError, match="capacity"):
        improve_routes_jointly(d, [list(range(1, 41))], 0, load, cap, vehicles=5)
