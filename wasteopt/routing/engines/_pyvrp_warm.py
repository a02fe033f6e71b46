"""PyVRP search started from given routes (the improvement step of
:mod:`wasteopt.routing.large`).

The problem is built by the PyVRP engine's own model (:func:`._pyvrp_model.build_data`), so a
part of a large problem is searched exactly as the engine would search it whole; the routes are
turned into a ``pyvrp.Solution`` (client indices of that model) and handed to ``pyvrp.solve``
as ``initial_solution`` (PyVRP 0.14: the iterated local search then starts from it instead of
a random solution). PyVRP's best solution only ever moves to feasible solutions once it holds a
feasible one, so the answer of a feasible start is feasible.

Costs are PyVRP's objective of a feasible solution (distance, duration and fixed vehicle costs
plus uncollected prizes, in the model's integer cost units): the start's and the answer's are
returned so that the caller accepts the answer only when it is cheaper.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wasteopt.routing.engines._pyvrp import _import_pyvrp, _stopping_criterion
from wasteopt.routing.engines._pyvrp_model import build_data
from wasteopt.routing.problem import RoutingProblem

__all__ = ["Improved", "improve_routes"]


@dataclass(frozen=True, slots=True)
class Improved:
    """The best routes found (stop ids, in visiting order) and the objective before and after
    (``math.inf`` before: the start was not feasible for PyVRP)."""

    routes: tuple[tuple[str, ...], ...]
    start_cost: float
    cost: float
    iterations: int


def _objective(solution: Any) -> float:
    """PyVRP's objective of a feasible solution; ``inf`` for an infeasible one."""
    if not solution.is_feasible():
        return math.inf
    return float(
        solution.distance_cost()
        + solution.duration_cost()
        + solution.fixed_vehicle_cost()
        + solution.uncollected_prizes()
    )


def improve_routes(
    problem: RoutingProblem,
    routes: Sequence[Sequence[str]],
    *,
    seed: int,
    end_wall: float,
    iterations: int | None,
) -> Improved:
    """PyVRP's search on ``problem`` (dense, one vehicle type: a plain single-depot problem)
    from ``routes`` until ``end_wall`` (``time.time()``) or ``iterations`` iterations."""
    pyvrp = _import_pyvrp()
    built = build_data(problem, pyvrp, math.inf)
    if built is None:
        raise ValueError(f"{problem.name}: nothing to route")
    client = {cid: k for k, cid in enumerate(built.decoder.client_ids)}
    start = pyvrp.Solution(built.data, [[client[s] for s in r] for r in routes if r])
    stop = _stopping_criterion(pyvrp, end_wall, None, iterations)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pyvrp.exceptions.PenaltyBoundWarning)
        res = pyvrp.solve(
            built.data,
            stop=stop,
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=start,
        )
    ids = built.decoder.client_ids
    out = tuple(
        tuple(ids[a.idx] for a in r if a.type == pyvrp.ActivityType.CLIENT)
        for r in res.best.routes()
    )
    return Improved(
        routes=tuple(r for r in out if r),
        start_cost=_objective(start),
        cost=_objective(res.best),
        iterations=int(res.num_iterations),
    )
