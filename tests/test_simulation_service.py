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
GRID = ("P1", "P2", "P3", "P4", "P5", "P6")
VEHICLES = ("VT-KIT", "VT-OTH", "VT-HAUL")


def _plan(scenario, demand, matrix, hand_plan):
    """Hand-built plans (one vehicle, stops in id order) of day 0 for every stream."""
    problems = {s: build_problem(scenario, demand, 0, s, matrix) for s in scenario.stream_ids}
    return OperatingPlan(problems=problems, plans={s: hand_plan(p) for s, p in problems.items()})


@pytest.fixture(scope="module")
def grid(tiny_scenario):
    """Tiny's hand-checkable core: the grid points P1..P6 and the vehicles VT-KIT, VT-OTH and
    VT-HAUL (points and vehicles tiny gains later are left out, so the hand values hold)."""
    return dataclasses.replace(
        tiny_scenario,
        points=tuple(p for p in tiny_scenario.points if p.id in GRID),
        vehicle_types=tuple(v for v in tiny_scenario.vehicle_types if v.id in VEHICLES),
    )


@pytest.fixture(scope="module")
def weekly(grid, hand_plan):
    """Tiny (no noise) with P1's residual waste collected weekly (due on day 4 only) and a
    shortfall penalty of 800 CNY/t."""
    points = tuple(
        dataclasses.replace(p, frequency={"other": "weekly"}, phase=3) if p.id == "P1" else p
        for p in grid.points
    )
    planning = dataclasses.replace(grid.planning, shortfall_penalty_cny_per_t=PENALTY)
    sc = dataclasses.replace(grid, points=points, planning=planning)
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


def test_share_is_the_hand_value_when_only_first_stops_are_served(grid, hand_plan, exact_settings):
    """On tiny (every point daily) a one-second shift without overtime serves only each
    tour's first stop, P1, every day: kitchen collects 100 of 2,100 kg a day and residual 150
    of 2,400 kg, whatever the horizon."""
    vts = tuple(
        dataclasses.replace(v, shift_end_s=v.shift_start_s + 1) if v.role == "collection" else v
        for v in grid.vehicle_types
    )
    short = dataclasses.replace(grid, vehicle_types=vts)
    matrix = build_matrix(grid)
    demand = generate(grid, days=4, seed=0)
    op = _plan(grid, demand, matrix, hand_plan)
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
    assert r.status == "complete" and r.status_detail.startswith("complete: every kg due")
    assert r.service_findings() == () and r.service_shortfalls() == ()
    assert (r.service_levels()["collected_share"] == 1.0).all()
    frame = r.service_frame()
    assert tuple(frame.columns) == SERVICE_COLUMNS and len(frame) == 2
    assert not frame["below_level"].any() and "service:" not in r.summary()


def _tight_wte(scenario, capacity_t_per_day, storage_t):
    """``scenario`` with FAC-WTE (residual waste) at the given capacity and storage, its
    overflow going to a landfill ``LF``."""
    landfill = dataclasses.replace(
        next(f for f in scenario.facilities if f.id == "FAC-WTE"), id="LF", lon=120.3, lat=0.3
    )
    assert isinstance(landfill, TreatmentFacility)
    facs = tuple(
        dataclasses.replace(
            f, capacity_t_per_day=capacity_t_per_day, storage_t=storage_t, fallback="LF"
        )
        if f.id == "FAC-WTE"
        else f
        for f in scenario.facilities
    )
    return dataclasses.replace(scenario, facilities=(*facs, landfill))


def test_overflow_over_the_tolerance_is_a_named_treatment_shortfall(weekly, exact_settings):
    """A 1 t/day incinerator overflowing almost half of what is collected fails the treatment part
    of the level although every kg is collected: status shortfall, and the status names the
    plant, the stream, the tonnes over the horizon and per day, and the fallback."""
    tight = _tight_wte(weekly[0], 1.0, 2.0)
    r = _run((tight, build_matrix(tight), weekly[2], weekly[3]), exact_settings)
    (finding,) = r.service_findings()
    assert finding.stream == "other" and finding.collected_share == 1.0
    assert finding.treatment_short and not finding.collection_short and finding.below_level
    assert finding.short_of == "treatment" and finding.cost_cny == 0.0
    assert [(o.plant, o.fallback) for o in finding.overflows] == [("FAC-WTE", "LF")]
    over = r.daily["overflowed_t"].sum()
    assert finding.overflowed_t == pytest.approx(over) and over > 0.4 * finding.collected_t
    assert finding.overflow_share == pytest.approx(over / finding.collected_t)
    assert r.service_shortfalls() == (finding,) and r.status == "shortfall"
    detail = r.status_detail
    assert detail.startswith("shortfall: FAC-WTE other ") and "over 10 day(s) to LF" in detail
    assert f"{over:,.2f} t" in detail and f"{over / DAYS:,.2f} t/day" in detail
    assert "OVER the 0.5% treatment tolerance" in finding.line()
    assert r.service_frame().set_index("stream").loc["other", "short_of"] == "treatment"


def test_small_overflow_is_within_tolerance_and_named(grid, hand_plan, exact_settings):
    """A plant a little short of capacity (2.39 t/day for 2.4 t/day of residual waste, no
    storage) overflows 0.4 % of the collected waste: not a shortfall, status within_tolerance
    naming it."""
    tight = _tight_wte(grid, 2.39, 0.0)
    demand = generate(grid, days=DAYS, seed=0)
    op = _plan(grid, demand, build_matrix(grid), hand_plan)
    r = _run((tight, build_matrix(tight), demand, op), exact_settings)
    (finding,) = r.service_findings()
    assert 0 < finding.overflow_share <= 0.005 and not finding.below_level
    assert r.service_shortfalls() == () and r.status == "within_tolerance"
    assert r.status_detail.startswith("within_tolerance (every stream met the service level)")
    assert "FAC-WTE other" in r.status_detail and "to LF" in r.status_detail
    assert "within the 0.5% treatment tolerance" in r.summary()


def test_carry_over_collected_by_the_end_is_within_tolerance(grid, hand_plan, exact_settings):
    """Breakdowns (seed 3) that leave waste for a day or three which later tours collect,
    100 % collected by the end (the Jintan case of issue 13), give status within_tolerance,
    and the status names each stream's days with waste left and the most left on a day."""
    matrix = build_matrix(grid)
    demand = generate(grid, days=DAYS, seed=0)
    op = _plan(grid, demand, matrix, hand_plan)
    settings = dataclasses.replace(exact_settings, breakdown_probability=0.3)
    r = simulate(grid, demand=demand, matrix=matrix, operating=op, settings=settings, seed=3)
    levels = r.service_levels()
    assert (levels["collected_share"] == 1.0).all() and (levels["days_with_waste_left"] > 0).all()
    assert r.status == "within_tolerance" and r.service_shortfalls() == ()
    for stream, row in levels.iterrows():
        assert (
            f"{stream} collected 100.00% of {row['due_t']:,.2f} t due, all of it by the end "
            f"({int(row['days_with_waste_left'])} day(s) ended with due waste left, at most "
            f"{row['left_t_max']:,.2f} t)"
        ) in r.status_detail


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


def test_waste_taken_elsewhere_is_a_total_and_named_in_the_summary(grid, hand_plan, exact_settings):
    """P1's residual at frequency none (villagers take it to a store elsewhere): its 150 kg a
    day are the stream's taken_elsewhere_t over the horizon, and the summary names them beside
    what was collected, so generated − collected does not read as lost waste."""
    points = tuple(
        dataclasses.replace(p, frequency={"other": "none"}) if p.id == "P1" else p
        for p in grid.points
    )
    sc = dataclasses.replace(grid, points=points)
    matrix = build_matrix(sc)
    demand = generate(sc, days=DAYS, seed=0)
    r = _run((sc, matrix, demand, _plan(sc, demand, matrix, hand_plan)), exact_settings)
    tot = r.totals().set_index("stream")
    assert tot.loc["other", "taken_elsewhere_t"] == pytest.approx(DAYS * 0.150)
    assert tot.loc["kitchen", "taken_elsewhere_t"] == 0.0
    [line] = [ln for ln in r.summary().splitlines() if ln.startswith("  other: ")]
    assert f"(+{DAYS * 0.150:,.1f} t taken elsewhere)" in line
    assert "taken elsewhere" not in r.summary().split("  other: ")[0]
