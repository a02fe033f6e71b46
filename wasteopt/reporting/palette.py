"""The one palette of every figure: streams, sites, trips and the few fixed marks.

A reader compares figures side by side, so a colour must mean the same thing everywhere:

- a stream is drawn in its scenario colour (``streams`` table), in every map and chart;
- a station or plant gets one colour from :data:`SITE_COLOURS` by its position in the
  scenario (stations, then plants, as listed), so base and variant maps of every stream agree
  (variants edit rows, they never reorder them);
- a vehicle's trips are coloured 1, 2, 3 … from :data:`TRIP_COLOURS` on every vehicle map;
- fixed marks (retired, new, depot, outline, background points, overload) have one colour
  each here.
"""

from __future__ import annotations

from wasteopt.scenario.model import Scenario

__all__ = [
    "BACKGROUND",
    "CROSSING",
    "DEPOT",
    "NEW",
    "NO_GO",
    "OUTLINE",
    "OVERLOAD",
    "PLANT",
    "RETIRED",
    "SITE_COLOURS",
    "STATION",
    "TRIP_COLOURS",
    "UNKNOWN_STREAM",
    "WATER",
    "site_colours",
    "stream_colour",
    "trip_colour",
]

# Kelly's colours of maximum contrast without white, black and grey (grey is the residual
# stream's colour and the background's), ordered so neighbours in the list differ most.
SITE_COLOURS: tuple[str, ...] = (
    "#0067A5",  # blue
    "#F38400",  # orange
    "#008856",  # green
    "#BE0032",  # red
    "#875692",  # purple
    "#F3C300",  # yellow
    "#882D17",  # reddish brown
    "#A1CAF1",  # light blue
    "#8DB600",  # yellow green
    "#E68FAC",  # pink
    "#604E97",  # violet
    "#F6A600",  # orange yellow
    "#2B3D26",  # olive green
    "#F99379",  # yellowish pink
    "#B3446C",  # purplish red
    "#DCD300",  # greenish yellow
    "#654522",  # yellowish brown
    "#E25822",  # reddish orange
    "#C2B280",  # buff
    "#00A3A3",  # teal (not Kelly's: twenty sites, as in Jintan, get twenty colours)
)
TRIP_COLOURS: tuple[str, ...] = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1f78b4",
)
"""Trip 1, 2, 3 … of a vehicle (ColorBrewer Dark2, then a blue); repeats past eight."""

BACKGROUND = "#cfcfcf"  # points of the district that the figure is not about
OUTLINE = "#555555"  # the district outline
WATER = "#CFE3F3"  # lakes, rivers and canals the legs go around
NO_GO = "#E4E4E4"  # other areas legs may not cross
CROSSING = "#3A3A3A"  # bridges and ferries over them
DEPOT = "#222222"
STATION = "#1f3b73"  # a station where no site colour applies (utilisation bars)
PLANT = "#5b7f95"  # a plant where no site colour applies (kept apart from every stream colour)
RETIRED = "#d62728"  # the cross over a station a variant retires
NEW = "#111111"  # the ring around a station a variant builds
OVERLOAD = "#c0392b"  # a bar above 100 % of capacity
UNKNOWN_STREAM = "#333333"  # a stream the scenario does not list


def stream_colour(scenario: Scenario, stream: str) -> str:
    """The stream's scenario colour (:data:`UNKNOWN_STREAM` for a stream it does not list)."""
    return scenario.stream(stream).color if stream in scenario.stream_ids else UNKNOWN_STREAM


def site_colours(scenario: Scenario) -> dict[str, str]:
    """Station and plant id → colour, by position in the scenario (stations, then plants)."""
    ids = [s.id for s in scenario.stations] + [f.id for f in scenario.facilities]
    return {sid: SITE_COLOURS[k % len(SITE_COLOURS)] for k, sid in enumerate(ids)}


def trip_colour(trip: int) -> str:
    """The colour of trip number ``trip`` (1-based) on a vehicle map."""
    return TRIP_COLOURS[(max(trip, 1) - 1) % len(TRIP_COLOURS)]
