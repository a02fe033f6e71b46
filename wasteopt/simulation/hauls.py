"""Where a transfer station's stock goes: the trailer load of a stream and the plant its hauls
drive to (rules: :mod:`wasteopt.simulation.processes`)."""

from __future__ import annotations

from wasteopt.facilities.plan import FacilityPlan
from wasteopt.network import TravelMatrix
from wasteopt.scenario.model import Scenario

__all__ = ["station_plant", "trailer_kg"]


def trailer_kg(payload_kg: float, volume_m3: float, density: float, ratio: float) -> float:
    """A trailer load: its payload, or its volume at the stream's ``density`` packed by the
    station's compaction ``ratio``, whichever is less."""
    return min(payload_kg, volume_m3 * density * ratio)


def station_plant(
    scenario: Scenario,
    matrix: TravelMatrix,
    dist: list[list[int]],
    station: str,
    stream: str,
    fplan: FacilityPlan | None,
    fallbacks: set[str],
) -> str:
    """The plant of the facility plan's largest flow from ``station`` for ``stream``; else the
    nearest plant accepting the stream that is nobody's fallback ("" when none accepts it)."""
    if fplan is not None:
        flows = [
            (t, k) for (j, s, k), t in fplan.flows.items() if j == station and s == stream and t > 0
        ]
        if flows:
            return max(flows)[1]
    cands = [f for f in scenario.facilities if stream in f.streams]
    primary = [f for f in cands if f.id not in fallbacks] or cands
    if not primary:
        return ""
    row = dist[matrix.index(station)]
    return min(primary, key=lambda f: row[matrix.index(f.id)]).id
