"""Checks of the two-tier fields: vehicle and access classes, station compaction, bays and
containers, plant external load, the ``[planning]`` settings, and the access rule.

The access rule (:data:`~wasteopt.scenario.model.ACCESS_RULES`): a point is served, for each
stream due there, by a collection vehicle type of that stream whose class may enter the point's
access class. A point + stream that is due (generated there and collected, frequency not
``none``) but that no collection vehicle class of the stream can reach is an error naming the
point, its access, the stream and the classes the scenario has for that stream.
"""

from __future__ import annotations

from wasteopt.scenario.model import (
    ACCESS_CLASSES,
    ACCESS_RULES,
    COLLECTION_CLASSES,
    CONDITIONS,
    HAUL_CLASSES,
    VEHICLE_CLASSES,
    CollectionPoint,
    Scenario,
    TransferStation,
    TreatmentFacility,
    VehicleType,
)
from wasteopt.scenario.report import ProblemReport

__all__ = [
    "BUILT_YEARS",
    "PLAN_MODES",
    "access_coverage",
    "check_facility_tiers",
    "check_planning",
    "check_point_access",
    "check_station_tiers",
    "check_vehicle_class",
]

PLAN_MODES: tuple[str, ...] = ("status_quo", "free")
#: Plausible construction years of a station (inclusive).
BUILT_YEARS: tuple[int, int] = (1900, 2100)


def check_point_access(r: ProblemReport, p: CollectionPoint) -> None:
    """The access class is a known one and ``large_generator`` is a bool."""
    if p.access not in ACCESS_RULES:
        r.add("points", p.id, "access", "unknown access class", p.access, ", ".join(ACCESS_CLASSES))
    if not isinstance(p.large_generator, bool):
        r.add("points", p.id, "large_generator", "not true or false", p.large_generator)


def check_vehicle_class(r: ProblemReport, vt: VehicleType) -> None:
    """A known class that fits the role: collection classes collect, haul classes haul."""
    t, i, c = "vehicle_types", vt.id, vt.vehicle_class
    if not c:
        return
    if c not in VEHICLE_CLASSES:
        r.add(t, i, "vehicle_class", "unknown vehicle class", c, ", ".join(VEHICLE_CLASSES))
    elif vt.role == "collection" and c not in COLLECTION_CLASSES:
        r.add(
            t,
            i,
            "vehicle_class",
            "not a collection class (role is collection)",
            c,
            "empty or one of " + ", ".join(COLLECTION_CLASSES),
        )
    elif vt.role == "haul" and c not in HAUL_CLASSES:
        r.add(
            t,
            i,
            "vehicle_class",
            "not a haul class (role is haul)",
            c,
            "empty or one of " + ", ".join(HAUL_CLASSES),
        )


def check_station_tiers(r: ProblemReport, st: TransferStation) -> None:
    """Per-stream compaction and bays name accepted streams; containers, staff, condition."""
    t, i = "stations", st.id
    accepted = "a stream the station accepts: " + (", ".join(st.streams) or "none")
    for sid, ratio in st.compaction.items():
        if sid not in st.streams:
            r.add(t, i, f"compaction.{sid}", "stream not accepted by this station", sid, accepted)
        r.number(t, i, f"compaction.{sid}", ratio, ge=1)
    for sid, n in st.stream_bays.items():
        if sid not in st.streams:
            r.add(t, i, f"stream_bays.{sid}", "stream not accepted by this station", sid, accepted)
        r.number(t, i, f"stream_bays.{sid}", n, ge=1)
    r.number(t, i, "containers", st.containers, ge=0)
    r.number(t, i, "container_t", st.container_t, ge=0)
    if st.containers > 0 and st.container_t <= 0:
        r.add(
            t,
            i,
            "container_t",
            f"needed with containers = {st.containers}",
            st.container_t,
            "container size in t > 0",
        )
    r.number(t, i, "staff", st.staff, ge=0)
    r.number(t, i, "built_year", st.built_year, ge=BUILT_YEARS[0], le=BUILT_YEARS[1])
    if st.condition not in CONDITIONS:
        r.add(t, i, "condition", "unknown condition", st.condition, ", ".join(CONDITIONS))
    for name in ("separates_streams", "meets_standard"):
        if not isinstance(getattr(st, name), bool):
            r.add(t, i, name, "not true or false", getattr(st, name))


def check_facility_tiers(r: ProblemReport, f: TreatmentFacility) -> None:
    """The external load lies in [0, capacity]."""
    cap = f.capacity_t_per_day
    le = cap if isinstance(cap, int | float) and cap > 0 else None  # bad capacity: reported
    r.number("facilities", f.id, "external_t_per_day", f.external_t_per_day, ge=0, le=le)


def check_planning(s: Scenario, r: ProblemReport) -> None:
    """The ``[planning]`` values are in range."""
    pl, t = s.planning, "planning"
    if pl.mode not in PLAN_MODES:
        r.add(t, "", "mode", "unknown planning mode", pl.mode, " or ".join(PLAN_MODES))
    r.number(t, "", "max_haul_km", pl.max_haul_km, gt=0)
    r.number(t, "", "shortfall_penalty_cny_per_t", pl.shortfall_penalty_cny_per_t, ge=0)
    # A short tonne pays the penalty instead of a gate fee: a penalty at or below a gate fee
    # would make leaving waste untreated cheaper than treating it, even with spare capacity.
    fees = [
        (f.gate_fee_cny_per_t, f.id)
        for f in s.facilities
        if isinstance(f.gate_fee_cny_per_t, int | float)
    ]
    penalty = pl.shortfall_penalty_cny_per_t
    # (a negative penalty is already reported above: one problem per bad value)
    if fees and isinstance(penalty, int | float) and 0 <= penalty <= max(fees)[0]:
        fee, fid = max(fees)
        r.add(
            t,
            "",
            "shortfall_penalty_cny_per_t",
            f"not above the highest gate fee ({fee:g} CNY/t at {fid}), so refusing waste "
            "would look cheaper than treating it",
            penalty,
            f"more than {fee:g}",
        )
    r.number(t, "", "wage_cny_per_person_year", pl.wage_cny_per_person_year, ge=0)
    # A share of the payload: 0 would plan empty trips, above 1 would overload every truck.
    r.number(t, "", "fill_margin", pl.fill_margin, gt=0, le=1)
    if not isinstance(pl.require_standard, bool):
        r.add(t, "", "require_standard", "not true or false", pl.require_standard)


def access_coverage(s: Scenario, r: ProblemReport) -> None:
    """Every due point + stream can be reached by a collection vehicle class of the stream."""
    if not r.complete("vehicle_types", "streams", "generation"):
        return
    # stream -> collection class -> the vehicle types of that class (named in the message)
    classes: dict[str, dict[str, list[str]]] = {}
    for vt in s.vehicle_types:
        if vt.role == "collection" and vt.effective_class in COLLECTION_CLASSES:
            by_class = classes.setdefault(vt.stream, {})
            by_class.setdefault(vt.effective_class, []).append(vt.id)
    # Streams without any collection vehicle are reported by the coverage check already.
    blocked = {
        access: [sid for sid, cs in classes.items() if not set(cs) & allowed]
        for access, allowed in ACCESS_RULES.items()
    }
    if not any(blocked.values()):
        return
    shares = {x.id: x.share for x in s.streams}
    into: dict[str, set[str]] = {}
    for m in s.generation.missorting:
        if m.share > 0:
            into.setdefault(m.to_stream, set()).add(m.from_stream)
    have = {
        sid: ", ".join(f"{c} ({' '.join(ids)})" for c, ids in by_class.items())
        for sid, by_class in classes.items()
    }
    for p in s.points:
        for sid in blocked.get(p.access, ()):
            if p.frequency.get(sid, "daily") == "none":
                continue
            if not any(_generates(p, x, shares) for x in {sid} | into.get(sid, set())):
                continue
            r.add(
                "points",
                p.id,
                "access",
                f"no collection vehicle of stream '{sid}' can reach this point: access "
                f"'{p.access}' admits {', '.join(sorted(ACCESS_RULES[p.access]))}; the "
                f"scenario's collection classes for '{sid}' are {have[sid]}",
                p.access,
                "an access class one of those classes may serve (see ACCESS_RULES), or a "
                f"vehicle type for '{sid}' of a class this point admits",
            )


def _generates(p: CollectionPoint, sid: str, shares: dict[str, float]) -> bool:
    """True when ``p`` produces stream ``sid`` (explicit rate > 0, or people and a share)."""
    if sid in p.kg_per_day:
        return p.kg_per_day[sid] > 0
    people = p.residents if p.residents is not None else p.households
    return bool(people and people > 0 and shares.get(sid, 0.0) > 0)
