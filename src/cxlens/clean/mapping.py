"""Rewrite a column through a Python function applied once per distinct value.

Standardising channel names, priorities or phone numbers needs Python (a synonym table,
the ``phonenumbers`` library), but a million tickets hold only a handful of distinct
channel names. So the distinct values are read out, mapped in Python, and joined back
in SQL: the per-row work stays in DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cxlens.store import quote

if TYPE_CHECKING:
    import duckdb

# A mapper returns the standard value and whether the input was recognised.
Mapper = Callable[[str], tuple[str | None, bool]]


def build_value_map(
    con: duckdb.DuckDBPyConnection, relation: str, column: str, mapper: Mapper, name: str
) -> str:
    """A temporary table ``(value, standard, known)`` over the distinct values of ``column``.

    Returns the table's quoted name. NULL values are not mapped (they stay NULL).
    """
    import pyarrow as pa

    values = [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT {quote(column)} FROM {relation} WHERE {quote(column)} IS NOT NULL"
        ).fetchall()
    ]
    mapped = [mapper(value) for value in values]
    source = pa.table(
        {
            "value": pa.array(values, pa.string()),
            "standard": pa.array([m[0] for m in mapped], pa.string()),
            "known": pa.array([m[1] for m in mapped], pa.bool_()),
        }
    )
    table_name = quote(f"_map_{name}")
    con.register("_value_map_source", source)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table_name} AS SELECT * FROM _value_map_source")
    finally:
        con.unregister("_value_map_source")
    return table_name


def apply_value_map(
    con: duckdb.DuckDBPyConnection, relation: str, column: str, value_map: str
) -> None:
    """Replace each value of ``column`` by its standard form where that differs."""
    col = quote(column)
    con.execute(
        f"UPDATE {relation} SET {col} = m.standard FROM {value_map} m "
        f"WHERE {relation}.{col} = m.value AND m.value IS DISTINCT FROM m.standard"
    )


def unknown_values(con: duckdb.DuckDBPyConnection, value_map: str, limit: int = 20) -> list[str]:
    """The distinct values the mapper did not recognise, sorted."""
    rows = con.execute(
        f"SELECT value FROM {value_map} WHERE NOT known ORDER BY value LIMIT {int(limit)}"
    ).fetchall()
    return [r[0] for r in rows]
