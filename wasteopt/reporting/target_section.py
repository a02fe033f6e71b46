"""What a run writes and shows about the city's targets and the 不分类不收运 rule: ``targets.csv``
(:mod:`wasteopt.reporting.targets`), ``refused.csv``, the report's two targets tables (the
whole scenario per quarter; the units meeting each target) with their notes, and the lines that
say what the rule leaves behind.

The 不分类不收运 rule (``[planning] refuse_unsorted``) is a deliberate choice: the points it
refuses are never due (:func:`wasteopt.generation.collection_schedule`), so no service level
counts their waste as a shortfall. It is reported apart instead: per point and stream at its
expected generation (``refused.csv``), and as one line per variant on the command's stderr
after ``refused by policy:``; the command's exit code does not change for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from wasteopt.files import write_frame
from wasteopt.generation import Demand, expected_rates_kg_per_day
from wasteopt.reporting.targets import TARGET_COLUMNS, YEAR, Tonnes, gap_frame, tonnes
from wasteopt.scenario.model import Scenario
from wasteopt.scenario.targets import TOWN_KINDS, Target
from wasteopt.simulation import SimulationResult

__all__ = [
    "REFUSED_COLUMNS",
    "TARGETS_TITLE",
    "UNITS_TITLE",
    "TargetReport",
    "VariantOutcome",
    "refusal_lines",
    "refused_frame",
    "target_report",
    "write_target_report",
]

TARGETS_TITLE = "目标差距 Targets: the whole scenario per quarter"
UNITS_TITLE = "达标单位 Units meeting each target over the year"
REFUSED_COLUMNS: tuple[str, ...] = (
    "variant",
    "point_id",
    "point_name",
    "town",
    "district",
    "stream",
    "t_per_day",
)
"""``refused.csv``: one row per variant, refused point and stream it generates (expected t/day)."""
#: Level columns of the report's units table.
_LEVEL_SHORT = {"community": "小区 community", "town": "街道/镇 town", "district": "区 district"}


class VariantOutcome(Protocol):
    """What one variant's run gives the targets (a :class:`wasteopt.pipeline.VariantRun` is
    one): its scenario, the demand the simulation ran on, and the simulation."""

    @property
    def variant(self) -> str: ...
    @property
    def scenario(self) -> Scenario: ...
    @property
    def demand(self) -> Demand: ...
    @property
    def simulation(self) -> SimulationResult: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetReport:
    """``table``: targets.csv of every variant; ``refused``: refused.csv; ``summary`` (the
    whole scenario per quarter), ``units`` (units meeting each target per level) and ``notes``
    (shown with the summary): the report's section, narrow enough for an A4 page;
    ``refused_lines``: one per variant that refuses points;
    ``refused_t_per_day``: variant → stream → t/day refused (for the manifest); ``defined``:
    some scenario defines targets."""

    table: pd.DataFrame
    refused: pd.DataFrame
    summary: pd.DataFrame
    units: pd.DataFrame
    notes: tuple[str, ...]
    refused_lines: tuple[str, ...] = ()
    refused_t_per_day: dict[str, dict[str, float]] = field(default_factory=dict)
    defined: bool = False

    @property
    def shown(self) -> bool:
        """Whether the report needs the section: some target is defined or some point refused."""
        return self.defined or bool(self.refused_lines)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The section's tables by title (the units table only when it has rows); the notes
        belong under :data:`TARGETS_TITLE`."""
        out = {TARGETS_TITLE: self.summary}
        if len(self.units):
            out[UNITS_TITLE] = self.units
        return out


def refused_frame(scenario: Scenario) -> pd.DataFrame:
    """The points the 不分类不收运 rule refuses, one row per stream they generate, at the
    expected generation (t/day; :data:`REFUSED_COLUMNS` without ``variant``)."""
    cols = list(REFUSED_COLUMNS[1:])
    refused = [k for k, p in enumerate(scenario.points) if scenario.refuses(p)]
    if not refused:
        return pd.DataFrame(columns=cols)
    rates = expected_rates_kg_per_day(scenario)[refused] / 1000.0
    rows = [
        (p.id, p.name, p.town_name, p.district, sid, float(rates[k, s]))
        for k, p in enumerate(scenario.points[i] for i in refused)
        for s, sid in enumerate(scenario.stream_ids)
        if rates[k, s] > 0
    ]
    return pd.DataFrame(rows, columns=cols)


def refusal_lines(variant: str, scenario: Scenario, frame: pd.DataFrame | None = None) -> list[str]:
    """What the rule leaves behind in ``variant``: one line (empty when it refuses nothing)
    naming t/day per stream, the points and the towns they lie in (``frame``: its
    :func:`refused_frame`)."""
    frame = refused_frame(scenario) if frame is None else frame
    if frame.empty:
        return []
    per_stream = frame.groupby("stream", sort=False)["t_per_day"].sum()
    points = frame.groupby("town", sort=True)["point_id"].nunique()
    streams = ", ".join(f"{s} {_t(x)}" for s, x in per_stream.items())
    towns = ", ".join(f"{town} {n}" for town, n in points.sort_values(ascending=False).items())
    where = _n(frame["point_id"].nunique(), "non-compliant point")
    return [
        f"{variant}: 不分类不收运 (refuse_unsorted) leaves {_t(per_stream.sum())} t/day "
        f"uncollected ({streams} t/day) at {where} in {_n(len(points), 'town')} ({towns}); "
        "a policy choice, not a shortfall (refused.csv)"
    ]


def _t(x: float) -> str:
    """Tonnes per day to 0.01 t, or to one significant digit below it (hazardous waste)."""
    return f"{x:,.2f}" if x >= 0.005 or x == 0 else f"{x:.1g}"


def _n(count: int, noun: str) -> str:
    """``1 town``, ``3 towns``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _share(x: float) -> str:
    return "" if not math.isfinite(x) else f"{100 * x:.1f} %"


def _show(target: Target, x: float) -> str:
    """A value as the report prints it: a share in %, a count or capacity as a number."""
    if not math.isfinite(x):
        return ""
    return _share(x) if target.spec.unit == "share" else f"{x:,.0f}"


#: Facility kinds as the narrow target cell names them.
_KIND_ZH = {
    "waste_to_energy": "焚烧",
    "kitchen_waste_plant": "厨余",
    "landfill": "填埋",
    "sorting_centre": "分拣",
    "hazardous_facility": "有害",
}


def _goal(target: Target) -> str:
    """``分出率 ≥ 18.0 %``, ``处理能力 厨余 catering ≥ 1,450 t/day``: the target in one short
    cell (the English names are in the notes' definitions)."""
    sign = "≥" if target.direction == ">=" else "≤"
    unit = "" if target.spec.unit == "share" else f" {target.spec.unit}"
    name = target.spec.short.split(" ")[0]
    if target.kind:
        name += f" {_KIND_ZH.get(target.kind, target.kind)}"
        name += f" {'/'.join(target.streams)}" if target.streams else ""
    return f"{name} {sign} {_show(target, target.value)}{unit}"


def _summary_row(variant: str, target: Target, rows: pd.DataFrame, t: Tonnes) -> dict[str, str]:
    """One row of the quarters table: the whole scenario's value per quarter and over the
    year, and whether it meets the target."""
    total = rows[rows["level"] == "total"].set_index("quarter")
    out = {"variant": variant, "目标 target": _goal(target)}
    for q in (*t.quarters, YEAR):
        value = float(total["value"].get(q, math.nan)) if len(total) else math.nan
        out["全年 year" if q == YEAR else q] = _show(target, value)
    met = bool(total["met"].get(YEAR)) if len(total) else False
    out["达标 met"] = "" if total.empty else ("yes 达标" if met else "no 未达标")
    return out


def _units_row(variant: str, target: Target, rows: pd.DataFrame) -> dict[str, str] | None:
    """One row of the units table: how many units of each level below the total meet the
    target over the year, and the town (else district) furthest from it; None when the
    target is reported at the total only."""
    year = rows[(rows["quarter"] == YEAR) & (rows["level"] != "total")]
    if year.empty:
        return None
    out = {"variant": variant, "目标 target": _goal(target)}
    furthest = ""
    for level, group in year.groupby("level", sort=False):
        out.update(_met_counts(str(level), group))
        worst = group.iloc[int(group["gap"].to_numpy().argmax())]
        if level != "community" and not furthest and not bool(worst["met"]):
            furthest = f"{worst['unit_name']} {_show(target, float(worst['value']))}"
    out["差距最大 furthest"] = furthest
    return out


def _met_counts(level: str, group: pd.DataFrame) -> dict[str, str]:
    """``{"小区 community": "5/6"}``: units meeting the target over the year; towns apart by
    kind when the scenario gives kinds (``街道 street``, ``镇 town``)."""
    kinds = group["town_kind"].fillna("").astype(str)
    if level != "town" or not kinds.str.len().all():
        return {_LEVEL_SHORT[level]: f"{int(group['met'].sum())}/{len(group)}"}
    return {
        f"{TOWN_KINDS[kind]} {kind}": f"{int(sub['met'].sum())}/{len(sub)}"
        for kind, sub in group.groupby(kinds, sort=True)
    }


_DEFINITIONS = (
    "分出率 kitchen separation = kitchen waste collected as kitchen waste ÷ household waste "
    "generated; 资源化利用率 resource recovery = kitchen + recyclables collected ÷ generated; "
    "无害化处理率 harmless treatment = treated at plants ÷ generated; 达标小区 compliant "
    "communities = points serving residents flagged compliant in points.csv (an input, the same "
    "every quarter). A target's own streams replace these defaults. Levels: community (小区, a "
    "point serving residents), town (街道/镇), district, total; targets.csv holds every unit "
    "and quarter (gap > 0: short by that much)."
)
_CONSTANT = (
    "Sorting behaviour (capture rates, missorting) and compliance are constant inputs over the "
    "year, so the quarterly rates move only with generation and collection."
)


def target_report(outcomes: Sequence[VariantOutcome]) -> TargetReport:
    """The targets of every variant measured from its run, and what its 不分类不收运 rule
    leaves behind (module docstring)."""
    tables, refused, summary, units, lines = [], [], [], [], []
    per_variant: dict[str, dict[str, float]] = {}
    details: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    for o in outcomes:
        frame = refused_frame(o.scenario)
        if not frame.empty:
            refused.append(frame.assign(variant=o.variant))
            per_variant[o.variant] = {
                str(s): round(float(x), 4)
                for s, x in frame.groupby("stream", sort=False)["t_per_day"].sum().items()
            }
            lines += refusal_lines(o.variant, o.scenario, frame)
        if not o.scenario.targets:
            continue
        t = tonnes(o.scenario, o.demand, o.simulation)
        details.setdefault(t.detail, []).append(o.variant)
        table = gap_frame(o.scenario, t)
        tables.append(table.assign(variant=o.variant))
        for target in o.scenario.targets:
            rows = table[table["target_id"] == target.id]
            summary.append(_summary_row(o.variant, target, rows, t))
            units.append(_units_row(o.variant, target, rows))
            sources.setdefault(_goal(target), target.source)
    notes = [f"Basis ({', '.join(v)}): {d}." for d, v in details.items()]
    notes += [_DEFINITIONS, _CONSTANT] if summary else []
    if sources:
        notes.append("Sources 来源: " + "; ".join(f"{g}: {s}" for g, s in sources.items()))
    notes += lines or [_no_refusal(outcomes)]
    return TargetReport(
        table=_stack(tables, ["variant", *TARGET_COLUMNS]),
        refused=_stack(refused, list(REFUSED_COLUMNS)),
        summary=(
            pd.DataFrame(summary).fillna("")
            if summary
            else pd.DataFrame({"targets": ["none defined ([[targets]] in scenario.toml)"]})
        ),
        units=_units_frame([u for u in units if u is not None]),
        notes=tuple(notes),
        refused_lines=tuple(lines),
        refused_t_per_day=per_variant,
        defined=bool(summary),
    )


def _units_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    """The units table, its level columns from the smallest level up, the furthest unit last."""
    frame = pd.DataFrame(rows).fillna("")
    if frame.empty:
        return frame
    rank = [_LEVEL_SHORT["community"], *(f"{zh} {k}" for k, zh in TOWN_KINDS.items())]
    rank += [_LEVEL_SHORT["town"], _LEVEL_SHORT["district"]]
    levels = [c for c in rank if c in frame.columns]
    return frame[["variant", "目标 target", *levels, "差距最大 furthest"]]


def _no_refusal(outcomes: Sequence[VariantOutcome]) -> str:
    on = [o.variant for o in outcomes if o.scenario.planning.refuse_unsorted]
    if on:
        return f"不分类不收运 is on in {', '.join(on)}, but every point is compliant: none refused."
    return "不分类不收运 (refuse_unsorted) is off: every point is collected, compliant or not."


def _stack(frames: Sequence[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def write_target_report(report: TargetReport, path_of: Callable[[str], Path]) -> list[Path]:
    """``refused.csv`` always, and ``targets.csv`` when some scenario defines targets, each at
    ``path_of(name)``, atomically."""
    paths = [write_frame(path_of("refused.csv"), report.refused, bom=True)]
    if report.defined:
        paths.append(write_frame(path_of("targets.csv"), report.table, bom=True))
    return paths
