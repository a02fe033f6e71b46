"""Settings of a simulated horizon: the random distributions and the operating rules.

Distributions (all seeded; see :mod:`wasteopt.simulation.processes` for where each is drawn)
--------------------------------------------------------------------------------------------
``lognormal``
    ``x = mean × exp(σ·z − σ²/2)`` with ``z ~ N(0, 1)`` and ``σ² = ln(1 + cv²)``: mean ``mean``,
    coefficient of variation ``cv``, never negative, right-skewed like real travel times.
``exponential``
    ``x ~ Exp(mean)`` (cv = 1; used to reduce a facility to an M/M/c queue).
``deterministic``
    ``x = mean``.

The planned value is the mean: travel times of the travel matrix for the vehicle's speed,
``service_time_s`` of each point, ``unload_time_s`` of each station or plant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["DISTRIBUTIONS", "Distribution", "HaulDispatch", "SimulationSettings"]

Distribution = Literal["lognormal", "exponential", "deterministic"]
DISTRIBUTIONS: tuple[str, ...] = ("lognormal", "exponential", "deterministic")
HaulDispatch = Literal["full_loads", "full_loads_and_sweep"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationSettings:
    """How the simulated days are run.

    Travel and service
        ``travel_distribution``/``travel_cv``: multiplies every planned leg time.
        ``service_distribution``/``service_cv``: time at a collection point.
        ``unload_distribution``/``unload_cv``: time a vehicle holds a tipping bay (also the time a
        haul trailer takes to load at its station).
    Overtime
        A collection vehicle starts no new stop once the clock is past its shift end plus
        ``max_overtime_s``; it unloads what it carries and drives home, and the stops it skipped
        keep their waste (carry-over). Overtime is the time back at the depot past the shift end.
    Breakdowns
        Each vehicle (collection and haul) is unavailable for a whole day with probability
        ``breakdown_probability``, drawn independently per vehicle and day.
    Hauling
        ``haul_dispatch="full_loads"``: a station calls a trailer each time its uncommitted stock
        of a stream reaches one trailer load. ``"full_loads_and_sweep"`` also calls one for the
        remainder ``sweep_lead_s`` before the station closes, so little is kept overnight. With
        a container pool the jobs are full containers, and the sweep closes part-filled ones.
        A haul vehicle starts a job only when its expected round (mean travel and unload
        times, home included) ends ``haul_end_margin_s`` before its shift end, and an idle one
        heads home to arrive that margin early; the margin absorbs plant queues, slow unloads
        and traffic.
    Initial state
        ``initial_stock="expected"``: bins of points not collected daily start with the expected
        waste since their last (pre-horizon) collection, like :func:`wasteopt.generation.due_loads`;
        ``"empty"``: every bin starts empty.
    Event log
        ``log_stops``: also log one event per collection stop (large for long horizons).
    """

    travel_distribution: Distribution = "lognormal"
    travel_cv: float = 0.15
    service_distribution: Distribution = "lognormal"
    service_cv: float = 0.25
    unload_distribution: Distribution = "lognormal"
    unload_cv: float = 0.25
    max_overtime_s: int = 2 * 3600
    breakdown_probability: float = 0.0
    haul_dispatch: HaulDispatch = "full_loads_and_sweep"
    sweep_lead_s: int = 2 * 3600
    haul_end_margin_s: int = 30 * 60
    initial_stock: Literal["expected", "empty"] = "expected"
    log_stops: bool = True

    def __post_init__(self) -> None:
        bad: list[str] = []
        for name in ("travel_distribution", "service_distribution", "unload_distribution"):
            if getattr(self, name) not in DISTRIBUTIONS:
                bad.append(f"{name} must be one of {DISTRIBUTIONS}, got {getattr(self, name)!r}")
        for name in ("travel_cv", "service_cv", "unload_cv"):
            if not getattr(self, name) >= 0:
                bad.append(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0.0 <= self.breakdown_probability <= 1.0:
            bad.append(
                f"breakdown_probability must lie in [0, 1], got {self.breakdown_probability}"
            )
        if self.max_overtime_s < 0:
            bad.append(f"max_overtime_s must be >= 0, got {self.max_overtime_s}")
        for name in ("sweep_lead_s", "haul_end_margin_s"):
            if getattr(self, name) < 0:
                bad.append(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.haul_dispatch not in ("full_loads", "full_loads_and_sweep"):
            bad.append(
                f"haul_dispatch must be 'full_loads' or 'full_loads_and_sweep', "
                f"got {self.haul_dispatch!r}"
            )
        if self.initial_stock not in ("expected", "empty"):
            bad.append(f"initial_stock must be 'expected' or 'empty', got {self.initial_stock!r}")
        if bad:
            raise ValueError("invalid simulation settings: " + "; ".join(bad))
