"""Sweeps: local pool and real Dask cluster match direct calls; a store resumes after kill -9."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sweep_tasks

from wasteopt.errors import WasteoptError
from wasteopt.sweep import (
    DaskExecutor,
    LocalExecutor,
    ResultStore,
    SweepError,
    code_version,
    executor_for,
    make_task,
    run_sweep,
    variant_seed_tasks,
)

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


@pytest.fixture
def tiny(tmp_path: Path, tiny_dir: Path) -> Path:
    """A private copy of scenarios/tiny (tests may edit it)."""
    dst = tmp_path / "tiny"
    shutil.copytree(tiny_dir, dst)
    return dst


@pytest.fixture(scope="module")
def local_pool():
    """One 2-process spawn pool shared by the local tests (start-up is the slow part)."""
    with LocalExecutor(workers=2) as ex:
        yield ex


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _direct(task) -> pd.DataFrame:
    kwargs = {k: v for k, v in task.kwargs.items() if k != "log"}
    return sweep_tasks.demand_totals(**kwargs)


def _assert_results_equal(results: dict, tasks) -> None:
    assert list(results) == [t.key for t in tasks]
    for t in tasks:
        pd.testing.assert_frame_equal(results[t.key], _direct(t))


def test_local_sweep_equals_direct_calls(tiny, tmp_path, local_pool):
    """A local-pool sweep over variants × seeds returns, in task order, what direct calls return."""
    tasks = variant_seed_tasks(
        sweep_tasks.demand_totals, tiny, variants=["base", "east"], seeds=[1, 2, 3], days=4
    )
    seen = []
    out = run_sweep(
        tasks,
        store=tmp_path / "store",
        executor=local_pool,
        progress=lambda done, total, task, state: seen.append((done, total, state)),
    )
    assert out.status == "complete" and len(out.computed) == 6 and not out.reused
    _assert_results_equal(out.results, tasks)
    assert [s[0] for s in seen] == list(range(1, 7)) and {s[2] for s in seen} == {"computed"}
    # results really depend on the seed (the comparison above is not between constants)
    assert not out.results[tasks[0].key].equals(out.results[tasks[1].key])
    assert {p["pid"] for p in out.runs.values()} - {os.getpid()}, "ran in worker processes"


def test_rerun_computes_nothing_and_failures_are_kept_apart(tiny, tmp_path, local_pool):
    """A rerun reuses every stored run; a failing run is reported while the others are stored."""
    log = tmp_path / "calls.log"
    tasks = variant_seed_tasks(
        sweep_tasks.demand_totals, tiny, variants=["base"], seeds=[7, 8], days=3, log=str(log)
    )
    store = ResultStore(tmp_path / "store")
    first = run_sweep(tasks, store=store, executor=local_pool)
    second = run_sweep(tasks + tasks, store=store, executor=local_pool)  # duplicates run once
    assert len(first.computed) == 2 and second.computed == () and len(second.reused) == 2
    assert len(log.read_text().splitlines()) == 2
    _assert_results_equal(second.results, tasks)

    bad = [
        make_task(sweep_tasks.fails_for_seed, seed=s, bad_seed=2, label=f"seed {s}")
        for s in range(4)
    ]
    out = run_sweep(bad, store=store, executor=local_pool)
    assert out.status == "incomplete"
    assert [out.results[t.key] for t in bad if t.key in out.results] == [0, 10, 30]
    assert list(out.failures) == [bad[2].key] and bad[2].key not in store
    with pytest.raises(SweepError, match=r"1 of 4 sweep runs failed(.|\n)*seed 2.*cursed"):
        out.raise_for_failures()
    again = run_sweep(bad, store=store, executor=local_pool)
    assert again.computed == () and list(again.failures) == [bad[2].key]


def test_key_follows_input_content_not_timestamps(tiny, tmp_path):
    """The key changes with an input file's bytes, an argument or the version; not with mtimes."""

    def task(**kw):
        return make_task(
            sweep_tasks.demand_totals,
            inputs=[tiny],
            scenario=str(tiny),
            variant="base",
            seed=1,
            **kw,
        )

    k0 = task().key
    assert task().key == k0 and len(k0) == 64
    assert task().version == code_version() and "+src." in code_version()
    points = tiny / "points.csv"
    os.utime(points, (1_000_000, 1_000_000))
    (tmp_path / "unrelated.txt").write_text("not an input")
    (tiny / ".hidden_editor_swap").write_text("x")
    assert task().key == k0
    assert task(days=9).key != k0
    assert (
        make_task(
            sweep_tasks.demand_totals,
            inputs=[tiny],
            version="0.0.0",
            scenario=str(tiny),
            variant="base",
            seed=1,
        ).key
        != k0
    )
    assert (
        make_task(
            sweep_tasks.demand_totals,
            inputs=[tiny],
            label="other label",
            scenario=str(tiny),
            variant="base",
            seed=1,
        ).key
        == k0
    )
    points.write_text(points.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert task().key != k0
    with pytest.raises(ValueError, match="JSON"):
        make_task(sweep_tasks.demand_totals, scenario=tiny)  # a Path is not JSON
    with pytest.raises(ValueError, match="module-level"):
        make_task(lambda: 1)


def test_store_is_atomic_and_ignores_unreadable_records(tmp_path):
    """Only whole records count: temporary files are never listed, garbage reads as missing."""
    store = ResultStore(tmp_path / "store")
    task = make_task(sweep_tasks.fails_for_seed, seed=1, bad_seed=0)
    assert store.missing([task]) == [task] and store.get(task.key) is None
    store.put(task.key, {"x": 1}, task=task)
    assert store.get(task.key) == {"x": 1} and store.missing([task]) == []
    assert store.record(task.key)["task"]["kwargs"] == {"seed": 1, "bad_seed": 0}
    assert store.keys() == [task.key]
    assert not [p for p in store.folder.iterdir() if p.name.endswith(".tmp")]

    (store.folder / f".{task.key}.pkl.abc.tmp").write_bytes(b"half a pick")
    store.path(task.key).write_bytes(pickle.dumps({"x": 1})[:5])  # truncated
    assert store.keys() == [task.key] and store.get(task.key) is None
    assert store.missing([task]) == [task]
    with pytest.raises(ValueError, match="not a sweep key"):
        store.path("../../etc/passwd")


_CHILD = (  # the driver of the sweep to be killed; reads the tasks the test pickled
    "import pickle, sys\n"
    "from wasteopt.sweep import LocalExecutor, run_sweep\n"
    "tasks = pickle.load(open(sys.argv[1], 'rb'))\n"
    "with LocalExecutor(2) as ex:\n"
    "    run_sweep(tasks, store=sys.argv[2], executor=ex)\n"
)


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def test_sweep_resumes_after_kill_9(tiny, tmp_path, local_pool):
    """kill -9 mid-sweep keeps whole records only; the rerun computes just the missing runs."""
    log, store_dir = tmp_path / "calls.log", tmp_path / "store"
    tasks = variant_seed_tasks(
        sweep_tasks.demand_totals,
        tiny,
        variants=["base", "east"],
        seeds=range(5),
        days=4,
        sleep_s=0.3,
        log=str(log),
    )
    (tmp_path / "tasks.pkl").write_bytes(pickle.dumps(tasks))
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path / "tasks.pkl"), str(store_dir)],
        env=_env(),
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if store_dir.is_dir() and len(ResultStore(store_dir).keys()) >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"sweep ended before it could be killed: {proc.stdout.read()}"
        os.kill(proc.pid, signal.SIGKILL)  # the driver only, as `kill -9 PID` would
        proc.wait(timeout=10)
    finally:
        _kill_group(proc)  # then the orphaned pool workers
    store = ResultStore(store_dir)
    kept = store.keys()
    assert 2 <= len(kept) < len(tasks), kept
    for path in store_dir.iterdir():  # every visible file is a whole, readable record
        if not path.name.startswith("."):
            assert store.record(path.name.removesuffix(".pkl")) is not None, path.name
    calls_before = len(log.read_text().splitlines())

    out = run_sweep(tasks, store=store, executor=local_pool)
    assert set(out.reused) == set(kept) and len(out.computed) == len(tasks) - len(kept)
    assert len(log.read_text().splitlines()) - calls_before == len(tasks) - len(kept)
    _assert_results_equal(out.results, tasks)


RUNS = 2  # seeds of the compare sweep below: one is stored before the kill, one after


def _compare(scenario: Path, out: Path) -> list[str]:
    """The real command: `wasteopt compare` on tiny, RUNS seeded runs of the base with
    deterministic routing, one worker (runs finish one by one), the store in its default place
    OUT/.sweep-store."""
    return [
        sys.executable, "-m", "wasteopt.cli", "compare", str(scenario), "--variants", "base",
        "--seeds", str(RUNS), "--days", "2", "--iterations", "20", "--time-limit", "600",
        "--workers", "1", "--out", str(out),
    ]  # fmt: skip


def _records(store: Path) -> dict[str, tuple[int, int, bytes]]:
    """Each stored record's (inode, mtime in ns, bytes): any rewrite changes them."""
    return {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
        for p in store.glob("*.pkl")
        if not p.name.startswith(".")
    }


def _start(cmd: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, env=_env(), cwd=cwd, start_new_session=True, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_compare_command_killed_with_sigkill_resumes_without_recomputing(tiny, tmp_path):
    """The real `wasteopt compare` process group (driver and pool worker) is killed with SIGKILL
    once a run is stored; the restarted command reuses every stored run (each record file left
    as it was), computes only the others, and writes the tables that an uninterrupted run
    (started alongside) writes."""
    out, ref = tmp_path / "out", tmp_path / "uninterrupted"
    reference = _start(_compare(tiny, ref), tmp_path)
    try:
        _kill_resume_and_check(tiny, tmp_path, out)
        ref_log, _ = reference.communicate(timeout=300)
    finally:
        if reference.poll() is None:  # a failure above: leave no sweep running
            _kill_group(reference)
    assert reference.returncode == 0, ref_log
    for table in ("runs.csv", "compare.csv"):
        assert (out / table).read_bytes() == (ref / table).read_bytes(), table


def _kill_resume_and_check(tiny: Path, cwd: Path, out: Path) -> None:
    """Start compare into ``out``, SIGKILL it once a run is stored, start it again and check
    that it reuses the stored runs untouched and computes only the others."""
    store = out / ".sweep-store"
    proc = _start(_compare(tiny, out), cwd)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not _records(store):
            time.sleep(0.02)
        assert proc.poll() is None, f"compare ended before it could be killed: {proc.stdout.read()}"
    finally:
        _kill_group(proc)  # SIGKILL to the driver and its spawned worker at once
    kept = _records(store)
    assert 1 <= len(kept) < RUNS, sorted(kept)
    assert not (out / "compare.csv").exists()  # the killed run published nothing
    again = subprocess.run(_compare(tiny, out), env=_env(), cwd=cwd, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(kept)} from the store, {RUNS - len(kept)} computed" in again.stdout
    now = _records(store)
    assert len(now) == RUNS and {k: now[k] for k in kept} == kept


def test_executor_for_picks_local_pool_and_bad_scheduler_fails_clearly():
    """No scheduler gives a local pool; an unreachable scheduler gives a WasteoptError."""
    ex = executor_for(None, workers=3)
    assert isinstance(ex, LocalExecutor) and ex.workers == 3
    with pytest.raises(ValueError, match="workers"):
        LocalExecutor(workers=0)
    with pytest.raises(WasteoptError, match="cannot reach the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout_s=1.0)


# ---------------------------------------------------------------------------------------------
# A real Dask cluster: `dask scheduler` and two `dask worker` processes on 127.0.0.1


def _dask_cli() -> str:
    here = Path(sys.executable).parent / "dask"
    found = str(here) if here.exists() else shutil.which("dask")
    if not found:
        pytest.fail("the `dask` command is missing: pip install 'dask[distributed]'")
    return found


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """Address of a scheduler with two single-thread workers (no nanny: pid = worker process)."""
    import distributed

    dask = _dask_cli()
    tmp = tmp_path_factory.mktemp("dask")
    sched_file = tmp / "scheduler.json"
    procs: list[subprocess.Popen] = []
    logs = []

    def start(args: list[str], name: str) -> subprocess.Popen:
        out = (tmp / f"{name}.log").open("wb")
        logs.append(out)
        p = subprocess.Popen(
            [dask, *args], env=_env(), cwd=tmp, stdout=out, stderr=subprocess.STDOUT
        )
        procs.append(p)
        return p

    try:
        start(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--dashboard-address",
                "127.0.0.1:0",
                "--scheduler-file",
                str(sched_file),
            ],
            "scheduler",
        )
        deadline = time.monotonic() + 30
        while not sched_file.exists() and time.monotonic() < deadline:
            assert procs[0].poll() is None, (tmp / "scheduler.log").read_text()
            time.sleep(0.05)
        address = json.loads(sched_file.read_text())["address"]
        workers = [
            start(
                [
                    "worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--name",
                    f"w{i}",
                    "--local-directory",
                    str(tmp / f"w{i}"),
                ],
                f"worker{i}",
            )
            for i in (1, 2)
        ]
        with distributed.Client(address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=30)
        yield address, {p.pid for p in workers}
    finally:
        _stop(procs[1:])  # workers first (a worker outliving its scheduler lingers), then it
        _stop(procs[:1])
        for f in logs:
            f.close()


def test_dask_cluster_sweep_equals_local_and_uses_both_workers(dask_cluster, tiny, tmp_path):
    """A sweep through `dask scheduler` + 2 `dask worker`s gives the direct results on both."""
    address, worker_pids = dask_cluster
    tasks = variant_seed_tasks(
        sweep_tasks.demand_totals,
        tiny,
        variants=["base", "east"],
        seeds=[1, 2, 3],
        days=4,
        sleep_s=0.2,
    )
    bad = [make_task(sweep_tasks.fails_for_seed, seed=s, bad_seed=1) for s in range(2)]
    with executor_for(address, workers=1) as ex:
        assert isinstance(ex, DaskExecutor) and "2 workers" in ex.describe()
        out = run_sweep(tasks + bad, store=tmp_path / "store", executor=ex)
    _assert_results_equal({k: v for k, v in out.results.items() if k != bad[0].key}, tasks)
    assert out.results[bad[0].key] == 0 and list(out.failures) == [bad[1].key]
    assert "cursed" in str(out.failures[bad[1].key])
    assert {out.runs[t.key]["pid"] for t in tasks} == worker_pids
