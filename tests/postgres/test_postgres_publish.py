"""Publishing a staging file to Postgres: values survive, one transaction, our schema only,
a republish when the staging file changed, and clear errors for a bad URL."""

import datetime
import math
import socket

import pytest

from cxlens.errors import WarehouseError
from cxlens.store import Warehouse

pytestmark = pytest.mark.postgres

ODD_ROWS = """
    CREATE TABLE odd_values AS SELECT * FROM (VALUES
        (1, '', 1/3, true, TIMESTAMP '2024-03-05 09:00:00.123456', ['a', 'b,c'],
         '{"k": "v"}'::JSON, 12345678901234567890::HUGEINT),
        (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (3, 'say "hi",
    then 中文', 1e-300, false, TIMESTAMP '1999-12-31 23:59:59', [], '[]'::JSON, -1::HUGEINT)
    ) AS t(id, text_value, number, flag, seen_at, tags, attributes, big)
"""


def _rows(url: str, sql: str):
    import psycopg  # the [postgres] extra; `make test` collects this file without it

    with psycopg.connect(url) as con:
        return con.execute(sql).fetchall()


def _schemas(url: str) -> set[str]:
    return {name for (name,) in _rows(url, "SELECT nspname FROM pg_namespace")}


def _staged(tmp_path, server, schema: str) -> Warehouse:
    warehouse = Warehouse(server, staging=tmp_path / "staging.duckdb", schema=schema)
    with warehouse.transaction() as con:
        con.execute(ODD_ROWS)
        con.execute("CREATE TABLE raw_tickets AS SELECT 1 AS ticket_id")
        con.execute("CREATE TABLE imports AS SELECT 1 AS batch")
    return warehouse


def test_publish_keeps_empty_strings_nulls_quotes_and_numbers(tmp_path, server):
    warehouse = _staged(tmp_path, server, "odd")
    assert warehouse.publish() == ["odd_values"]  # raw_* and imports stay in the staging file
    got = _rows(server, "SELECT * FROM odd.odd_values ORDER BY id")
    assert got[0][:5] == (1, "", 1 / 3, True, datetime.datetime(2024, 3, 5, 9, 0, 0, 123456))
    assert got[0][5:] == (["a", "b,c"], {"k": "v"}, 12345678901234567890)
    assert got[1] == (2, None, None, None, None, None, None, None)
    assert got[2][1] == 'say "hi",\n    then 中文'
    assert got[2][2] == 1e-300 and got[2][3] is False
    assert (got[2][5], got[2][6], got[2][7]) == ([], [], -1)
    assert {"odd"} <= _schemas(server)
    assert not [s for s in _schemas(server) if s.startswith("odd_new")]


def test_a_failed_publish_leaves_the_published_tables_as_they_were(tmp_path, server):
    warehouse = _staged(tmp_path, server, "atomic")
    warehouse.publish()
    with warehouse.transaction() as con:  # Postgres text cannot hold a NUL character
        con.execute("CREATE TABLE later AS SELECT 1 AS id")
        con.execute("INSERT INTO odd_values (id, text_value) VALUES (4, 'a' || chr(0) || 'b')")
    with pytest.raises(WarehouseError, match="nothing was changed"):
        warehouse.publish()
    assert _rows(server, "SELECT count(*) FROM atomic.odd_values") == [(3,)]
    tables = _rows(server, "SELECT tablename FROM pg_tables WHERE schemaname = 'atomic'")
    assert tables == [("odd_values",)]
    assert not [s for s in _schemas(server) if s.startswith("atomic_new")]


def test_a_schema_cxlens_did_not_create_is_never_replaced(tmp_path, server):
    import psycopg

    with psycopg.connect(server, autocommit=True) as con:
        con.execute("CREATE SCHEMA theirs; CREATE TABLE theirs.precious (x int)")
    warehouse = _staged(tmp_path, server, "theirs")
    with pytest.raises(WarehouseError, match="not created by cxlens"):
        warehouse.publish()
    assert _rows(server, "SELECT tablename FROM pg_tables WHERE schemaname = 'theirs'") == [
        ("precious",)
    ]


def test_metrics_republish_after_the_staging_file_changed(tmp_path, server):
    warehouse = _staged(tmp_path, server, "fresh")
    warehouse.publish()
    with warehouse.transaction() as con:
        con.execute("INSERT INTO odd_values (id) VALUES (4), (5)")
    with warehouse.metrics() as backend:
        counted = backend.table("odd_values").count().execute()
    assert counted == 5
    assert _rows(server, "SELECT count(*) FROM fresh.odd_values") == [(5,)]


def test_a_wrong_password_is_a_warehouse_error_without_the_password(tmp_path, server):
    wrong = server.replace(":s3cret-pw@", ":not-the-pw@")
    warehouse = Warehouse(wrong, staging=tmp_path / "none.duckdb")
    with pytest.raises(WarehouseError, match="password authentication failed") as caught:
        with warehouse.metrics():
            pass
    assert "not-the-pw" not in str(caught.value)
    assert ":***@127.0.0.1" in str(caught.value)


def test_nothing_listening_is_a_warehouse_error(tmp_path):
    with socket.socket() as probe:  # a port that was free a moment ago, on 127.0.0.1
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgres://cxlens:pw@127.0.0.1:{port}/cxlens"
    warehouse = Warehouse(url, staging=tmp_path / "none.duckdb")
    with pytest.raises(WarehouseError, match=rf"cannot connect.*127\.0\.0\.1.*{port}"):
        warehouse.stored_settings()


def test_doubles_nan_and_infinity_round_trip_exactly(tmp_path, server):
    """Doubles go over as their shortest exact text; NaN and infinities survive."""
    warehouse = Warehouse(server, staging=tmp_path / "staging.duckdb", schema="floats")
    with warehouse.transaction() as con:
        con.execute(
            "CREATE TABLE floats AS SELECT * FROM (VALUES (1, 'NaN'::DOUBLE), "
            "(2, 'inf'::DOUBLE), (3, 0.1::DOUBLE + 0.2::DOUBLE), (4, -1e-320::DOUBLE)) AS t(id, x)"
        )
        expected = con.execute("SELECT x FROM floats ORDER BY id").fetchall()
    warehouse.publish()
    got = [x for (x,) in _rows(server, "SELECT x FROM floats.floats ORDER BY id")]
    assert math.isnan(got[0]) and got[1] == math.inf
    assert got[2:] == [x for (x,) in expected[2:]] == [0.1 + 0.2, -1e-320]
