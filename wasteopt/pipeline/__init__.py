"""The main job, stage by stage: scenario → demand → facility plan → routes → simulation → report.

Each stage is a plain function of the previous stages' results. :func:`run_variant` runs every
stage for one scenario variant and returns a :class:`VariantRun`; :func:`write_variant` writes it;
:func:`run_all` does both for the base scenario and each variant and adds the comparison, the
HTML report and the manifest. Output folder::

    manifest.json            scenario hash, seeds, options, package versions, timings per stage
    kpi.csv / kpi.parquet    one row per variant: every KPI of the registry
                             (:mod:`wasteopt.reporting.kpis`: cost per tonne by stage, km,
                             CO2, utilisation, waits, service, plan_verdict: clean in the plan
                             and robust in the simulated days)
    routes_kpi.csv           one row per (variant, stream) of the routed day
    report.html              self-contained report: the decision page first
                             (:mod:`.report_tables`), then tables and plots inline
    <variant>/demand_t_per_day.csv
    <variant>/facilities/    assignments, utilisation, flows, costs of the facility plan
    <variant>/routes/        plan_<stream>.json (routes + the checker's verdict),
                             schedule_<stream>.csv, routes_summary.csv; route_book.pdf
                             and .xlsx: every vehicle, every day of each stream's cycle
                             (:mod:`wasteopt.reporting.route_book`)
    <variant>/routes/sheets/ route sheets per stream: CSV (UTF-8 BOM), XLSX, PDF, GeoJSON
    <variant>/simulation/    sim_daily, sim_facilities, sim_balance, sim_points_left, ...
                             (CSV) and service.csv (collected share per stream, findings);
                             sim_robustness.csv (extra unload trips, trips over max_trips,
                             overtime per stream); with residues.csv sim_residues,
                             sim_residue_totals, sim_residue_balance, sim_residue_lines
                             (slag, fly ash, leachate beyond the gate); the ledger 收运台账
                             (ledger_trips, ledger_daily, ledger_monthly CSV and ledger.xlsx)
    <variant>/plots/         routes map, utilisation, daily KPIs, queue waits (PNG + SVG)
    plots/catchments_<variant>.png|svg   station catchments, base vs variant
    explain/                 why each variant costs what it does (:mod:`.explain`):
                             cost_waterfall.csv, cost_deltas.csv (variant − base per step),
                             station_utilisation.csv (base → variant), catchment_moves.csv,
                             sensitivity.csv (±20 % per input, ranking flips),
                             policy_cost.csv (what the standard policy costs each variant)
    plots/waterfall_<variant>.png|svg, plots/tornado_<variant>.png|svg

One default facility plan mode for ``plan``, ``route``, ``simulate`` and ``run``: the
scenario's ``[planning] mode`` (``status_quo`` unless it says otherwise: every existing station
stays open and no candidate is built unless the variant forces it, so each variant is evaluated
as specified), or ``--mode``. ``free`` mode is labelled in every output as a cost-only lower
bound (:data:`FREE_MODE_NOTE`). The facility plan's assignment is the catchment every later
stage uses: ``route`` plans facilities first, the cycle-day routes and the simulation unload
each (point, stream) exactly where the plan says (:func:`plan_catchments`).
The routed day is the day whose total generation is closest to the horizon's mean (ties: the
earliest); the simulation runs over the whole generated horizon.

Settings are passed whole: a :class:`Horizon` (days, routed day, seed of demand and simulation),
:class:`~wasteopt.routing.settings.RoutingSettings`,
:class:`~wasteopt.facilities.settings.FacilitySettings` and
:class:`~wasteopt.simulation.settings.SimulationSettings`.

Time budget
-----------
A command's ``--time-limit`` is one :class:`~wasteopt.clock.Deadline` for the whole command,
passed down and shared out; a stage that finishes early leaves its time to the later ones:

- :func:`run_all`: each variant still to plan gets an equal share of what is left (a variant
  that plans like an earlier one, :mod:`wasteopt.pipeline.twins`, reuses its plans and takes
  no share; its policy cost and re-plans are its twin's), the
  standard policy's cost counting as ``POLICY_SHARES`` (0.5) more shares and the sensitivity
  re-plans (when there are variants) as ``SENSITIVITY_SHARES`` (2); they run after the
  variants: the policy's cost first, with its part of what is left (an equal share per
  variant, the run's own facility plan reused as one of its two plans; variants reached once
  it is spent are marked not evaluated), then the sensitivity with what is left, an equal
  share per re-plan, and inputs not reached are marked not evaluated;
- one variant (:func:`plan_operations`, then the simulation and the files): the facility plan
  may use ``FACILITY_SHARE`` of what is left (and at most the facility settings' limit), the
  routes of every cycle day ``ROUTING_SHARE`` of what is left after it (shared among the
  solves by stops, see :mod:`wasteopt.operations`); the rest is kept for the simulation, the
  route sheets, plots and report, which run to completion;
- :func:`route_planned_day` (``route``): the facility plan may use ``FACILITY_SHARE`` of the
  budget, then (:func:`route_day`) each stream's solve gets the share of what is left that its
  stops are of the stops not yet routed;
- ``simulate``: :func:`plan_operations` as above with the whole budget; the simulated days
  then run to completion;
- ``plan``: each facility plan still to solve gets an equal share
  (:func:`wasteopt.facilities.plan_variants`);
- ``compare``: each run of the sweep (:func:`replication_kpis`) gets ``T × workers / runs``
  as its own budget, fixed when the command starts so that a rerun makes the same tasks and
  reuses the stored runs.

Every share is at least ``MIN_SOLVE_S`` (1 s), even once the budget is spent: a solver needs a
minimum to answer, so a very small ``--time-limit`` may be overrun by about a second per solve.

Without a deadline each stage uses its settings' own limits (``FacilitySettings.time_limit_s``
per facility plan, ``RoutingSettings.time_limit_s`` per solve in :func:`route_day` and for all
the cycle-day solves of one :func:`plan_operations`).
"""

from wasteopt.pipeline.day import RoutedDay, route_planned_day
from wasteopt.pipeline.explain import Explanation, explain, write_explanation
from wasteopt.pipeline.routes import route_day, routes_summary, write_plan_files
from wasteopt.pipeline.run import RunSummary, run_all, write_variant
from wasteopt.pipeline.sensitivity import SENSITIVITY_INPUTS, sensitivity
from wasteopt.pipeline.variant import (
    FACILITY_SHARE,
    FREE_MODE_NOTE,
    ROUTING_SHARE,
    STATUS_QUO,
    Horizon,
    Operations,
    VariantRun,
    facility_settings,
    mode_label,
    plan_catchments,
    plan_operations,
    replication_kpis,
    representative_day,
    run_variant,
    variant_kpis,
)

__all__ = [
    "FACILITY_SHARE",
    "FREE_MODE_NOTE",
    "ROUTING_SHARE",
    "SENSITIVITY_INPUTS",
    "STATUS_QUO",
    "Explanation",
    "Horizon",
    "Operations",
    "RoutedDay",
    "RunSummary",
    "VariantRun",
    "explain",
    "facility_settings",
    "mode_label",
    "plan_catchments",
    "plan_operations",
    "replication_kpis",
    "representative_day",
    "route_day",
    "route_planned_day",
    "routes_summary",
    "run_all",
    "run_variant",
    "sensitivity",
    "variant_kpis",
    "write_explanation",
    "write_plan_files",
    "write_variant",
]
