"""The HTML report: one self-contained UTF-8 file whose tables and figures render in a browser
without any network request or console error."""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from wasteopt.reporting.html import render_html_report, write_html_report
from wasteopt.reporting.plots import plot_utilisation, save_figure

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _kpi() -> pd.DataFrame:
    return pd.DataFrame(
        {"站点 site": ["西站", "焚烧厂"], "t_per_day": [12.5, 40.25], "vehicles": [3, 7]}
    )


def _line_figure() -> Figure:
    fig = Figure(figsize=(4, 3))
    fig.add_subplot().plot([0, 1, 2], [1, 3, 2])
    return fig


@pytest.fixture(scope="module")
def report(tmp_path_factory, tiny_scenario) -> Path:
    """A report with a KPI table, an SVG figure, a PNG figure and a PNG file."""
    scenario = tiny_scenario
    out = tmp_path_factory.mktemp("html")
    util = plot_utilisation({"ST-W": 1.2, "FAC-WTE": 0.3}, scenario)
    png_file, _ = save_figure(_line_figure(), out / "line", formats=("png", "svg"))
    return write_html_report(
        out / "report.html",
        title="金坛区收运 KPI <report>",
        kpi_tables={"设施 Facilities": _kpi()},
        figures={"利用率 utilisation": util, "line (file)": png_file},
        notes=["第一段 <script>alert(1)</script>", "second"],
        subtitle="tiny / base",
    )


def test_report_is_self_contained(report):
    """No scripts, no external URLs, inline CSS, a CSP forbidding network access, UTF-8."""
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    assert "default-src 'none'" in text
    assert "<script" not in text  # the note's <script> is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert "@import" not in text and "url(http" not in text
    assert "<link" not in text
    assert text.count("<svg") == 1 and text.count('src="data:image/png;base64,') == 1
    assert "金坛区收运 KPI &lt;report&gt;" in text


def test_table_values_and_png_embedding():
    """Numbers are right-aligned and formatted; figures may be embedded as base64 PNG."""
    text = render_html_report(
        title="t", kpi_tables={"k": _kpi()}, figures={"f": _line_figure()}, figure_format="png"
    )
    assert '<td class="num">40.25</td>' in text and "<td>西站</td>" in text
    payload = re.search(r'src="data:image/png;base64,([^"]+)"', text).group(1)
    assert base64.b64decode(payload).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="figure_format"):
        render_html_report(
            title="t", kpi_tables={}, figures={"f": _line_figure()}, figure_format="gif"
        )


def test_table_notes_show_under_their_heading_above_the_table():
    """A table's notes are escaped paragraphs between its heading and the table; a note for
    a table that is not in the report is refused."""
    text = render_html_report(
        title="t",
        kpi_tables={"k": _kpi(), "other": _kpi()},
        figures={},
        table_notes={"k": ["base: costs <1> CNY", "east: nothing"]},
    )
    section = re.search(r'<section id="table-k">(.*?)</section>', text, re.S).group(1)
    assert re.match(
        r'<h2>k</h2><p class="table-note">base: costs &lt;1&gt; CNY</p>'
        r'<p class="table-note">east: nothing</p><div class="table-wrap"><table',
        section,
    )
    assert text.count('class="table-note"') == 2
    with pytest.raises(ValueError, match="table_notes name no table: 'missing'"):
        render_html_report(title="t", kpi_tables={}, figures={}, table_notes={"missing": ["x"]})


def test_report_renders_in_headless_chromium(report, tmp_path):
    """Chromium shows the KPI table and both figures with no console error and no request
    other than the file itself; a screenshot is taken."""
    exe = _chromium()
    if exe is None:
        missing = "chromium is not installed: `make system-deps-test` (as root) installs it"
        if os.environ.get("CI"):  # CI runs `make test`, which installs it: never skip there
            pytest.fail(f"{missing}; CI must run this test")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    requests: list[str] = []
    shot = tmp_path / "report.png"
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=exe,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = ctx.new_page()
            page.on(
                "console",
                lambda m: (
                    console.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            rows = page.locator("table.kpi tbody tr")
            assert rows.count() == 2
            assert rows.nth(0).locator("td").nth(0).inner_text() == "西站"
            svg_box = page.locator("figure svg").first.bounding_box()
            assert svg_box is not None and svg_box["width"] > 200 and svg_box["height"] > 100
            widths = page.evaluate(
                "[...document.querySelectorAll('figure img')].map(i => i.naturalWidth)"
            )
            assert widths and all(w > 100 for w in widths)
            assert page.title() == "金坛区收运 KPI <report>"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            ctx.close()
    assert console == []
    assert requests == [report.as_uri()]
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
