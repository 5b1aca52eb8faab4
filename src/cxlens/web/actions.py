"""The actions pages: ``/actions`` (what to change, every action's findings) and
``/actions/{key}`` (one action with its evidence: tables, charts, how it was computed).

Each page shows the action's view (``cxlens.insights.actions``) for the filter bar's
period and dimensions — the same view the report and ``cxlens <action>`` show —, so a
manager reads one set of numbers wherever they look. Every table exports as CSV/XLSX
(``?format=csv&table=<key>``) holding the whole table, not only the rows shown.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from cxlens.insights.actions import (
    ACTIONS,
    ActionView,
    Scope,
    action_title,
    action_view,
    format_cell,
    numeric_kind,
)
from cxlens.models.plain import finite
from cxlens.web.access import Access
from cxlens.web.filters import Filters
from cxlens.web.pages import access_of, page_filters, respond
from cxlens.web.words import word

router = APIRouter()

ROWS_SHOWN = 50  # rows of a table on the page; exports hold every row


@router.get("/actions", summary="What to change: every action's findings (HTML or ?format=json)")
def actions_page(request: Request):
    filters = page_filters(request)
    access = access_of(request)
    views = [_view(access, key, filters) for key in ACTIONS]
    view = {
        "page": "actions",
        "title": word("actions_heading", filters.lang),
        "covering": filters.covering(),
        "actions": [
            {
                "key": v.key,
                "title": v.title,
                "covering": v.covering,
                "lines": v.lines[:3],
                "more": max(0, len(v.lines) - 3),
                "missing": v.missing,
                "link": f"/actions/{v.key}?{filters.query()}",
            }
            for v in views
        ],
    }
    return respond(request, "actions.html", view, filters)


@router.get(
    "/actions/{key}",
    summary="One action with its evidence (HTML; ?format=json, or csv/xlsx with table=)",
)
def action_page(request: Request, key: str):
    if key not in ACTIONS:
        raise HTTPException(404, f"no action {key!r}; the actions are: {', '.join(ACTIONS)}")
    filters = page_filters(request)
    found = _view(access_of(request), key, filters)
    view = page_view(found, filters)
    tables = [table["key"] for table in view["tables"]]
    return respond(
        request,
        "action.html",
        view,
        filters,
        table=tables[0] if tables else None,
        also=tuple(tables[1:]),
        name=key,
    )


def _view(access: Access, key: str, filters: Filters) -> ActionView:
    """The action's view under the filter bar, cached until the warehouse changes."""
    scope = Scope(window=filters.window, filters=filters.chosen)

    def compute() -> ActionView:
        return action_view(key, access.warehouse, access.settings, filters.lang, scope)

    return access.cached(("action", key, filters.key()), lambda: access.run(compute))


def page_view(found: ActionView, filters: Filters) -> dict[str, Any]:
    """The page's data: sentences, charts, tables (shown and exportable), the method."""
    view: dict[str, Any] = {
        "page": "action",
        "action": found.key,
        "title": found.title or action_title(found.key, filters.lang),
        "covering": filters.covering(),
        "action_covering": found.covering,
        "lines": found.lines,
        "method": found.method,
        "missing": found.missing,
        "figures": [json.loads(figure.to_json()) for figure in found.figures],
        "tables": [],
    }
    for table in found.tables:
        frame = table.frame.drop(columns=list(table.links.values()), errors="ignore")
        kinds = [table.formats.get(column, "text") for column in frame.columns]
        view["tables"].append(
            {
                "key": table.key,
                "title": table.title,
                "note": table.note,
                "numeric": [numeric_kind(kind) for kind in kinds],
                "shown": [
                    [format_cell(v, kind, filters.lang) for v, kind in zip(row, kinds, strict=True)]
                    for row in frame.head(ROWS_SHOWN).itertuples(index=False, name=None)
                ],
                "total": len(frame),
            }
        )
        counts = [kind == "count" for kind in kinds]
        view[table.key] = {
            "columns": [str(c) for c in frame.columns],
            "rows": [
                [_plain(value, count) for value, count in zip(row, counts, strict=True)]
                for row in frame.itertuples(index=False, name=None)
            ],
        }
    return view


def _plain(value: Any, count: bool = False) -> Any:
    """A cell as JSON: numbers finite or null (counts as whole numbers), dates as ISO text,
    lists joined."""
    import pandas as pd

    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        number = finite(value)
        if count and number is not None and float(number).is_integer():
            return int(number)
        return number
    if hasattr(value, "isoformat"):
        return None if pd.isna(value) else value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
