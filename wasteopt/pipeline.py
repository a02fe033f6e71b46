"""The main job, stage by stage: scenario → demand → facility plan → routes → simulation → report.

Each stage is a plain function of the previous stages' results. :func:`run_variant` runs every
stage for one scenario variant and returns a :class:`VariantRun`; :func:`write_variant` writes it;
:func:`run_all` does both for the base scenario and each variant and adds the comparison, the
HTML report and the manifest. Output folder::

    manifest.json            scenario hash, seeds, options, package versions, timings per stage
    kpi.csv / kpi.parquet    one row per variant: cost per tonne, truck-km, CO2, utilisation, waits
    routes_kpi.csv           one row per (variant, stream) of the routed day
    report.html              self-contained report (tables and plots inline)
    <variant>/demand_t_per_day.csv
    <variant>/facilities/    assignments, utilisation, flows, costs of the facility plan
    <variant>/routes/        plan_<stream>.json (routes + the checker's verdict),
                             schedule_<stream>.csv, routes_summary.csv
    <variant>/routes/sheets/ route sheets per stream: CSV (UTF-8 BOM), XLSX, PDF, GeoJSON
    <variant>/simulation/    sim_daily, sim_facilities, sim_balance, ... (CSV)
    <variant>/plots/         routes map, utilisation, daily KPIs, queue waits (PNG + SVG)
    plots/catchments_<variant>.png|svg   station catchments, base vs variant

The facility plan is solved in ``status_quo`` mode: every existing station stays open and no
candidate is built unless the variant forces it, so each variant is evaluated as specified.
The routed day is the day whose total generation is closest to the horizon's mean (ties: the
earliest); the simulation runs over the whole generated horizon.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wasteopt.files import OutputFolder, content_hash, write_frame, write_json
from wasteopt.generation import Demand, expected_rates_kg_per_day, generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.routing.plan import RoutePlan
from wasteopt.scenario import apply_variant, load_scenario
from wasteopt.scenario.model import Scenario

__all__ = [
    "Operations",
    "RunSummary",
    "VariantRun",
    "plan_operations",
    "replication_kpis",
    "representative_day",
    "route_day",
    "routes_summary",
    "run_all",
    "run_variant",
    "variant_kpis",
    "write_variant",
]

log = logging.getLogger("wasteopt")

Echo = Callable[[str], None]


def representative_day(demand: Demand) -> int:
    """Index of the day whose total generation is closest to the mean daily total."""
    totals = np.asarray(demand.kg).sum(axis=(1, 2))
    return int(np.argmin(np.abs(totals - totals.mean())))


# --------------------------------------------------------------------------------------------
# routing one day (the `route` command)


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
    site. With ``out``, writes the plan files and route sheets under ``prefix``.
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
    bar = _bar(len(routed), "routing", "stream") if progress else None
    plans: list[RoutePlan] = []
    for stream in routed:
        problem = build_problem(
            scenario, demand, day, stream, matrix, assignment=(assignment or {}).get(stream)
        )
        if bar is not None:
            bar.set_postfix_str(f"{stream}: {len(problem.stops)} stops")
        if problem.stops:
            plan = solve(
                problem, engine=engine, time_limit_s=time_limit_s, seed=seed, workers=workers
            )
            log.info("%s", plan.summary())
            plans.append(plan)
            if out is not None:
                _write_plan_files(out, prefix, scenario, problem, plan)
        else:
            log.info("no %s stops due on day %d", stream, day)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    if out is not None and plans:
        write_frame(out.path(f"{prefix}routes_summary.csv"), routes_summary(plans), bom=True)
    return plans


def _write_plan_files(out: OutputFolder, prefix: str, scenario: Scenario, problem, plan) -> None:
    from wasteopt.reporting.sheets import write_route_sheets

    write_json(out.path(f"{prefix}plan_{plan.stream}.json"), plan.to_dict())
    write_frame(out.path(f"{prefix}schedule_{plan.stream}.csv"), plan.to_frame(), bom=True)
    if plan.routes:
        write_route_sheets(plan, problem, scenario, out.path(f"{prefix}sheets/x").parent)


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


# --------------------------------------------------------------------------------------------
# one variant, every stage


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantRun:
    """Everything one variant produced. ``routed_day`` indexes ``demand``."""

    variant: str
    scenario: Scenario
    demand: Demand
    routed_day: int
    facility_plan: Any  # wasteopt.facilities.FacilityPlan
    operating: Any  # wasteopt.simulation.OperatingPlan
    simulation: Any  # wasteopt.simulation.SimulationResult
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def plans(self) -> list[RoutePlan]:
        """The route plans of the routed day, one per stream."""
        return [
            self.operating.plans[s] for s in self.scenario.stream_ids if s in self.operating.plans
        ]

    @property
    def ok(self) -> bool:
        """Every plan of every cycle day passed its check and the mass balance closed."""
        clean = all(
            p.check is not None and p.check.ok
            for s in self.operating.cycle_plans
            for p in self.operating.distinct_plans(s)
        )
        return clean and self.simulation.balance_closes


@dataclass(frozen=True, slots=True, kw_only=True)
class Operations:
    """What the planning stages produce for one scenario: the inputs a simulation executes."""

    matrix: TravelMatrix
    demand: Demand
    routed_day: int
    facility_plan: Any  # wasteopt.facilities.FacilityPlan
    operating: Any  # wasteopt.simulation.OperatingPlan
    timings_s: dict[str, float] = field(default_factory=dict)


def plan_operations(
    scenario: Scenario,
    *,
    days: int = 28,
    day: int | None = None,
    engine: str = "pyvrp",
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
    facility_time_limit_s: float = 60.0,
    matrix: TravelMatrix | None = None,
    echo: Echo = lambda _s: None,
    progress: bool = False,
) -> Operations:
    """Generation → facility plan (``status_quo``) → routes for every day of each collection
    cycle, routed from ``day`` (default: the representative day)."""
    from wasteopt.facilities import plan_facilities
    from wasteopt.simulation import build_operating_plan

    v = scenario.variant
    timings: dict[str, float] = {}
    t = time.perf_counter()
    matrix = build_matrix(scenario) if matrix is None else matrix
    timings["network"] = time.perf_counter() - t

    t = time.perf_counter()
    demand = generate(scenario, days=days, seed=seed)
    routed_day = representative_day(demand) if day is None else day
    if routed_day >= days:
        raise ValueError(f"day {routed_day} is outside the {days}-day horizon")
    timings["generation"] = time.perf_counter() - t
    echo(
        f"[{v}] demand: {days} days from {demand.dates[0]}, mean "
        f"{demand.totals_t_per_day().sum(axis=1).mean():.1f} t/day; routed day {routed_day}"
    )

    t = time.perf_counter()
    fplan = plan_facilities(
        scenario,
        expected_rates_kg_per_day(scenario),
        matrix,
        mode="status_quo",
        time_limit_s=facility_time_limit_s,
    )
    timings["facilities"] = time.perf_counter() - t
    echo(
        f"[{v}] facility plan: {fplan.status}, {fplan.objective:,.0f} CNY/yr, "
        f"{len(fplan.open_stations)} stations open ({timings['facilities']:.1f} s)"
    )

    t = time.perf_counter()
    bar = _bar(None, f"[{v}] routing", "plan") if progress else None

    def tick(done: int, total: int, plan: RoutePlan) -> None:
        if bar is not None:
            bar.total = total
            bar.set_postfix_str(f"{plan.stream}: {plan.status}")
            bar.update(done - bar.n)

    operating = build_operating_plan(
        scenario,
        demand,
        matrix,
        day=routed_day,
        facility_plan=fplan if fplan.has_plan else None,
        engine=engine,
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        progress=tick,
    )
    if bar is not None:
        bar.close()
    timings["routing"] = time.perf_counter() - t
    for s in operating.plans:
        echo(f"[{v}] {operating.plans[s].summary()}")
    return Operations(
        matrix=matrix,
        demand=demand,
        routed_day=routed_day,
        facility_plan=fplan,
        operating=operating,
        timings_s=timings,
    )


def run_variant(
    scenario: Scenario,
    *,
    days: int = 28,
    day: int | None = None,
    engine: str = "pyvrp",
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
    facility_time_limit_s: float = 60.0,
    matrix: TravelMatrix | None = None,
    echo: Echo = lambda _s: None,
    progress: bool = False,
) -> VariantRun:
    """:func:`plan_operations`, then one simulation over the whole horizon."""
    from wasteopt.simulation import simulate

    ops = plan_operations(
        scenario,
        days=days,
        day=day,
        engine=engine,
        time_limit_s=time_limit_s,
        seed=seed,
        workers=workers,
        facility_time_limit_s=facility_time_limit_s,
        matrix=matrix,
        echo=echo,
        progress=progress,
    )
    timings = dict(ops.timings_s)
    t = time.perf_counter()
    bar = _bar(days, f"[{scenario.variant}] simulating", "day") if progress else None
    sim = simulate(
        scenario,
        demand=ops.demand,
        matrix=ops.matrix,
        operating=ops.operating,
        seed=seed,
        progress=None if bar is None else (lambda _d: bar.update()),
    )
    if bar is not None:
        bar.close()
    timings["simulation"] = time.perf_counter() - t
    echo(f"[{scenario.variant}] " + sim.summary().splitlines()[0])
    return VariantRun(
        variant=scenario.variant,
        scenario=scenario,
        demand=ops.demand,
        routed_day=ops.routed_day,
        facility_plan=ops.facility_plan,
        operating=ops.operating,
        simulation=sim,
        timings_s=timings,
    )


def variant_kpis(run: VariantRun) -> dict[str, Any]:
    """The comparison row of one variant (planning and simulated operations)."""
    sim, fplan = run.simulation, run.facility_plan
    d = sim.daily
    n_days = max(int(d["day"].nunique()), 1)
    collected = float(d["collected_t"].sum())
    cost = float(d["cost_cny"].sum())
    fac = sim.facilities
    stations = fac[fac["site_kind"] == "station"]
    plants = fac[fac["site_kind"] != "station"]
    tips = sim.tips
    plans = run.plans
    return {
        "variant": run.variant,
        "open_stations": len(fplan.open_stations) if fplan.has_plan else None,
        "facility_status": fplan.status,
        "facility_cost_cny_per_year": fplan.objective if fplan.has_plan else None,
        "facility_cost_cny_per_t": (
            fplan.objective / (sum(fplan.demand_t_per_day.values()) * 365.0)
            if fplan.has_plan and sum(fplan.demand_t_per_day.values()) > 0
            else None
        ),
        "t_km_per_day": fplan.t_km_per_day if fplan.has_plan else None,
        "routed_day": run.routed_day,
        "route_vehicles": sum(p.check.totals.vehicles for p in plans if p.check is not None),
        "route_trips": sum(p.check.totals.trips for p in plans if p.check is not None),
        "route_km": sum(p.check.totals.distance_km for p in plans if p.check is not None),
        "routes_clean": all(p.check is not None and p.check.ok for p in plans),
        "sim_days": n_days,
        "generated_t_per_day": float(d["generated_t"].sum()) / n_days,
        "collected_t_per_day": collected / n_days,
        "uncollected_t_end": float(d[d["day"] == d["day"].max()]["uncollected_t"].sum()),
        "overflowed_t": float(d["overflowed_t"].sum()),
        "truck_km_per_day": float(d["km"].sum()) / n_days,
        "vehicle_h_per_day": float(d["vehicle_h"].sum()) / n_days,
        "overtime_h_per_day": float(d["overtime_h"].sum()) / n_days,
        "co2_kg_per_day": float(d["co2_kg"].sum()) / n_days,
        "ops_cost_cny_per_day": cost / n_days,
        "ops_cost_cny_per_t": cost / collected if collected > 0 else None,
        "station_utilisation_max": _finite(stations["utilisation"].max()),
        "station_utilisation_mean": _finite(stations["utilisation"].mean()),
        "plant_utilisation_max": _finite(plants["utilisation"].max()),
        "wait_min_mean": _finite(tips["wait_s"].mean() / 60.0) if len(tips) else 0.0,
        "wait_min_p95": _finite(tips["wait_s"].quantile(0.95) / 60.0) if len(tips) else 0.0,
        "mass_balance_closes": sim.balance_closes,
        "sim_status": sim.status,
    }


def _finite(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def write_variant(run: VariantRun, out: OutputFolder) -> dict[str, Any]:
    """Write one variant's tables, plans, route sheets, simulation and plots; return figures."""
    from wasteopt.facilities.compare import write_plan
    from wasteopt.reporting.plots import (
        plot_daily_kpis,
        plot_queue_waits,
        plot_routes,
        plot_utilisation,
        save_figure,
    )
    from wasteopt.reporting.sheets import route_sheet_frame

    v = run.variant
    write_frame(out.path(f"{v}/demand_t_per_day.csv"), run.demand.totals_t_per_day().reset_index())
    if run.facility_plan.has_plan:
        write_plan(run.facility_plan, out.path(f"{v}/facilities/x").parent)
    sheets = []
    for stream in run.operating.plans:
        problem, plan = run.operating.problems[stream], run.operating.plans[stream]
        _write_plan_files(out, f"{v}/routes/", run.scenario, problem, plan)
        if plan.routes:
            sheets.append(route_sheet_frame(plan, problem, run.scenario))
    write_frame(out.path(f"{v}/routes/routes_summary.csv"), routes_summary(run.plans), bom=True)
    run.simulation.write(out.path(f"{v}/simulation/x").parent, events=False)

    figures: dict[str, Any] = {}
    name = run.scenario.name
    if sheets:
        figures[f"{v}: routes on day {run.routed_day}"] = plot_routes(
            run.scenario, pd.concat(sheets, ignore_index=True), title=f"{name} — {v}"
        )
    if run.facility_plan.has_plan:
        figures[f"{v}: utilisation"] = plot_utilisation(
            run.facility_plan, run.scenario, title=f"{v}: station and plant utilisation"
        )
    daily = (
        run.simulation.daily.groupby("date", sort=True)[
            ["collected_t", "uncollected_t", "km", "overtime_h", "cost_cny"]
        ]
        .sum()
        .reset_index()
    )
    figures[f"{v}: daily KPIs"] = plot_daily_kpis(daily, title=f"{v}: simulated days")
    tips = run.simulation.tips
    if len(tips):
        waits = pd.DataFrame({"facility": tips["site"], "wait_min": tips["wait_s"] / 60.0})
        figures[f"{v}: queue waits"] = plot_queue_waits(
            waits, run.scenario, title=f"{v}: waits for a tipping bay"
        )
    for title, fig in figures.items():
        stem = title.split(": ", 1)[1].split(" on ")[0].replace(" ", "_")
        save_figure(fig, out.path(f"{v}/plots/{stem}"))
    return figures


# --------------------------------------------------------------------------------------------
# the main job


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """What :func:`run_all` did: ``ok`` when every plan passed its check and every mass
    balance closed."""

    out_dir: str
    ok: bool
    kpi: pd.DataFrame
    timings_s: dict[str, float] = field(default_factory=dict)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in (
        "wasteopt",
        "numpy",
        "pandas",
        "pyvrp",
        "ortools",
        "pyomo",
        "highspy",
        "simpy",
        "matplotlib",
        "dask",
    ):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _bar(total: int | None, desc: str, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False)


def run_all(
    scenario_folder: str | Path,
    *,
    out_dir: str | Path,
    variants: Sequence[str] | None = None,
    days: int = 28,
    day: int | None = None,
    engine: str = "pyvrp",
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
    echo: Echo = lambda _s: None,
    progress: bool = False,
) -> RunSummary:
    """Run every stage for the base scenario and each variant (default: all the scenario's
    variants); write one output folder (see the module docstring)."""
    from wasteopt.reporting.html import write_html_report
    from wasteopt.reporting.plots import plot_catchments, save_figure

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    base = load_scenario(scenario_folder)
    names = [v.id for v in base.variants] if variants is None else list(variants)
    scenarios = {"base": base}
    for v in names:  # fail early, before any work or output, on an unknown variant
        if v != "base":
            scenarios[v] = apply_variant(base, v)  # base was validated with its variants
    timings["load"] = time.perf_counter() - t0
    echo(
        f"scenario {base.id} ({base.name}): {len(base.points)} points; "
        f"variants: {', '.join(scenarios)}"
    )

    runs: list[VariantRun] = []
    base_matrix = build_matrix(base)
    with OutputFolder(out_dir) as out:
        figures: dict[str, Any] = {}
        for v, scenario in scenarios.items():
            t = time.perf_counter()
            # Variants rarely move a site; reuse the base matrix when the sites are the same.
            same_sites = scenario.sites() == base.sites() and scenario.network == base.network
            run = run_variant(
                scenario,
                days=days,
                day=day,
                engine=engine,
                time_limit_s=time_limit_s,
                seed=seed,
                workers=workers,
                matrix=base_matrix if same_sites else None,
                echo=echo,
                progress=progress,
            )
            figures.update(write_variant(run, out))
            runs.append(run)
            timings.update({f"{v}/{k}": round(s, 3) for k, s in run.timings_s.items()})
            timings[f"{v}/total"] = time.perf_counter() - t

        kpi = pd.DataFrame([variant_kpis(r) for r in runs])
        write_frame(out.path("kpi.csv"), kpi, bom=True)
        write_frame(out.path("kpi.parquet"), kpi)
        routes_kpi = pd.concat(
            [routes_summary(r.plans).assign(variant=r.variant, day=r.routed_day) for r in runs],
            ignore_index=True,
        )
        front = ["variant", "day", "stream"]
        routes_kpi = routes_kpi[front + [c for c in routes_kpi.columns if c not in front]]
        write_frame(out.path("routes_kpi.csv"), routes_kpi, bom=True)
        base_run = runs[0]
        for r in runs[1:]:
            if base_run.facility_plan.has_plan and r.facility_plan.has_plan:
                fig = plot_catchments(
                    r.scenario, base_run.facility_plan, r.facility_plan, titles=("base", r.variant)
                )
                save_figure(fig, out.path(f"plots/catchments_{r.variant}"))
                figures[f"catchments: base vs {r.variant}"] = fig
        ok = all(r.ok for r in runs)
        timings["total"] = time.perf_counter() - t0
        tables = {
            "Scenario comparison": kpi.set_index("variant").T.reset_index(names="KPI"),
            "Routed day per stream": routes_kpi,
        }
        notes = [
            f"Scenario {base.id}: {base.name}. Horizon {days} days, seed {seed}, "
            f"engine {engine}, {time_limit_s:g} s per routing solve.",
            "Every route plan was checked by the independent checker"
            + ("; all are clean." if ok else "; see routes_kpi.csv for violations."),
        ]
        write_html_report(
            out.path("report.html"),
            title=f"wasteopt — {base.name}",
            kpi_tables=tables,
            figures=figures,
            notes=notes,
        )
        write_json(
            out.path("manifest.json"),
            {
                "scenario": str(scenario_folder),
                "scenario_id": base.id,
                "scenario_sha256": content_hash(scenario_folder),
                "variants": list(scenarios),
                "seed": seed,
                "days": days,
                "engine": engine,
                "time_limit_s": time_limit_s,
                "workers": workers,
                "versions": _versions(),
                "machine": {"platform": platform.platform(), "processor": platform.processor()},
                "timings_s": {k: round(v, 3) for k, v in timings.items()},
                "all_plans_checker_clean_and_balanced": ok,
            },
        )
    echo(f"wrote {out_dir} in {timings['total']:.1f} s")
    return RunSummary(out_dir=str(out_dir), ok=ok, kpi=kpi, timings_s=timings)


# --------------------------------------------------------------------------------------------
# one replication as a sweep task (picklable, importable by workers)


def replication_kpis(
    *,
    scenario: str,
    variant: str,
    seed: int,
    days: int = 28,
    time_limit_s: float = 5.0,
    engine: str = "pyvrp",
) -> dict[str, Any]:
    """Run one variant with one seed end to end and return its KPI row (for sweeps/compare).

    The same seed in every variant gives common random numbers (same demand noise)."""
    s = load_scenario(scenario, variant=None if variant == "base" else variant)
    run = run_variant(s, days=days, engine=engine, time_limit_s=time_limit_s, seed=seed)
    return variant_kpis(run)
