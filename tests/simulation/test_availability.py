"""Tests of plant outages in the simulation: diversion at dispatch, the fallback chain,
overflow queued at the fallback, waste with nowhere to go, random outages and the balance."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import PlantOutage, Scenario, TreatmentFacility
from wasteopt.simulation import OperatingPlan, SimulationResult, simulate
from wasteopt.simulation.availability import AVAILABILITY_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
DAYS = 5
START = dt.date(2026, 3, 2)  # tiny's first generated day
RESIDUAL_T = 2.8  # tiny's residual waste a day (no noise), all of it for FAC-WTE


def _landfill(fid: str, lon: float, fee: float, fallback: str = "") -> TreatmentFacility:
    return TreatmentFacility(
        id=fid,
        name=fid,
        kind="landfill",
        lon=lon,
        lat=0.02,
        streams=("other",),
        capacity_t_per_day=500,
        gate_fee_cny_per_t=fee,
        open_s=0,
        close_s=86400,
        bays=1,
        unload_time_s=600,
        fallback=fallback,
    )


def _outage(oid: str = "O1", fid: str = "FAC-WTE", **kw: object) -> PlantOutage:
    args: dict[str, object] = {
        "id": oid,
        "facility_id": fid,
        "kind": "planned",
        "start": START + dt.timedelta(days=1),
        "days": 2,
        "share_lost": 1.0,
    }
    args.update(kw)
    return PlantOutage(**args)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def base(hand_plan):
    """Tiny (no noise) whose WtE falls back on landfill LF (90 CNY/t), LF on nothing."""
    sc0 = load_scenario(ROOT / "scenarios" / "tiny")
    facs = tuple(
        dataclasses.replace(f, fallback="LF") if f.id == "FAC-WTE" else f for f in sc0.facilities
    )
    sc = dataclasses.replace(sc0, facilities=(*facs, _landfill("LF", 120.12, 90.0)))
    matrix = build_matrix(sc)
    demand = generate(sc, days=DAYS, seed=0)
    problems = {s: build_problem(sc0, demand, 0, s, matrix) for s in sc0.stream_ids}
    op = OperatingPlan(problems=problems, plans={s: hand_plan(p) for s, p in problems.items()})
    return sc, matrix, demand, op


def _run(base, exact_settings, scenario: Scenario, seed: int = 0) -> SimulationResult:
    """Simulate ``scenario`` on the base plan; haul trucks end their rounds up to the shift
    end (no margin), so a detour never leaves a load for the next day in these hand checks."""
    _, _, demand, op = base
    return simulate(
        scenario,
        demand=demand,
        matrix=build_matrix(scenario),
        operating=op,
        settings=dataclasses.replace(exact_settings, haul_end_margin_s=0),
        seed=seed,
    )


def _inflow(r: SimulationResult, site: str) -> list[float]:
    f = r.facilities[r.facilities["site_id"] == site].set_index("day")
    return [round(float(x), 6) for x in f["inflow_t"]]


def test_plant_down_two_days_diverts_its_loads_to_the_fallback(base, exact_settings):
    """FAC-WTE down on days 1-2: exactly the 2.8 t/day it would have received go to LF on
    those days, at LF's fee (+30 CNY/t), with the extra km of the detour; the balance closes and
    the status stays complete (a planned diversion is not overflow)."""
    sc = dataclasses.replace(base[0], plant_outages=(_outage(),))
    r = _run(base, exact_settings, sc)
    assert _inflow(r, "FAC-WTE") == pytest.approx([RESIDUAL_T, 0, 0, RESIDUAL_T, RESIDUAL_T])
    assert _inflow(r, "LF") == pytest.approx([0, RESIDUAL_T, RESIDUAL_T, 0, 0])
    a = r.availability[r.availability["plant_id"] == "FAC-WTE"].set_index("day")
    assert a["lost_t_per_day"].tolist() == [0, 100, 100, 0, 0]
    assert a["available_t_per_day"].tolist() == [100, 0, 0, 100, 100]
    assert a["diverted_t"].tolist() == pytest.approx([0, RESIDUAL_T, RESIDUAL_T, 0, 0])
    assert a.loc[1, "diverted_to"] == "LF 2.800 t" and a.loc[1, "outages"] == "O1"
    assert a["fee_difference_cny"].tolist() == pytest.approx([0, 84.0, 84.0, 0, 0])
    # the detour from where the vehicles tipped from: there and back to LF instead of FAC-WTE
    matrix = build_matrix(sc)
    i, w, lf = (matrix.index(x) for x in ("ST-W", "FAC-WTE", "LF"))
    d = matrix.distance_m
    detour_km = (d[i][lf] + d[lf][i] - d[i][w] - d[w][i]) / 1000.0
    loads = r.events[(r.events["kind"] == "divert") & (r.events["day"] == 1)]
    assert len(loads) >= 1 and (loads["site"] == "FAC-WTE").all()
    assert a.loc[1, "extra_km"] == pytest.approx(len(loads) * detour_km)
    assert r.balance["closes"].all() and r.status == "complete"
    assert r.facilities[r.facilities["site_id"] == "LF"]["overflowed_t"].sum() == 0


def test_the_fallback_chain_is_followed(base, exact_settings):
    """FAC-WTE and its fallback LF both down: the loads go on to LF2, LF's own fallback."""
    sc0 = base[0]
    facs = tuple(
        dataclasses.replace(f, fallback="LF2") if f.id == "LF" else f for f in sc0.facilities
    )
    sc = dataclasses.replace(
        sc0,
        facilities=(*facs, _landfill("LF2", 120.14, 100.0)),
        plant_outages=(_outage(), _outage("O2", "LF")),
    )
    r = _run(base, exact_settings, sc)
    assert _inflow(r, "LF") == pytest.approx([0] * DAYS)
    assert _inflow(r, "LF2") == pytest.approx([0, RESIDUAL_T, RESIDUAL_T, 0, 0])
    a = r.availability.set_index(["plant_id", "day"])
    assert a.loc[("FAC-WTE", 2), "diverted_to"] == "LF2 2.800 t"
    assert r.balance["closes"].all() and r.status == "complete"


def test_nowhere_to_go_is_a_shortfall(base, exact_settings):
    """FAC-WTE and LF down, and LF has no fallback: the loads still tip at FAC-WTE, which cannot
    store them; they end nowhere (out of the balance as overflowed_kg), and the status is a
    shortfall naming them however small the share."""
    sc = dataclasses.replace(base[0], plant_outages=(_outage(), _outage("O2", "LF")))
    r = _run(base, exact_settings, sc)
    a = r.availability[r.availability["plant_id"] == "FAC-WTE"].set_index("day")
    assert a["nowhere_t"].tolist() == pytest.approx([0, RESIDUAL_T, RESIDUAL_T, 0, 0])
    last = r.balance[(r.balance["stream"] == "other") & (r.balance["day"] == DAYS - 1)]
    assert float(last["overflowed_kg"].iloc[0]) == pytest.approx(2 * RESIDUAL_T * 1000)
    assert r.balance["closes"].all() and r.status == "shortfall"
    assert "5.60 t had nowhere to go" in r.status_detail
    (finding,) = r.service_shortfalls()
    assert finding.short_of == "treatment" and "5.60 t with nowhere to go" in finding.line()


def test_partial_loss_fills_storage_then_diverts(base, exact_settings):
    """FAC-WTE at 1 t/day (99 of 100 t/day lost) with 1 t of storage on days 1-2: it accepts a
    load while its backlog stays within storage + capacity, so nothing overflows, and the rest
    goes to LF; every tonne is accounted for."""
    facs = tuple(
        dataclasses.replace(f, storage_t=1.0) if f.id == "FAC-WTE" else f
        for f in base[0].facilities
    )
    sc = dataclasses.replace(
        base[0], facilities=facs, plant_outages=(_outage(t_per_day_lost=99.0, share_lost=0.0),)
    )
    r = _run(base, exact_settings, sc)
    wte = r.facilities[r.facilities["site_id"] == "FAC-WTE"].set_index("day")
    assert wte["overflowed_t"].sum() == 0 and wte.loc[1, "treated_t"] <= 1.0 + 1e-9
    assert (wte["stock_t"] <= 1.0 + 1e-9).all()
    total = np.add(_inflow(r, "FAC-WTE"), _inflow(r, "LF"))
    assert total == pytest.approx([RESIDUAL_T] * DAYS)
    assert r.balance["closes"].all()


def test_external_load_sent_elsewhere_during_an_outage_frees_capacity(base, exact_settings):
    """FAC-WTE (100 t/day) shared with 99.5 t/day of external load and half lost on days 1-2:
    keeping the external load leaves nothing for the district (loads diverted to LF), while
    external_kept = 0 leaves 50 t/day and nothing is diverted; the table shows the external
    load each day actually took."""
    facs = tuple(
        dataclasses.replace(f, external_t_per_day=99.5) if f.id == "FAC-WTE" else f
        for f in base[0].facilities
    )
    got = {}
    for kept in (1.0, 0.0):
        o = _outage(share_lost=0.5, external_kept=kept)
        r = _run(
            base, exact_settings, dataclasses.replace(base[0], facilities=facs, plant_outages=(o,))
        )
        got[kept] = r.availability[r.availability["plant_id"] == "FAC-WTE"].set_index("day")
        assert r.balance["closes"].all()
    assert got[1.0]["available_t_per_day"].tolist() == pytest.approx([0.5, 0, 0, 0.5, 0.5])
    assert got[1.0]["diverted_t"].sum() > 0
    assert got[0.0]["available_t_per_day"].tolist() == pytest.approx([0.5, 50, 50, 0.5, 0.5])
    assert got[0.0]["external_t_per_day"].tolist() == pytest.approx([99.5, 0, 0, 99.5, 99.5])
    assert got[0.0]["diverted_t"].sum() == 0


def test_overflow_is_queued_and_treated_at_the_fallback(base, exact_settings):
    """Without outages a 1 t/day WtE with no storage passes 1.8 t/day on to LF, which treats
    it the same day: LF's inflow and treatment equal FAC-WTE's overflow, the transfer's km
    and cost are reported, and nothing leaves the balance."""
    facs = tuple(
        dataclasses.replace(f, capacity_t_per_day=1.0) if f.id == "FAC-WTE" else f
        for f in base[0].facilities
    )
    sc = dataclasses.replace(base[0], facilities=facs)
    r = _run(base, exact_settings, sc)
    wte = r.facilities[r.facilities["site_id"] == "FAC-WTE"].set_index("day")
    lf = r.facilities[r.facilities["site_id"] == "LF"].set_index("day")
    assert wte["overflowed_t"].tolist() == pytest.approx([1.8] * DAYS)
    assert lf["inflow_t"].tolist() == pytest.approx([1.8] * DAYS)
    assert lf["treated_t"].tolist() == pytest.approx([1.8] * DAYS)
    a = r.availability[r.availability["plant_id"] == "FAC-WTE"]
    matrix = build_matrix(sc)
    d = matrix.distance_m[matrix.index("FAC-WTE")][matrix.index("LF")]
    km = 1800.0 / 10000.0 * 2 * d / 1000.0  # VT-HAUL: 10 t payload, 1.0 kg CO2/km, 4 CNY/km
    assert a["extra_km"].tolist() == pytest.approx([km] * DAYS)
    assert a["extra_co2_kg"].tolist() == pytest.approx([km] * DAYS)
    assert a["transport_cost_cny"].tolist() == pytest.approx([4 * km] * DAYS)
    assert (r.balance["overflowed_kg"] == 0).all() and r.balance["closes"].all()


def test_random_outages_repeat_with_the_seed_and_differ_between_seeds(base, exact_settings):
    """Unplanned outages (a high rate, two days on average) are drawn from the run's seed: the
    same seed gives the same availability table byte for byte, another seed another one."""
    row = PlantOutage(
        id="U1",
        facility_id="FAC-WTE",
        kind="unplanned",
        rate_per_year=120.0,
        mean_days=2.0,
        share_lost=0.5,
    )
    sc = dataclasses.replace(base[0], plant_outages=(row,))
    runs = [_run(base, exact_settings, sc, seed=s) for s in (1, 1, 2, 3, 4)]
    csv = [r.availability.to_csv(index=False).encode() for r in runs]
    assert csv[0] == csv[1]
    assert len(set(csv[1:])) > 1
    lost = [r.availability["lost_t_per_day"].to_numpy() for r in runs]
    assert all(set(np.unique(x)) <= {0.0, 50.0} for x in lost)
    assert all(r.balance["closes"].all() for r in runs)


def test_an_outage_outside_the_horizon_is_noted(base, exact_settings):
    """A dated outage after the simulated days changes nothing and says so in the notes."""
    late = _outage(start=START + dt.timedelta(days=100))
    r = _run(base, exact_settings, dataclasses.replace(base[0], plant_outages=(late,)))
    assert any("O1" in n and "outside" in n for n in r.notes)
    assert r.availability["lost_t_per_day"].sum() == 0


def test_the_availability_table_is_written_and_summarised(base, exact_settings, tmp_path):
    """`sim_availability.csv` holds one row per day and plant with the documented columns, and
    the summary names the plant that lost capacity and where its loads went."""
    r = _run(base, exact_settings, dataclasses.replace(base[0], plant_outages=(_outage(),)))
    r.write(tmp_path, events=False)
    table = pd.read_csv(tmp_path / "sim_availability.csv", encoding="utf-8-sig")
    assert tuple(table.columns) == AVAILABILITY_COLUMNS
    assert len(table) == DAYS * len(base[0].facilities)
    assert "plant availability: FAC-WTE: capacity lost on 2 day(s)" in r.summary()
    assert "diverted at dispatch 5.6 t" in r.summary()
