"""Tests for wasteopt.reporting.target_section: refused.csv, the refusal line, the report's
targets table and notes, and the files a run writes (tiny copy of conftest
``tiny_targets_dir``: P2 non-compliant, the ``refuse`` variant applies 不分类不收运)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from wasteopt.pipeline import Horizon, VariantRun, run_variant
from wasteopt.reporting.target_section import (
    REFUSED_COLUMNS,
    TARGETS_TITLE,
    UNITS_TITLE,
    refusal_lines,
    refused_frame,
    target_report,
    write_target_report,
)
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import load_scenario


@pytest.fixture(scope="module")
def runs(tiny_targets_dir: Path) -> list[VariantRun]:
    """base and refuse, two simulated days each."""
    out = []
    for v in ("base", "refuse"):
        s = load_scenario(tiny_targets_dir, variant=None if v == "base" else v)
        out.append(
            run_variant(
                s, Horizon(days=2, seed=2), routing=RoutingSettings(iterations=50, workers=1)
            )
        )
    return out


def test_refused_points_are_listed_with_their_waste(tiny_targets_dir: Path) -> None:
    """The rule refuses P2 alone: 0.2 t/day kitchen and 0.25 t/day other, named with its town
    in one line that calls it a policy choice; the base refuses nothing."""
    strict = load_scenario(tiny_targets_dir, variant="refuse")
    frame = refused_frame(strict)
    assert frame[["point_id", "town", "district", "stream"]].values.tolist() == [
        ["P2", "S1", "South", "kitchen"],
        ["P2", "S1", "South", "other"],
    ]
    assert frame["t_per_day"].tolist() == pytest.approx([0.2, 0.25])
    assert refusal_lines("refuse", strict) == [
        "refuse: 不分类不收运 (refuse_unsorted) leaves 0.45 t/day uncollected (kitchen 0.20, "
        "other 0.25 t/day) at 1 non-compliant point in 1 town (S1 1); a policy choice, not a "
        "shortfall (refused.csv)"
    ]
    assert refusal_lines("base", load_scenario(tiny_targets_dir)) == []


def test_report_section_tables_and_notes(runs: list[VariantRun]) -> None:
    """The quarters table has a row per variant and target, the units table one per target
    reported below the total (towns split by kind); the notes give the basis, the sources
    and the refusal."""
    report = target_report(runs)
    s, u = report.summary, report.units
    assert len(s) == 10 and report.defined and report.shown
    assert list(report.tables) == [TARGETS_TITLE, UNITS_TITLE]
    row = s[(s["variant"] == "refuse") & (s["目标 target"] == "分出率 ≥ 40.0 %")].iloc[0]
    assert (row["2026Q1"], row["全年 year"], row["达标 met"]) == ("38.8 %", "38.8 %", "no 未达标")
    assert "处理能力 厨余 ≥ 40 t/day" in set(s["目标 target"])
    assert len(u) == 6  # 分出率, 无害化, 达标小区比例 per variant; count and capacity: total only
    unit = u[(u["variant"] == "refuse") & (u["目标 target"] == "分出率 ≥ 40.0 %")].iloc[0]
    assert list(u.columns) == [
        "variant",
        "目标 target",
        "小区 community",
        "街道 street",
        "镇 town",
        "区 district",
        "差距最大 furthest",
    ]
    assert unit.iloc[2:].tolist() == ["5/6", "1/2", "1/1", "1/2", "S1 14.3 %"]
    notes = " ".join(report.notes)
    assert "Basis (base, refuse): expected: the year 2026" in notes
    assert "Sources 来源: 分出率 ≥ 40.0 %: illustrative (test)" in notes
    (line,) = report.refused_lines
    assert line.startswith("refuse: 不分类不收运") and line in notes
    assert report.refused_t_per_day == {"refuse": {"kitchen": 0.2, "other": 0.25}}


def test_files_are_written_whole(runs: list[VariantRun], tmp_path: Path) -> None:
    """targets.csv (every variant) and refused.csv are written; without targets and without
    refusal only an empty refused.csv, and the report needs no section."""
    report = target_report(runs)
    write_target_report(report, lambda name: tmp_path / name)
    table = pd.read_csv(tmp_path / "targets.csv", encoding="utf-8-sig")
    assert set(table["variant"]) == {"base", "refuse"} and table.columns[0] == "variant"
    refused = pd.read_csv(tmp_path / "refused.csv", encoding="utf-8-sig")
    assert list(refused.columns) == list(REFUSED_COLUMNS) and len(refused) == 2

    plain = dataclasses.replace(runs[0], scenario=dataclasses.replace(runs[0].scenario, targets=()))
    empty = target_report([plain])
    (tmp_path / "none").mkdir()
    write_target_report(empty, lambda name: tmp_path / "none" / name)
    assert sorted(p.name for p in (tmp_path / "none").iterdir()) == ["refused.csv"]
    assert not empty.shown and "is off" in empty.notes[-1]
