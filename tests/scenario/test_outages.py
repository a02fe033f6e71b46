"""Tests of plant_outages.csv: reading, the checks (file, line, id, field; exit 2) and variants."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from wasteopt.cli import main
from wasteopt.errors import ScenarioError
from wasteopt.scenario import load_scenario

DATA = Path(__file__).resolve().parents[1] / "data"
HEADER = (
    "id,facility_id,kind,start,days,t_per_day_lost,share_lost,lines,rate_per_year,mean_days,"
    "active,source"
)
RETROFIT = "RETRO,F-WTE,retrofit,2024-03-01,42,,0.5,2,,,false,illustrative"
VARIANT = """
[[variants]]
id = "retrofit"
description = "WtE line 2 down for six weeks"

[[variants.edits]]
table = "plant_outages"
id = "RETRO"
field = "active"
value = true

[[variants.edits]]
table = "plant_outages"
id = "RETRO"
field = "start"
value = 2024-04-01
"""


def _folder(tmp_path: Path, rows: list[str], extra_toml: str = "") -> Path:
    """scenario_ok with ``plant_outages.csv`` holding ``rows`` (named in [tables])."""
    folder = tmp_path / "sc"
    shutil.copytree(DATA / "scenario_ok", folder)
    toml = folder / "scenario.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + extra_toml
        + '\n[tables]\nplant_outages = "plant_outages.csv"\n',
        encoding="utf-8",
    )
    (folder / "plant_outages.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return folder


def test_rows_are_read_and_a_variant_switches_one_on(tmp_path: Path) -> None:
    """A prepared retrofit row (inactive) is read with its fields; the variant's edits make it
    active and move its start date; the base keeps it inactive."""
    folder = _folder(tmp_path, [RETROFIT, "U1,F-WTE,unplanned,,,,0.5,,2,3,,"], extra_toml=VARIANT)
    base = load_scenario(folder)
    retro, u1 = base.plant_outages
    assert (retro.kind, retro.start, retro.days, retro.share_lost) == (
        "retrofit",
        dt.date(2024, 3, 1),
        42,
        0.5,
    )
    assert not retro.active and u1.active and (u1.rate_per_year, u1.mean_days) == (2.0, 3.0)
    v = load_scenario(folder, variant="retrofit")
    assert v.plant_outages[0].active and v.plant_outages[0].start == dt.date(2024, 4, 1)


def test_without_the_table_there_are_no_outages() -> None:
    """A scenario that names no plant_outages table has none."""
    assert load_scenario(DATA / "scenario_ok").plant_outages == ()


BAD_ROWS = [
    (
        "O1,F-NONE,planned,2024-03-01,3,10,,,,,,",
        "plant_outages.csv line 2 (id=O1): facility_id: unknown treatment facility",
    ),
    (
        "O1,F-WTE,planned,2024-03-01,3,1200,,,,,,",
        "plant_outages.csv line 2 (id=O1): t_per_day_lost: must be <= 1000",
    ),
    (
        "O1,F-WTE,planned,2024-03-01,3,10,0.5,,,,,",
        "plant_outages.csv line 2 (id=O1): share_lost: give either t_per_day_lost or share_lost",
    ),
    (
        "O1,F-WTE,planned,2024-03-01,3,,,,,,,",
        "plant_outages.csv line 2 (id=O1): t_per_day_lost: no capacity lost",
    ),
    (
        "O1,F-WTE,planned,2024-13-01,3,10,,,,,,",
        "plant_outages.csv line 2 (id=O1): start: not a valid date",
    ),
    (
        "O1,F-WTE,retrofit,,3,10,,,,,,",
        "plant_outages.csv line 2 (id=O1): start: a retrofit outage needs its first day",
    ),
    (
        "O1,F-WTE,planned,2024-03-01,0,10,,,,,,",
        "plant_outages.csv line 2 (id=O1): days: must be >= 1 for a dated outage",
    ),
    (
        "O1,F-WTE,unplanned,,,10,,,0,2,,",
        "plant_outages.csv line 2 (id=O1): rate_per_year: must be > 0",
    ),
    (
        "O1,F-WTE,unplanned,2024-03-01,,10,,,1,2,,",
        "plant_outages.csv line 2 (id=O1): start: an unplanned outage has no date",
    ),
    (
        "O1,F-WTE,broken,2024-03-01,3,10,,,,,,",
        "plant_outages.csv line 2 (id=O1): kind: unknown outage kind",
    ),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_a_bad_row_is_refused_with_file_line_id_and_field(
    row: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`wasteopt validate` exits 2 naming file, line, id and field, without a traceback."""
    code = main(["validate", str(_folder(tmp_path, [row]))])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err


def test_overlapping_dated_rows_of_one_plant_are_refused(tmp_path: Path) -> None:
    """Two active outages of F-WTE sharing a day are refused at the later one; an inactive
    one may overlap (a variant switches it on instead)."""
    rows = ["A,F-WTE,planned,2024-03-01,10,100,,,,,,", "B,F-WTE,planned,2024-03-05,3,50,,,,,,"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(_folder(tmp_path, rows))
    (p,) = info.value.problems
    assert (p.file, p.field) == ("plant_outages.csv", "start") and "id=B" in p.where
    assert "overlaps outage A of F-WTE (until 2024-03-10)" in p.message
    inactive = rows[1].replace(",,,,,,", ",,,,,false,")
    assert len(load_scenario(_folder(tmp_path / "ok", [rows[0], inactive])).plant_outages) == 2


def test_a_variant_that_makes_rows_overlap_is_refused(tmp_path: Path) -> None:
    """A variant switching on a row that overlaps an active one is refused for that variant."""
    rows = ["A,F-WTE,planned,2024-04-02,10,100,,,,,,", RETROFIT]
    with pytest.raises(ScenarioError) as info:
        load_scenario(_folder(tmp_path, rows, extra_toml=VARIANT))
    text = "\n".join(str(p) for p in info.value.problems)
    assert "[[variants]] id=retrofit" in text and "overlaps outage" in text


def test_external_kept_outside_0_1_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """external_kept is a share: 1.5 exits 2 naming file, line, id and field; 0 loads."""
    folder = _folder(tmp_path, [])
    table = folder / "plant_outages.csv"
    head = HEADER.replace("mean_days,", "mean_days,external_kept,")
    table.write_text(f"{head}\nO1,F-WTE,planned,2024-03-01,3,10,,,,,1.5,,\n", encoding="utf-8")
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "plant_outages.csv line 2 (id=O1): external_kept: must be <= 1" in err
    table.write_text(f"{head}\nO1,F-WTE,planned,2024-03-01,3,10,,,,,0,,\n", encoding="utf-8")
    (o,) = load_scenario(folder).plant_outages
    assert o.external_kept == 0.0
