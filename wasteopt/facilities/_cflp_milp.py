"""Beasley's capacitated warehouse location problem with splittable demand as a Pyomo model,
solved by the HiGHS adapter :mod:`wasteopt.facilities._highs` (used by
:mod:`wasteopt.facilities.instances`)."""

from __future__ import annotations

import time

import numpy as np

from wasteopt.facilities._highs import (
    FloatArray,
    MilpOutcome,
    gc_paused,
    lin,
    pyomo_api,
    solve_model,
    variable_values,
)

__all__ = ["solve_cflp_model"]


@gc_paused
def solve_cflp_model(
    fixed_cost: FloatArray,
    capacity: FloatArray,
    demand: FloatArray,
    cost: FloatArray,
    *,
    time_limit_s: float,
    mip_gap: float,
    threads: int | None = None,
) -> MilpOutcome:
    """Solve min Σ_i f_i y_i + Σ_ij c_ij x_ij s.t. Σ_i x_ij = 1 ∀j; Σ_j d_j x_ij ≤ s_i y_i ∀i;
    x_ij ≤ y_i ∀i,j; Σ_i s_i y_i ≥ Σ_j d_j; y binary, 0 ≤ x ≤ 1. ``cost[i, j]`` (m × n)
    is the cost of serving all of customer j from facility i. Values: ``y`` (m,), ``x`` (m, n)."""
    api = pyomo_api()
    pyo = api.pyo
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
        cus, rule=lambda _m, j: (1.0, lin(api, [1.0] * m_fac, [x[i, j] for i in fac]), 1.0)
    )
    m.capacity = pyo.Constraint(
        fac,
        rule=lambda _m, i: (
            None,
            lin(api, [*dem, -cap[i]], [*(x[i, j] for j in cus), y[i]]),
            0.0,
        ),
    )
    # Σ_i s_i y_i ≥ Σ_j d_j: implied by the rows above for integer y, but it gives HiGHS's cut
    # separators a knapsack row over the y alone.
    m.cover = pyo.Constraint(expr=(sum(dem), lin(api, cap, [y[i] for i in fac]), None))
    # x_ij <= y_i: the strong linking rows that make the LP bound tight. Implied by capacity for
    # integer y, but in the model from the start: held back as lazy rows (only those the LP
    # relaxation violates, 6-8 % on capa/capb/capc) the solve took 1.9-2.6x plain highspy's
    # time with every row on capa_10000..capb_5000, 0.86x on capa_8000 (HiGHS 1.12, measured
    # 2026-12-05). The station planner (_consolidation_milp) keeps its linking rows lazy: on
    # Jintan's free-mode plan lazy rows did better (MIP gap at 300 s 6.5e-5 against 2.3e-4
    # with every row; the consolidate variant proven optimal in 4.1 s against 6.1 s).
    m.link = pyo.Constraint(
        fac, cus, rule=lambda _m, i, j: (None, lin(api, (1.0, -1.0), (x[i, j], y[i])), 0.0)
    )
    coefs = fixed + [c[i][j] for i in fac for j in cus]
    xs = [y[i] for i in fac] + [x[i, j] for i in fac for j in cus]
    m.obj = pyo.Objective(expr=lin(api, coefs, xs), sense=pyo.minimize)
    build_s = time.perf_counter() - t0

    solved = solve_model(api, m, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads)
    values: dict[str, FloatArray] = {}
    if solved.has_solution:
        values["y"] = variable_values(y, m_fac)
        xv = np.zeros((m_fac, n_cus))
        for (i, j), v in x.items():
            xv[i, j] = 0.0 if v.value is None else v.value
        values["x"] = xv
    return MilpOutcome.of(solved, build_s, values)
