"""OR-Library capacitated warehouse location benchmark: wasteopt's Pyomo + HiGHS path against
plain highspy solving the same MILP, on Beasley's 49 instances (37 small + 12 capa/b/c).

Model (splittable demand, the problem of OR-Library's published optima):
min Σ f_i y_i + Σ c_ij x_ij  s.t.  Σ_i x_ij = 1;  Σ_j d_j x_ij ≤ s_i y_i;  Σ s_i y_i ≥ Σ d_j;
x_ij ≤ y_i; y binary, 0 ≤ x ≤ 1.

* *wasteopt*: ``wasteopt.facilities.instances.solve_cflp`` (Pyomo model, compiled to arrays,
  every row from the start), wall clock of the whole call: building the Pyomo model,
  compiling it and reading the values back come on top of the solve. (The station planner
  holds its linking rows back as lazy rows, ``_highs.run_with_lazy_rows``, measured better
  there; on these instances they were not, so this table does not time that routine.)
* *plain highspy*: the same MILP written here with highspy alone (``HighsLp`` arrays,
  ``passModel``, one ``run``), every row in the model from the start, no wasteopt code; wall
  clock from building the arrays to reading the objective.

Both get the same HiGHS options: time limit, ``mip_rel_gap``, one thread. The table gives
the per-instance time ratio wasteopt / plain highspy, its median and worst per group, and the
ratio of summed times beside them. Goal (issue 13): the **median per-instance ratio** ≤ 1.5×
on each group; the worst and the summed ratio are reported, not judged.

Usage::

    python benchmarks/cflp.py                              # all 49 (capa/b/c take minutes each)
    python benchmarks/cflp.py --only-small --name cflp-small
    python benchmarks/cflp.py --instances cap41 cap42 --out /tmp/b   # smoke run

Writes ``<--name>.csv`` and ``<--name>.md`` (default ``cflp``) into ``--out`` (default
benchmarks/results) through the shared header of ``machine_info``; each run writes whole files
(rewritten after every instance, so an interrupted run keeps what it measured).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from machine_info import ROOT, Run, read_csv_rows  # benchmarks/ is the script's folder

from wasteopt.facilities._highs import pyomo_api
from wasteopt.facilities.instances import CFLPInstance, read_orlib_cap, solve_cflp

DATA = ROOT / "benchmarks" / "data" / "cflp"
RESULTS = ROOT / "benchmarks" / "results"
RATIO_GOAL = 1.5
FIELDS = [
    "instance",
    "m",
    "n",
    "optimum",
    "wasteopt_status",
    "wasteopt_objective",
    "wasteopt_gap_to_opt",
    "wasteopt_total_s",
    "highspy_status",
    "highspy_objective",
    "highspy_gap_to_opt",
    "highspy_build_s",
    "highspy_total_s",
    "time_ratio",
    "time_limit_s",
]


def solve_plain_highspy(
    inst: CFLPInstance, *, time_limit_s: float, mip_gap: float
) -> dict[str, Any]:
    """The MILP of the module docstring built with highspy alone and solved in one run."""
    import highspy  # lazy: imported (untimed) in main before the first instance

    t0 = time.perf_counter()
    m, n = inst.cost.shape
    nx = m * n
    inf = highspy.kHighsInf
    xcol = m + np.arange(nx).reshape(m, n)  # column of x_ij; y_i is column i
    # rows, CSR: n assignment rows, m capacity rows, 1 cover row, m·n linking rows
    index = np.concatenate(
        [
            xcol.T.ravel(),  # assignment row j: x_0j … x_(m-1)j
            np.column_stack([xcol, np.arange(m)]).ravel(),  # capacity row i: x_i·, y_i
            np.arange(m),  # cover row: y
            np.column_stack([xcol.ravel(), np.repeat(np.arange(m), n)]).ravel(),  # x_ij, y_i
        ]
    ).astype(np.int32)
    value = np.concatenate(
        [
            np.ones(nx),
            np.column_stack([np.tile(inst.demand, (m, 1)), -inst.capacity]).ravel(),
            inst.capacity,
            np.tile([1.0, -1.0], nx),
        ]
    )
    lens = np.concatenate([np.full(n, m), np.full(m, n + 1), [m], np.full(nx, 2)])
    lp = highspy.HighsLp()
    lp.num_col_ = m + nx
    lp.num_row_ = n + m + 1 + nx
    lp.col_cost_ = np.concatenate([inst.fixed_cost, inst.cost.ravel()])
    lp.col_lower_ = np.zeros(m + nx)
    lp.col_upper_ = np.ones(m + nx)
    lp.row_lower_ = np.concatenate(
        [np.ones(n), np.full(m, -inf), [inst.demand.sum()], np.full(nx, -inf)]
    )
    lp.row_upper_ = np.concatenate([np.ones(n), np.zeros(m), [inf], np.zeros(nx)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.a_matrix_.num_col_ = m + nx
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * nx
    h = highspy.Highs()
    for option, setting in (
        ("output_flag", False),
        ("time_limit", float(time_limit_s)),
        ("mip_rel_gap", float(mip_gap)),
        ("threads", 1),
    ):
        h.setOptionValue(option, setting)
    h.passModel(lp)
    build_s = time.perf_counter() - t0
    h.run()
    status, info = h.getModelStatus(), h.getInfo()
    has = info.primal_solution_status == 2
    objective = info.objective_function_value if has else math.nan
    total_s = time.perf_counter() - t0
    name = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
    }.get(status, str(status))
    return {"status": name, "objective": objective, "build_s": build_s, "total_s": total_s}


def instances() -> list[dict[str, str]]:
    """The rows of ``bks.csv``: file, capacity value, published optimum."""
    return read_csv_rows(DATA / "bks.csv")


def rel_gap(obj: float, opt: float) -> float:
    return (obj - opt) / opt if obj == obj else math.nan


def run_one(row: dict[str, str], *, time_limit_s: float, mip_gap: float) -> dict[str, Any]:
    """Both paths on one instance; the row of the table."""
    cap = None if row["capacity_value"] == "in file" else float(row["capacity_value"])
    read = read_orlib_cap(DATA / row["file"], capacity=cap)
    inst = CFLPInstance(
        name=row["instance"],
        capacity=read.capacity,
        fixed_cost=read.fixed_cost,
        demand=read.demand,
        cost=read.cost,
    )
    opt = float(row["optimal_value"])
    t0 = time.perf_counter()
    wo = solve_cflp(inst, time_limit_s=time_limit_s, mip_gap=mip_gap, optimum=opt, threads=1)
    wo_total = time.perf_counter() - t0  # wall clock of the whole library call
    hi = solve_plain_highspy(inst, time_limit_s=time_limit_s, mip_gap=mip_gap)
    return {
        "instance": row["instance"],
        "m": inst.n_facilities,
        "n": inst.n_customers,
        "optimum": opt,
        "wasteopt_status": wo.status,
        "wasteopt_objective": wo.objective,
        "wasteopt_gap_to_opt": rel_gap(wo.objective, opt),
        "wasteopt_total_s": wo_total,
        "highspy_status": hi["status"],
        "highspy_objective": hi["objective"],
        "highspy_gap_to_opt": rel_gap(hi["objective"], opt),
        "highspy_build_s": hi["build_s"],
        "highspy_total_s": hi["total_s"],
        "time_ratio": wo_total / hi["total_s"] if hi["total_s"] > 0 else math.nan,
        "time_limit_s": time_limit_s,
    }


def _fmt_csv(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.6f}" if abs(v) >= 1 or v == 0 else f"{v:.3e}"
    return str(v)


def _at_opt(r: dict[str, Any], side: str) -> bool:
    g = float(r[f"{side}_gap_to_opt"])
    return g == g and abs(g) <= 1e-6


def group_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Per group: instances at the optimum, per-instance ratio median and worst, summed ratio."""
    lines = [
        "| group | instances | at optimum (wasteopt / highspy) | median ratio | worst ratio "
        "(instance) | summed ratio | goal: median ≤ 1.5× |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    groups: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
        ("small (cap41–cap134)", lambda r: int(r["n"]) <= 50),
        ("large (capa/capb/capc)", lambda r: int(r["n"]) > 50),
        ("all", lambda r: True),
    ]
    for label, sel in groups:
        part = [r for r in rows if sel(r)]
        if not part:
            continue
        ratios = [float(r["time_ratio"]) for r in part]
        worst = max(part, key=lambda r: float(r["time_ratio"]))
        med = statistics.median(ratios)
        summed = sum(float(r["wasteopt_total_s"]) for r in part) / sum(
            float(r["highspy_total_s"]) for r in part
        )
        lines.append(
            f"| {label} | {len(part)} | {sum(_at_opt(r, 'wasteopt') for r in part)} / "
            f"{sum(_at_opt(r, 'highspy') for r in part)} | {med:.2f}× "
            f"| {float(worst['time_ratio']):.2f}× ({worst['instance']}) | {summed:.2f}× "
            f"| {'met' if med <= RATIO_GOAL else '**not met**'} |"
        )
    return lines


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    import highspy  # lazy: versions only
    import pyomo

    lines = [
        "Generated in full by `benchmarks/cflp.py` (see its docstring for the model). "
        "*wasteopt* = `wasteopt.facilities.solve_cflp` (Pyomo model compiled to arrays, "
        "every row from the start, wall clock of the whole call); *highspy* = the same "
        "MILP built with plain highspy arrays (every row from the start, one `run`, no "
        "wasteopt code). Same options on both: time limit, `mip_rel_gap`, one thread; one "
        "instance at a time. Ratio = wasteopt seconds / highspy seconds of the same instance. "
        f"Pyomo {pyomo.__version__}, HiGHS {highspy.Highs().version()}.",
        "",
        "**Goal (issue 13): the median per-instance ratio ≤ 1.5× in each group.** The worst "
        "per-instance ratio and the ratio of summed times are shown beside it; summed time is "
        "dominated by the slowest instances and says little about the small ones.",
        "",
        *group_lines(rows),
        "",
        "| instance | m×n | optimum | wasteopt obj | gap | wasteopt s | highspy obj | gap "
        "| highspy build s | highspy s | ratio | status (w/h) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['instance']} | {r['m']}×{r['n']} | {r['optimum']:,.3f} "
            f"| {r['wasteopt_objective']:,.3f} | {r['wasteopt_gap_to_opt']:.1e} "
            f"| {r['wasteopt_total_s']:.3f} | {r['highspy_objective']:,.3f} "
            f"| {r['highspy_gap_to_opt']:.1e} | {r['highspy_build_s']:.3f} "
            f"| {r['highspy_total_s']:.3f} | {r['time_ratio']:.2f} "
            f"| {r['wasteopt_status']}/{r['highspy_status']} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--only-small", action="store_true", help="skip capa/capb/capc")
    ap.add_argument("--only-large", action="store_true", help="only capa/capb/capc")
    ap.add_argument("--instances", nargs="*", help="instance names from bks.csv")
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve")
    ap.add_argument("--mip-gap", type=float, default=1e-6)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--name", default="cflp", help="output file stem (.csv and .md)")
    args = ap.parse_args(argv)
    run = Run.start(__file__, argv)
    todo = instances()
    if args.instances:
        todo = [r for r in todo if r["instance"] in set(args.instances)]
    if args.only_small:
        todo = [r for r in todo if r["capacity_value"] == "in file"]
    if args.only_large:
        todo = [r for r in todo if r["capacity_value"] != "in file"]
    if not todo:
        ap.error("no instance matches")
    import highspy  # noqa: F401  (one-off imports are not part of either path's time)

    pyomo_api()
    rows: list[dict[str, Any]] = []
    base = args.out / args.name
    for row in todo:
        res = run_one(row, time_limit_s=args.time_limit, mip_gap=args.mip_gap)
        rows.append(res)
        run.write_csv(base.with_suffix(".csv"), FIELDS, [_csv_row(r) for r in rows])
        run.write_md(
            base.with_suffix(".md"),
            "OR-Library capacitated warehouse location: wasteopt vs plain highspy",
            markdown(rows),
        )
        print(
            f"{res['instance']:>11}: wasteopt {res['wasteopt_status']} "
            f"{res['wasteopt_objective']:.3f} ({res['wasteopt_total_s']:.2f} s)  highspy "
            f"{res['highspy_status']} {res['highspy_objective']:.3f} "
            f"({res['highspy_total_s']:.2f} s)  ratio {res['time_ratio']:.2f}",
            flush=True,
        )
    return 0


def _csv_row(r: dict[str, Any]) -> dict[str, str]:
    return {k: _fmt_csv(r[k]) for k in FIELDS}


if __name__ == "__main__":
    raise SystemExit(main())
