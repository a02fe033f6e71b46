"""Sweeps: many runs (variants × seeds × options) on a local process pool or a Dask cluster.

Model
-----
A :class:`SweepTask` describes one run as data: the function as a ``"module:qualname"`` string,
JSON keyword arguments, and the SHA-256 of the content of its input files (taken when the task is
made). Its :attr:`SweepTask.key` is the SHA-256 of a canonical JSON of (function, kwargs, input
hashes, :func:`code_version`), so the key changes when something that can change the result
changes: an argument, the bytes of an input file, the package version or its source code. File
timestamps and files that are not inputs do not enter it.

:func:`run_sweep` skips every task whose key is already in the :class:`ResultStore`, sends the
rest to an executor, and stores each result the moment it arrives (temporary file +
:func:`os.replace`, so a result file is whole or absent). A sweep killed at any point (even
``kill -9``) loses only the runs in flight; rerunning it computes only what is missing. A task
that raises is recorded as a :class:`TaskFailure` and the others carry on; the failures are listed
at the end (:meth:`SweepResult.raise_for_failures`).

Executors share one interface, ``map(fn, items)`` yielding ``(item, fn(item))`` as runs finish:
:class:`LocalExecutor` (``concurrent.futures`` process pool, ``spawn`` start method) and
:class:`DaskExecutor` (``distributed.Client`` at ``tcp://HOST:PORT``; imported lazily, only here).
Workers must be able to import the task function's module (install wasteopt on every worker and
put any extra module on ``PYTHONPATH``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.metadata
import json
import logging
import math
import os
import pickle
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from wasteopt.errors import SolverUnavailable, WasteoptError
from wasteopt.files import atomic_path, content_hash

__all__ = [
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "ResultStore",
    "SweepError",
    "SweepResult",
    "SweepTask",
    "TaskFailure",
    "code_version",
    "executor_for",
    "function_ref",
    "make_task",
    "resolve_function",
    "run_sweep",
    "variant_seed_tasks",
]

log = logging.getLogger("wasteopt")

#: Bumped when the stored record layout changes (old records then read as missing).
STORE_FORMAT = 1


# --------------------------------------------------------------------------------------------
# Tasks and keys


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """wasteopt's version plus a digest of its source files (``0.1.0+src.1a2b3c4d5e6f``).

    Part of every key, so editing the code (not only bumping the version) invalidates stored
    results instead of silently reusing results of older code. Computed once per process.
    """
    try:
        version = importlib.metadata.version("wasteopt")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        version = "unknown"
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        if "__pycache__" not in f.parts:
            h.update(f.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(f.read_bytes())
    return f"{version}+src.{h.hexdigest()[:12]}"


def function_ref(fn: Callable[..., Any] | str) -> str:
    """``"module:qualname"`` of a module-level function (a string is checked and returned)."""
    if isinstance(fn, str):
        ref = fn
    else:
        ref = f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', '?')}"
    module, _, qualname = ref.partition(":")
    if not module or not qualname or "<" in qualname:
        raise ValueError(
            f"task function {ref!r} must be a module-level function "
            "referenced as 'module:qualname' (no lambdas or local functions)"
        )
    if module in ("__main__", "__mp_main__"):
        raise ValueError(
            f"task function {ref!r} lives in __main__, which workers cannot import; "
            "move it into an importable module"
        )
    return ref


def resolve_function(ref: str) -> Callable[..., Any]:
    """Import ``"module:qualname"`` and return the object it names."""
    module, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{ref!r} is not callable")
    return obj


def _canonical(data: Any) -> str:
    try:
        return json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sweep task arguments must be JSON-serialisable: {exc}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepTask:
    """One run: ``resolve_function(function)(**kwargs)``.

    ``inputs`` are the files/folders the run reads and ``input_sha256`` their content hashes when
    the task was made (use :func:`make_task`). ``label`` is for people and is not in the key.
    """

    function: str
    kwargs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    inputs: tuple[str, ...] = ()
    input_sha256: tuple[str, ...] = ()
    version: str = field(default_factory=code_version)
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        function_ref(self.function)
        if len(self.inputs) != len(self.input_sha256):
            raise ValueError("each input needs its content hash; build tasks with make_task()")
        _canonical(dict(self.kwargs))

    @property
    def key(self) -> str:
        """SHA-256 of the canonical JSON of function, kwargs, input hashes and version."""
        payload = {
            "function": self.function,
            "kwargs": dict(self.kwargs),
            "inputs": list(self.input_sha256),
            "version": self.version,
        }
        return hashlib.sha256(_canonical(payload).encode()).hexdigest()

    @property
    def name(self) -> str:
        """The label, or ``function(k=v, ...)`` when there is none."""
        if self.label:
            return self.label
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.kwargs.items()))
        return f"{self.function.partition(':')[2]}({args})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "kwargs": dict(self.kwargs),
            "inputs": list(self.inputs),
            "input_sha256": list(self.input_sha256),
            "version": self.version,
            "label": self.label,
            "key": self.key,
        }


def make_task(
    function: Callable[..., Any] | str,
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    label: str = "",
    version: str | None = None,
    **kwargs: Any,
) -> SweepTask:
    """A :class:`SweepTask` calling ``function(**kwargs)``; hashes the content of ``inputs`` now."""
    paths = tuple(str(Path(p)) for p in inputs)
    return SweepTask(
        function=function_ref(function),
        kwargs=dict(kwargs),
        inputs=paths,
        input_sha256=tuple(content_hash(p) for p in paths),
        version=code_version() if version is None else version,
        label=label,
    )


def variant_seed_tasks(
    function: Callable[..., Any] | str,
    scenario: str | os.PathLike[str],
    *,
    variants: Sequence[str],
    seeds: Iterable[int],
    **options: Any,
) -> list[SweepTask]:
    """Tasks ``function(scenario=..., variant=v, seed=s, **options)`` for every variant × seed.

    The scenario folder is the input whose content is hashed. Order: variant-major.
    """
    folder = str(Path(scenario).resolve())
    digest = content_hash(folder)
    ref = function_ref(function)
    version = code_version()
    seeds = [int(s) for s in seeds]
    return [
        SweepTask(
            function=ref,
            kwargs={"scenario": folder, "variant": v, "seed": s, **options},
            inputs=(folder,),
            input_sha256=(digest,),
            version=version,
            label=f"{v} seed={s}",
        )
        for v in variants
        for s in seeds
    ]


# --------------------------------------------------------------------------------------------
# Running one task (in a worker)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskFailure:
    """A run that raised (or whose worker died): the error as text, never the live exception."""

    error_type: str
    message: str
    traceback: str = ""
    host: str = ""
    pid: int = 0

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Outcome:
    """What a worker sends back: the value or the failure, and where and how long it ran."""

    value: Any = None
    failure: TaskFailure | None = None
    runtime_s: float = 0.0
    host: str = ""
    pid: int = 0


def _run_task(task: SweepTask) -> _Outcome:
    """Run one task in the current process; exceptions become a :class:`TaskFailure`."""
    host, pid = socket.gethostname(), os.getpid()
    t0 = time.perf_counter()
    try:
        value = resolve_function(task.function)(**dict(task.kwargs))
    except Exception as exc:  # one failing run must not take down the sweep
        return _Outcome(
            failure=TaskFailure(
                error_type=type(exc).__name__,
                message=str(exc),
                traceback=traceback.format_exc(),
                host=host,
                pid=pid,
            ),
            runtime_s=time.perf_counter() - t0,
            host=host,
            pid=pid,
        )
    return _Outcome(value=value, runtime_s=time.perf_counter() - t0, host=host, pid=pid)


# --------------------------------------------------------------------------------------------
# Result store


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


# --------------------------------------------------------------------------------------------
# Executors


class Executor(Protocol):
    """Runs ``fn(item)`` for many items somewhere; yields ``(item, result)`` as each finishes.

    An error raised by the executor for one item (worker died, result not transferable) is
    yielded as that item's :class:`TaskFailure`; it never stops the other items.
    """

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[Any, Any]]: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


def _failure_from(exc: BaseException) -> TaskFailure:
    return TaskFailure(
        error_type=type(exc).__name__,
        message=str(exc) or repr(exc),
        traceback="".join(traceback.format_exception(exc)),
    )


class LocalExecutor:
    """A ``concurrent.futures.ProcessPoolExecutor`` with ``workers`` spawned processes.

    ``spawn`` (not ``fork``) so workers start clean on every platform and never inherit the
    driver's threads or locks. The pool is created on first use and reused until :meth:`close`.
    """

    def __init__(self, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = int(workers)
        self._pool = None

    def describe(self) -> str:
        return f"local process pool ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
        import concurrent.futures as cf
        import multiprocessing

        items = list(items)
        if not items:
            return
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        futures = {self._pool.submit(fn, item): item for item in items}
        try:
            for fut in cf.as_completed(futures):
                try:
                    yield futures[fut], fut.result()
                except Exception as exc:  # e.g. BrokenProcessPool when a worker was killed
                    yield futures[fut], _failure_from(exc)
        finally:
            for fut in futures:
                fut.cancel()
            if any(not f.done() for f in futures):  # interrupted: do not wait for the rest
                self.close(wait=False)

    def close(self, wait: bool = True) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskExecutor:
    """Runs items on a Dask distributed cluster through ``distributed.Client(address)``.

    ``address`` is the scheduler's ``tcp://HOST:PORT``. Items and results travel by pickle; the
    workers must have wasteopt (same version) and the task modules importable.
    """

    def __init__(self, address: str, *, timeout_s: float = 30.0) -> None:
        try:
            import distributed
        except Exception as exc:  # missing or broken install
            raise SolverUnavailable(
                f"Dask distributed is not available ({type(exc).__name__}: {exc}); "
                "install it with: pip install 'dask[distributed]'"
            ) from exc
        self.address = address
        try:
            self._client = distributed.Client(
                address, timeout=f"{timeout_s}s", set_as_default=False
            )
        except OSError as exc:
            raise WasteoptError(
                f"cannot reach the Dask scheduler at {address} within {timeout_s:g} s: {exc}"
            ) from exc
        self._distributed = distributed

    def describe(self) -> str:
        n = len(self._client.scheduler_info().get("workers", {}))
        return f"Dask cluster at {self.address} ({n} worker{'s' if n != 1 else ''})"

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
        items = list(items)
        if not items:
            return
        # pure=False: every submission runs (the store, not Dask's cache, decides what is done)
        futures = [self._client.submit(fn, item, pure=False) for item in items]
        owner = {f.key: item for f, item in zip(futures, items, strict=True)}
        try:
            for fut in self._distributed.as_completed(futures, loop=self._client.loop):
                try:
                    result = fut.result()
                except Exception as exc:  # task error or KilledWorker
                    result = _failure_from(exc)
                yield owner[fut.key], result
                fut.release()
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def executor_for(scheduler: str | None, workers: int = 2) -> LocalExecutor | DaskExecutor:
    """A :class:`DaskExecutor` for ``scheduler`` (``tcp://HOST:PORT``), else a local pool."""
    if scheduler:
        return DaskExecutor(scheduler)
    return LocalExecutor(workers=workers)


# --------------------------------------------------------------------------------------------
# Sweeps


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


def run_sweep(
    tasks: Iterable[SweepTask],
    *,
    store: ResultStore | str | os.PathLike[str],
    executor: Executor | None = None,
    progress: Callable[[int, int, SweepTask, str], None] | None = None,
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
    total = len(by_key)
    found: dict[str, Any] = {}
    runs: dict[str, dict[str, Any]] = {}
    reused: list[str] = []
    todo: list[SweepTask] = []
    done = 0
    for key, task in by_key.items():
        rec = store.record(key)
        if rec is None:
            todo.append(task)
            continue
        found[key] = rec["result"]
        runs[key] = {k: rec.get(k) for k in ("runtime_s", "host", "pid")}
        reused.append(key)
        done += 1
        if progress is not None:
            progress(done, total, task, "reused")

    computed: list[str] = []
    failures: dict[str, TaskFailure] = {}
    own = executor is None and bool(todo)
    ex: Executor | None = LocalExecutor() if own else executor
    description = ""
    if todo:
        assert ex is not None
        description = ex.describe()
        log.info(
            "sweep: %d runs, %d in the store, %d to compute on %s",
            total,
            len(reused),
            len(todo),
            description,
        )
        try:
            for task, outcome in ex.map(_run_task, todo):
                key = task.key
                if isinstance(outcome, _Outcome) and outcome.failure is None:
                    store.put(
                        key,
                        outcome.value,
                        task=task,
                        runtime_s=outcome.runtime_s,
                        host=outcome.host,
                        pid=outcome.pid,
                    )
                    found[key] = outcome.value
                    computed.append(key)
                    state = "computed"
                else:
                    fail = outcome.failure if isinstance(outcome, _Outcome) else outcome
                    if not isinstance(fail, TaskFailure):
                        fail = TaskFailure(
                            error_type="TypeError",
                            message=f"executor returned {type(outcome).__name__}",
                        )
                    failures[key] = fail
                    log.error("sweep run %s failed: %s\n%s", task.name, fail, fail.traceback)
                    state = "failed"
                if isinstance(outcome, _Outcome):
                    runs[key] = {
                        "runtime_s": outcome.runtime_s,
                        "host": outcome.host,
                        "pid": outcome.pid,
                    }
                done += 1
                if progress is not None:
                    progress(done, total, task, state)
        finally:
            if own and ex is not None:
                ex.close()
    order = list(by_key)
    computed_set = set(computed)
    return SweepResult(
        tasks=by_key,
        results={k: found[k] for k in order if k in found},
        failures={k: failures[k] for k in order if k in failures},
        reused=tuple(reused),
        computed=tuple(k for k in order if k in computed_set),
        runs=runs,
        runtime_s=time.perf_counter() - t0,
        executor=description,
    )
