"""Residues beyond the gate (wasteopt.simulation.residues): shares, fixed leachate, costs,
the residue mass balance and its leak checks, on a hand-checked case and a real run."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

from wasteopt.cli import main
from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.scenario.model import Scenario, TreatmentFacility
from wasteopt.scenario.residues import ResidueFlow
from wasteopt.simulation import OperatingPlan, simulate
from wasteopt.simulation import residues as res
from wasteopt.simulation.residues import ALL_SITES, compute_residues, residue_totals

LANDFILL = TreatmentFacility(
    id="FAC-LF",
    name="landfill",
    kind="landfill",
    lon=120.2,
    lat=0.1,
    streams=("other",),
    capacity_t_per_day=50,
    gate_fee_cny_per_t=90,
    open_s=0,
    close_s=86400,
    bays=1,
    unload_time_s=600,
)


def _flow(
    fid: str, origin: str, residue: str, amount: float, dest: str, **kw: object
) -> ResidueFlow:
    basis = kw.pop("basis", "share_of_input")
    return ResidueFlow(
        id=fid,
        origin=origin,
        residue=residue,
        basis=basis,  # type: ignore[arg-type]
        amount=amount,
        destination=dest,
        **kw,  # type: ignore[arg-type]
    )


FLOWS = (
    _flow("SLAG", "FAC-WTE", "slag", 0.2, "FAC-LF", uses_capacity=True, km=10.0,
          cost_cny_per_t=50.0, transport_cny_per_t_km=1.0, co2_kg_per_t_km=0.1),
    _flow("ASH", "FAC-WTE", "fly_ash", 0.04, "ASH-SITE", km=30.0, hazardous=True,
          licensed=True, cost_cny_per_t=2000.0),
    _flow("PIT", "FAC-WTE", "leachate", 0.2, "FAC-WTE", line_capacity_t_per_day=15.0),
    _flow("REJ", "FAC-KITCHEN", "rejects", 0.1, "FAC-WTE", uses_capacity=True, km=5.0),
    _flow("LFL", "FAC-LF", "leachate", 5.0, "FAC-WTE", basis="t_per_day", km=8.0,
          line_capacity_t_per_day=15.0),
    _flow("STL", "stations", "leachate", 0.05, "FAC-WTE", line_capacity_t_per_day=15.0),
)  # fmt: skip


@pytest.fixture(scope="module")
def case(tiny_scenario: Scenario) -> Scenario:
    """Tiny with a landfill and the six flows above."""
    return dataclasses.replace(
        tiny_scenario, facilities=(*tiny_scenario.facilities, LANDFILL), residues=FLOWS
    )


def _facilities(days: int, wte: float = 100.0, kitchen: float = 30.0) -> pd.DataFrame:
    """A sim_facilities table: every day WtE treats ``wte`` t, the kitchen plant ``kitchen``
    t, station ST-W receives 10 t (ST-E is closed: no rows)."""
    rows = []
    for d in range(days):
        for site, kind, inflow, treated, cap in (
            ("ST-W", "station", 10.0, 0.0, 10.0),
            ("FAC-WTE", "plant", wte, wte, 100.0),
            ("FAC-KITCHEN", "plant", kitchen, kitchen, 30.0),
        ):
            rows.append(
                {"day": d, "date": f"2026-01-0{d + 1}", "site_id": site, "site_kind": kind,
                 "inflow_t": inflow, "treated_t": treated, "overflowed_t": 0.0,
                 "capacity_t_per_day": cap, "fallback": ""}
            )  # fmt: skip
    return pd.DataFrame(rows)


def _daily(days: int, treated: float = 130.0) -> pd.DataFrame:
    return pd.DataFrame({"day": list(range(days)), "treated_t": [treated] * days})


def _compute(case: Scenario, tiny_matrix, days: int = 1, **kw: float) -> res.ResidueTables:
    treated = kw.get("wte", 100.0) + kw.get("kitchen", 30.0)
    return compute_residues(case, _facilities(days, **kw), _daily(days, treated), tiny_matrix)


def test_shares_by_hand(case, tiny_matrix):
    """Kitchen rejects (0.1 × 30 = 3 t) are burnt at the WtE plant, whose input becomes 103 t:
    slag 20.6 t, fly ash 4.12 t, pit leachate 20.6 t; station leachate 0.05 × 10 t; the
    slag's cost is 20.6 × 50 + 20.6 t × 10 km × 1 CNY and its CO2 20.6 × 10 × 0.1 kg."""
    t = _compute(case, tiny_matrix)
    by = t.flows.set_index(["flow", "origin"])
    assert by.loc[("REJ", "FAC-KITCHEN"), "t"] == pytest.approx(3.0)
    assert by.loc[("SLAG", "FAC-WTE"), "t"] == pytest.approx(20.6)
    assert by.loc[("ASH", "FAC-WTE"), "t"] == pytest.approx(4.12)
    assert by.loc[("PIT", "FAC-WTE"), "t"] == pytest.approx(20.6)
    assert by.loc[("STL", "ST-W"), "t"] == pytest.approx(0.5)
    assert by.loc[("STL", "ST-E"), "t"] == 0.0  # closed station: no inflow
    slag = by.loc[("SLAG", "FAC-WTE")]
    assert slag["disposal_cny"] == pytest.approx(1030.0)
    assert slag["transport_cny"] == pytest.approx(206.0)
    assert slag["cost_cny"] == pytest.approx(1236.0)
    assert slag["co2_kg"] == pytest.approx(20.6)
    assert by.loc[("ASH", "FAC-WTE"), "cost_cny"] == pytest.approx(4.12 * 2000.0)


def test_distance_from_the_matrix_when_no_km(case, tiny_matrix):
    """A flow without ``km`` takes the road distance of the travel matrix."""
    t = _compute(case, tiny_matrix)
    stl = t.flows[(t.flows["flow"] == "STL") & (t.flows["origin"] == "ST-W")].iloc[0]
    expected = tiny_matrix.block(["ST-W"], ["FAC-WTE"])[0, 0] / 1000.0
    assert stl["km"] == pytest.approx(expected) and stl["km"] > 0


def test_landfill_leachate_is_fixed_every_day(case, tiny_matrix):
    """The landfill's leachate is 5 t every day, even on days no plant treats anything (and
    the plants' share flows are then 0)."""
    t = _compute(case, tiny_matrix, days=3, wte=0.0, kitchen=0.0)
    lfl = t.flows[t.flows["flow"] == "LFL"]
    assert list(lfl["t"]) == [5.0, 5.0, 5.0]
    plants = t.flows[t.flows["origin"].isin(["FAC-WTE", "FAC-KITCHEN"])]
    assert len(plants) == 3 * 4 and (plants["t"] == 0).all()
    assert t.balance["closes"].all()


def test_balance_closes_by_hand(case, tiny_matrix):
    """Per site: WtE converts 103 × (1 − 0.44) = 57.68 t and disposes of 26.1 t of leachate
    (pit, landfill, station); the landfill converts the 20.6 t slag and adds 5 t leachate;
    the outside site disposes of 4.12 t fly ash; (all): 130 t treated + 5.5 t added =
    105.28 t converted + 30.22 t disposed."""
    b = _compute(case, tiny_matrix).balance.set_index("site_id")
    assert b["closes"].all()
    assert b.loc["FAC-WTE", "input_t"] == pytest.approx(103.0)
    assert b.loc["FAC-WTE", "converted_t"] == pytest.approx(57.68)
    assert b.loc["FAC-WTE", "disposed_t"] == pytest.approx(26.1)
    assert b.loc["FAC-LF", "converted_t"] == pytest.approx(20.6)
    assert b.loc["FAC-LF", "added_t"] == pytest.approx(5.0)
    assert b.loc["ASH-SITE", "site_kind"] == "outside"
    assert b.loc["ASH-SITE", "disposed_t"] == pytest.approx(4.12)
    assert b.loc["ST-W", "passed_on_t"] == pytest.approx(10.0)
    assert b.loc["ST-W", "added_t"] == pytest.approx(0.5)
    every = b.loc[ALL_SITES]
    assert every["input_t"] == pytest.approx(130.0) and every["added_t"] == pytest.approx(5.5)
    assert every["converted_t"] == pytest.approx(105.28)
    assert every["disposed_t"] == pytest.approx(30.22)


def test_a_plant_without_flows_converts_all_it_treats(case, tiny_matrix):
    """With fly ash the only flow, the kitchen plant converts its 30 t and (all) closes."""
    only_ash = dataclasses.replace(case, residues=FLOWS[1:2])
    t = compute_residues(only_ash, _facilities(1), _daily(1), tiny_matrix)
    b = t.balance.set_index("site_id")
    assert b.loc["FAC-KITCHEN", "converted_t"] == pytest.approx(30.0)
    assert b.loc["FAC-WTE", "converted_t"] == pytest.approx(96.0)
    assert b["closes"].all()


def test_lines_against_capacity(case, tiny_matrix):
    """The WtE leachate line takes 20.6 + 5 + 0.5 t against 15 t/day (over); its main line
    103 t against 100 t/day (over); the landfill's main line 20.6 t against 50 (not over)."""
    lines = _compute(case, tiny_matrix).lines.set_index(["site_id", "line"])
    assert lines.loc[("FAC-WTE", "leachate"), "load_t"] == pytest.approx(26.1)
    assert bool(lines.loc[("FAC-WTE", "leachate"), "over_capacity"])
    assert lines.loc[("FAC-WTE", "main"), "load_t"] == pytest.approx(103.0)
    assert bool(lines.loc[("FAC-WTE", "main"), "over_capacity"])
    assert lines.loc[("FAC-LF", "main"), "capacity_t_per_day"] == 50.0
    assert not bool(lines.loc[("FAC-LF", "main"), "over_capacity"])


def test_totals_per_year(case, tiny_matrix):
    """Totals scale a 2-day horizon to a year: 20.6 t/day of slag is 7,519 t/year."""
    t = _compute(case, tiny_matrix, days=2)
    tot = residue_totals(t, 2).set_index("flow")
    assert tot.loc["SLAG", "t_per_day"] == pytest.approx(20.6)
    assert tot.loc["SLAG", "t_per_year"] == pytest.approx(20.6 * 365)


def test_a_flow_row_that_loses_a_kilogram_breaks_its_origin(case, tiny_matrix, monkeypatch):
    """A slag row 1 kg lighter than its share: the WtE row misses exactly 1 kg; the rest close."""
    real = res._flow_row

    def leaky(leg, d, *, day, date):
        row = real(leg, d, day=day, date=date)
        if leg.flow.id == "SLAG":
            row["t"] -= 0.001
        return row

    monkeypatch.setattr(res, "_flow_row", leaky)
    b = _compute(case, tiny_matrix).balance.set_index("site_id")
    assert not b.loc["FAC-WTE", "closes"]
    assert b.loc["FAC-WTE", "residual_kg"] == pytest.approx(1.0)
    assert b.drop(index="FAC-WTE")["closes"].all()


def test_a_receipt_booked_short_breaks_the_whole_system(case, tiny_matrix, monkeypatch):
    """The outside fly-ash site books 1 kg less than was sent: the (all) row misses 1 kg."""
    real = res._flow_row

    def short(leg, d, *, day, date):
        row = real(leg, d, day=day, date=date)
        if leg.flow.id == "ASH":
            d.side["ASH-SITE"] -= 0.001
        return row

    monkeypatch.setattr(res, "_flow_row", short)
    b = _compute(case, tiny_matrix).balance.set_index("site_id")
    assert not b.loc[ALL_SITES, "closes"]
    assert b.loc[ALL_SITES, "residual_kg"] == pytest.approx(1.0)


def test_no_residues_table_no_rows(tiny_scenario, tiny_matrix):
    """Without residues.csv every residue table is empty and nothing is written for it."""
    t = compute_residues(tiny_scenario, _facilities(1), _daily(1), tiny_matrix)
    assert not len(t.flows) and not len(t.balance) and not len(t.lines)


# -- a real simulated run ---------------------------------------------------------------------

DAYS = 3


@pytest.fixture(scope="module")
def run_case(case, hand_plan):
    """Tiny with residues simulated for three days on hand plans."""
    matrix = build_matrix(case)
    demand = generate(case, days=DAYS, seed=7)
    problems = {s: build_problem(case, demand, 0, s, matrix) for s in case.stream_ids}
    op = OperatingPlan(problems=problems, plans={s: hand_plan(p) for s, p in problems.items()})
    return case, matrix, demand, op


def _simulate(run_case):
    sc, matrix, demand, op = run_case
    return simulate(sc, demand=demand, matrix=matrix, operating=op, seed=1)


def test_real_run_residues_close_and_follow_treatment(run_case, tmp_path: Path):
    """A simulated run: the residue balance closes every day, slag is 0.2 × what the WtE
    plant treated plus the burnt rejects, and the tables are written."""
    r = _simulate(run_case)
    assert r.balance_closes and r.status != "balance_error"
    f = r.facilities.set_index(["day", "site_id"])
    flows = r.residues.flows.set_index(["day", "flow", "origin"])
    for d in range(DAYS):
        burnt = f.loc[(d, "FAC-WTE"), "treated_t"] + 0.1 * f.loc[(d, "FAC-KITCHEN"), "treated_t"]
        assert flows.loc[(d, "SLAG", "FAC-WTE"), "t"] == pytest.approx(0.2 * burnt)
    assert (r.residues.balance["site_id"] == ALL_SITES).sum() == DAYS
    assert "residue slag → FAC-LF" in r.summary()
    names = {p.name for p in r.write(tmp_path)}
    assert {"sim_residues.csv", "sim_residue_balance.csv", "sim_residue_lines.csv"} <= names
    assert "sim_residue_totals.csv" in names


def test_real_run_leak_is_a_balance_error(run_case, monkeypatch):
    """The same run with 1 kg of slag lost in a flow row: status balance_error, named."""
    real = res._flow_row

    def leaky(leg, d, *, day, date):
        row = real(leg, d, day=day, date=date)
        if leg.flow.id == "SLAG" and day == 1:
            row["t"] -= 0.001
        return row

    monkeypatch.setattr(res, "_flow_row", leaky)
    r = _simulate(run_case)
    assert r.status == "balance_error" and not r.balance_closes
    assert "residue mass balance" in r.status_detail and "FAC-WTE on day 1" in r.status_detail
    assert "DOES NOT CLOSE" in r.summary()


def test_simulate_command_writes_the_residue_tables(tiny_dir, tmp_path, capsys):
    """`wasteopt simulate` on tiny with a residues.csv exits 0, prints the residue lines and
    writes the four residue tables, whose balance closes."""
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_dir, folder)
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text("utf-8") + '\n[tables]\nresidues = "residues.csv"\n', "utf-8")
    (folder / "residues.csv").write_text(
        "id,origin,residue,basis,amount,destination,km,uses_capacity,cost_cny_per_t\n"
        "SLAG,FAC-WTE,slag,share_of_input,0.2,YARD,5,false,25\n"
        "REJ,FAC-KITCHEN,rejects,share_of_input,0.1,FAC-WTE,,true,60\n",
        "utf-8",
    )
    out = tmp_path / "sim"
    args = ["simulate", str(folder), "--days", "2", "--iterations", "50", "--workers", "1"]
    assert main([*args, "--out", str(out)]) == 0
    assert "residue slag → YARD" in capsys.readouterr().out
    bal = pd.read_csv(out / "rep0" / "sim_residue_balance.csv", encoding="utf-8-sig")
    assert bal["closes"].all() and set(bal["site_id"]) >= {"FAC-WTE", "YARD", ALL_SITES}
    for name in ("sim_residues", "sim_residue_totals", "sim_residue_lines"):
        assert (out / "rep0" / f"{name}.csv").is_file()
