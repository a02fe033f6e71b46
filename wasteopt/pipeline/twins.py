"""Variants that plan alike: the same facility plan and routes, different operations.

A variant that only switches plant outages on (or differs in residue flows) changes what the
simulated days meet, not what is planned: the one-year facility plan, the routes and the
sensitivity and policy re-plans would all be the base's again. :func:`plan_twins` finds such
variants so the run plans each distinct scenario once and simulates every variant."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from wasteopt.scenario.model import Scenario

__all__ = ["PLANNING_NEUTRAL", "plan_twins"]

PLANNING_NEUTRAL = ("plant_outages", "residues", "variant")
"""Scenario fields no planning stage reads: outages and residues act in the simulated days
only, and ``variant`` is a name."""


def plan_twins(scenarios: Mapping[str, Scenario]) -> dict[str, str]:
    """Variant id → the first earlier variant (in ``scenarios`` order) whose scenario equals it
    in every field but :data:`PLANNING_NEUTRAL`; variants without such a twin are absent."""
    twins: dict[str, str] = {}
    seen: list[tuple[str, Scenario]] = []
    for v, s in scenarios.items():
        for w, t in seen:
            neutral = {f: getattr(t, f) for f in PLANNING_NEUTRAL}
            if dataclasses.replace(s, **neutral) == t:
                twins[v] = w
                break
        else:
            seen.append((v, s))
    return twins
