"""Road networks: barrier model vs road network on tiny, and per-territory shortest paths at
city scale (20,000 Nanjing points on a synthetic grid road network).

Part 1 (tiny): every pair of the 12 sites of ``scenarios/tiny_river`` (straight lines around
the river × circuity 1.3, the built-in barrier model) against ``scenarios/tiny_roads`` (the
same sites on a road grid with the river crossed by two bridges): how close barrier-aware
straight lines come to network distances, and the time to build each whole table. Then the
circuity calibrated against the network (:func:`wasteopt.network.fit_circuity`: fitted on the
legs from half the sites, reported on the legs from the other half), for the ways round the
river and for plain great-circle lines, so the table says what the barriers add beyond a
factor.

Part 2 (city): the 20,000 points, stations, plants and depots of ``scenarios/nanjing`` on a
synthetic grid road network covering them (``--spacings`` m between streets, every 5th one a
40 km/h main road, the others 20 km/h residential streets; no lanes, bans or one-way streets,
so every territory costs the same as on a real map of that size). Territories are k-means
clusters of ``--territory`` points (the routing default is at most 400 stops). For
``--territories`` of them, on one network whose routers are built (and the sites snapped)
once, as in a routed day, it times what routing a territory reads: the distance block
(territory × territory, plus its depot and the two nearest unload sites), one vehicle
profile's seconds and metres blocks (one search serves both), and the points → every unload
site block (facility planning and nearest sites, Dijkstra run backwards from the sites). It
also times the checker's road rule per leg (on one territory's route through its points in
nearest-neighbour order). The routed day on roads itself is measured by ``city_scale.py
--roads-grid-m`` (no estimate here).

Part 3 (``--calibrate-grid-m``, default 300): the Nanjing scenario put on that grid as
``city_scale.py --roads-grid-m`` puts it, and ``wasteopt circuity`` run on the copy: the
circuity and the speed of each road profile that would make the scenario's formula model
(great-circle × circuity at each vehicle's speed, on which its fleets are sized) come closest
to the grid, for legs between near sites (collection) and far ones (trips).

Usage::

    .venv/bin/python benchmarks/roads.py                      # the committed table
    .venv/bin/python benchmarks/roads.py --territories 2 --spacings 250
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from grid_roads import MAIN_EVERY, SPEED_KMH, grid_axes, scenario_on_grid
from machine_info import ROOT, Run  # benchmarks/ is the script's folder; ROOT on the path
from scipy.cluster.vq import kmeans2

from wasteopt.network import Calibration, build_matrix, fit_circuity
from wasteopt.roads import Profile, RoadGraph
from wasteopt.roads.graph import EARTH_RADIUS_M
from wasteopt.routing.problem import Fleet, RoadRules
from wasteopt.routing.road_check import road_violations
from wasteopt.routing.verdict import RouteTimes, VisitTimes
from wasteopt.scenario import load_scenario
from wasteopt.scenario.roads import vehicle_profile
from wasteopt.travel_table import RoadNetwork, RoadTable

OUT = ROOT / "benchmarks" / "results" / "roads.md"
NANJING = ROOT / "scenarios" / "nanjing"


def calibration_lines(cal: Calibration, ids: list[str], declared: float) -> list[str]:
    """The circuity fits (:func:`wasteopt.network.fit_circuity`, every site drawn: fitted on
    the legs from every other site by id order, reported on the rest) as markdown lines."""
    rows = [
        "| legs | geometry | circuity fitted | fit legs | fit: mean abs. difference | "
        "held-out legs | held-out: mean abs. difference | held-out: ratio min … max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {"barriers": "round the river (barrier model)", "straight": "straight (great circle)"}
    for f in cal.circuity:
        rows.append(
            f"| {f.legs} | {names[f.geometry]} | {f.circuity:.3f} | {f.fit_legs} | "
            f"{f.fit_error:.1%} | {f.held_out_legs} | {f.held_out_error:.1%} | "
            f"{f.held_out_low:.2f} … {f.held_out_high:.2f} |"
        )
    return [
        f"Circuity calibrated on the network (`wasteopt circuity`, least squares): *near* legs "
        f"from each site to its {cal.near} nearest, *far* legs between all {cal.sites} sites; "
        f"fitted on the legs from {', '.join(ids[0::2])}, reported on the legs from the other "
        f"{len(ids[1::2])} sites (`tiny_river` declares {declared:g}).",
        "",
        *rows,
        "",
    ]


def tiny_part() -> list[str]:
    """Barrier model vs road network on the 12 tiny sites (markdown lines)."""
    t0 = time.perf_counter()
    river_sc = load_scenario(ROOT / "scenarios" / "tiny_river")
    river = build_matrix(river_sc)
    t_river = time.perf_counter() - t0
    t0 = time.perf_counter()
    roads = build_matrix(load_scenario(ROOT / "scenarios" / "tiny_roads"))
    whole = np.asarray(roads.distance_m)
    t_roads = time.perf_counter() - t0
    assert river.ids == roads.ids
    off = ~np.eye(len(river.ids), dtype=bool)
    a, b = np.asarray(river.distance_m)[off].astype(float), whole[off].astype(float)
    ratio = a / b
    ids = np.array(river.ids)
    ii, jj = np.nonzero(off)
    worst = int(np.argmin(ratio))
    best = int(np.argmax(ratio))
    sc = load_scenario(ROOT / "scenarios" / "tiny_roads")
    vt = next(v for v in sc.vehicle_types if v.id == "VT-OTH")
    assert isinstance(roads.distance_m, RoadTable)
    idx = np.arange(len(roads.ids))
    net_s = roads.distance_m.for_profile(vehicle_profile(vt)).block(idx, idx)[off].astype(float)
    bar_s = np.asarray(river.durations_s(vt.speed_kmh))[off].astype(float)
    t_ratio = bar_s / net_s
    low = int(np.argmin(t_ratio))
    to = int(jj[low])  # the lowest time ratio's pair and how its ends join VT-OTH's roads
    join = roads.distance_m.for_profile(vehicle_profile(vt)).snapped()
    # tiny_roads with tiny_river's river: its ways round the river and straight lines are
    # fitted against its roads (the same 12 sites, all drawn).
    both = replace(
        sc,
        network=replace(
            sc.network, barriers=river_sc.network.barriers, crossings=river_sc.network.crossings
        ),
    )
    cal = fit_circuity(both, sample=len(river.ids))
    return [
        "## Part 1: barrier model vs road network (tiny, 12 sites, 132 ordered pairs)",
        "",
        "| measure | value |",
        "|---|---|",
        f"| barrier model (tiny_river, circuity 1.3) whole table | {t_river * 1000:.1f} ms |",
        f"| road network (tiny_roads) whole table | {t_roads * 1000:.1f} ms |",
        f"| barrier / network distance, mean | {ratio.mean():.3f} |",
        f"| barrier / network distance, median | {np.median(ratio):.3f} |",
        f"| mean absolute difference | {np.mean(np.abs(a - b)) / b.mean():.1%} of the mean leg |",
        f"| shortest against network: {ids[ii[worst]]} → {ids[jj[worst]]} | "
        f"{a[worst]:,.0f} m vs {b[worst]:,.0f} m ({ratio[worst]:.2f}) |",
        f"| longest against network: {ids[ii[best]]} → {ids[jj[best]]} | "
        f"{a[best]:,.0f} m vs {b[best]:,.0f} m ({ratio[best]:.2f}) |",
        f"| VT-OTH times (8.5 t, 30 km/h): barrier model / network, mean | {t_ratio.mean():.3f} |",
        f"| VT-OTH times: barrier model / network, min … max | "
        f"{t_ratio.min():.2f} … {t_ratio.max():.2f} |",
        f"| VT-OTH times: mean absolute difference | "
        f"{np.mean(np.abs(bar_s - net_s)) / net_s.mean():.1%} of the mean leg time |",
        "",
        "The barrier model times a leg at the vehicle's own speed over circuity × the way round "
        "the river; the network times it on the roads the vehicle may use (residential 20 km/h, "
        "main roads capped at its 30 km/h, round the 07:00-09:00 ban and off the 8 t bridge), "
        "so it is slower where the barrier model's straight lines cut through blocks (the "
        f"lowest ratio, {t_ratio[low]:.2f}, is {ids[ii[low]]} → {ids[to]}, whose points join "
        f"the roads open to VT-OTH by straight legs of {join.off_m[ii[low]]:,.0f} m and "
        f"{join.off_m[to]:,.0f} m at {sc.network.snap_speed_kmh:g} km/h, the rest being the "
        "way those roads take).",
        "",
        *calibration_lines(cal, list(river.ids), river_sc.network.circuity),
    ]


def grid_graph(lon: np.ndarray, lat: np.ndarray, spacing_m: float) -> RoadGraph:
    """A grid of two-way streets covering the points' box, in memory: the streets
    ``grid_roads.py`` writes (its axes and classes), cut at every crossing."""
    xs, ys = grid_axes(lon, lat, spacing_m)
    k = np.radians(1.0) * EARTH_RADIUS_M
    nx, ny = xs.size, ys.size
    gx, gy = np.meshgrid(xs, ys)
    node = np.arange(nx * ny).reshape(ny, nx)
    h_t, h_h = node[:, :-1].ravel(), node[:, 1:].ravel()  # east-west pieces
    v_t, v_h = node[:-1, :].ravel(), node[1:, :].ravel()  # north-south pieces
    h_main = np.repeat(np.arange(ny) % MAIN_EVERY == 0, nx - 1)
    v_main = np.tile(np.arange(nx) % MAIN_EVERY == 0, ny - 1)
    tail = np.concatenate([h_t, h_h, v_t, v_h])
    head = np.concatenate([h_h, h_t, v_h, v_t])
    main = np.concatenate([h_main, h_main, v_main, v_main])
    h_len = np.tile(np.diff(xs), ny) * k * np.cos(np.radians(float(np.mean(lat))))
    v_len = np.repeat(np.diff(ys), nx) * k
    length = np.concatenate([h_len, h_len, v_len, v_len])
    m = tail.size
    return RoadGraph(
        lon=gx.ravel().astype(np.float64),
        lat=gy.ravel().astype(np.float64),
        tail=tail.astype(np.int64),
        head=head.astype(np.int64),
        length_m=length.astype(np.float64),
        speed_kmh=np.where(main, SPEED_KMH["main_road"], SPEED_KMH["residential"]),
        road_class=tuple("main_road" if x else "residential" for x in main),
        max_weight_t=np.full(m, np.inf),
        road=np.arange(m, dtype=np.int64),
        road_ids=tuple(str(i) for i in range(m)),
    )


def city_part(args: argparse.Namespace) -> list[str]:
    """Per-territory shortest-path times on the synthetic Nanjing network (markdown lines)."""
    pts = pd.read_csv(NANJING / "points.csv", usecols=["id", "lon", "lat"])
    sites = pd.concat(
        [
            pd.read_csv(NANJING / f, usecols=["id", "lon", "lat"])
            for f in ("stations.csv", "facilities.csv")
        ]
    )
    depots = pd.read_csv(NANJING / "depots.csv", usecols=["id", "lon", "lat"])
    every = pd.concat([pts, sites, depots], ignore_index=True)
    lon, lat = every["lon"].to_numpy(float), every["lat"].to_numpy(float)
    t0 = time.perf_counter()
    graph = grid_graph(lon, lat, args.spacing)
    t_graph = time.perf_counter() - t0
    n_pts, n_sites = len(pts), len(sites)
    site_idx = np.arange(n_pts, n_pts + n_sites)
    depot_idx = np.arange(n_pts + n_sites, len(every))
    k = max(1, n_pts // args.territory)
    rng = np.random.default_rng(1)
    xy = np.column_stack([lon[:n_pts], lat[:n_pts]])
    _, label = kmeans2(xy, k, seed=rng, minit="++")
    profile = Profile(vehicle_class="small_compactor", speed_kmh=30.0)
    rows = []
    # One network, as in a routed day: its routers (one per profile) are built and the sites
    # snapped once, timed here; the territory blocks below then pay only their searches.
    network = RoadNetwork(graph, 10.0)
    t0 = time.perf_counter()
    network.router(Profile())
    network.router(profile)
    t_router = (time.perf_counter() - t0) / 2
    t0 = time.perf_counter()
    city = RoadTable(network, lon, lat)
    city.snapped()
    city.for_profile(profile).snapped()
    t_snap = (time.perf_counter() - t0) / 2
    for t in range(min(args.territories, k)):
        members = np.flatnonzero(label == t)
        centre = xy[members].mean(axis=0)
        near = site_idx[
            np.argsort(np.hypot(lon[site_idx] - centre[0], lat[site_idx] - centre[1]))[:2]
        ]
        dep = depot_idx[np.argmin(np.hypot(lon[depot_idx] - centre[0], lat[depot_idx] - centre[1]))]
        idx = np.concatenate([[dep], near, members])
        table = city.take(idx)  # a territory's table, as routing/build.py takes it
        own = np.arange(idx.size)
        t0 = time.perf_counter()
        table.block(own, own)
        t_dist = time.perf_counter() - t0
        t0 = time.perf_counter()
        table.for_profile(profile).block(own, own)
        table.for_profile(profile, seconds=False).block(own, own)  # same search: kept block
        t_prof = time.perf_counter() - t0
        rows.append((t, idx.size, t_dist, t_prof))
    t0 = time.perf_counter()
    city.block(np.arange(n_pts), site_idx)
    t_sites = time.perf_counter() - t0
    t_leg = _checker_leg_s(graph, city.for_profile(profile), np.flatnonzero(label == 0), profile)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    facts = (
        graph,
        len(every),
        t_graph,
        (t_router, t_snap),
        k,
        n_pts,
        n_sites,
        t_sites,
        peak,
        t_leg,
    )
    return _city_lines(args, rows, facts)


def _checker_leg_s(
    graph: RoadGraph, seconds: RoadTable, members: np.ndarray, profile: Profile
) -> float:
    """Seconds per leg of the checker's road rule: one route through ``members`` in
    nearest-neighbour order, timed and measured on the profile's own table, checked by
    :func:`wasteopt.routing.road_check.road_violations` (which must find it clean)."""
    order = [int(members[0])]
    left = set(members[1:].tolist())
    while left:  # nearest neighbour: legs as short as a routed trip's
        x0, y0 = seconds.lon[order[-1]], seconds.lat[order[-1]]
        order.append(
            min(left, key=lambda j: (seconds.lon[j] - x0) ** 2 + (seconds.lat[j] - y0) ** 2)
        )
        left.discard(order[-1])
    idx = np.asarray(order)
    secs = seconds.block(idx, idx)
    metres = seconds.for_profile(profile, seconds=False).block(idx, idx)
    ids = [f"P{j}" for j in order]
    rows, clock = [], 6 * 3600
    for k, sid in enumerate(ids):
        leg_s = int(secs[k - 1, k]) if k else 0
        rows.append(
            VisitTimes(
                vehicle="V#1",
                fleet="V",
                trip=1,
                seq=k,
                kind="stop",
                id=sid,
                arrival_s=clock + leg_s,
                start_s=clock + leg_s,
                end_s=clock + leg_s,
                load_after_kg=0,
                distance_from_prev_m=int(metres[k - 1, k]) if k else 0,
            )
        )
        clock += leg_s
    times = RouteTimes(
        vehicle="V#1",
        fleet="V",
        start_s=6 * 3600,
        end_s=clock,
        distance_m=0,
        duration_s=0,
        trips=1,
        stops=len(ids),
        load_kg=0,
        fixed_cost=0.0,
        distance_cost=0.0,
        time_cost=0.0,
        co2_kg=0.0,
        visits=tuple(rows),
    )
    rules = RoadRules(
        graph=graph,
        snap_speed_kmh=10.0,
        places={
            sid: (float(seconds.lon[j]), float(seconds.lat[j]))
            for sid, j in zip(ids, order, strict=True)
        },
        profiles={"V": profile},
    )
    fleet = Fleet(id="V", stream="s", depot="D", count=1, capacity_kg=1)
    road_violations(rules, fleet, replace(times, visits=times.visits[:2]))  # graphs built
    t0 = time.perf_counter()
    found = road_violations(rules, fleet, times)
    spent = (time.perf_counter() - t0) / max(1, len(ids) - 1)
    if found:
        raise RuntimeError(f"the checker flags a route on the profile's own table: {found[0]}")
    return spent


def _city_lines(
    args: argparse.Namespace, rows: list[tuple[int, int, float, float]], facts: tuple
) -> list[str]:
    """The markdown of part 2 from the measured rows and facts."""
    graph, n_every, t_graph, (t_router, t_snap), k, n_pts, n_sites, t_sites, peak, t_leg = facts
    mean_dist = float(np.mean([r[2] for r in rows]))
    mean_prof = float(np.mean([r[3] for r in rows]))
    per_terr = mean_dist + args.profiles * mean_prof
    return [
        f"## Part 2: per-territory paths, 20,000 Nanjing points, {args.spacing:.0f} m grid",
        "",
        f"Network: {graph.node_count:,} nodes, {graph.edge_count:,} directed edges "
        f"({args.spacing:.0f} m grid), built in {t_graph:.1f} s; a profile's router built in "
        f"{t_router:.2f} s, {n_every:,} sites snapped to it in {t_snap:.2f} s; {k} territories "
        f"of about {args.territory} points.",
        "",
        "| territory | sites | distance block (s) | profile seconds + metres blocks (s) |",
        "|---|---|---|---|",
        *[f"| {t} | {n} | {d:.2f} | {p:.2f} |" for t, n, d, p in rows],
        "",
        "| measure | value |",
        "|---|---|",
        f"| points → {n_sites} unload sites ({n_pts:,} × {n_sites}, backwards) | {t_sites:.1f} s |",
        f"| mean per territory: 1 distance + {args.profiles} profile tables | {per_terr:.2f} s |",
        f"| the checker's road rule, per leg (`routing.road_check`: the route's box first) "
        f"| {1000 * t_leg:.2f} ms |",
        f"| peak memory of this process | {peak:.2f} GB |",
        "",
        "These are the parts a routed day on roads reads; the whole day (the territories' "
        "tables in the workers that search them, the repair's and the checker's legs, the "
        "route sheets' road paths) is measured, not estimated, by `benchmarks/city_scale.py "
        "--roads-grid-m` (results/city_scale_roads.md).",
    ]


def grid_calibration_part(spacing_m: float) -> list[str]:
    """``wasteopt circuity`` on the Nanjing scenario put on the ``spacing_m`` grid (as
    ``city_scale.py --roads-grid-m`` routes it): what circuity and speeds the formula model
    would need there, near legs and far (markdown lines)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "nanjing"
        scenario_on_grid(NANJING, folder, spacing_m)
        t0 = time.perf_counter()
        cal = fit_circuity(load_scenario(folder))
        took = time.perf_counter() - t0
    lines = [
        f"## Part 3: the formula model fitted to the Nanjing scenario on the {spacing_m:g} m grid",
        "",
        f"`wasteopt circuity` (defaults: {cal.sites} sites drawn, seed {cal.seed}; near legs to "
        f"each one's {cal.near} nearest sites, far legs between the drawn sites; fitted on the "
        f"legs from every other drawn site, reported on the rest), {took:.1f} s. The scenario's "
        "own model, on which its fleets are sized, is great-circle × 1.3 at each vehicle "
        "type's `speed_kmh`.",
        "",
        "| legs | geometry | circuity fitted | fit: mean abs. difference | "
        "held-out: mean abs. difference | held-out legs |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {f.legs} | {f.geometry} | {f.circuity:.3f} | {f.fit_error:.1%} | "
        f"{f.held_out_error:.1%} | {f.held_out_legs:,} |"
        for f in cal.circuity
    ]
    lines += [
        "",
        "| legs | vehicle class | speed_kmh given | speed fitted | held-out: mean abs. "
        "difference | vehicle types |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {v.legs} | {v.vehicle_class} | {v.declared_kmh:g} | {v.fitted_kmh:.1f} | "
        f"{v.held_out_error:.1%} | {len(v.vehicle_types)} ({v.vehicle_types[0]}, …) |"
        for v in cal.speeds
    ]
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--spacings", default="150,300", help="grid street spacings to time, m (comma-separated)"
    )
    ap.add_argument("--territory", type=int, default=400, help="points per territory")
    ap.add_argument("--territories", type=int, default=3, help="territories timed")
    ap.add_argument("--profiles", type=int, default=2, help="vehicle profiles per stream")
    ap.add_argument(
        "--calibrate-grid-m",
        type=float,
        default=300.0,
        help="grid spacing of Part 3 (the formula model fitted to Nanjing on it); 0: skip",
    )
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    run = Run.start(__file__, argv)
    body = tiny_part()
    for spacing in (float(v) for v in args.spacings.split(",") if v.strip()):
        args.spacing = spacing
        body += [*city_part(args), ""]
    if args.calibrate_grid_m > 0:
        body += grid_calibration_part(args.calibrate_grid_m)
    run.write_md(args.out, "Road networks: barrier model vs roads, per-territory paths", body)
    print("\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
