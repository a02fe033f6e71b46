"""SimPy processes of a simulated district: collection tours, tipping bays, stations, hauls, plants.

Time is seconds since 00:00 of the first simulated day (day ``d`` starts at ``d × 86400``); one
:class:`simpy.Environment` runs the whole horizon. Mass moves in whole transfers (never per kg),
each done in one Python step, so the mass balance holds at every instant.

Day cycle (the controller in :meth:`wasteopt.simulation.district.District.run`)
------------------------------------------------------------------------------
Shift times are seconds after midnight of their planning day and may pass 24:00: the shift
``19:30``–``26:00`` of day ``d`` runs from ``d × 86400 + 70200`` to ``d × 86400 + 93600``.
A vehicle works one shift per planning day (validation refuses a shift longer than 24 h); a
shift that overruns waits for nothing but its own vehicle's previous shift, which it follows.

The simulated day ``d`` runs from ``d × 86400 + c`` to ``(d + 1) × 86400 + c``, where the *day
change* ``c`` (:func:`wasteopt.simulation.fleet.day_change_s`) is the latest end past 24:00 of
a collection shift (02:00 for a shift ending 26:00), but never later than the earliest start of
one; ``c = 0`` without night shifts. So a night shift collects its own day's waste, and its
work after midnight counts on its day. At the day change the day's generation
(``Demand.kg[d]``) is put in the bins at once. Waste of a (point, stream) pair whose frequency
is ``none`` is *taken elsewhere* (recorded, not collected). At midnight each vehicle may break
down for the day; the others get their shift of day ``d`` (which leaves at its start time). At
the end of the day plants treat, the balance is recorded and ``progress(d)`` is called. A
vehicle's row (hours, km, cost, overtime) is that of its shift and counts on the shift's
planning day, whenever the shift ends. The last day ends when its shifts have ended (waiting
at most one more day, with no new waste); a shift still out then is recorded as it stands (no
return time, hours up to the end).

Collection vehicle (``District.collection_tour``)
------------------------------------------------
On day ``t`` it follows its tour for cycle key ``t mod L`` of its stream (see
:mod:`wasteopt.operations`); a vehicle without a tour for that key, or with no due stop on it
that day, stays at its depot (not used, no day cost). It leaves its depot at the planned start.
At a due stop it travels (planned time × a random factor, planned distance), waits for the
point's window for its stream to open (``CollectionPoint.window``), serves (random service
time) and takes the *actual* waste: visit ``k`` of the point's ``n`` daily visits takes
``1/(n − k + 1)`` of what is in the bins (a once-daily point: everything, including
carry-over). When the waste does not fit (kg, or volume at the stream's bulk density) it takes
what fits, drives to the unload site of the trip it is on (the next unload visit of its tour),
tips, drives back and takes the rest: an *extra unload*. Past ``shift end + max_overtime_s`` it
starts no new stop (the waste stays in the bins and carries over), tips what it carries and
drives home. Lunch is taken after the planned visit.

Tipping bays (:class:`Bays`)
----------------------------
A station or plant has ``bays`` tipping bays: a ``simpy.Resource(capacity=bays)``. A station
with ``stream_bays`` gives each stream listed there its own bays (a Resource per station and
stream); the streams it does not list share the ``bays`` Resource (without ``stream_bays``:
every stream shares it, as one queue). A vehicle arriving before the site opens waits for the
opening (not counted as queueing); then it queues FIFO for a bay of its stream and holds it for
a random unload time (mean ``unload_time_s``). Opening hours repeat every day and may pass 24:00
(``19:00``–``27:00``: open until 03:00 the next morning). The waste changes hands when the bay
is released (with a container pool: into containers at the end of the unload time, and a vehicle
blocked by a full pool keeps its bay until it has tipped everything). Arrivals after closing are
still served (counted as late) when they come in the first half of the closed hours; in the
second half they wait for the opening (a site open 06:00–18:00: served late until midnight,
waiting after it).

Transfer station (:class:`Station`) and hauls (``District.haul_shift``)
---------------------------------------------------------------------
A station stores each stream it receives. Compaction is per stream: ``ρ_js =
TransferStation.compaction_for(s)`` (kitchen waste is not compacted without a press). A trailer
load of stream ``s`` from station ``j`` is ``min(payload_kg, volume_m3 × density_s × ρ_js)``
(compaction packs the trailer), so uncompacted kitchen waste needs more hauls per tonne.

Without a container pool (``containers == 0``): each time the uncommitted stock reaches the
largest trailer load of the stream's haul types, the station posts a haul job; with the sweep
rule it also posts one for the remainder before closing. Haul vehicles (``role == "haul"`` types
of the stream) take jobs FIFO during their shift, drive to the station, load (one random unload
time), take up to their load of what is in stock, drive to the plant of the station's flow (the
facility plan's largest flow for that station and stream; else the nearest plant accepting the
stream that is nobody's fallback), queue for a bay, tip, and take the next job from there; an
idle truck leaves for home in time to arrive ``haul_end_margin_s`` before its shift end (mean
travel time; the margin absorbs slow traffic). A job whose
expected round (mean travel and unload times, home included) would end less than
``haul_end_margin_s`` before the shift end is not started: it waits for the next shift (always
started: a round longer than a whole shift, and a container round from a station with no empty
container left). Stock nobody hauls stays.

Container pool (:class:`ContainerPool`, ``containers > 0``): the station owns ``containers``
containers shared by its streams that have haul vehicles (others keep stock as above). A
container of stream ``s`` holds ``min(container_t, smallest trailer load of s's haul types)``
(every haul vehicle of the stream can carry it). Tipped waste of ``s`` fills ``s``'s current
container; when it is full the rest goes into the next one, taken from the empty containers at the
station. A full container waits at the station and posts a haul job; the sweep rule also closes a
part-filled current container before closing. A haul vehicle drives to the station, loads one
full container (one random unload time), takes it to the plant, tips, and brings the empty back
to the station (full out, empty back; no time to drop it), then takes its next job from there.
When no empty container is at the station (all full, filling for other streams, or away), the
tipping vehicle waits at its bay (*tipping blocked*, timed and counted on the day it ends) until
one comes back. Containers hauled, blocked time and the station → plant → station km of
container trips are counted per station, stream and day. The contents of containers at the
station are the station's stock (``Station.stock_kg``); a container on a truck is in transit.

Plant (:class:`Plant`)
----------------------
Everything tipped joins the plant's backlog. At the end of each day the plant treats up to the
capacity left after other districts' load (``capacity_t_per_day − external_t_per_day``, as the
facility plan counts it; less the capacity an outage takes that day; streams in proportion to
their backlog); what exceeds ``storage_t`` afterwards *overflows* along the plant's fallback
chain into the backlog of the plant that takes it (charged at its gate fee, with the transfer's
km), or ends nowhere. On a day a plant has lost capacity, loads heading for it are diverted at
dispatch. Rules: :mod:`wasteopt.simulation.availability`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

__all__ = [
    "DAY_S",
    "Bays",
    "ContainerPool",
    "DayTour",
    "Draws",
    "Plant",
    "Site",
    "Station",
    "Vehicle",
    "sampler",
]

DAY_S = 86_400
EPS_KG = 1e-9  # below this an amount is rounding noise, not waste


class Draws:
    """Seeded random numbers handed out one at a time from numpy blocks (fast and reproducible:
    the sequence depends only on the generator's seed and the order of requests)."""

    __slots__ = ("_exp", "_i_exp", "_i_norm", "_i_uni", "_norm", "_uni", "block", "rng")

    def __init__(self, rng: np.random.Generator, block: int = 4096) -> None:
        self.rng = rng
        self.block = block
        self._norm: list[float] = []
        self._exp: list[float] = []
        self._uni: list[float] = []
        self._i_norm = self._i_exp = self._i_uni = 0

    def normal(self) -> float:
        if self._i_norm >= len(self._norm):
            self._norm = self.rng.standard_normal(self.block).tolist()
            self._i_norm = 0
        self._i_norm += 1
        return self._norm[self._i_norm - 1]

    def exponential(self) -> float:
        if self._i_exp >= len(self._exp):
            self._exp = self.rng.standard_exponential(self.block).tolist()
            self._i_exp = 0
        self._i_exp += 1
        return self._exp[self._i_exp - 1]

    def uniform(self) -> float:
        if self._i_uni >= len(self._uni):
            self._uni = self.rng.random(self.block).tolist()
            self._i_uni = 0
        self._i_uni += 1
        return self._uni[self._i_uni - 1]


def sampler(distribution: str, cv: float, draws: Draws) -> Callable[[float], float]:
    """A function ``mean -> random value`` (see :mod:`wasteopt.simulation.settings`)."""
    if distribution == "deterministic" or (distribution == "lognormal" and cv == 0):
        return lambda mean: mean
    if distribution == "exponential":
        return lambda mean: mean * draws.exponential()
    if distribution == "lognormal":
        sigma = math.sqrt(math.log1p(cv * cv))
        mu = -0.5 * sigma * sigma
        exp = math.exp
        return lambda mean: mean * exp(mu + sigma * draws.normal())
    raise ValueError(f"unknown distribution {distribution!r}")


Event = tuple[float, int, str, str, str, str, float]
"""``(time_s, day, kind, vehicle, site, stream, kg)`` — one row of the event log."""

Tip = tuple[str, str, str, int, float, float, float, float]
"""``(site, vehicle, stream, day, ready_s, start_s, end_s, kg)`` — one bay visit."""


class Bays:
    """The tipping bays of one station or plant (see module docstring)."""

    def __init__(
        self,
        env: simpy.Environment,
        *,
        site: str,
        bays: int,
        unload_s: float,
        open_s: int = 0,
        close_s: int = DAY_S,
        sample_unload: Callable[[float], float],
        events: list[Event],
        tips: list[Tip],
    ) -> None:
        if bays < 1:
            raise ValueError(f"{site}: a site needs at least one tipping bay, got {bays}")
        self.env = env
        self.site = site
        self.bays = bays
        self.resource = simpy.Resource(env, capacity=bays)
        self.unload_s = float(unload_s)
        self.open_s = open_s
        self.close_s = close_s
        self.sample_unload = sample_unload
        self.events = events
        self.tips = tips
        self.late = 0

    def tip(
        self,
        vehicle: str,
        stream: str,
        kg: float,
        hold: Callable[[], Generator[simpy.Event, Any, None]] | None = None,
    ) -> Generator[simpy.Event, Any, tuple[float, float, float]]:
        """Wait for opening, queue for a bay, unload, then run ``hold()`` (if given) still
        holding the bay; returns ``(ready_s, start_s, end_s)``."""
        env = self.env
        wait = self.wait_s(env.now)
        if wait > 0:
            yield env.timeout(wait)
        elif wait < 0:
            self.late += 1
        ready = env.now
        day = int(ready // DAY_S)
        log = self.events.append
        log((ready, day, "tip_arrive", vehicle, self.site, stream, kg))
        with self.resource.request() as req:
            yield req
            start = env.now
            log((start, day, "tip_start", vehicle, self.site, stream, kg))
            yield env.timeout(self.sample_unload(self.unload_s))
            if hold is not None:
                yield from hold()
        end = env.now
        log((end, day, "tip_end", vehicle, self.site, stream, kg))
        self.tips.append((self.site, vehicle, stream, day, ready, start, end, kg))
        return ready, start, end

    @property
    def open_h_per_day(self) -> float:
        """Hours the site is open a day (at most 24: the hours repeat every day; at least one
        second, so a utilisation never divides by 0)."""
        return min(max(self.close_s - self.open_s, 1), DAY_S) / 3600.0

    def wait_s(self, now: float) -> float:
        """Seconds an arrival at ``now`` waits for the site to open: 0 while it is open, > 0
        before an opening, -1 when it comes late (after a closing, nearer to it than to the next
        opening; see module docstring). The hours repeat every day."""
        k = (now - self.open_s) // DAY_S  # the day of the last opening at or before now
        closed = k * DAY_S + self.close_s
        if now < closed:
            return 0.0
        opens = (k + 1) * DAY_S + self.open_s
        return -1.0 if now - closed < opens - now else opens - now


@dataclass(slots=True, kw_only=True)
class ContainerPool:
    """A station's haul containers (mutable, one simulation only; rules in the module
    docstring). Every container is empty at the station, the current one of a stream
    (``filling``), full and waiting (``full``), or away on a haul vehicle."""

    size: int
    capacity_kg: dict[str, float]  # what one container of each pooled stream holds
    empty: int  # empty containers at the station
    freed: simpy.Event  # fires when an empty container comes back (then replaced)
    filling: dict[str, float] = field(default_factory=dict)  # stream → kg in its current one
    full: dict[str, deque[float]] = field(default_factory=dict)  # stream → kg of each, FIFO
    # today's tallies per stream
    hauled: dict[str, int] = field(default_factory=dict)
    blocked_s: dict[str, float] = field(default_factory=dict)
    trip_m: dict[str, float] = field(default_factory=dict)

    @property
    def away(self) -> int:
        """Containers on a haul vehicle, at a plant or on their way back."""
        waiting = sum(len(q) for q in self.full.values())
        return self.size - self.empty - len(self.filling) - waiting

    def reset_day(self) -> None:
        self.hauled, self.blocked_s, self.trip_m = {}, {}, {}


@dataclass(slots=True, kw_only=True)
class Station:
    """A transfer station's stock and haul bookkeeping (mutable, one simulation only).
    ``bays`` are the shared tipping bays, ``stream_bays`` a stream's own; ``compaction`` is
    the ratio per stream; ``pool`` the container pool (None: trailer loads by weight)."""

    id: str
    bays: Bays
    index: int
    close_s: int
    unload_s: float
    compaction: dict[str, float]
    cost_cny_per_t: float
    capacity_kg_per_day: float
    stock_kg: dict[str, float]
    pending_kg: dict[str, float]
    threshold_kg: dict[str, float]
    plant: dict[str, str]
    stream_bays: dict[str, Bays] = field(default_factory=dict)
    pool: ContainerPool | None = None
    inflow_kg: dict[str, float] = field(default_factory=dict)  # today

    def bays_for(self, stream: str) -> Bays:
        """The tipping bays ``stream`` queues for (its own, or the shared ones)."""
        return self.stream_bays.get(stream, self.bays)

    @property
    def bay_count(self) -> int:
        """Tipping bays in use: the streams' own, plus the shared ones if a stream uses them."""
        own = sum(b.bays for b in self.stream_bays.values())
        shared = any(s not in self.stream_bays for s in self.stock_kg) or not self.stream_bays
        return own + (self.bays.bays if shared else 0)

    def pooled(self, stream: str) -> ContainerPool | None:
        """The container pool if ``stream`` is hauled in containers here, else None."""
        pool = self.pool
        return pool if pool is not None and stream in pool.capacity_kg else None


@dataclass(slots=True, kw_only=True)
class Plant:
    """A treatment facility's backlog and daily treatment (mutable, one simulation only)."""

    id: str
    bays: Bays
    index: int
    capacity_kg_per_day: float
    storage_kg: float
    fallback: str
    gate_fee_cny_per_t: float
    fallback_fee_cny_per_t: float
    backlog_kg: dict[str, float]
    received_kg: dict[str, float] = field(default_factory=dict)  # today

    def bays_for(self, stream: str) -> Bays:
        """The tipping bays (a plant's are shared by every stream)."""
        return self.bays

    @property
    def bay_count(self) -> int:
        return self.bays.bays

    def treat_day(self) -> tuple[dict[str, float], dict[str, float]]:
        """Treat up to capacity, overflow what exceeds storage; returns (treated, overflowed)
        per stream. Streams share capacity in proportion to their backlog."""
        total = sum(self.backlog_kg.values())
        treated: dict[str, float] = {}
        overflow: dict[str, float] = {}
        if total <= 0:
            return treated, overflow
        treat_share = min(1.0, self.capacity_kg_per_day / total)
        left = total * (1.0 - treat_share)
        over_share = (left - self.storage_kg) / total if left > self.storage_kg else 0.0
        for s, kg in self.backlog_kg.items():
            if kg <= 0:
                continue
            t = kg if treat_share >= 1.0 else kg * treat_share
            o = min(kg - t, kg * over_share)
            treated[s] = t
            if o > 0:
                overflow[s] = o
            self.backlog_kg[s] = kg - t - o if treat_share < 1.0 else 0.0
        return treated, overflow


Site = Station | Plant
"""Where a vehicle can tip."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DayTour:
    """A collection vehicle's sequence on the days of one cycle key, compiled for the run:
    ``visits`` holds ``(kind, matrix index, point index, visit no, unload site or None)``;
    ``next_unload[i]`` is the site where the trip of visit ``i`` unloads; ``points`` the
    point indices it stops at."""

    visits: tuple[tuple[str, int, int, int, Site | None], ...]
    next_unload: tuple[Site | None, ...]
    start_s: int
    lunch_after: int | None
    points: tuple[int, ...] = ()
    lunch_at_depot: bool = False  # drive home for the break (the plan's Route.lunch_at_depot)


@dataclass(slots=True, kw_only=True)
class Vehicle:
    """A vehicle's state and the tallies of its current shift (mutable, one simulation only);
    ``shift_day`` is the planning day of that shift (-1 before the first)."""

    id: str
    type_id: str
    role: str
    stream: str
    s: int  # stream column in the demand
    depot: int  # matrix index of its home
    durations: list[list[int]]
    dist: list[list[int]]  # leg metres of its own paths (its type's roads on a road network)
    capacity_kg: float
    payload_kg: float
    volume_m3: float
    shift_start_s: int
    shift_end_s: int
    lunch: tuple[int, int] | None  # (earliest_s, duration_s)
    max_trips: int
    cost_cny_per_km: float
    cost_cny_per_hour: float
    cost_cny_per_day: float
    co2_kg_per_km: float
    cycle_days: int = 1  # its stream's collection cycle L: day t follows tours[t % L]
    tours: dict[int, DayTour] = field(default_factory=dict)  # no entry: idle on those days
    load_kg: float = 0.0
    loc: int = 0  # matrix index of where it is
    process: simpy.Process | None = None
    shift_day: int = -1
    # the current shift's tallies
    depart: float = math.nan
    back: float = math.nan
    m: float = 0.0
    trips: int = 0
    stops: int = 0
    kg: float = 0.0
    extra_unloads: int = 0
    skipped: int = 0
    broken: bool = False
    # the current trip (collection vehicles, for the ledger): when it began (departure from
    # the depot or the end of the last tip), the points it took waste from (ordered, no
    # repeats), its kg per simulated day, and whether it ends in an unplanned extra unload
    trip_start: float = math.nan
    trip_points: dict[int, None] = field(default_factory=dict)
    trip_kg: dict[int, float] = field(default_factory=dict)
    trip_extra: bool = False

    def reset_day(self) -> None:
        """Zero the tallies: a new shift begins."""
        self.depart = self.back = math.nan
        self.m = 0.0
        self.trips = self.stops = self.extra_unloads = self.skipped = 0
        self.kg = 0.0
        self.broken = False
