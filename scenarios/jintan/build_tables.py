"""Build the CSV tables of the Jintan (金坛区) scenario, deterministically.

Run from the repository root with the project venv::

    .venv/bin/python scenarios/jintan/build_tables.py

It (re)writes points.csv, depots.csv, stations.csv, facilities.csv and vehicle_types.csv next to
this file and prints a short summary. scenario.toml is hand-written; the generation constants
below (KG_PER_PERSON_DAY, stream shares, capture rates, missorting) mirror it and are used only
to size fleets and stations. See README.md for where every figure comes from.

Point model: each of the nine subdistricts/towns gets ``round(residents / residents_per_point)``
collection points. Urban points are Gaussian around the subdistrict centre, clipped to a box;
town points are 60 % around the town seat (σ ≈ 1.2 km) and 40 % scattered villages
(σ ≈ 3.5 km); 金城镇 points form a ring around the city plus three sub-centres. Any draw that
falls in 长荡湖 (with a 0.6 km shore margin), outside the district's bounding box, or too far
from its seat is redrawn. Residents per point are lognormal (σ = 0.35) and rescaled with
largest-remainder rounding so that each subdistrict's total is exact.

Two tiers: every point gets an access class. Old-town points (urban points within OLD_TOWN_KM
of the centre) are ``lane`` (e-tricycles only); a lane point serving more than
LANE_MAX_RESIDENTS is split into several points a few tens of metres apart (the bins of a lane
quarter stand at several spots), so that one visit fits an e-tricycle. Villages are
``residential``: a village collection room on the village road (村收集点), emptied by the town's
small vehicles. Points of more than MAIN_ROAD_RESIDENTS (big estates: bin room at the gate) and
one in four other urban points are ``main_road``; the rest are ``residential``. Markets and
canteens are added as ``large_generator`` points.

Fleets (``size_fleets``): a point's stream is served by the city depot's e-tricycles at lane
points; at other points by the small vehicle of its stream (4 t kitchen bin truck, 3.5 t small
compactor, van) from its unit's depot (city depot for 西城/东城, the town's 镇环卫所 otherwise),
and residual waste on main roads by the 8 t compactor of the nearest truck depot; hazardous
vans from the city. Each depot × model is sized by load *and* time (``fleet_sizing.py``, rule
illustrative)::

    count = ⌈(1 + SPARE) × max(PEAK × kg ÷ (load × planned trips),
                              PEAK × (service + driving + unload h) ÷ (working h − depot h))⌉

with the driving to the station each point unloads at (the nearest station accepting the
stream, or plant when no station does or for large generators, in whichever of base and
consolidate is farther) and between stops, PEAK = 1.30 and SPARE = 0.10. A vehicle may make
EXTRA_TRIPS = 1 more trip than planned (``max_trips``).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import fleet_sizing
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

# Generation constants mirrored from scenario.toml (used here only for sizing).
KG_PER_PERSON_DAY = 1.10
SHARE = {"kitchen": 0.52, "recyclable": 0.18, "hazardous": 0.002, "other": 0.298}
CAPTURE = {"kitchen": 0.35, "recyclable": 0.50, "hazardous": 0.05, "other": 1.0}
MISSORT = [("kitchen", "recyclable", 0.02), ("recyclable", "kitchen", 0.03)]
DENSITY = {"kitchen": 650.0, "recyclable": 90.0, "hazardous": 300.0, "other": 145.0}
PEAK = 1.30  # Spring Festival factor 1.25 × month factor, rounded up: fleets must cope with it
# Worst single visit: PEAK × the largest daily noise draw (lognormal, cv 0.12, ≈ 4.5 σ) ≈ 2.2.
VISIT_PEAK = 2.2

# Access classes (two tiers). Old town: lanes within this distance of the city centre.
OLD_TOWN_KM = 1.2
LANE_MAX_RESIDENTS = 500  # one e-tricycle load of residual waste per visit at VISIT_PEAK
MAIN_ROAD_RESIDENTS = 1500  # larger points: estate gate on a main road
SPLIT_OFFSET_M = 60.0

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

# Depots: the three truck depots, and e-tricycle yards (镇环卫所) at the town seats.
# id, name, lon, lat, open, close
DEPOTS = [
    ("DEPOT-CITY", "金坛区环卫城区车队", 119.588, 31.728, "04:00", "22:00"),
    ("DEPOT-WEST", "西部片区环卫车场(朱林)", 119.440, 31.768, "04:00", "22:00"),
    ("DEPOT-EAST", "东南片区环卫车场(尧塘)", 119.660, 31.700, "04:00", "22:00"),
    ("YARD-JC", "金城镇环卫所", 119.547, 31.784, "04:00", "22:00"),
    ("YARD-YT", "尧塘街道环卫所", 119.665, 31.733, "04:00", "22:00"),
    ("YARD-XB", "薛埠镇环卫所", 119.398, 31.718, "04:00", "22:00"),
    ("YARD-ZX", "直溪镇环卫所", 119.477, 31.837, "04:00", "22:00"),
    ("YARD-ZL", "朱林镇环卫所", 119.456, 31.773, "04:00", "22:00"),
    ("YARD-RL", "儒林镇环卫所", 119.666, 31.643, "04:00", "22:00"),
    ("YARD-ZQ", "指前镇环卫所", 119.484, 31.643, "04:00", "22:00"),
]
TRUCK_DEPOTS = ("DEPOT-CITY", "DEPOT-WEST", "DEPOT-EAST")

STATION_COLS = [
    "id", "name", "lon", "lat", "district", "status", "streams", "capacity_t_per_day", "bays",
    "stream_bays", "unload_time_s", "open", "close", "fixed_cost_cny_per_year",
    "cost_cny_per_t", "opening_cost_cny", "closing_cost_cny", "compaction_ratio", "compaction",
    "containers", "container_t", "separates_streams", "meets_standard", "built_year",
    "condition", "staff", "decision",
]  # fmt: skip
SMALL_FIXED_CNY = 42_000  # 3,500 CNY/month running cost without labour (Jintan 2013, M)
TOWN_FIXED_CNY = 60_000  # illustrative: a larger building than the small urban stations
# Capital of 城南: the central station's 30 M CNY (M) scaled by capacity (derived).
CENTRAL_CAPITAL_CNY, CENTRAL_T_PER_DAY, CHENGNAN_T_PER_DAY = 30_000_000, 350, 300
CHENGNAN_CAPITAL_CNY = round(CENTRAL_CAPITAL_CNY * CHENGNAN_T_PER_DAY / CENTRAL_T_PER_DAY, -5)
# fmt: off
# id, name, lon, lat, district, status, streams, t/d, stream_bays, unload s, open, close,
# (stream:bays, or the shared bays of a one-stream station),
# fixed CNY/yr, CNY/t, opening CNY, closing CNY, compaction, containers × t, separates,
# standard, built, condition, staff
URBAN = [
    ("ST-CENTRAL", "金坛城区生活垃圾转运中心", 119.612, 31.762, "东城街道", "existing",
     "other;kitchen", CENTRAL_T_PER_DAY, "other:3;kitchen:1", 420, "04:30", "22:00",
     1_200_000, 10, 0, 0, 4.0, (24, 15.0), True, True, 2012, "good", 20),
    ("ST-WENHUA", "文化转运站", 119.560, 31.745, "西城街道", "existing", "other", 25,
     1, 480, "05:00", "18:00", SMALL_FIXED_CNY, 15, 0, 100_000, 2.5, (4, 8.0),
     False, False, 1998, "poor", 3),
    ("ST-BEISHUIGUAN", "北水关转运站", 119.571, 31.754, "西城街道", "existing", "other", 25,
     1, 480, "05:00", "18:00", SMALL_FIXED_CNY, 15, 0, 100_000, 2.5, (4, 8.0),
     False, False, 2000, "poor", 3),
    ("ST-CHENGBEI", "城北转运站", 119.578, 31.767, "东城街道", "existing", "other", 30,
     1, 480, "05:00", "18:00", SMALL_FIXED_CNY, 15, 0, 100_000, 2.5, (4, 8.0),
     False, False, 2002, "poor", 3),
    ("ST-CUIBEI", "翠北转运站", 119.590, 31.757, "东城街道", "existing", "other", 30,
     1, 480, "05:00", "18:00", SMALL_FIXED_CNY, 15, 0, 100_000, 2.5, (4, 8.0),
     False, False, 2004, "poor", 3),
    ("ST-HUAYANG", "华阳转运站", 119.551, 31.727, "西城街道", "existing", "other", 40,
     2, 480, "05:00", "18:00", SMALL_FIXED_CNY, 15, 0, 100_000, 2.5, (5, 10.0),
     True, True, 2010, "fair", 4),
    ("ST-DONGMEN", "东门转运站", 119.601, 31.735, "东城街道", "existing", "other", 45,
     2, 480, "05:00", "18:00", SMALL_FIXED_CNY, 15, 0, 100_000, 2.5, (5, 10.0),
     True, True, 2010, "fair", 4),
    ("ST-KAIFAQU", "开发区转运站", 119.630, 31.728, "东城街道", "existing", "other", 50,
     2, 480, "05:00", "18:00", SMALL_FIXED_CNY, 15, 0, 100_000, 2.5, (5, 10.0),
     True, True, 2012, "fair", 4),
    ("ST-CHENGNAN", "城南转运站(规划)", 119.568, 31.711, "西城街道", "candidate",
     "other;kitchen", CHENGNAN_T_PER_DAY, "other:3;kitchen:1", 420, "04:30", "22:00",
     1_000_000, 10, CHENGNAN_CAPITAL_CNY, 0, 4.0, (20, 15.0), True, True, None, "good", 16),
]
# Town stations: (id, name, lon, lat, district code); the rest is set by town_station().
TOWNS = [
    ("ST-JINCHENG", "金城镇转运站", 119.545, 31.786, "JC"),
    ("ST-XUEBU", "薛埠镇转运站", 119.400, 31.720, "XB"),
    ("ST-ZHIXI", "直溪镇转运站", 119.478, 31.835, "ZX"),
    ("ST-ZHULIN", "朱林镇转运站", 119.458, 31.771, "ZL"),
    ("ST-RULIN", "儒林镇转运站", 119.664, 31.645, "RL"),
    ("ST-ZHIQIAN", "指前镇转运站", 119.482, 31.645, "ZQ"),
]
# fmt: on
TOWN_CONTAINER_T = 12.0

FACILITY_COLS = [
    "id", "name", "kind", "lon", "lat", "streams", "capacity_t_per_day", "gate_fee_cny_per_t",
    "open", "close", "bays", "unload_time_s", "storage_t", "fallback", "external_t_per_day",
]  # fmt: skip
# fmt: off
FACILITIES = [
    ("FAC-WTE", "金坛区生活垃圾焚烧发电厂", "waste_to_energy", 119.505, 31.800, "other", 1000,
     60, "00:00", "24:00", 6, 300, 6000, "FAC-LANDFILL", 350),
    ("FAC-KITCHEN", "金坛区厨余垃圾处理厂", "kitchen_waste_plant", 119.511, 31.796, "kitchen",
     200, 230, "04:30", "22:00", 3, 420, 200, "", 0),
    ("FAC-LANDFILL", "沈渎生活垃圾填埋场(应急)", "landfill", 119.415, 31.748, "other", 300,
     90, "07:00", "18:00", 2, 600, 0, "", 0),
    ("FAC-SORTING", "金坛区可回收物分拣中心", "sorting_centre", 119.628, 31.770,
     "recyclable", 120, 0, "06:00", "18:00", 3, 600, 50, "", 0),
    ("FAC-HAZARD", "金坛区有害垃圾暂存处置中心", "hazardous_facility", 119.640, 31.773,
     "hazardous", 2, 3500, "08:00", "17:00", 1, 600, 2, "", 0),
]
# fmt: on

VEHICLE_COLS = [
    "id", "name", "stream", "role", "vehicle_class", "depot", "count", "payload_kg",
    "volume_m3", "speed_kmh", "cost_cny_per_km", "cost_cny_per_hour", "cost_cny_per_day",
    "co2_kg_per_km", "shift_start", "shift_end", "lunch_earliest", "lunch_latest",
    "lunch_duration_min", "max_trips", "max_stops", "max_shift_load_kg",
]  # fmt: skip
DIESEL_CO2_KG_PER_L = 2.67  # domain facts §4 (H)
# fmt: off
# Collection models: key -> (code, name, stream, class, payload kg, volume m³ (loose-waste
# equivalent: body × compaction, see README), CNY/km, CNY/h, CNY/day, L/100 km (None: electric,
# CO2 given instead), shift start, end). Access: which access classes the model is sized for.
MODELS: dict[str, tuple[Any, ...]] = {
    "kit": ("KIT", "厨余垃圾桶装收集车(4吨密封)", "kitchen", "small_compactor", 4000, 6.0,
            3.0, 70, 220, 20, "05:00", "15:00"),
    "oth_small": ("OTHS", "其他垃圾小型压缩车(3.5吨)", "other", "small_compactor", 3500, 24.0,
                  3.5, 70, 250, 20, "05:00", "15:00"),
    "oth": ("OTH", "其他垃圾压缩车(8吨)", "other", "compactor", 8000, 56.0,
            5.0, 75, 300, 35, "05:00", "15:00"),
    "rec": ("REC", "可回收物厢式收集车(4.2米)", "recyclable", "van", 2000, 18.0,
            2.5, 60, 160, 13, "07:00", "17:00"),
    "haz": ("HAZ", "有害垃圾专用收集车(厢式)", "hazardous", "van", 1000, 6.0,
            3.0, 45, 150, 11, "08:00", "17:00"),
}
# E-tricycle (电动三轮保洁车), one model per stream: payload 600 kg, 3.0 m³ box (illustrative).
TRICYCLE = (600, 3.0, 0.2, 35, 40, 0.03, "05:00", "15:00")
# Tier-2 haul: id, name, stream, class, depot, count, payload, volume, speed, km, h, day,
# L/100 km, start, end. Counts (illustrative): the facility plan's tier-2 vehicle-days per day
# (its haul.csv: other 4.9, kitchen 1.6, recyclables 3.1, mostly volume-bound 30 m³ boxes)
# × 1.3 peak + 2 spares; fewer blocked the town stations' container pools in the simulation.
HAUL = [
    ("VT-HAUL-OTH", "其他垃圾拉臂箱转运车(15吨箱)", "other", "hook_lift", "DEPOT-CITY", 9,
     15000, 26.0, 45, 6.5, 45, 480, 40, "06:00", "18:00"),
    ("VT-HAUL-KIT", "厨余垃圾拉臂箱转运车(10吨箱)", "kitchen", "hook_lift", "DEPOT-CITY", 5,
     10000, 16.0, 45, 6.0, 45, 420, 35, "06:00", "18:00"),
    ("VT-HAUL-REC", "可回收物拉臂箱转运车(30方箱)", "recyclable", "hook_lift", "DEPOT-CITY",
     7, 10000, 30.0, 45, 6.0, 45, 420, 35, "06:00", "18:00"),
]
# fmt: on
# Truck speeds (illustrative): city streets 20 km/h, town streets and village roads 25, rural
# roads between towns 28. Trips: what fleets are sized for (planned trips a shift); a vehicle
# may make EXTRA_TRIPS more (its ``max_trips``), the slack of a peak day.
DEPOT_SPEED_KMH = {"DEPOT-CITY": 20, "DEPOT-WEST": 28, "DEPOT-EAST": 28}
DEPOT_TRIPS = {"DEPOT-CITY": 3, "DEPOT-WEST": 2, "DEPOT-EAST": 2}
TOWN_SPEED_KMH, TOWN_TRIPS = 25, 4
TRICYCLE_SPEED_KMH, TRICYCLE_TRIPS = 12, 6  # old-town lanes, from the city depot
EXTRA_TRIPS = 1
# Fleet sizing (fleet_sizing.py): spare vehicles on top of the peak need, and the network's
# circuity (scenario.toml [network]) for road km.
SPARE = 0.10
CIRCUITY = 1.35
# The consolidate variant (scenario.toml): its open stations decide where points unload too.
CONSOLIDATE_CLOSE = ("ST-WENHUA", "ST-CHENGBEI", "ST-BEISHUIGUAN", "ST-CUIBEI")
CONSOLIDATE_OPEN = ("ST-CHENGNAN",)
ZH_STREAM = {
    "kitchen": "厨余",
    "other": "其他垃圾",
    "recyclable": "可回收物",
    "hazardous": "有害垃圾",
}


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
                points.append(
                    {
                        "id": f"P-{code}-{k:03d}{suffix}",
                        "name": f"{name}{label}收集点{k:03d}{suffix}",
                        "lon": f"{x:.5f}",
                        "lat": f"{y:.5f}",
                        "district": name,
                        "residents": rj,
                        "service_time_s": 240 if kind == "urban" else (150 if village else 180),
                        "access": access,
                        "large_generator": "false",
                        **frequencies(access, village),
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
            }
        )
    return points


POINT_COLS = [
    "id", "name", "lon", "lat", "district", "residents", "households", "service_time_s",
    "tw_start", "tw_end", "access", "large_generator", "kg_per_day.kitchen",
    "kg_per_day.recyclable", "kg_per_day.other", "freq.kitchen", "freq.recyclable",
    "freq.hazardous", "freq.other",
]  # fmt: skip


def write_csv(name: str, cols: list[str], rows: list[dict[str, Any]]) -> None:
    with open(HERE / name, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


def point_kg(p: dict[str, Any], stream: str, per_person: dict[str, float]) -> float:
    """Mean kg/day of ``stream`` in the bins of point ``p``."""
    if f"kg_per_day.{stream}" in p:
        return float(p[f"kg_per_day.{stream}"])
    return float(p.get("residents", 0)) * per_person[stream]


def town_station(sid: str, name: str, lon: float, lat: float, code: str, t_per_day: float) -> dict:
    """A town station sized to 1.3 × its town's mean kitchen + residual + recyclables."""
    cap = 5 * math.ceil(PEAK * t_per_day / 5)
    district = next(d[1] for d in DISTRICTS if d[0] == code)
    return {
        "id": sid, "name": name, "lon": lon, "lat": lat, "district": district,
        "status": "existing", "streams": "other;kitchen;recyclable", "capacity_t_per_day": cap,
        "bays": 3, "stream_bays": "other:1;kitchen:1;recyclable:1", "unload_time_s": 480,
        "open": "05:00", "close": "20:00", "fixed_cost_cny_per_year": TOWN_FIXED_CNY,
        "cost_cny_per_t": 15, "opening_cost_cny": 0, "closing_cost_cny": 150_000,
        "compaction_ratio": 3.0, "compaction": "recyclable:1",
        # a recyclables box fills by volume (≈2.7 t): the pool turns over more often than the
        # tonnage suggests, so it is sized on 1.5 × capacity (illustrative)
        "containers": math.ceil(1.5 * cap / TOWN_CONTAINER_T) + 4,
        "container_t": TOWN_CONTAINER_T, "separates_streams": "true", "meets_standard": "true",
        "built_year": 2012, "condition": "fair", "staff": 6, "decision": "free",
    }  # fmt: skip


def station_rows(points: list[dict[str, Any]], per_person: dict[str, float]) -> list[dict]:
    """stations.csv rows: the urban stations as listed, the town stations sized by rule."""
    rows: list[dict[str, Any]] = []
    for s in URBAN:
        (sid, name, lon, lat, district, status, streams, cap, bays, unload, t0, t1, fixed, per_t,
         opening, closing, comp, (n_cont, cont_t), sep, std, built, cond, staff) = s  # fmt: skip
        if isinstance(bays, int):  # one stream: shared bays
            n_bays, bays = bays, ""
        else:
            n_bays = sum(int(x.split(":")[1]) for x in bays.split(";"))
        rows.append(
            dict(
                zip(STATION_COLS, (
                    sid, name, lon, lat, district, status, streams, cap, n_bays, bays, unload,
                    t0, t1, fixed, per_t, opening, closing, comp, "", n_cont, cont_t,
                    str(sep).lower(), str(std).lower(), built or "", cond, staff, "free",
                ), strict=True)
            )
        )  # fmt: skip
    for sid, name, lon, lat, code in TOWNS:
        district = next(d[1] for d in DISTRICTS if d[0] == code)
        kg = sum(
            point_kg(p, s, per_person)
            for p in points
            if p["district"] == district
            for s in ("other", "kitchen", "recyclable")
        )
        rows.append(town_station(sid, name, lon, lat, code, kg / 1000))
    return rows


# (visits per collection day, period in days) of each frequency used here (wasteopt FREQUENCIES)
FREQ_VISITS = {
    "twice_daily": (2, 1),
    "daily": (1, 1),
    "every_other_day": (1, 2),
    "monthly": (1, 28),
}
Site = tuple[str, float, float, float]  # id, lon, lat, unload s


def unload_sites(
    stations: list[dict[str, Any]], stream: str, *, consolidate: bool, direct: bool
) -> list[Site]:
    """Open sites taking ``stream`` in base or consolidate: the stations that accept it, and the
    plants when ``direct`` (large generators) or when no station accepts it (the facility
    plan's rule)."""
    out: list[Site] = []
    for r in stations:
        is_open = r["status"] == "existing"
        if consolidate:
            is_open = (is_open and r["id"] not in CONSOLIDATE_CLOSE) or r["id"] in CONSOLIDATE_OPEN
        if is_open and stream in r["streams"].split(";"):
            out.append((r["id"], float(r["lon"]), float(r["lat"]), float(r["unload_time_s"])))
    if direct or not out:
        out += [(f[0], f[3], f[4], f[11]) for f in FACILITIES if stream in f[5].split(";")]
    return out


def site_of(p: dict[str, Any], stream: str, stations: list[dict[str, Any]]) -> Site:
    """The site ``p`` unloads ``stream`` at for sizing: the nearest one, in whichever of base
    and consolidate it is farther."""
    lon, lat, direct = float(p["lon"]), float(p["lat"]), p["large_generator"] == "true"
    best: list[tuple[float, Site]] = []
    for consolidate in (False, True):
        sites = unload_sites(stations, stream, consolidate=consolidate, direct=direct)
        km = [float(fleet_sizing.road_km(lon, lat, x[1], x[2], CIRCUITY)) for x in sites]
        best.append((min(km), sites[int(np.argmin(km))]))
    return max(best)[1]


def serving(p: dict[str, Any], stream: str) -> tuple[str, str]:
    """(depot, model key) that serves ``stream`` at point ``p`` (module docstring)."""
    if p["access"] == "lane":
        return "DEPOT-CITY", f"tri_{stream}"
    if stream == "hazardous":
        return "DEPOT-CITY", "haz"
    if stream == "other" and p["access"] == "main_road":
        truck = [d for d in DEPOTS if d[0] in TRUCK_DEPOTS]
        km = [float(haversine_m(p["lon"], p["lat"], d[2], d[3])) for d in truck]
        return truck[int(np.argmin(km))][0], "oth"
    code = next(d[0] for d in DISTRICTS if d[1] == p["district"])
    depot = "DEPOT-CITY" if code in URBAN_BOX else f"YARD-{code}"
    return depot, {"kitchen": "kit", "recyclable": "rec", "other": "oth_small"}[stream]


def size_fleets(
    points: list[dict[str, Any]], per_person: dict[str, float], stations: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Collection vehicle types per depot × model, sized by load and time (module docstring,
    ``fleet_sizing.py``), and one line of sizing each."""
    work: dict[tuple[str, str], list[fleet_sizing.Work]] = {}
    for p in points:
        for stream in SHARE:
            freq = p.get(f"freq.{stream}", "none")
            if freq == "none":
                continue
            visits, period = FREQ_VISITS[freq]
            site = site_of(p, stream, stations)
            work.setdefault(serving(p, stream), []).append(
                fleet_sizing.Work(
                    lon=float(p["lon"]),
                    lat=float(p["lat"]),
                    kg_per_day=point_kg(p, stream, per_person),
                    visits_per_day=visits / period,
                    period_days=period,
                    service_s=float(p["service_time_s"]),
                    site_lon=site[1],
                    site_lat=site[2],
                    site_unload_s=site[3],
                )
            )
    vehicles: list[dict[str, Any]] = []
    sizing: list[str] = []
    for (depot, key), items in sorted(work.items()):
        v = vehicle_row(depot, key)
        d = next(x for x in DEPOTS if x[0] == depot)
        shift_h = int(v["shift_end"][:2]) - int(v["shift_start"][:2])
        shift_h -= v["lunch_duration_min"] / 60
        model = fleet_sizing.Model(
            load_kg=min(float(v["payload_kg"]), float(v["volume_m3"]) * DENSITY[v["stream"]]),
            speed_kmh=float(v["speed_kmh"]),
            planned_trips=int(v["max_trips"]) - EXTRA_TRIPS,
            working_h=shift_h,
            depot_lon=d[2],
            depot_lat=d[3],
        )
        r = fleet_sizing.size(items, model, peak=PEAK, spare=SPARE, circuity=CIRCUITY)
        v["count"] = r.count
        vehicles.append(v)
        kg = sum(w.kg_per_day for w in items)
        sizing.append(
            f"{v['id']:18s} pts={len(items):3d} mean={kg / 1000:6.2f} t/d "
            f"load={model.load_kg:5.0f} kg trips={r.trips:5.1f} work={r.work_h:6.1f} h "
            f"need load={r.load_need:5.2f} time={r.time_need:5.2f} -> {r.count}"
        )
    return vehicles, sizing


def vehicle_row(depot: str, key: str) -> dict[str, Any]:
    """One collection vehicle type row (count filled in by the caller)."""
    lunch = {"lunch_earliest": "11:00", "lunch_latest": "12:00", "lunch_duration_min": 60}
    tag = depot.removeprefix("DEPOT-").removeprefix("YARD-")
    if key.startswith("tri_"):
        stream = key.removeprefix("tri_")
        payload, vol, ckm, ch, cday, co2, t0, t1 = TRICYCLE
        zh = ZH_STREAM
        return {
            "id": f"VT-TRI-{stream[:3].upper()}-{tag}", "name": f"电动三轮保洁车({zh[stream]})",
            "stream": stream, "role": "collection", "vehicle_class": "e_tricycle",
            "depot": depot, "payload_kg": payload, "volume_m3": vol,
            "speed_kmh": TRICYCLE_SPEED_KMH, "cost_cny_per_km": ckm,
            "cost_cny_per_hour": ch, "cost_cny_per_day": cday, "co2_kg_per_km": co2,
            "shift_start": t0, "shift_end": t1, "max_trips": TRICYCLE_TRIPS + EXTRA_TRIPS,
            **lunch,
        }  # fmt: skip
    code, name, stream, cls, payload, vol, ckm, ch, cday, l100, t0, t1 = MODELS[key]
    speed = DEPOT_SPEED_KMH.get(depot, TOWN_SPEED_KMH)
    trips = DEPOT_TRIPS.get(depot, TOWN_TRIPS)
    return {
        "id": f"VT-{code}-{tag}", "name": name, "stream": stream, "role": "collection",
        "vehicle_class": cls, "depot": depot, "payload_kg": payload, "volume_m3": vol,
        "speed_kmh": 35 if key == "haz" else speed, "cost_cny_per_km": ckm,
        "cost_cny_per_hour": ch, "cost_cny_per_day": cday,
        "co2_kg_per_km": round(DIESEL_CO2_KG_PER_L * l100 / 100, 2), "shift_start": t0,
        "shift_end": t1, "max_trips": (2 if key == "haz" else trips) + EXTRA_TRIPS, **lunch,
    }  # fmt: skip


def haul_rows() -> list[dict[str, Any]]:
    """Tier-2 hook-lift haul types (station → plant, one container per trip)."""
    rows = []
    for h in HAUL:
        vid, name, stream, cls, dep, count, payload, vol, speed, ckm, ch, cday, l100, t0, t1 = h
        rows.append(
            {
                "id": vid, "name": name, "stream": stream, "role": "haul", "vehicle_class": cls,
                "depot": dep, "count": count, "payload_kg": payload, "volume_m3": vol,
                "speed_kmh": speed, "cost_cny_per_km": ckm, "cost_cny_per_hour": ch,
                "cost_cny_per_day": cday,
                "co2_kg_per_km": round(DIESEL_CO2_KG_PER_L * l100 / 100, 2),
                "shift_start": t0, "shift_end": t1, "lunch_earliest": "11:00",
                "lunch_latest": "12:00", "lunch_duration_min": 60, "max_trips": 8,
            }
        )  # fmt: skip
    return rows


def main() -> None:
    rng = np.random.default_rng(SEED)
    assert sum(d[5] for d in DISTRICTS) == TOTAL_RESIDENTS
    per_person = bin_kg_per_person()
    points = make_points(rng)
    write_csv("points.csv", POINT_COLS, points)
    write_csv(
        "depots.csv",
        ["id", "name", "lon", "lat", "open", "close"],
        [dict(zip(["id", "name", "lon", "lat", "open", "close"], d, strict=True)) for d in DEPOTS],
    )
    stations = station_rows(points, per_person)
    write_csv("stations.csv", STATION_COLS, stations)
    write_csv(
        "facilities.csv",
        FACILITY_COLS,
        [dict(zip(FACILITY_COLS, f, strict=True)) for f in FACILITIES],
    )
    vehicles, sizing = size_fleets(points, per_person, stations)
    write_csv("vehicle_types.csv", VEHICLE_COLS, vehicles + haul_rows())
    summary(points, per_person, sizing)


def summary(points: list[dict[str, Any]], per_person: dict[str, float], sizing: list[str]) -> None:
    """Print what the README quotes (this is a build script, so it prints)."""
    residents = sum(int(p.get("residents", 0)) for p in points)
    print(f"points: {len(points)}, residents: {residents}")
    by_district: dict[str, list[int]] = {}
    for p in points:
        if "residents" in p:
            by_district.setdefault(p["district"], []).append(p["residents"])
    for d, rs in by_district.items():
        print(f"  {d}: {len(rs)} points, {sum(rs)} residents, mean {sum(rs) / len(rs):.0f}")
    access: dict[str, int] = {}
    for p in points:
        access[p["access"]] = access.get(p["access"], 0) + 1
    print("access:", access, "large generators:", len(LARGE_GENERATORS))
    print("kg per person per day in each bin:", {s: round(v, 4) for s, v in per_person.items()})
    print(
        "district mean t/day in bins:",
        {s: round(sum(point_kg(p, s, per_person) for p in points) / 1000, 2) for s in SHARE},
    )
    print(f"城南 capital: {CHENGNAN_CAPITAL_CNY:,.0f} CNY")
    print("fleet sizing:")
    for line in sizing:
        print("  " + line)


if __name__ == "__main__":
    main()
