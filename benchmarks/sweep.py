"""Sweep benchmark: the same variants × seeds sweep in-process, on local pools and on Dask.

Each run loads scenarios/jintan with a variant and generates ``--days`` days of demand with its
seed (real work, no solver). Measured wall-clock times:

* ``direct``: the runs called one after another in this process (no sweep machinery);
* ``local-1`` / ``local-2``: :func:`wasteopt.sweep.run_sweep` on a fresh store with a
  ``LocalExecutor`` of 1 and 2 spawned workers (pool start-up included);
* ``dask-2``: the same through a ``dask scheduler`` and two ``dask worker`` processes started
  by this script on 127.0.0.1 (cluster start-up excluded, reported separately);
* ``rerun``: the sweep again on a complete store (nothing computed).

Usage::

    python benchmarks/sweep.py [--seeds 10] [--days 364] [--out benchmarks/results]

Writes ``<--out>/sweep.md`` whole through the shared header of ``machine_info`` (date, commit,
machine, packages, load average, command).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from machine_info import ROOT, Run  # benchmarks/ is the script's folder

HERE = Path(__file__).resolve().parent


def jintan_demand(*, scenario: str, variant: str, seed: int, days: int) -> dict[str, float]:
    """Total tonnes per stream over the horizon and the peak day's tonnes."""
    from wasteopt.generation import generate
    from wasteopt.scenario import load_scenario

    s = load_scenario(scenario, variant=None if variant == "base" else variant)
    totals = generate(s, days=days, seed=seed).totals_t_per_day()
    out = {f"t_{c}": float(totals[c].sum()) for c in totals.columns}
    out["peak_t_per_day"] = float(totals.sum(axis=1).max())
    return out


def _cluster(tmp: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    dask = str(Path(sys.executable).parent / "dask")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT)]))
    sched_file = tmp / "scheduler.json"
    log = (tmp / "dask.log").open("wb")
    procs = [
        subprocess.Popen(
            [
                dask,
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
            env=env,
            stdout=log,
            stderr=log,
        )
    ]
    while not sched_file.exists():
        time.sleep(0.05)
    address = json.loads(sched_file.read_text())["address"]
    for i in (1, 2):
        procs.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp / f"w{i}"),
                ],
                env=env,
                stdout=log,
                stderr=log,
            )
        )
    import distributed

    with distributed.Client(address, set_as_default=False) as c:
        c.wait_for_workers(2, timeout=60)
    return address, procs


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for group in (procs[1:], procs[:1]):
        for p in group:
            p.terminate()
        for p in group:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--days", type=int, default=364)
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args(argv)
    run = Run.start(__file__, argv)

    sys.path.insert(0, str(HERE))
    import sweep as bench  # this file as an importable module, so workers can find the task

    from wasteopt.sweep import DaskExecutor, LocalExecutor, run_sweep, variant_seed_tasks

    variants = ["base", "consolidate", "growth10"]
    tasks = variant_seed_tasks(
        bench.jintan_demand,
        ROOT / "scenarios" / "jintan",
        variants=variants,
        seeds=range(args.seeds),
        days=args.days,
    )
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="wasteopt-sweep-bench-"))
    try:
        t = time.perf_counter()
        direct = [bench.jintan_demand(**t_.kwargs) for t_ in tasks]
        rows.append({"run": "direct", "wall_s": time.perf_counter() - t})
        for w in (1, 2):
            t = time.perf_counter()
            with LocalExecutor(workers=w) as ex:
                out = run_sweep(tasks, store=tmp / f"local{w}", executor=ex)
            rows.append({"run": f"local-{w}", "wall_s": time.perf_counter() - t})
            assert list(out.results.values()) == direct, "local results differ from direct"
        t = time.perf_counter()
        address, procs = _cluster(tmp)
        start_s = time.perf_counter() - t
        try:
            t = time.perf_counter()
            with DaskExecutor(address) as ex:
                out = run_sweep(tasks, store=tmp / "dask", executor=ex)
            rows.append(
                {
                    "run": "dask-2",
                    "wall_s": time.perf_counter() - t,
                    "note": f"cluster start {start_s:.1f} s",
                }
            )
            assert list(out.results.values()) == direct, "Dask results differ from direct"
        finally:
            _stop(procs)
        t = time.perf_counter()
        out = run_sweep(tasks, store=tmp / "local2")
        rows.append(
            {
                "run": "rerun",
                "wall_s": time.perf_counter() - t,
                "note": f"{len(out.reused)} reused, {len(out.computed)} computed",
            }
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    frame = pd.DataFrame(rows).fillna("")
    frame["runs"] = len(tasks)
    frame["wall_s"] = frame["wall_s"].round(2)
    head = (
        "Generated in full by `benchmarks/sweep.py`: "
        f"{len(tasks)} runs = {len(variants)} variants × "
        f"{args.seeds} seeds of jintan demand over {args.days} days. "
        "All sweeps returned exactly the direct results.\n\n"
    )
    md = (
        head + frame.to_markdown(index=False) + "\n"
        if _has_tabulate()
        else head + "```\n" + frame.to_string(index=False) + "\n```\n"
    )
    run.write_md(Path(args.out) / "sweep.md", "Sweep benchmark", md)
    print(md)
    return 0


def _has_tabulate() -> bool:
    """pandas' ``to_markdown`` needs the optional package tabulate."""
    return importlib.util.find_spec("tabulate") is not None


if __name__ == "__main__":
    raise SystemExit(main())
