"""Reader of the Kim, Kim & Sahoo (2006) waste-collection VRPTW instances.

Units: Manhattan distance in feet; ``distance_m`` is metres (1 ft = 0.3048 m, rounded per edge)
and ``durations_s`` seconds at the header speed, **rounded up** per edge: every integer travel
time is at least the exact one, so a plan the checker finds on time is on time in exact
(unrounded) travel times too (rounding to the nearest second hid arrivals up to a few seconds
late). :func:`kim_exact_durations` gives the unrounded times and :func:`late_in_exact_time`
re-checks a plan with them. Loads are cubic yards (real numbers) stored ×100 as integers in the
``*_kg`` fields (``load_kg=1230`` means 12.30 yd³); vehicle capacity, daily route capacity
(``max_shift_load_kg``) likewise. ``cost_per_km = 1/1.609344`` so the distance cost is miles.
Lunch of the header duration starting 11:00–12:00, after any visit (``Lunch.place =
"anywhere"``: the instances set no rule on where, and the benchmark figures stay comparable with
earlier runs); shifts within the depot's hours; the header's number of stops per route.

Objective (``objective=``):

* ``"distance"`` (default): miles, plus ``vehicle_cost`` per used vehicle (default 0);
* ``"vehicles_then_distance"``: the literature's hierarchical objective (Kim et al. 2006 and
  later papers rank solutions by vehicles first, then distance). Each used vehicle costs
  :func:`hierarchical_vehicle_cost` miles, ``ceil(3 · n · d_max) + 1`` for ``n`` stops and the
  longest leg ``d_max``: no plan whose trips each serve a stop drives that far (it has at most
  ``n`` legs into stops, ``n`` into unload sites and ``n`` back to the depot), so one vehicle
  fewer always lowers the cost, and among plans with equally many vehicles the shorter wins.
  Distance = cost − vehicles × that weight.

File layout: five header lines (``value // comment``: vehicle capacity, route capacity, stops
per route, lunch seconds, speed in mph), then one row per site: ``Stop_ID X Y Early Late
Service Load Type`` with times as ``HHMM`` and type 0 (depot), 1 (stop) or 2 (disposal site).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from wasteopt.errors import InputError, Problem
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import Depot, Fleet, Lunch, RoutingProblem, Stop, UnloadSite

__all__ = [
    "KimObjective",
    "LateVisit",
    "hierarchical_vehicle_cost",
    "kim_exact_durations",
    "kim_hhmm_s",
    "late_in_exact_time",
    "read_kim",
]

KimObjective = Literal["distance", "vehicles_then_distance"]

log = logging.getLogger("wasteopt")

_FT_M = 0.3048
_MILE_KM = 1.609344
_MILE_FT = 5280.0
_KIM_LUNCH_S = (11 * 3600, 12 * 3600)  # header comment: "lunch time should start 11:00–12:00"
_KIM_SCALE = 100  # yards → hundredths of a yard
_DIGITS = re.compile(r"^\d{1,4}$")
_CEIL_TOL = 1e-9  # a travel time of 3.0000000001 s is 3 s computed in floating point, not 4
_HEADER = (
    "vehicle capacity (yd3)",
    "route capacity (yd3/day)",
    "max stops per route",
    "lunch duration (s)",
    "speed (mph)",
)


class _Row(NamedTuple):
    """One site row of a Kim file; ``kind`` 0 depot, 1 stop, 2 disposal site."""

    stop_id: str
    x: float
    y: float
    early_s: int
    late_s: int
    service_s: int
    load_yd: float
    kind: int


def kim_hhmm_s(text: str) -> int:
    """Seconds after midnight of a Kim-format ``HHMM`` time that need not be zero-padded:
    ``"700"`` → 7:00, ``"0"`` → 0, ``"0400"`` → 4:00, ``"2400"`` → 86400.

    A few rows of the published files carry minutes of 60 or more (``875``, ``1675``); they are
    read literally as hours·3600 + minutes·60 (``1675`` → 17:15), i.e. the minutes carry over.
    """
    t = str(text).strip()
    if not _DIGITS.match(t):
        raise ValueError("not an HHMM time (1 to 4 digits)")
    hours, minutes = divmod(int(t), 100)
    if hours > 48:
        raise ValueError("hours above 48")
    return hours * 3600 + minutes * 60


_FIELDS: tuple[tuple[str, Callable[[str], float]], ...] = (
    ("X", float),
    ("Y", float),
    ("Early_St_Time", kim_hhmm_s),
    ("Late_St_Time", kim_hhmm_s),
    ("Service_Time", int),
    ("Load", float),
    ("Stop_Type", int),
)


def read_kim(
    path: str | os.PathLike[str],
    *,
    vehicle_cost: float = 0.0,
    objective: KimObjective = "distance",
    stream: str = "waste",
) -> RoutingProblem:
    """Read a Kim, Kim & Sahoo (2006) waste-collection VRPTW instance (see module docstring).

    Location ids are the file's ``Stop_ID`` values as text; matrices follow row order.
    ``objective="vehicles_then_distance"`` sets the fixed cost per vehicle to
    :func:`hierarchical_vehicle_cost` (``vehicle_cost`` must then stay 0).
    Raises :class:`InputError` listing every malformed header value or row.
    """
    if objective not in ("distance", "vehicles_then_distance"):
        raise ValueError(f"unknown Kim objective {objective!r}")
    if objective == "vehicles_then_distance" and vehicle_cost:
        raise ValueError("vehicle_cost is set by the hierarchical objective; leave it 0")
    path = Path(path)
    lines, header, rows = _read_file(path)
    _warn_carried_minutes(lines, path.name)
    problem = _kim_problem(path.stem, rows, header, vehicle_cost=vehicle_cost, stream=stream)
    if objective == "distance":
        return problem
    fleet = replace(problem.fleets[0], fixed_cost=hierarchical_vehicle_cost(problem))
    return replace(problem, fleets=(fleet,))


def _read_file(path: Path) -> tuple[list[str], list[float], list[_Row]]:
    """The non-blank lines, the header values and the site rows of a Kim file."""
    fname = str(path)
    try:
        text = path.read_text(encoding="latin-1")
    except FileNotFoundError:
        raise InputError([Problem(file=fname, message="file not found")]) from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    problems: list[Problem] = []
    header = _read_header(lines, fname, problems)
    rows = _read_rows(lines, fname, problems)
    _check_sites(rows, fname, problems)
    if problems:
        raise InputError(problems)
    return lines, header, rows


def hierarchical_vehicle_cost(problem: RoutingProblem) -> float:
    """Miles per used vehicle that make fewer vehicles always win: ``ceil(3·n·d_max) + 1``
    (``n`` stops, ``d_max`` the longest leg in miles; see the module docstring)."""
    fleet = problem.fleets[0]
    d_max_km = float(np.asarray(problem.distance_m).max(initial=0)) / 1000.0
    return float(math.ceil(3 * len(problem.stops) * d_max_km * fleet.cost_per_km) + 1)


def kim_exact_durations(path: str | os.PathLike[str]) -> npt.NDArray[np.float64]:
    """Unrounded travel times (s) between the sites of a Kim file, in row order (the order of
    ``read_kim(path).locations``): Manhattan feet at the header speed."""
    _, header, rows = _read_file(Path(path))
    return _exact_seconds(rows, header[4])


def _read_header(lines: list[str], fname: str, problems: list[Problem]) -> list[float]:
    """The five positive header numbers (1.0 stands in for a bad one, which is reported)."""
    header: list[float] = []
    for k, label in enumerate(_HEADER):
        raw = lines[k].split("//")[0].strip() if k < len(lines) else ""
        try:
            value = float(raw)
            if not value > 0:
                raise ValueError
        except ValueError:
            problems.append(
                Problem(
                    file=fname,
                    where=f"line {k + 1}",
                    field=label,
                    message="bad header value",
                    value=raw,
                    expected="a positive number",
                )
            )
            value = 1.0
        header.append(value)
    return header


def _read_rows(lines: list[str], fname: str, problems: list[Problem]) -> list[_Row]:
    """The site rows after the header; rows whose fields do not parse are reported and left
    out, rows with a bad type, window or service time are reported and kept."""
    rows: list[_Row] = []
    for ln_no, line in enumerate(lines[5:], start=6):
        tok = line.split()
        if tok and tok[0].lower().startswith("stop_id"):
            continue  # column header
        where = f"data line {ln_no}" + (f" (Stop_ID={tok[0]})" if tok else "")
        if len(tok) != 8:
            problems.append(
                Problem(
                    file=fname,
                    where=where,
                    message="wrong number of fields",
                    value=str(len(tok)),
                    expected="8",
                )
            )
            continue
        row = _parse_row(tok, fname, where, problems)
        if row is not None:
            _check_row(row, tok, fname, where, problems)
            rows.append(row)
    return rows


def _parse_row(tok: list[str], fname: str, where: str, problems: list[Problem]) -> _Row | None:
    """Convert the eight fields, reporting every one that does not parse."""
    values: list[float] = []
    for j, (fieldname, conv) in enumerate(_FIELDS, start=1):
        try:
            values.append(conv(tok[j]))
        except ValueError as exc:
            problems.append(
                Problem(
                    file=fname,
                    where=where,
                    field=fieldname,
                    message=str(exc) or "not a number",
                    value=tok[j],
                )
            )
    if len(values) < len(_FIELDS):
        return None
    x, y, early, late, svc, load, kind = values
    return _Row(tok[0], x, y, int(early), int(late), int(svc), load, int(kind))


def _check_row(row: _Row, tok: list[str], fname: str, where: str, problems: list[Problem]) -> None:
    """A known type, a window that does not end before it starts, a service time >= 0."""
    if row.kind not in (0, 1, 2):
        problems.append(
            Problem(
                file=fname,
                where=where,
                field="Stop_Type",
                message="unknown type",
                value=str(row.kind),
                expected="0 (depot), 1 (stop) or 2 (disposal site)",
            )
        )
    if row.late_s < row.early_s:
        problems.append(
            Problem(
                file=fname,
                where=where,
                field="Late_St_Time",
                message="window ends before it starts",
                value=tok[4],
                expected=f">= {tok[3]}",
            )
        )
    if row.service_s < 0:
        problems.append(
            Problem(
                file=fname,
                where=where,
                field="Service_Time",
                message="negative",
                value=tok[5],
                expected=">= 0",
            )
        )


def _check_sites(rows: list[_Row], fname: str, problems: list[Problem]) -> None:
    """Unique ids, exactly one depot and at least one disposal site."""
    seen: set[str] = set()
    for r in rows:
        if r.stop_id in seen:
            problems.append(
                Problem(
                    file=fname,
                    where=f"Stop_ID={r.stop_id}",
                    field="Stop_ID",
                    message="duplicate id",
                    value=r.stop_id,
                    expected="unique ids",
                )
            )
        seen.add(r.stop_id)
    n_depots = sum(1 for r in rows if r.kind == 0)
    if n_depots != 1:
        problems.append(
            Problem(
                file=fname,
                field="Stop_Type",
                message="depot rows",
                value=str(n_depots),
                expected="exactly one type-0 row",
            )
        )
    if not any(r.kind == 2 for r in rows):
        problems.append(
            Problem(
                file=fname,
                field="Stop_Type",
                message="no disposal site",
                expected="at least one type-2 row",
            )
        )


def _warn_carried_minutes(lines: list[str], name: str) -> None:
    carried = sum(
        1
        for line in lines[5:]
        for t in line.split()[3:5]
        if _DIGITS.match(t) and int(t) % 100 >= 60
    )
    if carried:
        log.warning("%s: %d HHMM values with minutes >= 60 read as carried minutes", name, carried)


def _feet(rows: list[_Row]) -> npt.NDArray[np.float64]:
    xy = np.array([[r.x, r.y] for r in rows], dtype=float)
    feet: npt.NDArray[np.float64] = np.abs(xy[:, None, 0] - xy[None, :, 0]) + np.abs(
        xy[:, None, 1] - xy[None, :, 1]
    )
    return feet


def _exact_seconds(rows: list[_Row], speed_mph: float) -> npt.NDArray[np.float64]:
    # feet·3600 / (mph·5280) keeps whole seconds whole (176 ft at 40 mph is 3.0 s, not 3.0000…4)
    seconds: npt.NDArray[np.float64] = _feet(rows) * 3600.0 / (speed_mph * _MILE_FT)
    return seconds


def _kim_matrices(
    rows: list[_Row], speed_mph: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Manhattan distances in metres (nearest per edge) and travel times in seconds, rounded
    up per edge so that integer schedules are never earlier than exact ones."""
    dist = np.round(_feet(rows) * _FT_M).astype(np.int64)
    dur = np.ceil(_exact_seconds(rows, speed_mph) - _CEIL_TOL).astype(np.int64)
    return dist, dur


def _kim_problem(
    name: str, rows: list[_Row], header: list[float], *, vehicle_cost: float, stream: str
) -> RoutingProblem:
    """One depot, the disposal sites as unload sites, one truck per stop available."""
    cap_yd, route_yd, max_stops, lunch_s, speed_mph = header
    dist, dur = _kim_matrices(rows, speed_mph)
    d = next(r for r in rows if r.kind == 0)
    depot = Depot(id=d.stop_id, open_s=d.early_s, close_s=d.late_s)
    sites = tuple(
        UnloadSite(
            id=r.stop_id,
            streams=(stream,),
            open_s=r.early_s,
            close_s=r.late_s,
            unload_s=r.service_s,
        )
        for r in rows
        if r.kind == 2
    )
    stops = tuple(
        Stop(
            id=r.stop_id,
            stream=stream,
            load_kg=round(r.load_yd * _KIM_SCALE),
            service_s=r.service_s,
            tw_start_s=r.early_s,
            tw_end_s=r.late_s,
        )
        for r in rows
        if r.kind == 1
    )
    fleet = Fleet(
        id="truck",
        stream=stream,
        depot=depot.id,
        count=len(stops),
        capacity_kg=round(cap_yd * _KIM_SCALE),
        shift_start_s=depot.open_s,
        shift_end_s=depot.close_s,
        lunch=Lunch(  # the instances' rule: the break after any visit, loaded or not
            earliest_s=_KIM_LUNCH_S[0],
            latest_s=_KIM_LUNCH_S[1],
            duration_s=round(lunch_s),
            place="anywhere",
        ),
        max_stops=round(max_stops),
        max_shift_load_kg=round(route_yd * _KIM_SCALE),
        fixed_cost=float(vehicle_cost),
        cost_per_km=1.0 / _MILE_KM,
    )
    return RoutingProblem(
        name=name,
        stream=stream,
        stops=stops,
        sites=sites,
        depots=(depot,),
        fleets=(fleet,),
        locations=tuple(r.stop_id for r in rows),
        distance_m=dist,
        durations_s=(dur,),
        depot_unloads=False,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LateVisit:
    """A limit missed in exact travel times: ``kind`` is ``stop`` (service starts after the
    window closes), ``unload`` (after the site closes), ``lunch`` (break after its latest
    start) or ``depot`` (return after the depot closes or the shift ends); ``late_s`` > 0."""

    vehicle: str
    kind: Literal["stop", "unload", "lunch", "depot"]
    id: str
    late_s: float


def late_in_exact_time(
    problem: RoutingProblem,
    plan: RoutePlan,
    durations_s: npt.NDArray[np.float64],
    *,
    tol_s: float = 1e-6,
) -> list[LateVisit]:
    """Every limit that ``plan`` misses when its routes are timed with ``durations_s``
    (unrounded seconds indexed like ``problem.locations``, e.g. :func:`kim_exact_durations`)
    instead of the problem's integer matrix.

    Each route is timed as the checker times it (:mod:`wasteopt.routing.check`): it leaves
    its depot at ``start_s``, waits for each window to open, serves, takes the break after
    visit ``lunch_after`` at ``max(ready, earliest)`` and drives home. Ids the problem lacks
    are skipped (the checker reports them)."""
    if durations_s.shape != (len(problem.locations),) * 2:
        raise ValueError(
            f"durations_s is {durations_s.shape}; the problem has {len(problem.locations)} sites"
        )
    walk = _ExactWalk(problem, durations_s, tol_s)
    for route in plan.routes:
        if route.visits:
            walk.route(route.vehicle, route.fleet, route.start_s, route.visits, route.lunch_after)
    return walk.late


class _ExactWalk:
    """The routes of one plan timed in floating-point seconds, collecting :class:`LateVisit`."""

    def __init__(
        self, problem: RoutingProblem, durations_s: npt.NDArray[np.float64], tol_s: float
    ) -> None:
        self.index = problem.index()
        self.stops = {s.id: s for s in problem.stops}
        self.sites = {s.id: s for s in problem.sites}
        self.fleets = {f.id: f for f in problem.fleets}
        self.depots = {d.id: d for d in problem.depots}
        self.durations = durations_s
        self.tol = tol_s
        self.late: list[LateVisit] = []

    def _flag(
        self,
        vehicle: str,
        kind: Literal["stop", "unload", "lunch", "depot"],
        where: str,
        when: float,
        limit: float,
    ) -> None:
        if when > limit + self.tol:
            self.late.append(LateVisit(vehicle=vehicle, kind=kind, id=where, late_s=when - limit))

    def route(
        self,
        vehicle: str,
        fleet_id: str,
        start_s: int,
        visits: tuple[str, ...],
        lunch_after: int | None,
    ) -> None:
        fleet = self.fleets.get(fleet_id)
        depot = None if fleet is None else self.depots.get(fleet.depot)
        if fleet is None or depot is None or depot.id not in self.index:
            return
        lunch = fleet.lunch if lunch_after is not None else None
        t, prev = float(start_s), self.index[depot.id]

        def take_lunch(ready: float, where: str) -> float:
            assert lunch is not None
            begin = max(ready, float(lunch.earliest_s))
            self._flag(vehicle, "lunch", where, begin, lunch.latest_s)
            return begin + lunch.duration_s

        if lunch is not None and lunch_after == -1:
            t = take_lunch(t, depot.id)
        for i, vid in enumerate(visits):
            loc = self.index.get(vid)
            if loc is not None and (vid in self.stops or vid in self.sites):
                t += float(self.durations[prev, loc])
                prev = loc
                t = self._serve(vehicle, vid, t)
            if lunch is not None and lunch_after == i:
                t = take_lunch(t, vid)
        t += float(self.durations[prev, self.index[depot.id]])
        self._flag(vehicle, "depot", depot.id, t, min(depot.close_s, fleet.shift_end_s))

    def _serve(self, vehicle: str, vid: str, arrival: float) -> float:
        """Service at a stop or unload at a site; returns when the vehicle may leave."""
        stop = self.stops.get(vid)
        if stop is not None:
            begin = max(arrival, float(stop.tw_start_s))
            self._flag(vehicle, "stop", vid, begin, stop.tw_end_s)
            return begin + stop.service_s
        site = self.sites[vid]
        begin = max(arrival, float(site.open_s))
        self._flag(vehicle, "unload", vid, begin, site.close_s)
        return begin + site.unload_s
