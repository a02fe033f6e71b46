"""What ``report.html`` shows of the run's tables: the decision page first (:func:`report_lead`),
then every table with labelled headers and formatted cells (:func:`report_tables`); labels,
units and formats come from the KPI registry (:mod:`wasteopt.reporting.kpis`), so no file id
reaches a reader and a KPI prints the same wherever it appears."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from wasteopt.pipeline.decision import decision_inputs, reader_names
from wasteopt.pipeline.explain import Explanation
from wasteopt.pipeline.variant import VariantRun
from wasteopt.reporting.decision import build_decision
from wasteopt.reporting.decision_html import decision_html
from wasteopt.reporting.tables import TableView, kpi_view, reader_view
from wasteopt.scenario.model import Scenario

__all__ = ["POLICY_TITLE", "report_lead", "report_tables"]

POLICY_TITLE = (
    "标准政策成本 Standard policy cost: every open station meets the standard, streams separate"
)
"""The title of the standard policy's table (its sentences are shown under it)."""


def report_lead(runs: Sequence[VariantRun], kpi: pd.DataFrame, why: Explanation, seed: int) -> str:
    """The decision page's HTML for ``runs`` (the base first) and their ``kpi.csv`` rows."""
    decision = build_decision(decision_inputs(runs, kpi, why, seed=seed))
    return decision_html(decision, reader_names(runs[0].scenario))


def report_tables(
    scenario: Scenario,
    *,
    kpi: pd.DataFrame,
    service: pd.DataFrame,
    why: Explanation,
    routes_kpi: pd.DataFrame,
) -> dict[str, TableView]:
    """The report's tables by title, in order (the KPI table lists each KPI's unit and
    definition)."""
    names = reader_names(scenario)
    day = str(kpi["routed_date"].iloc[0]) if "routed_date" in kpi and len(kpi) else ""
    return {
        "指标对比 Scenario comparison": kpi_view(kpi),
        "服务水平 Service level: share of the waste due that the simulation collected": (
            reader_view(service, names=names)
        ),
        "成本瀑布 Cost waterfall: change against base (CNY/yr, facility plan)": reader_view(
            why.deltas, names=names
        ),
        "负荷对比 Station and plant utilisation, base → variant (planned)": reader_view(
            why.utilisation, names=names
        ),
        "服务范围调整 Communities whose catchment moves": reader_view(why.moves, names=names),
        "敏感性 Sensitivity (tornado table)": reader_view(why.sensitivity, drop=("input",)),
        POLICY_TITLE: reader_view(why.policy, names=names),
        f"排线日 Routed day per stream ({day})": reader_view(
            routes_kpi,
            names=names,
            drop=("day", "engine", "runtime_s"),  # in routes_kpi.csv
        ),
    }
