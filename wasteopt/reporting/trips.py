"""A vehicle shift of a route sheet cut into its trips, for the line layer and the vehicle maps.

A trip runs from where the vehicle is (the depot for the first trip, the previous trip's
unload site after that) through its stops to its unload site; the departure from the depot
belongs to the first trip and the return to the depot to the last, so the trips of a shift
join end to start and their kilometres add up to the shift's. Lunch rows add no vertex (a
break is not a place the route passes through twice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    driving order; rows without coordinates are kept, the caller drops what it cannot draw).
    A trip's rows are contiguous (the checker numbers trips in driving order), so each is a
    slice and its sums run over arrays: a city day has thousands of trips."""
    path = rows[(rows["kind"] != "lunch").to_numpy()]
    if path.empty:
        return []
    trip_no = path["trip"].astype("Float64").ffill().bfill().fillna(1.0).astype(int).to_numpy()
    starts = np.flatnonzero(np.r_[True, trip_no[1:] != trip_no[:-1]])
    ends = np.r_[starts[1:], len(path)]
    kind = path["kind"].to_numpy()
    ids, names = path["id"].to_numpy(), path["name"].to_numpy()
    kg, unload = path["expected_kg"].to_numpy(), path["unload_kg"].to_numpy()
    leg_m = path["leg_m"].to_numpy()
    departure, arrival = path["departure"].to_numpy(), path["arrival"].to_numpy()
    trips: list[Trip] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        first = max(a - 1, 0)  # the vertex the trip starts from: the previous trip's end
        stops = a + np.flatnonzero(kind[a:b] == "stop")
        unloads = a + np.flatnonzero(kind[a:b] == "unload")
        last = int(unloads[-1]) if len(unloads) else -1
        trips.append(
            Trip(
                number=int(trip_no[a]),
                rows=path.iloc[first:b],
                stops=len(stops),
                expected_kg=int(kg[stops].sum()),
                unload_kg=int(unload[unloads].sum()),
                km=round(float(leg_m[a:b].sum()) / 1000.0, 3),
                start=str(departure[first]),
                end=str(arrival[b - 1]),
                unload_site="" if last < 0 else str(ids[last]),
                unload_site_name="" if last < 0 else str(names[last]),
                first_stop=str(ids[stops[0]]) if len(stops) else "",
                last_stop=str(ids[stops[-1]]) if len(stops) else "",
            )
        )
    return trips
