"""Publish a staged table: canonical columns, local wall-clock twins, derived columns.

Every UTC timestamp ``X`` gets ``X_local``, the wall-clock time in the project's time
zone (DuckDB's ICU applies the zone's rules, daylight saving included), so that days,
weeks and months are cut where the project's people live (case FR-6).

Converting each value through the zone's rules is slow (about a third of a second per
million rows and column), so where the zone keeps one UTC offset over the whole span of
a table's times (always in UTC, and in zones such as Asia/Shanghai over recent years)
the twin is the UTC time plus that offset, which is the same value. The offset is read
at the start and end of every hour of the span; any change of offset in the span makes
every value go through the zone's rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.clean.dedup import META_COLUMNS
from cxlens.clean.log import stage_name
from cxlens.schema import TABLES, local_column
from cxlens.store import literal, quote

if TYPE_CHECKING:
    import duckdb


def local_time_sql(column: str, timezone: str) -> str:
    """SQL for the wall-clock time in ``timezone`` of a naive UTC timestamp column."""
    return f"(({quote(column)} AT TIME ZONE 'UTC') AT TIME ZONE {literal(timezone)})"


# Spans longer than this (in hours, about eleven years) are not checked for one offset.
MOST_HOURS = 100_000


def constant_offset(con: duckdb.DuckDBPyConnection, relation: str, columns, timezone: str):
    """The zone's UTC offset in microseconds if it is one over all times in ``columns``.

    None where the offset changes within the span of the times, the span is longer than
    ``MOST_HOURS``, or there are no times.
    """
    bounds = ", ".join(f"min({quote(c)}), max({quote(c)})" for c in columns)
    values = [
        v for v in con.execute(f"SELECT {bounds} FROM {relation}").fetchone() if v is not None
    ]
    if not values:
        return None
    first, last = min(values), max(values)
    if (last - first).total_seconds() / 3600 > MOST_HOURS:
        return None
    offsets = con.execute(
        f"SELECT count(DISTINCT shift), min(shift) FROM ("
        f"SELECT epoch_us({local_time_sql('moment', timezone)}) - epoch_us(moment) AS shift FROM ("
        f"SELECT unnest([h, h + INTERVAL 1 HOUR - INTERVAL 1 MICROSECOND]) AS moment FROM ("
        f"SELECT unnest(generate_series(date_trunc('hour', ?::TIMESTAMP), "
        f"date_trunc('hour', ?::TIMESTAMP), INTERVAL 1 HOUR)) AS h)))",
        [first, last],
    ).fetchone()
    return int(offsets[1]) if offsets[0] == 1 else None


def publish(
    con: duckdb.DuckDBPyConnection, table_name: str, timezone: str, source: str | None = None
) -> None:
    """CREATE OR REPLACE ``table_name`` from its staging table, in contract column order.

    ``source`` is a view over the staging table that adds derived columns, if there is one.

    Rows are written in no particular order (sorting a million tickets only to store
    them costs more than the rest of the step); readers that need an order ask for it.
    """
    spec = TABLES[table_name]
    stage = stage_name(table_name)
    source = source or stage
    staged = [column[0] for column in con.execute(f"SELECT * FROM {source} LIMIT 0").description]
    canonical = [c.name for c in spec.columns]
    derived = [c for c in staged if c not in canonical and c not in META_COLUMNS]
    items = [quote(c) for c in canonical]
    offset = constant_offset(con, stage, spec.timestamps, timezone) if spec.timestamps else None
    for column in spec.timestamps:
        local = (
            local_time_sql(column, timezone)
            if offset is None
            else f"({quote(column)} + to_microseconds({offset}))"
        )
        items.append(f"{local} AS {quote(local_column(column))}")
    items += [quote(c) for c in (*derived, *META_COLUMNS)]
    con.execute(
        f"CREATE OR REPLACE TABLE {quote(table_name)} AS SELECT {', '.join(items)} FROM {source}"
    )
    if source != stage:
        con.execute(f"DROP VIEW {source}")
    con.execute(f"DROP TABLE {stage}")
