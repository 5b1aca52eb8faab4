"""Spark as the metrics engine of a ``pyspark://`` warehouse.

Import and clean stay DuckDB SQL, in the staging file inside ``[spark] tables_dir``.
``publish`` writes each cleaned table from there as Parquet (one folder per table);
``backend`` opens the process's Spark session, registers those folders as views under
the tables' own names and hands the metrics an Ibis backend over it, so the KPI
expressions that run on DuckDB run unchanged on Spark.

Which session:

- ``pyspark://`` — in this process: a new session (own views and settings) on the
  Spark context of a session already running here (a notebook, an application), or the
  session of ``spark-submit`` (its master and settings); otherwise a local one:
  ``local[2]``, two shuffle partitions (the metrics' aggregates are small), no web UI,
  bound to 127.0.0.1. Every session cxlens uses runs in UTC (``SESSION_CONFIG``);
- ``pyspark://host:port`` or ``sc://host:port`` — a Spark Connect server. Its executors
  must be able to read ``tables_dir`` (a shared mount); cxlens's tests run local mode only.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxlens.errors import WarehouseError

if TYPE_CHECKING:
    from cxlens.store import Warehouse

log = logging.getLogger(__name__)

LOCAL_MASTER = "local[2]"
LOCAL_CONFIG = {
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    # cxlens creates no Spark tables; keep Spark's empty spark-warehouse/ out of the
    # working folder
    "spark.sql.warehouse.dir": str(Path(tempfile.gettempdir()) / "cxlens-spark-warehouse"),
}
# Set on whichever session cxlens uses. DuckDB writes the local times as timestamps
# without a zone; Spark reads them so (TIMESTAMP_NTZ), and a UTC session keeps any
# zone-aware conversion from shifting them.
SESSION_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}

_SESSIONS: dict[str, Any] = {}
# url -> {"session", "backend": Ibis over it, "views": {name: folder}, "key": registered}
_OPEN: dict[str, dict[str, Any]] = {}


def publish(warehouse: Warehouse) -> list[str]:
    """Write every cleaned table of the staging file as Parquet under ``tables_dir``.

    Records as imported (``raw_*``) and the import ledger stay in the staging file; the
    cleaned tables, ``cleaning_log``, ``project_settings`` and ``customer_aliases`` are
    written. A folder of a table the staging file no longer holds is removed.
    """
    from cxlens.store import PUBLISHED_MARK, UNPUBLISHED

    folder = warehouse.tables_dir
    folder.mkdir(parents=True, exist_ok=True)
    if not warehouse.path.exists():
        return []
    with warehouse.connect(read_only=True) as con:
        listed = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
            "AND schema_name = current_schema() ORDER BY table_name"
        ).fetchall()
        names = [name for (name,) in listed if not name.startswith(UNPUBLISHED)]
        for name in names:
            _write_table(con, name, folder)
    for gone in set(warehouse.published().get("tables", [])) - set(names):
        shutil.rmtree(folder / gone, ignore_errors=True)
    _write_mark(folder / PUBLISHED_MARK, {"tables": names, "at": time.time_ns()})
    log.info("published %d table(s) to %s", len(names), folder)
    return names


def _write_table(con, name: str, folder: Path) -> None:
    """One table to ``folder/name`` by a rename of a freshly written folder."""
    from cxlens.store import literal, quote

    fresh = folder / f".{name}.{os.getpid()}.new"
    old = folder / f".{name}.{os.getpid()}.old"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh.mkdir()
    target = literal(str(fresh / "part-0.parquet"))
    con.execute(f"COPY (SELECT * FROM {quote(name)}) TO {target} (FORMAT parquet)")
    final = folder / name
    if final.exists():
        final.rename(old)
    fresh.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _write_mark(path: Path, content: dict) -> None:
    fresh = path.with_name(path.name + ".new")
    fresh.write_text(json.dumps(content), encoding="utf-8")
    os.replace(fresh, path)


def backend(url: str, folder: Path, published: dict):
    """An Ibis backend on the Spark session of ``url`` with the published tables as views.

    Views are registered again only when another warehouse or a newer publication is
    asked for; a view left from another warehouse's table this one lacks is dropped.
    """
    opened = _OPEN.get(url)
    if opened is None:
        import ibis

        spark = session(url)
        opened = {"session": spark, "backend": ibis.pyspark.connect(spark), "views": {}}
        opened["key"] = None
        _OPEN[url] = opened
    key = (str(folder), published.get("at"))
    if opened["key"] != key:
        _register(opened, folder, published.get("tables", []))
        opened["key"] = key
    return opened["backend"]


def _register(opened: dict, folder: Path, tables: list[str]) -> None:
    spark = opened["session"]
    for name in set(opened["views"]) - set(tables):
        spark.catalog.dropTempView(name)
    opened["views"] = {}
    for name in tables:
        spark.read.parquet(str(folder / name)).createOrReplaceTempView(name)
        opened["views"][name] = folder / name
    log.debug("Spark views over %s: %s", folder, ", ".join(tables))


def session(url: str):
    """The Spark session for ``url`` (see the module's description); one per process."""
    if url not in _SESSIONS:
        _SESSIONS[url] = _start(url)
    return _SESSIONS[url]


def _start(url: str):
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise WarehouseError(
            f"warehouse {url!r} needs Spark: install cxlens with its spark extra "
            "(pip install 'cxlens[spark]') and Java 17 or later"
        ) from None
    host = url.split("://", 1)[1].strip("/")
    active = SparkSession.getActiveSession()
    if host:
        spark = SparkSession.builder.remote(f"sc://{host}").getOrCreate()
    elif active is not None:  # a notebook's or an application's: its cluster, our own views
        spark = active.newSession()
    elif "PYSPARK_GATEWAY_PORT" in os.environ:  # started by spark-submit: its master, its conf
        spark = SparkSession.builder.appName("cxlens").getOrCreate()
    else:
        spark = _local(SparkSession)
    for option, value in SESSION_CONFIG.items():
        spark.conf.set(option, value)
    return spark


def _local(spark_session):
    builder = spark_session.builder.master(LOCAL_MASTER).appName("cxlens")
    for option, value in LOCAL_CONFIG.items():
        builder = builder.config(option, value)
    started = time.monotonic()
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    log.info("local Spark session started in %.1f s", time.monotonic() - started)
    return spark
