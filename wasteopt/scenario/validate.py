"""Whole-scenario validation: every problem at once, each naming file, id, field and value.

Two layers run over a :class:`~wasteopt.scenario.model.Scenario`:

* **record checks** look at one record alone (a capacity must be > 0, a time window must not end
  before it starts, a frequency code must exist);
* **cross checks** look at the scenario as a whole (ids unique, references resolve, stream
  shares sum to 1, every generated stream has a collection vehicle type and somewhere to go,
  every due point + stream has a vehicle class that can reach it, every variant still makes a
  valid scenario).

The two-tier fields (classes, compaction, containers, ``[planning]``) are checked in
:mod:`.tier_checks`.

:func:`validate_scenario` runs both and returns the problems; it never raises. The loader runs
the same checks with a *locator* that turns ``(table, id)`` into ``("stations.csv", "line 8
(id=WH-03)")`` and with a *tolerance* naming the records it could not parse, so that one broken
row does not cascade into "unknown id" reports elsewhere.
"""

from __future__ import annotations

import math
import re

from wasteopt.clock import format_hhmm
from wasteopt.errors import Problem, ScenarioError
from wasteopt.scenario.barrier_checks import check_barriers
from wasteopt.scenario.cross_checks import SHARE_TOLERANCE, cross_checks, generated_streams
from wasteopt.scenario.model import (
    ACCESS_RULES,
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
from wasteopt.scenario.outages import check_outages
from wasteopt.scenario.report import Locate, ProblemReport, Tolerance, default_locate, fmt_value
from wasteopt.scenario.residue_checks import check_residues
from wasteopt.scenario.shift_checks import check_point_windows
from wasteopt.scenario.target_checks import check_point_town, check_targets, check_town_kinds
from wasteopt.scenario.targets import TOWN_KINDS
from wasteopt.scenario.text import BAD_CHARS, TEXT_EXPECTED, bad_char_message
from wasteopt.scenario.tier_checks import (
    check_facility_tiers,
    check_planning,
    check_point_access,
    check_station_tiers,
    check_vehicle_class,
)
from wasteopt.scenario.variants import apply_variant_tolerant

__all__ = [
    "SHARE_TOLERANCE",
    "default_locate",
    "fmt_value",
    "generated_streams",
    "run_checks",
    "validate_scenario",
]

VEHICLE_ROLES: tuple[str, ...] = ("collection", "haul")
# An id starts with a letter, digit or '_': never read as a spreadsheet formula (= + - @)
# or as a hidden or relative file name ('.').
_ID = re.compile(r"^\w[\w.\-]*$")
_ID_EXPECTED = "letters, digits, '-', '_', '.', starting with a letter, digit or '_'"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


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
    r = ProblemReport(locate, tolerate)
    _record_checks(s, r)
    made = generated_streams(s)
    cross_checks(s, r, made)
    check_barriers(s, r)
    check_residues(s, r)
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
        vr = ProblemReport(locate, tolerate)
        _record_checks(vs, vr, base=s)
        same_generation = (
            vs.points is s.points
            and vs.streams is s.streams
            and vs.generation.missorting is s.generation.missorting
        )
        cross_checks(vs, vr, made if same_generation else generated_streams(vs), base=s)
        for p in vr.problems:
            text = str(p)
            if text not in seen:
                seen.add(text)
                problems.append(
                    Problem(file="scenario.toml", where=where, message=f"with this variant: {text}")
                )
    return problems


# -- record checks ---------------------------------------------------------------------------


def _record_checks(s: Scenario, r: ProblemReport, base: Scenario | None = None) -> None:
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
    if s.plant_outages and (base is None or s.plant_outages is not base.plant_outages):
        for o in s.plant_outages:
            _check_id(r, "plant_outages", o.id)
            _check_text(r, "plant_outages", o.id, "source", o.source, required=False)
        check_outages(s, r)
    for f in s.residues if base is None else ():  # cross checks: check_residues
        for field, value in (("id", f.id), ("destination", f.destination)):
            if not _ID.match(value):
                r.add("residues", f.id, field, "not a valid id", value, _ID_EXPECTED)
        _check_text(r, "residues", f.id, "source", f.source, required=False)
    _check_generation(s, r)
    check_planning(s, r)
    r.number("network", "", "circuity", s.network.circuity, ge=1.0)
    for v in s.variants:
        if v.id == "base" or not _ID.match(v.id):
            r.add(
                "variants",
                v.id,
                "id",
                "not a valid variant id",
                v.id,
                _ID_EXPECTED + ", and not 'base'",
            )
        r.number("variants", v.id, "generation_scale", v.generation_scale, gt=0)
        _check_text(r, "variants", v.id, "description", v.description, required=False)
    _check_text(r, "scenario", "", "name", s.name)
    _check_text(r, "scenario", "", "description", s.description, required=False)
    if base is None or s.points is not base.points:
        check_town_kinds(s, r)
    if base is None:  # a variant cannot change the targets
        for tg in s.targets:
            _check_id(r, "targets", tg.id)
            _check_text(r, "targets", tg.id, "source", tg.source)
        check_targets(s, r)


def _check_id(r: ProblemReport, table: str, item_id: str) -> None:
    if not _ID.match(item_id):
        r.add(table, item_id, "id", "not a valid id", item_id, _ID_EXPECTED)


def _check_text(
    r: ProblemReport, table: str, item_id: str, field: str, text: str, *, required: bool = True
) -> None:
    """A name or other free text: no control characters; ``required``: not blank either."""
    why = bad_char_message(text)
    if why is not None:
        r.add(table, item_id, field, why, text, TEXT_EXPECTED)
    elif required and not text.strip():
        r.add(table, item_id, field, "is empty", text, "a name")


def _check_coords(r: ProblemReport, table: str, item_id: str, lon: float, lat: float) -> None:
    r.number(table, item_id, "lon", lon, ge=-180.0, le=180.0)
    r.number(table, item_id, "lat", lat, ge=-90.0, le=90.0)


def _check_window(
    r: ProblemReport,
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


def _check_stream(r: ProblemReport, st: Stream) -> None:
    t, i = "streams", st.id
    _check_id(r, t, i)
    _check_text(r, t, i, "name_en", st.name_en)
    _check_text(r, t, i, "name_zh", st.name_zh, required=False)
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
        and not (p.tw_start_by_stream or p.tw_end_by_stream)  # rare: checked in full below
        and (p.residents is not None or p.households is not None or p.kg_per_day)
        and all(kg >= 0 and kg != math.inf for kg in p.kg_per_day.values())
        and all(code in FREQUENCIES for code in p.frequency.values())
        and p.access in ACCESS_RULES
        and isinstance(p.large_generator, bool)
        and isinstance(p.compliant, bool)
        and (not p.town_kind or p.town_kind in TOWN_KINDS)
        and not BAD_CHARS.search(p.town)
        and _ID.match(p.id)
        and p.name.strip()
        and not BAD_CHARS.search(p.name)
        and not BAD_CHARS.search(p.district)
    )


def _check_point(r: ProblemReport, p: CollectionPoint) -> None:
    if _point_looks_fine(p):
        return
    t, i = "points", p.id
    _check_id(r, t, i)
    _check_text(r, t, i, "name", p.name)
    _check_text(r, t, i, "district", p.district)
    _check_text(r, t, i, "town", p.town, required=False)
    check_point_town(r, p)
    _check_coords(r, t, i, p.lon, p.lat)
    r.number(t, i, "residents", p.residents, ge=0)
    r.number(t, i, "households", p.households, ge=0)
    r.number(t, i, "service_time_s", p.service_time_s, gt=0)
    r.number(t, i, "phase", p.phase, ge=0)
    check_point_access(r, p)
    _check_window(r, t, i, ("tw_start", "tw_end"), p.tw_start_s, p.tw_end_s, strict=False)
    check_point_windows(r, p)
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


def _check_depot(r: ProblemReport, d: Depot) -> None:
    _check_id(r, "depots", d.id)
    _check_text(r, "depots", d.id, "name", d.name)
    _check_coords(r, "depots", d.id, d.lon, d.lat)
    _check_window(r, "depots", d.id, ("open", "close"), d.open_s, d.close_s, strict=True)


def _check_station(r: ProblemReport, st: TransferStation) -> None:
    t, i = "stations", st.id
    _check_id(r, t, i)
    _check_text(r, t, i, "name", st.name)
    _check_text(r, t, i, "district", st.district, required=False)
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
    check_station_tiers(r, st)


def _check_facility(r: ProblemReport, f: TreatmentFacility) -> None:
    t, i = "facilities", f.id
    _check_id(r, t, i)
    _check_text(r, t, i, "name", f.name)
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
    check_facility_tiers(r, f)


def _check_vehicle_type(r: ProblemReport, vt: VehicleType) -> None:
    t, i = "vehicle_types", vt.id
    _check_id(r, t, i)
    _check_text(r, t, i, "name", vt.name)
    if vt.role not in VEHICLE_ROLES:
        r.add(t, i, "role", "unknown role", vt.role, " or ".join(VEHICLE_ROLES))
    check_vehicle_class(r, vt)
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


def _check_generation(s: Scenario, r: ProblemReport) -> None:
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
        _check_text(r, t, "", f"holidays[{k}].name", h.name)
        r.number(t, "", f"holidays[{k}].days", h.days, gt=0)
        r.number(t, "", f"holidays[{k}].factor", h.factor, gt=0)
    for k, m in enumerate(g.missorting):
        r.number(t, "", f"missorting[{k}].share", m.share, ge=0, le=1)
