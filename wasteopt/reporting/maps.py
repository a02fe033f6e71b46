"""Maps of a district: routes per stream and catchments before/after, as matplotlib Figures.

Every map uses :mod:`wasteopt.reporting.palette` (a stream, a site and a trip have one colour
in every figure), :mod:`wasteopt.reporting.map_layout` (coordinates in the output system, the
approximate district outline, labels that never overlap: a name that does not fit becomes a
numbered key listed on the figure) and is built inside
:func:`wasteopt.reporting.fonts.matplotlib_cjk`. The vehicle maps of the route book are in
:mod:`wasteopt.reporting.vehicle_maps`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from wasteopt.coordinates import Crs
from wasteopt.network import LegPaths, along, leg_paths
from wasteopt.reporting import palette
from wasteopt.reporting.fonts import matplotlib_cjk
from wasteopt.reporting.map_layout import (
    Label,
    barrier_legend,
    draw_barriers,
    draw_outline,
    key_note,
    map_axes,
    new_figure,
    outline_handle,
    place_labels,
    project,
    site_keys,
)
from wasteopt.scenario.model import Scenario, TransferStation, TreatmentFacility

__all__ = ["Assignment", "Catchments", "plot_catchments", "plot_routes", "site_names"]


class Catchments(Protocol):
    """What a :class:`wasteopt.facilities.FacilityPlan` says about where points unload
    (``open_stations`` and ``built_stations`` are read when present)."""

    @property
    def assignments(self) -> Mapping[tuple[str, str], str]: ...

    @property
    def closed_stations(self) -> tuple[str, ...]: ...


Assignment = Catchments | Mapping[str, str] | Mapping[tuple[str, str], str]
"""Where points unload: a facility plan, point → site, or (point, stream) → site."""

_ZOOM_MIN_MOVED = 5
_STATION_MARK = {"marker": "s", "s": 70, "edgecolors": "black", "linewidths": 0.8, "zorder": 5}
_PLANT_MARK = {"marker": "^", "s": 95, "edgecolors": "black", "linewidths": 0.8, "zorder": 5}
_DEPOT_MARK = {"marker": "D", "s": 40, "c": palette.DEPOT, "zorder": 5}


def site_names(scenario: Scenario) -> dict[str, str]:
    """Station and plant id → name (a plant's name wins on a shared id)."""
    names = {s.id: s.name for s in scenario.stations}
    names.update({f.id: f.name for f in scenario.facilities})
    return names


def _stream_name(scenario: Scenario, stream: str | None) -> str:
    if stream is None:
        return "全部 all streams"
    if stream not in scenario.stream_ids:
        return stream
    st = scenario.stream(stream)
    return f"{st.name_zh} {st.name_en}"


def _marker_handles(*, depots: bool, changes: bool) -> list[Line2D]:
    """Legend entries of the marks: station, plant, (depot), (retired, new), outline."""

    def mark(marker: str, label: str, **kw: object) -> Line2D:
        style: dict[str, object] = {"color": "none", "markerfacecolor": "white"}
        style.update(markeredgecolor="black", markersize=7)
        style.update(kw)
        return Line2D([], [], marker=marker, label=label, **style)  # type: ignore[arg-type]

    handles = [mark("s", "转运站 transfer station"), mark("^", "处理厂 plant")]
    if depots:
        handles.append(mark("D", "车场 depot", markerfacecolor=palette.DEPOT))
    if changes:
        handles.append(
            mark("X", "撤销 retired", markerfacecolor=palette.RETIRED, markeredgecolor="white")
        )
        handles.append(mark("o", "新建 new", markersize=12, markeredgewidth=2.0))
    handles.append(outline_handle())
    return handles


# -- routes --------------------------------------------------------------------------------------


def plot_routes(
    scenario: Scenario, sheet: pd.DataFrame, *, title: str = "", crs: Crs = "wgs84"
) -> Figure:
    """Routes per stream over the district: one panel per stream in ``sheet`` (a
    :func:`wasteopt.reporting.sheets.route_sheet_frame`, or several concatenated). All points
    of the district in light grey, visited points and route lines in the stream's colour
    (vehicles in alternating shades), the stream's stations and plants and its vehicles'
    depots; a legend of streams and marks under the panels."""
    streams = [s for s in scenario.stream_ids if s in set(sheet["stream"])] or ["?"]
    n = len(streams)
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    keys = site_keys(scenario)
    with matplotlib_cjk():
        fig = new_figure(6.5 * cols, 5.5 * rows + 1.0)
        grid = fig.add_gridspec(rows + 1, cols, height_ratios=[5.5] * rows + [1.0])
        px, py = project((p.lon for p in scenario.points), (p.lat for p in scenario.points), crs)
        paths = leg_paths(scenario)
        panels: list[tuple[Axes, list[Label], list[tuple[float, float]]]] = []
        for k, stream in enumerate(streams):
            ax = fig.add_subplot(grid[k // cols, k % cols])
            part = sheet[sheet["stream"] == stream].dropna(subset=["lon", "lat"])
            ax.scatter(px, py, s=3, c=palette.BACKGROUND, zorder=1, linewidths=0)
            draw_outline(ax, px, py)
            draw_barriers(ax, scenario, crs)
            _draw_roads(ax, scenario, crs)
            _route_lines(ax, part, palette.stream_colour(scenario, stream), crs, paths)
            labels, marks = _route_sites(ax, scenario, part, stream, keys, crs)
            km = part["leg_m"].sum() / 1000.0
            stops = int((part["kind"] == "stop").sum())
            ax.set_title(
                f"{_stream_name(scenario, stream)}: {part['vehicle'].nunique()} 车 vehicles, "
                f"{stops} 点 stops, {km:,.1f} km",
                fontsize=9,
            )
            map_axes(ax, py, crs)
            panels.append((ax, labels, marks))
        band = fig.add_subplot(grid[rows, :])
        band.axis("off")
        handles = [
            Line2D([], [], color=palette.stream_colour(scenario, s), lw=2.0,
                   label=_stream_name(scenario, s))
            for s in streams
        ]  # fmt: skip
        handles += _marker_handles(depots=True, changes=False)
        handles.insert(len(streams) + 2, _unused_handle("当日未卸料 no unloading this day"))
        handles += barrier_legend(scenario)
        band.legend(handles=handles, loc="upper center", ncols=4, fontsize=7.5, frameon=False)
        if title:
            fig.suptitle(title)
        _band_note(band, place_labels(fig, panels))
    return fig


def _band_note(band: Axes, keyed: Sequence[Label]) -> None:
    """The key list of labels shown by number, at the bottom of the legend band."""
    unique = list({(lb.key, lb.text): lb for lb in keyed}.values())
    note = key_note(sorted(unique, key=lambda lb: lb.key), per_line=6)
    if note:
        text = band.text(0.0, 0.0, note, transform=band.transAxes, fontsize=6.5, va="bottom")
        text.set_in_layout(False)  # the labels were placed for the layout as it is


_ROAD_PIECES = 60_000  # above this, only main roads and expressways are drawn (a city map)


def _draw_roads(ax: Axes, scenario: Scenario, crs: Crs) -> None:
    """The scenario's road network (``[network] roads``), thin and light under the routes;
    at city size only its main roads and expressways."""
    graph = scenario.network.roads
    if graph is None:
        return
    keep = graph.tail < graph.head  # one piece per two-way road
    keep |= ~np.isin(graph.tail * graph.node_count + graph.head,
                     graph.head * graph.node_count + graph.tail)  # fmt: skip
    if int(keep.sum()) > _ROAD_PIECES:
        keep &= np.isin(np.array(graph.road_class), ["main_road", "expressway"])
    t, h = graph.tail[keep], graph.head[keep]
    x0, y0 = project(graph.lon[t], graph.lat[t], crs)
    x1, y1 = project(graph.lon[h], graph.lat[h], crs)
    segs = np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
    ax.add_collection(
        LineCollection(list(segs), colors=palette.BACKGROUND, linewidths=0.4, zorder=1),
        autolim=False,  # the view stays the district's, however far the network reaches
    )


def _route_lines(
    ax: Axes, part: pd.DataFrame, colour: str, crs: Crs, paths: LegPaths | None = None
) -> None:
    """Each vehicle's path (lunch rows add no vertex; legs drawn as they are priced: along
    its road path on a road network, bent around the barriers, else straight) and its stops."""
    for k, (_, g) in enumerate(part.groupby("vehicle", sort=False)):
        path = g[g["kind"] != "lunch"]
        vtype = str(g["vehicle_type"].iloc[0]) if "vehicle_type" in g else ""
        lon, lat = along(paths, vtype, path["lon"].tolist(), path["lat"].tolist())
        x, y = project(lon, lat, crs)
        ax.plot(x, y, color=colour, lw=0.9, alpha=0.9 if k % 2 == 0 else 0.55,
                ls="-" if k % 3 else "--", zorder=2)  # fmt: skip
    stops = part[part["kind"] == "stop"]
    x, y = project(stops["lon"], stops["lat"], crs)
    ax.scatter(x, y, s=8, c=colour, zorder=3, linewidths=0)


def _route_sites(
    ax: Axes,
    scenario: Scenario,
    part: pd.DataFrame,
    stream: str,
    keys: dict[str, str],
    crs: Crs,
) -> tuple[list[Label], list[tuple[float, float]]]:
    """The stream's stations and plants (in their site colours) and the depots its vehicles
    leave from; returns their labels (sites first) and marker positions."""
    colours = palette.site_colours(scenario)
    depots = set(part.loc[part["kind"] == "depart", "id"])
    used = set(part.loc[part["kind"] == "unload", "id"])
    labels: list[Label] = []
    marks: list[tuple[float, float]] = []
    groups = (
        ([s for s in scenario.stations if stream in s.streams], _STATION_MARK),
        ([f for f in scenario.facilities if stream in f.streams], _PLANT_MARK),
        ([d for d in scenario.depots if d.id in depots], _DEPOT_MARK),
    )
    for sites, style in groups:
        for site in sites:
            (x,), (y,) = project([site.lon], [site.lat], crs)
            look = dict(style)
            if "c" not in style and site.id not in used:  # no unload there on this day
                look.update(c="white", edgecolors="#777777")
            elif "c" not in style:
                look["c"] = colours.get(site.id, palette.STATION)
            ax.scatter([x], [y], **look)  # type: ignore[arg-type]
            labels.append(Label(x=x, y=y, text=site.name, key=keys[site.id]))
            marks.append((x, y))
    return labels, marks


# -- catchments ----------------------------------------------------------------------------------


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


def _changes(before: Assignment, after: Assignment) -> tuple[set[str], set[str]]:
    """(retired, new): stations closed after but not before; stations built after, or open
    after and closed before."""
    if isinstance(after, Mapping):
        return set(), set()
    closed_before = set() if isinstance(before, Mapping) else set(before.closed_stations)
    open_before = set(getattr(before, "open_stations", ()) or ())
    retired = set(after.closed_stations) - closed_before
    if open_before:
        retired &= open_before
    new = set(getattr(after, "built_stations", ()) or ())
    new |= set(getattr(after, "open_stations", ()) or ()) & closed_before
    return retired, new - open_before


def _open_sites(plan: Assignment, used: set[str]) -> set[str]:
    """Stations open in ``plan`` (its ``open_stations`` when it has them) and sites used."""
    return used | set(getattr(plan, "open_stations", ()) or ())


@dataclass(frozen=True, slots=True, kw_only=True)
class _Panels:
    """What both panels of a catchment map share (coordinates already projected)."""

    scenario: Scenario
    stream: str | None
    crs: Crs
    px: npt.NDArray[np.float64]
    py: npt.NDArray[np.float64]
    moved: npt.NDArray[np.bool_]
    shown: list[str]
    retired: set[str]
    new: set[str]
    keys: dict[str, str]


def plot_catchments(
    scenario: Scenario,
    before: Assignment,
    after: Assignment,
    *,
    stream: str | None = None,
    titles: tuple[str, str] = ("调整前 before", "调整后 after"),
    crs: Crs = "wgs84",
) -> Figure:
    """Catchments of one stream before and after a change, side by side: each point in the
    colour of the site it unloads at (the same colour in both panels and in every figure),
    points whose site changes ringed in black, stations the change retires crossed out,
    stations it builds ringed, and a legend of every site with its points before → after.
    When the moved points lie in a small part of the district, a second row zooms in on it.
    ``before``/``after`` are FacilityPlans or assignment dicts (point → site, or
    (point, stream) → site); ``stream`` picks one stream (default: the first assignment listed
    for each point)."""
    plans = (before, after)
    assigned = (_assignment(before, stream), _assignment(after, stream))
    retired, new = _changes(before, after)
    px, py = project((p.lon for p in scenario.points), (p.lat for p in scenario.points), crs)
    ids = [p.id for p in scenario.points]
    moved = np.array([assigned[0].get(i) != assigned[1].get(i) for i in ids], dtype=bool)
    ctx = _Panels(
        scenario=scenario, stream=stream, crs=crs, px=px, py=py, moved=moved,
        shown=_shown_sites(scenario, stream, assigned), retired=retired, new=new,
        keys=site_keys(scenario),
    )  # fmt: skip
    zoom = _zoom_box(ctx, assigned)
    rows = 1 if zoom is None else 2
    with matplotlib_cjk():
        fig = new_figure(16, 0.9 + rows * _panel_height(px, py, 5.3) + 0.3 * (rows - 1))
        grid = fig.add_gridspec(rows, 3, width_ratios=[1.0, 1.0, 0.62])
        placements = []
        for row, box in enumerate([None, zoom][:rows]):
            first = fig.add_subplot(grid[row, 0])
            axes = (first, fig.add_subplot(grid[row, 1], sharex=first, sharey=first))
            for k, ax in enumerate(axes):
                labels, marks = _catchment_panel(ax, ctx, assigned[k], plans[k], k == 1)
                title = f"{titles[k]}: {len(set(assigned[k].values()))} 处 sites"
                title += f", {len(assigned[k])} 点 points"
                if box is not None:
                    ax.set_xlim(box[0], box[1])
                    ax.set_ylim(box[2], box[3])
                    title = f"放大 zoom: {titles[k]}, {int(moved.sum())} 点归属改变 points move"
                ax.set_title(title, fontsize=10)
                placements.append((ax, labels, marks))
        side = fig.add_subplot(grid[:, 2])
        side.axis("off")
        handles = _catchment_legend(scenario, ctx.shown, assigned, retired, new, ctx.keys)
        side.legend(handles=handles, loc="upper left", fontsize=7, frameon=False,
                    title="站点 sites: 点数 points before → after", title_fontsize=7.5)  # fmt: skip
        fig.suptitle(_catchment_title(scenario, stream, titles, retired), fontsize=11)
        place_labels(fig, placements)
    return fig


def _panel_height(px: npt.NDArray[np.float64], py: npt.NDArray[np.float64], width: float) -> float:
    """Inches a map of the points needs at ``width`` inches (aspect corrected for latitude),
    plus its title and axis labels."""
    if not len(px):
        return width
    lat0 = math.radians(float(np.nanmean(py)))
    wide = max(float(np.nanmax(px) - np.nanmin(px)) * max(math.cos(lat0), 0.1), 1e-9)
    tall = float(np.nanmax(py) - np.nanmin(py))
    return min(max(width * tall / wide, 2.5), 1.6 * width) + 0.8


def _zoom_box(
    ctx: _Panels, assigned: tuple[dict[str, str], dict[str, str]]
) -> tuple[float, float, float, float] | None:
    """(x0, x1, y0, y1) around the moved points (5–95 % of them when there are 20 or more) and
    the changed stations, padded, at least a fifth of the district wide; None when fewer than
    :data:`_ZOOM_MIN_MOVED` points move and no station changes, or when that spans more than
    half the district either way."""
    xs, ys = list(ctx.px[ctx.moved]), list(ctx.py[ctx.moved])
    changed = [s for s in ctx.scenario.stations if s.id in ctx.retired | ctx.new]
    if len(xs) < _ZOOM_MIN_MOVED and not changed:  # a few stray points: the map shows them
        return None
    if len(xs) >= 20:  # the bulk of the moves: a few far-off reassignments must not unzoom it
        xs = list(np.quantile(xs, [0.05, 0.95]))
        ys = list(np.quantile(ys, [0.05, 0.95]))
    for site in changed:
        if site.id in ctx.shown:
            (x,), (y,) = project([site.lon], [site.lat], ctx.crs)
            xs.append(x)
            ys.append(y)
    if not xs or not len(ctx.px):
        return None
    full_w = float(np.ptp(ctx.px)) or 1.0
    full_h = float(np.ptp(ctx.py)) or 1.0
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    if w > 0.5 * full_w or h > 0.5 * full_h:
        return None
    # Padded, then widened to the whole map's shape: both rows then have panels of one size.
    w, h = max(1.3 * w, 0.2 * full_w), max(1.3 * h, 0.2 * full_h)
    if w / h < full_w / full_h:
        w = h * full_w / full_h
    else:
        h = w * full_h / full_w
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def _catchment_panel(
    ax: Axes, ctx: _Panels, assignment: dict[str, str], plan: Assignment, is_after: bool
) -> tuple[list[Label], list[tuple[float, float]]]:
    """One panel: points, outline, sites; returns the sites' labels and marker positions."""
    _catchment_points(ax, ctx.scenario, assignment, ctx.px, ctx.py, ctx.moved)
    draw_outline(ax, ctx.px, ctx.py)
    draw_barriers(ax, ctx.scenario, ctx.crs)
    labels, marks = _catchment_sites(
        ax, ctx, _open_sites(plan, set(assignment.values())), assignment, is_after
    )
    map_axes(ax, ctx.py, ctx.crs)
    return labels, marks


def _catchment_title(
    scenario: Scenario, stream: str | None, titles: tuple[str, str], retired: set[str]
) -> str:
    """The stream and the two states; a second line when retired stations take no waste of
    this stream (their change does not show on this map)."""
    text = f"{_stream_name(scenario, stream)} — 收集点归属 catchments: {titles[0]} → {titles[1]}"
    if stream is None:
        return text
    elsewhere = [s.name for s in scenario.stations if s.id in retired and stream not in s.streams]
    if elsewhere:
        what = scenario.stream(stream).name_en.lower() if stream in scenario.stream_ids else stream
        text += (
            f"\n撤销的 {len(elsewhere)} 座站不收此类垃圾 the {len(elsewhere)} retired station(s) "
            f"take no {what}: " + "、".join(elsewhere)
        )
    return text


def _shown_sites(
    scenario: Scenario,
    stream: str | None,
    assigned: tuple[dict[str, str], dict[str, str]],
) -> list[str]:
    """Stations and plants to draw, in scenario order: those taking the stream and those
    used in either panel."""
    used = set(assigned[0].values()) | set(assigned[1].values())
    sites: list[TransferStation | TreatmentFacility] = [*scenario.stations, *scenario.facilities]
    return [s.id for s in sites if s.id in used or stream is None or stream in s.streams]


def _catchment_points(
    ax: Axes,
    scenario: Scenario,
    assignment: dict[str, str],
    px: npt.NDArray[np.float64],
    py: npt.NDArray[np.float64],
    moved: npt.NDArray[np.bool_],
) -> None:
    """Assigned points in their site's colour (first collection; ringed in black where the
    site changes), the others in grey."""
    colours = palette.site_colours(scenario)
    ids = [p.id for p in scenario.points]
    mask = np.array([i in assignment for i in ids], dtype=bool)
    ax.scatter(
        px[mask],
        py[mask],
        s=9,
        c=[colours.get(assignment[i], palette.BACKGROUND) for i in ids if i in assignment],
        zorder=2,
        edgecolors="black",
        linewidths=np.where(moved[mask], 0.6, 0.0).tolist(),
    )
    ax.scatter(px[~mask], py[~mask], s=3, c=palette.BACKGROUND, zorder=1, linewidths=0)


def _catchment_sites(
    ax: Axes, ctx: _Panels, open_now: set[str], assignment: dict[str, str], is_after: bool
) -> tuple[list[Label], list[tuple[float, float]]]:
    """Markers of the shown sites (filled when in use, hollow otherwise; on the after panel
    retired crossed, new ringed) and their labels, changed sites first, then by points."""
    colours = palette.site_colours(ctx.scenario)
    records: dict[str, TransferStation | TreatmentFacility] = {
        s.id: s for s in ctx.scenario.stations
    }
    records.update({f.id: f for f in ctx.scenario.facilities})
    plant_ids = {f.id for f in ctx.scenario.facilities}
    retired, new = (ctx.retired, ctx.new) if is_after else (set(), set())
    served = pd.Series(list(assignment.values()), dtype=object).value_counts()
    labels: list[tuple[tuple[int, int], Label]] = []
    marks: list[tuple[float, float]] = []
    for sid in ctx.shown:
        site = records[sid]
        (x,), (y,) = project([site.lon], [site.lat], ctx.crs)
        style = dict(_PLANT_MARK if sid in plant_ids else _STATION_MARK)
        in_use = sid in open_now and sid not in retired
        if not in_use:
            style.update(edgecolors="#777777")
        ax.scatter([x], [y], c=colours.get(sid, palette.STATION) if in_use else "white", **style)  # type: ignore[arg-type]
        suffix = ""
        if sid in retired:
            ax.scatter([x], [y], marker="X", s=190, c=palette.RETIRED, edgecolors="white",
                       linewidths=0.8, zorder=6)  # fmt: skip
            suffix = " 撤销 retired"
        elif sid in new:
            ax.scatter([x], [y], marker="o", s=330, facecolors="none", edgecolors=palette.NEW,
                       linewidths=2.0, zorder=4)  # fmt: skip
            suffix = " 新建 new"
        rank = (0 if suffix else 1, -int(served.get(sid, 0)))
        labels.append((rank, Label(x=x, y=y, text=site.name + suffix, key=ctx.keys[sid])))
        marks.append((x, y))
    return [lb for _, lb in sorted(labels, key=lambda r: r[0])], marks


def _catchment_legend(
    scenario: Scenario,
    shown: list[str],
    assigned: tuple[dict[str, str], dict[str, str]],
    retired: set[str],
    new: set[str],
    keys: dict[str, str],
) -> list[Line2D]:
    """One entry per shown site (key, name, points before → after, change), then the marks."""
    colours = palette.site_colours(scenario)
    names = site_names(scenario)
    counts = [pd.Series(list(a.values()), dtype=object).value_counts() for a in assigned]
    handles = []
    for sid in shown:
        nb, na = (int(c.get(sid, 0)) for c in counts)
        change = " 撤销 retired" if sid in retired else (" 新建 new" if sid in new else "")
        handles.append(
            Line2D([], [], marker="o", color="none", markerfacecolor=colours.get(sid, "white"),
                   markeredgecolor="black", markersize=7,
                   label=f"{keys[sid]} {names.get(sid, sid)}: {nb} → {na}{change}")
        )  # fmt: skip
    handles.append(_unused_handle("未启用 not in use"))
    water = barrier_legend(scenario)
    return handles + _marker_handles(depots=False, changes=bool(retired or new)) + water


def _unused_handle(label: str) -> Line2D:
    """The legend entry of a hollow site marker."""
    return Line2D([], [], marker="s", color="none", markerfacecolor="white",
                  markeredgecolor="#777777", markersize=7, label=label)  # fmt: skip
