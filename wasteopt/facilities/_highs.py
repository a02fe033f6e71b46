"""The one adapter between wasteopt and Pyomo + HiGHS (imported lazily, on first solve).

Two models are built here algebraically, one Pyomo component per constraint family, from
solver-neutral arrays prepared elsewhere:

* :func:`solve_facility_model` — the station consolidation MILP stated in
  :mod:`wasteopt.facilities.model` (coefficients in its ``FacilityModelData``);
* :func:`solve_cflp_model` — Beasley's capacitated warehouse location problem with splittable
  demand (used by :mod:`wasteopt.facilities.instances`).

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

import functools
import gc
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from wasteopt.errors import SolverUnavailable

if TYPE_CHECKING:
    from wasteopt.facilities.model import FacilityModelData

__all__ = [
    "LazyRows",
    "MilpOutcome",
    "MilpStatus",
    "run_with_lazy_rows",
    "solve_cflp_model",
    "solve_facility_model",
]

log = logging.getLogger("wasteopt")

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
    values: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def runtime_s(self) -> float:
        return self.build_s + self.solve_s


@dataclass(frozen=True, slots=True)
class LazyRows:
    """Rows ``lower ≤ matrix @ x ≤ upper`` over the model's columns (``matrix``: a SciPy CSR
    array), held back from the solver until a solution violates them."""

    matrix: object
    lower: np.ndarray
    upper: np.ndarray

    @property
    def n_rows(self) -> int:
        return int(self.lower.shape[0])


def run_with_lazy_rows(
    h, lazy: LazyRows, *, time_limit_s: float, tol: float = 1e-6, max_lp_rounds: int = 500
) -> bool:
    """Solve the model loaded in the ``highspy.Highs`` object ``h`` as if ``lazy`` were part of it.

    1. Root separation: solve the LP relaxation, add every lazy row it violates, repeat until
       none is violated (the LP bound then equals that of the full model).
    2. Solve the MIP with the rows added so far.
    3. If the incumbent violates a lazy row (possible when the rows are not implied by
       integrality, e.g. with capacity slack), add those rows and solve the MIP again.

    ``time_limit_s`` covers all of it: HiGHS's run clock is cumulative over ``run`` calls on one
    object (ERGO-Code/HiGHS#1331), so the limit is set once; the MIP is not started when the
    separation rounds used the time up, because HiGHS checks the clock late in a MIP's root.
    Returns False when there is no incumbent that solves the full model (none found, or one
    that still violates lazy rows when the time ran out)."""
    import highspy

    deadline = time.perf_counter() + time_limit_s
    h.setOptionValue("time_limit", float(time_limit_s))
    if lazy.n_rows == 0:
        h.run()
        return h.getInfo().primal_solution_status == 2
    added = np.zeros(lazy.n_rows, dtype=bool)
    scale = tol * np.maximum(1.0, np.minimum(np.abs(lazy.lower), np.abs(lazy.upper)))

    def violated() -> np.ndarray:
        ax = lazy.matrix @ np.asarray(h.getSolution().col_value)
        bad = ((ax > lazy.upper + scale) | (ax < lazy.lower - scale)) & ~added
        return np.flatnonzero(bad)

    def add(rows: np.ndarray) -> None:
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
            h.run()
            if h.getModelStatus() != optimal:
                break  # infeasible or out of time: the MIP run below reports it
            rows = violated()
            if rows.size == 0:
                break
            add(rows)
    finally:
        h.setOptionValue("solve_relaxation", False)
    while True:
        if time.perf_counter() >= deadline:
            return False
        h.run()
        if h.getInfo().primal_solution_status != 2:  # no incumbent
            return False
        rows = violated()
        if rows.size == 0:
            return True
        if h.getModelStatus() != optimal:
            return False  # stopped early with an incumbent infeasible for the full model
        add(rows)
        log.debug("HiGHS: incumbent violated %d lazy rows; solving again", rows.size)


def _pyomo():
    """Import Pyomo and its HiGHS interface; turn any failure into SolverUnavailable."""
    try:
        import pyomo.environ as pyo
        from pyomo.contrib.solver.solvers.highs import Highs
        from pyomo.core.expr.numeric_expr import LinearExpression
    except Exception as exc:  # ImportError, or a broken install failing on import
        raise SolverUnavailable(f"Pyomo with HiGHS is not usable: {exc}") from exc
    try:
        available = bool(Highs().available())
    except Exception as exc:
        raise SolverUnavailable(f"HiGHS (highspy) is not usable through Pyomo: {exc}") from exc
    if not available:
        raise SolverUnavailable("HiGHS (highspy) is not available to Pyomo; pip install highspy")
    try:  # optional: the faster array path of _solve (one-off import cost paid here)
        import scipy.sparse  # noqa: F401
        from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler  # noqa: F401
    except ImportError:
        pass
    return pyo, Highs, LinearExpression


def _lin(linexpr, coefs, xs, constant: float = 0.0):
    """A linear expression built directly (much faster than Python ``sum`` of products)."""
    return linexpr(constant=constant, linear_coefs=list(coefs), linear_vars=list(xs))


def _solve(
    pyo,
    highs_cls,
    model,
    *,
    time_limit_s: float,
    mip_gap: float,
    threads: int | None,
    lazy: tuple = (),
):
    """Run HiGHS on ``model``; return (status, has_solution, objective, bound, gap, seconds).

    With SciPy installed the model goes through Pyomo's array compiler
    (``LinearStandardFormCompiler``, one pass over the expressions into a sparse matrix) and is
    handed to ``highspy`` whole, the constraint components in ``lazy`` as lazy rows; without
    SciPy, through Pyomo's persistent HiGHS interface, which adds rows one by one (about 0.1 s
    slower on a 900-row model) and treats lazy components as ordinary rows."""
    try:
        import scipy.sparse  # noqa: F401
    except ImportError:
        return _solve_persistent(
            pyo, highs_cls, model, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads
        )
    return _solve_arrays(
        model, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads, lazy=lazy
    )


def _solve_arrays(
    model, *, time_limit_s: float, mip_gap: float, threads: int | None, lazy: tuple = ()
):
    """Compile ``model`` to (c, A, row senses) with Pyomo and solve it with ``highspy``; rows of
    the constraint components in ``lazy`` go to :func:`run_with_lazy_rows`."""
    t0 = time.perf_counter()
    try:
        import highspy
        from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
    except Exception as exc:
        raise SolverUnavailable(f"HiGHS (highspy) is not usable: {exc}") from exc
    try:
        info = LinearStandardFormCompiler().write(model, mixed_form=True)
        cols = info.columns
        n_col = len(cols)
        inf = highspy.kHighsInf
        rhs = np.asarray(info.rhs, dtype=float)
        sense = np.array([r[1] for r in info.rows], dtype=np.int8)
        row_lo = np.where(sense >= 0, np.where(sense == 0, rhs, -inf), rhs)
        row_hi = np.where(sense <= 0, np.where(sense == 0, rhs, inf), rhs)
        if lazy:
            lazy_ids = {id(c) for c in lazy}
            is_lazy = np.fromiter(
                (id(r[0].parent_component()) in lazy_ids for r in info.rows), bool, len(rhs)
            )
            a_csr = info.A.tocsr()
            held = LazyRows(a_csr[is_lazy], row_lo[is_lazy], row_hi[is_lazy])
            a_mat = a_csr[~is_lazy].tocsc()
            rhs, row_lo, row_hi = rhs[~is_lazy], row_lo[~is_lazy], row_hi[~is_lazy]
        else:
            held = None
            a_mat = info.A.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = n_col
        lp.num_row_ = len(rhs)
        lp.col_cost_ = np.asarray(info.c.toarray()[0], dtype=float) if n_col else np.zeros(0)
        lp.offset_ = float(info.c_offset[0]) if len(info.c_offset) else 0.0
        lp.col_lower_ = np.array([-inf if v.lb is None else v.lb for v in cols], dtype=float)
        lp.col_upper_ = np.array([inf if v.ub is None else v.ub for v in cols], dtype=float)
        lp.row_lower_ = row_lo
        lp.row_upper_ = row_hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a_mat.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a_mat.indices.astype(np.int32)
        lp.a_matrix_.value_ = a_mat.data.astype(float)
        lp.a_matrix_.num_col_ = n_col
        lp.a_matrix_.num_row_ = len(rhs)
        integer = highspy.HighsVarType.kInteger
        continuous = highspy.HighsVarType.kContinuous
        lp.integrality_ = [integer if v.is_integer() else continuous for v in cols]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit_s))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        h.passModel(lp)
        if held is None:
            h.run()
            valid = True
        else:
            valid = run_with_lazy_rows(h, held, time_limit_s=float(time_limit_s))
        ms = h.getModelStatus()
        hinfo = h.getInfo()
        has = valid and hinfo.primal_solution_status == 2  # kSolutionStatusFeasible
        if has:
            xs = h.getSolution().col_value
            for v, val in zip(cols, xs, strict=True):
                v.set_value(float(val), skip_validation=True)
    except SolverUnavailable:
        raise
    except Exception as exc:  # a solver crash is an outcome, not an exception for the caller
        log.error("HiGHS failed: %s", exc)
        return "error", False, math.nan, math.nan, math.nan, time.perf_counter() - t0
    mst = highspy.HighsModelStatus
    status: MilpStatus
    if ms == mst.kOptimal and valid:
        status = "optimal"
    elif ms in (mst.kOptimal, mst.kTimeLimit):  # kOptimal & not valid: an LP round, then time up
        status = "time_limit"
    elif ms in (mst.kInfeasible, mst.kUnboundedOrInfeasible):
        status = "infeasible"
    elif ms == mst.kUnbounded:
        status = "unbounded"
    elif ms in (
        mst.kSolveError,
        mst.kModelError,
        mst.kPresolveError,
        mst.kPostsolveError,
        mst.kLoadError,
    ):
        status = "error"
    else:
        status = "time_limit" if has else "no_solution"
    obj = float(hinfo.objective_function_value) if has else math.nan
    bound = float(hinfo.mip_dual_bound) if has else math.nan
    if not math.isfinite(bound):
        bound = math.nan
    gap = abs(obj - bound) / max(abs(obj), 1e-9) if has and math.isfinite(bound) else math.nan
    seconds = time.perf_counter() - t0
    log.debug("HiGHS (arrays): %s, objective %s, bound %s, %.3f s", ms, obj, bound, seconds)
    return status, has, obj, bound, gap, seconds


def _solve_persistent(
    pyo, highs_cls, model, *, time_limit_s: float, mip_gap: float, threads: int | None
):
    """Solve through Pyomo's persistent HiGHS interface (the path without SciPy)."""
    from pyomo.contrib.solver.common.results import TerminationCondition as TC

    solver = highs_cls()
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
        return "error", False, math.nan, math.nan, math.nan, time.perf_counter() - t0
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
    return status, has, obj, bound, gap, seconds


def _values(var, n: int) -> np.ndarray:
    """Values of an indexed variable over 0..n-1 (0 for unset)."""
    out = np.zeros(n)
    for i in range(n):
        v = var[i].value
        out[i] = 0.0 if v is None else v
    return out


def _gc_paused(fn):
    """Run ``fn`` with the cyclic garbage collector paused: Pyomo models are large graphs of
    cyclic objects and a collection triggered mid-build costs 0.1–0.3 s on a small model (the
    same pause Pyomo's own writers use, ``pyomo.common.gc_manager.PauseGC``, not imported here
    so that a missing Pyomo still surfaces as SolverUnavailable from :func:`_pyomo`)."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapped


# -- Beasley CFLP ---------------------------------------------------------------------------
@_gc_paused
def solve_cflp_model(
    fixed_cost: np.ndarray,
    capacity: np.ndarray,
    demand: np.ndarray,
    cost: np.ndarray,
    *,
    time_limit_s: float,
    mip_gap: float,
    threads: int | None = None,
) -> MilpOutcome:
    """Solve min Σ_i f_i y_i + Σ_ij c_ij x_ij s.t. Σ_i x_ij = 1 ∀j; Σ_j d_j x_ij ≤ s_i y_i ∀i;
    x_ij ≤ y_i ∀i,j (lazy); Σ_i s_i y_i ≥ Σ_j d_j; y binary, 0 ≤ x ≤ 1. ``cost[i, j]`` (m × n)
    is the cost of serving all of customer j from facility i. Values: ``y`` (m,), ``x`` (m, n)."""
    pyo, highs_cls, linexpr = _pyomo()
    t0 = time.perf_counter()
    m_fac, n_cus = cost.shape
    fixed = [float(v) for v in fixed_cost]
    cap = [float(v) for v in capacity]
    dem = [float(v) for v in demand]
    c = cost.tolist()
    fac, cus = range(m_fac), range(n_cus)

    m = pyo.ConcreteModel(name="cflp")
    m.y = pyo.Var(fac, domain=pyo.Binary)
    m.x = pyo.Var(fac, cus, bounds=(0.0, 1.0))
    y, x = m.y, m.x
    m.assign = pyo.Constraint(
        cus, rule=lambda _m, j: (1.0, _lin(linexpr, [1.0] * m_fac, [x[i, j] for i in fac]), 1.0)
    )
    m.capacity = pyo.Constraint(
        fac,
        rule=lambda _m, i: (
            None,
            _lin(linexpr, [*dem, -cap[i]], [*(x[i, j] for j in cus), y[i]]),
            0.0,
        ),
    )
    # Σ_i s_i y_i ≥ Σ_j d_j: implied by the rows above for integer y, but it gives HiGHS's cut
    # separators a knapsack row over the y alone.
    m.cover = pyo.Constraint(expr=(sum(dem), _lin(linexpr, cap, [y[i] for i in fac]), None))
    # x_ij <= y_i: the strong linking rows that make the LP bound tight. Implied by capacity for
    # integer y, so they are lazy: only those the LP relaxation violates reach the solver
    # (about 6-8 % of them on capa/capb/capc).
    m.link = pyo.Constraint(
        fac, cus, rule=lambda _m, i, j: (None, _lin(linexpr, (1.0, -1.0), (x[i, j], y[i])), 0.0)
    )
    coefs = fixed + [c[i][j] for i in fac for j in cus]
    xs = [y[i] for i in fac] + [x[i, j] for i in fac for j in cus]
    m.obj = pyo.Objective(expr=_lin(linexpr, coefs, xs), sense=pyo.minimize)
    build_s = time.perf_counter() - t0

    status, has, obj, bound, gap, solve_s = _solve(
        pyo,
        highs_cls,
        m,
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
        threads=threads,
        lazy=(m.link,),
    )
    values: dict[str, np.ndarray] = {}
    if has:
        values["y"] = _values(y, m_fac)
        xv = np.zeros((m_fac, n_cus))
        for (i, j), v in x.items():
            xv[i, j] = 0.0 if v.value is None else v.value
        values["x"] = xv
    return MilpOutcome(
        status=status,
        has_solution=has,
        objective=obj,
        bound=bound,
        mip_gap=gap,
        build_s=build_s,
        solve_s=solve_s,
        values=values,
    )


# -- station consolidation ------------------------------------------------------------------
@_gc_paused
def solve_facility_model(
    data: FacilityModelData, *, time_limit_s: float, mip_gap: float, threads: int | None = None
) -> MilpOutcome:
    """Build and solve the consolidation MILP of :mod:`wasteopt.facilities.model`.

    Values: ``y`` (stations), ``x`` (assignment options), ``f`` (transfer arcs), ``short_station``
    and ``short_plant`` (capacity slack, t/day)."""
    pyo, highs_cls, linexpr = _pyomo()
    t0 = time.perf_counter()
    d = data
    n_j, n_k = len(d.station_ids), len(d.plant_ids)
    n_o, n_a = len(d.opt_pair), len(d.arc_station)
    opt_t = d.pair_t_per_day[d.opt_pair]  # t/day carried by each option if chosen

    m = pyo.ConcreteModel(name="facilities")
    m.y = pyo.Var(range(n_j), domain=pyo.Binary)
    for j in range(n_j):
        m.y[j].setlb(float(d.y_lb[j]))
        m.y[j].setub(float(d.y_ub[j]))
    m.x = pyo.Var(range(n_o), domain=pyo.Binary)
    m.f = pyo.Var(range(n_a), domain=pyo.NonNegativeReals)
    m.us = pyo.Var(range(n_j), domain=pyo.NonNegativeReals)
    m.uk = pyo.Var(range(n_k), domain=pyo.NonNegativeReals)
    y, x, f, us, uk = m.y, m.x, m.f, m.us, m.uk

    by_pair = _group(d.opt_pair, len(d.pair_point))
    is_st = d.opt_is_station
    st_opts = np.flatnonzero(is_st)
    pl_opts = np.flatnonzero(~is_st)
    by_station = _group(d.opt_site[st_opts], n_j, st_opts)
    by_plant_direct = _group(d.opt_site[pl_opts], n_k, pl_opts)
    by_plant_arc = _group(d.arc_plant, n_k)
    # (station, stream) groups for flow conservation
    opt_key = d.opt_site[st_opts] * d.n_streams + d.pair_stream[d.opt_pair[st_opts]]
    arc_key = d.arc_station * d.n_streams + d.arc_stream
    keys = np.unique(np.concatenate([opt_key, arc_key]))
    opt_by_key = {int(k): st_opts[opt_key == k] for k in keys}
    arc_by_key = {int(k): np.flatnonzero(arc_key == k) for k in keys}
    ot = opt_t.tolist()

    m.assign = pyo.Constraint(
        range(len(by_pair)),
        rule=lambda _m, q: (
            1.0,
            _lin(linexpr, [1.0] * len(by_pair[q]), [x[o] for o in by_pair[q]]),
            1.0,
        ),
    )
    site = d.opt_site.tolist()
    m.link = pyo.Constraint(
        st_opts.tolist(),
        rule=lambda _m, o: (None, _lin(linexpr, (1.0, -1.0), (x[o], y[site[o]])), 0.0),
    )

    def station_cap(_m, j):
        os_ = by_station[j]
        if len(os_) == 0:
            return pyo.Constraint.Skip
        coefs = [ot[o] for o in os_] + [-float(d.station_capacity_t_per_day[j]), -1.0]
        return (None, _lin(linexpr, coefs, [x[o] for o in os_] + [y[j], us[j]]), 0.0)

    m.station_capacity = pyo.Constraint(range(n_j), rule=station_cap)

    def conserve(_m, key):
        os_, as_ = opt_by_key[key], arc_by_key[key]
        coefs = [ot[o] for o in os_] + [-1.0] * len(as_)
        return (0.0, _lin(linexpr, coefs, [x[o] for o in os_] + [f[a] for a in as_]), 0.0)

    m.conserve = pyo.Constraint([int(k) for k in keys], rule=conserve)

    def plant_cap(_m, k):
        os_, as_ = by_plant_direct[k], by_plant_arc[k]
        if len(os_) + len(as_) == 0:
            return pyo.Constraint.Skip
        coefs = [ot[o] for o in os_] + [1.0] * len(as_) + [-1.0]
        xs = [x[o] for o in os_] + [f[a] for a in as_] + [uk[k]]
        return (None, _lin(linexpr, coefs, xs), float(d.plant_capacity_t_per_day[k]))

    m.plant_capacity = pyo.Constraint(range(n_k), rule=plant_cap)

    if d.size_groups:  # (8b) at most (or exactly) one station of each size group
        m.size_group = pyo.Constraint(
            range(len(d.size_groups)),
            rule=lambda _m, g: (
                1.0 if d.size_group_exact[g] else None,
                _lin(linexpr, [1.0] * len(d.size_groups[g]), [y[j] for j in d.size_groups[g]]),
                1.0,
            ),
        )
    if d.max_stations is not None:
        m.max_stations = pyo.Constraint(
            expr=_lin(linexpr, [1.0] * n_j, [y[j] for j in range(n_j)]) <= d.max_stations
        )
    if d.capital_budget_cny is not None:
        m.budget = pyo.Constraint(
            expr=_lin(linexpr, d.station_capital_cny.tolist(), [y[j] for j in range(n_j)])
            <= d.capital_budget_cny
        )

    pen = float(d.shortfall_penalty_cny_per_year_per_t_per_day)
    coefs = (
        d.station_open_cost_cny_per_year.tolist()
        + d.opt_cost_cny_per_year.tolist()
        + d.arc_cost_cny_per_year_per_t_day.tolist()
        + [pen] * (n_j + n_k)
    )
    xs = (
        [y[j] for j in range(n_j)]
        + [x[o] for o in range(n_o)]
        + [f[a] for a in range(n_a)]
        + [us[j] for j in range(n_j)]
        + [uk[k] for k in range(n_k)]
    )
    m.obj = pyo.Objective(
        expr=_lin(linexpr, coefs, xs, constant=float(d.constant_cny_per_year)),
        sense=pyo.minimize,
    )
    build_s = time.perf_counter() - t0

    status, has, obj, bound, gap, solve_s = _solve(
        pyo,
        highs_cls,
        m,
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
        threads=threads,
        lazy=(m.link,),
    )
    values: dict[str, np.ndarray] = {}
    if has:
        values = {
            "y": _values(y, n_j),
            "x": _values(x, n_o),
            "f": _values(f, n_a),
            "short_station": _values(us, n_j),
            "short_plant": _values(uk, n_k),
        }
    return MilpOutcome(
        status=status,
        has_solution=has,
        objective=obj,
        bound=bound,
        mip_gap=gap,
        build_s=build_s,
        solve_s=solve_s,
        values=values,
    )


def _group(keys: np.ndarray, n: int, items: np.ndarray | None = None) -> list[list[int]]:
    """``out[k]`` = the items (default: positions) whose key is k, in input order."""
    out: list[list[int]] = [[] for _ in range(n)]
    src = range(len(keys)) if items is None else items
    for key, item in zip(keys.tolist(), list(src), strict=True):
        out[key].append(int(item))
    return out
