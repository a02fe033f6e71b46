"""What machine a benchmark ran on, for the headers of the result tables."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine() -> str:
    """``host (cpu, N CPUs, Python x.y.z)``."""
    return (
        f"{platform.node()} ({cpu_model()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()})"
    )


def commit() -> str:
    """The git commit the benchmark code ran from, with ``+dirty`` when the tree had changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            # the results a benchmark is writing do not count as a change of its code
            [
                "git",
                "status",
                "--porcelain",
                "--",
                "wasteopt",
                "benchmarks",
                "scenarios",
                ":(exclude)benchmarks/results",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + ("+dirty" if dirty else "")
