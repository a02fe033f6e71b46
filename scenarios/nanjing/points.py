"""The collection points of the Nanjing-like city: how many of each kind every district gets,
where they lie, what each generates, its access class, frequencies and windows (model: the
``build_city.py`` docstring)."""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
from sources import (
    CANTEEN_SHARE,
    CATERING_KG_PER_PERSON_DAY,
    CATERING_WINDOW,
    DISTRICTS,
    FULL_POINTS,
    MARKET_MIX,
    MARKET_SHARE,
    MARKET_T_PER_DAY_FULL,
    R_EARTH_M,
    RESTAURANT_CATERING_SHARE,
    RESTAURANT_SHARE,
    RIVER_MARGIN_DEG,
    TOTAL_RESIDENTS,
    YANGTZE,
    District,
)

POINT_COLS = [
    "id", "name", "lon", "lat", "district", "residents", "service_time_s", "access",
    "large_generator", "kg_per_day.kitchen", "kg_per_day.recyclable", "kg_per_day.other",
    "kg_per_day.catering", "freq.kitchen", "freq.recyclable", "freq.hazardous", "freq.other",
    "tw_start.catering", "tw_end.catering", "town", "town_kind", "compliant",
]  # fmt: skip
DEFAULT_SERVICE_S = 240  # scenario.toml [defaults]: a community's bin room

# Household point mix by district kind (illustrative); a core district with an old town puts
# 15 % of its points in the lanes.
MIX = {
    "old_core": {"lane": 0.15, "community": 0.85},
    "core": {"community": 1.0},
    "suburb": {"community": 0.8, "village": 0.2},
    "rural": {"community": 0.45, "village": 0.55},
}
# Residents per point relative to a community (lanes: the figure used to count points only).
WEIGHT = {"community": 1.0, "village": 0.6, "lane": 0.55}
# A lane point must fit one e-tricycle visit of residual waste (collected twice a day) on the
# worst day: 0.635 kg/p/d ÷ 2 × VISIT_PEAK 2.2 × 550 = 384 kg ≤ 435 kg (3 m³ × 145 kg/m³).
LANE_MEAN, LANE_MIN, LANE_MAX = 330, 150, 550
MAIN_ROAD_RESIDENTS = 1500  # a big estate's bin room at its gate
RESTAURANT_DENSITY = {"core": 1.4, "suburb": 1.0, "rural": 0.7}  # restaurants per resident
LETTER = {
    "community": "C", "lane": "L", "village": "V", "restaurant": "R", "canteen": "T",
    "market": "M",
}  # fmt: skip
LABEL = {
    "community": "小区", "lane": "老城街巷", "village": "村收集点", "restaurant": "餐馆",
    "canteen": "单位食堂", "market": "农贸市场",
}  # fmt: skip
SERVICE_S = {"lane": 180, "village": 150, "restaurant": 180, "canteen": 300, "market": 300}
# A caterer's day must fit one 5 t catering truck on the worst day: 5,000 ÷ VISIT_PEAK 2.2.
CATERING_MAX_KG = 2000.0


def km_to_dlat(km: Any) -> Any:
    return km / (R_EARTH_M / 1000.0 * math.pi / 180.0)


def km_to_dlon(km: Any, lat: float) -> Any:
    return km_to_dlat(km) / math.cos(math.radians(lat))


def on_bank(lon: np.ndarray, lat: np.ndarray, bank: str) -> np.ndarray:
    """True where (lon, lat) lies on ``bank`` ("north" or "south") of the Yangtze polyline,
    at least RIVER_MARGIN_DEG of latitude away from it."""
    river = np.interp(lon, [p[0] for p in YANGTZE], [p[1] for p in YANGTZE])
    if bank == "north":
        return np.asarray(lat > river + RIVER_MARGIN_DEG)
    return np.asarray(lat < river - RIVER_MARGIN_DEG)


def allocate(total: int, weights: Any) -> list[int]:
    """``total`` split in proportion to ``weights`` (integers, largest remainder, exact sum)."""
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return [int(x) for x in base]


def around(
    rng: np.random.Generator,
    centres: tuple[tuple[float, float, float], ...],
    n: int,
    bank: str,
    cut: float = 2.5,
) -> np.ndarray:
    """``n`` (lon, lat) rows, Gaussian around centres picked in proportion to their area (σ²),
    cut at ``cut`` σ, on the district's bank (rejection sampling in batches)."""
    weights = np.array([c[2] ** 2 for c in centres])
    out = np.empty((0, 2))
    while len(out) < n:
        m = 2 * (n - len(out)) + 16
        idx = rng.choice(len(centres), size=m, p=weights / weights.sum())
        c = np.array(centres)[idx]
        z = rng.normal(size=(m, 2))
        keep = np.hypot(z[:, 0], z[:, 1]) <= cut
        lat = c[:, 1] + km_to_dlat(z[:, 1] * c[:, 2])
        lon = c[:, 0] + km_to_dlon(z[:, 0] * c[:, 2], float(np.mean(c[:, 1])))
        keep &= on_bank(lon, lat, bank)
        out = np.vstack([out, np.column_stack([lon, lat])[keep]])
    return out[:n]


def villages(rng: np.random.Generator, d: District, n: int) -> np.ndarray:
    """``n`` village points uniform over the ring 3 … ``village_km`` km around the seat."""
    lon0, lat0, _ = d.centres[0]
    out = np.empty((0, 2))
    while len(out) < n:
        m = 2 * (n - len(out)) + 16
        r = np.sqrt(rng.uniform(9.0, d.village_km**2, size=m))
        th = rng.uniform(0.0, 2 * math.pi, size=m)
        lon = lon0 + km_to_dlon(r * np.cos(th), lat0)
        lat = lat0 + km_to_dlat(r * np.sin(th))
        out = np.vstack([out, np.column_stack([lon, lat])[on_bank(lon, lat, d.bank)]])
    return out[:n]


def split_exact(rng: np.random.Generator, total: int, weights: np.ndarray, sigma: float) -> Any:
    """Integers summing to ``total``: ``weights`` × lognormal(σ) noise, largest remainder."""
    return np.array(allocate(total, weights * rng.lognormal(0.0, sigma, size=len(weights))))


def capped(weights: np.ndarray, total: float, cap: float) -> np.ndarray:
    """``total`` split in proportion to ``weights`` with no share above ``cap``: the excess of
    the largest is spread over the others in proportion (water filling)."""
    if total > cap * len(weights):
        raise ValueError(f"{total:g} cannot be split into {len(weights)} shares of <= {cap:g}")
    x = weights / weights.sum() * total
    while (over := x > cap).any():
        excess = float((x[over] - cap).sum())
        x[over] = cap
        under = x < cap
        x[under] += excess * x[under] / x[under].sum()
    return np.asarray(x)


def mix_of(d: District) -> dict[str, float]:
    return MIX["old_core" if d.old_town else d.kind]


def household_counts(n_household: int, residents: list[int]) -> list[dict[str, int]]:
    """Household points per district and kind: districts in proportion to residents ÷ the mean
    weight of their mix (a village or lane point serves fewer people), kinds by the mix."""
    mean_w = [sum(f * WEIGHT[k] for k, f in mix_of(d).items()) for d in DISTRICTS]
    per_district = allocate(n_household, [r / w for r, w in zip(residents, mean_w, strict=True)])
    out = []
    for d, n in zip(DISTRICTS, per_district, strict=True):
        mix = mix_of(d)
        out.append(dict(zip(mix, allocate(n, list(mix.values())), strict=True)))
    return out


def household_points(
    rng: np.random.Generator, d: District, counts: dict[str, int], residents: int
) -> list[dict[str, Any]]:
    """The lanes, communities and villages of district ``d``, serving ``residents`` in all."""
    n_lane = counts.get("lane", 0)
    lane_r = np.clip(np.round(LANE_MEAN * rng.lognormal(0.0, 0.25, n_lane)), LANE_MIN, LANE_MAX)
    kinds = ["community"] * counts.get("community", 0) + ["village"] * counts.get("village", 0)
    rest = split_exact(
        rng, residents - int(lane_r.sum()), np.array([WEIGHT[k] for k in kinds]), 0.35
    )
    locs: list[np.ndarray] = []
    if n_lane:
        assert d.old_town is not None
        locs.append(around(rng, (d.old_town,), n_lane, d.bank, cut=2.0))
    locs.append(around(rng, d.centres, counts.get("community", 0), d.bank))
    locs.append(villages(rng, d, counts.get("village", 0)))
    xy = np.vstack(locs)
    rows = []
    for i, (kind, r) in enumerate(zip(["lane"] * n_lane + kinds, [*lane_r, *rest], strict=True)):
        rows.append(household_row(d, kind, i + 1, xy[i], int(r)))
    return rows


def household_row(d: District, kind: str, k: int, xy: np.ndarray, residents: int) -> dict[str, Any]:
    """One household point: access class and frequencies by kind (README, "Points")."""
    row = base_row(d, kind, k, xy)
    row["residents"] = residents
    if kind == "lane":
        # residual twice a day (one e-tricycle load a visit); recyclables by appointment and
        # hazardous items at the community's point (§7 M): not collected at the lane
        row.update(access="lane", **{"freq.other": "twice_daily", "freq.recyclable": "none"})
        row["freq.hazardous"] = "none"
        return row
    if kind == "village":
        row.update(access="residential", **{"freq.recyclable": "twice_weekly"})
        row["freq.hazardous"] = "none"  # villagers take them to the town's point (§7 M)
        return row
    every = 5 if d.kind == "rural" else 3  # one point in three on a main road (five in towns)
    big = residents > MAIN_ROAD_RESIDENTS or k % every == 0
    row["access"] = "main_road" if big else "residential"
    return row


def base_row(d: District, kind: str, k: int, xy: np.ndarray) -> dict[str, Any]:
    """The fields every point has (``_kind`` and ``_code`` are for the builder, not written)."""
    row: dict[str, Any] = {
        "id": f"{d.code}-{LETTER[kind]}{k:05d}",
        "name": f"{d.name}{LABEL[kind]}{k:05d}",
        "lon": f"{xy[0]:.5f}",
        "lat": f"{xy[1]:.5f}",
        "district": d.name,
        "_kind": kind,
        "_code": d.code,
    }
    if kind in SERVICE_S:
        row["service_time_s"] = SERVICE_S[kind]
    return row


def catering_rows(
    rng: np.random.Generator, kind: str, per_district: list[int], total_kg: float, sigma: float
) -> list[dict[str, Any]]:
    """Restaurants or canteens: catering waste only (lognormal sizes, none above
    CATERING_MAX_KG, summing exactly to ``total_kg``), collected daily by the catering fleet in
    the night window."""
    draws = rng.lognormal(0.0, sigma, size=sum(per_district))
    shares = capped(draws, total_kg * 10, CATERING_MAX_KG * 10)
    sizes = np.array(allocate(round(total_kg * 10), shares)) / 10
    rows: list[dict[str, Any]] = []
    for d, n in zip(DISTRICTS, per_district, strict=True):
        xy = around(rng, d.centres, n, d.bank)
        if kind == "restaurant" and d.old_town and n:  # the old town's food streets
            m = n * 3 // 10
            xy[:m] = around(rng, ((*d.old_town[:2], 1.5 * d.old_town[2]),), m, d.bank, cut=2.0)
        for k in range(n):
            row = base_row(d, kind, k + 1, xy[k])
            row["kg_per_day.catering"] = f"{sizes[len(rows)]:.1f}"
            row["tw_start.catering"], row["tw_end.catering"] = CATERING_WINDOW
            if kind == "canteen":
                row.update(access="main_road", large_generator="true")
            else:  # two in five on a main road, the rest on estate and side streets
                row["access"] = "main_road" if k % 5 < 2 else "residential"
            rows.append(row)
    return rows


def market_rows(rng: np.random.Generator, per_district: list[int], scale: float) -> list[Any]:
    """Markets (large generators on main roads): kitchen (其他厨余), recyclables and residual."""
    n = sum(per_district)
    weights = rng.lognormal(0.0, 0.4, size=n)
    by_stream = {
        s: np.array(allocate(round(MARKET_T_PER_DAY_FULL * 1e4 * scale * f), weights)) / 10
        for s, f in MARKET_MIX.items()
    }
    rows: list[dict[str, Any]] = []
    for d, m in zip(DISTRICTS, per_district, strict=True):
        xy = around(rng, d.centres, m, d.bank)
        for k in range(m):
            row = base_row(d, "market", k + 1, xy[k])
            row.update(access="main_road", large_generator="true")
            for s, kg in by_stream.items():
                row[f"kg_per_day.{s}"] = f"{kg[len(rows)]:.1f}"
            row["freq.kitchen"] = "twice_daily"  # twice a day, as Gulou in summer (§4 M)
            rows.append(row)
    return rows


def make_points(rng: np.random.Generator, n_points: int) -> list[dict[str, Any]]:
    """Every point of a city of ``n_points``: households, restaurants, canteens, markets."""
    scale = n_points / FULL_POINTS
    n_rest = round(n_points * RESTAURANT_SHARE)
    n_cant = round(n_points * CANTEEN_SHARE)
    n_market = round(n_points * MARKET_SHARE)
    residents = allocate(round(TOTAL_RESIDENTS * scale), [d.residents for d in DISTRICTS])
    counts = household_counts(n_points - n_rest - n_cant - n_market, residents)
    points: list[dict[str, Any]] = []
    for d, c, r in zip(DISTRICTS, counts, residents, strict=True):
        points += household_points(rng, d, c, r)
    catering_kg = CATERING_KG_PER_PERSON_DAY * sum(residents)
    dense = [r * RESTAURANT_DENSITY[d.kind] for d, r in zip(DISTRICTS, residents, strict=True)]
    points += catering_rows(
        rng, "restaurant", allocate(n_rest, dense), catering_kg * RESTAURANT_CATERING_SHARE, 0.6
    )
    canteen_kg = catering_kg * (1 - RESTAURANT_CATERING_SHARE)
    points += catering_rows(rng, "canteen", allocate(n_cant, residents), canteen_kg, 0.5)
    points += market_rows(rng, allocate(n_market, residents), scale)
    for p in points:
        p.update(town_of(p))
    return points


# One household point in NONCOMPLIANT[kind] fails the sorting standard (illustrative).
NONCOMPLIANT = {"lane": 10, "village": 8, "community": 25}


def town_of(p: dict[str, Any]) -> dict[str, str]:
    """The point's town (illustrative): the built-up centre of its district it lies nearest to,
    a 街道 (``street``) except the outer centres of rural districts (镇, ``town``); and its
    ``compliant`` cell, ``false`` for one household point in NONCOMPLIANT[kind] picked by a
    hash of its id (no random draw: every other column stays as it was)."""
    d = next(x for x in DISTRICTS if x.code == p["_code"])
    lon, lat = float(p["lon"]), float(p["lat"])
    squared = [
        ((lon - c[0]) * math.cos(math.radians(lat))) ** 2 + (lat - c[1]) ** 2 for c in d.centres
    ]
    k = squared.index(min(squared))
    street = d.kind != "rural" or k == 0
    every = NONCOMPLIANT.get(p["_kind"])
    bad = every is not None and zlib.crc32(p["id"].encode("utf-8")) % every == 0
    return {
        "town": f"{d.name}{k + 1}号{'街道' if street else '镇'}",
        "town_kind": "street" if street else "town",
        "compliant": "false" if bad else "",
    }


def point_kg(p: dict[str, Any], stream: str, per_person: dict[str, float]) -> float:
    """Mean kg/day of ``stream`` in the bins of point ``p``."""
    if f"kg_per_day.{stream}" in p:
        return float(p[f"kg_per_day.{stream}"])
    if "kg_per_day.catering" in p or "residents" not in p:
        return 0.0  # explicit rates only: no residents behind them
    return float(p["residents"]) * per_person.get(stream, 0.0)


def is_due(p: dict[str, Any], stream: str, per_person: dict[str, float]) -> bool:
    """True when ``p`` generates ``stream`` and collects it (frequency not ``none``)."""
    return point_kg(p, stream, per_person) > 0 and p.get(f"freq.{stream}") != "none"
