"""The main job, stage by stage: scenario → demand → facility plan → routes → outputs.

Each stage is a plain function of the previous stages' results. :func:`run_all` runs every stage
that exists for the base scenario and each requested variant and writes one output folder:

``manifest.json``
    scenario hash, seeds, options, package versions, timings per stage.
``kpi.csv`` / ``kpi.parquet``
    one row per (variant, stream) of the routed day: vehicles, trips, km, hours, t, cost, CO2.
``<variant>/demand_t_per_day.csv``
    generated tonnes per day and stream over the horizon.
``<variant>/routes/``
    per stream: ``plan_<stream>.json`` (routes, totals, the checker's violations) and
    ``schedule_<stream>.csv`` (every visit with arrival, start, end and load), plus
    ``routes_summary.csv``.

The representative day is the day of the horizon whose total generation is closest to the
horizon's mean daily total (ties: the earliest).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wasteopt.generation import Demand, generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.reporting.files import OutputFolder, write_frame, write_json
from wasteopt.routing.plan import RoutePlan
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario

__all__ = ["RunSummary", "representative_day", "route_day", "run_all", "scenario_hash"]

log = logging.getLogger("wasteopt")


def scenario_hash(folder: str | Path) -> str:
    """SHA-256 over the names and bytes of every file in the scenario folder (sorted)."""
    h = hashlib.sha256()
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(root)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def representative_day(demand: Demand) -> int:
    """Index of the day whose total generation is closest to the mean daily total."""
    totals = np.asarray(demand.kg).sum(axis=(1, 2))
    return int(np.argmin(np.abs(totals - totals.mean())))


def route_day(
    scenario: Scenario,
    *,
    day: int,
    streams: Sequence[str] | None = None,
    engine: str = "pyvrp",
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
    demand: Demand | None = None,
    matrix: TravelMatrix | None = None,
    assignment: dict[str, dict[str, str]] | None = None,
    out: OutputFolder | None = None,
    prefix: str = "",
    progress: bool = False,
) -> list[RoutePlan]:
    """Route every stream (or ``streams``) due on ``day``; each plan carries its check.

    ``assignment`` maps stream → point → unload site (a facility plan); default: nearest open
    site. With ``out``, writes the plan files under ``prefix`` in the output folder.
    """
    from wasteopt.routing.build import build_problem
    from wasteopt.routing.solve import solve

    if demand is None:
        demand = generate(scenario, days=day + 1, seed=seed)
    if matrix is None:
        matrix = build_matrix(scenario)
    wanted = list(streams) if streams else list(scenario.stream_ids)
    routed = [
        s
        for s in wanted
        if any(v.stream == s and v.role == "collection" for v in scenario.vehicle_types)
    ]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(routed), desc="routing", unit="stream", leave=False)
    plans: list[RoutePlan] = []
    for stream in routed:
        problem = build_problem(
            scenario,
            demand,
            day,
            stream,
            matrix,
            assignment=(assignment or {}).get(stream),
        )
        if bar is not None:
            bar.set_postfix_str(f"{stream}: {len(problem.stops)} stops")
        if not problem.stops:
            log.info("no %s stops due on day %d", stream, day)
            if bar is not None:
                bar.update()
            continue
        plan = solve(
            problem, engine=engine, time_limit_s=time_limit_s, seed=seed, workers=workers
        )
        log.info("%s", plan.summary())
        plans.append(plan)
        if out is not None:
            write_json(out.path(f"{prefix}plan_{stream}.json"), plan.to_dict())
            write_frame(out.path(f"{prefix}schedule_{stream}.csv"), plan.to_frame(), bom=True)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    if out is not None and plans:
        write_frame(out.path(f"{prefix}routes_summary.csv"), routes_summary(plans), bom=True)
    return plans


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


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """What :func:`run_all` did: ``ok`` when every written plan passed its check."""

    out_dir: str
    ok: bool
    kpi: pd.DataFrame
    timings_s: dict[str, float] = field(default_factory=dict)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("wasteopt", "numpy", "pandas", "pyvrp", "ortools", "pyomo", "highspy", "simpy"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def run_all(
    scenario_folder: str | Path,
    *,
    out_dir: str | Path,
    variants: Sequence[str] = (),
    days: int = 28,
    day: int | None = None,
    engine: str = "pyvrp",
    time_limit_s: float = 20.0,
    seed: int = 0,
    workers: int = 1,
    echo: Callable[[str], None] = lambda _s: None,
) -> RunSummary:
    """Run every stage for the base scenario and each variant; write one output folder."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    base = load_scenario(scenario_folder)
    for v in variants:  # fail early, before any work, on an unknown variant
        load_scenario(scenario_folder, variant=v)
    timings["load"] = time.perf_counter() - t0
    echo(f"scenario {base.id} ({base.name}): {len(base.points)} points; variants: "
         f"{', '.join(['base', *variants])}")

    kpi_rows: list[pd.DataFrame] = []
    ok = True
    with OutputFolder(out_dir) as out:
        for variant in ["base", *variants]:
            scenario = (
                base if variant == "base" else load_scenario(scenario_folder, variant=variant)
            )
            t = time.perf_counter()
            matrix = build_matrix(scenario)
            timings[f"{variant}/network"] = time.perf_counter() - t

            t = time.perf_counter()
            demand = generate(scenario, days=days, seed=seed)
            totals = demand.totals_t_per_day()
            write_frame(out.path(f"{variant}/demand_t_per_day.csv"), totals.reset_index())
            timings[f"{variant}/generation"] = time.perf_counter() - t
            echo(f"[{variant}] generated {days} days: mean "
                 f"{totals.sum(axis=1).mean():.1f} t/day")

            routed_day = representative_day(demand) if day is None else day
            if routed_day >= days:
                demand = generate(scenario, days=routed_day + 1, seed=seed)
            t = time.perf_counter()
            plans = route_day(
                scenario,
                day=routed_day,
                engine=engine,
                time_limit_s=time_limit_s,
                seed=seed,
                workers=workers,
                demand=demand,
                matrix=matrix,
                out=out,
                prefix=f"{variant}/routes/",
                progress=True,
            )
            timings[f"{variant}/routing"] = time.perf_counter() - t
            for p in plans:
                echo(f"[{variant}] day {routed_day}: {p.summary()}")
                ok = ok and p.check is not None and p.check.ok
            frame = routes_summary(plans)
            frame.insert(0, "day", routed_day)
            frame.insert(0, "variant", variant)
            kpi_rows.append(frame)

        kpi = pd.concat(kpi_rows, ignore_index=True) if kpi_rows else pd.DataFrame()
        write_frame(out.path("kpi.csv"), kpi, bom=True)
        write_frame(out.path("kpi.parquet"), kpi)
        timings["total"] = time.perf_counter() - t0
        write_json(
            out.path("manifest.json"),
            {
                "scenario": str(scenario_folder),
                "scenario_id": base.id,
                "scenario_sha256": scenario_hash(scenario_folder),
                "variants": ["base", *variants],
                "seed": seed,
                "days": days,
                "engine": engine,
                "time_limit_s": time_limit_s,
                "workers": workers,
                "versions": _versions(),
                "machine": {"platform": platform.platform(), "processor": platform.processor()},
                "timings_s": {k: round(v, 3) for k, v in timings.items()},
                "all_plans_checker_clean": ok,
            },
        )
    echo(f"wrote {out_dir} in {timings['total']:.1f} s")
    return RunSummary(out_dir=str(out_dir), ok=ok, kpi=kpi, timings_s=timings)
