"""The OR-Tools warm start for lunch models: wasteopt's own cheapest insertion
(:func:`wasteopt.routing.schedule.repair_routes` on empty routes), which places the break
exactly, mapped onto the model's vehicles and nodes.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from wasteopt.routing.engines._ortools_nodes import Nodes
from wasteopt.routing.plan import Route
from wasteopt.routing.schedule import repair_routes

__all__ = ["warm_start"]

log = logging.getLogger("wasteopt")


def warm_start(nodes: Nodes, manager: Any, wall_deadline: float) -> list[list[int]] | None:
    """Initial routes (routing indices per vehicle) from insertion of every stop into empty
    routes (until ``wall_deadline``, a ``time.time()``), or ``None`` if they do not map onto
    the model.

    Each route goes to an unused vehicle of its fleet, preferably one whose end site is the
    route's last unload (that visit becomes the route's end); other unloads use free reload
    copies of their site.
    """
    stop_node = {nodes.ids[n]: n for n, k in enumerate(nodes.kind) if k == "stop"}
    sub = dataclasses.replace(
        nodes.problem, stops=tuple(s for s in nodes.problem.stops if s.id in stop_node)
    )
    try:
        routes, _ = repair_routes(sub, [], [s.id for s in sub.stops], deadline=wall_deadline)
    except Exception as exc:  # the warm start is an optimisation, never a failure
        log.debug("OR-Tools warm start failed: %s", exc)
        return None
    return _assign_vehicles(nodes, manager, routes, stop_node)


def _assign_vehicles(
    nodes: Nodes, manager: Any, routes: tuple[Route, ...], stop_node: dict[str, int]
) -> list[list[int]] | None:
    """Each route on a free vehicle of its fleet, its visits on stop nodes and free reload
    copies (``None`` when a fleet or site runs out)."""
    copies: dict[str, list[int]] = {}
    for n, k in enumerate(nodes.kind):
        if k == "reload":
            copies.setdefault(nodes.ids[n], []).append(n)
    vehicles, end_site = nodes.vehicles, nodes.end_site
    free = list(range(len(vehicles)))
    seqs: list[list[int]] = [[] for _ in vehicles]
    for r in routes:
        mine = [v for v in free if vehicles[v][0].id == r.fleet]
        if not mine:
            return None
        last = r.visits[-1] if r.visits else None
        v = next(
            (v for v in mine if (site := end_site[v]) is not None and site.id == last), mine[0]
        )
        free.remove(v)
        visits = list(r.visits)
        site = end_site[v]
        if site is not None and visits and visits[-1] == site.id:
            visits.pop()
        seq = []
        for x in visits:
            if x in stop_node:
                seq.append(stop_node[x])
            elif copies.get(x):
                seq.append(copies[x].pop())
            else:
                return None
        seqs[v] = [manager.NodeToIndex(n) for n in seq]
    return seqs
