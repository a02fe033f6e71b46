"""The vehicle types of the Jintan scenario: which depot's model serves each point and stream,
the fleets sized by load and time (``fleet_sizing.py``), and the tier-2 haul types."""

from __future__ import annotations

from typing import Any

import fleet_sizing
import numpy as np
from points import URBAN_BOX, haversine_m, point_kg
from sources import DENSITY, DEPOTS, DISTRICTS, FACILITIES, PEAK, SHARE, TRUCK_DEPOTS

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
