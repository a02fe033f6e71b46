"""The capacity gap chart of a multi-year plan (wasteopt.reporting.years_plot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_facilities_years import horizon_case, solve

from wasteopt.reporting.years_plot import plot_capacity_gap
from wasteopt.scenario import load_scenario


def test_one_panel_per_loaded_plant_with_the_gap_shaded(tmp_path: Path, tiny_dir: Path) -> None:
    """Tiny's two streams and two plants get a panel each, streams first; the WtE panel shades
    the 2027 gap above 3 t/day and draws the plan's capacity rising to 5 t/day."""
    folder = horizon_case(tmp_path, tiny_dir)
    plan = solve(folder)
    fig = plot_capacity_gap(plan, load_scenario(folder))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    titles = [ax.get_title().splitlines()[-1] for ax in panels]
    assert titles == ["stream:kitchen", "stream:other", "FAC-WTE", "FAC-KITCHEN"]
    wte = panels[2]
    plan_line = next(ln for ln in wte.get_lines() if "plan" in str(ln.get_label()))
    assert np.asarray(plan_line.get_ydata()).tolist() == [3.0, 5.0]
    shaded = [c for c in wte.collections if str(c.get_label()).startswith("_")]
    assert shaded, "the gap above the as-is capacity is shaded"
