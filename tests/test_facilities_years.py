"""The multi-year facility plan (wasteopt.facilities.years): the hand-solved tiny case, budgets,
forced builds, external growth and the horizon's input checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from wasteopt.errors import ScenarioError
from wasteopt.facilities.years_plan import YearsPlan, plan_years
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.network import build_matrix
from wasteopt.scenario import load_scenario

HORIZON = """
[horizon]
start_year = 2026
years = 2
discount_rate = 0.05
bind_tolerance_t_per_day = 0.01
years_table = "years.csv"
builds_table = "builds.csv"
"""
YEARS = "year,generation_index\n2026,1.0\n2027,1.2\n"
BUILD = "id,site,action,capacity_t_per_day,capex_cny,lifetime_years{extra_head}\n"
BUILD += "B-WTE2,FAC-WTE,expand,2,100000,10{extra}\n"


def horizon_case(
    tmp_path: Path,
    tiny_dir: Path,
    *,
    head: str = "",
    years: str = YEARS,
    builds: str | None = None,
) -> Path:
    """scenarios/tiny with a 3 t/day WtE plant, a two-year horizon and one expansion."""
    folder = tmp_path / "tiny_years"
    shutil.copytree(tiny_dir, folder)
    fac = folder / "facilities.csv"
    fac.write_text(
        fac.read_text(encoding="utf-8").replace(",other,100,60,", ",other,3,60,"), encoding="utf-8"
    )
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + HORIZON + head, encoding="utf-8")
    (folder / "years.csv").write_text(years, encoding="utf-8")
    text = builds if builds is not None else BUILD.format(extra_head="", extra="")
    (folder / "builds.csv").write_text(text, encoding="utf-8")
    return folder


def solve(folder: Path) -> YearsPlan:
    s = load_scenario(folder)
    return plan_years(s, expected_rates_kg_per_day(s), build_matrix(s))


def test_expansion_built_in_the_year_the_hand_computation_says(
    tmp_path: Path, tiny_dir: Path
) -> None:
    """Residual 2.8 t/day fits the 3 t/day plant in 2026; ×1.2 = 3.36 in 2027 does not: 0.36
    t/day short costs 0.36 × 365 × 1,000 = 131,400 CNY against a capital charge of 100,000 ×
    CRF(5 %, 10) = 12,950 CNY a year, so the expansion is built in 2027, not 2026."""
    plan = solve(horizon_case(tmp_path, tiny_dir))
    d = plan.plan.decisions.set_index("id")
    assert d.loc["B-WTE2", "year"] == 2027
    assert plan.shortfalls == ()
    wte = plan.plan.sites.query("site == 'FAC-WTE'").set_index("year")
    assert wte.loc[2026, "capacity_t_per_day"] == 3.0
    assert wte.loc[2027, "capacity_t_per_day"] == 5.0
    assert wte.loc[2027, "load_t_per_day"] == pytest.approx(3.36, abs=1e-6)
    costs = plan.plan.costs.set_index("year")
    assert costs.loc[2027, "build_charge_cny"] == pytest.approx(12950.46, abs=0.01)
    assert costs.loc[2026, "build_charge_cny"] == 0.0


def test_without_builds_the_plant_binds_in_2027_and_is_short(
    tmp_path: Path, tiny_dir: Path
) -> None:
    """As is, the WtE plant binds in 2027 (enough until 2026) and 0.36 t/day is named short."""
    plan = solve(horizon_case(tmp_path, tiny_dir))
    b = plan.binding.set_index("plant")
    assert b.loc["FAC-WTE", "binds_as_is"] == 2027
    assert b.loc["FAC-WTE", "enough_until"] == "2026"
    assert b.loc["FAC-KITCHEN", "enough_until"] == "beyond 2027"
    wte = plan.as_is.sites.query("site == 'FAC-WTE' and year == 2027").iloc[0]
    assert wte["short_t_per_day"] == pytest.approx(0.36, abs=1e-6)
    assert wte["offered_t_per_day"] == pytest.approx(3.36, abs=1e-6)


def test_budget_below_the_capex_leaves_a_named_shortfall(tmp_path: Path, tiny_dir: Path) -> None:
    """A yearly budget of 50,000 CNY cannot pay the 100,000 CNY expansion: nothing is built and
    the 2027 shortfall at FAC-WTE is reported."""
    years = "year,generation_index,budget_cny\n2026,1.0,50000\n2027,1.2,50000\n"
    plan = solve(horizon_case(tmp_path, tiny_dir, years=years))
    assert plan.plan.decisions.set_index("id").loc["B-WTE2", "year"] is pd.NA
    assert plan.shortfalls == ("2027 FAC-WTE: 0.4 t/day not taken",)


def test_a_forced_year_is_kept_even_when_early(tmp_path: Path, tiny_dir: Path) -> None:
    """A build row with year = 2026 (a plan's own step) is built in 2026."""
    builds = BUILD.format(extra_head=",year", extra=",2026")
    plan = solve(horizon_case(tmp_path, tiny_dir, builds=builds))
    assert plan.plan.decisions.set_index("id").loc["B-WTE2", "year"] == 2026


def test_external_load_grows_and_a_policy_closure_holds(tmp_path: Path, tiny_dir: Path) -> None:
    """[horizon.external_growth] grows the kitchen plant's 20 t/day by 10 % a year; a site that
    years.csv closes takes nothing from that year."""
    head = "\n[horizon.external_growth]\nFAC-KITCHEN = 0.1\n"
    years = "year,generation_index,close\n2026,1.0,\n2027,1.0,ST-W\n"
    plan = solve(horizon_case(tmp_path, tiny_dir, head=head, years=years))
    sites = plan.plan.sites.set_index(["year", "site"])
    assert sites.loc[(2026, "FAC-KITCHEN"), "external_t_per_day"] == 20.0
    assert sites.loc[(2027, "FAC-KITCHEN"), "external_t_per_day"] == pytest.approx(22.0)
    kitchen = sites.loc[(2027, "FAC-KITCHEN")]  # 2.1 t/day of this scenario beside 22 external
    assert kitchen["scenario_share"] == pytest.approx(2.1 / 24.1, abs=1e-4)
    assert sites.loc[(2026, "ST-W"), "open"]
    assert not sites.loc[(2027, "ST-W"), "open"]
    assert sites.loc[(2027, "ST-W"), "load_t_per_day"] == 0.0
    assert "close" in set(plan.plan.decisions["decision"])


@pytest.mark.parametrize(
    ("head", "years", "builds", "expected"),
    [
        (
            "",
            "year,capture.paper\n2026,0.5\n",
            None,
            "years.csv line 2 (year=2026): capture.paper: unknown stream",
        ),
        ("", "year\n2031\n", None, "years.csv line 2 (year=2031): year: out of range"),
        ("", "year\n2026\n2026\n", None, "years.csv line 3 (year=2026): year: duplicate year"),
        (
            "",
            "year,close\n2026,ST-X\n",
            None,
            "years.csv line 2 (year=2026): close: unknown site 'ST-X'",
        ),
        (
            "",
            YEARS,
            "id,site,action\nB1,FAC-NONE,expand\n",
            "builds.csv line 2 (id=B1): site: unknown site",
        ),
        (
            "",
            YEARS,
            "id,site,action\nB1,FAC-WTE,expand\n",
            "builds.csv line 2 (id=B1): capacity_t_per_day: required for an expansion",
        ),
        (
            "",
            YEARS,
            "id,site,action\nB1,ST-W,build\n",
            "builds.csv line 2 (id=B1): site: station ST-W already exists",
        ),
        (
            "\n[horizon.external_growth]\nFAC-X = 0.1\n",
            YEARS,
            None,
            "scenario.toml [horizon.external_growth]: FAC-X: unknown facility",
        ),
    ],
)
def test_bad_horizon_input_is_named_by_file_row_and_field(
    tmp_path: Path, tiny_dir: Path, head: str, years: str, builds: str | None, expected: str
) -> None:
    """Each bad horizon value is one ScenarioError line naming file, line, id and field."""
    folder = horizon_case(tmp_path, tiny_dir, head=head, years=years, builds=builds)
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert expected in str(err.value)


def test_a_forced_build_over_its_budget_is_refused(tmp_path: Path, tiny_dir: Path) -> None:
    """A build forced into a year whose budget cannot pay it is bad input (no plan could
    exist), named with the build's id and year."""
    years = "year,generation_index,budget_cny\n2026,1.0,50000\n2027,1.2,\n"
    builds = BUILD.format(extra_head=",year", extra=",2026")
    folder = horizon_case(tmp_path, tiny_dir, years=years, builds=builds)
    with pytest.raises(ScenarioError, match=r"builds.csv id=B-WTE2: year: forced builds of 2026"):
        load_scenario(folder)


def test_bad_horizon_section_is_refused(tmp_path: Path, tiny_dir: Path) -> None:
    """[horizon] years = 0 is out of range, named with the section and key."""
    folder = horizon_case(tmp_path, tiny_dir)
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("years = 2", "years = 0"))
    with pytest.raises(ScenarioError, match=r"\[horizon\]: years: out of range"):
        load_scenario(folder)


def test_newly_compliant_points_add_their_waste_under_refuse_unsorted(
    tmp_path: Path, tiny_dir: Path
) -> None:
    """With 不分类不收运 on and P7 (400 kg/day residual) not compliant, 2026 plans 4.5 t/day;
    half of the non-compliant points comply in 2027: 4.5 + 0.5 × 0.4 = 4.7 t/day."""
    head = ""
    years = "year,compliant_share\n2026,0\n2027,0.5\n"
    folder = horizon_case(tmp_path, tiny_dir, head=head, years=years)
    pts = folder / "points.csv"
    lines = pts.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",compliant"] + [
        row + (",false" if row.startswith("P7,") else ",true") for row in lines[1:]
    ]
    pts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[planning]\n", "[planning]\nrefuse_unsorted = true\n", 1))
    costs = solve(folder).plan.costs.set_index("year")
    assert costs.loc[2026, "demand_t_per_day"] == pytest.approx(4.5)
    assert costs.loc[2027, "demand_t_per_day"] == pytest.approx(4.7)


def test_a_candidate_station_with_a_build_row_is_built_when_needed(
    tmp_path: Path, tiny_dir: Path
) -> None:
    """Only the candidate ST-E accepts kitchen waste from ordinary points, so leaving 2.1 t/day
    at two penalties (1.5 M CNY a year) loses to building it in the first year; it then stays
    open with its 20 t/day."""
    builds = BUILD.format(extra_head="", extra="") + "B-E,ST-E,build,,,20\n"
    plan = solve(horizon_case(tmp_path, tiny_dir, builds=builds))
    assert plan.plan.decisions.set_index("id").loc["B-E", "year"] == 2026
    st = plan.plan.sites.query("site == 'ST-E'").set_index("year")
    assert st["open"].all()
    assert st.loc[2026, "capacity_t_per_day"] == 20.0
    assert plan.shortfalls == ()
    assert plan.as_is.costs["unserved_t_per_day"].gt(0).all()


def test_a_built_station_closed_by_policy_stays_shut(tmp_path: Path, tiny_dir: Path) -> None:
    """ST-E forced built in 2026 and closed by years.csv in 2027: the plan exists, ST-E takes
    nothing in 2027 and the kitchen waste left without a station is named."""
    builds = BUILD.format(extra_head=",year", extra=",") + "B-E,ST-E,build,,,20,2026\n"
    years = "year,generation_index,close\n2026,1.0,\n2027,1.0,ST-E\n"
    plan = solve(horizon_case(tmp_path, tiny_dir, years=years, builds=builds))
    assert plan.plan.status == "optimal"
    st = plan.plan.sites.query("site == 'ST-E'").set_index("year")
    assert st.loc[2026, "open"] and not st.loc[2027, "open"]
    assert st.loc[2027, "load_t_per_day"] == 0.0
    assert any(s.startswith("2027 stream kitchen: 1.5 t/day") for s in plan.shortfalls)


@pytest.mark.parametrize("retire", [True, False])
def test_an_existing_station_is_retired_only_when_allowed(
    tmp_path: Path, tiny_dir: Path, retire: bool
) -> None:
    """Once ST-E is built it takes both streams, so ST-W's 220,000 CNY a year (fixed cost and
    staff) buys nothing and the plan retires it in the first year; with retire_stations =
    false it stays open every year."""
    head = "" if retire else "retire_stations = false\n"
    builds = BUILD.format(extra_head="", extra="") + "B-E,ST-E,build,,,20\n"
    folder = horizon_case(tmp_path, tiny_dir, builds=builds)
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8").replace("[horizon]\n", "[horizon]\n" + head)
    toml.write_text(text, encoding="utf-8")
    plan = solve(folder)
    st_w = plan.plan.sites.query("site == 'ST-W'")
    decisions = plan.plan.decisions.set_index("site")
    if retire:
        assert not st_w["open"].any()
        assert decisions.loc["ST-W", "decision"] == "retire"
        assert decisions.loc["ST-W", "year"] == 2026
    else:
        assert st_w["open"].all()
        assert "ST-W" not in decisions.index
