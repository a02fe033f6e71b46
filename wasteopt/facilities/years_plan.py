"""The multi-year facility plan and its tables (model: :mod:`wasteopt.facilities.years`).

:func:`plan_years` solves the horizon twice, with builds (the plan) and without (the system as
it stands, with the policy's closures), and reads both into a :class:`YearsPlan`: one row per
year and site (capacity, load, external load, utilisation, whether it binds), one row per
year of cost, the decisions (build, expand, retire, close by policy, each with its year), and
per plant the first year it binds with and without the builds ("enough until year N").
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wasteopt.clock import Deadline
from wasteopt.facilities._highs import FloatArray, MilpOutcome
from wasteopt.facilities._years_milp import solve_years_model
from wasteopt.facilities.collection import DistanceSource
from wasteopt.facilities.years import (
    UNSERVED_FACTOR,
    YearsModelData,
    as_is_data,
    build_years_data,
    years_settings,
)
from wasteopt.scenario.horizon import PlanningHorizon
from wasteopt.scenario.model import Scenario

__all__ = ["YearsPlan", "YearsRun", "plan_years"]

log = logging.getLogger("wasteopt")

BIND_SHARE = 0.01
"""A load binds within at most this share of capacity below it (see :func:`_slack`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class YearsRun:
    """One solve of the horizon: its status, objective (discounted CNY), times and tables
    (``sites``: year × site; ``costs``: per year; ``decisions``)."""

    status: str
    objective_cny: float
    build_s: float
    solve_s: float
    sites: pd.DataFrame
    costs: pd.DataFrame
    decisions: pd.DataFrame
    unserved: pd.DataFrame

    @property
    def solved(self) -> bool:
        return not self.sites.empty


@dataclass(frozen=True, slots=True, kw_only=True)
class YearsPlan:
    """The plan (with builds), the system as it stands (``as_is``: no builds, no retirement)
    and ``binding``: per plant the first year it binds in each and the last year it is enough
    without builds; ``shortfalls``: one line per year, site and t/day the plan cannot take."""

    scenario: str
    plan: YearsRun
    as_is: YearsRun
    binding: pd.DataFrame
    shortfalls: tuple[str, ...]
    zones: int
    data_s: float


def plan_years(
    scenario: Scenario,
    rates_kg_per_day: FloatArray,
    matrix: DistanceSource,
    deadline: Deadline | None = None,
    *,
    mip_gap: float = 1e-3,
) -> YearsPlan:
    """Plan ``scenario``'s horizon (InputError without one): the plan with two thirds of what
    the deadline leaves, then the system as it stands with the rest (600 s without one)."""
    settings = years_settings(time_limit_s=_left(deadline), mip_gap=mip_gap)
    t0 = time.perf_counter()
    d = build_years_data(scenario, rates_kg_per_day, matrix, settings)
    data_s = time.perf_counter() - t0
    runs = []
    for data, share in ((d, 2 / 3), (as_is_data(scenario, d), 1.0)):
        out = solve_years_model(data, time_limit_s=_left(deadline) * share, mip_gap=mip_gap)
        log.info("multi-year plan (%s): %s in %.1f s", data.allow_builds, out.status, out.runtime_s)
        runs.append((data, _run(data, out)))
    (d, plan), (_, as_is) = runs
    return YearsPlan(
        scenario=scenario.id,
        plan=plan,
        as_is=as_is,
        binding=_binding(scenario, plan, as_is),
        shortfalls=_shortfalls(plan),
        zones=d.one_year.zones,
        data_s=data_s,
    )


def _left(deadline: Deadline | None) -> float:
    """Seconds the deadline leaves (600 without one), at least 5 so that a solve can start."""
    left = 600.0 if deadline is None else deadline.remaining()
    return max(5.0, 600.0 if math.isinf(left) else left)


def _run(d: YearsModelData, out: MilpOutcome) -> YearsRun:
    """The tables of one solve (empty without a solution)."""
    empty = pd.DataFrame()
    if not out.has_solution:
        return YearsRun(
            status=out.status,
            objective_cny=math.nan,
            build_s=out.build_s,
            solve_s=out.solve_s,
            sites=empty,
            costs=empty,
            decisions=empty,
            unserved=empty,
        )
    v = {k: a.reshape(len(d.years), -1) for k, a in out.values.items()}
    v["z"] = np.rint(v["z"]).reshape(len(d.years), -1)
    v["y"] = np.rint(v["y"]).reshape(len(d.years), -1)
    standing = _standing(d, v["z"])
    return YearsRun(
        status=out.status,
        objective_cny=out.objective,
        build_s=out.build_s,
        solve_s=out.solve_s,
        sites=_sites(d, v, standing),
        costs=_costs(d, v, standing),
        decisions=_decisions(d, v),
        unserved=_unserved(d, v["u"]),
    )


def _unserved(d: YearsModelData, u: FloatArray) -> pd.DataFrame:
    """Per year and stream, the t/day no open site could take (stations full or closed)."""
    one = d.one_year
    rows = []
    for t, year in enumerate(d.years):
        by_stream = np.bincount(one.pair_stream, weights=u[t], minlength=one.n_streams)
        rows += [
            {"year": year, "stream": one.stream_ids[s], "t_per_day": round(float(x), 3)}
            for s, x in enumerate(by_stream)
            if x > 1e-3
        ]
    return pd.DataFrame(rows, columns=["year", "stream", "t_per_day"])


def _standing(d: YearsModelData, z: FloatArray) -> FloatArray:
    """S_bt: 1 while build b stands (built within its life)."""
    s = np.zeros_like(z)
    for b, life in enumerate(d.build_life.tolist()):
        for t in range(len(d.years)):
            s[t, b] = z[max(0, t - life + 1) : t + 1, b].sum()
    return s


def _sites(d: YearsModelData, v: dict[str, FloatArray], standing: FloatArray) -> pd.DataFrame:
    """One row per year and site: open, capacity, load, external, refused, utilisation."""
    one, h = d.one_year, d.horizon
    rows = []
    for t, year in enumerate(d.years):
        st_load = np.bincount(
            one.opt_site[one.opt_is_station],
            weights=v["x"][t][one.opt_is_station],
            minlength=len(one.station_ids),
        )
        for j, sid in enumerate(one.station_ids):
            cap = d.station_capacity[j] * v["y"][t, j] + _added(
                d, standing[t], d.build_site_station, j
            )
            flows = (st_load[j], 0.0, 0.0, 0.0)
            rows.append(_site_row(year, sid, "station", cap, flows, v["y"][t, j]))
        inflow = _plant_inflow(d, v, t)
        refused = np.bincount(one.short_plant, weights=v["v"][t], minlength=len(one.plant_ids))
        for k, kid in enumerate(one.plant_ids):
            added = _added(d, standing[t], d.build_site_plant, k)
            cap = d.plant_open[t, k] * (d.plant_capacity[k] + added)
            ext = d.external[t, k]
            flows = (inflow[k], refused[k], ext, v["e"][t, k])
            row = _site_row(year, kid, "plant", cap, flows, d.plant_open[t, k] * (cap > 0))
            row["binds"] = bool(cap > 0 and inflow[k] + ext >= cap - _slack(h, cap))
            rows.append(row)
    return pd.DataFrame(rows)


def _slack(h: PlanningHorizon, cap: float) -> float:
    """How far below capacity a load binds: the horizon's tolerance, at most 1 % of capacity
    (a 1 t/day plant does not bind at 0.1 t/day)."""
    return min(h.bind_tolerance_t_per_day, BIND_SHARE * cap)


def _site_row(
    year: int,
    site: str,
    kind: str,
    cap: float,
    flows: tuple[float, float, float, float],
    is_open: float,
) -> dict[str, object]:
    """``flows``: this scenario's inflow and the part refused, the external load asked and
    the part not taken (t/day)."""
    inflow, refused, ext, ext_short = (float(x) for x in flows)
    taken = inflow - refused + ext - ext_short
    return {
        "year": year,
        "site": site,
        "kind": kind,
        "open": bool(is_open > 0.5),
        "capacity_t_per_day": round(float(cap), 3),
        "load_t_per_day": round(inflow - refused, 3),
        "external_t_per_day": round(ext, 3),
        "offered_t_per_day": round(inflow + ext, 3),
        "short_t_per_day": round(refused + ext_short, 3),
        "utilisation": round(taken / cap, 4) if cap > 0 else math.nan,
        # this scenario's part of what the site takes (a shared plant's district share)
        "scenario_share": round((inflow - refused) / taken, 4) if taken > 0 else math.nan,
        "binds": False,
    }


def _added(d: YearsModelData, standing: FloatArray, site_of: np.ndarray, i: int) -> float:
    """Capacity the standing builds add at site ``i``."""
    mask = site_of == i
    return float((d.build_capacity[mask] * standing[mask]).sum())


def _plant_inflow(d: YearsModelData, v: dict[str, FloatArray], t: int) -> FloatArray:
    """This scenario's t/day arriving at each plant in year t (direct and by arc)."""
    one = d.one_year
    direct = ~one.opt_is_station
    n_k = len(one.plant_ids)
    direct_t = np.bincount(one.opt_site[direct], weights=v["x"][t][direct], minlength=n_k)
    out: FloatArray = (
        direct_t + np.bincount(one.arc_plant, weights=v["f"][t], minlength=n_k)
    ).astype(float)
    return out


def _costs(d: YearsModelData, v: dict[str, FloatArray], standing: FloatArray) -> pd.DataFrame:
    """One row per year: capital spent, capital charge, station and build fixed costs, flows
    (collection, handling, haul, gate fees), penalty, total, discounted total."""
    one, rows = d.one_year, []
    existing = one.station_existing
    for t, year in enumerate(d.years):
        prev = v["y"][t - 1] if t else np.ones(len(one.station_ids))
        closing = float((d.station_closing * existing * np.maximum(prev - v["y"][t], 0)).sum())
        row = {
            "year": year,
            "capex_cny": float(d.build_capex @ v["z"][t]),
            "build_charge_cny": float(d.build_charge @ standing[t]),
            "stations_cny": float(d.station_cost @ v["y"][t]) + closing,
            "flows_cny": float(d.option_cost @ v["x"][t] + d.arc_cost @ v["f"][t]),
            "unserved_t_per_day": float(v["u"][t].sum()),
            "refused_t_per_day": float(v["v"][t].sum()),
            "external_not_taken_t_per_day": float(v["e"][t].sum()),
        }
        short = UNSERVED_FACTOR * row["unserved_t_per_day"] + row["refused_t_per_day"]
        row["penalty_cny"] = d.penalty * (short + row["external_not_taken_t_per_day"])
        row["total_cny"] = (
            row["build_charge_cny"] + row["stations_cny"] + row["flows_cny"] + row["penalty_cny"]
        )
        row["discounted_cny"] = row["total_cny"] * float(d.discount[t])
        row["demand_t_per_day"] = float(d.demand[t].sum())
        rows.append(row)
    return pd.DataFrame(rows).round(2)


def _decisions(d: YearsModelData, v: dict[str, FloatArray]) -> pd.DataFrame:
    """Builds and expansions (year built, capex), station retirements and policy closures."""
    one, h = d.one_year, d.horizon
    rows = []
    for b, build in enumerate(h.builds):
        made = np.flatnonzero(v["z"][:, b] > 0.5)
        rows.append(
            {
                "decision": build.action,
                "id": build.id,
                "site": build.site,
                "year": int(d.years[made[0]]) if len(made) else None,
                "capacity_t_per_day": build.capacity_t_per_day,
                "capex_cny": build.capex_cny,
                "forced": build.year is not None and d.allow_builds,
            }
        )
    for j, sid in enumerate(one.station_ids):
        if not one.station_existing[j]:
            continue
        shut = np.flatnonzero(v["y"][:, j] < 0.5)
        if len(shut):
            t = int(shut[0])
            policy = any(sid in y.closed for y in h.years[: t + 1])
            rows.append(
                {
                    "decision": "close" if policy else "retire",
                    "id": "",
                    "site": sid,
                    "year": int(d.years[t]),
                    "capacity_t_per_day": float(d.station_capacity[j]),
                    "capex_cny": 0.0,
                    "forced": policy or d.station_fixed[t, j] == 0,
                }
            )
    for k, kid in enumerate(one.plant_ids):
        shut = np.flatnonzero(d.plant_open[:, k] < 0.5)
        if len(shut):
            rows.append(
                {
                    "decision": "close",
                    "id": "",
                    "site": kid,
                    "year": int(d.years[int(shut[0])]),
                    "capacity_t_per_day": float(d.plant_capacity[k]),
                    "capex_cny": 0.0,
                    "forced": True,
                }
            )
    out = pd.DataFrame(
        rows,
        columns=["decision", "id", "site", "year", "capacity_t_per_day", "capex_cny", "forced"],
    )
    out["year"] = out["year"].astype("Int64")
    return out


def _binding(scenario: Scenario, plan: YearsRun, as_is: YearsRun) -> pd.DataFrame:
    """Per plant: the first year it binds with the plan and without builds, the last year
    it is enough without builds, and its peak utilisation without builds."""
    rows = []
    for k in scenario.facilities:
        row: dict[str, object] = {"plant": k.id, "name": k.name, "kind": k.kind}
        for label, run in (("plan", plan), ("as_is", as_is)):
            first = None
            if run.solved:
                s = run.sites[(run.sites["site"] == k.id) & run.sites["binds"]]
                first = int(s["year"].min()) if len(s) else None
            row[f"binds_{label}"] = first
        first_as_is = row["binds_as_is"]
        end = scenario.horizon.end_year if scenario.horizon else None
        row["enough_until"] = (
            f"beyond {end}" if first_as_is is None else str(int(str(first_as_is)) - 1)
        )
        if as_is.solved:
            s = as_is.sites[as_is.sites["site"] == k.id]
            row["peak_utilisation_as_is"] = float(s["utilisation"].max())
        rows.append(row)
    rows += _stream_binding(scenario, plan, as_is)
    out = pd.DataFrame(rows)
    for col in ("binds_plan", "binds_as_is"):
        out[col] = out[col].astype("Int64")
    return out


def _stream_binding(scenario: Scenario, plan: YearsRun, as_is: YearsRun) -> list[dict[str, object]]:
    """Per stream, the plants that accept it taken together (``plant`` = ``stream:<id>``): the
    first year the load offered to them all reaches their summed capacity."""
    end = scenario.horizon.end_year if scenario.horizon else None
    rows: list[dict[str, object]] = []
    tol = scenario.horizon.bind_tolerance_t_per_day if scenario.horizon else 0.0
    for s in scenario.streams:
        ids = [k.id for k in scenario.facilities if s.id in k.streams]
        if not ids:
            continue
        row: dict[str, object] = {"plant": f"stream:{s.id}", "name": s.name_zh or s.name_en}
        row["kind"] = "all plants of the stream"
        for label, run in (("plan", plan), ("as_is", as_is)):
            first = None
            if run.solved:
                g = run.sites[run.sites["site"].isin(ids)].groupby("year")
                cap, offered = g["capacity_t_per_day"].sum(), g["offered_t_per_day"].sum()
                slack = np.minimum(tol, BIND_SHARE * cap)
                hit = cap.index[(offered >= cap - slack) & (cap > 0)]
                first = int(hit.min()) if len(hit) else None
                if label == "as_is":
                    row["peak_utilisation_as_is"] = float((offered / cap).max())
            row[f"binds_{label}"] = first
        first_as_is = row["binds_as_is"]
        row["enough_until"] = (
            f"beyond {end}" if first_as_is is None else str(int(str(first_as_is)) - 1)
        )
        rows.append(row)
    return rows


def _shortfalls(run: YearsRun) -> tuple[str, ...]:
    """Every year and site the plan leaves waste untaken (t/day), and unmet demand by year."""
    if not run.solved:
        return (f"no multi-year plan: solver status {run.status}",)
    out = []
    short = run.sites[run.sites["short_t_per_day"] > 0.01]
    for _, r in short.iterrows():
        out.append(f"{r['year']} {r['site']}: {r['short_t_per_day']:.1f} t/day not taken")
    stations = run.sites[run.sites["kind"] == "station"]
    for _, r in run.unserved[run.unserved["t_per_day"] > 0.01].iterrows():
        year = stations[stations["year"] == r["year"]]
        full = year[year["open"] & (year["utilisation"] >= 0.999)]["site"].tolist()
        more = f" and {len(full) - 5} more" if len(full) > 5 else ""
        where = f" ({len(full)} stations full: {', '.join(full[:5])}{more})" if full else ""
        out.append(
            f"{r['year']} stream {r['stream']}: {r['t_per_day']:.1f} t/day no open site "
            f"can take{where}"
        )
    return tuple(out)
