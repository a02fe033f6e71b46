"""Plots as matplotlib Figures (Agg, no pyplot state), with Chinese labels.

Every function builds its figure inside :func:`wasteopt.reporting.fonts.matplotlib_cjk`, so
station and plant names render in a CJK font (never as missing-glyph boxes), and returns a
:class:`matplotlib.figure.Figure`. :func:`save_figure` writes PNG and SVG atomically (SVG text
as paths, so the files need no installed font). Colours come from
:mod:`wasteopt.reporting.palette`. The maps (routes, catchments) live in
:mod:`wasteopt.reporting.maps` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from wasteopt.facilities.plan import FacilityPlan
from wasteopt.files import atomic_path
from wasteopt.reporting import palette
from wasteopt.reporting.fonts import matplotlib_cjk
from wasteopt.reporting.kpis import KPI_BY_ID, chart_title
from wasteopt.reporting.labels import axis_label
from wasteopt.reporting.maps import plot_catchments, plot_routes, site_names
from wasteopt.scenario.model import Scenario

__all__ = [
    "plot_catchments",
    "plot_comparison",
    "plot_daily_kpis",
    "plot_queue_waits",
    "plot_routes",
    "plot_utilisation",
    "save_figure",
]


def _figure(width_in: float, height_in: float) -> Figure:
    return Figure(figsize=(width_in, height_in), layout="constrained")


def plot_utilisation(
    utilisation: FacilityPlan | Mapping[str, float],
    scenario: Scenario | None = None,
    *,
    title: str = "",
) -> Figure:
    """Horizontal bars of capacity utilisation (share of daily capacity) per station and plant,
    from a FacilityPlan (its ``utilisation``) or a site → share mapping. Bars above 100 % are
    red; the 100 % line is marked. Sites are labelled with their names when ``scenario`` is
    given."""
    values = dict(utilisation if isinstance(utilisation, Mapping) else utilisation.utilisation)
    names: dict[str, str] = {}
    kind: dict[str, str] = {}
    if scenario is not None:
        names = site_names(scenario)
        kind = {s.id: "station" for s in scenario.stations}
        kind.update({f.id: "plant" for f in scenario.facilities})
    order = sorted(values, key=lambda s: (kind.get(s, ""), -values[s]))
    with matplotlib_cjk():
        fig = _figure(8, 0.8 + 0.32 * max(len(order), 3))
        ax = fig.subplots()
        y = np.arange(len(order))[::-1]
        shares = np.array([100.0 * float(values[s]) for s in order])
        colours = [
            palette.OVERLOAD
            if v > 100.0 + 1e-9
            else (palette.STATION if kind.get(s) == "station" else palette.PLANT)
            for s, v in zip(order, shares, strict=True)
        ]
        ax.barh(y, shares, color=colours)
        ax.set_yticks(
            y, [f"{names.get(s, s)}  {s}" if s in names else s for s in order], fontsize=7.5
        )
        for yi, v in zip(y, shares, strict=True):
            ax.annotate(
                f"{v:.0f}%",
                (v, yi),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
        ax.axvline(100.0, color="#555555", ls="--", lw=1)
        ax.set_xlabel("利用率 utilisation (% of daily capacity)")
        ax.set_xlim(0, max(110.0, float(shares.max(initial=0.0)) * 1.12))
        ax.set_title(title or "设施利用率 Facility utilisation", fontsize=10)
    return fig


def plot_daily_kpis(
    frame: pd.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str = "",
) -> Figure:
    """Daily KPI lines: one panel per metric (shared date axis). ``frame`` has a date index or
    a ``date`` column, and one numeric column per metric (default: all numeric columns); an
    optional ``series`` column (e.g. variant) draws one line per value. Axis labels:
    ``labels``, else the report's bilingual label and unit of the column
    (:func:`wasteopt.reporting.labels.axis_label`)."""
    df = frame.reset_index() if "date" not in frame.columns else frame.copy()
    if "date" not in df.columns:
        df = df.rename(columns={df.columns[0]: "date"})
    if metrics is None:
        metrics = [
            c
            for c in df.columns
            if c not in ("date", "series") and pd.api.types.is_numeric_dtype(df[c])
        ]
    if not metrics:
        raise ValueError("plot_daily_kpis: no numeric metric columns in the frame")
    labels = dict(labels or {})
    groups = list(df.groupby("series", sort=False)) if "series" in df.columns else [("", df)]
    with matplotlib_cjk():
        fig = _figure(9, 1.2 + 1.9 * len(metrics))
        axes = np.atleast_1d(fig.subplots(len(metrics), 1, sharex=True, squeeze=False)).ravel()
        for ax, m in zip(axes, metrics, strict=True):
            for name, g in groups:
                ax.plot(
                    pd.to_datetime(g["date"]),
                    g[m],
                    marker=".",
                    lw=1.2,
                    label=str(name) if name != "" else None,
                )
            ax.set_ylabel(labels.get(m, axis_label(m)), fontsize=8)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
            if len(groups) > 1:
                ax.legend(fontsize=7)
        axes[-1].set_xlabel("日期 date")
        fig.autofmt_xdate()
        if title:
            fig.suptitle(title)
    return fig


def plot_queue_waits(
    frame: pd.DataFrame,
    scenario: Scenario | None = None,
    *,
    facility_col: str = "facility",
    wait_col: str = "wait_min",
    title: str = "",
) -> Figure:
    """Queue-wait distributions per facility: box plots (whiskers 5–95 %) of ``wait_col``
    (minutes) for each value of ``facility_col``, with the sample count and mean, labelled with
    the facility's name when ``scenario`` is given."""
    names: dict[str, str] = {}
    if scenario is not None:
        names = site_names(scenario)
    groups = [
        (str(k), g[wait_col].dropna().to_numpy(dtype=float))
        for k, g in frame.groupby(facility_col, sort=True)
    ]
    groups = [(k, v) for k, v in groups if len(v)]
    with matplotlib_cjk():
        fig = _figure(9, 1.0 + 0.45 * max(len(groups), 3))
        ax = fig.subplots()
        if groups:
            ax.boxplot(
                [v for _, v in groups],
                orientation="horizontal",
                whis=(5, 95),
                showmeans=True,
                flierprops={"markersize": 2},
            )
            ax.set_yticks(
                np.arange(1, len(groups) + 1),
                [f"{names.get(k, k)} (n={len(v)}, mean {v.mean():.1f})" for k, v in groups],
                fontsize=7.5,
            )
        else:
            ax.text(0.5, 0.5, "无排队数据 no queue samples", ha="center", transform=ax.transAxes)
        ax.set_xlabel("排队等待 queue wait (min)")
        ax.grid(axis="x", alpha=0.3)
        ax.set_title(title or "卸料排队等待 Queue waits at facilities", fontsize=10)
    return fig


def plot_comparison(
    table: pd.DataFrame, *, kpis: Sequence[str] | None = None, title: str = ""
) -> Figure:
    """One panel per KPI: each variant's mean with its confidence interval as an error bar.

    ``table`` is :func:`wasteopt.replications.compare_results` output (columns ``kpi``, ``variant``,
    ``mean``, ``ci_low``, ``ci_high``)."""
    names = list(dict.fromkeys(table["kpi"])) if kpis is None else list(kpis)
    cols = min(3, max(len(names), 1))
    rows = max(1, math.ceil(len(names) / cols))
    with matplotlib_cjk():
        fig = _figure(4.2 * cols, 2.8 * rows)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, kpi in zip(axes.flat, names, strict=False):
            sub = table[table["kpi"] == kpi]
            x = np.arange(len(sub))
            mean = sub["mean"].to_numpy(dtype=float)
            err = np.vstack(
                [
                    mean - sub["ci_low"].to_numpy(dtype=float),
                    sub["ci_high"].to_numpy(dtype=float) - mean,
                ]
            )
            ax.bar(x, mean, color="#8fb3d9", edgecolor="#2b5c8a")
            ax.errorbar(x, mean, yerr=np.nan_to_num(err), fmt="none", ecolor="black", capsize=4)
            ax.set_xticks(x, list(sub["variant"]), fontsize=8)
            ax.set_title(chart_title(kpi) if kpi in KPI_BY_ID else kpi, fontsize=9)
            ax.tick_params(labelsize=7)
        for ax in list(axes.flat)[len(names) :]:
            ax.set_visible(False)
        if title:
            fig.suptitle(title)
    return fig


def save_figure(
    fig: Figure, path: str | Path, *, formats: Sequence[str] = ("png", "svg"), dpi: int = 150
) -> list[Path]:
    """Write ``fig`` as ``<path without suffix>.<fmt>`` for each format, atomically; returns
    the paths. SVG text is stored as outlines (no font needed to view it)."""
    stem = Path(path)
    if stem.suffix.lower() in (".png", ".svg", ".pdf"):
        stem = stem.with_suffix("")
    if fig.canvas is None or not hasattr(fig.canvas, "print_png"):
        FigureCanvasAgg(fig)
    written = []
    with matplotlib_cjk():
        for fmt in formats:
            target = stem.with_name(f"{stem.name}.{fmt}")
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fmt))
            written.append(target)
    return written


def _metadata(fmt: str) -> dict[str, object] | None:
    # Reproducible files: no creation date in SVG/PNG metadata.
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return None
