"""How routing problems are solved: one settings object for the routing family."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENGINES", "RoutingSettings"]

ENGINES: tuple[str, ...] = ("pyvrp", "ortools")


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingSettings:
    """Settings of a routing solve, passed down whole from the command to the engine.

    ``engine``
        ``"pyvrp"`` or ``"ortools"``.
    ``time_limit_s``
        Wall-clock budget of one :func:`wasteopt.routing.solve.solve` call when it is called
        without a :class:`wasteopt.clock.Deadline`; commands pass their own deadline instead.
    ``seed``
        Random seed of the search (worker ``k`` uses ``seed + k``).
    ``workers``
        Independent searches run in parallel processes; the best answer is kept.
    ``iterations``
        Deterministic mode: stop each search after this many iterations instead of at the
        deadline, so the same seed, workers and inputs give the same plan on any machine (the
        deadline still bounds the call as a safety net).
    ``territory_max_stops``
        Largest routing territory (:mod:`wasteopt.routing.territories`): a catchment with
        more stops than this is split into balanced sectors around its unload site, each
        routed on its own.
    """

    engine: str = "pyvrp"
    time_limit_s: float = 10.0
    seed: int = 0
    workers: int = 1
    iterations: int | None = None
    territory_max_stops: int = 400

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"unknown routing engine {self.engine!r}; expected one of {ENGINES}")
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be > 0, got {self.time_limit_s}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.iterations is not None and self.iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {self.iterations}")
        if self.territory_max_stops < 1:
            raise ValueError(f"territory_max_stops must be >= 1, got {self.territory_max_stops}")
