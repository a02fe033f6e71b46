"""The station consolidation MILP of :mod:`wasteopt.facilities.model` as a Pyomo model, one
component per constraint family (declared in the model's order, which fixes the row order),
solved by the HiGHS adapter :mod:`wasteopt.facilities._highs`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from wasteopt.facilities._highs import (
    FloatArray,
    MilpOutcome,
    PyomoApi,
    gc_paused,
    lin,
    pyomo_api,
    solve_model,
    variable_values,
)
from wasteopt.facilities.inputs import IntArray
from wasteopt.facilities.model import FacilityModelData

__all__ = ["solve_facility_model"]


@gc_paused
def solve_facility_model(
    data: FacilityModelData, *, time_limit_s: float, mip_gap: float, threads: int | None = None
) -> MilpOutcome:
    """Build and solve the consolidation MILP of :mod:`wasteopt.facilities.model`.

    Values: ``y`` (stations), ``x`` (assignment options), ``f`` (transfer arcs), ``short_station``
    (slack u_j, t/day), ``short_plant`` (slack u_ks, t/day, indexed like ``data.short_plant``)
    and ``short_fleet`` (slack u_sΓ, vehicle-hours/day, indexed like ``data.limit_stream``)."""
    api = pyomo_api()
    t0 = time.perf_counter()
    m = _decisions(api, data)
    groups = _Groups.of(data)
    _add_assignment_rows(api, m, data, groups)
    _add_capacity_and_flow_rows(api, m, data, groups)
    _add_station_limit_rows(api, m, data)
    _add_fleet_limit_rows(api, m, data)
    _add_objective(api, m, data)
    build_s = time.perf_counter() - t0

    # the limit covers building the Pyomo model too (tens of seconds at city size)
    solved = solve_model(
        api,
        m,
        time_limit_s=max(0.0, time_limit_s - build_s),
        mip_gap=mip_gap,
        threads=threads,
        lazy=(m.link, m.fleet_hours),  # measured better than every row: see _cflp_milp
    )
    n_j = len(data.station_ids)
    values: dict[str, FloatArray] = {}
    if solved.has_solution:
        values = {
            "y": variable_values(m.y, n_j),
            "x": variable_values(m.x, len(data.opt_pair)),
            "f": variable_values(m.f, len(data.arc_station)),
            "short_station": variable_values(m.us, n_j),
            "short_plant": variable_values(m.uk, len(data.short_plant)),
            "short_fleet": variable_values(m.uh, len(data.limit_stream)),
        }
    return MilpOutcome.of(solved, build_s, values)


def _decisions(api: PyomoApi, d: FacilityModelData) -> Any:
    """The model with its variables: y (bounded by forced decisions, the mode and the policy),
    x, f and the slacks us (station capacity), uk (plant-stream pairs), uh (fleet hours)."""
    pyo = api.pyo
    n_j = len(d.station_ids)
    m = pyo.ConcreteModel(name="facilities")
    m.y = pyo.Var(range(n_j), domain=pyo.Binary)
    for j in range(n_j):
        m.y[j].setlb(float(d.y_lb[j]))
        m.y[j].setub(float(d.y_ub[j]))
    m.x = pyo.Var(range(len(d.opt_pair)), domain=pyo.Binary)
    m.f = pyo.Var(range(len(d.arc_station)), domain=pyo.NonNegativeReals)
    m.us = pyo.Var(range(n_j), domain=pyo.NonNegativeReals)
    m.uk = pyo.Var(range(len(d.short_plant)), domain=pyo.NonNegativeReals)
    m.uh = pyo.Var(range(len(d.limit_stream)), domain=pyo.NonNegativeReals)
    return m


@dataclass(frozen=True, slots=True, kw_only=True)
class _Groups:
    """Options and arcs grouped by the row they enter: options by pair, station options by
    station, direct options and arcs by plant, station options and arcs by (station, stream)
    key j·|S| + s for flow conservation; direct options and arcs by shortfall key i (plant k,
    stream s) and the keys of each plant; ``opt_t`` the t/day an option carries if chosen."""

    by_pair: list[list[int]]
    station_opts: IntArray
    by_station: list[list[int]]
    by_plant_direct: list[list[int]]
    by_plant_arc: list[list[int]]
    keys: list[int]
    opt_by_key: dict[int, IntArray]
    arc_by_key: dict[int, IntArray]
    short_direct: list[list[int]]
    short_arc: list[list[int]]
    short_by_plant: list[list[int]]
    opt_t: list[float]

    @classmethod
    def of(cls, d: FacilityModelData) -> _Groups:
        n_j, n_k = len(d.station_ids), len(d.plant_ids)
        st_opts = np.flatnonzero(d.opt_is_station)
        pl_opts = np.flatnonzero(~d.opt_is_station)
        opt_key = d.opt_site[st_opts] * d.n_streams + d.pair_stream[d.opt_pair[st_opts]]
        arc_key = d.arc_station * d.n_streams + d.arc_stream
        keys = np.unique(np.concatenate([opt_key, arc_key]))
        # shortfall key of each direct option and arc: position of (k, s) in d.short_*
        short_pos = {
            (int(k), int(s)): i
            for i, (k, s) in enumerate(zip(d.short_plant, d.short_stream, strict=True))
        }
        pl_site, pl_stream = d.opt_site[pl_opts], d.pair_stream[d.opt_pair[pl_opts]]
        direct_key = np.array(
            [short_pos[(int(k), int(s))] for k, s in zip(pl_site, pl_stream, strict=True)],
            dtype=np.int64,
        )
        arc_short = np.array(
            [short_pos[(int(k), int(s))] for k, s in zip(d.arc_plant, d.arc_stream, strict=True)],
            dtype=np.int64,
        )
        n_short = len(d.short_plant)
        return cls(
            by_pair=_group(d.opt_pair, len(d.pair_point)),
            station_opts=st_opts,
            by_station=_group(d.opt_site[st_opts], n_j, st_opts),
            by_plant_direct=_group(d.opt_site[pl_opts], n_k, pl_opts),
            by_plant_arc=_group(d.arc_plant, n_k),
            keys=[int(k) for k in keys],
            opt_by_key={int(k): st_opts[opt_key == k] for k in keys},
            arc_by_key={int(k): np.flatnonzero(arc_key == k) for k in keys},
            short_direct=_group(direct_key, n_short, pl_opts),
            short_arc=_group(arc_short, n_short),
            short_by_plant=_group(d.short_plant, n_k),
            opt_t=d.pair_t_per_day[d.opt_pair].tolist(),
        )


def _add_assignment_rows(api: PyomoApi, m: Any, d: FacilityModelData, g: _Groups) -> None:
    """(1) every pair takes exactly one option; (2) x_psj ≤ y_j (the lazy family ``link``)."""
    pyo, x, y = api.pyo, m.x, m.y
    by_pair = g.by_pair
    m.assign = pyo.Constraint(
        range(len(by_pair)),
        rule=lambda _m, q: (
            1.0,
            lin(api, [1.0] * len(by_pair[q]), [x[o] for o in by_pair[q]]),
            1.0,
        ),
    )
    site = d.opt_site.tolist()
    m.link = pyo.Constraint(
        g.station_opts.tolist(),
        rule=lambda _m, o: (None, lin(api, (1.0, -1.0), (x[o], y[site[o]])), 0.0),
    )


def _add_capacity_and_flow_rows(api: PyomoApi, m: Any, d: FacilityModelData, g: _Groups) -> None:
    """(3) station capacity with slack us_j, (4) conservation of each stream through each
    station, (5) plant capacity net of the slacks uk_ks, (5b) uk_ks ≤ inflow_ks (a site
    without any option gets no row)."""
    pyo, x, y, f, us, uk = api.pyo, m.x, m.y, m.f, m.us, m.uk
    ot = g.opt_t

    def station_cap(_m: Any, j: int) -> Any:
        os_ = g.by_station[j]
        if len(os_) == 0:
            return pyo.Constraint.Skip
        coefs = [ot[o] for o in os_] + [-float(d.station_capacity_t_per_day[j]), -1.0]
        return (None, lin(api, coefs, [x[o] for o in os_] + [y[j], us[j]]), 0.0)

    m.station_capacity = pyo.Constraint(range(len(d.station_ids)), rule=station_cap)

    def conserve(_m: Any, key: int) -> Any:
        os_, as_ = g.opt_by_key[key], g.arc_by_key[key]
        coefs = [ot[o] for o in os_] + [-1.0] * len(as_)
        return (0.0, lin(api, coefs, [x[o] for o in os_] + [f[a] for a in as_]), 0.0)

    m.conserve = pyo.Constraint(g.keys, rule=conserve)

    def plant_cap(_m: Any, k: int) -> Any:
        os_, as_, us_ = g.by_plant_direct[k], g.by_plant_arc[k], g.short_by_plant[k]
        if len(os_) + len(as_) == 0:
            return pyo.Constraint.Skip
        coefs = [ot[o] for o in os_] + [1.0] * len(as_) + [-1.0] * len(us_)
        xs = [x[o] for o in os_] + [f[a] for a in as_] + [uk[i] for i in us_]
        return (None, lin(api, coefs, xs), float(d.plant_capacity_t_per_day[k]))

    m.plant_capacity = pyo.Constraint(range(len(d.plant_ids)), rule=plant_cap)

    def short_le_inflow(_m: Any, i: int) -> Any:
        os_, as_ = g.short_direct[i], g.short_arc[i]
        coefs = [1.0] + [-ot[o] for o in os_] + [-1.0] * len(as_)
        xs = [uk[i]] + [x[o] for o in os_] + [f[a] for a in as_]
        return (None, lin(api, coefs, xs), 0.0)

    m.short_le_inflow = pyo.Constraint(range(len(d.short_plant)), rule=short_le_inflow)


def _add_station_limit_rows(api: PyomoApi, m: Any, d: FacilityModelData) -> None:
    """(8b) at most (or exactly) one station of each size group; (9) max_stations and the
    capital budget."""
    pyo, y = api.pyo, m.y
    n_j = len(d.station_ids)
    if d.size_groups:
        m.size_group = pyo.Constraint(
            range(len(d.size_groups)),
            rule=lambda _m, g: (
                1.0 if d.size_group_exact[g] else None,
                lin(api, [1.0] * len(d.size_groups[g]), [y[j] for j in d.size_groups[g]]),
                1.0,
            ),
        )
    if d.max_stations is not None:
        m.max_stations = pyo.Constraint(
            expr=lin(api, [1.0] * n_j, [y[j] for j in range(n_j)]) <= d.max_stations
        )
    if d.capital_budget_cny is not None:
        m.budget = pyo.Constraint(
            expr=lin(api, d.station_capital_cny.tolist(), [y[j] for j in range(n_j)])
            <= d.capital_budget_cny
        )


def _add_fleet_limit_rows(api: PyomoApi, m: Any, d: FacilityModelData) -> None:
    """(11) the vehicle-hours of the options only a restricted class set reaches, less the
    slack uh (u_sΓ), fit that set's fleet hours (the lazy family ``fleet_hours``: rarely
    binding, and each row is as long as the lane and residential options together)."""
    ptr, opt = d.limit_ptr.tolist(), d.limit_opt.tolist()
    hours = d.opt_vehicle_h_per_day.tolist()

    def fleet_hours(_m: Any, r: int) -> Any:
        os_ = opt[ptr[r] : ptr[r + 1]]
        coefs = [hours[o] for o in os_] + [-1.0]
        xs = [m.x[o] for o in os_] + [m.uh[r]]
        return (None, lin(api, coefs, xs), float(d.limit_capacity_h_per_day[r]))

    m.fleet_hours = api.pyo.Constraint(range(len(d.limit_stream)), rule=fleet_hours)


def _add_objective(api: PyomoApi, m: Any, d: FacilityModelData) -> None:
    """Station, option and arc costs (gate fees on inflow), the shortfall penalty on every
    slack less the gate fee a plant's short tonnes do not pay, the short fleet hours, the
    constant."""
    n_j, n_u, n_h = len(d.station_ids), len(d.short_plant), len(d.limit_stream)
    pen = float(d.shortfall_penalty_cny_per_year_per_t_per_day)
    gate = d.plant_gate_cny_per_year_per_t_day[d.short_plant]
    coefs = (
        d.station_open_cost_cny_per_year.tolist()
        + d.opt_cost_cny_per_year.tolist()
        + d.arc_cost_cny_per_year_per_t_day.tolist()
        + [pen] * n_j
        + (pen - gate).tolist()
        + d.limit_penalty_cny_per_year_per_h.tolist()
    )
    xs = (
        [m.y[j] for j in range(n_j)]
        + [m.x[o] for o in range(len(d.opt_pair))]
        + [m.f[a] for a in range(len(d.arc_station))]
        + [m.us[j] for j in range(n_j)]
        + [m.uk[i] for i in range(n_u)]
        + [m.uh[r] for r in range(n_h)]
    )
    m.obj = api.pyo.Objective(
        expr=lin(api, coefs, xs, constant=float(d.constant_cny_per_year)),
        sense=api.pyo.minimize,
    )


def _group(keys: IntArray, n: int, items: IntArray | None = None) -> list[list[int]]:
    """``out[k]`` = the items (default: positions) whose key is k, in input order."""
    out: list[list[int]] = [[] for _ in range(n)]
    src = range(len(keys)) if items is None else items
    for key, item in zip(keys.tolist(), list(src), strict=True):
        out[key].append(int(item))
    return out
