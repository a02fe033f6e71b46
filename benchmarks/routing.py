"""Routing benchmark: wasteopt's engines against raw PyVRP and raw OR-Tools, same budget.

Sets (data under ``benchmarks/data/``, each folder with its README and ``bks.csv``):

* ``x``: CVRPLIB X instances up to 400 customers, 60 s per run; distances nint per edge.
* ``solomon``: all 56 Solomon VRPTW instances, 30 s per run; DIMACS (truncate to 0.1).
* ``kim``: the ten Kim, Kim & Sahoo (2006) waste-collection instances, 60 s per run; no BKS is
  stored (see the folder README) and no raw baseline reads this format, so only wasteopt runs.

Solvers per instance (all with the same wall-clock budget and seed):

* ``wasteopt-pyvrp`` / ``wasteopt-ortools``: ``wasteopt.routing.solve.solve`` on the problem from
  ``wasteopt.routing.instances``; the plan is graded by the independent checker.
* ``pyvrp``: ``pyvrp.read(path, round_func="round" | "dimacs")`` + ``pyvrp.solve`` with
  ``MaxRuntime`` — PyVRP out of the box.
* ``ortools``: a plain OR-Tools routing model written here (arc cost = integer distance,
  capacity dimension, time dimension with windows for Solomon; PATH_CHEAPEST_ARC then
  GUIDED_LOCAL_SEARCH), the textbook way to use OR-Tools on these sets.

Routes of the raw baselines are also passed through the wasteopt checker (same units), so
every cost in the table is measured the same way.

Usage::

    python benchmarks/routing.py --sets x,solomon,kim            # the full run (hours)
    python benchmarks/routing.py --instances C101 --time-scale 0.02   # smoke run

Writes ``<--name>.csv`` and ``.md`` (default ``routing``) into ``--out`` (default
benchmarks/results), with date, machine and load average in the header.
``--jobs N`` runs N solver runs in parallel processes; keep 1 for fair timings.
``--workers N`` (default 2) is passed to wasteopt's engines (PyVRP: N seeds in parallel, best
kept; OR-Tools: N first-solution strategies); the raw baselines are single runs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # run from a checkout without installing

from wasteopt.files import write_text  # noqa: E402
from wasteopt.routing.check import check_plan  # noqa: E402
from wasteopt.routing.instances import (  # noqa: E402
    read_kim,
    read_solomon,
    read_vrplib,
)
from wasteopt.routing.plan import Route, RoutePlan  # noqa: E402
from wasteopt.routing.settings import RoutingSettings  # noqa: E402
from wasteopt.routing.solve import plan_status, solve  # noqa: E402

DATA = ROOT / "data"
SETS = {
    # name: (folder, glob, budget_s, bks column)
    "x": ("cvrp_x", "*.vrp", 60.0, "bks_cost"),
    "solomon": ("vrptw_solomon", "*.txt", 30.0, "cvrplib_distance_bks"),
    "kim": ("wcvrptw_kim2006", "*_stop.txt", 60.0, None),
}
MAX_X_CUSTOMERS = 400
SOLVERS = ("wasteopt-pyvrp", "wasteopt-ortools", "pyvrp", "ortools")


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    set: str
    instance: str
    path: str
    solver: str
    budget_s: float
    seed: int
    workers: int = 1


def _n_customers(set_name: str, path: Path) -> int:
    if set_name == "x":
        return int(path.stem.split("-")[1][1:]) - 1
    if set_name == "solomon":
        return 100
    return -1  # read from the problem later


def discover(sets: list[str], names: list[str] | None) -> list[tuple[str, Path]]:
    """(set, path) of every instance of ``sets`` (filtered by ``names`` when given)."""
    found = []
    for s in sets:
        folder, pattern, _, _ = SETS[s]
        for path in sorted((DATA / folder).glob(pattern), key=_natural):
            if s == "x" and _n_customers(s, path) > MAX_X_CUSTOMERS:
                continue
            if names and path.stem not in names:
                continue
            found.append((s, path))
    return found


def _natural(path: Path) -> tuple:
    digits = "".join(c if c.isdigit() else " " for c in path.stem).split()
    return (path.stem.rstrip("0123456789_stop"), *[int(d) for d in digits])


def load_bks(set_name: str) -> dict[str, float]:
    folder, _, _, column = SETS[set_name]
    if column is None:
        return {}
    out = {}
    with open(DATA / folder / "bks.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get(column):
                out[row["instance"]] = float(row[column])
    return out


def read_problem(set_name: str, path: Path):
    if set_name == "x":
        return read_vrplib(path, rounding="round")
    if set_name == "solomon":
        return read_solomon(path)
    return read_kim(path)


# --- raw baselines ------------------------------------------------------------------------------


def raw_pyvrp(set_name: str, path: Path, budget_s: float, seed: int) -> list[list[int]]:
    """PyVRP as its docs show it: read the instance, solve until MaxRuntime."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    round_func = "dimacs" if set_name == "solomon" else "round"
    fmt = "solomon" if set_name == "solomon" else "vrplib"
    if fmt == "solomon":
        import vrplib

        # pyvrp.read only parses VRPLIB text; feed vrplib's Solomon parse to the same builder
        # pyvrp.read uses (private API), falling back to an equivalent hand-built ProblemData.
        inst = vrplib.read_instance(path, instance_format="solomon")
        inst.setdefault("dimension", len(inst["demand"]))
        try:
            from pyvrp.read import ROUND_FUNCS, _InstanceParser, _ProblemDataBuilder

            data = _ProblemDataBuilder(_InstanceParser(inst, ROUND_FUNCS["dimacs"])).data()
        except ImportError:
            data = _pyvrp_from_solomon(inst)
    else:
        data = pyvrp.read(path, round_func=round_func)
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
                visits.append(clients[act.idx].location)  # location = node number
        routes.append(visits)
    return routes


def _pyvrp_from_solomon(inst: dict):
    """The ProblemData ``pyvrp.read(..., round_func="dimacs")`` builds, from vrplib's dict."""
    import pyvrp

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
    OR-Tools' search is deterministic for a given model, so ``seed`` is not used.
    """
    import vrplib
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    del seed
    fmt = "solomon" if set_name == "solomon" else "vrplib"
    inst = vrplib.read_instance(path, instance_format=fmt)
    if set_name == "solomon":
        dist = (10 * inst["edge_weight"]).astype(np.int64)
    else:
        dist = np.round(inst["edge_weight"]).astype(np.int64)
    n = dist.shape[0]
    demand = [int(d) for d in inst["demand"]]
    n_vehicles = int(inst.get("vehicles", n - 1))
    manager = pywrapcp.RoutingIndexManager(n, n_vehicles, 0)
    model = pywrapcp.RoutingModel(manager)
    arc = model.RegisterTransitMatrix(dist.tolist())
    model.SetArcCostEvaluatorOfAllVehicles(arc)
    dem = model.RegisterUnaryTransitVector(demand)
    model.AddDimensionWithVehicleCapacity(
        dem, 0, [int(inst["capacity"])] * n_vehicles, True, "Capacity"
    )
    if set_name == "solomon":
        tw = (10 * inst["time_window"]).astype(np.int64)
        service = (10 * inst["service_time"]).astype(np.int64)
        # Service at the origin plus travel: the usual VRPTW transit.
        transit = (dist + service[:, None]).tolist()
        tcb = model.RegisterTransitMatrix(transit)
        horizon = int(tw[0, 1])
        model.AddDimension(tcb, horizon, horizon, False, "Time")
        tdim = model.GetDimensionOrDie("Time")
        for i in range(1, n):
            tdim.CumulVar(manager.NodeToIndex(i)).SetRange(int(tw[i, 0]), int(tw[i, 1]))
        for v in range(n_vehicles):
            tdim.CumulVar(model.Start(v)).SetRange(int(tw[0, 0]), horizon)
            tdim.CumulVar(model.End(v)).SetRange(int(tw[0, 0]), horizon)
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
            visits.append(manager.IndexToNode(idx))
            idx = sol.Value(model.NextVar(idx))
        if visits:
            routes.append(visits)
    return routes


# --- one run ------------------------------------------------------------------------------------


def run_task(task: Task) -> dict:
    """Run one solver on one instance; return a result row (errors become a status)."""
    path = Path(task.path)
    problem = read_problem(task.set, path)
    row = {
        "set": task.set,
        "instance": task.instance,
        "n": len(problem.stops),
        "solver": task.solver,
        "budget_s": round(task.budget_s, 3),
        "seed": task.seed,
        "workers": task.workers if task.solver.startswith("wasteopt-") else 1,
    }
    t0 = time.perf_counter()
    try:
        if task.solver.startswith("wasteopt-"):
            settings = RoutingSettings(
                engine=task.solver.split("-", 1)[1],
                time_limit_s=task.budget_s,
                seed=task.seed,
                workers=task.workers,
            )
            plan = solve(problem, settings)
            seconds = time.perf_counter() - t0
            report = plan.check if plan.check is not None else check_plan(problem, plan)
            status = plan.status
        else:
            if task.set == "kim":
                return {**row, "status": "n/a", "seconds": 0.0}
            fn = raw_pyvrp if task.solver == "pyvrp" else raw_ortools
            raw_routes = fn(task.set, path, task.budget_s, task.seed)
            seconds = time.perf_counter() - t0
            fleet = problem.fleets[0]
            routes = tuple(
                Route(
                    vehicle=f"{fleet.id}#{k + 1}",
                    fleet=fleet.id,
                    start_s=fleet.shift_start_s,
                    visits=tuple(str(i) for i in r),
                )
                for k, r in enumerate(raw_routes)
            )
            served = {v for r in routes for v in r.visits}
            plan = RoutePlan(
                problem=problem.name,
                stream=problem.stream,
                engine=task.solver,
                seed=task.seed,
                status="no_solution",
                objective=0.0,
                runtime_s=seconds,
                routes=routes,
                unserved=tuple(s.id for s in problem.stops if s.id not in served),
            )
            report = check_plan(problem, plan)
            status = plan_status(problem, plan, report)
    except Exception as exc:  # a crashing solver is a result of the benchmark, not its end
        return {
            **row,
            "status": f"error: {type(exc).__name__}: {exc}"[:200],
            "seconds": round(time.perf_counter() - t0, 2),
        }
    t = report.totals
    if status == "no_solution":
        return {**row, "status": status, "unserved": t.unserved, "seconds": round(seconds, 2)}
    return {
        **row,
        "status": status,
        "cost": round(t.cost, 3),
        "vehicles": t.vehicles,
        "trips": t.trips,
        "distance_km": round(t.distance_km, 3),
        "unserved": t.unserved,
        "seconds": round(seconds, 2),
        "check": "clean"
        if report.ok
        else f"{len(report.violations)} violations " + ",".join(sorted(report.kinds())),
    }


# --- tables -------------------------------------------------------------------------------------


def add_comparisons(rows: list[dict], bks: dict[str, dict[str, float]]) -> list[str]:
    """Add gap to BKS and cost ratio to each peer solver; return the ratio column names."""
    by_inst: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows:
        if isinstance(r.get("cost"), float | int) and r["status"] in ("feasible",):
            by_inst.setdefault((r["set"], r["instance"]), {})[r["solver"]] = float(r["cost"])
    solvers = [s for s in SOLVERS if any(r["solver"] == s for r in rows)]
    ratio_cols = [f"ratio_vs_{s}" for s in solvers]
    for r in rows:
        best = bks.get(r["set"], {}).get(r["instance"])
        cost = r.get("cost")
        ok = r["status"] == "feasible" and cost is not None
        r["bks"] = best if best is not None else ""
        r["gap_pct"] = round(100 * (cost - best) / best, 3) if ok and best else ""
        peers = by_inst.get((r["set"], r["instance"]), {})
        for s in solvers:
            other = peers.get(s)
            r[f"ratio_vs_{s}"] = round(cost / other, 4) if ok and other else ""
    return ratio_cols


def machine_line() -> str:
    import importlib.metadata as md

    vers = []
    for pkg in ("pyvrp", "ortools", "vrplib"):
        try:
            vers.append(f"{pkg} {md.version(pkg)}")
        except md.PackageNotFoundError:
            vers.append(f"{pkg} missing")
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.platform()}; CPU {cpu}, {os.cpu_count()} logical CPUs; "
        f"Python {platform.python_version()}; {', '.join(vers)}"
    )


def write_outputs(rows: list[dict], ratio_cols: list[str], out: Path, args, started: str) -> tuple:
    cols = [
        "set",
        "instance",
        "n",
        "solver",
        "status",
        "cost",
        "bks",
        "gap_pct",
        *ratio_cols,
        "vehicles",
        "trips",
        "distance_km",
        "unserved",
        "seconds",
        "budget_s",
        "seed",
        "workers",
        "check",
    ]
    base = out / args.name
    header = [
        f"date: {started} to {dt.datetime.now().isoformat(timespec='seconds')}",
        f"machine: {machine_line()}",
        f"load average (1/5/15 min) at start: {args.load_start}; at end: {_loadavg()}",
        f"options: sets={args.sets} time_scale={args.time_scale} jobs={args.jobs} "
        f"workers={args.workers} solvers={args.solvers} "
        f"seed={args.seed} instances={' '.join(args.instances or []) or 'all'}",
    ]
    import io

    buf = io.StringIO()
    for line in header:
        buf.write(f"# {line}\n")
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(base.with_suffix(".csv"), buf.getvalue())

    md_lines = [
        "# Routing benchmark",
        "",
        *[f"- {h}" for h in header],
        "",
        "Cost is the wasteopt checker's cost (distance in the set's units; Kim: miles"
        " plus fixed costs). `gap_pct` is to the stored BKS, `ratio_vs_X` is"
        " cost / cost of solver X on the same instance (feasible runs only).",
        "",
    ]
    md_cols = [c for c in cols if c not in ("budget_s", "seed", "set")]
    md_lines.append("| " + " | ".join(md_cols) + " |")
    md_lines.append("|" + "---|" * len(md_cols))
    for r in rows:
        md_lines.append("| " + " | ".join(str(r.get(c, "")) for c in md_cols) + " |")
    md_lines += [
        "",
        "## Mean gap to BKS by set and solver (feasible runs)",
        "",
        "| set | solver | runs | feasible | mean gap % |",
        "|---|---|---|---|---|",
    ]
    for s in dict.fromkeys(r["set"] for r in rows):
        for solver in SOLVERS:
            sel = [r for r in rows if r["set"] == s and r["solver"] == solver]
            if not sel:
                continue
            feas = [r for r in sel if r["status"] == "feasible"]
            gaps = [r["gap_pct"] for r in feas if r.get("gap_pct") != ""]
            mean = f"{sum(gaps) / len(gaps):.2f}" if gaps else ""
            md_lines.append(f"| {s} | {solver} | {len(sel)} | {len(feas)} | {mean} |")
    write_text(base.with_suffix(".md"), "\n".join(md_lines) + "\n")
    return base.with_suffix(".csv"), base.with_suffix(".md")


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="x,solomon,kim", help="comma list of x, solomon, kim")
    ap.add_argument(
        "--time-scale", type=float, default=1.0, help="multiply every budget (0.02 for a smoke run)"
    )
    ap.add_argument("--instances", nargs="*", help="only these instance names")
    ap.add_argument("--solvers", default=",".join(SOLVERS), help="comma list of solvers")
    ap.add_argument("--out", type=Path, default=ROOT / "results")
    ap.add_argument("--name", default="routing", help="output file stem (.csv and .md)")
    ap.add_argument("--jobs", type=int, default=1, help="parallel runs (1 keeps timing fair)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes per wasteopt run (parallel seeds/strategies); raw runs use 1",
    )
    args = ap.parse_args(argv)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    bad = [s for s in sets if s not in SETS]
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    bad += [s for s in solvers if s not in SOLVERS]
    if bad or args.time_scale <= 0 or args.jobs < 1:
        ap.error(f"unknown set/solver {bad} or bad --time-scale/--jobs")
    instances = discover(sets, args.instances)
    if not instances:
        ap.error("no instance matches")
    tasks = [
        Task(
            set=s,
            instance=p.stem,
            path=str(p),
            solver=solver,
            budget_s=SETS[s][2] * args.time_scale,
            seed=args.seed,
            workers=args.workers,
        )
        for s, p in instances
        for solver in solvers
        if not (s == "kim" and solver in ("pyvrp", "ortools"))
    ]
    started = dt.datetime.now().isoformat(timespec="seconds")
    args.load_start = _loadavg()
    total_budget = sum(t.budget_s for t in tasks)
    print(
        f"{len(tasks)} runs on {len(instances)} instances, budget {total_budget:.0f} s "
        f"({total_budget / args.jobs / 60:.1f} min with {args.jobs} job(s))",
        flush=True,
    )
    rows: list[dict] = []
    bks = {s: load_bks(s) for s in sets}

    def record(row: dict) -> tuple:
        # Rewrite the tables after every run, so an interrupted benchmark keeps what it measured.
        rows.append(row)
        _progress(row)
        ratio_cols = add_comparisons(rows, bks)
        return write_outputs(rows, ratio_cols, args.out, args, started)

    paths: tuple = ()
    if args.jobs == 1:
        for t in tasks:
            paths = record(run_task(t))
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for row in pool.map(run_task, tasks):
                paths = record(row)
    if paths:
        print(f"wrote {paths[0]} and {paths[1]}")
    return 0


def _progress(row: dict) -> None:
    print(
        f"  {row['instance']:<12} {row['solver']:<17} {row['status']:<10} "
        f"cost={row.get('cost', '')} vehicles={row.get('vehicles', '')} "
        f"{row.get('seconds', '')} s {row.get('check', '')}",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
