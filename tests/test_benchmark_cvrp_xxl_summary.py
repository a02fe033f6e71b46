"""Tests of the very-large CVRP summary (``benchmarks/cvrp_xxl_summary.py``)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.benchmark_scripts import benchmark_script

FIELDS = "set,instance,n,solver,check,status,note,gap_pct,routes,min_routes,wall_s,peak_gb"


@pytest.fixture(scope="module")
def summ() -> ModuleType:
    return benchmark_script("cvrp_xxl_summary")


def _csv(path: Path, started: str, commit: str, rows: list[str], fields: str = FIELDS) -> Path:
    head = f"# date: {started} to {started}\n# commit: {commit}\n"
    path.write_text(head + fields + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_newest_run_of_an_instance_wins_and_means_count_each_instance_once(summ, tmp_path):
    """An instance run in two files keeps the later run's row; the means use it once, raw
    PyVRP's mean only where it ran, and an instance without a run is listed as not run."""
    old = _csv(
        tmp_path / "cvrp_xxl-a.csv",
        "2026-12-04T10:00:00+00:00",
        "a" * 40,
        [
            "kytojoki,Kytojoki-W,7798,wasteopt,clean,feasible,,7.50,14,13,598,0.5",
            "kytojoki,Kytojoki-W,7798,pyvrp,clean,feasible,,7.70,14,13,640,3.9",
            "belgium,Leuven1,3000,wasteopt,clean,feasible,,1.00,203,203,598,0.7",
        ],
    )
    new = _csv(
        tmp_path / "cvrp_xxl-b.csv",
        "2026-12-05T10:00:00+00:00",
        "b" * 40,
        ["kytojoki,Kytojoki-W,7798,wasteopt,clean,feasible,,5.50,13,13,598,0.5"],
    )
    kept = summ.latest_rows([new, old])
    by = {(r["instance"], r["solver"]): (r, src) for r, src in kept}
    assert len(kept) == 3
    assert by["Kytojoki-W", "wasteopt"][0]["gap_pct"] == "5.50"
    assert by["Kytojoki-W", "wasteopt"][1].commit == "b" * 40
    assert by["Kytojoki-W", "pyvrp"][1].file == "cvrp_xxl-a.csv"
    lines = summ.summary(kept, summ.cvrp_xxl.instances(["Leuven1", "Leuven2", "W"]))
    rows = {ln.split(" | ")[0].lstrip("| "): ln.split(" | ") for ln in lines[2:]}
    assert rows["kytojoki"][1:5] == ["1 (1)", "5.50 %", "7.70 % (1)", "5.50 %"]
    assert rows["belgium"][1:3] == ["1 (2)", "1.00 %"] and "Leuven2" in rows["belgium"][5]
    assert rows["all"][1:3] == ["2 (3)", "3.25 %"]


def test_runs_at_another_budget_are_left_out(summ, tmp_path):
    """A later run at 300 s does not replace an instance's 600 s run in the yardstick."""
    fields = FIELDS + ",budget_s"
    row = "belgium,Leuven1,3000,wasteopt,clean,feasible,,{},203,203,598,0.9,{}"
    full, short = (
        _csv(tmp_path / f"cvrp_xxl-{name}.csv", f"{day}T10:00:00+00:00", "c" * 40, [r], fields)
        for name, day, r in (
            ("full", "2026-12-05", row.format("0.70", "600.0")),
            ("5min", "2026-12-06", row.format("1.20", "300.0")),
        )
    )
    kept = summ.latest_rows([full, short], 600.0)
    assert [(r["gap_pct"], src.file) for r, src in kept] == [("0.70", "cvrp_xxl-full.csv")]
    assert [r["gap_pct"] for r, _ in summ.latest_rows([full, short])] == ["1.20"]


def test_other_seeds_stay_out_of_the_yardstick_and_show_as_a_spread(summ, tmp_path):
    """A later seed-2 run does not replace the seed-1 row; the seed table lists both seeds'
    gaps, their mean and range, and only instances run at two or more seeds."""
    fields = FIELDS + ",budget_s,seed"
    one = _csv(
        tmp_path / "cvrp_xxl-one.csv",
        "2026-12-05T10:00:00+00:00",
        "d" * 40,
        [
            "belgium,Leuven1,3000,wasteopt,clean,feasible,,0.70,203,203,598,0.9,600.0,1",
            "belgium,Leuven2,4000,wasteopt,clean,feasible,,2.90,47,46,598,0.9,600.0,1",
        ],
        fields,
    )
    two = _csv(
        tmp_path / "cvrp_xxl-two.csv",
        "2026-12-06T10:00:00+00:00",
        "d" * 40,
        ["belgium,Leuven1,3000,wasteopt,clean,feasible,,1.10,203,203,598,0.9,600.0,2"],
        fields,
    )
    kept = summ.latest_rows([one, two], 600.0, 1)
    assert sorted((r["instance"], r["gap_pct"]) for r, _ in kept) == [
        ("Leuven1", "0.70"),
        ("Leuven2", "2.90"),
    ]
    known = summ.cvrp_xxl.instances(None)
    lines = summ.seed_spread([one, two], 600.0, known)
    assert len(lines) == 3 and "Leuven2" not in "".join(lines)
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells == ["Leuven1", "wasteopt", "1: 0.70, 2: 1.10", "0.90", "0.40", "yes"]
    assert summ.seed_spread([one], 600.0, known) == [
        "No instance has graded runs at more than one seed."
    ]
