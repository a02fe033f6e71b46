"""The gap report: each target of a scenario (:mod:`wasteopt.scenario.targets`) measured per
community, town, district and the whole scenario, per calendar quarter and over the year.

Tonnes per point, stream and quarter
------------------------------------
``simulated`` basis, when the simulated horizon covers a year (``--days 365`` or more):
generated tonnes are the demand the simulation ran on, collected tonnes the simulation's
``collect`` events at each point, each counted in the calendar quarter of its day.

``expected`` basis, for a shorter horizon: the calendar year of ``generation.start_date``, with
the expected generation ``rate × daily factor`` (weekday, month and holiday factors, no noise)
and the plan's collection: a point + stream that the collection schedule makes due
(:func:`wasteopt.generation.collection_schedule`: frequency not ``none``, not refused by the
不分类不收运 rule) collects the share of its stream's due waste that the simulated days
collected (``service.csv``). Anything else collects nothing.

Treated tonnes: collected tonnes × the stream's treated share, i.e. (treated + overflowed to a
fallback, itself a plant) ÷ collected over the same simulated days (the whole simulated horizon
on the expected basis), at most 1. A plant backlog not yet treated lowers the share.

Values of a unit
----------------
Rates: the numerator streams' collected (harmless treatment: treated) tonnes ÷ the total
streams' generated tonnes of the unit's points; ``compliant_share`` and
``compliant_communities``: the unit's communities flagged compliant (an input, the same every
quarter); ``treatment_capacity``: the capacity of the facilities of the target's kind. A unit
without generated tonnes (or communities) has no value and no row. ``gap`` is the target minus
the value for ``>=`` (value minus target for ``<=``): above 0 short by that much, at most 0
met. ``trend`` is the change from the previous quarter.

A level that groups the points exactly like the one below it is left out: ``district`` when
the district column names the towns (a one-district scenario like Jintan) or when there is one
district; ``town`` when there is one town. The ``total`` level is always there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from wasteopt.generation import (
    Demand,
    collection_schedule,
    daily_factors,
    expected_rates_kg_per_day,
)
from wasteopt.scenario.model import Scenario
from wasteopt.scenario.targets import Target
from wasteopt.simulation import SimulationResult

__all__ = [
    "TARGET_COLUMNS",
    "YEAR",
    "YEAR_DAYS",
    "Level",
    "Tonnes",
    "gap_frame",
    "levels",
    "tonnes",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

YEAR_DAYS = 365
"""A simulated horizon at least this long is measured from its own days (``simulated``)."""
YEAR = "year"
"""The ``quarter`` of the rows over the whole year (or simulated horizon)."""
TARGET_COLUMNS: tuple[str, ...] = (
    "target_id",
    "level",
    "unit_id",
    "unit_name",
    "town_kind",
    "quarter",
    "start",
    "end",
    "value",
    "target",
    "direction",
    "gap",
    "met",
    "trend",
    "numerator",
    "denominator",
)
"""The columns of ``targets.csv`` after ``variant`` (one row per target × level × unit ×
quarter, and the year ``quarter = "year"``; ``start`` and ``end`` give the days): ``value`` in
the metric's unit (a share, communities or t/day), ``numerator``/``denominator`` in t (rates)
or communities; ``town_kind`` (street, town) on town rows. The metric, its unit and the
basis of every target are in the report."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tonnes:
    """Tonnes per quarter, point and stream (scenario order) and how they were obtained
    (module docstring): ``generated_t`` and ``collected_t`` (quarters × points × streams),
    ``treated_share`` (quarters × streams, at most 1)."""

    basis: Literal["simulated", "expected"]
    quarters: tuple[str, ...]
    starts: tuple[dt.date, ...]
    ends: tuple[dt.date, ...]
    generated_t: FloatArray
    collected_t: FloatArray
    treated_share: FloatArray
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Level:
    """The units of one level: ``codes`` gives each point's unit (-1: in none, e.g. a market
    at the community level); ``ids``, ``names`` and ``kinds`` (the town kind) per unit."""

    name: str
    codes: IntArray
    ids: tuple[str, ...]
    names: tuple[str, ...]
    kinds: tuple[str, ...]


def tonnes(scenario: Scenario, demand: Demand, simulation: SimulationResult) -> Tonnes:
    """The tonnes of ``scenario``'s points on the simulated basis when ``demand`` (the days
    ``simulation`` ran) covers a year and the simulation logged its stops, else expected."""
    ev = simulation.events
    logged = len(ev) > 0 and bool((ev["kind"] == "collect").any())
    if demand.days >= YEAR_DAYS and logged:
        return _simulated(scenario, demand, simulation)
    return _expected(scenario, simulation)


def _quarter_spans(dates: Sequence[dt.date]) -> list[tuple[str, int, int]]:
    """(label, first index, end index) of each calendar quarter of the sorted ``dates``."""
    spans: list[tuple[str, int, int]] = []
    for k, d in enumerate(dates):
        label = f"{d.year}Q{(d.month - 1) // 3 + 1}"
        if spans and spans[-1][0] == label:
            spans[-1] = (label, spans[-1][1], k + 1)
        else:
            spans.append((label, k, k + 1))
    return spans


def _treated_share(daily: pd.DataFrame, stream_ids: Sequence[str]) -> FloatArray:
    """Per stream: (treated + overflowed) ÷ collected of ``daily``'s rows, at most 1 (1 when
    nothing was collected)."""
    g = daily.groupby("stream", sort=False)[["treated_t", "overflowed_t", "collected_t"]].sum()
    g = g.reindex(list(stream_ids)).fillna(0.0)
    out = np.ones(len(stream_ids))
    got = g["collected_t"].to_numpy() > 1e-9
    ratio = (g["treated_t"] + g["overflowed_t"]).to_numpy()
    out[got] = np.minimum(1.0, ratio[got] / g["collected_t"].to_numpy()[got])
    return out


def _simulated(scenario: Scenario, demand: Demand, sim: SimulationResult) -> Tonnes:
    """Generated tonnes from the demand, collected from the ``collect`` events, by quarter."""
    spans = _quarter_spans(demand.dates)
    shape = (len(spans), len(scenario.points), len(scenario.streams))
    generated, collected = np.zeros(shape), np.zeros(shape)
    quarter_of_day = np.zeros(demand.days, dtype=np.int64)
    treated = np.ones((len(spans), len(scenario.streams)))
    for q, (_, a, b) in enumerate(spans):
        generated[q] = demand.kg[a:b].sum(axis=0) / 1000.0
        quarter_of_day[a:b] = q
        days = sim.daily[(sim.daily["day"] >= a) & (sim.daily["day"] < b)]
        treated[q] = _treated_share(days, scenario.stream_ids)
    ev = sim.events[sim.events["kind"] == "collect"]
    p = pd.Index(demand.point_ids).get_indexer(pd.Index(ev["site"]))
    s = pd.Index(demand.stream_ids).get_indexer(pd.Index(ev["stream"]))
    day = ev["day"].to_numpy(dtype=np.int64)
    keep = (p >= 0) & (s >= 0) & (day >= 0) & (day < demand.days)
    q = quarter_of_day[day[keep]]
    np.add.at(collected, (q, p[keep], s[keep]), ev["kg"].to_numpy()[keep] / 1000.0)
    first, last = demand.dates[0], demand.dates[-1]
    return Tonnes(
        basis="simulated",
        quarters=tuple(x[0] for x in spans),
        starts=tuple(demand.dates[a] for _, a, _ in spans),
        ends=tuple(demand.dates[b - 1] for _, _, b in spans),
        generated_t=generated,
        collected_t=collected,
        treated_share=treated,
        detail=(
            f"simulated: the {demand.days} simulated days {first} – {last} (generated and "
            "collected tonnes of each point from the simulation's records)"
        ),
    )


def _expected(scenario: Scenario, sim: SimulationResult) -> Tonnes:
    """The calendar year of the start date: expected generation, the plan's collection at the
    simulated collected share of each stream."""
    year = scenario.generation.start_date.year
    dates = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))
    quarter = dates.astype("datetime64[M]").astype(np.int64) % 12 // 3
    factor = np.bincount(quarter, weights=daily_factors(scenario, dates), minlength=4)
    rates = expected_rates_kg_per_day(scenario)
    generated = factor[:, None, None] * rates[None, :, :] / 1000.0
    due = np.stack(
        [collection_schedule(scenario, s, rates=rates)[0] > 0 for s in scenario.stream_ids],
        axis=1,
    )
    levels = sim.service_levels()["collected_share"]
    share = levels.reindex(list(scenario.stream_ids)).fillna(1.0).to_numpy()
    collected = generated * (due * share[None, :])[None, :, :]
    treated = np.tile(_treated_share(sim.daily, scenario.stream_ids), (4, 1))
    starts = tuple(dt.date(year, 3 * q + 1, 1) for q in range(4))
    ends = (*(s - dt.timedelta(days=1) for s in starts[1:]), dt.date(year, 12, 31))
    return Tonnes(
        basis="expected",
        quarters=tuple(f"{year}Q{q + 1}" for q in range(4)),
        starts=starts,
        ends=ends,
        generated_t=generated,
        collected_t=collected,
        treated_share=treated,
        detail=(
            f"expected: the year {year} from the expected generation (weekday, month and "
            "holiday factors, no noise) and the plan's collection, each due point and stream "
            f"collecting its stream's share collected in the {sim.days} simulated days (a "
            f"horizon shorter than {YEAR_DAYS} days; run with --days {YEAR_DAYS} to measure "
            "the simulated days instead)"
        ),
    )


def _factorize(values: Sequence[str]) -> tuple[IntArray, tuple[str, ...]]:
    codes, uniques = pd.factorize(pd.Series(list(values), dtype=object), sort=False)
    return codes.astype(np.int64), tuple(str(x) for x in uniques)


def _same_grouping(a: IntArray, b: IntArray) -> bool:
    """True when the codes ``a`` and ``b`` group the points identically."""
    pairs = len(set(zip(a.tolist(), b.tolist(), strict=True)))
    return pairs == len(set(a.tolist())) == len(set(b.tolist()))


def levels(scenario: Scenario) -> dict[str, Level]:
    """The units of each level kept (module docstring), smallest level first."""
    pts = scenario.points
    residential = np.array([bool(p.residents) or bool(p.households) for p in pts], dtype=bool)
    community = np.full(len(pts), -1, dtype=np.int64)
    community[residential] = np.arange(int(residential.sum()))
    towns, town_ids = _factorize([p.town_name for p in pts])
    kind_of: dict[str, str] = {}
    for p in pts:
        if p.town_kind:
            kind_of.setdefault(p.town_name, p.town_kind)
    districts, district_ids = _factorize([p.district for p in pts])
    chosen = [p for p, r in zip(pts, residential, strict=True) if r]
    out = {
        "community": Level(
            name="community",
            codes=community,
            ids=tuple(p.id for p in chosen),
            names=tuple(p.name for p in chosen),
            kinds=("",) * len(chosen),
        ),
        "town": Level(
            name="town",
            codes=towns,
            ids=town_ids,
            names=town_ids,
            kinds=tuple(kind_of.get(t, "") for t in town_ids),
        ),
        "district": Level(
            name="district",
            codes=districts,
            ids=district_ids,
            names=district_ids,
            kinds=("",) * len(district_ids),
        ),
        "total": Level(
            name="total",
            codes=np.zeros(len(pts), dtype=np.int64),
            ids=("total",),
            names=(scenario.name,),
            kinds=("",),
        ),
    }
    if len(district_ids) <= 1 or _same_grouping(towns, districts):
        del out["district"]
    if len(town_ids) <= 1:
        del out["town"]
    return out


def _by_unit(values: FloatArray, level: Level) -> FloatArray:
    """(quarters × points) summed into (quarters + year) × units; the last row is the year."""
    n = len(level.ids)
    inside = level.codes >= 0
    codes = level.codes[inside]
    out = np.zeros((values.shape[0] + 1, n))
    for q in range(values.shape[0]):
        out[q] = np.bincount(codes, weights=values[q][inside], minlength=n)
    out[-1] = out[:-1].sum(axis=0)
    return out


def _fraction(
    target: Target, scenario: Scenario, t: Tonnes, level: Level
) -> tuple[FloatArray, FloatArray]:
    """Numerator and denominator per (quarters + year) × unit of ``target`` at ``level``:
    tonnes of a rate, communities of a share or count (compliant, all), the capacity (and 1)."""
    kind, rows = target.spec.kind, len(t.quarters)
    if kind == "capacity":
        cap = sum(
            f.capacity_t_per_day
            for f in scenario.facilities
            if f.kind == target.kind
            and (not target.streams or set(target.streams) & set(f.streams))
        )
        return np.full((rows + 1, 1), float(cap)), np.ones((rows + 1, 1))
    if kind in ("share", "count"):
        pts = scenario.points
        people = np.array([bool(p.residents) or bool(p.households) for p in pts], dtype=float)
        ok = people * np.array([p.compliant for p in pts], dtype=float)
        num = _by_unit(np.tile(ok, (rows, 1)), level)
        den = _by_unit(np.tile(people, (rows, 1)), level)
        num[-1], den[-1] = num[0], den[0]  # communities are counted, not summed over quarters
        return num, den
    ids = list(scenario.stream_ids)
    total = [ids.index(s) for s in (target.total_streams or ids)]
    upper = target.streams or target.spec.streams or tuple(ids[k] for k in total)
    top = [ids.index(s) for s in upper if s in ids]
    taken = t.collected_t[:, :, top]
    if target.metric == "harmless_treatment":
        taken = taken * t.treated_share[:, None, top]
    num = _by_unit(taken.sum(axis=2), level)
    return num, _by_unit(t.generated_t[:, :, total].sum(axis=2), level)


def gap_frame(scenario: Scenario, t: Tonnes) -> pd.DataFrame:
    """``targets.csv`` of one scenario (:data:`TARGET_COLUMNS`): every target at each of its
    levels that is kept (:func:`levels`), per unit, quarter and the year."""
    kept = levels(scenario)
    frames = [
        _rows(target, kept[name], scenario, t)
        for target in scenario.targets
        for name in target.level_ids()
        if name in kept
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(TARGET_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _rows(target: Target, level: Level, scenario: Scenario, t: Tonnes) -> pd.DataFrame:
    """The rows of one target at one level: units × (quarters + year), units without a
    value left out."""
    num, den = _fraction(target, scenario, t, level)
    kind = target.spec.kind
    with np.errstate(invalid="ignore", divide="ignore"):
        value = num if kind in ("count", "capacity") else num / den
    has = den > 1e-12
    trend = np.full_like(value, np.nan)
    trend[1:-1] = value[1:-1] - value[:-2]
    periods, units = value.shape
    quarters = [*t.quarters, YEAR]
    starts = [*t.starts, t.starts[0]]
    ends = [*t.ends, t.ends[-1]]
    gap = np.asarray(target.gap(value))  # type: ignore[arg-type]
    frame = pd.DataFrame(
        {
            "target_id": target.id,
            "level": level.name,
            "unit_id": np.tile(np.array(level.ids, dtype=object), periods),
            "unit_name": np.tile(np.array(level.names, dtype=object), periods),
            "town_kind": np.tile(np.array(level.kinds, dtype=object), periods),
            "quarter": np.repeat(np.array(quarters, dtype=object), units),
            "start": np.repeat(np.array(starts, dtype=object), units),
            "end": np.repeat(np.array(ends, dtype=object), units),
            "value": value.reshape(-1).round(6),
            "target": target.value,
            "direction": target.direction,
            "gap": gap.reshape(-1).round(6) + 0.0,
            "met": (gap <= 1e-9).reshape(-1),
            "trend": trend.reshape(-1).round(6) + 0.0,  # + 0.0: no "-0.0" in the file
            "numerator": num.reshape(-1).round(3),
            "denominator": (den if kind != "capacity" else np.full_like(den, np.nan))
            .reshape(-1)
            .round(3),
        }
    )
    keep = has.reshape(-1)
    # unit-major order: each unit's quarters, then its year
    order = np.argsort(np.tile(np.arange(units), periods)[keep], kind="stable")
    return frame[keep].iloc[order].reset_index(drop=True)
