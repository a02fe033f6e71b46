"""A simulated district: the state of one run and the SimPy processes that change it.

The rules are stated in :mod:`wasteopt.simulation.processes`; this module wires a scenario, its
demand, travel matrix and operating plan into stations, plants and vehicles, and runs the days.
Each vehicle drives its type's own legs (:class:`~wasteopt.simulation.fleet.LegTables`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from wasteopt.facilities.plan import FacilityPlan
from wasteopt.generation import collection_schedule
from wasteopt.network import TravelMatrix
from wasteopt.operations import OperatingPlan, Tour
from wasteopt.scenario.model import Scenario, VehicleType
from wasteopt.simulation.availability import PlantAvailability
from wasteopt.simulation.bins import expected_initial_stock
from wasteopt.simulation.fleet import LegTables, compile_tour, day_change_s, make_vehicle
from wasteopt.simulation.hauls import StationWork, build_stations
from wasteopt.simulation.ledger import TripLedger
from wasteopt.simulation.processes import (
    DAY_S,
    EPS_KG,
    Bays,
    DayTour,
    Draws,
    Event,
    Plant,
    Site,
    Tip,
    Vehicle,
    sampler,
)
from wasteopt.simulation.records import (
    BALANCE_COLUMNS,
    FleetTally,
    ShiftTally,
    StreamStock,
    daily_row,
    site_rows,
    stream_stock,
    vehicle_row,
)
from wasteopt.simulation.settings import SimulationSettings

__all__ = ["BALANCE_COLUMNS", "District"]

log = logging.getLogger("wasteopt")

Process = Generator[simpy.Event, Any, None]
Tours = dict[str, dict[int, tuple[Tour, ...]]]
DayPart = tuple[int, object, str, dict[str, float], StreamStock, dict[str, float]]
"""``(day, date, stream, today's flows, stock, daily_row keywords)``: a day row without the
vehicle columns, which wait until every shift of the day has ended."""


class District(StationWork):
    """State of one simulation run. Build, call :meth:`run`, then read the record lists."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        demand_kg: npt.NDArray[np.float64],
        demand_start: np.datetime64,
        matrix: TravelMatrix,
        operating: OperatingPlan,
        tours: Tours,
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
        self.ledger = TripLedger()
        self.sim_day = 0  # the simulated day running now (whose collected_kg a load adds to)
        self.notes: list[str] = []
        self._seed_samplers(seed_sequence)
        self.legs = LegTables(matrix)
        self.dist: list[list[int]] = self.legs.dist
        self.matrix = matrix
        self._fill_bins(demand_start)
        self._add_plants()
        # its own child of the seed, spawned after the four of _seed_samplers (their draws stay)
        rng_outages = np.random.default_rng(seed_sequence.spawn(1)[0])
        metres = self.legs.metres
        self.availability = PlantAvailability(scenario, self.plants, metres, rng_outages)
        self.availability_rows: list[dict[str, Any]] = []
        self._add_stations(operating.facility_plan, tours)
        self.sites: dict[str, Site] = {**self.plants, **self.stations}
        self.jobs = {s: simpy.Store(self.env) for s in self.streams}
        self._add_collectors(operating, tours)
        self.haulers: list[Vehicle] = [
            self._vehicle(f"{vt.id}#{k}", vt)
            for vt in self._haul_types
            for k in range(1, vt.count + 1)
        ]
        for stream in self.streams:
            if stream not in tours and any(self.visits[:, self.si[stream]] > 0):
                self.notes.append(f"no route plan for {stream}: its waste stays at the points")
        self.day_change_s = day_change_s(scenario.vehicle_types)
        self._order = {v.id: k for k, v in enumerate((*self.collectors, *self.haulers))}
        self._open: dict[tuple[str, int], Vehicle] = {}  # shifts started or waiting, not ended
        self._fleet: dict[tuple[int, str], FleetTally] = {}  # (planning day, stream)
        self._day_parts: list[DayPart] = []
        self._dates: Sequence[object] = ()
        self.vehicle_rows: list[dict[str, Any]] = []
        self.day_rows: list[dict[str, Any]] = []
        self.site_rows: list[dict[str, Any]] = []
        self.balance_rows: list[dict[str, Any]] = []
        self._reset_today()

    # -- construction -----------------------------------------------------------------------

    def _seed_samplers(self, seed_sequence: np.random.SeedSequence) -> None:
        """Independent random streams for travel, service, unload times and breakdowns."""
        ss_travel, ss_service, ss_unload, ss_break = seed_sequence.spawn(4)
        d_travel = Draws(np.random.default_rng(ss_travel))
        d_service = Draws(np.random.default_rng(ss_service))
        d_unload = Draws(np.random.default_rng(ss_unload))
        self.d_break = Draws(np.random.default_rng(ss_break))
        st = self.settings
        self.travel = sampler(st.travel_distribution, st.travel_cv, d_travel)
        self.service = sampler(st.service_distribution, st.service_cv, d_service)
        self.unload = sampler(st.unload_distribution, st.unload_cv, d_unload)

    def _fill_bins(self, demand_start: np.datetime64) -> None:
        """Each point's collection schedule per stream and its bins at the start."""
        scenario, matrix = self.scenario, self.matrix
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
        self.visits_list: list[list[int]] = visits.tolist()
        # window start per stream and point (a stream's own window where the point has one)
        base = [p.tw_start_s for p in scenario.points]
        self.tw_start: list[list[int]] = [list(base) for _ in self.streams]
        for i, p in enumerate(scenario.points):
            for sid, start in p.tw_start_by_stream.items():
                if sid in self.si:
                    self.tw_start[self.si[sid]][i] = start
        self.service_s = [p.service_time_s for p in scenario.points]
        self.at = np.zeros((n_p, n_s))
        if self.settings.initial_stock == "expected":
            self.at = expected_initial_stock(
                scenario, self.visits, self.period, self.phase, demand_start
            )
        self.initial_kg = self.at.sum(axis=0)
        # bins per stream as Python lists while the day runs (scalar access is much faster
        # than numpy item access); numpy again for the daily bulk updates
        self.bins: list[list[float]] = self.at.T.tolist()
        self.generated_kg = np.zeros(n_s)
        self.elsewhere_kg = np.zeros(n_s)
        self.treated_kg = np.zeros(n_s)
        self.overflowed_kg = np.zeros(n_s)
        self.due_mask = np.zeros((n_p, n_s), dtype=bool)
        # kg per (point, stream) left in the bins at the end of a due day of the pair and not
        # taken since: waste the plan should have collected (excludes waste not yet due)
        self.overdue = np.zeros((n_p, n_s))

    def _add_plants(self) -> None:
        """Every treatment facility, with an empty backlog per stream it treats."""
        self.plants: dict[str, Plant] = {}
        for f in self.scenario.facilities:
            fb = self.scenario.facility(f.fallback) if f.fallback else None
            self.plants[f.id] = Plant(
                id=f.id,
                index=self.matrix.index(f.id),
                bays=self._bays(f.id, f.bays, f.unload_time_s, f.open_s, f.close_s),
                capacity_kg_per_day=f.available_t_per_day * 1000.0,  # external load first
                storage_kg=f.storage_t * 1000.0,
                fallback=f.fallback,
                gate_fee_cny_per_t=f.gate_fee_cny_per_t,
                fallback_fee_cny_per_t=fb.gate_fee_cny_per_t if fb is not None else 0.0,
                backlog_kg={s: 0.0 for s in f.streams},
            )

    def _add_stations(self, fplan: FacilityPlan | None, tours: Tours) -> None:
        """The stations open in the facility plan (else by their status) or unloaded at by a
        tour (see :func:`wasteopt.simulation.hauls.build_stations`)."""
        toured = {
            v[1]
            for by_key in tours.values()
            for ts in by_key.values()
            for t in ts
            for v in t.visits
        }
        self._haul_types = [v for v in self.scenario.vehicle_types if v.role == "haul"]
        self.stations, notes = build_stations(
            self.scenario,
            self.matrix,
            self.dist,
            fplan=fplan,
            toured=toured,
            make_bays=self._bays,
            env=self.env,
        )
        self.notes += notes

    def _add_collectors(self, operating: OperatingPlan, tours: Tours) -> None:
        """One vehicle per vehicle id of the tours, holding a compiled tour per cycle key it
        works on; its capacity is its type's real payload (kg, and the body volume at the
        stream's density), not the fill margin the routes were planned to."""
        self.collectors: list[Vehicle] = []
        by_id: dict[str, Vehicle] = {}
        for stream, by_key in tours.items():
            n_days = operating.cycle_length(stream)
            for key, ts in by_key.items():
                for t in ts:
                    veh = by_id.get(t.vehicle)
                    if veh is None:
                        vt = self.scenario.vehicle_type(t.fleet)
                        veh = self._vehicle(t.vehicle, vt)
                        cap = float(vt.payload_kg)
                        if vt.volume_m3 > 0:
                            cap = min(cap, vt.volume_m3 * self.density[veh.s])
                        veh.capacity_kg = cap
                        veh.cycle_days = n_days
                        by_id[t.vehicle] = veh
                        self.collectors.append(veh)
                    veh.tours[key] = compile_tour(t, self.matrix, self.point_of, self.sites)

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

    def _vehicle(self, vid: str, vt: VehicleType) -> Vehicle:
        durations, dist = self.legs.of(vt)
        return make_vehicle(
            vid,
            vt,
            s=self.si[vt.stream],
            depot=self.matrix.index(vt.depot),
            durations=durations,
            dist=dist,
        )

    # -- processes --------------------------------------------------------------------------

    def collection_tour(self, veh: Vehicle, day: int, plan: DayTour, due: list[bool]) -> Process:
        """The shift of a collection vehicle on planning day ``day``; ``due``: per point,
        whether its stream is due that day (rules: :mod:`wasteopt.simulation.processes`)."""
        env = self.env
        t0 = day * DAY_S
        if env.now < t0 + plan.start_s:
            yield env.timeout(t0 + plan.start_s - env.now)
        veh.depart = veh.trip_start = env.now
        veh.loc = veh.depot
        cutoff = t0 + veh.shift_end_s + self.settings.max_overtime_s
        lunch_after = plan.lunch_after
        if lunch_after == -1:
            yield from self._lunch(veh, t0)
        for i, (kind, loc, p, k, site) in enumerate(plan.visits):
            if kind == "stop":
                if not due[p]:
                    pass
                elif env.now > cutoff:
                    veh.skipped += 1
                else:
                    yield from self._serve_stop(veh, day, loc, p, k, plan.next_unload[i])
            elif veh.load_kg > 0 and site is not None:
                yield from self._tip(veh, site)
            if i == lunch_after:
                if plan.lunch_at_depot:
                    yield from self._drive_home(veh)
                yield from self._lunch(veh, t0)
        if veh.load_kg > 0:  # only if the tour ends without an unload (never in a checked plan)
            first = plan.next_unload[0] if plan.next_unload else None
            yield from self._tip(veh, first or next(iter(self.plants.values())))
        yield from self._drive_home(veh)
        veh.back = env.now

    def _drive_home(self, veh: Vehicle) -> Process:
        """Drive back to the depot (the end of the shift, or the break taken there)."""
        here = veh.loc
        yield self.env.timeout(self.travel(veh.durations[here][veh.depot]))
        veh.m += veh.dist[here][veh.depot]
        veh.loc = veh.depot

    def _serve_stop(
        self, veh: Vehicle, day: int, loc: int, p: int, k: int, unload_at: Site | None
    ) -> Process:
        """Drive to point ``p`` (matrix index ``loc``), wait for its window, serve it and take
        visit ``k``'s share of its bins; when full, tip at ``unload_at`` (the trip's unload
        site) and come back for the rest."""
        env = self.env
        here = veh.loc
        t = self.travel(veh.durations[here][loc])
        veh.m += veh.dist[here][loc]
        veh.loc = loc
        arrive = env.now + t
        wait = day * DAY_S + self.tw_start[veh.s][p] - arrive
        yield env.timeout(t + (wait if wait > 0 else 0.0) + self.service(self.service_s[p]))
        bins = self.bins[veh.s]
        n = self.visits_list[p][veh.s]
        amount = bins[p] if k >= n else bins[p] / (n - k + 1)
        veh.stops += 1
        while True:
            amount -= self._load(veh, day, p, amount)
            if amount <= EPS_KG or bins[p] <= 0:
                break
            if unload_at is None or veh.load_kg <= 0:
                break
            veh.extra_unloads += 1
            veh.trip_extra = True
            yield from self._tip(veh, unload_at)
            back = self.travel(veh.durations[unload_at.index][loc])
            veh.m += veh.dist[unload_at.index][loc]
            veh.loc = loc
            yield env.timeout(back)

    def _load(self, veh: Vehicle, day: int, p: int, amount: float) -> float:
        """Take what fits of ``amount`` (never more than the bins hold) from point ``p``;
        returns the kg taken."""
        space = veh.capacity_kg - veh.load_kg
        take = amount if amount <= space else space
        if take <= 0:
            return 0.0
        bins = self.bins[veh.s]
        if take >= bins[p]:
            take = bins[p]
            bins[p] = 0.0
        else:
            bins[p] -= take
        veh.load_kg += take
        veh.kg += take
        self.today[veh.stream]["collected_kg"] += take
        # the ledger books the trip's kg on the day whose collected_kg counts them
        veh.trip_kg[self.sim_day] = veh.trip_kg.get(self.sim_day, 0.0) + take
        veh.trip_points[p] = None
        if self.settings.log_stops:
            point = self.scenario.points[p].id
            self.events.append((self.env.now, day, "collect", veh.id, point, veh.stream, take))
        return take

    def _lunch(self, veh: Vehicle, t0: float) -> Process:
        if veh.lunch is None:
            return
        earliest, duration = veh.lunch
        start = max(self.env.now, t0 + earliest)
        yield self.env.timeout(start - self.env.now + duration)

    # -- days -------------------------------------------------------------------------------

    def _reset_today(self) -> None:
        keys = ("collected_kg", "to_stations_kg", "to_plants_kg", "hauled_kg", "cost_cny", "co2_kg")
        self.today = {s: dict.fromkeys(keys, 0.0) for s in self.streams}
        for site in self.stations.values():
            site.inflow_kg = {}
            if site.pool is not None:
                site.pool.reset_day()
        for plant in self.plants.values():
            plant.received_kg = {}

    def _due(self, day: int) -> npt.NDArray[np.bool_]:
        """Per point and stream: due on ``day``."""
        due: npt.NDArray[np.bool_] = (self.visits > 0) & ((day + self.phase) % self.period == 0)
        return due

    def _start_day(self, day: int) -> None:
        """The day change: the day's waste lands in the bins and its due points are set."""
        self._reset_today()
        self.sim_day = day
        gen = self.kg[day]
        self.generated_kg += gen.sum(axis=0)
        away = np.where(self.elsewhere, gen, 0.0)
        self.elsewhere_kg += away.sum(axis=0)
        at = np.array(self.bins).T
        at += gen - away
        for row, new in zip(self.bins, at.T.tolist(), strict=True):
            row[:] = new  # in place: a tour still running past the day change holds these lists
        self.due_mask = self._due(day)
        self.availability.start_day(day)

    def _start_shifts(self, day: int) -> None:
        """Each vehicle's shift of planning day ``day``: broken down, idle (no tour or nothing
        due on it; recorded at once), or started after its previous shift."""
        env = self.env
        due = self._due(day).T.tolist()
        p_break = self.settings.breakdown_probability
        for veh in (*self.collectors, *self.haulers):
            plan = veh.tours.get(day % veh.cycle_days) if veh.role == "collection" else None
            # every vehicle draws every day, so idle days do not shift later draws
            broken = p_break > 0 and self.d_break.uniform() < p_break
            if veh.role == "collection" and (
                plan is None or not any(due[veh.s][p] for p in plan.points)
            ):
                self._record(veh, day, ShiftTally())
                continue  # no tour, or nothing due on it, on this day of its stream's cycle
            if broken:
                self.events.append((float(env.now), day, "breakdown", veh.id, "", veh.stream, 0.0))
                self._record(veh, day, ShiftTally(broken=True))
                continue
            if plan is not None:
                body = self.collection_tour(veh, day, plan, due[veh.s])
            else:
                body = self.haul_shift(veh, day, None)
            self._open[veh.id, day] = veh
            veh.process = env.process(self._shift(veh, day, veh.process, body))
        if self.settings.haul_dispatch == "full_loads_and_sweep":
            for station in self.stations.values():
                if station.threshold_kg:
                    env.process(self._sweep(station, day))

    def _shift(self, veh: Vehicle, day: int, prev: simpy.Process | None, body: Process) -> Process:
        """Run ``body``, the vehicle's shift of ``day``, after its previous shift has ended;
        record the shift when it ends."""
        if prev is not None and prev.is_alive:
            yield prev
        veh.reset_day()
        veh.shift_day = day
        yield from body
        del self._open[veh.id, day]
        self._record(veh, day, ShiftTally.of(veh))

    def _record(self, veh: Vehicle, day: int, shift: ShiftTally) -> None:
        """The row of ``veh``'s shift of ``day``, counted in its stream's fleet totals of that
        day."""
        row = vehicle_row(veh, shift, day=day, date=self._dates[day], now=self.env.now)
        self.vehicle_rows.append(row)
        self._fleet.setdefault((day, veh.stream), FleetTally()).add(row)

    def _end_day(self, day: int, date: object) -> None:
        """Plants treat; the day's site and balance rows are recorded, and its day rows
        without the vehicle columns (:meth:`_finish` adds them)."""
        treated, overflowed = self._treat_at_plants(day)
        self.site_rows += site_rows(
            self.stations.values(), self.plants.values(), treated, overflowed, day=day, date=date
        )
        self.availability_rows += self.availability.day_rows(day, date)
        at = np.array(self.bins).T
        at_points = at.sum(axis=0)
        missed = np.where(self.due_mask, at, 0.0).sum(axis=0)
        # min: a tour running past the day change may still empty a bin of yesterday's due points
        self.overdue = np.minimum(np.where(self.due_mask, at, self.overdue), at)
        overdue = self.overdue.sum(axis=0)
        gen_today = self.kg[day].sum(axis=0)
        for s, stream in enumerate(self.streams):
            stock = stream_stock(
                s,
                stream,
                self.collectors,
                self.haulers,
                self.stations.values(),
                self.plants.values(),
            )
            self.balance_rows.append(
                {
                    "day": day,
                    "date": date,
                    "stream": stream,
                    "initial_kg": float(self.initial_kg[s]),
                    "generated_kg": float(self.generated_kg[s]),
                    "at_points_kg": float(at_points[s]),
                    "taken_elsewhere_kg": float(self.elsewhere_kg[s]),
                    "in_vehicles_kg": stock.in_vehicles,
                    "at_stations_kg": stock.at_stations,
                    "in_transit_kg": stock.in_transit,
                    "backlog_kg": stock.backlog,
                    "treated_kg": float(self.treated_kg[s]),
                    "overflowed_kg": float(self.overflowed_kg[s]),
                }
            )
            flows = {
                "generated_kg": float(gen_today[s]),
                "uncollected_kg": float(missed[s]),
                "at_points_kg": float(at_points[s]),
                "treated_kg": sum(v.get(stream, 0.0) for v in treated.values()),
                "overflowed_kg": sum(v.get(stream, 0.0) for v in overflowed.values()),
                "overdue_kg": float(overdue[s]),
            }
            self._day_parts.append((day, date, stream, self.today[stream], stock, flows))

    def _finish(self) -> None:
        """At the end of the horizon: record the shifts still out (or still waiting for their
        vehicle), complete the day rows with their vehicle columns and put the vehicle rows in
        day and fleet order."""
        for (_, day), veh in sorted(self._open.items(), key=lambda kv: kv[0][1]):
            self._record(veh, day, ShiftTally.of(veh) if veh.shift_day == day else ShiftTally())
        self._open.clear()
        self.ledger.close_open(self.collectors)
        for day, date, stream, today, stock, flows in self._day_parts:
            fleet = self._fleet.get((day, stream), FleetTally())
            row = daily_row(today, fleet, stock, **flows)
            self.day_rows.append({"day": day, "date": date, "stream": stream, **row})
        self.vehicle_rows.sort(key=lambda r: (r["day"], self._order[r["vehicle"]]))

    def _treat_at_plants(
        self, day: int
    ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
        """Each plant treats its day and passes its overflow on along its fallback chain
        (:mod:`wasteopt.simulation.availability`); returns the kg treated and overflowed per
        plant and stream. What ends nowhere leaves the balance as ``overflowed_kg``."""
        now = float(self.env.now)

        def log(kind: str, plant: str, stream: str, kg: float) -> None:
            self.events.append((now, day, kind, "", plant, stream, kg))

        treated_by, over_by, nowhere = self.availability.treat(self.today, log)
        for treated in treated_by.values():
            for s, kg in treated.items():
                self.treated_kg[self.si[s]] += kg
        for s, kg in nowhere.items():
            self.overflowed_kg[self.si[s]] += kg
        return treated_by, over_by

    def run(
        self, days: int, dates: Sequence[object], progress: Callable[[int], None] | None
    ) -> int:
        """Simulate ``days`` days; returns the number of SimPy events scheduled. Day ``d``'s
        shifts are handed out at its midnight, its waste lands at the day change ``c``
        (:attr:`day_change_s`) and it ends at ``(d + 1) × 24 h + c``; the last day not before
        its shifts have ended (waiting at most one more day)."""
        env, change = self.env, self.day_change_s
        self._dates = dates
        self.notes += self.availability.schedule(list(dates[:days]))

        def controller() -> Process:
            for d in range(days + 1):
                if d < days and change:
                    if d * DAY_S > env.now:
                        yield env.timeout(d * DAY_S - env.now)
                    self._start_shifts(d)
                if d * DAY_S + change > env.now:
                    yield env.timeout(d * DAY_S + change - env.now)
                if d == days:  # the last day ends when its shifts have (within a day)
                    out = [v.process for v in self._open.values() if v.process is not None]
                    if out:
                        yield env.all_of(out) | env.timeout(DAY_S)
                if d > 0:
                    self._end_day(d - 1, dates[d - 1])
                    if progress is not None:
                        progress(d - 1)
                if d < days:
                    self._start_day(d)
                    if not change:
                        self._start_shifts(d)

        env.run(until=env.process(controller()))
        self._finish()
        # SimPy numbers every scheduled event from one counter; read it without consuming more.
        eid = getattr(env, "_eid", None)
        return int(next(eid)) if eid is not None else -1
