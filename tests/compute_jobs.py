"""Job functions for tests/test_compute.py: importable by spawned, forked and Dask workers."""

from __future__ import annotations

import os
import signal
import time
from typing import Any


def square(payload: dict[str, Any]) -> int:
    """``x * x``; appends ``x pid`` to ``log`` when given (to count calls across processes),
    sleeps ``sleep_s`` first, raises ``ValueError`` for ``fail`` and kills its own process for
    ``die``."""
    x = int(payload["x"])
    time.sleep(float(payload.get("sleep_s", 0.0)))
    if payload.get("die"):
        os.kill(os.getpid(), signal.SIGKILL)
    if payload.get("log"):
        # O_APPEND writes of one short line are atomic across processes
        with open(payload["log"], "a", encoding="utf-8") as f:
            f.write(f"{x} {os.getpid()}\n")
    if payload.get("fail"):
        raise ValueError(f"x={x} is cursed")
    return x * x


def explode(payload: Any) -> Any:
    """Never to be called: a stored job must not run again."""
    raise AssertionError(f"recomputed {payload!r}")


def describe(payload: dict[str, Any]) -> str:
    """The job's canonical description: only ``x`` decides the result."""
    return f"square x={int(payload['x'])}"
