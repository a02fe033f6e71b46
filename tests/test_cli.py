"""Tests for the command line: exit codes, messages, and what is (not) written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wasteopt import __version__
from wasteopt.cli import CRS_CHOICES, main, planning
from wasteopt.cli.common import EXIT_CODES
from wasteopt.coordinates import CRS_NAMES
from wasteopt.errors import SolverUnavailable
from wasteopt.routing.problem import Depot, Fleet, RoutingProblem, Stop, UnloadSite
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve

ROOT = Path(__file__).resolve().parent.parent
BAD = str(ROOT / "tests" / "data" / "bad_many")
CVRP = str(ROOT / "tests" / "data" / "instances" / "cvrp_augerat_a" / "A-n32-k5.vrp")
SUBCOMMANDS = [
    "validate",
    "circuity",
    "generate",
    "route",
    "solve-instance",
    "plan",
    "plan-years",
    "simulate",
    "compare",
    "run",
]


def test_version(capsys):
    """--version prints the package version and exits 0."""
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    """Each subcommand answers --help with its usage and exit code 0."""
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"wasteopt {command}" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["route", "run"])
def test_crs_option_names_every_coordinate_system(command, capsys):
    """route and run take --crs with exactly the systems wasteopt.coordinates knows; an
    unknown one is a usage error (exit 2)."""
    assert CRS_CHOICES == CRS_NAMES
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert "--crs {wgs84,gcj02,bd09}" in capsys.readouterr().out.replace("\n", " ")
    with pytest.raises(SystemExit) as exc:
        main([command, "scenarios/tiny", "--crs", "utm", "--out", "x"])
    assert exc.value.code == 2 and "invalid choice: 'utm'" in capsys.readouterr().err


def test_circuity_fits_tiny_roads_and_refuses_a_scenario_without_roads(capsys, tiny_dir):
    """circuity prints the fitted factors and speeds of tiny_roads (exit 0); on tiny, which
    has no road network, it names [network] roads and exits 2."""
    assert main(["circuity", str(ROOT / "scenarios" / "tiny_roads")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "12 sites drawn (seed 0)" in lines[0]
    assert lines[3].split()[:3] == ["far", "straight", "1.069"] and lines[3].endswith("66/66")
    assert any(ln.split()[:2] == ["near", "e_tricycle"] for ln in lines)
    assert main(["circuity", str(tiny_dir)]) == 2
    err = capsys.readouterr().err
    assert "scenario.toml [network]: roads: circuity is fitted against a road network" in err


def test_validate_ok(capsys, tiny_dir, tiny_scenario):
    """validate on the tiny scenario reports OK with its counts."""
    assert main(["validate", str(tiny_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK tiny") and f"{len(tiny_scenario.points)} points" in out


def test_validate_bad_input_lists_every_problem(capsys):
    """A broken scenario gives exit 2 and names file, line, id and field of each problem."""
    assert main(["validate", BAD]) == 2
    err = capsys.readouterr().err
    assert "7 problems found" in err
    assert "stations.csv line 2 (id=ST-NORTH): capacity_t_per_day" in err
    assert "vehicle_types.csv line 2 (id=VT-KITCHEN): depot" in err
    assert "Traceback" not in err


def test_console_script_bad_input_has_no_traceback(tmp_path):
    """The installed entry point exits 2 on bad input with a message and no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "wasteopt.cli", "validate", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "missing" in proc.stderr and "Traceback" not in proc.stderr


def test_generate_csv_and_parquet(tmp_path, capsys, tiny_dir, tiny_scenario):
    """generate writes days × points × streams rows as CSV and Parquet with the same content."""
    csv, parquet = tmp_path / "d.csv", tmp_path / "d.parquet"
    assert main(["generate", str(tiny_dir), "--days", "3", "--seed", "4", "--out", str(csv)]) == 0
    assert (
        main(["generate", str(tiny_dir), "--days", "3", "--seed", "4", "--out", str(parquet)]) == 0
    )
    a, b = pd.read_csv(csv), pd.read_parquet(parquet)
    assert len(a) == 3 * len(tiny_scenario.points) * 2 == len(b)
    assert {"date", "point_id", "stream", "kg"} <= set(a.columns)
    assert a["kg"].sum() == pytest.approx(b["kg"].sum())
    assert "wrote" in capsys.readouterr().out


def test_generate_refuses_bad_suffix_and_writes_nothing(tmp_path, capsys, tiny_dir):
    """An unsupported output format is exit 2 and leaves no file behind."""
    out = tmp_path / "d.xlsx"
    assert main(["generate", str(tiny_dir), "--days", "2", "--out", str(out)]) == 2
    assert "--out" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_generate_bad_scenario_writes_nothing(tmp_path):
    """Bad input stops before any output: no file, exit 2."""
    out = tmp_path / "d.csv"
    assert main(["generate", BAD, "--days", "2", "--out", str(out)]) == 2
    assert list(tmp_path.iterdir()) == []


def test_route_writes_checked_plans(tmp_path, capsys, tiny_dir):
    """route writes each stream's plan with a clean check and exits 0."""
    out = tmp_path / "routes"
    code = main(
        [
            "route",
            str(tiny_dir),
            "--day",
            "0",
            "--time-limit",
            "5",
            "--workers",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    plans = sorted(out.glob("plan_*.json"))
    assert [p.name for p in plans] == ["plan_kitchen.json", "plan_other.json"]
    for p in plans:
        data = json.loads(p.read_text(encoding="utf-8"))
        assert data["check"]["ok"] is True and data["unserved"] == []
    assert (out / "schedule_kitchen.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "check=clean" in capsys.readouterr().out


def test_route_unknown_stream_is_input_error(tmp_path, capsys, tiny_dir):
    """An unknown --stream is exit 2 naming the allowed streams; no folder is created."""
    out = tmp_path / "routes"
    assert main(["route", str(tiny_dir), "--stream", "glass", "--out", str(out)]) == 2
    assert "kitchen" in capsys.readouterr().err
    assert not out.exists()


def test_solve_instance_prints_one_line(capsys):
    """solve-instance on a CVRPLIB file prints one summary line and exits 0 when clean."""
    code = main(
        ["solve-instance", CVRP, "--format", "vrplib", "--time-limit", "1", "--workers", "1"]
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert len(out) == 1 and "check=clean" in out[0] and "cost=" in out[0]


def test_run_unknown_variant_writes_nothing(tmp_path, capsys, tiny_dir):
    """run with an unknown variant fails with exit 2 before any output exists."""
    out = tmp_path / "out"
    assert main(["run", str(tiny_dir), "--variant", "nope", "--out", str(out)]) == 2
    assert "nope" in capsys.readouterr().err
    assert not out.exists()


def test_plan_prints_side_by_side_and_writes_tables(tmp_path, capsys, tiny_dir):
    """plan solves base and every variant and writes their tables and the comparison."""
    out = tmp_path / "plan"
    assert main(["plan", str(tiny_dir), "--time-limit", "10", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "base" in text and "east" in text
    assert (out / "comparison.csv").is_file()
    assert (out / "base" / "assignments.csv").is_file() and (out / "east" / "costs.csv").is_file()


def test_plan_table_on_the_terminal_cuts_long_id_lists():
    """A city's 89 open station ids print as their start and a count, so the terminal table
    stays readable; short cells and numbers are unchanged."""
    from wasteopt.cli.planning import _for_terminal

    ids = " ".join(f"ST-{i:03d}" for i in range(89))
    t = _for_terminal(pd.DataFrame({"open_station_ids": [ids], "status": ["optimal"], "x": [1.5]}))
    cell = t.loc[0, "open_station_ids"]
    assert len(cell) <= 70 and cell.startswith("ST-000 ST-001") and cell.endswith("(89 items)")
    assert t.loc[0, "status"] == "optimal" and t.loc[0, "x"] == 1.5


def test_simulate_writes_replications(tmp_path, capsys, tiny_dir):
    """simulate writes each replication's tables and the stacked totals; exit 0."""
    out = tmp_path / "sim"
    code = main(
        [
            "simulate",
            str(tiny_dir),
            "--days",
            "3",
            "--replications",
            "2",
            "--time-limit",
            "1",
            "--workers",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert (out / "rep0" / "sim_daily.csv").is_file()
    assert (out / "rep1" / "sim_balance.csv").is_file()
    for rep in ("rep0", "rep1"):  # each replication's collection ledger and robustness
        for name in ("ledger_trips.csv", "ledger_daily.csv", "ledger.xlsx", "sim_robustness.csv"):
            assert (out / rep / name).is_file(), f"{rep}/{name}"
    service = pd.read_csv(out / "service.csv", encoding="utf-8-sig")
    assert not service["below_level"].any() and set(service["replication"]) == {0, 1}
    totals = pd.read_csv(out / "sim_replications_totals.csv", encoding="utf-8-sig")
    assert sorted(totals["replication"].unique()) == [0, 1]
    assert "2 replications" in capsys.readouterr().out


def test_simulate_below_service_level_exits_1_after_writing(tmp_path, capsys, tiny_dir):
    """With every vehicle broken, simulate writes its outputs, prints one line per stream
    naming share, points and cost, and exits 1."""
    out = tmp_path / "sim"
    args = ["simulate", str(tiny_dir), "--days", "2", "--breakdown-probability", "1"]
    code = main([*args, "--time-limit", "1", "--workers", "1", "--out", str(out)])
    assert code == 1
    assert (out / "rep0" / "sim_daily.csv").is_file()
    service = pd.read_csv(out / "service.csv", encoding="utf-8-sig")
    assert service["below_level"].all() and (service["cost_cny"] > 0).all()
    captured = capsys.readouterr()
    assert "status=shortfall: kitchen collected 0.00%" in captured.out
    lines = [x for x in captured.err.splitlines() if x.startswith("short of service:")]
    assert len(lines) == 2
    assert all("service level not met (collection)" in x for x in lines)
    assert all("0.00%" in x and "P6 @" in x and "CNY" in x for x in lines)
    assert "base/kitchen" in lines[0] and "base/other" in lines[1]


def test_refused_waste_is_named_on_stderr_and_the_exit_stays_0(tmp_path, capsys, tiny_targets_dir):
    """simulate with the 不分类不收运 rule on names what it leaves behind after 'refused by
    policy:' (not 'short of service:') and exits 0: a policy choice, not a shortfall."""
    out = tmp_path / "sim"
    args = ["simulate", str(tiny_targets_dir), "--variant", "refuse", "--days", "2"]
    code = main([*args, "--iterations", "50", "--workers", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert (
        "refused by policy: refuse: 不分类不收运 (refuse_unsorted) leaves 0.45 t/day "
        "uncollected (kitchen 0.20, other 0.25 t/day) at 1 non-compliant point in 1 town (S1 1)"
    ) in err
    assert "short of service" not in err


def test_compare_runs_sweep_and_reuses_the_store(tmp_path, capsys, tiny_dir):
    """compare tabulates variants over seeds; a rerun reuses every stored run."""
    out = tmp_path / "cmp"
    args = [
        "compare",
        str(tiny_dir),
        "--variants",
        "base,east",
        "--seeds",
        "2",
        "--days",
        "3",
        "--time-limit",
        "1",
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    first = capsys.readouterr().out
    table = pd.read_csv(out / "compare.csv", encoding="utf-8-sig")
    assert {"base", "east"} <= set(table["variant"])
    assert (out / "compare.png").is_file() and (out / "compare.svg").is_file()
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "0 from the store, 4 computed" in first
    assert "4 from the store, 0 computed" in second


def test_run_day_outside_horizon_is_input_error(tmp_path, capsys, tiny_dir):
    """run --day beyond --days is exit 2 naming --day; nothing is written."""
    out = tmp_path / "out"
    assert main(["run", str(tiny_dir), "--days", "3", "--day", "5", "--out", str(out)]) == 2
    assert "--day" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    "command", ["route", "solve-instance", "plan", "simulate", "compare", "run"]
)
def test_time_limit_is_the_whole_command_budget(command, capsys):
    """Every --time-limit is documented as the whole command's budget; routing commands
    offer --iterations as the machine-independent mode."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "budget of the whole command" in text
    if command != "plan":
        assert "--iterations" in text and "independent of machine speed" in text


def test_iterations_make_route_repeatable(tmp_path, tiny_dir):
    """route --iterations N gives the same routes on every run (deterministic mode)."""
    routes = []
    for k in range(2):
        out = tmp_path / f"r{k}"
        args = ["route", str(tiny_dir), "--iterations", "100", "--time-limit", "60"]
        assert main([*args, "--workers", "1", "--out", str(out)]) == 0
        plans = sorted(out.glob("plan_*.json"))
        routes.append([json.loads(p.read_text(encoding="utf-8"))["routes"] for p in plans])
    assert routes[0] == routes[1] and routes[0]


@pytest.mark.parametrize("command", ["plan", "route", "simulate", "run"])
def test_mode_option_defaults_to_the_scenarios_mode(command, capsys):
    """plan, route, simulate and run take --mode, documented as the scenario's mode by
    default and free as a cost-only lower bound."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--mode" in text and "scenario's [planning] mode" in text
    assert "cost-only lower bound" in text


def test_route_plans_catchments_first(tmp_path, capsys, tiny_dir):
    """route writes the facility plan it routed within, and each stop unloads where the
    plan's assignments.csv says."""
    out = tmp_path / "routes"
    args = ["route", str(tiny_dir), "--iterations", "100", "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    assigned = pd.read_csv(out / "facilities" / "assignments.csv")
    site = {(r.point_id, r.stream): r.site_id for r in assigned.itertuples()}
    sched = pd.read_csv(out / "schedule_other.csv", encoding="utf-8-sig")
    assert "status_quo" in capsys.readouterr().out
    assert len(site) > 0 and len(sched) > 0


def test_plan_labels_free_mode_as_a_lower_bound(tmp_path, capsys, tiny_dir):
    """plan --mode free says its plan is a cost-only lower bound."""
    assert main(["plan", str(tiny_dir), "--variant", "base", "--mode", "free"]) == 0
    assert "cost-only lower bound" in capsys.readouterr().out


def test_plan_policy_cost_names_the_stations_the_standard_closes(tmp_path, capsys, tiny_dir):
    """plan --policy-cost re-plans with the standard policy and names the station it closes."""
    out = tmp_path / "plan"
    assert main(["plan", str(tiny_dir), "--policy-cost", "--out", str(out)]) == 0
    table = pd.read_csv(out / "policy_cost.csv", encoding="utf-8-sig").set_index("variant")
    # ST-W does not meet the standard (tiny's stations.csv): the policy closes it in base
    assert table.loc["base", "closed_by_policy"] == "ST-W"
    assert table.loc["base", "policy_cost_cny_per_year"] == pytest.approx(
        table.loc["base", "cny_per_year_with"] - table.loc["base", "cny_per_year_without"]
    )
    assert "standard policy" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# the exit-code contract: one test per code (0 and 2 above as well)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_help_and_readme_state_the_same_exit_code_contract(capsys):
    """wasteopt --help ends with every exit code and its meaning, and README.md tables the
    same codes with the same words; each subcommand's --help lists the codes too."""
    with pytest.raises(SystemExit):
        main(["--help"])
    helptext = _flat(capsys.readouterr().out)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [c for c, _ in EXIT_CODES] == [0, 1, 2, 3, 4, 130]
    for code, meaning in EXIT_CODES:
        assert f"{code} {_flat(meaning)}" in helptext
        assert f"| {code} | {meaning} |" in readme
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    sub = _flat(capsys.readouterr().out)
    assert "exit codes: 0 success, 1 completed but fell short of service, 2 bad input" in sub


def _tiny_copy(tmp_path: Path, tiny_dir: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_dir, folder)
    return folder


def _tiny_small_wte(tmp_path: Path, tiny_dir: Path) -> Path:
    """A copy of tiny whose incinerator takes 1 t/day (a capacity-short plan)."""
    folder = _tiny_copy(tmp_path, tiny_dir)
    fac = folder / "facilities.csv"
    text = fac.read_text(encoding="utf-8")
    fac.write_text(
        text.replace(
            "FAC-WTE,焚烧厂,waste_to_energy,120.10,0.00,other,100,",
            "FAC-WTE,焚烧厂,waste_to_energy,120.10,0.00,other,1,",
        ),
        encoding="utf-8",
    )
    return folder


def test_plan_capacity_short_exits_1_naming_plant_stream_and_t_per_day(tmp_path, capsys, tiny_dir):
    """A copy of tiny whose incinerator takes 1 t/day of residual waste: plan exits 1 and
    names on stderr the variant, the plant, the stream and the tonnes per day it is short."""
    folder = _tiny_small_wte(tmp_path, tiny_dir)
    code = main(["plan", str(folder), "--variant", "base", "--time-limit", "10"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    (line,) = [x for x in err if x.startswith("short of service:")]
    assert line.startswith("short of service: plan base: capacity short at FAC-WTE other ")
    assert line.endswith(" t/day")


def test_route_on_capacity_short_catchments_exits_1_naming_them(tmp_path, capsys, tiny_dir):
    """The same 1 t/day incinerator under route: the routes may be clean, but the catchments
    they follow come from a capacity-short plan, so route exits 1 and names it."""
    folder = _tiny_small_wte(tmp_path, tiny_dir)
    out = tmp_path / "out"
    code = main(["route", str(folder), "--time-limit", "20", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    lines = [x for x in err if x.startswith("short of service: catchments of route day 0: ")]
    assert len(lines) == 1 and "capacity short at FAC-WTE other " in lines[0]


def test_internal_error_exits_3_with_one_line_and_a_log_file(
    tmp_path, capsys, monkeypatch, tiny_dir
):
    """A bug inside a command (here the routing stage raising after it has written into
    the output folder) exits 3 with one stderr line naming a log file in the temp folder that
    holds the traceback; the output folder is not created."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))

    def broken(*args, out, **kwargs):
        out.path("half_written.csv").write_text("x", encoding="utf-8")
        raise RuntimeError("boom in the routing stage\nsecond line")

    monkeypatch.setattr("wasteopt.cli.planning.route_planned_day", broken)
    out = tmp_path / "routes"
    code = main(["route", str(tiny_dir), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3 and not out.exists()
    assert len(err) == 1 and err[0].startswith("internal error: RuntimeError: boom in the")
    (log_file,) = temp.glob("wasteopt-error-*.log")
    assert str(log_file) in err[0] and "second line" not in err[0]
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "in broken" in text
    assert "RuntimeError: boom in the routing stage" in text and "route" in text.splitlines()[0]


def test_solver_unavailable_exits_4(capsys, monkeypatch):
    """A solver library that is missing at solve time exits 4 with one line naming it."""

    def missing(*args, **kwargs):
        raise SolverUnavailable("PyVRP is not installed; pip install pyvrp")

    monkeypatch.setattr("wasteopt.cli.planning.solve_territories", missing)
    code = main(["solve-instance", CVRP, "--format", "vrplib", "--time-limit", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 4
    assert err == ["error: solver unavailable: PyVRP is not installed; pip install pyvrp"]


def test_interrupt_exits_130_and_writes_nothing(tmp_path, capsys, monkeypatch, tiny_dir):
    """Ctrl-C in the middle of a command exits 130 and leaves no output folder behind."""

    def interrupted(*args, out, **kwargs):
        out.path("half_written.csv").write_text("x", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr("wasteopt.cli.planning.route_planned_day", interrupted)
    out = tmp_path / "routes"
    assert main(["route", str(tiny_dir), "--out", str(out)]) == 130
    assert "interrupted; nothing was written" in capsys.readouterr().err
    assert not out.exists()


def test_route_leaves_out_a_point_that_generates_nothing(tmp_path, capsys, tiny_dir):
    """route on a copy of tiny where P3 generates no kitchen waste: the kitchen plan has no
    P3 stop (and nothing unserved), the residual plan still has it; exit 0."""
    folder = _tiny_copy(tmp_path, tiny_dir)
    points = folder / "points.csv"
    rows = points.read_text(encoding="utf-8").splitlines()
    col = rows[0].split(",").index("kg_per_day.kitchen")
    cells = [r.split(",") for r in rows]
    for c in cells:
        if c[0] == "P3":
            c[col] = "0"
    points.write_text("\n".join(",".join(c) for c in cells) + "\n", encoding="utf-8")
    out = tmp_path / "routes"
    args = ["route", str(folder), "--iterations", "100", "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    stops = {}
    for stream in ("kitchen", "other"):
        plan = json.loads((out / f"plan_{stream}.json").read_text(encoding="utf-8"))
        stops[stream] = {v for r in plan["routes"] for v in r["visits"]}
        assert plan["unserved"] == []
    assert "P3" not in stops["kitchen"] and "P1" in stops["kitchen"]
    assert "P3" in stops["other"]


def test_a_short_route_plan_names_its_stops_and_the_missing_vehicle_hours():
    """With one vehicle for six stops, the shortfall line names the unserved stops and
    estimates the vehicle-hours missing at the plan's own hours per served stop."""
    n = 6
    dist = np.full((n + 2, n + 2), 2000, dtype=np.int32)
    np.fill_diagonal(dist, 0)
    problem = RoutingProblem(
        name="short",
        stream="other",
        stops=tuple(
            Stop(id=f"S{i}", stream="other", load_kg=400, service_s=600, unload_at=("U",))
            for i in range(n)
        ),
        sites=(UnloadSite(id="U", streams=("other",)),),
        depots=(Depot(id="G"),),
        fleets=(Fleet(id="F", stream="other", depot="G", count=1, capacity_kg=500, max_trips=2),),
        locations=("G", "U", *(f"S{i}" for i in range(n))),
        distance_m=dist,
        durations_s=(dist // 10,),
    )
    plan = solve(problem, RoutingSettings(iterations=100, time_limit_s=10.0))
    assert len(plan.unserved) == 4 and plan.check is not None
    line = planning._plan_short(plan, "route other day 0")
    hours = plan.check.totals.duration_h / plan.check.totals.stops_served * 4
    assert "4 unserved stop(s) (S" in line
    assert f"about {hours:.1f} vehicle-hours missing" in line
