"""Travel tables on a road network: fastest paths of one vehicle profile, computed per block.

Model and why: :class:`RoadTable` (a :class:`~wasteopt.travel_table.formula.TravelTable` whose
entries come from :mod:`wasteopt.roads` instead of a formula); :class:`RoadNetwork` keeps one
router per vehicle profile.

Tables travel to worker processes (a territory's tables are computed where it is searched):
a pickled network is its content key (:attr:`RoadNetwork.token`) and its graph pickled once,
and a process keeps the networks it has met by key, so a worker builds a profile's router
once for all its tasks, and a forked worker finds its parent's network, routers included,
without unpickling the graph. Tables that share their blocks (a profile's seconds and metres,
one search for both) still share them after :func:`take_tables` and after pickling.

A block's locations far out from the rest (a territory's depot across the city:
:func:`_far_out`) are searched in parts of their own, from them or towards them: a search's
box and bound follow the spread of its block (:mod:`wasteopt.roads.local`), and one far
column in a territory's block would widen every row's search to its distance.
"""

from __future__ import annotations

import hashlib
import pickle
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from wasteopt.errors import InputError, Problem
from wasteopt.roads import Profile, RoadGraph, Router
from wasteopt.roads.graph import FloatArray
from wasteopt.roads.snap import Snap
from wasteopt.travel_table.formula import TravelTable, unit_halves

__all__ = ["RoadNetwork", "RoadTable", "take_tables"]

KEPT_NETWORKS = 2
"""Networks a process keeps by key after unpickling them (a worker's cache; module docstring)."""
_LIVE: weakref.WeakValueDictionary[str, RoadNetwork] = weakref.WeakValueDictionary()
_KEPT: OrderedDict[str, RoadNetwork] = OrderedDict()


class RoadNetwork:
    """A road graph and its routers, one per vehicle profile (built when first asked)."""

    def __init__(
        self, graph: RoadGraph, snap_speed_kmh: float, *, token: str | None = None
    ) -> None:
        self.graph = graph
        self.snap_speed_kmh = float(snap_speed_kmh)
        self._routers: dict[tuple[object, ...], Router] = {}
        self.token = token or _token(graph, self.snap_speed_kmh)
        """Content key: equal networks have equal tokens in every process."""
        self._blob: bytes | None = None  # the graph pickled once, for every task it goes to
        _LIVE.setdefault(self.token, self)

    def router(self, profile: Profile) -> Router:
        """The router of ``profile`` (shared by every table of the same profile)."""
        key = profile.key
        router = self._routers.get(key)
        if router is None:
            router = Router(self.graph, profile, snap_speed_kmh=self.snap_speed_kmh)
            self._routers[key] = router
        return router

    def __reduce__(self) -> tuple[Any, ...]:
        # Routers are rebuilt where they are used (a worker builds only the ones it needs),
        # once per process: _network_for finds a network it already has by its token.
        if self._blob is None:
            self._blob = pickle.dumps(self.graph, protocol=pickle.HIGHEST_PROTOCOL)
        return _network_for, (self.token, self.snap_speed_kmh, self._blob)


def _token(graph: RoadGraph, snap_speed_kmh: float) -> str:
    """A content key of ``graph`` and the snap speed (sha-256 of every field)."""
    h = hashlib.sha256(repr(snap_speed_kmh).encode())
    for name in ("lon", "lat", "tail", "head", "length_m", "speed_kmh", "max_weight_t", "road"):
        arr = np.ascontiguousarray(getattr(graph, name))
        h.update(f"{name}:{arr.dtype.str}:{arr.shape}".encode())
        h.update(arr.data)
    for name in ("road_class", "road_ids"):
        h.update(f"{name}:".encode() + "\0".join(getattr(graph, name)).encode("utf-8"))
    for ban in graph.bans:  # sorted classes: a frozenset's order differs between processes
        what = (ban.id, ban.start_s, ban.end_s, sorted(ban.vehicle_classes), ban.edges)
        h.update(repr(what).encode("utf-8"))
    return h.hexdigest()[:32]


def _network_for(token: str, snap_speed_kmh: float, blob: bytes) -> RoadNetwork:
    """The network of ``token``: one this process has (its routers built), else unpickled
    from ``blob`` and kept (at most ``KEPT_NETWORKS``, the latest)."""
    net = _LIVE.get(token) or _KEPT.get(token)
    if net is None:
        net = RoadNetwork(pickle.loads(blob), snap_speed_kmh, token=token)
        net._blob = blob
    _KEPT[token] = net
    _KEPT.move_to_end(token)
    while len(_KEPT) > KEPT_NETWORKS:
        _KEPT.popitem(last=False)
    return net


class _Twin(dict[tuple[bool, bytes, bytes], "npt.NDArray[np.int32]"]):
    """Blocks one table computed for its twin; pickled empty (a worker computes its own), and
    once per pickle, so two twins sent together still share one."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _Twin, ()


Table = TypeVar("Table", bound="npt.NDArray[Any] | TravelTable")


def take_tables(
    tables: Sequence[Table],
    positions: Sequence[int] | npt.NDArray[np.integer[Any]],
    *,
    kept: Sequence[str] = (),
) -> tuple[Table, ...]:
    """Each table cut to ``positions`` (a lazy table's :meth:`~TravelTable.take`, nothing
    computed; an array's block); road tables that shared their blocks still share them, and
    keep the blocks of ``kept`` keys they keep (:meth:`RoadTable.take`)."""
    idx = np.asarray(positions, dtype=np.intp)
    shared: dict[int, _Twin] = {}
    out: list[Any] = []
    for t in tables:
        if isinstance(t, RoadTable):
            out.append(t.take(idx, twins=shared, kept=kept))
        elif isinstance(t, TravelTable):
            out.append(t.take(idx))
        else:
            out.append(np.ascontiguousarray(np.asarray(t)[np.ix_(idx, idx)]))
    return tuple(out)


class RoadTable(TravelTable):
    """Metres (``seconds=False``) or seconds between sites on a road network; ``profile``
    ``None``: every road at its own speed.

    Model: a :class:`RoadTable` is a :class:`TravelTable` whose entries come from fastest
    paths on a road graph (:mod:`wasteopt.roads.router`): entry ``(i, j)`` is the fastest
    leg (:func:`wasteopt.roads.snap.legs`) from site ``i``'s join to the roads, by either end
    of its street, to site ``j``'s (0 on the diagonal), in metres rounded half to even or in
    seconds rounded up. Nothing is stored whole: a block runs Dijkstra from the distinct end
    nodes of its sources only, or from the sources themselves where they are fewer
    (:meth:`~wasteopt.roads.Router.point_legs`; a territory's sites; a point and its unload
    sites), never for the whole city. Blocks computed elsewhere (a territory's, by the worker
    that searched it) are kept (:meth:`keep`) and read by :meth:`pair` and :meth:`block`.

    Profiles: a table follows the fastest paths of one profile, over the roads it may use, at
    ``min(road speed, vehicle speed)``; ``profile`` ``None``: every road at its own speed (one-way
    streets respected). The scenario's *distance* table is that unrestricted one: the facility
    plan, nearest sites and anything not tied to one vehicle read it. Each vehicle profile has
    its own tables, :meth:`RoadTable.for_profile`: its seconds (every time window and shift
    limit is checked on them) and its metres along the *same* paths (``seconds=False``), so the
    km (cost per km, CO2) of a vehicle that detours round a road it may not use, or takes
    another way being slower than the roads, are those of its own path. The two tables of one
    profile share each search: a block one computes is kept for the other (at most
    ``TWIN_BLOCKS`` blocks, ``TWIN_CELLS`` cells), so reading both costs one.
    """

    TWIN_BLOCKS, TWIN_CELLS = 512, 1 << 22  # what a table keeps for its twin: 16 MB at most
    # _compute bounds its own arrays (CHUNK_CELLS at a time, cut along the side that is not
    # searched from): one block is one pass, so each root (an unload site of points → sites)
    # is searched once, not once per chunk.
    ROW_AHEAD = 2048  # pair() on a table this small searches and keeps the whole row
    LINE_MISSES = 3  # pair() misses of one row (column) after which it searches all of it
    BLOCK_CELLS = 1 << 62
    CHUNK_CELLS = 1 << 21  # entries _compute searches at once; below TWIN_CELLS, so a chunk's
    # other kind waits for its twin

    def __init__(
        self,
        network: RoadNetwork,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        *,
        profile: Profile | None = None,
        seconds: bool = False,
        twin: _Twin | None = None,
    ) -> None:
        self.lon = np.asarray(lon, dtype=np.float64).ravel()
        self.lat = np.asarray(lat, dtype=np.float64).ravel()
        super().__init__(unit_halves(self.lon, self.lat), metric="arc", scale=1.0)
        self.network = network
        self.profile = profile or Profile()
        self.seconds = seconds
        self._snapped: Snap | None = None
        self._twin = twin  # blocks computed for the twin table (other kind, same profile)
        self._twins: dict[tuple[object, ...], _Twin] = {}  # for_profile: shared
        # blocks computed elsewhere (keep): by key, and the keys holding each position
        self._known: dict[str, tuple[dict[int, int], dict[int, int], npt.NDArray[np.int32]]] = {}
        self._where: dict[int, list[str]] = {}
        self._rows_kept: dict[int, npt.NDArray[np.int32]] = {}  # lines_ahead: whole rows
        self._cols_kept: dict[int, npt.NDArray[np.int32]] = {}  # and whole columns
        self._missed: dict[int, int] = {}  # pair() misses by row i, and by column j as ~j

    @property
    def router(self) -> Router:
        """The router of this table's profile."""
        return self.network.router(self.profile)

    def snapped(self) -> Snap:
        """How each position joins the roads under this table's profile."""
        if self._snapped is None:
            try:
                self._snapped = self.router.snap(self.lon, self.lat)
            except ValueError:
                p = self.profile
                who = f"a {p.vehicle_class} of {p.gross_t:g} t" if p.vehicle_class else "any"
                raise InputError(
                    [
                        Problem(
                            file="scenario.toml",
                            where="[network]",
                            field="roads",
                            message=f"no road of the network is open to {who}",
                            expected="roads of a class that vehicle may drive, within its weight",
                        )
                    ]
                ) from None
        return self._snapped

    def travel_time(self, speed_kmh: float) -> TravelTable:
        """Seconds over every road at ``min(road speed, speed_kmh)``."""
        if not (np.isfinite(speed_kmh) and speed_kmh > 0):
            raise ValueError(f"speed_kmh must be a positive number, got {speed_kmh!r}")
        return self.for_profile(Profile(speed_kmh=float(speed_kmh)))

    def for_profile(self, profile: Profile, *, seconds: bool = True) -> RoadTable:
        """Seconds (``seconds=False``: metres) along the fastest paths of ``profile``."""
        twin = self._twins.setdefault(profile.key, _Twin())
        return RoadTable(
            self.network, self.lon, self.lat, profile=profile, seconds=seconds, twin=twin
        )

    def take(
        self,
        positions: Sequence[int] | npt.NDArray[np.integer[Any]],
        *,
        twins: dict[int, _Twin] | None = None,
        kept: Sequence[str] = (),
    ) -> RoadTable:
        """The table of ``positions`` (repeats allowed), in that order. ``twins`` (one dict
        for a set of takes, :func:`take_tables`): twins taken with it keep sharing blocks.
        ``kept``: keys of kept blocks (:meth:`keep`) the new table keeps too, cut to
        ``positions`` (and pickled with it): its :meth:`block` reads them."""
        idx = np.asarray(positions, dtype=np.intp)
        twin = None
        if twins is not None and self._twin is not None:
            twin = twins.setdefault(id(self._twin), _Twin())
        out = RoadTable(
            self.network,
            self.lon[idx],
            self.lat[idx],
            profile=self.profile,
            seconds=self.seconds,
            twin=twin,
        )
        if self._snapped is not None:
            out._snapped = self._snapped.take(idx)
        for key in kept:
            if key not in self._known:
                continue
            local, across, block = self._known[key]
            a, b = _where_in(local, idx), _where_in(across, idx)
            ra, cb = np.flatnonzero(a >= 0), np.flatnonzero(b >= 0)
            if ra.size and cb.size:
                out.keep(key, ra, block[np.ix_(a[ra], b[cb])], cols=cb)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_road, (
            self.network,
            self.lon,
            self.lat,
            self.profile,
            self.seconds,
            self._twin,
            self._snapped,
            {k: self.kept(k) for k in self._known},
        )

    def block(
        self,
        rows: Sequence[int] | npt.NDArray[np.integer[Any]],
        cols: Sequence[int] | npt.NDArray[np.integer[Any]],
    ) -> npt.NDArray[np.int32]:
        """Entries of every row in ``rows`` and column in ``cols``: those of the kept block
        (:meth:`keep`) holding most of them read from it, the rest searched (one search for
        the rows it lacks, one for its rows' columns it lacks)."""
        r = np.asarray(rows, dtype=np.intp).ravel()
        c = np.asarray(cols, dtype=np.intp).ravel()
        best, most = None, 0
        sample = {int(r[k]) for k in (0, r.size // 2, -1)} if r.size else set()
        for key in {k for p in sample for k in self._where.get(p, ())}:
            local, across, _ = self._known[key]
            held = sum(p in local for p in r.tolist()) * sum(p in across for p in c.tolist())
            if held > most:
                best, most = key, held
        if best is None:
            return super().block(r, c)
        local, across, kept = self._known[best]
        a, b = _where_in(local, r), _where_in(across, c)
        hr, hc = a >= 0, b >= 0
        out = np.empty((r.size, c.size), dtype=np.int32)
        out[np.ix_(hr, hc)] = kept[np.ix_(a[hr], b[hc])]
        if not hr.all():
            out[~hr] = super().block(r[~hr], c)
        if hr.any() and not hc.all():
            out[np.ix_(hr, ~hc)] = super().block(r[hr], c[~hc])
        return out

    def keep(
        self,
        key: str,
        positions: Sequence[int] | npt.NDArray[np.integer[Any]],
        block: npt.NDArray[np.int32],
        cols: Sequence[int] | npt.NDArray[np.integer[Any]] | None = None,
    ) -> None:
        """Entries computed elsewhere, ``block[a, b]`` = entry ``(positions[a], cols[b])``
        (``cols`` default: ``positions``; a territory's table, from the worker that searched
        it), read by :meth:`pair` instead of a search; a later block of the same ``key``
        replaces it."""
        local = {int(p): k for k, p in enumerate(np.asarray(positions).tolist())}
        across = (
            local if cols is None else {int(c): k for k, c in enumerate(np.asarray(cols).tolist())}
        )
        self._known[key] = (local, across, np.asarray(block))
        for p in local:
            keys = self._where.setdefault(p, [])
            if key not in keys:
                keys.append(key)

    def holds(self, key: str) -> bool:
        """True when the block kept under ``key`` has a row for every position."""
        known = self._known.get(key)
        return known is not None and len(known[0]) == self.shape[0]

    def kept(
        self, key: str
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.int32]]:
        """The rows, the columns and the block :meth:`keep` was given under ``key`` (a
        position given twice: the rows and columns :meth:`pair` reads, its last)."""
        local, across, block = self._known[key]
        if not local or not across:
            none = np.zeros(0, dtype=np.intp)
            return none, none, np.zeros((0, 0), dtype=np.int32)
        rows, at_r = zip(*sorted(local.items(), key=lambda kv: kv[1]), strict=True)
        cols, at_c = zip(*sorted(across.items(), key=lambda kv: kv[1]), strict=True)
        return (
            np.array(rows, dtype=np.intp),
            np.array(cols, dtype=np.intp),
            np.ascontiguousarray(block[np.ix_(at_r, at_c)]),
        )

    def lines_ahead(self, positions: Sequence[int]) -> None:
        """The whole rows and columns of ``positions`` computed as two blocks (a search per
        position, each way) and kept for :meth:`pair` (4 bytes per entry)."""
        every = np.arange(self.shape[0], dtype=np.intp)
        rows = np.array(sorted(set(positions) - self._rows_kept.keys()), dtype=np.intp)
        if rows.size:
            for i, line in zip(rows.tolist(), self.block(rows, every), strict=True):
                self._rows_kept[i] = line
        cols = np.array(sorted(set(positions) - self._cols_kept.keys()), dtype=np.intp)
        if cols.size:
            back = self.block(every, cols)
            for a, j in enumerate(cols.tolist()):
                self._cols_kept[j] = np.ascontiguousarray(back[:, a])

    def pair(self, i: int, j: int) -> int:
        """Entry ``(i, j)``: from a kept row, column or block holding it, else searched: the
        whole row ``i``, kept, when the table has at most ``ROW_AHEAD`` positions (a
        territory's: the next pair of the row costs nothing, and one search gives them all)
        or when row ``i`` has missed ``LINE_MISSES`` times already (a site whose legs to
        stops of other territories a repair reads: one search instead of one per leg), and
        likewise the whole column ``j``."""
        line = self._rows_kept.get(i)
        if line is not None:
            return int(line[j])
        line = self._cols_kept.get(j)
        if line is not None:
            return int(line[i])
        for key in self._where.get(i, ()):
            local, across, block = self._known[key]
            a, b = local.get(i), across.get(j)
            if a is not None and b is not None:
                return int(block[a, b])
        every = np.arange(self.shape[0], dtype=np.intp)
        missed = self._missed
        missed[i] = missed.get(i, 0) + 1
        if self.shape[0] <= self.ROW_AHEAD or missed[i] > self.LINE_MISSES:
            self._rows_kept[i] = row = self._compute(np.array([i]), every)[0]
            return int(row[j])
        missed[~j] = missed.get(~j, 0) + 1  # columns under ~j: no clash with rows
        if missed[~j] > self.LINE_MISSES:
            col = np.ascontiguousarray(self._compute(every, np.array([j]))[:, 0])
            self._cols_kept[j] = col
            return int(col[i])
        return int(self._compute(np.array([i]), np.array([j]))[0, 0])

    def _compute(self, r: npt.NDArray[np.intp], c: npt.NDArray[np.intp]) -> npt.NDArray[np.int32]:
        # Chunks as large as CHUNK_CELLS allows, cut along the side Router.gather does not
        # search from (the columns when it searches backwards from them: many sources, few
        # targets), so each end is searched once; neighbouring points share their ends.
        ends = self.snapped().ends
        out = np.empty((r.size, c.size), dtype=np.int32)
        if np.unique(ends[r]).size > 2 * np.unique(ends[c]).size:
            step = max(64, self.CHUNK_CELLS // max(1, r.size))
            for c0 in range(0, c.size, step):
                out[:, c0 : c0 + step] = self._part(r, c[c0 : c0 + step])
        else:
            step = max(64, self.CHUNK_CELLS // max(1, c.size))
            for r0 in range(0, r.size, step):
                out[r0 : r0 + step] = self._part(r[r0 : r0 + step], c)
        return out

    def _part(self, rr: npt.NDArray[np.intp], c: npt.NDArray[np.intp]) -> npt.NDArray[np.int32]:
        """Rows ``rr`` × columns ``c``: the block the twin table computed, or both kinds now
        (one search), this table's returned and the other's kept for its twin."""
        waiting, key = self._twin, (self.seconds, rr.tobytes(), c.tobytes())
        done = None if waiting is None else waiting.pop(key, None)
        if done is not None:
            return done
        secs, metres = self._legs(rr, c)
        out = []
        for val, seconds in ((secs, True), (metres, False)):
            val[rr[:, None] == c[None, :]] = 0.0
            out.append((np.ceil(val) if seconds else np.rint(val)).astype(np.int32))
        if waiting is not None:  # the twin's kind, kept until it reads it (oldest dropped)
            waiting[(not self.seconds, *key[1:])] = out[self.seconds]
            cells = sum(v.size for v in waiting.values())
            while len(waiting) > self.TWIN_BLOCKS or cells > self.TWIN_CELLS:
                cells -= waiting.pop(next(iter(waiting))).size
        return out[not self.seconds]

    def _legs(
        self, rr: npt.NDArray[np.intp], c: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Seconds and metres of rows ``rr`` × columns ``c``, unrounded. A location far out
        from the rest of the block (a territory's depot across the city, :func:`_far_out`)
        is searched in a part of its own (few roots, searched from it or towards it): with
        the others it would widen every root's box and bound to its distance."""
        snap, router = self.snapped(), self.router
        x, y = router.plane(self.lon, self.lat)
        straight = np.hypot(x[rr][:, None] - x[c][None, :], y[rr][:, None] - y[c][None, :])
        far = _far_out(x, y, np.concatenate([rr, c]))
        far_r, far_c = far[: rr.size], far[rr.size :]
        near_r, near_c = ~far_r, ~far_c
        if not far.any() or not near_r.any() or not near_c.any():
            parts = [(np.ones(rr.size, bool), np.ones(c.size, bool))]
        else:
            parts = [(near_r, near_c), (far_r, np.ones(c.size, bool)), (near_r, far_c)]
        secs = np.empty(straight.shape)
        metres = np.empty(straight.shape)
        for in_r, in_c in parts:
            if not in_r.any() or not in_c.any():
                continue
            cut = np.ix_(in_r, in_c)
            part = straight[cut]
            limit = 2.0 * float(np.max(part)) * 3.6 / router.typical_kmh + 60.0  # a bound
            secs[cut], metres[cut] = router.point_legs(
                snap.take(rr[in_r]), snap.take(c[in_c]), part, limit
            )
        return secs, metres


FAR_OUT = 3.0
"""A location of a block lies far out when its distance from the block's median point is
above ``FAR_OUT`` × the 90th percentile of those distances, and above ``FAR_OUT_M``."""
FAR_OUT_M = 5_000.0


def _far_out(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], at: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """Which of the locations ``at`` lie far out from the rest (:data:`FAR_OUT`)."""
    if at.size < 8:
        return np.zeros(at.size, dtype=bool)
    px, py = x[at], y[at]
    r = np.hypot(px - np.median(px), py - np.median(py))
    return np.asarray(r > max(FAR_OUT * float(np.percentile(r, 90)), FAR_OUT_M))


def _where_in(at: dict[int, int], positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """Each position's row (or column) in a kept block, -1 where the block has none."""
    return np.array([at.get(p, -1) for p in positions.tolist()], dtype=np.intp)


def _rebuild_road(
    network: RoadNetwork,
    lon: FloatArray,
    lat: FloatArray,
    profile: Profile,
    seconds: bool,
    twin: _Twin | None = None,
    snapped: Snap | None = None,
    kept: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], Any]] | None = None,
) -> RoadTable:
    out = RoadTable(network, lon, lat, profile=profile, seconds=seconds, twin=twin)
    out._snapped = snapped  # the sender's snap (same network): not searched again
    for key, (rows, cols, block) in (kept or {}).items():
        out.keep(key, rows, block, cols=cols)
    return out
