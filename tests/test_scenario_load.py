"""Tests for wasteopt.scenario.load: the folder format, line-numbered problems, all at once."""

from __future__ import annotations

import shutil
import zlib
from pathlib import Path

import pytest

from wasteopt.cli import main
from wasteopt.errors import ScenarioError
from wasteopt.scenario import FREQUENCIES, STANDARD_STREAMS, load_scenario

DATA = Path(__file__).parent / "data"
OK = DATA / "scenario_ok"

# bad_<name> folder -> substrings the error text must contain (file, row/id, field, value).
BAD: dict[str, tuple[str, ...]] = {
    "missing_file": ("depots.csv: file not found",),
    "missing_toml": ("scenario.toml: file not found",),
    "toml_syntax": ("scenario.toml line 23: TOML syntax error",),
    "toml_unknown_key": ("scenario.toml [generation]: kg_per_person: unknown key",),
    "toml_missing_key": ("scenario.toml [generation]: kg_per_person_day: required key",),
    "toml_type": ("scenario.toml [network]: circuity: expected a number, got '1.25'",),
    "not_utf8": ("points.csv line 2: not UTF-8 text", "byte offset 121"),
    "empty_table": ("depots.csv: file is empty",),
    "header_only": ("facilities.csv: table has a header but no data rows",),
    "unknown_column": ("points.csv line 1: residnets: unknown column",),
    "missing_column": ("stations.csv line 1: capacity_t_per_day: required column is missing",),
    "too_many_cells": ("points.csv line 6 (id=P5): has 14 cells but the header has 13",),
    "empty_required": (
        "stations.csv line 2 (id=ST-NORTH): capacity_t_per_day: required value is empty",
    ),
    "duplicate_id": ("points.csv line 5 (id=P2): id: duplicate id (first at line 3)",),
    "duplicate_site_id": (
        "stations.csv line 3 (id=D1): id: duplicate site id (already used by depots.csv)",
    ),
    "duplicate_vehicle_type": ("vehicle_types.csv line 5 (id=VT-HAZ): id: duplicate id",),
    "duplicate_variant": ("scenario.toml [[variants]] id=consolidate: id: duplicate variant id",),
    "duplicate_stream": ("scenario.toml [[streams]] id=kitchen: id: duplicate stream id",),
    "unknown_depot": ("vehicle_types.csv line 2 (id=VT-KITCHEN): depot: unknown depot", "'D9'"),
    "unknown_haul_depot": (
        "vehicle_types.csv line 6 (id=VT-HAUL): depot: unknown depot or station",
        "'ST-WEST'",
    ),
    "unknown_vehicle_stream": (
        "vehicle_types.csv line 4 (id=VT-HAZ): stream: unknown stream",
        "'hazard'",
    ),
    "unknown_station_stream": (
        "stations.csv line 2 (id=ST-NORTH): streams: unknown stream",
        "'kichen'",
    ),
    "unknown_facility_stream": (
        "facilities.csv line 5 (id=F-SC): streams: unknown stream",
        "'recyclables'",
    ),
    "unknown_fallback": ("facilities.csv line 2 (id=F-WTE): fallback: unknown facility", "'F-XX'"),
    "fallback_cycle": ("facilities.csv line 2 (id=F-WTE): fallback: fallback chain loops",),
    "unknown_variant_station": (
        "scenario.toml [[variants]] id=consolidate: close: unknown transfer station",
        "'ST-WEST'",
    ),
    "unknown_variant_field": (
        "scenario.toml [[variants]] id=consolidate edit 1: field: not an editable field",
        "'capacity'",
    ),
    "unknown_variant_table": (
        "scenario.toml [[variants]] id=consolidate edit 1: table: unknown table",
        "'plants'",
    ),
    "unknown_variant_id": (
        "scenario.toml [[variants]] id=consolidate edit 1: id: no record with this id",
        "'ST-EAST'",
    ),
    "variant_edit_value": (
        "scenario.toml [[variants]] id=consolidate edit 1: capacity_t_per_day: cannot set",
        "'large'",
    ),
    "variant_edit_range": (
        "scenario.toml [[variants]] id=consolidate: with this variant: stations.csv line 3 "
        "(id=ST-SOUTH): capacity_t_per_day: must be > 0, got '-150'",
    ),
    "variant_coverage": (
        "scenario.toml [[variants]] id=consolidate: with this variant: vehicle_types.csv: "
        "stream: no collection vehicle type carries stream 'hazardous'",
    ),
    "variant_base": ("scenario.toml [[variants]] id=base: id: not a valid variant id",),
    "missort_stream": (
        "scenario.toml [generation]: missorting[0].to: unknown stream",
        "'residual'",
    ),
    "missort_share": ("scenario.toml [generation]: missorting: shares missorted from 'kitchen'",),
    "column_stream": ("points.csv line 1: kg_per_day.food: column names an unknown stream",),
    "capacity": ("stations.csv line 2 (id=ST-NORTH): capacity_t_per_day: must be > 0, got '-5'",),
    "count": ("vehicle_types.csv line 3 (id=VT-RECYC): count: must be > 0, got '0'",),
    "payload_text": (
        "vehicle_types.csv line 2 (id=VT-KITCHEN): payload_kg: not a number",
        "'3t'",
    ),
    "bays": ("facilities.csv line 2 (id=F-WTE): bays: must be > 0, got '0'",),
    "size_group": (
        "stations.csv line 3 (id=ST-SOUTH): size_group: size group already holds the existing "
        "station ST-NORTH",
    ),
    "lat_range": ("points.csv line 3 (id=P2): lat: must be <= 90, got '131.745'",),
    "lon_nan": ("points.csv line 5 (id=P4): lon: must be a finite number, got 'nan'",),
    "lon_text": ("points.csv line 2 (id=P1): lon: not a number", "'东经119.56'"),
    "point_tw": ("points.csv line 3 (id=P2): tw_end: ends before it starts", "'07:00'"),
    "time_format": ("points.csv line 5 (id=P4): tw_start: not a valid time", "'5h00'"),
    "depot_hours": ("depots.csv line 2 (id=D1): close: ends before it starts", "'05:00'"),
    "station_hours": ("stations.csv line 2 (id=ST-NORTH): close: ends before it starts",),
    "facility_hours": ("facilities.csv line 3 (id=F-LF): close: ends before it starts",),
    "shift": ("vehicle_types.csv line 4 (id=VT-HAZ): shift_end: ends before it starts",),
    "depot_shift": (
        "vehicle_types.csv line 2 (id=VT-KIT): shift_end: vehicle type VT-KIT works 19:30–26:00 "
        "but its depot D1 is open 05:00–24:00",
        "depots.csv close of D1 at 26:00 or later",
    ),
    "shift_over_24h": (
        "vehicle_types.csv line 4 (id=VT-HAUL): shift_end: vehicle type VT-HAUL: the shift "
        "06:00–30:30 is longer than 24 h",
        "'30:30'",
    ),
    "stream_window": (
        "points.csv line 3 (id=P2): tw_end.kitchen: the kitchen window ends before it starts",
        "'23:00'",
    ),
    "lunch_window": (
        "vehicle_types.csv line 2 (id=VT-KITCHEN): lunch_latest: ends before it starts",
    ),
    "lunch_outside_shift": (
        "vehicle_types.csv line 2 (id=VT-KITCHEN): lunch_earliest: lunch lies outside the shift",
    ),
    "lunch_half": ("vehicle_types.csv line 3 (id=VT-RECYC): lunch_latest: lunch window is half",),
    "no_vehicle": (
        "vehicle_types.csv: stream: no collection vehicle type carries stream 'hazardous'",
    ),
    "no_destination": (
        "stations.csv: streams: no open transfer station or treatment facility accepts stream "
        "'recyclable'",
    ),
    "frequency": (
        "points.csv line 3 (id=P2): freq.recyclable: unknown frequency",
        "'twice-weekly'",
    ),
    "stream_frequency": (
        "scenario.toml [[streams]] id=kitchen: default_frequency: unknown frequency",
        "'fortnightly'",
    ),
    "shares": ("scenario.toml [[streams]]: share: stream shares must sum to 1", "1.08"),
    "capture_rate": ("scenario.toml [[streams]] id=kitchen: capture_rate: must be <= 1",),
    "weekday_factors": ("scenario.toml [generation]: weekday_factors: needs exactly 7 values",),
    "month_factors": ("scenario.toml [generation]: month_factors: needs exactly 12 values",),
    "date": ("scenario.toml [generation]: start_date: expected a valid date", "'2024-13-01'"),
    "holiday_date": ("scenario.toml [[generation.holidays]] #1: start:", "'2024-02-30'"),
    "status": ("stations.csv line 2 (id=ST-NORTH): status: unknown status", "'exists'"),
    "kind": ("facilities.csv line 2 (id=F-WTE): kind: unknown kind", "'incinerator'"),
    "role": ("vehicle_types.csv line 6 (id=VT-HAUL): role: unknown role", "'trailer'"),
    "matrix_missing": ("matrix.csv: file not found; expected the travel matrix named by",),
    # two-tier fields (issue 12)
    "access": ("points.csv line 3 (id=P2): access: unknown access class", "'alley'"),
    "large_generator": ("points.csv line 6 (id=P5): large_generator: not true or false", "'yes'"),
    "unreachable": (
        "points.csv line 2 (id=P1): access: no collection vehicle of stream 'kitchen' can reach "
        "this point: access 'lane' admits e_tricycle; the scenario's collection classes for "
        "'kitchen' are compactor (VT-KITCHEN)",
        "points.csv line 2 (id=P1): access: no collection vehicle of stream 'other' can reach",
        "got 'lane'",
    ),
    "vehicle_class": (
        "vehicle_types.csv line 4 (id=VT-HAZ): vehicle_class: unknown vehicle class",
        "'tricycle'",
    ),
    "collection_class": (
        "vehicle_types.csv line 5 (id=VT-OTHER): vehicle_class: not a collection class",
        "'hook_lift'",
    ),
    "haul_class": (
        "vehicle_types.csv line 6 (id=VT-HAUL): vehicle_class: not a haul class",
        "'compactor'",
    ),
    "compaction_stream": (
        "stations.csv line 2 (id=ST-NORTH): compaction.recyclable: stream not accepted by this "
        "station; expected a stream the station accepts: other, kitchen",
    ),
    "compaction_ratio": ("stations.csv line 3 (id=ST-SOUTH): compaction.kitchen: must be >= 1",),
    "compaction_text": (
        "stations.csv line 2 (id=ST-NORTH): compaction: 'kitchen=2' is not stream:value",
    ),
    "stream_bays_stream": (
        "stations.csv line 2 (id=ST-NORTH): stream_bays.hazardous: stream not accepted",
    ),
    "stream_bays_count": (
        "stations.csv line 3 (id=ST-SOUTH): stream_bays.other: must be >= 1, got '0'",
    ),
    "containers": ("stations.csv line 2 (id=ST-NORTH): containers: must be >= 0, got '-3'",),
    "container_t": ("stations.csv line 3 (id=ST-SOUTH): container_t: needed with containers = 6",),
    "condition": ("stations.csv line 2 (id=ST-NORTH): condition: unknown condition", "'bad'"),
    "built_year": ("stations.csv line 2 (id=ST-NORTH): built_year: must be >= 1900, got '98'",),
    "staff": ("stations.csv line 3 (id=ST-SOUTH): staff: must be >= 0, got '-2'",),
    "meets_standard": (
        "stations.csv line 2 (id=ST-NORTH): meets_standard: not true or false",
        "'no'",
    ),
    "external_load": (
        "facilities.csv line 4 (id=F-KW): external_t_per_day: must be <= 200, got '250'",
    ),
    "planning_mode": ("scenario.toml [planning]: mode: unknown planning mode", "'cheapest'"),
    "planning_range": (
        "scenario.toml [planning]: shortfall_penalty_cny_per_t: must be >= 0, got '-10'",
    ),
    "max_haul_km": ("scenario.toml [planning]: max_haul_km: must be > 0, got '0'",),
    "fill_margin": ("scenario.toml [planning]: fill_margin: must be > 0, got '0'",),
    "fill_margin_over": ("scenario.toml [planning]: fill_margin: must be <= 1, got '1.2'",),
    "planning_type": ("scenario.toml [planning]: require_standard: expected true or false",),
    # input hardening (issue 13): characters, blank names, paths, quoting, defaults
    "control_char": (
        "points.csv line 2 (id=P1): name: contains the control character U+0000 at character 3",
        "got '幸福\\x00小区'",
    ),
    "xml_char": ("depots.csv line 2 (id=D1): name: contains the non-character U+FFFE",),
    "toml_control_char": (
        "scenario.toml [[variants]] id=consolidate: description: contains the control "
        "character U+0007 at character 5",
    ),
    "blank_name": ("stations.csv line 2 (id=ST-NORTH): name: required value is empty",),
    "blank_toml_name": ("scenario.toml [scenario]: name: required value is empty",),
    "id_start": (
        "points.csv line 6 (id=-P5): id: not a valid id; expected letters, digits, '-', '_', "
        "'.', starting with a letter, digit or '_'",
    ),
    "table_outside": ("../scenario_ok/points.csv: path leads outside the scenario folder",),
    "matrix_outside": ("/tmp/matrix.csv: path leads outside the scenario folder",),
    "defaults": (
        "scenario.toml [defaults]: service_time_s: must be > 0, got '0'",
        "scenario.toml [defaults]: tw_end: ends before it starts (tw_start 06:00)",
    ),
    "lunch_nan": (
        "vehicle_types.csv line 2 (id=VT-KITCHEN): lunch_duration_min: must be a finite number",
    ),
    "unclosed_quote": ("points.csv line 3: a quoted cell starting here is never closed",),
    "stray_quote": ("points.csv line 3: text follows the closing quote of a quoted cell",),
    "blank_header": ("points.csv line 1: blank line instead of the header row",),
    # targets in the city's terms, towns and compliance (issue 15)
    "town_kind": ("points.csv line 4 (id=P3): town_kind: unknown town kind", "'village'"),
    "compliant": ("points.csv line 3 (id=P2): compliant: not true or false", "'yes'"),
    "target_range": (
        "scenario.toml [[targets]] id=kitchen_separation: value: must be <= 1: a share, not a "
        "percentage; expected a share between 0 and 1 (18 % is 0.18), got '18'",
    ),
    "target_metric": (
        "scenario.toml [[targets]] id=recycling: metric: unknown metric",
        "'recycling_rate'",
    ),
    "target_kind": (
        "scenario.toml [[targets]] id=catering_capacity: kind: unknown facility kind",
        "'catering_plant'",
    ),
}


def refused_by_route(
    folder: Path, parts: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    """Run ``wasteopt route FOLDER --out`` and check it refuses: exit 2, every part of the
    message, no traceback, and nothing written (not even a staging folder). Returns stderr."""
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    code = main(["route", str(folder), "--out", str(outputs / "routes")])
    err = capsys.readouterr().err
    assert code == 2, err
    for part in parts:
        assert part in err, f"{part!r} not in:\n{err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert list(outputs.iterdir()) == []
    return err


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_fixture_is_reported_precisely(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each broken folder makes `route --out` exit 2 naming file, line/id and field, and
    write nothing."""
    refused_by_route(DATA / f"bad_{name}", BAD[name], tmp_path, capsys)


def test_bad_defaults_are_reported_once_for_the_section() -> None:
    """A bad [defaults] value is one problem of scenario.toml, not one per inheriting point."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(DATA / "bad_defaults")
    assert [(p.file, p.field) for p in info.value.problems] == [
        ("scenario.toml", "service_time_s"),
        ("scenario.toml", "tw_end"),
    ]


def test_every_bad_fixture_has_expectations() -> None:
    """No bad_* folder is left untested (bad_many has its own test)."""
    folders = {p.name.removeprefix("bad_") for p in DATA.glob("bad_*") if p.is_dir()}
    assert folders - {"many"} == set(BAD)


def test_several_faults_are_reported_at_once() -> None:
    """A folder with seven faults in five files reports all seven in one ScenarioError."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(DATA / "bad_many")
    text = str(info.value)
    expected = [
        "stations.csv line 2 (id=ST-NORTH): capacity_t_per_day: must be > 0, got '-5'",
        "vehicle_types.csv line 2 (id=VT-KITCHEN): depot: unknown depot",
        "points.csv line 3 (id=P2): tw_end: ends before it starts",
        "points.csv line 5 (id=P4): lon: not a number",
        "stream shares must sum to 1",
        "facilities.csv line 2 (id=F-WTE): bays: must be > 0",
        "depots.csv line 2 (id=D1): close: ends before it starts",
    ]
    for part in expected:
        assert part in text, f"{part!r} not in:\n{text}"
    assert len(info.value.problems) == len(expected)


def test_missing_folder_is_reported() -> None:
    """A path that does not exist gives one problem naming it."""
    with pytest.raises(ScenarioError, match="scenario folder not found") as info:
        load_scenario(DATA / "no_such_folder")
    assert "no_such_folder" in str(info.value)


def test_valid_fixture_loads_with_expected_values() -> None:
    """The valid fixture's numbers, defaults and overrides arrive in the model as written."""
    s = load_scenario(OK)
    assert (s.id, s.variant, s.folder) == ("ok", "base", str(OK))
    assert [p.id for p in s.points] == ["P1", "P2", "P3", "P4", "P5"]
    p1, p2, p3 = s.points[0], s.points[1], s.points[2]
    assert (p1.residents, p1.households, p1.lon, p1.lat) == (1200, None, 119.56, 31.74)
    assert (p1.service_time_s, p1.tw_start_s, p1.tw_end_s) == (90, 6 * 3600, 20 * 3600)
    assert (p2.households, p2.service_time_s, p2.tw_start_s, p2.tw_end_s) == (
        400,
        120,
        7 * 3600,
        9 * 3600 + 1800,
    )
    assert p2.name == "Garden Court, Block A"
    assert p3.kg_per_day == {"kitchen": 85.5} and p3.phase == 3
    assert p3.frequency["recyclable"] == "none" and p2.frequency["recyclable"] == "twice_weekly"
    assert p1.frequency == {
        "kitchen": "daily",
        "recyclable": "every_other_day",
        "hazardous": "weekly",
        "other": "daily",
    }
    assert s.depot("D1").open_s == 5 * 3600
    north, south = s.station("ST-NORTH"), s.station("ST-SOUTH")
    assert north.streams == ("other", "kitchen") and north.closing_cost_cny == -50000.0
    assert (south.status, south.bays, south.unload_time_s, south.open_s, south.close_s) == (
        "candidate",
        1,
        600,
        0,
        86400,
    )
    assert [x.id for x in s.open_stations()] == ["ST-NORTH"]
    wte = s.facility("F-WTE")
    assert (wte.kind, wte.storage_t, wte.fallback, wte.capacity_t_per_day) == (
        "waste_to_energy",
        3000.0,
        "F-LF",
        1000.0,
    )
    kitchen = s.vehicle_type("VT-KITCHEN")
    assert (kitchen.lunch_earliest_s, kitchen.lunch_duration_s, kitchen.max_stops) == (
        10 * 3600 + 1800,
        45 * 60,
        None,
    )
    recyc = s.vehicle_type("VT-RECYC")
    assert (recyc.role, recyc.speed_kmh, recyc.lunch_duration_s, recyc.max_stops) == (
        "collection",
        25.0,
        3600,
        40,
    )
    haz = s.vehicle_type("VT-HAZ")
    assert (haz.lunch_earliest_s, haz.lunch_latest_s, haz.lunch_duration_s) == (None, None, 0)
    assert s.vehicle_type("VT-HAUL").depot == "ST-NORTH"
    g = s.generation
    assert (g.kg_per_person_day, g.persons_per_household, g.noise_cv) == (0.9, 2.5, 0.1)
    assert g.start_date.isoformat() == "2024-01-01" and len(g.month_factors) == 12
    assert g.holidays[0].name == "春节" and g.holidays[0].days == 7
    assert (g.missorting[0].from_stream, g.missorting[0].to_stream) == ("kitchen", "other")
    assert s.network.circuity == 1.25 and s.network.matrix_file == ""
    assert s.variants[0].edits[1].value == "05:30"


def test_stream_overrides_keep_standard_fields() -> None:
    """[[streams]] entries override only the fields they give; the rest stay standard."""
    s = load_scenario(OK)
    kitchen, standard = s.stream("kitchen"), STANDARD_STREAMS[0]
    assert (kitchen.share, kitchen.capture_rate) == (0.42, 0.8)
    assert (kitchen.name_zh, kitchen.density_kg_per_m3) == (standard.name_zh, 650.0)
    assert s.stream_ids == ("kitchen", "recyclable", "hazardous", "other")
    assert all(x.default_frequency in FREQUENCIES for x in STANDARD_STREAMS)


def test_default_phase_is_crc32_of_id() -> None:
    """Points without a phase get zlib.crc32 of the UTF-8 id, so runs are reproducible."""
    s = load_scenario(OK)
    assert s.point("P1").phase == zlib.crc32(b"P1")


def test_bom_and_chinese_names(tmp_path: Path) -> None:
    """UTF-8 files with a byte-order mark load, and Chinese text survives unchanged."""
    folder = tmp_path / "bom"
    shutil.copytree(OK, folder)
    for name in ("points.csv", "scenario.toml", "stations.csv"):
        p = folder / name
        p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    s = load_scenario(folder)
    assert s.points[0].id == "P1"  # the BOM did not stick to the first header cell
    assert s.points[0].name == "幸福小区" and s.points[0].district == "金城镇"
    assert s.station("ST-NORTH").name == "城北转运站"
    assert s.name == "测试区 (test district)"
    assert s.variants[0].description == "关闭城北, 启用城南"


def test_toml_path_and_variant_argument() -> None:
    """The path may name scenario.toml itself; variant= applies that variant."""
    s = load_scenario(OK / "scenario.toml", variant="consolidate")
    assert s.variant == "consolidate"
    assert s.station("ST-NORTH").decision == "close"
    assert load_scenario(OK, variant="base").variant == "base"
    with pytest.raises(ScenarioError, match="unknown variant 'nope'"):
        load_scenario(OK, variant="nope")


def test_problem_floods_are_summarised(tmp_path: Path) -> None:
    """Sixty identical faults are listed up to a limit of 20, then counted."""
    folder = tmp_path / "flood"
    shutil.copytree(OK, folder)
    head = (OK / "points.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [f"Q{i},x,200,31.7,d,10,,,,,,," for i in range(60)]
    (folder / "points.csv").write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    problems = info.value.problems
    assert sum(p.message == "must be <= 180" for p in problems) == 20
    assert "40 more problems like 'must be <= 180' not listed" in str(info.value)


def test_multiline_cell_keeps_line_numbers(tmp_path: Path) -> None:
    """A quoted cell spanning two lines does not shift the line numbers of later rows."""
    folder = tmp_path / "multiline"
    shutil.copytree(OK, folder)
    p = folder / "points.csv"
    text = p.read_text(encoding="utf-8")
    text = text.replace("P1,幸福小区,", 'P1,"幸福\n小区",').replace(
        "P4,学府路小学,119.565", "P4,学府路小学,oops"
    )
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    assert "points.csv line 6 (id=P4): lon: not a number" in str(info.value)
