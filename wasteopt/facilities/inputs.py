"""The inputs of the station consolidation model, checked: generation rates, the rows of every
site in the distance matrix, the fleets of each stream and how often each point is visited.
Every problem found is collected and raised together as one
:class:`~wasteopt.errors.InputError` (model: :mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wasteopt.errors import InputError, Problem
from wasteopt.facilities.collection import DistanceSource, Fleet, FloatArray, average_fleet
from wasteopt.facilities.settings import FacilitySettings, Planning
from wasteopt.scenario.model import FREQUENCIES, Scenario

__all__ = ["IntArray", "ModelInputs", "read_model_inputs"]

log = logging.getLogger("wasteopt")

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInputs:
    """Checked inputs. ``active_pairs`` are the (point, stream) index pairs with a positive
    rate in row-major order (point order, then stream order); ``point_row``/``station_row``/
    ``plant_row`` are matrix rows; ``collection``/``haul`` the fleets of each active stream
    (haul = collection when the stream has no haul vehicle); ``visits`` visits/day of each
    (point, stream); ``dist_km`` the matrix in km."""

    rates: FloatArray
    active_pairs: IntArray
    active_streams: list[int]
    point_row: dict[int, int]
    station_row: list[int]
    plant_row: list[int]
    collection: dict[int, Fleet]
    haul: dict[int, Fleet]
    visits: FloatArray
    dist_km: FloatArray


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
    active_pairs = np.argwhere(rates > 0).astype(np.int64)
    used_points = sorted({int(p) for p in active_pairs[:, 0]})
    point_row = {
        p: _site_row(matrix, scenario.points[p].id, "points.csv", problems) for p in used_points
    }
    station_row = [_site_row(matrix, s.id, "stations.csv", problems) for s in scenario.stations]
    plant_row = [_site_row(matrix, k.id, "facilities.csv", problems) for k in scenario.facilities]
    active_streams = sorted({int(s) for s in active_pairs[:, 1]})
    collection, haul = _stream_fleets(scenario, active_streams, problems)
    visits = _visits_per_day(scenario, rates, active_pairs, problems)
    if problems:
        raise InputError(problems)
    return ModelInputs(
        rates=rates,
        active_pairs=active_pairs,
        active_streams=active_streams,
        point_row=point_row,
        station_row=station_row,
        plant_row=plant_row,
        collection=collection,
        haul=haul,
        visits=visits,
        dist_km=np.asarray(matrix.distance_m, dtype=float) / 1000.0,
    )


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
    return problems


def _site_row(matrix: DistanceSource, site_id: str, file: str, problems: list[Problem]) -> int:
    """The matrix row of ``site_id``; -1 (and a problem) when the matrix lacks it."""
    try:
        return int(matrix.index(site_id))
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
        return -1


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
