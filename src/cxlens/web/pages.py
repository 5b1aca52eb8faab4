"""What every dashboard page shares: the filter bar, the language, the JSON twin, exports.

A page module computes a *view*: a plain dict of what the page shows (numbers, labels,
table rows), computed once and cached under the warehouse's version. ``respond``
turns that view into the HTML page, its JSON twin (``?format=json``), or the export of
its table (``?format=csv`` or ``?format=xlsx``): the same dict in every form, so an
export holds exactly what the screen shows under the same filters.

Templates escape every value (Jinja autoescape); charts take their data from JSON
embedded with ``tojson`` (which escapes ``<``, ``>`` and ``&``), read by
``static/app.js``: no page runs an inline script.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from cxlens.insights.labels import dimension_value
from cxlens.web.access import Access
from cxlens.web.filters import DIMENSIONS, FilterError, Filters, read_filters
from cxlens.web.words import word

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.globals["word"] = word
TEMPLATES.env.globals["shown_value"] = dimension_value
FORMATS = ("html", "json", "csv", "xlsx")
# The pages of the navigation bar, in order: (path, word key).
NAVIGATION = (
    ("/", "nav_overview"),
    ("/tickets", "nav_tickets"),
    ("/agents", "nav_agents"),
    ("/customers", "nav_customers"),
    ("/surveys", "nav_surveys"),
    ("/actions", "nav_actions"),
    ("/quality", "nav_quality"),
)
# Values one dimension offers in the filter bar at most (the rest are typed in the URL).
OPTIONS_SHOWN = 200


def sparkline(points: list[dict], width: int = 120, height: int = 28) -> str:
    """SVG polyline points for a sparkline of ``{"value": ...}`` points (gaps skipped)."""
    values = [p["value"] for p in points]
    present = [v for v in values if v is not None]
    if len(present) < 2:
        return ""
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
        if v is not None
    )


TEMPLATES.env.globals["sparkline"] = sparkline


def access_of(request: Request) -> Access:
    return request.app.state.access


def page_filters(request: Request) -> Filters:
    """The filter bar's state from the request's query, with the data's defaults."""
    return filters_for(access_of(request), request.query_params)


def filters_for(access: Access, params: Any) -> Filters:
    """The filter bar's state from query parameters (``QueryParams``), with the data's
    defaults: the month the report would show, the language of the settings."""
    data_end, default_month = access.cached(("data-end",), lambda: _data_end(access))
    return read_filters(params, data_end, default_month, access.settings.language)


def respond(
    request: Request,
    template: str,
    view: dict[str, Any],
    filters: Filters,
    *,
    table: str | None = None,
    name: str = "export",
    also: tuple[str, ...] = (),
    extra_params: list[tuple[str, str]] | None = None,
) -> Response:
    """The view as the format asked for: HTML (default), JSON, or CSV/XLSX of ``table``.

    ``table`` names the entry of ``view`` that exports carry by default, ``also`` others a
    ``table=`` parameter may choose: ``{"columns": [...],
    "rows": [[...], ...]}``, headers in the page's language. ``extra_params`` are the
    page's own query parameters beyond the filter bar (kept by the filter form and the
    export links).
    """
    wanted = request.query_params.get("format") or "html"
    if wanted not in FORMATS:
        raise FilterError(f"format must be one of {', '.join(FORMATS)}, not {wanted!r}")
    view = {**view, "filters": filters.describe()}
    if wanted == "json":
        return JSONResponse(view)
    if wanted in ("csv", "xlsx"):
        chosen = request.query_params.get("table") or table
        if chosen is None or chosen not in (table, *also) or chosen not in view:
            names = ", ".join(t for t in (table, *also) if t)
            raise FilterError(f"this page exports {names or 'no table'}, not {chosen!r}")
        return export(view[chosen], wanted, name if chosen == table else f"{name}-{chosen}")
    extra = list(extra_params or [])
    context = {
        **base_context(request, filters),
        "view": view,
        "table_name": table,
        "extra_params": extra,
        "export_extra": f"&{urlencode(extra)}" if extra else "",
    }
    return TEMPLATES.TemplateResponse(request, template, context)


def base_context(request: Request, filters: Filters) -> dict[str, Any]:
    """What the layout needs: navigation, language switch, filter bar and its options."""
    access = access_of(request)
    options = access.cached(("filter-options",), lambda: _filter_options(access))
    other = "en" if filters.lang == "zh" else "zh"
    return {
        "lang": filters.lang,
        "filters": filters,
        "path": request.url.path,
        "navigation": [(path, word(key, filters.lang)) for path, key in NAVIGATION],
        "query": filters.query(),
        "switch_language": f"{request.url.path}?{_with_language(request, other)}",
        "options": options,
        "dimensions": DIMENSIONS,
    }


def _with_language(request: Request, lang: str) -> str:
    """The request's own query (page parameters such as sort or metric included) in ``lang``."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "format")]
    return urlencode([*kept, ("lang", lang)])


def export(table: dict[str, Any], wanted: str, name: str) -> Response:
    """A table as CSV (UTF-8 with BOM) or XLSX, formula-like text neutralised."""
    from cxlens.report.exports import CSV_ENCODING, neutralise

    frame = pd.DataFrame(table["rows"], columns=table["columns"])
    numbers = frame.select_dtypes("floating").columns
    # a difference of equal floats can come out as 1e-15: show it as the 0 it is
    frame[numbers] = frame[numbers].mask(frame[numbers].abs() < 1e-12, 0.0)
    frame = neutralise(frame)
    if wanted == "csv":
        body = frame.to_csv(index=False).encode(CSV_ENCODING)
        media = "text/csv; charset=utf-8"
    else:
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
            frame.to_excel(writer, index=False, sheet_name=name[:31])
        body = buffer.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = f'attachment; filename="{name}.{wanted}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def error_page(request: Request, message: str, status: int) -> HTMLResponse:
    """A page that says what went wrong and how to go on, in the asked language."""
    lang = request.query_params.get("lang")
    lang = lang if lang in ("zh", "en") else access_of(request).settings.language
    context = {"lang": lang, "message": message, "status": status}
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)


def _data_end(access: Access) -> tuple[date | None, str | None]:
    """The data's last local day (the newest ticket's, as the report reads it) and the
    month the dashboard shows by default."""
    from cxlens.insights.assemble import newest_record_date
    from cxlens.insights.periods import latest_complete_month

    last = newest_record_date(access.warehouse)
    if last is None:
        return None, None
    month, _partial = latest_complete_month(last, {f"{last:%Y-%m}"} | _months_before(last))
    return last, month


def _months_before(day: date) -> set[str]:
    previous = (day.replace(day=1) - pd.Timedelta(days=1)).strftime("%Y-%m")
    return {previous}


def _filter_options(access: Access) -> dict[str, list[str]]:
    """The values each dimension takes in the warehouse, most frequent first."""
    from cxlens.store import has_table, table_columns

    sources = {
        "channel": ("tickets", "channel"),
        "category": ("tickets", "category"),
        "team": ("tickets", "team"),
        "agent": ("tickets", "agent_id"),
        "segment": ("customers", "segment"),
    }
    options: dict[str, list[str]] = {}
    with access.reading() as con:
        for dimension, (table, column) in sources.items():
            if not has_table(con, table) or column not in table_columns(con, table):
                options[dimension] = []
                continue
            rows = con.execute(
                f'SELECT CAST("{column}" AS VARCHAR) AS value, count(*) AS n FROM "{table}" '
                f'WHERE "{column}" IS NOT NULL GROUP BY 1 ORDER BY n DESC, value LIMIT ?',
                [OPTIONS_SHOWN],
            ).fetchall()
            options[dimension] = [value for value, _ in rows]
    return options
