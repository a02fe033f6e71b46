"""Tests for wasteopt.pipeline: the main job on the tiny scenario, end to end."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from wasteopt.clock import Deadline
from wasteopt.files import content_hash
from wasteopt.generation import generate
from wasteopt.pipeline import Horizon, representative_day, run_all
from wasteopt.routing.settings import RoutingSettings


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny_dir):
    """The main job on tiny: 7 days, seed 3, a 20 s budget, one routing worker."""
    out = tmp_path_factory.mktemp("run") / "out"
    summary = run_all(
        tiny_dir,
        out_dir=out,
        horizon=Horizon(days=7, seed=3),
        routing=RoutingSettings(seed=3, workers=1),
        deadline=Deadline(20.0),
    )
    return summary, out


def test_run_writes_every_stage_for_base_and_variants(tiny_run):
    """run_all writes demand, facility, route, sheet, simulation and plot files per variant."""
    summary, out = tiny_run
    assert summary.ok
    for v in ("base", "east"):
        for rel in (
            "demand_t_per_day.csv",
            "facilities/assignments.csv",
            "routes/plan_kitchen.json",
            "routes/sheets/routes_kitchen.pdf",
            "routes/sheets/routes_other.xlsx",
            "routes/sheets/routes_other.geojson",
            "simulation/sim_daily.csv",
            "simulation/sim_balance.csv",
            "plots/routes.png",
            "plots/daily_KPIs.svg",
        ):
            assert (out / v / rel).is_file(), f"{v}/{rel}"
    assert (out / "report.html").is_file() and (out / "plots" / "catchments_east.png").is_file()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_manifest_records_inputs_and_timings(tiny_run, tiny_dir):
    """The manifest names the scenario hash, seed, variants, versions and stage timings."""
    _, out = tiny_run
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["scenario_sha256"] == content_hash(tiny_dir)
    assert m["time_limit_s"] == 20.0 and m["iterations"] is None
    assert m["seed"] == 3 and m["variants"] == ["base", "east"] and m["days"] == 7
    assert {"pyvrp", "simpy", "numpy"} <= set(m["versions"])
    assert m["timings_s"]["total"] > 0 and "east/simulation" in m["timings_s"]
    assert m["all_plans_checker_clean_and_balanced"] is True


def test_kpi_table_matches_simulation_tables(tiny_run):
    """Each KPI row equals what its simulation tables say (tonnes, km, CO2 per day)."""
    _, out = tiny_run
    kpi = pd.read_csv(out / "kpi.csv", encoding="utf-8-sig").set_index("variant")
    assert list(kpi.index) == ["base", "east"]
    for v in kpi.index:
        daily = pd.read_csv(out / v / "simulation" / "sim_daily.csv", encoding="utf-8-sig")
        days = daily["day"].nunique()
        assert kpi.loc[v, "collected_t_per_day"] == pytest.approx(daily["collected_t"].sum() / days)
        assert kpi.loc[v, "truck_km_per_day"] == pytest.approx(daily["km"].sum() / days)
        assert kpi.loc[v, "co2_kg_per_day"] == pytest.approx(daily["co2_kg"].sum() / days)
        assert bool(kpi.loc[v, "mass_balance_closes"]) is True


def test_html_report_has_tables_and_inline_figures(tiny_run):
    """The report is one self-contained file with the KPI table and inline figures."""
    _, out = tiny_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Scenario comparison" in html and "collected_t_per_day" in html
    assert "<svg" in html or "data:image/png;base64" in html
    # No fetchable references (XML namespace URIs in SVG metadata are names, not requests).
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?https?:""", html)


def test_representative_day_is_closest_to_mean(tiny_scenario):
    """The representative day's total is the one nearest the horizon mean."""
    d = generate(tiny_scenario, days=10, seed=1)
    totals = d.kg.sum(axis=(1, 2))
    k = representative_day(d)
    assert abs(totals[k] - totals.mean()) == min(abs(totals - totals.mean()))


def test_failed_run_leaves_no_output(tmp_path, tiny_dir):
    """An invalid day stops the run and leaves no output folder behind."""
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="outside"):
        run_all(tiny_dir, out_dir=out, variants=["base"], horizon=Horizon(days=3, day=5))
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
