"""Maps and plots as matplotlib Figures (Agg, no pyplot state), with Chinese labels.

Every function builds its figure inside :func:`wasteopt.reporting.fonts.matplotlib_cjk`, so
station and plant names render in a CJK font (never as missing-glyph boxes), and returns a
:class:`matplotlib.figure.Figure`. :func:`save_figure` writes PNG and SVG atomically (SVG text
as paths, so the files need no installed font).

Maps are drawn in lon/lat with the aspect ratio corrected for latitude (1° of longitude is
cos(latitude) × 1° of latitude on the ground).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from wasteopt.facilities.plan import FacilityPlan
from wasteopt.files import atomic_path
from wasteopt.reporting.fonts import matplotlib_cjk
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


class Catchments(Protocol):
    """What a :class:`wasteopt.facilities.FacilityPlan` says about where points unload."""

    @property
    def assignments(self) -> Mapping[tuple[str, str], str]: ...

    @property
    def closed_stations(self) -> tuple[str, ...]: ...


Assignment = Catchments | Mapping[str, str] | Mapping[tuple[str, str], str]
"""Where points unload: a facility plan, point → site, or (point, stream) → site."""


def _figure(width_in: float, height_in: float) -> Figure:
    return Figure(figsize=(width_in, height_in), layout="constrained")


def _map_axes(ax: Axes, lats: Sequence[float]) -> None:
    lat0 = float(np.nanmean(lats)) if len(lats) else 0.0
    ax.set_aspect(1.0 / max(math.cos(math.radians(lat0)), 0.1))
    ax.set_xlabel("经度 lon")
    ax.set_ylabel("纬度 lat")
    ax.ticklabel_format(useOffset=False)
    ax.tick_params(labelsize=7)


def _sites(
    ax: Axes,
    scenario: Scenario,
    *,
    stream: str | None = None,
    closed: Sequence[str] = (),
    label: bool = True,
) -> None:
    """Stations (squares), plants (triangles) and depots (diamonds), labelled by name."""
    closed_set = set(closed)
    for s in scenario.stations:
        if stream is not None and stream not in s.streams:
            continue
        shut = s.id in closed_set
        if shut:
            ax.scatter([s.lon], [s.lat], marker="x", s=60, zorder=5, c="#999999")
        else:
            ax.scatter(
                [s.lon],
                [s.lat],
                marker="s",
                s=60,
                zorder=5,
                c="#1f3b73",
                edgecolors="white",
                linewidths=0.8,
            )
        if label:
            ax.annotate(
                s.name + (" (关闭 closed)" if shut else ""),
                (s.lon, s.lat),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                zorder=6,
            )
    for f in scenario.facilities:
        if stream is not None and stream not in f.streams:
            continue
        ax.scatter(
            [f.lon],
            [f.lat],
            marker="^",
            s=80,
            c="#b22222",
            zorder=5,
            edgecolors="white",
            linewidths=0.8,
        )
        if label:
            ax.annotate(
                f.name,
                (f.lon, f.lat),
                xytext=(4, -10),
                textcoords="offset points",
                fontsize=7,
                color="#7a1010",
                zorder=6,
            )
    for d in scenario.depots:
        ax.scatter([d.lon], [d.lat], marker="D", s=45, c="#222222", zorder=5)
        if label:
            ax.annotate(
                d.name,
                (d.lon, d.lat),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=6.5,
                color="#333333",
                zorder=6,
            )


def plot_routes(scenario: Scenario, sheet: pd.DataFrame, *, title: str = "") -> Figure:
    """Routes per stream over the district: one panel per stream in ``sheet`` (a
    :func:`wasteopt.reporting.sheets.route_sheet_frame`, or several concatenated). All points
    of the district in light grey, visited points and route lines in the stream's colour
    (vehicles in alternating shades), stations, plants and depots labelled by name."""
    streams = [s for s in scenario.stream_ids if s in set(sheet["stream"])] or ["?"]
    n = len(streams)
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    with matplotlib_cjk():
        fig = _figure(6.5 * cols, 5.5 * rows)
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
        lons = [p.lon for p in scenario.points]
        lats = [p.lat for p in scenario.points]
        for ax, stream in zip(axes, streams, strict=False):
            color = scenario.stream(stream).color if stream in scenario.stream_ids else "#333"
            name = scenario.stream(stream).name_zh if stream in scenario.stream_ids else stream
            ax.scatter(lons, lats, s=4, c="#d0d0d0", zorder=1)
            part = sheet[(sheet["stream"] == stream)].dropna(subset=["lon", "lat"])
            vehicles = list(dict.fromkeys(part["vehicle"]))
            for k, (_, g) in enumerate(part.groupby("vehicle", sort=False)):
                path = g[g["kind"] != "lunch"]
                ax.plot(
                    path["lon"],
                    path["lat"],
                    color=color,
                    lw=0.9,
                    alpha=0.9 if k % 2 == 0 else 0.55,
                    ls="-" if k % 3 else "--",
                    zorder=2,
                )
            stops = part[part["kind"] == "stop"]
            ax.scatter(stops["lon"], stops["lat"], s=9, c=color, zorder=3)
            _sites(ax, scenario, stream=stream)
            km = part["leg_m"].sum() / 1000.0
            ax.set_title(
                f"{name} {stream}: {len(vehicles)} 车 vehicles, {len(stops)} 点 stops, {km:.1f} km",
                fontsize=9,
            )
            _map_axes(ax, lats)
        for ax in axes[n:]:
            ax.set_visible(False)
        if title:
            fig.suptitle(title)
    return fig


def _site_names(scenario: Scenario) -> dict[str, str]:
    """Station and plant id → name (a plant's name wins on a shared id)."""
    names = {s.id: s.name for s in scenario.stations}
    names.update({f.id: f.name for f in scenario.facilities})
    return names


def _assignment(a: Assignment, stream: str | None) -> dict[str, str]:
    """point → site from a FacilityPlan, a point→site dict or a (point, stream)→site dict."""
    mapping: Mapping[str, str] | Mapping[tuple[str, str], str] = (
        a if isinstance(a, Mapping) else a.assignments
    )
    out: dict[str, str] = {}
    for key, site in mapping.items():
        if isinstance(key, tuple):
            point, s = key
            if stream is not None and s != stream:
                continue
            out.setdefault(point, site)
        else:
            out[key] = site
    return out


def _closed(a: Assignment) -> tuple[str, ...]:
    return () if isinstance(a, Mapping) else tuple(a.closed_stations)


def plot_catchments(
    scenario: Scenario,
    before: Assignment,
    after: Assignment,
    *,
    stream: str | None = None,
    titles: tuple[str, str] = ("调整前 before", "调整后 after"),
) -> Figure:
    """Station catchments before and after consolidation, side by side: each point coloured by
    the site it unloads at. ``before``/``after`` are FacilityPlans or assignment dicts
    (point → site, or (point, stream) → site; ``stream`` picks one stream, default: the first
    assignment listed for each point). Sites keep the same colour in both panels."""
    a_before, a_after = _assignment(before, stream), _assignment(after, stream)
    sites = sorted(set(a_before.values()) | set(a_after.values()))
    with matplotlib_cjk():
        cmap = colormaps["tab20"]
        colour = {s: cmap(i % 20) for i, s in enumerate(sites)}
        names = _site_names(scenario)
        fig = _figure(13, 6)
        axes = fig.subplots(1, 2, sharex=True, sharey=True)
        points = {p.id: p for p in scenario.points}
        for ax, assignment, plan, label in zip(
            axes, (a_before, a_after), (before, after), titles, strict=True
        ):
            ids = [p for p in assignment if p in points]
            ax.scatter(
                [points[p].lon for p in ids],
                [points[p].lat for p in ids],
                s=7,
                c=[colour[assignment[p]] for p in ids],
                zorder=2,
            )
            _sites(ax, scenario, stream=stream, closed=_closed(plan))
            for site in sorted(set(assignment.values())):  # legend: sites used in this panel
                n = sum(1 for v in assignment.values() if v == site)
                ax.scatter([], [], s=20, color=colour[site], label=f"{names.get(site, site)} ({n})")
            ax.legend(fontsize=6.5, loc="best", markerscale=1.2, framealpha=0.85)
            ax.set_title(f"{label}: {len(set(assignment.values()))} 处 sites", fontsize=10)
            _map_axes(ax, [p.lat for p in scenario.points])
    return fig


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
        names = _site_names(scenario)
        kind = {s.id: "station" for s in scenario.stations}
        kind.update({f.id: "plant" for f in scenario.facilities})
    order = sorted(values, key=lambda s: (kind.get(s, ""), -values[s]))
    with matplotlib_cjk():
        fig = _figure(8, 0.8 + 0.32 * max(len(order), 3))
        ax = fig.subplots()
        y = np.arange(len(order))[::-1]
        shares = np.array([100.0 * float(values[s]) for s in order])
        colours = [
            "#c0392b"
            if v > 100.0 + 1e-9
            else ("#1f3b73" if kind.get(s) == "station" else "#2e8b57")
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
    optional ``series`` column (e.g. variant) draws one line per value."""
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
            ax.set_ylabel(labels.get(m, m), fontsize=8)
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
        names = _site_names(scenario)
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
            ax.set_title(kpi, fontsize=9)
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
