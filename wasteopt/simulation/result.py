"""What a simulated horizon produced: tidy tables per day and in total, the event log, the balance.

Tables (pandas DataFrames; ``t`` = tonnes, ``h`` = hours, ``s`` = seconds)
--------------------------------------------------------------------------
``daily`` — one row per day and stream (:data:`DAILY_COLUMNS`):
    ``generated_t``; ``collected_t`` (taken from bins); ``uncollected_t`` (left in the bins of
    points that were due that day: carries over); ``at_points_t`` (all waste in bins, due or not);
    ``to_stations_t``/``to_plants_t`` (tipped by collection vehicles); ``hauled_t`` (loaded on
    trailers); ``treated_t``; ``backlog_t`` (at plants after treatment); ``overflowed_t`` (sent
    on by plants past their storage, to a fallback or nowhere); ``at_stations_t``; ``km``,
    ``vehicle_h``, ``overtime_h``, ``vehicles_used``, ``breakdowns``, ``extra_unloads`` (unload
    detours of full vehicles), ``skipped_stops``
    (given up past the overtime limit); ``cost_cny`` (vehicles: day cost when used + km + hours;
    station handling per t; gate fees per t received, overflow at the gate fee of the plant
    that takes it, and the transfer's km cost);
    ``co2_kg`` (vehicle km × kg/km, and plant-to-fallback transfers of overflow);
    ``overdue_t`` (due waste left in the bins at day end: at
    points that were due that day or on an earlier day and not emptied since, i.e. carry-over of
    any point; excludes waste not yet due).
``vehicles`` — one row per day and vehicle: its shift of that planning day (a night shift's
    hours after midnight count on the day it began; ``daily``'s vehicle columns likewise), with
    ``trips``, ``max_trips``, ``trips_over_max``, ``extra_unloads``, ``overtime_h`` and
    ``overtime_min``; :meth:`SimulationResult.robustness` rolls the breaches up per stream
    (:mod:`wasteopt.simulation.robustness`).
``facilities`` — one row per day and site (stations and plants): ``arrivals``, ``mean_wait_s``,
    ``p95_wait_s``, ``max_wait_s`` (bay queue waits), ``bay_busy_h``, ``bay_utilisation`` (busy
    / (bays × opening hours)), ``inflow_t``, ``treated_t``, ``overflowed_t``, ``stock_t``
    (station stock or plant backlog at day end), ``capacity_t_per_day`` (for a plant: what
    other districts' ``external_t_per_day`` leaves), ``utilisation`` (inflow / capacity for
    stations, treated / capacity for plants), ``fallback`` (where a plant's
    overflow goes; empty for stations and plants without one); for a station with a container
    pool ``containers_hauled`` (full containers loaded on haul vehicles), ``tipping_blocked_h``
    (time collection vehicles waited at a bay for an empty container, summed over vehicles,
    counted on the day the wait ends) and ``container_km`` (station → plant → station km of
    the container trips that started that day), all 0 without a pool. ``arrivals`` and waits
    count every bay of the site, shared and per-stream; a blocked vehicle keeps its bay, so
    ``bay_busy_h`` includes blocked time.
``balance`` — one row per day and stream, in kg, cumulative:
    ``initial_kg + generated_kg = at_points_kg + taken_elsewhere_kg + in_vehicles_kg +
    at_stations_kg + in_transit_kg + backlog_kg + treated_kg + overflowed_kg`` (overflow that no
    plant of the fallback chain took; overflow a fallback took is in its backlog or treated);
    ``residual_kg`` is left side minus right side and ``closes`` is ``|residual| ≤ 1e-9 × left
    + 1e-6 kg``. The right-hand terms are read from the simulation's state (bins, vehicle loads,
    stocks), not from flow counters, so lost or doubled mass shows up.
``events`` — the event log: ``time_s, day, kind, vehicle, site, stream, kg`` with kinds
    ``collect``, ``tip_arrive``, ``tip_start``, ``tip_end``, ``haul_load``, ``breakdown``,
    ``overflow`` (a plant passes kg on), ``unplaced`` (kg that ended nowhere), ``divert`` (a
    load turned away at dispatch from the plant named, kg), and with container pools
    ``tip_blocked`` (a vehicle starts waiting for an empty container), ``container_full`` (kg
    in it) and ``container_back`` (an empty returns).
``tips`` — one row per bay visit: ``site, vehicle, stream, day, ready_s, start_s, end_s, kg,
    wait_s``.
``points_left`` — one row per point and stream with due waste left at the end of the horizon:
    ``stream, point_id, catchment`` (the site the point unloads at for the stream), ``left_t``.
``availability`` — one row per day and plant (:data:`AVAILABILITY_COLUMNS`,
    :mod:`wasteopt.simulation.availability`): ``capacity_t_per_day`` (nameplate),
    ``external_t_per_day``, ``lost_t_per_day`` (active outages, listed in ``outages``),
    ``available_t_per_day`` (for the district), ``diverted_t`` and ``diverted_to`` (loads sent at
    dispatch to the fallback chain because the plant was down), ``overflow_t`` and
    ``overflow_to`` (passed on at the day's end and queued there), ``nowhere_t`` (taken by no
    plant: a shortfall), and what both cost beyond the plan: ``extra_km``, ``extra_co2_kg``,
    ``transport_cost_cny``, ``fee_difference_cny`` (gate fee where it went less the plant's) and
    ``extra_cost_cny`` (their sum).
``residues`` — with ``residues.csv``, the side flows beyond the gate
    (:mod:`wasteopt.simulation.residues`): ``flows`` (one row per day, flow and origin site:
    t, km, t·km, disposal, transport and total cost, CO2), ``balance`` (per day and site
    ``input_t + added_t + received_side_t = residues_out_t + converted_t + passed_on_t +
    disposed_t``, and the ``(all)`` row against the daily table; :attr:`balance_closes`
    requires it too) and ``lines`` (per day, the load of every line side flows use against its
    capacity); written as ``sim_residues``, ``sim_residue_totals``, ``sim_residue_balance``,
    ``sim_residue_lines``. Their costs are not in ``cost_cny``.
``ledger`` — the collection ledger (收运台账), one row per collection trip and day; its tonnes per
    stream and day equal ``daily``'s ``collected_t`` (:mod:`wasteopt.simulation.ledger`, with
    the daily and monthly roll-ups).

Service level: :mod:`wasteopt.simulation.service` (collected share per stream, findings, the
99.5 % level :data:`MIN_COLLECTED_SHARE` and the 0.5 % treatment tolerance
:data:`MAX_OVERFLOW_SHARE`); ``service.csv`` is :meth:`SimulationResult.service_frame`. The
status (:data:`SimulationStatus`) follows from the balance and the service findings, and
:attr:`SimulationResult.status_detail` says what fell short, where and by how much.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from wasteopt.files import write_frame
from wasteopt.simulation.availability import AVAILABILITY_COLUMNS, availability_lines
from wasteopt.simulation.ledger import empty_ledger, ledger_daily, ledger_monthly
from wasteopt.simulation.records import BALANCE_TERMS, LEFT_COLUMNS
from wasteopt.simulation.residues import ResidueTables
from wasteopt.simulation.robustness import robustness_table, robustness_text
from wasteopt.simulation.service import (
    MAX_OVERFLOW_SHARE,
    MIN_COLLECTED_SHARE,
    SERVICE_COLUMNS,
    Overflow,
    ServiceFinding,
    service_findings,
    service_levels,
)
from wasteopt.simulation.settings import SimulationSettings

__all__ = [
    "BALANCE_TERMS",
    "DAILY_COLUMNS",
    "FACILITY_COLUMNS",
    "MAX_OVERFLOW_SHARE",
    "MIN_COLLECTED_SHARE",
    "ReplicationSet",
    "SimulationResult",
    "SimulationStatus",
]

log = logging.getLogger("wasteopt")

SimulationStatus = Literal["complete", "within_tolerance", "shortfall", "balance_error"]
"""``complete``: every due kg was collected on its day and nothing overflowed;
``within_tolerance``: something fell short — due waste left at some day's end (carry-over,
e.g. stops skipped past the overtime limit and collected on a later day), a little left at the
end, or overflow to a fallback — but every stream met the service level (at least 99.5 %
collected, at most 0.5 % overflowed: :mod:`wasteopt.simulation.service`), so ``simulate`` and
``run`` exit 0; ``shortfall``: some stream is below the service level (exit 1);
``balance_error``: the mass balance did not close (a bug). Only ``shortfall`` and
``balance_error`` fail a command. :attr:`SimulationResult.status_detail` names what fell
short, where and by how much: a stream carried waste over 12 days yet collected 100 % by the
end is ``within_tolerance``, not a shortfall."""

DAILY_COLUMNS: tuple[str, ...] = (
    "day",
    "date",
    "stream",
    "generated_t",
    "collected_t",
    "uncollected_t",
    "at_points_t",
    "to_stations_t",
    "to_plants_t",
    "hauled_t",
    "treated_t",
    "backlog_t",
    "overflowed_t",
    "at_stations_t",
    "km",
    "vehicle_h",
    "overtime_h",
    "vehicles_used",
    "breakdowns",
    "extra_unloads",
    "skipped_stops",
    "cost_cny",
    "co2_kg",
    "overdue_t",
)
FACILITY_COLUMNS: tuple[str, ...] = (
    "day",
    "date",
    "site_id",
    "site_kind",
    "arrivals",
    "mean_wait_s",
    "p95_wait_s",
    "max_wait_s",
    "bay_busy_h",
    "bay_utilisation",
    "inflow_t",
    "treated_t",
    "overflowed_t",
    "stock_t",
    "capacity_t_per_day",
    "utilisation",
    "fallback",
    "containers_hauled",
    "tipping_blocked_h",
    "container_km",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationResult:
    """One simulated horizon. ``objective`` is the total cost (CNY) over the horizon;
    ``events_scheduled`` counts SimPy events; ``notes`` names rules that left waste in place
    (e.g. a station without haul vehicles); ``shortfall_penalty_cny_per_t`` (the scenario's
    ``planning`` penalty) prices the tonnes a service finding leaves uncollected."""

    scenario: str
    variant: str
    seed: int
    days: int
    settings: SimulationSettings
    objective: float
    runtime_s: float
    events_scheduled: int
    daily: pd.DataFrame
    vehicles: pd.DataFrame
    facilities: pd.DataFrame
    balance: pd.DataFrame
    events: pd.DataFrame
    tips: pd.DataFrame
    points_left: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(LEFT_COLUMNS))
    )
    shortfall_penalty_cny_per_t: float = 0.0
    notes: tuple[str, ...] = ()
    ledger: pd.DataFrame = field(default_factory=empty_ledger)
    availability: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(AVAILABILITY_COLUMNS))
    )

    residues: ResidueTables = field(default_factory=ResidueTables)

    @property
    def balance_closes(self) -> bool:
        """The daily mass balance and the residue balance beyond the gate both close."""
        return bool(self.balance["closes"].all()) and self.residues.closes

    @property
    def status(self) -> SimulationStatus:
        """The verdict (:data:`SimulationStatus`) from the balance and the service findings."""
        if not self.balance_closes:
            return "balance_error"
        findings = self.service_findings()
        if any(f.below_level for f in findings):
            return "shortfall"
        return "within_tolerance" if findings else "complete"

    @property
    def status_detail(self) -> str:
        """The status in words: what fell short, where and by how much (one line)."""
        if not self.balance_closes and self.balance["closes"].all():
            return self.residues.error_text()
        if not self.balance_closes:
            b = self.balance.iloc[int(self.balance["residual_kg"].abs().to_numpy().argmax())]
            return (
                f"balance_error: the mass balance does not close (largest residual "
                f"{b['residual_kg']:.3g} kg, {b['stream']} on day {b['day']})"
            )
        findings = self.service_findings()
        short = [f for f in findings if f.below_level]
        if short:
            return "shortfall: " + "; ".join(f.shortfall_text() for f in short)
        if findings:
            return "within_tolerance (every stream met the service level): " + "; ".join(
                f.shortfall_text() for f in findings
            )
        return "complete: every kg due collected on its day, nothing overflowed"

    def to_frame(self) -> pd.DataFrame:
        """The daily table (one row per day and stream)."""
        return self.daily

    def robustness(self) -> pd.DataFrame:
        """Breaches of the collection vehicle-days per stream and in all (extra unload trips,
        trips over ``max_trips``, overtime; :func:`wasteopt.simulation.robustness_table`)."""
        return robustness_table(self.vehicles)

    @property
    def robust(self) -> bool:
        """At most :data:`~wasteopt.simulation.robustness.MAX_AFFECTED_SHARE` of every
        stream's collection vehicle-days had an extra unload, too many trips or overtime."""
        return bool(self.robustness()["robust"].iloc[-1])

    def ledger_daily(self) -> pd.DataFrame:
        """The ledger per date and stream (:func:`wasteopt.simulation.ledger.ledger_daily`)."""
        return ledger_daily(self.ledger)

    def ledger_monthly(self) -> pd.DataFrame:
        """The ledger per month and stream over the simulated dates."""
        dates = sorted(set(self.daily["date"])) if len(self.daily) else []
        return ledger_monthly(self.ledger, dates)

    def totals(self) -> pd.DataFrame:
        """One row per stream over the horizon: sums of the daily flows, costs and hours;
        ``uncollected_t_max`` (worst day), ``uncollected_days``, the state at the end and
        ``taken_elsewhere_t`` (generated where the stream's frequency is ``none``)."""
        d = self.daily
        sums = d.groupby("stream", sort=False)[
            [
                "generated_t",
                "collected_t",
                "to_stations_t",
                "to_plants_t",
                "hauled_t",
                "treated_t",
                "overflowed_t",
                "km",
                "vehicle_h",
                "overtime_h",
                "breakdowns",
                "extra_unloads",
                "skipped_stops",
                "cost_cny",
                "co2_kg",
            ]
        ].sum()
        g = d.groupby("stream", sort=False)
        sums["uncollected_t_max"] = g["uncollected_t"].max()
        sums["uncollected_days"] = g["uncollected_t"].apply(lambda x: int((x > 1e-6).sum()))
        last = d[d["day"] == d["day"].max()].set_index("stream")
        for col in ("uncollected_t", "at_points_t", "at_stations_t", "backlog_t"):
            sums[f"{col}_end"] = last[col]
        sums["vehicle_days"] = g["vehicles_used"].sum()
        b = self.balance.set_index("stream")  # cumulative: the last day holds the horizon's
        sums["taken_elsewhere_t"] = b[b["day"] == b["day"].max()]["taken_elsewhere_kg"] / 1000.0
        return sums.reset_index()

    def facility_totals(self) -> pd.DataFrame:
        """One row per site over the horizon: arrivals, waits (mean, p95, max over all bay
        visits), mean bay utilisation, flows, container trips and blocked tipping, mean
        utilisation and the largest day-end stock."""
        t = self.tips
        f = self.facilities
        g = f.groupby(["site_id", "site_kind"], sort=False)
        sums = ["arrivals", "inflow_t", "treated_t", "overflowed_t", "bay_busy_h"]
        sums += ["containers_hauled", "tipping_blocked_h", "container_km"]
        out = g[sums].sum()
        out["bay_utilisation"] = g["bay_utilisation"].mean()
        out["utilisation"] = g["utilisation"].mean()
        out["max_stock_t"] = g["stock_t"].max()
        out = out.reset_index()
        if len(t):
            w = t.groupby("site")["wait_s"]
            stats = pd.DataFrame(
                {"mean_wait_s": w.mean(), "p95_wait_s": w.quantile(0.95), "max_wait_s": w.max()}
            )
            out = out.merge(stats, left_on="site_id", right_index=True, how="left")
        else:
            out["mean_wait_s"] = out["p95_wait_s"] = out["max_wait_s"] = np.nan
        return out

    def service_levels(self) -> pd.DataFrame:
        """Per stream: collected and due tonnes, the collected share (≤ 1), tonnes left at the
        end, days that ended with due waste left, overflow (see
        :func:`wasteopt.simulation.service.service_levels`)."""
        return service_levels(self.daily)

    def service_findings(
        self, min_collected_share: float = MIN_COLLECTED_SHARE, *, every_stream: bool = False
    ) -> tuple[ServiceFinding, ...]:
        """Every stream with waste left, a day ending with waste left, or overflow; each says
        whether it is below ``min_collected_share`` (``every_stream``: a row for each stream)."""
        return service_findings(
            self.service_levels(),
            self.points_left,
            self._overflows(),
            ident=(self.scenario, self.variant, self.seed),
            penalty_cny_per_t=self.shortfall_penalty_cny_per_t,
            nowhere_t=self._nowhere(),
            min_collected_share=min_collected_share,
            every_stream=every_stream,
        )

    def service_shortfalls(
        self, min_collected_share: float = MIN_COLLECTED_SHARE
    ) -> tuple[ServiceFinding, ...]:
        """The findings below the level: streams that collected less than
        ``min_collected_share`` of the waste due (these fail ``simulate`` and ``run``)."""
        return tuple(f for f in self.service_findings(min_collected_share) if f.below_level)

    def service_frame(self, min_collected_share: float = MIN_COLLECTED_SHARE) -> pd.DataFrame:
        """``service.csv``: one row per stream (:data:`SERVICE_COLUMNS`)."""
        rows = [f.row() for f in self.service_findings(min_collected_share, every_stream=True)]
        return pd.DataFrame(rows, columns=list(SERVICE_COLUMNS))

    def _nowhere(self) -> dict[str, float]:
        """Per stream: tonnes no plant of the fallback chain could take (``unplaced``)."""
        ev = self.events
        gone = ev[ev["kind"] == "unplaced"] if len(ev) else ev
        if not len(gone):
            return {}
        sums = gone.groupby("stream")["kg"].sum() / 1000.0
        return {str(k): float(v) for k, v in sums.items()}

    def _overflows(self) -> dict[str, list[Overflow]]:
        """Per stream: tonnes each plant sent to its fallback over the horizon."""
        ev = self.events
        over = ev[ev["kind"] == "overflow"] if len(ev) else ev
        if not len(over):
            return {}
        fac = self.facilities
        fallback = dict(zip(fac["site_id"], fac["fallback"], strict=True))
        out: dict[str, list[Overflow]] = {}
        sums = over.groupby(["stream", "site"], sort=True, as_index=False)["kg"].sum()
        for stream, plant, kg in sums.itertuples(index=False, name=None):
            if kg > 1e-3:
                out.setdefault(str(stream), []).append(
                    Overflow(
                        plant=str(plant),
                        fallback=str(fallback.get(plant, "") or ""),
                        overflowed_t=float(kg) / 1000.0,
                    )
                )
        return out

    def summary(self) -> str:
        """A few lines: status, cost, tonnes, uncollected, overflow, waits, balance, speed,
        and the service findings (which are below the 99.5 % level)."""
        tot = self.totals()
        lines = [
            f"{self.scenario}/{self.variant} simulated {self.days} days (seed {self.seed}): "
            f"status={self.status_detail}",
            f"  cost={self.objective:,.0f} CNY, "
            f"{self.events_scheduled:,} events in {self.runtime_s:.1f} s "
            f"({self.events_scheduled / max(self.runtime_s, 1e-9):,.0f}/s)",
        ]
        for _, r in tot.iterrows():
            away = r["taken_elsewhere_t"]
            lines.append(
                f"  {r['stream']}: generated {r['generated_t']:,.1f} t, collected "
                f"{r['collected_t']:,.1f} t{f' (+{away:,.1f} t taken elsewhere)' * (away > 0)}, "
                f"treated {r['treated_t']:,.1f} t, uncollected at end "
                f"{r['uncollected_t_end']:,.2f} t ({r['uncollected_days']} days with some), "
                f"overflow {r['overflowed_t']:,.1f} t, {r['km']:,.0f} km, "
                f"{r['vehicle_h']:,.0f} veh-h, overtime {r['overtime_h']:,.1f} h"
            )
        ft = self.facility_totals()
        busiest = ft.sort_values("mean_wait_s", ascending=False).head(3)
        for _, r in busiest.iterrows():
            if r["arrivals"] > 0:
                lines.append(
                    f"  {r['site_id']}: {int(r['arrivals'])} tips, wait mean "
                    f"{r['mean_wait_s']:.0f} s, p95 {r['p95_wait_s']:.0f} s, max "
                    f"{r['max_wait_s']:.0f} s, bays {r['bay_utilisation']:.0%} busy"
                )
        for _, r in ft[ft["containers_hauled"] > 0].iterrows():
            lines.append(
                f"  {r['site_id']}: {int(r['containers_hauled'])} containers hauled, "
                f"{r['container_km']:,.0f} container-trip km, tipping blocked by a full pool "
                f"{r['tipping_blocked_h']:,.1f} h"
            )
        worst = self.balance["residual_kg"].abs().max() if len(self.balance) else 0.0
        lines.append(
            f"  mass balance: {'closes' if self.balance_closes else 'DOES NOT CLOSE'} "
            f"every day (largest residual {worst:.2e} kg)"
        )
        lines.append(f"  {robustness_text(self.robustness())}")
        lines += self.residues.summary_lines(self.days)
        lines += [f"  plant availability: {x}" for x in availability_lines(self.availability)]
        lines += [f"  service: {f.line()}" for f in self.service_findings()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def write(
        self, folder: str | os.PathLike[str], *, fmt: str = "csv", events: bool = True
    ) -> list[Path]:
        """Write every table as ``sim_<name>.<fmt>`` (``csv`` or ``parquet``), the ledger as
        ``ledger_trips``, ``ledger_daily`` and ``ledger_monthly`` and the service level as
        ``service.<fmt>``, each atomically."""
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
        folder = Path(folder)
        tables = {
            "daily": self.daily,
            "totals": self.totals(),
            "vehicles": self.vehicles,
            "facilities": self.facilities,
            "facility_totals": self.facility_totals(),
            "balance": self.balance,
            "tips": self.tips,
            "points_left": self.points_left,
            "robustness": self.robustness(),
            "availability": self.availability,
        }
        tables.update(self.residues.frames(self.days))  # with residues.csv
        if events:
            tables["events"] = self.events
        paths = [
            write_frame(folder / f"sim_{name}.{fmt}", frame, bom=fmt == "csv")
            for name, frame in tables.items()
        ]
        ledger = {"trips": self.ledger, "daily": self.ledger_daily()}
        ledger["monthly"] = self.ledger_monthly()
        paths += [
            write_frame(folder / f"ledger_{name}.{fmt}", frame, bom=fmt == "csv")
            for name, frame in ledger.items()
        ]
        paths.append(write_frame(folder / f"service.{fmt}", self.service_frame(), bom=fmt == "csv"))
        log.info("wrote %d simulation tables to %s", len(paths), folder)
        return paths


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationSet:
    """Independent replications of one horizon (seeds from ``SeedSequence(seed).spawn``)."""

    seed: int
    results: tuple[SimulationResult, ...]

    @property
    def status(self) -> SimulationStatus:
        """The worst status of the replications."""
        order = ("balance_error", "shortfall", "within_tolerance", "complete")
        return min((r.status for r in self.results), key=order.index)

    @property
    def status_detail(self) -> str:
        """Each replication's :attr:`SimulationResult.status_detail` that is not complete."""
        parts = [
            f"replication {k}: {r.status_detail}"
            for k, r in enumerate(self.results)
            if r.status != "complete"
        ]
        return "; ".join(parts) or self.results[0].status_detail

    @property
    def objective(self) -> float:
        """Mean total cost over replications (CNY)."""
        return float(np.mean([r.objective for r in self.results]))

    @property
    def runtime_s(self) -> float:
        return float(sum(r.runtime_s for r in self.results))

    def to_frame(self) -> pd.DataFrame:
        """Daily tables of all replications with a ``replication`` column."""
        return pd.concat(
            [r.daily.assign(replication=k) for k, r in enumerate(self.results)], ignore_index=True
        )

    def totals(self) -> pd.DataFrame:
        """Per-replication totals (one row per replication and stream)."""
        return pd.concat(
            [r.totals().assign(replication=k) for k, r in enumerate(self.results)],
            ignore_index=True,
        )

    def service_shortfalls(
        self, min_collected_share: float = MIN_COLLECTED_SHARE
    ) -> tuple[ServiceFinding, ...]:
        """The findings below the level of every replication, in replication order."""
        return tuple(f for r in self.results for f in r.service_shortfalls(min_collected_share))

    def service_frame(self, min_collected_share: float = MIN_COLLECTED_SHARE) -> pd.DataFrame:
        """Every replication's ``service.csv`` rows with a ``replication`` column."""
        return _stack([r.service_frame(min_collected_share) for r in self.results])

    def summary(self) -> str:
        """Mean and standard deviation over replications of the main totals per stream, and
        the service findings below the level."""
        tot = self.totals()
        cols = [
            "collected_t",
            "uncollected_t_end",
            "overflowed_t",
            "km",
            "vehicle_h",
            "overtime_h",
            "cost_cny",
        ]
        agg = tot.groupby("stream", sort=False)[cols].agg(["mean", "std"])
        lines = [
            f"{len(self.results)} replications (seed {self.seed}): status={self.status}, "
            f"mean cost {self.objective:,.0f} CNY, {self.runtime_s:.1f} s"
        ]
        for stream, r in agg.iterrows():
            parts = [f"{c} {r[(c, 'mean')]:,.1f}±{r[(c, 'std')]:,.1f}" for c in cols]
            lines.append(f"  {stream}: " + ", ".join(parts))
        for k, res in enumerate(self.results):
            lines += [f"  service (replication {k}): {f.line()}" for f in res.service_findings()]
        return "\n".join(lines)

    def write(self, folder: str | os.PathLike[str], *, fmt: str = "csv") -> list[Path]:
        """Write the stacked daily and totals tables (``sim_replications_*``) and the stacked
        service levels (``service.<fmt>``), atomically."""
        folder = Path(folder)
        return [
            write_frame(folder / f"service.{fmt}", self.service_frame(), bom=fmt == "csv"),
            write_frame(
                folder / f"sim_replications_daily.{fmt}", self.to_frame(), bom=fmt == "csv"
            ),
            write_frame(folder / f"sim_replications_totals.{fmt}", self.totals(), bom=fmt == "csv"),
        ]


def _stack(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """``frames`` one below the other, each with its position as ``replication``."""
    return pd.concat([f.assign(replication=k) for k, f in enumerate(frames)], ignore_index=True)
