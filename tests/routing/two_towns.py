"""Two towns 20 km apart, each with its depot, its unload site and a ring of stops: the small
problem of the fleet-share and vehicle-choice tests (straight-line roads at 25 km/h)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from wasteopt.routing.problem import Depot, Fleet, RoutingProblem, Stop, UnloadSite

H = 3600
DEPOTS = {"GW": (-10_000.0, 0.0), "GE": (10_000.0, 0.0)}
SITES = {"SW": (-9_000.0, 2_000.0), "SE": (9_000.0, 2_000.0)}


def fleet(fid: str, depot: str, count: int, capacity_kg: int = 1000, **kw: object) -> Fleet:
    """A collection fleet of ``depot`` with a 7:00–17:00 shift, 200 CNY a day, 4 CNY a km."""
    base: dict[str, object] = dict(
        shift_start_s=7 * H, shift_end_s=17 * H, fixed_cost=200.0, cost_per_km=4.0
    )
    base.update(kw)
    return Fleet(id=fid, stream="other", depot=depot, count=count, capacity_kg=capacity_kg, **base)  # type: ignore[arg-type]


def two_towns(
    n: dict[str, int],
    fleets: tuple[Fleet, ...],
    *,
    load_kg: int = 300,
    service_s: int = 120,
    access: Mapping[str, tuple[str, ...]] | None = None,
    radius_m: Mapping[str, float] | None = None,
    depots: Mapping[str, tuple[float, float]] | None = None,
) -> RoutingProblem:
    """``n[site]`` stops ``<site>-<i>`` on a ring round each site (600 m, or ``radius_m[site]``),
    unloading there; ``depots`` moves depots (id → x, y metres)."""
    at = {**DEPOTS, **(depots or {})}
    ring = {s: (radius_m or {}).get(s, 600.0) for s in SITES}
    stop_xy = [
        (
            f"{s}-{i}",
            s,
            (
                x + ring[s] * math.cos(2 * math.pi * i / k),
                y + ring[s] * math.sin(2 * math.pi * i / k),
            ),
        )
        for s, (x, y) in SITES.items()
        for k in [n.get(s, 0)]
        for i in range(k)
    ]
    locs = (*at, *SITES, *(sid for sid, _, _ in stop_xy))
    xy = np.array([*at.values(), *SITES.values(), *(p for _, _, p in stop_xy)])
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(int)
    stops = tuple(
        Stop(
            id=sid,
            stream="other",
            load_kg=load_kg,
            service_s=service_s,
            tw_start_s=0,
            tw_end_s=48 * H,
            unload_at=(s,),
            fleets=(access or {}).get(sid),
        )
        for sid, s, _ in stop_xy
    )
    return RoutingProblem(
        name="two-towns",
        stream="other",
        stops=stops,
        sites=tuple(UnloadSite(id=s, streams=("other",), unload_s=300) for s in SITES),
        depots=tuple(Depot(id=d) for d in at),
        fleets=fleets,
        locations=locs,
        distance_m=dist,
        durations_s=(np.rint(dist / (25 / 3.6)).astype(int),),
    )
