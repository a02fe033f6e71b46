"""What machine a benchmark ran on, for the headers of the result tables."""

from __future__ import annotations

import os
import platform
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
