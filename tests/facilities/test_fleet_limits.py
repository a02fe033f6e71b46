"""Tests of ``wasteopt/facilities/fleet_limits.py``, constraint (11) of the facility model: the
vehicle-hours of the points only a restricted vehicle class set reaches fit that set's fleet,
with a priced slack. Line cases of ``lane_line.py``: kitchen by 20 compactors and one
e-tricycle (0.2 CNY/km, no cost per hour here, so only its hours can keep a lane point near)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from lane_line import (
    LineMatrix,
    kitchen_fleet,
    plan,
    plant,
    rates,
    scenario,
    station,
    vehicle,
    with_access,
)

from wasteopt.facilities import FacilitySettings
from wasteopt.facilities.compare import write_plan
from wasteopt.facilities.model import build_model_data

POS = {"P": 0.0, "A": 1.0, "B": 6.0, "W": 50.0}


def near_dear_far_cheap(kg: float, shift_h: float):
    """Lane point P at 0 with ``kg`` kitchen/day; station A at 1 km handles at 20 CNY/t, B at
    6 km for nothing; the tricycle works ``shift_h`` h (7 trips, 600 kg, 12 km/h). B costs
    the tricycle 2 CNY/trip more in km but saves 12 CNY/t; a trip takes 2/12 + 1/6 h (A) or
    12/12 + 1/6 h (B) plus P's 1 min of service per day."""
    sc = scenario(["P"], [station("A", cost_cny_per_t=20.0), station("B")], [plant("W")])
    sc = with_access(
        kitchen_fleet(sc, cost_cny_per_hour=0.0, shift_end_s=int(shift_h * 3600)), P="lane"
    )
    return sc, rates(sc, {("P", "kitchen"): kg}), LineMatrix(POS)


def test_tricycle_hours_keep_a_lane_point_at_the_dear_near_station():
    """One 600 kg load a day: B's trip (1.18 h) does not fit a 1 h shift, so the limit sends
    P to A (0.35 h); with a 2 h shift B fits and is cheaper."""
    short_shift = plan(*near_dear_far_cheap(600.0, 1.0))
    long_shift = plan(*near_dear_far_cheap(600.0, 2.0))
    assert short_shift.status == long_shift.status == "optimal"
    assert short_shift.assignment_for("kitchen") == {"P": "A"}
    assert long_shift.assignment_for("kitchen") == {"P": "B"}
    (used,) = short_shift.fleet_hours
    assert (used.stream, used.vehicle_classes) == ("kitchen", "e_tricycle")
    assert used.hours_per_day == pytest.approx(2 / 12 + 1 / 6 + 1 / 60)
    assert used.capacity_h_per_day == pytest.approx(1.0) and used.short_h_per_day == 0.0
    assert long_shift.fleet_hours[0].hours_per_day == pytest.approx(1 + 1 / 6 + 1 / 60)


def test_a_fleet_too_small_anywhere_is_a_priced_reported_shortfall(tmp_path):
    """Three loads a day fit nowhere in a 1 h shift: P goes to A (short by its 1/60 h of
    service), the plan is capacity_short, and the short hour costs 365 × 1000 CNY/t ×
    ψ = 600 kg × 7 trips / 1 h = 4.2 t/h; fleet_hours.csv holds the same numbers."""
    p = plan(*near_dear_far_cheap(1800.0, 1.0))
    assert p.status == "capacity_short"
    assert p.assignment_for("kitchen") == {"P": "A"}
    short = 3 * (2 / 12 + 1 / 6) + 1 / 60 - 1.0
    assert p.fleet_shortfalls_h_per_day == pytest.approx({("kitchen", "e_tricycle"): short})
    penalty = 365 * 1000 * 4.2 * short
    assert p.cost_breakdown["fleet_shortfall_penalty"] == pytest.approx(penalty)
    assert p.cost_terms["shortfall_penalty"] == pytest.approx(penalty)
    assert sum(p.cost_breakdown.values()) == pytest.approx(p.objective)
    assert any("e_tricycle by 0.02 h/day" in m for m in p.messages)
    f = pd.read_csv(write_plan(p, tmp_path / "plan")["fleet_hours.csv"])
    assert f.loc[0, "short_h_per_day"] == pytest.approx(short)
    assert f.loc[0, "penalty_cny_per_year"] == pytest.approx(penalty)


def test_restricted_sets_nest_and_count_every_point_they_alone_reach():
    """'other' by compactors, small compactors and e-tricycles: one row for the lane set
    (e-tricycles: the lane point) and one for the residential set (e-tricycles and small
    compactors: the lane and the residential point), none for the main road; each row's
    capacity is Σ count × shift hours of its types."""
    sc = scenario(["L", "R", "M"], [station("A")], [plant("W")])
    tri = dataclasses.replace(
        vehicle("T-other", "other", "collection", 1.0), vehicle_class="e_tricycle", count=3
    )
    small = dataclasses.replace(
        vehicle("S-other", "other", "collection", 2.0),
        vehicle_class="small_compactor",
        count=2,
        shift_end_s=8 * 3600,
    )
    sc = dataclasses.replace(sc, vehicle_types=(*sc.vehicle_types, tri, small))
    sc = with_access(sc, L="lane", R="residential")
    r = rates(sc, {(p, "other"): 500.0 for p in ("L", "R", "M")})
    m = LineMatrix({"L": 0.0, "R": 1.0, "M": 2.0, "A": 3.0, "W": 20.0})
    d = build_model_data(sc, r, m, FacilitySettings(mode="status_quo"))
    assert d.limit_classes == ("e_tricycle", "e_tricycle+small_compactor")
    assert d.limit_capacity_h_per_day.tolist() == pytest.approx([3 * 24.0, 3 * 24.0 + 2 * 8.0])
    rows = [
        sorted(d.point_ids[p] for p in d.pair_point[d.opt_pair[d.limit_opt[a:b]]])
        for a, b in zip(d.limit_ptr[:-1], d.limit_ptr[1:], strict=True)
    ]
    assert rows == [["L"], ["L", "R"]]
    assert np.all(d.limit_penalty_cny_per_year_per_h > 0)
