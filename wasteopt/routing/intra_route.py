"""2-opt and Or-opt inside one route: the moves PyVRP's local search lacks there.

PyVRP 0.14's operators relocate and swap clients and exchange route tails between routes
(``SwapTails``), but never reverse a segment inside one route, and they only look at each
client's nearest clients. On routes of hundreds of stops in clustered places (the Kytöjoki
waste instances: about 600 bins a route, in villages tens of kilometres apart) that leaves the
order of the clusters poor. :func:`improve_route` alternates two full neighbourhoods until
neither gains:

- **2-opt**: for each leg, the best other leg to cross it with (reverse the stops between);
- **Or-opt**: for each run of one to three stops, the best leg to move it into, either way
  round.

Both are vectorised over every leg of the route (O(n) array work per leg or run, O(n²) per
sweep), the depot fixed at both ends. Reversing stops keeps the cost of their inner legs only
when the cost matrix is symmetric, so an asymmetric matrix leaves the route unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["improve_route"]

EPS = 1e-9
"""Least gain of a move (costs are floats)."""
Path = npt.NDArray[np.intp]


def improve_route(cost: npt.NDArray[np.float64], route: Sequence[int], depot: int = 0) -> list[int]:
    """``route`` (rows of ``cost``, depot omitted) reordered by 2-opt and Or-opt; unchanged
    when ``cost`` restricted to the route is not symmetric or the route has fewer than three
    stops."""
    if len(route) < 3:
        return list(route)
    nodes = [depot, *route]
    d = cost[np.ix_(nodes, nodes)]
    if not np.allclose(d, d.T):
        return list(route)
    path = np.array([*range(len(nodes)), 0], dtype=np.intp)
    while True:
        path, crossed = _two_opt(d, path)
        path, moved = _or_opt(d, path)
        if not (crossed or moved):
            break
    return [nodes[int(i)] for i in path[1:-1]]


def _two_opt(d: npt.NDArray[np.float64], path: Path) -> tuple[Path, bool]:
    """Sweeps of best-improvement 2-opt per leg until one gains nothing."""
    changed = False
    improved = True
    last = len(path) - 1  # legs are (k, k + 1) for k < last
    while improved:
        improved = False
        for i in range(last - 2):
            a, b = path[i], path[i + 1]
            c, e = path[i + 2 : last], path[i + 3 : last + 1]
            gains = d[a, b] + d[c, e] - d[a, c] - d[b, e]
            j = int(np.argmax(gains))
            if gains[j] > EPS:
                hi = i + 2 + j  # reverse path[i + 1 .. hi]
                path[i + 1 : hi + 1] = path[i + 1 : hi + 1][::-1].copy()
                improved = changed = True
    return path, changed


def _or_opt(d: npt.NDArray[np.float64], path: Path) -> tuple[Path, bool]:
    """One sweep of Or-opt: each run of one to three stops moved to its best leg (either way
    round) when that gains."""
    changed = False
    i = 1
    while i < len(path) - 1:
        moved = None
        for length in (k for k in (1, 2, 3) if i + k <= len(path) - 1):
            moved = _move_run(d, path, i, length)
            if moved is not None:
                break
        if moved is None:
            i += 1
        else:  # position i holds another run now: it is tried next
            path = moved
            changed = True
    return path, changed


def _move_run(d: npt.NDArray[np.float64], path: Path, i: int, length: int) -> Path | None:
    """``path`` with ``path[i : i + length]`` moved to its best leg, or None when no move
    gains."""
    s0, s1 = path[i], path[i + length - 1]
    prev, nxt = path[i - 1], path[i + length]
    saved = d[prev, s0] + d[s1, nxt] - d[prev, nxt]
    rest = np.concatenate([path[:i], path[i + length :]])
    u, v = rest[:-1], rest[1:]  # the legs without the run
    base = d[u, v]
    forward = d[u, s0] + d[s1, v] - base
    backward = d[u, s1] + d[s0, v] - base
    forward[i - 1] = backward[i - 1] = np.inf  # the leg the run came from
    k_f, k_b = int(np.argmin(forward)), int(np.argmin(backward))
    best, k, run = forward[k_f], k_f, path[i : i + length]
    if backward[k_b] < best:
        best, k, run = backward[k_b], k_b, run[::-1]
    if saved - best <= EPS:
        return None
    return np.concatenate([rest[: k + 1], run, rest[k + 1 :]])
