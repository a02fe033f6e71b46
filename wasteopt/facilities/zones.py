r"""Demand zones: the facility model at city size assigns zones of neighbouring points instead
of single points (model: :mod:`wasteopt.facilities.model`).

Above ``FacilitySettings.zone_points`` points with waste, the points are split into about that
many zones, and the MILP's demand pairs become (zone, stream) pairs: one assignment variable per
zone, stream and allowed site instead of one per point, stream and site.

What is aggregated
    The decision only. All points of one zone send one stream to the same station or plant
    (single sourcing per zone instead of per point); each point inherits its zone's site, so
    the plan still names every (point, stream).

What stays exact
    Every coefficient. A zone option's cost, km, t·km and CO2 are the sums of its member
    points' own option terms, each priced from the point's own distances to and from the site
    (the points × sites blocks the model reads anyway), so a zone needs no stand-in location
    (centroid or medoid) and a plan's reported numbers equal what its point assignment costs.
    The local tours (hull area, due stops, service time) are computed from the points as
    before. A zone may use a site only if every member may (acceptance, the direct-delivery
    rule of large generators and ``max_haul_km`` hold per point); a zone whose members share
    no site is modelled point by point.

How zones are made
    Points are first grouped by what the model or routing treats differently: district, road
    access class, ``large_generator`` and the set of streams they generate; no zone crosses
    these groups. Each group gets a share of the zones in proportion to its points (at least
    one) and is cut by recursive bisection in projected metres: split the longer side of its
    bounding box at the point-count quantile that leaves both halves their share of cells,
    until each cell is one zone. Deterministic (no random seed), balanced in points, and
    compact. With zones off (``zone_points`` None or 0, or no more points than that), the
    model is exactly the point-by-point one.

What it costs is measured on cases where both fit (``benchmarks/facility_zones.py``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from wasteopt.facilities.collection import FloatArray
from wasteopt.facilities.inputs import IntArray
from wasteopt.facilities.options import DemandPairs, OptionCosts, Options
from wasteopt.scenario.model import Scenario

__all__ = [
    "Members",
    "ZonedModel",
    "cheapest_sites",
    "demand_zones",
    "identity_members",
    "to_zones",
]

_EARTH_RADIUS_M = 6_371_008.8
_COST_FIELDS = dataclasses.fields(OptionCosts)
"""Every per-option term: each is a sum over points, so a zone option's is its members' sum."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Members:
    """The point pairs each modelled pair stands for, in compressed rows: pair q's members are
    ``point[ptr[q]:ptr[q + 1]]`` (scenario point indices) with ``t_per_day`` each."""

    ptr: IntArray
    point: IntArray
    t_per_day: FloatArray


@dataclass(frozen=True, slots=True, kw_only=True)
class ZonedModel:
    """The demand pairs, options and option costs over zones (``zones`` of them; 0: point by
    point), and each pair's members."""

    pairs: DemandPairs
    options: Options
    costs: OptionCosts
    members: Members
    zones: int = 0


def identity_members(pairs: DemandPairs) -> Members:
    """Each pair stands for itself (zones off)."""
    return Members(
        ptr=np.arange(len(pairs.point) + 1, dtype=np.int64),
        point=pairs.point,
        t_per_day=pairs.t_per_day,
    )


def demand_zones(scenario: Scenario, rates: FloatArray, zone_points: int | None) -> IntArray | None:
    """The zone of every scenario point (-1 for points without waste), numbered in the order
    of their first point; None when zones are off or not needed (at most ``zone_points``
    points with waste)."""
    used = np.flatnonzero((rates > 0).any(axis=1))
    if not zone_points or len(used) <= zone_points:
        return None
    groups: dict[tuple[object, ...], list[int]] = {}
    for p in used.tolist():
        pt = scenario.points[p]
        key = (pt.district, pt.access, pt.large_generator, tuple(rates[p] > 0))
        groups.setdefault(key, []).append(p)
    lon = np.array([p.lon for p in scenario.points])
    lat = np.array([p.lat for p in scenario.points])
    zone = np.full(len(scenario.points), -1, dtype=np.int64)
    n_zones = 0
    for members in groups.values():
        idx = np.array(members, dtype=np.int64)
        k = min(len(idx), max(1, round(len(idx) * zone_points / len(used))))
        x, y = _projected_m(lon[idx], lat[idx])
        for cell in _bisect(x, y, k):
            zone[idx[cell]] = n_zones
            n_zones += 1
    return _numbered_by_first_point(zone)


def _projected_m(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Equirectangular metres around the points' mean latitude (enough to compare lengths)."""
    k = math.radians(1.0) * _EARTH_RADIUS_M
    return lon * k * math.cos(math.radians(float(np.mean(lat)))), lat * k


def _bisect(x: FloatArray, y: FloatArray, k: int) -> list[IntArray]:
    """``k`` cells of positions into ``x``/``y``: each cut splits the longer side of a cell's
    bounding box at the count quantile that gives both sides their share of cells."""
    done: list[IntArray] = []
    todo: list[tuple[IntArray, int]] = [(np.arange(len(x), dtype=np.int64), k)]
    while todo:
        idx, cells = todo.pop()
        if cells <= 1 or len(idx) <= 1:
            done.append(np.sort(idx))
            continue
        cx, cy = x[idx], y[idx]
        along = cx if np.ptp(cx) >= np.ptp(cy) else cy
        order = idx[np.argsort(along, kind="stable")]
        left = cells // 2
        cut = min(len(idx) - 1, max(1, round(len(idx) * left / cells)))
        todo += [(order[cut:], cells - left), (order[:cut], left)]
    return done


def _numbered_by_first_point(zone: IntArray) -> IntArray:
    """Renumber zones 0, 1, … in the order of their smallest point index."""
    used = zone >= 0
    first = np.full(int(zone.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, zone[used], np.flatnonzero(used))
    rank = np.empty_like(first)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    out = zone.copy()
    out[used] = rank[zone[used]]
    return out


def to_zones(
    zone: IntArray,
    pairs: DemandPairs,
    options: Options,
    costs: OptionCosts,
    n_sites: tuple[int, int],
) -> ZonedModel:
    """Aggregate point pairs to (zone, stream) pairs and point options to zone options (module
    docstring): an option is kept where every member has it, its terms summed over them; a
    zone pair whose members share no site is split back into its points."""
    n_codes = max(1, n_sites[0] + n_sites[1])
    code = np.where(options.is_station, options.site, n_sites[0] + options.site)
    key = zone[pairs.point] * (int(pairs.stream.max(initial=0)) + 1) + pairs.stream
    unit = np.unique(key, return_inverse=True)[1].astype(np.int64)
    shared = _shared_options(unit, options.pair, code, n_codes)
    alone = ~np.isin(unit, shared[0] // n_codes)
    if alone.any():  # their own keys, after every zone pair: sort by (key, own pair)
        sub = np.where(alone, np.arange(1, len(unit) + 1), 0)
        unit = np.unique(key * (len(unit) + 1) + sub, return_inverse=True)[1].astype(np.int64)
        shared = _shared_options(unit, options.pair, code, n_codes)
    kept, of_opt = shared
    zoned = _zoned(unit, kept, of_opt, pairs, options, costs, (n_sites[0], n_codes))
    return dataclasses.replace(zoned, zones=int(zone.max(initial=-1)) + 1)


def _shared_options(
    unit: IntArray, opt_pair: IntArray, code: IntArray, n_codes: int
) -> tuple[IntArray, IntArray]:
    """The (unit, site code) keys every member of the unit has an option for, and each point
    option's position among all (unit, site code) keys (-1 when its key is not kept)."""
    keys, inv, count = np.unique(
        unit[opt_pair] * n_codes + code, return_inverse=True, return_counts=True
    )
    size = np.bincount(unit)
    ok = count == size[keys // n_codes]
    pos = np.cumsum(ok) - 1
    return keys[ok], np.where(ok[inv], pos[inv], -1).astype(np.int64)


def _zoned(
    unit: IntArray,
    kept: IntArray,
    of_opt: IntArray,
    pairs: DemandPairs,
    options: Options,
    costs: OptionCosts,
    sites: tuple[int, int],
) -> ZonedModel:
    """The zone-level arrays: sums over each kept key's point options; members by unit."""
    n_st, n_codes = sites
    n_units, n_opts = int(unit.max(initial=-1)) + 1, len(kept)
    live = of_opt >= 0
    t_opt = pairs.t_per_day[options.pair]

    def total(values: FloatArray) -> FloatArray:
        return _sum_by(of_opt[live], values[live], n_opts)

    t_sum = total(t_opt)
    order = np.argsort(unit, kind="stable")
    code = kept % n_codes
    first = order[np.concatenate([[0], np.cumsum(np.bincount(unit, minlength=n_units))[:-1]])]
    return ZonedModel(
        pairs=DemandPairs(
            point=pairs.point[first],
            stream=pairs.stream[first],
            t_per_day=_sum_by(unit, pairs.t_per_day, n_units),
        ),
        options=Options(
            pair=(kept // n_codes).astype(np.int64),
            site=np.where(code < n_st, code, code - n_st).astype(np.int64),
            is_station=code < n_st,
            round_trip_km=total(t_opt * options.round_trip_km) / np.maximum(t_sum, 1e-300),
            one_way_km=total(t_opt * options.one_way_km) / np.maximum(t_sum, 1e-300),
            unassignable=options.unassignable,
        ),
        costs=OptionCosts(**{f.name: total(getattr(costs, f.name)) for f in _COST_FIELDS}),
        members=Members(
            ptr=np.concatenate([[0], np.cumsum(np.bincount(unit, minlength=n_units))]).astype(
                np.int64
            ),
            point=pairs.point[order],
            t_per_day=pairs.t_per_day[order],
        ),
    )


def cheapest_sites(zoned: ZonedModel, k: int | None) -> ZonedModel:
    """Keep each pair's ``k`` cheapest station options (collection and handling cost; the
    lower station index on ties) and every plant option; None or 0 keeps all."""
    opts = zoned.options
    if not k or not len(opts.pair):
        return zoned
    cost = zoned.costs.collect + zoned.costs.handling
    order = np.lexsort((opts.site, cost, ~opts.is_station, opts.pair))  # stations first
    pair, is_st = opts.pair[order], opts.is_station[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    keep = np.zeros(len(order), dtype=bool)
    keep[order] = ~is_st | (rank < k)
    c = zoned.costs
    return ZonedModel(
        pairs=zoned.pairs,
        options=Options(
            pair=opts.pair[keep],
            site=opts.site[keep],
            is_station=opts.is_station[keep],
            round_trip_km=opts.round_trip_km[keep],
            one_way_km=opts.one_way_km[keep],
            unassignable=opts.unassignable,
        ),
        costs=OptionCosts(**{f.name: getattr(c, f.name)[keep] for f in _COST_FIELDS}),
        members=zoned.members,
        zones=zoned.zones,
    )


def _sum_by(keys: IntArray, values: FloatArray, n: int) -> FloatArray:
    """``out[k]`` = the sum of ``values`` whose key is k (in input order)."""
    return np.asarray(np.bincount(keys, weights=values, minlength=n), dtype=float)
