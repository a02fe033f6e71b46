"""Fastest paths on a road graph for one vehicle profile, between snapped points.

Model
-----
* **Graph**: the profile's usable edges (:meth:`RoadGraph.usable`), weighted by seconds at
  ``min(edge speed, profile speed)``; of parallel edges between two nodes the fastest is kept.
  Points may snap only to nodes of the largest strongly connected part of that graph, so every
  snapped pair has a path both ways (a dead-end one-way stub is never a snap target).
* **Snap**: a point goes to the nearest such node (a k-d tree on the nodes' local plane
  coordinates, metres); the straight snap leg is driven at ``snap_speed_kmh`` (capped by the
  profile's speed). Its length is not multiplied by any circuity factor.
* **Leg** ``a → b`` (snapped to ``u``, ``v``): the fastest path ``u → v`` (Dijkstra,
  :func:`scipy.sparse.csgraph.dijkstra`, several sources per call with ``indices=``); its
  seconds and its metres along the same path (summed up the shortest-path tree), plus both snap
  legs. Two points on one node: the shorter of the straight line and both snap legs.
  Metres are rounded half to even, seconds up, both by the caller.

Why scipy.sparse.csgraph: it is already a dependency, runs Dijkstra from many sources in C
over a compressed sparse graph and returns the predecessor trees paths are drawn from; igraph
would add a compiled dependency for the same algorithm, and OSRM is a server with its own
preprocessing and profiles (Lua) that cannot express per-scenario bans without rebuilding.

Rows (seconds, metres, predecessors from one source node to every node) are kept in a
bounded cache: route legs ask the same source many times. Searches for a block are bounded
(``limit=``) by twice the block's longest straight line at the network's median speed, and
repeated without a bound for a root that missed a wanted node: the bound saves time on a city
graph (a territory explores its neighbourhood, not the city) and never changes an answer.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from wasteopt.roads.graph import EARTH_RADIUS_M, FloatArray, Profile, RoadGraph

__all__ = ["SNAP_SPEED_KMH", "Leg", "Router"]

SNAP_SPEED_KMH = 10.0
"""Default speed of the straight leg from a point to its road (an unmapped yard or alley)."""
_CACHE_BYTES = 128 * 2**20
_SOURCES_PER_CALL = 64


class Leg:
    """One leg on the network: its polyline, metres and seconds (unrounded), road edges."""

    __slots__ = ("edges", "line", "metres", "seconds")

    def __init__(
        self, line: list[tuple[float, float]], metres: float, seconds: float, edges: list[int]
    ) -> None:
        self.line, self.metres, self.seconds, self.edges = line, metres, seconds, edges


class Router:
    """Fastest paths of one profile on one graph (module docstring)."""

    def __init__(
        self,
        graph: RoadGraph,
        profile: Profile | None = None,
        *,
        snap_speed_kmh: float = SNAP_SPEED_KMH,
        usable: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        self.graph = graph
        self.profile = profile or Profile()
        self.snap_kmh = min(snap_speed_kmh, self.profile.speed_kmh)
        ok = graph.usable(self.profile) if usable is None else usable
        secs = graph.edge_seconds(self.profile)
        edges = np.flatnonzero(ok)
        # fastest of parallel edges: sort by (tail, head, seconds), keep the first of each pair
        order = np.lexsort((secs[edges], graph.head[edges], graph.tail[edges]))
        edges = edges[order]
        t, h = graph.tail[edges], graph.head[edges]
        first = np.ones(edges.size, dtype=bool)
        first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
        self.edges = edges[first]
        n = graph.node_count
        t, h = graph.tail[self.edges], graph.head[self.edges]
        # csgraph reads an explicit 0 as "no edge": a zero-length edge gets a tiny weight
        w = np.maximum(secs[self.edges], 1e-9)
        self.csr = csr_matrix((w, (t, h)), shape=(n, n))
        self.csr_rev = csr_matrix((w, (h, t)), shape=(n, n))
        self.keys = t * n + h  # sorted: edge lookup by (tail, head)
        self.key_edge = self.edges
        self.metres = graph.length_m[self.edges]
        speeds = np.minimum(graph.speed_kmh[self.edges], self.profile.speed_kmh)
        self.typical_kmh = float(np.median(speeds)) if speeds.size else 1.0
        self._plane_setup()
        self._cache: OrderedDict[int, tuple[FloatArray, Any]] = OrderedDict()
        self._into: OrderedDict[int, tuple[FloatArray, Any]] = OrderedDict()
        self._cache_size = max(8, _CACHE_BYTES // max(1, 32 * n))

    def _plane_setup(self) -> None:
        g = self.graph
        n = g.node_count
        if self.edges.size:
            _, label = connected_components(self.csr, directed=True, connection="strong")
            touched = np.zeros(n, dtype=bool)
            touched[g.tail[self.edges]] = True
            counts = np.bincount(label[touched], minlength=int(label.max()) + 1)
            self.snap_nodes = np.flatnonzero(touched & (label == int(np.argmax(counts))))
        else:
            self.snap_nodes = np.zeros(0, dtype=np.int64)
        self.lon0 = float(np.mean(g.lon)) if n else 0.0
        self.lat0 = float(np.mean(g.lat)) if n else 0.0
        x, y = self.plane(g.lon[self.snap_nodes], g.lat[self.snap_nodes])
        self.tree = cKDTree(np.column_stack([x, y])) if self.snap_nodes.size else None

    def __getstate__(self) -> dict[str, Any]:
        # The row cache stays behind (worker processes recompute what they read).
        state = {k: getattr(self, k) for k in _STATE}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)
        self._cache = OrderedDict()

    def plane(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Local equirectangular metres around the graph's centre."""
        k = math.radians(1.0) * EARTH_RADIUS_M
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * k * math.cos(math.radians(self.lat0))
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * k
        return x, y

    def snap(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Nearest usable node of each point and the straight metres to it."""
        if self.tree is None:
            raise ValueError("the profile may use no road of the network")
        x, y = self.plane(lon, lat)
        dist, pos = self.tree.query(np.column_stack([np.ravel(x), np.ravel(y)]))
        return self.snap_nodes[np.asarray(pos, dtype=np.int64)], np.asarray(dist, np.float64)

    def snap_seconds(self, metres: FloatArray) -> FloatArray:
        """Seconds of snap legs of ``metres``."""
        out: FloatArray = metres * 3.6 / self.snap_kmh
        return out

    def gather(
        self,
        sources: npt.NDArray[np.int64],
        targets: npt.NDArray[np.int64],
        limit_s: float = math.inf,
    ) -> tuple[FloatArray, FloatArray]:
        """Seconds and metres (len(sources), len(targets)) of the fastest paths between nodes.

        With many more distinct sources than targets (points to their unload sites) Dijkstra
        runs backwards from the targets, on the reversed graph: same paths. ``limit_s`` bounds
        the searches (``limit=``: only what lies within that many seconds is explored); the
        pairs a bounded search missed are searched again without a bound, from whichever side
        has fewer distinct nodes among them (a far unload site: once, backwards, and kept), so
        the answer never depends on the bound, only the time it takes."""
        reverse = np.unique(sources).size > 2 * np.unique(targets).size
        roots, cols = (targets, sources) if reverse else (sources, targets)
        secs, metres = self._from(roots, cols, reverse, limit_s)
        missed = ~np.isfinite(secs)
        if missed.any():
            rr, cc = np.nonzero(missed)
            miss_roots, miss_cols = np.unique(roots[rr]), np.unique(cols[cc])
            if miss_cols.size < miss_roots.size:  # from the missed columns, the other way
                s2, m2 = self._from(miss_cols, miss_roots, not reverse, math.inf)
                ri = np.searchsorted(miss_roots, roots[rr])
                ci = np.searchsorted(miss_cols, cols[cc])
                secs[rr, cc], metres[rr, cc] = s2[ci, ri], m2[ci, ri]
            else:
                rows = np.unique(rr)
                s2, m2 = self._from(roots[rows], cols, reverse, math.inf)
                secs[rows], metres[rows] = s2, m2
        return (secs.T.copy(), metres.T.copy()) if reverse else (secs, metres)

    def _from(
        self, roots: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], reverse: bool, limit: float
    ) -> tuple[FloatArray, FloatArray]:
        """Rows (len(roots), len(cols)) from each root (into it with ``reverse``); within
        ``limit`` seconds only (inf beyond). Whole (unbounded) trees are kept in a cache."""
        cache = self._into if reverse else self._cache
        got: dict[int, tuple[FloatArray, FloatArray]] = {}
        hits = [int(s) for s in dict.fromkeys(roots.tolist()) if int(s) in cache]
        if hits:
            secs = np.stack([cache[s][0] for s in hits])
            pred = np.stack([cache[s][1] for s in hits])
            metres = self._metres(pred, np.array(hits), cols, reverse)
            for k, s in enumerate(hits):
                cache.move_to_end(s)
                got[s] = (secs[k, cols], metres[k])
        todo = [int(s) for s in dict.fromkeys(roots.tolist()) if int(s) not in got]
        graph = self.csr_rev if reverse else self.csr
        for c0 in range(0, len(todo), _SOURCES_PER_CALL):
            chunk = todo[c0 : c0 + _SOURCES_PER_CALL]
            secs, pred = dijkstra(graph, indices=chunk, return_predecessors=True, limit=limit)
            secs = np.atleast_2d(secs)
            pred = np.atleast_2d(pred).astype(np.int64)
            metres = self._metres(pred, np.array(chunk), cols, reverse)
            for k, s in enumerate(chunk):
                got[s] = (secs[k, cols], metres[k])
                if not math.isfinite(limit):  # only whole trees are kept
                    cache[s] = (secs[k], pred[k])
                    while len(cache) > self._cache_size:
                        cache.popitem(last=False)
        if not roots.size:
            return np.zeros((0, cols.size)), np.zeros((0, cols.size))
        order = roots.tolist()
        return np.stack([got[int(s)][0] for s in order]), np.stack([got[int(s)][1] for s in order])

    def _metres(
        self,
        pred: npt.NDArray[np.int64],
        roots: npt.NDArray[np.int64],
        cols: npt.NDArray[np.int64],
        reverse: bool,
    ) -> FloatArray:
        """Metres from each root to each wanted node along its tree: climbing from the wanted
        nodes when they are few, else summed over the whole tree (pointer jumping)."""
        if cols.size * 8 < self.graph.node_count:
            return self._climb(pred, roots, cols, reverse)
        return self._jump(pred, roots, reverse)[:, cols]

    def _jump(
        self, pred: npt.NDArray[np.int64], roots: npt.NDArray[np.int64], reverse: bool
    ) -> FloatArray:
        """Metres from each row's root to every node along its tree (pointer jumping);
        unreached nodes get inf."""
        n = self.graph.node_count
        has = pred >= 0
        acc = np.zeros(pred.shape)
        rows, cols = np.nonzero(has)
        key = cols * n + pred[rows, cols] if reverse else pred[rows, cols] * n + cols
        acc[rows, cols] = self.metres[np.searchsorted(self.keys, key)]
        offset = (np.arange(pred.shape[0]) * n)[:, None]
        flat_acc, flat_up = acc.ravel(), np.where(has, pred + offset, -1).ravel()
        while True:
            live = np.flatnonzero(flat_up >= 0)
            if not live.size:
                break
            parent = flat_up[live]
            flat_acc[live] += flat_acc[parent]
            flat_up[live] = flat_up[parent]
        out = flat_acc.reshape(pred.shape)
        out[~has] = np.inf
        out[np.arange(pred.shape[0]), roots] = 0.0
        return out

    def _climb(
        self,
        pred: npt.NDArray[np.int64],
        roots: npt.NDArray[np.int64],
        cols: npt.NDArray[np.int64],
        reverse: bool,
    ) -> FloatArray:
        """Metres (len(roots), len(cols)) from each root to each wanted node along the root's
        shortest-path tree, climbing from the wanted nodes (on the reversed graph the tree edge
        of node x is x → pred[x]); nodes the tree does not reach get inf."""
        n = self.graph.node_count
        k = pred.shape[0]
        cur = np.broadcast_to(cols, (k, cols.size)).copy()
        acc = np.zeros(cur.shape)
        row = np.broadcast_to(np.arange(k)[:, None], cur.shape)
        alive = cur != roots[:, None]
        acc[alive & (pred[row, cur] < 0)] = np.inf
        alive &= pred[row, cur] >= 0
        while alive.any():
            r, c = row[alive], cur[alive]
            p = pred[r, c]
            key = c * n + p if reverse else p * n + c
            acc[alive] += self.metres[np.searchsorted(self.keys, key)]
            cur[alive] = p
            alive[alive] = p != roots[r]
        return acc

    def node_path(self, u: int, v: int) -> list[int]:
        """Edge ids of the fastest path from node ``u`` to node ``v`` (empty when equal)."""
        self._from(np.array([u]), np.array([v]), False, math.inf)
        pred = self._cache[u][1]
        n = self.graph.node_count
        out: list[int] = []
        node = v
        while node != u:
            p = int(pred[node])
            if p < 0:
                raise ValueError(f"no road path from node {u} to node {v}")
            out.append(int(self.key_edge[np.searchsorted(self.keys, p * n + node)]))
            node = p
        return out[::-1]

    def leg(self, a: tuple[float, float], b: tuple[float, float]) -> Leg:
        """The leg between points ``a`` and ``b`` (lon, lat) with its polyline."""
        nodes, snap_m = self.snap([a[0], b[0]], [a[1], b[1]])
        u, v = int(nodes[0]), int(nodes[1])
        g = self.graph
        if u == v:
            xa, ya = self.plane([a[0], b[0]], [a[1], b[1]])
            straight = float(math.hypot(xa[1] - xa[0], ya[1] - ya[0]))
            if straight <= snap_m.sum():
                return Leg([a, b], straight, float(self.snap_seconds(np.array(straight))), [])
        edges = self.node_path(u, v)
        line = [a, (float(g.lon[u]), float(g.lat[u]))]
        line += [(float(g.lon[g.head[e]]), float(g.lat[g.head[e]])) for e in edges] + [b]
        line = [p for k, p in enumerate(line) if k == 0 or p != line[k - 1]]
        if len(line) == 1:
            line.append(b)
        secs = float(np.sum(g.edge_seconds(self.profile)[edges])) if edges else 0.0
        metres = float(np.sum(g.length_m[edges])) if edges else 0.0
        snap_s = float(np.sum(self.snap_seconds(snap_m)))
        return Leg(line, metres + float(snap_m.sum()), secs + snap_s, edges)


_STATE = (
    "graph",
    "profile",
    "snap_kmh",
    "edges",
    "csr",
    "csr_rev",
    "keys",
    "key_edge",
    "metres",
    "typical_kmh",
    "snap_nodes",
    "lon0",
    "lat0",
    "tree",
    "_cache_size",
)
