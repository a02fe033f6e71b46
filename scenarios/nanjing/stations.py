"""The transfer stations of the Nanjing-like city, sized per district from its waste (rule:
the ``build_city.py`` docstring; README "Transfer stations")."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from points import km_to_dlon, point_kg
from sources import DISTRICTS, PEAK, District

STATION_COLS = [
    "id", "name", "lon", "lat", "district", "status", "streams", "capacity_t_per_day", "bays",
    "stream_bays", "unload_time_s", "open", "close", "fixed_cost_cny_per_year",
    "cost_cny_per_t", "opening_cost_cny", "closing_cost_cny", "compaction_ratio", "compaction",
    "containers", "container_t", "separates_streams", "meets_standard", "built_year",
    "condition", "staff", "decision",
]  # fmt: skip
# Large stations (大型转运站, 600–800 t/d each, §3 M): Jiangbei 800 t/d with 10 bays and 15 t
# containers (§3 M); the other three sites and sizes are illustrative. A district gets its large
# station when its peak residual reaches the station's capacity (so scaled-down cities have
# small stations only). code -> id, name, lon, lat, t/d, bays
LARGE: dict[str, tuple[str, str, float, float, int, int]] = {
    "PK": ("ST-PK-L", "江北大型生活垃圾转运站", 118.700, 32.165, 800, 10),
    "QX": ("ST-QX-L", "栖霞大型生活垃圾转运站", 118.880, 32.125, 700, 8),
    "JN": ("ST-JN-L", "江宁大型生活垃圾转运站", 118.815, 31.895, 800, 10),
    "GL": ("ST-GL-L", "鼓楼大型生活垃圾转运站", 118.740, 32.100, 600, 8),
}
SMALL_SIZES = (50, 60, 70, 80, 90, 100)  # small stations: 50–100 t/d each (§3 M)
KITCHEN_STATION_MAX_T = 200  # a kitchen-waste transfer station's size (illustrative)
SMALL_FIXED_CNY = 42_000  # 3,000–4,000 CNY/month without labour (a Jiangsu small station, §3 M)


def kmeans(rng: np.random.Generator, xy: np.ndarray, k: int, iters: int = 20) -> np.ndarray:
    """``k`` centres of the points ``xy`` (Lloyd's algorithm, seeded start): station sites in
    the middle of their catchments."""
    scale = np.array([math.cos(math.radians(float(xy[:, 1].mean()))), 1.0])
    pts = xy * scale
    c = pts[rng.choice(len(pts), size=min(k, len(pts)), replace=False)].copy()
    k = len(c)
    for _ in range(iters):
        lab = np.argmin(((pts[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)
        for j in range(k):
            if np.any(lab == j):
                c[j] = pts[lab == j].mean(axis=0)
    return np.asarray(c / scale)


def draw_sizes(rng: np.random.Generator, need_t: float) -> list[int]:
    """Small-station capacities drawn from SMALL_SIZES until they cover ``need_t`` (≥ 1)."""
    sizes = [int(rng.choice(SMALL_SIZES))]
    while sum(sizes) < need_t:
        sizes.append(int(rng.choice(SMALL_SIZES)))
    return sizes


def small_row(
    rng: np.random.Generator, d: District, j: int, xy: np.ndarray, cap: int, town: bool
) -> dict[str, Any]:
    """A small urban station (residual only) or a town station (residual and kitchen waste in
    their own bays and containers); ages and conditions drawn (illustrative)."""
    built = int(rng.integers(1998, 2016)) if not town else int(rng.integers(2008, 2016))
    row = common(d, xy)
    row.update(
        id=f"ST-{d.code}-{'T' if town else 'S'}{j:02d}",
        name=f"{d.name}{'镇级' if town else '小型'}转运站{j:02d}",
        streams="other;kitchen" if town else "other",
        capacity_t_per_day=cap,
        bays=2 if town or cap > 60 else 1,
        stream_bays="other:1;kitchen:1" if town else "",
        unload_time_s=480,
        open="05:00",
        close="20:00",
        fixed_cost_cny_per_year=60_000 if town else SMALL_FIXED_CNY,
        cost_cny_per_t=15,
        closing_cost_cny=150_000 if town else 100_000,
        compaction_ratio=3.0 if town else 2.5,  # 60–70 % volume reduction (§3 L)
        containers=math.ceil(1.5 * cap / (10 if town else 8)) + 2,
        container_t=10.0 if town else 8.0,
        meets_standard="true" if built >= 2005 else "false",
        built_year=built,
        condition="poor" if built < 2003 else ("fair" if built < 2010 else "good"),
        staff=5 if town else (3 if cap <= 60 else 4),
    )
    return row


def common(d: District, xy: Any) -> dict[str, Any]:
    return {
        "lon": f"{float(xy[0]):.5f}", "lat": f"{float(xy[1]):.5f}", "district": d.name,
        "status": "existing", "opening_cost_cny": 0, "compaction": "",
        "separates_streams": "true", "decision": "free",
    }  # fmt: skip


def large_row(code: str, d: District) -> dict[str, Any]:
    """A large residual station: 15 t containers, vertical compactors (≥ 0.6 t/m³, §3 M:
    0.6 ÷ 0.145 ≈ 4)."""
    sid, name, lon, lat, cap, bays = LARGE[code]
    row = common(d, (lon, lat))
    row.update(
        id=sid, name=name, streams="other", capacity_t_per_day=cap, bays=bays, stream_bays="",
        unload_time_s=420, open="04:00", close="22:00", fixed_cost_cny_per_year=3_000_000,
        cost_cny_per_t=10, closing_cost_cny=0, compaction_ratio=4.0,
        containers=math.ceil(1.5 * cap / 15) + 4, container_t=15.0, meets_standard="true",
        built_year=2015, condition="good", staff=40,
    )  # fmt: skip
    return row


def kitchen_row(d: District, j: int, xy: np.ndarray, cap: int) -> dict[str, Any]:
    """A kitchen-waste transfer station (six were rebuilt in 2021, §5 M): no press (kitchen
    waste is not compacted), 10 t boxes as in Gulou (§4 M)."""
    row = common(d, xy)
    row.update(
        id=f"ST-{d.code}-K{j:02d}", name=f"{d.name}厨余垃圾中转站{j:02d}", streams="kitchen",
        capacity_t_per_day=cap, bays=2 if cap <= 100 else 3, stream_bays="", unload_time_s=420,
        open="05:00", close="21:00", fixed_cost_cny_per_year=400_000, cost_cny_per_t=20,
        closing_cost_cny=100_000, compaction_ratio=1.0,
        containers=math.ceil(1.5 * cap / 10) + 2, container_t=10.0, meets_standard="true",
        built_year=2021, condition="good", staff=6,
    )  # fmt: skip
    return row


def load_t(points: list[dict[str, Any]], stream: str, per_person: dict[str, float]) -> float:
    """Mean t/day of ``stream`` at ``points``."""
    return sum(point_kg(p, stream, per_person) for p in points) / 1000


def station_rows(
    rng: np.random.Generator, points: list[dict[str, Any]], per_person: dict[str, float]
) -> list[dict[str, Any]]:
    """stations.csv rows, district by district (README, "Transfer stations")."""
    rows: list[dict[str, Any]] = []
    for d in DISTRICTS:
        homes = [p for p in points if p["_code"] == d.code and "residents" in p]
        xy = np.array([[float(p["lon"]), float(p["lat"])] for p in homes])
        other = PEAK * load_t(homes, "other", per_person)
        kitchen = PEAK * load_t(homes, "kitchen", per_person)
        if d.kind == "rural":
            sizes = draw_sizes(rng, other + kitchen)
            sites = kmeans(rng, xy, len(sizes))
            rows += [small_row(rng, d, j + 1, sites[j], c, True) for j, c in enumerate(sizes)]
            continue
        if d.code in LARGE and other >= LARGE[d.code][4]:
            rows.append(large_row(d.code, d))
            other -= LARGE[d.code][4]
        sizes = draw_sizes(rng, other)
        sites = kmeans(rng, xy, len(sizes))
        rows += [small_row(rng, d, j + 1, sites[j], c, False) for j, c in enumerate(sizes)]
        n_kit = max(1, math.ceil(kitchen / KITCHEN_STATION_MAX_T))
        cap = max(30, 10 * math.ceil(kitchen / n_kit / 10))
        # a kitchen station's own site: 150 m east of its catchment's centre (a one-station
        # district would otherwise put it on the residual station's spot)
        east = np.array([km_to_dlon(0.15, float(xy[:, 1].mean())), 0.0])
        sites = kmeans(rng, xy, n_kit) + east
        rows += [kitchen_row(d, j + 1, sites[j], cap) for j in range(n_kit)]
    return rows
