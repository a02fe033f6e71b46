"""Tests of the HiGHS adapter's lazy rows (wasteopt.facilities._highs.run_with_lazy_rows)."""

from __future__ import annotations

import time

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

from wasteopt.facilities._highs import LazyRows, run_with_lazy_rows

INF = highspy.kHighsInf
# Wall time a call may take beyond its limit: HiGHS looks at its clock between steps (about
# 0.05 s over measured here), ten times that because CI shares two cores.
TOLERANCE_S = 0.5


def highs_model(cost, integer, rows=None) -> highspy.Highs:
    """min cost·x, 0 ≤ x ≤ 1, with optional (A, lower, upper) core rows."""
    n = len(cost)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(cost, float))
    if integer:
        h.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n)
        )
    if rows is not None:
        a, lo, hi = rows
        a = sp.csr_array(a)
        h.addRows(
            a.shape[0],
            lo,
            hi,
            a.nnz,
            a.indptr[:-1].astype(np.int32),
            a.indices.astype(np.int32),
            a.data.astype(float),
        )
    return h


def lazy(a, lo, hi) -> LazyRows:
    return LazyRows(
        sp.csr_array(np.asarray(a, float)), np.asarray(lo, float), np.asarray(hi, float)
    )


def test_root_rounds_add_rows_the_lp_violates():
    """max x0 + x1 + x2 with lazy pairwise x_i + x_j ≤ 1: the LP rounds add the violated
    rows and the MIP answer is that of the full model (one x at 1)."""
    pairs = [(0, 1), (0, 2), (1, 2), (0, 0)]  # the last row, 2·x0 ≤ 2, is never violated
    a = np.zeros((4, 3))
    for r, (i, j) in enumerate(pairs):
        a[r, i] += 1
        a[r, j] += 1
    h = highs_model([-1.0, -1.0, -1.0], integer=True)
    assert run_with_lazy_rows(h, lazy(a, [-INF] * 4, [1, 1, 1, 2]), time_limit_s=10)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert h.getInfo().objective_function_value == pytest.approx(-1.0)
    assert h.getNumRow() == 3  # the never-violated row stayed out


def test_incumbent_violating_a_lazy_row_is_solved_again():
    """With no LP rounds the first MIP optimum (1, 1) violates the lazy x0 + x1 ≤ 1; the row is
    added and the MIP solved again, so the answer is -1, not -2."""
    h = highs_model([-1.0, -1.0], integer=True)
    ok = run_with_lazy_rows(h, lazy([[1, 1]], [-INF], [1]), time_limit_s=10, max_lp_rounds=0)
    assert ok
    assert h.getNumRow() == 1
    assert h.getInfo().objective_function_value == pytest.approx(-1.0)


def test_lower_bounded_lazy_rows_are_separated():
    """A lazy ≥ row (x0 + x1 ≥ 1.5 for min x0 + x1, continuous) is enforced too."""
    h = highs_model([1.0, 1.0], integer=False)
    assert run_with_lazy_rows(h, lazy([[1, 1]], [1.5], [INF]), time_limit_s=10)
    assert h.getInfo().objective_function_value == pytest.approx(1.5)


def test_no_time_left_gives_no_solution():
    """A zero time limit returns False at once (within TOLERANCE_S): nothing the solver holds
    may be read as a solution."""
    h = highs_model([-1.0, -1.0], integer=True)
    t0 = time.perf_counter()
    assert not run_with_lazy_rows(h, lazy([[1, 1]], [-INF], [1]), time_limit_s=0.0)
    assert time.perf_counter() - t0 <= TOLERANCE_S


def test_time_limit_bounds_separation_and_mip():
    """A maximum independent set on a random graph (edges as lazy rows), too hard to prove
    optimal in LIMIT_S: the call stops at the limit, within TOLERANCE_S (it took twice the
    limit while the MIP ran on the state of the relaxation runs), with its incumbent."""
    limit_s, n = 1.0, 150
    rng = np.random.default_rng(0)
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.1]
    a = np.zeros((len(edges), n))
    for r, (i, j) in enumerate(edges):
        a[r, [i, j]] = 1
    h = highs_model([-1.0] * n, integer=True)
    t0 = time.perf_counter()
    found = run_with_lazy_rows(
        h, lazy(a, [-INF] * len(edges), [1] * len(edges)), time_limit_s=limit_s
    )
    elapsed = time.perf_counter() - t0
    assert h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit  # the limit did bind
    assert elapsed <= limit_s + TOLERANCE_S, f"{elapsed:.2f} s for a {limit_s} s limit"
    x = np.asarray(h.getSolution().col_value)
    assert found and (a @ x <= 1 + 1e-6).all()  # an independent set, every lazy row held


def test_empty_pool_is_a_plain_solve():
    """Without lazy rows the call is one ordinary solve."""
    h = highs_model([-1.0, 2.0], integer=True)
    empty = LazyRows(sp.csr_array((0, 2)), np.zeros(0), np.zeros(0))
    assert run_with_lazy_rows(h, empty, time_limit_s=10)
    assert h.getInfo().objective_function_value == pytest.approx(-1.0)


def test_native_prints_during_a_solve_go_to_the_debug_log(capfd, caplog):
    """What native code prints on stdout inside a HiGHS run (HiGHS 1.12 printf diagnostics)
    reaches the debug log, not the terminal."""
    import ctypes
    import logging

    from wasteopt.facilities._highs import _native_stdout_to_log

    libc = ctypes.CDLL(None)
    with caplog.at_level(logging.DEBUG, logger="wasteopt"), _native_stdout_to_log():
        libc.printf(b"tmpSolver.run();\n")
    libc.fflush(None)
    assert "tmpSolver.run();" not in capfd.readouterr().out
    assert "HiGHS printed: tmpSolver.run();" in caplog.text
