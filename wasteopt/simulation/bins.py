"""The bins at the collection points when the simulated horizon starts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wasteopt.generation import daily_factors, expected_rates_kg_per_day
from wasteopt.scenario.model import Scenario

__all__ = ["expected_initial_stock"]


def expected_initial_stock(
    scenario: Scenario,
    visits: npt.NDArray[np.int64],
    period: npt.NDArray[np.int64],
    phase: npt.NDArray[np.int64],
    start: np.datetime64,
) -> npt.NDArray[np.float64]:
    """Expected waste per (point, stream) in the bins at ``start``: what built up since the
    pair's last collection before the horizon (the rule of :func:`wasteopt.generation.due_loads`).
    ``visits`` / ``period``: per point and stream; ``phase``: per point (a column)."""
    rates = expected_rates_kg_per_day(scenario)
    out = np.zeros_like(rates)
    max_p = int(period.max())
    if max_p <= 1:
        return out
    # factor of day -j (j = 1..max_p-1) before the start
    before = daily_factors(scenario, start - np.arange(max_p - 1, 0, -1))
    cum = np.concatenate([[0.0], np.cumsum(before[::-1])])  # cum[m]: last m days
    for i in range(rates.shape[0]):
        for k in range(rates.shape[1]):
            per = int(period[i, k])
            if visits[i, k] == 0 or per <= 1:
                continue
            # last due day k0 < 0: (k0 + phase) % per == 0; bins hold days k0+1 .. -1
            m = (int(phase[i, 0]) - 1) % per  # days since then, minus one
            out[i, k] = rates[i, k] * cum[m]
    return out
