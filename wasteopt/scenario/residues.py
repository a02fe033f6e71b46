"""Residues and side flows beyond the plant gate (``residues.csv``): one record per flow.

A flow leaves an *origin* (a treatment facility, a transfer station, ``stations`` for every
station, or a facility kind such as ``waste_to_energy`` for every facility of that kind) and
goes to a *destination* (a facility of the scenario, or an outside site given by coordinates
or a distance). Its tonnes per day are either a share of what the origin took that day
(``basis = share_of_input``: t per t, e.g. slag 0.20 of the waste burnt) or a fixed amount
(``basis = t_per_day``: e.g. a closed landfill's leachate). How the simulation turns these
records into daily tonnes, costs and a residue mass balance: :mod:`wasteopt.simulation.residues`;
the checks: :mod:`wasteopt.scenario.residue_checks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ALL_STATIONS", "BASES", "Basis", "ResidueFlow"]

Basis = Literal["share_of_input", "t_per_day"]
#: ``share_of_input``: t of residue per t the origin took that day; ``t_per_day``: fixed t/day.
BASES: tuple[str, ...] = ("share_of_input", "t_per_day")
#: The ``origin`` that stands for every transfer station of the scenario.
ALL_STATIONS = "stations"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResidueFlow:
    """One side flow (a row of ``residues.csv``).

    ``residue`` names what flows (``slag``, ``fly_ash``, ``digestate``, ``rejects``,
    ``leachate``, or any id). ``amount`` is t per t of input (``share_of_input``) or t/day
    (``t_per_day``). ``destination`` is a facility id, or the id of an outside site at
    ``dest_lon``/``dest_lat`` (WGS-84 once loaded). ``km``: the road distance when given,
    otherwise it comes from the scenario's network. ``hazardous`` residues (fly ash, HW18) must
    go to a ``hazardous_facility`` or a destination marked ``licensed`` for them.
    ``uses_capacity``: the destination's main line processes the flow, so it counts against
    the destination's ``capacity_t_per_day`` and as input of the destination's own
    share-of-input flows (rejects burnt at the WtE plant make slag and fly ash there); when
    false a separate line takes it (a leachate plant, a fly-ash cell) with
    ``line_capacity_t_per_day`` when given. Costs: ``cost_cny_per_t`` at the destination
    (treatment or disposal) plus ``transport_cny_per_t_km`` × t × km; ``co2_kg_per_t_km`` ×
    t × km. ``source``: where the figures come from (or "illustrative")."""

    id: str
    origin: str
    residue: str
    basis: Basis
    amount: float
    destination: str
    dest_lon: float | None = None
    dest_lat: float | None = None
    km: float | None = None
    hazardous: bool = False
    licensed: bool = False
    uses_capacity: bool = False
    line_capacity_t_per_day: float | None = None
    cost_cny_per_t: float = 0.0
    transport_cny_per_t_km: float = 0.0
    co2_kg_per_t_km: float = 0.0
    source: str = ""

    @property
    def is_share(self) -> bool:
        """True for a ``share_of_input`` flow."""
        return self.basis == "share_of_input"
