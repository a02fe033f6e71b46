"""What the route book holds: every vehicle's form for every day of each stream's collection cycle.

Model. A stream whose due sets repeat every ``L`` days is operated by the plans
``operating.cycle_plans[stream][r]``, each followed on every horizon day ``t ≡ r (mod L)``
(:mod:`wasteopt.operations`; :meth:`OperatingPlan.plan_for` picks it). The stream's part of the
book covers one cycle: the ``L`` consecutive horizon days the operating plan routed, in calendar
order, each with its date (the scenario's start date plus the day) and weekday, and on each day
one form per vehicle that leaves a depot, depots in scenario order. The next cycle repeats the
part: a daily stream's part is one day, used every day; an every-other-day stream's two days
alternate. A variant's book (:class:`RouteBook`) holds the parts of all its streams.
The per-day route sheets are the same forms for one routed day (:func:`day_book`): a part of
one day that claims no cycle.

Each row of a form is a route-sheet row (:func:`route_sheet_frame`, times from the independent
checker) plus what a driver needs on the road: the coordinates in the run's coordinate system,
the point's street or town, and the row's time window — the point's collection window (stops),
the site's opening hours (unloads), the shift (depart, return) or the window in which the break
starts (lunch). Vehicle-days and depot-days are sums of those rows, so every total in the book
equals the checker's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wasteopt.coordinates import CRS_LABELS, Crs, transform
from wasteopt.operations import OperatingPlan
from wasteopt.reporting.route_table import plan_notes, route_sheet_frame
from wasteopt.reporting.vehicle_maps import WEEKDAYS
from wasteopt.routing.build import fill_margin_note
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.scenario.model import Scenario
from wasteopt.stopids import point_of

__all__ = [
    "BOOK_TITLE",
    "DEPOT_DAY_COLUMNS",
    "SHEETS_TITLE",
    "VEHICLE_DAY_COLUMNS",
    "BookDay",
    "RouteBook",
    "StreamBook",
    "cycle_calendar",
    "day_book",
    "day_label",
    "route_book",
    "stream_book",
    "vehicle_days",
]

VEHICLE_DAY_COLUMNS: tuple[str, ...] = (
    "key",
    "date",
    "depot",
    "depot_name",
    "vehicle",
    "fleet",
    "fleet_name",
    "start_s",
    "end_s",
    "trips",
    "stops",
    "kg",
    "unload_kg",
    "km",
    "hours",
    "first_row",
    "n_rows",
    "past_midnight",
)
"""One row per vehicle-day of a book, in book order: ``first_row`` and ``n_rows`` locate its
rows in :attr:`StreamBook.rows`; ``start_s``/``end_s`` are the shift's start and return (seconds
after midnight of the day), ``hours`` their difference; ``km`` the sum of the legs."""

DEPOT_DAY_COLUMNS: tuple[str, ...] = (
    "depot",
    "depot_name",
    "key",
    "date",
    "vehicles",
    "trips",
    "stops",
    "t",
    "km",
    "hours",
    "first_out_s",
    "last_in_s",
)
"""One row per depot and day of the cycle (days without a vehicle too): vehicles leaving the
depot, their trips, stops, planned tonnes, km, hours, first departure and last return (NaN on a
day without vehicles)."""


BOOK_TITLE = "收运路线册 Route book"
SHEETS_TITLE = "收运路线单 Route sheets"
"""The titles of a variant's cycle book and of the per-day route sheets."""


def day_label(date: dt.date) -> str:
    """``2026-01-30 周五 Fri``."""
    return f"{date.isoformat()} {WEEKDAYS[date.weekday()]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class BookDay:
    """One day of a stream's cycle: cycle key ``key`` (``0 ≤ key < L``), horizon ``day`` and
    calendar ``date``; ``notes`` say what that day's plan leaves open (unserved stops, checker
    findings)."""

    key: int
    day: int
    date: dt.date
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return day_label(self.date)


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamBook:
    """One stream's part of the book: its cycle's ``days`` in calendar order; ``rows`` the
    route-sheet rows of every vehicle-day (route-sheet columns plus ``key``, ``date``,
    ``tw_start_s``, ``tw_end_s``, ``x``, ``y`` and ``town``), in book order; ``vehicles``
    (:data:`VEHICLE_DAY_COLUMNS`) and ``depots`` (:data:`DEPOT_DAY_COLUMNS`) their sums.
    ``title`` is the stream's Chinese and English name, ``short`` its Chinese one;
    ``cycle_days`` is None for one routed day that claims no cycle (:func:`day_book`)."""

    stream: str
    title: str
    short: str
    cycle_days: int | None
    days: tuple[BookDay, ...]
    rows: pd.DataFrame
    vehicles: pd.DataFrame
    depots: pd.DataFrame

    @property
    def span(self) -> str:
        """``2026-01-30 周五 Fri – 2026-01-31 周六 Sat`` (one label for a one-day cycle)."""
        if not self.days:
            return ""
        first, last = self.days[0].label, self.days[-1].label
        return first if first == last else f"{first} – {last}"

    @property
    def repeats(self) -> str:
        """How the stream's book repeats, in Chinese and English."""
        n = self.cycle_days
        if n is None:
            return "本日路线 the routes of this day"
        if n == 1:
            return "每天重复 repeats every day"
        return f"每 {n} 天重复 repeats every {n} days"

    @property
    def days_label(self) -> str:
        """``2 天 day(s)``: how many days the part holds."""
        return f"{len(self.days)} 天 day(s)"

    def cycle_label(self, key: int) -> str:
        """Where cycle day ``key`` stands and how the part repeats, in Chinese and English."""
        n = self.cycle_days
        if n is None or n == 1:
            return self.repeats
        return f"周期第 {key + 1}/{n} 天 cycle day {key + 1} of {n}, {self.repeats}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteBook:
    """A variant's route book: one part per stream with vehicles (scenario order), the
    coordinate system ``crs`` of every coordinate, ``notes`` that hold for the whole book
    (fill margin, coordinate system), ``depots``, the names of the depots any vehicle leaves
    from (scenario order), and its ``title`` (:data:`BOOK_TITLE` or :data:`SHEETS_TITLE`)."""

    variant: str
    crs: Crs
    streams: tuple[StreamBook, ...]
    depots: dict[str, str]
    notes: tuple[str, ...] = ()
    title: str = BOOK_TITLE


_DAY_IN_NAME = re.compile(r"/day(\d+)(?:/|$)")


def cycle_calendar(operating: OperatingPlan, stream: str) -> list[tuple[int, int]]:
    """``(key, horizon day)`` of each day of ``stream``'s cycle in calendar order: the window of
    ``L`` consecutive days the operating plan routed. The window starts at the earliest day a
    cycle problem was built for (``…/day<N>/…`` in its name, as
    :func:`wasteopt.routing.build.build_problem` names it; that first day is always routed),
    else at the plan's requested day."""
    n = operating.cycle_length(stream)
    problems = operating.cycle_problems.get(stream, {}) or {0: operating.problems[stream]}
    days = [int(m.group(1)) for p in problems.values() if (m := _DAY_IN_NAME.search(p.name))]
    first = min(days) if days else operating.day
    return [((first + k) % n, first + k) for k in range(n)]


def _titles(scenario: Scenario, stream: str) -> tuple[str, str]:
    """(Chinese and English name, Chinese name) of a stream; its id for an unknown one."""
    if stream in scenario.stream_ids:
        st = scenario.stream(stream)
        return f"{st.name_zh} {st.name_en}", st.name_zh
    return stream, stream


def _windows(sheet: pd.DataFrame, problem: RoutingProblem) -> tuple[list[float], list[float]]:
    """Each row's time window (see module docstring); NaN where the row has none."""
    nan = float("nan")
    stops = {s.id: (s.tw_start_s, s.tw_end_s) for s in problem.stops}
    sites = {s.id: (s.open_s, s.close_s) for s in problem.sites}
    shifts = {f.id: (f.shift_start_s, f.shift_end_s) for f in problem.fleets}
    breaks = {
        f.id: (f.lunch.earliest_s, f.lunch.latest_s) for f in problem.fleets if f.lunch is not None
    }
    by_kind = {"stop": stops, "unload": sites, "depart": shifts, "return": shifts, "lunch": breaks}
    none = (nan, nan)
    pairs = [
        by_kind.get(kind, {}).get(fleet if kind in ("depart", "return", "lunch") else rid, none)
        for kind, rid, fleet in zip(
            sheet["kind"].tolist(), sheet["id"].tolist(), sheet["vehicle_type"].tolist(),
            strict=True,
        )
    ]  # fmt: skip
    return [float(a) for a, _ in pairs], [float(b) for _, b in pairs]


def _day_sheet(
    plan: RoutePlan, problem: RoutingProblem, scenario: Scenario, sheet: pd.DataFrame | None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """A day's route sheet (``sheet``, or made from the plan) with each row's time window,
    and what the day's plan leaves open."""
    if sheet is None:
        sheet = route_sheet_frame(plan, problem, scenario)
    tw_start, tw_end = _windows(sheet, problem)
    notes = tuple(plan_notes(plan, problem, sheet, fill_margin=None))
    return sheet.assign(tw_start_s=tw_start, tw_end_s=tw_end), notes


def _cycle_rows(
    scenario: Scenario, operating: OperatingPlan, stream: str
) -> tuple[list[pd.DataFrame], list[BookDay]]:
    """The route sheet (with its time windows) and the :class:`BookDay` of each cycle day, in
    calendar order; days whose due sets are equal share one plan and one sheet."""
    start = scenario.generation.start_date
    made: dict[int, tuple[pd.DataFrame, tuple[str, ...]]] = {}
    frames: list[pd.DataFrame] = []
    days: list[BookDay] = []
    for key, day in cycle_calendar(operating, stream):
        problem, plan = operating.plan_for(stream, day)
        if id(plan) not in made:
            made[id(plan)] = _day_sheet(plan, problem, scenario, None)
        sheet, notes = made[id(plan)]
        frames.append(sheet)
        date = start + dt.timedelta(days=day)
        days.append(BookDay(key=key, day=day, date=date, notes=notes))
    return frames, days


def _book_rows(
    scenario: Scenario, frames: list[pd.DataFrame], days: list[BookDay], crs: Crs
) -> pd.DataFrame:
    """The cycle's sheets as one table in book order: days in calendar order, then depots in
    scenario order, each vehicle's rows together and in driving order (vehicles in the plan's
    order within a depot); with the day's ``key`` and ``date``, coordinates in ``crs`` and the
    street or town of each stop."""
    if not frames:
        return pd.DataFrame()
    rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    sizes = [len(f) for f in frames]
    day_at = np.repeat(np.arange(len(frames)), sizes)
    rank = {d.id: k for k, d in enumerate(scenario.depots)}
    depot_rank = np.array([rank.get(str(d), len(rank)) for d in rows["depot"].tolist()])
    order = np.lexsort((np.arange(len(rows)), depot_rank, day_at))
    rows = rows.iloc[order].reset_index(drop=True)
    day_at = day_at[order]
    x, y = transform(
        rows["lon"].to_numpy(dtype=float), rows["lat"].to_numpy(dtype=float), "wgs84", crs
    )
    towns = {p.id: p.town_name for p in scenario.points}
    town = [
        towns.get(point_of(i), "") if k == "stop" else ""
        for k, i in zip(rows["kind"].tolist(), rows["id"].tolist(), strict=True)
    ]
    keys = np.array([d.key for d in days])[day_at]
    dates = [days[k].date for k in day_at.tolist()]
    return rows.assign(key=keys, date=dates, x=x, y=y, town=town)


def _part(
    scenario: Scenario,
    stream: str,
    sheets: tuple[list[pd.DataFrame], list[BookDay]],
    cycle_days: int | None,
    problems: list[RoutingProblem],
    crs: Crs,
) -> StreamBook:
    """One stream's part from its days' ``sheets`` (frames and days, calendar order), routed
    in ``problems`` (which depots its fleets leave from), coordinates in ``crs``."""
    frames, days = sheets
    rows = _book_rows(scenario, frames, days, crs)
    depot_names = {d.id: d.name for d in scenario.depots}
    vehicles = vehicle_days(rows, depot_names)
    title, short = _titles(scenario, stream)
    depots = _stream_depots(scenario, problems)
    return StreamBook(
        stream=stream,
        title=title,
        short=short,
        cycle_days=cycle_days,
        days=tuple(days),
        rows=rows,
        vehicles=vehicles,
        depots=_depot_days(vehicles, days, depots, depot_names),
    )


def stream_book(
    scenario: Scenario, operating: OperatingPlan, stream: str, *, crs: Crs = "wgs84"
) -> StreamBook:
    """The part of ``stream``'s cycle (see module docstring), coordinates in ``crs``."""
    problems = [operating.problems[stream], *operating.cycle_problems.get(stream, {}).values()]
    sheets = _cycle_rows(scenario, operating, stream)
    return _part(scenario, stream, sheets, operating.cycle_length(stream), problems, crs)


def _book(scenario: Scenario, parts: list[StreamBook], crs: Crs, title: str) -> RouteBook:
    """A book of ``parts``: the depots they leave from and the notes of the whole book."""
    used = {d for p in parts for d in p.depots["depot"].tolist()}
    names = {d.id: d.name for d in scenario.depots}
    depots = {d: names.get(d, "") for d in [*names, *sorted(used - set(names))] if d in used}
    notes = [f"坐标 coordinates: 经度,纬度 lon,lat in {CRS_LABELS[crs]}"]
    if margin := fill_margin_note(scenario.planning.fill_margin):
        notes.insert(0, margin)
    return RouteBook(
        variant=scenario.variant, crs=crs, streams=tuple(parts), depots=depots,
        notes=tuple(notes), title=title,
    )  # fmt: skip


def route_book(scenario: Scenario, operating: OperatingPlan, *, crs: Crs = "wgs84") -> RouteBook:
    """The book of every stream with a plan and a vehicle on some day of its cycle, in
    scenario order (see module docstring), coordinates in ``crs``."""
    order = [s for s in scenario.stream_ids if s in operating.plans]
    order += [s for s in operating.plans if s not in order]
    parts = [stream_book(scenario, operating, s, crs=crs) for s in order]
    return _book(scenario, [p for p in parts if len(p.vehicles)], crs, BOOK_TITLE)


def day_book(
    scenario: Scenario,
    plan: RoutePlan,
    problem: RoutingProblem,
    *,
    date: dt.date,
    crs: Crs = "wgs84",
    sheet: pd.DataFrame | None = None,
) -> RouteBook:
    """The route sheets of one routed day as a book (:data:`SHEETS_TITLE`): one part, one day
    (its calendar ``date``), no cycle claimed, the same forms as the cycle book; ``sheet`` is
    the plan's :func:`route_sheet_frame` when the caller has it already."""
    sheet_rows, notes = _day_sheet(plan, problem, scenario, sheet)
    day = BookDay(key=0, day=(date - scenario.generation.start_date).days, date=date, notes=notes)
    part = _part(scenario, plan.stream, ([sheet_rows], [day]), None, [problem], crs)
    return _book(scenario, [part], crs, SHEETS_TITLE)


def vehicle_days(rows: pd.DataFrame, depot_names: dict[str, str]) -> pd.DataFrame:
    """:data:`VEHICLE_DAY_COLUMNS` from the book's rows. A vehicle-day's rows are contiguous,
    so sums run over blocks (``np.add.reduceat``) instead of a group-by per column."""
    if rows.empty:
        return pd.DataFrame(columns=list(VEHICLE_DAY_COLUMNS))
    key = rows["key"].to_numpy()
    veh = rows["vehicle"].to_numpy()
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (key[1:] != key[:-1]) | (veh[1:] != veh[:-1])
    starts = np.flatnonzero(new)
    last = np.r_[starts[1:], len(rows)] - 1
    block = np.cumsum(new) - 1
    is_stop = (rows["kind"] == "stop").to_numpy()

    def total(values: pd.Series | np.ndarray) -> np.ndarray:
        return np.add.reduceat(np.asarray(values, dtype=np.int64), starts)

    trips = (
        pd.Series(rows["trip"].to_numpy()[is_stop], dtype="Int64")
        .groupby(block[is_stop])
        .nunique()
        .reindex(range(len(starts)), fill_value=0)
    )
    first = rows.iloc[starts]
    start_s = first["start_s"].to_numpy(dtype=np.int64)
    end_s = rows["arrival_s"].to_numpy(dtype=np.int64)[last]
    times = rows[["arrival_s", "start_s", "departure_s"]].to_numpy().max(axis=1) >= 86400
    return pd.DataFrame(
        {
            "key": first["key"].to_numpy(),
            "date": first["date"].to_numpy(),
            "depot": first["depot"].to_numpy(),
            "depot_name": [depot_names.get(str(d), "") for d in first["depot"]],
            "vehicle": first["vehicle"].to_numpy(),
            "fleet": first["vehicle_type"].to_numpy(),
            "fleet_name": first["vehicle_type_name"].to_numpy(),
            "start_s": start_s,
            "end_s": end_s,
            "trips": trips.to_numpy(dtype=np.int64),
            "stops": total(is_stop),
            "kg": total(rows["expected_kg"]),
            "unload_kg": total(rows["unload_kg"]),
            "km": total(rows["leg_m"]) / 1000.0,
            "hours": (end_s - start_s) / 3600.0,
            "first_row": starts,
            "n_rows": last - starts + 1,
            "past_midnight": np.logical_or.reduceat(times, starts),
        },
        columns=list(VEHICLE_DAY_COLUMNS),
    )


def _stream_depots(scenario: Scenario, problems: list[RoutingProblem]) -> list[str]:
    """The depots the fleets of ``problems`` leave from, in scenario order (others after)."""
    used = {f.depot for p in problems for f in p.fleets}
    order = [d.id for d in scenario.depots if d.id in used]
    return order + sorted(used - set(order))


def _depot_days(
    vehicles: pd.DataFrame, days: list[BookDay], depots: list[str], names: dict[str, str]
) -> pd.DataFrame:
    """:data:`DEPOT_DAY_COLUMNS`: the vehicle-days summed per depot and day, every day of the
    cycle listed for every depot (a day without vehicles shows zeros and no times)."""
    sums = vehicles.groupby(["depot", "key"], sort=False).agg(
        vehicles=("vehicle", "size"),
        trips=("trips", "sum"),
        stops=("stops", "sum"),
        kg=("kg", "sum"),
        km=("km", "sum"),
        hours=("hours", "sum"),
        first_out_s=("start_s", "min"),
        last_in_s=("end_s", "max"),
    )
    every = pd.MultiIndex.from_product([depots, [d.key for d in days]], names=["depot", "key"])
    out = sums.reindex(every).reset_index()
    counts = ["vehicles", "trips", "stops", "kg", "km", "hours"]
    out[counts] = out[counts].fillna(0)
    dates = {d.key: d.date for d in days}
    return pd.DataFrame(
        {
            "depot": out["depot"],
            "depot_name": [names.get(str(d), "") for d in out["depot"]],
            "key": out["key"].astype(int),
            "date": [dates[int(k)] for k in out["key"]],
            "vehicles": out["vehicles"].astype(int),
            "trips": out["trips"].astype(int),
            "stops": out["stops"].astype(int),
            "t": out["kg"].astype(float) / 1000.0,
            "km": out["km"].astype(float),
            "hours": out["hours"].astype(float),
            "first_out_s": out["first_out_s"].astype(float),
            "last_in_s": out["last_in_s"].astype(float),
        },
        columns=list(DEPOT_DAY_COLUMNS),
    )
