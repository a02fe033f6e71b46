"""Checks of the city's targets (``[[targets]]``) and of the town and compliance columns of
points.

Targets: a known metric and direction; a value in the metric's range (a rate or share 0–1, a
count a whole number >= 0, a capacity > 0 t/day); streams that exist, given only where the
metric uses them; a facility kind for a capacity target and for no other; levels the metric
can be reported at; unique ids. Points: ``town_kind`` empty, ``street`` or ``town``;
``compliant`` true or false; one kind per town.
"""

from __future__ import annotations

import math

from wasteopt.scenario.model import FACILITY_KINDS, CollectionPoint, Scenario
from wasteopt.scenario.report import ProblemReport
from wasteopt.scenario.targets import DIRECTIONS, LEVELS, METRICS, TOWN_KINDS, Target

__all__ = ["check_point_town", "check_targets", "check_town_kinds"]

_KIND_EXPECTED = ", ".join(f"{k} ({zh})" for k, zh in TOWN_KINDS.items()) + " or empty"
#: Levels each kind of metric can be reported at: a capacity is the whole scenario's, and a
#: count of communities means nothing for one community.
_ALLOWED_LEVELS = {
    "rate": LEVELS,
    "share": LEVELS,
    "count": tuple(x for x in LEVELS if x != "community"),
    "capacity": ("total",),
}


def check_point_town(r: ProblemReport, p: CollectionPoint) -> None:
    """The town kind is a known one and ``compliant`` is a bool (the town text is checked
    with the other texts)."""
    if p.town_kind and p.town_kind not in TOWN_KINDS:
        r.add("points", p.id, "town_kind", "unknown town kind", p.town_kind, _KIND_EXPECTED)
    if not isinstance(p.compliant, bool):
        r.add("points", p.id, "compliant", "not true or false", p.compliant)


def check_town_kinds(s: Scenario, r: ProblemReport) -> None:
    """Every point of one town gives the same ``town_kind`` (or none): a town is a street or
    a town, not both. Reported at each point that disagrees with the town's first kind."""
    first: dict[str, tuple[str, str]] = {}
    for p in s.points:
        if not p.town_kind or p.town_kind not in TOWN_KINDS:
            continue
        town = p.town_name
        kind, pid = first.setdefault(town, (p.town_kind, p.id))
        if kind != p.town_kind:
            r.add(
                "points",
                p.id,
                "town_kind",
                f"town {town} is a {kind} at point {pid} but a {p.town_kind} here",
                p.town_kind,
                f"one kind per town ({kind})",
            )


def check_targets(s: Scenario, r: ProblemReport) -> None:
    """Every target of ``s`` (ids themselves are checked with the other ids)."""
    seen: set[str] = set()
    stream_ids = {x.id for x in s.streams}
    for t in s.targets:
        if t.id in seen:
            r.add("targets", t.id, "id", "duplicate target id", t.id, "ids unique among targets")
        seen.add(t.id)
        _check_target(r, t, stream_ids)


def _check_target(r: ProblemReport, t: Target, stream_ids: set[str]) -> None:
    spec = METRICS.get(t.metric)
    if spec is None:
        r.add("targets", t.id, "metric", "unknown metric", t.metric, ", ".join(METRICS))
        return
    if t.direction not in DIRECTIONS:
        r.add("targets", t.id, "direction", "unknown direction", t.direction, ">= or <= (≥, ≤)")
    _check_value(r, t, spec.kind)
    uses_streams = spec.kind in ("rate", "capacity")
    for field, sids, used in (
        ("streams", t.streams, uses_streams),
        ("total_streams", t.total_streams, spec.kind == "rate"),
    ):
        if sids and not used:
            r.add("targets", t.id, field, f"not used by the metric {t.metric}", sids, "no value")
            continue
        for sid in sids:
            if not r.known("streams", sid, stream_ids):
                expected = "one of " + ", ".join(sorted(stream_ids))
                r.add("targets", t.id, field, "unknown stream", sid, expected)
    if spec.kind == "capacity" and t.kind not in FACILITY_KINDS:
        message = "unknown facility kind" if t.kind else "a capacity target needs a facility kind"
        r.add("targets", t.id, "kind", message, t.kind, ", ".join(FACILITY_KINDS))
    elif spec.kind != "capacity" and t.kind:
        r.add("targets", t.id, "kind", f"not used by the metric {t.metric}", t.kind, "no value")
    allowed = _ALLOWED_LEVELS[spec.kind]
    for level in t.levels:
        if level not in allowed:
            message = "unknown level" if level not in LEVELS else f"not a level of {t.metric}"
            r.add("targets", t.id, "levels", message, level, ", ".join(allowed))


def _check_value(r: ProblemReport, t: Target, kind: str) -> None:
    """The value lies in the metric's range; a rate written as a percentage says so."""
    v = t.value
    finite = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    if kind in ("rate", "share") and finite and 1 < v <= 100:
        r.add(
            "targets",
            t.id,
            "value",
            "must be <= 1: a share, not a percentage",
            v,
            f"a share between 0 and 1 ({v:g} % is {v / 100:g})",
        )
    elif kind in ("rate", "share"):
        r.number("targets", t.id, "value", v, ge=0, le=1)
    elif kind == "count":
        r.number("targets", t.id, "value", v, ge=0)
        if finite and v >= 0 and not float(v).is_integer():
            r.add("targets", t.id, "value", "must be a whole number of communities", v)
    else:
        r.number("targets", t.id, "value", v, gt=0)
