"""The ``compare`` command: variants over seeded replications, as a sweep with a result store.

Exit 1 (after writing the tables) names on stderr every run that failed and every run whose
simulation fell short of the service level (status ``shortfall`` or ``balance_error``) or whose
routes are not checker-clean."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from wasteopt.cli.common import default_scenario, fell_short, say
from wasteopt.clock import Deadline
from wasteopt.files import OutputFolder, write_frame
from wasteopt.replications import compare_results, format_comparison
from wasteopt.reporting.plots import plot_comparison, save_figure
from wasteopt.scenario import apply_variant, load_scenario
from wasteopt.sweep import SweepError, SweepTask, executor_for, run_sweep, variant_seed_tasks

__all__ = ["compare"]


COMPARED_KPIS = (
    "cost_cny_per_t",
    "ops_cost_cny_per_t",
    "truck_km_per_day",
    "co2_kg_per_day",
    "station_utilisation_peak_day",
    "wait_min_mean",
    "uncollected_t_end",
    "collected_share_min",
)


def _compare_tasks(
    args: argparse.Namespace, deadline: Deadline
) -> tuple[list[str], list[SweepTask]]:
    """base + the wanted variants (unknown ones: exit 2 before any work) and one task per
    variant and seed. Each run's budget is fixed from the command's budget at the start (not
    from the time left), so a rerun makes the same tasks and reuses the stored runs."""
    scenario = str(Path(args.scenario or default_scenario()).resolve())
    base = load_scenario(scenario)
    wanted = args.variants.split(",") if args.variants else [v.id for v in base.variants]
    variants = ["base", *[v for v in wanted if v and v != "base"]]
    for v in variants[1:]:
        apply_variant(base, v)
    runs = len(variants) * args.seeds
    budget = deadline.seconds if deadline.seconds is not None else args.time_limit
    per_run_s = round(budget * min(args.workers, runs) / runs, 3)
    tasks = variant_seed_tasks(
        "wasteopt.pipeline:replication_kpis",
        scenario,
        variants=variants,
        seeds=range(args.seeds),
        days=args.days,
        time_limit_s=per_run_s,
        iterations=args.iterations,
    )
    return variants, tasks


def compare(args: argparse.Namespace, deadline: Deadline) -> int:
    """Sweep variants × seeds (reusing stored runs); tabulate and plot the CIs."""
    variants, tasks = _compare_tasks(args, deadline)
    store = Path(args.store) if args.store else Path(args.out) / ".sweep-store"
    with (
        tqdm(total=len(tasks), desc="runs", unit="run", leave=False, disable=None) as bar,
        executor_for(args.scheduler, args.workers) as ex,
    ):

        def tick(done: int, total: int, task: SweepTask, state: str) -> None:
            bar.update(done - bar.n)

        res = run_sweep(tasks, store=store, executor=ex, progress=tick)
    say(res.summary())
    frames = {
        v: pd.DataFrame(
            [
                {"seed": t.kwargs["seed"], **res.results[t.key]}
                for t in tasks
                if t.kwargs["variant"] == v and t.key in res.results
            ]
        )
        for v in variants
    }
    table = compare_results(frames)
    shown = [k for k in COMPARED_KPIS if k in set(table["kpi"])]
    with OutputFolder(args.out) as out:
        write_frame(out.path("compare.csv"), table, bom=True)
        save_figure(
            plot_comparison(table, kpis=shown, title="mean and 95 % CI over seeds"),
            out.path("compare"),
        )
        write_frame(
            out.path("runs.csv"),
            pd.concat([f.assign(variant=v) for v, f in frames.items()], ignore_index=True),
            bom=True,
        )
    with pd.option_context("display.width", 200, "display.max_columns", 40):
        say(format_comparison(table).to_string())
    say(f"wrote {args.out}")
    failed = str(SweepError(res)).splitlines() if res.failures else []
    runs = [(t.name, res.results[t.key]) for t in tasks if t.key in res.results]
    return fell_short(failed + [line for name, kpi in runs if (line := _run_short(name, kpi))])


def _run_short(name: str, kpi: dict[str, Any]) -> str | None:
    """What one run fell short of (its KPI row), or None when it met the service level."""
    parts = []
    if kpi.get("sim_status") in ("shortfall", "balance_error"):
        share = kpi.get("collected_share_min")
        parts.append(
            f"simulation {kpi['sim_status']}"
            + (f" (lowest collected share {share:.2%})" if share is not None else "")
        )
    if kpi.get("routes_clean") is False:
        parts.append("routes not checker-clean")
    return f"run {name}: " + ", ".join(parts) if parts else None
