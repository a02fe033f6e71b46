"""The scenario.toml that ``build_city.py`` writes next to the tables: settings, the five
streams and the generation constants of ``sources.py`` (one place for every figure)."""

from __future__ import annotations

from outages import variant_toml
from sources import CAPTURE, DEFAULT_FREQ, DENSITY, KG_PER_PERSON_DAY, MISSORT, SHARE

STREAMS = {  # id -> name_en, name_zh, colour
    "kitchen": ("Kitchen/food waste", "厨余垃圾", "#2e8b57"),
    "recyclable": ("Recyclables", "可回收物", "#1f5fbf"),
    "hazardous": ("Hazardous waste", "有害垃圾", "#c0392b"),
    "other": ("Other/residual waste", "其他垃圾", "#6b6b6b"),
    "catering": ("Catering waste (restaurants, canteens)", "餐厨垃圾", "#b8860b"),
}

HEAD = """\
# 南京 (Nanjing)-like city, written by build_city.py (--points {points} --seed {seed}); do not
# edit by hand: change the generator and rebuild. Sources and what is illustrative: README.md.
format_version = 1

[scenario]
id = "nanjing"
name = "南京市生活垃圾与餐厨垃圾分类收运(示意城市)"
description = \"\"\"A Nanjing-like city of {points:,} collection points in 11 districts: \\
{residents} residents ({household_t:,.0f} t/day of household waste in four streams) in \\
communities, old-town lanes and villages, {markets:,} markets, and {caterers:,} restaurants \\
and canteens whose catering waste ({catering_t:,.0f} t/day) licensed night fleets take to \\
catering plants of 1,450 t/day; {stations} transfer stations, {plants} plants. Synthetic \\
points; published totals where README.md cites them, the rest illustrative.\"\"\"
standard_streams = true

[tables]
plant_outages = "plant_outages.csv"  # prepared, inactive: the wte_unplanned variant
residues = "residues.csv"            # slag, fly ash, leachate, rejects beyond the gate

[network]
circuity = 1.3                       # illustrative: river, rail and ring-road detours

[planning]
mode = "status_quo"
shortfall_penalty_cny_per_t = 4000   # above every gate fee (hazardous 3,500 CNY/t)
wage_cny_per_person_year = 80000     # illustrative, incl. social insurance
require_standard = false
fill_margin = 0.85                   # trucks planned to 85 % of payload, as Jintan (README)

[defaults]
service_time_s = 240
tw_start = "05:00"
tw_end = "17:00"

[generation]
start_date = "2026-01-05"            # a Monday
kg_per_person_day = {kg_per_person}
persons_per_household = 2.6
#                 Mon   Tue   Wed   Thu   Fri   Sat   Sun
weekday_factors = [1.04, 0.99, 0.98, 0.98, 1.00, 1.00, 1.01]
#                 Jan   Feb   Mar   Apr   May   Jun   Jul   Aug   Sep   Oct   Nov   Dec
month_factors   = [1.02, 1.00, 0.96, 0.97, 0.99, 1.02, 1.05, 1.06, 1.02, 0.99, 0.96, 0.96]
noise_cv = 0.12

[[generation.holidays]]
name = "春节 2026"
start = "2026-02-17"
days = 7
factor = 1.25

[[generation.holidays]]
name = "国庆节 2026"
start = "2026-10-01"
days = 7
factor = 1.12
"""

TAIL = """
[[variants]]
id = "growth10"
description = "10 % more waste in every stream (population and per-capita growth)"
generation_scale = 1.1

# The city's targets (docs/scenario-format.md "Targets"; sources: README.md "Targets"). Rates
# are of household waste: restaurants' catering waste is left out of the total.
[[targets]]
metric = "kitchen_separation"        # 分出率
total_streams = ["kitchen", "recyclable", "hazardous", "other"]
value = 0.18
source = \"\"\"illustrative: Beijing's 2023 level (> 18 %, news report, M); Nanjing separated \\
1,011 t/day of kitchen waste in May 2021 (about 13 % of household waste, M)\"\"\"

[[targets]]
metric = "resource_recovery"         # 资源化利用率
total_streams = ["kitchen", "recyclable", "hazardous", "other"]
value = 0.35
source = "national target: recycling rate >= 35 % by 2025 (发改环资〔2021〕642号, H)"

[[targets]]
metric = "harmless_treatment"        # 无害化处理率
value = 0.99
source = "illustrative: city plans aim at full harmless treatment; no figure was read"

[[targets]]
metric = "compliant_communities"     # 达标小区数
value = 1643
source = \"\"\"Nanjing 2024 plan: 1,643 certified 达标小区 re-inspected (the plan, H); the \\
city's points are synthetic, so the count is indicative\"\"\"

[[targets]]
id = "catering_capacity"
metric = "treatment_capacity"        # 餐厨 plants
kind = "kitchen_waste_plant"
streams = ["catering"]
value = 1450
source = "Nanjing 2024 plan: 全市餐厨垃圾集中处理能力提升至1450吨/日 (the plan, H)"
"""


# The multi-year plan (`wasteopt plan-years`; README "Horizon"): growth, capture path, the
# landfill's closure year and every build's cost are illustrative; the catering capacity of
# 1,450 t/day is the 2024 plan's (H).
HORIZON = """
# Multi-year plan (`wasteopt plan-years`, docs/scenario-format.md "Horizon"; README "Horizon").
# Illustrative: growth, capture path, closure year, build costs. Catering 1,450 t/day: 2024 plan.
[horizon]
start_year = 2024
years = 10
discount_rate = 0.05
growth = 0.03                        # +3 %/year, illustrative (6,307 t/d 2015 → 8,000+ t/d 2021, H)
retire_stations = false              # stations stay; the plan decides plant expansions
years_table = "years.csv"
builds_table = "builds.csv"
"""
YEARS_CSV = """year,generation_index,capture.kitchen,close
2024,1.0,0.30,
2026,,0.33,FAC-LANDFILL
2028,,0.36,
2030,,0.40,
"""
BUILDS_CSV = """\
id,site,action,capacity_t_per_day,capex_cny,fixed_cost_cny_per_year,earliest_year,year,\
lifetime_years
B-CAT-JB2,FAC-CAT-JB,expand,300,180000000,12000000,2026,,20
B-KIT-E2,FAC-KIT-E,expand,400,200000000,15000000,2026,,20
B-KIT-S2,FAC-KIT-S,expand,300,150000000,11000000,2026,,20
B-KIT-JN2,FAC-KIT-JN,expand,200,100000000,7500000,2026,,20
B-WTE-S2,FAC-WTE-S,expand,1000,600000000,30000000,2026,,30
B-WTE-JB2,FAC-WTE-JB,expand,1000,600000000,30000000,2026,,30
B-ST-PK-L2,ST-PK-L,expand,700,80000000,2000000,2026,,30
B-ST-JN-K1,ST-JN-K01,expand,100,20000000,800000,2026,,20
B-ST-QX-K1,ST-QX-K01,expand,100,20000000,800000,2026,,20
B-ST-GL-K1,ST-GL-K01,expand,80,16000000,700000,2026,,20
"""


def builds_csv(sites: set[str]) -> str:
    """:data:`BUILDS_CSV` without the rows at sites a smaller city lacks (its stations)."""
    head, *rows = BUILDS_CSV.splitlines()
    kept = [r for r in rows if r.split(",")[1] in sites or r.split(",")[1].startswith("FAC-")]
    return "\n".join([head, *kept]) + "\n"


def scenario_toml(**figures: object) -> str:
    """The file's text; ``figures`` fill the header (points, seed, residents, tonnes, counts)."""
    parts = [HEAD.format(kg_per_person=KG_PER_PERSON_DAY, **figures)]
    for src, dst, share in MISSORT:
        parts.append(
            f'\n[[generation.missorting]]\nfrom = "{src}"\nto = "{dst}"\nshare = {share}\n'
        )
    for sid, (name_en, name_zh, color) in STREAMS.items():
        parts.append(
            f'\n[[streams]]\nid = "{sid}"\nname_en = "{name_en}"\nname_zh = "{name_zh}"\n'
            f'color = "{color}"\ndensity_kg_per_m3 = {DENSITY[sid]:g}\n'
            f"share = {SHARE.get(sid, 0.0)}\ncapture_rate = {CAPTURE.get(sid, 1.0)}\n"
            f'default_frequency = "{DEFAULT_FREQ[sid]}"\n'
        )
    parts.append(TAIL)
    parts.append(variant_toml())
    parts.append(HORIZON)
    return "".join(parts)
