"""The report's actions: what to change next month, from every action's view.

The views come from ``cxlens.insights.actions`` for the report's month (and filters);
this module shapes them for the page (a summary near the top, a section per action
after the predictions) and writes one workbook sheet per action. Cells are formatted
by ``format_cell``, so the page, the workbook's text and the dashboard agree.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.insights.actions import ActionView, Scope, action_views, format_cell, numeric_kind

if TYPE_CHECKING:
    from cxlens.insights import Insights

log = logging.getLogger(__name__)

SUMMARY_LINES = 3  # sentences per action in the summary at the top of the report
TABLE_ROWS = 25  # rows per table on the page; the workbook holds every row
EXCEL_SHEET_NAME = 31  # Excel's limit on a sheet name's length
VALUE_FORMATS = {
    "percent": "0.0%",
    "points": "+0.0;-0.0;0.0",
    "minutes": "#,##0.0",
    "hours": "#,##0.0",
    "number": "#,##0.0",
    "count": "#,##0",
    "money": "#,##0.00",
    "date": "yyyy-mm-dd",
}


def report_scope(insights: Insights) -> Scope:
    """The report month as an action's scope, with the report's filters."""
    year, month = (int(part) for part in insights.month.split("-"))
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Scope(window=(first, last), filters=dict(insights.filters))


def read_actions(warehouse: Any, settings: Any, insights: Insights) -> list[ActionView]:
    """Every action's view for the report's month, in the report's language."""
    views = action_views(warehouse, settings, insights.lang, report_scope(insights))
    log.info("report actions: %d of %d computed", sum(not v.missing for v in views), len(views))
    return views


def summary_items(views: list[ActionView]) -> list[dict[str, Any]]:
    """The top of the report: each action's first sentences, linking to its section."""
    return [
        {
            "key": view.key,
            "title": view.title,
            "covering": view.covering,
            "lines": view.lines[:SUMMARY_LINES],
        }
        for view in views
        if view.lines
    ]


def sections(views: list[ActionView], div: Any) -> list[dict[str, Any]]:
    """Each action as the page shows it; ``div`` turns a figure into its HTML."""
    return [
        {
            "key": view.key,
            "title": view.title,
            "covering": view.covering,
            "lines": view.lines,
            "method": view.method,
            "missing": view.missing,
            "figures": [div(figure) for figure in view.figures],
            "tables": [html_table(table, view.lang) for table in view.tables],
        }
        for view in views
    ]


def html_table(table: Any, lang: str, rows: int = TABLE_ROWS) -> dict[str, Any]:
    """A table's first ``rows`` rows as text cells, numbers marked to align right."""
    shown = table.frame.drop(columns=list(table.links.values()), errors="ignore")
    kinds = [table.formats.get(column, "text") for column in shown.columns]
    body = [
        [
            {"text": format_cell(value, kind, lang), "num": numeric_kind(kind)}
            for value, kind in zip(row, kinds, strict=True)
        ]
        for row in shown.head(rows).itertuples(index=False, name=None)
    ]
    more = ""
    if len(shown) > rows:
        more = (
            f"显示前 {rows} 行，共 {len(shown):,} 行（完整列表见工作簿）"
            if lang == "zh"
            else f"The first {rows} of {len(shown):,} rows; the workbook holds them all."
        )
    return {
        "key": table.key,
        "title": table.title,
        "headers": [str(c) for c in shown.columns],
        "rows": body,
        "note": table.note,
        "more": more,
    }


def write_sheets(workbook: Any, views: list[ActionView], formats: Any) -> None:
    """A summary sheet (what to change next month: each action's first sentences), then
    one sheet per action: its sentences, then every table with typed cells."""
    used = {name.lower() for name in workbook.sheetnames}
    if views:
        _summary_sheet(workbook, views, formats, used)
    for view in views:
        sheet = workbook.add_worksheet(_sheet_name(view.title, used))
        sheet.write_string(0, 0, view.title, formats.title)
        row = 1
        if view.covering:
            sheet.write_string(row, 0, view.covering, formats.text)
            row += 1
        for line in [view.missing] if view.missing else view.lines:
            sheet.write_string(row, 0, line, formats.text)
            row += 1
        for table in view.tables:
            row = _table(sheet, row + 1, table, formats, view.lang)
        if view.method:
            sheet.write_string(row + 1, 0, view.method, formats.text)
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 20, 14)


def _summary_sheet(workbook: Any, views: list[ActionView], formats: Any, used: set[str]) -> None:
    """The report's "What to change next month" as a sheet of its own, first of the actions."""
    from cxlens.insights.labels import label

    lang = views[0].lang
    sheet = workbook.add_worksheet(_sheet_name(label("section_action_summary", lang), used))
    sheet.write_string(0, 0, label("section_action_summary", lang), formats.title)
    row = 2
    for item in summary_items(views):
        sheet.write_string(row, 0, item["title"], formats.header)
        if item["covering"]:
            sheet.write_string(row, 1, item["covering"], formats.text)
        for line in item["lines"]:
            row += 1
            sheet.write_string(row, 1, line, formats.text)
        row += 2
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 140)


def _table(sheet: Any, row: int, table: Any, formats: Any, lang: str) -> int:
    """Write ``table`` from ``row`` down (title, header, rows); return the next free row."""
    # text goes in with write_string, which Excel never reads as a formula: no apostrophes
    frame = table.frame.drop(columns=list(table.links.values()), errors="ignore")
    sheet.write_string(row, 0, table.title, formats.header)
    for column, name in enumerate(frame.columns):
        sheet.write_string(row + 1, column, str(name), formats.header)
    for column, name in enumerate(frame.columns):
        kind = table.formats.get(name, "text")
        cells = frame[name].astype(object).where(frame[name].notna(), None).tolist()
        for offset, value in enumerate(cells):
            target = row + 2 + offset
            if value is None:
                continue
            if numeric_kind(kind) and isinstance(value, int | float):
                sheet.write_number(target, column, value, formats.number(VALUE_FORMATS[kind]))
            elif kind == "date" and isinstance(value, date | pd.Timestamp):
                sheet.write_datetime(target, column, pd.Timestamp(value).to_pydatetime(),
                                     formats.number(VALUE_FORMATS["date"]))  # fmt: skip
            else:
                sheet.write_string(target, column, format_cell(value, kind, lang), formats.text)
    return row + 2 + len(frame) + 1


def _sheet_name(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique in the book."""
    name = "".join(" " if char in "[]:*?/\\" else char for char in title)[:EXCEL_SHEET_NAME]
    candidate, number = name, 2
    while candidate.lower() in used:
        suffix = f" {number}"
        candidate, number = name[: EXCEL_SHEET_NAME - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate
