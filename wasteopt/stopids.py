"""Stop ids of points collected twice a day.

A point collected twice on one day becomes two routing stops: its own id for the first visit and
``<point id>~2`` for the second. Routing builds these ids; the cycle planner and the route sheets
parse them back.
"""

from __future__ import annotations

__all__ = ["TWICE_SUFFIX", "point_of", "split_stop_id", "stop_id"]

TWICE_SUFFIX = "~2"


def stop_id(point_id: str, visit: int) -> str:
    """The stop id of a point's ``visit`` (0 or 1) of the day."""
    return point_id if visit == 0 else point_id + TWICE_SUFFIX


def split_stop_id(stop: str) -> tuple[str, int]:
    """``(point id, visit number 1 or 2)`` of a stop id."""
    if stop.endswith(TWICE_SUFFIX):
        return stop[: -len(TWICE_SUFFIX)], 2
    return stop, 1


def point_of(stop: str) -> str:
    """The point id a stop id belongs to."""
    return split_stop_id(stop)[0]
