"""Travel tables computed on demand: an n×n table of whole metres or seconds, never stored whole.

Model
-----
A :class:`TravelTable` holds the coordinates of its n positions and a metric, and computes any
entry, row or block when asked:

* ``arc`` (geographic): ``round(scale × asin(|a − b| / 2)·2)`` with ``a``, ``b`` unit vectors
  of WGS-84 degrees, ``scale = R × circuity`` (the great-circle distance times a detour factor,
  exactly what :meth:`wasteopt.network.TravelMatrix.from_coordinates` stores densely);
* ``plane`` (benchmark instances): ``round(scale × hypot(dx, dy))``, i.e. TSPLIB ``EUC_2D``
  rounded per edge (``scale = 1``) or scaled before rounding (``scale = 1000``).

With *barriers* (:mod:`wasteopt.barriers`, ``arc`` only) a leg whose straight segment crosses
a barrier is instead the shortest way around it (over a crossing where one is declared), times
the same ``scale``: ``round(scale × half_arc)`` where ``half_arc`` is the path's length in half
great-circle angles. A clear leg keeps exactly the value it has without barriers.

Rounding is half-to-even (``numpy.rint`` and Python ``round`` agree). A *travel-time* table
(:meth:`TravelTable.travel_time`) is ``ceil(distance × 3600 / (speed_kmh × 1000))`` of its
distance table, as in :meth:`wasteopt.network.TravelMatrix.durations_s`. Scalar entries are
computed with the same floating-point operations in the same order as the vectorised blocks,
so a lazy table and its dense copy agree entry for entry.

Roads: :class:`wasteopt.travel_table.road.RoadTable` is a travel table whose entries come from
fastest paths on a road network (:mod:`wasteopt.roads`) instead of a formula.

Why: a city of 20,000 sites has a 1.6 GB distance matrix and one more per vehicle speed;
routing by territory needs only the blocks of each territory and the legs of the final plan.
``numpy.asarray(table)`` densifies the table only up to :data:`DENSE_LIMIT` positions and
otherwise raises an :class:`~wasteopt.errors.InputError` naming the step that asked for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from wasteopt.barriers import BarrierModel
from wasteopt.errors import InputError, Problem

__all__ = [
    "DENSE_LIMIT",
    "EARTH_RADIUS_M",
    "TravelTable",
    "arc_block",
    "half_arc_block",
    "unit_halves",
]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius R1 = (2a + b) / 3 of WGS-84 (IUGG), in metres."""

DENSE_LIMIT = 6_000
"""Most positions a table may be densified for (6,000² int32 = 144 MB per table)."""

Metric = Literal["arc", "plane"]
_BLOCK_CELLS = 1 << 20  # cells per computed chunk: ~8 MB of float64 temporaries


def unit_halves(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Half unit vectors (3, n) of WGS-84 degrees: ``|a − b|²`` of halves is ``sin²(θ/2)``."""
    lam = np.radians(np.asarray(lon, dtype=np.float64).ravel())
    phi = np.radians(np.asarray(lat, dtype=np.float64).ravel())
    xyz = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    return 0.5 * xyz


def arc_block(
    half_rows: npt.NDArray[np.float64], half_cols: npt.NDArray[np.float64], scale: float
) -> npt.NDArray[np.int32]:
    """Rounded ``scale × asin(|a − b|)`` between every row and column half vector (3, m),
    (3, k): the one formula of every geographic distance in wasteopt."""
    acc = half_arc_block(half_rows, half_cols)
    acc *= scale
    return np.rint(acc, out=acc).astype(np.int32)


def half_arc_block(
    half_rows: npt.NDArray[np.float64], half_cols: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``asin(|a − b|)`` (half the great-circle angle) between every row and column half
    vector, unrounded: :func:`arc_block` before its scale."""
    acc = np.zeros((half_rows.shape[1], half_cols.shape[1]))
    tmp = np.empty_like(acc)
    for k in range(3):
        # (a - b)² per coordinate: no cancellation for nearby sites, unlike 2 - 2a·b.
        np.subtract(half_rows[k, :, None], half_cols[k, None, :], out=tmp)
        np.multiply(tmp, tmp, out=tmp)
        acc += tmp
    np.sqrt(acc, out=acc)
    if acc.size and acc.max() > 1.0:  # rounding near antipodes only
        np.minimum(acc, 1.0, out=acc)
    np.arcsin(acc, out=acc)
    return acc


class _BarrierSites:
    """The positions of a table as seen by a barrier model: plane coordinates and each
    position's shortest half arcs to the model's nodes (``G``), computed once when first read."""

    __slots__ = ("done", "hub", "model", "x", "y")

    def __init__(self, model: BarrierModel, half: npt.NDArray[np.float64]) -> None:
        self.model = model
        self.x, self.y = model.plane(half)
        self.hub = np.empty((self.x.size, model.node_count))
        self.done = np.zeros(self.x.size, dtype=bool)

    def take(self, idx: npt.NDArray[np.intp]) -> _BarrierSites:
        """The same for positions ``idx`` (repeats allowed), with their cached rows."""
        out = _BarrierSites.__new__(_BarrierSites)
        out.model, out.x, out.y = self.model, self.x[idx], self.y[idx]
        out.hub, out.done = self.hub[idx], self.done[idx]
        return out

    def hubs(
        self, pos: npt.NDArray[np.intp], half: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """``G`` rows of positions ``pos`` (``half``: every position's half vectors)."""
        need = np.unique(pos[~self.done[pos]])
        if need.size:
            self.hub[need] = self.model.hubs(half[:, need], self.x[need], self.y[need])
            self.done[need] = True
        return self.hub[pos]

    def around(
        self,
        r: npt.NDArray[np.intp],
        c: npt.NDArray[np.intp],
        half: npt.NDArray[np.float64],
        acc: npt.NDArray[np.float64],
    ) -> None:
        """Replace the half arcs ``acc`` (rows ``r`` × columns ``c``) of blocked legs by the
        shortest way around; ValueError when a leg has none."""
        m = self.model
        blocked = m.blocked(self.x[r], self.y[r], self.x[c], self.y[c])
        ii, jj = np.nonzero(blocked)
        if not ii.size:
            return
        hr, hc = self.hubs(r, half), self.hubs(c, half)
        way = m.around(hr[ii], hc[jj])
        if not np.all(np.isfinite(way)):
            k = int(np.flatnonzero(~np.isfinite(way))[0])
            raise ValueError(
                f"positions {int(r[ii[k]])} and {int(c[jj[k]])} have no path around the barriers"
            )
        acc[ii, jj] = way


class _Row(dict[int, int]):
    """Row ``i`` of a table as a memo: ``row[j]`` is a plain dict lookup once computed (the
    route scheduler reads the same legs many times; a city has too many rows to list)."""

    __slots__ = ("_i", "_table")

    def __init__(self, table: TravelTable, i: int) -> None:
        super().__init__()
        self._table = table
        self._i = i

    def __missing__(self, j: int) -> int:
        value = self._table.pair(self._i, j)
        self[j] = value
        return value


class TravelTable:
    """A square int32 travel table of ``n`` positions, computed on demand (module docstring).
    :meth:`block` computes at most ``BLOCK_CELLS`` entries at a time."""

    BLOCK_CELLS = _BLOCK_CELLS

    def __init__(
        self,
        points: npt.ArrayLike,
        *,
        metric: Metric,
        scale: float,
        divisor: float | None = None,
        barriers: BarrierModel | _BarrierSites | None = None,
    ) -> None:
        pts = np.ascontiguousarray(points, dtype=np.float64)
        dims = 3 if metric == "arc" else 2
        if pts.ndim != 2 or pts.shape[0] != dims:
            raise ValueError(f"{metric} tables take points of shape ({dims}, n), got {pts.shape}")
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        if barriers is not None and metric != "arc":
            raise ValueError("barriers apply to geographic (arc) tables only")
        self._pts = pts
        self._barriers = (
            _BarrierSites(barriers, pts) if isinstance(barriers, BarrierModel) else barriers
        )
        self._py: list[tuple[float, ...]] = [tuple(p) for p in pts.T.tolist()]
        self.metric: Metric = metric
        self.scale = float(scale)
        self.divisor = divisor
        n = pts.shape[1]
        self.shape = (n, n)
        self.dtype = np.dtype(np.int32)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def geodesic(
        cls,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        circuity: float,
        barriers: BarrierModel | None = None,
    ) -> TravelTable:
        """Road metres between WGS-84 points: great circle (around ``barriers``) × ``circuity``,
        rounded."""
        return cls(
            unit_halves(lon, lat),
            metric="arc",
            scale=2.0 * EARTH_RADIUS_M * circuity,
            barriers=barriers,
        )

    @property
    def barriers(self) -> BarrierModel | None:
        """The barrier model legs go around, if any."""
        return None if self._barriers is None else self._barriers.model

    @classmethod
    def euclidean(cls, x: npt.ArrayLike, y: npt.ArrayLike, scale: float = 1.0) -> TravelTable:
        """Plane distances ``round(scale × hypot(dx, dy))`` (TSPLIB EUC_2D with scale 1)."""
        return cls(np.stack([np.ravel(x), np.ravel(y)]), metric="plane", scale=scale)

    def travel_time(self, speed_kmh: float) -> TravelTable:
        """Whole seconds ``ceil(distance × 3600 / (speed_kmh × 1000))`` of this distance table."""
        if self.divisor is not None:
            raise ValueError("already a travel-time table")
        if not (math.isfinite(speed_kmh) and speed_kmh > 0):
            raise ValueError(f"speed_kmh must be a positive number, got {speed_kmh!r}")
        return TravelTable(
            self._pts,
            metric=self.metric,
            scale=self.scale,
            divisor=float(speed_kmh) * 1000.0,
            barriers=self._barriers,  # shared: G rows computed for one serve both
        )

    def take(self, positions: Sequence[int] | npt.NDArray[np.integer[Any]]) -> TravelTable:
        """The table of ``positions`` (repeats allowed), in that order; nothing is computed."""
        idx = np.asarray(positions, dtype=np.intp)
        pts = self._pts[:, idx]
        sites = None if self._barriers is None else self._barriers.take(idx)
        return TravelTable(
            pts, metric=self.metric, scale=self.scale, divisor=self.divisor, barriers=sites
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # The barrier model travels, its per-position cache does not (recomputed on demand).
        return _rebuild, (self._pts, self.metric, self.scale, self.divisor, self.barriers)

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.shape[0]

    def pair(self, i: int, j: int) -> int:
        """Entry ``(i, j)``, computed with the blocks' operations in the blocks' order."""
        if self._barriers is not None:
            return int(self.block([i], [j])[0, 0])
        a, b = self._py[i], self._py[j]
        if self.metric == "arc":
            t = a[0] - b[0]
            acc = t * t
            t = a[1] - b[1]
            acc += t * t
            t = a[2] - b[2]
            acc += t * t
            d = round(math.asin(min(math.sqrt(acc), 1.0)) * self.scale)
        else:
            dx, dy = a[0] - b[0], a[1] - b[1]
            d = round(math.sqrt(dx * dx + dy * dy) * self.scale)
        if self.divisor is None:
            return d
        return math.ceil(float(d) * 3600.0 / self.divisor)

    def block(
        self,
        rows: Sequence[int] | npt.NDArray[np.integer[Any]],
        cols: Sequence[int] | npt.NDArray[np.integer[Any]],
    ) -> npt.NDArray[np.int32]:
        """Entries of every row in ``rows`` and column in ``cols``, as an int32 array."""
        r = np.asarray(rows, dtype=np.intp).ravel()
        c = np.asarray(cols, dtype=np.intp).ravel()
        out = np.empty((r.size, c.size), dtype=np.int32)
        step = max(1, self.BLOCK_CELLS // max(1, c.size))
        for r0 in range(0, r.size, step):
            out[r0 : r0 + step] = self._compute(r[r0 : r0 + step], c)
        return out

    def _compute(self, r: npt.NDArray[np.intp], c: npt.NDArray[np.intp]) -> npt.NDArray[np.int32]:
        if self.metric == "arc" and self._barriers is not None:
            acc = half_arc_block(self._pts[:, r], self._pts[:, c])
            self._barriers.around(r, c, self._pts, acc)
            acc *= self.scale
            dist = np.rint(acc, out=acc).astype(np.int32)
        elif self.metric == "arc":
            dist = arc_block(self._pts[:, r], self._pts[:, c], self.scale)
        else:
            # [r][:, None], not [0, r, None]: mixed advanced indexing would put c's axis first
            dx = self._pts[0][r][:, None] - self._pts[0][c][None, :]
            dy = self._pts[1][r][:, None] - self._pts[1][c][None, :]
            acc = np.sqrt(dx * dx + dy * dy)
            acc *= self.scale
            dist = np.rint(acc, out=acc).astype(np.int32)
        if self.divisor is None:
            return dist
        t = dist.astype(np.float64)
        t *= 3600.0
        t /= self.divisor
        return np.ceil(t, out=t).astype(np.int32)

    def rows(self) -> list[dict[int, int]]:
        """Every row as a memo indexed by column: ``rows[i][j]`` computes entry ``(i, j)`` once,
        then reads it at the speed of a nested list (an empty dict per row until read)."""
        return [_Row(self, i) for i in range(self.shape[0])]

    def __getitem__(self, key: Any) -> Any:
        """``t[i]`` a row (``t[i][j]``), ``t[i, j]`` an int, ``t[i, cols]`` / ``t[rows, j]`` a
        vector, ``t[np.ix_(rows, cols)]`` a block, ``t[rows, cols]`` (1-D, equal length)
        entries pairwise, like numpy."""
        if not isinstance(key, tuple):
            return _Row(self, int(key))
        a, b = key
        if isinstance(a, slice):
            a = np.arange(self.shape[0])[a]
        if isinstance(b, slice):
            b = np.arange(self.shape[1])[b]
        if np.ndim(a) == 0 and np.ndim(b) == 0:
            return self.pair(int(a), int(b))
        ra, rb = np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp)
        if ra.ndim == 0:
            return self.block([int(ra)], rb)[0]
        if rb.ndim == 0:
            return self.block(ra, [int(rb)])[:, 0]
        if ra.ndim == 2 and rb.ndim == 2:  # np.ix_ grid
            return self.block(ra.ravel(), rb.ravel())
        if ra.shape != rb.shape:
            raise IndexError(f"cannot pair index arrays of shapes {ra.shape} and {rb.shape}")
        return np.fromiter(
            (self.pair(int(i), int(j)) for i, j in zip(ra, rb, strict=True)),
            dtype=np.int32,
            count=ra.size,
        )

    def dense(self, what: str = "this step") -> npt.NDArray[np.int32]:
        """The whole table; an :class:`InputError` above :data:`DENSE_LIMIT` positions."""
        n = self.shape[0]
        if n > DENSE_LIMIT:
            gb = 4.0 * n * n / 1e9
            raise InputError(
                [
                    Problem(
                        file="scenario",
                        where=f"{n:,} sites",
                        field="size",
                        message=(
                            f"{what} needs the whole {n:,} × {n:,} travel matrix ({gb:.1f} GB); "
                            f"wasteopt builds whole matrices only up to {DENSE_LIMIT:,} sites"
                        ),
                        expected=(
                            "a smaller scenario for this step, or the steps that work by "
                            "territory at city scale (validate, plan, route)"
                        ),
                    )
                ]
            )
        idx = np.arange(n)
        return self.block(idx, idx)

    def __array__(self, dtype: Any = None, copy: Any = None) -> npt.NDArray[Any]:
        out = self.dense("a step that reads whole matrices")
        return out if dtype is None else out.astype(dtype)

    def max(self, initial: int = 0) -> int:
        """The largest entry, computed row block by row block (O(n²) time, small memory)."""
        n = self.shape[0]
        best = initial
        cols = np.arange(n)
        step = max(1, _BLOCK_CELLS // max(1, n))
        for r0 in range(0, n, step):
            best = max(best, int(self._compute(cols[r0 : r0 + step], cols).max(initial=0)))
        return best


def _rebuild(
    pts: npt.NDArray[np.float64],
    metric: Metric,
    scale: float,
    divisor: float | None,
    barriers: BarrierModel | None = None,
) -> TravelTable:
    return TravelTable(pts, metric=metric, scale=scale, divisor=divisor, barriers=barriers)
