"""Checks of times across midnight: shifts against the next day's shift and the depot's hours,
and the per-stream time windows of points.

Times are seconds after midnight of the planning day and may pass 24:00 (``26:00`` is 02:00
the next morning, :mod:`wasteopt.clock`). Opening hours repeat every day
(:func:`wasteopt.clock.daily_hours`). The rules:

- a vehicle type's shift lasts at most 24 h: a longer one would still run when the same
  vehicles start the next day's shift (each vehicle works one shift per planning day);
- a vehicle type's shift lies inside its depot's open hours (one stretch of them: the vehicles
  leave and come back while the depot is open). A haul type based at a station is not checked
  (a station's hours are its tipping hours, not a garage's);
- a point's stream window (``tw_start.<stream>``, ``tw_end.<stream>``) does not end before it
  starts.
"""

from __future__ import annotations

from wasteopt.clock import DAY_S, MAX_S, daily_hours, format_hhmm
from wasteopt.scenario.model import CollectionPoint, Scenario, VehicleType
from wasteopt.scenario.report import ProblemReport

__all__ = ["check_point_windows", "check_shifts"]


def _span(a: int, b: int) -> str:
    return f"{format_hhmm(a)}–{format_hhmm(b)}"


def check_point_windows(r: ProblemReport, p: CollectionPoint) -> None:
    """Each per-stream window of ``p`` ends at or after its start."""
    for sid, (a, b) in p.stream_windows().items():
        if b < a:
            # name the end the user wrote for this stream (the other one may be the point's)
            own_end = sid in p.tw_end_by_stream
            field = f"tw_end.{sid}" if own_end else f"tw_start.{sid}"
            r.add(
                "points",
                p.id,
                field,
                f"the {sid} window ends before it starts ({_span(a, b)})",
                format_hhmm(b if own_end else a),
                f"a time after {format_hhmm(a)}" if own_end else f"a time before {format_hhmm(b)}",
            )


def check_shifts(s: Scenario, r: ProblemReport) -> None:
    """Every vehicle type: a shift of at most 24 h, inside its depot's open hours."""
    depots = {d.id: d for d in s.depots}
    for vt in s.vehicle_types:
        if vt.shift_end_s <= vt.shift_start_s:
            continue  # reported by the record check
        if vt.shift_end_s - vt.shift_start_s > DAY_S:
            r.add(
                "vehicle_types",
                vt.id,
                "shift_end",
                f"vehicle type {vt.id}: the shift {_span(vt.shift_start_s, vt.shift_end_s)} is "
                f"longer than 24 h, so it still runs when the same vehicles start the next "
                f"day's shift at {format_hhmm(vt.shift_start_s + DAY_S)}",
                format_hhmm(vt.shift_end_s),
                f"a shift end at or before {format_hhmm(vt.shift_start_s + DAY_S)}",
            )
            continue
        depot = depots.get(vt.depot)
        if depot is not None and depot.close_s > depot.open_s:
            _shift_in_depot_hours(r, vt, depot.id, depot.open_s, depot.close_s)


def _shift_in_depot_hours(
    r: ProblemReport, vt: VehicleType, depot: str, open_s: int, close_s: int
) -> None:
    """Report ``vt`` when its shift leaves the depot's open hours (repeated every day)."""
    start, end = vt.shift_start_s, vt.shift_end_s
    hours = daily_hours(open_s, close_s, 0, MAX_S)
    inside = next(((a, b) for a, b in hours if a <= start <= b), None)
    if inside is not None and end <= inside[1]:
        return
    shift, opened = _span(start, end), _span(open_s, close_s)
    head = f"vehicle type {vt.id} works {shift} but its depot {depot} is open {opened} (every day)"
    if inside is None:
        r.add(
            "vehicle_types",
            vt.id,
            "shift_start",
            f"{head}: it is closed at {format_hhmm(start)}, when the shift starts",
            format_hhmm(start),
            f"a shift inside the depot's hours, or depots.csv open of {depot} at "
            f"{format_hhmm(start)} or earlier",
        )
        return
    later = "" if end <= DAY_S else " (times past 24:00 are the next morning)"
    r.add(
        "vehicle_types",
        vt.id,
        "shift_end",
        f"{head}: it closes at {format_hhmm(inside[1])}, before the shift ends",
        format_hhmm(end),
        f"a shift inside the depot's hours, or depots.csv close of {depot} at "
        f"{format_hhmm(end)} or later{later}",
    )
