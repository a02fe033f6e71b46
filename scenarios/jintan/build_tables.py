"""Build the CSV tables of the Jintan (金坛区) scenario, deterministically.

Run from the repository root with the project venv::

    .venv/bin/python scenarios/jintan/build_tables.py

It (re)writes points.csv, depots.csv, stations.csv, facilities.csv and vehicle_types.csv next to
this file and prints a short summary. scenario.toml is hand-written; the generation constants
below (KG_PER_PERSON_DAY, stream shares, capture rates, missorting) mirror it and are used only
to size the fleet. See README.md for where every figure comes from.

Point model: each of the nine subdistricts/towns gets ``round(residents / residents_per_point)``
collection points. Urban points are Gaussian around the subdistrict centre, clipped to a box;
town points are 60 % around the town seat (σ ≈ 1.2 km) and 40 % scattered villages
(σ ≈ 3.5 km); 金城镇 points form a ring around the city plus three sub-centres. Any draw that
falls in 长荡湖 (with a 0.6 km shore margin), outside the district's bounding box, or too far
from its seat is redrawn. Residents per point are lognormal (σ = 0.35) and rescaled with
largest-remainder rounding so that each subdistrict's total is exact.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20260105
R_EARTH_M = 6_371_008.8

# District bounding box (金坛区: 31°33′42″–31°53′22″ N, 119°17′45″–119°44′59″ E).
LAT_MIN, LAT_MAX = 31.5617, 31.8894
LON_MIN, LON_MAX = 119.2958, 119.7497

# 长荡湖 modelled as an ellipse 13.6 km (N–S) × 9.3 km (E–W); centre illustrative.
LAKE_LON, LAKE_LAT = 119.565, 31.625
LAKE_HALF_NS_KM, LAKE_HALF_EW_KM = 6.8, 4.65
LAKE_MARGIN_KM = 0.6

CITY_LON, CITY_LAT = 119.572, 31.742

# Generation constants mirrored from scenario.toml (used here only for fleet sizing).
KG_PER_PERSON_DAY = 1.10
SHARE = {"kitchen": 0.40, "recyclable": 0.20, "hazardous": 0.005, "other": 0.395}
CAPTURE = {"kitchen": 0.85, "recyclable": 0.50, "hazardous": 1.0, "other": 1.0}
MISSORT = [("kitchen", "recyclable", 0.02), ("recyclable", "kitchen", 0.03)]
DENSITY = {"kitchen": 650.0, "recyclable": 90.0, "hazardous": 300.0, "other": 250.0}
PEAK = 1.30  # Spring Festival factor 1.25 × month factor, rounded up: fleet must cope with it

# (code, name, kind, seat lon, seat lat, residents, residents per point)
# Residents: 东城街道 and 金城镇 from the 7th census (12.29万, 11.85万, scaled ×593/585.1);
# the other seven are illustrative splits of the remainder (see README).
DISTRICTS = [
    ("XC", "西城街道", "urban", 119.556, 31.742, 95_000, 950),
    ("DC", "东城街道", "urban", 119.600, 31.742, 124_600, 950),
    ("JC", "金城镇", "ring", CITY_LON, CITY_LAT, 120_100, 850),
    ("YT", "尧塘街道", "town", 119.668, 31.735, 45_300, 800),
    ("XB", "薛埠镇", "town", 119.395, 31.715, 62_000, 800),
    ("ZX", "直溪镇", "town", 119.475, 31.840, 40_000, 800),
    ("ZL", "朱林镇", "town", 119.455, 31.775, 32_000, 800),
    ("RL", "儒林镇", "town", 119.668, 31.640, 38_000, 800),
    ("ZQ", "指前镇", "town", 119.485, 31.640, 36_000, 800),
]
TOTAL_RESIDENTS = 593_000

URBAN_BOX = {  # lon_min, lon_max, lat_min, lat_max — split at the 丹金溧漕河 (≈119.575)
    "XC": (119.530, 119.575, 31.712, 31.772),
    "DC": (119.575, 119.640, 31.712, 31.775),
}
URBAN_SIGMA_KM = {"XC": (1.5, 1.7), "DC": (2.2, 1.7)}
# 金城镇 sub-centres: 白塔 (north), 后阳 (north-west), 城南片 (south of the city).
JC_SUBCENTRES = [(119.575, 31.800), (119.522, 31.790), (119.575, 31.703)]

DEPOTS = [
    # id, name, lon, lat, open, close
    ("DEPOT-CITY", "金坛区环卫城区车队", 119.588, 31.728, "04:00", "22:00"),
    ("DEPOT-WEST", "西部片区环卫车场(朱林)", 119.440, 31.768, "04:00", "22:00"),
    ("DEPOT-EAST", "东南片区环卫车场(尧塘)", 119.660, 31.700, "04:00", "22:00"),
]

STATION_COLS = [
    "id",
    "name",
    "lon",
    "lat",
    "district",
    "status",
    "streams",
    "capacity_t_per_day",
    "bays",
    "unload_time_s",
    "open",
    "close",
    "fixed_cost_cny_per_year",
    "cost_cny_per_t",
    "opening_cost_cny",
    "closing_cost_cny",
    "compaction_ratio",
    "decision",
]
STATIONS = [
    # id, name, lon, lat, district, status, streams, cap t/d, bays, unload s, open, close,
    # fixed CNY/yr, CNY/t, opening CNY, closing CNY, compaction
    (
        "ST-CENTRAL",
        "金坛城区生活垃圾转运中心",
        119.612,
        31.762,
        "东城街道",
        "existing",
        "other;kitchen",
        350,
        4,
        420,
        "04:30",
        "20:00",
        3_200_000,
        18,
        0,
        0,
        2.5,
    ),
    (
        "ST-WENHUA",
        "文化转运站",
        119.560,
        31.745,
        "西城街道",
        "existing",
        "other",
        25,
        1,
        480,
        "05:00",
        "18:00",
        450_000,
        26,
        0,
        100_000,
        2.0,
    ),
    (
        "ST-BEISHUIGUAN",
        "北水关转运站",
        119.571,
        31.754,
        "西城街道",
        "existing",
        "other",
        25,
        1,
        480,
        "05:00",
        "18:00",
        450_000,
        26,
        0,
        100_000,
        2.0,
    ),
    (
        "ST-CHENGBEI",
        "城北转运站",
        119.578,
        31.767,
        "东城街道",
        "existing",
        "other",
        30,
        1,
        480,
        "05:00",
        "18:00",
        500_000,
        25,
        0,
        100_000,
        2.0,
    ),
    (
        "ST-CUIBEI",
        "翠北转运站",
        119.590,
        31.757,
        "东城街道",
        "existing",
        "other",
        30,
        1,
        480,
        "05:00",
        "18:00",
        500_000,
        25,
        0,
        100_000,
        2.0,
    ),
    (
        "ST-HUAYANG",
        "华阳转运站",
        119.551,
        31.727,
        "西城街道",
        "existing",
        "other",
        40,
        2,
        480,
        "05:00",
        "18:00",
        650_000,
        23,
        0,
        100_000,
        2.0,
    ),
    (
        "ST-DONGMEN",
        "东门转运站",
        119.601,
        31.735,
        "东城街道",
        "existing",
        "other",
        45,
        2,
        480,
        "05:00",
        "18:00",
        700_000,
        23,
        0,
        100_000,
        2.0,
    ),
    (
        "ST-KAIFAQU",
        "开发区转运站",
        119.630,
        31.728,
        "东城街道",
        "existing",
        "other",
        50,
        2,
        480,
        "05:00",
        "18:00",
        750_000,
        22,
        0,
        100_000,
        2.0,
    ),
    (
        "ST-JINCHENG",
        "金城镇转运站",
        119.545,
        31.786,
        "金城镇",
        "existing",
        "other;kitchen",
        70,
        2,
        480,
        "05:00",
        "18:00",
        900_000,
        22,
        0,
        150_000,
        2.0,
    ),
    (
        "ST-XUEBU",
        "薛埠镇转运站",
        119.400,
        31.720,
        "薛埠镇",
        "existing",
        "other;kitchen",
        70,
        2,
        480,
        "05:00",
        "18:00",
        900_000,
        22,
        0,
        150_000,
        2.0,
    ),
    (
        "ST-ZHIXI",
        "直溪镇转运站",
        119.478,
        31.835,
        "直溪镇",
        "existing",
        "other;kitchen",
        45,
        2,
        480,
        "05:00",
        "18:00",
        700_000,
        24,
        0,
        150_000,
        2.0,
    ),
    (
        "ST-ZHULIN",
        "朱林镇转运站",
        119.458,
        31.771,
        "朱林镇",
        "existing",
        "other;kitchen",
        40,
        2,
        480,
        "05:00",
        "18:00",
        650_000,
        24,
        0,
        150_000,
        2.0,
    ),
    (
        "ST-RULIN",
        "儒林镇转运站",
        119.664,
        31.645,
        "儒林镇",
        "existing",
        "other;kitchen",
        45,
        2,
        480,
        "05:00",
        "18:00",
        700_000,
        24,
        0,
        150_000,
        2.0,
    ),
    (
        "ST-ZHIQIAN",
        "指前镇转运站",
        119.482,
        31.645,
        "指前镇",
        "existing",
        "other;kitchen",
        40,
        2,
        480,
        "05:00",
        "18:00",
        650_000,
        24,
        0,
        150_000,
        2.0,
    ),
    (
        "ST-CHENGNAN",
        "城南转运站(规划)",
        119.568,
        31.711,
        "西城街道",
        "candidate",
        "other;kitchen",
        450,
        4,
        420,
        "04:30",
        "20:00",
        3_000_000,
        15,
        45_000_000,
        0,
        2.5,
    ),
]

FACILITY_COLS = [
    "id",
    "name",
    "kind",
    "lon",
    "lat",
    "streams",
    "capacity_t_per_day",
    "gate_fee_cny_per_t",
    "open",
    "close",
    "bays",
    "unload_time_s",
    "storage_t",
    "fallback",
]
FACILITIES = [
    (
        "FAC-WTE",
        "金坛区生活垃圾焚烧发电厂",
        "waste_to_energy",
        119.505,
        31.800,
        "other",
        1000,
        60,
        "00:00",
        "24:00",
        6,
        300,
        6000,
        "FAC-LANDFILL",
    ),
    (
        "FAC-KITCHEN",
        "金坛区厨余垃圾处理厂",
        "kitchen_waste_plant",
        119.511,
        31.796,
        "kitchen",
        250,
        180,
        "04:30",
        "22:00",
        3,
        420,
        300,
        "",
    ),
    (
        "FAC-LANDFILL",
        "金坛区生活垃圾应急填埋场",
        "landfill",
        119.415,
        31.748,
        "other",
        800,
        90,
        "07:00",
        "18:00",
        2,
        600,
        0,
        "",
    ),
    (
        "FAC-SORTING",
        "金坛区可回收物分拣中心",
        "sorting_centre",
        119.628,
        31.770,
        "recyclable",
        120,
        0,
        "06:00",
        "18:00",
        3,
        600,
        50,
        "",
    ),
    (
        "FAC-HAZARD",
        "金坛区有害垃圾暂存处置中心",
        "hazardous_facility",
        119.640,
        31.773,
        "hazardous",
        10,
        3500,
        "08:00",
        "17:00",
        1,
        600,
        20,
        "",
    ),
]

VEHICLE_COLS = [
    "id",
    "name",
    "stream",
    "role",
    "depot",
    "count",
    "payload_kg",
    "volume_m3",
    "speed_kmh",
    "cost_cny_per_km",
    "cost_cny_per_hour",
    "cost_cny_per_day",
    "co2_kg_per_km",
    "shift_start",
    "shift_end",
    "lunch_earliest",
    "lunch_latest",
    "lunch_duration_min",
    "max_trips",
    "max_stops",
    "max_shift_load_kg",
]
# Collection vehicle models per stream: (code, name, payload kg, volume m³ (loose-waste
# equivalent, see README), cost/km, cost/h, cost/day, CO2 kg/km, shift start, shift end).
COLLECTION_MODELS = {
    "kitchen": (
        "KIT",
        "厨余垃圾收集车(4吨桶装密封)",
        4000,
        6.5,
        2.6,
        70,
        220,
        0.75,
        "05:00",
        "15:00",
    ),
    "other": ("OTH", "其他垃圾压缩车(8吨)", 8000, 35.0, 3.4, 75, 300, 0.90, "05:00", "15:00"),
    "recyclable": (
        "REC",
        "可回收物厢式收集车(4.2米)",
        2000,
        18.0,
        1.9,
        60,
        160,
        0.65,
        "07:00",
        "17:00",
    ),
    "hazardous": (
        "HAZ",
        "有害垃圾专用收集车(厢式)",
        1000,
        6.0,
        1.3,
        45,
        150,
        0.40,
        "08:00",
        "17:00",
    ),
}
DEPOT_SPEED_KMH = {"DEPOT-CITY": 20, "DEPOT-WEST": 28, "DEPOT-EAST": 28}
DEPOT_TRIPS = {"DEPOT-CITY": 3, "DEPOT-WEST": 2, "DEPOT-EAST": 2}
HAUL = [
    # id, name, stream, depot, count, payload, volume, speed, km, h, day, co2, start, end
    (
        "VT-HAUL-OTH",
        "其他垃圾转运车(拉臂箱15吨)",
        "other",
        "DEPOT-CITY",
        6,
        15000,
        26.0,
        40,
        4.6,
        45,
        480,
        1.05,
        "06:00",
        "18:00",
    ),
    (
        "VT-HAUL-KIT",
        "厨余垃圾转运罐车(10吨)",
        "kitchen",
        "DEPOT-CITY",
        3,
        10000,
        12.0,
        40,
        4.0,
        45,
        420,
        0.95,
        "06:00",
        "18:00",
    ),
]


def km_to_dlat(km: float) -> float:
    return km / (R_EARTH_M / 1000.0 * math.pi / 180.0)


def km_to_dlon(km: float, lat: float) -> float:
    return km_to_dlat(km) / math.cos(math.radians(lat))


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
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


def gauss(rng, lon0, lat0, sx_km, sy_km):
    return (lon0 + rng.normal() * km_to_dlon(sx_km, lat0), lat0 + rng.normal() * km_to_dlat(sy_km))


def place(rng, code, kind, lon0, lat0, n) -> list[tuple[float, float, str]]:
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


def split_exact(rng, total: int, n: int, sigma: float = 0.35) -> list[int]:
    """``n`` lognormal weights scaled to integers summing to ``total`` (largest remainder)."""
    w = rng.lognormal(0.0, sigma, size=n)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(int)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return [int(x) for x in base]


def bin_kg_per_person() -> dict[str, float]:
    """Mean kg per resident per day that ends in each stream's bin (capture + missorting)."""
    total = KG_PER_PERSON_DAY
    out = {s: total * SHARE[s] * CAPTURE[s] for s in SHARE}
    lost = {s: total * SHARE[s] * (1 - CAPTURE[s]) for s in SHARE}
    for src, dst, share in MISSORT:
        out[dst] += total * SHARE[src] * share
        lost[src] -= total * SHARE[src] * share
    out["other"] += sum(v for s, v in lost.items() if s != "other")
    return out


def write_csv(name: str, cols: list[str], rows: list[dict]) -> None:
    with open(HERE / name, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


def main() -> None:
    rng = np.random.default_rng(SEED)
    assert sum(d[5] for d in DISTRICTS) == TOTAL_RESIDENTS
    points: list[dict] = []
    for code, name, kind, lon0, lat0, residents, per_point in DISTRICTS:
        n = round(residents / per_point)
        locs = place(rng, code, kind, lon0, lat0, n)
        res = split_exact(rng, residents, n)
        urban = kind == "urban"
        for k, ((lon, lat, label), r) in enumerate(zip(locs, res, strict=True), start=1):
            village = label == "村"
            points.append(
                {
                    "id": f"P-{code}-{k:03d}",
                    "name": f"{name}{label}收集点{k:03d}",
                    "lon": f"{lon:.5f}",
                    "lat": f"{lat:.5f}",
                    "district": name,
                    "residents": r,
                    "service_time_s": 240 if urban else (150 if village else 180),
                    "freq.recyclable": "twice_weekly" if village else "every_other_day",
                    "freq.hazardous": "biweekly" if village else "weekly",
                }
            )
    write_csv(
        "points.csv",
        [
            "id",
            "name",
            "lon",
            "lat",
            "district",
            "residents",
            "households",
            "service_time_s",
            "tw_start",
            "tw_end",
            "freq.recyclable",
            "freq.hazardous",
        ],
        points,
    )

    write_csv(
        "depots.csv",
        ["id", "name", "lon", "lat", "open", "close"],
        [dict(zip(["id", "name", "lon", "lat", "open", "close"], d, strict=True)) for d in DEPOTS],
    )
    write_csv(
        "stations.csv",
        STATION_COLS,
        [dict(zip(STATION_COLS, (*s, "free"), strict=True)) for s in STATIONS],
    )
    write_csv(
        "facilities.csv",
        FACILITY_COLS,
        [dict(zip(FACILITY_COLS, f, strict=True)) for f in FACILITIES],
    )

    # Fleet sizing: each point belongs to its nearest depot; a depot's fleet for a stream must
    # carry PEAK × the mean daily bin mass in DEPOT_TRIPS loads per vehicle, where one load is
    # min(payload, volume × density).
    p_lon = np.array([float(p["lon"]) for p in points])
    p_lat = np.array([float(p["lat"]) for p in points])
    p_res = np.array([p["residents"] for p in points], dtype=float)
    d_lon = np.array([d[2] for d in DEPOTS])
    d_lat = np.array([d[3] for d in DEPOTS])
    dist = haversine_m(p_lon[:, None], p_lat[:, None], d_lon[None, :], d_lat[None, :])
    nearest = dist.argmin(axis=1)
    per_person = bin_kg_per_person()
    vehicles: list[dict] = []
    sizing: list[str] = []
    for stream, (
        code,
        vname,
        payload,
        vol,
        ckm,
        ch,
        cday,
        co2,
        t0,
        t1,
    ) in COLLECTION_MODELS.items():
        load_kg = min(payload, vol * DENSITY[stream])
        depots = [d[0] for d in DEPOTS] if stream != "hazardous" else ["DEPOT-CITY"]
        for j, (dep_id, *_rest) in enumerate(DEPOTS):
            if dep_id not in depots:
                continue
            served = p_res[nearest == j].sum() if stream != "hazardous" else p_res.sum()
            daily_kg = served * per_person[stream]
            trips = DEPOT_TRIPS[dep_id] if stream != "hazardous" else 2
            count = max(1, math.ceil(PEAK * daily_kg / (load_kg * trips)))
            if stream == "hazardous":
                count += 1  # one spare van: weekly stops spread over the whole district
            sizing.append(
                f"{stream:10s} {dep_id:11s} residents={served:8.0f} "
                f"mean={daily_kg / 1000:6.1f} t/d load={load_kg:5.0f} kg -> {count}"
            )
            vehicles.append(
                {
                    "id": f"VT-{code}-{dep_id.removeprefix('DEPOT-')}",
                    "name": vname,
                    "stream": stream,
                    "role": "collection",
                    "depot": dep_id,
                    "count": count,
                    "payload_kg": payload,
                    "volume_m3": vol,
                    "speed_kmh": 35 if stream == "hazardous" else DEPOT_SPEED_KMH[dep_id],
                    "cost_cny_per_km": ckm,
                    "cost_cny_per_hour": ch,
                    "cost_cny_per_day": cday,
                    "co2_kg_per_km": co2,
                    "shift_start": t0,
                    "shift_end": t1,
                    "lunch_earliest": "11:00",
                    "lunch_latest": "12:00",
                    "lunch_duration_min": 60,
                    "max_trips": 3,
                }
            )
    for h in HAUL:
        (vid, vname, stream, dep, count, payload, vol, speed, ckm, ch, cday, co2, t0, t1) = h
        vehicles.append(
            {
                "id": vid,
                "name": vname,
                "stream": stream,
                "role": "haul",
                "depot": dep,
                "count": count,
                "payload_kg": payload,
                "volume_m3": vol,
                "speed_kmh": speed,
                "cost_cny_per_km": ckm,
                "cost_cny_per_hour": ch,
                "cost_cny_per_day": cday,
                "co2_kg_per_km": co2,
                "shift_start": t0,
                "shift_end": t1,
                "lunch_earliest": "11:00",
                "lunch_latest": "12:00",
                "lunch_duration_min": 60,
                "max_trips": 8,
            }
        )
    write_csv("vehicle_types.csv", VEHICLE_COLS, vehicles)

    # Summary (this is a build script, so it prints).
    by_district: dict[str, list[int]] = {}
    for p in points:
        by_district.setdefault(p["district"], []).append(p["residents"])
    print(f"points: {len(points)}, residents: {int(p_res.sum())}")
    for d, rs in by_district.items():
        print(f"  {d}: {len(rs)} points, {sum(rs)} residents, mean {sum(rs) / len(rs):.0f}")
    print(
        "mean kg per person per day in each bin:", {s: round(v, 4) for s, v in per_person.items()}
    )
    print(
        "district mean t/day in bins:",
        {s: round(v * p_res.sum() / 1000, 1) for s, v in per_person.items()},
    )
    print("fleet sizing:")
    for line in sizing:
        print("  " + line)


if __name__ == "__main__":
    main()
