"""Shared fixtures: the shipped scenario folders, and the tiny scenario loaded with its matrix."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasteopt.generation import Demand, generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    """scenarios/tiny: six points, two streams, one variant (``east``); never edit it."""
    return ROOT / "scenarios" / "tiny"


@pytest.fixture(scope="session")
def jintan_dir() -> Path:
    """scenarios/jintan: the shipped district (690 points, four streams, two variants)."""
    return ROOT / "scenarios" / "jintan"


@pytest.fixture(scope="session")
def tiny_scenario(tiny_dir: Path) -> Scenario:
    """The tiny base scenario, loaded once (scenarios are immutable)."""
    return load_scenario(tiny_dir)


@pytest.fixture(scope="session")
def tiny_matrix(tiny_scenario: Scenario) -> TravelMatrix:
    """The tiny scenario's travel matrix."""
    return build_matrix(tiny_scenario)


@pytest.fixture(scope="session")
def tiny_day0(tiny_scenario: Scenario) -> Demand:
    """One day of tiny demand generated with seed 0."""
    return generate(tiny_scenario, days=1, seed=0)
