"""Why each variant costs what it does, against the base: the cost waterfall, station
utilisation before/after, the communities whose catchment moves, and (in
:mod:`wasteopt.pipeline.sensitivity`) which uncertain inputs flip the ranking.

Everything here reads facility plans (the annual cost model of
:mod:`wasteopt.facilities.model`), so the numbers add up to each plan's objective:

- **cost waterfall**: each term of ``FacilityPlan.cost_breakdown`` falls in one of
  :data:`WATERFALL_TERMS` by its name (:func:`cost_term`): tier-1 collection (``collection_*``),
  station operation (``station_*`` running costs, staff), tier-2 haul (``transfer_*``, haul,
  containers), plant gate fees, the priced shortfall, annualised capital (opening, closing,
  capital); a term matching none is ``other``. ``total`` is their sum.
- **station utilisation**: t/day each station and plant receives per stream in the base plan
  and the variant's (stations: the points assigned to them; plants: direct points plus the
  stations' transfer flows); capacity (0 when the station is closed), utilisation =
  t/day / capacity and headroom = capacity − t/day are the site's, shared by its streams.
- **catchment moves**: every (point, stream) whose unload site differs between the base and
  the variant: old and new site, the collection leg (road km point → site, one way) before and
  after, and the tonne-km per day that changes.
- **standard policy**: what the policy "every station left open meets the current
  environmental standard and keeps streams separate" costs each variant a year
  (:func:`wasteopt.facilities.policy_cost`: the plan with ``require_standard`` − the plan
  without), and the stations it closes and opens; the run's own facility plan is one of the
  two, so only the other is planned (:func:`policy_table`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from wasteopt.clock import Deadline
from wasteopt.errors import InputError
from wasteopt.facilities import FacilityPlan, PolicyCost, policy_cost
from wasteopt.facilities.plan import COST_TERMS
from wasteopt.facilities.settings import FacilitySettings, resolve_planning
from wasteopt.files import OutputFolder, write_frame
from wasteopt.generation import expected_rates_kg_per_day
from wasteopt.network import TravelMatrix
from wasteopt.pipeline.sensitivity import SENSITIVITY_COLUMNS, SPREAD, sensitivity
from wasteopt.pipeline.twins import plan_twins
from wasteopt.pipeline.variant import facility_settings, part_of
from wasteopt.reporting.explain_plots import plot_cost_waterfall, plot_tornado
from wasteopt.reporting.plots import save_figure
from wasteopt.scenario.model import Scenario

__all__ = [
    "EXPLAIN_FILES",
    "MOVE_COLUMNS",
    "POLICY_COLUMNS",
    "UTILISATION_COLUMNS",
    "WATERFALL_TERMS",
    "Explanation",
    "catchment_moves",
    "cost_deltas",
    "cost_term",
    "cost_waterfall",
    "explain",
    "flip_summary",
    "policy_sentences",
    "policy_table",
    "site_capacity",
    "site_stream_t",
    "station_utilisation",
    "write_explanation",
]

BASE = "base"

WATERFALL_TERMS: tuple[str, ...] = tuple(COST_TERMS)
"""The waterfall's steps, in order (then ``other`` when some term matched none, and
``total``)."""

_CAPITAL_WORDS = ("opening", "closing", "capital", "annualised")
_HAUL_WORDS = ("transfer", "haul", "container")


_TERM_OF = {item: term for term, items in COST_TERMS.items() for item in items}


def cost_term(item: str) -> str:
    """The waterfall step of one ``cost_breakdown`` key: its entry in
    :data:`wasteopt.facilities.plan.COST_TERMS`, else by its name (module docstring)."""
    if item in _TERM_OF:
        return _TERM_OF[item]
    if item.startswith("collection"):
        return "tier1_collection"
    if "shortfall" in item:
        return "shortfall_penalty"
    if "gate" in item:
        return "gate_fees"
    if any(w in item for w in _CAPITAL_WORDS):
        return "capital_annualised"
    if any(w in item for w in _HAUL_WORDS):
        return "tier2_haul"
    if item.startswith(("station", "staff")):
        return "station_operation"
    return "other"


def cost_waterfall(plans: Mapping[str, FacilityPlan]) -> pd.DataFrame:
    """One row per (variant, step): ``variant, term, cny_per_year, cny_per_t, items`` (the
    breakdown keys summed into the step); the last row of each variant is ``total``.
    Variants without a plan are left out."""
    rows: list[dict[str, object]] = []
    for variant, plan in plans.items():
        if not plan.has_plan:
            continue
        t_year = 365.0 * float(sum(plan.demand_t_per_day.values()))
        sums = dict.fromkeys(WATERFALL_TERMS, 0.0)
        items: dict[str, list[str]] = {t: [] for t in WATERFALL_TERMS}
        for item, cny in plan.cost_breakdown.items():
            term = cost_term(item)
            sums[term] = sums.get(term, 0.0) + float(cny)
            items.setdefault(term, []).append(item)
        sums["total"] = sum(sums.values())
        for term, cny in sums.items():
            rows.append(
                {
                    "variant": variant,
                    "term": term,
                    "cny_per_year": cny,
                    "cny_per_t": cny / t_year if t_year > 0 else math.nan,
                    "items": " ".join(items.get(term, [])) if term != "total" else "",
                }
            )
    return pd.DataFrame(rows, columns=["variant", "term", "cny_per_year", "cny_per_t", "items"])


def cost_deltas(waterfall: pd.DataFrame) -> pd.DataFrame:
    """Each variant's waterfall against the base: ``variant, term, base_cny_per_year,
    variant_cny_per_year, delta_cny_per_year, delta_cny_per_t`` (variant − base), one row per
    step and ``total``; empty without a base row."""
    cols = [
        "variant",
        "term",
        "base_cny_per_year",
        "variant_cny_per_year",
        "delta_cny_per_year",
        "delta_cny_per_t",
    ]
    base = waterfall[waterfall["variant"] == BASE].set_index("term")
    rows = []
    if len(base):
        for _, r in waterfall[waterfall["variant"] != BASE].iterrows():
            ref = base.loc[r["term"]] if r["term"] in base.index else None
            b_cny = float(ref["cny_per_year"]) if ref is not None else 0.0
            b_t = float(ref["cny_per_t"]) if ref is not None else 0.0
            rows.append(
                {
                    "variant": r["variant"],
                    "term": r["term"],
                    "base_cny_per_year": b_cny,
                    "variant_cny_per_year": float(r["cny_per_year"]),
                    "delta_cny_per_year": float(r["cny_per_year"]) - b_cny,
                    "delta_cny_per_t": float(r["cny_per_t"]) - b_t,
                }
            )
    return pd.DataFrame(rows, columns=cols)


def site_stream_t(plan: FacilityPlan) -> dict[tuple[str, str], float]:
    """t/day each site receives per stream: assigned points, plus transfer flows at plants."""
    out: dict[tuple[str, str], float] = {}
    for (point, stream), site in plan.assignments.items():
        key = (site, stream)
        out[key] = out.get(key, 0.0) + plan.demand_t_per_day.get((point, stream), 0.0)
    for (_station, stream, plant), t in plan.flows.items():
        out[(plant, stream)] = out.get((plant, stream), 0.0) + t
    return out


def site_capacity(plan: FacilityPlan, site: str) -> float:
    """The site's capacity in the plan (0 for a station the plan does not open)."""
    if plan.site_kind.get(site) == "station" and site not in plan.open_stations:
        return 0.0
    return float(plan.capacity_t_per_day.get(site, 0.0))


UTILISATION_COLUMNS = [
    "variant",
    "site_id",
    "site_kind",
    "stream",
    "open_base",
    "open_variant",
    "t_per_day_base",
    "t_per_day_variant",
    "capacity_t_per_day_base",
    "capacity_t_per_day_variant",
    "utilisation_base",
    "utilisation_variant",
    "headroom_t_per_day_base",
    "headroom_t_per_day_variant",
]


def station_utilisation(base: FacilityPlan, plan: FacilityPlan, variant: str) -> pd.DataFrame:
    """Stations and plants before (base) and after (``plan``): one row per (site, stream)
    with waste in either plan and one ``stream = "all"`` row per site (module docstring);
    columns ``UTILISATION_COLUMNS``."""
    by_stream = {"base": site_stream_t(base), "variant": site_stream_t(plan)}
    sites = list(dict.fromkeys([*base.capacity_t_per_day, *plan.capacity_t_per_day]))
    streams = sorted({s for tables in by_stream.values() for (_, s) in tables})
    rows = []
    for site in sites:
        kind = plan.site_kind.get(site) or base.site_kind.get(site, "")
        site_t = {
            side: sum(t for (j, _), t in table.items() if j == site)
            for side, table in by_stream.items()
        }
        cap = {"base": site_capacity(base, site), "variant": site_capacity(plan, site)}
        opened = {
            side: (site in p.open_stations) if kind == "station" else True
            for side, p in (("base", base), ("variant", plan))
        }
        wanted = [s for s in streams if any((site, s) in t for t in by_stream.values())]
        for stream in [*wanted, "all"]:
            row: dict[str, object] = {
                "variant": variant,
                "site_id": site,
                "site_kind": kind,
                "stream": stream,
            }
            for side in ("base", "variant"):
                t = site_t[side] if stream == "all" else by_stream[side].get((site, stream), 0.0)
                row[f"open_{side}"] = opened[side]
                row[f"t_per_day_{side}"] = t
                row[f"capacity_t_per_day_{side}"] = cap[side]
                row[f"utilisation_{side}"] = site_t[side] / cap[side] if cap[side] else math.nan
                row[f"headroom_t_per_day_{side}"] = cap[side] - site_t[side]
            rows.append(row)
    return pd.DataFrame(rows, columns=UTILISATION_COLUMNS)


MOVE_COLUMNS = [
    "variant",
    "point_id",
    "point_name",
    "district",
    "stream",
    "t_per_day",
    "site_base",
    "site_variant",
    "site_base_closed",
    "leg_km_base",
    "leg_km_variant",
    "delta_leg_km",
    "delta_t_km_per_day",
]


def catchment_moves(
    scenario: Scenario,
    base: FacilityPlan,
    plan: FacilityPlan,
    matrix: TravelMatrix,
    variant: str,
) -> pd.DataFrame:
    """Every (point, stream) that unloads elsewhere in ``plan`` than in ``base``: columns
    ``MOVE_COLUMNS``; ``leg_km`` is the road distance point → site (one way, ``matrix``),
    ``site_base_closed`` says the old site is closed in the variant, ``delta_t_km_per_day`` =
    t/day × (new leg − old leg)."""
    points = {p.id: p for p in scenario.points}
    rows = []
    for (pid, stream), new in plan.assignments.items():
        old = base.assignments.get((pid, stream), "")
        if old == new:
            continue
        t = plan.demand_t_per_day.get((pid, stream), 0.0)
        leg_old = _leg_km(matrix, pid, old)
        leg_new = _leg_km(matrix, pid, new)
        p = points.get(pid)
        rows.append(
            {
                "variant": variant,
                "point_id": pid,
                "point_name": p.name if p else "",
                "district": p.district if p else "",
                "stream": stream,
                "t_per_day": t,
                "site_base": old,
                "site_variant": new,
                "site_base_closed": base.site_kind.get(old) == "station"
                and old not in plan.open_stations,
                "leg_km_base": leg_old,
                "leg_km_variant": leg_new,
                "delta_leg_km": leg_new - leg_old,
                "delta_t_km_per_day": t * (leg_new - leg_old),
            }
        )
    return pd.DataFrame(rows, columns=MOVE_COLUMNS)


def _leg_km(matrix: TravelMatrix, point: str, site: str) -> float:
    """Road km point → site, NaN when the site is unknown to the matrix."""
    try:
        return float(matrix.distance_m[matrix.index(point), matrix.index(site)]) / 1000.0
    except (KeyError, ValueError, IndexError):
        return math.nan


POLICY_COLUMNS = [
    "variant",
    "evaluated",
    "run_plan",
    "cny_per_year_without",
    "cny_per_year_with",
    "policy_cost_cny_per_year",
    "closed_by_policy",
    "opened_instead",
    "status_without",
    "status_with",
    "note",
]
"""Columns of ``explain/policy_cost.csv``: ``run_plan`` names the side (``with`` or
``without`` the policy) that is the run's own facility plan, reused (blank: planned in another
mode, so both sides are planned); ``note`` says why a cost is missing (NaN) or only the best
plan found."""

_SKIPPED = "not evaluated: the run's time budget was spent"


def policy_table(
    scenarios: Mapping[str, Scenario],
    plans: Mapping[str, FacilityPlan],
    matrices: Mapping[str, TravelMatrix],
    settings: FacilitySettings,
    *,
    deadline: Deadline | None = None,
) -> pd.DataFrame:
    """What the standard policy costs each variant of ``plans`` (its run's facility plan, made
    with :func:`~wasteopt.pipeline.facility_settings` of ``settings``), one row per variant,
    columns :data:`POLICY_COLUMNS`. Each variant gets an equal share of what is left of
    ``deadline`` (at least ``MIN_SOLVE_S``); once it has run out, the rest are not evaluated."""
    rows: list[dict[str, object]] = []
    twins = plan_twins({v: scenarios[v] for v in plans})  # a twin's policy cost is its twin's
    by_variant: dict[str, dict[str, object]] = {}
    left = len(plans) - len(twins)
    for v, plan in plans.items():
        if v in twins:
            rows.append({**by_variant[twins[v]], "variant": v})
            continue
        chosen = facility_settings(scenarios[v], settings)
        planning = resolve_planning(chosen, scenarios[v].planning)
        side = "with" if planning.require_standard else "without"
        if plan.mode != planning.mode:  # not planned with these settings: plan both sides
            side = ""
        if deadline is not None and deadline.expired():
            rows.append(_policy_row(v, plan, side, note=_SKIPPED))
        elif side and not plan.has_plan:
            rows.append(
                _policy_row(v, plan, side, note=f"not evaluated: the run's plan is {_status(plan)}")
            )
        else:
            pc = _policy_cost(
                scenarios[v],
                matrices[v],
                chosen,
                part_of(deadline, 1.0 / max(left, 1)),
                plan if side else None,
            )
            rows.append(
                _policy_row(v, plan, side, note=pc)
                if isinstance(pc, str)
                else _policy_cost_row(v, side, pc)
            )
        left -= 1
        by_variant[v] = rows[-1]
    return pd.DataFrame(rows, columns=POLICY_COLUMNS)


def _policy_cost(
    scenario: Scenario,
    matrix: TravelMatrix,
    settings: FacilitySettings,
    deadline: Deadline | None,
    planned: FacilityPlan | None,
) -> PolicyCost | str:
    """:func:`~wasteopt.facilities.policy_cost` reusing ``planned``, or why it has none."""
    try:
        return policy_cost(
            scenario,
            expected_rates_kg_per_day(scenario),
            matrix,
            settings,
            deadline=deadline,
            planned=planned,
        )
    except InputError as e:  # the policy must close a station the variant forces open
        return "not evaluated: " + "; ".join(str(p) for p in e.problems)


def _status(plan: FacilityPlan) -> str:
    """A plan's status, with its first message when it has no plan."""
    first = f": {plan.messages[0]}" if plan.messages and not plan.has_plan else ""
    return f"{plan.status}{first}"


def _policy_cost_row(variant: str, side: str, pc: PolicyCost) -> dict[str, object]:
    """The row of one evaluated variant; ``note`` names each plan that is not optimal."""
    sides = {"without": pc.without_policy, "with": pc.with_policy}
    return {
        "variant": variant,
        "evaluated": True,
        "run_plan": side,
        **{f"cny_per_year_{s}": _cost(p) for s, p in sides.items()},
        "policy_cost_cny_per_year": pc.delta_cny_per_year,
        "closed_by_policy": " ".join(pc.closed_by_policy),
        "opened_instead": " ".join(pc.opened_by_policy),
        **{f"status_{s}": p.status for s, p in sides.items()},
        "note": "; ".join(
            f"the plan {s} the policy is {_status(p)}"
            for s, p in sides.items()
            if p.status != "optimal"
        ),
    }


def _cost(plan: FacilityPlan) -> float:
    return plan.objective if plan.has_plan else math.nan


def _policy_row(variant: str, plan: FacilityPlan, side: str, *, note: str) -> dict[str, object]:
    """A row without a policy cost: the run's plan on its side (when reused) and why."""
    row: dict[str, object] = dict.fromkeys(POLICY_COLUMNS, "")
    row.update(variant=variant, evaluated=False, run_plan=side, note=note)
    row.update(cny_per_year_without=math.nan, cny_per_year_with=math.nan)
    row["policy_cost_cny_per_year"] = math.nan
    if side:
        row[f"cny_per_year_{side}"] = _cost(plan)
        row[f"status_{side}"] = plan.status
    return row


def policy_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per row of :func:`policy_table`: what the policy costs the variant and
    which stations it closes and opens, or why that is not known."""
    out = []
    for r in table.to_dict("records"):
        cost, note = float(r["policy_cost_cny_per_year"]), _text(r["note"])
        if not r["evaluated"] or math.isnan(cost):
            out.append(f"{r['variant']}: policy cost unknown — {note or 'no plan'}.")
            continue
        closes, opens = _text(r["closed_by_policy"]), _text(r["opened_instead"])
        if cost == 0 and not closes:
            text = "costs nothing: every station the plan keeps open already complies"
        else:
            text = (
                f"{'costs' if cost >= 0 else 'saves'} {abs(cost):,.0f} CNY/yr; it closes "
                f"{', '.join(closes.split()) or 'no station'} "
                f"(opened instead: {', '.join(opens.split()) or 'none'})"
            )
        out.append(f"{r['variant']}: the standard policy {text}" + (f" ({note})." if note else "."))
    return out


def _text(value: object) -> str:
    """A text cell, "" for a blank one (NaN when the table was read back from a CSV)."""
    return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """The "why" tables of a run: ``waterfall`` (:func:`cost_waterfall`), ``deltas``
    (:func:`cost_deltas`), ``utilisation`` (:func:`station_utilisation`) and ``moves``
    (:func:`catchment_moves`) of every variant against the base, and the ``sensitivity``
    table (:func:`wasteopt.pipeline.sensitivity.sensitivity`; empty with the base alone);
    ``policy``: what the standard policy costs each variant (:func:`policy_table`; empty
    unless the caller adds it, as :func:`wasteopt.pipeline.run_all` does)."""

    waterfall: pd.DataFrame
    deltas: pd.DataFrame
    utilisation: pd.DataFrame
    moves: pd.DataFrame
    sensitivity: pd.DataFrame
    policy: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=POLICY_COLUMNS))


def explain(
    scenarios: Mapping[str, Scenario],
    plans: Mapping[str, FacilityPlan],
    matrices: Mapping[str, TravelMatrix],
    settings: FacilitySettings,
    *,
    spread: float = SPREAD,
    deadline: Deadline | None = None,
) -> Explanation:
    """Every "why" table of the variants in ``plans`` (the base under ``"base"``) against
    the base; the sensitivity re-plans with ``settings`` within ``deadline``."""
    waterfall = cost_waterfall(plans)
    base = plans.get(BASE)
    util, moves = [], []
    for v, plan in plans.items():
        if v == BASE or base is None or not (base.has_plan and plan.has_plan):
            continue
        util.append(station_utilisation(base, plan, v))
        moves.append(catchment_moves(scenarios[v], base, plan, matrices[v], v))
    planned = [v for v, p in plans.items() if p.has_plan]
    if base is not None and base.has_plan and len(planned) > 1:
        table = sensitivity(
            {v: scenarios[v] for v in planned},
            {v: matrices[v] for v in planned},
            settings,
            nominal={v: plans[v].objective for v in planned},
            spread=spread,
            deadline=deadline,
        )
    else:
        table = pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    return Explanation(
        waterfall=waterfall,
        deltas=cost_deltas(waterfall),
        utilisation=_concat(util, UTILISATION_COLUMNS),
        moves=_concat(moves, MOVE_COLUMNS),
        sensitivity=table,
    )


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


EXPLAIN_FILES = {
    "waterfall": "cost_waterfall.csv",
    "deltas": "cost_deltas.csv",
    "utilisation": "station_utilisation.csv",
    "moves": "catchment_moves.csv",
    "sensitivity": "sensitivity.csv",
    "policy": "policy_cost.csv",
}
"""File name of each table under ``explain/`` in the output folder."""


def write_explanation(expl: Explanation, out: OutputFolder) -> dict[str, Figure]:
    """Write the tables to ``explain/`` and the plots (PNG + SVG) to ``plots/``:
    ``waterfall_<variant>`` for every variant, ``tornado_<variant>`` for every variant but
    the base; returns the figures by title."""
    for attr, name in EXPLAIN_FILES.items():
        write_frame(out.path(f"explain/{name}"), getattr(expl, attr), bom=True)
    figures: dict[str, Figure] = {}
    for v in dict.fromkeys(expl.waterfall["variant"]):
        fig = plot_cost_waterfall(expl.waterfall, str(v))
        save_figure(fig, out.path(f"plots/waterfall_{v}"))
        figures[f"cost waterfall: {v}"] = fig
    evaluated = expl.sensitivity[expl.sensitivity["evaluated"].astype(bool)]
    for v in dict.fromkeys(evaluated["variant"]):
        fig = plot_tornado(expl.sensitivity, str(v))
        save_figure(fig, out.path(f"plots/tornado_{v}"))
        figures[f"sensitivity: {v} vs base"] = fig
    return figures


def flip_summary(table: pd.DataFrame) -> str:
    """One sentence: which inputs flip the ranking of the variants at ±spread."""
    if table.empty:
        return "Sensitivity: needs the base and at least one planned variant."
    done = table[table["evaluated"].astype(bool)]
    skipped = sorted(set(table["input"]) - set(done["input"]))
    flips = list(dict.fromkeys(done[done["flips_ranking"].astype(bool)]["label"]))
    spread = float(table["factor_high"].iloc[0]) - 1.0
    text = f"Sensitivity (each input ±{spread:.0%}, facility plans re-solved): " + (
        f"the ranking flips with {', '.join(flips)}." if flips else "no input flips the ranking."
    )
    if skipped:
        text += f" Not evaluated (time budget): {', '.join(skipped)}."
    return text
