"""Running many independent jobs in this process, a local process pool or a Dask cluster, with
checkpoints that let a killed run resume.

Model
-----
A *job* is ``fn(payload)``: a module-level function (workers import it by name) and one
picklable payload. An executor's ``map(fn, items)`` yields ``(item, outcome)`` in the order
the jobs finish; the outcome is ``fn(item)``, or a :class:`TaskFailure` when ``fn`` raised or
its worker died. One failing job never stops the others; the caller decides what a failure
means (:meth:`TaskFailure.reraise` raises the original error again).

- :class:`SerialExecutor`: this process, one job after the other (``workers == 1``);
- :class:`LocalExecutor`: a ``concurrent.futures`` process pool, ``spawn`` by default (clean
  workers) or ``fork`` (no re-import per worker, the driver's memory shared copy-on-write);
- :class:`DaskExecutor`: ``distributed.Client`` at ``tcp://HOST:PORT``, imported lazily and
  only here; a scheduler that cannot be reached within ``timeout_s`` is
  :class:`~wasteopt.errors.SolverUnavailable` naming the address (exit code 4).

:func:`executor_for` picks one from ``--scheduler`` and ``--workers``.

A :class:`CheckpointStore` is a folder of finished results, one pickled record ``<key>.pkl``
per key, written atomically (fsync'd temporary file, then :func:`os.replace`), so a record is
whole or absent even after ``kill -9``; a record that cannot be read counts as missing (logged)
and is computed again. :func:`job_key` is the SHA-256 of :func:`code_version` and the caller's
canonical description of a job, so results of other code are never reused. :func:`run_jobs`
takes what the store has, runs the rest, and stores each result the moment it arrives. Pickle
is trusted input: open only stores you (or your team) wrote.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import hashlib
import importlib.metadata
import logging
import multiprocessing
import os
import pickle
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NoReturn, Protocol, Self

from tqdm import tqdm

import wasteopt
from wasteopt.errors import SolverUnavailable
from wasteopt.files import atomic_path

__all__ = [
    "STORE_FORMAT",
    "CheckpointStore",
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "SerialExecutor",
    "TaskFailure",
    "code_version",
    "executor_for",
    "failure_from",
    "job_key",
    "run_jobs",
]

log = logging.getLogger("wasteopt")

#: Bumped when the stored record layout changes (old records then read as missing).
STORE_FORMAT = 1


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
    root = Path(wasteopt.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        if "__pycache__" not in f.parts:
            h.update(f.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(f.read_bytes())
    return f"{version}+src.{h.hexdigest()[:12]}"


def job_key(description: str) -> str:
    """SHA-256 (hex) of :func:`code_version` and ``description``, a job's canonical text."""
    return hashlib.sha256(f"{code_version()}\0{description}".encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskFailure:
    """A job that raised (or whose worker died), as text; ``exception`` is the live error
    where the driver has it (every executor here), ``None`` when it came back as text."""

    error_type: str
    message: str
    traceback: str = ""
    host: str = ""
    pid: int = 0
    exception: BaseException | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"

    def reraise(self) -> NoReturn:
        """Raise the original error (a ``RuntimeError`` with its text when only that is known)."""
        if self.exception is not None:
            raise self.exception
        raise RuntimeError(f"{self}\n{self.traceback}".rstrip())


def failure_from(exc: BaseException) -> TaskFailure:
    """An error raised for one job (by the job, or its worker dying) as a :class:`TaskFailure`."""
    return TaskFailure(
        error_type=type(exc).__name__,
        message=str(exc) or repr(exc),
        traceback="".join(traceback.format_exception(exc)),
        exception=exc,
    )


class Executor(Protocol):
    """Runs ``fn(item)`` for many items somewhere; yields ``(item, outcome)`` as each finishes.

    The outcome is ``fn(item)`` or, when it raised or its worker died, a :class:`TaskFailure`;
    one failure never stops the other items. ``lanes`` is how many jobs run at once.
    """

    @property
    def lanes(self) -> int: ...

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[Any, Any]]: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


class _Closing:
    """``with executor: ...`` closes it."""

    def close(self) -> None:
        """Release the workers (nothing to release here)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(_Closing):
    """Runs each job in this process, one after the other, when it is asked for the next."""

    lanes = 1

    def describe(self) -> str:
        return "this process (serial)"

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
        for item in list(items):
            try:
                outcome = fn(item)
            except Exception as exc:  # one failing job must not stop the others
                outcome = failure_from(exc)
            yield item, outcome


class LocalExecutor(_Closing):
    """A ``concurrent.futures.ProcessPoolExecutor`` of ``workers`` processes.

    ``spawn`` (default) starts clean workers on every platform that never inherit the driver's
    threads or locks; ``fork`` (POSIX) skips re-importing the package in each worker. The pool
    is created on first use and reused until :meth:`close`; a pool broken by a dead worker is
    replaced on the next :meth:`map`.
    """

    def __init__(self, workers: int = 2, *, start_method: str = "spawn") -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if start_method not in multiprocessing.get_all_start_methods():
            raise ValueError(
                f"start method {start_method!r} is not available here; "
                f"expected one of {multiprocessing.get_all_start_methods()}"
            )
        self.workers = int(workers)
        self.start_method = start_method
        self._pool: cf.ProcessPoolExecutor | None = None

    @property
    def lanes(self) -> int:
        return self.workers

    def describe(self) -> str:
        s = "s" if self.workers != 1 else ""
        return f"local process pool ({self.workers} worker{s}, {self.start_method})"

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
        items = list(items)
        if not items:
            return
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context(self.start_method),
            )
        futures = {self._pool.submit(fn, item): item for item in items}
        broken = False
        try:
            for fut in cf.as_completed(futures):
                try:
                    yield futures[fut], fut.result()
                except Exception as exc:  # the job's error, or BrokenProcessPool
                    broken = broken or isinstance(exc, BrokenProcessPool)
                    yield futures[fut], failure_from(exc)
        finally:
            for fut in futures:
                fut.cancel()
            if broken or any(not f.done() for f in futures):  # do not wait for the rest
                self.close(wait=False)

    def close(self, wait: bool = True) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)


class DaskExecutor(_Closing):
    """Runs jobs on a Dask distributed cluster through ``distributed.Client(address)``.

    ``address`` is the scheduler's ``tcp://HOST:PORT``. Jobs and results travel by pickle; the
    workers must have wasteopt (same version) and the job function's module importable.
    """

    def __init__(self, address: str, *, timeout_s: float = 10.0) -> None:
        try:
            import distributed  # lazy: the cluster client is loaded only for a cluster
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
        except Exception as exc:  # refused, timed out, malformed, or garbage from a proxy
            raise SolverUnavailable(
                f"cannot reach the Dask scheduler at {address} within {timeout_s:g} s "
                f"({type(exc).__name__}: {exc})"
            ) from exc
        self._distributed = distributed

    def _workers(self) -> dict[str, Any]:
        workers: dict[str, Any] = self._client.scheduler_info().get("workers", {})
        return workers

    @property
    def lanes(self) -> int:
        """Threads over all workers now (at least 1)."""
        return max(1, sum(int(w.get("nthreads", 1)) for w in self._workers().values()))

    def describe(self) -> str:
        n = len(self._workers())
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
                except Exception as exc:  # the job's error, or KilledWorker
                    result = failure_from(exc)
                yield owner[fut.key], result
                fut.release()
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self._client.close()


def executor_for(
    scheduler: str | None, workers: int = 2, *, start_method: str = "spawn"
) -> SerialExecutor | LocalExecutor | DaskExecutor:
    """A :class:`DaskExecutor` for ``scheduler`` (``tcp://HOST:PORT``), else this process for
    one worker, else a local pool of ``workers`` processes started by ``start_method``."""
    if scheduler:
        return DaskExecutor(scheduler)
    if workers == 1:
        return SerialExecutor()
    return LocalExecutor(workers=workers, start_method=start_method)


class CheckpointStore:
    """A folder of finished results, one ``<key>.pkl`` per key, each written atomically.

    A record is a pickled dict ``{"format", "key", "result", "finished", **info}``. A record
    that cannot be read (torn, foreign format, unpicklable class) counts as missing, with a
    warning. Only the driver process writes here, never the workers.
    """

    suffix: ClassVar[str] = ".pkl"
    kind: ClassVar[str] = "checkpoint"  # names the store in messages: "<kind> store"

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)  # made by the first put: a run that fails early leaves none

    def path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a {self.kind} key (64 lowercase hex digits): {key!r}")
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
        except Exception as exc:  # unreadable: recompute rather than fail the run
            log.warning(
                "%s store: ignoring unreadable record %s (%s: %s)",
                self.kind,
                path,
                type(exc).__name__,
                exc,
            )
            return None
        if not isinstance(rec, dict) or rec.get("format") != STORE_FORMAT or rec.get("key") != key:
            log.warning("%s store: ignoring record %s of another format", self.kind, path)
            return None
        return rec

    def get(self, key: str, default: Any = None) -> Any:
        """The stored result of ``key`` (``default`` when missing)."""
        rec = self.record(key)
        return default if rec is None else rec["result"]

    def put(self, key: str, result: Any, *, info: Mapping[str, Any] | None = None) -> Path:
        """Store ``result`` under ``key`` atomically (fsync'd temp file, then ``os.replace``);
        ``info`` adds facts about the run to the record."""
        extra = dict(info or {})
        clash = sorted(extra.keys() & {"format", "key", "result"})
        if clash:
            raise ValueError(f"record info may not set {clash}")
        record = {
            "format": STORE_FORMAT,
            "key": key,
            "result": result,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **extra,
        }
        target = self.path(key)
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp, tmp.open("wb") as f:
            pickle.dump(record, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        return target

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


class _Bar(tqdm):
    """A tqdm bar without tqdm's monitor thread, so a ``fork`` pool never forks a thread."""

    monitor_interval = 0


def run_jobs(
    fn: Callable[[Any], Any],
    jobs: Sequence[tuple[str, Any]],
    *,
    executor: Executor | None = None,
    store: CheckpointStore | None = None,
    describe: Callable[[Any], str] | None = None,
    progress: bool = False,
    desc: str = "jobs",
    unit: str = "job",
) -> dict[str, Any]:
    """``{name: fn(payload)}`` for ``jobs`` of ``(name, payload)``, in the order of ``jobs``.

    With a ``store``, a job whose key ``job_key(describe(payload))`` is stored is not run
    again, and each new result is stored as soon as it arrives (so ``kill -9`` loses only the
    jobs in flight). A job that fails maps to its :class:`TaskFailure` and is not stored.
    ``executor`` defaults to :class:`SerialExecutor` and is never closed here. ``progress``
    shows a bar of ``unit`` counting jobs on stderr when it is a terminal (never in a log).
    """
    names = [name for name, _ in jobs]
    twice = sorted(n for n, k in Counter(names).items() if k > 1)
    if twice:
        raise ValueError(f"job names must be unique; given more than once: {twice}")
    keys: dict[str, str] = {}
    found: dict[str, Any] = {}
    if store is not None:
        if describe is None:
            raise ValueError("run_jobs with a store needs describe(payload) for the job keys")
        keys = {name: job_key(describe(p)) for name, p in jobs}
        found = _stored(store, keys)
        if found:
            log.info("%s: %d of %d reused from %s", desc, len(found), len(jobs), store.folder)
    todo = [(name, p) for name, p in jobs if name not in found]
    disable = None if progress else True  # None: tqdm shows the bar only on a terminal
    bar = _Bar(
        total=len(jobs),
        initial=len(found),
        desc=desc,
        unit=unit,
        leave=False,
        disable=disable,
        file=sys.stderr,
    )
    with bar:
        if todo:
            ex: Executor = SerialExecutor() if executor is None else executor
            log.info("%s: %d to run on %s", desc, len(todo), ex.describe())
            for (name, _), outcome in ex.map(_Call(fn), todo):
                found[name] = outcome
                if isinstance(outcome, TaskFailure):
                    log.debug("%s: %s failed: %s\n%s", desc, name, outcome, outcome.traceback)
                elif store is not None:
                    _checkpoint(store, keys[name], outcome, name)
                bar.update(1)
    return {name: found[name] for name in names}


@dataclass(frozen=True, slots=True)
class _Call:
    """``fn(payload)`` for a ``(name, payload)`` item; picklable when ``fn`` is."""

    fn: Callable[[Any], Any]

    def __call__(self, item: tuple[str, Any]) -> Any:
        return self.fn(item[1])


def _stored(store: CheckpointStore, keys: Mapping[str, str]) -> dict[str, Any]:
    """The stored result of each name whose key has a readable record."""
    store.remove_stale_temporaries()
    found: dict[str, Any] = {}
    for name, key in keys.items():
        rec = store.record(key)
        if rec is not None:
            found[name] = rec["result"]
    return found


def _checkpoint(store: CheckpointStore, key: str, result: Any, name: str) -> None:
    """Store one result; a result that cannot be stored is still returned, with a warning."""
    try:
        store.put(key, result, info={"name": name})
    except Exception as exc:  # a checkpoint only saves time on a rerun; never fail the run
        log.warning("%s store: cannot store %s (%s: %s)", store.kind, name, type(exc).__name__, exc)
