"""A vehicle shift of a route sheet cut into its trips, for the line layer and the vehicle maps.

A trip runs from where the vehicle is (the depot for the first trip, the previous trip's
unload site after that) through its stops to its unload site; the departure from the depot
belongs to the first trip and the return to the depot to the last, so the trips of a shift
join end to start and their kilometres add up to the shift's. Lunch rows add no vertex (a
break is not a place the route passes through twice).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Trip", "vehicle_trips"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Trip:
    """One trip of one vehicle shift: ``rows`` are its route-sheet rows in driving order,
    the first being the vertex it starts from (the depot, or the previous trip's last row);
    the statistics count only the trip's own rows."""

    number: int
    rows: pd.DataFrame
    stops: int
    expected_kg: int
    unload_kg: int
    km: float
    start: str
    end: str
    unload_site: str
    unload_site_name: str
    first_stop: str
    last_stop: str


def vehicle_trips(rows: pd.DataFrame) -> list[Trip]:
    """The trips of one vehicle shift's rows (:func:`route_sheet_frame`, one vehicle, in
    driving order; rows without coordinates are kept, the caller drops what it cannot draw)."""
    path = rows[rows["kind"] != "lunch"]
    if path.empty:
        return []
    trip_no = path["trip"].astype("Float64").ffill().bfill().fillna(1.0).astype(int)
    trips: list[Trip] = []
    previous: pd.DataFrame | None = None
    for number in dict.fromkeys(trip_no.tolist()):
        own = path[(trip_no == number).to_numpy()]
        drawn = own if previous is None else pd.concat([previous, own])
        trips.append(_trip(int(number), own, drawn))
        previous = own.iloc[[-1]]
    return trips


def _trip(number: int, own: pd.DataFrame, drawn: pd.DataFrame) -> Trip:
    """A trip's statistics from its own rows; ``drawn`` adds the vertex it starts from."""
    stops = own[own["kind"] == "stop"]
    unloads = own[own["kind"] == "unload"]
    last_unload = unloads.iloc[-1] if len(unloads) else None
    return Trip(
        number=number,
        rows=drawn,
        stops=len(stops),
        expected_kg=int(stops["expected_kg"].sum()),
        unload_kg=int(unloads["unload_kg"].sum()),
        km=round(float(own["leg_m"].sum()) / 1000.0, 3),
        start=str(drawn["departure"].iloc[0]),
        end=str(own["arrival"].iloc[-1]),
        unload_site="" if last_unload is None else str(last_unload["id"]),
        unload_site_name="" if last_unload is None else str(last_unload["name"]),
        first_stop=str(stops["id"].iloc[0]) if len(stops) else "",
        last_stop=str(stops["id"].iloc[-1]) if len(stops) else "",
    )
