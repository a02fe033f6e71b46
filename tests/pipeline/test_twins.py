"""Tests for wasteopt.pipeline.twins: variants that plan alike are planned once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from wasteopt.facilities.settings import FacilitySettings
from wasteopt.files import OutputFolder
from wasteopt.pipeline.run import _variant_runs, write_variant
from wasteopt.pipeline.twins import plan_twins
from wasteopt.pipeline.variant import Horizon, variant_kpis
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import apply_variant, load_scenario
from wasteopt.scenario.model import PlantOutage


def _outage_twin(base, facility_id):
    """The base with one plant losing 10 t/day on its first 2 days: only the simulated days
    differ."""
    down = PlantOutage(
        id="DOWN",
        facility_id=facility_id,
        kind="planned",
        start=base.generation.start_date,
        days=2,
        t_per_day_lost=10.0,
    )
    return dataclasses.replace(base, variant="down", plant_outages=(down,))


def test_outage_variant_is_a_twin_and_a_growth_variant_is_not(tiny_dir):
    """A variant that only switches an outage on plans like the base; the tiny 'east' variant
    (it changes what is planned) has no twin."""
    base = load_scenario(tiny_dir)
    east = apply_variant(base, "east")
    down = _outage_twin(base, base.facilities[0].id)
    assert plan_twins({"base": base, "east": east, "down": down}) == {"down": "base"}
    assert plan_twins({"base": base, "east": east}) == {}


def test_twin_variant_reuses_the_plans_and_is_simulated_on_its_own(tiny_dir, tmp_path):
    """In a run, the twin's facility plan and route plans are the base's (no second plan), its
    facility plan carries its own variant id, and its simulation ran with its outage."""
    base = load_scenario(tiny_dir)
    down = _outage_twin(base, base.facilities[0].id)
    lines: list[str] = []
    runs = [
        r
        for r, _ in _variant_runs(
            {"base": base, "down": down},
            Horizon(days=3, seed=1),
            RoutingSettings(seed=1, workers=1, iterations=100),
            FacilitySettings(),
            None,
            None,
            lines.append,
            False,
        )
    ]
    b, d = runs
    assert d.operating is b.operating and d.demand is b.demand
    assert d.facility_plan.variant == "down" and b.facility_plan.variant in ("", "base")
    assert d.facility_plan.objective == b.facility_plan.objective
    assert "[down] plans as base" in lines
    assert d.scenario.plant_outages and d.simulation is not b.simulation
    kb, kd = variant_kpis(b), variant_kpis(d)
    assert kb["plant_lost_t_per_day"] == 0 and kb["plant_diverted_t"] == 0
    assert kd["plant_lost_t_per_day"] == pytest.approx(10.0 * 2 / 3)
    with OutputFolder(tmp_path / "out") as out:
        write_variant(b, out)
        write_variant(d, out)
    base_routes, down_routes = tmp_path / "out/base/routes", tmp_path / "out/down/routes"
    files = {p.relative_to(base_routes) for p in base_routes.rglob("*") if p.is_file()}
    copied = {p.relative_to(down_routes) for p in down_routes.rglob("*") if p.is_file()}
    assert copied == files | {Path("plans_as.txt")} and Path("route_book.pdf") in files
    book = Path("route_book.xlsx")
    assert (down_routes / book).read_bytes() == (base_routes / book).read_bytes()
