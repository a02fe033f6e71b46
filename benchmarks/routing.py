"""Routing benchmark: wasteopt's engines against raw PyVRP and raw OR-Tools at equal compute.

Sets (data under ``benchmarks/data/``, each folder with its README and ``bks.csv``):

* ``x``: the CVRPLIB X instances with at most 400 customers that the project stores (6:
  X-n101-k25 … X-n401-k29); 60 s per run; distances nint per edge. No other X instance is
  installed with any package here and nothing is downloaded at run time, so the tables state
  this subset.
* ``solomon``: all 56 Solomon VRPTW instances, 30 s per run; DIMACS (truncate to 0.1).
* ``kim``: the ten Kim, Kim & Sahoo (2006) waste-collection instances, 6 s per 100 stops (the
  same total as the former 60 s each, shared out by size: 6 s for 102_stop, 126 s for
  2100_stop); no BKS is stored (see the folder README) and no raw baseline reads the format,
  so only wasteopt runs, under both objectives (``--kim-objectives``): ``distance`` and the
  literature's ``vehicles_then_distance`` (see :mod:`wasteopt.routing.kim`). Every Kim plan is
  re-checked in exact (unrounded) travel times; any late arrival is counted in ``exact_late``.
* ``jintan``: one day of the shipped Jintan scenario per stream (the representative day of
  28 generated days, seed 0; catchments from the scenario's facility plan), 20 s per run:
  wasteopt only; it shows that the time limit holds on the project's own problems.

Solvers (``--solvers``). Equal compute: every run of ``wasteopt-pyvrp``, ``wasteopt-ortools``,
``pyvrp`` and ``ortools`` gets the same wall clock, one process and one search (workers=1) and
the same seed. ``wasteopt-pyvrp-default`` / ``wasteopt-ortools-default`` are wasteopt with the
CLI's default ``--workers`` (``wasteopt solve-instance``'s parser: 2 on this 2-core machine,
parallel searches, best kept), the same wall clock and seed: the "default settings" rows. The
raw baselines' default settings are their equal-compute rows (one search).

* ``wasteopt-*``: ``wasteopt.routing.territories.solve_territories``, the entry ``wasteopt
  route`` and ``run`` use, on the problem from ``wasteopt.routing.instances`` (for X, Solomon
  and Kim it is ``wasteopt.routing.solve.solve`` itself; Jintan catchments above the territory
  size are routed as territories); the plan is graded by the independent checker.
* ``pyvrp`` / ``ortools``: :mod:`routing_raw`; their routes go through the same checker, so
  every cost in the tables is measured the same way.

Budgets: the set's own (above), or ``--budget S`` seconds per run, or ``--budget-per-100 S``
seconds per 100 customers (grows with the instance; at least 1 s); ``--time-scale`` multiplies
whichever applies (smoke runs). Seeds: ``--seeds 1,2,3`` runs everything once per seed; the
tables give the median and the spread (min–max) over seeds.

Usage::

    python benchmarks/routing.py --sets x --seeds 1,2,3 --name routing-x
    python benchmarks/routing.py --sets kim --instances 102_stop --time-scale 0.05 --out /tmp/b

Writes ``<--name>.csv`` (one row per run) and ``<--name>.md`` (summary, per-instance medians)
into ``--out`` (default benchmarks/results), both through the shared header of
``machine_info``; they are rewritten after every run, so an interrupted benchmark keeps what
it measured. ``--jobs N`` runs N solver runs in parallel processes: only for workers=1 runs on
an otherwise idle machine with at least N cores (default-settings rows need ``--jobs 1``).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from machine_info import Run  # benchmarks/ is the script's folder; it also puts ROOT on the path
from routing_raw import raw_ortools, raw_pyvrp
from routing_tables import load_bks, write_tables

from wasteopt.cli import _parser as cli_parser
from wasteopt.routing.check import check_plan
from wasteopt.routing.instances import (
    kim_exact_durations,
    late_in_exact_time,
    read_kim,
    read_solomon,
    read_vrplib,
)
from wasteopt.routing.kim import KimObjective
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import plan_status
from wasteopt.routing.territories import solve_territories

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"


@dataclass(frozen=True, slots=True)
class BenchSet:
    """Where a set's instances are and its default budget (fixed, or per 100 customers)."""

    folder: str
    pattern: str
    budget_s: float | None
    budget_per_100_s: float | None


SETS: dict[str, BenchSet] = {
    "x": BenchSet("cvrp_x", "*.vrp", 60.0, None),
    "solomon": BenchSet("vrptw_solomon", "*.txt", 30.0, None),
    "kim": BenchSet("wcvrptw_kim2006", "*_stop.txt", None, 6.0),
    "jintan": BenchSet("", "", 20.0, None),
}
MAX_X_CUSTOMERS = 400
KIM_OBJECTIVES: tuple[KimObjective, ...] = ("distance", "vehicles_then_distance")
JINTAN_DAYS, JINTAN_SEED = 28, 0
# solver → (wasteopt's engine or None for a raw baseline, workers or None for the CLI default)
SOLVERS: dict[str, tuple[str | None, int | None]] = {
    "wasteopt-pyvrp": ("pyvrp", 1),
    "wasteopt-pyvrp-default": ("pyvrp", None),
    "pyvrp": (None, 1),
    "wasteopt-ortools": ("ortools", 1),
    "wasteopt-ortools-default": ("ortools", None),
    "ortools": (None, 1),
}
RAW_SETS = ("x", "solomon")  # the sets the raw baselines can read


def cli_default_workers() -> int:
    """``--workers`` as ``wasteopt solve-instance`` defaults it on this machine."""
    args = cli_parser().parse_args(["solve-instance", "instance", "--format", "vrplib"])
    return int(args.workers)


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """One solver run on one instance with one seed."""

    set: str
    instance: str
    path: str
    n: int
    solver: str
    objective: str
    budget_s: float
    seed: int
    workers: int


# --- instances ----------------------------------------------------------------------------------


def _natural(path: Path) -> tuple[object, ...]:
    digits = "".join(c if c.isdigit() else " " for c in path.stem).split()
    return (path.stem.rstrip("0123456789_stop"), *[int(d) for d in digits])


def discover(sets: list[str], names: list[str] | None) -> list[tuple[str, str, Path]]:
    """(set, instance, path) of every instance of ``sets`` (only ``names`` when given)."""
    found = []
    for s in sets:
        if s == "jintan":
            found += [("jintan", stream, DATA) for stream in jintan_problems()]
            continue
        spec = SETS[s]
        for path in sorted((DATA / spec.folder).glob(spec.pattern), key=_natural):
            if s == "x" and int(path.stem.split("-")[1][1:]) - 1 > MAX_X_CUSTOMERS:
                continue
            found.append((s, path.stem, path))
    return [f for f in found if not names or f[1] in names]


@functools.cache
def jintan_problems() -> dict[str, RoutingProblem]:
    """One routing problem per collected stream: the representative day of the shipped
    scenario, catchments from its facility plan (as ``wasteopt route`` builds them)."""
    from wasteopt.generation import generate
    from wasteopt.network import build_matrix
    from wasteopt.pipeline.variant import plan_catchments, representative_day
    from wasteopt.routing.build import build_problem
    from wasteopt.scenario import load_scenario

    sc = load_scenario(ROOT.parent / "scenarios" / "jintan")
    matrix = build_matrix(sc)
    fplan = plan_catchments(sc, matrix)
    demand = generate(sc, days=JINTAN_DAYS, seed=JINTAN_SEED)
    day = representative_day(demand)
    out = {}
    for stream in sc.stream_ids:
        if not any(v.stream == stream and v.role == "collection" for v in sc.vehicle_types):
            continue
        assignment = fplan.assignment_for(stream) if fplan.has_plan else None
        problem = build_problem(sc, demand, day, stream, matrix, assignment=assignment)
        if problem.stops:
            out[stream] = replace(problem, name=f"jintan-day{day}-{stream}")
    return out


def read_problem(set_name: str, instance: str, path: Path, objective: str) -> RoutingProblem:
    """The instance as wasteopt reads it (Kim: under ``objective``)."""
    if set_name == "x":
        return read_vrplib(path, rounding="round")
    if set_name == "solomon":
        return read_solomon(path)
    if set_name == "kim":
        kim_objective: KimObjective = (
            "vehicles_then_distance" if objective == "vehicles_then_distance" else "distance"
        )
        return read_kim(path, objective=kim_objective)
    return jintan_problems()[instance]


# --- one run ------------------------------------------------------------------------------------


def _raw_plan(task: Task, problem: RoutingProblem) -> tuple[RoutePlan, float]:
    """Run a raw baseline and turn its node lists into a plan of ``problem``'s fleet."""
    fn = raw_pyvrp if task.solver == "pyvrp" else raw_ortools
    t0 = time.perf_counter()
    raw_routes = fn(task.set, Path(task.path), task.budget_s, task.seed)
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
    return replace(plan, status=plan_status(problem, plan, report), check=report), seconds


def _wasteopt_plan(task: Task, problem: RoutingProblem) -> tuple[RoutePlan, float]:
    engine = SOLVERS[task.solver][0]
    assert engine is not None
    settings = RoutingSettings(
        engine=engine, time_limit_s=task.budget_s, seed=task.seed, workers=task.workers
    )
    t0 = time.perf_counter()
    plan = solve_territories(problem, settings)
    seconds = time.perf_counter() - t0
    if plan.check is None:
        plan = replace(plan, check=check_plan(problem, plan))
    return plan, seconds


def run_task(task: Task) -> dict[str, Any]:
    """Run one solver on one instance; return a result row (errors become a status)."""
    row: dict[str, Any] = {
        "set": task.set,
        "instance": task.instance,
        "n": task.n,
        "objective": task.objective,
        "solver": task.solver,
        "workers": task.workers,
        "seed": task.seed,
        "budget_s": round(task.budget_s, 3),
    }
    t0 = time.perf_counter()
    try:
        problem = read_problem(task.set, task.instance, Path(task.path), task.objective)
        raw = SOLVERS[task.solver][0] is None
        plan, seconds = (_raw_plan if raw else _wasteopt_plan)(task, problem)
    except Exception as exc:  # a crashing solver is a result of the benchmark, not its end
        return {
            **row,
            "status": f"error: {type(exc).__name__}: {exc}"[:200],
            "seconds": round(time.perf_counter() - t0, 2),
        }
    row["seconds"] = round(seconds, 2)
    report = plan.check
    assert report is not None
    t = report.totals
    if plan.status == "no_solution":
        return {**row, "status": plan.status, "unserved": t.unserved}
    fixed = problem.fleets[0].fixed_cost
    row |= {
        "status": plan.status,
        "cost": round(t.cost, 3),
        # the set's distance unit (X, Solomon: the instance's; Kim: miles); Jintan: km
        "distance": round(t.distance_km if task.set == "jintan" else t.distance_cost, 3),
        "vehicles": t.vehicles,
        "vehicle_weight": fixed if task.objective == "vehicles_then_distance" else "",
        "trips": t.trips,
        "km": round(t.distance_km, 3),
        "unserved": t.unserved,
        "check": "clean"
        if report.ok
        else f"{len(report.violations)} violations " + ",".join(sorted(report.kinds())),
    }
    if task.set == "kim":
        late = late_in_exact_time(problem, plan, kim_exact_durations(task.path))
        row["exact_late"] = len(late)
        row["exact_max_late_s"] = round(max((v.late_s for v in late), default=0.0), 3)
    return row


# --- the run ------------------------------------------------------------------------------------


def budget_for(set_name: str, n: int, args: argparse.Namespace) -> float:
    """Seconds for one run: --budget-per-100, else --budget, else the set's default; scaled."""
    spec = SETS[set_name]
    if args.budget_per_100 is not None:
        base = max(1.0, args.budget_per_100 * n / 100)
    elif args.budget is not None:
        base = args.budget
    elif spec.budget_per_100_s is not None:
        base = max(1.0, spec.budget_per_100_s * n / 100)
    else:
        assert spec.budget_s is not None
        base = spec.budget_s
    return float(base * args.time_scale)


def make_tasks(args: argparse.Namespace, sets: list[str], solvers: list[str]) -> list[Task]:
    """Every (instance, objective, solver, seed) run, solvers that cannot read a set left out."""
    default_workers = cli_default_workers()
    tasks = []
    for s, instance, path in discover(sets, args.instances):
        n = len(read_problem(s, instance, path, "distance").stops)
        objectives = args.kim_objectives if s == "kim" else ["distance"]
        for objective in objectives:
            for solver in solvers:
                engine, workers = SOLVERS[solver]
                if engine is None and s not in RAW_SETS:
                    continue
                for seed in args.seeds:
                    tasks.append(
                        Task(
                            set=s,
                            instance=instance,
                            path=str(path),
                            n=n,
                            solver=solver,
                            objective=objective,
                            budget_s=budget_for(s, n, args),
                            seed=seed,
                            workers=default_workers if workers is None else workers,
                        )
                    )
    return tasks


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sets", default="x,solomon,kim", help="comma list of " + ", ".join(SETS))
    ap.add_argument("--instances", nargs="*", help="only these instance names (Jintan: streams)")
    ap.add_argument(
        "--solvers", default="wasteopt-pyvrp,wasteopt-pyvrp-default,pyvrp", help="comma list"
    )
    ap.add_argument("--seeds", default="1", help="comma list of seeds, e.g. 1,2,3")
    ap.add_argument("--budget", type=float, help="seconds per run (instead of the set's)")
    ap.add_argument("--budget-per-100", type=float, help="seconds per run per 100 customers")
    ap.add_argument("--time-scale", type=float, default=1.0, help="multiply every budget")
    ap.add_argument(
        "--kim-objectives", default=",".join(KIM_OBJECTIVES), help="comma list for set kim"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "results")
    ap.add_argument("--name", default="routing", help="output file stem (.csv and .md)")
    ap.add_argument("--jobs", type=int, default=1, help="parallel runs (see the docstring)")
    args = ap.parse_args(argv)
    args.sets = _csv_list(args.sets)
    args.solvers = _csv_list(args.solvers)
    args.kim_objectives = _csv_list(args.kim_objectives)
    try:
        args.seeds = [int(s) for s in _csv_list(args.seeds)]
    except ValueError:
        ap.error(f"--seeds: not a comma list of integers: {args.seeds!r}")
    bad = [s for s in args.sets if s not in SETS]
    bad += [s for s in args.solvers if s not in SOLVERS]
    bad += [o for o in args.kim_objectives if o not in KIM_OBJECTIVES]
    if bad:
        ap.error(f"unknown set, solver or Kim objective: {', '.join(bad)}")
    budgets = (args.budget, args.budget_per_100)
    if args.time_scale <= 0 or args.jobs < 1 or any(b is not None and b <= 0 for b in budgets):
        ap.error("--time-scale, --budget and --budget-per-100 must be > 0 and --jobs >= 1")
    if not args.seeds:
        ap.error("--seeds: give at least one seed")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    run = Run.start(__file__, argv)
    tasks = make_tasks(args, args.sets, args.solvers)
    if not tasks:
        print("no run matches the sets, instances and solvers given", file=sys.stderr)
        return 2
    total = sum(t.budget_s for t in tasks)
    print(
        f"{len(tasks)} runs, budget {total:.0f} s ({total / args.jobs / 60:.1f} min with "
        f"{args.jobs} job(s))",
        flush=True,
    )
    bks = {s: load_bks(DATA, s) for s in args.sets}
    rows: list[dict[str, Any]] = []

    def record(row: dict[str, Any]) -> None:
        rows.append(row)
        _progress(row)
        write_tables(run, rows, bks, args)

    if args.jobs == 1:
        for t in tasks:
            record(run_task(t))
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for row in pool.map(run_task, tasks):
                record(row)
    print(f"wrote {args.out / args.name}.csv and .md")
    return 0


def _progress(row: dict[str, Any]) -> None:
    print(
        f"  {row['instance']:<12} {row['objective'][:8]:<8} {row['solver']:<24} "
        f"seed {row['seed']:<3} {row['status']:<10} cost={row.get('cost', '')} "
        f"vehicles={row.get('vehicles', '')} {row.get('seconds', '')} s {row.get('check', '')}",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
