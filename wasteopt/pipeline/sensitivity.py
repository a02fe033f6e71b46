"""Which uncertain inputs could change the advice: a one-at-a-time sensitivity of the facility
plan (the tornado).

Each input of :data:`SENSITIVITY_INPUTS` is multiplied by ``1 − spread`` (low) and
``1 + spread`` (high), everything else held at its value, and the base and every variant are
re-planned (facility plan only, the same settings and travel distances). The inputs:

- ``fuel``: every vehicle type's ``cost_cny_per_km``;
- ``wages``: every vehicle type's ``cost_cny_per_hour`` and the station wage
  ``planning.wage_cny_per_person_year``;
- ``station_fixed_cost``: every station's ``fixed_cost_cny_per_year``;
- ``generation_growth``: the generation scale (all waste);
- ``kitchen_capture``: the kitchen stream's ``capture_rate`` (at most 1; the rest is residual);
- ``speeds``: every vehicle type's ``speed_kmh``.

For each variant the table gives the cost difference variant − base at the low, nominal and
high value, and the ranking of all planned variants by annual cost (cheapest first); an input
*flips the ranking* when the low or the high value orders the variants differently than the
nominal plans. Inputs are evaluated in the order above until the ``deadline`` runs out; the
rest are marked ``evaluated = False``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from wasteopt.clock import Deadline
from wasteopt.facilities import FacilityPlan, plan_facilities
from wasteopt.facilities.collection import DistanceSource
from wasteopt.facilities.settings import FacilitySettings
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.operations import MIN_SOLVE_S
from wasteopt.pipeline.twins import plan_twins
from wasteopt.scenario.model import KITCHEN, Scenario

__all__ = [
    "SENSITIVITY_COLUMNS",
    "SENSITIVITY_INPUTS",
    "SPREAD",
    "SensitivityInput",
    "ranking",
    "scale_input",
    "sensitivity",
]

log = logging.getLogger("wasteopt")

BASE = "base"
SPREAD = 0.2
"""Default relative change of each input (±20 %)."""


def _scale_vehicles(field: str) -> Callable[[Scenario, float], Scenario]:
    def apply(s: Scenario, k: float) -> Scenario:
        vts = tuple(
            dataclasses.replace(v, **{field: getattr(v, field) * k}) for v in s.vehicle_types
        )
        return dataclasses.replace(s, vehicle_types=vts)

    return apply


def _scale_wages(s: Scenario, k: float) -> Scenario:
    s = _scale_vehicles("cost_cny_per_hour")(s, k)
    wage = s.planning.wage_cny_per_person_year * k
    return dataclasses.replace(
        s, planning=dataclasses.replace(s.planning, wage_cny_per_person_year=wage)
    )


def _scale_station_fixed(s: Scenario, k: float) -> Scenario:
    stations = tuple(
        dataclasses.replace(st, fixed_cost_cny_per_year=st.fixed_cost_cny_per_year * k)
        for st in s.stations
    )
    return dataclasses.replace(s, stations=stations)


def _scale_generation(s: Scenario, k: float) -> Scenario:
    gen = dataclasses.replace(s.generation, scale=s.generation.scale * k)
    return dataclasses.replace(s, generation=gen)


def _scale_kitchen_capture(s: Scenario, k: float) -> Scenario:
    streams = tuple(
        dataclasses.replace(st, capture_rate=min(1.0, st.capture_rate * k))
        if st.id == KITCHEN
        else st
        for st in s.streams
    )
    return dataclasses.replace(s, streams=streams)


@dataclass(frozen=True, slots=True, kw_only=True)
class SensitivityInput:
    """One uncertain input: ``apply(scenario, factor)`` returns the scenario with the input
    multiplied by ``factor``."""

    name: str
    label: str
    apply: Callable[[Scenario, float], Scenario]


SENSITIVITY_INPUTS: tuple[SensitivityInput, ...] = (
    SensitivityInput(
        name="fuel", label="fuel (vehicle CNY/km)", apply=_scale_vehicles("cost_cny_per_km")
    ),
    SensitivityInput(name="wages", label="wages (CNY/h, station staff)", apply=_scale_wages),
    SensitivityInput(
        name="station_fixed_cost", label="station fixed cost", apply=_scale_station_fixed
    ),
    SensitivityInput(name="generation_growth", label="generation growth", apply=_scale_generation),
    SensitivityInput(
        name="kitchen_capture", label="kitchen capture rate", apply=_scale_kitchen_capture
    ),
    SensitivityInput(name="speeds", label="vehicle speeds", apply=_scale_vehicles("speed_kmh")),
)
"""The inputs of the tornado, in evaluation order (module docstring)."""


def scale_input(scenario: Scenario, name: str, factor: float) -> Scenario:
    """``scenario`` with the input ``name`` (of :data:`SENSITIVITY_INPUTS`) × ``factor``."""
    for inp in SENSITIVITY_INPUTS:
        if inp.name == name:
            return inp.apply(scenario, factor)
    known = ", ".join(i.name for i in SENSITIVITY_INPUTS)
    raise ValueError(f"unknown sensitivity input {name!r}; known: {known}")


def ranking(costs: Mapping[str, float]) -> tuple[str, ...]:
    """Variants by annual cost, cheapest first (ties by name); unplanned (NaN) ones last."""
    return tuple(
        sorted(
            costs,
            key=lambda v: (math.isnan(costs[v]), costs[v] if not math.isnan(costs[v]) else 0.0, v),
        )
    )


SENSITIVITY_COLUMNS = [
    "input",
    "label",
    "variant",
    "factor_low",
    "factor_high",
    "evaluated",
    "delta_low_cny_per_year",
    "delta_nominal_cny_per_year",
    "delta_high_cny_per_year",
    "swing_cny_per_year",
    "ranking_nominal",
    "ranking_low",
    "ranking_high",
    "flips_ranking",
]


def _objective(plan: FacilityPlan) -> float:
    return plan.objective if plan.has_plan else math.nan


def sensitivity(
    scenarios: Mapping[str, Scenario],
    matrices: Mapping[str, DistanceSource],
    settings: FacilitySettings,
    *,
    nominal: Mapping[str, float],
    spread: float = SPREAD,
    inputs: Sequence[SensitivityInput] = SENSITIVITY_INPUTS,
    deadline: Deadline | None = None,
) -> pd.DataFrame:
    """The tornado table (module docstring): one row per (input, variant other than the
    base), columns :data:`SENSITIVITY_COLUMNS`. ``scenarios`` maps variant id → scenario (the
    base under ``"base"``), ``matrices`` their travel distances, ``nominal`` the annual cost of
    each variant's nominal plan. Each re-plan gets an equal share of what is left of
    ``deadline`` (at most ``settings.time_limit_s``)."""
    if not 0.0 < spread < 1.0:
        raise ValueError(f"spread must lie in (0, 1), got {spread}")
    names = list(scenarios)
    twins = plan_twins(scenarios)  # a twin's re-plan is its twin's: planned once
    low, high = 1.0 - spread, 1.0 + spread
    rank0 = ranking(dict(nominal))
    rows: list[dict[str, object]] = []
    pending = 2 * len(inputs) * (len(names) - len(twins))
    for inp in inputs:
        costs: dict[float, dict[str, float]] = {}
        if deadline is not None and deadline.expired():
            log.warning("sensitivity: time budget spent before %s", inp.name)
        else:
            for factor in (low, high):
                costs[factor] = {}
                for v in names:
                    if v in twins:
                        costs[factor][v] = costs[factor][twins[v]]
                        continue
                    costs[factor][v] = _replan(
                        inp.apply(scenarios[v], factor), matrices[v], settings, deadline, pending
                    )
                    pending -= 1
        rows += _input_rows(inp, names, nominal, costs, low, high, rank0)
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def _replan(
    scenario: Scenario,
    matrix: DistanceSource,
    settings: FacilitySettings,
    deadline: Deadline | None,
    pending: int,
) -> float:
    """The annual cost of the facility plan of ``scenario`` (NaN without a plan)."""
    budget = None
    if deadline is not None:
        budget = deadline.sub(deadline.share(1.0 / max(pending, 1), floor_s=MIN_SOLVE_S))
    plan = plan_facilities(
        scenario, expected_rates_kg_per_day(scenario), matrix, settings, deadline=budget
    )
    return _objective(plan)


def _input_rows(
    inp: SensitivityInput,
    names: list[str],
    nominal: Mapping[str, float],
    costs: Mapping[float, Mapping[str, float]],
    low: float,
    high: float,
    rank0: tuple[str, ...],
) -> list[dict[str, object]]:
    """The table rows of one input: one per variant other than the base."""
    done = low in costs and high in costs
    ranks = {f: ranking(dict(costs[f])) for f in costs}
    flips = done and (ranks[low] != rank0 or ranks[high] != rank0)
    rows: list[dict[str, object]] = []
    for v in names:
        if v == BASE:
            continue

        def delta(c: Mapping[str, float], variant: str = v) -> float:
            return c.get(variant, math.nan) - c.get(BASE, math.nan)

        d_low = delta(costs[low]) if done else math.nan
        d_high = delta(costs[high]) if done else math.nan
        rows.append(
            {
                "input": inp.name,
                "label": inp.label,
                "variant": v,
                "factor_low": low,
                "factor_high": high,
                "evaluated": done,
                "delta_low_cny_per_year": d_low,
                "delta_nominal_cny_per_year": delta(nominal),
                "delta_high_cny_per_year": d_high,
                "swing_cny_per_year": abs(d_high - d_low),
                "ranking_nominal": " < ".join(rank0),
                "ranking_low": " < ".join(ranks[low]) if done else "",
                "ranking_high": " < ".join(ranks[high]) if done else "",
                "flips_ranking": bool(flips),
            }
        )
    return rows
