"""Solve a routing problem with one of the engines and grade the answer with the checker.

``solve(problem, engine=...)`` validates the problem (a stop of another stream is an input
error, never silently dropped), runs the engine module lazily (so importing wasteopt never
imports a solver), times it, and checks the routes with
:func:`wasteopt.routing.check.check_plan`. The status follows from the check alone:

- ``feasible``: no violation at all;
- ``partial``: the only violations are unserved stops (named in ``plan.unserved``);
- ``infeasible``: any other violation (a bug in an engine; logged as an error);
- ``no_solution``: the engine returned no route although there were stops.

``objective`` is the checker's cost (CNY), never an engine's internal scaled objective.
"""

from __future__ import annotations

import importlib
import logging
import time

from wasteopt.errors import InputError, Problem
from wasteopt.routing.check import check_plan
from wasteopt.routing.plan import PlanStatus, RoutePlan
from wasteopt.routing.problem import RoutingProblem

__all__ = ["ENGINES", "solve"]

log = logging.getLogger("wasteopt")

ENGINES: tuple[str, ...] = ("pyvrp", "ortools")


def _validate(problem: RoutingProblem) -> None:
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
    *,
    engine: str = "pyvrp",
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
) -> RoutePlan:
    """Route ``problem`` with ``engine`` within ``time_limit_s`` and return the checked plan.

    Same ``seed`` and ``workers`` give the same plan whenever the engine's search ends before
    its time limit (see each engine's docstring). Raises :class:`InputError` for stops of
    another stream and :class:`ValueError` for an unknown engine.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown routing engine {engine!r}; expected one of {ENGINES}")
    if time_limit_s <= 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s}")
    _validate(problem)
    module = importlib.import_module(f"wasteopt.routing.engines._{engine}")
    log.info(
        "routing %s [%s]: %d stops, engine=%s, limit=%.1fs, seed=%d, workers=%d",
        problem.name,
        problem.stream,
        len(problem.stops),
        engine,
        time_limit_s,
        seed,
        workers,
    )
    t0 = time.perf_counter()
    routes, unserved = module.solve(problem, time_limit_s=time_limit_s, seed=seed, workers=workers)
    runtime = time.perf_counter() - t0
    plan = RoutePlan(
        problem=problem.name,
        stream=problem.stream,
        engine=engine,
        seed=seed,
        status="no_solution",
        objective=0.0,
        runtime_s=runtime,
        routes=tuple(routes),
        unserved=tuple(unserved),
    )
    report = check_plan(problem, plan)
    status: PlanStatus
    if not plan.routes and problem.stops:
        status = "no_solution"
    elif report.ok:
        status = "feasible"
    elif all(v.kind == "unserved" for v in report.violations):
        status = "partial"
    else:
        status = "infeasible"
        log.error(
            "routing %s: engine %s returned a plan with violations:\n%s",
            problem.name,
            engine,
            report.summary(),
        )
    plan = RoutePlan(
        problem=plan.problem,
        stream=plan.stream,
        engine=engine,
        seed=seed,
        status=status,
        objective=report.totals.cost,
        runtime_s=runtime,
        routes=plan.routes,
        unserved=plan.unserved,
        check=report,
    )
    log.info("%s", plan.summary())
    return plan
