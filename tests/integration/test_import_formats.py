"""Formats and encodings told from the content: CSV, TSV, UTF-16, GBK, XLSX, JSON, Parquet."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from cxlens.errors import ColumnsError, ConfigError, InputError
from cxlens.ingest import import_file


def rows(warehouse, sql):
    with warehouse.connect() as con:
        return con.execute(sql).fetchall()


# case IM-1
def test_utf8_bom_does_not_stick_to_the_first_header(tmp_path, warehouse):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfTicket ID,Status,created_at\r\n1,Open,2024-01-01\r\n")
    result = import_file(warehouse, path, table="tickets")
    assert rows(warehouse, "SELECT ticket_id, status FROM raw_tickets") == [("1", "Open")]
    assert result.encoding == "utf-8-sig"


# case IM-2
def test_gbk_chinese_headers_are_detected_and_mapped(tmp_path, warehouse):
    path = tmp_path / "工单.csv"
    text = "工单编号,状态,创建时间,渠道,客服\n1001,已解决,2024年3月5日 14:02,微信,小王\n"
    path.write_bytes(text.encode("gbk"))
    result = import_file(warehouse, path, table="tickets", timezone="Asia/Shanghai")
    assert result.encoding == "gb18030"
    assert rows(
        warehouse, "SELECT ticket_id, status, created_at, channel, agent_id FROM raw_tickets"
    ) == [("1001", "已解决", datetime(2024, 3, 5, 6, 2), "微信", "小王")]


def test_header_matching_ignores_case_and_spacing(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text(" TICKET id ,Created At,Extra Field\n7,2024-01-01,x\n")
    import_file(warehouse, path, table="tickets")
    assert rows(warehouse, "SELECT ticket_id, attributes->>'Extra Field' FROM raw_tickets") == [
        ("7", "x")
    ]


def test_excel_unicode_text_utf16_tab_separated(tmp_path, warehouse):
    path = tmp_path / "export.txt"
    text = "ticket_id\tcreated_at\tcategory\r\n1\t2024-01-02 03:04\t退款\r\n"
    path.write_bytes(text.encode("utf-16"))  # BOM + little-endian, as Excel writes it
    result = import_file(warehouse, path, table="tickets")
    assert (result.format, result.encoding) == ("tsv", "utf-16-le")
    assert rows(warehouse, "SELECT ticket_id, created_at, category FROM raw_tickets") == [
        ("1", datetime(2024, 1, 2, 3, 4), "退款")
    ]


def test_utf16_big_endian(tmp_path, warehouse):
    path = tmp_path / "be.txt"
    path.write_bytes(b"\xfe\xff" + "ticket_id\tcreated_at\n9\t2024-01-01\n".encode("utf-16-be"))
    import_file(warehouse, path, table="tickets")
    assert rows(warehouse, "SELECT ticket_id FROM raw_tickets") == [("9",)]


@pytest.mark.parametrize("delim", [",", "\t", ";", "|"])
def test_delimiter_detected(tmp_path, warehouse, delim):
    path = tmp_path / "t.data"
    path.write_text(
        delim.join(["ticket_id", "created_at", "category"])
        + "\n"
        + delim.join(["1", "2024-01-01", '"a, b; c"'])
        + "\n"
    )
    import_file(warehouse, path, table="tickets")
    assert rows(warehouse, "SELECT ticket_id, category FROM raw_tickets") == [("1", "a, b; c")]


def test_whitespace_separated_via_read_option(tmp_path, warehouse):
    path = tmp_path / "orders.txt"
    path.write_text(" 00001 19970101  1   11.77\n 00002 19970112  1   12.00\n")
    import_file(
        warehouse,
        path,
        table="orders",
        options={
            "delimiter": "whitespace",
            "header": False,
            "names": ["customer_id", "ordered_at", "order_id", "amount"],
        },
    )
    assert rows(
        warehouse, "SELECT customer_id, ordered_at, amount, _row FROM raw_orders ORDER BY _row"
    ) == [
        ("00001", datetime(1997, 1, 1), 11.77, 1),
        ("00002", datetime(1997, 1, 12), 12.0, 2),
    ]


def write_workbook(path):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    first = book.add_worksheet("Notes")
    first.write_row(0, 0, ["just", "notes"])
    sheet = book.add_worksheet("Tickets")
    sheet.write_row(0, 0, ["Ticket ID", "Created At", "Reopens"])
    sheet.write_row(1, 0, [101, "2024-03-05 14:02", 2])
    sheet.write_datetime(
        2, 1, datetime(2024, 3, 6, 9, 30), book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    )
    sheet.write(2, 0, "A-2")
    book.close()


def test_xlsx_chosen_sheet(tmp_path, warehouse):
    path = tmp_path / "book.bin"  # the name says nothing; the content does
    write_workbook(path)
    result = import_file(warehouse, path, table="tickets", sheet="Tickets")
    assert (result.format, result.sheet) == ("xlsx", "Tickets")
    assert "sheet 'Tickets'" in result.describe()
    assert rows(
        warehouse, "SELECT ticket_id, created_at, reopens, _row FROM raw_tickets ORDER BY _row"
    ) == [
        ("101", datetime(2024, 3, 5, 14, 2), 2, 2),
        ("A-2", datetime(2024, 3, 6, 9, 30), None, 3),
    ]


def test_xlsx_default_first_sheet_and_missing_sheet_lists_the_sheets(tmp_path, warehouse):
    path = tmp_path / "book.xlsx"
    write_workbook(path)
    with pytest.raises(ColumnsError):  # first sheet "Notes" has no ticket columns
        import_file(warehouse, path, table="tickets")
    with pytest.raises(InputError) as caught:
        import_file(warehouse, path, table="tickets", sheet="Calls")
    assert "'Notes', 'Tickets'" in str(caught.value)


def test_json_array_of_objects(tmp_path, warehouse):
    path = tmp_path / "t.json"
    records = [
        {"ticket_id": 1, "created_at": "2024-01-01T10:00:00Z", "tags": ["a", "b"]},
        {"ticket_id": "2", "created_at": "2024-01-02T10:00:00+01:00", "answered": True},
    ]
    path.write_text(json.dumps(records))
    result = import_file(warehouse, path, table="tickets")
    assert result.format == "json"
    got = rows(
        warehouse,
        "SELECT ticket_id, created_at, answered, attributes->>'tags', _row FROM raw_tickets ORDER BY _row",
    )
    assert got == [
        ("1", datetime(2024, 1, 1, 10), None, '["a","b"]', 1),
        ("2", datetime(2024, 1, 2, 9), True, None, 2),
    ]


def test_json_lines(tmp_path, warehouse):
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"ticket_id": "a", "created_at": "2024-01-01"}\n{"ticket_id": "b", "created_at": "2024-01-02"}\n'
    )
    import_file(warehouse, path, table="tickets")
    assert rows(warehouse, "SELECT ticket_id FROM raw_tickets ORDER BY _row") == [("a",), ("b",)]


def test_parquet(tmp_path, warehouse):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "orders.parquet"
    table = pa.table(
        {
            "order_id": ["o1", "o2"],
            "customer_id": ["c1", "c2"],
            "ordered_at": pa.array(
                [datetime(2024, 1, 1, 8), datetime(2024, 1, 2, 9)], pa.timestamp("us")
            ),
            "amount": [10.5, 20.0],
        }
    )
    pq.write_table(table, path)
    result = import_file(warehouse, path, table="orders")
    assert result.format == "parquet"
    assert rows(warehouse, "SELECT order_id, ordered_at, amount FROM raw_orders ORDER BY _row") == [
        ("o1", datetime(2024, 1, 1, 8), 10.5),
        ("o2", datetime(2024, 1, 2, 9), 20.0),
    ]


def test_no_table_and_no_preset_asks_for_table(tmp_path, warehouse):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at\n1,2024-01-01\n")
    with pytest.raises(ConfigError, match="--table"):
        import_file(warehouse, path)


def test_user_column_mapping_in_options(tmp_path, warehouse):
    path = tmp_path / "calls.csv"
    path.write_text("Call,Day,Hour\nX1,2024-01-01,10:30\n")
    import_file(
        warehouse,
        path,
        table="tickets",
        options={"columns": {"ticket_id": "Call", "created_at": "sql:{Day} || ' ' || {Hour}"}},
    )
    assert rows(warehouse, "SELECT ticket_id, created_at FROM raw_tickets") == [
        ("X1", datetime(2024, 1, 1, 10, 30))
    ]
