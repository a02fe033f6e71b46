"""The barrier model: shortest legs around water and no-go polygons, over declared crossings.

Model
-----
Distances are *half arcs*: ``asin(|a − b|)`` of half unit vectors (3, n) (the great-circle
angle over two; × 2R is metres), the unit of :func:`wasteopt.travel_table.arc_block`.

* **Nodes**: the convex corners of every barrier (the only corners a shortest path bends
  at; corners inside another barrier are left out) and both ends of every crossing.
* **Node graph**: an edge between two nodes that see each other (the straight segment is not
  blocked, :mod:`.plane`), of their great-circle length; an edge along each crossing (bridge
  or ferry) of its polyline's length, which is how a leg gets over a barrier.
  ``D = shortest_path(graph)`` (Dijkstra, :mod:`scipy.sparse.csgraph`) once per model.
* **Sites**: ``G[s, u] = min over nodes v that s sees of (arc(s, v) + D[v, u])``, the
  shortest way from site ``s`` to node ``u`` (computed per site on demand, then kept).
* **A leg** ``a → b`` is ``arc(a, b)`` when the straight segment is clear, else
  ``min over u of (G[a, u] + G[b, u])``: a path that is not straight bends at a node.

Exactly symmetric. A site that sees no node and is blocked from another site has no path:
:meth:`BarrierModel.unreachable` finds such sites, and the scenario checks refuse them, as
they refuse a site inside a barrier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from wasteopt.barriers.plane import (
    EdgeSet,
    FloatArray,
    Projection,
    enters_wedge,
    points_in_rings,
    ring_area,
)

__all__ = ["EARTH_RADIUS_M", "BarrierModel", "LonLat", "Polygon", "half_vectors"]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius of WGS-84 (IUGG), in metres (as in :mod:`wasteopt.travel_table`)."""

LonLat = tuple[float, float]
Polygon = Sequence[Sequence[LonLat]]
"""A shell ring then its holes, each a sequence of (lon, lat); a closing point is optional."""

_CELLS = 1 << 20  # cells of a work array
_ON_LINE_M = 1e-3  # a corner this close to a segment's line lies on it
_MIN_HALF_ARC = 1e-15  # Dijkstra reads 0 as "no edge": coincident nodes get this length


def half_vectors(lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatArray:
    """Half unit vectors (3, n) of WGS-84 degrees (as :func:`wasteopt.travel_table.unit_halves`)."""
    lam = np.radians(np.asarray(lon, dtype=np.float64).ravel())
    phi = np.radians(np.asarray(lat, dtype=np.float64).ravel())
    return 0.5 * np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _half_arcs(a: FloatArray, b: FloatArray) -> FloatArray:
    """Half arcs between the columns of ``a`` and ``b`` (3, ...) pairwise (broadcasting)."""
    chord = np.sqrt(np.sum((a - b) ** 2, axis=0))
    return np.arcsin(np.minimum(chord, 1.0))


class BarrierModel:
    """Barrier polygons and crossings, prepared for leg lengths (module docstring)."""

    def __init__(
        self, polygons: Sequence[Polygon], crossings: Sequence[Sequence[LonLat]] = ()
    ) -> None:
        rings = [[_open_ring(r) for r in poly] for poly in polygons]
        every = [p for poly in rings for r in poly for p in r] + [p for c in crossings for p in c]
        if not every:
            raise ValueError("a barrier model needs at least one polygon")
        lon0 = float(np.mean([p[0] for p in every]))
        lat0 = float(np.mean([p[1] for p in every]))
        self.projection = Projection(lon0, lat0, EARTH_RADIUS_M)
        self._corners(rings)
        self.crossings = [tuple(c) for c in crossings]
        self._nodes()
        self._graph()

    # -- construction ------------------------------------------------------------------------

    def _corners(self, rings: list[list[list[LonLat]]]) -> None:
        """Every corner with its neighbours along rings oriented interior-left, the edges."""
        cols: dict[str, list[FloatArray]] = {k: [] for k in ("x", "y", "nx", "ny", "px", "py")}
        lonlat: list[FloatArray] = []
        owner: list[npt.NDArray[np.intp]] = []
        self.polygon_edges: list[EdgeSet] = []
        for k, poly in enumerate(rings):
            ax: list[FloatArray] = []
            ay: list[FloatArray] = []
            for j, ring in enumerate(poly):
                pts = np.asarray(ring, dtype=np.float64)
                x, y = self.projection.forward(pts[:, 0], pts[:, 1])
                if (ring_area(x, y) > 0) != (j == 0):  # shell counter-clockwise, holes not
                    x, y, pts = x[::-1], y[::-1], pts[::-1]
                for key, arr in (
                    ("x", x),
                    ("y", y),
                    ("nx", np.roll(x, -1)),
                    ("ny", np.roll(y, -1)),
                    ("px", np.roll(x, 1)),
                    ("py", np.roll(y, 1)),
                ):
                    cols[key].append(arr)
                lonlat.append(pts)
                owner.append(np.full(x.size, k, dtype=np.intp))
                ax.append(x)
                ay.append(y)
            x_all, y_all = np.concatenate(ax), np.concatenate(ay)
            nxt = (
                np.concatenate([np.roll(a, -1) for a in ax]),
                np.concatenate([np.roll(a, -1) for a in ay]),
            )
            self.polygon_edges.append(EdgeSet(x_all, y_all, *nxt))
        # Corner k at (cx, cy), its next corner (cnx, cny) and previous one (cpx, cpy).
        self.cx, self.cy, self.cnx, self.cny, self.cpx, self.cpy = (
            np.concatenate(cols[key]) for key in ("x", "y", "nx", "ny", "px", "py")
        )
        self.corner_lonlat = np.concatenate(lonlat)
        self.corner_owner = np.concatenate(owner)
        self.edges = EdgeSet(self.cx, self.cy, self.cnx, self.cny)

    def _nodes(self) -> None:
        """Convex corners outside every other barrier, then both ends of each crossing."""
        convex = (self.cx - self.cpx) * (self.cny - self.cy) - (self.cy - self.cpy) * (
            self.cnx - self.cx
        ) > 0
        for k, edges in enumerate(self.polygon_edges):
            other = self.corner_owner != k
            convex[other] &= ~points_in_rings(self.cx[other], self.cy[other], edges)
        corner = np.flatnonzero(convex)
        ends = [p for c in self.crossings for p in (c[0], c[-1])]
        end_ll = np.asarray(ends, dtype=np.float64).reshape(-1, 2)
        lon = np.concatenate([self.corner_lonlat[corner, 0], end_ll[:, 0]])
        lat = np.concatenate([self.corner_lonlat[corner, 1], end_ll[:, 1]])
        self.node_corner = np.concatenate([corner, np.full(len(ends), -1)]).astype(np.intp)
        self.node_lonlat = np.stack([lon, lat], axis=1)
        self.node_x, self.node_y = self.projection.forward(lon, lat)
        self.node_half = half_vectors(lon, lat)

    def _graph(self) -> None:
        """All-pairs shortest half arcs ``D`` between nodes, and the predecessors."""
        v = self.node_x.size
        w = np.full((v, v), np.inf)
        i, j = np.triu_indices(v, k=1)
        for c0 in range(0, i.size, _CELLS // 64):
            a, b = i[c0 : c0 + _CELLS // 64], j[c0 : c0 + _CELLS // 64]
            clear = ~self._node_pair_blocked(a, b)
            arc = np.maximum(_half_arcs(self.node_half[:, a], self.node_half[:, b]), _MIN_HALF_ARC)
            w[a[clear], b[clear]] = arc[clear]
        corners = int(np.count_nonzero(self.node_corner >= 0))
        self.crossing_length = np.zeros(len(self.crossings))
        for k, line in enumerate(self.crossings):
            h = half_vectors([p[0] for p in line], [p[1] for p in line])
            length = max(float(_half_arcs(h[:, :-1], h[:, 1:]).sum()), _MIN_HALF_ARC)
            self.crossing_length[k] = length
            e = corners + 2 * k  # the crossing's two ends are nodes e and e + 1
            w[e, e + 1] = min(w[e, e + 1], length)
        w = np.minimum(w, w.T)
        # lazy: scipy.sparse.csgraph takes ~0.2 s to import, and every command loads the
        # scenario package, which uses this module; only scenarios with barriers need it.
        from scipy.sparse.csgraph import shortest_path

        if v:
            dist, pred = shortest_path(w, method="D", directed=False, return_predecessors=True)
        else:
            dist, pred = np.zeros((0, 0)), np.zeros((0, 0), dtype=np.int32)
        self.weights = w
        self.D = np.asarray(dist, dtype=np.float64)
        self.pred = np.asarray(pred, dtype=np.intp)

    def _node_pair_blocked(
        self, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.bool_]:
        """Node pairs ``a[k] – b[k]``: corners left inwards, crossings, corners passed inwards
        (cheapest first: the wedge test alone blocks most chords of a lake)."""
        ax, ay, bx, by = self.node_x[a], self.node_y[a], self.node_x[b], self.node_y[b]
        dx, dy = bx - ax, by - ay
        blocked = self._leaves_inwards(self.node_corner[a], dx, dy)
        blocked |= self._leaves_inwards(self.node_corner[b], -dx, -dy)
        k = np.flatnonzero(~blocked)
        blocked[k] = self.edges.crossed(ax[k], ay[k], bx[k], by[k])
        k = k[~blocked[k]]
        # A corner lying on the open segment (collinear outlines, hand-drawn squares).
        length = np.hypot(dx, dy)
        step = max(1, _CELLS // max(1, self.cx.size))
        for c0 in range(0, k.size, step):
            s = k[c0 : c0 + step]
            rx = self.cx[None, :] - ax[s, None]
            ry = self.cy[None, :] - ay[s, None]
            off = np.abs(dx[s, None] * ry - dy[s, None] * rx) / np.maximum(length[s, None], 1e-12)
            along = dx[s, None] * rx + dy[s, None] * ry
            on = (off <= _ON_LINE_M) & (along > _ON_LINE_M * length[s, None])
            on &= along < length[s, None] ** 2 - _ON_LINE_M * length[s, None]
            rows, corner = np.nonzero(on)
            if rows.size:
                fx, fy = dx[s][rows], dy[s][rows]
                inward = self._leaves_inwards(corner, fx, fy)
                inward |= self._leaves_inwards(corner, -fx, -fy)
                blocked[s[rows[inward]]] = True
        return blocked

    def _leaves_inwards(
        self, corner: npt.NDArray[np.intp], dx: FloatArray, dy: FloatArray
    ) -> npt.NDArray[np.bool_]:
        """Does direction ``d`` leave ``corner`` (−1: not a corner) into its barrier?"""
        out = np.zeros(corner.shape, dtype=bool)
        k = np.flatnonzero(corner >= 0)
        if k.size:
            c = corner[k]
            out[k] = enters_wedge(
                self.cx[c],
                self.cy[c],
                self.cnx[c],
                self.cny[c],
                self.cpx[c],
                self.cpy[c],
                dx[k],
                dy[k],
            )
        return out

    # -- sites -------------------------------------------------------------------------------

    @property
    def node_count(self) -> int:
        return int(self.node_x.size)

    def plane(self, half: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Plane (x, y) of sites given as half unit vectors (3, n)."""
        lon = np.degrees(np.arctan2(half[1], half[0]))
        lat = np.degrees(np.arctan2(half[2], np.hypot(half[0], half[1])))
        return self.projection.forward(lon, lat)

    def hubs(self, half: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
        """``G`` (n, nodes): shortest half arcs from each site to each node (inf: none)."""
        n, v = x.size, self.node_count
        out = np.full((n, v), np.inf)
        if not v:
            return out
        step = max(1, _CELLS // v)
        for r0 in range(0, n, step):
            s = slice(r0, r0 + step)
            m = x[s].size
            sx = np.repeat(x[s], v)
            sy = np.repeat(y[s], v)
            tx, ty = np.tile(self.node_x, m), np.tile(self.node_y, m)
            blocked = self.edges.crossed(sx, sy, tx, ty)
            blocked |= self._leaves_inwards(np.tile(self.node_corner, m), sx - tx, sy - ty)
            arc = _half_arcs(half[:, s, None], self.node_half[:, None, :])
            arc[blocked.reshape(m, v)] = np.inf
            # G[s, u] = min over v of arc[s, v] + D[v, u], node by node (v is small).
            g = out[s]
            for k in np.flatnonzero(np.isfinite(arc).any(axis=0)).tolist():  # nodes seen
                np.minimum(g, arc[:, k, None] + self.D[None, k, :], out=g)
        return out

    def blocked(
        self, xr: FloatArray, yr: FloatArray, xc: FloatArray, yc: FloatArray
    ) -> npt.NDArray[np.bool_]:
        """(rows, cols): is the straight leg from each row site to each column site blocked?"""
        r, c = xr.size, xc.size
        px, py = np.repeat(xr, c), np.repeat(yr, c)
        qx, qy = np.tile(xc, r), np.tile(yc, r)
        return self.edges.crossed(px, py, qx, qy).reshape(r, c)

    def around(self, hub_rows: FloatArray, hub_cols: FloatArray) -> FloatArray:
        """``min over u of hub_rows[k, u] + hub_cols[k, u]`` for each pair ``k`` (the legs that
        bend at a node); inf where there is no path."""
        out = np.empty(hub_rows.shape[0])
        if not self.node_count:
            out.fill(np.inf)
            return out
        step = max(1, _CELLS // self.node_count)
        for r0 in range(0, out.size, step):
            s = slice(r0, r0 + step)
            out[s] = (hub_rows[s] + hub_cols[s]).min(axis=1)
        return out

    def inside(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """For each point, the index of a barrier polygon it lies inside, else −1."""
        x, y = self.projection.forward(np.ravel(lon), np.ravel(lat))
        out = np.full(x.size, -1, dtype=np.intp)
        for k, edges in enumerate(self.polygon_edges):
            out[(out < 0) & points_in_rings(x, y, edges)] = k
        return out

    def unreachable(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Positions of sites cut off from the others: sites that reach the node graph must
        reach the same nodes, and a site reaching no node must see every other site."""
        half = half_vectors(lon, lat)
        x, y = self.plane(half)
        if not x.size:
            return np.zeros(0, dtype=np.intp)
        reach = np.isfinite(self.hubs(half, x, y))
        linked = reach.any(axis=1)
        bad = np.zeros(x.size, dtype=bool)
        if linked.any():
            patterns, counts = np.unique(reach[linked], axis=0, return_counts=True)
            main = patterns[int(np.argmax(counts))]
            bad[linked] = np.any(reach[linked] != main, axis=1)
        for k in np.flatnonzero(~linked):
            bad[k] = bool(self.blocked(x[k : k + 1], y[k : k + 1], x, y).any())
        return np.flatnonzero(bad)

    # -- paths -------------------------------------------------------------------------------

    def path(self, a: LonLat, b: LonLat) -> list[LonLat]:
        """The polyline (lon, lat) of the shortest leg ``a → b``: ``[a, b]`` when clear, else
        through the nodes it bends at, crossings drawn along their lines."""
        half = half_vectors([a[0], b[0]], [a[1], b[1]])
        x, y = self.plane(half)
        if not self.blocked(x[:1], y[:1], x[1:], y[1:])[0, 0]:
            return [a, b]
        g = self.hubs(half, x, y)
        total = g[0] + g[1]
        u = int(np.argmin(total))
        if not math.isfinite(float(total[u])):
            raise ValueError(f"no path from {a} to {b} around the barriers")
        first = self._entry(half[:, 0], x[0], y[0], u)
        last = self._entry(half[:, 1], x[1], y[1], u)
        nodes = self._node_path(first, u) + self._node_path(u, last)[1:]
        out: list[LonLat] = [a]
        for k, node in enumerate(nodes):
            if k and (line := self._crossing_between(nodes[k - 1], node)) is not None:
                out.extend(line[1:-1])
            out.append((float(self.node_lonlat[node, 0]), float(self.node_lonlat[node, 1])))
        out.append(b)
        return out

    def _entry(self, half: FloatArray, x: float, y: float, u: int) -> int:
        """The node a site sees first on its shortest way to node ``u``."""
        v = self.node_count
        sx, sy = np.full(v, x), np.full(v, y)
        blocked = self.edges.crossed(sx, sy, self.node_x, self.node_y)
        blocked |= self._leaves_inwards(self.node_corner, sx - self.node_x, sy - self.node_y)
        arc = _half_arcs(half[:, None], self.node_half)
        arc[blocked] = np.inf
        return int(np.argmin(arc + self.D[:, u]))

    def _node_path(self, a: int, b: int) -> list[int]:
        out = [b]
        while out[-1] != a:
            out.append(int(self.pred[a, out[-1]]))
        return out[::-1]

    def _crossing_between(self, a: int, b: int) -> list[LonLat] | None:
        """The crossing's line from node ``a`` to node ``b`` when that edge is a crossing."""
        corners = int(np.count_nonzero(self.node_corner >= 0))
        k, e = divmod(min(a, b) - corners, 2)
        if min(a, b) < corners or e != 0 or max(a, b) != min(a, b) + 1:
            return None
        if self.weights[a, b] != max(self.crossing_length[k], _MIN_HALF_ARC):
            return None
        line = list(self.crossings[k])
        return line if a < b else line[::-1]


def _open_ring(ring: Sequence[LonLat]) -> list[LonLat]:
    """The ring without its closing point."""
    pts = [(float(p[0]), float(p[1])) for p in ring]
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts.pop()
    if len(pts) < 3:
        raise ValueError("a barrier ring needs at least 3 distinct corners")
    return pts
