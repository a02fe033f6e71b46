"""One scenario object per CSV row: the record builders of the tables (``None`` when a cell of
the row failed; the failure is already reported)."""

from __future__ import annotations

import math
import zlib

from wasteopt.scenario.csv_tables import PointContext, Row
from wasteopt.scenario.model import (
    CollectionPoint,
    Depot,
    TransferStation,
    TreatmentFacility,
    VehicleType,
)

__all__ = ["depot", "facility", "point", "station", "vehicle_type"]


def depot(r: Row) -> Depot | None:
    """A depot; None when a cell failed."""
    v = r.values()
    if r.failed:
        return None
    return Depot(
        id=v["id"],
        name=v["name"],
        lon=v["lon"],
        lat=v["lat"],
        open_s=v["open"],
        close_s=v["close"],
    )


def station(r: Row) -> TransferStation | None:
    """A transfer station; None when a cell failed."""
    v = r.values()
    if r.failed:
        return None
    return TransferStation(
        id=v["id"],
        name=v["name"],
        lon=v["lon"],
        lat=v["lat"],
        district=v["district"],
        status=v["status"],
        streams=v["streams"],
        capacity_t_per_day=v["capacity_t_per_day"],
        bays=v["bays"],
        unload_time_s=v["unload_time_s"],
        open_s=v["open"],
        close_s=v["close"],
        fixed_cost_cny_per_year=v["fixed_cost_cny_per_year"],
        cost_cny_per_t=v["cost_cny_per_t"],
        opening_cost_cny=v["opening_cost_cny"],
        closing_cost_cny=v["closing_cost_cny"],
        compaction_ratio=v["compaction_ratio"],
        decision=v["decision"],
        size_group=v["size_group"],
        compaction=dict(v["compaction"]),  # own copies: the column default is shared
        stream_bays=dict(v["stream_bays"]),
        containers=v["containers"],
        container_t=v["container_t"],
        separates_streams=v["separates_streams"],
        meets_standard=v["meets_standard"],
        built_year=v["built_year"],
        condition=v["condition"],
        staff=v["staff"],
    )


def facility(r: Row) -> TreatmentFacility | None:
    """A treatment facility; None when a cell failed."""
    v = r.values()
    if r.failed:
        return None
    return TreatmentFacility(
        id=v["id"],
        name=v["name"],
        kind=v["kind"],
        lon=v["lon"],
        lat=v["lat"],
        streams=v["streams"],
        capacity_t_per_day=v["capacity_t_per_day"],
        gate_fee_cny_per_t=v["gate_fee_cny_per_t"],
        open_s=v["open"],
        close_s=v["close"],
        bays=v["bays"],
        unload_time_s=v["unload_time_s"],
        storage_t=v["storage_t"],
        fallback=v["fallback"],
        external_t_per_day=v["external_t_per_day"],
    )


def vehicle_type(r: Row) -> VehicleType | None:
    """A vehicle type (lunch window without a duration: 60 minutes); None when a cell failed."""
    v = r.values()
    if r.failed:
        return None
    lunch_min = v["lunch_duration_min"]
    if lunch_min is not None and not math.isfinite(lunch_min):  # NaN would break the rounding
        r.bad("lunch_duration_min", "must be a finite number", str(lunch_min), "minutes")
        return None
    if lunch_min is None:
        has_lunch = v["lunch_earliest"] is not None or v["lunch_latest"] is not None
        lunch_min = 60.0 if has_lunch else 0.0
    return VehicleType(
        id=v["id"],
        name=v["name"],
        stream=v["stream"],
        role=v["role"],
        depot=v["depot"],
        count=v["count"],
        payload_kg=v["payload_kg"],
        volume_m3=v["volume_m3"],
        speed_kmh=v["speed_kmh"],
        cost_cny_per_km=v["cost_cny_per_km"],
        cost_cny_per_hour=v["cost_cny_per_hour"],
        cost_cny_per_day=v["cost_cny_per_day"],
        co2_kg_per_km=v["co2_kg_per_km"],
        shift_start_s=v["shift_start"],
        shift_end_s=v["shift_end"],
        lunch_earliest_s=v["lunch_earliest"],
        lunch_latest_s=v["lunch_latest"],
        lunch_duration_s=round(lunch_min * 60),
        max_trips=v["max_trips"],
        max_stops=v["max_stops"],
        max_shift_load_kg=v["max_shift_load_kg"],
        vehicle_class=v["vehicle_class"],
    )


def point(r: Row, ctx: PointContext) -> CollectionPoint | None:
    """A collection point; empty cells take the ``[defaults]`` of ``ctx``; an empty
    ``tw_start.<stream>`` / ``tw_end.<stream>`` cell leaves the point's window for that end."""
    v = r.values()
    kg: dict[str, float] = {}
    for sid, i in ctx.kg_columns(r.idx, r.loader, r.file):
        t = r.cell_at(i)
        if t:
            x = r.convert(f"kg_per_day.{sid}", "float", t)
            if x is not None:
                kg[sid] = x
    freq = dict(ctx.default_freq)
    for sid, i in ctx.freq_columns(r.idx, r.loader, r.file):
        t = r.cell_at(i)
        if t:
            freq[sid] = t
    windows: dict[str, dict[str, int]] = {"tw_start": {}, "tw_end": {}}
    for end, sid, i in ctx.window_columns(r.idx, r.loader, r.file):
        t = r.cell_at(i)
        if t:
            s = r.convert(f"{end}.{sid}", "time", t)
            if s is not None:
                windows[end][sid] = s
    if r.failed:
        return None
    service = v["service_time_s"]
    return CollectionPoint(
        id=v["id"],
        name=v["name"],
        lon=v["lon"],
        lat=v["lat"],
        district=v["district"],
        residents=v["residents"],
        households=v["households"],
        kg_per_day=kg,
        frequency=freq,
        service_time_s=ctx.service_time_s if service is None else service,
        tw_start_s=ctx.tw_start_s if v["tw_start"] is None else v["tw_start"],
        tw_end_s=ctx.tw_end_s if v["tw_end"] is None else v["tw_end"],
        phase=zlib.crc32(v["id"].encode("utf-8")) if v["phase"] is None else v["phase"],
        access=v["access"],
        large_generator=v["large_generator"],
        tw_start_by_stream=windows["tw_start"],
        tw_end_by_stream=windows["tw_end"],
        town=v["town"],
        town_kind=v["town_kind"],
        compliant=v["compliant"],
    )
