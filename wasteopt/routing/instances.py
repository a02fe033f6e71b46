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
  is how CVRPLIB ``.sol`` files number customers.
* **Solomon** (:func:`read_solomon`): DIMACS convention — distances and travel times truncated to
  one decimal, stored ×10 as integers (``distance_m`` is then tenths of a distance unit); time
  windows and service times ×10; ``cost_per_km=100`` so the cost equals the distance in the
  original units. Fleet size and capacity from the file; depot window = shift.
* **Kim, Kim & Sahoo (2006)** (:func:`read_kim`): Manhattan distance in feet; ``distance_m`` is
  metres (1 ft = 0.3048 m, rounded per edge) and ``durations_s`` seconds at the header speed
  (rounded per edge). Loads are cubic yards (real numbers) stored ×100 as integers in the
  ``*_kg`` fields (``load_kg=1230`` means 12.30 yd³); vehicle capacity, daily route capacity
  (``max_shift_load_kg``) likewise. ``cost_per_km = 1/1.609344`` so the objective is miles,
  plus ``vehicle_cost`` per used vehicle (default 0). Lunch of the header duration starting
  11:00–12:00; shifts within the depot's hours; 500 stops per route (header).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Literal

import numpy as np

from wasteopt.errors import InputError, Problem
from wasteopt.routing.check import CheckReport, check_plan
from wasteopt.routing.plan import PlanStatus, Route, RoutePlan
from wasteopt.routing.problem import (
    HORIZON_S,
    Depot,
    Fleet,
    Lunch,
    RoutingProblem,
    Stop,
    UnloadSite,
)

__all__ = [
    "BENCHMARK_STREAM",
    "kim_hhmm_s",
    "plan_status",
    "read_kim",
    "read_solomon",
    "read_vrplib",
    "read_vrplib_solution",
    "write_vrplib_solution",
]

log = logging.getLogger("wasteopt")

BENCHMARK_STREAM = "benchmark"
"""Stream name given to classic CVRP/VRPTW instances (they have one kind of load)."""

Rounding = Literal["auto", "round", "exact"]
_FT_M = 0.3048
_MILE_KM = 1.609344
_MILE_FT = 5280.0
_KIM_LUNCH_S = (11 * 3600, 12 * 3600)  # header comment: "lunch time should start 11:00–12:00"
_KIM_SCALE = 100  # yards → hundredths of a yard


def _read_vrplib_dict(path: Path, fmt: str) -> dict:
    import vrplib  # light, pure-Python; imported here so validate-only runs never pay for it

    try:
        return vrplib.read_instance(path, instance_format=fmt)
    except FileNotFoundError:
        raise InputError([Problem(file=str(path), message="file not found")]) from None
    except Exception as exc:  # vrplib raises bare ValueError/IndexError on malformed text
        raise InputError(
            [Problem(file=str(path), message=f"cannot parse as {fmt} instance: {exc}")]
        ) from exc


def _round_edges(weights: np.ndarray, rounding: str) -> np.ndarray:
    """Per-edge rounding, identical to PyVRP's ``read(round_func=...)`` so results compare."""
    if rounding == "round":
        return np.round(weights).astype(np.int64)
    if rounding == "exact":
        return np.round(1_000 * weights).astype(np.int64)
    if rounding == "dimacs":
        return (10 * weights).astype(np.int64)  # truncation: all values are >= 0
    raise ValueError(f"unknown rounding {rounding!r}")


def read_vrplib(
    path: str | os.PathLike,
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
    if rounding == "auto":
        rounding = "exact" if name.upper().startswith("CMT") else "round"
    scale = 1000 if rounding == "exact" else 1
    problems: list[Problem] = []
    n = int(inst["dimension"])
    depots = np.atleast_1d(inst.get("depot", np.array([0])))
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
    depot = int(depots[0])
    dist = _round_edges(np.asarray(inst["edge_weight"], dtype=float), rounding)

    def scaled(x: np.ndarray | float) -> np.ndarray:
        arr = np.broadcast_to(np.asarray(x, dtype=float), (n,))
        return np.round(arr * scale).astype(np.int64)

    service = scaled(inst.get("service_time", 0.0)).copy()
    service[depot] = 0
    demand = np.asarray(inst.get("demand", np.zeros(n)), dtype=float)
    max_duration = round(float(inst["distance"]) * scale) if "distance" in inst else None
    tw = inst.get("time_window")
    timed = max_duration is not None or bool(service.any()) or tw is not None
    horizon = HORIZON_S
    if max_duration is not None:
        horizon = max(horizon, max_duration)
    tw_arr = None
    if tw is not None:
        tw_arr = np.round(np.asarray(tw, dtype=float) * scale).astype(np.int64)
        horizon = max(horizon, int(tw_arr.max()))
    elif timed:
        # No windows: keep the default horizon out of the way of long scaled routes.
        horizon = max(horizon, int(dist.max()) * (n + 1) + int(service.sum()))
    durations = dist.copy() if timed else np.zeros_like(dist)

    ids = tuple(str(i) for i in range(n))
    stops = []
    for i in range(n):
        if i == depot:
            continue
        if tw_arr is None:
            tw_start, tw_end = 0, horizon
        else:
            tw_start, tw_end = int(tw_arr[i, 0]), int(tw_arr[i, 1])
        stops.append(
            Stop(
                id=ids[i],
                stream=stream,
                load_kg=round(float(demand[i])),
                service_s=int(service[i]),
                tw_start_s=tw_start,
                tw_end_s=tw_end,
            )
        )
    open_s, close_s = (
        (0, horizon) if tw_arr is None else (int(tw_arr[depot, 0]), int(tw_arr[depot, 1]))
    )
    fleet = Fleet(
        id="vehicle",
        stream=stream,
        depot=ids[depot],
        count=int(inst.get("vehicles", n - 1)),
        capacity_kg=round(float(np.max(inst["capacity"]))),
        shift_start_s=open_s,
        shift_end_s=close_s,
        max_duration_s=max_duration,
        max_trips=1,
        fixed_cost=0.0,
        cost_per_km=1000.0 / scale,
    )
    return RoutingProblem(
        name=name,
        stream=stream,
        stops=tuple(stops),
        sites=(),
        depots=(Depot(id=ids[depot], open_s=open_s, close_s=close_s),),
        fleets=(fleet,),
        locations=ids,
        distance_m=dist,
        durations_s=(durations,),
        depot_unloads=True,
    )


def read_solomon(path: str | os.PathLike, *, stream: str = BENCHMARK_STREAM) -> RoutingProblem:
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


_DIGITS = re.compile(r"^\d{1,4}$")


def kim_hhmm_s(text: str) -> int:
    """Seconds after midnight of a Kim-format ``HHMM`` time that need not be zero-padded:
    ``"700"`` → 7:00, ``"0"`` → 0, ``"0400"`` → 4:00, ``"2400"`` → 86400.

    A few rows of the published files carry minutes of 60 or more (``875``, ``1675``); they are
    read literally as hours·3600 + minutes·60 (``1675`` → 17:15), i.e. the minutes carry over.
    """
    t = str(text).strip()
    if not _DIGITS.match(t):
        raise ValueError("not an HHMM time (1 to 4 digits)")
    hours, minutes = divmod(int(t), 100)
    if hours > 48:
        raise ValueError("hours above 48")
    return hours * 3600 + minutes * 60


def read_kim(
    path: str | os.PathLike,
    *,
    vehicle_cost: float = 0.0,
    stream: str = "waste",
) -> RoutingProblem:
    """Read a Kim, Kim & Sahoo (2006) waste-collection VRPTW instance (see module docstring).

    Location ids are the file's ``Stop_ID`` values as text; matrices follow row order.
    Raises :class:`InputError` listing every malformed header value or row.
    """
    path = Path(path)
    fname = str(path)
    try:
        text = path.read_text(encoding="latin-1")
    except FileNotFoundError:
        raise InputError([Problem(file=fname, message="file not found")]) from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    problems: list[Problem] = []
    header_names = (
        "vehicle capacity (yd3)",
        "route capacity (yd3/day)",
        "max stops per route",
        "lunch duration (s)",
        "speed (mph)",
    )
    header: list[float] = []
    for k, label in enumerate(header_names):
        raw = lines[k].split("//")[0].strip() if k < len(lines) else ""
        try:
            value = float(raw)
            if not value > 0:
                raise ValueError
        except ValueError:
            problems.append(
                Problem(
                    file=fname,
                    where=f"line {k + 1}",
                    field=label,
                    message="bad header value",
                    value=raw,
                    expected="a positive number",
                )
            )
            value = 1.0
        header.append(value)
    cap_yd, route_yd, max_stops, lunch_s, speed_mph = header

    rows: list[tuple[str, float, float, int, int, int, float, int]] = []
    for ln_no, line in enumerate(lines[5:], start=6):
        tok = line.split()
        if tok and tok[0].lower().startswith("stop_id"):
            continue  # column header
        where = f"data line {ln_no}" + (f" (Stop_ID={tok[0]})" if tok else "")
        if len(tok) != 8:
            problems.append(
                Problem(
                    file=fname,
                    where=where,
                    message="wrong number of fields",
                    value=str(len(tok)),
                    expected="8",
                )
            )
            continue
        ok = True
        parsed: list = [tok[0]]
        for j, (fieldname, conv) in enumerate(
            (
                ("X", float),
                ("Y", float),
                ("Early_St_Time", kim_hhmm_s),
                ("Late_St_Time", kim_hhmm_s),
                ("Service_Time", int),
                ("Load", float),
                ("Stop_Type", int),
            ),
            start=1,
        ):
            try:
                parsed.append(conv(tok[j]))
            except ValueError as exc:
                ok = False
                problems.append(
                    Problem(
                        file=fname,
                        where=where,
                        field=fieldname,
                        message=str(exc) or "not a number",
                        value=tok[j],
                    )
                )
        if not ok:
            continue
        _, _, _, early, late, svc, _, kind = parsed
        if kind not in (0, 1, 2):
            problems.append(
                Problem(
                    file=fname,
                    where=where,
                    field="Stop_Type",
                    message="unknown type",
                    value=str(kind),
                    expected="0 (depot), 1 (stop) or 2 (disposal site)",
                )
            )
        if late < early:
            problems.append(
                Problem(
                    file=fname,
                    where=where,
                    field="Late_St_Time",
                    message="window ends before it starts",
                    value=tok[4],
                    expected=f">= {tok[3]}",
                )
            )
        if svc < 0:
            problems.append(
                Problem(
                    file=fname,
                    where=where,
                    field="Service_Time",
                    message="negative",
                    value=tok[5],
                    expected=">= 0",
                )
            )
        rows.append(tuple(parsed))  # type: ignore[arg-type]

    ids = [r[0] for r in rows]
    seen: set[str] = set()
    for r in rows:
        if r[0] in seen:
            problems.append(
                Problem(
                    file=fname,
                    where=f"Stop_ID={r[0]}",
                    field="Stop_ID",
                    message="duplicate id",
                    value=r[0],
                    expected="unique ids",
                )
            )
        seen.add(r[0])
    depot_rows = [r for r in rows if r[7] == 0]
    if len(depot_rows) != 1:
        problems.append(
            Problem(
                file=fname,
                field="Stop_Type",
                message="depot rows",
                value=str(len(depot_rows)),
                expected="exactly one type-0 row",
            )
        )
    if not any(r[7] == 2 for r in rows):
        problems.append(
            Problem(
                file=fname,
                field="Stop_Type",
                message="no disposal site",
                expected="at least one type-2 row",
            )
        )
    if problems:
        raise InputError(problems)
    carried = sum(
        1
        for line in lines[5:]
        for t in line.split()[3:5]
        if _DIGITS.match(t) and int(t) % 100 >= 60
    )
    if carried:
        log.warning(
            "%s: %d HHMM values with minutes >= 60 read as carried minutes", path.name, carried
        )

    xy = np.array([[r[1], r[2]] for r in rows], dtype=float)
    feet = np.abs(xy[:, None, 0] - xy[None, :, 0]) + np.abs(xy[:, None, 1] - xy[None, :, 1])
    dist = np.round(feet * _FT_M).astype(np.int64)
    ft_per_s = speed_mph * _MILE_FT / 3600.0
    dur = np.round(feet / ft_per_s).astype(np.int64)

    d = depot_rows[0]
    depot = Depot(id=d[0], open_s=d[3], close_s=d[4])
    sites = tuple(
        UnloadSite(id=r[0], streams=(stream,), open_s=r[3], close_s=r[4], unload_s=r[5])
        for r in rows
        if r[7] == 2
    )
    stops = tuple(
        Stop(
            id=r[0],
            stream=stream,
            load_kg=round(r[6] * _KIM_SCALE),
            service_s=r[5],
            tw_start_s=r[3],
            tw_end_s=r[4],
        )
        for r in rows
        if r[7] == 1
    )
    fleet = Fleet(
        id="truck",
        stream=stream,
        depot=depot.id,
        count=len(stops),
        capacity_kg=round(cap_yd * _KIM_SCALE),
        shift_start_s=depot.open_s,
        shift_end_s=depot.close_s,
        lunch=Lunch(
            earliest_s=_KIM_LUNCH_S[0], latest_s=_KIM_LUNCH_S[1], duration_s=round(lunch_s)
        ),
        max_stops=round(max_stops),
        max_shift_load_kg=round(route_yd * _KIM_SCALE),
        fixed_cost=float(vehicle_cost),
        cost_per_km=1.0 / _MILE_KM,
    )
    return RoutingProblem(
        name=path.stem,
        stream=stream,
        stops=stops,
        sites=sites,
        depots=(depot,),
        fleets=(fleet,),
        locations=tuple(ids),
        distance_m=dist,
        durations_s=(dur,),
        depot_unloads=False,
    )


def plan_status(report: CheckReport) -> PlanStatus:
    """``feasible`` when clean, ``partial`` when only stops are unserved, else ``infeasible``."""
    if report.ok:
        return "feasible"
    if all(v.kind == "unserved" for v in report.violations):
        return "partial"
    return "infeasible"


def read_vrplib_solution(path: str | os.PathLike, problem: RoutingProblem) -> RoutePlan:
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
    routes = []
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
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def write_vrplib_solution(
    plan: RoutePlan, problem: RoutingProblem, path: str | os.PathLike
) -> Path:
    """Write ``plan`` in CVRPLIB ``.sol`` form (``Route #k: ids...`` then ``Cost <value>``,
    the checker's cost). Multi-trip plans keep unload-site ids in the sequences, announced by a
    ``#`` comment line. Written atomically (temporary file, then rename)."""
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a solution file is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
