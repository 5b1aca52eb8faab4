"""Publish a staged table: canonical columns, local wall-clock twins, derived columns.

Every UTC timestamp ``X`` gets ``X_local``, the wall-clock time in the project's time
zone (DuckDB's ICU applies the zone's rules, daylight saving included), so that days,
weeks and months are cut where the project's people live (case FR-6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.clean.dedup import META_COLUMNS
from cxlens.clean.log import stage_name
from cxlens.schema import TABLES, local_column
from cxlens.store import quote

if TYPE_CHECKING:
    import duckdb


def local_time_sql(column: str, timezone: str) -> str:
    """SQL for the wall-clock time in ``timezone`` of a naive UTC timestamp column."""
    zone = timezone.replace("'", "''")
    return f"(({quote(column)} AT TIME ZONE 'UTC') AT TIME ZONE '{zone}')"


def publish(con: duckdb.DuckDBPyConnection, table_name: str, timezone: str) -> None:
    """CREATE OR REPLACE ``table_name`` from its staging table, in contract column order."""
    spec = TABLES[table_name]
    stage = stage_name(table_name)
    staged = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() "
            "WHERE table_name = ? AND database_name = 'temp' ORDER BY column_index",
            [f"_clean_{table_name}"],
        ).fetchall()
    ]
    canonical = [c.name for c in spec.columns]
    derived = [c for c in staged if c not in canonical and c not in META_COLUMNS]
    items = [quote(c) for c in canonical]
    items += [f"{local_time_sql(c, timezone)} AS {quote(local_column(c))}" for c in spec.timestamps]
    items += [quote(c) for c in (*derived, *META_COLUMNS)]
    con.execute(
        f"CREATE OR REPLACE TABLE {quote(table_name)} AS SELECT {', '.join(items)} FROM {stage} "
        f"ORDER BY {', '.join(quote(k) for k in spec.key)}, _source, _row"
    )
    con.execute(f"DROP TABLE {stage}")
