"""End-to-end time of the main job on the shipped Jintan scenario (goal: <= 5 min on 2 cores).

Runs ``wasteopt run scenarios/jintan`` (every variant, 28 days, default options) into a
temporary folder and writes ``run_jintan.md`` with the per-stage timings of the run's manifest.
The whole file comes from this script's own run (header through ``machine_info``). Arguments
after ``--`` are passed to ``wasteopt run`` and recorded in the command line (smoke runs only;
the table of record uses the defaults).

    python benchmarks/run_jintan.py                        # run and measure (about 5 minutes)
    python benchmarks/run_jintan.py --out /tmp/b -- --variant base --days 7 --time-limit 30
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from machine_info import ROOT, Run  # benchmarks/ is the script's folder


def measure(extra: list[str]) -> tuple[dict[str, Any], float, int]:
    """Run ``wasteopt run`` on Jintan; its manifest, wall seconds and exit code."""
    cmd = [sys.executable, "-m", "wasteopt.cli", "run", str(ROOT / "scenarios" / "jintan")]
    with tempfile.TemporaryDirectory(prefix="wasteopt-run-") as tmp:
        out = Path(tmp) / "output"
        t = time.perf_counter()
        done = subprocess.run([*cmd, "--out", str(out), *extra], check=False)
        wall = time.perf_counter() - t
        if not (out / "manifest.json").exists():  # bad input or an internal error
            raise SystemExit(f"wasteopt run exited {done.returncode} without an output folder")
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return manifest, wall, done.returncode


def budget(manifest: dict[str, Any]) -> str:
    """The run's time budget as the manifest records it."""
    limit = manifest["time_limit_s"]
    text = "no time budget" if limit is None else f"{limit:g} s budget for the whole run"
    if manifest.get("iterations"):
        text += f", {manifest['iterations']} iterations per routing search"
    return text


def body(manifest: dict[str, Any], wall: float, exit_code: int, extra: list[str]) -> list[str]:
    timings = manifest["timings_s"]
    passed = " ".join(extra) if extra else "none (the defaults)"
    lines = [
        "Generated in full by `benchmarks/run_jintan.py` from its own run of "
        "`wasteopt run scenarios/jintan` into a temporary folder; arguments passed to "
        f"`wasteopt run`: {passed}.",
        "",
        f"Options (from the run's manifest): variants {', '.join(manifest['variants'])}; "
        f"{manifest['days']} days; engine {manifest['engine']}; {budget(manifest)}; "
        f"{manifest['workers']} workers; seed {manifest['seed']}.",
        "",
        f"**Total: {timings['total']:.1f} s** for the job (goal <= 300 s on 2 cores); "
        f"{wall:.1f} s wall for the whole command (interpreter start and imports included).",
        "",
        "| stage | seconds |",
        "|---|---:|",
        *[f"| {k} | {v:.2f} |" for k, v in timings.items() if k != "total"],
        "",
        "Every plan checker-clean and every mass balance closed: "
        f"{manifest['all_plans_checker_clean_and_balanced']}.",
        f"Service level (every stream collects at least {manifest.get('min_collected_share', '–')}"
        f" of the waste due): {manifest.get('service_level_met', '–')}.",
        f"Exit code of `wasteopt run`: {exit_code}.",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--name", default="run_jintan", help="output file stem (.md)")
    p.add_argument("wasteopt_args", nargs="*", help="after --: passed to `wasteopt run`")
    args = p.parse_args(argv)
    run = Run.start(__file__, argv)
    manifest, wall, exit_code = measure(list(args.wasteopt_args))
    path = args.out / f"{args.name}.md"
    run.write_md(
        path,
        "End-to-end `wasteopt run` on Jintan",
        body(manifest, wall, exit_code, list(args.wasteopt_args)),
    )
    print(f"wrote {path}: total {manifest['timings_s']['total']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
