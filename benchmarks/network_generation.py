"""Benchmark: travel matrix for 20,000 sites and one year of generation for 20,000 points.

Usage::

    .venv/bin/python benchmarks/network_generation.py [--sites 20000] [--days 365] [--repeats 3]

Times (best of ``--repeats``, wall clock) are written to ``--out`` (default
``benchmarks/results/network_generation.md``) through the shared header of ``machine_info``
(date, commit, machine, packages, load average, command).
Sites are spread uniformly over a 30 km × 28 km box around Jintan (Changzhou), the size of a
county-level district; timings do not depend on where the box is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from machine_info import ROOT, Run  # benchmarks/ is the script's folder; ROOT on the path

from wasteopt.generation import due_loads, expected_rates_kg_per_day, generate
from wasteopt.network import TravelMatrix, read_matrix_csv
from wasteopt.scenario.model import (
    CollectionPoint,
    GenerationSettings,
    Holiday,
    Missort,
    Scenario,
    Stream,
)

OUT = ROOT / "benchmarks" / "results" / "network_generation.md"
T = TypeVar("T")


def best_of(repeats: int, fn: Callable[[], T]) -> tuple[float, T]:
    """(best wall time in s, last result) over ``repeats`` (at least one) calls."""
    best = float("inf")
    out: T | None = None
    for _ in range(max(1, repeats)):
        out = None  # free the previous result before the next run
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    assert out is not None
    return best, out


def make_scenario(n_points: int, rng: np.random.Generator) -> Scenario:
    streams = (
        Stream(
            id="kitchen",
            name_en="Kitchen",
            name_zh="厨余垃圾",
            color="#2e8b57",
            density_kg_per_m3=650,
            share=0.40,
            capture_rate=0.85,
        ),
        Stream(
            id="recyclable",
            name_en="Recyclables",
            name_zh="可回收物",
            color="#1f5fbf",
            density_kg_per_m3=90,
            share=0.20,
            capture_rate=0.90,
            default_frequency="every_other_day",
        ),
        Stream(
            id="hazardous",
            name_en="Hazardous",
            name_zh="有害垃圾",
            color="#c0392b",
            density_kg_per_m3=300,
            share=0.005,
            default_frequency="weekly",
        ),
        Stream(
            id="other",
            name_en="Other",
            name_zh="其他垃圾",
            color="#6b6b6b",
            density_kg_per_m3=250,
            share=0.395,
        ),
    )
    lon = rng.uniform(119.40, 119.72, n_points)
    lat = rng.uniform(31.60, 31.85, n_points)
    residents = rng.integers(50, 3000, n_points)
    points = tuple(
        CollectionPoint(
            id=f"P{i:05d}",
            name=f"point {i}",
            lon=float(lon[i]),
            lat=float(lat[i]),
            district="d",
            residents=int(residents[i]),
            households=None,
            kg_per_day={},
            frequency={},
            service_time_s=60,
            tw_start_s=0,
            tw_end_s=86400,
            phase=i % 28,
        )
        for i in range(n_points)
    )
    gen = GenerationSettings(
        start_date=dt.date(2025, 1, 1),
        kg_per_person_day=0.9,
        weekday_factors=(1.0, 0.98, 0.97, 0.98, 1.0, 1.05, 1.08),
        month_factors=(1.05, 1.1, 1.0, 0.98, 0.97, 1.0, 1.02, 1.02, 1.0, 0.98, 0.97, 1.0),
        holidays=(Holiday(name="Spring Festival", start=dt.date(2025, 1, 28), days=8, factor=1.3),),
        noise_cv=0.15,
        missorting=(Missort(from_stream="kitchen", to_stream="other", share=0.1),),
    )
    return Scenario(
        id="bench",
        name="bench",
        description="",
        folder=".",
        streams=streams,
        points=points,
        depots=(),
        stations=(),
        facilities=(),
        vehicle_types=(),
        generation=gen,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--csv-sites", type=int, default=1_000, help="sites in the CSV import test")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    run = Run.start(__file__, argv)

    rng = np.random.default_rng(20250101)
    sc = make_scenario(args.sites, rng)
    ids = [p.id for p in sc.points]
    lon = np.array([p.lon for p in sc.points])
    lat = np.array([p.lat for p in sc.points])
    n, days, r = args.sites, args.days, args.repeats
    rows: list[tuple[str, str, float]] = []

    t, m = best_of(r, lambda: TravelMatrix.from_coordinates(ids, lon, lat, circuity=1.3))
    rows.append(
        ("matrix from coordinates", f"{n:,} × {n:,} int32 ({n * n * 4 / 2**30:.2f} GiB)", t)
    )
    t, _ = best_of(r, partial(m.durations_s, 25.0))
    rows.append(("durations at 25 km/h", f"{n:,} × {n:,} int32", t))
    terr = list(rng.choice(ids, size=min(2_000, n), replace=False))
    t, _ = best_of(r, partial(m.sub, terr))
    rows.append(("sub-matrix of a territory", f"{len(terr):,} of {n:,} sites", t))
    mean_km = float(m.distance_m[::97, ::89].mean()) / 1000
    del m

    k = min(args.csv_sites, n)
    sub = TravelMatrix.from_coordinates(ids[:k], lon[:k], lat[:k])
    ii, jj = np.nonzero(~np.eye(k, dtype=bool))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "matrix.csv"
        pd.DataFrame(
            {
                "from_id": np.asarray(ids[:k])[ii],
                "to_id": np.asarray(ids[:k])[jj],
                "distance_m": sub.distance_m[ii, jj],
            }
        ).to_csv(path, index=False)
        t, back = best_of(r, lambda: read_matrix_csv(path, ids[:k]))
        assert np.array_equal(back.distance_m, sub.distance_m)
    rows.append(("read_matrix_csv", f"{k:,} sites ({k * (k - 1):,} rows)", t))

    t, _ = best_of(r, lambda: expected_rates_kg_per_day(sc))
    rows.append(("expected rates", f"{n:,} points × 4 streams", t))
    t, demand = best_of(r, lambda: generate(sc, days=days, seed=1))
    rows.append(
        (
            "generate (cv 0.15)",
            f"{days} days × {n:,} points × 4 streams ({demand.kg.nbytes / 2**20:.0f} MiB float64)",
            t,
        )
    )
    t, _ = best_of(r, lambda: [due_loads(sc, demand, days // 2, s) for s in sc.stream_ids])
    rows.append(("due_loads, one day, all 4 streams", f"{n:,} points", t))
    yearly_t = float(demand.kg.sum()) / 1000
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB

    lines = [
        "Generated in full by `benchmarks/network_generation.py`.",
        "",
        "| step | size | best wall time (s) |",
        "|---|---|---:|",
        *[f"| {name} | {size} | {sec:.3f} |" for name, size, sec in rows],
        "",
        f"Sanity: mean sampled road distance {mean_km:.1f} km; generated "
        f"{yearly_t:,.0f} t over {days} days; peak resident memory {peak_mib:,.0f} MiB.",
        "",
        "Times are the best of the repeats on a machine that may be shared with other jobs "
        "(load average in the header); expect ±50 % between runs.",
    ]
    run.write_md(args.out, "Benchmark: travel network and waste generation", lines)
    sys.stdout.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
