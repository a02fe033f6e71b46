"""The header every file in ``benchmarks/results/`` carries, and the only way scripts write them.

A script calls :meth:`Run.start` before any work (that fixes the start time, the load average
and the commit the code ran from), then writes each whole results file with
:meth:`Run.write_md` or :meth:`Run.write_csv`. Both put the same header first:

* ``date``: start and end (local time, ISO 8601);
* ``commit``: ``git rev-parse HEAD``, and ``dirty: ...`` naming the uncommitted files under
  ``wasteopt/``, ``benchmarks/`` (results excluded) and ``scenarios/`` when there are any;
* ``machine``: host, CPU model, logical CPUs, memory, operating system;
* ``cpus used``: the CPUs the run was allowed on (``taskset``); a run pinned to one CPU of two
  left the other to other work, so its load average can exceed 1 without slowing it;
* ``python`` and ``packages``: the interpreter and the versions of the libraries that matter;
* ``load average``: 1/5/15 min at the start and at the end (2 shared cores: above 2 means other
  jobs competed for the CPUs);
* ``command``: the exact command line that regenerates the file.

In Markdown the header is a bullet list under the title; in CSV it is ``# key: value`` lines
before the column names (:func:`read_csv_rows` skips them). Files are written atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.metadata as md
import io
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

from wasteopt.files import write_text  # noqa: E402

PACKAGES = (
    "wasteopt",
    "numpy",
    "pandas",
    "scipy",
    "pyvrp",
    "ortools",
    "vrplib",
    "highspy",
    "pyomo",
    "simpy",
)
# Uncommitted changes here make a result not reproducible from its commit alone.
CODE_PATHS = ("wasteopt", "benchmarks", "scenarios", ":(exclude)benchmarks/results")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def memory_gib() -> str:
    """Physical memory in GiB, or ``unknown``."""
    try:
        return f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        return "unknown"


def machine() -> str:
    """``host (cpu, N logical CPUs, memory, OS)``."""
    return (
        f"{platform.node()} ({cpu_model()}, {os.cpu_count()} logical CPUs, {memory_gib()} RAM, "
        f"{platform.platform()})"
    )


def cpus_used() -> str:
    """The CPUs this process may run on (its affinity), e.g. ``1 of 2 (CPU 0)``."""
    try:
        mine = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return "unknown"
    return f"{len(mine)} of {os.cpu_count()} (CPU {', '.join(map(str, mine))})"


def loadavg() -> str:
    """The 1/5/15-minute load averages, or ``n/a``."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def packages() -> str:
    """``name version`` of each of :data:`PACKAGES` (``missing`` when not installed)."""
    out = []
    for name in PACKAGES:
        try:
            out.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            out.append(f"{name} missing")
    return ", ".join(out)


def git(*args: str) -> str:
    """``git args...`` in the checkout: its output (raises on failure)."""
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.rstrip("\n")  # not strip(): porcelain lines start with a status column


def commit() -> str:
    """The commit the code runs from; ``+dirty`` and the changed files when there are any."""
    try:
        head = git("rev-parse", "HEAD").strip()
        changed = [ln[3:] for ln in git("status", "--porcelain", "--", *CODE_PATHS).splitlines()]
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    if not changed:
        return head
    shown = ", ".join(changed[:8]) + (f" and {len(changed) - 8} more" if len(changed) > 8 else "")
    return f"{head}+dirty (uncommitted: {shown})"


def command_line(script: str | Path, argv: Sequence[str] | None) -> str:
    """``python benchmarks/x.py args...`` (script relative to the checkout, arguments quoted)."""
    path = Path(script).resolve()
    try:
        shown = str(path.relative_to(ROOT))
    except ValueError:
        shown = str(path)
    args = list(sys.argv[1:] if argv is None else argv)
    return shlex.join(["python", shown, *args])


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Run:
    """One benchmark run: what the header says about it. Create it with :meth:`start`."""

    command: str
    started: str
    commit: str
    load_start: str

    @classmethod
    def start(cls, script: str | Path, argv: Sequence[str] | None = None) -> Run:
        """Record the start; ``argv`` as given to the script's ``main`` (None: ``sys.argv``)."""
        return cls(
            command=command_line(script, argv),
            started=_now(),
            commit=commit(),
            load_start=loadavg(),
        )

    def header(self) -> list[tuple[str, str]]:
        """The header's (key, value) pairs, end time and end load taken now."""
        return [
            ("date", f"{self.started} to {_now()}"),
            ("commit", self.commit),
            ("machine", machine()),
            ("cpus used", cpus_used()),
            ("python", f"{platform.python_implementation()} {platform.python_version()}"),
            ("packages", packages()),
            ("load average (1/5/15 min)", f"at start {self.load_start}; at end {loadavg()}"),
            ("command", self.command),
        ]

    def write_md(self, path: str | Path, title: str, body: str | Iterable[str]) -> Path:
        """Write ``# title``, the header as a bullet list, then ``body`` (text or lines)."""
        text = body if isinstance(body, str) else "\n".join(body)
        # the command in backticks so that it can be copied as it is
        items = [f"- {k}: `{v}`" if k == "command" else f"- {k}: {v}" for k, v in self.header()]
        head = [f"# {title}", "", *items, ""]
        return write_text(path, "\n".join(head) + "\n" + text.rstrip("\n") + "\n")

    def write_csv(
        self, path: str | Path, fieldnames: Sequence[str], rows: Iterable[Mapping[str, object]]
    ) -> Path:
        """Write the header as ``# key: value`` lines, then the rows (missing fields empty)."""
        buf = io.StringIO()
        for key, value in self.header():
            buf.write(f"# {key}: {value}\n")
        writer = csv.DictWriter(
            buf, fieldnames=list(fieldnames), extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        return write_text(path, buf.getvalue())


def read_csv_header(path: str | Path) -> dict[str, str]:
    """The header of a CSV written by :meth:`Run.write_csv`: its ``# key: value`` lines."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("# "):
                break
            key, _, value = line[2:].rstrip("\n").partition(": ")
            out[key] = value
    return out


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of a CSV written by :meth:`Run.write_csv` (header lines skipped)."""
    with open(path, newline="", encoding="utf-8") as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    return list(csv.DictReader(lines))
