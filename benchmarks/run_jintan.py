"""End-to-end time of the main job on the shipped Jintan scenario (goal: <= 5 min on 2 cores).

Runs ``wasteopt run`` (every variant, 28 days, default options) into a temporary folder, or reads
the manifest of an existing output folder (``--from-output DIR``, e.g. after ``make run``), and
writes ``benchmarks/results/run_jintan.md`` with the per-stage timings of the manifest.

    python benchmarks/run_jintan.py                     # run and measure (about 3 minutes)
    python benchmarks/run_jintan.py --from-output output
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine_info import commit  # benchmarks/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "run_jintan.md"


def _measure() -> tuple[dict, float, Path, int]:
    out = Path(tempfile.mkdtemp(prefix="wasteopt-run-")) / "output"
    t = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wasteopt.cli",
            "run",
            str(ROOT / "scenarios" / "jintan"),
            "--out",
            str(out),
        ],
        check=False,
    )
    wall = time.perf_counter() - t
    if not (out / "manifest.json").exists():  # bad input or an internal error: nothing to time
        raise SystemExit(f"wasteopt run exited {done.returncode} without an output folder")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return manifest, wall, out, done.returncode


def _budget(manifest: dict) -> str:
    """The run's time budget as the manifest records it (whole run since issue 11)."""
    if "routing_time_limit_s" not in manifest:  # an older manifest: seconds per routing solve
        return f"{manifest['time_limit_s']:g} s per routing solve"
    budget = manifest["time_limit_s"]
    text = "no time budget" if budget is None else f"{budget:g} s budget for the whole run"
    if manifest.get("iterations"):
        text += f", {manifest['iterations']} iterations per routing search"
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--from-output", help="read the manifest of this output folder instead")
    args = p.parse_args(argv)
    if args.from_output:
        folder = Path(args.from_output)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        wall, source, exit_code = None, f"manifest of `{folder}`", None
    else:
        manifest, wall, folder, exit_code = _measure()
        source = "this script's own run"
    timings = manifest["timings_s"]
    load = os.getloadavg()[0]
    lines = [
        "# End-to-end `wasteopt run` on Jintan",
        "",
        f"Written {dt.date.today().isoformat()} by `benchmarks/run_jintan.py` from the {source}, "
        f"commit {commit()}.",
        "Command: `python benchmarks/run_jintan.py` (runs `wasteopt run scenarios/jintan` with its "
        "defaults).",
        f"Machine: {platform.platform()}, {os.cpu_count()} logical CPUs; 1-minute load average "
        f"when written {load:.1f}.",
        f"Options: variants {', '.join(manifest['variants'])}; {manifest['days']} days; engine "
        f"{manifest['engine']}; {_budget(manifest)}; "
        f"{manifest['workers']} workers; seed {manifest['seed']}.",
        "",
        f"**Total: {timings['total']:.1f} s** for the job (goal <= 300 s on 2 cores)"
        + (f"; {wall:.1f} s wall for the whole command." if wall else "."),
        "",
        "| stage | seconds |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v:.2f} |" for k, v in timings.items() if k != "total"]
    lines += [
        "",
        "Every plan checker-clean and every mass balance closed: "
        f"{manifest['all_plans_checker_clean_and_balanced']}.",
        f"Service level (every stream collects at least {manifest.get('min_collected_share', '–')}"
        f" of the waste due): {manifest.get('service_level_met', '–')}.",
        f"Exit code of `wasteopt run`: {'not measured' if exit_code is None else exit_code}.",
        "",
    ]
    RESULT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {RESULT}: total {timings['total']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
