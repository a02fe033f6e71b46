"""Barriers of the built-in travel model: water and no-go polygons crossed only at declared
bridges and ferries, so that a leg goes around a lake (:mod:`.model` states the model,
:mod:`.plane` the geometry). Pure geometry on numpy and scipy: no scenario knowledge."""

from __future__ import annotations

from wasteopt.barriers.model import EARTH_RADIUS_M, BarrierModel, LonLat, Polygon, half_vectors

__all__ = ["EARTH_RADIUS_M", "BarrierModel", "LonLat", "Polygon", "half_vectors"]
