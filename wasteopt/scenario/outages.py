"""Plant outages and retrofits (``plant_outages.csv``): reading a row and checking the table.

A row takes capacity from one treatment facility: ``planned`` and ``retrofit`` rows on the
days ``start`` … ``start + days − 1``; an ``unplanned`` row draws outages at random in the
simulation (``rate_per_year``, ``mean_days``). The loss is ``t_per_day_lost`` (tonnes a day)
or ``share_lost`` (of ``capacity_t_per_day``), exactly one of them; ``external_kept`` (0..1,
default 1) is the share of the plant's ``external_t_per_day`` it still takes meanwhile (the
other districts' load sent elsewhere during a planned retrofit: 0). The checks refuse an
unknown facility, a loss above the facility's capacity, a dated row without its dates, an
unplanned row without its rate, and two active dated rows of one facility that overlap (write
the combined loss in one row). What the simulation does with them:
:mod:`wasteopt.simulation.availability`.
"""

from __future__ import annotations

import datetime as dt
import itertools

from wasteopt.scenario.csv_tables import Row
from wasteopt.scenario.model import OUTAGE_KINDS, PlantOutage, Scenario
from wasteopt.scenario.report import ProblemReport

__all__ = ["TABLE", "check_outages", "outage_end", "plant_outage"]

TABLE = "plant_outages"
_DATE_EXPECTED = "a date as YYYY-MM-DD"


def plant_outage(r: Row) -> PlantOutage | None:
    """One row of ``plant_outages.csv``; None when a cell failed."""
    v = r.values()
    start: dt.date | None = None
    text = v["start"] or ""
    if text:
        try:
            start = dt.date.fromisoformat(text)
        except ValueError:
            r.bad("start", "not a valid date", text, _DATE_EXPECTED)
    if r.failed:
        return None
    return PlantOutage(
        id=v["id"],
        facility_id=v["facility_id"],
        kind=v["kind"],
        start=start,
        days=v["days"],
        t_per_day_lost=v["t_per_day_lost"],
        share_lost=v["share_lost"],
        lines=v["lines"],
        rate_per_year=v["rate_per_year"],
        mean_days=v["mean_days"],
        external_kept=v["external_kept"],
        active=v["active"],
        source=v["source"],
    )


def outage_end(o: PlantOutage) -> dt.date | None:
    """The first day after a dated outage (None for an unplanned row)."""
    return None if o.start is None else o.start + dt.timedelta(days=o.days)


def check_outages(s: Scenario, r: ProblemReport) -> None:
    """Every problem of ``s.plant_outages`` (see the module docstring)."""
    facilities = {f.id: f for f in s.facilities}
    for o in s.plant_outages:
        i = o.id
        f = facilities.get(o.facility_id)
        if f is None and not r.known("facilities", o.facility_id, ()):
            r.add(TABLE, i, "facility_id", "unknown treatment facility", o.facility_id)
        if o.kind not in OUTAGE_KINDS:
            r.add(TABLE, i, "kind", "unknown outage kind", o.kind, ", ".join(OUTAGE_KINDS))
        elif o.kind == "unplanned":
            _check_unplanned(r, o)
        else:
            _check_dated(r, o)
        _check_loss(r, o, f.capacity_t_per_day if f is not None else None)
        r.number(TABLE, i, "external_kept", o.external_kept, ge=0, le=1)
    _check_overlaps(s, r)


def _check_dated(r: ProblemReport, o: PlantOutage) -> None:
    i = o.id
    if o.start is None:
        r.add(TABLE, i, "start", f"a {o.kind} outage needs its first day", "", _DATE_EXPECTED)
    if o.days < 1:
        r.add(TABLE, i, "days", "must be >= 1 for a dated outage", o.days, "days it lasts")
    for name, value in (("rate_per_year", o.rate_per_year), ("mean_days", o.mean_days)):
        if value:
            r.add(TABLE, i, name, f"only for unplanned outages, not {o.kind}", value, "empty")


def _check_unplanned(r: ProblemReport, o: PlantOutage) -> None:
    i = o.id
    r.number(TABLE, i, "rate_per_year", o.rate_per_year, gt=0, le=365)
    r.number(TABLE, i, "mean_days", o.mean_days, ge=1, le=3650)
    if o.start is not None or o.days:
        r.add(
            TABLE,
            i,
            "start" if o.start is not None else "days",
            "an unplanned outage has no date: the simulation draws them",
            o.start if o.start is not None else o.days,
            "empty (rate_per_year and mean_days say how often and how long)",
        )


def _check_loss(r: ProblemReport, o: PlantOutage, capacity: float | None) -> None:
    """Exactly one of ``t_per_day_lost`` (at most the capacity) and ``share_lost`` (0..1]."""
    i = o.id
    r.number(TABLE, i, "t_per_day_lost", o.t_per_day_lost, ge=0, le=capacity)
    r.number(TABLE, i, "share_lost", o.share_lost, ge=0, le=1)
    if o.t_per_day_lost > 0 and o.share_lost > 0:
        r.add(
            TABLE,
            i,
            "share_lost",
            "give either t_per_day_lost or share_lost, not both",
            o.share_lost,
            "one of them",
        )
    elif not (o.t_per_day_lost > 0 or o.share_lost > 0):
        r.add(
            TABLE,
            i,
            "t_per_day_lost",
            "no capacity lost",
            o.t_per_day_lost,
            "t_per_day_lost > 0 or share_lost in (0, 1]",
        )


def _check_overlaps(s: Scenario, r: ProblemReport) -> None:
    """Two active dated rows of one facility may not share a day."""
    dated = sorted(
        (o for o in s.plant_outages if o.active and o.start is not None and o.days >= 1),
        key=lambda o: (o.facility_id, o.start or dt.date.min, o.id),
    )
    for a, b in itertools.pairwise(dated):
        end = outage_end(a)
        if a.facility_id == b.facility_id and b.start is not None and end and b.start < end:
            r.add(
                TABLE,
                b.id,
                "start",
                f"overlaps outage {a.id} of {a.facility_id} (until {end - dt.timedelta(days=1)})",
                b.start,
                "one row per period: write the combined loss in one row",
            )
