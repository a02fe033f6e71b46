"""The route sheet as a table: one row per schedule entry of every vehicle shift, in driving order.

:func:`route_sheet_frame` turns a checked plan into departure from the depot, each stop (planned
arrival, service time, expected kg, load after the stop), each unload visit (kg unloaded), the
lunch break and the return to the depot, with leg and cumulative km and elapsed hours. Times come
from the independent checker (:func:`wasteopt.routing.check.check_plan`), never from an engine,
so the totals of every sheet equal ``plan.check.totals``. The drivers' forms
(:mod:`wasteopt.reporting.route_book_data`) and every route-sheet file are made from it.
"""

from __future__ import annotations

import math

import pandas as pd

from wasteopt.clock import format_hhmm
from wasteopt.routing.build import fill_margin_note
from wasteopt.routing.check import check_plan
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.verdict import CheckReport
from wasteopt.scenario.model import Scenario
from wasteopt.stopids import point_of

__all__ = [
    "LUNCH_NAME",
    "NEXT_DAY_NOTE",
    "SHEET_COLUMNS",
    "past_midnight",
    "plan_notes",
    "route_sheet_frame",
    "sheet_report",
]

SHEET_COLUMNS: tuple[str, ...] = (
    "stream",
    "vehicle",
    "vehicle_type",
    "vehicle_type_name",
    "depot",
    "trip",
    "seq",
    "kind",
    "id",
    "name",
    "lon",
    "lat",
    "arrival",
    "start",
    "departure",
    "wait_min",
    "service_min",
    "expected_kg",
    "unload_kg",
    "load_after_kg",
    "leg_km",
    "cum_km",
    "elapsed_h",
    "arrival_s",
    "start_s",
    "departure_s",
    "leg_m",
)
"""Columns of :func:`route_sheet_frame`. ``kind`` is ``depart``, ``stop``, ``unload``,
``lunch`` or ``return``; ``trip`` (from 1) is empty on depart, lunch and return rows (a break
is never shown as a trip); times are ``HH:MM`` (``_s``: seconds after midnight of the day). Times
of a night shift after midnight continue past 24:00, as in the scenario's own files: ``25:10``
is 01:10 the next morning (the forms show 25:10 too, as text in the PDF and as an ``[hh]:mm``
time in the XLSX, and say so: :data:`NEXT_DAY_NOTE`)."""

LUNCH_NAME = "午休 lunch break"
"""The name of a lunch row, followed by `` @ <place>`` where the place has a name."""
NEXT_DAY_NOTE = "时间超过 24:00 为次日凌晨 times past 24:00 are the next morning: 25:10 = 01:10"
"""The note the XLSX and PDF forms carry when a shift runs past midnight."""


def sheet_report(plan: RoutePlan, problem: RoutingProblem) -> CheckReport:
    """The plan's own check, or a fresh one when the plan carries none."""
    return plan.check if plan.check is not None else check_plan(problem, plan)


def _places(scenario: Scenario, problem: RoutingProblem) -> dict[str, tuple[str, float, float]]:
    """Location id → (name, lon, lat) for every depot, site and stop of the problem."""
    coords = {sid: (lon, lat) for sid, lon, lat in scenario.sites()}
    names: dict[str, str] = {}
    names.update({x.id: x.name for x in scenario.depots})
    names.update({x.id: x.name for x in scenario.stations})
    names.update({x.id: x.name for x in scenario.facilities})
    names.update({x.id: x.name for x in scenario.points})
    # Names the routing problem gives win over the scenario's.
    names.update({x.id: x.name for x in problem.depots if x.name})
    names.update({x.id: x.name for x in problem.sites if x.name})
    names.update({x.id: x.name for x in problem.stops if x.name})
    out: dict[str, tuple[str, float, float]] = {}
    for loc in problem.locations:
        base = point_of(loc) if loc not in coords else loc
        lon, lat = coords.get(base, (math.nan, math.nan))
        out[loc] = (names.get(loc) or names.get(base, ""), lon, lat)
    return out


def route_sheet_frame(plan: RoutePlan, problem: RoutingProblem, scenario: Scenario) -> pd.DataFrame:
    """One row per schedule entry of every used vehicle, in driving order (see
    :data:`SHEET_COLUMNS`). Uses ``plan.check`` (or checks the plan when it has none)."""
    report = sheet_report(plan, problem)
    places = _places(scenario, problem)
    stops = {s.id: s for s in problem.stops}
    fleets = {f.id: f for f in problem.fleets}
    type_names = {v.id: v.name for v in scenario.vehicle_types}
    rows: list[dict[str, object]] = []
    for rt in report.routes:
        fleet = fleets.get(rt.fleet)
        depot = fleet.depot if fleet is not None else ""
        cum_m = 0
        load_before = 0
        last = len(rt.visits) - 1
        for i, v in enumerate(rt.visits):
            name, lon, lat = places.get(v.id, ("", math.nan, math.nan))
            kind: str = v.kind
            expected = unload = 0
            if kind == "depot":
                kind = "depart" if i == 0 else "return"
                if kind == "return" and problem.depot_unloads:
                    unload = load_before
            elif kind == "stop":
                expected = stops[v.id].load_kg if v.id in stops else 0
            elif kind == "unload":
                unload = load_before
            elif kind == "lunch":
                name = f"{LUNCH_NAME} @ {name}" if name else LUNCH_NAME
            cum_m += v.distance_from_prev_m
            # The departure row: leaving time is its end (after a lunch taken at the depot).
            depart_s = v.end_s
            rows.append(
                {
                    "stream": plan.stream,
                    "vehicle": rt.vehicle,
                    "vehicle_type": rt.fleet,
                    "vehicle_type_name": type_names.get(rt.fleet, ""),
                    "depot": depot,
                    # A break is no trip: the checker counts it in the trip under way, and
                    # after the last unload that is a trip N+1 that never runs.
                    "trip": None if kind == "lunch" else v.trip,
                    "seq": v.seq,
                    "kind": kind,
                    "id": v.id,
                    "name": name,
                    "lon": lon,
                    "lat": lat,
                    "arrival": format_hhmm(v.arrival_s),
                    "start": format_hhmm(v.start_s),
                    "departure": format_hhmm(depart_s),
                    "wait_min": (v.start_s - v.arrival_s) / 60.0 if kind != "depart" else 0.0,
                    "service_min": (v.end_s - v.start_s) / 60.0 if kind != "depart" else 0.0,
                    "expected_kg": expected,
                    "unload_kg": unload,
                    "load_after_kg": v.load_after_kg,
                    "leg_km": v.distance_from_prev_m / 1000.0,
                    "cum_km": cum_m / 1000.0,
                    "elapsed_h": ((v.end_s if i < last else v.arrival_s) - rt.start_s) / 3600.0,
                    "arrival_s": v.arrival_s,
                    "start_s": v.start_s,
                    "departure_s": depart_s,
                    "leg_m": v.distance_from_prev_m,
                }
            )
            if kind in ("stop", "unload"):
                load_before = v.load_after_kg
    frame = pd.DataFrame(rows, columns=list(SHEET_COLUMNS))
    frame["trip"] = frame["trip"].astype("Int64")
    return frame


def plan_notes(
    plan: RoutePlan, problem: RoutingProblem, sheet: pd.DataFrame, *, fill_margin: float | None
) -> list[str]:
    """What a sheet must say besides its rows: stops left unserved, times past midnight, the
    fill margin the routes were planned to (``None``: said elsewhere) and checker findings."""
    notes: list[str] = []
    if plan.unserved:
        notes.append(f"未收集 unserved stops ({len(plan.unserved)}): {', '.join(plan.unserved)}")
    if past_midnight(sheet):
        notes.append(NEXT_DAY_NOTE)
    if fill_margin is not None and (margin_note := fill_margin_note(fill_margin)):
        notes.append(margin_note)
    report = sheet_report(plan, problem)
    if not report.ok:
        notes.append(f"检查未通过 checker found {len(report.violations)} violation(s)")
    return notes


def past_midnight(sheet: pd.DataFrame) -> bool:
    """True when a time of the :func:`route_sheet_frame` is 24:00 or later."""
    times = sheet[["arrival_s", "start_s", "departure_s"]]
    return bool(len(sheet)) and bool((times >= 86400).to_numpy().any())
