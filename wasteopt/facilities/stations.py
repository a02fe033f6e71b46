"""The station decisions' bounds and annual costs: forced decisions and the planning mode fix
some y_j, size groups allow at most (or exactly) one of their members (8b), and each station's
operation, annualised building and annualised closing cost (model:
:mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wasteopt.facilities.collection import FloatArray
from wasteopt.facilities.settings import CostSettings, PlanMode
from wasteopt.scenario.model import TransferStation

__all__ = ["StationTerms", "station_terms"]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, kw_only=True)
class StationTerms:
    """Per station: ``existing``; the bounds ``y_lb``/``y_ub`` of y_j; size groups (member
    indices) and whether exactly one of a group must open; F_j (``fixed``), the building
    ``capital`` O_j (0 for existing stations), CRF·O_j (``opening``) and CRF·C_j
    (``closing``, existing stations only), all CNY/yr except ``capital`` (CNY)."""

    existing: BoolArray
    y_lb: FloatArray
    y_ub: FloatArray
    groups: tuple[tuple[int, ...], ...]
    group_exact: tuple[bool, ...]
    fixed: FloatArray
    capital: FloatArray
    opening: FloatArray
    closing: FloatArray


def station_terms(
    stations: Sequence[TransferStation], mode: PlanMode, costs: CostSettings
) -> StationTerms:
    """Bounds from the mode and forced decisions (8, 8b) and the station cost terms."""
    crf = costs.crf_per_year
    existing = np.array([s.status == "existing" for s in stations], dtype=bool)
    y_lb, y_ub = _decision_bounds(stations, mode)
    groups, group_exact = _size_groups(stations, y_lb, y_ub)
    capital = np.where(existing, 0.0, [s.opening_cost_cny for s in stations])
    return StationTerms(
        existing=existing,
        y_lb=y_lb,
        y_ub=y_ub,
        groups=groups,
        group_exact=group_exact,
        fixed=np.array([s.fixed_cost_cny_per_year for s in stations], dtype=float),
        capital=capital,
        opening=crf * capital,
        closing=np.where(existing, crf * np.array([s.closing_cost_cny for s in stations]), 0.0),
    )


def _decision_bounds(
    stations: Sequence[TransferStation], mode: PlanMode
) -> tuple[FloatArray, FloatArray]:
    """y_lb, y_ub: ``decision`` open/close forces y; in ``status_quo`` the others keep their
    status (existing open, candidates not built)."""
    n_j = len(stations)
    y_lb = np.zeros(n_j)
    y_ub = np.ones(n_j)
    for j, st in enumerate(stations):
        if st.decision == "open":
            y_lb[j] = 1.0
        elif st.decision == "close":
            y_ub[j] = 0.0
        elif mode == "status_quo":
            y_lb[j] = y_ub[j] = 1.0 if st.status == "existing" else 0.0
    return y_lb, y_ub


def _size_groups(
    stations: Sequence[TransferStation], y_lb: FloatArray, y_ub: FloatArray
) -> tuple[tuple[tuple[int, ...], ...], tuple[bool, ...]]:
    """Size groups of two or more stations (constraint 8b); tightens ``y_lb``/``y_ub`` in place
    for forced members: one forced open closes the rest, several forced open become "exactly
    one of these"."""
    by_group: dict[str, list[int]] = {}
    for j, st in enumerate(stations):
        if st.size_group:
            by_group.setdefault(st.size_group, []).append(j)
    groups: list[tuple[int, ...]] = []
    exact: list[bool] = []
    for members in by_group.values():
        if len(members) < 2:
            continue
        forced = [j for j in members if stations[j].decision == "open"]
        if forced:
            for j in members:
                if j not in forced:
                    y_lb[j] = y_ub[j] = 0.0
            if len(forced) > 1:
                for j in forced:
                    y_lb[j] = 0.0
        groups.append(tuple(members))
        exact.append(len(forced) > 1)
    return tuple(groups), tuple(exact)
