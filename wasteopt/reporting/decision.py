"""The decision page's content, from plain tables: the verdict of each variant against the base,
the reconciled cost per tonne by stage, stations before/after, who moves where, what each status
means, and warnings about implausible inputs (:func:`build_decision`; drawn by
:mod:`wasteopt.reporting.decision_html`).

Model
-----
*Verdict.* For each KPI of :data:`~wasteopt.reporting.kpis.VERDICT_KPIS` and each variant ``v``
the paired differences ``d_s = x_v,s − x_base,s`` over the seeds ``s`` both have (common random
numbers, as :mod:`wasteopt.replications`): mean ``d̄``, and with ``n ≥ 2`` pairs the Student t
interval ``d̄ ± h`` with ``h = t_{(1+level)/2, n−1} · sd(d) / √n``. The verdict is ``same``
when the whole interval lies within ``± SAME_SHARE × |base|`` (service: ``± SAME_SERVICE``),
else ``unclear`` when it holds 0, else ``better`` or ``worse`` by the KPI's direction. With one
replication there is no interval (a spread needs two values; ``h`` is taken as 0): the verdict
is the sign of ``d̄``, and the page says so.

*Warnings.* A station the variant retires that carries less than ``LOW_UTILISATION`` of its
capacity in the base plan (retiring it moves almost no waste: check its catchment inputs); an
open station below ``LOW_UTILISATION``; a station above 100 % on its busiest simulated day; a
plant above ``PLANT_HIGH`` planned or on its busiest day; a plant with a backlog at a day's
end.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from wasteopt.reporting.kpis import COST_STAGES, VERDICT_KPIS, kpi

__all__ = [
    "LOW_UTILISATION",
    "PLANT_HIGH",
    "SAME_SERVICE",
    "SAME_SHARE",
    "SITE_COLUMNS",
    "SITE_STREAM_COLUMNS",
    "STATUS_COLUMNS",
    "WARNING_KINDS",
    "Decision",
    "DecisionInputs",
    "PageWarning",
    "build_decision",
    "paired_interval",
]

SAME_SHARE = 0.005
"""A difference within 0.5 % of the base value reads as "about the same"."""
SAME_SERVICE = 0.001
"""Service (a share): a difference within 0.1 percentage point reads as "about the same"."""
LOW_UTILISATION = 0.10
"""A station below 10 % of its capacity is far below capacity."""
PLANT_HIGH = 0.95
"""A plant above 95 % of its capacity has no room for a bad week."""
BACKLOG_T = 0.1
"""A plant backlog above 0.1 t at a day's end is reported."""

WARNING_KINDS = (
    "retire_empty",
    "station_low",
    "station_peak",
    "plant_high",
    "plant_backlog",
)
"""The warnings, in the order the page lists them."""

SITE_COLUMNS = [
    "variant",
    "site_id",
    "site_name",
    "site_kind",
    "open",
    "capacity_t_per_day",
    "t_per_day",
    "haul_km_per_day",
    "peak_day_utilisation",
    "backlog_max_t",
]
"""``sites``: one row per variant and site: planned t/day (all streams), capacity (0 when the
station is closed), planned haul km/day (station → plant and back), the busiest simulated day's
t ÷ capacity and the largest plant backlog at a day's end (simulation)."""
SITE_STREAM_COLUMNS = ["variant", "site_id", "stream", "t_per_day"]
"""``site_streams``: planned t/day of each stream a site receives, per variant."""
STATUS_COLUMNS = ["variant", "stage", "status", "detail"]
"""``statuses``: one row per variant and stage (facility plan, routes, simulation, each stream's
service) with its status and what it found (cause, stream, tonnes, days)."""

STATUS_MEANINGS: dict[str, str] = {
    "optimal": "最优 proven optimal within the MIP gap, every capacity respected",
    "time_limit": "时限内最优 the best plan found when the time limit stopped the search",
    "capacity_short": "能力不足 the plan needs more capacity than a station or plant has",
    "infeasible": "不可行 no plan exists (a point no site accepts, station limits)",
    "no_solution": "无解 the solver stopped without a plan",
    "error": "错误 the solver failed",
    "feasible": "可行 routes found for every stop",
    "clean": "通过 every plan passed the independent checker",
    "violations": "违规 a plan broke a rule or left stops unserved",
    "complete": "完成 every kg due collected on its day, nothing overflowed",
    "within_tolerance": "容差内 something was late or overflowed, but every stream met the "
    "service level (≥ 99.5 % collected, ≤ 0.5 % overflowed)",
    "shortfall": "不达标 a stream collected less than 99.5 % of the waste due or overflowed "
    "more than 0.5 %",
    "balance_error": "质量不平衡 the mass balance did not close (a bug)",
    "robust": "稳健 at most 5 % of each stream's collection vehicle-days (and haul vehicle-days) "
    "needed an unplanned unload, too many trips or overtime",
    "not_robust": "不稳健 more than 5 % of some stream's collection (or haul) vehicle-days "
    "needed an unplanned unload, too many trips or overtime: the route sheets do not survive "
    "the simulated days as drawn",
}
"""What each status value means (Chinese, then English)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionInputs:
    """Plain tables the decision page is built from. ``runs``: one row per variant and
    replication with ``variant``, ``seed`` and KPI columns (``kpi.csv``'s rows when the run made
    one replication); ``sites``/``site_streams``: :data:`SITE_COLUMNS` /
    :data:`SITE_STREAM_COLUMNS`, every variant including the base; ``moves``: one row per
    (variant, point, stream) whose unload site changes (``point_id, stream, t_per_day,
    site_base, site_variant, delta_t_km_per_day``); ``statuses``: :data:`STATUS_COLUMNS`;
    ``descriptions``: variant → what it changes."""

    runs: pd.DataFrame
    sites: pd.DataFrame
    site_streams: pd.DataFrame
    moves: pd.DataFrame
    statuses: pd.DataFrame
    descriptions: Mapping[str, str] = field(default_factory=dict)
    base: str = "base"
    level: float = 0.95


@dataclass(frozen=True, slots=True, kw_only=True)
class PageWarning:
    """An implausible input or a result at a limit: which variants and site, in both
    languages."""

    kind: str
    site_id: str
    variants: tuple[str, ...]
    zh: str
    en: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The decision page's content (module docstring). ``replications``: the fewest
    replications of any variant (1: no intervals); ``verdicts``: ``variant, kpi, base, value,
    delta, delta_pct, ci_low, ci_high, n, verdict``; ``costs``: one row per variant with
    ``cost_cny_per_t`` and its stages (means over replications) and ``gap`` (total − stages);
    ``stations``: per variant, one row per station open in the base or the variant;
    ``moves``: from → to per variant; ``statuses``: with ``meaning``."""

    base: str
    variants: tuple[str, ...]
    replications: int
    seeds: tuple[int, ...]
    level: float
    descriptions: Mapping[str, str]
    verdicts: pd.DataFrame
    costs: pd.DataFrame
    stations: dict[str, pd.DataFrame]
    streams: tuple[str, ...]
    moves: pd.DataFrame
    statuses: pd.DataFrame
    warnings: tuple[PageWarning, ...]


def paired_interval(diffs: np.ndarray, level: float = 0.95) -> tuple[float, float, int]:
    """``(mean, half_width, n)`` of the finite paired differences; half-width NaN below
    two."""
    d = np.asarray(diffs, dtype=float)
    d = d[np.isfinite(d)]
    n = int(d.size)
    if n == 0:
        return math.nan, math.nan, 0
    if n < 2:
        return float(d.mean()), math.nan, n
    t = float(stats.t.ppf((1.0 + level) / 2.0, n - 1))
    return float(d.mean()), t * float(d.std(ddof=1)) / math.sqrt(n), n


def build_decision(inputs: DecisionInputs) -> Decision:
    """The decision page's content from ``inputs`` (module docstring)."""
    runs, base = inputs.runs, inputs.base
    if base not in set(runs["variant"]):
        raise ValueError(f"the decision page needs the base variant {base!r} in runs")
    variants = tuple(str(v) for v in dict.fromkeys(runs["variant"]) if v != base)
    counts = runs.groupby("variant")["seed"].nunique()
    seeds = tuple(int(s) for s in sorted(set(runs["seed"])))
    streams = tuple(str(s) for s in dict.fromkeys(inputs.site_streams["stream"]))
    return Decision(
        base=base,
        variants=variants,
        replications=int(counts.min()),
        seeds=seeds,
        level=inputs.level,
        descriptions=dict(inputs.descriptions),
        verdicts=_verdicts(runs, base, variants, inputs.level),
        costs=_costs(runs),
        stations={v: _stations(inputs, v, streams) for v in variants},
        streams=streams,
        moves=_moves(inputs.moves),
        statuses=_statuses(inputs.statuses),
        warnings=_warnings(inputs, variants),
    )


def _verdicts(
    runs: pd.DataFrame, base: str, variants: tuple[str, ...], level: float
) -> pd.DataFrame:
    """One row per variant and verdict KPI (module docstring)."""
    cols = ["variant", "kpi", "base", "value", "delta", "delta_pct", "ci_low", "ci_high"]
    rows = []
    ref = runs[runs["variant"] == base].set_index("seed")
    for v in variants:
        mine = runs[runs["variant"] == v].set_index("seed")
        for k in VERDICT_KPIS:
            if k not in runs.columns:
                continue
            b = ref[k].astype(float)
            x = mine[k].astype(float)
            diffs = (x - b).dropna().to_numpy()  # aligned on seed
            mean, hw, n = paired_interval(diffs, level)
            b_mean, x_mean = float(b.mean()), float(x.mean())
            rows.append(
                {
                    "variant": v,
                    "kpi": k,
                    "base": b_mean,
                    "value": x_mean,
                    "delta": mean,
                    "delta_pct": mean / abs(b_mean) if b_mean else math.nan,
                    "ci_low": mean - hw,
                    "ci_high": mean + hw,
                    "n": n,
                    "verdict": _verdict(k, b_mean, mean, hw),
                }
            )
    return pd.DataFrame(rows, columns=[*cols, "n", "verdict"])


def _verdict(kpi_id: str, base: float, delta: float, half_width: float) -> str:
    """``better``, ``worse``, ``same`` or ``unclear`` (module docstring)."""
    if not math.isfinite(delta):
        return "unclear"
    same = SAME_SERVICE if kpi(kpi_id).fmt == "pct" else SAME_SHARE * abs(base)
    spread = half_width if math.isfinite(half_width) else 0.0
    if abs(delta) + spread <= same:  # the whole interval within the tolerance
        return "same"
    if delta - spread <= 0.0 <= delta + spread:
        return "unclear"
    lower_is_better = kpi(kpi_id).better == "lower"
    return "better" if (delta < 0) == lower_is_better else "worse"


def _costs(runs: pd.DataFrame) -> pd.DataFrame:
    """The reconciled cost per tonne and its stages, mean over replications, per variant."""
    cols = ["cost_cny_per_t", *COST_STAGES]
    present = [c for c in cols if c in runs.columns]
    out = runs.groupby("variant", sort=False)[present].mean().reindex(columns=cols)
    out["gap"] = out["cost_cny_per_t"] - out[list(COST_STAGES)].sum(axis=1, min_count=1)
    return out.reset_index()


def _stations(inputs: DecisionInputs, variant: str, streams: tuple[str, ...]) -> pd.DataFrame:
    """Stations open in the base or ``variant``: change, t/day by stream, utilisation, headroom
    and haul km, each base and variant."""
    sites, base = inputs.sites, inputs.base
    st = sites[sites["site_kind"] == "station"]
    before = st[st["variant"] == base].set_index("site_id")
    after = st[st["variant"] == variant].set_index("site_id")
    if before.empty or after.empty:  # a side without a facility plan: nothing to compare
        return pd.DataFrame()
    per = inputs.site_streams.set_index(["variant", "site_id", "stream"])["t_per_day"]
    rows = []
    for site in dict.fromkeys([*before.index, *after.index]):
        b = before.loc[site] if site in before.index else None
        a = after.loc[site] if site in after.index else None
        open_b = bool(b is not None and b["open"])
        open_a = bool(a is not None and a["open"])
        if not (open_b or open_a):
            continue
        row: dict[str, object] = {
            "site_id": site,
            "site_name": (a if a is not None else b)["site_name"],  # type: ignore[index]
            "change": "kept" if open_b and open_a else ("retired" if open_b else "new"),
        }
        for side, rec, v in (("base", b, base), ("variant", a, variant)):
            for s in streams:
                row[f"{s}_{side}"] = float(per.get((v, site, s), 0.0))
            cap = float(rec["capacity_t_per_day"]) if rec is not None else 0.0
            t = float(rec["t_per_day"]) if rec is not None else 0.0
            row[f"t_{side}"] = t
            row[f"utilisation_{side}"] = t / cap if cap > 0 else math.nan
            row[f"headroom_{side}"] = cap - t if cap > 0 else math.nan
            row[f"haul_km_{side}"] = float(rec["haul_km_per_day"]) if rec is not None else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def _moves(moves: pd.DataFrame) -> pd.DataFrame:
    """Per variant and (old site → new site): points, streams, t/day and tonne-km change."""
    cols = ["variant", "site_base", "site_variant", "streams", "points", "t_per_day"]
    cols.append("delta_t_km_per_day")
    if moves.empty:
        return pd.DataFrame(columns=cols)
    g = moves.groupby(["variant", "site_base", "site_variant"], sort=False)
    out = pd.DataFrame(
        {
            "streams": g["stream"].agg(lambda s: " ".join(dict.fromkeys(map(str, s)))),
            "points": g["point_id"].nunique(),
            "t_per_day": g["t_per_day"].sum(),
            "delta_t_km_per_day": g["delta_t_km_per_day"].sum(),
        }
    ).reset_index()
    return out.sort_values(["variant", "t_per_day"], ascending=[True, False])[cols].reset_index(
        drop=True
    )


def _statuses(statuses: pd.DataFrame) -> pd.DataFrame:
    """``statuses`` with what each status value means (:data:`STATUS_MEANINGS`)."""
    out = statuses.reindex(columns=STATUS_COLUMNS).copy()
    out["meaning"] = [STATUS_MEANINGS.get(str(s), "") for s in out["status"]]
    return out


def _warnings(inputs: DecisionInputs, variants: tuple[str, ...]) -> tuple[PageWarning, ...]:
    """Implausible inputs and results at a limit (module docstring), one per site and kind;
    each names every variant it applies to."""
    sites, base = inputs.sites, inputs.base
    found: dict[tuple[str, str, str, str], list[str]] = {}

    def add(kind: str, site: str, variant: str, zh: str, en: str) -> None:
        found.setdefault((kind, site, zh, en), []).append(variant)

    records = sites.to_dict("records")
    base_sites = {str(r["site_id"]): r for r in records if r["variant"] == base}
    for r in records:
        site, b = str(r["site_id"]), base_sites.get(str(r["site_id"]))
        if r["variant"] not in variants or r["site_kind"] != "station" or b is None:
            continue
        if bool(b["open"]) and not bool(r["open"]):
            share = _share(b["t_per_day"], b["capacity_t_per_day"])
            if share < LOW_UTILISATION:
                add("retire_empty", site, str(r["variant"]), *_retire_text(site, r, b, share))
    for r in records:
        for kind, zh, en in _site_findings(r):
            add(kind, str(r["site_id"]), str(r["variant"]), zh, en)
    order = {k: i for i, k in enumerate(WARNING_KINDS)}
    return tuple(
        PageWarning(kind=kind, site_id=site, variants=tuple(vs), zh=zh, en=en)
        for (kind, site, zh, en), vs in sorted(
            found.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0][1])
        )
    )


def _share(t: object, cap: object) -> float:
    c = float(cap)  # type: ignore[arg-type]
    return float(t) / c if c > 0 else math.inf  # type: ignore[arg-type]


def _name(site: str, r: Mapping[Hashable, Any]) -> str:
    name = str(r.get("site_name", "") or "")
    return f"{name} {site}" if name and name != site else site


def _retire_text(
    site: str, r: Mapping[Hashable, Any], b: Mapping[Hashable, Any], share: float
) -> tuple[str, str]:
    name = _name(site, r)
    t, cap = float(b["t_per_day"]), float(b["capacity_t_per_day"])
    return (
        f"{name} 将被撤并，但基准方案中只接收 {t:,.1f} 吨/天"
        f"（能力 {cap:,.0f} 吨/天的 {share:.0%}）：撤并几乎不转移垃圾，请核对其服务范围的输入。",
        f"{name} is retired, but in the base plan it receives only {t:,.1f} t/day ({share:.0%} "
        f"of its {cap:,.0f} t/day): retiring it moves almost no waste, only its fixed costs; "
        "check the inputs of its catchment.",
    )


def _site_findings(r: Mapping[Hashable, Any]) -> list[tuple[str, str, str]]:
    """Warnings of one site in one variant: far below capacity, over capacity on the busiest
    day, a plant near its limit or with a backlog."""
    out: list[tuple[str, str, str]] = []
    name = _name(str(r["site_id"]), r)
    cap, t = float(r["capacity_t_per_day"]), float(r["t_per_day"])
    peak = float(r["peak_day_utilisation"])
    if r["site_kind"] == "station" and bool(r["open"]) and cap > 0:
        if t / cap < LOW_UTILISATION:
            out.append(
                (
                    "station_low",
                    f"{name} 规划接收 {t:,.1f} 吨/天，仅为能力 {cap:,.0f} 吨/天的 {t / cap:.0%}。",
                    f"{name} is planned to receive {t:,.1f} t/day, {t / cap:.0%} of its "
                    f"{cap:,.0f} t/day: far below capacity.",
                )
            )
        if math.isfinite(peak) and peak > 1.0:
            out.append(
                (
                    "station_peak",
                    f"{name} 仿真最忙一天接收量达到能力的 {peak:.0%}。",
                    f"{name} receives {peak:.0%} of its capacity on its busiest simulated day.",
                )
            )
    if r["site_kind"] != "station" and cap > 0:
        high = max(t / cap, peak if math.isfinite(peak) else 0.0)
        if high > PLANT_HIGH:
            out.append(
                (
                    "plant_high",
                    f"{name} 负荷率 {high:.0%}（规划 {t / cap:.0%}，仿真峰值 {peak:.0%}），"
                    "超过 95%，没有余量。",
                    f"{name} runs at {high:.0%} of the capacity left for the district (planned "
                    f"{t / cap:.0%}, busiest simulated day {peak:.0%}): above 95 %, no room.",
                )
            )
        backlog = float(r["backlog_max_t"])
        if math.isfinite(backlog) and backlog > BACKLOG_T:
            out.append(
                (
                    "plant_backlog",
                    f"{name} 仿真中积压最多达 {backlog:,.1f} 吨（规划按期望量计算，看不到积压）。",
                    f"{name} builds a backlog of up to {backlog:,.1f} t in the simulated days "
                    "(the plan, on expected rates, does not see it).",
                )
            )
    return out
