"""Tests of the header every benchmark results file carries (``benchmarks/machine_info.py``)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.benchmark_scripts import benchmark_script

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def mi() -> ModuleType:
    return benchmark_script("machine_info")


def test_csv_carries_every_header_field_and_reads_back(mi, tmp_path):
    """A CSV starts with date, commit, machine, python, packages, load and command lines, and
    read_csv_rows returns exactly the rows written."""
    run = mi.Run.start(ROOT / "benchmarks" / "routing.py", ["--sets", "x y"])
    path = run.write_csv(tmp_path / "t.csv", ["a", "b"], [{"a": 1, "b": "p,q"}, {"a": 2}])
    head = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("# ")]
    keys = [ln[2:].split(":", 1)[0] for ln in head]
    assert keys == [
        "date",
        "commit",
        "machine",
        "cpus used",
        "python",
        "packages",
        "load average (1/5/15 min)",
        "command",
    ]
    assert head[-1] == "# command: python benchmarks/routing.py --sets 'x y'"
    assert mi.read_csv_rows(path) == [{"a": "1", "b": "p,q"}, {"a": "2", "b": ""}]


def test_cpus_used_names_the_pinned_cpu(mi):
    """A process pinned to one CPU reports that CPU and how many the machine has."""
    import os

    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert mi.cpus_used() == f"1 of {os.cpu_count()} (CPU {min(before)})"
    finally:
        os.sched_setaffinity(0, before)


def test_markdown_has_title_header_then_body(mi, tmp_path):
    """A Markdown file is the title, the header as a list (command in backticks), the body."""
    run = mi.Run.start(ROOT / "benchmarks" / "cflp.py", [])
    text = run.write_md(tmp_path / "t.md", "Title", ["body line"]).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Title" and lines[-1] == "body line"
    assert "- command: `python benchmarks/cflp.py`" in lines
    assert any(ln.startswith("- packages: ") and "pyvrp" in ln for ln in lines)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_commit_is_dirty_only_for_code_changes(mi, tmp_path, monkeypatch):
    """An uncommitted change under wasteopt/ marks the commit dirty and names the file; a
    changed results file does not."""
    for sub in ("wasteopt", "benchmarks/results"):
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "wasteopt" / "m.py").write_text("x = 1\n")
    (tmp_path / "benchmarks" / "results" / "r.md").write_text("old\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    monkeypatch.setattr(mi, "ROOT", tmp_path)
    (tmp_path / "benchmarks" / "results" / "r.md").write_text("new\n")
    clean = mi.commit()
    assert len(clean) == 40 and "dirty" not in clean
    (tmp_path / "wasteopt" / "m.py").write_text("x = 2\n")
    assert mi.commit() == f"{clean}+dirty (uncommitted: wasteopt/m.py)"
