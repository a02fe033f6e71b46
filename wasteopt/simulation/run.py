"""Run a simulated horizon (:func:`simulate`) or independent replications of it.

Randomness: a run's random numbers come from ``numpy.random.SeedSequence(seed)``, split into
independent streams for travel times, service times, unload times and breakdowns, so the same seed
gives the same result and changing one rule does not reshuffle the others' draws. Replications use
``SeedSequence(seed).spawn(replications)``. The demand (generation noise) is an input: replications
vary the operations, not the waste generated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from wasteopt.generation import Demand
from wasteopt.network import TravelMatrix
from wasteopt.operations import OperatingPlan, Tour, cycle_tours
from wasteopt.routing.build import fill_margin_note
from wasteopt.scenario.model import Scenario
from wasteopt.simulation.availability import AVAILABILITY_COLUMNS
from wasteopt.simulation.district import District
from wasteopt.simulation.ledger import ledger_frame
from wasteopt.simulation.records import BALANCE_COLUMNS, LEFT_COLUMNS, left_rows
from wasteopt.simulation.residues import compute_residues
from wasteopt.simulation.result import (
    BALANCE_TERMS,
    DAILY_COLUMNS,
    FACILITY_COLUMNS,
    ReplicationSet,
    SimulationResult,
)
from wasteopt.simulation.settings import SimulationSettings
from wasteopt.stopids import point_of

__all__ = ["catchments", "simulate", "simulate_replications"]

log = logging.getLogger("wasteopt")

EVENT_COLUMNS = ("time_s", "day", "kind", "vehicle", "site", "stream", "kg")
_Job = tuple[
    Scenario,
    Demand,
    TravelMatrix,
    OperatingPlan,
    SimulationSettings | None,
    np.random.SeedSequence,
    int | None,
]
"""The arguments of one replication (picklable, for an executor)."""

TIP_COLUMNS = ("site", "vehicle", "stream", "day", "ready_s", "start_s", "end_s", "kg")


def simulate(
    scenario: Scenario,
    *,
    demand: Demand,
    matrix: TravelMatrix,
    operating: OperatingPlan,
    settings: SimulationSettings | None = None,
    seed: int | np.random.SeedSequence = 0,
    days: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate ``days`` days (default: all of ``demand``) of collection, transfer and treatment.

    The rules are stated in :mod:`wasteopt.simulation.processes` and
    :mod:`wasteopt.operations`; the tables in :mod:`wasteopt.simulation.result`.
    ``progress(day_index)`` is called after each simulated day (for a progress bar).
    Inputs are not modified.
    """
    settings = settings or SimulationSettings()
    days = demand.days if days is None else int(days)
    _check_horizon(scenario, demand, days)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    seed_label = int(ss.entropy) if isinstance(ss.entropy, int) else 0
    t0 = time.perf_counter()
    tours = cycle_tours(scenario, operating, matrix)
    district = District(
        scenario,
        demand_kg=np.asarray(demand.kg),
        demand_start=np.datetime64(demand.dates[0], "D"),
        matrix=matrix,
        operating=operating,
        tours=tours,
        settings=settings,
        seed_sequence=ss,
    )
    district.notes += _cycle_notes(operating, tours)
    if note := fill_margin_note(scenario.planning.fill_margin):
        district.notes.append(note + "; the simulated vehicles load to their full payload")
    events_scheduled = district.run(days, demand.dates, progress)
    runtime = time.perf_counter() - t0

    daily = pd.DataFrame(district.day_rows, columns=list(DAILY_COLUMNS))
    balance = _balance_frame(district)
    events = pd.DataFrame(district.events, columns=list(EVENT_COLUMNS))
    tips = pd.DataFrame(district.tips, columns=list(TIP_COLUMNS))
    tips["wait_s"] = tips["start_s"] - tips["ready_s"]
    vehicles = pd.DataFrame(district.vehicle_rows)
    facilities = _facility_frame(district, tips, demand, days)
    residues = compute_residues(scenario, facilities, daily, matrix)  # beyond the gate
    result = SimulationResult(
        scenario=scenario.id,
        variant=scenario.variant,
        seed=seed_label,
        days=days,
        settings=settings,
        objective=float(daily["cost_cny"].sum()),
        runtime_s=runtime,
        events_scheduled=events_scheduled,
        daily=daily,
        vehicles=vehicles,
        facilities=facilities,
        balance=balance,
        events=events,
        tips=tips,
        points_left=_points_left(scenario, district, operating),
        shortfall_penalty_cny_per_t=scenario.planning.shortfall_penalty_cny_per_t,
        notes=tuple(district.notes),
        ledger=ledger_frame(
            district.ledger.rows,
            dates=demand.dates[:days],
            point_ids=[p.id for p in scenario.points],
        ),
        availability=pd.DataFrame(district.availability_rows, columns=list(AVAILABILITY_COLUMNS)),
        residues=residues,
    )
    if not result.balance_closes:
        log.error("simulation %s", result.status_detail)
    log.info(
        "simulated %d days of %s/%s: %s, %d events in %.2f s",
        days,
        scenario.id,
        scenario.variant,
        result.status,
        events_scheduled,
        runtime,
    )
    return result


def _points_left(scenario: Scenario, district: District, operating: OperatingPlan) -> pd.DataFrame:
    """Due waste left in each point's bins at the end, with the point's catchment."""
    rows = left_rows(
        [p.id for p in scenario.points],
        scenario.stream_ids,
        district.overdue.tolist(),
        catchments(operating),
    )
    return pd.DataFrame(rows, columns=list(LEFT_COLUMNS))


def catchments(operating: OperatingPlan) -> dict[tuple[str, str], str]:
    """(point, stream) → the site the point unloads at: the facility plan's assignment, else
    the first allowed unload site of the point's stop in the stream's routing problems."""
    out: dict[tuple[str, str], str] = {}
    for stream, problem in operating.problems.items():
        problems = [problem, *operating.cycle_problems.get(stream, {}).values()]
        for prob in problems:
            for stop in prob.stops:
                if stop.unload_at:
                    out.setdefault((point_of(stop.id), stream), stop.unload_at[0])
    fplan = operating.facility_plan
    if fplan is not None:
        out.update(fplan.assignments)
    return out


def _check_horizon(scenario: Scenario, demand: Demand, days: int) -> None:
    """The demand must be the scenario's and cover the ``days`` simulated."""
    if not 1 <= days <= demand.days:
        raise ValueError(f"days must lie in 1..{demand.days} (the demand's horizon), got {days}")
    if demand.point_ids != tuple(p.id for p in scenario.points):
        raise ValueError("demand was generated for other collection points than the scenario's")
    if demand.stream_ids != scenario.stream_ids:
        raise ValueError("demand streams differ from the scenario's streams")


def _cycle_notes(
    operating: OperatingPlan, tours: dict[str, dict[int, tuple[Tour, ...]]]
) -> list[str]:
    """A note per stream with a multi-day cycle or with visits inserted into its tours."""
    notes = []
    for stream, by_key in tours.items():
        n_days = operating.cycle_length(stream)
        n_plans = len(operating.distinct_plans(stream))
        n_inserted = sum(t.inserted for ts in by_key.values() for t in ts)
        n_unserved = sum(t.inserted_unserved for ts in by_key.values() for t in ts)
        if n_days > 1 or n_inserted:
            notes.append(
                f"{stream}: {n_days}-day cycle, {n_plans} route plan(s); {n_inserted} point "
                "visits missing from them inserted into planned tours (cheapest insertion), "
                f"{n_unserved} of them left unserved by the routing"
            )
    return notes


def _balance_frame(district: District) -> pd.DataFrame:
    """The mass balance per day and stream, with its residual and whether it closes."""
    balance = pd.DataFrame(
        district.balance_rows, columns=["day", "date", "stream", *BALANCE_COLUMNS]
    )
    left = balance["initial_kg"] + balance["generated_kg"]
    balance["residual_kg"] = left - balance[list(BALANCE_TERMS)].sum(axis=1)
    balance["closes"] = balance["residual_kg"].abs() <= 1e-9 * left.abs() + 1e-6
    return balance


def _facility_frame(
    district: District, tips: pd.DataFrame, demand: Demand, days: int
) -> pd.DataFrame:
    flows = pd.DataFrame(district.site_rows)
    per_site = (
        flows.groupby(["day", "site_id", "site_kind"], sort=False)
        .agg(
            inflow_t=("inflow_t", "sum"),
            treated_t=("treated_t", "sum"),
            overflowed_t=("overflowed_t", "sum"),
            stock_t=("stock_t", "sum"),
            capacity_t_per_day=("capacity_t_per_day", "first"),
            containers_hauled=("containers_hauled", "sum"),
            tipping_blocked_h=("tipping_blocked_h", "sum"),
            container_km=("container_km", "sum"),
        )
        .reset_index()
    )
    if len(tips):
        busy = tips["end_s"] - tips["start_s"]
        g = tips.assign(busy_h=busy / 3600.0).groupby(["day", "site"])
        waits = (
            pd.DataFrame(
                {
                    "arrivals": g.size(),
                    "mean_wait_s": g["wait_s"].mean(),
                    "p95_wait_s": g["wait_s"].quantile(0.95),
                    "max_wait_s": g["wait_s"].max(),
                    "bay_busy_h": g["busy_h"].sum(),
                }
            )
            .reset_index()
            .rename(columns={"site": "site_id"})
        )
        per_site = per_site.merge(waits, on=["day", "site_id"], how="left")
    else:
        for col in ("arrivals", "mean_wait_s", "p95_wait_s", "max_wait_s", "bay_busy_h"):
            per_site[col] = np.nan
    per_site["arrivals"] = per_site["arrivals"].fillna(0).astype(int)
    per_site["bay_busy_h"] = per_site["bay_busy_h"].fillna(0.0)
    open_h: dict[str, float] = {}
    for sid, site in district.sites.items():
        open_h[sid] = site.bay_count * site.bays.open_h_per_day
    per_site["bay_utilisation"] = per_site["bay_busy_h"] / per_site["site_id"].map(open_h)
    used = np.where(per_site["site_kind"] == "plant", per_site["treated_t"], per_site["inflow_t"])
    cap = per_site["capacity_t_per_day"].to_numpy()
    per_site["utilisation"] = np.divide(used, cap, out=np.full(len(cap), np.nan), where=cap > 0)
    fallback = {pid: pl.fallback for pid, pl in district.plants.items()}
    per_site["fallback"] = per_site["site_id"].map(fallback).fillna("")
    per_site["date"] = per_site["day"].map(dict(enumerate(demand.dates[:days])))
    return per_site[list(FACILITY_COLUMNS)]


def _one(args: _Job, day_progress: Callable[[int], None] | None = None) -> SimulationResult:
    scenario, demand, matrix, operating, settings, ss, days = args
    return simulate(
        scenario,
        demand=demand,
        matrix=matrix,
        operating=operating,
        settings=settings,
        seed=ss,
        days=days,
        progress=day_progress,
    )


def simulate_replications(
    scenario: Scenario,
    *,
    demand: Demand,
    matrix: TravelMatrix,
    operating: OperatingPlan,
    replications: int,
    settings: SimulationSettings | None = None,
    seed: int = 0,
    days: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    day_progress: Callable[[int], None] | None = None,
) -> ReplicationSet:
    """``replications`` independent runs with seeds ``SeedSequence(seed).spawn(replications)``.

    With ``executor`` (e.g. a ``ProcessPoolExecutor`` or a Dask client's executor) the runs go
    through ``executor.map``; every argument is picklable. ``progress(k)`` is called after each
    finished replication ``k``; without an executor, ``day_progress(d)`` after every simulated
    day of every replication (a CLI bar of ``days × replications`` steps).
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    children = np.random.SeedSequence(int(seed)).spawn(replications)
    jobs: list[_Job] = [
        (scenario, demand, matrix, operating, settings, ss, days) for ss in children
    ]
    results: list[SimulationResult] = []
    if executor is not None:
        runs = executor.map(_one, jobs)
    else:
        runs = (_one(job, day_progress) for job in jobs)
    for k, r in enumerate(runs):
        results.append(r)
        if progress is not None:
            progress(k)
    return ReplicationSet(seed=int(seed), results=tuple(results))
