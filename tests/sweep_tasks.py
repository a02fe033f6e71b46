"""Task functions for tests/test_sweep.py: importable by spawned and Dask worker processes.

Each does real work (load a scenario, generate demand with the seed) so results depend on the
variant, the seed and the scenario files.
"""

from __future__ import annotations

import dataclasses
import os
import time

import pandas as pd

from wasteopt.generation import generate
from wasteopt.scenario import load_scenario


def demand_totals(
    *,
    scenario: str,
    variant: str,
    seed: int,
    days: int = 5,
    noise_cv: float = 0.2,
    sleep_s: float = 0.0,
    log: str | None = None,
) -> pd.DataFrame:
    """Tonnes per day and stream over ``days`` days, plus the open-station count of the variant.

    ``noise_cv`` overrides the scenario's (tiny has none) so the result depends on the seed.
    With ``log``, appends one line ``variant seed pid`` per call (to count calls across processes).
    """
    s = load_scenario(scenario, variant=None if variant == "base" else variant)
    s = dataclasses.replace(s, generation=dataclasses.replace(s.generation, noise_cv=noise_cv))
    totals = generate(s, days=days, seed=seed).totals_t_per_day()
    totals["open_stations"] = len(s.open_stations())
    if sleep_s:
        time.sleep(sleep_s)
    if log:
        # O_APPEND writes of one short line are atomic across processes
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{variant} {seed} {os.getpid()}\n")
    return totals


def fails_for_seed(*, seed: int, bad_seed: int) -> int:
    """Return ``seed * 10``, or raise ``ValueError`` when ``seed == bad_seed``."""
    if seed == bad_seed:
        raise ValueError(f"seed {seed} is cursed")
    return seed * 10
