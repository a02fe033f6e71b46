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

The executors and the store's machinery are :mod:`wasteopt.compute`'s (shared with routing
territories): ``map(fn, items)`` yields ``(item, fn(item))`` as runs finish, on
:class:`SerialExecutor` (this process), :class:`LocalExecutor` (``concurrent.futures`` process
pool, ``spawn`` start method) or :class:`DaskExecutor` (``distributed.Client`` at
``tcp://HOST:PORT``). Workers must be able to import the task function's module (install
wasteopt on every worker and put any extra module on ``PYTHONPATH``).
"""

from wasteopt.compute import (
    DaskExecutor,
    Executor,
    LocalExecutor,
    SerialExecutor,
    executor_for,
)
from wasteopt.sweep.run import SweepError, SweepResult, run_sweep
from wasteopt.sweep.store import ResultStore
from wasteopt.sweep.tasks import (
    SweepTask,
    TaskFailure,
    code_version,
    function_ref,
    make_task,
    resolve_function,
    variant_seed_tasks,
)

__all__ = [
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "ResultStore",
    "SerialExecutor",
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
