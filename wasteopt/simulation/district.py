"""A simulated district: the state of one run and the SimPy processes that change it.

The rules are stated in :mod:`wasteopt.simulation.processes`; this module wires a scenario, its
demand, travel matrix and operating plan into stations, plants and vehicles, and runs the days.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import simpy

from wasteopt.generation import collection_schedule, daily_factors, expected_rates_kg_per_day
from wasteopt.network import TravelMatrix
from wasteopt.operations import OperatingPlan, Tour
from wasteopt.scenario.model import Scenario
from wasteopt.simulation.processes import (
    DAY_S,
    EPS_KG,
    Bays,
    DayTour,
    Draws,
    Event,
    Plant,
    Station,
    Tip,
    Vehicle,
    sampler,
)
from wasteopt.simulation.settings import SimulationSettings

__all__ = ["District"]

log = logging.getLogger("wasteopt")

BALANCE_COLUMNS = (
    "initial_kg",
    "generated_kg",
    "at_points_kg",
    "taken_elsewhere_kg",
    "in_vehicles_kg",
    "at_stations_kg",
    "in_transit_kg",
    "backlog_kg",
    "treated_kg",
    "overflowed_kg",
)


class District:
    """State of one simulation run. Build, call :meth:`run`, then read the record lists."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        demand_kg: np.ndarray,
        demand_start: np.datetime64,
        matrix: TravelMatrix,
        operating: OperatingPlan,
        tours: dict[str, dict[int, tuple[Tour, ...]]],
        settings: SimulationSettings,
        seed_sequence: np.random.SeedSequence,
    ) -> None:
        self.scenario = scenario
        self.settings = settings
        self.kg = demand_kg
        self.env = simpy.Environment()
        self.streams = scenario.stream_ids
        self.si = {s: k for k, s in enumerate(self.streams)}
        self.density = [st.density_kg_per_m3 for st in scenario.streams]
        self.events: list[Event] = []
        self.tips: list[Tip] = []
        self.notes: list[str] = []
        ss_travel, ss_service, ss_unload, ss_break = seed_sequence.spawn(4)
        d_travel = Draws(np.random.default_rng(ss_travel))
        d_service = Draws(np.random.default_rng(ss_service))
        d_unload = Draws(np.random.default_rng(ss_unload))
        self.d_break = Draws(np.random.default_rng(ss_break))
        st = settings
        self.travel = sampler(st.travel_distribution, st.travel_cv, d_travel)
        self.service = sampler(st.service_distribution, st.service_cv, d_service)
        self.unload = sampler(st.unload_distribution, st.unload_cv, d_unload)

        self.dist: list[list[int]] = np.asarray(matrix.distance_m).tolist()
        self._durations: dict[float, list[list[int]]] = {}
        self.matrix = matrix

        # -- points ------------------------------------------------------------------------
        n_p, n_s = len(scenario.points), len(self.streams)
        self.pidx = [matrix.index(p.id) for p in scenario.points]
        self.point_of = {p.id: i for i, p in enumerate(scenario.points)}
        visits = np.zeros((n_p, n_s), dtype=np.int64)
        period = np.ones((n_p, n_s), dtype=np.int64)
        for k, sid in enumerate(self.streams):
            visits[:, k], period[:, k], _ = collection_schedule(scenario, sid)
        self.visits, self.period = visits, period
        self.phase = np.array([p.phase for p in scenario.points], dtype=np.int64)[:, None]
        self.elsewhere = visits == 0  # frequency "none": generated but collected elsewhere
        self.visits_list = visits.tolist()
        self.tw_start = [p.tw_start_s for p in scenario.points]
        self.service_s = [p.service_time_s for p in scenario.points]
        self.at = np.zeros((n_p, n_s))
        if settings.initial_stock == "expected":
            self.at = self._initial_stock(demand_start)
        self.initial_kg = self.at.sum(axis=0)
        # bins per stream as Python lists while the day runs (scalar access is much faster
        # than numpy item access); numpy again for the daily bulk updates
        self.bins: list[list[float]] = self.at.T.tolist()
        self.generated_kg = np.zeros(n_s)
        self.elsewhere_kg = np.zeros(n_s)
        self.treated_kg = np.zeros(n_s)
        self.overflowed_kg = np.zeros(n_s)
        self.due: list[list[bool]] = [[False] * n_p for _ in range(n_s)]

        # -- sites -------------------------------------------------------------------------
        fplan = operating.facility_plan
        open_ids = set(fplan.open_stations) if fplan is not None else None
        fallbacks = {f.fallback for f in scenario.facilities if f.fallback}
        self.plants: dict[str, Plant] = {}
        for f in scenario.facilities:
            fb = scenario.facility(f.fallback) if f.fallback else None
            self.plants[f.id] = Plant(
                id=f.id,
                index=matrix.index(f.id),
                bays=self._bays(f.id, f.bays, f.unload_time_s, f.open_s, f.close_s),
                capacity_kg_per_day=f.capacity_t_per_day * 1000.0,
                storage_kg=f.storage_t * 1000.0,
                fallback=f.fallback,
                gate_fee_cny_per_t=f.gate_fee_cny_per_t,
                fallback_fee_cny_per_t=fb.gate_fee_cny_per_t if fb is not None else 0.0,
                backlog_kg={s: 0.0 for s in f.streams},
            )
        haul_types = [v for v in scenario.vehicle_types if v.role == "haul"]
        self.stations: dict[str, Station] = {}
        for s in scenario.stations:
            used = s.is_open if open_ids is None else s.id in open_ids
            if not used and not any(
                s.id in {v[1] for t in ts for v in t.visits}
                for by_key in tours.values()
                for ts in by_key.values()
            ):
                continue
            thresholds, plants = {}, {}
            for stream in s.streams:
                loads = [
                    self._trailer_kg(v.payload_kg, v.volume_m3, stream, s.compaction_ratio)
                    for v in haul_types
                    if v.stream == stream
                ]
                if loads:
                    thresholds[stream] = max(loads)
                plants[stream] = self._plant_for(s.id, stream, fplan, fallbacks)
            self.stations[s.id] = Station(
                id=s.id,
                index=matrix.index(s.id),
                bays=self._bays(s.id, s.bays, s.unload_time_s, s.open_s, s.close_s),
                close_s=s.close_s,
                unload_s=float(s.unload_time_s),
                compaction_ratio=s.compaction_ratio,
                cost_cny_per_t=s.cost_cny_per_t,
                capacity_kg_per_day=s.capacity_t_per_day * 1000.0,
                stock_kg={x: 0.0 for x in s.streams},
                pending_kg={x: 0.0 for x in s.streams},
                threshold_kg=thresholds,
                plant=plants,
            )
            for stream in s.streams:
                if stream not in thresholds:
                    self.notes.append(
                        f"station {s.id}: no haul vehicle for {stream}; its "
                        f"{stream} stock stays at the station"
                    )
        self.sites: dict[str, Station | Plant] = {**self.plants, **self.stations}
        self.jobs = {s: simpy.Store(self.env) for s in self.streams}

        # -- vehicles ----------------------------------------------------------------------
        # one Vehicle per vehicle id; it holds a compiled tour for each cycle key it works on
        self.collectors: list[Vehicle] = []
        by_id: dict[str, Vehicle] = {}
        for stream, by_key in tours.items():
            n_days = operating.cycle_length(stream)
            for key, ts in by_key.items():
                problem, _ = operating.plan_for(stream, key)
                for t in ts:
                    veh = by_id.get(t.vehicle)
                    if veh is None:
                        vt = scenario.vehicle_type(t.fleet)
                        fleet = next(f for f in problem.fleets if f.id == t.fleet)
                        veh = self._vehicle(t.vehicle, vt)
                        cap = float(fleet.capacity_kg)
                        if fleet.capacity_l > 0:
                            cap = min(cap, fleet.capacity_l / 1000.0 * self.density[veh.s])
                        veh.capacity_kg = cap
                        veh.cycle_days = n_days
                        by_id[t.vehicle] = veh
                        self.collectors.append(veh)
                    nxt: list[object] = [None] * len(t.visits)
                    site = None
                    for j in range(len(t.visits) - 1, -1, -1):
                        if t.visits[j][0] == "unload":
                            site = self.sites[t.visits[j][1]]
                        nxt[j] = site
                    veh.tours[key] = DayTour(
                        visits=tuple(
                            (
                                kind,
                                matrix.index(sid),
                                self.point_of[sid] if kind == "stop" else 0,
                                k,
                                None if kind == "stop" else self.sites[sid],
                            )
                            for kind, sid, k in t.visits
                        ),
                        next_unload=tuple(nxt),
                        start_s=t.start_s,
                        lunch_after=t.lunch_after,
                        points=tuple(
                            {self.point_of[sid] for kind, sid, _ in t.visits if kind == "stop"}
                        ),
                    )
        self.haulers: list[Vehicle] = []
        for vt in haul_types:
            for k in range(1, vt.count + 1):
                self.haulers.append(self._vehicle(f"{vt.id}#{k}", vt))
        for stream in self.streams:
            if stream not in tours and any(self.visits[:, self.si[stream]] > 0):
                self.notes.append(f"no route plan for {stream}: its waste stays at the points")
        self.vehicle_rows: list[dict[str, Any]] = []
        self.day_rows: list[dict[str, Any]] = []
        self.site_rows: list[dict[str, Any]] = []
        self.balance_rows: list[dict[str, Any]] = []
        self._reset_today()

    # -- construction helpers ---------------------------------------------------------------

    def _bays(self, site: str, bays: int, unload_s: int, open_s: int, close_s: int) -> Bays:
        return Bays(
            self.env,
            site=site,
            bays=bays,
            unload_s=unload_s,
            open_s=open_s,
            close_s=close_s,
            sample_unload=self.unload,
            events=self.events,
            tips=self.tips,
        )

    def _trailer_kg(self, payload_kg: float, volume_m3: float, stream: str, ratio: float) -> float:
        return min(payload_kg, volume_m3 * self.density[self.si[stream]] * ratio)

    def _plant_for(self, station: str, stream: str, fplan, fallbacks: set[str]) -> str:
        if fplan is not None:
            flows = [
                (t, k)
                for (j, s, k), t in fplan.flows.items()
                if j == station and s == stream and t > 0
            ]
            if flows:
                return max(flows)[1]
        cands = [f for f in self.scenario.facilities if stream in f.streams]
        primary = [f for f in cands if f.id not in fallbacks] or cands
        if not primary:
            return ""
        row = self.dist[self.matrix.index(station)]
        return min(primary, key=lambda f: row[self.matrix.index(f.id)]).id

    def _durations_for(self, speed_kmh: float) -> list[list[int]]:
        if speed_kmh not in self._durations:
            self._durations[speed_kmh] = np.asarray(self.matrix.durations_s(speed_kmh)).tolist()
        return self._durations[speed_kmh]

    def _vehicle(self, vid: str, vt) -> Vehicle:
        lunch = None
        if vt.lunch_earliest_s is not None and vt.lunch_duration_s > 0:
            lunch = (vt.lunch_earliest_s, vt.lunch_duration_s)
        return Vehicle(
            id=vid,
            type_id=vt.id,
            role=vt.role,
            stream=vt.stream,
            s=self.si[vt.stream],
            depot=self.matrix.index(vt.depot),
            durations=self._durations_for(vt.speed_kmh),
            capacity_kg=vt.payload_kg,
            payload_kg=vt.payload_kg,
            volume_m3=vt.volume_m3,
            shift_start_s=vt.shift_start_s,
            shift_end_s=vt.shift_end_s,
            lunch=lunch,
            max_trips=vt.max_trips,
            cost_cny_per_km=vt.cost_cny_per_km,
            cost_cny_per_hour=vt.cost_cny_per_hour,
            cost_cny_per_day=vt.cost_cny_per_day,
            co2_kg_per_km=vt.co2_kg_per_km,
        )

    def _initial_stock(self, start: np.datetime64) -> np.ndarray:
        """Expected waste in the bins at the start: what built up since each pair's last
        collection before the horizon (the rule of :func:`wasteopt.generation.due_loads`)."""
        rates = expected_rates_kg_per_day(self.scenario)
        out = np.zeros_like(rates)
        max_p = int(self.period.max())
        if max_p <= 1:
            return out
        # factor of day -j (j = 1..max_p-1) before the start
        before = daily_factors(self.scenario, start - np.arange(max_p - 1, 0, -1))
        cum = np.concatenate([[0.0], np.cumsum(before[::-1])])  # cum[m]: last m days
        for i in range(rates.shape[0]):
            for k in range(rates.shape[1]):
                per = int(self.period[i, k])
                if self.visits[i, k] == 0 or per <= 1:
                    continue
                # last due day k0 < 0: (k0 + phase) % per == 0; bins hold days k0+1 .. -1
                m = (int(self.phase[i, 0]) - 1) % per  # days since then, minus one
                out[i, k] = rates[i, k] * cum[m]
        return out

    # -- mass movements ---------------------------------------------------------------------

    def _receive(self, site: Station | Plant, stream: str, kg: float) -> None:
        if isinstance(site, Plant):
            site.backlog_kg[stream] = site.backlog_kg.get(stream, 0.0) + kg
            site.received_kg[stream] = site.received_kg.get(stream, 0.0) + kg
            self.today[stream]["cost_cny"] += kg / 1000.0 * site.gate_fee_cny_per_t
            self.today[stream]["to_plants_kg"] += kg
            return
        site.stock_kg[stream] = site.stock_kg.get(stream, 0.0) + kg
        site.inflow_kg[stream] = site.inflow_kg.get(stream, 0.0) + kg
        self.today[stream]["cost_cny"] += kg / 1000.0 * site.cost_cny_per_t
        self.today[stream]["to_stations_kg"] += kg
        threshold = site.threshold_kg.get(stream)
        if threshold is None:
            return
        while site.stock_kg[stream] - site.pending_kg[stream] >= threshold - EPS_KG:
            site.pending_kg[stream] += threshold
            self.jobs[stream].put((site, threshold))

    def _sweep(self, station: Station, day: int) -> Iterator[simpy.Event]:
        at = day * DAY_S + station.close_s - self.settings.sweep_lead_s
        if at > self.env.now:
            yield self.env.timeout(at - self.env.now)
        for stream, threshold in station.threshold_kg.items():
            rest = station.stock_kg[stream] - station.pending_kg[stream]
            if rest > EPS_KG and threshold:
                station.pending_kg[stream] += rest
                self.jobs[stream].put((station, rest))

    # -- processes --------------------------------------------------------------------------

    def _tip(self, veh: Vehicle, site: Station | Plant) -> Iterator[simpy.Event]:
        """Drive to ``site``, tip the whole load, hand it over."""
        env = self.env
        row = veh.durations[veh.loc]
        t = self.travel(row[site.index])
        veh.m += self.dist[veh.loc][site.index]
        veh.loc = site.index
        yield env.timeout(t)
        kg = veh.load_kg
        yield from site.bays.tip(veh.id, veh.stream, kg)
        veh.load_kg = 0.0
        veh.trips += 1
        self._receive(site, veh.stream, kg)

    def collection_tour(
        self, veh: Vehicle, day: int, prev: simpy.Process | None, plan: DayTour
    ) -> Iterator[simpy.Event]:
        """One day of a collection vehicle (rules: :mod:`wasteopt.simulation.processes`)."""
        env = self.env
        if prev is not None and prev.is_alive:
            yield prev
        t0 = day * DAY_S
        if env.now < t0 + plan.start_s:
            yield env.timeout(t0 + plan.start_s - env.now)
        veh.depart = env.now
        veh.loc = veh.depot
        s = veh.s
        stream = veh.stream
        due = self.due[s]
        bins = self.bins[s]
        durs, dist = veh.durations, self.dist
        travel, service = self.travel, self.service
        cutoff = t0 + veh.shift_end_s + self.settings.max_overtime_s
        log_stops = self.settings.log_stops
        events = self.events
        lunch_after = plan.lunch_after
        next_unload = plan.next_unload
        if lunch_after == -1:
            yield from self._lunch(veh, t0)
        for i, (kind, loc, p, k, site) in enumerate(plan.visits):
            if kind == "stop":
                if not due[p]:
                    pass
                elif env.now > cutoff:
                    veh.skipped += 1
                else:
                    here = veh.loc
                    t = travel(durs[here][loc])
                    veh.m += dist[here][loc]
                    veh.loc = loc
                    arrive = env.now + t
                    wait = t0 + self.tw_start[p] - arrive
                    yield env.timeout(t + (wait if wait > 0 else 0.0) + service(self.service_s[p]))
                    n = self.visits_list[p][s]
                    amount = bins[p] if k >= n else bins[p] / (n - k + 1)
                    veh.stops += 1
                    while True:
                        space = veh.capacity_kg - veh.load_kg
                        take = amount if amount <= space else space
                        if take > 0:
                            if take >= bins[p]:
                                take = bins[p]
                                bins[p] = 0.0
                            else:
                                bins[p] -= take
                            veh.load_kg += take
                            veh.kg += take
                            self.today[stream]["collected_kg"] += take
                            amount -= take
                            if log_stops:
                                events.append(
                                    (
                                        env.now,
                                        day,
                                        "collect",
                                        veh.id,
                                        self.scenario.points[p].id,
                                        stream,
                                        take,
                                    )
                                )
                        if amount <= EPS_KG or bins[p] <= 0:
                            break
                        # full: to this trip's unload site and back for the rest
                        target = next_unload[i]
                        if target is None or veh.load_kg <= 0:
                            break
                        veh.extra_unloads += 1
                        yield from self._tip(veh, target)
                        back = travel(durs[target.index][loc])
                        veh.m += dist[target.index][loc]
                        veh.loc = loc
                        yield env.timeout(back)
            elif veh.load_kg > 0:
                yield from self._tip(veh, site)
            if i == lunch_after:
                yield from self._lunch(veh, t0)
        if veh.load_kg > 0:  # only if the tour ends without an unload (never in a checked plan)
            target = (next_unload[0] if next_unload else None) or next(iter(self.plants.values()))
            yield from self._tip(veh, target)
        here = veh.loc
        yield env.timeout(travel(durs[here][veh.depot]))
        veh.m += dist[here][veh.depot]
        veh.back = env.now

    def _lunch(self, veh: Vehicle, t0: float) -> Iterator[simpy.Event]:
        if veh.lunch is None:
            return
        earliest, duration = veh.lunch
        start = max(self.env.now, t0 + earliest)
        yield self.env.timeout(start - self.env.now + duration)

    def haul_shift(
        self, veh: Vehicle, day: int, prev: simpy.Process | None
    ) -> Iterator[simpy.Event]:
        """One shift of a haul vehicle: take station jobs FIFO until the shift ends."""
        env = self.env
        if prev is not None and prev.is_alive:
            yield prev
        t0 = day * DAY_S
        if env.now < t0 + veh.shift_start_s:
            yield env.timeout(t0 + veh.shift_start_s - env.now)
        end = t0 + veh.shift_end_s
        veh.loc = veh.depot
        store = self.jobs[veh.stream]
        stream = veh.stream
        while veh.trips < veh.max_trips and env.now < end:
            get = store.get()
            yield get | env.timeout(end - env.now)
            if not get.triggered:
                get.cancel()
                break
            station, reserved = get.value
            if veh.depart != veh.depart:  # NaN: first job of the day
                veh.depart = env.now
            here = veh.loc
            t = self.travel(veh.durations[here][station.index])
            veh.m += self.dist[here][station.index]
            veh.loc = station.index
            yield env.timeout(t + self.unload(station.unload_s))
            cap = self._trailer_kg(veh.payload_kg, veh.volume_m3, stream, station.compaction_ratio)
            station.pending_kg[stream] = max(0.0, station.pending_kg[stream] - reserved)
            take = min(station.stock_kg[stream], cap)
            if take <= EPS_KG:
                continue
            station.stock_kg[stream] -= take
            veh.load_kg = take
            veh.kg += take
            veh.stops += 1
            self.events.append((env.now, day, "haul_load", veh.id, station.id, stream, take))
            plant = self.plants.get(station.plant.get(stream, ""))
            if plant is None:  # nowhere to go: put it back (reported as station stock)
                station.stock_kg[stream] += take
                veh.load_kg = 0.0
                break
            self.today[stream]["hauled_kg"] += take
            yield from self._tip(veh, plant)
        if veh.depart == veh.depart:
            here = veh.loc
            yield env.timeout(self.travel(veh.durations[here][veh.depot]))
            veh.m += self.dist[here][veh.depot]
            veh.back = env.now

    # -- days -------------------------------------------------------------------------------

    def _reset_today(self) -> None:
        keys = ("collected_kg", "to_stations_kg", "to_plants_kg", "hauled_kg", "cost_cny")
        self.today = {s: dict.fromkeys(keys, 0.0) for s in self.streams}
        for site in self.stations.values():
            site.inflow_kg = {}
        for plant in self.plants.values():
            plant.received_kg = {}

    def _start_day(self, day: int) -> None:
        env = self.env
        self._reset_today()
        gen = self.kg[day]
        self.generated_kg += gen.sum(axis=0)
        away = np.where(self.elsewhere, gen, 0.0)
        self.elsewhere_kg += away.sum(axis=0)
        at = np.array(self.bins).T
        at += gen - away
        for row, new in zip(self.bins, at.T.tolist(), strict=True):
            row[:] = new  # in place: a tour still running past midnight holds these lists
        due = (self.visits > 0) & ((day + self.phase) % self.period == 0)
        self.due = due.T.tolist()
        self.due_mask = due
        p_break = self.settings.breakdown_probability
        for veh in (*self.collectors, *self.haulers):
            veh.reset_day()
            plan = veh.tours.get(day % veh.cycle_days) if veh.role == "collection" else None
            # every vehicle draws every day, so idle days do not shift later draws
            broken = p_break > 0 and self.d_break.uniform() < p_break
            if veh.role == "collection" and (
                plan is None or not any(self.due[veh.s][p] for p in plan.points)
            ):
                continue  # no tour, or nothing due on it, on this day of its stream's cycle
            if broken:
                veh.broken = True
                self.events.append((float(env.now), day, "breakdown", veh.id, "", veh.stream, 0.0))
                continue
            if plan is not None:
                veh.process = env.process(self.collection_tour(veh, day, veh.process, plan))
            else:
                veh.process = env.process(self.haul_shift(veh, day, veh.process))
        if self.settings.haul_dispatch == "full_loads_and_sweep":
            for station in self.stations.values():
                if station.threshold_kg:
                    env.process(self._sweep(station, day))

    def _end_day(self, day: int, date: object) -> None:
        overflow_by_site: dict[str, dict[str, float]] = {}
        treated_by_site: dict[str, dict[str, float]] = {}
        for plant in self.plants.values():
            treated, overflow = plant.treat_day()
            treated_by_site[plant.id], overflow_by_site[plant.id] = treated, overflow
            for s, kg in treated.items():
                self.treated_kg[self.si[s]] += kg
            for s, kg in overflow.items():
                self.overflowed_kg[self.si[s]] += kg
                self.today[s]["cost_cny"] += kg / 1000.0 * plant.fallback_fee_cny_per_t
                self.events.append((float(self.env.now), day, "overflow", "", plant.id, s, kg))
        # vehicles
        veh_cost = dict.fromkeys(self.streams, 0.0)
        veh_km = dict.fromkeys(self.streams, 0.0)
        veh_h = dict.fromkeys(self.streams, 0.0)
        overtime_h = dict.fromkeys(self.streams, 0.0)
        used = dict.fromkeys(self.streams, 0)
        broken = dict.fromkeys(self.streams, 0)
        extra = dict.fromkeys(self.streams, 0)
        skipped = dict.fromkeys(self.streams, 0)
        co2 = dict.fromkeys(self.streams, 0.0)
        t0 = day * DAY_S
        for veh in (*self.collectors, *self.haulers):
            ran = veh.depart == veh.depart and veh.back == veh.back
            hours = (veh.back - veh.depart) / 3600.0 if ran else 0.0
            ot = max(0.0, veh.back - (t0 + veh.shift_end_s)) / 3600.0 if ran else 0.0
            km = veh.m / 1000.0
            cost = (
                (veh.cost_cny_per_day if ran else 0.0)
                + km * veh.cost_cny_per_km
                + hours * veh.cost_cny_per_hour
            )
            s = veh.stream
            veh_cost[s] += cost
            veh_km[s] += km
            veh_h[s] += hours
            overtime_h[s] += ot
            used[s] += int(ran)
            broken[s] += int(veh.broken)
            extra[s] += veh.extra_unloads
            skipped[s] += veh.skipped
            co2[s] += km * veh.co2_kg_per_km
            self.vehicle_rows.append(
                {
                    "day": day,
                    "date": date,
                    "vehicle": veh.id,
                    "vehicle_type": veh.type_id,
                    "role": veh.role,
                    "stream": s,
                    "broke_down": veh.broken,
                    "ran": ran,
                    "depart_s": veh.depart - t0,
                    "return_s": veh.back - t0,
                    "km": km,
                    "hours": hours,
                    "overtime_h": ot,
                    "trips": veh.trips,
                    "stops": veh.stops,
                    "t": veh.kg / 1000.0,
                    "extra_unloads": veh.extra_unloads,
                    "skipped_stops": veh.skipped,
                    "cost_cny": cost,
                    "co2_kg": km * veh.co2_kg_per_km,
                }
            )
        # sites
        for st in self.stations.values():
            for s in st.stock_kg:
                self.site_rows.append(
                    {
                        "day": day,
                        "date": date,
                        "site_id": st.id,
                        "site_kind": "station",
                        "stream": s,
                        "inflow_t": st.inflow_kg.get(s, 0.0) / 1000.0,
                        "treated_t": 0.0,
                        "overflowed_t": 0.0,
                        "stock_t": st.stock_kg[s] / 1000.0,
                        "capacity_t_per_day": st.capacity_kg_per_day / 1000.0,
                    }
                )
        for pl in self.plants.values():
            for s in pl.backlog_kg:
                self.site_rows.append(
                    {
                        "day": day,
                        "date": date,
                        "site_id": pl.id,
                        "site_kind": "plant",
                        "stream": s,
                        "inflow_t": pl.received_kg.get(s, 0.0) / 1000.0,
                        "treated_t": treated_by_site[pl.id].get(s, 0.0) / 1000.0,
                        "overflowed_t": overflow_by_site[pl.id].get(s, 0.0) / 1000.0,
                        "stock_t": pl.backlog_kg[s] / 1000.0,
                        "capacity_t_per_day": pl.capacity_kg_per_day / 1000.0,
                    }
                )
        # balance and daily rows
        at = np.array(self.bins).T
        at_points = at.sum(axis=0)
        missed = np.where(self.due_mask, at, 0.0).sum(axis=0)
        gen_today = self.kg[day].sum(axis=0)
        for s, stream in enumerate(self.streams):
            in_veh = sum(v.load_kg for v in self.collectors if v.s == s)
            in_transit = sum(v.load_kg for v in self.haulers if v.s == s)
            at_st = sum(st.stock_kg.get(stream, 0.0) for st in self.stations.values())
            backlog = sum(pl.backlog_kg.get(stream, 0.0) for pl in self.plants.values())
            row = {
                "day": day,
                "date": date,
                "stream": stream,
                "initial_kg": float(self.initial_kg[s]),
                "generated_kg": float(self.generated_kg[s]),
                "at_points_kg": float(at_points[s]),
                "taken_elsewhere_kg": float(self.elsewhere_kg[s]),
                "in_vehicles_kg": in_veh,
                "at_stations_kg": at_st,
                "in_transit_kg": in_transit,
                "backlog_kg": backlog,
                "treated_kg": float(self.treated_kg[s]),
                "overflowed_kg": float(self.overflowed_kg[s]),
            }
            self.balance_rows.append(row)
            today = self.today[stream]
            treated_t = sum(v.get(stream, 0.0) for v in treated_by_site.values()) / 1000.0
            overflow_t = sum(v.get(stream, 0.0) for v in overflow_by_site.values()) / 1000.0
            self.day_rows.append(
                {
                    "day": day,
                    "date": date,
                    "stream": stream,
                    "generated_t": float(gen_today[s]) / 1000.0,
                    "collected_t": today["collected_kg"] / 1000.0,
                    "uncollected_t": float(missed[s]) / 1000.0,
                    "at_points_t": float(at_points[s]) / 1000.0,
                    "to_stations_t": today["to_stations_kg"] / 1000.0,
                    "to_plants_t": today["to_plants_kg"] / 1000.0,
                    "hauled_t": today["hauled_kg"] / 1000.0,
                    "treated_t": treated_t,
                    "backlog_t": backlog / 1000.0,
                    "overflowed_t": overflow_t,
                    "at_stations_t": at_st / 1000.0,
                    "km": veh_km[stream],
                    "vehicle_h": veh_h[stream],
                    "overtime_h": overtime_h[stream],
                    "vehicles_used": used[stream],
                    "breakdowns": broken[stream],
                    "extra_unloads": extra[stream],
                    "skipped_stops": skipped[stream],
                    "cost_cny": today["cost_cny"] + veh_cost[stream],
                    "co2_kg": co2[stream],
                }
            )

    def run(self, days: int, dates: tuple, progress: Callable[[int], None] | None) -> int:
        """Simulate ``days`` days; returns the number of SimPy events scheduled."""
        env = self.env

        def controller() -> Iterator[simpy.Event]:
            for d in range(days):
                self._start_day(d)
                yield env.timeout((d + 1) * DAY_S - env.now)
                self._end_day(d, dates[d])
                if progress is not None:
                    progress(d)

        env.process(controller())
        env.run(until=days * DAY_S + 1)
        # SimPy numbers every scheduled event from one counter; read it without consuming more.
        eid = getattr(env, "_eid", None)
        return int(next(eid)) if eid is not None else -1
