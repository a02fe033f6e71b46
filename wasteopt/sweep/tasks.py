"""A sweep run as data: the task, its content key, and running it in a worker.

A :class:`SweepTask` names its function as ``"module:qualname"``, holds JSON keyword arguments and
the SHA-256 of the content of its input files (taken when the task is made). Its
:attr:`SweepTask.key` is the SHA-256 of a canonical JSON of (function, kwargs, input hashes,
:func:`code_version`), so the key changes exactly when something that can change the result
changes: an argument, the bytes of an input file, the package version or its source code.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wasteopt.compute import TaskFailure, code_version, failure_from
from wasteopt.files import content_hash

__all__ = [
    "SweepTask",
    "TaskFailure",
    "TaskOutcome",
    "code_version",
    "failure_from",
    "function_ref",
    "make_task",
    "resolve_function",
    "run_task",
    "variant_seed_tasks",
]


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


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskOutcome:
    """What a worker sends back: the value or the failure, and where and how long it ran."""

    value: Any = None
    failure: TaskFailure | None = None
    runtime_s: float = 0.0
    host: str = ""
    pid: int = 0


def run_task(task: SweepTask) -> TaskOutcome:
    """Run one task in the current process; exceptions become a :class:`TaskFailure`."""
    host, pid = socket.gethostname(), os.getpid()
    t0 = time.perf_counter()
    try:
        value = resolve_function(task.function)(**dict(task.kwargs))
    except Exception as exc:  # one failing run must not take down the sweep
        return TaskOutcome(
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
    return TaskOutcome(value=value, runtime_s=time.perf_counter() - t0, host=host, pid=pid)
