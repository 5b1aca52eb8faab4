"""What a reader sees: KPI cards, changes, trends, breakdowns, labels in zh/en.

``build_insights`` computes the KPIs once (through ``cxlens.metrics``) and
shapes them; the report, the workbook and the terminal summary render the
result. ``kpi_summary`` is the plain-text summary printed by ``cxlens run``.
"""

from __future__ import annotations

from cxlens.insights.assemble import (
    Breakdown,
    Insights,
    agent_label,
    agent_names,
    build_insights,
    newest_record_date,
)
from cxlens.insights.cards import MATERIAL_CHANGE, Change, KpiCard, Reading, compare
from cxlens.insights.catalogue import KpiView, definition, view
from cxlens.insights.cleaning import flag_name, rule_description, table_name
from cxlens.insights.formatting import format_change, format_value
from cxlens.insights.labels import LABELS, dimension_value, kpi_name, label
from cxlens.insights.periods import latest_complete_month
from cxlens.insights.summary import kpi_summary, summary_text

__all__ = [
    "LABELS",
    "MATERIAL_CHANGE",
    "Breakdown",
    "Change",
    "Insights",
    "KpiCard",
    "KpiView",
    "Reading",
    "agent_label",
    "agent_names",
    "build_insights",
    "compare",
    "definition",
    "dimension_value",
    "flag_name",
    "format_change",
    "format_value",
    "kpi_name",
    "kpi_summary",
    "label",
    "latest_complete_month",
    "newest_record_date",
    "rule_description",
    "summary_text",
    "table_name",
    "view",
]
