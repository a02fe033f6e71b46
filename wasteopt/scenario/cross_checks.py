"""Checks of the scenario as a whole: ids unique, references between tables resolve, fallbacks
form no cycle, shares and missorting add up, every generated stream has a collection vehicle
type and somewhere to go, every due point + stream a vehicle class that can reach it, and every
shift fits its depot's hours and the next day's shift (:mod:`.shift_checks`)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from wasteopt.scenario.model import Scenario
from wasteopt.scenario.report import ProblemReport
from wasteopt.scenario.shift_checks import check_shifts
from wasteopt.scenario.tier_checks import access_coverage

__all__ = ["SHARE_TOLERANCE", "cross_checks", "generated_streams"]

#: Stream shares must sum to 1 within this tolerance.
SHARE_TOLERANCE = 0.001


def cross_checks(
    s: Scenario, r: ProblemReport, made: dict[str, str], base: Scenario | None = None
) -> None:
    """Whole-scenario checks; with ``base`` (s is a variant of it) skip what cannot differ.
    ``made``: the streams generated (:func:`generated_streams`)."""
    stream_ids = _unique(r, "streams", (x.id for x in s.streams), "stream id")
    _unique(r, "vehicle_types", (x.id for x in s.vehicle_types), "vehicle type id")
    _unique(r, "variants", (x.id for x in s.variants), "variant id")
    if base is None:
        _unique_sites(s, r)  # variants cannot edit ids
    if base is None or s.points is not base.points:
        _point_stream_keys(s, r, stream_ids)
    for st in s.stations:
        for sid in st.streams:
            _stream_ref(r, stream_ids, "stations", st.id, "streams", sid)
    _size_groups(s, r)
    _facility_references(s, r, stream_ids)
    _fallback_cycles(s, r)
    _vehicle_type_references(s, r, stream_ids)
    check_shifts(s, r)
    for k, m in enumerate(s.generation.missorting):
        _stream_ref(r, stream_ids, "generation", "", f"missorting[{k}].from", m.from_stream)
        _stream_ref(r, stream_ids, "generation", "", f"missorting[{k}].to", m.to_stream)
        if m.from_stream == m.to_stream:
            r.add("generation", "", f"missorting[{k}].to", "same stream as 'from'", m.to_stream)
    _missort_totals(s, r)
    _stream_shares(s, r)
    _coverage(s, r, made)
    access_coverage(s, r)


def _stream_ref(
    r: ProblemReport, stream_ids: set[str], table: str, item_id: str, field: str, sid: str
) -> None:
    """Report ``sid`` (in ``table`` / ``item_id`` / ``field``) when no stream has that id."""
    if not r.known("streams", sid, stream_ids):
        r.add(
            table,
            item_id,
            field,
            "unknown stream",
            sid,
            "one of " + ", ".join(sorted(stream_ids)),
        )


def _facility_references(s: Scenario, r: ProblemReport, stream_ids: set[str]) -> None:
    """A facility's streams and its fallback facility must exist."""
    facility_ids = {f.id for f in s.facilities}
    for f in s.facilities:
        for sid in f.streams:
            _stream_ref(r, stream_ids, "facilities", f.id, "streams", sid)
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


def _vehicle_type_references(s: Scenario, r: ProblemReport, stream_ids: set[str]) -> None:
    """A vehicle type's stream must exist, and its home: a depot, or for haul also a station."""
    depot_ids = {d.id for d in s.depots}
    station_ids = {st.id for st in s.stations}
    for vt in s.vehicle_types:
        _stream_ref(r, stream_ids, "vehicle_types", vt.id, "stream", vt.stream)
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


def _stream_shares(s: Scenario, r: ProblemReport) -> None:
    """The streams' shares of the generated waste sum to 1."""
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


def _unique(r: ProblemReport, table: str, ids: Iterable[str], what: str) -> set[str]:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            r.add(table, i, "id", f"duplicate {what}", i, "ids unique within the table")
        seen.add(i)
    return seen


def _unique_sites(s: Scenario, r: ProblemReport) -> None:
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


def _point_stream_keys(s: Scenario, r: ProblemReport, stream_ids: set[str]) -> None:
    """kg_per_day.<x> / freq.<x> / tw_start.<x> / tw_end.<x> must name known streams:
    reported once per column."""
    columns = (
        ("kg_per_day", "kg_per_day"),
        ("freq", "frequency"),
        ("tw_start", "tw_start_by_stream"),
        ("tw_end", "tw_end_by_stream"),
    )
    found: dict[str, set[str]] = {attr: set() for _, attr in columns}
    for p in s.points:
        for attr, keys in found.items():
            keys.update(getattr(p, attr))
    for prefix, attr in columns:
        keys = found[attr]
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


def _fallback_cycles(s: Scenario, r: ProblemReport) -> None:
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


def _missort_totals(s: Scenario, r: ProblemReport) -> None:
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


def _size_groups(s: Scenario, r: ProblemReport) -> None:
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


def _coverage(s: Scenario, r: ProblemReport, made: dict[str, str]) -> None:
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
