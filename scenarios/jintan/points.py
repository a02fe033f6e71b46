"""The collection points of the Jintan scenario: where they are drawn, how many residents each
serves, its access class and collection frequencies (model: the ``build_tables.py``
docstring)."""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
from sources import CITY_LAT, CITY_LON, DISTRICTS, R_EARTH_M

# District bounding box (金坛区: 31°33′42″–31°53′22″ N, 119°17′45″–119°44′59″ E).
LAT_MIN, LAT_MAX = 31.5617, 31.8894
LON_MIN, LON_MAX = 119.2958, 119.7497

# 长荡湖 modelled as an ellipse 13.6 km (N–S) × 9.3 km (E–W); centre illustrative.
LAKE_LON, LAKE_LAT = 119.565, 31.625
LAKE_HALF_NS_KM, LAKE_HALF_EW_KM = 6.8, 4.65
LAKE_MARGIN_KM = 0.6

# Access classes (two tiers). Old town: lanes within this distance of the city centre.
OLD_TOWN_KM = 1.2
LANE_MAX_RESIDENTS = 500  # one e-tricycle load of residual waste per visit at VISIT_PEAK
MAIN_ROAD_RESIDENTS = 1500  # larger points: estate gate on a main road
SPLIT_OFFSET_M = 60.0

URBAN_BOX = {  # lon_min, lon_max, lat_min, lat_max — split at the 丹金溧漕河 (≈119.575)
    "XC": (119.530, 119.575, 31.712, 31.772),
    "DC": (119.575, 119.640, 31.712, 31.775),
}
URBAN_SIGMA_KM = {"XC": (1.5, 1.7), "DC": (2.2, 1.7)}
# 金城镇 sub-centres: 白塔 (north), 后阳 (north-west), 城南片 (south of the city).
JC_SUBCENTRES = [(119.575, 31.800), (119.522, 31.790), (119.575, 31.703)]

# Large generators (illustrative): markets and canteens with explicit kg/day rates.
# id, name, district, lon, lat, kitchen, recyclable, other kg/day
LARGE_GENERATORS = [
    ("P-LG-M1", "西城农贸市场(示意)", "西城街道", 119.561, 31.739, 2500, 200, 800),
    ("P-LG-M2", "东城农贸市场(示意)", "东城街道", 119.596, 31.747, 2500, 200, 800),
    ("P-LG-M3", "开发区农贸市场(示意)", "东城街道", 119.622, 31.731, 2000, 150, 600),
    ("P-LG-M4", "薛埠集镇农贸市场(示意)", "薛埠镇", 119.398, 31.712, 1200, 100, 400),
    ("P-LG-C1", "城区中学食堂(示意)", "西城街道", 119.548, 31.752, 600, 50, 200),
    ("P-LG-C2", "开发区企业食堂(示意)", "东城街道", 119.633, 31.722, 800, 50, 250),
    ("P-LG-C3", "区人民医院食堂(示意)", "东城街道", 119.583, 31.735, 500, 50, 200),
]


def km_to_dlat(km: float) -> float:
    return km / (R_EARTH_M / 1000.0 * math.pi / 180.0)


def km_to_dlon(km: float, lat: float) -> float:
    return km_to_dlat(km) / math.cos(math.radians(lat))


def haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * R_EARTH_M * np.arcsin(np.sqrt(a))


def in_lake(lon: float, lat: float, margin_km: float = LAKE_MARGIN_KM) -> bool:
    """True inside the 长荡湖 ellipse grown by ``margin_km``."""
    dy_km = (lat - LAKE_LAT) * R_EARTH_M / 1000 * math.pi / 180
    dx_km = (lon - LAKE_LON) * R_EARTH_M / 1000 * math.pi / 180 * math.cos(math.radians(lat))
    a, b = LAKE_HALF_NS_KM + margin_km, LAKE_HALF_EW_KM + margin_km
    return (dy_km / a) ** 2 + (dx_km / b) ** 2 <= 1.0


def in_district(lon: float, lat: float) -> bool:
    return LON_MIN + 0.01 <= lon <= LON_MAX - 0.01 and LAT_MIN + 0.01 <= lat <= LAT_MAX - 0.01


def valid(lon: float, lat: float) -> bool:
    return in_district(lon, lat) and not in_lake(lon, lat)


def gauss(
    rng: np.random.Generator, lon0: float, lat0: float, sx_km: float, sy_km: float
) -> tuple[float, float]:
    return (lon0 + rng.normal() * km_to_dlon(sx_km, lat0), lat0 + rng.normal() * km_to_dlat(sy_km))


def place(
    rng: np.random.Generator, code: str, kind: str, lon0: float, lat0: float, n: int
) -> list[tuple[float, float, str]]:
    """Draw ``n`` (lon, lat, kind-of-point) tuples for one subdistrict/town."""
    out: list[tuple[float, float, str]] = []
    while len(out) < n:
        i = len(out)
        if kind == "urban":
            lo_min, lo_max, la_min, la_max = URBAN_BOX[code]
            sx, sy = URBAN_SIGMA_KM[code]
            lon, lat = gauss(rng, lon0, lat0, sx, sy)
            ok = lo_min <= lon <= lo_max and la_min <= lat <= la_max
            label = "小区"
        elif kind == "ring":
            if i % 5 < 2:  # 40 % at the three sub-centres
                c_lon, c_lat = JC_SUBCENTRES[rng.integers(len(JC_SUBCENTRES))]
                lon, lat = gauss(rng, c_lon, c_lat, 1.0, 1.0)
                label = "集镇"
            else:  # 60 % villages in a 4–10 km ring, not east of 119.645 (尧塘) nor west of 119.49
                r_km, th = rng.uniform(4.0, 10.0), rng.uniform(0, 2 * math.pi)
                lon = lon0 + km_to_dlon(r_km * math.cos(th), lat0)
                lat = lat0 + km_to_dlat(r_km * math.sin(th))
                label = "村"
            ok = 119.49 <= lon <= 119.645 and lat >= 31.685
            # keep the urban core (both subdistrict boxes) for 西城/东城 points
            ok = ok and not (119.530 <= lon <= 119.640 and 31.712 <= lat <= 31.772)
        else:
            if i % 5 < 3:  # 60 % in the town seat
                lon, lat = gauss(rng, lon0, lat0, 1.2, 1.2)
                label = "集镇"
            else:
                lon, lat = gauss(rng, lon0, lat0, 3.5, 3.5)
                label = "村"
            ok = float(haversine_m(lon, lat, lon0, lat0)) <= 9000.0
        if ok and valid(lon, lat):
            out.append((round(lon, 5), round(lat, 5), label))
    return out


def split_exact(rng: np.random.Generator, total: int, n: int, sigma: float = 0.35) -> list[int]:
    """``n`` lognormal weights scaled to integers summing to ``total`` (largest remainder)."""
    w = rng.lognormal(0.0, sigma, size=n)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(int)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return [int(x) for x in base]


def access_of(kind: str, lon: float, lat: float, residents: int, k: int) -> str:
    """Road access of a generated point (rules in the module docstring); a village's point is
    its collection room on the village road (residential), not the lanes behind it."""
    if kind == "urban" and float(haversine_m(lon, lat, CITY_LON, CITY_LAT)) <= OLD_TOWN_KM * 1e3:
        return "lane"
    if residents > MAIN_ROAD_RESIDENTS or (kind == "urban" and k % 4 == 0):
        return "main_road"
    return "residential"


def split_lane(lon: float, lat: float, residents: int) -> list[tuple[float, float, int]]:
    """A lane point as ⌈residents / LANE_MAX_RESIDENTS⌉ points on a small circle around it."""
    n = math.ceil(residents / LANE_MAX_RESIDENTS)
    if n <= 1:
        return [(lon, lat, residents)]
    shares = [residents // n + (1 if j < residents % n else 0) for j in range(n)]
    out = []
    for j, r in enumerate(shares):
        th = 2 * math.pi * j / n
        x = round(lon + km_to_dlon(SPLIT_OFFSET_M / 1e3 * math.cos(th), lat), 5)
        y = round(lat + km_to_dlat(SPLIT_OFFSET_M / 1e3 * math.sin(th)), 5)
        out.append((x, y, r) if valid(x, y) else (lon, lat, r))
    return out


def frequencies(access: str, village: bool) -> dict[str, str]:
    """Collection frequency per stream: residual twice a day at lane points (one e-tricycle
    load per visit); hazardous monthly, and not collected at village lane points (villagers
    take hazardous items to the town seat's point)."""
    return {
        "freq.kitchen": "daily",
        "freq.other": "twice_daily" if access == "lane" else "daily",
        "freq.recyclable": "every_other_day",
        "freq.hazardous": "none" if village else "monthly",
    }


def town_kind(name: str) -> str:
    """``street`` for a 街道 (subdistrict), ``town`` for a 镇."""
    return "street" if name.endswith("街道") else "town"


def compliant(pid: str, village: bool) -> str:
    """The ``compliant`` cell (illustrative, no source): one village point in 8 and one other
    household point in 25 fails the sorting standard, picked by a hash of its id (no random
    draw, so every other column stays as it was); empty = compliant (the default)."""
    return "false" if zlib.crc32(pid.encode("utf-8")) % (8 if village else 25) == 0 else ""


def make_points(rng: np.random.Generator) -> list[dict[str, Any]]:
    """Household points of the nine units (with access and frequencies), then large generators."""
    points: list[dict[str, Any]] = []
    for code, name, kind, lon0, lat0, residents, per_point in DISTRICTS:
        n = round(residents / per_point)
        locs = place(rng, code, kind, lon0, lat0, n)
        res = split_exact(rng, residents, n)
        for k, ((lon, lat, label), r) in enumerate(zip(locs, res, strict=True), start=1):
            village = label == "村"
            access = access_of(kind, lon, lat, r, k)
            parts = split_lane(lon, lat, r) if access == "lane" else [(lon, lat, r)]
            for j, (x, y, rj) in enumerate(parts):
                suffix = "abcdefgh"[j] if len(parts) > 1 else ""
                pid = f"P-{code}-{k:03d}{suffix}"
                points.append(
                    {
                        "id": pid,
                        "name": f"{name}{label}收集点{k:03d}{suffix}",
                        "lon": f"{x:.5f}",
                        "lat": f"{y:.5f}",
                        "district": name,
                        "residents": rj,
                        "service_time_s": 240 if kind == "urban" else (150 if village else 180),
                        "access": access,
                        "large_generator": "false",
                        **frequencies(access, village),
                        "town_kind": town_kind(name),
                        "compliant": compliant(pid, village),
                    }
                )
    for pid, name, district, lon, lat, kit, rec, oth in LARGE_GENERATORS:
        points.append(
            {
                "id": pid,
                "name": name,
                "lon": f"{lon:.5f}",
                "lat": f"{lat:.5f}",
                "district": district,
                "service_time_s": 300,
                "access": "main_road",
                "large_generator": "true",
                "kg_per_day.kitchen": kit,
                "kg_per_day.recyclable": rec,
                "kg_per_day.other": oth,
                "freq.kitchen": "twice_daily",
                "freq.other": "daily",
                "freq.recyclable": "every_other_day",
                "freq.hazardous": "none",
                "town_kind": town_kind(district),
            }
        )
    return points


POINT_COLS = [
    "id", "name", "lon", "lat", "district", "residents", "households", "service_time_s",
    "tw_start", "tw_end", "access", "large_generator", "kg_per_day.kitchen",
    "kg_per_day.recyclable", "kg_per_day.other", "freq.kitchen", "freq.recyclable",
    "freq.hazardous", "freq.other", "town_kind", "compliant",
]  # fmt: skip


def point_kg(p: dict[str, Any], stream: str, per_person: dict[str, float]) -> float:
    """Mean kg/day of ``stream`` in the bins of point ``p``."""
    if f"kg_per_day.{stream}" in p:
        return float(p[f"kg_per_day.{stream}"])
    return float(p.get("residents", 0)) * per_person[stream]
