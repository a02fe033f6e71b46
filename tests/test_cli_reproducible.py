"""Reproducibility: a command run twice with the same seed, inputs and ``--iterations`` writes
byte-identical files.

The only exceptions are fields that hold a measured wall-clock duration; each is named below
(file pattern → column or key) and the comparison asserts it is there, so nothing else may
differ. Route sheets (PDF, XLSX) carry a document date: ``SOURCE_DATE_EPOCH`` fixes it
(``wasteopt.reporting.stamps``), as it does for any user who wants repeatable files.
"""

from __future__ import annotations

import csv
import io
import json
from fnmatch import fnmatch
from pathlib import Path

import pytest

from wasteopt.cli import main

# file pattern (relative to the output folder) → the field holding a solver's wall-clock time
RUNTIME_FIELDS: dict[str, str] = {
    "plan_*.json": "runtime_s",  # routing: how long the search ran
    "routes_summary.csv": "runtime_s",
    "comparison.csv": "runtime_s",  # facility plans: how long HiGHS ran
}
ITERATIONS = "100"  # the deterministic mode: an iteration budget instead of the clock


@pytest.fixture(autouse=True)
def fixed_document_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """PDF and XLSX route sheets stamp this date instead of the clock."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _files(root: Path) -> dict[str, bytes]:
    """Every output file's bytes; the resume store (a cache of finished territories, stamped
    with when each finished) is not an output."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".territory-store" not in p.parts
    }


def _without(name: str, data: bytes, field: str) -> object:
    """The file's content with ``field`` left out (asserting it was there)."""
    if name.endswith(".json"):
        doc = json.loads(data)
        assert field in doc, f"{name}: expected a {field} field"
        del doc[field]
        return doc
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert field in rows[0], f"{name}: expected a {field} column"
    at = rows[0].index(field)
    return [r[:at] + r[at + 1 :] for r in rows]


def assert_same_outputs(a: Path, b: Path) -> list[str]:
    """Every file of ``a`` and ``b`` is byte-identical, except the named runtime fields;
    returns the relative names compared."""
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb)
    for name, data in fa.items():
        field = next((f for pat, f in RUNTIME_FIELDS.items() if fnmatch(name, pat)), None)
        if field is None:
            assert data == fb[name], f"{name} differs between two identical runs"
        else:
            assert _without(name, data, field) == _without(name, fb[name], field), name
    return sorted(fa)


def _twice(tmp_path: Path, *args: str) -> tuple[Path, Path]:
    """Run the command into ``a`` and ``b``; both exit alike and write their folder (exit 1,
    an unacceptable result, still writes it: its files must repeat too)."""
    outs = tmp_path / "a", tmp_path / "b"
    codes = [main([*args, "--out", str(out)]) for out in outs]
    assert codes[0] == codes[1] and all(out.is_dir() for out in outs), (
        f"exit codes {codes}; folders written: {[out.is_dir() for out in outs]}"
    )
    return outs


def test_comparison_sees_a_changed_byte_and_a_changed_runtime_is_allowed(tmp_path):
    """The comparison fails on one changed byte of a table; it ignores only a runtime field."""
    for side, runtime, cost in (("a", "0.25", "378.444"), ("b", "0.31", "378.444")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "routes_summary.csv").write_text(
            f"stream,cost_cny,runtime_s\nkitchen,{cost},{runtime}\n", encoding="utf-8"
        )
        (tmp_path / side / "schedule.csv").write_text("vehicle,km\nV#1,39.1\n", encoding="utf-8")
    assert assert_same_outputs(tmp_path / "a", tmp_path / "b") == [
        "routes_summary.csv",
        "schedule.csv",
    ]
    (tmp_path / "b" / "schedule.csv").write_text("vehicle,km\nV#1,39.2\n", encoding="utf-8")
    with pytest.raises(AssertionError, match=r"schedule\.csv differs"):
        assert_same_outputs(tmp_path / "a", tmp_path / "b")


def test_route_twice_writes_identical_files(tmp_path, tiny_dir):
    """route with one seed and --iterations: plans, schedules and every route sheet (CSV,
    GeoJSON, XLSX, PDF) and the facility plan are byte-identical on a second run."""
    a, b = _twice(
        tmp_path, "route", str(tiny_dir), "--seed", "3", "--iterations", ITERATIONS,
        "--workers", "2",
    )  # fmt: skip
    names = assert_same_outputs(a, b)
    for wanted in (
        "plan_kitchen.json",
        "schedule_other.csv",
        "sheets/routes_kitchen.pdf",
        "sheets/routes_other.xlsx",
        "sheets/routes_other_lines.geojson",
        "sheets/routes_other_maps.pdf",
        "facilities/assignments.csv",
    ):
        assert wanted in names


def test_simulate_twice_writes_identical_files(tmp_path, tiny_dir):
    """simulate over 2 days with 2 replications and one seed: every table is byte-identical."""
    a, b = _twice(
        tmp_path, "simulate", str(tiny_dir), "--days", "2", "--replications", "2",
        "--seed", "5", "--iterations", ITERATIONS, "--workers", "1",
    )  # fmt: skip
    names = assert_same_outputs(a, b)
    assert {"rep1/sim_events.csv", "rep0/sim_balance.csv", "sim_replications_daily.csv"} <= set(
        names
    )


def test_plan_twice_writes_identical_files(tmp_path, tiny_dir):
    """plan of the base and a variant: every table but HiGHS's runtime is byte-identical."""
    a, b = _twice(tmp_path, "plan", str(tiny_dir))
    names = assert_same_outputs(a, b)
    assert {"comparison.csv", "base/assignments.csv", "east/costs.csv"} <= set(names)
