"""The main job: every variant run and written, then the comparison tables, the catchment plots,
the HTML report and the manifest, in one output folder (see :mod:`wasteopt.pipeline`)."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import platform
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from wasteopt.clock import Deadline
from wasteopt.coordinates import Crs
from wasteopt.facilities import FacilityPlan, write_plan
from wasteopt.facilities.settings import FacilitySettings, PlanMode
from wasteopt.files import OutputFolder, content_hash, write_frame, write_json
from wasteopt.network import build_matrix
from wasteopt.pipeline.explain import (
    Explanation,
    explain,
    flip_summary,
    policy_sentences,
    policy_table,
    write_explanation,
)
from wasteopt.pipeline.report_tables import POLICY_TITLE, report_lead, report_tables
from wasteopt.pipeline.routes import DEFAULT_ROUTING, routes_summary, write_plan_files
from wasteopt.pipeline.twins import plan_twins
from wasteopt.pipeline.variant import (
    DEFAULT_HORIZON,
    FREE_MODE_NOTE,
    Echo,
    Horizon,
    VariantRun,
    facility_settings,
    no_echo,
    part_of,
    run_variant,
    variant_kpis,
)
from wasteopt.reporting.html import write_html_report
from wasteopt.reporting.ledger import write_ledger_xlsx
from wasteopt.reporting.plots import (
    plot_catchments,
    plot_daily_kpis,
    plot_queue_waits,
    plot_routes,
    plot_utilisation,
    save_figure,
)
from wasteopt.reporting.route_book import write_route_book
from wasteopt.reporting.sheets import route_sheet_frame
from wasteopt.reporting.tables import TableView
from wasteopt.reporting.target_section import (
    TARGETS_TITLE,
    TargetReport,
    target_report,
    write_target_report,
)
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import apply_variant, load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.simulation import (
    MAX_OVERFLOW_SHARE,
    MIN_COLLECTED_SHARE,
    ServiceFinding,
    SimulationSettings,
    plan_verdict,
)

__all__ = ["POLICY_SHARES", "SENSITIVITY_SHARES", "RunSummary", "run_all", "write_variant"]

SENSITIVITY_SHARES = 2
"""How many variants' worth of the run's budget the sensitivity re-plans get."""
POLICY_SHARES = 0.5
"""How many variants' worth of the run's budget the standard policy's cost gets: one facility
plan per variant (the run's own is the other), 2–6 s each on Jintan."""


def write_variant(run: VariantRun, out: OutputFolder, crs: Crs = "wgs84") -> dict[str, Figure]:
    """Write one variant's tables, plans, route sheets and route book, simulation and plots;
    return figures. GeoJSON layers, maps and the book's coordinates are in ``crs``."""
    v = run.variant
    write_frame(out.path(f"{v}/demand_t_per_day.csv"), run.demand.totals_t_per_day().reset_index())
    if run.facility_plan.has_plan:
        write_plan(run.facility_plan, out.path(f"{v}/facilities/x").parent)
    sheets = []
    twin_routes = out.path(f"{run.plans_as}/routes/x").parent if run.plans_as else None
    for stream in run.operating.plans:
        problem, plan = run.operating.problems[stream], run.operating.plans[stream]
        if twin_routes is None:
            write_plan_files(out, f"{v}/routes/", run.scenario, problem, plan, crs=crs)
        if plan.routes:
            sheets.append(route_sheet_frame(plan, problem, run.scenario))
    if twin_routes is not None:  # the same plans: copy their files rather than redraw them
        shutil.copytree(twin_routes, out.path(f"{v}/routes/x").parent, dirs_exist_ok=True)
        out.path(f"{v}/routes/plans_as.txt").write_text(
            f"The route files here are those of variant {run.plans_as}: {v} differs from it "
            "only in plant outages or residue flows, so it plans alike and reuses its plans "
            "(wasteopt.pipeline.twins).\n",
            encoding="utf-8",
        )
    else:
        write_frame(out.path(f"{v}/routes/routes_summary.csv"), routes_summary(run.plans), bom=True)
        # Every vehicle, every day of each stream's cycle (the sheets above: the routed day).
        write_route_book(run.scenario, run.operating, out.path(f"{v}/routes/x").parent, crs=crs)
    run.simulation.write(out.path(f"{v}/simulation/x").parent, events=False)
    write_ledger_xlsx(
        run.simulation, out.path(f"{v}/simulation/ledger.xlsx"), scenario=run.scenario
    )

    figures = _variant_figures(run, sheets, crs)
    for title, fig in figures.items():
        stem = title.split(": ", 1)[1].split(" on ")[0].replace(" ", "_")
        save_figure(fig, out.path(f"{v}/plots/{stem}"))
    return figures


def _variant_figures(
    run: VariantRun, sheets: list[pd.DataFrame], crs: Crs = "wgs84"
) -> dict[str, Figure]:
    """Routes of the routed day, facility utilisation, daily KPIs and queue waits."""
    v = run.variant
    figures: dict[str, Figure] = {}
    name = run.scenario.name
    if sheets:
        figures[f"{v}: routes on day {run.routed_day}"] = plot_routes(
            run.scenario, pd.concat(sheets, ignore_index=True), title=f"{name} — {v}", crs=crs
        )
    if run.facility_plan.has_plan:
        figures[f"{v}: utilisation"] = plot_utilisation(
            run.facility_plan,
            run.scenario,
            title=f"{v}: 规划负荷率 planned utilisation (expected t/day ÷ capacity left)",
        )
    daily = (
        run.simulation.daily.groupby("date", sort=True)[
            ["collected_t", "uncollected_t", "km", "overtime_h", "cost_cny"]
        ]
        .sum()
        .reset_index()
    )
    figures[f"{v}: daily KPIs"] = plot_daily_kpis(daily, title=f"{v}: simulated days")
    tips = run.simulation.tips
    if len(tips):
        waits = pd.DataFrame({"facility": tips["site"], "wait_min": tips["wait_s"] / 60.0})
        figures[f"{v}: queue waits"] = plot_queue_waits(
            waits, run.scenario, title=f"{v}: waits for a tipping bay"
        )
    return figures


# --------------------------------------------------------------------------------------------
# the main job


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """What :func:`run_all` did: ``ok`` when every plan passed its check and every mass
    balance closed; ``service_shortfalls``: the streams of any variant whose simulation
    collected less than :data:`MIN_COLLECTED_SHARE` of the waste due (``service_ok`` when
    none); ``refused_by_policy``: what the 不分类不收运 rule leaves behind, one line per variant
    that refuses points (a policy choice, not a shortfall)."""

    out_dir: str
    ok: bool
    kpi: pd.DataFrame
    timings_s: dict[str, float] = field(default_factory=dict)
    service_shortfalls: tuple[ServiceFinding, ...] = ()
    refused_by_policy: tuple[str, ...] = ()

    @property
    def service_ok(self) -> bool:
        return not self.service_shortfalls


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in (
        "wasteopt",
        "numpy",
        "pandas",
        "pyvrp",
        "ortools",
        "pyomo",
        "highspy",
        "simpy",
        "matplotlib",
        "dask",
    ):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def run_all(
    scenario_folder: str | Path,
    *,
    out_dir: str | Path,
    variants: Sequence[str] | None = None,
    horizon: Horizon = DEFAULT_HORIZON,
    routing: RoutingSettings = DEFAULT_ROUTING,
    facilities: FacilitySettings | None = None,
    mode: PlanMode | None = None,
    simulation: SimulationSettings | None = None,
    deadline: Deadline | None = None,
    echo: Echo = no_echo,
    progress: bool = False,
    crs: Crs = "wgs84",
) -> RunSummary:
    """Run every stage for the base scenario and each variant (default: all the scenario's
    variants), explain each variant against the base; write one output folder (see the module
    docstring). The facility plan mode is ``mode``, else that of ``facilities``, else the
    scenario's ``planning.mode``. Each variant still to run gets an equal share of what is
    left of ``deadline``, the standard policy's cost counting as ``POLICY_SHARES`` and the
    sensitivity as ``SENSITIVITY_SHARES`` more shares. GeoJSON layers and maps are written in
    the coordinate system ``crs`` (:mod:`wasteopt.coordinates`)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    scenario_sha256, scenarios = _load(scenario_folder, variants)
    base = scenarios["base"]
    timings["load"] = time.perf_counter() - t0
    echo(
        f"scenario {base.id} ({base.name}): {len(base.points)} points; "
        f"variants: {', '.join(scenarios)}"
    )

    settings = facility_settings(base, facilities, mode=mode)
    with OutputFolder(out_dir) as out:
        figures: dict[str, Figure] = {}
        runs = [
            _run_and_write(run, seconds, out, figures, timings, crs)
            for run, seconds in _variant_runs(
                scenarios, horizon, routing, settings, simulation, deadline, echo, progress
            )
        ]
        kpi, routes_kpi = _write_kpi_tables(runs, out)
        targets = target_report(runs)
        write_target_report(targets, out.path)
        figures.update(_catchment_figures(runs, out, crs))
        t = time.perf_counter()
        why = _explain(runs, settings, deadline, timings)
        figures.update(write_explanation(why, out))
        timings["explain"] = time.perf_counter() - t
        for sentence in (flip_summary(why.sensitivity), *policy_sentences(why.policy)):
            echo(sentence)
        ok = all(r.ok for r in runs)
        for r in runs:  # clean = clean in the plan and robust in the simulated days
            echo(f"[{r.variant}] plans: {plan_verdict(r.plans_clean, r.simulation.robust)}")
        short = tuple(f for r in runs for f in r.simulation.service_shortfalls())
        timings["total"] = time.perf_counter() - t0
        mode_used = settings.mode or base.planning.mode
        report = _Report(
            kpi=kpi,
            routes_kpi=routes_kpi,
            service=_service_table(runs),
            why=why,
            mode=mode_used,
            ok=ok,
            targets=targets,
            lead=report_lead(runs, kpi, why, horizon.seed),
        )
        _write_report(out, base, report, figures, horizon, routing, deadline)
        manifest = _manifest(
            (scenario_folder, scenario_sha256),
            base,
            list(scenarios),
            horizon,
            routing,
            deadline,
            timings,
            ok,
        )
        manifest.update(min_collected_share=MIN_COLLECTED_SHARE, service_level_met=not short)
        manifest.update(refused_by_policy_t_per_day=targets.refused_t_per_day)
        write_json(out.path("manifest.json"), manifest)
    echo(f"wrote {out_dir} in {timings['total']:.1f} s")
    return RunSummary(
        out_dir=str(out_dir),
        ok=ok,
        kpi=kpi,
        timings_s=timings,
        service_shortfalls=short,
        refused_by_policy=targets.refused_lines,
    )


def _variant_runs(
    scenarios: dict[str, Scenario],
    horizon: Horizon,
    routing: RoutingSettings,
    settings: FacilitySettings,
    simulation: SimulationSettings | None,
    deadline: Deadline | None,
    echo: Echo,
    progress: bool,
) -> Iterator[tuple[VariantRun, float]]:
    """Every stage of each variant in turn, with its wall seconds; each variant that plans
    gets an equal share of what is left of ``deadline`` (the policy cost and the sensitivity
    re-plans that follow count as :func:`_later_shares`); a variant that plans like an earlier
    one (:func:`~wasteopt.pipeline.twins.plan_twins`) reuses its plans and is only simulated."""
    twins = plan_twins(scenarios)
    shares = len(scenarios) - len(twins) + sum(_later_shares(len(scenarios)))
    base = scenarios["base"]
    base_matrix = build_matrix(base)
    planned: dict[str, VariantRun] = {}
    k = 0
    for v, scenario in scenarios.items():
        # Variants rarely move a site; reuse the base matrix when the sites are the same.
        same_sites = scenario.sites() == base.sites() and scenario.network == base.network
        t = time.perf_counter()
        run = run_variant(
            scenario,
            horizon,
            routing=routing,
            facilities=settings,
            simulation=simulation,
            deadline=part_of(deadline, 1.0 / (shares - k)),
            matrix=base_matrix if same_sites else None,
            echo=echo,
            progress=progress,
            operations=planned[twins[v]].operations if v in twins else None,
        )
        if v not in twins:
            planned[v] = run
            k += 1
        yield run, time.perf_counter() - t


def _run_and_write(
    run: VariantRun,
    seconds: float,
    out: OutputFolder,
    figures: dict[str, Figure],
    timings: dict[str, float],
    crs: Crs = "wgs84",
) -> VariantRun:
    """Write one finished variant (``seconds`` to run it) and record its timings."""
    t = time.perf_counter()
    figures.update(write_variant(run, out, crs))
    timings.update({f"{run.variant}/{k}": round(s, 3) for k, s in run.timings_s.items()})
    timings[f"{run.variant}/total"] = seconds + time.perf_counter() - t
    return run


def _load(
    scenario_folder: str | Path, variants: Sequence[str] | None
) -> tuple[str, dict[str, Scenario]]:
    """The folder's content hash and the base scenario plus each variant (default: all).

    The hash is taken when the folder is read, so the manifest describes what the run used
    even if the folder is edited meanwhile; an unknown variant fails here, before any work.
    """
    sha256 = content_hash(scenario_folder)
    base = load_scenario(scenario_folder)  # validates every variant too
    names = [v.id for v in base.variants] if variants is None else list(variants)
    scenarios = {"base": base}
    for v in names:
        if v != "base":
            scenarios[v] = apply_variant(base, v)
    return sha256, scenarios


def _service_table(runs: Sequence[VariantRun]) -> pd.DataFrame:
    """The service level of every variant and stream (the rows of each ``service.csv``)."""
    cols = ["variant", "stream", "collected_share", "below_level", "due_t", "left_t"]
    cols += ["days_with_waste_left", "points_left", "places", "overflows", "cost_cny"]
    frames = [r.simulation.service_frame() for r in runs]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def _write_kpi_tables(
    runs: Sequence[VariantRun], out: OutputFolder
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``kpi.csv``/``kpi.parquet`` (one row per variant) and ``routes_kpi.csv``."""
    kpi = pd.DataFrame([variant_kpis(r) for r in runs])
    write_frame(out.path("kpi.csv"), kpi, bom=True)
    write_frame(out.path("kpi.parquet"), kpi)
    routes_kpi = pd.concat(
        [routes_summary(r.plans).assign(variant=r.variant, day=r.routed_day) for r in runs],
        ignore_index=True,
    )
    front = ["variant", "day", "stream"]
    routes_kpi = routes_kpi[front + [c for c in routes_kpi.columns if c not in front]]
    write_frame(out.path("routes_kpi.csv"), routes_kpi, bom=True)
    return kpi, routes_kpi


def _later_shares(n_scenarios: int) -> tuple[float, float]:
    """The shares of the run's budget that follow the variants: (policy cost, sensitivity)."""
    # The sensitivity re-plans (6 inputs × 2 directions × every variant, facility plans only)
    # take two shares of the budget: with one, Jintan's 36 re-plans found the budget spent.
    return POLICY_SHARES, (SENSITIVITY_SHARES if n_scenarios > 1 else 0)


def _explain(
    runs: Sequence[VariantRun],
    settings: FacilitySettings,
    deadline: Deadline | None,
    timings: dict[str, float],
) -> Explanation:
    """The "why" tables of every run against the base run (:mod:`wasteopt.pipeline.explain`):
    first the standard policy's cost (its share of what is left of ``deadline``, nothing
    once the budget is spent), then the sensitivity re-plans with what is left."""
    scenarios = {r.variant: r.scenario for r in runs}
    plans = {r.variant: r.facility_plan for r in runs}
    matrices = {r.variant: r.matrix or build_matrix(r.scenario) for r in runs}
    policy_part, sensitivity_part = _later_shares(len(runs))
    t = time.perf_counter()
    policy = policy_table(
        scenarios,
        plans,
        matrices,
        settings,
        deadline=None
        if deadline is None
        else deadline.sub(deadline.share(policy_part / (policy_part + sensitivity_part))),
    )
    timings["policy_cost"] = time.perf_counter() - t
    why = explain(scenarios, plans, matrices, settings, deadline=deadline)
    return dataclasses.replace(why, policy=policy)


def _catchment_figures(
    runs: Sequence[VariantRun], out: OutputFolder, crs: Crs = "wgs84"
) -> dict[str, Figure]:
    """Catchments of each variant next to the base's, one figure per stream whose catchments
    or stations change, saved as ``plots/catchments_<variant>_<stream>``."""
    figures: dict[str, Figure] = {}
    base_plan = runs[0].facility_plan
    for r in runs[1:]:
        if not (base_plan.has_plan and r.facility_plan.has_plan):
            continue
        for stream in _changed_streams(base_plan, r.facility_plan, r.scenario):
            fig = plot_catchments(
                r.scenario, base_plan, r.facility_plan, stream=stream,
                titles=("base", r.variant), crs=crs,
            )  # fmt: skip
            save_figure(fig, out.path(f"plots/catchments_{r.variant}_{stream}"))
            figures[f"catchments: base vs {r.variant}, {stream}"] = fig
    return figures


def _changed_streams(base: FacilityPlan, plan: FacilityPlan, scenario: Scenario) -> list[str]:
    """The streams, in scenario order, where a point changes site or a station that takes
    the stream opens or closes (the others' maps would show two equal panels)."""
    changed = set(base.open_stations) ^ set(plan.open_stations)
    moved = {key[1] for key, site in plan.assignments.items() if base.assignments.get(key) != site}
    moved |= {key[1] for key in base.assignments if key not in plan.assignments}
    takes = {s for st in scenario.stations if st.id in changed for s in st.streams}
    return [s for s in scenario.stream_ids if s in moved | takes]


def _budget_text(routing: RoutingSettings, deadline: Deadline | None) -> str:
    if routing.iterations is not None:
        search = f"{routing.iterations} iterations per search"
    else:
        search = "searches stopped by the time budget"
    if deadline is None or deadline.seconds is None:
        return f"{routing.time_limit_s:g} s per routing solve, {search}"
    return f"time budget {deadline.seconds:g} s for the whole run, {search}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Report:
    """What the report shows besides the figures."""

    kpi: pd.DataFrame
    routes_kpi: pd.DataFrame
    service: pd.DataFrame
    why: Explanation
    mode: str
    ok: bool
    targets: TargetReport | None = None
    lead: str = ""


_POLICY_TITLE = POLICY_TITLE


def _write_report(
    out: OutputFolder,
    base: Scenario,
    report: _Report,
    figures: dict[str, Figure],
    horizon: Horizon,
    routing: RoutingSettings,
    deadline: Deadline | None,
) -> None:
    """``report.html``: the comparison, the "why" tables and routed-day tables, every figure,
    and notes."""
    why = report.why
    tables: dict[str, pd.DataFrame | TableView] = dict(
        report_tables(
            base, kpi=report.kpi, service=report.service, why=why, routes_kpi=report.routes_kpi
        )
    )
    table_notes = {_POLICY_TITLE: policy_sentences(why.policy)}
    if report.targets is not None and report.targets.shown:
        tables.update(report.targets.tables)
        table_notes[TARGETS_TITLE] = list(report.targets.notes)
    mode = f"Facility plan mode: {report.mode}"
    mode += f" — {FREE_MODE_NOTE}." if report.mode == "free" else " (the scenario as specified)."
    notes = [
        f"Scenario {base.id}: {base.name}. Horizon {horizon.days} days, seed {horizon.seed}, "
        f"engine {routing.engine}, {_budget_text(routing, deadline)}.",
        mode,
        flip_summary(why.sensitivity),
        "Every route plan was checked by the independent checker"
        + ("; all are clean." if report.ok else "; see routes_kpi.csv for violations.")
        + " Clean means clean in the plan and robust in the simulated days: "
        + "; ".join(
            f"{v}: {x}"
            for v, x in zip(report.kpi["variant"], report.kpi["plan_verdict"], strict=True)
        )
        + " (each variant's simulation/sim_robustness.csv).",
        _service_note(report.service),
    ]
    write_html_report(
        out.path("report.html"),
        title=f"wasteopt — {base.name}",
        kpi_tables=tables,
        figures=figures,
        notes=notes,
        table_notes=table_notes,
        lead=report.lead,
    )


def _service_note(service: pd.DataFrame) -> str:
    """One sentence: which streams fell below the service level, or that none did."""
    level = f"{MIN_COLLECTED_SHARE:.1%}"
    below = service[service["below_level"].astype(bool)]
    if below.empty:
        return (
            f"Service level: every stream of every variant collected at least {level} of the "
            "waste due (anything left or overflowed is listed in the service table)."
        )
    named = ", ".join(
        f"{r.variant}/{r.stream} {r.collected_share:.2%} ({r.left_t:,.2f} t left, "
        f"{r.cost_cny:,.0f} CNY{'; overflow ' + str(r.overflows) if r.overflows else ''})"
        for r in below.itertuples()
    )
    return (
        f"Service level NOT MET (at least {level} of the waste due collected, at most "
        f"{MAX_OVERFLOW_SHARE:.1%} of it overflowed): {named}; places in the service table."
    )


def _manifest(
    scenario: tuple[str | Path, str],
    base: Scenario,
    variants: list[str],
    horizon: Horizon,
    routing: RoutingSettings,
    deadline: Deadline | None,
    timings: dict[str, float],
    ok: bool,
) -> dict[str, Any]:
    """What ``manifest.json`` records: inputs (``scenario`` = folder and the content hash taken
    when it was read), options, versions, machine, timings, verdict."""
    folder, sha256 = scenario
    return {
        "scenario": str(folder),
        "scenario_id": base.id,
        "scenario_sha256": sha256,
        "variants": variants,
        "seed": horizon.seed,
        "days": horizon.days,
        "engine": routing.engine,
        "time_limit_s": None if deadline is None else deadline.seconds,
        "routing_time_limit_s": routing.time_limit_s,
        "iterations": routing.iterations,
        "workers": routing.workers,
        "versions": _versions(),
        "machine": {"platform": platform.platform(), "processor": platform.processor()},
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "all_plans_checker_clean_and_balanced": ok,
    }
