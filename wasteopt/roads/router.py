"""Fastest paths on a road graph for one vehicle profile, between snapped points.

Model
-----
* **Graph**: the profile's usable edges (:meth:`RoadGraph.usable`), weighted by seconds at
  ``min(edge speed, profile speed)``; of parallel edges between two nodes the fastest is kept.
  Points may snap only to nodes of the largest strongly connected part of that graph, so every
  snapped pair has a path both ways (a dead-end one-way stub is never a snap target).
* **Snap** (:mod:`wasteopt.roads.snap`): a point joins the nearest two-way road segment the
  profile may use by a straight leg to its foot, driven at ``snap_speed_kmh`` (capped by the
  profile's speed), and drives along the segment to either end, a node of that part of the
  graph (or joins the nearest such node, when that is no farther). Its length is not
  multiplied by any circuity factor.
* **Leg** ``a → b``: the fastest of the ways from an end of ``a``'s segment to an end of
  ``b``'s (Dijkstra, :func:`scipy.sparse.csgraph.dijkstra`, between the ends), both joins
  included, of driving along one segment both points are on, and of the straight line at the
  snap speed when they share an end (:func:`~wasteopt.roads.snap.legs`); its seconds and the
  metres of that way. Metres are rounded half to even, seconds up, both by the caller.
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

Points (:meth:`Router.point_legs`, the travel tables' blocks): where a block's points are fewer
than their streets' distinct ends (points spread out, each on its own street), each point is
searched once, from a virtual node joined to both ends of its street by its two joins
(:class:`~wasteopt.roads.local.Joins`), instead of once from each end: the same seconds and
metres (the climb ends on a join arc), half the searches. The 3,000-point city's 308-stop
recyclable territory (3 profiles) took 24.8 s of tables from the ends, 12.3 s so. Where two
ways through different ends of a point's street are exactly as fast (on a map whose two
directions of a street differ in length, the join to the far end is as fast as the join to the
near end plus the arc back), the searches from the ends take end 0's way and the virtual node
its canonical arc: the seconds agree, the metres may not (both are metres of a fastest way, so
the checker accepts either). A small block
(at most ``_SMALL_BLOCK`` pairs, a leg read alone) skips the box and the probe: one Dijkstra on
the whole graph within the caller's limit.

Drawing (:meth:`Router.leg`, :meth:`Router.lines`): one Dijkstra on the whole graph per leg from
its first point's ends, bounded by a limit (twice the straight line at the typical speed, plus
``_DRAW_SLACK_S``) grown × 4 until the leg is proved (its fastest way no slower than the limit,
so a way left unreached cannot be faster), then its canonical path climbed. It explores about a
disc of the leg's length, whatever the size of the city or the route: 1.65 ms per leg on 40
routes of the 3,000-point city (depot legs included) against 7.36 ms for a search per end on the
route's box (the lines are identical). :meth:`Router.node_path` searches the leg's box (one
Dijkstra on the box's subgraph, kept when the target is proved); an unproved leg keeps a whole
row of seconds from its source in a bounded cache.

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
from collections.abc import Callable
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
from wasteopt.roads.local import (
    Arcs,
    Joins,
    Region,
    Subgraph,
    climb_path,
    induced,
    local_rows,
)
from wasteopt.roads.snap import Segments, Snap, join, legs, offer_direct, two_way_segments

__all__ = ["SNAP_SPEED_KMH", "Leg", "Router"]

SNAP_SPEED_KMH = 10.0
"""Default speed of the straight leg from a point to its road (an unmapped yard or alley)."""
_CACHE_BYTES = 128 * 2**20
_MARGIN = 1.25  # the local box: the block's box widened by this × (width + height) each side
_MIN_MARGIN_M = 500.0  # a block of one node still gets a neighbourhood
_LOCAL_SHARE = 0.5  # a box with more of the graph's nodes than this is searched whole
_SMALL_BLOCK = 16  # roots × columns up to which a bounded block skips the box and the probe
_VIRTUAL_MIN = 16  # fewer rooted points: searched from their ends (no graph copied)
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
        allowed = np.zeros(n, dtype=bool)
        allowed[self.snap_nodes] = True
        self.segments: Segments | None = two_way_segments(
            n,
            g.tail[self.edges],
            g.head[self.edges],
            np.maximum(g.edge_seconds(self.profile)[self.edges], 0.0),
            g.length_m[self.edges],
            allowed,
            self.plane(g.lon, g.lat),
        )

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

    def snap(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> Snap:
        """How each point joins the roads (module docstring, :mod:`wasteopt.roads.snap`)."""
        if self.tree is None:
            raise ValueError("the profile may use no road of the network")
        x, y = (np.ravel(v) for v in self.plane(lon, lat))
        dist, pos = self.tree.query(np.column_stack([x, y]))
        node = self.snap_nodes[np.asarray(pos, dtype=np.int64)], np.asarray(dist, np.float64)
        return join(x, y, node, self.segments, self.snap_kmh, self._node_plane())

    def unplane(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Longitude and latitude of local plane metres (:meth:`plane` inverted)."""
        k = math.radians(1.0) * EARTH_RADIUS_M
        lon = np.asarray(x, dtype=np.float64) / (k * math.cos(math.radians(self.lat0))) + self.lon0
        return lon, np.asarray(y, dtype=np.float64) / k + self.lat0

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

    def point_legs(
        self, a: Snap, b: Snap, straight_m: FloatArray, limit_s: float = math.inf
    ) -> tuple[FloatArray, FloatArray]:
        """:func:`~wasteopt.roads.snap.legs` from points ``a`` to points ``b``, searched from
        whichever is fewer on the rooted side (:meth:`gather`'s rule): the distinct ends of
        its points, or the points themselves, each from a virtual node joined to both its
        ends (one search instead of two where points do not share streets)."""
        src, dst = np.unique(a.ends), np.unique(b.ends)
        reverse = src.size > 2 * dst.size
        rooted, other = (b, a) if reverse else (a, b)
        key = np.column_stack([rooted.ends, rooted.end_s, rooted.end_m])
        uniq, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        if uniq.shape[0] >= (dst if reverse else src).size or uniq.shape[0] < _VIRTUAL_MIN:
            return legs(a, b, lambda s, d: self.gather(s, d, limit_s), self.snap_kmh, straight_m)
        joins = Joins(rooted.ends[first], rooted.end_s[first], rooted.end_m[first])
        cols = np.unique(other.ends)
        secs = np.empty((first.size, cols.size))
        dist = np.empty((first.size, cols.size))
        self._search(np.arange(first.size), cols, reverse, limit_s, (secs, dist), joins)
        at = np.searchsorted(cols, other.ends)
        best_s = np.full((first.size, other.seg.size), np.inf)
        best_m = np.full_like(best_s, np.inf)
        for k in (0, 1):  # legs' order: the first strictly faster end
            s = secs[:, at[:, k]] + other.end_s[None, :, k]
            m = dist[:, at[:, k]] + other.end_m[None, :, k]
            better = s < best_s
            best_s[better], best_m[better] = s[better], m[better]
        best_s, best_m = best_s[inv.ravel()], best_m[inv.ravel()]
        if reverse:
            best_s, best_m = best_s.T.copy(), best_m.T.copy()
        offer_direct(a, b, straight_m, self.snap_kmh, best_s, best_m)
        return best_s, best_m

    def _search(
        self,
        roots: IntArray,
        cols: IntArray,
        reverse: bool,
        limit_s: float,
        out: tuple[FloatArray, FloatArray],
        joins: Joins | None = None,
    ) -> None:
        """Fill ``out`` (seconds, metres) row by row: on the block's box where every pair of a
        root is proved, else on the whole graph; bounded passes first (module docstring).
        With ``joins`` the roots are its rows, points off the graph (:func:`local_rows`)."""
        x, y = self._node_plane()
        nodes = roots if joins is None else joins.ends.ravel()
        box, margin = self._box(np.concatenate([nodes, cols]))
        mid = ((box[0] + box[1]) / 2, (box[2] + box[3]) / 2)
        small = roots.size * cols.size <= _SMALL_BLOCK and math.isfinite(limit_s)
        # A small block (a leg read alone) is searched on the whole graph within limit_s:
        # cutting a box and probing its middle cost more than the search itself.
        local = None if small else self._subgraph(box, margin, reverse)
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
            part = None if joins is None else joins.take(uniq)
            at = probe if bounded and not small else None
            s, m, ok = local_rows(sub, uniq, cols, at, cap, part)
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

    def _box(self, nodes: IntArray) -> tuple[tuple[float, float, float, float], float]:
        """The box (x0, x1, y0, y1, plane metres) of ``nodes`` and the margin a local search
        widens it by on each side (module docstring: Searches)."""
        x, y = self._node_plane()
        bx, by = x[nodes], y[nodes]
        box = (float(bx.min()), float(bx.max()), float(by.min()), float(by.max()))
        return box, max(_MARGIN * (box[1] - box[0] + box[3] - box[2]), _MIN_MARGIN_M)

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
        sub = self._subgraph(*self._box(np.array([u, v])), False)
        if sub is None:
            return None
        lu, lv = (int(k) for k in np.searchsorted(sub.nodes, [u, v]))
        secs = dijkstra(sub.arcs.csr, indices=lu)
        if not secs[lv] < np.min(secs + sub.exit_s, initial=np.inf):
            return None  # a way out of the box might be as fast: not proved
        return self._edges(sub.nodes[climb_path(sub.into, secs, lu, lv)])

    def _edges(self, nodes: IntArray) -> list[int]:
        """Edge ids along consecutive graph ``nodes``."""
        keys = nodes[:-1] * self.graph.node_count + nodes[1:]
        return [int(e) for e in self.key_edge[np.searchsorted(self.keys, keys)]]

    def lines(self, pairs: list[tuple[tuple[float, float], tuple[float, float]]]) -> list[Line]:
        """The polylines of :meth:`leg` for many legs (one route's), the points joined once."""
        if not pairs:
            return []
        places = sorted({p for pair in pairs for p in pair})
        at = {p: k for k, p in enumerate(places)}
        lon, lat = (np.array([p[k] for p in places]) for k in (0, 1))
        snap = self.snap(lon, lat)
        x, y = self.plane(lon, lat)
        out = []
        for a, b in pairs:
            ia, ib = at[a], at[b]
            straight = math.hypot(x[ia] - x[ib], y[ia] - y[ib])
            pick = snap.take(np.array([ia])), snap.take(np.array([ib]))
            out.append(self._drawn((a, b), pick, straight).line)
        return out

    def leg(self, a: tuple[float, float], b: tuple[float, float]) -> Leg:
        """The leg between points ``a`` and ``b`` (lon, lat) with its polyline."""
        snap = self.snap([a[0], b[0]], [a[1], b[1]])
        xa, ya = self.plane([a[0], b[0]], [a[1], b[1]])
        straight = float(math.hypot(xa[1] - xa[0], ya[1] - ya[0]))
        return self._drawn((a, b), (snap.take(np.array([0])), snap.take(np.array([1]))), straight)

    def _drawn(self, ends: tuple[Point, Point], snaps: tuple[Snap, Snap], straight: float) -> Leg:
        """The leg between ``ends`` joined by ``snaps``: Dijkstra on the whole graph from the
        first point's ends, bounded by a limit that grows (× 4) until the leg is proved (its
        fastest way no slower than the limit, so no way left unreached can be faster), its
        canonical path climbed from the second point's end. A bounded search explores about a
        disc of the leg's length, whatever the size of the city or the route."""
        one, two = snaps
        src, dst = np.unique(one.ends), np.unique(two.ends)
        limit = 2.0 * straight * 3.6 / self.typical_kmh + _DRAW_SLACK_S
        line_m = np.array([[straight]])
        while True:
            rows = np.atleast_2d(dijkstra(self.fwd.csr, indices=src, limit=limit))
            found = rows[:, dst]
            secs, metres = legs(one, two, _given((found, found)), self.snap_kmh, line_m)
            best_s = float(secs[0, 0])
            if best_s <= limit or math.isinf(limit):
                break
            limit = limit * 4.0 if limit < _DRAW_WHOLE_S else math.inf
        way = _way(one, two, src, dst, found, best_s)
        if way is None:  # no node between: along one street, or straight at the snap speed
            best_m = float(metres[0, 0])
            along = one.seg[0] == two.seg[0] >= 0 and best_m != straight
            a, b = ends
            line = [a, _foot(self, one), _foot(self, two), b] if along else [a, b]
            return Leg(_dedup(line, b), best_m, best_s, [])
        u, v = int(src[way[0]]), int(dst[way[1]])
        edges = self._edges(np.asarray(climb_path(self.bwd, rows[way[0]], u, v), np.int64))
        path_m = 0.0
        for e in reversed(edges):  # in the order the tables' climb adds them up
            path_m += float(self.graph.length_m[e])
        i, j = int(one.ends[0, 0] != u), int(two.ends[0, 0] != v)  # which end the way uses
        best_m = float(one.end_m[0, i] + path_m + two.end_m[0, j])
        return Leg(self._line(ends, snaps, u, edges), best_m, best_s, edges)

    def _line(
        self, ends: tuple[Point, Point], snaps: tuple[Snap, Snap], u: int, edges: list[int]
    ) -> Line:
        """The polyline of a leg between ``ends``: the first point, its foot, node ``u`` and
        ``edges`` on from it, the second point's foot, the second point."""
        g = self.graph
        line = [ends[0], _foot(self, snaps[0]), (float(g.lon[u]), float(g.lat[u]))]
        line += [(float(g.lon[g.head[e]]), float(g.lat[g.head[e]])) for e in edges]
        return _dedup([*line, _foot(self, snaps[1]), ends[1]], ends[1])


Point = tuple[float, float]
Line = list[Point]
_DRAW_SLACK_S = 120.0  # a drawn leg's first limit: twice its straight line at typical speed, +
_DRAW_WHOLE_S = 4 * 3600.0  # past this limit the next search is unbounded


def _given(
    pair: tuple[FloatArray, FloatArray],
) -> Callable[[IntArray, IntArray], tuple[FloatArray, FloatArray]]:
    """A ``through`` for :func:`~wasteopt.roads.snap.legs` that answers ``pair`` (searched
    already, on the legs' ends in sorted order)."""
    return lambda _src, _dst: pair


def _way(
    one: Snap, two: Snap, src: IntArray, dst: IntArray, secs: FloatArray, best: float
) -> tuple[int, int] | None:
    """Positions in ``src``, ``dst`` of the ends whose path gives the ``best`` leg (the first
    of :func:`~wasteopt.roads.snap.legs`' order), ``None`` when the best passes no node."""
    for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)):
        r = int(np.searchsorted(src, one.ends[0, i]))
        c = int(np.searchsorted(dst, two.ends[0, j]))
        if float(one.end_s[0, i] + secs[r, c] + two.end_s[0, j]) == best:
            return r, c
    return None


def _dedup(line: Line, b: Point) -> Line:
    """``line`` without repeated vertices (a foot on its node), at least two vertices."""
    out = [p for k, p in enumerate(line) if k == 0 or not _close(p, line[k - 1])]
    return out if len(out) > 1 else [*out, b]


def _foot(router: Router, snap: Snap) -> tuple[float, float]:
    """Longitude and latitude of the one point's foot in ``snap``."""
    lon, lat = router.unplane(snap.foot_x, snap.foot_y)
    return float(lon[0]), float(lat[0])


def _close(p: tuple[float, float], q: tuple[float, float]) -> bool:
    """Two vertices of a drawn line within about a millimetre (a foot on its node)."""
    return abs(p[0] - q[0]) < 1e-8 and abs(p[1] - q[1]) < 1e-8


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
    "segments",
    "_cache_size",
)
