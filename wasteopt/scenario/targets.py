"""The city's targets in its own terms (``[[targets]]`` of scenario.toml) and the town kinds of
collection points.

A target is a value, a direction (``>=``: at least, ``<=``: at most) and a source note, for one
metric at some levels:

==========================  =============  =================================================
metric                      unit           value of a unit (community, town, district, total)
==========================  =============  =================================================
``kitchen_separation``      share 0–1      分出率: t of ``streams`` (default ``kitchen``)
                                           collected / t generated of ``total_streams``
                                           (default every stream)
``resource_recovery``       share 0–1      资源化利用率: the same with ``streams`` default
                                           ``kitchen`` and ``recyclable``
``harmless_treatment``      share 0–1      无害化处理率: t treated at plants / t generated
                                           (``streams`` default: ``total_streams``)
``compliant_share``         share 0–1      达标小区比例: compliant communities / communities
``compliant_communities``   communities    达标小区数: compliant communities
``treatment_capacity``      t/day          处理能力: capacity of the facilities of ``kind``
                                           (accepting one of ``streams`` when given)
==========================  =============  =================================================

A *community* (小区) is a collection point that serves residents (``residents`` or
``households`` > 0); markets, canteens and restaurants count in their town's tonnes but are
not communities. Levels: ``community`` (a point), ``town`` (its ``town``, or its ``district``
when ``town`` is empty), ``district`` (its ``district``) and ``total`` (the whole scenario).
How the values are computed from a run: :mod:`wasteopt.reporting.targets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DIRECTIONS",
    "LEVELS",
    "METRICS",
    "TOWN_KINDS",
    "Metric",
    "Target",
    "TownKind",
]

TownKind = Literal["", "street", "town"]
#: Town kinds of the ``town_kind`` column and their Chinese names (empty: not given).
TOWN_KINDS: dict[str, str] = {"street": "街道", "town": "镇"}
#: Levels of the gap report, from the smallest unit to the whole scenario.
LEVELS: tuple[str, ...] = ("community", "town", "district", "total")
#: Directions: ``>=`` the value must reach the target, ``<=`` it must not exceed it.
DIRECTIONS: tuple[str, ...] = (">=", "<=")


@dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    """What a target measures: ``kind`` ``rate`` (a share 0–1 of tonnes), ``share`` (of
    communities), ``count`` (communities) or ``capacity`` (t/day); ``streams`` the default
    numerator streams of a rate (empty: the total's streams); ``levels`` the default levels;
    ``short``: the name a narrow table shows."""

    id: str
    name_zh: str
    name_en: str
    short: str
    kind: Literal["rate", "share", "count", "capacity"]
    unit: str
    streams: tuple[str, ...] = ()
    levels: tuple[str, ...] = LEVELS

    @property
    def label(self) -> str:
        """``分出率 kitchen separation rate``: Chinese and English."""
        return f"{self.name_zh} {self.name_en}"


METRICS: dict[str, Metric] = {
    m.id: m
    for m in (
        Metric(
            id="kitchen_separation",
            short="分出率 kitchen separation",
            name_zh="厨余垃圾分出率",
            name_en="kitchen-waste separation rate",
            kind="rate",
            unit="share",
            streams=("kitchen",),
        ),
        Metric(
            id="resource_recovery",
            short="资源化 recovery",
            name_zh="资源化利用率",
            name_en="resource-recovery rate",
            kind="rate",
            unit="share",
            streams=("kitchen", "recyclable"),
        ),
        Metric(
            id="harmless_treatment",
            short="无害化 harmless treatment",
            name_zh="无害化处理率",
            name_en="harmless-treatment rate",
            kind="rate",
            unit="share",
        ),
        Metric(
            id="compliant_share",
            short="达标小区 compliant share",
            name_zh="达标小区比例",
            name_en="share of compliant communities",
            kind="share",
            unit="share",
        ),
        Metric(
            id="compliant_communities",
            short="达标小区数 compliant",
            name_zh="达标小区数",
            name_en="compliant communities",
            kind="count",
            unit="communities",
            levels=("total",),  # a city-wide count says nothing about one town
        ),
        Metric(
            id="treatment_capacity",
            short="处理能力 capacity",
            name_zh="处理能力",
            name_en="treatment capacity",
            kind="capacity",
            unit="t/day",
            levels=("total",),
        ),
    )
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One ``[[targets]]`` entry: ``metric`` (:data:`METRICS`) must reach (``>=``) or stay
    below (``<=``) ``value`` at each of ``levels`` (empty: the metric's default). ``streams``
    and ``total_streams`` narrow a rate's numerator and denominator (empty: the metric's
    default, every stream); ``kind`` and ``streams`` pick the facilities of a capacity target.
    ``source`` says where the value comes from (or that it is illustrative)."""

    id: str
    metric: str
    value: float
    source: str
    direction: str = ">="
    streams: tuple[str, ...] = ()
    total_streams: tuple[str, ...] = ()
    kind: str = ""
    levels: tuple[str, ...] = ()

    @property
    def spec(self) -> Metric:
        """The metric's definition (KeyError for an unknown metric; validation reports it)."""
        return METRICS[self.metric]

    def level_ids(self) -> tuple[str, ...]:
        """The levels this target is reported at, smallest first."""
        given = self.levels or self.spec.levels
        return tuple(x for x in LEVELS if x in given)

    def gap(self, value: float) -> float:
        """How far ``value`` is from the target in its direction: > 0 short by that much,
        <= 0 met (by that margin)."""
        return self.value - value if self.direction == ">=" else value - self.value
