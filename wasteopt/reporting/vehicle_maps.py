"""The route sheets' companion: one map page per vehicle shift, its trips in colour 1, 2, 3 ….

A page (A4 landscape) shows the district around the vehicle's work (its stops, unload sites and
depot with a margin; the district's other points in grey, the approximate outline dashed), each
trip as a line in its trip colour (:func:`wasteopt.reporting.palette.trip_colour`) with arrows
in the driving direction, the stop numbers of the route sheet (``#``) where they fit without
overlap, and a legend of the trips with the sheet's figures: times, stops, kg, km, destination.
:func:`write_vehicle_maps` writes every vehicle of a route sheet into one PDF in sheet order.

Pages are drawn with fpdf2 directly (vector lines and text in the embedded CJK font, as the
route sheets; the district's dots as raw operators, one block a page), where a matplotlib page
took half a second, and a city day has hundreds of vehicles. Labels are placed as on every map
(:func:`wasteopt.reporting.map_layout.free_spot`, tested only against the boxes near each
label); sites whose name does not fit show their key.

Type: the legend, the site names and the footer are :data:`LEGEND_PT` (9 pt), as on the forms;
the stop numbers on the map stay :data:`STOP_NUMBER_PT` (6 pt): a trip's stops lie a few
millimetres apart, at 9 pt most numbers would find no free spot, and each only points to the
row of the form, which prints it at 9 pt.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from fpdf import FPDF
from matplotlib.transforms import Bbox

from wasteopt.coordinates import Crs
from wasteopt.files import atomic_path
from wasteopt.network import LegPaths, along, leg_paths
from wasteopt.reporting import palette
from wasteopt.reporting.fonts import find_cjk_font
from wasteopt.reporting.map_layout import (
    OUTLINE_LABEL,
    crs_axis_note,
    free_spot,
    outline_ring,
    project,
    site_keys,
)
from wasteopt.reporting.pdf_sheets import fit_text, text_width, wrap_text
from wasteopt.reporting.stamps import document_time
from wasteopt.reporting.trips import Trip, vehicle_trips
from wasteopt.scenario.model import Scenario

__all__ = ["LEGEND_PT", "STOP_NUMBER_PT", "WEEKDAYS", "vehicle_title", "write_vehicle_maps"]

WEEKDAYS = ("周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun")
_MAP = (10.0, 18.0, 190.0, 182.0)  # x, y (top), width, height in mm
_SIDE_X = 206.0
_MARGIN = 0.08  # of the view's extent around the vehicle's work
_MM_PER_PT = 25.4 / 72.0
LEGEND_PT = 9.0
"""The legend, site names and footer: the forms' smallest type."""
STOP_NUMBER_PT = 6.0
"""The stop numbers on the map (see module docstring)."""
_LEGEND_RIGHT = 287.0  # the page's right margin: A4 landscape less 10 mm
_LEGEND_BOTTOM = 199.0  # the legend stops above the footer
_LINE_MM = 4.2  # a legend line at 9 pt


def vehicle_title(
    scenario: Scenario, rows: pd.DataFrame, *, date: dt.date | None, variant: str
) -> str:
    """``VT-KIT-CITY#1 厨余车 — 厨余垃圾 Kitchen/food waste — 2026-01-23 周五 Fri — base``."""
    first = rows.iloc[0]
    stream = str(first["stream"])
    name = stream
    if stream in scenario.stream_ids:
        st = scenario.stream(stream)
        name = f"{st.name_zh} {st.name_en}"
    parts = [f"{first['vehicle']} {first['vehicle_type_name']}".strip(), name]
    if date is not None:
        parts.append(f"{date.isoformat()} {WEEKDAYS[date.weekday()]}")
    if variant:
        parts.append(variant)
    return " — ".join(parts)


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


@dataclass(frozen=True, slots=True)
class _Frame:
    """Output-system lon/lat → page mm (y down): the view fitted into :data:`_MAP`, the
    aspect corrected for latitude, centred."""

    x0: float
    y1: float
    scale: float
    kx: float
    left: float
    top: float

    @classmethod
    def around(cls, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> _Frame:
        w = max(float(np.ptp(x)), 0.005) if len(x) else 1.0
        h = max(float(np.ptp(y)), 0.005) if len(y) else 1.0
        x0 = float(x.min()) - _MARGIN * w if len(x) else 0.0
        y1 = float(y.max()) + _MARGIN * h if len(y) else 1.0
        kx = max(math.cos(math.radians(y1)), 0.1)
        w, h = w * (1 + 2 * _MARGIN), h * (1 + 2 * _MARGIN)
        scale = min(_MAP[2] / (w * kx), _MAP[3] / h)
        left = _MAP[0] + (_MAP[2] - w * kx * scale) / 2
        top = _MAP[1] + (_MAP[3] - h * scale) / 2
        return cls(x0=x0, y1=y1, scale=scale, kx=kx, left=left, top=top)

    def mm(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        return self.left + (x - self.x0) * self.kx * self.scale, self.top + (
            self.y1 - y
        ) * self.scale


class _Page:
    """One vehicle page being drawn: the PDF, the frame and the labels placed so far."""

    def __init__(self, pdf: FPDF, frame: _Frame) -> None:
        self.pdf = pdf
        self.frame = frame
        # Placement works y up (the map_layout convention): page y is negated.
        self.bounds = Bbox.from_extents(_MAP[0], -(_MAP[1] + _MAP[3]), _MAP[0] + _MAP[2], -_MAP[1])
        self.placed: list[Bbox] = []
        self.extents: list[tuple[float, float, float, float]] = []  # of ``placed``, as floats

    def _keep(self, box: Bbox) -> None:
        self.placed.append(box)
        self.extents.append((box.x0, box.y0, box.x1, box.y1))

    def mark(self, x: float, y: float, r: float = 1.2) -> None:
        """Keep labels off a marker at (x, y) mm."""
        self._keep(Bbox.from_extents(x - r, -y - r, x + r, -y + r))

    def _near(self, x: float, y: float, rx: float, ry: float) -> list[Bbox]:
        """The placed boxes that reach into ``rx`` × ``ry`` mm around (x, y) (y up): the only
        ones a label there can overlap (a page holds thousands; Bbox.overlaps is slow)."""
        x0, x1, y0, y1 = x - rx, x + rx, y - ry, y + ry
        return [
            self.placed[k]
            for k, (a, b, c, d) in enumerate(self.extents)
            if a <= x1 and c >= x0 and b <= y1 and d >= y0
        ]

    def label(self, x: float, y: float, text: str, size: float, colour: str, *, box: bool) -> bool:
        """``text`` at the first free spot around (x, y) mm; ``box``: a site's name, on a
        white ground and further from its larger marker."""
        pdf = self.pdf
        pdf.set_font_size(size)
        width = text_width(pdf, text)
        height = size * _MM_PER_PT
        gap = 2.0 if box else 1.0
        # free_spot tries offsets of up to 6 pt × gap and pads its box by 1.5 pt
        reach = (6 * gap + 2) * _MM_PER_PT
        near = self._near(x, -y, reach + width, reach + height)
        spot = free_spot((x, -y), (width, height), near, self.bounds, _MM_PER_PT, gap=gap)
        if spot is None:
            return False
        self._keep(near[-1])  # the padded box free_spot added
        _, b = spot
        if box:
            pdf.set_fill_color(255, 255, 255)
            pdf.rect(b.x0 - 0.3, -b.y1 - 0.2, b.width + 0.6, b.height + 0.4, style="F")
        pdf.set_text_color(*_rgb(colour))
        pdf.text(b.x0, -b.y0 - 0.22 * height, text)  # baseline: above the descent
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class _Book:
    """What every page of one book shares: the district in the output system, names, keys."""

    scenario: Scenario
    px: npt.NDArray[np.float64]
    py: npt.NDArray[np.float64]
    date: dt.date | None
    variant: str
    crs: Crs
    keys: dict[str, str]
    colours: dict[str, str]
    plants: frozenset[str]
    paths: LegPaths | None = None


def write_vehicle_maps(
    scenario: Scenario,
    sheet: pd.DataFrame,
    path: str | Path,
    *,
    date: dt.date | None = None,
    variant: str = "",
    crs: Crs = "wgs84",
    title: str = "",
) -> Path:
    """Every vehicle shift of ``sheet`` (a :func:`route_sheet_frame`) as one page of a PDF at
    ``path`` (written atomically), in sheet order; returns the path."""
    font = find_cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(title or "vehicle maps")
    pdf.set_creator("wasteopt")
    pdf.set_creation_date(document_time())  # SOURCE_DATE_EPOCH makes the bytes repeatable
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
    pdf.set_font("cjk", size=LEGEND_PT)
    px, py = project((p.lon for p in scenario.points), (p.lat for p in scenario.points), crs)
    book = _Book(
        scenario=scenario, px=px, py=py, date=date, variant=variant, crs=crs,
        keys=site_keys(scenario), colours=palette.site_colours(scenario),
        plants=frozenset(f.id for f in scenario.facilities), paths=leg_paths(scenario),
    )  # fmt: skip
    vehicles = list(sheet.groupby("vehicle", sort=False))
    for k, (_, rows) in enumerate(vehicles, 1):
        _vehicle_page(pdf, book, rows, f"{k}/{len(vehicles)}")
    target = Path(path)
    with atomic_path(target) as tmp:
        pdf.output(str(tmp))
    return target


def _vehicle_page(pdf: FPDF, book: _Book, rows: pd.DataFrame, page_no: str) -> None:
    """One vehicle shift: title, map (background, trips, sites, labels), legend, footer."""
    pdf.add_page()
    located = rows.dropna(subset=["lon", "lat"])
    x, y = project(located["lon"], located["lat"], book.crs)
    page = _Page(pdf, _Frame.around(x, y))
    pdf.set_text_color(0, 0, 0)
    pdf.set_font_size(11)
    pdf.text(10, 12, vehicle_title(book.scenario, rows, date=book.date, variant=book.variant))
    trips = vehicle_trips(located)
    with pdf.rect_clip(*_MAP):
        _background(page, book)
        for trip in trips:
            _trip_lines(page, trip, book.crs, book.paths)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.3)
    pdf.rect(*_MAP)
    keyed = _sites(page, book, located)
    for trip in trips:  # stop numbers last: the sites' names take the free spots first
        _stop_numbers(page, trip, book.crs)
    _legend(pdf, trips, located, keyed)
    pdf.set_font_size(LEGEND_PT)
    pdf.set_text_color(90, 90, 90)
    axis = crs_axis_note(book.crs).strip() or "WGS-84"
    footer = f"{OUTLINE_LABEL} · 坐标 coordinates {axis} · {page_no}"
    pdf.text(10, 205, fit_text(pdf, footer, _LEGEND_RIGHT - 10))


def _background(page: _Page, book: _Book) -> None:
    """The district's points (grey dots) and its approximate outline (dashed)."""
    pdf, frame = page.pdf, page.frame
    mx, my = frame.mm(book.px, book.py)
    inside = (
        (mx >= _MAP[0]) & (mx <= _MAP[0] + _MAP[2]) & (my >= _MAP[1]) & (my <= _MAP[1] + _MAP[3])
    )
    _dots(pdf, mx[inside], my[inside], 1.0, _rgb(palette.BACKGROUND))
    ring = outline_ring(book.px, book.py)
    if ring is not None:
        hx, hy = frame.mm(ring[:, 0], ring[:, 1])
        pdf.set_draw_color(*_rgb(palette.OUTLINE))
        pdf.set_line_width(0.3)
        pdf.set_dash_pattern(dash=2.0, gap=1.2)
        pdf.polyline(list(zip(hx.tolist(), hy.tolist(), strict=True)))
        pdf.set_dash_pattern()


def _trip_lines(page: _Page, trip: Trip, crs: Crs, paths: LegPaths | None = None) -> None:
    """The trip's path in its colour (each leg as it is priced: along its road path on a road
    network, around the barriers, else straight), an arrowhead on each leg's longest piece
    when long enough, and its stops as dots."""
    pdf = page.pdf
    colour = _rgb(palette.trip_colour(trip.number))
    x, y = page.frame.mm(*project(trip.rows["lon"], trip.rows["lat"], crs))
    vtype = str(trip.rows["vehicle_type"].iloc[0]) if "vehicle_type" in trip.rows else ""
    lon, lat = trip.rows["lon"].tolist(), trip.rows["lat"].tolist()
    pdf.set_draw_color(*colour)
    pdf.set_fill_color(*colour)
    pdf.set_line_width(0.6)
    pieces: list[tuple[float, float, float, float]] = []
    line: list[tuple[float, float]] = []
    for k in range(len(lon) - 1):
        plon, plat = along(paths, vtype, lon[k : k + 2], lat[k : k + 2])
        lx, ly = page.frame.mm(*project(plon, plat, crs))
        leg = list(zip(lx.tolist(), ly.tolist(), strict=True))
        line.extend(leg if not line else leg[1:])
        segs = [(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(leg)]
        if segs:
            pieces.append(max(segs, key=lambda s: math.hypot(s[2] - s[0], s[3] - s[1])))
    if len(line) >= 2:
        pdf.polyline(line)
    for x0, y0, x1, y1 in pieces:
        dx, dy = x1 - x0, y1 - y0
        length = math.hypot(dx, dy)
        if length < 8.0:  # mm: too short to carry an arrow without hiding its ends
            continue
        ux, uy = dx / length, dy / length
        tip = (x0 + dx / 2 + 1.2 * ux, y0 + dy / 2 + 1.2 * uy)
        back = (tip[0] - 2.4 * ux, tip[1] - 2.4 * uy)
        pdf.polygon(
            [
                tip,
                (back[0] - 1.0 * uy, back[1] + 1.0 * ux),
                (back[0] + 1.0 * uy, back[1] - 1.0 * ux),
            ],
            style="F",
        )
    stops = (trip.rows["kind"] == "stop").to_numpy()
    _dots(pdf, x[stops], y[stops], 2.0, (255, 255, 255))  # a white ring 0.2 mm wide …
    _dots(pdf, x[stops], y[stops], 1.6, colour)  # … around a dot of the trip's colour
    for a, b in zip(x[stops].tolist(), y[stops].tolist(), strict=True):
        page.mark(a, b, 0.9)


def _sites(page: _Page, book: _Book, located: pd.DataFrame) -> list[tuple[str, str]]:
    """The depot (diamond) and unload sites (square, plant triangle; site colours), labelled
    by name where it fits, else by key; returns the (key, name) pairs shown by key."""
    pdf = page.pdf
    places = located[located["kind"].isin(("depart", "unload"))].drop_duplicates("id")
    px, py = page.frame.mm(*project(places["lon"], places["lat"], book.crs))
    drawn: list[tuple[float, float, str, str]] = []
    for x, y, sid, kind, name in zip(
        px.tolist(), py.tolist(), places["id"].astype(str).tolist(), places["kind"].tolist(),
        places["name"].astype(str).tolist(), strict=True,
    ):  # fmt: skip
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.25)
        if kind == "depart":
            pdf.set_fill_color(*_rgb(palette.DEPOT))
            pdf.polygon([(x, y - 2.2), (x + 2.2, y), (x, y + 2.2), (x - 2.2, y)], style="DF")
        else:
            pdf.set_fill_color(*_rgb(book.colours.get(sid, palette.STATION)))
            if sid in book.plants:
                pdf.polygon([(x, y - 2.4), (x + 2.4, y + 1.8), (x - 2.4, y + 1.8)], style="DF")
            else:
                pdf.rect(x - 1.9, y - 1.9, 3.8, 3.8, style="DF")
        page.mark(x, y, 2.4)
        drawn.append((x, y, sid, name))
    keyed = []
    for x, y, sid, name in drawn:
        if not page.label(x, y, name, LEGEND_PT, "#111111", box=True):
            key = book.keys.get(sid, sid)
            page.label(x, y, key, LEGEND_PT, "#111111", box=True) or pdf.text(x + 2.5, y - 2.5, key)
            keyed.append((key, name))
    return keyed


def _stop_numbers(page: _Page, trip: Trip, crs: Crs) -> None:
    """The route-sheet row number of each stop, in the trip's colour, where it fits."""
    rows = trip.rows
    stops = (rows["kind"] == "stop").to_numpy()
    lon, lat = rows["lon"].to_numpy(dtype=float)[stops], rows["lat"].to_numpy(dtype=float)[stops]
    x, y = page.frame.mm(*project(lon, lat, crs))
    colour = palette.trip_colour(trip.number)
    seqs = rows["seq"].to_numpy()[stops].tolist()
    for a, b, seq in zip(x.tolist(), y.tolist(), seqs, strict=True):
        page.label(a, b, str(int(seq)), STOP_NUMBER_PT, colour, box=False)


def _dots(
    pdf: FPDF,
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    diameter: float,
    rgb: tuple[int, int, int],
) -> None:
    """Round dots of ``diameter`` mm at (x, y) mm in one block of PDF operators: each a
    zero-length line with round caps, which PDF paints as a filled circle (an FPDF circle per
    dot cost a third of a page's time, and a city page shows thousands)."""
    if not len(x):
        return
    k, h = pdf.k, pdf.h
    px, py = (x * k).tolist(), ((h - y) * k).tolist()
    path = " ".join(f"{a:.2f} {b:.2f} m {a:.2f} {b:.2f} l" for a, b in zip(px, py, strict=True))
    r, g, b = (c / 255 for c in rgb)
    pdf._out(f"q 1 J {diameter * k:.2f} w {r:.3f} {g:.3f} {b:.3f} RG {path} S Q")  # no public call


class _Legend:
    """The legend column right of the map, drawn line by line at :data:`LEGEND_PT`; a line
    that would pass the bottom is replaced once by "…" (the form lists everything)."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.y = 22.0
        self.full = False

    def line(self, text: str, *, x: float = _SIDE_X, before: float = _LINE_MM) -> None:
        """``text`` from ``x`` after ``before`` mm, wrapped to the column's width."""
        pdf = self.pdf
        for k, part in enumerate(wrap_text(pdf, text, _LEGEND_RIGHT - x)):
            step = before if k == 0 else _LINE_MM
            if self.full or self.y + step > _LEGEND_BOTTOM:
                if not self.full:
                    pdf.text(x, self.y + _LINE_MM * 0.8, "…")
                self.full = True
                return
            self.y += step
            pdf.text(x, self.y, part)


def _legend(
    pdf: FPDF, trips: Sequence[Trip], located: pd.DataFrame, keyed: Sequence[tuple[str, str]]
) -> None:
    """The trips with the sheet's figures, the marks, the lunch break and the key list."""
    pdf.set_text_color(0, 0, 0)
    pdf.set_font_size(LEGEND_PT + 1)
    legend = _Legend(pdf)
    legend.line("趟次 trips", before=0.0)
    pdf.set_font_size(LEGEND_PT)
    for t in trips:
        if not legend.full and legend.y + 6.0 + _LINE_MM <= _LEGEND_BOTTOM:
            pdf.set_fill_color(*_rgb(palette.trip_colour(t.number)))
            pdf.rect(_SIDE_X, legend.y + 6.0 - 2.4, 7, 2.6, style="F")
        legend.line(f"趟 {t.number} trip {t.number}: {t.start}–{t.end}", x=_SIDE_X + 9, before=6.0)
        legend.line(f"{t.stops} 点 stops · {t.expected_kg:,} kg · {t.km:,.1f} km", x=_SIDE_X + 9)
        legend.line(f"→ {t.unload_site_name or '—'}", x=_SIDE_X + 9)
    lunch = located[(located["kind"] == "lunch").to_numpy()]
    for arrival, departure, name in zip(
        lunch["arrival"].tolist(), lunch["departure"].tolist(), lunch["name"].tolist(), strict=True
    ):
        legend.line(f"{arrival}–{departure} {name}", before=6.0)
    legend.line("◆ 车场 depot   ■ 转运站 station   ▲ 处理厂 plant", before=8.0)
    legend.line("● 收集点 stop; 数字 = 路单行号 number = sheet row #")
    legend.line("- - 区界示意 approximate district outline")
    if keyed:
        legend.line("编号 key:", before=6.0)
        for key, name in keyed:
            legend.line(f"{key} {name}", x=_SIDE_X + 2)
