"""Build a Nanjing-like city scenario (南京), seeded and deterministic.

Run from the repository root with the project venv::

    .venv/bin/python scenarios/nanjing/build_city.py --points 20000 --seed 1 --out scenarios/nanjing

It writes scenario.toml, points.csv, depots.csv, stations.csv, facilities.csv and
vehicle_types.csv into ``--out`` (the same seed and size give the same bytes) and prints the
figures README.md quotes. ``--points`` scales the city: residents, household and catering
waste, stations and fleets grow with it; the 11 districts, the depots and the plants (with
their published capacities) stay. See README.md for where every figure comes from.

Modules next to this one: ``sources.py`` (the figures), ``points.py`` (points),
``stations.py`` (transfer stations), ``fleets.py`` and ``fleet_sizing.py`` (vehicle types),
``scenario_toml.py`` (settings and streams).

Point model. Of N points, 12.5 % are restaurants, 2 % canteens, 1 % markets, the rest
household points. Residents (9.315 M × N / 20,000) are split over the districts by their
census share; household points over districts by residents ÷ the mean size of their mix
(old-town core: 15 % lanes; suburbs: 20 % villages; rural: 55 % villages). Lane points serve
150–550 residents (one e-tricycle visit of residual waste on the worst day), communities and
villages (weight 1 : 0.6) lognormal shares (σ 0.35) of the rest, exact by largest remainder.
Communities are Gaussian around a district's centres, lanes around its old town, villages
uniform in a ring around its seat; every point stays on its district's bank of the Yangtze.
Restaurants (70 % of catering waste, 0.1 kg per resident a day) and canteens (30 %) make only
catering waste, collected daily in the night window 20:30–25:30; markets make kitchen,
recyclable and residual waste (150 t/day for the full city) and, with canteens, are large
generators that may deliver directly.

Stations, per district from its peak (× 1.3) household waste: a large residual station
(600–800 t/day) where the district's residual reaches its size, small residual stations of
50–100 t/day for the rest, kitchen-waste stations of at most 200 t/day; rural districts get
town stations of 50–100 t/day for residual and kitchen waste. Small and kitchen stations sit
at k-means centres of the district's household points.

Fleets: every depot × model sized by load and time (``fleet_sizing.py``); catering trucks at
four licensed night depots; hook-lift haul trucks per district and stream.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from fleets import VEHICLE_COLS, haul_rows, size_fleets
from outages import OUTAGE_COLS, outage_rows
from points import POINT_COLS, make_points, point_kg
from residues import RESIDUE_COLS, residue_rows
from scenario_toml import YEARS_CSV, builds_csv, scenario_toml
from sources import (
    CATERING_DEPOTS,
    DAY_DEPOT_HOURS,
    DISTRICTS,
    FACILITIES,
    FACILITY_COLS,
    NIGHT_DEPOT_HOURS,
    SHARE,
    bin_kg_per_person,
)
from stations import STATION_COLS, station_rows

HERE = Path(__file__).resolve().parent
MIN_POINTS, MAX_POINTS = 200, 200_000  # below 200 a district may get no point of a kind
DEPOT_COLS = ["id", "name", "lon", "lat", "open", "close"]


def csv_text(cols: list[str], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in cols})
    return buf.getvalue()


def depot_rows() -> list[dict[str, Any]]:
    """A sanitation depot per district (day hours) and the catering collectors' night yards."""
    rows = [
        dict(zip(DEPOT_COLS, (f"DEPOT-{d.code}", f"{d.name}环卫车场", *d.depot,
                              *DAY_DEPOT_HOURS), strict=True))
        for d in DISTRICTS
    ]  # fmt: skip
    rows += [
        dict(zip(DEPOT_COLS, (c[0], c[1], c[2], c[3], *NIGHT_DEPOT_HOURS), strict=True))
        for c in CATERING_DEPOTS
    ]
    return rows


def build(n_points: int, seed: int) -> tuple[dict[str, str], list[str]]:
    """Every file of the city (name -> text) and the summary lines."""
    rng = np.random.default_rng(seed)
    per_person = bin_kg_per_person()
    points = make_points(rng, n_points)
    stations = station_rows(rng, points, per_person)
    vehicles, sizing = size_fleets(points, per_person, stations)
    vehicles += haul_rows(points, per_person, stations)
    facilities = [dict(zip(FACILITY_COLS, f, strict=True)) for f in FACILITIES]
    lines = [*summary(points, per_person, stations, vehicles), "fleet sizing:", *sizing]
    household_t = sum(point_kg(p, s, per_person) for p in points for s in SHARE) / 1000
    kinds = Counter(p["_kind"] for p in points)
    files = {
        "scenario.toml": scenario_toml(
            points=n_points,
            seed=seed,
            residents=f"{sum(int(p.get('residents', 0)) for p in points):,}",
            household_t=household_t,
            markets=kinds["market"],
            caterers=kinds["restaurant"] + kinds["canteen"],
            catering_t=sum(point_kg(p, "catering", per_person) for p in points) / 1000,
            stations=len(stations),
            plants=len(facilities),
        ),
        "points.csv": csv_text(POINT_COLS, points),
        "depots.csv": csv_text(DEPOT_COLS, depot_rows()),
        "stations.csv": csv_text(STATION_COLS, stations),
        "facilities.csv": csv_text(FACILITY_COLS, facilities),
        "vehicle_types.csv": csv_text(VEHICLE_COLS, vehicles),
        "plant_outages.csv": csv_text(OUTAGE_COLS, outage_rows()),
        "residues.csv": csv_text(RESIDUE_COLS, residue_rows(stations)),
        "years.csv": YEARS_CSV,
        "builds.csv": builds_csv({str(s["id"]) for s in stations}),
    }
    return files, lines


def summary(
    points: list[dict[str, Any]],
    per_person: dict[str, float],
    stations: list[dict[str, Any]],
    vehicles: list[dict[str, Any]],
) -> list[str]:
    """The figures README.md quotes (this is a build script, so it prints them)."""
    residents = sum(int(p.get("residents", 0)) for p in points)
    t = {s: sum(point_kg(p, s, per_person) for p in points) / 1000 for s in [*SHARE, "catering"]}
    lines = [
        f"points: {len(points)}, residents: {residents}",
        f"kinds: {dict(sorted(Counter(p['_kind'] for p in points).items()))}",
        f"access: {dict(sorted(Counter(p['access'] for p in points).items()))}",
        "mean t/day in bins: " + ", ".join(f"{s} {v:.1f}" for s, v in t.items()),
        f"household t/day: {sum(t[s] for s in SHARE):.1f}, catering t/day: {t['catering']:.1f}",
    ]
    by_type = Counter(r["id"].split("-")[2][0] for r in stations)
    caps: Counter[str] = Counter()
    for r in stations:
        caps[r["id"].split("-")[2][0]] += int(r["capacity_t_per_day"])
    lines.append(
        "stations (L large, S small, K kitchen, T town): "
        + ", ".join(f"{k} {n} ({caps[k]:.0f} t/d)" for k, n in sorted(by_type.items()))
    )
    fleet: Counter[str] = Counter()
    for v in vehicles:
        fleet[f"{v['stream']}/{v['vehicle_class']}"] += int(v["count"])
    lines.append(f"vehicles: {sum(fleet.values())} {dict(sorted(fleet.items()))}")
    return lines


def write(out: Path, files: dict[str, str]) -> None:
    """Write every file (each through a temporary name, replaced at once)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, out / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--points", type=int, default=20_000, help="collection points (N)")
    parser.add_argument("--seed", type=int, default=1, help="numpy seed")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write (created)")
    args = parser.parse_args(argv)
    if not MIN_POINTS <= args.points <= MAX_POINTS:
        parser.error(f"--points: expected {MIN_POINTS} … {MAX_POINTS:,}, got {args.points}")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out: {args.out} is a file, expected a folder")
    files, lines = build(args.points, args.seed)
    write(args.out, files)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
