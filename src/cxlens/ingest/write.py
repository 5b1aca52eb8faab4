"""Writing converted rows into the warehouse: raw tables and the imports ledger.

The caller holds one transaction around everything here, so an import lands
whole or not at all. Re-delivered keys replace the rows they name: the rows of
``raw_<table>`` whose key the file carries are deleted, then the file's rows are
inserted. The batch id is derived from the file's content and how it was read,
so the same file imported twice leaves the warehouse as it was.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cxlens.schema import DUCKDB_TYPES, Table
from cxlens.store import quote, table_columns

IMPORTS_DDL = (
    "CREATE TABLE IF NOT EXISTS imports (batch VARCHAR, source VARCHAR, sha256 VARCHAR, "
    "table_name VARCHAR, preset VARCHAR, timezone VARCHAR, rows BIGINT, imported_at TIMESTAMP)"
)
META_COLUMNS = (("_source", "VARCHAR"), ("_row", "BIGINT"), ("_batch", "VARCHAR"))


def raw_name(table: Table) -> str:
    return f"raw_{table.name}"


def batch_id(sha256: str, preset: str | None, timezone: str, options: dict[str, Any]) -> str:
    """The import's id: the same file read the same way always gets the same id."""
    recipe = json.dumps([sha256, preset, timezone, options], sort_keys=True, default=str)
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def ensure_raw_table(con: Any, table: Table) -> None:
    """Create ``raw_<table>``: canonical columns in contract order, then the bookkeeping ones."""
    columns = [f"{quote(c.name)} {DUCKDB_TYPES[c.type]}" for c in table.columns]
    columns += [f"{name} {kind}" for name, kind in META_COLUMNS]
    con.execute(f"CREATE TABLE IF NOT EXISTS {quote(raw_name(table))} ({', '.join(columns)})")
    present = table_columns(con, raw_name(table))  # made before a column joined the contract?
    for c in (c for c in table.columns if c.name not in present):
        con.execute(f"ALTER TABLE {quote(raw_name(table))} ADD COLUMN {quote(c.name)} "
                    f"{DUCKDB_TYPES[c.type]}")  # fmt: skip


def other_layouts(
    con: Any, table: Table, keys: str, preset: str | None
) -> list[tuple[str, str | None, int]]:
    """Rows of ``raw_<table>`` whose keys ``keys`` re-delivers, imported with another layout.

    One (source, preset, rows) per earlier file, most rows first. A layout is a preset,
    or canonical headers (``None``); the ``imports`` ledger says which one delivered
    each raw row's ``_batch``. Cheap when every earlier import used this layout.
    """
    con.execute(IMPORTS_DDL)
    others = con.execute(
        "SELECT count(*) FROM imports WHERE table_name = ? AND preset IS DISTINCT FROM ?",
        [table.name, preset],
    ).fetchone()[0]
    if not others:
        return []
    raw = quote(raw_name(table))
    match = " AND ".join(f"r.{quote(k)} = n.{quote(k)}" for k in table.key)
    columns = ", ".join(quote(k) for k in table.key)
    rows = con.execute(
        f"SELECT i.source, i.preset, count(*) FROM {raw} AS r "
        f"JOIN (SELECT DISTINCT {columns} FROM {keys}) AS n ON {match} "
        "JOIN (SELECT batch, min(source) AS source, any_value(preset) AS preset FROM imports "
        "WHERE table_name = ? GROUP BY batch) AS i ON r._batch = i.batch "
        "WHERE i.preset IS DISTINCT FROM ? GROUP BY ALL ORDER BY 3 DESC, 1",
        [table.name, preset],
    ).fetchall()
    return [(source, layout, int(count)) for source, layout, count in rows]


def replace_rows(
    con: Any,
    table: Table,
    typed: str,
    source: str,
    batch: str,
    keys: str | None = None,
    in_order: bool = False,
) -> tuple[int, int]:
    """Delete the raw rows whose keys the file re-delivers, insert ``typed``; (inserted, replaced).

    The re-delivered keys are those of ``keys`` when given (every record of the file,
    for a target that derives rows from some records only), else those of ``typed``.
    Rows land in file order: ``in_order`` says ``typed`` already yields them so (DuckDB
    keeps the order of a plain scan), else they are sorted by ``_row`` on the way.
    """
    raw = quote(raw_name(table))
    replaced = 0
    if con.execute(f"SELECT EXISTS (SELECT 1 FROM {raw})").fetchone()[0]:
        match = " AND ".join(f"{raw}.{quote(k)} = n.{quote(k)}" for k in table.key)
        columns = ", ".join(quote(k) for k in table.key)
        replaced = con.execute(
            f"DELETE FROM {raw} USING (SELECT DISTINCT {columns} FROM {keys or typed}) AS n "
            f"WHERE {match}"
        ).fetchone()[0]
    names = [quote(c.name) for c in table.columns] + [name for name, _ in META_COLUMNS]
    values = [quote(c.name) for c in table.columns] + ["?", "_row", "?"]
    inserted = con.execute(
        f"INSERT INTO {raw} ({', '.join(names)}) SELECT {', '.join(values)} FROM {typed}"
        + ("" if in_order else " ORDER BY _row"),
        [source, batch],
    ).fetchone()[0]
    return int(inserted), int(replaced)


def record_import(
    con: Any,
    batch: str,
    source: str,
    sha256: str,
    table: str,
    preset: str | None,
    timezone: str,
    rows: int,
) -> None:
    """One ``imports`` row per (file, table); an identical re-import keeps the first record."""
    con.execute(IMPORTS_DDL)
    seen = con.execute(
        "SELECT count(*) FROM imports WHERE batch = ? AND table_name = ?", [batch, table]
    ).fetchone()[0]
    if seen:
        return
    con.execute(
        "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, "
        "CAST(timezone('UTC', now()) AS TIMESTAMP))",
        [batch, source, sha256, table, preset, timezone, rows],
    )
