"""Stage a raw table for cleaning: conform its columns, drop duplicate rows, log both kinds.

Two kinds of duplicate are told apart:

- exact duplicates: the same values in every canonical column (the same record delivered
  twice); one copy is kept;
- key duplicates: the same key with different values (a record delivered again in a
  later state); the latest delivered state wins: the most recently imported batch, then
  the last row of the file (highest ``_row``).

Rows whose key is incomplete cannot be matched to anything; they are kept and logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.clean.log import CleaningLog, stage_name
from cxlens.schema import DUCKDB_TYPES, TABLES
from cxlens.store import quote, table_columns

if TYPE_CHECKING:
    import duckdb

META_COLUMNS = {"_source": "VARCHAR", "_row": "BIGINT", "_batch": "VARCHAR"}
# Which delivery of a record is the latest: the last imported batch, then the file's last row.
LATEST_FIRST = (
    "_imported_at DESC NULLS LAST, _batch DESC NULLS LAST, _row DESC NULLS LAST, "
    "_source DESC NULLS LAST"
)


def stage_table(con: duckdb.DuckDBPyConnection, table_name: str, log: CleaningLog) -> None:
    """Create the staging table of ``table_name`` from ``raw_<table_name>`` without duplicates.

    Only *contested* rows can be duplicates: those whose key appears more than once or is
    incomplete (two rows equal in every column share their key). They are ranked in a
    small table; every other row goes straight to the staging table, so an export
    without duplicates costs one hash aggregation over its keys instead of two sorts of
    the whole table.
    """
    spec = TABLES[table_name]
    canonical = [quote(c.name) for c in spec.columns]
    keys = [quote(k) for k in spec.key]
    key_missing = " OR ".join(f"{k} IS NULL" for k in keys)
    source = f"WITH source AS ({_conformed_select(con, table_name)}) "
    ranked = quote(f"_ranked_{table_name}")
    repeated = quote(f"_repeated_{table_name}")
    in_repeated = " AND ".join(f"r.{k} = source.{k}" for k in keys)
    contested = f"({key_missing}) OR EXISTS (SELECT 1 FROM {repeated} r WHERE {in_repeated})"

    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {repeated} AS {source}"
        f"SELECT {', '.join(keys)} FROM source WHERE NOT ({key_missing}) "
        f"GROUP BY ALL HAVING count(*) > 1"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ranked} AS {source}"
        f"SELECT *, "
        f"row_number() OVER (PARTITION BY {', '.join(canonical)} ORDER BY {LATEST_FIRST}) "
        f"AS _copy, "
        f"row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY {LATEST_FIRST}) "
        f"AS _version, ({key_missing}) AS _key_missing "
        f"FROM source WHERE {contested}"
    )
    _log_duplicates(con, table_name, ranked, log)

    kept = ", ".join([*canonical, *META_COLUMNS])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {stage_name(table_name)} AS {source}"
        f"SELECT {kept} FROM source WHERE NOT ({contested}) "
        f"UNION ALL SELECT {kept} FROM {ranked} WHERE _copy = 1 AND (_version = 1 OR _key_missing)"
    )
    con.execute(f"DROP TABLE {ranked}")
    con.execute(f"DROP TABLE {repeated}")


def _log_duplicates(
    con: duckdb.DuckDBPyConnection, table_name: str, ranked: str, log: CleaningLog
) -> None:
    log.count(
        con,
        "exact_duplicates",
        table_name,
        "_copy > 1",
        "rows equal to another in every canonical column; one copy kept",
        relation=ranked,
    )
    log.count(
        con,
        "key_duplicates",
        table_name,
        "_copy = 1 AND _version > 1 AND NOT _key_missing",
        "older versions of a key delivered again; the most recently imported batch wins, "
        "then the last row of its file",
        relation=ranked,
    )
    log.count(
        con,
        "missing_key",
        table_name,
        "_copy = 1 AND _key_missing",
        "rows with an empty key part; kept, as they cannot be matched to another row",
        relation=ranked,
    )


def _conformed_select(con: duckdb.DuckDBPyConnection, table_name: str) -> str:
    """SELECT the canonical and bookkeeping columns of the raw table, NULL where absent."""
    present = table_columns(con, f"raw_{table_name}")
    items = []
    for column in TABLES[table_name].columns:
        sql_type = DUCKDB_TYPES[column.type]
        if column.name in present:
            items.append(f"CAST({quote(column.name)} AS {sql_type}) AS {quote(column.name)}")
        else:
            items.append(f"CAST(NULL AS {sql_type}) AS {quote(column.name)}")
    for name, sql_type in META_COLUMNS.items():
        if name in present:
            # _batch keeps the importer's type, so that batch numbers order as numbers.
            items.append(quote(name))
        else:
            items.append(f"CAST(NULL AS {sql_type}) AS {quote(name)}")
    items.append(_imported_at(con))
    return f"SELECT {', '.join(items)} FROM {quote('raw_' + table_name)}"


def _imported_at(con: duckdb.DuckDBPyConnection) -> str:
    """When each row's batch was imported, from the ``imports`` table where it exists."""
    columns = table_columns(con, "imports")
    if {"batch", "imported_at"} <= columns:
        return (
            "(SELECT max(CAST(i.imported_at AS TIMESTAMP)) FROM imports i "
            "WHERE CAST(i.batch AS VARCHAR) = CAST(_batch AS VARCHAR)) AS _imported_at"
        )
    return "CAST(NULL AS TIMESTAMP) AS _imported_at"
