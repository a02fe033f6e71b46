"""Where sweep runs execute: a local process pool or a Dask cluster, behind one interface.

``map(fn, items)`` yields ``(item, fn(item))`` as runs finish: :class:`LocalExecutor`
(``concurrent.futures`` process pool, ``spawn`` start method) and :class:`DaskExecutor`
(``distributed.Client`` at ``tcp://HOST:PORT``; imported lazily, only here). Workers must be able
to import the task function's module (install wasteopt on every worker and put any extra module
on ``PYTHONPATH``).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from wasteopt.errors import SolverUnavailable, WasteoptError
from wasteopt.sweep.tasks import failure_from

__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "executor_for"]


class Executor(Protocol):
    """Runs ``fn(item)`` for many items somewhere; yields ``(item, result)`` as each finishes.

    An error raised by the executor for one item (worker died, result not transferable) is
    yielded as that item's :class:`TaskFailure`; it never stops the other items.
    """

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[Any, Any]]: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


class LocalExecutor:
    """A ``concurrent.futures.ProcessPoolExecutor`` with ``workers`` spawned processes.

    ``spawn`` (not ``fork``) so workers start clean on every platform and never inherit the
    driver's threads or locks. The pool is created on first use and reused until :meth:`close`.
    """

    def __init__(self, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = int(workers)
        self._pool: cf.ProcessPoolExecutor | None = None

    def describe(self) -> str:
        return f"local process pool ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
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
                    yield futures[fut], failure_from(exc)
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
            import distributed  # lazy: an optional cluster dependency, loaded only for a cluster
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
                    result = failure_from(exc)
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
