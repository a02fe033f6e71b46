"""Barriers and crossings of a scenario (``[network] barriers``, a GeoJSON file), as records.

A :class:`Barrier` is an area legs may not cross: ``water`` (a lake, a river, a canal) or
``no_go`` (a closed compound, a railway yard). A :class:`Crossing` is a bridge or ferry: a line
whose two ends lie on either side of a barrier, along which a leg may get over it. Coordinates
are WGS-84 (lon, lat) once loaded, whatever the file's declared system
(``[network] barriers_crs``). :func:`barrier_model` turns them into the geometry of
:mod:`wasteopt.barriers`.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasteopt.barriers import BarrierModel

__all__ = [
    "BARRIER_KINDS",
    "CROSSING_KINDS",
    "Barrier",
    "Crossing",
    "Line",
    "barrier_model",
]

BARRIER_KINDS: tuple[str, ...] = ("water", "no_go")
CROSSING_KINDS: tuple[str, ...] = ("bridge", "ferry")

Line = tuple[tuple[float, float], ...]
"""(lon, lat) positions of a ring (closed: first = last) or of a crossing's line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Barrier:
    """One barrier feature: ``polygons`` holds each polygon as its shell ring then its holes
    (islands); ``feature`` is the feature's position in the file (0-based), for messages."""

    id: str
    name: str
    kind: str
    polygons: tuple[tuple[Line, ...], ...]
    feature: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Crossing:
    """One bridge or ferry: ``line`` from one bank to the other, each end outside every
    barrier; a leg may travel along it (its length counts like any other road)."""

    id: str
    name: str
    kind: str
    line: Line
    feature: int = 0


def barrier_model(barriers: tuple[Barrier, ...], crossings: tuple[Crossing, ...]) -> BarrierModel:
    """The geometry of these barriers and crossings (ValueError if there is no barrier)."""
    polygons = [poly for b in barriers for poly in b.polygons]
    return BarrierModel(polygons, [c.line for c in crossings])
