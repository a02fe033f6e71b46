"""The main job, stage by stage: scenario → demand → facility plan → routes → simulation → report.

Each stage is a plain function of the previous stages' results. :func:`run_variant` runs every
stage for one scenario variant and returns a :class:`VariantRun`; :func:`write_variant` writes it;
:func:`run_all` does both for the base scenario and each variant and adds the comparison, the
HTML report and the manifest. Output folder::

    manifest.json            scenario hash, seeds, options, package versions, timings per stage
    kpi.csv / kpi.parquet    one row per variant: cost per tonne, truck-km, CO2, utilisation, waits
    routes_kpi.csv           one row per (variant, stream) of the routed day
    report.html              self-contained report (tables and plots inline)
    <variant>/demand_t_per_day.csv
    <variant>/facilities/    assignments, utilisation, flows, costs of the facility plan
    <variant>/routes/        plan_<stream>.json (routes + the checker's verdict),
                             schedule_<stream>.csv, routes_summary.csv
    <variant>/routes/sheets/ route sheets per stream: CSV (UTF-8 BOM), XLSX, PDF, GeoJSON
    <variant>/simulation/    sim_daily, sim_facilities, sim_balance, ... (CSV)
    <variant>/plots/         routes map, utilisation, daily KPIs, queue waits (PNG + SVG)
    plots/catchments_<variant>.png|svg   station catchments, base vs variant

The facility plan is solved in ``status_quo`` mode: every existing station stays open and no
candidate is built unless the variant forces it, so each variant is evaluated as specified.
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

- :func:`run_all`: each variant still to run gets an equal share of what is left;
- one variant (:func:`plan_operations`, then the simulation and the files): the facility plan
  may use ``FACILITY_SHARE`` of what is left (and at most the facility settings' limit), the
  routes of every cycle day ``ROUTING_SHARE`` of what is left after it (shared among the
  solves by stops, see :mod:`wasteopt.operations`); the rest is kept for the simulation, the
  route sheets, plots and report, which run to completion;
- :func:`route_day` (``route``): each stream's solve gets the share of what is left that its
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

from wasteopt.pipeline.routes import route_day, routes_summary, write_plan_files
from wasteopt.pipeline.run import RunSummary, run_all, write_variant
from wasteopt.pipeline.variant import (
    FACILITY_SHARE,
    ROUTING_SHARE,
    STATUS_QUO,
    Horizon,
    Operations,
    VariantRun,
    plan_operations,
    replication_kpis,
    representative_day,
    run_variant,
    variant_kpis,
)

__all__ = [
    "FACILITY_SHARE",
    "ROUTING_SHARE",
    "STATUS_QUO",
    "Horizon",
    "Operations",
    "RunSummary",
    "VariantRun",
    "plan_operations",
    "replication_kpis",
    "representative_day",
    "route_day",
    "routes_summary",
    "run_all",
    "run_variant",
    "variant_kpis",
    "write_plan_files",
    "write_variant",
]
