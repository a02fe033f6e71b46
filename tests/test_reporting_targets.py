"""Tests for wasteopt.reporting.targets: the gap report of the tiny copy with towns, compliance
and targets (conftest ``tiny_targets_dir``), checked by hand.

Every day tiny generates kitchen 2,100 kg and other 2,800 kg (4,900 kg): P1 … P6 kitchen 100 …
600 kg and other 150 … 650 kg, P7 other 400 kg. P2 (town S1 with P1) is not compliant; the
``refuse`` variant turns the 不分类不收运 rule on, so P2's 200 + 250 kg a day stay behind.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wasteopt.pipeline import Horizon, VariantRun, run_variant
from wasteopt.reporting.targets import YEAR, gap_frame, levels, tonnes
from wasteopt.routing.settings import RoutingSettings
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario

ROUTING = RoutingSettings(iterations=50, workers=1, seed=1)


def _run(folder: Path, variant: str, days: int) -> VariantRun:
    scenario = load_scenario(folder, variant=None if variant == "base" else variant)
    return run_variant(scenario, Horizon(days=days, seed=1), routing=ROUTING)


@pytest.fixture(scope="module")
def runs(tiny_targets_dir: Path) -> dict[str, VariantRun]:
    """base and refuse, three simulated days each (so the expected basis)."""
    return {v: _run(tiny_targets_dir, v, 3) for v in ("base", "refuse")}


def _value(frame: pd.DataFrame, target: str, level: str, unit: str, quarter: str) -> pd.Series:
    sel = frame[
        (frame["target_id"] == target)
        & (frame["level"] == level)
        & (frame["unit_id"] == unit)
        & (frame["quarter"] == quarter)
    ]
    assert len(sel) == 1, (target, level, unit, quarter)
    return sel.iloc[0]


def test_expected_basis_gives_the_hand_computed_rates(runs: dict[str, VariantRun]) -> None:
    """Over the expected year: 分出率 2,100/4,900 (refuse: 1,900/4,900; town S1 100/700),
    无害化 1 (refuse 4,450/4,900), 达标小区 5 of 6, the kitchen plant's 50 t/day."""
    got = {}
    for v, r in runs.items():
        t = tonnes(r.scenario, r.demand, r.simulation)
        assert t.basis == "expected" and t.quarters == ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
        got[v] = gap_frame(r.scenario, t)
    base, refuse = got["base"], got["refuse"]
    assert _value(base, "kitchen_separation", "total", "total", YEAR)["value"] == pytest.approx(
        2100 / 4900, abs=1e-6
    )
    row = _value(refuse, "kitchen_separation", "total", "total", YEAR)
    assert row["value"] == pytest.approx(1900 / 4900, abs=1e-6)
    assert row["gap"] == pytest.approx(0.4 - 1900 / 4900, abs=1e-6) and not row["met"]
    s1 = _value(refuse, "kitchen_separation", "town", "S1", "2026Q3")
    assert s1["value"] == pytest.approx(100 / 700, abs=1e-6) and s1["town_kind"] == "street"
    assert _value(base, "harmless_treatment", "total", "total", YEAR)["value"] == pytest.approx(1)
    assert _value(refuse, "harmless_treatment", "total", "total", YEAR)["value"] == pytest.approx(
        4450 / 4900, abs=1e-6
    )
    share = _value(base, "compliant_share", "total", "total", "2026Q2")
    assert (share["numerator"], share["denominator"]) == (5, 6) and not share["met"]
    assert _value(base, "compliant_communities", "total", "total", YEAR)["value"] == 5
    cap = _value(base, "treatment_capacity.kitchen_waste_plant", "total", "total", YEAR)
    assert cap["value"] == 50 and cap["gap"] == -10 and cap["met"]


def test_levels_keep_the_units_and_drop_a_repeated_grouping(
    runs: dict[str, VariantRun], tiny_scenario: Scenario
) -> None:
    """The copy has six communities (P7 serves no residents), three towns of given kinds, two
    districts and the total; plain tiny, whose district names the town, has no district level."""
    kept = levels(runs["base"].scenario)
    assert list(kept) == ["community", "town", "district", "total"]
    assert kept["community"].ids == ("P1", "P2", "P3", "P4", "P5", "P6")
    assert kept["community"].codes[-1] == -1
    assert dict(zip(kept["town"].ids, kept["town"].kinds, strict=True)) == {
        "S1": "street",
        "S2": "town",
        "N1": "street",
    }
    assert kept["district"].ids == ("South", "North")
    assert list(levels(tiny_scenario)) == ["community", "town", "total"]


def test_rows_carry_quarters_year_and_trend(runs: dict[str, VariantRun]) -> None:
    """Each unit has four quarters and the year: the year's tonnes are the quarters' sum, the
    first quarter and the year have no trend, later quarters the change (0 here: constant
    sorting), and units without waste (P7 has no community row) are left out."""
    r = runs["base"]
    frame = gap_frame(r.scenario, tonnes(r.scenario, r.demand, r.simulation))
    one = frame[(frame["target_id"] == "kitchen_separation") & (frame["unit_id"] == "P4")]
    assert list(one["quarter"]) == ["2026Q1", "2026Q2", "2026Q3", "2026Q4", YEAR]
    assert one["numerator"].iloc[-1] == pytest.approx(one["numerator"].iloc[:4].sum(), abs=0.01)
    assert one["trend"].isna().tolist() == [True, False, False, False, True]
    assert np.allclose(one["trend"].iloc[1:4], 0.0)
    assert "P7" not in set(frame.loc[frame["level"] == "community", "unit_id"])
    assert str(one["start"].iloc[0]) == "2026-01-01" and str(one["end"].iloc[-1]) == "2026-12-31"


def test_a_year_of_simulated_days_is_measured_from_the_simulation(tiny_targets_dir: Path) -> None:
    """With 366 simulated days the tonnes come from the simulation's records: per stream they
    add up to its daily generated and collected tonnes, over five calendar quarters."""
    r = _run(tiny_targets_dir, "refuse", 366)
    t = tonnes(r.scenario, r.demand, r.simulation)
    assert t.basis == "simulated" and len(t.quarters) == 5
    daily = r.simulation.daily.groupby("stream", sort=False)[["generated_t", "collected_t"]].sum()
    for s, sid in enumerate(r.scenario.stream_ids):
        assert t.generated_t[:, :, s].sum() == pytest.approx(daily.loc[sid, "generated_t"])
        assert t.collected_t[:, :, s].sum() == pytest.approx(daily.loc[sid, "collected_t"])
    p2 = [p.id for p in r.scenario.points].index("P2")
    assert t.collected_t[:, p2, :].sum() == 0 and t.generated_t[:, p2, :].sum() > 0
