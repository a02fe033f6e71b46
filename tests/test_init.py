"""Tests for the package's public API surface."""

import subprocess
import sys

import wasteopt


def test_every_exported_name_resolves():
    """Every name in wasteopt.__all__ resolves to a real object."""
    for name in wasteopt.__all__:
        assert getattr(wasteopt, name) is not None, name


def test_import_loads_no_solver():
    """Importing wasteopt, the routing facade, facilities and the stages loads no solver."""
    code = (
        "import sys, wasteopt, wasteopt.routing.solve, wasteopt.facilities, wasteopt.pipeline;"
        "print(sorted(m for m in ('pyvrp', 'ortools', 'pyomo', 'highspy', 'distributed')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ortools_and_highspy_share_a_process():
    """OR-Tools and highspy import together in either order (their bundled HiGHS must match)."""
    for first, second in (
        ("highspy", "ortools.constraint_solver.pywrapcp"),
        ("ortools.constraint_solver.pywrapcp", "highspy"),
    ):
        code = f"import {first}; import {second}; print('ok')"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-500:]


def test_cli_starts_without_the_heavy_libraries():
    """`wasteopt --version`/`--help` import no pandas, matplotlib or scipy: commands load on use."""
    code = (
        "import sys, wasteopt.cli;"
        "print(sorted(m for m in ('pandas', 'matplotlib', 'scipy', 'simpy', 'fpdf')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
