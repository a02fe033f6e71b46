"""The figures every table of ``build_city.py`` uses: the city's districts, generation
constants (mirrored in the scenario.toml it writes), plants and depots.

A tag after a figure names where it comes from: ``§n X`` = section n of the project's
domain-facts collection with its confidence mark (H official or several sources, M one credible
report, L low-authority or derived, E estimate); *illustrative* = chosen to be plausible.
README.md gives the URLs. Coordinates are all illustrative (approximate, not surveyed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

R_EARTH_M = 6_371_008.8

# -- scale ------------------------------------------------------------------------------------
FULL_POINTS = 20_000  # the committed city; --points scales everything below by N / FULL_POINTS
# Residents of the full city: Nanjing ≈ 9.31 M (§2 L/E: the population figure is from memory).
TOTAL_RESIDENTS = 9_315_000
# Shares of the N points by kind (illustrative); the rest are household points.
RESTAURANT_SHARE, CANTEEN_SHARE, MARKET_SHARE = 0.125, 0.02, 0.01

# -- generation (scenario.toml [generation], [[streams]]) -----------------------------------
# 8,000 t/d ÷ 9.31 M (§2 derived L/E); the city makes > 8,000 t/d (§5 H).
KG_PER_PERSON_DAY = 0.86
SHARE = {"kitchen": 0.52, "recyclable": 0.18, "hazardous": 0.002, "other": 0.298}  # §9 L
# Kitchen 0.30 → 16 % of household waste in kitchen bins: between Nanjing's 1,011 t/d (≈13 %,
# May 2021, §2 M) and Beijing's > 18 % (2023, §2 M). Hazardous 0.05 → 0.01 % (Shanghai, §2 M).
CAPTURE = {"kitchen": 0.30, "recyclable": 0.50, "hazardous": 0.05, "other": 1.0}
MISSORT = [("kitchen", "recyclable", 0.02), ("recyclable", "kitchen", 0.03)]  # illustrative
DENSITY = {"kitchen": 650.0, "recyclable": 90.0, "hazardous": 300.0, "other": 145.0}
DENSITY["catering"] = 950.0  # catering slops in sealed buckets (illustrative)
# Catering (餐厨) waste of restaurants and canteens: ≈ 0.1 kg per resident per day (§2 L),
# 931 t/d for the full city (2019: ≈ 750 t/d generated, §5 M). Restaurants make 70 % of it.
CATERING_KG_PER_PERSON_DAY = 0.10
RESTAURANT_CATERING_SHARE = 0.70
# Markets (农贸市场, 其他厨余 §1): 150 t/d for the full city, by stream (illustrative).
MARKET_T_PER_DAY_FULL = 150.0
MARKET_MIX = {"kitchen": 0.65, "recyclable": 0.08, "other": 0.27}
# Default collection frequency of each stream (scenario.toml [[streams]]); points write only
# the frequencies that differ. Recyclables and hazardous waste: §7 M (weekly or by appointment,
# a monthly hazardous day), every other day for recyclables is illustrative.
DEFAULT_FREQ = {
    "kitchen": "daily", "recyclable": "every_other_day", "hazardous": "monthly",
    "other": "daily", "catering": "daily",
}  # fmt: skip
PEAK = 1.30  # Spring Festival 1.25 × month factor, rounded up: fleets and stations cope with it
VISIT_PEAK = 2.2  # worst single visit: PEAK × the largest daily noise draw (cv 0.12, ≈ 4.5 σ)

# Night collection of catering waste (§7 M: 专车专用; restaurants close late), illustrative.
CATERING_WINDOW = ("20:30", "25:30")
CATERING_SHIFT = ("20:00", "26:00")
NIGHT_DEPOT_HOURS = ("18:00", "27:00")  # the licensed collector's yard, 18:00–03:00
DAY_DEPOT_HOURS = ("04:00", "22:00")


@dataclass(frozen=True, slots=True, kw_only=True)
class District:
    """One of the city's districts (区). ``centres`` are its built-up areas (lon, lat, σ km),
    the first being its seat; villages lie 3 … ``village_km`` km around the seat; ``old_town``
    is the lane quarter (lon, lat, σ km) served by e-tricycles; ``bank`` is its side of the
    Yangtze."""

    code: str
    name: str
    kind: str  # core | suburb | rural
    residents: int
    centres: tuple[tuple[float, float, float], ...]
    village_km: float = 0.0
    old_town: tuple[float, float, float] | None = None
    bank: str = "south"
    depot: tuple[float, float] = (0.0, 0.0)


# Residents: the 2020 census by district as recalled (E, not read in a source), rounded to
# thousands; they sum to TOTAL_RESIDENTS. Centres, spreads and depots: illustrative.
# fmt: off
DISTRICTS: tuple[District, ...] = (
    District(code="XW", name="玄武区", kind="core", residents=538_000,
             centres=((118.800, 32.050, 1.6), (118.840, 32.040, 1.2)),
             old_town=(118.795, 32.045, 0.5), depot=(118.815, 32.060)),
    District(code="QH", name="秦淮区", kind="core", residents=741_000,
             centres=((118.795, 32.010, 1.6), (118.820, 31.995, 1.2)),
             old_town=(118.788, 32.013, 0.7), depot=(118.805, 32.000)),
    District(code="JY", name="建邺区", kind="core", residents=534_000,
             centres=((118.730, 32.005, 1.8), (118.720, 31.975, 1.4)), depot=(118.740, 31.990)),
    District(code="GL", name="鼓楼区", kind="core", residents=940_000,
             centres=((118.770, 32.065, 1.5), (118.745, 32.095, 1.4)),
             old_town=(118.775, 32.055, 0.6), depot=(118.755, 32.080)),
    District(code="QX", name="栖霞区", kind="suburb", residents=988_000,
             centres=((118.850, 32.110, 2.0), (118.930, 32.100, 2.2), (119.010, 32.140, 1.8)),
             village_km=9.0, depot=(118.880, 32.095)),
    District(code="YHT", name="雨花台区", kind="suburb", residents=609_000,
             centres=((118.770, 31.990, 1.6), (118.700, 31.950, 1.8)),
             village_km=7.0, depot=(118.755, 31.970)),
    District(code="JN", name="江宁区", kind="suburb", residents=1_926_000,
             centres=((118.850, 31.950, 2.4), (118.790, 31.900, 2.2), (118.870, 31.870, 2.0),
                      (118.720, 31.840, 2.0)),
             village_km=14.0, depot=(118.820, 31.915)),
    District(code="PK", name="浦口区", kind="suburb", residents=1_172_000, bank="north",
             centres=((118.630, 32.060, 2.2), (118.700, 32.130, 2.0), (118.730, 32.170, 1.8)),
             village_km=11.0, depot=(118.665, 32.100)),
    District(code="LH", name="六合区", kind="rural", residents=947_000, bank="north",
             centres=((118.830, 32.340, 2.2), (118.850, 32.230, 1.8), (118.980, 32.320, 1.4),
                      (118.700, 32.420, 1.4)),
             village_km=16.0, depot=(118.840, 32.320)),
    District(code="LS", name="溧水区", kind="rural", residents=491_000,
             centres=((119.030, 31.650, 2.0), (118.950, 31.730, 1.4), (119.120, 31.580, 1.2)),
             village_km=14.0, depot=(119.020, 31.640)),
    District(code="GC", name="高淳区", kind="rural", residents=429_000,
             centres=((118.880, 31.330, 1.8), (118.990, 31.350, 1.2), (119.060, 31.310, 1.2)),
             village_km=12.0, depot=(118.900, 31.325)),
)
# fmt: on

# The Yangtze as a polyline (lon, lat), west to east (illustrative): districts on the north
# bank keep their points north of it, the others south, with a 0.5 km margin.
YANGTZE = (
    (118.40, 31.72), (118.52, 31.83), (118.60, 31.92), (118.68, 32.02), (118.72, 32.09),
    (118.78, 32.14), (118.88, 32.17), (119.00, 32.21), (119.10, 32.24), (119.30, 32.27),
)  # fmt: skip
RIVER_MARGIN_DEG = 0.005

# Catering collectors (licensed, 专车专用 §7 M): yards and the districts each serves
# (illustrative). id, name, lon, lat, districts
CATERING_DEPOTS: tuple[tuple[str, str, float, float, tuple[str, ...]], ...] = (
    ("CDEPOT-N", "江南北片餐厨垃圾收运车场", 118.880, 32.080, ("XW", "GL", "QX")),
    ("CDEPOT-S", "江南南片餐厨垃圾收运车场", 118.790, 31.950, ("QH", "JY", "YHT", "JN")),
    ("CDEPOT-JB", "江北餐厨垃圾收运车场", 118.680, 32.120, ("PK", "LH")),
    ("CDEPOT-LG", "溧水高淳餐厨垃圾收运车场", 119.000, 31.600, ("LS", "GC")),
)

FACILITY_COLS = [
    "id", "name", "kind", "lon", "lat", "streams", "capacity_t_per_day", "gate_fee_cny_per_t",
    "open", "close", "bays", "unload_time_s", "storage_t", "fallback",
]  # fmt: skip
# Capacities: WtE 6,500 t/d in all (2019, §5 H), of which Jiangbei 2,000 (§5 M) and Gaochun
# 500 (§5 M); the two 江南 plants split the rest (illustrative). Catering 1,450 t/d (Nanjing
# 2024 plan, §8 H): Jiangbei 400 (§5 M), Qixia 230 (§5 M), the planned second plant 700 (§5 M),
# Lishui 120 (illustrative). Household kitchen 1,650 t/d (Nov 2021, §5 M): Jiangbei 200 and the
# second plant 300 (§5 M), the rest illustrative. Gate fees: Gaochun 67 CNY/t (§5 M), kitchen
# 230 (Haian 232, §5 M), landfill 90 (§5 E); others illustrative.
# fmt: off
FACILITIES: list[tuple[Any, ...]] = [
    ("FAC-WTE-JB", "江北静脉产业园生活垃圾焚烧厂", "waste_to_energy", 118.590, 32.200, "other",
     2000, 70, "00:00", "24:00", 10, 300, 8000, "FAC-LANDFILL"),
    ("FAC-WTE-E", "江南东部生活垃圾焚烧厂", "waste_to_energy", 119.000, 32.150, "other",
     2000, 70, "00:00", "24:00", 10, 300, 8000, "FAC-LANDFILL"),
    ("FAC-WTE-S", "江南南部生活垃圾焚烧厂", "waste_to_energy", 118.640, 31.790, "other",
     2000, 70, "00:00", "24:00", 10, 300, 8000, "FAC-LANDFILL"),
    ("FAC-WTE-GC", "高淳区生活垃圾焚烧厂", "waste_to_energy", 118.930, 31.300, "other",
     500, 67, "00:00", "24:00", 4, 300, 2000, "FAC-LANDFILL"),
    ("FAC-LANDFILL", "江南生活垃圾填埋场(应急)", "landfill", 118.700, 31.770, "other",
     1500, 90, "07:00", "18:00", 4, 600, 0, ""),
    ("FAC-CAT-JB", "江北静脉产业园餐厨垃圾处理厂", "kitchen_waste_plant", 118.595, 32.195,
     "catering", 400, 250, "00:00", "24:00", 4, 600, 200, ""),
    ("FAC-CAT-QX", "栖霞餐厨垃圾处理厂", "kitchen_waste_plant", 118.950, 32.120, "catering",
     230, 250, "00:00", "24:00", 3, 600, 100, ""),
    ("FAC-CAT-S", "江南第二餐厨垃圾处理厂", "kitchen_waste_plant", 118.680, 31.820, "catering",
     700, 250, "00:00", "24:00", 6, 600, 300, ""),
    ("FAC-CAT-LS", "溧水区餐厨垃圾处理厂", "kitchen_waste_plant", 119.050, 31.620, "catering",
     120, 250, "00:00", "24:00", 2, 600, 50, ""),
    ("FAC-KIT-JB", "江北静脉产业园厨余垃圾处理厂", "kitchen_waste_plant", 118.600, 32.190,
     "kitchen", 200, 230, "04:00", "22:00", 3, 420, 100, ""),
    ("FAC-KIT-S", "江南第二厨余垃圾处理厂", "kitchen_waste_plant", 118.685, 31.815, "kitchen",
     300, 230, "04:00", "22:00", 4, 420, 150, ""),
    ("FAC-KIT-E", "江南东部厨余垃圾处理厂", "kitchen_waste_plant", 118.990, 32.140, "kitchen",
     800, 230, "04:00", "22:00", 8, 420, 400, ""),
    ("FAC-KIT-JN", "江宁区厨余垃圾处理厂", "kitchen_waste_plant", 118.860, 31.860, "kitchen",
     200, 230, "04:00", "22:00", 3, 420, 100, ""),
    ("FAC-KIT-LG", "溧水高淳厨余垃圾处理厂", "kitchen_waste_plant", 119.000, 31.550, "kitchen",
     150, 230, "04:00", "22:00", 2, 420, 80, ""),
    ("FAC-SORT-QX", "栖霞可回收物分拣中心", "sorting_centre", 118.900, 32.080, "recyclable",
     250, 0, "06:00", "18:00", 4, 600, 100, ""),
    ("FAC-SORT-JN", "江宁可回收物分拣中心", "sorting_centre", 118.820, 31.900, "recyclable",
     250, 0, "06:00", "18:00", 4, 600, 100, ""),
    ("FAC-SORT-PK", "江北可回收物分拣中心", "sorting_centre", 118.660, 32.100, "recyclable",
     250, 0, "06:00", "18:00", 4, 600, 100, ""),
    ("FAC-SORT-LS", "溧水可回收物分拣中心", "sorting_centre", 119.030, 31.630, "recyclable",
     250, 0, "06:00", "18:00", 3, 600, 100, ""),
    ("FAC-SORT-GC", "高淳可回收物分拣中心", "sorting_centre", 118.890, 31.340, "recyclable",
     100, 0, "06:00", "18:00", 2, 600, 50, ""),
    ("FAC-HAZ-C", "南京市有害垃圾暂存处置中心", "hazardous_facility", 118.930, 32.105,
     "hazardous", 5, 3500, "08:00", "17:00", 1, 600, 5, ""),
    ("FAC-HAZ-S", "溧水有害垃圾暂存点", "hazardous_facility", 119.020, 31.610, "hazardous",
     1, 3500, "08:00", "17:00", 1, 600, 1, ""),
]
# fmt: on
CATERING_CAPACITY_T = 1450.0  # Nanjing 2024 plan (§8 H); FACILITIES' catering rows sum to it
HOUSEHOLD_KITCHEN_CAPACITY_T = 1650.0  # Nov 2021 (§5 M); the kitchen rows sum to it


def bin_kg_per_person() -> dict[str, float]:
    """Mean kg per resident per day that ends in each household stream's bin (capture +
    missorting; the rest lands in ``other``), as ``wasteopt.generation`` computes it."""
    total = KG_PER_PERSON_DAY
    out = {s: total * SHARE[s] * CAPTURE[s] for s in SHARE}
    lost = {s: total * SHARE[s] * (1 - CAPTURE[s]) for s in SHARE}
    for src, dst, share in MISSORT:
        out[dst] += total * SHARE[src] * share
        lost[src] -= total * SHARE[src] * share
    out["other"] += sum(v for s, v in lost.items() if s != "other")
    return out
