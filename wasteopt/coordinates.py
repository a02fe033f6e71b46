"""Geographic coordinate systems used in China: WGS-84, GCJ-02 and BD-09, and the transforms.

- ``wgs84``: GPS coordinates, what scenarios store and what RFC 7946 GeoJSON assumes.
- ``gcj02``: the national "offset" system (国测局坐标) of every licensed Chinese web map
  (AMap/Gaode, Tencent, Google's China tiles). WGS-84 drawn on those basemaps lands some
  hundreds of metres off.
- ``bd09``: Baidu's system, a further rotation and shift of GCJ-02.

The WGS-84 → GCJ-02 offset is the published (leaked) algorithm: a polynomial-plus-sine
distortion of (lon − 105°, lat − 35°) scaled to degrees on the Krasovsky 1940 ellipsoid
(a = 6378245 m, e² = 0.00669342162296594323), applied only inside mainland China's
bounding box; outside it GCJ-02 equals WGS-84. GCJ-02 → WGS-84 has no closed form: it is
inverted here by fixed-point iteration to 1e-10° (the distortion's slope is about 1e-4, so
each step gains four digits). GCJ-02 ↔ BD-09 are Baidu's published formulas (a polar
perturbation and a 0.0065°/0.006° shift); BD-09 → GCJ-02 is that published formula, which is
itself an approximate inverse (round trip within 2e-6°, 0.2 m), as Baidu-compatible tools use.

Every function takes and returns longitude first, as scalars or NumPy arrays.
"""

from __future__ import annotations

from typing import Literal, TypeVar, cast, get_args

import numpy as np
import numpy.typing as npt

__all__ = [
    "CRS_LABELS",
    "CRS_NAMES",
    "Crs",
    "bd09_to_gcj02",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "parse_crs",
    "transform",
    "wgs84_to_gcj02",
]

Crs = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[str, ...] = get_args(Crs)
CRS_LABELS: dict[str, str] = {
    "wgs84": "WGS-84 (GPS; RFC 7946 GeoJSON)",
    "gcj02": "GCJ-02 (国测局, AMap/Gaode and Tencent basemaps)",
    "bd09": "BD-09 (百度, Baidu basemaps)",
}
"""One line per system, for legends, notes and ``--help``."""

Coord = TypeVar("Coord", float, npt.NDArray[np.float64])

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m), as in the published algorithm
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # Baidu's angular constant
# Mainland China's bounding box as the reference implementations draw it (eviltransform).
_LON_MIN, _LON_MAX, _LAT_MIN, _LAT_MAX = 72.004, 137.8347, 0.8293, 55.8271
_INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_STEPS = 20


def parse_crs(text: str) -> Crs:
    """``text`` as a :data:`Crs` name (case and ``-``/``_`` ignored); ValueError naming the
    accepted names otherwise."""
    name = text.strip().lower().replace("-", "").replace("_", "")
    if name not in CRS_NAMES:
        raise ValueError(f"unknown coordinate system {text!r}; expected one of {CRS_NAMES}")
    return cast(Crs, name)


def in_china(lon: Coord, lat: Coord) -> npt.NDArray[np.bool_]:
    """True where (lon, lat) lies in the box where the GCJ-02 offset applies."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    inside: npt.NDArray[np.bool_] = (
        (x >= _LON_MIN) & (x <= _LON_MAX) & (y >= _LAT_MIN) & (y <= _LAT_MAX)
    )
    return inside


def _offset(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """GCJ-02 minus WGS-84 (degrees) at WGS-84 (lon, lat); zero outside China."""
    x, y = lon - 105.0, lat - 35.0
    waves = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += (waves + 20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (waves + 20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    # Metres of the distortion → degrees on the Krasovsky ellipsoid at this latitude.
    rad = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad) ** 2
    d_lat = d_lat * 180.0 / ((_A * (1.0 - _EE)) / (magic * np.sqrt(magic)) * np.pi)
    d_lon = d_lon * 180.0 / (_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def _out(like: Coord, value: npt.NDArray[np.float64]) -> Coord:
    """``value`` as a float when the input was a scalar, else as an array."""
    return cast(Coord, float(value) if np.ndim(like) == 0 else value)


def wgs84_to_gcj02(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """WGS-84 → GCJ-02 (the published forward algorithm)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _offset(x, y)
    return _out(lon, x + d_lon), _out(lat, y + d_lat)


def gcj02_to_wgs84(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """GCJ-02 → WGS-84: the point whose forward transform is (lon, lat), to 1e-10°."""
    gx, gy = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = gx.copy(), gy.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        d_lon, d_lat = _offset(x, y)
        nx, ny = gx - d_lon, gy - d_lat
        step = max(
            float(np.max(np.abs(nx - x), initial=0.0)), float(np.max(np.abs(ny - y), initial=0.0))
        )
        x, y = nx, ny
        if step < _INVERSE_TOL_DEG:
            break
    return _out(lon, x), _out(lat, y)


def gcj02_to_bd09(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """GCJ-02 → BD-09 (Baidu's published formula)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _out(lon, z * np.cos(theta) + 0.0065), _out(lat, z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """BD-09 → GCJ-02 (Baidu's published inverse formula)."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _out(lon, z * np.cos(theta)), _out(lat, z * np.sin(theta))


def transform(lon: Coord, lat: Coord, source: Crs, target: Crs) -> tuple[Coord, Coord]:
    """(lon, lat) from ``source`` to ``target``, through GCJ-02 when neither is GCJ-02."""
    if source == target:
        return lon, lat
    if source == "wgs84":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif source == "bd09":
        lon, lat = bd09_to_gcj02(lon, lat)
    if target == "wgs84":
        return gcj02_to_wgs84(lon, lat)
    if target == "bd09":
        return gcj02_to_bd09(lon, lat)
    return lon, lat
