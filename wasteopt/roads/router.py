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
  :func:`scipy.sparse.csgraph.dijkstra`); its seconds and its metres, plus both snap legs. Two
  points on one node: the shorter of the straight line and both snap legs. Metres are rounded
  half to even, seconds up, both by the caller.
* **Ties**: of equally fast paths (seconds equal in floating point, summed from the search's
  root) the *canonical* one is taken: each node is reached by its tight arc whose tail has
  the least seconds, then the largest id (:mod:`wasteopt.roads.local`), and its metres are
  reported; :meth:`Router.node_path` draws that path. This is the predecessor scipy's Dijkstra
  keeps, except where two tails tie exactly and its heap's order used to decide (so a bounded
  and an unbounded search could report different metres). The rule depends on the graph
  only, so a bounded, local or whole-graph search gives the same seconds and metres.

Searches (:meth:`Router.gather`): with many more distinct sources than targets (points to their
unload sites) Dijkstra runs backwards from the targets, on the reversed graph. A block whose nodes
lie in a small part of the city is searched *locally* (:mod:`wasteopt.roads.local`): on the
subgraph inside the block's box widened on each side by 1.25 × (its width + its height). Why that
margin: a root on the box's edge must have every column nearer than the nearest way out, and its
farthest column is up to width + height away along a street grid, while the way out is at least the
margin away in a straight line (at equal speeds a margin of exactly width + height fails a
rectangular block's corner roots by a tie). On the benchmark's 150 m territories a margin of 0.5 ×
the box's longer side left 92 to 94% of the roots unproved, 1 × it 8 to 37%, 1.5 × it none; the
bound below keeps a wide box cheap. An answer is kept only where it is proved to be the whole
graph's (no path leaving the box can be as fast); roots with an unproved pair, and blocks whose box
would hold more than half the city, are searched on the whole graph. Every search is bounded by the
block itself (a probe column's distances give each root a bound on its farthest column), then
repeated unbounded for a column left unreached.

:meth:`Router.node_path` (legs drawn on a map) searches the leg's box the same way (one
Dijkstra on the box's subgraph, kept when the target is proved) and climbs the canonical path
there; an unproved leg keeps a whole row of seconds from its source in a bounded cache. A whole
row costs the city (about 50 ms on a 100k-node grid), which route sheets for a city day paid
on every leg.

Why scipy.sparse.csgraph: it is already a dependency, runs Dijkstra from many sources in C
over a compressed sparse graph; igraph would add a compiled dependency for the same algorithm,
and OSRM is a server with its own preprocessing and profiles (Lua) that cannot express
per-scenario bans without rebuilding. Local searches keep its per-call arrays (roots × nodes)
at the size of the block's neighbourhood instead of the city, and bounded searches explore
about what the block needs.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from wasteopt.roads.graph import (
    EARTH_RADIUS_M,
    BoolArray,
    FloatArray,
    IntArray,
    Profile,
    RoadGraph,
)
from wasteopt.roads.local import Arcs, Region, Subgraph, induced, local_rows

__all__ = ["SNAP_SPEED_KMH", "Leg", "Router"]

SNAP_SPEED_KMH = 10.0
"""Default speed of the straight leg from a point to its road (an unmapped yard or alley)."""
_CACHE_BYTES = 128 * 2**20
_MARGIN = 1.25  # the local box: the block's box widened by this × (width + height) each side
_MIN_MARGIN_M = 500.0  # a block of one node still gets a neighbourhood
_LOCAL_SHARE = 0.5  # a box with more of the graph's nodes than this is searched whole
_SUBGRAPHS = 4  # induced subgraphs kept (a block's 64-row chunks share one box)


class Leg:
    """One leg on the network: its polyline, metres and seconds (unrounded), road edges."""

    __slots__ = ("edges", "line", "metres", "seconds")

    def __init__(
        self, line: list[tuple[float, float]], metres: float, seconds: float, edges: list[int]
    ) -> None:
        self.line, self.metres, self.seconds, self.edges = line, metres, seconds, edges


class Router:
    """Fastest paths of one profile on one graph (module docstring).

    ``local_roots`` and ``fallback_roots`` count the roots searched on a local box and those
    of them whose proof failed, so they were searched again on the whole graph (a debugging
    and benchmarking aid)."""

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
        # a zero-length edge gets a tiny weight: seconds stay strictly increasing along a path
        w = np.maximum(secs[self.edges], 1e-9)
        length = graph.length_m[self.edges]
        self.fwd = Arcs.from_pairs(n, t, h, w, length)
        self.bwd = Arcs.from_pairs(n, h, t, w, length)
        self.keys = t * n + h  # sorted: edge lookup by (tail, head)
        self.key_edge = self.edges
        speeds = np.minimum(graph.speed_kmh[self.edges], self.profile.speed_kmh)
        self.typical_kmh = float(np.median(speeds)) if speeds.size else 1.0
        self._plane_setup()
        self._cache_size = max(8, _CACHE_BYTES // max(1, 8 * n))
        self._reset()

    def _reset(self) -> None:
        """Caches and counters (not pickled: a worker process rebuilds what it reads)."""
        self._cache: OrderedDict[int, FloatArray] = OrderedDict()
        self._subs: OrderedDict[tuple[object, ...], Subgraph] = OrderedDict()
        self._region: Region | None = None
        self._whole: list[Subgraph | None] = [None, None]
        self._xy: tuple[FloatArray, FloatArray] = (np.zeros(0), np.zeros(0))
        self.local_roots = 0
        self.fallback_roots = 0

    def _plane_setup(self) -> None:
        g = self.graph
        n = g.node_count
        if self.edges.size:
            _, label = connected_components(self.fwd.csr, directed=True, connection="strong")
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
        return {k: getattr(self, k) for k in _STATE}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)
        self._reset()

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
        runs backwards from the targets, on the reversed graph: same paths. Searches are local
        where they can be and bounded by the block itself (module docstring); ``limit_s`` caps
        the bounded passes further. Pairs a bounded pass leaves unreached are searched again
        without a bound, so the answer never depends on a bound, only the time it takes."""
        sources, targets = np.asarray(sources, np.int64), np.asarray(targets, np.int64)
        reverse = np.unique(sources).size > 2 * np.unique(targets).size
        roots, cols = (targets, sources) if reverse else (sources, targets)
        secs = np.empty((roots.size, cols.size))
        dist = np.empty((roots.size, cols.size))
        if roots.size and cols.size:
            self._search(roots, cols, reverse, limit_s, (secs, dist))
        return (secs.T.copy(), dist.T.copy()) if reverse else (secs, dist)

    def _search(
        self,
        roots: IntArray,
        cols: IntArray,
        reverse: bool,
        limit_s: float,
        out: tuple[FloatArray, FloatArray],
    ) -> None:
        """Fill ``out`` (seconds, metres) row by row: on the block's box where every pair of a
        root is proved, else on the whole graph; bounded passes first (module docstring)."""
        x, y = self._node_plane()
        both = np.concatenate([roots, cols])
        bx, by = x[both], y[both]
        box = (float(bx.min()), float(bx.max()), float(by.min()), float(by.max()))
        mid = ((box[0] + box[1]) / 2, (box[2] + box[3]) / 2)
        margin = max(_MARGIN * (box[1] - box[0] + box[3] - box[2]), _MIN_MARGIN_M)
        local = self._subgraph(box, margin, reverse)
        whole = self._whole_graph(reverse)
        passes = [(whole, True), (whole, False)]
        if local is not None:
            passes.insert(0, (local, True))
        todo = np.arange(roots.size)
        probe = int(np.argmin(np.hypot(x[cols] - mid[0], y[cols] - mid[1])))
        for k, (sub, bounded) in enumerate(passes):
            uniq, inv = np.unique(roots[todo], return_inverse=True)
            if sub is local:
                self.local_roots += int(uniq.size)
            elif k == 1 and local is not None:
                self.fallback_roots += int(uniq.size)
            cap = limit_s if bounded else math.inf
            s, m, ok = local_rows(sub, uniq, cols, probe if bounded else None, cap)
            proved: BoolArray = np.all(ok, axis=1)
            done = proved[inv] | (k == len(passes) - 1)
            rows = todo[done]
            out[0][rows], out[1][rows] = s[inv[done]], m[inv[done]]
            todo = todo[~done]
            if not todo.size:
                return

    def _node_plane(self) -> tuple[FloatArray, FloatArray]:
        """Plane metres of every node (computed once, with the box index)."""
        if self._region is None:
            x, y = self.plane(self.graph.lon, self.graph.lat)
            self._region = Region(x, y)
            self._xy = (x, y)
        return self._xy

    def nodes_near(self, nodes: npt.ArrayLike, margin_m: float) -> IntArray:
        """Sorted ids of the nodes inside the box of ``nodes`` widened by ``margin_m``."""
        x, y = self._node_plane()
        assert self._region is not None
        idx = np.asarray(nodes, dtype=np.int64)
        bx, by = x[idx], y[idx]
        return self._region.box(
            float(bx.min()) - margin_m,
            float(bx.max()) + margin_m,
            float(by.min()) - margin_m,
            float(by.max()) + margin_m,
        )

    def _subgraph(
        self, box: tuple[float, float, float, float], margin: float, reverse: bool
    ) -> Subgraph | None:
        """The subgraph inside ``box`` widened by ``margin`` (None when it would hold more
        than :data:`_LOCAL_SHARE` of the nodes: the whole graph is searched instead)."""
        key = (reverse, margin, *box)
        sub = self._subs.get(key)
        if sub is not None:
            self._subs.move_to_end(key)
            return sub
        assert self._region is not None
        x0, x1, y0, y1 = box[0] - margin, box[1] + margin, box[2] - margin, box[3] + margin
        most = _LOCAL_SHARE * self.graph.node_count
        nodes = self._region.box(x0, x1, y0, y1)
        if nodes.size > most:
            return None
        sub = induced(self.bwd if reverse else self.fwd, nodes)
        self._subs[key] = sub
        while len(self._subs) > _SUBGRAPHS:
            self._subs.popitem(last=False)
        return sub

    def _whole_graph(self, reverse: bool) -> Subgraph:
        """The whole graph as a subgraph with no way out (so every answer on it is proved)."""
        n = self.graph.node_count
        arcs, into = (self.bwd, self.fwd) if reverse else (self.fwd, self.bwd)
        if self._whole[reverse] is None:
            self._whole[reverse] = Subgraph(
                np.arange(n, dtype=np.int64), arcs, into, np.full(n, np.inf)
            )
        out = self._whole[reverse]
        assert out is not None
        return out

    def node_path(self, u: int, v: int) -> list[int]:
        """Edge ids of the fastest path from node ``u`` to node ``v`` (empty when equal): the
        canonical one of :meth:`gather` (module docstring)."""
        secs = self._cache.get(u)
        if secs is None and u != v:
            local = self._local_path(u, v)
            if local is not None:
                return local
        if secs is None:
            secs = dijkstra(self.fwd.csr, indices=u)
            self._cache[u] = secs
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(u)
        if not math.isfinite(secs[v]):
            raise ValueError(f"no road path from node {u} to node {v}")
        n = self.graph.node_count
        ptr, into = self.bwd.csr.indptr, self.bwd.head
        out: list[int] = []
        node = v
        while node != u:  # back along the canonical arc: tight, least seconds, largest tail
            k = slice(ptr[node], ptr[node + 1])
            prev = into[k]
            tight = prev[secs[prev] + self.bwd.seconds[k] == secs[node]]
            p = int(tight[secs[tight] == secs[tight].min()].max())
            out.append(int(self.key_edge[np.searchsorted(self.keys, p * n + node)]))
            node = p
        return out[::-1]

    def _local_path(self, u: int, v: int) -> list[int] | None:
        """:meth:`node_path` searched on the leg's box (module docstring); ``None`` when the
        box would be most of the city or the path is not proved the whole graph's."""
        x, y = self._node_plane()
        xs, ys = sorted((float(x[u]), float(x[v]))), sorted((float(y[u]), float(y[v])))
        margin = max(_MARGIN * (xs[1] - xs[0] + ys[1] - ys[0]), _MIN_MARGIN_M)
        sub = self._subgraph((xs[0], xs[1], ys[0], ys[1]), margin, False)
        if sub is None:
            return None
        lu, lv = (int(k) for k in np.searchsorted(sub.nodes, [u, v]))
        secs = dijkstra(sub.arcs.csr, indices=lu)
        if not secs[lv] < np.min(secs + sub.exit_s, initial=np.inf):
            return None  # a way out of the box might be as fast: not proved
        ptr, into, w = sub.into.csr.indptr, sub.into.head, sub.into.seconds
        nodes = sub.nodes
        n = self.graph.node_count
        out: list[int] = []
        node = lv
        while node != lu:  # as node_path: tight, least seconds, largest tail (ids keep order)
            k = slice(ptr[node], ptr[node + 1])
            prev = into[k]
            tight = prev[secs[prev] + w[k] == secs[node]]
            p = int(tight[secs[tight] == secs[tight].min()].max())
            out.append(int(self.key_edge[np.searchsorted(self.keys, nodes[p] * n + nodes[node])]))
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
    "fwd",
    "bwd",
    "keys",
    "key_edge",
    "typical_kmh",
    "snap_nodes",
    "lon0",
    "lat0",
    "tree",
    "_cache_size",
)
