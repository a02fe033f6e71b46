r"""The multi-year facility plan: when to build, expand, retire or close stations and plants
over a horizon of years with growing generation, changing capture rates and compliance, and
growing external load on shared plants (model stated here; coefficients assembled with numpy;
the Pyomo model in :mod:`wasteopt.facilities._years_milp`; tables in
:mod:`wasteopt.facilities.years_plan`).

Demand and costs come from the one-year model (:mod:`wasteopt.facilities.model`), built once in
``free`` mode with demand zones (:mod:`wasteopt.facilities.zones`), so every station that may
ever open has its options: a pair q = (zone, stream) may send waste to a station or straight to a
plant (option o), a station ships to plants over arcs a. A candidate station without a
``build`` row is planned as closed, so its pairs get the direct options a missing station
calls for; each zone may use its 8 cheapest stations (``zone_sites``). Each option's and arc's
yearly cost per
t/day (collection, station handling, haul, gate fee) is the one-year coefficient divided by the
pair's tonnage: costs are linear in tonnes (the local tours' constant and the scarce-class
vehicle limits of the one-year model are left out).

Sets: years t = 0 … T−1 (calendar ``start_year`` + t), pairs q, options o(q), arcs a, stations j,
plants k, builds b (``builds.csv``), shortfall keys i = (k, s).

Data
----
W_tq     t/day   w_q · m_ts · (1 − n_q (1 − c_t)): w_q the pair's tonnage in the scenario;
                 m_ts = I_t · β_s(capture_t) / β_s(capture_0) with I_t ``generation_index`` and
                 β_s the stream's bin share (:func:`wasteopt.generation.bin_shares`: captured
                 waste leaves the residual stream); n_q the share of q's tonnes at points that
                 are not ``compliant`` (0 unless ``refuse_unsorted``), c_t ``compliant_share``
E_tk     t/day   external load (``external_t_per_day``, grown per year)
K_k      t/day   plant capacity (0 for a plant that only exists once a ``build`` row builds it)
π_tk     –       1 while plant k is open, 0 from the year ``years.csv`` closes it
K_j, F_j t/day, CNY/yr   station capacity, fixed + staff cost per open year
C_j      CNY     ``closing_cost_cny`` paid in the year a station is retired
Δ_b, X_b, O_b, L_b       t/day added, capex (CNY, in the build year), fixed cost per year,
                         lifetime (years) of build b; the capex is paid against the budgets
                         in the build year and charged in the objective as the annuity A_b
A_b      CNY/yr  X_b · CRF(r, L_b): the capital charge, paid every year b stands
δ_t      –       1 / (1 + r)^t, r = ``discount_rate``
P        CNY/yr per t/day   365 × ``shortfall_penalty_cny_per_t``; a tonne with no open site
                 (u) costs 2 P, so a full plant shows as that plant's shortfall (v), not as
                 waste left at the points
B_t, B   CNY     capital budget of year t, of the horizon

Decisions
---------
z_bt ∈ {0,1}     build b in year t (only in earliest … latest; forced where ``year`` is set)
S_bt = Σ_{t−L_b < τ ≤ t} z_bτ   build b stands in year t (an expression)
y_jt ∈ {0,1}     station j open in year t
x_ot, f_at ≥ 0   t/day by option o, by arc a
u_tq, v_ti, e_tk ≥ 0   t/day unmet at pair q (no open site), refused at plant k for stream s,
                 external load plant k cannot take — all named and reported, never silent

Constraints
-----------
(1) demand       Σ_o x_ot + u_tq = W_tq
(2) station cap. Σ_{o→j} x_ot ≤ K_j y_jt + Σ_{b expands j} Δ_b S_bt;   S_bt ≤ y_jt
(3) conservation Σ_{o→j, stream s} x_ot = Σ_{a from j, s} f_at
(4) plant cap.   Σ_s (in_tks − v_tks) + E_tk − e_tk ≤ π_tk (K_k + Σ_{b at k} Δ_b S_bt);
                 v_tks ≤ in_tks; e_tk ≤ E_tk
(5) stations     existing, ``decision`` free and ``retire_stations``: y_jt ≤ y_j,t−1 (once
                 retired stays closed); other existing: open; a candidate with a ``build`` row:
                 y_jt = S_bt; any other candidate: closed; a site ``years.csv`` closes: 0 from
                 that year (stations and plants); a station the one-year model may never open
                 (``decision`` close, the standard policy): closed
(6) builds       Σ_t z_bt ≤ 1; budget Σ_b X_b z_bt ≤ B_t; Σ_t Σ_b X_b z_bt ≤ B

Objective: min Σ_t δ_t [Σ_o c_o x_ot + Σ_a c_a f_at + P (2 Σ u + Σ v + Σ e)
                        + Σ_j F_j y_jt + Σ_j C_j (y_j,t−1 − y_jt) + Σ_b (A_b + O_b) S_bt]

A plant **binds** in year t when the load offered to it (this scenario's inflow, refused tonnes
included, plus external load) is at least its capacity minus ``bind_tolerance_t_per_day`` (at
most 1 % of the capacity); a stream binds when the load offered to all its plants reaches
their summed capacity. The plan is solved twice: with builds (the plan) and without any (the
system as it stands, with the policy's closures and no retirement): "enough until year N" is
the year before the first binding year of the second.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from wasteopt.errors import InputError, Problem
from wasteopt.facilities.collection import DistanceSource, FloatArray
from wasteopt.facilities.inputs import IntArray
from wasteopt.facilities.model import FacilityModelData, build_model_data
from wasteopt.facilities.settings import FacilitySettings, capital_recovery_factor
from wasteopt.generation import bin_shares
from wasteopt.scenario.horizon import PlanningHorizon
from wasteopt.scenario.model import Scenario

__all__ = [
    "UNSERVED_FACTOR",
    "YEARS_ZONE_POINTS",
    "YearsModelData",
    "as_is_data",
    "build_years_data",
    "years_settings",
]

YEARS_ZONE_POINTS = 300
"""Demand zones of the multi-year model above this many points: every year repeats the flows, so
the zones are coarser than the one-year plan's (Nanjing's 20,000 points as 300 zones)."""


UNSERVED_FACTOR = 2.0
"""A tonne with no open site costs this × the shortfall penalty (module docstring)."""


def years_settings(time_limit_s: float = 120.0, mip_gap: float = 1e-4) -> FacilitySettings:
    """The one-year settings the multi-year coefficients are taken from: ``free`` mode (every
    station that may ever open has options), coarse zones, the 8 cheapest stations per zone
    (the one-year default)."""
    return FacilitySettings(
        mode="free",
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
        zone_points=YEARS_ZONE_POINTS,
        zone_sites=8,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class YearsModelData:
    """Every coefficient of the multi-year MILP (module docstring), as arrays over years t,
    pairs q, options o, arcs a, stations j, plants k, builds b and shortfall keys i.
    ``station_fixed[t, j]``: 1 or 0 where y_jt is fixed, -1 where the plan decides;
    ``station_build[j]``: the build that makes candidate j exist (-1: none);
    ``build_site_station``: the station each expansion adds capacity to (-1: none, also for
    a station's own build); ``build_site_plant``: the plant of each build (-1: none)."""

    one_year: FacilityModelData
    horizon: PlanningHorizon
    years: tuple[int, ...]
    discount: FloatArray
    demand: FloatArray  # [t, q]
    option_cost: FloatArray  # per t/day per year
    arc_cost: FloatArray
    external: FloatArray  # [t, k]
    plant_capacity: FloatArray  # [k]
    plant_open: FloatArray  # [t, k]
    station_capacity: FloatArray
    station_cost: FloatArray  # fixed + staff per open year
    station_closing: FloatArray
    station_fixed: IntArray  # [t, j]
    station_retirable: IntArray  # [j] 1: existing, free, may retire
    station_build: IntArray
    build_site_station: IntArray
    build_site_plant: IntArray
    build_capacity: FloatArray
    build_capex: FloatArray
    build_charge: FloatArray  # capital annuity + fixed cost per standing year
    build_allowed: IntArray  # [t, b] 1 where z_bt may be 1
    build_forced: IntArray  # [b] forced year index, -1: free
    build_life: IntArray  # whole years a build stands
    budget: FloatArray  # [t], inf: none
    budget_total: float
    penalty: float
    allow_builds: bool


def build_years_data(
    scenario: Scenario,
    rates_kg_per_day: FloatArray,
    matrix: DistanceSource,
    settings: FacilitySettings,
    *,
    allow_builds: bool = True,
) -> YearsModelData:
    """The multi-year coefficients of ``scenario`` (which must have a horizon) from its
    expected rates; ``allow_builds`` False gives the system as it stands (no build, no
    retirement, only the policy's closures). Raises InputError without a horizon."""
    h = scenario.horizon
    if h is None:
        raise InputError(
            [
                Problem(
                    file="scenario.toml",
                    message="the scenario has no [horizon]",
                    expected="a [horizon] section (docs/scenario-format.md, Horizon)",
                )
            ]
        )
    planning = dataclasses.replace(scenario.planning, mode="free", refuse_unsorted=False)
    # a candidate no build row builds never opens: the one-year model then gives its pairs
    # the direct options a missing station calls for
    buildable = {b.site for b in h.builds if b.action == "build"}
    stations = tuple(
        dataclasses.replace(s, decision="close")
        if s.status == "candidate" and s.id not in buildable
        else s
        for s in scenario.stations
    )
    one = build_model_data(
        dataclasses.replace(scenario, planning=planning, stations=stations),
        rates_kg_per_day,
        matrix,
        settings,
    )
    days = settings.costs.days_per_year
    w = np.maximum(one.pair_t_per_day, 1e-12)
    return YearsModelData(
        one_year=one,
        horizon=h,
        years=h.year_numbers,
        discount=(1.0 + h.discount_rate) ** -np.arange(len(h.years), dtype=float),
        demand=_demand(scenario, h, one),
        option_cost=one.opt_cost_cny_per_year / w[one.opt_pair],
        arc_cost=one.arc_cost_cny_per_year_per_t_day,
        external=np.array(
            [[y.external_t_per_day[k] for k in one.plant_ids] for y in h.years], float
        ),
        **_plants(scenario, h),
        **_stations(scenario, h, one, allow_builds),
        **_builds(scenario, h, allow_builds),
        budget=np.array([np.inf if y.budget_cny is None else y.budget_cny for y in h.years]),
        budget_total=np.inf if h.budget_cny_total is None else h.budget_cny_total,
        penalty=days * planning.shortfall_penalty_cny_per_t,
        allow_builds=allow_builds,
    )


def as_is_data(scenario: Scenario, d: YearsModelData) -> YearsModelData:
    """``d`` for the system as it stands: no build, no retirement, the policy's closures."""
    h = d.horizon
    return dataclasses.replace(
        d,
        **_stations(scenario, h, d.one_year, False),
        **_builds(scenario, h, False),
        allow_builds=False,
    )


def _demand(scenario: Scenario, h: PlanningHorizon, one: FacilityModelData) -> FloatArray:
    """W_tq: each pair's tonnes grown by the year's index, capture and compliance."""
    base = bin_shares(scenario)
    factors = []
    for y in h.years:
        streams = tuple(
            dataclasses.replace(s, capture_rate=y.capture[s.id]) for s in scenario.streams
        )
        shares = bin_shares(dataclasses.replace(scenario, streams=streams))
        ratio = np.divide(shares, base, out=np.ones_like(shares), where=base > 0)
        factors.append(y.generation_index * ratio)
    m = np.array(factors)  # [t, s]
    refused = np.zeros(len(one.pair_stream))
    if scenario.planning.refuse_unsorted:
        bad = np.array([not p.compliant for p in scenario.points], float)
        part = bad[one.member_point] * one.member_t_per_day
        sums = np.add.reduceat(part, one.member_ptr[:-1]) if len(part) else refused
        refused = sums / np.maximum(one.pair_t_per_day, 1e-12)
    comply = np.array([y.compliant_share for y in h.years])
    keep = 1.0 - np.outer(1.0 - comply, refused)  # [t, q]
    out: FloatArray = one.pair_t_per_day[None, :] * m[:, one.pair_stream] * keep
    return out


def _plants(scenario: Scenario, h: PlanningHorizon) -> dict[str, Any]:
    """K_k (0 for a plant a ``build`` row creates) and π_tk (closed by policy)."""
    new = {b.site for b in h.builds if b.action == "build"}
    cap = np.array(
        [0.0 if k.id in new else k.capacity_t_per_day for k in scenario.facilities], float
    )
    open_ = np.array([[k.id not in y.closed for k in scenario.facilities] for y in h.years], float)
    return {"plant_capacity": cap, "plant_open": open_}


def _stations(
    scenario: Scenario, h: PlanningHorizon, one: FacilityModelData, allow_builds: bool
) -> dict[str, Any]:
    """Station capacity, cost, closing cost, which y_jt are fixed, which may retire."""
    n_t, sts = len(h.years), scenario.stations
    built = {b.site: i for i, b in enumerate(h.builds) if b.action == "build"}
    fixed = np.full((n_t, len(sts)), -1, np.int64)
    retirable = np.zeros(len(sts), np.int64)
    build_of = np.full(len(sts), -1, np.int64)
    for j, st in enumerate(sts):
        if one.y_ub[j] < 0.5:
            fixed[:, j] = 0  # never opens (decision close, standard policy)
        elif st.status == "candidate":
            build_of[j] = built.get(st.id, -1)
            if build_of[j] < 0:
                fixed[:, j] = 0
        elif allow_builds and h.retire_stations and st.decision == "free":
            retirable[j] = 1
        else:
            fixed[:, j] = 1
        for t, y in enumerate(h.years):
            if st.id in y.closed:
                fixed[t, j] = 0
    return {
        "station_capacity": one.station_capacity_t_per_day,
        "station_cost": one.station_fixed_cny_per_year + one.station_staff_cny_per_year,
        "station_closing": np.array([s.closing_cost_cny for s in sts], float),
        "station_fixed": fixed,
        "station_retirable": retirable,
        "station_build": build_of,
    }


def _builds(scenario: Scenario, h: PlanningHorizon, allow_builds: bool) -> dict[str, Any]:
    """Each build's site, capacity, capex, yearly charge, allowed and forced years, life."""
    st_pos = {s.id: j for j, s in enumerate(scenario.stations)}
    k_pos = {k.id: i for i, k in enumerate(scenario.facilities)}
    bs, years = h.builds, h.year_numbers
    allowed = np.zeros((len(years), len(bs)), np.int64)
    forced = np.full(len(bs), -1, np.int64)
    for b, build in enumerate(bs):
        for t, year in enumerate(years):
            allowed[t, b] = int(allow_builds and build.earliest_year <= year <= build.latest_year)
        if allow_builds and build.year is not None:
            forced[b] = years.index(build.year)
    return {
        # a station build is the station's own y (station_build), not capacity added to it
        "build_site_station": np.array(
            [st_pos.get(b.site, -1) if b.action == "expand" else -1 for b in bs], np.int64
        ),
        "build_site_plant": np.array([k_pos.get(b.site, -1) for b in bs], np.int64),
        "build_capacity": np.array([b.capacity_t_per_day for b in bs], float),
        "build_capex": np.array([b.capex_cny for b in bs], float),
        "build_charge": np.array(
            [
                b.capex_cny * capital_recovery_factor(h.discount_rate, b.lifetime_years)
                + b.fixed_cost_cny_per_year
                for b in bs
            ],
            float,
        ),
        "build_allowed": allowed,
        "build_forced": forced,
        "build_life": np.array([max(1, round(b.lifetime_years)) for b in bs], np.int64),
    }
