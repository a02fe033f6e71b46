"""The raw baselines of the routing benchmark: PyVRP and OR-Tools used the textbook way.

* :func:`raw_pyvrp`: ``pyvrp.read(path, round_func="round" | "dimacs")`` + ``pyvrp.solve`` with
  ``MaxRuntime``: PyVRP out of the box, one search (one seed, one process).
* :func:`raw_ortools`: a plain OR-Tools routing model (arc cost = integer distance, capacity
  dimension, time dimension with windows for Solomon; PATH_CHEAPEST_ARC then
  GUIDED_LOCAL_SEARCH), one search in one process.

Both return routes as lists of node numbers (the location ids of
:mod:`wasteopt.routing.instances`), so the benchmark grades them with the same checker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


def raw_pyvrp(set_name: str, path: Path, budget_s: float, seed: int) -> list[list[int]]:
    """PyVRP as its docs show it: read the instance, solve until MaxRuntime."""
    import pyvrp  # lazy: only the runs of this baseline load it
    from pyvrp.stop import MaxRuntime

    if set_name == "solomon":
        import vrplib  # lazy: as above

        # pyvrp.read only parses VRPLIB text; vrplib's Solomon parse goes to the builder
        # pyvrp.read uses (private API), or to an equivalent hand-built ProblemData.
        inst = vrplib.read_instance(path, instance_format="solomon")
        inst.setdefault("dimension", len(inst["demand"]))
        try:
            from pyvrp.read import ROUND_FUNCS, _InstanceParser, _ProblemDataBuilder

            data = _ProblemDataBuilder(_InstanceParser(inst, ROUND_FUNCS["dimacs"])).data()
        except ImportError:
            data = _pyvrp_from_solomon(inst)
    else:
        data = pyvrp.read(path, round_func="round")
    result = pyvrp.solve(
        data, stop=MaxRuntime(budget_s), seed=seed, display=False, collect_stats=False
    )
    clients = data.clients()
    routes = []
    for route in result.best.routes():
        visits = []
        for act in route.schedule():
            is_client = act.is_client() if callable(act.is_client) else act.is_client
            if is_client:
                visits.append(int(clients[act.idx].location))  # location = node number
        routes.append(visits)
    return routes


def _pyvrp_from_solomon(inst: dict[str, Any]) -> Any:
    """The ProblemData ``pyvrp.read(..., round_func="dimacs")`` builds, from vrplib's dict."""
    import pyvrp  # lazy: as in raw_pyvrp

    tw = (10 * inst["time_window"]).astype(np.int64)
    service = (10 * inst["service_time"]).astype(np.int64)
    dist = (10 * inst["edge_weight"]).astype(np.int64)
    xy = (10 * inst["node_coord"]).astype(np.int64)
    n = len(inst["demand"])
    depots = [pyvrp.Depot(location=0, tw_early=int(tw[0, 0]), tw_late=int(tw[0, 1]))]
    locs = [pyvrp.Location(x=int(xy[i, 0]), y=int(xy[i, 1])) for i in range(n)]
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[int(inst["demand"][i])],
            service_duration=int(service[i]),
            tw_early=int(tw[i, 0]),
            tw_late=int(tw[i, 1]),
        )
        for i in range(1, n)
    ]
    vt = pyvrp.VehicleType(
        num_available=int(inst["vehicles"]),
        capacity=[int(inst["capacity"])],
        tw_early=int(tw[0, 0]),
        tw_late=int(tw[0, 1]),
    )
    return pyvrp.ProblemData(
        locations=locs,
        clients=clients,
        depots=depots,
        vehicle_types=[vt],
        distance_matrices=[dist],
        duration_matrices=[dist],
    )


def raw_ortools(set_name: str, path: Path, budget_s: float, seed: int) -> list[list[int]]:
    """Textbook OR-Tools routing: integer arc costs, capacity, time windows (Solomon), GLS.

    Fleet: the file's vehicle count (Solomon) or one vehicle per customer (X, as PyVRP reads it).
    OR-Tools' search has no seed, so ``seed`` is not used (runs differ only by timing).
    """
    import vrplib  # lazy: as in raw_pyvrp
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    del seed
    solomon = set_name == "solomon"
    inst = vrplib.read_instance(path, instance_format="solomon" if solomon else "vrplib")
    if solomon:
        dist = (10 * inst["edge_weight"]).astype(np.int64)
    else:
        dist = np.round(inst["edge_weight"]).astype(np.int64)
    n = dist.shape[0]
    n_vehicles = int(inst.get("vehicles", n - 1))
    manager = pywrapcp.RoutingIndexManager(n, n_vehicles, 0)
    model = pywrapcp.RoutingModel(manager)
    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix(dist.tolist()))
    dem = model.RegisterUnaryTransitVector([int(d) for d in inst["demand"]])
    model.AddDimensionWithVehicleCapacity(
        dem, 0, [int(inst["capacity"])] * n_vehicles, True, "Capacity"
    )
    if solomon:
        _ortools_windows(model, manager, inst, dist, n_vehicles)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int(budget_s * 1000)))
    sol = model.SolveWithParameters(params)
    if sol is None:
        return []
    routes = []
    for v in range(n_vehicles):
        idx = sol.Value(model.NextVar(model.Start(v)))
        visits = []
        while not model.IsEnd(idx):
            visits.append(int(manager.IndexToNode(idx)))
            idx = sol.Value(model.NextVar(idx))
        if visits:
            routes.append(visits)
    return routes


def _ortools_windows(
    model: Any, manager: Any, inst: dict[str, Any], dist: npt.NDArray[np.int64], n_vehicles: int
) -> None:
    """Solomon's time dimension: service at the origin plus travel, windows ×10 (DIMACS)."""
    tw = (10 * inst["time_window"]).astype(np.int64)
    service = (10 * inst["service_time"]).astype(np.int64)
    transit = model.RegisterTransitMatrix((dist + service[:, None]).tolist())
    horizon = int(tw[0, 1])
    model.AddDimension(transit, horizon, horizon, False, "Time")
    tdim = model.GetDimensionOrDie("Time")
    for i in range(1, dist.shape[0]):
        tdim.CumulVar(manager.NodeToIndex(i)).SetRange(int(tw[i, 0]), int(tw[i, 1]))
    for v in range(n_vehicles):
        tdim.CumulVar(model.Start(v)).SetRange(int(tw[0, 0]), horizon)
        tdim.CumulVar(model.End(v)).SetRange(int(tw[0, 0]), horizon)
