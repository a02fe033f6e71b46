"""Logs are plain lines when stdout and stderr are not a terminal: no progress bar redrawn with
carriage returns (issue 15, item 8)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "command",
    [
        ["simulate", "--days", "2", "--replications", "2", "--time-limit", "4"],
        ["compare", "--variants", "base", "--seeds", "2", "--days", "2", "--time-limit", "6"],
    ],
    ids=["simulate", "compare"],
)
def test_piped_output_has_no_carriage_returns(command, tmp_path, tiny_dir):
    """A command with progress bars, its stdout and stderr piped to files, writes plain lines:
    no carriage return anywhere, and its messages still arrive."""
    args = [command[0], str(tiny_dir), *command[1:], "--workers", "1", "--out", str(tmp_path)]
    proc = subprocess.run(
        [sys.executable, "-m", "wasteopt.cli", *args],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr.decode("utf-8", "replace")
    assert b"\r" not in proc.stdout and b"\r" not in proc.stderr
    assert b"wrote " in proc.stdout
