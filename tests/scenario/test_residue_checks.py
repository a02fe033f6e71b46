"""residues.csv: reading the table and the checks of wasteopt.scenario.residue_checks, each
problem naming file, line, id and field; the CLI refuses a bad table with exit code 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wasteopt.cli import main
from wasteopt.errors import ScenarioError
from wasteopt.scenario import load_scenario

HEADER = (
    "id,origin,residue,basis,amount,destination,dest_lon,dest_lat,km,hazardous,licensed,"
    "uses_capacity,line_capacity_t_per_day,cost_cny_per_t,transport_cny_per_t_km,"
    "co2_kg_per_t_km,source"
)
GOOD = [
    "SLAG,FAC-WTE,slag,share_of_input,0.2,FAC-KITCHEN,,,,,,true,,40,0.8,0.1,illustrative",
    "ASH,waste_to_energy,fly_ash,share_of_input,0.04,ASH-SITE,120.3,0.2,,true,true,,,2500,,,x",
    "PIT,FAC-WTE,leachate,share_of_input,0.2,FAC-WTE,,,,,,,400,30,,,",
    "STL,stations,leachate,share_of_input,0.05,FAC-WTE,,,,,,,400,30,,,",
    "OLD,FAC-KITCHEN,leachate,t_per_day,3,FAC-WTE,,,4.5,,,,,,,,",
]


def _folder(tmp_path: Path, tiny_dir: Path, rows: list[str]) -> Path:
    """A copy of tiny whose scenario.toml names residues.csv holding ``rows``."""
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_dir, folder)
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text("utf-8") + '\n[tables]\nresidues = "residues.csv"\n', "utf-8")
    (folder / "residues.csv").write_text("\n".join([HEADER, *rows]) + "\n", "utf-8")
    return folder


def _problems(tmp_path: Path, tiny_dir: Path, rows: list[str]) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        load_scenario(_folder(tmp_path, tiny_dir, rows))
    return [str(p) for p in e.value.problems]


def test_good_table_loads(tmp_path, tiny_dir):
    """Five flows load with their types: an outside site, a fixed t/day, booleans, costs."""
    s = load_scenario(_folder(tmp_path, tiny_dir, GOOD))
    by = {f.id: f for f in s.residues}
    assert set(by) == {"SLAG", "ASH", "PIT", "STL", "OLD"}
    assert by["ASH"].hazardous and by["ASH"].licensed and by["ASH"].dest_lon == 120.3
    assert by["OLD"].basis == "t_per_day" and by["OLD"].km == 4.5
    assert by["SLAG"].uses_capacity and by["SLAG"].transport_cny_per_t_km == 0.8
    assert by["PIT"].line_capacity_t_per_day == 400 and by["ASH"].km is None


def test_without_the_table_no_residues(tiny_scenario):
    """A scenario that names no residues table has no residue flows."""
    assert tiny_scenario.residues == ()


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("X,FAC-NONE,slag,share_of_input,0.2,FAC-WTE,,,,,,,,,,,", "origin", "unknown origin"),
        ("X,FAC-WTE,slag,per_year,0.2,FAC-KITCHEN,,,,,,,,,,,", "basis", "unknown basis"),
        ("X,FAC-WTE,slag,share_of_input,1.5,FAC-KITCHEN,,,,,,,,,,,", "amount", "must be <= 1"),
        ("X,FAC-WTE,slag,share_of_input,0.2,ST-W,,,,,,,,,,,", "destination", "station"),
        ("X,FAC-WTE,slag,share_of_input,0.2,NOWHERE,,,,,,,,,,,", "destination", "no dest_lon"),
        ("X,FAC-WTE,fly_ash,share_of_input,0.04,FAC-KITCHEN,,,,true,,,,,,,", "licensed",
         "hazardous residue needs a licensed destination"),
        ("X,FAC-WTE,slag,share_of_input,0.2,OUT,,,5,,,true,,,,,", "uses_capacity",
         "outside site"),
        ("X,FAC-WTE,slag,share_of_input,0.2,FAC-KITCHEN,,,-1,,,,,,,,", "km", "must be >= 0"),
        ("X,FAC-WTE,slag,share_of_input,0.2,FAC-KITCHEN,,,,,,,,abc,,,", "cost_cny_per_t",
         "not a number"),
        ("X,FAC-WTE,slag,share_of_input,0.2,=cmd,,,5,,,,,,,,", "destination", "not a valid id"),
    ],
)  # fmt: skip
def test_bad_row_is_named(tmp_path, tiny_dir, row, field, words):
    """Each bad row gives a problem naming residues.csv, its line and id, the field and why."""
    problems = _problems(tmp_path, tiny_dir, [row])
    hits = [p for p in problems if f"{field}:" in p and words in p]
    assert hits, problems
    assert hits[0].startswith("residues.csv line 2 (id=X)")


def test_shares_above_one_for_one_origin(tmp_path, tiny_dir):
    """0.6 + 0.5 of the WtE plant's input: the second row is named with the site and sum."""
    rows = [
        "A,FAC-WTE,slag,share_of_input,0.6,FAC-KITCHEN,,,,,,,,,,,",
        "B,waste_to_energy,ash,share_of_input,0.5,FAC-KITCHEN,,,,,,,,,,,",
    ]
    problems = _problems(tmp_path, tiny_dir, rows)
    assert any(
        p.startswith("residues.csv line 3 (id=B)") and "FAC-WTE sum to 1.1" in p for p in problems
    ), problems


def test_a_circle_of_main_lines_is_refused(tmp_path, tiny_dir):
    """WtE residues burnt at the kitchen plant whose rejects are burnt at the WtE plant."""
    rows = [
        "A,FAC-WTE,slag,share_of_input,0.1,FAC-KITCHEN,,,,,,true,,,,,",
        "B,FAC-KITCHEN,rejects,share_of_input,0.1,FAC-WTE,,,,,,true,,,,,",
    ]
    problems = _problems(tmp_path, tiny_dir, rows)
    assert any("uses_capacity:" in p and "form a circle" in p for p in problems), problems


def test_two_capacities_for_one_line(tmp_path, tiny_dir):
    """Two leachate rows into the WtE plant with different line capacities are refused."""
    rows = [
        "A,FAC-WTE,leachate,share_of_input,0.1,FAC-WTE,,,,,,,400,,,,",
        "B,FAC-KITCHEN,leachate,share_of_input,0.1,FAC-WTE,,,,,,,300,,,,",
    ]
    problems = _problems(tmp_path, tiny_dir, rows)
    assert any("(id=B)" in p and "line_capacity_t_per_day:" in p for p in problems), problems


def test_cli_validate_exit_2_without_traceback(tmp_path, tiny_dir, capsys):
    """`wasteopt validate` on a bad residues.csv exits 2 and names the row, no traceback."""
    folder = _folder(tmp_path, tiny_dir, ["X,FAC-NONE,slag,share_of_input,0.2,FAC-WTE,,,,,,,,,,,"])
    assert main(["validate", str(folder)]) == 2
    out = capsys.readouterr()
    text = out.out + out.err
    assert "residues.csv line 2 (id=X)" in text and "Traceback" not in text
