"""City scale: a Nanjing-like day, every stream, routed by territory at N = 1k … 20k points.

For each N of ``--sizes`` the city is built by ``scenarios/nanjing/build_city.py --points N
--seed S`` into a temporary folder (N = 20,000 with seed 1 is the committed
``scenarios/nanjing``, used as it is). Day 0 of every stream is then routed in a fresh
subprocess, exactly as ``wasteopt route`` does it: one :class:`~wasteopt.clock.Deadline` of
``--budget-per-1k`` seconds per 1,000 points (default 30 s: 600 s at 20,000, the target) made
before the scenario is loaded, ``--workers`` (default 2), the plan files and route sheets
written to a temporary output folder. Catchments (``--catchments``): ``plan`` (default) takes
the facility plan's assignment (:func:`wasteopt.pipeline.variant.plan_catchments` with at most
``FACILITY_SHARE`` of the budget, as ``route_planned_day``); ``nearest`` routes every point to
its nearest open site by road (``assignment=None``). A facility plan that fails or has no
assignment is an error in the row: the run never falls back to nearest sites on its own.

Measured per N: stops, streams, territories (from the ``routing … in K territories`` log line;
a stream routed whole counts 1), wall seconds from the deadline's start to the written output,
seconds per stage (``load``; ``facilities`` with plan catchments; ``build``, ``search``,
``repair``, ``check``, ``write`` as :func:`wasteopt.pipeline.routes.route_day` and
:func:`wasteopt.routing.territories.solve_territories` report them; the travel matrix of plan
catchments counts in ``build``), unserved stops, vehicles, cost (the checker's), checker
verdict, cost per stop. Peak memory is ``resource.getrusage`` in the child: ``rss_main_gb``
is the routing process's own peak (``RUSAGE_SELF``), ``rss_worker_gb`` the largest peak of
any finished worker process (``RUSAGE_CHILDREN``; the territory searches are forked, so the
pages they share with the main process count in both). ``rss_bound_gb`` = main + workers ×
largest worker is an upper bound of the machine's peak. ``pss_peak_gb`` is the machine's
peak as sampled: every ``PSS_EVERY_S`` the proportional set size (``psutil``: each shared
page divided among the processes that map it) summed over the job's process and all its
live descendants, the largest sum kept (a peak shorter than the interval can be missed).

Decomposition quality (``--quality-sizes``, default 1000,3000): the same
:class:`~wasteopt.routing.problem.RoutingProblem` of each stream of day 0 that splits into more
than one territory is solved (a) by ``solve_territories`` and (b) whole by
:func:`wasteopt.routing.solve.solve`, each with the stream's share (by stops) of the day's
budget and the same workers and seed, one after the other in one subprocess (``--whole-factor
F`` gives the whole solve F times the budget instead: a better-converged reference). The
table gives both costs, unserved stops and decomposed / whole − 1 (target: within 3 %); a
solve that fails, or runs past its budget by more than ``OVERRUN_S``, says so in its row.

On roads (``--roads-grid-m M``, issue 16): each city (the committed one too) is copied into
the temporary folder and put on a synthetic grid road network, streets every M metres
(``benchmarks/grid_roads.py``: ``roads.geojson`` and ``[network] roads`` in the copy), so
every travel time and km is a fastest path per vehicle profile (``wasteopt.roads``) and the
checker applies its road rule; everything else is unchanged. Reading the roads counts in
``load``; routers and snapping in ``build``; with plan catchments the points → unload sites
block in ``facilities``; each territory's blocks in ``search`` (the worker that routes the
territory computes them); the repair's legs in ``repair``; the road rule in ``check``;
drawing legs along their road paths in ``write``; writing the grid, outside the budget like
building the city, in ``city_s``.

Usage::

    python benchmarks/city_scale.py                                   # the committed table
    python benchmarks/city_scale.py --sizes 20000 --quality-sizes '' --roads-grid-m 300 \\
        --name city_scale_roads                                       # the day on roads
    python benchmarks/city_scale.py --sizes 20000 --quality-sizes '' --catchments nearest \\
        --out /tmp/city
    python benchmarks/city_scale.py --sizes 300 --quality-sizes 300 --budget-per-1k 5 \\
        --catchments nearest --out /tmp/city                          # smoke run, < 30 s

Writes ``<--name>.csv`` (rows of kind ``day``, ``stream`` and ``quality``) and ``<--name>.md``
into ``--out`` (default benchmarks/results) through the shared header of ``machine_info``,
rewritten after every run so that an interrupted benchmark keeps what it measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import resource
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil
from city_scale_tables import write_tables
from grid_roads import scenario_on_grid
from machine_info import ROOT, Run  # benchmarks/ is the script's folder; ROOT goes on the path

from wasteopt.clock import Deadline
from wasteopt.errors import WasteoptError
from wasteopt.files import OutputFolder
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.pipeline.routes import route_day
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario

NANJING = ROOT / "scenarios" / "nanjing"
COMMITTED = (20_000, 1)  # (points, seed) of the committed scenarios/nanjing
OVERRUN_S = 5.0
"""A whole-problem solve that ends this much after its budget is reported as overrunning."""
GB = 2**20  # ru_maxrss is in KiB on Linux
PSS_EVERY_S = 0.5
"""Seconds between two samples of the job's process tree's proportional set size."""
SAVE_EVERY_S = 20.0
"""A job saves what it measured this often, so a job killed at its timeout keeps it."""


# --- the parent: cities, subprocesses, tables ---------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    """``1000,3000`` → [1000, 3000]; empty text → []."""
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        msg = f"expected comma-separated integers, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if any(not 200 <= n <= 200_000 for n in sizes):
        raise argparse.ArgumentTypeError(f"build_city.py takes 200 to 200,000 points, got {text!r}")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--sizes", type=parse_sizes, default=[1000, 3000, 10000, 20000])
    p.add_argument("--quality-sizes", type=parse_sizes, default=[1000, 3000])
    p.add_argument("--catchments", choices=("plan", "nearest"), default="plan")
    p.add_argument("--budget-per-1k", type=float, default=30.0, help="seconds per 1,000 points")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--whole-factor",
        type=float,
        default=1.0,
        help="quality runs: the whole solve's budget over the decomposed one's (1: equal)",
    )
    p.add_argument("--seed", type=int, default=1, help="city seed and routing seed")
    p.add_argument(
        "--memory-limit-gb",
        type=float,
        default=10.0,
        help="address-space limit of each job process (0: none); a solve beyond it fails in "
        "its row instead of waking the machine's OOM killer",
    )
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--name", default="city_scale", help="output file stem (.csv, .md)")
    p.add_argument(
        "--roads-grid-m",
        type=float,
        default=None,
        metavar="M",
        help="route on a synthetic grid road network with streets every M metres "
        "(benchmarks/grid_roads.py) written into a copy of each city (default: no roads)",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)  # a job spec (JSON): run it, then exit
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.budget_per_1k <= 0 or args.workers < 1 or args.whole_factor <= 0:
        p.error("--budget-per-1k and --whole-factor must be > 0 and --workers >= 1")
    if args.roads_grid_m is not None and not args.roads_grid_m >= 10:
        p.error("--roads-grid-m must be at least 10 (metres between streets)")
    return args


def build_city(
    points: int, seed: int, tmp: Path, grid_m: float | None = None
) -> tuple[Path, float]:
    """The city's folder (the committed one at 20,000 points, seed 1) and its build seconds;
    with ``grid_m``, a copy of it on a grid road network (``grid_roads.scenario_on_grid``; the
    committed folder is only read), the copy and grid included in the seconds."""
    t = time.perf_counter()
    if (points, seed) == COMMITTED:
        folder = NANJING
    else:
        folder = tmp / f"nanjing-{points}"
        if not folder.exists():
            cmd = [sys.executable, str(NANJING / "build_city.py"), "--points", str(points)]
            subprocess.run(
                [*cmd, "--seed", str(seed), "--out", str(folder)], check=True, capture_output=True
            )
    if grid_m is not None:
        on_roads = tmp / f"nanjing-{points}-roads-{grid_m:g}m"
        if not on_roads.exists():
            grid = scenario_on_grid(folder, on_roads, grid_m)
            print(f"N={points}: {grid.describe()}", flush=True)
        folder = on_roads
    return folder, time.perf_counter() - t


def run_child(spec: dict[str, Any], timeout_s: float, tmp: Path) -> dict[str, Any]:
    """Run one job in a fresh interpreter (so its peak memory is its own); its result (what
    it saved so far when it died), and why it stopped early (exit code, timeout) as ``error``."""
    result = tmp / f"result-{spec['job']}-{spec['points']}.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--child", json.dumps(spec), "--result", str(result)]
    t = time.perf_counter()
    try:
        code = subprocess.run(cmd, check=False, timeout=timeout_s).returncode
        why = f"the job exited {code} after {time.perf_counter() - t:.0f} s"
    except subprocess.TimeoutExpired:
        code, why = -1, f"killed after {timeout_s:.0f} s (timeout)"
    out: dict[str, Any] = {}
    if result.exists():
        out = json.loads(result.read_text(encoding="utf-8"))
    if code != 0 or not out:
        out["error"] = f"{why} (-9: out of memory?)" if code == -9 else why
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child), args.result)
    run = Run.start(__file__, argv)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="wasteopt-city-") as tmpdir:
        tmp = Path(tmpdir)
        jobs = [("day", n) for n in args.sizes] + [("quality", n) for n in args.quality_sizes]
        for job, n in jobs:
            folder, city_s = build_city(n, args.seed, tmp, args.roads_grid_m)
            budget = args.budget_per_1k * n / 1000
            spec = {
                "job": job,
                "folder": str(folder),
                "points": n,
                "budget_s": budget,
                "workers": args.workers,
                "seed": args.seed,
                "catchments": args.catchments,
                "whole_factor": args.whole_factor,
                "memory_limit_gb": args.memory_limit_gb,
            }
            # the quality job runs two solves of the day; either may end late on a busy machine
            factor = 2 if job == "day" else 2 + args.whole_factor
            got = run_child(spec, factor * budget + 600, tmp)
            common = {"points": n, "catchments": args.catchments, "budget_s": round(budget, 1)}
            if args.roads_grid_m is not None:
                common["roads_grid_m"] = args.roads_grid_m
            if job == "day":
                day = {"kind": "day", **common, "city_s": round(city_s, 2)}
                rows.append({**day, **day_row(got, args.workers)})
                print(f"day N={n}: {summary(rows[-1])}", flush=True)
                rows += [{"kind": "stream", **common, **r} for r in got.get("stream_rows", [])]
            else:
                rows += [{"kind": "quality", **common, **r} for r in quality_rows(got)]
                print(f"quality N={n}: {summary(rows[-1])}", flush=True)
            write_tables(run, rows, args)
    print(f"wrote {args.out / args.name}.csv and .md")
    return 0


def day_row(got: dict[str, Any], workers: int) -> dict[str, Any]:
    """The child's result, stages as ``t_<stage>`` columns, without its per-stream list."""
    row = {k: v for k, v in got.items() if k not in ("stream_rows", "stages_s")}
    row.update({f"t_{k}": round(v, 2) for k, v in got.get("stages_s", {}).items()})
    if "rss_main_gb" in got:  # forked searches: at most `workers` at a time
        row["rss_bound_gb"] = round(got["rss_main_gb"] + workers * got["rss_worker_gb"], 2)
    return row


def quality_rows(got: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per compared stream, then one with the job's error if it failed."""
    rows: list[dict[str, Any]] = got.get("quality", [])
    return [*rows, {"error": got["error"]}] if "error" in got else rows


def summary(row: dict[str, Any]) -> str:
    keys = ("stream", "wall_s", "stops", "unserved", "cost_cny", "check", "gap_pct", "error")
    return " ".join(f"{k}={row[k]}" for k in keys if row.get(k) not in (None, ""))


# --- the child: one job in its own process ------------------------------------------------------


def child_main(spec: dict[str, Any], result: Path) -> int:
    """Run the job ``spec`` describes and write its result (JSON) to ``result``; an error is
    the result's ``error`` (the traceback too on stderr when it is not wasteopt's own)."""
    logging.getLogger("wasteopt").setLevel(logging.INFO)
    if spec["memory_limit_gb"] > 0:  # per process: forked workers get the same limit
        limit = int(spec["memory_limit_gb"] * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    lock = threading.Lock()

    def save() -> None:  # also after each quality row: a job that dies keeps its rows
        wall = {"wall_s": round(time.perf_counter() - t0, 2)}  # unless the job measured its own
        with lock:  # atomic: a job killed mid-write leaves the previous result
            part = result.with_suffix(".part")
            part.write_text(json.dumps({**wall, **out, **peak_rss()}), encoding="utf-8")
            part.replace(result)

    done = threading.Event()

    def keep_saving() -> None:  # a day killed at its timeout keeps the stages it finished
        while not done.wait(SAVE_EVERY_S):
            with contextlib.suppress(RuntimeError):  # a dict changed while written: next time
                save()

    saver = threading.Thread(target=keep_saving, daemon=True)
    saver.start()
    sampler = threading.Thread(target=sample_pss, args=(done,), daemon=True)
    sampler.start()
    try:
        job = day_job if spec["job"] == "day" else quality_job
        job(spec, out, save)
    except Exception as exc:  # reported in the table's row, never a silent fallback
        if not isinstance(exc, WasteoptError):
            traceback.print_exc()
        text = " ".join(str(exc).split())
        out["error"] = f"{type(exc).__name__}: {text[:300]}"
    done.set()
    saver.join()
    sampler.join()
    save()
    return 0


_PSS_PEAK = [0.0]
"""The largest PSS sum (bytes) :func:`sample_pss` has seen in this process."""


def sample_pss(done: threading.Event) -> None:
    """Until ``done``: sum the proportional set size of this process and its live descendants
    every ``PSS_EVERY_S``, keeping the largest sum in ``_PSS_PEAK``."""
    me = psutil.Process()
    while True:
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a worker that ended meanwhile
                total += proc.memory_full_info().pss
        _PSS_PEAK[0] = max(_PSS_PEAK[0], float(total))
        if done.wait(PSS_EVERY_S):
            return


def peak_rss() -> dict[str, float]:
    """Peak resident memory (GiB) of this process and of its largest finished child, and the
    largest sampled PSS sum of the process tree."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / GB
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / GB
    pss = _PSS_PEAK[0] / 2**30
    return {
        "rss_main_gb": round(own, 3),
        "rss_worker_gb": round(kids, 3),
        "pss_peak_gb": round(pss, 3),
    }


class TerritoryLog(logging.Handler):
    """Stops and territories per stream, from the ``routing <name> [<stream>]: <n> stops …``
    line that ``solve`` (one territory) and ``solve_territories`` log in this process."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.territories: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        msg = str(record.msg)
        if msg.startswith("routing %s [%s]: %d stops") and isinstance(record.args, tuple):
            stream = str(record.args[1])
            parts = record.args[3] if "territories" in msg else 1
            self.territories[stream] = int(str(parts))


def catchments(
    scenario: Scenario, spec: dict[str, Any], deadline: Deadline, times: dict[str, float]
) -> tuple[TravelMatrix | None, Any, dict[str, dict[str, str]] | None]:
    """(matrix, facility plan, assignment) of the spec's catchments: for ``plan`` the facility
    plan as ``route_planned_day`` makes it (an error when it has no assignment); for
    ``nearest`` nothing (``route_day`` builds the matrix and takes the nearest site)."""
    if spec["catchments"] == "nearest":
        return None, None, None
    from wasteopt.pipeline.variant import FACILITY_SHARE, part_of, plan_catchments

    t = time.perf_counter()
    matrix = build_matrix(scenario)
    times["build"] = time.perf_counter() - t
    t = time.perf_counter()
    fplan = plan_catchments(scenario, matrix, deadline=part_of(deadline, FACILITY_SHARE))
    times["facilities"] = time.perf_counter() - t
    if not fplan.has_plan:
        raise WasteoptError(f"facility plan {fplan.status}: no catchments to route with")
    return matrix, fplan, {s: fplan.assignment_for(s) for s in scenario.stream_ids}


def day_job(spec: dict[str, Any], out: dict[str, Any], _save: Callable[[], None]) -> None:
    """Day 0 of every stream routed within the spec's budget, output written (``route``);
    ``out`` gets the results (saved by the caller at the end)."""
    from wasteopt.facilities import write_plan

    deadline = Deadline(spec["budget_s"])  # as the CLI: made before the scenario is loaded
    t0 = time.perf_counter()
    times: dict[str, float] = {}
    out["stages_s"] = times  # filled as the run goes, so an error keeps what was measured
    scenario = load_scenario(spec["folder"])
    times["load"] = time.perf_counter() - t0
    settings = routing_settings(spec)
    terr = TerritoryLog()
    logging.getLogger("wasteopt").addHandler(terr)
    with tempfile.TemporaryDirectory(prefix="wasteopt-city-out-") as tmp:
        with OutputFolder(Path(tmp) / "out") as folder:
            matrix, fplan, assignment = catchments(scenario, spec, deadline, times)
            if fplan is not None:
                t = time.perf_counter()
                write_plan(fplan, folder.path("facilities/x").parent)
                times["write"] = time.perf_counter() - t
            plans = route_day(
                scenario,
                day=0,
                routing=settings,
                deadline=deadline,
                matrix=matrix,
                assignment=assignment,
                out=folder,
                timings=times,
            )
        out["wall_s"] = round(time.perf_counter() - t0, 2)
    out.update(day_totals(plans, terr.territories))
    out["stream_rows"] = [stream_row(p, terr.territories.get(p.stream, 1), scenario) for p in plans]


def routing_settings(spec: dict[str, Any]) -> RoutingSettings:
    return RoutingSettings(seed=spec["seed"], workers=spec["workers"])


def _stops(plan: RoutePlan) -> int:
    return 0 if plan.check is None else plan.check.totals.stops_served + len(plan.unserved)


def _violations(plans: Sequence[RoutePlan]) -> int:
    """Checker violations other than unserved stops (those have their own column)."""
    return sum(1 for p in plans if p.check for v in p.check.violations if v.kind != "unserved")


def day_totals(plans: Sequence[RoutePlan], territories: dict[str, int]) -> dict[str, Any]:
    """The day's columns summed over the streams' plans."""
    stops = sum(_stops(p) for p in plans)
    cost = sum(p.objective for p in plans)
    clean = sum(1 for p in plans if p.check is not None and p.check.ok)
    return {
        "stops": stops,
        "streams": len(plans),
        "territories": sum(territories.get(p.stream, 1) for p in plans),
        "unserved": sum(len(p.unserved) for p in plans),
        "vehicles": sum(p.check.totals.vehicles for p in plans if p.check is not None),
        "cost_cny": round(cost, 2),
        "check": f"{clean}/{len(plans)} clean",
        "violations": _violations(plans),
        "cost_per_stop": round(cost / stops, 3) if stops else None,
    }


def stream_row(plan: RoutePlan, territories: int, scenario: Scenario) -> dict[str, Any]:
    """One stream's plan: the per-stream rows of the day, with what its collection fleet
    has (vehicles, shift hours lunch included) beside what the plan uses of it: a plan that
    uses every vehicle and most of their hours while stops stay unserved is short of fleet,
    not of search."""
    fleet = [
        v for v in scenario.vehicle_types if v.stream == plan.stream and v.role == "collection"
    ]
    totals = None if plan.check is None else plan.check.totals
    return {
        "stream": plan.stream,
        "stops": _stops(plan),
        "territories": territories,
        "unserved": len(plan.unserved),
        "vehicles": None if totals is None else totals.vehicles,
        "fleet_vehicles": sum(v.count for v in fleet),
        "vehicle_h": None if totals is None else round(totals.duration_h, 1),
        "fleet_h": round(sum(v.count * (v.shift_end_s - v.shift_start_s) for v in fleet) / 3600, 1),
        "cost_cny": round(plan.objective, 2),
        "check": "clean" if plan.check is not None and plan.check.ok else plan.status,
        "violations": _violations([plan]),
        "wall_s": round(plan.runtime_s, 2),
    }


def quality_job(spec: dict[str, Any], out: dict[str, Any], save: Callable[[], None]) -> None:
    """Each multi-territory stream of day 0 solved decomposed and whole at equal budget."""
    from wasteopt.generation import generate
    from wasteopt.routing.build import build_problem
    from wasteopt.routing.territories import split

    scenario = load_scenario(spec["folder"])
    settings = routing_settings(spec)
    # the catchments only fix the day being compared: the plan is not part of either side's
    # budget, so it runs to its end (a busy machine made a 3,000-point plan miss its share)
    matrix, _, assignment = catchments(scenario, spec, Deadline(None), {})
    if matrix is None:
        matrix = build_matrix(scenario)
    demand = generate(scenario, days=1, seed=settings.seed)  # the day route_day routes
    problems = [
        build_problem(scenario, demand, 0, s, matrix, assignment=(assignment or {}).get(s))
        for s in scenario.stream_ids
        if any(v.stream == s and v.role == "collection" for v in scenario.vehicle_types)
    ]
    total = sum(len(p.stops) for p in problems)
    out["quality"] = rows = []
    for problem in problems:
        parts = len(split(problem, settings.territory_max_stops)) if problem.stops else 0
        if parts < 2:
            continue  # one territory: solve_territories is solve itself
        budget = max(1.0, spec["budget_s"] * len(problem.stops) / total)
        whole = budget * spec["whole_factor"]
        rows.append({**compare(problem, settings, budget, whole), "territories": parts})
        save()
        print(f"  quality {problem.stream}: {rows[-1]}", file=sys.stderr, flush=True)


def _timed(
    fn: Callable[[RoutingProblem, RoutingSettings, Deadline], RoutePlan],
    problem: RoutingProblem,
    settings: RoutingSettings,
    budget: float,
) -> tuple[RoutePlan | None, float, str]:
    """``fn``'s plan within ``budget`` seconds, its wall seconds, and what went wrong."""
    t = time.perf_counter()
    try:
        plan = fn(problem, settings, Deadline(budget))
    except MemoryError as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        place = f"{Path(where.filename).name}:{where.lineno} {where.name}"
        return None, time.perf_counter() - t, f"did not fit in memory (MemoryError in {place})"
    seconds = time.perf_counter() - t
    late = f"ran {seconds - budget:.1f} s past its budget" if seconds > budget + OVERRUN_S else ""
    return plan, seconds, late


def compare(
    problem: RoutingProblem, settings: RoutingSettings, budget: float, whole_budget: float
) -> dict[str, Any]:
    """One quality row: decomposed and whole plans of ``problem`` (budgets as given)."""
    from wasteopt.routing.solve import solve
    from wasteopt.routing.territories import solve_territories

    dec, dec_s, dec_note = _timed(
        lambda p, s, d: solve_territories(p, s, deadline=d), problem, settings, budget
    )
    whole, whole_s, whole_note = _timed(
        lambda p, s, d: solve(p, s, deadline=d), problem, settings, whole_budget
    )
    notes = [
        f"decomposed {dec_note}" if dec_note else "",
        f"whole {whole_note}" if whole_note else "",
    ]
    row: dict[str, Any] = {
        "stream": problem.stream,
        "stops": len(problem.stops),
        "quality_budget_s": round(budget, 1),
        "decomposed_cny": None if dec is None else round(dec.objective, 2),
        "decomposed_unserved": None if dec is None else len(dec.unserved),
        "decomposed_s": round(dec_s, 1),
        "whole_cny": None if whole is None else round(whole.objective, 2),
        "whole_unserved": None if whole is None else len(whole.unserved),
        "whole_budget_s": round(whole_budget, 1),
        "whole_s": round(whole_s, 1),
    }
    if dec is not None and whole is not None and whole.objective > 0:
        row["gap_pct"] = round(100 * (dec.objective / whole.objective - 1), 2)
        if len(dec.unserved) != len(whole.unserved):
            notes.append("unserved differ: costs not comparable")
    row["note"] = "; ".join(n for n in notes if n)
    return row


if __name__ == "__main__":
    raise SystemExit(main())
