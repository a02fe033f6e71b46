"""Tests of the OR-Library capacitated warehouse reader and solver.

tests/data/cflp/ holds four of Beasley's instances (cap41, cap71, cap101, cap131) with the
published optima in bks.csv (see its README.md for the source and licence).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest

from wasteopt.errors import InputError
from wasteopt.facilities import read_orlib_cap, solve_cflp

DATA = Path(__file__).parent / "data" / "cflp"


def published_optimum(name: str) -> float:
    with open(DATA / "bks.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["instance"] == name:
                return float(row["optimal_value"])
    raise KeyError(name)


def test_reader_sizes_and_values():
    """cap41 has 16 facilities × 50 customers; first capacity, fixed cost and costs as in file."""
    inst = read_orlib_cap(DATA / "cap41.txt")
    assert (inst.n_facilities, inst.n_customers) == (16, 50)
    assert inst.capacity[0] == 5000 and inst.fixed_cost[0] == 7500.0 and inst.fixed_cost[10] == 0
    assert inst.demand[0] == 146 and inst.demand[1] == 87
    assert inst.cost[0, 0] == pytest.approx(6739.725) and inst.cost[15, 0] == pytest.approx(6051.7)
    assert inst.cost[0, 1] == pytest.approx(3204.8625)


@pytest.mark.parametrize("name", ["cap41", "cap71", "cap101", "cap131"])
def test_small_instances_reach_published_optimum(name):
    """Pyomo + HiGHS solves the instance to its published optimum within 1e-6 relative."""
    opt = published_optimum(name)
    res = solve_cflp(read_orlib_cap(DATA / f"{name}.txt"), time_limit_s=20, optimum=opt)
    assert res.status == "optimal"
    assert abs(res.objective - opt) <= 1e-6 * opt
    assert abs(res.gap_to_optimum) <= 1e-6


def test_solution_is_feasible_for_the_instance():
    """The returned fractions serve every customer fully within open capacities."""
    inst = read_orlib_cap(DATA / "cap71.txt")
    res = solve_cflp(inst, time_limit_s=20)
    x = res.x
    assert np.allclose(x.sum(axis=0), 1.0, atol=1e-6)
    load = x @ inst.demand
    is_open = np.zeros(inst.n_facilities, dtype=bool)
    is_open[list(res.open_facilities)] = True
    assert np.all(load <= inst.capacity * is_open + 1e-6)
    cost = inst.fixed_cost[is_open].sum() + float((inst.cost * x).sum())
    assert cost == pytest.approx(res.objective, rel=1e-9)


def test_tiny_instance_splits_demand(tmp_path):
    """Two facilities of capacity 10, one customer of demand 15: both must open; the cheaper one
    takes 10 (2/3), the other 5 (1/3). Cost = 1 + 2 + (2/3)·30 + (1/3)·60 = 43."""
    f = tmp_path / "tiny.txt"
    f.write_text(" 2 1\n 10 1.\n 10 2.\n 15\n 30. 60.\n")
    res = solve_cflp(read_orlib_cap(f), time_limit_s=5)
    assert res.objective == pytest.approx(43.0)
    assert res.open_facilities == (0, 1)
    assert res.x[:, 0] == pytest.approx([2 / 3, 1 / 3])


def test_symbolic_capacity_needs_argument(tmp_path):
    """A capa-style file ('capacity' tokens) is refused without a capacity, read with one."""
    f = tmp_path / "capx.txt"
    f.write_text(" 2 1\n capacity 1.\n capacity 2.\n 15\n 30. 60.\n")
    with pytest.raises(InputError, match="capacity argument"):
        read_orlib_cap(f)
    inst = read_orlib_cap(f, capacity=20)
    assert list(inst.capacity) == [20.0, 20.0]
    assert solve_cflp(inst, time_limit_s=5).objective == pytest.approx(31.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" 2 1\n 10 1.\n 10 2.\n 15\n 30.\n", "wrong number of tokens"),
        (" 2 1\n 10 x\n 10 2.\n 15\n 30. 60.\n", "not a number"),
        (" 2\n", "header"),
        ("", "empty"),
    ],
)
def test_broken_files_are_rejected(tmp_path, text, message):
    """Truncated files, non-numbers and bad headers raise InputError naming the problem."""
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputError, match=message):
        read_orlib_cap(f)


def test_without_scipy_the_persistent_path_gives_the_same_optimum(monkeypatch):
    """With SciPy unimportable the adapter falls back to Pyomo's persistent HiGHS interface
    and still reaches the published optimum of cap71."""
    inst = read_orlib_cap(DATA / "cap71.txt")
    with_arrays = solve_cflp(inst, time_limit_s=30)
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)  # import now raises ImportError
    persistent = solve_cflp(inst, time_limit_s=30)
    assert persistent.status == with_arrays.status == "optimal"
    assert persistent.objective == pytest.approx(published_optimum("cap71"), rel=1e-6)
    assert with_arrays.objective == pytest.approx(persistent.objective, rel=1e-9)
