"""Tests for wasteopt.pipeline: the main job on the tiny scenario, end to end."""

from __future__ import annotations

import dataclasses
import html
import json
import re

import pandas as pd
import pytest

from wasteopt.clock import Deadline
from wasteopt.facilities import policy_cost
from wasteopt.facilities.settings import FacilitySettings
from wasteopt.files import content_hash
from wasteopt.generation import expected_rates_kg_per_day, generate
from wasteopt.network import build_matrix
from wasteopt.pipeline import (
    Horizon,
    facility_settings,
    mode_label,
    plan_catchments,
    plan_operations,
    representative_day,
    route_planned_day,
    run_all,
)
from wasteopt.reporting.kpis import COST_STAGES, KPI_BY_ID, VERDICT_KPIS, format_value
from wasteopt.routing.build import build_problem
from wasteopt.routing.check import check_plan
from wasteopt.routing.settings import ENGINES, RoutingSettings
from wasteopt.scenario import apply_variant
from wasteopt.simulation import simulate
from wasteopt.stopids import split_stop_id


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny_dir):
    """The main job on tiny: 7 days, seed 3, 300 routing iterations within a 60 s budget (so
    the sensitivity re-plans have time left), one routing worker."""
    out = tmp_path_factory.mktemp("run") / "out"
    summary = run_all(
        tiny_dir,
        out_dir=out,
        horizon=Horizon(days=7, seed=3),
        routing=RoutingSettings(seed=3, workers=1, iterations=300),
        deadline=Deadline(60.0),
    )
    return summary, out


def test_run_writes_every_stage_for_base_and_variants(tiny_run):
    """run_all writes demand, facility, route, sheet, simulation and plot files per variant."""
    summary, out = tiny_run
    assert summary.ok and summary.service_ok
    for v in ("base", "east"):
        for rel in (
            "demand_t_per_day.csv",
            "facilities/assignments.csv",
            "routes/plan_kitchen.json",
            "routes/sheets/routes_kitchen.pdf",
            "routes/sheets/routes_other.xlsx",
            "routes/sheets/routes_other_points.geojson",
            "routes/sheets/routes_other_lines.geojson",
            "routes/sheets/routes_kitchen_maps.pdf",
            "routes/route_book.pdf",
            "routes/route_book.xlsx",
            "simulation/sim_daily.csv",
            "simulation/sim_balance.csv",
            "simulation/service.csv",
            "simulation/sim_robustness.csv",
            "simulation/ledger_trips.csv",
            "simulation/ledger.xlsx",
            "plots/routes.png",
            "plots/daily_KPIs.svg",
        ):
            assert (out / v / rel).is_file(), f"{v}/{rel}"
    assert (out / "report.html").is_file()
    assert (out / "plots" / "catchments_east_other.png").is_file()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_manifest_records_inputs_and_timings(tiny_run, tiny_dir):
    """The manifest names the scenario hash, seed, variants, versions and stage timings."""
    _, out = tiny_run
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["scenario_sha256"] == content_hash(tiny_dir)
    assert m["time_limit_s"] == 60.0 and m["iterations"] == 300
    assert m["seed"] == 3 and m["variants"] == ["base", "east"] and m["days"] == 7
    assert {"pyvrp", "simpy", "numpy"} <= set(m["versions"])
    assert m["timings_s"]["total"] > 0 and "east/simulation" in m["timings_s"]
    assert m["all_plans_checker_clean_and_balanced"] is True
    assert m["service_level_met"] is True and m["min_collected_share"] == 0.995


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
    assert "Scenario comparison" in html and "收集量 Collected" in html
    assert "Service level" in html and "collected at least 99.5%" in html
    assert "<svg" in html or "data:image/png;base64" in html
    # No fetchable references (XML namespace URIs in SVG metadata are names, not requests).
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?https?:""", html)


def test_run_without_targets_or_refusal_writes_an_empty_refused_table(tiny_run):
    """tiny defines no targets and refuses nothing: refused.csv has its header only, there is
    no targets.csv, no targets section, and the manifest records no refused tonnage."""
    summary, out = tiny_run
    refused = pd.read_csv(out / "refused.csv", encoding="utf-8-sig")
    assert refused.empty and "point_id" in refused.columns
    assert not (out / "targets.csv").exists()
    assert "目标差距" not in (out / "report.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["refused_by_policy_t_per_day"] == {} and summary.refused_by_policy == ()


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


def test_explanation_files_and_report_sections(tiny_run):
    """run writes the why-tables and plots, and report.html shows them with the mode."""
    _, out = tiny_run
    for name in (
        "cost_waterfall.csv",
        "cost_deltas.csv",
        "station_utilisation.csv",
        "catchment_moves.csv",
        "sensitivity.csv",
    ):
        assert (out / "explain" / name).is_file(), name
    for stem in ("waterfall_base", "waterfall_east", "tornado_east"):
        assert (out / "plots" / f"{stem}.png").is_file(), stem
    deltas = pd.read_csv(out / "explain" / "cost_deltas.csv", encoding="utf-8-sig")
    kpi = pd.read_csv(out / "kpi.csv", encoding="utf-8-sig").set_index("variant")
    total = deltas[deltas["term"] == "total"].iloc[0]["delta_cny_per_year"]
    costs = kpi["facility_cost_cny_per_year"]
    assert total == pytest.approx(costs["east"] - costs["base"])
    assert set(kpi["facility_mode"]) == {"status_quo"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Cost waterfall" in html and "Sensitivity" in html and "Facility plan mode" in html
    sens = pd.read_csv(out / "explain" / "sensitivity.csv", encoding="utf-8-sig")
    assert sens["evaluated"].all() and set(sens["variant"]) == {"east"}


def test_run_writes_the_standard_policy_cost_of_every_variant(tiny_run, tiny_scenario):
    """explain/policy_cost.csv has one row per variant equal to policy_cost called directly,
    and report.html shows it as a section with one sentence per variant."""
    _, out = tiny_run
    table = pd.read_csv(out / "explain" / "policy_cost.csv", encoding="utf-8-sig")
    assert list(table["variant"]) == ["base", "east"] and table["evaluated"].all()
    for row in table.itertuples():
        sc = tiny_scenario if row.variant == "base" else apply_variant(tiny_scenario, row.variant)
        direct = policy_cost(
            sc, expected_rates_kg_per_day(sc), build_matrix(sc), facility_settings(sc)
        )
        assert row.run_plan == "without"  # tiny's require_standard = false: the run's own plan
        assert row.cny_per_year_without == pytest.approx(direct.without_policy.objective)
        assert row.cny_per_year_with == pytest.approx(direct.with_policy.objective)
        assert row.policy_cost_cny_per_year == pytest.approx(direct.delta_cny_per_year, abs=1e-3)
        closed = row.closed_by_policy if isinstance(row.closed_by_policy, str) else ""
        assert closed == " ".join(direct.closed_by_policy)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Standard policy cost" in html
    assert html.count('class="table-note"') == 2
    assert "base: the standard policy" in html and "east: the standard policy" in html


def test_default_mode_is_the_scenarios_planning_mode(tiny_scenario):
    """Without --mode every command plans in the scenario's mode; --mode wins; free is
    labelled a cost-only bound."""
    free = dataclasses.replace(
        tiny_scenario, planning=dataclasses.replace(tiny_scenario.planning, mode="free")
    )
    assert facility_settings(tiny_scenario).mode == "status_quo"
    assert facility_settings(free).mode == "free"
    assert facility_settings(free, mode="status_quo").mode == "status_quo"
    assert facility_settings(free, FacilitySettings(mode="status_quo")).mode == "status_quo"
    assert "lower bound" in mode_label("free") and mode_label("status_quo") == "status_quo"


def _route_sites(plans, sites) -> dict[tuple[str, str], str]:
    """(point, stream) → the site its route unloads at next (``sites``: site ids)."""
    out = {}
    for plan in plans:
        for r in plan.routes:
            pending = []
            for v in r.visits:
                if v in sites:
                    out.update({(p, plan.stream): v for p in pending})
                    pending = []
                else:
                    pending.append(split_stop_id(v)[0])
    return out


def _simulated_sites(events) -> dict[tuple[str, str], str]:
    """(point, stream) → the site where the vehicle that collected it tips next."""
    out = {}
    for _, ev in events.sort_values(["vehicle", "day", "time_s"], kind="stable").groupby(
        ["vehicle", "day"]
    ):
        pending = []
        for e in ev.itertuples():
            if e.kind == "collect":
                pending.append((e.site, e.stream))
            elif e.kind == "tip_arrive":
                out.update({key: e.site for key in pending})
                pending = []
    return out


@pytest.mark.parametrize("variant", ["base", "east"])
def test_plan_route_and_simulate_share_catchments(tiny_scenario, variant):
    """plan, route and simulate on tiny send every (point, stream) to the same site: the
    facility plan's assignment, the route plans' unload sites and the simulation's tips agree
    on all 13 pairs, the lane point P7 (tricycle) and the large generator P6 (direct to the
    plants) included."""
    s = tiny_scenario if variant == "base" else apply_variant(tiny_scenario, variant)
    routing = RoutingSettings(seed=1, workers=1, iterations=200, time_limit_s=5)
    planned = plan_catchments(s, build_matrix(s)).assignments
    sites = {x.id for x in s.stations} | {x.id for x in s.facilities}
    routed = _route_sites(route_planned_day(s, day=0, routing=routing).plans, sites)
    ops = plan_operations(s, Horizon(days=3, day=0), routing=routing)
    sim = simulate(s, demand=ops.demand, matrix=ops.matrix, operating=ops.operating, seed=0)
    simulated = _simulated_sites(sim.events)
    assert ops.operating.facility_plan is not None
    assert ops.operating.facility_plan.assignments == planned
    assert len(planned) == 6 + 7  # kitchen at P1..P6, other at P1..P7
    assert planned[("P6", "other")] == "FAC-WTE"
    assert planned[("P7", "other")] == {"base": "ST-W", "east": "ST-E"}[variant]
    assert routed == planned
    assert simulated == planned


LANE_ROUTING = RoutingSettings(seed=1, workers=1, iterations=200, time_limit_s=5)


@pytest.mark.parametrize("engine", ENGINES)
def test_lane_point_is_routed_only_on_the_tricycle(tiny_scenario, engine):
    """`route` on tiny with either engine: the lane point P7 is served once, by the e-tricycle
    VT-TRI, and P7 is its only stop (400 of its 500 kg in its one trip: no other point fits);
    its day is the hand-derived D1 → P7 → ST-W → D1, 8,767 m and 2,826 s; checker-clean."""
    routing = dataclasses.replace(LANE_ROUTING, engine=engine)
    (plan,) = route_planned_day(tiny_scenario, day=0, streams=["other"], routing=routing).plans
    assert plan.engine == engine and plan.status == "feasible"
    assert plan.check is not None and plan.check.ok
    assert [r.fleet for r in plan.routes for v in r.visits if v == "P7"] == ["VT-TRI"]
    assert [r.visits for r in plan.routes if r.fleet == "VT-TRI" and r.visits] == [("P7", "ST-W")]
    (tri,) = [r for r in plan.check.routes if r.fleet == "VT-TRI"]
    assert (tri.distance_m, tri.duration_s) == (4089 + 1446 + 3232, 982 + 120 + 348 + 600 + 776)


def test_checker_flags_a_lane_point_given_to_a_compactor(tiny_scenario):
    """The routed plan edited to give P7 to the small compactor VT-OTH (just before its ST-W
    unload) and to drop the tricycle's route: the checker finds exactly one violation,
    'access' at P7 by VT-OTH#1, naming the fleet P7 allows."""
    s = tiny_scenario
    day = route_planned_day(s, day=0, streams=["other"], routing=LANE_ROUTING)
    (plan,) = day.plans
    demand = generate(s, days=1, seed=LANE_ROUTING.seed)  # as route_day generates it
    problem = build_problem(
        s, demand, 0, "other", build_matrix(s), assignment=day.facility_plan.assignment_for("other")
    )
    assert check_plan(problem, plan).ok
    routes = []
    for r in plan.routes:
        if r.fleet == "VT-OTH":
            at = r.visits.index("ST-W")
            r = dataclasses.replace(r, visits=(*r.visits[:at], "P7", *r.visits[at:]))
        if r.fleet != "VT-TRI":
            routes.append(r)
    report = check_plan(problem, dataclasses.replace(plan, routes=tuple(routes)))
    assert [(v.kind, v.vehicle, v.stop) for v in report.violations] == [
        ("access", "VT-OTH#1", "P7")
    ]
    assert "allowed here (VT-TRI)" in report.violations[0].message


# --------------------------------------------------------------------------------------------
# the report: a decision page first, one definition and one printed value per KPI

_KPI_CELL = re.compile(r'<td[^>]*data-kpi="([^"]+)" data-variant="([^"]+)"[^>]*>([^<]*)</td>')


def test_every_kpi_shows_the_same_value_wherever_it_appears(tiny_run):
    """Every cell of report.html marked with a KPI (the KPI table, the decision page's verdict
    and cost tables) shows kpi.csv's value as the registry prints it; every KPI of every
    variant is in the KPI table, and the verdict and cost KPIs on the decision page too."""
    _, out = tiny_run
    kpi = pd.read_csv(out / "kpi.csv", encoding="utf-8-sig").set_index("variant")
    page = (out / "report.html").read_text(encoding="utf-8")
    seen: dict[tuple[str, str], int] = {}
    for kpi_id, variant, text in _KPI_CELL.findall(page):
        value = kpi.at[variant, kpi_id]
        assert html.unescape(text) == format_value(kpi_id, value), (kpi_id, variant, text)
        seen[(kpi_id, variant)] = seen.get((kpi_id, variant), 0) + 1
    assert set(kpi.columns) <= set(KPI_BY_ID), "register every kpi.csv column"
    for kpi_id in kpi.columns:
        for variant in kpi.index:
            wanted = 2 if kpi_id in (*VERDICT_KPIS, *COST_STAGES) else 1
            assert seen.get((kpi_id, variant), 0) >= wanted, (kpi_id, variant)


def test_decision_page_comes_first_and_no_raw_id_reaches_the_reader(tiny_run):
    """The decision page precedes the table of contents; no table header is a snake_case id
    and no KPI id is visible text (ids stay in data attributes)."""
    _, out = tiny_run
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.index('id="decision"') < page.index("<nav>")
    for head in re.findall(r"<th[^>]*>([^<]*)</th>", page):
        assert not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", html.unescape(head)), head
    visible = re.sub(r"<svg.*?</svg>|<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    for k in KPI_BY_ID:
        assert not re.search(rf"\b{k}\b", visible), k
    assert "全口径吨成本 Full cost per tonne" in visible


def test_kpis_reconcile_with_each_other_and_the_files(tiny_run):
    """The five stage costs add up to the full cost per tonne; truck-km = collection + haul
    km; collected = stock at the start + generated − what the bins hold at the end; the
    planned plant utilisation is the utilisation chart's (facilities/utilisation.csv)."""
    _, out = tiny_run
    kpi = pd.read_csv(out / "kpi.csv", encoding="utf-8-sig").set_index("variant")
    for v in kpi.index:
        r = kpi.loc[v]
        assert sum(r[s] for s in COST_STAGES) == pytest.approx(r["cost_cny_per_t"], rel=1e-9)
        assert r["cost_cny_per_t"] > r["ops_cost_cny_per_t"] > 0
        assert r["collection_km_per_day"] + r["haul_km_per_day"] == pytest.approx(
            r["truck_km_per_day"]
        )
        bal = pd.read_csv(out / v / "simulation" / "sim_balance.csv", encoding="utf-8-sig")
        last = bal[bal["day"] == bal["day"].max()]
        left_kg = (last["at_points_kg"] + last["taken_elsewhere_kg"]).sum()
        collected_kg = 1000 * (r["stock_at_start_t"] + r["generated_t_per_day"] * r["sim_days"])
        assert r["collected_t_per_day"] * r["sim_days"] * 1000 == pytest.approx(
            collected_kg - left_kg, abs=1e-3
        )
        util = pd.read_csv(out / v / "facilities" / "utilisation.csv", encoding="utf-8-sig")
        plants = util[util["site_kind"] == "plant"]
        assert r["plant_utilisation_plan_max"] == pytest.approx(plants["utilisation"].max())
