"""Side-by-side facility plans of a scenario's base and its variants, and plan tables on disk.

:func:`plan_variants` plans the base and each variant with the same settings and returns one row
per variant (the base first) with the headline numbers and their change against the base.
:func:`write_plan` writes one plan's tables (assignments, utilisation, flows, costs, shortfalls,
tier-2 haul, fleet hours of the restricted vehicle classes) atomically.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wasteopt.clock import Deadline
from wasteopt.facilities.plan import COST_TERMS, FacilityPlan
from wasteopt.facilities.settings import DEFAULT_SETTINGS, FacilitySettings
from wasteopt.facilities.solve import plan_facilities
from wasteopt.files import write_frame
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.network import build_matrix
from wasteopt.scenario import Scenario, apply_variant

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
    "shortfall_penalty_cny_per_year",
    "shortfalls",
    "cost_only_bound",
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

    ``cost_cny_per_t`` = objective / (365 × t/day) (the priced shortfall included);
    utilisation = inflow / capacity over open stations and over plants (NaN when there are
    none); ``cost_only_bound`` marks a ``free`` plan (a cost-only lower bound);
    ``shortfalls`` names each short station and plant-stream pair with its t/day and each
    short restricted vehicle class set with its vehicle-hours/day;
    ``shortfall_penalty_cny_per_year`` prices both."""
    t_day = float(sum(plan.demand_t_per_day.values()))
    open_set = set(plan.open_stations)
    st_util = [u for s, u in plan.utilisation.items() if s in open_set]
    pl_util = [u for s, u in plan.utilisation.items() if plan.site_kind.get(s) == "plant"]

    def stat(vals: list[float], fn: Callable[[list[float]], np.floating[Any]]) -> float:
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
        "shortfall_penalty_cny_per_year": plan.cost_terms["shortfall_penalty"]
        if plan.has_plan
        else math.nan,
        "shortfalls": "; ".join(
            [f"{j} {t:,.3f} t/day" for j, t in plan.station_shortfalls_t_per_day.items()]
            + [f"{k} {s} {t:,.3f} t/day" for (k, s), t in plan.plant_shortfalls_t_per_day.items()]
            + [f"{s} {c} {h:,.2f} h/day" for (s, c), h in plan.fleet_shortfalls_h_per_day.items()]
        ),
        "cost_only_bound": plan.is_cost_only_bound,
        "mip_gap": plan.mip_gap,
        "runtime_s": plan.runtime_s,
    }


def plan_variants(
    scenario: Scenario,
    variants: Sequence[str],
    settings: FacilitySettings = DEFAULT_SETTINGS,
    *,
    include_base: bool = True,
    out_dir: str | os.PathLike[str] | None = None,
    deadline: Deadline | None = None,
) -> pd.DataFrame:
    """Plan the base ``scenario`` (unless ``include_base`` is false) and each of its
    ``variants`` (:func:`wasteopt.scenario.apply_variant`) with the same settings; one row per
    variant, indexed by variant id.

    Columns: :data:`COMPARE_COLUMNS`, then ``delta_objective_cny_per_year``,
    ``delta_objective_pct``, ``delta_cost_cny_per_t``, ``delta_t_km_per_day``,
    ``delta_co2_kg_per_day`` and ``delta_open_stations`` = variant − base (0 on the base row;
    NaN when the base is not planned or has no plan). Each variant is planned on its own
    expected generation rates and travel matrix. With a ``deadline``, each plan still to make
    gets an equal share of what is left (at most ``settings.time_limit_s``). With ``out_dir``,
    each plan's tables are written to ``out_dir/<variant>/`` (:func:`write_plan`) and the table
    to ``out_dir/comparison.csv``. Scenario errors raise; solver outcomes are the ``status``."""
    ids = _variant_ids(variants, include_base)
    rows = []
    for i, vid in enumerate(ids):
        sc = scenario if vid == BASE else apply_variant(scenario, vid)
        share = None if deadline is None else deadline.sub(deadline.share(1.0 / (len(ids) - i)))
        plan = plan_facilities(
            sc, expected_rates_kg_per_day(sc), build_matrix(sc), settings, deadline=share
        )
        log.info("%s", plan.summary())
        row = plan_row(plan)
        row["variant"] = vid
        rows.append(row)
        if out_dir is not None:
            write_plan(plan, Path(out_dir) / vid)
    table = _with_deltas(pd.DataFrame(rows, columns=list(COMPARE_COLUMNS)))
    if out_dir is not None:
        write_frame(Path(out_dir) / "comparison.csv", table)
    return table


def _variant_ids(variants: Sequence[str], include_base: bool) -> list[str]:
    """The variants to plan, the base first, each once ("" and None name the base)."""
    ids: list[str] = [BASE] if include_base else []
    for v in variants:
        vid = BASE if v in (None, "", BASE) else v
        if vid not in ids:
            ids.append(vid)
    return ids


def _with_deltas(table: pd.DataFrame) -> pd.DataFrame:
    """Index the rows by variant and add the ``delta_*`` columns against the base row."""
    table = table.set_index("variant", drop=False)
    table.index.name = None
    base = table.loc[BASE].to_dict() if BASE in table.index else None
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
    return table[order]


def costs_frame(plan: FacilityPlan) -> pd.DataFrame:
    """One row per cost item: ``term, item, cny_per_year, cny_per_t, share``, ``term`` being
    the waterfall term it belongs to (:data:`~wasteopt.facilities.plan.COST_TERMS`: tier-1
    collection, station operation, tier-2 haul, gate fees, shortfall penalty, annualised
    capital), in that order; last row ``total``."""
    t_year = plan.days_per_year * float(sum(plan.demand_t_per_day.values()))
    term_of = {item: term for term, items in COST_TERMS.items() for item in items}
    order = {term: i for i, term in enumerate(COST_TERMS)}
    items = sorted(
        plan.cost_breakdown.items(), key=lambda kv: order.get(term_of.get(kv[0], ""), 99)
    )
    total = plan.objective
    rows = [
        {
            "term": term_of.get(k, "") if k != "total" else "total",
            "item": k,
            "cny_per_year": v,
            "cny_per_t": v / t_year if t_year > 0 else math.nan,
            "share": v / total if total else math.nan,
        }
        for k, v in [*items, ("total", total)]
    ]
    return pd.DataFrame(rows, columns=["term", "item", "cny_per_year", "cny_per_t", "share"])


def write_plan(plan: FacilityPlan, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``assignments.csv`` (:meth:`FacilityPlan.to_frame`), ``utilisation.csv``,
    ``flows.csv``, ``costs.csv`` (:func:`costs_frame`), ``shortfalls.csv``
    (:meth:`FacilityPlan.shortfalls_frame`: per station, and per plant and stream) and
    ``haul.csv`` (:meth:`FacilityPlan.haul_frame`: trips, containers and haul vehicle-days per
    station and stream) and ``fleet_hours.csv`` (:meth:`FacilityPlan.fleet_frame`: the
    collection vehicle-hours of each restricted vehicle class set against its fleet) into
    ``out_dir`` (created if needed), each file atomically. Returns name → path."""
    out = Path(out_dir)
    frames = {
        "assignments.csv": plan.to_frame(),
        "utilisation.csv": plan.utilisation_frame(),
        "flows.csv": plan.flows_frame(),
        "costs.csv": costs_frame(plan),
        "shortfalls.csv": plan.shortfalls_frame(),
        "haul.csv": plan.haul_frame(),
        "fleet_hours.csv": plan.fleet_frame(),
    }
    return {name: write_frame(out / name, frame) for name, frame in frames.items()}
