"""The monthly report as an Excel workbook with native charts.

Sheets: Summary (the KPI cards), Trends (monthly table and line charts),
Breakdowns (channel, category, agent, team), Tickets (every ticket of the month),
Comments, Data quality, Cleaning log, Call list (the whole retention call list of the
predictions section, or why there is none) and Definitions; names in the report's
language. Numbers stay numbers with formats (``0.0%`` for rates, minutes with one
decimal), so a reader can sort, filter and chart them.

Text from customers and agents is written with ``write_string`` as a string
cell, exactly as given: the workbook is opened with ``strings_to_formulas`` and
``strings_to_urls`` off, so ``=1+1`` stays the text ``=1+1`` (a string cell is
never evaluated) and a web address stays plain text, not a link. No apostrophe
is added: in a string cell it would only corrupt the text. The CSV exports,
which a spreadsheet does parse, neutralise such text instead (``exports.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.insights import LABELS, definition, dimension_value, kpi_name, label
from cxlens.insights.assemble import agent_label
from cxlens.insights.catalogue import BREAKDOWN, COUNT, MINUTES, MONEY, POINTS, RATE, SCORE
from cxlens.insights.cleaning import flag_name, rule_description, table_name
from cxlens.insights.formatting import display_width
from cxlens.insights.labels import code_name, yes_no
from cxlens.report.actions import write_sheets

if TYPE_CHECKING:
    from cxlens.insights import Insights, KpiCard
    from cxlens.insights.actions import ActionView
    from cxlens.report.detail import Details
    from cxlens.report.predictions import Predictions

VALUE_FORMATS = {
    RATE: "0.0%",
    POINTS: "0.0",
    MINUTES: "#,##0.0",
    COUNT: "#,##0",
    MONEY: "#,##0.00",
}
# A change in the unit the HTML gives it: rate changes in percentage points
# (written as points, value × 100), NPS in points, durations in minutes.
DELTA_SUFFIXES = {RATE: "percentage_points", POINTS: "points", MINUTES: "minutes"}
DELTA_NUMBERS = {RATE: "0.0", POINTS: "0.0", MINUTES: "#,##0.0", COUNT: "#,##0"}
VERDICT_COLOURS = {"better": "#15803d", "worse": "#b91c1c"}
DATE_FORMAT = "yyyy-mm-dd hh:mm"
CHART_WIDTH, CHART_HEIGHT, CHART_ROWS = 480, 240, 13


class Formats:
    """The workbook's cell formats, created once."""

    def __init__(self, workbook: Any, lang: str) -> None:
        self.workbook = workbook
        self.lang = lang
        self.header = workbook.add_format({"bold": True, "bg_color": "#e2e8f0", "text_wrap": True})
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.text = workbook.add_format({"text_wrap": False})
        self.date = workbook.add_format({"num_format": DATE_FORMAT})
        self.integer = workbook.add_format({"num_format": "#,##0"})
        self._cache: dict[tuple[str, str | None], Any] = {}

    def value(self, unit: str) -> Any:
        return self._get(VALUE_FORMATS.get(unit, "#,##0.00"))

    def delta(self, unit: str, verdict: str | None = None) -> Any:
        return self._get(delta_format(unit, self.lang), verdict)

    def verdict(self, verdict: str) -> Any:
        return self._get("@", verdict)

    def number(self, num_format: str) -> Any:
        return self._get(num_format)

    def _get(self, num_format: str, verdict: str | None = None) -> Any:
        key = (num_format, verdict)
        if key not in self._cache:
            spec: dict[str, Any] = {"num_format": num_format}
            spec["font_color"] = VERDICT_COLOURS.get(verdict or "", "#475569" if verdict else None)
            if spec["font_color"] is None:
                del spec["font_color"]
            self._cache[key] = self.workbook.add_format(spec)
        return self._cache[key]


def delta_format(unit: str, lang: str) -> str:
    """The number format of a change: sign always shown, unit words as in the HTML.

    A zero change reads ``+0.0 pp`` like the HTML card, not ``0.0 pp``.
    """
    number = DELTA_NUMBERS.get(unit, "#,##0.00")
    suffix = f'" {label(DELTA_SUFFIXES[unit], lang)}"' if unit in DELTA_SUFFIXES else ""
    return f"+{number}{suffix};-{number}{suffix};+{number}{suffix}"


def delta_cell(delta: float | None, unit: str) -> float | None:
    """The change as the workbook stores it: rates in percentage points (0.05 → 5.0)."""
    if delta is None or pd.isna(delta):
        return None
    return float(delta) * 100 if unit == RATE else float(delta)


def write_workbook(
    insights: Insights,
    details: Details,
    path: Path,
    predictions: Predictions | None = None,
    actions: list[ActionView] | None = None,
) -> Path:
    """Write the report workbook to ``path``; the Call list sheet only with ``predictions``,
    a sheet per action (coaching, bottlenecks...) only with ``actions``."""
    import xlsxwriter

    options = {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": True,
        "default_date_format": DATE_FORMAT,
    }
    with xlsxwriter.Workbook(str(path), options) as workbook:
        lang = insights.lang
        formats = Formats(workbook, lang)
        _summary_sheet(workbook.add_worksheet(label("sheet_summary", lang)), insights, formats)
        _trends_sheet(workbook, insights, formats)
        _breakdowns_sheet(
            workbook.add_worksheet(label("sheet_breakdowns", lang)), insights, formats
        )
        tickets = _readable(details.tickets, insights)
        _frame_sheet(workbook, "sheet_tickets", tickets, formats, lang)
        comments = _readable(details.all_comments, insights)
        _frame_sheet(workbook, "sheet_comments", comments, formats, lang)
        _frame_sheet(workbook, "sheet_quality", _quality_frame(details, lang), formats, lang)
        if details.sla_breaches is not None:  # the drill-down of the SLA KPIs
            breaches = _readable(details.sla_breaches, insights)
            _frame_sheet(workbook, "sheet_sla_breaches", breaches, formats, lang)
        _frame_sheet(workbook, "sheet_cleaning", _cleaning_frame(details, lang), formats, lang)
        if predictions is not None:
            _call_list_sheet(workbook, predictions, formats, lang)
        if actions:
            write_sheets(workbook, actions, formats)
        _definitions_sheet(
            workbook.add_worksheet(label("sheet_definitions", lang)), insights, formats
        )
    return path


def _summary_sheet(sheet: Any, insights: Insights, formats: Formats) -> None:
    """One row per KPI card: value, n, interval, and both comparisons."""
    lang = insights.lang
    sheet.write_string(0, 0, f"{label('report_title', lang)} · {insights.month}", formats.title)
    sheet.write_string(1, 0, f"{label('time_zone', lang)}: {insights.timezone}")
    if insights.partial:
        sheet.write_string(2, 0, label("partial_month_note", lang))
    headers = [
        label("kpi", lang),
        label("value", lang),
        label("n", lang),
        label("ci_low", lang),
        label("ci_high", lang),
        f"{label('previous_value', lang)} ({insights.previous_month})",
        label("change_previous", lang),
        label("verdict", lang),
        f"{label('year_ago_value', lang)} ({insights.year_ago_month})",
        label("change_year", lang),
        label("verdict", lang),
    ]
    top = 4
    _header(sheet, top, headers, formats)
    for offset, card in enumerate(insights.cards, start=1):
        _summary_row(sheet, top + offset, card, formats)
    _finish(
        sheet,
        top,
        len(insights.cards),
        headers,
        widths=[30, 12, 10, 11, 11, 16, 16, 14, 16, 16, 14],
    )
    _all_data_rows(sheet, top + len(insights.cards) + 2, insights, formats)


def _all_data_rows(sheet: Any, top: int, insights: Insights, formats: Formats) -> None:
    """Below the cards: the KPIs computed over all the data, with value, n and interval."""
    if not insights.all_data:
        return
    lang = insights.lang
    sheet.write_string(top, 0, label("section_all_data", lang), formats.header)
    sheet.write_string(top, 1, label("all_data_note", lang))
    for offset, (metric, reading) in enumerate(insights.all_data.items(), start=1):
        unit = insights.views[metric].unit if metric in insights.views else SCORE
        sheet.write_string(top + offset, 0, kpi_name(metric, lang))
        _number(sheet, top + offset, 1, reading.value, formats.value(unit))
        _number(sheet, top + offset, 2, reading.n, formats.integer)
        _number(sheet, top + offset, 3, reading.ci_low, formats.value(unit))
        _number(sheet, top + offset, 4, reading.ci_high, formats.value(unit))


def _summary_row(sheet: Any, row: int, card: KpiCard, formats: Formats) -> None:
    unit = card.view.unit
    sheet.write_string(row, 0, card.name)
    _number(sheet, row, 1, card.current.value, formats.value(unit))
    _number(sheet, row, 2, card.current.n, formats.integer)
    _number(sheet, row, 3, card.current.ci_low, formats.value(unit))
    _number(sheet, row, 4, card.current.ci_high, formats.value(unit))
    for column, change in ((5, card.previous), (8, card.year_ago)):
        _number(sheet, row, column, change.base.value, formats.value(unit))
        delta = delta_cell(change.delta, unit)
        _number(sheet, row, column + 1, delta, formats.delta(unit, change.verdict))
        sheet.write_string(
            row, column + 2, card.verdict_text(change), formats.verdict(change.verdict)
        )


def _number(sheet: Any, row: int, column: int, value: Any, cell_format: Any) -> None:
    """A number, or an empty cell for a null KPI (never a 0 that was not measured)."""
    if value is None or pd.isna(value):
        sheet.write_blank(row, column, None, cell_format)
    else:
        sheet.write_number(row, column, float(value), cell_format)


def _trends_sheet(workbook: Any, insights: Insights, formats: Formats) -> None:
    """Month rows with each KPI's value and n, and one native line chart per KPI."""
    lang = insights.lang
    sheet = workbook.add_worksheet(label("sheet_trends", lang))
    trends = insights.trends.astype({"value": float, "n": float})
    wide = trends.pivot(index="period", columns="metric", values=["value", "n"])
    wide = wide.reindex(insights.trend_months)
    headers = [label("period", lang)]
    for card in insights.cards:
        headers += [card.name, f"{card.name} · {label('n', lang)}"]
    _header(sheet, 0, headers, formats)
    sheet.write_column(1, 0, insights.trend_months)
    for index, card in enumerate(insights.cards):
        column = 1 + 2 * index
        _numbers(sheet, 1, column, wide[("value", card.metric)], formats.value(card.view.unit))
        _numbers(sheet, 1, column + 1, wide[("n", card.metric)], formats.integer)
    last_row = len(insights.trend_months)
    _finish(sheet, 0, last_row, headers, widths=[10] + [16] * (len(headers) - 1))
    chart_column = len(headers) + 1
    for index, card in enumerate(insights.cards):
        chart = _line_chart(workbook, sheet.name, card, 1 + 2 * index, last_row)
        chart.set_x_axis(month_axis(last_row))
        anchor_row = (index // 2) * CHART_ROWS
        anchor_column = chart_column + (index % 2) * 8
        sheet.insert_chart(anchor_row, anchor_column, chart)


def _line_chart(workbook: Any, sheet_name: str, card: KpiCard, column: int, last_row: int) -> Any:
    chart = workbook.add_chart({"type": "line"})
    chart.add_series(
        {
            "name": card.name,
            "categories": [sheet_name, 1, 0, last_row, 0],
            "values": [sheet_name, 1, column, last_row, column],
            "marker": {"type": "circle", "size": 5},
            "line": {"color": "#2563eb", "width": 2},
        }
    )
    chart.set_title({"name": card.name, "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"num_format": VALUE_FORMATS.get(card.view.unit, "0.00")})
    chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
    chart.show_blanks_as("gap")
    return chart


def month_axis(months: int) -> dict[str, Any]:
    """The month axis of a trend chart: every third label past eight months, set at an angle,
    so that "2024-01" labels never run into each other."""
    return {"interval_unit": 1 if months <= 8 else 3, "num_font": {"rotation": -45}}


def _numbers(sheet: Any, row: int, column: int, values: pd.Series, cell_format: Any) -> None:
    for offset, value in enumerate(values.astype(object)):
        _number(sheet, row + offset, column, value, cell_format)


def _breakdowns_sheet(sheet: Any, insights: Insights, formats: Formats) -> None:
    """Long table: dimension, group, KPI, value, n, interval; filterable by any column."""
    lang = insights.lang
    headers = [
        label("dimension", lang),
        label("group_value", lang),
        label("kpi", lang),
        label("kpi_id", lang),
        label("value", lang),
        label("n", lang),
        label("ci_low", lang),
        label("ci_high", lang),
    ]
    _header(sheet, 0, headers, formats)
    row = 0
    for breakdown in insights.breakdowns:
        rows = breakdown.rows.set_index(["key", "metric"])
        rows = rows[~rows.index.duplicated()]
        for key in breakdown.keys:
            for metric in (m for m in BREAKDOWN if (key, m) in rows.index):
                row += 1
                _breakdown_row(
                    sheet,
                    row,
                    breakdown.dimension,
                    rows.loc[(key, metric)],
                    metric,
                    insights,
                    formats,
                )
    _finish(sheet, 0, row, headers, widths=[12, 24, 28, 26, 12, 10, 11, 11])


def _breakdown_row(
    sheet: Any,
    row: int,
    dimension: str,
    cells: pd.Series,
    metric: str,
    insights: Insights,
    formats: Formats,
) -> None:
    lang = insights.lang
    unit = insights.views[metric].unit
    sheet.write_string(row, 0, label(dimension, lang))
    _text(sheet, row, 1, str(cells["label"]), formats)
    sheet.write_string(row, 2, kpi_name(metric, lang))
    sheet.write_string(row, 3, metric)
    _number(sheet, row, 4, cells["value"], formats.value(unit))
    _number(sheet, row, 5, cells["n"], formats.integer)
    _number(sheet, row, 6, cells["ci_low"], formats.value(unit))
    _number(sheet, row, 7, cells["ci_high"], formats.value(unit))


def _text(sheet: Any, row: int, column: int, text: str, formats: Formats) -> None:
    """Untrusted text as a string cell, exactly as given (never evaluated, never a link)."""
    sheet.write_string(row, column, text, formats.text)


def _readable(frame: pd.DataFrame, insights: Insights) -> pd.DataFrame:
    """Tickets or comments as a reader reads them: channels, priorities and statuses in the
    report's language, agents by name, and true/false fields as yes/no."""
    lang, readable = insights.lang, frame
    for column in ("channel", "priority", "status"):
        if column in frame.columns:
            readable = readable.assign(**{column: _translated(frame[column], column, lang)})
    if "agent_id" in frame.columns and insights.agent_names:
        agents = frame["agent_id"].dropna().unique()
        names = {agent: agent_label(agent, insights.agent_names, lang) for agent in agents}
        readable = readable.assign(agent_id=frame["agent_id"].map(names))
    for column in frame.columns:
        if pd.api.types.is_bool_dtype(frame[column]):
            words = {flag: yes_no(flag, lang) for flag in (True, False)}
            readable = readable.assign(**{column: frame[column].map(words).astype(object)})
    return readable


def _translated(codes: pd.Series, column: str, lang: str) -> pd.Series:
    """Each distinct code named once, then mapped over the column (blanks stay blank)."""
    if column == "channel":
        names = {code: dimension_value("channel", code, lang) for code in codes.dropna().unique()}
    else:
        names = {code: code_name(column, code, lang) for code in codes.dropna().unique()}
    return codes.map(names)


def _quality_frame(details: Details, lang: str) -> pd.DataFrame:
    """Flags with their meaning in the report's language, and the tickets carrying them."""
    flags = details.quality_flags
    return pd.DataFrame(
        {
            "flag": flags["flag"],
            "description": [flag_name(flag, lang) for flag in flags["flag"]],
            "tickets_flagged": flags["tickets"],
        }
    )


def _cleaning_frame(details: Details, lang: str) -> pd.DataFrame:
    """The cleaning log with table names and rule descriptions in the report's language."""
    log = details.cleaning_log
    descriptions = [
        rule_description(rule, text if isinstance(text, str) else "", lang)
        for rule, text in zip(log["rule"], log["description"], strict=True)
    ]
    tables = [table_name(name, lang) for name in log["table_name"]]
    return log.assign(table_name=tables, description=descriptions)


NUMBER_COLUMNS = {
    "first_response_min": MINUTES,
    "resolution_min": MINUTES,
    "target_min": MINUTES,
    "elapsed_min": MINUTES,
    "score": POINTS,
    "scale_max": POINTS,
    "p_churn": RATE,
    "customer_value": MONEY,
    "expected_saved_value": MONEY,
    "cost": MONEY,
}


def _call_list_sheet(workbook: Any, predictions: Predictions, formats: Formats, lang: str) -> None:
    """Every row of the report's call list, best first; or the reason there is none."""
    from cxlens.report.predictions import call_list_frame

    if predictions.calls is None:
        sheet = workbook.add_worksheet(label("sheet_call_list", lang))
        sheet.write_string(0, 0, predictions.reason("calls", lang))
        sheet.set_column(0, 0, 100)
        return
    frame = call_list_frame(predictions.calls, lang)
    _frame_sheet(workbook, "sheet_call_list", frame, formats, lang)


def _frame_sheet(
    workbook: Any, sheet_key: str, frame: pd.DataFrame, formats: Formats, lang: str
) -> None:
    """A plain table sheet: translated headers, typed columns, text kept as text."""
    sheet = workbook.add_worksheet(label(sheet_key, lang))
    headers = [label(name, lang) if name in LABELS else name for name in frame.columns]
    _header(sheet, 0, headers, formats)
    for column, name in enumerate(frame.columns):
        _column(sheet, column, frame[name], name, formats)
    _finish(sheet, 0, len(frame), headers, widths=_widths(frame, headers))


def _column(sheet: Any, column: int, values: pd.Series, name: str, formats: Formats) -> None:
    """Write one column: datetimes, numbers and text each with their format."""
    cells = values.astype(object).where(values.notna(), None).tolist()
    if pd.api.types.is_datetime64_any_dtype(values):
        sheet.write_column(1, column, cells, formats.date)
    elif pd.api.types.is_bool_dtype(values):
        sheet.write_column(1, column, cells)
    elif pd.api.types.is_numeric_dtype(values):
        unit = NUMBER_COLUMNS.get(name, COUNT)
        number_format = formats.value(unit) if unit != POINTS else formats.number("0.##")
        sheet.write_column(1, column, cells, number_format)
    else:
        for offset, cell in enumerate(cells):
            if cell is not None:
                sheet.write_string(1 + offset, column, str(cell), formats.text)


def _widths(frame: pd.DataFrame, headers: list[str]) -> list[int]:
    widths = []
    for name, header in zip(frame.columns, headers, strict=True):
        sample = frame[name].dropna().astype(str).head(500)
        longest = int(sample.str.len().quantile(0.9)) if not sample.empty else 0
        widths.append(max(10, min(60, max(longest, display_width(header)) + 2)))
    return widths


def _definitions_sheet(sheet: Any, insights: Insights, formats: Formats) -> None:
    lang = insights.lang
    headers = [
        label("kpi", lang),
        label("kpi_id", lang),
        label("definition", lang),
        label("direction", lang),
    ]
    _header(sheet, 0, headers, formats)
    metrics = insights.defined_metrics
    for row, metric in enumerate(metrics, start=1):
        better = insights.views[metric].better if metric in insights.views else "neutral"
        sheet.write_string(row, 0, kpi_name(metric, lang))
        sheet.write_string(row, 1, metric)
        sheet.write_string(row, 2, definition(metric, lang))
        sheet.write_string(row, 3, label(f"direction_{better}", lang))
    _finish(sheet, 0, len(metrics), headers, widths=[30, 30, 90, 14])


def _header(sheet: Any, row: int, headers: list[str], formats: Formats) -> None:
    sheet.write_row(row, 0, headers, formats.header)


def _finish(sheet: Any, header_row: int, rows: int, headers: list[str], widths: list[int]) -> None:
    """Freeze the header, add an autofilter and set column widths."""
    sheet.freeze_panes(header_row + 1, 0)
    sheet.autofilter(header_row, 0, header_row + max(rows, 1), len(headers) - 1)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
