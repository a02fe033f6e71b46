"""Tests for wasteopt.scenario.folder: which files a scenario may name (inside the folder,
regular, readable) and the size limits, each fault built in tmp_path (links, pipes, permissions
and sizes the repository cannot hold) and refused by `route --out` with nothing written."""

from __future__ import annotations

import csv
import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test_scenario_load import OK, refused_by_route
from wasteopt.errors import ScenarioError
from wasteopt.scenario import load_scenario
from wasteopt.scenario.folder import MAX_ROWS, MAX_TABLE_BYTES, MAX_TOML_BYTES


def _replace(folder: Path, name: str, make: Callable[[Path], object]) -> None:
    (folder / name).unlink()
    make(folder / name)


def _too_many_stations(folder: Path) -> None:
    head = (OK / "stations.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = (f"S{i},x,119.5,31.7,d,candidate,other,1" for i in range(MAX_ROWS["stations"] + 1))
    (folder / "stations.csv").write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")


def _long_cell(folder: Path) -> None:
    p = folder / "points.csv"
    text = p.read_text(encoding="utf-8").replace("幸福小区", "x" * (csv.field_size_limit() + 1))
    p.write_text(text, encoding="utf-8")


def _sparse(size: int) -> Callable[[Path], object]:
    def make(path: Path) -> None:
        with path.open("wb") as f:
            f.truncate(size)  # sparse: the size check must refuse it before reading

    return make


# case -> (how to break a copy of scenario_ok, parts of the message)
BUILT: dict[str, tuple[Callable[[Path], object], tuple[str, ...]]] = {
    "folder_as_file": (
        lambda d: _replace(d, "points.csv", Path.mkdir),
        ("points.csv: is a folder, not a file",),
    ),
    "symlink_loop": (
        lambda d: _replace(d, "points.csv", lambda p: p.symlink_to("points.csv")),
        ("points.csv: symbolic link loop",),
    ),
    "broken_symlink": (
        lambda d: _replace(d, "points.csv", lambda p: p.symlink_to("nowhere.csv")),
        ("points.csv: broken symbolic link (to nowhere.csv, which does not exist)",),
    ),
    "symlink_outside": (
        lambda d: _replace(d, "points.csv", lambda p: p.symlink_to(OK / "points.csv")),
        ("points.csv: symbolic link leads outside the scenario folder",),
    ),
    "named_pipe": (
        lambda d: _replace(d, "depots.csv", os.mkfifo),
        ("depots.csv: is a pipe, device or socket, not a file",),
    ),
    "table_too_large": (
        lambda d: _replace(d, "points.csv", _sparse(MAX_TABLE_BYTES + 1)),
        ("points.csv: file is too large: 64.0 MB (67,108,865 bytes); expected at most 64.0 MB",),
    ),
    "toml_too_large": (
        lambda d: _replace(d, "scenario.toml", _sparse(MAX_TOML_BYTES + 1)),
        ("scenario.toml: file is too large: 1.0 MB (1,048,577 bytes)",),
    ),
    "too_many_rows": (
        _too_many_stations,
        ("stations.csv: table has 10,001 data rows; expected at most 10,000 rows",),
    ),
    "long_cell": (_long_cell, ("points.csv line 2: a cell is longer than 131,072 characters",)),
}


@pytest.mark.parametrize("case", sorted(BUILT))
def test_file_system_fault_is_named_precisely(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Links, folders, pipes, oversized files and cells: `route --out` exits 2 with one precise
    problem and writes nothing."""
    folder = tmp_path / "scenario"
    shutil.copytree(OK, folder)
    make, parts = BUILT[case]
    make(folder)
    err = refused_by_route(folder, parts, tmp_path, capsys)
    assert "1 problem found" in err, err  # no follow-up such as 'header but no data rows'


def test_scenario_folder_link_loop_is_named(tmp_path: Path) -> None:
    """A scenario path that is a symbolic link loop is named as such, not as 'not found'."""
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(ScenarioError, match="scenario folder: symbolic link loop"):
        load_scenario(loop)


def test_links_inside_the_folder_are_accepted(tmp_path: Path) -> None:
    """A table that is a link to a file inside the scenario folder loads as usual."""
    folder = tmp_path / "scenario"
    shutil.copytree(OK, folder)
    (folder / "data").mkdir()
    (folder / "points.csv").rename(folder / "data" / "points.csv")
    (folder / "points.csv").symlink_to(Path("data") / "points.csv")
    assert len(load_scenario(folder).points) == 5


def test_row_limit_counts_only_data_rows(tmp_path: Path) -> None:
    """Exactly MAX_ROWS rows plus blank lines pass the limit check; 100,000 points are allowed."""
    assert MAX_ROWS["points"] >= 100_000 and MAX_TABLE_BYTES >= 30 * 2**20
    folder = tmp_path / "scenario"
    shutil.copytree(OK, folder)
    _too_many_stations(folder)
    p = folder / "stations.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    p.write_text("\n".join([*lines[:-1], "", " , ,"]) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)  # the rows are not valid stations; only the count matters here
    assert "data rows" not in str(info.value)


def _drop_file_permission_override() -> None:
    """In the child: give up root's power to read any file (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH leave the bounding set, so the exec'd program lacks them)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # 24 = PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.mark.skipif(sys.platform != "linux", reason="uses Linux file permissions and prctl")
def test_unreadable_file_is_named(tmp_path: Path) -> None:
    """A table the user may not read is named as 'permission denied' with exit 2, also when
    the tests run as root. (`validate` in a child process, whose start-up is a quarter of
    `route`'s; the tests above show a refused load writes nothing.)"""
    folder = tmp_path / "scenario"
    shutil.copytree(OK, folder)
    (folder / "points.csv").chmod(0)
    proc = subprocess.run(
        [sys.executable, "-m", "wasteopt.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_drop_file_permission_override if os.geteuid() == 0 else None,
    )
    assert proc.returncode == 2, proc.stderr
    assert "points.csv: permission denied" in proc.stderr
    assert "Traceback" not in proc.stderr
