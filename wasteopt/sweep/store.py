"""The sweep's result store: a :class:`~wasteopt.compute.CheckpointStore` whose records also
name the task that made them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from wasteopt.compute import STORE_FORMAT, CheckpointStore
from wasteopt.sweep.tasks import SweepTask

__all__ = ["STORE_FORMAT", "ResultStore"]


class ResultStore(CheckpointStore):
    """A folder of finished runs, one ``<key>.pkl`` per task, each written atomically.

    A record is a pickled dict ``{"format", "key", "task", "result", "runtime_s", "host", "pid",
    "finished"}``. A record that cannot be read (foreign format, unpicklable class) counts as
    missing and is recomputed. Only the sweep's driver process writes here, never the workers.
    Pickle is trusted input: open only stores you (or your team) wrote.
    """

    kind: ClassVar[str] = "sweep"

    def put(
        self,
        key: str,
        result: Any,
        *,
        info: Mapping[str, Any] | None = None,
        task: SweepTask | None = None,
        runtime_s: float = 0.0,
        host: str = "",
        pid: int = 0,
    ) -> Path:
        """Store ``result`` of ``task`` under ``key`` atomically, with where and how long it ran."""
        run = {
            "task": None if task is None else task.to_dict(),
            "runtime_s": float(runtime_s),
            "host": host,
            "pid": int(pid),
        }
        return super().put(key, result, info={**run, **(info or {})})

    def missing(self, tasks: Iterable[SweepTask]) -> list[SweepTask]:
        """The tasks (first of each key, in order) that have no readable record."""
        seen: set[str] = set()
        out = []
        for t in tasks:
            k = t.key
            if k not in seen:
                seen.add(k)
                if k not in self:
                    out.append(t)
        return out
