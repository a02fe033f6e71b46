"""The transfer arcs (station j, stream s, plant k) of the station consolidation model and their
cost per t/day: haul trips of loads compacted per (station, stream) from station to plant (one
container per trip when the station ships in containers), and the plant's gate fee (model:
:mod:`wasteopt.facilities.model`, "Transfer from station j to plant k")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wasteopt.facilities.collection import FloatArray, vehicle_day_share
from wasteopt.facilities.inputs import IntArray, ModelInputs
from wasteopt.facilities.options import Acceptance
from wasteopt.facilities.settings import CostSettings
from wasteopt.scenario.model import Scenario

__all__ = ["TransferArcs", "transfer_arcs"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferArcs:
    """Arcs a = (``station``, ``stream``, ``plant``) indices; per t/day of flow: A_jsk
    (``haul``) and 365·g_k (``gate``) in CNY/yr, haul km and kg CO2 per t; ``distance_km``
    d(j,k); ``load_t`` L_js t per haul trip and ``vehicle_days_per_trip`` the share of a haul
    vehicle-day one trip uses."""

    station: IntArray
    stream: IntArray
    plant: IntArray
    haul: FloatArray
    gate: FloatArray
    km_per_t: FloatArray
    distance_km: FloatArray
    co2_kg_per_t: FloatArray
    load_t: FloatArray
    vehicle_days_per_trip: FloatArray

    @property
    def cost(self) -> FloatArray:
        """A_jsk + 365·g_k, the objective coefficient of f_jsk."""
        return self.haul + self.gate


def transfer_arcs(
    scenario: Scenario,
    inputs: ModelInputs,
    accepts: Acceptance,
    y_ub: FloatArray,
    costs: CostSettings,
) -> TransferArcs:
    """Every arc from a station that may open, for each active stream it accepts, to each plant
    accepting that stream (station order, then stream, then plant), with its costs."""
    a_st: list[int] = []
    a_s: list[int] = []
    a_k: list[int] = []
    for j in range(len(scenario.stations)):
        if y_ub[j] == 0.0:
            continue
        for s in inputs.active_streams:
            if not accepts.station[j, s]:
                continue
            for k in range(len(scenario.facilities)):
                if accepts.plant[k, s]:
                    a_st.append(j)
                    a_s.append(s)
                    a_k.append(k)
    station = np.array(a_st, dtype=np.int64)
    stream = np.array(a_s, dtype=np.int64)
    plant = np.array(a_k, dtype=np.int64)
    if not len(station):
        empty = np.zeros(0)
        return TransferArcs(
            station=station,
            stream=stream,
            plant=plant,
            haul=empty,
            gate=empty,
            km_per_t=empty,
            distance_km=empty,
            co2_kg_per_t=empty,
            load_t=empty,
            vehicle_days_per_trip=empty,
        )
    return _priced_arcs(scenario, inputs, station, stream, plant, costs)


def _priced_arcs(
    scenario: Scenario,
    inputs: ModelInputs,
    station: IntArray,
    stream: IntArray,
    plant: IntArray,
    costs: CostSettings,
) -> TransferArcs:
    """Haul cost per t/day: trips of L_js = min(payload, volume·density_s·ρ_js) kg (and at most
    one container of ``container_t`` when the station has containers), each costing km, hours
    (driving and unloading at the plant) and its share of a vehicle-day."""
    days = costs.days_per_year
    dist = inputs.distances
    d_jk = dist.station_plant[station, plant]
    rt_jk = costs.km_factor * (d_jk + dist.plant_station[plant, station])
    fleets = [inputs.haul[s] for s in stream.tolist()]

    def param(attr: str) -> FloatArray:
        return np.array([getattr(h, attr) for h in fleets])

    load = np.array(
        [
            _trip_load_kg(scenario, j, s, h.payload_kg, h.volume_m3)
            for h, j, s in zip(fleets, station.tolist(), stream.tolist(), strict=True)
        ]
    )
    km_per_t = rt_jk * 1000.0 / load
    unload_h_plant = np.array([k.unload_time_s for k in scenario.facilities], dtype=float) / 3600.0
    trip_h = rt_jk / param("speed_kmh") + unload_h_plant[plant]
    share = vehicle_day_share(trip_h, param("max_trips"), param("shift_h"))
    cost_per_trip = (
        param("cost_cny_per_km") * rt_jk
        + param("cost_cny_per_hour") * trip_h
        + (param("cost_cny_per_day") + param("cost_cny_per_hour") * param("lunch_h")) * share
    )
    gate_per_t = np.array([k.gate_fee_cny_per_t for k in scenario.facilities], dtype=float)
    return TransferArcs(
        station=station,
        stream=stream,
        plant=plant,
        haul=days * cost_per_trip * 1000.0 / load,
        gate=days * gate_per_t[plant],
        km_per_t=km_per_t,
        distance_km=d_jk,
        co2_kg_per_t=param("co2_kg_per_km") * km_per_t,
        load_t=load / 1000.0,
        vehicle_days_per_trip=share,
    )


def _trip_load_kg(scenario: Scenario, j: int, s: int, payload_kg: float, volume_m3: float) -> float:
    """L_js: what one haul trip from station j carries of stream s (kg): the vehicle's payload
    or its volume of waste compacted at ρ_js (kitchen waste: 1 without a press), and at most one
    container when the station ships in containers of ``container_t``."""
    st, sid = scenario.stations[j], scenario.streams[s]
    load = min(payload_kg, volume_m3 * sid.density_kg_per_m3 * st.compaction_for(sid.id))
    if st.container_t > 0:
        load = min(load, 1000.0 * st.container_t)
    return load
