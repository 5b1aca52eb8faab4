"""What a reader sees of each action: one shape for the CLI, the report and the dashboard.

An action (the coaching plan, the process bottlenecks, the staffing table, the loyalty
tiers, what customers say, the alerts) is computed in ``cxlens.actions`` or
``cxlens.models``; its ``*_view`` function in this package turns the result into an
``ActionView``: sentences saying what to change, tables, charts and how it was
computed, all in the reader's language. The report renders every view as a section and
a workbook sheet, the dashboard as a page, and the CLI prints the sentences and tables,
so the three show the same numbers from one computation.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from cxlens.errors import CxlensError

log = logging.getLogger(__name__)

# key → "module:function" of the view; the order is the order of report sections and pages
ACTIONS: dict[str, str] = {
    "coaching": "cxlens.insights.coaching:coaching_view",
    "bottlenecks": "cxlens.insights.bottlenecks:bottlenecks_view",
    "staffing": "cxlens.insights.staffing:staffing_view",
    "tiers": "cxlens.insights.tiers:tiers_view",
    "topics": "cxlens.insights.topics:topics_view",
    "alerts": "cxlens.insights.alerts:alerts_view",
}

# column kinds an ActionTable may declare, so each output formats a value one way
FORMATS = ("text", "count", "number", "percent", "points", "minutes", "hours", "money", "date")


@dataclass
class Scope:
    """Which records an action looks at: the days (local, both included; None for all
    the data or an open end) and the dimension filters as ``compute_kpis`` takes them
    (dimension → values kept). The dashboard's filter bar and the report's month both
    become a Scope; an action that needs a longer history than the window (staffing
    learns the week's pattern from several weeks) says so in its view's ``method``."""

    window: tuple[date | None, date | None] | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def first(self) -> date | None:
        return None if self.window is None else self.window[0]

    @property
    def last(self) -> date | None:
        return None if self.window is None else self.window[1]


@dataclass
class ActionTable:
    """One table of an action, ready to show and to export.

    ``frame`` holds raw values (numbers stay numbers) under column headers in the
    reader's language; ``formats`` gives a column's kind (one of ``FORMATS``; a column
    not named is text) so the HTML, the workbook and the dashboard format it alike.
    ``key`` names the export file (``coaching_flags.csv``) and the workbook's table.
    ``links`` optionally maps a column to a second column of ``frame`` holding, per row,
    the dashboard query (``metric=fcr&agent=a1``) of the records behind the value.
    """

    key: str
    title: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    note: str = ""
    links: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionView:
    """An action as a reader sees it, in one language.

    ``lines``: what to change, one sentence each, most important first (the CLI prints
    them, the report and the page lead with them). ``tables`` and ``figures`` (Plotly
    figures) carry the evidence. ``method``: how it was computed and with which
    settings, in a sentence or two. ``missing``: why the data do not support the
    action (then lines, tables and figures are empty). ``fired``: for alerts, whether
    any rule fired (the CLI's exit status). ``covering``: which records the action looked
    at, in one short phrase ("tickets created 2025-04-01 to 2025-06-30"), since an action
    may look further back than the page's period.
    """

    key: str
    title: str
    lang: str
    lines: list[str] = field(default_factory=list)
    tables: list[ActionTable] = field(default_factory=list)
    figures: list[Any] = field(default_factory=list)
    method: str = ""
    missing: str | None = None
    fired: bool = False
    covering: str = ""

    def to_json(self) -> dict[str, Any]:
        """The view as plain JSON values (tables as records, figures left out)."""
        from cxlens.models.plain import finite

        def records(table: ActionTable) -> list[dict[str, Any]]:
            counts = {c for c, kind in table.formats.items() if kind == "count"}
            return [
                {str(k): _plain(v, finite, k in counts) for k, v in row.items()}
                for row in table.frame.to_dict(orient="records")
            ]

        return {
            "action": self.key,
            "title": self.title,
            "lines": self.lines,
            "covering": self.covering,
            "method": self.method,
            "missing": self.missing,
            "fired": self.fired,
            "tables": {t.key: records(t) for t in self.tables},
        }


def _plain(value: Any, finite: Any, count: bool = False) -> Any:
    """A cell as JSON: dates as ISO text, counts as integers, numbers finite or null."""
    if isinstance(value, pd.Timestamp | date):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, float | int) and not isinstance(value, bool):
        number = finite(value)
        if count and number is not None and float(number).is_integer():
            return int(number)
        return number
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value if isinstance(value, str | bool | int | float | list | dict) else str(value)


def action_view(key: str, warehouse: Any, settings: Any, lang: str, scope: Scope) -> ActionView:
    """The view of one action; a reason in ``missing`` when the data do not support it.

    A cxlens error (no ticket events, too few comments...) becomes the view's
    ``missing`` sentence in the error's own words; any other fault is logged with its
    traceback and the view says the action failed, so one action's fault never costs
    the reader the report or the page.
    """
    module, name = ACTIONS[key].split(":")
    view = getattr(importlib.import_module(module), name)
    try:
        return view(warehouse, settings, lang, scope)
    except CxlensError as error:
        log.warning("%s: %s", key, error)
        return ActionView(key=key, title=action_title(key, lang), lang=lang, missing=str(error))
    except Exception:
        log.exception("the %s action failed", key)
        failed = "计算失败（详见日志）" if lang == "zh" else "could not be computed (see the log)"
        return ActionView(key=key, title=action_title(key, lang), lang=lang, missing=failed)


def action_views(
    warehouse: Any, settings: Any, lang: str, scope: Scope, keys: list[str] | None = None
) -> list[ActionView]:
    """Every action's view (or those of ``keys``), in the order of ``ACTIONS``."""
    return [action_view(key, warehouse, settings, lang, scope) for key in keys or ACTIONS]


TITLES = {
    "coaching": {"en": "Coaching plan", "zh": "坐席辅导计划"},
    "bottlenecks": {"en": "Process bottlenecks", "zh": "流程瓶颈"},
    "staffing": {"en": "Staffing for the SLA", "zh": "排班与服务水平"},
    "tiers": {"en": "Loyalty tiers", "zh": "客户忠诚度分层"},
    "topics": {"en": "What customers say", "zh": "客户之声"},
    "alerts": {"en": "Alerts", "zh": "预警"},
}


def action_title(key: str, lang: str) -> str:
    """The action's title in ``lang`` (zh or en)."""
    return TITLES[key]["zh" if lang == "zh" else "en"]


def format_cell(value: Any, kind: str, lang: str) -> str:
    """One table cell as every output shows it: ``12.3%``, ``+4.0``, ``35.2``, ``1,204``.

    ``kind`` is the column's entry in ``ActionTable.formats`` (text when absent). A
    missing value shows as "—", as the KPI cards show it.
    """
    from cxlens.insights.formatting import DASH, is_missing

    if value is None or (not isinstance(value, str | list | dict) and is_missing(value)):
        return DASH
    try:
        if pd.isna(value):
            return DASH
    except (TypeError, ValueError):
        pass
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "points":
        return f"{value:+.1f}"
    if kind in ("minutes", "hours", "number"):
        return f"{value:,.1f}"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "date":
        return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]
    if isinstance(value, list | tuple):
        return "、".join(map(str, value)) if lang == "zh" else ", ".join(map(str, value))
    return str(value)


def numeric_kind(kind: str) -> bool:
    """Whether a column of this kind aligns right (numbers) rather than left (text)."""
    return kind in ("percent", "points", "minutes", "hours", "number", "count", "money")
