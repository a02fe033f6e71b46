"""Plots (and the maps they re-export): Figures with Chinese labels that render without missing
glyphs, saved as PNG and SVG atomically. The maps' own layout: test_reporting_maps.py."""

from __future__ import annotations

import io
import types
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from wasteopt.reporting.plots import (
    plot_catchments,
    plot_daily_kpis,
    plot_queue_waits,
    plot_routes,
    plot_utilisation,
    save_figure,
)
from wasteopt.reporting.sheets import route_sheet_frame
from wasteopt.routing.build import build_problem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve


@pytest.fixture(scope="module")
def tiny(tiny_scenario, tiny_day0, tiny_matrix):
    """The tiny scenario and the route sheet of both streams on day 0."""
    scenario = tiny_scenario
    frames = []
    for stream in scenario.stream_ids:
        problem = build_problem(scenario, tiny_day0, 0, stream, tiny_matrix)
        plan = solve(problem, RoutingSettings(time_limit_s=1, seed=0))
        frames.append(route_sheet_frame(plan, problem, scenario))
    return scenario, pd.concat(frames, ignore_index=True)


def _glyph_warnings(fig: Figure) -> list[str]:
    """Render ``fig`` to PNG and return matplotlib's missing-glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=50)
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


def _texts(fig: Figure) -> str:
    out = []
    for ax in fig.axes:
        out += [ax.get_title()] + [t.get_text() for t in ax.texts]
        out += [t.get_text() for t in ax.get_yticklabels()]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return " ".join(out)


def _all_figures(tiny) -> dict[str, Figure]:
    scenario, sheet = tiny
    before = {"P1": "ST-W", "P2": "ST-W", "P3": "FAC-WTE", "P4": "ST-W"}
    after = types.SimpleNamespace(
        assignments={
            ("P1", "other"): "ST-E",
            ("P2", "other"): "ST-E",
            ("P3", "other"): "FAC-WTE",
            ("P1", "kitchen"): "FAC-KITCHEN",
        },
        closed_stations=("ST-W",),
    )
    days = pd.date_range("2026-03-02", periods=7)
    kpis = pd.DataFrame({"date": days, "collected_t": np.arange(7.0), "backlog_t": 0.5})
    waits = pd.DataFrame(
        {"facility": ["ST-W"] * 5 + ["FAC-WTE"] * 3, "wait_min": [0, 1, 2, 3, 10, 0, 0, 4]}
    )
    return {
        "routes": plot_routes(scenario, sheet, title="线路 routes"),
        "catchments": plot_catchments(scenario, before, after, stream="other"),
        "utilisation": plot_utilisation({"ST-W": 1.3, "FAC-WTE": 0.4}, scenario),
        "kpis": plot_daily_kpis(kpis),
        "waits": plot_queue_waits(waits, scenario),
    }


def test_chinese_labels_render_without_missing_glyphs(tiny):
    """Every plot carries Chinese names and draws with no 'Glyph ... missing' warning."""
    figs = _all_figures(tiny)
    assert "西站" in _texts(figs["routes"]) and "焚烧厂" in _texts(figs["routes"])
    assert "东站(候选)" in _texts(figs["catchments"])
    assert "西站" in _texts(figs["utilisation"]) and "焚烧厂" in _texts(figs["waits"])
    for name, fig in figs.items():
        assert isinstance(fig, Figure)
        assert _glyph_warnings(fig) == [], name


def test_glyph_warning_detector_works_with_a_latin_font():
    """The same check catches boxes when Chinese text is drawn in DejaVu Sans only."""
    fig = Figure()
    fig.add_subplot().set_title("西站", family="DejaVu Sans")
    assert _glyph_warnings(fig), "DejaVu Sans has no CJK glyphs; a warning was expected"


def test_utilisation_marks_overload(tiny):
    """A site above 100 % of capacity is drawn in red, the others are not."""
    scenario, _ = tiny
    fig = plot_utilisation({"ST-W": 1.3, "ST-E": 0.5}, scenario)
    bars = fig.axes[0].patches
    reds = [
        b for b in bars if np.allclose(b.get_facecolor()[:3], (0xC0 / 255, 0x39 / 255, 0x2B / 255))
    ]
    assert len(bars) == 2 and len(reds) == 1 and reds[0].get_width() == pytest.approx(130.0)


def test_daily_kpis_panels_and_series():
    """One panel per metric, one line per series; a frame without numbers is refused."""
    days = pd.date_range("2026-03-02", periods=5)
    df = pd.DataFrame(
        {
            "date": list(days) * 2,
            "series": ["base"] * 5 + ["east"] * 5,
            "km": np.arange(10.0),
            "t": np.ones(10),
        }
    )
    fig = plot_daily_kpis(df, labels={"km": "里程 km"})
    assert len(fig.axes) == 2
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)
    assert fig.axes[0].get_ylabel() == "里程 km"
    assert fig.axes[1].get_ylabel() == "t"  # not a report column: its id
    indexed = plot_daily_kpis(df[df["series"] == "base"].set_index("date")[["km"]])
    assert len(indexed.axes) == 1
    assert indexed.axes[0].get_ylabel() == "车公里 Vehicle km (公里 km)"
    with pytest.raises(ValueError, match="numeric"):
        plot_daily_kpis(pd.DataFrame({"date": days, "note": list("abcde")}))


def test_queue_waits_counts_samples(tiny):
    """Each facility's label states its sample count and mean wait."""
    scenario, _ = tiny
    waits = pd.DataFrame({"facility": ["ST-W", "ST-W", "FAC-WTE"], "wait_min": [2.0, 4.0, 1.0]})
    labels = [t.get_text() for t in plot_queue_waits(waits, scenario).axes[0].get_yticklabels()]
    assert "焚烧厂 (n=1, mean 1.0)" in labels and "西站 (n=2, mean 3.0)" in labels


def test_save_figure_writes_png_and_svg(tiny, tmp_path):
    """save_figure writes a PNG and a well-formed SVG (text as paths) and no temp files."""
    scenario, sheet = tiny
    paths = save_figure(plot_routes(scenario, sheet), tmp_path / "maps" / "routes.png")
    assert [p.name for p in paths] == ["routes.png", "routes.svg"]
    assert paths[0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    root = ET.parse(paths[1]).getroot()
    assert root.tag.endswith("svg")
    assert "<text" not in paths[1].read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["routes.png", "routes.svg"]


def test_plot_comparison_draws_ci_per_variant():
    """plot_comparison gives one panel per KPI with one bar and one error bar per variant."""
    import pandas as pd

    from wasteopt.reporting.plots import plot_comparison

    table = pd.DataFrame(
        {
            "kpi": ["km", "km", "cost", "cost"],
            "variant": ["base", "城南", "base", "城南"],
            "mean": [10.0, 8.0, 5.0, 6.0],
            "ci_low": [9.0, 7.5, 4.0, 5.0],
            "ci_high": [11.0, 8.5, 6.0, 7.0],
        }
    )
    fig = plot_comparison(table)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["km", "cost"]
    for ax in visible:
        assert len(ax.patches) == 2  # one bar per variant
        assert [t.get_text() for t in ax.get_xticklabels()] == ["base", "城南"]
