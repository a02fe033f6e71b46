"""What every map shares: coordinates in the chosen system, axes, the district outline, site
markers, and labels that do not overlap.

Maps are drawn in lon/lat of the output coordinate system (:mod:`wasteopt.coordinates`; the axis
labels name it) with the aspect ratio corrected for latitude (1° of longitude is cos(latitude)
× 1° of latitude on the ground).

The district outline is the convex hull of the district's points and sites, pushed out by 1 %
of the map's extent so that no point sits on the line; scenarios carry no boundary, so the map
says the outline is approximate. The scenario's barriers (``[network] barriers``: water and
no-go areas, bridges and ferries) are drawn under everything, since legs go around them.

Labels are placed greedily (:func:`place_labels`): each in turn tries eight positions around
its anchor and takes the first whose box overlaps no label and no marker placed before it and
stays inside the axes. A name that fits nowhere is replaced by its short key (a number), and
the figure lists the keys (:func:`key_note`): the map never prints text over text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from scipy.spatial import ConvexHull, QhullError

from wasteopt.coordinates import Crs, transform
from wasteopt.reporting import palette
from wasteopt.scenario.model import Scenario

__all__ = [
    "OUTLINE_LABEL",
    "Label",
    "barrier_legend",
    "crs_axis_note",
    "draw_barriers",
    "draw_outline",
    "free_spot",
    "key_note",
    "map_axes",
    "new_figure",
    "outline_handle",
    "outline_ring",
    "place_labels",
    "project",
    "site_keys",
]

OUTLINE_LABEL = "区界示意(点的凸包) approximate district outline: hull of the points"
# (dx, dy) in points from the anchor and the text's alignment there: NE, SE, NW, SW, E, W, N, S.
_POSITIONS: tuple[tuple[float, float, str, str], ...] = (
    (4, 3, "left", "bottom"),
    (4, -3, "left", "top"),
    (-4, 3, "right", "bottom"),
    (-4, -3, "right", "top"),
    (6, 0, "left", "center"),
    (-6, 0, "right", "center"),
    (0, 6, "center", "bottom"),
    (0, -6, "center", "top"),
)
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure with constrained layout on an Agg canvas (no pyplot state): label placement
    measures text with the canvas's renderer."""
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def project(
    lon: Iterable[float], lat: Iterable[float], crs: Crs
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """WGS-84 (lon, lat) of the scenario as arrays in the output system ``crs``."""
    x = np.asarray(list(lon), dtype=float)
    y = np.asarray(list(lat), dtype=float)
    return transform(x, y, "wgs84", crs)


def crs_axis_note(crs: Crs) -> str:
    """What the axis labels add for a system other than WGS-84."""
    return "" if crs == "wgs84" else f" ({crs.upper().replace('0', '-0', 1)})"


def map_axes(ax: Axes, lats: Sequence[float] | npt.NDArray[np.float64], crs: Crs) -> None:
    """Aspect ratio for the mean latitude, axis labels naming the coordinate system."""
    lat0 = float(np.nanmean(lats)) if len(lats) else 0.0
    ax.set_aspect(1.0 / max(math.cos(math.radians(lat0)), 0.1))
    note = crs_axis_note(crs)
    ax.set_xlabel(f"经度 lon{note}", fontsize=8)
    ax.set_ylabel(f"纬度 lat{note}", fontsize=8)
    ax.ticklabel_format(useOffset=False)
    ax.tick_params(labelsize=7)


def outline_ring(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64] | None:
    """The approximate district outline (module docstring) as a closed ring of vertices, or
    None when the points span no area."""
    pts = np.column_stack([x, y])
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) < 3:
        return None
    try:
        hull = pts[ConvexHull(pts).vertices]
    except QhullError:  # all points on a line
        return None
    centre = hull.mean(axis=0)
    span = float(np.ptp(pts, axis=0).max())
    away = hull - centre
    norm = np.hypot(away[:, 0], away[:, 1])
    hull = hull + away / np.where(norm > 0, norm, 1.0)[:, None] * 0.01 * span
    return np.vstack([hull, hull[:1]])


def draw_outline(
    ax: Axes, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64] | None:
    """Draw :func:`outline_ring` as a dashed line; returns the ring."""
    ring = outline_ring(x, y)
    if ring is not None:
        ax.plot(ring[:, 0], ring[:, 1], color=palette.OUTLINE, lw=1.0, ls=(0, (6, 3)), zorder=0.5)
    return ring


def draw_barriers(ax: Axes, scenario: Scenario, crs: Crs) -> None:
    """Fill the scenario's barriers (water, no-go areas; islands left open) and draw its
    bridges and ferries, under everything else."""
    net = scenario.network
    for barrier in net.barriers:
        colour = palette.WATER if barrier.kind == "water" else palette.NO_GO
        for rings in barrier.polygons:
            verts: list[tuple[float, float]] = []
            codes: list[np.uint8] = []
            for ring in rings:
                x, y = project((p[0] for p in ring), (p[1] for p in ring), crs)
                verts.extend(zip(x.tolist(), y.tolist(), strict=True))
                codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 1))
            ax.add_patch(PathPatch(MplPath(verts, codes), fc=colour, ec="none", zorder=0.2))
    for crossing in net.crossings:
        x, y = project((p[0] for p in crossing.line), (p[1] for p in crossing.line), crs)
        ax.plot(x, y, color=palette.CROSSING, lw=2.0, solid_capstyle="butt", zorder=0.3)


def barrier_legend(scenario: Scenario) -> list[Line2D]:
    """Legend entries of what :func:`draw_barriers` draws (none without barriers)."""
    net = scenario.network
    kinds = {b.kind for b in net.barriers}
    area = {"linestyle": "none", "marker": "s", "markersize": 9, "markeredgecolor": "none"}
    handles: list[Line2D] = []
    if "water" in kinds:
        handles.append(
            Line2D([], [], markerfacecolor=palette.WATER, label="水域 water (legs go around)",
                   **area)  # type: ignore[arg-type]
        )  # fmt: skip
    if "no_go" in kinds:
        handles.append(
            Line2D([], [], markerfacecolor=palette.NO_GO, label="禁行区 no-go area", **area)  # type: ignore[arg-type]
        )
    if net.crossings:
        handles.append(
            Line2D([], [], color=palette.CROSSING, lw=2.0, label="桥/渡口 bridge, ferry")
        )
    return handles


def outline_handle() -> Line2D:
    """The legend entry of the outline."""
    return Line2D([], [], color=palette.OUTLINE, lw=1.0, ls=(0, (6, 3)), label=OUTLINE_LABEL)


def site_keys(scenario: Scenario) -> dict[str, str]:
    """Site id → short key, the same on every map: stations 1…, plants P1…, depots D1…."""
    keys = {s.id: str(k) for k, s in enumerate(scenario.stations, 1)}
    keys.update({f.id: f"P{k}" for k, f in enumerate(scenario.facilities, 1)})
    keys.update({d.id: f"D{k}" for k, d in enumerate(scenario.depots, 1)})
    return keys


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    """One label: ``text`` at data point (x, y); ``key`` replaces it when it fits nowhere
    (empty: the label is dropped then); larger ``fontsize`` for names, smaller for numbers;
    ``halo``: a white outline that keeps the text legible over lines (it doubles the cost of
    drawing the text)."""

    x: float
    y: float
    text: str
    key: str = ""
    color: str = "#111111"
    fontsize: float = 7.0
    halo: bool = True


def _fits(box: Bbox, placed: list[Bbox], frame: Bbox) -> bool:
    inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
    return inside and not any(box.overlaps(other) for other in placed)


def place_labels(
    fig: Figure,
    panels: Sequence[tuple[Axes, Sequence[Label], Sequence[tuple[float, float]]]],
    *,
    marker_px: float = 5.0,
) -> list[Label]:
    """Place the labels of each panel ``(axes, labels, markers)`` in order without overlaps
    (module docstring); returns the labels shown by their key instead of their text.
    ``markers`` are data points that labels must not cover (a square of ``marker_px`` pixels
    around each); a label whose anchor lies outside its axes' view is left out. A key that
    fits nowhere is still drawn at the first position: it links the point to the key list.
    The figure is laid out once, first: labels never move the axes they were placed in."""
    if fig.get_layout_engine() is None:  # a fixed layout: only the aspect ratios move
        for ax, _, _ in panels:
            ax.apply_aspect()
    else:
        fig.draw_without_rendering()
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    keyed: list[Label] = []
    for ax, labels, markers in panels:
        frame = ax.get_window_extent(renderer)
        placed = [
            Bbox.from_extents(px - marker_px, py - marker_px, px + marker_px, py + marker_px)
            for px, py in (ax.transData.transform((mx, my)) for mx, my in markers)
        ]
        for label in labels:
            anchor = ax.transData.transform((label.x, label.y))
            if not frame.contains(anchor[0], anchor[1]):
                continue
            fit = _place(ax, renderer, label, label.text, label.fontsize, placed, frame)
            if not fit and label.key:
                _place(ax, renderer, label, label.key, label.fontsize - 0.5, placed, frame, True)
                keyed.append(label)
    return keyed


def fig_dpi_scale(renderer: RendererBase) -> float:
    """Pixels per point of ``renderer``."""
    scale: float = renderer.points_to_pixels(1.0)  # type: ignore[assignment]
    return scale


Position = tuple[float, float, str, str]


def text_box(
    anchor: tuple[float, float], size: tuple[float, float], position: Position, per_pt: float
) -> Bbox:
    """The box (y up) of a text of ``size`` (width, height) at ``position`` around ``anchor``;
    ``per_pt``: units of ``anchor`` and ``size`` per typographic point."""
    dx, dy, ha, va = position
    x = anchor[0] + dx * per_pt
    y = anchor[1] + dy * per_pt
    w, h = size
    x0 = x if ha == "left" else (x - w if ha == "right" else x - w / 2)
    y0 = y if va == "bottom" else (y - h if va == "top" else y - h / 2)
    return Bbox.from_extents(x0, y0, x0 + w, y0 + h)


def free_spot(
    anchor: tuple[float, float],
    size: tuple[float, float],
    placed: list[Bbox],
    frame: Bbox,
    per_pt: float,
    *,
    force: bool = False,
    gap: float = 1.0,
) -> tuple[Position, Bbox] | None:
    """The first of the eight positions around ``anchor`` where a text of ``size`` overlaps
    nothing in ``placed`` and stays in ``frame`` (y up; any unit, ``per_pt`` of it per point):
    that position and the text's box, whose padded box joins ``placed``. With ``force`` the
    first position when none is free; None otherwise. ``gap`` scales the distance from the
    anchor (for a larger marker there)."""
    pad = 1.5 * per_pt  # the halo, and a little air
    for dx, dy, ha, va in _POSITIONS:
        position = (dx * gap, dy * gap, ha, va)
        box = text_box(anchor, size, position, per_pt)
        padded = box.padded(pad)
        if _fits(padded, placed, frame):
            placed.append(padded)
            return position, box
    if not force:
        return None
    dx, dy, ha, va = _POSITIONS[0]
    box = text_box(anchor, size, (dx * gap, dy * gap, ha, va), per_pt)
    placed.append(box.padded(pad))
    return (dx * gap, dy * gap, ha, va), box


def _place(
    ax: Axes,
    renderer: RendererBase,
    label: Label,
    text: str,
    fontsize: float,
    placed: list[Bbox],
    frame: Bbox,
    force: bool = False,
) -> bool:
    """Draw ``text`` at the first free position around the label's anchor (or, with
    ``force``, at the first position); False, and nothing drawn, when none is free. Boxes
    come from the text's measured size, so a label that does not fit costs no artist."""
    anchor = ax.transData.transform((label.x, label.y))
    w, h, _ = renderer.get_text_width_height_descent(
        text, FontProperties(size=fontsize), ismath=False
    )
    spot = free_spot(
        (anchor[0], anchor[1]), (w, h), placed, frame, fig_dpi_scale(renderer), force=force
    )
    if spot is None:
        return False
    dx, dy, ha, va = spot[0]
    artist = ax.annotate(
        text,
        (label.x, label.y),
        xytext=(dx, dy),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=fontsize,
        color=label.color,
        zorder=7,
        path_effects=_HALO if label.halo else None,
        annotation_clip=False,
    )
    artist.set_in_layout(False)  # labels must not move the axes they were placed in
    return True


def key_note(keyed: Sequence[Label], *, per_line: int = 4) -> str:
    """The list of labels shown by key, e.g. ``编号 key: 3 北水关转运站 · 4 城北转运站``."""
    if not keyed:
        return ""
    items = [f"{lb.key} {lb.text}" for lb in keyed]
    lines = [" · ".join(items[k : k + per_line]) for k in range(0, len(items), per_line)]
    return "编号 key: " + "\n".join(lines)
