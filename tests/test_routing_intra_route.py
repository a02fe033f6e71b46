"""Tests of 2-opt and Or-opt inside one route (wasteopt.routing.intra_route)."""

from __future__ import annotations

import itertools

import numpy as np

from wasteopt.routing.intra_route import improve_route


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
