"""Transfer stations in the simulation: how they are built from the scenario (bays per stream,
compaction per stream, the container pool, the plant of each stream), tipping into them, and the
haul shifts that empty them (rules: :mod:`wasteopt.simulation.processes`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from functools import partial
from typing import Any, cast

import simpy

from wasteopt.facilities.plan import FacilityPlan
from wasteopt.network import TravelMatrix
from wasteopt.scenario.model import Scenario, TransferStation
from wasteopt.simulation.availability import PlantAvailability
from wasteopt.simulation.ledger import TripLedger
from wasteopt.simulation.processes import (
    DAY_S,
    EPS_KG,
    Bays,
    ContainerPool,
    Event,
    Plant,
    Site,
    Station,
    Vehicle,
)
from wasteopt.simulation.settings import SimulationSettings

__all__ = ["StationWork", "build_stations", "station_plant", "trailer_kg"]

Process = Generator[simpy.Event, Any, None]
MakeBays = Callable[[str, int, int, int, int], Bays]
"""``(site, bays, unload_time_s, open_s, close_s) -> Bays``."""


def trailer_kg(payload_kg: float, volume_m3: float, density: float, ratio: float) -> float:
    """A trailer load: its payload, or its volume at the stream's ``density`` packed by the
    station's compaction ``ratio`` for that stream, whichever is less."""
    return min(payload_kg, volume_m3 * density * ratio)


def station_plant(
    scenario: Scenario,
    matrix: TravelMatrix,
    dist: list[list[int]],
    station: str,
    stream: str,
    fplan: FacilityPlan | None,
    fallbacks: set[str],
) -> str:
    """The plant of the facility plan's largest flow from ``station`` for ``stream``; else the
    nearest plant accepting the stream that is nobody's fallback ("" when none accepts it)."""
    if fplan is not None:
        flows = [
            (t, k) for (j, s, k), t in fplan.flows.items() if j == station and s == stream and t > 0
        ]
        if flows:
            return max(flows)[1]
    cands = [f for f in scenario.facilities if stream in f.streams]
    primary = [f for f in cands if f.id not in fallbacks] or cands
    if not primary:
        return ""
    row = dist[matrix.index(station)]
    return min(primary, key=lambda f: row[matrix.index(f.id)]).id


def build_stations(
    scenario: Scenario,
    matrix: TravelMatrix,
    dist: list[list[int]],
    *,
    fplan: FacilityPlan | None,
    toured: set[str],
    make_bays: MakeBays,
    env: simpy.Environment,
) -> tuple[dict[str, Station], list[str]]:
    """The stations open in the facility plan (else by their status) or unloaded at by a tour
    (ids in ``toured``), and notes on streams whose stock nobody hauls."""
    open_ids = set(fplan.open_stations) if fplan is not None else None
    fallbacks = {f.fallback for f in scenario.facilities if f.fallback}
    haul_types = [v for v in scenario.vehicle_types if v.role == "haul"]
    stations: dict[str, Station] = {}
    notes: list[str] = []
    for s in scenario.stations:
        used = s.is_open if open_ids is None else s.id in open_ids
        if not used and s.id not in toured:
            continue
        loads: dict[str, list[float]] = {}  # stream → trailer load of each haul type
        plants: dict[str, str] = {}
        for stream in s.streams:
            density = scenario.stream(stream).density_kg_per_m3
            ratio = s.compaction_for(stream)
            loads[stream] = [
                trailer_kg(v.payload_kg, v.volume_m3, density, ratio)
                for v in haul_types
                if v.stream == stream
            ]
            plants[stream] = station_plant(scenario, matrix, dist, s.id, stream, fplan, fallbacks)
            if not loads[stream]:
                notes.append(
                    f"station {s.id}: no haul vehicle for {stream}; its "
                    f"{stream} stock stays at the station"
                )
        stations[s.id] = _station(s, matrix, loads, plants, make_bays, env)
    return stations, notes


def _station(
    s: TransferStation,
    matrix: TravelMatrix,
    loads: dict[str, list[float]],
    plants: dict[str, str],
    make_bays: MakeBays,
    env: simpy.Environment,
) -> Station:
    """One station's state: per stream the trailer load that triggers a haul (the largest of
    its haul types), bays, compaction and, with ``containers > 0``, the container pool."""
    bays = {
        x: make_bays(s.id, n, s.unload_time_s, s.open_s, s.close_s)
        for x, n in s.stream_bays.items()
        if x in s.streams
    }
    pool = None
    if s.containers > 0:
        cap_kg = {
            x: min(ls) if s.container_t <= 0 else min(s.container_t * 1000.0, *ls)
            for x, ls in loads.items()
            if ls
        }
        pool = ContainerPool(
            size=s.containers, capacity_kg=cap_kg, empty=s.containers, freed=env.event()
        )
        pool.full = {x: deque() for x in cap_kg}
    return Station(
        id=s.id,
        index=matrix.index(s.id),
        bays=make_bays(s.id, s.bays, s.unload_time_s, s.open_s, s.close_s),
        stream_bays=bays,
        close_s=s.close_s,
        unload_s=float(s.unload_time_s),
        compaction={x: s.compaction_for(x) for x in s.streams},
        cost_cny_per_t=s.cost_cny_per_t,
        capacity_kg_per_day=s.capacity_t_per_day * 1000.0,
        stock_kg={x: 0.0 for x in s.streams},
        pending_kg={x: 0.0 for x in s.streams},
        threshold_kg={x: max(ls) for x, ls in loads.items() if ls},
        plant=plants,
        pool=pool,
    )


class StationWork:
    """Tipping into stations and plants, the container pool and haul shifts: the part of
    :class:`wasteopt.simulation.district.District` that moves waste on from the collection
    vehicles (rules: :mod:`wasteopt.simulation.processes`)."""

    env: simpy.Environment
    settings: SimulationSettings
    today: dict[str, dict[str, float]]
    ledger: TripLedger
    jobs: dict[str, simpy.Store]
    plants: dict[str, Plant]
    availability: PlantAvailability
    events: list[Event]
    dist: list[list[int]]
    density: list[float]
    si: dict[str, int]
    travel: Callable[[float], float]
    unload: Callable[[float], float]

    # -- mass movements ---------------------------------------------------------------------

    def _receive(self, site: Site, stream: str, kg: float) -> None:
        """Hand ``kg`` over to a plant's backlog or a station's stock (trailer-load jobs)."""
        if isinstance(site, Plant):
            site.backlog_kg[stream] = site.backlog_kg.get(stream, 0.0) + kg
            site.received_kg[stream] = site.received_kg.get(stream, 0.0) + kg
            self.today[stream]["cost_cny"] += kg / 1000.0 * site.gate_fee_cny_per_t
            self.today[stream]["to_plants_kg"] += kg
            return
        self._stock_in(site, stream, kg)
        threshold = site.threshold_kg.get(stream)
        if threshold is None:
            return
        while site.stock_kg[stream] - site.pending_kg[stream] >= threshold - EPS_KG:
            site.pending_kg[stream] += threshold
            self.jobs[stream].put((site, threshold))

    def _stock_in(self, site: Station, stream: str, kg: float) -> None:
        site.stock_kg[stream] = site.stock_kg.get(stream, 0.0) + kg
        site.inflow_kg[stream] = site.inflow_kg.get(stream, 0.0) + kg
        self.today[stream]["cost_cny"] += kg / 1000.0 * site.cost_cny_per_t
        self.today[stream]["to_stations_kg"] += kg

    def _sweep(self, station: Station, day: int) -> Process:
        """Before closing: a haul job for each stream's uncommitted stock, and each
        part-filled current container is closed (full) so that it is hauled today."""
        at = day * DAY_S + station.close_s - self.settings.sweep_lead_s
        if at > self.env.now:
            yield self.env.timeout(at - self.env.now)
        for stream, threshold in station.threshold_kg.items():
            pool = station.pooled(stream)
            if pool is not None:
                if pool.filling.get(stream, 0.0) > EPS_KG:
                    self._container_full(station, pool, stream, day)
                continue
            rest = station.stock_kg[stream] - station.pending_kg[stream]
            if rest > EPS_KG and threshold:
                station.pending_kg[stream] += rest
                self.jobs[stream].put((station, rest))

    # -- tipping ----------------------------------------------------------------------------

    def _tip(self, veh: Vehicle, site: Site) -> Process:
        """Drive to ``site``, tip the whole load, hand it over (into containers when the
        station pools the stream)."""
        env = self.env
        if isinstance(site, Plant) and veh.load_kg > 0:
            site = self._dispatch(veh, site)
        row = veh.durations[veh.loc]
        t = self.travel(row[site.index])
        veh.m += veh.dist[veh.loc][site.index]
        veh.loc = site.index
        yield env.timeout(t)
        arrive = env.now
        kg = veh.load_kg
        stream = veh.stream
        if isinstance(site, Station) and (pool := site.pooled(stream)) is not None:
            fill = partial(self._fill_containers, veh, site, pool)
            yield from site.bays_for(stream).tip(veh.id, stream, kg, fill)
        else:
            yield from site.bays_for(stream).tip(veh.id, stream, kg)
            veh.load_kg = 0.0
            self._receive(site, stream, kg)
            if isinstance(site, Plant):
                self.availability.arrived(site, kg)
        veh.trips += 1
        if veh.role == "collection":
            self.ledger.close(veh, site.id, arrive, env.now)

    def _dispatch(self, veh: Vehicle, plant: Plant) -> Plant:
        """The plant ``veh`` drives to with its load: ``plant``, or the plant of its fallback
        chain the dispatcher sends it to on a day ``plant`` has lost capacity (rules:
        :mod:`wasteopt.simulation.availability`); a diversion is tallied with its extra km."""
        to = self.availability.route(plant, veh.stream, veh.load_kg)
        if to is not plant:
            d, here = veh.dist, veh.loc
            extra = d[here][to.index] + d[to.index][here] - d[here][plant.index]
            extra -= d[plant.index][here]
            self.availability.divert(plant, to, veh.load_kg, extra, veh)
            day = int(self.env.now // DAY_S)
            kg = veh.load_kg  # its tip_arrive event names where it went
            self.events.append((self.env.now, day, "divert", veh.id, plant.id, veh.stream, kg))
        return to

    def _fill_containers(self, veh: Vehicle, station: Station, pool: ContainerPool) -> Process:
        """Tip ``veh``'s load into its stream's current container, taking the next empty one
        whenever it is full; blocked (waiting at the bay) while the station has none."""
        stream = veh.stream
        cap = pool.capacity_kg[stream]
        while veh.load_kg > 0:
            if stream not in pool.filling:
                yield from self._take_container(veh, station, pool)
            space = cap - pool.filling[stream]
            if veh.load_kg - space <= EPS_KG:  # all of it fits (up to rounding)
                put, veh.load_kg = veh.load_kg, 0.0
            else:
                put = space
                veh.load_kg -= put
            pool.filling[stream] += put
            self._stock_in(station, stream, put)
            if pool.filling[stream] >= cap - EPS_KG:
                self._container_full(station, pool, stream, int(self.env.now // DAY_S))

    def _take_container(self, veh: Vehicle, station: Station, pool: ContainerPool) -> Process:
        """Put an empty container under ``veh``'s stream; wait for one to come back if none is
        at the station (the wait is tipping blocked by a full pool)."""
        env = self.env
        stream = veh.stream
        if pool.empty == 0:
            start = env.now
            day = int(start // DAY_S)
            self.events.append((start, day, "tip_blocked", veh.id, station.id, stream, 0.0))
            while pool.empty == 0:
                yield pool.freed
            blocked = env.now - start
            pool.blocked_s[stream] = pool.blocked_s.get(stream, 0.0) + blocked
        pool.empty -= 1
        pool.filling[stream] = 0.0

    def _container_full(self, station: Station, pool: ContainerPool, stream: str, day: int) -> None:
        """The current container of ``stream`` waits at the station for a haul vehicle."""
        kg = pool.filling.pop(stream)
        pool.full[stream].append(kg)
        self.jobs[stream].put((station, kg))
        self.events.append((self.env.now, day, "container_full", "", station.id, stream, kg))

    # -- hauls ------------------------------------------------------------------------------

    def haul_shift(self, veh: Vehicle, day: int, prev: simpy.Process | None) -> Process:
        """One shift of a haul vehicle: take station jobs FIFO until the shift ends; a job
        whose expected round would end after the shift is left for the next one
        (:meth:`_fits_shift`: a dispatcher does not send a hook-lift out at 17:50 on a
        two-hour round); idle, it leaves for home in time to be back ``haul_end_margin_s``
        before the shift end."""
        env = self.env
        if prev is not None and prev.is_alive:
            yield prev
        t0 = day * DAY_S
        if env.now < t0 + veh.shift_start_s:
            yield env.timeout(t0 + veh.shift_start_s - env.now)
        end = t0 + veh.shift_end_s
        veh.loc = veh.depot
        store = self.jobs[veh.stream]
        while veh.trips < veh.max_trips and env.now < end:
            get = store.get()
            # idle: wait for a job no later than the time to drive home by the shift end less
            # the margin (a job arriving later would not be started anyway: _fits_shift)
            home_s = veh.durations[veh.loc][veh.depot] + self.settings.haul_end_margin_s
            leave = max(env.now, end - home_s)
            yield get | env.timeout(leave - env.now)
            if not get.triggered:
                get.cancel()
                break
            station, reserved = cast(tuple[Station, float], get.value)  # a job put by a station
            if not self._fits_shift(veh, station, end):
                store.put(get.value)  # left for a truck that can finish it, or the next shift
                break
            if veh.depart != veh.depart:  # NaN: first job of the day
                veh.depart = env.now
            here = veh.loc
            t = self.travel(veh.durations[here][station.index])
            veh.m += veh.dist[here][station.index]
            veh.loc = station.index
            yield env.timeout(t + self.unload(station.unload_s))
            pool = station.pooled(veh.stream)
            if pool is not None:
                hauled = yield from self._haul_container(veh, station, pool, day)
            else:
                hauled = yield from self._haul_load(veh, station, reserved, day)
            if not hauled:
                break
        if veh.depart == veh.depart:
            here = veh.loc
            yield env.timeout(self.travel(veh.durations[here][veh.depot]))
            veh.m += veh.dist[here][veh.depot]
            veh.back = env.now

    def _fits_shift(self, veh: Vehicle, station: Station, end: float) -> bool:
        """Whether the dispatcher sends ``veh`` on a job at ``station`` now: its expected round
        (mean travel and unload times: to the station, load, to the plant, tip, the empty back
        when the station pools containers, home) ends ``haul_end_margin_s`` before the shift
        end ``end``. Always taken: a job longer than a whole shift (it could never fit; its
        overtime is reported) and one at a station with no empty container left (tipping
        there is blocked until a container comes back, so the round is worth the overtime)."""
        plant = self.plants.get(station.plant.get(veh.stream, ""))
        pool = station.pooled(veh.stream)
        if plant is None or (pool is not None and pool.empty == 0):
            return True
        # the plant it would be sent to now (another one when its plant is down)
        load = station.threshold_kg.get(veh.stream, 0.0)
        plant = self.availability.choose(plant, veh.stream, load)
        d = veh.durations
        s, p = station.index, plant.index
        last = s if pool is not None else p
        job_s = (
            d[veh.loc][s]
            + station.unload_s
            + d[s][p]
            + plant.bays.unload_s
            + (d[p][s] if last == s else 0)
            + d[last][veh.depot]
        )
        margin = self.settings.haul_end_margin_s
        shift_s = veh.shift_end_s - veh.shift_start_s
        return self.env.now + job_s + margin <= end or job_s + margin > shift_s

    def _haul_load(
        self, veh: Vehicle, station: Station, reserved: float, day: int
    ) -> Generator[simpy.Event, Any, bool]:
        """Load up to a trailer load of stock and tip it at the stream's plant; False when
        there is no plant to go to (the load goes back to stock)."""
        stream = veh.stream
        density = self.density[self.si[stream]]
        cap = trailer_kg(veh.payload_kg, veh.volume_m3, density, station.compaction[stream])
        station.pending_kg[stream] = max(0.0, station.pending_kg[stream] - reserved)
        take = min(station.stock_kg[stream], cap)
        if take <= EPS_KG:
            return True
        station.stock_kg[stream] -= take
        veh.load_kg = take
        veh.kg += take
        veh.stops += 1
        self.events.append((self.env.now, day, "haul_load", veh.id, station.id, stream, take))
        plant = self.plants.get(station.plant.get(stream, ""))
        if plant is None:  # nowhere to go: put it back (reported as station stock)
            station.stock_kg[stream] += take
            veh.load_kg = 0.0
            return False
        self.today[stream]["hauled_kg"] += take
        yield from self._tip(veh, plant)
        return True

    def _haul_container(
        self, veh: Vehicle, station: Station, pool: ContainerPool, day: int
    ) -> Generator[simpy.Event, Any, bool]:
        """Take the oldest full container of the stream to its plant, tip it and bring the
        empty back to the station; False when there is no plant to go to."""
        stream = veh.stream
        plant = self.plants.get(station.plant.get(stream, ""))
        if plant is None or not pool.full[stream]:
            return plant is not None
        kg = pool.full[stream].popleft()
        station.stock_kg[stream] -= kg
        veh.load_kg = kg
        veh.kg += kg
        veh.stops += 1
        pool.hauled[stream] = pool.hauled.get(stream, 0) + 1
        self.events.append((self.env.now, day, "haul_load", veh.id, station.id, stream, kg))
        self.today[stream]["hauled_kg"] += kg
        yield from self._tip(veh, plant)
        at = veh.loc  # the plant it tipped at (another one when its plant was down)
        back_m = veh.dist[at][station.index]
        yield self.env.timeout(self.travel(veh.durations[at][station.index]))
        veh.m += back_m
        veh.loc = station.index
        trip_m = veh.dist[station.index][at] + back_m
        pool.trip_m[stream] = pool.trip_m.get(stream, 0.0) + trip_m
        pool.empty += 1
        freed, pool.freed = pool.freed, self.env.event()
        freed.succeed()
        self.events.append((self.env.now, day, "container_back", veh.id, station.id, stream, 0.0))
        return True
