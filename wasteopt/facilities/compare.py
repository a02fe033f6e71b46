"""Side-by-side facility plans of a scenario's base and its variants, and plan tables on disk.

:func:`plan_variants` plans the base and each variant with the same settings and returns one row
per variant (the base first) with the headline numbers and their change against the base.
:func:`write_plan` writes one plan's tables (assignments, utilisation, flows, costs) atomically.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from wasteopt.facilities.model import CostSettings, PlanMode
from wasteopt.facilities.plan import FacilityPlan
from wasteopt.facilities.solve import plan_facilities

__all__ = ["COMPARE_COLUMNS", "costs_frame", "plan_row", "plan_variants", "write_plan"]

log = logging.getLogger("wasteopt")

BASE = "base"

COMPARE_COLUMNS = (
    "variant",
    "mode",
    "status",
    "optimal",
    "objective_cny_per_year",
    "cost_cny_per_t",
    "t_per_day",
    "t_km_per_day",
    "co2_kg_per_day",
    "open_stations",
    "open_station_ids",
    "closed_station_ids",
    "built_station_ids",
    "station_util_max",
    "station_util_mean",
    "plant_util_max",
    "plant_util_mean",
    "shortfall_t_per_day",
    "mip_gap",
    "runtime_s",
)
"""Columns of :func:`plan_variants` before the ``delta_*`` block."""

_DELTA = (
    ("objective_cny_per_year", "delta_objective_cny_per_year"),
    ("cost_cny_per_t", "delta_cost_cny_per_t"),
    ("t_km_per_day", "delta_t_km_per_day"),
    ("co2_kg_per_day", "delta_co2_kg_per_day"),
    ("open_stations", "delta_open_stations"),
)


def plan_row(plan: FacilityPlan) -> dict[str, object]:
    """The headline numbers of one plan (the columns :data:`COMPARE_COLUMNS`).

    ``cost_cny_per_t`` = objective / (365 × t/day); utilisation = inflow / capacity over open
    stations and over plants (NaN when there are none)."""
    t_day = float(sum(plan.demand_t_per_day.values()))
    open_set = set(plan.open_stations)
    st_util = [u for s, u in plan.utilisation.items() if s in open_set]
    pl_util = [u for s, u in plan.utilisation.items() if plan.site_kind.get(s) == "plant"]

    def stat(vals: list[float], fn) -> float:
        return float(fn(vals)) if vals else math.nan

    return {
        "variant": plan.variant or BASE,
        "mode": plan.mode,
        "status": plan.status,
        "optimal": plan.status == "optimal",
        "objective_cny_per_year": plan.objective,
        "cost_cny_per_t": plan.objective / (365.0 * t_day) if t_day > 0 else math.nan,
        "t_per_day": t_day,
        "t_km_per_day": plan.t_km_per_day,
        "co2_kg_per_day": plan.co2_kg_per_day,
        "open_stations": len(plan.open_stations) if plan.has_plan else math.nan,
        "open_station_ids": " ".join(plan.open_stations),
        "closed_station_ids": " ".join(plan.closed_stations),
        "built_station_ids": " ".join(plan.built_stations),
        "station_util_max": stat(st_util, np.max),
        "station_util_mean": stat(st_util, np.mean),
        "plant_util_max": stat(pl_util, np.max),
        "plant_util_mean": stat(pl_util, np.mean),
        "shortfall_t_per_day": float(sum(plan.shortfalls_t_per_day.values())),
        "mip_gap": plan.mip_gap,
        "runtime_s": plan.runtime_s,
    }


def plan_variants(
    scenario_folder: str | os.PathLike[str],
    variants: Sequence[str] = (),
    *,
    mode: PlanMode = "free",
    time_limit_s: float = 60.0,
    mip_gap: float = 1e-6,
    costs: CostSettings | None = None,
    include_base: bool = True,
    allow_direct: bool = True,
    out_dir: str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """Plan the base (unless ``include_base`` is false) and each of ``variants`` of the scenario
    in ``scenario_folder`` with the same settings; one row per variant, indexed by variant id.

    Columns: :data:`COMPARE_COLUMNS`, then ``delta_objective_cny_per_year``,
    ``delta_objective_pct``, ``delta_cost_cny_per_t``, ``delta_t_km_per_day``,
    ``delta_co2_kg_per_day`` and ``delta_open_stations`` = variant − base (0 on the base row;
    NaN when the base is not planned or has no plan). Each variant is planned on its own
    expected generation rates and travel matrix. ``allow_direct=False`` makes every point
    unload at a station when some station accepts its stream (today's practice). With
    ``out_dir``, each plan's tables are written to ``out_dir/<variant>/`` (:func:`write_plan`)
    and the table to ``out_dir/comparison.csv``. Scenario errors raise; solver outcomes are
    the ``status``."""
    from wasteopt.generation import expected_rates_kg_per_day
    from wasteopt.network import build_matrix
    from wasteopt.scenario import apply_variant, load_scenario

    ids: list[str] = [BASE] if include_base else []
    for v in variants:
        v = BASE if v in (None, "", BASE) else v
        if v not in ids:
            ids.append(v)
    rows = []
    base_sc = load_scenario(scenario_folder)  # validates every variant too
    for vid in ids:
        sc = base_sc if vid == BASE else apply_variant(base_sc, vid)
        plan = plan_facilities(
            sc,
            expected_rates_kg_per_day(sc),
            build_matrix(sc),
            mode=mode,
            time_limit_s=time_limit_s,
            mip_gap=mip_gap,
            costs=costs,
            allow_direct=allow_direct,
            threads=threads,
        )
        log.info("%s", plan.summary())
        row = plan_row(plan)
        row["variant"] = vid
        rows.append(row)
        if out_dir is not None:
            write_plan(plan, Path(out_dir) / vid)
    table = pd.DataFrame(rows, columns=list(COMPARE_COLUMNS)).set_index("variant", drop=False)
    table.index.name = None
    base = table.loc[BASE] if BASE in table.index else None
    for col, dcol in _DELTA:
        ref = float(base[col]) if base is not None else math.nan
        table[dcol] = table[col].astype(float) - ref
    ref_obj = float(base["objective_cny_per_year"]) if base is not None else math.nan
    table["delta_objective_pct"] = (
        100.0 * table["delta_objective_cny_per_year"] / ref_obj if ref_obj else math.nan
    )
    order = [
        *COMPARE_COLUMNS,
        "delta_objective_cny_per_year",
        "delta_objective_pct",
        *(d for _, d in _DELTA[1:]),
    ]
    table = table[order]
    if out_dir is not None:
        from wasteopt.files import write_frame

        write_frame(Path(out_dir) / "comparison.csv", table)
    return table


def costs_frame(plan: FacilityPlan) -> pd.DataFrame:
    """One row per cost term: ``item, cny_per_year, cny_per_t, share``; last row ``total``."""
    t_year = 365.0 * float(sum(plan.demand_t_per_day.values()))
    items = [*plan.cost_breakdown.items(), ("total", plan.objective)]
    total = plan.objective
    rows = [
        {
            "item": k,
            "cny_per_year": v,
            "cny_per_t": v / t_year if t_year > 0 else math.nan,
            "share": v / total if total else math.nan,
        }
        for k, v in items
    ]
    return pd.DataFrame(rows, columns=["item", "cny_per_year", "cny_per_t", "share"])


def write_plan(plan: FacilityPlan, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``assignments.csv`` (:meth:`FacilityPlan.to_frame`), ``utilisation.csv``,
    ``flows.csv`` and ``costs.csv`` (:func:`costs_frame`) into ``out_dir`` (created if needed),
    each file atomically. Returns name → path."""
    from wasteopt.files import write_frame

    out = Path(out_dir)
    frames = {
        "assignments.csv": plan.to_frame(),
        "utilisation.csv": plan.utilisation_frame(),
        "flows.csv": plan.flows_frame(),
        "costs.csv": costs_frame(plan),
    }
    return {name: write_frame(out / name, frame) for name, frame in frames.items()}
