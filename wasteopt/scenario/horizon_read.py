"""Reading the planning horizon: ``[horizon]`` of ``scenario.toml``, ``years.csv`` and
``builds.csv`` into a :class:`~wasteopt.scenario.horizon.PlanningHorizon` (format:
``docs/scenario-format.md`` "Horizon").

Every problem is reported through the loader with file, line, id and field, like the other
tables; a row with a problem is left out. Values a year leaves empty are filled forward here:
``generation_index`` grows by ``[horizon] growth`` from the year before (1.0 in the first year),
capture rates and the compliant share stay, each facility's external load grows by its
``[horizon.external_growth]`` rate (from ``external_t_per_day`` of ``facilities.csv`` in the
first year), and ``budget_cny`` is ``[horizon] budget_cny_per_year``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from typing import Any

from wasteopt.scenario.folder import MAX_TABLE_BYTES, REQUIRED
from wasteopt.scenario.horizon import BUILD_ACTIONS, Build, HorizonYear, PlanningHorizon
from wasteopt.scenario.model import Stream, TransferStation, TreatmentFacility
from wasteopt.scenario.toml_settings import SettingsReader, toml_value

__all__ = ["BUILD_COLUMNS", "HORIZON_KEYS", "YEAR_COLUMNS", "read_horizon"]

HORIZON_KEYS: dict[str, tuple[str, Any]] = {
    "start_year": ("int", REQUIRED),
    "years": ("int", REQUIRED),
    "discount_rate": ("float", 0.05),
    "growth": ("float", 0.0),
    "budget_cny_per_year": ("float", None),
    "budget_cny_total": ("float", None),
    "retire_stations": ("bool", True),
    "bind_tolerance_t_per_day": ("float", 1.0),
    "years_table": ("str", ""),
    "builds_table": ("str", ""),
    "external_growth": ("table", {}),
}
YEAR_COLUMNS = ("year", "generation_index", "compliant_share", "close", "budget_cny")
YEAR_PREFIXES = ("capture.", "external.")
BUILD_COLUMNS = (
    "id",
    "site",
    "action",
    "capacity_t_per_day",
    "capex_cny",
    "fixed_cost_cny_per_year",
    "earliest_year",
    "latest_year",
    "year",
    "lifetime_years",
)
_MAX_YEARS = 50


class _Sites:
    """What the horizon's ids may name: streams, stations, facilities."""

    def __init__(
        self,
        streams: Sequence[Stream],
        stations: Sequence[TransferStation],
        facilities: Sequence[TreatmentFacility],
    ) -> None:
        self.streams = {s.id: s for s in streams}
        self.stations = {s.id: s for s in stations}
        self.facilities = {k.id: k for k in facilities}


def read_horizon(
    reader: SettingsReader,
    data: dict[str, Any],
    streams: Sequence[Stream],
    stations: Sequence[TransferStation],
    facilities: Sequence[TreatmentFacility],
) -> PlanningHorizon | None:
    """The horizon of ``data`` (the parsed ``scenario.toml``), or None without ``[horizon]``
    or when it cannot be read (the problems are then in ``reader.problems``)."""
    if "horizon" not in data:
        return None
    h, ok = reader.keys(reader.table(data, "horizon"), HORIZON_KEYS, "[horizon]")
    if not ok or not _head_ok(reader, h):
        return None
    sites = _Sites(streams, stations, facilities)
    growth = _external_growth(reader, h["external_growth"], sites)
    first, n = h["start_year"], h["years"]
    rows = _read_csv(reader, h["years_table"], "year", YEAR_COLUMNS, YEAR_PREFIXES)
    given = _year_rows(reader, h["years_table"], rows, first, first + n - 1, sites)
    years = _resolve_years(h, given, growth, sites)
    builds = _builds(reader, h["builds_table"], first, first + n - 1, sites)
    _forced_within_budget(reader, h, years, builds)
    return PlanningHorizon(
        start_year=first,
        years=years,
        discount_rate=h["discount_rate"],
        budget_cny_total=h["budget_cny_total"],
        retire_stations=h["retire_stations"],
        bind_tolerance_t_per_day=h["bind_tolerance_t_per_day"],
        builds=builds,
        years_file=h["years_table"],
        builds_file=h["builds_table"],
    )


def _head_ok(reader: SettingsReader, h: dict[str, Any]) -> bool:
    """Range checks of the ``[horizon]`` keys; False after reporting a bad one."""
    checks: list[tuple[str, Callable[[Any], bool], str]] = [
        ("start_year", lambda v: 1900 <= v <= 2200, "a year from 1900 to 2200"),
        ("years", lambda v: 1 <= v <= _MAX_YEARS, f"1 to {_MAX_YEARS} years"),
        ("discount_rate", lambda v: 0 <= v < 1, "a rate ≥ 0 and < 1 (0.05 = 5 % a year)"),
        ("growth", lambda v: v > -1, "a yearly rate > -1 (0.02 = 2 % a year)"),
        ("budget_cny_per_year", lambda v: v is None or v >= 0, "CNY ≥ 0"),
        ("budget_cny_total", lambda v: v is None or v >= 0, "CNY ≥ 0"),
        ("bind_tolerance_t_per_day", lambda v: v >= 0, "t/day ≥ 0"),
    ]
    ok = True
    for key, good, expected in checks:
        value = h[key]
        if (isinstance(value, float) and not math.isfinite(value)) or not good(value):
            reader.add(reader.toml_name, "out of range", "[horizon]", key, value, expected)
            ok = False
    return ok


def _external_growth(
    reader: SettingsReader, raw: dict[str, Any], sites: _Sites
) -> dict[str, float]:
    """``[horizon.external_growth]``: facility id → yearly growth of its external load."""
    out: dict[str, float] = {}
    for fid, value in raw.items():
        try:
            rate = toml_value(value, "float")
        except ValueError as e:
            reader.add(reader.toml_name, str(e), "[horizon.external_growth]", fid, value)
            continue
        if fid not in sites.facilities:
            reader.add(
                reader.toml_name,
                "unknown facility",
                "[horizon.external_growth]",
                fid,
                value,
                "a facility id of facilities.csv",
            )
        elif not (math.isfinite(rate) and rate > -1):
            reader.add(
                reader.toml_name,
                "out of range",
                "[horizon.external_growth]",
                fid,
                value,
                "a yearly rate > -1",
            )
        else:
            out[fid] = rate
    return out


class _Row:
    """One CSV data row: its cells by column, its line, and the problems found in it."""

    def __init__(
        self, reader: SettingsReader, file: str, line: int, cells: dict[str, str], key: str
    ):
        self.reader, self.file, self.line, self.cells = reader, file, line, cells
        self.where = f"line {line} ({key}={cells.get(key, '')})"
        self.failed = False

    def bad(self, column: str, message: str, expected: str = "") -> None:
        self.failed = True
        self.reader.add(self.file, message, self.where, column, self.cells.get(column), expected)

    def number(
        self, column: str, good: Callable[[float], bool], expected: str, *, whole: bool = False
    ) -> float | None:
        """The cell as a number (None when empty), reported when not ``good``."""
        text = self.cells.get(column, "")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            self.bad(column, "not a number", expected)
            return None
        if not math.isfinite(value) or not good(value) or (whole and value != int(value)):
            self.bad(column, "out of range", expected)
            return None
        return value


def _read_csv(
    reader: SettingsReader,
    name: str,
    key: str,
    columns: Sequence[str],
    prefixes: Sequence[str] = (),
) -> list[_Row]:
    """The data rows of CSV file ``name`` (none when ``name`` is empty or the file unusable);
    unknown, duplicated or missing key columns are reported and give no rows."""
    if not name:
        return []
    path = reader.check_file(name, MAX_TABLE_BYTES)
    if path is None:
        return []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            lines = list(csv.reader(f, strict=True))
    except (UnicodeDecodeError, csv.Error, OSError) as e:
        reader.add(name, f"not a readable UTF-8 CSV file ({e})")
        return []
    if not lines:
        reader.add(name, "file is empty", expected="a header row and at least one data row")
        return []
    header = [h.strip() for h in lines[0]]
    bad = [h for h in header if h not in columns and not h.startswith(tuple(prefixes))]
    for h in bad:
        reader.add(name, "unknown column", "line 1", h or "(empty)", expected=", ".join(columns))
    for h in {h for h in header if header.count(h) > 1}:
        reader.add(name, "duplicate column", "line 1", h)
    if key not in header:
        reader.add(name, "required column is missing", "line 1", key)
    if bad or key not in header or len(set(header)) < len(header):
        return []
    rows = []
    for n, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            reader.add(
                name, f"has {len(cells)} cells but the header has {len(header)}", f"line {n}"
            )
            continue
        padded = [c.strip() for c in cells] + [""] * (len(header) - len(cells))
        rows.append(_Row(reader, name, n, dict(zip(header, padded, strict=True)), key))
    return rows


def _year_rows(
    reader: SettingsReader, name: str, rows: list[_Row], first: int, last: int, sites: _Sites
) -> dict[int, dict[str, Any]]:
    """The checked values of each ``years.csv`` row, by year (empty cells left out)."""
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        year = r.number("year", lambda v: first <= v <= last, f"a year {first}–{last}", whole=True)
        if year is None:
            if not r.cells.get("year"):
                r.bad("year", "required value is empty", f"a year {first}–{last}")
            continue
        if int(year) in out:
            r.bad("year", "duplicate year", "one row per year")
            continue
        values = _year_values(r, sites)
        if not r.failed:
            out[int(year)] = values
    return out


def _year_values(r: _Row, sites: _Sites) -> dict[str, Any]:
    """The non-empty cells of one ``years.csv`` row, checked against the scenario's ids."""
    v: dict[str, Any] = {
        "generation_index": r.number("generation_index", lambda x: x > 0, "a number > 0"),
        "compliant_share": r.number("compliant_share", lambda x: 0 <= x <= 1, "a share 0–1"),
        "budget_cny": r.number("budget_cny", lambda x: x >= 0, "CNY ≥ 0"),
        "capture": {},
        "external": {},
    }
    for col in r.cells:
        kind, _, ref = col.partition(".")
        if kind == "capture":
            if ref not in sites.streams:
                r.bad(col, "unknown stream", "capture.<stream id>")
            elif (x := r.number(col, lambda c: 0 < c <= 1, "a rate > 0 and ≤ 1")) is not None:
                v["capture"][ref] = x
        elif kind == "external":
            if ref not in sites.facilities:
                r.bad(col, "unknown facility", "external.<facility id of facilities.csv>")
            elif (x := r.number(col, lambda c: c >= 0, "t/day ≥ 0")) is not None:
                v["external"][ref] = x
    closed = tuple(c.strip() for c in r.cells.get("close", "").split(";") if c.strip())
    for site in closed:
        if site not in sites.stations and site not in sites.facilities:
            r.bad("close", f"unknown site {site!r}", "station or facility ids separated by ;")
    v["close"] = closed
    return v


def _resolve_years(
    h: dict[str, Any],
    given: dict[int, dict[str, Any]],
    growth: dict[str, float],
    sites: _Sites,
) -> tuple[HorizonYear, ...]:
    """Every year of the horizon, empty values carried forward or grown from the year before."""
    index = 1.0 / (1.0 + h["growth"])  # grown once before the first year: 1.0 there
    capture = {s.id: s.capture_rate for s in sites.streams.values()}
    external = {k.id: k.external_t_per_day for k in sites.facilities.values()}
    compliant, closed = 0.0, ()
    years = []
    for t in range(h["years"]):
        year = h["start_year"] + t
        g = given.get(year, {})
        index = g.get("generation_index") or index * (1.0 + h["growth"])
        capture = {**capture, **g.get("capture", {})}
        if t > 0:
            external = {k: x * (1.0 + growth.get(k, 0.0)) for k, x in external.items()}
        external = {**external, **g.get("external", {})}
        c = g.get("compliant_share")
        compliant = compliant if c is None else c
        closed = tuple(dict.fromkeys((*closed, *g.get("close", ()))))
        budget = g.get("budget_cny")
        years.append(
            HorizonYear(
                year=year,
                generation_index=index,
                capture=capture,
                compliant_share=compliant,
                external_t_per_day=external,
                closed=closed,
                budget_cny=budget if budget is not None else h["budget_cny_per_year"],
            )
        )
    return tuple(years)


def _forced_within_budget(
    reader: SettingsReader, h: dict[str, Any], years: Sequence[HorizonYear], builds: Sequence[Build]
) -> None:
    """Forced builds must fit the budgets they are paid from (else no plan exists)."""
    total = h["budget_cny_total"]
    forced = [b for b in builds if b.year is not None]
    for y in years:
        due = [b for b in forced if b.year == y.year]
        spent = sum(b.capex_cny for b in due)
        if due and y.budget_cny is not None and spent > y.budget_cny:
            reader.add(
                h["builds_table"],
                f"forced builds of {y.year} cost {spent:,.0f} CNY, over that year's budget "
                f"{y.budget_cny:,.0f} CNY",
                f"id={', '.join(b.id for b in due)}",
                "year",
                y.year,
                "forced builds within budget_cny of their year",
            )
    spent = sum(b.capex_cny for b in forced)
    if forced and total is not None and spent > total:
        reader.add(
            reader.toml_name,
            f"forced builds cost {spent:,.0f} CNY, over the horizon's budget",
            "[horizon]",
            "budget_cny_total",
            total,
            "a budget that pays the forced builds",
        )


def _builds(
    reader: SettingsReader, name: str, first: int, last: int, sites: _Sites
) -> tuple[Build, ...]:
    """The rows of ``builds.csv``, checked (site, action, capacity, years, costs)."""
    out: list[Build] = []
    seen: dict[str, int] = {}
    built_sites: dict[str, str] = {}
    for r in _read_csv(reader, name, "id", BUILD_COLUMNS):
        bid = r.cells.get("id", "")
        if not bid:
            r.bad("id", "required value is empty", "an id")
            continue
        if bid in seen:
            r.bad("id", f"duplicate id (first at line {seen[bid]})", "ids unique within the table")
            continue
        seen[bid] = r.line
        b = _build(r, first, last, sites)
        if b is not None and b.action == "build":
            if b.site in built_sites:
                r.bad("site", f"site already built by {built_sites[b.site]}", "one build per site")
                continue
            built_sites[b.site] = b.id
        if b is not None and not r.failed:
            out.append(b)
    return tuple(out)


def _build(r: _Row, first: int, last: int, sites: _Sites) -> Build | None:
    """One ``builds.csv`` row as a :class:`Build`, or None after its problems are reported."""
    site, action = r.cells.get("site", ""), r.cells.get("action", "") or "expand"
    station, plant = sites.stations.get(site), sites.facilities.get(site)
    if station is None and plant is None:
        r.bad(
            "site", "unknown site", "a station id of stations.csv or facility id of facilities.csv"
        )
    if action not in BUILD_ACTIONS:
        r.bad("action", "unknown action", " or ".join(BUILD_ACTIONS))
    if action == "build" and station is not None and station.status != "candidate":
        r.bad("site", f"station {site} already exists", "a candidate station (status candidate)")
    years = f"a year {first}–{last}"
    earliest = r.number("earliest_year", lambda v: first <= v <= last, years, whole=True)
    latest = r.number("latest_year", lambda v: first <= v <= last, years, whole=True)
    lo, hi = int(earliest or first), int(latest or last)
    if lo > hi:
        r.bad("latest_year", f"before earliest_year {lo}", f"a year {lo}–{last}")
    year = r.number("year", lambda v: lo <= v <= hi, f"a year {lo}–{hi}", whole=True)
    cap = r.number("capacity_t_per_day", lambda v: v > 0, "t/day > 0")
    own = station.capacity_t_per_day if station else plant.capacity_t_per_day if plant else 0.0
    if cap is None and action == "expand" and not r.failed:
        r.bad("capacity_t_per_day", "required for an expansion", "the t/day added")
    default_capex = station.opening_cost_cny if station is not None and action == "build" else 0.0
    capex = r.number("capex_cny", lambda v: v >= 0, "CNY ≥ 0")
    fixed = r.number("fixed_cost_cny_per_year", lambda v: v >= 0, "CNY/year ≥ 0")
    life = r.number("lifetime_years", lambda v: v > 0, "years > 0")
    if r.failed:
        return None
    return Build(
        id=r.cells["id"],
        site=site,
        action="build" if action == "build" else "expand",
        capacity_t_per_day=cap if cap is not None else own,
        capex_cny=capex if capex is not None else default_capex,
        fixed_cost_cny_per_year=fixed or 0.0,
        earliest_year=lo,
        latest_year=hi,
        year=None if year is None else int(year),
        lifetime_years=life or 20.0,
    )
