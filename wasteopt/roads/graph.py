"""The road graph and vehicle profiles.

Model
-----
Nodes are road vertices (WGS-84 lon/lat). Every edge is one straight segment of a road,
directed: a two-way road gives an edge each way, a one-way road only the way it is drawn. An
edge has a length (metres, great circle), a speed (km/h), a road class (e.g. ``lane``,
``residential``, ``main_road``), a weight limit (tonnes gross, ``inf`` when none) and the road
it belongs to (for messages and drawings).

A :class:`Ban` closes a set of edges to some vehicle classes during daily hours
``[start_s, end_s)`` (货车限行: a road, or every road inside a zone polygon).

A :class:`Profile` is what one vehicle may use: the road classes open to its class, its gross
weight and its speed (edge speeds above it are capped), and the hours it drives (its shift).
Edges are usable when their class is open to it, their limit carries its weight and no ban on
its class overlaps its hours. The ban rule is deliberately conservative: a vehicle whose shift
overlaps a ban never uses the banned edges, even on legs driven outside the ban's hours (a
route planned this way is legal at any departure time; it may be longer than it must be).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DAY_S", "EARTH_RADIUS_M", "Ban", "Profile", "RoadGraph", "overlaps_daily"]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius of WGS-84 (IUGG), in metres (as in :mod:`wasteopt.travel_table`)."""
DAY_S = 86_400

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def overlaps_daily(start_s: int, end_s: int, ban_start_s: int, ban_end_s: int) -> bool:
    """True when ``[start_s, end_s)`` meets the daily hours ``[ban_start_s, ban_end_s)`` on
    any day (hours past 24:00 and bans across midnight included)."""
    if ban_end_s <= ban_start_s:
        ban_end_s += DAY_S
    first = math.floor((start_s - ban_end_s) / DAY_S)
    last = math.ceil((end_s - ban_start_s) / DAY_S)
    return any(
        start_s < ban_end_s + k * DAY_S and ban_start_s + k * DAY_S < end_s
        for k in range(first, last + 1)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Ban:
    """Edges closed to ``vehicle_classes`` every day from ``start_s`` to ``end_s``."""

    id: str
    start_s: int
    end_s: int
    vehicle_classes: frozenset[str]
    edges: tuple[int, ...]

    def applies(self, vehicle_class: str, start_s: int, end_s: int) -> bool:
        """True when this ban closes its edges to ``vehicle_class`` at some time in
        ``[start_s, end_s)``."""
        return vehicle_class in self.vehicle_classes and overlaps_daily(
            start_s, end_s, self.start_s, self.end_s
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Sorted classes: a frozenset pickles in an order that differs between processes.
        return _ban, (
            self.id,
            self.start_s,
            self.end_s,
            tuple(sorted(self.vehicle_classes)),
            self.edges,
        )


def _ban(
    id: str, start_s: int, end_s: int, classes: tuple[str, ...], edges: tuple[int, ...]
) -> Ban:
    return Ban(id=id, start_s=start_s, end_s=end_s, vehicle_classes=frozenset(classes), edges=edges)


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """What one vehicle may use (module docstring). ``road_classes`` ``None``: every class."""

    vehicle_class: str = ""
    road_classes: frozenset[str] | None = None
    gross_t: float = 0.0
    speed_kmh: float = math.inf
    start_s: int = 0
    end_s: int = 0

    @property
    def key(self) -> tuple[object, ...]:
        """Profiles with equal keys give equal tables."""
        classes = None if self.road_classes is None else tuple(sorted(self.road_classes))
        return (self.vehicle_class, classes, self.gross_t, self.speed_kmh, self.start_s, self.end_s)

    def __reduce__(self) -> tuple[Any, ...]:
        # By its key: a frozenset pickles in an order that differs between processes, and a
        # territory's content key (a checkpoint's name) must not.
        return _profile, self.key


def _profile(
    vehicle_class: str,
    classes: tuple[str, ...] | None,
    gross_t: float,
    speed_kmh: float,
    start_s: int,
    end_s: int,
) -> Profile:
    return Profile(
        vehicle_class=vehicle_class,
        road_classes=None if classes is None else frozenset(classes),
        gross_t=gross_t,
        speed_kmh=speed_kmh,
        start_s=start_s,
        end_s=end_s,
    )


@dataclass(frozen=True, eq=False, kw_only=True)
class RoadGraph:
    """Nodes and directed edges of a road network (module docstring); arrays are read-only."""

    lon: FloatArray
    lat: FloatArray
    tail: IntArray
    head: IntArray
    length_m: FloatArray
    speed_kmh: FloatArray
    road_class: tuple[str, ...]
    max_weight_t: FloatArray
    road: IntArray
    road_ids: tuple[str, ...]
    bans: tuple[Ban, ...] = ()
    _classes: tuple[str, ...] = field(init=False, repr=False)
    _class_of: IntArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        m = self.tail.size
        for name in ("head", "length_m", "speed_kmh", "max_weight_t", "road"):
            if getattr(self, name).shape != (m,):
                raise ValueError(f"edge array {name} must have {m} entries")
        if len(self.road_class) != m:
            raise ValueError(f"road_class must have {m} entries")
        classes = tuple(sorted(set(self.road_class)))
        pos = {c: k for k, c in enumerate(classes)}
        object.__setattr__(self, "_classes", classes)
        object.__setattr__(
            self, "_class_of", np.fromiter((pos[c] for c in self.road_class), np.int64, m)
        )
        for name in ("lon", "lat", "tail", "head", "length_m", "speed_kmh", "max_weight_t"):
            getattr(self, name).setflags(write=False)

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return int(self.lon.size)

    @property
    def edge_count(self) -> int:
        """Number of directed edges."""
        return int(self.tail.size)

    def usable(self, profile: Profile) -> BoolArray:
        """Edges ``profile`` may use (module docstring)."""
        ok = self.max_weight_t >= profile.gross_t
        if profile.road_classes is not None:
            open_classes = np.array([c in profile.road_classes for c in self._classes], bool)
            ok &= open_classes[self._class_of] if open_classes.size else ok
        for ban in self.bans:
            if ban.applies(profile.vehicle_class, profile.start_s, profile.end_s):
                ok[list(ban.edges)] = False
        return ok

    def banned_at(self, vehicle_class: str, start_s: int, end_s: int) -> BoolArray:
        """Edges closed to ``vehicle_class`` by a ban at some time in ``[start_s, end_s)``."""
        out = np.zeros(self.edge_count, dtype=bool)
        for ban in self.bans:
            if ban.applies(vehicle_class, start_s, end_s):
                out[list(ban.edges)] = True
        return out

    def edge_seconds(self, profile: Profile) -> FloatArray:
        """Seconds to drive each edge at ``min(edge speed, profile speed)``."""
        speed = np.minimum(self.speed_kmh, profile.speed_kmh)
        return self.length_m * 3.6 / speed


def segment_lengths_m(lon: Sequence[float], lat: Sequence[float]) -> FloatArray:
    """Great-circle metres between consecutive (lon, lat) positions (haversine)."""
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    la = np.radians(np.asarray(lat, dtype=np.float64))
    a = (
        np.sin(np.diff(la) / 2.0) ** 2
        + np.cos(la[:-1]) * np.cos(la[1:]) * np.sin(np.diff(lo) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
