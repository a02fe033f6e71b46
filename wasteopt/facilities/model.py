r"""The station consolidation model: which transfer stations stay, close or are built, where each
collection point unloads each stream, and how stations ship to treatment plants.

This module states the model and assembles every coefficient with numpy (no solver import)
from its parts: checked inputs (:mod:`~wasteopt.facilities.inputs`), station bounds and costs
(:mod:`~wasteopt.facilities.stations`), assignment options (:mod:`~wasteopt.facilities.options`,
priced with :mod:`~wasteopt.facilities.collection`), the scarce-class limits
(:mod:`~wasteopt.facilities.fleet_limits`) and transfer arcs
(:mod:`~wasteopt.facilities.transfers`). The Pyomo model is built from
:class:`FacilityModelData` in :mod:`wasteopt.facilities._highs`.
All flows are daily averages; all costs are CNY per year (daily amounts × ``days_per_year``,
default 365).

Sets
----
P   collection points (only (p, s) pairs with a positive rate are modelled)
S   streams (kitchen, recyclable, hazardous, other, …)
J   transfer stations, existing and candidate
K   treatment facilities ("plants": incinerator, kitchen-waste plant, landfill, …)

Data (units)
------------
w_ps      t/day       expected generation of stream s at point p (``rates_kg_per_day`` / 1000)
v_ps      visits/day  collection frequency of s at p (``visits_per_day / period_days``)
d(a,b)    km          road distance from site a to site b (``distance_m`` / 1000; may be asymmetric)
cap_j     t/day       station capacity, shared by all streams it accepts
cap_k     t/day       plant capacity left for this scenario, shared by all streams it accepts:
                      ``available_t_per_day`` = ``capacity_t_per_day`` − ``external_t_per_day``
                      (other districts' load at a shared plant comes first)
F_j       CNY/yr      ``fixed_cost_cny_per_year`` (paid while open)
W_j       CNY/yr      staff cost while open: ``staff`` × ``planning.wage_cny_per_person_year``
O_j, C_j  CNY         ``opening_cost_cny`` (candidates), ``closing_cost_cny`` (existing;
                      < 0 = saving)
h_j       CNY/t       ``cost_cny_per_t`` station handling
g_k       CNY/t       ``gate_fee_cny_per_t`` (paid on accepted tonnes only)
P         CNY/t       shortfall penalty: ``planning.shortfall_penalty_cny_per_t`` (default
                      1000), or ``CostSettings.shortfall_penalty_cny_per_t`` when given
ρ_js      –           compaction of stream s at station j (``compaction_for``: the per-stream
                      ``compaction`` entry, else 1 for kitchen waste (no press), else
                      ``compaction_ratio``)
CRF       1/yr        capital recovery factor i(1+i)^n / ((1+i)^n − 1); i = ``interest_rate``
                      (default 0.05), n = ``lifetime_years`` (default 20) → CRF ≈ 0.0802/yr
a_p       –           road access class of point p (``access``: lane, residential, main_road)
R_sa      –           the vehicle classes of stream s's collection types that may serve access
                      class a: ``ACCESS_RULES[a]`` ∩ the stream's classes (lane: e_tricycle)
Collection fleet g = (s, a_p) of pair (p, s): the collection types of s whose
``vehicle_class`` is in R_sa, averaged weighted by ``count`` (all of the stream's types when
R_sa is empty: a point that never has s collected; validation rejects every other one):
c_g       CNY/km      collection ``cost_cny_per_km``
c^t_g     CNY/h       collection ``cost_cny_per_hour`` (crew and running time)
c^d_g     CNY/day     a collection vehicle-day: ``cost_cny_per_day`` (depreciation, insurance)
                      + c^t_g × ``lunch_duration_s`` / 3600 (the crew's paid lunch break)
v_g       km/h        collection ``speed_kmh``
T_g       trips/day   collection ``max_trips``
H_g       h           working hours per shift = shift_end − shift_start − lunch_duration
e_g       kg CO2/km   collection ``co2_kg_per_km``
Q_g       kg per trip collection load per trip = m · min(payload_kg, volume_m3 · density_s),
                      m the routing's ``[planning] fill_margin`` (trips are planned that full)
Restricted class sets Γ of stream s (scarce-class limit (11)): every R_sa that is neither empty
nor all of the stream's collection classes:
η_o       h/day       collection vehicle-hours option o occupies: N_ps · H_g ·
                      max(1/T_g, τ_pjs / H_g) (below)
cap_sΓ    h/day       Σ count × H over the collection types of s with a class in Γ
ψ_sΓ      t/h         what a vehicle of Γ collects in an hour at most: Q_Γ · T_Γ / (1000 H_Γ)
                      (the count-weighted fleet of Γ)
τ^u_j     h           ``unload_time_s`` / 3600 of the station or plant j unloaded at
σ_p       h           ``service_time_s`` / 3600 of point p
c^h_s, c^ht_s, c^hd_s, v^h_s, T^h_s, H^h_s, e^h_s   the same for the haul vehicles of stream
                      s, averaged weighted by ``count`` (``role == "haul"``; all of the
                      stream's collection vehicles if it has none)
Q^h_js    kg per trip haul load per trip of stream s from station j
                      = min(payload_kg, volume_m3 · density_s · ρ_js, 1000 · container_t_j)
                      (how compaction lowers haul cost: fuller trailers, fewer trips; the last
                      term only when the station ships in containers of ``container_t`` t,
                      one container per trip)
α         –           ``CostSettings.km_factor`` (default 1): multiplies every predicted
                      distance; calibrated against routed distances in
                      ``benchmarks/facilities_calibration.py``

Decisions
---------
y_j ∈ {0,1}         station j open (existing: keep = 1 / close = 0; candidate: build = 1)
x_psj ∈ {0,1}       point p sends all of stream s to station j (j accepts s; single sourcing)
z_psk ∈ {0,1}       point p hauls stream s directly to plant k (only if p is a
                    ``large_generator`` and ``allow_direct``, or if no station that may open
                    accepts s; every other pair goes through a station catchment)
f_jsk ≥ 0  t/day    stream s shipped from station j to plant k (k accepts s)
u_j ≥ 0    t/day    capacity shortfall (slack) of station j
u_ks ≥ 0   t/day    tonnes of stream s plant k cannot take (named slack, reported per plant
                    and stream); accepted tonnes = inflow_ks − u_ks
u_sΓ ≥ 0   h/day    collection vehicle-hours restricted class set Γ of stream s is short
                    (named slack, reported per stream and class set)
Streams never share a variable: every assignment and flow carries its stream index s.

Constraints
-----------
(1) assignment     Σ_j x_psj + Σ_k z_psk = 1                        ∀ (p,s) with w_ps > 0
(2) linking        x_psj ≤ y_j                                       ∀ allowed (p,s,j)
                   (lazy rows: only those a relaxation or an incumbent violates reach
                   HiGHS, see :func:`wasteopt.facilities._highs.run_with_lazy_rows`)
(3) station cap.   Σ_s Σ_p w_ps x_psj ≤ cap_j y_j + u_j              ∀ j
(4) conservation   Σ_p w_ps x_psj = Σ_k f_jsk                         ∀ j, s accepted at j
(5) plant cap.     Σ_s (inflow_ks − u_ks) ≤ cap_k                     ∀ k
                   inflow_ks = Σ_j f_jsk + Σ_p w_ps z_psk
(5b) short ≤ in    u_ks ≤ inflow_ks                                   ∀ k, s accepted at k
(6) acceptance     x_psj exists only if j accepts s and some plant accepts s; z_psk and f_jsk
                   only if k accepts s
(7) max haul       no x_psj with d(p,j) > ``max_haul_km``, no z_psk with d(p,k) > ``max_haul_km``
                   (the limit is on collection legs; station→plant transfer is not limited).
                   ``max_haul_km``: ``FacilitySettings.max_haul_km`` when given, else
                   ``planning.max_haul_km`` (None: no limit)
(8) forced         ``decision == "open"`` → y_j = 1; ``decision == "close"`` → y_j = 0.
                   The mode is ``FacilitySettings.mode`` when given, else ``planning.mode``
                   (default ``status_quo``, for ``plan`` and ``run`` alike).
                   ``mode="status_quo"``: existing stations kept (y = 1) and candidates not built
                   (y = 0) unless their ``decision`` says otherwise — the scenario as specified.
                   ``mode="free"``: every other y_j is chosen by the optimiser — a cost-only
                   lower bound (the plan says so): it ignores why stations really stay open.
(8b) size groups   stations sharing a ``size_group`` G (sizes of one site, or rival sites):
                   Σ_{j∈G} y_j ≤ 1. A member forced open closes the others (y = 0); several
                   members forced open give Σ_{j forced} y_j = 1 (build one, the planner picks).
(9) optional       Σ_j y_j ≤ ``max_stations``;
                   Σ_{j candidate} O_j y_j ≤ ``capital_budget_cny`` (forced builds count too)
(10) standard      with ``require_standard`` (``FacilitySettings`` when given, else
                   ``planning``): y_j = 0 for every station with ``meets_standard`` false or
                   ``separates_streams`` false. Such a station forced open is an input
                   conflict (InputError), unless a compliant station of its size group is
                   forced open with it. :func:`wasteopt.facilities.policy_cost` plans with
                   and without the policy and reports the difference.
(11) scarce class  Σ_{o of pairs (p,s) with R_{s a_p} ⊆ Γ} η_o x_o − u_sΓ ≤ cap_sΓ
                                                            ∀ s, restricted class set Γ of s
                   The work of the points only classes of Γ reach (a lane point counts against
                   the residential set too) must fit Γ's fleet: the access rules nest (lane ⊂
                   residential ⊂ main road), so these are Hall's conditions for the restricted
                   work to fit class by class (:mod:`~wasteopt.facilities.fleet_limits`).
                   Lazy rows like (2): a row reaches HiGHS only once a solution violates it.

Collection cost of an option (continuous approximation, Daganzo 1984)
--------------------------------------------------------------------
A load of stream s from point p unloads at site j (station or plant), carried by the fleet
g = (s, a_p) that may reach p (Data: a lane point's kitchen waste by e-tricycles alone, not by
the stream's compactor-dominated average). Per day p generates N_ps = 1000 w_ps / Q_g loads
(trips). Each trip costs

  line haul   c_g·D_pj + c^t_g·D_pj / v_g            D_pj = α (d(p,j) + d(j,p)) km
  unloading   c^t_g·τ^u_j
  vehicle     c^d_g · max(1/T_g, τ_pjs / H_g)       share of a vehicle-day used by the trip:
              a vehicle does at most T_g trips and at most H_g hours of work a day, where
              τ_pjs = D_pj / v_g + τ^u_j + τ^loc_g  is the trip's duration in hours

so the option's collection cost is  C_psj = 365 · N_ps · (line haul + unloading + vehicle)
(CNY/yr; per tonne: divide the per-trip cost by Q_g/1000), and it occupies η_o = N_ps · H_g ·
max(1/T_g, τ_pjs / H_g) vehicle-hours a day (constraint 11). The local part of the tours —
the driving between stops and the service at each stop — does not depend on j:

  L_s = α · κ · sqrt(A_s · n_s)          km/day   (κ/√δ per stop, δ_s = n_s / A_s)
  L_g = L_s · n_g / n_s                  km/day   (each fleet's stops at the stream's κ/√δ)
  S_g = Σ_{p in g} v_ps σ_p              h/day    (service at the fleet's stops)
  τ^loc_g = (L_g / v_g + S_g) / Σ_{p in g} N_ps   h per trip (the local time each trip carries)
  local cost = 365 Σ_g [c_g L_g + c^t_g (L_g / v_g + S_g)]   (a constant)

with n_s = Σ_p v_ps due stops per day (n_g: those of fleet g's points), A_s km² the convex
hull of the points generating s, and
κ = ``tour_constant`` × network circuity (default 0.57 × circuity; Daganzo gives ≈ 0.57 for
Euclidean zones up to ≈ 0.92 for rectilinear ones). Daganzo, "The distance traveled to visit N
points with a maximum of C stops per vehicle", Transp. Sci. 18(4), 1984.

Transfer from station j to plant k, per t/day of stream s (D_jk = α (d(j,k) + d(k,j))):
  A_jsk = 365 · (1000 / Q^h_js) · [c^h_s D_jk + c^ht_s (D_jk / v^h_s + τ^u_k)
                                   + c^hd_s max(1/T^h_s, (D_jk / v^h_s + τ^u_k) / H^h_s)]
Reported per station and stream from the flows (not in the objective): haul trips/day
Σ_k f_jsk · 1000 / Q^h_js, containers filled per day Σ_k f_jsk / container_t (= trips when the
station has no containers), haul vehicle-days/day Σ_k trips_jsk · max(1/T^h_s, τ_jk / H^h_s).

Objective (CNY/yr), minimised
-----------------------------
  Σ_j (F_j + W_j) y_j                                   station operation: fixed + staff
+ Σ_{j cand} CRF·O_j y_j                                annualised building
+ Σ_{j exist} CRF·C_j (1 − y_j)                          annualised closing (negative = saving)
+ 365 Σ_{p,s,j} h_j w_ps x_psj                           station handling
+ Σ_{p,s,j} C_psj x_psj                                  collection to a station
+ Σ_{p,s,k} [C_psk + 365 g_k w_ps] z_psk                 direct delivery to a plant
+ local cost                                            collection local tours (constant)
+ Σ_{j,s,k} [A_jsk + 365 g_k] f_jsk                      transfer haul + gate fees on inflow
− 365 Σ_{k,s} g_k u_ks                                  … less the fees of tonnes not accepted
+ 365 P (Σ_j u_j + Σ_{k,s} u_ks)                        shortfall penalty (part of the cost)
+ 365 P Σ_{s,Γ} ψ_sΓ u_sΓ                                short fleet hours, priced as the
                                                        tonnes they could collect at most

The cost breakdown (CNY/yr, summing to the objective) reports each term: the line haul,
unloading and vehicle parts of C (``collection_line_haul``, ``collection_unloading``,
``collection_vehicle_days``), the local constant ``collection_local``, ``station_fixed``,
``station_staff``, ``station_handling``, ``transfer_haul``, ``gate_fees`` (accepted tonnes),
``shortfall_penalty``, ``fleet_shortfall_penalty`` (short fleet hours),
``station_opening_annualised`` and ``station_closing_annualised``.
:attr:`FacilityPlan.cost_terms` groups them into the six terms of a cost waterfall: tier-1
collection, station operation (fixed + staff + handling), tier-2 haul, plant gate fees,
shortfall penalty (tonnes and fleet hours), annualised capital (opening and closing). Every
shortfall is a priced slack, so the model is always feasible with respect to capacity and the
plan reports which capacity falls short by how much (per station, per plant and stream, and per
stream and restricted vehicle class set in vehicle-hours/day: ``FacilityPlan.fleet_hours``).
With P > g_k a plant is short only when it is full; a P at or below some g_k makes leaving
waste untreated the cheaper choice (the plan notes it).

Reported alongside (not in the objective): CO2 kg/day = collection km·e_g + haul km·e^h_s
(collection km = Σ N_ps D_pj + Σ_g L_g), and
t·km/day = Σ w_ps·d(p, first site) + Σ f_jsk·d(j,k). Plant ``storage_t``/``fallback`` are ignored
(daily averages must fit capacities; what does not fit is the priced shortfall).

City scale: distances and demand zones
--------------------------------------
The model reads only the distances it uses: points × stations and plants (both directions) and
stations × plants, blocks of the travel matrix (at city scale computed on demand, never one
n × n array). Above ``FacilitySettings.zone_points`` points with waste (default 3,000) the points
are aggregated into about that many demand zones (:mod:`wasteopt.facilities.zones`): the pairs
q = (p, s) above become (zone, stream) pairs, x_zsj = 1 sends stream s of every point of zone z
to j, and w, C, η and every reported term of a zone option are the exact sums of its points'
own (no centroid stands in for the points; a zone never mixes access classes, so its points
share one fleet g and one set of limit rows). Only the decision is coarser (one site per zone and
stream); each point inherits its zone's site, so the plan names every point. With zones each
(zone, stream) may use only its ``zone_sites`` cheapest stations (default 8; plants always)
and HiGHS stops at ``zone_mip_gap`` (default 1e-4). What zones and the cheapest-station cut
cost, against the point model where both fit: ``benchmarks/results/facility_zones.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wasteopt.facilities.collection import (
    CollectionEstimate,
    DistanceSource,
    FloatArray,
    estimate_collection,
)
from wasteopt.facilities.fleet_limits import FleetLimits, fleet_limits, limit_options
from wasteopt.facilities.inputs import IntArray, read_model_inputs
from wasteopt.facilities.options import (
    DemandPairs,
    LocalTours,
    Options,
    acceptance,
    demand_pairs,
    fleet_vehicles,
    local_tours,
    option_costs,
    pair_options,
)
from wasteopt.facilities.settings import (
    DEFAULT_SETTINGS,
    CostSettings,
    FacilitySettings,
    PlanMode,
    Planning,
    capital_recovery_factor,
    resolve_planning,
)
from wasteopt.facilities.stations import BoolArray, StationTerms, station_terms
from wasteopt.facilities.transfers import TransferArcs, transfer_arcs
from wasteopt.facilities.zones import (
    ZonedModel,
    cheapest_sites,
    demand_zones,
    identity_members,
    to_zones,
)
from wasteopt.scenario.model import Scenario

__all__ = [
    "CollectionEstimate",
    "CostSettings",
    "DistanceSource",
    "FacilityModelData",
    "PlanMode",
    "Planning",
    "build_model_data",
    "capital_recovery_factor",
    "estimate_collection",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilityModelData:
    """Every coefficient of the MILP, as flat arrays. Demand pairs q = (point, stream) with a
    positive rate, or (zone, stream) with demand zones (:mod:`~wasteopt.facilities.zones`):
    pair q stands for the points ``member_point[member_ptr[q]:member_ptr[q + 1]]`` with
    ``member_t_per_day`` each (itself alone without zones; ``pair_point`` is its first member);
    options o = a pair sent to a station (``opt_is_station``) or a plant;
    arcs a = (station, stream, plant) transfers. Indices point into ``station_ids``,
    ``plant_ids``, ``point_ids`` and ``stream_ids``. Cost arrays are CNY/yr; ``*_per_t_day``
    arrays are per t/day of flow. Shortfall keys i = (``short_plant``, ``short_stream``): the
    plant-stream pairs with a slack u_ks. Scarce-class rows r (constraint 11): stream
    ``limit_stream[r]``, class set ``limit_classes[r]``, options ``limit_opt[limit_ptr[r]:
    limit_ptr[r + 1]]`` with ``opt_vehicle_h_per_day`` each, fleet hours and the price of a
    short hour. ``planning``: the values in force (mode, haul limit, penalty, policy).
    ``zones``: how many demand zones the pairs are over (0: points)."""

    point_ids: tuple[str, ...]
    stream_ids: tuple[str, ...]
    station_ids: tuple[str, ...]
    plant_ids: tuple[str, ...]
    n_streams: int
    # demand pairs
    pair_point: IntArray
    pair_stream: IntArray
    pair_t_per_day: FloatArray
    member_ptr: IntArray
    member_point: IntArray
    member_t_per_day: FloatArray
    # options
    opt_pair: IntArray
    opt_site: IntArray
    opt_is_station: BoolArray
    opt_cost_cny_per_year: FloatArray
    opt_collect_cny_per_year: FloatArray
    opt_linehaul_cny_per_year: FloatArray
    opt_unload_cny_per_year: FloatArray
    opt_vehicle_cny_per_year: FloatArray
    opt_handling_cny_per_year: FloatArray
    opt_gate_cny_per_year: FloatArray
    opt_km_per_day: FloatArray
    opt_t_km_per_day: FloatArray
    opt_co2_kg_per_day: FloatArray
    opt_vehicle_h_per_day: FloatArray
    # scarce-class limits (11): rows r, their options limit_opt[limit_ptr[r]:limit_ptr[r + 1]]
    limit_stream: IntArray
    limit_classes: tuple[str, ...]
    limit_capacity_h_per_day: FloatArray
    limit_penalty_cny_per_year_per_h: FloatArray
    limit_ptr: IntArray
    limit_opt: IntArray
    # transfer arcs
    arc_station: IntArray
    arc_stream: IntArray
    arc_plant: IntArray
    arc_cost_cny_per_year_per_t_day: FloatArray
    arc_haul_cny_per_year_per_t_day: FloatArray
    arc_gate_cny_per_year_per_t_day: FloatArray
    arc_km_per_t: FloatArray
    arc_distance_km: FloatArray
    arc_co2_kg_per_t: FloatArray
    arc_load_t: FloatArray
    arc_vehicle_days_per_trip: FloatArray
    # stations
    station_existing: BoolArray
    station_capacity_t_per_day: FloatArray
    station_fixed_cny_per_year: FloatArray
    station_staff_cny_per_year: FloatArray
    station_opening_cny_per_year: FloatArray
    station_closing_cny_per_year: FloatArray
    station_open_cost_cny_per_year: FloatArray
    station_capital_cny: FloatArray
    y_lb: FloatArray
    y_ub: FloatArray
    station_container_t: FloatArray
    station_containers: IntArray
    # plants: capacity available to this scenario, the external load, gate fee per t/day
    plant_capacity_t_per_day: FloatArray
    plant_external_t_per_day: FloatArray
    plant_gate_cny_per_year_per_t_day: FloatArray
    short_plant: IntArray
    short_stream: IntArray
    # constants and limits
    local_cny_per_year: float
    local_km_per_day: float
    local_co2_kg_per_day: float
    constant_cny_per_year: float
    max_stations: int | None
    capital_budget_cny: float | None
    shortfall_penalty_cny_per_year_per_t_per_day: float
    planning: Planning
    policy_closed: tuple[str, ...] = ()
    unassignable: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())
    # size groups (8b): member station indices, and whether exactly one must open
    size_groups: tuple[tuple[int, ...], ...] = ()
    size_group_exact: tuple[bool, ...] = ()
    zones: int = 0


def build_model_data(
    scenario: Scenario,
    rates_kg_per_day: FloatArray,
    matrix: DistanceSource,
    settings: FacilitySettings = DEFAULT_SETTINGS,
) -> FacilityModelData:
    """Compute every coefficient of the model for ``scenario`` planned with ``settings``.

    ``rates_kg_per_day`` has one row per ``scenario.points`` and one column per
    ``scenario.streams`` (same order). Raises :class:`~wasteopt.errors.InputError` listing every
    problem (bad rate array, ids missing from the matrix, streams without collection vehicles,
    unknown frequencies, bad settings, a station forced open against the standard policy).
    ``settings`` values left at None take the scenario's ``[planning]`` values."""
    cs = settings.costs
    planning = resolve_planning(settings, scenario.planning)
    inputs = read_model_inputs(scenario, rates_kg_per_day, matrix, settings, planning)
    stations = station_terms(scenario.stations, planning, cs)
    accepts = acceptance(scenario, stations.y_ub)
    pairs = demand_pairs(inputs)
    options = pair_options(
        scenario,
        inputs,
        pairs,
        accepts,
        stations.y_ub,
        allow_direct=settings.allow_direct,
        max_haul_km=planning.max_haul_km,
    )
    vehicles = fleet_vehicles(scenario, inputs)
    tours = local_tours(scenario, inputs, vehicles, cs)
    opt = option_costs(scenario, pairs, options, vehicles, tours, cs)
    zone = demand_zones(scenario, inputs.rates, settings.zone_points)
    if zone is None:
        zoned = ZonedModel(pairs=pairs, options=options, costs=opt, members=identity_members(pairs))
    else:
        n_sites = (len(scenario.stations), len(scenario.facilities))
        zoned = cheapest_sites(to_zones(zone, pairs, options, opt, n_sites), settings.zone_sites)
    arcs = transfer_arcs(scenario, inputs, accepts, stations.y_ub, cs)
    notes = _notes(scenario, inputs.active_streams, accepts.has_outlet, planning)
    if zone is not None:
        notes += (_zone_note(zone, len(pairs.point), len(zoned.pairs.point), settings),)
    limits = fleet_limits(scenario, inputs, cs.days_per_year, planning.shortfall_penalty_cny_per_t)
    return _model_data(scenario, settings, planning, (zoned, limits), arcs, stations, tours, notes)


def _zone_note(zone: IntArray, n_point_pairs: int, n_pairs: int, settings: FacilitySettings) -> str:
    """How the demand was aggregated (:mod:`wasteopt.facilities.zones`)."""
    n_points = int((zone >= 0).sum())
    return (
        f"demand zones: {n_points:,} points with waste (above zone_points = "
        f"{settings.zone_points:,}) planned as {int(zone.max()) + 1:,} zones; "
        f"{n_point_pairs:,} (point, stream) pairs as {n_pairs:,} (zone, stream) pairs, each "
        "zone's points of a stream unloading at one site"
        + (f" among its {settings.zone_sites} cheapest stations" if settings.zone_sites else "")
    )


def _notes(
    scenario: Scenario, active_streams: list[int], has_outlet: BoolArray, planning: Planning
) -> tuple[str, ...]:
    """Streams without any plant; a penalty that makes untreated waste cheaper than a gate fee."""
    notes = [
        f"no treatment facility accepts stream {scenario.streams[s].id}"
        for s in active_streams
        if not has_outlet[s]
    ]
    pen = planning.shortfall_penalty_cny_per_t
    cheap = [k.id for k in scenario.facilities if k.gate_fee_cny_per_t >= pen]
    if cheap:
        notes.append(
            f"shortfall penalty {pen:,.0f} CNY/t is not above the gate fee of "
            f"{', '.join(cheap)}: leaving waste untreated there costs no more than treating it"
        )
    return tuple(notes)


def _shortfall_keys(
    options: Options, pairs: DemandPairs, arcs: TransferArcs, n_streams: int
) -> tuple[IntArray, IntArray]:
    """The plant-stream pairs (k, s) that some direct option or transfer arc feeds: the
    slacks u_ks (plant order, then stream order)."""
    direct = ~options.is_station
    keys = np.concatenate(
        [
            options.site[direct] * n_streams + pairs.stream[options.pair[direct]],
            arcs.plant * n_streams + arcs.stream,
        ]
    ).astype(np.int64)
    uniq = np.unique(keys)
    return (uniq // n_streams).astype(np.int64), (uniq % n_streams).astype(np.int64)


def _pair_fields(zoned: ZonedModel) -> dict[str, Any]:
    """The demand pairs, their members and their options as fields of
    :class:`FacilityModelData`."""
    pairs, options, opt, members = zoned.pairs, zoned.options, zoned.costs, zoned.members
    return {
        "pair_point": pairs.point,
        "pair_stream": pairs.stream,
        "pair_t_per_day": pairs.t_per_day,
        "member_ptr": members.ptr,
        "member_point": members.point,
        "member_t_per_day": members.t_per_day,
        "opt_pair": options.pair,
        "opt_site": options.site,
        "opt_is_station": options.is_station,
        "opt_cost_cny_per_year": opt.collect + opt.handling + opt.gate,
        "opt_collect_cny_per_year": opt.collect,
        "opt_linehaul_cny_per_year": opt.linehaul,
        "opt_unload_cny_per_year": opt.unload,
        "opt_vehicle_cny_per_year": opt.vehicles,
        "opt_handling_cny_per_year": opt.handling,
        "opt_gate_cny_per_year": opt.gate,
        "opt_km_per_day": opt.km_per_day,
        "opt_t_km_per_day": opt.t_km_per_day,
        "opt_co2_kg_per_day": opt.co2_kg_per_day,
        "opt_vehicle_h_per_day": opt.vehicle_h_per_day,
    }


def _limit_fields(scenario: Scenario, zoned: ZonedModel, limits: FleetLimits) -> dict[str, Any]:
    """The rows of the scarce-class limit (11) over the modelled options."""
    ptr, opt = limit_options(limits, scenario, zoned.pairs, zoned.options.pair)
    return {
        "limit_stream": limits.stream,
        "limit_classes": limits.classes,
        "limit_capacity_h_per_day": limits.capacity_h,
        "limit_penalty_cny_per_year_per_h": limits.penalty_cny_per_year_per_h,
        "limit_ptr": ptr,
        "limit_opt": opt,
    }


def _model_data(
    scenario: Scenario,
    settings: FacilitySettings,
    planning: Planning,
    parts: tuple[ZonedModel, FleetLimits],
    arcs: TransferArcs,
    stations: StationTerms,
    tours: LocalTours,
    notes: tuple[str, ...],
) -> FacilityModelData:
    """The parts as the flat arrays of :class:`FacilityModelData`."""
    days = settings.costs.days_per_year
    zoned, limits = parts
    options = zoned.options
    short_plant, short_stream = _shortfall_keys(options, zoned.pairs, arcs, len(scenario.streams))
    plants, sts = scenario.facilities, scenario.stations
    return FacilityModelData(
        point_ids=tuple(p.id for p in scenario.points),
        stream_ids=tuple(s.id for s in scenario.streams),
        station_ids=tuple(s.id for s in scenario.stations),
        plant_ids=tuple(k.id for k in scenario.facilities),
        n_streams=len(scenario.streams),
        **_pair_fields(zoned),
        **_limit_fields(scenario, zoned, limits),
        arc_station=arcs.station,
        arc_stream=arcs.stream,
        arc_plant=arcs.plant,
        arc_cost_cny_per_year_per_t_day=arcs.cost,
        arc_haul_cny_per_year_per_t_day=arcs.haul,
        arc_gate_cny_per_year_per_t_day=arcs.gate,
        arc_km_per_t=arcs.km_per_t,
        arc_distance_km=arcs.distance_km,
        arc_co2_kg_per_t=arcs.co2_kg_per_t,
        arc_load_t=arcs.load_t,
        arc_vehicle_days_per_trip=arcs.vehicle_days_per_trip,
        station_existing=stations.existing,
        station_capacity_t_per_day=np.array([s.capacity_t_per_day for s in sts], float),
        station_fixed_cny_per_year=stations.fixed,
        station_staff_cny_per_year=stations.staff,
        station_opening_cny_per_year=stations.opening,
        station_closing_cny_per_year=stations.closing,
        station_open_cost_cny_per_year=stations.open_cost,
        station_capital_cny=stations.capital,
        y_lb=stations.y_lb,
        y_ub=stations.y_ub,
        station_container_t=np.array([s.container_t for s in sts], float),
        station_containers=np.array([s.containers for s in sts], np.int64),
        plant_capacity_t_per_day=np.array([k.available_t_per_day for k in plants], float),
        plant_external_t_per_day=np.array([k.external_t_per_day for k in plants], float),
        plant_gate_cny_per_year_per_t_day=np.array([days * k.gate_fee_cny_per_t for k in plants]),
        short_plant=short_plant,
        short_stream=short_stream,
        local_cny_per_year=tours.cny_per_year,
        local_km_per_day=tours.km_per_day,
        local_co2_kg_per_day=tours.co2_kg_per_day,
        constant_cny_per_year=float(stations.closing.sum()) + tours.cny_per_year,
        max_stations=settings.max_stations,
        capital_budget_cny=settings.capital_budget_cny,
        shortfall_penalty_cny_per_year_per_t_per_day=days * planning.shortfall_penalty_cny_per_t,
        planning=planning,
        policy_closed=tuple(scenario.stations[j].id for j in stations.policy_closed),
        unassignable=options.unassignable,
        notes=notes,
        size_groups=stations.groups,
        size_group_exact=stations.group_exact,
        zones=zoned.zones,
    )
