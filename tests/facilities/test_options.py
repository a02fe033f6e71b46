"""Tests of ``wasteopt/facilities/options.py``: each option is priced with the fleet that may
serve its point's access class (``ACCESS_RULES``), on line cases whose kitchen waste 20
compactors and one e-tricycle collect (``lane_line.py``), and zone options stay exact sums."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from lane_line import LineMatrix, kitchen_fleet, plan, plant, rates, scenario, station, with_access

from wasteopt.facilities import FacilitySettings
from wasteopt.facilities.model import FacilityModelData, build_model_data


def near_station_far_plant():
    """Lane point P at 0 (a large generator: it may haul straight to a plant), station A at
    1 km handling at 30 CNY/t, plant W at 10 km without gate fee, free transfer haul. With
    the compactor-dominated fleet the 18 extra km to W cost about 14 CNY/day against A's
    18 CNY/day of handling; with the tricycle alone (600 kg loads at 12 km/h) about 56."""
    sc = scenario(["P"], [station("A", cost_cny_per_t=30.0)], [plant("W")], large=("P",))
    sc = with_access(kitchen_fleet(sc), P="lane")
    return sc, rates(sc, {("P", "kitchen"): 600}), LineMatrix({"P": 0.0, "A": 1.0, "W": 10.0})


def test_lane_point_unloads_near_only_because_of_the_access_rule():
    """The lane point unloads at the near station; the same point on a main road (every
    class may serve it) goes to the far plant, and the tricycle has the hours for either."""
    sc, r, m = near_station_far_plant()
    lane = plan(sc, r, m)
    road = plan(with_access(sc, P="main_road"), r, m)
    assert lane.status == road.status == "optimal"
    assert lane.assignment_for("kitchen") == {"P": "A"}
    assert road.assignment_for("kitchen") == {"P": "W"}
    d = build_model_data(sc, r, m, FacilitySettings(mode="status_quo"))
    assert d.limit_classes == ("e_tricycle",)  # the scarce-class limit does not bind
    assert d.opt_vehicle_h_per_day.max() < d.limit_capacity_h_per_day[0]


def _option(d: FacilityModelData, site: str) -> int:
    """The option of the only pair at ``site`` (a station or plant id)."""
    sites = [d.station_ids[s] for s in d.opt_site[d.opt_is_station]]
    if site in sites:
        return int(np.flatnonzero(d.opt_is_station)[sites.index(site)])
    plants = [d.plant_ids[k] for k in d.opt_site[~d.opt_is_station]]
    return int(np.flatnonzero(~d.opt_is_station)[plants.index(site)])


def test_lane_option_is_priced_with_the_tricycle_alone():
    """P's line haul at W is 365 × 1 trip × (0.2 CNY/km × 20 km + 35 CNY/h × 20 km / 12 km/h):
    the tricycle's, one 600 kg load a day."""
    sc, r, m = near_station_far_plant()
    d = build_model_data(sc, r, m, FacilitySettings(mode="status_quo"))
    w = _option(d, "W")
    assert d.opt_linehaul_cny_per_year[w] == pytest.approx(365 * (0.2 * 20 + 35 * 20 / 12))
    assert d.opt_km_per_day[w] == pytest.approx(20.0)


def test_pair_no_class_reaches_and_never_collected_is_not_planned():
    """Other waste at a lane point, collected by compactors only and never there (frequency
    none: it is taken elsewhere; validation names every due one), has no option in the model
    and enters no scarce-class limit; the point's kitchen waste is planned."""
    sc, _, m = near_station_far_plant()
    sc = dataclasses.replace(
        sc, points=tuple(dataclasses.replace(p, frequency={"other": "none"}) for p in sc.points)
    )
    r = rates(sc, {("P", "kitchen"): 600, ("P", "other"): 500})
    d = build_model_data(sc, r, m, FacilitySettings(mode="status_quo"))
    assert d.pair_stream.tolist() == [0]  # kitchen only
    assert len(d.opt_pair) > 0 and set(d.pair_stream[d.opt_pair].tolist()) == {0}
    assert d.limit_classes == ("e_tricycle",)
    assert set(d.pair_stream[d.opt_pair[d.limit_opt]].tolist()) == {0}


def test_zone_vehicle_hours_are_the_exact_sums_of_their_points():
    """With demand zones (two lane and two main-road points, one zone each) every zone
    option's vehicle-hours and cost are its points' own, and the limit row holds only the
    lane zone's options."""
    pos = {"P1": 0.0, "P2": 0.5, "P3": 3.0, "P4": 3.5, "A": 1.0, "B": 4.0, "W": 10.0}
    sc = scenario(["P1", "P2", "P3", "P4"], [station("A"), station("B")], [plant("W")])
    sc = with_access(kitchen_fleet(sc), P1="lane", P2="lane")
    r = rates(sc, {(p, "kitchen"): 300.0 * (i + 1) for i, p in enumerate(["P1", "P2", "P3", "P4"])})
    m = LineMatrix(pos)
    zoned = build_model_data(sc, r, m, FacilitySettings(zone_points=2))
    points = build_model_data(sc, r, m, FacilitySettings(zone_points=0))
    assert zoned.zones == 2 and len(zoned.pair_point) == 2
    for o in range(len(zoned.opt_pair)):
        q = zoned.opt_pair[o]
        members = zoned.member_point[zoned.member_ptr[q] : zoned.member_ptr[q + 1]]
        own = (
            np.isin(points.pair_point[points.opt_pair], members)
            & (points.opt_site == zoned.opt_site[o])
            & (points.opt_is_station == zoned.opt_is_station[o])
        )
        assert own.sum() == len(members) == 2
        for field in ("opt_vehicle_h_per_day", "opt_collect_cny_per_year", "opt_km_per_day"):
            assert getattr(zoned, field)[o] == pytest.approx(getattr(points, field)[own].sum())
    lane = zoned.opt_pair[zoned.limit_opt]
    assert set(zoned.pair_point[lane].tolist()) == {0}  # the zone of P1 and P2
