"""The station decisions' bounds and annual costs: forced decisions, the planning mode and the
standard policy fix some y_j, size groups allow at most (or exactly) one of their members (8b),
and each station's operation (fixed + staff), annualised building and annualised closing cost
(model: :mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wasteopt.errors import InputError, Problem
from wasteopt.facilities.collection import FloatArray
from wasteopt.facilities.settings import CostSettings, PlanMode, Planning
from wasteopt.scenario.model import TransferStation

__all__ = ["StationTerms", "complies", "station_terms"]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, kw_only=True)
class StationTerms:
    """Per station: ``existing``; the bounds ``y_lb``/``y_ub`` of y_j; size groups (member
    indices) and whether exactly one of a group must open; F_j (``fixed``), W_j (``staff``:
    staff × wage), the building ``capital`` O_j (0 for existing stations), CRF·O_j
    (``opening``) and CRF·C_j (``closing``, existing stations only), all CNY/yr except
    ``capital`` (CNY); ``policy_closed``: stations the standard policy keeps shut (y_j = 0)."""

    existing: BoolArray
    y_lb: FloatArray
    y_ub: FloatArray
    groups: tuple[tuple[int, ...], ...]
    group_exact: tuple[bool, ...]
    fixed: FloatArray
    staff: FloatArray
    capital: FloatArray
    opening: FloatArray
    closing: FloatArray
    policy_closed: tuple[int, ...] = ()

    @property
    def open_cost(self) -> FloatArray:
        """F_j + W_j + CRF·O_j − CRF·C_j: the objective coefficient of y_j (CNY/yr)."""
        out: FloatArray = self.fixed + self.staff + self.opening - self.closing
        return out


def complies(station: TransferStation) -> bool:
    """The standard policy (10): the station meets the current environmental standard and
    keeps sorted streams separate."""
    return station.meets_standard and station.separates_streams


def station_terms(
    stations: Sequence[TransferStation], planning: Planning, costs: CostSettings
) -> StationTerms:
    """Bounds from the mode, forced decisions and the standard policy (8, 8b, 10) and the
    station cost terms. A station forced open that the policy closes is a conflict: raise
    :class:`~wasteopt.errors.InputError` naming it."""
    crf = costs.crf_per_year
    existing = np.array([s.status == "existing" for s in stations], dtype=bool)
    allowed = [not planning.require_standard or complies(s) for s in stations]
    _raise_policy_conflicts(stations, allowed)
    y_lb, y_ub = _decision_bounds(stations, planning.mode, allowed)
    groups, group_exact = _size_groups(stations, y_lb, y_ub, allowed)
    capital = np.where(existing, 0.0, [s.opening_cost_cny for s in stations])
    return StationTerms(
        existing=existing,
        y_lb=y_lb,
        y_ub=y_ub,
        groups=groups,
        group_exact=group_exact,
        fixed=np.array([s.fixed_cost_cny_per_year for s in stations], dtype=float),
        staff=np.array([s.staff for s in stations], dtype=float)
        * planning.wage_cny_per_person_year,
        capital=capital,
        opening=crf * capital,
        closing=np.where(existing, crf * np.array([s.closing_cost_cny for s in stations]), 0.0),
        policy_closed=tuple(j for j, ok in enumerate(allowed) if not ok),
    )


def _raise_policy_conflicts(stations: Sequence[TransferStation], allowed: list[bool]) -> None:
    """A station forced open (``decision = open``) that the standard policy must close, unless
    it is one of several forced members of a size group with a compliant forced sibling (the
    planner then builds the sibling)."""
    forced_ok_groups = {
        s.size_group for s, ok in zip(stations, allowed, strict=True) if ok and s.decision == "open"
    }
    problems = [
        Problem(
            file="stations.csv",
            where=f"id={s.id}",
            field="decision",
            value="open",
            message="forced open, but require_standard closes every station that does not "
            f"meet the standard (meets_standard={s.meets_standard}) or keep streams separate "
            f"(separates_streams={s.separates_streams})",
            expected="a compliant station, or require_standard = false",
        )
        for s, ok in zip(stations, allowed, strict=True)
        if not ok
        and s.decision == "open"
        and not (s.size_group and s.size_group in forced_ok_groups)
    ]
    if problems:
        raise InputError(problems)


def _decision_bounds(
    stations: Sequence[TransferStation], mode: PlanMode, allowed: list[bool]
) -> tuple[FloatArray, FloatArray]:
    """y_lb, y_ub: ``decision`` open/close forces y; in ``status_quo`` the others keep their
    status (existing open, candidates not built); a station the policy does not allow is shut."""
    n_j = len(stations)
    y_lb = np.zeros(n_j)
    y_ub = np.ones(n_j)
    for j, st in enumerate(stations):
        if not allowed[j]:
            y_ub[j] = 0.0
        elif st.decision == "open":
            y_lb[j] = 1.0
        elif st.decision == "close":
            y_ub[j] = 0.0
        elif mode == "status_quo":
            y_lb[j] = y_ub[j] = 1.0 if st.status == "existing" else 0.0
    return y_lb, y_ub


def _size_groups(
    stations: Sequence[TransferStation], y_lb: FloatArray, y_ub: FloatArray, allowed: list[bool]
) -> tuple[tuple[tuple[int, ...], ...], tuple[bool, ...]]:
    """Size groups of two or more stations (constraint 8b); tightens ``y_lb``/``y_ub`` in place
    for forced members (those the policy allows): one forced open closes the rest, several
    forced open become "exactly one of these"."""
    by_group: dict[str, list[int]] = {}
    for j, st in enumerate(stations):
        if st.size_group:
            by_group.setdefault(st.size_group, []).append(j)
    groups: list[tuple[int, ...]] = []
    exact: list[bool] = []
    for members in by_group.values():
        if len(members) < 2:
            continue
        forced = [j for j in members if stations[j].decision == "open" and allowed[j]]
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
