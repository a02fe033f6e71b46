"""Tests of the two-tier scenario fields (issue 12): loading, defaults, the access rule and
variant edits. Broken-file fixtures for each rule are in test_scenario_load.BAD."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from wasteopt.errors import ScenarioError
from wasteopt.scenario import (
    CollectionPoint,
    Edit,
    Scenario,
    TransferStation,
    TreatmentFacility,
    Variant,
    VehicleType,
    apply_variant,
    load_scenario,
    validate_scenario,
)
from wasteopt.scenario.model import Missort, PlanningSettings

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "tiny"
OK = Path(__file__).parent / "data" / "scenario_ok"


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return load_scenario(TINY)


@pytest.fixture(scope="module")
def ok() -> Scenario:
    return load_scenario(OK)


def _texts(s: Scenario) -> list[str]:
    return [str(p) for p in validate_scenario(s)]


def _defaults(cls: type) -> dict[str, object]:
    """Field name -> default of a dataclass (plain defaults and default factories)."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


# -- loading -------------------------------------------------------------------------------


def test_tiny_reads_every_two_tier_field(tiny: Scenario) -> None:
    """The tiny scenario's two-tier cells and [planning] keys arrive in the model as written."""
    assert [(p.id, p.access) for p in tiny.points] == [
        ("P1", "residential"),
        ("P2", "main_road"),
        ("P3", "main_road"),
        ("P4", "residential"),
        ("P5", "main_road"),  # empty cell: the default
        ("P6", "main_road"),
        ("P7", "lane"),
    ]
    assert [p.id for p in tiny.points if p.large_generator] == ["P6"]
    assert [(v.id, v.stream, v.role, v.vehicle_class) for v in tiny.vehicle_types] == [
        ("VT-KIT", "kitchen", "collection", "small_compactor"),
        ("VT-OTH", "other", "collection", "small_compactor"),
        ("VT-HAUL", "other", "haul", "hook_lift"),
        ("VT-TRI", "other", "collection", "e_tricycle"),
        ("VT-KHAUL", "kitchen", "haul", "hook_lift"),
    ]
    w, e = tiny.station("ST-W"), tiny.station("ST-E")
    assert (w.compaction, w.stream_bays, w.containers, w.container_t) == (
        {"other": 2.0},
        {"other": 1},
        4,
        1.2,
    )
    assert (w.separates_streams, w.meets_standard, w.built_year, w.condition, w.staff) == (
        True,
        False,
        1998,
        "fair",
        2,
    )
    assert (e.compaction, e.stream_bays, e.containers, e.container_t, e.built_year, e.staff) == (
        {"other": 2.0},
        {},
        3,
        2.4,
        None,
        3,
    )
    # ST-E takes both streams and compacts only residual waste (no kitchen-waste press)
    assert e.streams == ("kitchen", "other") and w.streams == ("other",)
    assert e.compaction_for("kitchen") == 1.0 and e.compaction_for("other") == 2.0
    assert tiny.facility("FAC-KITCHEN").external_t_per_day == 20.0
    assert tiny.facility("FAC-KITCHEN").available_t_per_day == 30.0
    assert tiny.facility("FAC-WTE").external_t_per_day == 0.0
    assert tiny.planning == PlanningSettings(
        mode="status_quo",
        max_haul_km=30.0,
        shortfall_penalty_cny_per_t=1000.0,
        require_standard=False,
        wage_cny_per_person_year=60000.0,
    )


def test_absent_columns_and_keys_take_the_model_defaults(ok: Scenario) -> None:
    """A scenario without the new columns and without [planning] loads with the defaults."""
    assert ok.planning == PlanningSettings()
    for records, cls, names in (
        (ok.points, CollectionPoint, ("access", "large_generator")),
        (ok.vehicle_types, VehicleType, ("vehicle_class",)),
        (ok.facilities, TreatmentFacility, ("external_t_per_day",)),
        (
            ok.stations,
            TransferStation,
            (
                "compaction",
                "stream_bays",
                "containers",
                "container_t",
                "separates_streams",
                "meets_standard",
                "built_year",
                "condition",
                "staff",
            ),
        ),
    ):
        defaults = _defaults(cls)
        for x in records:
            assert {n: getattr(x, n) for n in names} == {n: defaults[n] for n in names}, x.id


def test_station_mappings_are_not_shared(ok: Scenario) -> None:
    """Each station gets its own compaction / stream_bays dict, not the column default object."""
    a, b = ok.stations
    assert a.compaction is not b.compaction and a.stream_bays is not b.stream_bays


def test_bool_cells_and_stream_pairs(tmp_path: Path) -> None:
    """Yes/no cells take true/false/1/0 in any case; stream:value pairs allow spaces."""
    folder = tmp_path / "bools"
    shutil.copytree(OK, folder)
    pts = folder / "points.csv"
    lines = pts.read_text(encoding="utf-8").rstrip("\n").split("\n")
    cells = ["TRUE", "0", "1", "false", ""]
    pts.write_text(
        "\n".join(
            [lines[0] + ",large_generator"]
            + [f"{ln},{c}" for ln, c in zip(lines[1:], cells, strict=True)]
        )
        + "\n",
        encoding="utf-8",
    )
    st = folder / "stations.csv"
    lines = st.read_text(encoding="utf-8").rstrip("\n").split("\n")
    st.write_text(
        f"{lines[0]},compaction,stream_bays\n"
        f'{lines[1]}," other : 2.5 ; kitchen:1 ",kitchen:1;other:2.0\n'
        f"{lines[2]},,\n",
        encoding="utf-8",
    )
    s = load_scenario(folder)
    assert [p.large_generator for p in s.points] == [True, False, True, False, False]
    north = s.station("ST-NORTH")
    assert north.compaction == {"other": 2.5, "kitchen": 1.0}
    assert north.stream_bays == {"kitchen": 1, "other": 2}
    assert north.bays_for("kitchen") == 1 and s.station("ST-SOUTH").bays_for("other") == 1


# -- the access rule -------------------------------------------------------------------------


def _lane(s: Scenario, point_id: str) -> Scenario:
    points = tuple(
        dataclasses.replace(p, access="lane") if p.id == point_id else p for p in s.points
    )
    return dataclasses.replace(s, points=points)


def _unreachable(point_id: str, sid: str, have: str, access: str = "lane") -> str:
    """The access problem of ``point_id`` for stream ``sid`` when its classes are ``have``."""
    return (
        f"points.csv (id={point_id}): access: no collection vehicle of stream '{sid}' can reach "
        f"this point: access '{access}' admits e_tricycle; the scenario's collection classes "
        f"for '{sid}' are {have}; expected an access class one of those classes may serve (see "
        f"ACCESS_RULES), or a vehicle type for '{sid}' of a class this point admits, got "
        f"'{access}'"
    )


def _without(s: Scenario, vehicle_id: str) -> Scenario:
    return dataclasses.replace(
        s, vehicle_types=tuple(v for v in s.vehicle_types if v.id != vehicle_id)
    )


def test_lane_point_is_reached_only_by_the_tricycle(tiny: Scenario) -> None:
    """Tiny's lane point P7 admits only the e-tricycle VT-TRI of its collection vehicles; tiny
    is valid, and without VT-TRI it is invalid for P7's residual waste and nothing else."""
    p7 = tiny.point("P7")
    serving = [
        v.id
        for v in tiny.vehicle_types
        if v.role == "collection" and p7.can_be_served_by(v.effective_class)
    ]
    assert serving == ["VT-TRI"]
    assert p7.kg_per_day == {"other": 400.0}  # no kitchen waste: no kitchen tricycle needed
    assert _texts(tiny) == []
    assert _texts(_without(tiny, "VT-TRI")) == [
        _unreachable("P7", "other", "small_compactor (VT-OTH)")
    ]


def test_unreachable_point_names_point_access_stream_and_classes(tiny: Scenario) -> None:
    """P2 made a lane point is refused for kitchen waste (only the small compactor VT-KIT
    carries it); its residual waste is reached by the tricycle VT-TRI."""
    assert _texts(_lane(tiny, "P2")) == [_unreachable("P2", "kitchen", "small_compactor (VT-KIT)")]


def test_a_reaching_class_or_no_due_stream_makes_the_point_valid(tiny: Scenario) -> None:
    """A kitchen tricycle, or kitchen waste not collected at the lane point, clears it."""
    s = _lane(tiny, "P2")
    trike = dataclasses.replace(
        tiny.vehicle_type("VT-KIT"), id="VT-KTRIKE", vehicle_class="e_tricycle", payload_kg=500.0
    )
    assert _texts(dataclasses.replace(s, vehicle_types=(*s.vehicle_types, trike))) == []
    p2 = s.point("P2")
    off = dataclasses.replace(p2, frequency={**p2.frequency, "kitchen": "none"})
    assert _texts(dataclasses.replace(s, points=(*s.points[:1], off, *s.points[2:]))) == []


def test_missorted_waste_makes_a_stream_due(tiny: Scenario) -> None:
    """A point giving only kitchen waste still needs 'other' collection if kitchen missorts
    (tricycle removed, so no 'other' vehicle reaches the lane)."""
    p2 = tiny.point("P2")
    only_kitchen = dataclasses.replace(p2, access="lane", kg_per_day={"kitchen": 200.0})
    streams = tuple(dataclasses.replace(x, capture_rate=0.9) for x in tiny.streams)
    gen = dataclasses.replace(
        tiny.generation, missorting=(Missort(from_stream="kitchen", to_stream="other", share=0.1),)
    )
    points = (*tiny.points[:1], only_kitchen, *tiny.points[2:])
    s = dataclasses.replace(
        _without(tiny, "VT-TRI"), points=points, streams=streams, generation=gen
    )
    texts = [t for t in _texts(s) if "(id=P2)" in t]
    assert [t.split("stream '")[1].split("'")[0] for t in texts] == ["kitchen", "other"]


def test_default_class_is_compactor_for_collection(ok: Scenario) -> None:
    """With vehicle_class empty a collection type is a compactor: residential points refuse it."""
    s = dataclasses.replace(
        ok, points=tuple(dataclasses.replace(p, access="residential") for p in ok.points)
    )
    texts = _texts(s)
    assert texts and all("are compactor (" in t for t in texts)
    assert {t.split(" ")[1] for t in texts} == {f"(id={p.id}):" for p in ok.points}


def test_planning_values_are_checked_in_code(tiny: Scenario) -> None:
    """Every out-of-range [planning] value is reported at once."""
    bad = PlanningSettings(
        mode="cheap",  # type: ignore[arg-type]
        max_haul_km=-1.0,
        shortfall_penalty_cny_per_t=float("nan"),
        wage_cny_per_person_year=-5.0,
    )
    texts = _texts(dataclasses.replace(tiny, planning=bad))
    assert texts == [
        "scenario.toml [planning]: mode: unknown planning mode; expected status_quo or free, "
        "got 'cheap'",
        "scenario.toml [planning]: max_haul_km: must be > 0, got '-1'",
        "scenario.toml [planning]: shortfall_penalty_cny_per_t: must be a finite number, got 'nan'",
        "scenario.toml [planning]: wage_cny_per_person_year: must be >= 0, got '-5'",
    ]


# -- variants --------------------------------------------------------------------------------


def _variant(s: Scenario, *edits: Edit) -> Scenario:
    return dataclasses.replace(s, variants=(Variant(id="v", edits=edits),))


def test_variant_edits_set_every_new_field(tiny: Scenario) -> None:
    """Edits set access, classes, station tier fields, external load and planning keys."""
    edits = (
        Edit(table="points", id="P2", field="access", value="residential"),
        Edit(table="points", id="P3", field="large_generator", value=True),
        Edit(table="points", id="P6", field="large_generator", value="0"),
        Edit(table="vehicle_types", id="VT-OTH", field="vehicle_class", value="van"),
        Edit(table="vehicle_types", id="VT-HAUL", field="vehicle_class", value="semi_trailer"),
        Edit(table="stations", id="ST-W", field="compaction", value={"other": 3}),
        Edit(table="stations", id="ST-E", field="stream_bays", value="other:2"),
        Edit(table="stations", id="ST-E", field="containers", value=5),
        Edit(table="stations", id="ST-E", field="container_t", value="3.5"),
        Edit(table="stations", id="ST-W", field="meets_standard", value=True),
        Edit(table="stations", id="ST-W", field="separates_streams", value="false"),
        Edit(table="stations", id="ST-W", field="built_year", value=""),
        Edit(table="stations", id="ST-E", field="built_year", value=2027),
        Edit(table="stations", id="ST-W", field="condition", value="poor"),
        Edit(table="stations", id="ST-W", field="staff", value=4),
        Edit(table="facilities", id="FAC-WTE", field="external_t_per_day", value=50),
        Edit(table="planning", id="", field="mode", value="free"),
        Edit(table="planning", id="", field="max_haul_km", value=""),
        Edit(table="planning", id="", field="require_standard", value=True),
        Edit(table="planning", id="", field="shortfall_penalty_cny_per_t", value=2000),
        Edit(table="planning", id="", field="wage_cny_per_person_year", value=72000),
    )
    v = apply_variant(_variant(tiny, *edits), "v")
    assert v.point("P2").access == "residential"
    assert v.point("P3").large_generator is True and v.point("P6").large_generator is False
    assert [x.vehicle_class for x in v.vehicle_types] == [
        "small_compactor",
        "van",
        "semi_trailer",
        "e_tricycle",
        "hook_lift",
    ]
    w, e = v.station("ST-W"), v.station("ST-E")
    assert w.compaction == {"other": 3.0} and isinstance(w.compaction["other"], float)
    assert (e.stream_bays, e.containers, e.container_t, e.built_year) == (
        {"other": 2},
        5,
        3.5,
        2027,
    )
    assert (w.meets_standard, w.separates_streams, w.built_year, w.condition, w.staff) == (
        True,
        False,
        None,
        "poor",
        4,
    )
    assert v.facility("FAC-WTE").external_t_per_day == 50.0
    assert v.planning == PlanningSettings(
        mode="free",
        max_haul_km=None,
        shortfall_penalty_cny_per_t=2000.0,
        require_standard=True,
        wage_cny_per_person_year=72000.0,
    )
    assert tiny.planning.mode == "status_quo" and tiny.station("ST-W").staff == 2
    assert validate_scenario(v) == ()


def test_variant_without_planning_edit_shares_the_settings(tiny: Scenario) -> None:
    """A variant that edits no planning key keeps the base's PlanningSettings object."""
    assert apply_variant(tiny, "east").planning is tiny.planning


def test_bad_two_tier_edits_are_all_reported(tiny: Scenario) -> None:
    """Unknown classes, bad mappings and bools, unknown planning keys: one error, every edit."""
    edits = (
        Edit(table="points", id="P1", field="access", value="alley"),
        Edit(table="points", id="P1", field="large_generator", value="yes"),
        Edit(table="vehicle_types", id="VT-KIT", field="vehicle_class", value="bike"),
        Edit(table="stations", id="ST-W", field="compaction", value="other=2"),
        Edit(table="stations", id="ST-W", field="stream_bays", value={"other": 1.5}),
        Edit(table="stations", id="ST-W", field="condition", value="ok"),
        Edit(table="planning", id="", field="penalty", value=1),
        Edit(table="planning", id="", field="mode", value="cheap"),
        Edit(table="planning", id="", field="require_standard", value=2),
    )
    with pytest.raises(ScenarioError) as info:
        apply_variant(_variant(tiny, *edits), "v")
    text = str(info.value)
    for n, part in enumerate(
        (
            "access: cannot set this field: expected one of lane, residential, main_road",
            "large_generator: cannot set this field: expected true or false",
            "vehicle_class: cannot set this field: expected one of",
            "compaction: cannot set this field: 'other=2' is not stream:value",
            "stream_bays: cannot set this field: expected a whole number",
            "condition: cannot set this field: expected one of good, fair, poor",
            "field: not an editable field of planning",
            "mode: cannot set this field: expected one of free, status_quo",
            "require_standard: cannot set this field: expected true or false",
        ),
        start=1,
    ):
        assert f"[[variants]] id=v edit {n}: {part}" in text, f"{part!r} not in:\n{text}"
    assert len(info.value.problems) == len(edits)


def test_variant_that_strands_a_point_is_reported_for_the_variant(tiny: Scenario) -> None:
    """A variant giving the tricycle the 8 t class strands the lane point P7; giving both
    'other' vehicles that class strands the residential points P1 and P4 too."""
    prefix = "scenario.toml [[variants]] id=v: with this variant: points.csv"
    trike = Edit(table="vehicle_types", id="VT-TRI", field="vehicle_class", value="compactor")
    texts = _texts(_variant(tiny, trike))
    assert [t.split(": access:")[0] for t in texts] == [f"{prefix} (id=P7)"]
    assert "stream 'other'" in texts[0]
    assert "are small_compactor (VT-OTH), compactor (VT-TRI);" in texts[0]
    both = Edit(table="vehicle_types", id="VT-OTH", field="vehicle_class", value="compactor")
    texts = _texts(_variant(tiny, trike, both))
    assert [t.split(": access:")[0] for t in texts] == [
        f"{prefix} (id={pid})" for pid in ("P1", "P4", "P7")
    ]
    assert all("stream 'other'" in t and "compactor (VT-OTH VT-TRI)" in t for t in texts)


def test_planning_edits_in_scenario_toml_need_no_id(tmp_path: Path) -> None:
    """[[variants.edits]] with table = "planning" may omit id; other tables still need one."""
    folder = tmp_path / "planning_edit"
    shutil.copytree(OK, folder)
    toml = folder / "scenario.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[[variants.edits]]\ntable = "planning"\nfield = "require_standard"\nvalue = true\n',
        encoding="utf-8",
    )
    s = load_scenario(folder, variant="consolidate")
    assert s.planning.require_standard is True
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[[variants.edits]]\ntable = "stations"\nfield = "staff"\nvalue = 3\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    assert "scenario.toml [[variants]] id=consolidate edit 4: id: required key is missing" in str(
        info.value
    )


def test_shortfall_penalty_must_exceed_every_gate_fee(tiny: Scenario) -> None:
    """A penalty at or below the highest gate fee is refused, naming that plant and fee."""
    low = dataclasses.replace(
        tiny, planning=dataclasses.replace(tiny.planning, shortfall_penalty_cny_per_t=150.0)
    )
    msgs = [m for m in _texts(low) if "shortfall_penalty_cny_per_t" in m]
    assert len(msgs) == 1 and "FAC-KITCHEN" in msgs[0] and "more than 150" in msgs[0]
    ok = dataclasses.replace(
        tiny, planning=dataclasses.replace(tiny.planning, shortfall_penalty_cny_per_t=151.0)
    )
    assert not [m for m in _texts(ok) if "shortfall_penalty_cny_per_t" in m]
