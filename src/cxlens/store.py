"""The warehouse: a DuckDB file by default.

Connections are short-lived: each unit of work opens the file, does its work in a
transaction and closes it, so that a running ``cxlens serve`` never locks out a cron
``cxlens run`` or an import. Opening retries for a while when another process holds
the file's write lock.

Layout inside the warehouse:

- ``raw_<table>``: records as imported (canonical columns, typed, UTC), plus
  ``_source`` (file path), ``_row`` (spreadsheet row) and ``_batch`` (the import);
- ``<table>``: the cleaned tables the metrics read, rebuilt by ``cxlens.clean``;
- ``imports``: one row per imported file; ``cleaning_log``: one row per cleaning rule.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from cxlens.errors import WarehouseError

if TYPE_CHECKING:
    import duckdb
    import ibis

log = logging.getLogger(__name__)

LOCK_RETRY_SECONDS = 30.0
# DuckDB's own default is 80 % of the machine's memory, which a 10-million-row import
# fills with staged text; within this limit it spills to ``<warehouse>.tmp`` instead.
# CXLENS_MEMORY_LIMIT (a DuckDB size such as '4GB') overrides it.
MEMORY_LIMIT = "1GB"


class Warehouse:
    """A DuckDB warehouse file (``:memory:`` for tests that need nothing on disk)."""

    def __init__(self, location: str | Path) -> None:
        location = str(location)
        if "://" in location:
            raise WarehouseError(
                f"warehouse {location!r}: only DuckDB files are supported in this release; "
                "give a path such as 'cxlens.duckdb'"
            )
        self.location = location
        self._memory = None
        if location == ":memory:":
            import duckdb

            self._memory = duckdb.connect(":memory:")

    def __repr__(self) -> str:
        return f"Warehouse({self.location!r})"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one unit of work; closed (never committed half-way) afterwards."""
        if self._memory is not None:
            yield self._memory
            return
        con = self._open(read_only)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection inside one transaction: all of it lands, or none of it."""
        with self.connect() as con:
            con.begin()
            try:
                yield con
            except BaseException:
                con.rollback()
                raise
            con.commit()

    def ibis(self, con: duckdb.DuckDBPyConnection) -> ibis.BaseBackend:
        """An Ibis backend over an open connection, for metric expressions."""
        import ibis

        return ibis.duckdb.from_connection(con)

    def stored_settings(self) -> str | None:
        """The settings the tables were last cleaned with (JSON), if the file holds any."""
        if self._memory is None and not Path(self.location).exists():
            return None
        with self.connect(read_only=self._memory is None) as con:
            if not has_table(con, "project_settings"):
                return None
            return con.execute("SELECT settings FROM project_settings").fetchall()[0][0]

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        import duckdb

        path = Path(self.location)
        if read_only and not path.exists():
            raise WarehouseError(
                f"warehouse {path} does not exist yet; import data first "
                "(cxlens import FILE --table T, or cxlens run)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + LOCK_RETRY_SECONDS
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise WarehouseError(f"cannot open warehouse {path}: {error}") from None
                log.debug("warehouse %s is locked; retrying in %.2fs", path, delay)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            try:
                con.execute("SET memory_limit = ?", [memory_limit()])
            except duckdb.Error as error:
                con.close()
                raise WarehouseError(
                    f"CXLENS_MEMORY_LIMIT={memory_limit()!r} is not a size DuckDB accepts "
                    f"({error}); give one such as '1GB' or '4GB'"
                ) from None
            return con


def memory_limit() -> str:
    """How much memory a warehouse connection may hold before DuckDB spills to disk."""
    import os

    return os.environ.get("CXLENS_MEMORY_LIMIT") or MEMORY_LIMIT


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the warehouse holds a (non-temporary) table ``name``: the one such check.

    ``duckdb_tables()`` answers at once, where ``information_schema`` takes milliseconds;
    temporary tables are left out, as an in-memory warehouse shares its connection with
    an import's scratch tables.
    """
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
    ).fetchone()
    return bool(row and row[0])


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> set[str]:
    """The columns of the (non-temporary) table ``name``; empty if there is none."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name <> 'temp'",
        [name],
    ).fetchall()
    return {r[0] for r in rows}


def quote(identifier: str) -> str:
    """Quote an SQL identifier (the one place cxlens does so)."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """Quote an SQL string literal (the one place cxlens does so)."""
    return "'" + text.replace("'", "''") + "'"
