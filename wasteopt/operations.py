"""The plan a simulation executes, and how cycle-day route plans become every day's tours.

An :class:`OperatingPlan` holds, per stream, the routing problems and route plans of the days of
the stream's *collection cycle*, plus the facility plan (optional) that says where stations ship.

Collection cycle
----------------
A point collected every ``period`` days with ``phase`` is due on horizon day ``t`` when
``(t + phase) % period == 0`` (:func:`wasteopt.generation.due_loads`). The set of points due
for a stream therefore repeats with period ``L = lcm`` of the periods its points use (daily: 1;
``every_other_day``: 2; ``weekly``: 7; weekly and ``twice_weekly``: 21; ``monthly``: 28).
:func:`build_operating_plan` routes the horizon days ``d0, d0 + 1, …, d0 + L − 1`` once each
(``d0`` is the requested day, moved earlier when the window would pass the demand's horizon),
keyed by ``t mod L``; a day whose due set equals an already routed day's reuses that plan.
``L`` is capped at ``max_cycle_days`` (default 28): beyond the cap the stream is routed for
``cap`` consecutive days keyed by ``t mod cap``, and on a day whose due set differs from the
routed day of its key the rule below (skip / insert) makes up the difference.

Time budget: the plan's solves share one :class:`wasteopt.clock.Deadline` (default
``Deadline(routing.time_limit_s)`` for all of them together). They run one after another, streams
in scenario order and each stream's cycle days in horizon order; each gets a sub-deadline of
``max(MIN_SOLVE_S, remaining × stops / pending)`` seconds, where ``remaining`` is the time left,
``stops`` the problem's stops and ``pending`` the stops of all problems not yet solved (its own
included). Time a solve leaves unused goes to the later ones; the 1 s floor (``MIN_SOLVE_S``)
never extends past the deadline.

Daily tours (the a-priori route rule)
-------------------------------------
On horizon day ``t`` every vehicle follows the visit sequence of the plan for ``t mod L``
(:meth:`OperatingPlan.plan_for`; a key without a plan, e.g. because the demand used to build
the plan was shorter than the cycle, falls back to the plan of the requested day ``d0``):

- a stop is visited only when its point is due that day for the stream; otherwise it is skipped
  (no travel to it);
- a point that generates none of the stream is never due for it (the rule of
  :func:`wasteopt.generation.collection_schedule`), so it is neither routed nor inserted;
- every point that can be due on a day of that key but is not a planned stop (left unserved by
  the plan, zero load on the routed day, or — beyond the cap, or on a fallback — due on other
  days than the routed one) is inserted once, before the simulation, into the sequence of the
  stream's vehicle where it is cheapest (cheapest insertion by road distance, before one of the
  sequence's unload visits), so no point is silently dropped. Never silently added either: one
  warning per stream and reason names the inserted visits (the first :data:`NAMED_VISITS` and
  how many) and why — *left unserved by the routing* (the fleet could not serve them within its
  limits on the routed day; the simulation tries them, in overtime if need be) or *not a stop
  of the routed day* — and each :class:`Tour` counts its ``inserted`` visits and, of those,
  ``inserted_unserved``. Its waste unloads where the trip
  it joined unloads; with a facility plan only trips unloading at the point's assigned site
  are candidates (the catchments of plan, route and simulation stay the same; a warning
  names a point whose site no trip of that day visits, which then joins the cheapest trip).
  "Can be due on key ``r``" means ``(r + phase) % gcd(L, period) == 0``: for
  an exact cycle that is exactly "due on every day ``t ≡ r (mod L)``". When such visits exist
  but the key's plan has no tour (nothing was due on its routed day), the tours of the stream's
  largest plan are used for that key instead;
- a twice-daily point has two visits (``<id>`` and ``<id>~2``); each is placed on its own;
- an unload visit is made only when the vehicle carries something.

A plan built by hand with only ``problems`` and ``plans`` has a one-day cycle: its plan is used
every day and every point of the stream that is not a planned stop is inserted.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from wasteopt.clock import Deadline
from wasteopt.facilities.plan import FacilityPlan
from wasteopt.generation import Demand, collection_schedule, expected_rates_kg_per_day
from wasteopt.network import TravelMatrix
from wasteopt.routing.build import build_problem
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import Fleet, RoutingProblem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.territories import solve_territories
from wasteopt.scenario.model import Scenario
from wasteopt.stopids import split_stop_id, stop_id

__all__ = [
    "MAX_CYCLE_DAYS",
    "OperatingPlan",
    "Tour",
    "build_operating_plan",
    "cycle_length",
    "cycle_tours",
    "daily_tours",
]

log = logging.getLogger("wasteopt")

MAX_CYCLE_DAYS = 28
DEFAULT_ROUTING = RoutingSettings()
MIN_SOLVE_S = 1.0  # floor of a cycle day's time budget: below it the engines barely start
NAMED_VISITS = 5
"""How many inserted visits a warning names (it also counts all of them)."""
INSERTION_REASONS: dict[str, str] = {
    "unserved": "the routing left them unserved (the fleet could not serve them within its "
    "limits on the routed day; the simulation tries them, in overtime if need be)",
    "unplanned": "they are not stops of the routed day (due on other days of the cycle key, or "
    "nothing to collect on the routed day)",
}
"""Why a visit is inserted into planned tours: reason → the text of its warning."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatingPlan:
    """Per stream: the routing problems and plans of its collection cycle; the facility plan.

    ``problems`` / ``plans``: the problem and plan of horizon day ``day`` (the requested day),
    keyed by stream id. ``cycle_days[s]``: the cycle length ``L`` of stream ``s`` (missing: 1).
    ``cycle_problems[s][r]`` / ``cycle_plans[s][r]``: problem and plan followed on horizon days
    ``t`` with ``t % L == r``; keys whose due set equals another key's share its objects. All
    plain dicts (picklable; read-only by convention).
    """

    problems: dict[str, RoutingProblem]
    plans: dict[str, RoutePlan]
    facility_plan: FacilityPlan | None = None
    day: int = 0
    cycle_days: dict[str, int] = field(default_factory=dict)
    cycle_problems: dict[str, dict[int, RoutingProblem]] = field(default_factory=dict)
    cycle_plans: dict[str, dict[int, RoutePlan]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = sorted(set(self.plans) ^ set(self.problems))
        if missing:
            raise ValueError(f"streams with a plan but no problem or vice versa: {missing}")
        for s, plan in self.plans.items():
            if plan.stream != s or self.problems[s].stream != s:
                raise ValueError(f"plan or problem filed under stream {s!r} is for another stream")
        bad = []
        for s, by_key in self.cycle_plans.items():
            n = self.cycle_days.get(s, 1)
            probs = self.cycle_problems.get(s, {})
            if s not in self.plans or n < 1:
                bad.append(f"{s}: cycle plans without a plan or with cycle length {n}")
                continue
            for r, plan in by_key.items():
                if not 0 <= r < n or r not in probs:
                    bad.append(f"{s}: key {r} outside 0..{n - 1} or without a problem")
                elif plan.stream != s or probs[r].stream != s:
                    bad.append(f"{s}: cycle day {r} holds a plan or problem of another stream")
        if bad:
            raise ValueError("inconsistent operating plan: " + "; ".join(bad))

    def cycle_length(self, stream: str) -> int:
        """``L`` of ``stream`` (1 for a plan without cycle days)."""
        return self.cycle_days.get(stream, 1) if stream in self.cycle_plans else 1

    def plan_for(self, stream: str, day: int) -> tuple[RoutingProblem, RoutePlan]:
        """Problem and plan followed on horizon day ``day`` (see module docstring)."""
        r = day % self.cycle_length(stream)
        plans = self.cycle_plans.get(stream, {})
        if r in plans:
            return self.cycle_problems[stream][r], plans[r]
        return self.problems[stream], self.plans[stream]

    def distinct_plans(self, stream: str) -> tuple[RoutePlan, ...]:
        """The different plans of the stream's cycle (each once, in key order)."""
        seen: dict[int, RoutePlan] = {}
        for _, plan in sorted(self.cycle_plans.get(stream, {}).items()):
            seen.setdefault(id(plan), plan)
        return tuple(seen.values()) or (self.plans[stream],)


Visit = tuple[str, str, int]
"""``("stop", point_id, visit_no)`` or ``("unload", site_id, 0)``."""
Schedule = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]
"""A stream's ``(visits_per_day, period_days, phase)`` per point (:func:`collection_schedule`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tour:
    """One vehicle's daily sequence. ``visits`` holds ``("stop", point_id, visit_no)`` and
    ``("unload", site_id, 0)``; ``inserted`` counts visits added by cheapest insertion and
    ``inserted_unserved`` those of them the routing had left unserved."""

    vehicle: str
    fleet: str
    stream: str
    start_s: int
    lunch_after: int | None
    visits: tuple[Visit, ...]
    inserted: int = 0
    inserted_unserved: int = 0
    lunch_at_depot: bool = False  # the break back at the depot (Route.lunch_at_depot)


def cycle_length(scenario: Scenario, stream: str) -> int:
    """Exact cycle of ``stream``'s due sets: lcm of the periods of the points collecting it."""
    visits, period, _ = collection_schedule(scenario, stream)
    return _lcm_of_periods(visits, period)


def _lcm_of_periods(visits: npt.NDArray[np.int64], period: npt.NDArray[np.int64]) -> int:
    used = {int(p) for p in period[visits > 0]}
    return math.lcm(*used) if used else 1


def build_operating_plan(
    scenario: Scenario,
    demand: Demand,
    matrix: TravelMatrix,
    *,
    day: int,
    facility_plan: FacilityPlan | None = None,
    routing: RoutingSettings = DEFAULT_ROUTING,
    deadline: Deadline | None = None,
    max_cycle_days: int = MAX_CYCLE_DAYS,
    progress: Callable[[int, int, RoutePlan], None] | None = None,
) -> OperatingPlan:
    """Route every day of each stream's collection cycle (see module docstring) and bundle them.

    Every stream with collection vehicles is planned. Stops unload where ``facility_plan``
    assigns them (nearest open site without one). ``routing`` says how each cycle day is solved;
    the cycle days are solved one after another within ``deadline`` (default
    ``Deadline(routing.time_limit_s)``), shared out as the module docstring states.
    ``max_cycle_days`` caps a stream's cycle length ``L``. ``progress(done, total, plan)`` is
    called after each solve (for a progress bar).
    """
    if not 0 <= day < demand.days:
        raise IndexError(f"day {day} outside the demand's horizon 0..{demand.days - 1}")
    if max_cycle_days < 1:
        raise ValueError(f"max_cycle_days must be >= 1, got {max_cycle_days}")
    cycles = {
        stream: _stream_cycle(
            scenario,
            demand,
            matrix,
            stream,
            day=day,
            cap=max_cycle_days,
            facility_plan=facility_plan,
        )
        for stream in scenario.stream_ids
        if any(v.stream == stream and v.role == "collection" for v in scenario.vehicle_types)
    }
    budget = Deadline(routing.time_limit_s) if deadline is None else deadline
    solved = _solve_cycle_days(cycles, routing, budget, progress)
    cycle_problems: dict[str, dict[int, RoutingProblem]] = {}
    cycle_plans: dict[str, dict[int, RoutePlan]] = {}
    for stream, cycle in cycles.items():
        probs, plans = dict(cycle.problems), dict(solved[stream])
        for key, same in cycle.alias.items():
            probs[key], plans[key] = cycle.problems[same], plans[same]
        cycle_problems[stream] = dict(sorted(probs.items()))
        cycle_plans[stream] = dict(sorted(plans.items()))
    lengths = {stream: cycle.length for stream, cycle in cycles.items()}
    return OperatingPlan(
        problems={s: cycle_problems[s][day % lengths[s]] for s in cycle_plans},
        plans={s: cycle_plans[s][day % lengths[s]] for s in cycle_plans},
        facility_plan=facility_plan,
        day=day,
        cycle_days=lengths,
        cycle_problems=cycle_problems,
        cycle_plans=cycle_plans,
    )


@dataclass(frozen=True, slots=True)
class _StreamCycle:
    """The routed days of one stream's cycle: ``length`` ``L``, the problems of the keys that are
    routed (in horizon-day order) and ``alias`` (key -> routed key with the same due set)."""

    length: int
    problems: dict[int, RoutingProblem]
    alias: dict[int, int]


def _stream_cycle(
    scenario: Scenario,
    demand: Demand,
    matrix: TravelMatrix,
    stream: str,
    *,
    day: int,
    cap: int,
    facility_plan: FacilityPlan | None,
) -> _StreamCycle:
    """Build the problem of each horizon day of the stream's cycle window with a new due set."""
    visits, period, phase = collection_schedule(scenario, stream)
    exact = _lcm_of_periods(visits, period)
    n = min(exact, cap)
    if exact > cap:
        log.warning(
            "%s: due sets repeat every %d days, more than max_cycle_days=%d; routing "
            "%d days and inserting the points due on other days",
            stream,
            exact,
            cap,
            n,
        )
    assignment = None if facility_plan is None else facility_plan.assignment_for(stream)
    first = max(0, min(day, demand.days - n))
    by_due: dict[bytes, int] = {}
    problems: dict[int, RoutingProblem] = {}
    alias: dict[int, int] = {}
    for t in range(first, min(first + n, demand.days)):
        key = t % n
        due = ((visits > 0) & ((t + phase) % period == 0)).tobytes()
        if due in by_due:
            alias[key] = by_due[due]
            continue
        by_due[due] = key
        problems[key] = build_problem(scenario, demand, t, stream, matrix, assignment=assignment)
    return _StreamCycle(length=n, problems=problems, alias=alias)


def _solve_cycle_days(
    cycles: dict[str, _StreamCycle],
    routing: RoutingSettings,
    deadline: Deadline,
    progress: Callable[[int, int, RoutePlan], None] | None,
) -> dict[str, dict[int, RoutePlan]]:
    """Solve every routed cycle day in order; each gets its stops' share of the time left."""
    total = sum(len(c.problems) for c in cycles.values())
    pending = sum(len(p.stops) for c in cycles.values() for p in c.problems.values())
    solved: dict[str, dict[int, RoutePlan]] = {}
    done = 0
    for stream, cycle in cycles.items():
        solved[stream] = {}
        for key, problem in cycle.problems.items():
            seconds = _solve_budget_s(deadline, len(problem.stops), pending)
            plan = solve_territories(problem, routing, deadline=deadline.sub(seconds))
            solved[stream][key] = plan
            pending -= len(problem.stops)
            done += 1
            if progress is not None:
                progress(done, total, plan)
    return solved


def _solve_budget_s(deadline: Deadline, stops: int, pending_stops: int) -> float:
    """Seconds for a problem of ``stops`` stops while ``pending_stops`` (its own included) are
    still to be routed: that share of the time left, at least ``MIN_SOLVE_S``."""
    if stops <= 0 or pending_stops <= 0:
        return MIN_SOLVE_S
    return deadline.share(stops / pending_stops, floor_s=MIN_SOLVE_S)


def _sequences(problem: RoutingProblem, plan: RoutePlan) -> list[list[Visit]]:
    site_ids = {s.id for s in problem.sites}
    seqs: list[list[Visit]] = []
    for r in plan.routes:
        seq: list[Visit] = []
        for v in r.visits:
            if v in site_ids:
                seq.append(("unload", v, 0))
            else:
                pid, k = split_stop_id(v)
                seq.append(("stop", pid, k))
        seqs.append(seq)
    return seqs


def _wanted(
    scenario: Scenario, schedule: Schedule, seqs: list[list[Visit]], key: int, n_days: int
) -> list[tuple[str, int]]:
    """Visits that can be due on days of ``key`` but are not in the sequences (``schedule``:
    the stream's :func:`collection_schedule`, so a point generating none of it is never one)."""
    planned = {(v[1], v[2]) for seq in seqs for v in seq if v[0] == "stop"}
    visits, period, phase = schedule
    may_be_due = (visits > 0) & ((key + phase) % np.gcd(n_days, period) == 0)
    return [
        (p.id, k)
        for i, p in enumerate(scenario.points)
        if may_be_due[i]
        for k in range(1, int(visits[i]) + 1)
        if (p.id, k) not in planned
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class _KeyTours:
    """The tours of one cycle key and the stop ids inserted into them, by reason
    (:data:`INSERTION_REASONS`)."""

    tours: tuple[Tour, ...]
    inserted: dict[str, list[str]]


def _tours(
    scenario: Scenario,
    stream: str,
    base: tuple[RoutingProblem, RoutePlan],
    matrix: TravelMatrix,
    dist: npt.NDArray[np.int32],
    cycle: tuple[int, int, Schedule],
    fallback: tuple[RoutingProblem, RoutePlan] | None = None,
    assigned: Mapping[str, str] | None = None,
) -> _KeyTours:
    """The tours of cycle key ``cycle = (key, L, schedule)``: the sequences of the ``base``
    (problem, plan) plus the missing points inserted. When visits are missing but the plan has
    no tour to insert them into (its routed day had nothing due), the ``fallback`` plan's tours
    are the base instead. ``assigned`` (point → unload site, the facility plan's catchments)
    keeps each inserted point on a trip that unloads at its own site."""
    key, n_days, schedule = cycle
    problem, plan = base
    seqs = _sequences(problem, plan)
    wanted = _wanted(scenario, schedule, seqs, key, n_days)
    has_unload = any(v[0] == "unload" for seq in seqs for v in seq)
    if wanted and not has_unload and fallback is not None:
        problem, plan = fallback
        seqs = _sequences(problem, plan)
        wanted = _wanted(scenario, schedule, seqs, key, n_days)
    fleets = {f.id: f for f in problem.fleets}
    left_out = set(plan.unserved)
    inserted = [0] * len(seqs)
    from_unserved = [0] * len(seqs)
    lunches = [r.lunch_after for r in plan.routes]
    usable = [i for i, seq in enumerate(seqs) if any(v[0] == "unload" for v in seq)]
    named: dict[str, list[str]] = {reason: [] for reason in INSERTION_REASONS}
    for pid, k in wanted if usable else ():
        site = (assigned or {}).get(pid)
        x = matrix.index(pid)
        best = _best_insertion(seqs, usable, plan, fleets, matrix, dist, x, site)
        if best[1] < 0 and site is not None:
            log.warning(
                "%s: no trip unloads at %s, the assigned site of %s; it joins the cheapest trip",
                stream,
                site,
                pid,
            )
            best = _best_insertion(seqs, usable, plan, fleets, matrix, dist, x, None)
        _, i, j = best
        seqs[i].insert(j, ("stop", pid, k))
        sid = stop_id(pid, k - 1)
        inserted[i] += 1
        from_unserved[i] += sid in left_out
        named["unserved" if sid in left_out else "unplanned"].append(sid)
        lunch = lunches[i]
        if lunch is not None and lunch >= j:  # keep the break after the same planned visit
            lunches[i] = lunch + 1
    if wanted and not usable:
        log.warning(
            "%s: %d point visits of cycle day %d have no tour to join", stream, len(wanted), key
        )
    tours = tuple(
        Tour(
            vehicle=r.vehicle,
            fleet=r.fleet,
            stream=stream,
            start_s=r.start_s,
            lunch_after=lunch,
            lunch_at_depot=r.lunch_at_depot,
            visits=tuple(seq),
            inserted=n_ins,
            inserted_unserved=n_uns,
        )
        for r, seq, n_ins, n_uns, lunch in zip(
            plan.routes, seqs, inserted, from_unserved, lunches, strict=True
        )
    )
    return _KeyTours(tours=tours, inserted=named)


def _warn_inserted(stream: str, by_key: Sequence[_KeyTours], where: str) -> None:
    """One warning per reason naming the visits inserted into ``stream``'s tours on the cycle
    keys ``by_key`` (``where`` says which days), so no visit is added silently."""
    for reason, why in INSERTION_REASONS.items():
        per_key = [k.inserted[reason] for k in by_key if k.inserted[reason]]
        if not per_key:
            continue
        ids = list(dict.fromkeys(sid for ids in per_key for sid in ids))
        names = ", ".join(ids[:NAMED_VISITS])
        if len(ids) > NAMED_VISITS:
            names += f" and {len(ids) - NAMED_VISITS} more"
        n = sum(len(ids) for ids in per_key)
        msg = "%s: %d visit(s) inserted into planned tours on %d %s because %s: %s"
        log.warning(msg, stream, n, len(per_key), where, why, names)


def _best_insertion(
    seqs: list[list[Visit]],
    usable: list[int],
    plan: RoutePlan,
    fleets: Mapping[str, Fleet],
    matrix: TravelMatrix,
    dist: npt.NDArray[np.int32],
    x: int,
    site: str | None,
) -> tuple[float, int, int]:
    """``(added metres, sequence, position)`` of the cheapest insertion of location ``x``
    before a visit that an unload follows (at ``site`` when given); ``(inf, -1, -1)`` when
    there is none."""
    best = (np.inf, -1, -1)
    for i in usable:
        seq = seqs[i]
        depot = matrix.index(fleets[plan.routes[i].fleet].depot)
        # positions before each visit up to the last unload (so an unload follows)
        last = max(j for j, v in enumerate(seq) if v[0] == "unload")
        locs = np.array([depot] + [matrix.index(v[1]) for v in seq[: last + 1]])
        a, b = locs[:-1], locs[1:]
        cost = dist[a, x].astype(np.float64) + dist[x, b] - dist[a, b]
        if site is not None:  # the trip a visit joins unloads at the next unload visit
            nxt, ok = "", np.zeros(len(cost), dtype=bool)
            for j in range(last, -1, -1):
                if seq[j][0] == "unload":
                    nxt = seq[j][1]
                ok[j] = nxt == site
            cost = np.where(ok, cost, np.inf)
        j = int(np.argmin(cost))
        if cost[j] < best[0]:
            best = (float(cost[j]), i, j)
    return best


def cycle_tours(
    scenario: Scenario, operating: OperatingPlan, matrix: TravelMatrix
) -> dict[str, dict[int, tuple[Tour, ...]]]:
    """Per stream and cycle key ``r`` (``0 ≤ r < L``): every vehicle's sequence on the days
    ``t ≡ r (mod L)``, with the missing points inserted (see module docstring; one warning per
    stream and reason names them). Streams without a plan get no tour."""
    dist = np.asarray(matrix.distance_m)
    rates = expected_rates_kg_per_day(scenario)
    out: dict[str, dict[int, tuple[Tour, ...]]] = {}
    for stream in operating.plans:
        n = operating.cycle_length(stream)
        fallback = _largest(operating, stream)
        assigned = _assigned(operating, stream)
        schedule = collection_schedule(scenario, stream, rates=rates)
        keys = [
            _tours(
                scenario,
                stream,
                operating.plan_for(stream, key),
                matrix,
                dist,
                (key, n, schedule),
                fallback,
                assigned,
            )
            for key in range(n)
        ]
        _warn_inserted(stream, keys, "cycle day(s)")
        out[stream] = {key: k.tours for key, k in enumerate(keys)}
    return out


def _assigned(operating: OperatingPlan, stream: str) -> dict[str, str] | None:
    """The facility plan's point → unload site of ``stream`` (None without a plan)."""
    fp = operating.facility_plan
    return fp.assignment_for(stream) if fp is not None and fp.has_plan else None


def _largest(operating: OperatingPlan, stream: str) -> tuple[RoutingProblem, RoutePlan]:
    """The stream's plan with the most planned visits (ties: the requested day's, then the
    lowest key): the base for keys whose own plan has no tour."""
    cands = [(operating.problems[stream], operating.plans[stream])]
    n = operating.cycle_length(stream)
    cands += [operating.plan_for(stream, r) for r in range(n)]
    return max(cands, key=lambda c: sum(len(r.visits) for r in c[1].routes))


def daily_tours(
    scenario: Scenario, operating: OperatingPlan, matrix: TravelMatrix, *, day: int | None = None
) -> dict[str, tuple[Tour, ...]]:
    """Every vehicle's sequence per stream on horizon day ``day`` (default: the plan's ``day``),
    with the missing points inserted (see module docstring; a warning names them). Streams
    without a plan get no tour."""
    t = operating.day if day is None else int(day)
    dist = np.asarray(matrix.distance_m)
    rates = expected_rates_kg_per_day(scenario)
    out: dict[str, tuple[Tour, ...]] = {}
    for stream in operating.plans:
        n = operating.cycle_length(stream)
        schedule = collection_schedule(scenario, stream, rates=rates)
        k = _tours(
            scenario,
            stream,
            operating.plan_for(stream, t),
            matrix,
            dist,
            (t % n, n, schedule),
            _largest(operating, stream),
            _assigned(operating, stream),
        )
        _warn_inserted(stream, [k], f"day(s) (day {t})")
        out[stream] = k.tours
    return out
