"""Jobs run alike in this process, a fork or spawn pool and a real Dask cluster; the
checkpoint store skips finished jobs, survives torn files and resumes a run killed with -9."""

from __future__ import annotations

import io
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import compute_jobs
import pytest

import wasteopt.compute as compute
from wasteopt.compute import (
    CheckpointStore,
    DaskExecutor,
    Executor,
    LocalExecutor,
    SerialExecutor,
    TaskFailure,
    executor_for,
    job_key,
    run_jobs,
)
from wasteopt.errors import SolverUnavailable


@pytest.fixture(params=["serial", "fork", "spawn", "dask"])
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    """Each kind of executor, closed after the test."""
    kind = request.param
    made: Executor
    if kind == "serial":
        made = SerialExecutor()
    elif kind == "dask":
        made = DaskExecutor(request.getfixturevalue("dask_address"))
    else:
        made = LocalExecutor(workers=2, start_method=kind)
    yield made
    made.close()


def _jobs(n: int, **extra: object) -> list[tuple[str, dict[str, object]]]:
    return [(f"t{x}", {"x": x, **extra}) for x in range(n)]


def test_every_executor_gives_the_same_results_and_keeps_failures_apart(executor, tmp_path):
    """Serial, fork, spawn and Dask give {name: x*x} in job order; a job that raises becomes
    a TaskFailure that re-raises its ValueError, is not stored, and stops no other job."""
    jobs = [*_jobs(5), ("bad", {"x": 7, "fail": True})]
    store = CheckpointStore(tmp_path / "store")
    out = run_jobs(
        compute_jobs.square,
        jobs,
        executor=executor,
        store=store,
        describe=compute_jobs.describe,
    )
    assert list(out) == [name for name, _ in jobs]
    assert {k: v for k, v in out.items() if k != "bad"} == {f"t{x}": x * x for x in range(5)}
    fail = out["bad"]
    assert isinstance(fail, TaskFailure) and fail.error_type == "ValueError"
    with pytest.raises(ValueError, match="cursed"):
        fail.reraise()
    assert len(store.keys()) == 5 and job_key(compute_jobs.describe({"x": 7})) not in store
    assert executor.lanes >= 1 and executor.describe()


def test_a_dead_worker_is_a_failure_and_the_pool_is_replaced():
    """A job whose worker process is killed comes back as a BrokenProcessPool failure (the
    driver survives), and the same executor runs the next batch on a fresh pool."""
    with LocalExecutor(workers=2, start_method="fork") as ex:
        out = run_jobs(compute_jobs.square, [("dies", {"x": 1, "die": True})], executor=ex)
        assert isinstance(out["dies"], TaskFailure)
        assert out["dies"].error_type == "BrokenProcessPool"
        assert run_jobs(compute_jobs.square, _jobs(3), executor=ex) == {"t0": 0, "t1": 1, "t2": 4}


def test_stored_jobs_are_not_recomputed(tmp_path):
    """A rerun over a full store calls nothing (the job function would raise); after one
    record is deleted, exactly that job runs again."""
    log = tmp_path / "calls.log"
    store = CheckpointStore(tmp_path / "store")
    jobs = _jobs(4, log=str(log))
    first = run_jobs(compute_jobs.square, jobs, store=store, describe=compute_jobs.describe)
    assert len(log.read_text().splitlines()) == 4
    again = run_jobs(compute_jobs.explode, jobs, store=store, describe=compute_jobs.describe)
    assert again == first
    store.path(job_key(compute_jobs.describe({"x": 2}))).unlink()
    with LocalExecutor(workers=2, start_method="fork") as ex:
        third = run_jobs(
            compute_jobs.square, jobs, executor=ex, store=store, describe=compute_jobs.describe
        )
    assert third == first
    assert [line.split()[0] for line in log.read_text().splitlines()[4:]] == ["2"]


def test_store_treats_torn_and_foreign_records_as_missing(tmp_path, caplog):
    """A truncated record, a record of another format and a leftover temporary file read as
    missing (a warning names the file); keys that are not SHA-256 hex are refused."""
    store = CheckpointStore(tmp_path / "store")
    key, other = job_key("a"), job_key("b")
    store.put(key, {"x": 1}, info={"name": "a"})
    assert store.get(key) == {"x": 1} and store.record(key)["name"] == "a"
    assert not [p for p in store.folder.iterdir() if p.name.endswith(".tmp")]
    store.path(key).write_bytes(pickle.dumps({"format": 1, "key": key, "result": 1})[:9])
    store.path(other).write_bytes(pickle.dumps({"format": 0, "key": other, "result": 2}))
    (store.folder / f".{key}.pkl.abc.tmp").write_bytes(b"half a pick")
    with caplog.at_level(logging.WARNING, logger="wasteopt"):
        assert store.get(key) is None and other not in store
    assert str(store.path(key)) in caplog.text and "another format" in caplog.text
    assert store.keys() == sorted([key, other])
    with pytest.raises(ValueError, match="not a checkpoint key"):
        store.path("../../etc/passwd")
    with pytest.raises(ValueError, match="result"):
        store.put(key, 1, info={"result": 2})


def test_job_key_follows_the_description_and_the_code(monkeypatch):
    """The key is stable for one description, differs for another, and changes with the code."""
    a = job_key("territory A")
    assert a == job_key("territory A") and a != job_key("territory B") and len(a) == 64
    monkeypatch.setattr(compute, "code_version", lambda: "0.0.0+src.other")
    assert job_key("territory A") != a


def test_run_jobs_refuses_twice_named_jobs_and_a_store_without_describe(tmp_path):
    """Two jobs of one name, or a store without describe(), are caller bugs: ValueError."""
    with pytest.raises(ValueError, match=r"more than once: \['t0'\]"):
        run_jobs(compute_jobs.square, [*_jobs(2), ("t0", {"x": 5})])
    with pytest.raises(ValueError, match="describe"):
        run_jobs(compute_jobs.square, _jobs(2), store=CheckpointStore(tmp_path / "s"))


def test_unreachable_scheduler_fails_fast_and_names_the_address():
    """A closed port and a malformed address give SolverUnavailable naming the address, in
    about the timeout (not a hang, not a traceback)."""
    t0 = time.monotonic()
    with pytest.raises(SolverUnavailable, match=r"cannot reach the Dask scheduler at tcp://127"):
        DaskExecutor("tcp://127.0.0.1:9", timeout_s=1.0)
    assert time.monotonic() - t0 < 5
    with pytest.raises(SolverUnavailable, match="at no-port-here"):
        executor_for("no-port-here", workers=2)


def test_executor_for_picks_this_process_a_pool_or_refuses_bad_settings():
    """One worker runs in this process, more in a pool of that start method; zero workers or
    an unknown start method are refused."""
    assert isinstance(executor_for(None, 1), SerialExecutor)
    pool = executor_for(None, 3, start_method="fork")
    assert isinstance(pool, LocalExecutor) and pool.lanes == 3 and "fork" in pool.describe()
    with pytest.raises(ValueError, match="workers"):
        LocalExecutor(workers=0)
    with pytest.raises(ValueError, match="start method"):
        LocalExecutor(workers=2, start_method="teleport")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_counts_jobs_on_a_terminal_only(tmp_path, monkeypatch, capsys):
    """On a terminal the bar counts every job (stored ones included) under its name; on a
    pipe or log file it writes nothing."""
    store = CheckpointStore(tmp_path / "store")
    store.put(job_key(compute_jobs.describe({"x": 0})), 0)
    kwargs = {"store": store, "describe": compute_jobs.describe, "progress": True}
    run_jobs(compute_jobs.square, _jobs(3), desc="territories", **kwargs)
    assert capsys.readouterr().err == ""
    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    slow = _jobs(4, sleep_s=0.15)  # slower than tqdm's refresh interval: every count is drawn
    run_jobs(compute_jobs.square, slow, desc="territories", unit="territory", **kwargs)
    drawn = screen.getvalue()
    assert "territories" in drawn and "3/4" in drawn and "4/4" in drawn  # 3 stored by run 1


def _records(store: CheckpointStore, keys: list[str]) -> dict[str, tuple[int, int, bytes]]:
    """Each record's (inode, mtime in ns, bytes): any rewrite changes them."""
    stats = {k: store.path(k).stat() for k in keys}
    return {k: (st.st_ino, st.st_mtime_ns, store.path(k).read_bytes()) for k, st in stats.items()}


_CHILD = (
    "import sys, compute_jobs\n"
    "from wasteopt.compute import CheckpointStore, run_jobs\n"
    "jobs = [(f't{x}', {'x': x, 'sleep_s': 0.3, 'log': sys.argv[2]}) for x in range(6)]\n"
    "run_jobs(compute_jobs.square, jobs, store=CheckpointStore(sys.argv[1]),\n"
    "         describe=compute_jobs.describe)\n"
)


def test_a_run_killed_with_sigkill_resumes_without_recomputing(tmp_path, worker_pythonpath):
    """A process killed with -9 after two results are stored leaves only whole records; the
    rerun leaves them untouched and computes only the jobs without a record."""
    store_dir, log = tmp_path / "store", tmp_path / "calls.log"
    env = {**os.environ, "PYTHONPATH": worker_pythonpath}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(store_dir), str(log)], env=env, cwd=tmp_path
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            if store_dir.is_dir() and len(CheckpointStore(store_dir).keys()) >= 2:
                break
            time.sleep(0.01)
        assert child.poll() is None, "the run ended before it could be killed"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    store = CheckpointStore(store_dir)
    kept = _records(store, store.keys())
    assert 2 <= len(kept) < 6 and all(store.record(k) is not None for k in kept)
    calls = len(log.read_text().splitlines())
    jobs = [(f"t{x}", {"x": x, "log": str(log)}) for x in range(6)]
    out = run_jobs(compute_jobs.square, jobs, store=store, describe=compute_jobs.describe)
    assert out == {f"t{x}": x * x for x in range(6)}
    assert len(log.read_text().splitlines()) - calls == 6 - len(kept)
    assert _records(store, list(kept)) == kept
