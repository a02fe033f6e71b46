"""Routing one day (the ``route`` command): every stream due that day, solved and checked, with its
plan files and route sheets; and the summary row of each plan."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pandas as pd
from tqdm import tqdm

from wasteopt.clock import Deadline
from wasteopt.coordinates import Crs
from wasteopt.files import OutputFolder, write_frame, write_json
from wasteopt.generation import Demand, generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.operations import MIN_SOLVE_S
from wasteopt.reporting.sheets import write_route_sheets
from wasteopt.routing.build import build_problem
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.territories import Runner, solve_territories, tables_ahead
from wasteopt.scenario.model import Scenario

__all__ = ["progress_bar", "route_day", "routes_summary", "write_plan_files"]

log = logging.getLogger("wasteopt")

DEFAULT_ROUTING = RoutingSettings()
WRITE_S_PER_STREAM = 2.0
WRITE_S_PER_STOP = 1.8e-3
"""Time kept for writing plan files and route sheets (measured on this project's 2-core
machine, 3,000-point Nanjing-like city: about 1.7 ms of CPU per stop for every sheet file,
the CSV, the XLSX and PDF forms, GeoJSON and vehicle maps, and 1.3 s per stream, most of it
loading the CJK font into two PDFs; streams are written two at a time. The whole 20,000-point
day took 61 s to write, 75.5 s with every leg drawn along its road path, against 92.7 s kept);
it comes off the search budget when a deadline and an output are given."""


def progress_bar(total: int | None, desc: str, unit: str) -> tqdm[Any]:
    """A transient terminal progress bar (the CLI asks for them; the library never does)."""
    return tqdm(total=total, desc=desc, unit=unit, leave=False, disable=None)  # TTY only


def route_day(
    scenario: Scenario,
    *,
    day: int,
    streams: Sequence[str] | None = None,
    routing: RoutingSettings = DEFAULT_ROUTING,
    deadline: Deadline | None = None,
    demand: Demand | None = None,
    matrix: TravelMatrix | None = None,
    assignment: dict[str, dict[str, str]] | None = None,
    out: OutputFolder | None = None,
    prefix: str = "",
    progress: bool = False,
    timings: dict[str, float] | None = None,
    runner: Runner | None = None,
    crs: Crs = "wgs84",
) -> list[RoutePlan]:
    """Route every stream (or ``streams``) due on ``day``; each plan carries its check.

    ``assignment`` maps stream → point → unload site (a facility plan); default: nearest open
    site. Demand is generated with ``routing.seed``. With ``deadline``, each solve gets its
    stops' share of what is left (module docstring); without, ``routing.time_limit_s`` each.
    With ``out``, writes the plan files and route sheets under ``prefix``. ``timings`` (when
    given) gains the seconds of each stage: ``build``, ``search``, ``repair``, ``check``,
    ``write``. ``runner``: where territories run and where finished ones are kept
    (default: a local pool of ``routing.workers`` processes, no store). ``crs``: the
    coordinate system of the GeoJSON layers and vehicle maps (:mod:`wasteopt.coordinates`).
    """
    t0 = time.perf_counter()
    if demand is None:
        demand = generate(scenario, days=day + 1, seed=routing.seed)
    if matrix is None:
        matrix = build_matrix(scenario)
    wanted = list(streams) if streams else list(scenario.stream_ids)
    problems = [
        build_problem(scenario, demand, day, s, matrix, assignment=(assignment or {}).get(s))
        for s in wanted
        if any(v.stream == s and v.role == "collection" for v in scenario.vehicle_types)
    ]
    if timings is not None:
        timings["build"] = timings.get("build", 0.0) + time.perf_counter() - t0
    pending = sum(len(p.stops) for p in problems)
    if deadline is not None and out is not None:  # keep time to write what is routed
        reserve = WRITE_S_PER_STREAM * len(problems) + WRITE_S_PER_STOP * pending
        deadline = deadline.sub(max(0.0, deadline.remaining() - reserve))
    if deadline is not None:  # on roads: every stream's tables first, then shares of the rest
        t_tables = time.perf_counter()
        tables_ahead(problems, routing, runner=runner)
        if timings is not None:
            timings["search"] = timings.get("search", 0.0) + time.perf_counter() - t_tables
    bar = progress_bar(len(problems), "routing", "stream") if progress else None
    done: list[tuple[RoutingProblem, RoutePlan]] = []
    for problem in problems:
        if bar is not None:
            bar.set_postfix_str(f"{problem.stream}: {len(problem.stops)} stops")
        if problem.stops:
            budget = None
            if deadline is not None:  # the floor may overrun the command's budget, by design
                share = deadline.share(len(problem.stops) / pending, floor_s=MIN_SOLVE_S)
                budget = Deadline(share)
            pending -= len(problem.stops)
            plan = solve_territories(
                problem, routing, deadline=budget, timings=timings, runner=runner
            )
            log.info("%s", plan.summary())
            done.append((problem, plan))
        else:
            log.info("no %s stops due on day %d", problem.stream, day)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    plans = [plan for _, plan in done]
    if out is not None and plans:
        t_write = time.perf_counter()
        _write_all(out, prefix, scenario, done, routing.workers, crs)
        write_frame(out.path(f"{prefix}routes_summary.csv"), routes_summary(plans), bom=True)
        if timings is not None:
            timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t_write
    return plans


def _write_all(
    out: OutputFolder,
    prefix: str,
    scenario: Scenario,
    done: Sequence[tuple[RoutingProblem, RoutePlan]],
    workers: int,
    crs: Crs = "wgs84",
) -> None:
    """Every stream's plan files and sheets; in ``workers`` forked processes when there are
    several streams (each writes its own files into the staging folder)."""
    lanes = min(workers, len(done))
    if lanes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for problem, plan in done:
            write_plan_files(out, prefix, scenario, problem, plan, crs=crs)
        return
    ctx = multiprocessing.get_context("fork")  # the scenario and plans are not pickled again
    with ProcessPoolExecutor(max_workers=lanes, mp_context=ctx) as pool:
        jobs = [
            pool.submit(write_plan_files, out, prefix, scenario, problem, plan, crs=crs)
            for problem, plan in sorted(done, key=lambda d: -len(d[0].stops))
        ]
        for job in jobs:
            job.result()


def write_plan_files(
    out: OutputFolder,
    prefix: str,
    scenario: Scenario,
    problem: RoutingProblem,
    plan: RoutePlan,
    *,
    crs: Crs = "wgs84",
) -> None:
    """``plan_<stream>.json`` (with the ``fill_margin`` the trips were planned to),
    ``schedule_<stream>.csv`` and the route sheets under ``prefix`` (GeoJSON and vehicle maps
    in the coordinate system ``crs``)."""
    record = {**plan.to_dict(), "fill_margin": scenario.planning.fill_margin}
    write_json(out.path(f"{prefix}plan_{plan.stream}.json"), record)
    write_frame(out.path(f"{prefix}schedule_{plan.stream}.csv"), plan.to_frame(), bom=True)
    if plan.routes:
        write_route_sheets(plan, problem, scenario, out.path(f"{prefix}sheets/x").parent, crs=crs)


def routes_summary(plans: Sequence[RoutePlan]) -> pd.DataFrame:
    """One row per plan: the checker's totals and verdict."""
    rows = []
    for p in plans:
        t = p.check.totals if p.check is not None else None
        rows.append(
            {
                "stream": p.stream,
                "engine": p.engine,
                "status": p.status,
                "check_ok": bool(p.check is not None and p.check.ok),
                "violations": 0 if p.check is None else len(p.check.violations),
                "unserved": len(p.unserved),
                "vehicles": None if t is None else t.vehicles,
                "trips": None if t is None else t.trips,
                "stops": None if t is None else t.stops_served,
                "t_collected": None if t is None else t.load_kg / 1000.0,
                "km": None if t is None else t.distance_km,
                "hours": None if t is None else t.duration_h,
                "cost_cny": p.objective,
                "co2_kg": None if t is None else t.co2_kg,
                "runtime_s": p.runtime_s,
            }
        )
    return pd.DataFrame(rows)
