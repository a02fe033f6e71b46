"""Travel network: who is how far from whom, in integer metres and seconds.

Model
-----
Without a user matrix, the road distance between two sites is the great-circle distance on a
sphere of radius :data:`EARTH_RADIUS_M` (the IUGG mean Earth radius, 6,371,008.8 m) multiplied
by a *circuity* factor and rounded to whole metres::

    distance_m(i, j) = round(circuity × great_circle_m(i, j))

Circuity (also called detour index or route factor) is the ratio of network distance to
straight-line distance. The default 1.3 sits in the range reported for urban road networks:
Newell (1980) found about 1.2 for random point pairs in a city, O'Sullivan (1996) 1.21–1.23
around transit stations, and a study of 300 European cities (Environment and Planning B, 2023,
doi:10.1177/23998083231168870) an average radial detour of 1.343. Waste trucks also face one-way
streets and turning restrictions, so the upper half of the 1.2–1.4 range is a fair default;
scenarios override it in ``[network] circuity``.

The matrix built from coordinates is exactly symmetric with a zero diagonal. A user matrix
(``matrix.csv``) may be asymmetric and may carry its own durations.

Barriers: with ``[network] barriers`` (water and no-go polygons, bridges and ferries, see
:mod:`wasteopt.barriers`) the great-circle part becomes the shortest way that does not cross a
barrier except along a crossing, still × circuity::

    distance_m(i, j) = round(circuity × shortest_around_barriers_m(i, j))

A leg whose straight line is clear keeps exactly its value without barriers. Circuity stays
a calibrated factor on top: with a lake modelled, a circuity fitted on legs that went straight
across it is too high. :func:`fit_circuity` fits it against a road network where one exists
(a district's, say): on the legs from half of a sample of sites, reported on the legs from
the other half (``wasteopt circuity``).

Roads: with ``[network] roads`` every distance and time is a fastest path on the road network
(:class:`wasteopt.travel_table.RoadTable`; points joined to their nearest road by a straight
snap leg, circuity not applied), always computed on demand for the blocks a step asks for;
each vehicle profile drives, and is charged the km of, its own fastest paths.

Durations: a user ``duration_s`` column is used as given for every vehicle; otherwise
``duration_s = ceil(distance_m / (speed_kmh / 3.6))`` per vehicle speed.

Memory: an n-site matrix is n² int32 (20,000 sites: 1.6 GB). It is computed in row blocks into
one preallocated array, so temporaries stay at a few tens of MB. Above :data:`DENSE_SITES`
sites :func:`build_matrix` keeps coordinates only and computes the blocks a step asks for
(:mod:`wasteopt.travel_table`; a territory's sub-matrix, a leg, points × stations).
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from wasteopt.barriers import BarrierModel
from wasteopt.coordinates import Crs, parse_crs, transform
from wasteopt.errors import InputError, Problem
from wasteopt.matrix_csv import MatrixFile, read_matrix_frame
from wasteopt.roads import Profile, Router
from wasteopt.scenario.geography import barrier_model
from wasteopt.scenario.model import NetworkSettings, Scenario
from wasteopt.scenario.roads import vehicle_profile
from wasteopt.travel_table import (
    EARTH_RADIUS_M,
    RoadNetwork,
    RoadTable,
    TravelTable,
    arc_block,
    unit_halves,
)

__all__ = [
    "CIRCUITY_NEAR",
    "CIRCUITY_SAMPLE",
    "DENSE_SITES",
    "EARTH_RADIUS_M",
    "Calibration",
    "CircuityFit",
    "SpeedFit",
    "TravelMatrix",
    "along",
    "build_matrix",
    "fit_circuity",
    "haversine_m",
    "leg_paths",
    "read_matrix_csv",
    "scenario_barriers",
    "scenario_roads",
]

log = logging.getLogger("wasteopt")


_INT32_MAX = np.iinfo(np.int32).max
# Row-block size for matrix construction: ~128k float64 (1 MB) per temporary keeps each block's
# working set in the CPU cache, which measured ~2x faster than 16 MB blocks for 20,000 sites.
_BLOCK_ELEMENTS = 1 << 17
_TILE_ROWS = 64  # rows per strip of the coordinate matrix; tiles are 64 × 2048
_MAX_LISTED = 20
DENSE_SITES = 6_000
"""Above this many sites :func:`build_matrix` computes distances on demand (city scale)."""


def haversine_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in metres between points given in degrees (broadcasting).

    Haversine formula on a sphere of radius :data:`EARTH_RADIUS_M`::

        a = sin²(Δlat/2) + cos(lat1)·cos(lat2)·sin²(Δlon/2)
        d = 2R·asin(√a)

    Accurate to ~0.5 % against the WGS-84 ellipsoid, far below the uncertainty of a circuity
    factor.
    """
    lo1, la1, lo2, la2 = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2)
    )
    a = np.sin((la2 - la1) / 2.0) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _by_row_blocks(n: int, fill: Callable[[int, int], None], step: int | None = None) -> None:
    """Call ``fill(r0, r1)`` for row blocks covering ``0..n``, in threads when it pays.

    numpy ufuncs release the GIL, so blocks run in parallel; ``fill`` must write disjoint
    parts of its output. ``step`` rows per block (default: about ``_BLOCK_ELEMENTS`` cells).
    """
    step = step or max(1, _BLOCK_ELEMENTS // max(n, 1))
    bounds = [(r0, min(n, r0 + step)) for r0 in range(0, n, step)]
    workers = min(os.cpu_count() or 1, 8, len(bounds))
    if workers > 1 and n * n >= 4 * _BLOCK_ELEMENTS:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda b: fill(*b), bounds))
    else:
        for r0, r1 in bounds:
            fill(r0, r1)


_T = TypeVar("_T")


def _rebuild(cls: Callable[..., _T], kwargs: dict[str, Any]) -> _T:
    return cls(**kwargs)


def _readonly(arr: np.ndarray) -> np.ndarray:
    view = arr.view()
    view.setflags(write=False)
    return view


def _as_matrix(arr: np.ndarray, n: int, what: str) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.shape != (n, n):
        raise ValueError(f"{what} has shape {arr.shape}, expected ({n}, {n})")
    if arr.dtype != np.int32:  # int32 arrays are taken as built here; others are checked
        if np.issubdtype(arr.dtype, np.floating):
            arr = np.rint(arr)
        if arr.size and not (np.all(arr >= 0) and np.all(arr <= _INT32_MAX)):
            raise ValueError(f"{what} values must lie in 0..{_INT32_MAX}")
        arr = arr.astype(np.int32)
    return _readonly(arr)


@dataclass(frozen=True, slots=True, kw_only=True)
class TravelMatrix:
    """Distances (and optionally durations) between sites, indexed like ``ids``.

    ``distance_m[i, j]`` is the road distance from ``ids[i]`` to ``ids[j]`` in whole metres;
    ``duration_s`` holds user-given travel times in whole seconds, or is ``None`` (durations then
    follow from a speed, see :meth:`durations_s`). Both arrays are int32 and read-only; the
    matrix keeps a read-only *view* of arrays handed to it, so do not keep writing to them.

    ``distance_m`` may instead be a :class:`~wasteopt.travel_table.TravelTable` computed on
    demand (:func:`build_matrix` at city scale): read it through :meth:`block`, :meth:`sub`
    and :meth:`nearest`, which work alike on both, never as one whole array.
    """

    ids: tuple[str, ...]
    distance_m: np.ndarray | TravelTable
    duration_s: np.ndarray | None = None
    _pos: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = tuple(str(i) for i in self.ids)
        pos = {site: k for k, site in enumerate(ids)}
        if len(pos) != len(ids):
            counts = Counter(ids)
            dups = sorted(i for i, c in counts.items() if c > 1)
            raise ValueError(f"duplicate site ids in travel matrix: {dups[:_MAX_LISTED]}")
        n = len(ids)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "_pos", pos)
        if isinstance(self.distance_m, TravelTable):
            if self.distance_m.shape != (n, n) or self.duration_s is not None:
                raise ValueError("a lazy distance table needs one position per id, no durations")
            return
        object.__setattr__(self, "distance_m", _as_matrix(self.distance_m, n, "distance_m"))
        if self.duration_s is not None:
            object.__setattr__(self, "duration_s", _as_matrix(self.duration_s, n, "duration_s"))

    def __len__(self) -> int:
        return len(self.ids)

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuild through __init__ so arrays come back read-only after pickling (worker pools).
        return _rebuild, (
            TravelMatrix,
            {"ids": self.ids, "distance_m": self.distance_m, "duration_s": self.duration_s},
        )

    def index(self, site_id: str) -> int:
        """Row/column of ``site_id``; ``KeyError`` if it is not in the matrix."""
        try:
            return self._pos[site_id]
        except KeyError:
            raise KeyError(f"site {site_id!r} is not in the travel matrix") from None

    def indices(self, ids: Iterable[str]) -> np.ndarray:
        """Rows/columns of ``ids`` as an int64 array; ``KeyError`` naming every unknown id."""
        ids = list(ids)
        pos = self._pos
        out = np.fromiter((pos.get(i, -1) for i in ids), dtype=np.int64, count=len(ids))
        if np.any(out < 0):
            unknown = [ids[k] for k in np.flatnonzero(out < 0)]
            raise KeyError(
                f"{len(unknown)} site id(s) not in the travel matrix: {unknown[:_MAX_LISTED]}"
            )
        return out

    @property
    def lazy(self) -> bool:
        """True when distances are computed on demand (no whole matrix in memory)."""
        return isinstance(self.distance_m, TravelTable)

    def block(self, row_ids: Sequence[str], col_ids: Sequence[str]) -> npt.NDArray[np.int32]:
        """Distances from every ``row_ids`` site to every ``col_ids`` site (int32 metres)."""
        rows, cols = self.indices(row_ids), self.indices(col_ids)
        if isinstance(self.distance_m, TravelTable):
            return self.distance_m.block(rows, cols)
        return np.asarray(self.distance_m[np.ix_(rows, cols)])

    def nearest(self, ids: Sequence[str], candidates: Sequence[str]) -> npt.NDArray[np.intp]:
        """For each of ``ids``, the position in ``candidates`` of its nearest candidate by
        road distance (the first on ties), computed in row chunks of a few MB."""
        out = np.empty(len(ids), dtype=np.intp)
        step = max(1, (1 << 20) // max(1, len(candidates)))
        for r0 in range(0, len(ids), step):
            chunk = self.block(list(ids[r0 : r0 + step]), candidates)
            out[r0 : r0 + step] = chunk.argmin(axis=1)
        return out

    def durations_s(self, speed_kmh: float) -> np.ndarray | TravelTable:
        """Travel times in whole seconds (int32, read-only).

        The user matrix's ``duration_s`` when there is one (``speed_kmh`` is then ignored),
        else ``ceil(distance_m / (speed_kmh / 3.6))``. Not cached: each call allocates n² int32
        (a lazy matrix returns a lazy travel-time table instead).
        """
        if self.duration_s is not None:
            return self.duration_s
        if not speed_kmh > 0 or not math.isfinite(speed_kmh):
            raise ValueError(f"speed_kmh must be a positive number, got {speed_kmh!r}")
        if isinstance(self.distance_m, TravelTable):
            return self.distance_m.travel_time(speed_kmh)
        n = len(self.ids)
        # metres * 3600 / (km/h * 1000): integer operands keep exact quotients exact (no 3.6).
        divisor = float(speed_kmh) * 1000.0
        if n and math.ceil(float(self.distance_m.max()) * 3600.0 / divisor) > _INT32_MAX:
            raise ValueError("travel time exceeds the int32 range; check speed_kmh")
        out = np.empty((n, n), dtype=np.int32)

        def fill(r0: int, r1: int) -> None:
            block = self.distance_m[r0:r1].astype(np.float64)
            block *= 3600.0
            block /= divisor
            np.ceil(block, out=block)
            out[r0:r1] = block

        _by_row_blocks(n, fill)
        return _readonly(out)

    def sub(self, ids: Sequence[str]) -> TravelMatrix:
        """The matrix restricted to ``ids``, in that order (e.g. one territory); always dense."""
        idx = self.indices(ids)
        if isinstance(self.distance_m, TravelTable):
            return TravelMatrix(ids=tuple(ids), distance_m=self.distance_m.block(idx, idx))
        grid = np.ix_(idx, idx)
        return TravelMatrix(
            ids=tuple(ids),
            distance_m=self.distance_m[grid],
            duration_s=None if self.duration_s is None else self.duration_s[grid],
        )

    @classmethod
    def from_coordinates(
        cls,
        ids: Sequence[str],
        lon: Sequence[float] | np.ndarray,
        lat: Sequence[float] | np.ndarray,
        *,
        circuity: float = 1.3,
        barriers: BarrierModel | None = None,
    ) -> TravelMatrix:
        """Road distances ``round(circuity × great-circle)`` from WGS-84 degrees (around
        ``barriers`` when given: then the blocks of a :class:`TravelTable`, so a whole matrix and
        one computed on demand agree entry for entry).

        Computed as ``2R·asin(c/2)`` with ``c`` the chord between unit vectors (the same
        great-circle distance as :func:`haversine_m`, but with all trigonometry per site rather
        than per pair), in cache-sized row blocks spread over threads. Exactly symmetric.
        """
        lon_a = np.asarray(lon, dtype=np.float64).ravel()
        lat_a = np.asarray(lat, dtype=np.float64).ravel()
        n = len(ids)
        if lon_a.shape != (n,) or lat_a.shape != (n,):
            raise ValueError(f"{n} ids but {lon_a.size} longitudes and {lat_a.size} latitudes")
        if not np.all(np.isfinite(lon_a)) or not np.all(np.isfinite(lat_a)):
            raise ValueError("coordinates must be finite numbers")
        if not (circuity >= 1.0 and math.isfinite(circuity)):
            raise ValueError(f"circuity must be >= 1, got {circuity!r}")
        if barriers is not None:
            table = TravelTable.geodesic(lon_a, lat_a, circuity, barriers)
            return cls(ids=tuple(ids), distance_m=table.dense("a whole matrix with barriers"))
        half = unit_halves(lon_a, lat_a)  # (a - b)²/4 summed = (c/2)², sin² of half the angle
        scale = 2.0 * EARTH_RADIUS_M * float(circuity)
        out = np.empty((n, n), dtype=np.int32)

        # Half the work: strip rows [r0, r1) are computed for columns >= r0 only, in tiles that
        # fit the CPU cache, and each tile is written at (i, j) and (j, i). The formula is
        # exactly symmetric, so tiles straddling the diagonal write equal values twice.
        rows = max(1, min(_TILE_ROWS, n))
        cols = max(1, _BLOCK_ELEMENTS // rows)

        def fill(r0: int, r1: int) -> None:
            for c0 in range(r0, n, cols):
                c1 = min(n, c0 + cols)
                tile = arc_block(half[:, r0:r1], half[:, c0:c1], scale)
                out[r0:r1, c0:c1] = tile
                out[c0:c1, r0:r1] = tile.T

        _by_row_blocks(n, fill, rows)
        if n:
            out[np.diag_indices(n)] = 0
        return cls(ids=tuple(ids), distance_m=out)


def read_matrix_csv(
    path: str | os.PathLike[str], ids: Sequence[str], *, label: str | None = None
) -> TravelMatrix:
    """Read a user travel matrix: columns ``from_id, to_id, distance_m[, duration_s]``.

    Pairs may be asymmetric. Every ordered pair of distinct ``ids`` must be present exactly once;
    rows from a site to itself are optional and must then be 0 (the diagonal is always 0).
    Distances (m) and durations (s) are non-negative numbers, rounded to integers. Every problem
    is collected and raised together as :class:`~wasteopt.errors.InputError`; ``line N`` is the
    line number in the file (the header is line 1; blank lines are skipped but counted). Long
    lists (unknown ids, missing pairs, bad values) name the first 20 and give the count.
    ``label`` is the file name used in messages (default: ``path``), e.g. the name relative to
    the scenario folder.
    """
    fname = label if label is not None else str(path)
    site_ids = tuple(str(i) for i in ids)
    f = MatrixFile(read_matrix_frame(path, fname), fname, site_ids)
    fi = f.site_positions("from_id")
    ti = f.site_positions("to_id")
    dist = f.numbers("distance_m", "metres")
    dur = f.numbers("duration_s", "seconds") if "duration_s" in f.df.columns else None
    known = (fi >= 0) & (ti >= 0)
    diag = known & (fi == ti)
    f.check_diagonal("distance_m", dist, fi, diag)
    if dur is not None:
        f.check_diagonal("duration_s", dur, fi, diag)
    off = known & ~diag
    f.check_duplicates(fi, ti, off)
    f.check_coverage(fi, ti, off)
    if f.problems:
        raise InputError(f.problems)
    n = len(site_ids)

    def fill(val: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
        out = np.zeros((n, n), dtype=np.int32)
        out[fi[off], ti[off]] = np.rint(val[off]).astype(np.int32)
        return out

    return TravelMatrix(
        ids=site_ids, distance_m=fill(dist), duration_s=None if dur is None else fill(dur)
    )


def build_matrix(
    scenario: Scenario,
    ids: Sequence[str] | None = None,
    *,
    folder: str | os.PathLike[str] | None = None,
    lazy: bool | None = None,
) -> TravelMatrix:
    """The travel matrix of a scenario, for all its sites (:meth:`Scenario.sites`) or ``ids``.

    From ``scenario.network.matrix_file`` (relative to ``folder``, default
    ``scenario.folder``) when set, else from coordinates × ``scenario.network.circuity``:
    a whole int32 matrix up to :data:`DENSE_SITES` sites, else (or with ``lazy=True``) a
    :class:`~wasteopt.travel_table.TravelTable` computed on demand (same values).
    """
    sites = scenario.sites()
    all_ids = [s[0] for s in sites]
    net = scenario.network
    if net.matrix_file:
        base = Path(folder if folder is not None else scenario.folder)
        full = read_matrix_csv(base / net.matrix_file, all_ids, label=net.matrix_file)
        return full if ids is None else full.sub(list(ids))
    chosen: Sequence[tuple[str, float, float]]
    if ids is None:
        chosen = sites
    else:
        by_id = {s[0]: s for s in sites}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise KeyError(
                f"{len(unknown)} id(s) are not sites of scenario {scenario.id!r}: "
                f"{unknown[:_MAX_LISTED]}"
            )
        chosen = [by_id[i] for i in ids]
    lon = np.fromiter((s[1] for s in chosen), dtype=np.float64, count=len(chosen))
    lat = np.fromiter((s[2] for s in chosen), dtype=np.float64, count=len(chosen))
    chosen_ids = tuple(s[0] for s in chosen)
    if net.roads is not None:
        network = RoadNetwork(net.roads, net.snap_speed_kmh)
        road_table = RoadTable(network, lon, lat)
        _warn_far_snaps(road_table, chosen_ids, net.snap_warn_m)
        _warn_shifted(road_table, lon, lat, parse_crs(net.crs))
        return TravelMatrix(ids=chosen_ids, distance_m=road_table)
    model = scenario_barriers(scenario)
    if lazy or (lazy is None and len(chosen) > DENSE_SITES):
        table = TravelTable.geodesic(lon, lat, net.circuity, model)
        return TravelMatrix(ids=chosen_ids, distance_m=table)
    return TravelMatrix.from_coordinates(
        chosen_ids, lon, lat, circuity=net.circuity, barriers=model
    )


def _warn_far_snaps(table: RoadTable, ids: Sequence[str], limit_m: float) -> None:
    """Log a warning naming the sites farther than ``limit_m`` from their nearest road."""
    snap_m = table.snapped().off_m
    far = np.flatnonzero(snap_m > limit_m)
    if far.size:
        listed = ", ".join(f"{ids[k]} ({snap_m[k]:.0f} m)" for k in far[:_MAX_LISTED])
        log.warning(
            "%d site(s) lie more than %.0f m from the nearest road of the network, joined to it "
            "by a straight leg: %s",
            far.size,
            limit_m,
            listed,
        )


SHIFT_MIN_M = 15.0
"""Median distance (m) from the sites to the nearest road below which they are taken to lie on
the road network (a shifted site is still within half a block of some street of a dense grid,
about 22 m on the tiny scenario's, so the test is relative)."""


def _warn_shifted(
    table: RoadTable, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], declared: Crs
) -> None:
    """Warn when the sites look written in another coordinate system than ``[network] crs``
    says: their median distance to the nearest road is at least :data:`SHIFT_MIN_M` as
    declared and less than half of it if the tables had been written in another system (the
    GCJ-02 offset is about 500 m in China, so copied Amap coordinates sit off the roads)."""
    snap_m = table.snapped().off_m
    given = float(np.median(snap_m))
    if given < SHIFT_MIN_M:
        return
    raw = transform(lon, lat, "wgs84", declared)  # the coordinates as written in the tables
    systems: tuple[Crs, ...] = ("wgs84", "gcj02", "bd09")
    for other in systems:
        if other == declared:
            continue
        x, y = transform(*raw, other, "wgs84")
        alt_m = table.router.snap(np.asarray(x), np.asarray(y)).off_m
        alt = float(np.median(alt_m))
        if alt < 0.5 * given:
            log.warning(
                "the sites look shifted against the road network: median %.0f m from the "
                "nearest road read as %s ([network] crs), %.0f m if the tables were %s; "
                "check [network] crs",
                given,
                declared,
                alt,
                other,
            )
            return


def scenario_roads(scenario: Scenario) -> RoadNetwork | None:
    """The road network of ``scenario`` (``None`` without ``[network] roads``): its routers give
    the road path of a leg for drawing (:meth:`wasteopt.roads.Router.leg`)."""
    graph = scenario.network.roads
    return None if graph is None else RoadNetwork(graph, scenario.network.snap_speed_kmh)


LonLat = tuple[float, float]
LegPaths = Callable[[str, LonLat, LonLat], list[LonLat]]
"""``paths(vehicle_type_id, a, b)``: the polyline (lon, lat) of a leg from ``a`` to ``b``."""


_LAST_PATHS: list[tuple[Scenario, LegPaths | None]] = []


def leg_paths(scenario: Scenario) -> LegPaths | None:
    """How a leg is drawn as it is priced (``None``: a straight line): on a road network the
    fastest road path of the vehicle type's own profile (an unknown type id: every road),
    else around the scenario's barriers. Paths are memoised per (type, a, b), and the last
    scenario's are reused: the route sheets, the routes map and the vehicle maps draw the same
    legs (on a city's roads each costs a search)."""
    if _LAST_PATHS and _LAST_PATHS[0][0] is scenario:
        return _LAST_PATHS[0][1]
    made = _leg_paths(scenario)
    _LAST_PATHS[:] = [(scenario, made)]
    return made


def _leg_paths(scenario: Scenario) -> LegPaths | None:
    roads = scenario_roads(scenario)
    model = scenario_barriers(scenario)
    if roads is not None:
        return _RoadPaths(roads, {v.id: vehicle_profile(v) for v in scenario.vehicle_types})
    if model is not None:
        return lambda _vtype, a, b: model.path(a, b) if a != b else [a, b]
    return None


class _RoadPaths:
    """Legs drawn along each vehicle type's fastest road paths, memoised per (type, a, b);
    :meth:`prefetch` draws a route's legs together (:meth:`wasteopt.roads.Router.lines`: one
    search per distinct end on the route's box instead of a box and a search per leg)."""

    def __init__(self, roads: RoadNetwork, profiles: dict[str, Profile]) -> None:
        self.roads, self.profiles = roads, profiles
        self.memo: dict[tuple[str, LonLat, LonLat], list[LonLat]] = {}

    def _router(self, vtype: str) -> Router:
        return self.roads.router(self.profiles.get(vtype) or Profile())

    def __call__(self, vtype: str, a: LonLat, b: LonLat) -> list[LonLat]:
        key = (vtype, a, b)
        if key not in self.memo:
            self.memo[key] = self._router(vtype).leg(a, b).line if a != b else [a, b]
        return self.memo[key]

    def prefetch(self, vtype: str, points: Sequence[LonLat]) -> None:
        """Draw the legs between consecutive ``points`` not drawn yet, together."""
        todo = sorted(
            {
                (a, b)
                for a, b in itertools.pairwise(points)
                if a != b and (vtype, a, b) not in self.memo
            }
        )
        for (a, b), line in zip(todo, self._router(vtype).lines(todo), strict=True):
            self.memo[(vtype, a, b)] = line


def along(
    paths: LegPaths | None, vtype: str, lon: Sequence[float], lat: Sequence[float]
) -> tuple[list[float], list[float]]:
    """The polyline through (lon, lat) with each leg drawn by ``paths`` (straight: none)."""
    if paths is None or len(lon) < 2:
        return list(lon), list(lat)
    pts = list(zip(lon, lat, strict=True))
    if isinstance(paths, _RoadPaths):
        paths.prefetch(vtype, pts)
    out = [pts[0]]
    for a, b in itertools.pairwise(pts):
        out.extend(paths(vtype, a, b)[1:])
    return [p[0] for p in out], [p[1] for p in out]


def scenario_barriers(scenario: Scenario) -> BarrierModel | None:
    """The barrier model of ``scenario`` (``None`` without barriers, or with a user matrix).

    Its :meth:`~wasteopt.barriers.BarrierModel.path` gives the polyline of a leg around the
    barriers, for drawing legs as they are priced."""
    net = scenario.network
    if not net.barriers or net.matrix_file:
        return None
    return barrier_model(net.barriers, net.crossings)


CIRCUITY_SAMPLE = 200
"""Sites :func:`fit_circuity` draws by default: 200 searches of the network per profile."""
CIRCUITY_NEAR = 5
"""Nearest sites each drawn site's *near* legs go to (the legs between stops of a route)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuityFit:
    """``circuity`` for one geometry (``"barriers"``: the ways round the scenario's barriers;
    ``"straight"``: great-circle lines) and kind of leg (``"near"``: to a site's nearest
    sites, as between the stops of a route; ``"far"``: between the drawn sites, across the
    city like a trip to a plant), fitted on ``fit_legs`` legs and tried on ``held_out_legs``
    others: mean absolute difference to the network over the mean network leg, and the
    held-out legs' lowest and highest ratio of fitted to network distance."""

    legs: str
    geometry: str
    circuity: float
    fit_legs: int
    held_out_legs: int
    fit_error: float
    held_out_error: float
    held_out_low: float
    held_out_high: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeedFit:
    """The speed at which the built-in model (the first geometry's circuity fitted on the
    same kind of leg) times the legs ``legs`` closest to the road network's fastest paths for
    the vehicle types ``vehicle_types`` (one road profile: class, weight, declared
    ``speed_kmh``, shift), with its errors in seconds as :class:`CircuityFit` has them in
    metres."""

    legs: str
    vehicle_types: tuple[str, ...]
    vehicle_class: str
    declared_kmh: float
    fitted_kmh: float
    fit_error: float
    held_out_error: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration:
    """What :func:`fit_circuity` finds: per kind of leg, one fit per geometry and one speed
    per road profile."""

    sites: int
    near: int
    seed: int
    circuity: tuple[CircuityFit, ...]
    speeds: tuple[SpeedFit, ...]


def _least_squares(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """The factor c minimising Σ (c × x − y)²."""
    return float(x @ y / max(float(x @ x), 1e-12))


def _errors(
    pred: npt.NDArray[np.float64], real: npt.NDArray[np.float64], fit: npt.NDArray[np.bool_]
) -> tuple[float, float]:
    """Mean absolute difference over the mean real leg, on the fit legs and on the others."""
    gap = np.abs(pred - real)
    return (
        float(gap[fit].mean() / max(float(real[fit].mean()), 1e-12)),
        float(gap[~fit].mean() / max(float(real[~fit].mean()), 1e-12)),
    )


def _no_fit(message: str, expected: str, file: str = "scenario.toml") -> InputError:
    return InputError([Problem(file=file, message=message, expected=expected)])


def fit_circuity(
    scenario: Scenario,
    *,
    sample: int = CIRCUITY_SAMPLE,
    near: int = CIRCUITY_NEAR,
    seed: int = 0,
) -> Calibration:
    """The circuity (and each vehicle's speed) that make the built-in model come closest to
    the scenario's road network.

    ``sample`` sites are drawn (seeded). Two kinds of leg: *near*, from each drawn site to its
    ``near`` nearest sites (straight-line), as between the stops of a route; *far*, between
    the drawn sites, as a trip across the city. For each kind, each factor c minimising
    Σ (c × model − network)² is fitted on the legs from every other drawn site and reported
    on the legs from the rest, so the error is that of legs the fit never saw. Distances: the
    network's unrestricted road metres (every road open, points joined to their nearest one)
    against the ways round the scenario's barriers (when it has any) and against straight
    lines. Times: for each road profile of its vehicle types, the profile's fastest-path
    seconds against the first geometry's fitted metres over a speed, the speed fitted.
    Raises :class:`InputError` without a road network or with fewer than 4 sites drawn.
    """
    net = scenario.network
    if net.roads is None:
        raise InputError(
            [
                Problem(
                    file="scenario.toml",
                    where="[network]",
                    field="roads",
                    message="circuity is fitted against a road network, and none is given",
                    expected="a roads file (docs/scenario-format.md)",
                )
            ]
        )
    sites = scenario.sites()
    n = min(sample, len(sites))
    if n < 4:
        raise _no_fit(
            f"{n} sites drawn ({len(sites)} in the scenario): too few legs to fit circuity on "
            "and try it on",
            "at least 4 sites and a sample of at least 4",
            "scenario.toml" if len(sites) < 4 else "--sample",
        )
    drawn = np.sort(np.random.default_rng(seed).choice(len(sites), size=n, replace=False))
    lon = np.array([s[1] for s in sites])
    lat = np.array([s[2] for s in sites])
    k = min(near, len(sites) - 1)
    xyz = unit_halves(lon, lat).T  # chords order pairs as great circles do
    _, nb = cKDTree(xyz).query(xyz[drawn], k=k + 1)
    nb = np.array([[j for j in row if j != d][:k] for row, d in zip(nb, drawn, strict=True)])
    used = np.unique(np.concatenate([drawn, nb.ravel()]))  # every site a leg touches
    ids = [sites[j][0] for j in used]
    at = {int(j): i for i, j in enumerate(used)}
    rows = np.array([at[int(d)] for d in drawn])
    # Legs of each kind: (the origin's draw index = its row in the drawn block, the
    # destination's column among `used`).
    far_r, far_c = np.nonzero(~np.eye(n, dtype=bool))
    legs = {
        "near": (np.repeat(np.arange(n), k), np.array([at[int(j)] for j in nb.ravel()])),
        "far": (far_r, rows[far_c]),
    }
    table = build_matrix(scenario, ids).distance_m  # one router for every profile
    assert isinstance(table, RoadTable)
    road_block = np.asarray(table.block(rows, np.arange(len(ids))), dtype=float)
    geometries = {"straight": NetworkSettings(circuity=1.0)}  # in memory: always WGS-84
    if net.barriers:
        geometries = {
            "barriers": NetworkSettings(
                circuity=1.0, barriers=net.barriers, crossings=net.crossings
            ),
            **geometries,
        }
    way_blocks = {
        name: np.asarray(
            build_matrix(replace(scenario, network=g), ids).block([ids[r] for r in rows], ids),
            dtype=float,
        )
        for name, g in geometries.items()
    }
    fits: list[CircuityFit] = []
    model_m: dict[str, npt.NDArray[np.float64]] = {}
    for kind, (r, c) in legs.items():
        fit = r % 2 == 0  # legs from every other drawn site fit; the rest are held out
        road = road_block[r, c]
        if road[fit].sum() <= 0 or road[~fit].sum() <= 0:
            raise _no_fit(
                f"the drawn sites' {kind} legs are all of length 0 on the roads: nothing to fit",
                "sites apart from each other",
            )
        for name, block in way_blocks.items():
            way = block[r, c]
            factor = _least_squares(way[fit], road[fit])
            fit_err, held = _errors(factor * way, road, fit)
            ratio = factor * way[~fit] / np.maximum(road[~fit], 1.0)
            fits.append(
                CircuityFit(
                    legs=kind,
                    geometry=name,
                    circuity=factor,
                    fit_legs=int(fit.sum()),
                    held_out_legs=int((~fit).sum()),
                    fit_error=fit_err,
                    held_out_error=held,
                    held_out_low=float(ratio.min()),
                    held_out_high=float(ratio.max()),
                )
            )
            model_m.setdefault(kind, factor * way)  # the first geometry times the legs
    return Calibration(
        sites=n,
        near=k,
        seed=seed,
        circuity=tuple(fits),
        speeds=_speed_fits(scenario, table, rows, legs, model_m),
    )


def _speed_fits(
    scenario: Scenario,
    table: RoadTable,
    rows: npt.NDArray[np.intp],
    legs: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]],
    model_m: dict[str, npt.NDArray[np.float64]],
) -> tuple[SpeedFit, ...]:
    """One :class:`SpeedFit` per kind of leg and road profile of the scenario's vehicle
    types (``table``: the used sites' road table, ``rows`` the drawn ones; ``model_m``: the
    model's metres of each kind's legs)."""
    by_profile: dict[Profile, list[str]] = {}
    for v in scenario.vehicle_types:
        by_profile.setdefault(vehicle_profile(v), []).append(v.id)
    out = []
    for profile, ids in by_profile.items():
        secs_block = np.asarray(
            table.for_profile(profile).block(rows, np.arange(len(table.lon))), dtype=float
        )
        for kind, (r, c) in legs.items():
            fit = r % 2 == 0
            secs = secs_block[r, c]
            per_m = _least_squares(model_m[kind][fit], secs[fit])  # seconds a model metre
            fit_err, held = _errors(per_m * model_m[kind], secs, fit)
            out.append(
                SpeedFit(
                    legs=kind,
                    vehicle_types=tuple(ids),
                    vehicle_class=profile.vehicle_class,
                    declared_kmh=profile.speed_kmh,
                    fitted_kmh=3.6 / max(per_m, 1e-12),
                    fit_error=fit_err,
                    held_out_error=held,
                )
            )
    return tuple(
        sorted(
            out, key=lambda f: (f.legs != "near", f.vehicle_class, f.declared_kmh, f.vehicle_types)
        )
    )
