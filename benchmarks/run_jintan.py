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

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "run_jintan.md"


def _measure() -> tuple[dict, float, Path]:
    out = Path(tempfile.mkdtemp(prefix="wasteopt-run-")) / "output"
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "wasteopt.cli",
            "run",
            str(ROOT / "scenarios" / "jintan"),
            "--out",
            str(out),
        ],
        check=True,
    )
    wall = time.perf_counter() - t
    return json.loads((out / "manifest.json").read_text(encoding="utf-8")), wall, out


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
        wall, source = None, f"manifest of `{folder}`"
    else:
        manifest, wall, folder = _measure()
        source = "this script's own run"
    timings = manifest["timings_s"]
    load = os.getloadavg()[0]
    lines = [
        "# End-to-end `wasteopt run` on Jintan",
        "",
        f"Written {dt.date.today().isoformat()} by `benchmarks/run_jintan.py` from the {source}.",
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
        "",
    ]
    RESULT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {RESULT}: total {timings['total']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
