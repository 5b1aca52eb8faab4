"""Bad input of every reader is refused whole: the message names file, row and column, and
the warehouse is exactly as it was before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxlens.errors import ColumnsError, RowsRejected, UnreadableFile
from cxlens.ingest import import_file
from cxlens.store import Warehouse

GOOD = "ticket_id,created_at\nk1,2024-01-01 10:00\nk2,2024-01-02 11:00\n"


@pytest.fixture
def warehouse(tmp_path):
    """A warehouse that already holds one import, so 'unchanged' means something."""
    warehouse = Warehouse(tmp_path / "w.duckdb")
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    import_file(warehouse, good, table="tickets")
    return warehouse


def snapshot(warehouse):
    """Every table's name and full content, read back through a fresh connection."""
    with warehouse.connect() as con:
        names = sorted(
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        )
        return {
            name: sorted(map(repr, con.execute(f'SELECT * FROM "{name}"').fetchall()))
            for name in names
        }


def refused(warehouse, path, error_type, **kwargs):
    before, before_bytes = snapshot(warehouse), Path(warehouse.location).read_bytes()
    with pytest.raises(error_type) as caught:
        import_file(warehouse, path, **kwargs)
    assert Path(warehouse.location).read_bytes() == before_bytes
    assert snapshot(warehouse) == before
    assert set(before) == {"imports", "raw_tickets"}
    return caught.value


def test_unterminated_quote_csv(tmp_path, warehouse):
    path = tmp_path / "broken.csv"
    path.write_text('ticket_id,created_at,category\nk3,2024-01-01,"never closed\nk4,2024-01-02,x\n')
    error = refused(warehouse, path, UnreadableFile, table="tickets")
    assert str(path) in str(error) and "quote" in str(error)


def test_truncated_xlsx(tmp_path, warehouse):
    import xlsxwriter

    whole = tmp_path / "whole.xlsx"
    book = xlsxwriter.Workbook(str(whole))
    book.add_worksheet("S").write_row(0, 0, ["ticket_id", "created_at"])
    book.close()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole.read_bytes()[:-300])
    error = refused(warehouse, path, UnreadableFile, table="tickets")
    assert str(path) in str(error) and "save it again" in str(error)


def test_truncated_parquet(tmp_path, warehouse):
    import pyarrow as pa
    import pyarrow.parquet as pq

    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.table({"ticket_id": ["a"] * 100, "created_at": ["2024-01-01"] * 100}), whole)
    path = tmp_path / "cut.parquet"
    path.write_bytes(whole.read_bytes()[:-40])
    error = refused(warehouse, path, UnreadableFile, table="tickets")
    assert str(path) in str(error) and "Parquet" in str(error)


def test_truncated_json(tmp_path, warehouse):
    path = tmp_path / "cut.json"
    path.write_text('[{"ticket_id": "k5", "created_at": "2024-01-01"}, {"ticket_id": "k6", "crea')
    error = refused(warehouse, path, UnreadableFile, table="tickets")
    assert str(path) in str(error) and "JSON" in str(error)


def test_json_array_cut_between_records(tmp_path, warehouse):
    # two whole records, then the cut: importing them would drop the rest without a word
    path = tmp_path / "cut.json"
    path.write_text(
        '[{"ticket_id": "k5", "created_at": "2024-01-01"},\n'
        ' {"ticket_id": "k6", "created_at": "2024-01-02"},\n'
    )
    error = refused(warehouse, path, UnreadableFile, table="tickets")
    assert str(path) in str(error) and "cut off" in str(error) and "']'" in str(error)


def test_binary_garbage(tmp_path, warehouse):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 8)
    error = refused(warehouse, path, UnreadableFile, table="tickets")
    assert str(path) in str(error)


def test_wrong_forced_encoding_names_the_byte(tmp_path, warehouse):
    path = tmp_path / "gbk.csv"
    path.write_bytes("ticket_id,created_at\n工单,2024-01-01\n".encode("gbk"))
    error = refused(warehouse, path, UnreadableFile, table="tickets", options={"encoding": "utf-8"})
    assert "not valid utf-8 text at byte 21" in str(error)


def test_missing_column_lists_headers_and_shows_a_mapping(tmp_path, warehouse):
    path = tmp_path / "calls.csv"
    path.write_text("Ticket ID,Opened\nk7,2024-01-01\n")
    error = refused(warehouse, path, ColumnsError, table="tickets")
    assert error.missing == ["created_at"]
    assert "'Ticket ID', 'Opened'" in str(error) and "[[sources]]" in str(error)
    assert "columns = { created_at =" in str(error)


def test_missing_column_suggests_a_preset_the_headers_match(tmp_path, warehouse):
    header = "Call Id,Agent,Date,Time,Topic,Answered (Y/N),Resolved,Speed of answer in seconds,AvgTalkDuration,Satisfaction rating"
    path = tmp_path / "calls.csv"
    path.write_text(
        header + "\nID0001,Diane,2021-01-01,9:12:58,Contract related,Y,Y,109,00:02:23,3\n"
    )
    error = refused(warehouse, path, ColumnsError, table="tickets")
    assert "--preset pwc-call-center" in str(error)


def test_unparseable_date_csv(tmp_path, warehouse):
    path = tmp_path / "dates.csv"
    path.write_text("Ticket ID,Created At\nk8,2024-01-01\nk9,next tuesday\n")
    error = refused(warehouse, path, RowsRejected, table="tickets")
    text = str(error)
    assert str(path) in text and "row 3" in text and "column 'Created At (→ created_at)'" in text
    assert "'next tuesday'" in text


def test_unparseable_number_tsv(tmp_path, warehouse):
    path = tmp_path / "n.tsv"
    path.write_text("ticket_id\tcreated_at\treopens\nk1\t2024-01-01\ttwice\n")
    error = refused(warehouse, path, RowsRejected, table="tickets")
    assert [(e.file, e.row, e.column, e.value) for e in error.errors] == [
        (str(path), 2, "reopens", "twice")
    ]


def test_score_off_scale_xlsx(tmp_path, warehouse):
    import xlsxwriter

    path = tmp_path / "s.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Survey")
    sheet.write_row(0, 0, ["response_id", "kind", "Score", "responded_at"])
    sheet.write_row(1, 0, ["r1", "csat", 4, "2024-01-01"])
    sheet.write_row(2, 0, ["r2", "csat", 6, "2024-01-01"])
    book.close()
    error = refused(warehouse, path, RowsRejected, table="survey_responses")
    assert [(e.row, e.column, e.canonical, e.value) for e in error.errors] == [
        (3, "Score", "score", "6")
    ]
    assert "table" not in str(error) or "survey_responses" not in snapshot(warehouse)


def test_bad_values_json_count_records(tmp_path, warehouse):
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(
            [
                {"response_id": "r1", "kind": "nps", "score": 9, "responded_at": "2024-01-01"},
                {"response_id": "r2", "kind": "nps", "score": 7.5, "responded_at": "2024-01-01"},
            ]
        )
    )
    error = refused(warehouse, path, RowsRejected, table="survey_responses")
    assert [(e.row, e.column, e.value) for e in error.errors] == [(2, "score", "7.5")]
    assert "N-th record" in str(error)


def test_bad_values_parquet(tmp_path, warehouse):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(
        pa.table({"ticket_id": ["p1", "p2"], "created_at": ["2024-01-01", "31/31/2024"]}), path
    )
    error = refused(warehouse, path, RowsRejected, table="tickets")
    assert [(e.row, e.column) for e in error.errors] == [(2, "created_at")]


def test_gbk_file_with_a_bad_value(tmp_path, warehouse):
    path = tmp_path / "g.csv"
    path.write_bytes("工单编号,创建时间,重开次数\nz1,2024-01-01,两次\n".encode("gbk"))
    error = refused(warehouse, path, RowsRejected, table="tickets")
    assert [(e.row, e.column, e.canonical, e.value) for e in error.errors] == [
        (2, "重开次数", "reopens", "两次")
    ]


def test_failed_first_import_creates_no_table(tmp_path):
    warehouse = Warehouse(tmp_path / "fresh.duckdb")
    path = tmp_path / "bad.csv"
    path.write_text("ticket_id,created_at\n1,never\n")
    with pytest.raises(RowsRejected):
        import_file(warehouse, path, table="tickets")
    with warehouse.connect() as con:
        assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 0


def test_event_without_actor_or_kind_names_the_row_and_column(tmp_path, warehouse):
    # row 3 has no actor, row 4 no kind: an event that cannot be placed on any clock
    path = tmp_path / "events.csv"
    path.write_text(
        "ticket_id,at,seq,actor,kind\n"
        "k1,2024-01-01 10:05,1,agent,message\n"
        "k1,2024-01-01 10:06,2,,message\n"
        "k1,2024-01-01 10:07,3,customer,\n"
    )
    error = refused(warehouse, path, RowsRejected, table="ticket_events")
    text = str(error)
    assert error.total == 2
    assert "row 3, column 'actor'" in text and "row 4, column 'kind'" in text
    assert "required" in text


# A time outside 1900–2199 (UTC) is refused at import: a year near 9999 once passed and
# made every later clean fail with OverflowError in the business-hours arithmetic.


@pytest.mark.parametrize("value", ["9999-12-31", "1800-01-01"])
def test_a_date_outside_1900_to_2199_is_refused(tmp_path, warehouse, value):
    path = tmp_path / "far.csv"
    path.write_text(f"ticket_id,Created At\nk5,2024-01-03\nk6,{value}\n")
    with warehouse.connect() as con:
        before = con.execute("SELECT count(*) FROM raw_tickets").fetchone()[0]

    error = refused(warehouse, path, RowsRejected, table="tickets")

    assert [(e.file, e.row, e.column, e.canonical, e.value) for e in error.errors] == [
        (str(path), 3, "Created At", "created_at", value)
    ]
    assert "a date between 1900 and 2199" in str(error)
    with warehouse.connect() as con:
        # GOOD, imported by the fixture, holds two tickets and nothing was added
        assert con.execute("SELECT count(*) FROM raw_tickets").fetchone()[0] == before == 2


def test_the_last_moment_of_2199_and_the_first_of_1900_are_kept(tmp_path, warehouse):
    path = tmp_path / "edges.csv"
    path.write_text("ticket_id,created_at\ne1,2199-12-31 23:59:59\ne2,1900-01-01 00:00:00\n")

    import_file(warehouse, path, table="tickets")

    with warehouse.connect() as con:
        stored = con.execute(
            "SELECT ticket_id, strftime(created_at, '%Y-%m-%d %H:%M:%S') FROM raw_tickets "
            "WHERE ticket_id IN ('e1', 'e2') ORDER BY ticket_id"
        ).fetchall()
    assert stored == [("e1", "2199-12-31 23:59:59"), ("e2", "1900-01-01 00:00:00")]


def test_a_local_time_that_is_2200_in_utc_is_refused(tmp_path, warehouse):
    # 2199-12-31 20:00 in New York (UTC-5 in winter) is 2200-01-01 01:00 UTC
    path = tmp_path / "ny.csv"
    path.write_text("ticket_id,created_at\nn1,2199-12-31 18:00\nn2,2199-12-31 20:00\n")

    error = refused(warehouse, path, RowsRejected, table="tickets", timezone="America/New_York")

    assert [(e.row, e.value) for e in error.errors] == [(3, "2199-12-31 20:00")]


def test_epoch_seconds_far_in_the_future_are_refused(tmp_path, warehouse):
    # 9,000,000,000 s after 1970-01-01 is in 2255 (9e9 / 31,556,952 s a year ≈ 285 years)
    path = tmp_path / "epoch.json"
    path.write_text(
        json.dumps(
            [
                {"ticket_id": "j1", "created_at": 1_700_000_000},
                {"ticket_id": "j2", "created_at": 9_000_000_000},
            ]
        )
    )

    error = refused(warehouse, path, RowsRejected, table="tickets")

    assert [(e.row, e.column, e.value) for e in error.errors] == [(2, "created_at", "9000000000")]
    assert "a date between 1900 and 2199" in str(error)
