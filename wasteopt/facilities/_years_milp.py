"""The multi-year facility MILP of :mod:`wasteopt.facilities.years` as a Pyomo model, one
component per constraint family, solved by the HiGHS adapter :mod:`wasteopt.facilities._highs`.

Every variable family is flat over (year, item): index ``t * n + i``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wasteopt.facilities._highs import (
    MilpOutcome,
    PyomoApi,
    gc_paused,
    lin,
    pyomo_api,
    solve_model,
    variable_values,
)
from wasteopt.facilities.years import UNSERVED_FACTOR, YearsModelData

__all__ = ["solve_years_model"]


def _group(
    keys: Sequence[int] | np.ndarray, n: int, items: Sequence[int] | None = None
) -> list[list[int]]:
    """``items`` (default 0..len-1) grouped by ``keys`` into ``n`` lists."""
    out: list[list[int]] = [[] for _ in range(n)]
    for pos, key in enumerate(keys):
        out[int(key)].append(pos if items is None else int(items[pos]))
    return out


@dataclass(frozen=True, slots=True)
class _Index:
    """Options, arcs and builds grouped by the rows they enter."""

    by_pair: list[list[int]]
    by_station: list[list[int]]
    conserve: list[tuple[list[int], list[int]]]  # (station options, arcs) of one (j, s)
    direct_by_short: list[list[int]]
    arc_by_short: list[list[int]]
    short_by_plant: list[list[int]]
    builds_by_station: list[list[int]]
    builds_by_plant: list[list[int]]

    @classmethod
    def of(cls, d: YearsModelData) -> _Index:
        one = d.one_year
        n_j, n_k, n_s = len(one.station_ids), len(one.plant_ids), one.n_streams
        st = np.flatnonzero(one.opt_is_station)
        pl = np.flatnonzero(~one.opt_is_station)
        opt_key = one.opt_site[st] * n_s + one.pair_stream[one.opt_pair[st]]
        arc_key = one.arc_station * n_s + one.arc_stream
        conserve = [
            (st[opt_key == key].tolist(), np.flatnonzero(arc_key == key).tolist())
            for key in np.unique(np.concatenate([opt_key, arc_key]))
        ]
        short = {
            (int(k), int(s)): i
            for i, (k, s) in enumerate(zip(one.short_plant, one.short_stream, strict=True))
        }
        direct_key = [
            short[(int(one.opt_site[o]), int(one.pair_stream[one.opt_pair[o]]))] for o in pl
        ]
        arc_short = [
            short[(int(k), int(s))] for k, s in zip(one.arc_plant, one.arc_stream, strict=True)
        ]
        n_i = len(one.short_plant)
        return cls(
            by_pair=_group(one.opt_pair, len(one.pair_stream)),
            by_station=_group(one.opt_site[st], n_j, st.tolist()),
            conserve=conserve,
            direct_by_short=_group(direct_key, n_i, pl.tolist()),
            arc_by_short=_group(arc_short, n_i),
            short_by_plant=_group(one.short_plant, n_k),
            builds_by_station=_owned(d.build_site_station, n_j),
            builds_by_plant=_owned(d.build_site_plant, n_k),
        )


def _owned(site: np.ndarray, n: int) -> list[list[int]]:
    """The builds at each site (site -1: not of this kind)."""
    out: list[list[int]] = [[] for _ in range(n)]
    for b, s in enumerate(site.tolist()):
        if s >= 0:
            out[s].append(b)
    return out


@gc_paused
def solve_years_model(d: YearsModelData, *, time_limit_s: float, mip_gap: float) -> MilpOutcome:
    """Build and solve the multi-year MILP. Values (flat over year × item): ``x`` options,
    ``f`` arcs, ``u`` unmet per pair, ``v`` refused per shortfall key, ``e`` external load
    not taken per plant, ``y`` stations open, ``z`` builds made that year."""
    api = pyomo_api()
    t0 = time.perf_counter()
    g = _Index.of(d)
    m = _variables(api, d)
    _demand_rows(api, m, d, g)
    _station_rows(api, m, d, g)
    _plant_rows(api, m, d, g)
    _build_rows(api, m, d)
    _objective(api, m, d)
    build_s = time.perf_counter() - t0
    solved = solve_model(
        api, m, time_limit_s=max(1.0, time_limit_s - build_s), mip_gap=mip_gap, threads=None
    )
    values = {}
    if solved.has_solution:
        values = {name: variable_values(getattr(m, name), n) for name, n in _sizes(d).items()}
    return MilpOutcome.of(solved, build_s, values)


def _sizes(d: YearsModelData) -> dict[str, int]:
    one, n_t = d.one_year, len(d.years)
    return {
        "x": n_t * len(one.opt_pair),
        "f": n_t * len(one.arc_station),
        "u": n_t * len(one.pair_stream),
        "v": n_t * len(one.short_plant),
        "e": n_t * len(one.plant_ids),
        "y": n_t * len(one.station_ids),
        "z": n_t * len(d.build_capex),
    }


def _variables(api: PyomoApi, d: YearsModelData) -> Any:
    """The model with its variables, fixed stations and builds bounded."""
    pyo = api.pyo
    n = _sizes(d)
    m = pyo.ConcreteModel(name="facility_years")
    for name in ("x", "f", "u", "v", "e"):
        setattr(m, name, pyo.Var(range(n[name]), domain=pyo.NonNegativeReals))
    m.y = pyo.Var(range(n["y"]), domain=pyo.Binary)
    m.z = pyo.Var(range(n["z"]), domain=pyo.Binary)
    for i, x in enumerate(d.external.ravel().tolist()):
        m.e[i].setub(x)
    for i, fixed in enumerate(d.station_fixed.ravel().tolist()):
        if fixed >= 0:
            m.y[i].setlb(float(fixed))
            m.y[i].setub(float(fixed))
    one = d.one_year
    direct = np.flatnonzero(~one.opt_is_station)
    n_o, n_a = len(one.opt_pair), len(one.arc_station)
    via = np.flatnonzero(one.opt_is_station)
    for t, row in enumerate(d.plant_open):  # nothing is sent to a closed plant or station
        for o in direct[row[one.opt_site[direct]] < 0.5].tolist():
            m.x[t * n_o + o].setub(0.0)
        for o in via[d.station_fixed[t, one.opt_site[via]] == 0].tolist():
            m.x[t * n_o + o].setub(0.0)
        for a in np.flatnonzero(row[one.arc_plant] < 0.5).tolist():
            m.f[t * n_a + a].setub(0.0)
    n_b = len(d.build_capex)
    for i, ok in enumerate(d.build_allowed.ravel().tolist()):
        m.z[i].setub(float(ok))
    for b, t in enumerate(d.build_forced.tolist()):
        if t >= 0:
            m.z[t * n_b + b].setlb(1.0)
    return m


def _standing(d: YearsModelData, b: int, t: int) -> list[int]:
    """The z indices whose build b stands in year t: built in (t − life, t]."""
    n_b = len(d.build_capex)
    first = max(0, t - int(d.build_life[b]) + 1)
    return [tau * n_b + b for tau in range(first, t + 1)]


def _demand_rows(api: PyomoApi, m: Any, d: YearsModelData, g: _Index) -> None:
    """(1) every pair's tonnes go by its options or are unmet."""
    n_q, n_o = len(g.by_pair), len(d.one_year.opt_pair)
    w = d.demand

    def row(_m: Any, i: int) -> Any:
        t, q = divmod(i, n_q)
        xs = [m.x[t * n_o + o] for o in g.by_pair[q]] + [m.u[i]]
        rhs = float(w[t, q])
        return (rhs, lin(api, [1.0] * len(xs), xs), rhs)

    m.demand = api.pyo.Constraint(range(len(d.years) * n_q), rule=row)


def _station_rows(api: PyomoApi, m: Any, d: YearsModelData, g: _Index) -> None:
    """(2) station capacity with expansions, (3) conservation, (5) retirement is monotone,
    candidates exist once built, expansions only while open."""
    pyo, one = api.pyo, d.one_year
    n_t, n_j, n_o, n_a = len(d.years), len(one.station_ids), len(one.opt_pair), len(one.arc_station)
    cap = d.station_capacity

    def capacity(_m: Any, i: int) -> Any:
        t, j = divmod(i, n_j)
        xs = [m.x[t * n_o + o] for o in g.by_station[j]]
        coefs = [1.0] * len(xs) + [-float(cap[j])]
        xs.append(m.y[i])
        for b in g.builds_by_station[j]:
            zs = [m.z[k] for k in _standing(d, b, t)]
            coefs += [-float(d.build_capacity[b])] * len(zs)
            xs += zs
        return (None, lin(api, coefs, xs), 0.0)

    m.station_capacity = pyo.Constraint(range(n_t * n_j), rule=capacity)
    n_c = len(g.conserve)

    def conserve(_m: Any, i: int) -> Any:
        t, c = divmod(i, n_c)
        os_, as_ = g.conserve[c]
        xs = [m.x[t * n_o + o] for o in os_] + [m.f[t * n_a + a] for a in as_]
        return (0.0, lin(api, [1.0] * len(os_) + [-1.0] * len(as_), xs), 0.0)

    m.conserve = pyo.Constraint(range(n_t * n_c), rule=conserve)
    rows: list[tuple[list[float], list[Any]]] = []
    for j in range(n_j):
        for t in range(n_t):
            if d.station_retirable[j] and t > 0:
                rows.append(([1.0, -1.0], [m.y[t * n_j + j], m.y[(t - 1) * n_j + j]]))
            b = int(d.station_build[j])
            closed = d.station_fixed[t, j] == 0  # by policy: a build standing stays shut
            if b >= 0:
                zs = [m.z[k] for k in _standing(d, b, t)]
                rows.append(([1.0] + [-1.0] * len(zs), [m.y[t * n_j + j], *zs]))
                if not closed:
                    rows.append(([-1.0] + [1.0] * len(zs), [m.y[t * n_j + j], *zs]))
            if closed:
                continue
            for e in g.builds_by_station[j]:
                zs = [m.z[k] for k in _standing(d, e, t)]
                rows.append(([1.0] * len(zs) + [-1.0], [*zs, m.y[t * n_j + j]]))
    m.station_links = pyo.Constraint(
        range(len(rows)), rule=lambda _m, r: (None, lin(api, *rows[r]), 0.0)
    )


def _plant_rows(api: PyomoApi, m: Any, d: YearsModelData, g: _Index) -> None:
    """(4) plant capacity with expansions net of refused tonnes and external load not taken;
    refused ≤ inflow."""
    pyo, one = api.pyo, d.one_year
    n_k, n_i = len(one.plant_ids), len(one.short_plant)
    n_o, n_a = len(one.opt_pair), len(one.arc_station)

    def inflow(t: int, i: int) -> list[Any]:
        return [m.x[t * n_o + o] for o in g.direct_by_short[i]] + [
            m.f[t * n_a + a] for a in g.arc_by_short[i]
        ]

    def capacity(_m: Any, r: int) -> Any:
        t, k = divmod(r, n_k)
        open_ = float(d.plant_open[t, k])
        xs: list[Any] = [m.e[r]]
        coefs = [-1.0]
        for i in g.short_by_plant[k]:
            ins = inflow(t, i)
            xs += [*ins, m.v[t * n_i + i]]
            coefs += [1.0] * len(ins) + [-1.0]
        for b in g.builds_by_plant[k]:
            zs = [m.z[z] for z in _standing(d, b, t)]
            xs += zs
            coefs += [-open_ * float(d.build_capacity[b])] * len(zs)
        rhs = open_ * float(d.plant_capacity[k]) - float(d.external[t, k])
        return (None, lin(api, coefs, xs), rhs)

    m.plant_capacity = pyo.Constraint(range(len(d.years) * n_k), rule=capacity)

    def refused(_m: Any, r: int) -> Any:
        t, i = divmod(r, n_i)
        ins = inflow(t, i)
        return (None, lin(api, [1.0] + [-1.0] * len(ins), [m.v[r], *ins]), 0.0)

    m.refused = pyo.Constraint(range(len(d.years) * n_i), rule=refused)


def _build_rows(api: PyomoApi, m: Any, d: YearsModelData) -> None:
    """(6) each build at most once; capital within each year's and the horizon's budget."""
    pyo, n_t, n_b = api.pyo, len(d.years), len(d.build_capex)
    capex = d.build_capex.tolist()
    m.once = pyo.Constraint(
        range(n_b),
        rule=lambda _m, b: (
            None,
            lin(api, [1.0] * n_t, [m.z[t * n_b + b] for t in range(n_t)]),
            1.0,
        ),
    )
    limited = [t for t in range(n_t) if np.isfinite(d.budget[t]) and n_b]
    m.budget = pyo.Constraint(
        limited,
        rule=lambda _m, t: (
            None,
            lin(api, capex, [m.z[t * n_b + b] for b in range(n_b)]),
            float(d.budget[t]),
        ),
    )
    if np.isfinite(d.budget_total) and n_b:
        m.budget_total = pyo.Constraint(
            expr=lin(api, capex * n_t, [m.z[i] for i in range(n_t * n_b)]) <= d.budget_total
        )


def _objective(api: PyomoApi, m: Any, d: YearsModelData) -> None:
    """Discounted flows, penalties, stations (fixed, staff, closing), builds (capital, fixed)."""
    one, disc = d.one_year, d.discount
    n_t, n_j, n_b = len(d.years), len(one.station_ids), len(d.build_capex)
    coefs: list[float] = []
    xs: list[Any] = []
    for t in range(n_t):
        for name, cost in (("x", d.option_cost), ("f", d.arc_cost)):
            n = len(cost)
            coefs += (disc[t] * cost).tolist()
            xs += [getattr(m, name)[t * n + i] for i in range(n)]
        for name, factor in (("u", UNSERVED_FACTOR), ("v", 1.0), ("e", 1.0)):
            n = _sizes(d)[name] // n_t
            coefs += [disc[t] * d.penalty * factor] * n
            xs += [getattr(m, name)[t * n + i] for i in range(n)]
    existing = one.station_existing
    constant = float((d.station_closing * existing).sum()) * float(disc[0])
    for t in range(n_t):
        nxt = disc[t + 1] if t + 1 < n_t else 0.0
        for j in range(n_j):
            c = disc[t] * d.station_cost[j]
            if existing[j]:  # closing cost C_j (y_{t-1} − y_t), y_{-1} = 1
                c += d.station_closing[j] * (nxt - disc[t])
            coefs.append(float(c))
            xs.append(m.y[t * n_j + j])
        for b in range(n_b):  # a build standing in year τ costs its charge that year
            life = int(d.build_life[b])
            coefs.append(float(d.build_charge[b] * disc[t : min(n_t, t + life)].sum()))
            xs.append(m.z[t * n_b + b])
    m.cost = api.pyo.Objective(expr=lin(api, coefs, xs, constant), sense=api.pyo.minimize)
