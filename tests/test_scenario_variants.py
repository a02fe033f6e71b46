"""Tests for wasteopt.scenario.variants: pure application of named variants."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from wasteopt.errors import ScenarioError
from wasteopt.scenario import Edit, Scenario, Variant, apply_variant, load_scenario

OK = Path(__file__).parent / "data" / "scenario_ok"


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario(OK)


def _with_variant(s: Scenario, **kw: object) -> Scenario:
    return dataclasses.replace(s, variants=(Variant(id="v", **kw),))


def test_consolidate_closes_opens_edits_and_scales(base: Scenario) -> None:
    """close/open set station decisions, edits are coerced, generation scale multiplies."""
    v = apply_variant(base, "consolidate")
    assert v.variant == "consolidate"
    assert v.station("ST-NORTH").decision == "close" and not v.station("ST-NORTH").is_open
    assert v.station("ST-SOUTH").decision == "open" and v.station("ST-SOUTH").is_open
    cap = v.station("ST-SOUTH").capacity_t_per_day
    assert cap == 150.0 and isinstance(cap, float)
    assert v.vehicle_type("VT-OTHER").shift_start_s == 5 * 3600 + 1800
    assert v.generation.scale == pytest.approx(base.generation.scale * 1.1)


def test_base_is_not_mutated(base: Scenario) -> None:
    """Applying a variant leaves the base scenario equal to a deep copy taken before."""
    before = copy.deepcopy(base)
    apply_variant(base, "consolidate")
    assert base == before
    assert base.station("ST-NORTH").decision == "free"


def test_untouched_tables_are_shared(base: Scenario) -> None:
    """Tables a variant does not change keep their tuple (cheap, and shows what changed)."""
    v = apply_variant(base, "consolidate")
    assert v.points is base.points and v.depots is base.depots
    assert v.stations is not base.stations


def test_edits_by_csv_column_and_model_field(base: Scenario) -> None:
    """Edits accept CSV names (HH:MM, minutes) and model names; values coerce to field type."""
    edits = (
        Edit(table="points", id="P1", field="tw_end", value="10:15"),
        Edit(table="points", id="P1", field="residents", value=1500.0),
        Edit(table="points", id="P2", field="kg_per_day.other", value=12),
        Edit(table="points", id="P2", field="freq.recyclable", value="weekly"),
        Edit(table="vehicle_types", id="VT-HAZ", field="lunch_duration_min", value=30),
        Edit(table="vehicle_types", id="VT-KITCHEN", field="lunch_earliest", value=""),
        Edit(table="vehicle_types", id="VT-KITCHEN", field="max_stops", value="55"),
        Edit(table="stations", id="ST-NORTH", field="streams", value=["other"]),
        Edit(table="depots", id="D1", field="close_s", value=3600),
        Edit(table="streams", id="kitchen", field="capture_rate", value=1),
    )
    v = apply_variant(_with_variant(base, edits=edits), "v")
    p1, p2 = v.point("P1"), v.point("P2")
    assert p1.tw_end_s == 10 * 3600 + 900 and p1.residents == 1500
    assert isinstance(p1.residents, int)
    assert p2.kg_per_day == {"other": 12.0} and p2.frequency["recyclable"] == "weekly"
    assert base.point("P2").kg_per_day == {} and base.point("P2").frequency["recyclable"] == (
        "twice_weekly"
    )
    assert v.vehicle_type("VT-HAZ").lunch_duration_s == 1800
    assert v.vehicle_type("VT-KITCHEN").lunch_earliest_s is None
    assert v.vehicle_type("VT-KITCHEN").max_stops == 55
    assert v.station("ST-NORTH").streams == ("other",)
    assert v.depot("D1").close_s == 3600
    assert v.stream("kitchen").capture_rate == 1.0


def test_bad_edits_report_every_problem(base: Scenario) -> None:
    """Unknown table/id/field and uncoercible values are all reported in one ScenarioError."""
    edits = (
        Edit(table="plants", id="X", field="y", value=1),
        Edit(table="stations", id="ST-EAST", field="bays", value=2),
        Edit(table="stations", id="ST-NORTH", field="id", value="ST-N"),
        Edit(table="stations", id="ST-NORTH", field="bays", value=2.5),
        Edit(table="stations", id="ST-NORTH", field="status", value="planned"),
        Edit(table="points", id="P1", field="tw_start", value=700),
        Edit(table="facilities", id="F-LF", field="capacity_t_per_day", value=True),
    )
    s = _with_variant(base, edits=edits, close=("ST-X",), open=("ST-NORTH",))
    with pytest.raises(ScenarioError) as info:
        apply_variant(s, "v")
    text = str(info.value)
    for part in (
        "edit 1: table: unknown table",
        "edit 2: id: no record with this id",
        "edit 3: field: not an editable field",
        "edit 4: bays: cannot set",
        "edit 5: status: cannot set",
        "edit 6: tw_start: cannot set",
        "edit 7: capacity_t_per_day: cannot set",
        "id=v: close: unknown transfer station",
        "got 'ST-X'",
    ):
        assert part in text, f"{part!r} not in:\n{text}"
    assert len(info.value.problems) == 8


def test_station_both_closed_and_opened(base: Scenario) -> None:
    """A variant may not close and open the same station."""
    s = _with_variant(base, close=("ST-NORTH",), open=("ST-NORTH",))
    with pytest.raises(ScenarioError, match="station is both closed and opened"):
        apply_variant(s, "v")


def test_unknown_variant(base: Scenario) -> None:
    """An unknown variant id names the known ones."""
    with pytest.raises(ScenarioError, match=r"unknown variant 'x'.*consolidate"):
        apply_variant(base, "x")
