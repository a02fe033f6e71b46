"""Benchmark: what demand zones cost the facility plan, and the plan at city size (20,000 points).

Usage::

    python benchmarks/facility_zones.py [--time-limit 600] [--city-time-limit 300]

**Accuracy** (where the point-by-point model also fits): Jintan (723 points) and a 3,000-point
Nanjing-like city built by ``scenarios/nanjing/build_city.py --points 3000 --seed 1`` into a
temporary folder, each in ``status_quo`` and ``free`` mode. Each case is planned point by point
(``zone_points=None``, ``mip_gap`` 1e-6) and with demand zones at the city default's density
(``zone_points`` = points × 3,000 / 20,000, 6.7 points a zone), with every station open to a
zone and with its 8 cheapest (the default), and at half that density. Per row: zones, MILP
options, status, gap, runtime, annual cost, its difference from the point plan and from the
point plan's proven lower bound (the most the zones can cost), station openings that differ,
and the share of (point, stream) pairs and of tonnes assigned to the same site.

**City size**: ``wasteopt plan scenarios/nanjing`` (20,000 points, 89 stations, 21 plants) as a
child process: the base in each mode with ``--time-limit`` ``--city-time-limit``, the default
command (base and ``growth10`` sharing the default 180 s), and the base planned with other
``zone_points`` (a child running ``plan_facilities``) to show how the default was chosen. Per
row: wall time, peak RSS of the child (its ``VmHWM``), status, MILP gap, cost.

Writes ``<--out>/facility_zones.md`` and ``facility_zones.csv`` (default
``benchmarks/results``) through the shared header of ``machine_info``. ``--skip-city`` or
``--skip-accuracy`` leave one part out, ``--modes status_quo`` one mode (smoke runs only).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from machine_info import ROOT, Run  # benchmarks/ is the script's folder

from wasteopt.facilities import FacilityPlan, FacilitySettings, PlanMode, plan_facilities
from wasteopt.facilities.model import build_model_data
from wasteopt.facilities.settings import DEFAULT_ZONE_POINTS
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.network import build_matrix
from wasteopt.scenario import Scenario, load_scenario

RESULTS = ROOT / "benchmarks" / "results"
CITY = ROOT / "scenarios" / "nanjing"
CITY_POINTS = 20_000
DENSITY = DEFAULT_ZONE_POINTS / CITY_POINTS  # zones per point at the city default
SWEEP = (1_500, 6_000)  # other zone_points planned at city size (status_quo, base)

ACCURACY_COLS = [
    "case",
    "points",
    "mode",
    "setting",
    "zone_points",
    "zone_sites",
    "zones",
    "options",
    "status",
    "mip_gap",
    "runtime_s",
    "objective_cny_per_year",
    "delta_pct",
    "above_bound_pct",
    "open_stations",
    "openings_differ",
    "agree_pairs",
    "agree_t",
]
CITY_COLS = [
    "run",
    "mode",
    "zone_points",
    "variant",
    "status",
    "mip_gap",
    "objective_cny_per_year",
    "shortfall_t_per_day",
    "wall_s",
    "peak_rss_gb",
    "exit_code",
]


# -- accuracy ---------------------------------------------------------------------------------


def build_small_city(folder: Path, points: int) -> Path:
    """The Nanjing-like city at ``points`` points, seed 1 (the committed generator)."""
    out = folder / f"nanjing-{points}"
    args = ["--points", str(points), "--seed", "1", "--out", str(out)]
    subprocess.run(
        [sys.executable, str(CITY / "build_city.py"), *args], check=True, capture_output=True
    )
    return out


def agreement(exact: FacilityPlan, plan: FacilityPlan) -> tuple[float, float]:
    """Shares of (point, stream) pairs and of tonnes that unload where the point plan says."""
    same = [k for k, site in exact.assignments.items() if plan.assignments.get(k) == site]
    total_t = sum(exact.demand_t_per_day.values())
    same_t = sum(exact.demand_t_per_day[k] for k in same)
    return len(same) / len(exact.assignments), same_t / total_t if total_t else math.nan


def settings_rows(n_points: int) -> list[tuple[str, int | None, int | None]]:
    """(label, zone_points, zone_sites) of each plan of a case; the first is the point model."""
    zp = max(1, round(n_points * DENSITY))
    coarse = max(1, round(n_points * DENSITY / 2))
    return [
        ("points (exact)", None, None),
        ("zones, every station", zp, None),
        ("zones, 8 cheapest (default)", zp, 8),
        ("zones at half density, 8 cheapest", coarse, 8),
    ]


def accuracy_case(
    case: str, sc: Scenario, mode: PlanMode, time_limit_s: float
) -> list[dict[str, Any]]:
    """Every setting of one case and mode, against its point plan."""
    rates, matrix = expected_rates_kg_per_day(sc), build_matrix(sc)
    n_points = int((rates > 0).any(axis=1).sum())
    rows: list[dict[str, Any]] = []
    exact: FacilityPlan | None = None
    for label, zp, k in settings_rows(n_points):
        fs = FacilitySettings(mode=mode, zone_points=zp, zone_sites=k, time_limit_s=time_limit_s)
        data = build_model_data(sc, rates, matrix, fs)
        plan = plan_facilities(sc, rates, matrix, fs)
        exact = exact or plan
        bound = exact.bound if math.isfinite(exact.bound) else exact.objective
        agree = agreement(exact, plan)
        rows.append(
            {
                "case": case,
                "points": n_points,
                "mode": mode,
                "setting": label,
                "zone_points": zp or "",
                "zone_sites": k or "all",
                "zones": data.zones,
                "options": len(data.opt_pair),
                "status": plan.status,
                "mip_gap": plan.mip_gap,
                "runtime_s": plan.runtime_s,
                "objective_cny_per_year": plan.objective,
                "delta_pct": 100.0 * (plan.objective / exact.objective - 1.0),
                "above_bound_pct": 100.0 * (plan.objective / bound - 1.0),
                "open_stations": len(plan.open_stations),
                "openings_differ": " ".join(
                    sorted(set(plan.open_stations) ^ set(exact.open_stations))
                ),
                "agree_pairs": agree[0],
                "agree_t": agree[1],
            }
        )
        print(
            f"{case} {mode} {label}: {plan.status} {plan.objective:,.0f} "
            f"({rows[-1]['delta_pct']:+.3f} %) {plan.runtime_s:.1f} s",
            flush=True,
        )
    return rows


def accuracy(modes: Sequence[PlanMode], time_limit_s: float) -> list[dict[str, Any]]:
    """The accuracy rows of Jintan and the 3,000-point city."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="wasteopt-zones-") as tmp:
        cases = [
            ("jintan", load_scenario(ROOT / "scenarios" / "jintan")),
            ("nanjing-3000", load_scenario(build_small_city(Path(tmp), 3000))),
        ]
        for case, sc in cases:
            for mode in modes:
                rows += accuracy_case(case, sc, mode, time_limit_s)
    return rows


# -- city size --------------------------------------------------------------------------------


def child(cmd: list[str]) -> tuple[float, float, int]:
    """Run ``cmd``; its wall seconds, peak RSS (GB) and exit code. The peak is the child's own
    high-water mark (``VmHWM`` in ``/proc/<pid>/status``, sampled every 0.2 s until it exits):
    ``wait4``'s ``ru_maxrss`` would include the memory of this process it was forked from."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_kb = 0
    while proc.poll() is None:
        peak_kb = max(peak_kb, _hwm_kb(proc.pid))
        time.sleep(0.2)
    return time.perf_counter() - t, peak_kb / 1e6, proc.returncode


def _hwm_kb(pid: int) -> int:
    """The process's peak resident set so far (kB), 0 when it has just exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cli_rows(run: str, extra: list[str]) -> list[dict[str, Any]]:
    """``wasteopt plan scenarios/nanjing`` with ``extra``: one row per planned variant."""
    with tempfile.TemporaryDirectory(prefix="wasteopt-city-") as tmp:
        out = Path(tmp) / "plan"
        cmd = [sys.executable, "-m", "wasteopt.cli", "plan", str(CITY), *extra, "--out", str(out)]
        wall, rss, code = child(cmd)
        with open(out / "comparison.csv", newline="", encoding="utf-8") as fh:
            table = list(csv.DictReader(fh))
    return [
        {
            "run": run,
            "mode": r["mode"],
            "zone_points": DEFAULT_ZONE_POINTS,
            "variant": r["variant"],
            "status": r["status"],
            "mip_gap": float(r["mip_gap"] or "nan"),
            "objective_cny_per_year": float(r["objective_cny_per_year"] or "nan"),
            "shortfall_t_per_day": float(r["shortfall_t_per_day"] or "nan"),
            "wall_s": wall,
            "peak_rss_gb": rss,
            "exit_code": code,
        }
        for r in table
    ]


def sweep_row(zone_points: int, time_limit_s: float) -> dict[str, Any]:
    """The base planned with ``zone_points`` in a child process (``--child``)."""
    with tempfile.TemporaryDirectory(prefix="wasteopt-city-") as tmp:
        result = Path(tmp) / "plan.json"
        cmd = [
            sys.executable,
            __file__,
            "--child",
            str(zone_points),
            str(time_limit_s),
            str(result),
        ]
        wall, rss, code = child(cmd)
        got = json.loads(result.read_text(encoding="utf-8"))
    return {
        "run": f"plan_facilities, zone_points {zone_points:,}",
        **got,
        "wall_s": wall,
        "peak_rss_gb": rss,
        "exit_code": code,
    }


def run_child(zone_points: int, time_limit_s: float, result: Path) -> None:
    """In the child: load the city, plan its base, write the plan's headline as JSON."""
    sc = load_scenario(CITY)
    fs = FacilitySettings(zone_points=zone_points, time_limit_s=time_limit_s)
    plan = plan_facilities(sc, expected_rates_kg_per_day(sc), build_matrix(sc), fs)
    got = {
        "mode": plan.mode,
        "zone_points": zone_points,
        "variant": "base",
        "status": plan.status,
        "mip_gap": plan.mip_gap,
        "objective_cny_per_year": plan.objective,
        "shortfall_t_per_day": sum(plan.shortfalls_t_per_day.values()),
    }
    result.write_text(json.dumps(got), encoding="utf-8")


def city(modes: Sequence[PlanMode], time_limit_s: float) -> list[dict[str, Any]]:
    """The city rows: base per mode, the default command, the zone_points sweep."""
    rows: list[dict[str, Any]] = []
    limit = ["--time-limit", f"{time_limit_s:g}"]
    for mode in modes:
        extra = ["--variant", "base", "--mode", mode, *limit]
        rows += cli_rows(f"wasteopt plan --variant base --mode {mode} {' '.join(limit)}", extra)
        print(f"city {mode}: {rows[-1]['status']} {rows[-1]['wall_s']:.0f} s", flush=True)
    rows += cli_rows("wasteopt plan (default: every variant, 180 s)", [])
    print(f"city default: {rows[-1]['wall_s']:.0f} s", flush=True)
    for zp in SWEEP:
        rows.append(sweep_row(zp, time_limit_s))
        print(f"city zone_points {zp}: {rows[-1]['status']} {rows[-1]['wall_s']:.0f} s", flush=True)
    return rows


# -- the report -------------------------------------------------------------------------------


def accuracy_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| case | mode | setting | zones | options | status | gap | runtime s | CNY/yr "
        "| vs points | above bound | openings differ | same site: pairs / t |",
        "|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['mode']} | {r['setting']} | {r['zones'] or '–'} "
            f"| {r['options']:,} "
            f"| {r['status']} | {r['mip_gap']:.1e} | {r['runtime_s']:.1f} "
            f"| {r['objective_cny_per_year']:,.0f} | {r['delta_pct']:+.3f} % "
            f"| {r['above_bound_pct']:+.3f} % | {r['openings_differ'] or '–'} "
            f"| {r['agree_pairs']:.1%} / {r['agree_t']:.1%} |"
        )
    return lines


def city_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| run | variant | mode | status | MILP gap | CNY/yr | short t/day | wall s "
        "| peak RSS GB | exit |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['run']} | {r['variant']} | {r['mode']} | {r['status']} | {r['mip_gap']:.1e} "
            f"| {r['objective_cny_per_year']:,.0f} | {r['shortfall_t_per_day']:.2f} "
            f"| {r['wall_s']:.0f} | {r['peak_rss_gb']:.2f} | {r['exit_code']} |"
        )
    return lines


def reading(acc: list[dict[str, Any]], city_rows: list[dict[str, Any]]) -> list[str]:
    """Sentences computed from the tables."""
    out = ["## What the tables say", ""]
    default = [r for r in acc if r["setting"].endswith("(default)")]
    for r in default:
        out.append(
            f"- {r['case']}, {r['mode']}: zones at the city default's density cost "
            f"{r['delta_pct']:+.2f} % against the point plan (at most "
            f"{r['above_bound_pct']:+.2f} % above its proven bound); openings that differ: "
            f"{r['openings_differ'] or 'none'}; "
            f"{r['agree_t']:.0%} of the tonnes unload where the point plan sends them."
        )
    for r in city_rows:
        out.append(
            f"- City, {r['run']}, {r['variant'] or 'base'}: {r['status']}"
            + (f" by {r['shortfall_t_per_day']:.4f} t/day" if r["shortfall_t_per_day"] else "")
            + f", gap {r['mip_gap']:.1e}, {r['wall_s']:.0f} s wall, "
            f"{r['peak_rss_gb']:.2f} GB peak."
        )
    return out


HEADER = """Generated in full by `benchmarks/facility_zones.py` (nothing in this file is edited by
hand). The model and what zones aggregate: `wasteopt/facilities/zones.py` and the "City scale"
section of `wasteopt/facilities/model.py`. "vs points" is the annual cost against the point plan
of the same case and mode; "above bound" against that plan's proven lower bound (its objective
when it is optimal), so it is the most the zones can cost even when the point plan stopped at
its time limit. "Openings differ": stations open in one plan and not in the other. "Same
site": the share of (point, stream) pairs, and of tonnes, unloading where the point plan says.
Runtime = coefficients + Pyomo build + solve + reading the plan. Zoned plans stop at the gap
`zone_mip_gap` = 1e-4, point plans at `mip_gap` = 1e-6."""


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["--child"]:
        run_child(int(args_in[1]), float(args_in[2]), Path(args_in[3]))
        return 0
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per accuracy plan")
    ap.add_argument("--city-time-limit", type=float, default=300.0, help="seconds per city plan")
    ap.add_argument("--modes", default="status_quo,free", help="comma list of plan modes")
    ap.add_argument("--skip-city", action="store_true", help="leave out the 20,000-point rows")
    ap.add_argument("--skip-accuracy", action="store_true", help="leave out the accuracy rows")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(args_in)
    modes: list[PlanMode] = []
    for m in (x.strip() for x in args.modes.split(",") if x.strip()):
        if m not in ("status_quo", "free"):
            ap.error(f"--modes: status_quo and/or free, got {args.modes!r}")
        modes.append("free" if m == "free" else "status_quo")
    started = Run.start(__file__, argv)
    acc = [] if args.skip_accuracy else accuracy(modes, args.time_limit)
    city_rows = [] if args.skip_city else city(modes, args.city_time_limit)
    started.write_csv(args.out / "facility_zones.csv", ACCURACY_COLS, acc)
    started.write_csv(args.out / "facility_zones_city.csv", CITY_COLS, city_rows)
    text = [
        HEADER,
        "",
        f"## Accuracy where both fit (time limit {args.time_limit:g} s per plan)",
        "",
        *accuracy_table(acc),
        "",
        "## City size: scenarios/nanjing, 20,000 points",
        "",
        *city_table(city_rows),
        "",
        *reading(acc, city_rows),
    ]
    started.write_md(
        args.out / "facility_zones.md",
        "Facility plan by demand zones: accuracy and city size",
        text,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
