"""The collection ledger (收运台账): one row per collection trip of the simulated days.

A *trip* runs from the depot departure (the first trip of a shift) or the end of the last tip
to the end of the next tip; it serves the points it took waste from and ends at the site it
tips at. A trip that ends in an unplanned extra unload (the vehicle was full at a stop, see
:mod:`wasteopt.simulation.processes`) is marked ``unplanned``.

Rows and reconciliation
-----------------------
A row's ``t`` is the waste the trip took from bins on one simulated day (the day whose
``collected_t`` in the daily table counts it), so the ledger's tonnes per stream and day add
up exactly to the daily table's ``collected_t`` (the mass balance's collected waste). A trip
whose collection straddles a day change (a night shift working past it) gives one row per
simulated day, with the same trip number and points. Waste still in a vehicle when the
horizon ends is a row without a destination or arrival, so nothing collected is left out.

Tables (:data:`LEDGER_COLUMNS`, :data:`DAILY_COLUMNS`, :data:`MONTHLY_COLUMNS`)
------------------------------------------------------------------------------
``ledger`` — ``date``, ``day``, ``stream``, ``vehicle``, ``vehicle_type``, ``trip`` (its number in
the shift, counting every tip), ``unplanned``, ``points_served`` (how many) and ``point_ids``
(space-separated, in the order served), ``destination`` (site id), ``t``, and the times
``depart``, ``arrive`` (at the destination, before any queue) and ``unloaded`` (tip ended), as
date-times to the second (shifts may pass midnight).
``daily`` — per date and stream: vehicles, trips, unplanned trips, distinct points served, t.
``monthly`` — per month and stream: days of the horizon in the month, vehicle-days, trips,
unplanned trips, t, and t per day (t / those days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wasteopt.simulation.processes import Vehicle

__all__ = [
    "DAILY_COLUMNS",
    "LEDGER_COLUMNS",
    "MONTHLY_COLUMNS",
    "TripLedger",
    "empty_ledger",
    "ledger_daily",
    "ledger_frame",
    "ledger_monthly",
    "reconcile",
]

LEDGER_COLUMNS = (
    "date",
    "day",
    "stream",
    "vehicle",
    "vehicle_type",
    "trip",
    "unplanned",
    "points_served",
    "point_ids",
    "destination",
    "t",
    "depart",
    "arrive",
    "unloaded",
)
DAILY_COLUMNS = ("date", "stream", "vehicles", "trips", "unplanned_trips", "points_served", "t")
MONTHLY_COLUMNS = (
    "month",
    "stream",
    "days",
    "vehicle_days",
    "trips",
    "unplanned_trips",
    "t",
    "t_per_day",
)

TripRow = tuple[int, str, str, str, int, bool, tuple[int, ...], str, float, float, float, float]
"""``(day, vehicle, vehicle_type, stream, trip, unplanned, point indices, destination, kg,
depart_s, arrive_s, unloaded_s)``; times in seconds since 00:00 of the first day."""


class TripLedger:
    """The trips of one run, closed one by one (mutable, one simulation only)."""

    def __init__(self) -> None:
        self.rows: list[TripRow] = []

    def close(self, veh: Vehicle, site: str, arrive_s: float, unloaded_s: float) -> None:
        """Record ``veh``'s current trip, which ended tipping at ``site``, and start its next
        trip at ``unloaded_s`` (call after ``veh.trips`` counts the tip)."""
        self._rows(veh, site, arrive_s, unloaded_s)
        veh.trip_points = {}
        veh.trip_kg = {}
        veh.trip_extra = False
        veh.trip_start = unloaded_s

    def close_open(self, vehicles: Iterable[Vehicle]) -> None:
        """At the end of the horizon: the waste still in each vehicle, as a trip without a
        destination (its number is the next one of the shift)."""
        for veh in vehicles:
            if veh.trip_kg:
                self._rows(veh, "", np.nan, np.nan, trip=veh.trips + 1)
                veh.trip_kg = {}

    def _rows(
        self, veh: Vehicle, site: str, arrive: float, unloaded: float, trip: int | None = None
    ) -> None:
        points = tuple(veh.trip_points)
        number = veh.trips if trip is None else trip
        for day, kg in veh.trip_kg.items():
            self.rows.append(
                (
                    day,
                    veh.id,
                    veh.type_id,
                    veh.stream,
                    number,
                    veh.trip_extra,
                    points,
                    site,
                    kg,
                    veh.trip_start,
                    arrive,
                    unloaded,
                )
            )


def empty_ledger() -> pd.DataFrame:
    """A ledger without rows (a result made without a ledger)."""
    return pd.DataFrame(columns=list(LEDGER_COLUMNS))


def _times(start: np.datetime64, seconds: Sequence[float]) -> pd.Series:
    """Seconds since ``start`` as date-times to the second (NaN: NaT)."""
    secs = np.asarray(seconds, dtype=float)
    whole = np.where(np.isfinite(secs), np.round(secs), 0).astype("int64")
    out = start + whole.astype("timedelta64[s]")
    return pd.Series(np.where(np.isfinite(secs), out, np.datetime64("NaT", "s")))


def ledger_frame(
    rows: Sequence[TripRow], *, dates: Sequence[dt.date], point_ids: Sequence[str]
) -> pd.DataFrame:
    """The ledger table (:data:`LEDGER_COLUMNS`) of ``rows``, in day, vehicle and trip order;
    ``dates``: the horizon's dates (day 0 starts at 00:00 of ``dates[0]``)."""
    if not rows:
        return empty_ledger()
    cols = list(zip(*rows, strict=True))
    start = np.datetime64(dates[0], "s")
    day = np.asarray(cols[0], dtype=np.int64)
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(np.asarray(dates, dtype="datetime64[D]")[day]).date,
            "day": day,
            "stream": cols[3],
            "vehicle": cols[1],
            "vehicle_type": cols[2],
            "trip": np.asarray(cols[4], dtype=np.int64),
            "unplanned": np.asarray(cols[5], dtype=bool),
            "points_served": [len(p) for p in cols[6]],
            "point_ids": [" ".join(point_ids[i] for i in p) for p in cols[6]],
            "destination": cols[7],
            "t": np.asarray(cols[8], dtype=float) / 1000.0,
            "depart": _times(start, cols[9]),
            "arrive": _times(start, cols[10]),
            "unloaded": _times(start, cols[11]),
        }
    )
    frame = frame.sort_values(["day", "depart", "vehicle", "trip"], kind="stable")
    return frame.reset_index(drop=True)[list(LEDGER_COLUMNS)]


def ledger_daily(ledger: pd.DataFrame) -> pd.DataFrame:
    """Per date and stream (:data:`DAILY_COLUMNS`): vehicles that made a trip, trips (a trip
    split over two days counts on each), unplanned trips, distinct points served, tonnes."""
    if ledger.empty:
        return pd.DataFrame(columns=list(DAILY_COLUMNS))
    g = ledger.groupby(["date", "stream"], sort=True)
    out = pd.DataFrame(
        {
            "vehicles": g["vehicle"].nunique(),
            "trips": g.size(),
            "unplanned_trips": g["unplanned"].sum().astype(int),
            "points_served": g["point_ids"].agg(_distinct_points),
            "t": g["t"].sum(),
        }
    )
    return out.reset_index()[list(DAILY_COLUMNS)]


def _distinct_points(ids: pd.Series) -> int:
    return len({p for text in ids for p in str(text).split()})


def ledger_monthly(ledger: pd.DataFrame, dates: Sequence[dt.date]) -> pd.DataFrame:
    """Per month and stream (:data:`MONTHLY_COLUMNS`); ``month`` is the month's first day,
    ``days`` the days of ``dates`` (the horizon) in that month, ``t_per_day`` = t / days."""
    if ledger.empty:
        return pd.DataFrame(columns=list(MONTHLY_COLUMNS))
    first = [d.replace(day=1) for d in ledger["date"]]
    days_in: dict[dt.date, int] = {}
    for d in dates:
        days_in[d.replace(day=1)] = days_in.get(d.replace(day=1), 0) + 1
    g = ledger.assign(month=first).groupby(["month", "stream"], sort=True)
    out = pd.DataFrame(
        {
            "vehicle_days": g[["date", "vehicle"]].apply(lambda x: len(x.drop_duplicates())),
            "trips": g.size(),
            "unplanned_trips": g["unplanned"].sum().astype(int),
            "t": g["t"].sum(),
        }
    ).reset_index()
    out["days"] = out["month"].map(days_in).astype(int)
    out["t_per_day"] = out["t"] / out["days"]
    return out[list(MONTHLY_COLUMNS)]


def reconcile(ledger: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Per day and stream of ``daily`` (the simulation's daily table): its ``collected_t``
    next to the ledger's tonnes, and the difference ``diff_t`` (0 up to rounding)."""
    booked: Any = ledger.groupby(["day", "stream"])["t"].sum() if len(ledger) else {}
    out = daily[["day", "date", "stream", "collected_t"]].copy()
    keys = zip(out["day"], out["stream"], strict=True)
    out["ledger_t"] = [float(booked.get(k, 0.0)) for k in keys]
    out["diff_t"] = out["ledger_t"] - out["collected_t"]
    return out
