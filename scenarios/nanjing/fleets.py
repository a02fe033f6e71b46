"""The vehicle types of the Nanjing-like city: which depot's model serves each point and
stream, the collection fleets sized by load and time (``fleet_sizing.py``), the night catering
fleets and the tier-2 haul trucks of each district."""

from __future__ import annotations

import math
from typing import Any

import fleet_sizing
import numpy as np
from points import is_due, point_kg
from sources import (
    CATERING_DEPOTS,
    CATERING_SHIFT,
    DEFAULT_FREQ,
    DENSITY,
    DISTRICTS,
    FACILITIES,
    PEAK,
)

VEHICLE_COLS = [
    "id", "name", "stream", "role", "vehicle_class", "depot", "count", "payload_kg",
    "volume_m3", "speed_kmh", "cost_cny_per_km", "cost_cny_per_hour", "cost_cny_per_day",
    "co2_kg_per_km", "shift_start", "shift_end", "lunch_earliest", "lunch_latest",
    "lunch_duration_min", "max_trips",
]  # fmt: skip
DIESEL_CO2_KG_PER_L = 2.67  # §4 H
# fmt: off
# Collection models: key -> (code, name, stream, class, payload kg, volume m³ (loose-waste
# equivalent: body × compaction), CNY/km, CNY/h, CNY/day, L/100 km, shift start, end). Ranges:
# §4 E (default vehicle types); the catering truck: a sealed 5 t bucket truck (illustrative;
# Gulou's catering routes carry ≈ 4.6 t each, §4 M).
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
    "cat": ("CAT", "餐厨垃圾密封收运车(5吨)", "catering", "small_compactor", 5000, 6.0,
            3.5, 80, 260, 22, *CATERING_SHIFT),
}
# E-tricycle (电动三轮保洁车), one model per stream: 600 kg, 3.0 m³ box (illustrative).
TRICYCLE = (600, 3.0, 0.2, 35, 40, 0.03, "05:00", "15:00")
# Tier-2 hook-lift trucks: stream -> (code, name, payload, volume, CNY/km, CNY/h, CNY/day,
# L/100 km). 15 t and 10 t boxes as in Nanjing (§3/§4 M), costs §4 E.
HAUL: dict[str, tuple[Any, ...]] = {
    "other": ("HAUL-OTH", "其他垃圾拉臂箱转运车(15吨箱)", 15000, 26.0, 6.5, 45, 480, 40),
    "kitchen": ("HAUL-KIT", "厨余垃圾拉臂箱转运车(10吨箱)", 10000, 16.0, 6.0, 45, 420, 35),
}
# fmt: on
# Speeds (illustrative): city streets 18 km/h, suburbs 25, rural roads 30; catering trucks
# 30 at night (light traffic); e-tricycles 12; hazardous vans 35; haul 45.
SPEED_KMH = {"core": 18, "suburb": 25, "rural": 30}
CATERING_SPEED_KMH, TRICYCLE_SPEED_KMH, HAZ_SPEED_KMH, HAUL_SPEED_KMH = 30, 12, 35, 45
PLANNED_TRIPS = {"tri": 6, "cat": 2, "haz": 2}  # others: 3 a shift
EXTRA_TRIPS = 1  # a vehicle may make one trip more than planned (its max_trips)
SPARE = 0.10
CIRCUITY = 1.3  # scenario.toml [network]
HAUL_WORKING_H, HAUL_HANDLING_H = 11.0, 0.4  # 06:00–18:00 less lunch; box swap + tipping
ZH_STREAM = {"kitchen": "厨余", "other": "其他垃圾", "recyclable": "可回收物"}
# (visits per collection day, period in days) of each frequency used here
FREQ_VISITS = {
    "twice_daily": (2, 1), "daily": (1, 1), "every_other_day": (1, 2),
    "twice_weekly": (1, 3), "monthly": (1, 28),
}  # fmt: skip
KIND = {d.code: d.kind for d in DISTRICTS}
CATERING_DEPOT = {code: c[0] for c in CATERING_DEPOTS for code in c[4]}


def sites_of(stations: list[dict[str, Any]], stream: str, direct: bool) -> np.ndarray:
    """(lon, lat, unload s) of the sites taking ``stream``: the stations accepting it, and the
    plants when ``direct`` (large generators) or when no station accepts it (the facility
    plan's rule)."""
    out = [
        (float(r["lon"]), float(r["lat"]), float(r["unload_time_s"]))
        for r in stations
        if stream in r["streams"].split(";")
    ]
    if direct or not out:
        out += [(f[3], f[4], float(f[11])) for f in FACILITIES if stream in f[5].split(";")]
    return np.array(out)


def serving(p: dict[str, Any], stream: str) -> tuple[str, str]:
    """(depot, model key) that serves ``stream`` at point ``p`` (README, "Fleet")."""
    depot = f"DEPOT-{p['_code']}"
    if stream == "catering":
        return CATERING_DEPOT[p["_code"]], "cat"
    if p["access"] == "lane":
        return depot, f"tri_{stream}"
    if stream == "hazardous":
        return depot, "haz"
    if stream == "other" and p["access"] == "main_road":
        return depot, "oth"
    return depot, {"kitchen": "kit", "recyclable": "rec", "other": "oth_small"}[stream]


def work_groups(
    points: list[dict[str, Any]], per_person: dict[str, float], stations: list[dict[str, Any]]
) -> dict[tuple[str, str], fleet_sizing.Work]:
    """Each depot × model's points as one Work group (the nearest site each unloads at)."""
    rows: dict[tuple[str, str], list[tuple[float, ...]]] = {}
    for stream in DEFAULT_FREQ:
        due = [p for p in points if is_due(p, stream, per_person)]
        for direct in (False, True):
            group = [p for p in due if (p.get("large_generator") == "true") == direct]
            if not group:
                continue
            sites = sites_of(stations, stream, direct)
            lon = np.array([float(p["lon"]) for p in group])
            lat = np.array([float(p["lat"]) for p in group])
            km = fleet_sizing.road_km(
                lon[:, None], lat[:, None], sites[None, :, 0], sites[None, :, 1], CIRCUITY
            )
            best = np.argmin(km, axis=1)
            for i, p in enumerate(group):
                visits, period = FREQ_VISITS[p.get(f"freq.{stream}", DEFAULT_FREQ[stream])]
                rows.setdefault(serving(p, stream), []).append(
                    (lon[i], lat[i], point_kg(p, stream, per_person), visits / period, period,
                     float(p.get("service_time_s", 240)), km[i, best[i]], sites[best[i], 2])
                )  # fmt: skip
    out = {}
    for key, items in sorted(rows.items()):
        a = np.array(items)
        out[key] = fleet_sizing.Work(
            lon=a[:, 0], lat=a[:, 1], kg_per_day=a[:, 2], visits_per_day=a[:, 3],
            period_days=a[:, 4], service_s=a[:, 5], site_km=a[:, 6], site_unload_s=a[:, 7],
        )  # fmt: skip
    return out


def depot_lonlat(depot: str) -> tuple[float, float]:
    for c in CATERING_DEPOTS:
        if c[0] == depot:
            return c[2], c[3]
    return next(d.depot for d in DISTRICTS if f"DEPOT-{d.code}" == depot)


def size_fleets(
    points: list[dict[str, Any]], per_person: dict[str, float], stations: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Collection vehicle types per depot × model, sized by load and time (``fleet_sizing``),
    and one line of sizing each."""
    vehicles: list[dict[str, Any]] = []
    sizing: list[str] = []
    for (depot, key), w in work_groups(points, per_person, stations).items():
        v = vehicle_row(depot, key)
        start, end = (int(v[f"shift_{x}"][:2]) for x in ("start", "end"))
        lon, lat = depot_lonlat(depot)
        model = fleet_sizing.Model(
            load_kg=min(float(v["payload_kg"]), float(v["volume_m3"]) * DENSITY[v["stream"]]),
            speed_kmh=float(v["speed_kmh"]),
            planned_trips=int(v["max_trips"]) - EXTRA_TRIPS,
            working_h=end - start - float(v.get("lunch_duration_min", 0)) / 60,
            depot_lon=lon,
            depot_lat=lat,
        )
        r = fleet_sizing.size(w, model, peak=PEAK, spare=SPARE, circuity=CIRCUITY)
        v["count"] = r.count
        vehicles.append(v)
        sizing.append(
            f"{v['id']:18s} pts={len(w.lon):5d} mean={w.kg_per_day.sum() / 1000:7.2f} t/d "
            f"load={model.load_kg:5.0f} kg trips={r.trips:6.1f} work={r.work_h:7.1f} h "
            f"need load={r.load_need:6.2f} time={r.time_need:6.2f} -> {r.count}"
        )
    return vehicles, sizing


def co2(l100: float) -> float:
    return round(DIESEL_CO2_KG_PER_L * l100 / 100, 2)


def vehicle_row(depot: str, key: str) -> dict[str, Any]:
    """One collection vehicle type row (count filled in by the caller)."""
    lunch = {"lunch_earliest": "11:00", "lunch_latest": "12:00", "lunch_duration_min": 60}
    tag = depot.removeprefix("DEPOT-").removeprefix("CDEPOT-")
    if key.startswith("tri_"):
        stream = key.removeprefix("tri_")
        payload, vol, ckm, ch, cday, co2_km, t0, t1 = TRICYCLE
        return {
            "id": f"VT-TRI-{stream[:3].upper()}-{tag}",
            "name": f"电动三轮保洁车({ZH_STREAM[stream]})", "stream": stream,
            "role": "collection", "vehicle_class": "e_tricycle", "depot": depot,
            "payload_kg": payload, "volume_m3": vol, "speed_kmh": TRICYCLE_SPEED_KMH,
            "cost_cny_per_km": ckm, "cost_cny_per_hour": ch, "cost_cny_per_day": cday,
            "co2_kg_per_km": co2_km, "shift_start": t0, "shift_end": t1,
            "max_trips": PLANNED_TRIPS["tri"] + EXTRA_TRIPS, **lunch,
        }  # fmt: skip
    code, name, stream, cls, payload, vol, ckm, ch, cday, l100, t0, t1 = MODELS[key]
    if key == "cat":
        speed, lunch = CATERING_SPEED_KMH, {}  # a 6 h night shift without a meal break
    else:
        speed = HAZ_SPEED_KMH if key == "haz" else SPEED_KMH[KIND[tag]]
    return {
        "id": f"VT-{code}-{tag}", "name": name, "stream": stream, "role": "collection",
        "vehicle_class": cls, "depot": depot, "payload_kg": payload, "volume_m3": vol,
        "speed_kmh": speed, "cost_cny_per_km": ckm, "cost_cny_per_hour": ch,
        "cost_cny_per_day": cday, "co2_kg_per_km": co2(l100), "shift_start": t0,
        "shift_end": t1, "max_trips": PLANNED_TRIPS.get(key, 3) + EXTRA_TRIPS, **lunch,
    }  # fmt: skip


def haul_rows(
    points: list[dict[str, Any]], per_person: dict[str, float], stations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Tier-2 hook-lift types per district and stream (station → plant, one box a trip), sized
    by time: the district's peak tonnes spread over its stations by capacity, each box a round
    trip to the nearest plant at HAUL_SPEED_KMH plus HAUL_HANDLING_H; count =
    ⌈(1 + SPARE) × hours ÷ HAUL_WORKING_H⌉ + 1 (illustrative)."""
    rows = []
    for d in DISTRICTS:
        homes = [p for p in points if p["_code"] == d.code and "residents" in p]
        for stream, (code, name, payload, vol, ckm, ch, cday, l100) in HAUL.items():
            mine = [
                r for r in stations if r["district"] == d.name and stream in r["streams"].split(";")
            ]
            if not mine:
                continue
            tonnes = PEAK * sum(point_kg(p, stream, per_person) for p in homes) / 1000
            plants = sites_of([], stream, True)
            caps = np.array([float(r["capacity_t_per_day"]) for r in mine])
            hours = 0.0
            for r, cap in zip(mine, caps, strict=True):
                km = fleet_sizing.road_km(
                    float(r["lon"]), float(r["lat"]), plants[:, 0], plants[:, 1], CIRCUITY
                )
                trip_h = 2 * float(np.min(km)) / HAUL_SPEED_KMH + HAUL_HANDLING_H
                loads = tonnes * cap / caps.sum() / min(payload / 1000, float(r["container_t"]))
                hours += loads * trip_h
            rows.append(
                {
                    "id": f"VT-{code}-{d.code}", "name": name, "stream": stream, "role": "haul",
                    "vehicle_class": "hook_lift", "depot": f"DEPOT-{d.code}",
                    "count": math.ceil((1 + SPARE) * hours / HAUL_WORKING_H) + 1,
                    "payload_kg": payload, "volume_m3": vol, "speed_kmh": HAUL_SPEED_KMH,
                    "cost_cny_per_km": ckm, "cost_cny_per_hour": ch, "cost_cny_per_day": cday,
                    "co2_kg_per_km": co2(l100), "shift_start": "06:00", "shift_end": "18:00",
                    "lunch_earliest": "11:00", "lunch_latest": "12:00",
                    "lunch_duration_min": 60, "max_trips": 8,
                }
            )  # fmt: skip
    return rows
