"""Tests of the Nanjing-like city: its seeded generator ``scenarios/nanjing/build_city.py`` (run
as the script it is, at 500 points) and the committed 20,000-point tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wasteopt.cli import main
from wasteopt.generation import expected_rates_kg_per_day, generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.scenario import load_scenario, validate_scenario
from wasteopt.scenario.model import Scenario

ROOT = Path(__file__).resolve().parent.parent
NANJING = ROOT / "scenarios" / "nanjing"
BUILD = NANJING / "build_city.py"
FILES = (
    "scenario.toml",
    "points.csv",
    "depots.csv",
    "stations.csv",
    "facilities.csv",
    "vehicle_types.csv",
    "plant_outages.csv",
    "residues.csv",
    "years.csv",
    "builds.csv",
)
SMALL, FULL = 500, 20_000
HOUSEHOLD = ("kitchen", "recyclable", "hazardous", "other")
# Targets (scenarios/nanjing/README.md): 9.315 M residents and > 8,000 t/day of household
# waste for the full city, scaled by points; catering plants of 1,450 t/day at any size.
FULL_RESIDENTS = 9_315_000
HOUSEHOLD_T_FULL = (8_000.0, 8_300.0)
CATERING_CAPACITY_T = 1450.0
NIGHT_SHIFT = (20 * 3600, 26 * 3600)
NIGHT_WINDOW = (20 * 3600 + 1800, 25 * 3600 + 1800)
VISIT_PEAK = 2.2  # the worst day's visit ÷ the mean (Spring Festival × the largest noise draw)


def build(out: Path, points: int = SMALL, seed: int = 1) -> subprocess.CompletedProcess[str]:
    """Run the generator as documented (a script beside its modules) into ``out``."""
    args = ["--points", str(points), "--seed", str(seed), "--out", str(out)]
    return subprocess.run(
        [sys.executable, str(BUILD), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 500-point city built with seed 1."""
    out = tmp_path_factory.mktemp("nanjing") / "city"
    done = build(out)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def small(small_dir: Path) -> Scenario:
    """The 500-point city, loaded."""
    return load_scenario(small_dir)


def household_t(s: Scenario) -> float:
    """Mean t/day of the four household streams (catering excluded)."""
    rates = expected_rates_kg_per_day(s)
    cols = [i for i, x in enumerate(s.streams) if x.id in HOUSEHOLD]
    return float(rates[:, cols].sum()) / 1000


def catering_capacity(s: Scenario) -> float:
    return sum(f.capacity_t_per_day for f in s.facilities if "catering" in f.streams)


def test_small_city_validates(small_dir: Path, small: Scenario) -> None:
    """The generated 500-point city loads, has no problem and passes ``wasteopt validate``."""
    assert len(small.points) == SMALL
    assert validate_scenario(small) == ()
    assert main(["validate", str(small_dir)]) == 0


def test_same_seed_gives_the_same_bytes(small_dir: Path, tmp_path: Path) -> None:
    """A second build with seed 1 writes byte-identical files; seed 2 draws another city."""
    assert build(tmp_path / "again").returncode == 0
    for name in FILES:
        assert (tmp_path / "again" / name).read_bytes() == (small_dir / name).read_bytes(), name
    assert build(tmp_path / "other", seed=2).returncode == 0
    other = (tmp_path / "other" / "points.csv").read_bytes()
    assert other != (small_dir / "points.csv").read_bytes()


def test_totals_scale_with_points(small: Scenario) -> None:
    """Residents and household t/day are the full city's × 500/20,000; catering plants keep
    their published 1,450 t/day and exceed the catering waste (0.1 kg per resident)."""
    f = SMALL / FULL
    residents = sum(p.residents or 0 for p in small.points)
    assert residents == round(FULL_RESIDENTS * f)
    lo, hi = HOUSEHOLD_T_FULL
    assert lo * f <= household_t(small) <= hi * f
    rates = expected_rates_kg_per_day(small)
    catering = rates[:, [x.id for x in small.streams].index("catering")].sum() / 1000
    assert catering == pytest.approx(0.1 * residents / 1000, rel=1e-3)
    assert catering_capacity(small) == CATERING_CAPACITY_T


def test_catering_is_collected_only_by_night_catering_vehicles(small: Scenario) -> None:
    """Catering points generate only catering waste, in the night window; day 0's catering
    routing problem holds exactly them with night catering fleets, and no other stream's
    problem calls at them."""
    ids = [x.id for x in small.streams]
    rates = expected_rates_kg_per_day(small)
    cat = ids.index("catering")
    caterers = {p.id for p, r in zip(small.points, rates, strict=True) if r[cat] > 0}
    assert len(caterers) == round(SMALL * 0.125) + round(SMALL * 0.02)  # restaurants, canteens
    payload = min(v.payload_kg for v in small.vehicle_types if v.stream == "catering")
    for p, r in zip(small.points, rates, strict=True):
        if p.id in caterers:
            assert np.count_nonzero(r) == 1, p.id  # catering only
            assert p.window("catering") == NIGHT_WINDOW, p.id
            assert r[cat] * VISIT_PEAK <= payload, p.id  # the worst day fits one truck
    matrix, demand = build_matrix(small), generate(small, days=1, seed=0)
    problem = build_problem(small, demand, 0, "catering", matrix)
    assert {s.id for s in problem.stops} == caterers
    assert problem.fleets and all(
        (f.shift_start_s, f.shift_end_s) == NIGHT_SHIFT for f in problem.fleets
    )
    depots = {d.id: d for d in small.depots}
    for f in problem.fleets:  # the licensed collector's yard is open through the night
        assert depots[f.depot].open_s <= NIGHT_SHIFT[0] and depots[f.depot].close_s >= 26 * 3600
    for stream in HOUSEHOLD:
        stops = build_problem(small, demand, 0, stream, matrix).stops
        assert not caterers & {s.id.split("~")[0] for s in stops}, stream
    plants = [f for f in small.facilities if "catering" in f.streams]
    assert all(f.streams == ("catering",) for f in plants)  # no mixed treatment either


def test_bad_point_count_is_refused_without_output(tmp_path: Path) -> None:
    """--points below 200 exits 2 with a message naming the option and writes nothing."""
    done = build(tmp_path / "none", points=50)
    assert done.returncode == 2
    assert "--points" in done.stderr and "got 50" in done.stderr
    assert not (tmp_path / "none").exists()


def test_committed_city_is_the_full_size_build(tmp_path: Path) -> None:
    """scenarios/nanjing holds the 20,000-point build of seed 1 byte for byte, a few MB on
    disk, with 9.315 M residents, > 8,000 t/day of household waste and 1,450 t/day of
    catering plants."""
    assert build(tmp_path / "full", points=FULL).returncode == 0
    for name in FILES:
        assert (tmp_path / "full" / name).read_bytes() == (NANJING / name).read_bytes(), name
    assert sum((NANJING / name).stat().st_size for name in FILES) < 3_000_000
    city = load_scenario(NANJING)
    assert len(city.points) == FULL
    assert sum(p.residents or 0 for p in city.points) == FULL_RESIDENTS
    lo, hi = HOUSEHOLD_T_FULL
    assert lo <= household_t(city) <= hi
    assert catering_capacity(city) == CATERING_CAPACITY_T
