"""Where a point joins the roads: the nearest point of a road it may use, and both ways along it.

Model
-----
A point joins the roads of a profile at the nearest point (its *foot*) of a two-way road
segment the profile may use (both directions usable, both ends in the part of the graph where
every node reaches every other), or at the nearest such node when that is no farther (one-way
roads, dead ends). A leg leaves its point by the straight leg to the foot (a yard or an
unmapped alley, at the snap speed) and along the segment to *either* end (at the segment's
seconds for the profile, the slower direction, so a join costs the same both ways), and
arrives likewise; :func:`legs` takes the fastest of the four ways through the ends, of
driving along the segment when both points are on it, and of the straight line at the snap
speed when they share an end. So the searches stay node to node (from the points' ends, as
routing engines search from a snapped point's "phantom" node on its edge, OSRM and Valhalla
among them), and

* ``off_m``: the straight leg from the point to its foot;
* ``end_m``, ``end_s``: to each end, that leg plus the piece of road (metres, seconds).

Why the foot and not the nearest node: on a network whose nodes are only its crossings (a
street grid, a long OSM way) the nearest node is up to half a block away along a diagonal,
driven at the snap speed. The 3,000-point Nanjing-like city on the synthetic 300 m grid
(``benchmarks/grid_roads.py``) has its points 115 m from the nearest crossing on average (41 s
at 10 km/h, each way) and 50 m from the nearest street; its day-0 kitchen waste (2,595 stops,
60 s, seed 1) needed 486 vehicle-hours with 84 stops unserved when joined at nodes, 434 with
none joined at the foot by either end (469 and 80 by the nearer end only).

Search: segments are cut into pieces of at most :data:`PIECE_M` for a k-d tree of the pieces'
midpoints; each point's foot is the nearest of the segments of its :data:`NEAREST_PIECES`
nearest pieces, and never farther than its nearest node.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from wasteopt.roads.graph import FloatArray, IntArray

__all__ = [
    "NEAREST_PIECES",
    "PIECE_M",
    "Segments",
    "Snap",
    "direct",
    "join",
    "legs",
    "offer_direct",
    "two_way_segments",
]

PIECE_M = 100.0
"""Longest piece of a segment in the index (a long segment's midpoint says little)."""
NEAREST_PIECES = 8
"""Pieces whose segments are measured exactly for each point."""


class Snap(NamedTuple):
    """How each of a set of points joins the roads (module docstring): per point its two ends
    (``ends[:, 0]`` and ``ends[:, 1]``, equal when it joins at a node) and the metres and
    seconds from the point to each (straight leg plus road piece), the straight leg alone
    (``off_m``), its segment (-1 at a node), the fraction along it from end 0, and its foot."""

    ends: IntArray
    end_m: FloatArray
    end_s: FloatArray
    off_m: FloatArray
    seg: IntArray
    t: FloatArray
    foot_x: FloatArray
    foot_y: FloatArray

    @property
    def near(self) -> IntArray:
        """Which end (0 or 1) each point reaches sooner."""
        return (self.end_s[:, 1] < self.end_s[:, 0]).astype(np.int64)

    @property
    def nodes(self) -> IntArray:
        """Each point's nearer end."""
        return self.ends[np.arange(self.seg.size), self.near]

    @property
    def metres(self) -> FloatArray:
        """Metres to the nearer end."""
        return self.end_m[np.arange(self.seg.size), self.near]

    @property
    def seconds(self) -> FloatArray:
        """Seconds to the nearer end."""
        return self.end_s[np.arange(self.seg.size), self.near]

    def take(self, idx: npt.NDArray[np.intp]) -> Snap:
        """The joins of points ``idx`` (repeats allowed), in that order."""
        return Snap(
            self.ends[idx],
            self.end_m[idx],
            self.end_s[idx],
            self.off_m[idx],
            self.seg[idx],
            self.t[idx],
            self.foot_x[idx],
            self.foot_y[idx],
        )


class Segments:
    """The two-way segments points may join (plane metres), with a k-d tree of their pieces,
    and each segment's seconds for one profile.

    ``ends``: (m, 2) node ids; ``ex``, ``ey``: (m, 2) plane metres of the ends; ``length``: its
    metres; ``secs``: its seconds for the profile (slower direction). The geometry is shared by
    every profile with the same usable roads (:func:`two_way_segments`): profiles that differ
    only by speed pay for one index."""

    def __init__(self, geometry: _Geometry, secs: FloatArray) -> None:
        self.ends, self.ex, self.ey = geometry.ends, geometry.ex, geometry.ey
        self.length, self.piece_seg, self.tree = geometry.length, geometry.piece_seg, geometry.tree
        self.secs = secs

    def nearest(
        self, px: FloatArray, py: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Each point's nearest segment among those of its nearest pieces: segment index,
        fraction along it from end 0, distance, and the foot's plane metres."""
        assert self.tree is not None
        k = min(NEAREST_PIECES, self.piece_seg.size)
        _, pos = self.tree.query(np.column_stack([px, py]), k=k)
        seg = self.piece_seg[np.asarray(pos, dtype=np.int64).reshape(px.size, k)]
        x0, y0 = self.ex[seg, 0], self.ey[seg, 0]
        dx, dy = self.ex[seg, 1] - x0, self.ey[seg, 1] - y0
        den = np.maximum(dx * dx + dy * dy, 1e-12)
        t = np.clip(((px[:, None] - x0) * dx + (py[:, None] - y0) * dy) / den, 0.0, 1.0)
        fx, fy = x0 + t * dx, y0 + t * dy
        dist = np.hypot(px[:, None] - fx, py[:, None] - fy)
        best = np.argmin(dist, axis=1)
        row = np.arange(px.size)
        return seg[row, best], t[row, best], dist[row, best], fx[row, best], fy[row, best]


class _Geometry:
    """What :class:`Segments` of one set of usable roads share (no seconds)."""

    def __init__(
        self, ends: IntArray, xy: tuple[FloatArray, FloatArray], length: FloatArray
    ) -> None:
        x, y = xy
        self.ends, self.length = ends, length
        self.ex, self.ey = x[ends], y[ends]
        dx, dy = self.ex[:, 1] - self.ex[:, 0], self.ey[:, 1] - self.ey[:, 0]
        pieces = np.maximum(1, np.ceil(np.hypot(dx, dy) / PIECE_M)).astype(np.int64)
        self.piece_seg = np.repeat(np.arange(ends.shape[0], dtype=np.int32), pieces)
        first = np.cumsum(pieces) - pieces
        k = np.arange(self.piece_seg.size) - np.repeat(first, pieces)
        s = self.piece_seg
        frac = (k + 0.5) / pieces[s]
        mid = np.column_stack([self.ex[s, 0] + frac * dx[s], self.ey[s, 0] + frac * dy[s]])
        self.tree = cKDTree(mid) if s.size else None


_SHARED: OrderedDict[bytes, _Geometry] = OrderedDict()
_SHARED_KEPT = 4  # geometries a process keeps (one per set of usable roads in use)


def two_way_segments(
    n: int,
    tail: IntArray,
    head: IntArray,
    secs: FloatArray,
    length: FloatArray,
    allowed: npt.NDArray[np.bool_],
    xy: tuple[FloatArray, FloatArray],
) -> Segments | None:
    """The segments driven both ways among edges ``tail → head`` (one per pair of nodes, the
    fastest when parallel, with its ``secs`` and ``length``; ``allowed``: nodes a point may
    join); ``None`` when there are none. The geometry is shared by calls with the same edges
    and nodes (a process keeps :data:`_SHARED_KEPT`)."""
    keys = tail * n + head
    order = np.argsort(keys)
    skeys = keys[order]
    back = head * n + tail
    at = np.clip(np.searchsorted(skeys, back), 0, max(0, skeys.size - 1))
    both = (skeys.size > 0) & (skeys[at] == back) & (tail < head) & allowed[tail] & allowed[head]
    pick = np.flatnonzero(both)
    if not pick.size:
        return None
    rev = order[at[pick]]
    digest = hashlib.sha1(usedforsecurity=False)
    for arr in (np.array([n]), tail[pick], head[pick], length[pick], xy[0], xy[1]):
        digest.update(np.ascontiguousarray(arr).data)
    key = digest.digest()
    geometry = _SHARED.get(key)
    if geometry is None:
        ends = np.column_stack([tail[pick], head[pick]])
        geometry = _SHARED[key] = _Geometry(ends, xy, length[pick])
        while len(_SHARED) > _SHARED_KEPT:
            _SHARED.popitem(last=False)
    _SHARED.move_to_end(key)
    return Segments(geometry, np.maximum(secs[pick], secs[rev]))


def join(
    px: FloatArray,
    py: FloatArray,
    node: tuple[npt.NDArray[np.int64], FloatArray],
    segments: Segments | None,
    snap_kmh: float,
    node_xy: tuple[FloatArray, FloatArray],
) -> Snap:
    """The joins of points ``px, py`` (plane metres) given each one's nearest usable node and
    its distance (``node``; ``node_xy``: every node's plane metres; module docstring)."""
    nodes, node_m = node
    n = px.size
    ends = np.column_stack([nodes, nodes]).astype(np.int64)
    off = node_m.astype(np.float64, copy=True)
    along_m, along_s = np.zeros((n, 2)), np.zeros((n, 2))
    seg, t = np.full(n, -1, dtype=np.int64), np.zeros(n)
    fx, fy = node_xy[0][nodes], node_xy[1][nodes]
    if segments is not None and n:
        near, frac, dist, sx, sy = segments.nearest(px, py)
        on = dist < node_m  # the street is nearer than any node: join at its foot
        seg[on], t[on], off[on] = near[on], frac[on], dist[on]
        ends[on] = segments.ends[near[on]]
        share = np.column_stack([frac[on], 1.0 - frac[on]])  # of the segment, to end 0 and 1
        along_m[on] = share * segments.length[near[on], None]
        along_s[on] = share * segments.secs[near[on], None]
        fx[on], fy[on] = sx[on], sy[on]
    off_s = off * 3.6 / snap_kmh
    return Snap(ends, off[:, None] + along_m, off_s[:, None] + along_s, off, seg, t, fx, fy)


def legs(
    a: Snap,
    b: Snap,
    through: Callable[[IntArray, IntArray], tuple[FloatArray, FloatArray]],
    snap_kmh: float,
    straight_m: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Seconds and metres (len(a), len(b)) of the fastest legs from points ``a`` to points
    ``b`` (``straight_m``: their straight distances): each point leaves by either end and
    arrives by either end, ``through(sources, targets)`` giving the seconds and metres between
    ends (the fastest path's); two points on one segment may also drive along it, and two
    points sharing an end may go straight at the snap speed. Metres are those of the fastest
    way. (Metres and seconds unrounded.)"""
    src, dst = np.unique(a.ends), np.unique(b.ends)
    secs, metres = through(src, dst)
    ra, cb = np.searchsorted(src, a.ends), np.searchsorted(dst, b.ends)
    best_s = np.full((a.seg.size, b.seg.size), np.inf)
    best_m = np.full_like(best_s, np.inf)

    def offer(s: FloatArray, m: FloatArray) -> None:
        better = s < best_s
        best_s[better], best_m[better] = s[better], m[better]

    for i in (0, 1):
        for j in (0, 1):
            rows, cols = ra[:, i][:, None], cb[:, j][None, :]
            offer(
                a.end_s[:, i, None] + secs[rows, cols] + b.end_s[None, :, j],
                a.end_m[:, i, None] + metres[rows, cols] + b.end_m[None, :, j],
            )
    offer_direct(a, b, straight_m, snap_kmh, best_s, best_m)
    return best_s, best_m


def offer_direct(
    a: Snap,
    b: Snap,
    straight_m: FloatArray,
    snap_kmh: float,
    best_s: FloatArray,
    best_m: FloatArray,
) -> None:
    """Lower ``best_s`` (and ``best_m`` with it), the legs from points ``a`` to points ``b``
    through nodes, to the ways that pass no node (:func:`direct`) where those are faster: two
    points on one segment, or sharing an end."""
    same = (a.seg[:, None] == b.seg[None, :]) & (a.seg[:, None] >= 0)
    close = (a.ends[:, :, None, None] == b.ends[None, None, :, :]).any(axis=(1, 3))
    ii, jj = np.nonzero(same | close)
    if ii.size:
        s, m = direct(a.take(ii), b.take(jj), straight_m[ii, jj], snap_kmh)
        better = s < best_s[ii, jj]
        best_s[ii[better], jj[better]] = s[better]
        best_m[ii[better], jj[better]] = m[better]


def direct(
    a: Snap, b: Snap, straight_m: FloatArray, snap_kmh: float
) -> tuple[FloatArray, FloatArray]:
    """Seconds and metres of the ways from each point of ``a`` to the same row's point of
    ``b`` that pass no node (infinite where there is none): along the one segment both are on
    (both straight legs and the piece between their feet), or straight at the snap speed when
    they share an end; metres are those of the faster."""
    best_s, best_m = np.full(a.seg.size, np.inf), np.full(a.seg.size, np.inf)
    on = (a.seg == b.seg) & (a.seg >= 0)
    span = np.abs(a.t - b.t)[on]
    piece_m = (a.end_m[on, 1] + a.end_m[on, 0] - 2 * a.off_m[on]) * span
    piece_s = (a.end_s[on, 1] + a.end_s[on, 0] - 2 * a.off_m[on] * 3.6 / snap_kmh) * span
    best_s[on] = (a.off_m[on] + b.off_m[on]) * 3.6 / snap_kmh + piece_s
    best_m[on] = a.off_m[on] + b.off_m[on] + piece_m
    close = (a.ends[:, :, None] == b.ends[:, None, :]).any(axis=(1, 2))
    go = close & (straight_m * 3.6 / snap_kmh < best_s)
    best_s[go], best_m[go] = straight_m[go] * 3.6 / snap_kmh, straight_m[go]
    return best_s, best_m
