"""The service level of a simulated horizon: how much of the waste due was collected, per stream.

Model (per stream, over the simulated horizon, in tonnes)
---------------------------------------------------------
``due_t`` is the waste the plan had to collect: everything that was in the bins of a point on
one of the point's due days (collection days of that stream) in the horizon, the stock carried
over into the horizon included. Equivalently ``due_t = initial + generated − taken elsewhere −
not yet due at the end`` (waste generated after a point's last due day of the horizon is not
due yet), and ``due_t = collected_t + left_t`` where ``left_t`` is the due waste still in the
bins at the end (``overdue_t`` of the last day). The collected share is
``collected_t / due_t`` (1 when nothing was due), so it never exceeds 1.

The service level has two parts, each with a documented tolerance:

- *collection*: the collected share must be at least ``min_collected_share``
  (:data:`MIN_COLLECTED_SHARE`, 99.5 % by default: the level issue 12 asks of a plan);
- *treatment*: the plants may send at most :data:`MAX_OVERFLOW_SHARE` (0.5 %) of the stream's
  collected tonnes to a fallback (overflow: waste a plant could take neither into treatment
  nor into storage — a treatment capacity shortfall); and no tonne may end *nowhere* (overflow
  that no plant of the fallback chain could take, :mod:`wasteopt.simulation.availability`):
  that fails the level whatever its size. Loads diverted at dispatch from a plant with an
  outage are not overflow.

A stream is *below the level* when either part fails. A :class:`ServiceFinding` names every
stream with waste left at the end, days that ended with due waste left (carry-over, collected
later), or overflow; only those below the level make ``simulate`` and ``run`` exit 1, the
others are *within tolerance* (the simulation's status says which, see
:data:`wasteopt.simulation.result.SimulationStatus`). The finding's cost prices the tonnes left
at the scenario's ``planning.shortfall_penalty_cny_per_t`` (the penalty the facility plan puts
on a tonne it cannot take); overflow is already charged at the fallback's gate fee in the
simulation's cost and is reported per plant, not priced again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = [
    "MAX_OVERFLOW_SHARE",
    "MIN_COLLECTED_SHARE",
    "SERVICE_COLUMNS",
    "TOP_PLACES",
    "Overflow",
    "PlaceLeft",
    "ServiceFinding",
    "service_findings",
    "service_levels",
]

MIN_COLLECTED_SHARE = 0.995
"""The service level: a plan must collect at least this share of the waste due, per stream."""
MAX_OVERFLOW_SHARE = 0.005
"""The treatment tolerance: at most this share of a stream's collected tonnes may overflow."""
TOP_PLACES = 5
"""How many points with waste left a finding names (the largest; it also counts all)."""
EPS_T = 1e-6  # 1 g: below this nothing is left (rounding noise of the kg bookkeeping)

SERVICE_COLUMNS: tuple[str, ...] = (
    "scenario",
    "variant",
    "seed",
    "stream",
    "collected_t",
    "due_t",
    "collected_share",
    "min_collected_share",
    "below_level",
    "left_t",
    "days_with_waste_left",
    "points_left",
    "places",
    "overflowed_t",
    "overflows",
    "penalty_cny_per_t",
    "cost_cny",
    "left_t_max",
    "overflow_share",
    "max_overflow_share",
    "short_of",
)
"""``service.csv``: one row per stream (see :meth:`ServiceFinding.row`); ``places`` and
``overflows`` are text (``P1 @ ST-W 1.200 t; …`` and ``FAC-WTE → LF 6.400 t; …``);
``below_level`` is true when ``short_of`` names ``collection`` and/or ``treatment``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceLeft:
    """A collection point with due waste left at the end, and the site it unloads at."""

    point_id: str
    catchment: str
    left_t: float

    def text(self) -> str:
        where = f" @ {self.catchment}" if self.catchment else ""
        return f"{self.point_id}{where} {self.left_t:,.3f} t"


@dataclass(frozen=True, slots=True, kw_only=True)
class Overflow:
    """Tonnes of a stream a plant sent to its fallback (empty: none named) over the horizon."""

    plant: str
    fallback: str
    overflowed_t: float

    def text(self) -> str:
        return f"{self.plant} → {self.fallback or 'no fallback'} {self.overflowed_t:,.3f} t"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceFinding:
    """One stream of one simulated horizon whose service was not perfect (module docstring):
    its collected share, the tonnes left at the end and where (``places``: the largest
    ``TOP_PLACES``; ``points_left``: how many points), the days that ended with due waste left
    (``left_t_max``: the most on one day), overflow per plant over the ``days`` simulated, and
    ``cost_cny = left_t × penalty_cny_per_t``."""

    scenario: str
    variant: str
    seed: int
    stream: str
    collected_t: float
    due_t: float
    collected_share: float
    min_collected_share: float
    left_t: float
    days_with_waste_left: int
    points_left: int
    places: tuple[PlaceLeft, ...]
    overflows: tuple[Overflow, ...]
    penalty_cny_per_t: float
    left_t_max: float = 0.0
    days: int = 0
    max_overflow_share: float = MAX_OVERFLOW_SHARE
    nowhere_t: float = 0.0  # overflow no plant of the fallback chain took: always short

    @property
    def collection_short(self) -> bool:
        """True when the collected share is under ``min_collected_share``."""
        return self.collected_share < self.min_collected_share

    @property
    def overflow_share(self) -> float:
        """Overflowed tonnes over collected tonnes (1 when overflow came from no collection)."""
        if self.overflowed_t <= EPS_T:
            return 0.0
        return min(self.overflowed_t / self.collected_t, 1.0) if self.collected_t > 0 else 1.0

    @property
    def treatment_short(self) -> bool:
        """True when more than ``max_overflow_share`` of the collected tonnes overflowed, or
        any overflow found no plant to take it (nowhere)."""
        return self.overflow_share > self.max_overflow_share or self.nowhere_t > EPS_T

    @property
    def below_level(self) -> bool:
        """True when collection or treatment falls short (a failure, exit code 1)."""
        return self.collection_short or self.treatment_short

    @property
    def short_of(self) -> str:
        """``collection``, ``treatment``, both (comma-separated) or empty."""
        parts = [("collection", self.collection_short), ("treatment", self.treatment_short)]
        return ", ".join(name for name, short in parts if short)

    def shortfall_text(self) -> str:
        """What fell short, where and by how much, in one clause (for a status)."""
        parts = []
        if self.left_t > EPS_T or self.days_with_waste_left:
            share = f"{self.stream} collected {self.collected_share:.2%} of {self.due_t:,.2f} t due"
            if self.left_t > EPS_T:
                top = f", most {self.places[0].text()}" if self.places else ""
                share += f", {self.left_t:,.2f} t left at {self.points_left} point(s){top}"
            else:
                share += ", all of it by the end"
            if self.days_with_waste_left:
                share += (
                    f" ({self.days_with_waste_left} day(s) ended with due waste left, at most "
                    f"{self.left_t_max:,.2f} t)"
                )
            parts.append(share)
        for o in self.overflows:
            per_day = f", {o.overflowed_t / self.days:,.2f} t/day" if self.days else ""
            parts.append(
                f"{o.plant} {self.stream} {o.overflowed_t:,.2f} t over {self.days} day(s) to "
                f"{o.fallback or 'no fallback'}{per_day} ({self.overflow_share:.1%} of "
                f"collected, tolerance {self.max_overflow_share:.1%})"
            )
        if self.nowhere_t > EPS_T:
            parts.append(
                f"{self.stream} {self.nowhere_t:,.2f} t had nowhere to go (every plant of the "
                "fallback chain full or down)"
            )
        return "; ".join(parts)

    @property
    def cost_cny(self) -> float:
        return self.left_t * self.penalty_cny_per_t

    @property
    def overflowed_t(self) -> float:
        return sum(o.overflowed_t for o in self.overflows)

    def line(self) -> str:
        """One line: variant, stream, share against the level, tonnes, places, cost."""
        verdict = "BELOW" if self.collection_short else "within"
        places = "; ".join(p.text() for p in self.places)
        more = self.points_left - len(self.places)
        if more > 0:
            places += f"; +{more} more"
        text = (
            f"{self.variant}/{self.stream}: collected {self.collected_share:.2%} of "
            f"{self.due_t:,.2f} t due ({verdict} the {self.min_collected_share:.1%} level); "
            f"{self.left_t:,.2f} t left at {self.points_left} point(s)"
            + (f" [{places}]" if places else "")
            + f", {self.days_with_waste_left} day(s) ended with waste left"
        )
        if self.overflows:
            over = "OVER" if self.overflow_share > self.max_overflow_share else "within"
            text += (
                ", overflow "
                + "; ".join(o.text() for o in self.overflows)
                + f" ({self.overflow_share:.2%} of collected, {over} the "
                f"{self.max_overflow_share:.1%} treatment tolerance)"
            )
        if self.nowhere_t > EPS_T:
            text += (
                f", {self.nowhere_t:,.2f} t with nowhere to go (fallback chain full or down: "
                "a shortfall whatever its share)"
            )
        return text + (
            f"; cost {self.cost_cny:,.0f} CNY ({self.left_t:,.2f} t × "
            f"{self.penalty_cny_per_t:,.0f} CNY/t)"
        )

    def row(self) -> dict[str, Any]:
        """The finding as a ``service.csv`` row (:data:`SERVICE_COLUMNS`)."""
        return {
            "scenario": self.scenario,
            "variant": self.variant,
            "seed": self.seed,
            "stream": self.stream,
            "collected_t": self.collected_t,
            "due_t": self.due_t,
            "collected_share": self.collected_share,
            "min_collected_share": self.min_collected_share,
            "below_level": self.below_level,
            "left_t": self.left_t,
            "days_with_waste_left": self.days_with_waste_left,
            "points_left": self.points_left,
            "places": "; ".join(p.text() for p in self.places),
            "overflowed_t": self.overflowed_t,
            "overflows": "; ".join(o.text() for o in self.overflows),
            "penalty_cny_per_t": self.penalty_cny_per_t,
            "cost_cny": self.cost_cny,
            "left_t_max": self.left_t_max,
            "overflow_share": self.overflow_share,
            "max_overflow_share": self.max_overflow_share,
            "short_of": self.short_of,
        }


def service_levels(daily: pd.DataFrame) -> pd.DataFrame:
    """Per stream (index): ``collected_t``, ``left_t`` (due waste in the bins at the end),
    ``due_t`` (their sum), ``collected_share`` (≤ 1; 1 when nothing was due),
    ``days_with_waste_left`` (days ending with due waste left), ``left_t_max`` (the most due
    waste left at a day's end), ``overflowed_t`` and ``days`` (days simulated)."""
    g = daily.groupby("stream", sort=False)
    last = daily[daily["day"] == daily["day"].max()].set_index("stream")
    out = pd.DataFrame(
        {
            "collected_t": g["collected_t"].sum(),
            "left_t": last["overdue_t"].clip(lower=0.0),
            "days_with_waste_left": g["overdue_t"].apply(lambda x: int((x > EPS_T).sum())),
            "left_t_max": g["overdue_t"].max().clip(lower=0.0),
            "overflowed_t": g["overflowed_t"].sum(),
            "days": g["day"].nunique(),
        }
    )
    out["due_t"] = out["collected_t"] + out["left_t"]
    share = out["collected_t"] / out["due_t"].where(out["due_t"] > EPS_T)
    out["collected_share"] = share.fillna(1.0).clip(upper=1.0)
    return out


def service_findings(
    levels: pd.DataFrame,
    points_left: pd.DataFrame,
    overflows: Mapping[str, Sequence[Overflow]],
    *,
    ident: tuple[str, str, int],
    penalty_cny_per_t: float,
    min_collected_share: float = MIN_COLLECTED_SHARE,
    max_overflow_share: float = MAX_OVERFLOW_SHARE,
    every_stream: bool = False,
    nowhere_t: Mapping[str, float] | None = None,
) -> tuple[ServiceFinding, ...]:
    """A finding per stream of ``levels`` (:func:`service_levels`) with waste left at the end,
    a day that ended with waste left, or overflow (``every_stream``: for every stream, as
    ``service.csv`` lists them); ``points_left``: the
    :data:`wasteopt.simulation.records.LEFT_COLUMNS` table; ``overflows``: per stream;
    ``ident``: (scenario, variant, seed); the two tolerances: module docstring;
    ``nowhere_t``: per stream, overflow that ended nowhere (a shortfall of any size)."""
    for name, share in (
        ("min_collected_share", min_collected_share),
        ("max_overflow_share", max_overflow_share),
    ):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {share}")
    scenario, variant, seed = ident
    found: list[ServiceFinding] = []
    for stream, r in levels.iterrows():
        over = tuple(overflows.get(str(stream), ()))
        gone = (nowhere_t or {}).get(str(stream), 0.0)
        clean = r["left_t"] <= EPS_T and r["days_with_waste_left"] == 0 and not over and not gone
        if clean and not every_stream:
            continue
        left = points_left[points_left["stream"] == stream].sort_values(
            ["left_t", "point_id"], ascending=[False, True]
        )
        found.append(
            ServiceFinding(
                scenario=scenario,
                variant=variant,
                seed=seed,
                stream=str(stream),
                collected_t=float(r["collected_t"]),
                due_t=float(r["due_t"]),
                collected_share=float(r["collected_share"]),
                min_collected_share=min_collected_share,
                left_t=float(r["left_t"]),
                days_with_waste_left=int(r["days_with_waste_left"]),
                points_left=len(left),
                places=tuple(
                    PlaceLeft(point_id=str(pid), catchment=str(site), left_t=float(t))
                    for pid, site, t in left.head(TOP_PLACES)[
                        ["point_id", "catchment", "left_t"]
                    ].itertuples(index=False, name=None)
                ),
                overflows=over,
                penalty_cny_per_t=penalty_cny_per_t,
                left_t_max=float(r["left_t_max"]),
                days=int(r["days"]),
                max_overflow_share=max_overflow_share,
                nowhere_t=gone,
            )
        )
    return tuple(found)
