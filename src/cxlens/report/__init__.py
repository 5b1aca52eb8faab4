"""The monthly report: one offline HTML file, an Excel workbook and CSV exports.

``write_report`` assembles the insights once (``cxlens.insights``) and the
predictions once (``report.predictions``), and renders every output from them, so
the page, the workbook and the CSV files show the same numbers. See docs/report.md.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["render_report", "write_report"]


def write_report(
    warehouse: Any, settings: Any, out_dir: Path, month: str | None = None
) -> dict[str, Path]:
    """Write ``report.html``, ``report.xlsx``, ``kpis.csv`` and ``tickets.csv`` to ``out_dir``.

    ``month`` (``YYYY-MM``) picks the report month; by default the latest complete
    month in the data. ``settings.language`` (zh or en) sets every label. Returns
    the paths by kind: ``html``, ``xlsx``, ``kpis_csv``, ``tickets_csv``.
    """
    from cxlens.insights import build_insights

    insights = build_insights(warehouse, settings, month)
    return render_report(insights, warehouse, out_dir, settings=settings)


def render_report(
    insights: Any, warehouse: Any, out_dir: Path, settings: Any | None = None
) -> dict[str, Path]:
    """Write the report files from insights already assembled (see ``write_report``).

    The warehouse is read for the month's details (distributions, the arrival heatmap,
    the tickets and the comments) and for the predictions, which the models compute
    with ``settings``; without them, with the settings the warehouse was last cleaned
    with (what ``--db`` commands use), in the insights' language. The actions (coaching,
    bottlenecks, staffing, tiers, topics, alerts) cover the report's month.
    """
    from cxlens.insights.periods import month_bounds
    from cxlens.report.actions import read_actions
    from cxlens.report.detail import read_details
    from cxlens.report.exports import write_csv
    from cxlens.report.html import render_html
    from cxlens.report.predictions import read_predictions
    from cxlens.report.workbook import write_workbook

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    details = read_details(warehouse, month_bounds(insights.month))
    settings = settings or _warehouse_settings(warehouse, insights)
    predictions = read_predictions(warehouse, settings)
    actions = read_actions(warehouse, settings, insights)

    html_path = out_dir / "report.html"
    html_path.write_text(render_html(insights, details, predictions, actions), encoding="utf-8")
    paths = {
        "html": html_path,
        "xlsx": write_workbook(insights, details, out_dir / "report.xlsx", predictions, actions),
        "kpis_csv": write_csv(insights.kpis, out_dir / "kpis.csv"),
        "tickets_csv": write_csv(details.tickets, out_dir / "tickets.csv"),
    }
    log.info("report for %s written to %s", insights.month, out_dir)
    return paths


def _warehouse_settings(warehouse: Any, insights: Any) -> Any:
    """The settings stored with the cleaned tables (defaults if none), in the report's
    language and time zone."""
    from cxlens.settings import Settings

    overrides = {"language": insights.lang, "timezone": insights.timezone}
    stored = warehouse.stored_settings()
    if stored:
        return Settings.from_stored(stored, warehouse.location, overrides)
    return Settings(language=insights.lang, timezone=insights.timezone)
