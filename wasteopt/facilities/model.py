r"""The station consolidation model: which transfer stations stay, close or are built, where each
collection point unloads each stream, and how stations ship to treatment plants.

This module states the model and computes every coefficient with numpy (no solver import); the
Pyomo model is built from :class:`FacilityModelData` in :mod:`wasteopt.facilities._highs`.
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
cap_k     t/day       plant capacity, shared by all streams it accepts
F_j       CNY/yr      ``fixed_cost_cny_per_year`` (paid while open)
O_j, C_j  CNY         ``opening_cost_cny`` (candidates), ``closing_cost_cny`` (existing;
                      < 0 = saving)
h_j       CNY/t       ``cost_cny_per_t`` station handling
g_k       CNY/t       ``gate_fee_cny_per_t``
ρ_j       –           ``compaction_ratio`` of the station (≥ 1)
CRF       1/yr        capital recovery factor i(1+i)^n / ((1+i)^n − 1); i = ``interest_rate``
                      (default 0.05), n = ``lifetime_years`` (default 20) → CRF ≈ 0.0802/yr
Vehicles of stream s, averaged over its vehicle types weighted by ``count``:
c_s       CNY/km      collection ``cost_cny_per_km``
c^t_s     CNY/h       collection ``cost_cny_per_hour`` (crew and running time)
c^d_s     CNY/day     a collection vehicle-day: ``cost_cny_per_day`` (depreciation, insurance)
                      + c^t_s × ``lunch_duration_s`` / 3600 (the crew's paid lunch break)
v_s       km/h        collection ``speed_kmh``
T_s       trips/day   collection ``max_trips``
H_s       h           working hours per shift = shift_end − shift_start − lunch_duration
e_s       kg CO2/km   collection ``co2_kg_per_km``
Q_s       kg per trip collection load per trip = min(payload_kg, volume_m3 · density_s)
τ^u_j     h           ``unload_time_s`` / 3600 of the station or plant j unloaded at
σ_p       h           ``service_time_s`` / 3600 of point p
c^h_s, c^ht_s, c^hd_s, v^h_s, T^h_s, H^h_s, e^h_s   the same for haul vehicles (``role ==
                      "haul"``; the collection vehicles if the stream has none)
Q^h_js    kg per trip haul load per trip from station j
                      = min(payload_kg, volume_m3 · density_s · ρ_j)
                      (how compaction lowers haul cost: fuller trailers, fewer trips)
α         –           ``CostSettings.km_factor`` (default 1): multiplies every predicted
                      distance; calibrated against routed distances in
                      ``benchmarks/facilities_calibration.py``

Decisions
---------
y_j ∈ {0,1}         station j open (existing: keep = 1 / close = 0; candidate: build = 1)
x_psj ∈ {0,1}       point p sends all of stream s to station j (j accepts s; single sourcing)
z_psk ∈ {0,1}       point p hauls stream s directly to plant k (only if ``allow_direct``,
                    or if no station that may open accepts s)
f_jsk ≥ 0  t/day    stream s shipped from station j to plant k (k accepts s)
u_j, u_k ≥ 0 t/day  capacity shortfall (slack) of station j / plant k
Streams never share a variable: every assignment and flow carries its stream index s.

Constraints
-----------
(1) assignment     Σ_j x_psj + Σ_k z_psk = 1                        ∀ (p,s) with w_ps > 0
(2) linking        x_psj ≤ y_j                                       ∀ allowed (p,s,j)
                   (lazy rows: only those a relaxation or an incumbent violates reach
                   HiGHS, see :func:`wasteopt.facilities._highs.run_with_lazy_rows`)
(3) station cap.   Σ_s Σ_p w_ps x_psj ≤ cap_j y_j + u_j              ∀ j
(4) conservation   Σ_p w_ps x_psj = Σ_k f_jsk                         ∀ j, s accepted at j
(5) plant cap.     Σ_j Σ_s f_jsk + Σ_p Σ_s w_ps z_psk ≤ cap_k + u_k   ∀ k
(6) acceptance     x_psj exists only if j accepts s and some plant accepts s; z_psk and f_jsk
                   only if k accepts s
(7) max haul       no x_psj with d(p,j) > ``max_haul_km``, no z_psk with d(p,k) > ``max_haul_km``
                   (the limit is on collection legs; station→plant transfer is not limited)
(8) forced         ``decision == "open"`` → y_j = 1; ``decision == "close"`` → y_j = 0.
                   ``mode="free"`` (default): every other y_j is chosen by the optimiser.
                   ``mode="status_quo"``: existing stations kept (y = 1) and candidates not built
                   (y = 0) unless their ``decision`` says otherwise — the base case to compare
                   against.
(8b) size groups   stations sharing a ``size_group`` G (sizes of one site, or rival sites):
                   Σ_{j∈G} y_j ≤ 1. A member forced open closes the others (y = 0); several
                   members forced open give Σ_{j forced} y_j = 1 (build one, the planner picks).
(9) optional       Σ_j y_j ≤ ``max_stations``;
                   Σ_{j candidate} O_j y_j ≤ ``capital_budget_cny`` (forced builds count too)

Collection cost of an option (continuous approximation, Daganzo 1984)
--------------------------------------------------------------------
A load of stream s from point p unloads at site j (station or plant). Per day p generates
N_ps = 1000 w_ps / Q_s loads (trips). Each trip costs

  line haul   c_s·D_pj + c^t_s·D_pj / v_s            D_pj = α (d(p,j) + d(j,p)) km
  unloading   c^t_s·τ^u_j
  vehicle     c^d_s · max(1/T_s, τ_pjs / H_s)       share of a vehicle-day used by the trip:
              a vehicle does at most T_s trips and at most H_s hours of work a day, where
              τ_pjs = D_pj / v_s + τ^u_j + τ^loc_s  is the trip's duration in hours

so the option's collection cost is  C_psj = 365 · N_ps · (line haul + unloading + vehicle)
(CNY/yr; per tonne: divide the per-trip cost by Q_s/1000). The local part of the tours — the
driving between stops and the service at each stop — does not depend on j:

  L_s = α · κ · sqrt(A_s · n_s)          km/day   (κ/√δ per stop, δ_s = n_s / A_s)
  S_s = Σ_p v_ps σ_p                     h/day    (service at the stops)
  τ^loc_s = (L_s / v_s + S_s) / Σ_p N_ps h per trip (the local time each trip carries)
  local cost = 365 Σ_s [c_s L_s + c^t_s (L_s / v_s + S_s)]   (a constant)

with n_s = Σ_p v_ps due stops per day, A_s km² the convex hull of the points generating s, and
κ = ``tour_constant`` × network circuity (default 0.57 × circuity; Daganzo gives ≈ 0.57 for
Euclidean zones up to ≈ 0.92 for rectilinear ones). Daganzo, "The distance traveled to visit N
points with a maximum of C stops per vehicle", Transp. Sci. 18(4), 1984.

Transfer from station j to plant k, per t/day of stream s (D_jk = α (d(j,k) + d(k,j))):
  A_jsk = 365 · (1000 / Q^h_js) · [c^h_s D_jk + c^ht_s (D_jk / v^h_s + τ^u_k)
                                   + c^hd_s max(1/T^h_s, (D_jk / v^h_s + τ^u_k) / H^h_s)]

Objective (CNY/yr), minimised
-----------------------------
  Σ_j F_j y_j                                           station operation
+ Σ_{j cand} CRF·O_j y_j                                annualised building
+ Σ_{j exist} CRF·C_j (1 − y_j)                          annualised closing (negative = saving)
+ 365 Σ_{p,s,j} h_j w_ps x_psj                           station handling
+ Σ_{p,s,j} C_psj x_psj                                  collection to a station
+ Σ_{p,s,k} [C_psk + 365 g_k w_ps] z_psk                 direct delivery to a plant
+ local cost                                            collection local tours (constant)
+ Σ_{j,s,k} [A_jsk + 365 g_k] f_jsk                      transfer haul + gate fees
+ M · 365 · (Σ_j u_j + Σ_k u_k)                         shortfall penalty (not part of the cost)

The cost breakdown reports the line haul, unloading and vehicle parts of C separately
(``collection_line_haul``, ``collection_unloading``, ``collection_vehicle_days``) and the local
constant as ``collection_local``. M = ``shortfall_penalty_cny_per_t`` (default 1e5 CNY/t) makes
any capacity shortfall dearer than any transport detour, so the model is always feasible with
respect to capacity and the plan reports which capacity falls short by how much.

Reported alongside (not in the objective): CO2 kg/day = collection km·e_s + haul km·e^h_s
(collection km = Σ N_ps D_pj + L_s), and
t·km/day = Σ w_ps·d(p, first site) + Σ f_jsk·d(j,k). Plant ``storage_t``/``fallback`` are ignored
(daily averages must fit capacities).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from wasteopt.errors import InputError, Problem
from wasteopt.scenario.model import FREQUENCIES, Scenario

__all__ = [
    "CollectionEstimate",
    "CostSettings",
    "DistanceSource",
    "FacilityModelData",
    "PlanMode",
    "build_model_data",
    "capital_recovery_factor",
    "estimate_collection",
]

log = logging.getLogger("wasteopt")

PlanMode = Literal["free", "status_quo"]


class DistanceSource(Protocol):
    """Anything with ``distance_m`` (n × n, metres) and ``index(site_id) -> row`` (e.g. a
    :class:`wasteopt.network.TravelMatrix`)."""

    distance_m: np.ndarray

    def index(self, site_id: str) -> int: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CostSettings:
    """Economic parameters of the objective (see the module docstring)."""

    interest_rate: float = 0.05
    lifetime_years: float = 20.0
    tour_constant: float = 0.57
    days_per_year: float = 365.0
    shortfall_penalty_cny_per_t: float = 1.0e5
    km_factor: float = 1.0

    @property
    def crf_per_year(self) -> float:
        return capital_recovery_factor(self.interest_rate, self.lifetime_years)


def capital_recovery_factor(rate: float, years: float) -> float:
    """i(1+i)^n / ((1+i)^n − 1): the share of a capital sum paid each year over ``years``."""
    if years <= 0:
        raise ValueError("lifetime must be > 0 years")
    if rate == 0:
        return 1.0 / years
    g = (1.0 + rate) ** years
    return rate * g / (g - 1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilityModelData:
    """Every coefficient of the MILP, as flat arrays. Demand pairs q = (point, stream) with a
    positive rate; options o = a pair sent to a station (``opt_is_station``) or a plant;
    arcs a = (station, stream, plant) transfers. Indices point into ``station_ids``,
    ``plant_ids``, ``point_ids`` and ``stream_ids``. Cost arrays are CNY/yr; ``*_per_t_day``
    arrays are per t/day of flow."""

    point_ids: tuple[str, ...]
    stream_ids: tuple[str, ...]
    station_ids: tuple[str, ...]
    plant_ids: tuple[str, ...]
    n_streams: int
    # demand pairs
    pair_point: np.ndarray
    pair_stream: np.ndarray
    pair_t_per_day: np.ndarray
    # options
    opt_pair: np.ndarray
    opt_site: np.ndarray
    opt_is_station: np.ndarray
    opt_cost_cny_per_year: np.ndarray
    opt_collect_cny_per_year: np.ndarray
    opt_linehaul_cny_per_year: np.ndarray
    opt_unload_cny_per_year: np.ndarray
    opt_vehicle_cny_per_year: np.ndarray
    opt_handling_cny_per_year: np.ndarray
    opt_gate_cny_per_year: np.ndarray
    opt_km_per_day: np.ndarray
    opt_t_km_per_day: np.ndarray
    opt_co2_kg_per_day: np.ndarray
    # transfer arcs
    arc_station: np.ndarray
    arc_stream: np.ndarray
    arc_plant: np.ndarray
    arc_cost_cny_per_year_per_t_day: np.ndarray
    arc_haul_cny_per_year_per_t_day: np.ndarray
    arc_gate_cny_per_year_per_t_day: np.ndarray
    arc_km_per_t: np.ndarray
    arc_distance_km: np.ndarray
    arc_co2_kg_per_t: np.ndarray
    # stations
    station_existing: np.ndarray
    station_capacity_t_per_day: np.ndarray
    station_fixed_cny_per_year: np.ndarray
    station_opening_cny_per_year: np.ndarray
    station_closing_cny_per_year: np.ndarray
    station_open_cost_cny_per_year: np.ndarray
    station_capital_cny: np.ndarray
    y_lb: np.ndarray
    y_ub: np.ndarray
    # plants
    plant_capacity_t_per_day: np.ndarray
    # constants and limits
    local_cny_per_year: float
    local_km_per_day: float
    local_co2_kg_per_day: float
    constant_cny_per_year: float
    max_stations: int | None
    capital_budget_cny: float | None
    shortfall_penalty_cny_per_year_per_t_per_day: float
    unassignable: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())
    # size groups (8b): member station indices, and whether exactly one must open
    size_groups: tuple[tuple[int, ...], ...] = ()
    size_group_exact: tuple[bool, ...] = ()


@dataclass(frozen=True, slots=True)
class _Fleet:
    cost_cny_per_km: float
    cost_cny_per_hour: float
    cost_cny_per_day: float
    speed_kmh: float
    payload_kg: float
    volume_m3: float
    co2_kg_per_km: float
    max_trips: float
    shift_h: float  # working hours per shift (shift length less lunch)
    lunch_h: float  # paid lunch break per vehicle-day


def _fleet(scenario: Scenario, stream: str, role: str) -> _Fleet | None:
    """Count-weighted average parameters of the vehicle types of ``stream`` with ``role``."""
    types = [v for v in scenario.vehicle_types if v.stream == stream and v.role == role]
    if not types:
        return None
    w = np.array([max(v.count, 1) for v in types], dtype=float)
    w /= w.sum()

    def avg(attr: str) -> float:
        return float(np.dot(w, [getattr(v, attr) for v in types]))

    shift_h = float(
        np.dot(
            w,
            [
                max(v.shift_end_s - v.shift_start_s - v.lunch_duration_s, 3600) / 3600.0
                for v in types
            ],
        )
    )
    return _Fleet(
        cost_cny_per_km=avg("cost_cny_per_km"),
        cost_cny_per_hour=avg("cost_cny_per_hour"),
        cost_cny_per_day=avg("cost_cny_per_day"),
        speed_kmh=avg("speed_kmh"),
        payload_kg=avg("payload_kg"),
        volume_m3=avg("volume_m3"),
        co2_kg_per_km=avg("co2_kg_per_km"),
        max_trips=avg("max_trips"),
        shift_h=shift_h,
        lunch_h=avg("lunch_duration_s") / 3600.0,
    )


def _hull_area_km2(lon: np.ndarray, lat: np.ndarray) -> float:
    """Convex-hull area (km²) of points, in a local equirectangular projection."""
    if len(lon) < 3:
        return 0.0
    lat0 = math.radians(float(np.mean(lat)))
    xs = np.radians(lon) * 6371.0088 * math.cos(lat0)
    ys = np.radians(lat) * 6371.0088
    pts = sorted(set(zip(xs.tolist(), ys.tolist(), strict=True)))
    if len(pts) < 3:
        return 0.0

    def cross(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    hx = np.array([h[0] for h in hull])
    hy = np.array([h[1] for h in hull])
    return float(0.5 * abs(np.dot(hx, np.roll(hy, -1)) - np.dot(hy, np.roll(hx, -1))))


def _local_tour_km(area_km2: float, stops_per_day: float, alpha: float, kappa: float) -> float:
    """Daganzo's local tour length L = α·κ·sqrt(A·n) km/day over ``stops_per_day`` stops."""
    return alpha * kappa * math.sqrt(area_km2 * stops_per_day) if stops_per_day > 0 else 0.0


def _vehicle_day_share(trip_h, max_trips, shift_h):
    """Share of a vehicle-day one trip uses: max(1/T, τ/H) (at most T trips and H hours)."""
    return np.maximum(1.0 / max_trips, trip_h / shift_h)


def _size_groups(
    stations, y_lb: np.ndarray, y_ub: np.ndarray
) -> tuple[tuple[tuple[int, ...], ...], tuple[bool, ...]]:
    """Size groups of two or more stations (constraint 8b); tightens ``y_lb``/``y_ub`` in place
    for forced members: one forced open closes the rest, several forced open become "exactly
    one of these"."""
    by_group: dict[str, list[int]] = {}
    for j, st in enumerate(stations):
        if st.size_group:
            by_group.setdefault(st.size_group, []).append(j)
    groups: list[tuple[int, ...]] = []
    exact: list[bool] = []
    for members in by_group.values():
        if len(members) < 2:
            continue
        forced = [j for j in members if stations[j].decision == "open"]
        if forced:
            for j in members:
                if j not in forced:
                    y_lb[j] = y_ub[j] = 0.0
            if len(forced) > 1:
                for j in forced:
                    y_lb[j] = 0.0
        groups.append(tuple(members))
        exact.append(len(forced) > 1)
    return tuple(groups), tuple(exact)


def build_model_data(
    scenario: Scenario,
    rates_kg_per_day: np.ndarray,
    matrix: DistanceSource,
    *,
    mode: PlanMode = "free",
    allow_direct: bool = True,
    max_haul_km: float | None = None,
    max_stations: int | None = None,
    capital_budget_cny: float | None = None,
    costs: CostSettings | None = None,
) -> FacilityModelData:
    """Compute every coefficient of the model for ``scenario``.

    ``rates_kg_per_day`` has one row per ``scenario.points`` and one column per
    ``scenario.streams`` (same order). Raises :class:`~wasteopt.errors.InputError` listing every
    problem (bad rate array, ids missing from the matrix, streams without collection vehicles,
    unknown frequencies, bad options)."""
    cs = costs or CostSettings()
    problems: list[Problem] = []
    streams = scenario.streams
    stream_ids = tuple(s.id for s in streams)
    n_s = len(stream_ids)
    points = scenario.points
    rates = np.asarray(rates_kg_per_day, dtype=float)
    if rates.shape != (len(points), n_s):
        raise InputError(
            [
                Problem(
                    file="rates_kg_per_day",
                    field="shape",
                    value=str(rates.shape),
                    message="rate array does not match the scenario",
                    expected=f"({len(points)}, {n_s}) = (points, streams)",
                )
            ]
        )
    bad = np.argwhere(~np.isfinite(rates) | (rates < 0))
    for p_i, s_i in bad[:20]:
        problems.append(
            Problem(
                file="rates_kg_per_day",
                where=f"point {points[p_i].id}",
                field=stream_ids[s_i],
                value=str(rates[p_i, s_i]),
                message="rate must be a finite number",
                expected=">= 0 kg/day",
            )
        )
    if mode not in ("free", "status_quo"):
        problems.append(
            Problem(
                file="plan_facilities",
                field="mode",
                value=str(mode),
                message="unknown mode",
                expected="'free' or 'status_quo'",
            )
        )
    if max_haul_km is not None and not max_haul_km > 0:
        problems.append(
            Problem(
                file="plan_facilities",
                field="max_haul_km",
                value=str(max_haul_km),
                message="bad limit",
                expected="> 0 km",
            )
        )
    if max_stations is not None and max_stations < 0:
        problems.append(
            Problem(
                file="plan_facilities",
                field="max_stations",
                value=str(max_stations),
                message="bad limit",
                expected=">= 0",
            )
        )
    if capital_budget_cny is not None and capital_budget_cny < 0:
        problems.append(
            Problem(
                file="plan_facilities",
                field="capital_budget_cny",
                value=str(capital_budget_cny),
                message="bad limit",
                expected=">= 0 CNY",
            )
        )

    # site indices in the distance matrix
    def site_index(site_id: str, file: str) -> int:
        try:
            return int(matrix.index(site_id))
        except (KeyError, ValueError, IndexError):
            problems.append(
                Problem(
                    file=file,
                    where=f"id={site_id}",
                    field="id",
                    message="site is missing from the travel matrix",
                    expected="an id of the matrix",
                )
            )
            return -1

    stations = scenario.stations
    plants = scenario.facilities
    active_pairs = np.argwhere(rates > 0)  # row-major: point order, then stream order
    used_points = sorted({int(p) for p in active_pairs[:, 0]})
    pt_row = {p: site_index(points[p].id, "points.csv") for p in used_points}
    st_row = [site_index(s.id, "stations.csv") for s in stations]
    pl_row = [site_index(k.id, "facilities.csv") for k in plants]

    # vehicles and frequencies per stream
    active_streams = sorted({int(s) for s in active_pairs[:, 1]})
    coll: dict[int, _Fleet] = {}
    haul: dict[int, _Fleet] = {}
    for s in active_streams:
        sid = stream_ids[s]
        c = _fleet(scenario, sid, "collection")
        if c is None:
            problems.append(
                Problem(
                    file="vehicle_types.csv",
                    field="stream",
                    value=sid,
                    message="stream has waste but no collection vehicle type",
                    expected="a vehicle type with role=collection for it",
                )
            )
            continue
        coll[s] = c
        h = _fleet(scenario, sid, "haul")
        if h is None:
            log.info("facilities: no haul vehicle for stream %s; collection vehicles haul", sid)
            h = c
        haul[s] = h
    visits = np.zeros_like(rates)
    for p_i, s_i in active_pairs:
        pt = points[p_i]
        code = pt.frequency.get(stream_ids[s_i], streams[s_i].default_frequency)
        fr = FREQUENCIES.get(code)
        if fr is None:
            problems.append(
                Problem(
                    file="points.csv",
                    where=f"id={pt.id}",
                    field=f"freq.{stream_ids[s_i]}",
                    value=code,
                    message="unknown frequency",
                    expected=", ".join(FREQUENCIES),
                )
            )
            continue
        visits[p_i, s_i] = fr.visits_per_day / fr.period_days
    if problems:
        raise InputError(problems)

    dist_km = np.asarray(matrix.distance_m, dtype=float) / 1000.0
    density = np.array([s.density_kg_per_m3 for s in streams])
    crf = cs.crf_per_year
    days = cs.days_per_year
    limit_km = math.inf if max_haul_km is None else float(max_haul_km)

    # stations: bounds from mode and forced decisions
    n_j = len(stations)
    existing = np.array([s.status == "existing" for s in stations], dtype=bool)
    y_lb = np.zeros(n_j)
    y_ub = np.ones(n_j)
    for j, st in enumerate(stations):
        if st.decision == "open":
            y_lb[j] = 1.0
        elif st.decision == "close":
            y_ub[j] = 0.0
        elif mode == "status_quo":
            y_lb[j] = y_ub[j] = 1.0 if st.status == "existing" else 0.0
    groups, group_exact = _size_groups(stations, y_lb, y_ub)
    fixed = np.array([s.fixed_cost_cny_per_year for s in stations], dtype=float)
    capital = np.where(existing, 0.0, [s.opening_cost_cny for s in stations])
    opening = crf * capital
    closing = np.where(existing, crf * np.array([s.closing_cost_cny for s in stations]), 0.0)

    # plants accepting each stream, and stream outlets
    accepts_k = np.array([[sid in k.streams for sid in stream_ids] for k in plants], dtype=bool)
    accepts_k = accepts_k.reshape(len(plants), n_s)
    has_outlet = accepts_k.any(axis=0) if len(plants) else np.zeros(n_s, dtype=bool)
    accepts_j = np.array([[sid in s.streams for sid in stream_ids] for s in stations], dtype=bool)
    accepts_j = accepts_j.reshape(n_j, n_s)
    notes: list[str] = []
    for s in active_streams:
        if not has_outlet[s]:
            notes.append(f"no treatment facility accepts stream {stream_ids[s]}")

    # streams some station (not forced closed) accepts; the others always go direct
    station_for = (accepts_j & (y_ub > 0)[:, None]).any(axis=0) if n_j else np.zeros(n_s, bool)

    # demand pairs and their options
    q_point = active_pairs[:, 0].astype(np.int64)
    q_stream = active_pairs[:, 1].astype(np.int64)
    q_t = rates[q_point, q_stream] / 1000.0
    o_pair: list[int] = []
    o_site: list[int] = []
    o_is_st: list[bool] = []
    o_rt_km: list[float] = []
    o_one_km: list[float] = []
    unassignable: list[tuple[str, str]] = []
    for q, (p_i, s_i) in enumerate(zip(q_point.tolist(), q_stream.tolist(), strict=True)):
        r = pt_row[p_i]
        n_before = len(o_pair)
        if has_outlet[s_i]:
            for j in range(n_j):
                if not accepts_j[j, s_i] or y_ub[j] == 0.0:
                    continue
                d_out = dist_km[r, st_row[j]]
                if d_out > limit_km:
                    continue
                o_pair.append(q)
                o_site.append(j)
                o_is_st.append(True)
                o_rt_km.append(d_out + dist_km[st_row[j], r])
                o_one_km.append(d_out)
            if allow_direct or not station_for[s_i]:
                for k in range(len(plants)):
                    if not accepts_k[k, s_i]:
                        continue
                    d_out = dist_km[r, pl_row[k]]
                    if d_out > limit_km:
                        continue
                    o_pair.append(q)
                    o_site.append(k)
                    o_is_st.append(False)
                    o_rt_km.append(d_out + dist_km[pl_row[k], r])
                    o_one_km.append(d_out)
        if len(o_pair) == n_before:
            unassignable.append((points[p_i].id, stream_ids[s_i]))

    opt_pair = np.array(o_pair, dtype=np.int64)
    opt_site = np.array(o_site, dtype=np.int64)
    opt_is_st = np.array(o_is_st, dtype=bool)
    rt_km = np.array(o_rt_km, dtype=float)
    one_km = np.array(o_one_km, dtype=float)
    o_stream = q_stream[opt_pair] if len(opt_pair) else np.zeros(0, dtype=np.int64)
    o_t = q_t[opt_pair] if len(opt_pair) else np.zeros(0)

    def per_stream(attr: str, default: float) -> np.ndarray:
        return np.array([getattr(coll[s], attr) if s in coll else default for s in range(n_s)])

    c_km = per_stream("cost_cny_per_km", 0.0)
    c_h = per_stream("cost_cny_per_hour", 0.0)
    c_day = per_stream("cost_cny_per_day", 0.0) + per_stream("cost_cny_per_hour", 0.0) * (
        per_stream("lunch_h", 0.0)
    )  # a vehicle-day: fixed cost + the crew's paid lunch
    speed = per_stream("speed_kmh", 1.0)
    max_trips = per_stream("max_trips", 1.0)
    shift_h = per_stream("shift_h", 1.0)
    co2_km = per_stream("co2_kg_per_km", 0.0)
    load_kg = np.array(
        [
            min(coll[s].payload_kg, coll[s].volume_m3 * density[s]) if s in coll else 1.0
            for s in range(n_s)
        ]
    )
    alpha = cs.km_factor
    kappa = cs.tour_constant * scenario.network.circuity

    # local part per stream (constant): L_s km/day, service hours, and its share per trip
    lon = np.array([p.lon for p in points])
    lat = np.array([p.lat for p in points])
    service_h = np.array([p.service_time_s for p in points], dtype=float) / 3600.0
    local_km_s = np.zeros(n_s)
    local_service_h_s = np.zeros(n_s)
    local_h_per_trip = np.zeros(n_s)
    for s in active_streams:
        rows = np.flatnonzero(rates[:, s] > 0)
        stops_per_day = float(visits[rows, s].sum())
        if stops_per_day <= 0:
            continue
        area = _hull_area_km2(lon[rows], lat[rows])
        local_km_s[s] = _local_tour_km(area, stops_per_day, alpha, kappa)
        local_service_h_s[s] = float(np.dot(visits[rows, s], service_h[rows]))
        trips_s = float(rates[rows, s].sum()) / load_kg[s]
        if trips_s > 0:
            local_h_per_trip[s] = (local_km_s[s] / speed[s] + local_service_h_s[s]) / trips_s
    local_km = float(local_km_s.sum())
    local_cny = days * float(
        np.dot(c_km, local_km_s) + np.dot(c_h, local_km_s / speed + local_service_h_s)
    )
    local_co2 = float(np.dot(co2_km, local_km_s))

    # line haul, unloading and vehicle-days of each option
    unload_h_site = np.array([st.unload_time_s for st in stations], dtype=float) / 3600.0
    unload_h_plant = np.array([k.unload_time_s for k in plants], dtype=float) / 3600.0
    if len(opt_site):
        t_unload = np.where(
            opt_is_st,
            unload_h_site[np.where(opt_is_st, opt_site, 0)] if n_j else 0.0,
            unload_h_plant[np.where(~opt_is_st, opt_site, 0)] if len(plants) else 0.0,
        )
    else:
        t_unload = np.zeros(0)
    rt_km = alpha * rt_km
    trips = 1000.0 * o_t / load_kg[o_stream]  # loads per day
    km_day = rt_km * trips
    sp, ch = speed[o_stream], c_h[o_stream]
    trip_h = rt_km / sp + t_unload + local_h_per_trip[o_stream]
    veh_share = _vehicle_day_share(trip_h, max_trips[o_stream], shift_h[o_stream])
    linehaul = days * trips * (c_km[o_stream] * rt_km + ch * rt_km / sp)
    unload = days * trips * ch * t_unload
    vehicles = days * trips * c_day[o_stream] * veh_share
    collect = linehaul + unload + vehicles
    handling_per_t = np.array([s.cost_cny_per_t for s in stations], dtype=float)
    gate_per_t = np.array([k.gate_fee_cny_per_t for k in plants], dtype=float)
    handling = np.where(
        opt_is_st,
        days * o_t * handling_per_t[np.where(opt_is_st, opt_site, 0)] if n_j else 0.0,
        0.0,
    )
    gate = np.where(
        ~opt_is_st,
        days * o_t * gate_per_t[np.where(~opt_is_st, opt_site, 0)] if len(plants) else 0.0,
        0.0,
    )

    # transfer arcs (station, stream, plant)
    a_st: list[int] = []
    a_s: list[int] = []
    a_k: list[int] = []
    for j in range(n_j):
        if y_ub[j] == 0.0:
            continue
        for s in active_streams:
            if not accepts_j[j, s]:
                continue
            for k in range(len(plants)):
                if accepts_k[k, s]:
                    a_st.append(j)
                    a_s.append(s)
                    a_k.append(k)
    arc_station = np.array(a_st, dtype=np.int64)
    arc_stream = np.array(a_s, dtype=np.int64)
    arc_plant = np.array(a_k, dtype=np.int64)
    st_rows = np.array(st_row, dtype=np.int64)
    pl_rows = np.array(pl_row, dtype=np.int64)
    if len(arc_station):
        d_jk = dist_km[st_rows[arc_station], pl_rows[arc_plant]]
        rt_jk = d_jk + dist_km[pl_rows[arc_plant], st_rows[arc_station]]
        compaction = np.array([s.compaction_ratio for s in stations], dtype=float)
        a_s_list = arc_stream.tolist()

        def arc_param(attr: str) -> np.ndarray:
            return np.array([getattr(haul[s], attr) for s in a_s_list])

        h_co2 = arc_param("co2_kg_per_km")
        h_load = np.array(
            [
                min(haul[s].payload_kg, haul[s].volume_m3 * density[s] * compaction[j])
                for j, s in zip(arc_station.tolist(), a_s_list, strict=True)
            ]
        )
        rt_jk = alpha * rt_jk
        km_per_t = rt_jk * 1000.0 / h_load
        h_speed = arc_param("speed_kmh")
        h_trip_h = rt_jk / h_speed + unload_h_plant[arc_plant]
        h_share = _vehicle_day_share(h_trip_h, arc_param("max_trips"), arc_param("shift_h"))
        cost_per_trip = (
            arc_param("cost_cny_per_km") * rt_jk
            + arc_param("cost_cny_per_hour") * h_trip_h
            + (
                arc_param("cost_cny_per_day")
                + arc_param("cost_cny_per_hour") * arc_param("lunch_h")
            )
            * h_share
        )
        arc_haul = days * cost_per_trip * 1000.0 / h_load
        arc_gate = days * gate_per_t[arc_plant]
        arc_co2 = h_co2 * km_per_t
    else:
        d_jk = km_per_t = arc_haul = arc_gate = arc_co2 = np.zeros(0)

    return FacilityModelData(
        point_ids=tuple(p.id for p in points),
        stream_ids=stream_ids,
        station_ids=tuple(s.id for s in stations),
        plant_ids=tuple(k.id for k in plants),
        n_streams=n_s,
        pair_point=q_point,
        pair_stream=q_stream,
        pair_t_per_day=q_t,
        opt_pair=opt_pair,
        opt_site=opt_site,
        opt_is_station=opt_is_st,
        opt_cost_cny_per_year=collect + handling + gate,
        opt_collect_cny_per_year=collect,
        opt_linehaul_cny_per_year=linehaul,
        opt_unload_cny_per_year=unload,
        opt_vehicle_cny_per_year=vehicles,
        opt_handling_cny_per_year=handling,
        opt_gate_cny_per_year=gate,
        opt_km_per_day=km_day,
        opt_t_km_per_day=o_t * one_km,
        opt_co2_kg_per_day=co2_km[o_stream] * km_day,
        arc_station=arc_station,
        arc_stream=arc_stream,
        arc_plant=arc_plant,
        arc_cost_cny_per_year_per_t_day=arc_haul + arc_gate,
        arc_haul_cny_per_year_per_t_day=arc_haul,
        arc_gate_cny_per_year_per_t_day=arc_gate,
        arc_km_per_t=km_per_t,
        arc_distance_km=d_jk,
        arc_co2_kg_per_t=arc_co2,
        station_existing=existing,
        station_capacity_t_per_day=np.array([s.capacity_t_per_day for s in stations], float),
        station_fixed_cny_per_year=fixed,
        station_opening_cny_per_year=opening,
        station_closing_cny_per_year=closing,
        station_open_cost_cny_per_year=fixed + opening - closing,
        station_capital_cny=capital,
        y_lb=y_lb,
        y_ub=y_ub,
        plant_capacity_t_per_day=np.array([k.capacity_t_per_day for k in plants], float),
        local_cny_per_year=local_cny,
        local_km_per_day=local_km,
        local_co2_kg_per_day=local_co2,
        constant_cny_per_year=float(closing.sum()) + local_cny,
        max_stations=max_stations,
        capital_budget_cny=capital_budget_cny,
        shortfall_penalty_cny_per_year_per_t_per_day=days * cs.shortfall_penalty_cny_per_t,
        unassignable=tuple(unassignable),
        notes=tuple(notes),
        size_groups=groups,
        size_group_exact=group_exact,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionEstimate:
    """The continuous approximation of one stream's collection on one day (module docstring):
    distances in km, hours of vehicle work, and CNY split like the plan's cost breakdown."""

    stream: str
    stops: int
    load_kg: float
    trips: float
    line_haul_km: float
    local_km: float
    hours: float
    line_haul_cny: float
    unloading_cny: float
    vehicle_days_cny: float
    local_cny: float

    @property
    def km(self) -> float:
        return self.line_haul_km + self.local_km

    @property
    def cost_cny(self) -> float:
        return self.line_haul_cny + self.unloading_cny + self.vehicle_days_cny + self.local_cny


def estimate_collection(
    scenario: Scenario,
    stream: str,
    point_ids: tuple[str, ...] | list[str],
    load_kg: np.ndarray,
    stops: np.ndarray,
    matrix: DistanceSource,
    unload_at: dict[str, str],
    *,
    costs: CostSettings | None = None,
) -> CollectionEstimate:
    """Predict one day's collection of ``stream`` with the planner's formulas: ``load_kg[i]``
    is collected from ``point_ids[i]`` in ``stops[i]`` visits and unloaded at
    ``unload_at[point_id]`` (a station or plant id). Used to calibrate the planner against
    routed days (``benchmarks/facilities_calibration.py``)."""
    cs = costs or CostSettings()
    fleet = _fleet(scenario, stream, "collection")
    if fleet is None:
        raise InputError(
            [
                Problem(
                    file="vehicle_types.csv",
                    field="stream",
                    value=stream,
                    message="stream has no collection vehicle type",
                    expected="a vehicle type with role=collection for it",
                )
            ]
        )
    st = scenario.stream(stream)
    q_kg = min(fleet.payload_kg, fleet.volume_m3 * st.density_kg_per_m3)
    alpha = cs.km_factor
    kappa = cs.tour_constant * scenario.network.circuity
    load = np.asarray(load_kg, dtype=float)
    n_stops = np.asarray(stops, dtype=float)
    keep = (load > 0) & (n_stops > 0)
    ids = [p for p, k in zip(point_ids, keep.tolist(), strict=True) if k]
    load, n_stops = load[keep], n_stops[keep]
    unload_h = {s.id: s.unload_time_s / 3600.0 for s in scenario.stations}
    unload_h.update({k.id: k.unload_time_s / 3600.0 for k in scenario.facilities})
    dist_km = np.asarray(matrix.distance_m, dtype=float) / 1000.0
    pts = [scenario.point(p) for p in ids]
    rows = np.array([matrix.index(p) for p in ids], dtype=np.int64)
    sites = np.array([matrix.index(unload_at[p]) for p in ids], dtype=np.int64)
    rt = alpha * (dist_km[rows, sites] + dist_km[sites, rows])
    t_u = np.array([unload_h[unload_at[p]] for p in ids])
    trips = load / q_kg
    total_trips = float(trips.sum())
    n = float(n_stops.sum())
    area = _hull_area_km2(np.array([p.lon for p in pts]), np.array([p.lat for p in pts]))
    local_km = _local_tour_km(area, n, alpha, kappa)
    service_h = float(np.dot(n_stops, [p.service_time_s / 3600.0 for p in pts]))
    v = fleet.speed_kmh
    local_h_trip = (local_km / v + service_h) / total_trips if total_trips > 0 else 0.0
    trip_h = rt / v + t_u + local_h_trip
    share = _vehicle_day_share(trip_h, fleet.max_trips, fleet.shift_h)
    line_km = float(np.dot(trips, rt))
    vehicle_days = float(np.dot(trips, share))
    return CollectionEstimate(
        stream=stream,
        stops=int(n),
        load_kg=float(load.sum()),
        trips=total_trips,
        line_haul_km=line_km,
        local_km=local_km,
        hours=line_km / v
        + float(np.dot(trips, t_u))
        + local_km / v
        + service_h
        + fleet.lunch_h * vehicle_days,
        line_haul_cny=line_km * (fleet.cost_cny_per_km + fleet.cost_cny_per_hour / v),
        unloading_cny=fleet.cost_cny_per_hour * float(np.dot(trips, t_u)),
        vehicle_days_cny=(fleet.cost_cny_per_day + fleet.cost_cny_per_hour * fleet.lunch_h)
        * vehicle_days,
        local_cny=fleet.cost_cny_per_km * local_km
        + fleet.cost_cny_per_hour * (local_km / v + service_h),
    )
