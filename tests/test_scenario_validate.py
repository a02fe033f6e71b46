"""Tests for wasteopt.scenario.validate on scenarios built in code (no files involved)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from wasteopt.scenario import (
    Edit,
    Missort,
    Scenario,
    Variant,
    generated_streams,
    load_scenario,
    validate_scenario,
)

OK = Path(__file__).parent / "data" / "scenario_ok"


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario(OK)


def _texts(s: Scenario) -> list[str]:
    return [str(p) for p in validate_scenario(s)]


def test_valid_scenario_has_no_problems(base: Scenario) -> None:
    """The valid fixture validates clean, and validation never raises."""
    assert validate_scenario(base) == ()


def test_record_problem_is_located_by_id(base: Scenario) -> None:
    """Without line numbers a record problem names table file, id, field and value."""
    st = dataclasses.replace(base.stations[0], capacity_t_per_day=-5.0)
    s = dataclasses.replace(base, stations=(st, *base.stations[1:]))
    assert _texts(s) == ["stations.csv (id=ST-NORTH): capacity_t_per_day: must be > 0, got '-5'"]


def test_duplicate_site_ids_across_tables(base: Scenario) -> None:
    """A point reusing a facility id is reported, naming the other table."""
    p = dataclasses.replace(base.points[0], id="F-WTE")
    s = dataclasses.replace(base, points=(p, *base.points[1:]))
    texts = _texts(s)
    assert any(
        "points.csv (id=F-WTE): id: duplicate site id (already used by facilities.csv)" in t
        for t in texts
    ), texts


def test_unknown_references(base: Scenario) -> None:
    """Unknown stream, depot, fallback and missorting stream are each reported."""
    vt = dataclasses.replace(base.vehicle_types[0], stream="food", depot="D2")
    f = dataclasses.replace(base.facilities[0], fallback="F-NONE")
    gen = dataclasses.replace(
        base.generation, missorting=(Missort(from_stream="glass", to_stream="other", share=0.1),)
    )
    s = dataclasses.replace(
        base,
        vehicle_types=(vt, *base.vehicle_types[1:]),
        facilities=(f, *base.facilities[1:]),
        generation=gen,
    )
    text = "\n".join(_texts(s))
    for part in (
        "vehicle_types.csv (id=VT-KITCHEN): stream: unknown stream",
        "got 'food'",
        "vehicle_types.csv (id=VT-KITCHEN): depot: unknown depot",
        "got 'D2'",
        "facilities.csv (id=F-WTE): fallback: unknown facility",
        "[generation]: missorting[0].from: unknown stream",
    ):
        assert part in text, f"{part!r} not in:\n{text}"


def test_generated_streams_follow_residents_rates_and_frequency(base: Scenario) -> None:
    """A stream counts as generated only where someone produces it and it is collected."""
    assert set(generated_streams(base)) == {"kitchen", "recyclable", "hazardous", "other"}
    only_p3 = dataclasses.replace(base, points=(base.point("P3"),))
    # P3 has no residents, an explicit kitchen rate, and kitchen missorts into other.
    assert generated_streams(only_p3) == {"kitchen": "P3", "other": "P3"}
    none_freq = dataclasses.replace(
        base.point("P3"), frequency={**base.point("P3").frequency, "other": "none"}
    )
    assert generated_streams(dataclasses.replace(base, points=(none_freq,))) == {"kitchen": "P3"}


def test_ungenerated_stream_needs_no_vehicle(base: Scenario) -> None:
    """Removing the hazardous vehicle type is fine once no point generates hazardous waste."""
    no_haz_vt = tuple(v for v in base.vehicle_types if v.stream != "hazardous")
    s = dataclasses.replace(base, vehicle_types=no_haz_vt)
    assert any("no collection vehicle type carries stream 'hazardous'" in t for t in _texts(s))
    streams = tuple(
        dataclasses.replace(x, share=0.0)
        if x.id == "hazardous"
        else dataclasses.replace(x, share=0.38)
        if x.id == "other"
        else x
        for x in base.streams
    )
    assert _texts(dataclasses.replace(s, streams=streams)) == []


def test_variant_problems_are_prefixed_and_not_repeated(base: Scenario) -> None:
    """A variant that breaks coverage is reported once, for that variant only."""
    # Closing the only open station leaves kitchen/other with plants only: still fine;
    # removing F-SC's recyclables and opening nothing leaves recyclables nowhere in the variant.
    f_sc = dataclasses.replace(base.facility("F-SC"), streams=("other",))
    st = dataclasses.replace(base.station("ST-SOUTH"), decision="open")
    s = dataclasses.replace(
        base,
        facilities=tuple(f_sc if f.id == "F-SC" else f for f in base.facilities),
        stations=tuple(st if x.id == "ST-SOUTH" else x for x in base.stations),
        variants=(Variant(id="shut", close=("ST-SOUTH",)),),
    )
    texts = _texts(s)
    base_problem = "facilities.csv: streams: no treatment facility accepts stream 'recyclable'"
    assert sum(base_problem in t for t in texts) == 1  # not repeated for the variant
    variant_problem = (
        "scenario.toml [[variants]] id=shut: with this variant: stations.csv: "
        "streams: no open transfer station or treatment facility accepts stream "
        "'recyclable'"
    )
    assert any(t.startswith(variant_problem) for t in texts), texts


def test_scale_and_share_checks(base: Scenario) -> None:
    """Variant generation_scale must be > 0; missorting cannot exceed the uncaptured part."""
    gen = dataclasses.replace(
        base.generation, missorting=(Missort(from_stream="kitchen", to_stream="other", share=0.3),)
    )
    s = dataclasses.replace(
        base, generation=gen, variants=(Variant(id="zero", generation_scale=0.0),)
    )
    text = "\n".join(_texts(s))
    assert "scenario.toml [[variants]] id=zero: generation_scale: must be > 0, got '0'" in text
    assert "shares missorted from 'kitchen' exceed its uncaptured part" in text


def test_names_refuse_control_characters_and_blanks(base: Scenario) -> None:
    """Control characters and blank names are reported for code-built records and variant
    edits; tabs and line breaks in free text are allowed."""
    p1 = dataclasses.replace(base.points[0], name="A\x1bB")
    p2 = dataclasses.replace(base.points[1], name="Garden\tCourt\nBlock A")  # allowed
    st = dataclasses.replace(base.stations[0], name=" \u3000 ")
    kitchen = dataclasses.replace(base.streams[0], name_en="Kitchen\x85")
    edit = Edit(table="facilities", id="F-WTE", field="name", value="plant\x00")
    s = dataclasses.replace(
        base,
        points=(p1, p2, *base.points[2:]),
        stations=(st, *base.stations[1:]),
        streams=(kitchen, *base.streams[1:]),
        variants=(Variant(id="v", edits=(edit,)),),
    )
    assert _texts(s) == [
        "scenario.toml [[streams]] id=kitchen: name_en: contains the control character U+0085 "
        "at character 8; expected printable text (no control characters), got 'Kitchen\\x85'",
        "points.csv (id=P1): name: contains the control character U+001B at character 2; "
        "expected printable text (no control characters), got 'A\\x1bB'",
        "stations.csv (id=ST-NORTH): name: is empty; expected a name, got ' \\u3000 '",
        "scenario.toml [[variants]] id=v: with this variant: facilities.csv (id=F-WTE): name: "
        "contains the control character U+0000 at character 6; expected printable text (no "
        "control characters), got 'plant\\x00'",
    ]
