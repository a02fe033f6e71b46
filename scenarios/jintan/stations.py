"""The transfer stations of the Jintan scenario: the urban stations as listed, the town stations
sized by rule from their towns' waste."""

from __future__ import annotations

import math
from typing import Any

from points import point_kg
from sources import DISTRICTS, PEAK

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
URBAN: list[tuple[Any, ...]] = [
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
    ("ST-CHENGNAN", "城南转运站", 119.568, 31.711, "西城街道", "candidate",
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


def town_station(
    sid: str, name: str, lon: float, lat: float, code: str, t_per_day: float
) -> dict[str, Any]:
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


def station_rows(
    points: list[dict[str, Any]], per_person: dict[str, float]
) -> list[dict[str, Any]]:
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
