"""Tests of the robustness roll-up: breaches of the collection and haul vehicle-days of a
simulation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.scenario import load_scenario
from wasteopt.simulation import (
    MAX_AFFECTED_SHARE,
    OperatingPlan,
    plan_verdict,
    robustness_table,
    simulate,
)
from wasteopt.simulation.robustness import (
    ROBUSTNESS_COLUMNS,
    robustness_kpis,
    robustness_text,
)

ROOT = Path(__file__).resolve().parents[1]


def _day(vehicle: str, stream: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "day": 0,
        "date": "2026-01-05",
        "vehicle": vehicle,
        "role": "collection",
        "stream": stream,
        "ran": True,
        "trips": 2,
        "trips_over_max": 0,
        "extra_unloads": 0,
        "overtime_min": 0.0,
    }
    return {**row, **kw}


def test_table_counts_each_breach_and_the_worst_case():
    """Shares count the vehicle-days that ran with each breach; the worst cases name the
    largest; idle days are not counted; haul trucks are a tier of their own; one weak stream
    fails the all row."""
    rows = [_day(f"K#{k}", "kitchen") for k in range(18)]
    rows += [
        _day("K#18", "kitchen", extra_unloads=2, trips=5, trips_over_max=1),
        _day("K#19", "kitchen", overtime_min=42.5, date="2026-01-06"),
        _day("K#20", "kitchen", ran=False, extra_unloads=9),  # idle: not a vehicle-day
        _day("H#1", "kitchen", role="haul", overtime_min=300.0),
        _day("H#2", "kitchen", role="haul"),
        *[_day(f"O#{k}", "other") for k in range(20)],
    ]
    whole = robustness_table(pd.DataFrame(rows))
    assert tuple(whole.columns) == ROBUSTNESS_COLUMNS
    assert list(zip(whole["tier"], whole["stream"], strict=True)) == [
        ("collection", "kitchen"),
        ("collection", "other"),
        ("haul", "kitchen"),
        ("all", "all"),
    ]
    hauls = whole.iloc[2]
    assert hauls["vehicle_days"] == 2 and hauls["overtime_share"] == pytest.approx(0.5)
    assert not hauls["robust"] and hauls["worst_overtime"] == "H#1 2026-01-05 +300 min"
    table = whole[whole["tier"] != "haul"].set_index("stream")
    k = table.loc["kitchen"]
    assert k["vehicle_days"] == 20 and k["extra_unload_days"] == 1
    assert k["extra_unload_share"] == pytest.approx(0.05) and k["extra_unloads_max"] == 2
    assert k["over_max_trips_share"] == pytest.approx(0.05) and k["trips_over_max_max"] == 1
    assert k["overtime_share"] == pytest.approx(0.05) and k["overtime_min_max"] == 42.5
    assert k["worst_overtime"] == "K#19 2026-01-06 +42 min"
    assert k["affected_share"] == pytest.approx(0.10) and not k["robust"]
    assert table.loc["other", "robust"] and table.loc["other", "affected_share"] == 0
    assert table.loc["all", "vehicle_days"] == 42 and not table.loc["all", "robust"]
    kpis = robustness_kpis(whole)
    assert kpis["sim_extra_unload_share"] == pytest.approx(1 / 40)  # collection days only
    assert kpis["sim_overtime_share"] == pytest.approx(2 / 42) and kpis["sim_robust"] is False
    text = robustness_text(whole)
    assert "NOT robust (kitchen 10.0% affected, haul kitchen 50.0% affected)" in text


def test_up_to_the_limit_is_robust():
    """A stream with exactly MAX_AFFECTED_SHARE of its vehicle-days affected is robust."""
    n = round(1 / MAX_AFFECTED_SHARE)
    rows = [_day(f"K#{k}", "kitchen") for k in range(n - 1)]
    rows.append(_day("K#x", "kitchen", overtime_min=5.0))
    table = robustness_table(pd.DataFrame(rows))
    assert table["robust"].all()
    assert robustness_text(table).startswith("simulated days robust:")


def test_plan_verdict_says_which_of_the_two_holds():
    """Clean means both: the verdict names the one that fails."""
    assert plan_verdict(True, True) == "clean and robust"
    clean_only, robust_only = plan_verdict(True, False), plan_verdict(False, True)
    assert "NOT robust" in clean_only and "NOT clean" not in clean_only
    assert "NOT clean" in robust_only and "NOT robust" not in robust_only
    assert plan_verdict(False, False).count("NOT") == 2


def test_a_plan_to_the_full_payload_is_not_robust_on_heavier_days(hand_plan, exact_settings):
    """Planned on day 0's kg with a payload that fits only that day (a truck just big enough),
    the heavier days of the simulation need extra unload trips: the roll-up counts them in
    the vehicle rows and calls the plan not robust; the summary says so."""
    sc = load_scenario(ROOT / "scenarios" / "tiny")
    sc = dataclasses.replace(sc, generation=dataclasses.replace(sc.generation, noise_cv=0.3))
    matrix = build_matrix(sc)
    demand = generate(sc, days=10, seed=1)
    day0 = build_problem(sc, demand, 0, "kitchen", matrix)
    just_fits = float(sum(s.load_kg for s in day0.stops))
    vts = tuple(
        dataclasses.replace(v, payload_kg=just_fits, volume_m3=100.0) if v.id == "VT-KIT" else v
        for v in sc.vehicle_types
    )
    tight = dataclasses.replace(sc, vehicle_types=vts)
    problems = {s: build_problem(tight, demand, 0, s, matrix) for s in sc.stream_ids}
    op = OperatingPlan(problems=problems, plans={s: hand_plan(p) for s, p in problems.items()})
    r = simulate(tight, demand=demand, matrix=matrix, operating=op, settings=exact_settings)
    kv = r.vehicles[(r.vehicles["stream"] == "kitchen") & r.vehicles["ran"]]
    heavier = int((r.daily.query("stream == 'kitchen'")["collected_t"] * 1000 > just_fits).sum())
    assert heavier >= 3 and int((kv["extra_unloads"] > 0).sum()) >= heavier - 1
    table = r.robustness().set_index("stream")
    assert table.loc["kitchen", "extra_unload_days"] == int((kv["extra_unloads"] > 0).sum())
    assert not r.robust and "NOT robust (kitchen" in r.summary()
    assert (kv["trips_over_max"] == (kv["trips"] - kv["max_trips"]).clip(lower=0)).all()
