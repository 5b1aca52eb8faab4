"""The warehouse: a DuckDB file by default, or Parquet tables read by Spark.

Connections are short-lived: each unit of work opens the file, does its work in a
transaction and closes it, so that a running ``cxlens serve`` never locks out a cron
``cxlens run`` or an import. Opening retries for a while when another process holds
the file's write lock.

Layout inside the warehouse:

- ``raw_<table>``: records as imported (canonical columns, typed, UTC), plus
  ``_source`` (file path), ``_row`` (spreadsheet row) and ``_batch`` (the import);
- ``<table>``: the cleaned tables the metrics read, rebuilt by ``cxlens.clean``;
- ``imports``: one row per imported file; ``cleaning_log``: one row per cleaning rule.

With ``warehouse = "pyspark://"`` the same DuckDB layout lives in a staging file inside
``[spark] tables_dir`` (import and clean stay DuckDB SQL); ``publish`` then writes every
cleaned table as Parquet, one folder per table, and the metrics run on Spark over those
folders (``cxlens.spark``). With ``warehouse = "postgres://…"`` the staging file is
``[postgres] staging`` and ``publish`` copies the cleaned tables into a Postgres schema,
where the metrics run (``cxlens.postgres``).
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

    from cxlens.settings import Settings

log = logging.getLogger(__name__)

LOCK_RETRY_SECONDS = 30.0
# DuckDB's own default is 80 % of the machine's memory, which a 10-million-row import
# fills with staged text; within this limit it spills to ``<warehouse>.tmp`` instead.
# CXLENS_MEMORY_LIMIT (a DuckDB size such as '4GB') overrides it.
MEMORY_LIMIT = "1GB"
# Warehouse URLs cxlens runs its metrics on: Spark in this process (``pyspark://``),
# or a Spark Connect server (``pyspark://host:port``, ``sc://host:port``).
SPARK_SCHEMES = ("pyspark", "sc")
DEFAULT_TABLES_DIR = "spark-tables"
STAGING_FILE = "staging.duckdb"
PUBLISHED_MARK = "_published.json"
# Tables that stay in the staging file: records as imported and the import ledger.
UNPUBLISHED = ("raw_", "imports")


class Warehouse:
    """A DuckDB warehouse file (``:memory:`` for tests that need nothing on disk), or a
    Spark warehouse (``pyspark://``) whose tables live as Parquet under ``tables_dir``.

    ``connect`` and ``transaction`` always give DuckDB: the warehouse file itself, or the
    Spark warehouse's staging file, where import and clean do their work. ``metrics``
    gives the Ibis backend the KPIs run on.
    """

    def __init__(
        self,
        location: str | Path,
        tables_dir: str | Path | None = None,
        *,
        staging: str | Path | None = None,
        schema: str | None = None,
    ) -> None:
        from cxlens import postgres

        location = str(location)
        self.location = location
        self.spark_url: str | None = None
        self.postgres_url: str | None = None
        self.schema = schema or postgres.DEFAULT_SCHEMA
        self.tables_dir: Path | None = None
        self.path = Path(location)
        self._memory = None
        if postgres.is_url(location):
            self.postgres_url = location
            self.path = Path(staging or postgres.DEFAULT_STAGING).resolve()
        elif "://" in location:
            self.spark_url = _spark_url(location)
            self.tables_dir = Path(tables_dir or DEFAULT_TABLES_DIR).resolve()
            self.path = self.tables_dir / STAGING_FILE
        elif location == ":memory:":
            import duckdb

            self._memory = duckdb.connect(":memory:")

    @classmethod
    def for_settings(cls, settings: Settings, location: str | None = None) -> Warehouse:
        """The project's warehouse (or ``location``, as ``--db`` gives it).

        A Spark warehouse keeps its tables in ``[spark] tables_dir``, relative to the
        folder of the cxlens.toml (default ``spark-tables``). A Postgres warehouse stages
        in ``[postgres] staging`` (default ``cxlens-staging.duckdb``, relative to the same
        folder) and publishes to ``[postgres] schema`` (default ``cxlens``).
        """
        from cxlens import postgres

        location = location or settings.warehouse_path
        tables_dir = Path(settings.spark.get("tables_dir", DEFAULT_TABLES_DIR))
        staging = Path(settings.postgres.get("staging", postgres.DEFAULT_STAGING))
        return cls(
            location,
            tables_dir=settings.root / tables_dir,
            staging=settings.root / staging,
            schema=settings.postgres.get("schema"),
        )

    @property
    def is_spark(self) -> bool:
        return self.spark_url is not None

    @property
    def is_postgres(self) -> bool:
        return self.postgres_url is not None

    @property
    def target(self) -> str:
        """Where a Postgres warehouse publishes: its URL without the password, and schema."""
        from cxlens import postgres

        return f"{postgres.display(self.postgres_url or '')} (schema {self.schema})"

    @property
    def published_mark(self) -> Path:
        """The file beside a Postgres warehouse's staging file recording the last publish."""
        return self.path.with_name(self.path.name + ".published.json")

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

    @contextmanager
    def metrics(self) -> Iterator[ibis.BaseBackend]:
        """The Ibis backend the metrics run on, for one unit of work.

        DuckDB: the warehouse file, read-only. Spark: the process's Spark session with
        the published Parquet tables registered under their names (published first if
        the staging file changed since).
        """
        if self.is_postgres:
            with self._postgres_metrics() as backend:
                yield backend
            return
        if not self.is_spark:
            with self.connect(read_only=True) as con:
                yield self.ibis(con)
            return
        from cxlens import spark

        if not self.path.exists():
            raise WarehouseError(
                f"warehouse {self.location} has no tables in {self.tables_dir} yet; import "
                "data first (cxlens import FILE --table T, or cxlens run)"
            )
        if self.stale():
            self.publish()
        yield spark.backend(self.spark_url, self.tables_dir, self.published())

    @contextmanager
    def _postgres_metrics(self) -> Iterator[ibis.BaseBackend]:
        """Postgres: published first if the staging file changed since the last publish;
        without a staging file here, the tables as published (from another machine)."""
        from cxlens import postgres

        if postgres.stale(self):
            postgres.publish(self)
        with postgres.backend(self) as backend:
            yield backend

    def publish(self) -> list[str]:
        """Write the cleaned tables of a Spark warehouse as Parquet; no-op for DuckDB.

        One folder per table under ``tables_dir``, each written to a temporary folder and
        then renamed into place, so a reader sees the old table or the new one. Returns
        the names published.
        """
        if self.is_postgres:
            from cxlens import postgres

            return postgres.publish(self)
        if not self.is_spark:
            return []
        from cxlens import spark

        return spark.publish(self)

    def published(self) -> dict:
        """What the last ``publish`` wrote (tables and when), or an empty dict."""
        import json

        mark = self.tables_dir / PUBLISHED_MARK if self.tables_dir else None
        if mark is None or not mark.exists():
            return {}
        return json.loads(mark.read_text(encoding="utf-8"))

    def stale(self) -> bool:
        """Whether the staging file changed after the Parquet tables were last published."""
        mark = self.tables_dir / PUBLISHED_MARK
        if not self.path.exists():
            return False
        return not mark.exists() or self.path.stat().st_mtime_ns > mark.stat().st_mtime_ns

    def stored_settings(self) -> str | None:
        """The settings the tables were last cleaned with (JSON), if the file holds any."""
        if self.is_postgres and not self.path.exists():
            from cxlens import postgres

            return postgres.stored_settings(self)
        if self._memory is None and not self.path.exists():
            return None
        with self.connect(read_only=self._memory is None) as con:
            if not has_table(con, "project_settings"):
                return None
            return con.execute("SELECT settings FROM project_settings").fetchall()[0][0]

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        import duckdb

        path = self.path
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


def _spark_url(location: str) -> str:
    scheme = location.split("://", 1)[0].lower()
    if scheme not in SPARK_SCHEMES:
        raise WarehouseError(
            f"warehouse {scheme}://…: cxlens keeps its tables in a DuckDB file (a path such "
            "as 'cxlens.duckdb'), runs them on Spark ('pyspark://' in this process, "
            "'sc://host:port' for a Spark Connect server) or on Postgres "
            "('postgres://user:password@host:5432/database'); other URLs are not supported"
        )
    return location


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
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
    ).fetchall()  # read to the end: a half-read result blocks the connection's next query
    return bool(rows and rows[0][0])


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
