"""The KPI registry and the labelled tables: one complete definition per KPI, one printed form,
and no raw id in a table a reader sees."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from wasteopt.reporting.kpis import (
    COST_STAGES,
    KPI_BY_ID,
    KPIS,
    VERDICT_KPIS,
    chart_title,
    format_value,
    heading,
    kpi,
)
from wasteopt.reporting.labels import UNITS_ZH, format_cell, unit_text, value_text
from wasteopt.reporting.tables import kpi_view, reader_view, table_html

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_kpi_is_defined_once_and_completely():
    """Ids are unique snake_case; each KPI has a Chinese and an English label, a known unit, a
    format and one definition sentence."""
    ids = [k.id for k in KPIS]
    assert len(ids) == len(set(ids)) == len(KPI_BY_ID)
    for k in KPIS:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", k.id), k.id
        assert CJK.search(k.zh) and not CJK.search(k.en) and k.en, k.id
        assert k.unit == "" or k.unit in UNITS_ZH, (k.id, k.unit)
        assert k.definition.endswith(".") and len(k.definition) > 20, k.id
        assert k.better in ("lower", "higher", "")


def test_cost_stages_and_verdict_kpis_are_registered_with_a_direction():
    """The five stages and the verdict's KPIs exist; each verdict KPI says which way is
    better, so a verdict can be given."""
    assert len(COST_STAGES) == 5 and all(s in KPI_BY_ID for s in COST_STAGES)
    assert all(kpi(k).better for k in VERDICT_KPIS)
    assert kpi("collected_share_min").better == "higher"
    with pytest.raises(KeyError, match="no KPI 'nope'"):
        kpi("nope")


def test_values_print_one_way():
    """Shares as percentages, tonnes with their decimals, booleans in both languages, a
    missing value as a dash, and no negative zero."""
    assert format_value("plant_utilisation_plan_max", 0.9634) == "96.3\u00a0%"
    assert format_value("facility_cost_cny_per_year", 54_988_749.88) == "54,988,750"
    assert format_value("collected_t_per_day", 664.494) == "664.49"
    assert format_value("routes_clean", True) == "是 yes"
    assert format_value("cost_cny_per_t", math.nan) == "–" and format_value("route_km", None) == "–"
    assert format_cell(-0.0004, "num2") == "0"
    assert format_value("sim_status", "within_tolerance") == "容差内 within tolerance"
    assert value_text("ST-W") == "ST-W"
    assert unit_text("CNY/t") == "元/吨 CNY/t" and unit_text("%") == "%"


def test_heading_names_every_column_or_refuses():
    """A KPI or known column gets ``中文 English (unit)``; an unknown id is a KeyError, so no
    raw id can reach the report."""
    assert heading("truck_km_per_day") == "仿真车公里 Simulated vehicle km (公里/天 km/day)"
    assert heading("site_base") == "原卸点 Unloads at (base)"
    with pytest.raises(KeyError, match="no label for column 'mystery_col'"):
        heading("mystery_col")


def test_kpi_view_marks_each_value_with_its_kpi_and_variant():
    """The KPI table has one row per KPI in registry order with unit and definition, and each
    value cell carries data-kpi and data-variant; an unregistered column comes last, flagged
    (the pipeline test fails on it; a run does not)."""
    kpi_frame = pd.DataFrame(
        {"variant": ["base", "v"], "route_km": [12.345, 10.0], "sim_status": ["complete"] * 2}
    )
    view = kpi_view(kpi_frame)
    assert view.headers == ("指标 KPI", "单位 Unit", "base", "v", "定义 Definition")
    assert [r[0].text for r in view.rows] == [kpi("route_km").label, kpi("sim_status").label]
    cell = view.rows[0][2]
    assert (cell.text, cell.kpi, cell.variant, cell.numeric) == ("12.3", "route_km", "base", True)
    html = table_html(view)
    assert 'data-kpi="route_km" data-variant="v">10.0</td>' in html
    odd = kpi_view(kpi_frame.assign(odd_one=1)).rows[-1]  # shown, flagged, never fatal
    assert odd[0].text == "odd_one" and odd[-1].text == "(not in the KPI registry)"


def test_reader_view_labels_headers_formats_cells_and_names_ids():
    """Headers come from the registry, numbers are formatted, coded values and ids are in
    words, a dropped column is left out, and an unknown column keeps its id."""
    frame = pd.DataFrame(
        {
            "variant": ["east"],
            "term": ["tier1_collection"],
            "delta_cny_per_year": [-62143.69],
            "stream": ["kitchen"],
            "input": ["fuel"],
        }
    )
    view = reader_view(frame, drop=("input",), names={"kitchen": "厨余垃圾 kitchen"})
    assert view.headers[1:3] == ("环节 Stage", "差值 Change (元/年 CNY/yr)")
    assert [c.text for c in view.rows[0]] == [
        "east",
        "一级收集 collection",
        "-62,144",
        "厨余垃圾 kitchen",
    ]
    assert view.rows[0][2].numeric and not view.rows[0][1].numeric
    assert reader_view(pd.DataFrame({"raw_id": [1.5]})).headers == ("raw_id",)  # not fatal


def test_chart_titles_come_from_the_registry():
    """A chart titles a KPI with its labels and unit; a share, plotted as a fraction, says so
    rather than claiming per cent."""
    assert chart_title("truck_km_per_day") == heading("truck_km_per_day")
    title = chart_title("collected_share_min")
    assert (
        title.startswith("收运率(最低流) Service") and "1 = 100 %" in title and "(%)" not in title
    )
