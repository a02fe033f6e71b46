"""Tests for wasteopt.reporting.html: every name from a scenario is HTML-escaped (issue 13)."""

from __future__ import annotations

import re

import pandas as pd
from matplotlib.figure import Figure

from wasteopt.reporting.html import render_html_report

HOSTILE = '<script>alert("x")</script> & Co'
COMMENT_BREAK = "--><img src=x onerror=alert(1)><!--"


def _figure() -> Figure:
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.bar([COMMENT_BREAK, "B & <b>"], [1, 2])
    ax.set_title(HOSTILE)
    return fig


def test_hostile_names_are_escaped_everywhere() -> None:
    """Names with <script>, & and a comment break stay text in the title, subtitle, notes,
    table names, headers, cells, figure names and the inline SVG: no tag of theirs survives."""
    table = pd.DataFrame({HOSTILE: ["站 & 厂", COMMENT_BREAK], "t": [1.5, -2.0]})
    for fmt in ("svg", "png"):
        page = render_html_report(
            title=HOSTILE,
            subtitle=HOSTILE,
            notes=[HOSTILE, COMMENT_BREAK],
            kpi_tables={HOSTILE: table},
            figures={HOSTILE: _figure()},
            figure_format=fmt,
        )
        assert "<script" not in page.lower()
        assert not re.search(r"<img\s+src=x", page)
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
        assert "站 &amp; 厂" in page
        assert page.count("<body>") == 1 and page.rstrip().endswith("</html>")
