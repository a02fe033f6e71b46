"""Residues and side flows beyond the gate, day by day, with their own mass balance.

Model
-----
A post-process over the simulated days, without feedback: every day each origin site makes
its residue flows (``residues.csv``, :class:`~wasteopt.scenario.residues.ResidueFlow`) from
what it took that day, as the simulation recorded it (``sim_facilities``):

- a plant's *input* is what it treated (``treated_t``: the overflow other plants pass on to
  it along their fallback chain is treated, and counted, there), plus the side flows it
  receives into its main line
  (``uses_capacity``: rejects burnt at the WtE plant make slag and fly ash there). Origins
  are taken in an order where every such flow runs from an earlier site to a later one (the
  checks refuse a circle), so one pass per day settles every cascade;
- a station's input is what it received (``inflow_t``);
- a ``share_of_input`` flow is ``amount × input`` t; a ``t_per_day`` flow ``amount`` t.

Why no feedback: residues are small against the plants' daily capacity and mostly go to
separate lines (a leachate plant, a fly-ash cell, a slag yard), and feeding them back would
make the collection simulation depend on downstream choices it cannot see. What it costs:
a main line that is also loaded by side flows may exceed its capacity on a day without the
simulation knowing; ``lines`` reports every such day (``over_capacity``) instead.

Mass balance, per site and day, in tonnes (``residual_kg`` in kg, ``closes`` at
``|residual| ≤ 1e-6 kg + 1e-9 × input``)::

    input_t + added_t + received_side_t
        = residues_out_t + converted_t + passed_on_t + disposed_t

- plant (every facility has a row): ``converted_t = input × (1 − Σ shares of its flows)``
  from the *declared* shares (energy, gas, water vapour, recovered material; a landfill's
  body; everything a plant without flows treats); ``added_t`` its
  ``t_per_day`` flows (rain and the waste body make a landfill's leachate); ``passed_on_t``
  0; ``residues_out_t`` the sum of its flow rows;
- station: nothing is converted: the simulation hauls on every tonne received
  (``passed_on_t = input_t``), so its flows (leachate) are booked as ``added_t`` (water of
  compaction, washing and rain not deducted from the hauled tonnes: the simulated hauls carry
  it once more, an overestimate of at most the station's leachate share);
- every site: side flows received outside its main line (``received_side_t``) end there
  (``disposed_t``: treated in the leachate plant, stored in the fly-ash cell); an outside
  destination is a site with only this;
- one row ``site_id = (all)`` per day closes the whole system against the simulation's own
  tables: what the plants treated (the ``daily`` table's ``treated_t``) plus everything
  added equals everything converted plus everything the destinations booked as disposed
  (``received_side_t`` = every flow row's tonnes, ``residues_out_t`` = the origins' sum).
  A flow row that loses or gains mass breaks its origin's row; a receipt a destination books
  wrong (or a plant's treated tonnes that disagree with ``daily``) breaks the ``(all)`` row.

Overflow that no plant of a fallback chain takes leaves the system (the main balance's
``overflowed_kg``, a treatment shortfall).

Costs, distance and CO2 per flow and day: ``t × cost_cny_per_t`` (treatment or disposal)
plus ``t × km × transport_cny_per_t_km``; ``co2_kg = t × km × co2_kg_per_t_km``. ``km`` is the
row's ``km`` when given, else the road distance of the scenario's travel matrix from origin to
destination, else (an outside site) great-circle × the network's circuity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wasteopt.network import TravelMatrix, haversine_m
from wasteopt.scenario.model import Scenario
from wasteopt.scenario.residue_checks import origin_sites, uses_capacity_order
from wasteopt.scenario.residues import ResidueFlow

__all__ = [
    "ALL_SITES",
    "RESIDUE_BALANCE_COLUMNS",
    "RESIDUE_COLUMNS",
    "RESIDUE_LINE_COLUMNS",
    "ResidueTables",
    "compute_residues",
    "residue_balance",
]

ALL_SITES = "(all)"
RESIDUE_COLUMNS: tuple[str, ...] = (
    "day",
    "date",
    "flow",
    "origin",
    "residue",
    "destination",
    "hazardous",
    "uses_capacity",
    "t",
    "km",
    "t_km",
    "disposal_cny",
    "transport_cny",
    "cost_cny",
    "co2_kg",
)
RESIDUE_BALANCE_COLUMNS: tuple[str, ...] = (
    "day",
    "date",
    "site_id",
    "site_kind",
    "input_t",
    "added_t",
    "received_side_t",
    "residues_out_t",
    "converted_t",
    "passed_on_t",
    "disposed_t",
    "residual_kg",
    "closes",
)
RESIDUE_LINE_COLUMNS: tuple[str, ...] = (
    "day",
    "date",
    "site_id",
    "line",
    "load_t",
    "capacity_t_per_day",
    "utilisation",
    "over_capacity",
)

Row = dict[str, Any]


def _frame(rows: Sequence[Row], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(columns))


@dataclass(frozen=True, slots=True)
class ResidueTables:
    """The residue tables of a simulated horizon (all empty without ``residues.csv``):
    ``flows`` one row per day, flow and origin site (:data:`RESIDUE_COLUMNS`); ``balance`` one
    row per day and site, plus ``(all)`` (:data:`RESIDUE_BALANCE_COLUMNS`); ``lines`` one
    row per day and loaded line (:data:`RESIDUE_LINE_COLUMNS`)."""

    flows: pd.DataFrame = field(default_factory=lambda: _frame([], RESIDUE_COLUMNS))
    balance: pd.DataFrame = field(default_factory=lambda: _frame([], RESIDUE_BALANCE_COLUMNS))
    lines: pd.DataFrame = field(default_factory=lambda: _frame([], RESIDUE_LINE_COLUMNS))

    @property
    def closes(self) -> bool:
        """Every row of the residue balance closes (True without residues)."""
        return bool(self.balance["closes"].all())

    def frames(self, days: int) -> dict[str, pd.DataFrame]:
        """The tables a run writes (``sim_<name>``); none without residues.csv."""
        if not len(self.balance):
            return {}
        return {
            "residues": self.flows,
            "residue_totals": residue_totals(self, days),
            "residue_balance": self.balance,
            "residue_lines": self.lines,
        }

    def summary_lines(self, days: int) -> list[str]:
        """The run summary's lines (:func:`residue_lines_text`)."""
        return residue_lines_text(self, days)

    def error_text(self) -> str:
        """The status detail when the residue balance does not close."""
        return residue_error_text(self)


@dataclass(frozen=True, slots=True)
class _Leg:
    """One flow leaving one origin site, ``km`` from its destination."""

    flow: ResidueFlow
    site: str
    km: float


@dataclass(slots=True)
class _Day:
    """One day's inputs and receipts (t) while its flows are computed."""

    inputs: dict[str, float] = field(default_factory=dict)
    main: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    side: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    line: defaultdict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))


def compute_residues(
    scenario: Scenario, facilities: pd.DataFrame, daily: pd.DataFrame, matrix: TravelMatrix
) -> ResidueTables:
    """The residue tables of a run from its ``sim_facilities`` and ``sim_daily`` tables."""
    if not scenario.residues or not len(facilities):
        return ResidueTables()
    legs = _legs(scenario, matrix)
    stations = [st.id for st in scenario.stations]
    ordered, circle = uses_capacity_order(scenario)
    order = stations + ordered + circle  # a circle (refused on load) breaks the (all) row
    flows: list[Row] = []
    lines: list[Row] = []
    books: dict[int, _Day] = {}
    for day, date in _days(facilities):
        f = facilities[facilities["day"] == day]
        d = _Day()
        sim_in = _sim_inputs(f, set(stations))
        for site in order:
            d.inputs[site] = sim_in.get(site, 0.0) + d.main.get(site, 0.0)
            for leg in legs.get(site, ()):
                flows.append(_flow_row(leg, d, day=day, date=date))
        books[day] = d
        lines += _line_rows(scenario, f, d, day=day, date=date)
    flow_frame = _frame(flows, RESIDUE_COLUMNS)
    balance = residue_balance(scenario, facilities, daily, flow_frame, books)
    return ResidueTables(
        flows=flow_frame, balance=balance, lines=_frame(lines, RESIDUE_LINE_COLUMNS)
    )


def _legs(scenario: Scenario, matrix: TravelMatrix) -> dict[str, list[_Leg]]:
    """Origin site → its flows with their distances (km)."""
    out: dict[str, list[_Leg]] = defaultdict(list)
    for flow in scenario.residues:
        for site in origin_sites(scenario, flow):
            out[site].append(_Leg(flow=flow, site=site, km=_km(scenario, matrix, flow, site)))
    return out


def _km(scenario: Scenario, matrix: TravelMatrix, flow: ResidueFlow, site: str) -> float:
    """The row's ``km``, else the matrix's road distance, else great-circle × circuity."""
    if flow.km is not None:
        return float(flow.km)
    try:
        return float(matrix.block([site], [flow.destination])[0, 0]) / 1000.0
    except KeyError:
        pass
    where = {x.id: (x.lon, x.lat) for x in scenario.stations}
    where.update({x.id: (x.lon, x.lat) for x in scenario.facilities})
    lon, lat = where[site]
    if flow.destination in where:
        dlon, dlat = where[flow.destination]
    else:
        dlon, dlat = float(flow.dest_lon or 0.0), float(flow.dest_lat or 0.0)
    arc_m = float(haversine_m(lon, lat, dlon, dlat))
    return arc_m * scenario.network.circuity / 1000.0


def _sim_inputs(f: pd.DataFrame, stations: set[str]) -> dict[str, float]:
    """One day's simulated input per site: a station's inflow, a plant's treated tonnes."""
    out: dict[str, float] = defaultdict(float)
    for site, kind, inflow, treated in f[
        ["site_id", "site_kind", "inflow_t", "treated_t"]
    ].itertuples(index=False, name=None):
        if site in stations and kind == "station":
            out[site] += float(inflow)
        elif kind == "plant":
            out[site] += float(treated)
    return out


def _flow_row(leg: _Leg, d: _Day, *, day: int, date: object) -> Row:
    """The row of one flow on one day; books its receipt at the destination."""
    flow = leg.flow
    t = flow.amount * d.inputs[leg.site] if flow.is_share else flow.amount
    (d.main if flow.uses_capacity else d.side)[flow.destination] += t
    d.line[(flow.destination, flow.residue)] += t
    t_km = t * leg.km
    disposal = t * flow.cost_cny_per_t
    transport = t_km * flow.transport_cny_per_t_km
    return {
        "day": day,
        "date": date,
        "flow": flow.id,
        "origin": leg.site,
        "residue": flow.residue,
        "destination": flow.destination,
        "hazardous": flow.hazardous,
        "uses_capacity": flow.uses_capacity,
        "t": t,
        "km": leg.km,
        "t_km": t_km,
        "disposal_cny": disposal,
        "transport_cny": transport,
        "cost_cny": disposal + transport,
        "co2_kg": t_km * flow.co2_kg_per_t_km,
    }


def _line_rows(
    scenario: Scenario, f: pd.DataFrame, d: _Day, *, day: int, date: object
) -> list[Row]:
    """The load of every main line that takes side flows, and of every side line with a
    ``line_capacity_t_per_day``, against its capacity."""
    cap = dict(zip(f["site_id"], f["capacity_t_per_day"], strict=False))
    rows: list[Row] = []
    mains = sorted({x.destination for x in scenario.residues if x.uses_capacity})
    for site in mains:
        c = float(cap.get(site, scenario.facility(site).available_t_per_day))
        rows.append(_line(day, date, site, "main", d.inputs.get(site, 0.0), c))
    sides = {(x.destination, x.residue): x.line_capacity_t_per_day for x in scenario.residues}
    for (site, residue), c_side in sorted(sides.items()):
        if c_side is not None:
            rows.append(_line(day, date, site, residue, d.line.get((site, residue), 0.0), c_side))
    return rows


def _line(day: int, date: object, site: str, line: str, load: float, cap: float) -> Row:
    return {
        "day": day,
        "date": date,
        "site_id": site,
        "line": line,
        "load_t": load,
        "capacity_t_per_day": cap,
        "utilisation": load / cap if cap > 0 else float("nan"),
        "over_capacity": load > cap + 1e-9,
    }


def residue_balance(
    scenario: Scenario,
    facilities: pd.DataFrame,
    daily: pd.DataFrame,
    flows: pd.DataFrame,
    books: dict[int, _Day],
) -> pd.DataFrame:
    """The residue mass balance (:data:`RESIDUE_BALANCE_COLUMNS`) of the ``flows`` rows: per
    day a row per origin and destination site and the ``(all)`` row (model: module docstring).
    ``books[day]`` holds each site's input and the side flows each destination booked as
    received that day (t)."""
    stations = {st.id for st in scenario.stations}
    facility_ids = {f.id for f in scenario.facilities}
    shares: dict[str, float] = defaultdict(float)
    fixed: dict[str, float] = defaultdict(float)
    for flow in scenario.residues:
        for site in origin_sites(scenario, flow):
            (shares if flow.is_share else fixed)[site] += flow.amount
    dests = {x.destination for x in scenario.residues}
    # every facility: one without residue flows converts all it treats
    sites = sorted(set(shares) | set(fixed) | dests | facility_ids)
    out_t = flows.groupby(["day", "origin"])["t"].sum().to_dict() if len(flows) else {}
    sent_t: dict[int, float] = {}
    for day, t in flows[["day", "t"]].itertuples(index=False, name=None):
        sent_t[int(day)] = sent_t.get(int(day), 0.0) + float(t)
    treated = daily.groupby("day")["treated_t"].sum().to_dict()
    rows: list[Row] = []
    for day, date in _days(facilities):
        site_inputs, side_t = books[day].inputs, books[day].side
        day_rows = []
        for site in sites:
            kind = "station" if site in stations else "plant" if site in facility_ids else "outside"
            inp = site_inputs.get(site, 0.0) if kind != "outside" else 0.0
            share, fix = shares.get(site, 0.0), fixed.get(site, 0.0)
            station = kind == "station"
            received = side_t.get(site, 0.0)
            day_rows.append(
                _balance_row(
                    day,
                    date,
                    site,
                    kind,
                    input_t=inp,
                    added_t=fix + (inp * share if station else 0.0),
                    received_side_t=received,
                    residues_out_t=out_t.get((day, site), 0.0),
                    converted_t=0.0 if station else inp * (1.0 - share),
                    passed_on_t=inp if station else 0.0,
                    disposed_t=received,
                )
            )
        rows += day_rows
        rows.append(_all_row(day, date, day_rows, treated.get(day, 0.0), sent_t))
    return _frame(rows, RESIDUE_BALANCE_COLUMNS)


def _days(facilities: pd.DataFrame) -> Iterable[tuple[int, object]]:
    pairs = facilities[["day", "date"]].drop_duplicates().sort_values("day")
    return ((int(d), date) for d, date in pairs.itertuples(index=False, name=None))


def _all_row(
    day: int,
    date: object,
    site_rows: list[Row],
    treated_t: float,
    sent_t: dict[int, float],
) -> Row:
    """The whole system on ``day``: what the plants treated (the ``daily`` table's
    ``treated_t``) plus everything added, against everything converted and everything the
    destinations booked as disposed; the flow rows' tonnes (``sent_t``) against the origins'
    residues out."""
    return _balance_row(
        day,
        date,
        ALL_SITES,
        "",
        input_t=treated_t,
        added_t=sum(r["added_t"] for r in site_rows),
        received_side_t=sent_t.get(day, 0.0),
        residues_out_t=sum(r["residues_out_t"] for r in site_rows),
        converted_t=sum(r["converted_t"] for r in site_rows),
        passed_on_t=0.0,
        disposed_t=sum(r["disposed_t"] for r in site_rows),
    )


def _balance_row(day: int, date: object, site: str, kind: str, **t: float) -> Row:
    left = t["input_t"] + t["added_t"] + t["received_side_t"]
    right = t["residues_out_t"] + t["converted_t"] + t["passed_on_t"] + t["disposed_t"]
    residual_kg = (left - right) * 1000.0
    closes = abs(residual_kg) <= 1e-6 + 1e-9 * abs(left) * 1000.0
    row: Row = {"day": day, "date": date, "site_id": site, "site_kind": kind, **t}
    row["residual_kg"] = residual_kg
    row["closes"] = bool(closes)
    return row


def residue_totals(tables: ResidueTables, days: int) -> pd.DataFrame:
    """One row per flow and origin over the horizon: t, t/day, t/year (× 365 / days), km,
    t·km, costs and CO2."""
    f = tables.flows
    keys = ["flow", "origin", "residue", "destination", "hazardous"]
    cols = ["t", "t_km", "disposal_cny", "transport_cny", "cost_cny", "co2_kg"]
    if not len(f):
        return pd.DataFrame(columns=[*keys, "t_per_day", "t_per_year", "km", *cols])
    out = f.groupby(keys, sort=False)[cols].sum().reset_index()
    out["km"] = f.groupby(keys, sort=False)["km"].first().to_numpy()
    out["t_per_day"] = out["t"] / max(days, 1)
    out["t_per_year"] = out["t_per_day"] * 365.0
    return out[[*keys, "t_per_day", "t_per_year", "km", *cols]]


def residue_lines_text(tables: ResidueTables, days: int) -> list[str]:
    """The run summary's lines: per residue and destination t/day, cost per year, and every
    line loaded above its capacity (days, worst load)."""
    tot = residue_totals(tables, days)
    if not len(tot):
        return []
    g = tot.groupby(["residue", "destination"], sort=False)
    agg = g[["t_per_day", "t_per_year", "cost_cny", "co2_kg"]].sum().reset_index()
    lines = []
    n = max(days, 1)
    for residue, dest, t_day, t_year, cost, co2 in agg.itertuples(index=False, name=None):
        lines.append(
            f"  residue {residue} → {dest}: {float(t_day):,.1f} t/day "
            f"({float(t_year):,.0f} t/year), {float(cost) / n * 365.0:,.0f} CNY/year, "
            f"{float(co2) / n:,.0f} kg CO2/day"
        )
    over = tables.lines[tables.lines["over_capacity"].astype(bool)]
    for (site, line), o in over.groupby(["site_id", "line"], sort=False):
        lines.append(
            f"  residue line {site}/{line}: over capacity on {len(o)} days "
            f"(worst {o['load_t'].max():,.1f} t against {o['capacity_t_per_day'].iloc[0]:,.1f})"
        )
    bal = tables.balance
    if len(bal):
        worst = float(np.abs(bal["residual_kg"].to_numpy()).max())
        ok = bool(bal["closes"].all())
        lines.append(
            f"  residue balance: {'closes' if ok else 'DOES NOT CLOSE'} every day and site "
            f"(largest residual {worst:.2e} kg)"
        )
    return lines


def residue_error_text(tables: ResidueTables) -> str:
    """The status detail when the residue balance does not close: the worst site and day."""
    bal = tables.balance
    b = bal.iloc[int(bal["residual_kg"].abs().to_numpy().argmax())]
    return (
        f"balance_error: the residue mass balance does not close (largest residual "
        f"{b['residual_kg']:.3g} kg, {b['site_id']} on day {b['day']})"
    )
