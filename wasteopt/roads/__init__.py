"""Road networks: a directed graph of road segments with speeds, classes, weight limits and
timed bans (:mod:`.graph`), read from a GeoJSON line layer or an OpenStreetMap extract
(:mod:`.read`), and fastest paths per vehicle profile between snapped points
(:mod:`.router`). Pure numpy/scipy: no scenario knowledge (which vehicle class may use which
road class is the scenario's rule, passed in as a :class:`Profile`)."""

from __future__ import annotations

from wasteopt.roads.graph import Ban, Profile, RoadGraph
from wasteopt.roads.router import Router

__all__ = ["Ban", "Profile", "RoadGraph", "Router"]
