"""The Jintan figures every table of ``build_tables.py`` uses: generation constants mirrored
from scenario.toml, the nine subdistricts and towns, the depots and the plants (sources:
README.md)."""

from __future__ import annotations

from typing import Any

R_EARTH_M = 6_371_008.8

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

FACILITY_COLS = [
    "id", "name", "kind", "lon", "lat", "streams", "capacity_t_per_day", "gate_fee_cny_per_t",
    "open", "close", "bays", "unload_time_s", "storage_t", "fallback", "external_t_per_day",
]  # fmt: skip
# fmt: off
FACILITIES: list[tuple[Any, ...]] = [
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
