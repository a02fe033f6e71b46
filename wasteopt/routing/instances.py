"""Benchmark instance readers and the CVRPLIB solution format, producing :class:`RoutingProblem`.

Conventions (a benchmark's objective must equal the checker's cost, so units are chosen per set):

* **CVRPLIB** (:func:`read_vrplib`): Euclidean distance rounded to the nearest integer per edge
  (``rounding="round"``, TSPLIB ``nint``), stored as-is in ``distance_m``; ``cost_per_km=1000``
  so the cost equals the summed integer distances. Sets with real-valued distances (CMT,
  ``rounding="exact"``) are scaled ×1000 and rounded per edge, with ``cost_per_km=1`` so the cost
  is again in the file's units (to 3 decimals). ``DISTANCE`` (route-length limit) and
  ``SERVICE_TIME`` become ``max_duration_s`` and ``service_s`` with travel time = distance, on the
  same scale; without them durations are zero (time plays no role).
  One depot, ``depot_unloads=True``, ``max_trips=1``, no fixed cost, fleet = ``VEHICLES`` or one
  vehicle per customer. Location ids are the 0-based node numbers as text (depot ``"0"``), which
  is how CVRPLIB ``.sol`` files number customers. Files may be gzipped (``.gz``). Instances of
  more than :data:`~wasteopt.travel_table.DENSE_LIMIT` nodes with ``EUC_2D`` coordinates (the
  Belgium and Kytöjoki sets, 3,000–30,000 customers) get lazy
  :class:`~wasteopt.travel_table.TravelTable` s instead of dense matrices (same integers: the
  plane distance times the scale, rounded half to even); smaller ones are read exactly as
  before.
* **Solomon** (:func:`read_solomon`): DIMACS convention — distances and travel times truncated to
  one decimal, stored ×10 as integers (``distance_m`` is then tenths of a distance unit); time
  windows and service times ×10; ``cost_per_km=100`` so the cost equals the distance in the
  original units. Fleet size and capacity from the file; depot window = shift.
* **Kim, Kim & Sahoo (2006)** (:func:`read_kim`, in :mod:`wasteopt.routing.kim`): Manhattan
  distance in feet as metres, travel times rounded up to whole seconds (re-check a plan in exact
  times with :func:`late_in_exact_time`), loads in hundredths of a cubic yard, cost in miles;
  ``objective="vehicles_then_distance"`` for the literature's ranking (vehicles, then miles).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from vrplib.parse import parse_solomon, parse_vrplib
from vrplib.parse.parse_distances import parse_distances

from wasteopt.errors import InputError, Problem
from wasteopt.files import atomic_path
from wasteopt.routing.check import CheckReport, check_plan
from wasteopt.routing.kim import (
    LateVisit,
    hierarchical_vehicle_cost,
    kim_exact_durations,
    kim_hhmm_s,
    late_in_exact_time,
    read_kim,
)
from wasteopt.routing.plan import PlanStatus, Route, RoutePlan
from wasteopt.routing.problem import HORIZON_S, Depot, Fleet, RoutingProblem, Stop
from wasteopt.travel_table import DENSE_LIMIT, TravelTable

__all__ = [
    "BENCHMARK_STREAM",
    "LateVisit",
    "hierarchical_vehicle_cost",
    "kim_exact_durations",
    "kim_hhmm_s",
    "late_in_exact_time",
    "plan_status",
    "read_kim",
    "read_solomon",
    "read_vrplib",
    "read_vrplib_solution",
    "write_vrplib_solution",
]

BENCHMARK_STREAM = "benchmark"
"""Stream name given to classic CVRP/VRPTW instances (they have one kind of load)."""

Rounding = Literal["auto", "round", "exact"]
IntMatrix = npt.NDArray[np.int64]


def _read_text(path: Path) -> str:
    """The file's text (gunzipped when it ends in ``.gz``), or an :class:`InputError`."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return fh.read()
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(file=str(path), message="file not found")]) from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:  # gzip.BadGzipFile is an OSError
        raise InputError([Problem(file=str(path), message=f"cannot read: {exc}")]) from exc


def _read_vrplib_dict(path: Path, fmt: Literal["vrplib", "solomon"]) -> dict[str, Any]:
    """The parsed instance; Euclidean edge weights only up to :data:`DENSE_LIMIT` nodes (above
    it the caller builds a lazy table from ``node_coord``)."""
    text = _read_text(path)
    try:
        if fmt == "solomon":
            inst: dict[str, Any] = parse_solomon(text)
            return inst
        inst = parse_vrplib(text, compute_edge_weights=False)
        if "edge_weight" not in inst and int(inst.get("dimension", 0)) <= DENSE_LIMIT:
            # vrplib's own computation, so small instances read exactly as before.
            inst["edge_weight"] = parse_distances([], **inst)
    except Exception as exc:  # vrplib raises bare ValueError/IndexError on malformed text
        raise InputError(
            [Problem(file=str(path), message=f"cannot parse as {fmt} instance: {exc}")]
        ) from exc
    return inst


def _round_edges(
    weights: npt.NDArray[np.float64], rounding: Literal["round", "exact", "dimacs"]
) -> IntMatrix:
    """Per-edge rounding, identical to PyVRP's ``read(round_func=...)`` so results compare."""
    if rounding == "round":
        return np.round(weights).astype(np.int64)
    if rounding == "exact":
        return np.round(1_000 * weights).astype(np.int64)
    if rounding == "dimacs":
        return (10 * weights).astype(np.int64)  # truncation: all values are >= 0
    raise ValueError(f"unknown rounding {rounding!r}")


@dataclass(frozen=True, slots=True)
class _VrplibTiming:
    """Service times, route-length limit, windows and travel times of a CVRPLIB instance, all
    on the distance scale; ``horizon`` bounds windows the file does not give."""

    service: IntMatrix
    max_duration: int | None
    windows: IntMatrix | None
    horizon: int
    durations: IntMatrix | TravelTable


def read_vrplib(
    path: str | os.PathLike[str],
    *,
    rounding: Rounding = "auto",
    stream: str = BENCHMARK_STREAM,
) -> RoutingProblem:
    """Read a CVRPLIB (VRPLIB format) CVRP instance.

    ``rounding``: ``"round"`` (nearest integer per edge, the CVRPLIB convention for A, P, X...),
    ``"exact"`` (×1000 then nearest integer, for real-valued sets), ``"auto"``: ``"exact"`` for
    the CMT set (name starts with ``CMT``), else ``"round"``. See the module docstring for units.
    """
    path = Path(path)
    inst = _read_vrplib_dict(path, "vrplib")
    name = str(inst.get("name", path.stem))
    chosen: Literal["round", "exact"] = (
        rounding if rounding != "auto" else ("exact" if name.upper().startswith("CMT") else "round")
    )
    scale = 1000 if chosen == "exact" else 1
    n = int(inst["dimension"])
    depots = np.atleast_1d(inst.get("depot", np.array([0])))
    _check_vrplib(inst, path, depots)
    depot = int(depots[0])
    dist: IntMatrix | TravelTable
    if "edge_weight" in inst:
        dist = _round_edges(np.asarray(inst["edge_weight"], dtype=float), chosen)
    else:
        dist = _lazy_table(inst, path, scale)
    timing = _vrplib_timing(inst, n, depot, dist, scale)
    ids = tuple(str(i) for i in range(n))
    w = timing.windows
    open_s, close_s = (0, timing.horizon) if w is None else (int(w[depot, 0]), int(w[depot, 1]))
    fleet = Fleet(
        id="vehicle",
        stream=stream,
        depot=ids[depot],
        count=int(inst.get("vehicles", n - 1)),
        capacity_kg=round(float(np.max(inst["capacity"]))),
        shift_start_s=open_s,
        shift_end_s=close_s,
        max_duration_s=timing.max_duration,
        max_trips=1,
        fixed_cost=0.0,
        cost_per_km=1000.0 / scale,
    )
    return RoutingProblem(
        name=name,
        stream=stream,
        stops=_vrplib_stops(inst, ids, depot, timing, stream),
        sites=(),
        depots=(Depot(id=ids[depot], open_s=open_s, close_s=close_s),),
        fleets=(fleet,),
        locations=ids,
        distance_m=dist,
        durations_s=(timing.durations,),
        depot_unloads=True,
    )


def _lazy_table(inst: dict[str, Any], path: Path, scale: int) -> TravelTable:
    """The plane distances of an ``EUC_2D`` instance above :data:`DENSE_LIMIT` nodes, computed
    on demand (a dense 30,000-node matrix would take 3.6 GB per table)."""
    kind = str(inst.get("edge_weight_type", "")).upper()
    coords = inst.get("node_coord")
    if kind != "EUC_2D" or coords is None:
        raise InputError(
            [
                Problem(
                    file=str(path),
                    field="EDGE_WEIGHT_TYPE",
                    value=kind or "missing",
                    message=f"instances above {DENSE_LIMIT:,} nodes are read from coordinates",
                    expected="EUC_2D with a NODE_COORD_SECTION",
                )
            ]
        )
    xy = np.asarray(coords, dtype=np.float64)
    return TravelTable.euclidean(xy[:, 0], xy[:, 1], scale=float(scale))


def _no_time(table: TravelTable) -> TravelTable:
    """A lazy table of zeros as large as ``table``: every position at one point (untimed
    instances have zero travel times, and a dense zero matrix would be as large as a real one)."""
    return TravelTable(np.zeros((2, len(table))), metric="plane", scale=1.0)


def _max_distance(inst: dict[str, Any], dist: IntMatrix | TravelTable) -> int:
    """The largest entry of a dense matrix; of a lazy plane table an upper bound from the
    coordinates' bounding box (its diagonal, rounded up): O(n) instead of O(n²)."""
    if not isinstance(dist, TravelTable):
        return int(dist.max())
    xy = np.asarray(inst["node_coord"], dtype=np.float64)
    diagonal = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))
    return int(np.ceil(dist.scale * diagonal)) + 1


def _check_vrplib(inst: dict[str, Any], path: Path, depots: npt.NDArray[Any]) -> None:
    """One depot, a capacity and a CVRP type, or an :class:`InputError` naming what is not."""
    problems: list[Problem] = []
    if depots.size != 1:
        problems.append(
            Problem(
                file=str(path),
                message="only single-depot instances are read",
                field="DEPOT_SECTION",
                value=str(depots.tolist()),
                expected="one depot",
            )
        )
    if "capacity" not in inst:
        problems.append(Problem(file=str(path), message="missing", field="CAPACITY"))
    if str(inst.get("type", "CVRP")).upper() not in ("CVRP", "VRPTW", "CVRPTW"):
        problems.append(
            Problem(
                file=str(path),
                message="unsupported problem type",
                field="TYPE",
                value=str(inst.get("type")),
                expected="CVRP",
            )
        )
    if problems:
        raise InputError(problems)


def _vrplib_timing(
    inst: dict[str, Any], n: int, depot: int, dist: IntMatrix | TravelTable, scale: int
) -> _VrplibTiming:
    """Time plays a role when the file has a route-length limit, service times or windows;
    travel time then equals distance, else durations are zero (lazy: the same table, or a
    table of zeros)."""

    def scaled(x: npt.ArrayLike) -> IntMatrix:
        arr = np.broadcast_to(np.asarray(x, dtype=float), (n,))
        return np.round(arr * scale).astype(np.int64)

    service = scaled(inst.get("service_time", 0.0)).copy()
    service[depot] = 0
    max_duration = round(float(inst["distance"]) * scale) if "distance" in inst else None
    tw = inst.get("time_window")
    timed = max_duration is not None or bool(service.any()) or tw is not None
    horizon = HORIZON_S
    if max_duration is not None:
        horizon = max(horizon, max_duration)
    windows = None
    if tw is not None:
        windows = np.round(np.asarray(tw, dtype=float) * scale).astype(np.int64)
        horizon = max(horizon, int(windows.max()))
    elif timed:
        # No windows: keep the default horizon out of the way of long scaled routes.
        horizon = max(horizon, _max_distance(inst, dist) * (n + 1) + int(service.sum()))
    durations: IntMatrix | TravelTable
    if isinstance(dist, TravelTable):
        durations = dist if timed else _no_time(dist)
    else:
        durations = dist.copy() if timed else np.zeros_like(dist)
    return _VrplibTiming(
        service=service,
        max_duration=max_duration,
        windows=windows,
        horizon=horizon,
        durations=durations,
    )


def _vrplib_stops(
    inst: dict[str, Any], ids: tuple[str, ...], depot: int, timing: _VrplibTiming, stream: str
) -> tuple[Stop, ...]:
    """Every node but the depot, with its demand, service time and window (or the horizon)."""
    demand = np.asarray(inst.get("demand", np.zeros(len(ids))), dtype=float)
    w = timing.windows
    stops = []
    for i in range(len(ids)):
        if i == depot:
            continue
        tw_start, tw_end = (0, timing.horizon) if w is None else (int(w[i, 0]), int(w[i, 1]))
        stops.append(
            Stop(
                id=ids[i],
                stream=stream,
                load_kg=round(float(demand[i])),
                service_s=int(timing.service[i]),
                tw_start_s=tw_start,
                tw_end_s=tw_end,
            )
        )
    return tuple(stops)


def read_solomon(path: str | os.PathLike[str], *, stream: str = BENCHMARK_STREAM) -> RoutingProblem:
    """Read a Solomon-format VRPTW instance under the DIMACS convention (everything ×10,
    distances and travel times truncated to one decimal). Location ids are the customer
    numbers as text (depot ``"0"``)."""
    path = Path(path)
    inst = _read_vrplib_dict(path, "solomon")
    n = int(np.asarray(inst["demand"]).shape[0])
    dist = _round_edges(np.asarray(inst["edge_weight"], dtype=float), "dimacs")
    tw = np.round(10 * np.asarray(inst["time_window"], dtype=float)).astype(np.int64)
    service = np.round(10 * np.asarray(inst["service_time"], dtype=float)).astype(np.int64)
    demand = np.asarray(inst["demand"])
    ids = tuple(str(i) for i in range(n))
    stops = tuple(
        Stop(
            id=ids[i],
            stream=stream,
            load_kg=int(demand[i]),
            service_s=int(service[i]),
            tw_start_s=int(tw[i, 0]),
            tw_end_s=int(tw[i, 1]),
        )
        for i in range(1, n)
    )
    open_s, close_s = int(tw[0, 0]), int(tw[0, 1])
    fleet = Fleet(
        id="vehicle",
        stream=stream,
        depot="0",
        count=int(inst["vehicles"]),
        capacity_kg=int(inst["capacity"]),
        shift_start_s=open_s,
        shift_end_s=close_s,
        max_trips=1,
        cost_per_km=100.0,  # distance_m holds tenths of a unit: cost = sum / 10
    )
    return RoutingProblem(
        name=str(inst.get("name", path.stem)),
        stream=stream,
        stops=stops,
        sites=(),
        depots=(Depot(id="0", open_s=open_s, close_s=close_s),),
        fleets=(fleet,),
        locations=ids,
        distance_m=dist,
        durations_s=(dist.copy(),),
        depot_unloads=True,
    )


def plan_status(report: CheckReport) -> PlanStatus:
    """``feasible`` when clean, ``partial`` when only stops are unserved, else ``infeasible``."""
    if report.ok:
        return "feasible"
    if all(v.kind == "unserved" for v in report.violations):
        return "partial"
    return "infeasible"


def read_vrplib_solution(path: str | os.PathLike[str], problem: RoutingProblem) -> RoutePlan:
    """Read a CVRPLIB ``.sol`` file (``Route #k: id id ...``; ``#`` lines are comments) as a
    plan for ``problem``. Tokens are location ids (customer numbers for CVRPLIB/Solomon). Routes
    start at the earliest allowed time with no lunch break; the plan is checked and carries
    the checker's cost, status and report."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(file=str(path), message="file not found")]) from None
    fleet = problem.fleets[0]
    depot = next((d for d in problem.depots if d.id == fleet.depot), None)
    start = max(fleet.shift_start_s, depot.open_s if depot else 0)
    routes: list[Route] = []
    for line in text.splitlines():
        s = line.strip()
        if not s.lower().startswith("route"):
            continue
        _, _, rest = s.partition(":")
        visits = tuple(rest.split())
        if visits:
            routes.append(
                Route(
                    vehicle=f"{fleet.id}#{len(routes) + 1}",
                    fleet=fleet.id,
                    start_s=start,
                    visits=visits,
                )
            )
    if not routes:
        raise InputError([Problem(file=str(path), message="no 'Route #k:' lines found")])
    served = {v for r in routes for v in r.visits}
    plan = RoutePlan(
        problem=problem.name,
        stream=problem.stream,
        engine="file",
        seed=0,
        status="no_solution",
        objective=0.0,
        runtime_s=0.0,
        routes=tuple(routes),
        unserved=tuple(s.id for s in problem.stops if s.id not in served),
    )
    report = check_plan(problem, plan)
    return replace(plan, status=plan_status(report), objective=report.totals.cost, check=report)


def _format_cost(value: float) -> str:
    """An integer cost without decimals, else at most six, trailing zeros dropped."""
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def write_vrplib_solution(
    plan: RoutePlan, problem: RoutingProblem, path: str | os.PathLike[str]
) -> Path:
    """Write ``plan`` in CVRPLIB ``.sol`` form (``Route #k: ids...`` then ``Cost <value>``,
    the checker's cost). Multi-trip plans keep unload-site ids in the sequences, announced by a
    ``#`` comment line. Written atomically, readable by all (0644)."""
    path = Path(path)
    report = check_plan(problem, plan)
    site_ids = {s.id for s in problem.sites}
    used = [r for r in plan.routes if r.visits]
    lines: list[str] = []
    visited_sites = sorted({v for r in used for v in r.visits if v in site_ids})
    if visited_sites:
        lines.append(
            "# multi-trip plan: unload site ids appear in the sequences"
            f" (sites: {', '.join(visited_sites)})"
        )
    lines += [f"Route #{k}: {' '.join(r.visits)}" for k, r in enumerate(used, start=1)]
    lines.append(f"Cost {_format_cost(report.totals.cost)}")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return path
