"""The capacity gap chart of a multi-year plan (:mod:`wasteopt.facilities.years_plan`).

One panel per stream (its plants taken together), then one per plant that takes this
scenario's waste: the load offered each year, this scenario's part stacked on the external
load (other districts' waste at a shared plant), against the capacity with the plan (solid
steps) and without builds (dashed). Where the offered load passes the capacity without builds
the gap is shaded: the tonnes a build has to take. Labels are bilingual (中文 / English); plant
names render through :mod:`wasteopt.reporting.fonts`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from wasteopt.facilities.years_plan import YearsPlan
from wasteopt.reporting.fonts import matplotlib_cjk
from wasteopt.scenario.model import Scenario

__all__ = ["plot_capacity_gap"]

_COLUMNS = 3


def plot_capacity_gap(plan: YearsPlan, scenario: Scenario) -> Figure:
    """The capacity gap chart of ``plan``: first each stream's plants together (the city's
    question: is the stream's capacity enough), then each plant that takes waste."""
    as_is = _with_streams(plan.as_is.sites, scenario)
    planned = _with_streams(plan.plan.sites, scenario)
    base = as_is if plan.as_is.solved else planned
    panels = [
        (f"stream:{s.id}", f"{s.name_zh} {s.name_en} (all plants)")
        for s in scenario.streams
        if _offered(base, f"stream:{s.id}").max(initial=0.0) > 0.0
    ]
    panels += [
        (k.id, k.name) for k in scenario.facilities if _offered(base, k.id).max(initial=0.0) > 0.0
    ]
    rows = max(1, math.ceil(len(panels) / _COLUMNS))
    cols = max(1, min(_COLUMNS, len(panels)))
    with matplotlib_cjk():
        fig = Figure(figsize=(4.2 * cols, 3.0 * rows + 0.6), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, (site, name) in zip(axes.ravel(), panels, strict=False):
            _panel(ax, base, planned if plan.plan.solved else None, site, name)
        for ax in axes.ravel()[len(panels) :]:
            ax.set_visible(False)
        fig.suptitle(
            f"{scenario.name}: 处理能力缺口 capacity gap, t/day "
            f"(实线 plan with builds, 虚线 without builds)"
        )
    return fig


def _with_streams(sites: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """``sites`` plus one row per year and stream (``stream:<id>``): the sums over the plants
    that accept the stream."""
    if sites.empty:
        return sites
    cols = ["capacity_t_per_day", "offered_t_per_day", "external_t_per_day"]
    extra = []
    for s in scenario.streams:
        ids = [k.id for k in scenario.facilities if s.id in k.streams]
        g = sites[sites["site"].isin(ids)].groupby("year", as_index=False)[cols].sum()
        extra.append(g.assign(site=f"stream:{s.id}"))
    return pd.concat([sites, *extra], ignore_index=True)


def _offered(sites: pd.DataFrame, site: str) -> np.ndarray:
    if sites.empty:
        return np.zeros(0)
    return sites.loc[sites["site"] == site, "offered_t_per_day"].to_numpy(float)


def _panel(
    ax: Axes, base: pd.DataFrame, planned: pd.DataFrame | None, site: str, name: str
) -> None:
    """One plant or stream: stacked offered load (as is), capacity with and without builds."""
    b = base[base["site"] == site]
    years = b["year"].to_numpy(int)
    offered = b["offered_t_per_day"].to_numpy(float)
    external = b["external_t_per_day"].to_numpy(float)
    ours = offered - external
    ax.stackplot(
        years,
        external,
        np.maximum(ours, 0.0),
        labels=["外部 external", "本区 this scenario"],
        colors=["#c9c9c9", "#4c78a8"],
        alpha=0.8,
        step=None,
    )
    cap0 = b["capacity_t_per_day"].to_numpy(float)
    ax.step(
        years, cap0, where="post", ls="--", color="#333333", label="能力 capacity (as is)", zorder=3
    )
    if planned is not None:
        p = planned[planned["site"] == site]
        ax.step(
            p["year"].to_numpy(int),
            p["capacity_t_per_day"].to_numpy(float),
            where="post",
            color="#d62728",
            label="能力 capacity (plan)",
        )
    ax.fill_between(
        years, cap0, offered, where=offered > cap0, color="#d62728", alpha=0.25, interpolate=True
    )
    ax.set_title(f"{name}\n{site}", fontsize=9)
    ax.set_xlabel("年 year", fontsize=8)
    ax.set_ylabel("t/day", fontsize=8)
    ax.tick_params(labelsize=7)
    if len(years):
        ax.set_xticks(years[:: max(1, len(years) // 6)])
    ax.legend(fontsize=6, loc="best")
