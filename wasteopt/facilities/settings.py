"""What a facility plan is asked for: the planning mode, solver limits, station limits and the
economic parameters of the objective (model: :mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from wasteopt.scenario.model import PlanningSettings

__all__ = [
    "DEFAULT_SETTINGS",
    "DEFAULT_ZONE_POINTS",
    "CostSettings",
    "FacilitySettings",
    "PlanMode",
    "Planning",
    "capital_recovery_factor",
    "resolve_planning",
]

DEFAULT_ZONE_POINTS = 3000
"""Demand zones above this many points (``FacilitySettings.zone_points``): chosen by measurement
in ``benchmarks/facility_zones.py``."""

PlanMode = Literal["free", "status_quo"]
"""``free``: the optimiser decides every station without a forced decision; ``status_quo``:
existing stations kept and candidates not built unless their ``decision`` says otherwise (the
default, from ``scenario.planning.mode``). A ``free`` plan is a cost-only lower bound: it ignores
why stations really stay open (contracts, land, staff, politics)."""


def capital_recovery_factor(rate: float, years: float) -> float:
    """i(1+i)^n / ((1+i)^n − 1): the share of a capital sum paid each year over ``years``."""
    if years <= 0:
        raise ValueError("lifetime must be > 0 years")
    if rate == 0:
        return 1.0 / years
    g = (1.0 + rate) ** years
    return rate * g / (g - 1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CostSettings:
    """Economic parameters of the objective (see :mod:`wasteopt.facilities.model`).
    ``shortfall_penalty_cny_per_t``: None uses ``scenario.planning.shortfall_penalty_cny_per_t``;
    a number overrides it."""

    interest_rate: float = 0.05
    lifetime_years: float = 20.0
    tour_constant: float = 0.57
    days_per_year: float = 365.0
    shortfall_penalty_cny_per_t: float | None = None
    km_factor: float = 1.0

    @property
    def crf_per_year(self) -> float:
        """The capital recovery factor of ``interest_rate`` over ``lifetime_years``."""
        return capital_recovery_factor(self.interest_rate, self.lifetime_years)


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilitySettings:
    """How to plan: ``mode`` (:data:`PlanMode`); HiGHS ``time_limit_s``, relative ``mip_gap``
    and ``threads`` (None: HiGHS's default); ``allow_direct`` lets large generators
    (``CollectionPoint.large_generator``) haul to a plant without a station (False: every point
    unloads at a station when one accepts its stream); ``max_haul_km`` limits collection legs;
    ``require_standard`` closes every station that does not meet the standard or cannot keep
    streams separate; ``max_stations`` and ``capital_budget_cny`` limit the open stations and
    what building them costs; ``costs`` the economic parameters. ``zone_points``: above this
    many points with waste, the points are aggregated into about that many demand zones and the
    model assigns zones (:mod:`wasteopt.facilities.zones`: the costs stay exact sums over the
    points, each zone's points of a stream share one site); None or 0 plans point by point.
    With zones, each (zone, stream) may use only its ``zone_sites`` cheapest stations (plants
    always; None or 0: every station) and HiGHS stops at the relative gap ``zone_mip_gap``
    instead of ``mip_gap`` (the zones cost more than that, ``benchmarks/facility_zones.py``).

    Which wins: ``mode``, ``max_haul_km``, ``require_standard`` and
    ``costs.shortfall_penalty_cny_per_t`` left at None take the scenario's ``[planning]``
    values (:class:`~wasteopt.scenario.model.PlanningSettings`: status_quo, no haul limit, no
    standard required, 1000 CNY/t unless the scenario says otherwise); a value given here
    overrides the scenario (``max_haul_km=math.inf`` lifts a scenario's limit)."""

    mode: PlanMode | None = None
    time_limit_s: float = 60.0
    mip_gap: float = 1e-6
    allow_direct: bool = True
    max_haul_km: float | None = None
    max_stations: int | None = None
    capital_budget_cny: float | None = None
    costs: CostSettings = field(default_factory=CostSettings)
    threads: int | None = None
    require_standard: bool | None = None
    zone_points: int | None = DEFAULT_ZONE_POINTS
    zone_sites: int | None = 8
    zone_mip_gap: float = 1e-4


@dataclass(frozen=True, slots=True, kw_only=True)
class Planning:
    """The planning values in force for one plan: the settings' overrides applied over the
    scenario's ``[planning]`` (:func:`resolve_planning`)."""

    mode: PlanMode
    max_haul_km: float | None
    shortfall_penalty_cny_per_t: float
    require_standard: bool
    wage_cny_per_person_year: float


def resolve_planning(settings: FacilitySettings, planning: PlanningSettings) -> Planning:
    """``settings`` values that are not None, else the scenario's ``planning`` values."""
    penalty = settings.costs.shortfall_penalty_cny_per_t
    return Planning(
        mode=settings.mode if settings.mode is not None else planning.mode,
        max_haul_km=settings.max_haul_km
        if settings.max_haul_km is not None
        else planning.max_haul_km,
        shortfall_penalty_cny_per_t=penalty
        if penalty is not None
        else planning.shortfall_penalty_cny_per_t,
        require_standard=settings.require_standard
        if settings.require_standard is not None
        else planning.require_standard,
        wage_cny_per_person_year=planning.wage_cny_per_person_year,
    )


DEFAULT_SETTINGS = FacilitySettings()
"""The default settings (a shared default argument: the settings are immutable)."""
