"""Travel tables computed on demand, block by block, never stored whole.

:mod:`.formula`: :class:`TravelTable` (great-circle or plane distances times a circuity, around
barriers; travel times from a speed). :mod:`.road`: :class:`RoadTable` (fastest paths of one
vehicle profile on a road network) and :class:`RoadNetwork` (its routers).
"""

from wasteopt.travel_table.formula import (
    DENSE_LIMIT,
    EARTH_RADIUS_M,
    TravelTable,
    arc_block,
    half_arc_block,
    unit_halves,
)
from wasteopt.travel_table.road import RoadNetwork, RoadTable, take_tables

__all__ = [
    "DENSE_LIMIT",
    "EARTH_RADIUS_M",
    "RoadNetwork",
    "RoadTable",
    "TravelTable",
    "arc_block",
    "half_arc_block",
    "take_tables",
    "unit_halves",
]
