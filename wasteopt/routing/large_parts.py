"""The geometry of :mod:`wasteopt.routing.large`: a plane from the travel table, sectors of
the sweep around the depot, and groups of routes (neighbourhoods) by centroid.

Everything here works on stop positions (indices into ``problem.stops``) and plain arrays:
``xy`` the plane coordinates of the stops with the depot at the origin, ``load`` their loads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from wasteopt.travel_table import TravelTable

__all__ = [
    "FILL",
    "MIN_GROUP_ROUTES",
    "Positions",
    "block",
    "fill_groups",
    "knn_groups",
    "legs",
    "plane",
    "planned_routes",
    "polar_groups",
    "sectors",
    "sweep",
]

MIN_GROUP_ROUTES = 4
"""Fewest routes of a neighbourhood (when there are so many): moving stops between few long
routes needs several of them (Kytöjoki W after 600 s, 60 s of the joint 2-opt and Or-opt of
:mod:`wasteopt.routing.intra_route` on random groups of nearest routes: 2 routes 5.19 % →
4.23 % above best known, 3 routes 3.63 %, 6 routes 3.33 %; measured 2026-12-05)."""
FILL = 0.95
"""Planned load of a route of a free fleet, as a share of capacity (room to re-balance)."""
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0

Positions = tuple[int, ...]
"""Stop positions of one route, in visiting order."""
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def block(table: Any, rows: Sequence[int], cols: Sequence[int]) -> npt.NDArray[np.int64]:
    """A dense block of a lazy table or an array."""
    if isinstance(table, TravelTable):
        return table.block(rows, cols).astype(np.int64)
    return np.asarray(table)[np.ix_(rows, cols)].astype(np.int64)


def legs(table: Any, rows: Sequence[int], cols: Sequence[int]) -> npt.NDArray[np.int64]:
    """Entries ``(rows[k], cols[k])`` of a lazy table or an array."""
    a, b = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
    return np.asarray(table[a, b], dtype=np.int64)


def plane(table: Any, nodes: list[int]) -> npt.NDArray[np.float64]:
    """2-D FastMap coordinates of ``nodes`` from the symmetrised distances (four rows per
    axis; exact up to rotation for plane distances)."""
    xy = np.zeros((len(nodes), 2))

    def sq(i: int, axes: int) -> npt.NDArray[np.float64]:
        row = (block(table, [nodes[i]], nodes)[0] + block(table, nodes, [nodes[i]])[:, 0]) / 2
        res = row.astype(np.float64) ** 2 - ((xy[:, :axes] - xy[i, :axes]) ** 2).sum(axis=1)
        return np.maximum(res, 0.0)

    for axis in range(2):
        b = int(np.argmax(sq(0, axis)))
        a = int(np.argmax(sq(b, axis)))
        da, db = sq(a, axis), sq(b, axis)
        dab2 = float(da[b])
        if dab2 <= 0.0:
            break
        xy[:, axis] = (da + dab2 - db) / (2.0 * math.sqrt(dab2))
    return xy


# -- sectors: the initial solution -----------------------------------------------------------


def planned_routes(load: Ints, capacity: int, count: int) -> tuple[bool, int]:
    """(free fleet, routes the plan aims at): a fleet of at least one vehicle per stop is free
    and aims at ``ceil(total / (capacity × FILL))`` routes, the slack its sectors re-balance
    with; a limited one at the fewest, ``ceil(total / capacity)`` (never more than ``count``):
    its slack is the vehicles no route uses, handed out to the sectors and neighbourhoods, and
    a route more than needed costs a trip from the depot that a neighbourhood of a few long
    routes has no room to remove. Measured on Kytöjoki W, one run each: at 300 s 13 routes
    6.54 % above best known against 14 routes 8.96 %; at 600 s 7.51 % against 7.48 % (an
    older commit), within the spread of single runs (benchmarks/README.md, 2026-12-05)."""
    n, cap = len(load), max(1, capacity)
    total = int(load.sum())
    if count >= n:
        return True, max(1, math.ceil(total / (cap * FILL)))
    return False, max(1, min(count, math.ceil(total / cap)))


def sweep(xy: Floats) -> npt.NDArray[np.intp]:
    """Positions by polar angle around the origin (the depot), starting after the widest
    empty angle."""
    theta = np.arctan2(xy[:, 1], xy[:, 0])
    n = len(theta)
    order = np.lexsort((np.arange(n), theta))
    ts = theta[order]
    gaps = np.diff(np.append(ts, ts[0] + 2 * math.pi))
    return np.roll(order, -((int(np.argmax(gaps)) + 1) % n))


def sectors(
    xy: Floats, load: Ints, capacity: int, count: int, size: int
) -> list[tuple[list[int], int]]:
    """(stop positions, vehicles) of each sector of the sweep: ``k`` planned routes' worth of
    load each, ``k`` such that a sector holds about ``size`` stops (at least one route).
    Vehicles: a free fleet ``ceil(1.25 × sector load / capacity) + 2``; a limited one the
    sector's planned routes plus a share of the ``count`` left over."""
    order = sweep(xy)
    n, cap = len(order), max(1, capacity)
    free, routes = planned_routes(load, capacity, count)
    k = max(1, round(size * routes / n))  # routes per sector
    m = math.ceil(routes / k)
    ks = [routes // m + (1 if j < routes % m else 0) for j in range(m)]
    cum = np.cumsum(load[order])
    total = float(cum[-1]) if n else 0.0
    cuts = [0]
    for j in range(1, m):
        target = total * sum(ks[:j]) / routes
        cuts.append(max(cuts[-1], int(np.searchsorted(cum, target, side="left")) + 1))
    cuts.append(n)
    spare = max(0, count - routes)
    out: list[tuple[list[int], int]] = []
    for j in range(m):
        part = sorted(int(i) for i in order[cuts[j] : cuts[j + 1]])
        if not part:
            continue
        if free:
            need = math.ceil(float(load[part].sum()) / cap)
            vehicles = min(len(part), math.ceil(1.25 * need) + 2)
        else:
            vehicles = ks[j] + spare // m + (1 if j < spare % m else 0)
        out.append((part, vehicles))
    return out


# -- neighbourhoods: groups of routes ---------------------------------------------------------


def polar_groups(
    routes: list[Positions], cent: npt.NDArray[np.float64], r: int, lanes: int, size: int
) -> list[list[int]]:
    """``lanes`` groups of routes consecutive by centroid angle, from an angle that advances
    by the golden ratio each polar round."""
    ang = np.arctan2(cent[:, 1], cent[:, 0])
    order = np.lexsort((np.arange(len(ang)), ang))
    theta0 = -math.pi + 2 * math.pi * ((r // 2) * GOLDEN % 1.0)
    start = int(np.searchsorted(ang[order], theta0)) % len(order)
    return fill_groups(routes, [int(i) for i in np.roll(order, -start)], lanes, size)


def fill_groups(routes: list[Positions], seq: list[int], lanes: int, size: int) -> list[list[int]]:
    """Consecutive runs of ``seq`` of about ``size`` stops (at least ``MIN_GROUP_ROUTES``
    routes) each."""
    least = min(MIN_GROUP_ROUTES, len(routes))
    groups: list[list[int]] = []
    cur: list[int] = []
    count = 0
    for i in seq:
        cur.append(i)
        count += len(routes[i])
        if count >= size and len(cur) >= least:
            groups.append(cur)
            cur, count = [], 0
            if len(groups) == lanes:
                return groups
    if len(cur) >= least:
        groups.append(cur)
    return groups


def knn_groups(
    routes: list[Positions],
    cent: npt.NDArray[np.float64],
    rng: np.random.Generator,
    fresh: list[bool],
    lanes: int,
    size: int,
) -> list[list[int]]:
    """``lanes`` disjoint groups: a random route (one not tried unchanged yet, while there are
    such) and its nearest routes by centroid."""
    free = list(range(len(routes)))
    groups: list[list[int]] = []
    while free and len(groups) < lanes:
        seeds = [i for i in free if fresh[i]] or free
        first = seeds[int(rng.integers(len(seeds)))]
        d = ((cent[free] - cent[first]) ** 2).sum(axis=1)
        near = [free[int(i)] for i in np.lexsort((np.arange(len(free)), d))]
        group = fill_groups(routes, near, 1, size)[:1] or [near]
        groups.append(group[0])
        taken = set(group[0])
        free = [i for i in free if i not in taken]
    return groups
