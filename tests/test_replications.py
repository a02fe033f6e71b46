"""Variant comparison: exact t quantiles, mean ± CI, differences paired by seed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from wasteopt.replications import compare_results, format_comparison, mean_ci, t_quantile


@pytest.mark.parametrize(
    ("df", "q975", "q995"),
    # printed Student t tables (two-sided 95 % and 99 %)
    [
        (1, 12.706, 63.657),
        (2, 4.303, 9.925),
        (4, 2.776, 4.604),
        (9, 2.262, 3.250),
        (30, 2.042, 2.750),
        (100, 1.984, 2.626),
    ],
)
def test_t_quantile_matches_printed_tables(df, q975, q995):
    """t quantiles agree with published tables to their three decimals."""
    assert t_quantile(0.975, df) == pytest.approx(q975, abs=5e-4)
    assert t_quantile(0.995, df) == pytest.approx(q995, abs=5e-4)


def test_t_quantile_rejects_bad_arguments():
    """p outside (0.5, 1) and non-positive df are refused."""
    with pytest.raises(ValueError, match="p must"):
        t_quantile(0.4, 3)
    with pytest.raises(ValueError, match="df must"):
        t_quantile(0.975, 0)


def test_mean_ci_by_hand():
    """[1..5]: mean 3, sd sqrt(2.5), half-width t(0.975, 4)·sd/√5; one value has no interval."""
    mean, sd, hw, n = mean_ci([1, 2, 3, 4, 5])
    assert (mean, n) == (3.0, 5) and sd == pytest.approx(math.sqrt(2.5))
    assert hw == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-6)
    m1, sd1, hw1, n1 = mean_ci([7.0, float("nan")])
    assert (m1, n1) == (7.0, 1) and math.isnan(sd1) and math.isnan(hw1)


def _frames(seed_noise: np.ndarray, shift: float) -> dict[str, pd.DataFrame]:
    seeds = np.arange(seed_noise.size)
    rng = np.random.default_rng(1)
    base = pd.DataFrame({"seed": seeds, "km": 100 + seed_noise, "ok": True})
    alt = pd.DataFrame(
        {
            "seed": seeds,
            "km": 100 + shift + seed_noise + rng.normal(0, 0.05, seeds.size),
            "ok": True,
        }
    )
    return {"base": base, "consolidate": alt.iloc[::-1].reset_index(drop=True)}  # shuffled rows


def test_paired_difference_uses_common_seeds():
    """A shift hidden by large shared noise is found by pairing rows on seed (not position)."""
    noise = np.random.default_rng(0).normal(0, 20, 10)
    table = compare_results(_frames(noise, shift=-3.0))
    assert list(table["variant"]) == ["base", "consolidate"]
    assert list(table["kpi"]) == ["km", "km"]  # the bool column "ok" is no KPI
    base, alt = table.iloc[0], table.iloc[1]
    # the means' intervals overlap widely, yet the paired difference is tight around -3
    assert base.ci_low < alt["mean"] < base.ci_high
    assert alt.diff_mean == pytest.approx(-3.0, abs=0.1) and alt.diff_half_width < 0.1
    assert alt.diff_significant and alt.n_pairs == 10
    assert alt.diff_mean == pytest.approx(alt["mean"] - base["mean"])  # all seeds paired
    text = format_comparison(table)
    assert list(text.columns) == ["base", "consolidate", "Δ consolidate"]
    assert text.loc["km", "Δ consolidate"].endswith(" *") and " ± " in text.loc["km", "base"]


def test_only_shared_seeds_are_paired_and_inputs_are_checked():
    """Seeds missing from a variant drop out of the difference; bad inputs raise clearly."""
    frames = _frames(np.arange(6.0), shift=1.0)
    frames["consolidate"] = frames["consolidate"][frames["consolidate"]["seed"] < 4]
    row = compare_results(frames, kpis=["km"]).iloc[1]
    assert row.n == 4 and row.n_pairs == 4
    with pytest.raises(ValueError, match="base variant 'base' is missing"):
        compare_results({"x": frames["base"]})
    with pytest.raises(ValueError, match="appear more than once"):
        compare_results({"base": pd.concat([frames["base"]] * 2)})
    with pytest.raises(ValueError, match="no 'seed' column"):
        compare_results({"base": frames["base"].drop(columns="seed")})
