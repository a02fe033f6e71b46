"""The result store: a folder of finished sweep runs, one atomically written record per key."""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wasteopt.files import atomic_path
from wasteopt.sweep.tasks import SweepTask

__all__ = ["STORE_FORMAT", "ResultStore"]

log = logging.getLogger("wasteopt")

#: Bumped when the stored record layout changes (old records then read as missing).
STORE_FORMAT = 1


class ResultStore:
    """A folder of finished runs, one ``<key>.pkl`` per task, each written atomically.

    A record is a pickled dict ``{"format", "key", "task", "result", "runtime_s", "host", "pid",
    "finished"}``. A record that cannot be read (foreign format, unpicklable class) counts as
    missing and is recomputed. Only the sweep's driver process writes here, never the workers.
    Pickle is trusted input: open only stores you (or your team) wrote.
    """

    suffix = ".pkl"

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a sweep key: {key!r}")
        return self.folder / f"{key}{self.suffix}"

    def __contains__(self, key: str) -> bool:
        return self.record(key) is not None

    def keys(self) -> list[str]:
        """Keys of every stored record (temporary files are never listed)."""
        return sorted(
            p.name[: -len(self.suffix)]
            for p in self.folder.glob(f"*{self.suffix}")
            if not p.name.startswith(".")
        )

    def record(self, key: str) -> dict[str, Any] | None:
        """The stored record of ``key``, or ``None`` when absent or unreadable."""
        path = self.path(key)
        try:
            with path.open("rb") as f:
                rec = pickle.load(f)
        except FileNotFoundError:
            return None
        except Exception as exc:  # unreadable: recompute rather than fail the sweep
            log.warning(
                "sweep store: ignoring unreadable record %s (%s: %s)",
                path.name,
                type(exc).__name__,
                exc,
            )
            return None
        if not isinstance(rec, dict) or rec.get("format") != STORE_FORMAT or rec.get("key") != key:
            log.warning("sweep store: ignoring record %s of another format", path.name)
            return None
        return rec

    def get(self, key: str, default: Any = None) -> Any:
        """The stored result of ``key`` (``default`` when missing)."""
        rec = self.record(key)
        return default if rec is None else rec["result"]

    def put(
        self,
        key: str,
        result: Any,
        *,
        task: SweepTask | None = None,
        runtime_s: float = 0.0,
        host: str = "",
        pid: int = 0,
    ) -> Path:
        """Store ``result`` under ``key`` atomically (fsync'd temp file, then ``os.replace``)."""
        record = {
            "format": STORE_FORMAT,
            "key": key,
            "task": None if task is None else task.to_dict(),
            "result": result,
            "runtime_s": float(runtime_s),
            "host": host,
            "pid": int(pid),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        target = self.path(key)
        with atomic_path(target) as tmp, tmp.open("wb") as f:
            pickle.dump(record, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        return target

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

    def remove_stale_temporaries(self, *, min_age_s: float = 3600.0) -> int:
        """Delete temporary files left by a killed writer, if older than ``min_age_s``."""
        now = time.time()
        n = 0
        for p in self.folder.glob(".*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                if now - p.stat().st_mtime >= min_age_s:
                    p.unlink()
                    n += 1
        return n
