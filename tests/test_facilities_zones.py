"""Tests of demand zones in the facility plan (``wasteopt/facilities/zones.py``), on a 300-point
Nanjing-like city built by ``scenarios/nanjing/build_city.py`` (districts, lanes, communities,
villages, markets and restaurants) and on hand-made line cases."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from test_facilities import LineMatrix
from test_facilities import plant as line_plant
from test_facilities import rates as line_rates
from test_facilities import scenario as line_scenario
from test_facilities import station as line_station

from wasteopt.errors import InputError
from wasteopt.facilities import FacilityPlan, FacilitySettings, plan_facilities
from wasteopt.facilities.inputs import collected_rates
from wasteopt.facilities.model import FacilityModelData, build_model_data
from wasteopt.facilities.zones import demand_zones
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "scenarios" / "nanjing" / "build_city.py"
ZONES = 60  # zone_points for the 300-point city: 5 points a zone


@dataclasses.dataclass(frozen=True)
class City:
    scenario: Scenario
    rates: np.ndarray
    matrix: TravelMatrix


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    """A 300-point city, seed 1, with the expected rates of the waste it collects (villages
    take hazardous waste elsewhere: frequency none) and its travel matrix."""
    out = tmp_path_factory.mktemp("zones") / "city"
    args = [sys.executable, str(BUILD), "--points", "300", "--seed", "1", "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    sc = load_scenario(out)
    return City(sc, collected_rates(sc, expected_rates_kg_per_day(sc)), build_matrix(sc))


def _data(city: City, **kw: object) -> FacilityModelData:
    return build_model_data(city.scenario, city.rates, city.matrix, FacilitySettings(**kw))


def _plan(city: City, **kw: object) -> FacilityPlan:
    kw.setdefault("time_limit_s", 30)
    return plan_facilities(city.scenario, city.rates, city.matrix, FacilitySettings(**kw))


def _same_data(a: FacilityModelData, b: FacilityModelData) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def test_zones_off_is_the_point_model(city):
    """With zone_points None, 0, or not below the number of points, every coefficient is the
    same point-by-point model, each pair standing for its own point."""
    n_points = int((city.rates > 0).any(axis=1).sum())
    off = _data(city, zone_points=None)
    for zp in (0, n_points, 10 * n_points):
        _same_data(off, _data(city, zone_points=zp))
    assert off.zones == 0
    assert np.array_equal(off.member_ptr, np.arange(len(off.pair_point) + 1))
    assert np.array_equal(off.member_point, off.pair_point)
    assert np.array_equal(off.member_t_per_day, off.pair_t_per_day)
    assert len(off.pair_point) == int((city.rates > 0).sum())


def test_zones_on_assign_every_point(city):
    """A zoned plan names every (point, stream) with waste, with its own t/day, and each
    zone's points of a stream share one site."""
    plan = _plan(city, zone_points=ZONES)
    assert plan.status == "optimal"
    expected = {
        (p.id, s.id): city.rates[i, k] / 1000.0
        for i, p in enumerate(city.scenario.points)
        for k, s in enumerate(city.scenario.streams)
        if city.rates[i, k] > 0
    }
    assert set(plan.assignments) == set(expected)
    assert plan.demand_t_per_day == pytest.approx(expected)
    d = _data(city, zone_points=ZONES)
    assert 0 < d.zones <= ZONES + 40 and any(m.startswith("demand zones:") for m in plan.messages)
    for q in range(len(d.pair_point)):
        members = d.member_point[d.member_ptr[q] : d.member_ptr[q + 1]]
        stream = d.stream_ids[d.pair_stream[q]]
        sites = {plan.assignments[(d.point_ids[p], stream)] for p in members}
        assert len(sites) == 1


def test_zone_demand_is_the_sum_of_its_points(city):
    """Each (zone, stream) carries the sum of its members' t/day; per stream the zones carry
    exactly the points' total; every point pair is a member exactly once."""
    d = _data(city, zone_points=ZONES)
    sums = np.add.reduceat(d.member_t_per_day, d.member_ptr[:-1])
    assert sums == pytest.approx(d.pair_t_per_day, rel=1e-12)
    for k in range(len(d.stream_ids)):
        assert d.pair_t_per_day[d.pair_stream == k].sum() == pytest.approx(
            city.rates[:, k].sum() / 1000.0, rel=1e-12
        )
    stream_of_member = np.repeat(d.pair_stream, np.diff(d.member_ptr))
    keys = list(zip(d.member_point.tolist(), stream_of_member.tolist(), strict=True))
    assert len(keys) == len(set(keys)) == int((city.rates > 0).sum())


def test_zones_never_cross_district_access_or_generator_lines(city):
    """All points of a zone share district, road access class, large-generator flag and the
    set of streams they generate; points without waste get no zone."""
    zone = demand_zones(city.scenario, city.rates, ZONES)
    assert zone is not None
    keys: dict[int, set[tuple[object, ...]]] = defaultdict(set)
    for i, p in enumerate(city.scenario.points):
        if zone[i] >= 0:
            keys[int(zone[i])].add(
                (p.district, p.access, p.large_generator, tuple(city.rates[i] > 0))
            )
    assert all(len(k) == 1 for k in keys.values())
    assert len({k for ks in keys.values() for k in ks}) > 10  # the city has many such groups
    assert np.array_equal(zone < 0, ~(city.rates > 0).any(axis=1))
    assert np.array_equal(zone, demand_zones(city.scenario, city.rates, ZONES))  # no seed


def test_zone_costs_are_the_exact_sums_over_points(city):
    """A zoned plan's collection cost and t·km are what its point assignment costs in the
    point-by-point model (the zones aggregate decisions, not coefficients)."""
    plan = _plan(city, zone_points=ZONES)
    d = _data(city, zone_points=None)
    kind = {j: True for j in d.station_ids} | {k: False for k in d.plant_ids}
    site_index = {j: i for i, j in enumerate(d.station_ids)} | {
        k: i for i, k in enumerate(d.plant_ids)
    }
    chosen = []
    for o in range(len(d.opt_pair)):
        q = int(d.opt_pair[o])
        key = (d.point_ids[d.pair_point[q]], d.stream_ids[d.pair_stream[q]])
        site = plan.assignments[key]
        if kind[site] == d.opt_is_station[o] and site_index[site] == d.opt_site[o]:
            chosen.append(o)
    assert len(chosen) == len(d.pair_point)
    collect = plan.cost_breakdown
    assert float(d.opt_linehaul_cny_per_year[chosen].sum()) == pytest.approx(
        collect["collection_line_haul"], rel=1e-9
    )
    assert float(d.opt_vehicle_cny_per_year[chosen].sum()) == pytest.approx(
        collect["collection_vehicle_days"], rel=1e-9
    )
    transfer = sum(
        t * float(city.matrix.block([j], [k])[0, 0]) / 1000.0 for (j, _, k), t in plan.flows.items()
    )
    t_km = float(d.opt_t_km_per_day[chosen].sum()) + transfer
    assert plan.t_km_per_day == pytest.approx(t_km, rel=1e-9)


def test_each_zone_keeps_its_cheapest_stations(city):
    """With zone_sites k, a (zone, stream) has at most k station options, the cheapest of all
    it had, and every plant option; zone_sites None keeps them all."""
    every = _data(city, zone_points=ZONES, zone_sites=None)
    three = _data(city, zone_points=ZONES, zone_sites=3)
    assert len(three.opt_pair) < len(every.opt_pair)
    for q in range(len(every.pair_point)):
        all_st = every.opt_is_station & (every.opt_pair == q)
        kept_st = three.opt_is_station & (three.opt_pair == q)
        assert kept_st.sum() == min(3, all_st.sum())
        cost = every.opt_collect_cny_per_year + every.opt_handling_cny_per_year
        kept_cost = three.opt_collect_cny_per_year + three.opt_handling_cny_per_year
        if all_st.sum() > 3:
            assert kept_cost[kept_st].max() <= np.sort(cost[all_st])[2] * (1 + 1e-12)
        plants = ~every.opt_is_station & (every.opt_pair == q)
        assert (~three.opt_is_station & (three.opt_pair == q)).sum() == plants.sum()


def test_zone_without_a_shared_site_is_planned_point_by_point():
    """Two points of one zone under a haul limit that lets each reach only its own station:
    the zone is split into its points and each unloads within the limit."""
    pos = {"P1": 0.0, "P2": 10.0, "A": 0.0, "B": 10.0, "W": 5.0}
    sc = line_scenario(["P1", "P2"], [line_station("A"), line_station("B")], [line_plant("W")])
    r = line_rates(sc, {("P1", "kitchen"): 600, ("P2", "kitchen"): 600})
    settings = FacilitySettings(zone_points=1, max_haul_km=3.0, time_limit_s=10)
    assert demand_zones(sc, r, 1) is not None  # both points in one zone
    plan = plan_facilities(sc, r, LineMatrix(pos), settings)
    assert plan.status == "optimal"
    assert plan.assignment_for("kitchen") == {"P1": "A", "P2": "B"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("zone_points", -1), ("zone_sites", -2), ("zone_points", 2.5), ("zone_mip_gap", 1.5)],
)
def test_bad_zone_settings_are_named(city, field, value):
    """A negative or fractional zone limit or a gap outside [0, 1) is refused by field name."""
    with pytest.raises(InputError, match=field):
        _data(city, **{field: value})
