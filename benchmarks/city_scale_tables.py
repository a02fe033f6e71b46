"""The tables of ``city_scale.py``: one CSV of every row, and the Markdown summary.

Rows come in three kinds: ``day`` (one per N: the whole day), ``stream`` (one per N and
stream) and ``quality`` (one per compared stream: decomposed against whole). The Markdown
gives the day table with the targets, cost growth with N (cost per stop and the slope of
log cost over log N: 1 is linear), the streams, and the decomposition quality.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any

from machine_info import Run

from wasteopt.routing.settings import RoutingSettings

STAGE_COLS = ("t_load", "t_facilities", "t_build", "t_search", "t_repair", "t_check", "t_write")
FIELDS = (
    "kind",
    "points",
    "catchments",
    "roads_grid_m",
    "budget_s",
    "city_s",
    "stream",
    "stops",
    "streams",
    "territories",
    "wall_s",
    *STAGE_COLS,
    "rss_main_gb",
    "rss_worker_gb",
    "rss_bound_gb",
    "pss_peak_gb",
    "unserved",
    "vehicles",
    "fleet_vehicles",
    "vehicle_h",
    "fleet_h",
    "cost_cny",
    "check",
    "violations",
    "cost_per_stop",
    "quality_budget_s",
    "decomposed_cny",
    "decomposed_unserved",
    "decomposed_s",
    "whole_budget_s",
    "whole_cny",
    "whole_unserved",
    "whole_s",
    "gap_pct",
    "note",
    "error",
)
STREAM_HEAD = (
    "N",
    "stream",
    "stops",
    "territories",
    "unserved",
    "vehicles",
    "of fleet",
    "vehicle h",
    "of fleet's shift h",
    "cost CNY",
)
STREAM_KEYS = (
    "points",
    "stream",
    "stops",
    "territories",
    "unserved",
    "vehicles",
    "fleet_vehicles",
    "vehicle_h",
    "fleet_h",
    "cost_cny",
)
TARGET_WALL_S, TARGET_RSS_GB, TARGET_GAP_PCT = 600.0, 8.0, 3.0


def cell(value: object) -> str:
    """A Markdown table cell: empty for none, thousands for big numbers, no pipes."""
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "/").replace("\n", " ")


def table(head: Sequence[str], keys: Sequence[str], rows: Sequence[dict[str, Any]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(r.get(k)) for k in keys) + " |" for r in rows]
    return [*lines, ""]


def day_section(days: list[dict[str, Any]], workers: int, grid_m: float | None = None) -> list[str]:
    head = ["N", "stops", "streams", "territories", "budget s", "wall s"]
    head += [c[2:] + " s" for c in STAGE_COLS]
    head += ["RSS main GB", "RSS worker GB", "RSS bound GB", "PSS peak GB", "unserved"]
    head += ["vehicles"]
    head += ["cost CNY", "checker", "other violations", "CNY/stop", "error"]
    keys = ["points", "stops", "streams", "territories", "budget_s", "wall_s", *STAGE_COLS]
    keys += ["rss_main_gb", "rss_worker_gb", "rss_bound_gb", "pss_peak_gb", "unserved"]
    keys += ["vehicles"]
    keys += ["cost_cny", "check", "violations", "cost_per_stop", "error"]
    lines = ["## The routed day", "", *table(head, keys, days)]
    lines += [
        "Stages: `load` the scenario; `facilities` the facility plan (plan catchments only); "
        "`build` demand, travel matrix and routing problems; `search` the territories' "
        "searches (a stream routed whole: all of its solve); `repair` the merged routes on the "
        "whole problem; `check` the checker; `write` plan files, route sheets (and the "
        "facility tables). Wall time runs from the budget's start (before loading) to the "
        "written output. RSS: `resource.getrusage` in the job's own process; main = the "
        "routing process, worker = the largest finished worker process (forked: shared "
        f"pages count in both); bound = main + {workers} × worker, an upper bound of the "
        "machine's peak. PSS peak: the machine's peak as sampled every 0.5 s, the proportional "
        "set size (each shared page divided among the processes that map it) summed over the "
        "job's process and its live workers; the memory target is judged on it when measured.",
        "",
    ]
    if grid_m is not None:
        lines += [roads_stages(grid_m), ""]
    for r in days:
        if r.get("stops"):
            lines.append(targets(r))
    return [*lines, ""]


def roads_stages(grid_m: float) -> str:
    """Where the road network's work lands in the stage columns."""
    return (
        f"On roads ({grid_m:g} m grid): `load` includes reading `roads.geojson` into the road "
        "graph; `build` the routers' build and snapping the sites; with plan catchments "
        "`facilities` the points → unload sites block (Dijkstra backwards from the sites); "
        "`search` also every territory's road tables, computed for all streams first, both "
        "workers in parallel, before any search (`wasteopt.routing.territories.tables_ahead`: "
        "the streams then share what is left by their stops); `repair` the legs the repair "
        "reads beyond them (a leg alone, a row or column read often as a whole); `check` the "
        "checker's road rule on every leg; `write` drawing every leg along its road path (a "
        "bounded search per leg). Writing the grid file (outside the budget, like building the "
        "city) is in the CSV's `city_s`."
    )


def targets(r: dict[str, Any]) -> str:
    """How one day stands against the issue's targets (wall, memory, unserved, checker)."""
    wall, rss = r.get("wall_s") or math.inf, r.get("rss_bound_gb") or math.inf
    pss = r.get("pss_peak_gb")
    mem = (
        f"memory bound {cell(rss)} GB {'<=' if rss <= TARGET_RSS_GB else '>'} "
        f"{TARGET_RSS_GB:.0f} GB"
        if not pss
        else f"sampled memory peak {cell(pss)} GB {'<=' if pss <= TARGET_RSS_GB else '>'} "
        f"{TARGET_RSS_GB:.0f} GB (bound {cell(rss)} GB)"
    )
    ok = [
        f"wall {cell(wall)} s {'<=' if wall <= TARGET_WALL_S else '>'} {TARGET_WALL_S:.0f} s",
        mem,
        f"{r.get('unserved')} unserved",
        f"checker {r.get('check')}",
    ]
    return f"- N = {r['points']:,}: " + "; ".join(ok) + "."


def growth_section(days: list[dict[str, Any]]) -> list[str]:
    """Cost per stop against N, relative to the smallest N, and the log-log slope."""
    done = [r for r in days if r.get("cost_per_stop")]
    if not done:
        return []
    base = done[0]["cost_per_stop"]
    rows = [{**r, "ratio": r["cost_per_stop"] / base} for r in done]
    lines = ["## Cost growth with N", ""]
    lines += table(
        ["N", "stops", "cost CNY", "CNY/stop", f"vs N = {done[0]['points']:,}", "unserved"],
        ["points", "stops", "cost_cny", "cost_per_stop", "ratio", "unserved"],
        rows,
    )
    if len(done) >= 2:
        lines += [
            f"Slope of log(cost) over log(N): {slope(done):.3f} (1 = linear). Unserved "
            "stops carry no cost, so compare rows with equal unserved counts.",
            "",
        ]
    return lines


def slope(rows: list[dict[str, Any]]) -> float:
    """Least-squares slope of log cost over log N."""
    xs = [math.log(r["points"]) for r in rows]
    ys = [math.log(r["cost_cny"]) for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den


def quality_section(quality: list[dict[str, Any]], whole_factor: float) -> list[str]:
    lines = ["## Decomposition quality: decomposed against whole, same workers and seed", ""]
    if not quality:
        return [*lines, "No quality run.", ""]
    equal = "the same budget" if whole_factor == 1 else f"{whole_factor:g} × the budget"
    lines += [
        "Each stream of day 0 that splits into territories, on the same routing problem: "
        "`solve_territories` with the stream's share (by stops) of the day's budget, then "
        f"`solve` on the whole problem with {equal}.",
        "",
    ]
    head = ["N", "stream", "stops", "territories", "budget s", "decomposed CNY"]
    head += ["unserved", "s", "whole budget s", "whole CNY", "unserved", "s"]
    head += ["decomposed/whole − 1 %"]
    head += ["note", "error"]
    keys = ["points", "stream", "stops", "territories", "quality_budget_s", "decomposed_cny"]
    keys += ["decomposed_unserved", "decomposed_s", "whole_budget_s", "whole_cny"]
    keys += ["whole_unserved", "whole_s"]
    keys += ["gap_pct", "note", "error"]
    lines += table(head, keys, quality)
    fair = [
        r["gap_pct"]
        for r in quality
        if r.get("gap_pct") is not None and r["decomposed_unserved"] == r["whole_unserved"]
    ]
    if fair:
        within = sum(1 for g in fair if g <= TARGET_GAP_PCT)
        lines += [
            f"Over the {len(fair)} streams with equal unserved counts: mean "
            f"{sum(fair) / len(fair):+.2f} %, worst {max(fair):+.2f} %; {within} of "
            f"{len(fair)} within the {TARGET_GAP_PCT:.0f} % target (negative: the "
            "decomposition is cheaper).",
            "",
        ]
    return lines


def write_tables(run: Run, rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Write ``<name>.csv`` (every row) and ``<name>.md`` (the summary) into ``args.out``."""
    run.write_csv(args.out / f"{args.name}.csv", FIELDS, rows)
    days = [r for r in rows if r["kind"] == "day"]
    streams = [r for r in rows if r["kind"] == "stream"]
    quality = [r for r in rows if r["kind"] == "quality"]
    settings = RoutingSettings()
    intro = [
        "Generated in full by `benchmarks/city_scale.py`. Cities from "
        f"`scenarios/nanjing/build_city.py --seed {args.seed}` (20,000 points at seed 1: the "
        "committed `scenarios/nanjing`); day 0 of every stream, each N in a fresh process; "
        f"catchments: {args.catchments}; budget {args.budget_per_1k:g} s per 1,000 points "
        f"(one deadline for load, plan, build, search, repair, check and write); "
        f"{args.workers} workers; engine {settings.engine}; routing seed {args.seed}; "
        f"territories of at most {settings.territory_max_stops} stops; each job process "
        f"limited to {args.memory_limit_gb:g} GiB of address space (0: no limit). Targets: the "
        f"20,000-point day in at most {TARGET_WALL_S:.0f} s and {TARGET_RSS_GB:.0f} GB, 0 "
        f"unserved, checker-clean; decomposition within {TARGET_GAP_PCT:.0f} % of the whole "
        "problem; cost near-linear in N.",
        "",
    ]
    if args.roads_grid_m is not None:
        intro[0] += (
            f" Every travel time on a road network: a synthetic grid of two-way streets every "
            f"{args.roads_grid_m:g} m round each city (every 5th a 40 km/h main road, the others "
            "20 km/h residential streets; `benchmarks/grid_roads.py`), written into a copy of "
            'the city with `[network] roads = "roads.geojson"`: fastest paths per vehicle '
            "profile (`wasteopt.roads`), checked by the checker's road rule."
        )
    body = [
        *intro,
        *day_section(days, args.workers, args.roads_grid_m),
        *growth_section(days),
    ]
    if streams:
        body += ["## Streams", ""]
        body += table(
            [*STREAM_HEAD, "checker", "other violations", "solve s"],
            [*STREAM_KEYS, "check", "violations", "wall_s"],
            streams,
        )
        body += [
            "`vehicles` of `of fleet`: the collection vehicles the plan uses and the stream's "
            "fleet; `vehicle h` of `of fleet's shift h`: the plan's route hours (each used "
            "vehicle from its start to its return, lunch included) and every vehicle's whole "
            "shift. A stream that uses every vehicle while stops stay unserved is short of "
            "fleet for this network, not of search time.",
            "",
        ]
    body += quality_section(quality, args.whole_factor)
    title = "City scale: the Nanjing-like day by N"
    if args.roads_grid_m is not None:
        title += f", on a {args.roads_grid_m:g} m grid road network"
    run.write_md(args.out / f"{args.name}.md", title, body)
