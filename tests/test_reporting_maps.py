"""Maps that show decisions: catchments before/after per stream (retired crossed, new ringed,
a legend with counts, the district outline and barriers, a zoom where points move), routes with
a legend of streams, one colour per site in every figure, labels that never overlap."""

from __future__ import annotations

import dataclasses
import itertools
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from wasteopt.network import scenario_barriers
from wasteopt.reporting import palette
from wasteopt.reporting.fonts import matplotlib_cjk
from wasteopt.reporting.map_layout import OUTLINE_LABEL, Label, new_figure, place_labels
from wasteopt.reporting.maps import plot_catchments, plot_routes
from wasteopt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _plan(assignments, *, open_=(), closed=(), built=()):
    return types.SimpleNamespace(
        assignments=assignments,
        open_stations=tuple(open_),
        closed_stations=tuple(closed),
        built_stations=tuple(built),
    )


BEFORE = _plan(
    {(p, "other"): "ST-W" for p in ("P1", "P2", "P4", "P7")}
    | {(p, "other"): "FAC-WTE" for p in ("P3", "P5", "P6")},
    open_=("ST-W",),
    closed=("ST-E",),
)
AFTER = _plan(
    {(p, "other"): "ST-E" for p in ("P1", "P2")}
    | {(p, "other"): "FAC-WTE" for p in ("P3", "P4", "P5", "P6", "P7")},
    open_=("ST-E",),
    closed=("ST-W",),
    built=("ST-E",),
)


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def _map_axes(fig):
    return [ax for ax in fig.axes if ax.axison]


def test_catchments_mark_retired_and_new_stations(tiny_scenario):
    """The after panel crosses the retired station and rings the new one; the legend lists
    each site with its points before → after and the change; the title names the stream."""
    fig = plot_catchments(tiny_scenario, BEFORE, AFTER, stream="other", titles=("base", "east"))
    legend = _legend_texts(fig)
    assert "1 西站: 4 → 0 撤销 retired" in legend
    assert "2 东站(候选): 0 → 2 新建 new" in legend
    assert OUTLINE_LABEL in legend and "撤销 retired" in legend and "新建 new" in legend
    assert fig.get_suptitle().startswith("其他垃圾")
    after = _map_axes(fig)[1]
    crosses = [c for c in after.collections if c.get_paths() and c.get_facecolor().size
               and np.allclose(c.get_facecolor()[0], to_rgba(palette.RETIRED))]  # fmt: skip
    assert len(crosses) == 1


def test_catchments_note_retired_stations_that_take_other_streams(tiny_scenario):
    """A kitchen map says when the retired station takes no kitchen waste (its change is not
    on that map)."""
    before = _plan({("P1", "kitchen"): "FAC-KITCHEN"}, open_=("ST-W",))
    after = _plan({("P1", "kitchen"): "ST-E"}, open_=("ST-E",), closed=("ST-W",), built=("ST-E",))
    fig = plot_catchments(tiny_scenario, before, after, stream="kitchen")
    assert "take no kitchen" in fig.get_suptitle() and "西站" in fig.get_suptitle()


def test_site_colours_are_the_same_in_every_figure(tiny_scenario):
    """A point unloading at 西站 has 西站's palette colour in both panels and in a second
    figure; a point at the plant has the plant's colour."""
    colour = palette.site_colours(tiny_scenario)
    second = {"P1": "ST-W", "P3": "FAC-WTE"}
    for fig, assigned in (
        (plot_catchments(tiny_scenario, BEFORE, AFTER, stream="other"), BEFORE.assignments),
        (plot_catchments(tiny_scenario, second, BEFORE, stream="other"), second),
    ):
        keys = {k[0] if isinstance(k, tuple) else k for k in assigned}
        order = [p.id for p in tiny_scenario.points if p.id in keys]
        faces = _map_axes(fig)[0].collections[0].get_facecolors()  # assigned points, in order
        assert np.allclose(faces[order.index("P1")], to_rgba(colour["ST-W"]))
        assert np.allclose(faces[order.index("P3")], to_rgba(colour["FAC-WTE"]))


def test_zoom_row_where_points_move(tiny_scenario):
    """Five or more points moving in a small part of a wider district add a zoomed row; a
    single stray move or none adds none."""
    far = [
        dataclasses.replace(tiny_scenario.points[0], id=f"F{k}", lon=120.1 + 0.01 * k, lat=0.1)
        for k in range(10)
    ]
    wide = dataclasses.replace(tiny_scenario, points=(*tiny_scenario.points, *far))
    before = {p.id: "FAC-WTE" for p in wide.points}
    after = before | {p: "ST-W" for p in ("P1", "P2", "P3", "P4", "P5")}
    moved = plot_catchments(wide, before, after)
    assert len(_map_axes(moved)) == 4
    assert "放大 zoom" in _map_axes(moved)[2].get_title()
    for other in (before, before | {"P1": "ST-W"}):
        assert len(_map_axes(plot_catchments(wide, before, other))) == 2


@pytest.fixture(scope="module")
def sheet(tiny_route_sheet: pd.DataFrame) -> pd.DataFrame:
    """Both streams of the tiny scenario routed on day 0, as one route sheet."""
    return tiny_route_sheet


def test_routes_legend_names_every_stream(tiny_scenario, sheet):
    """routes.png has one panel per routed stream, lines in the stream's colour, and a legend
    naming each stream and the marks."""
    fig = plot_routes(tiny_scenario, sheet)
    panels = _map_axes(fig)
    assert len(panels) == sheet["stream"].nunique() == 2
    assert {ln.get_color() for ln in panels[0].get_lines()} - {palette.OUTLINE} == {
        tiny_scenario.stream("kitchen").color
    }
    legend = _legend_texts(fig)
    for st in tiny_scenario.streams:
        assert f"{st.name_zh} {st.name_en}" in legend
    assert "车场 depot" in legend and OUTLINE_LABEL in legend


def test_labels_never_overlap():
    """Twenty names crowded on one spot: those placed do not overlap, and the rest are shown by
    key (or dropped when they have none)."""
    with matplotlib_cjk():  # the names are Chinese: measured in the CJK font
        fig = new_figure(4, 3)
        ax = fig.add_subplot()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        labels = [
            Label(x=0.5 + 0.001 * k, y=0.5, text=f"转运站名称 {k}", key=str(k) if k % 2 else "")
            for k in range(20)
        ]
        keyed = place_labels(fig, [(ax, labels, [(0.5, 0.5)])])
        renderer = fig.canvas.get_renderer()
        names = [t.get_window_extent(renderer) for t in ax.texts if not t.get_text().isdigit()]
        assert 1 <= len(names) <= 8  # eight positions around one spot
        assert keyed and all(lb.key for lb in keyed)
        assert len(ax.texts) == len(names) + len(keyed)  # a name without a key is dropped
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not a.overlaps(b)


def test_maps_draw_the_barriers_legs_go_around(tiny_scenario, sheet):
    """With barriers (tiny_river: a river and two bridges) every map panel fills the water in
    its colour under the points, draws the bridges, and the legend names both; tiny (no
    barriers) has neither."""
    river = load_scenario(ROOT / "scenarios" / "tiny_river")
    assert river.network.barriers and river.network.crossings
    for fig in (
        plot_catchments(river, BEFORE, AFTER, stream="other"),
        plot_routes(river, sheet),
    ):
        for ax in _map_axes(fig):
            water = [
                p for p in ax.patches if np.allclose(p.get_facecolor(), to_rgba(palette.WATER))
            ]
            assert water and all(p.get_zorder() < 1 for p in water)
            bridges = [ln for ln in ax.get_lines() if ln.get_color() == palette.CROSSING]
            assert len(bridges) == len(river.network.crossings)
        legend = _legend_texts(fig)
        assert "水域 water (legs go around)" in legend and "桥/渡口 bridge, ferry" in legend
    plain = _legend_texts(plot_catchments(tiny_scenario, BEFORE, AFTER, stream="other"))
    assert not any("水域" in t for t in plain)


def test_route_lines_bend_around_barriers(sheet):
    """A leg whose straight line crosses the tiny_river river is drawn along the path it is
    priced on (over a bridge), so the routes map never draws a leg across the water."""
    river = load_scenario(ROOT / "scenarios" / "tiny_river")
    model = scenario_barriers(river)
    assert model is not None
    drawn = plot_routes(river, sheet)
    rows = sheet[sheet["kind"] != "lunch"]
    crossing = [
        (a, b)
        for _, g in rows.groupby("vehicle", sort=False)
        for a, b in itertools.pairwise(zip(g["lon"], g["lat"], strict=True))
        if len(model.path(a, b)) > 2
    ]
    assert crossing, "the tiny day should have a leg across the river"
    colours = {st.color for st in river.streams}
    vertices = sum(len(ln.get_xdata()) for ax in _map_axes(drawn) for ln in ax.get_lines()
                   if ln.get_color() in colours)  # fmt: skip
    assert vertices >= len(rows) + len(crossing)
