"""Tests of the variant comparison table, the plan tables on disk, and routing consuming a plan
(the shipped ``scenarios/tiny``: two streams, one existing and one candidate station)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wasteopt.clock import Deadline
from wasteopt.facilities import FacilitySettings, plan_facilities, solve
from wasteopt.facilities.collection import estimate_collection
from wasteopt.facilities.compare import COMPARE_COLUMNS, plan_variants, write_plan
from wasteopt.generation import expected_rates_kg_per_day, generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem, nearest_unload_sites
from wasteopt.scenario.load import load_scenario
from wasteopt.stopids import TWICE_SUFFIX

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny"


def _plan(variant=None, mode="status_quo"):
    sc = load_scenario(TINY, variant=variant)
    return sc, plan_facilities(
        sc,
        expected_rates_kg_per_day(sc),
        build_matrix(sc),
        FacilitySettings(mode=mode, time_limit_s=10),
    )


def test_plan_variants_rows_and_deltas_match_separate_plans():
    """Base first, then the variant; deltas equal variant − base of independently solved plans."""
    table = plan_variants(
        load_scenario(TINY), ["east"], FacilitySettings(mode="status_quo", time_limit_s=10)
    )
    assert list(table.index) == ["base", "east"]
    assert list(table.columns[: len(COMPARE_COLUMNS)]) == list(COMPARE_COLUMNS)
    _, base = _plan()
    _, east = _plan("east")
    assert table.loc["base", "objective_cny_per_year"] == pytest.approx(base.objective)
    assert table.loc["east", "objective_cny_per_year"] == pytest.approx(east.objective)
    assert table.loc["east", "delta_objective_cny_per_year"] == pytest.approx(
        east.objective - base.objective
    )
    assert table.loc["east", "delta_objective_pct"] == pytest.approx(
        100 * (east.objective - base.objective) / base.objective
    )
    assert table.loc["base", "delta_t_km_per_day"] == 0.0
    assert table.loc["base", "open_station_ids"] == "ST-W"
    assert table.loc["east", "built_station_ids"] == "ST-E"
    assert table.loc["east", "closed_station_ids"] == "ST-W"
    t_day = sum(base.demand_t_per_day.values())
    assert table.loc["base", "cost_cny_per_t"] == pytest.approx(base.objective / (365 * t_day))
    assert bool(table.loc["base", "optimal"]) and table.loc["base", "status"] == "optimal"
    util = [base.utilisation[s] for s in base.open_stations]
    assert table.loc["base", "station_util_max"] == pytest.approx(max(util))


def test_plan_variants_without_base_has_no_reference():
    """Without the base row the delta block is NaN, not a silent zero."""
    table = plan_variants(
        load_scenario(TINY), ["east"], FacilitySettings(time_limit_s=10), include_base=False
    )
    assert list(table.index) == ["east"]
    assert math.isnan(table.loc["east", "delta_objective_cny_per_year"])


def test_write_plan_writes_seven_consistent_tables(tmp_path):
    """assignments/utilisation/flows/costs/shortfalls/haul/fleet_hours CSVs hold the plan's
    numbers; no temp files remain."""
    _, plan = _plan()
    paths = write_plan(plan, tmp_path / "plan")
    assert sorted(paths) == [
        "assignments.csv",
        "costs.csv",
        "fleet_hours.csv",
        "flows.csv",
        "haul.csv",
        "shortfalls.csv",
        "utilisation.csv",
    ]
    assert sorted(p.name for p in (tmp_path / "plan").iterdir()) == sorted(paths)
    a = pd.read_csv(paths["assignments.csv"])
    assert len(a) == len(plan.assignments)
    assert a["t_per_day"].sum() == pytest.approx(sum(plan.demand_t_per_day.values()))
    c = pd.read_csv(paths["costs.csv"]).set_index("item")
    assert c.loc["total", "cny_per_year"] == pytest.approx(plan.objective)
    assert c.drop(index="total")["cny_per_year"].sum() == pytest.approx(plan.objective)
    u = pd.read_csv(paths["utilisation.csv"]).set_index("site_id")
    assert set(u.index) == set(plan.capacity_t_per_day)
    f = pd.read_csv(paths["flows.csv"])
    assert f["t_per_day"].sum() == pytest.approx(sum(plan.flows.values()))


def test_plan_variants_writes_each_plan_and_the_table(tmp_path):
    """With out_dir every variant gets its folder of tables and comparison.csv is written."""
    plan_variants(
        load_scenario(TINY), ["east"], FacilitySettings(time_limit_s=10), out_dir=tmp_path
    )
    assert (tmp_path / "comparison.csv").is_file()
    for vid in ("base", "east"):
        assert (tmp_path / vid / "assignments.csv").is_file()


@pytest.mark.parametrize("variant", [None, "east"])
def test_routing_sends_every_stop_to_its_planned_site(variant):
    """build_problem(assignment=plan.assignment_for(stream)) unloads each stop where planned."""
    sc, plan = _plan(variant)
    matrix = build_matrix(sc)
    demand = generate(sc, days=2, seed=1)
    for stream in sc.stream_ids:
        planned = plan.assignment_for(stream)
        problem = build_problem(sc, demand, 0, stream, matrix, assignment=planned)
        assert problem.stops
        for stop in problem.stops:
            assert stop.unload_at == (planned[stop.id.removesuffix(TWICE_SUFFIX)],)
        assert {s.id for s in problem.sites} == set(planned.values())


def test_routing_follows_the_plan_not_the_nearest_site():
    """A plan sending 'other' waste to the plant overrides the nearer station."""
    sc, plan = _plan()
    matrix = build_matrix(sc)
    demand = generate(sc, days=1, seed=1)
    points = list(plan.assignment_for("other"))
    nearest = nearest_unload_sites(sc, matrix, "other", points)
    assert set(nearest.values()) != {"FAC-WTE"}  # some point is nearer the station
    forced = {p: "FAC-WTE" for p in points}
    problem = build_problem(sc, demand, 0, "other", matrix, assignment=forced)
    assert {s.unload_at for s in problem.stops} == {("FAC-WTE",)}


def test_day_estimate_reproduces_the_planner_cost_in_steady_state():
    """estimate_collection on the expected loads (daily points) gives the plan's collection
    cost terms / 365: the calibration script predicts with the planner's own formula."""
    sc, plan = _plan()
    rates = expected_rates_kg_per_day(sc)
    matrix = build_matrix(sc)
    ids = [p.id for p in sc.points]
    tot = {"line": 0.0, "unload": 0.0, "veh": 0.0, "local": 0.0}
    for s_i, stream in enumerate(sc.stream_ids):
        est = estimate_collection(
            sc, stream, ids, rates[:, s_i], np.ones(len(ids)), matrix, plan.assignment_for(stream)
        )
        assert est.stops == int((rates[:, s_i] > 0).sum())
        tot["line"] += est.line_haul_cny
        tot["unload"] += est.unloading_cny
        tot["veh"] += est.vehicle_days_cny
        tot["local"] += est.local_cny
    b = plan.cost_breakdown
    assert 365 * tot["line"] == pytest.approx(b["collection_line_haul"])
    assert 365 * tot["unload"] == pytest.approx(b["collection_unloading"])
    assert 365 * tot["veh"] == pytest.approx(b["collection_vehicle_days"])
    assert 365 * tot["local"] == pytest.approx(b["collection_local"])
    assert tot["local"] > 0 and tot["veh"] > 0


def test_no_direct_delivery_still_serves_streams_no_station_takes():
    """allow_direct=False: 'other' unloads at the station; kitchen (no station takes it) still
    goes straight to its plant instead of making the plan infeasible."""
    sc = load_scenario(TINY)
    plan = plan_facilities(
        sc,
        expected_rates_kg_per_day(sc),
        build_matrix(sc),
        FacilitySettings(mode="status_quo", allow_direct=False, time_limit_s=10),
    )
    assert plan.has_plan
    assert set(plan.assignment_for("other").values()) == {"ST-W"}
    assert set(plan.assignment_for("kitchen").values()) == {"FAC-KITCHEN"}


def test_plan_variants_shares_a_deadline_without_changing_the_plans():
    """A generous deadline changes no plan: each plan gets its share of the budget."""
    sc = load_scenario(TINY)
    settings = FacilitySettings(mode="status_quo", time_limit_s=10)
    free = plan_variants(sc, ["east"], settings)
    timed = plan_variants(sc, ["east"], settings, deadline=Deadline(120))
    cols = ["objective_cny_per_year", "open_station_ids", "status"]
    pd.testing.assert_frame_equal(free[cols], timed[cols])


def test_deadline_caps_the_solver_time_limit(monkeypatch):
    """HiGHS gets min(settings.time_limit_s, what the deadline has left)."""
    seen: list[float] = []
    real = solve.solve_facility_model

    def spy(data, *, time_limit_s, mip_gap, threads=None):
        seen.append(time_limit_s)
        return real(data, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads)

    monkeypatch.setattr(solve, "solve_facility_model", spy)
    sc = load_scenario(TINY)
    r, m = expected_rates_kg_per_day(sc), build_matrix(sc)
    plan_facilities(sc, r, m, FacilitySettings(time_limit_s=30), deadline=Deadline(5))
    plan_facilities(sc, r, m, FacilitySettings(time_limit_s=3), deadline=Deadline(500))
    assert 0 < seen[0] <= 5 and seen[1] == 3


def test_day_estimate_plans_trips_to_the_fill_margin():
    """With [planning] fill_margin 0.5 the planner's trips carry half a load, as the routing
    plans them: twice the unload trips (line haul and unloading cost) of margin 1."""
    sc, plan = _plan()
    rates = expected_rates_kg_per_day(sc)
    matrix = build_matrix(sc)
    ids = [p.id for p in sc.points]
    half = dataclasses.replace(sc, planning=dataclasses.replace(sc.planning, fill_margin=0.5))
    s_i = sc.stream_ids.index("other")
    est = {
        m: estimate_collection(
            s, "other", ids, rates[:, s_i], np.ones(len(ids)), matrix, plan.assignment_for("other")
        )
        for m, s in ((1.0, sc), (0.5, half))
    }
    assert sc.planning.fill_margin == 1.0 and est[1.0].line_haul_cny > 0
    assert est[0.5].line_haul_cny == pytest.approx(2 * est[1.0].line_haul_cny)
    assert est[0.5].unloading_cny == pytest.approx(2 * est[1.0].unloading_cny)


def test_plan_leaves_out_waste_the_district_never_collects():
    """A point whose 'other' frequency is none, and every stream of a point 不分类不收运
    refuses, are planned nowhere: no station or plant takes waste that is never collected."""
    sc = load_scenario(TINY)
    rates = expected_rates_kg_per_day(sc)
    none_pt, refused_pt = sc.points[0], sc.points[1]
    points = tuple(
        dataclasses.replace(p, frequency={**p.frequency, "other": "none"})
        if p.id == none_pt.id
        else dataclasses.replace(p, compliant=False)
        if p.id == refused_pt.id
        else p
        for p in sc.points
    )
    edited = dataclasses.replace(
        sc,
        points=points,
        planning=dataclasses.replace(sc.planning, refuse_unsorted=True),
    )
    settings = FacilitySettings(mode="status_quo", time_limit_s=10)
    plan = plan_facilities(edited, rates, build_matrix(edited), settings)
    base = plan_facilities(sc, rates, build_matrix(sc), settings)
    assert plan.has_plan and base.has_plan
    assert none_pt.id in base.assignment_for("other")
    assert none_pt.id not in plan.assignment_for("other")
    for stream in sc.stream_ids:
        if rates[1, sc.stream_ids.index(stream)] > 0:
            assert refused_pt.id in base.assignment_for(stream)
            assert refused_pt.id not in plan.assignment_for(stream)
    assert rates[0, sc.stream_ids.index("kitchen")] > 0
    assert none_pt.id in plan.assignment_for("kitchen")  # its other streams stay planned
