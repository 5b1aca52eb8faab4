"""The data-quality page (``/quality``): can the figures be trusted, and how fresh are they?

It shows what the warehouse says about its own data: the cleaning log (every rule and
the rows it touched, as the report's appendix gives it), the import ledger (which file
filled which table, when, with which preset), the tickets of the period that carry a
quality flag (a resolution before the creation, say), the newest record of each table,
and whether the server's own writes are cleaned yet (``Access.pending`` and the last
clean's error). The export is the cleaning log.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Request

from cxlens.store import quote, table_columns
from cxlens.web.access import Access
from cxlens.web.filters import Filters
from cxlens.web.pages import access_of, page_filters, respond
from cxlens.web.words import word

router = APIRouter()

# Each table's newest record is read from the time that dates it (local time).
RECORD_TIMES = (
    ("tickets", "created_at_local"),
    ("ticket_events", "at_local"),
    ("survey_responses", "responded_at_local"),
    ("orders", "ordered_at_local"),
    ("subscriptions", "started_at_local"),
    ("customers", "created_at_local"),
    ("comments", "posted_at_local"),
)
CLEANING_COLUMNS = (
    ("rule", "qual_col_rule"),
    ("table_name", "qual_col_table"),
    ("rows", "qual_col_rows"),
    ("example_keys", "qual_col_examples"),
    ("description", "qual_col_description"),
)
IMPORT_COLUMNS = (
    ("source", "qual_col_file"),
    ("table_name", "qual_col_table"),
    ("rows", "qual_col_rows"),
    ("imported_at", "qual_col_when"),
    ("preset", "qual_col_preset"),
)


@router.get("/quality", summary="Data-quality page (HTML; ?format=json for its data)")
def quality_page(request: Request):
    filters = page_filters(request)
    access = access_of(request)
    tables = access.cached(("quality", filters.key()), lambda: quality_tables(access, filters))
    view = {
        "page": "quality",
        "title": word("quality_heading", filters.lang),
        "covering": filters.covering(),
        **tables,
        "state": _state(access, filters.lang),
    }
    return respond(request, "quality.html", view, filters, table="cleaning_log", name="cleaning")


def quality_tables(access: Access, filters: Filters) -> dict[str, Any]:
    """The cleaning log, imports, the period's quality flags and each table's newest record."""
    from cxlens.report.detail import cleaning_log, quality_flags

    lang = filters.lang
    with access.reading() as con:
        log = cleaning_log(con)
        imports = _imports(con)
        flags = quality_flags(con, table_columns(con, "tickets"), filters.bounds())
        freshness = _freshness(con)
    return {
        "cleaning_log": _table(log, CLEANING_COLUMNS, lang),
        "imports": _table(imports, IMPORT_COLUMNS, lang),
        "quality_flags": _table(
            flags, (("flag", "qual_col_flag"), ("tickets", "qual_col_tickets")), lang
        ),
        "freshness": _table(
            freshness,
            (
                ("table_name", "qual_col_table"),
                ("rows", "qual_col_rows"),
                ("newest", "qual_col_newest"),
            ),
            lang,
        ),
    }


def _imports(con: Any) -> pd.DataFrame:
    """The import ledger, newest first."""
    wanted = [name for name, _ in IMPORT_COLUMNS]
    if not set(wanted) <= table_columns(con, "imports"):
        return pd.DataFrame(columns=wanted)
    return con.execute(
        "SELECT source, table_name, rows, strftime(imported_at, '%Y-%m-%d %H:%M:%S') AS "
        "imported_at, preset FROM imports ORDER BY imported_at DESC, source, table_name"
    ).df()


def _freshness(con: Any) -> pd.DataFrame:
    """Rows and the newest local time of each loaded table, in one query."""
    parts = [
        f"SELECT '{table}' AS table_name, count(*) AS rows, "
        f"strftime(max({quote(column)}), '%Y-%m-%d %H:%M') AS newest FROM {quote(table)}"
        for table, column in RECORD_TIMES
        if column in table_columns(con, table)
    ]
    if not parts:
        return pd.DataFrame(columns=["table_name", "rows", "newest"])
    return con.execute(" UNION ALL ".join(parts)).df()


def _table(frame: pd.DataFrame, columns: tuple, lang: str) -> dict[str, Any]:
    """A frame as the page's table: headers in ``lang``, JSON-ready cells (null for none)."""
    keys = [key for key, _ in columns]
    cells = frame[keys].astype(object).where(frame[keys].notna(), None)
    return {
        "columns": [word(title, lang) for _, title in columns],
        "rows": cells.to_numpy().tolist(),
    }


def _state(access: Access, lang: str) -> dict[str, Any]:
    """Whether the cleaned tables hold every write the server took, and the last failure."""
    pending, error = access.pending, access.clean_error
    if error:
        text = word("quality_state_failed", lang, error=error)
    elif pending:
        text = word("quality_state_pending", lang)
    else:
        text = word("quality_state_clean", lang)
    return {"pending": pending, "clean_error": error, "text": text}
