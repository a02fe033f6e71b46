"""Tests for wasteopt.scenario.targets and target_checks: the [[targets]] table, the town,
town_kind and compliant columns of points.csv, and the refuse_unsorted planning switch."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from wasteopt.errors import ScenarioError
from wasteopt.scenario import apply_variant, load_scenario

OK = Path(__file__).parent / "data" / "scenario_ok"


def _copy(tmp_path: Path, toml_tail: str = "", columns: dict[str, list[str]] | None = None) -> Path:
    """scenario_ok with ``toml_tail`` appended to scenario.toml and ``columns`` (name → one cell
    per point, P1 … P5) added to points.csv."""
    folder = tmp_path / "s"
    shutil.copytree(OK, folder)
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + toml_tail, encoding="utf-8")
    if columns:
        with open(folder / "points.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for name, cells in columns.items():
            for r, cell in zip(rows, cells, strict=True):
                r[name] = cell
        with open(folder / "points.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    return folder


def _problems(folder: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    return str(info.value)


TARGETS = """
[[targets]]
metric = "kitchen_separation"
value = 0.18
direction = "≥"
source = "Beijing 2023 (M)"

[[targets]]
metric = "treatment_capacity"
kind = "kitchen_waste_plant"
streams = ["kitchen"]
value = 150
source = "illustrative"

[[targets]]
id = "few_unsorted"
metric = "compliant_share"
value = 0.95
direction = "<="
levels = ["town", "total"]
source = "illustrative"
"""


def test_targets_and_town_columns_are_read(tmp_path: Path) -> None:
    """Targets get default ids and a normalised direction; town, town_kind and compliant are
    read per point, an empty town falling back to the district."""
    folder = _copy(
        tmp_path,
        TARGETS,
        {
            "town": ["", "东城街道", "东城街道", "", ""],
            "town_kind": ["town", "street", "street", "", ""],
            "compliant": ["", "false", "1", "", "0"],
        },
    )
    s = load_scenario(folder)
    ids = [t.id for t in s.targets]
    assert ids == ["kitchen_separation", "treatment_capacity.kitchen_waste_plant", "few_unsorted"]
    assert [t.direction for t in s.targets] == [">=", ">=", "<="]
    assert s.targets[2].level_ids() == ("town", "total")
    assert s.targets[0].level_ids() == ("community", "town", "district", "total")
    p1, p2 = s.point("P1"), s.point("P2")
    assert (p1.town, p1.town_name, p1.town_kind, p1.compliant) == ("", "金城镇", "town", True)
    assert (p2.town_name, p2.town_kind, p2.compliant) == ("东城街道", "street", False)
    assert [p.compliant for p in s.points] == [True, False, True, True, False]
    assert s.targets[0].gap(0.15) == pytest.approx(0.03)  # short by 3 points
    assert s.targets[2].gap(0.90) == pytest.approx(-0.05)  # at most 95 %: met


def test_a_scenario_without_the_new_fields_keeps_the_defaults() -> None:
    """No targets, empty towns, every point compliant and the rule off."""
    s = load_scenario(OK)
    assert s.targets == () and not s.planning.refuse_unsorted
    assert all(p.compliant and not p.town and not p.town_kind for p in s.points)
    assert not any(s.refuses(p) for p in s.points)


def test_a_town_of_two_kinds_is_reported_at_the_point_that_differs(tmp_path: Path) -> None:
    """Every point of one town gives the same kind: the second kind is an error naming both."""
    folder = _copy(tmp_path, columns={"town_kind": ["town", "street", "", "", ""]})
    assert (
        "points.csv line 3 (id=P2): town_kind: town 金城镇 is a town at point P1 but a street "
        "here; expected one kind per town (town), got 'street'"
    ) in _problems(folder)


S = '\nsource = "illustrative"'


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            'metric = "resource_recovery"\nstreams = ["paper"]\nvalue = 0.3' + S,
            "id=resource_recovery: streams: unknown stream; expected one of",
        ),
        (
            'metric = "compliant_share"\nstreams = ["kitchen"]\nvalue = 0.9' + S,
            "id=compliant_share: streams: not used by the metric compliant_share",
        ),
        (
            'metric = "treatment_capacity"\nvalue = 1450' + S,
            "id=treatment_capacity: kind: a capacity target needs a facility kind",
        ),
        (
            'metric = "kitchen_separation"\nkind = "landfill"\nvalue = 0.2' + S,
            "id=kitchen_separation.landfill: kind: not used by the metric kitchen_separation",
        ),
        (
            'metric = "compliant_communities"\nlevels = ["community"]\nvalue = 10' + S,
            "id=compliant_communities: levels: not a level of compliant_communities; expected "
            "town, district, total, got 'community'",
        ),
        (
            'metric = "compliant_communities"\nvalue = 10.5' + S,
            "id=compliant_communities: value: must be a whole number of communities",
        ),
        (
            'metric = "harmless_treatment"\nvalue = -0.1' + S,
            "id=harmless_treatment: value: must be >= 0, got '-0.1'",
        ),
        (
            'metric = "harmless_treatment"\ndirection = "=="\nvalue = 1' + S,
            "id=harmless_treatment: direction: unknown direction",
        ),
        (
            'metric = "harmless_treatment"\nlevels = ["city"]\nvalue = 1' + S,
            "id=harmless_treatment: levels: unknown level",
        ),
        ('metric = "harmless_treatment"\nvalue = 1', "#1: source: required key is missing"),
    ],
)
def test_a_bad_target_names_its_field(tmp_path: Path, entry: str, message: str) -> None:
    """Each faulty [[targets]] entry is one problem naming scenario.toml, the target and the
    field."""
    text = _problems(_copy(tmp_path, f"\n[[targets]]\n{entry}\n"))
    assert f"scenario.toml [[targets]] {message}" in text, text
    assert text.startswith("1 problem found"), text


def test_duplicate_target_ids_are_refused(tmp_path: Path) -> None:
    """Two targets of one metric without ids share the default id: the second is refused."""
    entry = '\n[[targets]]\nmetric = "harmless_treatment"\nvalue = 1\nsource = "x"\n'
    text = _problems(_copy(tmp_path, entry * 2))
    assert "[[targets]] id=harmless_treatment: id: duplicate target id" in text


def test_a_variant_turns_the_rule_on_and_flags_a_point(tmp_path: Path) -> None:
    """refuse_unsorted is a planning edit and compliant a point edit: the variant refuses
    exactly the point it flags, the base refuses nothing."""
    tail = """
[[variants]]
id = "strict"
[[variants.edits]]
table = "planning"
field = "refuse_unsorted"
value = true
[[variants.edits]]
table = "points"
id = "P4"
field = "compliant"
value = "false"
"""
    base = load_scenario(_copy(tmp_path, tail))
    strict = apply_variant(base, "strict")
    assert not any(base.refuses(p) for p in base.points)
    assert [p.id for p in strict.points if strict.refuses(p)] == ["P4"]
