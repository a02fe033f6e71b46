"""``residues.csv``: its rows as :class:`~wasteopt.scenario.residues.ResidueFlow` records, the
sites each origin stands for, and the checks of the table against the scenario.

Checks (each problem names file, line, id and field): a known ``basis``; ``amount`` ≥ 0 and a
share at most 1; an origin that is a station, a facility, ``stations`` or a facility kind;
for every origin site the shares of its ``share_of_input`` flows sum to at most 1 (what is
left is converted: energy, gas, water vapour, recovered material); a destination that is a
facility or an outside site with coordinates or ``km`` (never a station); a hazardous residue
only to a ``hazardous_facility`` or a ``licensed`` destination; ``uses_capacity`` only into a
facility and without a circle (A's rejects burnt at B whose residues are burnt at A); one
``line_capacity_t_per_day`` per destination and residue; costs, distances and coordinates
finite and ≥ 0 (coordinates in range).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

from wasteopt.coordinates import Crs, transform
from wasteopt.scenario.csv_tables import Row
from wasteopt.scenario.model import FACILITY_KINDS, Scenario
from wasteopt.scenario.report import ProblemReport
from wasteopt.scenario.residues import ALL_STATIONS, BASES, ResidueFlow

__all__ = [
    "check_residues",
    "origin_sites",
    "residue_flow",
    "residues_to_wgs84",
    "uses_capacity_order",
]

TABLE = "residues"
_SHARE_TOLERANCE = 1e-9


def residue_flow(r: Row) -> ResidueFlow | None:
    """A residue flow; None when a cell failed."""
    v = r.values()
    if r.failed:
        return None
    return ResidueFlow(
        id=v["id"],
        origin=v["origin"],
        residue=v["residue"],
        basis=v["basis"],
        amount=v["amount"],
        destination=v["destination"],
        dest_lon=v["dest_lon"],
        dest_lat=v["dest_lat"],
        km=v["km"],
        hazardous=v["hazardous"],
        licensed=v["licensed"],
        uses_capacity=v["uses_capacity"],
        line_capacity_t_per_day=v["line_capacity_t_per_day"],
        cost_cny_per_t=v["cost_cny_per_t"],
        transport_cny_per_t_km=v["transport_cny_per_t_km"],
        co2_kg_per_t_km=v["co2_kg_per_t_km"],
        source=v["source"],
    )


def residues_to_wgs84(flows: list[ResidueFlow], crs: Crs) -> list[ResidueFlow]:
    """``flows`` with outside destinations' coordinates converted from ``crs`` to WGS-84
    (coordinates out of range are kept as written, for the checks to report)."""
    if crs == "wgs84":
        return flows
    out = []
    for f in flows:
        lon, lat = f.dest_lon, f.dest_lat
        if lon is None or lat is None or not (abs(lon) <= 180 and abs(lat) <= 90):
            out.append(f)
            continue
        x, y = transform(lon, lat, crs, "wgs84")
        out.append(replace(f, dest_lon=float(x), dest_lat=float(y)))
    return out


def origin_sites(s: Scenario, flow: ResidueFlow) -> tuple[str, ...]:
    """The station and facility ids ``flow.origin`` stands for (empty when unknown)."""
    if flow.origin == ALL_STATIONS:
        return tuple(st.id for st in s.stations)
    if flow.origin in FACILITY_KINDS:
        return tuple(f.id for f in s.facilities if f.kind == flow.origin)
    ids = {st.id for st in s.stations} | {f.id for f in s.facilities}
    return (flow.origin,) if flow.origin in ids else ()


def uses_capacity_order(s: Scenario) -> tuple[list[str], list[str]]:
    """Facility ids in an order where every ``uses_capacity`` flow runs from an earlier
    facility to a later one, and the ids left on a circle (empty when there is none)."""
    facilities = [f.id for f in s.facilities]
    edges: dict[str, set[str]] = {f: set() for f in facilities}
    for flow in s.residues:
        if flow.uses_capacity and flow.destination in edges:
            for site in origin_sites(s, flow):
                if site in edges:
                    edges[site].add(flow.destination)
    into = {f: 0 for f in facilities}
    for targets in edges.values():
        for t in targets:
            into[t] += 1
    ready = [f for f in facilities if into[f] == 0]
    order: list[str] = []
    while ready:
        f = ready.pop(0)
        order.append(f)
        for t in sorted(edges[f]):
            into[t] -= 1
            if into[t] == 0:
                ready.append(t)
    return order, [f for f in facilities if f not in order]


def check_residues(s: Scenario, r: ProblemReport) -> None:
    """Every problem of the residue flows of ``s`` (see the module docstring)."""
    if not s.residues:
        return
    for flow in s.residues:
        _check_flow(s, r, flow)
    _check_shares(s, r)
    _check_lines(r, s.residues)
    _, circle = uses_capacity_order(s)
    if circle:
        bad = next(f for f in s.residues if f.uses_capacity and f.destination in circle)
        r.add(
            TABLE,
            bad.id,
            "uses_capacity",
            "side flows processed in main lines form a circle through " + ", ".join(circle),
            bad.uses_capacity,
            "no facility whose residues come back to it through main lines",
        )


def _check_flow(s: Scenario, r: ProblemReport, flow: ResidueFlow) -> None:
    """The checks of one row alone and of its references."""
    i = flow.id
    if flow.basis not in BASES:
        r.add(TABLE, i, "basis", "unknown basis", flow.basis, " or ".join(BASES))
    r.number(TABLE, i, "amount", flow.amount, ge=0.0, le=1.0 if flow.is_share else None)
    for name in ("cost_cny_per_t", "transport_cny_per_t_km", "co2_kg_per_t_km", "km"):
        r.number(TABLE, i, name, getattr(flow, name), ge=0.0)
    r.number(TABLE, i, "line_capacity_t_per_day", flow.line_capacity_t_per_day, gt=0.0)
    r.number(TABLE, i, "dest_lon", flow.dest_lon, ge=-180.0, le=180.0)
    r.number(TABLE, i, "dest_lat", flow.dest_lat, ge=-90.0, le=90.0)
    if not flow.residue.strip():
        r.add(TABLE, i, "residue", "is empty", flow.residue, "what flows, e.g. slag")
    known_origin = (
        bool(origin_sites(s, flow))
        or flow.origin in (ALL_STATIONS, *FACILITY_KINDS)
        or r.known("facilities", flow.origin, ())
        or r.known("stations", flow.origin, ())
    )
    if not known_origin:
        r.add(
            TABLE,
            i,
            "origin",
            "unknown origin",
            flow.origin,
            f"a facility id, a station id, '{ALL_STATIONS}' or a facility kind",
        )
    _check_destination(s, r, flow)


def _check_destination(s: Scenario, r: ProblemReport, flow: ResidueFlow) -> None:
    """A facility, or an outside site located by coordinates or ``km``; licences."""
    i, dest = flow.id, flow.destination
    facilities = {f.id: f for f in s.facilities}
    if dest in {st.id for st in s.stations}:
        r.add(
            TABLE,
            i,
            "destination",
            "a transfer station takes no residues",
            dest,
            "a facility id or an outside site",
        )
        return
    facility = facilities.get(dest)
    outside = facility is None and not r.known("facilities", dest, ())
    if outside:
        located = flow.km is not None or (flow.dest_lon is not None and flow.dest_lat is not None)
        if not located:
            r.add(
                TABLE,
                i,
                "destination",
                "not a facility, and no dest_lon/dest_lat or km locates it as an outside site",
                dest,
                "a facility id, or coordinates or km",
            )
        if flow.uses_capacity:
            r.add(
                TABLE,
                i,
                "uses_capacity",
                "an outside site has no capacity of the scenario",
                flow.uses_capacity,
                "false for an outside destination",
            )
    if flow.uses_capacity and flow.line_capacity_t_per_day is not None:
        r.add(
            TABLE,
            i,
            "line_capacity_t_per_day",
            "a flow into the main line uses the facility's capacity_t_per_day",
            flow.line_capacity_t_per_day,
            "empty",
        )
    hazardous_site = facility is not None and facility.kind == "hazardous_facility"
    if flow.hazardous and not flow.licensed and not hazardous_site:
        r.add(
            TABLE,
            i,
            "licensed",
            "a hazardous residue needs a licensed destination",
            flow.licensed,
            "a hazardous_facility, or licensed = true for a destination "
            "licensed for it (e.g. a landfill's fly-ash cell)",
        )


def _check_shares(s: Scenario, r: ProblemReport) -> None:
    """The shares leaving one origin site sum to at most 1 (reported on the row that tips
    the sum over, naming the site and the sum)."""
    total: dict[str, float] = {}
    for flow in s.residues:
        if not flow.is_share or not math.isfinite(flow.amount) or flow.amount < 0:
            continue
        for site in origin_sites(s, flow):
            before = total.get(site, 0.0)
            total[site] = before + flow.amount
            if before <= 1.0 + _SHARE_TOLERANCE < total[site]:
                r.add(
                    TABLE,
                    flow.id,
                    "amount",
                    f"the shares of input leaving {site} sum to {total[site]:.6g} with this row",
                    flow.amount,
                    "shares of one origin summing to at most 1",
                )


def _check_lines(r: ProblemReport, flows: Iterable[ResidueFlow]) -> None:
    """One ``line_capacity_t_per_day`` per destination and residue."""
    seen: dict[tuple[str, str], tuple[str, float]] = {}
    for flow in flows:
        cap = flow.line_capacity_t_per_day
        if cap is None:
            continue
        key = (flow.destination, flow.residue)
        if key in seen and seen[key][1] != cap:
            first, value = seen[key]
            r.add(
                TABLE,
                flow.id,
                "line_capacity_t_per_day",
                f"differs from row {first} ({value:g}) for {flow.residue} at {flow.destination}",
                cap,
                "one capacity per destination and residue",
            )
        seen.setdefault(key, (flow.id, cap))
