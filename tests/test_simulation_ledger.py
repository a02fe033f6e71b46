"""Tests of the collection ledger (收运台账) of the simulated days, on the tiny scenario."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.scenario import load_scenario
from wasteopt.simulation import OperatingPlan, SimulationSettings, simulate
from wasteopt.simulation.fleet import make_vehicle
from wasteopt.simulation.ledger import (
    DAILY_COLUMNS,
    LEDGER_COLUMNS,
    MONTHLY_COLUMNS,
    TripLedger,
    reconcile,
)

ROOT = Path(__file__).resolve().parents[1]
DAYS = 35  # tiny starts on 2026-03-02: the horizon reaches into April


@pytest.fixture(scope="module")
def run(hand_plan):
    """Tiny with an 800 kg kitchen truck (so trips end in unplanned unloads), random times,
    breakdowns and generation noise, over 35 days."""
    base = load_scenario(ROOT / "scenarios" / "tiny")
    vts = tuple(
        dataclasses.replace(v, payload_kg=800.0) if v.id == "VT-KIT" else v
        for v in base.vehicle_types
    )
    sc = dataclasses.replace(
        base,
        vehicle_types=vts,
        generation=dataclasses.replace(base.generation, noise_cv=0.2),
    )
    matrix = build_matrix(base)
    demand = generate(sc, days=DAYS, seed=7)
    problems = {s: build_problem(base, demand, 0, s, matrix) for s in sc.stream_ids}
    op = OperatingPlan(problems=problems, plans={s: hand_plan(p) for s, p in problems.items()})
    settings = SimulationSettings(breakdown_probability=0.1)
    return sc, simulate(sc, demand=demand, matrix=matrix, operating=op, settings=settings, seed=2)


def test_ledger_tonnes_equal_the_mass_balance_collected_per_stream_and_day(run):
    """The ledger's tonnes per stream and day equal the daily table's collected tonnes (the
    mass balance's waste taken from bins), every day, with breakdowns and extra unloads."""
    _, r = run
    assert r.balance_closes
    rec = reconcile(r.ledger, r.daily)
    assert len(rec) == DAYS * 2 and rec["collected_t"].sum() > 100
    assert rec["diff_t"].abs().max() < 1e-9
    assert r.ledger["t"].sum() == pytest.approx(r.daily["collected_t"].sum(), rel=1e-12)


def test_ledger_trips_match_the_vehicle_rows(run):
    """Per vehicle and day the ledger holds the shift's trips, and its unplanned trips are the
    extra unloads the vehicle table counts."""
    _, r = run
    led = r.ledger
    assert tuple(led.columns) == LEDGER_COLUMNS
    per = led.groupby(["day", "vehicle"]).agg(trips=("trip", "nunique"), extra=("unplanned", "sum"))
    veh = r.vehicles[(r.vehicles["role"] == "collection") & (r.vehicles["trips"] > 0)]
    veh = veh.set_index(["day", "vehicle"])[["trips", "extra_unloads"]]
    assert len(per) == len(veh)
    both = per.join(veh.rename(columns={"trips": "trips_sim"}))
    assert (both["trips"] == both["trips_sim"]).all()
    assert (both["extra"] == both["extra_unloads"]).all() and both["extra"].sum() > 0


def test_ledger_rows_are_consistent_trips(run):
    """Each trip departs before it arrives and unloads after arriving, at a site of the
    scenario; its point count matches its ids; the next trip departs when it unloaded."""
    sc, r = run
    led = r.ledger
    assert (led["depart"] <= led["arrive"]).all() and (led["arrive"] <= led["unloaded"]).all()
    sites = {s.id for s in sc.stations} | {f.id for f in sc.facilities}
    assert set(led["destination"]) <= sites
    assert (led["points_served"] == led["point_ids"].str.split().str.len()).all()
    points = {p.id for p in sc.points}
    assert {p for ids in led["point_ids"] for p in ids.split()} <= points
    for _, g in led.groupby(["day", "vehicle"]):
        g = g.sort_values("trip")
        assert (g["depart"].iloc[1:].to_numpy() == g["unloaded"].iloc[:-1].to_numpy()).all()
    assert (pd.to_datetime(led["date"]).dt.date == led["depart"].dt.date).all()


def test_daily_and_monthly_rollups_add_up(run):
    """The daily roll-up has a row per date and stream collected; the monthly one counts the
    horizon's days per month (30 in March, 5 in April) and both keep every tonne."""
    _, r = run
    daily, monthly = r.ledger_daily(), r.ledger_monthly()
    assert tuple(daily.columns) == DAILY_COLUMNS and tuple(monthly.columns) == MONTHLY_COLUMNS
    total = r.ledger["t"].sum()
    assert daily["t"].sum() == pytest.approx(total) and monthly["t"].sum() == pytest.approx(total)
    assert daily["trips"].sum() == len(r.ledger)
    assert sorted(set(zip(monthly["month"].astype(str), monthly["days"], strict=True))) == [
        ("2026-03-01", 30),
        ("2026-04-01", 5),
    ]
    assert np.allclose(monthly["t_per_day"], monthly["t"] / monthly["days"])


def test_a_trip_over_a_day_change_and_waste_left_in_a_vehicle_are_booked(run):
    """A trip whose waste was taken on two simulated days gives a row per day; waste still in
    a vehicle at the end is a row without a destination."""
    sc, _ = run
    vt = sc.vehicle_type("VT-OTH")
    veh = make_vehicle("VT-OTH#1", vt, s=1, depot=0, durations=[[0]], dist=[[0]])
    # its third tip of the shift (counted before the ledger closes the trip)
    veh.trips, veh.trip_start, veh.trip_points = 3, 80000.0, {0: None, 3: None}
    veh.trip_kg = {0: 100.0, 1: 50.0}
    ledger = TripLedger()
    ledger.close(veh, "ST-W", 87000.0, 87600.0)
    assert [(row[0], row[4], row[7], row[8]) for row in ledger.rows] == [
        (0, 3, "ST-W", 100.0),
        (1, 3, "ST-W", 50.0),
    ]
    assert veh.trip_start == 87600.0 and not veh.trip_kg and not veh.trip_points
    veh.trip_kg = {1: 30.0}
    ledger.close_open([veh])
    assert ledger.rows[-1][7] == "" and ledger.rows[-1][8] == 30.0 and ledger.rows[-1][4] == 4
    assert np.isnan(ledger.rows[-1][10])


def test_ledger_csvs_are_written_with_the_simulation_tables(run, tmp_path):
    """SimulationResult.write writes the ledger and its roll-ups as UTF-8 CSV with a BOM."""
    _, r = run
    names = {p.name for p in r.write(tmp_path)}
    assert {"ledger_trips.csv", "ledger_daily.csv", "ledger_monthly.csv"} <= names
    raw = (tmp_path / "ledger_trips.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(tmp_path / "ledger_trips.csv", encoding="utf-8-sig")
    assert len(back) == len(r.ledger) and back["t"].sum() == pytest.approx(r.ledger["t"].sum())
    assert back["depart"].iloc[0] == r.ledger["depart"].iloc[0].strftime("%Y-%m-%d %H:%M:%S")
