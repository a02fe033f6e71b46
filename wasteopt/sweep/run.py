"""Running a sweep: skip what the store has, compute the rest, store each result on arrival."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from wasteopt.compute import Executor, LocalExecutor
from wasteopt.errors import WasteoptError
from wasteopt.sweep.store import ResultStore
from wasteopt.sweep.tasks import SweepTask, TaskFailure, TaskOutcome, run_task

__all__ = ["SweepError", "SweepResult", "run_sweep"]

log = logging.getLogger("wasteopt")


class SweepError(WasteoptError):
    """Some runs of a sweep failed; ``result`` holds everything that succeeded."""

    def __init__(self, result: SweepResult) -> None:
        self.result = result
        lines = [
            f"{len(result.failures)} of {result.total} sweep runs failed "
            f"(the other {len(result.results)} are stored):"
        ]
        for key, fail in result.failures.items():
            lines.append(f"  - {result.tasks[key].name} [{key[:12]}]: {fail}")
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepResult:
    """Outcome of :func:`run_sweep`; ``results`` follows task order (one entry per key)."""

    tasks: dict[str, SweepTask]
    results: dict[str, Any]
    failures: dict[str, TaskFailure]
    reused: tuple[str, ...]
    computed: tuple[str, ...]
    runs: dict[str, dict[str, Any]]
    runtime_s: float
    executor: str = ""

    @property
    def total(self) -> int:
        return len(self.tasks)

    @property
    def status(self) -> str:
        """``complete`` when every task has a result, else ``incomplete``."""
        return "complete" if not self.failures else "incomplete"

    def summary(self) -> str:
        text = (
            f"sweep {self.status}: {self.total} runs, {len(self.reused)} from the store, "
            f"{len(self.computed)} computed, {len(self.failures)} failed "
            f"in {self.runtime_s:.1f} s"
        )
        return text + (f" on {self.executor}" if self.executor else "")

    def to_frame(self) -> pd.DataFrame:
        """One row per task: key, label, its kwargs, state, runtime, host and pid."""
        rows = []
        for key, task in self.tasks.items():
            run = self.runs.get(key, {})
            state = (
                "failed" if key in self.failures else "reused" if key in self.reused else "computed"
            )
            rows.append(
                {
                    "key": key,
                    "label": task.name,
                    **dict(task.kwargs),
                    "state": state,
                    "runtime_s": run.get("runtime_s", math.nan),
                    "host": run.get("host", ""),
                    "pid": run.get("pid", 0),
                    "error": str(self.failures[key]) if key in self.failures else "",
                }
            )
        return pd.DataFrame(rows)

    def raise_for_failures(self) -> SweepResult:
        """Raise :class:`SweepError` listing every failed run; else return ``self``."""
        if self.failures:
            raise SweepError(self)
        return self


Progress = Callable[[int, int, SweepTask, str], None]


@dataclass(slots=True)
class _Ledger:
    """What a sweep has so far, per key: results, run facts, and how each task ended."""

    total: int
    progress: Progress | None
    found: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    failures: dict[str, TaskFailure] = field(default_factory=dict)
    done: int = 0

    def tick(self, task: SweepTask, state: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total, task, state)


def run_sweep(
    tasks: Iterable[SweepTask],
    *,
    store: ResultStore | str | os.PathLike[str],
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Run every task not yet in ``store``; store each result as soon as it arrives.

    ``executor`` defaults to a 2-worker :class:`LocalExecutor` (closed afterwards; an executor
    passed in is left open). ``progress(done, total, task, state)`` is called once per task with
    state ``reused``, ``computed`` or ``failed``. Failed runs are not stored; they are listed in
    the result (see :meth:`SweepResult.raise_for_failures`) and computed again by a rerun.
    """
    t0 = time.perf_counter()
    store = store if isinstance(store, ResultStore) else ResultStore(store)
    store.remove_stale_temporaries()
    by_key: dict[str, SweepTask] = {}
    for t in tasks:
        by_key.setdefault(t.key, t)
    ledger = _Ledger(total=len(by_key), progress=progress)
    todo = _reuse_stored(by_key, store, ledger)
    description = ""
    if todo:
        own = executor is None
        ex: Executor = LocalExecutor() if executor is None else executor
        try:
            description = ex.describe()
            log.info(
                "sweep: %d runs, %d in the store, %d to compute on %s",
                ledger.total,
                len(ledger.reused),
                len(todo),
                description,
            )
            for task, outcome in ex.map(run_task, todo):
                ledger.tick(task, _record_outcome(task, outcome, store, ledger))
        finally:
            if own:
                ex.close()
    order = list(by_key)
    computed = set(ledger.computed)
    return SweepResult(
        tasks=by_key,
        results={k: ledger.found[k] for k in order if k in ledger.found},
        failures={k: ledger.failures[k] for k in order if k in ledger.failures},
        reused=tuple(ledger.reused),
        computed=tuple(k for k in order if k in computed),
        runs=ledger.runs,
        runtime_s=time.perf_counter() - t0,
        executor=description,
    )


def _reuse_stored(
    by_key: dict[str, SweepTask], store: ResultStore, ledger: _Ledger
) -> list[SweepTask]:
    """Take every stored result into the ledger; return the tasks still to compute, in order."""
    todo: list[SweepTask] = []
    for key, task in by_key.items():
        rec = store.record(key)
        if rec is None:
            todo.append(task)
            continue
        ledger.found[key] = rec["result"]
        ledger.runs[key] = {k: rec.get(k) for k in ("runtime_s", "host", "pid")}
        ledger.reused.append(key)
        ledger.tick(task, "reused")
    return todo


def _record_outcome(task: SweepTask, outcome: object, store: ResultStore, ledger: _Ledger) -> str:
    """Store a successful run at once, or note its failure; return the task's state."""
    key = task.key
    if isinstance(outcome, TaskOutcome):
        ledger.runs[key] = {
            "runtime_s": outcome.runtime_s,
            "host": outcome.host,
            "pid": outcome.pid,
        }
        if outcome.failure is None:
            store.put(
                key,
                outcome.value,
                task=task,
                runtime_s=outcome.runtime_s,
                host=outcome.host,
                pid=outcome.pid,
            )
            ledger.found[key] = outcome.value
            ledger.computed.append(key)
            return "computed"
    fail = outcome.failure if isinstance(outcome, TaskOutcome) else outcome
    if not isinstance(fail, TaskFailure):  # an executor that broke the interface
        fail = TaskFailure(
            error_type="TypeError", message=f"executor returned {type(outcome).__name__}"
        )
    ledger.failures[key] = fail
    log.error("sweep run %s failed: %s\n%s", task.name, fail, fail.traceback)
    return "failed"
