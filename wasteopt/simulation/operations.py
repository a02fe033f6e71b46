"""The plan a simulation executes, and how a one-day route plan becomes every day's tours.

An :class:`OperatingPlan` bundles, per stream, the routing problem of the representative day and
the route plan solved for it, plus the facility plan (optional) that says where stations ship.

Daily tours (the a-priori route rule)
-------------------------------------
Route plans are made for one representative day, but points collected less than daily are due on
other days. Every vehicle of a plan follows its planned visit sequence every day:

- a stop is visited only when its point is due that day for the stream; otherwise it is skipped
  (no travel to it);
- every point that collects the stream but is not a planned stop (not due on the planned day, or
  left unserved by the plan) is inserted once, before the simulation, into the sequence of the
  stream's vehicle where it is cheapest (cheapest insertion by road distance, before one of the
  sequence's unload visits), so no point is silently dropped. Its waste unloads where the trip it
  joined unloads;
- a twice-daily point has two visits (``<id>`` and ``<id>~2``); each is placed on its own;
- an unload visit is made only when the vehicle carries something.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wasteopt.facilities.plan import FacilityPlan
from wasteopt.generation import Demand
from wasteopt.network import TravelMatrix
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.scenario.model import FREQUENCIES, Scenario

__all__ = ["OperatingPlan", "Tour", "build_operating_plan", "daily_tours"]

TWICE_SUFFIX = "~2"  # as wasteopt.routing.build names the second visit of a twice-daily point


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatingPlan:
    """Per stream: the routing problem and the plan solved for it; and the facility plan.

    ``problems`` and ``plans`` are keyed by stream id (plain dicts, picklable; read-only).
    """

    problems: dict[str, RoutingProblem]
    plans: dict[str, RoutePlan]
    facility_plan: FacilityPlan | None = None

    def __post_init__(self) -> None:
        missing = sorted(set(self.plans) ^ set(self.problems))
        if missing:
            raise ValueError(f"streams with a plan but no problem or vice versa: {missing}")
        for s, plan in self.plans.items():
            if plan.stream != s or self.problems[s].stream != s:
                raise ValueError(f"plan or problem filed under stream {s!r} is for another stream")


@dataclass(frozen=True, slots=True, kw_only=True)
class Tour:
    """One vehicle's daily sequence. ``visits`` holds ``("stop", point_id, visit_no)`` and
    ``("unload", site_id, 0)``; ``inserted`` counts visits added by cheapest insertion."""

    vehicle: str
    fleet: str
    stream: str
    start_s: int
    lunch_after: int | None
    visits: tuple[tuple[str, str, int], ...]
    inserted: int = 0


def build_operating_plan(
    scenario: Scenario,
    demand: Demand,
    matrix: TravelMatrix,
    *,
    day: int,
    facility_plan: FacilityPlan | None = None,
    engine: str = "pyvrp",
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
) -> OperatingPlan:
    """Route every stream that has collection vehicles on ``day`` and bundle the result.

    Stops unload where ``facility_plan`` assigns them (nearest open site without one).
    """
    from wasteopt.routing.build import build_problem
    from wasteopt.routing.solve import solve

    problems: dict[str, RoutingProblem] = {}
    plans: dict[str, RoutePlan] = {}
    for stream in scenario.stream_ids:
        if not any(v.stream == stream and v.role == "collection" for v in scenario.vehicle_types):
            continue
        problem = build_problem(
            scenario, demand, day, stream, matrix,
            assignment=None if facility_plan is None else facility_plan.assignment_for(stream),
        )
        problems[stream] = problem
        plans[stream] = solve(problem, engine=engine, time_limit_s=time_limit_s, seed=seed,
                              workers=workers)
    return OperatingPlan(problems=problems, plans=plans, facility_plan=facility_plan)


def _split(stop_id: str) -> tuple[str, int]:
    if stop_id.endswith(TWICE_SUFFIX):
        return stop_id[: -len(TWICE_SUFFIX)], 2
    return stop_id, 1


def daily_tours(
    scenario: Scenario, operating: OperatingPlan, matrix: TravelMatrix
) -> dict[str, tuple[Tour, ...]]:
    """Every vehicle's daily sequence per stream, with the missing points inserted (see module
    docstring). Streams without a plan get no tour."""
    dist = np.asarray(matrix.distance_m)
    out: dict[str, tuple[Tour, ...]] = {}
    for stream, plan in operating.plans.items():
        problem = operating.problems[stream]
        site_ids = {s.id for s in problem.sites}
        fleets = {f.id: f for f in problem.fleets}
        seqs: list[list[tuple[str, str, int]]] = []
        for r in plan.routes:
            seq = []
            for v in r.visits:
                if v in site_ids:
                    seq.append(("unload", v, 0))
                else:
                    pid, k = _split(v)
                    seq.append(("stop", pid, k))
            seqs.append(seq)
        planned = {(v[1], v[2]) for seq in seqs for v in seq if v[0] == "stop"}
        default = scenario.stream(stream).default_frequency
        wanted = []
        for p in scenario.points:
            f = FREQUENCIES[p.frequency.get(stream, default)]
            wanted += [(p.id, k) for k in range(1, f.visits_per_day + 1)
                       if (p.id, k) not in planned]
        inserted = [0] * len(seqs)
        lunches = [r.lunch_after for r in plan.routes]
        usable = [i for i, seq in enumerate(seqs) if any(v[0] == "unload" for v in seq)]
        for pid, k in wanted:
            if not usable:
                break
            x = matrix.index(pid)
            best = (np.inf, -1, -1)
            for i in usable:
                seq = seqs[i]
                depot = matrix.index(fleets[plan.routes[i].fleet].depot)
                # positions before each visit up to the last unload (so an unload follows)
                last = max(j for j, v in enumerate(seq) if v[0] == "unload")
                locs = np.array([depot] + [matrix.index(v[1]) for v in seq[: last + 1]])
                a, b = locs[:-1], locs[1:]
                cost = dist[a, x].astype(np.float64) + dist[x, b] - dist[a, b]
                j = int(np.argmin(cost))
                if cost[j] < best[0]:
                    best = (float(cost[j]), i, j)
            _, i, j = best
            seqs[i].insert(j, ("stop", pid, k))
            inserted[i] += 1
            lunch = lunches[i]
            if lunch is not None and lunch >= j:  # keep the break after the same planned visit
                lunches[i] = lunch + 1
        tours = []
        for r, seq, n_ins, lunch in zip(plan.routes, seqs, inserted, lunches, strict=True):
            tours.append(Tour(vehicle=r.vehicle, fleet=r.fleet, stream=stream, start_s=r.start_s,
                              lunch_after=lunch, visits=tuple(seq), inserted=n_ins))
        out[stream] = tuple(tours)
    return out
