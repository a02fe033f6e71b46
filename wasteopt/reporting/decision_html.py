"""The decision page, drawn: the first section of ``report.html``, in Chinese with English beside
it (:func:`decision_html` of a :class:`~wasteopt.reporting.decision.Decision`).

Every text is escaped here; every KPI value is printed by the registry
(:mod:`wasteopt.reporting.kpis`) and marked ``data-kpi``/``data-variant`` when it is the run's
own value (one replication), so it can be compared with ``kpi.csv``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

import pandas as pd

from wasteopt.reporting.decision import LOW_UTILISATION, PLANT_HIGH, Decision
from wasteopt.reporting.kpis import COST_STAGES, kpi
from wasteopt.reporting.labels import format_cell, unit_text
from wasteopt.reporting.tables import Cell, TableView, kpi_cell, table_html

__all__ = ["VERDICT_WORDS", "decision_html"]

VERDICT_WORDS = {
    "better": "更好 better",
    "worse": "更差 worse",
    "same": "持平 about the same",
    "unclear": "无显著差异 no clear difference",
}
_CHANGE_WORDS = {"kept": "保留 kept", "retired": "撤并 retired", "new": "新建 new"}


def decision_html(decision: Decision, names: Mapping[str, str] | None = None) -> str:
    """The decision page as an HTML ``<section>``; ``names`` gives the words for ids (stream,
    site and variant ids → names)."""
    names = dict(names or {})
    parts = [
        '<section class="decision" id="decision"><h2>决策摘要 Decision summary</h2>',
        _headlines(decision, names),
        f'<p class="small">{html.escape(_replication_note(decision))}</p>',
        "<h3>结论 Verdict against the base</h3>",
        table_html(_verdict_view(decision)),
        "<h3>每吨成本（分环节） Cost per tonne, by stage</h3>",
        f'<p class="small">{html.escape(_COST_NOTE)}</p>',
        table_html(_cost_view(decision)),
    ]
    for v in decision.variants:
        parts.append(f"<h3>中转站前后对比 Stations before/after: {html.escape(_v(v, names))}</h3>")
        parts.append(_stations_html(decision, v, names))
    parts += [
        "<h3>收集点迁移 Who moves where</h3>",
        _moves_html(decision, names),
        "<h3>状态说明 What each status means</h3>",
        table_html(_status_view(decision, names)),
        "<h3>警告 Warnings</h3>",
        _warnings_html(decision, names),
        "</section>",
    ]
    return "\n".join(parts)


def _v(variant: str, names: Mapping[str, str]) -> str:
    return names.get(variant, variant)


_COST_NOTE = (
    "全口径吨成本 = 仿真中的车辆、中转站作业和处理费 + 规划中的中转站固定及人员成本和年化资本，"
    "按收集吨数分摊；五个环节之和等于合计。规划吨成本（设施模型按期望量估算）和仿真运营吨成本"
    "（不含固定成本和资本）见指标表。 "
    "Full cost per tonne = the simulated vehicle, station handling and gate-fee costs + the "
    "plan's station fixed and staff costs and annualised capital, per tonne collected; the "
    "five stages add up to the total. The planned cost per tonne (the facility model's "
    "estimate on expected rates) and the simulated running cost per tonne (without fixed "
    "costs or capital) are in the KPI table."
)


def _replication_note(d: Decision) -> str:
    """How many replications the intervals rest on, or why there are none."""
    seeds = ", ".join(str(s) for s in d.seeds)
    if d.replications < 2:
        return (
            f"本次运行每个方案只仿真了 1 次（种子 {seeds}），因此没有置信区间："
            "估计波动至少需要 2 次重复。`wasteopt compare --seeds 5` 可得到区间。 "
            f"The run simulated each variant once (seed {seeds}), so there is no confidence "
            "interval: a spread needs at least two replications; `wasteopt compare --seeds 5` "
            "runs five. Verdicts are the sign of this one run's difference."
        )
    return (
        f"区间：{d.replications} 次重复（种子 {seeds}，共同随机数）配对差值的 "
        f"{d.level:.0%} t 区间。 "
        f"Intervals: {d.level:.0%} Student t intervals of the paired differences over "
        f"{d.replications} replications (seeds {seeds}, common random numbers)."
    )


def _signed(kpi_id: str, x: float) -> str:
    """A difference of ``kpi_id`` with its sign (shares in percentage points)."""
    if not math.isfinite(x):
        return "–"
    k = kpi(kpi_id)
    if k.fmt == "pct":
        return f"{100.0 * x:+,.2f}\u00a0pp"
    text = k.format(abs(x))
    return ("+" if x > 0 else "−" if x < 0 and text.strip("0.,") else "") + text


def _percent(share: float) -> str:
    """A relative change in per cent with its sign; ``–`` when there is none."""
    return f"{100 * share:+.1f}\u00a0%" if math.isfinite(share) else "–"


def _headlines(d: Decision, names: Mapping[str, str]) -> str:
    """One sentence per variant: each verdict KPI's word and change."""
    out = []
    for v in d.variants:
        rows = d.verdicts[d.verdicts["variant"] == v].to_dict("records")
        bits = [
            f"{kpi(r['kpi']).zh} {VERDICT_WORDS[r['verdict']]} ({_signed(r['kpi'], r['delta'])}"
            + (f" {unit_text(kpi(r['kpi']).unit)})" if kpi(r["kpi"]).fmt != "pct" else ")")
            for r in rows
        ]
        desc = d.descriptions.get(v, "")
        out.append(
            f'<p class="verdict"><b>{html.escape(_v(v, names))}</b> 对比基准 vs base'
            + (f"（{html.escape(desc)}）" if desc else "")
            + ": "
            + html.escape("; ".join(bits))
            + "</p>"
        )
    return "".join(out) or '<p class="verdict">只有基准方案 The base only: nothing to compare.</p>'


def _verdict_view(d: Decision) -> TableView:
    """One row per variant and verdict KPI: base, variant, change, interval, verdict."""
    own = d.replications == 1  # the values are the run's own: mark them for the KPI test
    rows = []
    for r in d.verdicts.to_dict("records"):
        k, v = kpi(str(r["kpi"])), str(r["variant"])
        if own:
            base, value = kpi_cell(k.id, r["base"], d.base), kpi_cell(k.id, r["value"], v)
        else:
            base = Cell(text=k.format(r["base"]), numeric=True)
            value = Cell(text=k.format(r["value"]), numeric=True)
        lo, hi, pct = float(r["ci_low"]), float(r["ci_high"]), float(r["delta_pct"])
        ci = (
            f"不可得 n/a (n = {r['n']})"
            if not math.isfinite(lo)
            else f"[{_signed(k.id, lo)}, {_signed(k.id, hi)}]"
        )
        rows.append(
            (
                Cell(text=v),
                Cell(text=f"{k.label} ({unit_text(k.unit)})" if k.unit else k.label, css="lbl"),
                base,
                value,
                Cell(text=_signed(k.id, float(r["delta"])), numeric=True),
                Cell(text=_percent(pct) if k.fmt != "pct" else "–", numeric=True),
                Cell(text=ci, numeric=True, css="txt"),
                Cell(text=VERDICT_WORDS[str(r["verdict"])], css=f"txt {_css(str(r['verdict']))}"),
            )
        )
    headers = (
        "方案 Variant",
        "指标 KPI",
        "基准 Base",
        "方案 Variant",
        "差值 Change",
        "变化率 Change %",
        f"{d.level:.0%} 置信区间 CI",
        "结论 Verdict",
    )
    return TableView(headers=headers, rows=tuple(rows))


def _css(verdict: str) -> str:
    return verdict if verdict in ("better", "worse") else ""


def _cost_view(d: Decision) -> TableView:
    """Stages down, variants across; the total last; a variant's change against the base."""
    costs: dict[str, dict[str, float]] = {
        str(r["variant"]): {str(k): float(x) for k, x in r.items() if k != "variant"}
        for r in d.costs.to_dict("records")
    }
    variants = [d.base, *d.variants]
    own = d.replications == 1
    rows = []
    for stage in (*COST_STAGES, "cost_cny_per_t"):
        k = kpi(stage)
        cells = [Cell(text=k.label, css="lbl")]
        for v in variants:
            value = costs.get(v, {}).get(stage, math.nan)
            cells.append(
                kpi_cell(stage, value, v) if own else Cell(text=k.format(value), numeric=True)
            )
        for v in d.variants:
            delta = costs.get(v, {}).get(stage, math.nan) - costs[d.base][stage]
            cells.append(Cell(text=_signed(stage, delta), numeric=True))
        rows.append(tuple(cells))
    gaps = max((abs(c["gap"]) for c in costs.values()), default=0.0)
    if math.isfinite(gaps) and gaps > 0.05:
        gap_cells = [Cell(text="未对齐差额 unreconciled")]
        gap_cells += [
            Cell(text=format_cell(costs.get(v, {}).get("gap"), "num2"), numeric=True)
            for v in variants
        ]
        rows.append(tuple(gap_cells + [Cell(text="")] * len(d.variants)))
    headers = ("环节 Stage (元/吨 CNY/t)", *variants, *(f"差值 Δ {v}" for v in d.variants))
    return TableView(headers=headers, rows=tuple(rows))


def _arrow(a: float, b: float, fmt: str) -> str:
    # A no-break space keeps "a →" together: a narrow column wraps after the arrow only.
    return f"{format_cell(a, fmt)}\u00a0→ {format_cell(b, fmt)}"  # type: ignore[arg-type]


def _stations_html(d: Decision, variant: str, names: Mapping[str, str]) -> str:
    """Stations open in the base or the variant: t/day per stream, utilisation, headroom and
    haul km, each "base → variant"."""
    table = d.stations.get(variant, pd.DataFrame())
    if table.empty:
        return "<p>没有可比较的设施规划 No facility plan to compare (see the statuses).</p>"
    streams = [
        s
        for s in d.streams
        if (table[f"{s}_base"].abs() + table[f"{s}_variant"].abs()).sum() > 1e-9
    ]
    rows = []
    for r in table.to_dict("records"):
        cells = [
            Cell(text=f"{r['site_name']} {r['site_id']}", css="lbl"),
            Cell(text=_CHANGE_WORDS[str(r["change"])]),
        ]
        cells += [
            Cell(text=_arrow(r[f"{s}_base"], r[f"{s}_variant"], "num1"), numeric=True, css="txt")
            for s in streams
        ]
        for key, fmt in (("t", "num1"), ("utilisation", "pct"), ("headroom", "num1")):
            cells.append(
                Cell(
                    text=_arrow(r[f"{key}_base"], r[f"{key}_variant"], fmt), numeric=True, css="txt"
                )
            )
        util = r["utilisation_variant"] if r["change"] != "retired" else r["utilisation_base"]
        low = math.isfinite(util) and util < LOW_UTILISATION
        cells[-2] = Cell(text=cells[-2].text, numeric=True, css="txt worse" if low else "txt")
        cells.append(
            Cell(
                text=_arrow(r["haul_km_base"], r["haul_km_variant"], "num1"),
                numeric=True,
                css="txt",
            )
        )
        rows.append(tuple(cells))
    headers = ["中转站 Station", "变化 Change", *(names.get(s, s) for s in streams)]
    headers += ["合计 Total", "负荷率 Utilisation", "余量 Headroom", "转运车公里 Haul km/day"]
    note = (
        f"规划值（期望产生量），吨/天；基准 → {variant}。负荷率低于 {LOW_UTILISATION:.0%} 标红。 "
        f"Planned on expected generation, t/day; base → {variant}. Utilisation below "
        f"{LOW_UTILISATION:.0%} in red. Haul km: planned station → plant trips × 2 × road km."
    )
    return f'<p class="small">{html.escape(note)}</p>' + table_html(
        TableView(headers=tuple(headers), rows=tuple(rows))
    )


def _moves_html(d: Decision, names: Mapping[str, str]) -> str:
    """Old site → new site per variant: points, streams, tonnes and tonne-km change."""
    if d.moves.empty:
        return "<p>没有收集点改变卸点 No point changes its unload site.</p>"
    rows = tuple(
        (
            Cell(text=_v(str(r["variant"]), names)),
            Cell(text=names.get(str(r["site_base"]), str(r["site_base"])), css="lbl"),
            Cell(text=names.get(str(r["site_variant"]), str(r["site_variant"])), css="lbl"),
            Cell(text=" ".join(names.get(s, s) for s in str(r["streams"]).split()), css="txt"),
            Cell(text=format_cell(r["points"], "int"), numeric=True),
            Cell(text=format_cell(r["t_per_day"], "num2"), numeric=True),
            Cell(text=format_cell(r["delta_t_km_per_day"], "num1"), numeric=True),
        )
        for r in d.moves.to_dict("records")
    )
    headers = (
        "方案 Variant",
        "原卸点 From",
        "新卸点 To",
        "垃圾流 Streams",
        "收集点 Points",
        "量 Tonnes (吨/天 t/day)",
        "吨公里差 Δ t·km/day",
    )
    return table_html(TableView(headers=headers, rows=rows))


def _status_view(d: Decision, names: Mapping[str, str]) -> TableView:
    rows = tuple(
        (
            Cell(text=_v(str(r["variant"]), names)),
            Cell(text=str(r["stage"]), css="txt"),
            Cell(text=format_cell(r["status"], "text"), css="txt"),
            Cell(text=str(r["meaning"]), css="def"),
            Cell(text=str(r["detail"]), css="def"),
        )
        for r in d.statuses.to_dict("records")
    )
    headers = ("方案 Variant", "环节 Stage", "状态 Status", "含义 Meaning", "详情 Detail")
    return TableView(headers=headers, rows=rows)


def _warnings_html(d: Decision, names: Mapping[str, str]) -> str:
    if not d.warnings:
        return (
            "<p>无 None: no station to be retired is nearly empty, no station is far below "
            f"capacity, no plant above {PLANT_HIGH:.0%}, no plant backlog.</p>"
        )
    items = "".join(
        f"<li><b>{html.escape(', '.join(_v(v, names) for v in w.variants))}</b>: "
        f"{html.escape(w.zh)}<br>{html.escape(w.en)}</li>"
        for w in d.warnings
    )
    return f'<ul class="warnings">{items}</ul>'
