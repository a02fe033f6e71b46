"""Beasley's OR-Library capacitated warehouse location instances (``cap41`` … ``capc``).

Problem (splittable demand, as in OR-Library "capinfo" and its published optima "capopt"):
facilities i with capacity s_i and fixed cost f_i, customers j with demand d_j; ``c_ij`` is the
cost of serving *all* of j's demand from i, so serving the fraction x_ij costs c_ij·x_ij::

    min  Σ_i f_i y_i + Σ_i Σ_j c_ij x_ij
    s.t. Σ_i x_ij = 1                ∀ j      (every customer fully served)
         Σ_j d_j x_ij ≤ s_i y_i      ∀ i      (capacity of open facilities)
         x_ij ≤ y_i                  ∀ i, j   (strong linking)
         y_i ∈ {0, 1},  0 ≤ x_ij ≤ 1

It is solved through the same Pyomo + HiGHS adapter as the station planner
(:mod:`wasteopt.facilities._highs`), which is what the OR-Library benchmark exercises.

File format: whitespace-separated tokens ``m n``; m pairs ``capacity fixed_cost``; then per
customer ``demand`` followed by m allocation costs (wrapped over lines). In ``capa``/``capb``/
``capc`` each capacity token is the word ``capacity``: the value must be passed explicitly
(Beasley's instances use capa 8000–14000, capb 5000–8000, capc 5000–7250).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from wasteopt.errors import InputError, Problem
from wasteopt.facilities._cflp_milp import solve_cflp_model

__all__ = ["CFLPInstance", "CFLPResult", "read_orlib_cap", "solve_cflp"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CFLPInstance:
    """A capacitated facility location instance. ``cost[i, j]`` (m × n) serves all of j from i."""

    name: str
    capacity: npt.NDArray[np.float64]
    fixed_cost: npt.NDArray[np.float64]
    demand: npt.NDArray[np.float64]
    cost: npt.NDArray[np.float64]

    @property
    def n_facilities(self) -> int:
        return int(self.capacity.shape[0])

    @property
    def n_customers(self) -> int:
        return int(self.demand.shape[0])


@dataclass(frozen=True, slots=True, kw_only=True)
class CFLPResult:
    """Result of :func:`solve_cflp`. ``gap_to_optimum`` is (objective − optimum)/optimum when a
    published optimum was given (NaN otherwise). ``open_facilities`` are 0-based indices;
    ``x[i, j]`` the served fraction."""

    instance: str
    status: str
    objective: float
    bound: float
    mip_gap: float
    runtime_s: float
    build_s: float
    solve_s: float
    optimum: float
    gap_to_optimum: float
    open_facilities: tuple[int, ...]
    x: npt.NDArray[np.float64]

    def summary(self) -> str:
        """One line: instance, status, objective, gap to the published optimum, seconds."""
        g = self.gap_to_optimum
        gap = "" if math.isnan(g) else f", gap to optimum {g:.2e}"
        return (
            f"{self.instance}: {self.status}, objective {self.objective:,.3f}{gap}, "
            f"{len(self.open_facilities)} open, {self.runtime_s:.2f} s"
        )


class _Tokens:
    """The whitespace-separated tokens of one file, read as numbers; every bad token becomes a
    :class:`~wasteopt.errors.Problem` (and NaN) so that all of them are reported together."""

    def __init__(self, fname: str, tokens: list[str]) -> None:
        self.fname = fname
        self.tokens = tokens
        self.problems: list[Problem] = []

    def num(self, k: int, what: str) -> float:
        """Token ``k`` as a number, or NaN and a problem."""
        if k >= len(self.tokens):
            self.problems.append(
                Problem(
                    file=self.fname,
                    where=f"token {k + 1}",
                    field=what,
                    message="file ends early",
                    expected="a number",
                )
            )
            return math.nan
        try:
            return float(self.tokens[k])
        except ValueError:
            self.problems.append(
                Problem(
                    file=self.fname,
                    where=f"token {k + 1}",
                    field=what,
                    message="not a number",
                    value=self.tokens[k],
                    expected="a number",
                )
            )
            return math.nan


def read_orlib_cap(path: str | Path, capacity: float | None = None) -> CFLPInstance:
    """Read an OR-Library ``cap*`` file. ``capacity`` is required (and only used) when the file's
    capacity tokens are the word ``capacity`` (capa/capb/capc); a numeric capacity in the file is
    kept as is. Raises :class:`~wasteopt.errors.InputError` listing every problem found."""
    p = Path(path)
    fname = str(path)
    try:
        tokens = p.read_text(encoding="utf-8").split()
    except OSError as exc:
        raise InputError([Problem(file=fname, message=f"cannot read file: {exc}")]) from exc
    toks = _Tokens(fname, tokens)
    m, n = _header_sizes(toks)
    cap, fixed = _facilities(toks, m, capacity)
    demand, cost = _customers(toks, m, n)
    for arr, what in ((cap, "capacity"), (fixed, "fixed cost"), (demand, "demand")):
        toks.problems += _negative(fname, arr, what)
    if toks.problems:
        raise InputError(toks.problems)
    return CFLPInstance(name=p.stem, capacity=cap, fixed_cost=fixed, demand=demand, cost=cost)


def _header_sizes(toks: _Tokens) -> tuple[int, int]:
    """The header ``m n`` (facilities, customers), checked against the number of tokens."""
    tokens, fname = toks.tokens, toks.fname
    if len(tokens) < 2:
        raise InputError([Problem(file=fname, message="file is empty or has no 'm n' header")])
    m_f, n_c = toks.num(0, "m"), toks.num(1, "n")
    if toks.problems or m_f != int(m_f) or n_c != int(n_c) or m_f <= 0 or n_c <= 0:
        toks.problems.append(
            Problem(
                file=fname,
                where="header",
                field="m n",
                value=" ".join(tokens[:2]),
                message="bad sizes",
                expected="two positive integers",
            )
        )
        raise InputError(toks.problems)
    m, n = int(m_f), int(n_c)
    expected_tokens = 2 + 2 * m + n * (1 + m)
    if len(tokens) != expected_tokens:
        raise InputError(
            [
                Problem(
                    file=fname,
                    message="wrong number of tokens for the header sizes",
                    value=str(len(tokens)),
                    expected=f"{expected_tokens} (= 2 + 2·{m} + {n}·(1 + {m}))",
                )
            ]
        )
    return m, n


def _facilities(
    toks: _Tokens, m: int, capacity: float | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Capacity and fixed cost of each facility; the word ``capacity`` takes ``capacity``."""
    cap = np.empty(m)
    fixed = np.empty(m)
    k = 2
    symbolic = 0
    for i in range(m):
        if toks.tokens[k].lower() == "capacity":
            symbolic += 1
            cap[i] = math.nan if capacity is None else float(capacity)
        else:
            cap[i] = toks.num(k, f"capacity of facility {i + 1}")
        fixed[i] = toks.num(k + 1, f"fixed cost of facility {i + 1}")
        k += 2
    if symbolic and capacity is None:
        toks.problems.append(
            Problem(
                file=toks.fname,
                field="capacity",
                value="capacity",
                message=f"{symbolic} facilities have the symbolic capacity 'capacity'",
                expected="the capacity argument (e.g. capa: 8000, 10000, 12000 or 14000)",
            )
        )
    return cap, fixed


def _customers(
    toks: _Tokens, m: int, n: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Demand of each customer and the cost (m × n) of serving all of it from each facility."""
    demand = np.empty(n)
    cost = np.empty((m, n))
    k = 2 + 2 * m
    for j in range(n):
        demand[j] = toks.num(k, f"demand of customer {j + 1}")
        k += 1
        for i in range(m):
            cost[i, j] = toks.num(k, f"cost of customer {j + 1} at facility {i + 1}")
            k += 1
    return demand, cost


def _negative(fname: str, arr: npt.NDArray[np.float64], what: str) -> list[Problem]:
    """The first five negative entries of ``arr``."""
    return [
        Problem(
            file=fname,
            where=f"{what} #{i + 1}",
            field=what,
            value=str(arr[i]),
            message="negative",
            expected=">= 0",
        )
        for i in np.flatnonzero(arr < 0)[:5].tolist()
    ]


def solve_cflp(
    instance: CFLPInstance,
    *,
    time_limit_s: float = 60.0,
    mip_gap: float = 1e-6,
    optimum: float | None = None,
    threads: int | None = None,
) -> CFLPResult:
    """Solve ``instance`` with Pyomo + HiGHS (see the module docstring for the model).
    ``optimum`` (a published value) only fills ``gap_to_optimum``."""
    out = solve_cflp_model(
        instance.fixed_cost,
        instance.capacity,
        instance.demand,
        instance.cost,
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
        threads=threads,
    )
    opt = math.nan if optimum is None else float(optimum)
    gap = (out.objective - opt) / abs(opt) if out.has_solution and opt == opt and opt else math.nan
    y = out.values.get("y")
    open_fac = () if y is None else tuple(int(i) for i in np.flatnonzero(y > 0.5))
    x = out.values.get("x", np.zeros((instance.n_facilities, instance.n_customers)))
    return CFLPResult(
        instance=instance.name,
        status=out.status,
        objective=out.objective,
        bound=out.bound,
        mip_gap=out.mip_gap,
        runtime_s=out.runtime_s,
        build_s=out.build_s,
        solve_s=out.solve_s,
        optimum=opt,
        gap_to_optimum=gap,
        open_facilities=open_fac,
        x=x,
    )
