"""长荡湖 as a water barrier of the Jintan scenario (``barriers.geojson``).

The outline is the ellipse ``points.py`` already uses to keep collection points out of the
lake (13.6 km N–S × 9.3 km E–W around 119.565° E, 31.625° N; illustrative, like every
coordinate of this scenario), as a polygon of :data:`CORNERS` corners on the ellipse: the
chords lie at most ~10 m inside it, and every point stands at least 0.6 km outside it
(``LAKE_MARGIN_KM``), so no point falls in the water. No crossing is declared: the lake has
no road bridge across it. The district's canals (丹金溧漕河 and others) are not modelled: no
outline with a source was at hand, and a canal without its many bridges would cut the city
in two.
"""

from __future__ import annotations

import math
from typing import Any

from points import LAKE_HALF_EW_KM, LAKE_HALF_NS_KM, LAKE_LAT, LAKE_LON, km_to_dlat, km_to_dlon

CORNERS = 48


def lake_ring() -> list[list[float]]:
    """The closed ring (lon, lat) of the lake, counter-clockwise from the east end."""
    ring = []
    for k in range(CORNERS):
        th = 2 * math.pi * k / CORNERS
        lat = LAKE_LAT + km_to_dlat(LAKE_HALF_NS_KM * math.sin(th))
        lon = LAKE_LON + km_to_dlon(LAKE_HALF_EW_KM * math.cos(th), lat)
        ring.append([round(lon, 6), round(lat, 6)])
    return [*ring, ring[0]]


def barriers() -> dict[str, Any]:
    """The GeoJSON FeatureCollection of the scenario's barriers: the lake."""
    lake = {
        "type": "Feature",
        "properties": {"id": "L-CDH", "name": "长荡湖", "kind": "water"},
        "geometry": {"type": "Polygon", "coordinates": [lake_ring()]},
    }
    return {"type": "FeatureCollection", "features": [lake]}
