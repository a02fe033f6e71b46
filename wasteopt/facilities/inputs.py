"""The inputs of the station consolidation model, checked: generation rates, the distances the
model needs (points to and from every station and plant, stations to and from every plant: blocks
of the travel matrix, never the whole of it), the fleets of each stream and how often each point
is visited.
Every problem found is collected and raised together as one
:class:`~wasteopt.errors.InputError` (model: :mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wasteopt.errors import InputError, Problem
from wasteopt.facilities.collection import (
    DistanceSource,
    Fleet,
    FloatArray,
    access_fleets,
    average_fleet,
)
from wasteopt.facilities.settings import FacilitySettings, Planning
from wasteopt.generation import collection_schedule
from wasteopt.scenario.model import FREQUENCIES, Scenario

__all__ = [
    "Distances",
    "IntArray",
    "ModelInputs",
    "collected_rates",
    "read_distances",
    "read_model_inputs",
]

log = logging.getLogger("wasteopt")

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInputs:
    """Checked inputs. ``rates`` are the given rates with the waste the district never
    collects set to 0 (a frequency of ``none``, a point 不分类不收运 refuses); ``active_pairs``
    the (point, stream) index pairs with a positive rate left, in row-major order (point
    order, then stream order); ``collection``/``haul`` the
    fleets of each active stream (haul = collection when the stream has no haul vehicle);
    ``access_fleets`` the collection fleet of each active stream per access slot
    (:func:`~wasteopt.facilities.collection.access_fleets`); ``visits`` visits/day of each
    (point, stream); ``distances`` the blocks of the travel matrix the model reads, in km."""

    rates: FloatArray
    active_pairs: IntArray
    active_streams: list[int]
    collection: dict[int, Fleet]
    haul: dict[int, Fleet]
    access_fleets: dict[int, tuple[Fleet, ...]]
    visits: FloatArray
    distances: Distances


@dataclass(frozen=True, slots=True, kw_only=True)
class Distances:
    """The only distances the model needs (km), read from the matrix block by block: for the
    points with some waste (``point_pos[p]`` = their row, -1 for the others) to and from every
    station (``to_station``, ``from_station``: points × stations) and plant (points × plants),
    and between stations and plants (``station_plant`` d(j,k), ``plant_station`` d(k,j))."""

    point_pos: IntArray
    to_station: FloatArray
    from_station: FloatArray
    to_plant: FloatArray
    from_plant: FloatArray
    station_plant: FloatArray
    plant_station: FloatArray


def read_distances(
    matrix: DistanceSource,
    point_pos: IntArray,
    point_ids: list[str],
    station_ids: list[str],
    plant_ids: list[str],
) -> Distances:
    """The blocks of :class:`Distances` in km; ``point_ids`` in row order."""

    def km(rows: list[str], cols: list[str]) -> FloatArray:
        if not rows or not cols:
            return np.zeros((len(rows), len(cols)))
        out: FloatArray = np.asarray(matrix.block(rows, cols), dtype=float) / 1000.0
        return out

    return Distances(
        point_pos=point_pos,
        to_station=km(point_ids, station_ids),
        from_station=km(station_ids, point_ids).T,
        to_plant=km(point_ids, plant_ids),
        from_plant=km(plant_ids, point_ids).T,
        station_plant=km(station_ids, plant_ids),
        plant_station=km(plant_ids, station_ids),
    )


def read_model_inputs(
    scenario: Scenario,
    rates_kg_per_day: FloatArray,
    matrix: DistanceSource,
    settings: FacilitySettings,
    planning: Planning,
) -> ModelInputs:
    """Check and index the inputs; raise :class:`~wasteopt.errors.InputError` listing every
    problem (bad rate array, ids missing from the matrix, streams without collection vehicles,
    unknown frequencies, bad settings or planning values)."""
    rates = _checked_rates(scenario, rates_kg_per_day)
    problems = _rate_problems(scenario, rates) + _settings_problems(settings, planning)
    rates = collected_rates(scenario, rates)
    active_pairs = np.argwhere(rates > 0).astype(np.int64)
    used_points = sorted({int(p) for p in active_pairs[:, 0]})
    point_ids = [scenario.points[p].id for p in used_points]
    station_ids = [s.id for s in scenario.stations]
    plant_ids = [k.id for k in scenario.facilities]
    for ids, file in (
        (point_ids, "points.csv"),
        (station_ids, "stations.csv"),
        (plant_ids, "facilities.csv"),
    ):
        _check_in_matrix(matrix, ids, file, problems)
    active_streams = sorted({int(s) for s in active_pairs[:, 1]})
    collection, haul = _stream_fleets(scenario, active_streams, problems)
    visits = _visits_per_day(scenario, rates, active_pairs, problems)
    if problems:
        raise InputError(problems)
    point_pos = np.full(len(scenario.points), -1, dtype=np.int64)
    point_pos[used_points] = np.arange(len(used_points))
    return ModelInputs(
        rates=rates,
        active_pairs=active_pairs,
        active_streams=active_streams,
        collection=collection,
        haul=haul,
        access_fleets={
            s: fleets
            for s in collection
            if (fleets := access_fleets(scenario, scenario.streams[s].id)) is not None
        },
        visits=visits,
        distances=read_distances(matrix, point_pos, point_ids, station_ids, plant_ids),
    )


def collected_rates(scenario: Scenario, rates: FloatArray) -> FloatArray:
    """``rates`` (point × stream) with the waste the district never collects set to 0, so no
    station or plant of the plan takes it: every point and stream that
    :func:`wasteopt.generation.collection_schedule` never makes due (a frequency of ``none``,
    taken elsewhere, and every stream of a point the 不分类不收运 rule refuses)."""
    out: FloatArray = np.array(rates, dtype=float, copy=True)
    for s_i, stream in enumerate(scenario.stream_ids):
        visits, _, _ = collection_schedule(scenario, stream, rates=rates)
        out[visits == 0, s_i] = 0.0
    return out


def _checked_rates(scenario: Scenario, rates_kg_per_day: FloatArray) -> FloatArray:
    """The rates as floats, one row per point and one column per stream (else raise)."""
    rates = np.asarray(rates_kg_per_day, dtype=float)
    expected = (len(scenario.points), len(scenario.streams))
    if rates.shape != expected:
        raise InputError(
            [
                Problem(
                    file="rates_kg_per_day",
                    field="shape",
                    value=str(rates.shape),
                    message="rate array does not match the scenario",
                    expected=f"{expected} = (points, streams)",
                )
            ]
        )
    return rates


def _rate_problems(scenario: Scenario, rates: FloatArray) -> list[Problem]:
    """The first 20 rates that are not finite or negative."""
    bad = np.argwhere(~np.isfinite(rates) | (rates < 0))
    return [
        Problem(
            file="rates_kg_per_day",
            where=f"point {scenario.points[p_i].id}",
            field=scenario.streams[s_i].id,
            value=str(rates[p_i, s_i]),
            message="rate must be a finite number",
            expected=">= 0 kg/day",
        )
        for p_i, s_i in bad[:20].tolist()
    ]


def _settings_problems(settings: FacilitySettings, planning: Planning) -> list[Problem]:
    """An unknown mode and limits out of range (the values in force: settings over the
    scenario's ``[planning]``)."""
    problems: list[Problem] = []

    def bad(field: str, value: object, message: str, expected: str) -> None:
        problems.append(
            Problem(
                file="plan_facilities",
                field=field,
                value=str(value),
                message=message,
                expected=expected,
            )
        )

    if planning.mode not in ("free", "status_quo"):
        bad("mode", planning.mode, "unknown mode", "'free' or 'status_quo'")
    if planning.max_haul_km is not None and not planning.max_haul_km > 0:
        bad("max_haul_km", planning.max_haul_km, "bad limit", "> 0 km")
    if not planning.shortfall_penalty_cny_per_t >= 0:
        bad(
            "shortfall_penalty_cny_per_t",
            planning.shortfall_penalty_cny_per_t,
            "bad penalty",
            ">= 0 CNY/t",
        )
    if settings.max_stations is not None and settings.max_stations < 0:
        bad("max_stations", settings.max_stations, "bad limit", ">= 0")
    if settings.capital_budget_cny is not None and settings.capital_budget_cny < 0:
        bad("capital_budget_cny", settings.capital_budget_cny, "bad limit", ">= 0 CNY")
    for name in ("zone_points", "zone_sites"):
        value = getattr(settings, name)
        if value is not None and not (isinstance(value, int) and value >= 0):
            bad(name, value, "bad limit", "a whole number >= 0 (0 or None: off)")
    if not (0.0 <= settings.zone_mip_gap < 1.0):
        bad("zone_mip_gap", settings.zone_mip_gap, "bad gap", "0 <= gap < 1")
    return problems


def _check_in_matrix(
    matrix: DistanceSource, site_ids: list[str], file: str, problems: list[Problem]
) -> None:
    """A problem for each of ``site_ids`` the matrix lacks."""
    for site_id in site_ids:
        try:
            matrix.index(site_id)
        except (KeyError, ValueError, IndexError):
            problems.append(
                Problem(
                    file=file,
                    where=f"id={site_id}",
                    field="id",
                    message="site is missing from the travel matrix",
                    expected="an id of the matrix",
                )
            )


def _stream_fleets(
    scenario: Scenario, active_streams: list[int], problems: list[Problem]
) -> tuple[dict[int, Fleet], dict[int, Fleet]]:
    """Collection and haul fleets of each active stream; collection vehicles haul when the
    stream has no haul vehicle type."""
    collection: dict[int, Fleet] = {}
    haul: dict[int, Fleet] = {}
    for s in active_streams:
        sid = scenario.streams[s].id
        c = average_fleet(scenario, sid, "collection")
        if c is None:
            problems.append(
                Problem(
                    file="vehicle_types.csv",
                    field="stream",
                    value=sid,
                    message="stream has waste but no collection vehicle type",
                    expected="a vehicle type with role=collection for it",
                )
            )
            continue
        collection[s] = c
        h = average_fleet(scenario, sid, "haul")
        if h is None:
            log.info("facilities: no haul vehicle for stream %s; collection vehicles haul", sid)
            h = c
        haul[s] = h
    return collection, haul


def _visits_per_day(
    scenario: Scenario, rates: FloatArray, active_pairs: IntArray, problems: list[Problem]
) -> FloatArray:
    """v_ps = visits_per_day / period_days of each active (point, stream)."""
    streams = scenario.streams
    visits = np.zeros_like(rates)
    for p_i, s_i in active_pairs.tolist():
        pt = scenario.points[p_i]
        code = pt.frequency.get(streams[s_i].id, streams[s_i].default_frequency)
        fr = FREQUENCIES.get(code)
        if fr is None:
            problems.append(
                Problem(
                    file="points.csv",
                    where=f"id={pt.id}",
                    field=f"freq.{streams[s_i].id}",
                    value=code,
                    message="unknown frequency",
                    expected=", ".join(FREQUENCIES),
                )
            )
            continue
        visits[p_i, s_i] = fr.visits_per_day / fr.period_days
    return visits
