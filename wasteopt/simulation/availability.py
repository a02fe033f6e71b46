"""Plant availability in the simulation: outages, retrofits, diversion and the fallback chain.

Capacity of a plant on simulated day ``d`` (t/day)
--------------------------------------------------
``available = max(0, capacity − external × kept − lost)``: ``capacity_t_per_day`` less the
other districts' ``external_t_per_day`` (their load keeps its place unless an active row says
``external_kept`` < 1: kept is the smallest ``external_kept`` of the day's active rows, e.g. 0
when the partners send their waste elsewhere during a planned retrofit) less the capacity
``lost`` that day, the sum of the active
``plant_outages.csv`` rows (``t_per_day_lost``, or ``share_lost × capacity``; at most the
capacity). A ``planned`` or ``retrofit`` row is active on the dates ``start`` … ``start +
days − 1``. An ``unplanned`` row starts an outage on a day with probability ``rate_per_year /
365`` when none of its own is running; the outage lasts a geometric number of days with mean
``mean_days`` (at least one). Its draws come from the run's own random stream (a child of the
run's seed, drawn for every day of the horizon whatever happens), so the same seed repeats the
outages and replications differ. A row with ``active = false`` is ignored.

Diversion at dispatch (the plant announced its outage)
------------------------------------------------------
On a day with capacity lost, a plant controls its gate: a vehicle heading for it (a haul truck
leaving a station, or a collection vehicle driving to unload) is sent instead to the first
plant of the *fallback chain* (the plant, its ``fallback``, the fallback's fallback, …; each
plant once, so a cycle ends the chain) that accepts the stream and has *room* for the load:
a plant without an outage that day always has room (as without outages, it treats what it can
and passes on what exceeds its storage at the day's end); a plant with one has room while its
backlog, the loads already on their way to it and the load stay within ``storage_t`` plus the
day's available capacity (so nothing it accepts overflows). When no plant of the chain has
room, the load goes to the last one that can still treat something that day (else to the
planned plant, whose bunker holds what it can); what exceeds its storage passes on at the
day's end and may end *nowhere*. The
vehicle drives there and back from where it is: its km, hours and CO2 are in the vehicle rows;
:class:`PlantDay` attributes ``extra_km = d(here, to) + d(to, here) − d(here, plant) −
d(plant, here)``, that km at the vehicle's cost and emission factor, and the gate fee
difference ``(fee_to − fee_plant) × t``.

Overflow at the day's end (the chain followed, the waste queued)
----------------------------------------------------------------
Plants treat in fallback order (a plant before the plants it falls back on). What exceeds a
plant's storage after treatment is moved along its chain into the backlog of the next plant
that accepts the stream (a plant with an outage only up to its room, the rest further on),
charged at that plant's gate fee and, when that plant has not treated yet, treated there the
same day. The transfer is driven by the stream's largest haul vehicle type: ``kg / payload``
loads, each ``2 × d(plant, to)`` (the metres of that type's own paths: on a road network the
roads it may use), at that type's cost and CO2 per km (added to the day's cost and CO2). What
no plant of the chain takes ends *nowhere*: it leaves the mass balance as ``overflowed_kg``,
is logged as an ``unplaced`` event and is a treatment shortfall whatever its size
(:mod:`wasteopt.simulation.service`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wasteopt.scenario.model import PlantOutage, Scenario, VehicleType
from wasteopt.simulation.processes import EPS_KG, Plant, Vehicle

__all__ = ["AVAILABILITY_COLUMNS", "PlantAvailability", "PlantDay", "availability_lines"]

AVAILABILITY_COLUMNS: tuple[str, ...] = (
    "day",
    "date",
    "plant_id",
    "capacity_t_per_day",
    "external_t_per_day",
    "lost_t_per_day",
    "available_t_per_day",
    "outages",
    "diverted_t",
    "diverted_to",
    "overflow_t",
    "overflow_to",
    "nowhere_t",
    "extra_km",
    "extra_co2_kg",
    "transport_cost_cny",
    "fee_difference_cny",
    "extra_cost_cny",
)
"""``sim_availability``: one row per day and plant (see :meth:`PlantDay.row`)."""


@dataclass(slots=True)
class PlantDay:
    """One plant's day: capacity lost, loads diverted at dispatch, overflow passed on, what
    ended nowhere, and the extra km, CO2 and cost of both (tallies in kg, m, CNY)."""

    lost_kg: float = 0.0
    relief_kg: float = 0.0  # external load not taken today (external_kept < 1)
    outages: str = ""
    diverted_kg: dict[str, float] = field(default_factory=dict)  # plant it went to → kg
    overflow_kg: dict[str, float] = field(default_factory=dict)  # plant it went to → kg
    nowhere_kg: float = 0.0
    extra_m: float = 0.0
    co2_kg: float = 0.0
    transport_cny: float = 0.0
    fee_cny: float = 0.0

    def row(self, plant: Plant, nameplate_kg: float, external_kg: float) -> dict[str, Any]:
        """The day as a row of :data:`AVAILABILITY_COLUMNS` without day and date (t, km)."""
        return {
            "plant_id": plant.id,
            "capacity_t_per_day": nameplate_kg / 1000.0,
            "external_t_per_day": (external_kg - self.relief_kg) / 1000.0,
            "lost_t_per_day": self.lost_kg / 1000.0,
            "available_t_per_day": plant.capacity_kg_per_day / 1000.0,
            "outages": self.outages,
            "diverted_t": sum(self.diverted_kg.values()) / 1000.0,
            "diverted_to": _where(self.diverted_kg),
            "overflow_t": sum(self.overflow_kg.values()) / 1000.0,
            "overflow_to": _where(self.overflow_kg),
            "nowhere_t": self.nowhere_kg / 1000.0,
            "extra_km": self.extra_m / 1000.0,
            "extra_co2_kg": self.co2_kg,
            "transport_cost_cny": self.transport_cny,
            "fee_difference_cny": self.fee_cny,
            "extra_cost_cny": self.transport_cny + self.fee_cny,
        }


def _where(kg: Mapping[str, float]) -> str:
    return "; ".join(f"{k} {v / 1000.0:,.3f} t" for k, v in sorted(kg.items()) if v > EPS_KG)


class PlantAvailability:
    """The outage schedule of one run, the daily capacity of every plant, and the fallback
    chains (rules: module docstring). Mutable, one simulation only."""

    def __init__(
        self,
        scenario: Scenario,
        plants: Mapping[str, Plant],
        dist: Callable[[VehicleType], list[list[int]]],
        rng: np.random.Generator,
    ) -> None:
        self.plants = plants
        self.dist = dist  # a vehicle type's leg metres
        self.rng = rng
        self.rows = [o for o in scenario.plant_outages if o.active and o.facility_id in plants]
        facs = {f.id: f for f in scenario.facilities if f.id in plants}
        self.nameplate_kg = {k: f.capacity_t_per_day * 1000.0 for k, f in facs.items()}
        self.external_kg = {k: f.external_t_per_day * 1000.0 for k, f in facs.items()}
        # as the plants were built (bit for bit: a run without outages is unchanged)
        self.base_kg = {k: f.available_t_per_day * 1000.0 for k, f in facs.items()}
        self.chain = {k: _chain(k, {i: f.fallback for i, f in facs.items()}) for k in plants}
        self.order = _treatment_order(list(plants), self.chain)
        self.haul = _haul_types(scenario.vehicle_types)
        self.lost: dict[str, list[float]] = {}
        self.relief: dict[str, list[float]] = {}  # external kg/day not taken (external_kept)
        self.ids: dict[str, list[str]] = {}
        self.today: dict[str, PlantDay] = {}
        self.coming = dict.fromkeys(plants, 0.0)  # kg dispatched to each plant, not yet tipped
        self.day = 0

    # -- the schedule ----------------------------------------------------------------------

    def schedule(self, dates: Sequence[object]) -> list[str]:
        """Lost kg per plant and day over ``dates`` (the simulated days); returns notes on
        dated rows that miss the horizon."""
        days = len(dates)
        day_of = {_as_date(x): d for d, x in enumerate(dates)}
        notes: list[str] = []
        for pid in self.plants:
            self.lost[pid] = [0.0] * days
            self.relief[pid] = [0.0] * days
            self.ids[pid] = [""] * days
        for o in self.rows:
            lost = self._loss_kg(o)
            relief = self.external_kg[o.facility_id] * (1.0 - o.external_kept)
            if o.kind == "unplanned":
                active = self._draw(o, days)
            else:
                first = day_of.get(o.start) if o.start is not None else None
                span = [o.start + dt.timedelta(days=k) for k in range(o.days)] if o.start else []
                active = [d for x in span if (d := day_of.get(x)) is not None]
                if first is None and not active:
                    notes.append(f"plant outage {o.id} ({o.facility_id}) lies outside the dates")
            for d in active:
                cap = self.nameplate_kg[o.facility_id]
                lost_d = self.lost[o.facility_id]
                lost_d[d] = min(cap, lost_d[d] + lost)
                self.relief[o.facility_id][d] = max(self.relief[o.facility_id][d], relief)
                ids = self.ids[o.facility_id]
                ids[d] = f"{ids[d]};{o.id}" if ids[d] else o.id
        return notes

    def _loss_kg(self, o: PlantOutage) -> float:
        cap = self.nameplate_kg[o.facility_id]
        return min(cap, o.t_per_day_lost * 1000.0 if o.t_per_day_lost > 0 else o.share_lost * cap)

    def _draw(self, o: PlantOutage, days: int) -> list[int]:
        """The days of ``o``'s random outages: one start draw and one length draw per day of
        the horizon, used or not, so the sequence does not depend on what happened."""
        starts = self.rng.random(days) < o.rate_per_year / 365.0
        lengths = self.rng.geometric(1.0 / o.mean_days, size=days)
        out: list[int] = []
        until = 0
        for d in range(days):
            if d >= until and starts[d]:
                until = d + int(lengths[d])
            if d < until:
                out.append(d)
        return out

    def start_day(self, day: int) -> None:
        """Set every plant's capacity for ``day`` and open its day tallies."""
        self.day = day
        self.today = {}
        for pid, plant in self.plants.items():
            lost = self.lost[pid][day] if pid in self.lost else 0.0
            relief = self.relief[pid][day] if pid in self.relief else 0.0
            base = self.base_kg[pid]
            plant.capacity_kg_per_day = max(0.0, base + relief - lost) if lost else base
            ids = self.ids[pid][day] if pid in self.ids else ""
            self.today[pid] = PlantDay(lost_kg=lost, relief_kg=relief, outages=ids)

    def down(self, plant: Plant) -> bool:
        """True when ``plant`` lost capacity today (its gate is controlled)."""
        t = self.today.get(plant.id)  # none before the first day starts
        return t is not None and t.lost_kg > 0

    def room_kg(self, plant: Plant, *, coming: bool = False) -> float:
        """What ``plant`` may still accept today (inf without an outage); ``coming``: less
        the loads already sent its way (a dispatcher counts the trucks on the road)."""
        if not self.down(plant):
            return float("inf")
        held = sum(plant.backlog_kg.values()) + (self.coming[plant.id] if coming else 0.0)
        return max(0.0, plant.storage_kg + plant.capacity_kg_per_day - held)

    # -- dispatch --------------------------------------------------------------------------

    def route(self, plant: Plant, stream: str, kg: float) -> Plant:
        """Where a load of ``kg`` of ``stream`` heading for ``plant`` goes (module docstring)."""
        to = self.choose(plant, stream, kg)
        self.coming[to.id] += kg
        return to

    def arrived(self, plant: Plant, kg: float) -> None:
        """A load dispatched to ``plant`` has been tipped there."""
        self.coming[plant.id] = max(0.0, self.coming[plant.id] - kg)

    def choose(self, plant: Plant, stream: str, kg: float) -> Plant:
        """Where :meth:`route` would send the load now, without counting it on its way."""
        if not self.down(plant):
            return plant
        chain = [self.plants[p] for p in self.chain[plant.id]]
        takers = [q for q in chain if stream in q.backlog_kg]
        for q in takers:
            if self.room_kg(q, coming=True) >= kg - EPS_KG:
                return q
        treating = [q for q in takers if q.capacity_kg_per_day > 0]
        return treating[-1] if treating else plant

    def divert(self, plant: Plant, to: Plant, kg: float, extra_m: float, veh: Vehicle) -> None:
        """Tally a load of ``kg`` sent from ``plant`` to ``to`` (``veh``: the vehicle, for
        its cost and CO2 per km)."""
        t = self.today[plant.id]
        t.diverted_kg[to.id] = t.diverted_kg.get(to.id, 0.0) + kg
        t.extra_m += extra_m
        t.co2_kg += extra_m / 1000.0 * veh.co2_kg_per_km
        t.transport_cny += extra_m / 1000.0 * veh.cost_cny_per_km
        t.fee_cny += kg / 1000.0 * (to.gate_fee_cny_per_t - plant.gate_fee_cny_per_t)

    # -- the day's end ---------------------------------------------------------------------

    def treat(
        self, today: Mapping[str, dict[str, float]], log: Callable[[str, str, str, float], None]
    ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], dict[str, float]]:
        """Every plant treats in fallback order and passes its overflow on along its chain;
        ``today``: the day's flows per stream (costs and CO2 are added there); ``log(kind,
        plant, stream, kg)`` logs an event. Returns kg treated and overflowed per plant and
        stream, and kg per stream that ended nowhere."""
        treated_by: dict[str, dict[str, float]] = {}
        over_by: dict[str, dict[str, float]] = {}
        nowhere: dict[str, float] = {}
        for pid in self.order:
            plant = self.plants[pid]
            treated, overflow = plant.treat_day()
            treated_by[pid], over_by[pid] = treated, overflow
            for s, kg in overflow.items():
                log("overflow", pid, s, kg)
                left = self._pass_on(plant, s, kg, today[s])
                if left > EPS_KG:
                    self.today[pid].nowhere_kg += left
                    nowhere[s] = nowhere.get(s, 0.0) + left
                    log("unplaced", pid, s, left)
        return treated_by, over_by, nowhere

    def _pass_on(self, plant: Plant, stream: str, kg: float, flows: dict[str, float]) -> float:
        """Move ``kg`` of ``plant``'s overflow into the backlogs along its chain; returns what
        no plant took."""
        t = self.today[plant.id]
        for qid in self.chain[plant.id][1:]:
            q = self.plants[qid]
            if stream not in q.backlog_kg or kg <= EPS_KG:
                continue
            take = min(kg, self.room_kg(q))
            if take <= EPS_KG:
                continue
            kg -= take
            q.backlog_kg[stream] += take
            q.received_kg[stream] = q.received_kg.get(stream, 0.0) + take
            t.overflow_kg[qid] = t.overflow_kg.get(qid, 0.0) + take
            fee = take / 1000.0 * q.gate_fee_cny_per_t
            km, co2, cny = self._transfer(plant, q, stream, take)
            t.extra_m += km * 1000.0
            t.co2_kg += co2
            t.transport_cny += cny
            t.fee_cny += take / 1000.0 * (q.gate_fee_cny_per_t - plant.gate_fee_cny_per_t)
            flows["cost_cny"] += fee + cny
            flows["co2_kg"] = flows.get("co2_kg", 0.0) + co2
        return kg

    def _transfer(self, a: Plant, b: Plant, stream: str, kg: float) -> tuple[float, float, float]:
        """km, kg CO2 and CNY of moving ``kg`` from ``a`` to ``b`` by the stream's haul type."""
        vt = self.haul.get(stream)
        if vt is None:
            return 0.0, 0.0, 0.0
        km = kg / vt.payload_kg * 2.0 * self.dist(vt)[a.index][b.index] / 1000.0
        return km, km * vt.co2_kg_per_km, km * vt.cost_cny_per_km

    def day_rows(self, day: int, date: object) -> list[dict[str, Any]]:
        """Today's :data:`AVAILABILITY_COLUMNS` rows, one per plant."""
        return [
            {
                "day": day,
                "date": date,
                **self.today[pid].row(p, self.nameplate_kg[pid], self.external_kg[pid]),
            }
            for pid, p in self.plants.items()
        ]


def _as_date(x: object) -> dt.date | None:
    """A simulated date (numpy, pandas or datetime) as a ``datetime.date``."""
    try:
        return dt.date.fromisoformat(str(np.datetime64(x, "D")))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _chain(start: str, fallback: Mapping[str, str]) -> list[str]:
    """``start``, its fallback, the fallback's fallback, …; each once (a cycle ends it)."""
    out = [start]
    nxt = fallback.get(start, "")
    while nxt and nxt in fallback and nxt not in out:
        out.append(nxt)
        nxt = fallback[nxt]
    return out


def _treatment_order(plants: list[str], chain: Mapping[str, list[str]]) -> list[str]:
    """Plants ordered so that each treats before the plants it falls back on (a plant's
    depth: the longest chain leading to it); ties keep the scenario order."""
    depth = dict.fromkeys(plants, 0)
    for ids in chain.values():
        for k, pid in enumerate(ids):
            depth[pid] = max(depth[pid], k)
    return sorted(plants, key=lambda p: depth[p])


def _haul_types(types: Iterable[VehicleType]) -> dict[str, VehicleType]:
    """Per stream, its haul vehicle type with the largest payload."""
    out: dict[str, VehicleType] = {}
    for vt in types:
        best = out.get(vt.stream)
        if (
            vt.role == "haul"
            and vt.payload_kg > 0
            and (best is None or vt.payload_kg > best.payload_kg)
        ):
            out[vt.stream] = vt
    return out


def availability_lines(frame: pd.DataFrame | None) -> list[str]:
    """Summary lines: per plant with capacity lost, diverted, overflowed or unplaced waste."""
    if frame is None or not len(frame):
        return []
    g = frame.groupby("plant_id", sort=False)
    sums = g[["lost_t_per_day", "diverted_t", "overflow_t", "nowhere_t", "extra_km"]].sum()
    sums[["extra_co2_kg", "extra_cost_cny"]] = g[["extra_co2_kg", "extra_cost_cny"]].sum()
    sums["days_lost"] = g["lost_t_per_day"].apply(lambda x: int((x > 0).sum()))
    lines = []
    for pid, r in sums.iterrows():
        if r["lost_t_per_day"] <= 0 and r["diverted_t"] + r["overflow_t"] + r["nowhere_t"] <= 0:
            continue
        lines.append(
            f"{pid}: capacity lost on {int(r['days_lost'])} day(s) ({r['lost_t_per_day']:,.0f} "
            f"t in all); diverted at dispatch {r['diverted_t']:,.1f} t, overflow passed on "
            f"{r['overflow_t']:,.1f} t, nowhere {r['nowhere_t']:,.1f} t; extra "
            f"{r['extra_km']:,.0f} km, {r['extra_co2_kg']:,.0f} kg CO2, "
            f"{r['extra_cost_cny']:,.0f} CNY"
        )
    return lines
