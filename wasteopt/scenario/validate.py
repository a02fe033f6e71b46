"""Whole-scenario validation: every problem at once, each naming file, id, field and value.

Two layers run over a :class:`~wasteopt.scenario.model.Scenario`:

* **record checks** look at one record alone (a capacity must be > 0, a time window must not end
  before it starts, a frequency code must exist);
* **cross checks** look at the scenario as a whole (ids unique, references resolve, stream
  shares sum to 1, every generated stream has a collection vehicle type and somewhere to go,
  every variant still makes a valid scenario).

:func:`validate_scenario` runs both and returns the problems; it never raises. The loader runs
the same checks with a *locator* that turns ``(table, id)`` into ``("stations.csv", "line 8
(id=WH-03)")`` and with a *tolerance* naming the records it could not parse, so that one broken
row does not cascade into "unknown id" reports elsewhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from wasteopt.clock import format_hhmm
from wasteopt.errors import Problem, ScenarioError
from wasteopt.scenario.model import (
    FACILITY_KINDS,
    FREQUENCIES,
    STATION_DECISIONS,
    STATION_STATUSES,
    CollectionPoint,
    Depot,
    Scenario,
    Stream,
    TransferStation,
    TreatmentFacility,
    VehicleType,
)
from wasteopt.scenario.variants import apply_variant_tolerant

__all__ = [
    "SHARE_TOLERANCE",
    "default_locate",
    "generated_streams",
    "run_checks",
    "validate_scenario",
]

#: Stream shares must sum to 1 within this tolerance.
SHARE_TOLERANCE = 0.001

VEHICLE_ROLES: tuple[str, ...] = ("collection", "haul")
_ID = re.compile(r"^[\w.\-]+$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

#: ``(table, id) -> (file, where)``; ``id == ""`` means the table as a whole.
Locate = Callable[[str, str], tuple[str, str]]
#: table -> ids that exist but could not be parsed; ``None`` = the whole table is unknown.
Tolerance = Mapping[str, frozenset[str] | None]

_CSV_TABLES = ("points", "depots", "stations", "facilities", "vehicle_types")


def default_locate(table: str, item_id: str) -> tuple[str, str]:
    """Locate a record by table and id alone (no line numbers): for scenarios built in code."""
    if table in _CSV_TABLES:
        return f"{table}.csv", f"(id={item_id})" if item_id else ""
    if table == "streams":
        return "scenario.toml", f"[[streams]] id={item_id}" if item_id else "[[streams]]"
    if table == "variants":
        return "scenario.toml", f"[[variants]] id={item_id}" if item_id else "[[variants]]"
    return "scenario.toml", f"[{table}]"


def validate_scenario(s: Scenario) -> tuple[Problem, ...]:
    """Every problem of ``s`` (record checks, cross checks, each variant applied); never raises."""
    return tuple(run_checks(s))


def run_checks(
    s: Scenario,
    locate: Locate = default_locate,
    tolerate: Tolerance | None = None,
    *,
    variants: bool = True,
) -> list[Problem]:
    """Record and cross checks of ``s``; with ``variants`` also each variant applied to ``s``.

    Problems a variant shares with the base scenario are reported once, for the base.
    """
    tolerate = tolerate or {}
    r = _Report(locate, tolerate)
    _record_checks(s, r)
    made = generated_streams(s)
    _cross_checks(s, r, made)
    problems = r.problems
    if not variants:
        return problems
    seen = {str(p) for p in problems}
    for v in s.variants:
        where = f"[[variants]] id={v.id}"
        try:
            vs = apply_variant_tolerant(s, v.id, lambda table, i: r.known(table, i, ()))
        except ScenarioError as e:
            problems.extend(e.problems)
            continue
        # Records the variant leaves alone (same objects) cannot raise new record problems.
        vr = _Report(locate, tolerate)
        _record_checks(vs, vr, base=s)
        same_generation = (
            vs.points is s.points
            and vs.streams is s.streams
            and vs.generation.missorting is s.generation.missorting
        )
        _cross_checks(vs, vr, made if same_generation else generated_streams(vs), base=s)
        for p in vr.problems:
            text = str(p)
            if text not in seen:
                seen.add(text)
                problems.append(
                    Problem(file="scenario.toml", where=where, message=f"with this variant: {text}")
                )
    return problems


# -- reporting -------------------------------------------------------------------------------


def fmt_value(v: Any) -> str:
    """A value as the user wrote it: ``-5`` not ``-5.0``, ids joined by ``;``."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, tuple | list):
        return ";".join(fmt_value(x) for x in v)
    return str(v)


class _Report:
    __slots__ = ("locate", "problems", "tolerate")

    def __init__(self, locate: Locate, tolerate: Tolerance) -> None:
        self.locate = locate
        self.tolerate = tolerate
        self.problems: list[Problem] = []

    def add(
        self,
        table: str,
        item_id: str,
        field: str,
        message: str,
        value: Any = None,
        expected: str = "",
    ) -> None:
        file, where = self.locate(table, item_id)
        text = None if value is None else fmt_value(value)
        self.problems.append(
            Problem(
                file=file, where=where, field=field, message=message, value=text, expected=expected
            )
        )

    def number(
        self,
        table: str,
        item_id: str,
        field: str,
        v: float | None,
        *,
        gt: float | None = None,
        ge: float | None = None,
        le: float | None = None,
    ) -> None:
        """Check that ``v`` is a finite number within the bounds (``None`` passes)."""
        if v is None:
            return
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.add(table, item_id, field, "must be a number", v)
        elif not math.isfinite(v):
            self.add(table, item_id, field, "must be a finite number", v)
        elif gt is not None and not v > gt:
            self.add(table, item_id, field, f"must be > {fmt_value(gt)}", v)
        elif ge is not None and not v >= ge:
            self.add(table, item_id, field, f"must be >= {fmt_value(ge)}", v)
        elif le is not None and not v <= le:
            self.add(table, item_id, field, f"must be <= {fmt_value(le)}", v)

    def known(self, table: str, item_id: str, ids: Iterable[str] | set[str]) -> bool:
        """True if ``item_id`` exists in ``table`` or may exist (its row/table was unreadable)."""
        if item_id in ids:
            return True
        if table not in self.tolerate:
            return False
        broken = self.tolerate[table]
        return broken is None or item_id in broken

    def complete(self, *tables: str) -> bool:
        """True when every record of these tables was read, so absence means absence."""
        return not any(t in self.tolerate for t in tables)


# -- record checks ---------------------------------------------------------------------------


def _record_checks(s: Scenario, r: _Report, base: Scenario | None = None) -> None:
    """Check every record; with ``base`` only those not identical to the base's record."""
    for attr, check in (
        ("streams", _check_stream),
        ("points", _check_point),
        ("depots", _check_depot),
        ("stations", _check_station),
        ("facilities", _check_facility),
        ("vehicle_types", _check_vehicle_type),
    ):
        records = getattr(s, attr)
        if base is not None:
            old = getattr(base, attr)
            if records is old:
                continue
            records = [x for k, x in enumerate(records) if k >= len(old) or x is not old[k]]
        for x in records:
            check(r, x)
    _check_generation(s, r)
    r.number("network", "", "circuity", s.network.circuity, ge=1.0)
    for v in s.variants:
        if v.id == "base" or not _ID.match(v.id):
            r.add(
                "variants",
                v.id,
                "id",
                "not a valid variant id",
                v.id,
                "letters, digits, '-', '_', '.' and not 'base'",
            )
        r.number("variants", v.id, "generation_scale", v.generation_scale, gt=0)


def _check_id(r: _Report, table: str, item_id: str) -> None:
    if not _ID.match(item_id):
        r.add(table, item_id, "id", "not a valid id", item_id, "letters, digits, '-', '_', '.'")


def _check_coords(r: _Report, table: str, item_id: str, lon: float, lat: float) -> None:
    r.number(table, item_id, "lon", lon, ge=-180.0, le=180.0)
    r.number(table, item_id, "lat", lat, ge=-90.0, le=90.0)


def _check_window(
    r: _Report,
    table: str,
    item_id: str,
    fields: tuple[str, str],
    start: int,
    end: int,
    *,
    strict: bool,
) -> None:
    """A time-of-day window; ``strict`` means it must also be non-empty."""
    if end < start or (strict and end == start):
        what = "ends before it starts" if end < start else "is empty"
        r.add(
            table,
            item_id,
            fields[1],
            f"{what} ({fields[0]} {format_hhmm(start)})",
            format_hhmm(end),
            f"a time after {format_hhmm(start)}",
        )


def _check_stream(r: _Report, st: Stream) -> None:
    t, i = "streams", st.id
    _check_id(r, t, i)
    if not _COLOR.match(st.color):
        r.add(t, i, "color", "not a colour", st.color, "#rrggbb")
    r.number(t, i, "density_kg_per_m3", st.density_kg_per_m3, gt=0)
    r.number(t, i, "share", st.share, ge=0, le=1)
    r.number(t, i, "capture_rate", st.capture_rate, gt=0, le=1)
    if st.default_frequency not in FREQUENCIES:
        r.add(
            t,
            i,
            "default_frequency",
            "unknown frequency",
            st.default_frequency,
            "one of " + ", ".join(FREQUENCIES),
        )


def _point_looks_fine(p: CollectionPoint) -> bool:
    """Cheap test passed by almost every point; NaN fails every comparison, so it falls through
    to the detailed checks. Keeps validating 20,000 points fast."""
    return bool(
        -180.0 <= p.lon <= 180.0
        and -90.0 <= p.lat <= 90.0
        and (p.residents is None or p.residents >= 0)
        and (p.households is None or p.households >= 0)
        and p.service_time_s > 0
        and p.phase >= 0
        and p.tw_start_s <= p.tw_end_s
        and (p.residents is not None or p.households is not None or p.kg_per_day)
        and all(kg >= 0 and kg != math.inf for kg in p.kg_per_day.values())
        and all(code in FREQUENCIES for code in p.frequency.values())
        and _ID.match(p.id)
    )


def _check_point(r: _Report, p: CollectionPoint) -> None:
    if _point_looks_fine(p):
        return
    t, i = "points", p.id
    _check_id(r, t, i)
    _check_coords(r, t, i, p.lon, p.lat)
    r.number(t, i, "residents", p.residents, ge=0)
    r.number(t, i, "households", p.households, ge=0)
    r.number(t, i, "service_time_s", p.service_time_s, gt=0)
    r.number(t, i, "phase", p.phase, ge=0)
    _check_window(r, t, i, ("tw_start", "tw_end"), p.tw_start_s, p.tw_end_s, strict=False)
    for sid, kg in p.kg_per_day.items():
        r.number(t, i, f"kg_per_day.{sid}", kg, ge=0)
    for sid, code in p.frequency.items():
        if code not in FREQUENCIES:
            r.add(
                t, i, f"freq.{sid}", "unknown frequency", code, "one of " + ", ".join(FREQUENCIES)
            )
    if p.residents is None and p.households is None and not p.kg_per_day:
        r.add(
            t,
            i,
            "residents",
            "point generates no waste",
            expected="residents, households or a kg_per_day.<stream> value",
        )


def _check_depot(r: _Report, d: Depot) -> None:
    _check_id(r, "depots", d.id)
    _check_coords(r, "depots", d.id, d.lon, d.lat)
    _check_window(r, "depots", d.id, ("open", "close"), d.open_s, d.close_s, strict=True)


def _check_station(r: _Report, st: TransferStation) -> None:
    t, i = "stations", st.id
    _check_id(r, t, i)
    _check_coords(r, t, i, st.lon, st.lat)
    if st.status not in STATION_STATUSES:
        r.add(t, i, "status", "unknown status", st.status, " or ".join(STATION_STATUSES))
    if st.decision not in STATION_DECISIONS:
        r.add(t, i, "decision", "unknown decision", st.decision, ", ".join(STATION_DECISIONS))
    if not st.streams:
        r.add(t, i, "streams", "no stream accepted", "", "stream ids separated by ';'")
    r.number(t, i, "capacity_t_per_day", st.capacity_t_per_day, gt=0)
    r.number(t, i, "bays", st.bays, gt=0)
    r.number(t, i, "unload_time_s", st.unload_time_s, gt=0)
    _check_window(r, t, i, ("open", "close"), st.open_s, st.close_s, strict=True)
    r.number(t, i, "fixed_cost_cny_per_year", st.fixed_cost_cny_per_year, ge=0)
    r.number(t, i, "cost_cny_per_t", st.cost_cny_per_t, ge=0)
    r.number(t, i, "opening_cost_cny", st.opening_cost_cny, ge=0)
    r.number(t, i, "closing_cost_cny", st.closing_cost_cny)
    r.number(t, i, "compaction_ratio", st.compaction_ratio, ge=1)


def _check_facility(r: _Report, f: TreatmentFacility) -> None:
    t, i = "facilities", f.id
    _check_id(r, t, i)
    _check_coords(r, t, i, f.lon, f.lat)
    if f.kind not in FACILITY_KINDS:
        r.add(t, i, "kind", "unknown kind", f.kind, ", ".join(FACILITY_KINDS))
    if not f.streams:
        r.add(t, i, "streams", "no stream accepted", "", "stream ids separated by ';'")
    r.number(t, i, "capacity_t_per_day", f.capacity_t_per_day, gt=0)
    r.number(t, i, "gate_fee_cny_per_t", f.gate_fee_cny_per_t, ge=0)
    r.number(t, i, "bays", f.bays, gt=0)
    r.number(t, i, "unload_time_s", f.unload_time_s, gt=0)
    r.number(t, i, "storage_t", f.storage_t, ge=0)
    _check_window(r, t, i, ("open", "close"), f.open_s, f.close_s, strict=True)
    if f.fallback == f.id:
        r.add(t, i, "fallback", "a facility cannot be its own fallback", f.fallback)


def _check_vehicle_type(r: _Report, vt: VehicleType) -> None:
    t, i = "vehicle_types", vt.id
    _check_id(r, t, i)
    if vt.role not in VEHICLE_ROLES:
        r.add(t, i, "role", "unknown role", vt.role, " or ".join(VEHICLE_ROLES))
    r.number(t, i, "count", vt.count, gt=0)
    r.number(t, i, "payload_kg", vt.payload_kg, gt=0)
    r.number(t, i, "volume_m3", vt.volume_m3, gt=0)
    r.number(t, i, "speed_kmh", vt.speed_kmh, gt=0)
    for name in ("cost_cny_per_km", "cost_cny_per_hour", "cost_cny_per_day", "co2_kg_per_km"):
        r.number(t, i, name, getattr(vt, name), ge=0)
    r.number(t, i, "max_trips", vt.max_trips, gt=0)
    r.number(t, i, "max_stops", vt.max_stops, gt=0)
    r.number(t, i, "max_shift_load_kg", vt.max_shift_load_kg, gt=0)
    _check_window(
        r, t, i, ("shift_start", "shift_end"), vt.shift_start_s, vt.shift_end_s, strict=True
    )
    r.number(t, i, "lunch_duration_min", vt.lunch_duration_s / 60, ge=0)
    early, late = vt.lunch_earliest_s, vt.lunch_latest_s
    if (early is None) != (late is None):
        missing = "lunch_latest" if late is None else "lunch_earliest"
        r.add(
            t,
            i,
            missing,
            "lunch window is half given",
            expected="both lunch_earliest and lunch_latest, or neither",
        )
    elif early is not None and late is not None:
        if late < early:
            _check_window(r, t, i, ("lunch_earliest", "lunch_latest"), early, late, strict=False)
        elif early < vt.shift_start_s or late + vt.lunch_duration_s > vt.shift_end_s:
            shift = f"{format_hhmm(vt.shift_start_s)}-{format_hhmm(vt.shift_end_s)}"
            r.add(
                t,
                i,
                "lunch_earliest",
                f"lunch lies outside the shift {shift}",
                f"{format_hhmm(early)}-{format_hhmm(late)} + {vt.lunch_duration_s // 60} min",
                "lunch_earliest >= shift_start and lunch_latest + duration <= shift_end",
            )


def _check_generation(s: Scenario, r: _Report) -> None:
    g, t = s.generation, "generation"
    r.number(t, "", "kg_per_person_day", g.kg_per_person_day, gt=0)
    r.number(t, "", "persons_per_household", g.persons_per_household, gt=0)
    r.number(t, "", "noise_cv", g.noise_cv, ge=0)
    r.number(t, "", "scale", g.scale, gt=0)
    for name, n in (("weekday_factors", 7), ("month_factors", 12)):
        values = getattr(g, name)
        if len(values) != n:
            r.add(t, "", name, f"needs exactly {n} values, has {len(values)}", values)
        for k, x in enumerate(values):
            r.number(t, "", f"{name}[{k}]", x, gt=0)
    for k, h in enumerate(g.holidays):
        r.number(t, "", f"holidays[{k}].days", h.days, gt=0)
        r.number(t, "", f"holidays[{k}].factor", h.factor, gt=0)
    for k, m in enumerate(g.missorting):
        r.number(t, "", f"missorting[{k}].share", m.share, ge=0, le=1)


# -- cross checks ----------------------------------------------------------------------------


def _cross_checks(
    s: Scenario, r: _Report, made: dict[str, str], base: Scenario | None = None
) -> None:
    """Whole-scenario checks; with ``base`` (s is a variant of it) skip what cannot differ."""
    stream_ids = _unique(r, "streams", (x.id for x in s.streams), "stream id")
    _unique(r, "vehicle_types", (x.id for x in s.vehicle_types), "vehicle type id")
    _unique(r, "variants", (x.id for x in s.variants), "variant id")
    if base is None:
        _unique_sites(s, r)  # variants cannot edit ids
    depot_ids = {d.id for d in s.depots}
    station_ids = {st.id for st in s.stations}
    facility_ids = {f.id for f in s.facilities}

    def stream_ref(table: str, item_id: str, field: str, sid: str) -> None:
        if not r.known("streams", sid, stream_ids):
            r.add(
                table,
                item_id,
                field,
                "unknown stream",
                sid,
                "one of " + ", ".join(sorted(stream_ids)),
            )

    if base is None or s.points is not base.points:
        _point_stream_keys(s, r, stream_ids)
    for st in s.stations:
        for sid in st.streams:
            stream_ref("stations", st.id, "streams", sid)
    _size_groups(s, r)
    for f in s.facilities:
        for sid in f.streams:
            stream_ref("facilities", f.id, "streams", sid)
        if (
            f.fallback
            and f.fallback != f.id
            and not r.known("facilities", f.fallback, facility_ids)
        ):
            r.add(
                "facilities",
                f.id,
                "fallback",
                "unknown facility",
                f.fallback,
                "a facility id or empty",
            )
    _fallback_cycles(s, r)
    for vt in s.vehicle_types:
        stream_ref("vehicle_types", vt.id, "stream", vt.stream)
        if vt.role != "collection":  # haul (or an unknown role, reported already)
            ok = r.known("depots", vt.depot, depot_ids) or r.known(
                "stations", vt.depot, station_ids
            )
            if not ok:
                r.add(
                    "vehicle_types",
                    vt.id,
                    "depot",
                    "unknown depot or station",
                    vt.depot,
                    "a depot id or (haul) a station id",
                )
        elif not r.known("depots", vt.depot, depot_ids):
            r.add("vehicle_types", vt.id, "depot", "unknown depot", vt.depot, "a depot id")
    for k, m in enumerate(s.generation.missorting):
        stream_ref("generation", "", f"missorting[{k}].from", m.from_stream)
        stream_ref("generation", "", f"missorting[{k}].to", m.to_stream)
        if m.from_stream == m.to_stream:
            r.add("generation", "", f"missorting[{k}].to", "same stream as 'from'", m.to_stream)
    _missort_totals(s, r)
    if r.complete("streams") and s.streams:
        total = math.fsum(x.share for x in s.streams)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            r.add(
                "streams",
                "",
                "share",
                "stream shares must sum to 1",
                f"{total:.4g} (" + " + ".join(f"{x.id} {x.share:g}" for x in s.streams) + ")",
                f"1 ± {SHARE_TOLERANCE:g}",
            )
    _coverage(s, r, made)


def _unique(r: _Report, table: str, ids: Iterable[str], what: str) -> set[str]:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            r.add(table, i, "id", f"duplicate {what}", i, "ids unique within the table")
        seen.add(i)
    return seen


def _unique_sites(s: Scenario, r: _Report) -> None:
    first: dict[str, str] = {}
    for table, group in (
        ("depots", s.depots),
        ("stations", s.stations),
        ("facilities", s.facilities),
        ("points", s.points),
    ):
        for x in group:
            other = first.get(x.id)
            if other is None:
                first[x.id] = table
            else:
                where = "in the same table" if other == table else f"by {r.locate(other, x.id)[0]}"
                r.add(
                    table,
                    x.id,
                    "id",
                    f"duplicate site id (already used {where})",
                    x.id,
                    "site ids unique across points, depots, stations and facilities",
                )


def _point_stream_keys(s: Scenario, r: _Report, stream_ids: set[str]) -> None:
    """kg_per_day.<x> / freq.<x> must name known streams: reported once per column."""
    kg_keys: set[str] = set()
    freq_keys: set[str] = set()
    for p in s.points:
        kg_keys.update(p.kg_per_day)
        freq_keys.update(p.frequency)
    for prefix, keys, attr in (
        ("kg_per_day", kg_keys, "kg_per_day"),
        ("freq", freq_keys, "frequency"),
    ):
        for sid in sorted(keys):
            if r.known("streams", sid, stream_ids):
                continue
            first = next(p for p in s.points if sid in getattr(p, attr))
            r.add(
                "points",
                first.id,
                f"{prefix}.{sid}",
                "column names an unknown stream",
                sid,
                "one of " + ", ".join(sorted(stream_ids)),
            )


def _fallback_cycles(s: Scenario, r: _Report) -> None:
    nxt = {f.id: f.fallback for f in s.facilities if f.fallback and f.fallback != f.id}
    reported: set[frozenset[str]] = set()
    for start in nxt:
        chain = [start]
        cur = nxt.get(start)
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = nxt.get(cur)
        if cur == start:
            key = frozenset(chain)
            if key not in reported:
                reported.add(key)
                r.add(
                    "facilities",
                    start,
                    "fallback",
                    "fallback chain loops",
                    " -> ".join([*chain, start]),
                    "a chain ending at a facility without fallback",
                )


def _missort_totals(s: Scenario, r: _Report) -> None:
    """Missorted shares of a stream cannot exceed what residents do not capture."""
    by_id = {x.id: x for x in s.streams}
    totals: dict[str, float] = {}
    for m in s.generation.missorting:
        totals[m.from_stream] = totals.get(m.from_stream, 0.0) + m.share
    for sid, total in totals.items():
        st = by_id.get(sid)
        if st is None or not 0 < st.capture_rate <= 1:
            continue  # unknown stream or bad capture rate: reported elsewhere
        if total > 1.0 - st.capture_rate + SHARE_TOLERANCE:
            r.add(
                "generation",
                "",
                "missorting",
                f"shares missorted from '{sid}' exceed its "
                f"uncaptured part 1 - capture_rate = {1.0 - st.capture_rate:g}",
                f"{total:g}",
            )


def _size_groups(s: Scenario, r: _Report) -> None:
    """A size group's stations are alternatives (at most one open), so at most one of them
    can exist today."""
    existing: dict[str, str] = {}
    for st in s.stations:
        if not st.size_group or st.status != "existing":
            continue
        first = existing.setdefault(st.size_group, st.id)
        if first != st.id:
            r.add(
                "stations",
                st.id,
                "size_group",
                f"size group already holds the existing station {first}; the stations of a "
                "group are alternatives, at most one of them open",
                st.size_group,
                "at most one existing station per size group",
            )


def generated_streams(s: Scenario) -> dict[str, str]:
    """Streams some point generates and collects (frequency not ``none``) -> an example point.

    A point generates a stream with an explicit ``kg_per_day`` > 0, or, without an explicit
    rate, when it has residents (or households) and the stream's share is > 0; missorting
    rules carry generation from their ``from`` stream into their ``to`` stream.
    """
    shares = {x.id: x.share for x in s.streams}
    defaults = {x.id: x.default_frequency for x in s.streams}
    into: dict[str, list[str]] = {}
    for m in s.generation.missorting:
        if m.share > 0:
            into.setdefault(m.from_stream, []).append(m.to_stream)
    out: dict[str, str] = {}
    for p in s.points:
        people = p.residents if p.residents is not None else p.households
        has_people = bool(people and people > 0)
        made = {
            sid
            for sid, share in shares.items()
            if (p.kg_per_day[sid] > 0 if sid in p.kg_per_day else has_people and share > 0)
        }
        made |= {to for sid in list(made) for to in into.get(sid, ())}
        for sid in made:
            if sid not in out and p.frequency.get(sid, defaults.get(sid, "daily")) != "none":
                out[sid] = p.id
        if shares.keys() <= out.keys():
            break  # every stream found; the rest cannot add any
    return out


def _coverage(s: Scenario, r: _Report, made: dict[str, str]) -> None:
    """Each generated stream needs a collection vehicle type and an open place to unload."""
    # Broken point rows only hide generation: what the other points generate still needs a home.
    if not r.complete("streams", "generation"):
        return
    order = [x.id for x in s.streams if x.id in made]
    if r.complete("vehicle_types"):
        carried = {vt.stream for vt in s.vehicle_types if vt.role == "collection"}
        for sid in order:
            if sid not in carried:
                r.add(
                    "vehicle_types",
                    "",
                    "stream",
                    f"no collection vehicle type carries stream '{sid}', which is generated "
                    f"(e.g. at point {made[sid]})",
                )
    if r.complete("stations", "facilities"):
        accepted = {x for st in s.stations if st.is_open for x in st.streams}
        treated = {x for f in s.facilities for x in f.streams}
        for sid in order:
            if sid not in accepted and sid not in treated:
                r.add(
                    "stations",
                    "",
                    "streams",
                    f"no open transfer station or treatment facility accepts stream '{sid}', "
                    f"which is generated (e.g. at point {made[sid]})",
                )
            elif sid not in treated:
                r.add(
                    "facilities",
                    "",
                    "streams",
                    f"no treatment facility accepts stream '{sid}', which is generated "
                    f"(e.g. at point {made[sid]})",
                )
