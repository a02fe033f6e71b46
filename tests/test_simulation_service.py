"""Tests of the simulated service level: collected share per stream, findings and their cost."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.reporting.html import render_html_report
from wasteopt.routing.build import build_problem
from wasteopt.scenario.model import TreatmentFacility
from wasteopt.simulation import (
    MIN_COLLECTED_SHARE,
    OperatingPlan,
    PlaceLeft,
    ServiceFinding,
    SimulationSettings,
    simulate,
)
from wasteopt.simulation.service import SERVICE_COLUMNS

DAYS = 10
PENALTY = 800.0  # CNY/t, set on the scenario so the cost is the scenario's penalty


def _plan(scenario, demand, matrix, hand_plan):
    """Hand-built plans (one vehicle, stops in id order) of day 0 for every stream."""
    problems = {s: build_problem(scenario, demand, 0, s, matrix) for s in scenario.stream_ids}
    return OperatingPlan(problems=problems, plans={s: hand_plan(p) for s, p in problems.items()})


@pytest.fixture(scope="module")
def weekly(tiny_scenario, hand_plan):
    """Tiny (no noise) with P1's residual waste collected weekly (due on day 4 only) and a
    shortfall penalty of 800 CNY/t."""
    points = tuple(
        dataclasses.replace(p, frequency={"other": "weekly"}, phase=3) if p.id == "P1" else p
        for p in tiny_scenario.points
    )
    planning = dataclasses.replace(tiny_scenario.planning, shortfall_penalty_cny_per_t=PENALTY)
    sc = dataclasses.replace(tiny_scenario, points=points, planning=planning)
    matrix = build_matrix(sc)
    demand = generate(sc, days=DAYS, seed=0)
    return sc, matrix, demand, _plan(sc, demand, matrix, hand_plan)


def _run(data, settings, scenario=None):
    sc, matrix, demand, op = data
    return simulate(
        scenario or sc, demand=demand, matrix=matrix, operating=op, settings=settings, seed=0
    )


def test_everything_broken_names_stream_points_and_cost(weekly, exact_settings):
    """With every vehicle broken every day nothing is collected: each stream is a finding
    below the level with the hand-computed tonnes due, the points left (largest first, with
    their catchment) and the cost at the scenario's penalty."""
    r = _run(weekly, dataclasses.replace(exact_settings, breakdown_probability=1.0))
    short = {f.stream: f for f in r.service_shortfalls()}
    assert set(short) == {"kitchen", "other"}
    other = short["other"]
    # P2..P6 due every day: 2,250 kg/day × 10; P1 weekly, due on day 4 only: 2 days of
    # initial stock + days 0..4 (7 × 150 kg); its days 5..9 are not due yet
    assert other.due_t == pytest.approx(22.5 + 1.05)
    assert other.left_t == pytest.approx(other.due_t)
    assert other.collected_share == 0.0 and other.below_level
    assert other.cost_cny == pytest.approx(23.55 * PENALTY)
    assert other.days_with_waste_left == DAYS and other.points_left == 6
    assert other.places[0] == PlaceLeft(point_id="P6", catchment="ST-W", left_t=pytest.approx(6.5))
    left = r.points_left.set_index(["stream", "point_id"])["left_t"]
    assert left[("other", "P1")] == pytest.approx(1.05)
    assert short["kitchen"].due_t == pytest.approx(21.0)
    assert short["kitchen"].places[0].catchment == "FAC-KITCHEN"
    line = other.line()
    assert "base/other" in line and "0.00%" in line and "P6 @ ST-W" in line
    assert "18,840 CNY" in line and "BELOW" in line
    assert "BELOW the 99.5% level" in r.summary()


def test_share_is_the_hand_value_when_only_first_stops_are_served(
    tiny_scenario, hand_plan, exact_settings
):
    """On tiny (every point daily) a one-second shift without overtime serves only each
    tour's first stop, P1, every day: kitchen collects 100 of 2,100 kg a day and residual 150
    of 2,400 kg, whatever the horizon."""
    vts = tuple(
        dataclasses.replace(v, shift_end_s=v.shift_start_s + 1) if v.role == "collection" else v
        for v in tiny_scenario.vehicle_types
    )
    short = dataclasses.replace(tiny_scenario, vehicle_types=vts)
    matrix = build_matrix(tiny_scenario)
    demand = generate(tiny_scenario, days=4, seed=0)
    op = _plan(tiny_scenario, demand, matrix, hand_plan)
    settings = dataclasses.replace(exact_settings, max_overtime_s=0)
    r = _run((short, matrix, demand, op), settings)
    levels = r.service_levels()
    assert levels.loc["kitchen", "collected_share"] == pytest.approx(100 / 2100)
    assert levels.loc["other", "collected_share"] == pytest.approx(150 / 2400)
    assert levels.loc["other", "due_t"] == pytest.approx(4 * 2.4)
    assert (levels["collected_share"] <= 1.0).all()
    assert r.balance["closes"].all()


def test_share_at_most_one_and_due_matches_the_mass_at_points(weekly):
    """With random times and breakdowns the share stays ≤ 1, and waste due = initial +
    generated − taken elsewhere − waste not yet due at the end (P1's residual of days 5..9)."""
    r = _run(weekly, SimulationSettings(breakdown_probability=0.4))
    levels = r.service_levels()
    assert ((levels["collected_share"] >= 0) & (levels["collected_share"] <= 1)).all()
    end = r.balance[r.balance["day"] == DAYS - 1].set_index("stream")
    not_yet_due_kg = {"kitchen": 0.0, "other": 5 * 150.0}
    for stream, row in levels.iterrows():
        b = end.loc[stream]
        due_kg = b["initial_kg"] + b["generated_kg"] - b["taken_elsewhere_kg"]
        assert row["due_t"] * 1000 == pytest.approx(due_kg - not_yet_due_kg[stream])


def test_normal_run_has_no_finding(weekly, exact_settings):
    """When every due kg is collected there is no finding, every share is 1 and service.csv
    still has one row per stream, none below the level."""
    r = _run(weekly, exact_settings)
    assert r.status == "complete"
    assert r.service_findings() == () and r.service_shortfalls() == ()
    assert (r.service_levels()["collected_share"] == 1.0).all()
    frame = r.service_frame()
    assert tuple(frame.columns) == SERVICE_COLUMNS and len(frame) == 2
    assert not frame["below_level"].any() and "service:" not in r.summary()


def test_overflow_above_the_level_is_reported_not_failed(weekly, exact_settings):
    """A plant that overflows to its fallback while every kg is collected is a finding within
    the level: named with the plant, fallback and tonnes, but not a shortfall."""
    sc = weekly[0]
    landfill = dataclasses.replace(
        next(f for f in sc.facilities if f.id == "FAC-WTE"), id="LF", lon=120.3, lat=0.3
    )
    facs = tuple(
        dataclasses.replace(f, capacity_t_per_day=1.0, storage_t=2.0, fallback="LF")
        if f.id == "FAC-WTE"
        else f
        for f in sc.facilities
    )
    tight = dataclasses.replace(sc, facilities=(*facs, landfill))
    assert isinstance(landfill, TreatmentFacility)
    data = (tight, build_matrix(tight), weekly[2], weekly[3])
    r = _run(data, exact_settings)
    (finding,) = r.service_findings()
    assert finding.stream == "other" and not finding.below_level
    assert finding.collected_share == 1.0 and finding.cost_cny == 0.0
    assert [(o.plant, o.fallback) for o in finding.overflows] == [("FAC-WTE", "LF")]
    assert finding.overflowed_t == pytest.approx(r.daily["overflowed_t"].sum())
    assert r.service_shortfalls() == () and r.status == "shortfall"
    assert "within the 99.5% level" in r.summary() and "FAC-WTE → LF" in r.summary()


def test_service_csv_written_and_names_escaped_in_html(weekly, exact_settings, tmp_path):
    """write() puts service.csv next to the tables; a finding's names are escaped in HTML."""
    r = _run(weekly, dataclasses.replace(exact_settings, breakdown_probability=1.0))
    r.write(tmp_path)
    back = pd.read_csv(tmp_path / "service.csv", encoding="utf-8-sig")
    assert list(back["stream"]) == ["kitchen", "other"] and back["below_level"].all()
    assert "P6 @ ST-W" in back.set_index("stream").loc["other", "places"]
    f = ServiceFinding(
        scenario="s",
        variant="<b>v</b>",
        seed=0,
        stream="other",
        collected_t=0.0,
        due_t=1.0,
        collected_share=0.0,
        min_collected_share=MIN_COLLECTED_SHARE,
        left_t=1.0,
        days_with_waste_left=1,
        points_left=1,
        places=(PlaceLeft(point_id="<P&1>", catchment="ST", left_t=1.0),),
        overflows=(),
        penalty_cny_per_t=1.0,
    )
    html = render_html_report(
        title="t", kpi_tables={"service": pd.DataFrame([f.row()])}, figures={}
    )
    assert "&lt;P&amp;1&gt;" in html and "<P&1>" not in html and "<b>v</b>" not in html


def test_level_must_be_a_share(weekly, exact_settings):
    """A level outside [0, 1] is an error; level 0 turns every finding into a tolerated one."""
    r = _run(weekly, dataclasses.replace(exact_settings, breakdown_probability=1.0))
    with pytest.raises(ValueError, match="min_collected_share"):
        r.service_findings(1.5)
    assert r.service_shortfalls(0.0) == ()
