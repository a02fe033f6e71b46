"""Calibrate the facility planner's collection approximation on some days, test it on others.

Scenario: the shipped two-tier Jintan scenario (``--scenario``), its facility plan solved as
every command solves it (``wasteopt.pipeline.variant.plan_catchments``: the scenario's
planning mode unless ``--mode``). Demand: ``--days`` generated days (seed ``--seed``). For each
stream and each day of ``--fit-days`` and ``--test-days`` the day is routed with the current
engine (PyVRP, ``--time-limit`` s, one worker) using the plan's catchments, and predicted with
the planner's own formula (:func:`wasteopt.facilities.collection.estimate_collection`) on the
same due loads and unload sites.

The calibration coefficient is the km factor α (``CostSettings.km_factor``, default 1), fitted
on the **fit days only**: α = Σ routed km / Σ predicted km over their stream-days. The error of
the approximation (routed / predicted − 1) is then reported on the **held-out days**, with
α = 1 and with the fitted α; the fit days' own (in-sample) errors are shown apart.

Usage::

    python benchmarks/facilities_calibration.py                 # fit days 0-2, test days 3-5
    python benchmarks/facilities_calibration.py --fit-days 0 --test-days 1 --time-limit 2 \
        --streams hazardous --out /tmp/b                          # smoke run

Writes ``<--name>.csv`` (one row per routed stream-day) and ``<--name>.md`` (default
``facilities_calibration``) into ``--out`` through the shared header of ``machine_info``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from machine_info import ROOT, Run  # benchmarks/ is the script's folder

from wasteopt.facilities import CostSettings, FacilityPlan
from wasteopt.facilities.collection import CollectionEstimate, estimate_collection
from wasteopt.generation import Demand, due_loads, generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.pipeline.variant import facility_settings, plan_catchments
from wasteopt.routing.build import build_problem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve
from wasteopt.scenario.load import load_scenario
from wasteopt.scenario.model import Scenario

FIELDS = [
    "split",
    "day",
    "stream",
    "stops",
    "unserved",
    "check_ok",
    "route_s",
    "routed_vehicles",
    "routed_trips",
    "pred_trips",
    "routed_km",
    "pred_km",
    "pred_km_alpha",
    "routed_h",
    "pred_h",
    "pred_h_alpha",
    "routed_cny",
    "pred_cny",
    "pred_cny_alpha",
]


def predict(
    sc: Scenario,
    demand: Demand,
    day: int,
    stream: str,
    matrix: TravelMatrix,
    assignment: dict[str, str],
    costs: CostSettings | None,
) -> CollectionEstimate:
    """The planner's estimate of one stream-day's collection."""
    ids, kg_visit, visits = due_loads(sc, demand, day, stream)
    load = np.asarray(kg_visit, float) * np.asarray(visits, float)
    return estimate_collection(
        sc, stream, list(ids), load, np.asarray(visits, float), matrix, assignment, costs=costs
    )


def route_day(
    sc: Scenario,
    fplan: FacilityPlan,
    demand: Demand,
    matrix: TravelMatrix,
    day: int,
    stream: str,
    routing: RoutingSettings,
) -> dict[str, Any] | None:
    """Route and predict one stream-day; None when nothing is due or no catchment exists."""
    assignment = fplan.assignment_for(stream)
    if not assignment:
        return None
    problem = build_problem(sc, demand, day, stream, matrix, assignment=assignment)
    if not problem.stops:
        return None
    t0 = time.perf_counter()
    routed = solve(problem, routing)
    route_s = time.perf_counter() - t0
    assert routed.check is not None
    t = routed.check.totals
    est = predict(sc, demand, day, stream, matrix, assignment, None)
    print(
        f"day {day} {stream}: {len(problem.stops)} stops, routed {t.distance_km:.1f} km "
        f"{t.cost:.0f} CNY, predicted {est.km:.1f} km {est.cost_cny:.0f} CNY",
        flush=True,
    )
    return {
        "day": day,
        "stream": stream,
        "stops": len(problem.stops),
        "unserved": len(routed.unserved),
        "check_ok": routed.check.ok,
        "route_s": round(route_s, 2),
        "routed_vehicles": t.vehicles,
        "routed_trips": t.trips,
        "pred_trips": round(est.trips, 2),
        "routed_km": t.distance_km,
        "pred_km": est.km,
        "routed_h": t.duration_h,
        "pred_h": est.hours,
        "routed_cny": t.cost,
        "pred_cny": est.cost_cny,
        "_assignment": assignment,
    }


def _err(routed: float, pred: float) -> float:
    return routed / pred - 1 if pred > 0 else float("nan")


def error_lines(rows: list[dict[str, Any]], alpha: float) -> list[str]:
    """Per split: aggregate and per stream-day errors of km, hours and CNY, α = 1 and fitted."""
    lines = [
        "| split | stream-days | quantity | Σ error, α = 1 | Σ error, fitted α | mean abs "
        "error, α = 1 | mean abs error, fitted α |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for split in ("held-out", "fit"):
        part = [r for r in rows if r["split"] == split]
        if not part:
            continue
        label = "held-out (reported)" if split == "held-out" else "fit (in-sample)"
        for name, key in (("km", "km"), ("hours", "h"), ("CNY", "cny")):
            routed = [float(r[f"routed_{key}"]) for r in part]
            before = [float(r[f"pred_{key}"]) for r in part]
            after = [float(r[f"pred_{key}_alpha"]) for r in part]
            abs_b = statistics.fmean(abs(_err(a, b)) for a, b in zip(routed, before, strict=True))
            abs_a = statistics.fmean(abs(_err(a, b)) for a, b in zip(routed, after, strict=True))
            lines.append(
                f"| {label} | {len(part)} | {name} | {_err(sum(routed), sum(before)):+.1%} "
                f"| {_err(sum(routed), sum(after)):+.1%} | {abs_b:.1%} | {abs_a:.1%} |"
            )
    return lines


def markdown(rows: list[dict[str, Any]], alpha: float, args: argparse.Namespace, plan: str) -> str:
    fit = ", ".join(str(d) for d in args.fit_days)
    test = ", ".join(str(d) for d in args.test_days)
    lines = [
        "Generated in full by `benchmarks/facilities_calibration.py` (see its docstring). "
        f"Scenario `{args.scenario}`; facility plan: {plan}. Demand: {args.days} generated "
        f"days, seed {args.seed}. Each stream-day is routed with PyVRP ({args.time_limit:g} s, "
        "1 worker, the plan's catchments) and predicted with `estimate_collection` (line haul "
        "2·d(point, unload site) per load + Daganzo local term κ·√(A·n), crew hours, "
        "unloading, vehicle-day shares) on the same due loads. Error = routed / predicted − 1.",
        "",
        f"**Fitted on days {fit}; reported on the held-out days {test}.** The km factor "
        f"α = Σ routed km / Σ predicted km over the fit days = **{alpha:.3f}** (planner default "
        "α = 1). Routing is time-limited, so routed km are an upper bound on the optimum and α "
        "errs high by the same amount.",
        "",
        *error_lines(rows, alpha),
        "",
        "| split | day | stream | stops | unserved | routed km | pred km | km error | km error "
        "(α) | routed h | pred h | routed CNY | pred CNY | CNY error | CNY error (α) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['split']} | {r['day']} | {r['stream']} | {r['stops']} | {r['unserved']} "
            f"| {r['routed_km']:,.1f} | {r['pred_km']:,.1f} "
            f"| {_err(r['routed_km'], r['pred_km']):+.1%} "
            f"| {_err(r['routed_km'], r['pred_km_alpha']):+.1%} | {r['routed_h']:,.1f} "
            f"| {r['pred_h']:,.1f} | {r['routed_cny']:,.0f} | {r['pred_cny']:,.0f} "
            f"| {_err(r['routed_cny'], r['pred_cny']):+.1%} "
            f"| {_err(r['routed_cny'], r['pred_cny_alpha']):+.1%} |"
        )
    lines += [
        "",
        "The approximation leaves out the depot legs (depot → first stop, last unload → depot) "
        "and charges a vehicle by the share of its day a trip uses, while a routed vehicle pays "
        "its whole day; it is meant for districts with hundreds of stops, so small stream-days "
        "(hazardous) err most.",
    ]
    return "\n".join(lines)


def _days(text: str) -> list[int]:
    return [int(t) for t in text.split(",") if t.strip()]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--scenario", default="jintan", help="folder under scenarios/")
    ap.add_argument("--mode", choices=("status_quo", "free"), help="plan mode (scenario's)")
    ap.add_argument("--days", type=int, default=7, help="generated days")
    ap.add_argument("--fit-days", type=_days, default=[0, 1, 2], help="e.g. 0,1,2")
    ap.add_argument("--test-days", type=_days, default=[3, 4, 5], help="held out, e.g. 3,4,5")
    ap.add_argument("--streams", nargs="*", help="only these streams")
    ap.add_argument("--time-limit", type=float, default=25.0, help="routing s per stream-day")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--name", default="facilities_calibration")
    args = ap.parse_args(argv)
    both = set(args.fit_days) & set(args.test_days)
    days = [*args.fit_days, *args.test_days]
    if both or not args.fit_days or not args.test_days:
        ap.error(f"fit and test days must be given and disjoint (both: {sorted(both)})")
    if any(not 0 <= d < args.days for d in days):
        ap.error(f"days must lie in 0..{args.days - 1}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    run = Run.start(__file__, argv)
    sc = load_scenario(ROOT / "scenarios" / args.scenario)
    matrix = build_matrix(sc)
    settings = facility_settings(sc, mode=args.mode)
    fplan = plan_catchments(sc, matrix, settings)
    plan = f"{fplan.mode} mode, {fplan.status}, {len(fplan.open_stations)} stations open"
    demand = generate(sc, days=args.days, seed=args.seed)
    routing = RoutingSettings(engine="pyvrp", time_limit_s=args.time_limit, seed=args.seed)
    streams = args.streams or list(sc.stream_ids)
    rows: list[dict[str, Any]] = []
    for split, days in (("fit", args.fit_days), ("held-out", args.test_days)):
        for day in days:
            for stream in streams:
                row = route_day(sc, fplan, demand, matrix, day, stream, routing)
                if row is not None:
                    rows.append({"split": split, **row})
    fit = [r for r in rows if r["split"] == "fit" and r["pred_km"] > 0]
    if not fit or not any(r["split"] == "held-out" for r in rows):
        print("nothing routed on the fit or the test days", flush=True)
        return 1
    alpha = sum(r["routed_km"] for r in fit) / sum(r["pred_km"] for r in fit)
    for r in rows:
        est = predict(
            sc,
            demand,
            r["day"],
            r["stream"],
            matrix,
            r.pop("_assignment"),
            CostSettings(km_factor=alpha),
        )
        r |= {"pred_km_alpha": est.km, "pred_h_alpha": est.hours, "pred_cny_alpha": est.cost_cny}
    base = args.out / args.name
    run.write_csv(base.with_suffix(".csv"), FIELDS, rows)
    run.write_md(
        base.with_suffix(".md"),
        "Facility planner vs routed days: calibration fitted on some days, tested on others",
        markdown(rows, alpha, args, plan),
    )
    print(f"alpha = {alpha:.3f}; wrote {base}.csv and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
