"""Tests for wasteopt.generation: base rates, daily factors, noise, Demand and due loads.

Statistical tests are seeded (deterministic) but their tolerances are 5 standard errors derived
from the model, so they would also pass for almost every other seed (false-alarm rate < 1e-6).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import pickle

import numpy as np
import pandas as pd
import pytest

from wasteopt.errors import ScenarioError
from wasteopt.generation import (
    Demand,
    bin_shares,
    collection_schedule,
    daily_factors,
    due_loads,
    expected_rates_kg_per_day,
    generate,
)
from wasteopt.scenario.model import (
    CollectionPoint,
    GenerationSettings,
    Holiday,
    Missort,
    PlanningSettings,
    Scenario,
    Stream,
)

START = dt.date(2025, 3, 3)  # a Monday


def _stream(sid: str, share: float, capture: float = 1.0, freq: str = "daily") -> Stream:
    return Stream(
        id=sid,
        name_en=sid,
        name_zh=sid,
        color="#000000",
        density_kg_per_m3=200.0,
        share=share,
        capture_rate=capture,
        default_frequency=freq,
    )


STREAMS = (
    _stream("kitchen", 0.40, 0.80),
    _stream("recyclable", 0.20, 0.90, "every_other_day"),
    _stream("hazardous", 0.005, 1.0, "weekly"),
    _stream("other", 0.395, 1.0),
)


def _point(
    i: int,
    *,
    residents: int | None = 1000,
    households: int | None = None,
    kg_per_day: dict | None = None,
    frequency: dict | None = None,
    phase: int = 0,
) -> CollectionPoint:
    return CollectionPoint(
        id=f"P{i}",
        name=f"point {i}",
        lon=116.3,
        lat=39.9,
        district="d",
        residents=residents,
        households=households,
        kg_per_day=kg_per_day or {},
        frequency=frequency or {},
        service_time_s=60,
        tw_start_s=0,
        tw_end_s=86400,
        phase=phase,
    )


def _scenario(points=None, streams=STREAMS, **gen) -> Scenario:
    settings = {"start_date": START, "kg_per_person_day": 1.0, "noise_cv": 0.0, **gen}
    return Scenario(
        id="t",
        name="t",
        description="",
        folder=".",
        streams=streams,
        points=tuple(points if points is not None else [_point(0)]),
        depots=(),
        stations=(),
        facilities=(),
        vehicle_types=(),
        generation=GenerationSettings(**settings),
    )


def _many(n: int, **kw) -> list[CollectionPoint]:
    return [_point(i, residents=500 + 10 * i, **kw) for i in range(n)]


# -- base rates -------------------------------------------------------------------------------


def test_bin_shares_hand_computed():
    """Capture, an explicit missort rule and the rest-to-other rule give the hand values."""
    sc = _scenario(missorting=(Missort(from_stream="kitchen", to_stream="recyclable", share=0.05),))
    # kitchen 0.4·0.8; recyclable 0.2·0.9 + 0.4·0.05; hazardous 0.005;
    # other 0.395 + 0.4·(1 − 0.8 − 0.05) + 0.2·(1 − 0.9)
    np.testing.assert_allclose(bin_shares(sc), [0.32, 0.20, 0.005, 0.475], rtol=1e-12)


def test_mass_conservation_with_capture_below_one():
    """Summed over streams, each point's rate is residents × kg/person/day × scale."""
    pts = [
        _point(0, residents=1234),
        _point(1, residents=None, households=400),
        _point(2, residents=0),
    ]
    sc = _scenario(
        pts,
        kg_per_person_day=0.9,
        persons_per_household=2.5,
        scale=1.1,
        missorting=(
            Missort(from_stream="recyclable", to_stream="kitchen", share=0.04),
            Missort(from_stream="kitchen", to_stream="hazardous", share=0.01),
        ),
    )
    rates = expected_rates_kg_per_day(sc)
    np.testing.assert_allclose(rates.sum(axis=1), [1234 * 0.99, 1000 * 0.99, 0.0], rtol=1e-12)
    assert rates[0, 0] == pytest.approx(1234 * 0.9 * 1.1 * (0.4 * 0.8 + 0.2 * 0.04))


def test_without_other_stream_remainder_stays_in_own_stream():
    """With no `other` stream, uncaptured waste stays in its own stream; mass is conserved."""
    streams = (_stream("kitchen", 0.6, 0.7), _stream("residual", 0.4, 0.5))
    sc = _scenario(
        streams=streams,
        missorting=(Missort(from_stream="kitchen", to_stream="residual", share=0.1),),
    )
    # kitchen: 0.6·0.7 + rest 0.6·0.2; residual: 0.4·0.5 + 0.6·0.1 + rest 0.4·0.5
    np.testing.assert_allclose(bin_shares(sc), [0.54, 0.46], rtol=1e-12)


def test_impossible_missorting_is_reported():
    """Capture plus missorting above 1, and unknown streams, are named in one ScenarioError."""
    sc = _scenario(
        missorting=(
            Missort(from_stream="kitchen", to_stream="other", share=0.3),
            Missort(from_stream="glass", to_stream="other", share=0.1),
        )
    )
    with pytest.raises(ScenarioError) as err:
        bin_shares(sc)
    text = str(err.value)
    assert "stream kitchen" in text and "1.1" in text
    assert "'glass'" in text


def test_explicit_rates_override_and_are_not_redistributed():
    """An explicit kg_per_day replaces the per-capita rate for that stream only (× scale)."""
    pts = [_point(0), _point(1, kg_per_day={"kitchen": 123.0, "hazardous": 0.0})]
    rates = expected_rates_kg_per_day(_scenario(pts, scale=2.0))
    assert rates[1, 0] == pytest.approx(246.0)
    assert rates[1, 2] == 0.0
    assert rates[1, 1] == pytest.approx(rates[0, 1])
    assert rates[1, 3] == pytest.approx(rates[0, 3])
    with pytest.raises(ScenarioError, match=r"kg_per_day\.glass"):
        expected_rates_kg_per_day(_scenario([_point(0, kg_per_day={"glass": 1.0})]))


# -- daily factors ----------------------------------------------------------------------------


def test_cv_zero_gives_exact_rates_times_factors():
    """With cv = 0 every cell is exactly rate × weekday × month × holiday factor."""
    wf = (1.0, 1.1, 0.9, 1.0, 1.2, 1.5, 0.8)
    mf = tuple(1.0 + 0.01 * m for m in range(12))
    hol = (
        Holiday(name="a", start=dt.date(2025, 3, 10), days=3, factor=1.3),
        Holiday(name="b", start=dt.date(2025, 3, 12), days=2, factor=2.0),
    )
    sc = _scenario(_many(5), weekday_factors=wf, month_factors=mf, holidays=hol)
    d = generate(sc, days=40, seed=1)
    rates = expected_rates_kg_per_day(sc)
    for i, date in enumerate(d.dates):
        f = wf[date.weekday()] * mf[date.month - 1]
        f *= 1.3 if dt.date(2025, 3, 10) <= date <= dt.date(2025, 3, 12) else 1.0
        f *= 2.0 if dt.date(2025, 3, 12) <= date <= dt.date(2025, 3, 13) else 1.0
        np.testing.assert_allclose(d.kg[i], rates * f, rtol=1e-12)
    assert d.dates[0] == START and d.dates[-1] == START + dt.timedelta(days=39)


def test_daily_factors_weekday_month_holiday_ratios():
    """Weekday, month and holiday factors multiply into the daily factor."""
    wf = (1.0, 1.0, 1.0, 1.0, 1.0, 1.4, 0.7)
    mf = (1.0, 1.2) + (1.0,) * 10
    hol = (Holiday(name="spring", start=dt.date(2025, 1, 29), days=2, factor=1.5),)
    sc = _scenario(weekday_factors=wf, month_factors=mf, holidays=hol)
    dates = np.datetime64("2025-01-27") + np.arange(14)  # Mon 27 Jan … Sun 9 Feb
    f = daily_factors(sc, dates)
    assert f[0] == 1.0  # Monday in January
    assert f[2] == f[3] == 1.5  # holiday Wed/Thu
    assert f[5] == pytest.approx(1.4 * 1.2) and f[6] == pytest.approx(0.7 * 1.2)  # 1-2 Feb
    assert f[5] / f[12] == pytest.approx(1.0)  # both Saturdays in February
    assert f[4] == pytest.approx(1.0) and f[7] == pytest.approx(1.2)  # Fri Jan, Mon Feb


def test_weekday_means_match_factors_under_noise():
    """Under noise, per-weekday means over many points match rate × weekday factor."""
    wf = (1.0, 0.9, 1.0, 1.1, 1.0, 1.5, 0.6)
    cv = 0.2
    sc = _scenario(_many(100), weekday_factors=wf, noise_cv=cv)
    d = generate(sc, days=70, seed=11)
    ratio = d.kg / expected_rates_kg_per_day(sc)[None]  # ε × factor
    weekday = np.array([x.weekday() for x in d.dates])
    for w in range(7):
        sample = ratio[weekday == w]
        tol = 5 * wf[w] * cv / math.sqrt(sample.size)
        assert abs(sample.mean() - wf[w]) < tol


# -- noise ------------------------------------------------------------------------------------


def test_noise_is_lognormal_with_mean_one_and_configured_cv():
    """ln ε has mean −σ²/2 and variance σ² = ln(1+cv²); ε has mean 1 (5-SE tolerances)."""
    cv = 0.3
    sc = _scenario(_many(50), noise_cv=cv)
    d = generate(sc, days=200, seed=2024)
    eps = d.kg / expected_rates_kg_per_day(sc)[None]
    n = eps.size
    sigma2 = math.log1p(cv * cv)
    logs = np.log(eps)
    assert abs(logs.mean() + sigma2 / 2) < 5 * math.sqrt(sigma2 / n)
    assert abs(logs.var(ddof=1) - sigma2) < 5 * sigma2 * math.sqrt(2 / (n - 1))
    assert abs(eps.mean() - 1.0) < 5 * cv / math.sqrt(n)
    assert eps.std() / eps.mean() == pytest.approx(cv, rel=0.05)
    # independent per stream: correlation between two streams' noise is ~0
    corr = np.corrcoef(logs[:, :, 0].ravel(), logs[:, :, 3].ravel())[0, 1]
    assert abs(corr) < 5 / math.sqrt(eps[:, :, 0].size)


def test_same_seed_same_demand_other_seed_differs():
    """A seed fixes the demand; another seed gives another draw."""
    sc = _scenario(_many(10), noise_cv=0.15)
    a, b = generate(sc, days=30, seed=7), generate(sc, days=30, seed=7)
    c = generate(sc, days=30, seed=8)
    assert np.array_equal(a.kg, b.kg)
    assert a.seed == 7
    assert not np.allclose(a.kg, c.kg)


def test_start_argument_overrides_start_date():
    """`start` moves the horizon and the factors follow the dates."""
    sc = _scenario(weekday_factors=(2.0, 1, 1, 1, 1, 1, 1))
    d = generate(sc, days=3, seed=0, start=dt.date(2025, 3, 9))  # Sunday, Monday, Tuesday
    assert d.dates[0] == dt.date(2025, 3, 9)
    totals = d.kg.sum(axis=(1, 2))
    assert totals[1] == pytest.approx(2 * totals[0])
    with pytest.raises(ValueError):
        generate(sc, days=0, seed=0)


# -- Demand -----------------------------------------------------------------------------------


def test_demand_read_only_and_views():
    """Demand.kg and day(i) cannot be written; day(i) is the i-th slice."""
    d = generate(_scenario(_many(3), noise_cv=0.1), days=4, seed=3)
    with pytest.raises(ValueError):
        d.kg[0, 0, 0] = 1.0
    with pytest.raises(ValueError):
        d.day(2)[0, 0] = 1.0
    assert np.array_equal(d.day(2), d.kg[2])
    assert d.kg.dtype == np.float64
    with pytest.raises(ValueError, match="shape"):
        Demand(dates=d.dates, point_ids=d.point_ids, stream_ids=("x",), kg=d.kg, seed=3)


def test_to_frame_and_totals():
    """to_frame is long with one row per cell; totals are tonnes per date and stream."""
    d = generate(_scenario(_many(3), noise_cv=0.1), days=2, seed=3)
    f = d.to_frame()
    assert list(f.columns) == ["date", "point_id", "stream", "kg"]
    assert len(f) == 2 * 3 * 4
    row = f[(f.point_id == "P1") & (f.stream == "hazardous") & (f.date == "2025-03-04")]
    assert row.kg.item() == d.kg[1, 1, 2]
    t = d.totals_t_per_day()
    assert list(t.columns) == list(d.stream_ids)
    assert t.loc["2025-03-03", "other"] == pytest.approx(d.kg[0, :, 3].sum() / 1000)


@pytest.mark.parametrize("name", ["demand.csv", "demand.parquet"])
def test_write_round_trip_atomic(tmp_path, name):
    """write() produces a shareable (0644) file equal to to_frame() and leaves no temp file."""
    d = generate(_scenario(_many(3), noise_cv=0.1), days=3, seed=5)
    path = d.write(tmp_path / name)
    back = pd.read_csv(path) if name.endswith(".csv") else pd.read_parquet(path)
    assert len(back) == d.kg.size
    np.testing.assert_allclose(back["kg"].to_numpy(), d.kg.reshape(-1), rtol=1e-12)
    assert str(back["date"].iloc[0])[:10] == "2025-03-03"
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert path.stat().st_mode & 0o777 == 0o644
    with pytest.raises(ValueError):
        d.write(tmp_path / "demand.xlsx")


# -- due loads --------------------------------------------------------------------------------


def test_due_loads_weekly_point_collects_seven_days():
    """A weekly point's load is exactly the demand of the last 7 days (in-horizon)."""
    pts = [
        _point(0, frequency={"hazardous": "weekly"}, phase=4),  # due on days 3, 10, 17
        _point(1, frequency={"hazardous": "weekly"}, phase=5),
    ]  # due on days 2, 9, 16
    sc = _scenario(pts, noise_cv=0.2)
    d = generate(sc, days=21, seed=9)
    ids, kg, visits = due_loads(sc, d, 10, "hazardous")
    assert ids == ("P0",)
    assert kg[0] == pytest.approx(d.kg[4:11, 0, 2].sum(), rel=1e-12)
    assert visits.tolist() == [1]
    due_days = [k for k in range(21) if "P1" in due_loads(sc, d, k, "hazardous")[0]]
    assert due_days == [2, 9, 16]


def test_due_loads_weekly_mean_is_seven_days_of_waste():
    """Over many weekly points, the mean load is 7 × the daily rate (5-SE tolerance)."""
    cv = 0.15
    pts = [_point(i, residents=800, frequency={"other": "weekly"}, phase=4) for i in range(300)]
    sc = _scenario(pts, noise_cv=cv)
    d = generate(sc, days=14, seed=21)
    ids, kg, _ = due_loads(sc, d, 10, "other")
    assert len(ids) == 300
    seven = 7 * expected_rates_kg_per_day(sc)[:, 3]
    assert abs((kg / seven).mean() - 1.0) < 5 * cv / math.sqrt(7 * 300)


def test_due_loads_before_horizon_uses_expected_rate_and_factors():
    """Days before the start count at rate × factor of those dates, without noise."""
    wf = (1.0, 1.2, 0.8, 1.0, 1.1, 1.6, 0.5)
    pts = [_point(0, frequency={"other": "weekly"}, phase=5)]  # first due on day 2 (Wednesday)
    sc = _scenario(pts, weekday_factors=wf, noise_cv=0.3)
    d = generate(sc, days=7, seed=4)
    ids, kg, _ = due_loads(sc, d, 2, "other")
    rate = expected_rates_kg_per_day(sc)[0, 3]
    before = rate * (wf[3] + wf[4] + wf[5] + wf[6])  # Thu..Sun before Monday's start
    assert ids == ("P0",)
    assert kg[0] == pytest.approx(d.kg[0:3, 0, 3].sum() + before, rel=1e-12)


def test_due_loads_visits_default_and_none():
    """twice_daily splits the day over 2 visits; `none` is never due; missing → stream default."""
    pts = [
        _point(0, frequency={"kitchen": "twice_daily"}),
        _point(1, frequency={"kitchen": "none"}),
        _point(2),
    ]  # no entry: kitchen default is daily
    sc = _scenario(pts, noise_cv=0.1)
    d = generate(sc, days=3, seed=6)
    ids, kg, visits = due_loads(sc, d, 1, "kitchen")
    assert ids == ("P0", "P2")
    assert visits.tolist() == [2, 1]
    np.testing.assert_allclose(kg, [d.kg[1, 0, 0] / 2, d.kg[1, 2, 0]], rtol=1e-12)
    with pytest.raises(IndexError):
        due_loads(sc, d, 3, "kitchen")
    with pytest.raises(KeyError):
        due_loads(sc, d, 0, "glass")
    other = dataclasses.replace(sc, points=sc.points[:2])
    with pytest.raises(ValueError):
        due_loads(other, d, 0, "kitchen")


def test_point_generating_nothing_of_a_stream_is_never_due_for_it():
    """A point whose rate of a stream is 0 (an explicit 0, or blank without residents) has 0
    visits for that stream and is never due for it, whatever its frequency; it stays due for
    the streams it generates."""
    pts = [
        _point(0, residents=None, kg_per_day={"kitchen": 0.0, "other": 50.0}),
        _point(1, residents=None, kg_per_day={"other": 20.0}, frequency={"kitchen": "daily"}),
        _point(2),
    ]
    sc = _scenario(pts)
    d = generate(sc, days=7, seed=0)
    visits, _, _ = collection_schedule(sc, "kitchen")
    assert visits.tolist() == [0, 0, 1]
    assert all(due_loads(sc, d, k, "kitchen")[0] == ("P2",) for k in range(7))
    assert due_loads(sc, d, 0, "other")[0] == ("P0", "P1", "P2")
    assert due_loads(sc, d, 0, "hazardous")[0] == ("P2",)  # weekly, phase 0: due on day 0


def test_point_refused_by_the_unsorted_rule_is_never_due_but_still_generates():
    """With refuse_unsorted on, a point not compliant has 0 visits for every stream and is in no
    due set, while its waste is still generated; with the rule off it is collected as usual."""
    pts = [_point(0), dataclasses.replace(_point(1), compliant=False), _point(2)]
    off = _scenario(pts)
    on = dataclasses.replace(off, planning=PlanningSettings(refuse_unsorted=True))
    for sid in off.stream_ids:
        assert collection_schedule(off, sid)[0][1] > 0
        assert collection_schedule(on, sid)[0][1] == 0
    d = generate(on, days=7, seed=0)
    assert all(d.kg[:, 1, :].ravel() > 0)
    assert due_loads(on, d, 0, "kitchen")[0] == ("P0", "P2")
    assert due_loads(off, d, 0, "kitchen")[0] == ("P0", "P1", "P2")


def test_pickle_keeps_demand_read_only():
    """A pickled Demand (sent to a worker process) comes back equal and still read-only."""
    d = generate(_scenario(_many(2), noise_cv=0.1), days=2, seed=3)
    back = pickle.loads(pickle.dumps(d))
    assert back.dates == d.dates and back.seed == 3
    assert np.array_equal(back.kg, d.kg)
    assert not back.kg.flags.writeable
