"""Queueing theory checks of the tipping-bay process the simulation uses (M/M/c, Little's law)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import simpy

from wasteopt.simulation import Bays, Draws, sampler
from wasteopt.simulation.run import EVENT_COLUMNS

C_BAYS = 2
MEAN_UNLOAD_S = 600.0
RHO = 0.6
LAMBDA = RHO * C_BAYS / MEAN_UNLOAD_S  # arrivals per second
ARRIVALS = 40_000
WARMUP = 2_000
REPLICATIONS = 8


def erlang_c_wait_s(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C).

    With offered load a = λ/μ and ρ = a/c < 1 (Gross, Shortle, Thompson & Harris, *Fundamentals
    of Queueing Theory*, 4th ed., Wiley 2008, §2.3; Erlang 1917)::

        P(wait) = (a^c / c!) / (1 − ρ) / [ Σ_{k=0}^{c−1} a^k / k!  +  (a^c / c!) / (1 − ρ) ]
        W_q     = P(wait) / (c·μ − λ)
    """
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1.0 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def _mmc_run(seed: int, n: int = ARRIVALS) -> tuple[list, list]:
    """Poisson arrivals at one site with C_BAYS bays and exponential unload times, through the
    simulation's own :class:`Bays` (open around the clock)."""
    env = simpy.Environment()
    ss_arr, ss_unload = np.random.SeedSequence(seed).spawn(2)
    arrivals = Draws(np.random.default_rng(ss_arr))
    events: list = []
    tips: list = []
    bays = Bays(
        env,
        site="ST",
        bays=C_BAYS,
        unload_s=MEAN_UNLOAD_S,
        open_s=0,
        close_s=86_400,
        sample_unload=sampler("exponential", 1.0, Draws(np.random.default_rng(ss_unload))),
        events=events,
        tips=tips,
    )

    def source():
        for k in range(n):
            yield env.timeout(arrivals.exponential() / LAMBDA)
            env.process(bays.tip(f"truck{k}", "other", 1000.0))

    env.process(source())
    env.run()
    return events, tips


def test_erlang_c_check_formula():
    """The Erlang-C helper reproduces a textbook value (M/M/1: W_q = ρ/(μ − λ))."""
    mu = 1 / 600
    assert erlang_c_wait_s(0.5 * mu, mu, 1) == pytest.approx(0.5 / (mu - 0.5 * mu))


def test_bays_reproduce_erlang_c_mean_wait():
    """A station reduced to M/M/c (Poisson arrivals, exponential unload, c bays) waits on average
    what the Erlang-C formula says, within 5 % over seeded replications."""
    expected = erlang_c_wait_s(LAMBDA, 1.0 / MEAN_UNLOAD_S, C_BAYS)
    means = []
    for r in range(REPLICATIONS):
        _, tips = _mmc_run(1000 + r)
        waits = np.array([t[5] - t[4] for t in tips])[WARMUP:]
        means.append(waits.mean())
    assert np.mean(means) == pytest.approx(expected, rel=0.05)
    assert min(means) < expected < max(means)  # replications scatter around theory


def test_littles_law_on_event_log():
    """On the event log, the time-average number waiting equals arrival rate × mean wait
    (over the whole run, and approximately over a window in the middle)."""
    events, _ = _mmc_run(7, n=20_000)
    log = pd.DataFrame(events, columns=list(EVENT_COLUMNS))
    arr = log[log["kind"] == "tip_arrive"].set_index("vehicle")["time_s"]
    start = log[log["kind"] == "tip_start"].set_index("vehicle")["time_s"]
    assert arr.index.equals(start.index.sort_values()) or set(arr.index) == set(start.index)
    wait = (start - arr.reindex(start.index)).to_numpy()

    # queue length as a step function: +1 at each arrival, −1 at each start of unloading
    steps = pd.concat([pd.Series(1, index=arr.to_numpy()), pd.Series(-1, index=start.to_numpy())])
    steps = steps.groupby(level=0).sum().sort_index()
    times = steps.index.to_numpy()
    count = np.cumsum(steps.to_numpy())
    assert count.min() >= 0 and count[-1] == 0

    def area(t0: float, t1: float) -> float:
        t = np.clip(times, t0, t1)
        return float(np.sum(count[:-1] * np.diff(t)))

    t_end = times[-1]
    lq = area(0.0, t_end) / t_end
    assert lq == pytest.approx(len(arr) / t_end * wait.mean(), rel=1e-9)

    a, b = 0.25 * t_end, 0.75 * t_end
    inside = (arr.reindex(start.index).to_numpy() >= a) & (arr.reindex(start.index).to_numpy() < b)
    lam_w = inside.sum() / (b - a)
    assert area(a, b) / (b - a) == pytest.approx(lam_w * wait[inside].mean(), rel=0.03)
    assert lq > 0.1  # there is queueing to measure
