"""The import's quick paths give what the plain definitions give.

``cx_na`` trims and nulls every staged value with a quick test first; the decimal-comma
survey skips values without a separator; typed rows are parsed in a view and written
in file order without a sort; bad values are listed only when a count finds some.
Each expected value here is computed by a second method (plain Python), not by cxlens.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlens.errors import RowsRejected, WarehouseError
from cxlens.ingest import import_file, parse
from cxlens.ingest.convert import TRIMMED, install_na
from cxlens.store import Warehouse

EDGE_TEXT = st.text(
    alphabet=st.sampled_from(list("aNn/#-—lu ,.0x\t\r\n\u00a0\u3000\ufeffé中")), max_size=8
)


def python_na(value: str | None, extra: tuple[str, ...] = ()) -> str | None:
    """The definition: trim the listed blanks, then NULL for a "missing" word (any case)."""
    if value is None:
        return None
    trimmed = value.strip("".join(TRIMMED))
    words = {w.lower() for w in (*parse.NA_VALUES, *extra)}
    return None if trimmed.lower() in words else trimmed


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    install_na(connection, ["nil"])
    yield connection
    connection.close()


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.none(), EDGE_TEXT, st.sampled_from([" NULL ", "\u3000n/a", "N/A\t"])))
def test_cx_na_matches_trim_then_lookup(con, value):
    got = con.execute("SELECT cx_na(?)", [value]).fetchone()[0]
    assert got == python_na(value, ("nil",))


def test_cx_na_on_hand_picked_values(con):
    values = ["  ", "\ufeffT1", "T2\u00a0", " nil ", "NaN", "nano", "—", "-1", "\t—\t", ""]
    got = [con.execute("SELECT cx_na(?)", [v]).fetchone()[0] for v in values]
    assert got == [None, "T1", "T2", None, None, "nano", None, "-1", None, None]


def test_rows_land_in_file_order_with_trimmed_values(tmp_path):
    # 3,000 rows read in parallel: raw_tickets must hold them in the file's order
    lines = ["ticket_id,created_at,reopens,channel"]
    lines += [f" T{i}\u00a0,2024-01-{i % 28 + 1:02d} 10:00, {i % 3} ,N/A" for i in range(3000)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_file(warehouse, path, table="tickets")
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT ticket_id, reopens, channel, _row FROM raw_tickets ORDER BY rowid"
        ).fetchall()
    assert rows == [(f"T{i}", i % 3, None, i + 2) for i in range(3000)]


def test_decimal_comma_column_told_by_values_with_separators(tmp_path):
    # case: 12,5 and 1.234,50 show a decimal comma; plain 7 says nothing either way
    path = tmp_path / "o.csv"
    path.write_text(
        "order_id,customer_id,ordered_at,amount\n"
        'O1,C1,2024-01-01,"12,5"\nO2,C1,2024-01-02,7\nO3,C1,2024-01-03,"1.234,50"\n',
        encoding="utf-8",
    )
    warehouse = Warehouse(":memory:")
    import_file(warehouse, path, table="orders")
    with warehouse.connect() as con:
        got = con.execute("SELECT amount FROM raw_orders ORDER BY _row").fetchall()
    assert got == [(12.5,), (7.0,), (1234.5,)]


def test_errors_of_one_row_are_listed_in_column_order(tmp_path):
    lines = ["ticket_id,created_at,reopens"] + [f"{i},someday,x" for i in range(4)]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RowsRejected) as caught:
        import_file(Warehouse(":memory:"), path, table="tickets", max_errors=50)
    listed = [(e.row, e.canonical) for e in caught.value.errors]
    expected = [(row, c) for row in range(2, 6) for c in ("created_at", "reopens")]
    assert listed == expected and caught.value.total == 8


def test_memory_limit_is_set_and_can_be_overridden(tmp_path, monkeypatch):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with warehouse.connect() as con:
        default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    monkeypatch.setenv("CXLENS_MEMORY_LIMIT", "512MB")
    with warehouse.connect() as con:
        lowered = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert (default, lowered) == ("953.6 MiB", "488.2 MiB")  # 10^9 and 5.12 * 10^8 bytes
    monkeypatch.setenv("CXLENS_MEMORY_LIMIT", "lots")
    with pytest.raises(WarehouseError, match="CXLENS_MEMORY_LIMIT"):
        with warehouse.connect():
            pass
