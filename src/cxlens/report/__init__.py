"""The monthly report: one offline HTML file, an Excel workbook and CSV exports.

``write_report`` assembles the insights once (``cxlens.insights``) and renders
every output from them, so the page, the workbook and the CSV files show the
same numbers. See docs/report.md.
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

    return render_report(build_insights(warehouse, settings, month), warehouse, out_dir)


def render_report(insights: Any, warehouse: Any, out_dir: Path) -> dict[str, Path]:
    """Write the report files from insights already assembled (see ``write_report``).

    The warehouse is read only for the month's details: distributions, the arrival
    heatmap, the tickets and the comments.
    """
    from cxlens.insights.periods import month_bounds
    from cxlens.report.detail import read_details
    from cxlens.report.exports import write_csv
    from cxlens.report.html import render_html
    from cxlens.report.workbook import write_workbook

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    details = read_details(warehouse, month_bounds(insights.month))

    html_path = out_dir / "report.html"
    html_path.write_text(render_html(insights, details), encoding="utf-8")
    paths = {
        "html": html_path,
        "xlsx": write_workbook(insights, details, out_dir / "report.xlsx"),
        "kpis_csv": write_csv(insights.kpis, out_dir / "kpis.csv"),
        "tickets_csv": write_csv(details.tickets, out_dir / "tickets.csv"),
    }
    log.info("report for %s written to %s", insights.month, out_dir)
    return paths
