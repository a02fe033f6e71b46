"""Solve a routing problem with one of the engines and grade the answer with the checker.

``solve(problem, settings, deadline=...)`` validates the problem (a stop of another stream is
an input error, never silently dropped), runs the engine named by ``settings.engine`` from the
registry (:mod:`wasteopt.routing.engines`; engines import their solver only when they run)
through its three steps (:class:`wasteopt.routing.engine.Engine`), times it, and checks the
routes with :func:`wasteopt.routing.check.check_plan`. The status follows from the check alone:

- ``feasible``: no violation at all;
- ``partial``: the only violations are unserved stops (named in ``plan.unserved``);
- ``infeasible``: any other violation (a bug in an engine; logged as an error);
- ``no_solution``: the engine returned no route although there were stops.

``objective`` is the checker's cost (CNY), never an engine's internal scaled objective.

:func:`run_engine` (validate, then the engine's steps) and :func:`checked_plan` (check, status)
are the two halves of ``solve``, for :mod:`wasteopt.routing.territories`, which routes parts
of a problem and checks the merged plan once against the whole.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace
from typing import Any

from wasteopt.clock import Deadline
from wasteopt.errors import InputError, Problem
from wasteopt.routing.check import check_plan
from wasteopt.routing.engine import Decoded, Engine
from wasteopt.routing.engines import engine_named
from wasteopt.routing.plan import PlanStatus, Route, RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.settings import ENGINES, RoutingSettings
from wasteopt.routing.verdict import CheckReport

__all__ = ["ENGINES", "checked_plan", "plan_status", "run_engine", "solve", "validate_stops"]

log = logging.getLogger("wasteopt")

DEFAULT_SETTINGS = RoutingSettings()


def validate_stops(problem: RoutingProblem) -> None:
    """Raise :class:`InputError` naming every stop of another stream than the problem's."""
    problems = [
        Problem(
            file=problem.name,
            where=f"stop {s.id}",
            field="stream",
            value=s.stream,
            message="stop of another stream than the problem",
            expected=f"{problem.stream!r} (streams are never mixed in one vehicle)",
        )
        for s in problem.stops
        if s.stream != problem.stream
    ]
    if problems:
        raise InputError(problems)


def solve(
    problem: RoutingProblem,
    settings: RoutingSettings = DEFAULT_SETTINGS,
    *,
    deadline: Deadline | None = None,
) -> RoutePlan:
    """Route ``problem`` with ``settings.engine`` and return the checked plan.

    The whole call (model building, search, repair, check) fits in ``deadline``; without one
    (or with an unbounded one) in ``Deadline(settings.time_limit_s)``. Same seed and workers
    give the same plan whenever the engine's search ends before the deadline: always with
    ``settings.iterations`` (see each engine's docstring). Raises :class:`InputError` for stops
    of another stream.
    """
    if deadline is None or not math.isfinite(deadline.end):
        deadline = Deadline(settings.time_limit_s)
    engine = engine_named(settings.engine)
    validate_stops(problem)
    problem = problem.dense()  # engines read whole arrays
    log.info(
        "routing %s [%s]: %d stops, engine=%s, limit=%.1fs, seed=%d, workers=%d%s",
        problem.name,
        problem.stream,
        len(problem.stops),
        engine.name,
        deadline.remaining(),
        settings.seed,
        settings.workers,
        "" if settings.iterations is None else f", iterations={settings.iterations}",
    )
    t0 = time.perf_counter()
    routes, unserved = _run(engine, problem, settings, deadline)
    plan = checked_plan(problem, settings, routes, unserved, time.perf_counter() - t0)
    log.info("%s", plan.summary())
    return plan


def run_engine(problem: RoutingProblem, settings: RoutingSettings, deadline: Deadline) -> Decoded:
    """The engine's routes and unserved stops for ``problem``, unchecked (the steps under
    :func:`solve`, for callers that route parts of a problem and check the whole once).
    Raises :class:`InputError` for stops of another stream."""
    validate_stops(problem)
    return _run(engine_named(settings.engine), problem.dense(), settings, deadline)


def checked_plan(
    problem: RoutingProblem,
    settings: RoutingSettings,
    routes: tuple[Route, ...],
    unserved: tuple[str, ...],
    runtime_s: float,
) -> RoutePlan:
    """The plan of ``routes`` on ``problem``, graded by the checker: its status and cost."""
    plan = RoutePlan(
        problem=problem.name,
        stream=problem.stream,
        engine=settings.engine,
        seed=settings.seed,
        status="no_solution",
        objective=0.0,
        runtime_s=runtime_s,
        routes=routes,
        unserved=unserved,
    )
    report = check_plan(problem, plan)
    return replace(
        plan, status=plan_status(problem, plan, report), objective=report.totals.cost, check=report
    )


def _run(
    engine: Engine[Any, Any],
    problem: RoutingProblem,
    settings: RoutingSettings,
    deadline: Deadline,
) -> Decoded:
    """The engine's three steps; every stop unserved when nothing can be routed."""
    model = engine.build(problem, settings, deadline)
    if model is None:
        log.warning(
            "%s: nothing to route in %s (no fleet, site or servable stop)",
            engine.name,
            problem.name,
        )
        return (), tuple(s.id for s in problem.stops)
    answer = engine.search(model, settings, deadline)
    return engine.decode(problem, model, answer, deadline)


def plan_status(problem: RoutingProblem, plan: RoutePlan, report: CheckReport) -> PlanStatus:
    """The plan's status from the checker's report (see the module docstring); a plan with
    violations other than unserved stops is logged as an error."""
    if not plan.routes and problem.stops:
        return "no_solution"
    if report.ok:
        return "feasible"
    if all(v.kind == "unserved" for v in report.violations):
        return "partial"
    log.error(
        "routing %s: engine %s returned a plan with violations:\n%s",
        problem.name,
        plan.engine,
        report.summary(),
    )
    return "infeasible"
