"""A route plan: what each vehicle does, in order, plus the checker's verdict on it.

A :class:`Route` is a vehicle's shift: it leaves its depot at ``start_s`` and makes ``visits``
(stop ids and unload-site ids, depot omitted at both ends) in order. Times are not stored: they
follow from the earliest-start schedule (travel, wait for the window, serve), which the checker
recomputes. ``lunch_after`` is the index in ``visits`` after which the lunch break is taken
(``-1``: at the depot before leaving; ``None``: no break). With ``lunch_at_depot`` the vehicle
drives from that visit (an unload) back to its depot for the break and then on to the next visit
(or, after the last visit, simply stays home); otherwise the break is taken where that visit was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

from wasteopt.routing.verdict import CheckReport

__all__ = ["PlanStatus", "Route", "RoutePlan"]

PlanStatus = Literal["feasible", "partial", "infeasible", "no_solution"]
"""``feasible``: every stop served and the checker found nothing; ``partial``: the fleet could
not serve every stop, the unserved ones are named; ``infeasible``: the checker found violations
other than unserved stops; ``no_solution``: the engine returned nothing usable."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One vehicle shift. ``vehicle`` is ``"<fleet id>#<k>"`` (k from 1)."""

    vehicle: str
    fleet: str
    start_s: int
    visits: tuple[str, ...]
    lunch_after: int | None = None
    lunch_at_depot: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutePlan:
    """The result of routing one problem. ``objective`` is recomputed by the checker from the
    problem's cost parameters (not the engine's internal scaled objective)."""

    problem: str
    stream: str
    engine: str
    seed: int
    status: PlanStatus
    objective: float
    runtime_s: float
    routes: tuple[Route, ...]
    unserved: tuple[str, ...] = ()
    check: CheckReport | None = None

    def summary(self) -> str:
        """One line: cost, vehicles, trips, km, unserved, checker verdict."""
        chk = self.check
        if chk is None:
            verdict = "unchecked"
        else:
            verdict = "clean" if chk.ok else f"{len(chk.violations)} violations"
        extra = ""
        if chk is not None:
            t = chk.totals
            extra = (
                f" vehicles={t.vehicles} trips={t.trips} km={t.distance_km:.1f}"
                f" hours={t.duration_h:.1f} kg={t.load_kg:.0f}"
            )
        return (
            f"{self.problem} [{self.stream}] {self.engine}: status={self.status}"
            f" cost={self.objective:.2f}{extra} unserved={len(self.unserved)}"
            f" time={self.runtime_s:.1f}s check={verdict}"
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready record of the plan and its check (routes, totals, violations)."""
        out: dict[str, object] = {
            "problem": self.problem,
            "stream": self.stream,
            "engine": self.engine,
            "seed": self.seed,
            "status": self.status,
            "objective": self.objective,
            "runtime_s": self.runtime_s,
            "unserved": list(self.unserved),
            "routes": [
                {
                    "vehicle": r.vehicle,
                    "fleet": r.fleet,
                    "start_s": r.start_s,
                    "visits": list(r.visits),
                    "lunch_after": r.lunch_after,
                    "lunch_at_depot": r.lunch_at_depot,
                }
                for r in self.routes
            ],
        }
        if self.check is not None:
            out["check"] = {
                "ok": self.check.ok,
                "totals": asdict(self.check.totals),
                "violations": [asdict(v) for v in self.check.violations],
            }
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per visit with the checker's schedule (arrival, start, end, load after)."""
        if self.check is None:
            rows = [
                {"vehicle": r.vehicle, "fleet": r.fleet, "seq": i, "id": v}
                for r in self.routes
                for i, v in enumerate(r.visits)
            ]
            return pd.DataFrame(rows, columns=["vehicle", "fleet", "seq", "id"])
        return self.check.schedule_frame()
