"""Postgres as the metrics engine of a ``postgres://`` warehouse.

Import and clean stay DuckDB SQL, in a local staging file (``[postgres] staging``).
``publish`` copies every cleaned table from there into one Postgres schema
(``[postgres] schema``, default ``cxlens``) in a single transaction: the tables are
written into a fresh schema, streamed as Arrow record batches through ``COPY``, and
the fresh schema then takes the old one's name, so a reader sees the old tables or the
new ones, never a mix. ``backend`` hands the metrics an Ibis backend on that schema, so
the KPI expressions that run on DuckDB run unchanged on Postgres (which computes
medians and percentiles exactly, with ``percentile_cont``).

A schema cxlens did not create is never replaced: cxlens marks its own with a comment.
Passwords never appear in messages or logs (``display``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from cxlens.errors import WarehouseError

if TYPE_CHECKING:
    import duckdb
    import ibis
    import psycopg

    from cxlens.store import Warehouse

log = logging.getLogger(__name__)

SCHEMES = ("postgres", "postgresql")
DEFAULT_SCHEMA = "cxlens"
DEFAULT_STAGING = "cxlens-staging.duckdb"
# Rows per Arrow record batch streamed from the staging file into COPY: large enough
# that a batch's fixed costs vanish, small enough to keep memory flat.
BATCH_ROWS = 100_000
# The comment on every schema cxlens publishes; its JSON tail says what and when.
MARK = "cxlens warehouse"
CONNECT_TIMEOUT = "10"
# DuckDB type (its first word) -> Postgres column type. Lists, structs and maps are
# written as JSON text; any type not listed is written as text.
POSTGRES_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "UTINYINT": "smallint",
    "SMALLINT": "smallint",
    "USMALLINT": "integer",
    "INTEGER": "integer",
    "UINTEGER": "bigint",
    "BIGINT": "bigint",
    "UBIGINT": "numeric(20)",
    "HUGEINT": "numeric(39)",
    "UHUGEINT": "numeric(39)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "JSON": "json",
    "VARCHAR": "text",
}


def is_url(location: str) -> bool:
    """Whether ``location`` names a Postgres database (``postgres://`` or ``postgresql://``)."""
    return location.split("://", 1)[0].lower() in SCHEMES if "://" in location else False


def display(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def connect(url: str, schema: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    """A psycopg connection to ``url`` in UTC (with ``schema`` first on the search path).

    A failure to connect (wrong password, nothing listening, no such database) becomes
    a ``WarehouseError`` that names the server without the password.
    """
    try:
        import psycopg
    except ImportError:
        raise WarehouseError(
            f"warehouse {display(url)} needs the Postgres driver: install cxlens with its "
            "postgres extra (pip install 'cxlens[postgres]')"
        ) from None
    options = "-c TimeZone=UTC" + (f" -c search_path={schema}" if schema else "")
    try:
        return psycopg.connect(
            url, autocommit=autocommit, options=options, connect_timeout=CONNECT_TIMEOUT
        )
    except psycopg.Error as error:
        reason = " ".join(str(error).replace(url, display(url)).split())
        raise WarehouseError(
            f"cannot connect to the Postgres warehouse {display(url)}: {reason}; check the "
            "host, port, user, password and database in the warehouse URL"
        ) from None


def publish(warehouse: Warehouse) -> list[str]:
    """Copy every cleaned table of the staging file into the warehouse's Postgres schema.

    Records as imported (``raw_*``) and the import ledger stay in the staging file.
    One transaction: the tables go into a fresh schema that then replaces the old one.
    Returns the names published.
    """
    if not warehouse.path.exists():
        return []
    started = time.monotonic()
    schema, fresh = warehouse.schema, f"{warehouse.schema}_new_{os.getpid()}"
    with warehouse.connect(read_only=True) as duck, _writer(warehouse) as pg:
        names = _publishable(duck)
        _check_ours(pg, schema, warehouse)
        pg.execute(f"DROP SCHEMA IF EXISTS {_ident(fresh)} CASCADE")
        pg.execute(f"CREATE SCHEMA {_ident(fresh)}")
        for name in names:
            _copy_table(duck, pg, name, fresh)
        at = time.time_ns()
        pg.execute(f"DROP SCHEMA IF EXISTS {_ident(schema)} CASCADE")
        pg.execute(f"ALTER SCHEMA {_ident(fresh)} RENAME TO {_ident(schema)}")
        stamp = json.dumps({"tables": names, "at": at})
        pg.execute(f"COMMENT ON SCHEMA {_ident(schema)} IS {_text(MARK + ' ' + stamp)}")
    _write_mark(warehouse, {"target": warehouse.target, "tables": names, "at": at})
    log.info(
        "published %d table(s) to %s in %.1f s",
        len(names),
        warehouse.target,
        time.monotonic() - started,
    )
    return names


@contextmanager
def _writer(warehouse: Warehouse) -> Iterator[psycopg.Connection]:
    """A connection inside one transaction: every table lands, or none does."""
    import psycopg

    con = connect(warehouse.postgres_url)
    try:
        with con.transaction():
            yield con
    except psycopg.Error as error:
        raise WarehouseError(
            f"publishing to the Postgres warehouse {warehouse.target} failed, nothing was "
            f"changed: {' '.join(str(error).split())}"
        ) from None
    finally:
        con.close()


def _publishable(duck: duckdb.DuckDBPyConnection) -> list[str]:
    from cxlens.store import UNPUBLISHED

    listed = duck.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
        "AND schema_name = current_schema() ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in listed if not name.startswith(UNPUBLISHED)]


def _check_ours(pg: psycopg.Connection, schema: str, warehouse: Warehouse) -> None:
    """Refuse to replace a schema that exists and was not published by cxlens."""
    row = pg.execute(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
        [schema],
    ).fetchone()
    if row is not None and not (row[0] or "").startswith(MARK):
        raise WarehouseError(
            f"the Postgres schema {schema!r} of {display(warehouse.postgres_url)} exists and "
            "was not created by cxlens, which replaces its schema on every publish; name "
            "another one in cxlens.toml ([postgres] schema = 'cxlens')"
        )


def _copy_table(duck: duckdb.DuckDBPyConnection, pg: psycopg.Connection, name: str, schema: str):
    """One table: created with Postgres types, then filled by COPY from Arrow batches."""
    import pyarrow.csv as csv

    from cxlens.store import quote

    columns = duck.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
        "AND schema_name = current_schema() AND database_name = current_database() "
        "ORDER BY column_index",
        [name],
    ).fetchall()
    definitions, selected = [], []
    for column, duck_type in columns:
        pg_type, expression = _column(column, duck_type)
        definitions.append(f"{_ident(column)} {pg_type}")
        selected.append(f"{expression} AS {quote(column)}")
    target = f"{_ident(schema)}.{_ident(name)}"
    pg.execute(f"CREATE TABLE {target} ({', '.join(definitions)})")
    reader = duck.sql(f"SELECT {', '.join(selected)} FROM {quote(name)}").to_arrow_reader(
        BATCH_ROWS
    )
    options = csv.WriteOptions(include_header=False)
    with pg.cursor().copy(f"COPY {target} FROM STDIN (FORMAT csv)") as copy:
        for batch in reader:
            buffer = io.BytesIO()
            csv.write_csv(batch, buffer, options)
            copy.write(buffer.getbuffer())


def _column(column: str, duck_type: str) -> tuple[str, str]:
    """The Postgres type of a staging column and the DuckDB expression that feeds it.

    CSV (as COPY reads it) writes a null as an empty field and an empty string as
    ``""``, so both survive; nested values go over as JSON text.
    """
    from cxlens.store import quote

    name = quote(column)
    if duck_type.startswith("DECIMAL"):
        return "numeric" + duck_type[len("DECIMAL") :], name
    if duck_type.endswith("]") or duck_type.startswith(("STRUCT", "MAP", "UNION")):
        return "json", f"to_json({name})::VARCHAR"
    if duck_type in ("JSON", "UUID"):
        return POSTGRES_TYPES[duck_type], f"{name}::VARCHAR"
    if duck_type in POSTGRES_TYPES:
        return POSTGRES_TYPES[duck_type], name
    return "text", f"{name}::VARCHAR"


def _write_mark(warehouse: Warehouse, content: dict) -> None:
    mark = warehouse.published_mark
    fresh = mark.with_name(mark.name + ".new")
    fresh.write_text(json.dumps(content), encoding="utf-8")
    os.replace(fresh, mark)


def published(warehouse: Warehouse) -> dict:
    """What the last ``publish`` from this staging file wrote (target, tables, time)."""
    mark = warehouse.published_mark
    if not mark.exists():
        return {}
    return json.loads(mark.read_text(encoding="utf-8"))


def stale(warehouse: Warehouse) -> bool:
    """Whether the staging file changed (or the target moved) since the last publish."""
    if not warehouse.path.exists():
        return False
    mark = warehouse.published_mark
    if not mark.exists() or published(warehouse).get("target") != warehouse.target:
        return True
    return warehouse.path.stat().st_mtime_ns > mark.stat().st_mtime_ns


@contextmanager
def backend(warehouse: Warehouse) -> Iterator[ibis.BaseBackend]:
    """An Ibis backend over the warehouse's schema, for one unit of work."""
    import ibis

    con = connect(warehouse.postgres_url, warehouse.schema, autocommit=True)
    try:
        if not _schema_exists(con, warehouse.schema):
            raise WarehouseError(
                f"the Postgres warehouse {warehouse.target} has no tables yet; import data "
                "first (cxlens import FILE --table T, or cxlens run)"
            )
        yield ibis.postgres.from_connection(con)
    finally:
        con.close()


def stored_settings(warehouse: Warehouse) -> str | None:
    """The settings the published tables were cleaned with (JSON), read from Postgres."""
    con = connect(warehouse.postgres_url, warehouse.schema, autocommit=True)
    try:
        listed = con.execute(
            "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'project_settings'",
            [warehouse.schema],
        ).fetchone()
        if listed is None:
            return None
        row = con.execute("SELECT settings::text FROM project_settings").fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _schema_exists(con: psycopg.Connection, schema: str) -> bool:
    row = con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
    return row is not None


def _ident(name: str) -> str:
    """A Postgres identifier, quoted (the same rule as DuckDB's)."""
    from cxlens.store import quote

    return quote(name)


def _text(value: str) -> str:
    from cxlens.store import literal

    return literal(value)
