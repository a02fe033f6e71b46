"""The plan-years command end to end: files and exit codes 0, 1 (a named shortfall) and 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_facilities_years import horizon_case

from wasteopt.cli import main


def test_plan_years_writes_tables_and_chart(
    tmp_path: Path, tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A feasible horizon exits 0, prints the binding years and writes every table and chart."""
    out = tmp_path / "out"
    rc = main(["plan-years", str(horizon_case(tmp_path, tiny_dir)), "--out", str(out)])
    assert rc == 0
    names = {p.name for p in out.iterdir()}
    assert {"years_sites.csv", "years_binding.csv", "years_decisions.csv"} <= names
    assert {
        "years_costs.csv",
        "years_sites_as_is.csv",
        "capacity_gap.png",
        "capacity_gap.svg",
    } <= names
    text = capsys.readouterr().out
    assert "B-WTE2" in text and "2027" in text


def test_plan_years_names_a_shortfall_and_exits_1(
    tmp_path: Path, tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no budget for the expansion the 2027 shortfall is named on stderr, exit 1."""
    years = "year,generation_index,budget_cny\n2026,1.0,0\n2027,1.2,0\n"
    rc = main(["plan-years", str(horizon_case(tmp_path, tiny_dir, years=years))])
    assert rc == 1
    assert "2027 FAC-WTE: 0.4 t/day not taken" in capsys.readouterr().err


def test_plan_years_without_horizon_exits_2_and_writes_nothing(
    tmp_path: Path, tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scenario without [horizon] is bad input for plan-years: exit 2, no output folder."""
    out = tmp_path / "out"
    assert main(["plan-years", str(tiny_dir), "--out", str(out)]) == 2
    assert "no [horizon]" in capsys.readouterr().err
    assert not out.exists()


def test_plan_years_bad_years_table_exits_2(
    tmp_path: Path, tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad years.csv cell is named by file, line and field; exit 2, no traceback."""
    folder = horizon_case(tmp_path, tiny_dir, years="year,generation_index\n2026,-1\n")
    assert main(["plan-years", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "years.csv line 2 (year=2026): generation_index: out of range" in err
    assert "Traceback" not in err
