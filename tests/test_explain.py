"""Tests for wasteopt.pipeline.explain and .sensitivity: why a variant costs what it does."""

from __future__ import annotations

import dataclasses
import math
import time

import pytest

from wasteopt.clock import Deadline
from wasteopt.facilities import plan_facilities, policy_cost
from wasteopt.facilities.settings import FacilitySettings, capital_recovery_factor
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.pipeline.explain import (
    MOVE_COLUMNS,
    POLICY_COLUMNS,
    UTILISATION_COLUMNS,
    WATERFALL_TERMS,
    catchment_moves,
    cost_deltas,
    cost_term,
    cost_waterfall,
    policy_sentences,
    policy_table,
    station_utilisation,
)
from wasteopt.pipeline.sensitivity import (
    SENSITIVITY_COLUMNS,
    SENSITIVITY_INPUTS,
    ranking,
    scale_input,
    sensitivity,
)
from wasteopt.reporting.explain_plots import plot_cost_waterfall, plot_tornado
from wasteopt.scenario import apply_variant

SQ = FacilitySettings(mode="status_quo", threads=1, time_limit_s=10)


def _plan(scenario, matrix):
    return plan_facilities(scenario, expected_rates_kg_per_day(scenario), matrix, SQ)


@pytest.fixture(scope="module")
def plans(tiny_scenario, tiny_matrix):
    """Status-quo plans of tiny's base and ``east`` (close ST-W, build ST-E)."""
    east = apply_variant(tiny_scenario, "east")
    return {"base": _plan(tiny_scenario, tiny_matrix), "east": _plan(east, tiny_matrix)}


def test_waterfall_terms_add_up_to_each_objective(plans):
    """Each variant's six steps (and total) sum to its plan's objective."""
    wf = cost_waterfall(plans)
    assert list(wf.columns) == ["variant", "term", "cny_per_year", "cny_per_t", "items"]
    for v, plan in plans.items():
        rows = wf[wf["variant"] == v].set_index("term")
        assert list(rows.index) == [*WATERFALL_TERMS, "total"]
        assert rows.loc["total", "cny_per_year"] == pytest.approx(plan.objective)
        steps = rows.drop(index="total")["cny_per_year"].sum()
        assert steps == pytest.approx(plan.objective)


def test_capital_step_of_east_is_the_annualised_build_cost(plans, tiny_scenario):
    """east's capital step is ST-E's opening cost × CRF(5 %, 20 y), the base's is 0."""
    st_e, st_w = tiny_scenario.station("ST-E"), tiny_scenario.station("ST-W")
    assert st_w.closing_cost_cny == 0  # so only the build is annualised
    expected = st_e.opening_cost_cny * capital_recovery_factor(0.05, 20.0)
    deltas = cost_deltas(cost_waterfall(plans)).set_index("term")
    assert deltas.loc["capital_annualised", "base_cny_per_year"] == 0.0
    assert deltas.loc["capital_annualised", "delta_cny_per_year"] == pytest.approx(expected)
    total = deltas.loc["total", "delta_cny_per_year"]
    assert total == pytest.approx(plans["east"].objective - plans["base"].objective)


def test_cost_term_maps_unknown_items_by_name():
    """Breakdown items outside COST_TERMS still land in the right step by their name."""
    assert cost_term("collection_tricycles") == "tier1_collection"
    assert cost_term("container_haul") == "tier2_haul"
    assert cost_term("station_capital_repair") == "capital_annualised"
    assert cost_term("plant_shortfall_penalty") == "shortfall_penalty"
    assert cost_term("mystery") == "other"


def test_utilisation_before_after_by_stream(plans):
    """ST-W carries its catchment before and nothing after; t/day, capacity and headroom
    agree (headroom = capacity − t/day, utilisation = t/day ÷ capacity)."""
    util = station_utilisation(plans["base"], plans["east"], "east")
    assert list(util.columns) == UTILISATION_COLUMNS
    w = util[(util["site_id"] == "ST-W") & (util["stream"] == "all")].iloc[0]
    assert bool(w["open_base"]) and not bool(w["open_variant"])
    assert w["t_per_day_base"] > 0 and w["t_per_day_variant"] == 0.0
    assert w["capacity_t_per_day_variant"] == 0.0 and math.isnan(w["utilisation_variant"])
    assert w["utilisation_base"] == pytest.approx(
        w["t_per_day_base"] / w["capacity_t_per_day_base"]
    )
    assert w["headroom_t_per_day_base"] == pytest.approx(
        w["capacity_t_per_day_base"] - w["t_per_day_base"]
    )
    # The residual stream ST-W takes moves whole to ST-E (east lets ST-E take kitchen too).
    other = util[(util["site_kind"] == "station") & (util["stream"] == "other")]
    assert other["t_per_day_base"].sum() == pytest.approx(other["t_per_day_variant"].sum())


def test_catchment_moves_name_old_and_new_site_with_legs(plans, tiny_scenario, tiny_matrix):
    """Every moved residual (other) stop leaves closed ST-W for ST-E; P1's old leg is 0.01° of
    longitude on the equator × circuity 1.3 (≈ 1.446 km)."""
    moves = catchment_moves(tiny_scenario, plans["base"], plans["east"], tiny_matrix, "east")
    assert list(moves.columns) == MOVE_COLUMNS
    other = moves[moves["stream"] == "other"]
    assert len(other) > 0
    assert set(other["site_base"]) == {"ST-W"} and set(other["site_variant"]) == {"ST-E"}
    assert other["site_base_closed"].all()
    p1 = moves[(moves["point_id"] == "P1") & (moves["stream"] == "other")].iloc[0]
    assert p1["leg_km_base"] == pytest.approx(0.01 * math.pi / 180 * 6371.0088 * 1.3, abs=2e-3)
    assert p1["delta_leg_km"] == pytest.approx(p1["leg_km_variant"] - p1["leg_km_base"])


def test_sensitivity_table_covers_every_input(plans, tiny_scenario, tiny_matrix):
    """One evaluated row per input for east; at ±20 % the tiny ranking holds."""
    scenarios = {"base": tiny_scenario, "east": apply_variant(tiny_scenario, "east")}
    table = sensitivity(
        scenarios,
        {"base": tiny_matrix, "east": tiny_matrix},
        SQ,
        nominal={v: p.objective for v, p in plans.items()},
    )
    assert list(table.columns) == SENSITIVITY_COLUMNS
    assert list(table["input"]) == [i.name for i in SENSITIVITY_INPUTS]
    assert table["evaluated"].all()
    fixed = table.set_index("input").loc["station_fixed_cost"]
    assert fixed["delta_nominal_cny_per_year"] == pytest.approx(
        plans["east"].objective - plans["base"].objective
    )
    fig = plot_tornado(table, "east")
    assert len(fig.axes[0].patches) == 2 * len(SENSITIVITY_INPUTS)


def _with_fixed(scenario, fixed_w, fixed_e):
    """tiny with ST-E free to build and the two stations' fixed costs set."""
    fixed = {"ST-W": fixed_w, "ST-E": fixed_e}
    stations = tuple(
        dataclasses.replace(st, opening_cost_cny=0.0, fixed_cost_cny_per_year=fixed[st.id])
        if st.id in fixed
        else st
        for st in scenario.stations
    )
    return dataclasses.replace(scenario, stations=stations)


def test_tornado_flips_when_station_fixed_cost_is_pushed_far_enough(tiny_scenario, tiny_matrix):
    """Constructed so that east − base = D0 ∓ k·F with F = 1.25 |D0| on the station that is
    dearer without fixed costs (nominal −D0/4): ±10 % keeps the ranking, −50 % flips it."""
    zero = _with_fixed(tiny_scenario, 0.0, 0.0)
    d0 = (
        _plan(apply_variant(zero, "east"), tiny_matrix).objective
        - _plan(zero, tiny_matrix).objective
    )
    assert d0 != 0
    f = 1.25 * abs(d0)  # the station whose fixed cost falls with k is the dearer one today
    base = _with_fixed(tiny_scenario, f if d0 > 0 else 0.0, 0.0 if d0 > 0 else f)
    scenarios = {"base": base, "east": apply_variant(base, "east")}
    nominal = {v: _plan(s, tiny_matrix).objective for v, s in scenarios.items()}
    fixed_input = [i for i in SENSITIVITY_INPUTS if i.name == "station_fixed_cost"]
    matrices = {"base": tiny_matrix, "east": tiny_matrix}
    kw = {"nominal": nominal, "inputs": fixed_input}
    small = sensitivity(scenarios, matrices, SQ, spread=0.1, **kw).iloc[0]
    large = sensitivity(scenarios, matrices, SQ, spread=0.5, **kw).iloc[0]
    assert not small["flips_ranking"] and large["flips_ranking"]
    assert large["ranking_nominal"] != large["ranking_low"]
    assert large["delta_nominal_cny_per_year"] == pytest.approx(-0.25 * d0, rel=1e-6)


def test_scale_input_and_ranking():
    """scale_input refuses unknown inputs; ranking orders by cost with unplanned last."""
    assert ranking({"a": 2.0, "b": 1.0, "c": math.nan}) == ("b", "a", "c")
    with pytest.raises(ValueError, match="unknown sensitivity input"):
        scale_input(None, "nope", 1.0)  # type: ignore[arg-type]


def test_kitchen_capture_is_capped_at_one(tiny_scenario):
    """Raising kitchen capture never takes it above 1."""
    s = scale_input(tiny_scenario, "kitchen_capture", 1.2)
    assert s.stream("kitchen").capture_rate <= 1.0


def test_waterfall_plot_has_a_bar_per_step(plans):
    """The waterfall figure draws the six steps and the total."""
    fig = plot_cost_waterfall(cost_waterfall(plans), "east")
    assert len(fig.axes[0].patches) == len(WATERFALL_TERMS) + 1


def _policy_inputs(tiny_scenario, tiny_matrix):
    """Scenarios and matrices of tiny's base and east, by variant."""
    scenarios = {"base": tiny_scenario, "east": apply_variant(tiny_scenario, "east")}
    return scenarios, {"base": tiny_matrix, "east": tiny_matrix}


def test_policy_table_equals_policy_cost(plans, tiny_scenario, tiny_matrix):
    """Each row is policy_cost of the variant: ST-W (below the standard) closes in the base;
    the run's plan (require_standard false) is the side without the policy."""
    scenarios, matrices = _policy_inputs(tiny_scenario, tiny_matrix)
    table = policy_table(scenarios, plans, matrices, SQ).set_index("variant")
    assert list(table.reset_index().columns) == POLICY_COLUMNS
    for v, sc in scenarios.items():
        direct = policy_cost(sc, expected_rates_kg_per_day(sc), tiny_matrix, SQ)
        row = table.loc[v]
        assert row["evaluated"] and row["run_plan"] == "without" and row["note"] == ""
        assert row["policy_cost_cny_per_year"] == pytest.approx(direct.delta_cny_per_year)
        assert row["cny_per_year_with"] == pytest.approx(direct.with_policy.objective)
        assert row["closed_by_policy"] == " ".join(direct.closed_by_policy)
        assert row["opened_instead"] == " ".join(direct.opened_by_policy)
    assert table.loc["base", "closed_by_policy"] == "ST-W"
    assert table.loc["east", "policy_cost_cny_per_year"] == pytest.approx(0.0, abs=1e-6)


def test_policy_table_reuses_the_run_plan(plans, tiny_scenario, tiny_matrix):
    """The run's own plan is taken as planned, not re-planned: a marked objective comes back."""
    scenarios, matrices = _policy_inputs(tiny_scenario, tiny_matrix)
    marked = {v: dataclasses.replace(p, objective=p.objective + 1e6) for v, p in plans.items()}
    table = policy_table(scenarios, marked, matrices, SQ).set_index("variant")
    for v, plan in marked.items():
        assert table.loc[v, "cny_per_year_without"] == plan.objective
        with_policy = table.loc[v, "cny_per_year_with"]
        assert table.loc[v, "policy_cost_cny_per_year"] == pytest.approx(
            with_policy - plan.objective
        )
    strict = dataclasses.replace(SQ, require_standard=True)  # now the run's plan is "with"
    own = {"base": _plan_with(tiny_scenario, tiny_matrix, strict)}
    row = policy_table({"base": tiny_scenario}, own, matrices, strict).iloc[0]
    assert row["run_plan"] == "with" and row["cny_per_year_with"] == own["base"].objective


def _plan_with(scenario, matrix, settings):
    return plan_facilities(scenario, expected_rates_kg_per_day(scenario), matrix, settings)


def test_policy_table_skips_every_variant_once_the_budget_is_spent(
    plans, tiny_scenario, tiny_matrix
):
    """With the budget spent nothing is planned: NaN costs, the reason in each row."""
    scenarios, matrices = _policy_inputs(tiny_scenario, tiny_matrix)
    spent = Deadline.at(time.monotonic() - 1.0)
    table = policy_table(scenarios, plans, matrices, SQ, deadline=spent)
    assert not table["evaluated"].any()
    assert table["policy_cost_cny_per_year"].isna().all()
    assert table["cny_per_year_with"].isna().all()
    assert list(table["cny_per_year_without"]) == [p.objective for p in plans.values()]
    assert set(table["note"]) == {"not evaluated: the run's time budget was spent"}
    assert all("time budget was spent" in s for s in policy_sentences(table))


def test_policy_conflict_is_a_reason_not_an_error(tiny_scenario, tiny_matrix):
    """A variant forcing open a station below the standard gets a row naming the conflict."""
    forced = dataclasses.replace(
        tiny_scenario,
        stations=tuple(
            dataclasses.replace(s, decision="open") if s.id == "ST-W" else s
            for s in tiny_scenario.stations
        ),
    )
    own = {"base": _plan_with(forced, tiny_matrix, SQ)}
    row = policy_table({"base": forced}, own, {"base": tiny_matrix}, SQ).iloc[0]
    assert not row["evaluated"] and math.isnan(row["policy_cost_cny_per_year"])
    assert "id=ST-W" in row["note"] and "forced open" in row["note"]


def test_policy_sentences_say_cost_and_stations(plans, tiny_scenario, tiny_matrix):
    """One sentence per variant: the base's names the saving or cost and ST-W; east's none."""
    scenarios, matrices = _policy_inputs(tiny_scenario, tiny_matrix)
    table = policy_table(scenarios, plans, matrices, SQ)
    base, east = policy_sentences(table)
    cost = table.set_index("variant").loc["base", "policy_cost_cny_per_year"]
    assert base.startswith("base: the standard policy " + ("saves" if cost < 0 else "costs"))
    assert f"{abs(cost):,.0f} CNY/yr" in base and "closes ST-W" in base
    assert east == "east: the standard policy costs nothing: every station the plan keeps " + (
        "open already complies."
    )
