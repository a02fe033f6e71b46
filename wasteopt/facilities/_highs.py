"""The one adapter between wasteopt and Pyomo + HiGHS: Pyomo and highspy are imported lazily,
when a solve starts, so that importing :mod:`wasteopt.facilities` stays light.

The models are built algebraically elsewhere, one Pyomo component per constraint family, from
solver-neutral arrays: the station consolidation MILP in
:mod:`wasteopt.facilities._consolidation_milp`, Beasley's capacitated warehouse location problem
in :mod:`wasteopt.facilities._cflp_milp`. This module compiles and solves them.

Constraint families that are valid but rarely binding and very numerous (the strong linking
rows ``x ≤ y``: 100,000 of them in a 100 × 1,000 instance) can be declared *lazy*: they are
compiled with the rest of the model but kept out of the solver until a solution violates them
(:func:`run_with_lazy_rows`: separation rounds on the LP relaxation, then the MIP, then a check
of the incumbent). The answer is the same as with every row present; only the solver's work
changes.

Both are solved with Pyomo's HiGHS interface (``pyomo.contrib.solver`` ``"highs"``, which drives
``highspy`` in memory: no files are written). A missing or broken Pyomo/highspy install raises
:class:`~wasteopt.errors.SolverUnavailable`. Solver outcomes ("infeasible", "time limit") are
returned as a status in :class:`MilpOutcome`, never raised.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from wasteopt.errors import SolverUnavailable

if TYPE_CHECKING:  # untyped libraries: these names are Any to mypy, documentation to readers
    from highspy import Highs, HighsLp, HighsModelStatus
    from pyomo.core.base.component import Component
    from pyomo.core.base.var import VarData
    from pyomo.environ import ConcreteModel
    from scipy.sparse import csc_array, csr_array

__all__ = [
    "LazyRows",
    "MilpOutcome",
    "MilpStatus",
    "PyomoApi",
    "Solved",
    "gc_paused",
    "lin",
    "pyomo_api",
    "run_with_lazy_rows",
    "solve_model",
    "variable_values",
]

log = logging.getLogger("wasteopt")

FloatArray = npt.NDArray[np.float64]
_P = ParamSpec("_P")
_R = TypeVar("_R")

MilpStatus = Literal["optimal", "time_limit", "infeasible", "unbounded", "no_solution", "error"]
"""``optimal``: proven within the requested gap; ``time_limit``: stopped by the limit (a
solution may exist, see ``has_solution``); ``no_solution``: stopped by another limit or an unknown
reason without a solution; ``error``: the solver reported an internal error."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MilpOutcome:
    """What a solve returned. ``values`` maps a variable family name to a float array (indexed
    like the input arrays); it is empty when ``has_solution`` is false. ``build_s`` is the
    Pyomo model construction time, ``solve_s`` the solver call (including Pyomo's transfer of
    the model to HiGHS and loading the solution back), ``runtime_s`` their sum."""

    status: MilpStatus
    has_solution: bool
    objective: float
    bound: float
    mip_gap: float
    build_s: float
    solve_s: float
    values: dict[str, FloatArray] = field(default_factory=dict)

    @property
    def runtime_s(self) -> float:
        """Model construction plus solver call."""
        return self.build_s + self.solve_s

    @classmethod
    def of(cls, solved: Solved, build_s: float, values: dict[str, FloatArray]) -> MilpOutcome:
        """The outcome of ``solved`` (:func:`solve_model`) after ``build_s`` of construction."""
        return cls(
            status=solved.status,
            has_solution=solved.has_solution,
            objective=solved.objective,
            bound=solved.bound,
            mip_gap=solved.mip_gap,
            build_s=build_s,
            solve_s=solved.seconds,
            values=values,
        )


class Solved(NamedTuple):
    """What :func:`solve_model` reports (the values are loaded into the model's variables)."""

    status: MilpStatus
    has_solution: bool
    objective: float
    bound: float
    mip_gap: float
    seconds: float


def _failed(t0: float) -> Solved:
    return Solved("error", False, math.nan, math.nan, math.nan, time.perf_counter() - t0)


@dataclass(frozen=True, slots=True)
class LazyRows:
    """Rows ``lower ≤ matrix @ x ≤ upper`` over the model's columns (``matrix``: a SciPy CSR
    array), held back from the solver until a solution violates them."""

    matrix: csr_array
    lower: FloatArray
    upper: FloatArray

    @property
    def n_rows(self) -> int:
        """How many rows are held back."""
        return int(self.lower.shape[0])


@contextlib.contextmanager
def _native_stdout_to_log() -> Iterator[None]:
    """Send what native code prints on file descriptor 1 to the debug log.

    HiGHS 1.12 prints some MIP diagnostics with ``printf``, past ``output_flag`` (e.g.
    ``HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();`` when a
    presolved incumbent needs a repair solve); they would land in the middle of the command's
    own output. C stdio is flushed before descriptor 1 is restored, so nothing leaks later."""
    sys.stdout.flush()
    libc = ctypes.CDLL(None)
    saved = os.dup(1)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield
        finally:
            libc.fflush(None)
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", errors="replace").strip()
    if text:
        log.debug("HiGHS printed: %s", text)


def _run(h: Highs) -> None:
    """``h.run()`` with HiGHS's stray prints kept off the terminal."""
    with _native_stdout_to_log():
        h.run()


def run_with_lazy_rows(
    h: Highs, lazy: LazyRows, *, time_limit_s: float, tol: float = 1e-6, max_lp_rounds: int = 500
) -> bool:
    """Solve the model loaded in the ``highspy.Highs`` object ``h`` as if ``lazy`` were part of it.

    1. Root separation: solve the LP relaxation, add every lazy row it violates, repeat until
       none is violated (the LP bound then equals that of the full model).
    2. Solve the MIP with the rows added so far.
    3. If the incumbent violates a lazy row (possible when the rows are not implied by
       integrality, e.g. with capacity slack), add those rows and solve the MIP again.

    ``time_limit_s`` covers all of it (HiGHS 1.12, measured): the relaxation runs share one
    clock, cumulative over ``run`` calls on one object (ERGO-Code/HiGHS#1331), so their limit
    is set once; each MIP run starts its own clock, so it gets what is left, and none starts
    when the time is up (HiGHS checks the clock late in a MIP's root). The solver's state is
    cleared before the MIP: a MIP run that follows relaxation runs on one object takes twice
    its time limit otherwise (tests/test_facilities_highs.py).
    Returns False when there is no incumbent that solves the full model (none found, or one
    that still violates lazy rows when the time ran out)."""
    import highspy  # lazy: the solver library loads only when a solve starts

    deadline = time.perf_counter() + time_limit_s
    h.setOptionValue("time_limit", float(time_limit_s))
    if lazy.n_rows == 0:
        _run(h)
        return h.getInfo().primal_solution_status == 2
    added = np.zeros(lazy.n_rows, dtype=bool)
    scale = tol * np.maximum(1.0, np.minimum(np.abs(lazy.lower), np.abs(lazy.upper)))

    def violated() -> npt.NDArray[np.intp]:
        ax = lazy.matrix @ np.asarray(h.getSolution().col_value)
        bad = ((ax > lazy.upper + scale) | (ax < lazy.lower - scale)) & ~added
        return np.flatnonzero(bad)

    def add(rows: npt.NDArray[np.intp]) -> None:
        sub = lazy.matrix[rows]
        h.addRows(
            len(rows),
            lazy.lower[rows],
            lazy.upper[rows],
            int(sub.nnz),
            sub.indptr[:-1].astype(np.int32),
            sub.indices.astype(np.int32),
            sub.data.astype(float),
        )
        added[rows] = True

    optimal = highspy.HighsModelStatus.kOptimal
    h.setOptionValue("solve_relaxation", True)
    try:
        for _ in range(max_lp_rounds):
            _run(h)
            if h.getModelStatus() != optimal:
                break  # infeasible or out of time: the MIP run below reports it
            rows = violated()
            if rows.size == 0:
                break
            add(rows)
    finally:
        h.setOptionValue("solve_relaxation", False)
    h.clearSolver()  # keeps the model and its added rows; drops what doubles the MIP's clock
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return False
        h.setOptionValue("time_limit", left)
        _run(h)
        if h.getInfo().primal_solution_status != 2:  # no incumbent
            return False
        rows = violated()
        if rows.size == 0:
            return True
        if h.getModelStatus() != optimal:
            return False  # stopped early with an incumbent infeasible for the full model
        add(rows)
        log.debug("HiGHS: incumbent violated %d lazy rows; solving again", rows.size)


@dataclass(frozen=True, slots=True)
class PyomoApi:
    """The Pyomo pieces the models are built with: the ``pyomo.environ`` module, the HiGHS
    solver class and ``LinearExpression`` (untyped library: Any)."""

    pyo: ModuleType
    highs_cls: Any
    linear_expression: Any


def pyomo_api() -> PyomoApi:
    """Import Pyomo and its HiGHS interface; turn any failure into SolverUnavailable."""
    try:  # lazy: Pyomo loads only when a solve starts
        import pyomo.environ as pyo
        from pyomo.contrib.solver.solvers.highs import Highs as PyomoHighs
        from pyomo.core.expr.numeric_expr import LinearExpression
    except Exception as exc:  # ImportError, or a broken install failing on import
        raise SolverUnavailable(f"Pyomo with HiGHS is not usable: {exc}") from exc
    try:
        available = bool(PyomoHighs().available())
    except Exception as exc:
        raise SolverUnavailable(f"HiGHS (highspy) is not usable through Pyomo: {exc}") from exc
    if not available:
        raise SolverUnavailable("HiGHS (highspy) is not available to Pyomo; pip install highspy")
    try:  # lazy: optional, the faster array path of solve_model (one-off import cost paid here)
        import scipy.sparse  # noqa: F401
        from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler  # noqa: F401
    except ImportError:
        pass
    return PyomoApi(pyo=pyo, highs_cls=PyomoHighs, linear_expression=LinearExpression)


def lin(api: PyomoApi, coefs: Iterable[float], xs: Iterable[VarData], constant: float = 0.0) -> Any:
    """A linear expression built directly (much faster than Python ``sum`` of products)."""
    return api.linear_expression(constant=constant, linear_coefs=list(coefs), linear_vars=list(xs))


def solve_model(
    api: PyomoApi,
    model: ConcreteModel,
    *,
    time_limit_s: float,
    mip_gap: float,
    threads: int | None,
    lazy: Sequence[Component] = (),
) -> Solved:
    """Run HiGHS on ``model`` and load the solution into its variables; ``time_limit_s``
    covers compiling the model for HiGHS as well as the solve.

    With SciPy installed the model goes through Pyomo's array compiler
    (``LinearStandardFormCompiler``, one pass over the expressions into a sparse matrix) and is
    handed to ``highspy`` whole, the constraint components in ``lazy`` as lazy rows; without
    SciPy, through Pyomo's persistent HiGHS interface, which adds rows one by one (about 0.1 s
    slower on a 900-row model) and treats lazy components as ordinary rows."""
    try:  # lazy: probed at each solve, so that a missing SciPy selects the persistent path
        import scipy.sparse  # noqa: F401
    except ImportError:
        return _solve_persistent(
            api, model, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads
        )
    return _solve_arrays(
        model, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads, lazy=lazy
    )


@dataclass(frozen=True, slots=True)
class _StandardForm:
    """``row_lower ≤ matrix @ x ≤ row_upper`` over ``columns`` (Pyomo variables), minimise
    ``cost @ x + offset``; ``held``: the lazy rows kept out of ``matrix``."""

    columns: list[VarData]
    cost: FloatArray
    offset: float
    matrix: csc_array
    row_lower: FloatArray
    row_upper: FloatArray
    held: LazyRows | None


def _standard_form(
    compiler_cls: Any, model: ConcreteModel, lazy: Sequence[Component], inf: float
) -> _StandardForm:
    """Compile ``model`` with Pyomo's ``LinearStandardFormCompiler`` (mixed form: row senses)
    and split off the rows of the ``lazy`` components."""
    info = compiler_cls().write(model, mixed_form=True)
    cols = info.columns
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.array([r[1] for r in info.rows], dtype=np.int8)
    row_lo = np.where(sense >= 0, np.where(sense == 0, rhs, -inf), rhs)
    row_hi = np.where(sense <= 0, np.where(sense == 0, rhs, inf), rhs)
    held = None
    if lazy:
        lazy_ids = {id(c) for c in lazy}
        is_lazy = np.fromiter(
            (id(r[0].parent_component()) in lazy_ids for r in info.rows), bool, len(rhs)
        )
        a_csr = info.A.tocsr()
        held = LazyRows(a_csr[is_lazy], row_lo[is_lazy], row_hi[is_lazy])
        a_mat = a_csr[~is_lazy].tocsc()
        row_lo, row_hi = row_lo[~is_lazy], row_hi[~is_lazy]
    else:
        a_mat = info.A.tocsc()
    return _StandardForm(
        columns=cols,
        cost=np.asarray(info.c.toarray()[0], dtype=float) if len(cols) else np.zeros(0),
        offset=float(info.c_offset[0]) if len(info.c_offset) else 0.0,
        matrix=a_mat,
        row_lower=row_lo,
        row_upper=row_hi,
        held=held,
    )


def _highs_lp(highspy: ModuleType, form: _StandardForm) -> HighsLp:
    """The standard form as a ``highspy.HighsLp`` (column-wise matrix, integrality)."""
    inf = highspy.kHighsInf
    cols = form.columns
    n_col, n_row = len(cols), len(form.row_lower)
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = form.cost
    lp.offset_ = form.offset
    lp.col_lower_ = np.array([-inf if v.lb is None else v.lb for v in cols], dtype=float)
    lp.col_upper_ = np.array([inf if v.ub is None else v.ub for v in cols], dtype=float)
    lp.row_lower_ = form.row_lower
    lp.row_upper_ = form.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = form.matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = form.matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = form.matrix.data.astype(float)
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    integer = highspy.HighsVarType.kInteger
    continuous = highspy.HighsVarType.kContinuous
    lp.integrality_ = [integer if v.is_integer() else continuous for v in cols]
    return lp


def _milp_status(
    mst: type[HighsModelStatus], ms: HighsModelStatus, valid: bool, has: bool
) -> MilpStatus:
    """HiGHS's model status as a :data:`MilpStatus` (``valid``: no lazy row is violated)."""
    if ms == mst.kOptimal and valid:
        return "optimal"
    if ms in (mst.kOptimal, mst.kTimeLimit):  # kOptimal & not valid: an LP round, then time up
        return "time_limit"
    if ms in (mst.kInfeasible, mst.kUnboundedOrInfeasible):
        return "infeasible"
    if ms == mst.kUnbounded:
        return "unbounded"
    if ms in (
        mst.kSolveError,
        mst.kModelError,
        mst.kPresolveError,
        mst.kPostsolveError,
        mst.kLoadError,
    ):
        return "error"
    return "time_limit" if has else "no_solution"


def _solve_arrays(
    model: ConcreteModel,
    *,
    time_limit_s: float,
    mip_gap: float,
    threads: int | None,
    lazy: Sequence[Component] = (),
) -> Solved:
    """Compile ``model`` to (c, A, row senses) with Pyomo and solve it with ``highspy``; rows of
    the constraint components in ``lazy`` go to :func:`run_with_lazy_rows`."""
    t0 = time.perf_counter()
    try:  # lazy: the solver libraries load only when a solve starts
        import highspy
        from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
    except Exception as exc:
        raise SolverUnavailable(f"HiGHS (highspy) is not usable: {exc}") from exc
    try:
        form = _standard_form(LinearStandardFormCompiler, model, lazy, highspy.kHighsInf)
        left = max(0.0, float(time_limit_s) - (time.perf_counter() - t0))  # compiling counts
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", left)
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        h.passModel(_highs_lp(highspy, form))
        if form.held is None:
            _run(h)
            valid = True
        else:
            valid = run_with_lazy_rows(h, form.held, time_limit_s=left)
        ms = h.getModelStatus()
        hinfo = h.getInfo()
        has = valid and hinfo.primal_solution_status == 2  # kSolutionStatusFeasible
        if has:
            xs = h.getSolution().col_value
            for v, val in zip(form.columns, xs, strict=True):
                v.set_value(float(val), skip_validation=True)
    except SolverUnavailable:
        raise
    except Exception as exc:  # a solver crash is an outcome, not an exception for the caller
        log.error("HiGHS failed: %s", exc)
        return _failed(t0)
    status = _milp_status(highspy.HighsModelStatus, ms, valid, has)
    obj = float(hinfo.objective_function_value) if has else math.nan
    bound = float(hinfo.mip_dual_bound) if has else math.nan
    if not math.isfinite(bound):
        bound = math.nan
    gap = abs(obj - bound) / max(abs(obj), 1e-9) if has and math.isfinite(bound) else math.nan
    seconds = time.perf_counter() - t0
    log.debug("HiGHS (arrays): %s, objective %s, bound %s, %.3f s", ms, obj, bound, seconds)
    return Solved(status, has, obj, bound, gap, seconds)


def _solve_persistent(
    api: PyomoApi, model: ConcreteModel, *, time_limit_s: float, mip_gap: float, threads: int | None
) -> Solved:
    """Solve through Pyomo's persistent HiGHS interface (the path without SciPy)."""
    # lazy: Pyomo loads only when a solve starts
    from pyomo.contrib.solver.common.results import TerminationCondition as TC

    solver = api.highs_cls()
    t0 = time.perf_counter()
    try:
        res = solver.solve(
            model,
            time_limit=float(time_limit_s),
            rel_gap=float(mip_gap),
            threads=threads,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
        )
    except Exception as exc:  # a solver crash is an outcome, not an exception for the caller
        log.error("HiGHS failed: %s", exc)
        return _failed(t0)
    tc = res.termination_condition
    has = res.incumbent_objective is not None
    if has:
        res.solution_loader.load_vars()
    status: MilpStatus
    if tc == TC.convergenceCriteriaSatisfied:
        status = "optimal"
    elif tc == TC.maxTimeLimit:
        status = "time_limit"
    elif tc in (TC.provenInfeasible, TC.locallyInfeasible, TC.infeasibleOrUnbounded):
        status = "infeasible"
    elif tc == TC.unbounded:
        status = "unbounded"
    elif tc == TC.error:
        status = "error"
    else:
        status = "no_solution" if not has else "time_limit"
    obj = float(res.incumbent_objective) if has else math.nan
    bound = float(res.objective_bound) if res.objective_bound is not None else math.nan
    gap = abs(obj - bound) / max(abs(obj), 1e-9) if has and math.isfinite(bound) else math.nan
    seconds = time.perf_counter() - t0
    log.debug("HiGHS: %s, objective %s, bound %s, %.3f s", tc, obj, bound, seconds)
    return Solved(status, has, obj, bound, gap, seconds)


def variable_values(var: Any, n: int) -> FloatArray:
    """Values of an indexed Pyomo variable over 0..n-1 (0 for unset)."""
    out = np.zeros(n)
    for i in range(n):
        v = var[i].value
        out[i] = 0.0 if v is None else v
    return out


def gc_paused(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``fn`` with the cyclic garbage collector paused: Pyomo models are large graphs of
    cyclic objects and a collection triggered mid-build costs 0.1–0.3 s on a small model (the
    same pause Pyomo's own writers use, ``pyomo.common.gc_manager.PauseGC``, not imported here
    so that a missing Pyomo still surfaces as SolverUnavailable from :func:`pyomo_api`)."""

    @functools.wraps(fn)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapped
