"""Routing territories: split by unload site, sectors, fleet hand-out without over-count,
the merged plan checked against the whole problem, the pool, determinism."""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from wasteopt.compute import CheckpointStore, DaskExecutor
from wasteopt.generation import Demand
from wasteopt.network import TravelMatrix
from wasteopt.routing.build import build_problem
from wasteopt.routing.check import check_plan
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import Depot, Fleet, RoutingProblem, Stop, UnloadSite
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve
from wasteopt.routing.territories import (
    ANY_SITE,
    Runner,
    allocate,
    lend_pool,
    solve_territories,
    split,
    subproblem,
    territory_seed,
)
from wasteopt.scenario.model import Scenario

H = 3600
FAST = RoutingSettings(iterations=300, time_limit_s=30.0)


def city(
    groups: dict[str, list[tuple[float, float]]],
    *,
    sites: dict[str, tuple[float, float]],
    fleets: tuple[Fleet, ...] | None = None,
    load_kg: int = 300,
    windows: dict[str, tuple[int, int]] | None = None,
    access: dict[str, tuple[str, ...]] | None = None,
) -> RoutingProblem:
    """Depot G at the origin, ``sites`` and stops (per unload site, ``""``: any site) at the
    given points (metres), straight-line roads at 25 km/h, one fleet F of 3 unless given."""
    stop_xy = [(f"{g or 'X'}-{i}", g, xy) for g, pts in groups.items() for i, xy in enumerate(pts)]
    locs = ("G", *sites, *(sid for sid, _, _ in stop_xy))
    xy = np.array([(0.0, 0.0), *sites.values(), *(p for _, _, p in stop_xy)])
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(int)
    windows = windows or {}
    access = access or {}
    stops = tuple(
        Stop(
            id=sid,
            stream="other",
            load_kg=load_kg,
            service_s=120,
            tw_start_s=windows.get(sid, (0, 48 * H))[0],
            tw_end_s=windows.get(sid, (0, 48 * H))[1],
            unload_at=(g,) if g else (),
            fleets=access.get(sid),
        )
        for sid, g, _ in stop_xy
    )
    if fleets is None:
        fleets = (fleet("F", 3),)
    return RoutingProblem(
        name="city",
        stream="other",
        stops=stops,
        sites=tuple(UnloadSite(id=s, streams=("other",), unload_s=300) for s in sites),
        depots=(Depot(id="G"),),
        fleets=fleets,
        locations=locs,
        distance_m=dist,
        durations_s=(np.rint(dist / (25 / 3.6)).astype(int),),
    )


def fleet(fid: str, count: int, capacity_kg: int = 1000, **kw: object) -> Fleet:
    """A collection fleet based at G with a 7:00–17:00 shift."""
    base: dict[str, object] = dict(
        shift_start_s=7 * H, shift_end_s=17 * H, fixed_cost=200.0, cost_per_km=4.0
    )
    base.update(kw)
    return Fleet(id=fid, stream="other", depot="G", count=count, capacity_kg=capacity_kg, **base)  # type: ignore[arg-type]


def ring(
    cx: float, cy: float, n: int, r: float = 800.0, turn: float = 0.0
) -> list[tuple[float, float]]:
    """``n`` points on a circle of radius ``r`` around (cx, cy)."""
    return [
        (
            cx + r * math.cos(turn + 2 * math.pi * i / n),
            cy + r * math.sin(turn + 2 * math.pi * i / n),
        )
        for i in range(n)
    ]


def served_once(problem: RoutingProblem, plan: RoutePlan) -> bool:
    """Every stop is on exactly one route or listed unserved, never both."""
    sites = {s.id for s in problem.sites}
    on_routes = Counter(v for r in plan.routes for v in r.visits if v not in sites)
    return all(on_routes[s.id] + (s.id in plan.unserved) == 1 for s in problem.stops)


def without_runtime(plan: RoutePlan) -> dict[str, object]:
    """The plan as a dict, without the wall-clock time."""
    d = plan.to_dict()
    d.pop("runtime_s")
    return d


THREE = {"S1": (-4000.0, 3000.0), "S2": (4000.0, 3000.0), "S3": (0.0, 7000.0)}


def three_catchments(n: int = 6, **kw: object) -> RoutingProblem:
    """Three catchments of ``n`` stops each around their sites."""
    groups = {s: ring(x, y, n, turn=0.3) for s, (x, y) in THREE.items()}
    return city(groups, sites=THREE, **kw)  # type: ignore[arg-type]


def test_split_groups_by_unload_site_and_never_mixes_sites() -> None:
    """One territory per unload site (and one for stops that may unload anywhere), each
    holding only its site's stops, every stop in exactly one territory."""
    groups = {"S1": ring(-4000, 3000, 4), "S2": ring(4000, 3000, 5), "": ring(0, 7000, 3)}
    p = city(groups, sites={"S1": THREE["S1"], "S2": THREE["S2"]})
    ts = split(p)
    assert [t.key for t in ts] == [ANY_SITE, "S1", "S2"]
    by_id = {s.id: s for s in p.stops}
    for t in ts:
        assert {by_id[s].unload_at for s in t.stops} == {t.unload_at}
    assert sorted(s for t in ts for s in t.stops) == sorted(by_id)


def test_oversized_territory_is_cut_into_balanced_wedges() -> None:
    """50 stops of one site with at most 20 per territory: 3 sectors of 16–17 stops, each one
    contiguous arc around the site."""
    pts = ring(3000, 3000, 50, r=1500)
    p = city({"S1": pts}, sites={"S1": (3000.0, 3000.0)})
    ts = split(p, max_stops=20)
    assert [t.key for t in ts] == ["S1/1", "S1/2", "S1/3"]
    assert sorted(len(t.stops) for t in ts) == [16, 17, 17]
    sector = {s: k for k, t in enumerate(ts) for s in t.stops}
    around = [sector[f"S1-{i}"] for i in range(50)]  # stops in their true angular order
    changes = sum(a != b for a, b in zip(around, around[1:] + around[:1], strict=True))
    assert changes == 3


def test_fleet_counts_over_territories_sum_to_the_real_count() -> None:
    """A fleet of 3 over 4 territories gives out exactly 3 vehicles, at most one each; two
    fleets keep their own totals; stops only one fleet reaches get that fleet."""
    four = {**THREE, "S4": (0.0, -6000.0)}
    p = city({s: ring(x, y, 3) for s, (x, y) in four.items()}, sites=four)
    counts = allocate(p, split(p))
    assert sum(c["F"] for c in counts.values()) == 3
    assert max(c["F"] for c in counts.values()) == 1
    lane: dict[str, tuple[str, ...]] = {"S2-0": ("T",), "S2-1": ("T",)}
    p2 = city(
        {s: ring(x, y, 4) for s, (x, y) in THREE.items()},
        sites=THREE,
        fleets=(fleet("F", 5), fleet("T", 2, capacity_kg=400)),
        access=lane,
    )
    counts2 = allocate(p2, split(p2))
    assert sum(c["F"] for c in counts2.values()) == 5
    assert sum(c["T"] for c in counts2.values()) == 2
    assert counts2["S2"]["T"] >= 1


def test_merged_plan_is_checker_clean_against_the_whole_problem() -> None:
    """Three catchments routed apart and merged: clean by the checker on the whole problem,
    every stop served exactly once, vehicle ids unique, no fleet over its count."""
    p = three_catchments(6)
    plan = solve_territories(p, FAST)
    assert plan.status == "feasible" and plan.check is not None and plan.check.ok
    assert check_plan(p, plan).ok and not plan.unserved
    assert served_once(p, plan)
    assert len({r.vehicle for r in plan.routes}) == len(plan.routes) <= 3
    assert plan.problem == p.name and plan.seed == FAST.seed


def test_a_short_territory_borrows_from_the_pool() -> None:
    """S1 has four stops due at the same hour far apart (four vehicles), S2 heavy stops one
    vehicle can take in trips: the workload gives S1 too few, the unused vehicles of S2 go
    to S1 and every stop is served."""
    sites = {"S1": (-3000.0, 2000.0), "S2": (3000.0, 2000.0)}
    tight = [(-9000.0, 2000.0), (-3000.0, 8000.0), (3000.0 - 6000, -4000.0), (-3000.0, -9000.0)]
    windows = {f"S1-{i}": (8 * H, 8 * H + 600) for i in range(4)}
    groups = {"S1": tight, "S2": ring(3000, 2000, 6, r=500)}
    p = city(groups, sites=sites, fleets=(fleet("F", 6, capacity_kg=5000),), windows=windows)
    p = _with_loads(p, {f"S2-{i}": 4000 for i in range(6)} | {f"S1-{i}": 100 for i in range(4)})
    ts = split(p)
    counts = allocate(p, ts)
    assert counts["S1"]["F"] < 4 and sum(c["F"] for c in counts.values()) == 6
    used = {"S1": {"F": counts["S1"]["F"]}, "S2": {"F": 2}}
    extra = lend_pool(p, ts, used, {"S1": ["S1-0", "S1-1"]})
    assert extra["S1"].get("F", 0) == 6 - counts["S1"]["F"] - 2
    plan = solve_territories(p, FAST)
    assert plan.check is not None and plan.check.ok and not plan.unserved
    assert served_once(p, plan)


def _with_loads(p: RoutingProblem, loads: dict[str, int]) -> RoutingProblem:
    """``p`` with the given stops' loads changed."""
    stops = tuple(
        Stop(
            id=s.id,
            stream=s.stream,
            load_kg=loads.get(s.id, s.load_kg),
            service_s=s.service_s,
            tw_start_s=s.tw_start_s,
            tw_end_s=s.tw_end_s,
            unload_at=s.unload_at,
            fleets=s.fleets,
        )
        for s in p.stops
    )
    return RoutingProblem(
        name=p.name,
        stream=p.stream,
        stops=stops,
        sites=p.sites,
        depots=p.depots,
        fleets=p.fleets,
        locations=p.locations,
        distance_m=p.distance_m,
        durations_s=p.durations_s,
    )


def test_same_seed_and_iterations_give_the_same_plan_with_one_or_two_workers() -> None:
    """The plan depends on the seed and iterations only: twice with one worker, and with two
    workers (territories in parallel processes), the plan dicts are identical."""
    p = three_catchments(8)
    one = without_runtime(solve_territories(p, FAST))
    assert without_runtime(solve_territories(p, FAST)) == one
    two = RoutingSettings(iterations=300, time_limit_s=30.0, workers=2)
    assert without_runtime(solve_territories(p, two)) == one


def test_one_territory_gives_exactly_what_solve_gives() -> None:
    """A problem of one catchment, and a benchmark without unload sites per stop, are routed
    by ``solve`` itself."""
    p = city({"S1": ring(2000, 2000, 7)}, sites={"S1": (2000.0, 2000.0)})
    assert without_runtime(solve_territories(p, FAST)) == without_runtime(solve(p, FAST))
    q = city({"": ring(2000, 2000, 7)}, sites={"S1": (2000.0, 2000.0)})
    assert without_runtime(solve_territories(q, FAST)) == without_runtime(solve(q, FAST))


def test_subproblem_sees_its_own_stops_sites_and_vehicles() -> None:
    """A territory's problem holds its stops and site only, the fleet with its given count,
    and matrices cut to those locations; the seed follows from the key."""
    p = three_catchments(4)
    t = split(p)[1]
    sub = subproblem(p, t, {"F": 2})
    assert [s.id for s in sub.sites] == ["S2"] and sub.fleets[0].count == 2
    assert sub.locations == ("G", "S2", *t.stops)
    i, j = p.locations.index("S2"), p.locations.index(t.stops[0])
    assert sub.distance_m[1, 2] == p.distance_m[i, j]
    assert territory_seed(0, "S2") == territory_seed(0, "S2") != territory_seed(0, "S3")


def test_territory_max_stops_must_be_positive() -> None:
    """A territory of no stops is a settings error."""
    with pytest.raises(ValueError, match="territory_max_stops"):
        RoutingSettings(territory_max_stops=0)


def test_tiny_scenario_day_routed_by_territories_is_clean(
    tiny_scenario: Scenario, tiny_day0: Demand, tiny_matrix: TravelMatrix
) -> None:
    """The tiny scenario's residual waste sent to two sites in turn (two catchments), routed
    apart: checker-clean on the whole problem but for named unserved stops, every stop
    served exactly once or named."""
    sites = ["ST-W", "FAC-WTE"]
    points = sorted(p.id for p in tiny_scenario.points)
    assignment = {pid: sites[i % 2] for i, pid in enumerate(points)}
    p = build_problem(tiny_scenario, tiny_day0, 0, "other", tiny_matrix, assignment=assignment)
    assert len(split(p)) == 2
    plan = solve_territories(p, FAST)
    assert plan.check is not None and plan.check == check_plan(p, plan)
    assert all(v.kind == "unserved" for v in plan.check.violations)
    assert served_once(p, plan)


def test_a_lane_stop_is_served_when_the_only_vehicle_reaching_it_is_freed() -> None:
    """One truck F and one tricycle T (one 500 kg trip, the only vehicle reaching lane stop
    S2-2) over two catchments: T alone is given to S2 and fills itself with the other two
    stops there; the final repair frees it for the lane stop and the truck takes the other
    two on a second trip, so every stop is served as the whole problem would be."""
    sites = {"S1": (-3000.0, 2000.0), "S2": (3000.0, 2000.0)}
    groups = {"S1": ring(-3000, 2000, 3, r=600), "S2": ring(3000, 2000, 3, r=600)}
    fleets = (fleet("F", 1, capacity_kg=5000, max_trips=2), fleet("T", 1, 500, max_trips=1))
    p = city(groups, sites=sites, fleets=fleets, access={"S2-2": ("T",)})
    p = _with_loads(p, {"S2-0": 150, "S2-1": 350, "S2-2": 400})
    counts = allocate(p, split(p))
    assert counts["S2"] == {"F": 0, "T": 1}
    plan = solve_territories(p, FAST)
    assert plan.check is not None and plan.check.ok and not plan.unserved
    assert served_once(p, plan)


def test_scarce_tricycles_are_kept_for_the_lane_stops_only_they_reach() -> None:
    """A territory whose lane stops need most of its tricycles' shift: its ordinary stops may
    not use the tricycles; with tricycles to spare, nothing is restricted."""
    sites = {"S1": (-3000.0, 2000.0)}
    groups = {"S1": ring(-3000, 2000, 4, r=600)}
    fleets = (fleet("F", 1, capacity_kg=5000), fleet("T", 1, 500, max_trips=1))
    p = city(groups, sites=sites, fleets=fleets, access={"S1-0": ("T",)})
    (t,) = split(p)
    p = _with_loads(p, {"S1-0": 400})
    sub = subproblem(p, t, {"F": 1, "T": 1})
    assert {s.id: s.fleets for s in sub.stops} == {
        "S1-0": ("T",),
        "S1-1": ("F",),
        "S1-2": ("F",),
        "S1-3": ("F",),
    }
    roomy = subproblem(p, t, {"F": 1, "T": 3})  # 400 kg of 1,500: not scarce
    assert [s.fleets for s in roomy.stops] == [("T",), None, None, None]
    alone = subproblem(p, t, {"F": 0, "T": 1})  # no other fleet: tricycles serve everyone
    assert [s.fleets for s in alone.stops] == [("T",), None, None, None]


class _Refuse:
    """An executor that fails the test if it is asked to run anything."""

    lanes = 2

    def map(self, fn: object, items: object) -> Iterator[tuple[object, object]]:
        assert not list(items), "a stored territory was routed again"  # type: ignore[call-overload]
        return iter(())

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return "refuses work"


def test_finished_territories_are_reused_from_the_store(tmp_path: Path) -> None:
    """A rerun with the same store routes nothing again (an executor that refuses work) and
    gives the same plan; a new seed is new work."""
    p = three_catchments(8)
    store = CheckpointStore(tmp_path / "store")
    first = without_runtime(solve_territories(p, FAST, runner=Runner(store=store)))
    assert len(list(store.keys())) == 3
    again = solve_territories(p, FAST, runner=Runner(executor=_Refuse(), store=store))
    assert without_runtime(again) == first
    with pytest.raises(AssertionError, match="routed again"):
        other_seed = RoutingSettings(iterations=300, time_limit_s=30.0, seed=5)
        solve_territories(p, other_seed, runner=Runner(executor=_Refuse(), store=store))


def test_territories_routed_on_a_dask_cluster_give_the_local_plan(dask_address: str) -> None:
    """On a real LocalCluster the merged plan equals the one routed in this process."""
    p = three_catchments(8)
    local = without_runtime(solve_territories(p, FAST))
    with DaskExecutor(dask_address) as ex:
        on_dask = solve_territories(p, FAST, runner=Runner(executor=ex))
    assert without_runtime(on_dask) == local


_KILLED_RUN = """
import logging, sys
from test_routing_territories import three_catchments
from wasteopt.compute import CheckpointStore
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.territories import Runner, solve_territories
logging.basicConfig(level=logging.INFO, stream=sys.stdout)
p = three_catchments(12)
settings = RoutingSettings(time_limit_s=9.0, workers=1)
solve_territories(p, settings, runner=Runner(store=CheckpointStore(sys.argv[1])))
"""


def test_a_run_killed_with_sigkill_resumes_without_routing_finished_territories(
    tmp_path: Path, worker_pythonpath: str
) -> None:
    """A real subprocess killed with -9 after its first territory was stored: the rerun
    reuses what was stored and routes only the rest."""
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": worker_pythonpath}
    cmd = [sys.executable, "-c", _KILLED_RUN, str(store)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    t_end = time.time() + 60
    while time.time() < t_end and not list(store.glob("*.pkl")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = len(list(store.glob("*.pkl")))
    assert 1 <= stored < 3, "kill the run between its first and last territory"
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    reused = re.findall(r"territories: (\d+) of \d+ reused", again.stdout)
    assert sum(int(k) for k in reused) == stored
    assert len(list(store.glob("*.pkl"))) == 3
