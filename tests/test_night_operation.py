"""Night and cross-midnight operation: a restaurant-like night fleet 19:30–26:00 built from tiny,
routed, written as route sheets and simulated; depot hours against shifts; per-stream windows."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import simpy

from wasteopt.cli import main
from wasteopt.clock import daily_hours, parse_hhmm
from wasteopt.errors import ScenarioError
from wasteopt.generation import generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.operations import OperatingPlan, build_operating_plan
from wasteopt.reporting import fonts
from wasteopt.reporting.route_table import NEXT_DAY_NOTE
from wasteopt.routing.build import build_problem
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import Edit, Scenario, Variant, apply_variant, load_scenario
from wasteopt.simulation import simulate
from wasteopt.simulation.fleet import day_change_s
from wasteopt.simulation.processes import Bays
from wasteopt.simulation.settings import SimulationSettings

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
H = 3600
NIGHT = (parse_hhmm("24:00"), parse_hhmm("25:30"))  # restaurants: after closing time
DAY_WINDOW = (parse_hhmm("06:00"), parse_hhmm("12:00"))  # tiny's [defaults] window
Night = tuple[Scenario, TravelMatrix]


def _rewrite(path: Path, edit: Callable[[list[dict[str, str]]], list[str]]) -> None:
    """Rewrite a CSV table: ``edit`` changes the rows in place and returns the header."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    header = edit(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _night_points(rows: list[dict[str, str]]) -> list[str]:
    """Give every restaurant (a point with kitchen waste) the kitchen window 24:00–25:30."""
    for r in rows:  # every point with kitchen waste is a restaurant served at night
        night = bool(r["kg_per_day.kitchen"])
        r["tw_start.kitchen"] = "24:00" if night else ""
        r["tw_end.kitchen"] = "25:30" if night else ""
    return [*rows[0].keys()]


def _night_fleet(rows: list[dict[str, str]]) -> list[str]:
    """Make VT-KIT a night fleet 19:30–26:00 based at the night depot D-N."""
    for r in rows:
        if r["id"] == "VT-KIT":
            r.update(depot="D-N", shift_start="19:30", shift_end="26:00")
    return [*rows[0].keys()]


@pytest.fixture(scope="module")
def night_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scenarios/tiny with a night kitchen fleet VT-KIT 19:30–26:00 based at a night depot D-N
    (open 19:00–27:00), and every kitchen point's kitchen window 24:00–25:30 (the residual
    waste keeps the day window 06:00–12:00)."""
    folder = tmp_path_factory.mktemp("night") / "night"
    shutil.copytree(ROOT / "scenarios" / "tiny", folder)
    _rewrite(folder / "points.csv", _night_points)
    _rewrite(folder / "vehicle_types.csv", _night_fleet)
    with (folder / "depots.csv").open("a", encoding="utf-8") as f:
        f.write("D-N,夜班车场,120.005,-0.005,19:00,27:00\n")
    return folder


@pytest.fixture(scope="module")
def night(night_dir: Path) -> Night:
    """The night scenario, loaded, with its travel matrix."""
    scenario = load_scenario(night_dir)
    return scenario, build_matrix(scenario)


# -- scenario: windows and validation --------------------------------------------------------


def test_validate_accepts_the_night_scenario(
    night_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A night fleet inside its depot's hours, with night windows for one stream, is valid."""
    assert main(["validate", str(night_dir)]) == 0, capsys.readouterr().err


def test_stream_windows_override_the_point_window_per_stream(night: Night) -> None:
    """P2's kitchen window is its own 24:00–25:30, its residual waste keeps the point's day
    window, and P7 (empty cells) keeps the point's window for both streams."""
    scenario, _ = night
    p2, p7 = scenario.point("P2"), scenario.point("P7")
    assert p2.window("kitchen") == NIGHT
    assert p2.window("other") == DAY_WINDOW
    assert p7.window("kitchen") == p7.window("other") == DAY_WINDOW
    assert p7.tw_start_by_stream == {} and p7.tw_end_by_stream == {}


def test_routing_stops_take_their_stream_window(night: Night) -> None:
    """The kitchen stop at P2 gets the night window, the residual stop the day window; a
    twice-daily kitchen point splits its night window into two halves."""
    scenario, matrix = night
    demand = generate(scenario, days=1, seed=0)
    kitchen = {s.id: s for s in build_problem(scenario, demand, 0, "kitchen", matrix).stops}
    other = {s.id: s for s in build_problem(scenario, demand, 0, "other", matrix).stops}
    assert (kitchen["P2"].tw_start_s, kitchen["P2"].tw_end_s) == NIGHT
    assert (other["P2"].tw_start_s, other["P2"].tw_end_s) == DAY_WINDOW
    points = tuple(
        dataclasses.replace(p, frequency={**p.frequency, "kitchen": "twice_daily"})
        if p.id == "P2"
        else p
        for p in scenario.points
    )
    twice = dataclasses.replace(scenario, points=points)
    stops = {s.id: s for s in build_problem(twice, demand, 0, "kitchen", matrix).stops}
    mid = (NIGHT[0] + NIGHT[1]) // 2
    assert (stops["P2"].tw_start_s, stops["P2"].tw_end_s) == (NIGHT[0], mid)
    assert (stops["P2~2"].tw_start_s, stops["P2~2"].tw_end_s) == (mid, NIGHT[1])


def test_routing_gives_depots_and_sites_the_stretch_of_hours_the_shifts_use(night: Night) -> None:
    """The night depot keeps 19:00–27:00; the kitchen plant open 00:00–24:00 (around the
    clock) is open until the night shift ends at 26:00; day problems keep their hours."""
    scenario, matrix = night
    demand = generate(scenario, days=1, seed=0)
    kitchen = build_problem(scenario, demand, 0, "kitchen", matrix)
    other = build_problem(scenario, demand, 0, "other", matrix)
    assert [(d.id, d.open_s, d.close_s) for d in kitchen.depots] == [("D-N", 19 * H, 27 * H)]
    assert [(s.id, s.open_s, s.close_s) for s in kitchen.sites] == [("FAC-KITCHEN", 0, 26 * H)]
    assert [(d.id, d.open_s, d.close_s) for d in other.depots] == [("D1", 5 * H, 20 * H)]
    assert {(s.open_s, s.close_s) for s in other.sites} <= {(6 * H, 18 * H), (0, 24 * H)}


def test_daily_hours_repeat_and_join_across_midnight() -> None:
    """Opening hours repeat every day; touching days join; 00:00–24:00 is around the clock."""
    assert daily_hours(0, 24 * H, 0, 48 * H) == [(0, 48 * H)]
    assert daily_hours(19 * H, 27 * H, 0, 48 * H) == [
        (0, 3 * H),
        (19 * H, 27 * H),
        (43 * H, 48 * H),
    ]
    assert daily_hours(6 * H, 18 * H, 0, 20 * H) == [(6 * H, 18 * H)]


def test_variant_edits_one_end_of_a_stream_window(night: Night) -> None:
    """A variant may move one stream's window end (``tw_end.<stream>``) and clear it again."""
    scenario, _ = night
    variants = (
        Variant(
            id="later",
            edits=(Edit(table="points", id="P2", field="tw_end.kitchen", value="26:30"),),
        ),
        Variant(
            id="cleared", edits=(Edit(table="points", id="P2", field="tw_start.kitchen", value=""),)
        ),
    )
    s = dataclasses.replace(scenario, variants=variants)
    assert apply_variant(s, "later").point("P2").window("kitchen") == (NIGHT[0], 26 * H + 1800)
    assert apply_variant(s, "cleared").point("P2").window("kitchen") == (DAY_WINDOW[0], NIGHT[1])


def test_depot_closing_at_midnight_refuses_the_night_shift_naming_everything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`validate` exits 2 on a night fleet whose depot closes at 24:00, naming the file, row,
    vehicle type, field, depot and both intervals, without a traceback."""
    assert main(["validate", str(DATA / "bad_depot_shift")]) == 2
    err = capsys.readouterr().err
    assert "vehicle_types.csv line 2 (id=VT-KIT): shift_end: vehicle type VT-KIT works " in err
    assert "19:30–26:00 but its depot D1 is open 05:00–24:00" in err
    assert "got '26:00'" in err and "Traceback" not in err


def test_shift_longer_than_a_day_and_reversed_stream_window_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A shift past the next day's start and a stream window ending before it starts exit 2."""
    assert main(["validate", str(DATA / "bad_shift_over_24h")]) == 2
    assert "is longer than 24 h" in capsys.readouterr().err
    assert main(["validate", str(DATA / "bad_stream_window")]) == 2
    assert "tw_end.kitchen: the kitchen window ends before it starts" in capsys.readouterr().err


def test_stream_window_cells_are_read_as_times_of_known_streams(
    night_dir: Path, tmp_path: Path
) -> None:
    """A stream window past 48:00 and a window column naming no stream are refused, each with
    file, line, id or column."""
    folder = tmp_path / "s"
    shutil.copytree(night_dir, folder)

    def bad(rows: list[dict[str, str]]) -> list[str]:
        rows[1]["tw_end.kitchen"] = "49:00"
        for r in rows:
            r["tw_start.kitchn"] = ""
        return [*rows[0].keys()]

    _rewrite(folder / "points.csv", bad)
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    text = str(info.value)
    assert "points.csv line 3 (id=P2): tw_end.kitchen: not a valid time" in text
    assert "points.csv line 1: tw_start.kitchn: column names an unknown stream" in text


# -- route sheets ------------------------------------------------------------------------------


def test_route_serves_night_stops_with_times_past_midnight_in_every_sheet(
    night_dir: Path, tmp_path: Path
) -> None:
    """`route` serves every restaurant after midnight; the CSV shows `24:xx` text, the XLSX
    form the same times as Excel times past 24:00 ([hh]:mm), and the XLSX and PDF forms carry
    the note that times past 24:00 are the next morning."""
    out = tmp_path / "out"
    args = [
        "route",
        str(night_dir),
        "--stream",
        "kitchen",
        "--iterations",
        "200",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    assert json.loads((out / "plan_kitchen.json").read_text(encoding="utf-8"))["unserved"] == []
    sheet = pd.read_csv(out / "sheets" / "routes_kitchen.csv", encoding="utf-8-sig")
    stops = sheet[sheet["kind"] == "stop"]
    assert len(stops) == 6 and (stops["start_s"] >= NIGHT[0]).all()
    assert stops["start"].str.match(r"^2[45]:\d\d$").all()
    depart, back = sheet.iloc[0], sheet.iloc[-1]
    assert depart["departure_s"] >= 19 * H + 1800 and back["arrival_s"] <= 26 * H
    book = openpyxl.load_workbook(out / "sheets" / "routes_kitchen.xlsx")
    summary = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert any(str(c).endswith(NEXT_DAY_NOTE) for c in summary)
    form = book.worksheets[1]
    assert form["A6"].value == NEXT_DAY_NOTE
    arrive = [form.cell(r, 9) for r in range(8, 8 + len(sheet))]  # 到达 Arrive, under row 7
    assert all(c.number_format == "[hh]:mm" for c in arrive)
    assert [c.value.total_seconds() for c in arrive] == list(sheet["arrival_s"].astype(float))
    pdf = out / "sheets" / "routes_kitchen.pdf"
    assert (
        fonts.missing_glyphs(fonts.find_cjk_font(), NEXT_DAY_NOTE + "".join(sheet["arrival"])) == []
    )
    if shutil.which("pdftotext"):  # poppler-utils; test_reporting_sheets insists on it in CI
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "25:10 = 01:10" in text and stops["start"].iloc[0] in text


# -- simulation ---------------------------------------------------------------------------------


def test_day_change_is_the_latest_night_end_but_not_after_the_earliest_start(night: Night) -> None:
    """The simulated day changes at 02:00 with a shift ending 26:00, at 00:00 without night
    shifts, and never after the earliest collection shift start."""
    scenario, _ = night
    assert day_change_s(scenario.vehicle_types) == 2 * H
    day_only = [v for v in scenario.vehicle_types if v.id != "VT-KIT"]
    assert day_change_s(day_only) == 0
    early = [
        dataclasses.replace(v, shift_start_s=H) if v.id == "VT-OTH" else v
        for v in scenario.vehicle_types
    ]
    assert day_change_s(early) == H


def test_tipping_hours_repeat_daily_and_may_pass_midnight() -> None:
    """A site open 19:00–27:00 takes a tip at 01:00; at 04:00 the arrival is late (served), at
    12:00 it waits 7 h. A site open 06:00–18:00 keeps its rule: late until midnight, then wait."""

    def bays(open_s: int, close_s: int) -> Bays:
        env = simpy.Environment()
        return Bays(
            env,
            site="S",
            bays=1,
            unload_s=60,
            open_s=open_s,
            close_s=close_s,
            sample_unload=lambda m: m,
            events=[],
            tips=[],
        )

    night_site, day_site = bays(19 * H, 27 * H), bays(6 * H, 18 * H)
    day1 = 86400
    assert night_site.wait_s(day1 + 1 * H) == 0
    assert night_site.wait_s(day1 + 4 * H) == -1
    assert night_site.wait_s(day1 + 12 * H) == 7 * H
    assert day_site.wait_s(day1 + 20 * H) == -1
    assert day_site.wait_s(day1 + 3 * H) == 3 * H
    assert day_site.wait_s(day1 + 10 * H) == 0


def _one_restaurant(scenario: Scenario) -> Scenario:
    """Only P2, with 200 kg of kitchen waste a day and no residual waste."""
    p2 = dataclasses.replace(scenario.point("P2"), kg_per_day={"kitchen": 200.0, "other": 0.0})
    return dataclasses.replace(scenario, points=(p2,))


def test_night_shift_hours_and_cost_are_the_hand_values_every_day(
    night: Night,
    hand_plan: Callable[[RoutingProblem], RoutePlan],
    exact_settings: SimulationSettings,
) -> None:
    """One restaurant, one night truck leaving at 19:30, exact times: every day's row has the
    hand-computed return (past 24:00), hours, km and cost, and the day totals agree."""
    scenario = _one_restaurant(night[0])
    matrix = build_matrix(scenario)
    days = 3
    demand = generate(scenario, days=days, seed=0)
    problems = {s: build_problem(scenario, demand, 0, s, matrix) for s in scenario.stream_ids}
    plans: dict[str, RoutePlan] = {s: hand_plan(p) for s, p in problems.items()}
    operating = OperatingPlan(problems=problems, plans=plans)
    r = simulate(
        scenario, demand=demand, matrix=matrix, operating=operating, settings=exact_settings
    )
    # hand values: D-N -> P2 (wait for 24:00, serve 120 s) -> FAC-KITCHEN (tip 600 s) -> D-N
    vt = scenario.vehicle_type("VT-KIT")
    dur = np.asarray(matrix.durations_s(vt.speed_kmh))
    dist = np.asarray(matrix.distance_m)
    n, p, f = (matrix.index(x) for x in ("D-N", "P2", "FAC-KITCHEN"))
    back = NIGHT[0] + 120 + dur[p, f] + 600 + dur[f, n]
    hours = (back - vt.shift_start_s) / 3600.0
    km = (dist[n, p] + dist[p, f] + dist[f, n]) / 1000.0
    cost = vt.cost_cny_per_day + km * vt.cost_cny_per_km + hours * vt.cost_cny_per_hour
    rows = r.vehicles[r.vehicles["vehicle"] == "VT-KIT#1"]
    assert list(rows["day"]) == list(range(days)) and rows["ran"].all()
    assert rows["return_s"].to_numpy() == pytest.approx([back] * days)
    assert rows["hours"].to_numpy() == pytest.approx([hours] * days)
    assert rows["cost_cny"].to_numpy() == pytest.approx([cost] * days)
    assert hours > 0 and cost > 0 and (rows["overtime_h"] == 0).all()
    kitchen = r.daily[r.daily["stream"] == "kitchen"]
    assert kitchen["vehicle_h"].to_numpy() == pytest.approx([hours] * days)
    assert kitchen["km"].to_numpy() == pytest.approx([km] * days)
    assert kitchen["collected_t"].to_numpy() == pytest.approx([0.2] * days)


def test_a_shift_running_past_the_next_days_start_delays_it_instead_of_overlapping(
    night: Night,
    hand_plan: Callable[[RoutingProblem], RoutePlan],
    exact_settings: SimulationSettings,
) -> None:
    """A round-the-clock truck (00:00–24:00) serving a restaurant at 23:50 comes back after
    midnight: the next day's shift leaves when it is back, never while it is out, and each
    shift's row is its own (positive hours, return past 24:00)."""
    scenario = _one_restaurant(night[0])
    p2 = dataclasses.replace(
        scenario.points[0],
        tw_start_by_stream={"kitchen": 23 * H + 50 * 60},
        tw_end_by_stream={"kitchen": 24 * H},
    )
    vtypes = tuple(
        dataclasses.replace(v, shift_start_s=0, shift_end_s=24 * H) if v.id == "VT-KIT" else v
        for v in scenario.vehicle_types
    )
    scenario = dataclasses.replace(scenario, points=(p2,), vehicle_types=vtypes)
    matrix = build_matrix(scenario)
    days = 3
    demand = generate(scenario, days=days, seed=0)
    problems = {s: build_problem(scenario, demand, 0, s, matrix) for s in scenario.stream_ids}
    operating = OperatingPlan(
        problems=problems, plans={s: hand_plan(p) for s, p in problems.items()}
    )
    r = simulate(
        scenario, demand=demand, matrix=matrix, operating=operating, settings=exact_settings
    )
    rows = r.vehicles[r.vehicles["vehicle"] == "VT-KIT#1"].reset_index()
    start = rows["day"] * 86400 + rows["depart_s"]
    end = rows["day"] * 86400 + rows["return_s"]
    assert rows.loc[0, "depart_s"] == 0 and (rows["return_s"] > 24 * H).all()
    assert (start.iloc[1:].to_numpy() == end.iloc[:-1].to_numpy()).all()  # leaves when back
    assert (rows["hours"] > 0).all() and rows["ran"].all()
    assert r.status == "complete", r.status_detail


def test_multi_day_night_simulation_collects_everything(night: Night) -> None:
    """Routed by PyVRP and simulated a week with random times: every stream collects at least
    99.5 % of the waste due (the night fleet all of it, each on its own day), every night
    shift ends after midnight with positive hours and cost, and the balance closes."""
    scenario, matrix = night
    days = 7
    demand = generate(scenario, days=days, seed=0)
    operating = build_operating_plan(
        scenario, demand, matrix, day=0, routing=RoutingSettings(iterations=200)
    )
    r = simulate(scenario, demand=demand, matrix=matrix, operating=operating, seed=3)
    assert r.balance_closes and r.status == "complete", r.status_detail
    levels = r.service_frame().set_index("stream")["collected_share"]
    assert (levels >= 0.995).all()
    kitchen = r.vehicles[(r.vehicles["stream"] == "kitchen") & r.vehicles["ran"]]
    assert len(kitchen) == days
    assert (kitchen["return_s"] > 24 * H).all() and (kitchen["hours"] > 0).all()
    assert (kitchen["cost_cny"] > 0).all() and (r.vehicles["hours"] >= 0).all()
    assert (r.daily["cost_cny"] > 0).all() and (r.daily["vehicle_h"] > 0).all()
    assert (r.daily[r.daily["stream"] == "kitchen"]["overdue_t"] == 0).all()
