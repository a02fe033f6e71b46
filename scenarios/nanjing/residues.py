"""The city's residues and side flows beyond the gate (residues.csv): slag and fly ash of each
waste-to-energy plant, leachate of the WtE bunkers, the emergency landfill and the transfer
stations, digestate and rejects of the kitchen/catering plants, sorting-centre rejects. Shares
are the Jintan scenario's (sourced there where a source was found); every destination,
distance, cost and line capacity here is illustrative. Side flows go to the nearest WtE
plant by straight line."""

from __future__ import annotations

import math
from typing import Any

from sources import FACILITIES, FACILITY_COLS

RESIDUE_COLS = [
    "id", "origin", "residue", "basis", "amount", "destination", "dest_lon", "dest_lat", "km",
    "hazardous", "licensed", "uses_capacity", "line_capacity_t_per_day", "cost_cny_per_t",
    "transport_cny_per_t_km", "co2_kg_per_t_km", "source",
]  # fmt: skip

_ILL = "illustrative (shares as in the Jintan scenario, see its README)"
#: WtE plant -> leachate plant capacity (t/day): illustrative, 30 % of the furnace capacity
#: (Jintan: 400 t/d of leachate treatment for 1,000 t/d, README D5 H)
_LEACHATE_SHARE_OF_CAPACITY = 0.3
_TRUCK = {"transport_cny_per_t_km": 0.8, "co2_kg_per_t_km": 0.1}


def _plants() -> list[dict[str, Any]]:
    return [dict(zip(FACILITY_COLS, f, strict=True)) for f in FACILITIES]


def _nearest_wte(lon: float, lat: float, wtes: list[dict[str, Any]]) -> dict[str, Any]:
    """The WtE plant nearest to (lon, lat) on an equirectangular plane (ties: the first)."""
    k = math.cos(math.radians(lat))
    return min(wtes, key=lambda w: ((w["lon"] - lon) * k) ** 2 + (w["lat"] - lat) ** 2)


def residue_rows(stations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every flow of the city (see the module docstring); ``stations`` as stations.csv."""
    plants = _plants()
    wtes = [p for p in plants if p["kind"] == "waste_to_energy"]
    line = {w["id"]: round(w["capacity_t_per_day"] * _LEACHATE_SHARE_OF_CAPACITY) for w in wtes}
    rows: list[dict[str, Any]] = [
        {"id": "WTE-SLAG", "origin": "waste_to_energy", "residue": "slag",
         "basis": "share_of_input", "amount": 0.20, "destination": "NJ-SLAG-REUSE",
         "dest_lon": 118.80, "dest_lat": 31.95, "cost_cny_per_t": 25, **_TRUCK, "source": _ILL},
        {"id": "WTE-FLYASH", "origin": "waste_to_energy", "residue": "fly_ash",
         "basis": "share_of_input", "amount": 0.04, "destination": "FAC-LANDFILL",
         "hazardous": "true", "licensed": "true", "uses_capacity": "true",
         "cost_cny_per_t": 1200, "transport_cny_per_t_km": 2.0, "co2_kg_per_t_km": 0.1,
         "source": _ILL + "; stabilised fly ash to the landfill's licensed cell"},
        {"id": "LANDFILL-LEACHATE", "origin": "FAC-LANDFILL", "residue": "leachate",
         "basis": "t_per_day", "amount": 150, "destination": (lf := _nearest_of("FAC-LANDFILL",
         plants, wtes))["id"], "line_capacity_t_per_day": line[lf["id"]], "cost_cny_per_t": 80,
         **_TRUCK, "source": _ILL},
    ]  # fmt: skip
    for w in wtes:
        rows.append(
            {"id": f"{w['id']}-PIT", "origin": w["id"], "residue": "leachate",
             "basis": "share_of_input", "amount": 0.20, "destination": w["id"], "km": 0,
             "line_capacity_t_per_day": line[w["id"]], "cost_cny_per_t": 80, "source": _ILL}
        )  # fmt: skip
    for p in plants:
        kinds = {"kitchen_waste_plant": (("digestate", 0.10), ("rejects", 0.15)),
                 "sorting_centre": (("rejects", 0.15),)}.get(p["kind"], ())  # fmt: skip
        for residue, share in kinds:
            rows.append(
                {"id": f"{p['id']}-{residue.upper()}", "origin": p["id"], "residue": residue,
                 "basis": "share_of_input", "amount": share,
                 "destination": _nearest_wte(p["lon"], p["lat"], wtes)["id"],
                 "uses_capacity": "true", "cost_cny_per_t": 70, **_TRUCK, "source": _ILL}
            )  # fmt: skip
    for st in stations:
        w = _nearest_wte(float(st["lon"]), float(st["lat"]), wtes)
        rows.append(
            {"id": f"{st['id']}-LEACHATE", "origin": st["id"], "residue": "leachate",
             "basis": "share_of_input", "amount": 0.03, "destination": w["id"],
             "line_capacity_t_per_day": line[w["id"]], "cost_cny_per_t": 80, **_TRUCK,
             "source": _ILL}
        )  # fmt: skip
    return rows


def _nearest_of(fid: str, plants: list[dict[str, Any]], wtes: list[dict[str, Any]]) -> Any:
    p = next(x for x in plants if x["id"] == fid)
    return _nearest_wte(p["lon"], p["lat"], wtes)
