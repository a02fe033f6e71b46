"""Daily sorted-waste generation per collection point and stream (vectorised numpy).

Model
-----
**Base rate** of point ``p`` and stream ``s`` (kg/day)::

    rate[p, s] = scale × kg_per_day[p][s]                               if the point gives it
               = scale × residents_p × kg_per_person_day × bin_share_s  otherwise

``residents_p`` is the point's ``residents``, else ``households × persons_per_household`` (not
rounded), else 0. Explicit ``kg_per_day`` rates are what arrives in that bin and are not
redistributed by the missorting rule. ``scale`` is ``generation.scale`` (variants multiply it).

``bin_share_s`` is the part of per-capita waste that ends in stream ``s``'s bin. With ``share_r``
and ``capture_r`` of each stream ``r`` and ``missort(r→t)`` the summed shares of the
``[[generation.missorting]]`` rules from ``r`` to ``t``::

    bin_share_s = share_s × capture_s
                + Σ_r share_r × missort(r→s)
                + [s == "other"] × Σ_r share_r × (1 − capture_r − Σ_t missort(r→t))

so what is neither captured nor explicitly missorted ends in ``other`` and no mass is lost
(Σ_s bin_share_s = Σ_r share_r = 1). Without an ``other`` stream the remainder
``share_s × (1 − capture_s − Σ_t missort(s→t))`` stays in stream ``s`` itself.

**Daily factor** of date ``d``::

    factor[d] = weekday_factors[d.weekday()] × month_factors[d.month − 1]
                × Π factor of every holiday with start ≤ d < start + days

Holiday dates are taken literally (a holiday in 2025 does not recur in 2026).

**Noise**: ``kg[d, p, s] = rate[p, s] × factor[d] × ε[d, p, s]`` with ε independent lognormal of
mean 1 and coefficient of variation ``noise_cv``: ``ln ε ~ N(μ, σ²)``, ``σ² = ln(1 + cv²)``,
``μ = −σ²/2``. ``cv = 0`` gives ε = 1 exactly. All noise comes from one
``numpy.random.default_rng(seed)`` draw, so a seed fixes the whole demand.

Frequencies do not change generation: a stream a point never collects (``none``) is still
generated (it is taken elsewhere); they only matter to :func:`due_loads`.

**Never due**: a point whose base rate of a stream is 0 (``kg_per_day`` of the stream 0, or
blank without residents or households) is never due for that stream, whatever its frequency
(:func:`collection_schedule` gives it 0 visits): nothing is there to collect, so a visit would
only cost a detour (e.g. a day-time tour calling at a restaurant that only has night waste).
Nor is a point the 不分类不收运 rule refuses (``[planning] refuse_unsorted`` and the point not
``compliant``: :meth:`~wasteopt.scenario.model.Scenario.refuses`): its waste is generated but
never collected, for every stream. Routing, the cycle planner and the simulation all take the
due points from that schedule.

**Due loads** (:func:`due_loads`): a point whose frequency for a stream is ``visits_per_day`` visits
every ``period_days`` days is due on horizon day ``d`` (0 = first generated day) when
``(d + phase) % period_days == 0`` (:meth:`Frequency.is_due`). On a due day its bins hold what
was generated on days ``d − period_days + 1 … d`` (the previous collection was ``period_days``
ago); days before the horizon start count at their expected amount ``rate × factor`` (no noise).
Each of the ``visits_per_day`` visits takes an equal part of that.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from wasteopt.errors import Problem, ScenarioError
from wasteopt.files import atomic_path
from wasteopt.scenario.model import FREQUENCIES, Scenario

__all__ = [
    "Demand",
    "bin_shares",
    "collection_schedule",
    "daily_factors",
    "due_loads",
    "expected_rates_kg_per_day",
    "generate",
]

log = logging.getLogger("wasteopt")

_EPOCH = np.datetime64("1970-01-01", "D")  # a Thursday: weekday() == 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Demand:
    """Generated waste: ``kg[day, point, stream]`` in kg for ``dates`` × ``point_ids`` ×
    ``stream_ids``, drawn with ``seed``.

    ``kg`` is float64 and read-only. float64 rather than float32: a year for 20,000 points and
    4 streams is 234 MB (float32 would halve that), but sums over millions of cells — yearly
    tonnages, mass-balance checks, accumulated loads — then stay exact to well below a gram
    instead of carrying float32's 1e-7 relative rounding per addition.
    """

    dates: tuple[dt.date, ...]
    point_ids: tuple[str, ...]
    stream_ids: tuple[str, ...]
    kg: npt.NDArray[np.float64]
    seed: int

    def __post_init__(self) -> None:
        kg = np.asarray(self.kg, dtype=np.float64)
        shape = (len(self.dates), len(self.point_ids), len(self.stream_ids))
        if kg.shape != shape:
            raise ValueError(f"kg has shape {kg.shape}, expected {shape} (days, points, streams)")
        object.__setattr__(self, "dates", tuple(self.dates))
        object.__setattr__(self, "point_ids", tuple(self.point_ids))
        object.__setattr__(self, "stream_ids", tuple(self.stream_ids))
        view = kg.view()
        view.setflags(write=False)
        object.__setattr__(self, "kg", view)

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuild through __init__ so kg comes back read-only after pickling (worker pools).
        return _rebuild_demand, (self.dates, self.point_ids, self.stream_ids, self.kg, self.seed)

    @property
    def days(self) -> int:
        return len(self.dates)

    def day(self, i: int) -> npt.NDArray[np.float64]:
        """kg of day ``i`` (points × streams, read-only view)."""
        return self.kg[i]

    def to_frame(self) -> pd.DataFrame:
        """Long (tidy) table: one row per day, point and stream; columns date, point_id,
        stream, kg. Ids are categoricals to keep large demands small."""
        d, p, s = self.kg.shape
        dates = np.array(self.dates, dtype="datetime64[D]")
        return pd.DataFrame(
            {
                "date": np.repeat(dates, p * s),
                "point_id": pd.Categorical.from_codes(
                    np.tile(np.repeat(np.arange(p), s), d), categories=pd.Index(self.point_ids)
                ),
                "stream": pd.Categorical.from_codes(
                    np.tile(np.arange(s), d * p), categories=pd.Index(self.stream_ids)
                ),
                "kg": self.kg.reshape(-1),
            }
        )

    def totals_t_per_day(self) -> pd.DataFrame:
        """Tonnes per day and stream (index: date; columns: stream ids)."""
        return pd.DataFrame(
            self.kg.sum(axis=1) / 1000.0,
            index=pd.Index(np.array(self.dates, dtype="datetime64[D]"), name="date"),
            columns=pd.Index(self.stream_ids, name="stream"),
        )

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_frame` as CSV (``.csv``) or Parquet (``.parquet``), atomically."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".parquet"):
            raise ValueError(f"cannot write demand to {path.name}: use a .csv or .parquet name")
        frame = self.to_frame()
        with atomic_path(path) as tmp:
            if suffix == ".csv":
                frame.to_csv(tmp, index=False, date_format="%Y-%m-%d")
            else:
                frame.to_parquet(tmp, index=False)
        log.info("wrote demand (%d days × %d points × %d streams) to %s", *self.kg.shape, path)
        return path


def _rebuild_demand(
    dates: tuple[dt.date, ...],
    point_ids: tuple[str, ...],
    stream_ids: tuple[str, ...],
    kg: npt.NDArray[np.float64],
    seed: int,
) -> Demand:
    return Demand(dates=dates, point_ids=point_ids, stream_ids=stream_ids, kg=kg, seed=seed)


# -- model pieces -----------------------------------------------------------------------------


def bin_shares(scenario: Scenario) -> np.ndarray:
    """Part of per-capita waste that ends in each stream's bin (see module docstring)."""
    streams = scenario.streams
    sid = scenario.stream_ids
    pos = {s: k for k, s in enumerate(sid)}
    k = len(sid)
    share = np.array([s.share for s in streams], dtype=np.float64)
    capture = np.array([s.capture_rate for s in streams], dtype=np.float64)
    missort = np.zeros((k, k))
    problems: list[Problem] = []
    for rule in scenario.generation.missorting:
        bad = [x for x in (rule.from_stream, rule.to_stream) if x not in pos]
        for x in bad:
            problems.append(
                Problem(
                    file="scenario.toml",
                    where=f"[[generation.missorting]] {rule.from_stream} → {rule.to_stream}",
                    field="from" if x == rule.from_stream else "to",
                    value=x,
                    message="unknown stream",
                    expected=f"one of {', '.join(sid)}",
                )
            )
        if not bad:
            missort[pos[rule.from_stream], pos[rule.to_stream]] += rule.share
    left = 1.0 - capture - missort.sum(axis=1)
    for r in np.flatnonzero(left < -1e-9):
        problems.append(
            Problem(
                file="scenario.toml",
                where=f"stream {sid[r]}",
                field="capture_rate + missorting",
                value=f"{1.0 - left[r]:g}",
                message="more than all of the stream is assigned",
                expected="capture_rate + Σ missorting shares from it ≤ 1",
            )
        )
    if problems:
        raise ScenarioError(problems)
    out = share * capture + share @ missort
    rest = share * np.clip(left, 0.0, None)
    if "other" in pos:
        out[pos["other"]] += rest.sum()
    else:
        out += rest
    return out


def expected_rates_kg_per_day(scenario: Scenario) -> np.ndarray:
    """Base rate (kg/day) per point × stream, before daily factors and noise."""
    gen = scenario.generation
    pos = {s: k for k, s in enumerate(scenario.stream_ids)}
    pph = gen.persons_per_household
    residents = np.array(
        [
            p.residents
            if p.residents is not None
            else (p.households * pph if p.households is not None else 0.0)
            for p in scenario.points
        ],
        dtype=np.float64,
    )
    rates = np.outer(residents * gen.kg_per_person_day, bin_shares(scenario))
    problems = []
    for i, p in enumerate(scenario.points):
        for s, kg in p.kg_per_day.items():  # explicit bin-level rates replace the model
            if s not in pos:
                problems.append(
                    Problem(
                        file="points.csv",
                        where=f"id={p.id}",
                        field=f"kg_per_day.{s}",
                        value=str(kg),
                        message="unknown stream",
                        expected=f"one of {', '.join(scenario.stream_ids)}",
                    )
                )
                continue
            rates[i, pos[s]] = kg
    if problems:
        raise ScenarioError(problems)
    rates *= gen.scale
    return rates


def daily_factors(scenario: Scenario, dates: np.ndarray) -> np.ndarray:
    """Weekday × month × holiday factor for each date (``datetime64[D]`` array)."""
    gen = scenario.generation
    dates = np.asarray(dates, dtype="datetime64[D]")
    weekday = ((dates - _EPOCH).astype(np.int64) + 3) % 7
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    factor = (
        np.asarray(gen.weekday_factors, dtype=np.float64)[weekday]
        * np.asarray(gen.month_factors, dtype=np.float64)[month]
    )
    for h in gen.holidays:
        start = np.datetime64(h.start, "D")
        factor[(dates >= start) & (dates < start + h.days)] *= h.factor
    return factor


def _noise_params(cv: float) -> tuple[float, float]:
    sigma2 = float(np.log1p(cv * cv))
    return -sigma2 / 2.0, float(np.sqrt(sigma2))


def generate(scenario: Scenario, *, days: int, seed: int, start: dt.date | None = None) -> Demand:
    """Generate ``days`` days of waste from ``start`` (default ``generation.start_date``)."""
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    gen = scenario.generation
    if gen.noise_cv < 0:
        raise ValueError(f"noise_cv must be >= 0, got {gen.noise_cv}")
    start = start or gen.start_date
    dates = np.datetime64(start, "D") + np.arange(days)
    rates = expected_rates_kg_per_day(scenario)
    factor = daily_factors(scenario, dates)
    shape = (days, *rates.shape)
    if gen.noise_cv > 0:
        mu, sigma = _noise_params(gen.noise_cv)
        rng = np.random.default_rng(seed)
        kg = rng.standard_normal(shape)  # one draw for the whole horizon; modified in place
        kg *= sigma
        kg += mu
        np.exp(kg, out=kg)
        kg *= factor[:, None, None]
        kg *= rates[None, :, :]
    else:
        kg = factor[:, None, None] * rates[None, :, :]
    return Demand(
        dates=tuple(dates.tolist()),
        point_ids=tuple(p.id for p in scenario.points),
        stream_ids=scenario.stream_ids,
        kg=kg,
        seed=int(seed),
    )


def collection_schedule(
    scenario: Scenario, stream: str, *, rates: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(visits_per_day, period_days, phase)`` per point (scenario order) for ``stream``: a point
    is due on day d when ``visits > 0`` and ``(d + phase) % period == 0``. A point without a
    frequency for the stream uses the stream's ``default_frequency``; a point that generates
    none of the stream, or that the 不分类不收运 rule refuses, has 0 visits (never due, module
    docstring). ``rates``: the
    :func:`expected_rates_kg_per_day` of the scenario when the caller has them already."""
    default = scenario.stream(stream).default_frequency
    freqs = [FREQUENCIES[p.frequency.get(stream, default)] for p in scenario.points]
    if rates is None:
        rates = expected_rates_kg_per_day(scenario)
    generates = rates[:, scenario.stream_ids.index(stream)] > 0
    if scenario.planning.refuse_unsorted:
        generates &= np.array([not scenario.refuses(p) for p in scenario.points], dtype=bool)
    visits = np.array([f.visits_per_day for f in freqs], dtype=np.int64) * generates
    period = np.array([f.period_days for f in freqs], dtype=np.int64)
    phase = np.array([p.phase for p in scenario.points], dtype=np.int64)
    return visits, period, phase


def due_loads(
    scenario: Scenario, demand: Demand, day_index: int, stream: str
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Points due for ``stream`` on horizon day ``day_index``, with kg per visit and visits.

    Returns ``(point_ids, kg_per_visit, visits_per_day)`` in scenario point order; see the
    module docstring for the rule. Points whose frequency for the stream is ``none``, or that
    generate none of it, are never due; a point without a frequency for the stream uses the
    stream's ``default_frequency``.
    """
    point_ids = tuple(p.id for p in scenario.points)
    if demand.point_ids != point_ids:
        raise ValueError("demand was generated for other collection points than the scenario's")
    if stream not in demand.stream_ids:
        raise KeyError(f"stream {stream!r} is not in the demand ({', '.join(demand.stream_ids)})")
    if not 0 <= day_index < demand.days:
        raise IndexError(f"day_index {day_index} outside the horizon 0..{demand.days - 1}")
    s = demand.stream_ids.index(stream)
    all_rates = expected_rates_kg_per_day(scenario)
    visits, period, phase = collection_schedule(scenario, stream, rates=all_rates)
    due = (visits > 0) & ((day_index + phase) % period == 0)
    idx = np.flatnonzero(due)
    kg = np.zeros(len(idx))
    rates = all_rates[:, s]
    start = np.datetime64(demand.dates[0], "D")
    for per in np.unique(period[idx]):
        sel = period[idx] == per
        pts = idx[sel]
        first = day_index - int(per) + 1
        kg[sel] = demand.kg[max(first, 0) : day_index + 1, pts, s].sum(axis=0)
        if first < 0:  # waste that built up before the horizon: expected amount, no noise
            before = daily_factors(scenario, start + np.arange(first, 0)).sum()
            kg[sel] += rates[pts] * before
    v = visits[idx]
    return tuple(point_ids[i] for i in idx), kg / v, v
