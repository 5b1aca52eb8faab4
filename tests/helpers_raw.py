"""Build ``raw_<table>`` tables by hand, in the layout the importer writes.

Tests of the cleaning step use this instead of the importer, so that they state their
input row by row: canonical columns typed per ``schema.DUCKDB_TYPES`` (timestamps naive,
holding UTC), ``attributes`` JSON, and ``_source``, ``_row`` and ``_batch``.
"""

from __future__ import annotations

import json
from typing import Any

from cxlens.schema import DUCKDB_TYPES, TABLES
from cxlens.store import quote

META = {"_source": "VARCHAR", "_row": "BIGINT", "_batch": "BIGINT"}


def create_raw(con: Any, table_name: str) -> None:
    """Create an empty ``raw_<table_name>`` if there is none."""
    columns = [f"{quote(c.name)} {DUCKDB_TYPES[c.type]}" for c in TABLES[table_name].columns]
    columns += [f"{name} {sql_type}" for name, sql_type in META.items()]
    con.execute(f"CREATE TABLE IF NOT EXISTS raw_{table_name} ({', '.join(columns)})")


def add_raw(
    con: Any,
    table_name: str,
    rows: list[dict[str, Any]],
    *,
    batch: int = 1,
    source: str = "export.csv",
) -> None:
    """Append ``rows`` (canonical column → value) to ``raw_<table_name>``.

    Columns a row leaves out are NULL; ``_row`` counts from 2 (the header is row 1)
    unless a row gives its own. Timestamps may be given as ``'YYYY-MM-DD HH:MM[:SS]'``.
    """
    create_raw(con, table_name)
    spec = TABLES[table_name]
    names = [c.name for c in spec.columns]
    placeholders = [f"CAST(? AS {DUCKDB_TYPES[c.type]})" for c in spec.columns]
    sql = f"INSERT INTO raw_{table_name} VALUES ({', '.join(placeholders)}, ?, ?, ?)"
    values = []
    for index, row in enumerate(rows):
        unknown = set(row) - set(names) - set(META)
        assert not unknown, f"not columns of {table_name}: {unknown}"
        record = [_value(row.get(name)) for name in names]
        record += [row.get("_source", source), row.get("_row", index + 2), row.get("_batch", batch)]
        values.append(record)
    if values:
        con.executemany(sql, values)


def _value(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def clean_rows(
    tmp_path: Any, tables: dict[str, list[dict[str, Any]]], **settings: Any
) -> tuple[Any, list[Any]]:
    """Write ``tables`` as raw tables into a fresh warehouse file and clean it.

    Returns the warehouse and the cleaning rules. ``settings`` are ``Settings`` fields
    (e.g. ``timezone="Asia/Kolkata"``); the time zone defaults to UTC.
    """
    from cxlens.clean import clean_warehouse
    from cxlens.settings import Settings
    from cxlens.store import Warehouse

    warehouse = Warehouse(tmp_path / "cxlens.duckdb")
    with warehouse.transaction() as con:
        for table_name, rows in tables.items():
            add_raw(con, table_name, rows)
    rules = clean_warehouse(warehouse, Settings(root=tmp_path, **settings))
    return warehouse, rules


def fetch(warehouse: Any, sql: str) -> list[tuple[Any, ...]]:
    """All rows of a query on the warehouse."""
    with warehouse.connect() as con:
        return con.execute(sql).fetchall()


def rule_rows(rules: list[Any], rule: str, table_name: str) -> tuple[int, list[str]]:
    """``(rows, example_keys)`` of one rule in a cleaning log."""
    matches = [r for r in rules if r.rule == rule and r.table_name == table_name]
    assert len(matches) == 1, f"{rule} on {table_name}: {len(matches)} log entries"
    return matches[0].rows, matches[0].example_keys


_BY_KIND = object()


def event(
    ticket_id, at, seq, actor, kind="message", public=_BY_KIND, status_to=None, actor_id=None
):
    """A ``ticket_events`` row; ``public`` defaults to true for messages, false otherwise."""
    return {
        "ticket_id": ticket_id,
        "at": at,
        "seq": seq,
        "actor": actor,
        "actor_id": actor_id,
        "kind": kind,
        "public": kind == "message" if public is _BY_KIND else public,
        "status_to": status_to,
    }
