"""What a facility plan is asked for: the planning mode, solver limits, station limits and the
economic parameters of the objective (model: :mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DEFAULT_SETTINGS",
    "CostSettings",
    "FacilitySettings",
    "PlanMode",
    "capital_recovery_factor",
]

PlanMode = Literal["free", "status_quo"]
"""``free``: the optimiser decides every station without a forced decision; ``status_quo``:
existing stations kept and candidates not built unless their ``decision`` says otherwise."""


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
    """Economic parameters of the objective (see :mod:`wasteopt.facilities.model`)."""

    interest_rate: float = 0.05
    lifetime_years: float = 20.0
    tour_constant: float = 0.57
    days_per_year: float = 365.0
    shortfall_penalty_cny_per_t: float = 1.0e5
    km_factor: float = 1.0

    @property
    def crf_per_year(self) -> float:
        """The capital recovery factor of ``interest_rate`` over ``lifetime_years``."""
        return capital_recovery_factor(self.interest_rate, self.lifetime_years)


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilitySettings:
    """How to plan: ``mode`` (:data:`PlanMode`); HiGHS ``time_limit_s``, relative ``mip_gap``
    and ``threads`` (None: HiGHS's default); ``allow_direct`` lets points haul to a plant
    without a station (False: every point unloads at a station when one accepts its stream);
    ``max_haul_km`` limits collection legs; ``max_stations`` and ``capital_budget_cny`` limit
    the open stations and what building them costs; ``costs`` the economic parameters."""

    mode: PlanMode = "free"
    time_limit_s: float = 60.0
    mip_gap: float = 1e-6
    allow_direct: bool = True
    max_haul_km: float | None = None
    max_stations: int | None = None
    capital_budget_cny: float | None = None
    costs: CostSettings = field(default_factory=CostSettings)
    threads: int | None = None


DEFAULT_SETTINGS = FacilitySettings()
"""The default settings (a shared default argument: the settings are immutable)."""
