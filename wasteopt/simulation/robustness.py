"""Whether the route plans survive the simulated days: breaches per vehicle-day.

A plan the checker calls clean holds on the expected kg of its routed day; the simulated days
draw other kg and other travel, service and unload times. Per vehicle and day that ran (the
``vehicles`` table of :class:`wasteopt.simulation.SimulationResult`; collection vehicles and,
as their own *tier*, the haul trucks that empty the stations), three breaches:

- *extra unload*: an unplanned unload trip (``extra_unloads`` > 0: the vehicle was full at a
  stop, drove to unload and came back; collection only);
- *over max trips*: more tips than the type's ``max_trips`` (``trips_over_max`` > 0);
- *overtime*: back at the depot after the shift end (``overtime_min`` > 0).

:func:`robustness_table` rolls them up per tier and stream and over everything (``tier =
stream = "all"``): vehicle-days, how many and what share had each breach, the worst case of each,
and the share with any. A tier's stream is *robust* when at most :data:`MAX_AFFECTED_SHARE` of
its vehicle-days had any breach; the run is robust when every one is.

*Clean* (:func:`plan_verdict`) means both: every route plan clean by the checker (on its routed
day's kg) and the simulated days robust; the verdict says which of the two holds.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "ALL_STREAMS",
    "MAX_AFFECTED_SHARE",
    "ROBUSTNESS_COLUMNS",
    "plan_verdict",
    "robustness_kpis",
    "robustness_table",
    "robustness_text",
]

MAX_AFFECTED_SHARE = 0.05
"""Share of a stream's collection vehicle-days that may have a breach in a robust plan: about
one truck-day a month in twenty, absorbed by the spare vehicle and overtime rules of a depot."""
ALL_STREAMS = "all"
"""The ``tier`` and ``stream`` of the row over everything."""
TIERS = ("collection", "haul")
"""Vehicle roles rolled up, each as its own tier."""

ROBUSTNESS_COLUMNS = (
    "tier",
    "stream",
    "vehicle_days",
    "extra_unload_days",
    "extra_unload_share",
    "extra_unloads",
    "extra_unloads_max",
    "over_max_trips_days",
    "over_max_trips_share",
    "trips_max",
    "trips_over_max_max",
    "overtime_days",
    "overtime_share",
    "overtime_h",
    "overtime_min_max",
    "worst_overtime",
    "affected_share",
    "robust",
)


def _rollup(tier: str, stream: str, v: pd.DataFrame) -> dict[str, object]:
    """One row of :data:`ROBUSTNESS_COLUMNS` over the vehicle-days ``v``."""
    n = len(v)
    extra = v["extra_unloads"] > 0
    over = v["trips_over_max"] > 0
    late = v["overtime_min"] > 0
    worst = ""
    if late.any():
        w = v.iloc[int(v["overtime_min"].to_numpy().argmax())]
        worst = f"{w['vehicle']} {w['date']} +{w['overtime_min']:.0f} min"
    affected = float((extra | over | late).mean()) if n else 0.0
    return {
        "tier": tier,
        "stream": stream,
        "vehicle_days": n,
        "extra_unload_days": int(extra.sum()),
        "extra_unload_share": float(extra.mean()) if n else 0.0,
        "extra_unloads": int(v["extra_unloads"].sum()),
        "extra_unloads_max": int(v["extra_unloads"].max()) if n else 0,
        "over_max_trips_days": int(over.sum()),
        "over_max_trips_share": float(over.mean()) if n else 0.0,
        "trips_max": int(v["trips"].max()) if n else 0,
        "trips_over_max_max": int(v["trips_over_max"].max()) if n else 0,
        "overtime_days": int(late.sum()),
        "overtime_share": float(late.mean()) if n else 0.0,
        "overtime_h": float(v["overtime_min"].sum()) / 60.0,
        "overtime_min_max": float(v["overtime_min"].max()) if n else 0.0,
        "worst_overtime": worst,
        "affected_share": affected,
        "robust": affected <= MAX_AFFECTED_SHARE,
    }


def robustness_table(vehicles: pd.DataFrame) -> pd.DataFrame:
    """Per tier (``collection``, then ``haul``) and stream (in the order of ``vehicles``) and
    over everything: the breaches of the vehicle-days that ran (:data:`ROBUSTNESS_COLUMNS`);
    the ``all`` row is robust only when every other row is."""
    if vehicles.empty or "role" not in vehicles:
        return pd.DataFrame(
            [_rollup(ALL_STREAMS, ALL_STREAMS, _no_days())], columns=list(ROBUSTNESS_COLUMNS)
        )
    ran = vehicles[vehicles["role"].isin(TIERS) & vehicles["ran"].astype(bool)]
    rows = [
        _rollup(tier, str(s), g)
        for tier in TIERS
        for s, g in ran[ran["role"] == tier].groupby("stream", sort=False)
    ]
    total = _rollup(ALL_STREAMS, ALL_STREAMS, ran)
    total["robust"] = all(bool(r["robust"]) for r in rows)
    return pd.DataFrame([*rows, total], columns=list(ROBUSTNESS_COLUMNS))


def _no_days() -> pd.DataFrame:
    cols = ["vehicle", "date", "extra_unloads", "trips", "trips_over_max", "overtime_min"]
    return pd.DataFrame(columns=cols).astype({c: float for c in cols[2:]})


def robustness_kpis(table: pd.DataFrame) -> dict[str, object]:
    """:func:`robustness_table` as KPI columns: the shares of collection vehicle-days with an
    unplanned unload and over the trip limit (breaches only collection vehicles can have) and
    the most trips over it; over every vehicle-day (collection and haul, the ``all`` row) the
    share with overtime and the longest; whether every tier and stream is robust."""
    row = table[table["stream"] == ALL_STREAMS].iloc[0]
    coll = table[table["tier"] == "collection"]
    days = max(int(coll["vehicle_days"].sum()), 1)
    return {
        "sim_extra_unload_share": float(coll["extra_unload_days"].sum()) / days,
        "sim_over_max_trips_share": float(coll["over_max_trips_days"].sum()) / days,
        "sim_overtime_share": float(row["overtime_share"]),
        "sim_trips_over_max_max": int(coll["trips_over_max_max"].max()) if len(coll) else 0,
        "sim_overtime_min_max": float(row["overtime_min_max"]),
        "sim_robust": bool(row["robust"]),
    }


def robustness_text(table: pd.DataFrame) -> str:
    """One line: robust or not, and the shares and worst cases over all streams, naming the
    streams that are not robust with the share of their vehicle-days affected (the verdict is
    per stream, so the all-stream shares alone can sit below the limit)."""
    row = table[table["stream"] == ALL_STREAMS].iloc[0]
    parts = table[(table["stream"] != ALL_STREAMS) & ~table["robust"].astype(bool)]
    weak = [
        f"{'' if tier == 'collection' else 'haul '}{stream} {share:.1%} affected"
        for tier, stream, share in zip(
            parts["tier"], parts["stream"], parts["affected_share"].astype(float), strict=True
        )
    ]
    verdict = "robust" if row["robust"] else "NOT robust (" + ", ".join(weak) + ")"
    return (
        f"simulated days {verdict}: of {int(row['vehicle_days']):,} vehicle-days "
        f"{row['extra_unload_share']:.0%} needed unplanned unload trips (worst "
        f"{int(row['extra_unloads_max'])}), {row['over_max_trips_share']:.0%} exceeded "
        f"max_trips (worst +{int(row['trips_over_max_max'])} trips), "
        f"{row['overtime_share']:.0%} ran overtime (worst +{row['overtime_min_max']:.0f} min); "
        f"robust: at most {MAX_AFFECTED_SHARE:.0%} of a stream's vehicle-days (collection, "
        "haul) with any of these"
    )


def plan_verdict(plans_clean: bool, robust: bool) -> str:
    """Whether the route plans are clean by the checker and robust in the simulated days:
    ``clean and robust`` only when both hold, else which of the two fails."""
    if plans_clean and robust:
        return "clean and robust"
    if plans_clean:
        return "clean in the plan, NOT robust in the simulated days"
    if robust:
        return "NOT clean in the plan (checker), robust in the simulated days"
    return "NOT clean in the plan (checker), NOT robust in the simulated days"
